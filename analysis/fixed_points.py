"""Fixed points of an AL-RNN under a constant input, exact or by search.

For a constant input s the AL-RNN is affine in each of its 2^P subregions, so
each subregion d has one candidate fixed point, the solution of
(I - J_d) z = c with J_d = diag(A) + W D_d and c = C s + h. The candidate is
*real* when it lies inside its own subregion and *virtual* otherwise.

Exact enumeration (``method="exact"``) never forms the M×M systems. Split
z = (x, y) into the L = M - P linear units x and the P nonlinear units y.
The linear rows, (I - diag(A_L) - W_LL) x = W_LP D y + c_L, do not depend on
the subregion, so x = G D y + g is eliminated once (G = K⁻¹ W_LP,
g = K⁻¹ c_L, K = I - diag(A_L) - W_LL). What remains is the P×P
Schur-complement system

    (Λ - Q D) y = r,   Λ = I - diag(A_P),  Q = W_PL G + W_PP,  r = c_P + W_PL g.

Switching one nonlinear unit on changes one column of Λ - Q D, a rank-one
change, so the solutions of a whole block of 2^k neighbouring subregions
follow from one direct solve by Sherman-Morrison updates, O(P) work per
subregion and level. Subregions whose update pivot is near zero (a singular
or ill-conditioned piece) are solved again directly. ``method="brute"``
solves the full M×M system in every subregion (batched); it is the reference
and handles a singular linear block. ``method="search"`` is a heuristic in
the spirit of SCYFI (Eisenmann et al. 2023) for large P: start in random
subregions, solve, jump to the subregion of the candidate, until it is real.

References
----------
Eisenmann, L., Monfared, Z., Göring, N. & Durstewitz, D. (2023). Bifurcations
and loss jumps in RNN training. *NeurIPS* (SCYFI).

Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.

Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import xarray as xr

from analysis.codes import code_strings
from analysis.errors import AnalysisError, AnalysisWarning
from analysis.pieces import PiecewiseLinearMap, piecewise_map
from analysis.search import search_candidates
from analysis.solve import (
    ReducedSystem,
    code_bits,
    in_region,
    reduce_system,
    solve_batched,
    solve_reduced,
)

__all__ = ["fixed_points"]

METHODS = ("exact", "search", "brute")
# enumerating more subregions than this with include_virtual returns huge data
MAX_VIRTUAL_RELU_UNITS = 16


def _enumerate(
    system: ReducedSystem, inner_bits: int | None, chunk_size: int, pivot_tol: float
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Yield ``(codes, y, suspect)`` chunks covering all 2^P subregions.

    The top P - k bits are solved directly (one P×P solve per block), the low
    k = ``inner_bits`` bits by Sherman-Morrison doubling: switching bit j on
    turns T = Λ - Q D into T - q_j e_jᵀ, so with v_i = T⁻¹ q_i,
    y' = y + v_j y_j / (1 - v_jj) and v_i' = v_i + v_j v_ij / (1 - v_jj).
    The yielded tensors are buffers reused by the next chunk.
    """
    relu_units = system.lam.shape[0]
    if inner_bits is None:
        # a direct batched solve is one call, cheaper than updates for small P
        inner_bits = min(12, max(0, relu_units - 8))
    inner = min(relu_units, inner_bits)
    n_outer = 2 ** (relu_units - inner)
    per_chunk = min(n_outer, max(1, chunk_size >> inner))
    rhs = torch.cat([system.r[:, None], system.Q[:, :inner]], dim=1)

    # column i is only needed while bits < i double the block: per_chunk 2^i rows
    size = per_chunk << inner
    y = torch.empty(size, relu_units, dtype=torch.float64)
    columns = [
        torch.empty(per_chunk << i, relu_units, dtype=torch.float64)
        for i in range(inner)
    ]
    smallest = torch.empty(size, dtype=torch.float64)
    codes = torch.empty(size, dtype=torch.int64)
    for start in range(0, n_outer, per_chunk):
        outer = torch.arange(start, min(start + per_chunk, n_outer)) << inner
        block = len(outer)
        # an explicit batch axis: a 2-D right-hand side can be read as vectors
        matrices = system.matrices(outer)
        solved, info = torch.linalg.solve_ex(matrices, rhs.expand(block, -1, -1))
        solved[info != 0] = torch.nan
        y[:block] = solved[:, :, 0]
        for i, column in enumerate(columns):
            column[:block] = solved[:, :, 1 + i]
        smallest[:block], codes[:block] = torch.inf, outer
        smallest[:block][info != 0] = 0.0
        for bit in range(inner):
            _double(y, columns, smallest, codes, bit, block << bit)
        n = block << inner
        suspect = smallest[:n] < pivot_tol
        yield codes[:n], y[:n], suspect


def _double(
    y: torch.Tensor,
    columns: list[torch.Tensor],
    smallest: torch.Tensor,
    codes: torch.Tensor,
    bit: int,
    n: int,
) -> None:
    """Write the first ``n`` rows with ``bit`` switched on into rows n..2n."""
    column = columns[bit][:n]  # T⁻¹ q_bit, (n, P)
    pivot = 1 - column[:, bit]
    torch.addcmul(y[:n], column, (y[:n, bit] / pivot)[:, None], out=y[n : 2 * n])
    for later in columns[bit + 1 :]:
        coefficient = (later[:n, bit] / pivot)[:, None]
        torch.addcmul(later[:n], column, coefficient, out=later[n : 2 * n])
    # a NaN pivot counts as 0, so every non-finite row ends up suspect
    torch.minimum(smallest[:n], pivot.abs().nan_to_num_(0.0), out=smallest[n : 2 * n])
    torch.bitwise_or(codes[:n], 1 << bit, out=codes[n : 2 * n])


def _exact_candidates(
    system: ReducedSystem,
    *,
    include_virtual: bool,
    region_tol: float,
    singular_tol: float,
    inner_bits: int | None,
    chunk_size: int,
    pivot_tol: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return ``codes``, ``y`` and ``degenerate`` of the kept candidates."""
    kept_codes, kept_y, kept_degenerate = [], [], []
    for codes, y, suspect in _enumerate(system, inner_bits, chunk_size, pivot_tol):
        # non-finite rows are all suspect (zero or NaN pivot) and checked below
        inside = in_region(codes, y, region_tol, check_finite=False)
        degenerate = torch.zeros(len(codes), dtype=torch.bool)

        # near-singular updates and real candidates are solved again directly
        redo = torch.nonzero(suspect | inside).ravel()
        if len(redo):
            y[redo], degenerate[redo] = solve_reduced(system, codes[redo], singular_tol)
            inside[redo] = in_region(codes[redo], y[redo], region_tol)

        keep = torch.ones_like(inside) if include_virtual else inside
        kept_codes.append(codes[keep])
        kept_y.append(y[keep])
        kept_degenerate.append(degenerate[keep])
    return torch.cat(kept_codes), torch.cat(kept_y), torch.cat(kept_degenerate)


def _brute_candidates(
    plrnn: PiecewiseLinearMap,
    drive: np.ndarray,
    *,
    include_virtual: bool,
    region_tol: float,
    singular_tol: float,
    chunk_size: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Full M×M solve (I - J_d) z = c in every subregion, batched in chunks."""
    units, first = plrnn.units, plrnn.linear_units
    W = torch.from_numpy(plrnn.W)
    base = torch.eye(units, dtype=torch.float64) - torch.diag(torch.from_numpy(plrnn.A))
    c = torch.from_numpy(drive)
    kept = []
    for start in range(0, 2**plrnn.relu_units, chunk_size):
        codes = torch.arange(start, min(start + chunk_size, 2**plrnn.relu_units))
        slopes = torch.cat(
            [
                torch.ones(len(codes), first, dtype=torch.float64),
                code_bits(codes, units - first),
            ],
            dim=1,
        )
        matrices = base - W * slopes[:, None, :]
        z, degenerate = solve_batched(matrices, c.expand(len(codes), -1), singular_tol)
        keep = in_region(codes, z[:, first:], region_tol)
        keep = torch.ones_like(keep) if include_virtual else keep
        kept.append((codes[keep], z[keep], degenerate[keep]))
    codes, z, degenerate = (torch.cat(parts) for parts in zip(*kept, strict=True))
    return codes, z, degenerate


def _unique_points(states: np.ndarray, real: np.ndarray, tol: float) -> np.ndarray:
    """Return indices of the real points that repeat no earlier one (within tol).

    A fixed point on a subregion boundary solves both neighbouring pieces; it
    is reported once, under the lower code.
    """
    keep = np.ones(len(states), dtype=bool)
    real_index = np.flatnonzero(real)
    points = states[real_index]
    scale = 1 + np.abs(points).max(-1, initial=0.0)
    for position, index in enumerate(real_index):
        if not keep[index] or not np.isfinite(points[position]).all():
            continue
        later = real_index[position + 1 :]
        distance = np.abs(points[position + 1 :] - points[position]).max(-1)
        keep[later[distance <= tol * scale[position]]] = False
    return np.flatnonzero(keep)


def _assemble(
    plrnn: PiecewiseLinearMap,
    codes: np.ndarray,
    states: np.ndarray,
    real: np.ndarray,
    degenerate: np.ndarray,
    stability_tol: float,
) -> xr.Dataset:
    jacobians = plrnn.jacobians(codes)
    eigenvalues = (
        np.linalg.eigvals(jacobians) if len(codes) else np.empty((0, plrnn.units))
    )
    order = np.argsort(-np.abs(eigenvalues), axis=-1, kind="stable")
    eigenvalues = np.take_along_axis(eigenvalues, order, -1).astype(complex)
    radius = np.abs(eigenvalues).max(-1, initial=0.0) if len(codes) else np.empty(0)
    return xr.Dataset(
        {
            "state": (("fixed_point", "unit"), states),
            "code": ("fixed_point", codes),
            "real": ("fixed_point", real),
            "eigenvalues": (("fixed_point", "mode"), eigenvalues),
            "spectral_radius": ("fixed_point", radius),
            "stable": ("fixed_point", radius < 1 - stability_tol),
            "degenerate": ("fixed_point", degenerate),
        },
        coords={
            "fixed_point": np.arange(len(codes)),
            "unit": np.arange(plrnn.units),
            "mode": np.arange(plrnn.units),
            "bits": ("fixed_point", code_strings(codes, plrnn.relu_units)),
            "unit_kind": (
                "unit",
                np.array(["linear"] * plrnn.linear_units + ["relu"] * plrnn.relu_units),
            ),
        },
    )


def fixed_points(
    model: Any,
    inputs: Any = None,
    *,
    method: str = "exact",
    include_virtual: bool = False,
    region_tol: float = 1e-9,
    stability_tol: float = 1e-9,
    singular_tol: float = 1e-10,
    duplicate_tol: float = 1e-7,
    n_starts: int = 256,
    max_iter: int = 100,
    initial_codes: np.ndarray | None = None,
    seed: int | None = 0,
    inner_bits: int | None = None,
    chunk_size: int = 2**16,
    pivot_tol: float = 1e-8,
) -> xr.Dataset:
    """Find the fixed points of an AL-RNN for one constant input.

    Parameters
    ----------
    model
        An AL-RNN with relu nonlinear units (see
        :func:`analysis.piecewise_map`).
    inputs
        One constant input vector ``(input,)``, e.g. a period's mean input;
        ``None`` means no input (offset h).
    method
        ``"exact"``: every subregion via the P×P Schur-complement system;
        ``"search"``: SCYFI-style heuristic for large P; ``"brute"``: full
        M×M solve in every subregion (reference; works when the linear
        units alone are singular).
    include_virtual
        Also return virtual fixed points (exact and brute only; P <= 16).
    region_tol
        A candidate is real when z_i >= -tol on its active and z_i <= tol on
        its inactive nonlinear units.
    stability_tol
        Stable when the spectral radius is below 1 - ``stability_tol``.
    singular_tol
        A piece is singular when its smallest LU pivot is below this times
        the largest; then a consistent system is marked ``degenerate`` (a
        continuum of fixed points, e.g. a line attractor) and its
        minimum-norm solution is returned.
    duplicate_tol
        Real fixed points closer than this (relative) are reported once.
    n_starts, max_iter, initial_codes, seed
        Search: parallel chains, iterations, extra starting subregions (e.g.
        the codes visited by trajectories) and the seed of random starts.
    inner_bits, chunk_size, pivot_tol
        Exact: bits enumerated by rank-one updates below each direct solve
        (default min(12, P - 8)), subregions per chunk (bounds memory), and
        the update pivot below which a subregion is solved again directly.

    Returns
    -------
    xarray.Dataset
        Dims ``fixed_point``, ``unit``, ``mode``: ``state`` (fixed_point,
        unit), ``code`` (subregion as integer; ``bits`` coordinate),
        ``real``, ``eigenvalues`` (of J_d, by decreasing modulus),
        ``spectral_radius``, ``stable``, ``degenerate``; attrs ``method``,
        ``relu_units``, ``regions_possible``, ``n_real``.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.pieces import PiecewiseLinearMap
    >>> switch = PiecewiseLinearMap(  # z ↦ 2 relu(z) - 0.5: fixed points -0.5, 0.5
    ...     np.zeros(1), np.array([[2.0]]), np.zeros((1, 1)), np.array([-0.5]), 1
    ... )
    >>> fixed_points(switch)["state"].values.ravel().tolist()
    [-0.5, 0.5]
    """
    plrnn = piecewise_map(model)
    drive = plrnn.drive(inputs)
    _check_options(method, include_virtual, plrnn.relu_units)
    if method == "brute":
        codes, states, degenerate = _brute_candidates(
            plrnn,
            drive,
            include_virtual=include_virtual,
            region_tol=region_tol,
            singular_tol=singular_tol,
            chunk_size=max(1, chunk_size >> 6),
        )
    else:
        system = reduce_system(plrnn, drive)
        if method == "exact":
            codes, y, degenerate = _exact_candidates(
                system,
                include_virtual=include_virtual,
                region_tol=region_tol,
                singular_tol=singular_tol,
                inner_bits=inner_bits,
                chunk_size=chunk_size,
                pivot_tol=pivot_tol,
            )
        else:
            codes, y, degenerate = search_candidates(
                system,
                n_starts=n_starts,
                max_iter=max_iter,
                initial_codes=initial_codes,
                seed=seed,
                region_tol=region_tol,
                singular_tol=singular_tol,
            )
        states = system.full_state(codes, y)
    return _finish(
        plrnn,
        codes,
        states,
        degenerate,
        method,
        region_tol,
        stability_tol,
        duplicate_tol,
    )


def _check_options(method: str, include_virtual: bool, relu_units: int) -> None:
    if method not in METHODS:
        raise AnalysisError(
            f"method must be one of {', '.join(METHODS)}, got {method!r}"
        )
    if include_virtual and method == "search":
        raise AnalysisError(
            "include_virtual needs method='exact' or 'brute', got method='search'; "
            "the search only visits some subregions"
        )
    if include_virtual and relu_units > MAX_VIRTUAL_RELU_UNITS:
        raise AnalysisError(
            f"include_virtual returns all 2^P candidates; P={relu_units} exceeds "
            f"{MAX_VIRTUAL_RELU_UNITS}; drop include_virtual to keep the real ones"
        )


def _finish(
    plrnn: PiecewiseLinearMap,
    codes: torch.Tensor,
    states: torch.Tensor,
    degenerate: torch.Tensor,
    method: str,
    region_tol: float,
    stability_tol: float,
    duplicate_tol: float,
) -> xr.Dataset:
    """Classify, drop boundary duplicates and package the candidates."""
    order = torch.argsort(codes)
    codes, states, degenerate = codes[order], states[order], degenerate[order]
    real = in_region(codes, states[:, plrnn.linear_units :], region_tol).numpy()
    codes_np, states_np = codes.numpy(), states.numpy()
    keep = _unique_points(states_np, real, duplicate_tol)
    dataset = _assemble(
        plrnn,
        codes_np[keep],
        states_np[keep],
        real[keep],
        degenerate.numpy()[keep],
        stability_tol,
    )
    if dataset["degenerate"].any():
        warnings.warn(
            "some subregions hold a continuum of fixed points (a line or plane "
            "attractor); each is represented by its minimum-norm point",
            AnalysisWarning,
            stacklevel=3,
        )
    dataset.attrs.update(
        method=method,
        relu_units=plrnn.relu_units,
        regions_possible=2**plrnn.relu_units,
        n_real=int(dataset["real"].sum()),
    )
    return dataset
