"""What the claims ledger shows: its counts, its cells and its figure, from the registry and the pages' verdicts.

Used by :mod:`dltheory.book.sphinxext`, which places them on ``book/claims.md`` at build time. A *record*
is the JSON a verdict carries (:meth:`dltheory.claims.Verdict.record`); ``None`` where no page checked the claim.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from dltheory import claims as _claims
from dltheory import plot

__all__ = ["verdicts_in_html", "stale_verdict", "COUNTS", "counts", "marginal_sides", "verdict_text", "null_text",
           "margin_text", "revision_text", "figure_rows", "draw_figure", "figure_svg"]

#: the ledger's counts per chapter, in the order of its summary table: (key, column heading)
COUNTS = (
    ("reproduced", "Repro\u00adduced"),
    ("not reproduced", "Not repro\u00adduced"),
    ("not a test", "Not a test"),
    ("derivations", "Deriva\u00adtions"),
    ("null tested", "Null tested"),
    ("without a null", "Without a null"),
    ("revised", "Bars revised"),
    ("marginal", "Mar\u00adginal"),
    ("few seeds", "Under 3 seeds"),
    ("not checked", "Not checked"),
)

_DATA_RE = re.compile(r'class="' + _claims.HTML_CLASS + r'" data-claim="([^"]*)"')


def verdicts_in_html(text: str) -> list[dict[str, Any]]:
    """The claim records carried by the verdicts in a piece of HTML (see :func:`dltheory.claims.check`)."""
    return [json.loads(html.unescape(m.group(1))) for m in _DATA_RE.finditer(text)]


VERDICTS = {
    "reproduced": ("✔ reproduced", "dltheory-pass"),
    "not reproduced": ("◐ does not reproduce here", "dltheory-partial"),
    _claims.PASSED_THIS_RUN: ("◐ does not reproduce here (registered); passed in this build's run",
                              "dltheory-partial"),
    _claims.NULL_PASSED_THIS_RUN: ("◐ does not reproduce here (registered); its null passed in this build's run",
                                   "dltheory-partial"),
    _claims.NOT_A_TEST: ("○ not a test: its null meets the bar", "dltheory-partial"),
    _claims.NULL_MISSED_THIS_RUN: ("○ not a test: its null meets the bar (registered); its null missed in this "
                                   "build's run", "dltheory-partial"),
    "derived": ("= derived", "dltheory-derived"),
    "failed": ("✘ failed", "dltheory-fail"),
    "cannot fail": ("✘ cannot fail: its null passes too", "dltheory-fail"),
    "degenerate": ("✘ degenerate run", "dltheory-fail"),
}


def _status(rec: Mapping[str, Any]) -> str:
    return rec.get("status", "reproduced" if rec["passed"] else "failed")


#: the registration each verdict status implies: a claim that reproduces, one registered as not reproduced, one
#: registered "not a test", a derivation (the failing statuses stop the build and imply none)
_REGISTERED_AS = {"reproduced": "reproduces", "not reproduced": "not reproduced",
                  _claims.PASSED_THIS_RUN: "not reproduced", _claims.NULL_PASSED_THIS_RUN: "not reproduced",
                  _claims.NOT_A_TEST: "not a test",
                  _claims.NULL_MISSED_THIS_RUN: "not a test", "derived": "derivation"}
#: the column of :data:`COUNTS` that counts each registration (a derivation is counted by its kind, above)
_COUNTED_AS = {"reproduces": "reproduced", "not reproduced": "not reproduced", "not a test": "not a test"}


def stale_verdict(claim: _claims.Claim, rec: Mapping[str, Any]) -> str | None:
    """Why a page's printed verdict ``rec`` no longer matches the registry's ``claim`` (its status implies another
    registration, for instance a page read back from the execution cache after the claim was registered as not
    reproduced), or ``None``. Only the registration is compared: a changed bar with the same outcome is not seen."""
    implied = _REGISTERED_AS.get(_status(rec))
    if implied is None:
        return None
    mode = rec.get("mode", "fast")
    now = ("derivation" if claim.derivation else "not a test" if claim.not_a_test
           else "reproduces" if claim.reproduces_in(mode) else "not reproduced")
    return None if implied == now else f"its verdict says '{implied}' but the registry now says '{now}'"


def marginal_sides(rec: Mapping[str, Any]) -> tuple[str, ...]:
    """The sides of a record that sit near the bar (:data:`dltheory.claims.MARGINAL_SIDES`), read from its margin and
    its null's, so that a record from the execution cache, made before the null's margin counted, reads the same."""
    null = rec.get("null") or {}
    margins = {"claim": rec.get("margin"), "null": null.get("margin")}
    return tuple(side for side in _claims.MARGINAL_SIDES if (margins[side] or {}).get("marginal"))


def counts(chapter_claims: Sequence[_claims.Claim], results: Mapping[str, Mapping[str, Any] | None]) -> dict[str, int]:
    """The ledger's counts (keys of :data:`COUNTS`) for one chapter's claims and their records."""
    out = {k: 0 for k, _ in COUNTS}
    for c in chapter_claims:
        rec = results.get(c.id)
        out["revised"] += c.revised
        if c.derivation:
            out["derivations"] += 1
        elif c.not_a_test:  # its null meets the bar: counted apart, neither null tested nor without a null
            pass
        elif rec is not None and rec.get("null") is not None and not rec["null"]["passed"]:
            out["null tested"] += 1
        elif not c.null_reason:
            out["without a null"] += 1
        if rec is None:
            out["not checked"] += 1
            continue
        # a verdict counts as the registration it implies (a claim registered not reproduced that passed this run
        # counts as not reproduced; its cell says what passed); derivations and failing statuses count in no column
        column = _COUNTED_AS.get(_REGISTERED_AS.get(_status(rec), ""))
        if column is not None:
            out[column] += 1
        out["marginal"] += bool(marginal_sides(rec))
        out["few seeds"] += bool(rec.get("few_seeds")) and rec.get("interval") is not None
    return out


def verdict_text(rec: Mapping[str, Any]) -> tuple[str, str]:
    """The verdict cell's text and CSS class; a ``min_pass`` claim says on how many seeds it held."""
    text, cls = VERDICTS[_status(rec)]
    if rec.get("min_pass") and rec.get("passing") and _status(rec) == "reproduced":
        k, n = rec["passing"]
        text += f" on {k} of {n} seeds (at least {rec['min_pass']} required)"
    return text, cls


def null_text(claim: _claims.Claim, rec: Mapping[str, Any] | None) -> str:
    """The *null* cell: the null measured (and that it fails), named only, or why there is none."""
    if claim.derivation:
        return "— (a derivation measures nothing)"
    null = rec.get("null") if rec else None
    if null is not None:
        vals = [v for v in null["values"] if isinstance(v, (int, float))]
        spread = f" (range {min(vals):.3g}–{max(vals):.3g})" if len(vals) > 1 else ""
        value = null["value"] if isinstance(null["value"], bool) else f"{float(null['value']):.3g}"
        verdict = "passes the bar too" if null["passed"] else "misses the bar"
        return f"{claim.null or 'measured'}: {value}{spread}, {verdict}"
    if claim.null:
        return f"named, not measured yet: {claim.null}"
    if claim.null_reason:
        return f"none: {claim.null_reason}"
    return "none yet"


def margin_text(rec: Mapping[str, Any] | None) -> str:
    """The *margin* cell: the distance from the bar, relative and in seed spreads, the null's where it sits near
    the bar, and the flags."""
    if rec is None:
        return ""
    margin = rec.get("margin")
    text = margin["text"] if margin else ("— (yes/no)" if rec.get("interval") is None else "—")
    if "null" in marginal_sides(rec):
        text += f"; null {rec['null']['margin']['text']}"
    if rec.get("few_seeds") and rec.get("interval") is not None:
        text += "; fewer than 3 seeds"
    return text


def _md(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", text).replace("\n", " ")


def revision_text(claim: _claims.Claim) -> str:
    """Markdown for the claim cell: the bar's history, if it was fixed or changed after measuring, or that it
    was committed with its code (``bar_fixed = "with-code"``), so not shown to precede the first measurement."""
    if claim.bar_fixed == "with-code":
        return (f" *(bar unchanged since it was committed with the code that measures it, commit {claim.bar_commit}: "
                "not shown to be fixed before the first measurement)*")
    if not claim.revised:
        return ""
    if not claim.bar_history:
        return " *(revised after measuring: bar set after a first look at the data)*"
    return "".join(f" *(revised after measuring: {_md(h.describe())})*" for h in claim.bar_history)


def _relative(rec: Mapping[str, Any], value: float) -> float | None:
    """``value``'s signed margin over the bar's scale, measured as the verdict measured it (log, limit)."""
    lo, hi = rec["interval"]
    crit = _claims.Criterion(lower=lo, upper=hi, log_scale=rec.get("scale") == "log", limit=rec.get("limit"))
    margin, scale = crit.signed_margin(value), crit.scale()
    if margin is None or scale is None or not math.isfinite(value) or not math.isfinite(margin):
        return None
    return margin / scale


def figure_rows(chapter_claims: Sequence[_claims.Claim], results: Mapping[str, Mapping[str, Any] | None]
                ) -> list[dict[str, Any]]:
    """One row per numeric claim with a verdict: ours (seed range and aggregate), null and paper on the
    common scale *signed margin / bar scale* (0 at the bar, positive on the passing side)."""
    rows = []
    for c in chapter_claims:
        rec = results.get(c.id)
        if rec is None or rec.get("interval") is None:
            continue
        values = [v for v in rec["values"] if isinstance(v, (int, float))]
        rel = [r for r in (_relative(rec, v) for v in values) if r is not None]
        if not rel:
            continue
        null = rec.get("null")
        paper = _relative(rec, c.paper_value) if c.paper_value is not None else None
        sides = marginal_sides(rec)
        rows.append({
            "id": c.id, "label": c.id.split("/", 1)[1] + (" †" if c.revised else "") + (" (=)" if c.derivation else ""),
            "lo": min(rel), "hi": max(rel), "value": _relative(rec, float(rec["value"])),
            "null": _relative(rec, float(null["value"])) if null and not isinstance(null["value"], bool) else None,
            "paper": paper, "status": _status(rec), "marginal": "claim" in sides, "null_marginal": "null" in sides,
        })
    return rows


#: the colour of a mark near the bar: the ring of a marginal claim's dot, the cross of a null near the bar
_NEAR = "#b71c1c"
_COLOURS = {"reproduced": plot.COLORS[0], "not reproduced": plot.COLORS[4], _claims.PASSED_THIS_RUN: plot.COLORS[4],
            _claims.NULL_PASSED_THIS_RUN: plot.COLORS[4],
            "derived": "#777777", _claims.NOT_A_TEST: "#b0b0b0", _claims.NULL_MISSED_THIS_RUN: "#b0b0b0"}


def draw_figure(rows: Sequence[Mapping[str, Any]]) -> Figure:
    """The chapter's figure: a row per claim, on the common scale of :func:`figure_rows`."""
    fig = Figure(figsize=(7.2, 1.1 + 0.27 * len(rows)))
    ax = fig.add_subplot()
    ys = list(range(len(rows)))[::-1]
    ax.axvspan(-_claims.NEAR_RELATIVE, _claims.NEAR_RELATIVE, color="#f4c7c3", alpha=0.6, lw=0)
    ax.axvline(0, color="#222222", lw=1.2)
    for y, r in zip(ys, rows):
        colour = _COLOURS.get(r["status"], "#b71c1c")
        ax.plot([r["lo"], r["hi"]], [y, y], color=colour, lw=4, alpha=0.45, solid_capstyle="round")
        if r["value"] is not None:
            ax.plot(r["value"], y, "o", color=colour, mec=_NEAR if r["marginal"] else colour, mew=1.5)
        if r["null"] is not None:
            ax.plot(r["null"], y, "x", color=_NEAR if r["null_marginal"] else "#222222", ms=7, mew=1.6)
        if r["paper"] is not None:
            ax.plot(r["paper"], y, "D", color=plot.COLORS[2], ms=5, mfc="none", mew=1.4)
    ax.set_yticks(ys, [r["label"] for r in rows])
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("(value − bar) / bar scale, signed: 0 is the bar, right of it passes")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    handles = [
        Line2D([], [], color=_COLOURS["reproduced"], lw=4, alpha=0.6, marker="o", label="ours (seeds, aggregate)"),
        Line2D([], [], color=_COLOURS["not reproduced"], lw=4, alpha=0.6, marker="o", label="not reproduced"),
        Line2D([], [], color=_COLOURS["derived"], lw=4, alpha=0.6, marker="o", label="derived"),
        *([Line2D([], [], color=_COLOURS[_claims.NOT_A_TEST], lw=4, alpha=0.6, marker="o", label="not a test")]
          if any(r["status"] in (_claims.NOT_A_TEST, _claims.NULL_MISSED_THIS_RUN) for r in rows) else []),
        Line2D([], [], color="#222222", marker="x", ls="none", label="null"),
        *([Line2D([], [], color=_NEAR, marker="x", ls="none", label="null near the bar")]
          if any(r["null_marginal"] for r in rows) else []),
        Line2D([], [], color=plot.COLORS[2], marker="D", mfc="none", ls="none", label="paper"),
        Patch(color="#f4c7c3", label=f"within {_claims.NEAR_RELATIVE:.0%}"),
    ]
    ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8)
    return fig


def figure_svg(rows: Sequence[Mapping[str, Any]], salt: str) -> str:
    """The chapter's figure as an inline SVG (text kept as text); ``salt`` keeps its ids unique on the page."""
    if not rows:
        return ""
    style = dict(plot.STYLE) | {"svg.fonttype": "none", "svg.hashsalt": salt}
    with mpl.rc_context(style):
        fig = draw_figure(rows)
        buf = io.StringIO()
        fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]
