"""Baseline recurrent networks behind the same interface as the AL-RNN.

Vanilla (Elman) RNNs with tanh or ReLU, the leaky ReLU continuous-time RNN
of Yang et al. (2019), GRU and LSTM, each with a linear readout.

References
----------
Yang, G. R., Joglekar, M. R., Song, H. F., Newsome, W. T. & Wang, X.-J. (2019).
Task representations in neural networks trained to perform many cognitive
tasks. *Nature Neuroscience* 22, 297-306.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from agents.models import ModelConfig, RecurrentModel, last_valid

__all__ = ["CTRNN", "GatedRNN", "VanillaRNN"]


def _reinitialise(module: nn.Module, seed: int, bound: float) -> None:
    """Redraw every parameter of ``module`` from U(±bound) with a seeded generator."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in module.parameters():
            noise = torch.rand(parameter.shape, generator=generator)
            parameter.copy_((noise * 2 - 1) * bound)


class VanillaRNN(RecurrentModel):
    """Elman RNN h_t = f(W_ih s_t + W_hh h_{t-1} + b), f = tanh or relu; linear readout.

    Weights are drawn from U(±1/√M) (PyTorch's scheme) with the config's seed.
    """

    def __init__(self, config: ModelConfig, n_inputs: int, n_outputs: int) -> None:
        super().__init__(config, n_inputs, n_outputs)
        nonlinearity = {"rnn_tanh": "tanh", "rnn_relu": "relu"}[config.kind]
        self.rnn = nn.RNN(
            n_inputs, config.units, nonlinearity=nonlinearity, batch_first=True
        )
        self.readout = nn.Linear(config.units, n_outputs)
        _reinitialise(self, config.seed, 1 / math.sqrt(config.units))

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the RNN; see :meth:`RecurrentModel.run`."""
        h0 = self._check_inputs(inputs, initial_state)
        states, _ = self.rnn(inputs, h0.unsqueeze(0).contiguous())
        return self.readout(states), states, last_valid(states, lengths)


class GatedRNN(RecurrentModel):
    """GRU or LSTM (``kind`` "gru" or "lstm") with a linear readout.

    The LSTM's carried state is its hidden and cell state side by side,
    ``(trial, 2 M)``. Weights are drawn from U(±1/√M) with the config's seed.
    """

    def __init__(self, config: ModelConfig, n_inputs: int, n_outputs: int) -> None:
        super().__init__(config, n_inputs, n_outputs)
        layer = nn.LSTM if config.kind == "lstm" else nn.GRU
        self.rnn = layer(n_inputs, config.units, batch_first=True)
        self.readout = nn.Linear(config.units, n_outputs)
        _reinitialise(self, config.seed, 1 / math.sqrt(config.units))

    @property
    def state_size(self) -> int:
        """``2 M`` for the LSTM (hidden and cell state), ``M`` for the GRU."""
        return (
            2 * self.config.units if self.config.kind == "lstm" else self.config.units
        )

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the gated RNN; see :meth:`RecurrentModel.run`."""
        state = self._check_inputs(inputs, initial_state).unsqueeze(0)
        units = self.config.units
        if self.config.kind == "lstm":
            hidden = (state[..., :units].contiguous(), state[..., units:].contiguous())
        else:
            hidden = state.contiguous()
        states, _ = self.rnn(inputs, hidden)
        if lengths is None and self.config.kind == "gru":
            final = states[:, -1]
        else:
            # The LSTM's cell state is only returned at the end of each
            # sequence, so run it packed to stop at every trial's own length.
            steps = (
                torch.full((inputs.shape[0],), inputs.shape[1])
                if lengths is None
                else lengths
            )
            packed = nn.utils.rnn.pack_padded_sequence(
                inputs, steps.cpu(), batch_first=True, enforce_sorted=False
            )
            _, last = self.rnn(packed, hidden)
            final = torch.cat(last, -1)[0] if self.config.kind == "lstm" else last[0]
        return self.readout(states), states, final


class CTRNN(RecurrentModel):
    """Leaky ReLU continuous-time RNN discretised with α = dt/τ (Yang et al. 2019).

    h_t = (1 - α) h_{t-1} + α relu(W_rec h_{t-1} + W_in s_t + b), y_t = W_out
    h_t + b_out. W_rec starts as a random orthogonal matrix (Yang's
    ``randortho``), W_in ~ N(0, 1/input), the readout U(±1/√M); recurrent
    noise is not modelled.
    """

    def __init__(self, config: ModelConfig, n_inputs: int, n_outputs: int) -> None:
        super().__init__(config, n_inputs, n_outputs)
        generator = torch.Generator().manual_seed(config.seed)
        units = config.units
        orthogonal, _ = torch.linalg.qr(
            torch.randn((units, units), generator=generator)
        )
        self.W_rec = nn.Parameter(orthogonal)
        self.W_in = nn.Parameter(
            torch.randn((units, n_inputs), generator=generator) / math.sqrt(n_inputs)
        )
        self.bias = nn.Parameter(torch.zeros(units))
        bound = 1 / math.sqrt(units)
        readout = (torch.rand((n_outputs, units), generator=generator) * 2 - 1) * bound
        self.W_out = nn.Parameter(readout)
        self.b_out = nn.Parameter(torch.zeros(n_outputs))
        self.alpha = config.dt / config.tau

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the CTRNN; see :meth:`RecurrentModel.run`."""
        h = self._check_inputs(inputs, initial_state)
        drive = (inputs @ self.W_in.T + self.bias).transpose(0, 1).contiguous()
        W_rec_t = self.W_rec.T
        states = []
        for drive_t in drive.unbind(0):
            h = torch.lerp(h, torch.relu(torch.addmm(drive_t, h, W_rec_t)), self.alpha)
            states.append(h)
        states_t = torch.stack(states, 1)
        outputs = states_t @ self.W_out.T + self.b_out
        return outputs, states_t, last_valid(states_t, lengths)
