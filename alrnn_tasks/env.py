"""Gymnasium environment of a task: a ``neurogym.TrialEnv`` over its batched generator.

The environment draws its trials in chunks from ``task.batch`` (or from
``task.sessions`` for tasks whose trials depend on earlier ones) and serves
them one step at a time. ``reset(seed=s)`` alone decides every trial: the
first chunk is ``task.batch(chunk_trials, seed=s)``, so the environment's
first trials are those of ``task.batch(n, seed=s)``; later chunks use seeds
derived from ``s``.

Because the class is a ``neurogym.TrialEnv`` and fills ``ob``, ``gt``,
``trial``, ``start_ind`` and ``end_ind`` on every new trial, neurogym's
``Dataset``, wrappers (``Noise``, ``PassReward``, ``ScheduleEnvs``, ...) and
plotting work on it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from neurogym.core import OBNOW, TrialEnv

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.random import child_seed, fresh_seed
from alrnn_tasks.registry import get_task
from alrnn_tasks.task import Task, check_count, check_seed

__all__ = ["TaskEnv", "draw_chunk", "make_spaces", "resolve_task"]

# neurogym's step() replaces this marker with self.ob[t_ind] after advancing t
_OBSERVE_NOW = OBNOW


def make_spaces(task: Task) -> tuple[spaces.Box, spaces.Space]:
    """Observation and action space of one environment of ``task``.

    Parameters
    ----------
    task
        The task.

    Returns
    -------
    observation_space : gymnasium.spaces.Box
        ``(input,)`` float32 within ±``task.input_limit``.
    action_space : gymnasium.spaces.Space
        ``Discrete(n_actions)`` for class targets, ``Box(-1, 1, (output,))``
        for continuous ones.
    """
    limit = np.float32(task.input_limit)
    observation_space = spaces.Box(
        -limit, limit, shape=(task.n_inputs,), dtype=np.float32
    )
    if task.target_kind == "class":
        action_space: spaces.Space = spaces.Discrete(task.n_outputs)
    else:
        action_space = spaces.Box(-1.0, 1.0, shape=(task.n_outputs,), dtype=np.float32)
    return observation_space, action_space


def draw_chunk(task: Task, seed: int, index: int, n_trials: int) -> TrialBatch:
    """Return the ``index``-th chunk of ``n_trials`` trials of the stream seeded ``seed``.

    Chunk 0 is ``task.batch(n_trials, seed=seed)``; chunk ``k`` uses a seed
    derived from ``(seed, k)`` and, for session tasks, carries the session on
    (its first trial is trial ``k * n_trials`` of the session).

    Parameters
    ----------
    task
        The task.
    seed
        Seed of the stream.
    index
        Chunk number.
    n_trials
        Trials per chunk.

    Returns
    -------
    TrialBatch
        The chunk, on the CPU.
    """
    chunk_seed = seed if index == 0 else child_seed(seed, index)
    if task.session_based:
        return task.batch(n_trials, seed=chunk_seed, start=index * n_trials)  # type: ignore[call-arg]
    return task.batch(n_trials, seed=chunk_seed)


def resolve_task(
    owner: str, task_id: str | None, task: Task | None, params: dict[str, Any]
) -> Task:
    """Return ``task``, or build it from ``task_id`` and ``params``.

    Parameters
    ----------
    owner
        Name of the environment class, for the message.
    task_id, task, params
        Either a registered id with its parameters, or a task object alone.

    Returns
    -------
    Task
        The task the environment steps through.
    """
    if task is None:
        if task_id is None:
            raise TaskParameterError(f"{owner} needs a task_id or a task, got neither")
        return get_task(task_id, **params)
    if params or task_id is not None:
        raise TaskParameterError(
            f"{owner} got a task object and also task_id/parameters "
            f"{sorted(params)}; pass parameters to get_task and only the task here"
        )
    return task


class TaskEnv(TrialEnv):
    """One environment stepping through the trials of a task.

    Parameters
    ----------
    task_id
        Registered task id (what ``gym.make`` passes).
    task
        A task object, instead of ``task_id`` and ``params``.
    chunk_trials
        Trials generated per call to the batched generator.
    **params
        Task parameters, as for :func:`alrnn_tasks.get_task`.

    Examples
    --------
    >>> import gymnasium as gym
    >>> env = gym.make("StimulusSelection-v0")
    >>> observation, info = env.reset(seed=0)
    >>> observation.shape
    (5,)
    """

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": [],
        "paper_link": None,
        "paper_name": None,
    }

    def __init__(
        self,
        task_id: str | None = None,
        *,
        task: Task | None = None,
        chunk_trials: int = 64,
        **params: Any,
    ) -> None:
        task = resolve_task("TaskEnv", task_id, task, params)
        super().__init__(dt=task.dt)
        self.task = task
        self.chunk_trials = check_count("chunk_trials", chunk_trials)
        self.observation_space, self.action_space = make_spaces(task)
        self.timing = dict(getattr(task, "timing", {"trial": task.max_steps * task.dt}))
        self.rewards = {
            k.removeprefix("reward_"): v
            for k, v in task.params_dict().items()
            if k.startswith("reward_")
        }
        self.metadata = {
            **self.metadata,
            "description": (type(task).__doc__ or "").split("\n")[0],
        }
        self._stream_seed: int | None = None
        self._chunk: TrialBatch | None = None
        self._chunk_index = 0
        self._next_trial = 0
        self._step_state: dict[str, Any] = {}

    # -- seeding ---------------------------------------------------------
    def _restart_stream(self, seed: int) -> None:
        self._stream_seed = int(seed)
        self._chunk = None
        self._chunk_index = 0
        self._next_trial = 0

    def seed(self, seed: int | None = None) -> list[int]:
        """Restart the trial stream from ``seed`` (neurogym's ``Dataset`` calls this).

        Parameters
        ----------
        seed
            Non-negative integer, or ``None`` for a fresh seed.

        Returns
        -------
        list of int
            The seed used.
        """
        seed = fresh_seed() if seed is None else check_seed(seed)
        self._restart_stream(seed)
        self.action_space.seed(seed)
        return [seed]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new trial and return its first observation.

        Parameters
        ----------
        seed
            Restarts the trial stream: the trials that follow are those of
            ``task.batch(n, seed=seed)``. Without a seed the stream goes on
            (or, on the first reset, starts from a fresh seed).
        options
            neurogym's reset options: with ``step_fn`` (what neurogym wrappers
            such as ``PassReward`` pass), the first observation is the one
            ``step_fn`` returns after a no-op action (hold, or zeros), as in
            neurogym; otherwise the trial's first observation is returned
            without taking a step.

        Returns
        -------
        observation : numpy.ndarray
            First observation of the trial.
        info : dict
            ``trial``: the trial's conditions.
        """
        gym.Env.reset(self, seed=seed)
        if seed is not None:
            self._restart_stream(check_seed(seed))
        elif self._stream_seed is None:
            self._restart_stream(int(self.np_random.integers(2**62)))
        self.num_tr = 0
        self.t = self.t_ind = 0
        self._top.new_trial()
        step_fn = (options or {}).get("step_fn")
        if step_fn is not None:
            observation, *_ = step_fn(self._no_op())
            return observation, {"trial": self.trial}
        return self._observe(0), {"trial": self.trial}

    def _no_op(self) -> Any:
        if isinstance(self.action_space, spaces.Discrete):
            return 0
        return np.zeros(self.action_space.shape, dtype=self.action_space.dtype)

    # -- trials ----------------------------------------------------------
    def _new_trial(self, **kwargs: Any) -> dict[str, Any]:
        if self._stream_seed is None:
            self._restart_stream(fresh_seed())
        if self._chunk is None or self._next_trial >= len(self._chunk.lengths):
            batch = draw_chunk(
                self.task, self._stream_seed, self._chunk_index, self.chunk_trials
            )
            self._chunk = _Chunk(batch)
            self._chunk_index += 1
            self._next_trial = 0
        chunk, i = self._chunk, self._next_trial
        self._next_trial += 1

        length = int(chunk.lengths[i])
        self.ob = chunk.inputs[i, :length]
        self.gt = chunk.targets[i, :length]
        self._period = chunk.period[i, : length + 1]  # + one padding step
        self._mask = chunk.mask[i, :length]
        self._gt_built = True
        self._tmax = self.tmax = length * self.dt
        self.start_ind, self.end_ind = chunk.start_ind[i], chunk.end_ind[i]
        self.start_t = {name: step * self.dt for name, step in self.start_ind.items()}
        self.end_t = {name: step * self.dt for name, step in self.end_ind.items()}
        self._step_state = {
            **{key: values[i : i + 1] for key, values in chunk.conditions.items()},
            "decided": np.zeros(1, dtype=bool),
            "rewarded": np.zeros(1, dtype=bool),
        }
        return {key: values[i].item() for key, values in chunk.conditions.items()}

    def _observe(self, t_ind: int) -> np.ndarray:
        state = self._step_view(t_ind)
        return self.task.env_observe(self.ob[t_ind][None], state)[0]

    def _step_view(self, t_ind: int) -> dict[str, Any]:
        state = self._step_state
        state["period"] = self._period[t_ind : t_ind + 1]
        state["mask"] = self._mask[t_ind : t_ind + 1]
        state["target"] = self.gt[t_ind : t_ind + 1]
        state["last_in_period"] = self._period[t_ind + 1 : t_ind + 2] != state["period"]
        return state

    def _step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        t_ind = self.t_ind
        state = self._step_view(t_ind)
        rewards, outcome = self.task.env_step(np.asarray(action)[None], state)
        info: dict[str, Any] = {}
        if outcome[0]:
            info["outcome"] = str(outcome[0])
            self.performance = float(outcome[0] == "hit")
        return _OBSERVE_NOW, float(rewards[0]), False, False, info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Take ``action`` for one step of ``dt`` ms.

        Parameters
        ----------
        action
            An element of ``action_space``.

        Returns
        -------
        observation, reward, terminated, truncated, info
            As in Gymnasium. ``info["new_trial"]`` marks the last step of a
            trial (the observation is then the next trial's first);
            ``info["gt"]`` is the target of the step; ``info["outcome"]``
            appears when the trial's outcome is decided.
        """
        _, reward, terminated, truncated, info = super().step(action)
        return self._observe(self.t_ind), reward, terminated, truncated, info


class _Chunk:
    """The trials of one generated chunk as numpy arrays, read trial by trial."""

    def __init__(self, batch: TrialBatch) -> None:
        self.inputs = batch.inputs.numpy()
        self.targets = batch.targets.numpy()
        self.mask = batch.mask.numpy()
        # one extra padding step, so "the period of the next step" always exists
        period = batch.period.numpy()
        padding = np.full((len(period), 1), PADDING_PERIOD, dtype=period.dtype)
        self.period = np.concatenate([period, padding], axis=1)
        self.lengths = (period != PADDING_PERIOD).sum(axis=1)
        self.conditions = batch.conditions
        self.start_ind: list[dict[str, int]] = [{} for _ in self.lengths]
        self.end_ind: list[dict[str, int]] = [{} for _ in self.lengths]
        for index, name in enumerate(batch.period_names):
            inside = period == index
            present = inside.any(axis=1)
            first = inside.argmax(axis=1)
            count = inside.sum(axis=1)
            for trial in np.flatnonzero(present):
                self.start_ind[trial][name] = int(first[trial])
                self.end_ind[trial][name] = int(first[trial] + count[trial])
