"""Verdicts under other roundings (``dltheory.book.arithmetic``): the flags reach the compiled programs and change
their roundings, a run is kept per page with the fingerprint of its code, and a claim whose status differs from the
seed record's run of the same code is a turn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_seed_record import PAGE, _verdict, repo  # noqa: F401 - repo is a fixture

from dltheory.book import arithmetic, notebooks, seeds

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import numpy as np, jax, jax.numpy as jnp
draws = np.asarray(jax.random.normal(jax.random.key(0), (10000,)))
x = jnp.asarray(np.linspace(1e-3, 3.0, 10000, dtype=np.float32))
logs = np.asarray(jax.jit(jnp.log)(x))
dead = jnp.array([jnp.nan, jnp.inf, 1.0]) * x[:3]
nan = bool(jnp.isnan(jax.jit(lambda v: v / v)(x[:1] * 0))[0])
np.savez(__import__("sys").argv[1], draws=draws, logs=logs, finite=np.asarray(jnp.isfinite(dead)), nan=nan)
"""


def _probe(env: dict[str, str], out: Path) -> dict[str, np.ndarray]:
    subprocess.run([sys.executable, "-c", _PROBE, str(out)], env=env, capture_output=True, check=True, timeout=120)
    return dict(np.load(out))


def test_the_flags_move_the_last_bits_of_normal_draws_and_logarithms_and_still_see_nans(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    plain = _probe(base, tmp_path / "plain.npz")
    other = _probe(arithmetic.environment(base, tmp_path / "cache"), tmp_path / "other.npz")
    moved = plain["draws"] != other["draws"]
    assert moved.mean() > 0.5  # most normal draws move ...
    ulps = np.abs(other["draws"] - plain["draws"]) / np.spacing(np.abs(plain["draws"]))
    assert np.median(ulps[moved]) <= 10 and np.abs(other["draws"] - plain["draws"]).max() < 1e-2  # ... by a few ulps
    assert 0 < (plain["logs"] != other["logs"]).mean() and np.abs(other["logs"] - plain["logs"]).max() < 1e-6
    assert other["finite"].tolist() == plain["finite"].tolist() == [False, False, True]
    assert bool(other["nan"]) and bool(plain["nan"])


def test_the_environment_adds_the_flags_and_a_cache_of_their_own(tmp_path: Path) -> None:
    env = arithmetic.environment({"XLA_FLAGS": "--xla_dump_to=/tmp/x", "HOME": "/h"}, tmp_path)
    assert env["XLA_FLAGS"].split() == ["--xla_dump_to=/tmp/x", *arithmetic.FLAGS]
    assert env["DLTHEORY_CACHE"] == env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path) and env["HOME"] == "/h"
    assert env["DLTHEORY_LIVE"] == "1"  # saved runs are measured again
    assert arithmetic.environment({}, tmp_path)["XLA_FLAGS"].split() == list(arithmetic.FLAGS)
    with pytest.raises(ValueError, match="mapping"):
        arithmetic.environment(["XLA_FLAGS"], tmp_path)


def test_a_status_that_differs_is_a_turn_and_so_is_a_claim_not_reached() -> None:
    record = {"a": {"status": "reproduced", "value": 1.0}, "b": {"status": "reproduced", "value": 2.0},
              "c": {"status": "not reproduced", "value": True}}
    other = {"a": {"status": "reproduced", "value": 1.5}, "b": {"status": "failed", "value": 2.0}}
    record["a"]["provenance"] = record["b"]["provenance"] = "saved fast-mode run x.npz"
    other["b"]["provenance"] = "live"  # the run with other roundings measured it
    rows = {r.claim: r for r in arithmetic.compare_verdicts(record, other)}
    assert [c for c, r in rows.items() if not r.live] == ["a"]
    assert [c for c, r in rows.items() if r.turned] == ["b", "c"]
    assert rows["a"].change == pytest.approx(0.5 / 1.5) and rows["b"].change == 0.0 and rows["c"].change is None
    assert rows["c"].other_status is None
    extra = arithmetic.compare_verdicts({}, {"d": {"status": "reproduced", "value": 1.0}})
    assert extra[0].turned and extra[0].status == "not reported"
    # a claim registered as not reproduced whose live reading changes keeps its registered outcome
    kept = arithmetic.compare_verdicts({"e": {"status": "not reproduced", "value": 8.0}},
                                       {"e": {"status": "not reproduced (passed this run)", "value": -1.0}})[0]
    assert kept.changed and not kept.turned
    stopped = arithmetic.compare_verdicts({"e": {"status": "not reproduced", "value": 8.0}},
                                          {"e": {"status": "degenerate", "value": float("nan")}})[0]
    assert stopped.turned
    notes = [arithmetic.note_text(r) for r in (rows["a"], rows["b"], rows["c"], kept, None)]
    assert notes[0] == "" and "failed, against reproduced" in notes[1] and "not reached" in notes[2]
    assert "the registered outcome either way" in notes[3] and notes[4] == ""
    before = {"f": {"status": "reproduced", "value": 1.0}, "g": {"status": "derived", "value": 2.0}}
    after = {"f": {"status": "reproduced", "value": 1.25}, "g": {"status": "derived", "value": 2.0}}
    same = arithmetic.compare_verdicts(before, after)
    assert arithmetic.note_text(same[0]).endswith("the same verdict, its value moved by 2.0e-01 of itself")
    assert arithmetic.note_text(same[1]).endswith("the same verdict, its value unchanged")
    # a status that stops a page is a turn against any other status, and so is a claim only one run reported
    for mine, theirs in [("failed", "degenerate"), (None, "failed"), (None, "reproduced")]:
        record = {} if mine is None else {"h": {"status": mine, "value": 1.0}}
        assert arithmetic.compare_verdicts(record, {"h": {"status": theirs, "value": 1.0}})[0].turned


def test_a_run_is_recorded_with_its_fingerprint_and_compared_until_its_code_changes(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    seen = {}

    def fake_run_page(page: Path, *, seed: int, keep_going: bool) -> tuple[float, list[dict]]:
        seen.update(flags=os.environ.get("XLA_FLAGS", ""), seed=seed, keep_going=keep_going)
        return 1.0, [_verdict("toy/a", "reproduced", 1.0001), _verdict("toy/b", "failed")]

    monkeypatch.setattr(notebooks, "run_page", fake_run_page)
    monkeypatch.delenv("XLA_FLAGS", raising=False)
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "reproduced"), _verdict("toy/b", "reproduced")],
                     seconds=1.0, root=repo)
    assert arithmetic.run([repo / PAGE], repo) == 0
    assert seen == {"flags": " ".join(arithmetic.FLAGS), "seed": arithmetic.SEED, "keep_going": True}
    assert "XLA_FLAGS" not in os.environ  # the environment is given back
    rows, left_out = arithmetic.compare(repo)
    assert left_out == [] and [(r.claim, r.turned) for r in rows] == [("toy/a", False), ("toy/b", True)]
    assert arithmetic.pages_to_run(repo) == []
    data = json.loads((repo / arithmetic.RECORD).read_text())
    data["pages"][PAGE]["flags"] = ["--xla_cpu_enable_fast_math=true"]  # a run with other flags is stale
    (repo / arithmetic.RECORD).write_text(json.dumps(data))
    assert arithmetic.compare(repo) == ([], [f"{PAGE}: stale (run with other flags)"])
    assert arithmetic.pages_to_run(repo) == [PAGE]  # and its seed record is of today's code: run it again
    data["pages"][PAGE]["flags"] = list(arithmetic.FLAGS)
    (repo / arithmetic.RECORD).write_text(json.dumps(data))
    text, turned = arithmetic.table(repo)
    assert turned and "TURNED toy/b: reproduced (1.0) -> failed (1.0)" in text
    (repo / "lib" / "dltheory" / "toy" / "shared.py").write_text("X = 2\n")  # the page's code changes
    rows, left_out = arithmetic.compare(repo)
    assert rows == [] and left_out == [f"{PAGE}: stale (its code changed since the run)"]


def test_a_page_without_a_fresh_seed_record_run_is_left_out(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(notebooks, "run_page", lambda page, **kw: (1.0, [_verdict("toy/a", "reproduced")]))
    seeds.record_run(Path(PAGE), 5, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)  # not base seed 0
    arithmetic.run([repo / PAGE], repo)
    assert arithmetic.compare(repo) == ([], [f"{PAGE}: the seed record has no fresh run under base seed 0"])


def test_a_page_that_stops_is_recorded_and_the_run_goes_on(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    def dead(page: Path, **kw: object) -> tuple[float, list[dict]]:
        raise RuntimeError("Kernel died")

    monkeypatch.setattr(notebooks, "run_page", dead)
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    assert arithmetic.run([repo / PAGE, repo / PAGE], repo) == 2
    assert arithmetic.load(repo)["pages"][PAGE]["error"] == "RuntimeError: Kernel died"
    rows, left_out = arithmetic.compare(repo)
    assert [(r.claim, r.turned) for r in rows] == [("toy/a", True)] and left_out[0].startswith(f"{PAGE}: stopped")
    assert arithmetic.pages_to_run(repo) == [PAGE]


@pytest.mark.parametrize(("record", "match"), [
    ([1, 2], "pages"),
    ({"pages": {PAGE: {"verdicts": {}}}}, "fingerprint"),
    ({"pages": {PAGE: {"fingerprint": "f", "flags": [], "verdicts": {"toy/a": {"value": 1}}}}}, "status"),
])
def test_a_malformed_record_is_refused(repo: Path, record: object, match: str) -> None:  # noqa: F811
    (repo / arithmetic.RECORD).parent.mkdir(parents=True, exist_ok=True)
    (repo / arithmetic.RECORD).write_text(json.dumps(record))
    with pytest.raises(ValueError, match=match):
        arithmetic.load(repo)


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="list of page paths"):
        arithmetic.run("chapters/01-toy/02-page.md", tmp_path)
    with pytest.raises(ValueError, match="status"):
        arithmetic.compare_verdicts({"a": {"value": 1}}, {})


def test_no_claim_of_the_book_turns_under_other_roundings() -> None:
    """The committed record: every page whose seed record is of today's code was run with other roundings on the
    same code, none stopped, and no claim's status differs; and the perturbation reached the pages."""
    if not (ROOT / arithmetic.RECORD).is_file():
        pytest.fail(f"{arithmetic.RECORD} is missing: python -m dltheory.book.arithmetic run")
    text, turned = arithmetic.table(ROOT)
    assert arithmetic.pages_to_run(ROOT) == [], text
    rows, left_out = arithmetic.compare(ROOT)
    assert not turned, text
    live = [r for r in rows if r.live]
    assert len(live) > 100 and sum(bool(r.change) for r in live) > 20, text
