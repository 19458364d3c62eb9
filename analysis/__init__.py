"""Dissection of trained networks and comparison with neural recordings.

May import both :mod:`alrnn_tasks` and :mod:`agents`.
"""

from analysis.compare import ComparisonOptions, compare, format_table, rank_models
from analysis.record import load_dataset, record, save_dataset
from analysis.recordings import from_netcdf, from_spike_times, load_recording
from analysis.recordings_nwb import from_nwb
from analysis.recordings_pfc1 import load_pfc1_session, read_klustakwik

__all__: list[str] = [
    "ComparisonOptions",
    "compare",
    "format_table",
    "from_netcdf",
    "from_nwb",
    "from_spike_times",
    "load_dataset",
    "load_pfc1_session",
    "load_recording",
    "rank_models",
    "read_klustakwik",
    "record",
    "save_dataset",
]
