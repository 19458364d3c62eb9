import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import xarray as xr

from agents import load
from agents.cli import main
from agents.errors import ConfigError
from agents.sweep import plan_cells, plan_groups, run_group, run_sweep
from agents.sweep_config import load_sweep_file, sweep_from_dict
from agents.sweep_results import collect, save_collected
from tests.agents.sweep_helpers import TINY_SWEEP, tiny_sweep

CELLS = 8  # 2 P x 2 seeds x 2 training-set sizes


def test_plan_groups_batches_alrnn_cells_by_task_and_size():
    config = tiny_sweep(families=["alrnn", "gru"])
    groups = plan_groups(config)
    assert len(plan_cells(config)) == CELLS + 4  # a gru per seed and size
    alrnn = {k: v for k, v in groups.items() if v[0].family == "alrnn"}
    assert sorted(alrnn) == ["explicit__alrnn__n0", "explicit__alrnn__n32"]
    assert all(len(cells) == 4 for cells in alrnn.values())
    assert all(len(v) == 1 for k, v in groups.items() if k not in alrnn)
    small = plan_groups(tiny_sweep(max_population=3))
    assert sorted(len(v) for v in small.values()) == [1, 1, 3, 3]


def test_sweep_then_collect_gives_every_cell(tmp_path):
    summary = run_sweep(tiny_sweep(), tmp_path / "sweep")
    assert len(summary.done) == CELLS and not summary.failed
    ds = collect(tmp_path / "sweep")
    assert dict(ds.sizes) == {
        "task": 1,
        "model": 2,
        "seed": 2,
        "train_trials": 2,
        "metric": ds.sizes["metric"],
    }
    assert list(ds.model.values) == ["alrnn_P0", "alrnn_P2"]
    assert list(ds.relu_units.values) == [0, 2]
    assert (ds.status == "done").all()
    assert {"accuracy", "accuracy/congruent", "accuracy/cue"} <= set(ds.metric.values)
    assert (ds.steps == 6).all()
    assert (ds.regions_used.sel(model="alrnn_P0") == 1).all()  # P = 0: one region
    assert (ds.regions_used.sel(model="alrnn_P2") <= 4).all()

    # the collected values are the cells' result files
    cell = tmp_path / "sweep" / "cells" / "explicit__alrnn_P2__s1__n32"
    result = json.loads((cell / "result.json").read_text())
    picked = ds.score.sel(model="alrnn_P2", seed=1, train_trials=32, metric="accuracy")
    assert float(picked.squeeze()) == result["scores"]["accuracy"]
    model, _ = load(cell)  # each cell is a loadable run directory
    assert model.config.relu_units == 2 and model.config.seed == 1

    out = save_collected(ds, tmp_path / "results.nc")
    with xr.open_dataset(out, engine="h5netcdf") as back:
        xr.testing.assert_identical(back.load(), ds)


def _sweep_process(sweep_dir):
    script = (
        "import json, sys, torch\n"
        "torch.set_num_threads(1)\n"
        "from agents.sweep_config import sweep_from_dict\n"
        "from agents.sweep import run_sweep\n"
        "config = json.loads(sys.argv[2])\n"
        "config['training']['steps'] = 150\n"
        "run_sweep(sweep_from_dict(config), sys.argv[1])\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script, str(sweep_dir), json.dumps(TINY_SWEEP)],
        stderr=subprocess.DEVNULL,
    )


def test_killed_sweep_resumes(tmp_path):
    sweep_dir = tmp_path / "sweep"
    process = _sweep_process(sweep_dir)
    first_group = sweep_dir / "cells" / "explicit__alrnn_P2__s1__n0" / "result.json"
    second_group = sweep_dir / "groups" / "explicit__alrnn__n32" / "checkpoint"
    deadline = time.monotonic() + 90
    while not (first_group.is_file() and second_group.is_dir()):
        assert process.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, "the sweep made no progress"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = {
        p.parent.name: p.stat().st_mtime_ns
        for p in (sweep_dir / "cells").glob("*/result.json")
    }
    assert 4 <= len(before) < CELLS

    values = json.loads(json.dumps(TINY_SWEEP))
    values["training"]["steps"] = 150
    summary = run_sweep(sweep_from_dict(values), sweep_dir)
    assert sorted(summary.skipped) == sorted(before)
    assert sorted(summary.done + summary.skipped) == sorted(
        c.cell_id for c in plan_cells(sweep_from_dict(values))
    )
    assert not set(summary.done) & set(before)  # every cell finished exactly once
    for name, mtime in before.items():
        assert (sweep_dir / "cells" / name / "result.json").stat().st_mtime_ns == mtime
    ds = collect(sweep_dir)
    assert (ds.status == "done").all() and (ds.steps == 150).all()


def test_failing_cell_is_recorded_and_the_rest_finish(tmp_path, monkeypatch):
    import agents.sweep
    from agents.errors import NonFiniteLossError

    original = agents.sweep._train

    def train_or_fail(run_dir, config, cells):
        if any(c.relu_units == 2 and c.seed == 1 for c in cells):
            raise NonFiniteLossError("non-finite loss at step 3 (test)", step=3)
        return original(run_dir, config, cells)

    monkeypatch.setattr(agents.sweep, "_train", train_or_fail)
    config = tiny_sweep(train_trials=[0])
    summary = run_sweep(config, tmp_path / "sweep")
    assert summary.failed == ["explicit__alrnn_P2__s1__n0"]
    assert len(summary.done) == 3
    ds = collect(tmp_path / "sweep")
    failed = ds.sel(model="alrnn_P2", seed=1, train_trials=0).squeeze()
    assert str(failed.status.values) == "failed"
    assert "NonFiniteLossError" in str(failed.error.values)
    assert np.isnan(failed.score.sel(metric="accuracy"))

    # a rerun skips the failed cell unless asked to retry it
    monkeypatch.setattr(agents.sweep, "_train", original)
    assert run_sweep(config, tmp_path / "sweep").done == []
    retried = run_sweep(config, tmp_path / "sweep", retry_failed=True)
    assert retried.done == ["explicit__alrnn_P2__s1__n0"]
    assert (collect(tmp_path / "sweep").status == "done").all()


def test_submitit_local_executor_runs_the_same_cells(tmp_path):
    pytest.importorskip("submitit")
    config = tiny_sweep(
        train_trials=[0], launcher={"kind": "submitit-local", "timeout_min": 5}
    )
    summary = run_sweep(config, tmp_path / "sweep")
    assert sorted(summary.done) == sorted(c.cell_id for c in plan_cells(config))
    assert (tmp_path / "sweep" / "submitit").is_dir()
    assert (collect(tmp_path / "sweep").status == "done").all()


def test_run_group_of_a_finished_group_does_nothing(tmp_path):
    config = tiny_sweep(train_trials=[0], seeds=[0])
    run_sweep(config, tmp_path / "sweep")
    assert run_group(tmp_path / "sweep", "explicit__alrnn__n0") == {
        "done": [],
        "failed": [],
    }


def test_a_different_sweep_in_the_same_directory_is_refused(tmp_path):
    run_sweep(tiny_sweep(train_trials=[0], seeds=[0]), tmp_path / "sweep")
    with pytest.raises(ConfigError, match="holds a different sweep"):
        run_sweep(tiny_sweep(train_trials=[0], seeds=[0, 1]), tmp_path / "sweep")


GOOD = """
units = 4
relu_units = [0, 2]
[[tasks]]
id = "StimulusSelection-v0"
params = { rule_cue = "explicit" }
"""

BAD_FILES = [
    (
        GOOD.replace("StimulusSelection-v0", "StimulusSelect-v0"),
        "did you mean 'StimulusSelection-v0'",
    ),
    (GOOD.replace("[0, 2]", "[0, 8]"), r"P=\[8\] exceed units M=4"),
    (GOOD.replace("[0, 2]", "[]"), "grid is empty: 'relu_units'"),
    ("units = 4\ntasks = []\n", "grid is empty: 'tasks'"),
    (
        "seed = [1]\n" + GOOD,
        "unknown key 'seed' in sweep \\(did you mean 'seeds'\\?\\)",
    ),
    (GOOD + "[training]\nstep = 3\n", "unknown key 'step' in training"),
    (GOOD + "[model]\nrelu_units = 3\n", "unknown key 'relu_units' in model"),
    (GOOD + "[launcher]\nkind = 'pbs'\n", "launcher must be one of"),
    (GOOD.replace('rule_cue = "explicit"', 'rule = "explicit"'), "rule"),
    ("families = ['alrnn', 'gruu']\n" + GOOD, "did you mean 'gru'"),
    (
        "train_trials = [0, 64]\n" + GOOD,
        "",
    ),
    (
        "train_trials = [64]\n"
        + GOOD.replace('params = { rule_cue = "explicit" }', ""),
        "session-based",
    ),
    ("units = [4\n", "not a valid TOML"),
    (GOOD + "[training]\nsteps = -1\n", "steps must be an integer >= 1"),
]


@pytest.mark.parametrize("text, message", BAD_FILES)
def test_sweep_files_give_one_line_errors(tmp_path, text, message):
    path = tmp_path / "sweep.toml"
    path.write_text(text)
    if not message:
        assert load_sweep_file(path).train_trials == (0, 64)
        return
    with pytest.raises(Exception, match=message) as caught:
        load_sweep_file(path)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


def test_cli_sweep_run_and_collect(tmp_path, capsys):
    path = tmp_path / "sweep.toml"
    path.write_text("seeds = [0]\n" + GOOD + "[training]\nsteps = 4\neval_every = 2\n")
    out = tmp_path / "sweep"
    assert main(["-q", "sweep", "run", str(path), "--out", str(out), "--P", "1"]) == 0
    assert "1 cells finished" in capsys.readouterr().out
    assert main(["-q", "sweep", "run", str(path), "--out", str(out), "--P", "1"]) == 0
    assert "1 finished before" in capsys.readouterr().out
    assert main(["-q", "sweep", "collect", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 done" in printed and "alrnn_P1=" in printed
    assert (out / "results.nc").is_file()
    assert main(["-q", "sweep", "run", "--out", str(out), "--task", "Nope-v0"]) == 2
    assert "unknown task" in capsys.readouterr().err
