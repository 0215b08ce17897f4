"""dltheory: the shared library of *Five Puzzles of Deep Learning, from Theory to Code*.

A map of the book. The core, small and flat, that every page uses:

``runtime``    mode (fast/full), seeds, environment banner, timing, the base class of configs
``claims``     the registry of the book's claims and ``check``
``train``      the one training loop (jit + scan over steps, vmap over seeds and hyper-parameters)
``nets``       MLPs, random features and a one-layer transformer as pure functions over parameter pytrees
``plot``       the book's figure style
``widgets``    interactive explorers with static fallbacks
``selfcheck``  checks that tell a student whether an exercise answer is right, and why not
``validate``   argument checks (bad input raises ``ValueError``) and the declared ranges of config fields
``sweep``      resumable sweeps: each run cached on disk, keyed by its configuration
``saved``      saved runs that a fast build reads instead of training, always of today's code

One package per chapter, one module per section page (``chapters/03-grokking/02-fourier-circuit.md``
imports ``dltheory.grokking.fourier_circuit``): ``scaling``, ``overfitting``, ``grokking``, ``embeddings``,
``information``; ``warmup`` is the module of *How to read this book* and the warm-up exercises.
``book`` holds what only builds, tests and packages the book (notebook pairing, the ledger's Sphinx
extension, course packs); no page imports it.

Submodules are imported on first use, so ``import dltheory`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_SUBMODULES = ("runtime", "claims", "train", "nets", "plot", "widgets", "selfcheck", "validate", "warmup", "sweep", "saved",
               "scaling", "overfitting", "grokking", "embeddings", "information", "book")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"dltheory.{name}")
    raise AttributeError(f"module 'dltheory' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
