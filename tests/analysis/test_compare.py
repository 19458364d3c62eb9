"""analysis.compare: metrics against closed forms, ground-truth recovery, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import xarray as xr
from scipy.linalg import orthogonal_procrustes
from scipy.stats import spearmanr

from agents import ALRNN, ModelConfig
from alrnn_tasks import get_task
from analysis import compare, format_table, from_spike_times, rank_models, record
from analysis.compare import compare_command
from analysis.compare_align import align
from analysis.compare_metrics import (
    cca_similarity,
    dsa_available,
    linear_cka,
    procrustes_distance,
    ridge_predictivity,
    rsa_correlation,
)
from analysis.errors import AnalysisError, ComparisonError

CONDITIONS = ["rule", "noise_side", "pitch"]


def _rotation(n, rng):
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q


# -- metrics against closed forms --------------------------------------------


def _centred_unit(x):
    x = x - x.mean(0)
    return x / np.linalg.norm(x)


def test_procrustes_matches_scipy_orthogonal_procrustes():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 5)), rng.normal(size=(30, 5))
    Xn, Yn = _centred_unit(X), _centred_unit(Y)
    R, _ = orthogonal_procrustes(Yn, Xn)
    expected = np.linalg.norm(Xn - Yn @ R)
    assert procrustes_distance(X, Y, kind="euclidean") == pytest.approx(expected)
    angular = procrustes_distance(X, Y)
    assert np.sqrt(2 - 2 * np.cos(angular)) == pytest.approx(expected)


def test_procrustes_is_zero_for_a_rotated_scaled_shifted_copy():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(40, 6))
    Y = 3.0 * X @ _rotation(6, rng) + 2.0
    assert procrustes_distance(X, Y) == pytest.approx(0.0, abs=1e-6)
    assert procrustes_distance(X, rng.normal(size=(40, 6))) > 0.8


def test_linear_cka_matches_the_hsic_formula():
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(25, 4)), rng.normal(size=(25, 7))
    n = 25
    H = np.eye(n) - np.ones((n, n)) / n
    K, L = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    expected = np.trace(K @ L) / np.sqrt(np.trace(K @ K) * np.trace(L @ L))
    assert linear_cka(X, Y) == pytest.approx(expected)
    assert linear_cka(X, 2 * X @ _rotation(4, rng)) == pytest.approx(1.0)


def test_rsa_matches_a_direct_rdm_correlation():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(12, 5)), rng.normal(size=(12, 9))

    def direct_rdm(Z):
        return np.array(
            [
                1 - np.corrcoef(Z[i], Z[j])[0, 1]
                for i, j in itertools.combinations(range(len(Z)), 2)
            ]
        )

    expected = spearmanr(direct_rdm(X), direct_rdm(Y)).statistic
    assert rsa_correlation(X, Y) == pytest.approx(expected)


def test_cca_and_predictivity_on_linear_maps():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(60, 5))
    Y = X @ rng.normal(size=(5, 8))
    assert cca_similarity(X, Y, dims=5) == pytest.approx(1.0)
    groups = np.repeat(np.arange(12), 5)
    assert ridge_predictivity(X, Y, groups) > 0.99
    assert ridge_predictivity(X, rng.normal(size=(60, 8)), groups) < 0.1


# -- ground-truth recovery ---------------------------------------------------

TASK = get_task(
    "StimulusSelection-v0", rule_cue="explicit", response_mapping="two_alternative"
)


def _train(relu_units, seed, steps=80):
    torch.manual_seed(seed)
    model = ALRNN(ModelConfig(units=12, relu_units=relu_units, seed=seed), 7, 3)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    for step in range(steps):
        batch = TASK.batch(32, seed=10_000 * seed + step)
        logits = model(batch.inputs)
        loss = torch.nn.functional.cross_entropy(
            logits.reshape(-1, 3), batch.targets.reshape(-1), reduction="none"
        )
        loss = (loss * batch.mask.reshape(-1)).sum() / batch.mask.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def _poisson_recording(ds, rng, n_units=30):
    """Spike times from a model's own units: rotation, exp link, Poisson spiking."""
    z = np.nan_to_num(ds["states"].values)  # (trial, time, unit)
    mixing = np.concatenate([_rotation(z.shape[-1], rng)] * 3, axis=1)[:, :n_units]
    x = z @ mixing
    flat = x.reshape(-1, n_units)
    x = (x - flat.mean(0)) / flat.std(0)
    dt = ds.attrs["dt"]
    counts = rng.poisson(20.0 * np.exp(0.5 * x) * dt / 1000)
    counts[ds["period"].values < 0] = 0
    trial_start = np.arange(ds.sizes["trial"]) * 2000.0  # ms, one trial every 2 s
    spikes = []
    for unit in range(n_units):
        trial, step = np.nonzero(counts[..., unit])
        repeat = counts[trial, step, unit]
        trial, step = np.repeat(trial, repeat), np.repeat(step, repeat)
        spikes.append(
            (trial_start[trial] + (step + rng.uniform(size=step.size)) * dt) / 1000
        )
    table = {name: ds[name].values for name in [*CONDITIONS, "stim_name", "block"]}
    table["stim_onset"] = (trial_start + ds["stim_onset"].values) / 1000
    return from_spike_times(
        spikes, table, align_to="stim_onset", window=(-200.0, 600.0), bin_size=40.0
    )


@pytest.fixture(scope="module")
def recovery():
    models = {
        "truth": _train(4, 0),
        "other_seed": _train(4, 1),
        "other_P": _train(0, 0),
        "untrained": ALRNN(ModelConfig(units=12, relu_units=4, seed=5), 7, 3),
    }
    rng = np.random.default_rng(0)
    recording = _poisson_recording(record(models["truth"], TASK, 300, seed=7), rng)
    datasets = {name: record(m, TASK, 300, seed=11) for name, m in models.items()}
    return datasets, recording


def test_recovery_ranks_the_true_model_first(recovery):
    datasets, recording = recovery
    result = rank_models(datasets, recording, conditions=CONDITIONS, n_shuffles=30)
    ranks = result["rank"].sel(model="truth")
    assert (ranks == 1).all(), format_table(result)
    truth = result.sel(model="truth")
    # better than every shuffled-condition null
    for metric in result["metric"].values:
        one = truth.sel(metric=metric)
        null = one["null"].values
        if one["higher_is_better"]:
            assert one["score"] > null.max(), metric
        else:
            assert one["score"] < null.min(), metric
        assert one["p_value"] == pytest.approx(1 / 31)
    table = format_table(result)
    assert table.count("\n") == 2 + 4 * result.sizes["metric"] - 1


def test_rotated_copy_of_a_dataset_is_at_distance_zero(recovery):
    datasets, _ = recovery
    ds = datasets["truth"]
    rng = np.random.default_rng(3)
    rotated = ds.copy()
    rotated["states"] = ds["states"] @ xr.DataArray(
        _rotation(12, rng), dims=("unit", "unit_out")
    )
    rotated = rotated.rename({"unit": "old_unit"}).rename({"unit_out": "unit"})
    rotated = rotated.drop_vars(["phi", "old_unit", "unit_kind"])
    same = compare(
        ds, rotated, conditions=CONDITIONS, metric="procrustes,cka", n_shuffles=0
    )
    assert float(same["score"].sel(metric="procrustes")) == pytest.approx(0, abs=1e-3)
    assert float(same["score"].sel(metric="cka")) == pytest.approx(1, abs=1e-5)
    other = compare(
        ds,
        datasets["untrained"],
        conditions=CONDITIONS,
        metric="procrustes",
        n_shuffles=0,
    )
    assert float(other["score"].sel(metric="procrustes")) > 0.5


def test_alignment_resamples_the_model_to_the_recording_bins(recovery):
    datasets, recording = recovery
    aligned = align(datasets["truth"], recording, CONDITIONS)
    assert aligned.n_conditions == 12  # 4 mixtures x 2 rules + 4 cue stimuli
    np.testing.assert_allclose(aligned.time, recording["time"].values)
    assert aligned.model.shape == (12, 20, 12)
    assert aligned.recording.shape == (12, 20, 30)


def test_compare_command_prints_a_ranked_table(recovery, tmp_path):
    from analysis import save_dataset

    datasets, recording = recovery
    paths = [
        str(save_dataset(ds, tmp_path / f"{n}.nc"))
        for n, ds in list(datasets.items())[:2]
    ]
    recording_path = save_dataset(recording, tmp_path / "recording.nc")
    table = compare_command(
        paths,
        str(recording_path),
        conditions="rule,noise_side,pitch",
        metric="cka",
        n_shuffles=5,
    )
    assert table.splitlines()[2].split()[:2] == ["cka", "truth"]


# -- errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"metric": "procrustess"}, "did you mean 'procrustes'"),
        ({"metric": ""}, "no metric given"),
        ({"conditions": ["context"]}, "condition 'context' is not a trial coordinate"),
        ({"conditions": "rule"}, "non-empty list"),
        ({"n_shuffles": -1}, "n_shuffles must be"),
    ],
)
def test_bad_calls(recovery, kwargs, match):
    datasets, recording = recovery
    options = {"conditions": CONDITIONS, "metric": "cka", "n_shuffles": 0, **kwargs}
    with pytest.raises(ComparisonError, match=match):
        compare(datasets["truth"], recording, **options)


def test_no_shared_labels(recovery):
    datasets, recording = recovery
    renamed = recording.assign_coords(
        rule=("trial", np.full(recording.sizes["trial"], "LB"))
    )
    with pytest.raises(ComparisonError, match="share no"):
        compare(datasets["truth"], renamed, conditions=CONDITIONS, n_shuffles=0)


def test_model_without_the_alignment_event(recovery):
    datasets, recording = recovery
    with pytest.raises(ComparisonError, match="aligned to 'stim_onset'"):
        compare(
            datasets["truth"].drop_vars("stim_onset"), recording, conditions=CONDITIONS
        )


@pytest.mark.skipif(dsa_available(), reason="dsa-metric is installed")
def test_dsa_without_the_package_says_how_to_install(recovery):
    datasets, recording = recovery
    with pytest.raises(AnalysisError, match="pip install dsa-metric"):
        compare(datasets["truth"], recording, conditions=CONDITIONS, metric="dsa")


def test_alrnn_compare_command_line(recovery, tmp_path, capsys):
    from agents.cli import main
    from analysis import save_dataset

    datasets, recording = recovery
    model = save_dataset(datasets["truth"], tmp_path / "truth.nc")
    other = save_dataset(datasets["other_P"], tmp_path / "other_P.nc")
    rec = save_dataset(recording, tmp_path / "recording.nc")
    argv = ["compare", str(model), str(other), str(rec), "--conditions", "rule,pitch"]
    assert main([*argv, "--metric", "rsa", "--shuffles", "3"]) == 0
    assert "truth" in capsys.readouterr().out
    assert main([*argv, "--metric", "cak"]) == 2
    assert "did you mean 'cka'" in capsys.readouterr().err


def test_plots_show_the_aligned_conditions(recovery):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis.compare_plots import plot_projection, plot_psths

    datasets, recording = recovery
    figure = plot_psths(datasets["truth"], recording, conditions=CONDITIONS)
    assert len(figure.axes[0].lines) == 12
    plt.close(figure)
    figure = plot_projection(datasets["truth"], recording, conditions=CONDITIONS)
    assert len(figure.axes) == 2 and len(figure.axes[1].lines) == 24
    plt.close(figure)
    with pytest.raises(ComparisonError, match="model unit 99 does not exist"):
        plot_psths(
            datasets["truth"], recording, conditions=CONDITIONS, model_units=[99]
        )
