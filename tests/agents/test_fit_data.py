"""agents.fit_data: recordings that cannot be fitted fail at the boundary in one line."""

from __future__ import annotations

import numpy as np
import pytest

from agents import FitConfig, FitDataError
from agents.fit_data import prepare
from agents.fit_simulate import simulate_recording
from tests.agents.test_fit import TASK, ground_truth


@pytest.fixture(scope="module")
def recording():
    return simulate_recording(ground_truth(n_units=5), TASK, 30, seed=1)[0]


def _nan_counts(ds):
    spikes = ds["spikes"].values.astype(float)
    spikes[3, 4, 1] = np.nan
    return ds.assign(spikes=(ds["spikes"].dims, spikes))


def _silent_unit(ds):
    spikes = ds["spikes"].values.copy()
    spikes[..., 2] = 0
    return ds.assign(spikes=(ds["spikes"].dims, spikes))


def _fractional(ds):
    return ds.assign(spikes=ds["spikes"] * 0.5)


def _set(name, index, value):
    def change(ds):
        values = ds[name].values.copy()
        values[index] = value
        return ds.assign_coords({name: ("trial", values)})

    return change


def _irregular_bins(ds):
    time = ds["time"].values.copy()
    time[-1] += 7.0
    return ds.assign_coords(time=time).assign_attrs(bin_size=None, dt=None)


def _wrong_inputs(ds):
    return ds.assign(inputs=(("trial", "time", "input"), np.zeros((30, 40, 3))))


CASES = {
    "empty units": (lambda ds: ds.isel(unit=[]), {}, "no units"),
    "NaN counts": (_nan_counts, {}, "NaN or infinite"),
    "silent unit": (_silent_unit, {}, "never fire"),
    "not counts": (_fractional, {}, "whole spike counts"),
    "too few trials": (lambda ds: ds.isel(trial=slice(0, 5)), {}, ">= 10 trials"),
    "unknown pitch": (_set("pitch", 0, "medium"), {}, "unknown pitch"),
    "unknown noise side": (_set("noise_side", 2, "up"), {}, "unknown noise_side"),
    "stimulus before trial start": (
        _set("cpoke_start", 4, 1e6),
        {},
        "events misaligned",
    ),
    "response before stimulus": (
        _set("response_onset", 5, 0.0),
        {},
        "events misaligned",
    ),
    "no stim_onset": (lambda ds: ds.drop_vars("stim_onset"), {}, "lacks 'stim_onset'"),
    "irregular bins": (_irregular_bins, {}, "equally spaced"),
    "unknown label": (lambda ds: ds, {"labels": "colour"}, "not a trial condition"),
    "no rates for gaussian": (
        lambda ds: ds.drop_vars("rates"),
        {"observation": "gaussian"},
        "needs a 'rates' variable",
    ),
    "inputs of another task": (_wrong_inputs, {}, "has 3 channels"),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_recordings_raise_one_line_errors(recording, case):
    change, settings, message = CASES[case]
    with pytest.raises(FitDataError, match=message) as error:
        prepare(change(recording), FitConfig(**settings), TASK)
    assert "\n" not in str(error.value)


def test_a_good_recording_passes(recording):
    data = prepare(recording, FitConfig(labels="block"), TASK)
    assert data.data.shape == (*data.inputs.shape[:2], 5)
    assert data.label_names == ["1", "2"]
