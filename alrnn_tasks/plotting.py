"""Figures of trials: inputs, targets and (optionally) a network's outputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from alrnn_tasks.batch import TrialBatch
from alrnn_tasks.errors import TaskParameterError

__all__ = ["plot_trials"]

# Conditions shown in each panel's title when the batch has them.
TITLE_CONDITIONS = ("task", "rule", "stim_name", "block", "correct_action")


def plot_trials(
    batch: TrialBatch,
    trials: Sequence[int] | None = None,
    *,
    outputs: torch.Tensor | np.ndarray | None = None,
    max_trials: int = 4,
) -> Any:
    """Plot the inputs, periods and targets of a few trials, one column each.

    Parameters
    ----------
    batch
        The trials.
    trials
        Indices of the trials to plot; by default the first ``max_trials``.
    outputs
        ``(trial, time, output)`` network outputs on ``batch``; drawn over the
        targets (softmax probabilities for class targets).
    max_trials
        How many trials to plot when ``trials`` is not given.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows: inputs as a heat map with period boundaries, and targets
        (with outputs when given).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if trials is None:
        trials = list(range(min(max_trials, batch.n_trials)))
    trials = [int(t) for t in trials]
    if not trials or min(trials) < 0 or max(trials) >= batch.n_trials:
        raise TaskParameterError(
            f"trials must be indices in [0, {batch.n_trials}), got {trials}"
        )
    if outputs is not None:
        outputs = torch.as_tensor(outputs).detach().cpu().float()
        if batch.class_targets:
            outputs = outputs.softmax(dim=-1)
        outputs = outputs.numpy()

    fig, axes = plt.subplots(
        2, len(trials), figsize=(3.2 * len(trials), 5), squeeze=False, sharey="row"
    )
    for column, trial in enumerate(trials):
        _draw_trial(axes[:, column], batch, trial, outputs)
    axes[0, 0].set_yticks(range(len(batch.input_names)), batch.input_names)
    axes[1, 0].set_ylabel("target / output")
    fig.suptitle(f"{batch.task_id} (seed {batch.seed})")
    fig.tight_layout()
    return fig


def _draw_trial(axes: Any, batch: TrialBatch, trial: int, outputs: Any) -> None:
    length = int(batch.lengths[trial])
    time = np.arange(length) * batch.dt
    inputs = batch.inputs[trial, :length].cpu().numpy()
    period = batch.period[trial, :length].cpu().numpy()
    extent = (0, length * batch.dt, len(batch.input_names) - 0.5, -0.5)
    axes[0].imshow(inputs.T, aspect="auto", interpolation="nearest", extent=extent)
    title = [
        f"{k}={batch.conditions[k][trial]}"
        for k in TITLE_CONDITIONS
        if k in batch.conditions
    ]
    axes[0].set_title(
        "\n".join([", ".join(title[:2]), ", ".join(title[2:])]), fontsize=8
    )

    # period boundaries and names
    changes = np.flatnonzero(np.diff(period)) + 1
    for ax in axes:
        for step in changes:
            ax.axvline(
                step * batch.dt, color="white" if ax is axes[0] else "grey", lw=0.8
            )
    starts = np.concatenate([[0], changes])
    for start in starts:
        name = batch.period_names[period[start]]
        axes[1].text(
            start * batch.dt,
            1.02,
            name,
            fontsize=7,
            transform=axes[1].get_xaxis_transform(),
        )

    targets = batch.targets[trial, :length].cpu().numpy()
    if batch.class_targets:
        axes[1].step(time, targets, where="post", color="black", lw=2, label="target")
        axes[1].set_yticks(range(len(batch.output_names)), batch.output_names)
        if outputs is not None:
            choice = outputs[trial, :length].argmax(-1)
            axes[1].step(
                time, choice, where="post", color="tab:red", lw=1, label="network"
            )
    else:
        for k, name in enumerate(batch.output_names):
            line = axes[1].plot(time, targets[:, k], lw=2, label=f"target {name}")
            if outputs is not None:
                axes[1].plot(
                    time, outputs[trial, :length, k], ls="--", color=line[0].get_color()
                )
    axes[1].set_xlabel("time (ms)")
    axes[1].legend(fontsize=7, loc="lower left")
