"""Seeded random streams that make trial generation reproducible and consistent.

A batch of ``n`` trials draws each random variable (a period duration, a
stimulus identity, the input noise) from its own named stream, seeded by the
batch seed and the variable's name. Draws from one stream are sequential, so
the first ``k`` trials of ``batch(n, seed=s)`` are the same trials for every
``n >= k``. That is what lets the Gymnasium environment, which draws trials in
chunks, reproduce ``task.batch(seed=s)`` exactly, and lets adding a new random
variable to a task leave the others untouched.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["Streams", "child_seed", "fresh_seed"]

_MAX_SEED = 2**63 - 1


def fresh_seed() -> int:
    """Return a new seed from the operating system's entropy pool.

    Used when the caller passes ``seed=None``; the seed is then stored with the
    batch so that the batch can be regenerated.

    Returns
    -------
    int
        A non-negative integer below 2**63.
    """
    return int(np.random.SeedSequence().generate_state(1, dtype=np.uint64)[0] >> 1)


def child_seed(seed: int, index: int) -> int:
    """Return the seed of the ``index``-th child stream of ``seed``.

    Parameters
    ----------
    seed
        The parent seed.
    index
        Which child (0, 1, ...).

    Returns
    -------
    int
        A deterministic seed, different for each ``(seed, index)``.
    """
    state = np.random.SeedSequence([seed, index]).generate_state(1, dtype=np.uint64)
    return int(state[0] >> 1)


class Streams:
    """Named random streams derived from one seed.

    Parameters
    ----------
    seed
        Non-negative integer seed shared by every stream.

    Examples
    --------
    >>> streams = Streams(3)
    >>> a = streams("hold").random(5)
    >>> b = Streams(3)("hold").random(2)
    >>> bool((a[:2] == b).all())
    True
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def __call__(self, name: str) -> np.random.Generator:
        """Return a fresh generator for the stream called ``name``.

        Parameters
        ----------
        name
            Name of the random variable, e.g. ``"hold"`` or ``"noise"``.

        Returns
        -------
        numpy.random.Generator
            A generator at the start of the stream.
        """
        # Philox is counter-based: the (seed, name) key selects an independent
        # stream, and building it costs a few microseconds (a hashed PCG64
        # seed costs tens), which matters for small batches.
        return np.random.Generator(np.random.Philox(key=[self.seed, _name_key(name)]))


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode())
