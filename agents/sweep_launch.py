"""Run sweep groups as submitit jobs: a Slurm job array, or local subprocesses.

Each job calls :func:`agents.sweep.run_group` with the sweep directory and a
group id, the same function the local launcher calls in process, so a cell
behaves the same wherever it runs. submitit serialises its own job payloads
(the function and those two strings) with pickle inside its folder
``<sweep>/submitit/``; the sweep's results stay JSON, safetensors and NetCDF.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents.errors import ConfigError
from agents.sweep_config import LauncherConfig

__all__ = ["make_executor", "submit_groups"]

logger = logging.getLogger(__name__)


def make_executor(folder: Path, launcher: LauncherConfig) -> Any:
    """Return a submitit executor for ``launcher.kind`` (``slurm`` or ``submitit-local``)."""
    try:
        import submitit
    except ImportError:
        raise ConfigError(
            f"launcher {launcher.kind!r} needs submitit; `pip install submitit`"
        ) from None
    if launcher.kind == "slurm":
        executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
        options: dict[str, Any] = {
            "timeout_min": launcher.timeout_min,
            "gpus_per_node": launcher.gpus_per_job,
            "cpus_per_task": launcher.cpus_per_job,
            "slurm_array_parallelism": launcher.array_parallelism,
        }
        if launcher.partition:
            options["slurm_partition"] = launcher.partition
        executor.update_parameters(**options)
        return executor
    executor = submitit.AutoExecutor(folder=folder, cluster="local")
    executor.update_parameters(
        timeout_min=launcher.timeout_min,
        gpus_per_node=launcher.gpus_per_job,
        cpus_per_task=launcher.cpus_per_job,
    )
    return executor


def submit_groups(
    sweep_dir: Path,
    launcher: LauncherConfig,
    group_ids: Sequence[str],
    retry_failed: bool,
) -> list[dict[str, list[str]]]:
    """Submit one job per group, wait for all of them and return their outcomes.

    A job that dies (killed, timed out, out of memory) leaves its group
    without results; the next run of the sweep resumes it. Its cells are
    reported as failed here but not recorded, so they are not skipped later.
    """
    from agents.sweep import run_group

    if not group_ids:
        return []
    executor = make_executor(Path(sweep_dir) / "submitit", launcher)
    jobs = executor.map_array(
        run_group,
        [str(sweep_dir)] * len(group_ids),
        list(group_ids),
        [retry_failed] * len(group_ids),
    )
    logger.info("submitted %d jobs (%s)", len(jobs), launcher.kind)
    outcomes = []
    for group_id, job in zip(group_ids, jobs, strict=True):
        try:
            outcomes.append(job.result())
        except Exception as error:  # any job failure is reported, not raised
            logger.warning("job of group %s ended without results: %s", group_id, error)
            outcomes.append({"done": [], "failed": [f"{group_id} (job)"]})
    return outcomes
