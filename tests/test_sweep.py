"""Resumable sweeps: atomic cache writes, resumption after a kill, corrupt files recomputed."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from dltheory import sweep


@dataclasses.dataclass(frozen=True)
class Cfg:
    n: int
    scale: float = 1.0


def square(cfg):
    return {"x": np.arange(cfg.n) * cfg.scale, "total": np.array(cfg.n * cfg.scale)}


def test_results_are_cached_and_reused(tmp_path):
    calls = []

    def fn(cfg):
        calls.append(cfg)
        return square(cfg)

    configs = [Cfg(3), Cfg(4, 2.0)]
    first = sweep.run(fn, configs, directory=tmp_path, progress=False)
    second = sweep.run(fn, configs, directory=tmp_path, progress=False)
    assert len(calls) == 2
    for a, b in zip(first, second):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert np.array_equal(first[1]["x"], [0.0, 2.0, 4.0, 6.0])
    assert not list(tmp_path.glob(".partial-*"))


def test_key_depends_on_config_and_function():
    assert sweep.config_key(square, Cfg(3)) == sweep.config_key(square, Cfg(3))
    assert sweep.config_key(square, Cfg(3)) != sweep.config_key(square, Cfg(3, 2.0))
    assert sweep.config_key(square, {"n": 3}) != sweep.config_key(lambda c: c, {"n": 3})
    assert sweep.config_key(square, {"a": 1, "b": 2}) == sweep.config_key(square, {"b": 2, "a": 1})


@pytest.mark.parametrize("damage", ["truncate", "garbage", "swap"])
def test_corrupt_files_are_detected_and_recomputed(tmp_path, capsys, damage):
    calls = []

    def fn(cfg):
        calls.append(cfg)
        return square(cfg)

    expected = sweep.run(fn, [Cfg(5)], directory=tmp_path, progress=False)[0]
    (path,) = tmp_path.glob("*.npz")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"not a cache file")
    else:  # a valid file written for another configuration
        other = sweep.config_key(fn, Cfg(6))
        sweep.save(path, other, square(Cfg(6)))
    again = sweep.run(fn, [Cfg(5)], directory=tmp_path, progress=False)[0]
    assert len(calls) == 2, "a damaged file must be recomputed, not used"
    assert np.array_equal(again["x"], expected["x"])
    assert "recomputing" in capsys.readouterr().err


def test_tampered_values_fail_the_checksum(tmp_path):
    key = sweep.config_key(square, Cfg(2))
    path = tmp_path / "r.npz"
    sweep.save(path, key, square(Cfg(2)))
    with np.load(path) as data:
        arrays = dict(data)
    arrays["x"] = arrays["x"] + 1
    np.savez(path, **arrays)
    with pytest.raises(sweep.CorruptCacheError, match="checksum"):
        sweep.load(path, key)


SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    from dltheory import sweep

    log, kill_after = sys.argv[1], int(sys.argv[2])

    def work(cfg):
        with open(log, "a") as fh:
            fh.write(json.dumps(cfg) + "\\n")
        done = sum(1 for _ in open(log))
        if done == kill_after:
            os._exit(9)  # killed mid-sweep, after this run's work but before its result is written
        return {"y": np.full(3, cfg["i"] ** 2.0)}

    out = sweep.run(work, [{"i": i} for i in range(5)], progress=False)
    print(json.dumps([r["y"].tolist() for r in out]))
    """
)


def test_interrupted_sweep_resumes_without_recomputing(tmp_path):
    env = dict(os.environ, DLTHEORY_CACHE=str(tmp_path / "cache"))
    log = tmp_path / "calls.log"
    killed = subprocess.run([sys.executable, "-c", SCRIPT, str(log), "3"], env=env, capture_output=True, text=True)
    assert killed.returncode == 9
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 2  # runs 0 and 1 finished; run 2 died
    resumed = subprocess.run([sys.executable, "-c", SCRIPT, str(log), "0"], env=env, capture_output=True, text=True, check=True)
    calls = [json.loads(x)["i"] for x in log.read_text().splitlines()]
    assert calls == [0, 1, 2, 2, 3, 4], "finished runs must not be recomputed"
    assert json.loads(resumed.stdout.strip().splitlines()[-1]) == [[float(i * i)] * 3 for i in range(5)]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda d: sweep.run(3, [Cfg(1)], directory=d), "fn must be a function"),
        (lambda d: sweep.run(square, [], directory=d), "at least one"),
        (lambda d: sweep.run(lambda c: {}, [Cfg(1)], directory=d), "non-empty dict"),
        (lambda d: sweep.run(lambda c: [1], [Cfg(1)], directory=d), "non-empty dict"),
        (lambda d: sweep.run(lambda c: {"__x": 1}, [Cfg(1)], directory=d), "must not start"),
        (lambda d: sweep.run(square, [object()], directory=d), "config must be built"),
    ],
)
def test_bad_arguments(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path)
