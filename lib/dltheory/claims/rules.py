"""The rules of a registered claim beyond its criterion: how its seeds are judged (``aggregate``, ``min_pass`` and
:func:`min_pass_chance`), the history of its bar (:class:`BarChange`) and where its registered outcome was seen
(:class:`RegisteredOn`).

Part of :mod:`dltheory.claims`; :mod:`dltheory.claims.schema` reads a whole ``[[claim]]`` table with these. A
malformed entry calls the ``fail`` it is given, which raises a ``ValueError`` naming the file, the claim and the
field.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from dltheory.claims.criteria import Criterion

__all__ = ["BarChange", "RegisteredOn", "parse_bar_history", "parse_registered_on", "parse_min_pass",
           "min_pass_chance", "AGGREGATES", "CRITERION_KEYS", "COMMIT_RE"]

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: A git commit as the registry names one: 7 to 40 hex digits.
COMMIT_RE = re.compile(r"^[0-9a-f]{7,40}$")
_MIN_PASS_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")
#: How a claim's seeds are combined: every seed must pass, or the median or the mean of the seeds does.
AGGREGATES = ("all", "median", "mean")
#: The fields of a bar (:class:`dltheory.claims.criteria.Criterion`) a registry entry may set.
CRITERION_KEYS = ("target", "tol", "rtol", "lower", "upper", "expect")
_CHANGE_KEYS = {"old", "reason", "date", "commit", "mode"}
_OLD_RULE_KEYS = ("aggregate", "min_pass")
_REGISTERED_ON_KEYS = {"base_seeds", "mode", "reason"}


@dataclasses.dataclass(frozen=True)
class BarChange:
    """One earlier bar of a claim: what it was (``old``, a criterion or words), why it changed, and when."""

    old: str
    reason: str
    date: str = ""
    commit: str = ""
    mode: str = ""

    def describe(self) -> str:
        when = ", ".join(x for x in (self.date, self.commit and f"commit {self.commit}") if x)
        where = f" in {self.mode} mode" if self.mode else ""
        return f"was {self.old}{where}" + (f" ({when})" if when else "") + f": {self.reason}"


@dataclasses.dataclass(frozen=True)
class RegisteredOn:
    """The base seeds whose runs decided a claim's registered outcome (not reproduced, or not a test), where a
    seed record over other base seeds cannot see it: why that record passing does not change the registration."""

    base_seeds: tuple[int, ...]
    reason: str
    mode: str = "fast"

    def describe(self) -> str:
        many = len(self.base_seeds) > 1
        seeds = ", ".join(str(s) for s in self.base_seeds)
        return f"registered on base seed{'s' if many else ''} {seeds} ({self.mode} mode): {self.reason}"


def parse_bar_history(raw: Any, spec: dict[str, Any], overrides: Mapping[str, dict[str, Any]],
                      fail: Any) -> tuple[BarChange, ...]:
    """``[[claim.bar_history]]``: each earlier bar (``old``: words, or criterion fields over the claim's ``spec`` and
    its mode ``overrides``), why it changed (``reason``) and optionally ``date``, ``commit`` and ``mode``."""
    if not isinstance(raw, list):
        fail("bar_history must be a list of [[claim.bar_history]] tables")
    changes = []
    for i, entry in enumerate(raw, 1):
        def bad(msg: str, i: int = i) -> None:
            fail(f"bar_history entry {i}: {msg}")

        if not isinstance(entry, Mapping):
            bad("must be a table with old and reason")
        unknown = set(entry) - _CHANGE_KEYS
        if unknown:
            bad(f"unknown field(s) {sorted(unknown)}; allowed: {sorted(_CHANGE_KEYS)}")
        for req in ("old", "reason"):
            if req not in entry:
                bad(f"is missing the field {req!r}")
        reason = entry["reason"]
        if not isinstance(reason, str) or not reason.strip():
            bad(f"reason must be a non-empty string, got {reason!r}")
        date, commit, mode = (entry.get(k, "") for k in ("date", "commit", "mode"))
        if not isinstance(date, str) or (date and not _DATE_RE.match(date)):
            bad(f"date must look like YYYY-MM-DD, got {date!r}")
        if not isinstance(commit, str) or (commit and not COMMIT_RE.match(commit)):
            bad(f"commit must be a git hash (7-40 hex digits), got {commit!r}")
        if mode not in ("", "fast", "full"):
            bad(f"mode must be 'fast' or 'full', got {mode!r}")
        old = entry["old"]
        if isinstance(old, str):
            if not old.strip():
                bad("old must be a non-empty string or a table of criterion fields")
            old_text = old.strip()
        elif isinstance(old, Mapping):
            extra = set(old) - set(CRITERION_KEYS) - set(_OLD_RULE_KEYS)
            if extra or not old:
                bad(f"old may only set {(*CRITERION_KEYS, *_OLD_RULE_KEYS)}, got {sorted(old) or 'nothing'}")
            old = dict(old)
            agg = old.pop("aggregate", None)
            if agg is not None and agg not in AGGREGATES:
                bad(f"old aggregate must be one of {AGGREGATES}, got {agg!r}")
            old_min_pass = old.pop("min_pass", None)
            if old_min_pass is not None:
                old_min_pass = parse_min_pass(old_min_pass, lambda msg: bad(f"old {msg}"))
            base = spec | overrides.get(mode, {})
            if any(k in old for k in ("lower", "upper", "target", "expect")):
                base = {k: v for k, v in base.items() if k in ("tol", "rtol") and "target" in old}
            try:
                old_text = Criterion(**(base | old)).describe()
            except ValueError as err:
                bad(f"old is not a valid criterion: {err}")
            if agg is not None:
                old_text += " on every seed" if agg == "all" else f" on the {agg} over seeds"
            if old_min_pass is not None:
                old_text += f" on at least {old_min_pass[0]} of {old_min_pass[1]} seeds"
        else:
            bad(f"old must be a string or a table of criterion fields, got {old!r}")
        changes.append(BarChange(old_text, reason.strip(), date, commit, mode))
    return tuple(changes)


def parse_registered_on(raw: Any, claim_mode: str, fail: Any) -> RegisteredOn:
    """``[claim.registered_on]``: ``base_seeds`` (distinct non-negative ints), ``reason``, optional ``mode``."""
    if not isinstance(raw, Mapping):
        fail("registered_on must be a table [claim.registered_on] with base_seeds and reason")
    unknown = set(raw) - _REGISTERED_ON_KEYS
    if unknown:
        fail(f"registered_on: unknown field(s) {sorted(unknown)}; allowed: {sorted(_REGISTERED_ON_KEYS)}")
    seeds = raw.get("base_seeds")
    if (not isinstance(seeds, list) or not seeds or len(set(seeds)) != len(seeds)
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in seeds)):
        fail(f"registered_on base_seeds must be a non-empty list of distinct non-negative ints, got {seeds!r}")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        fail(f"registered_on reason must be a non-empty string, got {reason!r}")
    mode = raw.get("mode", claim_mode if claim_mode != "any" else "fast")
    if mode not in ("fast", "full"):
        fail(f"registered_on mode must be 'fast' or 'full', got {mode!r}")
    if claim_mode not in ("any", mode):
        fail(f"registered_on is in {mode} mode, but the claim is registered for {claim_mode} mode only")
    return RegisteredOn(tuple(seeds), reason.strip(), mode)


def parse_min_pass(raw: Any, fail: Any) -> tuple[int, int]:
    """``min_pass = "k/n"``: at least ``k`` of the claim's ``n`` seeds must pass (``n >= 3``, ``n/2 < k < n``).

    The number of seeds is part of the rule, so that seeds cannot be added after a look at the data until the
    share is met; ``k`` must be a majority ("holds on most seeds"), and ``k = n`` is ``aggregate = "all"``.
    """
    match = _MIN_PASS_RE.match(raw) if isinstance(raw, str) else None
    if match is None:
        fail(f"min_pass must be a string \"k/n\" (at least k of n seeds pass), got {raw!r}")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 3:
        fail(f"min_pass {raw!r}: a claim judged seed by seed rests on at least 3 seeds, got n = {n}")
    if not n / 2 < k < n:
        fail(f"min_pass {raw!r}: k must be a majority of n and below n (n/2 < k < n); "
             "every seed passing is aggregate = \"all\" without min_pass")
    return k, n


def min_pass_chance(rule: str, rate: float) -> float:
    """The chance that a claim registered with ``min_pass = rule`` passes when each seed passes on its own with
    probability ``rate`` (independent seeds): ``P(Binomial(n, rate) >= k)``.

    For choosing a rule *before* measuring, from the per-seed pass rate of an earlier sweep: the claim's rate
    should make it pass almost always (say 99%), the null's rate almost never. With a per-seed rate of 0.93,
    every one of 3 seeds passes with chance 0.80 (one base seed in five fails), while ``"4/5"`` passes with 0.96
    and ``"5/7"`` with 0.99.
    """
    def fail(msg: str) -> None:
        raise ValueError(msg)

    k, n = parse_min_pass(rule, fail)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(f"rate must be a probability in [0, 1], got {rate!r}")
    return float(sum(math.comb(n, j) * rate**j * (1 - rate) ** (n - j) for j in range(k, n + 1)))
