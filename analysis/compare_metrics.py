"""Representational similarity metrics on two (sample, unit) activity matrices.

Rows are matched samples (condition × time bin averages), columns units; the
two matrices may have different numbers of units. See :mod:`analysis.compare`
for how they are used and for the references.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence

import numpy as np
from scipy.spatial.distance import pdist, squareform
from scipy.stats import rankdata

from analysis.errors import ComparisonError

# a prepared metric: score of X against Y with its rows in the given order
# (None: as given); shuffle nulls call it once per permutation
Scorer = Callable[[np.ndarray | None], float]

__all__ = [
    "Scorer",
    "cca_similarity",
    "dsa_available",
    "dsa_distance",
    "linear_cka",
    "prepare_cca",
    "prepare_cka",
    "prepare_predictivity",
    "prepare_procrustes",
    "prepare_rsa",
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
    if kind not in ("angular", "euclidean"):
        raise ComparisonError(f"kind must be 'angular' or 'euclidean', got {kind!r}")
    cosine = prepare_procrustes(X, Y)(None)
    if kind == "euclidean":
        return float(np.sqrt(2.0 - 2.0 * np.cos(cosine)))
    return cosine


def prepare_procrustes(X: np.ndarray, Y: np.ndarray) -> Scorer:
    """Return the angular Procrustes distance as a function of a row order of Y."""
    X, Y = _pair(X, Y)
    norm_x, norm_y = np.linalg.norm(X), np.linalg.norm(Y)
    if norm_x == 0 or norm_y == 0:
        raise ComparisonError("activity is constant over samples; nothing to align")
    X, Y = X / norm_x, Y / norm_y

    def score(order: np.ndarray | None) -> float:
        Yo = Y if order is None else Y[order]
        cosine = np.linalg.svd(X.T @ Yo, compute_uv=False).sum()
        return float(np.arccos(np.clip(cosine, 0.0, 1.0)))

    return score


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
    return prepare_cca(X, Y, dims)(None)


def prepare_cca(X: np.ndarray, Y: np.ndarray, dims: int = 10) -> Scorer:
    """Return :func:`cca_similarity` as a function of a row order of Y."""
    X, Y = _pair(X, Y)
    bases = []
    for matrix in (X, Y):
        U, s, _ = np.linalg.svd(matrix, full_matrices=False)
        rank = int((s > s[0] * 1e-10).sum()) if s.size and s[0] > 0 else 0
        bases.append(U[:, :rank])
    k = min(dims, bases[0].shape[1], bases[1].shape[1])
    if k < 1:
        raise ComparisonError("activity is constant over samples; CCA is undefined")
    # a row order of Y reorders the rows of its orthonormal basis too
    U_x, U_y = bases[0][:, :k], bases[1][:, :k]

    def score(order: np.ndarray | None) -> float:
        U = U_y if order is None else U_y[order]
        correlations = np.linalg.svd(U_x.T @ U, compute_uv=False)
        return float(np.clip(correlations, 0.0, 1.0).mean())

    return score


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
    return prepare_cka(X, Y)(None)


def prepare_cka(X: np.ndarray, Y: np.ndarray) -> Scorer:
    """Return :func:`linear_cka` as a function of a row order of Y."""
    X, Y = _pair(X, Y)
    denominator = np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)
    if denominator == 0:
        raise ComparisonError("activity is constant over samples; CKA is undefined")

    def score(order: np.ndarray | None) -> float:
        Yo = Y if order is None else Y[order]
        return float(np.linalg.norm(Yo.T @ X) ** 2 / denominator)

    return score


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
    return prepare_rsa(X, Y, distance)(None)


def prepare_rsa(X: np.ndarray, Y: np.ndarray, distance: str = "correlation") -> Scorer:
    """Return :func:`rsa_correlation` as a function of a row order of Y.

    Reordering Y's rows reorders its RDM, and ranks of a reordered vector are
    the reordered ranks, so both RDMs are ranked once.
    """
    _pair(X, Y)
    ranks_x = rankdata(rdm(X, distance))
    ranks_x = (ranks_x - ranks_x.mean()) / np.linalg.norm(ranks_x - ranks_x.mean())
    ranks_y = squareform(rankdata(rdm(Y, distance)))
    rows, cols = np.triu_indices(X.shape[0], k=1)

    def score(order: np.ndarray | None) -> float:
        y = ranks_y[rows, cols] if order is None else ranks_y[order[rows], order[cols]]
        y = y - y.mean()
        return float(ranks_x @ y / np.linalg.norm(y))

    return score


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
    return prepare_predictivity(X, Y, groups, folds=folds, alphas=alphas)(None)


def prepare_predictivity(
    X: np.ndarray,
    Y: np.ndarray,
    groups: np.ndarray,
    *,
    folds: int = 5,
    alphas: Sequence[float] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0),
) -> Scorer:
    """Return :func:`ridge_predictivity` as a function of a row order of Y.

    X's folds and their SVDs do not depend on Y, so they are computed once.
    """
    X, Y = _pair(X, Y)
    unique = np.unique(groups)
    k = min(folds, unique.size)
    if k < 2:
        raise ComparisonError(
            f"predictivity needs >= 2 conditions to cross-validate, got {unique.size}"
        )
    fold_of_row = np.searchsorted(unique, groups) % k
    fits = [_ridge_basis(X, fold_of_row == fold) for fold in range(k)]
    alphas = np.asarray(alphas, dtype=float)

    def score(order: np.ndarray | None) -> float:
        Yo = Y if order is None else Y[order]
        predicted = np.empty_like(Yo)
        for test, U, s, test_projection in fits:
            predicted[test] = _ridge_predict(Yo[~test], U, s, test_projection, alphas)
        total = ((Yo - Yo.mean(0)) ** 2).sum(0)
        varying = total > 0
        r2 = 1.0 - ((Yo - predicted) ** 2).sum(0)[varying] / total[varying]
        return float(r2.mean()) if r2.size else float("nan")

    return score


def _ridge_basis(X: np.ndarray, test: np.ndarray) -> tuple:
    """Return the fold's test rows, SVD of the standardised training X, test X in it."""
    train = X[~test]
    mean, scale = train.mean(0), train.std(0)
    scale[scale == 0] = 1.0
    U, s, Vt = np.linalg.svd((train - mean) / scale, full_matrices=False)
    return test, U, s, ((X[test] - mean) / scale) @ Vt.T


def _ridge_predict(
    Y: np.ndarray,
    U: np.ndarray,
    s: np.ndarray,
    test_projection: np.ndarray,
    alphas: np.ndarray,
) -> np.ndarray:
    """Fit ridge with the GCV-best alpha on the training Y; predict the test rows."""
    y_mean = Y.mean(0)
    UtY = U.T @ (Y - y_mean)  # (component, recorded_unit)
    power = (UtY**2).sum(1)  # (component,)
    total = ((Y - y_mean) ** 2).sum()
    n = Y.shape[0]
    penalties = alphas * (s[0] ** 2 if s.size else 1.0)
    shrink = s**2 / (s**2 + penalties[:, None])  # (alpha, component)
    # ‖(I - U D Uᵀ) Y‖² with orthonormal U: ‖Y‖² - Σ (2 d - d²) ‖u_iᵀ Y‖²
    residual = total - ((2 * shrink - shrink**2) * power).sum(1)
    gcv = residual / (n * (1 - shrink.sum(1) / n) ** 2 + 1e-300)
    best = penalties[int(np.argmin(gcv))]
    return test_projection @ ((s / (s**2 + best))[:, None] * UtY) + y_mean


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
