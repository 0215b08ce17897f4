"""Resumable sweeps: each run's result is cached on disk, keyed by its configuration.

Introduced in *How to use this book* (``book/how-to-use``). A sweep over configurations (model
sizes, data sizes, ...) can take long in full mode, and a Colab runtime can disconnect. ``run``
computes each configuration once and writes its result atomically to a cache file, so an
interrupted sweep resumes where it stopped and gives the same final result.

* The key of a run hashes the function's qualified name, its configuration and the source code of
  the whole ``dltheory`` package: any change to the library invalidates old results.
* A file is written to a temporary name and renamed into place (atomic on POSIX), and it stores a
  SHA-256 checksum of its arrays. A corrupt, partial or foreign file is detected, reported and
  recomputed, never silently used.
* The cache lives in ``$DLTHEORY_CACHE`` if set, else ``~/.cache/dltheory``; ``cache=False``
  turns it off.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dltheory import runtime

__all__ = ["run", "config_key", "cache_dir", "load", "save", "checksum", "CorruptCacheError"]

_CHECKSUM = "__checksum__"
_KEY = "__key__"


class CorruptCacheError(ValueError):
    """A cache file that cannot be trusted (unreadable, truncated, wrong checksum or key)."""


def cache_dir() -> Path:
    """The folder of cached sweep results: ``$DLTHEORY_CACHE`` or ``~/.cache/dltheory``."""
    return Path(os.environ.get("DLTHEORY_CACHE") or Path.home() / ".cache" / "dltheory")


@functools.cache
def _library_hash() -> str:
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _canonical(config: Any) -> Any:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {"__class__": type(config).__qualname__, **{f.name: _canonical(getattr(config, f.name)) for f in dataclasses.fields(config)}}
    if isinstance(config, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(config.items(), key=lambda kv: str(kv[0]))}
    if isinstance(config, (list, tuple)):
        return [_canonical(v) for v in config]
    if isinstance(config, np.ndarray):
        return {"__array__": config.tolist(), "dtype": str(config.dtype)}
    if isinstance(config, (np.integer, np.floating, np.bool_)):
        return config.item()
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    raise ValueError(f"config must be built from dataclasses, dicts, lists, numbers and strings; got {type(config).__name__}")


def config_key(fn: Callable[..., Any], config: Any) -> str:
    """The cache key of ``fn(config)``: a hash of its name, its configuration and the library's code."""
    if not callable(fn):
        raise ValueError(f"fn must be a function, got {type(fn).__name__}")
    payload = json.dumps(
        {"fn": f"{fn.__module__}.{fn.__qualname__}", "config": _canonical(config), "library": _library_hash()},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of named arrays (names, dtypes, shapes and bytes, in name order): the seal of a cache file."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(name.encode())
        digest.update(str(a.dtype).encode())
        digest.update(str(a.shape).encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def save(path: Path, key: str, result: Mapping[str, Any]) -> None:
    """Write ``result`` (a dict of arrays) to ``path`` atomically, with its key and checksum."""
    if not isinstance(result, Mapping) or not result:
        raise ValueError("a sweep function must return a non-empty dict of arrays")
    arrays = {}
    for name, value in result.items():
        if name.startswith("__"):
            raise ValueError(f"result names must not start with '__', got {name!r}")
        arr = np.asarray(value)
        if arr.dtype == object:
            raise ValueError(f"result[{name!r}] is not an array of numbers (dtype object)")
        arrays[name] = arr
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{_KEY: np.array(key), _CHECKSUM: np.array(checksum(arrays))})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".partial-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: Path, key: str) -> dict[str, np.ndarray]:
    """Read a cached result, or raise :class:`CorruptCacheError` if it cannot be trusted."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as err:  # noqa: BLE001 - any failure to read means the file is not usable
        raise CorruptCacheError(f"{path.name}: unreadable ({type(err).__name__}: {err})") from None
    stored_key = arrays.pop(_KEY, None)
    stored_sum = arrays.pop(_CHECKSUM, None)
    if stored_key is None or stored_sum is None:
        raise CorruptCacheError(f"{path.name}: no key or checksum (not written by dltheory.sweep)")
    if str(stored_key) != key:
        raise CorruptCacheError(f"{path.name}: written for another configuration")
    if str(stored_sum) != checksum(arrays):
        raise CorruptCacheError(f"{path.name}: checksum mismatch (partial or corrupted file)")
    return arrays


def run(
    fn: Callable[[Any], Mapping[str, Any]],
    configs: Iterable[Any],
    *,
    cache: bool = True,
    directory: Path | str | None = None,
    progress: bool | None = None,
    desc: str = "sweep",
) -> list[dict[str, np.ndarray]]:
    """``[fn(c) for c in configs]``, each result cached on disk so that an interrupted sweep resumes.

    ``fn`` takes one configuration (a frozen dataclass, or a dict of numbers and strings) and returns
    a dict of arrays. Results come back as dicts of numpy arrays, in the order of ``configs``, the
    same whether they were computed now or read from the cache.
    """
    if not callable(fn):
        raise ValueError(f"fn must be a function, got {type(fn).__name__}")
    configs = list(configs)
    if not configs:
        raise ValueError("configs must hold at least one configuration")
    folder = Path(directory) if directory is not None else cache_dir()
    results = []
    bar = None
    if runtime.progress_enabled(progress):
        from tqdm import tqdm

        bar = tqdm(total=len(configs), desc=desc, unit="run", file=sys.stderr, leave=False)
    try:
        for config in configs:
            key = config_key(fn, config)
            path = folder / f"{key}.npz"
            result = None
            if cache and path.exists():
                try:
                    result = load(path, key)
                except CorruptCacheError as err:
                    print(f"sweep: recomputing, cached result rejected: {err}", file=sys.stderr)
                    path.unlink(missing_ok=True)
            if result is None:
                raw = fn(config)
                if cache:
                    save(path, key, raw)
                    result = load(path, key)
                else:
                    if not isinstance(raw, Mapping) or not raw:
                        raise ValueError("a sweep function must return a non-empty dict of arrays")
                    result = {k: np.asarray(v) for k, v in raw.items()}
            results.append(result)
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return results
