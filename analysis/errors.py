"""Exceptions and warnings of :mod:`analysis`.

Every error message names what was expected, what arrived and how to fix it,
in one line.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "AnalysisWarning",
    "ComparisonError",
    "NonlinearityError",
    "RecordingError",
    "SingularSystemError",
]


class AnalysisError(ValueError):
    """Bad input to an analysis function (wrong shape, unknown option, ...)."""


class RecordingError(AnalysisError):
    """A recording (spike times, trial table, NWB or NetCDF file) cannot be loaded."""


class ComparisonError(AnalysisError):
    """Model and recording activity cannot be compared as asked."""


class NonlinearityError(AnalysisError):
    """The model's nonlinearity is not piecewise linear with one kink (relu)."""


class SingularSystemError(AnalysisError):
    """A linear system of the dissection has no unique solution."""


class AnalysisWarning(UserWarning):
    """Something in the analysis the user should know about (e.g. a fallback)."""
