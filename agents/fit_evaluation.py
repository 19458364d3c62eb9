"""Held-out evaluation of fitted AL-RNNs (:func:`evaluate_fit`, ``alrnn evaluate``).

Every model runs freely (α = 0) on the test trials from the initial state its
encoder infers from each trial's first bins, driven by the rebuilt inputs;
its expected activity is scored against the data with the metrics of
:mod:`agents.fit_metrics`. Poisson fits report bits per spike over the PSTH
baseline, co-smoothing bits per spike, PSTH R² per unit and the spike
statistics of activity sampled from the model; Gaussian fits report the
variance explained relative to the PSTH instead of bits per spike.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.checkpoint import WEIGHTS_FILE, load_tensors
from agents.errors import CheckpointError
from agents.fit_config import FitConfig
from agents.fit_metrics import (
    bits_per_spike,
    condition_keys,
    poisson_log_likelihood,
    psth_prediction,
    psth_r2,
    spike_statistics,
    statistics_agreement,
)
from agents.fit_model import FitModule
from agents.models import config_from_dict
from agents.runs import read_run_config

__all__ = ["evaluate_fit", "evaluate_fitter"]

PSTH_CONDITIONS = ("stim_name", "rule", "noise_side", "pitch")
RIDGE = 1e-2  # ridge penalty (relative to bins) of the co-smoothing latent decoder


def evaluate_fitter(fitter: Any) -> list[dict[str, Any]]:
    """Evaluate the best models of a finished :class:`agents.fitting._Fitter`."""
    module = FitModule(
        fitter.configs,
        fitter.task.n_inputs,
        len(fitter.data.unit_names),
        len(fitter.data.label_names),
        fitter.config.init_bins,
    ).to(fitter.device)
    module.load_state_dict(fitter.best_state)
    return evaluate_module(module, fitter)


def evaluate_fit(
    run_dir: str | Path, recording: Any = None, *, device: str = "cpu"
) -> dict[str, dict[str, Any]]:
    """Evaluate a fitted run (single model or population) on its test trials.

    Parameters
    ----------
    run_dir
        A run directory written by :func:`agents.fit`.
    recording
        The recording it was fitted to; by default the path stored in the run.
    device
        Where to run the models.

    Returns
    -------
    dict
        Metrics per model name.
    """
    from agents.fitting import _Fitter  # the fitter rebuilds data exactly as fitted

    run_dir = Path(run_dir)
    description = read_run_config(run_dir)
    if "fit" not in description:
        raise CheckpointError(
            f"{run_dir} is not a fitted run (no 'fit' in config.json)"
        )
    recording = recording or description["fit"].get("recording")
    if recording is None:
        raise CheckpointError(
            f"{run_dir} was fitted to an in-memory dataset; pass the recording"
        )
    training = {**description["training"], "device": device}
    config = FitConfig(**training)
    configs = [config_from_dict(c) for c in description["models"]]
    fitter = _Fitter.__new__(_Fitter)
    fitter.setup(recording, config, configs)
    members = _member_dirs(run_dir, len(configs))
    state = fitter.module.state_dict()
    for k, member in enumerate(members):
        weights = load_tensors(member / WEIGHTS_FILE)
        extras = load_tensors(member / "fit.safetensors")
        for name, value in weights.items():
            state[f"population.{name}"][k] = value
        for name, value in extras.items():
            state[name][k] = value
    fitter.module.load_state_dict(state)
    results = evaluate_module(fitter.module, fitter)
    return {c.name: r for c, r in zip(configs, results, strict=True)}


def _member_dirs(run_dir: Path, n_models: int) -> list[Path]:
    if n_models == 1:
        return [run_dir]
    members = sorted(p for p in (run_dir / "models").glob("*") if p.is_dir())
    if len(members) != n_models:
        raise CheckpointError(
            f"{run_dir} lists {n_models} models but has {len(members)}"
        )
    return members


@torch.no_grad()
def evaluate_module(module: FitModule, fitter: Any) -> list[dict[str, Any]]:
    """Metrics of every model of ``module`` on the fitter's test trials."""
    data, parts, config = fitter.data, fitter.parts, fitter.config
    test, train = parts["test"], parts["train"]
    batch = fitter.batch(test)
    _, initial = module.encode(batch["features"])
    readout = module.readout(module.free_run(batch["inputs"], initial))
    expected = (
        fitter.observation.mean(readout).cpu().numpy()
    )  # (model, trial, time, unit)

    names = [n for n in PSTH_CONDITIONS if n in data.conditions][:1] or [
        n for n in ("rule", "noise_side", "pitch") if n in data.conditions
    ]
    keys = condition_keys(data.conditions, names)
    observed = data.data[test]
    baseline = psth_prediction(data.data[train], keys[train], keys[test])
    cosmooth = _cosmoothing(module, fitter)
    results = []
    for k in range(len(module)):
        result = {"psth_conditions": names, "test_trials": len(test)}
        result.update(_likelihood_metrics(observed, expected[k], baseline, config))
        r2 = psth_r2(observed, expected[k], keys[test])
        result["psth_r2"] = r2.tolist()
        result["psth_r2_median"] = float(np.median(r2))
        result["cosmoothing_bits_per_spike"] = cosmooth[k]
        if config.observation == "poisson":
            result.update(_generated_statistics(readout[k], observed, fitter, k))
        results.append(result)
    return results


def _likelihood_metrics(
    observed: np.ndarray, expected: np.ndarray, baseline: np.ndarray, config: FitConfig
) -> dict[str, float]:
    if config.observation == "gaussian":
        residual = float(((observed - expected) ** 2).sum())
        psth_residual = float(((observed - baseline) ** 2).sum())
        return {"r2_over_psth": 1.0 - residual / max(psth_residual, 1e-12)}
    return {
        "bits_per_spike": bits_per_spike(observed, expected, baseline),
        "log_likelihood": poisson_log_likelihood(observed, expected),
        "psth_log_likelihood": poisson_log_likelihood(observed, baseline),
        "spikes": float(observed.sum()),
    }


def _generated_statistics(
    readout: torch.Tensor, observed: np.ndarray, fitter: Any, k: int
) -> dict[str, Any]:
    generator = torch.Generator().manual_seed(fitter.config.seed + 31 * k)
    scale = fitter.tensors["scale"].cpu()
    sampled = fitter.observation.sample(readout.cpu(), scale, generator).numpy()
    generated = spike_statistics(sampled, fitter.data.dt)
    recorded = spike_statistics(observed, fitter.data.dt)
    agreement = statistics_agreement(generated, recorded)
    return {
        **{f"r_{name}": value for name, value in agreement.items()},
        "generated": {n: v.tolist() for n, v in generated.items()},
        "recorded": {n: v.tolist() for n, v in recorded.items()},
    }


def _cosmoothing(module: FitModule, fitter: Any) -> list[float]:
    """Co-smoothing bits/spike per model (NaN for Gaussian fits or < 4 units).

    A ridge decoder from held-in features to the encoder's latents is fitted
    on training trials; on test trials it infers latents from held-in units
    alone, and the readout predicts the held-out units, scored against each
    held-out unit's mean rate (the Neural Latents Benchmark's null).
    """
    data, parts, config = fitter.data, fitter.parts, fitter.config
    n_units = len(data.unit_names)
    if config.observation != "poisson" or n_units < 4:
        return [math.nan] * len(module)
    rng = np.random.default_rng([config.seed, 11])
    n_out = max(1, round(config.cosmooth_fraction * n_units))
    held_out = np.sort(rng.choice(n_units, n_out, replace=False))
    held_in = np.setdiff1d(np.arange(n_units), held_out)

    train, test = fitter.batch(parts["train"]), fitter.batch(parts["test"])
    latents, _ = module.encode(train["features"])  # (model, trial, time, M)
    inputs = _with_bias(train["features"][..., held_in])
    gram = inputs.T @ inputs + RIDGE * inputs.shape[0] * torch.eye(
        inputs.shape[1], device=inputs.device
    )
    targets = latents.flatten(1, 2)  # (model, trial * time, M)
    decoder = torch.linalg.solve(gram, inputs.T @ targets)  # (model, in + 1, M)
    test_inputs = _with_bias(test["features"][..., held_in])
    inferred = (test_inputs @ decoder).view(
        len(module), *test["features"].shape[:2], -1
    )
    expected = fitter.observation.mean(module.readout(inferred))[..., held_out]
    observed = data.data[parts["test"]][..., held_out]
    null = np.broadcast_to(observed.mean((0, 1)), observed.shape)
    return [
        bits_per_spike(observed, expected[k].cpu().numpy(), null)
        for k in range(len(module))
    ]


def _with_bias(features: torch.Tensor) -> torch.Tensor:
    flat = features.reshape(-1, features.shape[-1])
    return torch.cat([flat, torch.ones(len(flat), 1, device=flat.device)], 1)
