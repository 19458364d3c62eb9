"""neurogym environments as batched tasks through ``get_task("neurogym:<id>")``."""

from __future__ import annotations

import numpy as np
import pytest

from alrnn_tasks import (
    TaskEnv,
    TaskParameterError,
    UnknownTaskError,
    get_task,
    list_tasks,
)
from alrnn_tasks.random import Streams
from alrnn_tasks.registry import task_class


# neurogym's own make: gymnasium notes that its metadata lacks render_modes
@pytest.mark.filterwarnings("ignore:.*render_modes")
def test_trials_are_the_ones_neurogym_makes_from_the_batch_seed():
    import neurogym as ngym

    task = get_task("neurogym:PerceptualDecisionMaking-v0", dt=100)
    batch = task.batch(20, seed=5)
    env = ngym.make("PerceptualDecisionMaking-v0", dt=100).unwrapped
    env.seed(int(Streams(5)("neurogym").integers(2**32)))
    for k in range(20):
        trial = env.new_trial()
        length = int(batch.lengths[k])
        assert length == len(env.ob)
        assert np.array_equal(batch.inputs[k, :length].numpy(), env.ob)
        assert np.array_equal(batch.targets[k, :length].numpy(), env.gt)
        assert batch.conditions["ground_truth"][k] == trial["ground_truth"]
        decision = task.period_names.index("decision")
        steps = np.flatnonzero(batch.period[k].numpy() == decision)
        assert (steps[0], steps[-1] + 1) == (
            env.start_ind["decision"],
            env.end_ind["decision"],
        )


def test_collection_batches_are_reproducible_and_prefix_consistent():
    task = get_task("neurogym:yang19.dms-v0", dt=20)
    assert task.task_id == "neurogym:yang19.dms-v0"
    small, large = task.batch(8, seed=2), task.batch(40, seed=2)
    for k in range(8):
        n = int(small.lengths[k])
        assert np.array_equal(small.inputs[k, :n].numpy(), large.inputs[k, :n].numpy())
        assert np.array_equal(
            small.targets[k, :n].numpy(), large.targets[k, :n].numpy()
        )
    assert np.array_equal(task.batch(40, seed=2).inputs.numpy(), large.inputs.numpy())
    assert not np.array_equal(
        task.batch(40, seed=3).inputs.numpy(), large.inputs.numpy()
    )
    assert set(large.conditions["ground_truth"]) == {"match", "non-match"}
    assert large.n_steps <= task.max_steps
    assert (large.mask.numpy() == (large.period.numpy() >= 0)).all()


def test_score_is_perfect_on_targets_and_near_chance_on_shuffled_ones():
    task = get_task("neurogym:PerceptualDecisionMaking-v0", dt=100)
    batch = task.batch(2000, seed=0)
    outputs = np.eye(task.n_outputs)[batch.targets.numpy()]
    assert task.score(outputs, batch)["accuracy"] == 1.0
    last = batch.lengths.numpy() - 1
    final = outputs[np.arange(batch.n_trials), last]
    shuffled = np.random.default_rng(0).permutation(final)[:, None, :]
    score = task.score(np.broadcast_to(shuffled, outputs.shape), batch)
    assert abs(score["accuracy"] - 0.5) < 0.05


def test_wrapped_task_runs_as_an_environment():
    env = TaskEnv(task=get_task("neurogym:yang19.go-v0", dt=100))
    observation, _ = env.reset(seed=0)
    assert observation.shape == (33,)
    for _ in range(30):
        observation, *_ = env.step(env.action_space.sample())
    assert observation.shape == (33,)


def test_neurogym_ids_stay_out_of_list_tasks_and_errors_are_clear():
    assert not any(task_id.startswith("neurogym:") for task_id in list_tasks())
    assert task_class("neurogym:yang19.go-v0").__name__ == "NeurogymTask"
    with pytest.raises(UnknownTaskError, match=r"did you mean 'yang19\.dms-v0'"):
        get_task("neurogym:yang19.dmz-v0")
    with pytest.raises(TaskParameterError, match="rejected its arguments"):
        get_task("neurogym:PerceptualDecisionMaking-v0", colour="red")


def test_saved_parameters_rebuild_the_same_task():
    from alrnn_tasks import get_task

    task = get_task("neurogym:PerceptualDecisionMaking-v0", dt=50)
    again = get_task(task.task_id, **task.params_dict())
    assert again.dt == 50 and again.params == task.params
    first, second = task.batch(4, seed=1), again.batch(4, seed=1)
    assert (first.inputs == second.inputs).all()
