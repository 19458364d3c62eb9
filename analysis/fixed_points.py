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
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import xarray as xr

from analysis.codes import code_strings
from analysis.errors import AnalysisError, AnalysisWarning, SingularSystemError
from analysis.pieces import PiecewiseLinearMap, piecewise_map

__all__ = ["fixed_points"]

METHODS = ("exact", "search", "brute")
# enumerating more subregions than this with include_virtual returns huge data
MAX_VIRTUAL_RELU_UNITS = 16
# the search remembers which subregions it solved up to this many relu units
TRACKED_RELU_UNITS = 24


@dataclass(frozen=True)
class ReducedSystem:
    """The P×P system (Λ - Q D) y = r left after eliminating the linear units."""

    lam: torch.Tensor  # (P,) diagonal of Λ = I - diag(A_P)
    Q: torch.Tensor  # (P, P)
    r: torch.Tensor  # (P,)
    G: torch.Tensor  # (L, P), x = G (d ⊙ y) + g
    g: torch.Tensor  # (L,)

    def matrices(self, codes: torch.Tensor) -> torch.Tensor:
        """Return Λ - Q D_d, ``(code, P, P)``."""
        bits = _bits(codes, self.lam.shape[0])
        return torch.diag(self.lam) - self.Q * bits[:, None, :]

    def full_state(self, codes: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Return z = (G (d ⊙ y) + g, y), ``(code, unit)``."""
        x = (y * _bits(codes, y.shape[-1])) @ self.G.T + self.g
        return torch.cat([x, y], dim=-1)


def _bits(codes: torch.Tensor, relu_units: int) -> torch.Tensor:
    shifts = torch.arange(relu_units, dtype=torch.int64)
    return ((codes[:, None] >> shifts) & 1).to(torch.float64)


def reduce_system(
    plrnn: PiecewiseLinearMap, drive: np.ndarray, linear_tol: float = 1e-10
) -> ReducedSystem:
    """Eliminate the linear units once; see the module docstring.

    Raises
    ------
    SingularSystemError
        If K = I - diag(A_L) - W_LL is (numerically) singular, i.e. the
        linear units alone carry a line or plane attractor.
    """
    # one small dense solve: numpy (LAPACK, no thread pool) is fastest here
    L, A, W, c = plrnn.linear_units, plrnn.A, plrnn.W, drive
    K = np.eye(L) - np.diag(A[:L]) - W[:L, :L]
    singular_values = np.linalg.svd(K, compute_uv=False)
    if L and singular_values[-1] <= linear_tol * max(singular_values[0], 1.0):
        raise SingularSystemError(
            "the linear block I - diag(A_L) - W_LL is singular (the linear units "
            "carry a line or plane attractor), so exact elimination is undefined; "
            "use method='brute', which solves each subregion by least squares"
        )
    solved = np.linalg.solve(K, np.concatenate([W[:L, L:], c[:L, None]], axis=1))
    G, g = solved[:, :-1], solved[:, -1]
    Q = W[L:, :L] @ G + W[L:, L:]
    r = c[L:] + W[L:, :L] @ g
    parts = (1 - A[L:], Q, r, G, g)
    return ReducedSystem(*(torch.from_numpy(np.ascontiguousarray(p)) for p in parts))


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


def _solve_direct(
    system: ReducedSystem, codes: torch.Tensor, singular_tol: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve (Λ - Q D) y = r for the given codes; see :func:`_solve_batched`."""
    rhs = system.r.expand(len(codes), -1)
    return _solve_batched(system.matrices(codes), rhs, singular_tol)


def _solve_batched(
    matrices: torch.Tensor, rhs: torch.Tensor, singular_tol: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve a batch of square systems; singular ones by least squares.

    A system counts as singular when the smallest LU pivot is below
    ``singular_tol`` times the largest. Returns the solutions ``(batch, n)``
    and ``degenerate`` ``(batch,)``: singular but consistent (a continuum of
    fixed points, of which the minimum-norm one is returned). Singular,
    inconsistent systems (no fixed point) give NaN rows.
    """
    if matrices.shape[-1] == 0:  # P = 0: a linear RNN, nothing left to solve
        return rhs.clone(), torch.zeros(len(rhs), dtype=torch.bool)
    LU, pivots, _ = torch.linalg.lu_factor_ex(matrices)
    diagonal = LU.diagonal(dim1=-2, dim2=-1).abs()
    singular = diagonal.amin(-1) <= singular_tol * diagonal.amax(-1).clamp(min=1e-300)
    solution = torch.empty_like(rhs)
    regular = ~singular
    if regular.any():
        solution[regular] = torch.linalg.lu_solve(
            LU[regular], pivots[regular], rhs[regular, :, None]
        )[..., 0]
    degenerate = torch.zeros(len(rhs), dtype=torch.bool)
    if singular.any():
        solution[singular], degenerate[singular] = _least_squares(
            matrices[singular], rhs[singular], singular_tol
        )
    return solution, degenerate


def _least_squares(
    matrices: torch.Tensor, rhs: torch.Tensor, tol: float
) -> tuple[torch.Tensor, torch.Tensor]:
    pinv = torch.linalg.pinv(matrices, rtol=max(tol, 1e-12))
    y = (pinv @ rhs[..., None])[..., 0]
    residual = (matrices @ y[..., None])[..., 0] - rhs
    scale = 1 + rhs.abs().amax(-1) + matrices.abs().amax((-1, -2)) * y.abs().amax(-1)
    consistent = residual.abs().amax(-1) <= 1e-8 * scale
    y[~consistent] = torch.nan
    return y, consistent


def _in_region(
    codes: torch.Tensor, y: torch.Tensor, region_tol: float, check_finite: bool = True
) -> torch.Tensor:
    """Return where y lies in subregion ``codes`` (z_i > 0 on, z_i <= 0 off).

    With tolerance: the pattern of units surely on (y > tol) must be within
    the code, and the code within the pattern of units possibly on (y >= -tol).
    """
    if y.shape[-1] > 52:  # beyond float64's exact integers: compare bit by bit
        sign = 2 * _bits(codes, y.shape[-1]) - 1
        inside = ((sign * y) >= -region_tol).all(-1)
        return inside & torch.isfinite(y).all(-1) if check_finite else inside
    # patterns as dot products with powers of two: exact in float32 up to 2^24
    dtype = torch.float32 if y.shape[-1] <= 24 else torch.float64
    weights = 2.0 ** torch.arange(y.shape[-1], dtype=dtype)
    surely_on = ((y > region_tol).to(dtype) @ weights).to(torch.int64)
    possibly_on = ((y >= -region_tol).to(dtype) @ weights).to(torch.int64)
    inside = ((surely_on & ~codes) == 0) & ((codes & ~possibly_on) == 0)
    return inside & torch.isfinite(y).all(-1) if check_finite else inside


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
        inside = _in_region(codes, y, region_tol, check_finite=False)
        degenerate = torch.zeros(len(codes), dtype=torch.bool)

        # near-singular updates and real candidates are solved again directly
        redo = torch.nonzero(suspect | inside).ravel()
        if len(redo):
            y[redo], degenerate[redo] = _solve_direct(system, codes[redo], singular_tol)
            inside[redo] = _in_region(codes[redo], y[redo], region_tol)

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
                _bits(codes, units - first),
            ],
            dim=1,
        )
        matrices = base - W * slopes[:, None, :]
        z, degenerate = _solve_batched(matrices, c.expand(len(codes), -1), singular_tol)
        keep = _in_region(codes, z[:, first:], region_tol)
        keep = torch.ones_like(keep) if include_virtual else keep
        kept.append((codes[keep], z[keep], degenerate[keep]))
    codes, z, degenerate = (torch.cat(parts) for parts in zip(*kept, strict=True))
    return codes, z, degenerate


class _Starts:
    """Starting subregions of the search: untried ones first while countable.

    For P <= ``TRACKED_RELU_UNITS`` the subregions are drawn from a random
    permutation, skipping any already solved, so enough restarts cover every
    subregion; beyond that they are drawn uniformly.
    """

    def __init__(self, relu_units: int, seed: int | None) -> None:
        self.generator = np.random.default_rng(seed)
        self.n_regions = 2**relu_units
        self.tracked = relu_units <= TRACKED_RELU_UNITS
        if self.tracked:
            self.tried = torch.zeros(self.n_regions, dtype=torch.bool)
            self.order = torch.from_numpy(self.generator.permutation(self.n_regions))
            self.position = 0

    def mark(self, codes: torch.Tensor) -> None:
        if self.tracked:
            self.tried[codes] = True

    @property
    def exhausted(self) -> bool:
        return self.tracked and bool(self.tried.all())

    def draw(self, n: int) -> torch.Tensor:
        fresh = torch.empty(0, dtype=torch.int64)
        while self.tracked and len(fresh) < n and self.position < self.n_regions:
            chunk = self.order[self.position : self.position + 4 * n]
            self.position += len(chunk)
            fresh = torch.cat([fresh, chunk[~self.tried[chunk]]])
        fresh = fresh[:n]
        extra = self.generator.integers(0, self.n_regions, n - len(fresh))
        return torch.cat([fresh, torch.from_numpy(extra.astype(np.int64))])


def _search_candidates(
    system: ReducedSystem,
    *,
    n_starts: int,
    max_iter: int,
    initial_codes: np.ndarray | None,
    seed: int | None,
    region_tol: float,
    singular_tol: float,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """SCYFI-style search: solve a subregion, move to its candidate's subregion.

    ``n_starts`` chains run in parallel; a chain that lands on a real fixed
    point, a singular piece, or makes 2P + 2 moves without success restarts
    in an untried subregion (see :class:`_Starts`). The search stops early
    once every subregion has been solved, which makes it exhaustive on small
    networks.
    """
    relu_units = system.lam.shape[0]
    starts = _Starts(relu_units, seed)
    codes = starts.draw(n_starts)
    if initial_codes is not None:
        extra = torch.as_tensor(np.asarray(initial_codes, dtype=np.int64).ravel())
        codes = torch.cat([extra, codes])
    found: dict[int, tuple[torch.Tensor, bool]] = {}
    age = torch.zeros(len(codes), dtype=torch.int64)
    for _ in range(max_iter):
        y, degenerate = _solve_direct(system, codes, singular_tol)
        starts.mark(codes)
        real = _in_region(codes, y, region_tol)
        for index in torch.nonzero(real).ravel().tolist():
            found.setdefault(int(codes[index]), (y[index], bool(degenerate[index])))
        if starts.exhausted:
            break
        moved = ((y > 0).to(torch.int64) << torch.arange(relu_units)).sum(-1)
        restart = real | ~torch.isfinite(y).all(-1) | (age >= 2 * relu_units + 2)
        age = torch.where(restart, 0, age + 1)
        codes = torch.where(restart, starts.draw(len(codes)), moved)
    return _found_tensors(found, relu_units)


def _found_tensors(
    found: dict[int, tuple[torch.Tensor, bool]], relu_units: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if not found:
        empty = torch.empty(0, relu_units, dtype=torch.float64)
        return torch.empty(0, dtype=torch.int64), empty, torch.empty(0, dtype=bool)
    keys = sorted(found)
    y = torch.stack([found[k][0] for k in keys])
    degenerate = torch.tensor([found[k][1] for k in keys])
    return torch.tensor(keys, dtype=torch.int64), y, degenerate


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
            codes, y, degenerate = _search_candidates(
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
    real = _in_region(codes, states[:, plrnn.linear_units :], region_tol).numpy()
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
