import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import ALRNN, ModelConfig
from analysis.errors import AnalysisError, NonlinearityError, SingularSystemError
from analysis.fixed_points import fixed_points
from analysis.pieces import PiecewiseLinearMap
from tests.analysis.networks import random_alrnn

TOL = 1e-7


@st.composite
def networks(draw, max_relu_units: int = 6):
    units = draw(st.integers(1, 9))
    relu_units = draw(st.integers(0, min(units, max_relu_units)))
    gain = draw(st.floats(0.5, 3.0))
    return random_alrnn(draw(st.integers(0, 2**32 - 1)), units, relu_units, gain)


def inputs_for(plrnn, seed):
    return np.random.default_rng(seed).normal(size=plrnn.C.shape[1])


def in_own_subregion(plrnn, dataset, tol=TOL):
    relu = dataset["state"].values[:, plrnn.linear_units :]
    bits = (dataset["code"].values[:, None] >> np.arange(plrnn.relu_units)) & 1
    return np.all(np.where(bits == 1, relu >= -tol, relu <= tol), axis=1)


@settings(max_examples=60, deadline=None)
@given(networks(), st.integers(0, 1000))
def test_real_fixed_points_are_fixed_and_in_their_subregion(plrnn, seed):
    inputs = inputs_for(plrnn, seed)
    result = fixed_points(plrnn, inputs)
    states = result["state"].values
    assert result["real"].all()
    scale = 1 + np.abs(states).max(initial=0)
    np.testing.assert_allclose(plrnn.step(states, inputs), states, atol=1e-8 * scale)
    assert in_own_subregion(plrnn, result).all()


@settings(max_examples=40, deadline=None)
@given(networks(max_relu_units=8), st.integers(0, 1000), st.integers(1, 4))
def test_exact_agrees_with_brute_force(plrnn, seed, inner_bits):
    inputs = inputs_for(plrnn, seed)
    exact = fixed_points(plrnn, inputs, inner_bits=inner_bits)
    brute = fixed_points(plrnn, inputs, method="brute")
    np.testing.assert_array_equal(exact["code"].values, brute["code"].values)
    np.testing.assert_allclose(exact["state"].values, brute["state"].values, atol=1e-7)
    np.testing.assert_array_equal(exact["stable"].values, brute["stable"].values)


@settings(max_examples=25, deadline=None)
@given(networks(max_relu_units=5), st.integers(0, 1000))
def test_virtual_candidates_agree_with_brute_force(plrnn, seed):
    inputs = inputs_for(plrnn, seed)
    exact = fixed_points(plrnn, inputs, include_virtual=True, inner_bits=2)
    brute = fixed_points(plrnn, inputs, method="brute", include_virtual=True)
    np.testing.assert_array_equal(exact["code"].values, brute["code"].values)
    np.testing.assert_array_equal(exact["real"].values, brute["real"].values)
    finite = np.isfinite(brute["state"].values).all(1)
    scale = 1 + np.abs(brute["state"].values[finite]).max(initial=0)
    np.testing.assert_allclose(
        exact["state"].values[finite], brute["state"].values[finite], atol=1e-7 * scale
    )


@settings(max_examples=40, deadline=None)
@given(networks(), st.integers(0, 1000))
def test_stability_agrees_with_iterating_the_map(plrnn, seed):
    inputs = inputs_for(plrnn, seed)
    result = fixed_points(plrnn, inputs)
    rng = np.random.default_rng(seed)
    for point in result["fixed_point"].values:
        z_star = result["state"].values[point]
        radius = float(result["spectral_radius"][point])
        relu = z_star[plrnn.linear_units :]
        margin = np.abs(relu).min(initial=np.inf)
        if abs(radius - 1) < 0.05 or margin < 1e-4:
            continue  # near-marginal or on a boundary: linearisation says little
        epsilon = min(1e-6, margin / 100)
        z = z_star + epsilon * rng.normal(size=z_star.shape) / np.sqrt(len(z_star))
        distances = []
        for _ in range(600):
            z = plrnn.step(z, inputs)
            distances.append(np.abs(z - z_star).max())
            if distances[-1] > 1e3 * epsilon:
                break  # escaped, as an unstable point should; avoid overflow
        if result["stable"].values[point]:
            assert distances[-1] < 1e-3 * epsilon
        else:
            assert max(distances) > 50 * epsilon


@settings(max_examples=15, deadline=None)
@given(networks(), st.integers(0, 1000))
def test_search_finds_every_real_fixed_point_on_small_networks(plrnn, seed):
    inputs = inputs_for(plrnn, seed)
    exact = fixed_points(plrnn, inputs)
    # fewer chains than subregions, so the search really searches for P = 6
    found = fixed_points(
        plrnn, inputs, method="search", n_starts=16, max_iter=40, seed=seed
    )
    np.testing.assert_array_equal(found["code"].values, exact["code"].values)
    np.testing.assert_allclose(found["state"].values, exact["state"].values, atol=1e-8)


def bistable_switch() -> PiecewiseLinearMap:
    # two self-exciting, mutually inhibiting relu units and a linear readout unit
    A = np.array([0.5, 0.5, 0.5])
    W = np.array([[0.0, 1.0, -1.0], [0.0, 0.3, -1.0], [0.0, -1.0, 0.3]])
    return PiecewiseLinearMap(A, W, np.zeros((3, 1)), np.array([0.0, 0.2, 0.2]), 2)


def test_bistable_switch_has_two_stable_states_and_a_saddle():
    result = fixed_points(bistable_switch())
    assert result["code"].values.tolist() == [1, 2, 3]
    relu = result["state"].values[:, 1:]
    np.testing.assert_allclose(relu, [[1.0, -1.6], [-1.6, 1.0], [1 / 6, 1 / 6]])
    assert result["stable"].values.tolist() == [True, True, False]
    np.testing.assert_allclose(result["spectral_radius"].values[2], 1.8)
    assert result["bits"].values.tolist() == ["10", "01", "11"]


def test_line_attractor_in_a_subregion_is_reported_as_degenerate():
    # in subregion 11 the map has eigenvalue 1 along (1, -1): z1 + z2 = 2 is fixed
    plrnn = PiecewiseLinearMap(
        np.zeros(2),
        np.array([[0.5, -0.5], [-0.5, 0.5]]),
        np.zeros((2, 1)),
        np.ones(2),
        2,
    )
    with pytest.warns(UserWarning, match="continuum of fixed points"):
        result = fixed_points(plrnn)
    line = result.sel(fixed_point=result["code"] == 3)
    assert bool(line["degenerate"].item()) and not bool(line["stable"].item())
    np.testing.assert_allclose(line["state"].values[0], [1.0, 1.0])
    np.testing.assert_allclose(np.abs(line["eigenvalues"].values[0, 0]), 1.0)
    for t in (0.3, 1.0, 1.7):
        point = np.array([t, 2 - t])
        np.testing.assert_allclose(plrnn.step(point), point)


def test_integrator_in_the_linear_units_needs_brute_force():
    # linear unit with A = 1 integrates the input: K = I - A_L - W_LL is singular
    plrnn = PiecewiseLinearMap(
        np.array([1.0, 0.0]),
        np.array([[0.0, 0.0], [0.0, 0.5]]),
        np.eye(2),
        np.array([0.0, 0.1]),
        1,
    )
    with pytest.raises(SingularSystemError, match="method='brute'"):
        fixed_points(plrnn, np.zeros(2))
    with pytest.warns(UserWarning, match="continuum"):
        result = fixed_points(plrnn, np.zeros(2), method="brute")
    assert result["degenerate"].values.tolist() == [True]
    np.testing.assert_allclose(result["state"].values[0], [0.0, 0.2])


def test_works_on_an_alrnn_module():
    model = ALRNN(ModelConfig(units=6, relu_units=3, seed=1), n_inputs=2, n_outputs=2)
    with torch.no_grad():
        model.W.mul_(20.0)
        model.h.copy_(torch.linspace(-1, 1, 6))
    result = fixed_points(model, torch.ones(2))
    states = torch.from_numpy(result["state"].values).float()
    stepped = model.step(states, torch.ones(len(states), 2)).detach()
    np.testing.assert_allclose(stepped.numpy(), states.numpy(), atol=1e-4)
    assert result.sizes["unit"] == result.sizes["mode"] == 6


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "newton"}, AnalysisError, "method must be one of"),
        (
            {"method": "search", "include_virtual": True},
            AnalysisError,
            "include_virtual",
        ),
        ({"inputs": np.ones(3)}, AnalysisError, r"shape \(2,\)"),
    ],
)
def test_bad_options_raise_one_line_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        fixed_points(random_alrnn(0, 4, 2), **kwargs)


def test_tanh_models_are_refused():
    config = ModelConfig(units=4, relu_units=2, nonlinearity="tanh")
    with pytest.raises(NonlinearityError, match="relu"):
        fixed_points(ALRNN(config, n_inputs=1, n_outputs=1))


def test_chunking_and_inner_bits_do_not_change_the_result():
    plrnn = random_alrnn(0, 14, 10, gain=2.5)
    reference = fixed_points(plrnn, np.ones(2), method="brute")
    for inner_bits, chunk_size in ((0, 64), (3, 256), (10, 2**12), (12, 2**18)):
        result = fixed_points(
            plrnn, np.ones(2), inner_bits=inner_bits, chunk_size=chunk_size
        )
        np.testing.assert_array_equal(result["code"].values, reference["code"].values)
    assert reference.attrs["n_real"] > 0
