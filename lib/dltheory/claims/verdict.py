"""The outcome of :func:`dltheory.claims.check`: a :class:`Verdict`, its words, its HTML and its record.

Part of :mod:`dltheory.claims`. The HTML a page shows carries the record (JSON) in a ``data-claim``
attribute, from which the ledger (``book/claims.md``) is generated at build time.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dltheory import runtime
from dltheory.claims.criteria import Criterion, Margin, fmt
from dltheory.claims.schema import Claim

__all__ = ["Verdict", "Provenance", "NullResult", "HTML_CLASS", "STATUSES", "OK_STATUSES", "PASSED_THIS_RUN",
           "NULL_PASSED_THIS_RUN", "NOT_A_TEST", "NULL_MISSED_THIS_RUN", "MARGINAL_SIDES", "marginal_words"]

HTML_CLASS = "dltheory-claim"
#: the status of a claim registered as not reproduced whose live run passes: shown, never hidden or raised
PASSED_THIS_RUN = "not reproduced (passed this run)"
#: the status of a claim registered as not reproduced whose live null meets the bar: shown, never raised (nothing
#: is counted as reproduced, which is what ClaimCannotFail guards; one draw of the seeds does not make it "not a test")
NULL_PASSED_THIS_RUN = "not reproduced (its null passed this run)"
#: the status of a claim registered with ``null_passes = true`` whose null meets the bar, as registered
NOT_A_TEST = "not a test"
#: the status of such a claim whose live null misses the bar: shown, never raised (one draw of the seeds)
NULL_MISSED_THIS_RUN = "not a test (its null missed the bar this run)"
#: every status a verdict can have; only "failed", "cannot fail" and "degenerate" stop a build
STATUSES = ("reproduced", "not reproduced", PASSED_THIS_RUN, NULL_PASSED_THIS_RUN, NOT_A_TEST, NULL_MISSED_THIS_RUN,
            "derived", "failed", "cannot fail", "degenerate")
#: the statuses after which a build goes on (:attr:`Verdict.ok`; ``dltheory.book.notebooks`` keeps the same list)
OK_STATUSES = tuple(s for s in STATUSES if s not in ("failed", "cannot fail", "degenerate"))
#: the sides of a verdict that can sit near the bar: our values, and the null's (which a rerun could tip over it)
MARGINAL_SIDES = ("claim", "null")


def marginal_words(sides: Sequence[str]) -> str:
    """What a verdict's mark adds for its marginal ``sides`` (of :data:`MARGINAL_SIDES`); empty for none."""
    if "null" not in sides:
        return "marginal" if sides else ""
    return "marginal, and its null is near the bar" if "claim" in sides else "marginal: its null is near the bar"


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where a saved result comes from: the configuration, date and device of the run that made it."""

    config: str
    date: str
    device: str
    mode: str = "full"
    saved_run: str = ""  # the dltheory.saved file, for a fast build's saved run
    # a measurement made in this build in ``mode``'s configuration while the build runs in the other mode
    # (dltheory.saved.fast_call trained it): judged as a live ``mode``-mode run, not as a saved result
    live: bool = False

    def __post_init__(self) -> None:
        for name in ("config", "date", "device"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"provenance {name} must be a non-empty string")
        runtime.mode(self.mode)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Provenance:
        """Build from a dict with keys ``config``, ``date``, ``device`` and optionally ``mode``."""
        if not isinstance(data, Mapping):
            raise ValueError(f"provenance must be a mapping, got {type(data).__name__}")
        missing = {"config", "date", "device"} - set(data)
        if missing:
            raise ValueError(f"provenance is missing {sorted(missing)}")
        live = data.get("live", False)
        if not isinstance(live, bool):
            raise ValueError(f"provenance live must be true or false, got {live!r}")
        return cls(str(data["config"]), str(data["date"]), str(data["device"]), str(data.get("mode", "full")),
                   str(data.get("saved_run", "")), live)

    def describe(self) -> str:
        """Where the result comes from, in words (the judge takes a ``live`` provenance for a live run of its mode
        and shows it as that mode, so a verdict shows a saved run's words only)."""
        if self.live:
            return f"{self.mode}-mode configuration, run in this build ({self.config}; {self.date}; {self.device})"
        if self.saved_run:
            return (f"saved {self.mode}-mode run {self.saved_run}, of today's code ({self.config}; {self.date}; "
                    f"{self.device}; DLTHEORY_LIVE=1 reruns it)")
        return f"saved {self.mode}-mode run ({self.config}; {self.date}; {self.device})"


@dataclasses.dataclass(frozen=True)
class NullResult:
    """The null measured by the same code and judged by the same criterion: it must fail."""

    value: float | bool
    values: tuple[Any, ...]
    passed: bool
    margin: Margin | None
    #: per value, whether its run was cut off by its budget (then ``values`` holds the value it is judged at:
    #: :meth:`dltheory.claims.Criterion.best_case_at_least` of the bound); empty when none was
    censored: tuple[bool, ...] = ()
    #: the values as measured, bounds included, where some were cut off (``values`` holds what was judged)
    bounds: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        for name in ("censored", "bounds"):
            if getattr(self, name) and len(getattr(self, name)) != len(self.values):
                raise ValueError(f"NullResult.{name} needs one entry per value ({len(self.values)}), "
                                 f"got {len(getattr(self, name))}")

    def summary(self, units: str = "") -> str:
        text = self._values_text(units)
        if any(self.censored):
            text += (f" ({sum(self.censored)} of {len(self.values)} cut off by the budget, each judged at the lowest "
                     "value it could take that meets the bar)")
        text += " — passes the bar too" if self.passed else " — misses the bar, as it must"
        return text + (f"; margin {self.margin.describe()}" if self.near else "")

    def _values_text(self, units: str) -> str:
        if len(self.values) == 1:
            text = fmt(self.value) + _units(units)
        elif isinstance(self.value, bool):
            text = f"{sum(bool(v) for v in self.values)} of {len(self.values)} true"
        else:
            text = f"{fmt(self.value)}{_units(units)} (range {fmt(min(self.values))}–{fmt(max(self.values))})"
        return text

    @property
    def near(self) -> bool:
        """Whether the null sits near the bar, by the rule of :meth:`Margin.of` (a rerun could tip it over)."""
        return bool(self.margin and self.margin.marginal)

    def record(self) -> dict[str, Any]:
        return {
            "value": _jsonable(self.value),
            "values": [_jsonable(v) for v in self.values],
            "passed": self.passed,
            "margin": self.margin.record() if self.margin else None,
            **({"censored": list(self.censored), "bounds": [_jsonable(v) for v in self.bounds]}
               if any(self.censored) else {}),
        }


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`dltheory.claims.check`. Its HTML form is what a page shows."""

    claim: Claim
    passed: bool
    value: float | bool
    values: tuple[Any, ...]
    seeds: tuple[int, ...] | None
    mode: str
    criterion: Criterion
    provenance: Provenance | None = None
    note: str = ""
    checked_at: str = ""
    margin: Margin | None = None
    null: NullResult | None = None
    degenerate: tuple[Any, ...] = ()

    @property
    def status(self) -> str:
        """One of :data:`STATUSES`."""
        if self.degenerate and not self._dead_seeds_judged():
            return "degenerate"
        if self.claim.not_a_test:
            # registered: its null meets the bar, so the check cannot fail and is no test of the claim. A live null
            # that misses is one draw of the seeds (shown); a saved one that misses contradicts the registry
            if self.null is None or self.null.passed:
                return NOT_A_TEST
            return "failed" if self.provenance is not None else NULL_MISSED_THIS_RUN
        if self.null is not None and self.null.passed:
            registered_miss = not (self.claim.derivation or self.claim.reproduces_in(self.mode))
            # a live null passing a claim registered as not reproduced: shown (a saved one contradicts the registry)
            return NULL_PASSED_THIS_RUN if registered_miss and self.provenance is None else "cannot fail"
        if self.claim.derivation:
            return "derived" if self.passed else "failed"
        if self.claim.reproduces_in(self.mode):
            return "reproduced" if self.passed else "failed"
        if not self.passed:
            return "not reproduced"
        # registered as not reproduced, yet it passes. A saved result is the registered evidence itself: if it
        # passes, the registry contradicts it. A live run is one draw of the seeds: it is shown as such, and
        # the build goes on with the rest of the page (``make seeds`` says whether it passes on every seed).
        return "failed" if self.provenance is not None else PASSED_THIS_RUN

    def _dead_seeds_judged(self) -> bool:
        """Whether the verdict stands although some runs were degenerate: a ``min_pass`` claim counts a dead seed
        as one that misses (named in the verdict), so its verdict is defined when it holds on enough live seeds,
        and when it misses its share while registered as not reproduced (the miss is then its registered outcome).
        So does a claim on every seed registered as not reproduced: a seed with no value is a seed on which it
        does not hold, which is its registered outcome (the dead seed is named, never averaged in). Any other
        claim stops, and so does any claim with a dead null."""
        c = self.claim
        if any(str(s).startswith("null") for s in self.degenerate):
            return False
        registered_miss = not (c.derivation or c.reproduces_in(self.mode))
        if c.min_pass is None:
            return c.aggregate == "all" and not self.passed and registered_miss
        return self.passed or registered_miss

    @property
    def ok(self) -> bool:
        """Whether the build may go on: the registered outcome, or a registered non-reproduction that passed live."""
        return self.status in OK_STATUSES

    @property
    def passing(self) -> tuple[int, int]:
        """``(k, n)``: how many of the ``n`` measured values meet the bar on their own (degenerate ones do not)."""
        dead = set(self.degenerate)
        labels = list(self.seeds) if self.seeds is not None else list(range(len(self.values)))
        k = sum(self.criterion.holds(v) and label not in dead for v, label in zip(self.values, labels))
        return k, len(self.values)

    def missing(self) -> list[Any]:
        """The seeds (or value indices) whose value misses the bar, or whose run was degenerate."""
        labels = list(self.seeds) if self.seeds is not None else list(range(len(self.values)))
        dead = set(self.degenerate)
        return [label for v, label in zip(self.values, labels) if not self.criterion.holds(v) or label in dead]

    def seed_rule(self) -> str:
        """For a ``min_pass`` claim, e.g. ``4 of 5 seeds pass (at least 4 of 5 required; seed 3 misses)``."""
        if self.claim.min_pass is None:
            return ""
        k, n = self.passing
        what = "seeds" if self.seeds is not None else "values"
        missing = self.missing()
        one = len(missing) == 1
        misses = f"; {what[:-1] if one else what} {', '.join(str(m) for m in missing)} miss{'es' if one else ''}"
        need, of = self.claim.min_pass
        return f"{k} of {n} {what} pass (at least {need} of {of} required{misses if missing else ''})"

    @property
    def marginal_sides(self) -> tuple[str, ...]:
        """The sides of the verdict that sit near the bar (:data:`MARGINAL_SIDES`): ``"claim"`` when our values do
        (:meth:`Margin.of`), ``"null"`` when the null's values do by the same rule: it misses, but another run or
        seed could tip it over the bar, and the check would then be one that cannot fail."""
        return tuple(side for side, near in (("claim", bool(self.margin and self.margin.marginal)),
                                             ("null", bool(self.null and self.null.near))) if near)

    @property
    def few_seeds(self) -> bool:
        """A statistical reproduction that rests on fewer than three seeds."""
        n = len(self.seeds) if self.seeds is not None else 1
        return not self.claim.derivation and self.claim.statistical and n < 3

    def summary(self) -> str:
        """Our value in words, e.g. ``0.51 (median of 5 seeds, range 0.49–0.53)``."""
        if self.criterion.boolean:
            if len(self.values) == 1:
                return "yes" if self.value else "no"
            n_true = sum(bool(v) for v in self.values)
            return f"{n_true} of {len(self.values)} {'seeds' if self.seeds is not None else 'values'} true"
        if len(self.values) == 1:
            return f"{fmt(self.value)}{_units(self.claim.units)}"
        finite = [v for v in self.values if math.isfinite(v)] or [math.nan]
        how = "median" if self.claim.aggregate in ("all", "median") else "mean"
        what = "seeds" if self.seeds is not None else "values"
        return (f"{fmt(self.value)}{_units(self.claim.units)} ({how} of {len(self.values)} {what}, "
                f"range {fmt(min(finite))}–{fmt(max(finite))})")

    def record(self) -> dict[str, Any]:
        """A JSON-ready record of this verdict (what the ledger reads)."""
        return {
            "id": self.claim.id,
            "kind": self.claim.kind,
            "passed": self.passed,
            "status": self.status,
            "value": _jsonable(self.value),
            "values": [_jsonable(v) for v in self.values],
            "summary": self.summary(),
            "criterion": self.criterion.describe(),
            "interval": None if self.criterion.boolean else [x if math.isfinite(x) else None
                                                             for x in self.criterion.interval()],
            "scale": "log" if self.criterion.log_scale else "linear",
            "limit": self.criterion.limit,
            "seeds": list(self.seeds) if self.seeds is not None else None,
            "mode": self.mode,
            "provenance": self.provenance.describe() if self.provenance else None,
            "note": self.note,
            "checked_at": self.checked_at,
            "margin": self.margin.record() if self.margin else None,
            "marginal": bool(self.marginal_sides),
            "marginal_sides": list(self.marginal_sides),
            "few_seeds": self.few_seeds,
            "null": self.null.record() if self.null else None,
            "degenerate": [_jsonable(s) for s in self.degenerate],
            "passing": list(self.passing),
            "min_pass": self.claim.min_pass_text or None,
        }

    def _details(self) -> list[tuple[str, str]]:
        """The verdict's details beyond ours and the bar, as (label, text) pairs for the text and HTML forms."""
        lines = []
        if self.claim.min_pass is not None:
            lines.append(("Seeds passing", self.seed_rule()))
        if self.margin is not None:
            lines.append(("Margin", self.margin.describe()))
        if self.null is not None:
            lines.append(("Null", f"{self.claim.null or 'the null'}: {self.null.summary(self.claim.units)}"))
        elif self.claim.null:
            lines.append(("Null", f"{self.claim.null} (named in the registry, not measured on this page yet)"))
        if self.degenerate:
            lines.append(("Degenerate", f"{'seeds' if self.seeds is not None else 'values'} "
                                        f"{', '.join(str(s) for s in self.degenerate)}"))
        if self.few_seeds and not self.criterion.boolean:
            lines.append(("Seeds", "fewer than three: a statistical claim needs at least three"))
        return lines

    def __str__(self) -> str:
        mark = {"reproduced": "PASS", "not reproduced": "NOT REPRODUCED", "failed": "FAIL", "derived": "DERIVED",
                PASSED_THIS_RUN: "NOT REPRODUCED (registered), BUT PASSED THIS RUN",
                NULL_PASSED_THIS_RUN: "NOT REPRODUCED (registered), AND ITS NULL PASSED THIS RUN",
                "cannot fail": "CANNOT FAIL (the null passes too)", "degenerate": "DEGENERATE RUN",
                NOT_A_TEST: "NOT A TEST (registered: its null meets the bar)",
                NULL_MISSED_THIS_RUN: "NOT A TEST (registered: its null meets the bar), BUT ITS NULL MISSED THIS RUN",
                }[self.status]
        if self.status == "failed" and self.claim.not_a_test:
            mark = "FAIL (registered as not a test, but the saved null misses the bar: update the registry)"
        elif self.status == "failed" and not self.claim.reproduces_in(self.mode) and self.passed:
            mark = "FAIL (registered as not reproducing, but the saved result it rests on passes: update the registry)"
        where = f" [{self.provenance.describe()}]" if self.provenance else f" [{self.mode} mode]"
        text = (f"{mark} {self.claim.id}: ours {self.summary()}; required {self.criterion.describe()}"
                f"{_units(self.claim.units)}; paper: {self.claim.paper}{where}")
        extra = [f"{k.lower()}: {v}" for k, v in self._details()]
        if extra:
            text += "; " + "; ".join(extra)
        if self.note:
            text += f" ({self.note})"
        return text

    def _repr_html_(self) -> str:
        colour, bg, mark = {
            "reproduced": ("#1b5e20", "#e8f5e9", "✔ claim holds"),
            "not reproduced": ("#8a5a00", "#fff8e1", "◐ does not reproduce at this scale (as registered)"),
            PASSED_THIS_RUN: ("#8a5a00", "#fff8e1", "◐ registered as not reproduced; this run passes the bar "
                                                    "(one draw of the seeds does not overturn the registered result)"),
            NULL_PASSED_THIS_RUN: ("#8a5a00", "#fff8e1", "◐ registered as not reproduced; this run's null passes the "
                                                         "bar (one draw of the seeds: no test, and nothing counted)"),
            "derived": ("#1a3f6b", "#e8f0fa", "= derived: a worked computation, not a reproduction"),
            "failed": ("#b71c1c", "#ffebee", "✘ claim fails"),
            "cannot fail": ("#b71c1c", "#ffebee", "✘ claim cannot fail: its null passes too"),
            NOT_A_TEST: ("#555555", "#f2f2f2", "○ not a test: its null meets the bar (as registered)"),
            NULL_MISSED_THIS_RUN: ("#555555", "#f2f2f2", "○ registered as not a test (its null meets the bar); "
                                                         "this run's null misses it (one draw of the seeds)"),
            "degenerate": ("#b71c1c", "#ffebee", "✘ degenerate run"),
        }[self.status]
        if self.status == "reproduced" and self.claim.min_pass is not None:
            mark += " on {} of {} seeds".format(*self.passing)
        if self.status == "reproduced" and self.marginal_sides:
            mark += f" ({marginal_words(self.marginal_sides)})"
        data = html.escape(json.dumps(self.record()), quote=True)
        where = html.escape(self.provenance.describe()) if self.provenance else f"{self.mode} mode"
        seeds = f"; seeds {_seed_text(self.seeds)}" if self.seeds else ""
        body = "".join(f"<br><strong>{k}:</strong> {html.escape(v)}" for k, v in self._details())
        ours = "Computed" if self.claim.derivation else "Ours"
        note = f"<br><em>{html.escape(self.note)}</em>" if self.note else ""
        return (
            f'<div class="{HTML_CLASS}" data-claim="{data}" style="border-left:4px solid {colour};'
            f'background:{bg};padding:0.5em 0.8em;margin:0.5em 0;font-family:sans-serif;font-size:0.9em">'
            f'<strong style="color:{colour}">{mark}</strong> '
            f"<code>{html.escape(self.claim.id)}</code><br>"
            f"{html.escape(self.claim.statement)}<br>"
            f"<strong>Paper:</strong> {html.escape(self.claim.paper)}<br>"
            f"<strong>{ours}:</strong> {html.escape(self.summary())} "
            f"(required: {html.escape(self.criterion.describe())}{html.escape(_units(self.claim.units))}; "
            f"{where}{seeds}){body}{note}</div>"
        )


def _units(units: str) -> str:
    return f" {units}" if units else ""


def _seed_text(seeds: Sequence[int] | None) -> str:
    if not seeds:
        return ""
    s = list(seeds)
    if len(s) > 2 and s == list(range(s[0], s[0] + len(s))):
        return f"{s[0]}–{s[-1]}"
    return ", ".join(str(x) for x in s)


def _jsonable(x: Any) -> Any:
    if isinstance(x, str):  # a label, e.g. "null 1" among the degenerate runs
        return x
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    return x if math.isfinite(x) else str(x)
