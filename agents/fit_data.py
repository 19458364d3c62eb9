"""A recording made ready for fitting: activity, rebuilt inputs, labels and split.

The recording arrives in the schema of :mod:`analysis.recordings`: an
:class:`xarray.Dataset` with ``spikes`` (counts per bin) and/or ``rates``
(spikes/s) of dims ``(trial, time, unit)``, bin centres in ms relative to
the aligning event (``attrs["align_to"]``), and the trial table (conditions
and event times) as coordinates on ``trial``.

The stimuli each trial delivered are rebuilt by the task's own encoder
(:meth:`alrnn_tasks.stimulus_selection.StimulusSelection.encode_inputs`) from
the trial's conditions and event times, sampled at the start of each bin, so
that the model sees exactly the inputs the task would have given for that
trial. Recordings of other tasks carry their inputs as a variable ``inputs``
of dims ``(trial, time, input)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
from scipy.ndimage import gaussian_filter1d

from agents.errors import FitDataError
from agents.fit_config import FitConfig
from alrnn_tasks import Task
from alrnn_tasks.errors import AlrnnTasksError

__all__ = ["FitData", "encoder_features", "load_fit_recording", "prepare", "split"]

MIN_TRIALS = 10  # fewer cannot be split into training, validation and test trials
TIME_SCALE = {"s": 1000.0, "ms": 1.0}  # to ms


@dataclass(frozen=True)
class FitData:
    """Arrays of one recording, ready for :func:`agents.fit`.

    Parameters
    ----------
    data
        ``(trial, time, unit)`` float32: spike counts per bin (Poisson) or
        rates in spikes/s (Gaussian).
    inputs
        ``(trial, time, input)`` float32 inputs rebuilt by the task.
    unit_names
        One name per recorded unit.
    dt
        Bin width in ms.
    conditions
        ``(trial,)`` arrays: every trial-table column.
    labels
        ``(trial,)`` integer class of the read-out condition, or ``None``.
    label_names
        Class names of ``labels``.
    """

    data: np.ndarray
    inputs: np.ndarray
    unit_names: list[str]
    dt: float
    conditions: dict[str, np.ndarray]
    labels: np.ndarray | None
    label_names: list[str]

    @property
    def n_trials(self) -> int:
        """Recorded trials."""
        return self.data.shape[0]


def load_fit_recording(recording: str | Path | xr.Dataset) -> xr.Dataset:
    """Return the recording as a dataset; paths load through :mod:`analysis`.

    Parameters
    ----------
    recording
        A ``.nc``/``.zarr``/``.nwb`` file or pfc-1 folder, or a dataset.
    """
    if isinstance(recording, xr.Dataset):
        return recording
    if not isinstance(recording, str | Path):
        raise FitDataError(
            "recording must be a path (.nc, .nwb, pfc-1 folder) or an xarray.Dataset, "
            f"got {type(recording).__name__}"
        )
    from analysis.errors import AnalysisError
    from analysis.recordings import load_recording

    try:
        return load_recording(recording)
    except AnalysisError as error:
        raise FitDataError(str(error)) from None


def prepare(ds: xr.Dataset, config: FitConfig, task: Task) -> FitData:
    """Check a recording and turn it into :class:`FitData`.

    Raises
    ------
    FitDataError
        For a recording without units or trials, NaN or negative activity,
        silent units, irregular bins, missing or unknown conditions and
        misaligned events, each in one line.
    """
    data = _activity(ds, config)
    dt = _bin_size(ds)
    conditions = {
        name: np.asarray(ds.coords[name].values)
        for name in ds.coords
        if ds.coords[name].dims == ("trial",)
    }
    if "inputs" in ds:
        inputs = _given_inputs(ds, task)
    else:
        inputs = _task_inputs(ds, conditions, config, task, dt)
    labels, label_names = _labels(conditions, config.labels)
    return FitData(
        data=data,
        inputs=inputs,
        unit_names=[str(u) for u in ds["unit"].values],
        dt=dt,
        conditions=conditions,
        labels=labels,
        label_names=label_names,
    )


def _activity(ds: xr.Dataset, config: FitConfig) -> np.ndarray:
    if not isinstance(ds, xr.Dataset):
        raise FitDataError(
            f"recording must be an xarray.Dataset, got {type(ds).__name__}"
        )
    name = "spikes" if config.observation == "poisson" else "rates"
    if name not in ds:
        raise FitDataError(
            f"a {config.observation} fit needs a {name!r} variable (trial, time, unit); "
            f"the recording has {sorted(ds.data_vars)}"
        )
    values = ds[name]
    if set(values.dims) != {"trial", "time", "unit"}:
        raise FitDataError(
            f"{name!r} must have dims (trial, time, unit), got {values.dims}"
        )
    values = values.transpose("trial", "time", "unit").values.astype(np.float32)
    n_trials, n_bins, n_units = values.shape
    if n_units == 0:
        raise FitDataError("the recording has no units; load at least one unit")
    if n_trials < MIN_TRIALS or n_bins < 2:
        raise FitDataError(
            f"the recording has {n_trials} trials of {n_bins} bins; fitting needs >= "
            f"{MIN_TRIALS} trials of >= 2 bins"
        )
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        raise FitDataError(
            f"{name!r} has {len(bad)} NaN or infinite values (first at trial, bin, unit "
            f"{tuple(bad[0].tolist())}); drop those trials or units"
        )
    if (values < 0).any():
        raise FitDataError(f"{name!r} has negative values; counts and rates are >= 0")
    if name == "spikes" and not np.array_equal(values, np.round(values)):
        raise FitDataError(
            "'spikes' must hold whole spike counts per bin; use --observation gaussian "
            "for rates"
        )
    silent = np.flatnonzero(values.sum((0, 1)) == 0)
    if silent.size:
        units = ds["unit"].values[silent[:5]].tolist()
        raise FitDataError(
            f"{silent.size} units never fire (first {units}); drop them before fitting"
        )
    return values


def _bin_size(ds: xr.Dataset) -> float:
    if "time" not in ds.coords:
        raise FitDataError("the recording needs a 'time' coordinate (bin centres, ms)")
    steps = np.diff(np.asarray(ds["time"].values, dtype=float))
    given = ds.attrs.get("bin_size") or ds.attrs.get("dt")
    dt = float(given) if given else float(steps[0])
    if not (dt > 0 and np.allclose(steps, dt, rtol=1e-6, atol=1e-6)):
        raise FitDataError(
            f"bins must be equally spaced by bin_size ({dt} ms), got spacings "
            f"{sorted(set(np.round(steps, 6).tolist()))[:4]}; rebin the recording"
        )
    return dt


def _given_inputs(ds: xr.Dataset, task: Task) -> np.ndarray:
    inputs = ds["inputs"]
    if inputs.dims[:2] != ("trial", "time") or inputs.ndim != 3:
        raise FitDataError(
            f"'inputs' must have dims (trial, time, input), got {inputs.dims}"
        )
    values = inputs.values.astype(np.float32)
    if values.shape[-1] != task.n_inputs:
        raise FitDataError(
            f"'inputs' has {values.shape[-1]} channels but {task.task_id} has "
            f"{task.n_inputs} ({', '.join(task.input_names)}); match the task's channels"
        )
    if not np.isfinite(values).all():
        raise FitDataError("'inputs' contains NaN or inf; fill or drop those trials")
    return values


def _task_inputs(
    ds: xr.Dataset,
    conditions: dict[str, np.ndarray],
    config: FitConfig,
    task: Task,
    dt: float,
) -> np.ndarray:
    encode = getattr(task, "encode_inputs", None)
    if encode is None:
        raise FitDataError(
            f"{task.task_id} has no input encoder; add an 'inputs' variable "
            "(trial, time, input) to the recording"
        )
    conditions = _with_derived_conditions(conditions)
    events = _event_times(ds, conditions, config, task)
    bin_starts = np.asarray(ds["time"].values, dtype=float) - dt / 2
    times = np.round(bin_starts[None, :] - events["trial_start"][:, None], 3)
    encoder_conditions = {
        **conditions,
        "stim_onset": events["stim_onset"] - events["trial_start"],
        "response_onset": events["response_onset"] - events["trial_start"],
    }
    try:
        return encode(encoder_conditions, times)
    except AlrnnTasksError as error:  # unknown conditions, misaligned events
        raise FitDataError(str(error)) from None


def _with_derived_conditions(
    conditions: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Add noise_side/pitch/rule from pfc-1 ``block`` and ``stim_name`` when absent."""
    if {"noise_side", "pitch"} <= set(conditions) or not {"block", "stim_name"} <= set(
        conditions
    ):
        return conditions
    from analysis.errors import AnalysisError
    from analysis.recordings_pfc1 import stimulus_selection_conditions

    try:
        derived = stimulus_selection_conditions(
            conditions["block"], conditions["stim_name"]
        )
    except AnalysisError as error:
        raise FitDataError(str(error)) from None
    return {**derived, **conditions}


def _event_times(
    ds: xr.Dataset, conditions: dict[str, np.ndarray], config: FitConfig, task: Task
) -> dict[str, np.ndarray]:
    """Return ms of each task event relative to the recording's time 0, per trial."""
    align = ds.attrs.get("align_to")
    aligned = bool(align) and align in conditions
    scale = TIME_SCALE[config.event_time_unit] if aligned else 1.0
    reference = _event(conditions, align) if aligned else 0.0

    def relative(name: str) -> np.ndarray:
        # rounded to 1 µs: event times in s carry float error that would move
        # an onset that falls on a bin edge into the neighbouring bin
        return np.round((_event(conditions, name) - reference) * scale, 3)

    if "stim_onset" not in conditions:
        raise FitDataError(
            f"the trial table lacks 'stim_onset', which {task.task_id}'s encoder needs; "
            f"it has {sorted(conditions)}"
        )
    stim = relative("stim_onset")
    n_trials = len(stim)
    if config.response_event in conditions:
        response = relative(config.response_event)
    else:
        duration = getattr(task.params, "stimulus", None)
        if not isinstance(duration, int | float):
            raise FitDataError(
                f"no {config.response_event!r} column and the task's stimulus time "
                f"{duration!r} is not a constant; add the column"
            )
        response = stim + float(duration)
    if config.trial_start in conditions:
        start = relative(config.trial_start)
    else:
        first = float(ds["time"].values[0]) - _bin_size(ds) / 2
        start = np.full(n_trials, min(first, float(stim.min())))
    misaligned = np.flatnonzero(~((start <= stim) & (stim <= response)))
    if misaligned.size:
        k = misaligned[0]
        raise FitDataError(
            f"events misaligned in {misaligned.size} trials (first {k}: trial start "
            f"{start[k]:g}, stim_onset {stim[k]:g}, response {response[k]:g} ms); need "
            f"start <= stim_onset <= response; check --event-time-unit and the columns"
        )
    return {"trial_start": start, "stim_onset": stim, "response_onset": response}


def _event(conditions: dict[str, np.ndarray], name: str) -> np.ndarray:
    values = np.asarray(conditions[name])
    if values.dtype.kind not in "iuf":
        raise FitDataError(f"event column {name!r} must hold times, got {values.dtype}")
    return values.astype(float)


def _labels(
    conditions: dict[str, np.ndarray], name: str
) -> tuple[np.ndarray | None, list[str]]:
    if not name:
        return None, []
    if name not in conditions:
        raise FitDataError(
            f"--labels {name!r} is not a trial condition; known: {sorted(conditions)}"
        )
    classes, codes = np.unique(
        np.asarray(conditions[name]).astype(str), return_inverse=True
    )
    if len(classes) < 2:
        raise FitDataError(f"--labels {name!r} has one value only ({classes[0]!r})")
    return codes.astype(np.int64), classes.tolist()


def split(n_trials: int, config: FitConfig) -> dict[str, np.ndarray]:
    """Return sorted trial indices of the ``train``, ``validation`` and ``test`` sets."""
    order = np.random.default_rng([config.seed, 7]).permutation(n_trials)
    n_validation = max(1, round(config.validation_fraction * n_trials))
    n_test = max(1, round(config.test_fraction * n_trials))
    return {
        "validation": np.sort(order[:n_validation]),
        "test": np.sort(order[n_validation : n_validation + n_test]),
        "train": np.sort(order[n_validation + n_test :]),
    }


def encoder_features(
    data: np.ndarray, smooth: float, train: np.ndarray, observation: str
) -> np.ndarray:
    """Return standardised, smoothed activity ``(trial, time, unit)`` for the encoders.

    Counts are square-rooted first (variance-stabilising for Poisson data);
    mean and s.d. per unit come from the ``train`` trials.
    """
    values = np.sqrt(data) if observation == "poisson" else data.copy()
    if smooth > 0:
        values = gaussian_filter1d(values, smooth, axis=1, mode="nearest")
    mean = values[train].mean((0, 1))
    std = values[train].std((0, 1)) + 1e-3
    return ((values - mean) / std).astype(np.float32)


def describe(data: FitData, parts: dict[str, np.ndarray]) -> dict[str, Any]:
    """JSON-ready description of the fitted data (stored in the run directory)."""
    return {
        "units": data.unit_names,
        "dt": data.dt,
        "n_trials": data.n_trials,
        "n_bins": int(data.data.shape[1]),
        "label_names": data.label_names,
        "split": {name: index.tolist() for name, index in parts.items()},
    }
