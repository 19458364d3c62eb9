"""Fit AL-RNNs directly to a recorded population: :func:`fit`.

The recording (spike counts or rates of dims ``(trial, time, unit)`` with the
trial table; see :mod:`agents.fit_data`) is split into training, validation
and test trials. K AL-RNNs (one, or a population over P and seeds) are driven
by the inputs the task's encoder rebuilds from each trial's conditions and
event times, read out linearly to every recorded unit through a Poisson or
Gaussian observation model (:mod:`agents.observation`), and trained by BPTT
under generalized teacher forcing towards latent states from an encoder of
the observed activity, the forcing strength α annealed towards 0
(:mod:`agents.fit_model`). Each model stops early when its free-running
likelihood on the validation trials has not improved for ``patience``
evaluations after annealing; its best weights are kept.

The run directory is a task-training run directory (:mod:`agents.runs`):
``agents.load`` returns the fitted AL-RNN (outputs: the readout, one per
unit, before the link) and the task, so the model is dissected like a
task-trained one. Beside the weights, ``fit.safetensors`` holds the encoders
and ``evaluation.json`` the held-out metrics (:mod:`agents.fit_evaluation`).
Checkpoints, resume and the non-finite-loss stop work as in
:func:`agents.train`.

References
----------
Hess, F., Monfared, Z., Brenner, M. & Durstewitz, D. (2023). Generalized
teacher forcing for learning chaotic dynamics. *ICML*.

Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from agents.checkpoint import atomic_write_json, read_json, save_tensors
from agents.errors import ConfigError, NonFiniteLossError
from agents.fit_config import FitConfig
from agents.fit_data import (
    describe,
    encoder_features,
    load_fit_recording,
    prepare,
    split,
)
from agents.fit_model import FitModule
from agents.models import ModelConfig
from agents.observation import Observation
from agents.population import Population
from agents.runs import RunWriter, run_config
from agents.train_config import TRAIN, derived_seed
from agents.training import _load_optimizer, _optimizer_tensors
from alrnn_tasks import Task, get_task
from alrnn_tasks.task import resolve_device

__all__ = ["EVALUATION_FILE", "EXTRAS_FILE", "FitResult", "fit"]

logger = logging.getLogger(__name__)

EXTRAS_FILE = "fit.safetensors"
EVALUATION_FILE = "evaluation.json"


@dataclass(frozen=True)
class FitResult:
    """What :func:`fit` returns.

    Parameters
    ----------
    run_dir
        The run directory.
    step
        Optimisation steps done.
    model_dirs
        Per model: the run directory :func:`agents.load` reads.
    validation
        Per model: best free-running validation NLL per element.
    stopped
        Per model: whether it stopped early.
    evaluation
        Per model: held-out test metrics (:mod:`agents.fit_evaluation`).
    seconds
        Wall time of this call.
    """

    run_dir: Path
    step: int
    model_dirs: list[Path]
    validation: list[float]
    stopped: list[bool]
    evaluation: list[dict[str, Any]]
    seconds: float


def fit(
    recording: str | Path | xr.Dataset,
    run_dir: str | Path,
    config: FitConfig | None = None,
    models: ModelConfig | Sequence[ModelConfig] | None = None,
    *,
    progress: bool | None = None,
) -> FitResult:
    """Fit one AL-RNN, or a population of them, to a recording.

    A directory that already holds a checkpoint of the same fit resumes from
    it; one whose fit finished returns at once.

    Parameters
    ----------
    recording
        A ``.nc``/``.nwb`` file or pfc-1 folder (loaded by
        :func:`analysis.load_recording`), or a dataset in that schema.
    run_dir
        Where the run directory goes (``models/`` holds one per model of a
        population).
    config
        Fitting settings; defaults of :class:`~agents.fit_config.FitConfig`.
    models
        One AL-RNN config, or several (a population over P and seeds).
    progress
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    FitResult

    Raises
    ------
    FitDataError
        For a recording that cannot be fitted.
    NonFiniteLossError
        When a loss or gradient is not finite; the last good checkpoint stays.
    """
    config = FitConfig() if config is None else config
    if not isinstance(config, FitConfig):
        raise ConfigError(f"config must be a FitConfig, got {type(config).__name__}")
    models = ModelConfig() if models is None else models
    configs = [models] if isinstance(models, ModelConfig) else list(models)
    if not configs or not all(
        isinstance(c, ModelConfig) and c.kind == "alrnn" for c in configs
    ):
        raise ConfigError("models must be an AL-RNN ModelConfig or a list of them")
    origin = None if isinstance(recording, xr.Dataset) else str(recording)
    return _Fitter(Path(run_dir), recording, origin, config, configs).run()


def fit_task(config: FitConfig, dt: float | None = None) -> Task:
    """Return the fitted task, with its step set to the recording's bin width."""
    params = dict(config.task_params)
    if dt is not None and "dt" not in params:
        params["dt"] = dt
    return get_task(config.task_id, **params)


class _FitRunWriter(RunWriter):
    """A :class:`RunWriter` whose description is given (readout to recorded units)."""

    def __init__(
        self, run_dir: Path, description: dict[str, Any], configs: list[ModelConfig]
    ) -> None:
        self.run_dir = Path(run_dir)
        self.population = len(configs) > 1
        self.model_dirs = (
            [
                self.run_dir / "models" / f"{k:02d}_{c.name}"
                for k, c in enumerate(configs)
            ]
            if self.population
            else [self.run_dir]
        )
        self.last_checkpoint_step = None
        self._prepare(description, configs)


class _Fitter:
    """State and steps of one :func:`fit` call."""

    def __init__(
        self,
        run_dir: Path,
        recording: str | Path | xr.Dataset,
        origin: str | None,
        config: FitConfig,
        configs: list[ModelConfig],
    ) -> None:
        self.setup(recording, config, configs)
        data = self.data
        self.optimizer = torch.optim.Adam(self.module.parameters(), lr=config.lr)

        description = run_config(config, self.configs, self.task)
        description["n_outputs"] = len(data.unit_names)
        description["fit"] = {
            **describe(data, self.parts),
            "observation": config.observation,
            "link": config.link,
            "recording": origin,
            "input_names": list(self.task.input_names),
        }
        self.writer = _FitRunWriter(run_dir, description, self.configs)
        k = len(self.configs)
        self.step = 0
        self.stopped = [False] * k
        self.best = [math.inf] * k
        self.bad_evaluations = [0] * k
        self.best_state = {
            n: v.detach().clone() for n, v in self.module.state_dict().items()
        }

    def setup(
        self,
        recording: str | Path | xr.Dataset,
        config: FitConfig,
        configs: list[ModelConfig],
    ) -> None:
        """Load the data, split the trials and build the module (no run directory)."""
        self.config = config
        self.observation = Observation(config.observation, config.link)
        data = prepare(load_fit_recording(recording), config, fit_task(config))
        self.data = data
        self.task = fit_task(config, data.dt)
        self.parts = split(data.n_trials, config)
        self.device = resolve_device(config.device)
        self.configs = [dataclasses.replace(c, dt=data.dt) for c in configs]
        self.module = self._build_module().to(self.device)
        self.tensors = self._tensors()

    def _build_module(self) -> FitModule:
        data, config = self.data, self.config
        module = FitModule(
            self.configs,
            self.task.n_inputs,
            len(data.unit_names),
            len(data.label_names),
            config.init_bins,
        )
        mean = torch.from_numpy(data.data[self.parts["train"]].mean((0, 1)))
        with torch.no_grad():
            module.population.b.copy_(
                self.observation.inverse_mean(mean).expand_as(module.population.b)
            )
        return module

    def _tensors(self) -> dict[str, torch.Tensor]:
        data, config = self.data, self.config
        train = self.parts["train"]
        features = encoder_features(
            data.data, config.encoder_smooth, train, config.observation
        )
        scale = data.data[train].std((0, 1)) + 1e-3
        tensors = {
            "data": torch.from_numpy(data.data),
            "inputs": torch.from_numpy(data.inputs),
            "features": torch.from_numpy(features),
            "scale": torch.from_numpy(scale.astype(np.float32)),
        }
        if data.labels is not None:
            tensors["labels"] = torch.from_numpy(data.labels)
        return {name: value.to(self.device) for name, value in tensors.items()}

    def batch(self, index: np.ndarray) -> dict[str, torch.Tensor]:
        """Tensors of the trials ``index`` (the per-unit scale is shared)."""
        rows = torch.as_tensor(index, device=self.device)
        return {
            name: value if name == "scale" else value[rows]
            for name, value in self.tensors.items()
        }

    # -- loop --------------------------------------------------------------
    def run(self) -> FitResult:
        start = time.perf_counter()
        state = self._resume()
        if state is not None and state.get("finished"):
            return self._result(start, _read_evaluations(self.writer.model_dirs))
        records: list[dict[str, Any]] = []
        while not self._finished():
            alpha = self.config.alpha(self.step)
            losses, parts = self._train_step(alpha)
            self.step += 1
            if self.step % self.config.log_every == 0:
                records += self._log_records(losses, parts, alpha)
            if self.step % self.config.eval_every == 0 or self._finished():
                records += self._validate()
            if self.step % self.config.checkpoint_every == 0 or self._finished():
                self.writer.append(records)
                records = []
                self._checkpoint()
        self.writer.append(records)
        evaluations = self._evaluate_test()
        self._checkpoint(finished=True)
        return self._result(start, evaluations)

    def _finished(self) -> bool:
        return self.step >= self.config.steps or all(self.stopped)

    def _train_step(self, alpha: float) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        config, train = self.config, self.parts["train"]
        rng = np.random.default_rng(derived_seed(config.seed, TRAIN, self.step))
        index = np.sort(
            rng.choice(train, config.batch_size, replace=len(train) < config.batch_size)
        )
        weights = {"latent": config.latent_weight, "label": config.label_weight}
        losses, parts = self.module.losses(
            self.batch(index), self.observation, alpha, weights
        )
        if not torch.isfinite(losses).all():
            self._fail(losses, "loss")
        self.optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        self._clip_gradients()
        held = [k for k, stopped in enumerate(self.stopped) if stopped]
        before = [p.detach()[held].clone() for p in self.module.parameters()]
        self.optimizer.step()
        if held:
            with torch.no_grad():
                for p, old in zip(self.module.parameters(), before, strict=True):
                    p[held] = old
        return losses.detach(), {k: v.detach() for k, v in parts.items()}

    def _clip_gradients(self) -> None:
        k = len(self.module)
        params = [p for p in self.module.parameters() if p.grad is not None]
        norms = sum(p.grad.double().pow(2).reshape(k, -1).sum(1) for p in params).sqrt()
        if not torch.isfinite(norms).all():
            self._fail(norms, "gradient")
        if self.config.grad_clip > 0:
            scale = (self.config.grad_clip / (norms + 1e-6)).clamp(max=1.0).float()
            for p in params:
                p.grad.mul_(scale.view(k, *([1] * (p.ndim - 1))))

    def _fail(self, values: torch.Tensor, what: str) -> None:
        bad = [k for k, v in enumerate(values.tolist()) if not math.isfinite(v)]
        names = ", ".join(self.configs[k].name for k in bad)
        last = self.writer.last_checkpoint_step
        kept = (
            f"checkpoint of step {last} kept"
            if last is not None
            else "no checkpoint written yet"
        )
        raise NonFiniteLossError(
            f"non-finite {what} at step {self.step + 1} (model {names}); fitting "
            f"stopped, {kept}; lower --lr or --grad-clip",
            step=self.step + 1,
        )

    def _log_records(
        self, losses: torch.Tensor, parts: dict[str, torch.Tensor], alpha: float
    ) -> list[dict[str, Any]]:
        records = []
        for k, loss in enumerate(losses.tolist()):
            record = {"step": self.step, "model": k, "loss": loss, "alpha": alpha}
            record.update({name: float(value[k]) for name, value in parts.items()})
            records.append(record)
        logger.info(
            "step %d/%d loss %.4f alpha %.3f",
            self.step,
            self.config.steps,
            float(losses.mean()),
            alpha,
        )
        return records

    # -- validation, evaluation, checkpoints -------------------------------------
    @torch.no_grad()
    def free_readout(self, index: np.ndarray) -> torch.Tensor:
        """Free-running readout ``(model, trial, time, unit)`` of trials ``index``."""
        batch = self.batch(index)
        _, initial = self.module.encode(batch["features"])
        states = self.module.free_run(batch["inputs"], initial)
        return self.module.readout(states)

    def _validate(self) -> list[dict[str, Any]]:
        index = self.parts["validation"]
        batch = self.batch(index)
        readout = self.free_readout(index)
        nll = self.observation.nll(readout, batch["data"], batch["scale"])
        values = nll.mean((1, 2, 3)).tolist()
        annealed = self.step >= self.config.anneal_steps
        records = []
        for k, value in enumerate(values):
            if self.stopped[k]:
                continue
            if value < self.best[k] - 1e-5:
                self.best[k], self.bad_evaluations[k] = value, 0
                for name, tensor in self.module.state_dict().items():
                    self.best_state[name][k] = tensor[k]
            elif annealed:
                self.bad_evaluations[k] += 1
                if self.bad_evaluations[k] >= self.config.patience:
                    self.stopped[k] = True
                    logger.info(
                        "%s stopped early at step %d", self.configs[k].name, self.step
                    )
            records.append({"step": self.step, "model": k, "validation_nll": value})
        return records

    def best_models(self) -> tuple[list[Any], list[dict[str, torch.Tensor]]]:
        """Return the best AL-RNNs (split from the population) and their encoder tensors."""
        population = Population(
            self.configs, self.task.n_inputs, len(self.data.unit_names)
        )
        prefix = "population."
        population.load_state_dict(
            {
                n[len(prefix) :]: v
                for n, v in self.best_state.items()
                if n.startswith(prefix)
            }
        )
        extras = [
            {
                n: v[k].clone()
                for n, v in self.best_state.items()
                if not n.startswith(prefix)
            }
            for k in range(len(self.configs))
        ]
        return population.split(), extras

    def _checkpoint(self, finished: bool = False) -> None:
        models, extras = self.best_models()
        for model_dir, tensors in zip(self.writer.model_dirs, extras, strict=True):
            save_tensors(model_dir / EXTRAS_FILE, tensors)
        weights = dict(self.module.state_dict())
        weights.update({f"best.{n}": v for n, v in self.best_state.items()})
        optimizer_tensors, groups = _optimizer_tensors(self.optimizer)
        state = {
            "step": self.step,
            "stopped": self.stopped,
            "best": self.best,
            "bad_evaluations": self.bad_evaluations,
            "optimizer_groups": groups,
            "finished": finished,
        }
        scores = [{"validation_nll": b} for b in self.best]
        self.writer.checkpoint(
            self.step, weights, optimizer_tensors, state, models, scores
        )

    def _resume(self) -> dict[str, Any] | None:
        restored = self.writer.restore_checkpoint()
        if restored is None:
            return None
        weights, optimizer_tensors, state = restored
        best = {n[5:]: v for n, v in weights.items() if n.startswith("best.")}
        current = {n: v for n, v in weights.items() if not n.startswith("best.")}
        try:
            self.module.load_state_dict(current)
        except RuntimeError as error:
            raise ConfigError(
                f"checkpoint does not fit the model: {str(error).splitlines()[0]}"
            ) from None
        self.best_state = {n: v.to(self.device) for n, v in best.items()}
        _load_optimizer(
            self.optimizer, optimizer_tensors, state["optimizer_groups"], self.device
        )
        self.step = state["step"]
        self.stopped = list(state["stopped"])
        self.best = [math.inf if b is None else b for b in state["best"]]
        self.bad_evaluations = list(state["bad_evaluations"])
        logger.info("resuming %s from step %d", self.writer.run_dir, self.step)
        return state

    def _evaluate_test(self) -> list[dict[str, Any]]:
        from agents.fit_evaluation import evaluate_fitter

        evaluations = evaluate_fitter(self)
        for model_dir, evaluation in zip(
            self.writer.model_dirs, evaluations, strict=True
        ):
            atomic_write_json(model_dir / EVALUATION_FILE, evaluation)
        return evaluations

    def _result(self, start: float, evaluations: list[dict[str, Any]]) -> FitResult:
        return FitResult(
            run_dir=self.writer.run_dir,
            step=self.step,
            model_dirs=list(self.writer.model_dirs),
            validation=list(self.best),
            stopped=list(self.stopped),
            evaluation=evaluations,
            seconds=time.perf_counter() - start,
        )


def _read_evaluations(model_dirs: Sequence[Path]) -> list[dict[str, Any]]:
    return [
        read_json(d / EVALUATION_FILE) if (d / EVALUATION_FILE).is_file() else {}
        for d in model_dirs
    ]
