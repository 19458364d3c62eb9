"""Sequence benchmarks: targets checked from the inputs, balance, score, IDX files."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alrnn_tasks import TaskParameterError, get_task
from alrnn_tasks.sequence_digits import load_idx

N_TRIALS = 2000


def one_hot_outputs(task, batch) -> np.ndarray:
    return np.eye(task.n_outputs)[batch.targets.numpy()]


# -- CopyMemory --------------------------------------------------------------
@pytest.mark.parametrize("task_id", ["CopyMemory-v0", "CopyMemoryVariableDelay-v0"])
def test_copy_memory_recalls_the_shown_symbols_after_the_cue(task_id):
    task = get_task(task_id)
    batch = task.batch(N_TRIALS, seed=1)
    inputs, targets = batch.inputs.numpy(), batch.targets.numpy()
    shown = inputs[:, :8, :4].argmax(-1) + 1  # (trial, 8) symbols 1-4
    assert (inputs[:, :8, :4].sum(-1) == 1).all()
    cue = inputs[..., 5].argmax(1)
    assert (inputs[..., 5].sum(1) == 1).all()
    rows = np.arange(N_TRIALS)[:, None]
    recall = cue[:, None] + 1 + np.arange(8)[None, :]
    assert np.array_equal(targets[rows, recall], shown)
    targets[rows, recall] = 0
    assert (targets == 0).all()  # blank everywhere else
    assert abs(np.bincount(shown.ravel())[1:] / shown.size - 0.25).max() < 0.01


def test_copy_memory_delays_fixed_and_variable():
    fixed = get_task("CopyMemory-v0").batch(100, seed=0)
    assert (fixed.lengths.numpy() == 8 + 100 + 1 + 8).all()
    variable = get_task("CopyMemoryVariableDelay-v0").batch(N_TRIALS, seed=0)
    delay = variable.conditions["delay"]
    assert delay.min() == 50 and delay.max() == 150
    assert abs(delay.mean() - 100) < 2
    assert np.array_equal(variable.lengths.numpy(), delay + 17)
    period = variable.period.numpy()
    assert np.array_equal((period == 1).sum(1), delay)


def test_copy_memory_mask_and_score():
    task = get_task("CopyMemory-v0", mask_recall_only=True, length=5, n_symbols=3)
    batch = task.batch(500, seed=2)
    assert np.array_equal(batch.mask.numpy() == 1, batch.period.numpy() == 3)
    outputs = one_hot_outputs(task, batch)
    assert task.score(outputs, batch) == {"accuracy": 1.0, "symbol_accuracy": 1.0}
    shuffled = np.random.default_rng(0).permutation(outputs)
    score = task.score(shuffled, batch)
    assert abs(score["symbol_accuracy"] - 1 / 3) < 0.05
    assert score["accuracy"] < 0.05


# -- Addition ----------------------------------------------------------------
def test_addition_target_is_the_sum_of_the_two_marked_values():
    task = get_task("Addition-v0")
    batch = task.batch(N_TRIALS, seed=3)
    inputs = batch.inputs.numpy()
    markers = inputs[..., 1]
    assert (markers.sum(1) == 2).all()
    assert (markers[:, :50].sum(1) == 1).all()
    expected = (inputs[..., 0] * markers).sum(1)
    assert np.allclose(batch.targets.numpy()[:, -1, 0], expected, atol=1e-6)
    assert np.array_equal(batch.mask.numpy()[:, -1], np.ones(N_TRIALS))
    assert batch.mask.numpy()[:, :-1].sum() == 0
    assert abs(inputs[..., 0].mean() - 0.5) < 0.01


def test_addition_score():
    task = get_task("Addition-v0", length=20)
    batch = task.batch(N_TRIALS, seed=4)
    targets = batch.targets.numpy()
    perfect = task.score(targets, batch)
    assert perfect["mse"] == pytest.approx(0.0, abs=1e-10)
    assert perfect["accuracy"] == 1.0
    assert perfect["baseline_mse"] == pytest.approx(1 / 6, abs=0.02)
    shuffled = task.score(np.random.default_rng(0).permutation(targets), batch)
    assert shuffled["mse"] == pytest.approx(1 / 3, abs=0.04)
    assert shuffled["accuracy"] < 0.1


# -- ContextualIntegration -------------------------------------------------
def test_contextual_integration_target_is_the_sign_of_summed_evidence_flipped_by_context():
    task = get_task("ContextualIntegration-v0")
    batch = task.batch(N_TRIALS, seed=5)
    inputs, targets = batch.inputs.numpy(), batch.targets.numpy()
    reverse = inputs[:, :5, 1].max(1) == 1
    assert np.array_equal(inputs[:, :5, 0].max(1) == 1, ~reverse)
    assert (inputs[:, 5:, :2] == 0).all()  # context shown at the start only
    positive = (inputs[..., 2].sum(1) > 0) != reverse
    response = inputs[..., 3] == 1
    assert np.array_equal(response, batch.period.numpy() == 2)
    expected = np.where(positive, 1, 2)
    assert np.array_equal(targets[:, -1], expected)
    assert (targets[~response] == 0).all()
    assert abs(reverse.mean() - 0.5) < 0.04
    assert abs(positive.mean() - 0.5) < 0.04


def test_contextual_integration_score_and_variable_evidence():
    task = get_task("ContextualIntegration-v0", evidence_steps=(10, 30))
    batch = task.batch(N_TRIALS, seed=6)
    evidence = (batch.period.numpy() == 1).sum(1)
    assert evidence.min() == 10 and evidence.max() == 30
    outputs = one_hot_outputs(task, batch)
    assert task.score(outputs, batch)["accuracy/reverse"] == 1.0
    # each trial answered with another trial's choice
    choice = np.random.default_rng(1).permutation(batch.conditions["correct_action"])
    shuffled = np.broadcast_to(np.eye(3)[choice][:, None], outputs.shape)
    assert abs(task.score(shuffled, batch)["accuracy"] - 0.5) < 0.06


# -- SequentialDigits --------------------------------------------------------
def test_sequential_digits_shows_the_bundled_images_pixel_by_pixel():
    from sklearn.datasets import load_digits

    digits = load_digits()
    test_images = digits.data[::5] / 16.0
    task = get_task("SequentialDigits-v0", split="test")
    batch = task.batch(500, seed=7)
    index = batch.conditions["image_index"]
    assert np.allclose(batch.inputs.numpy()[..., 0], test_images[index])
    assert np.array_equal(batch.conditions["label"], digits.target[::5][index])
    assert (batch.targets.numpy() == batch.conditions["label"][:, None]).all()
    assert batch.n_steps == 64
    outputs = one_hot_outputs(task, batch)
    assert task.score(outputs, batch)["accuracy"] == 1.0
    shuffled = np.random.default_rng(0).permutation(outputs)
    assert task.score(shuffled, batch)["accuracy"] < 0.2


def test_sequential_digits_train_and_test_splits_are_disjoint_and_permutation_fixed():
    train = get_task("SequentialDigits-v0").images[0]
    test = get_task("SequentialDigits-v0", split="test").images[0]
    assert len(train) + len(test) == 1797
    assert not (train[:, None, :] == test[None, :, :]).all(-1).any()
    permuted = get_task("SequentialDigits-v0", permuted=True, permutation_seed=3)
    order = np.random.default_rng(3).permutation(64)  # one order for every batch
    for seed in (8, 9):
        batch = permuted.batch(50, seed=seed)
        expected = train[batch.conditions["image_index"]][:, order]
        assert np.array_equal(batch.inputs.numpy()[..., 0], expected)
    assert not np.array_equal(order, np.arange(64))


def write_idx(path, array: np.ndarray, compress: bool) -> None:
    type_code = {np.dtype(np.uint8): 0x08}[array.dtype]
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    data = header + array.tobytes()
    path.write_bytes(gzip.compress(data) if compress else data)


@pytest.fixture
def mnist_folder(tmp_path):
    rng = np.random.default_rng(0)
    for split, count, compress in (("train", 6, False), ("t10k", 4, True)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(tmp_path / f"{split}-images-idx3-ubyte{suffix}", images, compress)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte{suffix}", labels, compress)
    return tmp_path


@pytest.mark.parametrize(("split", "prefix"), [("train", "train"), ("test", "t10k")])
def test_sequential_mnist_reads_local_idx_files(mnist_folder, split, prefix):
    suffix = ".gz" if prefix == "t10k" else ""
    images = load_idx(mnist_folder / f"{prefix}-images-idx3-ubyte{suffix}")
    labels = load_idx(mnist_folder / f"{prefix}-labels-idx1-ubyte{suffix}")
    task = get_task("SequentialDigits-v0", mnist_path=str(mnist_folder), split=split)
    batch = task.batch(20, seed=0)
    assert batch.n_steps == 784 == task.max_steps
    index = batch.conditions["image_index"]
    expected = images.reshape(len(images), -1)[index] / 255.0
    assert np.allclose(batch.inputs.numpy()[..., 0], expected)
    assert np.array_equal(batch.conditions["label"], labels[index])


def test_sequential_mnist_errors_name_the_missing_or_bad_file(tmp_path, mnist_folder):
    with pytest.raises(TaskParameterError, match="existing folder"):
        get_task("SequentialDigits-v0", mnist_path=str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TaskParameterError, match="train-images-idx3-ubyte"):
        get_task("SequentialDigits-v0", mnist_path=str(empty))
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
        (bad / name).write_bytes(b"not an idx file")
    with pytest.raises(TaskParameterError, match="not an IDX file"):
        get_task("SequentialDigits-v0", mnist_path=str(bad))


# -- parameters ------------------------------------------------------------
@pytest.mark.parametrize(
    ("task_id", "params", "message"),
    [
        ("CopyMemory-v0", {"delay": (10, 5)}, "delay"),
        ("CopyMemory-v0", {"n_symbols": 12}, "at most 9"),
        ("CopyMemory-v0", {"length": 0}, "length"),
        ("Addition-v0", {"length": 7}, "even"),
        ("Addition-v0", {"tolerance": 0}, "tolerance"),
        ("ContextualIntegration-v0", {"drift": (0.5, 0.1)}, "drift"),
        ("ContextualIntegration-v0", {"sigma": 0.0}, "sigma"),
        ("ContextualIntegration-v0", {"reverse_probability": 2.0}, "reverse"),
        ("SequentialDigits-v0", {"split": "validation"}, "split"),
    ],
)
def test_bad_parameters_raise_one_line_errors(task_id, params, message):
    with pytest.raises(TaskParameterError, match=message) as error:
        get_task(task_id, **params)
    assert "\n" not in str(error.value)


@settings(max_examples=30, deadline=None)
@given(
    length=st.integers(1, 12),
    n_symbols=st.integers(1, 9),
    delay=st.tuples(st.integers(0, 30), st.integers(0, 30)).map(
        lambda d: (min(d), max(d))
    ),
    context_steps=st.integers(1, 10),
    evidence_steps=st.integers(1, 40),
    n_trials=st.integers(1, 30),
    seed=st.integers(0, 2**32),
)
def test_any_valid_parameters_give_consistent_batches(
    length, n_symbols, delay, context_steps, evidence_steps, n_trials, seed
):
    tasks = [
        get_task("CopyMemory-v0", length=length, n_symbols=n_symbols, delay=delay),
        get_task(
            "ContextualIntegration-v0",
            context_steps=context_steps,
            evidence_steps=evidence_steps,
        ),
    ]
    for task in tasks:
        batch = task.batch(n_trials, seed=seed)
        n, t = batch.n_trials, batch.n_steps
        assert batch.inputs.shape == (n, t, task.n_inputs)
        assert batch.targets.shape == batch.mask.shape == batch.period.shape == (n, t)
        padding = batch.period.numpy() < 0
        assert (batch.mask.numpy()[padding] == 0).all()
        assert (batch.inputs.numpy()[padding] == 0).all()
        assert (batch.lengths.numpy() <= task.max_steps).all()
        assert batch.inputs.abs().max() <= task.input_limit
        assert task.score(one_hot_outputs(task, batch), batch)["accuracy"] == 1.0
