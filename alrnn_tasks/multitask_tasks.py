"""Reach and go/no-go tasks of the multi-task suite.

DelayPro, DelayAnti, MemoryPro, MemoryAnti, ReactPro, ReactAnti (Driscoll,
Shenoy & Sussillo 2024, after Yang et al. 2019) and GoNogo. Every task has the
input and output layout of :mod:`alrnn_tasks.multitask_base`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.multitask_base import Stimulus, SuiteParams, SuiteTask
from alrnn_tasks.random import Streams
from alrnn_tasks.task import TaskParams, Timing

__all__ = [
    "DelayAnti",
    "DelayPro",
    "GoNogo",
    "MemoryAnti",
    "MemoryPro",
    "ReactAnti",
    "ReactPro",
]


@dataclasses.dataclass(frozen=True)
class DelayParams(SuiteParams):
    """Timing of DelayPro and DelayAnti (ms, uniform ranges)."""

    fixation: Timing = (300.0, 700.0)  # ms before the stimulus
    stimulus: Timing = (200.0, 1500.0)  # ms of stimulus before the go cue
    response: Timing = (300.0, 700.0)  # ms after the go cue


@dataclasses.dataclass(frozen=True)
class MemoryParams(SuiteParams):
    """Timing of MemoryPro and MemoryAnti (ms, uniform ranges)."""

    fixation: Timing = (300.0, 700.0)  # ms before the stimulus
    stimulus: Timing = (200.0, 1600.0)  # ms of stimulus
    delay: Timing = (200.0, 1600.0)  # ms of memory period, stimulus off
    response: Timing = (300.0, 700.0)  # ms after the go cue


@dataclasses.dataclass(frozen=True)
class ReactParams(SuiteParams):
    """Timing of ReactPro and ReactAnti (ms, uniform ranges)."""

    fixation: Timing = (500.0, 2500.0)  # ms before the stimulus (= go cue)
    response: Timing = (300.0, 1700.0)  # ms of stimulus and response


@dataclasses.dataclass(frozen=True)
class GoNogoParams(SuiteParams):
    """Parameters of GoNogo."""

    fixation: Timing = (300.0, 700.0)  # ms before the stimulus
    stimulus: Timing = (200.0, 1600.0)  # ms of stimulus before the go cue
    response: Timing = (300.0, 700.0)  # ms after the go cue, stimulus still on
    go_probability: float = 0.5  # fraction of go trials
    go_amplitude: tuple[float, float] = (0.6, 1.0)  # uniform amplitude, go trials
    nogo_amplitude: tuple[float, float] = (0.1, 0.4)  # uniform amplitude, no-go


def draw_angle(streams: Streams, name: str, n_trials: int) -> np.ndarray:
    """Return ``(trial,)`` angles uniform in [0, 2π) from stream ``name``.

    Parameters
    ----------
    streams
        The batch's random streams.
    name
        Stream name.
    n_trials
        Number of trials.

    Returns
    -------
    numpy.ndarray
        Angles in radians.
    """
    return streams(name).uniform(0.0, 2 * np.pi, n_trials)


def draw_modality(streams: Streams, n_trials: int) -> np.ndarray:
    """Return ``(trial,)`` modality, 1 or 2 with equal probability.

    Parameters
    ----------
    streams
        The batch's random streams.
    n_trials
        Number of trials.

    Returns
    -------
    numpy.ndarray
        int64 modality numbers.
    """
    return streams("modality").integers(1, 3, n_trials).astype(np.int64)


def one_modality(modality: np.ndarray, amplitude: np.ndarray | float) -> np.ndarray:
    """Return ``(trial, 2)`` strengths: ``amplitude`` in ``modality``, 0 in the other.

    Parameters
    ----------
    modality
        ``(trial,)`` 1 or 2.
    amplitude
        Scalar or ``(trial,)`` amplitude.

    Returns
    -------
    numpy.ndarray
        Strength per modality.
    """
    amplitude = np.broadcast_to(np.asarray(amplitude, dtype=float), modality.shape)
    return np.stack([amplitude * (modality == 1), amplitude * (modality == 2)], 1)


class _Reach(SuiteTask):
    """One stimulus direction, answered towards it (pro) or away from it (anti)."""

    anti: ClassVar[bool] = False
    # periods during which the stimulus is on
    stimulus_periods: ClassVar[tuple[str, ...]] = ("stimulus",)

    def _draw_trials(
        self, n_trials: int, streams: Streams
    ) -> tuple[dict[str, np.ndarray], list[Stimulus]]:
        angle = draw_angle(streams, "stimulus_angle", n_trials)
        modality = draw_modality(streams, n_trials)
        response = np.mod(angle + np.pi * self.anti, 2 * np.pi)
        conditions = {
            "go": np.ones(n_trials, dtype=bool),
            "response_angle": response,
            "stimulus_angle": angle,
            "modality": modality,
            "anti": np.full(n_trials, self.anti),
        }
        strength = one_modality(modality, 1.0)
        return conditions, [Stimulus(self.stimulus_periods, angle, strength)]


class DelayPro(_Reach):
    """DelayPro: respond towards a stimulus that stays on, at the go cue.

    **Description.** A stimulus appears at direction θ (uniform on the
    circle) with amplitude 1 in one modality (1 or 2, equally likely) and
    stays on until the end of the trial. When the fixation input turns off
    (the go cue), the network responds towards θ.

    **Periods** (ms, drawn uniformly per trial, or once per batch with
    ``timing_per_batch=True``):

    ==========  ========  =========================================
    period      duration  what happens
    ==========  ========  =========================================
    fixation    300-700   fixation on, no stimulus
    stimulus    200-1500  fixation and stimulus on
    response    300-700   fixation off (go cue), stimulus still on
    ==========  ========  =========================================

    **Observations** (``Box(21,)`` float32; every channel gets Gaussian noise
    of s.d. sigma_x·sqrt(2/α), α = dt/τ, 0.32 by default; clipped to
    ±``input_limit``):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus: strength·(sin θ, cos θ)
    5-20   rule_<task>         one-hot rule in suite order (rule_DelayPro
                               is index 5), on for the whole trial
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation output and response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the go cue, then 0; response
    (sin θ, cos θ) after the go cue, 0 before. Loss mask: 0 for the first
    100 ms and for 100 ms after the go cue, 1 before the go cue, 5 after;
    the fixation output weighs ×2 (:attr:`output_weights`). The environment
    rewards minus the mask-weighted squared error per step.

    **Episode end.** Never: trials follow each other.

    **Score.** At the last step: correct when the fixation output is <= 0.5
    and the response direction is within 0.1π of the target.

    **Conditions.** ``task``, ``go`` (True), ``response_angle``,
    ``stimulus_angle``, ``modality``, ``anti``, ``go_onset`` (ms).

    Parameters
    ----------
    fixation, stimulus, response : float or (float, float)
        Period durations in ms.
    tau, sigma_x : float
        Network time constant (100 ms) and input noise (0.1).
    timing_per_batch : bool
        Draw each duration once per batch, as the reference code does.
    grace, mask_before_go, mask_after_go, fixation_weight : float
        Loss mask (100 ms, 1, 5) and fixation output weight (2).
    fixation_target : float
        Fixation target before the go cue (0.8).
    tolerance : float
        Score tolerance in units of π (0.1; Yang et al. used 0.2).
    dt : float
        Step length in ms (20).

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
    """

    task_id: ClassVar[str] = "DelayPro-v0"
    Params: ClassVar[type[TaskParams]] = DelayParams
    stimulus_periods: ClassVar[tuple[str, ...]] = ("stimulus", "response")

    @property
    def period_names(self) -> tuple[str, ...]:
        """Fixation, stimulus, response."""
        return ("fixation", "stimulus", "response")


class DelayAnti(DelayPro):
    """DelayAnti: as DelayPro, but respond opposite to the stimulus (θ + π).

    **Description.** A stimulus at direction θ in modality 1 or 2 stays on
    until the end of the trial; at the go cue the network responds towards
    θ + π.

    **Periods** (ms, uniform): fixation 300-700 (fixation on), stimulus
    200-1500 (stimulus on), response 300-700 (go cue: fixation off, stimulus
    still on).

    **Observations** (``Box(21,)`` float32, noise s.d. sigma_x·sqrt(2/α)):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus
    5-20   rule_<task>         one-hot rule (rule_DelayAnti is index 6)
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the go cue, then 0; response
    (sin, cos)(θ + π) after it. Mask 0/1/5 as in :class:`DelayPro`; reward
    minus the mask-weighted squared error.

    **Episode end.** Never.

    **Conditions.** As :class:`DelayPro`, with ``anti`` True.

    Parameters
    ----------
    fixation, stimulus, response : float or (float, float)
        Period durations in ms.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`DelayPro`.

    References
    ----------
    Driscoll, Shenoy & Sussillo (2024), *Nat. Neurosci.*; Yang et al.
    (2019), *Nat. Neurosci.*

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "DelayAnti-v0"
    anti: ClassVar[bool] = True


class MemoryPro(_Reach):
    """MemoryPro: remember a briefly shown direction and respond towards it.

    **Description.** A stimulus at direction θ (uniform) with amplitude 1 in
    modality 1 or 2 is shown, then removed; after a memory delay the go cue
    (fixation off) asks for a response towards θ.

    **Periods** (ms, uniform per trial or per batch):

    ==========  ========  =================================
    period      duration  what happens
    ==========  ========  =================================
    fixation    300-700   fixation on
    stimulus    200-1600  stimulus on
    delay       200-1600  stimulus off, fixation on
    response    300-700   fixation off (go cue)
    ==========  ========  =================================

    **Observations** (``Box(21,)`` float32, noise s.d. sigma_x·sqrt(2/α)):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus
    5-20   rule_<task>         one-hot rule (rule_MemoryPro is index 7)
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the go cue, then 0; response
    (sin θ, cos θ) after it. Mask 0/1/5 as in :class:`DelayPro`; reward
    minus the mask-weighted squared error.

    **Episode end.** Never.

    **Conditions.** ``task``, ``go``, ``response_angle``, ``stimulus_angle``,
    ``modality``, ``anti``, ``go_onset``.

    Parameters
    ----------
    fixation, stimulus, delay, response : float or (float, float)
        Period durations in ms; ``delay`` may be 0.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`DelayPro`.

    References
    ----------
    Driscoll, Shenoy & Sussillo (2024), *Nat. Neurosci.*; Yang et al.
    (2019), *Nat. Neurosci.*

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "MemoryPro-v0"
    Params: ClassVar[type[TaskParams]] = MemoryParams

    @property
    def period_names(self) -> tuple[str, ...]:
        """Fixation, stimulus, delay, response."""
        return ("fixation", "stimulus", "delay", "response")


class MemoryAnti(MemoryPro):
    """MemoryAnti: remember a direction θ and respond towards θ + π.

    **Description.** As :class:`MemoryPro`, but the response goes opposite
    to the remembered stimulus.

    **Periods** (ms, uniform): fixation 300-700, stimulus 200-1600 (on),
    delay 200-1600 (off), response 300-700 (go cue: fixation off).

    **Observations** (``Box(21,)`` float32, noise s.d. sigma_x·sqrt(2/α)):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus
    5-20   rule_<task>         one-hot rule (rule_MemoryAnti is index 8)
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the go cue, then 0; response
    (sin, cos)(θ + π) after it. Mask and reward as in :class:`DelayPro`.

    **Episode end.** Never.

    **Conditions.** As :class:`MemoryPro`, with ``anti`` True.

    Parameters
    ----------
    fixation, stimulus, delay, response : float or (float, float)
        Period durations in ms.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`DelayPro`.

    References
    ----------
    Driscoll, Shenoy & Sussillo (2024), *Nat. Neurosci.*; Yang et al.
    (2019), *Nat. Neurosci.*

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "MemoryAnti-v0"
    anti: ClassVar[bool] = True


class ReactPro(_Reach):
    """ReactPro: respond towards a stimulus as soon as it appears.

    **Description.** After a variable fixation period a stimulus at
    direction θ appears in modality 1 or 2 and the fixation input turns off
    at the same step (as in the reference code): the stimulus onset is the
    go cue, and the network responds towards θ at once.

    **Periods** (ms, uniform per trial or per batch):

    ==========  =========  ==========================================
    period      duration   what happens
    ==========  =========  ==========================================
    fixation    500-2500   fixation on, no stimulus
    response    300-1700   stimulus on, fixation off (go cue)
    ==========  =========  ==========================================

    **Observations** (``Box(21,)`` float32, noise s.d. sigma_x·sqrt(2/α)):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the stimulus appears
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus
    5-20   rule_<task>         one-hot rule (rule_ReactPro is index 9)
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the stimulus onset, then 0;
    response (sin θ, cos θ) after it. Mask and reward as in
    :class:`DelayPro`.

    **Episode end.** Never.

    **Conditions.** ``task``, ``go``, ``response_angle``, ``stimulus_angle``,
    ``modality``, ``anti``, ``go_onset``.

    Parameters
    ----------
    fixation, response : float or (float, float)
        Period durations in ms.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`DelayPro`.

    References
    ----------
    Driscoll, Shenoy & Sussillo (2024), *Nat. Neurosci.*; Yang et al.
    (2019), *Nat. Neurosci.*

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "ReactPro-v0"
    Params: ClassVar[type[TaskParams]] = ReactParams
    stimulus_periods: ClassVar[tuple[str, ...]] = ("response",)

    @property
    def period_names(self) -> tuple[str, ...]:
        """Fixation, response."""
        return ("fixation", "response")


class ReactAnti(ReactPro):
    """ReactAnti: respond opposite to a stimulus as soon as it appears.

    **Description.** As :class:`ReactPro`, but the response goes towards
    θ + π.

    **Periods** (ms, uniform): fixation 500-2500, response 300-1700
    (stimulus on and fixation off at its start: the go cue).

    **Observations** (``Box(21,)`` float32, noise s.d. sigma_x·sqrt(2/α)):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the stimulus appears
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus
    5-20   rule_<task>         one-hot rule (rule_ReactAnti is index 10)
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the stimulus onset, then 0;
    response (sin, cos)(θ + π) after it. Mask and reward as in
    :class:`DelayPro`.

    **Episode end.** Never.

    **Conditions.** As :class:`ReactPro`, with ``anti`` True.

    Parameters
    ----------
    fixation, response : float or (float, float)
        Period durations in ms.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`DelayPro`.

    References
    ----------
    Driscoll, Shenoy & Sussillo (2024), *Nat. Neurosci.*; Yang et al.
    (2019), *Nat. Neurosci.*

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "ReactAnti-v0"
    anti: ClassVar[bool] = True


class GoNogo(SuiteTask):
    """SuiteGoNogo: respond to a strong stimulus, keep fixating on a weak one.

    Registered as ``SuiteGoNogo-v0`` because neurogym's own ``GoNogo-v0``
    holds that id in gymnasium; within :class:`~alrnn_tasks.multitask.MultiTask`
    and in the ``task`` condition it is called ``GoNogo``.

    **Description.** A stimulus at direction θ (uniform) appears in modality
    1 or 2 and stays on. Its amplitude says whether to respond: go trials
    (``go_probability``, 0.5) have an amplitude uniform in ``go_amplitude``
    (0.6-1.0), no-go trials one uniform in ``nogo_amplitude`` (0.1-0.4), so
    a threshold anywhere between the two ranges (0.4-0.6) separates them. At
    the go cue the network responds towards θ on go trials and keeps
    fixating on no-go trials. Added to the suite as in Brenner & Koppe
    (2026), with the conventions of the other tasks.

    **Periods** (ms, uniform per trial or per batch):

    ==========  ========  =========================================
    period      duration  what happens
    ==========  ========  =========================================
    fixation    300-700   fixation on
    stimulus    200-1600  fixation and stimulus on
    response    300-700   fixation off (go cue), stimulus still on
    ==========  ========  =========================================

    **Observations** (``Box(21,)`` float32, noise s.d. sigma_x·sqrt(2/α)):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: amplitude·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus
    5-20   rule_<task>         one-hot rule (rule_GoNogo is index 20)
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Go: fixation 0.8 until the go cue, then 0, and
    response (sin θ, cos θ) after it. No-go: fixation 0.8 throughout,
    response 0. Mask and reward as in :class:`DelayPro`.

    **Episode end.** Never.

    **Score.** A no-go trial is correct when the fixation output is still
    above 0.5 at the last step.

    **Conditions.** ``task``, ``go``, ``response_angle`` (NaN on no-go),
    ``stimulus_angle``, ``modality``, ``amplitude``, ``go_onset``.

    Parameters
    ----------
    fixation, stimulus, response : float or (float, float)
        Period durations in ms.
    go_probability : float
        Fraction of go trials.
    go_amplitude, nogo_amplitude : (float, float)
        Uniform amplitude ranges; the go range must lie above the no-go one.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`DelayPro`.

    References
    ----------
    Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
    nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.

    Driscoll, Shenoy & Sussillo (2024), *Nat. Neurosci.*

    Notes
    -----
    Version history: v0, first release.
    """

    # neurogym registers its own GoNogo-v0 in gymnasium's root namespace
    task_id: ClassVar[str] = "SuiteGoNogo-v0"
    Params: ClassVar[type[TaskParams]] = GoNogoParams
    params: GoNogoParams

    @property
    def name(self) -> str:
        """Task name in the suite (the rule channel's name)."""
        return "GoNogo"

    @property
    def period_names(self) -> tuple[str, ...]:
        """Fixation, stimulus, response."""
        return ("fixation", "stimulus", "response")

    @property
    def max_amplitude(self) -> float:
        """Top of the go amplitude range."""
        return float(self.params.go_amplitude[1])

    def _validate_task(self) -> None:
        self.check_probability("go_probability")
        self.check_range("go_amplitude")
        self.check_range("nogo_amplitude")
        if self.params.nogo_amplitude[1] >= self.params.go_amplitude[0]:
            raise TaskParameterError(
                f"{self.task_id}: nogo_amplitude must lie below go_amplitude so that "
                f"a threshold separates them, got {self.params.nogo_amplitude!r} "
                f"and {self.params.go_amplitude!r}"
            )

    def _draw_trials(
        self, n_trials: int, streams: Streams
    ) -> tuple[dict[str, np.ndarray], list[Stimulus]]:
        p = self.params
        angle = draw_angle(streams, "stimulus_angle", n_trials)
        modality = draw_modality(streams, n_trials)
        go = streams("go").random(n_trials) < p.go_probability
        level = streams("amplitude").random(n_trials)
        go_low, go_high = p.go_amplitude
        nogo_low, nogo_high = p.nogo_amplitude
        amplitude = np.where(
            go,
            go_low + level * (go_high - go_low),
            nogo_low + level * (nogo_high - nogo_low),
        )
        conditions = {
            "go": go,
            "response_angle": np.where(go, angle, np.nan),
            "stimulus_angle": angle,
            "modality": modality,
            "amplitude": amplitude,
        }
        strength = one_modality(modality, amplitude)
        return conditions, [Stimulus(("stimulus", "response"), angle, strength)]
