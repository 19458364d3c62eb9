"""Nonlinearity necessity: task score as a function of the nonlinear units P.

Brenner & Koppe (2026) train AL-RNNs with increasing numbers P of nonlinear
units and read the smallest P that solves a task as how much nonlinearity
the task needs. This module scores a set of trained models on the same
trials, groups the scores by P (mean and spread over seeds), per task and
per condition group (e.g. congruent vs incongruent stimulus-selection
trials), and reports the smallest P whose mean score reaches a criterion.

References
----------
Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import torch
import xarray as xr

from analysis.errors import AnalysisError

__all__ = ["necessity_curve", "score_models", "smallest_sufficient"]


def _flatten(scores: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """Flatten nested score dicts to ``{"group/name": value}`` of numbers."""
    flat: dict[str, float] = {}
    for key, value in scores.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{name}/"))
        elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
            flat[name] = float(value)
    return flat


def score_models(
    models: Iterable[Any], task: Any, *, n_trials: int = 512, seed: int = 0
) -> list[dict[str, float]]:
    """Score each model with ``task.score`` on the same held-out trials.

    Parameters
    ----------
    models
        Trained models mapping inputs to outputs (``model(inputs)``).
    task
        The task they were trained on.
    n_trials, seed
        Trials scored, drawn with ``task.batch(n_trials, seed=seed)``.

    Returns
    -------
    list of dict
        Per model, its flattened scores (nested groups joined by ``/``).
    """
    batch = task.batch(n_trials, seed=seed)
    results = []
    for model in models:
        with torch.no_grad():
            outputs = model(batch.inputs)
        results.append(_flatten(task.score(outputs, batch)))
    return results


def necessity_curve(
    relu_units: Iterable[int],
    scores: Iterable[Mapping[str, Any]],
    *,
    seeds: Iterable[int] | None = None,
) -> xr.Dataset:
    """Collect scores of models trained at several P into score-vs-P curves.

    Parameters
    ----------
    relu_units
        P of each model.
    scores
        Each model's scores (as from ``task.score`` or :func:`score_models`);
        nested groups are flattened to ``group/name``.
    seeds
        Seed of each model (for the ``seed`` axis); model order by default.

    Returns
    -------
    xarray.Dataset
        ``score`` (relu_units, seed, metric), NaN where a model is missing;
        ``mean`` and ``std`` over seeds (relu_units, metric).
    """
    relu_units = [int(p) for p in relu_units]
    flat = [_flatten(s) for s in scores]
    if len(flat) != len(relu_units):
        raise AnalysisError(
            f"need one score dict per model: {len(relu_units)} P values but "
            f"{len(flat)} score dicts"
        )
    seeds = list(range(len(flat))) if seeds is None else [int(s) for s in seeds]
    metrics = sorted({name for s in flat for name in s})
    p_values, seed_values = sorted(set(relu_units)), sorted(set(seeds))
    table = np.full((len(p_values), len(seed_values), len(metrics)), np.nan)
    for p, seed, values in zip(relu_units, seeds, flat, strict=True):
        row = table[p_values.index(p), seed_values.index(seed)]
        row[:] = [values.get(m, np.nan) for m in metrics]
    score = xr.DataArray(
        table,
        dims=("relu_units", "seed", "metric"),
        coords={"relu_units": p_values, "seed": seed_values, "metric": metrics},
    )
    return xr.Dataset(
        {"score": score, "mean": score.mean("seed"), "std": score.std("seed")}
    )


def smallest_sufficient(curve: xr.Dataset, criterion: float) -> xr.DataArray:
    """Return, per metric, the smallest P whose mean score reaches ``criterion``.

    Parameters
    ----------
    curve
        Output of :func:`necessity_curve`.
    criterion
        Score to reach (e.g. 0.9 accuracy).

    Returns
    -------
    xarray.DataArray
        ``(metric,)``; -1 where no P reaches the criterion.
    """
    reached = (curve["mean"] >= criterion).values  # (relu_units, metric)
    p_values = curve["relu_units"].values
    first = np.where(reached.any(0), p_values[reached.argmax(0)], -1)
    return xr.DataArray(
        first,
        dims="metric",
        coords={"metric": curve["metric"].values},
        name="smallest_relu_units",
        attrs={"criterion": criterion},
    )
