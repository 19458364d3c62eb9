"""Sequence benchmarks: copy memory, addition and contextual integration.

Machine-learning benchmarks of long-range memory and integration, written as
batched tasks so that they train, record and dissect like the cognitive
tasks. Their durations are counted in steps; ``dt`` only labels the time axis
(ms per step). :mod:`alrnn_tasks.sequence_digits` holds SequentialDigits-v0.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np
import torch

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.random import Streams
from alrnn_tasks.task import Task, TaskParams, layout_periods

__all__ = [
    "Addition",
    "ContextualIntegration",
    "CopyMemory",
    "CopyMemoryVariableDelay",
    "draw_steps",
    "final_outputs",
]

# A number of steps: a constant, or (low, high) drawn uniformly, both included.
Steps = int | tuple[int, int]


def draw_steps(streams: Streams, name: str, steps: Steps, n_trials: int) -> np.ndarray:
    """Draw ``(trial,)`` integer step counts from stream ``name``.

    Parameters
    ----------
    streams
        The batch's random streams.
    name
        Stream name.
    steps
        A constant, or ``(low, high)`` for a uniform integer draw, both ends
        included.
    n_trials
        Number of trials.

    Returns
    -------
    numpy.ndarray
        int64 step counts.
    """
    if isinstance(steps, tuple | list):
        return streams(name).integers(steps[0], steps[1] + 1, n_trials)
    return np.full(n_trials, int(steps), dtype=np.int64)


def check_steps(task_id: str, name: str, steps: Any, least: int) -> None:
    """Raise unless ``steps`` is an int >= ``least`` or such a (low, high) pair.

    Parameters
    ----------
    task_id
        For the message.
    name
        Parameter name.
    steps
        The value given.
    least
        Smallest allowed count.
    """
    bounds = tuple(steps) if isinstance(steps, tuple | list) else (steps, steps)
    valid = (
        len(bounds) == 2
        and all(
            isinstance(b, int | np.integer) and not isinstance(b, bool) for b in bounds
        )
        and least <= bounds[0] <= bounds[1]
    )
    if not valid:
        raise TaskParameterError(
            f"{task_id}: {name} must be an integer number of steps >= {least}, or "
            f"(low, high) with {least} <= low <= high, got {steps!r}"
        )


def final_outputs(
    outputs: torch.Tensor | np.ndarray, batch: TrialBatch, n_outputs: int, task_id: str
) -> tuple[np.ndarray, np.ndarray]:
    """Check the shape of ``outputs`` and return them and their last valid step.

    Parameters
    ----------
    outputs
        ``(trial, time, output)`` network outputs.
    batch
        The batch they were computed on.
    n_outputs
        Expected number of outputs.
    task_id
        For the message.

    Returns
    -------
    outputs : numpy.ndarray
        ``(trial, time, output)`` as numpy.
    final : numpy.ndarray
        ``(trial, output)`` outputs at each trial's last step.
    """
    if isinstance(outputs, torch.Tensor):
        outputs = outputs.detach().cpu().numpy()
    outputs = np.asarray(outputs)
    expected = (batch.n_trials, batch.n_steps, n_outputs)
    if outputs.shape != expected:
        raise TaskParameterError(
            f"{task_id}: outputs must have shape (trial, time, output) = {expected}, "
            f"got {outputs.shape}; pass the network's outputs on this batch"
        )
    last = batch.lengths.detach().cpu().numpy() - 1
    return outputs, outputs[np.arange(batch.n_trials), last]


@dataclasses.dataclass(frozen=True)
class CopyMemoryParams(TaskParams):
    """Parameters of :class:`CopyMemory`; see its docstring."""

    n_symbols: int = 4  # alphabet size
    length: int = 8  # symbols to copy
    delay: Steps = 100  # blank steps between the sequence and the cue
    mask_recall_only: bool = False  # loss on recall steps only (default: all)


class CopyMemory(Task):
    """CopyMemory: reproduce a sequence of symbols after a long blank delay.

    **Description.** The copy-memory problem of Hochreiter & Schmidhuber
    (1997) in the form of Arjovsky et al. (2016): ``length`` (8) symbols drawn
    uniformly and independently from ``n_symbols`` (4) are shown one per
    step, then ``delay`` (100) blank steps, then a one-step cue; after the
    cue the network must output the symbols in order, one per step, and
    output "blank" everywhere else. A network without memory scores the
    chance level 1/n_symbols per recalled symbol.

    **Periods** (in steps):

    ==========  ==============  ===================================
    period      steps           what happens
    ==========  ==============  ===================================
    sequence    ``length``      one symbol per step
    delay       ``delay``       blank
    cue         1               cue channel on
    recall      ``length``      blank input; output the symbols
    ==========  ==============  ===================================

    **Observations** (``Box``, float32, one-hot, no noise):

    ==============  ===========  ====================================
    index           name         meaning
    ==============  ===========  ====================================
    0 … n-1         symbol_k     symbol k shown (sequence period)
    n               blank        on during delay and recall
    n + 1           cue          on at the cue step
    ==============  ===========  ====================================

    **Actions** ``Discrete(n_symbols + 1)``: 0 blank, k the k-th symbol.

    **Targets and reward.** Class targets: blank (0) everywhere except the
    recall period, where the target of recall step j is symbol j + 1. Mask 1
    on every step (as in Arjovsky et al.), or on recall steps only with
    ``mask_recall_only=True``. Environment reward: 1 per masked step whose
    action equals the target.

    **Episode end.** Never: trials follow each other.

    **Score.** ``accuracy``: fraction of trials with every symbol recalled;
    ``symbol_accuracy``: fraction of recalled symbols right.

    **Conditions.** ``symbols`` (the sequence as a string of digits
    1 … n), ``delay`` (steps).

    Parameters
    ----------
    n_symbols : int
        Alphabet size, 1-9.
    length : int
        Symbols to copy.
    delay : int or (int, int)
        Blank steps, constant or uniform (both ends included).
    mask_recall_only : bool
        Put the loss on recall steps only.
    dt : float
        ms per step; only labels the time axis.

    References
    ----------
    Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory.
    *Neural Comput.* 9(8), 1735-1780.

    Arjovsky, M., Shah, A. & Bengio, Y. (2016). Unitary evolution recurrent
    neural networks. *ICML*.

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "CopyMemory-v0"
    Params: ClassVar[type[TaskParams]] = CopyMemoryParams
    target_kind: ClassVar[str] = "class"
    params: CopyMemoryParams

    @property
    def input_names(self) -> tuple[str, ...]:
        """One channel per symbol, blank and cue."""
        symbols = tuple(f"symbol_{k}" for k in range(1, self.params.n_symbols + 1))
        return (*symbols, "blank", "cue")

    @property
    def output_names(self) -> tuple[str, ...]:
        """Blank and one class per symbol."""
        symbols = tuple(f"symbol_{k}" for k in range(1, self.params.n_symbols + 1))
        return ("blank", *symbols)

    @property
    def period_names(self) -> tuple[str, ...]:
        """Sequence, delay, cue, recall."""
        return ("sequence", "delay", "cue", "recall")

    @property
    def max_steps(self) -> int:
        """Longest possible trial in steps."""
        delay = self.params.delay
        longest = delay[1] if isinstance(delay, tuple | list) else delay
        return 2 * self.params.length + int(longest) + 1

    @property
    def input_limit(self) -> float:
        """Inputs are one-hot."""
        return 1.0

    def _validate(self) -> None:
        p = self.params
        check_steps(self.task_id, "n_symbols", p.n_symbols, 1)
        check_steps(self.task_id, "length", p.length, 1)
        check_steps(self.task_id, "delay", p.delay, 0)
        if p.n_symbols > 9:
            raise TaskParameterError(
                f"{self.task_id}: n_symbols must be at most 9 (one digit per symbol in "
                f"the 'symbols' condition), got {p.n_symbols}"
            )
        if not isinstance(p.mask_recall_only, bool):
            raise TaskParameterError(
                f"{self.task_id}: mask_recall_only must be True or False, "
                f"got {p.mask_recall_only!r}"
            )

    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        p = self.params
        symbols = streams("symbols").integers(0, p.n_symbols, (n_trials, p.length))
        delay = draw_steps(streams, "delay", p.delay, n_trials)
        length = np.full(n_trials, p.length)
        period, starts, _ = layout_periods(
            [length, delay, np.ones_like(length), length]
        )
        rows = np.arange(n_trials)[:, None]
        position = np.arange(p.length)[None, :]

        inputs = np.zeros((*period.shape, len(self.input_names)), dtype=np.float32)
        inputs[rows, position, symbols] = 1.0
        inputs[..., p.n_symbols] = np.isin(period, (1, 3))
        inputs[..., p.n_symbols + 1] = period == 2
        targets = np.zeros(period.shape, dtype=np.int64)
        targets[rows, starts[:, 3:4] + position] = symbols + 1

        recall = period == 3
        in_trial = period != PADDING_PERIOD
        mask = recall if p.mask_recall_only else in_trial
        digits = (symbols + 1).astype(str)
        return {
            "inputs": inputs,
            "targets": targets,
            "mask": mask.astype(np.float32),
            "period": period,
            "conditions": {
                "symbols": np.array(["".join(row) for row in digits]),
                "delay": delay,
            },
        }

    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Recall accuracy per trial and per symbol.

        Parameters
        ----------
        outputs
            ``(trial, time, n_symbols + 1)`` class scores (logits).
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy`` (all symbols right) and ``symbol_accuracy``.
        """
        outputs, _ = final_outputs(outputs, batch, self.n_outputs, self.task_id)
        recall = batch.period.cpu().numpy() == 3
        right = outputs.argmax(-1) == batch.targets.cpu().numpy()
        per_trial = (right | ~recall).all(axis=1)
        return {
            "accuracy": float(per_trial.mean()),
            "symbol_accuracy": float(right[recall].mean()),
        }


@dataclasses.dataclass(frozen=True)
class CopyMemoryVariableDelayParams(CopyMemoryParams):
    """Parameters of :class:`CopyMemoryVariableDelay`: as CopyMemory, delay drawn."""

    delay: Steps = (50, 150)  # blank steps, uniform, both ends included


class CopyMemoryVariableDelay(CopyMemory):
    """CopyMemoryVariableDelay: copy memory with a delay drawn per trial.

    **Description.** As :class:`CopyMemory`, but the delay before the cue is
    drawn uniformly from ``delay`` (50-150 steps) in every trial, so the
    network must hold the symbols until the cue comes rather than count
    steps (the variable copy task of Henaff et al. 2016).

    **Periods** (steps): sequence ``length`` (8), delay 50-150, cue 1,
    recall ``length``.

    **Observations** (``Box``, float32, one-hot, no noise):

    ==============  ===========  ====================================
    index           name         meaning
    ==============  ===========  ====================================
    0 … n-1         symbol_k     symbol k shown (sequence period)
    n               blank        on during delay and recall
    n + 1           cue          on at the cue step
    ==============  ===========  ====================================

    **Actions** ``Discrete(n_symbols + 1)``: 0 blank, k the k-th symbol.

    **Targets and reward.** As :class:`CopyMemory`.

    **Episode end.** Never.

    Parameters
    ----------
    n_symbols, length, mask_recall_only, dt
        As in :class:`CopyMemory`.
    delay : (int, int)
        Uniform range of blank steps, both ends included.

    References
    ----------
    Henaff, M., Szlam, A. & LeCun, Y. (2016). Recurrent orthogonal networks
    and long-memory tasks. *ICML*.

    Arjovsky, M., Shah, A. & Bengio, Y. (2016). Unitary evolution recurrent
    neural networks. *ICML*.

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "CopyMemoryVariableDelay-v0"
    Params: ClassVar[type[TaskParams]] = CopyMemoryVariableDelayParams


@dataclasses.dataclass(frozen=True)
class AdditionParams(TaskParams):
    """Parameters of :class:`Addition`; see its docstring."""

    length: int = 100  # T, steps per sequence
    tolerance: float = 0.04  # |error| below which a sum counts as right


class Addition(Task):
    """Addition: add the two marked numbers of a long sequence.

    **Description.** The adding problem (Hochreiter & Schmidhuber 1997, in
    the form of Le et al. 2015): every step shows a number drawn uniformly
    from [0, 1] and a marker; exactly two steps are marked, one uniformly in
    the first half of the sequence and one in the second. At the last step
    the network outputs the sum of the two marked numbers. Predicting the
    mean sum, 1, gives a mean squared error of 1/6 (the usual baseline).

    **Periods** (steps): ``sequence`` (``length`` - 1 = 99) and ``response``
    (the last step, which still shows a number).

    **Observations** (``Box``, float32, no noise):

    =====  ========  ======================================
    index  name      meaning
    =====  ========  ======================================
    0      value     the number of this step, in [0, 1]
    1      marker    1 on the two steps to add
    =====  ========  ======================================

    **Actions** ``Box(-1, 1, (1,))``: the sum. The targets lie in [0, 2];
    the environment does not clip actions, so a sum above 1 is still
    rewarded correctly.

    **Targets and reward.** Continuous target: the sum at every step; mask 1
    at the last step only. Environment reward: minus the masked squared
    error.

    **Episode end.** Never.

    **Score.** ``mse`` at the last step, ``baseline_mse`` (always answering
    1) and ``accuracy`` (|error| < ``tolerance``).

    **Conditions.** ``sum``, ``first_marker``, ``second_marker`` (steps).

    Parameters
    ----------
    length : int
        Sequence length T (even, >= 2).
    tolerance : float
        Error below which a sum counts as right.
    dt : float
        ms per step; only labels the time axis.

    References
    ----------
    Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory.
    *Neural Comput.* 9(8), 1735-1780.

    Le, Q. V., Jaitly, N. & Hinton, G. E. (2015). A simple way to initialize
    recurrent networks of rectified linear units. arXiv:1504.00941.

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "Addition-v0"
    Params: ClassVar[type[TaskParams]] = AdditionParams
    target_kind: ClassVar[str] = "continuous"
    params: AdditionParams

    @property
    def input_names(self) -> tuple[str, ...]:
        """Value and marker."""
        return ("value", "marker")

    @property
    def output_names(self) -> tuple[str, ...]:
        """The sum."""
        return ("sum",)

    @property
    def period_names(self) -> tuple[str, ...]:
        """Sequence, response (the last step)."""
        return ("sequence", "response")

    @property
    def max_steps(self) -> int:
        """Every trial is ``length`` steps."""
        return int(self.params.length)

    @property
    def input_limit(self) -> float:
        """Values and markers lie in [0, 1]."""
        return 1.0

    def _validate(self) -> None:
        p = self.params
        check_steps(self.task_id, "length", p.length, 2)
        if p.length % 2:
            raise TaskParameterError(
                f"{self.task_id}: length must be even (one marker per half), "
                f"got {p.length}"
            )
        tolerance = p.tolerance
        if isinstance(tolerance, bool) or not isinstance(tolerance, int | float):
            tolerance = -1.0
        if not 0 < tolerance < np.inf:
            raise TaskParameterError(
                f"{self.task_id}: tolerance must be a number > 0, got {p.tolerance!r}"
            )

    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        length = int(self.params.length)
        half = length // 2
        values = streams("values").random((n_trials, length)).astype(np.float32)
        first = streams("first_marker").integers(0, half, n_trials)
        second = streams("second_marker").integers(half, length, n_trials)
        rows = np.arange(n_trials)

        inputs = np.zeros((n_trials, length, 2), dtype=np.float32)
        inputs[..., 0] = values
        inputs[rows, first, 1] = 1.0
        inputs[rows, second, 1] = 1.0
        total = values[rows, first] + values[rows, second]
        targets = np.broadcast_to(total[:, None, None], (n_trials, length, 1))
        period = np.zeros((n_trials, length), dtype=np.int64)
        period[:, -1] = 1
        return {
            "inputs": inputs,
            "targets": np.ascontiguousarray(targets),
            "mask": (period == 1).astype(np.float32),
            "period": period,
            "conditions": {
                "sum": total.astype(float),
                "first_marker": first,
                "second_marker": second,
            },
        }

    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Error of the sum at the last step.

        Parameters
        ----------
        outputs
            ``(trial, time, 1)`` network outputs.
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``mse``, ``baseline_mse`` and ``accuracy``.
        """
        _, final = final_outputs(outputs, batch, 1, self.task_id)
        total = np.asarray(batch.conditions["sum"])
        error = final[:, 0] - total
        return {
            "mse": float(np.mean(error**2)),
            "baseline_mse": float(np.mean((1.0 - total) ** 2)),
            "accuracy": float(np.mean(np.abs(error) < self.params.tolerance)),
        }


@dataclasses.dataclass(frozen=True)
class ContextualIntegrationParams(TaskParams):
    """Parameters of :class:`ContextualIntegration`; see its docstring."""

    context_steps: int = 5  # steps the context is shown, at the start only
    evidence_steps: Steps = 50  # steps of evidence, constant or (low, high)
    response_steps: int = 5  # steps of the response period
    drift: tuple[float, float] = (0.0, 0.2)  # |mean evidence| per step ~ U
    sigma: float = 1.0  # s.d. of the evidence per step
    reverse_probability: float = 0.5  # fraction of trials in the reversing context


class ContextualIntegration(Task):
    """ContextualIntegration: report the sign of summed evidence, flipped by context.

    **Description.** A context cue shown only in the first steps says
    whether to report the sign of the evidence as it is (``keep``) or
    reversed (``reverse``). Then a stream of noisy evidence follows: each
    step shows μ + σ·ε with |μ| ~ U(``drift``), its sign drawn, and
    ε ~ N(0, 1). In the response period the network reports the sign of the
    evidence summed over the trial, reversed in the ``reverse`` context.
    Solving it needs the context held through the evidence and an
    interaction of context and evidence that no linear readout of a linear
    network provides.

    **Periods** (steps):

    ==========  ====================  ================================
    period      steps                 what happens
    ==========  ====================  ================================
    context     ``context_steps`` 5   context channel on
    evidence    ``evidence_steps`` 50 evidence on
    response    ``response_steps`` 5  go channel on; report
    ==========  ====================  ================================

    **Observations** (``Box``, float32; evidence clipped to
    ±(max drift + 6σ)):

    =====  ================  ==========================================
    index  name              meaning
    =====  ================  ==========================================
    0      context_keep      1 during the context period, keep context
    1      context_reverse   1 during the context period, reverse context
    2      evidence          μ + σ·ε during the evidence period
    3      go                1 during the response period
    =====  ================  ==========================================

    **Actions** ``Discrete(3)``: 0 wait, 1 positive, 2 negative.

    **Targets and reward.** Class targets: wait until the response period,
    then positive or negative: the sign of the summed (clipped) evidence in
    the keep context, the opposite sign in the reverse context. Mask 1 on
    every step of the trial. Environment reward: 1 per step whose action
    equals the target.

    **Episode end.** Never.

    **Score.** ``accuracy`` of the choice at the last step, and per context
    (``accuracy/keep``, ``accuracy/reverse``).

    **Conditions.** ``context`` (``"keep"``/``"reverse"``), ``drift`` (μ),
    ``evidence_sum``, ``correct_action``.

    Parameters
    ----------
    context_steps, response_steps : int
        Period lengths in steps.
    evidence_steps : int or (int, int)
        Evidence length, constant or uniform (both ends included).
    drift : (float, float)
        Uniform range of |μ|.
    sigma : float
        Evidence noise s.d.
    reverse_probability : float
        Fraction of reverse-context trials.
    dt : float
        ms per step; only labels the time axis.

    References
    ----------
    Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
    nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.

    Mante, V., Sussillo, D., Shenoy, K. V. & Newsome, W. T. (2013).
    Context-dependent computation by recurrent dynamics in prefrontal
    cortex. *Nature* 503, 78-84.

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "ContextualIntegration-v0"
    Params: ClassVar[type[TaskParams]] = ContextualIntegrationParams
    target_kind: ClassVar[str] = "class"
    params: ContextualIntegrationParams

    @property
    def input_names(self) -> tuple[str, ...]:
        """Two context channels, evidence and go."""
        return ("context_keep", "context_reverse", "evidence", "go")

    @property
    def output_names(self) -> tuple[str, ...]:
        """Wait, positive, negative."""
        return ("wait", "positive", "negative")

    @property
    def period_names(self) -> tuple[str, ...]:
        """Context, evidence, response."""
        return ("context", "evidence", "response")

    @property
    def max_steps(self) -> int:
        """Longest possible trial in steps."""
        p = self.params
        evidence = p.evidence_steps
        longest = evidence[1] if isinstance(evidence, tuple | list) else evidence
        return int(p.context_steps + longest + p.response_steps)

    @property
    def input_limit(self) -> float:
        """Evidence is clipped to ±(max drift + 6σ)."""
        return max(1.0, float(self.params.drift[1]) + 6.0 * float(self.params.sigma))

    def _validate(self) -> None:
        p = self.params
        check_steps(self.task_id, "context_steps", p.context_steps, 1)
        check_steps(self.task_id, "evidence_steps", p.evidence_steps, 1)
        check_steps(self.task_id, "response_steps", p.response_steps, 1)
        drift = p.drift
        numbers = isinstance(drift, tuple | list) and len(drift) == 2
        if not numbers or not 0 <= drift[0] <= drift[1] < np.inf:
            raise TaskParameterError(
                f"{self.task_id}: drift must be (low, high) with 0 <= low <= high, "
                f"got {drift!r}"
            )
        if isinstance(p.sigma, bool) or not isinstance(p.sigma, int | float):
            raise TaskParameterError(
                f"{self.task_id}: sigma must be a number > 0, got {p.sigma!r}"
            )
        if not 0 < p.sigma < np.inf:
            raise TaskParameterError(
                f"{self.task_id}: sigma must be a number > 0, got {p.sigma!r}"
            )
        if not 0 <= p.reverse_probability <= 1:
            raise TaskParameterError(
                f"{self.task_id}: reverse_probability must lie in [0, 1], "
                f"got {p.reverse_probability!r}"
            )

    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        p = self.params
        reverse = streams("context").random(n_trials) < p.reverse_probability
        sign = np.where(streams("drift_sign").random(n_trials) < 0.5, -1.0, 1.0)
        drift = sign * streams("drift").uniform(*p.drift, n_trials)
        evidence_steps = draw_steps(
            streams, "evidence_steps", p.evidence_steps, n_trials
        )
        context = np.full(n_trials, p.context_steps)
        response = np.full(n_trials, p.response_steps)
        period, _, _ = layout_periods([context, evidence_steps, response])

        # Evidence noise is drawn for the longest trial, as input noise is.
        noise = streams("evidence").standard_normal((n_trials, self.max_steps))
        limit = self.input_limit
        shown = np.clip(drift[:, None] + p.sigma * noise, -limit, limit)
        in_evidence = period == 1
        evidence = np.where(in_evidence, shown[:, : period.shape[1]], 0.0)
        total = evidence.sum(1)
        positive = (total > 0) != reverse
        action = np.where(positive, 1, 2)

        inputs = np.zeros((*period.shape, 4), dtype=np.float32)
        inputs[..., 0] = (period == 0) & ~reverse[:, None]
        inputs[..., 1] = (period == 0) & reverse[:, None]
        inputs[..., 2] = evidence
        inputs[..., 3] = period == 2
        targets = np.where(period == 2, action[:, None], 0).astype(np.int64)
        return {
            "inputs": inputs,
            "targets": targets,
            "mask": (period != PADDING_PERIOD).astype(np.float32),
            "period": period,
            "conditions": {
                "context": np.where(reverse, "reverse", "keep"),
                "drift": drift,
                "evidence_sum": total,
                "correct_action": action.astype(np.int64),
            },
        }

    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Accuracy of the choice at the last step, overall and per context.

        Parameters
        ----------
        outputs
            ``(trial, time, 3)`` class scores (logits).
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy``, ``accuracy/keep``, ``accuracy/reverse`` (NaN when
            a context has no trials).
        """
        _, final = final_outputs(outputs, batch, 3, self.task_id)
        correct = final.argmax(-1) == batch.conditions["correct_action"]
        context = np.asarray(batch.conditions["context"])
        result = {"accuracy": float(correct.mean())}
        for name in ("keep", "reverse"):
            chosen = correct[context == name]
            result[f"accuracy/{name}"] = float(chosen.mean()) if chosen.size else np.nan
        return result
