"""Comparison and recording throughput.

1. ``analysis.record`` of an AL-RNN with 200 units on 2,000 trials of
   StimulusSelection-v0 (dt 10 ms, about 100 steps per trial), in trials per
   second, against running the same model one trial at a time.
2. ``analysis.from_spike_times``: binning the spike times of 300 units over
   the 2,000 trials into 100 bins.
3. ``analysis.compare`` of the 200 model units with the 300 recorded units
   (2,000 trials x 100 bins each), every installed metric, without and with
   the shuffle null.

Every number is measured in the same run. Run with
``python benchmarks/compare.py`` (``--quick`` for a smaller run).
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from agents import ALRNN, ModelConfig
from alrnn_tasks import get_task
from analysis import compare, from_spike_times, record

CONDITIONS = ["rule", "noise_side", "pitch"]


def timed(run):
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


def record_throughput(model, task, n_trials: int, n_single: int) -> tuple:
    record(model, task, 8, seed=0)  # warm-up
    ds, seconds = timed(lambda: record(model, task, n_trials, seed=1))
    batch = task.batch(n_single, seed=2)

    def one_at_a_time():
        with torch.no_grad():
            for index in range(n_single):
                model(batch.inputs[index : index + 1], return_states=True)

    _, single_seconds = timed(one_at_a_time)
    return ds, n_trials / seconds, n_single / single_seconds


def poisson_spikes(ds, n_units: int, rng) -> tuple[list, dict]:
    """Spike times (s) of ``n_units`` driven by a random projection of the states."""
    z = np.nan_to_num(ds["states"].values)
    x = z @ rng.normal(size=(z.shape[-1], n_units)) / np.sqrt(z.shape[-1])
    flat = x.reshape(-1, n_units)
    x = (x - flat.mean(0)) / (flat.std(0) + 1e-9)
    dt = ds.attrs["dt"]
    counts = rng.poisson(10.0 * np.exp(0.5 * x) * dt / 1000)
    counts[ds["period"].values < 0] = 0
    trial_start = np.arange(ds.sizes["trial"]) * 2000.0  # ms
    spikes = []
    for unit in range(n_units):
        trial, step = np.nonzero(counts[..., unit])
        repeat = counts[trial, step, unit]
        trial, step = np.repeat(trial, repeat), np.repeat(step, repeat)
        times = trial_start[trial] + (step + rng.uniform(size=step.size)) * dt
        spikes.append(times / 1000)
    table = {name: ds[name].values for name in CONDITIONS}
    table["stim_onset"] = (trial_start + ds["stim_onset"].values) / 1000
    return spikes, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x fewer trials")
    parser.add_argument("--shuffles", type=int, default=100, help="null size")
    args = parser.parse_args()
    n_trials = 200 if args.quick else 2000
    torch.set_num_threads(max(1, torch.get_num_threads()))
    print(
        f"{platform.processor() or platform.machine()}, torch threads "
        f"{torch.get_num_threads()}"
    )

    task = get_task("StimulusSelection-v0", rule_cue="explicit", dt=10.0)
    model = ALRNN(ModelConfig(units=200, relu_units=20), 7, 3)
    ds, batched, single = record_throughput(model, task, n_trials, 100)
    print(
        f"record: {ds.sizes['trial']} trials x {ds.sizes['time']} steps x "
        f"{ds.sizes['unit']} units: {batched:,.0f} trials/s batched, "
        f"{single:,.0f} trials/s one at a time ({batched / single:.0f}x)"
    )

    spikes, table = poisson_spikes(ds, 300, np.random.default_rng(0))
    n_spikes = sum(s.size for s in spikes)
    recording, seconds = timed(
        lambda: from_spike_times(
            spikes,
            table,
            align_to="stim_onset",
            window=(-300.0, 700.0),
            bin_size=10.0,
        )
    )
    print(
        f"from_spike_times: {n_spikes:,} spikes of 300 units into "
        f"{recording.sizes['trial']} trials x {recording.sizes['time']} bins: "
        f"{seconds:.2f} s"
    )

    for n_shuffles in (0, args.shuffles):
        result, seconds = timed(
            lambda n=n_shuffles: compare(
                ds, recording, conditions=CONDITIONS, metric="all", n_shuffles=n
            )
        )
        print(
            f"compare, all metrics ({', '.join(result['metric'].values)}), "
            f"{result.attrs['n_conditions']} conditions x {result.attrs['n_bins']} "
            f"bins, {n_shuffles} shuffles: {seconds:.2f} s"
        )
    for metric in result["metric"].values:
        one = result.sel(metric=metric)
        print(
            f"  {metric:<13} {float(one['score']):7.3f}  null "
            f"{float(one['null_mean']):7.3f} ± {float(one['null_std']):.3f}  "
            f"p {float(one['p_value']):.3f}"
        )


if __name__ == "__main__":
    main()
