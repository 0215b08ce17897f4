"""Verdicts under other roundings (``dltheory.book.arithmetic``): the flags reach the compiled programs and change
their roundings, a run is kept per page with the fingerprint of its code, and a claim whose status differs from the
seed record's run of the same code is a turn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_seed_record import PAGE, _verdict, repo  # noqa: F401 - repo is a fixture

from dltheory.book import arithmetic, notebooks, seeds

ROOT = Path(__file__).resolve().parents[1]

_PROBE = """
import jax, jax.numpy as jnp
x = jax.random.normal(jax.random.key(1), (64, 32))
w = jax.random.normal(jax.random.key(0), (32, 32)) / 6
h = x
for _ in range(12):
    h = jnp.tanh(h @ w)
dead = jnp.array([jnp.nan, jnp.inf, 1.0]) * x[0, :3]
print(repr(float(h.sum())), jnp.isfinite(dead).tolist(), bool(jnp.isnan(jax.jit(lambda v: v / v)(x[0, :1] * 0))[0]))
"""


def _probe(env: dict[str, str]) -> tuple[str, str, str]:
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    return out[0], " ".join(out[1:-1]), out[-1]


def test_the_flags_change_the_roundings_of_compiled_programs_and_still_see_nans(tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    plain, plain_finite, plain_nan = _probe(base)
    other, other_finite, other_nan = _probe(arithmetic.environment(base, tmp_path))
    assert other != plain  # the same program, other roundings
    assert abs(float(other) - float(plain)) < 1e-3 * abs(float(plain))  # ... of the same mathematics
    assert other_finite == plain_finite == "[False, False, True]" and other_nan == plain_nan == "True"


def test_the_environment_adds_the_flags_and_a_cache_of_their_own(tmp_path: Path) -> None:
    env = arithmetic.environment({"XLA_FLAGS": "--xla_dump_to=/tmp/x", "HOME": "/h"}, tmp_path)
    assert env["XLA_FLAGS"].split() == ["--xla_dump_to=/tmp/x", *arithmetic.FLAGS]
    assert env["DLTHEORY_CACHE"] == env["JAX_COMPILATION_CACHE_DIR"] == str(tmp_path) and env["HOME"] == "/h"
    assert arithmetic.environment({}, tmp_path)["XLA_FLAGS"].split() == list(arithmetic.FLAGS)
    with pytest.raises(ValueError, match="mapping"):
        arithmetic.environment(["XLA_FLAGS"], tmp_path)


def test_a_status_that_differs_is_a_turn_and_so_is_a_claim_not_reached() -> None:
    record = {"a": {"status": "reproduced", "value": 1.0}, "b": {"status": "reproduced", "value": 2.0},
              "c": {"status": "not reproduced", "value": True}}
    other = {"a": {"status": "reproduced", "value": 1.5}, "b": {"status": "failed", "value": 2.0}}
    rows = {r.claim: r for r in arithmetic.compare_verdicts(record, other)}
    assert [c for c, r in rows.items() if r.turned] == ["b", "c"]
    assert rows["a"].change == pytest.approx(0.5 / 1.5) and rows["b"].change == 0.0 and rows["c"].change is None
    assert rows["c"].other_status is None
    extra = arithmetic.compare_verdicts({}, {"d": {"status": "reproduced", "value": 1.0}})
    assert extra[0].turned and extra[0].status == "not reported"


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
    text, turned = arithmetic.table(repo)
    assert turned and "TURNED toy/b: reproduced (1.0) -> failed (1.0)" in text
    (repo / "lib" / "dltheory" / "toy" / "shared.py").write_text("X = 2\n")  # the page's code changes
    rows, left_out = arithmetic.compare(repo)
    assert rows == [] and left_out == [f"{PAGE}: stale (its code changed since the run)"]


def test_a_page_without_a_fresh_seed_record_run_is_left_out(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(notebooks, "run_page", lambda page, **kw: (1.0, [_verdict("toy/a", "reproduced")]))
    seeds.record_run(Path(PAGE), 5, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)  # not base seed 0
    arithmetic.run([repo / PAGE], repo)
    assert arithmetic.compare(repo) == ([], [f"{PAGE}: the seed record has no fresh run under base seed 0"])


def test_a_malformed_record_is_refused(repo: Path) -> None:  # noqa: F811
    (repo / arithmetic.RECORD).parent.mkdir(parents=True, exist_ok=True)
    (repo / arithmetic.RECORD).write_text(json.dumps([1, 2]))
    with pytest.raises(ValueError, match="pages"):
        arithmetic.load(repo)


def test_no_claim_of_the_book_turns_under_other_roundings() -> None:
    """The committed record: every page run with other roundings on today's code keeps each claim's status."""
    if not (ROOT / arithmetic.RECORD).is_file():
        pytest.fail(f"{arithmetic.RECORD} is missing: python -m dltheory.book.arithmetic run")
    rows, _ = arithmetic.compare(ROOT)
    text, turned = arithmetic.table(ROOT)
    assert rows, f"no page's run is of today's code: python -m dltheory.book.arithmetic run\n{text}"
    assert not turned, text
