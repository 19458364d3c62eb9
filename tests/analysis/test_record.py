"""analysis.record: schema of model activity datasets and NetCDF/Zarr round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import xarray as xr

from agents import ALRNN, GatedRNN, ModelConfig
from alrnn_tasks import get_task
from analysis import load_dataset, record, save_dataset
from analysis.errors import AnalysisError
from analysis.record import record_command


@pytest.fixture(scope="module")
def task():
    return get_task("StimulusSelection-v0", rule_cue="explicit")


@pytest.fixture(scope="module")
def model():
    return ALRNN(ModelConfig(units=8, relu_units=3, seed=2), 7, 3)


@pytest.fixture(scope="module")
def dataset(model, task):
    return record(model, task, 12, seed=4)


def test_schema_dims_variables_coords_attrs(dataset, task):
    ds = dataset
    assert {"trial", "time", "unit", "input", "output"} <= set(ds.dims)
    for name, dims in {
        "states": ("trial", "time", "unit"),
        "phi": ("trial", "time", "unit"),
        "outputs": ("trial", "time", "output"),
        "inputs": ("trial", "time", "input"),
        "subregion": ("trial", "time"),
        "targets": ("trial", "time"),
        "mask": ("trial", "time"),
        "period": ("trial", "time"),
    }.items():
        assert ds[name].dims == dims, name
    batch = task.batch(12, seed=4)
    for condition in batch.conditions:
        assert ds[condition].dims == ("trial",)
        np.testing.assert_array_equal(ds[condition].values, batch.conditions[condition])
    assert ds["time"].attrs["units"] == "ms"
    np.testing.assert_allclose(ds["time"].values, np.arange(ds.sizes["time"]) * 20.0)
    assert ds["unit_kind"].values.tolist() == ["linear"] * 5 + ["relu"] * 3
    assert ds["period_name"].values.tolist() == list(batch.period_names)
    for attr in (
        "task_id",
        "task_params",
        "dt",
        "seed",
        "target_kind",
        "model_config",
        "model_class",
        "package_version",
        "source",
        "activity",
        "subregion_bits",
    ):
        assert attr in ds.attrs, attr
    assert ds.attrs["task_id"] == "StimulusSelection-v0"
    assert ds.attrs["seed"] == 4 and ds.attrs["dt"] == 20.0
    assert json.loads(ds.attrs["model_config"])["relu_units"] == 3
    assert json.loads(ds.attrs["task_params"])["rule_cue"] == "explicit"


def test_activity_matches_the_model_and_padding_is_marked(dataset, model, task):
    batch = task.batch(12, seed=4)
    with torch.no_grad():
        outputs, states = model(batch.inputs, return_states=True)
    padding = (batch.period < 0).numpy()
    assert padding.any()
    np.testing.assert_allclose(
        dataset["states"].values[~padding], states.numpy()[~padding], rtol=1e-6
    )
    np.testing.assert_allclose(
        dataset["outputs"].values[~padding], outputs.numpy()[~padding], rtol=1e-6
    )
    assert np.isnan(dataset["states"].values[padding]).all()
    assert (dataset["subregion"].values[padding] == -1).all()
    phi = dataset["phi"].values[~padding]
    np.testing.assert_allclose(
        phi[:, 5:], np.maximum(states.numpy()[~padding][:, 5:], 0)
    )


def test_subregion_code_bit_order(dataset):
    z = dataset["states"].values
    valid = dataset["subregion"].values >= 0
    expected = sum((z[..., 5 + j] > 0).astype(int) << j for j in range(3))
    np.testing.assert_array_equal(dataset["subregion"].values[valid], expected[valid])


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_round_trip_is_identical(dataset, tmp_path, suffix):
    path = save_dataset(dataset, tmp_path / f"activity{suffix}")
    xr.testing.assert_identical(load_dataset(path), dataset)
    save_dataset(dataset, path)  # overwriting replaces the old file whole
    xr.testing.assert_identical(load_dataset(path), dataset)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"activity{suffix}"]


def test_session_tasks_run_as_sessions():
    task = get_task("StimulusSelection-v0", block_lengths=(2, 3, 2, 3))
    model = ALRNN(ModelConfig(units=6, relu_units=2), 5, 3)
    ds = record(model, task, 20, seed=1)
    batch = task.batch(20, seed=1)
    sessions = batch.to_sessions()
    with torch.no_grad():
        _, states = model(sessions.inputs, return_states=True)
    # the second trial continues from the state the first one ended in
    second = int(np.flatnonzero(batch.conditions["trial_in_session"] == 1)[0])
    start = sessions.trial_start[0, 1]
    np.testing.assert_allclose(
        ds["states"].values[second, 0], states[0, start].numpy(), rtol=1e-5
    )


def test_baseline_models_record_without_subregions(task):
    model = GatedRNN(ModelConfig(kind="gru", units=5), 7, 3)
    ds = record(model, task, 3, seed=0)
    assert "subregion" not in ds and "phi" not in ds
    assert set(ds["unit_kind"].values.tolist()) == {"gru"}


def test_record_command_writes_the_file(monkeypatch, model, task, tmp_path):
    import agents

    monkeypatch.setattr(agents, "load", lambda run_dir, device="cpu": (model, task))
    out = record_command("run", trials=5, out=tmp_path / "a.nc", seed=3)
    ds = load_dataset(out)
    assert ds.sizes["trial"] == 5 and ds.attrs["seed"] == 3


@pytest.mark.parametrize(
    ("n_trials", "match"), [(0, "n_trials must be"), (2.5, "n_trials must be")]
)
def test_bad_trial_counts(model, task, n_trials, match):
    with pytest.raises(AnalysisError, match=match):
        record(model, task, n_trials, seed=0)


def test_model_for_another_task_is_rejected(task):
    with pytest.raises(AnalysisError, match="model takes 4 inputs"):
        record(ALRNN(ModelConfig(units=4, relu_units=1), 4, 3), task, 2, seed=0)


def test_alrnn_record_command_line(monkeypatch, model, task, tmp_path, capsys):
    import agents
    from agents.cli import main

    monkeypatch.setattr(agents, "load", lambda run_dir, device="cpu": (model, task))
    out = tmp_path / "a.nc"
    assert main(["record", "run", "--trials", "4", "--out", str(out)]) == 0
    assert load_dataset(out).sizes["trial"] == 4
    assert (
        main(["record", "run", "--trials", "4", "--out", str(tmp_path / "a.h5")]) == 2
    )
    assert "must end in .nc" in capsys.readouterr().err
