"""Linear pieces of an AL-RNN: the affine map of each subregion.

Inside the subregion with relu-unit pattern d ∈ {0, 1}^P the AL-RNN
z_t = A ⊙ z_{t-1} + W φ_P(z_{t-1}) + C s_t + h is affine,

    z_t = J_d z_{t-1} + C s_t + h,   J_d = diag(A) + W D_d,

with D_d = diag(1, …, 1, d_0, …, d_{P-1}) (ones on the M - P linear units).
The eigenvalues of J_d give the piece's time constants and slow modes.

Every function here takes any object with the AL-RNN's attributes (``A`` or
``effective_A()``, ``W``, ``C``, ``h``, ``relu_units`` and
``config.nonlinearity``), so hand-built networks work as well as
:class:`agents.ALRNN`.

References
----------
Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.

Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from analysis.codes import _check_relu_units, code_strings, codes_to_bits
from analysis.errors import AnalysisError, NonlinearityError

__all__ = ["PiecewiseLinearMap", "linear_pieces", "piecewise_map"]


@dataclass(frozen=True)
class PiecewiseLinearMap:
    """The parameters of an AL-RNN as float64 arrays.

    Attributes
    ----------
    A : numpy.ndarray
        ``(unit,)`` diagonal (fixed entries already zeroed).
    W : numpy.ndarray
        ``(unit, unit)`` recurrent weights.
    C : numpy.ndarray
        ``(unit, input)`` input weights.
    h : numpy.ndarray
        ``(unit,)`` bias.
    relu_units : int
        Number P of nonlinear units, the last P.
    """

    A: np.ndarray
    W: np.ndarray
    C: np.ndarray
    h: np.ndarray
    relu_units: int

    @property
    def units(self) -> int:
        """Number M of units."""
        return self.A.shape[0]

    @property
    def linear_units(self) -> int:
        """Number M - P of linear units."""
        return self.units - self.relu_units

    def drive(self, inputs: Any = None) -> np.ndarray:
        """Return the constant offset c = C s + h for one input vector s."""
        if inputs is None:
            return self.h.copy()
        inputs = np.asarray(_numpy(inputs), dtype=np.float64)
        if inputs.shape != (self.C.shape[1],):
            raise AnalysisError(
                f"inputs must be one constant input vector of shape "
                f"({self.C.shape[1]},), got {inputs.shape}; average a period's "
                "inputs over trials and time first"
            )
        return self.C @ inputs + self.h

    def slopes(self, codes: np.ndarray) -> np.ndarray:
        """Return the diagonal of D_d, ``(..., unit)``, for integer codes."""
        bits = codes_to_bits(codes, self.relu_units).astype(np.float64)
        ones = np.ones((*bits.shape[:-1], self.linear_units))
        return np.concatenate([ones, bits], axis=-1)

    def jacobians(self, codes: np.ndarray) -> np.ndarray:
        """Return J_d = diag(A) + W D_d, ``(..., unit, unit)``, for codes."""
        slopes = self.slopes(codes)
        return np.einsum("ij,...j->...ij", self.W, slopes) + np.diag(self.A)

    def step(self, states: np.ndarray, inputs: Any = None) -> np.ndarray:
        """Apply the map once to states ``(..., unit)``."""
        first = self.linear_units
        phi = states.copy()
        phi[..., first:] = np.maximum(phi[..., first:], 0.0)
        return self.A * states + phi @ self.W.T + self.drive(inputs)


def _numpy(array: Any) -> np.ndarray:
    if hasattr(array, "detach"):
        return array.detach().cpu().double().numpy()
    return np.asarray(array)


def piecewise_map(model: Any) -> PiecewiseLinearMap:
    """Read an AL-RNN's parameters into a :class:`PiecewiseLinearMap`.

    Parameters
    ----------
    model
        An :class:`agents.ALRNN`, a :class:`PiecewiseLinearMap`, or any object
        with ``A`` (or ``effective_A()``), ``W``, ``C``, ``h``,
        ``relu_units`` and optionally ``config.nonlinearity``.

    Returns
    -------
    PiecewiseLinearMap

    Raises
    ------
    NonlinearityError
        If the nonlinear units use anything but relu.
    """
    if isinstance(model, PiecewiseLinearMap):
        return model
    config = getattr(model, "config", None)
    nonlinearity = getattr(
        config, "nonlinearity", getattr(model, "nonlinearity", "relu")
    )
    if nonlinearity != "relu":
        raise NonlinearityError(
            f"exact piecewise-linear analysis needs relu nonlinear units, got "
            f"{nonlinearity!r}; train with nonlinearity='relu' or analyse "
            "trajectories only"
        )
    missing = [n for n in ("W", "C", "h", "relu_units") if not hasattr(model, n)]
    if missing:
        raise AnalysisError(
            f"expected an AL-RNN with A, W, C, h and relu_units, got "
            f"{type(model).__name__} without {', '.join(missing)}"
        )
    diagonal = model.effective_A() if hasattr(model, "effective_A") else model.A
    params = [np.asarray(_numpy(p), dtype=np.float64) for p in (diagonal, model.W)]
    params += [np.asarray(_numpy(p), dtype=np.float64) for p in (model.C, model.h)]
    A, W, C, h = params
    units = A.shape[0]
    if W.shape != (units, units) or h.shape != (units,) or C.shape[0] != units:
        raise AnalysisError(
            f"AL-RNN parameters do not fit together: A {A.shape}, W {W.shape}, "
            f"C {C.shape}, h {h.shape}"
        )
    relu_units = _check_relu_units(int(model.relu_units))
    if relu_units > units:
        raise AnalysisError(f"relu_units ({relu_units}) exceeds units ({units})")
    return PiecewiseLinearMap(A, W, C, h, relu_units)


def linear_pieces(
    model: Any,
    codes: np.ndarray | list[int],
    inputs: Any = None,
    *,
    dt: float | None = None,
    slow_tol: float = 0.05,
) -> xr.Dataset:
    """Return the affine map of each given subregion with its spectrum.

    Parameters
    ----------
    model
        An AL-RNN (see :func:`piecewise_map`).
    codes
        Subregion codes, e.g. the visited ones from
        :func:`analysis.occupancy`.
    inputs
        One constant input vector s; the offset is C s + h (h without it).
    dt
        Step in ms; time constants are in ms when given, in steps otherwise.
    slow_tol
        A mode is slow when | |λ| - 1 | < ``slow_tol``.

    Returns
    -------
    xarray.Dataset
        Dims ``subregion``, ``unit``, ``unit_in``, ``mode``: ``jacobian``
        (subregion, unit, unit_in), ``offset`` (subregion, unit),
        ``eigenvalues`` (subregion, mode, complex, by decreasing modulus),
        ``eigenvectors`` (subregion, unit, mode), ``time_constant``
        τ = -Δ/ln|λ| (subregion, mode), ``slow`` (subregion, mode),
        ``spectral_radius`` (subregion,).
    """
    plrnn = piecewise_map(model)
    codes = np.atleast_1d(np.asarray(codes, dtype=np.int64))
    jacobians = plrnn.jacobians(codes)
    eigenvalues, eigenvectors = np.linalg.eig(jacobians)
    order = np.argsort(-np.abs(eigenvalues), axis=-1, kind="stable")
    eigenvalues = np.take_along_axis(eigenvalues, order, -1)
    eigenvectors = np.take_along_axis(eigenvectors, order[:, None, :], -1)
    modulus = np.abs(eigenvalues)
    with np.errstate(divide="ignore"):
        time_constant = -(1.0 if dt is None else dt) / np.log(modulus)
    offset = np.broadcast_to(plrnn.drive(inputs), (len(codes), plrnn.units))
    return xr.Dataset(
        {
            "jacobian": (("subregion", "unit", "unit_in"), jacobians),
            "offset": (("subregion", "unit"), offset.copy()),
            "eigenvalues": (("subregion", "mode"), eigenvalues.astype(complex)),
            "eigenvectors": (
                ("subregion", "unit", "mode"),
                eigenvectors.astype(complex),
            ),
            "time_constant": (("subregion", "mode"), time_constant),
            "slow": (("subregion", "mode"), np.abs(modulus - 1) < slow_tol),
            "spectral_radius": ("subregion", modulus.max(-1, initial=0.0)),
        },
        coords={
            "subregion": codes,
            "bits": ("subregion", code_strings(codes, plrnn.relu_units)),
        },
        attrs={"time_unit": "steps" if dt is None else "ms"},
    )
