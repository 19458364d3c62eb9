"""Run directories: what :func:`agents.training.train` writes and :func:`load` reads.

A single-model run directory holds ``config.json``, ``model.safetensors``,
``metrics.jsonl``, ``scores.json`` and ``checkpoint/`` (see
:mod:`agents.checkpoint`). A population run keeps the shared
``config.json``, ``metrics.jsonl`` and ``checkpoint/`` at its root and one
complete single-model run directory per model under ``models/``, so each
model loads on its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from agents.checkpoint import (
    CONFIG_FILE,
    WEIGHTS_FILE,
    append_metrics,
    atomic_write_json,
    latest_checkpoint,
    load_tensors,
    read_json,
    save_tensors,
    truncate_metrics,
    write_checkpoint,
)
from agents.errors import CheckpointError, ConfigError
from agents.models import ModelConfig, RecurrentModel, build_model, config_from_dict
from agents.population import Population
from alrnn_tasks import Task, get_task
from alrnn_tasks.task import resolve_device

__all__ = ["RUN_FORMAT", "RunWriter", "load", "load_population", "read_run_config"]

RUN_FORMAT = "alrnn-run/1"
SCORES_FILE = "scores.json"
# settings that may change between a run and its resumption
_MAY_CHANGE = ("device", "log_every")


def run_config(
    config: Any, model_configs: Sequence[ModelConfig], task: Task
) -> dict[str, Any]:
    """Return the JSON description of a run (everything needed to rebuild it)."""
    from alrnn_tasks import __version__

    training = _plain(dataclasses.asdict(config))
    return {
        "format": RUN_FORMAT,
        "package_version": __version__,
        "task_id": task.task_id,
        "task_params": task.params_dict(),
        "n_inputs": task.n_inputs,
        "n_outputs": task.n_outputs,
        "training": training,
        "models": [dataclasses.asdict(c) for c in model_configs],
    }


class RunWriter:
    """Writes a run directory: config, metrics, checkpoints and model weights.

    Parameters
    ----------
    run_dir
        The run directory (created when missing).
    config
        The :class:`~agents.training.TrainConfig`.
    model_configs
        One config per model.
    task
        The task trained on (at the end of any curriculum).
    """

    def __init__(
        self,
        run_dir: Path,
        config: Any,
        model_configs: Sequence[ModelConfig],
        task: Task,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.population = len(model_configs) > 1
        description = run_config(config, model_configs, task)
        if self.population:
            self.model_dirs = [
                self.run_dir / "models" / f"{k:02d}_{c.name}"
                for k, c in enumerate(model_configs)
            ]
        else:
            self.model_dirs = [self.run_dir]
        self.last_checkpoint_step: int | None = None
        self._prepare(description, model_configs)

    def _prepare(
        self, description: dict[str, Any], configs: Sequence[ModelConfig]
    ) -> None:
        path = self.run_dir / CONFIG_FILE
        if path.is_file():
            existing = read_json(path)
            if _comparable(existing) != _comparable(description):
                raise ConfigError(
                    f"{self.run_dir} holds a run with different settings; pass the same "
                    "settings to resume it, or choose another --out"
                )
            return
        if self.run_dir.exists() and any(self.run_dir.iterdir()):
            raise ConfigError(
                f"{self.run_dir} exists and is not a run directory; choose another --out"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for k, model_dir in enumerate(self.model_dirs):
            if self.population:
                member = {**description, "models": [description["models"][k]]}
                member["population"] = {"root": "../..", "index": k}
                atomic_write_json(model_dir / CONFIG_FILE, member)
        atomic_write_json(path, description)

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append metric records to the run (and to each member's own log)."""
        append_metrics(self.run_dir, records)
        if self.population:
            for k, model_dir in enumerate(self.model_dirs):
                append_metrics(model_dir, [r for r in records if r.get("model") == k])

    def restore_checkpoint(self) -> tuple[dict, dict, dict] | None:
        """Load the latest checkpoint and drop metrics logged after it."""
        restored = latest_checkpoint(self.run_dir)
        if restored is None:
            return None
        step = int(restored[2]["step"])
        for directory in {self.run_dir, *self.model_dirs}:
            truncate_metrics(directory, step)
        self.last_checkpoint_step = step
        return restored

    def checkpoint(
        self,
        step: int,
        weights: dict[str, torch.Tensor],
        optimizer: dict[str, torch.Tensor],
        state: dict[str, Any],
        models: Sequence[RecurrentModel],
        scores: Sequence[dict[str, float]],
    ) -> None:
        """Write model weights and scores, then a complete checkpoint."""
        for model, model_dir, score in zip(
            models, self.model_dirs, scores, strict=True
        ):
            save_tensors(model_dir / WEIGHTS_FILE, model.state_dict())
            atomic_write_json(model_dir / SCORES_FILE, {"step": step, "scores": score})
        write_checkpoint(self.run_dir, step, weights, optimizer, state)
        self.last_checkpoint_step = step


def read_run_config(run_dir: str | Path) -> dict[str, Any]:
    """Read and check a run directory's ``config.json``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise CheckpointError(
            f"run directory {str(run_dir)!r} does not exist; train one with `alrnn train`"
        )
    description = read_json(run_dir / CONFIG_FILE)
    if not isinstance(description, dict) or description.get("format") != RUN_FORMAT:
        raise CheckpointError(
            f"{run_dir / CONFIG_FILE} is not an {RUN_FORMAT} run description"
        )
    return description


def load(
    run_dir: str | Path, *, device: str | torch.device = "cpu"
) -> tuple[RecurrentModel, Task]:
    """Load a trained model and the task it was trained on.

    Parameters
    ----------
    run_dir
        A single-model run directory (for a population, one of its
        ``models/*`` folders; see :func:`load_population`).
    device
        Where to put the model.

    Returns
    -------
    (RecurrentModel, Task)
        The model in evaluation mode and the task.

    Raises
    ------
    CheckpointError
        If the directory is missing, incomplete or damaged.
    """
    run_dir = Path(run_dir)
    description = read_run_config(run_dir)
    if len(description["models"]) != 1:
        members = sorted(p.name for p in (run_dir / "models").glob("*"))
        raise CheckpointError(
            f"{run_dir} is a population of {len(description['models'])} models; load one of "
            f"{run_dir / 'models'}/{{{', '.join(members[:3])}{', ...' if len(members) > 3 else ''}}} "
            "or use agents.load_population"
        )
    task = _task(description)
    try:
        model = build_model(
            config_from_dict(description["models"][0]),
            description["n_inputs"],
            description["n_outputs"],
        )
    except (ConfigError, TypeError, KeyError) as error:
        raise CheckpointError(
            f"{run_dir / CONFIG_FILE} describes no valid model ({error})"
        ) from None
    weights = load_tensors(run_dir / WEIGHTS_FILE)
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(
            f"{run_dir / WEIGHTS_FILE} does not fit the model in config.json "
            f"({str(error).splitlines()[0]})"
        ) from None
    return model.to(resolve_device(device)).eval(), task


def load_population(
    run_dir: str | Path, *, device: str | torch.device = "cpu"
) -> tuple[Population, Task]:
    """Load every model of a population run, stacked again.

    Parameters
    ----------
    run_dir
        The population's run directory.
    device
        Where to put the population.

    Returns
    -------
    (Population, Task)
    """
    run_dir = Path(run_dir)
    description = read_run_config(run_dir)
    members = sorted(p for p in (run_dir / "models").glob("*") if p.is_dir())
    if len(members) != len(description["models"]):
        raise CheckpointError(
            f"{run_dir} lists {len(description['models'])} models but has {len(members)} "
            "model folders; the run is incomplete"
        )
    models = [load(member, device=device)[0] for member in members]
    return Population.from_models(models).eval(), _task(description)


def _task(description: dict[str, Any]) -> Task:
    params = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in description.get("task_params", {}).items()
    }
    return get_task(description["task_id"], **params)


def _comparable(description: dict[str, Any]) -> dict[str, Any]:
    training = {
        k: v for k, v in description.get("training", {}).items() if k not in _MAY_CHANGE
    }
    kept = {
        k: v for k, v in description.items() if k not in ("training", "package_version")
    }
    return {**kept, "training": training}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
