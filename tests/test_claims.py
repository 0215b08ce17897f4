"""The claims machinery: registry parsing, check's verdicts, and the data the ledger reads."""

import json
import textwrap

import numpy as np
import pytest

from dltheory import claims
from dltheory.book.sphinxext import verdicts_in_html


def write(tmp_path, stem, text):
    path = tmp_path / f"{stem}.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


REGISTRY = """
title = "Test chapter"

[[claim]]
id = "tc/exponent"
statement = "An exponent is close to a half."
source = "key2020"
paper = "0.5"
target = 0.5
tol = 0.05

[[claim]]
id = "tc/accuracy"
statement = "Accuracy is high on every seed."
source = ["key2020", "other2021"]
paper = "> 99%"
lower = 0.99
aggregate = "all"

[[claim]]
id = "tc/median-acc"
statement = "Median accuracy is high."
source = "key2020"
paper = "> 99%"
lower = 0.99
aggregate = "median"

[[claim]]
id = "tc/control"
statement = "Without the ingredient, nothing happens."
source = "key2020"
paper = "no effect"
expect = false

[[claim]]
id = "tc/theory"
statement = "Measured matches derived."
source = "key2020"
paper = "derived"
target = "theory"
tol = 0.1

[[claim]]
id = "tc/paper-scale"
statement = "Holds at paper scale."
source = "key2020"
paper = "99%"
lower = 0.99
mode = "full"

[[claim]]
id = "tc/not-here"
statement = "A paper's effect that our scale does not show."
source = "key2020"
paper = "x50 faster"
lower = 50.0
reproduces = false

[[claim]]
id = "tc/per-mode"
statement = "Tighter at full scale."
source = "key2020"
paper = "x"
lower = 0.9
[claim.fast]
lower = 0.5
"""


@pytest.fixture
def reg(tmp_path, monkeypatch):
    registry = claims.load_registry([write(tmp_path, "tc", REGISTRY)])
    monkeypatch.setattr(claims, "registry", lambda: registry)
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    return registry


def test_registry_parses(reg):
    assert set(reg) == {"tc/exponent", "tc/accuracy", "tc/median-acc", "tc/control", "tc/theory", "tc/paper-scale",
                        "tc/per-mode", "tc/not-here"}
    c = reg["tc/accuracy"]
    assert c.chapter == "tc" and c.source == ("key2020", "other2021")
    assert reg["tc/exponent"].criterion.describe() == "0.5 ± 0.05"
    assert reg["tc/per-mode"].criterion_for("fast").lower == 0.5
    assert reg["tc/per-mode"].criterion_for("full").lower == 0.9


def test_check_passes_inside_and_raises_outside(reg, capsys):
    v = claims.check("tc/exponent", 0.52)
    assert v.passed and "PASS tc/exponent" in capsys.readouterr().out
    with pytest.raises(claims.ClaimFailed, match="FAIL tc/exponent"):
        claims.check("tc/exponent", 0.56)
    v = claims.check("tc/exponent", 0.56, raise_on_fail=False, display=False)
    assert not v.passed


def test_check_all_seeds_versus_median(reg):
    values = [0.995, 0.999, 0.98]
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/accuracy", values, seeds=[0, 1, 2])
    v = claims.check("tc/median-acc", values, seeds=[0, 1, 2])
    assert v.passed and v.value == pytest.approx(0.995)
    assert "median of 3 seeds" in v.summary()
    assert "median of 3 values" in claims.check("tc/median-acc", values).summary()  # not per seed: no "seeds"
    with pytest.raises(ValueError, match="seeds has 2 entries"):
        claims.check("tc/accuracy", values, seeds=[0, 1])


def test_nan_fails(reg):
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/exponent", float("nan"))
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/accuracy", [1.0, np.nan])


def test_boolean_claims(reg):
    v = claims.check("tc/control", False)
    assert v.passed and v.value is False and v.summary() == "no"  # shows what was measured
    assert claims.check("tc/control", [False, False], seeds=[0, 1]).summary() == "0 of 2 seeds true"
    assert claims.check("tc/control", np.array([False, False])).passed
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/control", [False, True])
    with pytest.raises(ValueError, match="yes/no"):
        claims.check("tc/control", 0.0)
    with pytest.raises(ValueError, match="numeric"):
        claims.check("tc/exponent", True)


def test_theory_target(reg):
    v = claims.check("tc/theory", 0.70, theory=0.66)
    assert v.passed and v.criterion.target == 0.66
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/theory", 0.80, theory=0.66)
    with pytest.raises(ValueError, match="theory"):
        claims.check("tc/theory", 0.7)
    with pytest.raises(ValueError, match="theory= applies only"):
        claims.check("tc/exponent", 0.5, theory=0.5)


def test_full_mode_claim_needs_provenance_in_fast_mode(reg, monkeypatch):
    with pytest.raises(ValueError, match="paper scale"):
        claims.check("tc/paper-scale", 0.995)
    prov = {"config": "p=113", "date": "2026-11-22", "device": "H100"}
    v = claims.check("tc/paper-scale", 0.995, provenance=prov)
    assert v.passed and v.mode == "full" and "saved full-mode run" in str(v)
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    assert claims.check("tc/paper-scale", 0.995).passed
    with pytest.raises(ValueError, match="missing"):
        claims.check("tc/paper-scale", 0.995, provenance={"config": "x"})


def test_per_mode_criterion(reg, monkeypatch):
    assert claims.check("tc/per-mode", 0.6).passed
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/per-mode", 0.6)


def test_registered_non_reproduction_is_reported_and_strict(reg):
    v = claims.check("tc/not-here", [1.0, 1.2], seeds=[0, 1])
    assert not v.passed and v.ok and v.status == "not reproduced"
    assert "NOT REPRODUCED" in str(v) and "does not reproduce" in v._repr_html_()
    assert verdicts_in_html(v._repr_html_())[0]["status"] == "not reproduced"
    with pytest.raises(claims.ClaimFailed, match="update the registry"):
        claims.check("tc/not-here", [60.0, 70.0])  # it now reproduces: the registry must say so


def test_reproduces_must_be_boolean(tmp_path):
    bad = 'title = "T"\n[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\nreproduces = "no"'
    with pytest.raises(ValueError, match="reproduces must be true or false"):
        claims.load_registry([write(tmp_path, "tc", bad)])


def test_unknown_id_and_bad_measurements(reg):
    with pytest.raises(ValueError, match="not registered"):
        claims.check("tc/nope", 1.0)
    for bad in ([], "abc", np.ones((2, 2)), object()):
        with pytest.raises(ValueError):
            claims.check("tc/exponent", bad)


def test_html_carries_record_for_the_ledger(reg):
    v = claims.check("tc/exponent", [0.49, 0.51], seeds=[3, 4], display=False)
    records = verdicts_in_html(v._repr_html_())
    assert len(records) == 1
    r = records[0]
    assert r["id"] == "tc/exponent" and r["passed"] is True and r["seeds"] == [3, 4]
    assert r["values"] == [0.49, 0.51] and r["mode"] == "fast"
    json.dumps(r)  # the record is plain JSON


def test_claims_log(reg, tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("DLTHEORY_CLAIMS_LOG", str(log))
    monkeypatch.setenv("DLTHEORY_SEED", "5")
    claims.check("tc/exponent", 0.5, display=False)
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/exponent", 0.9, display=False)
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert [x["passed"] for x in lines] == [True, False] and lines[0]["seed_env"] == 5


@pytest.mark.parametrize(
    "snippet, message",
    [
        ('[[claim]]\nid = "bad id"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1', "must look like"),
        ('[[claim]]\nid = "other/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1', "must start with"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"', "needs expect"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\ntarget = 1.0', "needs a tolerance"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 2\nupper = 1', "must not exceed"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\naggregate = "max"', "aggregate"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\nmode = "slow"', "mode"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\ntypo = 3', "unknown field"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = []\npaper = "p"\nlower = 1', "BibTeX"),
        ('[[claim]]\nid = "tc/x"\nsource = "k"\npaper = "p"\nlower = 1', "missing the field 'statement'"),
        ('[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nexpect = true\nlower = 1', "expect cannot"),
    ],
)
def test_registry_rejects_malformed_claims(tmp_path, snippet, message):
    path = write(tmp_path, "tc", 'title = "T"\n' + snippet)
    with pytest.raises(ValueError, match=message):
        claims.load_registry([path])


def test_registry_file_level_errors(tmp_path):
    with pytest.raises(ValueError, match="title"):
        claims.load_registry([write(tmp_path, "tc", '[[claim]]\nid = "tc/x"')])
    with pytest.raises(ValueError, match="not valid TOML"):
        claims.load_registry([write(tmp_path, "tc", "title = ")])
    dup = 'title = "T"\n' + '[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\n' * 2
    with pytest.raises(ValueError, match="duplicate"):
        claims.load_registry([write(tmp_path, "tc", dup)])


def test_the_book_registry_loads():
    reg = claims.registry()
    assert "how-to-read/sgd-time-exponent" in reg
    titles = claims.chapter_titles()
    assert set(c.chapter for c in reg.values()) <= set(titles)
