"""Tutorial 4: scale a nonlinearity sweep to a Slurm cluster.

A sweep is the grid task × model family × P × seed × training-set size. It is
described by a TOML file, checked before anything trains, and run by
``alrnn sweep run``: AL-RNN cells that share a task and training-set size
train together as one population (one job), baselines one at a time.
``--launcher slurm`` submits one job per group as a Slurm job array through
submitit; ``--launcher submitit-local`` runs the very same jobs as local
subprocesses through submitit's local executor, which is how this script runs
here (no cluster needed). Every cell writes its own ``result.json``; a rerun
skips finished cells and resumes interrupted groups, so a cluster job that
was killed costs only its own group. ``alrnn sweep collect`` gathers the
cells into one xarray dataset.

Run ``python docs/tutorials/slurm_sweep.py [--small] [--out DIR]``; ``--small``
(or ``ALRNN_TUTORIAL_SMALL=1``) runs a tiny grid for a few steps.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from analysis import load_dataset

SWEEP_FILE = """\
# Score vs P on the explicit-rule, two-alternative StimulusSelection-v0.
name = "tutorial"
units = {units}
relu_units = {relu_units}
seeds = {seeds}
train_trials = [0]                  # 0: fresh trials every step
families = ["alrnn"]
eval_trials = 256

[[tasks]]
id = "StimulusSelection-v0"
label = "explicit_two_alternative"
params = {{ rule_cue = "explicit", response_mapping = "two_alternative" }}

[training]                          # any TrainConfig field
steps = {steps}
lr = 0.01
eval_every = {eval_every}
eval_trials = 128
device = "cpu"                      # "auto" picks the job's GPU on a cluster

[launcher]                          # overridden by --launcher on the command line
kind = "slurm"
partition = "gpu"
timeout_min = 60
gpus_per_job = 1
cpus_per_job = 4
array_parallelism = 16
"""

# What you would type on the cluster's login node; the file's [launcher]
# table already asks for Slurm, the flags here override it.
SLURM_COMMAND = (
    "alrnn sweep run {file} --out {out} --launcher slurm --partition gpu "
    "--timeout-min 60 --gpus-per-job 1 --array-parallelism 16"
)


def alrnn(*args: str) -> None:
    """Run the ``alrnn`` command line in a subprocess."""
    subprocess.run([sys.executable, "-m", "agents", *args], check=True)


def main(argv: list[str] | None = None) -> int:
    """Write a sweep file, run it through submitit's local executor, collect it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a tiny grid")
    parser.add_argument("--out", type=Path, default=Path("outputs/tutorials/slurm"))
    args = parser.parse_args(argv)
    small = args.small or os.environ.get("ALRNN_TUTORIAL_SMALL") == "1"
    grid = (
        dict(units=8, relu_units=[0, 2], seeds=[0], steps=20, eval_every=10)
        if small
        else dict(units=16, relu_units=[0, 1, 2, 4, 16], seeds=[0, 1], steps=600,
                  eval_every=50)
    )  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    sweep_file = args.out / "sweep.toml"
    sweep_file.write_text(SWEEP_FILE.format(**grid))
    sweep_dir = args.out / "sweep"

    # 1. On a cluster: one job per group as a Slurm job array.
    print("on a cluster:", SLURM_COMMAND.format(file=sweep_file, out=sweep_dir))

    # 2. Here: the same jobs through submitit's local executor.
    start = time.perf_counter()
    alrnn("sweep", "run", str(sweep_file), "--out", str(sweep_dir),
          "--launcher", "submitit-local")  # fmt: skip
    first_run = time.perf_counter() - start

    # 3. A rerun finds every cell finished and trains nothing.
    start = time.perf_counter()
    alrnn("sweep", "run", str(sweep_file), "--out", str(sweep_dir),
          "--launcher", "submitit-local")  # fmt: skip
    rerun = time.perf_counter() - start

    # 4. One dataset: dims task, model, seed, train_trials, metric.
    alrnn("sweep", "collect", str(sweep_dir))
    results = load_dataset(sweep_dir / "results.nc")
    accuracy = results["score"].sel(metric="accuracy").squeeze(drop=True)
    if "seed" in accuracy.dims:
        accuracy = accuracy.mean("seed")

    summary = {
        "models": [str(m) for m in results["model"].values],
        "accuracy": [float(a) for a in accuracy.values],
        "status": sorted({str(s) for s in results["status"].values.ravel()}),
        "submitit_jobs": len(list((sweep_dir / "submitit").glob("*_result.pkl"))),
        "first_run_s": round(first_run, 1),
        "rerun_s": round(rerun, 1),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
