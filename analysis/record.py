"""Unit activity of a model on a task, as an :class:`xarray.Dataset`.

:func:`record` runs a model on a batch of trials and returns one dataset that
holds everything an analysis or a comparison with recordings needs; the same
schema holds recordings (:mod:`analysis.recordings`), so that the two line up.

Schema of a model recording
---------------------------
Dimensions ``trial``, ``time`` (ms from trial start, step ``dt``), ``unit``,
``input``, ``output`` and ``period_index``.

==================  =====================  ====================================
variable            dims                   meaning
==================  =====================  ====================================
``states``          (trial, time, unit)    hidden state z_t; NaN on padding
``phi``             (trial, time, unit)    φ_P(z_t) (AL-RNN only)
``outputs``         (trial, time, output)  model outputs; NaN on padding
``subregion``       (trial, time)          linear subregion code (AL-RNN
                                           only); -1 on padding
``inputs``          (trial, time, input)   from the task batch
``targets``         (trial, time[, output])  from the task batch
``mask``, ``period``  (trial, time)        from the task batch; period -1 on
                                           padding
==================  =====================  ====================================

Coordinates: every trial condition on ``trial``; ``time`` (ms); ``unit``
(index) with ``unit_kind`` (``"linear"``/``"relu"`` for an AL-RNN, the name
of the nonlinearity otherwise); ``input``/``output`` names;
``period_name`` on ``period_index``. Attrs: ``task_id``, ``task_params``
(JSON), ``dt``, ``seed``, ``target_kind``, ``model_config`` (JSON),
``model_class``, ``package_version``, ``source`` (``"model"``),
``activity`` (the variable a comparison reads, ``"states"``) and
``subregion_bits``.

The subregion code of a step is the integer whose bit ``j`` is 1 when the
``j``-th nonlinear unit (unit ``M - P + j``) is positive:
``code = Σ_j 2**j · [z_{M-P+j} > 0]``, so the first nonlinear unit is the
least significant bit (:func:`analysis.codes.subregion_codes`). It names one
of the 2^P linear pieces of the AL-RNN (Brenner et al. 2024).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
import xarray as xr

from analysis.codes import subregion_codes
from analysis.errors import AnalysisError

__all__ = [
    "load_dataset",
    "record",
    "record_command",
    "save_dataset",
]

SUBREGION_BITS = "bit j = [z of unit M-P+j > 0]; first nonlinear unit is bit 0"


def record(
    model: torch.nn.Module,
    task: Any,
    n_trials: int,
    *,
    seed: int,
    device: str | torch.device = "cpu",
) -> xr.Dataset:
    """Run ``model`` on ``n_trials`` trials of ``task`` and return its activity.

    Trials of session-based tasks (implicit-rule StimulusSelection-v0) are
    run as whole sessions, so that the network carries the rule from trial
    to trial as in training, then laid out trial by trial.

    Parameters
    ----------
    model
        A :class:`agents.RecurrentModel` built for ``task``'s inputs.
    task
        A task from :func:`alrnn_tasks.get_task`.
    n_trials
        Number of trials (>= 1).
    seed
        Seed of the trials: ``task.batch(n_trials, seed=seed)`` regenerates
        them.
    device
        Where to run the model and generate the trials.

    Returns
    -------
    xarray.Dataset
        The schema described in :mod:`analysis.record`.

    Raises
    ------
    AnalysisError
        If ``n_trials`` is not a positive integer or the model does not fit
        the task's inputs.

    Examples
    --------
    >>> from agents import ALRNN, ModelConfig
    >>> from alrnn_tasks import get_task
    >>> task = get_task("StimulusSelection-v0", rule_cue="explicit")
    >>> model = ALRNN(ModelConfig(units=6, relu_units=2), 7, 3)
    >>> ds = record(model, task, 4, seed=0)
    >>> ds["states"].dims, int(ds.sizes["unit"])
    (('trial', 'time', 'unit'), 6)
    """
    if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
        raise AnalysisError(f"n_trials must be an integer >= 1, got {n_trials!r}")
    n_inputs = getattr(model, "n_inputs", None)
    batch = task.batch(n_trials, seed=seed, device=device)
    if n_inputs is not None and n_inputs != len(batch.input_names):
        raise AnalysisError(
            f"model takes {n_inputs} inputs but {batch.task_id} gives "
            f"{len(batch.input_names)}; record the model on the task it was trained on"
        )
    model = model.to(device).eval()
    with torch.no_grad():
        outputs, states = _run(model, batch)
    return _to_dataset(model, batch, outputs, states)


def _run(model: torch.nn.Module, batch: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(trial, time, output)`` outputs and ``(trial, time, unit)`` states."""
    if "session" not in batch.conditions or "trial_in_session" not in batch.conditions:
        outputs, states = model(batch.inputs, return_states=True)
        return outputs, states
    from agents.sessions import session_outputs_to_trials

    sessions = batch.to_sessions()
    outputs, states = model(sessions.inputs, return_states=True)
    return (
        session_outputs_to_trials(outputs, sessions, batch),
        session_outputs_to_trials(states, sessions, batch),
    )


def _to_dataset(
    model: torch.nn.Module, batch: Any, outputs: torch.Tensor, states: torch.Tensor
) -> xr.Dataset:
    from alrnn_tasks import __version__

    padding = (batch.period < 0).cpu().numpy()  # (trial, time)
    states_np = _masked(states, padding)
    ds = batch.to_xarray()
    ds["states"] = (("trial", "time", "unit"), states_np)
    ds["outputs"] = (("trial", "time", "output"), _masked(outputs, padding))
    config = getattr(model, "config", None)
    relu_units = getattr(model, "relu_units", None)
    units = np.arange(states_np.shape[-1])
    if relu_units is not None:
        ds["phi"] = (("trial", "time", "unit"), _masked(model.phi(states), padding))
        codes = subregion_codes(states_np, relu_units, mask=~padding)
        ds["subregion"] = (("trial", "time"), codes)
        kind = np.where(units >= len(units) - relu_units, "relu", "linear")
        if config is not None and config.nonlinearity != "relu":
            kind = np.where(kind == "relu", config.nonlinearity, kind)
    else:
        kind = np.full(len(units), getattr(config, "kind", "nonlinear"))
    ds = ds.assign_coords(unit=units, unit_kind=("unit", kind.astype(str)))

    ds.attrs.update(
        model_config=json.dumps(
            dataclasses.asdict(config) if dataclasses.is_dataclass(config) else {},
            sort_keys=True,
        ),
        model_class=type(model).__name__,
        package_version=__version__,
        source="model",
        activity="states",
    )
    if relu_units is not None:
        ds.attrs["subregion_bits"] = SUBREGION_BITS
    return ds


def _masked(tensor: torch.Tensor, padding: np.ndarray) -> np.ndarray:
    """Return ``tensor`` as float32 numpy with NaN on padding steps."""
    values = tensor.detach().cpu().numpy().astype(np.float32, copy=True)
    values[padding] = np.nan
    return values


# -- files -------------------------------------------------------------------


def save_dataset(ds: xr.Dataset, path: str | Path) -> Path:
    """Write ``ds`` to NetCDF (``.nc``, via h5netcdf) or Zarr (``.zarr``), atomically.

    The dataset is written next to ``path`` under a temporary name and moved
    into place only when complete, so a failure leaves no partial file.

    Parameters
    ----------
    ds
        Any dataset of this package's schema.
    path
        Output file ending in ``.nc`` or ``.zarr``.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    if path.suffix not in (".nc", ".zarr"):
        raise AnalysisError(
            f"output must end in .nc (NetCDF) or .zarr (Zarr), got {str(path)!r}; "
            "rename the output file"
        )
    if not path.parent.is_dir():
        raise AnalysisError(
            f"output folder {str(path.parent)!r} does not exist; create it first"
        )
    temp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        staged = temp / path.name
        try:
            if path.suffix == ".nc":
                ds.to_netcdf(staged, engine="h5netcdf")
            else:
                ds.to_zarr(staged, mode="w", zarr_format=2, consolidated=True)
        except (TypeError, ValueError) as error:
            raise AnalysisError(
                f"cannot write the dataset to {str(path)!r} ({_first_line(error)}); "
                "store attrs as numbers, strings or JSON text"
            ) from None
        _replace(staged, path)
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return path


def _replace(staged: Path, path: Path) -> None:
    """Move ``staged`` onto ``path``; a Zarr folder replaces an old one whole."""
    if staged.is_dir() and path.exists():
        old = staged.parent / "old"
        os.replace(path, old)
        os.replace(staged, path)
        if old.is_dir():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()
        return
    os.replace(staged, path)


def load_dataset(path: str | Path) -> xr.Dataset:
    """Read a dataset written by :func:`save_dataset` (or any NetCDF/Zarr file).

    Parameters
    ----------
    path
        A ``.nc`` file or a ``.zarr`` folder.

    Returns
    -------
    xarray.Dataset
        Loaded into memory (the file is closed).
    """
    path = Path(path)
    if not path.exists():
        raise AnalysisError(f"no such file {str(path)!r}; check the path")
    if path.suffix == ".zarr":
        with xr.open_zarr(path, consolidated=True) as ds:
            return ds.load()
    if path.suffix != ".nc":
        raise AnalysisError(
            f"expected a .nc or .zarr dataset, got {str(path)!r}; convert it to NetCDF"
        )
    try:
        with xr.open_dataset(path, engine="h5netcdf") as ds:
            return ds.load()
    except OSError as error:
        raise AnalysisError(
            f"{str(path)!r} is not a readable NetCDF file ({error}); "
            "write it with analysis.save_dataset"
        ) from None


def record_command(
    run_dir: str | Path,
    *,
    trials: int,
    out: str | Path,
    seed: int = 0,
    device: str = "cpu",
) -> Path:
    """Load the run in ``run_dir``, record ``trials`` trials and save them to ``out``.

    The body of ``alrnn record RUN_DIR --trials N --out FILE.nc``.

    Parameters
    ----------
    run_dir
        A single-model run directory (see :func:`agents.load`).
    trials
        Number of trials.
    out
        Output ``.nc`` or ``.zarr`` path.
    seed
        Seed of the trials.
    device
        Where to run the model.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    from agents import load

    model, task = load(run_dir, device=device)
    return save_dataset(record(model, task, trials, seed=seed, device=device), out)


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
