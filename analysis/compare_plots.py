"""Figures of a model-versus-recording comparison (matplotlib).

Both start from :func:`analysis.compare_align.align`, so they show exactly
the condition averages and bins that :func:`analysis.compare` scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from analysis.compare_align import align
from analysis.errors import ComparisonError

__all__ = ["plot_projection", "plot_psths"]


def plot_psths(
    model_ds: xr.Dataset,
    recording_ds: xr.Dataset,
    *,
    conditions: Sequence[str],
    model_units: Sequence[int] = (0, 1, 2),
    recorded_units: Sequence[int] = (0, 1, 2),
) -> Any:
    """Plot condition-averaged PSTHs of model units beside recorded units.

    Parameters
    ----------
    model_ds, recording_ds
        As for :func:`analysis.compare`.
    conditions
        Conditions whose label combinations are the lines of each panel.
    model_units, recorded_units
        Positions (not names) of the units to show, one row each.

    Returns
    -------
    matplotlib.figure.Figure
        Two columns (model, recording), one row per unit pair.
    """
    import matplotlib.pyplot as plt

    aligned = align(model_ds, recording_ds, conditions)
    rows = max(len(model_units), len(recorded_units))
    figure, axes = plt.subplots(
        rows, 2, figsize=(8, 2.2 * rows), sharex=True, squeeze=False
    )
    columns = (
        (aligned.model, model_units, "model unit"),
        (aligned.recording, recorded_units, "recorded unit"),
    )
    for column, (activity, units, title) in enumerate(columns):
        for row, unit in enumerate(units):
            if not 0 <= unit < activity.shape[-1]:
                raise ComparisonError(
                    f"{title} {unit} does not exist; choose 0..{activity.shape[-1] - 1}"
                )
            axis = axes[row, column]
            for index, label in enumerate(aligned.labels):
                axis.plot(aligned.time, activity[index, :, unit], label=label, lw=1)
            axis.set_title(f"{title} {unit}", fontsize=9)
        for axis in axes[len(units) :, column]:
            axis.set_visible(False)
    axes[-1, 0].set_xlabel("time (ms)")
    axes[-1, 1].set_xlabel("time (ms)")
    axes[0, 1].legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    return figure


def plot_projection(
    model_ds: xr.Dataset,
    recording_ds: xr.Dataset,
    *,
    conditions: Sequence[str],
) -> Any:
    """Plot both populations' condition trajectories in a shared 2-D space.

    The recording is projected on its first two principal components; the
    model is mapped into the same space by the orthogonal Procrustes map of
    its centred, unit-norm activity onto the recording's, so that the two
    panels are directly comparable (Williams et al. 2021).

    Parameters
    ----------
    model_ds, recording_ds
        As for :func:`analysis.compare`.
    conditions
        Conditions whose label combinations are the trajectories.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, recording and aligned model.
    """
    import matplotlib.pyplot as plt

    aligned = align(model_ds, recording_ds, conditions)
    shape = aligned.model.shape[:2]
    X = aligned.model.reshape(-1, aligned.model.shape[-1])
    Y = aligned.recording.reshape(-1, aligned.recording.shape[-1])
    X = X - X.mean(0)
    Y = Y - Y.mean(0)
    X, Y = X / np.linalg.norm(X), Y / np.linalg.norm(Y)

    # orthogonal map of X onto Y (zero-padding the narrower one)
    width = max(X.shape[1], Y.shape[1])
    X_pad = np.pad(X, ((0, 0), (0, width - X.shape[1])))
    Y_pad = np.pad(Y, ((0, 0), (0, width - Y.shape[1])))
    U, _, Vt = np.linalg.svd(X_pad.T @ Y_pad)
    X_mapped = X_pad @ U @ Vt
    _, _, components = np.linalg.svd(Y_pad, full_matrices=False)
    projections = [m @ components[:2].T for m in (Y_pad, X_mapped)]

    figure, axes = plt.subplots(1, 2, figsize=(9, 4), sharex=True, sharey=True)
    for axis, points, title in zip(
        axes, projections, ("recording", "model (aligned)"), strict=True
    ):
        points = points.reshape(*shape, 2)
        for index, label in enumerate(aligned.labels):
            line = axis.plot(*points[index].T, lw=1, label=label)[0]
            axis.plot(*points[index, 0], "o", color=line.get_color(), ms=3)
        axis.set_title(title)
        axis.set_xlabel("PC 1 of recording")
    axes[0].set_ylabel("PC 2 of recording")
    axes[1].legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    return figure
