"""StimulusSelection-v0: the rule-switching task of Rodgers & DeWeese (2014)."""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import torch

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.random import Streams
from alrnn_tasks.stimulus_selection_behaviour import (
    HOLD,
    LEFT,
    LOCALIZATION,
    NO_RESPONSE,
    PITCH,
    RIGHT,
    StimulusSelectionBehaviour,
)
from alrnn_tasks.task import Task, TaskParams, Timing, check_count, layout_periods

__all__ = ["StimulusSelection", "StimulusSelectionParams"]

RESPONSE_MAPPINGS = ("go_nogo", "two_alternative")
RULE_CUES = ("implicit", "explicit")
RULES = np.array([LOCALIZATION, PITCH])
SIDES = np.array(["left", "right", "none"])
PITCHES = np.array(["high", "low", "none"])


def _stim_name_table() -> np.ndarray:
    """Data-set stimulus names, indexed (noise side, pitch, rule) by code."""
    sides, tones, contexts = ("le", "ri", None), ("hi", "lo", None), ("lc", "pc")
    table = np.empty((3, 3, 2), dtype="<U8")
    for i, side in enumerate(sides):
        for j, tone in enumerate(tones):
            for k, context in enumerate(contexts):
                table[i, j, k] = "_".join(p for p in (side, tone, context) if p)
    return table


STIM_NAMES = _stim_name_table()


@dataclasses.dataclass(frozen=True)
class StimulusSelectionParams(TaskParams):
    """Parameters of :class:`StimulusSelection`; see its docstring."""

    response_mapping: str = "go_nogo"  # "go_nogo" (experiment) or "two_alternative"
    rule_cue: str = "implicit"  # "implicit" (experiment) or "explicit" rule channels
    feedback: bool = False  # add a feedback period and a reward input channel
    # trials per block, in the order: LB cue, LB mixture, PB cue, PB mixture
    block_lengths: tuple[int, int, int, int] = (20, 60, 20, 60)
    first_rule: str = LOCALIZATION  # rule the 160-trial cycle starts with
    hold: Timing = (250.0, 350.0)  # ms of centre poke before the sound (uniform)
    stimulus: Timing = 250.0  # ms of sound
    response: Timing = 500.0  # ms of response window
    feedback_duration: Timing = 100.0  # ms of feedback period, when feedback=True
    sigma: float = 0.1  # s.d. of Gaussian noise added to every input channel
    reward_go_hit: float = 1.0  # reward for poking the correct port (water)
    reward_nogo_hit: float = 0.0  # reward for holding through a no-go window
    reward_error: float = -1.0  # missed go, poke on no-go, or wrong port (timeout)
    reward_abort: float = -0.1  # per step of leaving the centre port early


class StimulusSelection(StimulusSelectionBehaviour, Task):
    """Stimulus selection with block-wise rule switches (Rodgers & DeWeese 2014).

    **Description.** The task behind the CRCNS pfc-1 recordings. A rat holds
    its nose in a centre port and hears a mixture of two sounds: a white-noise
    burst from the left or right speaker and a high or low warble. It must act
    on only one of them, chosen by a rule that switches in blocks. Under the
    localization rule (LB) the noise side matters; under the pitch rule (PB)
    the warble does. The same four mixtures (``le_hi``, ``ri_hi``, ``le_lo``,
    ``ri_lo``) therefore ask for different responses under the two rules.

    **Rules and responses.** ``response_mapping="go_nogo"`` (default, the
    experiment):

    ==========  =======================  =======================
    rule        go (poke a port)         no-go (keep holding)
    ==========  =======================  =======================
    LB          noise left -> left port  noise right
    PB          low warble -> right port high warble
    ==========  =======================  =======================

    Only ``ri_hi`` asks for the same response (no-go) under both rules.
    ``response_mapping="two_alternative"``: LB, go to the side of the noise;
    PB, high -> left, low -> right. ``le_hi`` and ``ri_lo`` are then congruent
    and ``le_lo``, ``ri_hi`` need an interaction of rule and stimulus that no
    linear network computes.

    **Block cycle.** 160 trials, repeating: 20 LB cue trials (noise alone),
    60 LB mixture trials, 20 PB cue trials (warble alone), 60 PB mixture
    trials (``block_lengths``; ``first_rule`` picks the rule the cycle starts
    with). ``block`` numbers them 1 (LB cue), 2 (LB mixture), 3 (PB cue),
    4 (PB mixture) whatever the order. Within a block, each trial's sounds
    are drawn uniformly and independently.

    **Rule information.** ``rule_cue="implicit"`` (default, as in the
    experiment): no input names the rule; it must be inferred from cue trials
    (and reward feedback, if on) and held across trials. Trials then come in
    sessions of consecutive trials (:meth:`sessions`; :meth:`batch` gives the
    consecutive trials of one session). ``rule_cue="explicit"``: two rule
    channels are on throughout every trial and each trial's place in the
    cycle is drawn uniformly, so single independent trials suffice.

    **Periods.**

    ============  ==========================  ==================================
    period        duration (ms)               what happens
    ============  ==========================  ==================================
    hold          250-350 uniform (``hold``)  centre poke, fixation on
    stimulus      250 (``stimulus``)          sounds on, fixation on
    response      500 (``response``)          fixation off; poke a port or hold
    feedback      100 (``feedback_duration``) only with ``feedback=True``;
                                              reward channel on if rewarded
    ============  ==========================  ==================================

    Durations are rounded to whole steps of ``dt`` (20 ms by default). Use
    ``hold=50.0`` for the animals trained with a 50 ms hold.

    **Observations** (``Box``, float32; every channel gets N(0, ``sigma``²)
    noise, and values are clipped to ±(1 + 20·sigma)):

    =====  ============  ==============================================
    index  name          meaning
    =====  ============  ==============================================
    0      fixation      1 until the response window opens
    1      noise_left    1 during the stimulus if the noise is on the left
    2      noise_right   1 during the stimulus if the noise is on the right
    3      warble_high   1 during the stimulus if the warble is high
    4      warble_low    1 during the stimulus if the warble is low
    5, 6   rule_lb,      (``rule_cue="explicit"``) 1 throughout the trial
           rule_pb       under the localization / pitch rule
    last   reward        (``feedback=True``) 1 during feedback if rewarded
    =====  ============  ==============================================

    **Actions** ``Discrete(3)``: 0 hold, 1 left port, 2 right port.

    **Targets and reward.** Class targets: hold (0) until the response
    window, then the correct port, or hold on no-go trials; hold during
    feedback. The loss mask is 1 on hold, stimulus and response steps and 0
    on feedback and padding. In the environment, the first poke in the
    response window (or holding through it) decides the outcome, named as in
    the data set: ``hit`` (correct port, or held on no-go), ``error`` (missed
    go, or poke on no-go) or ``wrong_port``. Rewards: ``reward_go_hit`` (1),
    ``reward_nogo_hit`` (0; the rats got no water for a correct no-go),
    ``reward_error`` (-1, standing for the timeout) and ``reward_abort`` per
    step of poking before the window opens (-0.1).

    **Episode end.** Never: trials follow each other without end (wrap with
    ``max_episode_steps`` or ``TimeLimit`` for episodes).

    **Conditions per trial.** ``rule`` (``"localization"``/``"pitch"``),
    ``block`` (1-4), ``cue_trial``, ``stim_name`` (``le_hi_lc``: noise side,
    warble, rule context ``lc`` localization / ``pc`` pitch; cue trials
    ``le_lc``, ``ri_lc``, ``hi_pc``, ``lo_pc``), ``noise_side``
    (``"left"``/``"right"``/``"none"``), ``pitch``
    (``"high"``/``"low"``/``"none"``), ``go``, ``congruent`` (a mixture whose
    response is the same under both rules; False on cue trials),
    ``correct_action``, ``other_rule_action`` (what the other rule would ask
    for; -1 on cue trials), ``trial_in_cycle``, ``trials_since_switch``,
    ``stim_onset`` and ``response_onset`` (ms from trial start), and in
    implicit mode ``session`` and ``trial_in_session``.

    **Score.** :meth:`score` reads the choice at the last step of the
    response window and requires fixation (hold) before it.

    Parameters
    ----------
    response_mapping : {"go_nogo", "two_alternative"}
        Response rules, see above.
    rule_cue : {"implicit", "explicit"}
        Whether the rule must be inferred (sessions) or is given as input.
    feedback : bool
        Add the feedback period and the reward channel.
    block_lengths : tuple of 4 int
        Trials in the LB cue, LB mixture, PB cue and PB mixture blocks; cue
        blocks may be 0, mixture blocks must be >= 1.
    first_rule : {"localization", "pitch"}
        Rule at the start of the cycle.
    hold, stimulus, response, feedback_duration : float or (float, float)
        Period durations in ms, constant or uniform (low, high).
    sigma : float
        Input noise s.d.
    reward_go_hit, reward_nogo_hit, reward_error, reward_abort : float
        Environment rewards.
    dt : float
        Step length in ms (20).

    References
    ----------
    Rodgers, C. C. & DeWeese, M. R. (2014). Neural correlates of task
    switching in prefrontal cortex and primary auditory cortex in a novel
    stimulus selection task for rodents. *Neuron* 82(5), 1157-1170. Data:
    CRCNS pfc-1.

    Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
    nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.

    Notes
    -----
    Version history: v0, first release.

    Examples
    --------
    >>> task = StimulusSelection(rule_cue="explicit")
    >>> batch = task.batch(4, seed=1)
    >>> batch.input_names
    ('fixation', 'noise_left', 'noise_right', 'warble_high', 'warble_low', 'rule_lb', 'rule_pb')
    """

    task_id: ClassVar[str] = "StimulusSelection-v0"
    Params: ClassVar[type[TaskParams]] = StimulusSelectionParams
    target_kind: ClassVar[str] = "class"
    params: StimulusSelectionParams

    # -- layout ----------------------------------------------------------
    @property
    def session_based(self) -> bool:  # type: ignore[override]
        """True in implicit mode: the rule must be carried across trials."""
        return self.params.rule_cue == "implicit"

    @property
    def input_names(self) -> tuple[str, ...]:
        """Input channels: fixation, four sounds, rule and reward when on."""
        names = ["fixation", "noise_left", "noise_right", "warble_high", "warble_low"]
        if self.params.rule_cue == "explicit":
            names += ["rule_lb", "rule_pb"]
        if self.params.feedback:
            names += ["reward"]
        return tuple(names)

    @property
    def output_names(self) -> tuple[str, ...]:
        """Actions: hold, left port, right port."""
        return ("hold", "left", "right")

    @property
    def period_names(self) -> tuple[str, ...]:
        """Periods: hold, stimulus, response and, with feedback, feedback."""
        names = ("hold", "stimulus", "response")
        return (*names, "feedback") if self.params.feedback else names

    @property
    def timing(self) -> dict[str, Timing]:
        """Duration in ms of each period, constant or (low, high)."""
        p = self.params
        timing = {"hold": p.hold, "stimulus": p.stimulus, "response": p.response}
        if p.feedback:
            timing["feedback"] = p.feedback_duration
        return timing

    @cached_property
    def max_steps(self) -> int:
        """Longest possible trial in steps."""
        return int(sum(int(self.steps(np.max(t))) for t in self.timing.values()))

    @property
    def input_limit(self) -> float:
        """Inputs are clipped to ±(1 + 20·sigma), the bounds of the observation space."""
        return 1.0 + 20.0 * float(self.params.sigma)

    @cached_property
    def cycle(self) -> list[tuple[int, str, bool, int]]:
        """Blocks of one cycle in order: (block number, rule, cue trials, length)."""
        lb_cue, lb_mix, pb_cue, pb_mix = self.params.block_lengths
        lb = [(1, LOCALIZATION, True, lb_cue), (2, LOCALIZATION, False, lb_mix)]
        pb = [(3, PITCH, True, pb_cue), (4, PITCH, False, pb_mix)]
        return lb + pb if self.params.first_rule == LOCALIZATION else pb + lb

    @property
    def cycle_length(self) -> int:
        """Trials per cycle (160 by default)."""
        return int(sum(self.params.block_lengths))

    def _validate(self) -> None:
        p = self.params
        _check_choice(
            self.task_id, "response_mapping", p.response_mapping, RESPONSE_MAPPINGS
        )
        _check_choice(self.task_id, "rule_cue", p.rule_cue, RULE_CUES)
        _check_choice(self.task_id, "first_rule", p.first_rule, (LOCALIZATION, PITCH))
        if not isinstance(p.feedback, bool):
            raise TaskParameterError(
                f"{self.task_id}: feedback must be True or False, got {p.feedback!r}"
            )
        lengths = p.block_lengths
        valid = (
            isinstance(lengths, tuple | list)
            and len(lengths) == 4
            and all(isinstance(n, int | np.integer) and n >= 0 for n in lengths)
            and lengths[1] >= 1
            and lengths[3] >= 1
        )
        if not valid:
            raise TaskParameterError(
                f"{self.task_id}: block_lengths must be 4 trial counts (LB cue, LB mixture, "
                f"PB cue, PB mixture) with mixtures >= 1, got {lengths!r}"
            )
        for name, timing in self.timing.items():
            self.check_timing(name, timing)
        sigma = p.sigma
        if (
            isinstance(sigma, bool)
            or not isinstance(sigma, int | float)
            or not 0 <= sigma < np.inf
        ):
            raise TaskParameterError(
                f"{self.task_id}: sigma must be a finite number >= 0, got {sigma!r}"
            )

    # -- generation ------------------------------------------------------
    def sessions(
        self,
        n_sessions: int,
        trials_per_session: int,
        *,
        seed: int | None = None,
        device: str | torch.device = "cpu",
        start: int | np.ndarray = 0,
    ) -> TrialBatch:
        """Generate sessions of consecutive trials (implicit-rule training).

        Parameters
        ----------
        n_sessions
            Number of independent sessions.
        trials_per_session
            Consecutive trials drawn for each session.
        seed
            Seed of every random draw (``None``: fresh).
        device
            Torch device of the tensors.
        start
            Index within its session of each session's first trial (scalar or
            ``(n_sessions,)``). Pass ``previous_start + trials_per_session``
            to carry the block cycle on across batches.

        Returns
        -------
        TrialBatch
            ``n_sessions * trials_per_session`` trials ordered session by
            session, with conditions ``session`` and ``trial_in_session``;
            :meth:`TrialBatch.to_sessions` lays them out as sequences.
        """
        n_sessions = check_count("n_sessions", n_sessions)
        trials_per_session = check_count("trials_per_session", trials_per_session)
        start_arr = np.broadcast_to(np.asarray(start), (n_sessions,))
        if start_arr.dtype.kind not in "iu" or (start_arr < 0).any():
            raise TaskParameterError(
                f"start must be integers >= 0, one per session, got {start!r}"
            )
        session = np.repeat(np.arange(n_sessions), trials_per_session)
        trial_in_session = start_arr[session] + np.tile(
            np.arange(trials_per_session), n_sessions
        )
        return self._make_batch(
            n_sessions * trials_per_session,
            seed=seed,
            device=device,
            session=session,
            trial_in_session=trial_in_session,
        )

    def batch(
        self,
        batch_size: int,
        *,
        seed: int | None = None,
        device: str | torch.device = "cpu",
        start: int = 0,
    ) -> TrialBatch:
        """Generate ``batch_size`` trials.

        In explicit mode the trials are independent, each at a uniformly drawn
        place in the block cycle. In implicit mode they are the consecutive
        trials of one session starting at trial ``start`` (see
        :meth:`sessions`).

        Parameters
        ----------
        batch_size
            Number of trials.
        seed
            Seed of every random draw (``None``: fresh).
        device
            Torch device of the tensors.
        start
            Implicit mode: index within the session of the first trial.

        Returns
        -------
        TrialBatch
            The trials.
        """
        batch_size = check_count("batch_size", batch_size)
        if self.session_based:
            return self.sessions(1, batch_size, seed=seed, device=device, start=start)
        if start != 0:
            raise TaskParameterError(
                f"{self.task_id}: start applies to implicit-rule sessions only; "
                "drop it or use rule_cue='implicit'"
            )
        return self._make_batch(batch_size, seed=seed, device=device)

    def _generate(
        self,
        n_trials: int,
        streams: Streams,
        session: np.ndarray | None = None,
        trial_in_session: np.ndarray | None = None,
    ) -> dict[str, Any]:
        conditions = self._draw_conditions(n_trials, streams, trial_in_session)
        if session is not None:
            conditions["session"] = session
            conditions["trial_in_session"] = trial_in_session

        durations = [
            self.draw_duration(streams, name, t, n_trials)
            for name, t in self.timing.items()
        ]
        period, starts, _ = layout_periods(durations)
        conditions["stim_onset"] = starts[:, 1] * self.dt
        conditions["response_onset"] = starts[:, 2] * self.dt

        # The same templates and period rule as `encode_inputs`, on the known
        # period grid: one row gather instead of locating every time again.
        clean = _gather_rows(self._templates(conditions), period)
        inputs = self._add_input_noise(clean, period, streams)
        response = self.period_names.index("response")
        targets = np.where(
            period == response, conditions["correct_action"][:, None], HOLD
        )
        mask = ((period >= 0) & (period <= response)).astype(np.float32)
        return {
            "inputs": inputs,
            "targets": targets.astype(np.int64),
            "mask": mask,
            "period": period,
            "conditions": conditions,
        }

    def _draw_conditions(
        self, n_trials: int, streams: Streams, trial_in_session: np.ndarray | None
    ) -> dict[str, np.ndarray]:
        # Place in the block cycle: consecutive within a session (implicit),
        # uniform and independent otherwise (explicit).
        if trial_in_session is not None:
            position = trial_in_session % self.cycle_length
        else:
            position = streams("cycle_position").integers(
                0, self.cycle_length, n_trials
            )
        blocks = self.cycle
        block_ends = np.cumsum([b[3] for b in blocks])
        block_index = np.searchsorted(block_ends, position, side="right")
        block = np.array([b[0] for b in blocks])[block_index]
        rule_is_lb = block <= 2
        cue_trial = (block == 1) | (block == 3)
        rule_start = np.where(
            rule_is_lb == (self.params.first_rule == LOCALIZATION),
            0,
            block_ends[1],
        )

        # Sounds: both drawn for every trial (so streams stay aligned), then
        # the irrelevant one is removed on cue trials.
        noise_left = streams("noise_side").random(n_trials) < 0.5
        pitch_high = streams("pitch").random(n_trials) < 0.5
        has_noise = ~cue_trial | rule_is_lb
        has_warble = ~cue_trial | ~rule_is_lb
        # codes index SIDES / PITCHES: 0 left/high, 1 right/low, 2 none
        side_code = np.where(has_noise, (~noise_left).astype(np.int64), 2)
        pitch_code = np.where(has_warble, (~pitch_high).astype(np.int64), 2)

        action_lb = self._rule_response(LOCALIZATION, noise_left)
        action_pb = self._rule_response(PITCH, pitch_high)
        correct = np.where(rule_is_lb, action_lb, action_pb)
        other = np.where(
            cue_trial, NO_RESPONSE, np.where(rule_is_lb, action_pb, action_lb)
        )
        return {
            "rule": RULES[(~rule_is_lb).astype(np.int64)],
            "block": block.astype(np.int64),
            "cue_trial": cue_trial,
            "stim_name": STIM_NAMES[
                side_code, pitch_code, (~rule_is_lb).astype(np.int64)
            ],
            "noise_side": SIDES[side_code],
            "pitch": PITCHES[pitch_code],
            "go": correct != HOLD,
            "congruent": ~cue_trial & (action_lb == action_pb),
            "correct_action": correct.astype(np.int64),
            "other_rule_action": other.astype(np.int64),
            "trial_in_cycle": position.astype(np.int64),
            "trials_since_switch": (position - rule_start).astype(np.int64),
        }

    def _rule_response(self, rule: str, first_option: np.ndarray) -> np.ndarray:
        """Return the action ``rule`` asks for; ``first_option``: noise left (LB) or high (PB)."""
        if self.params.response_mapping == "two_alternative":
            # LB: side of the noise; PB: high -> left, low -> right
            return np.where(first_option, LEFT, RIGHT)
        if rule == LOCALIZATION:
            return np.where(first_option, LEFT, HOLD)
        return np.where(first_option, HOLD, RIGHT)

    def encode_inputs(
        self,
        conditions: dict[str, np.ndarray],
        times: np.ndarray,
        *,
        period_starts: np.ndarray | None = None,
        trial_end: np.ndarray | None = None,
    ) -> np.ndarray:
        """Noise-free inputs of trials with given conditions, at given times.

        The generator builds every batch's inputs with this method (then adds
        noise), so inputs rebuilt here from a recorded trial's conditions and
        event times are the task's own inputs for that trial.

        Parameters
        ----------
        conditions
            ``(trial,)`` arrays: ``noise_side`` (``"left"``/``"right"``/
            ``"none"``), ``pitch`` (``"high"``/``"low"``/``"none"``),
            ``stim_onset`` and ``response_onset`` (ms from trial start);
            ``rule`` when ``rule_cue="explicit"``; ``go`` with feedback.
        times
            ``(time,)`` or ``(trial, time)`` ms from each trial's start at
            which to encode (the start of each time bin).
        period_starts
            ``(trial, period)`` ms at which each period starts; by default
            ``(0, stim_onset, response_onset)`` (required with feedback).
        trial_end
            ``(trial,)`` ms at which each trial ends; times at or after it,
            and times before 0, are outside the trial (all channels 0).
            Default: no end.

        Returns
        -------
        numpy.ndarray
            ``(trial, time, input)`` float32 inputs, channels as
            :attr:`input_names`.

        Examples
        --------
        >>> task = StimulusSelection()
        >>> c = {"noise_side": np.array(["left"]), "pitch": np.array(["none"]),
        ...      "stim_onset": np.array([40.0]), "response_onset": np.array([80.0])}
        >>> task.encode_inputs(c, np.arange(5) * 20.0)[0, :, :3].tolist()
        [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]]
        """
        _check_encoder_conditions(self, conditions, period_starts)
        n_trials = len(conditions["noise_side"])
        if period_starts is None:
            period_starts = np.stack(
                [
                    np.zeros(n_trials),
                    np.asarray(conditions["stim_onset"], dtype=float),
                    np.asarray(conditions["response_onset"], dtype=float),
                ],
                axis=1,
            )
        times = np.asarray(times, dtype=float)
        if times.ndim == 1:
            times = np.broadcast_to(times, (n_trials, times.size))

        # A time's period is the number of later period starts at or before it
        # (zero-length periods are skipped), as in `layout_periods`.
        period = (times[:, :, None] >= period_starts[:, None, 1:]).sum(-1)
        outside = times < 0
        if trial_end is not None:
            outside |= times >= np.asarray(trial_end, dtype=float)[:, None]
        period[outside] = PADDING_PERIOD
        return _gather_rows(self._templates(conditions), period).numpy()

    def _templates(self, conditions: dict[str, np.ndarray]) -> np.ndarray:
        """Return the noise-free input of each period, ``(trial, period + 1, input)``.

        The last row is all zeros, for times outside the trial.
        """
        names = self.input_names
        channel = {name: i for i, name in enumerate(names)}
        hold = self.period_names.index("hold")
        stimulus = self.period_names.index("stimulus")
        n_trials = len(conditions["noise_side"])
        templates = np.zeros(
            (n_trials, len(self.period_names) + 1, len(names)), np.float32
        )
        templates[:, [hold, stimulus], channel["fixation"]] = 1.0
        side, pitch = (
            np.asarray(conditions["noise_side"]),
            np.asarray(conditions["pitch"]),
        )
        sounds = {
            "noise_left": side == "left",
            "noise_right": side == "right",
            "warble_high": pitch == "high",
            "warble_low": pitch == "low",
        }
        for name, present in sounds.items():
            templates[:, stimulus, channel[name]] = present
        if "rule_lb" in channel:
            is_lb = np.asarray(conditions["rule"]) == LOCALIZATION
            templates[:, :-1, channel["rule_lb"]] = is_lb[:, None]
            templates[:, :-1, channel["rule_pb"]] = ~is_lb[:, None]
        if "reward" in channel:
            feedback = self.period_names.index("feedback")
            templates[:, feedback, channel["reward"]] = self._rewarded_if_correct(
                conditions
            )
        return templates

    def _add_input_noise(
        self, inputs: torch.Tensor, period: np.ndarray, streams: Streams
    ) -> torch.Tensor:
        """Add N(0, sigma²) noise inside trials to ``(trial, time, input)``; clip."""
        n_trials, n_steps, n_inputs = inputs.shape
        sigma = float(self.params.sigma)
        if sigma > 0:
            noise = self.input_noise(streams, n_trials, n_steps, n_inputs)
            in_trial = torch.from_numpy(period >= 0).unsqueeze(-1)
            inputs.addcmul_(noise, in_trial, value=sigma)
        limit = self.input_limit
        return inputs.clamp_(-limit, limit)


def _check_encoder_conditions(
    task: StimulusSelection,
    conditions: dict[str, np.ndarray],
    period_starts: np.ndarray | None,
) -> None:
    """Raise a one-line error for conditions :meth:`encode_inputs` cannot encode."""
    needed = ["noise_side", "pitch"]
    if period_starts is None:
        needed += ["stim_onset", "response_onset"]
    if task.params.rule_cue == "explicit":
        needed.append("rule")
    if task.params.feedback:
        needed.append("go")
        if period_starts is None:
            raise TaskParameterError(
                f"{task.task_id}: with feedback=True, encode_inputs needs period_starts "
                "(ms of hold, stimulus, response and feedback onsets per trial)"
            )
    missing = [name for name in needed if name not in conditions]
    if missing:
        raise TaskParameterError(
            f"{task.task_id}: encode_inputs needs conditions {needed}, missing "
            f"{missing}; add them to the trial table"
        )
    for name, known in (("noise_side", SIDES), ("pitch", PITCHES)):
        unknown = sorted(set(np.asarray(conditions[name]).tolist()) - set(known))
        if unknown:
            raise TaskParameterError(
                f"{task.task_id}: unknown {name} values {unknown[:5]}; expected "
                f"{known.tolist()}"
            )
    if period_starts is None:
        onset = np.asarray(conditions["stim_onset"], dtype=float)
        response = np.asarray(conditions["response_onset"], dtype=float)
        bad = np.flatnonzero(~(np.isfinite(onset) & (onset >= 0) & (response >= onset)))
        if bad.size:
            raise TaskParameterError(
                f"{task.task_id}: events misaligned in {bad.size} trials (first "
                f"{bad[0]}: stim_onset {onset[bad[0]]}, response_onset "
                f"{response[bad[0]]} ms); need 0 <= stim_onset <= response_onset"
            )


def _gather_rows(templates: np.ndarray, period: np.ndarray) -> torch.Tensor:
    """Pick each step's row of ``templates`` (trial, period + 1, input) by ``period``.

    Period -1 (outside the trial) picks the last row, which is all zeros.
    Returns a ``(trial, time, input)`` float32 tensor.
    """
    n_trials, n_rows, n_inputs = templates.shape
    rows = (
        np.where(period >= 0, period, n_rows - 1)
        + n_rows * np.arange(n_trials)[:, None]
    )
    flat = torch.from_numpy(templates).view(-1, n_inputs)
    picked = flat.index_select(0, torch.from_numpy(rows).view(-1))
    return picked.view(n_trials, period.shape[1], n_inputs)


def _check_choice(
    task_id: str, name: str, value: Any, choices: tuple[str, ...]
) -> None:
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise TaskParameterError(
            f"{task_id}: {name} must be one of {options}, got {value!r}"
        )
