"""Task registry: ``list_tasks()`` and ``get_task(task_id, **params)``."""

from __future__ import annotations

import importlib
from typing import Any

from alrnn_tasks._catalog import TASKS
from alrnn_tasks.errors import UnknownTaskError, did_you_mean
from alrnn_tasks.task import Task

__all__ = ["get_task", "list_tasks", "task_class"]

NEUROGYM_PREFIX = "neurogym:"


def list_tasks() -> list[str]:
    """Return the ids of every registered task, sorted.

    Returns
    -------
    list of str
        Versioned ids such as ``"StimulusSelection-v0"``.

    Examples
    --------
    >>> "StimulusSelection-v0" in list_tasks()
    True
    """
    return sorted(TASKS)


def task_class(task_id: str) -> type[Task]:
    """Return the class that generates trials for ``task_id``.

    Parameters
    ----------
    task_id
        A registered id, or ``"neurogym:<id>"`` for a neurogym env.

    Returns
    -------
    type
        The :class:`~alrnn_tasks.task.Task` subclass
        (:class:`~alrnn_tasks.neurogym_source.NeurogymTask` for the prefix).

    Raises
    ------
    UnknownTaskError
        If no task has that id.
    """
    if isinstance(task_id, str) and task_id.startswith(NEUROGYM_PREFIX):
        from alrnn_tasks.neurogym_source import NeurogymTask

        return NeurogymTask
    if not isinstance(task_id, str) or task_id not in TASKS:
        raise UnknownTaskError(
            f"unknown task {task_id!r}{did_you_mean(str(task_id), TASKS)} "
            "(`alrnn_tasks.list_tasks()` or `alrnn tasks` lists all)"
        )
    module_name, class_name = TASKS[task_id].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def get_task(task_id: str, **params: Any) -> Task:
    """Return the task ``task_id`` with the given parameters.

    Parameters
    ----------
    task_id
        A registered id, e.g. ``"StimulusSelection-v0"``, or
        ``"neurogym:<id>"`` to wrap any neurogym env (e.g.
        ``"neurogym:yang19.dms-v0"``) as a task whose trials neurogym makes,
        one at a time (much slower than the package's own tasks).
    **params
        Task parameters; each task's docstring lists them.

    Returns
    -------
    Task
        A batched trial generator.

    Raises
    ------
    UnknownTaskError
        If no task has that id.
    TaskParameterError
        If a parameter is unknown or has a bad value.

    Examples
    --------
    >>> task = get_task("StimulusSelection-v0", rule_cue="explicit")
    >>> batch = task.batch(8, seed=0)
    >>> tuple(batch.inputs.shape[::2])
    (8, 8)
    """
    if isinstance(task_id, str) and task_id.startswith(NEUROGYM_PREFIX):
        # any neurogym env, its trials made by neurogym (slower; see NeurogymTask)
        from alrnn_tasks.neurogym_source import NeurogymTask

        return NeurogymTask.from_params(task_id.removeprefix(NEUROGYM_PREFIX), **params)
    return task_class(task_id)(**params)
