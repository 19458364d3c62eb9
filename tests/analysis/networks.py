"""Random AL-RNNs for the dissection tests."""

import numpy as np

from analysis.pieces import PiecewiseLinearMap


def random_alrnn(
    seed: int, units: int, relu_units: int, gain: float = 1.5, n_inputs: int = 2
) -> PiecewiseLinearMap:
    """A random AL-RNN whose weights are large enough for several fixed points."""
    rng = np.random.default_rng(seed)
    return PiecewiseLinearMap(
        A=rng.uniform(-0.2, 0.9, units),
        W=rng.normal(0.0, gain / np.sqrt(units), (units, units)),
        C=rng.normal(0.0, 1.0, (units, n_inputs)),
        h=rng.normal(0.0, 1.0, units),
        relu_units=relu_units,
    )
