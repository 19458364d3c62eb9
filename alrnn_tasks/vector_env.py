"""A native vector environment: many trial streams stepped at once.

Unlike ``gymnasium.vector.SyncVectorEnv``, which steps ``N`` copies of an
environment in a Python loop, :class:`TaskVectorEnv` keeps the trials of all
``N`` streams in one array and steps them with array indexing. Trials come
from the task's batched generator, a chunk per stream at a time; sub-env ``k``
reset with seed ``s`` sees exactly the trials of ``TaskEnv`` reset with seed
``s + k`` (gymnasium's convention for vector seeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space

from alrnn_tasks.batch import PADDING_PERIOD
from alrnn_tasks.env import draw_chunk, make_spaces, resolve_task
from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.random import fresh_seed
from alrnn_tasks.task import Task, check_count, check_seed

__all__ = ["TaskVectorEnv"]


class TaskVectorEnv(gym.vector.VectorEnv):
    """``num_envs`` independent trial streams of one task, stepped together.

    Parameters
    ----------
    task_id
        Registered task id.
    num_envs
        Number of streams.
    task
        A task object, instead of ``task_id`` and ``params``.
    chunk_trials
        Trials generated per stream per call to the generator.
    **params
        Task parameters.

    Examples
    --------
    >>> envs = TaskVectorEnv("StimulusSelection-v0", num_envs=4)
    >>> observations, info = envs.reset(seed=0)
    >>> observations.shape
    (4, 5)
    >>> observations, rewards, terminated, truncated, info = envs.step(np.zeros(4, dtype=int))
    >>> info["new_trial"].shape
    (4,)
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}
    render_mode = None

    def __init__(
        self,
        task_id: str | None = None,
        num_envs: int = 1,
        *,
        task: Task | None = None,
        chunk_trials: int = 64,
        **params: Any,
    ) -> None:
        task = resolve_task("TaskVectorEnv", task_id, task, params)
        self.task = task
        self.num_envs = check_count("num_envs", num_envs)
        self.chunk_trials = check_count("chunk_trials", chunk_trials)
        # Set by hand rather than through VectorEnv.__init__, whose signature
        # differs between gymnasium 0.29 and 1.x.
        self.single_observation_space, self.single_action_space = make_spaces(task)
        self.observation_space = batch_space(
            self.single_observation_space, self.num_envs
        )
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.is_vector_env = True
        self.closed = False
        self.viewer = None

        n, chunk, steps = self.num_envs, self.chunk_trials, task.max_steps
        self._inputs = np.zeros((n, chunk, steps, task.n_inputs), dtype=np.float32)
        target_shape = (
            (n, chunk, steps)
            if task.target_kind == "class"
            else (n, chunk, steps, task.n_outputs)
        )
        self._targets = np.zeros(
            target_shape, dtype=np.int64 if task.target_kind == "class" else np.float32
        )
        self._mask = np.zeros((n, chunk, steps), dtype=np.float32)
        # one extra padding step so that "the next step's period" always exists
        self._period = np.full((n, chunk, steps + 1), PADDING_PERIOD, dtype=np.int64)
        self._lengths = np.zeros((n, chunk), dtype=np.int64)
        self._conditions: dict[str, np.ndarray] = {}
        self._seeds = np.zeros(n, dtype=np.int64)
        self._chunk_index = np.zeros(n, dtype=np.int64)
        self._trial = np.zeros(n, dtype=np.int64)
        self._t = np.zeros(n, dtype=np.int64)
        self._decided = np.zeros(n, dtype=bool)
        self._rewarded = np.zeros(n, dtype=bool)
        self._started = False

    # -- trials ----------------------------------------------------------
    def _refill(self, env: int) -> None:
        chunk = draw_chunk(
            self.task,
            int(self._seeds[env]),
            int(self._chunk_index[env]),
            self.chunk_trials,
        )
        self._chunk_index[env] += 1
        steps = chunk.n_steps
        self._inputs[env] = 0.0
        self._inputs[env, :, :steps] = chunk.inputs.numpy()
        self._targets[env] = 0
        self._targets[env, :, :steps] = chunk.targets.numpy()
        self._mask[env] = 0.0
        self._mask[env, :, :steps] = chunk.mask.numpy()
        self._period[env] = PADDING_PERIOD
        self._period[env, :, :steps] = chunk.period.numpy()
        self._lengths[env] = chunk.lengths.numpy()
        for key, values in chunk.conditions.items():
            if key not in self._conditions:
                self._conditions[key] = np.zeros(
                    (self.num_envs, self.chunk_trials), dtype=values.dtype
                )
            elif (
                values.dtype.kind == "U"
                and values.dtype.itemsize > self._conditions[key].dtype.itemsize
            ):
                self._conditions[key] = self._conditions[key].astype(values.dtype)
            self._conditions[key][env] = values
        self._trial[env] = 0

    def _state(self) -> dict[str, Any]:
        envs = np.arange(self.num_envs)
        trial, t = self._trial, self._t
        state: dict[str, Any] = {
            key: values[envs, trial] for key, values in self._conditions.items()
        }
        state["period"] = self._period[envs, trial, t]
        state["mask"] = self._mask[envs, trial, t]
        state["target"] = self._targets[envs, trial, t]
        state["last_in_period"] = self._period[envs, trial, t + 1] != state["period"]
        state["decided"] = self._decided
        state["rewarded"] = self._rewarded
        return state

    def _observe(self) -> np.ndarray:
        envs = np.arange(self.num_envs)
        observation = self._inputs[envs, self._trial, self._t]
        return self.task.env_observe(observation, self._state())

    def _trial_info(self) -> dict[str, np.ndarray]:
        envs = np.arange(self.num_envs)
        return {
            key: values[envs, self._trial] for key, values in self._conditions.items()
        }

    # -- gymnasium API ---------------------------------------------------
    def reset(
        self,
        *,
        seed: int | Sequence[int] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Restart every stream and return the first observations.

        Parameters
        ----------
        seed
            ``s`` gives stream ``k`` the seed ``s + k``; a list gives one seed
            per stream; ``None`` draws fresh seeds.
        options
            Unused; accepted for the Gymnasium API.

        Returns
        -------
        observations : numpy.ndarray
            ``(env, input)``.
        info : dict
            ``trial``: dict of ``(env,)`` condition arrays of the current trials.
        """
        if seed is None:
            seeds = [fresh_seed() for _ in range(self.num_envs)]
        elif isinstance(seed, int | np.integer):
            seeds = [check_seed(seed) + k for k in range(self.num_envs)]
        else:
            seeds = [check_seed(s) for s in seed]
            if len(seeds) != self.num_envs:
                raise TaskParameterError(
                    f"reset needs {self.num_envs} seeds (one per env), got {len(seeds)}"
                )
        self._seeds[:] = seeds
        self._chunk_index[:] = 0
        for env in range(self.num_envs):
            self._refill(env)
        self._t[:] = 0
        self._decided[:] = False
        self._rewarded[:] = False
        self._started = True
        return self._observe(), {"trial": self._trial_info()}

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Step every stream by one ``dt``.

        Parameters
        ----------
        actions
            ``(env,)`` actions (or ``(env, output)`` for continuous tasks).

        Returns
        -------
        observations, rewards, terminated, truncated, info
            Arrays over envs. Trial streams never terminate. ``info`` holds
            ``gt`` (target of the step), ``new_trial`` (the step ended a
            trial; its observation is the next trial's first) and ``outcome``
            (``""`` unless decided this step).
        """
        if not self._started:
            raise TaskParameterError("call reset() before step() on TaskVectorEnv")
        actions = np.asarray(actions)
        if actions.shape[:1] != (self.num_envs,):
            raise TaskParameterError(
                f"step needs one action per env, shape ({self.num_envs}, ...), got {actions.shape}"
            )
        state = self._state()
        rewards, outcome = self.task.env_step(actions, state)
        info = {"gt": state["target"], "outcome": outcome}

        self._t += 1
        envs = np.arange(self.num_envs)
        new_trial = self._t >= self._lengths[envs, self._trial]
        if new_trial.any():
            self._t[new_trial] = 0
            self._trial[new_trial] += 1
            self._decided[new_trial] = False
            self._rewarded[new_trial] = False
            for env in np.flatnonzero(self._trial >= self.chunk_trials):
                self._refill(int(env))
        info["new_trial"] = new_trial
        false = np.zeros(self.num_envs, dtype=bool)
        return self._observe(), rewards, false, false.copy(), info

    def close(self, **kwargs: Any) -> None:
        """Release the trial buffers."""
        self.closed = True
