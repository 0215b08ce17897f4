"""Saved runs: a measurement that a fast build reads from disk instead of making it again.

A few runs of the book cost more of a page's fast build than all else on it; most feed only claims registered as not
reproduced (a reproduced claim judged on one says why: ``saved_run_reason``). :func:`call` makes such a run as any
other, ``fn(*args, **kwargs)``, in full mode, under a base seed other than 0 (``DLTHEORY_SEED``: the seed record, a
reader's reseeding), at a matmul precision other than the book's, and with ``DLTHEORY_LIVE=1``. Otherwise it
reads ``dltheory/data/<name>``, when that file holds the result of the same function on the same arguments made by
today's code, and returns it with its provenance for :func:`dltheory.claims.check` (the verdict says so; a
registered "not reproduced" that passes on it stops the build). :func:`fast_call` does the same for an experiment
with only a fast configuration, whose claims are registered for fast mode, in a full build too.

"Today's code" is :func:`code_digest`: a hash of the syntax trees (docstrings left out) of the function's module and
of every ``dltheory`` module it imports, directly or not, except the book's machinery and display (``book``,
``claims``, ``registry``, ``plot``, ``widgets``). :func:`call` never reads a saved run whose digest is out of date
(it runs the function instead), and ``tests/test_saved.py`` fails on one, so that it is made again::

    DLTHEORY_SAVE_RUNS=1 python -m dltheory.book.notebooks run chapters/03-grokking/06-softmax-collapse.md

which runs the page in fast mode under base seed 0 and writes every saved run it reaches, with the commit, the
date, the device and the wall time.

A result is saved as a dict of arrays (what the function returns), or as an object with a ``to_arrays()`` method
whose class has a ``from_arrays`` class method (:class:`dltheory.grokking.results.GrokResult`).
"""

from __future__ import annotations

import datetime
import functools
import importlib
import json
import os
import subprocess
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dltheory import runtime, sweep
from dltheory.codedigest import _function, _lib, code_digest, code_files, imported_files, module_file, stripped

__all__ = ["SavedRunWarning", "live", "saving", "call", "fast_call", "code_digest", "code_files", "read", "saved_runs",
           "data_dir",
           "commit_id", "module_file", "imported_files", "stripped", "checking", "compare"]

_META = "saved:meta"
_TIMINGS = {"wall_time", "seconds"}  # what a run measures of the machine, not of the model: never compared
_VALUE = "value:"


class SavedRunWarning(UserWarning):
    """A fast build could not read the saved run a page asks for (missing, of another call, or of other code), so
    it ran the function instead: correct, but slower than the build's budget assumes."""


def _flag(variable: str) -> bool:
    return os.environ.get(variable, "0").strip().lower() in ("1", "true", "on", "yes")


def live(*, any_mode: bool = False) -> bool:
    """Whether :func:`call` (:func:`fast_call`: ``any_mode``) runs its function here: not as saved runs are made
    (:func:`_as_saved`), or with ``DLTHEORY_LIVE=1``, ``DLTHEORY_SAVE_RUNS=1`` or ``DLTHEORY_CHECK_SAVED=1``."""
    return (not _as_saved(any_mode=any_mode) or _flag("DLTHEORY_LIVE") or saving() or checking())


def _as_saved(*, any_mode: bool = False) -> bool:
    """Whether this process runs as a saved run was made: fast mode (or any), base seed 0, the book's precision."""
    return ((any_mode or runtime.mode() == "fast") and runtime.base_seed() == 0
            and runtime.matmul_precision() == "highest")


def saving() -> bool:
    """Whether :func:`call` writes what it runs (``DLTHEORY_SAVE_RUNS=1``)."""
    return _flag("DLTHEORY_SAVE_RUNS")


def data_dir() -> Path:
    """The folder of the library's saved runs, ``dltheory/data``."""
    return _lib() / "data"


def commit_id(short: int = 12, root: Path | None = None) -> str | None:
    """The git commit of the checkout at ``root`` (default: the library's), ``short`` hex digits, or
    ``DLTHEORY_COMMIT`` if set (a machine given the working tree without ``.git``); ``None`` outside a git
    checkout. A record of a run (a saved run, a seed record, a full-mode bundle) names its code so."""
    if os.environ.get("DLTHEORY_COMMIT"):
        return os.environ["DLTHEORY_COMMIT"][:short]
    try:
        out = subprocess.run(["git", "rev-parse", f"--short={short}", "HEAD"], capture_output=True, text=True,
                             cwd=_lib() if root is None else root, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


# ------------------------------------------------------------------------------------------------ code digest


def _rounded(value: Any) -> Any:
    """The arguments as canonical JSON data, floats to 12 significant digits (so that an argument computed by
    numpy on another machine, equal but for its last bits, still names the same call)."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def _call_key(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str:
    try:
        canonical = sweep._canonical({"args": list(args), "kwargs": dict(kwargs)})
    except ValueError as err:
        raise ValueError(f"a saved run's arguments must be plain data: {err}") from None
    return json.dumps({"fn": _function(fn), "call": _rounded(canonical)}, sort_keys=True)


def _encode(value: Any) -> tuple[str, dict[str, np.ndarray]]:
    if isinstance(value, Mapping):
        return "dict", {f"{_VALUE}{k}": np.asarray(v) for k, v in value.items()}
    if hasattr(value, "to_arrays") and hasattr(type(value), "from_arrays"):
        kind = f"{type(value).__module__}:{type(value).__qualname__}"
        return kind, {f"{_VALUE}{k}": np.asarray(v) for k, v in value.to_arrays().items()}
    raise ValueError(f"a saved run must return a dict of arrays or an object with to_arrays(), got "
                     f"{type(value).__name__}")


def _values(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The result's own arrays among a saved run's, under their names (the prefix of :func:`_encode` taken off)."""
    return {k.removeprefix(_VALUE): v for k, v in arrays.items() if k.startswith(_VALUE)}


def _resolve(qualified: str) -> Any:
    """The library object named ``"dltheory.module:Qual.name"`` (a saved run's function or result class)."""
    module, _, qualname = qualified.partition(":")
    if not module.startswith("dltheory."):
        raise ValueError(f"a saved run names {qualified!r}, not an object of the library")
    return functools.reduce(getattr, qualname.split("."), importlib.import_module(module))


def _same_call(meta: Mapping[str, Any], key: str) -> bool:
    """Whether the saved run of record ``meta`` is the call of ``key`` (:func:`_call_key`)."""
    return json.dumps({"fn": meta["fn"], "call": meta["call"]}, sort_keys=True) == key


def read(name: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The record of the saved run ``dltheory/data/<name>`` (function, call, code digest, provenance, kind) and its
    arrays. Raises ``ValueError`` on a file that is not a saved run (or is corrupt)."""
    path = _path(name)
    if not path.is_file():
        raise ValueError(f"no saved run {name} in {data_dir()}")
    try:
        with np.load(path, allow_pickle=False) as data:
            key = str(data["__key__"]) if "__key__" in data.files else ""
        arrays = sweep.load(path, key)  # checks the checksum
    except Exception as err:  # noqa: BLE001 - any failure to read means the file is not usable
        raise ValueError(f"{name} is not a readable saved run: {err}") from None
    if _META not in arrays:
        raise ValueError(f"{name} is not a saved run (no {_META})")
    meta = json.loads(str(arrays.pop(_META)))
    missing = {"fn", "call", "code", "kind", "provenance"} - set(meta)
    if missing:
        raise ValueError(f"{name}: its record lacks {sorted(missing)}")
    return meta, arrays


def _path(name: str) -> Path:
    if not isinstance(name, str) or "/" in name or not name.endswith(".npz"):
        raise ValueError(f"a saved run is named like '03-grokking-softmax-fixes.npz', got {name!r}")
    return data_dir() / name


def _changed_code() -> bool:
    """Whether the library's tracked code differs from its commit (saved runs and registries left out)."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)data",
                              ":(exclude)registry"], cwd=_lib(), capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.stdout.strip())


def _write(name: str, fn: Callable[..., Any], key: str, kind: str, arrays: Mapping[str, np.ndarray],
           seconds: float) -> None:
    commit = commit_id()
    if commit is not None and _changed_code():
        commit += "+changes"  # the library's code differs from that commit (the digest is what counts)
    meta = {
        "fn": _function(fn), "call": json.loads(key)["call"], "code": code_digest(fn), "kind": kind,
        "provenance": {
            "config": f"{fn.__module__.removeprefix('dltheory.')}.{fn.__qualname__}, the page's fast-mode call, "
                      f"base seed 0, commit {commit or 'unknown'}",
            "date": datetime.datetime.now(datetime.timezone.utc).date().isoformat(),
            "device": f"{runtime.device_summary()}, {seconds:.0f} s wall", "mode": "fast",
            "commit": commit or "unknown",
            "command": "DLTHEORY_SAVE_RUNS=1 python -m dltheory.book.notebooks run PAGE",
        },
    }
    sweep.save(_path(name), key, {**arrays, _META: np.array(json.dumps(meta, sort_keys=True))})
    _path(name).chmod(0o644)  # a file of the repository, not a private cache entry


def call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, dict[str, str] | None]:
    """``fn(*args, **kwargs)`` and ``None``, or, where a fast build may read it, the saved run ``dltheory/data/<name>``
    of that same call by today's code and its provenance (module docstring)."""
    return _call(name, fn, args, kwargs, any_mode=False)


def fast_call(name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, dict[str, Any] | None]:
    """:func:`call`, read in a full build under base seed 0 too: for an experiment with a fast configuration only,
    whose claims are registered for fast mode (the verdict says it is a fast-mode run). Where a full build trains
    it (another base seed, ``DLTHEORY_LIVE=1``), the provenance says so (``live``), and the judge holds the run
    against the fast-mode bar as a live fast-mode measurement, which it is."""
    value, provenance = _call(name, fn, args, kwargs, any_mode=True)
    if provenance is None and runtime.mode() == "full":
        provenance = {"config": f"{fn.__qualname__}, the experiment's one configuration",
                      "date": datetime.date.today().isoformat(), "device": runtime.device_summary(), "mode": "fast",
                      "live": True}
    return value, provenance


def _call(name: str, fn: Callable[..., Any], args: tuple, kwargs: Mapping, *, any_mode: bool) -> tuple[Any, Any]:
    key = _call_key(fn, args, kwargs)
    if saving() and not _as_saved():
        got = f"{runtime.mode()}, {runtime.base_seed()}, {runtime.matmul_precision()}"
        raise ValueError(f"DLTHEORY_SAVE_RUNS makes fast-mode runs at base seed 0 and precision 'highest', not {got}: "
                         "unset DLTHEORY_MODE, DLTHEORY_SEED and DLTHEORY_MATMUL_PRECISION")
    _path(name)
    if not live(any_mode=any_mode):
        try:
            meta, arrays = read(name)
        except ValueError as err:
            reason = str(err)
        else:
            if not _same_call(meta, key):
                reason = f"{name} is a run of another call (other arguments than these)"
            elif meta["code"] != code_digest(fn):
                reason = f"{name} was made by other code (commit {meta['provenance'].get('commit')})"
            else:
                values = _values(arrays)
                value = values if meta["kind"] == "dict" else _resolve(meta["kind"]).from_arrays(values)
                return value, {**meta["provenance"], "saved_run": name}
        # shown on the page (the book's build fails on it): a fast build should not train this
        warnings.warn(f"{reason}: running {fn.__qualname__} here instead. To remake it, run the page with "
                      "DLTHEORY_SAVE_RUNS=1 (see dltheory.saved)", SavedRunWarning, stacklevel=2)
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    if saving():
        kind, arrays = _encode(value)  # numpy arrays: the run has finished
        _write(name, fn, key, kind, arrays, time.perf_counter() - start)
    elif checking():
        compare(name, value, key=key)
    return value, None


def checking() -> bool:
    """Whether :func:`call` runs and compares with the saved run (``DLTHEORY_CHECK_SAVED=1``: ``make check-saved``)."""
    return _flag("DLTHEORY_CHECK_SAVED")


def compare(name: str, value: Any, *, key: str | None = None, rtol: float = 1e-5) -> dict[str, str]:
    """Compare a live result with the saved run ``name``, array by array: ``{array: "equal" | "close" | what
    differs}``; raises ``ValueError`` when any array differs beyond ``rtol`` (the saved run no longer says what
    the code does), the two hold other arrays, or (given the ``key`` of the live call) it was another call."""
    meta, arrays = read(name)
    if key is not None and not _same_call(meta, key):
        raise ValueError(f"{name} is a run of another call: check it in fast mode under base seed 0")
    saved_arrays, live_arrays = _values(arrays), _values(_encode(value)[1])
    if set(saved_arrays) != set(live_arrays):
        raise ValueError(f"{name}: the live run returns {sorted(live_arrays)}, the saved one {sorted(saved_arrays)}")
    report, bad = {key: "not compared (a timing)" for key in sorted(_TIMINGS & set(live_arrays))}, []
    for key in sorted(set(live_arrays) - _TIMINGS):
        a, b = np.asarray(live_arrays[key]), np.asarray(saved_arrays[key])
        if a.shape != b.shape or a.dtype.kind != b.dtype.kind:
            report[key] = f"shape/dtype {a.shape} {a.dtype} vs saved {b.shape} {b.dtype}"
        elif np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
            report[key] = "equal"
            continue
        elif a.dtype.kind in "fc" and np.allclose(a, b, rtol=rtol, atol=0.0, equal_nan=True):
            report[key] = "close"
            continue
        else:
            diff = np.abs(a.astype(float) - b.astype(float)) if a.dtype.kind in "biuf" else None
            report[key] = "differs" + (f" (max |live - saved| {np.nanmax(diff):.3g})" if diff is not None else "")
        bad.append(key)
    print(f"saved run {name} against a live run: " + ", ".join(f"{k} {v}" for k, v in report.items()))
    if bad:
        raise ValueError(f"{name}: the live run differs from the saved one in {bad}: remake it (DLTHEORY_SAVE_RUNS=1)")
    return report


def saved_runs() -> list[dict[str, Any]]:
    """Every saved run in ``dltheory/data``: ``name``, ``fn``, ``code`` (its digest then) and ``today`` (the digest
    of today's code), ``date`` and ``commit``."""
    out = []
    for path in sorted(data_dir().glob("*.npz")):
        try:
            meta, _ = read(path.name)
        except ValueError:
            continue  # another kind of file (a full-mode run, an explorer's table)
        today = code_digest(_resolve(meta["fn"]))
        out.append({"name": path.name, "fn": meta["fn"], "code": meta["code"], "today": today,
                    "date": meta["provenance"]["date"], "commit": meta["provenance"]["commit"]})
    return out
