"""neurogym environments as batched tasks: ``get_task("neurogym:<id>")``.

Any environment of neurogym (its native tasks and collections such as
``yang19.*``) becomes a :class:`~alrnn_tasks.task.Task`, so that the trainer,
the recorder and the analysis work on it unchanged. Its trials are produced
by neurogym itself, one trial at a time in Python, so generating a batch is
much slower than with the package's own vectorised tasks.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np
import torch

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError, UnknownTaskError, did_you_mean
from alrnn_tasks.random import Streams
from alrnn_tasks.task import Task, TaskParams

__all__ = ["NeurogymParams", "NeurogymTask", "neurogym_ids"]

# Trials drawn at construction to estimate the longest trial (see max_steps).
_PROBE_TRIALS = 64
_WRAPPER_ATTRIBUTE_WARNING = ".*to get variables from other wrappers is deprecated"


@dataclasses.dataclass(frozen=True)
class NeurogymParams(TaskParams):
    """Parameters of :class:`NeurogymTask`: the env id and its keyword arguments."""

    env_id: str = ""  # neurogym id, e.g. "yang19.dms-v0"
    env_kwargs: tuple[tuple[str, Any], ...] = ()  # (name, value) pairs, sorted


def neurogym_ids() -> list[str]:
    """Return every environment id neurogym registers, collections included.

    Returns
    -------
    list of str
        Sorted ids such as ``"PerceptualDecisionMaking-v0"``, ``"yang19.go-v0"``.
    """
    from neurogym.envs.registration import all_envs

    return all_envs(psychopy=False, contrib=True, collections=True)


class NeurogymTask(Task):
    """A neurogym environment seen as a batched task (slow: trials come from neurogym).

    **Description.** Each trial is produced by the wrapped neurogym
    environment's own ``new_trial``; its observation ``ob`` becomes the
    inputs and its ground truth ``gt`` the targets. The environment is
    reseeded from the batch seed at every batch (``streams("neurogym")``), so
    ``batch(n, seed=s)`` is reproducible and its first ``k`` trials do not
    depend on ``n``. Generation runs neurogym's Python code trial by trial:
    expect it to be one to two orders of magnitude slower than the package's
    vectorised tasks.

    **Periods.** neurogym's periods (the keys of its ``timing``; for a
    collection, the union over its environments), each trial's taken from
    its ``start_ind``/``end_ind``.

    **Observations.** neurogym's observation vector; channel names come from
    the observation space's ``name`` mapping when it has one (``input_k``
    otherwise). No noise is added beyond neurogym's own; inputs are clipped
    to the observation space when it is bounded.

    **Actions and targets.** A ``Discrete`` action space gives class targets
    (neurogym's ``gt``: 0 usually means fixate); a ``Box`` gives continuous
    targets. Output names come from the action space's ``name`` mapping
    when it has one.

    **Mask.** 1 on every step of a trial (neurogym has no loss mask), 0 on
    padding.

    **Episode end.** As the package's environments: trials follow each
    other.

    **Score.** Class targets: ``accuracy`` of the action at the last step of
    each trial. Continuous targets: ``mse`` over all steps.

    **Conditions.** The scalar entries of neurogym's trial dict (e.g.
    ``ground_truth``), filled with a neutral value where a trial lacks one.

    Parameters
    ----------
    env_id : str
        A neurogym id (see :func:`neurogym_ids`), without the ``neurogym:``
        prefix.
    **env_kwargs
        Keyword arguments of the neurogym environment (``dt``, ``timing``,
        ...).

    References
    ----------
    Molano-Mazón, M. et al. (2022). NeuroGym: an open resource for
    developing and sharing neuroscience tasks. PsyArXiv.

    Notes
    -----
    Version history: v0, first release.

    Examples
    --------
    >>> from alrnn_tasks import get_task
    >>> task = get_task("neurogym:PerceptualDecisionMaking-v0", dt=100)
    >>> task.batch(4, seed=0).inputs.shape[0]
    4
    """

    task_id: ClassVar[str] = "neurogym"
    Params: ClassVar[type[TaskParams]] = NeurogymParams
    target_kind: ClassVar[str] = "class"
    params: NeurogymParams

    def __init__(self, env_id: str, **env_kwargs: Any) -> None:
        self.env = _make(env_id, env_kwargs)
        self.task_id = f"neurogym:{env_id}"  # type: ignore[misc]
        self.target_kind = (  # type: ignore[misc]
            "class"
            if isinstance(self.env.action_space, gym.spaces.Discrete)
            else "continuous"
        )
        self._longest = 0
        super().__init__(
            dt=float(self.env.unwrapped.dt),
            env_id=env_id,
            env_kwargs=tuple(sorted(env_kwargs.items())),
        )
        self._generate(_PROBE_TRIALS, Streams(0))

    @classmethod
    def from_params(cls, env_id: str, /, **params: Any) -> NeurogymTask:
        """Build the task from env keyword arguments or from a saved ``params_dict()``.

        A saved parameter dict (what run directories store) holds ``env_id``,
        ``env_kwargs`` as (name, value) pairs and the env's ``dt``; anything
        else is passed to the neurogym env as keyword arguments.

        Parameters
        ----------
        env_id
            neurogym id, without the ``neurogym:`` prefix.
        **params
            Env keyword arguments, or the entries of a saved parameter dict.

        Returns
        -------
        NeurogymTask
            The wrapped env.
        """
        if "env_kwargs" not in params:
            return cls(env_id, **params)
        saved_id = params.get("env_id", env_id)
        if saved_id != env_id:
            raise TaskParameterError(
                f"saved parameters are for neurogym env {saved_id!r}, not {env_id!r}; "
                f"load them with get_task('neurogym:{saved_id}', ...)"
            )
        # dt is the env's own (set through env_kwargs when it was chosen)
        return cls(env_id, **dict(params["env_kwargs"]))

    def __repr__(self) -> str:
        kwargs = "".join(f", {k}={v!r}" for k, v in self.params.env_kwargs)
        return f"get_task({self.task_id!r}{kwargs})"

    # -- layout ----------------------------------------------------------
    @property
    def input_names(self) -> tuple[str, ...]:
        """Observation channel names from neurogym's space, or ``input_k``."""
        space = self.env.observation_space
        return _space_names(space, int(np.prod(space.shape)), "input")

    @property
    def output_names(self) -> tuple[str, ...]:
        """Action names from neurogym's space, or ``action_k`` / ``output_k``."""
        space = self.env.action_space
        if isinstance(space, gym.spaces.Discrete):
            return _space_names(space, int(space.n), "action")
        return _space_names(space, int(np.prod(space.shape)), "output")

    @property
    def period_names(self) -> tuple[str, ...]:
        """Union of the periods of the wrapped environment(s), in timing order."""
        envs = getattr(self.env, "envs", [self.env])
        names = [name for env in envs for name in env.unwrapped.timing]
        return tuple(dict.fromkeys(names))

    @property
    def max_steps(self) -> int:
        """Longest trial generated so far (at least 64 probed at construction).

        neurogym's timing distributions declare no bound, so this is an
        estimate that grows as longer trials appear.
        """
        return self._longest

    @property
    def input_limit(self) -> float:
        """Bound of neurogym's observation space (may be infinite)."""
        high = np.abs(np.asarray(self.env.observation_space.high, dtype=float))
        low = np.abs(np.asarray(self.env.observation_space.low, dtype=float))
        return float(max(high.max(), low.max()))

    # -- generation ------------------------------------------------------
    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        trials, observations, targets, periods = [], [], [], []
        names = self.period_names
        with warnings.catch_warnings():
            # neurogym's collections reach through gymnasium wrappers by
            # attribute, which gymnasium 0.29 flags as deprecated
            warnings.filterwarnings("ignore", message=_WRAPPER_ATTRIBUTE_WARNING)
            self.env.seed(int(streams("neurogym").integers(2**32)))
            for _ in range(n_trials):
                trial = self.env.new_trial()
                source = self.env.unwrapped  # the environment that made this trial
                observations.append(np.asarray(source.ob, dtype=np.float32))
                targets.append(np.asarray(source.gt))
                periods.append(_trial_periods(source, names, len(source.ob)))
                trials.append(trial or {})
        lengths = np.array([len(o) for o in observations])
        self._longest = max(self._longest, int(lengths.max()))
        return self._stack(observations, targets, periods, trials, lengths)

    def _stack(
        self,
        observations: list[np.ndarray],
        targets: list[np.ndarray],
        periods: list[np.ndarray],
        trials: list[dict[str, Any]],
        lengths: np.ndarray,
    ) -> dict[str, Any]:
        n_trials, n_steps = len(observations), int(lengths.max())
        inputs = np.zeros((n_trials, n_steps, self.n_inputs), dtype=np.float32)
        if self.target_kind == "class":
            target = np.zeros((n_trials, n_steps), dtype=np.int64)
        else:
            target = np.zeros((n_trials, n_steps, self.n_outputs), dtype=np.float32)
        period = np.full((n_trials, n_steps), PADDING_PERIOD, dtype=np.int64)
        for index, length in enumerate(lengths):
            inputs[index, :length] = observations[index].reshape(length, -1)
            target[index, :length] = targets[index].reshape(length, *target.shape[2:])
            period[index, :length] = periods[index]
        limit = self.input_limit
        if np.isfinite(limit):
            inputs = np.clip(inputs, -limit, limit)
        return {
            "inputs": inputs,
            "targets": target,
            "mask": (period != PADDING_PERIOD).astype(np.float32),
            "period": period,
            "conditions": _conditions(trials),
        }

    # -- scoring ---------------------------------------------------------
    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Accuracy at each trial's last step (class) or mean squared error.

        Parameters
        ----------
        outputs
            ``(trial, time, output)`` network outputs for ``batch``.
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy`` for class targets, ``mse`` for continuous ones.
        """
        if isinstance(outputs, torch.Tensor):
            outputs = outputs.detach().cpu().numpy()
        outputs = np.asarray(outputs)
        expected = (batch.n_trials, batch.n_steps, self.n_outputs)
        if outputs.shape != expected:
            raise TaskParameterError(
                f"{self.task_id}: outputs must have shape (trial, time, output) = "
                f"{expected}, got {outputs.shape}; pass the network's outputs on this batch"
            )
        targets = batch.targets.cpu().numpy()
        if self.target_kind == "continuous":
            valid = batch.mask.cpu().numpy() > 0
            return {"mse": float(((outputs - targets) ** 2)[valid].mean())}
        last = batch.lengths.cpu().numpy() - 1
        rows = np.arange(batch.n_trials)
        correct = outputs[rows, last].argmax(-1) == targets[rows, last]
        return {"accuracy": float(correct.mean())}


def _make(env_id: str, env_kwargs: dict[str, Any]) -> Any:
    """Build the neurogym env and strip gymnasium's own wrappers off it."""
    known = neurogym_ids()
    if env_id not in known:
        raise UnknownTaskError(
            f"unknown neurogym env {env_id!r}{did_you_mean(env_id, known)} "
            "(`alrnn_tasks.neurogym_source.neurogym_ids()` lists them)"
        )
    from neurogym.core import TrialEnv, TrialWrapper

    try:
        with warnings.catch_warnings():
            # gymnasium's note that neurogym's metadata lacks render_modes
            warnings.filterwarnings("ignore", message=".*render_modes")
            env = gym.make(env_id, disable_env_checker=True, **env_kwargs)
    except TypeError as error:
        raise TaskParameterError(
            f"neurogym env {env_id!r} rejected its arguments {sorted(env_kwargs)}: "
            f"{error}; see the env's documentation for its parameters"
        ) from None
    while isinstance(env, gym.Wrapper) and not isinstance(env, TrialWrapper):
        env = env.env
    if not isinstance(env, TrialEnv | TrialWrapper):
        raise TaskParameterError(
            f"neurogym env {env_id!r} is not trial-based (no new_trial); only "
            "neurogym TrialEnvs can be wrapped as batched tasks"
        )
    return env


def _space_names(space: gym.Space, size: int, prefix: str) -> tuple[str, ...]:
    """Names from neurogym's ``space.name`` mapping, or ``prefix_k``."""
    names = [f"{prefix}_{k}" for k in range(size)]
    mapping = getattr(space, "name", None)
    if isinstance(mapping, dict):
        for name, where in mapping.items():
            indices = [where] if isinstance(where, int | np.integer) else list(where)
            for position, index in enumerate(indices):
                if 0 <= index < size:
                    names[index] = name if len(indices) == 1 else f"{name}_{position}"
    return tuple(names)


def _trial_periods(env: Any, names: tuple[str, ...], length: int) -> np.ndarray:
    """``(time,)`` period index of each step of the env's current trial."""
    period = np.full(length, PADDING_PERIOD, dtype=np.int64)
    for name, start in env.start_ind.items():
        if name in names:
            period[start : env.end_ind[name]] = names.index(name)
    # Steps no period claims (rounding gaps) belong to the last claimed one.
    claimed = np.where(period != PADDING_PERIOD, np.arange(length), 0)
    period = period[np.maximum.accumulate(claimed)]
    return np.maximum(period, 0)


def _conditions(trials: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Scalar trial entries as ``(trial,)`` arrays, neutral-filled where absent."""
    keys = dict.fromkeys(
        key for trial in trials for key, value in trial.items() if np.ndim(value) == 0
    )
    conditions = {}
    for key in keys:
        present = [
            np.asarray(t[key]) for t in trials if key in t and np.ndim(t[key]) == 0
        ]
        dtype = np.result_type(*present)
        if dtype.kind == "O":
            continue
        fill: Any = {"U": "", "b": False, "i": -1, "u": 0}.get(dtype.kind, np.nan)
        if dtype.kind in "U":
            dtype = np.dtype(str)
        values = [
            t.get(key, fill) if np.ndim(t.get(key, fill)) == 0 else fill for t in trials
        ]
        conditions[key] = np.asarray(values, dtype=dtype if dtype.kind != "U" else None)
    return conditions
