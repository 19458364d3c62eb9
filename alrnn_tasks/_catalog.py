"""Where each task id lives: the one table behind the registry and gymnasium.

Kept free of imports so that gymnasium can read it while it is itself being
imported (see :mod:`alrnn_tasks._gym_plugin`).
"""

from __future__ import annotations

# task id -> "module:class" of its batched trial generator
TASKS: dict[str, str] = {
    "StimulusSelection-v0": "alrnn_tasks.stimulus_selection:StimulusSelection",
    # multi-task suite (Driscoll et al. 2024) and its mixture
    "DelayPro-v0": "alrnn_tasks.multitask:DelayPro",
    "DelayAnti-v0": "alrnn_tasks.multitask:DelayAnti",
    "MemoryPro-v0": "alrnn_tasks.multitask:MemoryPro",
    "MemoryAnti-v0": "alrnn_tasks.multitask:MemoryAnti",
    "ReactPro-v0": "alrnn_tasks.multitask:ReactPro",
    "ReactAnti-v0": "alrnn_tasks.multitask:ReactAnti",
    "IntegrationModality1-v0": "alrnn_tasks.multitask:IntegrationModality1",
    "IntegrationModality2-v0": "alrnn_tasks.multitask:IntegrationModality2",
    "ContextIntModality1-v0": "alrnn_tasks.multitask:ContextIntModality1",
    "ContextIntModality2-v0": "alrnn_tasks.multitask:ContextIntModality2",
    "IntegrationMultimodal-v0": "alrnn_tasks.multitask:IntegrationMultimodal",
    "ReactMatch2Sample-v0": "alrnn_tasks.multitask:ReactMatch2Sample",
    "ReactNonMatch2Sample-v0": "alrnn_tasks.multitask:ReactNonMatch2Sample",
    "ReactCategoryPro-v0": "alrnn_tasks.multitask:ReactCategoryPro",
    "ReactCategoryAnti-v0": "alrnn_tasks.multitask:ReactCategoryAnti",
    # neurogym's own GoNogo-v0 keeps that id
    "SuiteGoNogo-v0": "alrnn_tasks.multitask:GoNogo",
    "MultiTask-v0": "alrnn_tasks.multitask:MultiTask",
    # sequence benchmarks
    "CopyMemory-v0": "alrnn_tasks.sequence:CopyMemory",
    "CopyMemoryVariableDelay-v0": "alrnn_tasks.sequence:CopyMemoryVariableDelay",
    "Addition-v0": "alrnn_tasks.sequence:Addition",
    "ContextualIntegration-v0": "alrnn_tasks.sequence:ContextualIntegration",
    "SequentialDigits-v0": "alrnn_tasks.sequence_digits:SequentialDigits",
}
