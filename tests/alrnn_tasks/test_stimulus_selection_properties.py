"""Property tests: any valid StimulusSelection parameters give a consistent batch."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alrnn_tasks import get_task

durations = st.one_of(
    st.floats(20, 400),
    st.tuples(st.floats(20, 200), st.floats(0, 300)).map(lambda t: (t[0], t[0] + t[1])),
)
params = st.fixed_dictionaries(
    {
        "dt": st.sampled_from([5.0, 10.0, 20.0]),
        "response_mapping": st.sampled_from(["go_nogo", "two_alternative"]),
        "rule_cue": st.sampled_from(["implicit", "explicit"]),
        "feedback": st.booleans(),
        "block_lengths": st.tuples(
            st.integers(0, 5), st.integers(1, 5), st.integers(0, 5), st.integers(1, 5)
        ),
        "first_rule": st.sampled_from(["localization", "pitch"]),
        "hold": durations,
        "stimulus": durations,
        "response": durations,
        "sigma": st.floats(0, 0.5),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=params, n_trials=st.integers(1, 40), seed=st.integers(0, 2**32))
def test_any_valid_parameters_give_a_consistent_batch(params, n_trials, seed):
    task = get_task("StimulusSelection-v0", **params)
    batch = task.batch(n_trials, seed=seed)
    period = batch.period.numpy()
    mask = batch.mask.numpy()
    inputs = batch.inputs.numpy()

    assert inputs.shape == (n_trials, batch.n_steps, task.n_inputs)
    assert batch.targets.shape == (n_trials, batch.n_steps)
    assert batch.n_steps <= task.max_steps
    assert (np.abs(inputs) <= task.input_limit).all()
    # periods appear in order, each at least one step, then padding only
    padded = np.where(period == -1, len(task.period_names), period)
    assert (np.diff(padded, axis=1) >= 0).all()
    for index in range(len(task.period_names)):
        assert ((period == index).sum(axis=1) >= 1).all()
    assert (period[:, 0] == 0).all()
    assert (mask[period == -1] == 0).all()
    assert (inputs[period == -1] == 0).all()
    response = task.period_names.index("response")
    assert (mask[(period >= 0) & (period <= response)] == 1).all()
    targets = batch.targets.numpy()
    expected = np.where(
        period == response, batch.conditions["correct_action"][:, None], 0
    )
    np.testing.assert_array_equal(targets, expected)
    assert set(batch.conditions["block"]) <= {1, 2, 3, 4}
    assert len(batch.conditions["stim_name"]) == n_trials
