"""Representational similarity metrics on two (sample, unit) activity matrices.

Rows are matched samples (condition × time bin averages), columns units; the
two matrices may have different numbers of units. See :mod:`analysis.compare`
for how they are used and for the references.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import rankdata

from analysis.errors import ComparisonError

__all__ = [
    "cca_similarity",
    "dsa_available",
    "dsa_distance",
    "linear_cka",
    "procrustes_distance",
    "rdm",
    "ridge_predictivity",
    "rsa_correlation",
]


def _pair(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check two (sample, unit) matrices and return them centred per unit."""
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0]:
        raise ComparisonError(
            f"expected two (sample, unit) matrices with equal samples, got shapes "
            f"{X.shape} and {Y.shape}"
        )
    if X.shape[0] < 2 or not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ComparisonError(
            f"need >= 2 finite samples, got {X.shape[0]} samples "
            f"(finite: {np.isfinite(X).all() and np.isfinite(Y).all()})"
        )
    return X - X.mean(0), Y - Y.mean(0)


def procrustes_distance(X: np.ndarray, Y: np.ndarray, kind: str = "angular") -> float:
    """Procrustes shape distance (Williams et al. 2021).

    X and Y are centred and scaled to unit Frobenius norm; the best
    orthogonal map of one onto the other (zero-padding the smaller) leaves
    cos θ = ‖X̃ᵀỸ‖_* (nuclear norm).

    Parameters
    ----------
    X, Y
        ``(sample, unit)`` matrices.
    kind
        ``"angular"``: θ = arccos ‖X̃ᵀỸ‖_* in [0, π/2]; ``"euclidean"``:
        min_Q ‖X̃ - ỸQ‖_F = sqrt(2 - 2 cos θ).

    Returns
    -------
    float
        0 for matrices equal up to rotation, translation and scale.
    """
    X, Y = _pair(X, Y)
    norm_x, norm_y = np.linalg.norm(X), np.linalg.norm(Y)
    if norm_x == 0 or norm_y == 0:
        raise ComparisonError("activity is constant over samples; nothing to align")
    cosine = np.linalg.svd((X / norm_x).T @ (Y / norm_y), compute_uv=False).sum()
    cosine = float(np.clip(cosine, 0.0, 1.0))
    if kind == "angular":
        return float(np.arccos(cosine))
    if kind == "euclidean":
        return float(np.sqrt(2.0 - 2.0 * cosine))
    raise ComparisonError(f"kind must be 'angular' or 'euclidean', got {kind!r}")


def cca_similarity(X: np.ndarray, Y: np.ndarray, dims: int = 10) -> float:
    """Mean canonical correlation of the top ``dims`` principal components.

    Reducing each side to its leading components first keeps CCA from
    matching noise when samples are few relative to units.

    Parameters
    ----------
    X, Y
        ``(sample, unit)`` matrices.
    dims
        Components kept per side (fewer if a side has lower rank).

    Returns
    -------
    float
        In [0, 1]; 1 when the leading subspaces coincide.
    """
    X, Y = _pair(X, Y)
    bases = []
    for matrix in (X, Y):
        U, s, _ = np.linalg.svd(matrix, full_matrices=False)
        rank = int((s > s[0] * 1e-10).sum()) if s.size and s[0] > 0 else 0
        bases.append(U[:, :rank])
    k = min(dims, bases[0].shape[1], bases[1].shape[1])
    if k < 1:
        raise ComparisonError("activity is constant over samples; CCA is undefined")
    correlations = np.linalg.svd(bases[0][:, :k].T @ bases[1][:, :k], compute_uv=False)
    return float(np.clip(correlations, 0.0, 1.0).mean())


def linear_cka(X: np.ndarray, Y: np.ndarray) -> float:
    """Linear centred kernel alignment (Kornblith et al. 2019).

    CKA = ‖ỸᵀX̃‖_F² / (‖X̃ᵀX̃‖_F ‖ỸᵀỸ‖_F) for column-centred X̃, Ỹ.

    Parameters
    ----------
    X, Y
        ``(sample, unit)`` matrices.

    Returns
    -------
    float
        In [0, 1]; invariant to rotations and isotropic scaling.
    """
    X, Y = _pair(X, Y)
    denominator = np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)
    if denominator == 0:
        raise ComparisonError("activity is constant over samples; CKA is undefined")
    return float(np.linalg.norm(Y.T @ X) ** 2 / denominator)


def rdm(X: np.ndarray, distance: str = "correlation") -> np.ndarray:
    """Return the condensed representational dissimilarity matrix of the rows of X.

    Parameters
    ----------
    X
        ``(sample, unit)`` activity patterns.
    distance
        A :func:`scipy.spatial.distance.pdist` metric; ``"correlation"`` is
        1 - Pearson correlation between patterns.

    Returns
    -------
    numpy.ndarray
        ``(sample * (sample - 1) / 2,)`` dissimilarities, upper triangle.
    """
    values = pdist(np.asarray(X, dtype=float), metric=distance)
    if not np.isfinite(values).all():
        raise ComparisonError(
            f"{distance} RDM has undefined entries (patterns constant across units); "
            "use ComparisonOptions(rdm_distance='euclidean')"
        )
    return values


def rsa_correlation(
    X: np.ndarray, Y: np.ndarray, distance: str = "correlation"
) -> float:
    """Spearman correlation of the RDMs of X and Y (Kriegeskorte et al. 2008).

    Parameters
    ----------
    X, Y
        ``(sample, unit)`` matrices with matched rows.
    distance
        Dissimilarity of :func:`rdm`.

    Returns
    -------
    float
        In [-1, 1].
    """
    _pair(X, Y)
    ranks_x = rankdata(rdm(X, distance))
    ranks_y = rankdata(rdm(Y, distance))
    return float(np.corrcoef(ranks_x, ranks_y)[0, 1])


def ridge_predictivity(
    X: np.ndarray,
    Y: np.ndarray,
    groups: np.ndarray,
    *,
    folds: int = 5,
    alphas: Sequence[float] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0),
) -> float:
    """Cross-validated R² of a ridge regression from X to each column of Y.

    Folds leave out whole groups (conditions), so that neighbouring time
    bins of a held-out condition cannot leak into training. In each fold,
    X is standardised on the training rows and the ridge penalty is chosen
    by generalised cross-validation from ``alphas``, given as fractions of
    the largest squared singular value of the training X.

    Parameters
    ----------
    X
        ``(sample, model_unit)`` predictors.
    Y
        ``(sample, recorded_unit)`` targets.
    groups
        ``(sample,)`` group (condition) of each row.
    folds
        Number of folds (at most the number of groups).
    alphas
        Relative ridge penalties to choose from.

    Returns
    -------
    float
        Mean over recorded units (with variance) of 1 - SS_res / SS_tot,
        pooling the held-out predictions of all folds.
    """
    X, Y = _pair(X, Y)
    unique = np.unique(groups)
    k = min(folds, unique.size)
    if k < 2:
        raise ComparisonError(
            f"predictivity needs >= 2 conditions to cross-validate, got {unique.size}"
        )
    fold_of_row = np.searchsorted(unique, groups) % k
    predicted = np.empty_like(Y)
    for fold in range(k):
        test = fold_of_row == fold
        predicted[test] = _ridge_fold(X[~test], Y[~test], X[test], alphas)
    total = ((Y - Y.mean(0)) ** 2).sum(0)
    varying = total > 0
    r2 = 1.0 - ((Y - predicted) ** 2).sum(0)[varying] / total[varying]
    return float(r2.mean()) if r2.size else float("nan")


def _ridge_fold(
    X: np.ndarray, Y: np.ndarray, X_test: np.ndarray, alphas: Sequence[float]
) -> np.ndarray:
    """Fit ridge on (X, Y) with the GCV-best alpha; return predictions for X_test."""
    x_mean, y_mean = X.mean(0), Y.mean(0)
    x_scale = X.std(0)
    x_scale[x_scale == 0] = 1.0
    U, s, Vt = np.linalg.svd((X - x_mean) / x_scale, full_matrices=False)
    UtY = U.T @ (Y - y_mean)  # (component, recorded_unit)
    n = X.shape[0]
    best, best_gcv = None, np.inf
    for alpha in np.asarray(alphas) * (s[0] ** 2 if s.size else 1.0):
        shrink = s**2 / (s**2 + alpha)
        residual = ((Y - y_mean) - U @ (shrink[:, None] * UtY)) ** 2
        gcv = residual.sum() / (n * (1 - shrink.sum() / n) ** 2 + 1e-300)
        if gcv < best_gcv:
            best, best_gcv = alpha, gcv
    coef = Vt.T @ ((s / (s**2 + best))[:, None] * UtY)
    return ((X_test - x_mean) / x_scale) @ coef + y_mean


def dsa_available() -> bool:
    """Whether the optional ``dsa-metric`` package (import name ``DSA``) is installed."""
    return importlib.util.find_spec("DSA") is not None


def dsa_distance(X: np.ndarray, Y: np.ndarray) -> float:
    """Dynamical similarity analysis distance (Ostrow et al. 2023) via ``dsa-metric``.

    Parameters
    ----------
    X, Y
        ``(condition, time, unit)`` condition-averaged trajectories.

    Returns
    -------
    float
        DSA's Procrustes-over-vector-fields distance; 0 for conjugate
        dynamics.
    """
    if not dsa_available():
        raise ComparisonError(
            "metric 'dsa' needs the optional dsa-metric package; install it with "
            "`pip install dsa-metric` or choose another metric"
        )
    from DSA import DSA

    return float(DSA(np.asarray(X), np.asarray(Y)).fit_score())
