"""agents.fit: recovery of a known AL-RNN, inputs, resume, NaN stop, population, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from agents import FitConfig, ModelConfig, NonFiniteLossError, fit, load
from agents.alrnn import ALRNN
from agents.cli import main
from agents.fit_data import prepare
from agents.fit_evaluation import evaluate_fit
from agents.fit_metrics import poisson_log_likelihood
from agents.fit_model import FitModule
from agents.fit_simulate import simulate_recording
from agents.runs import load_population
from alrnn_tasks import get_task

TASK = get_task("StimulusSelection-v0", sigma=0.0)
SMALL = dict(
    steps=40,
    batch_size=16,
    eval_every=10,
    log_every=10,
    checkpoint_every=10,
    device="cpu",
)


def ground_truth(units=6, relu_units=2, n_units=30, seed=1, n_inputs=TASK.n_inputs):
    """An AL-RNN with strong inputs and readout, so that rates are well modulated."""
    config = ModelConfig(
        units=units, relu_units=relu_units, seed=seed, a_init=0.85, w_init_gain=0.3
    )
    model = ALRNN(config, n_inputs, n_units)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.C.mul_(3.0)
        model.B.copy_(torch.randn(n_units, units, generator=generator) * 0.5)
        model.b.fill_(-0.5)
    return model


@pytest.fixture(scope="module")
def session():
    return simulate_recording(ground_truth(), TASK, 300, seed=0)


@pytest.fixture(scope="module")
def small_session():
    return simulate_recording(ground_truth(n_units=8), TASK, 100, seed=2)


@pytest.fixture(scope="module")
def recovered(session, tmp_path_factory):
    torch.set_num_threads(1)
    ds, _ = session
    run_dir = tmp_path_factory.mktemp("fit") / "run"
    config = FitConfig(
        steps=1500, batch_size=32, init_bins=6, log_every=100, device="cpu"
    )
    return fit(ds, run_dir, config, ModelConfig(units=6, relu_units=2))


def test_fit_recovers_a_known_alrnn_better_than_the_psth(session, recovered):
    ds, truth = session
    evaluation = recovered.evaluation[0]
    description = json.loads((recovered.run_dir / "config.json").read_text())
    test = np.asarray(description["fit"]["split"]["test"])
    counts = ds["spikes"].values[test].astype(float)
    truth_ll = poisson_log_likelihood(counts, truth.expected[test])
    psth_ll, fit_ll = evaluation["psth_log_likelihood"], evaluation["log_likelihood"]

    assert evaluation["bits_per_spike"] > 0, "the fit must beat the PSTH baseline"
    assert truth_ll > psth_ll
    # the fit closes at least a third of the gap from the PSTH to the ground truth
    assert (fit_ll - psth_ll) / (truth_ll - psth_ll) > 0.33
    assert evaluation["r_mean_rate"] > 0.9
    assert evaluation["r_fano_factor"] > 0.5
    assert evaluation["psth_r2_median"] > 0.5
    assert evaluation["cosmoothing_bits_per_spike"] > 0


def test_fitted_run_loads_like_a_trained_model(session, recovered):
    ds, _ = session
    model, task = load(recovered.run_dir)
    assert isinstance(model, ALRNN)
    assert model.n_outputs == ds.sizes["unit"]
    assert task.task_id == "StimulusSelection-v0"
    assert task.dt == ds.attrs["bin_size"]
    outputs, states = model(torch.zeros(2, 5, task.n_inputs), return_states=True)
    assert outputs.shape == (2, 5, ds.sizes["unit"]) and states.shape == (2, 5, 6)

    again = evaluate_fit(recovered.run_dir, ds)
    (metrics,) = again.values()
    assert metrics["bits_per_spike"] == pytest.approx(
        recovered.evaluation[0]["bits_per_spike"], rel=1e-4
    )


@pytest.mark.parametrize("params", [{}, {"rule_cue": "explicit"}])
def test_inputs_rebuilt_from_a_recording_equal_the_task_inputs(params):
    task = get_task("StimulusSelection-v0", sigma=0.0, **params)
    batch = task.batch(24, seed=4)
    # a "recording" of those trials aligned to stim onset, events in s
    ds, _ = simulate_recording(
        ground_truth(n_units=4, n_inputs=task.n_inputs),
        task,
        24,
        seed=4,
        window=(-240.0, 600.0),
    )
    data = prepare(ds, FitConfig(task_params=params), task)
    onset_step = (batch.conditions["stim_onset"] / task.dt).astype(int)
    for trial in range(24):
        steps = onset_step[trial] + np.arange(-12, 30)
        expected = batch.inputs[trial].numpy()[steps]
        np.testing.assert_array_equal(data.inputs[trial], expected)


def test_resume_gives_the_same_model_as_an_uninterrupted_fit(
    small_session, tmp_path, monkeypatch
):
    ds, _ = small_session
    config = FitConfig(**SMALL)
    model = ModelConfig(units=4, relu_units=1)
    whole = fit(ds, tmp_path / "whole", config, model)

    from agents import fitting

    original = fitting._Fitter._checkpoint

    def interrupt(self, finished=False):
        original(self, finished)
        if self.step == 20:
            raise KeyboardInterrupt

    monkeypatch.setattr(fitting._Fitter, "_checkpoint", interrupt)
    with pytest.raises(KeyboardInterrupt):
        fit(ds, tmp_path / "resumed", config, model)
    monkeypatch.setattr(fitting._Fitter, "_checkpoint", original)
    resumed = fit(ds, tmp_path / "resumed", config, model)

    assert resumed.step == whole.step
    for name, value in load(whole.run_dir)[0].state_dict().items():
        torch.testing.assert_close(load(resumed.run_dir)[0].state_dict()[name], value)
    assert resumed.evaluation == whole.evaluation
    # a finished run returns at once
    assert fit(ds, tmp_path / "whole", config, model).step == whole.step


def test_non_finite_loss_stops_and_keeps_the_last_checkpoint(
    small_session, tmp_path, monkeypatch
):
    ds, _ = small_session
    original = FitModule.losses
    calls = {"n": 0}

    def poisoned(self, *args, **kwargs):
        losses, parts = original(self, *args, **kwargs)
        calls["n"] += 1
        return (losses * np.nan if calls["n"] > 25 else losses), parts

    monkeypatch.setattr(FitModule, "losses", poisoned)
    with pytest.raises(
        NonFiniteLossError, match=r"step 26.*checkpoint of step 20 kept"
    ):
        fit(
            ds, tmp_path / "run", FitConfig(**SMALL), ModelConfig(units=4, relu_units=1)
        )
    model, _ = load(tmp_path / "run")
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_population_over_p_and_seeds_writes_one_loadable_model_each(
    small_session, tmp_path
):
    ds, _ = small_session
    models = [
        ModelConfig(units=4, relu_units=p, seed=s) for p in (0, 2) for s in (0, 1)
    ]
    result = fit(ds, tmp_path / "pop", FitConfig(**SMALL, labels="rule"), models)
    assert len(result.model_dirs) == 4 and len(result.evaluation) == 4
    population, _ = load_population(tmp_path / "pop")
    assert [c.relu_units for c in population.configs] == [0, 0, 2, 2]
    assert set(evaluate_fit(tmp_path / "pop", ds)) == {c.name for c in models}


def test_gaussian_fit_on_rates(small_session, tmp_path):
    ds, _ = small_session
    config = FitConfig(**SMALL, observation="gaussian")
    result = fit(ds, tmp_path / "run", config, ModelConfig(units=4, relu_units=1))
    assert np.isfinite(result.evaluation[0]["r2_over_psth"])
    assert "bits_per_spike" not in result.evaluation[0]


def test_fit_and_evaluate_from_the_command_line(small_session, tmp_path, capsys):
    from analysis.record import save_dataset

    ds, _ = small_session
    path = save_dataset(ds, tmp_path / "session.nc")
    out = tmp_path / "run"
    arguments = [
        "fit",
        str(path),
        "--units",
        "4",
        "--relu-units",
        "1",
        "--out",
        str(out),
    ]
    options = ["--steps", "20", "--batch-size", "16", "--eval-every", "10"]
    assert main(["-q", *arguments, *options, "--device", "cpu"]) == 0
    assert "bits_per_spike" in capsys.readouterr().out
    assert main(["-q", "evaluate", str(out), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert np.isfinite(metrics["bits_per_spike"])
    assert len(metrics["psth_r2"]) == ds.sizes["unit"]


def test_a_fitted_run_is_dissected_by_alrnn_analyze(recovered, tmp_path):
    from analysis.report import analyze_run, format_summary

    summary = analyze_run(recovered.run_dir, tmp_path / "report", n_trials=32)
    assert summary["fitted_to"] is not None
    assert summary["relu_units"] == 2
    assert 1 <= summary["regions_used"] <= 4
    assert (tmp_path / "report" / "summary.json").exists()
    assert "fitted to" in format_summary(summary)
