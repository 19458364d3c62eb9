"""Nonlinearity sweeps: train every cell of a grid, locally or through submitit.

A sweep directory holds

- ``sweep.json``: the checked :class:`~agents.sweep_config.SweepConfig`;
- ``groups/<group>/``: one training run per group of cells. AL-RNN cells
  that share task, training-set size and M train together as one
  :class:`~agents.population.Population` (``max_population`` at most), so a
  grid over P and seeds costs about one run per task and size; baselines
  train one per group;
- ``cells/<cell>/``: each cell's own run directory (a copy of its model's
  run, loadable with :func:`agents.load`) and ``result.json`` with its final
  scores on fresh trials, steps to criterion, subregions used and real fixed
  points, or the error that stopped it.

Rerunning the same sweep skips cells whose ``result.json`` exists, resumes a
group interrupted mid-training from its last checkpoint, and writes the
results still missing. A failing group is retrained one cell at a time, so
that only the cells that fail are recorded as failed; the sweep goes on.

Cells of one group share the stream of fresh training trials (the
population sees one batch per step); seeds vary the initialisation and, with
``train_trials > 0``, each model's training pool.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.checkpoint import atomic_write_json, read_json
from agents.errors import AgentsError, ConfigError
from agents.models import ModelConfig
from agents.sweep_config import SweepConfig, sweep_from_dict
from agents.sweep_results import RESULT_FILE, cell_result, failed_result
from alrnn_tasks.errors import AlrnnTasksError

__all__ = [
    "SWEEP_FILE",
    "Cell",
    "SweepSummary",
    "plan_cells",
    "plan_groups",
    "read_sweep",
    "run_group",
    "run_sweep",
]

logger = logging.getLogger(__name__)

SWEEP_FILE = "sweep.json"
SWEEP_FORMAT = "alrnn-sweep/1"
# settings that may change between a sweep and its rerun
_MAY_CHANGE = ("launcher",)
_TRAINING_MAY_CHANGE = ("device", "log_every")


@dataclass(frozen=True)
class Cell:
    """One point of the grid.

    Parameters
    ----------
    task
        Label of the task entry.
    family
        Model kind (``"alrnn"`` or a baseline).
    relu_units
        P for AL-RNN cells; ``None`` for baselines.
    seed
        Initialisation (and training-pool) seed.
    train_trials
        Size of the fixed training pool (0: fresh trials every step).
    """

    task: str
    family: str
    relu_units: int | None
    seed: int
    train_trials: int

    @property
    def model(self) -> str:
        """The model variant, e.g. ``alrnn_P4`` or ``gru``."""
        return f"alrnn_P{self.relu_units}" if self.family == "alrnn" else self.family

    @property
    def cell_id(self) -> str:
        """Directory name, e.g. ``explicit__alrnn_P4__s0__n0``."""
        return f"{self.task}__{self.model}__s{self.seed}__n{self.train_trials}"

    def model_config(self, config: SweepConfig) -> ModelConfig:
        """Return the :class:`~agents.models.ModelConfig` this cell trains."""
        relu_units = self.relu_units if self.relu_units is not None else 0
        return ModelConfig(
            **config.model,
            kind=self.family,
            units=config.units,
            relu_units=relu_units,
            seed=self.seed,
        )


@dataclass(frozen=True)
class SweepSummary:
    """What :func:`run_sweep` did.

    Parameters
    ----------
    sweep_dir
        The sweep directory.
    done, failed, skipped
        Cell ids finished now, failed now, and already finished before.
    """

    sweep_dir: Path
    done: list[str]
    failed: list[str]
    skipped: list[str]


def plan_cells(config: SweepConfig) -> list[Cell]:
    """Return every cell of the grid, in a fixed order."""
    cells = []
    for task in config.tasks:
        for family in config.families:
            relu_values = config.relu_units if family == "alrnn" else (None,)
            for relu_units in relu_values:
                for train_trials in config.train_trials:
                    cells += [
                        Cell(task.label, family, relu_units, seed, train_trials)
                        for seed in config.seeds
                    ]
    return cells


def plan_groups(config: SweepConfig) -> dict[str, list[Cell]]:
    """Return the cells grouped into training runs, keyed by group id.

    AL-RNN cells of one task and training-set size form populations of at
    most ``max_population``; every baseline cell is its own group.
    """
    groups: dict[str, list[Cell]] = {}
    for cell in plan_cells(config):
        if cell.family != "alrnn":
            groups[cell.cell_id] = [cell]
            continue
        key = f"{cell.task}__alrnn__n{cell.train_trials}"
        groups.setdefault(key, []).append(cell)
    size = config.max_population
    split: dict[str, list[Cell]] = {}
    for key, cells in groups.items():
        if len(cells) <= size or cells[0].family != "alrnn":
            split[key] = cells
            continue
        for part in range(0, len(cells), size):
            split[f"{key}__part{part // size}"] = cells[part : part + size]
    return split


def run_sweep(
    config: SweepConfig,
    sweep_dir: str | Path,
    *,
    retry_failed: bool = False,
) -> SweepSummary:
    """Run (or continue) a sweep and write every cell's result.

    Parameters
    ----------
    config
        The grid, training settings and launcher.
    sweep_dir
        Directory of the sweep; rerunning with the same directory skips
        finished cells and resumes interrupted ones.
    retry_failed
        Also rerun cells whose last attempt failed.

    Returns
    -------
    SweepSummary
        Cells finished, failed and skipped.

    Raises
    ------
    ConfigError
        If ``sweep_dir`` holds a different sweep.
    """
    sweep_dir = Path(sweep_dir)
    _prepare(sweep_dir, config)
    groups = plan_groups(config)
    pending, skipped = [], []
    for group_id, cells in groups.items():
        waiting = [c for c in cells if not _finished(sweep_dir, c, retry_failed)]
        skipped += [c.cell_id for c in cells if c not in waiting]
        if waiting:
            pending.append(group_id)
    logger.info(
        "sweep %s: %d cells, %d finished before, %d groups to run",
        config.name,
        sum(len(c) for c in groups.values()),
        len(skipped),
        len(pending),
    )
    if config.launcher.kind == "local":
        outcomes = [run_group(sweep_dir, g, retry_failed) for g in pending]
    else:
        from agents.sweep_launch import submit_groups

        outcomes = submit_groups(sweep_dir, config.launcher, pending, retry_failed)
    done = [c for outcome in outcomes for c in outcome["done"]]
    failed = [c for outcome in outcomes for c in outcome["failed"]]
    return SweepSummary(sweep_dir, done, failed, skipped)


def run_group(
    sweep_dir: str | Path, group_id: str, retry_failed: bool = False
) -> dict[str, list[str]]:
    """Train one group of cells and write the results still missing.

    This is the unit of work of every launcher: the local loop calls it in
    process, submitit calls it in a job. It only takes paths and names, so
    a job needs nothing but the sweep directory.

    Returns
    -------
    dict
        ``{"done": [cell ids], "failed": [cell ids]}`` written by this call.
    """
    sweep_dir = Path(sweep_dir)
    config = read_sweep(sweep_dir)
    cells = plan_groups(config)[group_id]
    waiting = [c for c in cells if not _finished(sweep_dir, c, retry_failed)]
    if not waiting:
        return {"done": [], "failed": []}
    try:
        model_dirs = _train(sweep_dir / "groups" / group_id, config, cells)
    except (AgentsError, AlrnnTasksError, RuntimeError) as error:
        if len(cells) == 1:
            return _record_failures(sweep_dir, waiting, error)
        logger.warning(
            "group %s failed (%s); training its cells one by one", group_id, error
        )
        return _run_one_by_one(sweep_dir, group_id, config, waiting)
    return _write_results(
        sweep_dir, config, dict(zip(cells, model_dirs, strict=True)), waiting
    )


def _run_one_by_one(
    sweep_dir: Path, group_id: str, config: SweepConfig, cells: list[Cell]
) -> dict[str, list[str]]:
    outcome: dict[str, list[str]] = {"done": [], "failed": []}
    for cell in cells:
        run_dir = sweep_dir / "groups" / group_id / "one_by_one" / cell.cell_id
        try:
            (model_dir,) = _train(run_dir, config, [cell])
        except (AgentsError, AlrnnTasksError, RuntimeError) as error:
            part = _record_failures(sweep_dir, [cell], error)
        else:
            part = _write_results(sweep_dir, config, {cell: model_dir}, [cell])
        for key in outcome:
            outcome[key] += part[key]
    return outcome


def _train(run_dir: Path, config: SweepConfig, cells: Sequence[Cell]) -> list[Path]:
    from agents.training import train

    entry = next(t for t in config.tasks if t.label == cells[0].task)
    training = dataclasses.replace(
        config.training,
        task_id=entry.task_id,
        task_params=dict(entry.params),
        train_trials=cells[0].train_trials,
    )
    models = [cell.model_config(config) for cell in cells]
    result = train(run_dir, training, models if len(models) > 1 else models[0])
    return list(result.model_dirs)


def _write_results(
    sweep_dir: Path,
    config: SweepConfig,
    model_dirs: dict[Cell, Path],
    waiting: Sequence[Cell],
) -> dict[str, list[str]]:
    outcome: dict[str, list[str]] = {"done": [], "failed": []}
    for cell in waiting:
        cell_dir = sweep_dir / "cells" / cell.cell_id
        try:
            _copy_run(model_dirs[cell], cell_dir)
            result = cell_result(cell_dir, config)
        except (AgentsError, AlrnnTasksError, RuntimeError) as error:
            outcome["failed"] += _record_failures(sweep_dir, [cell], error)["failed"]
            continue
        atomic_write_json(cell_dir / RESULT_FILE, {**_describe(cell), **result})
        outcome["done"].append(cell.cell_id)
    return outcome


def _record_failures(
    sweep_dir: Path, cells: Sequence[Cell], error: BaseException
) -> dict[str, list[str]]:
    for cell in cells:
        logger.warning("cell %s failed: %s", cell.cell_id, error)
        result = {**_describe(cell), **failed_result(error)}
        atomic_write_json(sweep_dir / "cells" / cell.cell_id / RESULT_FILE, result)
    return {"done": [], "failed": [c.cell_id for c in cells]}


def _copy_run(model_dir: Path, cell_dir: Path) -> None:
    """Copy a trained model's run directory (weights, config, metrics) into the cell."""
    cell_dir.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "model.safetensors", "metrics.jsonl", "scores.json"):
        source = Path(model_dir) / name
        if source.is_file():
            temporary = cell_dir / f".{name}.partial"
            shutil.copyfile(source, temporary)
            temporary.replace(cell_dir / name)


def _describe(cell: Cell) -> dict[str, Any]:
    return {"cell": cell.cell_id, **dataclasses.asdict(cell), "model": cell.model}


def _finished(sweep_dir: Path, cell: Cell, retry_failed: bool) -> bool:
    path = sweep_dir / "cells" / cell.cell_id / RESULT_FILE
    if not path.is_file():
        return False
    return not (retry_failed and read_json(path).get("status") == "failed")


def _prepare(sweep_dir: Path, config: SweepConfig) -> None:
    description = {"format": SWEEP_FORMAT, "sweep": config.to_dict()}
    path = sweep_dir / SWEEP_FILE
    if path.is_file():
        existing = read_json(path)
        if _comparable(existing) != _comparable(description):
            raise ConfigError(
                f"{sweep_dir} holds a different sweep; rerun it with the same grid "
                "and training settings, or choose another --out"
            )
        atomic_write_json(path, description)  # the launcher may change
        return
    if sweep_dir.exists() and any(sweep_dir.iterdir()):
        raise ConfigError(
            f"{sweep_dir} exists and is not a sweep directory; choose another --out"
        )
    atomic_write_json(path, description)


def read_sweep(sweep_dir: str | Path) -> SweepConfig:
    """Read the :class:`SweepConfig` stored in a sweep directory."""
    path = Path(sweep_dir) / SWEEP_FILE
    if not path.is_file():
        raise ConfigError(
            f"{sweep_dir} is not a sweep directory (no {SWEEP_FILE}); run `alrnn sweep run` first"
        )
    description = read_json(path)
    if not isinstance(description, dict) or description.get("format") != SWEEP_FORMAT:
        raise ConfigError(f"{path} is not an {SWEEP_FORMAT} sweep description")
    return sweep_from_dict(description["sweep"])


def _comparable(description: dict[str, Any]) -> str:
    sweep = {
        k: v for k, v in description.get("sweep", {}).items() if k not in _MAY_CHANGE
    }
    training = sweep.get("training", {})
    sweep["training"] = {
        k: v for k, v in training.items() if k not in _TRAINING_MAY_CHANGE
    }
    return json.dumps(sweep, sort_keys=True)
