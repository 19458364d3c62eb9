"""Shared environment tests, run on every registered task id."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import gymnasium as gym
import neurogym as ngym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from alrnn_tasks import TaskEnv, TaskVectorEnv, get_task, list_tasks

TASK_IDS = list_tasks()
# neurogym's Dataset seeds environments through the old `seed()` method, so
# TaskEnv keeps one; gymnasium's checker warns about that method's existence.
EXPECTED_WARNINGS = ("Official support for the `seed` function is dropped",)


def make_env(task_id: str) -> TaskEnv:
    return gym.make(task_id).unwrapped


def run_actions(env, n_steps: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    env.action_space.seed(seed)
    observations, rewards = [], []
    for _ in range(n_steps):
        action = (
            env.action_space.sample()
            if rng.random() < 0.5
            else env.action_space.sample() * 0
        )
        observation, reward, *_ = env.step(action)
        observations.append(observation)
        rewards.append(reward)
    return np.array(observations), np.array(rewards)


def test_every_catalog_id_is_registered_with_gymnasium():
    assert TASK_IDS, "no tasks registered"
    for task_id in TASK_IDS:
        assert task_id in gym.envs.registry


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_check_env_passes_without_unexpected_warnings(task_id):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(make_env(task_id))
    unexpected = [
        str(w.message)
        for w in caught
        if not any(e in str(w.message) for e in EXPECTED_WARNINGS)
    ]
    assert unexpected == []


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_gym_make_and_neurogym_make_give_the_same_trials(task_id):
    a, b = gym.make(task_id), ngym.make(task_id)
    obs_a, _ = a.reset(seed=5)
    obs_b, _ = b.reset(seed=5)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(run_actions(a, 50, 1)[0], run_actions(b, 50, 1)[0])


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_reset_seed_alone_makes_the_stream_reproducible(task_id):
    a, b = make_env(task_id), make_env(task_id)
    a.reset(seed=11)
    # b has drawn other trials first: the seed must still decide everything
    b.reset(seed=99)
    run_actions(b, 30, 0)
    b.reset(seed=11)
    obs_a, rew_a = run_actions(a, 300, 2)
    obs_b, rew_b = run_actions(b, 300, 2)
    np.testing.assert_array_equal(obs_a, obs_b)
    np.testing.assert_array_equal(rew_a, rew_b)


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_different_seeds_give_different_trials(task_id):
    a, b = make_env(task_id), make_env(task_id)
    a.reset(seed=1)
    b.reset(seed=2)
    assert not np.array_equal(run_actions(a, 100, 0)[0], run_actions(b, 100, 0)[0])


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_env_serves_the_trials_of_task_batch_with_the_same_seed(task_id):
    env = make_env(task_id)
    env.reset(seed=7)
    batch = env.task.batch(3, seed=7)
    for i in range(3):
        length = int(batch.lengths[i])
        np.testing.assert_array_equal(env.ob, batch.inputs[i, :length].numpy())
        np.testing.assert_array_equal(env.gt, batch.targets[i, :length].numpy())
        for _ in range(length):
            *_, info = env.step(env.action_space.sample() * 0)
        assert info["new_trial"]


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_trials_do_not_depend_on_batch_size(task_id):
    task = get_task(task_id)
    small, large = task.batch(4, seed=3), task.batch(37, seed=3)
    for i in range(4):
        length = int(small.lengths[i])
        assert int(large.lengths[i]) == length
        np.testing.assert_array_equal(
            small.inputs[i, :length], large.inputs[i, :length]
        )
        np.testing.assert_array_equal(
            small.targets[i, :length], large.targets[i, :length]
        )
    for name, values in small.conditions.items():
        np.testing.assert_array_equal(values, large.conditions[name][:4])


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_observations_stay_inside_the_observation_space(task_id):
    env = make_env(task_id)
    observation, _ = env.reset(seed=0)
    assert observation in env.observation_space
    for _ in range(400):
        observation, *_ = env.step(env.action_space.sample())
        assert observation in env.observation_space


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_pickled_env_continues_identically(task_id):
    env = make_env(task_id)
    env.reset(seed=4)
    run_actions(env, 17, 0)
    clone = pickle.loads(pickle.dumps(env))
    np.testing.assert_array_equal(
        run_actions(env, 100, 3)[0], run_actions(clone, 100, 3)[0]
    )


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_neurogym_dataset_returns_batches_of_the_expected_shape(task_id):
    env = make_env(task_id)
    dataset = ngym.Dataset(env, batch_size=8, seq_len=40)
    inputs, target = dataset()
    assert inputs.shape == (40, 8, env.observation_space.shape[0])
    assert target.shape == (40, 8, *env.action_space.shape)
    assert np.isfinite(inputs).all()


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_neurogym_pass_reward_wrapper_runs(task_id):
    env = ngym.wrappers.PassReward(make_env(task_id))
    observation, _ = env.reset(seed=0)
    assert observation.shape == (env.unwrapped.observation_space.shape[0] + 1,)
    for _ in range(60):
        observation, reward, *_ = env.step(env.action_space.sample())
        assert observation[-1] == reward


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_vector_env_stream_k_equals_a_single_env_seeded_s_plus_k(task_id):
    vector = TaskVectorEnv(task_id, num_envs=3, chunk_trials=5)
    observations, _ = vector.reset(seed=20)
    singles = [make_env(task_id) for _ in range(3)]
    first = [env.reset(seed=20 + k)[0] for k, env in enumerate(singles)]
    np.testing.assert_array_equal(observations, np.stack(first))
    rng = np.random.default_rng(0)
    for _ in range(150):
        actions = np.stack([vector.single_action_space.sample() for _ in range(3)])
        if rng.random() < 0.7:
            actions = actions * 0
        observations, rewards, _, _, info = vector.step(actions)
        for k, env in enumerate(singles):
            observation, reward, _, _, single_info = env.step(actions[k])
            np.testing.assert_array_equal(observations[k], observation)
            assert rewards[k] == reward
            assert info["new_trial"][k] == single_info["new_trial"]


def test_gym_make_works_in_a_fresh_interpreter_without_importing_the_package():
    code = (
        "import sys, gymnasium as gym\n"
        "env = gym.make('StimulusSelection-v0')\n"
        "obs, info = env.reset(seed=0)\n"
        "print(type(env.unwrapped).__module__, obs.shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["alrnn_tasks.env", "(5,)"]
