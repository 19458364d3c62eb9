"""Exceptions raised by :mod:`agents`.

Every error a user can cause (a bad argument, a missing or damaged run
directory, a diverging run) is raised at the boundary as one line naming what
was expected, what arrived and how to fix it. All derive from
:class:`AgentsError`, itself a :class:`ValueError`, so that the command line
can print them without a traceback.
"""

from __future__ import annotations

__all__ = [
    "AgentsError",
    "CheckpointError",
    "ConfigError",
    "FitDataError",
    "NonFiniteLossError",
]


class AgentsError(ValueError):
    """Base class of every error raised for bad input to :mod:`agents`."""


class ConfigError(AgentsError):
    """A model, population or training setting has a value that cannot be used."""


class FitDataError(AgentsError):
    """A recording cannot be fitted: no units, NaN activity, unknown conditions, misaligned events."""


class CheckpointError(AgentsError):
    """A run directory or checkpoint is missing, incomplete or damaged."""


class NonFiniteLossError(AgentsError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept.

    Parameters
    ----------
    message
        The one-line message, naming the step.
    step
        The optimisation step at which the loss was not finite.
    """

    def __init__(self, message: str, step: int) -> None:
        super().__init__(message)
        self.step = step
