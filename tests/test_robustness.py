"""The estimate of how often a fresh base seed would turn a claim (dltheory.book.robustness), from pooled values."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

from dltheory import claims as claims_pkg
from dltheory.book import arithmetic
from dltheory.book import robustness as rb
from dltheory.book import seeds, sphinxext
from dltheory.claims import schema

from test_seed_record import PAGE, _judged, repo  # noqa: F401 - the toy repository fixture


def _claim(**raw) -> schema.Claim:
    base = {"id": "x/a", "statement": "s", "source": "paper", "paper": "a paper", "null": "a null"}
    return schema.parse_claim({**base, **raw}, "x", "test")


def _runs(loc, scale, n_runs=40, n=3):
    """Seeds at the normal distribution's quantiles (no sampling noise), shuffled into runs of ``n``."""
    q = loc + scale * stats.norm.ppf((np.arange(n_runs * n) + 0.5) / (n_runs * n))
    return [list(r) for r in np.random.default_rng(0).permutation(q).reshape(n_runs, n)]


def test_the_model_is_one_normal_unless_the_values_form_clusters() -> None:
    x = _runs(0.5, 0.1, n_runs=30, n=1)
    one = rb.fit_mixture(np.ravel(x))
    assert one.weights == (1.0,) and one.means[0] == pytest.approx(0.5) and one.sds[0] == pytest.approx(0.1, rel=0.05)
    outlier = rb.fit_mixture(np.r_[np.ravel(x), 1.5])  # one value far out is a tail, not a cluster of its own
    assert len(outlier.weights) == 1 and outlier.sds[0] > one.sds[0]
    rng = np.random.default_rng(0)
    two = rb.fit_mixture(np.r_[0.003 + 0.001 * rng.standard_normal(40), 0.4 + 0.005 * rng.standard_normal(10)])
    order = np.argsort(two.means)
    assert len(two.weights) == 2 and np.allclose(np.asarray(two.weights)[order], [0.8, 0.2], atol=0.01)
    assert np.asarray(two.sds)[order][0] == pytest.approx(0.001, rel=0.3)
    point = rb.fit_mixture(np.array([2.0, 2.0, 2.0, np.nan]))
    assert point.means == (2.0,) and point.sds == (0.0,) and point.degenerate == 0.25
    assert np.isnan(point.sample_runs(np.random.default_rng(1), 4000, 1)).mean() == pytest.approx(0.25, abs=0.03)
    with pytest.raises(ValueError, match="no values"):
        rb.fit_mixture(np.array([]))


@pytest.mark.parametrize("loc, expected", [(0.5, 0.0), (0.9, 1 - stats.norm.cdf(1.0) ** 3)])
def test_every_seed_rule_fails_as_often_as_its_seeds_cross_the_bar(loc, expected) -> None:
    """Every one of three seeds must be at most 1; seeds ~ N(loc, 0.1): a run fails with 1 - Phi((1-loc)/0.1)^3
    (0.41 at loc 0.9; the Student-t predictive of 120 values is a little wider than the normal, hence the
    tolerance)."""
    claim = _claim(upper=1.0)
    assert rb.chance_fails(claim, claim.criterion, _runs(loc, 0.1), True) == pytest.approx(expected, abs=0.05)


def test_a_mean_fails_only_when_the_mean_crosses() -> None:
    """The same seeds judged by their mean of three: sd 0.1/sqrt(3), so the mean crosses 1 with Phi(-1.73) = 4%."""
    claim = _claim(upper=1.0, aggregate="mean")
    assert rb.chance_fails(claim, claim.criterion, _runs(0.9, 0.1), True) == pytest.approx(
        stats.norm.sf(math.sqrt(3)), abs=0.03)


def test_two_clusters_stay_apart() -> None:
    """A median of 15 seeds, 4 of which find no solution (0.4) and 11 do (0.003): the median crosses 0.05 only
    when 8 of 15 fail, P(Bin(15, 4/15) >= 8) = 2.5%. A normal fit to the pooled values would say ~40%."""
    claim = _claim(upper=0.05, aggregate="median")
    rng = np.random.default_rng(3)
    runs = [list(rng.permutation(np.r_[0.4 + 0.005 * rng.standard_normal(4), 0.003 + 0.001 * rng.standard_normal(11)]))
            for _ in range(10)]
    assert rb.chance_fails(claim, claim.criterion, runs, True) == pytest.approx(stats.binom.sf(7, 15, 4 / 15),
                                                                              abs=0.012)


def test_conditions_are_drawn_position_by_position() -> None:
    """Two conditions, not seeds: every one at most 1; the first at 0.5 +- 0.05 never crosses, the second at
    0.9 +- 0.1 crosses with 1 - Phi(1) = 16%."""
    claim = _claim(upper=1.0)
    runs = [[a[0], b[0]] for a, b in zip(_runs(0.5, 0.05, n=1), _runs(0.9, 0.1, n=1))]
    assert rb.chance_fails(claim, claim.criterion, runs, False) == pytest.approx(stats.norm.sf(1.0), abs=0.03)
    with pytest.raises(ValueError, match="as many in every run"):
        rb.chance_fails(claim, claim.criterion, [[1.0, 2.0], [1.0]], False)


def test_min_pass_and_yes_no_claims() -> None:
    """2 of 3 seeds at least 1, seeds ~ N(1.1, 0.1): a seed misses with p = Phi(-1) = 0.16, a run with
    P(Bin(3, p) >= 2). Yes/no seeds are resampled as they are: one false in ten, every one of three required."""
    claim = _claim(lower=1.0, min_pass="2/3", statement="holds on at least 2 of 3 seeds",
                   bar_fixed="before")
    runs = _runs(1.1, 0.1)
    p = stats.norm.cdf(-1.0)
    assert rb.chance_fails(claim, claim.criterion, runs, True) == pytest.approx(stats.binom.sf(1, 3, p), abs=0.04)
    # yes/no: 29 of 30 true, every one of three required; the chance of true is uncertain (Jeffreys posterior
    # Beta(29.5, 1.5)), so a run fails with 1 - E[p^3] = 0.134, not the plug-in 1 - (29/30)^3 = 0.097
    yes = _claim(expect=True)
    runs = [[True, True, True]] * 9 + [[True, False, True]]
    a, b = 29.5, 1.5
    assert rb.chance_fails(yes, yes.criterion, runs, True) == pytest.approx(
        1 - a * (a + 1) * (a + 2) / ((a + b) * (a + b + 1) * (a + b + 2)), abs=0.02)
    # ... and thirty true of thirty still leave a few per cent (a plain resample would say 0)
    assert 0.01 < rb.chance_fails(yes, yes.criterion, [[True] * 3] * 10, True) < 0.1


@pytest.mark.parametrize("bar, tol", [(10.0, 0.01), (5.0, 0.003)])
def test_a_ratio_is_drawn_on_its_log_scale(bar, tol) -> None:
    """Ratios spread over decades (log-normal seeds, median 100, a factor e for one sd) against >= bar: a run of
    three fails with 1 - (1 - Phi(-ln(100 / bar)))^3, 3.2% at bar 10, 0.4% at bar 5 (the far tail)."""
    claim = _claim(lower=bar, scale="log")
    runs = [list(np.exp(r)) for r in _runs(math.log(100), 1.0)]
    expected = 1 - (1 - stats.norm.cdf(-math.log(100 / bar))) ** 3
    assert rb.chance_fails(claim, claim.criterion, runs, True) == pytest.approx(expected, abs=tol)


def test_a_null_on_more_seeds_than_its_claim_is_drawn_with_all_of_them() -> None:
    """A null judged on twenty seeds by the claim's 4-of-5 share (needing 16 of 20) passes far less often than on
    five: each value passes with chance about 0.34 here, so 4 of 5 about 5% of the time, 16 of 20 almost never. The
    claim's seed labels (five) must not cut the null's values to five."""
    rng = np.random.default_rng(3)
    claim = _claim(upper=0.0125, min_pass="4/5", statement="s, on at least 4 of 5 seeds", bar_fixed="before")
    entries = [{"values": list(rng.uniform(0.002, 0.005, 5)), "seeds": [s, s + 1, s + 2, s + 3, s + 4],
                "null_values": list(rng.lognormal(math.log(0.02), 0.7, 20)), "per_seed": True,
                "interval": [None, 0.0125], "scale": "linear"} for s in range(0, 1000, 100)]
    assert rb.estimate(claim, entries).null_passes < 0.005
    five = [{**e, "null_values": e["null_values"][:5]} for e in entries]
    assert rb.estimate(claim, five).null_passes > 0.01


def test_an_estimate_says_what_turns_a_claim_by_its_registration() -> None:
    rng = np.random.default_rng(6)
    entries = [{"values": list(rng.normal(0.9, 0.1, 3)), "null_values": list(rng.normal(0.98, 0.05, 3)),
                "per_seed": True, "interval": [None, 1.0], "scale": "linear"} for _ in range(20)]
    est = rb.estimate(_claim(upper=1.0), entries)
    assert est.turn == pytest.approx(1 - (1 - est.fails) * (1 - est.null_passes))
    assert est.null_passes > 0.1 and est.fails > 0.2 and est.runs == 20 and est.seeds == 60
    assert est.outside == sum(v > 1.0 for e in entries for v in e["values"])  # the values that miss, one by one
    nr = rb.estimate(_claim(upper=1.0, reproduces=False), entries)
    assert nr.turn == pytest.approx(1 - nr.fails)  # passing; its null passing is shown, not raised (no dead null here)
    nat = rb.estimate(_claim(upper=1.0, null_passes=True), entries)
    assert nat.turn == pytest.approx(1 - nat.null_passes)  # no dead null: its null missing
    few = rb.estimate(_claim(upper=1.0), entries[:2])
    assert few.turn is None and "2 distinct run" in few.note
    # the recorded interval decides (a target the page derives), not the registry's bar
    moved = [{**e, "interval": [None, 2.0]} for e in entries]
    assert rb.estimate(_claim(upper=1.0), moved).fails < 0.01


def test_the_audit_reads_the_seed_record_and_counts_a_saved_run_once(repo: Path, monkeypatch) -> None:  # noqa: F811
    seeds_a = _runs(1.1, 0.05, n_runs=6)
    saved = "saved fast-mode run toy.npz, of today's code (toy config; 2026-12-01; cpu; DLTHEORY_LIVE=1 reruns it)"
    for seed in range(6):
        a = _judged("toy/a", "reproduced", 1.5)
        a.update(values=seeds_a[seed], seeds=[seed, seed + 1, seed + 2], interval=[1.0, None])
        b = _judged("toy/b", "reproduced", 2.5, provenance=saved if seed < 4 else None)
        b.update(values=[2.5, 2.6, 2.4], seeds=[0, 1, 2], interval=[2.0, None])
        seeds.record_run(Path(PAGE), seed, [a, b], seconds=1.0, root=repo)
    entry = seeds.load(Path(PAGE), repo)["runs"][0]["verdicts"]["toy/a"]
    assert entry["per_seed"] and len(entry["values"]) == 3 and entry["interval"] == [1.0, None]
    registry = {cid: schema.parse_claim({"id": cid, "statement": "s", "source": "p", "paper": "p", "null": "n",
                                         "lower": bar}, "toy", "test") for cid, bar in (("toy/a", 1.0), ("toy/b", 2.0))}
    records = seeds.fresh_records(repo)
    out = {e.claim: e for e in rb.audit(records, registry=registry, draws=2000)}
    assert out["toy/a"].runs == 6 and out["toy/a"].seeds == 18
    assert 0.03 < out["toy/a"].fails < 0.3  # seeds ~ N(1.1, 0.05) against >= 1: 2.3% each, 6.7% a run of three
    # four base seeds read one saved run, two measured the same values live: two runs, too few for an estimate
    assert out["toy/b"].runs == 2 and out["toy/b"].turn is None
    assert rb.audit(records, registry={"toy/a": registry["toy/a"]}, draws=100)[0].claim == "toy/a"  # toy/b: gone
    monkeypatch.setattr(claims_pkg, "registry", lambda: registry)
    chances = sphinxext._fresh_chances(SimpleNamespace(srcdir=str(repo)))   # what the ledger's Margin cell reads
    assert chances["toy/a"].fails == pytest.approx(out["toy/a"].fails, abs=0.03)
    text = rb.audit_text(list(out.values()), above=0.05)
    assert "toy/a" in text and "toy/b" not in text  # toy/b: 2.4-2.6 against >= 2
    with pytest.raises(ValueError, match="above"):
        rb.audit_text([], above=1.5)


def test_the_ledger_note_says_what_a_fresh_base_seed_would_do() -> None:
    est = rb.Estimate("x/a", "reproduces", runs=10, seeds=30, turn=0.043, fails=0.04, null_passes=0.003)
    assert rb.chance_text(est) == ("a fresh base seed would fail it or pass its null about 4% of the time "
                                   "(estimated from 30 values of 10 runs)")
    assert rb.chance_text(dataclasses.replace(est, outside=0)).endswith("of 10 runs, none outside the bar)")
    assert rb.chance_text(dataclasses.replace(est, outside=2)).endswith("of 10 runs, 2 outside the bar)")
    low = rb.Estimate("x/a", "not reproduced", runs=10, seeds=30, turn=0.002, fails=0.998)
    assert rb.chance_text(low).startswith("a fresh base seed would pass it less than 1% of the time")
    assert rb.chance_text(None) == "" and rb.chance_text(rb.Estimate("x/a", "reproduces", 2, 6, None)) == ""


def test_tied_integers_are_one_cluster_with_a_tail() -> None:
    """Integer bits, 4 (x12), 5 (x12), 6 (x6), against >= 3.5: spikes on the integers would say 0; the fit is one
    cluster (4.8 +- 0.76), whose tail crosses 3.5 with about 6% a seed."""
    claim = _claim(lower=3.5)
    x = [4.0] * 12 + [5.0] * 12 + [6.0] * 6
    assert len(rb.fit_mixture(np.array(x)).weights) == 1
    runs = [list(r) for r in np.random.default_rng(0).permutation(x).reshape(10, 3)]
    assert 0.1 < rb.chance_fails(claim, claim.criterion, runs, True) < 0.3


def test_three_clusters_are_three() -> None:
    rng = np.random.default_rng(1)
    x = np.r_[rng.normal(0, 0.01, 10), rng.normal(1, 0.01, 10), rng.normal(2, 0.01, 10)]
    assert sorted(np.round(rb.fit_mixture(x).means, 1)) == [0.0, 1.0, 2.0]


def test_a_run_has_as_many_values_as_most_recorded_runs_and_a_min_pass_claim_its_n() -> None:
    """Seeds at 0.9 +- 0.1 against <= 1 (16% a seed): runs of three fail 41% of the time, of two 29%; one short
    run among ten does not make every run short. A 2-of-3 claim recorded with a seed dropped is judged on three."""
    claim = _claim(upper=1.0)
    runs = _runs(0.9, 0.1, n_runs=40)
    short = [runs[0][:2]] + runs[1:]
    assert rb.chance_fails(claim, claim.criterion, short, True) == pytest.approx(1 - stats.norm.cdf(1) ** 3, abs=0.05)
    most = _claim(upper=1.0, min_pass="2/3", statement="on at least 2 of 3 seeds", bar_fixed="before")
    p = stats.norm.sf(1.0)
    pairs = [r[:2] for r in runs]
    assert rb.chance_fails(most, most.criterion, pairs, True) == pytest.approx(stats.binom.sf(1, 3, p), abs=0.04)
    # its null, six values a run, needs the same share: 4 of 6 (judge.needed), not 2
    null = _runs(1.1, 0.1, n_runs=20, n=6)
    p_null = stats.norm.cdf(-1.0)  # a null value at or below the bar
    assert 1 - rb.chance_fails(most, most.criterion, null, True, what="null") == pytest.approx(
        stats.binom.sf(3, 6, p_null), abs=0.03)


def test_yes_no_most_seeds_needs_its_share_not_all() -> None:
    yes = _claim(expect=True, min_pass="2/3", statement="on at least 2 of 3 seeds", bar_fixed="before")
    runs = [[True, True, False]] * 10   # one of three false every time: the rule holds unless two are
    assert rb.chance_fails(yes, yes.criterion, runs, True) < 0.5


def test_degenerate_seeds_and_nulls_count_against_the_claim() -> None:
    """A seed the page flagged dead recorded a value that passes (0.0 against <= 0.5): it is a miss. A null that is
    not finite stops the page, as a null that passes does."""
    claim = _claim(upper=0.5)
    entries = [{"values": [0.1, 0.12, 0.0], "seeds": [s, s + 1, s + 2], "per_seed": True, "interval": [None, 0.5],
                "degenerate": [s + 2] if s < 4 else [], "null_values": [0.9, 0.95, 0.92] if s else [0.9, np.nan, 0.9]}
               for s in range(10)]
    est = rb.estimate(claim, entries)
    assert est.fails > 0.2 and est.null_passes > 0.05
    clean = [{**e, "degenerate": [], "null_values": [0.9, 0.95, 0.92]} for e in entries]
    assert rb.estimate(claim, clean).fails < 0.01 and rb.estimate(claim, clean).null_passes < 0.01


def test_no_estimate_without_spread_or_from_a_malformed_record() -> None:
    claim = _claim(lower=0.9)
    same = [{"values": [1.0, 1.0, 1.0], "per_seed": True, "interval": [0.9, None]}] * 10
    est = rb.estimate(claim, same)
    assert est.turn is None and "no spread" in est.note
    bad = [{"values": [1.0, 0.95], "per_seed": False, "interval": [0.9, None]},
           {"values": [1.0], "per_seed": False, "interval": [0.9, None]}] * 3
    records = {"p": [{"seed": i, "mode": "fast", "verdicts": {"x/a": bad[i]}} for i in range(6)]}
    out = rb.audit(records, registry={"x/a": claim}, draws=100)
    assert out[0].turn is None and "cannot be read" in out[0].note
    assert "a record that cannot be read" in rb.audit_text(out)


def test_the_audit_puts_the_most_fragile_first_and_counts_a_full_mode_claim_once() -> None:
    claims_ = {"x/a": _claim(upper=1.0), "x/b": _claim(id="x/b", upper=1.0), "x/c": _claim(id="x/c", upper=1.0,
                                                                                          mode="full")}
    safe, fragile = _runs(0.5, 0.1, n_runs=10), _runs(0.9, 0.1, n_runs=10)
    runs = [{"seed": 100 * i, "mode": "fast", "verdicts": {
        "x/a": {"values": safe[i], "per_seed": True, "interval": [None, 1.0]},
        "x/b": {"values": fragile[i], "per_seed": True, "interval": [None, 1.0]},
        "x/c": {"values": [0.5, 0.6, 0.7 + i / 100], "per_seed": True, "interval": [None, 1.0]}}} for i in range(10)]
    out = rb.audit({"p": runs}, registry=claims_, draws=500)
    assert [e.claim for e in out] == ["x/b", "x/a", "x/c"]
    # x/c's values differ by base seed, yet a fast build reads a full-mode claim only from its saved full-mode result:
    # one run (the latest record's), too few for an estimate
    assert out[-1].runs == 1 and out[-1].turn is None


def test_a_zero_on_a_log_scale_is_a_value_below_the_bar_not_a_dead_run() -> None:
    """more-data-hurts: rises of ~24 against >= 1 on a log scale, its null (tuned ridge) rising by exactly 0 each
    time. ln 0 = -inf is far below the bar: the null misses, it is not degenerate. A NaN is."""
    claim = _claim(lower=1.0, scale="log")
    entries = [{"values": list(23 + np.random.default_rng(s).normal(0, 1, 3)), "null_values": [0.0, 0.0, 0.0],
                "per_seed": True, "interval": [1.0, None], "scale": "log"} for s in range(10)]
    est = rb.estimate(claim, entries)
    assert est.null_passes == 0.0 and est.fails < 0.01
    dead = [{**e, "null_values": [0.0, np.nan, 0.0]} if i == 0 else e for i, e in enumerate(entries)]
    assert rb.estimate(claim, dead).null_passes > 0.05  # one null seed in thirty dead: the page would stop
    mixed = rb.fit_mixture(np.r_[np.full(5, -np.inf), 0.0, 0.7, 1.1])  # five zeros and three ratios, on a log scale
    assert mixed.floor == pytest.approx(5 / 8) and mixed.degenerate == 0.0


def test_the_ledgers_margin_cell_carries_the_estimate() -> None:
    """sphinxext._resolve writes the Margin cell: our margin, the base seeds held, and the estimate's sentence."""
    from docutils import nodes
    from docutils.utils import new_document

    from dltheory.claims import judge

    cid = "02-benign-overfitting/knn-cover-hart"
    rec = judge.judge(claims_pkg.get(cid), [0.18, 0.185, 0.19], seeds=[0, 1, 2], null=[0.1, 0.1, 0.1]).record()
    est = rb.Estimate(cid, "reproduces", runs=10, seeds=30, turn=0.043, fails=0.04, null_passes=0.003)
    other = arithmetic.compare_verdicts({cid: {"status": "reproduced", "value": 0.18}},
                                        {cid: {"status": "reproduced", "value": 0.181}})[0]
    app = SimpleNamespace(env=SimpleNamespace(dltheory_claims={"chapters/x": [rec]}),
                          _dltheory_seed_counts={cid: (10, 10)}, _dltheory_fresh_chances={cid: est},
                          _dltheory_other_roundings={cid: other})
    doc = new_document("ledger")
    para = nodes.paragraph()
    para += sphinxext.claim_result(claim_id=cid, field="margin")
    doc += para
    sphinxext._resolve(app, doc, "book/claims")
    text = doc.astext()
    assert "held on 10 of 10 base seeds" in text and rb.chance_text(est) in text
    assert arithmetic.note_text(other) in text and "the same verdict" in text  # its run with other roundings


def test_five_values_leave_the_spread_uncertain() -> None:
    """Five values, an upper bar 2.5 sample spreads above their mean, a run of one value: the predictive is
    t(4) with scale s*sqrt(1 + 1/5), so the chance is t4.sf(2.5/sqrt(1.2)) = 4.2%, where a plug-in normal says 0.6%."""
    x = np.array([-1.2, -0.4, 0.0, 0.5, 1.1])
    claim = _claim(upper=float(x.mean() + 2.5 * x.std(ddof=1)))
    got = rb.chance_fails(claim, claim.criterion, [[v] for v in x], True, draws=40000)
    assert got == pytest.approx(stats.t(4).sf(2.5 / math.sqrt(1.2)), abs=0.006)


def test_a_runs_values_share_its_draw_of_what_the_record_does_not_know() -> None:
    """A yes/no claim on 2 of 3 seeds, 27 of 30 recorded true: one rate q per run from Beta(27.5, 3.5), then three
    answers, fails with 3E[q(1-q)^2]... = 1 - E[q^3 + 3q^2(1-q)] = 4.2%; a rate drawn per answer would say 3.5%."""
    yes = _claim(expect=True, min_pass="2/3", statement="on at least 2 of 3 seeds", bar_fixed="before")
    runs = [[True, True, True]] * 7 + [[True, True, False]] * 3
    a, b = 27.5, 3.5
    m2, m3 = a * (a + 1) / ((a + b) * (a + b + 1)), a * (a + 1) * (a + 2) / ((a + b) * (a + b + 1) * (a + b + 2))
    assert rb.chance_fails(yes, yes.criterion, runs, True, draws=40000) == pytest.approx(1 - (3 * m2 - 2 * m3),
                                                                                         abs=0.004)


def test_a_dead_yes_no_seed_is_a_miss_and_a_dead_null_stops_the_page() -> None:
    # a third of the seeds dead (a miss, never "true"): a run of three has none with (2/3)^3, and its answers are
    # then all true with E[q^3], q ~ Beta(20.5, 0.5) from the twenty live answers: 1 - 0.296 * 0.93 = 72%
    yes = _claim(expect=True)
    a, b = 20.5, 0.5
    expected = 1 - (2 / 3) ** 3 * a * (a + 1) * (a + 2) / ((a + b) * (a + b + 1) * (a + b + 2))
    for dead in (np.nan, None):
        assert rb.chance_fails(yes, yes.criterion, [[True, True, dead]] * 10, True) == pytest.approx(expected, abs=0.03)
    # not a test: its null passing is the registered outcome; a dead null (5 of 10 runs) stops the page: a turn
    nat = _claim(upper=1.0, null_passes=True)
    entries = [{"values": [0.5, 0.6, 0.7], "per_seed": True, "interval": [None, 1.0],
                "null_values": [0.5, np.nan if i < 5 else 0.6, 0.7]} for i in range(10)]
    assert rb.estimate(nat, entries).turn > 0.3
    # not reproduced: its live null passing is shown, not raised (NULL_PASSED_THIS_RUN): no turn; a dead null
    # (5 of 10 runs) stops the page: a turn
    nr = _claim(upper=1.0, reproduces=False)
    entries = [{"values": [1.5, 1.6, 1.7], "per_seed": True, "interval": [None, 1.0], "null_values": [0.5, 0.6, 0.7]}
               for _ in range(10)]
    est = rb.estimate(nr, entries)
    assert est.fails > 0.99 and est.null_passes > 0.99 and est.turn < 0.01  # its null passes every time
    dead = [{**e, "null_values": [0.5, np.nan if i < 5 else 0.6, 0.7]} for i, e in enumerate(entries)]
    assert rb.estimate(nr, dead).turn > 0.3


def test_one_value_off_the_lattice_does_not_bring_the_spikes_back() -> None:
    claim = _claim(lower=3.5)
    x = [4.0] * 12 + [5.0] * 12 + [6.0] * 5 + [5.999]
    runs = [list(r) for r in np.random.default_rng(0).permutation(x).reshape(10, 3)]
    assert rb.chance_fails(claim, claim.criterion, runs, True) > 0.1


def test_an_old_entry_whose_verdict_its_values_contradict_gets_no_estimate() -> None:
    """Recorded before the record named dead seeds: values that pass (0.1 against <= 0.5) under a verdict that says
    they did not mean a seed was flagged dead, and which one is unknown. An entry that names its dead seeds, or
    whose values agree with its verdict, is estimated."""
    claim = _claim(upper=0.5)
    entry = {"values": [0.1, 0.12, 0.0], "per_seed": True, "interval": [None, 0.5], "status": "reproduced"}
    assert rb.estimate(claim, [entry] * 9 + [{**entry, "status": "failed"}]).turn is None
    assert rb.estimate(claim, [entry] * 9 + [{**entry, "status": "failed", "degenerate": [2]}]).turn is not None
    assert rb.estimate(claim, [entry] * 10).turn is not None
    audit = rb.audit_text([rb.estimate(claim, [entry] * 9 + [{**entry, "status": "failed"}])])
    assert "1 with verdicts their values contradict" in audit
