"""Exceptions and warnings raised by :mod:`alrnn_tasks`.

Every error a user can cause is raised at the boundary as one line that names
what was expected, what arrived and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "AlrnnTasksError",
    "AlrnnTasksWarning",
    "TaskParameterError",
    "UnknownTaskError",
    "did_you_mean",
]


class AlrnnTasksError(ValueError):
    """Base class of every error raised for bad input to :mod:`alrnn_tasks`."""


class TaskParameterError(AlrnnTasksError):
    """A task parameter or a call argument has a value the task cannot use."""


class UnknownTaskError(AlrnnTasksError, KeyError):
    """A task id that no task is registered under."""

    def __str__(self) -> str:
        # KeyError would wrap the message in quotes.
        return str(self.args[0]) if self.args else ""


class AlrnnTasksWarning(UserWarning):
    """Warnings the package gives its users (tests turn them into errors)."""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return a ``"; did you mean 'x'?"`` suffix for the closest choice, or ``""``.

    Parameters
    ----------
    name
        The string the user gave.
    choices
        The valid strings.

    Returns
    -------
    str
        The suffix, empty when nothing is close.

    Examples
    --------
    >>> did_you_mean("StimulusSelect-v0", ["StimulusSelection-v0", "Addition-v0"])
    "; did you mean 'StimulusSelection-v0'?"
    """
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""
