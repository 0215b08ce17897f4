"""Judging a measurement (and its null) against a registered claim: the work behind :func:`dltheory.claims.check`.

Part of :mod:`dltheory.claims`.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dltheory import runtime
from dltheory.claims.criteria import Criterion, Margin
from dltheory.claims.schema import Claim
from dltheory.claims.verdict import NullResult, Provenance, Verdict

__all__ = ["ClaimFailed", "ClaimCannotFail", "DegenerateRun", "judge", "keep_going", "needed", "aggregate_passes"]


class ClaimFailed(AssertionError):
    """Raised by :func:`dltheory.claims.check` when a measurement does not meet its claim's criterion."""


class ClaimCannotFail(ClaimFailed):
    """Raised when the null, measured by the same code, meets the criterion too: such a check cannot fail."""


class DegenerateRun(ClaimFailed):
    """Raised when a run is degenerate (a non-finite value, or a run the page flags as dead): it is
    reported, never averaged in."""


def _values(measured: Any, boolean: bool, what: str = "measured") -> tuple[Any, ...]:
    if isinstance(measured, (bool, np.bool_)):
        if not boolean:
            raise ValueError(f"{what} is a yes/no value but this claim's criterion is numeric")
        return (bool(measured),)
    try:
        arr = np.asarray(measured)
    except Exception:  # noqa: BLE001 - any conversion failure is a bad argument
        raise ValueError(f"{what} must be a number, a boolean or an array of them, got {type(measured).__name__}") from None
    if arr.size == 0:
        raise ValueError(f"{what} is empty")
    if arr.dtype == bool:
        if not boolean:
            raise ValueError(f"{what} holds yes/no values but this claim's criterion is numeric")
        return tuple(bool(v) for v in arr.ravel())
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{what} must be numeric, got dtype {arr.dtype}")
    if boolean:
        raise ValueError(f"this claim expects a yes/no measurement (true/false), got numbers in {what}")
    if arr.ndim > 1:
        raise ValueError(f"{what} must be a scalar or a 1-D array over seeds, got shape {arr.shape}")
    return tuple(float(v) for v in arr.ravel())


def needed(claim: Claim, n_values: int, what: str) -> int:
    """How many of ``n_values`` values must pass: all of them, or the registered ``min_pass`` share.

    The measured values of a ``min_pass = "k/n"`` claim must number exactly ``n``; its null may have another
    number ``m`` of values, and then needs the same share, ``ceil(k·m/n)``, to pass.
    """
    if claim.min_pass is None:
        return n_values
    k, n = claim.min_pass
    if what == "measured" and n_values != n:
        raise ValueError(f"claim {claim.id!r} is registered with min_pass = \"{k}/{n}\": it is judged on exactly {n} "
                         f"seeds, got {n_values} values")
    return max(1, math.ceil(k * n_values / n))


def _judge_values(claim: Claim, criterion: Criterion, values: tuple[Any, ...], per_seed: bool, what: str = "measured",
                  need: int | None = None) -> tuple[bool, float | bool, Margin | None]:
    """Whether ``values`` pass, their aggregate, and their margin (finite values only). ``need`` overrides how
    many must pass (the live seeds of a ``min_pass`` claim, some of whose seeds were degenerate)."""
    need = needed(claim, len(values), what) if need is None else need
    if need > len(values):  # too few live seeds left to meet the rule
        return False, (not criterion.expect) if criterion.boolean else float(np.median(values)), None
    passed, value = aggregate_passes(claim, criterion, values, need)
    if criterion.boolean:
        return passed, value, None
    return passed, value, Margin.of(criterion, values, value, claim.aggregate, per_seed,
                                    need=need if claim.min_pass is not None else None)


def aggregate_passes(claim: Claim, criterion: Criterion, values: Any, need: int) -> tuple[Any, Any]:
    """Whether ``values`` pass ``claim``'s rule, and their aggregate. Numbers: with ``aggregate = "all"`` at least
    ``need`` of them meet ``criterion`` (a non-finite value never does), otherwise their mean or median does. Yes/no
    answers (1, 0, or NaN for a dead seed): at least ``need`` equal the expected answer, and the aggregate is the
    answer in the expectation's direction ("all true" when true is expected, "any true" when false is, or with
    ``min_pass`` "enough true"), which equals ``expect`` exactly when they pass. The one rule :func:`judge`
    and :mod:`dltheory.book.robustness` apply: a 1-D ``values`` gives a bool and its aggregate (a float, or a bool
    for answers), an array of runs (one per row) an array of each."""
    v = np.asarray(values, float)
    if criterion.boolean:
        passed = criterion.holds_each(v).sum(axis=-1) >= need
        value = passed == bool(criterion.expect)
        return (bool(passed), bool(value)) if v.ndim == 1 else (passed, value)
    value = np.mean(v, axis=-1) if claim.aggregate == "mean" else np.median(v, axis=-1)
    passed = (criterion.holds_each(v).sum(axis=-1) >= need if claim.aggregate == "all"
              else criterion.holds_each(value))
    return (bool(passed), float(value)) if v.ndim == 1 else (passed, value)


def _degenerate(values: tuple[Any, ...], flags: Any, labels: Sequence[Any], what: str) -> list[Any]:
    bad = [i for i, v in enumerate(values) if not isinstance(v, bool) and not math.isfinite(v)]
    if flags is not None:
        mask = np.asarray(flags)
        if mask.dtype != bool or mask.shape not in ((), (len(values),)):
            raise ValueError(f"{what} must be one yes/no value per measured value ({len(values)}), got {flags!r}")
        bad += [i for i, f in enumerate(np.broadcast_to(mask, (len(values),))) if f and i not in bad]
    return [labels[i] for i in sorted(bad)]


def _censored(claim: Claim, criterion: Criterion, null_values: tuple[Any, ...], flags: Any) -> tuple[bool, ...]:
    """Which null values are lower bounds (``null_censored``: one yes/no per value, or one for all); ``()`` if none.

    Each bound is judged on its own (:meth:`Criterion.best_case_at_least`), which is right for a claim on every
    seed or on a median (each value on the passing side, or not), not on a mean: a bound below a lower bar could
    be large enough to carry a mean over it, so a mean claim refuses censored values."""
    if flags is None:
        return ()
    mask = np.asarray(flags)
    if mask.dtype != bool or mask.shape not in ((), (len(null_values),)):
        raise ValueError(f"null_censored must be one yes/no value per null value ({len(null_values)}), got {flags!r}")
    if criterion.boolean and mask.any():
        raise ValueError("a yes/no null cannot be censored: only a number (a time, a ratio) is cut off by a budget")
    if claim.aggregate == "mean" and mask.any():
        raise ValueError(f"claim {claim.id!r} is judged on a mean, which a cut-off null value (a lower bound) could "
                         "carry anywhere: null_censored applies to claims on every seed or on a median")
    return tuple(bool(f) for f in np.broadcast_to(mask, (len(null_values),)))


def _check_mode(claim: Claim, current: str, prov: Provenance | None) -> None:
    """Refuse a measurement made in a mode the claim is not registered for (its bar belongs to the other scale).

    A claim registered with ``mode = "full"`` (paper scale) or ``"fast"`` (the fast configuration) is checked live
    only in its own mode; in the other mode only a saved result of its own mode, passed as ``provenance``.
    """
    if claim.mode == "any":
        return
    other = "fast" if claim.mode == "full" else "full"
    scale = "at paper scale" if claim.mode == "full" else "in the fast configuration"
    if prov is not None and prov.mode != claim.mode:
        raise ValueError(f"claim {claim.id!r} holds only {scale} (mode = {claim.mode!r}), but the saved result "
                         f"passed as provenance comes from a {prov.mode}-mode run")
    if prov is None and current != claim.mode:
        raise ValueError(
            f"claim {claim.id!r} holds only {scale} (mode = {claim.mode!r}) and this is {other} mode "
            f"(DLTHEORY_MODE): a {other}-mode measurement cannot be held against its bar. Check the claim "
            f"registered for {other} mode instead, or pass the saved {claim.mode}-mode result with provenance=..."
        )


def judge(
    claim: Claim,
    measured: Any,
    *,
    seeds: Sequence[int] | None = None,
    theory: float | None = None,
    provenance: Provenance | Mapping[str, Any] | None = None,
    note: str = "",
    mode: str | None = None,
    null: Any = None,
    degenerate: Any = None,
    null_censored: Any = None,
) -> Verdict:
    """The :class:`Verdict` of ``measured`` (and of its ``null``) against ``claim``; raises nothing but ``ValueError``."""
    current = runtime.mode(mode)
    prov = None
    if provenance is not None:
        prov = provenance if isinstance(provenance, Provenance) else Provenance.from_mapping(provenance)
    if prov is not None and prov.live:  # measured here, in the other mode's configuration: a live run of that mode
        if (prov.mode, current) != ("fast", "full"):
            raise ValueError(f"a live provenance says a full build trained a fast-configuration experiment "
                             f"(dltheory.saved.fast_call); got mode {prov.mode!r} in a {current}-mode build")
        current, prov = "fast", None
    if prov is not None:
        read = prov.saved_run
        if read != claim.saved_run and (read or claim.saved_run):
            raise ValueError(f"claim {claim.id!r} is judged on the saved run {read or '(none)'}, but its registry entry "
                             f"names saved_run = {claim.saved_run or '(none)'}: a saved run (dltheory.saved) may judge "
                             "only a claim registered as judged on it")
    _check_mode(claim, current, prov)
    if not isinstance(note, str):
        raise ValueError(f"note must be a string, got {note!r}")
    effective_mode = prov.mode if prov is not None else current
    criterion = claim.criterion_for(effective_mode, theory)
    if claim.not_a_test and null is None:
        raise ValueError(f"claim {claim.id!r} is registered with null_passes = true (its null meets the bar): pass the "
                         "null as null=..., so that the verdict shows it")
    values = _values(measured, criterion.boolean)
    needed(claim, len(values), "measured")
    if seeds is not None:
        seeds = tuple(int(s) for s in seeds)
        if len(seeds) != len(values):
            raise ValueError(f"seeds has {len(seeds)} entries but measured has {len(values)}")
    labels = list(seeds) if seeds is not None else list(range(len(values)))
    dead = _degenerate(values, degenerate, labels, "degenerate")
    # a claim on most seeds counts a degenerate seed as one that misses (named in the verdict); any other
    # claim, and any degenerate null, stops: a dead run is never averaged in
    tolerated = claim.min_pass is not None
    null_result, dead_null = None, []
    if null is not None:
        if claim.derivation:
            raise ValueError(f"claim {claim.id!r} is a derivation: it measures nothing, so it takes no null=")
        null_values = _values(null, criterion.boolean, "null")
        dead_null = [f"null {x}" for x in _degenerate(null_values, None, list(range(len(null_values))), "null")]
        censored, bounds = _censored(claim, criterion, null_values, null_censored), null_values
        if any(censored):  # a cut-off run that could still meet the bar counts as meeting it
            judged = criterion.best_case_at_least(null_values)
            null_values = tuple(float(j) if c else v for v, j, c in zip(null_values, judged, censored))
        if not dead_null and (not dead or tolerated):
            # its values are seeds where ours are (their spread measures a rerun), else conditions, as ours are
            n_passed, n_value, n_margin = _judge_values(claim, criterion, null_values, per_seed=seeds is not None,
                                                        what="null")
            null_result = NullResult(n_value, null_values, bool(n_passed), n_margin, censored,
                                     bounds if any(censored) else ())
    elif null_censored is not None:
        raise ValueError("null_censored says which of the null's values are bounds: pass the null as null=... too")
    live = tuple(v for v, label in zip(values, labels) if label not in dead)
    if dead_null or (dead and not (tolerated and live)):
        finite = [v for v in values if isinstance(v, bool) or math.isfinite(v)] or [math.nan]
        # a failing answer aggregates to the unexpected one (it equals `expect` exactly when it passes)
        value = (not criterion.expect) if criterion.boolean else float(np.median(finite))
        passed, margin = False, None
    else:
        passed, value, margin = _judge_values(claim, criterion, live, per_seed=seeds is not None,
                                              need=claim.min_pass[0] if dead else None)
    dead += dead_null
    verdict = Verdict(
        claim=claim, passed=bool(passed), value=value, values=values, seeds=seeds, mode=effective_mode,
        criterion=criterion, provenance=prov, note=note,
        checked_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        margin=margin, null=null_result, degenerate=tuple(dead),
    )
    # a claim registered as not a test is never counted as reproduced, whatever a rerun gives: the rule is for
    # claims that can be
    if (prov is not None and prov.saved_run and claim.reproduces_in(effective_mode) and not claim.not_a_test
            and verdict.marginal_sides):
        raise ValueError(f"claim {claim.id!r} reproduces and is judged on the saved run {prov.saved_run}, but its "
                         "verdict is marginal: a reproduced claim may rest on a saved run only where a rerun could not "
                         "turn it. Judge it live (take saved_run out of its registry entry)")
    return verdict


def keep_going() -> bool:
    """Whether ``$DLTHEORY_CLAIMS_KEEP_GOING`` asks ``check`` to show a failed verdict without raising (seed sweeps)."""
    raw = os.environ.get("DLTHEORY_CLAIMS_KEEP_GOING", "").strip().lower()
    if raw not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ValueError(f"DLTHEORY_CLAIMS_KEEP_GOING must be 0 or 1, got {raw!r}")
    return raw in ("1", "true", "yes")


def raise_for(verdict: Verdict) -> None:
    """Raise the exception that matches a verdict that is not ok."""
    if verdict.ok:
        return
    if verdict.status == "degenerate":
        what = "seeds" if verdict.seeds is not None else "values"
        raise DegenerateRun(
            f"{verdict.claim.id}: degenerate run ({what} {', '.join(str(s) for s in verdict.degenerate)}: a non-finite "
            "value or a run the page flagged as dead); it is not averaged in. Fix the run or report it on the page. "
            + str(verdict))
    if verdict.status == "cannot fail":
        raise ClaimCannotFail(
            f"{verdict.claim.id}: the null ({verdict.claim.null or 'as passed to check'}) meets the criterion too, "
            f"so this check cannot fail. {verdict}")
    raise ClaimFailed(str(verdict))


def show(verdict: Verdict) -> None:
    """Display the verdict in a notebook, or print it."""
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display
    except ImportError:  # pragma: no cover - IPython always comes with the book's stack
        print(verdict)
        return
    if get_ipython() is None:
        print(verdict)
    else:
        ipy_display(verdict)


def log(verdict: Verdict) -> None:
    """Append the verdict to ``$DLTHEORY_CLAIMS_LOG`` (JSON lines) when that variable is set."""
    path = os.environ.get("DLTHEORY_CLAIMS_LOG")
    if not path:
        return
    record = verdict.record() | {"seed_env": runtime.base_seed()}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
