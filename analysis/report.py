"""``alrnn analyze``: a dissection report of one trained AL-RNN run.

:func:`analyze_run` loads a run directory, records the model on fresh trials
of its task, and writes NetCDF tables, a JSON summary and PNG figures:

- ``occupancy.nc``, ``transitions.nc``: subregions used and transitions;
- ``fixed_points_<period>[_<context>].nc``: real fixed points for the mean
  input of each period (of each rule or task, when the trials have one),
  with stability (complex eigenvalues stored as ``*_real`` and ``*_imag``);
- ``gating.nc``, ``integration.nc``, ``amplification.nc``, ``memory.nc``
  and, for multi-task runs, ``task_variance.nc``: the primitives;
- ``region_raster.png``, ``fixed_point_portrait.png``;
- ``summary.json``: what :func:`format_summary` prints.

References
----------
Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from analysis.codes import occupancy, subregion_codes, transition_counts
from analysis.errors import AnalysisError
from analysis.fixed_points import fixed_points
from analysis.primitives import gating, integration, memory, transient_amplification

__all__ = ["analyze_run", "format_summary"]

# above this many nonlinear units the report searches instead of enumerating
EXACT_MAX_RELU_UNITS = 20
# context labels tried, in order, for gating and memory
CONTEXTS = ("rule", "task", "context")


def _save(dataset: xr.Dataset | xr.DataArray, path: Path) -> None:
    """Write NetCDF, splitting complex variables into real and imaginary parts."""
    if isinstance(dataset, xr.DataArray):
        dataset = dataset.to_dataset(name=dataset.name or "value")
    parts = {}
    for name, variable in dataset.data_vars.items():
        if np.iscomplexobj(variable.values):
            parts[f"{name}_real"] = variable.real
            parts[f"{name}_imag"] = variable.imag
        else:
            parts[name] = variable
    xr.Dataset(parts, attrs=dataset.attrs).to_netcdf(path, engine="h5netcdf")


def _record(
    model: Any, task: Any, n_trials: int, seed: int, *, fitted: bool = False
) -> dict[str, Any]:
    batch = task.batch(n_trials, seed=seed)
    with torch.no_grad():
        outputs, states = model(batch.inputs, return_states=True)
    # A model fitted to a recording reads out recorded units, not actions:
    # it is driven by the task's trials but has no task score.
    return {
        "batch": batch,
        "scores": {} if fitted else task.score(outputs, batch),
        "states": states.cpu().numpy(),
        "valid": batch.period.cpu().numpy() >= 0,  # padding has period -1
    }


def _input_groups(batch: Any) -> list[tuple[str, np.ndarray]]:
    """Name and ``(trial, time)`` mask of each period, split by context if any."""
    period = batch.period.cpu().numpy()
    context = _context(batch)
    groups = []
    for index, name in enumerate(batch.period_names):
        if context is None:
            groups.append((name, period == index))
            continue
        for value in np.unique(context[1]):
            chosen = (period == index) & (context[1] == value)[:, None]
            groups.append((f"{name}/{value}", chosen))
    return [(name, chosen) for name, chosen in groups if chosen.any()]


def _period_fixed_points(
    model: Any, recording: dict[str, Any], codes: np.ndarray, out_dir: Path
) -> dict[str, Any]:
    """Find fixed points for each period's (and context's) mean input."""
    batch = recording["batch"]
    inputs = batch.inputs.cpu().numpy()
    method = "exact" if model.relu_units <= EXACT_MAX_RELU_UNITS else "search"
    rows, results = {}, {}
    for name, chosen in _input_groups(batch):
        result = fixed_points(
            model,
            inputs[chosen].mean(0),
            method=method,
            initial_codes=np.unique(codes[chosen & (codes >= 0)]),
        )
        _save(result, out_dir / f"fixed_points_{name.replace('/', '_')}.nc")
        results[name] = result
        rows[name] = {
            "real": int(result.sizes["fixed_point"]),
            "stable": int(result["stable"].sum()),
            "codes": [str(b) for b in result["bits"].values],
            "degenerate": int(result["degenerate"].sum()),
        }
    return {"method": method, "periods": rows, "datasets": results}


def _context(batch: Any) -> tuple[str, np.ndarray] | None:
    for name in CONTEXTS:
        if name in batch.conditions:
            return name, np.asarray(batch.conditions[name])
    return None


def _primitives(
    model: Any, recording: dict[str, Any], codes: np.ndarray, out_dir: Path
) -> dict[str, Any]:
    batch, states = recording["batch"], recording["states"]
    visited = occupancy(codes, model.relu_units)["subregion"].values[:32]
    found: dict[str, Any] = {}
    context = _context(batch)
    if context is not None:
        name, labels = context
        gates = gating(states, labels, model.relu_units, mask=recording["valid"])
        _save(gates, out_dir / "gating.nc")
        explained = memory(states, labels, mask=recording["valid"])
        _save(explained, out_dir / "memory.nc")
        found["context"] = name
        found["gated_regions"] = [
            str(b) for b in gates["bits"].values[gates["gated"].values]
        ]
        found["largest_unit_effect"] = float(
            np.nanmax(gates["effect"].values, initial=0)
        )
        values = explained.values[np.isfinite(explained.values)]
        found["memory_explained_variance"] = (
            float(values.mean()) if values.size else float("nan")
        )
    slow = integration(model, visited, input_names=list(batch.input_names))
    _save(slow, out_dir / "integration.nc")
    integrating = slow["integrating"].any("subregion")
    found["integrated_inputs"] = [
        str(i) for i in slow["input"].values[integrating.values]
    ]
    amplification = transient_amplification(model, visited)
    _save(amplification, out_dir / "amplification.nc")
    found["non_normal_regions"] = int(amplification["non_normal"].sum())
    if "task" in batch.conditions:
        from analysis.task_variance import task_variance

        variance = task_variance(
            states, batch.conditions["task"], mask=recording["valid"]
        )
        _save(variance, out_dir / "task_variance.nc")
    return found


def _figures(
    model: Any,
    recording: dict[str, Any],
    codes: np.ndarray,
    points: dict,
    out_dir: Path,
) -> list[str]:
    from analysis.plots import plot_fixed_point_portrait, plot_region_raster

    batch = recording["batch"]
    figure = plot_region_raster(
        codes,
        model.relu_units,
        period=batch.period.cpu().numpy(),
        period_names=batch.period_names,
    )
    figure.savefig(out_dir / "region_raster.png", dpi=120)
    written = ["region_raster.png"]
    if points:
        name = max(points, key=lambda p: points[p].sizes["fixed_point"])
        context = _context(batch)
        figure = plot_fixed_point_portrait(
            points[name],
            recording["states"],
            labels=None if context is None else context[1],
        )
        figure.axes[0].set_title(f"fixed points, {name} input")
        figure.savefig(out_dir / "fixed_point_portrait.png", dpi=120)
        written.append("fixed_point_portrait.png")
    import matplotlib.pyplot as plt

    plt.close("all")
    return written


def analyze_run(
    run_dir: str | Path,
    out_dir: str | Path | None = None,
    *,
    n_trials: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    """Dissect the AL-RNN of a run directory and write a report.

    Parameters
    ----------
    run_dir
        A single-model run directory, as written by ``alrnn train`` or by
        ``alrnn fit`` (a model fitted to a recording is driven by the task's
        trials and dissected the same way; it has no task score).
    out_dir
        Where the report goes; ``RUN_DIR/analysis`` by default.
    n_trials, seed
        Fresh trials of the run's task the model is recorded on.

    Returns
    -------
    dict
        The summary also written to ``summary.json``: score, regions used,
        real fixed points per period with stability, primitives found and
        the files written.
    """
    from agents import load

    model, task = load(run_dir)
    if getattr(model.config, "kind", None) != "alrnn":
        raise AnalysisError(
            f"alrnn analyze needs an AL-RNN run, got a {model.config.kind!r} model "
            f"in {run_dir}; record it with `alrnn record` instead"
        )
    out_dir = Path(run_dir) / "analysis" if out_dir is None else Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    config = json.loads((Path(run_dir) / "config.json").read_text())
    fitted = "fit" in config
    fitted_to = config["fit"].get("recording") or "a recording" if fitted else None

    recording = _record(model, task, n_trials, seed, fitted=fitted)
    codes = subregion_codes(
        recording["states"], model.relu_units, mask=recording["valid"]
    )
    used = occupancy(codes, model.relu_units)
    _save(used, out_dir / "occupancy.nc")
    _save(transition_counts(codes), out_dir / "transitions.nc")
    points = _period_fixed_points(model, recording, codes, out_dir)
    primitives = _primitives(model, recording, codes, out_dir)
    figures = _figures(model, recording, codes, points.pop("datasets"), out_dir)

    summary = {
        "run_dir": str(run_dir),
        "task": getattr(task, "task_id", type(task).__name__),
        "units": model.config.units,
        "relu_units": model.relu_units,
        "accuracy": float(recording["scores"].get("accuracy", float("nan"))),
        "fitted_to": None if fitted_to is None else str(fitted_to),
        "regions_used": int(used.attrs["regions_used"]),
        "regions_possible": int(used.attrs["regions_possible"]),
        "fixed_points": points,
        "primitives": primitives,
        "figures": figures,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    """Return a short human-readable summary of :func:`analyze_run`'s result."""
    scored = (
        f"fitted to {summary['fitted_to']}"
        if summary.get("fitted_to")
        else f"accuracy {summary['accuracy']:.3f}"
    )
    lines = [
        f"{summary['task']}: AL-RNN M={summary['units']} P={summary['relu_units']}, "
        + scored,
        f"regions used: {summary['regions_used']} of {summary['regions_possible']}",
        f"real fixed points per period ({summary['fixed_points']['method']}):",
    ]
    for name, row in summary["fixed_points"]["periods"].items():
        codes = ", ".join(row["codes"][:6]) + (" ..." if len(row["codes"]) > 6 else "")
        lines.append(
            f"  {name:>22}: {row['real']} real, {row['stable']} stable  [{codes}]"
        )
    found = summary["primitives"]
    if "context" in found:
        lines.append(
            f"gating by {found['context']}: {len(found['gated_regions'])} gated "
            f"regions, largest unit effect {found['largest_unit_effect']:.2f}"
        )
    lines.append(
        f"integration: {', '.join(found['integrated_inputs']) or 'none'}; "
        f"non-normal pieces: {found['non_normal_regions']}"
    )
    return "\n".join(lines)
