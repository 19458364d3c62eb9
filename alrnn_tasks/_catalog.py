"""Where each task id lives: the one table behind the registry and gymnasium.

Kept free of imports so that gymnasium can read it while it is itself being
imported (see :mod:`alrnn_tasks._gym_plugin`).
"""

from __future__ import annotations

# task id -> "module:class" of its batched trial generator
TASKS: dict[str, str] = {
    "StimulusSelection-v0": "alrnn_tasks.stimulus_selection:StimulusSelection",
}
