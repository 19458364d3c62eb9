"""The ``alrnn`` command line: ``alrnn tasks``, ``alrnn train``, ``alrnn evaluate``.

The options of ``alrnn train`` are generated from the fields of
:class:`~agents.models.ModelConfig` and :class:`~agents.train_config.TrainConfig`
(their ``help`` metadata gives the text and unit), and the values are
validated by the dataclasses themselves, so the command line and the Python
API accept exactly the same settings. Errors caused by the user are printed as
one line, without a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import logging
import math
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from agents.errors import AgentsError, ConfigError, NonFiniteLossError
from agents.fit_cli import add_fit_parser, command_evaluate_fit, command_fit
from agents.models import ModelConfig
from agents.pretrained_cli import add_pretrained_parser, command_pretrained
from agents.sweep_cli import add_sweep_parser, command_sweep
from agents.train_config import TrainConfig
from alrnn_tasks.errors import AlrnnTasksError

__all__ = ["build_parser", "main", "parse_population", "parse_task_params"]

# Fields that are not command-line options: set from the task, from another
# option, or through --task-param / --model.
_MODEL_SKIP = {"dt", "seed", "kind"}
_TRAIN_SKIP = {"task_id", "task_params"}
_RENAMED = {"kind": "model"}
POPULATION_KEYS = {"P": "relu_units", "seed": "seed"}


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _value_type(annotation: Any, default: Any) -> tuple[Any, dict[str, Any]]:
    """Return the argparse ``type`` (and extra kwargs) for a dataclass field."""
    if isinstance(default, bool):
        return None, {"action": argparse.BooleanOptionalAction}
    if isinstance(default, tuple):
        return _float_tuple, {"metavar": "X,Y,..."}
    candidates = typing.get_args(annotation) or (annotation,)
    for kind in (int, float):
        if isinstance(default, kind) or kind in candidates:
            return _number(kind), {}
    return str, {}


def _number(kind: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
        return value

    parse.__name__ = kind.__name__
    return parse


def _float_tuple(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def _add_dataclass_options(
    group: argparse._ArgumentGroup, cls: type, skip: set[str]
) -> None:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        default = f.default if f.default is not dataclasses.MISSING else None
        value_type, extra = _value_type(hints.get(f.name), default)
        flag = "--" + _RENAMED.get(f.name, f.name).replace("_", "-")
        help_text = f.metadata.get("help", "")
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        kwargs: dict[str, Any] = {"default": None, "dest": f"{cls.__name__}.{f.name}"}
        if "action" not in extra:
            kwargs["metavar"] = extra.pop("metavar", f.name.upper())
        kwargs["help"] = f"{help_text} (default: {shown if shown != () else 'none'})"
        if value_type is not None:
            kwargs["type"] = value_type
        group.add_argument(flag, **kwargs, **extra)


def build_parser() -> argparse.ArgumentParser:
    """Return the ``alrnn`` argument parser with its subcommands."""
    parser = _Parser(
        prog="alrnn",
        description="Train AL-RNNs and baselines on cognitive tasks and evaluate them.",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="log warnings only")
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )

    commands.add_parser("tasks", help="list the registered task ids")

    train = commands.add_parser(
        "train",
        help="train a model (or a population of AL-RNNs) on a task",
        description="Train on TASK_ID and write a run directory. Rerunning the same "
        "command resumes from the last checkpoint.",
    )
    train.add_argument("task_id", metavar="TASK_ID", help="task id (`alrnn tasks`)")
    train.add_argument("--out", required=True, type=Path, help="run directory to write")
    train.add_argument(
        "--task-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="task parameter, repeatable (e.g. rule_cue=explicit, block_lengths=2,6,2,6)",
    )
    train.add_argument(
        "--model",
        default="alrnn",
        dest="ModelConfig.kind",
        metavar="KIND",
        help="model: alrnn, rnn_tanh, rnn_relu, ctrnn, gru, lstm (default: alrnn)",
    )
    train.add_argument(
        "--init-seed",
        type=_number(int),
        default=None,
        metavar="SEED",
        help="seed of the weight initialisation (default: --seed)",
    )
    train.add_argument(
        "--population",
        default=None,
        metavar="SPEC",
        help="train a population of AL-RNNs, e.g. 'P=0,2,4,8;seed=0..3' "
        "(every combination; keys P and seed)",
    )
    _add_dataclass_options(train.add_argument_group("model"), ModelConfig, _MODEL_SKIP)
    _add_dataclass_options(
        train.add_argument_group("training"), TrainConfig, _TRAIN_SKIP
    )

    evaluate = commands.add_parser(
        "evaluate",
        help="score a trained run on held-out trials",
        description="Print the scores of a run per condition group.",
    )
    evaluate.add_argument("run_dir", metavar="DIR", type=Path, help="run directory")
    evaluate.add_argument(
        "--trials",
        type=_number(int),
        default=1024,
        help="held-out trials (default: 1024)",
    )
    evaluate.add_argument(
        "--seed",
        type=_number(int),
        default=2**31 - 1,
        help="seed of the held-out trials",
    )
    evaluate.add_argument(
        "--device", default="cpu", help="cpu, cuda or auto (default: cpu)"
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    _add_analysis_commands(commands)
    add_sweep_parser(commands)
    add_pretrained_parser(commands)
    add_fit_parser(commands)
    return parser


def _add_analysis_commands(commands: Any) -> None:
    """Add ``record``, ``analyze`` and ``compare`` (bodies in :mod:`analysis`)."""
    record = commands.add_parser(
        "record",
        help="record a run's unit activity on fresh trials to NetCDF or Zarr",
        description="Run the model of RUN_DIR on N trials of its task and save "
        "states, outputs, conditions and subregion codes (analysis.record).",
    )
    record.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="run directory")
    record.add_argument("--trials", type=_number(int), default=512, help="trials")
    record.add_argument("--out", required=True, type=Path, help="output .nc or .zarr")
    record.add_argument("--seed", type=_number(int), default=0, help="trial seed")
    record.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")

    analyze = commands.add_parser(
        "analyze",
        help="dissect a trained AL-RNN: regions, fixed points, primitives",
        description="Record the AL-RNN of RUN_DIR on fresh trials and write "
        "NetCDF/JSON tables and PNG figures of its subregions, fixed points per "
        "period and computational primitives; print a summary (analysis.report).",
    )
    analyze.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="run directory")
    analyze.add_argument(
        "--out",
        type=Path,
        default=None,
        help="report folder (default: RUN_DIR/analysis)",
    )
    analyze.add_argument("--trials", type=_number(int), default=256, help="trials")
    analyze.add_argument("--seed", type=_number(int), default=0, help="trial seed")

    compare = commands.add_parser(
        "compare",
        help="compare model activity with a recording; several models are ranked",
        description="Condition-average models and recording on shared labels and "
        "bins, score them with shuffle nulls and print a table (analysis.compare).",
    )
    compare.add_argument("models", nargs="+", metavar="MODEL.nc", help="model datasets")
    compare.add_argument(
        "recording", metavar="RECORDING", help=".nc, .zarr, .nwb or pfc-1 folder"
    )
    compare.add_argument(
        "--conditions",
        required=True,
        help="comma-separated, e.g. rule,noise_side,pitch",
    )
    compare.add_argument(
        "--metric",
        default="all",
        help="procrustes, cca, cka, rsa, predictivity, dsa, a comma list or all",
    )
    compare.add_argument("--shuffles", type=_number(int), default=100, help="null size")
    compare.add_argument("--seed", type=_number(int), default=0, help="shuffle seed")
    compare.add_argument(
        "--align-to", default="stim_onset", help="NWB/pfc-1: event at time 0"
    )
    compare.add_argument(
        "--window",
        type=_float_tuple,
        default=(-500.0, 500.0),
        help="NWB/pfc-1: ms around the event, e.g. --window=-500,500",
    )
    compare.add_argument("--bin-size", type=float, default=50.0, help="NWB/pfc-1: ms")


def parse_task_params(items: Sequence[str]) -> dict[str, Any]:
    """Turn ``NAME=VALUE`` strings into task parameters.

    Values are read as JSON where they parse (numbers, ``true``), as Python
    booleans (``True``/``False``), as tuples when they contain commas, and as
    strings otherwise.

    Examples
    --------
    >>> parse_task_params(["rule_cue=explicit", "block_lengths=2,6,2,6", "feedback=true"])
    {'rule_cue': 'explicit', 'block_lengths': (2, 6, 2, 6), 'feedback': True}
    """
    params: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--task-param expects NAME=VALUE, got {item!r}")
        if "," in text:
            params[name.strip()] = tuple(_scalar(p) for p in text.split(",") if p)
        else:
            params[name.strip()] = _scalar(text)
    return params


def _scalar(text: str) -> Any:
    text = text.strip()
    if text in ("True", "False"):
        return text == "True"
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return tuple(value) if isinstance(value, list) else value


def parse_population(spec: str) -> list[dict[str, int]]:
    """Expand a population spec such as ``"P=0,2,4;seed=0..3"`` into settings.

    Returns
    -------
    list of dict
        One ``{"relu_units": P, "seed": s}`` (as given) per combination.

    Examples
    --------
    >>> parse_population("P=0,4;seed=0..1")
    [{'relu_units': 0, 'seed': 0}, {'relu_units': 0, 'seed': 1}, {'relu_units': 4, 'seed': 0}, {'relu_units': 4, 'seed': 1}]
    """
    axes: dict[str, list[int]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        key, sep, values = part.partition("=")
        if not sep or key.strip() not in POPULATION_KEYS:
            raise ConfigError(
                f"--population entries must be KEY=VALUES with KEY in {sorted(POPULATION_KEYS)}, "
                f"got {part!r} (example: 'P=0,2,4;seed=0..3')"
            )
        axes[POPULATION_KEYS[key.strip()]] = _int_list(values, part)
    if not axes:
        raise ConfigError(
            f"--population is empty: {spec!r}; example: 'P=0,2,4;seed=0..3'"
        )
    names = list(axes)
    return [
        dict(zip(names, combo, strict=True))
        for combo in itertools.product(*axes.values())
    ]


def _int_list(text: str, part: str) -> list[int]:
    values: list[int] = []
    try:
        for item in filter(None, (t.strip() for t in text.split(","))):
            if ".." in item:
                low, high = item.split("..")
                values += list(range(int(low), int(high) + 1))
            else:
                values.append(int(item))
    except ValueError:
        raise ConfigError(
            f"--population values must be integers or ranges a..b, got {part!r}"
        ) from None
    if not values:
        raise ConfigError(f"--population entry {part!r} lists no values")
    return values


def _settings(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    prefix = f"{cls.__name__}."
    return {
        key[len(prefix) :]: value
        for key, value in vars(args).items()
        if key.startswith(prefix) and value is not None
    }


def _command_train(args: argparse.Namespace) -> int:
    from agents.training import train

    train_settings = _settings(args, TrainConfig)
    config = TrainConfig(
        task_id=args.task_id,
        task_params=parse_task_params(args.task_param),
        **train_settings,
    )
    model_settings = _settings(args, ModelConfig)
    model_settings["seed"] = config.seed if args.init_seed is None else args.init_seed
    if args.population:
        models: Any = [
            ModelConfig(**{**model_settings, **member})
            for member in parse_population(args.population)
        ]
    else:
        models = ModelConfig(**model_settings)
    result = train(args.out, config, models)
    for model_dir, scores, stopped in zip(
        result.model_dirs, result.scores, result.stopped, strict=True
    ):
        accuracy = scores.get("accuracy", float("nan"))
        status = "reached --stop-at" if stopped else f"{result.step} steps"
        print(f"{model_dir}: accuracy {accuracy:.3f} ({status})")
    print(f"trained in {result.seconds:.1f} s; `alrnn evaluate {args.out}` scores it")
    return 0


def _command_evaluate(args: argparse.Namespace) -> int:
    from agents.evaluation import evaluate
    from agents.runs import load, load_population, read_run_config

    description = read_run_config(args.run_dir)
    if "fit" in description:  # fitted to a recording: held-out recording metrics
        return command_evaluate_fit(args)
    if len(description["models"]) > 1:
        population, task = load_population(args.run_dir, device=args.device)
        names = [c.name for c in population.configs]
        per_model = evaluate(population, task, args.trials, seed=args.seed)
        results = dict(zip(names, per_model, strict=True))
    else:
        model, task = load(args.run_dir, device=args.device)
        results = {
            model.config.name: evaluate(model, task, args.trials, seed=args.seed)
        }
    if args.json:
        single = next(iter(results.values())) if len(results) == 1 else results
        print(json.dumps(_json_safe(single), sort_keys=True))
        return 0
    for name, scores in results.items():
        print(f"{name} on {task.task_id} ({args.trials} held-out trials)")
        for key, value in scores.items():
            print(f"  {key:<32} {value:.3f}")
    return 0


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _command_record(args: argparse.Namespace) -> int:
    from analysis.errors import AnalysisError
    from analysis.record import record_command

    try:
        out = record_command(
            args.run_dir,
            trials=args.trials,
            out=args.out,
            seed=args.seed,
            device=args.device,
        )
    except AnalysisError as error:
        print(f"alrnn record: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


def _command_analyze(args: argparse.Namespace) -> int:
    from analysis.errors import AnalysisError
    from analysis.report import analyze_run, format_summary

    try:
        summary = analyze_run(
            args.run_dir, args.out, n_trials=args.trials, seed=args.seed
        )
    except AnalysisError as error:
        print(f"alrnn analyze: error: {error}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    print(f"wrote {args.out or Path(args.run_dir) / 'analysis'}")
    return 0


def _command_compare(args: argparse.Namespace) -> int:
    from analysis.compare import compare_command
    from analysis.errors import AnalysisError

    options = {}
    if not str(args.recording).endswith((".nc", ".zarr")):
        options = {
            "align_to": args.align_to,
            "window": tuple(args.window),
            "bin_size": args.bin_size,
        }
    try:
        table = compare_command(
            args.models,
            args.recording,
            conditions=args.conditions,
            metric=args.metric,
            n_shuffles=args.shuffles,
            seed=args.seed,
            **options,
        )
    except AnalysisError as error:
        print(f"alrnn compare: error: {error}", file=sys.stderr)
        return 2
    print(table)
    return 0


def _command_tasks(args: argparse.Namespace) -> int:
    from alrnn_tasks import list_tasks

    for task_id in list_tasks():
        print(task_id)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``alrnn`` command line; return the exit status.

    Parameters
    ----------
    argv
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when training diverged, 2 for bad input, 130 when
        interrupted.
    """
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(message)s",
        stream=sys.stderr,
    )
    command = {
        "tasks": _command_tasks,
        "train": _command_train,
        "evaluate": _command_evaluate,
        "record": _command_record,
        "analyze": _command_analyze,
        "compare": _command_compare,
        "sweep": command_sweep,
        "pretrained": command_pretrained,
        "fit": command_fit,
    }
    try:
        return command[args.command](args)
    except NonFiniteLossError as error:
        print(f"alrnn {args.command}: {error}", file=sys.stderr)
        return 1
    except (AgentsError, AlrnnTasksError) as error:
        print(f"alrnn {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"alrnn {args.command}: interrupted; rerun the same command to resume",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
