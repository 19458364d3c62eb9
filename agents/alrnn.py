"""The almost-linear RNN: M units of which the last P are nonlinear.

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
"""

from __future__ import annotations

import math

import torch
from torch import nn

from agents.errors import ConfigError
from agents.models import ModelConfig, RecurrentModel, last_valid

__all__ = [
    "ALRNN",
    "alrnn_bounds",
    "alrnn_diagonal_mask",
    "alrnn_init",
    "alrnn_phi",
    "alrnn_run_stacked",
    "alrnn_scan",
    "manifold_attractor_penalty",
]


def alrnn_bounds(
    units: int, relu_units: int, nonlinearity: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return per-unit clamp bounds that implement φ_P for relu and hardtanh.

    Linear units get (-inf, inf), so clamping leaves them unchanged; relu
    units (0, inf); hardtanh units (-1, 1). For tanh the bounds mark the
    nonlinear units only (lower bound 0 there) and are not used as a clamp.

    Returns
    -------
    lower, upper : torch.Tensor
        ``(unit,)`` bounds.
    """
    lower = torch.full((units,), -math.inf)
    upper = torch.full((units,), math.inf)
    first = units - relu_units
    lower[first:] = -1.0 if nonlinearity == "hardtanh" else 0.0
    if nonlinearity == "hardtanh":
        upper[first:] = 1.0
    return lower, upper


def alrnn_phi(
    z: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor, nonlinearity: str
) -> torch.Tensor:
    """Apply φ_P: identity on the linear units, the nonlinearity on the last P."""
    if nonlinearity == "relu":
        return torch.clamp(z, min=lower)
    if nonlinearity == "hardtanh":
        return torch.clamp(z, min=lower, max=upper)
    return torch.where(lower > -math.inf, torch.tanh(z), z)


def alrnn_phi_derivative(
    z: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor, nonlinearity: str
) -> torch.Tensor:
    """Return φ_P'(z): 1 on linear units, the nonlinearity's slope on the last P."""
    if nonlinearity == "tanh":
        return torch.where(lower > -math.inf, 1 - torch.tanh(z).pow(2), 1.0)
    return ((z > lower) & (z < upper)).to(z.dtype)


class _ALRNNScan(torch.autograd.Function):
    """The AL-RNN recursion with a hand-written backward pass.

    Autograd through a Python loop records four nodes per step; this function
    runs the loop without recording and backpropagates with one batched
    product per step, collecting the gradients of W and A in single products
    over all steps afterwards. ``tests/agents/test_models.py`` checks it with
    :func:`torch.autograd.gradcheck`.
    """

    @staticmethod
    def forward(ctx, drive, A, W, lower, upper, z0, nonlinearity):
        """Run the recursion; save what the backward pass needs."""
        # a contiguous W^T and bmm + add run about 1.4x faster on CPU than
        # baddbmm on the transposed view
        Wt = W.transpose(1, 2).contiguous()
        z = z0
        states = torch.empty_like(drive)
        for t in range(drive.shape[0]):
            phi = alrnn_phi(z, lower, upper, nonlinearity)
            # written in place into the output, to save a copy per step
            torch.bmm(phi, Wt, out=states[t])
            z = states[t].add_(drive[t]).addcmul_(A, z)
        ctx.save_for_backward(A, W, lower, upper, z0, states)
        ctx.nonlinearity = nonlinearity
        return states

    @staticmethod
    def backward(ctx, grad_states):
        """Backpropagate through time; returns gradients of the inputs of forward."""
        A, W, lower, upper, z0, states = ctx.saved_tensors
        nonlinearity = ctx.nonlinearity
        grad_states = grad_states.contiguous()
        n_steps, n_models, units = states.shape[0], W.shape[0], W.shape[-1]
        # φ'(z_t) for t = 0 … T-2: the slope that step t+1 applies to z_t
        slope = alrnn_phi_derivative(states[:-1], lower, upper, nonlinearity)
        phi = alrnn_phi(states[:-1], lower, upper, nonlinearity)
        # W's gradient is accumulated step by step: one bmm over all steps
        # would first need a (model, time, ...) copy of the (time, model, ...)
        # tensors, and one path for any number of models keeps a population's
        # gradients identical to its single models'.
        grad_W = W.new_zeros(W.shape)

        # g_t = dL/dz_t = G_t + A ⊙ g_{t+1} + (g_{t+1} W) ⊙ φ'(z_t)
        grad_drive = torch.empty_like(states)
        g = grad_states[-1]
        grad_drive[-1] = g
        for t in range(n_steps - 2, -1, -1):
            grad_W.baddbmm_(g.transpose(1, 2), phi[t])
            torch.addcmul(grad_states[t], A, g, out=grad_drive[t])
            g = grad_drive[t].addcmul_(torch.bmm(g, W), slope[t])
        phi0 = alrnn_phi(z0, lower, upper, nonlinearity)
        slope0 = alrnn_phi_derivative(z0, lower, upper, nonlinearity)
        grad_z0 = torch.addcmul(A * g, torch.bmm(g, W), slope0)

        # z_{t-1} for t = 0 is z0; the rest are the states shifted by one
        grad_A = (grad_drive[1:] * states[:-1]).sum((0, 2)) + (g * z0).sum(1)
        grad_A = grad_A.view(n_models, 1, units)
        grad_W.baddbmm_(g.transpose(1, 2), phi0)
        return grad_drive, grad_A, grad_W, None, None, grad_z0, None


def alrnn_scan(
    drive: torch.Tensor,
    A: torch.Tensor,
    W: torch.Tensor,
    lower: torch.Tensor,
    upper: torch.Tensor,
    nonlinearity: str,
    z0: torch.Tensor,
) -> torch.Tensor:
    """Iterate z_t = A ⊙ z_{t-1} + W φ_P(z_{t-1}) + drive_t for K models at once.

    Parameters
    ----------
    drive
        ``(time, model, trial, unit)`` input drive C s_t + h.
    A
        ``(model, 1, unit)`` diagonal.
    W
        ``(model, unit, unit)`` recurrent weights.
    lower, upper
        ``(model, 1, unit)`` bounds of φ_P (see :func:`alrnn_bounds`).
    nonlinearity
        ``"relu"``, ``"tanh"`` or ``"hardtanh"``.
    z0
        ``(model, trial, unit)`` initial state.

    Returns
    -------
    torch.Tensor
        ``(time, model, trial, unit)`` states z_1 ... z_T.
    """
    if drive.shape[0] == 0:
        return drive
    return _ALRNNScan.apply(drive, A, W, lower, upper, z0, nonlinearity)


def alrnn_run_stacked(
    params: dict[str, torch.Tensor],
    lower: torch.Tensor,
    upper: torch.Tensor,
    nonlinearity: str,
    inputs: torch.Tensor,
    z0: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run K stacked AL-RNNs; the one code path of single models and populations.

    Parameters
    ----------
    params
        ``A`` (model, unit), ``W`` (model, unit, unit), ``C`` (model, unit,
        input), ``h`` (model, unit), ``B`` (model, output, unit), ``b``
        (model, output).
    lower, upper
        ``(model, unit)`` bounds of φ_P.
    nonlinearity
        Function on the nonlinear units.
    inputs
        ``(model, trial, time, input)``.
    z0
        ``(model, trial, unit)``.

    Returns
    -------
    outputs : torch.Tensor
        ``(model, trial, time, output)``.
    states : torch.Tensor
        ``(model, trial, time, unit)``.
    """
    # time-major throughout, so that each step reads one contiguous (model,
    # trial, unit) slab; only the small input and output tensors are permuted
    inputs_tm = inputs.permute(2, 0, 1, 3)  # (time, model, trial, input)
    drive = torch.matmul(inputs_tm, params["C"].transpose(1, 2)) + params[
        "h"
    ].unsqueeze(1)
    states = alrnn_scan(
        drive,
        params["A"].unsqueeze(1),
        params["W"],
        lower.unsqueeze(1),
        upper.unsqueeze(1),
        nonlinearity,
        z0,
    )
    outputs = torch.matmul(states, params["B"].transpose(1, 2)) + params["b"].unsqueeze(
        1
    )
    # (model, trial, time, ...) views of the time-major results
    return outputs.permute(1, 2, 0, 3), states.permute(1, 2, 0, 3)


def alrnn_init(
    config: ModelConfig, n_inputs: int, n_outputs: int
) -> dict[str, torch.Tensor]:
    """Draw the initial AL-RNN parameters from a generator seeded by ``config.seed``.

    A = ``a_init`` on every unit (0 on linear units when their diagonal is
    fixed); W ~ N(0, ``w_init_gain``²/M), so that A + W starts with a
    spectral radius near ``a_init + w_init_gain`` (slow but stable dynamics);
    C ~ U(±1/√input); h = 0; B ~ U(±1/√M); b = 0.

    Returns
    -------
    dict of str to torch.Tensor
        ``A``, ``W``, ``C``, ``h``, ``B``, ``b`` (float32, CPU).
    """
    generator = torch.Generator().manual_seed(config.seed)
    units = config.units

    def uniform(shape: tuple[int, ...], bound: float) -> torch.Tensor:
        return (torch.rand(shape, generator=generator) * 2 - 1) * bound

    A = torch.full((units,), float(config.a_init))
    A = A * alrnn_diagonal_mask(config)
    W = torch.randn((units, units), generator=generator)
    W = W * (config.w_init_gain / math.sqrt(units))
    return {
        "A": A,
        "W": W,
        "C": uniform((units, n_inputs), 1 / math.sqrt(n_inputs)),
        "h": torch.zeros(units),
        "B": uniform((n_outputs, units), 1 / math.sqrt(units)),
        "b": torch.zeros(n_outputs),
    }


def alrnn_diagonal_mask(config: ModelConfig) -> torch.Tensor:
    """Return ``(unit,)`` 1 where A is learned, 0 where it is fixed at 0."""
    mask = torch.ones(config.units)
    if not config.learn_linear_diagonal:
        mask[: config.units - config.relu_units] = 0.0
    return mask


def manifold_attractor_penalty(
    A: torch.Tensor, W: torch.Tensor, h: torch.Tensor, reg_units: int
) -> torch.Tensor:
    """Return Σ (A_i - 1)² + Σ W_ij² + Σ h_i² over the first ``reg_units`` units.

    Pulls those units towards a line/plane attractor (A = 1, no coupling, no
    bias) as in Schmidt et al. (2021); works on stacked parameters too
    (leading model axis), returning one value per model.
    """
    if reg_units == 0:
        return A.new_zeros(A.shape[:-1])
    return (
        (A[..., :reg_units] - 1).pow(2).sum(-1)
        + W[..., :reg_units, :].pow(2).sum((-1, -2))
        + h[..., :reg_units].pow(2).sum(-1)
    )


class ALRNN(RecurrentModel):
    r"""Almost-linear RNN (Brenner et al. 2024): M units, the last P nonlinear.

    .. math::

        z_t = A ⊙ z_{t-1} + W φ_P(z_{t-1}) + C s_t + h, \quad y_t = B z_t + b

    with φ_P(z) = (z_1, …, z_{M-P}, relu(z_{M-P+1}), …, relu(z_M)) (tanh or
    hardtanh optionally). A (``A``, (unit,)) is diagonal, W (``W``, (unit,
    unit)) full, C (``C``, (unit, input)) the input weights, h (``h``) a bias
    and (B, b) the linear readout. P = 0 is a linear RNN and P = M a PLRNN.
    The state space splits into 2^P linear subregions, one per sign pattern
    of the nonlinear units; inside one, the Jacobian is diag(A) + W D with D
    the diagonal of φ_P' (1 on linear units, 0 or 1 on relu units).
    Initialisation: see :func:`alrnn_init`.

    Parameters
    ----------
    config
        ``kind="alrnn"``; ``units`` M, ``relu_units`` P, ``nonlinearity``,
        ``learn_linear_diagonal``, ``a_init``, ``w_init_gain``, ``reg_units``,
        ``reg_weight``, ``seed``.
    n_inputs, n_outputs
        Input channels and outputs.

    Examples
    --------
    >>> model = ALRNN(ModelConfig(units=8, relu_units=2), n_inputs=3, n_outputs=2)
    >>> outputs, states = model(torch.zeros(5, 10, 3), return_states=True)
    >>> tuple(outputs.shape), tuple(states.shape)
    ((5, 10, 2), (5, 10, 8))
    """

    def __init__(self, config: ModelConfig, n_inputs: int, n_outputs: int) -> None:
        super().__init__(config, n_inputs, n_outputs)
        if config.kind != "alrnn":
            raise ConfigError(f"ALRNN needs kind='alrnn', got {config.kind!r}")
        for name, value in alrnn_init(config, n_inputs, n_outputs).items():
            setattr(self, name, nn.Parameter(value))
        lower, upper = alrnn_bounds(
            config.units, config.relu_units, config.nonlinearity
        )
        self.register_buffer("lower", lower, persistent=False)
        self.register_buffer("upper", upper, persistent=False)
        mask = alrnn_diagonal_mask(config)
        self.register_buffer("diagonal_mask", mask, persistent=False)

    @property
    def relu_units(self) -> int:
        """Number P of nonlinear units (the last P)."""
        return self.config.relu_units

    def effective_A(self) -> torch.Tensor:
        """Return the diagonal A with fixed entries at 0, ``(unit,)``."""
        return self.A * self.diagonal_mask

    def phi(self, z: torch.Tensor) -> torch.Tensor:
        """Apply φ_P to states ``(..., unit)``."""
        return alrnn_phi(z, self.lower, self.upper, self.config.nonlinearity)

    def step(self, z: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """One update z_t from z_{t-1} ``(..., unit)`` and s_t ``(..., input)``."""
        return (
            self.effective_A() * z + self.phi(z) @ self.W.T + inputs @ self.C.T + self.h
        )

    def stacked_parameters(self) -> dict[str, torch.Tensor]:
        """Parameters with a leading model axis of length 1 (see :class:`Population`)."""
        params = {name: getattr(self, name) for name in ("W", "C", "h", "B", "b")}
        params["A"] = self.effective_A()
        return {name: value.unsqueeze(0) for name, value in params.items()}

    def run(
        self,
        inputs: torch.Tensor,
        initial_state: torch.Tensor | None = None,
        lengths: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Run the AL-RNN; see :meth:`RecurrentModel.run`."""
        z0 = self._check_inputs(inputs, initial_state)
        outputs, states = alrnn_run_stacked(
            self.stacked_parameters(),
            self.lower.unsqueeze(0),
            self.upper.unsqueeze(0),
            self.config.nonlinearity,
            inputs.unsqueeze(0),
            z0.unsqueeze(0),
        )
        outputs, states = outputs.squeeze(0), states.squeeze(0)
        return outputs, states, last_valid(states, lengths)

    def regularization(self) -> torch.Tensor:
        """Manifold-attractor penalty times ``reg_weight`` (0 when off)."""
        penalty = manifold_attractor_penalty(
            self.effective_A(), self.W, self.h, self.config.reg_units
        )
        return self.config.reg_weight * penalty
