"""Tutorial 1: train an AL-RNN on StimulusSelection-v0, from the CLI and from Python.

StimulusSelection-v0 is the task of Rodgers & DeWeese (2014): a mixture of a
white-noise burst (left or right) and a warble (high or low) arrives, and a
rule says which of the two to act on. With ``rule_cue="explicit"`` the rule is
shown on two input channels in every trial, so single trials suffice; with the
two-alternative response mapping the incongruent mixtures need an interaction
of rule and stimulus that no linear network computes (Brenner & Koppe 2026).

Run ``python docs/tutorials/train_stimulus_selection.py [--small] [--out DIR]``;
``--small`` (or ``ALRNN_TUTORIAL_SMALL=1``) trains for a few steps only, as the
test suite does. Writes ``DIR/cli_run``, ``DIR/python_run``, a trial figure
and ``DIR/summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import agents
from agents import ModelConfig, TrainConfig
from alrnn_tasks.plotting import plot_trials
from analysis import record

TASK_PARAMS = {"rule_cue": "explicit", "response_mapping": "two_alternative"}


def train_from_the_cli(out: Path, steps: int) -> float:
    """Train with ``alrnn train`` in a subprocess; return its last held-out accuracy."""
    command = [
        sys.executable, "-m", "agents", "train", "StimulusSelection-v0",
        "--task-param", "rule_cue=explicit",
        "--task-param", "response_mapping=two_alternative",
        "--units", "16", "--relu-units", "4",
        "--steps", str(steps), "--lr", "0.01",
        "--eval-every", "20", "--eval-trials", "128",
        "--stop-at", "0.95", "--device", "cpu",
        "--out", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    # Every evaluation is a line of metrics.jsonl; the last one is the final score.
    lines = (out / "metrics.jsonl").read_text().splitlines()
    evaluations = [json.loads(line) for line in lines if '"eval"' in line]
    return evaluations[-1]["eval"]["accuracy"]


def train_from_python(out: Path, steps: int) -> agents.TrainResult:
    """Train the same kind of model with :func:`agents.train`."""
    config = TrainConfig(
        task_id="StimulusSelection-v0",
        task_params=TASK_PARAMS,
        steps=steps,
        lr=1e-2,
        eval_every=20,
        eval_trials=128,
        stop_at=0.95,
        device="cpu",
        seed=0,
    )
    model = ModelConfig(units=16, relu_units=4, seed=0)
    return agents.train(out, config, model, progress=False)


def main(argv: list[str] | None = None) -> int:
    """Train from the CLI and from Python, then look at the trained network."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a few steps only")
    parser.add_argument("--out", type=Path, default=Path("outputs/tutorials/train"))
    args = parser.parse_args(argv)
    small = args.small or os.environ.get("ALRNN_TUTORIAL_SMALL") == "1"
    steps = 30 if small else 400
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. The command line: the run directory holds config.json, safetensors
    #    weights, checkpoints and metrics.jsonl; rerunning resumes.
    cli_accuracy = train_from_the_cli(args.out / "cli_run", steps)

    # 2. The same from Python; agents.load reads any run directory back.
    result = train_from_python(args.out / "python_run", steps)
    model, task = agents.load(result.model_dirs[0])

    # 3. The trained network on fresh trials: outputs over targets, and its
    #    unit activity as an xarray dataset with every trial condition.
    batch = task.batch(4, seed=123)
    outputs = model(batch.inputs).detach()
    figure = plot_trials(batch, outputs=outputs)
    figure.savefig(args.out / "trials.png", dpi=80)
    activity = record(model, task, 64, seed=123)

    summary = {
        "steps": result.step,
        "accuracy_python": result.scores[0]["accuracy"],
        "accuracy_cli": cli_accuracy,
        "activity_dims": dict(activity.sizes),
        "conditions": sorted(
            name for name in activity.coords if activity[name].dims == ("trial",)
        ),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
