"""TrialBatch: conversion to xarray, selection, concatenation, plotting."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import xarray as xr

from alrnn_tasks import TaskParameterError, concatenate_batches, get_task
from alrnn_tasks.plotting import plot_trials


@pytest.fixture(scope="module")
def batch():
    return get_task("StimulusSelection-v0", rule_cue="explicit").batch(12, seed=5)


def test_to_xarray_holds_the_same_content(batch):
    ds = batch.to_xarray()
    assert dict(ds.sizes) == {
        "trial": 12,
        "time": batch.n_steps,
        "input": len(batch.input_names),
        "output": 3,
        "period_index": len(batch.period_names),
    }
    np.testing.assert_array_equal(ds["inputs"].values, batch.inputs.numpy())
    np.testing.assert_array_equal(ds["targets"].values, batch.targets.numpy())
    np.testing.assert_array_equal(ds["time"].values, np.arange(batch.n_steps) * 20.0)
    for name, values in batch.conditions.items():
        np.testing.assert_array_equal(ds[name].values, values)
    assert ds.attrs["task_id"] == "StimulusSelection-v0" and ds.attrs["seed"] == 5
    assert json.loads(ds.attrs["task_params"])["rule_cue"] == "explicit"
    assert list(ds["period_name"].values) == list(batch.period_names)


def test_to_xarray_round_trips_through_netcdf(batch, tmp_path):
    path = tmp_path / "trials.nc"
    batch.to_xarray().to_netcdf(path, engine="h5netcdf")
    with xr.open_dataset(path, engine="h5netcdf") as loaded:
        xr.testing.assert_identical(loaded.load(), batch.to_xarray())


def test_select_keeps_conditions_aligned_and_trims_padding(batch):
    lengths = batch.lengths.numpy()
    shortest = np.flatnonzero(lengths == lengths.min())[:2]
    subset = batch.select(shortest)
    assert subset.n_trials == len(shortest)
    assert subset.n_steps == lengths.min()
    np.testing.assert_array_equal(
        subset.conditions["stim_name"], batch.conditions["stim_name"][shortest]
    )
    mask = np.zeros(batch.n_trials, dtype=bool)
    mask[shortest] = True
    torch.testing.assert_close(batch.select(mask).inputs, subset.inputs)


def test_concatenate_pads_and_fills_missing_conditions():
    explicit = get_task("StimulusSelection-v0", rule_cue="explicit").batch(3, seed=0)
    implicit = get_task("StimulusSelection-v0", hold=50.0, rule_cue="explicit").batch(
        2, seed=1
    )
    implicit = type(implicit)(
        **{**implicit.__dict__, "conditions": {"extra": np.arange(2)}}
    )
    both = concatenate_batches([explicit, implicit])
    assert both.n_trials == 5
    assert both.n_steps == max(explicit.n_steps, implicit.n_steps)
    torch.testing.assert_close(both.inputs[3:, : implicit.n_steps], implicit.inputs)
    assert (both.period[3:, implicit.n_steps :] == -1).all()
    assert (both.mask[3:, implicit.n_steps :] == 0).all()
    np.testing.assert_array_equal(both.conditions["extra"], [-1, -1, -1, 0, 1])
    assert list(both.conditions["stim_name"][3:]) == ["", ""]


def test_concatenate_refuses_different_inputs():
    a = get_task("StimulusSelection-v0", rule_cue="explicit").batch(2, seed=0)
    b = get_task("StimulusSelection-v0").batch(2, seed=0)
    with pytest.raises(TaskParameterError, match="different input_names"):
        concatenate_batches([a, b])


def test_to_device_moves_every_tensor(batch):
    moved = batch.to("cpu")
    assert moved.inputs.device.type == "cpu"
    assert moved.conditions is batch.conditions


def test_plot_trials_draws_inputs_and_outputs(batch, tmp_path):
    outputs = torch.randn(*batch.targets.shape, 3)
    fig = plot_trials(batch, [0, 3], outputs=outputs)
    assert len(fig.axes) == 4
    path = tmp_path / "trials.png"
    fig.savefig(path)
    assert path.stat().st_size > 10_000
    with pytest.raises(TaskParameterError, match="trials must be indices"):
        plot_trials(batch, [99])
