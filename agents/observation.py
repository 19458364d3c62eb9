"""Observation models that tie an AL-RNN's readout to recorded activity.

A model fitted to a recording reads its latent state out linearly,
``y_t = B z_t + b`` (one output per recorded unit), and an observation model
turns that readout into a distribution over what was recorded:

- ``poisson``: spike counts per bin, ``count ~ Poisson(f(y))`` with the link
  ``f`` either ``softplus`` (rates grow linearly for large readouts, which
  keeps gradients tame) or ``exp`` (the canonical link of a Poisson GLM);
- ``gaussian``: rates (spikes/s, optionally smoothed),
  ``rate ~ N(y, σ²)`` with a fixed per-unit σ² estimated from the training
  trials, so that every unit weighs in on its own scale.

References
----------
Brenner, M., Hess, F., Koppe, G. & Durstewitz, D. (2024). Integrating
multimodal data for joint generative modeling of complex dynamics. *ICML*
(observation models and encoders for teacher forcing).

Pei, F. et al. (2021). Neural Latents Benchmark '21. *NeurIPS Datasets and
Benchmarks* (Poisson likelihood of binned spike counts).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from agents.errors import ConfigError

__all__ = ["LINKS", "OBSERVATIONS", "Observation"]

OBSERVATIONS = ("poisson", "gaussian")
LINKS = ("softplus", "exp")
MIN_RATE = 1e-6  # counts per bin; keeps log(rate) finite for silent units


@dataclass(frozen=True)
class Observation:
    """An observation model: readout ``(…, unit)`` to a distribution of the data.

    Parameters
    ----------
    kind
        ``"poisson"`` (spike counts per bin) or ``"gaussian"`` (rates).
    link
        Poisson only: ``"softplus"`` or ``"exp"`` from readout to expected
        counts per bin.

    Examples
    --------
    >>> obs = Observation("poisson", "exp")
    >>> round(float(obs.mean(torch.zeros(1))), 3)
    1.0
    """

    kind: str = "poisson"
    link: str = "softplus"

    def __post_init__(self) -> None:
        if self.kind not in OBSERVATIONS:
            raise ConfigError(
                f"observation must be one of {', '.join(OBSERVATIONS)}, got {self.kind!r}"
            )
        if self.link not in LINKS:
            raise ConfigError(
                f"link must be one of {', '.join(LINKS)}, got {self.link!r}"
            )

    def mean(self, readout: torch.Tensor) -> torch.Tensor:
        """Return the expected data: counts per bin (Poisson) or rates (Gaussian)."""
        if self.kind == "gaussian":
            return readout
        if self.link == "exp":
            return readout.clamp(max=20.0).exp()  # e^20 counts per bin is no neuron
        return F.softplus(readout) + MIN_RATE

    def inverse_mean(self, mean: torch.Tensor) -> torch.Tensor:
        """Readout whose :meth:`mean` is ``mean`` (to initialise the bias b)."""
        if self.kind == "gaussian":
            return mean
        mean = mean.clamp(min=1e-3)
        if self.link == "exp":
            return mean.log()
        # softplus^-1(m) = log(e^m - 1), written stably for large m
        return mean + torch.log(-torch.expm1(-mean))

    def nll(
        self, readout: torch.Tensor, data: torch.Tensor, scale: torch.Tensor
    ) -> torch.Tensor:
        """Elementwise negative log-likelihood, up to terms free of the readout.

        Parameters
        ----------
        readout
            ``(…, unit)`` linear readout ``B z + b``.
        data
            Counts (Poisson) or rates (Gaussian), broadcastable to ``readout``.
        scale
            ``(unit,)`` per-unit s.d. of the data (Gaussian); ignored for
            Poisson.

        Returns
        -------
        torch.Tensor
            ``readout``'s shape.
        """
        if self.kind == "gaussian":
            return 0.5 * ((readout - data) / scale).pow(2)
        if self.link == "exp":
            readout = readout.clamp(max=20.0)
            return readout.exp() - data * readout
        rate = self.mean(readout)
        return rate - data * rate.log()

    def sample(
        self,
        readout: torch.Tensor,
        scale: torch.Tensor,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """Draw data from the model: counts (Poisson) or rates (Gaussian)."""
        mean = self.mean(readout)
        if self.kind == "poisson":
            return torch.poisson(mean, generator=generator)
        noise = torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
        return mean + noise.to(mean.device) * scale
