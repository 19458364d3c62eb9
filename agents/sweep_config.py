"""Sweep settings: the grid of a nonlinearity sweep and how to launch it.

A sweep is the grid task × model family × P × seed × training-set size,
described by a TOML file (or by ``alrnn sweep run`` flags) and checked here
before anything trains. A TOML sweep file reads::

    name = "necessity"
    units = 16                       # M, shared by every cell
    relu_units = [0, 1, 2, 4, 16]    # P values (AL-RNN cells only)
    seeds = [0, 1, 2]
    train_trials = [0]               # 0: fresh trials every step
    families = ["alrnn", "gru"]      # baselines ignore relu_units

    [[tasks]]
    id = "StimulusSelection-v0"
    label = "explicit"               # name of the task in the results
    params = { rule_cue = "explicit" }

    [training]                       # any TrainConfig field
    steps = 1000

    [model]                          # any ModelConfig field but kind/units/P/seed
    a_init = 0.9

    [launcher]                       # local (default), submitit-local or slurm
    kind = "local"

Every mistake (an unknown key or task, P > M, an empty grid) is a one-line
:class:`~agents.errors.ConfigError`.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.errors import ConfigError
from agents.models import MODEL_KINDS, ModelConfig, option
from agents.train_config import TrainConfig

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "LAUNCHERS",
    "LauncherConfig",
    "SweepConfig",
    "SweepTask",
    "load_sweep_file",
    "sweep_from_dict",
]

LAUNCHERS = ("local", "submitit-local", "slurm")
# ModelConfig fields that the grid sets for every cell
_GRID_MODEL_FIELDS = {"kind", "units", "relu_units", "seed", "dt"}
# TrainConfig fields that each task entry sets
_TASK_TRAIN_FIELDS = {"task_id", "task_params"}
_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class SweepTask:
    """One task of the grid: an id, its parameters and a label for results."""

    task_id: str = option("StimulusSelection-v0", "registered task id")
    params: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "task parameters"}
    )
    label: str = option("", "name in run directories and results (default: id)")

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.task_id)
        if not _LABEL.match(self.label):
            raise ConfigError(
                f"task label must be letters, digits, '_', '-' or '.', got {self.label!r}"
            )


@dataclass(frozen=True)
class LauncherConfig:
    """Where the cells run; the Slurm options go to submitit."""

    kind: str = option("local", "local (this process), submitit-local or slurm")
    partition: str = option("", "slurm: partition (empty: the cluster default)")
    timeout_min: int = option(60, "submitit: wall-time limit per job in minutes")
    gpus_per_job: int = option(0, "submitit: GPUs per job")
    cpus_per_job: int = option(2, "submitit: CPU cores per job")
    array_parallelism: int = option(16, "submitit: jobs of the array run at once")


@dataclass(frozen=True)
class SweepConfig:
    """The grid of a sweep, shared training settings and the launcher."""

    name: str = option("sweep", "name of the sweep (stored in the results)")
    tasks: tuple[SweepTask, ...] = option((), "tasks of the grid")
    families: tuple[str, ...] = option(("alrnn",), "model kinds (agents.MODEL_KINDS)")
    units: int = option(16, "hidden units M of every model")
    relu_units: tuple[int, ...] = option((0,), "AL-RNN nonlinear units P (each <= M)")
    seeds: tuple[int, ...] = option((0,), "initialisation (and pool) seeds")
    train_trials: tuple[int, ...] = option((0,), "training-set sizes (0: fresh trials)")
    criterion: float = option(0.9, "accuracy whose first step is steps_to_criterion")
    eval_trials: int = option(1024, "fresh held-out trials of the final score")
    eval_seed: int = option(2**31 - 2, "seed of the final held-out trials")
    max_population: int = option(64, "AL-RNN cells batched into one population")
    training: TrainConfig = field(
        default_factory=TrainConfig, metadata={"help": "shared training settings"}
    )
    model: dict[str, Any] = field(
        default_factory=dict, metadata={"help": "other ModelConfig fields"}
    )
    launcher: LauncherConfig = field(
        default_factory=LauncherConfig, metadata={"help": "where cells run"}
    )

    def __post_init__(self) -> None:
        for name in ("tasks", "families", "relu_units", "seeds", "train_trials"):
            value = getattr(self, name)
            if isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        _check_sweep(self)

    def to_dict(self) -> dict[str, Any]:
        """Return the sweep as plain JSON-ready values (read back by :func:`sweep_from_dict`)."""
        plain = dataclasses.asdict(self)
        plain["tasks"] = [
            {"id": t.task_id, "label": t.label, "params": dict(t.params)}
            for t in self.tasks
        ]
        plain["training"] = {
            k: v
            for k, v in dataclasses.asdict(self.training).items()
            if k not in _TASK_TRAIN_FIELDS
        }
        return _json_ready(plain)


def _check_sweep(config: SweepConfig) -> None:
    from alrnn_tasks import get_task

    for name in ("tasks", "families", "relu_units", "seeds", "train_trials"):
        if not getattr(config, name):
            raise ConfigError(
                f"the sweep grid is empty: '{name}' lists no values; give at least one"
            )
    for family in config.families:
        if family not in MODEL_KINDS:
            raise ConfigError(
                f"unknown model family {family!r}{_did_you_mean(family, MODEL_KINDS)}; "
                f"expected one of {', '.join(MODEL_KINDS)}"
            )
    _check_integers(config)
    too_many = [p for p in config.relu_units if p > config.units]
    if too_many:
        raise ConfigError(
            f"relu_units P={too_many} exceed units M={config.units}; "
            f"use P <= M (P = M is a PLRNN)"
        )
    if not 0 < config.criterion <= 1:
        raise ConfigError(f"criterion must be in (0, 1], got {config.criterion!r}")
    labels = [t.label for t in config.tasks]
    if len(set(labels)) != len(labels):
        raise ConfigError(f"task labels must differ, got {labels}; set 'label'")
    for entry in config.tasks:
        task = get_task(entry.task_id, **entry.params)  # did-you-mean on bad ids
        if task.session_based and any(config.train_trials):
            raise ConfigError(
                f"train_trials > 0 (a fixed pool) does not apply to the session-based "
                f"task {entry.label!r}; use train_trials = [0] or rule_cue='explicit'"
            )
    _check_launcher(config.launcher)


def _check_integers(config: SweepConfig) -> None:
    checks = {
        "units": ([config.units], 1),
        "relu_units": (config.relu_units, 0),
        "seeds": (config.seeds, 0),
        "train_trials": (config.train_trials, 0),
        "eval_trials": ([config.eval_trials], 1),
        "max_population": ([config.max_population], 1),
    }
    for name, (values, low) in checks.items():
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must hold integers >= {low}, got {value!r}")
        if len(set(values)) != len(values):
            raise ConfigError(f"{name} lists a value twice: {list(values)}")


def _check_launcher(launcher: LauncherConfig) -> None:
    if launcher.kind not in LAUNCHERS:
        raise ConfigError(
            f"launcher must be one of {', '.join(LAUNCHERS)}, got {launcher.kind!r}"
        )
    for name in ("timeout_min", "cpus_per_job", "array_parallelism"):
        value = getattr(launcher, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"launcher {name} must be an integer >= 1, got {value!r}")
    if launcher.gpus_per_job < 0:
        raise ConfigError(
            f"launcher gpus_per_job must be >= 0, got {launcher.gpus_per_job}"
        )


def load_sweep_file(path: str | Path) -> SweepConfig:
    """Read a TOML sweep file.

    Parameters
    ----------
    path
        A ``.toml`` file laid out as in the module docstring.

    Returns
    -------
    SweepConfig
        The checked sweep.

    Raises
    ------
    ConfigError
        If the file is missing or not TOML, or holds an unknown key or task,
        P > M or an empty grid.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"sweep file {str(path)!r} does not exist")
    try:
        values = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not a valid TOML sweep file ({error})") from None
    try:
        return sweep_from_dict(values)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


def sweep_from_dict(values: Mapping[str, Any]) -> SweepConfig:
    """Build a :class:`SweepConfig` from TOML/JSON values (see the module docstring)."""
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"a sweep is a table of settings, got {type(values).__name__}"
        )
    known = {f.name for f in dataclasses.fields(SweepConfig)}
    _reject_unknown(values, known, "sweep")
    settings = dict(values)
    settings["tasks"] = tuple(_task_entry(t) for t in _list(values.get("tasks", [])))
    training = _table(values.get("training", {}), "training")
    train_known = {f.name for f in dataclasses.fields(TrainConfig)} - _TASK_TRAIN_FIELDS
    _reject_unknown(training, train_known, "training")
    settings["training"] = TrainConfig(**_tuples(training))
    model = _table(values.get("model", {}), "model")
    model_known = {f.name for f in dataclasses.fields(ModelConfig)} - _GRID_MODEL_FIELDS
    _reject_unknown(model, model_known, "model")
    ModelConfig(**model)  # checks the values once, before any cell runs
    settings["model"] = dict(model)
    launcher = _table(values.get("launcher", {}), "launcher")
    _reject_unknown(
        launcher, {f.name for f in dataclasses.fields(LauncherConfig)}, "launcher"
    )
    settings["launcher"] = LauncherConfig(**launcher)
    for name in ("families", "relu_units", "seeds", "train_trials"):
        if name in settings:
            settings[name] = tuple(_list(settings[name], name))
    return SweepConfig(**settings)


def _task_entry(entry: Any) -> SweepTask:
    if isinstance(entry, str):
        return SweepTask(task_id=entry)
    entry = _table(entry, "tasks entry")
    _reject_unknown(entry, {"id", "params", "label"}, "tasks entry")
    if "id" not in entry:
        raise ConfigError(f"a tasks entry needs an 'id', got {dict(entry)}")
    params = _tuples(_table(entry.get("params", {}), "params"))
    return SweepTask(task_id=entry["id"], params=params, label=entry.get("label", ""))


def _reject_unknown(values: Mapping[str, Any], known: set[str], where: str) -> None:
    for key in values:
        if key not in known:
            raise ConfigError(
                f"unknown key {key!r} in {where}{_did_you_mean(key, known)}; "
                f"known keys: {', '.join(sorted(known))}"
            )


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a table, got {value!r}")
    return dict(value)


def _list(value: Any, where: str = "tasks") -> list[Any]:
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(f"{where} must be a list, got {value!r}")
    return list(value)


def _tuples(values: dict[str, Any]) -> dict[str, Any]:
    """Return ``values`` with lists as tuples (as the task and training configs expect)."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value
