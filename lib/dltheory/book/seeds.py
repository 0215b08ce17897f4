"""The seed record: on how many base seeds each claim held, kept in the repository and read by the ledger.

``DLTHEORY_SEED`` promises that a page's claims hold for any base seed, and ``make seeds`` tests the promise
(``python -m dltheory.book.seeds run --seeds S1 S2 ...``). A whole-book sweep over ten base seeds takes hours on a
CPU, more than one sitting; so each page's runs are written to ``results/seeds/<chapter>/<page>.json`` as they
finish, a sweep can be spread over sessions (or machines), and the ledger counts only the runs that describe the
code as it is now.

Each run holds a *fingerprint*: a hash of the page's code cells (its prose may change freely), of every chapter
module those cells import and of those they import in turn (followed module by module, relative imports included;
the book's small core, ``dltheory.<module>.py``, ``claims``, ``book`` and ``registry``, is left out, so that an
edit of, say, the plotting module does not throw away every record), of the saved runs in ``lib/dltheory/data``
that those cells and modules name, and of the registry entries (the bars) of the claims the run reported (all but
``[claim.registered_on]``, which explains the record and measures nothing). A Python
file counts as its syntax tree without docstrings, so comments and docstrings may change freely too. A run whose fingerprint
no longer matches the code is *stale*: it is kept in the file, shown as such by ``python -m dltheory.book.seeds``,
and never counted. An edit of one page's module, or of one claim's bar, leaves the other pages' runs as they were.

``python -m dltheory.book.seeds run [PAGE.md ...] --seeds 0 1 2 ... [--keep-going]``
    Run the pages (default: every notebook page) once per base seed, as ``notebooks run --seeds`` does, and add
    each run to its page's record as soon as it finishes. ``make seeds`` runs this.
``python -m dltheory.book.seeds refresh [PAGE.md ...]``
    Re-key the stale runs made at a clean commit whose code, fingerprinted today, is today's code (after a change
    of the fingerprint itself; :func:`refresh`).
``python -m dltheory.book.seeds table [--stale] [--mode fast|full]``
    Print the claim × base-seed table of every fresh record (and, with ``--stale``, the pages with fewer than two
    fresh runs).

Each claim's entry in a run holds its status, value and null's value, its share of passing seeds (a claim on most
seeds), and, in runs recorded since the record kept them, ``provenance`` (``"live"``, or the saved run the verdict
was judged on, as its verdict names it) and ``marginal_sides`` (``[]``, ``["claim"]``, ``["null"]`` or both: which
of its values and its null's sat near the bar). An older run lacks both fields: it is read as before, as a live run
whose margins are unknown. Runs recorded since 2026-12-06 also keep the verdict's ``values`` (``per_seed``: one per
seed, or one per condition), its null's ``null_values``, and the accepted ``interval`` and its ``scale``: what
:mod:`dltheory.book.robustness` pools across base seeds to estimate how often a fresh base seed would turn a claim.
The table counts a saved run once however many base seeds read it, and live runs with the same values under every
base seed once too (:func:`claim_sources`), and marks those cells and the ones near the bar.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dltheory import saved
from dltheory.book import fingerprint as _fp
from dltheory.book import notebooks
from dltheory.book import seed_counts
from dltheory.book.seed_counts import LIVE, REPEATED, SAVED_FULL, claim_sources, held_text, source  # noqa: F401

__all__ = ["RECORD_DIR", "LIVE", "REPEATED", "SAVED_FULL", "fingerprint", "record_path", "page_of_record",
           "record_run", "load",
           "fresh_runs", "fresh_records", "held", "held_text", "source", "claim_sources", "table", "stale_pages",
           "refresh"]

#: where the records live, relative to the repository root
RECORD_DIR = Path("results") / "seeds"

_SCHEMA = 1


def _root(root: Path | None) -> Path:
    return Path(root) if root is not None else notebooks.repo_root()


_rel = _fp.relative


def fingerprint(page: Path, root: Path | None = None, claims: Iterable[str] = ()) -> str:
    """A hash of everything a run of ``page`` that reported ``claims`` depends on apart from the core and the
    machine (:mod:`dltheory.book.fingerprint`)."""
    return _fp.fingerprint(page, _root(root), claims)


def record_path(page: Path, root: Path | None = None) -> Path:
    """``results/seeds/<chapter>/<page stem>.json`` for ``chapters/<chapter>/<page stem>.md``."""
    root = _root(root)
    rel = _rel(page, root)
    return root / RECORD_DIR / rel.parent.name / f"{rel.stem}.json"


def _commit(root: Path) -> str:
    """The commit of the checkout at ``root``, ``+changes`` where its tracked files (the records left out) differ
    from it; ``"unknown"`` outside a git checkout."""
    commit = saved.commit_id(12, root)
    if commit is None:
        return "unknown"
    try:
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                f":(exclude){RECORD_DIR.as_posix()}"], cwd=root,  # the records themselves do not count
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+changes" if dirty else "")


def load(page: Path, root: Path | None = None) -> dict[str, Any]:
    """The record of ``page`` (an empty one if there is none)."""
    root = _root(root)
    path = record_path(page, root)
    if not path.is_file():
        return {"schema": _SCHEMA, "page": str(_rel(page, root)), "runs": []}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != _SCHEMA or not isinstance(data.get("runs"), list):
        raise ValueError(f"{path} is not a seed record of schema {_SCHEMA}")
    return data


def record_run(page: Path, seed: int, records: Sequence[Mapping[str, Any]], *, seconds: float,
               mode: str = "fast", error: str | None = None, root: Path | None = None) -> Path:
    """Add one run of ``page`` under base seed ``seed`` (its claim verdicts ``records``, as printed by the page) to
    the page's record, replacing an earlier run with the same seed, mode and fingerprint; returns the file.

    A page that stopped with an error is recorded with ``error`` (the claims it did not reach count as not held)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"a base seed is a non-negative int, got {seed!r}")
    if mode not in ("fast", "full"):
        raise ValueError(f"mode must be 'fast' or 'full', got {mode!r}")
    if not (seconds >= 0):
        raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
    root = _root(root)
    data = load(page, root)
    verdicts = {}
    for rec in records:
        if "id" not in rec or "passed" not in rec:
            raise ValueError(f"a verdict record needs 'id' and 'passed', got keys {sorted(rec)}")
        null = rec.get("null") or {}
        entry = {"status": rec.get("status", "reproduced" if rec["passed"] else "failed"),
                 "value": rec.get("value"), "null": null.get("value"),
                 "passing": rec.get("passing") if rec.get("min_pass") else None}
        if "provenance" in rec:  # a verdict record always names it; None is a live measurement
            provenance = rec["provenance"]
            if provenance is not None and (not isinstance(provenance, str) or not provenance.strip()):
                raise ValueError(f"{rec['id']}: provenance must be None (live) or a non-empty string, "
                                 f"got {provenance!r}")
            entry["provenance"] = provenance or LIVE
        if "margin" in rec or "marginal_sides" in rec:  # a verdict record always has its margin
            entry["marginal_sides"] = _marginal_sides(rec)
        if "values" in rec:  # a verdict record always has them: what robustness.audit pools across base seeds
            entry.update(_spread_fields(rec))
        verdicts[rec["id"]] = entry
    fp = fingerprint(page, root, verdicts)
    run = {"seed": seed, "mode": mode, "fingerprint": fp, "commit": _commit(root), "seconds": round(float(seconds), 1),
           "date": _dt.date.today().isoformat(), "verdicts": verdicts}
    if error:
        run["error"] = str(error)[:300]
    data["runs"] = [r for r in data["runs"] if (r["seed"], r["mode"], r["fingerprint"]) != (seed, mode, fp)] + [run]
    return _save(page, root, data)


def _spread_fields(rec: Mapping[str, Any]) -> dict[str, Any]:
    """A verdict's values, one per seed (``per_seed``) or per condition, its null's values and the accepted
    interval (``None`` ends open; absent for a yes/no bar), as the seed record keeps them."""
    values = rec.get("values")
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{rec['id']}: a verdict's values must be a list, got {type(values).__name__}")
    null = rec.get("null") or {}
    out: dict[str, Any] = {"values": list(values), "per_seed": rec.get("seeds") is not None,
                           "null_values": list(null["values"]) if null.get("values") is not None else None}
    if rec.get("seeds") is not None:  # the seeds' labels: the same under every base seed for fixed held-out seeds
        out["seeds"] = list(rec["seeds"])
    # the seeds the page flagged as degenerate (a dead network): a miss, whatever value they recorded; always written,
    # so that an entry without it is known to predate it
    out["degenerate"] = [d for d in rec.get("degenerate") or () if not str(d).startswith("null ")]
    if rec.get("interval") is not None:
        out["interval"] = list(rec["interval"])
        out["scale"] = rec.get("scale", "linear")
    return out


def _marginal_sides(rec: Mapping[str, Any]) -> list[str]:
    """The sides of a verdict record near the bar, as the ledger reads them (its margin and its null's)."""
    from dltheory.book.ledger import marginal_sides

    sides = set(marginal_sides(rec)) | set(rec.get("marginal_sides") or ())
    return [side for side in ("claim", "null") if side in sides]


def _save(page: Path, root: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` as the record of ``page``, its runs in a fixed order; returns the file."""
    data["runs"].sort(key=lambda r: (r["mode"], r["seed"], r.get("date", ""), r["fingerprint"]))
    path = record_path(page, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def fresh_runs(page: Path, *, mode: str = "fast", root: Path | None = None) -> list[dict[str, Any]]:
    """The recorded runs of ``page`` in ``mode`` made on the code as it is now (same fingerprint)."""
    root = _root(root)
    runs = [r for r in load(page, root)["runs"] if r["mode"] == mode]
    if not runs:
        return []
    code, entries = _fp.code_digest(page, root), _fp.claim_entries(root)
    return [r for r in runs if r["fingerprint"] == _fp.with_claims(code, r["verdicts"], entries)]


def refresh(page: Path, *, root: Path | None = None) -> int:
    """Re-key the stale runs of ``page`` that were made at a clean commit whose code, fingerprinted as it is now,
    is the code of today (they went stale only because the fingerprint itself changed, or through a change
    that the fingerprint no longer sees, such as a docstring); returns how many runs it re-keyed.

    A run's commit is checked out into a temporary folder (``git archive``) and fingerprinted there with the
    claims the run reported; a run made on uncommitted changes (``+changes``) is never re-keyed."""
    root = _root(root)
    data = load(page, root)
    if not data["runs"]:
        return 0
    rel = _rel(page, root)
    code, entries = _fp.code_digest(page, root), _fp.claim_entries(root)
    then: dict[str, tuple[Any, dict[str, str]] | None] = {}  # per commit: its code digest and registry, once
    changed = 0
    for run in data["runs"]:
        now = _fp.with_claims(code, run["verdicts"], entries)
        commit = str(run.get("commit", ""))
        if run["fingerprint"] == now or not re.fullmatch(r"[0-9a-f]{7,40}", commit):
            continue
        if commit not in then:
            then[commit] = _digest_at(root, commit, rel)
        if then[commit] is not None and _fp.with_claims(then[commit][0], run["verdicts"], then[commit][1]) == now:
            run["fingerprint"] = now
            changed += 1
    if changed:  # a seed run again since keeps its latest run only, as record_run does
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        for run in sorted(data["runs"], key=lambda r: str(r.get("date", ""))):
            latest[(run["seed"], run["mode"], run["fingerprint"])] = run
        data["runs"] = list(latest.values())
        _save(page, root, data)
    return changed


def _digest_at(root: Path, commit: str, rel: Path) -> tuple[Any, dict[str, str]] | None:
    """The code digest of page ``rel`` and the claims' registry entries as they were at ``commit`` (``git archive``
    into a temporary folder); ``None`` where git cannot give that commit or the page did not exist."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "lib", str(rel.parent)], cwd=root,
                             capture_output=True, check=False, timeout=120)
    if archive.returncode != 0:
        return None
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(tmp, filter="data")
        old = Path(tmp)
        if not (old / rel).is_file():
            return None
        return _fp.code_digest(old / rel, old), _fp.claim_entries(old)


def page_of_record(path: Path, root: Path | None = None) -> Path | None:
    """The page a record file ``results/seeds/<folder>/<stem>.json`` belongs to: ``chapters/<folder>/<stem>.md``, or
    ``<folder>/<stem>.md`` for a page outside the chapters (``book/how-to-read.md``); ``None`` if neither exists."""
    root = _root(root)
    path = Path(path)
    for candidate in (root / "chapters" / path.parent.name / f"{path.stem}.md",
                      root / path.parent.name / f"{path.stem}.md"):
        if candidate.is_file():
            return candidate
    return None


def _recorded_pages(root: Path) -> list[Path]:
    base = root / RECORD_DIR
    found = (page_of_record(path, root) for path in sorted(base.glob("*/*.json")) if base.is_dir())
    return [page for page in found if page is not None]


def fresh_records(root: Path | None = None, *, mode: str = "fast",
                  pages: Iterable[Path] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The fresh runs in ``mode`` of ``pages`` (default: every recorded page), by page path relative to ``root``."""
    root = _root(root)
    return {str(_rel(page, root)): fresh_runs(page, mode=mode, root=root)
            for page in (pages if pages is not None else _recorded_pages(root))}


def held(root: Path | None = None, *, mode: str = "fast") -> dict[str, tuple[int, int]]:
    """``{claim id: (distinct runs on which its registered outcome held, distinct runs recorded)}`` over every
    fresh record (:func:`dltheory.book.seed_counts.held`)."""
    return seed_counts.held(fresh_records(root, mode=mode), seed_counts.registered_modes())


def table(pages: Iterable[Path] | None = None, *, mode: str = "fast", root: Path | None = None,
          registered_on: Mapping[str, Any] | None = None) -> str:
    """The claim × base-seed table of the fresh records of ``pages`` (default: every recorded page;
    :func:`dltheory.book.seed_counts.table`).

    ``registered_on`` maps claim ids to their ``[claim.registered_on]`` (default: those of the book's registry, in
    ``mode``): why a claim whose record passes everywhere stays registered as it is (:func:`notebooks.seed_table`).
    """
    if registered_on is None:
        from dltheory import claims

        registered_on = claims.registered_on(mode)
    return seed_counts.table(fresh_records(root, mode=mode, pages=pages), seed_counts.registered_modes(),
                             registered_on)


def stale_pages(pages: Iterable[Path], *, mode: str = "fast", root: Path | None = None) -> list[str]:
    """The chapter pages among ``pages`` with fewer than two fresh runs in ``mode``, each with what its record
    holds."""
    root = _root(root)
    out = []
    for page in pages:
        rel = _rel(page, root)
        if rel.parts[0] != "chapters":
            continue
        runs = load(page, root)["runs"]
        fresh = fresh_runs(page, mode=mode, root=root)
        if len(fresh) < 2:
            out.append(f"{rel}: {len(fresh)} fresh run(s), {len(runs) - len(fresh)} stale")
    return out


def _main(argv: list[str] | None = None) -> int:
    from dltheory import runtime

    parser = argparse.ArgumentParser(prog="python -m dltheory.book.seeds", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run pages under each base seed and record every run")
    p_run.add_argument("pages", nargs="*", type=Path, help="default: every notebook page of the book")
    p_run.add_argument("--seeds", nargs="+", type=int, required=True)
    p_run.add_argument("--keep-going", action="store_true",
                       help="show a failed claim and go on with the page (the exit status still says it failed)")
    p_refresh = sub.add_parser("refresh", help="re-key stale runs whose commit's code is today's code")
    p_refresh.add_argument("pages", nargs="*", type=Path, help="default: every recorded page")
    p_table = sub.add_parser("table", help="print the claim x base-seed table of the fresh records")
    p_table.add_argument("--mode", choices=("fast", "full"), default="fast")
    p_table.add_argument("--stale", action="store_true", help="also list the pages with fewer than two fresh runs")
    args = parser.parse_args(argv)
    root = notebooks.repo_root()
    if args.command == "run":
        mode = runtime.mode()

        def on_run(page: Path, seed: int | None, records: list[dict[str, Any]], seconds: float,
                   error: str | None) -> None:
            path = record_run(page, int(seed), records, seconds=seconds, mode=mode, error=error, root=root)
            print(f"  recorded in {path.relative_to(root)}")

        return notebooks._run(args.pages or notebooks.notebook_pages(root), args.seeds, args.keep_going, on_run)
    if args.command == "refresh":
        for page in args.pages or _recorded_pages(root):
            print(f"{_rel(page, root)}: {refresh(page, root=root)} run(s) re-keyed")
        return 0
    print(table(mode=args.mode, root=root))
    if args.stale:
        print("\npages to run again (make seeds PAGES=...):")
        print("\n".join(stale_pages(notebooks.notebook_pages(root), mode=args.mode, root=root)) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
