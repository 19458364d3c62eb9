"""Behaviour in StimulusSelection-v0: outcomes, scores and environment rewards.

The trial generator lives in :mod:`alrnn_tasks.stimulus_selection`; this
module reads a network's actions (or an agent's, step by step in the
environment) in the data set's terms: ``hit``, ``error`` and ``wrong_port``
(Rodgers & DeWeese 2014), interference errors, and accuracy per condition
group. :class:`StimulusSelectionBehaviour` is mixed into the task class.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from alrnn_tasks.batch import TrialBatch
from alrnn_tasks.errors import TaskParameterError

__all__ = ["StimulusSelectionBehaviour"]

HOLD, LEFT, RIGHT = 0, 1, 2
# the other rule's response on a cue trial: the sound it needs is absent
NO_RESPONSE = -1
LOCALIZATION, PITCH = "localization", "pitch"
OUTCOMES = ("hit", "error", "wrong_port")


class StimulusSelectionBehaviour:
    """Outcomes, scores and environment rewards of :class:`StimulusSelection`.

    A mixin: it reads ``params``, ``period_names``, ``n_outputs`` and
    ``task_id`` of the task it is mixed into.
    """

    params: Any
    period_names: tuple[str, ...]
    n_outputs: int
    task_id: str

    def _rewarded_if_correct(self, conditions: dict[str, np.ndarray]) -> np.ndarray:
        reward = np.where(
            conditions["go"], self.params.reward_go_hit, self.params.reward_nogo_hit
        )
        return reward > 0

    # -- scoring ---------------------------------------------------------
    def outcomes(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, np.ndarray]:
        """Per-trial behaviour of a network, in the data set's terms.

        Parameters
        ----------
        outputs
            ``(trial, time, 3)`` action scores (logits) for ``batch``.
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to numpy.ndarray
            ``choice`` (action at the last step of the response window),
            ``held`` (no poke before the window opened), ``outcome``
            (``"hit"``, ``"error"``, ``"wrong_port"``), ``correct`` (hit and
            held) and ``interference`` (the choice the other rule asked for).
        """
        actions = _argmax_actions(outputs, batch, self.n_outputs, self.task_id)
        period = batch.period.detach().cpu().numpy()
        response = self.period_names.index("response")
        in_response = period == response
        # last step of the response window in each trial
        last = in_response.shape[1] - 1 - np.argmax(in_response[:, ::-1], axis=1)
        choice = actions[np.arange(len(actions)), last]
        held = ~((actions != HOLD) & (period >= 0) & (period < response)).any(axis=1)

        c = batch.conditions
        correct_action = c["correct_action"]
        hit = choice == correct_action
        wrong_port = ~hit & c["go"] & (choice != HOLD)
        outcome = np.where(hit, "hit", np.where(wrong_port, "wrong_port", "error"))
        interference = (
            ~hit
            & (c["other_rule_action"] != NO_RESPONSE)
            & (choice == c["other_rule_action"])
        )
        return {
            "choice": choice,
            "held": held,
            "outcome": outcome,
            "correct": hit & held,
            "interference": interference,
        }

    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Accuracy overall and per condition group.

        Parameters
        ----------
        outputs
            ``(trial, time, 3)`` action scores (logits) for ``batch``.
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy``; ``hit_rate/block_1`` ... ``block_4``;
            ``hit_rate/go`` and ``hit_rate/nogo``; ``accuracy/cue``,
            ``accuracy/mixture``, ``accuracy/congruent``,
            ``accuracy/incongruent`` (mixtures); ``accuracy/localization``,
            ``accuracy/pitch``; ``interference_rate`` (incongruent mixtures
            answered as the other rule asks); ``wrong_port_rate``,
            ``fixation_break_rate``; and the switch cost as
            ``accuracy/since_switch_A-B`` for bins of 10 trials after a rule
            switch. NaN where a group has no trials.
        """
        result = self.outcomes(outputs, batch)
        correct = result["correct"]
        c = batch.conditions
        mixture = ~c["cue_trial"]
        incongruent = mixture & ~c["congruent"]
        scores = {
            "accuracy": _mean(correct),
            **{
                f"hit_rate/block_{b}": _mean(correct[c["block"] == b])
                for b in range(1, 5)
            },
            "hit_rate/go": _mean(correct[c["go"]]),
            "hit_rate/nogo": _mean(correct[~c["go"]]),
            "accuracy/cue": _mean(correct[c["cue_trial"]]),
            "accuracy/mixture": _mean(correct[mixture]),
            "accuracy/congruent": _mean(correct[mixture & c["congruent"]]),
            "accuracy/incongruent": _mean(correct[incongruent]),
            "accuracy/localization": _mean(correct[c["rule"] == LOCALIZATION]),
            "accuracy/pitch": _mean(correct[c["rule"] == PITCH]),
            "interference_rate": _mean(result["interference"][incongruent]),
            "wrong_port_rate": _mean(result["outcome"] == "wrong_port"),
            "fixation_break_rate": _mean(~result["held"]),
        }
        since = c["trials_since_switch"]
        rule_length = max(
            sum(self.params.block_lengths[:2]), sum(self.params.block_lengths[2:])
        )
        for low in range(0, rule_length, 10):
            in_bin = (since >= low) & (since < low + 10)
            scores[f"accuracy/since_switch_{low}-{low + 9}"] = _mean(correct[in_bin])
        return scores

    # -- environment -----------------------------------------------------
    def env_step(
        self, actions: np.ndarray, step: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rewards and outcomes of one environment step, vectorised over envs.

        Parameters
        ----------
        actions
            ``(env,)`` integer actions.
        step
            Arrays over envs: ``period``, ``last_in_period`` (bool),
            ``correct_action``, ``go``, and the mutable ``decided`` (bool)
            and ``rewarded`` (bool) trial state.

        Returns
        -------
        rewards : numpy.ndarray
            ``(env,)`` float rewards.
        outcome : numpy.ndarray
            ``(env,)`` outcome names, ``""`` where the trial is undecided.
        """
        p = self.params
        response = self.period_names.index("response")
        period = step["period"]
        poke = actions != HOLD
        early = poke & (period >= 0) & (period < response)
        decide = (
            (period == response) & ~step["decided"] & (poke | step["last_in_period"])
        )

        hit = decide & (actions == step["correct_action"])
        wrong_port = decide & ~hit & step["go"] & poke
        rewards = np.where(early, p.reward_abort, 0.0)
        hit_reward = np.where(step["go"], p.reward_go_hit, p.reward_nogo_hit)
        rewards = np.where(decide, np.where(hit, hit_reward, p.reward_error), rewards)
        outcome = np.where(
            decide,
            np.where(hit, "hit", np.where(wrong_port, "wrong_port", "error")),
            "",
        )

        step["decided"] |= decide
        step["rewarded"] |= decide & (rewards > 0)
        return rewards.astype(np.float64), outcome

    def env_observe(self, observation: np.ndarray, step: dict[str, Any]) -> np.ndarray:
        """Set the reward channel during feedback to what the agent actually earned.

        Parameters
        ----------
        observation
            ``(env, input)`` generated observation (assumes the correct
            response).
        step
            As in :meth:`env_step`, for the step being observed.

        Returns
        -------
        numpy.ndarray
            The corrected observation.
        """
        if not self.params.feedback:
            return observation
        feedback = step["period"] == self.period_names.index("feedback")
        expected = self._rewarded_if_correct(step)
        delta = (step["rewarded"].astype(np.float32) - expected) * feedback
        observation = observation.copy()
        observation[:, -1] += delta
        return observation


def _argmax_actions(
    outputs: torch.Tensor | np.ndarray, batch: TrialBatch, n_actions: int, task_id: str
) -> np.ndarray:
    if isinstance(outputs, torch.Tensor):
        outputs = outputs.detach().cpu().numpy()
    outputs = np.asarray(outputs)
    expected = (batch.n_trials, batch.n_steps, n_actions)
    if outputs.shape != expected:
        raise TaskParameterError(
            f"{task_id}: outputs must have shape (trial, time, action) = {expected}, "
            f"got {outputs.shape}; pass the network's outputs on this batch"
        )
    return outputs.argmax(axis=-1)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if np.size(values) else float("nan")
