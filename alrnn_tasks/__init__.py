"""Cognitive-neuroscience tasks as batched trial generators and Gymnasium envs.

Every task is one vectorised generator of whole trial batches
(:meth:`Task.batch`); the Gymnasium environment (a ``neurogym.TrialEnv``) and
the vector environment draw their trials from it. Task ids are registered with
gymnasium through an entry point, so ``gym.make("StimulusSelection-v0")``
works without importing this package.

Attributes are loaded on first use, so that gymnasium can import the
registration plugin (``alrnn_tasks._gym_plugin``) while it is itself being
imported, without pulling in torch and neurogym.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "TrialBatch": "alrnn_tasks.batch",
    "SessionBatch": "alrnn_tasks.batch",
    "concatenate_batches": "alrnn_tasks.batch",
    "Task": "alrnn_tasks.task",
    "TaskParams": "alrnn_tasks.task",
    "list_tasks": "alrnn_tasks.registry",
    "get_task": "alrnn_tasks.registry",
    "TaskEnv": "alrnn_tasks.env",
    "TaskVectorEnv": "alrnn_tasks.vector_env",
    "AlrnnTasksError": "alrnn_tasks.errors",
    "AlrnnTasksWarning": "alrnn_tasks.errors",
    "TaskParameterError": "alrnn_tasks.errors",
    "UnknownTaskError": "alrnn_tasks.errors",
}

__all__ = [
    "AlrnnTasksError",
    "AlrnnTasksWarning",
    "SessionBatch",
    "Task",
    "TaskEnv",
    "TaskParameterError",
    "TaskParams",
    "TaskVectorEnv",
    "TrialBatch",
    "UnknownTaskError",
    "__version__",
    "concatenate_batches",
    "get_task",
    "list_tasks",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from alrnn_tasks.batch import SessionBatch, TrialBatch, concatenate_batches
    from alrnn_tasks.env import TaskEnv
    from alrnn_tasks.errors import (
        AlrnnTasksError,
        AlrnnTasksWarning,
        TaskParameterError,
        UnknownTaskError,
    )
    from alrnn_tasks.registry import get_task, list_tasks
    from alrnn_tasks.task import Task, TaskParams
    from alrnn_tasks.vector_env import TaskVectorEnv


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'alrnn_tasks' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
