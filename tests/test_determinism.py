"""Same seed, same bits: every experiment function of the chapters, run in two fresh processes.

The probes live in tests/determinism_probe.py (one tiny configuration per experiment function). The two
processes get different ``PYTHONHASHSEED`` values, so a result that depends on the iteration order of a set
of strings or on ``hash()`` of a string is caught too.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import determinism_probe as probe  # noqa: E402

# The science: the warm-up module and every module of the chapter packages (found by walking them).
CHAPTER_PACKAGES = ["warmup", "scaling", "overfitting", "grokking", "embeddings", "information", "compression"]


def chapter_modules() -> list[str]:
    """``warmup``, and every module of the chapter packages as a path below ``dltheory`` (``grokking.fourier_circuit``)."""
    names = []
    for name in CHAPTER_PACKAGES:
        module = importlib.import_module(f"dltheory.{name}")
        names.append(name)
        if hasattr(module, "__path__"):
            names += [info.name.removeprefix("dltheory.")
                      for info in pkgutil.walk_packages(module.__path__, f"dltheory.{name}.")]
    return names


def _seeded(parameter: str) -> bool:
    return parameter in ("seed", "seeds", "key") or parameter.endswith(("_seed", "_seeds"))


def experiment_functions() -> set[str]:
    """Public functions of the chapter modules that take a ``seed``, ``seeds`` or ``key`` argument (or ``*_seeds``)."""
    found = set()
    for name in chapter_modules():
        module = importlib.import_module(f"dltheory.{name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not fname.startswith("_"):
                if any(_seeded(p) for p in inspect.signature(fn).parameters):
                    found.add(f"{name}.{fname}")
    return found


def test_every_experiment_function_is_probed_or_exempt_with_a_reason():
    functions = experiment_functions()
    missing = functions - set(probe.PROBES) - set(probe.EXEMPT)
    assert not missing, f"add a probe to tests/determinism_probe.py for: {sorted(missing)}"
    stale = (set(probe.PROBES) | set(probe.EXEMPT)) - functions
    assert not stale, f"probes for functions that no longer exist or take no seed: {sorted(stale)}"
    assert all(reason.strip() for reason in probe.EXEMPT.values())


def test_digest_sees_every_bit_and_ignores_wall_time():
    import numpy as np

    a = {"x": np.arange(4.0), "wall_time": 1.0}
    assert probe.digest(a) == probe.digest({"x": np.arange(4.0), "wall_time": 2.0})
    b = np.arange(4.0)
    b[3] = np.nextafter(b[3], 4.0)  # one ulp
    assert probe.digest(a) != probe.digest({"x": b, "wall_time": 1.0})
    assert probe.digest(np.zeros(2, np.float32)) != probe.digest(np.zeros(2, np.float64))
    with pytest.raises(TypeError, match="cannot digest"):
        probe.digest(object())


def _start(hashseed: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "JAX_PLATFORMS": "cpu", "TQDM_DISABLE": "1"}
    return subprocess.Popen([sys.executable, str(HERE / "determinism_probe.py")], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _result(proc: subprocess.Popen) -> dict[str, str]:
    out, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err[-4000:]
    return json.loads(out)


def test_two_processes_give_bit_identical_results():
    procs = [_start("1"), _start("2")]  # side by side: each is mostly one busy core (compilation)
    first, second = (_result(p) for p in procs)
    assert set(first) == set(probe.PROBES)
    differ = sorted(name for name in first if first[name] != second[name])
    assert not differ, f"not bit-identical across two runs with the same seed: {differ}"
