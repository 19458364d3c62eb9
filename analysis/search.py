"""SCYFI-style heuristic search for fixed points in large AL-RNNs.

Start in a subregion, solve its fixed point, jump to the subregion the
candidate lies in, and repeat until the candidate is real (Eisenmann et al.
2023); many chains run in parallel and restart in untried subregions.

References
----------
Eisenmann, L., Monfared, Z., Göring, N. & Durstewitz, D. (2023). Bifurcations
and loss jumps in RNN training. *NeurIPS* (SCYFI).
"""

from __future__ import annotations

import numpy as np
import torch

from analysis.solve import ReducedSystem, in_region, solve_reduced

__all__ = ["search_candidates"]

# the search remembers which subregions it solved up to this many relu units
TRACKED_RELU_UNITS = 24


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


def search_candidates(
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
        y, degenerate = solve_reduced(system, codes, singular_tol)
        starts.mark(codes)
        real = in_region(codes, y, region_tol)
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
