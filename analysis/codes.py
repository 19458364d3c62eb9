"""Symbolic codes: which linear subregion an AL-RNN state lies in.

The P nonlinear (relu) units of an AL-RNN split the state space into 2^P
subregions, one per pattern d ∈ {0, 1}^P of active units (z_i > 0). A
subregion's *code* is the integer Σ_i d_i 2^i, where i counts the nonlinear
units in order (unit M - P + i of the state); its bit string lists d_0 ... d_{P-1}
left to right. A trajectory becomes a symbol sequence (Brenner et al. 2024),
whose occupancy, transitions and sharing across tasks or conditions this
module tabulates.

References
----------
Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import xarray as xr

from analysis.errors import AnalysisError

__all__ = [
    "MAX_RELU_UNITS",
    "bits_to_codes",
    "code_strings",
    "codes_to_bits",
    "occupancy",
    "regions_by_group",
    "shared_regions",
    "subregion_codes",
    "transition_counts",
]

# codes are int64; one bit is kept free so that -1 can mark padding
MAX_RELU_UNITS = 62


def _check_relu_units(relu_units: int) -> int:
    if isinstance(relu_units, bool) or not isinstance(relu_units, int | np.integer):
        raise AnalysisError(f"relu_units must be an integer, got {relu_units!r}")
    if not 0 <= relu_units <= MAX_RELU_UNITS:
        raise AnalysisError(
            f"relu_units must be in [0, {MAX_RELU_UNITS}] for integer codes, "
            f"got {relu_units}; analyse a subset of the nonlinear units"
        )
    return int(relu_units)


def codes_to_bits(codes: np.ndarray | int, relu_units: int) -> np.ndarray:
    """Return the activity pattern of each code.

    Parameters
    ----------
    codes
        Integer codes, any shape.
    relu_units
        Number P of nonlinear units.

    Returns
    -------
    numpy.ndarray
        Boolean ``(..., P)``; entry i is true when nonlinear unit i is active.

    Examples
    --------
    >>> codes_to_bits(5, 3).tolist()
    [True, False, True]
    """
    relu_units = _check_relu_units(relu_units)
    codes = np.asarray(codes, dtype=np.int64)
    return (codes[..., None] >> np.arange(relu_units, dtype=np.int64)) & 1 == 1


def bits_to_codes(bits: np.ndarray) -> np.ndarray:
    """Return the integer code of each pattern ``(..., P)`` of active units."""
    bits = np.asarray(bits, dtype=bool)
    _check_relu_units(bits.shape[-1])
    weights = np.left_shift(np.int64(1), np.arange(bits.shape[-1], dtype=np.int64))
    return (bits.astype(np.int64) * weights).sum(-1)


def code_strings(codes: np.ndarray | int, relu_units: int) -> np.ndarray:
    """Return codes as bit strings ``d_0 d_1 ... d_{P-1}`` (``"-"`` for padding).

    Examples
    --------
    >>> code_strings([1, 6], 3).tolist()
    ['100', '011']
    """
    codes = np.asarray(codes, dtype=np.int64)
    bits = codes_to_bits(codes, relu_units).reshape(codes.size, relu_units)
    strings = np.array(["".join("1" if b else "0" for b in row) for row in bits])
    strings = strings.astype(f"<U{max(relu_units, 1)}").reshape(codes.shape)
    return np.where(codes < 0, "-", strings)


def subregion_codes(
    states: np.ndarray, relu_units: int, mask: np.ndarray | None = None
) -> np.ndarray:
    """Return the subregion code of every state.

    Parameters
    ----------
    states
        ``(..., unit)`` AL-RNN states (a torch tensor works too); the last
        ``relu_units`` units are the nonlinear ones.
    relu_units
        Number P of nonlinear units.
    mask
        Optional boolean array of the leading shape; codes are -1 where false
        (padding).

    Returns
    -------
    numpy.ndarray
        ``int64`` codes of the leading shape.
    """
    relu_units = _check_relu_units(relu_units)
    states = np.asarray(_to_numpy(states))
    if states.ndim < 1 or states.shape[-1] < relu_units:
        raise AnalysisError(
            f"states must be (..., unit) with at least {relu_units} units, "
            f"got shape {states.shape}"
        )
    active = states[..., states.shape[-1] - relu_units :] > 0
    codes = bits_to_codes(active)
    if mask is not None:
        codes = np.where(np.asarray(mask, dtype=bool), codes, -1)
    return codes


def _to_numpy(array: object) -> np.ndarray:
    if hasattr(array, "detach"):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def occupancy(codes: np.ndarray, relu_units: int) -> xr.Dataset:
    """Count the steps spent in each visited subregion.

    Parameters
    ----------
    codes
        Integer codes, any shape; negative codes (padding) are ignored.
    relu_units
        Number P of nonlinear units.

    Returns
    -------
    xarray.Dataset
        Dim ``subregion`` (visited codes, most occupied first) with ``count``,
        ``fraction`` and the ``bits`` string as a coordinate; attrs
        ``regions_used`` and ``regions_possible`` (2^P).
    """
    codes = np.asarray(codes, dtype=np.int64)
    valid = codes[codes >= 0]
    visited, counts = np.unique(valid, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    visited, counts = visited[order], counts[order]
    total = max(int(counts.sum()), 1)
    return xr.Dataset(
        {
            "count": ("subregion", counts),
            "fraction": ("subregion", counts / total),
        },
        coords={
            "subregion": visited,
            "bits": ("subregion", code_strings(visited, relu_units)),
        },
        attrs={"regions_used": len(visited), "regions_possible": 2**relu_units},
    )


def transition_counts(codes: np.ndarray) -> xr.DataArray:
    """Count transitions between subregions along the last (time) axis.

    Parameters
    ----------
    codes
        ``(..., time)`` codes; pairs that touch padding (-1) are ignored.

    Returns
    -------
    xarray.DataArray
        ``(source, target)`` counts over the visited codes; the diagonal
        counts steps that stay in their subregion.
    """
    codes = np.asarray(codes, dtype=np.int64)
    source, target = codes[..., :-1].ravel(), codes[..., 1:].ravel()
    keep = (source >= 0) & (target >= 0)
    source, target = source[keep], target[keep]
    visited = np.unique(np.concatenate([source, target]))
    index = {code: i for i, code in enumerate(visited.tolist())}
    counts = np.zeros((len(visited), len(visited)), dtype=np.int64)
    rows = np.array([index[c] for c in source.tolist()], dtype=np.int64)
    cols = np.array([index[c] for c in target.tolist()], dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    return xr.DataArray(
        counts,
        dims=("source", "target"),
        coords={"source": visited, "target": visited},
        name="transitions",
    )


def regions_by_group(
    codes: np.ndarray, labels: np.ndarray, relu_units: int
) -> xr.DataArray:
    """Return the fraction of each group's steps spent in each subregion.

    Parameters
    ----------
    codes
        ``(trial, time)`` codes (-1 for padding).
    labels
        ``(trial,)`` group of each trial (rule, task, condition) or
        ``(trial, time)`` group of each step (period).
    relu_units
        Number P of nonlinear units.

    Returns
    -------
    xarray.DataArray
        ``(group, subregion)`` occupancy fractions; each row sums to 1.
    """
    codes = np.asarray(codes, dtype=np.int64)
    labels = np.asarray(labels)
    if labels.shape == codes.shape[:1] and codes.ndim == 2:
        labels = np.broadcast_to(labels[:, None], codes.shape)
    if labels.shape != codes.shape:
        raise AnalysisError(
            f"labels must have shape (trial,) or {codes.shape}, got {labels.shape}"
        )
    valid = codes >= 0
    groups = np.unique(labels[valid])
    visited = np.unique(codes[valid])
    table = np.zeros((len(groups), len(visited)))
    for row, group in enumerate(groups):
        chosen = codes[valid & (labels == group)]
        counts = np.bincount(np.searchsorted(visited, chosen), minlength=len(visited))
        table[row] = counts / max(chosen.size, 1)
    return xr.DataArray(
        table,
        dims=("group", "subregion"),
        coords={
            "group": groups,
            "subregion": visited,
            "bits": ("subregion", code_strings(visited, relu_units)),
        },
        name="occupancy",
    )


def shared_regions(by_group: xr.DataArray, min_fraction: float = 0.0) -> xr.Dataset:
    """Compare the sets of subregions that groups (tasks, rules) use.

    Parameters
    ----------
    by_group
        Output of :func:`regions_by_group`.
    min_fraction
        A group uses a subregion when it spends more than this fraction of
        its steps there.

    Returns
    -------
    xarray.Dataset
        ``jaccard`` ``(group, other)``: |R_a ∩ R_b| / |R_a ∪ R_b|;
        ``shared_fraction`` ``(group,)``: fraction of a group's time spent in
        subregions that at least one other group also uses; ``exclusive``
        ``(group, subregion)``: used by this group only.
    """
    used = by_group.values > min_fraction  # (group, subregion)
    intersection = used.astype(int) @ used.T.astype(int)
    sizes = used.sum(1)
    union = sizes[:, None] + sizes[None, :] - intersection
    jaccard = np.where(union > 0, intersection / np.maximum(union, 1), 1.0)
    users = used.sum(0)
    shared = used & (users[None, :] > 1)
    groups: list[Hashable] = list(by_group["group"].values)
    return xr.Dataset(
        {
            "jaccard": (("group", "other"), jaccard),
            "shared_fraction": ("group", (by_group.values * shared).sum(1)),
            "exclusive": (("group", "subregion"), used & (users[None, :] == 1)),
        },
        coords={
            "group": groups,
            "other": groups,
            "subregion": by_group["subregion"].values,
        },
    )
