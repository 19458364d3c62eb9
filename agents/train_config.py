"""Training settings: :class:`TrainConfig`, the learning-rate schedule, derived seeds.

Each field's ``help`` documents its unit or reason and becomes the help text
of the matching ``alrnn train`` option (see :mod:`agents.cli`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.errors import ConfigError
from agents.models import option

__all__ = ["LR_SCHEDULES", "TrainConfig", "derived_seed", "learning_rate"]

# Purposes of derived seeds, so that training, held-out and pool trials never
# share a seed.
TRAIN, EVAL, POOL, DRAW, START = range(5)
LR_SCHEDULES = ("constant", "cosine")


def derived_seed(*entropy: int) -> int:
    """Return a seed in [0, 2**63) determined by the integers ``entropy``."""
    state = np.random.SeedSequence([int(e) for e in entropy]).generate_state(
        2, np.uint32
    )
    return (int(state[0]) << 31) ^ int(state[1])


@dataclass(frozen=True)
class TrainConfig:
    """How to train; each field's ``help`` is shown by ``alrnn train --help``."""

    task_id: str = option("StimulusSelection-v0", "registered task id (`alrnn tasks`)")
    task_params: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "task parameters (--task-param k=v)"}
    )
    steps: int = option(2000, "maximum optimisation steps")
    batch_size: int = option(
        64, "trials per step (sessions per step for session tasks)"
    )
    lr: float = option(3e-3, "Adam learning rate")
    lr_schedule: str = option("constant", "learning-rate schedule: constant or cosine")
    warmup_steps: int = option(0, "steps of linear learning-rate warm-up")
    grad_clip: float = option(1.0, "maximum gradient norm per model (0: off)")
    eval_every: int = option(50, "steps between evaluations on held-out trials")
    eval_trials: int = option(512, "held-out trials per evaluation")
    stop_at: float | None = option(None, "stop a model once held-out accuracy >= this")
    train_trials: int = option(
        0, "size of a fixed training pool (0: fresh trials every step)"
    )
    seed: int = option(0, "seed of the training and held-out trials")
    device: str = option("auto", "auto (CUDA when present), cpu, cuda or cuda:N")
    checkpoint_every: int = option(100, "steps between checkpoints")
    log_every: int = option(10, "steps between metric lines")
    chunk_trials: int = option(10, "session tasks: trials per truncated-BPTT chunk")
    session_trials: int = option(320, "session tasks: trials before the state is reset")
    curriculum: tuple[float, ...] = option(
        (), "session tasks: block-length scales, e.g. 0.1,0.3,1 (short blocks first)"
    )
    curriculum_advance_at: float = option(
        0.9, "session tasks: mean held-out accuracy that moves to the next scale"
    )

    def __post_init__(self) -> None:
        if isinstance(self.curriculum, list):  # as read back from JSON
            object.__setattr__(self, "curriculum", tuple(self.curriculum))
        _check_train_config(self)


def _check_train_config(config: TrainConfig) -> None:
    def fail(message: str) -> None:
        raise ConfigError(message)

    counts = ("steps", "batch_size", "eval_every", "eval_trials", "checkpoint_every")
    for name in (*counts, "log_every", "chunk_trials", "session_trials"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail(f"{name} must be an integer >= 1, got {value!r}")
    for name in ("warmup_steps", "train_trials", "seed"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail(f"{name} must be an integer >= 0, got {value!r}")
    for name in ("lr", "grad_clip", "curriculum_advance_at"):
        value = getattr(config, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < 0
        ):
            fail(f"{name} must be a finite number >= 0, got {value!r}")
    if config.lr <= 0:
        fail(f"lr must be > 0, got {config.lr}")
    if config.stop_at is not None and not (0 < config.stop_at <= 1):
        fail(f"stop_at must be an accuracy in (0, 1], got {config.stop_at!r}")
    if config.lr_schedule not in LR_SCHEDULES:
        fail(
            f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {config.lr_schedule!r}"
        )
    if not isinstance(config.task_params, dict):
        fail(f"task_params must be a dict, got {type(config.task_params).__name__}")
    scales = config.curriculum
    if not isinstance(scales, tuple) or not all(
        isinstance(s, int | float) and 0 < s <= 1 for s in scales
    ):
        fail(f"curriculum must be block-length scales in (0, 1], got {scales!r}")
    if scales and scales[-1] != 1:
        fail(f"the curriculum must end at scale 1 (the task itself), got {scales!r}")


def learning_rate(config: TrainConfig, step: int) -> float:
    """Learning rate at ``step`` (0-based) under the configured schedule."""
    factor = min(1.0, (step + 1) / config.warmup_steps) if config.warmup_steps else 1.0
    if config.lr_schedule == "cosine":
        factor *= 0.5 * (1 + math.cos(math.pi * min(step / config.steps, 1.0)))
    return config.lr * factor
