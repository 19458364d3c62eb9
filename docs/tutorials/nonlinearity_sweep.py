"""Tutorial 2: find where StimulusSelection-v0 needs nonlinearity, and dissect it.

An AL-RNN has M units of which only P are ReLU (Brenner & Koppe 2026); its
state space splits into 2^P linear subregions. Training a population of
AL-RNNs that differ only in P, in one batched pass, and scoring each on the
same held-out trials gives the score-vs-P curve; the smallest P that reaches
the criterion is the least nonlinearity the task needs. That network is then
dissected: which subregions it visits, the fixed point of each subregion for
the constant input of every task period (exact enumeration, after Eisenmann
et al. 2023), and which regions switch with the rule (gating).

Run ``python docs/tutorials/nonlinearity_sweep.py [--small] [--out DIR]``;
``--small`` (or ``ALRNN_TUTORIAL_SMALL=1``) trains briefly, as the test suite
does, so its curve is of partly trained networks. Writes the population's run
directory, ``score_vs_P.png``, ``curve.nc``, the dissection report of the
chosen model under ``report/`` and ``summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import torch

import agents
from agents import ModelConfig, TrainConfig
from analysis import (
    analyze_run,
    format_summary,
    necessity_curve,
    plot_necessity,
    save_dataset,
    score_models,
    smallest_sufficient,
)

TASK_PARAMS = {"rule_cue": "explicit", "response_mapping": "two_alternative"}
CRITERION = 0.9


def train_population(out: Path, relu_units: list[int], steps: int, units: int):
    """Train one AL-RNN per P (same M, same seed) as one batched population."""
    config = TrainConfig(
        task_id="StimulusSelection-v0",
        task_params=TASK_PARAMS,
        steps=steps,
        lr=1e-2,
        eval_every=max(steps // 4, 10),
        eval_trials=128,
        device="cpu",
        seed=0,
    )
    models = [ModelConfig(units=units, relu_units=p, seed=0) for p in relu_units]
    return agents.train(out, config, models, progress=False)


def main(argv: list[str] | None = None) -> int:
    """Sweep P, draw the score-vs-P curve and dissect the smallest good model."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="brief training")
    parser.add_argument(
        "--out", type=Path, default=Path("outputs/tutorials/nonlinearity")
    )
    args = parser.parse_args(argv)
    small = args.small or os.environ.get("ALRNN_TUTORIAL_SMALL") == "1"
    relu_units = [0, 1, 2, 4] if small else [0, 1, 2, 4, 8, 16]
    steps, units = (80, 12) if small else (600, 16)
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. One population, one pass: the models are stacked on a model axis.
    result = train_population(args.out / "population", relu_units, steps, units)
    loaded = [agents.load(path) for path in result.model_dirs]
    models, task = [model for model, _ in loaded], loaded[0][1]

    # 2. Score every model on the same fresh trials; the curve is an xarray
    #    dataset (relu_units, seed, metric).
    with torch.no_grad():
        scores = score_models(models, task, n_trials=256, seed=1)
    curve = necessity_curve(relu_units, scores)
    save_dataset(curve, args.out / "curve.nc")
    figure = plot_necessity(
        curve, ["accuracy", "accuracy/congruent", "accuracy/incongruent"],
        criterion=CRITERION,
    )  # fmt: skip
    figure.savefig(args.out / "score_vs_P.png", dpi=80)

    # 3. The smallest sufficient P (-1 when none reaches the criterion, as in
    #    a short run: then the best model is dissected instead).
    smallest = int(smallest_sufficient(curve, CRITERION).sel(metric="accuracy"))
    accuracy = curve["mean"].sel(metric="accuracy")
    chosen = smallest if smallest >= 0 else int(accuracy.idxmax("relu_units"))
    model_dir = result.model_dirs[relu_units.index(chosen)]

    # 4. Dissect it: regions visited, fixed points per task period, gating.
    report = analyze_run(model_dir, args.out / "report", n_trials=128, seed=2)
    print(format_summary(report))

    summary = {
        "relu_units": relu_units,
        "accuracy": [float(a) for a in accuracy.values],
        "smallest_sufficient_P": smallest if smallest >= 0 else None,
        "dissected_P": chosen,
        "regions_used": report["regions_used"],
        "regions_possible": report["regions_possible"],
        "real_fixed_points": {
            name: row["real"] for name, row in report["fixed_points"]["periods"].items()
        },
        "gated_regions": len(report["primitives"].get("gated_regions", [])),
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
