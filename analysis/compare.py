"""Model-versus-brain comparison of condition-averaged population activity.

:func:`compare` aligns a model recording (:func:`analysis.record`) and a
neural recording (:mod:`analysis.recordings`) on shared condition labels and
time bins, then scores their similarity with several metrics, each against a
null distribution from shuffled condition labels. :func:`rank_models` does
the same for several models and ranks them.

Alignment. Both datasets are averaged over the trials of each combination
of the ``conditions`` labels found in both. The recording's bins set the
time axis: when the recording is aligned to an event (``attrs["align_to"]``,
e.g. ``stim_onset``), each model step is placed relative to the same event
of its trial (a condition of the model recording) and model steps are
averaged into the recording's bins, which resamples the model to the
recording's bin width. Bins without data in some condition are dropped.

Metrics, on the (condition × bin, unit) matrices X (model) and Y (recording):

==================  ======  ===================================================
metric              better  definition
==================  ======  ===================================================
``procrustes``      lower   angular Procrustes shape distance, arccos of the
                            nuclear norm of X̃ᵀỸ for centred, unit-norm X̃, Ỹ
                            (Williams et al. 2021); in [0, π/2]
``cca``             higher  mean canonical correlation of the top ``cca_dims``
                            principal components of each (the whitened, α = 0
                            end of Williams et al.'s shape metrics)
``cka``             higher  linear centred kernel alignment (Kornblith et al.
                            2019)
``rsa``             higher  Spearman correlation of the correlation-distance
                            RDMs (Kriegeskorte et al. 2008)
``predictivity``    higher  mean over recorded units of the cross-validated R²
                            of a ridge regression from model units, folds
                            leaving out whole conditions
``dsa``             lower   dynamical similarity analysis (Ostrow et al. 2023),
                            when the ``dsa-metric`` package is installed
==================  ======  ===================================================

Null. The recording's condition averages are permuted across conditions
(each keeps its time course) and the metric recomputed, ``n_shuffles``
times; ``p_value = (1 + #{null at least as good}) / (1 + n_shuffles)``. With
C conditions there are only C! distinct permutations, so few conditions
limit the smallest p-value.

References
----------
Kornblith, S., Norouzi, M., Lee, H. & Hinton, G. (2019). Similarity of neural
network representations revisited. *ICML*.

Williams, A. H., Kunz, E., Kornblith, S. & Linderman, S. W. (2021).
Generalized shape metrics on neural representations. *NeurIPS*.

Kriegeskorte, N., Mur, M. & Bandettini, P. (2008). Representational
similarity analysis. *Front. Syst. Neurosci.* 2, 4.

Ostrow, M., Eisen, A., Kozachkov, L. & Fiete, I. (2023). Beyond geometry:
comparing the temporal structure of computation in neural circuits with
dynamical similarity analysis. *NeurIPS*.

Rodgers, C. C. & DeWeese, M. R. (2014). *Neuron* 82(5), 1157-1170 (the
stimulus-selection recordings this is built to compare against).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from analysis.compare_align import AlignedActivity, align
from analysis.compare_metrics import (
    dsa_available,
    dsa_distance,
    prepare_cca,
    prepare_cka,
    prepare_predictivity,
    prepare_procrustes,
    prepare_rsa,
)
from analysis.errors import ComparisonError

__all__ = [
    "HIGHER_IS_BETTER",
    "METRICS",
    "ComparisonOptions",
    "compare",
    "compare_command",
    "format_table",
    "rank_models",
]

METRICS = ("procrustes", "cca", "cka", "rsa", "predictivity", "dsa")
HIGHER_IS_BETTER = {
    "procrustes": False,
    "cca": True,
    "cka": True,
    "rsa": True,
    "predictivity": True,
    "dsa": False,
}


@dataclass(frozen=True)
class ComparisonOptions:
    """Settings of the metrics; the defaults suit tens of conditions."""

    cca_dims: int = 10  # principal components kept per side before CCA
    folds: int = 5  # cross-validation folds over conditions (predictivity)
    # ridge penalties, as fractions of the largest squared singular value of X
    alphas: tuple[float, ...] = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
    rdm_distance: str = "correlation"  # scipy pdist metric of the RDMs


def _scorers(
    names: list[str], X: np.ndarray, Y: np.ndarray, options: ComparisonOptions
) -> dict[str, Callable[[np.ndarray | None], float]]:
    """Return metric name -> score as a function of a condition permutation of Y.

    ``X``, ``Y`` are ``(condition, bin, unit)``; most metrics work on the
    flattened (condition × bin, unit) matrices, where a condition permutation
    is a row order.
    """
    n_conditions, n_bins = X.shape[:2]
    X_flat, Y_flat = X.reshape(-1, X.shape[-1]), Y.reshape(-1, Y.shape[-1])
    groups = np.repeat(np.arange(n_conditions), n_bins)
    prepare = {
        "procrustes": lambda: prepare_procrustes(X_flat, Y_flat),
        "cca": lambda: prepare_cca(X_flat, Y_flat, dims=options.cca_dims),
        "cka": lambda: prepare_cka(X_flat, Y_flat),
        "rsa": lambda: prepare_rsa(X_flat, Y_flat, distance=options.rdm_distance),
        "predictivity": lambda: prepare_predictivity(
            X_flat, Y_flat, groups, folds=options.folds, alphas=options.alphas
        ),
    }
    scorers: dict[str, Callable[[np.ndarray | None], float]] = {}
    for name in names:
        if name == "dsa":
            scorers[name] = lambda p: dsa_distance(X, Y if p is None else Y[p])
            continue
        flat_score = prepare[name]()
        scorers[name] = lambda p, f=flat_score: f(
            None if p is None else (p[:, None] * n_bins + np.arange(n_bins)).ravel()
        )
    return scorers


def _metric_names(metric: str | Sequence[str]) -> list[str]:
    if isinstance(metric, str):
        names = [m.strip() for m in metric.split(",") if m.strip()]
    else:
        names = list(metric)
    if names == ["all"]:
        return [m for m in METRICS if m != "dsa" or dsa_available()]
    for name in names:
        if name not in METRICS:
            close = difflib.get_close_matches(str(name), METRICS, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ComparisonError(
                f"unknown metric {name!r}; {hint}choose from {', '.join(METRICS)} "
                "or 'all'"
            )
    if not names:
        raise ComparisonError("no metric given; choose from " + ", ".join(METRICS))
    return names


def compare(
    model_ds: xr.Dataset,
    recording_ds: xr.Dataset,
    *,
    conditions: Sequence[str],
    metric: str | Sequence[str] = "all",
    n_shuffles: int = 100,
    seed: int = 0,
    options: ComparisonOptions | None = None,
) -> xr.Dataset:
    """Score how similar a model's activity is to a recording's.

    Parameters
    ----------
    model_ds
        Model activity (:func:`analysis.record`) or any dataset of the
        activity schema.
    recording_ds
        The recording (:mod:`analysis.recordings`), or another model
        recording.
    conditions
        Trial conditions whose label combinations define the averaged
        conditions (e.g. ``["rule", "noise_side", "pitch"]``).
    metric
        A name from :data:`METRICS`, several (a list or comma-separated), or
        ``"all"`` (every installed metric).
    n_shuffles
        Condition shuffles for the null distribution (0: none).
    seed
        Seed of the shuffles.
    options
        Metric settings.

    Returns
    -------
    xarray.Dataset
        Dim ``metric`` (and ``shuffle``); variables ``score``, ``null``
        (metric, shuffle), ``null_mean``, ``null_std``, ``p_value``;
        coordinate ``higher_is_better``; attrs ``conditions``,
        ``n_conditions``, ``n_bins``, ``n_model_units``,
        ``n_recorded_units``, ``n_shuffles``, ``seed``.

    Raises
    ------
    ComparisonError
        For an unknown metric, missing conditions, no shared labels or bins.
    """
    names = _metric_names(metric)
    if (
        isinstance(n_shuffles, bool)
        or not isinstance(n_shuffles, int)
        or n_shuffles < 0
    ):
        raise ComparisonError(f"n_shuffles must be an integer >= 0, got {n_shuffles!r}")
    aligned = align(model_ds, recording_ds, conditions)
    scorers = _scorers(
        names, aligned.model, aligned.recording, options or ComparisonOptions()
    )

    rng = np.random.default_rng(seed)
    permutations = [rng.permutation(aligned.n_conditions) for _ in range(n_shuffles)]
    scores = np.array([scorers[name](None) for name in names])
    null = np.array(
        [[scorers[name](p) for p in permutations] for name in names]
    ).reshape(len(names), n_shuffles)
    return _result(names, scores, null, aligned, seed)


def _result(
    names: list[str],
    scores: np.ndarray,
    null: np.ndarray,
    aligned: AlignedActivity,
    seed: int,
) -> xr.Dataset:
    higher = np.array([HIGHER_IS_BETTER[name] for name in names])
    as_good = np.where(
        higher[:, None], null >= scores[:, None], null <= scores[:, None]
    )
    n_shuffles = null.shape[1]
    with np.errstate(invalid="ignore"):
        null_mean = null.mean(1) if n_shuffles else np.full(len(names), np.nan)
        null_std = null.std(1) if n_shuffles else np.full(len(names), np.nan)
    return xr.Dataset(
        {
            "score": ("metric", scores),
            "null": (("metric", "shuffle"), null),
            "null_mean": ("metric", null_mean),
            "null_std": ("metric", null_std),
            "p_value": ("metric", (1 + as_good.sum(1)) / (1 + n_shuffles)),
        },
        coords={"metric": names, "higher_is_better": ("metric", higher)},
        attrs={
            "conditions": ",".join(aligned.conditions),
            "n_conditions": aligned.n_conditions,
            "n_bins": aligned.n_bins,
            "n_model_units": aligned.model.shape[-1],
            "n_recorded_units": aligned.recording.shape[-1],
            "n_shuffles": n_shuffles,
            "seed": seed,
        },
    )


def rank_models(
    models: Mapping[str, xr.Dataset],
    recording_ds: xr.Dataset,
    **kwargs: Any,
) -> xr.Dataset:
    """Compare several models with one recording and rank them per metric.

    Parameters
    ----------
    models
        Model name -> model activity dataset.
    recording_ds
        The recording.
    **kwargs
        Passed to :func:`compare` (``conditions`` is required).

    Returns
    -------
    xarray.Dataset
        :func:`compare`'s variables with a leading ``model`` dim, plus
        ``rank`` (model, metric): 1 for the model most similar to the
        recording under that metric.
    """
    if not models:
        raise ComparisonError("rank_models needs at least one model, got none")
    results = [compare(ds, recording_ds, **kwargs) for ds in models.values()]
    combined = xr.concat(results, dim="model", coords="minimal", compat="override")
    combined = combined.assign_coords(model=list(models))
    signed = combined["score"] * xr.where(combined["higher_is_better"], -1.0, 1.0)
    order = signed.values.argsort(axis=0, kind="stable").argsort(axis=0, kind="stable")
    combined["rank"] = (("model", "metric"), order + 1)
    return combined


def format_table(result: xr.Dataset) -> str:
    """Return a plain-text table of a :func:`compare` or :func:`rank_models` result.

    Parameters
    ----------
    result
        The dataset those functions return.

    Returns
    -------
    str
        One row per (model,) metric: score, null mean ± s.d., p-value (and
        rank), best rank first within each metric.
    """
    if "model" not in result.dims:
        result = result.expand_dims(model=["model"])
        result["rank"] = (("model", "metric"), np.ones((1, result.sizes["metric"])))
    header = f"{'metric':<13}{'model':<28}{'score':>9}{'null':>18}{'p':>8}{'rank':>6}"
    lines = [header, "-" * len(header)]
    for metric in result["metric"].values.tolist():
        row = result.sel(metric=metric)
        for index in np.argsort(row["rank"].values, kind="stable"):
            one = row.isel(model=index)
            null = f"{float(one['null_mean']):.3f} ± {float(one['null_std']):.3f}"
            lines.append(
                f"{metric:<13}{str(one['model'].values)[:27]:<28}"
                f"{float(one['score']):>9.3f}{null:>18}"
                f"{float(one['p_value']):>8.3f}{int(one['rank']):>6d}"
            )
    return "\n".join(lines)


def compare_command(
    models: Sequence[str],
    recording: str,
    *,
    conditions: Sequence[str] | str,
    metric: str = "all",
    n_shuffles: int = 100,
    seed: int = 0,
    **load_options: Any,
) -> str:
    """Load model datasets and a recording, compare them and return the table.

    The body of ``alrnn compare MODEL.nc [MODEL.nc ...] RECORDING.(nc|nwb)``.

    Parameters
    ----------
    models
        Paths of model activity datasets (``.nc``/``.zarr``).
    recording
        Path of the recording (``.nc``, ``.zarr``, ``.nwb`` or a pfc-1
        folder).
    conditions
        Condition names, a list or comma-separated.
    metric, n_shuffles, seed
        As in :func:`compare`.
    **load_options
        Binning options for NWB and pfc-1 recordings.

    Returns
    -------
    str
        The table of :func:`format_table`, models ranked per metric.
    """
    from pathlib import Path

    from analysis.recordings import from_netcdf, load_recording

    if isinstance(conditions, str):
        conditions = [c.strip() for c in conditions.split(",") if c.strip()]
    datasets = {Path(path).stem: from_netcdf(path) for path in models}
    if len(datasets) != len(models):
        datasets = {str(path): from_netcdf(path) for path in models}
    recording_ds = load_recording(recording, **load_options)
    result = rank_models(
        datasets,
        recording_ds,
        conditions=conditions,
        metric=metric,
        n_shuffles=n_shuffles,
        seed=seed,
    )
    return format_table(result)
