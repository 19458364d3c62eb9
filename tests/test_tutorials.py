"""The tutorial scripts of docs/tutorials run at their small size and give sane output.

Each runs in a subprocess, as a reader would run it, with
``ALRNN_TUTORIAL_SMALL=1``; the checks read the ``summary.json`` it writes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).parent.parent / "docs" / "tutorials"


def run_tutorial(name, out):
    env = {**os.environ, "ALRNN_TUTORIAL_SMALL": "1", "MPLBACKEND": "Agg"}
    completed = subprocess.run(
        [sys.executable, str(TUTORIALS / name), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


def test_every_tutorial_script_has_a_page_and_a_test():
    scripts = {p.name for p in TUTORIALS.glob("*.py")}
    tested = {
        "train_stimulus_selection.py",
        "nonlinearity_sweep.py",
        "compare_recordings.py",
        "slurm_sweep.py",
    }
    assert scripts == tested
    pages = "".join(p.read_text() for p in TUTORIALS.glob("*.md"))
    for script in scripts:
        assert f"docs/tutorials/{script}" in pages, f"no page includes {script}"


def test_train_tutorial(tmp_path):
    summary = run_tutorial("train_stimulus_selection.py", tmp_path)
    assert 0.0 <= summary["accuracy_cli"] <= 1.0
    assert 0.0 <= summary["accuracy_python"] <= 1.0
    assert summary["activity_dims"]["trial"] == 64
    assert summary["activity_dims"]["unit"] == 16
    assert {"rule", "stim_name", "congruent"} <= set(summary["conditions"])
    for path in ("cli_run/model.safetensors", "python_run", "trials.png"):
        assert (tmp_path / path).exists(), path


def test_nonlinearity_tutorial(tmp_path):
    summary = run_tutorial("nonlinearity_sweep.py", tmp_path)
    assert summary["relu_units"] == [0, 1, 2, 4]
    assert all(0.0 <= a <= 1.0 for a in summary["accuracy"])
    assert summary["dissected_P"] in summary["relu_units"]
    assert 1 <= summary["regions_used"] <= summary["regions_possible"]
    assert summary["regions_possible"] == 2 ** summary["dissected_P"]
    # one entry per task period (possibly split further, e.g. "hold/pitch")
    periods = {name.split("/")[0] for name in summary["real_fixed_points"]}
    assert periods == {"hold", "stimulus", "response"}
    for path in ("score_vs_P.png", "curve.nc", "report/summary.json"):
        assert (tmp_path / path).exists(), path


def test_recordings_tutorial(tmp_path):
    summary = run_tutorial("compare_recordings.py", tmp_path)
    assert summary["nwb_matches_spike_times"]
    assert summary["units"] == 40 and summary["trials"] == 160
    # The spikes were drawn from the P = 2 model: most metrics must find it.
    best = list(summary["best_model_by_metric"].values())
    assert best.count("P2") >= len(best) - 1, summary["best_model_by_metric"]
    assert (tmp_path / "session.nwb").stat().st_size > 0


def test_slurm_tutorial(tmp_path):
    summary = run_tutorial("slurm_sweep.py", tmp_path)
    assert summary["models"] == ["alrnn_P0", "alrnn_P2"]
    assert summary["status"] == ["done"]
    assert summary["submitit_jobs"] == 1
    assert all(0.0 <= a <= 1.0 for a in summary["accuracy"])
    assert (tmp_path / "sweep" / "results.nc").exists()


@pytest.mark.parametrize("name", sorted(p.name for p in TUTORIALS.glob("*.py")))
def test_tutorial_scripts_document_themselves(name):
    text = (TUTORIALS / name).read_text()
    assert text.startswith('"""Tutorial'), name
    assert "--small" in text
