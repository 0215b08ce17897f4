"""Saved runs (dltheory.saved): what a fast build reads instead of training, and that it is always of today's code."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import dltheory.warmup
from dltheory import saved
from dltheory.grokking import results, training

ROOT = Path(__file__).resolve().parents[1]
CALLS = {page: re.findall(r'saved\.call\(\s*"([^"]+)"', page.read_text(encoding="utf-8"))
         for page in sorted((ROOT / "chapters").glob("*/[0-9]*.md"))}
NAMED = sorted({(name, page) for page, names in CALLS.items() for name in names})


def _toy(n, scale=1.0):
    """A stand-in experiment: counts its runs."""
    _toy.runs += 1
    return {"x": np.arange(n) * scale, "y": np.ones((2, 2))}


_toy.runs = 0
_toy.__module__ = "dltheory.warmup"  # a saved run must be of a library function; its code is warmup.py's


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(saved, "data_dir", lambda: tmp_path)
    monkeypatch.setattr(dltheory.warmup, "_toy", _toy, raising=False)
    for var in ("DLTHEORY_LIVE", "DLTHEORY_SAVE_RUNS", "DLTHEORY_SEED"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    _toy.runs = 0
    return tmp_path


def test_a_saved_run_is_read_back_instead_of_run(store, monkeypatch):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    made, provenance = saved.call("toy.npz", _toy, 4, scale=2.0)
    assert provenance is None and _toy.runs == 1 and (store / "toy.npz").is_file()
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    read, provenance = saved.call("toy.npz", _toy, 4, scale=2.0)
    assert _toy.runs == 1, "the saved run was trained again"
    assert provenance["mode"] == "fast" and provenance["commit"] and "s wall" in provenance["device"]
    assert set(read) == {"x", "y"} and np.array_equal(read["x"], made["x"])
    listed = saved.saved_runs()
    assert [r["name"] for r in listed] == ["toy.npz"] and listed[0]["code"] == listed[0]["today"]


@pytest.mark.parametrize("env", [{"DLTHEORY_MODE": "full"}, {"DLTHEORY_SEED": "100"}, {"DLTHEORY_LIVE": "1"}])
def test_full_mode_another_base_seed_or_live_always_run(store, monkeypatch, env):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    saved.call("toy.npz", _toy, 3)
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, provenance = saved.call("toy.npz", _toy, 3)
    assert provenance is None and _toy.runs == 2


@pytest.mark.parametrize("change", ["arguments", "code", "missing"])
def test_a_saved_run_of_another_call_or_other_code_is_not_read(store, monkeypatch, change):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    saved.call("toy.npz", _toy, 3)
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    args, name = (3,), "toy.npz"
    if change == "arguments":
        args = (3.0 + 1e-6,)
    elif change == "code":
        monkeypatch.setattr(saved, "code_digest", lambda fn: "0" * 16)
    else:
        name = "other.npz"
    with pytest.warns(saved.SavedRunWarning, match="running _toy here instead"):
        _, provenance = saved.call(name, _toy, *args)
    assert provenance is None and _toy.runs == 2


def test_arguments_equal_but_for_the_last_bits_name_the_same_call(store, monkeypatch):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    saved.call("toy.npz", _toy, 3, scale=np.float64(0.1) * 3)
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    _, provenance = saved.call("toy.npz", _toy, 3, scale=0.3)
    assert provenance is not None and _toy.runs == 1


def test_bad_use_is_a_value_error(store, monkeypatch):
    with pytest.raises(ValueError, match="named like"):
        saved.call("toy.json", _toy, 3)
    with pytest.raises(ValueError, match="module-level dltheory function"):
        saved.call("toy.npz", lambda: {"x": 1})
    with pytest.raises(ValueError, match="plain data"):
        saved.call("toy.npz", _toy, object())
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    with pytest.raises(ValueError, match="base seed 0"):
        saved.call("toy.npz", _toy, 3)
    assert _toy.runs == 0
    (store / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable saved run"):
        saved.read("junk.npz")


def test_the_code_digest_follows_imports_and_leaves_out_the_machinery():
    files = {p.relative_to(saved.data_dir().parent).as_posix() for p in saved.code_files(training.run)}
    assert {"grokking/training.py", "grokking/models.py", "train.py", "runtime.py"} <= files
    assert not any(f.startswith(("book/", "claims/")) or f in ("plot.py", "widgets.py") for f in files)


def test_the_commit_is_named_by_the_environment_or_by_git(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTHEORY_COMMIT", raising=False)
    here = saved.commit_id(7)
    assert here is None or re.fullmatch(r"[0-9a-f]{7,}", here)  # None where the library is not a git checkout
    assert saved.commit_id(root=tmp_path) is None  # not a git checkout
    monkeypatch.setenv("DLTHEORY_COMMIT", "0123456789abcdef0123")
    assert saved.commit_id() == "0123456789ab" and saved.commit_id(40, tmp_path) == "0123456789abcdef0123"


def test_a_grok_result_survives_its_arrays():
    result, _ = results.load_result()
    back = results.GrokResult.from_arrays(result.to_arrays())
    assert back.config == result.config and back.seeds == result.seeds
    assert np.array_equal(back.test_acc, result.test_acc)
    assert np.array_equal(back.final(1, 0)["embed"], result.final(1, 0)["embed"])
    with pytest.raises(ValueError, match="not the arrays of a GrokResult"):
        results.GrokResult.from_arrays({"steps": result.steps})


def test_pages_name_saved_runs():
    assert len(NAMED) >= 2, "the pages' saved.call(...) were not found"


@pytest.mark.parametrize("name,page", NAMED, ids=[n for n, _ in NAMED])
def test_every_saved_run_a_page_reads_is_of_todays_code(name, page):
    meta, _ = saved.read(name)
    runs = {r["name"]: r for r in saved.saved_runs()}
    page = page.relative_to(ROOT)
    assert runs[name]["code"] == runs[name]["today"], (
        f"{name} (made at {meta['provenance']['commit']}) is not of today's code: remake it with "
        f"DLTHEORY_SAVE_RUNS=1 python -m dltheory.book.notebooks run {page}")
