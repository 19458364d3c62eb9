import json

import numpy as np
import pytest
import xarray as xr

from analysis.errors import AnalysisError
from analysis.necessity import necessity_curve
from analysis.plots import plot_fixed_point_portrait, plot_necessity, plot_region_raster
from analysis.report import analyze_run, format_summary
from tests.analysis.test_fixed_points import bistable_switch


def test_analyze_run_writes_tables_figures_and_summary(
    stimulus_selection_run, tmp_path
):
    summary = analyze_run(stimulus_selection_run, tmp_path / "report", n_trials=64)
    out = tmp_path / "report"
    assert json.loads((out / "summary.json").read_text()) == summary
    assert 1 <= summary["regions_used"] <= summary["regions_possible"] == 16
    periods = {
        f"{p}/{r}"
        for p in ("hold", "stimulus", "response")
        for r in ("localization", "pitch")
    }
    assert set(summary["fixed_points"]["periods"]) == periods
    for name in ("occupancy", "gating", "integration", "fixed_points_response_pitch"):
        assert (out / f"{name}.nc").exists()
    points_file = out / "fixed_points_response_pitch.nc"
    with xr.open_dataset(points_file, engine="h5netcdf") as points:
        assert "eigenvalues_real" in points and "eigenvalues_imag" in points
    assert (out / "region_raster.png").stat().st_size > 1000
    assert summary["primitives"]["context"] == "rule"
    text = format_summary(summary)
    assert "regions used" in text and "response" in text


def test_analyze_refuses_a_missing_run(tmp_path):
    from agents import CheckpointError

    with pytest.raises(CheckpointError):
        analyze_run(tmp_path / "nothing")


def test_plots_draw(tmp_path):
    codes = np.array([[0, 1, 1, 3], [2, 2, -1, -1]])
    figure = plot_region_raster(
        codes,
        2,
        period=np.array([[0, 0, 1, 1], [0, 1, -1, -1]]),
        period_names=["a", "b"],
    )
    figure.savefig(tmp_path / "raster.png")
    states = np.random.default_rng(0).normal(size=(4, 6, 3))
    from analysis.fixed_points import fixed_points

    portrait = plot_fixed_point_portrait(
        fixed_points(bistable_switch(), include_virtual=True),
        states,
        labels=[0, 0, 1, 1],
    )
    assert len(portrait.axes[0].collections) == 3
    curve = necessity_curve([0, 2], [{"accuracy": 0.5}, {"accuracy": 1.0}])
    plot_necessity(curve, criterion=0.9).savefig(tmp_path / "curve.png")
    with pytest.raises(AnalysisError, match="not in the curve"):
        plot_necessity(curve, ["accuracy/incongruent"])


def test_alrnn_analyze_command_line(stimulus_selection_run, tmp_path, capsys):
    from agents.cli import main

    status = main(
        [
            "analyze",
            str(stimulus_selection_run),
            "--out",
            str(tmp_path),
            "--trials",
            "32",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "regions used" in printed and "real fixed points per period" in printed
    assert (tmp_path / "summary.json").exists()
