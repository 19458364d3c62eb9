"""Exceptions raised by :mod:`analysis`.

Every error a user can cause (a malformed recording, a call with arguments
that cannot work) is raised at the boundary as one line naming what was
expected, what arrived and how to fix it. All derive from
:class:`AnalysisError`, itself a :class:`ValueError`, so that the command
line can print them without a traceback.
"""

from __future__ import annotations

__all__ = [
    "AnalysisError",
    "ComparisonError",
    "RecordingError",
]


class AnalysisError(ValueError):
    """Base class of every error raised for bad input to :mod:`analysis`."""


class RecordingError(AnalysisError):
    """A recording (spike times, trial table, NWB or NetCDF file) cannot be loaded."""


class ComparisonError(AnalysisError):
    """Model and recording activity cannot be compared as asked."""
