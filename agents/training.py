"""Supervised training of models and populations on task batches.

:func:`train` runs masked BPTT with Adam, per-model gradient clipping and a
learning-rate schedule, evaluates with ``task.score`` on held-out seeds, stops
each model at a criterion, checkpoints atomically and resumes from the last
checkpoint. Trials are generated on the training device, fresh for every step
or drawn from a fixed pool (low-data experiments). Session-based tasks
(implicit-rule StimulusSelection-v0) train by truncated BPTT: see
:mod:`agents.sessions`.

Every random draw after initialisation is a function of ``(seed, step)``, so a
resumed run sees exactly the trials an uninterrupted one would have seen.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.errors import ConfigError, NonFiniteLossError
from agents.evaluation import Stack, evaluate_stack, masked_loss
from agents.models import ModelConfig, build_model
from agents.population import Population
from agents.runs import RunWriter
from agents.sessions import curriculum_task, session_lengths
from agents.train_config import (
    DRAW,
    EVAL,
    POOL,
    START,
    TRAIN,
    TrainConfig,
    derived_seed,
    learning_rate,
)
from alrnn_tasks import Task
from alrnn_tasks.errors import AlrnnTasksError
from alrnn_tasks.task import resolve_device

__all__ = ["TrainResult", "train"]

logger = logging.getLogger(__name__)

MAX_SKIPPED = 10  # steps in a row with a non-finite gradient before a run stops


@dataclass(frozen=True)
class TrainResult:
    """What :func:`train` returns.

    Parameters
    ----------
    run_dir
        The run directory.
    step
        Optimisation steps done.
    scores
        Last held-out scores, one dict per model.
    stopped
        Per model: whether it met ``stop_at``.
    model_dirs
        Per model: the run directory that :func:`agents.load` reads.
    seconds
        Wall time of this call.
    """

    run_dir: Path
    step: int
    scores: list[dict[str, float]]
    stopped: list[bool]
    model_dirs: list[Path]
    seconds: float


def train(
    run_dir: str | Path,
    config: TrainConfig,
    models: ModelConfig | Sequence[ModelConfig] | None = None,
    *,
    progress: bool | None = None,
) -> TrainResult:
    """Train one model, or a population of AL-RNNs, and write the run directory.

    A directory that already holds a checkpoint of the same settings resumes
    from it; one whose run finished returns at once.

    Parameters
    ----------
    run_dir
        Where ``config.json``, weights, ``metrics.jsonl`` and checkpoints go.
        A population writes one loadable run directory per model under
        ``models/``.
    config
        Training settings.
    models
        One model config, or several AL-RNN configs (a population); a default
        :class:`~agents.models.ModelConfig` when omitted.
    progress
        Show a progress bar (default: when stderr is a terminal); otherwise
        progress goes to ``logging`` at INFO level.

    Returns
    -------
    TrainResult
        Final scores and where the models are.

    Raises
    ------
    NonFiniteLossError
        When a loss or gradient is not finite; the last good checkpoint stays.
    ConfigError, CheckpointError
        For unusable settings or a damaged run directory.
    """
    models = ModelConfig() if models is None else models
    trainer = _Trainer(Path(run_dir), config, models, progress)
    return trainer.run()


class _Trainer:
    """State and steps of one :func:`train` call."""

    def __init__(
        self,
        run_dir: Path,
        config: TrainConfig,
        models: ModelConfig | Sequence[ModelConfig],
        progress: bool | None,
    ) -> None:
        if not isinstance(config, TrainConfig):
            raise ConfigError(
                f"config must be a TrainConfig, got {type(config).__name__}"
            )
        model_configs = [models] if isinstance(models, ModelConfig) else list(models)
        if not model_configs or not all(
            isinstance(c, ModelConfig) for c in model_configs
        ):
            raise ConfigError(
                "models must be a ModelConfig or a non-empty list of them"
            )
        self.config = config
        self.final_task = _make_task(config)
        self.device = _device(config.device)
        self.scales = config.curriculum or (1.0,)
        self._check_options()

        task = self.final_task
        configs = [dataclasses.replace(c, dt=task.dt) for c in model_configs]
        if len(configs) == 1:
            module = build_model(configs[0], task.n_inputs, task.n_outputs)
        else:
            module = Population(configs, task.n_inputs, task.n_outputs)
        self.stack = Stack(module.to(self.device))
        self.optimizer = torch.optim.Adam(module.parameters(), lr=config.lr)
        self.writer = RunWriter(run_dir, config, configs, task)
        self.progress = sys.stderr.isatty() if progress is None else progress

        k = len(configs)
        self.step = 0
        self.stage = 0
        self.episode = 0
        self.chunk = 0
        self.stopped = [False] * k
        self.skipped_in_a_row = [0] * k
        self.scores: list[dict[str, float]] = [{} for _ in range(k)]
        self.carry: torch.Tensor | None = None
        self.starts: np.ndarray | None = None
        self._stage_tasks: dict[int, Task] = {}
        self._pool: tuple[torch.Tensor, ...] | None = None

    def _check_options(self) -> None:
        config, task = self.config, self.final_task
        if task.session_based and config.train_trials:
            raise ConfigError(
                f"train_trials (a fixed pool of single trials) does not apply to the "
                f"session-based {task.task_id} with {config.task_params or 'its defaults'}; "
                "drop --train-trials or use rule_cue=explicit"
            )
        if config.curriculum and not task.session_based:
            raise ConfigError(
                "curriculum applies to session-based tasks (implicit-rule StimulusSelection-v0)"
            )

    # -- the loop --------------------------------------------------------
    def run(self) -> TrainResult:
        start_time = time.perf_counter()
        self._resume()
        bar = _progress_bar(self.progress, self.config.steps, self.step)
        records: list[dict[str, Any]] = []
        window_start, window_trials = time.perf_counter(), 0
        while not self._finished():
            lr = learning_rate(self.config, self.step)
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            losses, n_trials = self._train_step()
            self.step += 1
            window_trials += n_trials

            if self.step % self.config.log_every == 0 or self._finished():
                rate = window_trials / max(time.perf_counter() - window_start, 1e-9)
                window_start, window_trials = time.perf_counter(), 0
                records += [
                    {
                        "step": self.step,
                        "model": k,
                        "loss": float(loss),
                        "lr": lr,
                        "trials_per_s": rate,
                        "stage": self.stage,
                    }
                    for k, loss in enumerate(losses.tolist())
                ]
                self._report(bar, losses, rate)
            if self.step % self.config.eval_every == 0 or self._finished():
                records += self._evaluate()
            if self.step % self.config.checkpoint_every == 0 or self._finished():
                self.writer.append(records)
                records = []
                self._checkpoint()
        self.writer.append(records)
        if bar is not None:
            bar.close()
        return TrainResult(
            run_dir=self.writer.run_dir,
            step=self.step,
            scores=self.scores,
            stopped=list(self.stopped),
            model_dirs=self.writer.model_dirs,
            seconds=time.perf_counter() - start_time,
        )

    @property
    def _output_weights(self) -> torch.Tensor | None:
        """Per-output loss weights the task asks for (``task.output_weights``)."""
        weights = getattr(self.final_task, "output_weights", None)
        return None if weights is None else torch.as_tensor(weights)

    def _finished(self) -> bool:
        return self.step >= self.config.steps or all(self.stopped)

    def _train_step(self) -> tuple[torch.Tensor, int]:
        if self.final_task.session_based:
            inputs, targets, mask, lengths, n_trials = self._session_chunk()
            outputs, final = self.stack.run(inputs, self.carry, lengths)
            self.carry = final.detach()
        else:
            inputs, targets, mask = self._trial_batch()
            outputs, _ = self.stack.run(inputs)
            n_trials = self.config.batch_size
        losses = masked_loss(outputs, targets, mask, self._output_weights)
        losses = losses + self.stack.regularization()

        if not torch.isfinite(losses).all():
            self._fail(losses, "loss")
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        skipped = self._clip_gradients()
        hold = [a or b for a, b in zip(self.stopped, skipped, strict=True)]
        before = (
            [p.detach().clone() for p in self.stack.parameter_groups()]
            if any(hold)
            else None
        )
        self.optimizer.step()
        if before is not None:
            self._restore(before, hold)
        return losses.detach(), n_trials

    def _fail(self, values: torch.Tensor, what: str) -> None:
        models = [k for k, v in enumerate(values.tolist()) if not math.isfinite(v)]
        names = ", ".join(self.stack.configs[k].name for k in models)
        last = self.writer.last_checkpoint_step
        kept = (
            f"checkpoint of step {last} kept"
            if last is not None
            else "no checkpoint written yet"
        )
        raise NonFiniteLossError(
            f"non-finite {what} at step {self.step + 1} (model {names}); training stopped, "
            f"{kept}; lower --lr or --grad-clip",
            step=self.step + 1,
        )

    def _clip_gradients(self) -> list[bool]:
        """Clip each model's gradient norm; drop the update of models whose gradient is not finite.

        A finite loss can still give an overflowing gradient when a state
        trajectory briefly explodes; that model's update is skipped (its
        gradient zeroed, its weights restored after the step) with a warning,
        and the run stops after ``MAX_SKIPPED`` such steps in a row.
        """
        params = [p for p in self.stack.parameter_groups() if p.grad is not None]
        k = len(self.stack)
        # float64, so that large but finite gradients do not overflow the norm
        if self.stack.is_population:
            squares = sum(p.grad.double().pow(2).reshape(k, -1).sum(1) for p in params)
        else:
            squares = sum(p.grad.double().pow(2).sum() for p in params).reshape(1)
        norms = squares.sqrt()
        skipped = (~torch.isfinite(norms)).tolist()
        for index, skip in enumerate(skipped):
            self.skipped_in_a_row[index] = (
                self.skipped_in_a_row[index] + 1 if skip else 0
            )
            if skip:
                logger.warning(
                    "step %d: non-finite gradient in %s, update skipped",
                    self.step + 1,
                    self.stack.configs[index].name,
                )
        if max(self.skipped_in_a_row) >= MAX_SKIPPED:
            self._fail(torch.where(torch.isfinite(norms), norms, math.nan), "gradient")

        scale = torch.where(
            torch.isfinite(norms),
            (self.config.grad_clip / (norms + 1e-6)).clamp(max=1.0)
            if self.config.grad_clip > 0
            else torch.ones_like(norms),
            torch.zeros_like(norms),
        ).float()
        for p in params:
            shape = (k,) + (1,) * (p.ndim - 1) if self.stack.is_population else ()
            factor = scale.reshape(shape) if shape else scale[0]
            p.grad.copy_(
                torch.where(factor > 0, p.grad * factor, torch.zeros_like(p.grad))
            )
        return skipped

    def _restore(self, before: list[torch.Tensor], hold: list[bool]) -> None:
        """Undo the optimizer step on models that have stopped or skipped this step."""
        with torch.no_grad():
            for p, old in zip(self.stack.parameter_groups(), before, strict=True):
                if not self.stack.is_population:
                    p.copy_(old)
                    continue
                for k, held in enumerate(hold):
                    if held:
                        p[k].copy_(old[k])

    # -- data ------------------------------------------------------------
    def _task(self) -> Task:
        if self.stage not in self._stage_tasks:
            self._stage_tasks[self.stage] = curriculum_task(
                self.config.task_id, self.config.task_params, self.scales[self.stage]
            )
        return self._stage_tasks[self.stage]

    def _trial_batch(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        config = self.config
        if not config.train_trials:
            seed = derived_seed(config.seed, TRAIN, self.step)
            batch = self._task().batch(config.batch_size, seed=seed, device=self.device)
            return batch.inputs, batch.targets.unsqueeze(0), batch.mask.unsqueeze(0)

        # a fixed pool per model; each model draws its own minibatch
        inputs, targets, mask = self._training_pool()
        replace = config.train_trials < config.batch_size
        picks = []
        for k in range(len(self.stack)):
            rng = np.random.default_rng(derived_seed(config.seed, DRAW, self.step, k))
            picks.append(
                rng.choice(config.train_trials, config.batch_size, replace=replace)
            )
        index = torch.as_tensor(np.stack(picks), device=self.device)  # (model, trial)
        models = torch.arange(len(self.stack), device=self.device)[:, None]
        return inputs[models, index], targets[models, index], mask[models, index]

    def _training_pool(self) -> tuple[torch.Tensor, ...]:
        if self._pool is None:
            batches = [
                self._task().batch(
                    self.config.train_trials,
                    seed=derived_seed(self.config.seed, POOL, c.seed),
                    device=self.device,
                )
                for c in self.stack.configs
            ]
            n_steps = max(b.n_steps for b in batches)
            self._pool = tuple(
                torch.stack([_pad_time(getattr(b, name), n_steps) for b in batches])
                for name in ("inputs", "targets", "mask")
            )
        return self._pool

    def _session_chunk(self) -> tuple[torch.Tensor, ...]:
        config, task = self.config, self._task()
        chunks_per_session = -(-config.session_trials // config.chunk_trials)
        if self.chunk == 0:
            # a new set of sessions, each starting at a random place in the cycle
            rng = np.random.default_rng(derived_seed(config.seed, START, self.episode))
            self.starts = rng.integers(0, task.cycle_length, config.batch_size)
            self.carry = None
        seed = derived_seed(config.seed, TRAIN, self.step)
        start = self.starts + self.chunk * config.chunk_trials
        batch = task.sessions(
            config.batch_size,
            config.chunk_trials,
            seed=seed,
            device=self.device,
            start=start,
        )
        sessions = batch.to_sessions()
        self.chunk += 1
        if self.chunk == chunks_per_session:
            self.chunk, self.episode = 0, self.episode + 1
        n_trials = config.batch_size * config.chunk_trials
        return (
            sessions.inputs,
            sessions.targets.unsqueeze(0),
            sessions.mask.unsqueeze(0),
            session_lengths(sessions),
            n_trials,
        )

    # -- evaluation, checkpoints -----------------------------------------
    def _evaluate(self) -> list[dict[str, Any]]:
        config = self.config
        task = self._task()
        seed = derived_seed(config.seed, EVAL, self.stage)
        scores = evaluate_stack(self.stack, task, config.eval_trials, seed, self.device)
        at_final_stage = self.stage == len(self.scales) - 1
        records = []
        for k, score in enumerate(scores):
            if self.stopped[k]:
                continue
            self.scores[k] = score
            records.append(
                {"step": self.step, "model": k, "eval": score, "stage": self.stage}
            )
            if (
                at_final_stage
                and config.stop_at is not None
                and score["accuracy"] >= config.stop_at
            ):
                self.stopped[k] = True
                logger.info(
                    "%s reached accuracy %.3f at step %d",
                    self.stack.configs[k].name,
                    score["accuracy"],
                    self.step,
                )
        if not at_final_stage:
            accuracy = float(np.mean([s["accuracy"] for s in scores]))
            if accuracy >= config.curriculum_advance_at:
                self.stage += 1
                self.chunk = 0  # the next step starts new sessions of the next stage
                logger.info(
                    "curriculum: block scale %.3g from step %d",
                    self.scales[self.stage],
                    self.step,
                )
        return records

    def _checkpoint(self) -> None:
        weights = {k: v for k, v in self.stack.module.state_dict().items()}
        optimizer_tensors, optimizer_groups = _optimizer_tensors(self.optimizer)
        if self.carry is not None:
            optimizer_tensors["carry"] = self.carry
        state = {
            "step": self.step,
            "stage": self.stage,
            "episode": self.episode,
            "chunk": self.chunk,
            "starts": None if self.starts is None else self.starts.tolist(),
            "stopped": self.stopped,
            "skipped_in_a_row": self.skipped_in_a_row,
            "scores": self.scores,
            "optimizer_groups": optimizer_groups,
            "torch_rng_state": torch.get_rng_state().tolist(),
            "finished": self._finished(),
        }
        self.writer.checkpoint(
            self.step,
            weights,
            optimizer_tensors,
            state,
            self.stack.models(),
            self.scores,
        )

    def _resume(self) -> None:
        restored = self.writer.restore_checkpoint()
        if restored is None:
            return
        weights, optimizer_tensors, state = restored
        try:
            self.stack.module.load_state_dict(weights)
        except RuntimeError as error:
            raise ConfigError(
                f"checkpoint does not fit the model: {str(error).splitlines()[0]}"
            ) from None
        carry = optimizer_tensors.pop("carry", None)
        _load_optimizer(
            self.optimizer, optimizer_tensors, state["optimizer_groups"], self.device
        )
        self.carry = None if carry is None else carry.to(self.device)
        self.step, self.stage = state["step"], state["stage"]
        self.episode, self.chunk = state["episode"], state["chunk"]
        self.starts = None if state["starts"] is None else np.asarray(state["starts"])
        self.stopped = list(state["stopped"])
        self.skipped_in_a_row = list(state["skipped_in_a_row"])
        self.scores = state["scores"]
        torch.set_rng_state(torch.tensor(state["torch_rng_state"], dtype=torch.uint8))
        logger.info("resuming %s from step %d", self.writer.run_dir, self.step)

    def _report(self, bar: Any, losses: torch.Tensor, rate: float) -> None:
        accuracy = [s["accuracy"] for s in self.scores if "accuracy" in s]
        shown = f"{np.mean(accuracy):.3f}" if accuracy else "-"
        text = f"loss {losses.mean():.4f} acc {shown} {rate:.0f} trials/s"
        if bar is not None:
            bar.n = self.step
            bar.set_postfix_str(text, refresh=True)
        else:
            logger.info("step %d/%d %s", self.step, self.config.steps, text)


def _make_task(config: TrainConfig) -> Task:
    from alrnn_tasks import get_task

    try:
        return get_task(config.task_id, **config.task_params)
    except AlrnnTasksError:
        raise
    except TypeError as error:  # a parameter of the wrong kind
        raise ConfigError(f"{config.task_id}: {error}") from None


def _device(device: str) -> torch.device:
    return resolve_device(device)


def _pad_time(tensor: torch.Tensor, n_steps: int) -> torch.Tensor:
    extra = n_steps - tensor.shape[1]
    if extra == 0:
        return tensor
    padding = tensor.new_zeros((tensor.shape[0], extra, *tensor.shape[2:]))
    return torch.cat([tensor, padding], 1)


def _optimizer_tensors(
    optimizer: torch.optim.Optimizer,
) -> tuple[dict[str, torch.Tensor], list[dict[str, Any]]]:
    state_dict = optimizer.state_dict()
    tensors = {}
    for index, values in state_dict["state"].items():
        for name, value in values.items():
            tensors[f"{index}.{name}"] = torch.as_tensor(value)
    groups = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in group.items()}
        for group in state_dict["param_groups"]
    ]
    return tensors, groups


def _load_optimizer(
    optimizer: torch.optim.Optimizer,
    tensors: dict[str, torch.Tensor],
    groups: list[dict[str, Any]],
    device: torch.device,
) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = (
            value if name == "step" else value.to(device)
        )
    groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g for g in groups]
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def _progress_bar(enabled: bool, total: int, initial: int) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="step", dynamic_ncols=True)
