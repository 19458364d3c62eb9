"""Neural recordings in the schema of model activity (:mod:`analysis.record`).

A recording becomes an :class:`xarray.Dataset` with dims ``trial``, ``time``
(ms relative to an aligning event, bin centres) and ``unit``; variables
``spikes`` (spike counts per bin, int32) and ``rates`` (spikes/s, float32,
optionally Gaussian-smoothed); every trial-table column as a coordinate on
``trial``; attrs ``source="recording"``, ``activity="rates"``, ``align_to``,
``bin_size`` and ``dt`` (ms), ``window`` (ms), ``smooth`` (ms).

Sources: spike times per unit plus a trial table (:func:`from_spike_times`),
NWB files (:func:`analysis.recordings_nwb.from_nwb`), NetCDF or Zarr files
(:func:`from_netcdf`), and sessions laid out like CRCNS pfc-1
(:func:`analysis.recordings_pfc1.load_pfc1_session`). :func:`load_recording`
picks one by the path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy.ndimage import gaussian_filter1d

from analysis.errors import RecordingError

__all__ = [
    "TIME_UNITS",
    "check_activity_dataset",
    "from_netcdf",
    "from_spike_times",
    "load_recording",
]

# factor from each unit to ms, the time unit of every dataset
TIME_UNITS = {"s": 1000.0, "ms": 1.0}
ACTIVITY_VARIABLES = ("rates", "spikes", "states")


def from_spike_times(
    spike_times: Mapping[Any, Any] | Sequence[Any],
    trials: Mapping[str, Any],
    *,
    align_to: str,
    window: tuple[float, float],
    bin_size: float = 20.0,
    smooth: float = 0.0,
    conditions: Sequence[str] | None = None,
    time_unit: str = "s",
    recording_span: tuple[float, float] | None = None,
) -> xr.Dataset:
    """Bin spike times into trials aligned to an event of a trial table.

    Parameters
    ----------
    spike_times
        Spike times of each unit (1-D arrays in ``time_unit``), as a mapping
        from unit name to times or a sequence (units named 0, 1, ...).
    trials
        The trial table: a mapping (or :class:`pandas.DataFrame`) of equally
        long columns, one row per trial: event times in ``time_unit`` and
        condition labels.
    align_to
        Column of event times that ``time = 0`` marks in every trial (e.g.
        ``"stim_onset"``).
    window
        ``(start, stop)`` in ms relative to the event; ``stop - start`` must
        be a whole number of bins.
    bin_size
        Bin width in ms.
    smooth
        S.d. in ms of a Gaussian smoothing ``rates`` over time (0: none).
    conditions
        Columns that must be present (for instance the conditions a
        comparison will use); every column becomes a coordinate either way.
    time_unit
        ``"s"`` or ``"ms"``: unit of the spike times and event columns.
    recording_span
        ``(start, stop)`` of the recording in ``time_unit``; by default from
        0 to the last spike. Events outside it are an error.

    Returns
    -------
    xarray.Dataset
        The recording schema of :mod:`analysis.recordings`.

    Raises
    ------
    RecordingError
        For missing columns, NaN, mismatched trial counts, units without
        spikes, events outside the recording or a bad window.

    Examples
    --------
    >>> ds = from_spike_times(
    ...     {"u1": [0.105, 0.51, 1.125]},
    ...     {"stim_onset": [0.1, 1.1], "block": [1, 3]},
    ...     align_to="stim_onset", window=(0.0, 40.0), bin_size=20.0,
    ... )
    >>> ds["spikes"].values[:, :, 0].tolist()
    [[1, 0], [0, 1]]
    """
    scale = _time_scale(time_unit)
    n_bins = _check_binning(window, bin_size, smooth)
    table = _trial_table(trials, [align_to, *(conditions or [])])
    units, times = _spike_trains(spike_times, scale)
    events = _event_times(table, align_to, scale)
    _check_span(events, times, recording_span, scale, align_to)

    # (trial, bin + 1) edges in ms; a spike on an edge counts in the later bin
    edges = events[:, None] + window[0] + bin_size * np.arange(n_bins + 1)
    counts = np.empty((len(events), n_bins, len(units)), dtype=np.int32)
    for index, train in enumerate(times):
        counts[:, :, index] = np.diff(np.searchsorted(train, edges), axis=1)
    rates = counts.astype(np.float32) * np.float32(1000.0 / bin_size)
    if smooth > 0:
        rates = gaussian_filter1d(rates, smooth / bin_size, axis=1, mode="nearest")

    centres = window[0] + bin_size * (np.arange(n_bins) + 0.5)
    return _recording_dataset(
        counts,
        rates,
        table,
        units,
        centres,
        attrs={
            "align_to": align_to,
            "bin_size": float(bin_size),
            "dt": float(bin_size),
            "window": np.asarray(window, dtype=float),
            "smooth": float(smooth),
        },
    )


def _time_scale(time_unit: str) -> float:
    if time_unit not in TIME_UNITS:
        raise RecordingError(
            f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}"
        )
    return TIME_UNITS[time_unit]


def _check_binning(window: tuple[float, float], bin_size: float, smooth: float) -> int:
    """Return the number of bins of ``window``; raise on a window that cannot work."""
    if not (isinstance(bin_size, int | float) and np.isfinite(bin_size)) or (
        bin_size <= 0
    ):
        raise RecordingError(f"bin_size must be a number > 0 ms, got {bin_size!r}")
    if len(window) != 2 or not np.all(np.isfinite(window)) or window[1] <= window[0]:
        raise RecordingError(
            f"window must be (start, stop) ms with start < stop, got {window!r}"
        )
    n_bins = (window[1] - window[0]) / bin_size
    if abs(n_bins - round(n_bins)) > 1e-9:
        raise RecordingError(
            f"window {tuple(window)} ms is not a whole number of {bin_size} ms bins; "
            "widen the window or change bin_size"
        )
    if not np.isfinite(smooth) or smooth < 0:
        raise RecordingError(f"smooth must be an s.d. >= 0 ms, got {smooth!r}")
    return round(n_bins)


def _trial_table(trials: Mapping[str, Any], required: Sequence[str]) -> dict:
    """Return the trial table as a dict of equally long 1-D numpy columns."""
    if not hasattr(trials, "keys"):
        raise RecordingError(
            "trials must be a mapping (or DataFrame) of columns, "
            f"got {type(trials).__name__}"
        )
    table = {str(name): _column(trials[name]) for name in trials.keys()}
    missing = [name for name in required if name not in table]
    if missing:
        raise RecordingError(
            f"trial table lacks columns {missing}; it has {sorted(table)}; "
            "add them or choose other conditions/align_to"
        )
    lengths = {name: len(column) for name, column in table.items()}
    if len(set(lengths.values())) > 1:
        raise RecordingError(
            f"trial table columns differ in length (trial counts {lengths}); "
            "give one row per trial in every column"
        )
    if not lengths or next(iter(lengths.values())) == 0:
        raise RecordingError("trial table has no trials; give at least one row")
    return table


def _column(values: Any) -> np.ndarray:
    column = np.asarray(values)
    if column.ndim != 1:
        raise RecordingError(
            f"trial table columns must be 1-D, got shape {column.shape}"
        )
    if column.dtype == object:
        kinds = {type(v) for v in column.tolist()}
        column = column.astype(str if str in kinds else float)
    return column


def _spike_trains(
    spike_times: Mapping[Any, Any] | Sequence[Any], scale: float
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Return unit names and sorted spike times in ms, one array per unit."""
    if isinstance(spike_times, Mapping):
        names, trains = list(spike_times.keys()), list(spike_times.values())
    else:
        names, trains = list(range(len(spike_times))), list(spike_times)
    if not names:
        raise RecordingError("no units given; pass spike times of at least one unit")
    times = []
    for name, train in zip(names, trains, strict=True):
        train = np.asarray(train, dtype=float)
        if train.ndim != 1:
            raise RecordingError(
                f"spike times of unit {name!r} must be 1-D, got shape {train.shape}"
            )
        if train.size == 0:
            raise RecordingError(f"unit {name!r} has no spikes; drop it before loading")
        if not np.all(np.isfinite(train)):
            raise RecordingError(
                f"spike times of unit {name!r} contain NaN or inf; remove them"
            )
        times.append(np.sort(train) * scale)
    return np.asarray([str(name) for name in names]), times


def _event_times(table: dict, align_to: str, scale: float) -> np.ndarray:
    column = table[align_to]
    if column.dtype.kind not in "iuf":
        raise RecordingError(
            f"align_to column {align_to!r} must hold event times, got {column.dtype}"
        )
    events = column.astype(float)
    missing = np.flatnonzero(~np.isfinite(events))
    if missing.size:
        raise RecordingError(
            f"{align_to!r} is NaN in {missing.size} trials (first: {missing[:5].tolist()}); "
            "drop those trials or align to another event"
        )
    return events * scale


def _check_span(
    events: np.ndarray,
    times: list[np.ndarray],
    span: tuple[float, float] | None,
    scale: float,
    align_to: str,
) -> None:
    start, stop = (
        (0.0, max(float(train[-1]) for train in times))
        if span is None
        else (span[0] * scale, span[1] * scale)
    )
    outside = np.flatnonzero((events < start) | (events > stop))
    if outside.size:
        raise RecordingError(
            f"{outside.size} {align_to!r} events lie outside the recording "
            f"[{start:g}, {stop:g}] ms (first trial {outside[0]}); check the time "
            "unit or the recording_span"
        )


def _recording_dataset(
    counts: np.ndarray,
    rates: np.ndarray,
    table: dict,
    units: np.ndarray,
    centres: np.ndarray,
    attrs: dict,
) -> xr.Dataset:
    trial = table.pop("trial", np.arange(counts.shape[0]))
    coords: dict[str, Any] = {
        "trial": trial,
        "time": ("time", centres, {"units": "ms"}),
        "unit": units,
        "unit_kind": ("unit", np.full(len(units), "recorded")),
    }
    coords.update({name: ("trial", column) for name, column in table.items()})
    data_vars = {
        "spikes": (("trial", "time", "unit"), counts),
        "rates": (("trial", "time", "unit"), rates, {"units": "spikes/s"}),
    }
    attrs = {"source": "recording", "activity": "rates", **attrs}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


# -- files --------------------------------------------------------------------


def check_activity_dataset(ds: xr.Dataset, origin: str = "dataset") -> xr.Dataset:
    """Check that ``ds`` follows the activity schema; return it with ``activity`` set.

    Parameters
    ----------
    ds
        A model recording (:func:`analysis.record`) or a neural recording.
    origin
        What ``ds`` came from, for error messages (a path, say).

    Returns
    -------
    xarray.Dataset
        ``ds``, with ``attrs["activity"]`` naming its activity variable.

    Raises
    ------
    RecordingError
        If dims, the activity variable or the time coordinate are missing,
        or a recording has NaN activity.
    """
    if not isinstance(ds, xr.Dataset):
        raise RecordingError(
            f"{origin} must be an xarray.Dataset, got {type(ds).__name__}"
        )
    activity = ds.attrs.get("activity") or next(
        (name for name in ACTIVITY_VARIABLES if name in ds), None
    )
    if activity not in ds:
        raise RecordingError(
            f"{origin} has no activity variable (one of {list(ACTIVITY_VARIABLES)} "
            f"or attrs['activity']); it has {sorted(ds.data_vars)}"
        )
    dims = ds[activity].dims
    if set(dims) != {"trial", "time", "unit"}:
        raise RecordingError(
            f"{origin}: {activity!r} must have dims (trial, time, unit), got {dims}; "
            "rename its dims"
        )
    if "time" not in ds.coords or not np.all(np.diff(ds["time"].values) > 0):
        raise RecordingError(
            f"{origin} needs an increasing 'time' coordinate in ms; assign one"
        )
    if ds.attrs.get("source") != "model" and np.isnan(ds[activity].values).any():
        raise RecordingError(
            f"{origin}: {activity!r} contains NaN; drop or fill those trials/bins"
        )
    return ds.assign_attrs(activity=activity).transpose("trial", "time", "unit", ...)


def from_netcdf(path: str | Path) -> xr.Dataset:
    """Load a NetCDF (``.nc``) or Zarr (``.zarr``) activity dataset and check it.

    Parameters
    ----------
    path
        A file written by :func:`analysis.save_dataset` or by the user, with
        an activity variable of dims ``(trial, time, unit)``.

    Returns
    -------
    xarray.Dataset
        The dataset, checked by :func:`check_activity_dataset`.
    """
    from analysis.record import load_dataset

    return check_activity_dataset(load_dataset(path), origin=str(path))


def load_recording(path: str | Path, **options: Any) -> xr.Dataset:
    """Load a recording or model dataset by its path.

    ``.nc`` and ``.zarr`` load with :func:`from_netcdf`; ``.nwb`` with
    :func:`analysis.recordings_nwb.from_nwb` (``options`` go to it); a folder
    laid out like CRCNS pfc-1 with
    :func:`analysis.recordings_pfc1.load_pfc1_session`.

    Parameters
    ----------
    path
        The file or folder.
    **options
        Binning options (``align_to``, ``window``, ``bin_size``, ...) for NWB
        and pfc-1 sources.

    Returns
    -------
    xarray.Dataset
        The activity schema.
    """
    path = Path(path)
    if path.suffix in (".nc", ".zarr"):
        return from_netcdf(path)
    if path.suffix == ".nwb":
        from analysis.recordings_nwb import from_nwb

        return from_nwb(path, **options)
    if path.is_dir():
        from analysis.recordings_pfc1 import load_pfc1_session

        return load_pfc1_session(path, **options)
    raise RecordingError(
        f"cannot tell the format of {str(path)!r}; expected .nc, .zarr, .nwb or a "
        "pfc-1 session folder"
    )
