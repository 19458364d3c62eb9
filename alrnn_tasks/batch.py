"""Batches of trials: the one data structure every view of a task shares.

A :class:`TrialBatch` is batch-first: ``inputs`` is ``(trial, time, input)``.
Trials in a batch have different lengths; they are aligned at their start and
padded at the end, with ``mask == 0`` and ``period == -1`` on padding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from alrnn_tasks.errors import TaskParameterError

__all__ = ["SessionBatch", "TrialBatch", "concatenate_batches"]

PADDING_PERIOD = -1


@dataclass(frozen=True)
class TrialBatch:
    """A batch of trials with everything a network, a loss and an analysis need.

    Parameters
    ----------
    inputs
        ``(trial, time, input)`` float tensor: what the network sees, noise
        included.
    targets
        ``(trial, time)`` integer class labels, or ``(trial, time, output)``
        float targets.
    mask
        ``(trial, time)`` float loss weight; 0 on padding and ignored steps.
    period
        ``(trial, time)`` integer index into ``period_names``; -1 on padding.
    conditions
        Every latent variable of each trial, as ``(trial,)`` numpy arrays.
    dt
        Step length in ms.
    input_names, output_names, period_names
        Names of the input channels, output channels (actions for class
        targets) and periods.
    task_id
        Registered id of the task that generated the batch.
    seed
        The seed that regenerates the batch with ``task.batch(n, seed=seed)``.
    task_params
        The task's parameters, for provenance.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor
    period: torch.Tensor
    conditions: dict[str, np.ndarray]
    dt: float
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    period_names: tuple[str, ...]
    task_id: str
    seed: int
    task_params: dict[str, Any] = field(default_factory=dict)

    # -- shape ------------------------------------------------------------
    @property
    def n_trials(self) -> int:
        """Number of trials in the batch."""
        return int(self.inputs.shape[0])

    @property
    def n_steps(self) -> int:
        """Padded number of time steps."""
        return int(self.inputs.shape[1])

    @property
    def lengths(self) -> torch.Tensor:
        """``(trial,)`` number of steps of each trial before padding."""
        return (self.period != PADDING_PERIOD).sum(dim=1)

    @property
    def device(self) -> torch.device:
        """Device the tensors live on."""
        return self.inputs.device

    @property
    def class_targets(self) -> bool:
        """True when targets are class labels (one integer per step)."""
        return self.targets.ndim == 2

    def __len__(self) -> int:
        return self.n_trials

    # -- conversion -------------------------------------------------------
    def to(self, device: str | torch.device) -> TrialBatch:
        """Return the same batch with its tensors on ``device``.

        Parameters
        ----------
        device
            A torch device or its name.

        Returns
        -------
        TrialBatch
            A new batch; ``self`` is unchanged.
        """
        return replace(
            self,
            inputs=self.inputs.to(device),
            targets=self.targets.to(device),
            mask=self.mask.to(device),
            period=self.period.to(device),
        )

    def select(self, index: Sequence[int] | np.ndarray | slice) -> TrialBatch:
        """Return the trials at ``index`` (an integer array, a boolean mask or a slice).

        Parameters
        ----------
        index
            Which trials to keep, in numpy indexing convention.

        Returns
        -------
        TrialBatch
            The selected trials, trimmed to their longest length.
        """
        if isinstance(index, slice):
            index = np.arange(self.n_trials)[index]
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        torch_index = torch.as_tensor(index, dtype=torch.long, device=self.device)
        steps = int(self.lengths[torch_index].max()) if len(index) else 0
        return replace(
            self,
            inputs=self.inputs[torch_index, :steps],
            targets=self.targets[torch_index, :steps],
            mask=self.mask[torch_index, :steps],
            period=self.period[torch_index, :steps],
            conditions={k: v[index] for k, v in self.conditions.items()},
        )

    def to_xarray(self) -> Any:
        """Return the batch as an :class:`xarray.Dataset`.

        Returns
        -------
        xarray.Dataset
            Dims ``trial``, ``time`` (ms from trial start), ``input`` and, for
            continuous targets, ``output``. Variables ``inputs``, ``targets``,
            ``mask``, ``period``; every condition is a coordinate on
            ``trial``; ``period_name`` decodes ``period``; attrs hold the task
            id, dt, seed and parameters (as JSON).
        """
        import xarray as xr

        time = np.arange(self.n_steps, dtype=float) * self.dt
        target_dims = (
            ("trial", "time") if self.class_targets else ("trial", "time", "output")
        )
        data_vars = {
            "inputs": (("trial", "time", "input"), _numpy(self.inputs)),
            "targets": (target_dims, _numpy(self.targets)),
            "mask": (("trial", "time"), _numpy(self.mask)),
            "period": (("trial", "time"), _numpy(self.period)),
        }
        coords: dict[str, Any] = {
            "trial": np.arange(self.n_trials),
            "time": ("time", time, {"units": "ms"}),
            "input": list(self.input_names),
            "output": list(self.output_names),
            "period_name": ("period_index", list(self.period_names)),
        }
        for name, values in self.conditions.items():
            coords[name] = ("trial", np.asarray(values))
        attrs = {
            "task_id": self.task_id,
            "dt": float(self.dt),
            "seed": int(self.seed),
            "task_params": json.dumps(self.task_params, sort_keys=True, default=str),
            "target_kind": "class" if self.class_targets else "continuous",
        }
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)

    def to_sessions(self) -> SessionBatch:
        """Concatenate the consecutive trials of each session into one sequence.

        Needs the conditions ``session`` and ``trial_in_session`` (tasks whose
        trials depend on earlier trials, such as implicit-rule
        StimulusSelection-v0, provide them). Padding between trials is
        dropped, so a network run on a session sees trial after trial.

        Returns
        -------
        SessionBatch
            One row per session.

        Raises
        ------
        TaskParameterError
            If the batch has no session structure or sessions differ in their
            number of trials.
        """
        return _to_sessions(self)


@dataclass(frozen=True)
class SessionBatch:
    """Sessions of consecutive trials, each laid out as one long sequence.

    Parameters
    ----------
    inputs, targets, mask, period
        As in :class:`TrialBatch`, with ``session`` in place of ``trial``; the
        time axis runs through all trials of a session.
    trial
        ``(session, time)`` index of the trial within its session that each
        step belongs to; -1 on padding at the end.
    trial_start
        ``(session, trial)`` step at which each trial begins.
    conditions
        Trial conditions as ``(session, trial)`` arrays.
    dt, input_names, output_names, period_names, task_id, seed, task_params
        As in :class:`TrialBatch`.
    """

    inputs: torch.Tensor
    targets: torch.Tensor
    mask: torch.Tensor
    period: torch.Tensor
    trial: torch.Tensor
    trial_start: np.ndarray
    conditions: dict[str, np.ndarray]
    dt: float
    input_names: tuple[str, ...]
    output_names: tuple[str, ...]
    period_names: tuple[str, ...]
    task_id: str
    seed: int
    task_params: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sessions(self) -> int:
        """Number of sessions."""
        return int(self.inputs.shape[0])

    @property
    def trials_per_session(self) -> int:
        """Number of trials in each session."""
        return int(self.trial_start.shape[1])


def _numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def _to_sessions(batch: TrialBatch) -> SessionBatch:
    if "session" not in batch.conditions or "trial_in_session" not in batch.conditions:
        raise TaskParameterError(
            f"{batch.task_id} batch has no session structure (conditions 'session' "
            "and 'trial_in_session'); generate it with task.sessions(...)"
        )
    session = np.asarray(batch.conditions["session"])
    order = np.lexsort((batch.conditions["trial_in_session"], session))
    session_ids, counts = np.unique(session, return_counts=True)
    if len(set(counts.tolist())) != 1:
        raise TaskParameterError(
            f"sessions must have equal numbers of trials to stack, got {sorted(set(counts.tolist()))}; "
            "generate them with task.sessions(n_sessions, trials_per_session)"
        )
    n_sessions, n_trials = len(session_ids), int(counts[0])
    order = order.reshape(n_sessions, n_trials)

    # Gather the unpadded steps of each session's trials, in order, with one
    # flat index per (session, step).
    lengths = _numpy(batch.lengths)[order]  # (session, trial)
    trial_start = np.zeros_like(lengths)
    trial_start[:, 1:] = np.cumsum(lengths, axis=1)[:, :-1]
    session_length = lengths.sum(axis=1)
    n_steps = int(session_length.max())
    step = np.arange(n_steps)
    # trial index within the session for every step: (session, time)
    trial_of_step = (step[None, :, None] >= trial_start[:, None, 1:]).sum(-1)
    valid = step[None, :] < session_length[:, None]
    source_trial = np.take_along_axis(order, trial_of_step, axis=1)
    source_step = step[None, :] - np.take_along_axis(trial_start, trial_of_step, axis=1)
    source_trial = np.where(valid, source_trial, 0)
    source_step = np.where(valid, source_step, 0)

    device = batch.device
    rows = torch.as_tensor(source_trial, device=device)
    cols = torch.as_tensor(source_step, device=device)
    valid_t = torch.as_tensor(valid, device=device)

    def gather(tensor: torch.Tensor, fill: float) -> torch.Tensor:
        out = tensor[rows, cols]
        shape = valid_t.shape + (1,) * (out.ndim - 2)
        return torch.where(valid_t.reshape(shape), out, torch.full_like(out, fill))

    return SessionBatch(
        inputs=gather(batch.inputs, 0.0),
        targets=gather(batch.targets, 0),
        mask=gather(batch.mask, 0.0),
        period=gather(batch.period, PADDING_PERIOD),
        trial=torch.as_tensor(np.where(valid, trial_of_step, -1), device=device),
        trial_start=trial_start,
        conditions={k: np.asarray(v)[order] for k, v in batch.conditions.items()},
        dt=batch.dt,
        input_names=batch.input_names,
        output_names=batch.output_names,
        period_names=batch.period_names,
        task_id=batch.task_id,
        seed=batch.seed,
        task_params=batch.task_params,
    )


def concatenate_batches(
    batches: Sequence[TrialBatch],
    *,
    period_names: Sequence[str] | None = None,
    task_id: str | None = None,
    seed: int | None = None,
    task_params: Mapping[str, Any] | None = None,
) -> TrialBatch:
    """Stack batches of the same input and output layout along the trial axis.

    Shorter batches are padded at the end (``mask`` 0, ``period`` -1). Period
    indices are remapped into the union of the period names. A condition
    missing from some batches is filled with a neutral value (``""``, ``-1``,
    ``False`` or NaN by dtype).

    Parameters
    ----------
    batches
        Batches to stack, at least one.
    period_names
        Period names of the result; by default the union in order of first
        appearance.
    task_id, seed, task_params
        Metadata of the result; by default those of the first batch.

    Returns
    -------
    TrialBatch
        All trials of all batches, in order.

    Raises
    ------
    TaskParameterError
        If the batches differ in dt, inputs, outputs, target kind or device.
    """
    if not batches:
        raise TaskParameterError(
            "concatenate_batches needs at least one batch, got none"
        )
    first = batches[0]
    for other in batches[1:]:
        for attr in ("dt", "input_names", "output_names", "class_targets", "device"):
            if getattr(other, attr) != getattr(first, attr):
                raise TaskParameterError(
                    f"cannot concatenate batches with different {attr}: "
                    f"{getattr(first, attr)!r} vs {getattr(other, attr)!r}"
                )
    names = list(period_names) if period_names is not None else []
    if period_names is None:
        for b in batches:
            names += [p for p in b.period_names if p not in names]
    n_steps = max(b.n_steps for b in batches)

    def pad(tensor: torch.Tensor, fill: float) -> torch.Tensor:
        extra = n_steps - tensor.shape[1]
        if extra == 0:
            return tensor
        shape = (tensor.shape[0], extra, *tensor.shape[2:])
        return torch.cat(
            [tensor, torch.full(shape, fill, dtype=tensor.dtype, device=tensor.device)],
            1,
        )

    periods = []
    for b in batches:
        lookup = torch.as_tensor(
            [names.index(p) for p in b.period_names] + [PADDING_PERIOD], device=b.device
        )
        # index -1 (padding) picks the last lookup entry, which is -1 again
        periods.append(pad(lookup[b.period], PADDING_PERIOD))

    keys = list(dict.fromkeys(k for b in batches for k in b.conditions))
    conditions = {
        k: _concat_condition([b.conditions.get(k) for b in batches], batches)
        for k in keys
    }
    return TrialBatch(
        inputs=torch.cat([pad(b.inputs, 0.0) for b in batches]),
        targets=torch.cat([pad(b.targets, 0) for b in batches]),
        mask=torch.cat([pad(b.mask, 0.0) for b in batches]),
        period=torch.cat(periods),
        conditions=conditions,
        dt=first.dt,
        input_names=first.input_names,
        output_names=first.output_names,
        period_names=tuple(names),
        task_id=task_id if task_id is not None else first.task_id,
        seed=seed if seed is not None else first.seed,
        task_params=dict(task_params)
        if task_params is not None
        else dict(first.task_params),
    )


def _concat_condition(
    values: list[np.ndarray | None], batches: Sequence[TrialBatch]
) -> np.ndarray:
    present = [np.asarray(v) for v in values if v is not None]
    dtype = (
        np.result_type(*present)
        if all(p.dtype.kind != "U" for p in present)
        else np.str_
    )
    parts = []
    for v, b in zip(values, batches, strict=True):
        if v is not None:
            parts.append(
                np.asarray(v).astype(dtype) if dtype is np.str_ else np.asarray(v)
            )
            continue
        kind = np.dtype(dtype).kind
        fill: Any = {"U": "", "b": False, "i": -1, "u": 0}.get(kind, np.nan)
        parts.append(np.full(b.n_trials, fill, dtype=dtype))
    return np.concatenate(parts)
