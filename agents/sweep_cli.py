"""The ``alrnn sweep`` command: ``alrnn sweep run`` and ``alrnn sweep collect``.

``alrnn sweep run [FILE.toml] --out DIR`` runs the grid of a sweep file, of
flags, or of a file with flags overriding its values; rerunning it skips
finished cells and resumes interrupted ones. ``alrnn sweep collect DIR``
writes ``DIR/results.nc`` and prints mean accuracy per task and model.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from agents.errors import ConfigError
from agents.sweep_config import LAUNCHERS

__all__ = ["add_sweep_parser", "command_sweep", "parse_int_list"]


def add_sweep_parser(commands: Any) -> None:
    """Add ``sweep run`` and ``sweep collect`` to the ``alrnn`` subcommands."""
    sweep = commands.add_parser(
        "sweep",
        help="run a grid of task x P x seed x training-set size, and collect it",
        description="Run a nonlinearity sweep (`sweep run`) or gather its cells "
        "into one NetCDF dataset (`sweep collect`).",
    )
    actions = sweep.add_subparsers(
        dest="sweep_command", required=True, parser_class=type(sweep)
    )
    run = actions.add_parser(
        "run",
        help="run (or continue) a sweep",
        description="Train every cell of the grid; rerunning skips finished "
        "cells and resumes interrupted ones. Flags override the file.",
    )
    run.add_argument("file", nargs="?", type=Path, help="TOML sweep file (optional)")
    run.add_argument("--out", required=True, type=Path, help="sweep directory")
    _add_grid_options(run)
    run.add_argument(
        "--retry-failed", action="store_true", help="rerun cells that failed before"
    )

    collect = actions.add_parser(
        "collect",
        help="gather a sweep's cells into one NetCDF dataset",
        description="Write every cell's scores, steps to criterion, regions "
        "used and real fixed points to DIR/results.nc (or --out).",
    )
    collect.add_argument("sweep_dir", metavar="DIR", type=Path, help="sweep directory")
    collect.add_argument("--out", type=Path, help="output .nc (default DIR/results.nc)")


def _add_grid_options(run: argparse.ArgumentParser) -> None:
    grid = run.add_argument_group("grid (override the file)")
    grid.add_argument("--task", action="append", default=[], help="task id, repeatable")
    grid.add_argument(
        "--task-param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="parameter of every --task, repeatable",
    )
    grid.add_argument("--P", dest="relu_units", help="P values, e.g. 0,1,2,4 or 0..4")
    grid.add_argument("--seeds", help="seeds, e.g. 0..4")
    grid.add_argument("--train-trials", help="training-set sizes (0: fresh trials)")
    grid.add_argument("--families", help="model kinds, e.g. alrnn,gru,lstm")
    grid.add_argument("--units", type=int, help="hidden units M")
    grid.add_argument("--name", help="sweep name")
    grid.add_argument(
        "--training",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="training setting (TrainConfig field), e.g. steps=500; repeatable",
    )
    launch = run.add_argument_group("launcher")
    launch.add_argument("--launcher", choices=LAUNCHERS, help="default: local")
    launch.add_argument("--partition", help="slurm partition")
    launch.add_argument("--timeout-min", type=int, help="submitit: minutes per job")
    launch.add_argument("--gpus-per-job", type=int, help="submitit: GPUs per job")
    launch.add_argument("--array-parallelism", type=int, help="slurm: jobs at once")


def parse_int_list(text: str, what: str) -> list[int]:
    """Parse ``"0,2,4"`` or ``"0..3"`` (or a mix) into integers.

    Examples
    --------
    >>> parse_int_list("0,2,5..7", "P")
    [0, 2, 5, 6, 7]
    """
    values: list[int] = []
    try:
        for item in filter(None, (t.strip() for t in text.split(","))):
            low, sep, high = item.partition("..")
            values += list(range(int(low), int(high) + 1)) if sep else [int(item)]
    except ValueError:
        raise ConfigError(
            f"--{what} expects integers or ranges a..b, got {text!r}"
        ) from None
    return values


def sweep_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the sweep values of the file (if any) with the flags applied."""
    from agents.cli import parse_task_params
    from agents.sweep_config import tomllib

    values: dict[str, Any] = {}
    if args.file is not None:
        if not args.file.is_file():
            raise ConfigError(f"sweep file {str(args.file)!r} does not exist")
        try:
            values = tomllib.loads(args.file.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"{args.file} is not valid TOML ({error})") from None
    if args.task:
        params = parse_task_params(args.task_param)
        values["tasks"] = [{"id": t, "params": params} for t in args.task]
    for name in ("relu_units", "seeds", "train_trials"):
        text = getattr(args, name)
        if text is not None:
            values[name] = parse_int_list(text, name.replace("_", "-"))
    if args.families is not None:
        values["families"] = [f.strip() for f in args.families.split(",") if f.strip()]
    for name in ("units", "name"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.training:
        values["training"] = {
            **values.get("training", {}),
            **parse_task_params(args.training),
        }
    launcher = dict(values.get("launcher", {}))
    for name in ("partition", "timeout_min", "gpus_per_job", "array_parallelism"):
        if getattr(args, name) is not None:
            launcher[name] = getattr(args, name)
    if args.launcher is not None:
        launcher["kind"] = args.launcher
    values["launcher"] = launcher
    return values


def command_sweep(args: argparse.Namespace) -> int:
    """Run ``alrnn sweep run`` or ``alrnn sweep collect``; return the exit status."""
    if args.sweep_command == "collect":
        return _collect(args)
    from agents.sweep import run_sweep
    from agents.sweep_config import sweep_from_dict

    source = f"{args.file}: " if args.file is not None else ""
    try:
        config = sweep_from_dict(sweep_settings(args))
    except ConfigError as error:
        raise ConfigError(f"{source}{error}") from None
    summary = run_sweep(config, args.out, retry_failed=args.retry_failed)
    print(
        f"{args.out}: {len(summary.done)} cells finished, {len(summary.failed)} failed, "
        f"{len(summary.skipped)} finished before"
    )
    for cell in summary.failed:
        print(f"  failed: {cell} (see cells/{cell}/result.json)")
    print(f"`alrnn sweep collect {args.out}` gathers the results")
    return 0 if not summary.failed else 1


def _collect(args: argparse.Namespace) -> int:
    from agents.sweep_results import collect, save_collected

    ds = collect(args.sweep_dir)
    out = save_collected(ds, args.out or args.sweep_dir / "results.nc")
    counts = {s: int((ds.status == s).sum()) for s in ("done", "failed", "missing")}
    print(
        f"wrote {out}: " + ", ".join(f"{n} {s}" for s, n in counts.items()) + " cells"
    )
    accuracy = (
        ds.score.sel(metric="accuracy").mean("seed")
        if "accuracy" in ds.metric
        else None
    )
    if accuracy is None:
        return 0
    for task in ds.task.values:
        for n in ds.train_trials.values:
            row = accuracy.sel(task=task, train_trials=n)
            cells = "  ".join(
                f"{m}={_shown(v)}"
                for m, v in zip(ds.model.values, row.values, strict=True)
            )
            print(f"{task} (train_trials={n}): {cells}")
    return 0


def _shown(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.3f}"
