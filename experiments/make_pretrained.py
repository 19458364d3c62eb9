"""Write the pretrained models shipped in ``agents/pretrained/`` from the sweeps.

For each entry of ``SHIPPED`` (a sweep, a task label, a P) this takes the
seed whose final held-out accuracy in the sweep was best, measures its score
again on fresh trials of a separate seed (``CARD_SEED``) and writes the
weights and a model card. Nothing in a card is typed by hand.

Run the experiment sweeps first (``experiments/run_all.sh``), then::

    python experiments/make_pretrained.py [--sweeps outputs/experiments]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from agents import evaluate, load
from agents.checkpoint import atomic_write_json, read_json, save_tensors
from agents.model_zoo import CARD_FORMAT, pretrained_dir
from agents.sweep import read_sweep
from alrnn_tasks import __version__

# (sweep name, task label, P)
SHIPPED = [
    ("stimulus_selection_explicit", "explicit_two_alternative", 0),
    ("stimulus_selection_explicit", "explicit_two_alternative", 2),
    ("stimulus_selection_explicit", "explicit_two_alternative", 16),
    ("stimulus_selection_explicit", "explicit_go_nogo", 0),
    ("stimulus_selection_explicit", "explicit_go_nogo", 2),
    ("stimulus_selection_explicit", "explicit_go_nogo", 16),
    ("stimulus_selection_implicit", "implicit_go_nogo", 2),
    ("stimulus_selection_implicit", "implicit_go_nogo", 16),
    ("multitask", "multitask", 8),
    ("multitask", "multitask", 32),
]
CARD_SEED = 20_260_001  # held-out trials of the card's score (not the sweep's)
CARD_TRIALS = 2048
TEST_TRIALS = 512  # trials the package test scores each model on (another seed)


def _tolerance(accuracy: float, session_based: bool) -> float:
    """Accuracy a fresh TEST_TRIALS measurement may fall below the card's.

    Three standard errors of the difference of two binomial estimates, at
    least 0.03; doubled for session tasks, whose trials within a session are
    correlated (fewer independent samples than trials).
    """
    variance = accuracy * (1 - accuracy) * (1 / TEST_TRIALS + 1 / CARD_TRIALS)
    tolerance = max(0.03, 3 * math.sqrt(variance))
    tolerance *= 2 if session_based else 1
    return math.ceil(tolerance * 100) / 100


def _best_cell(sweep_dir: Path, label: str, relu_units: int) -> dict:
    results = [
        read_json(path)
        for path in (sweep_dir / "cells").glob(
            f"{label}__alrnn_P{relu_units}__*/result.json"
        )
    ]
    done = [r for r in results if r["status"] == "done"]
    if not done:
        raise SystemExit(
            f"{sweep_dir}: no finished cell {label} P={relu_units}; run the sweep"
        )
    return max(done, key=lambda r: r["scores"]["accuracy"])


def make_card(sweep_root: Path, sweep_name: str, label: str, relu_units: int) -> str:
    """Write one model's weights and card; return its name."""
    sweep_dir = sweep_root / sweep_name
    config = read_sweep(sweep_dir)
    result = _best_cell(sweep_dir, label, relu_units)
    cell_dir = sweep_dir / "cells" / result["cell"]
    model, task = load(cell_dir)
    scores = evaluate(model, task, CARD_TRIALS, seed=CARD_SEED)
    prefix = "stimulus_selection_" if sweep_name.startswith("stimulus") else ""
    name = f"{prefix}{label}_P{relu_units}"
    run = read_json(cell_dir / "config.json")
    training = run["training"]
    trials_per_step = training["batch_size"] * (
        training["chunk_trials"] if task.session_based else 1
    )
    card = {
        "format": CARD_FORMAT,
        "name": name,
        "task_id": task.task_id,
        "task_params": run["task_params"],
        "n_inputs": run["n_inputs"],
        "n_outputs": run["n_outputs"],
        "model": run["models"][0],
        "training": {
            "sweep_file": f"experiments/{sweep_name}.toml",
            "cell": result["cell"],
            "command": f"alrnn sweep run experiments/{sweep_name}.toml "
            f"--out outputs/experiments/{sweep_name} && "
            "python experiments/make_pretrained.py",
            "settings": training,
            "steps": result["steps"],
            "trials_seen": result["steps"] * trials_per_step,
            "data": "fresh trials every step (seed "
            f"{training['seed']}), chosen as the best of seeds {list(config.seeds)} "
            "by the sweep's final held-out accuracy",
        },
        "score": {
            "seed": CARD_SEED,
            "trials": CARD_TRIALS,
            "scores": {k: (v if math.isfinite(v) else None) for k, v in scores.items()},
        },
        "test": {
            "trials": TEST_TRIALS,
            "tolerance": _tolerance(scores["accuracy"], task.session_based),
        },
        "regions_used": result.get("regions_used"),
        "real_fixed_points": result.get("real_fixed_points"),
        "package_version": __version__,
    }
    folder = pretrained_dir()
    save_tensors(folder / f"{name}.safetensors", model.state_dict())
    atomic_write_json(folder / f"{name}.json", card)
    return name


def main() -> None:
    """Write every model of ``SHIPPED``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweeps", type=Path, default=Path("outputs/experiments"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    for sweep_name, label, relu_units in SHIPPED:
        name = make_card(args.sweeps, sweep_name, label, relu_units)
        card = read_json(pretrained_dir() / f"{name}.json")
        accuracy = card["score"]["scores"]["accuracy"]
        print(f"{name}: accuracy {accuracy:.3f} on {CARD_TRIALS} fresh trials")


if __name__ == "__main__":
    main()
