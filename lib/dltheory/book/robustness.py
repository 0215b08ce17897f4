"""How often would a fresh base seed turn a claim? An estimate from the seed record.

The seed record (:mod:`dltheory.book.seeds`) says on how many of ten base seeds each claim kept its registered
outcome; ten of ten is what a reader sees, and it says little about the eleventh: a claim whose every seed must
pass, with three seeds a run, each failing 3% of the time, keeps its outcome on ten base seeds with probability 0.4
and fails a reader's seed one time in eleven. What decides that chance is how far the values sit from the bar in
units of how much they move between seeds, and the record now keeps every verdict's values (one per seed, or one
per condition), so the runs of all base seeds can be pooled: some thirty seeds a claim instead of three.

**The estimate.** For each claim, the values of its distinct runs (each base seed that measured it live; a saved
run, or the same values under every base seed, once) are pooled, on the bar's scale (logarithms for a ratio),
position by position where they are conditions rather than seeds. A fresh base seed's values are drawn from a model
of the pool: a Gaussian mixture of one to three components, fitted by maximum likelihood and chosen by the Bayesian
information criterion, each component at least five values (:func:`fit_mixture`). Most pools are one cluster, and
the model is then the normal distribution of the seeds, which sees a tail past the largest value seen (a plain
bootstrap of thirty passing values would call the claim certain); a claim whose seeds fall in two clusters (a run
that finds the solution or not) keeps them apart, each with its own spread (a normal fit, or a kernel of one width,
would spread the tight cluster over a bar between them); a lone outlier is part of the tail, not a cluster of its
own. Each draw is judged by the claim's own rule (:func:`dltheory.claims.judge.aggregate_passes`, the rule the pages
apply), its null too.

A *turn* is what would stop or contradict the page: for a claim that reproduces, its values failing the bar or its
null passing it (the page raises ``ClaimCannotFail``); for one registered not reproduced, its values passing; for
one registered not a test, its null missing. Yes/no values are resampled as they are (no noise). The estimate
assumes a fresh base seed's seeds behave like the recorded ones, and a cluster's tail like a normal one's (a
heavier tail fails more often than it says; values piled against a ceiling, accuracies at 1.0 with a few below, make
a skewed cluster whose normal fit puts too much weight below the bar, so there the estimate is an upper one: the
audit prints beside it how many recorded values missed the bar); thirty seeds cannot test a tail much beyond one seed in a hundred, so a
chance below 1% reads "below 1%", never "never".

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
from scipy import stats

from dltheory import claims as _claims
from dltheory.book import notebooks, seed_counts, seeds
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
#: the fewest values a cluster of the model holds (one outlier is a tail, not a cluster), and the most clusters
MIN_CLUSTER = 5
MAX_COMPONENTS = 3


@dataclasses.dataclass(frozen=True)
class Estimate:
    """One claim's estimate: ``turn`` is the chance that a fresh base seed turns its registered outcome (see the
    module's docstring), ``fails`` and ``null_passes`` its two parts for a claim that reproduces (``None`` where no
    values or no null were recorded); ``outside`` counts the recorded values (of ``seeds``) that miss the bar one by
    one, what a reader can set beside the model's estimate."""

    claim: str
    registered: str
    runs: int
    seeds: int
    turn: float | None
    fails: float | None = None
    null_passes: float | None = None
    note: str = ""
    outside: int | None = None


@dataclasses.dataclass(frozen=True)
class Mixture:
    """A one-dimensional Gaussian mixture (``weights`` summing to 1), plus a share ``degenerate`` of non-finite
    values (drawn as NaN: a run that fails whatever the bar)."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]
    degenerate: float = 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        j = rng.choice(len(self.weights), p=np.asarray(self.weights), size=size)
        out = np.asarray(self.means)[j] + np.asarray(self.sds)[j] * rng.standard_normal(size)
        return np.where(rng.random(size) < self.degenerate, np.nan, out)


def _em(x: np.ndarray, k: int, floor: float) -> tuple[Mixture, float] | None:
    """A ``k``-component fit of ``x`` by expectation-maximisation from a quantile start, and its log-likelihood;
    ``None`` when a component ends with fewer than :data:`MIN_CLUSTER` values' worth of weight."""
    parts = np.array_split(np.sort(x), k)
    w = np.full(k, 1.0 / k)
    mu = np.array([p.mean() for p in parts])
    sd = np.array([max(p.std(), floor) for p in parts])
    last = -np.inf
    for _ in range(500):
        logp = np.log(w) - np.log(sd) - 0.5 * ((x[:, None] - mu) / sd) ** 2 - 0.5 * math.log(2 * math.pi)
        top = logp.max(axis=1, keepdims=True)
        norm = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
        resp = np.exp(logp - norm[:, None])
        mass = resp.sum(axis=0)
        if mass.min() < MIN_CLUSTER:
            return None
        w, mu = mass / x.size, (resp * x[:, None]).sum(axis=0) / mass
        sd = np.maximum(np.sqrt((resp * (x[:, None] - mu) ** 2).sum(axis=0) / mass), floor)
        loglik = float(norm.sum())
        if loglik - last < 1e-10 * abs(loglik) + 1e-12:
            break
        last = loglik
    return Mixture(tuple(w), tuple(mu), tuple(sd)), loglik


def fit_mixture(values: np.ndarray) -> Mixture:
    """The model a fresh seed's value is drawn from: a Gaussian mixture of one to :data:`MAX_COMPONENTS`
    components fitted to the finite ``values`` (maximum likelihood by EM), the number chosen by the Bayesian
    information criterion among fits whose every component holds at least :data:`MIN_CLUSTER` values (one
    outlier is a tail, not a cluster); one component is the normal fit (sd with Bessel's correction). Values that
    all agree give a point mass."""
    values = np.asarray(values, float)
    x = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no values to fit")
    degenerate = 1.0 - x.size / values.size
    if x.size < 2 or np.ptp(x) == 0:
        return Mixture((1.0,), (float(x[0]) if x.size else 0.0,), (0.0,), degenerate)
    sd = float(np.std(x, ddof=1))
    best = Mixture((1.0,), (float(x.mean()),), (sd,), degenerate)
    best_bic = -2 * float(stats.norm.logpdf(x, x.mean(), np.std(x)).sum()) + 2 * math.log(x.size)
    for k in range(2, MAX_COMPONENTS + 1):
        fit = _em(x, k, floor=1e-6 * sd) if x.size >= k * MIN_CLUSTER else None  # 3k - 1 free parameters
        if fit is not None and -2 * fit[1] + (3 * k - 1) * math.log(x.size) < best_bic:
            best = dataclasses.replace(fit[0], degenerate=degenerate)
            best_bic = -2 * fit[1] + (3 * k - 1) * math.log(x.size)
    return best


def criterion_of(claim: Claim, entry: Mapping[str, Any], mode: str) -> Criterion:
    """The criterion a recorded verdict was judged by: its recorded interval and scale (so a claim whose target
    the page derives is judged at that target), or the registry's for a yes/no claim."""
    if entry.get("interval") is None:
        return claim.criterion_for(mode) if not claim.theory_target else claim.criterion
    lo, hi = entry["interval"]
    return Criterion(lower=lo, upper=hi, log_scale=entry.get("scale") == "log")


def _transform(criterion: Criterion, values: np.ndarray) -> np.ndarray:
    if not criterion.log_scale:
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), -np.inf)


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


def _draw(rng: np.random.Generator, pools: list[np.ndarray], n: int, criterion: Criterion, boolean: bool,
          draws: int) -> np.ndarray:
    """``draws`` fresh runs of ``n`` values each (shape ``(draws, n)``) from ``pools`` (one pool: every value from
    it; one pool per position: value ``j`` from pool ``j``)."""
    out = np.empty((draws, n))
    fits = [None if boolean else fit_mixture(_transform(criterion, pool)) for pool in pools]
    for j in range(n):
        which = 0 if len(pools) == 1 else j
        if boolean:
            out[:, j] = pools[which][rng.integers(pools[which].size, size=draws)]
        else:
            out[:, j] = _inverse(criterion, fits[which].sample(rng, draws))
    return out


def chance_fails(claim: Claim, criterion: Criterion, runs: Sequence[Sequence[Any]], per_seed: bool, *,
                 what: str = "measured", draws: int = DRAWS, seed: int = 0) -> float:
    """The chance that a fresh run's values, drawn from the recorded ``runs`` (each a list of values, one per seed
    when ``per_seed``), fail ``claim``'s rule under ``criterion``; ``what`` is ``"measured"`` or ``"null"`` (a
    ``min_pass`` null needs the same share of its values)."""
    if len(runs) < 1 or not all(len(r) for r in runs):
        raise ValueError("every recorded run needs at least one value")
    boolean = criterion.boolean
    pools = pooled([[float(bool(v)) for v in r] if boolean else r for r in runs], per_seed)
    n = len(runs[-1]) if not per_seed else int(np.median([len(r) for r in runs]))
    if claim.min_pass is not None and what == "measured":
        n = claim.min_pass[1]
    need = _judge.needed(claim, n, what)
    sample = _draw(np.random.default_rng(seed), pools, n, criterion, boolean, draws)
    if boolean:
        ok = (sample == float(bool(criterion.expect))).sum(axis=1) >= need
        return float(1.0 - ok.mean())
    return float(1.0 - _judge.aggregate_passes(claim, criterion, sample, need)[0].mean())


def _registered(claim: Claim, mode: str) -> str:
    if claim.derivation:
        return "derivation"
    if claim.not_a_test:
        return "not a test"
    return "reproduces" if claim.reproduces_in(mode) else "not reproduced"


def estimate(claim: Claim, entries: Sequence[Mapping[str, Any]], *, mode: str = "fast",
             draws: int = DRAWS) -> Estimate:
    """The estimate for ``claim`` from its recorded verdict entries, one per distinct run."""
    registered = _registered(claim, mode)
    usable = [e for e in entries if e.get("values")]
    n_values = sum(len(e["values"]) for e in usable)
    if registered == "derivation":
        return Estimate(claim.id, registered, len(entries), n_values, None, note="a derivation: nothing to draw")
    if len(usable) < MIN_RUNS:
        return Estimate(claim.id, registered, len(entries), n_values, None,
                        note=f"values recorded on {len(usable)} distinct run(s); {MIN_RUNS} needed")
    criterion = criterion_of(claim, usable[-1], mode)
    per_seed = bool(usable[-1].get("per_seed"))
    fails = chance_fails(claim, criterion, [e["values"] for e in usable], per_seed, draws=draws)
    nulls = [e["null_values"] for e in usable if e.get("null_values")]
    null_passes = (None if len(nulls) < MIN_RUNS else
                   1.0 - chance_fails(claim, criterion, nulls, per_seed, what="null", draws=draws, seed=1))
    if registered == "reproduces":
        turn = 1.0 - (1.0 - fails) * (1.0 - (null_passes or 0.0))
    elif registered == "not reproduced":
        turn = 1.0 - fails
    else:  # not a test: its null missing
        turn = None if null_passes is None else 1.0 - null_passes
    pooled_values = np.concatenate([np.asarray([np.nan if v is None else v for v in e["values"]], float)
                                    for e in usable])
    outside = int((~criterion.holds_each(pooled_values)).sum()) if not criterion.boolean else int(
        (pooled_values != float(bool(criterion.expect))).sum())
    return Estimate(claim.id, registered, len(usable), n_values, turn, fails, null_passes, outside=outside)


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
                    key = next(iter(notebooks.distinct_runs([(r["seed"], where[r["seed"]], True)])))
                    chosen[key] = r["verdicts"][cid]
            out[cid] = list(chosen.values())
    return out


def audit(records: Mapping[str, Sequence[Mapping[str, Any]]], *, mode: str = "fast", draws: int = DRAWS,
          registry: Mapping[str, Claim] | None = None) -> list[Estimate]:
    """An :class:`Estimate` for every claim of ``records`` (:func:`dltheory.book.seeds.fresh_records`), from its
    distinct runs (:func:`distinct_verdicts`), most fragile first (no estimate last). A claim no longer in the
    registry is left out (its record describes a claim the book no longer makes)."""
    registry = _claims.registry() if registry is None else registry
    out = [estimate(registry[cid], entries, mode=mode, draws=draws)
           for cid, entries in distinct_verdicts(records, {cid: c.mode for cid, c in registry.items()}).items()
           if cid in registry]
    return sorted(out, key=lambda e: (e.turn is None, -(e.turn or 0.0), e.claim))


def chance_text(est: Estimate | None) -> str:
    """The ledger's note on one claim's estimate, e.g. ``a fresh base seed would turn it about 4% of the time (from
    30 seeds of 10 base seeds)``; empty without an estimate."""
    if est is None or est.turn is None:
        return ""
    what = {"reproduces": "fail it or pass its null", "not reproduced": "pass it",
            "not a test": "see its null miss"}[est.registered]
    how = "less than 1% of the time" if est.turn < 0.01 else f"about {100 * est.turn:.0f}% of the time"
    return f"a fresh base seed would {what} {how} (estimated from {est.seeds} values of {est.runs} runs)"


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
    lines += [f"{e.claim:<62} {e.registered:<15} {e.runs:>4} {e.seeds:>6} {e.outside:>7} {_pct(e.turn):>9} "
              f"{_pct(e.fails):>9} {_pct(e.null_passes):>11}" for e in shown]
    measured = [e for e in estimates if e.turn is not None]
    missing = [e for e in estimates if e.turn is None and e.registered != "derivation"]
    unrecorded = sum(e.seeds == 0 for e in missing)
    lines.append(f"\n{len(shown)} of {len(measured)} claims with an estimate turn on a fresh base seed more often "
                 f"than {100 * above:g}%. No estimate: {unrecorded} claims whose records keep no values (runs "
                 f"recorded before 2026-12-06), {len(missing) - unrecorded} with values from fewer than {MIN_RUNS} "
                 "distinct runs (a saved run read under every base seed is one).")
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
