"""Computational primitives of a trained AL-RNN: gating, integration, memory.

Brenner & Koppe (2026) read a trained AL-RNN's function off its few
nonlinear units and linear pieces. This module measures three primitives:

- **gating**: nonlinear units and subregions whose use switches with a
  context such as the rule (effect sizes per unit, group selectivity per
  subregion);
- **integration**: linear pieces with an eigenvalue near 1 whose eigenvector
  aligns with an input's direction C_j (the piece accumulates that input);
- **memory-dependent transients**: state variance explained by an earlier
  input after it has ended, and non-normal amplification (transient growth
  max_t ||J^t|| > 1 of a piece that is stable).

References
----------
Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.

Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr

from analysis.codes import _to_numpy, code_strings, regions_by_group
from analysis.errors import AnalysisError
from analysis.pieces import linear_pieces, piecewise_map

__all__ = ["gating", "integration", "memory", "transient_amplification"]


def _check_trials(states: np.ndarray, labels: np.ndarray) -> None:
    if states.ndim != 3:
        raise AnalysisError(
            f"states must be (trial, time, unit), got shape {states.shape}"
        )
    if labels.shape != states.shape[:1]:
        raise AnalysisError(
            f"labels must have one entry per trial ({states.shape[0]},), "
            f"got shape {labels.shape}"
        )


def gating(
    states: Any,
    labels: Any,
    relu_units: int,
    *,
    mask: Any = None,
    threshold: float = 0.8,
) -> xr.Dataset:
    """Measure how the nonlinear units and subregions switch with a context.

    Parameters
    ----------
    states
        ``(trial, time, unit)`` AL-RNN states.
    labels
        ``(trial,)`` context of each trial (e.g. ``conditions["rule"]``).
    relu_units
        Number P of nonlinear units (the last P).
    mask
        ``(trial, time)`` steps to use (e.g. one period); all by default.
    threshold
        A subregion is gated when, after normalising each group's occupancy
        to its own total time, at least this share of its use comes from one
        group.

    Returns
    -------
    xarray.Dataset
        ``active_fraction`` (group, relu_unit): fraction of steps each unit is
        on; ``effect`` (relu_unit): largest difference of that fraction
        between groups; ``cohens_d`` (relu_unit): largest standardised
        difference of the unit's rectified activity; ``selectivity``
        (subregion): largest group share; ``preferred_group`` (subregion);
        ``gated`` (subregion): selectivity >= ``threshold``.
    """
    states, labels = _to_numpy(states), np.asarray(_to_numpy(labels))
    _check_trials(states, labels)
    mask = np.ones(states.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    relu = states[..., states.shape[-1] - relu_units :]
    groups = np.unique(labels)
    fraction = np.zeros((len(groups), relu_units))
    means = np.zeros((len(groups), relu_units))
    variances = np.zeros((len(groups), relu_units))
    for row, group in enumerate(groups):
        chosen = relu[(labels == group)[:, None] & mask]  # (step, relu_unit)
        fraction[row] = (chosen > 0).mean(0) if len(chosen) else np.nan
        rectified = np.maximum(chosen, 0)
        means[row], variances[row] = rectified.mean(0), rectified.var(0)
    pooled = np.sqrt(variances.mean(0)) + 1e-12
    cohens_d = (means.max(0) - means.min(0)) / pooled

    from analysis.codes import subregion_codes

    codes = subregion_codes(states, relu_units, mask=mask)
    occupancy = regions_by_group(codes, labels, relu_units)
    share = occupancy.values / np.maximum(
        occupancy.values.sum(0, keepdims=True), 1e-300
    )
    return xr.Dataset(
        {
            "active_fraction": (("group", "relu_unit"), fraction),
            "effect": ("relu_unit", fraction.max(0) - fraction.min(0)),
            "cohens_d": ("relu_unit", cohens_d),
            "selectivity": ("subregion", share.max(0)),
            "preferred_group": (
                "subregion",
                occupancy["group"].values[share.argmax(0)],
            ),
            "gated": ("subregion", share.max(0) >= threshold),
        },
        coords={
            "group": groups,
            "relu_unit": np.arange(relu_units),
            "subregion": occupancy["subregion"].values,
            "bits": ("subregion", occupancy["bits"].values),
        },
        attrs={"threshold": threshold},
    )


def integration(
    model: Any,
    codes: Sequence[int] | np.ndarray,
    *,
    input_names: Sequence[str] | None = None,
    unit_tol: float = 0.05,
) -> xr.Dataset:
    """Find integrating linear pieces: eigenvalue near 1 aligned with an input.

    Parameters
    ----------
    model
        An AL-RNN with relu nonlinear units.
    codes
        Subregions to examine (e.g. the visited ones).
    input_names
        Names of the input channels (columns of C).
    unit_tol
        A mode is near-unit when |λ - 1| < ``unit_tol``.

    Returns
    -------
    xarray.Dataset
        Dims ``subregion``, ``input``: ``eigenvalue`` (the eigenvalue
        closest to 1), ``alignment`` (subregion, input): |cos| between that
        mode's left eigenvector and C_j (how strongly input j drives the
        slow mode), ``integrating`` (subregion, input): near-unit mode and
        alignment above that of a random direction (1/√M).
    """
    plrnn = piecewise_map(model)
    pieces = linear_pieces(plrnn, codes)
    n_inputs = plrnn.C.shape[1]
    names = list(input_names) if input_names is not None else list(range(n_inputs))
    eigenvalue = np.zeros(len(pieces["subregion"]), dtype=complex)
    alignment = np.zeros((len(eigenvalue), n_inputs))
    for index, jacobian in enumerate(pieces["jacobian"].values):
        values, left = np.linalg.eig(jacobian.T)  # left eigenvectors of J
        closest = int(np.argmin(np.abs(values - 1)))
        eigenvalue[index] = values[closest]
        direction = np.real(left[:, closest])
        direction /= np.linalg.norm(direction) + 1e-300
        columns = plrnn.C / (np.linalg.norm(plrnn.C, axis=0) + 1e-300)
        alignment[index] = np.abs(direction @ columns)
    near_unit = np.abs(eigenvalue - 1) < unit_tol
    chance = 1 / np.sqrt(plrnn.units)
    return xr.Dataset(
        {
            "eigenvalue": ("subregion", eigenvalue),
            "alignment": (("subregion", "input"), alignment),
            "integrating": (
                ("subregion", "input"),
                near_unit[:, None] & (alignment > chance),
            ),
        },
        coords={
            "subregion": pieces["subregion"].values,
            "bits": ("subregion", pieces["bits"].values),
            "input": names,
        },
        attrs={"unit_tol": unit_tol},
    )


def memory(states: Any, labels: Any, *, mask: Any = None) -> xr.DataArray:
    """Return the fraction of state variance explained by an earlier input.

    Parameters
    ----------
    states
        ``(trial, time, unit)`` states.
    labels
        ``(trial,)`` the earlier input's condition (e.g. ``stim_name``).
    mask
        ``(trial, time)`` steps that count (e.g. after the input has ended);
        all by default.

    Returns
    -------
    xarray.DataArray
        ``(time,)``: between-condition variance over total variance across
        trials at each step, summed over units (NaN where fewer than two
        conditions are present). Values well above 0 after the input ends
        mean the state remembers it.
    """
    states, labels = _to_numpy(states), np.asarray(_to_numpy(labels))
    _check_trials(states, labels)
    mask = np.ones(states.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    explained = np.full(states.shape[1], np.nan)
    for step in range(states.shape[1]):
        chosen, groups = states[mask[:, step], step], labels[mask[:, step]]
        if len(np.unique(groups)) < 2:
            continue
        total = ((chosen - chosen.mean(0)) ** 2).sum()
        between = sum(
            (groups == g).sum()
            * ((chosen[groups == g].mean(0) - chosen.mean(0)) ** 2).sum()
            for g in np.unique(groups)
        )
        explained[step] = between / total if total > 0 else 0.0
    return xr.DataArray(explained, dims="time", name="explained_variance")


def transient_amplification(
    model: Any, codes: Sequence[int] | np.ndarray, *, horizon: int = 50
) -> xr.Dataset:
    """Measure non-normal transient growth of linear pieces.

    Parameters
    ----------
    model
        An AL-RNN with relu nonlinear units.
    codes
        Subregions to examine.
    horizon
        Steps over which max_t ||J^t||₂ is taken.

    Returns
    -------
    xarray.Dataset
        ``amplification`` (subregion): max over 1 <= t <= horizon of the
        largest singular value of J^t; ``peak_step``; ``spectral_radius``;
        ``non_normal``: a stable piece (radius < 1) that still amplifies
        (amplification > 1), the signature of memory-dependent transients.
    """
    plrnn = piecewise_map(model)
    codes = np.atleast_1d(np.asarray(codes, dtype=np.int64))
    jacobians = plrnn.jacobians(codes)
    power = np.broadcast_to(np.eye(plrnn.units), jacobians.shape).copy()
    norms = np.zeros((len(codes), horizon))
    for step in range(horizon):
        power = jacobians @ power
        norms[:, step] = np.linalg.norm(power, ord=2, axis=(-2, -1))
    radius = np.abs(np.linalg.eigvals(jacobians)).max(-1, initial=0.0)
    amplification = norms.max(-1, initial=0.0)
    return xr.Dataset(
        {
            "amplification": ("subregion", amplification),
            "peak_step": ("subregion", norms.argmax(-1) + 1),
            "spectral_radius": ("subregion", radius),
            "non_normal": ("subregion", (radius < 1) & (amplification > 1)),
        },
        coords={
            "subregion": codes,
            "bits": ("subregion", code_strings(codes, plrnn.relu_units)),
        },
        attrs={"horizon": horizon},
    )
