import json
import math
import signal
import subprocess
import sys
import time

import pytest
import torch

import agents.training
from agents import ModelConfig, NonFiniteLossError, TrainConfig, evaluate, load, train
from agents.checkpoint import read_metrics
from agents.errors import ConfigError
from agents.evaluation import Stack
from agents.sessions import evaluate_sessions
from agents.train_config import EVAL, derived_seed
from alrnn_tasks import get_task
from tests.agents.helpers import EXPLICIT, TINY_MODEL, tiny_config


def test_explicit_rule_reaches_95_percent(tmp_path):
    config = TrainConfig(
        task_params=EXPLICIT,
        steps=600,
        batch_size=64,
        eval_every=25,
        eval_trials=512,
        stop_at=0.97,
        device="cpu",
        checkpoint_every=1000,
    )
    result = train(tmp_path / "run", config, ModelConfig(units=32, relu_units=4))
    assert result.stopped == [True]
    model, task = load(tmp_path / "run")
    assert evaluate(model, task, 1024, seed=99)["accuracy"] >= 0.95


def test_implicit_rule_learned_on_short_blocks_holds_over_the_experiments_cycle(
    tmp_path,
):
    # A network that ignores the rule scores about 0.72 (cue trials and the
    # congruent mixture right, a coin flip on the others); scoring well above
    # that needs the rule inferred from cue trials and held across trials.
    # No reward feedback: the rule comes from the cue trials alone. Short
    # blocks put switches inside the truncated-BPTT chunks; the latch learned
    # there must then hold through the experiment's 60-trial blocks.
    config = TrainConfig(
        task_params={"block_lengths": (2, 6, 2, 6)},
        steps=1000,
        batch_size=64,
        chunk_trials=10,
        eval_every=50,
        stop_at=0.97,
        device="cpu",
        checkpoint_every=5000,
    )
    train(tmp_path / "run", config, ModelConfig(units=32, relu_units=8))
    model, _ = load(tmp_path / "run")
    experiment = get_task("StimulusSelection-v0")  # blocks of 20/60/20/60
    scores = evaluate_sessions(
        Stack(model).run, experiment, 640, 7, torch.device("cpu"), 1
    )
    assert scores[0]["accuracy"] >= 0.9, scores[0]
    assert scores[0]["accuracy/incongruent"] >= 0.85, scores[0]


def test_population_trains_each_model_and_writes_loadable_runs(tmp_path):
    models = [ModelConfig(units=8, relu_units=p) for p in (0, 2)]
    result = train(tmp_path / "pop", tiny_config(steps=10), models)
    assert len(result.model_dirs) == 2
    for k, model_dir in enumerate(result.model_dirs):
        model, _ = load(model_dir)
        assert model.config.relu_units == (0, 2)[k]
        assert {r["model"] for r in read_metrics(model_dir)} == {k}


def test_stopped_population_members_stay_frozen(tmp_path):
    models = [ModelConfig(units=16, relu_units=4, seed=s) for s in (0, 1)]
    config = tiny_config(
        steps=300, batch_size=64, eval_every=10, stop_at=0.5, checkpoint_every=1000
    )
    result = train(tmp_path / "pop", config, models)
    assert all(result.stopped)
    # every model's saved weights are those of the evaluation where it stopped
    held_out = derived_seed(config.seed, EVAL, 0)
    for model_dir, score in zip(result.model_dirs, result.scores, strict=True):
        model, task = load(model_dir)
        assert evaluate(model, task, config.eval_trials, seed=held_out) == score


def test_fixed_training_pool(tmp_path):
    result = train(tmp_path / "run", tiny_config(train_trials=8), TINY_MODEL)
    assert result.step == 20


@pytest.mark.parametrize("kind", ["rnn_relu", "ctrnn", "lstm"])
def test_baselines_train(tmp_path, kind):
    result = train(
        tmp_path / kind, tiny_config(steps=5), ModelConfig(kind=kind, units=8)
    )
    assert math.isfinite(result.scores[0]["accuracy"])


def test_session_training_carries_state(tmp_path):
    config = tiny_config(
        task_params={},
        steps=6,
        chunk_trials=3,
        session_trials=6,
        batch_size=4,
        eval_trials=16,
    )
    result = train(tmp_path / "run", config, TINY_MODEL)
    assert result.step == 6


def test_non_finite_loss_stops_with_the_step_and_keeps_the_checkpoint(
    tmp_path, monkeypatch
):
    calls = {"n": 0}
    original = agents.training.masked_loss

    def poisoned(outputs, targets, mask, output_weights=None):
        calls["n"] += 1
        loss = original(outputs, targets, mask, output_weights)
        return loss * math.nan if calls["n"] == 8 else loss

    monkeypatch.setattr(agents.training, "masked_loss", poisoned)
    with pytest.raises(
        NonFiniteLossError, match=r"step 8 .*checkpoint of step 5 kept"
    ) as info:
        train(tmp_path / "run", tiny_config(), TINY_MODEL)
    assert info.value.step == 8
    assert len(str(info.value).splitlines()) == 1
    latest = json.loads((tmp_path / "run" / "checkpoint" / "latest.json").read_text())
    assert latest["step"] == 5
    model, _ = load(tmp_path / "run")
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_finished_run_returns_at_once_and_other_settings_are_refused(tmp_path):
    first = train(tmp_path / "run", tiny_config(steps=5), TINY_MODEL)
    again = train(tmp_path / "run", tiny_config(steps=5), TINY_MODEL)
    assert again.step == first.step == 5
    with pytest.raises(ConfigError, match="different settings"):
        train(tmp_path / "run", tiny_config(steps=5, lr=0.1), TINY_MODEL)


TRAIN_SCRIPT = """
import sys, torch
torch.set_num_threads(1)
from agents import ModelConfig, TrainConfig, train
config = TrainConfig(task_params={"rule_cue": "explicit"}, steps=400, batch_size=32,
                     eval_every=50, eval_trials=64, checkpoint_every=7, device="cpu", seed=3)
train(sys.argv[1], config, ModelConfig(units=16, relu_units=4), progress=False)
"""


def run_script(run_dir):
    return subprocess.Popen(
        [sys.executable, "-c", TRAIN_SCRIPT, str(run_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_resume_after_sigkill_gives_identical_weights_and_metrics(tmp_path):
    interrupted = run_script(tmp_path / "killed")
    latest = tmp_path / "killed" / "checkpoint" / "latest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and interrupted.poll() is None:
        if latest.is_file() and json.loads(latest.read_text())["step"] >= 30:
            break
        time.sleep(0.005)
    interrupted.send_signal(signal.SIGKILL)
    interrupted.wait()
    killed_at = json.loads(latest.read_text())["step"]
    assert 30 <= killed_at < 400, "the run ended before it could be killed"

    assert run_script(tmp_path / "killed").wait() == 0
    assert run_script(tmp_path / "full").wait() == 0
    resumed, _ = load(tmp_path / "killed")
    full, _ = load(tmp_path / "full")
    for p, q in zip(resumed.parameters(), full.parameters(), strict=True):
        assert torch.equal(p, q)

    def steps(run):
        return [
            (r["step"], r["model"], "eval" in r) for r in read_metrics(tmp_path / run)
        ]

    assert steps("killed") == steps("full")


def test_a_neurogym_env_trains_through_the_task_adapter(tmp_path):
    config = tiny_config(
        task_id="neurogym:PerceptualDecisionMaking-v0",
        task_params={},
        steps=5,
        eval_every=5,
    )
    result = train(tmp_path / "run", config, TINY_MODEL)
    model, task = load(result.model_dirs[0])
    assert task.task_id == "neurogym:PerceptualDecisionMaking-v0"
    batch = task.batch(8, seed=0)
    assert model(batch.inputs).shape[:2] == batch.inputs.shape[:2]
