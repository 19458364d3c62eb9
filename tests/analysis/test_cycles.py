import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cycles import cycles
from analysis.errors import AnalysisError
from analysis.pieces import PiecewiseLinearMap
from tests.analysis.networks import random_alrnn


def two_cycle() -> PiecewiseLinearMap:
    # z -> 1 - 2 relu(z): -1 -> 1 -> -1, and an unstable fixed point at 1/3
    return PiecewiseLinearMap(
        np.zeros(1), np.array([[-2.0]]), np.zeros((1, 1)), np.ones(1), 1
    )


def test_constructed_two_cycle():
    for method in ("exact", "search"):
        result = cycles(two_cycle(), period=2, method=method)
        assert result.sizes["cycle"] == 1
        np.testing.assert_allclose(result["state"].values[0, :, 0], [-1.0, 1.0])
        assert result["code"].values[0].tolist() == [0, 1]
        assert bool(result["stable"].values[0])  # monodromy (-2)(0) = 0


def test_fixed_points_are_not_reported_as_cycles():
    switch = PiecewiseLinearMap(
        np.zeros(1), np.array([[2.0]]), np.zeros((1, 1)), np.array([-0.5]), 1
    )
    assert cycles(switch, period=2).sizes["cycle"] == 0


@settings(max_examples=30, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 5),
    st.integers(1, 3),
    st.integers(2, 4),
    st.floats(1.0, 4.0),
)
def test_cycles_repeat_after_k_steps_and_not_before(seed, units, relu_units, k, gain):
    relu_units = min(units, relu_units)
    if relu_units * k > 9:
        k = 9 // relu_units
    if k < 2:
        return
    plrnn = random_alrnn(seed, units, relu_units, gain)
    inputs = np.random.default_rng(seed).normal(size=2)
    result = cycles(plrnn, inputs, period=k)
    for cycle in result["cycle"].values:
        orbit = result["state"].values[cycle]
        scale = 1 + np.abs(orbit).max()
        z = orbit[0]
        for step in range(1, k + 1):
            z = plrnn.step(z, inputs)
            if step < k:
                np.testing.assert_allclose(z, orbit[step], atol=1e-7 * scale)
                assert np.abs(z - orbit[0]).max() > 1e-9 * scale
        np.testing.assert_allclose(z, orbit[0], atol=1e-7 * scale)
        relu = orbit[:, plrnn.linear_units :]
        bits = (result["code"].values[cycle][:, None] >> np.arange(relu_units)) & 1
        assert np.all(np.where(bits == 1, relu >= -1e-9, relu <= 1e-9))


def test_search_finds_the_cycles_of_exact_enumeration():
    rng_seeds = [
        s
        for s in range(40)
        if cycles(random_alrnn(s, 4, 2, 3.0), period=2).sizes["cycle"]
    ]
    assert rng_seeds, "no random network with a 2-cycle among the seeds"
    for seed in rng_seeds[:3]:
        plrnn = random_alrnn(seed, 4, 2, 3.0)
        exact = cycles(plrnn, period=2)
        found = cycles(plrnn, period=2, method="search", n_starts=32, max_iter=30)
        np.testing.assert_array_equal(found["code"].values, exact["code"].values)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period": 1}, "period must be an integer >= 2"),
        ({"method": "brute"}, "method must be"),
        ({"period": 10}, "method='search'"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(AnalysisError, match=match):
        cycles(random_alrnn(0, 4, 3), **kwargs)
