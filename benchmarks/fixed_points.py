"""Exact fixed-point enumeration against the brute-force per-subregion solve.

Both methods examine all 2^P subregions of a random AL-RNN (M = 64 units,
P nonlinear) for one constant input and classify every candidate as real or
virtual. Brute force solves the full M×M system (I - J_d) z = c in every
subregion, batched over subregions; exact enumeration eliminates the linear
units once and updates the remaining P×P solutions by rank-one steps between
neighbouring subregions (see :mod:`analysis.fixed_points`). Both run in the
same process on the same machine, each timed as the best of ``--repeats``
calls (a shared machine stalls small operations at random); the script
prints their times, their ratio and checks that they find the same real
fixed points. Larger P is timed for
the exact method alone.

Run with ``python benchmarks/fixed_points.py`` (``--help`` for options).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from analysis.fixed_points import fixed_points
from analysis.pieces import PiecewiseLinearMap


def random_alrnn(units: int, relu_units: int, seed: int) -> PiecewiseLinearMap:
    """Return an AL-RNN with a spectral radius near 1, as after training."""
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.5, 0.9, units)
    W = rng.normal(0.0, 0.6 / np.sqrt(units), (units, units))
    C = rng.normal(0.0, 1.0, (units, 3))
    return PiecewiseLinearMap(A, W, C, rng.normal(0.0, 0.5, units), relu_units)


def timed(function, repeats: int) -> tuple[float, object]:
    """Best wall time of ``repeats`` calls and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def compare(units: int, relu_units: int, repeats: int) -> None:
    model = random_alrnn(units, relu_units, seed=relu_units)
    inputs = np.ones(3)
    exact_s, exact = timed(lambda: fixed_points(model, inputs), repeats)
    brute_s, brute = timed(lambda: fixed_points(model, inputs, method="brute"), repeats)
    same = np.array_equal(exact["code"].values, brute["code"].values) and np.allclose(
        exact["state"].values, brute["state"].values, atol=1e-8
    )
    print(
        f"M={units} P={relu_units:2d}  exact {exact_s:8.3f} s  brute {brute_s:8.3f} s"
        f"  ratio {brute_s / exact_s:7.1f}x  real {exact.attrs['n_real']}"
        f"  same fixed points: {same}"
    )


def exact_only(units: int, relu_units: int) -> None:
    model = random_alrnn(units, relu_units, seed=relu_units)
    seconds, result = timed(lambda: fixed_points(model, np.ones(3)), 1)
    print(
        f"M={units} P={relu_units:2d}  exact {seconds:8.3f} s"
        f"  ({2**relu_units / seconds:,.0f} subregions/s)  real {result.attrs['n_real']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--compare", type=int, nargs="*", default=[8, 12, 16])
    parser.add_argument("--exact", type=int, nargs="*", default=[20, 24])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
        f"{args.threads} threads"
    )
    for relu_units in args.compare:
        compare(args.units, relu_units, args.repeats)
    for relu_units in args.exact:
        exact_only(args.units, relu_units)


if __name__ == "__main__":
    main()
