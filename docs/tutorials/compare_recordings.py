"""Tutorial 3: compare model units with recordings, and rank models.

Recordings enter the package's activity schema from an NWB file (units and
trials tables, :func:`analysis.from_nwb`) or from spike times plus a trial
table (:func:`analysis.from_spike_times`): binned around an event, with every
trial-table column as a trial coordinate. A session of the CRCNS pfc-1 data
set (Rodgers & DeWeese 2014) has the columns ``block`` and ``stim_name``, from
which the StimulusSelection-v0 conditions follow. Model activity from
:func:`analysis.record` has the same layout, so :func:`analysis.rank_models`
can align both on shared conditions and time bins and score each model with
Procrustes shape distance, CCA, linear CKA, RSA and cross-validated linear
predictivity, against condition-shuffle nulls.

No recording ships with the package, so this script makes one: spikes drawn
from the units of a shipped pretrained AL-RNN (P = 2) through a random mixing,
an exponential link and Poisson spiking, written once as an NWB file and once
as spike times and a trial table. The ranking then says which of the shipped
models (P = 0, 2, 16) is most like the "animal". Use your own session by
replacing :func:`simulated_session`.

Run ``python docs/tutorials/compare_recordings.py [--small] [--out DIR]``;
``--small`` (or ``ALRNN_TUTORIAL_SMALL=1``) uses fewer trials and shuffles.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

import numpy as np

import agents
from analysis import (
    format_table,
    from_nwb,
    from_spike_times,
    rank_models,
    record,
)
from analysis.recordings_pfc1 import stimulus_selection_conditions

FAMILY = "stimulus_selection_explicit_two_alternative"
CONDITIONS = ["rule", "noise_side", "pitch"]
WINDOW = (-200.0, 600.0)  # ms around the sound onset
BIN_SIZE = 40.0  # ms


def simulated_session(
    activity, rng: np.random.Generator, n_units: int = 40
) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Spike times (s) of ``n_units`` units and a pfc-1-like trial table.

    The units are random mixtures of the model's units through an exponential
    link (about 20 spikes/s on average); trials start every 2 s.
    """
    states = np.nan_to_num(activity["states"].values)  # (trial, time, unit)
    mixing = rng.normal(size=(states.shape[-1], n_units))
    drive = states @ mixing
    flat = drive.reshape(-1, n_units)
    drive = (drive - flat.mean(0)) / flat.std(0)
    dt = activity.attrs["dt"]  # ms
    counts = rng.poisson(20.0 * np.exp(0.5 * drive) * dt / 1000)
    counts[activity["period"].values < 0] = 0  # no spikes on padding

    trial_start = np.arange(activity.sizes["trial"]) * 2000.0  # ms
    spike_times = []
    for unit in range(n_units):
        trial, step = np.nonzero(counts[..., unit])
        repeats = counts[trial, step, unit]
        trial, step = np.repeat(trial, repeats), np.repeat(step, repeats)
        jitter = rng.uniform(size=step.size)
        spike_times.append(np.sort(trial_start[trial] + (step + jitter) * dt) / 1000)

    table = {
        "start_time": trial_start / 1000,
        "stop_time": (trial_start + 1900.0) / 1000,
        "stim_onset": (trial_start + activity["stim_onset"].values) / 1000,
        "block": activity["block"].values.astype(int),
        "stim_name": activity["stim_name"].values.astype(str),
    }
    return spike_times, table


def write_nwb(path: Path, spike_times, table) -> Path:
    """Write the session as an NWB file with a units and a trials table."""
    from pynwb import NWBHDF5IO, NWBFile

    nwbfile = NWBFile(
        session_description="spikes simulated from a pretrained AL-RNN",
        identifier="alrnn-tutorial-session",
        session_start_time=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    nwbfile.add_trial_column("stim_onset", "sound onset (s)")
    nwbfile.add_trial_column("block", "block of the 160-trial cycle, 1-4")
    nwbfile.add_trial_column("stim_name", "pfc-1 stimulus name")
    for row in range(len(table["start_time"])):
        nwbfile.add_trial(**{name: column[row] for name, column in table.items()})
    for times in spike_times:
        nwbfile.add_unit(spike_times=times)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def main(argv: list[str] | None = None) -> int:
    """Simulate a session, load it both ways and rank the shipped models."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="fewer trials")
    parser.add_argument("--out", type=Path, default=Path("outputs/tutorials/compare"))
    args = parser.parse_args(argv)
    small = args.small or os.environ.get("ALRNN_TUTORIAL_SMALL") == "1"
    n_trials, n_shuffles = (160, 10) if small else (640, 100)
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. The "animal": a P = 2 network, recorded on its own trials.
    animal, task = agents.pretrained(f"{FAMILY}_P2")
    spike_times, table = simulated_session(
        record(animal, task, n_trials, seed=7), np.random.default_rng(0)
    )
    nwb_path = write_nwb(args.out / "session.nwb", spike_times, table)

    # 2. Load the recording both ways. The pfc-1 columns block and stim_name
    #    give the task's rule, noise side and pitch (load_pfc1_session does
    #    this for a pfc-1 session directory).
    binning = dict(align_to="stim_onset", window=WINDOW, bin_size=BIN_SIZE)
    from_file = from_nwb(nwb_path, **binning)
    from_table = from_spike_times(spike_times, table, **binning)
    derived = stimulus_selection_conditions(from_file["block"], from_file["stim_name"])
    from_file = from_file.assign_coords(
        {name: ("trial", values) for name, values in derived.items()}
    )
    same_counts = bool(
        np.array_equal(from_file["spikes"].values, from_table["spikes"].values)
    )

    # 3. Record every candidate model on other trials and rank them.
    candidates = {}
    for relu_units in (0, 2, 16):
        model, task = agents.pretrained(f"{FAMILY}_P{relu_units}")
        candidates[f"P{relu_units}"] = record(model, task, n_trials, seed=11)
    ranking = rank_models(
        candidates, from_file, conditions=CONDITIONS, n_shuffles=n_shuffles
    )
    table_text = format_table(ranking)
    (args.out / "ranking.txt").write_text(table_text + "\n")
    print(table_text)

    ranks = ranking["rank"].to_pandas()  # (model, metric)
    summary = {
        "units": int(from_file.sizes["unit"]),
        "trials": int(from_file.sizes["trial"]),
        "nwb_matches_spike_times": same_counts,
        "rank": {m: ranks[m].to_dict() for m in ranks.columns},
        "best_model_by_metric": {m: str(ranks[m].idxmin()) for m in ranks.columns},
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary["best_model_by_metric"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
