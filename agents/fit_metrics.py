"""Metrics of a model fitted to recorded activity, on held-out trials (numpy only).

- **Bits per spike** (Pei et al. 2021): the Poisson log-likelihood of the
  model's rates minus that of a baseline, divided by the number of spikes
  and ln 2. The baseline here is the PSTH (the condition-mean rate of each
  unit in each bin, from the training trials), so a positive value means
  the model predicts single trials better than the condition averages.
- **Co-smoothing** (Neural Latents Benchmark): latents are inferred from the
  held-in units of held-out trials and the held-out units are predicted
  through the readout; bits per spike over each held-out unit's mean rate.
- **PSTH R²** per unit: how much of the variance of the data's
  condition-averaged time courses the model's condition averages explain.
- **Spike statistics** of generated activity against the data, per unit:
  mean rate, Fano factor of trial spike counts and CV of bin counts, each
  summarised by the correlation across units.

References
----------
Pei, F. et al. (2021). Neural Latents Benchmark '21: evaluating latent
dynamics models of neural population activity. *NeurIPS Datasets and
Benchmarks*.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import gammaln

__all__ = [
    "bits_per_spike",
    "condition_keys",
    "poisson_log_likelihood",
    "psth",
    "psth_prediction",
    "psth_r2",
    "spike_statistics",
    "statistics_agreement",
]

MIN_RATE = 1e-6  # counts per bin, so that silent bins have a finite likelihood


def poisson_log_likelihood(counts: np.ndarray, expected: np.ndarray) -> float:
    """Return Σ (y log λ - λ - log y!) over all elements.

    Examples
    --------
    >>> round(poisson_log_likelihood(np.array([0.0, 1.0]), np.array([1.0, 1.0])), 4)
    -2.0
    """
    expected = np.maximum(expected, MIN_RATE)
    return float(np.sum(counts * np.log(expected) - expected - gammaln(counts + 1.0)))


def bits_per_spike(
    counts: np.ndarray, expected: np.ndarray, baseline: np.ndarray
) -> float:
    """Return (LL(model) - LL(baseline)) / (spikes · ln 2); NaN without spikes.

    Parameters
    ----------
    counts
        Observed spike counts, any shape.
    expected, baseline
        Expected counts of the model and of the baseline, same shape.

    Examples
    --------
    >>> y = np.array([0.0, 2.0, 0.0, 2.0])
    >>> bits_per_spike(y, y + 1e-9, np.ones(4)) > 0
    True
    """
    spikes = float(np.sum(counts))
    if spikes == 0:
        return math.nan
    gain = poisson_log_likelihood(counts, expected) - poisson_log_likelihood(
        counts, baseline
    )
    return gain / (spikes * math.log(2.0))


def condition_keys(conditions: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    """Return one string key per trial joining the values of ``names``."""
    n_trials = len(next(iter(conditions.values())))
    if not names:
        return np.full(n_trials, "all")
    columns = [np.asarray(conditions[name]).astype(str) for name in names]
    return np.array(["|".join(values) for values in zip(*columns, strict=True)])


def psth(values: np.ndarray, keys: np.ndarray) -> dict[str, np.ndarray]:
    """Condition means ``(time, unit)`` of ``(trial, time, unit)`` values per key."""
    return {key: values[keys == key].mean(0) for key in np.unique(keys)}


def psth_prediction(
    train_values: np.ndarray, train_keys: np.ndarray, keys: np.ndarray
) -> np.ndarray:
    """Predict each trial by its condition's training mean (grand mean if unseen).

    Returns
    -------
    numpy.ndarray
        ``(trial, time, unit)`` for the trials of ``keys``.
    """
    means = psth(train_values, train_keys)
    grand = train_values.mean(0)
    return np.stack([means.get(key, grand) for key in keys])


def psth_r2(data: np.ndarray, predicted: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Per-unit R² of the model's condition-averaged time courses against the data's.

    Parameters
    ----------
    data, predicted
        ``(trial, time, unit)`` observed and model rates (or counts).
    keys
        ``(trial,)`` condition of each trial.

    Returns
    -------
    numpy.ndarray
        ``(unit,)``; 1 is perfect, 0 no better than each unit's overall mean.
    """
    data_means = psth(data, keys)
    model_means = psth(predicted, keys)
    observed = np.stack([data_means[k] for k in data_means])  # (condition, time, unit)
    fitted = np.stack([model_means[k] for k in data_means])
    residual = ((observed - fitted) ** 2).sum((0, 1))
    total = ((observed - observed.mean((0, 1))) ** 2).sum((0, 1))
    return 1.0 - residual / np.maximum(total, 1e-12)


def spike_statistics(counts: np.ndarray, dt: float) -> dict[str, np.ndarray]:
    """Per-unit statistics of ``(trial, time, unit)`` spike counts.

    Returns
    -------
    dict of str to numpy.ndarray
        ``mean_rate`` (spikes/s), ``fano_factor`` (variance over mean of each
        trial's spike count) and ``cv_counts`` (s.d. over mean of bin
        counts), each ``(unit,)``; NaN for a unit without spikes.
    """
    per_trial = counts.sum(1)  # (trial, unit)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_rate = counts.mean((0, 1)) * 1000.0 / dt
        fano = per_trial.var(0) / per_trial.mean(0)
        cv = counts.std((0, 1)) / counts.mean((0, 1))
    return {"mean_rate": mean_rate, "fano_factor": fano, "cv_counts": cv}


def statistics_agreement(
    generated: dict[str, np.ndarray], observed: dict[str, np.ndarray]
) -> dict[str, float]:
    """Pearson correlation across units of each statistic (NaN units dropped)."""
    result = {}
    for name, values in observed.items():
        other = generated[name]
        keep = np.isfinite(values) & np.isfinite(other)
        if keep.sum() < 3 or np.std(values[keep]) == 0 or np.std(other[keep]) == 0:
            result[name] = math.nan
            continue
        result[name] = float(np.corrcoef(values[keep], other[keep])[0, 1])
    return result
