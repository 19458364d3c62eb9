"""Integration and match tasks of the multi-task suite (Driscoll et al. 2024).

IntegrationModality1, IntegrationModality2, ContextIntModality1,
ContextIntModality2, IntegrationMultimodal, ReactMatch2Sample,
ReactNonMatch2Sample, ReactCategoryPro and ReactCategoryAnti. Every task has
the input and output layout of :mod:`alrnn_tasks.multitask_base`.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import numpy as np

from alrnn_tasks.multitask_base import Stimulus, SuiteParams, SuiteTask
from alrnn_tasks.multitask_tasks import draw_angle, draw_modality, one_modality
from alrnn_tasks.random import Streams
from alrnn_tasks.task import TaskParams, Timing

__all__ = [
    "ContextIntModality1",
    "ContextIntModality2",
    "IntegrationModality1",
    "IntegrationModality2",
    "IntegrationMultimodal",
    "ReactCategoryAnti",
    "ReactCategoryPro",
    "ReactMatch2Sample",
    "ReactNonMatch2Sample",
]


@dataclasses.dataclass(frozen=True)
class IntegrationParams(SuiteParams):
    """Parameters of the integration tasks."""

    fixation: Timing = (200.0, 600.0)  # ms before the first stimulus
    stimulus1: Timing = (200.0, 1600.0)  # ms of the first stimulus
    delay1: Timing = (200.0, 1600.0)  # ms between the stimuli
    stimulus2: Timing = (200.0, 1600.0)  # ms of the second stimulus
    delay2: Timing = (100.0, 300.0)  # ms between the second stimulus and go
    response: Timing = (300.0, 700.0)  # ms after the go cue
    strength_mean: tuple[float, float] = (0.8, 1.2)  # m ~ U: mean strength
    coherence: tuple[float, float] = (0.005, 0.8)  # c ~ U: strengths are m ± c
    offset: tuple[float, float] = (90.0, 270.0)  # degrees, angle 2 - angle 1 ~ U
    # multimodal: fraction ~ U of a stimulus' strength moved between modalities
    modality_split: tuple[float, float] = (0.2, 0.8)


@dataclasses.dataclass(frozen=True)
class MatchParams(SuiteParams):
    """Parameters of the match tasks."""

    fixation: Timing = (200.0, 600.0)  # ms before the sample
    sample: Timing = (200.0, 1600.0)  # ms of the sample stimulus
    delay: Timing = (200.0, 1600.0)  # ms between sample and test
    response: Timing = (300.0, 700.0)  # ms of the test stimulus (go cue at onset)
    match_probability: float = 0.5  # fraction of match trials
    nonmatch_offset: tuple[float, float] = (20.0, 340.0)  # degrees, test - sample


class _Integration(SuiteTask):
    """Two stimuli in sequence; respond towards the stronger one.

    ``shown`` says which modalities carry the stimuli, ``attended`` which
    modalities' strengths decide.
    """

    Params: ClassVar[type[TaskParams]] = IntegrationParams
    params: IntegrationParams
    shown: ClassVar[tuple[bool, bool]] = (True, True)
    attended: ClassVar[tuple[bool, bool]] = (True, True)

    @property
    def period_names(self) -> tuple[str, ...]:
        """Fixation, stimulus1, delay1, stimulus2, delay2, response."""
        return ("fixation", "stimulus1", "delay1", "stimulus2", "delay2", "response")

    @property
    def max_amplitude(self) -> float:
        """Largest strength one modality can show."""
        p = self.params
        top = p.strength_mean[1] + p.coherence[1]
        return top * (1 + p.modality_split[1] / 2) if all(self.attended) else top

    def _validate_task(self) -> None:
        self.check_range("strength_mean")
        self.check_range("coherence")
        self.check_range("offset", 0.0, 360.0)
        self.check_range("modality_split", 0.0, 1.0)

    def _draw_trials(
        self, n_trials: int, streams: Streams
    ) -> tuple[dict[str, np.ndarray], list[Stimulus]]:
        p = self.params
        angle1 = draw_angle(streams, "angle1", n_trials)
        offset = np.deg2rad(streams("offset").uniform(*p.offset, n_trials))
        angle2 = np.mod(angle1 + offset, 2 * np.pi)
        if all(self.attended):
            strength1, strength2 = self._multimodal_strengths(n_trials, streams)
            first = strength1.sum(1) > strength2.sum(1)
        else:
            strength1, strength2 = self._per_modality_strengths(n_trials, streams)
            attended = int(np.argmax(self.attended))
            first = strength1[:, attended] > strength2[:, attended]
        conditions = {
            "go": np.ones(n_trials, dtype=bool),
            "response_angle": np.where(first, angle1, angle2),
            "angle1": angle1,
            "angle2": angle2,
            "strength1_mod1": strength1[:, 0],
            "strength1_mod2": strength1[:, 1],
            "strength2_mod1": strength2[:, 0],
            "strength2_mod2": strength2[:, 1],
            "first_stronger": first,
        }
        stimuli = [
            Stimulus(("stimulus1",), angle1, strength1),
            Stimulus(("stimulus2",), angle2, strength2),
        ]
        return conditions, stimuli

    def _coherent_pair(
        self, streams: Streams, shape: tuple[int, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        # strengths m ± c with the sign of c drawn: (m + c·s, m - c·s)
        p = self.params
        mean = streams("strength_mean").uniform(*p.strength_mean, shape)
        coherence = streams("coherence").uniform(*p.coherence, shape)
        sign = np.where(streams("coherence_sign").random(shape) < 0.5, -1.0, 1.0)
        return mean + coherence * sign, mean - coherence * sign

    def _per_modality_strengths(
        self, n_trials: int, streams: Streams
    ) -> tuple[np.ndarray, np.ndarray]:
        strength1, strength2 = self._coherent_pair(streams, (n_trials, 2))
        shown = np.asarray(self.shown, dtype=float)
        return strength1 * shown, strength2 * shown

    def _multimodal_strengths(
        self, n_trials: int, streams: Streams
    ) -> tuple[np.ndarray, np.ndarray]:
        # Each stimulus' strength s is split as s ± d/2 across the modalities
        # with d = s·U(modality_split)·(±1): only the sum decides.
        strength1, strength2 = self._coherent_pair(streams, (n_trials,))
        split = streams("modality_split").uniform(
            *self.params.modality_split, (n_trials, 2)
        )
        sign = np.where(streams("split_sign").random((n_trials, 2)) < 0.5, -1.0, 1.0)
        pairs = []
        for index, strength in enumerate((strength1, strength2)):
            half = strength * split[:, index] * sign[:, index] / 2
            pairs.append(np.stack([strength + half, strength - half], 1))
        return pairs[0], pairs[1]


_INTEGRATION_DOC = """

    **Description.** {description} The two stimuli point in directions θ1
    (uniform) and θ2 = θ1 + U(90°, 270°), one after the other with a delay
    between them. Unless said otherwise, each stimulus has a strength
    m ± c in every shown modality (m ~ U(0.8, 1.2), c ~ U(0.005, 0.8), the
    sign of c drawn). At the
    go cue the network responds towards the direction of the stimulus that
    is stronger in {decides}.

    **Periods** (ms, uniform per trial, or once per batch with
    ``timing_per_batch=True``):

    ==========  =========  ==============================================
    period      duration   what happens
    ==========  =========  ==============================================
    fixation    200-600    fixation on
    stimulus1   200-1600   first stimulus on
    delay1      200-1600   no stimulus
    stimulus2   200-1600   second stimulus on
    delay2      100-300    no stimulus
    response    300-700    fixation off (go cue)
    ==========  =========  ==============================================

    **Observations** (``Box(21,)`` float32; Gaussian noise of s.d.
    sigma_x·sqrt(2/α), α = dt/τ, on every channel; clipped to
    ±``input_limit``):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the go cue
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: strength·(sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus: strength·(sin θ, cos θ)
    5-20   rule_<task>         one-hot rule in suite order, whole trial
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Fixation 0.8 until the go cue, then 0; response
    (sin, cos) of the chosen direction after it. Loss mask 0 for the first
    100 ms and 100 ms after the go cue, 1 before it, 5 after; fixation output
    ×2 (:attr:`output_weights`). Reward: minus the mask-weighted squared
    error per step.

    **Episode end.** Never: trials follow each other.

    **Score.** At the last step: fixation output <= 0.5 and the response
    direction within 0.1π of the target.

    **Conditions.** ``task``, ``go``, ``response_angle``, ``angle1``,
    ``angle2``, ``strength1_mod1``, ``strength1_mod2``, ``strength2_mod1``,
    ``strength2_mod2``, ``first_stronger``, ``go_onset`` (ms).

    Parameters
    ----------
    fixation, stimulus1, delay1, stimulus2, delay2, response : float or (float, float)
        Period durations in ms; delays may be 0.
    strength_mean, coherence : (float, float)
        Uniform ranges of m and c.
    offset : (float, float)
        Uniform range in degrees of θ2 - θ1.
    modality_split : (float, float)
        IntegrationMultimodal: uniform fraction of a stimulus' strength moved
        between the modalities.
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`~alrnn_tasks.multitask_tasks.DelayPro`.

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


class IntegrationModality1(_Integration):
    """IntegrationModality1: compare two stimuli in modality 1."""

    __doc__ = (__doc__ or "") + _INTEGRATION_DOC.format(
        description="Both stimuli appear in modality 1 only.",
        decides="modality 1",
    )
    task_id: ClassVar[str] = "IntegrationModality1-v0"
    shown: ClassVar[tuple[bool, bool]] = (True, False)
    attended: ClassVar[tuple[bool, bool]] = (True, False)


class IntegrationModality2(_Integration):
    """IntegrationModality2: compare two stimuli in modality 2."""

    __doc__ = (__doc__ or "") + _INTEGRATION_DOC.format(
        description="Both stimuli appear in modality 2 only.",
        decides="modality 2",
    )
    task_id: ClassVar[str] = "IntegrationModality2-v0"
    shown: ClassVar[tuple[bool, bool]] = (False, True)
    attended: ClassVar[tuple[bool, bool]] = (False, True)


class ContextIntModality1(_Integration):
    """ContextIntModality1: compare in modality 1, ignoring modality 2."""

    __doc__ = (__doc__ or "") + _INTEGRATION_DOC.format(
        description=(
            "Both stimuli appear in both modalities, with independent "
            "strengths; the rule says to ignore modality 2."
        ),
        decides="modality 1",
    )
    task_id: ClassVar[str] = "ContextIntModality1-v0"
    attended: ClassVar[tuple[bool, bool]] = (True, False)


class ContextIntModality2(_Integration):
    """ContextIntModality2: compare in modality 2, ignoring modality 1."""

    __doc__ = (__doc__ or "") + _INTEGRATION_DOC.format(
        description=(
            "Both stimuli appear in both modalities, with independent "
            "strengths; the rule says to ignore modality 1."
        ),
        decides="modality 2",
    )
    task_id: ClassVar[str] = "ContextIntModality2-v0"
    attended: ClassVar[tuple[bool, bool]] = (False, True)


class IntegrationMultimodal(_Integration):
    """IntegrationMultimodal: compare two stimuli summed over both modalities."""

    __doc__ = (__doc__ or "") + _INTEGRATION_DOC.format(
        description=(
            "Both stimuli appear in both modalities. Stimulus k has an overall "
            "strength s_k = m ± c, split across the modalities as "
            "s_k ± d_k/2 with d_k = s_k·U(0.2, 0.8)·(±1), so that only the sum "
            "over modalities tells which is stronger."
        ),
        decides="the sum of both modalities",
    )
    task_id: ClassVar[str] = "IntegrationMultimodal-v0"


class _Match(SuiteTask):
    """Sample, delay, test: respond to the test on (non-)match, else fixate."""

    Params: ClassVar[type[TaskParams]] = MatchParams
    params: MatchParams
    by_category: ClassVar[bool] = False  # match by category instead of angle
    go_on_match: ClassVar[bool] = True  # respond on match (else on non-match)

    @property
    def period_names(self) -> tuple[str, ...]:
        """Fixation, sample, delay, response (the test period)."""
        return ("fixation", "sample", "delay", "response")

    def _validate_task(self) -> None:
        self.check_probability("match_probability")
        self.check_range("nonmatch_offset", 0.0, 360.0)

    def _draw_trials(
        self, n_trials: int, streams: Streams
    ) -> tuple[dict[str, np.ndarray], list[Stimulus]]:
        p = self.params
        sample = draw_angle(streams, "sample_angle", n_trials)
        modality = draw_modality(streams, n_trials)
        match = streams("match").random(n_trials) < p.match_probability
        sample_category = (sample >= np.pi).astype(np.int64)
        if self.by_category:
            # category boundary at 0 and π: category 1 is [π, 2π)
            test_category = np.where(match, sample_category, 1 - sample_category)
            within = streams("test_angle").uniform(0.0, np.pi, n_trials)
            test = within + np.pi * test_category
        else:
            offset = np.deg2rad(
                streams("test_angle").uniform(*p.nonmatch_offset, n_trials)
            )
            test = np.where(match, sample, np.mod(sample + offset, 2 * np.pi))
        go = match == self.go_on_match
        conditions = {
            "go": go,
            "response_angle": np.where(go, test, np.nan),
            "sample_angle": sample,
            "test_angle": test,
            "sample_category": sample_category,
            "test_category": (test >= np.pi).astype(np.int64),
            "match": match,
            "modality": modality,
        }
        strength = one_modality(modality, 1.0)
        stimuli = [
            Stimulus(("sample",), sample, strength),
            Stimulus(("response",), test, strength),
        ]
        return conditions, stimuli


_MATCH_DOC = """

    **Description.** A sample stimulus at direction θs (uniform) appears in
    modality 1 or 2, then a delay, then a test stimulus at θt in the same
    modality; the fixation input turns off at the test onset (the go cue).
    {description} On all other trials the network keeps fixating. Match
    trials are 50% (``match_probability``).

    **Periods** (ms, uniform per trial, or once per batch with
    ``timing_per_batch=True``):

    ==========  =========  ==============================================
    period      duration   what happens
    ==========  =========  ==============================================
    fixation    200-600    fixation on
    sample      200-1600   sample stimulus on
    delay       200-1600   no stimulus
    response    300-700    test stimulus on, fixation off (go cue)
    ==========  =========  ==============================================

    **Observations** (``Box(21,)`` float32; Gaussian noise of s.d.
    sigma_x·sqrt(2/α), α = dt/τ, on every channel; clipped to
    ±``input_limit``):

    =====  ==================  ============================================
    index  name                meaning
    =====  ==================  ============================================
    0      fixation            1 until the test appears
    1, 2   mod1_sin, mod1_cos  modality 1 stimulus: (sin θ, cos θ)
    3, 4   mod2_sin, mod2_cos  modality 2 stimulus: (sin θ, cos θ)
    5-20   rule_<task>         one-hot rule in suite order, whole trial
    =====  ==================  ============================================

    **Actions** ``Box(-1, 1, (3,))``: fixation, response (sin, cos).

    **Targets and reward.** Go trials: fixation 0.8 until the test onset,
    then 0, response (sin θt, cos θt) after it. No-go trials: fixation 0.8
    throughout, response 0. Loss mask 0 for the first 100 ms and 100 ms
    after the test onset, 1 before it, 5 after; fixation output ×2
    (:attr:`output_weights`). Reward: minus the mask-weighted squared error.

    **Episode end.** Never: trials follow each other.

    **Score.** At the last step: go trials need fixation output <= 0.5 and
    the response within 0.1π of θt; no-go trials a fixation output > 0.5.

    **Conditions.** ``task``, ``go``, ``response_angle`` (NaN on no-go),
    ``sample_angle``, ``test_angle``, ``sample_category``, ``test_category``
    (1 for [π, 2π)), ``match``, ``modality``, ``go_onset`` (ms).

    Parameters
    ----------
    fixation, sample, delay, response : float or (float, float)
        Period durations in ms; ``delay`` may be 0.
    match_probability : float
        Fraction of match trials.
    nonmatch_offset : (float, float)
        Match-to-sample tasks: uniform range in degrees of θt - θs on
        non-match trials (20°-340°).
    tau, sigma_x, timing_per_batch, grace, mask_before_go, mask_after_go, fixation_weight, fixation_target, tolerance, dt
        As in :class:`~alrnn_tasks.multitask_tasks.DelayPro`.

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


class ReactMatch2Sample(_Match):
    """ReactMatch2Sample: respond to the test when it matches the sample."""

    __doc__ = (__doc__ or "") + _MATCH_DOC.format(
        description=(
            "On match trials θt = θs and the network responds towards θt at "
            "once; on non-match trials θt = θs + U(20°, 340°)."
        )
    )
    task_id: ClassVar[str] = "ReactMatch2Sample-v0"


class ReactNonMatch2Sample(_Match):
    """ReactNonMatch2Sample: respond to the test when it differs from the sample."""

    __doc__ = (__doc__ or "") + _MATCH_DOC.format(
        description=(
            "On non-match trials θt = θs + U(20°, 340°) and the network "
            "responds towards θt at once; on match trials θt = θs."
        )
    )
    task_id: ClassVar[str] = "ReactNonMatch2Sample-v0"
    go_on_match: ClassVar[bool] = False


class ReactCategoryPro(_Match):
    """ReactCategoryPro: respond to the test when its category is the sample's."""

    __doc__ = (__doc__ or "") + _MATCH_DOC.format(
        description=(
            "Angles fall in two categories split at 0 and π. The test is drawn "
            "uniformly within the sample's category (match) or the other one; "
            "on category match the network responds towards θt at once."
        )
    )
    task_id: ClassVar[str] = "ReactCategoryPro-v0"
    by_category: ClassVar[bool] = True


class ReactCategoryAnti(_Match):
    """ReactCategoryAnti: respond to the test when its category differs."""

    __doc__ = (__doc__ or "") + _MATCH_DOC.format(
        description=(
            "Angles fall in two categories split at 0 and π. The test is drawn "
            "uniformly within the sample's category (match) or the other one; "
            "on category non-match the network responds towards θt at once."
        )
    )
    task_id: ClassVar[str] = "ReactCategoryAnti-v0"
    by_category: ClassVar[bool] = True
    go_on_match: ClassVar[bool] = False
