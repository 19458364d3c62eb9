"""Losses and evaluation on a model or a population behind one interface.

:class:`Stack` gives single models and populations a leading model axis, so
that the trainer, the loss and the scoring treat one model as a population of
one.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agents.models import RecurrentModel
from agents.population import Population
from agents.sessions import evaluate_sessions
from alrnn_tasks import Task
from alrnn_tasks.task import resolve_device

__all__ = ["Stack", "evaluate", "evaluate_stack", "masked_loss"]


class Stack:
    """One model or a population behind one interface with a leading model axis."""

    def __init__(self, module: RecurrentModel | Population) -> None:
        self.module = module
        self.is_population = isinstance(module, Population)
        self.configs = module.configs if self.is_population else [module.config]

    def __len__(self) -> int:
        return len(self.configs)

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(model, trial, time, output)`` outputs and ``(model, trial, state)`` final states."""
        if self.is_population:
            outputs, _, final = self.module.run(inputs, initial_state, lengths)
            return outputs, final
        if inputs.ndim == 4:
            inputs = inputs[0]
        state = None if initial_state is None else initial_state[0]
        outputs, _, final = self.module.run(inputs, state, lengths)
        return outputs.unsqueeze(0), final.unsqueeze(0)

    def regularization(self) -> torch.Tensor:
        """``(model,)`` regularisation losses."""
        penalty = self.module.regularization()
        return penalty if self.is_population else penalty.reshape(1)

    def models(self) -> list[RecurrentModel]:
        """Return the single models (split from a population)."""
        return self.module.split() if self.is_population else [self.module]

    def parameter_groups(self) -> list[torch.Tensor]:
        """Parameters; in a population each has the model axis first."""
        return list(self.module.parameters())


def masked_loss(
    outputs: torch.Tensor,
    targets: torch.Tensor,
    mask: torch.Tensor,
    output_weights: torch.Tensor | None = None,
) -> torch.Tensor:
    """Return the mask-weighted loss of each model, ``(model,)``.

    Cross-entropy for class targets ``(…, trial, time)``, mean squared error
    over outputs for continuous targets ``(…, trial, time, output)``; targets
    and mask broadcast against ``outputs`` ``(model, trial, time, output)``.
    ``output_weights`` ``(output,)`` weights each output's squared error (the
    multi-task suite's fixation output counts twice, as in Yang et al. 2019);
    it is ignored for class targets.
    """
    n_models, n_trials, n_steps, n_outputs = outputs.shape
    mask = mask.expand(n_models, n_trials, n_steps)
    if targets.dtype in (torch.int64, torch.int32):
        labels = targets.expand(n_models, n_trials, n_steps).reshape(-1)
        per_step = F.cross_entropy(
            outputs.reshape(-1, n_outputs), labels, reduction="none"
        )
        per_step = per_step.view(n_models, n_trials, n_steps)
    else:
        squared = (outputs - targets).pow(2)
        if output_weights is not None:
            squared = squared * output_weights.to(squared)
        per_step = squared.mean(-1)
    weight = mask.sum((1, 2)).clamp(min=1e-8)
    return (per_step * mask).sum((1, 2)) / weight


def evaluate(
    model: RecurrentModel | Population,
    task: Task,
    n_trials: int = 512,
    *,
    seed: int = 12345,
    device: str | torch.device | None = None,
) -> list[dict[str, float]] | dict[str, float]:
    """Score a model (or each model of a population) on held-out trials.

    Parameters
    ----------
    model
        A model or a population.
    task
        The task to score on.
    n_trials
        Trials scored (session tasks: rounded up to whole block cycles,
        after one cycle of warm-up).
    seed
        Seed of the trials.
    device
        Device to run on; the model's by default.

    Returns
    -------
    dict or list of dict
        ``task.score`` result; a list with one per model for a population.
    """
    stack = Stack(model)
    device = (
        next(model.parameters()).device if device is None else resolve_device(device)
    )
    scores = evaluate_stack(stack, task, n_trials, seed, device)
    return scores if stack.is_population else scores[0]


def evaluate_stack(
    stack: Stack, task: Task, n_trials: int, seed: int, device: torch.device
) -> list[dict[str, float]]:
    """Return ``task.score`` of every stacked model on held-out trials (or sessions)."""
    if task.session_based:
        return evaluate_sessions(stack.run, task, n_trials, seed, device, len(stack))
    batch = task.batch(n_trials, seed=seed, device=device)
    with torch.no_grad():
        outputs, _ = stack.run(batch.inputs)
    return [task.score(outputs[k], batch) for k in range(len(stack))]
