"""Counting the seed record's runs: which base seeds measured one run between them, on how many runs each claim kept
its registered outcome, and the claim × base-seed table (``python -m dltheory.book.seeds table``).

:mod:`dltheory.book.seeds` writes and reads the record; this module counts what it holds. Each base seed that
measured a claim live is a run. The base seeds whose verdict was judged on one saved run are one run between them;
so are those that measured the same values (a claim on fixed held-out seeds, or with no randomness), and, in a run
recorded before the record kept provenance, a claim registered for full mode read in a fast build (the judge takes
it only from a saved full-mode result). :func:`claim_sources` says which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dltheory.book import notebooks
from dltheory.book.notebooks import _OK, MARKS, REPEATED, seed_table

__all__ = ["LIVE", "REPEATED", "SAVED_FULL", "source", "claim_sources", "registered_modes", "held", "held_text",
           "table"]

#: a claim verdict measured in the run itself, not read from a saved run (its ``provenance``)
LIVE = "live"


def source(verdict: Mapping[str, Any]) -> str | None:
    """Where a recorded claim verdict came from: :data:`LIVE`, the saved run it was judged on, or ``None`` for a
    run recorded before the record kept it."""
    return verdict.get("provenance")


#: the source of a full-mode claim's verdict in a fast run: a fast build judges such a claim only on the saved
#: full-mode result (the judge refuses a live one), the same under every base seed
SAVED_FULL = "the saved full-mode result (a fast build judges a full-mode claim on nothing else)"


def claim_sources(runs: Sequence[Mapping[str, Any]], cid: str, *,
                  registered_mode: str = "any") -> dict[int, str | None]:
    """Per base seed of ``runs``, where ``cid``'s verdict came from (:func:`source`; ``None`` where unknown or the
    page never reached it), except:

    * a fast run's verdict of a claim registered for full mode (``registered_mode``) is :data:`SAVED_FULL`, whatever
      its recorded provenance: a fast build judges such a claim only on the saved full-mode result, one file, which
      the record's fingerprint holds fixed;
    * live verdicts that are one run under several base seeds are :data:`REPEATED`: when every base seed that
      measured the claim live recorded its values (at least two), and their values and null's are the same under
      every one, with the same recorded seeds (a claim on fixed held-out seeds) or, where the seeds were not
      recorded, with a value that is not a whole number (a count or a yes/no answer may repeat by chance, a
      measured fraction does not)."""
    entries = {r["seed"]: r["verdicts"].get(cid) for r in runs}
    measured = {seed: e for seed, e in entries.items() if e is not None and source(e) in (None, LIVE)}
    live = {seed: e for seed, e in measured.items() if e.get("values") is not None}

    def same(key: Any) -> bool:
        return len({json.dumps(key(e)) for e in live.values()}) == 1

    labelled = all(e.get("seeds") is not None for e in live.values())
    repeated = (len(live) >= 2 and len(live) == len(measured) and same(lambda e: [e["values"], e.get("null_values")])
                and (same(lambda e: e["seeds"]) if labelled else
                     any(isinstance(v, float) and not v.is_integer() for e in live.values() for v in e["values"])))
    fast = {r["seed"] for r in runs if r.get("mode") == "fast"}
    out: dict[int, str | None] = {}
    for seed, e in entries.items():
        where = source(e) if e is not None else None
        if e is not None and registered_mode == "full" and seed in fast:
            where = SAVED_FULL
        elif repeated and seed in live:
            where = REPEATED
        out[seed] = where
    return out


def registered_modes() -> dict[str, str]:
    """Each registered claim's ``mode`` (``"any"``, ``"fast"`` or ``"full"``)."""
    from dltheory import claims

    return {cid: c.mode for cid, c in claims.registry().items()}


def held(records: Mapping[str, Sequence[Mapping[str, Any]]],
         modes: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """``{claim id: (distinct runs on which its registered outcome held, distinct runs recorded)}`` over ``records``
    (per page, its fresh runs; :func:`dltheory.book.seeds.fresh_records`), ``modes`` the claims' registered modes
    (:func:`registered_modes`). A claim a page did not reach on a base seed counts as not held on it; runs are
    counted as :func:`claim_sources` keys them."""
    out: dict[str, tuple[int, int]] = {}
    for runs in records.values():
        ids = {cid for r in runs for cid in r["verdicts"]}
        for cid in ids:
            where = claim_sources(runs, cid, registered_mode=modes.get(cid, "any"))
            distinct = notebooks.distinct_runs((r["seed"], where[r["seed"]],
                                                r["verdicts"].get(cid, {}).get("status") in _OK) for r in runs)
            out[cid] = (sum(distinct.values()), len(distinct))
    return out


def held_text(claim_id: str, counts: Mapping[str, tuple[int, int]]) -> str:
    """The ledger's note for one claim: ``held on 9 of 10 base seeds`` (empty with fewer than two distinct runs
    recorded: a claim judged on one saved run under every base seed has one)."""
    ok, n = counts.get(claim_id, (0, 0))
    return f"held on {ok} of {n} base seeds" if n >= 2 else ""


#: what :func:`table` appends to a cell: the claim's values near the bar, its null's, a saved run
_CELL_TAGS = (("claim", " ~"), ("null", " ~null"), ("saved", " [saved]"), ("same", " [same]"))
_LEGEND = ("~: marginal (a value near the bar); ~null: its null near the bar; [saved]: judged on a saved run, "
           "counted once in 'held' however many base seeds read it; [same]: the same values under every base seed "
           "(fixed seeds, or none), counted once too. A run recorded before the record kept margins, provenance "
           "and values shows none of these.")


def table(records: Mapping[str, Sequence[Mapping[str, Any]]], modes: Mapping[str, str],
          registered_on: Mapping[str, Any]) -> str:
    """The claim × base-seed table of ``records`` (per page, its fresh runs), ``modes`` the claims' registered
    modes; ``registered_on`` maps claim ids to their ``[claim.registered_on]`` (:func:`notebooks.seed_table`)."""
    rows: dict[str, dict[int, str]] = {}
    statuses: dict[str, dict[int, str]] = {}
    sources: dict[str, dict[int, str]] = {}
    seeds: set[int] = set()
    ran: dict[str, list[int]] = {}
    tagged = False
    for runs in records.values():
        where_by_claim = {}
        for cid in {cid for run in runs for cid in run["verdicts"]}:
            ran[cid] = sorted(run["seed"] for run in runs)
            where_by_claim[cid] = claim_sources(runs, cid, registered_mode=modes.get(cid, "any"))
        for run in runs:
            seeds.add(run["seed"])
            for cid, v in run["verdicts"].items():
                value = v["value"]
                shown = f"{value:.3g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
                where = where_by_claim[cid][run["seed"]]
                tags = set(v.get("marginal_sides") or ()) | ({"same"} if where == REPEATED else
                                                             {"saved"} if where not in (None, LIVE) else set())
                tagged |= bool(tags)
                rows.setdefault(cid, {})[run["seed"]] = (f"{MARKS.get(v['status'], v['status'])} {shown}"
                                                         + "".join(t for side, t in _CELL_TAGS if side in tags))
                statuses.setdefault(cid, {})[run["seed"]] = v["status"]
                sources.setdefault(cid, {})[run["seed"]] = where if where is not None else LIVE
    if not rows:
        return "no fresh seed record"
    text = seed_table(rows, statuses, sorted(seeds), ran, sources=sources, registered_on=registered_on)
    return text + ("\n" + _LEGEND if tagged else "")
