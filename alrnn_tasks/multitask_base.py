"""Shared machinery of the multi-task suite (Driscoll, Shenoy & Sussillo 2024).

Every task of the suite has the same input and output layout, so that one
network can learn all of them and :class:`~alrnn_tasks.multitask.MultiTask`
can mix them in one batch:

- inputs: ``fixation``, modality 1 ``(sin, cos)·strength``, modality 2
  ``(sin, cos)·strength`` and a one-hot rule channel per task of the suite
  (on for the whole trial), plus Gaussian noise;
- outputs (continuous targets): ``fixation`` (0.8 until the go cue, then 0;
  0.8 throughout a no-go trial) and the response direction ``(sin, cos)``
  after the go cue.

A task describes its trials by drawing conditions and a list of
:class:`Stimulus` events (:meth:`SuiteTask._draw_trials`); this module turns
them into inputs, targets, the loss mask and a score.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.random import Streams
from alrnn_tasks.task import Task, TaskParams, Timing, layout_periods

__all__ = [
    "INPUT_NAMES",
    "OUTPUT_NAMES",
    "SUITE_TASKS",
    "Stimulus",
    "SuiteParams",
    "SuiteTask",
    "score_suite",
]

# Order of the rule channels; the suite of Driscoll et al. (2024) plus GoNogo.
SUITE_TASKS: tuple[str, ...] = (
    "DelayPro",
    "DelayAnti",
    "MemoryPro",
    "MemoryAnti",
    "ReactPro",
    "ReactAnti",
    "IntegrationModality1",
    "IntegrationModality2",
    "ContextIntModality1",
    "ContextIntModality2",
    "IntegrationMultimodal",
    "ReactMatch2Sample",
    "ReactNonMatch2Sample",
    "ReactCategoryPro",
    "ReactCategoryAnti",
    "GoNogo",
)
STIMULUS_NAMES = ("mod1_sin", "mod1_cos", "mod2_sin", "mod2_cos")
INPUT_NAMES: tuple[str, ...] = (
    "fixation",
    *STIMULUS_NAMES,
    *(f"rule_{name}" for name in SUITE_TASKS),
)
OUTPUT_NAMES: tuple[str, ...] = ("fixation", "response_sin", "response_cos")
FIRST_RULE_CHANNEL = 1 + len(STIMULUS_NAMES)
# Network output above this on the fixation channel means "still fixating".
FIXATING_THRESHOLD = 0.5


@dataclasses.dataclass(frozen=True)
class SuiteParams(TaskParams):
    """Parameters every task of the suite shares; see :class:`SuiteTask`."""

    tau: float = 100.0  # ms, network time constant; sets α = dt/τ for the noise
    sigma_x: float = 0.1  # input noise; per-step s.d. is sigma_x·sqrt(2/α)
    timing_per_batch: bool = False  # one duration per period for the whole batch
    grace: float = 100.0  # ms with mask 0 at trial start and after the go cue
    mask_before_go: float = 1.0  # loss weight of steps before the go cue
    mask_after_go: float = 5.0  # loss weight of steps after go cue + grace
    fixation_weight: float = 2.0  # extra loss weight of the fixation output
    fixation_target: float = 0.8  # fixation output target before the go cue
    tolerance: float = 0.1  # angle tolerance of the score, in units of π


class Stimulus(NamedTuple):
    """A stimulus shown during some periods of every trial.

    Parameters
    ----------
    periods
        Names of the periods during which it is on.
    angle
        ``(trial,)`` direction in radians.
    strength
        ``(trial, 2)`` amplitude in modality 1 and 2 (0 where absent).
    """

    periods: tuple[str, ...]
    angle: np.ndarray
    strength: np.ndarray


class SuiteTask(Task):
    """Base class of the tasks of the multi-task suite.

    Subclasses set ``task_id``, ``Params`` (a :class:`SuiteParams` subclass
    with one timing field per period, named as the period), ``period_names``
    (the last one is ``"response"``, which starts at the go cue) and
    implement :meth:`_draw_trials`.

    The loss mask is 0 for the first ``grace`` ms and for ``grace`` ms after
    the go cue, ``mask_before_go`` (1) before the go cue and
    ``mask_after_go`` (5) after it. The mask is one weight per step; the
    extra weight of the fixation output (``fixation_weight``, 2) is per
    output and exposed as :attr:`output_weights` (also in
    ``batch.task_params["fixation_weight"]``): a trainer multiplies the
    squared error of each output by it.
    """

    Params: ClassVar[type[TaskParams]] = SuiteParams
    target_kind: ClassVar[str] = "continuous"
    params: SuiteParams

    # -- layout ----------------------------------------------------------
    @property
    def name(self) -> str:
        """Task name without the version (the rule channel's name)."""
        return self.task_id.split("-")[0]

    @property
    def input_names(self) -> tuple[str, ...]:
        """Fixation, two modalities as (sin, cos), one rule channel per task."""
        return INPUT_NAMES

    @property
    def output_names(self) -> tuple[str, ...]:
        """Fixation and the response direction as (sin, cos)."""
        return OUTPUT_NAMES

    @property
    def timing(self) -> dict[str, Timing]:
        """Duration in ms of each period, constant or uniform (low, high)."""
        return {name: getattr(self.params, name) for name in self.period_names}

    @property
    def max_steps(self) -> int:
        """Longest possible trial in steps."""
        return int(sum(int(self.steps(np.max(t))) for t in self.timing.values()))

    @property
    def max_amplitude(self) -> float:
        """Largest stimulus amplitude the task can show."""
        return 1.0

    @property
    def noise_sd(self) -> float:
        """Per-step input noise s.d., sigma_x·sqrt(2/α) with α = dt/τ."""
        alpha = self.dt / float(self.params.tau)
        return float(self.params.sigma_x) * float(np.sqrt(2.0 / alpha))

    @property
    def input_limit(self) -> float:
        """Inputs are clipped to ±(max amplitude + 10 noise s.d.)."""
        return max(1.0, self.max_amplitude) + 10.0 * self.noise_sd

    @property
    def output_weights(self) -> np.ndarray:
        """``(output,)`` loss weight per output: fixation ×``fixation_weight``."""
        return np.array([self.params.fixation_weight, 1.0, 1.0], dtype=np.float32)

    # -- validation ------------------------------------------------------
    def _validate(self) -> None:
        p = self.params
        for name, timing in self.timing.items():
            self.check_timing(name, timing, allow_zero=name.startswith("delay"))
        positive = {"tau": p.tau, "tolerance": p.tolerance}
        non_negative = {
            "sigma_x": p.sigma_x,
            "grace": p.grace,
            "mask_before_go": p.mask_before_go,
            "mask_after_go": p.mask_after_go,
            "fixation_weight": p.fixation_weight,
        }
        for name, value in {**positive, **non_negative}.items():
            least_ok = value > 0 if name in positive else value >= 0
            if not _is_number(value) or not least_ok or not np.isfinite(value):
                bound = "> 0" if name in positive else ">= 0"
                raise TaskParameterError(
                    f"{self.task_id}: {name} must be a finite number {bound}, got {value!r}"
                )
        if not _is_number(p.fixation_target) or not 0.5 < p.fixation_target <= 1:
            raise TaskParameterError(
                f"{self.task_id}: fixation_target must lie in (0.5, 1] so that the "
                f"score reads it as fixating, got {p.fixation_target!r}"
            )
        if p.tolerance > 1:
            raise TaskParameterError(
                f"{self.task_id}: tolerance is in units of π and must be <= 1, "
                f"got {p.tolerance!r}"
            )
        if not isinstance(p.timing_per_batch, bool):
            raise TaskParameterError(
                f"{self.task_id}: timing_per_batch must be True or False, "
                f"got {p.timing_per_batch!r}"
            )
        self._validate_task()

    def _validate_task(self) -> None:
        """Check the task's own parameters (ranges, probabilities)."""

    def check_range(self, name: str, low: float = 0.0, high: float = np.inf) -> None:
        """Raise unless parameter ``name`` is ``(a, b)`` with low <= a <= b <= high.

        Parameters
        ----------
        name
            Parameter name.
        low, high
            Bounds of the allowed interval.
        """
        value = getattr(self.params, name)
        valid = (
            isinstance(value, tuple | list)
            and len(value) == 2
            and all(_is_number(v) for v in value)
            and low <= value[0] <= value[1] <= high
        )
        if not valid:
            raise TaskParameterError(
                f"{self.task_id}: {name} must be (low, high) with "
                f"{low} <= low <= high <= {high}, got {value!r}"
            )

    def check_probability(self, name: str) -> None:
        """Raise unless parameter ``name`` is a probability.

        Parameters
        ----------
        name
            Parameter name.
        """
        value = getattr(self.params, name)
        if not _is_number(value) or not 0 <= value <= 1:
            raise TaskParameterError(
                f"{self.task_id}: {name} must be a probability in [0, 1], got {value!r}"
            )

    # -- what subclasses provide -----------------------------------------
    def _draw_trials(
        self, n_trials: int, streams: Streams
    ) -> tuple[dict[str, np.ndarray], list[Stimulus]]:
        """Draw the conditions and stimuli of ``n_trials`` trials.

        The conditions must contain ``go`` (bool) and ``response_angle``
        (radians, NaN on no-go trials).
        """
        raise NotImplementedError

    # -- generation ------------------------------------------------------
    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        conditions, stimuli = self._draw_trials(n_trials, streams)
        period, starts, _ = layout_periods(self._durations(n_trials, streams))
        go_step = starts[:, self.period_names.index("response")]
        conditions = {
            "task": np.full(n_trials, self.name),
            **conditions,
            "go_onset": go_step * self.dt,
        }
        return {
            "inputs": self._inputs(period, go_step, stimuli, streams),
            "targets": self._targets(period, go_step, conditions),
            "mask": self._mask(period, go_step),
            "period": period,
            "conditions": conditions,
        }

    def _durations(self, n_trials: int, streams: Streams) -> list[np.ndarray]:
        # One draw for the whole batch is the first draw of the same stream,
        # so a shared duration is still the same for every batch size.
        count = 1 if self.params.timing_per_batch else n_trials
        return [
            np.broadcast_to(self.draw_duration(streams, name, t, count), (n_trials,))
            for name, t in self.timing.items()
        ]

    def _inputs(
        self,
        period: np.ndarray,
        go_step: np.ndarray,
        stimuli: list[Stimulus],
        streams: Streams,
    ) -> np.ndarray:
        n_trials, n_steps = period.shape
        in_trial = period != PADDING_PERIOD
        # Start from the scaled noise (0 on padding), one pass over the array.
        if self.noise_sd > 0:
            noise = self.input_noise(streams, n_trials, n_steps, len(INPUT_NAMES))
            scale = torch.from_numpy(in_trial.astype(np.float32) * self.noise_sd)
            inputs = torch.mul(noise, scale[..., None]).numpy()
        else:
            inputs = np.zeros((n_trials, n_steps, len(INPUT_NAMES)), dtype=np.float32)

        time = np.arange(n_steps)
        inputs[..., 0] += in_trial & (time[None, :] < go_step[:, None])
        for stimulus in stimuli:
            on = np.zeros_like(in_trial)
            for name in stimulus.periods:
                on |= period == self.period_names.index(name)
            angle = stimulus.angle
            direction = np.stack([np.sin(angle), np.cos(angle)], 1)
            # (trial, modality * (sin, cos)) in channel order mod1_sin ... mod2_cos
            vector = stimulus.strength[:, :, None] * direction[:, None, :]
            vector = vector.reshape(n_trials, 1, 4).astype(np.float32)
            inputs[..., 1:FIRST_RULE_CHANNEL] += on[..., None] * vector
        inputs[..., FIRST_RULE_CHANNEL + SUITE_TASKS.index(self.name)] += in_trial

        limit = self.input_limit
        return np.clip(inputs, -limit, limit, out=inputs)

    def _targets(
        self,
        period: np.ndarray,
        go_step: np.ndarray,
        conditions: dict[str, np.ndarray],
    ) -> np.ndarray:
        n_trials, n_steps = period.shape
        in_trial = period != PADDING_PERIOD
        after_go = np.arange(n_steps)[None, :] >= go_step[:, None]
        go = conditions["go"][:, None]
        respond = in_trial & after_go & go  # (trial, time)
        angle = np.nan_to_num(conditions["response_angle"])[:, None]

        targets = np.zeros((n_trials, n_steps, 3), dtype=np.float32)
        targets[..., 0] = self.params.fixation_target * (in_trial & ~respond)
        targets[..., 1] = np.where(respond, np.sin(angle), 0.0)
        targets[..., 2] = np.where(respond, np.cos(angle), 0.0)
        return targets

    def _mask(self, period: np.ndarray, go_step: np.ndarray) -> np.ndarray:
        p = self.params
        grace = int(self.steps(p.grace))
        time = np.arange(period.shape[1])[None, :]
        go = go_step[:, None]
        weight = np.where(time < go, p.mask_before_go, p.mask_after_go)
        ignored = (time < grace) | ((time >= go) & (time < go + grace))
        mask = np.where(ignored, 0.0, weight) * (period != PADDING_PERIOD)
        return mask.astype(np.float32)

    # -- scoring ---------------------------------------------------------
    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Accuracy at the last step of each trial, overall and per task.

        At the last step of a trial, a fixation output above 0.5 means
        fixating. A trial that asks for a response is correct when the
        network does not fixate and the direction ``atan2(sin, cos)`` of its
        response outputs lies within ``tolerance``·π of the target; a no-go
        trial is correct when the network still fixates.

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
            ``accuracy/nogo``. NaN where a group has no trials.
        """
        return score_suite(outputs, batch, self.params.tolerance, self.task_id)


def score_suite(
    outputs: torch.Tensor | np.ndarray,
    batch: TrialBatch,
    tolerance: float,
    task_id: str,
) -> dict[str, float]:
    """Score suite outputs; see :meth:`SuiteTask.score`.

    Parameters
    ----------
    outputs
        ``(trial, time, 3)`` network outputs.
    batch
        The batch they were computed on.
    tolerance
        Angle tolerance in units of π.
    task_id
        For error messages.

    Returns
    -------
    dict of str to float
        The accuracies.
    """
    correct = suite_correct(outputs, batch, tolerance, task_id)
    tasks = np.asarray(batch.conditions["task"])
    go = np.asarray(batch.conditions["go"], dtype=bool)
    per_task = {
        f"accuracy/{name}": _mean(correct[tasks == name])
        for name in SUITE_TASKS
        if (tasks == name).any()
    }
    return {
        "accuracy": _mean(correct),
        **per_task,
        "accuracy/task_mean": float(np.mean(list(per_task.values()))),
        "accuracy/go": _mean(correct[go]),
        "accuracy/nogo": _mean(correct[~go]),
    }


def suite_correct(
    outputs: torch.Tensor | np.ndarray,
    batch: TrialBatch,
    tolerance: float,
    task_id: str,
) -> np.ndarray:
    """Return ``(trial,)`` bool: whether each trial was answered correctly.

    Parameters
    ----------
    outputs
        ``(trial, time, 3)`` network outputs.
    batch
        The batch they were computed on.
    tolerance
        Angle tolerance in units of π.
    task_id
        For error messages.

    Returns
    -------
    numpy.ndarray
        The criterion of :meth:`SuiteTask.score` per trial.
    """
    if isinstance(outputs, torch.Tensor):
        outputs = outputs.detach().cpu().numpy()
    outputs = np.asarray(outputs)
    expected = (batch.n_trials, batch.n_steps, len(OUTPUT_NAMES))
    if outputs.shape != expected:
        raise TaskParameterError(
            f"{task_id}: outputs must have shape (trial, time, output) = {expected}, "
            f"got {outputs.shape}; pass the network's outputs on this batch"
        )
    last = batch.lengths.detach().cpu().numpy() - 1
    final = outputs[np.arange(batch.n_trials), last]  # (trial, output)
    fixating = final[:, 0] > FIXATING_THRESHOLD
    angle = np.arctan2(final[:, 1], final[:, 2])
    target = np.asarray(batch.conditions["response_angle"], dtype=float)
    error = np.abs(np.angle(np.exp(1j * (angle - np.nan_to_num(target)))))
    go = np.asarray(batch.conditions["go"], dtype=bool)
    return np.where(go, ~fixating & (error <= tolerance * np.pi), fixating)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if np.size(values) else float("nan")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool
    )
