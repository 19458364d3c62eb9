"""Gymnasium plugin: registers every task id when gymnasium is imported.

Named in ``pyproject.toml`` under the ``gymnasium.envs`` entry-point group with
the name ``__root__``, so the ids live in gymnasium's root namespace and
``gym.make("StimulusSelection-v0")`` works in a fresh interpreter without
importing :mod:`alrnn_tasks`. ``neurogym.make`` goes through ``gym.make`` and
accepts the same ids.

This module runs while gymnasium is half-imported, so it imports only
gymnasium's registration module and the import-free task table; the
environment class itself is loaded lazily by ``gym.make``.
"""

from __future__ import annotations

from alrnn_tasks._catalog import TASKS

ENV_ENTRY_POINT = "alrnn_tasks.env:TaskEnv"


def register_envs() -> None:
    """Register every task id of :data:`alrnn_tasks._catalog.TASKS` with gymnasium.

    Safe to call more than once: ids already registered are left alone.
    """
    from gymnasium.envs.registration import register, registry

    for task_id in TASKS:
        if task_id in registry:
            continue
        register(
            id=task_id,
            entry_point=ENV_ENTRY_POINT,
            kwargs={"task_id": task_id},
        )
