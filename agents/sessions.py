"""Session-style data for truncated BPTT and scoring of whole sessions.

Implicit-rule StimulusSelection-v0 only makes sense across trials: the rule
is inferred from cue trials and must be held through the following block.
Training cuts each session into chunks of ``chunk_trials`` consecutive trials
and carries the hidden state from one chunk to the next (truncated
backpropagation through time); a curriculum can start with short blocks.
Evaluation runs whole sessions and scores the trials after a warm-up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from alrnn_tasks import Task, TrialBatch, get_task
from alrnn_tasks.batch import SessionBatch

__all__ = [
    "curriculum_task",
    "evaluate_sessions",
    "session_lengths",
    "session_outputs_to_trials",
]

# Runs a stacked model: inputs (trial, time, input), initial state or None,
# lengths (trial,) -> outputs (model, trial, time, output), final state.
StackedRun = Callable[
    [torch.Tensor, torch.Tensor | None, torch.Tensor | None],
    tuple[torch.Tensor, torch.Tensor],
]


def curriculum_task(task_id: str, task_params: dict[str, Any], scale: float) -> Task:
    """Return the task with every block of the cycle shortened by ``scale``.

    Parameters
    ----------
    task_id, task_params
        The task as trained at the end of the curriculum.
    scale
        Factor on ``block_lengths`` (1 leaves the task unchanged); non-empty
        blocks keep at least one trial.

    Returns
    -------
    Task
        The task of this curriculum stage.
    """
    task = get_task(task_id, **task_params)
    if scale == 1.0:
        return task
    lengths = task.params.block_lengths
    scaled = tuple(max(1, round(n * scale)) if n > 0 else 0 for n in lengths)
    return get_task(task_id, **{**task_params, "block_lengths": scaled})


def session_lengths(sessions: SessionBatch) -> torch.Tensor:
    """Return ``(session,)`` valid steps of each session sequence."""
    return (sessions.trial >= 0).sum(dim=1)


def session_outputs_to_trials(
    outputs: torch.Tensor, sessions: SessionBatch, batch: TrialBatch
) -> torch.Tensor:
    """Lay session-sequence outputs back out trial by trial, as ``batch`` is.

    Parameters
    ----------
    outputs
        ``(session, time, output)`` outputs on ``sessions``.
    sessions
        ``batch.to_sessions()``.
    batch
        The trial batch the sessions were made from.

    Returns
    -------
    torch.Tensor
        ``(trial, time, output)`` outputs aligned with ``batch`` (0 on padding),
        ready for ``task.score``.
    """
    session_ids = np.unique(batch.conditions["session"])
    session = np.searchsorted(session_ids, batch.conditions["session"])
    trial_in_session = np.asarray(batch.conditions["trial_in_session"])
    first = np.array(
        [trial_in_session[session == s].min() for s in range(len(session_ids))]
    )
    trial = trial_in_session - first[session]

    start = sessions.trial_start[session, trial]  # (trial,)
    steps = np.arange(batch.n_steps)
    source = np.minimum(start[:, None] + steps[None, :], outputs.shape[1] - 1)
    device = outputs.device
    rows = torch.as_tensor(session, device=device)[:, None]
    gathered = outputs[rows, torch.as_tensor(source, device=device)]
    valid = (batch.period >= 0).to(device)[..., None]
    return torch.where(valid, gathered, torch.zeros_like(gathered))


def evaluate_sessions(
    run: StackedRun,
    task: Task,
    n_trials: int,
    seed: int,
    device: torch.device,
    n_models: int,
) -> list[dict[str, float]]:
    """Score stacked models on whole sessions, after one cycle of warm-up.

    Each of ``ceil(n_trials / cycle)`` sessions starts at the beginning of a
    cycle and runs two cycles; the first is warm-up (the network cannot know
    the rule before the first cue block), the second is scored.

    Parameters
    ----------
    run
        Runs the stacked models (see :data:`StackedRun`).
    task
        A session-based task.
    n_trials
        Scored trials wanted (rounded up to whole cycles).
    seed
        Seed of the held-out sessions.
    device
        Device of the trials.
    n_models
        Number of stacked models.

    Returns
    -------
    list of dict
        ``task.score`` of each model on the scored trials.
    """
    cycle = task.cycle_length
    n_sessions = max(1, -(-n_trials // cycle))
    batch = task.sessions(n_sessions, 2 * cycle, seed=seed, device=device)
    sessions = batch.to_sessions()
    with torch.no_grad():
        outputs, _ = run(sessions.inputs, None, session_lengths(sessions))
    scored = np.asarray(batch.conditions["trial_in_session"]) >= cycle
    scored_batch = batch.select(scored)
    index = torch.as_tensor(np.flatnonzero(scored), device=device)
    scores = []
    for k in range(n_models):
        trial_outputs = session_outputs_to_trials(outputs[k], sessions, batch)
        trial_outputs = trial_outputs[index, : scored_batch.n_steps]
        scores.append(task.score(trial_outputs, scored_batch))
    return scores
