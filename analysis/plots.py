"""Figures of the dissection: region rasters, fixed-point portraits, score vs P.

Every function returns a :class:`matplotlib.figure.Figure` (drawn with the
non-interactive Agg backend unless another is active) and takes the
outputs of :mod:`analysis.codes`, :func:`analysis.fixed_points` and
:func:`analysis.necessity_curve`.

References
----------
Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS* (symbolic-code rasters).

Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR* (score
vs P).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from analysis.codes import _to_numpy, code_strings
from analysis.errors import AnalysisError

__all__ = ["plot_fixed_point_portrait", "plot_necessity", "plot_region_raster"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_region_raster(
    codes: np.ndarray,
    relu_units: int,
    *,
    period: np.ndarray | None = None,
    period_names: Sequence[str] | None = None,
    trials: Sequence[int] | None = None,
    max_regions: int = 12,
) -> Any:
    """Plot the subregion visited at each step of a few trials.

    Parameters
    ----------
    codes
        ``(trial, time)`` codes (-1 for padding).
    relu_units
        Number P of nonlinear units.
    period, period_names
        ``(trial, time)`` period index and names, to mark period starts.
    trials
        Trials to show (the first 20 by default).
    max_regions
        The most occupied regions get their own colour; the rest share one.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    codes = np.asarray(codes)
    if codes.ndim != 2:
        raise AnalysisError(f"codes must be (trial, time), got shape {codes.shape}")
    trials = list(range(min(20, len(codes)))) if trials is None else list(trials)
    shown = codes[trials]
    visited, counts = np.unique(shown[shown >= 0], return_counts=True)
    top = visited[np.argsort(-counts, kind="stable")][:max_regions]
    image = np.full(shown.shape, np.nan)
    for index, code in enumerate(top):
        image[shown == code] = index
    image[(shown >= 0) & np.isnan(image)] = len(top)

    figure, ax = plt.subplots(figsize=(8, 0.25 * len(trials) + 1.5))
    colours = plt.get_cmap("tab20", len(top) + 1)
    ax.imshow(
        image,
        aspect="auto",
        interpolation="nearest",
        cmap=colours,
        vmin=-0.5,
        vmax=len(top) + 0.5,
    )
    if period is not None:
        starts = np.flatnonzero(np.diff(np.asarray(period)[trials[0]]) != 0) + 1
        for start in starts:
            ax.axvline(start - 0.5, color="k", lw=0.8)
        if period_names is not None:
            labels = np.asarray(period)[trials[0]][np.r_[0, starts]]
            for start, label in zip(np.r_[0, starts], labels, strict=True):
                if label >= 0:
                    ax.text(start, -0.7, period_names[label], fontsize=8)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=colours(i))
        for i in range(len(top) + (len(visited) > len(top)))
    ]
    names = list(code_strings(top, relu_units)) + ["other"] * (len(visited) > len(top))
    ax.legend(
        handles,
        names,
        title="subregion",
        fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
    )
    ax.set(
        xlabel="time step",
        ylabel="trial",
        yticks=range(len(trials)),
        yticklabels=trials,
    )
    figure.tight_layout()
    return figure


def _principal_axes(states: np.ndarray, dims: int = 2) -> tuple[np.ndarray, np.ndarray]:
    flat = states.reshape(-1, states.shape[-1])
    flat = flat[np.isfinite(flat).all(-1)]
    mean = flat.mean(0)
    _, _, vt = np.linalg.svd(flat - mean, full_matrices=False)
    return mean, vt[:dims]


def plot_fixed_point_portrait(
    fixed_points: xr.Dataset,
    states: Any,
    *,
    labels: Any = None,
    max_trials: int = 50,
) -> Any:
    """Plot trajectories and fixed points in the top two principal components.

    Parameters
    ----------
    fixed_points
        Output of :func:`analysis.fixed_points`; stable points are filled,
        unstable ones open, virtual ones grey crosses.
    states
        ``(trial, time, unit)`` trajectories defining the projection.
    labels
        ``(trial,)`` condition colouring the trajectories.
    max_trials
        Trajectories drawn.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    states = np.asarray(_to_numpy(states), dtype=np.float64)
    mean, axes = _principal_axes(states)
    labels = np.zeros(len(states)) if labels is None else np.asarray(_to_numpy(labels))
    groups = list(np.unique(labels))
    colours = plt.get_cmap("tab10")
    figure, ax = plt.subplots(figsize=(5, 4.5))
    for trial in range(min(max_trials, len(states))):
        path = (states[trial] - mean) @ axes.T
        colour = colours(groups.index(labels[trial]) % 10)
        ax.plot(path[:, 0], path[:, 1], color=colour, lw=0.6, alpha=0.5)
    for group in groups if len(groups) > 1 else []:
        ax.plot([], [], color=colours(groups.index(group) % 10), label=str(group))

    points = (fixed_points["state"].values - mean) @ axes.T
    real = fixed_points["real"].values
    stable = fixed_points["stable"].values
    ax.scatter(*points[real & stable].T, s=60, c="k", label="stable", zorder=3)
    ax.scatter(
        *points[real & ~stable].T,
        s=60,
        facecolors="none",
        edgecolors="k",
        label="unstable",
        zorder=3,
    )
    ax.scatter(*points[~real].T, s=20, marker="x", c="0.6", label="virtual", zorder=2)
    ax.set(xlabel="PC 1", ylabel="PC 2")
    ax.legend(fontsize=7)
    figure.tight_layout()
    return figure


def plot_necessity(
    curve: xr.Dataset,
    metrics: Sequence[str] = ("accuracy",),
    *,
    criterion: float | None = None,
) -> Any:
    """Plot score against the number of nonlinear units P (mean ± s.d.).

    Parameters
    ----------
    curve
        Output of :func:`analysis.necessity_curve`.
    metrics
        Metrics to draw, e.g. ``("accuracy/congruent", "accuracy/incongruent")``.
    criterion
        Draws a horizontal line at this score.

    Returns
    -------
    matplotlib.figure.Figure
    """
    plt = _pyplot()
    missing = [m for m in metrics if m not in curve["metric"].values]
    if missing:
        raise AnalysisError(
            f"metrics {missing} are not in the curve; available: "
            f"{list(curve['metric'].values)}"
        )
    figure, ax = plt.subplots(figsize=(5, 3.5))
    p_values = curve["relu_units"].values
    for metric in metrics:
        mean = curve["mean"].sel(metric=metric).values
        spread = np.nan_to_num(curve["std"].sel(metric=metric).values)
        ax.errorbar(p_values, mean, yerr=spread, marker="o", capsize=3, label=metric)
    if criterion is not None:
        ax.axhline(criterion, color="k", ls="--", lw=0.8)
    ax.set(xlabel="nonlinear units P", ylabel="score", xticks=p_values)
    ax.legend(fontsize=7)
    figure.tight_layout()
    return figure
