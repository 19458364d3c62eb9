"""The module fitted to a recording: AL-RNNs, encoders and an optional label readout.

:class:`FitModule` holds K AL-RNNs (a :class:`~agents.population.Population`,
model axis first) and, per model,

- a linear **encoder** from the smoothed activity of each bin to a latent
  state estimate ẑ_t (the teacher of generalized teacher forcing);
- a linear **initial-state encoder** from the mean activity of a trial's first
  ``init_bins`` bins to that trial's initial state z_0, so every trial, held
  out or not, gets its own initial state;
- optionally a linear **label readout** from the final state to trial-label
  logits (for instance the rule, as in Brenner & Koppe 2026).

Generalized teacher forcing (Hess et al. 2023) replaces the state that enters
each update by z̃_{t-1} = (1 - α) z_{t-1} + α ẑ_{t-1}, so that gradients stay
bounded on chaotic or long trajectories while the model learns to run free;
α is annealed towards 0 during training. With α = 0 the recursion is the
plain AL-RNN, and :meth:`FitModule.free_run` uses the same fast scan as task
training.

References
----------
Hess, F., Monfared, Z., Brenner, M. & Durstewitz, D. (2023). Generalized
teacher forcing for learning chaotic dynamics. *ICML*.

Brenner, M., Hemmer, C. J., Monfared, Z. & Durstewitz, D. (2024). Almost-linear
RNNs yield highly interpretable symbolic codes in dynamical systems
reconstruction. *NeurIPS*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from agents.alrnn import alrnn_phi
from agents.models import ModelConfig
from agents.observation import Observation
from agents.population import Population

__all__ = ["EXTRA_NAMES", "FitModule"]

# per-model tensors saved beside each fitted model's weights (fit.safetensors)
EXTRA_NAMES = (
    "encoder_weight",
    "encoder_bias",
    "init_weight",
    "init_bias",
    "label_weight",
    "label_bias",
)


class FitModule(nn.Module):
    """K AL-RNNs with their encoders, fitted jointly (model axis first).

    Parameters
    ----------
    configs
        One AL-RNN config per model (equal ``units``).
    n_inputs, n_units
        Input channels and recorded units (the readout's outputs).
    n_labels
        Classes of the trial-label readout (0: none).
    init_bins
        Bins at each trial's start that the initial-state encoder reads.
    """

    def __init__(
        self,
        configs: Sequence[ModelConfig],
        n_inputs: int,
        n_units: int,
        n_labels: int,
        init_bins: int,
    ) -> None:
        super().__init__()
        self.population = Population(configs, n_inputs, n_units)
        self.init_bins = init_bins
        k, m = len(configs), configs[0].units
        draws = []
        for config in configs:
            generator = torch.Generator().manual_seed(10_007 + config.seed)
            draws.append(torch.randn((2, m, n_units), generator=generator))
        draws = torch.stack(draws) / math.sqrt(n_units)  # (model, 2, unit M, unit N)
        self.encoder_weight = nn.Parameter(draws[:, 0].contiguous())
        self.encoder_bias = nn.Parameter(torch.zeros(k, m))
        self.init_weight = nn.Parameter(draws[:, 1].contiguous())
        self.init_bias = nn.Parameter(torch.zeros(k, m))
        self.label_weight = nn.Parameter(torch.zeros(k, n_labels, m))
        self.label_bias = nn.Parameter(torch.zeros(k, n_labels))

    def __len__(self) -> int:
        return len(self.population)

    def encode(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Latent estimates from data.

        Parameters
        ----------
        features
            ``(trial, time, unit)`` smoothed, standardised activity.

        Returns
        -------
        latents : torch.Tensor
            ``(model, trial, time, M)`` encoder states ẑ_t.
        initial : torch.Tensor
            ``(model, trial, M)`` initial states z_0.
        """
        latents = torch.einsum("btn,kmn->kbtm", features, self.encoder_weight)
        latents = latents + self.encoder_bias[:, None, None, :]
        opening = features[:, : self.init_bins].mean(1)  # (trial, unit)
        initial = torch.einsum("bn,kmn->kbm", opening, self.init_weight)
        return latents, initial + self.init_bias[:, None, :]

    def forced_run(
        self,
        inputs: torch.Tensor,
        latents: torch.Tensor,
        initial: torch.Tensor,
        alpha: float,
    ) -> torch.Tensor:
        """Run every model under generalized teacher forcing of strength ``alpha``.

        Parameters
        ----------
        inputs
            ``(trial, time, input)``.
        latents
            ``(model, trial, time, M)`` teacher states ẑ.
        initial
            ``(model, trial, M)`` initial states.
        alpha
            Forcing strength in [0, 1].

        Returns
        -------
        torch.Tensor
            ``(model, trial, time, M)`` states z_t predicted from z̃_{t-1}.
        """
        population = self.population
        params = population.stacked_parameters()
        drive = torch.einsum("bti,kmi->kbtm", inputs, params["C"])
        drive = drive + params["h"][:, None, None, :]
        A = params["A"][:, None, :]
        Wt = params["W"].transpose(1, 2)
        lower, upper = population.lower[:, None, :], population.upper[:, None, :]
        nonlinearity = population.configs[0].nonlinearity
        z, states = initial, []
        for t in range(inputs.shape[1]):
            if t > 0 and alpha > 0:
                z = torch.lerp(z, latents[:, :, t - 1], alpha)
            phi = alrnn_phi(z, lower, upper, nonlinearity)
            z = A * z + torch.bmm(phi, Wt) + drive[:, :, t]
            states.append(z)
        return torch.stack(states, 2)

    def free_run(self, inputs: torch.Tensor, initial: torch.Tensor) -> torch.Tensor:
        """Run every model freely (α = 0); returns ``(model, trial, time, M)`` states."""
        _, states, _ = self.population.run(inputs, initial)
        return states

    def readout(self, states: torch.Tensor) -> torch.Tensor:
        """Linear readout ``B z + b``, ``(model, trial, time, unit)``."""
        B, b = self.population.B, self.population.b
        return torch.einsum("kbtm,knm->kbtn", states, B) + b[:, None, None, :]

    def label_logits(self, states: torch.Tensor) -> torch.Tensor:
        """Trial-label logits from the final state, ``(model, trial, label)``."""
        final = states[:, :, -1]
        logits = torch.einsum("kbm,klm->kbl", final, self.label_weight)
        return logits + self.label_bias[:, None, :]

    def losses(
        self,
        batch: dict[str, torch.Tensor],
        observation: Observation,
        alpha: float,
        weights: dict[str, float],
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Return the ``(model,)`` training losses and their parts.

        The loss sums the observation NLL of the forced model's prediction,
        that of the encoder's latents (so ẑ stays a readable estimate), the
        squared model-encoder latent distance scaled by ẑ's variance, the
        label cross-entropy and the manifold-attractor penalty.
        """
        data, scale = batch["data"], batch["scale"]
        latents, initial = self.encode(batch["features"])
        states = self.forced_run(batch["inputs"], latents, initial, alpha)
        model_nll = observation.nll(self.readout(states), data, scale).mean((1, 2, 3))
        encoder_nll = observation.nll(self.readout(latents), data, scale).mean(
            (1, 2, 3)
        )
        spread = latents.detach().var((1, 2)).mean(-1) + 1e-6  # (model,)
        latent = (states - latents).pow(2).mean((1, 2, 3)) / spread
        parts = {"nll": model_nll, "encoder_nll": encoder_nll, "latent": latent}
        total = model_nll + encoder_nll + weights["latent"] * latent
        if "labels" in batch:
            logits = self.label_logits(states)
            labels = batch["labels"].expand(len(self), -1)
            label = F.cross_entropy(
                logits.flatten(0, 1), labels.reshape(-1), reduction="none"
            ).view(len(self), -1)
            parts["label"] = label.mean(1)
            total = total + weights["label"] * parts["label"]
        total = total + self.population.regularization()
        return total, parts

    def extras(self, k: int) -> dict[str, torch.Tensor]:
        """Return the encoder and label-readout tensors of model ``k``."""
        return {name: getattr(self, name)[k].detach().clone() for name in EXTRA_NAMES}
