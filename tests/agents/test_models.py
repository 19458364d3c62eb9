import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import ALRNN, ModelConfig, build_model
from agents.alrnn import alrnn_bounds, alrnn_scan
from agents.errors import ConfigError
from agents.models import MODEL_KINDS, NONLINEARITIES


def random_alrnn(units=6, relu_units=3, nonlinearity="relu", n_inputs=3, seed=0):
    config = ModelConfig(
        units=units, relu_units=relu_units, nonlinearity=nonlinearity, seed=seed
    )
    model = ALRNN(config, n_inputs, 2).double()
    generator = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(
                torch.randn(parameter.shape, generator=generator, dtype=torch.float64)
                * 0.5
            )
    return model


def reference_states(model, inputs):
    """The AL-RNN equations written out with numpy, one step at a time."""
    A = model.A.detach().numpy()
    W, C = model.W.detach().numpy(), model.C.detach().numpy()
    h = model.h.detach().numpy()
    M, P = model.config.units, model.config.relu_units
    functions = {
        "relu": lambda x: np.maximum(x, 0),
        "tanh": np.tanh,
        "hardtanh": lambda x: np.clip(x, -1, 1),
    }
    f = functions[model.config.nonlinearity]
    x = inputs.numpy()
    z = np.zeros((x.shape[0], M))
    states = []
    for t in range(x.shape[1]):
        phi = np.concatenate([z[:, : M - P], f(z[:, M - P :])], axis=1)
        z = A * z + phi @ W.T + x[:, t] @ C.T + h
        states.append(z)
    return np.stack(states, 1)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
@pytest.mark.parametrize("relu_units", [0, 3, 6])
def test_alrnn_matches_reference_step(nonlinearity, relu_units):
    model = random_alrnn(relu_units=relu_units, nonlinearity=nonlinearity)
    inputs = torch.randn(
        4, 12, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1)
    )
    outputs, states = model(inputs, return_states=True)
    expected = reference_states(model, inputs)
    np.testing.assert_allclose(
        states.detach().numpy(), expected, rtol=1e-10, atol=1e-10
    )
    readout = expected @ model.B.detach().numpy().T + model.b.detach().numpy()
    np.testing.assert_allclose(
        outputs.detach().numpy(), readout, rtol=1e-10, atol=1e-10
    )


def test_step_method_matches_run():
    model = random_alrnn()
    inputs = torch.randn(2, 5, 3, dtype=torch.float64)
    _, states = model(inputs, return_states=True)
    z = torch.zeros(2, 6, dtype=torch.float64)
    for t in range(5):
        z = model.step(z, inputs[:, t])
    torch.testing.assert_close(z, states[:, -1])


def test_linear_alrnn_obeys_superposition():
    model = random_alrnn(relu_units=0)
    with torch.no_grad():
        model.h.zero_()
    generator = torch.Generator().manual_seed(3)
    x1 = torch.randn(3, 20, 3, dtype=torch.float64, generator=generator)
    x2 = torch.randn(3, 20, 3, dtype=torch.float64, generator=generator)
    _, s1 = model(x1, return_states=True)
    _, s2 = model(x2, return_states=True)
    _, s12 = model(2.5 * x1 - 0.7 * x2, return_states=True)
    torch.testing.assert_close(s12, 2.5 * s1 - 0.7 * s2, rtol=1e-9, atol=1e-9)


def test_relu_alrnn_is_not_linear():
    model = random_alrnn(relu_units=6)
    x = torch.randn(3, 20, 3, dtype=torch.float64)
    _, s1 = model(x, return_states=True)
    _, s2 = model(-x, return_states=True)
    assert not torch.allclose(
        s1 + s2,
        torch.zeros_like(s1) + 2 * model(torch.zeros_like(x), return_states=True)[1],
    )


@pytest.mark.parametrize("nonlinearity", ["relu", "hardtanh"])
def test_jacobian_inside_a_subregion(nonlinearity):
    model = random_alrnn(units=7, relu_units=4, nonlinearity=nonlinearity)
    z = torch.tensor([0.3, -1.2, 0.8, 0.6, -0.9, 0.4, 2.0], dtype=torch.float64)
    s = torch.randn(3, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda x: model.step(x, s), z)
    lower, upper = alrnn_bounds(7, 4, nonlinearity)
    slope = (
        (z > lower.double()) & (z < upper.double())
    ).double()  # D: 1 on linear units
    expected = torch.diag(model.A.detach()) + model.W.detach() * slope
    torch.testing.assert_close(jacobian, expected)


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_handwritten_backward_passes_gradcheck(nonlinearity):
    generator = torch.Generator().manual_seed(0)
    K, N, M, T = 2, 3, 5, 6
    lower, upper = alrnn_bounds(M, 3, nonlinearity)
    lower = lower.double().expand(K, 1, M)
    upper = upper.double().expand(K, 1, M)

    def leaf(*shape, scale=1.0):
        return (
            torch.randn(*shape, generator=generator, dtype=torch.float64) * scale
        ).requires_grad_()

    drive, A, W, z0 = (
        leaf(T, K, N, M),
        leaf(K, 1, M, scale=0.5),
        leaf(K, M, M, scale=0.5),
        leaf(K, N, M),
    )
    assert torch.autograd.gradcheck(
        lambda d, a, w, z: alrnn_scan(d, a, w, lower, upper, nonlinearity, z),
        (drive, A, W, z0),
    )


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_every_model_has_the_same_interface(kind):
    model = build_model(ModelConfig(kind=kind, units=8, relu_units=2), 3, 4)
    inputs = torch.randn(5, 9, 3)
    outputs, states = model(inputs, return_states=True)
    assert outputs.shape == (5, 9, 4) and states.shape == (5, 9, 8)
    lengths = torch.tensor([9, 1, 4, 6, 2])
    _, run_states, final = model.run(inputs, lengths=lengths)
    assert final.shape == (5, model.state_size)
    hidden = final[:, :8]
    torch.testing.assert_close(hidden, run_states[torch.arange(5), lengths - 1])


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_same_seed_same_weights(kind):
    first = build_model(ModelConfig(kind=kind, units=8, seed=3), 3, 2)
    second = build_model(ModelConfig(kind=kind, units=8, seed=3), 3, 2)
    other = build_model(ModelConfig(kind=kind, units=8, seed=4), 3, 2)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)
    assert any(
        not torch.equal(a, c)
        for a, c in zip(first.parameters(), other.parameters(), strict=True)
    )


@settings(max_examples=25, deadline=None)
@given(
    kind=st.sampled_from(MODEL_KINDS),
    relu_units=st.integers(0, 5),
    split=st.integers(1, 11),
)
def test_carrying_the_final_state_equals_one_long_run(kind, relu_units, split):
    """What truncated BPTT relies on: chunked runs continue exactly where they stopped."""
    model = build_model(
        ModelConfig(kind=kind, units=5, relu_units=relu_units), 2, 3
    ).double()
    inputs = torch.randn(
        3, 12, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(split)
    )
    whole, _, _ = model.run(inputs)
    first, _, carry = model.run(inputs[:, :split])
    second, _, _ = (
        model.run(inputs[:, split:], carry)
        if split < 12
        else (first[:, :0], None, None)
    )
    torch.testing.assert_close(torch.cat([first, second], 1), whole)


def test_fixed_linear_diagonal_stays_zero():
    config = ModelConfig(units=6, relu_units=2, learn_linear_diagonal=False)
    model = ALRNN(config, 3, 2)
    assert torch.equal(model.effective_A()[:4], torch.zeros(4))
    model(torch.randn(2, 5, 3)).sum().backward()
    assert torch.equal(model.A.grad[:4], torch.zeros(4))


def test_manifold_attractor_regulariser():
    config = ModelConfig(units=6, relu_units=2, reg_units=2, reg_weight=0.5)
    model = ALRNN(config, 3, 2)
    with torch.no_grad():
        model.A[:2] = 1.0
        model.W[:2] = 0.0
        model.h[:2] = 0.0
    assert model.regularization().item() == 0.0
    with torch.no_grad():
        model.A[0] = 0.0
    assert model.regularization().item() == pytest.approx(0.5)


def test_bad_config_values_raise_one_line_errors():
    with pytest.raises(ConfigError, match="relu_units"):
        ModelConfig(units=4, relu_units=5)
