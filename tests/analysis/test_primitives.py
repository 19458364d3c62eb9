import numpy as np
import pytest
import torch

import agents
from analysis.codes import occupancy, subregion_codes
from analysis.errors import AnalysisError
from analysis.fixed_points import fixed_points
from analysis.necessity import necessity_curve, score_models, smallest_sufficient
from analysis.pieces import PiecewiseLinearMap
from analysis.primitives import gating, integration, memory, transient_amplification
from analysis.task_variance import cluster_units, task_variance


def test_gating_finds_the_unit_that_switches_with_the_rule():
    rng = np.random.default_rng(0)
    rules = np.repeat(["a", "b"], 50)
    states = rng.normal(size=(100, 10, 3))
    states[..., 2] = np.where(rules == "a", 1.0, -1.0)[:, None] + 0.1 * states[..., 2]
    result = gating(states, rules, relu_units=2)
    assert result["effect"].values[1] == pytest.approx(1.0)
    assert result["effect"].values[0] < 0.3
    assert result["gated"].all()  # unit 2 alone separates the subregions


def test_integration_finds_a_line_attractor_driven_by_its_input():
    # unit 0 integrates input 0 (eigenvalue 1); input 1 drives a decaying unit
    plrnn = PiecewiseLinearMap(
        np.array([1.0, 0.5, 0.2]),
        np.zeros((3, 3)),
        np.array([[1.0, 0], [0, 1.0], [0, 0]]),
        np.zeros(3),
        1,
    )
    result = integration(plrnn, [0, 1], input_names=["evidence", "other"])
    assert result["integrating"].sel(input="evidence").all()
    assert not result["integrating"].sel(input="other").any()


def test_memory_and_transient_amplification():
    rng = np.random.default_rng(1)
    labels = np.repeat([0, 1], 20)
    states = rng.normal(size=(40, 5, 4)) * 0.1
    states[:, 3:, 0] += labels[:, None]  # the label shows up only from step 3
    explained = memory(states, labels)
    assert explained[:3].max() < 0.3 and explained[3:].min() > 0.5
    # relu unit 1 feeds linear unit 0 when on: stable, non-normal, amplifies
    chain = PiecewiseLinearMap(
        np.array([0.5, 0.5]),
        np.array([[0.0, 3.0], [0.0, 0.0]]),
        np.zeros((2, 1)),
        np.zeros(2),
        1,
    )
    result = transient_amplification(chain, [0, 1])
    assert result["non_normal"].values.tolist() == [False, True]
    assert result["amplification"].values[1] > 1 > result["spectral_radius"].values[1]


def test_necessity_curve_and_smallest_p():
    scores = [
        {"accuracy": a, "by": {"x": a / 2}} for a in (0.5, 0.6, 0.92, 0.95, 0.97, 0.99)
    ]
    curve = necessity_curve([0, 0, 2, 2, 4, 4], scores, seeds=[0, 1, 0, 1, 0, 1])
    assert curve["score"].dims == ("relu_units", "seed", "metric")
    np.testing.assert_allclose(
        curve["mean"].sel(metric="accuracy"), [0.55, 0.935, 0.98]
    )
    smallest = smallest_sufficient(curve, 0.9)
    assert smallest.sel(metric="accuracy") == 2 and smallest.sel(metric="by/x") == -1
    with pytest.raises(AnalysisError, match="one score dict per model"):
        necessity_curve([0, 1], scores)


def test_task_variance_clusters_task_specific_units():
    rng = np.random.default_rng(2)
    tasks = np.repeat(["go", "anti", "memory"], 30)
    states = 0.01 * rng.normal(size=(90, 8, 9))
    for index, name in enumerate(("go", "anti", "memory")):
        units = slice(3 * index, 3 * index + 3)
        states[tasks == name, :, units] += rng.normal(size=(30, 8, 3))
    variance = task_variance(states, tasks)
    clusters = cluster_units(variance, max_clusters=5)
    assert clusters.attrs["n_clusters"] == 3
    labels = clusters["cluster"].values
    assert len({tuple(labels[3 * i : 3 * i + 3]) for i in range(3)}) == 3
    assert all(len(set(labels[3 * i : 3 * i + 3])) == 1 for i in range(3))


def test_trained_stimulus_selection_model_has_rule_dependent_regions(
    stimulus_selection_run,
):
    model, task = agents.load(stimulus_selection_run)
    batch = task.batch(256, seed=123)
    with torch.no_grad():
        outputs, states = model(batch.inputs, return_states=True)
    assert task.score(outputs, batch)["accuracy"] > 0.9

    relu_units = model.relu_units
    codes = subregion_codes(states, relu_units, mask=batch.mask.numpy() > 0)
    assert occupancy(codes, relu_units).attrs["regions_used"] >= 2
    stimulus = np.asarray(batch.period_names).tolist().index("stimulus")
    in_stimulus = batch.period.numpy() >= stimulus
    rules = batch.conditions["rule"]
    gates = gating(states, rules, relu_units, mask=in_stimulus)
    assert gates["gated"].any()  # subregions used under one rule only
    assert gates["effect"].max() > 0.3

    # fixed points for each rule's mean input during the response window
    response = batch.period.numpy() == np.asarray(batch.period_names).tolist().index(
        "response"
    )
    for rule in np.unique(rules):
        chosen = batch.inputs.numpy()[(rules == rule)[:, None] & response]
        result = fixed_points(model, chosen.mean(0))
        assert result.attrs["regions_possible"] == 16
        scores = score_models([model], task, n_trials=64)
        assert scores[0]["accuracy"] > 0.8
