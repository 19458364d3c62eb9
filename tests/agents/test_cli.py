import json
import subprocess
import sys

import pytest

from agents import ModelConfig, TrainConfig, load
from agents.cli import main, parse_population, parse_task_params
from agents.errors import ConfigError


def test_train_then_evaluate_in_a_subprocess(tmp_path):
    out = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "agents",
        "train",
        "StimulusSelection-v0",
        "--task-param",
        "rule_cue=explicit",
        "--units",
        "8",
        "--relu-units",
        "2",
        "--steps",
        "20",
        "--batch-size",
        "16",
        "--eval-every",
        "10",
        "--eval-trials",
        "32",
        "--device",
        "cpu",
        "--out",
        str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout
    evaluated = subprocess.run(
        [
            sys.executable,
            "-m",
            "agents",
            "evaluate",
            str(out),
            "--trials",
            "64",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    scores = json.loads(evaluated.stdout)
    assert 0 <= scores["accuracy"] <= 1 and "accuracy/incongruent" in scores
    model, _ = load(out)
    assert model.config.units == 8


def test_tasks_lists_stimulus_selection(capsys):
    assert main(["tasks"]) == 0
    assert "StimulusSelection-v0" in capsys.readouterr().out.split()


def test_population_on_the_command_line(tmp_path, capsys):
    code = main(
        [
            "-q",
            "train",
            "StimulusSelection-v0",
            "--task-param",
            "rule_cue=explicit",
            "--units",
            "8",
            "--steps",
            "4",
            "--eval-every",
            "2",
            "--eval-trials",
            "16",
            "--population",
            "P=0,8;seed=0..1",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "pop"),
        ]
    )
    assert code == 0
    assert len(list((tmp_path / "pop" / "models").iterdir())) == 4
    assert main(["evaluate", str(tmp_path / "pop"), "--trials", "16", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out.splitlines()[-1])) == 4


def test_help_shows_defaults_and_units(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "(default: 32)" in text and "ms" in text


def test_parsers():
    assert parse_task_params(
        ["block_lengths=2,6,2,6", "feedback=true", "sigma=0.2"]
    ) == {"block_lengths": (2, 6, 2, 6), "feedback": True, "sigma": 0.2}
    assert parse_population("P=0,2;seed=0..2") == [
        {"relu_units": p, "seed": s} for p in (0, 2) for s in (0, 1, 2)
    ]


TRAIN = ["train", "StimulusSelection-v0", "--steps", "2", "--device", "cpu"]
BAD_CLI = [
    (
        ["train", "StimulusSelect-v0", "--out", "{out}"],
        "did you mean 'StimulusSelection-v0'",
    ),
    ([*TRAIN, "--out", "{out}", "--units", "many"], "expected an integer"),
    ([*TRAIN, "--out", "{out}", "--lr", "nan"], "finite number"),
    ([*TRAIN, "--out", "{out}", "--lr", "-1"], "lr must be"),
    ([*TRAIN, "--out", "{out}", "--units", "4", "--relu-units", "5"], "relu_units"),
    ([*TRAIN, "--out", "{out}", "--model", "transformer"], "model kind"),
    ([*TRAIN, "--out", "{out}", "--nonlinearity", "sigmoid"], "nonlinearity"),
    ([*TRAIN, "--out", "{out}", "--stop-at", "1.5"], "stop_at"),
    ([*TRAIN, "--out", "{out}", "--batch-size", "0"], "batch_size"),
    ([*TRAIN, "--out", "{out}", "--task-param", "rule_cue"], "NAME=VALUE"),
    (
        [*TRAIN, "--out", "{out}", "--task-param", "rule=explicit"],
        "no parameter 'rule'",
    ),
    (
        [*TRAIN, "--out", "{out}", "--task-param", "rule_cue=sometimes"],
        "rule_cue must be",
    ),
    ([*TRAIN, "--out", "{out}", "--device", "tpu"], "device"),
    ([*TRAIN, "--out", "{out}", "--population", "Q=1"], "KEY=VALUES"),
    ([*TRAIN, "--out", "{out}", "--population", "P=a..b"], "integers or ranges"),
    ([*TRAIN, "--out", "{out}", "--curriculum", "0.1,0.5"], "must end at scale 1"),
    (
        [
            *TRAIN,
            "--out",
            "{out}",
            "--task-param",
            "rule_cue=explicit",
            "--curriculum",
            "0.5,1",
        ],
        "session-based",
    ),
    ([*TRAIN, "--out", "{out}", "--train-trials", "10"], "train_trials"),
    ([*TRAIN, "--out", "{out}", "--lr-schedule", "linear"], "lr_schedule"),
    ([*TRAIN], "--out"),
    (["evaluate", "{out}/nowhere"], "does not exist"),
    (["evaluate", "{out}", "--trials", "x"], "expected an integer"),
    (["fly"], "invalid choice"),
]


@pytest.mark.parametrize(
    ("argv", "expected"), BAD_CLI, ids=[" ".join(a[:1] + a[-2:]) for a, _ in BAD_CLI]
)
def test_bad_cli_input_gives_one_line_errors(tmp_path, capsys, argv, expected):
    argv = [a.replace("{out}", str(tmp_path / "out")) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    error = capsys.readouterr().err.strip()
    assert code == 2
    assert expected in error
    assert len(error.splitlines()) == 1, error


BAD_API = [
    (lambda: ModelConfig(units=0), "units must be >= 1"),
    (lambda: ModelConfig(units=4.5), "units must be an integer"),
    (lambda: ModelConfig(a_init=float("inf")), "a_init"),
    (lambda: ModelConfig(kind="ctrnn", tau=10, dt=20), "dt <= tau"),
    (lambda: ModelConfig(units=4, relu_units=2, reg_units=3), "reg_units"),
    (lambda: TrainConfig(steps=0), "steps"),
    (lambda: TrainConfig(grad_clip=-1.0), "grad_clip"),
    (lambda: TrainConfig(curriculum=(0.0, 1.0)), "curriculum"),
]


@pytest.mark.parametrize(("make", "expected"), BAD_API)
def test_bad_api_input_gives_one_line_errors(make, expected):
    with pytest.raises(ConfigError, match=expected) as info:
        make()
    assert len(str(info.value).splitlines()) == 1
