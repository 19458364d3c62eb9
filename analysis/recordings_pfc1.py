"""Sessions laid out like CRCNS pfc-1 (Rodgers & DeWeese 2014), and KlustaKwik files.

The data set's own trial tables are pickled pandas objects; unpickling can
run arbitrary code, so this module never reads them. Convert each session's
trial table once, in a trusted environment, to ``trials.csv`` and keep the
spike files as they are. A session folder then holds:

- ``trials.csv``: one row per trial with (at least) the columns ``block``
  (1 LB cue, 2 LB mixture, 3 PB cue, 4 PB mixture), ``stim_name``
  (``le_hi_lc``, cue trials ``le_lc``, ``ri_lc``, ``hi_pc``, ``lo_pc``),
  ``outcome`` (``hit``, ``error``, ``wrong_port``, ...) and the event times
  ``cpoke_start``, ``stim_onset``, ``cpoke_stop``, ``choice_made`` (s by
  default; NaN where an event did not happen, e.g. no choice on a no-go);
- spike times, either as KlustaKwik pairs ``<name>.clu.<n>`` /
  ``<name>.res.<n>`` (one per tetrode ``n``; ``.res`` holds spike sample
  indices, ``.clu`` the cluster of each spike after a first line giving the
  number of clusters) or as ``spikes.csv`` with columns ``unit`` and
  ``time`` (s).

The columns keep their data-set names and gain ``rule``, ``cue_trial``,
``noise_side`` and ``pitch``, derived from ``block`` and ``stim_name`` with
the values StimulusSelection-v0 uses, so that a comparison on
``rule``/``noise_side``/``pitch``/``stim_name``/``block`` lines up with a
model recording without renaming.

References
----------
Rodgers, C. C. & DeWeese, M. R. (2014). Neural correlates of task switching
in prefrontal cortex and primary auditory cortex in a novel stimulus
selection task for rodents. *Neuron* 82(5), 1157-1170. Data: CRCNS pfc-1.

Harris, K. D. et al. (2000). Accuracy of tetrode spike separation as
determined by simultaneous intracellular and extracellular measurements.
*J. Neurophysiol.* 84, 401-414 (KlustaKwik file formats).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from analysis.errors import RecordingError
from analysis.recordings import TIME_UNITS, from_spike_times

__all__ = [
    "PFC1_COLUMNS",
    "load_pfc1_session",
    "read_klustakwik",
    "stimulus_selection_conditions",
]

PFC1_COLUMNS = (
    "block",
    "stim_name",
    "outcome",
    "cpoke_start",
    "stim_onset",
    "cpoke_stop",
    "choice_made",
)
RULE_OF_BLOCK = {1: "localization", 2: "localization", 3: "pitch", 4: "pitch"}
SIDE_OF_TOKEN = {"le": "left", "ri": "right"}
PITCH_OF_TOKEN = {"hi": "high", "lo": "low"}
RULE_OF_CONTEXT = {"lc": "localization", "pc": "pitch"}


def stimulus_selection_conditions(block: Any, stim_name: Any) -> dict[str, np.ndarray]:
    """Derive StimulusSelection-v0's conditions from pfc-1 ``block`` and ``stim_name``.

    Parameters
    ----------
    block
        ``(trial,)`` block numbers 1-4.
    stim_name
        ``(trial,)`` data-set stimulus names such as ``le_hi_lc`` or ``lo_pc``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``rule`` (``"localization"``/``"pitch"``), ``cue_trial`` (block 1
        or 3), ``noise_side`` (``"left"``/``"right"``/``"none"``) and
        ``pitch`` (``"high"``/``"low"``/``"none"``), each ``(trial,)``.

    Examples
    --------
    >>> c = stimulus_selection_conditions([1, 4], ["le_lc", "ri_hi_pc"])
    >>> c["rule"].tolist(), c["noise_side"].tolist(), c["pitch"].tolist()
    (['localization', 'pitch'], ['left', 'right'], ['none', 'high'])
    """
    block = np.asarray(block)
    names = np.asarray(stim_name).astype(str)
    if block.dtype.kind not in "iuf" or not np.isin(block, list(RULE_OF_BLOCK)).all():
        bad = sorted(set(np.asarray(block).tolist()) - set(RULE_OF_BLOCK))[:5]
        raise RecordingError(
            f"block must be 1-4 (1 LB cue, 2 LB mixture, 3 PB cue, 4 PB mixture), "
            f"got {bad}; fix the trial table"
        )
    block = block.astype(int)
    rule = np.array([RULE_OF_BLOCK[b] for b in block.tolist()])
    side, pitch, context = zip(*(_parse_stim_name(n) for n in names), strict=True)
    disagree = np.flatnonzero(np.array([RULE_OF_CONTEXT[c] for c in context]) != rule)
    if disagree.size:
        warnings.warn(
            f"{disagree.size} trials have a stim_name context that disagrees with "
            f"their block (first trial {disagree[0]}); rule follows the block",
            stacklevel=2,
        )
    return {
        "rule": rule,
        "cue_trial": np.isin(block, (1, 3)),
        "noise_side": np.asarray(side),
        "pitch": np.asarray(pitch),
    }


def _parse_stim_name(name: str) -> tuple[str, str, str]:
    tokens = name.split("_")
    context = tokens[-1] if tokens else ""
    sounds = tokens[:-1]
    sides = [SIDE_OF_TOKEN[t] for t in sounds if t in SIDE_OF_TOKEN]
    pitches = [PITCH_OF_TOKEN[t] for t in sounds if t in PITCH_OF_TOKEN]
    if (
        context not in RULE_OF_CONTEXT
        or not 1 <= len(sounds) <= 2
        or len(sides) + len(pitches) != len(sounds)
        or len(sides) > 1
        or len(pitches) > 1
    ):
        raise RecordingError(
            f"stim_name {name!r} is not a pfc-1 stimulus name such as 'le_hi_lc', "
            "'le_lc' or 'hi_pc'; fix the trial table"
        )
    return (sides or ["none"])[0], (pitches or ["none"])[0], context


def read_klustakwik(
    clu_path: str | Path,
    res_path: str | Path,
    *,
    sampling_rate: float = 30_000.0,
    drop_clusters: tuple[int, ...] = (0, 1),
    prefix: str = "",
) -> dict[str, np.ndarray]:
    """Read a KlustaKwik ``.clu``/``.res`` pair into spike times per cluster.

    Parameters
    ----------
    clu_path
        Text file: the number of clusters, then the cluster of each spike,
        one per line.
    res_path
        Text file: the sample index of each spike, one per line.
    sampling_rate
        Samples per second of the ``.res`` indices (check the session's
        acquisition rate).
    drop_clusters
        Clusters that are not units (KlustaKwik: 0 noise, 1 unsorted).
    prefix
        Put before each cluster number to name the unit (e.g. ``"TT3-"``).

    Returns
    -------
    dict of str to numpy.ndarray
        Spike times in s of each kept cluster, named ``prefix + cluster``.

    Raises
    ------
    RecordingError
        If the files are missing, not integer text, or disagree in length.
    """
    clu = _integers(clu_path, "clu")
    res = _integers(res_path, "res")
    if clu.size == 0:
        raise RecordingError(f"{str(clu_path)!r} is empty; expected a cluster count")
    n_clusters, clusters = int(clu[0]), clu[1:]
    if clusters.size != res.size:
        raise RecordingError(
            f"{Path(clu_path).name} lists {clusters.size} spikes but "
            f"{Path(res_path).name} {res.size}; use the .clu/.res pair of one tetrode"
        )
    if clusters.size and clusters.max() >= max(n_clusters, 1) + 1:
        raise RecordingError(
            f"{Path(clu_path).name} names cluster {int(clusters.max())} but its header "
            f"says {n_clusters} clusters; the file is damaged"
        )
    times = res / float(sampling_rate)
    return {
        f"{prefix}{cluster}": times[clusters == cluster]
        for cluster in np.unique(clusters).tolist()
        if cluster not in drop_clusters
    }


def _integers(path: str | Path, kind: str) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise RecordingError(f"no such .{kind} file {str(path)!r}; check the path")
    try:
        return np.loadtxt(path, dtype=np.int64, ndmin=1)
    except ValueError as error:
        raise RecordingError(
            f"{str(path)!r} is not a KlustaKwik .{kind} file of integers ({error})"
        ) from None


def load_pfc1_session(
    directory: str | Path,
    *,
    trials: Mapping[str, Any] | None = None,
    align_to: str = "stim_onset",
    window: tuple[float, float] = (-500.0, 500.0),
    bin_size: float = 50.0,
    smooth: float = 0.0,
    sampling_rate: float = 30_000.0,
    time_unit: str = "s",
) -> xr.Dataset:
    """Load a pfc-1-style session folder into the recording schema.

    Parameters
    ----------
    directory
        The session folder (see :mod:`analysis.recordings_pfc1`).
    trials
        The trial table, if not in ``directory/trials.csv``.
    align_to, window, bin_size, smooth
        Binning, as in :func:`analysis.from_spike_times` (window in ms).
    sampling_rate
        Samples per second of the ``.res`` files.
    time_unit
        Unit of the trial table's event times and of ``spikes.csv``.

    Returns
    -------
    xarray.Dataset
        The recording schema, with the pfc-1 columns and the derived
        ``rule``, ``cue_trial``, ``noise_side`` and ``pitch`` on ``trial``.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise RecordingError(f"no such session folder {str(directory)!r}")
    table = dict(trials) if trials is not None else _read_csv(directory / "trials.csv")
    missing = [c for c in PFC1_COLUMNS if c not in table]
    if missing:
        raise RecordingError(
            f"pfc-1 trial table lacks columns {missing}; it has {sorted(table)}"
        )
    derived = stimulus_selection_conditions(table["block"], table["stim_name"])
    table.update({k: v for k, v in derived.items() if k not in table})
    ds = from_spike_times(
        _session_spikes(directory, sampling_rate, time_unit),
        table,
        align_to=align_to,
        window=window,
        bin_size=bin_size,
        smooth=smooth,
        conditions=PFC1_COLUMNS,
        time_unit=time_unit,
    )
    return ds.assign_attrs(layout="crcns-pfc-1", origin=str(directory))


def _read_csv(path: Path) -> dict[str, np.ndarray]:
    import pandas as pd

    if not path.is_file():
        raise RecordingError(
            f"no trial table {str(path)!r}; convert the session's trial table to CSV "
            "there or pass trials="
        )
    frame = pd.read_csv(path)
    return {str(name): frame[name].to_numpy() for name in frame.columns}


def _session_spikes(
    directory: Path, sampling_rate: float, time_unit: str
) -> dict[str, np.ndarray]:
    if time_unit not in TIME_UNITS:
        raise RecordingError(
            f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}"
        )
    per_second = 1000.0 / TIME_UNITS[time_unit]  # .res times are in s
    spikes: dict[str, np.ndarray] = {}
    for clu_path in sorted(directory.glob("*.clu.*")):
        base, _, tetrode = clu_path.name.rpartition(".clu.")
        res_path = directory / f"{base}.res.{tetrode}"
        units = read_klustakwik(
            clu_path, res_path, sampling_rate=sampling_rate, prefix=f"TT{tetrode}-"
        )
        spikes.update({name: times * per_second for name, times in units.items()})
    csv_path = directory / "spikes.csv"
    if csv_path.is_file():
        table = _read_csv(csv_path)
        if not {"unit", "time"} <= set(table):
            raise RecordingError(
                f"{str(csv_path)!r} needs columns 'unit' and 'time', got {sorted(table)}"
            )
        names = table["unit"].astype(str)
        for unit in np.unique(names):
            spikes[unit] = table["time"][names == unit]
    if not spikes:
        raise RecordingError(
            f"no spike files in {str(directory)!r}; expected *.clu.N/*.res.N pairs "
            "or spikes.csv"
        )
    return spikes
