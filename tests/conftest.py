"""Shared test settings: CPU, no progress bars, fast mode, the default seed unless a test sets one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ["DLTHEORY_PROGRESS"] = "0"
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def fast_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    monkeypatch.delenv("DLTHEORY_SEED", raising=False)
