"""The claims machinery: registry parsing, check's verdicts, and the data the ledger reads."""

import json
import re
import textwrap

import numpy as np
import pytest

from dltheory import claims
from dltheory.claims import criteria, judge, schema
from dltheory.book import ledger
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

[[claim]]
id = "tc/arithmetic"
statement = "A published fit gives a published exponent."
source = "key2020"
paper = "0.46"
kind = "derivation"
target = 0.46
tol = 0.01

[[claim]]
id = "tc/revised"
statement = "A bar changed after its first run."
source = "key2020"
paper = "x"
kind = "reproduction"
null = "the same measurement with shuffled labels"
bar_fixed = "after"
lower = 0.0
upper = 1.0
[[claim.bar_history]]
old = { lower = 0.2, upper = 0.8 }
date = "2026-11-22"
commit = "e7f4a61"
reason = "widened at the first run"
[[claim.bar_history]]
old = "six budgets"
reason = "a seed failed"

[[claim]]
id = "tc/most-seeds"
statement = "A statistical effect that holds on at least 4 of 5 seeds."
source = "key2020"
paper = "x"
kind = "reproduction"
null = "random labels"
lower = 0.5
min_pass = "4/5"
bar_fixed = "before"

[[claim]]
id = "tc/most-seeds-not-reproduced"
statement = "A statistical effect that was registered as not holding on at least 4 of 5 seeds."
source = "key2020"
paper = "x"
kind = "reproduction"
null = "random labels"
lower = 0.5
min_pass = "4/5"
bar_fixed = "before"
reproduces = false

[[claim]]
id = "tc/most-seeds-yes"
statement = "A yes/no outcome on at least 3 out of 4 seeds."
source = "key2020"
paper = "x"
kind = "reproduction"
null = "the intervention removed"
expect = true
min_pass = "3/4"
bar_fixed = "after"
[[claim.bar_history]]
old = { aggregate = "all" }
reason = "one seed in four flips"

[[claim]]
id = "tc/fast-only"
statement = "Holds in the fast configuration (n = 120)."
source = "key2020"
paper = "x"
lower = 0.2
mode = "fast"

[[claim]]
id = "tc/fast-not-full"
statement = "Reproduces in fast mode, not at paper scale."
source = "key2020"
paper = "x"
lower = 0.5
[claim.full]
reproduces = false
lower = 0.6

[[claim]]
id = "tc/ceiling"
statement = "Accuracy at least 99% on every seed (an accuracy cannot exceed 1)."
source = "key2020"
paper = "100%"
lower = 0.99
limit = 1.0

[[claim]]
id = "tc/ratio"
statement = "A loss ratio of at least 10 on every seed."
source = "key2020"
paper = "L-shaped"
lower = 10.0
scale = "log"
"""


@pytest.fixture
def reg(tmp_path, monkeypatch):
    registry = claims.load_registry([write(tmp_path, "tc", REGISTRY)])
    monkeypatch.setattr(claims, "registry", lambda: registry)
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    return registry


def test_registry_parses(reg):
    assert set(reg) == {"tc/exponent", "tc/accuracy", "tc/median-acc", "tc/control", "tc/theory", "tc/paper-scale",
                        "tc/per-mode", "tc/not-here", "tc/arithmetic", "tc/revised", "tc/most-seeds",
                        "tc/most-seeds-not-reproduced", "tc/most-seeds-yes", "tc/fast-only", "tc/fast-not-full", "tc/ceiling", "tc/ratio"}
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


def test_degenerate_runs_are_reported_not_averaged(reg, tmp_path, monkeypatch):
    monkeypatch.setenv("DLTHEORY_CLAIMS_LOG", str(tmp_path / "claims.jsonl"))  # a degenerate null is logged too
    # the median of [0.995, 0.999, inf] would pass: the infinite seed must stop it, and be named
    with pytest.raises(claims.DegenerateRun, match=r"degenerate run \(seeds 7:"):
        claims.check("tc/median-acc", [0.995, 0.999, np.inf], seeds=[5, 6, 7])
    with pytest.raises(claims.DegenerateRun, match="seeds 5, 7"):
        claims.check("tc/median-acc", [np.nan, 0.999, -np.inf], seeds=[5, 6, 7])
    # a dead network's constant output is finite: the page flags it, and check names the seed
    with pytest.raises(claims.DegenerateRun, match="seeds 6"):
        claims.check("tc/median-acc", [0.995, 0.999, 0.998], seeds=[5, 6, 7], degenerate=[False, True, False])
    v = claims.check("tc/median-acc", [0.995, 0.999, np.inf], seeds=[5, 6, 7], raise_on_fail=False, display=False)
    assert v.status == "degenerate" and not v.ok and v.degenerate == (7,) and v.record()["degenerate"] == [7]
    with pytest.raises(claims.DegenerateRun, match="null 1"):
        claims.check("tc/accuracy", [0.995, 0.999], null=[0.1, np.nan])
    assert '"null 1"' in (tmp_path / "claims.jsonl").read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="degenerate must be one yes/no value per measured value"):
        claims.check("tc/accuracy", [0.995, 0.999], degenerate=[True])
    assert claims.check("tc/accuracy", [0.995, 0.999], degenerate=[False, False]).passed


def test_a_null_that_passes_raises_cannot_fail(reg):
    with pytest.raises(claims.ClaimCannotFail, match="meets the criterion too"):
        claims.check("tc/accuracy", [0.995, 0.999], seeds=[0, 1], null=[0.992, 0.993])
    v = claims.check("tc/accuracy", [0.995, 0.999], seeds=[0, 1], null=[0.992, 0.993], raise_on_fail=False)
    assert v.status == "cannot fail" and not v.ok and v.null.passed
    assert "null passes too" in v._repr_html_()
    assert isinstance(claims.ClaimCannotFail("x"), claims.ClaimFailed)  # pages that catch ClaimFailed catch it too
    # judged with the same aggregate: a null whose median passes makes a median claim unable to fail
    with pytest.raises(claims.ClaimCannotFail):
        claims.check("tc/median-acc", [0.995, 0.999, 0.98], null=[0.1, 0.995, 0.995])
    with pytest.raises(claims.ClaimCannotFail):
        claims.check("tc/control", [False, False], null=[False, False])  # yes/no claims too
    with pytest.raises(claims.ClaimCannotFail):
        claims.check("tc/theory", 0.70, theory=0.66, null=0.62)  # and against the derived target


def test_a_censored_null_that_could_still_meet_the_bar_counts_as_meeting_it(reg):
    # against a lower bar (>= 0.99) a run cut off at 0.5 could still end above it: the doubt goes against the claim
    assert claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, 0.6]).ok            # read as values, it misses
    with pytest.raises(claims.ClaimCannotFail):
        claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, 0.6], null_censored=[True, True])
    v = claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, 0.6], null_censored=True,
                     raise_on_fail=False, display=False)
    assert v.status == "cannot fail" and v.null.values == (0.99, 0.99) and v.null.censored == (True, True)
    assert "2 of 2 cut off by the budget" in str(v) and v.record()["null"]["censored"] == [True, True]
    assert v.null.bounds == (0.5, 0.6) and v.record()["null"]["bounds"] == [0.5, 0.6]   # what was measured, kept
    # a cut-off run with no finite bound is a dead run, not a bound
    with pytest.raises(claims.DegenerateRun, match="null 1"):
        claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, np.inf], null_censored=True)
    # judged by the claim's own rule: on every seed, one uncensored miss is enough
    v = claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, 0.6], null_censored=[True, False], display=False)
    assert v.ok and v.null.values == (0.99, 0.6) and "1 of 2 cut off" in str(v)
    # against an upper bar a bound already above it decides the miss, and the value is kept
    v = claims.check("tc/revised", [0.5, 0.6, 0.7], null=[1.5, 1.7, 2.0], null_censored=True, display=False)
    assert v.ok and not v.null.passed and v.null.values == (1.5, 1.7, 2.0) and v.null.censored == (True,) * 3
    # a bound inside the bar could be its value: it meets the bar, judged at itself
    v = claims.check("tc/revised", [0.5, 0.6, 0.7], null=[0.9, 0.8, 0.7], null_censored=True, raise_on_fail=False)
    assert v.status == "cannot fail" and v.null.values == (0.9, 0.8, 0.7)
    # a target's band: a bound below it is judged at the band's low end, one above it stays and misses
    assert claims.Criterion(target=0.5, tol=0.05).best_case_at_least([0.1, 0.52, 0.9]).tolist() == [0.45, 0.52, 0.9]
    # nothing censored: no mark, the record unchanged
    v = claims.check("tc/revised", [0.5, 0.6, 0.7], null=[1.5, 1.7, 2.0], null_censored=False, display=False)
    assert v.null.censored == (False,) * 3 and "censored" not in v.record()["null"] and "cut off" not in str(v)
    assert v.null.bounds == () and "bounds" not in v.record()["null"]


def test_bad_censoring_is_refused(reg):
    with pytest.raises(ValueError, match="null_censored must be one yes/no value per null value"):
        claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, 0.6], null_censored=[True])
    with pytest.raises(ValueError, match="null_censored must be one yes/no value"):
        claims.check("tc/accuracy", [0.995, 0.999], null=[0.5, 0.6], null_censored=[1, 0])
    with pytest.raises(ValueError, match="pass the null as null="):
        claims.check("tc/accuracy", [0.995, 0.999], null_censored=[True, True])
    with pytest.raises(ValueError, match="yes/no null cannot be censored"):
        claims.check("tc/control", [False, False], null=[True, True], null_censored=[True, False])
    with pytest.raises(ValueError, match="only a numeric criterion"):
        claims.Criterion(expect=True).best_case_at_least([1.0])
    with pytest.raises(ValueError, match="one entry per value"):
        claims.NullResult(0.5, (0.5, 0.6), False, None, censored=(True,))


def test_a_mean_claim_refuses_a_censored_null(tmp_path):
    """A lower bound below a lower bar could carry a mean anywhere: judging it value by value would be wrong."""
    reg = dict(claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + 'aggregate = "mean"\n')]))
    with pytest.raises(ValueError, match="judged on a mean"):
        judge.judge(reg["tc/x"], [2.0, 2.0, 2.0], null=[0.5, 0.6, 0.7], null_censored=[True, False, False])
    assert judge.judge(reg["tc/x"], [2.0, 2.0, 2.0], null=[0.5, 0.6, 0.7], null_censored=False).passed


def test_a_null_that_fails_is_recorded_and_shown(reg):
    v = claims.check("tc/revised", [0.5, 0.6, 0.7], seeds=[0, 1, 2], null=[1.5, 1.7, 2.0])
    assert v.passed and v.status == "reproduced" and not v.null.passed
    assert v.null.value == 1.7 and v.null.values == (1.5, 1.7, 2.0)
    assert "the same measurement with shuffled labels: 1.7" in str(v) and "misses the bar" in str(v)
    assert "misses the bar, as it must" in v._repr_html_()
    record = verdicts_in_html(v._repr_html_())[0]
    assert record["null"]["passed"] is False and record["null"]["values"] == [1.5, 1.7, 2.0]
    # a median claim whose null passes on one seed only still fails as a whole: it is judged like the claim
    assert claims.check("tc/median-acc", [0.995, 0.999, 0.98], null=[0.995, 0.1, 0.2]).ok
    # without a null the registry's description is shown as not yet measured
    assert "not measured on this page yet" in str(claims.check("tc/revised", 0.5, display=False))


def test_derivations_are_shown_as_computations_and_never_reproduced(reg):
    v = claims.check("tc/arithmetic", 0.4565)
    assert v.passed and v.status == "derived" and v.ok and v.status != "reproduced"
    assert "DERIVED tc/arithmetic" in str(v)
    html = v._repr_html_()
    assert "= derived: a worked computation" in html and "<strong>Computed:</strong>" in html and "claim holds" not in html
    assert not v.few_seeds  # a computation has no seeds
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/arithmetic", 0.50)
    with pytest.raises(ValueError, match="derivation: it measures nothing"):
        claims.check("tc/arithmetic", 0.46, null=0.3)
    record = v.record()
    c = ledger.counts(list(reg.values()), {"tc/arithmetic": record})
    assert c["derivations"] == 1 and c["reproduced"] == 0
    assert ledger.verdict_text(record)[0] == "= derived"


def test_margins(reg):
    # one-sided bar >= 0.99: the worst seed decides; relative to |bar|; in units of the seeds' spread
    v = claims.check("tc/accuracy", [0.995, 0.999, 1.0], seeds=[0, 1, 2], display=False)
    m = v.margin
    assert m.absolute == pytest.approx(0.005) and m.relative == pytest.approx(0.005 / 0.99)
    assert m.spread == pytest.approx(np.std([0.995, 0.999, 1.0], ddof=1))
    assert m.spreads == pytest.approx(0.005 / m.spread) and m.per_value == pytest.approx((0.005, 0.009, 0.01))
    assert not m.marginal  # every seed is more than one spread (0.0026) above the bar
    # two-sided bar 0.5 ± 0.05: distance to the nearer end, relative to the half-width
    m = claims.check("tc/exponent", 0.53, display=False).margin
    assert m.absolute == pytest.approx(0.02) and m.relative == pytest.approx(0.4) and m.spreads is None
    # a failing value has a negative margin
    assert claims.check("tc/exponent", 0.58, raise_on_fail=False, display=False).margin.absolute == pytest.approx(-0.03)
    # median claims: the aggregate decides
    m = claims.check("tc/median-acc", [0.98, 0.995, 1.0], seeds=[0, 1, 2], display=False).margin
    assert m.absolute == pytest.approx(0.005)
    assert claims.check("tc/control", False, display=False).margin is None  # yes/no: no margin
    json.dumps(v.record())


def test_marginal_flags(reg):
    # a single value: near means within 10% of the bar's scale (here the half-width 0.05)
    assert claims.check("tc/exponent", 0.546, display=False).margin.marginal
    assert not claims.check("tc/exponent", 0.54, display=False).margin.marginal
    # seeds: near means within one seed spread of the bar
    v = claims.check("tc/revised", [0.05, 0.5, 0.9], seeds=[0, 1, 2], display=False)  # spread 0.43, worst 0.05
    assert v.margin.marginal and v.margin.near == (0, 2) and v.record()["marginal"] is True
    assert "marginal" in v.margin.describe() and "(marginal)" in v._repr_html_()
    v = claims.check("tc/revised", [0.45, 0.5, 0.55], seeds=[0, 1, 2], display=False)  # spread 0.05, worst 0.45
    assert not v.margin.marginal and v.record()["marginal"] is False
    # a median claim is marginal when a seed on either side sits near the bar
    assert claims.check("tc/median-acc", [0.989, 0.995, 0.999], seeds=[0, 1, 2], display=False).margin.marginal


def test_a_mean_claim_is_marginal_when_its_bar_lies_inside_the_means_confidence_interval(tmp_path, monkeypatch):
    registry = claims.load_registry([write(tmp_path, "tm", """
        title = "Means"

        [[claim]]
        id = "tm/mean-corr"
        statement = "The mean correlation over the corpora is at most -0.4."
        source = "key2020"
        paper = "-0.7"
        upper = -0.4
        aggregate = "mean"
        """)])
    monkeypatch.setattr(claims, "registry", lambda: registry)
    monkeypatch.setenv("DLTHEORY_MODE", "fast")

    def margin(values):
        return claims.check("tm/mean-corr", values, seeds=range(len(values)), display=False).margin

    # ten values, spread 0.1, mean 0.08 inside the bar: within one spread, outside the 95% interval (0.072)
    z = np.array([-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 0.2, -0.2, 0])
    ten = margin(list(-0.48 + 0.1 * (z - z.mean()) / z.std(ddof=1)))
    assert ten.spread == pytest.approx(0.1) and ten.absolute == pytest.approx(0.08)
    assert ten.near and not ten.marginal          # a value near the bar does not decide a mean
    assert criteria.mean_half_width(0.1, 10) == pytest.approx(0.0715, abs=1e-4)
    # three values, spread 0.1, mean 0.2 inside: two spreads, but inside the interval of three (0.248)
    three = margin([-0.5, -0.6, -0.7])
    assert three.spread == pytest.approx(0.1) and three.absolute == pytest.approx(0.2)
    assert not three.near and three.marginal      # no value near the bar, yet three values cannot place the mean
    assert not margin([-0.7, -0.8, -0.9]).marginal  # 0.4 inside: outside the interval
    with pytest.raises(ValueError, match="at least 2 values"):
        criteria.mean_half_width(0.1, 1)


def test_a_null_near_the_bar_makes_the_claim_marginal(reg):
    ours = dict(seeds=[0, 1, 2], display=False)  # every seed more than one spread above the bar: not marginal
    far = claims.check("tc/accuracy", [0.995, 0.999, 1.0], null=[0.5, 0.6, 0.7], **ours)
    assert far.null.margin.absolute == pytest.approx(-0.49) and not far.null.near
    assert far.marginal_sides == () and far.record()["marginal"] is False and "margin" not in far.null.summary()
    # the null misses, but its best seed sits 0.001 below the bar, within one spread (0.02) of it
    near = claims.check("tc/accuracy", [0.995, 0.999, 1.0], null=[0.95, 0.97, 0.989], **ours)
    assert near.status == "reproduced" and not near.null.passed and near.null.margin.near == (2,)
    assert near.marginal_sides == ("null",) and not near.margin.marginal
    record = near.record()
    assert record["marginal"] is True and record["marginal_sides"] == ["null"]
    assert "(marginal: its null is near the bar)" in near._repr_html_()
    assert "misses the bar, as it must; margin -0.04" in str(near) and str(near).endswith("— marginal")
    # both sides near the bar: the verdict names both
    both = claims.check("tc/accuracy", [0.991, 0.999, 1.0], null=[0.95, 0.97, 0.989], **ours)
    assert both.marginal_sides == ("claim", "null") and "marginal, and its null is near the bar" in both._repr_html_()
    # the null's values are seeds only where ours are: over conditions (no seeds) a spread says nothing of a rerun
    over_levels = claims.check("tc/exponent", [0.5, 0.51, 0.49], null=[0.39, 0.2, 0.1], display=False)
    assert over_levels.null.margin.spread is None and not over_levels.null.near  # 0.06 outside, over 10% of 0.05
    per_seed = claims.check("tc/exponent", [0.5, 0.51, 0.49], null=[0.39, 0.2, 0.1], **ours)
    assert per_seed.null.margin.spread > 0.06 and per_seed.marginal_sides == ("null",)
    # the ledger reads the sides from the margins, so a record made before the null counted reads the same
    old = {k: v for k, v in record.items() if k not in ("marginal", "marginal_sides")}
    assert ledger.marginal_sides(old) == ("null",) and ledger.marginal_sides(far.record()) == ()
    assert ledger.counts([reg["tc/accuracy"]], {"tc/accuracy": record})["marginal"] == 1
    assert ledger.counts([reg["tc/accuracy"]], {"tc/accuracy": far.record()})["marginal"] == 0
    assert ledger.margin_text(record) == f"{record['margin']['text']}; null {record['null']['margin']['text']}"
    assert "; null" not in ledger.margin_text(far.record())
    row, = ledger.figure_rows([reg["tc/accuracy"]], {"tc/accuracy": record})
    assert row["null_marginal"] and not row["marginal"]
    assert "null near the bar" in ledger.figure_svg([row], salt="tc")
    far_row, = ledger.figure_rows([reg["tc/accuracy"]], {"tc/accuracy": far.record()})
    assert not far_row["null_marginal"] and "null near the bar" not in ledger.figure_svg([far_row], salt="tc")


def test_the_runner_prints_which_side_is_marginal(reg, monkeypatch, capsys):
    from pathlib import Path

    from dltheory.book import notebooks

    records = [claims.check("tc/accuracy", [0.995, 0.999, 1.0], seeds=[0, 1, 2], null=nulls, display=False).record()
               for nulls in ([0.95, 0.97, 0.989], [0.5, 0.6, 0.7])]
    monkeypatch.setattr(notebooks, "run_page", lambda page, seed=None, keep_going=False: (1.0, records))
    assert notebooks._run([Path("page.md")], None) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "tc/accuracy" in line]
    assert lines[0].endswith("(required ≥ 0.99) — marginal: its null is near the bar")
    assert lines[1].endswith("(required ≥ 0.99)")


def test_margin_of_an_accuracy_at_its_ceiling(reg):
    # without a limit, 1.0 against >= 0.99 is 1% of |bar| away: marginal, though no value could be further
    one = claims.check("tc/accuracy", 1.0, display=False).margin
    assert one.relative == pytest.approx(0.01 / 0.99) and one.marginal
    # with limit = 1 the scale is the room between bar and ceiling: 1.0 is +100% of it
    m = claims.check("tc/ceiling", 1.0, display=False).margin
    assert m.relative == pytest.approx(1.0) and not m.marginal
    assert claims.check("tc/ceiling", [1.0, 1.0, 1.0], seeds=[0, 1, 2], display=False).margin.marginal is False
    # a value 5% of the room above the bar is near it, as it should be
    m = claims.check("tc/ceiling", 0.9905, display=False).margin
    assert m.relative == pytest.approx(0.05) and m.marginal
    # where the seeds have a spread, it decides as before
    v = claims.check("tc/ceiling", [1.0, 1.0, 0.991], seeds=[0, 1, 2], display=False)
    assert v.margin.marginal and v.margin.near == (2,)
    assert v.record()["limit"] == 1.0 and v.record()["scale"] == "linear"


def test_margin_of_a_ratio_in_log_space(reg):
    values = [500.0, 2000.0, 1e4]
    # linear: the seeds span decades, so the worst seed (50 times the bar) sits a tenth of a spread from it
    linear = claims.Margin.of(claims.Criterion(lower=10.0), values, 2000.0, "all", per_seed=True)
    assert linear.spreads < 0.1 and linear.marginal
    # in log space it is a factor 50 inside the bar, 2.6 spreads of the log values
    v = claims.check("tc/ratio", values, seeds=[0, 1, 2], display=False)
    m = v.margin
    assert m.absolute == pytest.approx(np.log(50)) and m.spread == pytest.approx(np.std(np.log(values), ddof=1))
    assert m.relative == pytest.approx(np.log(50) / np.log(10)) and m.spreads > 2 and not m.marginal
    assert m.describe().startswith("a factor 50 inside the bar (+170% of the bar, +2.6 seed spreads of the log")
    # a single ratio: near within 10% of the bar's log scale, ln 10 (a factor 10^0.1 = 1.26)
    assert claims.check("tc/ratio", 12.0, display=False).margin.marginal
    assert not claims.check("tc/ratio", 13.0, display=False).margin.marginal
    # the ledger's figure measures it the same way
    rows = ledger.figure_rows([reg["tc/ratio"]], {"tc/ratio": v.record()})
    assert rows[0]["lo"] == pytest.approx(np.log(50) / np.log(10)) and rows[0]["hi"] == pytest.approx(3.0)
    # a ratio of 0 (a run that fits nothing) is infinitely far below the bar, and the record stays plain JSON
    v = claims.check("tc/ratio", [0.0, 2000.0, 1e4], seeds=[0, 1, 2], display=False, raise_on_fail=False)
    assert v.status == "failed" and v.margin.absolute == -np.inf and "outside the bar" in v.margin.describe()
    record = json.loads(json.dumps(v.record(), allow_nan=False))
    assert record["margin"]["absolute"] == "-inf" and record["margin"]["scale"] == "log"
    row = ledger.figure_rows([reg["tc/ratio"]], {"tc/ratio": record})[0]
    assert row["lo"] == pytest.approx(np.log(200) / np.log(10))  # the ratio 0 is left out of the figure


@pytest.mark.parametrize(
    "extra, message",
    [
        ('scale = "logarithmic"\n', "scale must be one of ('linear', 'log')"),
        ('upper = 3\nlimit = 2\n', "limit applies to a one-sided bar"),
        ('limit = 0.5\n', "limit (0.5) must lie on the passing side of the bar, above 1"),
        ('limit = "one"\n', "limit must be a number"),
        ('scale = "log"\nlimit = -1\n', "limit must be positive on a log scale"),
        ('scale = "log"\nupper = 2\nlower = -1\n', "must lie above 0"),
    ],
)
def test_registry_rejects_malformed_margin_scales(tmp_path, extra, message):
    text = 'title = "T"\n' + CLAIM + extra
    if "lower = -1" in extra:
        text = text.replace("lower = 1\n", "", 1)
    with pytest.raises(ValueError, match=re.escape(message)):
        claims.load_registry([write(tmp_path, "tc", text)])
    with pytest.raises(ValueError, match="yes/no criterion has no margin"):
        claims.Criterion(expect=True, limit=1.0)
    theory = 'title = "T"\n[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\ntarget = "theory"\n'
    with pytest.raises(ValueError, match="register the ratio measured/theory"):
        claims.load_registry([write(tmp_path, "tc", theory + 'tol = 0.1\nscale = "log"\n')])


def test_few_seeds_are_flagged(reg):
    assert claims.check("tc/revised", [0.4, 0.5], seeds=[0, 1], display=False).few_seeds
    assert claims.check("tc/revised", 0.5, display=False).few_seeds
    v = claims.check("tc/revised", [0.4, 0.5, 0.6], seeds=[0, 1, 2], display=False)
    assert not v.few_seeds and "fewer than three" not in str(v)


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


def test_a_claim_is_checked_only_in_its_own_mode(reg, monkeypatch):
    # a fast-mode claim's bar belongs to the fast configuration: a full-mode measurement cannot be held against it
    assert claims.check("tc/fast-only", 0.3).passed
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    with pytest.raises(ValueError, match=r"only in the fast configuration \(mode = 'fast'\) and this is full mode"):
        claims.check("tc/fast-only", 0.3)
    # ... unless it is the saved fast-mode result, shown with its provenance
    prov = {"config": "n=120", "date": "2026-12-04", "device": "CPU", "mode": "fast"}
    assert claims.check("tc/fast-only", 0.3, provenance=prov).mode == "fast"
    # ... or a fast-configuration run trained in this full build (saved.fast_call): judged as a live fast-mode run
    v = claims.check("tc/fast-only", 0.3, provenance=prov | {"live": True})
    assert v.mode == "fast" and v.provenance is None and "saved" not in str(v)
    with pytest.raises(ValueError, match="live must be true or false"):
        claims.check("tc/fast-only", 0.3, provenance=prov | {"live": True} | {"live": "yes"})
    with pytest.raises(ValueError, match="fast-configuration experiment"):  # the one case fast_call makes
        claims.check("tc/accuracy", [0.995, 0.999, 1.0], provenance=prov | {"live": True, "mode": "full"})
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    with pytest.raises(ValueError, match="in a fast-mode build"):
        claims.check("tc/fast-only", 0.3, provenance=prov | {"live": True})
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    # and a saved result of the wrong mode is refused either way
    with pytest.raises(ValueError, match="comes from a full-mode run"):
        claims.check("tc/fast-only", 0.3, provenance=prov | {"mode": "full"})
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    with pytest.raises(ValueError, match="comes from a fast-mode run"):
        claims.check("tc/paper-scale", 0.995, provenance=prov)
    # a claim registered for any mode takes either
    assert claims.check("tc/accuracy", [0.995, 0.999, 1.0], provenance=prov | {"mode": "full"}).passed


def test_reproduces_per_mode(reg, monkeypatch):
    c = reg["tc/fast-not-full"]
    assert c.reproduces and c.reproduces_in("fast") and not c.reproduces_in("full")
    assert claims.check("tc/fast-not-full", [0.55, 0.58, 0.52]).status == "reproduced"
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/fast-not-full", [0.45, 0.58, 0.52])
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    v = claims.check("tc/fast-not-full", [0.55, 0.58, 0.52])  # misses the full-mode bar 0.6: as registered
    assert v.status == "not reproduced" and v.ok
    assert claims.check("tc/fast-not-full", [0.65, 0.68, 0.62]).status == claims.PASSED_THIS_RUN
    # a saved full-mode result checked in fast mode is judged as registered for full mode
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    prov = {"config": "paper", "date": "2026-12-04", "device": "H200", "mode": "full"}
    assert claims.check("tc/fast-not-full", [0.55, 0.58, 0.52], provenance=prov).status == "not reproduced"
    # the ledger's claim cell says in which mode it is not reproduced
    from dltheory.book.sphinxext import LedgerDirective
    assert "not reproduced by our code in full mode" in LedgerDirective._row(c, ("ours",))
    assert "fast-mode configuration only" in LedgerDirective._row(reg["tc/fast-only"], ("ours",))
    assert "not reproduced by our code)*" in LedgerDirective._row(reg["tc/not-here"], ("ours",))


@pytest.mark.parametrize(
    "extra, message",
    [
        ('mode = "fast"\n[claim.full]\nlower = 2\n', "[claim.full] applies in full mode, but the claim is registered"),
        ('mode = "full"\n[claim.fast]\nreproduces = false\n', "registered for full mode only"),
        ('[claim.full]\nreproduces = "no"\n', "[claim.full] reproduces must be true or false"),
        ('[claim.full]\nupper = 3\nnull = "x"\n', "[claim.full] may only set"),
        ('kind = "derivation"\n[claim.fast]\nreproduces = false\n', "a derivation either holds or is an error"),
        ('mode = "both"\n', "mode must be one of ('any', 'fast', 'full')"),
    ],
)
def test_registry_rejects_malformed_modes(tmp_path, extra, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + extra)])


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
    # a saved result is the registered evidence itself: if it passes, the registry contradicts it
    prov = {"config": "c", "date": "2026-12-04", "device": "H200", "mode": "fast"}
    with pytest.raises(claims.ClaimFailed, match="update the registry"):
        claims.check("tc/not-here", [60.0, 70.0], provenance=prov)


def test_registered_non_reproduction_that_passes_a_live_run_is_shown_not_raised(reg):
    # one live draw of the seeds passing does not overturn the registered result, and must not stop the page
    v = claims.check("tc/not-here", [60.0, 70.0, 55.0], seeds=[3, 4, 5])
    assert v.passed and v.ok and v.status == claims.PASSED_THIS_RUN == "not reproduced (passed this run)"
    assert str(v).startswith("NOT REPRODUCED (registered), BUT PASSED THIS RUN tc/not-here")
    assert "this run passes the bar" in v._repr_html_() and "claim holds" not in v._repr_html_()
    record = verdicts_in_html(v._repr_html_())[0]
    assert record["status"] == claims.PASSED_THIS_RUN and record["passed"] is True
    # the ledger counts it as registered (not reproduced), and its cell says it passed this time
    counts = ledger.counts([reg["tc/not-here"]], {"tc/not-here": record})
    assert counts["not reproduced"] == 1 and counts["reproduced"] == 0
    assert "passed in this build" in ledger.verdict_text(record)[0]
    # a live null that passes is shown too, not raised: nothing is counted as reproduced, and one draw of the
    # seeds does not make it "not a test"; the ledger counts it as registered and its cell says what passed
    v = claims.check("tc/not-here", [60.0, 70.0, 55.0], null=[51.0, 52.0, 53.0])
    assert v.ok and v.status == claims.NULL_PASSED_THIS_RUN == "not reproduced (its null passed this run)"
    assert str(v).startswith("NOT REPRODUCED (registered), AND ITS NULL PASSED THIS RUN tc/not-here")
    record = verdicts_in_html(v._repr_html_())[0]
    assert ledger.counts([reg["tc/not-here"]], {"tc/not-here": record})["not reproduced"] == 1
    assert "its null passed" in ledger.verdict_text(record)[0]
    assert claims.check("tc/not-here", [6.0, 7.0], null=[51.0, 52.0]).status == claims.NULL_PASSED_THIS_RUN
    # ... but a claim registered as reproducing still stops (test_a_null_that_passes_raises_cannot_fail), and so
    # does a saved result, the registered evidence itself
    v = judge.judge(reg["tc/not-here"], [60.0, 70.0, 55.0], null=[51.0, 52.0, 53.0], mode="fast",
                    provenance={"config": "c", "date": "d", "device": "cpu", "mode": "fast"})
    assert v.status == "cannot fail" and not v.ok


def test_min_pass_holds_on_most_seeds_and_reports_k_of_n(reg):
    v = claims.check("tc/most-seeds", [0.9, 0.8, 0.3, 0.7, 0.95], seeds=[0, 1, 2, 3, 4], null=[0.1] * 5)
    assert v.passed and v.status == "reproduced" and v.passing == (4, 5)
    assert v.seed_rule() == "4 of 5 seeds pass (at least 4 of 5 required; seed 2 misses)"
    assert "seeds passing: 4 of 5 seeds pass" in str(v) and "claim holds on 4 of 5 seeds" in v._repr_html_()
    record = v.record()
    assert record["passing"] == [4, 5] and record["min_pass"] == "4/5"
    assert ledger.verdict_text(record)[0] == "✔ reproduced on 4 of 5 seeds (at least 4/5 required)"
    # two misses are one too many
    with pytest.raises(claims.ClaimFailed, match=r"3 of 5 seeds pass \(at least 4 of 5 required; seeds 1, 2 miss\)"):
        claims.check("tc/most-seeds", [0.9, 0.4, 0.3, 0.7, 0.95], seeds=[0, 1, 2, 3, 4])
    # the number of seeds is part of the registered rule: no adding seeds until the share is met
    with pytest.raises(ValueError, match="judged on exactly 5 seeds, got 6"):
        claims.check("tc/most-seeds", [0.9] * 6)
    # the null is judged by the same rule: 4 of its 5 values passing means the check cannot fail
    with pytest.raises(claims.ClaimCannotFail):
        claims.check("tc/most-seeds", [0.9] * 5, null=[0.6, 0.6, 0.6, 0.6, 0.1])
    assert claims.check("tc/most-seeds", [0.9] * 5, null=[0.6, 0.6, 0.6, 0.1, 0.1]).ok
    # a null of another size needs the same share (ceil(4/5 * 2) = 2 of 2)
    assert claims.check("tc/most-seeds", [0.9] * 5, null=[0.6, 0.1]).ok
    # yes/no outcomes too
    v = claims.check("tc/most-seeds-yes", [True, False, True, True], seeds=[0, 1, 2, 3])
    assert v.passed and v.value is True and v.passing == (3, 4)
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/most-seeds-yes", [True, False, False, True])
    # the bar history records the rule it replaced
    assert reg["tc/most-seeds-yes"].bar_history[0].old == "true on every seed"


def test_min_pass_counts_a_degenerate_seed_as_a_miss_and_names_it(reg):
    # a dead run (flagged, or non-finite) is not averaged in: under "4 of 5" it is one of the seeds that miss
    v = claims.check("tc/most-seeds", [0.9, 0.8, 0.85, 0.7, 0.95], seeds=[0, 1, 2, 3, 4],
                     degenerate=[False, False, True, False, False], null=[0.1] * 5)
    assert v.status == "reproduced" and v.ok and v.degenerate == (2,) and v.passing == (4, 5)
    assert v.seed_rule() == "4 of 5 seeds pass (at least 4 of 5 required; seed 2 misses)"
    assert "Degenerate:</strong> seeds 2" in v._repr_html_() and v.null is not None and not v.null.passed
    assert v.value == pytest.approx(0.85) and v.margin.absolute == pytest.approx(0.2)  # the live seeds only
    # two dead seeds (one of them non-finite) leave three live ones: too few, and the verdict says why
    with pytest.raises(claims.DegenerateRun, match="seeds 1, 2"):
        claims.check("tc/most-seeds", [0.9, np.inf, 0.85, 0.7, 0.95], seeds=[0, 1, 2, 3, 4],
                     degenerate=[False, False, True, False, False])
    # a dead null still stops the check, and other claims still stop on any dead seed
    with pytest.raises(claims.DegenerateRun, match="null 0"):
        claims.check("tc/most-seeds", [0.9] * 5, degenerate=[False, False, True, False, False],
                     null=[np.nan, 0.1, 0.1, 0.1, 0.1])
    with pytest.raises(claims.DegenerateRun):
        claims.check("tc/accuracy", [0.995, 0.999, 1.0], degenerate=[False, True, False])


def test_min_pass_registered_not_reproduced_misses_with_a_dead_seed_as_registered(reg):
    # its rule counts the dead seed as a miss, so missing the share is the registered outcome, not a dead build
    v = claims.check("tc/most-seeds-not-reproduced", [0.9, 0.3, 0.85, 0.2, 0.95], seeds=[0, 1, 2, 3, 4],
                     degenerate=[False, False, True, False, False], null=[0.1] * 5, display=False)
    assert v.status == "not reproduced" and v.ok and v.degenerate == (2,) and v.passing == (2, 5)
    # holding on enough live seeds is a live pass of a claim registered not reproduced (one draw), as without a dead
    v = claims.check("tc/most-seeds-not-reproduced", [0.9, 0.8, 0.85, 0.7, 0.95], seeds=[0, 1, 2, 3, 4],
                     degenerate=[False, False, True, False, False], null=[0.1] * 5, display=False)
    assert v.status == "not reproduced (passed this run)" and v.ok and v.passing == (4, 5)
    # a dead null still stops it, and a claim registered as reproduced that misses with a dead seed still stops
    with pytest.raises(claims.DegenerateRun, match="null 0"):
        claims.check("tc/most-seeds-not-reproduced", [0.9] * 5, degenerate=[False, False, True, False, False],
                     null=[np.nan, 0.1, 0.1, 0.1, 0.1])
    with pytest.raises(claims.DegenerateRun, match="seeds 2"):
        claims.check("tc/most-seeds", [0.9, 0.3, 0.85, 0.2, 0.95], seeds=[0, 1, 2, 3, 4],
                     degenerate=[False, False, True, False, False])


def test_an_every_seed_claim_registered_not_reproduced_counts_a_dead_seed_as_its_registered_miss(reg):
    # "on every seed" is false on a seed that has no value: for a claim registered as not reproduced that is its
    # registered outcome, named in the verdict; the same dead seed still stops a claim registered as reproduced,
    # a claim on a median, and any claim with a dead null
    v = claims.check("tc/not-here", [60.0, np.inf, 70.0], seeds=[0, 1, 2], display=False)
    assert v.status == "not reproduced" and v.ok and v.degenerate == (1,) and not v.passed
    v = claims.check("tc/not-here", [60.0, 55.0, 70.0], seeds=[0, 1, 2], degenerate=[False, True, False],
                     display=False)
    assert v.status == "not reproduced" and v.ok and v.degenerate == (1,)
    with pytest.raises(claims.DegenerateRun, match="seeds 1"):
        claims.check("tc/accuracy", [0.995, np.inf, 0.999], seeds=[0, 1, 2])
    with pytest.raises(claims.DegenerateRun):
        claims.check("tc/median-acc", [0.995, np.inf, 0.999], seeds=[0, 1, 2])
    with pytest.raises(claims.DegenerateRun, match="null 0"):
        claims.check("tc/not-here", [60.0, np.inf, 70.0], seeds=[0, 1, 2], null=[np.nan, 1.0, 1.0])


def test_min_pass_margin_is_that_of_the_kth_best_seed(reg):
    # the rule needs 4 of 5: the 4th best seed decides, and a seed failing beyond that does not make it marginal
    v = claims.check("tc/most-seeds", [0.9, 0.92, 0.45, 0.88, 0.95], seeds=[0, 1, 2, 3, 4], display=False)
    assert v.margin.absolute == pytest.approx(0.38) and v.margin.spreads > 1.5
    assert v.margin.near == (2,) and not v.margin.marginal  # seed 2 misses near the bar, beyond what the rule needs
    # the 4th best seed near the bar (within one spread) makes it marginal
    v = claims.check("tc/most-seeds", [0.9, 0.8, 0.1, 0.52, 0.95], seeds=[0, 1, 2, 3, 4], display=False)
    assert v.margin.absolute == pytest.approx(0.02) and v.margin.marginal


def test_min_pass_chance_helps_choose_a_rule_before_measuring():
    assert claims.min_pass_chance("4/5", 0.93) == pytest.approx(5 * 0.93**4 * 0.07 + 0.93**5)
    assert claims.min_pass_chance("5/7", 0.93) > 0.99 > claims.min_pass_chance("4/5", 0.93) > 0.93**3
    assert claims.min_pass_chance("4/5", 0.3) < 0.05  # a null passing a seed in three rarely meets the rule
    assert claims.min_pass_chance("2/3", 1.0) == 1.0 and claims.min_pass_chance("2/3", 0.0) == 0.0
    with pytest.raises(ValueError, match="rate must be a probability"):
        claims.min_pass_chance("4/5", 1.5)
    with pytest.raises(ValueError, match="k must be a majority"):
        claims.min_pass_chance("2/5", 0.9)


@pytest.mark.parametrize(
    "extra, message",
    [
        ('min_pass = 0.8\nbar_fixed = "before"\n', 'min_pass must be a string "k/n"'),
        ('min_pass = "4 of 5"\nbar_fixed = "before"\n', 'min_pass must be a string "k/n"'),
        ('min_pass = "1/2"\nbar_fixed = "before"\n', "at least 3 seeds"),
        ('min_pass = "2/4"\nbar_fixed = "before"\n', "k must be a majority"),
        ('min_pass = "5/5"\nbar_fixed = "before"\n', "k must be a majority of n and below n"),
        ('min_pass = "4/5"\naggregate = "median"\nbar_fixed = "before"\n', 'needs aggregate = "all"'),
        ('min_pass = "4/5"\nstatistical = false\nbar_fixed = "before"\n', "statistical reproduction"),
        ('min_pass = "4/5"\n', "min_pass must say when it was fixed"),
        ('min_pass = "4/6"\nbar_fixed = "before"\n', 'its statement must name the rule ("on at least 4 of 6 seeds")'),
        ('min_pass = "4/5"\nbar_fixed = "after"\n', "needs a [[claim.bar_history]] entry"),
        ('min_pass = "4/5"\nbar_fixed = "after"\n[[claim.bar_history]]\nold = { min_pass = "9/5" }\nreason = "r"\n',
         "old min_pass"),
    ],
)
def test_registry_rejects_malformed_min_pass(tmp_path, extra, message):
    claim = CLAIM if "4/6" in extra else CLAIM.replace('statement = "s"', 'statement = "on at least 4 of 5 seeds"')
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + claim + extra)])
    assert "claim tc/x" in str(err.value)


def test_bar_history_is_parsed(reg):
    c = reg["tc/revised"]
    assert c.revised and c.bar_fixed == "after" and len(c.bar_history) == 2
    first, second = c.bar_history
    assert first.old == "in [0.2, 0.8]" and first.commit == "e7f4a61" and first.date == "2026-11-22"
    assert first.describe() == "was in [0.2, 0.8] (2026-11-22, commit e7f4a61): widened at the first run"
    assert second.old == "six budgets" and second.date == ""
    assert not reg["tc/exponent"].revised and reg["tc/exponent"].bar_history == ()
    assert "revised after measuring: was in \\[0.2, 0.8\\]" in ledger.revision_text(c)


CLAIM = '[[claim]]\nid = "tc/x"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\n'


@pytest.mark.parametrize(
    "extra, message",
    [
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { lower = 0.5 }\n', "tc/x: bar_history entry 1: is missing the field 'reason'"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nreason = "r"\n', "tc/x: bar_history entry 1: is missing the field 'old'"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = 0.5\nreason = "r"\n', "old must be a string or a table"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { lower = 0.5 }\nreason = "r"\nwhen = "x"\n', "unknown field"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { lower = 0.5 }\nreason = "r"\ndate = "22/11/2026"\n', "date must look like YYYY-MM-DD"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { lower = 0.5 }\nreason = "r"\ncommit = "main"\n', "commit must be a git hash"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { lower = 0.5 }\nreason = "  "\n', "reason must be a non-empty string"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { tol = 0.5 }\nreason = "r"\n', "old is not a valid criterion"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { aggregate = "max" }\nreason = "r"\n', "old aggregate"),
        ('bar_fixed = "after"\n[[claim.bar_history]]\nold = { lower = 0.5 }\nreason = "r"\nmode = "slow"\n', "mode must be 'fast' or 'full'"),
        ('[[claim.bar_history]]\nold = { lower = 0.5 }\nreason = "r"\n', 'set bar_fixed = "after"'),
        ('bar_fixed = "before"\n[[claim.bar_history]]\nold = "x"\nreason = "r"\n', 'set bar_fixed = "after"'),
        ('bar_fixed = "later"\n', "bar_fixed must be one of"),
        ('bar_history = "x"\n', "bar_history must be a list"),
        ('kind = "experiment"\n', "kind must be one of"),
        ('null = "shuffled"\nnull_reason = "none"\n', "either null"),
        ('null = ""\n', "null must be a non-empty string"),
        ('kind = "derivation"\nnull = "shuffled"\n', "a derivation measures nothing"),
        ('kind = "derivation"\nreproduces = false\n', "a derivation either holds or is an error"),
        ('paper_value = "0.5"\n', "paper_value must be a finite number"),
        ('statistical = "yes"\n', "statistical must be true or false"),
    ],
)
def test_registry_rejects_malformed_new_fields(tmp_path, extra, message):
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + extra)])
    assert "claim tc/x" in str(err.value)  # names the claim


def test_bar_fixed_with_code_names_its_commit_and_is_not_revised(tmp_path):
    # a bar committed together with the code that measures it: neither "before" (unproven) nor revised
    extra = 'bar_fixed = "with-code"\nbar_commit = "ea607b8"\n'
    c = claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + extra)])["tc/x"]
    assert c.bar_fixed == "with-code" and c.bar_commit == "ea607b8"
    assert not c.revised and c.bar_history == ()
    text = ledger.revision_text(c)
    assert "commit ea607b8" in text and "not shown to be fixed before the first measurement" in text
    assert "revised" not in text
    assert ledger.counts([c], {})["revised"] == 0


@pytest.mark.parametrize(
    "extra, message",
    [
        ('bar_fixed = "with-code"\n', 'bar_commit = "<hash>"'),
        ('bar_fixed = "before"\nbar_commit = "ea607b8"\n', 'bar_commit applies only to bar_fixed = "with-code"'),
        ('bar_commit = "ea607b8"\n', 'bar_commit applies only to bar_fixed = "with-code"'),
        ('bar_fixed = "with-code"\nbar_commit = "main"\n', "bar_commit must be a git hash"),
        ('bar_fixed = "with-code"\nbar_commit = "ea607b8"\n[[claim.bar_history]]\nold = "x"\nreason = "r"\n',
         'set bar_fixed = "after"'),
    ],
)
def test_bar_fixed_with_code_rejects_malformed(tmp_path, extra, message):
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + extra)])
    assert "claim tc/x" in str(err.value)


NOT_A_TEST = CLAIM + 'null = "random labels"\nnull_passes = true\nbar_fixed = "before"\n'


@pytest.fixture
def not_a_test(tmp_path, monkeypatch):
    other = '[[claim]]\nid = "tc/y"\nstatement = "s"\nsource = "k"\npaper = "p"\nlower = 1\nnull = "random labels"\n'
    registry = claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + NOT_A_TEST + other)])
    monkeypatch.setattr(claims, "registry", lambda: registry)
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    return registry


def test_a_claim_whose_null_meets_the_bar_is_registered_as_not_a_test(not_a_test):
    c = not_a_test["tc/x"]
    assert c.null_passes and c.not_a_test and not not_a_test["tc/y"].not_a_test
    # the same measurement and null that raise ClaimCannotFail for an ordinary claim ...
    with pytest.raises(claims.ClaimCannotFail):
        claims.check("tc/y", [1.5, 2.0, 3.0], seeds=[0, 1, 2], null=[1.2, 1.4, 2.0], display=False)
    # ... are the registered outcome here: shown, not raised, and neither reproduced nor not reproduced
    v = claims.check("tc/x", [1.5, 2.0, 3.0], seeds=[0, 1, 2], null=[1.2, 1.4, 2.0], display=False)
    assert v.status == claims.NOT_A_TEST == "not a test" and v.ok and v.null.passed
    assert "NOT A TEST" in str(v) and "not a test: its null meets the bar" in v._repr_html_()
    record = verdicts_in_html(v._repr_html_())[0]
    assert record["status"] == "not a test" and record["null"]["passed"] is True
    # a measurement that misses the bar does not make it a test either: its null still meets the bar
    assert claims.check("tc/x", [0.5, 0.6, 0.7], null=[1.2, 1.4, 2.0], display=False).status == "not a test"
    # it must show its null: without one the verdict could not say why it is no test
    with pytest.raises(ValueError, match="null_passes = true"):
        claims.check("tc/x", [1.5, 2.0, 3.0], display=False)


def test_a_not_a_test_claim_whose_null_misses_is_shown_live_and_raised_on_a_saved_result(not_a_test, monkeypatch):
    v = claims.check("tc/x", [1.5, 2.0, 3.0], seeds=[0, 1, 2], null=[0.2, 0.4, 0.3], display=False)
    assert v.status == claims.NULL_MISSED_THIS_RUN and v.ok and "NULL MISSED THIS RUN" in str(v)
    saved = {"config": "c", "date": "2026-12-05", "device": "cpu", "mode": "fast"}
    with pytest.raises(claims.ClaimFailed, match="update the registry"):
        claims.check("tc/x", [1.5, 2.0, 3.0], null=[0.2, 0.4, 0.3], provenance=saved, display=False)
    # a degenerate run is still reported as such
    with pytest.raises(claims.DegenerateRun):
        claims.check("tc/x", [1.5, float("nan"), 3.0], null=[1.2, 1.4, 2.0], display=False)


def test_the_ledger_counts_not_a_test_apart(not_a_test):
    x, y = not_a_test["tc/x"], not_a_test["tc/y"]
    records = {
        "tc/x": claims.check("tc/x", [1.5, 2.0, 3.0], null=[1.2, 1.4, 2.0], display=False).record(),
        "tc/y": claims.check("tc/y", [1.5, 2.0, 3.0], null=[0.2, 0.4, 0.3], display=False).record(),
    }
    c = ledger.counts([x, y], records)
    assert c["not a test"] == 1 and c["reproduced"] == 1 and c["not reproduced"] == 0
    assert c["null tested"] == 1 and c["without a null"] == 0  # its null was measured: it passes, it is not missing
    assert ledger.counts([x], {})["without a null"] == 0 and ledger.counts([x], {})["not checked"] == 1
    missed = claims.check("tc/x", [1.5, 2.0, 3.0], null=[0.2, 0.4, 0.3], display=False).record()
    assert ledger.counts([x], {"tc/x": missed})["not a test"] == 1  # counted as registered, like PASSED_THIS_RUN
    assert ledger.verdict_text(records["tc/x"]) == ("○ not a test: its null meets the bar", "dltheory-partial")
    assert ledger.null_text(x, records["tc/x"]).endswith("passes the bar too")
    rows = ledger.figure_rows([x, y], records)
    assert rows[0]["status"] == "not a test" and "not a test" in ledger.figure_svg(rows, salt="t")


def test_the_seed_table_counts_a_registered_not_a_test_as_held():
    from dltheory.book import notebooks

    statuses = {"c/nat": {0: claims.NOT_A_TEST, 1: claims.NULL_MISSED_THIS_RUN},
                "c/stale": {0: claims.NULL_MISSED_THIS_RUN, 1: claims.NULL_MISSED_THIS_RUN}}
    assert set(claims.STATUSES) <= set(notebooks.MARKS)
    assert set(notebooks._OK) == set(claims.OK_STATUSES)  # the runner's list of statuses that go on is the judge's
    table = {cid: {s: notebooks.MARKS[st] for s, st in row.items()} for cid, row in statuses.items()}
    text = notebooks.seed_table(table, statuses, [0, 1])
    assert "c/nat" in text and "failed" not in text
    assert text.endswith("its null missed the bar on every base seed (register it again?): c/stale")


@pytest.mark.parametrize(
    "extra, message",
    [
        ('null_passes = true\n', "needs a reproduction with a null"),
        ('null_reason = "none"\nnull_passes = true\n', "needs a reproduction with a null"),
        ('kind = "derivation"\nnull_passes = true\n', "needs a reproduction with a null"),
        ('null = "r"\nnull_passes = true\nreproduces = false\n', "drop reproduces"),
        ('null = "r"\nnull_passes = true\n[claim.full]\nreproduces = false\n', "drop reproduces"),
        ('null = "r"\nnull_passes = "yes"\n', "null_passes must be true or false"),
    ],
)
def test_null_passes_rejects_malformed(tmp_path, extra, message):
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + extra)])
    assert "claim tc/x" in str(err.value)


_ON = '[claim.registered_on]\nbase_seeds = [2, 3]\nreason = "it missed there"\n'


@pytest.mark.parametrize(
    "extra, message",
    [
        (_ON, "applies to a claim registered not reproduced (in fast mode) or not a test"),
        ('reproduces = false\n[claim.full]\nreproduces = true\n' + _ON.replace("reason", 'mode = "full"\nreason'),
         "not reproduced (in full mode)"),
        ('reproduces = false\nregistered_on = "base seed 2"\n', "must be a table"),
        ('reproduces = false\n' + _ON.replace("[2, 3]", "[]"), "non-empty list of distinct non-negative ints"),
        ('reproduces = false\n' + _ON.replace("[2, 3]", "[2, 2]"), "non-empty list of distinct non-negative ints"),
        ('reproduces = false\n' + _ON.replace("[2, 3]", "[-1]"), "non-empty list of distinct non-negative ints"),
        ('reproduces = false\n' + _ON.replace("[2, 3]", "[true]"), "non-empty list of distinct non-negative ints"),
        ('reproduces = false\n' + _ON.replace("[2, 3]", '"2"'), "non-empty list of distinct non-negative ints"),
        ('reproduces = false\n' + _ON.replace('"it missed there"', '" "'), "reason must be a non-empty string"),
        ('reproduces = false\n' + _ON.replace("reason", 'mode = "gpu"\nreason'), "mode must be 'fast' or 'full'"),
        ('reproduces = false\nmode = "fast"\n' + _ON.replace("reason", 'mode = "full"\nreason'),
         "fast mode only"),
        ('reproduces = false\n' + _ON + 'when = "today"\n', "unknown field(s) ['when']"),
    ],
)
def test_registered_on_rejects_malformed(tmp_path, extra, message):
    with pytest.raises(ValueError, match=re.escape(message)) as err:
        claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + extra)])
    assert "claim tc/x" in str(err.value)


def test_registered_on_names_the_base_seeds_of_a_registered_outcome(tmp_path):
    reg = claims.load_registry([write(tmp_path, "tc", 'title = "T"\n' + CLAIM + 'reproduces = false\n' + _ON
                                      + CLAIM.replace("tc/x", "tc/y") + 'null = "r"\nnull_passes = true\n'
                                      + _ON.replace("[2, 3]", "[1002]"))])
    on = reg["tc/x"].registered_on
    assert on.base_seeds == (2, 3) and on.mode == "fast" and on.reason == "it missed there"
    assert on.describe() == "registered on base seeds 2, 3 (fast mode): it missed there"
    assert reg["tc/y"].registered_on.describe().startswith("registered on base seed 1002 (fast mode)")
    # a claim registered for full mode only explains a full-mode record by default
    full = claims.load_registry([write(tmp_path, "tf", 'title = "T"\n' + CLAIM.replace("tc/x", "tf/x")
                                       + 'reproduces = false\nmode = "full"\n' + _ON)])
    assert full["tf/x"].registered_on.mode == "full"


def test_a_verdict_made_under_another_registration_is_stale(reg):
    # a page read back from the execution cache after its claim was registered again shows the old verdict
    assert ledger.stale_verdict(reg["tc/accuracy"], {"status": "reproduced", "passed": True, "mode": "fast"}) is None
    assert ledger.stale_verdict(reg["tc/not-here"], {"status": "not reproduced", "passed": False, "mode": "fast"}) is None
    why = ledger.stale_verdict(reg["tc/not-here"], {"status": "reproduced", "passed": True, "mode": "fast"})
    assert why == "its verdict says 'reproduces' but the registry now says 'not reproduced'"
    assert "derivation" in ledger.stale_verdict(reg["tc/arithmetic"], {"status": "reproduced", "passed": True})
    # per mode: reproduces in fast mode, registered not reproduced in full mode
    assert ledger.stale_verdict(reg["tc/fast-not-full"], {"status": "reproduced", "passed": True, "mode": "full"})
    assert ledger.stale_verdict(reg["tc/fast-not-full"], {"status": "reproduced", "passed": True, "mode": "fast"}) is None
    # a failing status stops the build by itself and implies no registration
    assert ledger.stale_verdict(reg["tc/not-here"], {"status": "failed", "passed": False, "mode": "fast"}) is None
    # every status a page can print that the build lets through is covered
    assert set(ledger._REGISTERED_AS) == set(claims.STATUSES) - {"failed", "cannot fail", "degenerate"}


def test_ledger_counts_and_cells(reg):
    def rec(cid, *args, **kw):
        return claims.check(cid, *args, display=False, raise_on_fail=False, **kw).record()

    records = {
        "tc/accuracy": rec("tc/accuracy", [0.995, 0.999, 1.0], seeds=[0, 1, 2], null=[0.5, 0.6, 0.7]),
        "tc/median-acc": rec("tc/median-acc", [0.989, 0.995, 0.999], seeds=[0, 1, 2]),  # marginal
        "tc/exponent": rec("tc/exponent", [0.5, 0.51], seeds=[0, 1]),  # under three seeds
        "tc/not-here": rec("tc/not-here", [1.0, 1.2, 1.1], seeds=[0, 1, 2]),
        "tc/arithmetic": rec("tc/arithmetic", 0.46),
        "tc/revised": rec("tc/revised", [0.4, 0.5, 0.6], seeds=[0, 1, 2]),
        "tc/control": rec("tc/control", [False, False], seeds=[0, 1]),  # yes/no: no margin, no seeds flag
    }
    c = ledger.counts(list(reg.values()), records)
    assert c == {"reproduced": 5, "not reproduced": 1, "not a test": 0, "derivations": 1, "null tested": 1,
                 "without a null": 15,
                 "revised": 2, "marginal": 1, "few seeds": 1, "not checked": 10}
    assert [k for k, _ in ledger.COUNTS] == list(c)
    assert ledger.null_text(reg["tc/accuracy"], records["tc/accuracy"]).endswith("0.6 (range 0.5–0.7), misses the bar")
    assert ledger.null_text(reg["tc/revised"], records["tc/revised"]).startswith("named, not measured yet")
    assert ledger.null_text(reg["tc/exponent"], None) == "none yet"
    assert ledger.null_text(reg["tc/arithmetic"], None).startswith("—")
    assert "marginal" in ledger.margin_text(records["tc/median-acc"])
    assert "fewer than 3 seeds" in ledger.margin_text(records["tc/exponent"])
    assert ledger.margin_text(records["tc/control"]) == "— (yes/no)"
    rows = ledger.figure_rows(list(reg.values()), records)
    assert [r["id"] for r in rows] == ["tc/exponent", "tc/accuracy", "tc/median-acc", "tc/not-here", "tc/arithmetic",
                                      "tc/revised"]
    acc = rows[1]
    assert acc["lo"] == pytest.approx(0.005 / 0.99) and acc["null"] == pytest.approx((0.6 - 0.99) / 0.99)
    assert rows[-1]["label"] == "revised †" and rows[-2]["label"] == "arithmetic (=)"
    svg = ledger.figure_svg(rows, salt="tc")
    assert svg.startswith("<svg") and "revised †" in svg
    assert ledger.figure_svg([], salt="tc") == ""


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


def test_keep_going_shows_a_failed_claim_without_raising(reg, monkeypatch):
    # seed sweeps (notebooks run --keep-going, make seeds) must reach every claim of a page
    monkeypatch.setenv("DLTHEORY_CLAIMS_KEEP_GOING", "1")
    v = claims.check("tc/exponent", 0.9, display=False)
    assert v.status == "failed" and not v.ok
    with pytest.raises(ValueError, match="not registered"):  # bad input still stops the page
        claims.check("tc/nope", 0.5)
    monkeypatch.setenv("DLTHEORY_CLAIMS_KEEP_GOING", "0")
    with pytest.raises(claims.ClaimFailed):
        claims.check("tc/exponent", 0.9, display=False)
    monkeypatch.setenv("DLTHEORY_CLAIMS_KEEP_GOING", "maybe")
    with pytest.raises(ValueError, match="DLTHEORY_CLAIMS_KEEP_GOING must be 0 or 1"):
        claims.keep_going()


def test_seed_table_counts_where_the_registered_outcome_held():
    from dltheory.book import notebooks

    seeds = [0, 1, 2]
    statuses = {
        "c/holds": dict.fromkeys(seeds, "reproduced"),
        "c/flips": {0: "reproduced", 1: "failed", 2: "reproduced"},
        "c/stale": dict.fromkeys(seeds, claims.PASSED_THIS_RUN),
        "c/chance": {0: "not reproduced", 1: claims.PASSED_THIS_RUN, 2: "not reproduced"},
    }
    table = {cid: {s: notebooks.MARKS[st] + " 0.5" for s, st in row.items()} for cid, row in statuses.items()}
    table["page.md (page)"] = {1: "error"}
    text = notebooks.seed_table(table, statuses, seeds)
    rows = {line.split(" | ")[0].strip(): line.split(" | ")[-1] for line in text.splitlines() if " | " in line}
    assert rows == {"claim": "held", "c/holds": "3/3", "c/flips": "2/3", "c/stale": "3/3", "c/chance": "3/3",
                    "page.md (page)": "0/3"}
    assert "failed (or never reached) on some base seed: c/flips (2/3), page.md (page) (0/3)" in text
    assert text.endswith("yet passed on every base seed (register it again?): c/stale")


def test_the_sign_of_a_margin_agrees_with_the_verdict_on_every_scale():
    rng = np.random.default_rng(0)
    for _ in range(400):
        lower, upper = sorted(rng.uniform(0.1, 20, size=2))
        kind = rng.integers(3)
        bounds = {"lower": lower} if kind == 0 else {"upper": upper} if kind == 1 else {"lower": lower, "upper": upper}
        log = bool(rng.integers(2))
        limit = None
        if kind == 0 and rng.integers(2):
            limit = lower + rng.uniform(0.01, 5)
        elif kind == 1 and rng.integers(2):
            limit = upper * rng.uniform(0.01, 0.99)
        crit = claims.Criterion(**bounds, log_scale=log, limit=limit)
        for v in rng.uniform(-1, 25, size=20):
            m = crit.signed_margin(v)
            assert (m >= 0) == crit.holds(v), (bounds, log, limit, v, m)
        assert crit.scale() > 0


def test_a_book_build_with_keep_going_set_warns(monkeypatch):
    from types import SimpleNamespace

    from dltheory.book import sphinxext

    seen = []
    monkeypatch.setattr(sphinxext.logger, "warning", lambda msg, *a, **k: seen.append(msg))
    app = SimpleNamespace(config=SimpleNamespace(dltheory_ledger_require_all=False))
    env = SimpleNamespace(dltheory_claims={})
    monkeypatch.setenv("DLTHEORY_CLAIMS_KEEP_GOING", "0")
    sphinxext._check_consistency(app, env)
    assert seen == []
    monkeypatch.setenv("DLTHEORY_CLAIMS_KEEP_GOING", "1")
    sphinxext._check_consistency(app, env)
    assert seen and "failed claims would not stop this build" in seen[0]


@pytest.mark.parametrize("crit", [criteria.Criterion(lower=1.0), criteria.Criterion(upper=0.1),
                                  criteria.Criterion(target=0.5, tol=0.1),
                                  criteria.Criterion(target=2.0, rtol=0.25, lower=1.8),
                                  criteria.Criterion(lower=-1, upper=1)])
def test_holds_each_is_holds_for_every_entry(crit):
    """The vectorised rule (what the robustness estimate judges thousands of drawn runs with, and holds uses) accepts
    exactly the finite values inside the criterion's interval, its ends included."""
    v = np.r_[np.random.default_rng(0).normal(0.5, 1.5, (40,)), 1.0, 0.1, 0.4, 0.6, 1.5, 2.5, np.nan, np.inf, -np.inf]
    lo, hi = crit.interval()
    assert crit.holds_each(v).tolist() == [bool(np.isfinite(x) and lo <= x <= hi) for x in v]
    assert [crit.holds(x) for x in v] == crit.holds_each(v).tolist()
    assert crit.holds_each(v.reshape(7, 7)).shape == (7, 7)


@pytest.mark.parametrize("expect", [True, False])
def test_holds_each_of_yes_no_answers_is_holds_and_a_dead_seed_never_holds(expect):
    crit = criteria.Criterion(expect=expect)
    answers = np.array([1.0, 0.0, np.nan, 1.0])
    assert crit.holds_each(answers).tolist() == [expect, not expect, False, expect]
    assert [crit.holds(a) for a in answers] == crit.holds_each(answers).tolist()
    assert crit.holds_each(np.array([True, False])).tolist() == [crit.holds(True), crit.holds(False)]
    with pytest.raises(ValueError, match="1 or 0"):
        crit.holds_each(np.array([0.7]))
    with pytest.raises(ValueError, match="1 or 0"):
        crit.holds(2)


@pytest.mark.parametrize("min_pass", [None, "2/3"])
@pytest.mark.parametrize("expect", [True, False])
def test_aggregate_passes_is_the_judge_s_yes_no_rule_for_one_run_and_for_many(expect, min_pass):
    """One rule for answers, as for numbers: a run passes when enough answers are the expected one (all, or the
    min_pass share), a dead seed's NaN is never one, and its aggregate equals ``expect`` exactly when it passes."""
    raw = {"id": "t/yn", "statement": "s, on at least 2 of 3 seeds", "source": "paper", "paper": "a paper", "null": "a null", "expect": expect}
    claim = schema.parse_claim(raw | ({"min_pass": min_pass, "bar_fixed": "before"} if min_pass else {}), "t", "test")
    crit = claim.criterion
    e, o = float(expect), float(not expect)
    runs = np.array([[e, e, e], [e, e, o], [e, o, o], [e, e, np.nan], [o, o, o]])
    need = judge.needed(claim, 3, "measured")
    passed, value = judge.aggregate_passes(claim, crit, runs, need)
    want = [True, min_pass is not None, False, min_pass is not None, False]
    assert passed.tolist() == want and (value == (passed == expect)).all()
    for row, ok in zip(runs, want):
        assert judge.aggregate_passes(claim, crit, row, need) == (ok, ok == expect)
