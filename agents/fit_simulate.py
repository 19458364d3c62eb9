"""Simulated recordings from a known AL-RNN, to check that :func:`agents.fit` recovers it.

:func:`simulate_recording` draws StimulusSelection-v0 trials, rebuilds their
inputs on a recording's bins with the task's encoder, runs a ground-truth
AL-RNN from a per-trial initial state (a rule-dependent offset, as if the
rule were held in persistent activity across trials, plus trial-to-trial
noise) and draws Poisson spike counts from its readout. The result is in the
recording schema of :mod:`analysis.recordings`, aligned to ``stim_onset``,
with event times in seconds like a real session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import xarray as xr

from agents.alrnn import ALRNN
from agents.observation import Observation
from alrnn_tasks import Task

__all__ = ["GroundTruth", "simulate_recording"]

TRIAL_SPACING = 3.0  # s between trial starts in the simulated session


@dataclass(frozen=True)
class GroundTruth:
    """The hidden side of a simulated recording.

    Parameters
    ----------
    expected
        ``(trial, time, unit)`` expected spike counts per bin.
    states
        ``(trial, time, M)`` ground-truth latent states.
    initial
        ``(trial, M)`` initial states.
    """

    expected: np.ndarray
    states: np.ndarray
    initial: np.ndarray


def simulate_recording(
    model: ALRNN,
    task: Task,
    n_trials: int,
    *,
    seed: int = 0,
    window: tuple[float, float] = (-200.0, 600.0),
    bin_size: float = 20.0,
    initial_sd: float = 1.0,
    rule_offset: float = 1.0,
    link: str = "softplus",
) -> tuple[xr.Dataset, GroundTruth]:
    """Simulate a recording of ``model``'s readout units on ``task``'s trials.

    Parameters
    ----------
    model
        Ground-truth AL-RNN; its outputs are the units' readouts.
    task
        A task with ``encode_inputs`` (StimulusSelection-v0).
    n_trials
        Consecutive trials of one session.
    seed
        Seed of the trials, initial states and spikes.
    window
        ``(start, stop)`` ms around ``stim_onset``.
    bin_size
        Bin width in ms.
    initial_sd
        S.d. of the trial-to-trial noise of the initial state.
    rule_offset
        Size of the rule-dependent part of the initial state.
    link
        Poisson link (``softplus`` or ``exp``).

    Returns
    -------
    (xarray.Dataset, GroundTruth)
        The recording and what generated it.
    """
    batch = task.batch(n_trials, seed=seed)
    conditions = {k: np.asarray(v) for k, v in batch.conditions.items()}
    n_bins = round((window[1] - window[0]) / bin_size)
    starts = window[0] + bin_size * np.arange(n_bins)  # bin starts, ms from stim onset
    times = conditions["stim_onset"][:, None] + starts[None, :]
    inputs = torch.from_numpy(task.encode_inputs(conditions, times))

    rng = np.random.default_rng([seed, 3])
    units = model.config.units
    direction = rng.standard_normal(units) / np.sqrt(units)
    sign = np.where(conditions["rule"] == "localization", 1.0, -1.0)
    initial = rule_offset * sign[:, None] * direction * np.sqrt(units)
    initial = initial + initial_sd * rng.standard_normal((n_trials, units))
    initial = torch.as_tensor(initial, dtype=torch.float32)
    with torch.no_grad():
        readout, states = model(inputs, initial, return_states=True)
    expected = Observation("poisson", link).mean(readout).numpy()
    counts = rng.poisson(expected).astype(np.int32)

    dataset = _dataset(counts, conditions, starts + bin_size / 2, bin_size, window)
    truth = GroundTruth(expected, states.numpy(), initial.numpy())
    return dataset, truth


def _dataset(
    counts: np.ndarray,
    conditions: dict[str, np.ndarray],
    centres: np.ndarray,
    bin_size: float,
    window: tuple[float, float],
) -> xr.Dataset:
    n_trials, _, n_units = counts.shape
    cpoke_start = 1.0 + TRIAL_SPACING * np.arange(n_trials)  # s
    events = {
        "cpoke_start": cpoke_start,
        "stim_onset": cpoke_start + conditions["stim_onset"] / 1000.0,
        "response_onset": cpoke_start + conditions["response_onset"] / 1000.0,
    }
    kept = ("rule", "block", "stim_name", "noise_side", "pitch", "go", "cue_trial")
    coords = {
        "trial": np.arange(n_trials),
        "time": ("time", centres, {"units": "ms"}),
        "unit": np.array([f"u{i:03d}" for i in range(n_units)]),
        **{name: ("trial", conditions[name]) for name in kept},
        **{name: ("trial", values) for name, values in events.items()},
    }
    rates = counts.astype(np.float32) * np.float32(1000.0 / bin_size)
    return xr.Dataset(
        {
            "spikes": (("trial", "time", "unit"), counts),
            "rates": (("trial", "time", "unit"), rates, {"units": "spikes/s"}),
        },
        coords=coords,
        attrs={
            "source": "recording",
            "activity": "rates",
            "align_to": "stim_onset",
            "bin_size": float(bin_size),
            "dt": float(bin_size),
            "window": np.asarray(window, dtype=float),
            "smooth": 0.0,
        },
    )
