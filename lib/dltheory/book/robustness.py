"""How often would a fresh base seed turn a claim? An estimate from the seed record.

The seed record (:mod:`dltheory.book.seeds`) says on how many of ten base seeds each claim kept its registered
outcome; ten of ten is what a reader sees, and it says little about the eleventh: a claim whose every seed must
pass, with three seeds a run, each failing 3% of the time, keeps its outcome on ten base seeds with probability 0.4
and fails a reader's seed one time in eleven. What decides that chance is how far the values sit from the bar in
units of how much they move between seeds, and the record now keeps every verdict's values (one per seed, or one
per condition), so the runs of all base seeds can be pooled: some thirty seeds a claim instead of three.

**The estimate.** For each claim, the values of its distinct runs (each base seed that measured it live; a saved
run, or the same values under every base seed, once) are pooled, on the bar's scale (logarithms for a ratio),
position by position where they are conditions rather than seeds; a seed its page flagged as dead is a NaN, a miss.
A fresh base seed's values are drawn from a model of the pool (:func:`fit_mixture`): a mixture of one to three
clusters, fitted by maximum likelihood and chosen by the Bayesian information criterion, each cluster at least five
values and no narrower than half the typical step between neighbouring values. Each fresh run draws each cluster's
mean and spread from their posterior, once, and its values from that draw (:class:`Mixture`): the spread of a few
values is itself uncertain, and a run's seeds share what the record does not know; one by one the values are
Student-t. Most pools are one cluster, whose tail reaches past the largest value seen (a plain bootstrap of thirty
passing values would call the claim certain); a claim whose seeds fall in two clusters (a run that finds the
solution or not) keeps them apart, each with its own spread; a lone outlier is part of the tail, not a cluster of
its own. Yes/no answers are drawn with a chance of true taken once per run from its Jeffreys posterior. Each drawn
run is judged by the claim's own rule (:func:`dltheory.claims.judge.aggregate_passes`, the rule the pages apply),
its null too.

A *turn* is what would stop or contradict the page: for a claim that reproduces, its values failing the bar or its
null passing it or being dead (the page raises ``ClaimCannotFail`` or ``DegenerateRun``); for one registered not
reproduced, its values passing, or its null dead (a live null that passes is shown, not raised:
``NULL_PASSED_THIS_RUN``); for one registered not a test, its null missing or dead. A claim whose every recorded
value is the same gets no estimate (nothing to reach a bar from). Runs recorded
before the record named the seeds a page flags as dead (before 2026-12-06's last runs) read such a seed as its value;
where a verdict then disagrees with its values, the claim gets no estimate (:func:`_contradicts`); where it does not
(a claim on most seeds whose rule still held) the estimate may be low.

**What it assumes.** A fresh base seed's seeds behave like the recorded ones; a cluster's tail is a normal one's (a
heavier tail fails more often than it says); values piled against a ceiling (accuracies at 1.0, a few below) make a
skewed cluster whose fit puts too much weight below the bar, so there the estimate is an upper one, and the audit
prints beside it how many recorded values missed the bar. Conditions (values that are not seeds) are drawn
independently of each other, though they share a run's seed (for a rule on every condition the estimate is then an
upper one, for a mean a lower one), and the claim independently of its null (measured on the same seeds). Thirty
seeds cannot resolve a chance much below one run in a hundred, so below 1% reads "below 1%", never "never".

``python -m dltheory.book.robustness [--above P] [--mode fast|full]`` prints the claims whose chance of turning is
above ``P`` (default 0.01), most fragile first, and the claims whose record keeps no values (runs recorded before
2026-12-06).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dltheory import claims as _claims
from dltheory.book import notebooks, seed_counts, seeds
from dltheory.book.mixture import MAX_COMPONENTS, MIN_CLUSTER, Mixture, fit_mixture
from dltheory.claims import judge as _judge
from dltheory.claims.criteria import Criterion
from dltheory.claims.schema import Claim

__all__ = ["Estimate", "Mixture", "DRAWS", "MIN_RUNS", "MIN_CLUSTER", "MAX_COMPONENTS", "fit_mixture", "criterion_of",
           "pooled", "chance_fails", "estimate", "distinct_verdicts", "audit", "audit_text",
           "chance_text"]

#: Monte Carlo draws of a fresh base seed per estimate (standard error below 0.4 percentage points at 5%)
DRAWS = 4000
#: the fewest distinct runs whose values make an estimate
MIN_RUNS = 3


@dataclasses.dataclass(frozen=True)
class Estimate:
    """One claim's estimate: ``turn`` is the chance that a fresh base seed turns its registered outcome (see the
    module's docstring); ``fails`` is the chance its values fail, ``null_passes`` the chance its null passes or is
    degenerate, either of which stops the page of a claim that reproduces (of one registered not reproduced, only
    a degenerate null does; ``None`` where no values or no null were recorded); ``outside`` counts the recorded
    values (of ``seeds``) that miss the bar one by one, to set beside the model's estimate."""

    claim: str
    registered: str
    runs: int
    seeds: int
    turn: float | None
    fails: float | None = None
    null_passes: float | None = None
    note: str = ""
    outside: int | None = None


def criterion_of(claim: Claim, entry: Mapping[str, Any], mode: str) -> Criterion:
    """The criterion a recorded verdict was judged by: its recorded interval and scale (so a claim whose target
    the page derives is judged at that target), or the registry's for a yes/no claim."""
    if entry.get("interval") is None:
        return claim.criterion_for(mode) if not claim.theory_target else claim.criterion
    lo, hi = entry["interval"]
    return Criterion(lower=lo, upper=hi, log_scale=entry.get("scale") == "log")


def _transform(criterion: Criterion, values: np.ndarray) -> np.ndarray:
    """Values on the bar's scale (:meth:`Criterion.transform_each`), a non-finite value (a degenerate seed) as NaN."""
    return criterion.transform_each(np.where(np.isfinite(values), values, np.nan))


def _inverse(criterion: Criterion, values: np.ndarray) -> np.ndarray:
    return np.exp(values) if criterion.log_scale else values


def pooled(runs: Sequence[Sequence[Any]], per_seed: bool) -> list[np.ndarray]:
    """The pools a fresh run's values are drawn from: one pool of every value of every run when they are one per
    seed, else one pool per position (every run must then have the same number of values)."""
    arrays = [np.asarray([np.nan if v is None else v for v in run], float) for run in runs]
    if per_seed:
        return [np.concatenate(arrays)]
    if len({a.size for a in arrays}) != 1:
        raise ValueError(f"values per condition must be as many in every run, got {sorted({a.size for a in arrays})}")
    return list(np.stack(arrays, axis=1))


def _draw(rng: np.random.Generator, pools: list[np.ndarray], n: int, criterion: Criterion, draws: int) -> np.ndarray:
    """``draws`` fresh runs of ``n`` values each (shape ``(draws, n)``) from ``pools`` (one pool: every value of a
    run from it, sharing the run's draw of the model's parameters; one pool per position: value ``j`` from pool
    ``j``, independently of the others). Numbers come from :func:`fit_mixture`; a yes/no value is true with a chance
    drawn once per run from its Jeffreys posterior, ``Beta(k + 1/2, m − k + 1/2)`` for ``k`` true of ``m`` recorded
    answers, so that thirty agreeing answers still leave room for a different one; a recorded dead seed (NaN) is
    drawn as NaN in the same share."""
    out = np.empty((draws, n))
    if criterion.boolean:
        for j, pool in enumerate(pools if len(pools) > 1 else [pools[0]] * 1):
            answers = pool[~np.isnan(pool)]
            chance = rng.beta(answers.sum() + 0.5, answers.size - answers.sum() + 0.5, size=(draws, 1))
            cols = slice(None) if len(pools) == 1 else slice(j, j + 1)
            width = n if len(pools) == 1 else 1
            block = (rng.random((draws, width)) < chance).astype(float)
            dead = rng.random((draws, width)) < np.isnan(pool).mean()
            out[:, cols] = np.where(dead, np.nan, block)
        return out
    fits = [fit_mixture(_transform(criterion, pool)) for pool in pools]
    if len(pools) == 1:
        return _inverse(criterion, fits[0].sample_runs(rng, draws, n))
    for j in range(n):
        out[:, j] = _inverse(criterion, fits[j].sample_runs(rng, draws, 1)[:, 0])
    return out


def chance_fails(claim: Claim, criterion: Criterion, runs: Sequence[Sequence[Any]], per_seed: bool, *,
                 what: str = "measured", draws: int = DRAWS, seed: int = 0,
                 dead_passes: bool | None = False) -> Any:
    """The chance that a fresh run's values, drawn from the recorded ``runs`` (each a list of values, one per seed
    when ``per_seed``; NaN or ``None`` for a degenerate seed), fail ``claim``'s rule under ``criterion``; ``what``
    is ``"measured"`` or ``"null"`` (a ``min_pass`` null needs the same share of its values). A degenerate value of
    ours is a miss; a drawn null with one counts as failing, or with ``dead_passes`` as passing (its death stops
    the page, as its passing would for a claim that reproduces); ``dead_passes=None`` gives both chances of one
    draw, as a pair."""
    if len(runs) < 1 or not all(len(r) for r in runs):
        raise ValueError("every recorded run needs at least one value")
    if criterion.boolean:  # true or false as recorded; a dead seed (None, NaN) is neither
        runs = [[math.nan if v is None or (isinstance(v, float) and math.isnan(v)) else float(bool(v)) for v in r]
                for r in runs]
    pools = pooled(runs, per_seed)
    n = len(runs[-1]) if not per_seed else int(np.median([len(r) for r in runs]))
    if claim.min_pass is not None and what == "measured":
        n = claim.min_pass[1]
    need = _judge.needed(claim, n, what)
    sample = _draw(np.random.default_rng(seed), pools, n, criterion, draws)
    ok = _judge.aggregate_passes(claim, criterion, sample, need)[0]
    if what == "null":  # a dead null stops the page whatever the rule; a dead seed of ours is a miss (above)
        dead = ~np.isfinite(sample).all(axis=1)
        if dead_passes is None:  # both readings of one draw: (failing, failing or dead)
            return float(1.0 - (ok & ~dead).mean()), float(1.0 - (ok | dead).mean())
        ok = (ok | dead) if dead_passes else (ok & ~dead)
    return float(1.0 - ok.mean())


def _registered(claim: Claim, mode: str) -> str:
    if claim.derivation:
        return "derivation"
    if claim.not_a_test:
        return "not a test"
    return "reproduces" if claim.reproduces_in(mode) else "not reproduced"


def _live_values(entry: Mapping[str, Any], key: str = "values") -> list[float]:
    """A recorded entry's values with the seeds its page flagged as degenerate (``degenerate``, by seed label or,
    without labels, by position) as NaN: the judge counts such a seed as a miss, or stops the page. The null's
    values (``key="null_values"``) come as recorded, all of them: its seeds may be more than the claim's, whose
    labels ``seeds`` are."""
    values = [math.nan if v is None else v for v in entry[key]]
    if key != "values":
        return values
    dead = set(map(str, entry.get("degenerate") or ()))
    labels = entry.get("seeds") or list(range(len(values)))
    return [math.nan if str(label) in dead else v for v, label in zip(values, labels, strict=True)]


#: the recorded statuses that say whether the values passed (the others say it of the null)
_PASSED = {"reproduced": True, "not reproduced (passed this run)": True, "failed": False, "not reproduced": False}


def _contradicts(claim: Claim, criterion: Criterion, entry: Mapping[str, Any]) -> bool:
    """Whether an entry recorded before the record kept ``degenerate`` says its values passed when, judged again by
    the claim's rule, they did not, or the other way round: then some seed was flagged dead, and which is unknown."""
    if "degenerate" in entry or entry.get("status") not in _PASSED:
        return False
    values = [math.nan if v is None else v for v in entry["values"]]
    need = _judge.needed(claim, len(values), "measured") if claim.min_pass is None or len(values) == claim.min_pass[1] \
        else claim.min_pass[0]
    passed = _judge.aggregate_passes(claim, criterion, np.asarray(values, float), need)[0]
    return passed != _PASSED[entry["status"]]


def estimate(claim: Claim, entries: Sequence[Mapping[str, Any]], *, mode: str = "fast",
             draws: int = DRAWS) -> Estimate:
    """The estimate for ``claim`` from its recorded verdict entries, one per distinct run. ``runs`` and ``seeds``
    count the entries with values; a claim whose every recorded value is the same has none (no spread to reach a
    bar from: a rank order that came out perfect thirty times, say, or a computed number)."""
    registered = _registered(claim, mode)
    usable = [e for e in entries if e.get("values")]
    n_values = sum(len(e["values"]) for e in usable)
    if registered == "derivation":
        return Estimate(claim.id, registered, len(usable), n_values, None, note="a derivation: nothing to draw")
    if len(usable) < MIN_RUNS:
        return Estimate(claim.id, registered, len(usable), n_values, None,
                        note=f"values recorded on {len(usable)} distinct run(s); {MIN_RUNS} needed")
    criterion = criterion_of(claim, usable[-1], mode)
    per_seed = bool(usable[-1].get("per_seed"))
    if any(_contradicts(claim, criterion, e) for e in usable):
        return Estimate(claim.id, registered, len(usable), n_values, None,
                        note="recorded before the record named the seeds a page flags as dead, and its verdicts "
                             "disagree with its values (a dead seed judged a miss): run its page again")
    runs = [_live_values(e) for e in usable]
    flat = np.array([float(v) for r in runs for v in r])
    if not criterion.boolean and np.isfinite(flat).all() and np.ptp(flat) == 0:
        return Estimate(claim.id, registered, len(usable), n_values, None,
                        note=f"every recorded value is {flat[0]:g}: no spread to reach the bar from")
    fails = chance_fails(claim, criterion, runs, per_seed, draws=draws)
    nulls = [_live_values(e, "null_values") for e in usable if e.get("null_values")]
    null_stops = null_passes = None
    if len(nulls) >= MIN_RUNS:  # the null passing, or dead: either stops the page (ClaimCannotFail, DegenerateRun)
        misses, misses_alive = chance_fails(claim, criterion, nulls, per_seed, what="null", draws=draws, seed=1,
                                            dead_passes=None)
        null_passes, null_stops = 1.0 - misses, 1.0 - misses_alive
    if registered == "reproduces":
        turn = 1.0 - (1.0 - fails) * (1.0 - (null_stops or 0.0))
    elif registered == "not reproduced":  # passing contradicts the registry; a dead null stops the page (a live
        # null that passes is shown, not raised: dltheory.claims.NULL_PASSED_THIS_RUN)
        null_dies = (null_stops - null_passes) if null_stops is not None else 0.0
        turn = 1.0 - fails * (1.0 - null_dies)
    else:  # not a test: its null missing (finite and failing) contradicts the registry, a dead one stops the page
        turn = None if null_passes is None else 1.0 - null_passes
    outside = int((~criterion.holds_each(flat)).sum())
    return Estimate(claim.id, registered, len(usable), n_values, turn, fails, null_stops, outside=outside)


def distinct_verdicts(records: Mapping[str, Sequence[Mapping[str, Any]]],
                      modes: Mapping[str, str]) -> dict[str, list[Mapping[str, Any]]]:
    """Per claim of ``records`` (per page, its fresh runs: :func:`dltheory.book.seeds.fresh_records`), its verdict
    entries one per distinct run: a base seed that measured it live is one, the base seeds that read one saved run,
    or measured the same values, are one between them (:func:`dltheory.book.seed_counts.claim_sources`, given the
    claims' registered ``modes``)."""
    out: dict[str, list[Mapping[str, Any]]] = {}
    for runs in records.values():
        for cid in sorted({cid for r in runs for cid in r["verdicts"]}):
            where = seed_counts.claim_sources(runs, cid, registered_mode=modes.get(cid, "any"))
            chosen: dict[Any, Mapping[str, Any]] = {}
            for r in runs:
                if cid in r["verdicts"]:
                    chosen[notebooks.run_key(r["seed"], where[r["seed"]])] = r["verdicts"][cid]
            out[cid] = list(chosen.values())
    return out


def audit(records: Mapping[str, Sequence[Mapping[str, Any]]], *, mode: str = "fast", draws: int = DRAWS,
          registry: Mapping[str, Claim] | None = None) -> list[Estimate]:
    """An :class:`Estimate` for every claim of ``records`` (:func:`dltheory.book.seeds.fresh_records`), from its
    distinct runs (:func:`distinct_verdicts`), most fragile first (no estimate last). A claim no longer in the
    registry is left out (its record describes a claim the book no longer makes)."""
    registry = _claims.registry() if registry is None else registry
    out = []
    for cid, entries in distinct_verdicts(records, {cid: c.mode for cid, c in registry.items()}).items():
        if cid not in registry:
            continue
        try:
            out.append(estimate(registry[cid], entries, mode=mode, draws=draws))
        except (ValueError, TypeError, KeyError) as err:  # a malformed entry: no estimate, said why; the ledger goes on
            out.append(Estimate(cid, _registered(registry[cid], mode), len(entries), 0, None,
                                note=f"its record cannot be read: {err}"))
    return sorted(out, key=lambda e: (e.turn is None, -(e.turn or 0.0), e.claim))


def chance_text(est: Estimate | None) -> str:
    """The ledger's note on one claim's estimate, e.g. ``a fresh base seed would fail it or pass its null about 4%
    of the time (estimated from 30 values of 10 runs, 1 outside the bar)``; empty without an estimate."""
    if est is None or est.turn is None:
        return ""
    what = {"reproduces": "fail it or pass its null", "not reproduced": "pass it",
            "not a test": "see its null miss"}[est.registered]
    how = "less than 1% of the time" if est.turn < 0.01 else f"about {100 * est.turn:.0f}% of the time"
    seen = "" if est.outside is None else f", {'none' if est.outside == 0 else est.outside} outside the bar"
    return f"a fresh base seed would {what} {how} (estimated from {est.seeds} values of {est.runs} runs{seen})"


def _count(x: int | None) -> str:
    return "-" if x is None else str(x)


def _pct(x: float | None) -> str:
    if x is None:
        return "-"
    return "below 1%" if x < 0.01 else f"{100 * x:.0f}%"


def audit_text(estimates: Sequence[Estimate], above: float = 0.01) -> str:
    """The claims whose chance of turning is above ``above``, and how many have no estimate, as text."""
    if not 0 <= above < 1 or not math.isfinite(above):
        raise ValueError(f"above must be a chance in [0, 1), got {above!r}")
    shown = [e for e in estimates if e.turn is not None and e.turn > above]
    lines = [f"{'claim':<62} {'registered':<15} {'runs':>4} {'values':>6} {'outside':>7} {'turns':>9} {'fails':>9} "
             f"{'null passes':>11}"]
    lines += [f"{e.claim:<62} {e.registered:<15} {e.runs:>4} {e.seeds:>6} {_count(e.outside):>7} {_pct(e.turn):>9} "
              f"{_pct(e.fails):>9} {_pct(e.null_passes):>11}" for e in shown]
    measured = [e for e in estimates if e.turn is not None]
    missing = [e for e in estimates if e.turn is None and e.registered != "derivation"]
    kinds = {"no values recorded (runs before 2026-12-06)": [e for e in missing if e.seeds == 0],
             f"values from fewer than {MIN_RUNS} distinct runs (a saved run read under every base seed is one)":
                 [e for e in missing if e.seeds and "distinct run" in e.note],
             "every value the same (no spread)": [e for e in missing if "no spread" in e.note],
             "verdicts their values contradict (a seed flagged dead, recorded before such seeds were named)":
                 [e for e in missing if "flags as dead" in e.note],
             "a record that cannot be read": [e for e in missing if "cannot be read" in e.note]}
    lines.append(f"\n{len(shown)} of {len(measured)} claims with an estimate turn on a fresh base seed more often "
                 f"than {100 * above:g}%. No estimate: "
                 + ("; ".join(f"{len(group)} with {kind}" for kind, group in kinds.items() if group) or "none") + ".")
    lines += [f"  {e.claim}: {e.note}" for e in kinds["a record that cannot be read"]]
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dltheory.book.robustness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("fast", "full"), default="fast")
    parser.add_argument("--above", type=float, default=0.01, help="show the claims turning more often (default 0.01)")
    args = parser.parse_args(argv)
    estimates = audit(seeds.fresh_records(notebooks.repo_root(), mode=args.mode), mode=args.mode)
    print(audit_text(estimates, above=args.above))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
