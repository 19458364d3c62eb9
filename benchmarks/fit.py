"""Benchmark of fitting an AL-RNN to a recording (``agents.fit``) on CPU.

A session of 100 units x 500 trials x 60 bins (20 ms) is simulated from a
known AL-RNN (M=8, P=2) driven by StimulusSelection-v0 inputs with Poisson
spiking (:func:`agents.fit_simulate.simulate_recording`); an AL-RNN with the
same M and P is fitted until it stops early (or ``--steps``). Reports the
wall time to the end of fitting (held-out evaluation included), the steps
taken, the held-out bits per spike over the PSTH baseline, and the ground
truth's own bits per spike on the same test trials. Goal: under 10 minutes
on 2 CPU cores.

Usage: ``python benchmarks/fit.py [--threads 2] [--steps 1500]``. Prints a
Markdown table row for ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from agents import FitConfig, ModelConfig, fit
from agents.alrnn import ALRNN
from agents.fit_metrics import poisson_log_likelihood
from agents.fit_simulate import simulate_recording
from alrnn_tasks import get_task

UNITS, TRIALS, BIN_SIZE = 100, 500, 20.0
WINDOW = (-300.0, 900.0)  # 60 bins of 20 ms around the stimulus onset


def ground_truth(n_inputs: int) -> ALRNN:
    """Return a known AL-RNN with strong inputs and a readout to ``UNITS`` units."""
    config = ModelConfig(units=8, relu_units=2, seed=1, a_init=0.85, w_init_gain=0.2)
    model = ALRNN(config, n_inputs, UNITS)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        model.C.mul_(3.0)
        model.B.copy_(torch.randn(UNITS, 8, generator=generator) * 0.4)
        model.b.fill_(-1.0)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--steps", type=int, default=1500, help="maximum steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    task = get_task("StimulusSelection-v0", sigma=0.0)
    ds, truth = simulate_recording(
        ground_truth(task.n_inputs), task, TRIALS, window=WINDOW, bin_size=BIN_SIZE
    )
    config = FitConfig(steps=args.steps, batch_size=64, init_bins=6, device="cpu")
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        result = fit(
            ds, Path(scratch) / "run", config, ModelConfig(units=8, relu_units=2)
        )
        seconds = time.perf_counter() - start
        description = json.loads((result.run_dir / "config.json").read_text())
    evaluation = result.evaluation[0]
    test = np.asarray(description["fit"]["split"]["test"])
    counts = ds["spikes"].values[test].astype(float)
    truth_bits = (
        poisson_log_likelihood(counts, truth.expected[test])
        - evaluation["psth_log_likelihood"]
    ) / (counts.sum() * np.log(2.0))

    print(
        f"machine: {platform.processor() or platform.machine()}, {args.threads} threads"
    )
    print(
        f"data: {UNITS} units x {TRIALS} trials x {ds.sizes['time']} bins, "
        f"{float(ds['spikes'].mean()):.2f} spikes per bin"
    )
    print(
        "| fit | wall time (s) | steps | stopped early | bits/spike (fit) | "
        "bits/spike (ground truth) | co-smoothing bits/spike | r mean rate |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(
        f"| M=8 P=2 | {seconds:.0f} | {result.step} | {result.stopped[0]} | "
        f"{evaluation['bits_per_spike']:.3f} | {truth_bits:.3f} | "
        f"{evaluation['cosmoothing_bits_per_spike']:.3f} | "
        f"{evaluation['r_mean_rate']:.3f} |"
    )


if __name__ == "__main__":
    main()
