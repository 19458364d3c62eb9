"""Base class of every task: a vectorised generator of whole trial batches.

A task samples the latent variables of ``n`` trials at once (numpy, one named
random stream per variable, see :mod:`alrnn_tasks.random`), lays out their
periods on a common padded time grid, and returns a :class:`TrialBatch` of
torch tensors on the requested device. The Gymnasium environment, the vector
environment and the neurogym interface are views of this one generator.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from alrnn_tasks.batch import PADDING_PERIOD, TrialBatch
from alrnn_tasks.errors import TaskParameterError, did_you_mean
from alrnn_tasks.random import Streams, fresh_seed

__all__ = ["Task", "TaskParams", "Timing", "resolve_device"]

# A period duration in ms: a constant, or (low, high) for a uniform draw.
Timing = float | tuple[float, float]


@dataclasses.dataclass(frozen=True)
class TaskParams:
    """Parameters every task shares.

    Parameters
    ----------
    dt
        Step length in ms.
    """

    dt: float = 20.0  # ms per step


class Task:
    """A batched trial generator; subclass it to define a task.

    Subclasses set the class attributes below, a frozen dataclass ``Params``
    (subclass of :class:`TaskParams`) and implement :meth:`_generate` and
    :meth:`score`.

    Parameters
    ----------
    **params
        Values for the fields of the task's ``Params`` dataclass.
    """

    task_id: ClassVar[str] = ""
    Params: ClassVar[type[TaskParams]] = TaskParams
    # "class": targets are action labels; "continuous": targets are vectors.
    target_kind: ClassVar[str] = "class"
    # True when a trial depends on earlier trials (see :meth:`sessions`).
    session_based: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        valid = [f.name for f in dataclasses.fields(self.Params)]
        for name in params:
            if name not in valid:
                raise TaskParameterError(
                    f"{self.task_id} has no parameter '{name}'{did_you_mean(name, valid)} "
                    f"(parameters: {', '.join(valid)})"
                )
        self.params = self.Params(**params)
        self._params_dict = _plain(dataclasses.asdict(self.params))
        if not isinstance(self.params.dt, int | float) or not self.params.dt > 0:
            raise TaskParameterError(
                f"{self.task_id}: dt must be a positive number of ms, got {self.params.dt!r}"
            )
        self._validate()

    # -- what subclasses provide -----------------------------------------
    @property
    def input_names(self) -> tuple[str, ...]:
        """Names of the input channels, in order."""
        raise NotImplementedError

    @property
    def output_names(self) -> tuple[str, ...]:
        """Names of the actions (class targets) or output channels."""
        raise NotImplementedError

    @property
    def period_names(self) -> tuple[str, ...]:
        """Names of the periods a trial can contain, in order."""
        raise NotImplementedError

    @property
    def max_steps(self) -> int:
        """Longest possible trial in steps; bounds the noise drawn per trial."""
        raise NotImplementedError

    @property
    def input_limit(self) -> float:
        """Bound on the absolute value of every input (the observation space's)."""
        raise NotImplementedError

    def _validate(self) -> None:
        """Check parameter combinations; raise :class:`TaskParameterError`."""

    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        """Return the numpy arrays of a batch of ``n_trials`` trials.

        Keys: ``inputs`` (trial, time, input) float32, ``targets``, ``mask``,
        ``period`` and ``conditions`` (dict of (trial,) arrays).
        """
        raise NotImplementedError

    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Score network outputs on a batch; see the subclass for the groups.

        Parameters
        ----------
        outputs
            ``(trial, time, output)`` network outputs for ``batch``.
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy`` and accuracy per condition group.
        """
        raise NotImplementedError

    def env_step(
        self, actions: np.ndarray, step: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rewards and outcomes of one environment step, vectorised over envs.

        The default rewards following the target: for class targets 1 per
        masked step where the action equals the target; for continuous
        targets minus the mask-weighted mean squared error. Tasks with a
        behavioural outcome (a choice) override it.

        Parameters
        ----------
        actions
            ``(env,)`` integer or ``(env, output)`` float actions.
        step
            Arrays over envs for the current step: ``period``, ``mask``,
            ``target``, ``last_in_period``, the current trial's conditions,
            and the mutable trial state ``decided`` and ``rewarded``.

        Returns
        -------
        rewards : numpy.ndarray
            ``(env,)`` float rewards.
        outcome : numpy.ndarray
            ``(env,)`` outcome names, ``""`` where none is decided.
        """
        mask = np.asarray(step["mask"], dtype=np.float64)
        target = np.asarray(step["target"])
        if self.target_kind == "class":
            rewards = mask * (np.asarray(actions) == target)
        else:
            error = (np.asarray(actions, dtype=np.float64) - target) ** 2
            rewards = -mask * error.mean(axis=-1)
        return rewards.astype(np.float64), np.full(len(mask), "")

    def env_observe(self, observation: np.ndarray, step: dict[str, Any]) -> np.ndarray:
        """Adjust generated observations to what the agent did (default: unchanged).

        Parameters
        ----------
        observation
            ``(env, input)`` generated observations.
        step
            As in :meth:`env_step`.

        Returns
        -------
        numpy.ndarray
            The observations the agent sees.
        """
        return observation

    # -- public surface --------------------------------------------------
    @property
    def dt(self) -> float:
        """Step length in ms."""
        return float(self.params.dt)

    @property
    def n_inputs(self) -> int:
        """Number of input channels."""
        return len(self.input_names)

    @property
    def n_outputs(self) -> int:
        """Number of actions (class targets) or output channels."""
        return len(self.output_names)

    def params_dict(self) -> dict[str, Any]:
        """Return the task parameters as a plain dict (tuples become lists)."""
        return dict(self._params_dict)

    def batch(
        self,
        batch_size: int,
        *,
        seed: int | None = None,
        device: str | torch.device = "cpu",
    ) -> TrialBatch:
        """Generate ``batch_size`` trials.

        Parameters
        ----------
        batch_size
            Number of trials, at least 1.
        seed
            Seed of every random draw; ``None`` draws a fresh one, stored in
            ``TrialBatch.seed``. The first ``k`` trials are the same for every
            ``batch_size >= k``.
        device
            Torch device of the returned tensors (``"cpu"``, ``"cuda"``, ...).

        Returns
        -------
        TrialBatch
            The trials, padded to the longest one.
        """
        return self._make_batch(batch_size, seed=seed, device=device)

    def _make_batch(
        self,
        n_trials: int,
        *,
        seed: int | None,
        device: str | torch.device,
        **options: Any,
    ) -> TrialBatch:
        n_trials = check_count("batch_size", n_trials)
        seed = check_seed(seed)
        torch_device = resolve_device(device)
        arrays = self._generate(n_trials, Streams(seed), **options)

        def tensor(array: np.ndarray | torch.Tensor) -> torch.Tensor:
            if isinstance(array, np.ndarray):
                array = torch.from_numpy(np.ascontiguousarray(array))
            return array.contiguous().to(torch_device)

        return TrialBatch(
            inputs=tensor(arrays["inputs"]).float(),
            targets=tensor(arrays["targets"]),
            mask=tensor(arrays["mask"]).float(),
            period=tensor(arrays["period"]).long(),
            conditions=arrays["conditions"],
            dt=self.dt,
            input_names=self.input_names,
            output_names=self.output_names,
            period_names=self.period_names,
            task_id=self.task_id,
            seed=seed,
            task_params=dict(self._params_dict),
        )

    def __repr__(self) -> str:
        changed = {
            f.name: getattr(self.params, f.name)
            for f in dataclasses.fields(self.params)
            if getattr(self.params, f.name) != f.default
        }
        args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"get_task({self.task_id!r}{', ' if args else ''}{args})"

    # -- helpers for subclasses ------------------------------------------
    def input_noise(
        self, streams: Streams, n_trials: int, n_steps: int, n_channels: int
    ) -> torch.Tensor:
        """Draw standard normal input noise, ``(trial, time, channel)``, on the CPU.

        Each trial's noise is drawn for the longest possible trial
        (``max_steps``) and cut to ``n_steps``, so it does not depend on the
        other trials of the batch. torch's CPU sampler fills normals in
        blocks of 16 values, so each trial gets a whole number of blocks;
        that keeps the first ``k`` trials identical for every batch size
        (tested for every task).

        Parameters
        ----------
        streams
            The batch's random streams (stream ``"noise"``).
        n_trials, n_steps, n_channels
            Shape of the noise.

        Returns
        -------
        torch.Tensor
            float32 noise.
        """
        per_trial = self.max_steps * n_channels
        width = -(-per_trial // 16) * 16
        seed = int(streams("noise").integers(2**63, dtype=np.uint64))
        generator = torch.Generator().manual_seed(seed)
        noise = torch.randn((n_trials, width), generator=generator)
        return noise[:, :per_trial].view(n_trials, self.max_steps, n_channels)[
            :, :n_steps
        ]

    def steps(self, ms: np.ndarray | float) -> np.ndarray:
        """Convert durations in ms to whole steps (rounded to the nearest step).

        Parameters
        ----------
        ms
            Duration(s) in ms.

        Returns
        -------
        numpy.ndarray
            Integer number of steps.
        """
        return np.rint(np.asarray(ms, dtype=float) / self.dt).astype(np.int64)

    def draw_duration(
        self, streams: Streams, name: str, timing: Timing, n_trials: int
    ) -> np.ndarray:
        """Draw ``n_trials`` durations of period ``name`` in steps.

        Parameters
        ----------
        streams
            The batch's random streams; the stream is named after the period.
        name
            Period name.
        timing
            A constant in ms, or ``(low, high)`` ms for a uniform draw.
        n_trials
            Number of trials.

        Returns
        -------
        numpy.ndarray
            ``(trial,)`` integer durations in steps.
        """
        if isinstance(timing, tuple | list):
            low, high = timing
            ms = streams(f"timing/{name}").uniform(low, high, size=n_trials)
        else:
            ms = np.full(n_trials, float(timing))
        return self.steps(ms)

    def check_timing(
        self, name: str, timing: Timing, *, allow_zero: bool = False
    ) -> None:
        """Raise :class:`TaskParameterError` unless ``timing`` gives whole steps.

        Parameters
        ----------
        name
            Period name, for the message.
        timing
            A constant in ms, or ``(low, high)`` ms.
        allow_zero
            Whether a zero-length period is allowed.
        """
        bounds = tuple(timing) if isinstance(timing, tuple | list) else (timing, timing)
        valid = len(bounds) == 2 and all(isinstance(b, int | float) for b in bounds)
        if not valid or bounds[0] > bounds[1] or bounds[0] < 0:
            raise TaskParameterError(
                f"{self.task_id}: timing of '{name}' must be ms >= 0 or (low, high) "
                f"with low <= high, got {timing!r}"
            )
        least = 0 if allow_zero else 1
        if int(self.steps(bounds[0])) < least:
            raise TaskParameterError(
                f"{self.task_id}: '{name}' of {bounds[0]} ms is shorter than one step "
                f"(dt = {self.dt} ms); lengthen it or lower dt"
            )


def layout_periods(
    durations: Sequence[np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lay consecutive periods out on a padded time grid.

    Parameters
    ----------
    durations
        One ``(trial,)`` integer array of steps per period, in order.

    Returns
    -------
    period : numpy.ndarray
        ``(trial, time)`` index of the period of each step, -1 on padding.
    starts : numpy.ndarray
        ``(trial, period)`` first step of each period.
    lengths : numpy.ndarray
        ``(trial,)`` total steps of each trial.
    """
    steps = np.stack(durations, axis=1)  # (trial, period)
    ends = np.cumsum(steps, axis=1)
    starts = ends - steps
    lengths = ends[:, -1]
    time = np.arange(int(lengths.max()))[None, :]
    # A step's period is the number of period ends at or before it; zero-length
    # periods are skipped automatically. One pass per period boundary.
    period = np.zeros((len(steps), time.shape[1]), dtype=np.int64)
    for end in ends[:, :-1].T:
        period += time >= end[:, None]
    period[time >= lengths[:, None]] = PADDING_PERIOD
    return period, starts, lengths


def check_count(name: str, value: Any) -> int:
    """Return ``value`` as an int >= 1 or raise a one-line error.

    Parameters
    ----------
    name
        Argument name, for the message.
    value
        The value given.

    Returns
    -------
    int
        The value.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise TaskParameterError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_seed(seed: Any) -> int:
    """Return a valid seed (``None`` becomes a fresh one) or raise.

    Parameters
    ----------
    seed
        ``None`` or a non-negative integer.

    Returns
    -------
    int
        The seed.
    """
    if seed is None:
        return fresh_seed()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TaskParameterError(
            f"seed must be a non-negative integer or None, got {seed!r}"
        )
    return int(seed)


def resolve_device(device: str | torch.device) -> torch.device:
    """Return ``device`` as a :class:`torch.device`, checking that it exists.

    Parameters
    ----------
    device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"auto"`` (CUDA when present) or a
        :class:`torch.device`.

    Returns
    -------
    torch.device
        The device.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise TaskParameterError(
            f"device must be 'cpu', 'cuda', 'cuda:N', 'auto' or a torch.device, got {device!r}"
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise TaskParameterError(
            f"device {device!r} asked for, but torch sees no CUDA GPU; use device='cpu' "
            "or install a CUDA build of torch"
        )
    return resolved


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value
