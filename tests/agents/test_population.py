import pytest
import torch

from agents import ALRNN, ModelConfig, Population
from agents.errors import ConfigError


def configs():
    return [
        ModelConfig(units=16, relu_units=p, seed=s, nonlinearity="relu")
        for p in (0, 3, 16)
        for s in (0, 1)
    ]


def test_population_outputs_equal_single_models_bit_for_bit():
    population = Population(configs(), 5, 3)
    inputs = torch.randn(7, 30, 5)
    outputs, states = population(inputs, return_states=True)
    for k, config in enumerate(population.configs):
        single = ALRNN(config, 5, 3)  # same seed, same initial weights
        single_outputs, single_states = single(inputs, return_states=True)
        assert torch.equal(single_outputs, outputs[k])
        assert torch.equal(single_states, states[k])


def test_population_gradients_equal_single_models():
    # In float32 the batched and the single products round differently (up to
    # ~1e-5 relative); in float64 the two computations agree to 1e-12, which
    # shows they are the same sums.
    generator = torch.Generator().manual_seed(0)
    population = Population(configs(), 5, 3).double()
    inputs = torch.randn(7, 30, 5, generator=generator, dtype=torch.float64)
    targets = torch.randn(7, 30, 3, generator=generator, dtype=torch.float64)
    ((population(inputs) - targets) ** 2).sum().backward()
    for k, single in enumerate(population.split()):
        assert single.W.dtype == torch.float64
        ((single(inputs) - targets) ** 2).sum().backward()
        for name in ("A", "W", "C", "h", "B", "b"):
            torch.testing.assert_close(
                getattr(single, name).grad,
                getattr(population, name).grad[k],
                rtol=1e-10,
                atol=1e-10,
            )


def test_split_and_restack_are_bit_identical():
    population = Population(configs(), 5, 3)
    with torch.no_grad():
        for p in population.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    inputs = torch.randn(4, 25, 5)
    outputs = population(inputs)
    for k, single in enumerate(population.split()):
        assert torch.equal(single(inputs), outputs[k])
    assert torch.equal(Population.from_models(population.split())(inputs), outputs)


def test_one_batch_per_model():
    population = Population(configs()[:2], 5, 3)
    inputs = torch.randn(2, 4, 10, 5)
    outputs = population(inputs)
    for k, single in enumerate(population.split()):
        assert torch.equal(single(inputs[k]), outputs[k])


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [ModelConfig(units=8), ModelConfig(units=9)],
        [ModelConfig(units=8, nonlinearity="tanh"), ModelConfig(units=8)],
        [ModelConfig(kind="gru", units=8)],
    ],
)
def test_bad_populations(bad):
    with pytest.raises(ConfigError):
        Population(bad, 3, 2)
