"""What a sweep measures per cell, and :func:`collect` of every cell into xarray.

Each finished cell's ``result.json`` holds its score on fresh held-out trials
per condition group (``task.score``), the optimisation steps run, the first
step whose held-out accuracy reached the sweep's criterion, and for AL-RNNs
the number of linear subregions its states visit on those trials (and, for a
multi-task suite, how many of them more than one task visits) and the number
of real fixed points for the mean input of the task's first period (exact
enumeration, :func:`analysis.fixed_points`). :func:`collect` gathers the
results into one :class:`xarray.Dataset`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from agents.checkpoint import read_json, read_metrics
from agents.errors import ConfigError

__all__ = ["RESULT_FILE", "cell_result", "collect", "failed_result", "save_collected"]

logger = logging.getLogger(__name__)

RESULT_FILE = "result.json"
REGION_TRIALS = 256  # held-out trials whose states count the subregions visited
EXACT_FIXED_POINTS_MAX_P = 12  # 2^12 subregions; larger P uses the heuristic search
_PER_CELL = (
    "steps",
    "steps_to_criterion",
    "curriculum_stage",
    "regions_used",
    "regions_shared",
)


def cell_result(cell_dir: Path, config: Any) -> dict[str, Any]:
    """Measure a trained cell (its run directory) and return its ``result.json``.

    Parameters
    ----------
    cell_dir
        A single-model run directory.
    config
        The :class:`~agents.sweep_config.SweepConfig`.

    Returns
    -------
    dict
        ``status``, ``scores``, ``steps``, ``steps_to_criterion`` and, for an
        AL-RNN, ``regions_used``, ``regions_shared`` and ``real_fixed_points``.
    """
    from agents.evaluation import evaluate
    from agents.runs import load

    model, task = load(cell_dir)
    scores = evaluate(model, task, config.eval_trials, seed=config.eval_seed)
    result: dict[str, Any] = {
        "status": "done",
        "scores": _finite(scores),
        **_training_steps(cell_dir, config),
    }
    if model.config.kind == "alrnn":
        result.update(_dissect(model, task, config.eval_seed))
    return result


def failed_result(error: BaseException) -> dict[str, Any]:
    """Return the ``result.json`` of a cell stopped by ``error``."""
    message = str(error).splitlines()[0] if str(error) else ""
    return {"status": "failed", "error": f"{type(error).__name__}: {message}"}


def _training_steps(cell_dir: Path, config: Any) -> dict[str, int | None]:
    """Return steps run, first step at the criterion (last stage) and last stage."""
    training = config.training
    criterion = training.stop_at if training.stop_at is not None else config.criterion
    final_stage = max(len(training.curriculum) - 1, 0)
    records = read_metrics(cell_dir)
    steps = max((r["step"] for r in records), default=0)
    reached = [
        r["step"]
        for r in records
        if "eval" in r
        and r.get("stage", 0) == final_stage
        and r["eval"].get("accuracy", 0.0) >= criterion
    ]
    stage = max((r.get("stage", 0) for r in records), default=0)
    return {
        "steps": steps,
        "steps_to_criterion": min(reached) if reached else None,
        "curriculum_stage": stage,
    }


def _dissect(model: Any, task: Any, seed: int) -> dict[str, Any]:
    """Subregions visited on held-out trials and real fixed points at rest."""
    if task.session_based:
        batch = task.sessions(1, 2 * task.cycle_length, seed=seed)
        sessions = batch.to_sessions()
        inputs, valid = sessions.inputs, (sessions.trial >= 0).numpy()
        groups = None
    else:
        batch = task.batch(REGION_TRIALS, seed=seed)
        inputs = batch.inputs
        valid = (batch.period >= 0).numpy()
        groups = batch.conditions.get("task")
    with torch.no_grad():
        _, states = model(inputs, return_states=True)  # (trial, time, unit)
    relu_units = model.config.relu_units
    active = states[..., states.shape[-1] - relu_units :].numpy() > 0
    patterns = np.packbits(active, axis=-1, bitorder="little")  # (trial, time, byte)
    regions = {bytes(p) for p in patterns[valid]}
    shared = None
    if groups is not None:
        by_group = [
            {bytes(p) for p in patterns[valid & (np.asarray(groups) == g)[:, None]]}
            for g in np.unique(groups)
        ]
        shared = sum(1 for r in regions if sum(r in s for s in by_group) > 1)
    rest = batch.inputs[batch.period == 0].mean(0)  # (input,) first period's mean
    return {
        "regions_used": len(regions),
        "regions_shared": shared,
        "real_fixed_points": _real_fixed_points(model, rest),
    }


def _real_fixed_points(model: Any, inputs: torch.Tensor) -> int | None:
    """Count real fixed points (``None`` when the dissection is unavailable)."""
    if model.config.relu_units == 0:
        # one affine map: a single (real) fixed point unless A + W has eigenvalue 1
        with torch.no_grad():
            jacobian = torch.diag(model.effective_A()) + model.W
            identity = torch.eye(jacobian.shape[0])
            rank = torch.linalg.matrix_rank((identity - jacobian).double())
        return 1 if int(rank) == jacobian.shape[0] else None
    try:
        from analysis.fixed_points import fixed_points
    except ImportError as error:
        logger.warning("real fixed points not counted: %s", error)
        return None
    method = (
        "exact" if model.config.relu_units <= EXACT_FIXED_POINTS_MAX_P else "search"
    )
    try:
        points = fixed_points(model, inputs.double().numpy(), method=method)
    except (
        ValueError,
        TypeError,
        IndexError,
        RuntimeError,
        np.linalg.LinAlgError,
    ) as error:
        logger.warning("real fixed points not counted: %s", error)
        return None
    return int(np.asarray(points["real"]).sum())


def _finite(scores: dict[str, float]) -> dict[str, float | None]:
    return {k: (float(v) if np.isfinite(v) else None) for k, v in scores.items()}


def collect(sweep_dir: str | Path) -> xr.Dataset:
    """Gather every cell of a sweep into one dataset.

    Parameters
    ----------
    sweep_dir
        A directory written by :func:`agents.sweep.run_sweep`.

    Returns
    -------
    xarray.Dataset
        Dims ``task``, ``model`` (``alrnn_P0``, ..., then baselines), ``seed``,
        ``train_trials`` and ``metric`` (the score keys). Variables: ``score``
        (task, model, seed, train_trials, metric); ``steps``,
        ``steps_to_criterion``, ``curriculum_stage``, ``regions_used``, ``regions_shared``,
        ``real_fixed_points`` (NaN where not measured); ``status``
        (``done``, ``failed`` or ``missing``) and ``error``. Coordinates
        ``relu_units`` and ``family`` on ``model`` (P is -1 for baselines),
        ``task_id`` and ``task_params`` (JSON) on ``task``. Select the
        AL-RNNs and index by P with
        ``ds.sel(model=ds.family == "alrnn").swap_dims(model="relu_units")``.
    """
    from agents.sweep import plan_cells, read_sweep

    sweep_dir = Path(sweep_dir)
    config = read_sweep(sweep_dir)
    cells = plan_cells(config)
    results = {}
    for cell in cells:
        path = sweep_dir / "cells" / cell.cell_id / RESULT_FILE
        results[cell] = read_json(path) if path.is_file() else {"status": "missing"}
    return _dataset(config, results)


def _dataset(config: Any, results: dict[Any, dict[str, Any]]) -> xr.Dataset:
    models = list(dict.fromkeys(cell.model for cell in results))
    family = {cell.model: cell.family for cell in results}
    relu = {
        cell.model: -1 if cell.relu_units is None else cell.relu_units
        for cell in results
    }
    metrics = list(
        dict.fromkeys(k for r in results.values() for k in r.get("scores", {}))
    )
    coords = {
        "task": [t.label for t in config.tasks],
        "model": models,
        "seed": list(config.seeds),
        "train_trials": list(config.train_trials),
        "metric": metrics,
    }
    shape = [len(coords[d]) for d in ("task", "model", "seed", "train_trials")]
    score = np.full([*shape, len(metrics)], np.nan)
    per_cell = {
        name: np.full(shape, np.nan) for name in (*_PER_CELL, "real_fixed_points")
    }
    status = np.full(shape, "missing", dtype=object)
    error = np.full(shape, "", dtype=object)
    for cell, result in results.items():
        index = (
            coords["task"].index(cell.task),
            models.index(cell.model),
            coords["seed"].index(cell.seed),
            coords["train_trials"].index(cell.train_trials),
        )
        status[index] = result["status"]
        error[index] = result.get("error", "")
        for k, metric in enumerate(metrics):
            value = result.get("scores", {}).get(metric)
            score[(*index, k)] = np.nan if value is None else value
        for name, values in per_cell.items():
            value = result.get(name)
            values[index] = np.nan if value is None else value
    return _assemble(config, coords, score, per_cell, status, error, family, relu)


def _assemble(
    config: Any,
    coords: dict[str, list[Any]],
    score: np.ndarray,
    per_cell: dict[str, np.ndarray],
    status: np.ndarray,
    error: np.ndarray,
    family: dict[str, str],
    relu: dict[str, int],
) -> xr.Dataset:
    from alrnn_tasks import __version__

    dims = ("task", "model", "seed", "train_trials")
    data = {"score": ((*dims, "metric"), score)}
    data.update({name: (dims, values) for name, values in per_cell.items()})
    data["status"] = (dims, status.astype(str))
    data["error"] = (dims, error.astype(str))
    ds = xr.Dataset(data, coords=coords)
    ds = ds.assign_coords(
        relu_units=("model", [relu[m] for m in coords["model"]]),
        family=("model", [family[m] for m in coords["model"]]),
        task_id=("task", [t.task_id for t in config.tasks]),
        task_params=(
            "task",
            [json.dumps(t.params, sort_keys=True) for t in config.tasks],
        ),
    )
    ds.attrs.update(
        sweep=config.name,
        units=config.units,
        criterion=config.criterion,
        eval_trials=config.eval_trials,
        package_version=__version__,
        sweep_config=json.dumps(config.to_dict(), sort_keys=True),
    )
    ds["score"].attrs["description"] = "task.score on fresh held-out trials"
    ds["steps_to_criterion"].attrs["description"] = (
        "first step with accuracy >= criterion"
    )
    ds["curriculum_stage"].attrs["description"] = (
        "last curriculum stage reached (0-based)"
    )
    ds["regions_used"].attrs["description"] = (
        "linear subregions visited on held-out trials"
    )
    ds["regions_shared"].attrs["description"] = (
        "subregions visited by more than one task"
    )
    ds["real_fixed_points"].attrs["description"] = (
        "real fixed points, first period's mean input"
    )
    return ds


def save_collected(ds: xr.Dataset, path: str | Path) -> Path:
    """Write a collected sweep to NetCDF (h5netcdf) atomically; return the path."""
    path = Path(path)
    if path.suffix != ".nc":
        raise ConfigError(
            f"collect writes NetCDF; the output must end in .nc, got {str(path)!r}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".nc"
    )
    os.close(handle)
    try:
        ds.to_netcdf(temporary, engine="h5netcdf")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
