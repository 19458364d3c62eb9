"""Run directories and checkpoints: safetensors weights plus JSON, written atomically.

A run directory holds

- ``config.json``: everything needed to rebuild the model and the task;
- ``model.safetensors``: the latest good weights;
- ``metrics.jsonl``: one JSON object per logged step or evaluation;
- ``checkpoint/``: the training state for resuming, one folder per kept
  checkpoint (``step_000100/``: ``weights.safetensors``,
  ``optimizer.safetensors``, ``state.json``) and ``latest.json`` naming the
  newest complete one.

Every file is written to a temporary name and moved into place with
:func:`os.replace`, and a checkpoint folder is complete before
``latest.json`` points at it, so a run killed at any moment leaves the
previous checkpoint intact. Nothing is ever unpickled: weights and optimizer
moments are safetensors, everything else JSON. Each safetensors file carries
the SHA-256 of its tensors in its header, so a damaged or edited file fails
to load with a one-line :class:`~agents.errors.CheckpointError`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from agents.errors import CheckpointError

__all__ = [
    "CONFIG_FILE",
    "METRICS_FILE",
    "WEIGHTS_FILE",
    "append_metrics",
    "atomic_write_bytes",
    "atomic_write_json",
    "latest_checkpoint",
    "load_tensors",
    "read_json",
    "read_metrics",
    "save_tensors",
    "write_checkpoint",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
METRICS_FILE = "metrics.jsonl"
CHECKPOINT_DIR = "checkpoint"
LATEST_FILE = "latest.json"
KEEP_CHECKPOINTS = 2  # older checkpoint folders are deleted


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and :func:`os.replace`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_json(path: str | Path, value: Any) -> None:
    """Write ``value`` as indented JSON to ``path`` atomically."""
    text = json.dumps(value, indent=2, sort_keys=True, allow_nan=True)
    atomic_write_bytes(path, (text + "\n").encode())


def read_json(path: str | Path) -> Any:
    """Read a JSON file, raising :class:`CheckpointError` if missing or damaged."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(
            f"{path} is missing; is {path.parent} a run directory written by `alrnn train`?"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(
            f"{path} is not valid JSON ({error}); the file is damaged"
        ) from None


def _digest(tensors: Mapping[str, torch.Tensor]) -> str:
    sha = hashlib.sha256()
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        sha.update(name.encode())
        sha.update(str(tensor.dtype).encode())
        sha.update(str(tuple(tensor.shape)).encode())
        sha.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return sha.hexdigest()


def save_tensors(path: str | Path, tensors: Mapping[str, torch.Tensor]) -> None:
    """Save tensors as safetensors (atomically) with their SHA-256 in the header.

    Parameters
    ----------
    path
        Destination file.
    tensors
        Named tensors; moved to the CPU and made contiguous.
    """
    cpu = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    data = save(cpu, metadata={"sha256": _digest(cpu), "format": "pt"})
    atomic_write_bytes(path, data)


def load_tensors(path: str | Path) -> dict[str, torch.Tensor]:
    """Load a file written by :func:`save_tensors`, checking its checksum.

    Parameters
    ----------
    path
        A safetensors file.

    Returns
    -------
    dict of str to torch.Tensor
        The tensors, on the CPU.

    Raises
    ------
    CheckpointError
        If the file is missing, not safetensors, or its contents do not match
        the checksum in its header.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path} is missing; the run has no saved weights yet")
    try:
        tensors = load_file(path)
        with path.open("rb") as file:
            header_size = int.from_bytes(file.read(8), "little")
            header = json.loads(file.read(header_size))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(
            f"{path} is not a readable safetensors file ({reason}); the file is damaged, "
            "delete it and resume from a checkpoint or retrain"
        ) from None
    expected = header.get("__metadata__", {}).get("sha256")
    if expected is None or expected != _digest(tensors):
        raise CheckpointError(
            f"{path} does not match its checksum; the file was changed after it was "
            "written, retrain or restore it"
        )
    return tensors


def append_metrics(run_dir: str | Path, records: list[dict[str, Any]]) -> None:
    """Append JSON records (one per line) to the run's ``metrics.jsonl``."""
    if not records:
        return
    with (Path(run_dir) / METRICS_FILE).open("a") as file:
        for record in records:
            file.write(json.dumps(_finite_or_none(record), sort_keys=True) + "\n")


def read_metrics(run_dir: str | Path) -> list[dict[str, Any]]:
    """Return the records of ``metrics.jsonl`` (an empty list when there is none)."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut off by a kill mid-write ends the log
    return records


def truncate_metrics(run_dir: str | Path, step: int) -> None:
    """Drop metrics logged after ``step`` (they are redone when a run resumes)."""
    kept = [r for r in read_metrics(run_dir) if r.get("step", 0) <= step]
    text = "".join(json.dumps(r, sort_keys=True) + "\n" for r in kept)
    atomic_write_bytes(Path(run_dir) / METRICS_FILE, text.encode())


def write_checkpoint(
    run_dir: str | Path,
    step: int,
    weights: Mapping[str, torch.Tensor],
    optimizer: Mapping[str, torch.Tensor],
    state: dict[str, Any],
) -> Path:
    """Write a complete checkpoint folder, then point ``latest.json`` at it.

    Parameters
    ----------
    run_dir
        The run directory.
    step
        Optimisation steps done.
    weights, optimizer
        Tensors of the model and of the optimizer (and any carried state).
    state
        JSON-serialisable training state (step, RNG state, counters).

    Returns
    -------
    Path
        The checkpoint folder.
    """
    root = Path(run_dir) / CHECKPOINT_DIR
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"step_{step:08d}"
    temporary = Path(tempfile.mkdtemp(dir=root, prefix=f".step_{step:08d}."))
    save_tensors(temporary / "weights.safetensors", weights)
    save_tensors(temporary / "optimizer.safetensors", optimizer)
    atomic_write_json(temporary / "state.json", state)
    if final.exists():
        shutil.rmtree(final)
    os.replace(temporary, final)
    atomic_write_json(root / LATEST_FILE, {"checkpoint": final.name, "step": step})

    for old in sorted(p for p in root.glob("step_*") if p.is_dir())[:-KEEP_CHECKPOINTS]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".step_*"):  # left behind by a killed write
        if stale != temporary:
            shutil.rmtree(stale, ignore_errors=True)
    return final


def latest_checkpoint(
    run_dir: str | Path,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, Any]] | None:
    """Load the newest complete checkpoint of a run, or ``None`` if it has none.

    Returns
    -------
    (weights, optimizer, state) or None
        The tensors and the JSON training state.
    """
    root = Path(run_dir) / CHECKPOINT_DIR
    if not (root / LATEST_FILE).is_file():
        return None
    pointer = read_json(root / LATEST_FILE)
    folder = root / str(pointer.get("checkpoint", ""))
    if not folder.is_dir():
        raise CheckpointError(
            f"{root / LATEST_FILE} points at {folder.name!r}, which is missing; "
            "delete the checkpoint folder to start over"
        )
    weights = load_tensors(folder / "weights.safetensors")
    optimizer = load_tensors(folder / "optimizer.safetensors")
    return weights, optimizer, read_json(folder / "state.json")


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_none(v) for v in value]
    return value
