"""SequentialDigits-v0: classify an image of a digit read one pixel per step.

By default the images are scikit-learn's bundled 8×8 digits (1797 images, no
download); ``mnist_path`` points to local MNIST IDX files for the 784-step
sequential MNIST benchmark. Nothing is ever downloaded.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from alrnn_tasks.batch import TrialBatch
from alrnn_tasks.errors import TaskParameterError
from alrnn_tasks.random import Streams
from alrnn_tasks.sequence import final_outputs
from alrnn_tasks.task import Task, TaskParams

__all__ = ["SequentialDigits", "load_idx"]

SPLITS = ("train", "test")
# MNIST file names per split; each may also be gzipped (".gz").
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4"}
# Every fifth bundled digit (index % 5 == 0) is in the test split.
DIGITS_TEST_EVERY = 5


@dataclasses.dataclass(frozen=True)
class SequentialDigitsParams(TaskParams):
    """Parameters of :class:`SequentialDigits`; see its docstring."""

    split: str = "train"  # "train" or "test" images
    permuted: bool = False  # read the pixels in a fixed random order
    permutation_seed: int = 0  # seed of that order (the same for every batch)
    mnist_path: str | None = None  # folder with MNIST IDX files; None: 8x8 digits


def load_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not.

    Parameters
    ----------
    path
        File path.

    Returns
    -------
    numpy.ndarray
        The array, with the file's shape and element type.

    Raises
    ------
    TaskParameterError
        If the file is not a valid IDX file.
    """
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_TYPES:
        raise TaskParameterError(
            f"{path} is not an IDX file (expected the magic bytes 00 00 <type> <ndim>); "
            "pass the folder of the original MNIST files"
        )
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    ndim = raw[3]
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, offset=4))
    data = np.frombuffer(raw, dtype, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise TaskParameterError(
            f"{path}: IDX header says shape {shape} but the file holds {data.size} "
            "values; the file is truncated or damaged"
        )
    return data.reshape(shape)


@functools.lru_cache(maxsize=4)
def _mnist(folder: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    images_name, labels_name = MNIST_FILES[split]
    images = load_idx(_find(Path(folder), images_name))
    labels = load_idx(_find(Path(folder), labels_name))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise TaskParameterError(
            f"MNIST {split} files in {folder} must hold (image, row, column) images "
            f"and one label per image, got {images.shape} and {labels.shape}"
        )
    pixels = images.reshape(len(images), -1).astype(np.float32) / 255.0
    pixels.setflags(write=False)
    return pixels, labels.astype(np.int64)


@functools.lru_cache(maxsize=2)
def _digits(split: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    test = np.arange(len(digits.target)) % DIGITS_TEST_EVERY == 0
    keep = test if split == "test" else ~test
    pixels = (digits.data[keep] / 16.0).astype(np.float32)  # 0-16 grey levels
    pixels.setflags(write=False)
    return pixels, digits.target[keep].astype(np.int64)


def _find(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    raise TaskParameterError(
        f"no MNIST file {name} (or {name}.gz) in {folder}; mnist_path must be a "
        "folder holding the four original MNIST IDX files"
    )


class SequentialDigits(Task):
    """SequentialDigits: classify a digit image shown one pixel per step.

    **Description.** An image of a handwritten digit is read pixel by pixel
    in row-major order (or in a fixed random order with ``permuted=True``),
    one grey value per step; at the last step the network names the digit.
    By default the images are scikit-learn's bundled 8×8 digits (64 steps;
    1797 images, every fifth in the test split). With ``mnist_path`` set to
    a local folder of the MNIST IDX files the task is sequential MNIST (784
    steps; the files' own train/test split). Each trial shows an image drawn
    uniformly with replacement from the split.

    **Periods** (steps): ``sequence`` (all pixels but the last) and
    ``response`` (the last pixel, when the answer is read).

    **Observations** (``Box(1,)``, float32, no noise):

    =====  ======  ==============================
    index  name    meaning
    =====  ======  ==============================
    0      pixel   grey value of the pixel, 0-1
    =====  ======  ==============================

    **Actions** ``Discrete(10)``: the digit.

    **Targets and reward.** Class target: the digit at every step; mask 1 at
    the last step only. Environment reward: 1 when the action at the last
    step is the digit.

    **Episode end.** Never.

    **Score.** ``accuracy`` of the class at the last step.

    **Conditions.** ``label``, ``image_index`` (index within the split).

    Parameters
    ----------
    split : {"train", "test"}
        Which images.
    permuted : bool
        Read the pixels in a fixed random order (permuted sequential MNIST).
    permutation_seed : int
        Seed of that order.
    mnist_path : str or None
        Folder with ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each may be
        ``.gz``); ``None`` for the bundled 8×8 digits.
    dt : float
        ms per step; only labels the time axis.

    References
    ----------
    Le, Q. V., Jaitly, N. & Hinton, G. E. (2015). A simple way to initialize
    recurrent networks of rectified linear units. arXiv:1504.00941.

    Notes
    -----
    Version history: v0, first release.
    """

    task_id: ClassVar[str] = "SequentialDigits-v0"
    Params: ClassVar[type[TaskParams]] = SequentialDigitsParams
    target_kind: ClassVar[str] = "class"
    params: SequentialDigitsParams

    @property
    def input_names(self) -> tuple[str, ...]:
        """One grey value per step."""
        return ("pixel",)

    @property
    def output_names(self) -> tuple[str, ...]:
        """Digits 0-9."""
        return tuple(f"digit_{k}" for k in range(10))

    @property
    def period_names(self) -> tuple[str, ...]:
        """Sequence, response (the last pixel)."""
        return ("sequence", "response")

    @property
    def max_steps(self) -> int:
        """Pixels per image: 64 or 784."""
        return int(self.images[0].shape[1])

    @property
    def input_limit(self) -> float:
        """Grey values lie in [0, 1]."""
        return 1.0

    @property
    def images(self) -> tuple[np.ndarray, np.ndarray]:
        """``(image, pixel)`` grey values and ``(image,)`` labels of the split."""
        if self.params.mnist_path is None:
            return _digits(self.params.split)
        return _mnist(str(self.params.mnist_path), self.params.split)

    def _validate(self) -> None:
        p = self.params
        if p.split not in SPLITS:
            raise TaskParameterError(
                f"{self.task_id}: split must be 'train' or 'test', got {p.split!r}"
            )
        if not isinstance(p.permuted, bool):
            raise TaskParameterError(
                f"{self.task_id}: permuted must be True or False, got {p.permuted!r}"
            )
        if isinstance(p.permutation_seed, bool) or not isinstance(
            p.permutation_seed, int
        ):
            raise TaskParameterError(
                f"{self.task_id}: permutation_seed must be an integer, "
                f"got {p.permutation_seed!r}"
            )
        if p.mnist_path is not None and not Path(p.mnist_path).is_dir():
            raise TaskParameterError(
                f"{self.task_id}: mnist_path must be an existing folder with the MNIST "
                f"IDX files, got {p.mnist_path!r}"
            )
        self.images  # noqa: B018 - loads (and checks) the images once, here

    def _generate(
        self, n_trials: int, streams: Streams, **options: Any
    ) -> dict[str, Any]:
        pixels, labels = self.images
        index = streams("image").integers(0, len(labels), n_trials)
        sequence = pixels[index]  # (trial, pixel)
        if self.params.permuted:
            order = np.random.default_rng(self.params.permutation_seed).permutation(
                sequence.shape[1]
            )
            sequence = sequence[:, order]
        n_steps = sequence.shape[1]
        period = np.zeros((n_trials, n_steps), dtype=np.int64)
        period[:, -1] = 1
        label = labels[index]
        return {
            "inputs": sequence[..., None].astype(np.float32),
            "targets": np.repeat(label[:, None], n_steps, axis=1),
            "mask": (period == 1).astype(np.float32),
            "period": period,
            "conditions": {"label": label, "image_index": index},
        }

    def score(
        self, outputs: torch.Tensor | np.ndarray, batch: TrialBatch
    ) -> dict[str, float]:
        """Accuracy of the class at the last step.

        Parameters
        ----------
        outputs
            ``(trial, time, 10)`` class scores (logits).
        batch
            The batch the outputs were computed on.

        Returns
        -------
        dict of str to float
            ``accuracy``.
        """
        _, final = final_outputs(outputs, batch, 10, self.task_id)
        correct = final.argmax(-1) == batch.conditions["label"]
        return {"accuracy": float(correct.mean())}
