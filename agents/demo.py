"""``make demo``: train a small AL-RNN on StimulusSelection-v0 on the CPU.

Trains an AL-RNN (M = 32 units, P = 4 of them ReLU) on the stimulus
selection task with the rule given as input, until it scores 98% on
held-out trials (well under a minute on two cores), evaluates it on fresh
trials, and writes

- the run directory (``config.json``, ``model.safetensors``,
  ``metrics.jsonl``, ``scores.json``, ``checkpoint/``), which
  ``alrnn evaluate`` and :func:`agents.load` read;
- ``trials.png``: four held-out trials, one per kind of sound mixture, with
  the network's action probabilities over the targets.

Run it again and it finds the finished run and only re-evaluates it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from agents.errors import AgentsError
from agents.evaluation import evaluate
from agents.models import ModelConfig
from agents.runs import load
from agents.train_config import TrainConfig
from agents.training import train

__all__ = ["main"]

TASK_PARAMS = {"rule_cue": "explicit"}
EVAL_SEED = 2**31 - 1  # held out: training seeds are derived from (seed, step)


def plot_choices(run_dir: Path, n_trials: int = 256) -> Path:
    """Draw four held-out trials with the trained network's outputs; return the PNG path."""
    from alrnn_tasks.plotting import plot_trials

    model, task = load(run_dir)
    batch = task.batch(n_trials, seed=EVAL_SEED)
    with torch.no_grad():
        outputs = model(batch.inputs)
    choice = task.outcomes(outputs, batch)["choice"]

    # one incongruent mixture per rule, one congruent mixture, one cue trial
    c = batch.conditions
    mixture = ~c["cue_trial"]
    wanted = [
        mixture & ~c["congruent"] & (c["rule"] == "localization"),
        mixture & ~c["congruent"] & (c["rule"] == "pitch"),
        mixture & c["congruent"],
        c["cue_trial"],
    ]
    trials = [int(np.flatnonzero(w)[0]) for w in wanted if w.any()]
    figure = plot_trials(batch, trials, outputs=outputs)
    actions = task.output_names
    labels = [
        f"{c['stim_name'][t]}: chose {actions[choice[t]]}, "
        f"correct {actions[c['correct_action'][t]]}"
        for t in trials
    ]
    figure.suptitle(
        "AL-RNN M=32 P=4 on held-out trials\n" + " | ".join(labels), fontsize=8
    )
    path = run_dir / "trials.png"
    figure.savefig(path, dpi=120, bbox_inches="tight")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """Train, evaluate and plot; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m agents.demo", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, default=Path("outputs/demo"), help="run directory"
    )
    parser.add_argument(
        "--steps", type=int, default=1500, help="maximum training steps"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of trials and weights"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)

    config = TrainConfig(
        task_id="StimulusSelection-v0",
        task_params=TASK_PARAMS,
        steps=args.steps,
        batch_size=64,
        lr=3e-3,
        eval_every=25,
        eval_trials=512,
        stop_at=0.98,
        seed=args.seed,
        device="cpu",
        log_every=25,
    )
    try:
        result = train(
            args.out, config, ModelConfig(units=32, relu_units=4, seed=args.seed)
        )
        model, task = load(args.out)
        scores = evaluate(model, task, 2048, seed=EVAL_SEED)
        figure = plot_choices(args.out)
    except AgentsError as error:
        print(f"demo: error: {error}", file=sys.stderr)
        return 2

    print(
        f"trained {model.config.name} on {task!r} for {result.step} steps "
        f"in {result.seconds:.1f} s"
    )
    print(f"held-out accuracy on 2048 trials: {scores['accuracy']:.3f}")
    for key in (
        "accuracy/congruent",
        "accuracy/incongruent",
        "accuracy/cue",
        "hit_rate/go",
        "hit_rate/nogo",
        "interference_rate",
    ):
        print(f"  {key:<24} {scores[key]:.3f}")
    print(f"run directory: {args.out} (`alrnn evaluate {args.out}` scores it again)")
    print(f"figure: {figure}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
