"""Settings of :func:`agents.fit`: fitting an AL-RNN to a recorded population.

Each field's ``help`` documents its unit or reason and becomes the help text
of the matching ``alrnn fit`` option (see :mod:`agents.cli`); the model's
size (M, P) and seed come from :class:`~agents.models.ModelConfig`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from agents.errors import ConfigError
from agents.models import option
from agents.observation import LINKS, OBSERVATIONS

__all__ = ["FitConfig"]


@dataclass(frozen=True)
class FitConfig:
    """How to fit; each field's ``help`` is shown by ``alrnn fit --help``."""

    task_id: str = option(
        "StimulusSelection-v0", "task whose input encoder rebuilds the stimuli"
    )
    task_params: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "task parameters (--task-param k=v)"}
    )
    observation: str = option(
        "poisson", "poisson (spike counts per bin) or gaussian (rates)"
    )
    link: str = option("softplus", "Poisson link from readout to rate: softplus or exp")
    trial_start: str = option(
        "cpoke_start",
        "trial-table event at which the task's hold period starts; the first bin when absent",
    )
    response_event: str = option(
        "response_onset",
        "event opening the response window; stim_onset + the task's stimulus time when absent",
    )
    event_time_unit: str = option(
        "s", "unit of the trial table's event times when aligned (s or ms)"
    )
    labels: str = option(
        "", "trial condition read out from the final state, e.g. rule ('' off)"
    )
    label_weight: float = option(0.1, "weight of the trial-label cross-entropy")
    alpha_start: float = option(
        0.5, "generalized teacher forcing strength at the first step (0-1)"
    )
    alpha_end: float = option(0.0, "forcing strength after annealing (0: free run)")
    anneal_fraction: float = option(
        0.5, "fraction of --steps over which alpha falls linearly to alpha_end"
    )
    latent_weight: float = option(
        1.0, "weight of the squared distance between model and encoder latents"
    )
    encoder_smooth: float = option(
        1.5, "s.d. in bins of the Gaussian smoothing of the encoder's input"
    )
    init_bins: int = option(
        3, "bins at each trial's start the initial-state encoder reads"
    )
    validation_fraction: float = option(0.15, "trials held out for early stopping")
    test_fraction: float = option(0.15, "trials held out for evaluation")
    cosmooth_fraction: float = option(
        0.25, "units held out for co-smoothing in the evaluation"
    )
    steps: int = option(1500, "maximum optimisation steps")
    batch_size: int = option(64, "training trials per step")
    lr: float = option(1e-2, "Adam learning rate")
    grad_clip: float = option(1.0, "maximum gradient norm per model (0: off)")
    eval_every: int = option(25, "steps between validation evaluations")
    patience: int = option(
        8, "evaluations without improvement (after annealing) before a model stops"
    )
    seed: int = option(0, "seed of the trial split and minibatches")
    device: str = option("auto", "auto (CUDA when present), cpu, cuda or cuda:N")
    checkpoint_every: int = option(100, "steps between checkpoints")
    log_every: int = option(25, "steps between metric lines")

    def __post_init__(self) -> None:
        _check_fit_config(self)

    def alpha(self, step: int) -> float:
        """Return the forcing strength α at ``step`` (0-based): linear from start to end."""
        span = max(1, round(self.anneal_fraction * self.steps))
        progress = min(step / span, 1.0)
        return self.alpha_start + (self.alpha_end - self.alpha_start) * progress

    @property
    def anneal_steps(self) -> int:
        """Steps until α reaches ``alpha_end``."""
        return round(self.anneal_fraction * self.steps)


def _check_fit_config(config: FitConfig) -> None:
    def fail(message: str) -> None:
        raise ConfigError(message)

    counts = ("steps", "batch_size", "eval_every", "patience", "init_bins")
    for name in (*counts, "checkpoint_every", "log_every"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            fail(f"{name} must be an integer >= 1, got {value!r}")
    if (
        isinstance(config.seed, bool)
        or not isinstance(config.seed, int)
        or config.seed < 0
    ):
        fail(f"seed must be an integer >= 0, got {config.seed!r}")
    for name in ("lr", "grad_clip", "label_weight", "latent_weight", "encoder_smooth"):
        value = getattr(config, name)
        if not _finite_number(value) or value < 0:
            fail(f"{name} must be a finite number >= 0, got {value!r}")
    if config.lr <= 0:
        fail(f"lr must be > 0, got {config.lr}")
    for name in ("alpha_start", "alpha_end", "anneal_fraction"):
        value = getattr(config, name)
        if not _finite_number(value) or not 0 <= value <= 1:
            fail(f"{name} must be in [0, 1], got {value!r}")
    for name in ("validation_fraction", "test_fraction", "cosmooth_fraction"):
        value = getattr(config, name)
        if not _finite_number(value) or not 0 < value < 1:
            fail(f"{name} must be in (0, 1), got {value!r}")
    if config.validation_fraction + config.test_fraction >= 0.9:
        fail(
            "validation_fraction + test_fraction must leave >= 10% of trials for "
            f"training, got {config.validation_fraction} + {config.test_fraction}"
        )
    if config.observation not in OBSERVATIONS:
        fail(
            f"observation must be one of {', '.join(OBSERVATIONS)}, got {config.observation!r}"
        )
    if config.link not in LINKS:
        fail(f"link must be one of {', '.join(LINKS)}, got {config.link!r}")
    if config.event_time_unit not in ("s", "ms"):
        fail(f"event_time_unit must be 's' or 'ms', got {config.event_time_unit!r}")
    if not isinstance(config.task_params, dict):
        fail(f"task_params must be a dict, got {type(config.task_params).__name__}")


def _finite_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
    )
