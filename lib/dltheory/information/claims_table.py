"""Chapter 5: one table of the claims a page has just checked, computed from their verdicts (§5.2, §5.3).

A page that registers several claims about one effect (§5.2's four compression claims, §5.3's distances to the
Gaussian IB curve) sums them up in one table, one row per claim: its id, what is measured, ours (the value with
its range over the seeds, and where it comes from), the bar, and the null. Every number in it comes from the
:class:`dltheory.claims.Verdict` that ``claims.check`` returned on this run, or from a saved full-mode run (then
the row names its date and device); a claim the page does not measure in this mode says so, without a number.
Nothing is typed in, so the table follows the code and the seed: under ``DLTHEORY_SEED=7`` it shows seed 7's run.

:func:`silent_verdict` judges a measurement as ``claims.check`` does, without showing, logging or raising it: for a
row that reads a run the page does not check there (e.g. the ReLU side of §5.2's saved full-mode run).
"""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Mapping, Sequence
from typing import Any

from dltheory import claims
from dltheory.claims import judge
from dltheory.claims.criteria import fmt

__all__ = ["Row", "ClaimsTable", "silent_verdict", "HTML_CLASS", "COLUMNS"]

#: the table's CSS class; deliberately not ``claims.HTML_CLASS``, so the ledger never reads a row as a verdict
HTML_CLASS = "dltheory-claims-table"
COLUMNS = ("claim", "what is measured", "ours", "bar", "null")


@dataclasses.dataclass(frozen=True)
class Row:
    """One claim of the table: ``what`` is measured, in words, and the ``verdict`` that measured it.

    A claim the page does not measure in this mode has no verdict: give its ``claim_id`` and, in ``absent``, why
    (e.g. ``"checked in fast mode only"``). ``null`` names the null in a few words (default: the registry's).
    """

    what: str
    verdict: claims.Verdict | None = None
    claim_id: str = ""
    absent: str = ""
    null: str = ""

    def __post_init__(self) -> None:
        for name in ("what", "claim_id", "absent", "null"):
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"Row.{name} must be a string, got {getattr(self, name)!r}")
        if not self.what.strip():
            raise ValueError("Row.what must say what is measured (a non-empty string)")
        if self.verdict is None:
            if not self.absent.strip():
                raise ValueError(f"a row without a verdict ({self.claim_id or 'no claim_id'}) must say why in absent=")
            claims.get(self.claim_id)                                   # ValueError if not registered
        elif not isinstance(self.verdict, claims.Verdict):
            raise ValueError(f"Row.verdict must be a claims.Verdict (what claims.check returns), "
                             f"got {type(self.verdict).__name__}")
        elif self.absent:
            raise ValueError(f"{self.verdict.claim.id}: a row with a verdict takes no absent=")
        elif self.claim_id and self.claim_id != self.verdict.claim.id:
            raise ValueError(f"claim_id {self.claim_id!r} is not the verdict's claim {self.verdict.claim.id!r}")

    @property
    def claim(self) -> claims.Claim:
        return self.verdict.claim if self.verdict is not None else claims.get(self.claim_id)

    def cells(self) -> tuple[str, str, str, str, str]:
        """The row's five cells as plain text, in the order of :data:`COLUMNS`."""
        claim, v = self.claim, self.verdict
        short = claim.id.split("/", 1)[-1]
        return short, self.what.strip(), _ours(v) if v is not None else self.absent.strip(), \
            _bar(claim, v), _null(claim, v, self.null.strip())


def _units(claim: claims.Claim) -> str:
    return f" {claim.units}" if claim.units else ""


def _where(v: claims.Verdict) -> str:
    if v.provenance is not None:
        p = v.provenance
        return f"saved {p.mode}-mode run, {p.date}, {p.device}"
    seeds = ""
    if v.seeds:
        s = list(v.seeds)
        seeds = f"{s[0]}–{s[-1]}" if len(s) > 2 and s == list(range(s[0], s[0] + len(s))) else ", ".join(map(str, s))
        seeds = f", seed{'s' if len(s) > 1 else ''} {seeds}"
    return f"this run ({v.mode} mode{seeds})"


#: what a row adds after its values for a verdict other than reproduced (any other status reads as itself: "not
#: reproduced", "not a test", ...); a failing one in capitals
_STATUS_WORDS = {claims.PASSED_THIS_RUN: "registered as not reproduced; passed this run",
                 claims.NULL_PASSED_THIS_RUN: "registered as not reproduced; its null passed this run",
                 claims.NULL_MISSED_THIS_RUN: "registered as not a test; its null missed the bar this run",
                 "failed": "FAILS", "cannot fail": "CANNOT FAIL", "degenerate": "DEGENERATE"}


def _ours(v: claims.Verdict) -> str:
    text = f"{v.summary()}; {_where(v)}"
    if v.claim.min_pass is not None:
        text += f"; {v.seed_rule()}"
    else:
        k, n = v.passing
        if n > 1 and k < n:
            text += f"; {k} of {n} {'seeds' if v.seeds is not None else 'values'} meet the bar"
        if v.degenerate:
            text += f"; degenerate: {', '.join(str(s) for s in v.degenerate)}"
    return text + (f" — {_STATUS_WORDS.get(v.status, v.status)}" if v.status not in ("reproduced", "derived") else "")


def _bar(claim: claims.Claim, v: claims.Verdict | None) -> str:
    criterion = v.criterion if v is not None else claim.criterion_for(claim.mode if claim.mode != "any" else "fast")
    if claim.min_pass is not None:
        rule = f"on ≥ {claim.min_pass[0]} of {claim.min_pass[1]} seeds"
    else:
        rule = {"all": "every seed", "median": "median of the seeds", "mean": "mean of the seeds"}[claim.aggregate]
    return f"{criterion.describe()}{_units(claim)}, {rule}"


def _null(claim: claims.Claim, v: claims.Verdict | None, label: str) -> str:
    if v is not None and v.null is not None:
        n = v.null
        if len(n.values) > 1 and not isinstance(n.value, bool):
            value = f"{fmt(min(n.values))}–{fmt(max(n.values))}{_units(claim)}"
        else:
            value = n.summary(claim.units).split(" — ")[0]
        verdict = "passes the bar too" if n.passed else "misses the bar"
        k = sum(bool(v.criterion.holds(x)) for x in n.values)
        if not n.passed and 0 < k < len(n.values):
            verdict += f"; {k} of {len(n.values)} values meet it on their own"
        return f"{label or claim.null}: {value} ({verdict})"
    if claim.null:
        return f"{label or claim.null}: not measured {'here' if v is not None else 'in this mode'}"
    return label or ("none (the registry says why)" if claim.null_reason else "—")


@dataclasses.dataclass(frozen=True)
class ClaimsTable:
    """The table of ``rows`` (at least one; a claim once per mode). Shows as HTML in a notebook, as Markdown in text."""

    rows: tuple[Row, ...]

    def __init__(self, rows: Sequence[Row]) -> None:
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
            raise ValueError(f"rows must be a sequence of Row, got {type(rows).__name__}")
        rows = tuple(rows)
        if not rows:
            raise ValueError("a claims table needs at least one row")
        for i, r in enumerate(rows):
            if not isinstance(r, Row):
                raise ValueError(f"rows[{i}] must be a Row, got {type(r).__name__}")
        keys = [(r.claim.id, r.verdict.mode if r.verdict is not None else "") for r in rows]
        repeated = sorted({k[0] for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"each claim may have one row per mode only; repeated: {repeated}")
        object.__setattr__(self, "rows", rows)

    def markdown(self) -> str:
        """The table as Markdown (pipes in cells escaped)."""
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
        body = [line(COLUMNS), line(["---"] * len(COLUMNS))]
        return "\n".join(body + [line(r.cells()) for r in self.rows])

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def __str__(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="text-align:left">{html.escape(c)}</th>' for c in COLUMNS)
        rows = []
        for r in self.rows:
            cells = [html.escape(c) for c in r.cells()]
            cells[0] = f"<code>{cells[0]}</code>"
            if r.verdict is not None and r.verdict.status != "reproduced" and " — " in cells[2]:
                text, status = cells[2].rsplit(" — ", 1)
                cells[2] = f"{text} — <strong>{status}</strong>"
            rows.append("<tr>" + "".join(f'<td style="vertical-align:top">{c}</td>' for c in cells) + "</tr>")
        return (f'<table class="{HTML_CLASS}" style="font-size:0.85em"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(rows)}</tbody></table>")


def silent_verdict(claim_id: str, measured: Any, *, seeds: Sequence[int] | None = None,
                   provenance: Mapping[str, Any] | None = None, null: Any = None,
                   degenerate: Any = None) -> claims.Verdict:
    """The verdict ``claims.check`` would give, neither shown, logged nor raised (``ValueError`` on bad input).

    For a table row that reads a run the page does not check at that point, e.g. the ReLU side of a saved run.
    """
    return judge.judge(claims.get(claim_id), measured, seeds=seeds, provenance=provenance, null=null,
                       degenerate=degenerate)
