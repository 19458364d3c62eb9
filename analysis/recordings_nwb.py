"""Recordings from Neurodata Without Borders (NWB) files, through ``pynwb``.

The units table gives the spike times (s) of each unit; the trials table
(``start_time``, ``stop_time`` and any user columns: event times in s and
condition labels) gives the trials. Both bin into the recording schema of
:mod:`analysis.recordings` with :func:`analysis.from_spike_times`.

References
----------
Rübel, O. et al. (2022). The Neurodata Without Borders ecosystem for
neurophysiological data science. *eLife* 11, e78362.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from analysis.errors import RecordingError
from analysis.recordings import from_spike_times

__all__ = ["from_nwb"]


def from_nwb(
    path: str | Path,
    *,
    align_to: str = "start_time",
    window: tuple[float, float] = (0.0, 1000.0),
    bin_size: float = 20.0,
    smooth: float = 0.0,
    conditions: Sequence[str] | None = None,
) -> xr.Dataset:
    """Load the units and trials tables of an NWB file and bin the spikes.

    Parameters
    ----------
    path
        An ``.nwb`` file (HDF5).
    align_to
        Trials-table column of event times (s) that ``time = 0`` marks.
    window
        ``(start, stop)`` ms relative to the event.
    bin_size
        Bin width in ms.
    smooth
        Gaussian smoothing s.d. in ms (0: none).
    conditions
        Trials-table columns that must be present.

    Returns
    -------
    xarray.Dataset
        The recording schema; unit names are the units table's ids; the
        ``session_id`` attr holds the file's identifier.

    Raises
    ------
    RecordingError
        If the file cannot be read, or lacks a units or trials table, or
        any check of :func:`analysis.from_spike_times` fails.
    """
    try:
        from pynwb import NWBHDF5IO
    except ImportError:
        raise RecordingError(
            "reading NWB files needs pynwb; install it with `pip install pynwb`"
        ) from None
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"no such NWB file {str(path)!r}; check the path")
    try:
        io = NWBHDF5IO(str(path), mode="r")
        nwbfile = io.read()
    except Exception as error:  # h5py and hdmf raise many types for bad files
        raise RecordingError(
            f"{str(path)!r} is not a readable NWB file ({type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''})"
        ) from None
    with io:
        spike_times = _units(nwbfile, path)
        trials = _trials(nwbfile, path)
        identifier = str(nwbfile.identifier)
    ds = from_spike_times(
        spike_times,
        trials,
        align_to=align_to,
        window=window,
        bin_size=bin_size,
        smooth=smooth,
        conditions=conditions,
        time_unit="s",
    )
    return ds.assign_attrs(session_id=identifier, origin=str(path))


def _units(nwbfile: Any, path: Path) -> dict[str, np.ndarray]:
    units = nwbfile.units
    if units is None or len(units) == 0:
        raise RecordingError(
            f"{str(path)!r} has no units table; add sorted units "
            "(nwbfile.add_unit(spike_times=...)) before loading"
        )
    ids = [str(unit_id) for unit_id in units.id[:]]
    return {
        unit_id: np.asarray(units["spike_times"][index], dtype=float)
        for index, unit_id in enumerate(ids)
    }


def _trials(nwbfile: Any, path: Path) -> dict[str, np.ndarray]:
    trials = nwbfile.trials
    if trials is None or len(trials) == 0:
        raise RecordingError(
            f"{str(path)!r} has no trials table; add one "
            "(nwbfile.add_trial(start_time=..., stop_time=...)) before loading"
        )
    table = {}
    for name in trials.colnames:
        values = np.asarray(trials[name][:])
        if values.dtype.kind in "SO":
            values = np.asarray(
                [v.decode() if isinstance(v, bytes) else v for v in values.tolist()]
            )
        table[name] = values
    return table
