"""Populations: K AL-RNNs of equal size stacked along a model axis.

A population runs K models with batched matrix products over a leading model
axis, so a sweep over P, seeds or training-set sizes trains in one pass. Each
model keeps its own P (its own φ_P bounds), seed and data; the stacked
parameters are the single models' parameters side by side, and the same code
path (:func:`agents.models.alrnn_run_stacked`) runs a single model as a
population of one. :meth:`Population.split` therefore gives models whose
outputs equal the population's bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from agents.alrnn import (
    ALRNN,
    alrnn_bounds,
    alrnn_diagonal_mask,
    alrnn_init,
    alrnn_run_stacked,
    manifold_attractor_penalty,
)
from agents.errors import ConfigError
from agents.models import ModelConfig, last_valid

__all__ = ["PARAMETER_NAMES", "Population"]

PARAMETER_NAMES = ("A", "W", "C", "h", "B", "b")


class Population(nn.Module):
    """K AL-RNNs with equal M, each with its own P, seed and settings.

    Parameters
    ----------
    configs
        One :class:`~agents.models.ModelConfig` per model, all ``kind="alrnn"``
        with the same ``units`` and ``nonlinearity``.
    n_inputs, n_outputs
        Input channels and outputs (shared by all models).

    Examples
    --------
    >>> configs = [ModelConfig(units=8, relu_units=p) for p in (0, 2, 8)]
    >>> population = Population(configs, n_inputs=3, n_outputs=2)
    >>> tuple(population(torch.zeros(5, 10, 3)).shape)
    (3, 5, 10, 2)
    """

    def __init__(
        self, configs: Sequence[ModelConfig], n_inputs: int, n_outputs: int
    ) -> None:
        super().__init__()
        configs = list(configs)
        _check_configs(configs)
        self.configs = configs
        self.n_inputs = n_inputs
        self.n_outputs = n_outputs
        initial = [alrnn_init(c, n_inputs, n_outputs) for c in configs]
        for name in PARAMETER_NAMES:
            stacked = torch.stack([values[name] for values in initial])
            setattr(self, name, nn.Parameter(stacked))

        bounds = [alrnn_bounds(c.units, c.relu_units, c.nonlinearity) for c in configs]
        self.register_buffer("lower", torch.stack([b[0] for b in bounds]), False)
        self.register_buffer("upper", torch.stack([b[1] for b in bounds]), False)
        masks = torch.stack([alrnn_diagonal_mask(c) for c in configs])
        self.register_buffer("diagonal_mask", masks, persistent=False)
        weights = torch.tensor([float(c.reg_weight) for c in configs])
        self.register_buffer("reg_weight", weights, persistent=False)

    @classmethod
    def from_models(cls, models: Sequence[ALRNN]) -> Population:
        """Stack trained single models into a population (parameters copied)."""
        if not models or not all(isinstance(m, ALRNN) for m in models):
            raise ConfigError("Population.from_models needs a non-empty list of ALRNNs")
        first = models[0]
        population = cls([m.config for m in models], first.n_inputs, first.n_outputs)
        with torch.no_grad():
            for name in PARAMETER_NAMES:
                stacked = torch.stack([getattr(m, name).detach() for m in models])
                getattr(population, name).copy_(stacked)
        return population.to(first.A.device)

    def __len__(self) -> int:
        return len(self.configs)

    @property
    def units(self) -> int:
        """Hidden units M of every model."""
        return self.configs[0].units

    @property
    def state_size(self) -> int:
        """Length of each model's carried state (M)."""
        return self.units

    def stacked_parameters(self) -> dict[str, torch.Tensor]:
        """Parameters with the leading model axis; A with fixed entries at 0."""
        params = {name: getattr(self, name) for name in PARAMETER_NAMES}
        params["A"] = self.A * self.diagonal_mask
        return params

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run every model.

        Parameters
        ----------
        inputs
            ``(trial, time, input)`` shared by all models, or
            ``(model, trial, time, input)`` one batch per model.
        initial_state
            ``(model, trial, unit)``; zeros by default.
        lengths
            ``(trial,)`` or ``(model, trial)`` valid steps; see
            :meth:`agents.models.RecurrentModel.run`.

        Returns
        -------
        outputs : torch.Tensor
            ``(model, trial, time, output)``.
        states : torch.Tensor
            ``(model, trial, time, unit)``.
        final_state : torch.Tensor
            ``(model, trial, unit)``.
        """
        inputs = self._stack_inputs(inputs)
        n_models, n_trials = inputs.shape[:2]
        if initial_state is None:
            initial_state = inputs.new_zeros(n_models, n_trials, self.units)
        elif tuple(initial_state.shape) != (n_models, n_trials, self.units):
            raise ConfigError(
                f"initial_state must have shape (model, trial, unit) = "
                f"{(n_models, n_trials, self.units)}, got {tuple(initial_state.shape)}"
            )
        outputs, states = alrnn_run_stacked(
            self.stacked_parameters(),
            self.lower,
            self.upper,
            self.configs[0].nonlinearity,
            inputs,
            initial_state,
        )
        if lengths is not None and lengths.ndim == 2:
            final = torch.stack(
                [last_valid(s, n) for s, n in zip(states, lengths, strict=True)]
            )
        else:
            final = last_valid(states, lengths)
        return outputs, states, final

    def forward(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        return_states: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Return outputs ``(model, trial, time, output)`` (and states) of every model."""
        outputs, states, _ = self.run(inputs, initial_state)
        return (outputs, states) if return_states else outputs

    def regularization(self) -> torch.Tensor:
        """Return ``(model,)`` manifold-attractor penalties times each model's weight."""
        penalties = []
        A = self.A * self.diagonal_mask
        for k, config in enumerate(self.configs):
            penalty = manifold_attractor_penalty(
                A[k], self.W[k], self.h[k], config.reg_units
            )
            penalties.append(penalty)
        return torch.stack(penalties) * self.reg_weight

    def split(self) -> list[ALRNN]:
        """Return the K models as independent :class:`~agents.alrnn.ALRNN` modules.

        Each keeps the population's device and dtype.
        """
        models = []
        for k, config in enumerate(self.configs):
            model = ALRNN(config, self.n_inputs, self.n_outputs)
            model = model.to(device=self.A.device, dtype=self.A.dtype)
            with torch.no_grad():
                for name in PARAMETER_NAMES:
                    getattr(model, name).copy_(getattr(self, name)[k])
            models.append(model)
        return models

    def _stack_inputs(self, inputs: torch.Tensor) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor) or inputs.ndim not in (3, 4):
            raise ConfigError(
                "population inputs must be (trial, time, input) or "
                f"(model, trial, time, input), got {getattr(inputs, 'shape', type(inputs))}"
            )
        if inputs.shape[-1] != self.n_inputs:
            raise ConfigError(
                f"inputs have {inputs.shape[-1]} channels; the population expects {self.n_inputs}"
            )
        if inputs.ndim == 3:
            return inputs.unsqueeze(0).expand(len(self), *inputs.shape)
        if inputs.shape[0] != len(self):
            raise ConfigError(
                f"inputs have {inputs.shape[0]} model batches for a population of {len(self)}"
            )
        return inputs


def _check_configs(configs: list[ModelConfig]) -> None:
    if not configs:
        raise ConfigError("a population needs at least one model config")
    for config in configs:
        if not isinstance(config, ModelConfig) or config.kind != "alrnn":
            raise ConfigError(
                f"populations hold AL-RNNs only (kind='alrnn'), got {config!r}; "
                "train baselines one at a time"
            )
    units = {c.units for c in configs}
    nonlinearities = {c.nonlinearity for c in configs}
    if len(units) > 1 or len(nonlinearities) > 1:
        raise ConfigError(
            f"population models must share units and nonlinearity, got units {sorted(units)} "
            f"and nonlinearities {sorted(nonlinearities)}"
        )
