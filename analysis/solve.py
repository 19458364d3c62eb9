"""Linear algebra shared by the fixed-point and cycle finders.

The P×P Schur-complement system that remains of (I - J_d) z = c once the
linear units are eliminated (see :mod:`analysis.fixed_points`), batched
solves that fall back to least squares for singular pieces, and the test
whether candidates lie in their own subregion.

References
----------
Eisenmann, L., Monfared, Z., Göring, N. & Durstewitz, D. (2023). Bifurcations
and loss jumps in RNN training. *NeurIPS* (SCYFI).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from analysis.errors import SingularSystemError
from analysis.pieces import PiecewiseLinearMap

__all__ = [
    "ReducedSystem",
    "code_bits",
    "in_region",
    "reduce_system",
    "solve_batched",
    "solve_reduced",
]


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
        bits = code_bits(codes, self.lam.shape[0])
        return torch.diag(self.lam) - self.Q * bits[:, None, :]

    def full_state(self, codes: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Return z = (G (d ⊙ y) + g, y), ``(code, unit)``."""
        x = (y * code_bits(codes, y.shape[-1])) @ self.G.T + self.g
        return torch.cat([x, y], dim=-1)


def code_bits(codes: torch.Tensor, relu_units: int) -> torch.Tensor:
    """Return the activity pattern of ``(code,)`` codes as float ``(code, P)``."""
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


def solve_reduced(
    system: ReducedSystem, codes: torch.Tensor, singular_tol: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Solve (Λ - Q D) y = r for the given codes; see :func:`solve_batched`."""
    rhs = system.r.expand(len(codes), -1)
    return solve_batched(system.matrices(codes), rhs, singular_tol)


def solve_batched(
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


def in_region(
    codes: torch.Tensor, y: torch.Tensor, region_tol: float, check_finite: bool = True
) -> torch.Tensor:
    """Return where y lies in subregion ``codes`` (z_i > 0 on, z_i <= 0 off).

    With tolerance: the pattern of units surely on (y > tol) must be within
    the code, and the code within the pattern of units possibly on (y >= -tol).
    """
    if y.shape[-1] > 52:  # beyond float64's exact integers: compare bit by bit
        sign = 2 * code_bits(codes, y.shape[-1]) - 1
        inside = ((sign * y) >= -region_tol).all(-1)
        return inside & torch.isfinite(y).all(-1) if check_finite else inside
    # patterns as dot products with powers of two: exact in float32 up to 2^24
    dtype = torch.float32 if y.shape[-1] <= 24 else torch.float64
    weights = 2.0 ** torch.arange(y.shape[-1], dtype=dtype)
    surely_on = ((y > region_tol).to(dtype) @ weights).to(torch.int64)
    possibly_on = ((y >= -region_tol).to(dtype) @ weights).to(torch.int64)
    inside = ((surely_on & ~codes) == 0) & ((codes & ~possibly_on) == 0)
    return inside & torch.isfinite(y).all(-1) if check_finite else inside
