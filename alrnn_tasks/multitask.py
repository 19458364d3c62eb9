"""The multi-task suite of Driscoll, Shenoy & Sussillo (2024), plus GoNogo.

One registered id per task (``DelayPro-v0`` ... ``SuiteGoNogo-v0``, see
:data:`TASK_CLASSES`) and ``MultiTask-v0``, which mixes them in one batch.
The tasks live in :mod:`alrnn_tasks.multitask_tasks` and
:mod:`alrnn_tasks.multitask_decision`; their shared layout, mask and score in
:mod:`alrnn_tasks.multitask_base`.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import torch

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError, did_you_mean
from alrnn_tasks.multitask_base import (
    INPUT_NAMES,
    OUTPUT_NAMES,
    SUITE_TASKS,
    SuiteParams,
    SuiteTask,
    score_suite,
)
from alrnn_tasks.multitask_decision import (
    ContextIntModality1,
    ContextIntModality2,
    IntegrationModality1,
    IntegrationModality2,
    IntegrationMultimodal,
    ReactCategoryAnti,
    ReactCategoryPro,
    ReactMatch2Sample,
    ReactNonMatch2Sample,
)
from alrnn_tasks.multitask_tasks import (
    DelayAnti,
    DelayPro,
    GoNogo,
    MemoryAnti,
    MemoryPro,
    ReactAnti,
    ReactPro,
)
from alrnn_tasks.random import Streams, child_seed
from alrnn_tasks.task import Task, TaskParams

__all__ = ["SUITE_TASKS", "TASK_CLASSES", "MultiTask", "MultiTaskParams"]

TASK_CLASSES: dict[str, type[SuiteTask]] = dict(
    zip(
        SUITE_TASKS,
        (
            DelayPro,
            DelayAnti,
            MemoryPro,
            MemoryAnti,
            ReactPro,
            ReactAnti,
            IntegrationModality1,
            IntegrationModality2,
            ContextIntModality1,
            ContextIntModality2,
            IntegrationMultimodal,
            ReactMatch2Sample,
            ReactNonMatch2Sample,
            ReactCategoryPro,
            ReactCategoryAnti,
            GoNogo,
        ),
        strict=True,
    )
)
# Order of the union of the tasks' periods in a mixed batch.
PERIOD_ORDER = (
    "fixation",
    "stimulus",
    "stimulus1",
    "delay1",
    "stimulus2",
    "delay2",
    "sample",
    "delay",
    "response",
)
_SHARED_FIELDS = tuple(f.name for f in dataclasses.fields(SuiteParams))


@dataclasses.dataclass(frozen=True)
class MultiTaskParams(SuiteParams):
    """Parameters of :class:`MultiTask`; see its docstring."""

    tasks: tuple[str, ...] = SUITE_TASKS  # names of the tasks to mix
    weights: tuple[float, ...] | None = None  # relative frequency; None: uniform
    one_task_per_batch: bool = False  # every trial of a batch from one drawn task


class MultiTask(Task):
    """MultiTask: the tasks of the suite mixed in one batch.

    **Description.** Each trial belongs to one task of the suite, drawn
    independently per trial, uniformly over ``tasks`` by default or with
    ``weights`` (the reference schedule weights ContextIntModality1 and 2
    ×5); with ``one_task_per_batch=True`` one task is drawn for the whole
    batch. The rule input tells the network which task a trial belongs to.
    Each task's trials follow that task's own spec and default timing
    (:data:`TASK_CLASSES`); trials of different lengths share the batch,
    padded at the end with mask 0 and period -1. The ``task`` condition
    names each trial's task.

    **Periods.** The union of the tasks' periods, in the order fixation,
    stimulus, stimulus1, delay1, stimulus2, delay2, sample, delay, response;
    each trial uses its task's periods. ``response`` always starts at the go
    cue.

    **Observations** (``Box(21,)`` float32; Gaussian noise of s.d.
    sigma_x·sqrt(2/α), α = dt/τ, on every channel):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus: strength·(sin θ, cos θ)
    5-20   rule_<task>         one-hot rule of the trial's task, in the
                               order of :data:`SUITE_TASKS`
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** As each task's: fixation 0.8 until the go cue
    (throughout on no-go trials), response (sin, cos) after it; loss mask 0
    for the first 100 ms and 100 ms after the go cue, 1 before, 5 after;
    fixation output ×2 (:attr:`output_weights`). Reward: minus the
    mask-weighted squared error.

    **Episode end.** Never: trials follow each other.

    **Score.** :meth:`score` applies the suite criterion (see
    :meth:`~alrnn_tasks.multitask_base.SuiteTask.score`) and reports
    accuracy overall, per task and the mean over tasks.

    **Reproducibility.** The task of every trial comes from one stream, and
    the trials of task ``j`` are the first trials of that task's own stream
    (seeded from the batch seed and ``j``), so the first ``k`` trials of a
    batch are the same for every batch size.

    Parameters
    ----------
    tasks : tuple of str
        Task names (without version) to mix; default all 16.
    weights : tuple of float or None
        Relative frequency of each of ``tasks``; ``None`` for uniform.
    one_task_per_batch : bool
        Draw one task per batch instead of per trial.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        Shared by every task, as in
        :class:`~alrnn_tasks.multitask_tasks.DelayPro`.

    References
    ----------
    Driscoll, L. N., Shenoy, K. & Sussillo, D. (2024). Flexible multitask
    computation in recurrent networks utilizes shared dynamical motifs.
    *Nat. Neurosci.* 27, 1349-1363.

    Yang, G. R. et al. (2019). Task representations in neural networks
    trained to perform many cognitive tasks. *Nat. Neurosci.* 22, 297-306.

    Notes
    -----
    Version history: v0, first release.

    Examples
    --------
    >>> task = MultiTask(tasks=("DelayPro", "GoNogo"))
    >>> batch = task.batch(8, seed=0)
    >>> sorted(set(batch.conditions["task"]))
    ['DelayPro', 'GoNogo']
    """

    task_id: ClassVar[str] = "MultiTask-v0"
    Params: ClassVar[type[TaskParams]] = MultiTaskParams
    target_kind: ClassVar[str] = "continuous"
    params: MultiTaskParams

    # -- layout ----------------------------------------------------------
    @property
    def input_names(self) -> tuple[str, ...]:
        """Fixation, two modalities as (sin, cos), one rule channel per task."""
        return INPUT_NAMES

    @property
    def output_names(self) -> tuple[str, ...]:
        """Fixation and the response direction as (sin, cos)."""
        return OUTPUT_NAMES

    @property
    def period_names(self) -> tuple[str, ...]:
        """Union of the mixed tasks' periods."""
        used = {name for task in self.subtasks for name in task.period_names}
        return tuple(name for name in PERIOD_ORDER if name in used)

    @property
    def max_steps(self) -> int:
        """Longest possible trial of any mixed task."""
        return max(task.max_steps for task in self.subtasks)

    @property
    def input_limit(self) -> float:
        """Largest input bound of the mixed tasks."""
        return max(task.input_limit for task in self.subtasks)

    @property
    def output_weights(self) -> np.ndarray:
        """``(output,)`` loss weight per output: fixation ×``fixation_weight``."""
        return self.subtasks[0].output_weights

    @property
    def probabilities(self) -> np.ndarray:
        """``(task,)`` probability of each of ``tasks``."""
        weights = self.params.weights
        if weights is None:
            return np.full(len(self.params.tasks), 1.0 / len(self.params.tasks))
        weights = np.asarray(weights, dtype=float)
        return weights / weights.sum()

    def _validate(self) -> None:
        p = self.params
        if not isinstance(p.tasks, tuple | list) or not p.tasks:
            raise TaskParameterError(
                f"{self.task_id}: tasks must be a non-empty tuple of task names "
                f"(from {', '.join(SUITE_TASKS)}), got {p.tasks!r}"
            )
        for name in p.tasks:
            if name not in TASK_CLASSES:
                raise TaskParameterError(
                    f"{self.task_id}: unknown task {name!r} in tasks"
                    f"{did_you_mean(str(name), SUITE_TASKS)} (choose from "
                    f"{', '.join(SUITE_TASKS)})"
                )
        if len(set(p.tasks)) != len(p.tasks):
            raise TaskParameterError(
                f"{self.task_id}: tasks must not repeat, got {p.tasks!r}; "
                "use weights for unequal frequencies"
            )
        if p.weights is not None:
            weights = np.asarray(p.weights, dtype=float)
            valid = (
                weights.shape == (len(p.tasks),)
                and np.isfinite(weights).all()
                and (weights >= 0).all()
                and weights.sum() > 0
            )
            if not valid:
                raise TaskParameterError(
                    f"{self.task_id}: weights must be {len(p.tasks)} finite numbers "
                    f">= 0, not all 0 (one per task), got {p.weights!r}"
                )
        if not isinstance(p.one_task_per_batch, bool):
            raise TaskParameterError(
                f"{self.task_id}: one_task_per_batch must be True or False, "
                f"got {p.one_task_per_batch!r}"
            )
        shared = {name: getattr(p, name) for name in _SHARED_FIELDS}
        self.subtasks = [TASK_CLASSES[name](**shared) for name in p.tasks]

    # -- generation ------------------------------------------------------
    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        uniform = streams("task").random(n_trials)
        if self.params.one_task_per_batch:
            uniform = np.full(n_trials, uniform[0])
        edges = np.cumsum(self.probabilities)
        choice = np.minimum(
            np.searchsorted(edges, uniform * edges[-1], side="right"),
            len(self.subtasks) - 1,
        )

        groups = []
        for index, task in enumerate(self.subtasks):
            trials = np.flatnonzero(choice == index)
            if len(trials) == 0:
                continue
            # The task's own stream, so that its k-th trial does not depend
            # on how many trials of other tasks the batch has.
            seed = child_seed(streams.seed, SUITE_TASKS.index(task.name))
            groups.append((trials, task, task._generate(len(trials), Streams(seed))))
        return self._combine(n_trials, groups)

    def _combine(
        self, n_trials: int, groups: list[tuple[np.ndarray, SuiteTask, dict[str, Any]]]
    ) -> dict[str, Any]:
        n_steps = max(arrays["period"].shape[1] for _, _, arrays in groups)
        inputs = np.zeros((n_trials, n_steps, len(INPUT_NAMES)), dtype=np.float32)
        targets = np.zeros((n_trials, n_steps, len(OUTPUT_NAMES)), dtype=np.float32)
        mask = np.zeros((n_trials, n_steps), dtype=np.float32)
        period = np.full((n_trials, n_steps), PADDING_PERIOD, dtype=np.int64)
        names = self.period_names
        for trials, task, arrays in groups:
            steps = arrays["period"].shape[1]
            # the last entry maps padding (-1) to padding
            lookup = np.array([names.index(p) for p in task.period_names] + [-1])
            inputs[trials, :steps] = arrays["inputs"]
            targets[trials, :steps] = arrays["targets"]
            mask[trials, :steps] = arrays["mask"]
            period[trials, :steps] = lookup[arrays["period"]]
        conditions = _merge_conditions(
            n_trials, [(trials, arrays["conditions"]) for trials, _, arrays in groups]
        )
        return {
            "inputs": inputs,
            "targets": targets,
            "mask": mask,
            "period": period,
            "conditions": conditions,
        }

    # -- scoring ---------------------------------------------------------
    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Accuracy at the last step of each trial, overall and per task.

        Parameters
        ----------
        outputs
            ``(trial, time, 3)`` network outputs for ``batch``.
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy``, ``accuracy/<task>`` for each task in the batch,
            ``accuracy/task_mean`` (mean over tasks), ``accuracy/go`` and
            ``accuracy/nogo``.
        """
        return score_suite(outputs, batch, self.params.tolerance, self.task_id)


def _merge_conditions(
    n_trials: int, parts: list[tuple[np.ndarray, dict[str, np.ndarray]]]
) -> dict[str, np.ndarray]:
    """Scatter each group's conditions into ``(trial,)`` arrays.

    A condition that some tasks lack is filled with a neutral value by dtype:
    ``""``, ``-1``, ``False`` or NaN.
    """
    keys = list(dict.fromkeys(key for _, conditions in parts for key in conditions))
    merged = {}
    for key in keys:
        present = [np.asarray(c[key]) for _, c in parts if key in c]
        dtype = np.result_type(*present)
        fill: Any = {"U": "", "b": False, "i": -1, "u": 0}.get(dtype.kind, np.nan)
        if dtype.kind == "U":
            dtype = np.dtype(f"U{max(p.dtype.itemsize // 4 for p in present)}")
        values = np.full(n_trials, fill, dtype=dtype)
        for trials, conditions in parts:
            if key in conditions:
                values[trials] = conditions[key]
        merged[key] = values
    return merged
