"""Model configuration and the interface every recurrent model implements.

The AL-RNN lives in :mod:`agents.alrnn`, the baselines in
:mod:`agents.baselines`; :func:`build_model` makes either from a
:class:`ModelConfig`.

Every model maps ``inputs`` ``(trial, time, input)`` to ``outputs``
``(trial, time, output)``; ``model(inputs, return_states=True)`` also returns
the hidden-state trajectory ``(trial, time, unit)`` that the analysis reads.
:meth:`RecurrentModel.run` additionally returns the state at the last valid
step of each trial, which truncated backpropagation through time carries from
one chunk of a session to the next.

References
----------
Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.

Brenner, M. & Koppe, G. (2026). Uncovering the computational roles of
nonlinearity in sequence modeling using almost-linear RNNs. *TMLR*.

Schmidt, D., Koppe, G., Monfared, Z., Beutelspacher, M. & Durstewitz, D.
(2021). Identifying nonlinear dynamical systems with multiple time scales and
long-range dependencies. *ICLR* (manifold-attractor regularisation).

Yang, G. R., Joglekar, M. R., Song, H. F., Newsome, W. T. & Wang, X.-J. (2019).
Task representations in neural networks trained to perform many cognitive
tasks. *Nature Neuroscience* 22, 297-306 (leaky ReLU CTRNN).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from agents.errors import ConfigError

__all__ = [
    "MODEL_KINDS",
    "NONLINEARITIES",
    "ModelConfig",
    "RecurrentModel",
    "build_model",
    "config_from_dict",
    "last_valid",
]

MODEL_KINDS = ("alrnn", "rnn_tanh", "rnn_relu", "ctrnn", "gru", "lstm")
NONLINEARITIES = ("relu", "tanh", "hardtanh")


def option(default: Any, help: str) -> Any:
    """Return a dataclass field whose ``help`` documents it and the CLI option."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and initialisation of one recurrent model.

    Each field's ``help`` (shown by ``alrnn train --help``) gives its unit or
    reason; :func:`build_model` turns a config into a module.
    """

    kind: str = option("alrnn", f"model class: one of {', '.join(MODEL_KINDS)}")
    units: int = option(32, "hidden units M (the state dimension)")
    relu_units: int = option(
        4, "AL-RNN: nonlinear units P (the last P of the M); 0 linear, M PLRNN"
    )
    nonlinearity: str = option(
        "relu", "AL-RNN: function on the P nonlinear units (relu, tanh, hardtanh)"
    )
    learn_linear_diagonal: bool = option(
        True,
        "AL-RNN: learn A on linear units; False fixes it at 0 (W's diagonal is redundant with it)",
    )
    a_init: float = option(0.9, "AL-RNN: initial diagonal A (per step decay, < 1)")
    w_init_gain: float = option(
        0.1,
        "AL-RNN: s.d. of W is gain/sqrt(M); keeps A+W's spectral radius near a_init+gain",
    )
    reg_units: int = option(
        0, "AL-RNN: manifold-attractor regularised units M_reg (the first ones)"
    )
    reg_weight: float = option(
        0.0, "AL-RNN: weight of the manifold-attractor regulariser (0 off)"
    )
    tau: float = option(100.0, "CTRNN: time constant in ms")
    dt: float = option(20.0, "CTRNN: step in ms (set from the task when training)")
    seed: int = option(0, "seed of the weight initialisation")

    def __post_init__(self) -> None:
        _check_config(self)

    @property
    def name(self) -> str:
        """Short label such as ``alrnn_M32_P4_s0`` for run directories and plots."""
        if self.kind == "alrnn":
            return f"alrnn_M{self.units}_P{self.relu_units}_s{self.seed}"
        return f"{self.kind}_M{self.units}_s{self.seed}"


def _check_config(config: ModelConfig) -> None:
    def fail(message: str) -> None:
        raise ConfigError(message)

    if config.kind not in MODEL_KINDS:
        fail(f"model kind must be one of {', '.join(MODEL_KINDS)}, got {config.kind!r}")
    for name in ("units", "relu_units", "reg_units", "seed"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            fail(f"{name} must be an integer >= 0, got {value!r}")
    if config.units < 1:
        fail(f"units must be >= 1, got {config.units}")
    if config.relu_units > config.units:
        fail(
            f"relu_units (P={config.relu_units}) must be <= units (M={config.units}); "
            "lower --relu-units or raise --units"
        )
    if config.reg_units > config.units - config.relu_units:
        fail(
            f"reg_units ({config.reg_units}) must be <= the linear units "
            f"(M - P = {config.units - config.relu_units})"
        )
    if config.nonlinearity not in NONLINEARITIES:
        fail(
            f"nonlinearity must be one of {', '.join(NONLINEARITIES)}, "
            f"got {config.nonlinearity!r}"
        )
    for name in ("a_init", "w_init_gain", "reg_weight", "tau", "dt"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            fail(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value) or value < 0:
            fail(f"{name} must be a finite number >= 0, got {value!r}")
    if config.tau <= 0 or config.dt <= 0 or config.dt > config.tau:
        fail(f"CTRNN needs 0 < dt <= tau, got dt={config.dt}, tau={config.tau}")


class RecurrentModel(nn.Module):
    """Interface of every model: inputs to outputs, with the state trajectory.

    Parameters
    ----------
    config
        Architecture and initialisation.
    n_inputs, n_outputs
        Input channels and outputs (actions or continuous outputs).
    """

    def __init__(self, config: ModelConfig, n_inputs: int, n_outputs: int) -> None:
        super().__init__()
        for name, value in (("n_inputs", n_inputs), ("n_outputs", n_outputs)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")
        self.config = config
        self.n_inputs = n_inputs
        self.n_outputs = n_outputs

    @property
    def state_size(self) -> int:
        """Length of the carried state (``2 M`` for the LSTM's hidden and cell state)."""
        return self.config.units

    def initial_state(self, n_trials: int, like: torch.Tensor) -> torch.Tensor:
        """Return the zero state ``(trial, state)`` on ``like``'s device and dtype."""
        return like.new_zeros(n_trials, self.state_size)

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the network over a batch of sequences.

        Parameters
        ----------
        inputs
            ``(trial, time, input)`` inputs.
        initial_state
            ``(trial, state)`` state before the first step; zeros by default.
        lengths
            ``(trial,)`` valid steps of each sequence; the final state is taken
            at step ``lengths - 1`` (the last step by default).

        Returns
        -------
        outputs : torch.Tensor
            ``(trial, time, output)``.
        states : torch.Tensor
            ``(trial, time, unit)`` hidden states after each step.
        final_state : torch.Tensor
            ``(trial, state)`` state to carry into the next chunk.
        """
        raise NotImplementedError

    def forward(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        return_states: bool = False,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Map ``(trial, time, input)`` inputs to ``(trial, time, output)`` outputs.

        Parameters
        ----------
        inputs
            ``(trial, time, input)`` inputs.
        initial_state
            ``(trial, state)`` state before the first step; zeros by default.
        return_states
            Also return the ``(trial, time, unit)`` hidden states.

        Returns
        -------
        torch.Tensor or (torch.Tensor, torch.Tensor)
            Outputs, and the states when ``return_states`` is true.
        """
        outputs, states, _ = self.run(inputs, initial_state)
        return (outputs, states) if return_states else outputs

    def regularization(self) -> torch.Tensor:
        """Return the model's regularisation loss (a scalar; 0 for most models)."""
        return next(self.parameters()).new_zeros(())

    def _check_inputs(
        self, inputs: torch.Tensor, initial_state: torch.Tensor | None
    ) -> torch.Tensor:
        if not isinstance(inputs, torch.Tensor) or inputs.ndim != 3:
            shape = tuple(inputs.shape) if isinstance(inputs, torch.Tensor) else None
            raise ConfigError(
                f"inputs must be a (trial, time, input) tensor, got {type(inputs).__name__} "
                f"of shape {shape}"
            )
        if inputs.shape[-1] != self.n_inputs:
            raise ConfigError(
                f"inputs have {inputs.shape[-1]} channels but the model was built for "
                f"{self.n_inputs}; train it on the task that makes these inputs"
            )
        if initial_state is None:
            return self.initial_state(inputs.shape[0], inputs)
        expected = (inputs.shape[0], self.state_size)
        if tuple(initial_state.shape) != expected:
            raise ConfigError(
                f"initial_state must have shape (trial, state) = {expected}, "
                f"got {tuple(initial_state.shape)}"
            )
        return initial_state


def last_valid(sequence: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Return ``sequence[..., lengths - 1, :]`` per trial (the last step by default).

    Parameters
    ----------
    sequence
        ``(..., trial, time, feature)``.
    lengths
        ``(trial,)`` valid steps per trial, or ``None``.

    Returns
    -------
    torch.Tensor
        ``(..., trial, feature)``.
    """
    if lengths is None:
        return sequence[..., -1, :]
    index = (lengths.to(sequence.device).long() - 1).clamp(min=0)
    index = index.view(*([1] * (sequence.ndim - 3)), -1, 1, 1)
    index = index.expand(*sequence.shape[:-2], 1, sequence.shape[-1])
    return sequence.gather(-2, index).squeeze(-2)


def build_model(config: ModelConfig, n_inputs: int, n_outputs: int) -> RecurrentModel:
    """Return the model that ``config`` describes.

    Parameters
    ----------
    config
        Architecture and initialisation.
    n_inputs, n_outputs
        Input channels and outputs of the task.

    Returns
    -------
    RecurrentModel
        An :class:`ALRNN`, :class:`VanillaRNN`, :class:`CTRNN` or
        :class:`GatedRNN`.
    """
    from agents.alrnn import ALRNN
    from agents.baselines import CTRNN, GatedRNN, VanillaRNN

    if config.kind == "alrnn":
        return ALRNN(config, n_inputs, n_outputs)
    if config.kind in ("rnn_tanh", "rnn_relu"):
        return VanillaRNN(config, n_inputs, n_outputs)
    if config.kind == "ctrnn":
        return CTRNN(config, n_inputs, n_outputs)
    return GatedRNN(config, n_inputs, n_outputs)


def config_from_dict(values: dict[str, Any]) -> ModelConfig:
    """Rebuild a :class:`ModelConfig` from its JSON form, rejecting unknown keys."""
    names = {f.name for f in dataclasses.fields(ModelConfig)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ConfigError(f"unknown model settings {unknown}; known: {sorted(names)}")
    return ModelConfig(**values)
