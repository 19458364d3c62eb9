"""Periodic orbits (k-cycles) of an AL-RNN under a constant input.

A k-cycle visits subregions d_1, …, d_k in turn. Along a fixed sequence of
subregions the k-fold map is affine, z ↦ Π z + b with
Π = J_{d_k} ⋯ J_{d_1} and b = Σ_t J_{d_k} ⋯ J_{d_{t+1}} c, so its candidate
point solves (I - Π) z_1 = b; the candidate is a real cycle when every
z_t = F^{t-1}(z_1) lies in d_t. Exact enumeration tries all 2^{Pk} code
sequences (small P·k); the search follows SCYFI (Eisenmann et al. 2023):
solve a random sequence, replace it by the codes of the candidate's points,
repeat. Stability comes from the eigenvalues of Π (the monodromy matrix).

References
----------
Eisenmann, L., Monfared, Z., Göring, N. & Durstewitz, D. (2023). Bifurcations
and loss jumps in RNN training. *NeurIPS* (SCYFI).

Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import xarray as xr

from analysis.codes import code_strings
from analysis.errors import AnalysisError
from analysis.pieces import PiecewiseLinearMap, piecewise_map
from analysis.solve import in_region, solve_batched

__all__ = ["cycles"]

# exact enumeration of more code sequences than this is refused
MAX_SEQUENCES = 2**18


def _cycle_candidates(
    plrnn: PiecewiseLinearMap,
    drive: np.ndarray,
    sequences: np.ndarray,
    singular_tol: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the candidate orbit ``(sequence, step, unit)`` and its Π.

    ``sequences`` is ``(sequence, step)`` of codes d_1 … d_k.
    """
    jacobians = torch.from_numpy(plrnn.jacobians(sequences))  # (seq, step, M, M)
    c = torch.from_numpy(drive)
    n, period, units = len(sequences), sequences.shape[1], plrnn.units
    monodromy = torch.eye(units, dtype=torch.float64).expand(n, -1, -1)
    offset = torch.zeros(n, units, dtype=torch.float64)
    for step in range(period):
        monodromy = jacobians[:, step] @ monodromy
        offset = (jacobians[:, step] @ offset[..., None])[..., 0] + c
    start, _ = solve_batched(
        torch.eye(units, dtype=torch.float64) - monodromy, offset, singular_tol
    )
    orbit = [start]
    for step in range(period - 1):
        orbit.append((jacobians[:, step] @ orbit[-1][..., None])[..., 0] + c)
    return torch.stack(orbit, dim=1), monodromy


def _real_cycles(
    plrnn: PiecewiseLinearMap,
    sequences: np.ndarray,
    orbits: torch.Tensor,
    region_tol: float,
) -> torch.Tensor:
    """Return ``(sequence,)``: every point of the orbit lies in its subregion."""
    n, period = sequences.shape
    relu = orbits[..., plrnn.linear_units :].reshape(n * period, -1)
    codes = torch.from_numpy(sequences.reshape(-1))
    return in_region(codes, relu, region_tol).view(n, period).all(-1)


def _primitive(orbits: np.ndarray, tol: float) -> np.ndarray:
    """Return ``(sequence,)``: the orbit's least period is its full length."""
    period = orbits.shape[1]
    scale = 1 + np.abs(orbits).max((1, 2))
    keep = np.ones(len(orbits), dtype=bool)
    for shift in range(1, period):
        if period % shift == 0:
            distance = np.abs(orbits[:, shift] - orbits[:, 0]).max(-1)
            keep &= distance > tol * scale
    return keep


def _canonical(orbits: np.ndarray, sequences: np.ndarray, tol: float) -> np.ndarray:
    """Return indices of distinct cycles, each rotated to start at its lowest code."""
    chosen: list[int] = []
    seen: list[np.ndarray] = []
    for index, (orbit, codes) in enumerate(zip(orbits, sequences, strict=True)):
        shift = int(np.argmin(codes))
        rotated = np.roll(orbit, -shift, axis=0)
        orbits[index], sequences[index] = rotated, np.roll(codes, -shift)
        scale = tol * (1 + np.abs(orbit).max())
        if all(np.abs(rotated - other).max() > scale for other in seen):
            chosen.append(index)
            seen.append(rotated)
    return np.array(chosen, dtype=np.int64)


def _all_sequences(relu_units: int, period: int) -> np.ndarray:
    total = 2 ** (relu_units * period)
    if total > MAX_SEQUENCES:
        raise AnalysisError(
            f"exact cycle enumeration would try 2^(P·k) = {total} code sequences "
            f"(P={relu_units}, k={period}), more than {MAX_SEQUENCES}; use "
            "method='search'"
        )
    flat = np.arange(total, dtype=np.int64)
    shifts = relu_units * np.arange(period, dtype=np.int64)
    return (flat[:, None] >> shifts) & (2**relu_units - 1)


def _search_sequences(
    plrnn: PiecewiseLinearMap,
    drive: np.ndarray,
    period: int,
    *,
    n_starts: int,
    max_iter: int,
    seed: int | None,
    region_tol: float,
    singular_tol: float,
) -> np.ndarray:
    """SCYFI-style search; returns the code sequences of real cycles found."""
    generator = np.random.default_rng(seed)
    n_regions = 2**plrnn.relu_units
    sequences = generator.integers(0, n_regions, (n_starts, period))
    weights = 2 ** np.arange(plrnn.relu_units)
    found: set[tuple[int, ...]] = set()
    for _ in range(max_iter):
        orbits, _ = _cycle_candidates(plrnn, drive, sequences, singular_tol)
        real = _real_cycles(plrnn, sequences, orbits, region_tol).numpy()
        found.update(tuple(row) for row in sequences[real].tolist())
        relu = orbits[..., plrnn.linear_units :].numpy()
        moved = (relu > 0).astype(np.int64) @ weights
        restart = real | ~np.isfinite(relu).all((1, 2)) | (moved == sequences).all(1)
        fresh = generator.integers(0, n_regions, (n_starts, period))
        sequences = np.where(restart[:, None], fresh, moved)
    return np.array(sorted(found), dtype=np.int64).reshape(-1, period)


def cycles(
    model: Any,
    inputs: Any = None,
    *,
    period: int = 2,
    method: str = "exact",
    region_tol: float = 1e-9,
    stability_tol: float = 1e-9,
    singular_tol: float = 1e-10,
    duplicate_tol: float = 1e-7,
    n_starts: int = 256,
    max_iter: int = 100,
    seed: int | None = 0,
) -> xr.Dataset:
    """Find the real k-cycles (least period k) of an AL-RNN for a constant input.

    Parameters
    ----------
    model
        An AL-RNN with relu nonlinear units.
    inputs
        One constant input vector ``(input,)``; ``None`` means no input.
    period
        k >= 2, the least period of the cycles sought (fixed points are
        :func:`analysis.fixed_points`).
    method
        ``"exact"``: all 2^{Pk} code sequences (P·k <= 18); ``"search"``:
        SCYFI-style heuristic.
    region_tol, stability_tol, singular_tol, duplicate_tol
        As in :func:`analysis.fixed_points`.
    n_starts, max_iter, seed
        Search: parallel chains, iterations and seed.

    Returns
    -------
    xarray.Dataset
        Dims ``cycle``, ``step``, ``unit``, ``mode``: ``state`` (cycle, step,
        unit), ``code`` (cycle, step), ``eigenvalues`` (cycle, mode) of the
        monodromy matrix Π, ``spectral_radius`` and ``stable`` (cycle,).
        Each cycle is listed once, starting at its lowest code.
    """
    if isinstance(period, bool) or not isinstance(period, int) or period < 2:
        raise AnalysisError(
            f"period must be an integer >= 2, got {period!r}; fixed points are "
            "analysis.fixed_points"
        )
    if method not in ("exact", "search"):
        raise AnalysisError(f"method must be 'exact' or 'search', got {method!r}")
    plrnn = piecewise_map(model)
    drive = plrnn.drive(inputs)
    if method == "exact":
        sequences = _all_sequences(plrnn.relu_units, period)
    else:
        sequences = _search_sequences(
            plrnn,
            drive,
            period,
            n_starts=n_starts,
            max_iter=max_iter,
            seed=seed,
            region_tol=region_tol,
            singular_tol=singular_tol,
        )
    orbits, _ = _cycle_candidates(plrnn, drive, sequences, singular_tol)
    real = _real_cycles(plrnn, sequences, orbits, region_tol).numpy()
    orbits, sequences = orbits.numpy()[real], sequences[real]
    keep = _primitive(orbits, duplicate_tol)
    orbits, sequences = orbits[keep], sequences[keep]
    keep = _canonical(orbits, sequences, duplicate_tol)
    return _assemble_cycles(plrnn, drive, sequences[keep], orbits[keep], stability_tol)


def _assemble_cycles(
    plrnn: PiecewiseLinearMap,
    drive: np.ndarray,
    sequences: np.ndarray,
    orbits: np.ndarray,
    stability_tol: float,
) -> xr.Dataset:
    period, units = sequences.shape[1], plrnn.units
    if len(sequences):
        _, monodromy = _cycle_candidates(plrnn, drive, sequences, 1e-300)
        eigenvalues = np.linalg.eigvals(monodromy.numpy())
    else:
        eigenvalues = np.empty((0, units), dtype=complex)
    order = np.argsort(-np.abs(eigenvalues), axis=-1, kind="stable")
    eigenvalues = np.take_along_axis(eigenvalues, order, -1).astype(complex)
    radius = np.abs(eigenvalues).max(-1, initial=0.0)
    return xr.Dataset(
        {
            "state": (("cycle", "step", "unit"), orbits.reshape(-1, period, units)),
            "code": (("cycle", "step"), sequences),
            "eigenvalues": (("cycle", "mode"), eigenvalues),
            "spectral_radius": ("cycle", radius),
            "stable": ("cycle", radius < 1 - stability_tol),
        },
        coords={
            "cycle": np.arange(len(sequences)),
            "step": np.arange(period),
            "unit": np.arange(units),
            "mode": np.arange(units),
            "bits": (("cycle", "step"), code_strings(sequences, plrnn.relu_units)),
        },
        attrs={"period": period, "relu_units": plrnn.relu_units},
    )
