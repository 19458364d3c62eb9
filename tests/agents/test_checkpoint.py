import json

import pytest
import torch

from agents import CheckpointError, load, train
from agents.checkpoint import load_tensors, save_tensors
from tests.agents.helpers import TINY_MODEL, tiny_config


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "run"
    train(path, tiny_config(steps=10), TINY_MODEL)
    return path


def test_round_trip_gives_the_same_outputs(run_dir):
    model, task = load(run_dir)
    again, _ = load(run_dir)
    batch = task.batch(8, seed=1)
    assert torch.equal(model(batch.inputs), again(batch.inputs))
    assert task.params_dict()["rule_cue"] == "explicit"


def test_tensor_round_trip(tmp_path):
    tensors = {"a": torch.randn(3, 4), "step": torch.tensor(5.0), "i": torch.arange(3)}
    save_tensors(tmp_path / "t.safetensors", tensors)
    loaded = load_tensors(tmp_path / "t.safetensors")
    assert all(torch.equal(loaded[k], v) for k, v in tensors.items())


def test_run_directory_contents(run_dir):
    names = {p.name for p in run_dir.iterdir()}
    assert {"config.json", "model.safetensors", "metrics.jsonl", "checkpoint"} <= names
    assert not list(run_dir.rglob("*.pt")) and not list(run_dir.rglob("*.pkl"))
    config = json.loads((run_dir / "config.json").read_text())
    assert config["models"][0]["relu_units"] == 2


def copy_run(run_dir, tmp_path):
    import shutil

    target = tmp_path / "copy"
    shutil.copytree(run_dir, target)
    return target


def flip_last_byte(path):
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


TAMPERINGS = {
    "flipped weight byte": lambda d: flip_last_byte(d / "model.safetensors"),
    "truncated weights": lambda d: (d / "model.safetensors").write_bytes(
        (d / "model.safetensors").read_bytes()[:50]
    ),
    "garbage weights": lambda d: (d / "model.safetensors").write_bytes(
        b"\x80\x04pickle?" * 10
    ),
    "missing weights": lambda d: (d / "model.safetensors").unlink(),
    "broken config": lambda d: (d / "config.json").write_text("{not json"),
    "wrong format": lambda d: (d / "config.json").write_text('{"format": "other"}'),
    "weights of another size": lambda d: save_tensors(
        d / "model.safetensors", {"A": torch.zeros(3)}
    ),
}


@pytest.mark.parametrize("tampering", TAMPERINGS)
def test_tampered_run_fails_cleanly(run_dir, tmp_path, tampering):
    copy = copy_run(run_dir, tmp_path)
    TAMPERINGS[tampering](copy)
    with pytest.raises(CheckpointError) as info:
        load(copy)
    assert len(str(info.value).splitlines()) == 1


def test_tampered_checkpoint_stops_resume_cleanly(run_dir, tmp_path):
    copy = copy_run(run_dir, tmp_path)
    latest = json.loads((copy / "checkpoint" / "latest.json").read_text())["checkpoint"]
    flip_last_byte(copy / "checkpoint" / latest / "optimizer.safetensors")
    with pytest.raises(CheckpointError, match="checksum"):
        train(copy, tiny_config(steps=10), TINY_MODEL)
