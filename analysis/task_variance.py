"""Task variance and unit clustering for multi-task networks (Yang et al. 2019).

A unit's *task variance* for task k is the variance of its activity across
trials of task k, averaged over time. Normalising each unit's task variances
by their maximum gives its task profile; clustering the profiles (k-means,
with the number of clusters chosen by the silhouette score as in Yang et al.)
finds groups of units specialised for families of tasks.

References
----------
Yang, G. R., Joglekar, M. R., Song, H. F., Newsome, W. T. & Wang, X.-J. (2019).
Task representations in neural networks trained to perform many cognitive
tasks. *Nature Neuroscience* 22, 297-306.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr

from analysis.codes import _to_numpy
from analysis.errors import AnalysisError

__all__ = ["cluster_units", "task_variance"]


def task_variance(
    states: Any,
    tasks: Any,
    *,
    mask: Any = None,
    active_fraction: float = 1e-3,
) -> xr.Dataset:
    """Return each unit's variance across trials of each task.

    Parameters
    ----------
    states
        ``(trial, time, unit)`` activity (states or rates).
    tasks
        ``(trial,)`` task of each trial (``conditions["task"]`` of
        MultiTask-v0).
    mask
        ``(trial, time)`` valid steps (e.g. ``batch.mask > 0``); padding
        must be excluded.
    active_fraction
        A unit is active when its summed task variance exceeds this fraction
        of the largest unit's; inactive units are left out of clustering.

    Returns
    -------
    xarray.Dataset
        ``variance`` (task, unit), ``normalized`` (task, unit; each active
        unit's maximum is 1), ``active`` (unit).
    """
    states, tasks = _to_numpy(states), np.asarray(_to_numpy(tasks))
    if states.ndim != 3 or tasks.shape != states.shape[:1]:
        raise AnalysisError(
            f"expected states (trial, time, unit) and tasks (trial,), got "
            f"{states.shape} and {tasks.shape}"
        )
    mask = np.ones(states.shape[:2], bool) if mask is None else np.asarray(mask, bool)
    names = np.unique(tasks)
    variance = np.zeros((len(names), states.shape[-1]))
    for row, name in enumerate(names):
        chosen = states[tasks == name]  # (trial, time, unit)
        valid = mask[tasks == name][..., None]
        count = valid.sum(0)
        mean = (chosen * valid).sum(0) / np.maximum(count, 1)
        spread = (((chosen - mean) ** 2) * valid).sum(0) / np.maximum(count - 1, 1)
        steps = (count[:, 0] > 1).sum()
        variance[row] = spread[count[:, 0] > 1].sum(0) / max(steps, 1)
    total = variance.sum(0)
    active = total > active_fraction * total.max(initial=0.0)
    normalized = variance / np.where(active, variance.max(0), 1.0)
    return xr.Dataset(
        {
            "variance": (("task", "unit"), variance),
            "normalized": (("task", "unit"), np.where(active, normalized, 0.0)),
            "active": ("unit", active),
        },
        coords={"task": names, "unit": np.arange(states.shape[-1])},
    )


def cluster_units(
    variance: xr.Dataset, *, max_clusters: int = 12, seed: int = 0
) -> xr.Dataset:
    """Cluster active units by their normalised task-variance profiles.

    Parameters
    ----------
    variance
        Output of :func:`task_variance`.
    max_clusters
        Largest number of clusters tried (from 2).
    seed
        Seed of the k-means initialisation.

    Returns
    -------
    xarray.Dataset
        ``cluster`` (unit; -1 for inactive units), ``silhouette``
        (n_clusters,) of each tried number, ``order`` (unit positions sorted
        by cluster, for plotting); attr ``n_clusters`` (the best).
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    active = variance["active"].values
    profiles = variance["normalized"].values[:, active].T  # (unit, task)
    tried = list(range(2, min(max_clusters, len(profiles) - 1) + 1))
    if not tried:
        raise AnalysisError(
            f"clustering needs at least 3 active units, got {len(profiles)}; "
            "lower active_fraction or record more trials"
        )
    scores, labels = [], []
    for n in tried:
        fit = KMeans(n_clusters=n, n_init=10, random_state=seed).fit(profiles)
        labels.append(fit.labels_)
        distinct = len(np.unique(fit.labels_)) > 1
        scores.append(silhouette_score(profiles, fit.labels_) if distinct else -1.0)
    best = int(np.argmax(scores))
    cluster = np.full(len(active), -1)
    cluster[active] = labels[best]
    return xr.Dataset(
        {
            "cluster": ("unit", cluster),
            "silhouette": ("n_clusters", np.array(scores)),
            "order": ("position", np.argsort(cluster, kind="stable")),
        },
        coords={"unit": variance["unit"].values, "n_clusters": tried},
        attrs={"n_clusters": tried[best]},
    )
