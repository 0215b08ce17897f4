"""dltheory: the shared library of *Five Puzzles of Deep Learning, from Theory to Code*.

Small and flat, one module per concern, each readable top to bottom:

``runtime``    mode (fast/full), seeds, environment banner, timing
``claims``     the registry of the book's claims and ``check``
``train``      the one training loop (jit + scan over steps, vmap over seeds and hyper-parameters)
``nets``       MLPs and random features as pure functions over parameter pytrees
``plot``       the book's figure style
``widgets``    interactive explorers with static fallbacks
``selfcheck``  checks that tell a student whether an exercise answer is right, and why not
``validate``   argument checks (bad input raises ``ValueError``)
``sweep``      resumable sweeps: each run cached on disk, keyed by its configuration

Submodules are imported on first use, so ``import dltheory`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = ("runtime", "claims", "train", "nets", "plot", "widgets", "selfcheck", "validate", "notebooks", "sphinxext", "warmup", "sweep",
               "scaling", "overfitting", "grokking", "embeddings", "information")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"dltheory.{name}")
    raise AttributeError(f"module 'dltheory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
