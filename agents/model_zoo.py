"""Pretrained AL-RNNs shipped inside the package, each with a model card.

Every shipped model is a pair of files in ``agents/pretrained/``:
``<name>.safetensors`` (weights, with the SHA-256 of its tensors in the
header) and ``<name>.json``, its model card: the task and its parameters,
the model config, the sweep file and cell it was trained in and the command
that reproduces it, the training data seen, its score per condition group on
fresh held-out trials, the tolerance within which a fresh measurement should
agree, subregions used and real fixed points. ``experiments/make_pretrained.py``
writes both from the experiment sweeps; no number in a card is typed by hand.

Everything loads offline, without pickle.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import torch

from agents.checkpoint import atomic_write_json, load_tensors, read_json, save_tensors
from agents.errors import CheckpointError, ConfigError
from agents.models import RecurrentModel, build_model, config_from_dict
from alrnn_tasks import Task, get_task
from alrnn_tasks.task import resolve_device

__all__ = [
    "CARD_FORMAT",
    "export_pretrained",
    "list_pretrained",
    "model_card",
    "pretrained",
    "pretrained_dir",
]

CARD_FORMAT = "alrnn-pretrained/1"


def pretrained_dir() -> Path:
    """Return the folder of the shipped models (``agents/pretrained``)."""
    return Path(str(resources.files("agents"))) / "pretrained"


def list_pretrained() -> list[str]:
    """Return the names of the shipped pretrained models, sorted.

    Examples
    --------
    >>> all(isinstance(name, str) for name in list_pretrained())
    True
    """
    folder = pretrained_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p.stem for p in folder.glob("*.json") if p.with_suffix(".safetensors").is_file()
    )


def model_card(name: str) -> dict[str, Any]:
    """Return the model card of a shipped model.

    Raises
    ------
    ConfigError
        For an unknown name (with a did-you-mean).
    """
    names = list_pretrained()
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"no pretrained model {name!r}{hint} (`alrnn pretrained` lists all)"
        )
    card = read_json(pretrained_dir() / f"{name}.json")
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise CheckpointError(f"the model card of {name!r} is not {CARD_FORMAT}")
    return card


def pretrained(
    name: str, *, device: str | torch.device = "cpu"
) -> tuple[RecurrentModel, Task]:
    """Load a shipped pretrained model and the task it was trained on.

    Parameters
    ----------
    name
        One of :func:`list_pretrained`.
    device
        Where to put the model.

    Returns
    -------
    (RecurrentModel, Task)
        The model in evaluation mode and its task, as :func:`agents.load`.

    Examples
    --------
    >>> name = next(iter(list_pretrained()), None)
    >>> if name is not None:
    ...     model, task = pretrained(name)
    """
    card = model_card(name)
    params = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in card["task_params"].items()
    }
    task = get_task(card["task_id"], **params)
    model = build_model(
        config_from_dict(card["model"]), card["n_inputs"], card["n_outputs"]
    )
    weights = load_tensors(pretrained_dir() / f"{name}.safetensors")
    try:
        model.load_state_dict(weights)
    except RuntimeError as error:
        raise CheckpointError(
            f"weights of {name!r} do not fit its card ({str(error).splitlines()[0]})"
        ) from None
    return model.to(resolve_device(device)).eval(), task


def export_pretrained(name: str, run_dir: str | Path) -> Path:
    """Write a shipped model as a run directory (for ``alrnn record``, ``evaluate``)."""
    from agents.runs import run_config
    from agents.train_config import TrainConfig

    model, task = pretrained(name)
    run_dir = Path(run_dir)
    if run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"{run_dir} exists and is not empty; choose another folder")
    card = model_card(name)
    training = TrainConfig(task_id=card["task_id"], task_params=card["task_params"])
    description = run_config(training, [model.config], task)
    save_tensors(run_dir / "model.safetensors", model.state_dict())
    atomic_write_json(run_dir / "config.json", description)
    return run_dir
