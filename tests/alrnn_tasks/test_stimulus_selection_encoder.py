"""StimulusSelection-v0's public input encoder: the generator's own inputs."""

from __future__ import annotations

import numpy as np
import pytest

from alrnn_tasks import get_task
from alrnn_tasks.errors import TaskParameterError


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"rule_cue": "explicit"},
        {"rule_cue": "explicit", "hold": (100.0, 300.0), "response": (200.0, 500.0)},
    ],
    ids=["implicit", "explicit", "random-durations"],
)
def test_inputs_rebuilt_from_conditions_equal_the_generated_inputs(params):
    task = get_task("StimulusSelection-v0", sigma=0.0, **params)
    batch = task.batch(128, seed=5)
    times = np.arange(batch.n_steps) * task.dt
    rebuilt = task.encode_inputs(batch.conditions, times)
    in_trial = batch.period.numpy() >= 0
    np.testing.assert_array_equal(rebuilt[in_trial], batch.inputs.numpy()[in_trial])


def test_trial_end_and_times_before_the_trial_give_zero_inputs():
    task = get_task("StimulusSelection-v0", sigma=0.0)
    batch = task.batch(16, seed=2)
    lengths = (batch.period.numpy() >= 0).sum(1)
    times = np.arange(batch.n_steps) * task.dt
    rebuilt = task.encode_inputs(batch.conditions, times, trial_end=lengths * task.dt)
    np.testing.assert_array_equal(rebuilt, batch.inputs.numpy())
    before = task.encode_inputs(batch.conditions, np.array([-40.0, -20.0]))
    assert not before.any()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pitch": np.array(["medium"])}, "unknown pitch"),
        (
            {"stim_onset": np.array([300.0]), "response_onset": np.array([100.0])},
            "misaligned",
        ),
        ({"stim_onset": np.array([np.nan])}, "misaligned"),
    ],
)
def test_encoder_rejects_unknown_conditions_and_misaligned_events(change, message):
    task = get_task("StimulusSelection-v0")
    conditions = {
        "noise_side": np.array(["left"]),
        "pitch": np.array(["high"]),
        "stim_onset": np.array([300.0]),
        "response_onset": np.array([550.0]),
    }
    with pytest.raises(TaskParameterError, match=message):
        task.encode_inputs({**conditions, **change}, np.arange(10) * 20.0)


def test_encoder_names_missing_conditions():
    task = get_task("StimulusSelection-v0", rule_cue="explicit")
    conditions = {"noise_side": np.array(["left"]), "pitch": np.array(["high"])}
    with pytest.raises(TaskParameterError, match=r"missing \['stim_onset'"):
        task.encode_inputs(conditions, np.arange(3) * 20.0)
