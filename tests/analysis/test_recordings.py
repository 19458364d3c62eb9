"""analysis.recordings: spike times, NWB, NetCDF and pfc-1 sessions into the schema."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import xarray as xr

from alrnn_tasks import get_task
from analysis import (
    from_netcdf,
    from_nwb,
    from_spike_times,
    load_pfc1_session,
    load_recording,
    read_klustakwik,
    save_dataset,
)
from analysis.errors import AnalysisError, RecordingError
from analysis.recordings_pfc1 import PFC1_COLUMNS

# Three trials, events at 1, 3 and 5 s; bins of 100 ms from -100 to 200 ms.
# Spikes sit at bin centres so that counts are exact: (trial, bin, unit).
EVENTS = np.array([1.0, 3.0, 5.0])
EXPECTED = np.array(
    [
        [[1, 0], [2, 0], [0, 1]],
        [[0, 0], [0, 3], [1, 0]],
        [[0, 1], [1, 0], [0, 0]],
    ]
)
BIN_CENTRES = np.array([-0.05, 0.05, 0.15])


def _spike_trains(expected=EXPECTED, events=EVENTS):
    trains = []
    for unit in range(expected.shape[2]):
        times = [
            np.full(expected[t, b, unit], events[t] + BIN_CENTRES[b])
            for t in range(expected.shape[0])
            for b in range(expected.shape[1])
        ]
        trains.append(np.concatenate([*times, [0.2, 6.0]]))  # spikes outside trials
    return trains


TABLE = {
    "stim_onset": EVENTS,
    "block": np.array([1, 2, 4]),
    "stim_name": np.array(["le_lc", "ri_hi_lc", "le_lo_pc"]),
}


def _load(**overrides):
    kwargs = dict(
        spike_times=_spike_trains(),
        trials=TABLE,
        align_to="stim_onset",
        window=(-100.0, 200.0),
        bin_size=100.0,
    )
    kwargs.update(overrides)
    return from_spike_times(**kwargs)


def test_spike_times_bin_exactly():
    ds = _load()
    np.testing.assert_array_equal(ds["spikes"].values, EXPECTED)
    np.testing.assert_allclose(ds["rates"].values, EXPECTED * 10.0)
    np.testing.assert_allclose(ds["time"].values, [-50.0, 50.0, 150.0])
    assert ds.attrs["source"] == "recording" and ds.attrs["activity"] == "rates"
    assert ds.attrs["align_to"] == "stim_onset" and ds.attrs["bin_size"] == 100.0
    assert ds["block"].values.tolist() == [1, 2, 4]
    assert ds["unit"].values.tolist() == ["0", "1"]


def test_smoothing_keeps_rates_positive_and_spreads_them():
    ds = _load(smooth=100.0)
    assert (ds["rates"].values >= 0).all()
    assert ds["rates"].values[1, 0, 1] > 0  # neighbour of the 3-spike bin
    np.testing.assert_array_equal(ds["spikes"].values, EXPECTED)


def test_time_unit_ms():
    trains = [t * 1000 for t in _spike_trains()]
    ds = _load(spike_times=trains, trials={"stim_onset": EVENTS * 1000}, time_unit="ms")
    np.testing.assert_array_equal(ds["spikes"].values, EXPECTED)


def _write_nwb(path, with_units=True, with_trials=True):
    from pynwb import NWBHDF5IO, NWBFile

    nwbfile = NWBFile(
        session_description="test session",
        identifier="session-1",
        session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
    )
    if with_trials:
        nwbfile.add_trial_column("stim_onset", "sound onset (s)")
        nwbfile.add_trial_column("stim_name", "pfc-1 stimulus name")
        nwbfile.add_trial_column("block", "block 1-4")
        for index, event in enumerate(EVENTS):
            nwbfile.add_trial(
                start_time=event - 0.5,
                stop_time=event + 1.0,
                stim_onset=event,
                stim_name=TABLE["stim_name"][index],
                block=int(TABLE["block"][index]),
            )
    if with_units:
        for train in _spike_trains():
            nwbfile.add_unit(spike_times=np.sort(train))
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)


def test_nwb_units_and_trials_load_with_exact_counts(tmp_path):
    path = tmp_path / "session.nwb"
    _write_nwb(path)
    ds = from_nwb(path, align_to="stim_onset", window=(-100.0, 200.0), bin_size=100.0)
    np.testing.assert_array_equal(ds["spikes"].values, EXPECTED)
    assert ds["stim_name"].values.tolist() == TABLE["stim_name"].tolist()
    assert ds["block"].values.tolist() == [1, 2, 4]
    np.testing.assert_allclose(ds["start_time"].values, EVENTS - 0.5)
    assert ds.attrs["session_id"] == "session-1"
    same = load_recording(
        path, align_to="stim_onset", window=(-100.0, 200.0), bin_size=100.0
    )
    xr.testing.assert_identical(same, ds)


def test_netcdf_recording_round_trip(tmp_path):
    ds = _load()
    path = save_dataset(ds, tmp_path / "recording.nc")
    xr.testing.assert_identical(from_netcdf(path), ds)


def _write_pfc1(folder, rate=30_000.0):
    folder.mkdir()
    rows = [
        "block,stim_name,outcome,cpoke_start,stim_onset,cpoke_stop,choice_made",
        "1,le_lc,hit,0.7,1.0,1.3,1.5",
        "2,ri_hi_lc,hit,2.7,3.0,3.3,",
        "4,le_lo_pc,wrong_port,4.7,5.0,5.3,5.6",
    ]
    (folder / "trials.csv").write_text("\n".join(rows) + "\n")
    trains = _spike_trains()
    times = np.concatenate(trains)
    clusters = np.concatenate([np.full(t.size, c + 2) for c, t in enumerate(trains)])
    noise = np.array([0.9, 2.2])  # cluster 0: noise, dropped
    times, clusters = np.append(times, noise), np.append(clusters, [0, 0])
    order = np.argsort(times)
    samples = np.round(times[order] * rate).astype(int)
    (folder / "rat.res.3").write_text("\n".join(map(str, samples)) + "\n")
    (folder / "rat.clu.3").write_text(
        "\n".join(map(str, [4, *clusters[order].tolist()])) + "\n"
    )


def test_pfc1_session_lines_up_with_stimulus_selection(tmp_path):
    folder = tmp_path / "session"
    _write_pfc1(folder)
    ds = load_pfc1_session(folder, window=(-100.0, 200.0), bin_size=100.0)
    np.testing.assert_array_equal(ds["spikes"].values, EXPECTED)
    assert ds["unit"].values.tolist() == ["TT3-2", "TT3-3"]
    for column in PFC1_COLUMNS:
        assert ds[column].dims == ("trial",)
    assert ds["rule"].values.tolist() == ["localization", "localization", "pitch"]
    assert ds["cue_trial"].values.tolist() == [True, False, False]
    assert ds["noise_side"].values.tolist() == ["left", "right", "left"]
    assert ds["pitch"].values.tolist() == ["none", "high", "low"]
    assert np.isnan(ds["choice_made"].values[1])

    # the same names and values as the task's own conditions
    batch = get_task("StimulusSelection-v0", rule_cue="explicit").batch(400, seed=0)
    for name in ("stim_name", "block", "rule", "cue_trial", "noise_side", "pitch"):
        assert set(ds[name].values.tolist()) <= set(batch.conditions[name].tolist())


def test_klustakwik_pair(tmp_path):
    (tmp_path / "a.clu.1").write_text("3\n2\n0\n2\n1\n")
    (tmp_path / "a.res.1").write_text("30\n60\n90\n120\n")
    units = read_klustakwik(
        tmp_path / "a.clu.1", tmp_path / "a.res.1", sampling_rate=30
    )
    assert list(units) == ["2"]
    np.testing.assert_allclose(units["2"], [1.0, 3.0])


def _bad_nwb(tmp_path, **flags):
    path = tmp_path / "bad.nwb"
    _write_nwb(path, **flags)
    return path


MALFORMED = [
    ("missing align column", lambda p: _load(align_to="cpoke_start"), "lacks columns"),
    ("missing condition", lambda p: _load(conditions=["outcome"]), "lacks columns"),
    (
        "NaN event",
        lambda p: _load(trials={"stim_onset": np.array([1.0, np.nan, 5.0])}),
        "NaN in 1 trials",
    ),
    (
        "mismatched trial counts",
        lambda p: _load(trials={"stim_onset": EVENTS, "block": np.array([1, 2])}),
        "differ in length",
    ),
    ("no trials", lambda p: _load(trials={"stim_onset": np.array([])}), "no trials"),
    (
        "unit without spikes",
        lambda p: _load(spike_times={"a": [1.0], "b": []}),
        "unit 'b' has no spikes",
    ),
    (
        "NaN spike",
        lambda p: _load(spike_times=[np.array([1.0, np.nan])]),
        "contain NaN",
    ),
    ("no units", lambda p: _load(spike_times=[]), "no units"),
    (
        "event after the recording",
        lambda p: _load(recording_span=(0.0, 4.0)),
        "outside the recording",
    ),
    (
        "events in ms read as s",
        lambda p: _load(trials={"stim_onset": EVENTS * 1000}),
        "outside the recording",
    ),
    ("empty window", lambda p: _load(window=(100.0, 100.0)), "start < stop"),
    ("negative bin", lambda p: _load(bin_size=-5.0), "bin_size must be"),
    ("ragged window", lambda p: _load(bin_size=70.0), "whole number"),
    ("negative smoothing", lambda p: _load(smooth=-1.0), "smooth must be"),
    ("unknown time unit", lambda p: _load(time_unit="min"), "time_unit must be"),
    (
        "2-D spike times",
        lambda p: _load(spike_times=[np.ones((2, 2))]),
        "must be 1-D",
    ),
    (
        "text events",
        lambda p: _load(trials={"stim_onset": np.array(["a", "b", "c"])}),
        "must hold event times",
    ),
    (
        "NWB without units",
        lambda p: from_nwb(_bad_nwb(p, with_units=False)),
        "no units table",
    ),
    (
        "NWB without trials",
        lambda p: from_nwb(_bad_nwb(p, with_trials=False)),
        "no trials table",
    ),
    (
        "not an NWB file",
        lambda p: (p / "x.nwb").write_text("hello") and from_nwb(p / "x.nwb"),
        "not a readable NWB",
    ),
    (
        "clu/res length mismatch",
        lambda p: (
            (p / "a.clu.1").write_text("3\n2\n2\n"),
            (p / "a.res.1").write_text("1\n"),
            read_klustakwik(p / "a.clu.1", p / "a.res.1"),
        ),
        "lists 2 spikes",
    ),
    (
        "pfc-1 without trials.csv",
        lambda p: (p / "s").mkdir() or load_pfc1_session(p / "s"),
        "no trial table",
    ),
    (
        "pfc-1 block out of range",
        lambda p: load_pfc1_session(
            p,
            trials={
                **{c: [1.0] for c in PFC1_COLUMNS},
                "block": [7],
                "stim_name": ["le_lc"],
            },
        ),
        "block must be 1-4",
    ),
    (
        "pfc-1 bad stim_name",
        lambda p: load_pfc1_session(
            p,
            trials={
                **{c: [1.0] for c in PFC1_COLUMNS},
                "block": [1],
                "stim_name": ["left_noise"],
            },
        ),
        "not a pfc-1 stimulus name",
    ),
    (
        "NetCDF without activity",
        lambda p: (
            save_dataset(xr.Dataset({"x": ("a", [1.0])}), p / "x.nc")
            and from_netcdf(p / "x.nc")
        ),
        "no activity variable",
    ),
    (
        "recording with NaN rates",
        lambda p: (
            save_dataset(
                _load().assign(rates=_load()["rates"].where(lambda r: r > 0)),
                p / "n.nc",
            )
            and from_netcdf(p / "n.nc")
        ),
        "contains NaN",
    ),
    ("unknown format", lambda p: load_recording(p / "x.mat"), "cannot tell the format"),
    ("bad output suffix", lambda p: save_dataset(_load(), p / "x.h5"), "must end in"),
]


@pytest.mark.parametrize(
    ("case", "call", "match"), MALFORMED, ids=[case[0] for case in MALFORMED]
)
def test_malformed_recordings_fail_clearly(tmp_path, case, call, match):
    before = set(tmp_path.iterdir())
    with pytest.raises(AnalysisError, match=match) as info:
        call(tmp_path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 300
    if case.startswith(("NWB", "not an", "clu", "pfc-1", "NetCDF", "recording")):
        return  # the test wrote its own input files
    assert set(tmp_path.iterdir()) == before  # no partial output


def test_failed_write_leaves_no_file(tmp_path):
    ds = _load().assign_attrs(bad={"a": 1})  # dict attrs cannot be stored
    with pytest.raises(AnalysisError, match="cannot write"):
        save_dataset(ds, tmp_path / "out.nc")
    assert list(tmp_path.iterdir()) == []


def test_recording_error_is_an_analysis_error():
    assert issubclass(RecordingError, AnalysisError)
