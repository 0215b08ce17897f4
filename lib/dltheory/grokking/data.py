"""Chapter 3, shared: the task, the whole table of ``a + b mod p``, and its split into training and test pairs.

Everything in Sections 3.1–3.4 runs on this task (Power et al. 2022): the table of all ``p²`` pairs
``(a, b) -> (a + b) mod p`` is fixed, and a random fraction of it is the training set, the rest the test
set. The training fraction is a *mask* over the fixed pair list (:func:`split_rank`, :func:`train_mask`),
so a grid of training fractions is one vmapped program (:func:`dltheory.grokking.training.run`).
"""

from __future__ import annotations

import numpy as np

from dltheory import runtime, validate
from dltheory.grokking.models import GrokConfig

__all__ = ["modular_addition", "split_rank", "train_mask"]


def modular_addition(p: int) -> dict[str, np.ndarray]:
    """The whole table of ``a + b mod p``: integer arrays ``a``, ``b``, ``c`` of length ``p²``.

    Section 3.1, the task of Power et al. (2022) and Nanda et al. (2023). Pair ``i`` is
    ``(a, b) = (i // p, i % p)``.
    """
    p = validate.prime("p", p, low=3, high=1009)
    a, b = np.divmod(np.arange(p * p), p)
    return {"a": a.astype(np.int32), "b": b.astype(np.int32), "c": ((a + b) % p).astype(np.int32)}


def split_rank(cfg: GrokConfig) -> np.ndarray:
    """A random rank for each pair; pair ``i`` is in the training set when ``rank[i] < frac · p²`` (Section 3.1).

    The ranks come from ``cfg.split_seed + DLTHEORY_SEED``: the split is fixed within a page (every
    seed and setting of a run sees the same table) and moves with the book's base seed.
    """
    rng = np.random.default_rng(runtime.base_seed() + cfg.split_seed + 10_000)
    return rng.permutation(cfg.n_pairs).astype(np.int32)


def train_mask(cfg: GrokConfig, train_frac: float | None = None) -> np.ndarray:
    """Which of the ``p²`` pairs (in :func:`modular_addition` order) :func:`dltheory.grokking.training.run`
    trains on (Section 3.1)."""
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    frac = cfg.train_frac if train_frac is None else validate.real("train_frac", train_frac, low=0, high=1,
                                                                    low_open=True, high_open=True)
    return split_rank(cfg) < np.round(np.float32(frac) * cfg.n_pairs)
