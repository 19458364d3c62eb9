"""Dissection of trained networks and comparison with neural recordings.

May import both :mod:`alrnn_tasks` and :mod:`agents`.
"""

from analysis.codes import (
    bits_to_codes,
    code_strings,
    codes_to_bits,
    occupancy,
    regions_by_group,
    shared_regions,
    subregion_codes,
    transition_counts,
)
from analysis.compare import ComparisonOptions, compare, format_table, rank_models
from analysis.cycles import cycles
from analysis.fixed_points import fixed_points
from analysis.necessity import necessity_curve, score_models, smallest_sufficient
from analysis.pieces import PiecewiseLinearMap, linear_pieces, piecewise_map
from analysis.plots import plot_fixed_point_portrait, plot_necessity, plot_region_raster
from analysis.primitives import gating, integration, memory, transient_amplification
from analysis.record import load_dataset, record, save_dataset
from analysis.recordings import from_netcdf, from_spike_times, load_recording
from analysis.recordings_nwb import from_nwb
from analysis.recordings_pfc1 import load_pfc1_session, read_klustakwik
from analysis.report import analyze_run, format_summary
from analysis.task_variance import cluster_units, task_variance

__all__: list[str] = [
    "ComparisonOptions",
    "PiecewiseLinearMap",
    "analyze_run",
    "bits_to_codes",
    "cluster_units",
    "code_strings",
    "codes_to_bits",
    "compare",
    "cycles",
    "fixed_points",
    "format_summary",
    "format_table",
    "from_netcdf",
    "from_nwb",
    "from_spike_times",
    "gating",
    "integration",
    "linear_pieces",
    "load_dataset",
    "load_pfc1_session",
    "load_recording",
    "memory",
    "necessity_curve",
    "occupancy",
    "piecewise_map",
    "plot_fixed_point_portrait",
    "plot_necessity",
    "plot_region_raster",
    "rank_models",
    "read_klustakwik",
    "record",
    "regions_by_group",
    "save_dataset",
    "score_models",
    "shared_regions",
    "smallest_sufficient",
    "subregion_codes",
    "task_variance",
    "transient_amplification",
    "transition_counts",
]
