"""Condition-averaged, time-aligned activity of a model and a recording.

:func:`align` is the first step of :func:`analysis.compare`; see there for
the rules. It is public so that plots and custom metrics can start from the
same matrices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr
from scipy.sparse import csr_matrix

from analysis.errors import ComparisonError
from analysis.recordings import check_activity_dataset

__all__ = ["AlignedActivity", "align", "condition_labels"]


@dataclass(frozen=True)
class AlignedActivity:
    """Model and recording activity on shared conditions and time bins.

    Parameters
    ----------
    model
        ``(condition, bin, model_unit)`` condition averages of the model.
    recording
        ``(condition, bin, recorded_unit)`` condition averages of the
        recording.
    labels
        ``(condition,)`` label of each condition, ``"rule=pitch|pitch=low"``.
    time
        ``(bin,)`` bin times in ms (the recording's time coordinate).
    conditions
        The condition names that define the labels.
    """

    model: np.ndarray
    recording: np.ndarray
    labels: np.ndarray
    time: np.ndarray
    conditions: tuple[str, ...]

    @property
    def n_conditions(self) -> int:
        """Number of shared conditions."""
        return int(self.model.shape[0])

    @property
    def n_bins(self) -> int:
        """Number of time bins kept."""
        return int(self.model.shape[1])


def condition_labels(
    ds: xr.Dataset, conditions: Sequence[str], role: str
) -> np.ndarray:
    """Return ``(trial,)`` labels ``"name=value|..."`` of the given conditions.

    Raises
    ------
    ComparisonError
        If a condition is not a ``trial`` coordinate of ``ds`` or has NaN.
    """
    parts = []
    for name in conditions:
        if name not in ds.coords or ds[name].dims != ("trial",):
            available = sorted(
                str(c) for c in ds.coords if ds[c].dims == ("trial",) and c != "trial"
            )
            raise ComparisonError(
                f"condition {name!r} is not a trial coordinate of the {role} dataset; "
                f"it has {available}"
            )
        values = ds[name].values
        if values.dtype.kind == "f" and np.isnan(values).any():
            raise ComparisonError(
                f"condition {name!r} of the {role} dataset has NaN labels; "
                "drop those trials or choose another condition"
            )
        parts.append(np.char.add(f"{name}=", values.astype(str)))
    labels = parts[0]
    for part in parts[1:]:
        labels = np.char.add(np.char.add(labels, "|"), part)
    return labels


def align(
    model_ds: xr.Dataset, recording_ds: xr.Dataset, conditions: Sequence[str]
) -> AlignedActivity:
    """Condition-average both datasets on shared labels and the recording's bins.

    Parameters
    ----------
    model_ds
        Model activity (its ``attrs["activity"]`` variable is used).
    recording_ds
        Recording (or second model) activity; its bins set the time axis.
    conditions
        Trial conditions whose label combinations are averaged over.

    Returns
    -------
    AlignedActivity
        Only conditions present in both and bins with data in every
        condition of both.

    Raises
    ------
    ComparisonError
        If conditions are missing, no labels are shared or no bin is covered.
    """
    if isinstance(conditions, str) or not conditions:
        raise ComparisonError(
            f"conditions must be a non-empty list of names, got {conditions!r}"
        )
    conditions = tuple(conditions)
    model_ds = check_activity_dataset(model_ds, "model")
    recording_ds = check_activity_dataset(recording_ds, "recording")
    model_labels = condition_labels(model_ds, conditions, "model")
    recording_labels = condition_labels(recording_ds, conditions, "recording")
    shared = np.intersect1d(model_labels, recording_labels)
    if shared.size == 0:
        raise ComparisonError(
            f"model and recording share no {'/'.join(conditions)} labels (model e.g. "
            f"{model_labels[0]!r}, recording e.g. {recording_labels[0]!r}); check "
            "their values"
        )

    edges = _bin_edges(recording_ds)
    align_to = recording_ds.attrs.get("align_to")
    averages = [
        _average(ds, _step_times(ds, align_to, role), labels, shared, edges)
        for ds, labels, role in (
            (model_ds, model_labels, "model"),
            (recording_ds, recording_labels, "recording"),
        )
    ]
    covered = np.all([np.isfinite(a).all(axis=(0, 2)) for a in averages], axis=0)
    if not covered.any():
        raise ComparisonError(
            "no time bin has data for every shared condition in both datasets; "
            "check the recording's window against the model's trial length"
        )
    time = recording_ds["time"].values[covered]
    return AlignedActivity(
        averages[0][:, covered], averages[1][:, covered], shared, time, conditions
    )


def _bin_edges(ds: xr.Dataset) -> np.ndarray:
    """Return the ``(bin + 1,)`` edges in ms of the bins of ``ds``."""
    time = ds["time"].values.astype(float)
    if ds.attrs.get("source") == "model":
        dt = float(ds.attrs.get("dt", np.diff(time).min() if time.size > 1 else 1.0))
        return np.append(time, time[-1] + dt)
    default = np.diff(time).min() if time.size > 1 else 1.0
    width = float(ds.attrs.get("bin_size", default))
    return np.append(time - width / 2, time[-1] + width / 2)


def _step_times(ds: xr.Dataset, align_to: str | None, role: str) -> np.ndarray:
    """Return ``(trial, time)`` ms of each step's centre relative to the event."""
    time = ds["time"].values.astype(float)
    n_trials = ds.sizes["trial"]
    if ds.attrs.get("source") != "model":
        return np.broadcast_to(time, (n_trials, time.size))
    dt = float(ds.attrs.get("dt", np.diff(time).min() if time.size > 1 else 1.0))
    centres = np.broadcast_to(time + dt / 2, (n_trials, time.size))
    if align_to is None:
        return centres
    if align_to not in ds.coords or ds[align_to].dims != ("trial",):
        raise ComparisonError(
            f"the recording is aligned to {align_to!r} but the {role} dataset has no "
            f"such trial condition; record a task that marks it or realign"
        )
    events = ds[align_to].values.astype(float)
    if not np.isfinite(events).all():
        raise ComparisonError(
            f"{align_to!r} is NaN in some {role} trials; drop them before comparing"
        )
    return centres - events[:, None]


def _average(
    ds: xr.Dataset,
    step_times: np.ndarray,
    labels: np.ndarray,
    shared: np.ndarray,
    edges: np.ndarray,
) -> np.ndarray:
    """Return ``(condition, bin, unit)`` means over trials and steps in each bin."""
    values = ds[ds.attrs["activity"]].values  # (trial, time, unit)
    n_bins, n_units = edges.size - 1, values.shape[-1]
    label_index = np.searchsorted(shared, labels)
    known = shared[np.minimum(label_index, shared.size - 1)] == labels
    bin_index = np.searchsorted(edges, step_times, side="right") - 1
    valid = (
        (bin_index >= 0)
        & (bin_index < n_bins)
        & known[:, None]
        & np.isfinite(values).all(-1)
    )

    # one sparse row per (condition, bin) summing its (trial, step) entries;
    # the product never reads the NaN padding, which has no stored entry
    group = (label_index[:, None] * n_bins + bin_index)[valid]
    matrix = csr_matrix(
        (np.ones(group.size), (group, np.flatnonzero(valid))),
        shape=(shared.size * n_bins, valid.size),
    )
    sums = matrix @ values.reshape(-1, n_units)
    counts = np.asarray(matrix.sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / counts, np.nan)
    return means.reshape(shared.size, n_bins, n_units)
