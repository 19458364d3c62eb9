"""Trial-generation throughput: batched generators against neurogym's Dataset.

Measures environment steps per second (one step = one time step of one trial)
of ``task.batch`` and of ``neurogym.Dataset`` on the same task in the same
run, and prints their ratio. neurogym's Dataset builds each trial in Python,
one environment per batch row; ``task.batch`` draws the whole batch at once.

Run with ``make bench`` or ``python benchmarks/trial_generation.py``.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings
from collections.abc import Callable

import gymnasium as gym
import neurogym as ngym
import torch

from alrnn_tasks import get_task


def steps_per_second(run: Callable[[], int], min_seconds: float) -> float:
    """Call ``run`` (which returns the env steps it produced) for ``min_seconds``."""
    run()  # warm-up: imports, caches, first allocation
    steps, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < min_seconds:
        steps += run()
    return steps / elapsed


def batched(task_id: str, batch_size: int, **params) -> Callable[[], int]:
    task = get_task(task_id, **params)
    seed = iter(range(10**9))

    def run() -> int:
        batch = task.batch(batch_size, seed=next(seed))
        return int(batch.lengths.sum())

    return run


def neurogym_dataset(env: gym.Env, batch_size: int, seq_len: int) -> Callable[[], int]:
    dataset = ngym.Dataset(env, batch_size=batch_size, seq_len=seq_len)

    def run() -> int:
        dataset()
        return batch_size * seq_len

    return run


def yang19_schedule(dt: float) -> gym.Env:
    """Mix the yang19 collection of neurogym by ScheduleEnvs with a task input."""
    from neurogym.envs.collections import get_collection, yang19
    from neurogym.utils.scheduler import RandomSchedule
    from neurogym.wrappers.block import ScheduleEnvs

    names = [i.split(".")[1].removesuffix("-v0") for i in get_collection("yang19")]
    envs = [getattr(yang19, name)(dt=dt) for name in names]
    return ScheduleEnvs(envs, RandomSchedule(len(envs)), env_input=True)


def multitask_cases(seconds: float) -> None:
    """MultiTask-v0 against yang19 through ScheduleEnvs + Dataset, dt = 20 ms."""
    task = get_task("MultiTask-v0")
    # one Dataset call covers ~ one mean-length trial per row
    seq_len = round(float(task.batch(1024, seed=0).lengths.float().mean()))
    for batch_size in (64, 1024):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # neurogym's wrapper-attribute notes
            env = yang19_schedule(dt=20)
            baseline = steps_per_second(
                neurogym_dataset(env, batch_size, seq_len), seconds
            )
        ours = steps_per_second(batched("MultiTask-v0", batch_size), seconds)
        label = f"ScheduleEnvs(yang19) + Dataset, batch {batch_size}"
        print(f"{label:<52} {baseline:>12,.0f} {'1.0x':>8}")
        label = f"task.batch(MultiTask-v0), batch {batch_size}"
        print(f"{label:<52} {ours:>12,.0f} {ours / baseline:>7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="time per measurement (s)"
    )
    args = parser.parse_args()

    torch.set_num_threads(1)
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"{'case':<52} {'steps/s':>12} {'ratio':>8}")
    task_id = "StimulusSelection-v0"
    for batch_size in (64, 1024):
        env = gym.make(task_id, rule_cue="explicit").unwrapped
        # one Dataset call covers ~ one trial per row, as one task.batch call
        baseline = steps_per_second(neurogym_dataset(env, batch_size, 54), args.seconds)
        ours = steps_per_second(
            batched(task_id, batch_size, rule_cue="explicit"), args.seconds
        )
        print(
            f"{'neurogym.Dataset(StimulusSelection env), batch ' + str(batch_size):<52} {baseline:>12,.0f} {'1.0x':>8}"
        )
        print(
            f"{'task.batch(StimulusSelection), batch ' + str(batch_size):<52} {ours:>12,.0f} {ours / baseline:>7.1f}x"
        )

        native = gym.make("GoNogo-v0", dt=20).unwrapped
        reference = steps_per_second(
            neurogym_dataset(native, batch_size, 54), args.seconds
        )
        print(
            f"{'neurogym.Dataset(neurogym GoNogo-v0), batch ' + str(batch_size):<52} {reference:>12,.0f} {reference / baseline:>7.1f}x"
        )
    multitask_cases(args.seconds)


if __name__ == "__main__":
    main()
