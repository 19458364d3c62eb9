"""Bad input: every malformed call raises one clear, one-line error."""

from __future__ import annotations

import gymnasium as gym
import pytest

from alrnn_tasks import (
    TaskEnv,
    TaskParameterError,
    TaskVectorEnv,
    UnknownTaskError,
    get_task,
)

SS = "StimulusSelection-v0"


def stimulus_selection(**params):
    return lambda: get_task(SS, **params)


def batch(*args, **kwargs):
    return lambda: get_task(SS).batch(*args, **kwargs)


CASES = [
    # (call, expected error, words the message must contain)
    (
        lambda: get_task("StimulusSelect-v0"),
        UnknownTaskError,
        "did you mean 'StimulusSelection-v0'",
    ),
    (lambda: get_task(42), UnknownTaskError, "unknown task"),
    (lambda: gym.make("StimulusSelect-v0"), gym.error.Error, "StimulusSelection"),
    (stimulus_selection(dt=-20), TaskParameterError, "dt must be a positive"),
    (stimulus_selection(dt=0), TaskParameterError, "dt must be a positive"),
    (
        stimulus_selection(rule_cue="implict"),
        TaskParameterError,
        "rule_cue must be one of",
    ),
    (
        stimulus_selection(response_mapping="go"),
        TaskParameterError,
        "response_mapping must be one of",
    ),
    (
        stimulus_selection(first_rule="volume"),
        TaskParameterError,
        "first_rule must be one of",
    ),
    (
        stimulus_selection(rul_cue="explicit"),
        TaskParameterError,
        "did you mean 'rule_cue'",
    ),
    (
        stimulus_selection(block_lengths=(20, 0, 20, 60)),
        TaskParameterError,
        "mixtures >= 1",
    ),
    (stimulus_selection(block_lengths=(20, 60)), TaskParameterError, "4 trial counts"),
    (stimulus_selection(stimulus=5.0), TaskParameterError, "shorter than one step"),
    (stimulus_selection(hold=(350.0, 250.0)), TaskParameterError, "low <= high"),
    (stimulus_selection(response=-100.0), TaskParameterError, "timing of 'response'"),
    (stimulus_selection(sigma=-0.1), TaskParameterError, "sigma must be"),
    (stimulus_selection(sigma=float("nan")), TaskParameterError, "sigma must be"),
    (
        stimulus_selection(feedback="yes"),
        TaskParameterError,
        "feedback must be True or False",
    ),
    (batch(0), TaskParameterError, "batch_size must be an integer >= 1"),
    (batch(2.5), TaskParameterError, "batch_size must be an integer >= 1"),
    (batch(8, seed=-1), TaskParameterError, "seed must be a non-negative integer"),
    (batch(8, seed="abc"), TaskParameterError, "seed must be a non-negative integer"),
    (batch(8, device="gpu"), TaskParameterError, "device must be"),
    (batch(8, device="tpu:0"), TaskParameterError, "device must be"),
    (
        lambda: get_task(SS, rule_cue="explicit").batch(8, start=5),
        TaskParameterError,
        "start applies to implicit-rule sessions only",
    ),
    (lambda: get_task(SS).sessions(0, 10), TaskParameterError, "n_sessions must be"),
    (
        lambda: get_task(SS).sessions(2, 10, start=[-1, 0]),
        TaskParameterError,
        "start must be",
    ),
    (
        lambda: get_task(SS, rule_cue="explicit").batch(8).to_sessions(),
        TaskParameterError,
        "no session structure",
    ),
    (
        lambda: get_task(SS).score(
            get_task(SS).batch(4, seed=0).inputs, get_task(SS).batch(4, seed=0)
        ),
        TaskParameterError,
        "outputs must have shape",
    ),
    (lambda: TaskEnv(), TaskParameterError, "needs a task_id or a task"),
    (lambda: TaskEnv(SS, chunk_trials=0), TaskParameterError, "chunk_trials must be"),
    (
        lambda: TaskEnv(task=get_task(SS), rule_cue="explicit"),
        TaskParameterError,
        "pass parameters to get_task",
    ),
    (lambda: TaskVectorEnv(SS, num_envs=0), TaskParameterError, "num_envs must be"),
    (
        lambda: TaskVectorEnv(SS, num_envs=2).step([0, 0]),
        TaskParameterError,
        "call reset() before step()",
    ),
    (
        lambda: TaskVectorEnv(SS, num_envs=2).reset(seed=[1, 2, 3]),
        TaskParameterError,
        "needs 2 seeds",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "words"), CASES, ids=[c[2][:40] for c in CASES]
)
def test_malformed_call_raises_a_one_line_error(call, error, words):
    with pytest.raises(error) as raised:
        call()
    message = str(raised.value)
    assert words in message
    assert "\n" not in message


def test_error_classes_are_value_errors_so_generic_handlers_catch_them():
    assert issubclass(TaskParameterError, ValueError)
    assert issubclass(UnknownTaskError, ValueError) and issubclass(
        UnknownTaskError, KeyError
    )
