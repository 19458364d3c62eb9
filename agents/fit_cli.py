"""``alrnn fit`` and the fitted-run branch of ``alrnn evaluate``.

``alrnn fit RECORDING --units M --relu-units P --out DIR`` fits an AL-RNN (or
a population over ``--population 'P=0,2,4;seed=0..2'``) to a recording with
:func:`agents.fit`; its options are generated from
:class:`~agents.fit_config.FitConfig` and the AL-RNN fields of
:class:`~agents.models.ModelConfig`, like those of ``alrnn train``.
``alrnn evaluate DIR`` on a fitted run prints its held-out metrics
(:func:`agents.fit_evaluation.evaluate_fit`).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from agents.fit_config import FitConfig
from agents.models import ModelConfig

__all__ = ["add_fit_parser", "command_evaluate_fit", "command_fit"]

_MODEL_SKIP = {"dt", "seed", "kind", "tau"}  # tau is a CTRNN setting
_FIT_SKIP = {"task_id", "task_params"}
# the metrics printed by `alrnn fit` and `alrnn evaluate`, in order
SUMMARY = (
    "bits_per_spike",
    "cosmoothing_bits_per_spike",
    "psth_r2_median",
    "r2_over_psth",
    "r_mean_rate",
    "r_fano_factor",
    "r_cv_counts",
)


def add_fit_parser(commands: Any) -> None:
    """Add the ``fit`` subcommand to ``alrnn``'s subparsers."""
    from agents.cli import _add_dataclass_options

    parser = commands.add_parser(
        "fit",
        help="fit an AL-RNN (or a population) to a recorded population",
        description="Fit AL-RNNs to RECORDING (.nc, .nwb or a pfc-1 folder), driven "
        "by the task's inputs rebuilt from each trial's conditions, and write a run "
        "directory that `alrnn evaluate`, `alrnn record` and agents.load read. "
        "Rerunning the same command resumes from the last checkpoint.",
    )
    parser.add_argument("recording", metavar="RECORDING", help="recording to fit")
    parser.add_argument("--out", required=True, type=Path, help="run directory")
    parser.add_argument(
        "--task",
        default="StimulusSelection-v0",
        dest="FitConfig.task_id",
        metavar="TASK_ID",
        help="task whose encoder rebuilds the inputs (default: StimulusSelection-v0)",
    )
    parser.add_argument(
        "--task-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="task parameter, repeatable (e.g. rule_cue=explicit)",
    )
    parser.add_argument(
        "--population",
        default=None,
        metavar="SPEC",
        help="fit a population, e.g. 'P=0,2,4,8;seed=0..3' (keys P and seed)",
    )
    parser.add_argument(
        "--init-seed", type=int, default=None, metavar="SEED", help="weight seed"
    )
    _add_dataclass_options(parser.add_argument_group("model"), ModelConfig, _MODEL_SKIP)
    _add_dataclass_options(parser.add_argument_group("fitting"), FitConfig, _FIT_SKIP)


def command_fit(args: argparse.Namespace) -> int:
    """Run ``alrnn fit``; print each model's held-out metrics."""
    from agents.cli import _settings, parse_population, parse_task_params
    from agents.fitting import fit

    settings = _settings(args, FitConfig)
    config = FitConfig(task_params=parse_task_params(args.task_param), **settings)
    model_settings = _settings(args, ModelConfig)
    model_settings["seed"] = config.seed if args.init_seed is None else args.init_seed
    if args.population:
        models: Any = [
            ModelConfig(**{**model_settings, **member})
            for member in parse_population(args.population)
        ]
    else:
        models = ModelConfig(**model_settings)
    result = fit(args.recording, args.out, config, models)
    for model_dir, evaluation, stopped in zip(
        result.model_dirs, result.evaluation, result.stopped, strict=True
    ):
        status = "stopped early" if stopped else f"{result.step} steps"
        print(f"{model_dir} ({status}): {_summary(evaluation)}")
    print(f"fitted in {result.seconds:.1f} s; `alrnn evaluate {args.out}` reports it")
    return 0


def command_evaluate_fit(args: argparse.Namespace) -> int:
    """Run ``alrnn evaluate`` on a fitted run: held-out metrics per model."""
    from agents.fit_evaluation import evaluate_fit

    results = evaluate_fit(args.run_dir, device=args.device)
    if args.json:
        single = next(iter(results.values())) if len(results) == 1 else results
        print(json.dumps(_json_safe(single), sort_keys=True))
        return 0
    for name, metrics in results.items():
        print(f"{name} on {metrics['test_trials']} held-out trials")
        for key in SUMMARY:
            if key in metrics:
                print(f"  {key:<32} {metrics[key]:.3f}")
    return 0


def _summary(evaluation: dict[str, Any]) -> str:
    return ", ".join(
        f"{key} {evaluation[key]:.3f}" for key in SUMMARY if key in evaluation
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
