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
CALLS = {page: re.findall(r'saved\.(?:fast_)?call\(\s*"([^"]+)"', page.read_text(encoding="utf-8"))
         for page in sorted((ROOT / "chapters").glob("*/[0-9]*.md"))}
NAMED = sorted({(name, page) for page, names in CALLS.items() for name in names})


def _toy(n, scale=1.0):
    """A stand-in experiment: counts its runs."""
    _toy.runs += 1
    return {"x": np.arange(n) * scale, "y": np.ones((2, 2)), "seconds": np.array(float(_toy.runs))}


_toy.runs = 0
_toy.__module__ = "dltheory.warmup"  # a saved run must be of a library function; its code is warmup.py's


@pytest.fixture()
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(saved, "data_dir", lambda: tmp_path)
    monkeypatch.setattr(dltheory.warmup, "_toy", _toy, raising=False)
    for var in ("DLTHEORY_LIVE", "DLTHEORY_SAVE_RUNS", "DLTHEORY_SEED", "DLTHEORY_MATMUL_PRECISION"):
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
    assert set(read) == {"x", "y", "seconds"} and np.array_equal(read["x"], made["x"])
    listed = saved.saved_runs()
    assert [r["name"] for r in listed] == ["toy.npz"] and listed[0]["code"] == listed[0]["today"]


@pytest.mark.parametrize("env", [{"DLTHEORY_MODE": "full"}, {"DLTHEORY_SEED": "100"}, {"DLTHEORY_LIVE": "1"},
                                 {"DLTHEORY_MATMUL_PRECISION": "default"}])
def test_full_mode_another_base_seed_or_precision_or_live_always_run(store, monkeypatch, env):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    saved.call("toy.npz", _toy, 3)
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, provenance = saved.call("toy.npz", _toy, 3)
    assert provenance is None and _toy.runs == 2


def test_fast_call_reads_the_fast_run_in_a_full_build_too_and_nothing_else_changes(store, monkeypatch):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    saved.fast_call("toy.npz", _toy, 3)                       # made as any saved run: fast mode, base seed 0
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    _, provenance = saved.fast_call("toy.npz", _toy, 3)
    assert _toy.runs == 1 and provenance["mode"] == "fast"    # read: the verdict says it is a fast-mode run
    _, provenance = saved.call("toy.npz", _toy, 3)            # call keeps training in full mode
    assert provenance is None and _toy.runs == 2
    assert not saved.live(any_mode=True) and saved.live()
    for var, value in {"DLTHEORY_SEED": "100", "DLTHEORY_LIVE": "1"}.items():
        monkeypatch.setenv(var, value)
        _, provenance = saved.fast_call("toy.npz", _toy, 3)   # another base seed, or live: trained here, and
        assert provenance["live"] and provenance["mode"] == "fast"  # said to be a fast-configuration run
        monkeypatch.delenv(var)
    assert _toy.runs == 4
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    monkeypatch.setenv("DLTHEORY_SEED", "100")
    _, provenance = saved.fast_call("toy.npz", _toy, 3)       # a fast build training it: a plain live run
    assert provenance is None and _toy.runs == 5
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    monkeypatch.delenv("DLTHEORY_SEED")
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    with pytest.raises(ValueError, match="fast-mode runs"):   # never made in full mode
        saved.fast_call("toy.npz", _toy, 3)


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
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    monkeypatch.setenv("DLTHEORY_MATMUL_PRECISION", "high")    # a saved run is made at the book's precision only
    with pytest.raises(ValueError, match="precision 'highest'"):
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


def test_pages_files_and_registry_name_the_same_saved_runs():
    from dltheory import claims

    on_pages = {name for name, _ in NAMED}
    files = {r["name"] for r in saved.saved_runs()}
    registered = {c.saved_run for c in claims.registry().values() if c.saved_run}
    assert on_pages == files == registered


def test_only_a_claim_registered_on_a_saved_run_is_judged_on_one(monkeypatch):
    from dltheory import claims
    from dltheory.claims import judge

    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    provenance = {"config": "c", "date": "2026-12-06", "device": "cpu x1", "mode": "fast",
                  "saved_run": "03-grokking-softmax-fixes.npz"}
    verdict = judge.judge(claims.get("03-grokking/orthograd-generalises"), [0.1, 0.2, 0.15], seeds=[0, 1, 2],
                                null=[0.0, 0.0, 0.0], provenance=provenance)
    assert verdict.status == "not reproduced"
    with pytest.raises(ValueError, match="saved_run"):   # a reproduced claim, no saved_run in the registry
        judge.judge(claims.get("03-grokking/generalises-most-seeds"), [1.0, 1.0, 1.0], seeds=[0, 1, 2],
                     null=[0.0, 0.0, 0.0], provenance=provenance)
    with pytest.raises(ValueError, match="saved_run"):   # registered on a saved run, given another
        judge.judge(claims.get("03-grokking/orthograd-generalises"), [0.1, 0.2, 0.15], seeds=[0, 1, 2], null=[0.0] * 3,
                     provenance={**provenance, "saved_run": "03-grokking-grokfast-paper.npz"})


def test_a_reproduced_claim_on_a_saved_run_must_not_be_marginal(monkeypatch):
    from dltheory import claims
    from dltheory.claims import judge

    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    claim = claims.get("04-embedding-geometry/wiki-sgns-shift-k")                  # reproduces; bar ≤ 0.2, every seed
    provenance = {"config": "c", "date": "2026-12-06", "device": "cpu x1", "mode": "fast",
                  "saved_run": claim.saved_run}
    far = judge.judge(claim, [0.03, 0.03, 0.034], seeds=[0, 1, 2], null=[1.6] * 3, provenance=provenance)
    assert far.status == "reproduced" and not far.marginal_sides
    near = [0.03, 0.03, 0.199]                                                    # one seed at the bar's edge
    assert judge.judge(claim, near, seeds=[0, 1, 2], null=[1.6] * 3).marginal_sides   # live: allowed, marked
    with pytest.raises(ValueError, match="marginal"):
        judge.judge(claim, near, seeds=[0, 1, 2], null=[1.6] * 3, provenance=provenance)
    # a claim registered as not a test is never counted as reproduced, so a marginal verdict on its saved run is
    # allowed (and still marked)
    not_a_test = claims.get("03-grokking/lazy-rich-onset-modular")
    assert not_a_test.not_a_test and not_a_test.saved_run
    edge = judge.judge(not_a_test, [1.0, 1.2, 1.3, 1.25, 0.9, 1.1], seeds=list(range(6)), null=[0.81] * 6,
                       provenance={**provenance, "saved_run": not_a_test.saved_run})
    assert edge.status.startswith("not a test") and edge.marginal_sides
    # the ledger's row of such a claim gives the reason; a claim live in every build has no such words
    from dltheory.book.sphinxext import LedgerDirective
    assert claim.saved_run_reason[:40] in LedgerDirective._row(claim, ("ours",))
    assert "saved run" not in LedgerDirective._row(claims.get("04-embedding-geometry/wiki-sgns-pmi-corr"), ("ours",))


def test_the_registry_refuses_a_reproduced_claim_on_a_saved_run_without_a_reason():
    from dltheory.claims import schema

    raw = {"id": "x/y", "statement": "s", "source": ["k"], "paper": "p", "lower": 0.5, "kind": "reproduction",
           "null": "n", "bar_fixed": "before", "saved_run": "x.npz"}
    with pytest.raises(ValueError, match="saved_run_reason"):
        schema.parse_claim(raw, "x", "test")
    assert schema.parse_claim({**raw, "reproduces": False}, "x", "test").saved_run == "x.npz"


def test_a_real_edit_changes_the_digest_and_a_comment_or_docstring_does_not(tmp_path, monkeypatch):
    import shutil

    lib = tmp_path / "dltheory"
    shutil.copytree(saved.data_dir().parent, lib, ignore=shutil.ignore_patterns("data", "__pycache__"))
    from dltheory import codedigest

    monkeypatch.setattr(codedigest, "_lib", lambda: lib)   # where the digest reads the library's modules
    before = saved.code_digest(training.run)

    def edit(path, old, new):
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    edit(lib / "grokking" / "training.py", '"""', '"""An edited docstring. ')
    edit(lib / "grokking" / "training.py", "\nimport ", "\n# a new comment\nimport ")
    assert saved.code_digest(training.run) == before
    edit(lib / "train.py", "\nimport ", "\n_EDITED = 1\nimport ")   # a module training.run imports, indirectly
    changed = saved.code_digest(training.run)
    assert changed != before
    edit(lib / "grokking" / "training.py", "\nimport ", "\n_EDITED = 2\nimport ")
    assert saved.code_digest(training.run) not in (before, changed)


def test_the_digest_does_not_depend_on_the_python_version():
    import ast

    source = "def f(x, *, y=None):\n    '''doc'''\n    return [x, y]\n\nclass C:\n    pass\n"
    plain = saved.stripped(ast.parse(source))
    later = ast.parse(source)
    for node in ast.walk(later):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            node.type_params = []   # what Python 3.12 and later add to every function and class
    assert saved.stripped(later) == plain
    assert plain.decode().startswith("Module(body=[FunctionDef(name='f', args=arguments(posonlyargs=[], args=[arg(")


def test_check_saved_compares_a_live_run_with_the_saved_one(store, monkeypatch, capsys):
    monkeypatch.setenv("DLTHEORY_SAVE_RUNS", "1")
    saved.call("toy.npz", _toy, 4, scale=2.0)
    monkeypatch.delenv("DLTHEORY_SAVE_RUNS")
    monkeypatch.setenv("DLTHEORY_CHECK_SAVED", "1")
    _, provenance = saved.call("toy.npz", _toy, 4, scale=2.0)   # runs live, then compares
    assert provenance is None and _toy.runs == 2 and "seconds not compared (a timing), x equal, y equal" in capsys.readouterr().out
    with pytest.raises(ValueError, match="another call"):
        saved.call("toy.npz", _toy, 5, scale=2.0)
    monkeypatch.setattr(np, "arange", lambda n: np.linspace(0.0, 1.0, n))   # the code now computes something else
    with pytest.raises(ValueError, match=r"differs from the saved one in \['x'\]"):
        saved.call("toy.npz", _toy, 4, scale=2.0)
