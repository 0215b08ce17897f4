"""The seed record: on how many base seeds each claim held, kept in the repository and read by the ledger.

``DLTHEORY_SEED`` promises that a page's claims hold for any base seed, and ``make seeds`` tests the promise
(``python -m dltheory.book.seeds run --seeds S1 S2 ...``). A whole-book sweep over ten base seeds takes hours on a CPU, more
than one sitting; so each page's runs are written to ``results/seeds/<chapter>/<page>.json`` as they finish, a
sweep can be spread over sessions (or machines), and the ledger counts only the runs that describe the code as it
is now.

A record holds the page's *fingerprint*: a hash of the page itself, of every file of the ``dltheory`` packages
it imports (the chapter's code; the book's small core is left out, so that an edit of, say, the plotting module
does not throw away every record), of its chapter's registry (the bars) and of its chapter's saved runs in
``lib/dltheory/data``. A run recorded under another fingerprint is *stale*: it is kept in the file, shown as
such by ``python -m dltheory.book.seeds``, and never counted.

``python -m dltheory.book.seeds run [PAGE.md ...] --seeds 0 1 2 ... [--keep-going]``
    Run the pages (default: every notebook page) once per base seed, as ``notebooks run --seeds`` does, and add
    each run to its page's record as soon as it finishes. ``make seeds`` runs this.
``python -m dltheory.book.seeds table [--stale] [--mode fast|full]``
    Print the claim × base-seed table of every fresh record (and, with ``--stale``, the pages with fewer than two
    fresh runs).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dltheory.book import notebooks
from dltheory.book.notebooks import _OK, MARKS, seed_table

__all__ = ["RECORD_DIR", "fingerprint", "record_path", "record_run", "load", "fresh_runs", "held", "held_text",
           "table", "stale_pages"]

#: where the records live, relative to the repository root
RECORD_DIR = Path("results") / "seeds"

_IMPORT_RE = re.compile(r"^\s*(?:from|import)\s+dltheory\.([A-Za-z_]\w*)", re.MULTILINE)
_CORE = {"book", "claims", "registry", "data"}  # packages of the book's machinery, not of a chapter's experiments
_SCHEMA = 1


def _root(root: Path | None) -> Path:
    return Path(root) if root is not None else notebooks.repo_root()


def _rel(page: Path, root: Path) -> Path:
    page = Path(page)
    page = page.resolve() if page.is_absolute() else (root / page).resolve()
    try:
        return page.relative_to(root.resolve())
    except ValueError:
        raise ValueError(f"the page {page} is not inside the repository {root}") from None


def _inputs(page: Path, root: Path) -> list[Path]:
    """The files a page's record depends on (see the module docstring), sorted."""
    rel = _rel(page, root)
    text = (root / rel).read_text(encoding="utf-8")
    lib = root / "lib" / "dltheory"
    files = {root / rel}
    todo, seen = [text], set()
    while todo:  # the packages the page imports, and those they import in turn (the epilogue reads the chapters')
        for package in set(_IMPORT_RE.findall(todo.pop())) - _CORE - seen:
            seen.add(package)
            if (lib / package).is_dir():
                found = [p for p in (lib / package).rglob("*.py") if "__pycache__" not in p.parts]
                files.update(found)
                todo.extend(p.read_text(encoding="utf-8") for p in found)
    chapter = rel.parent.name
    files.update(p for p in [lib / "registry" / f"{chapter}.toml"] if p.is_file())
    if (lib / "data").is_dir():
        files.update(p for p in (lib / "data").glob(f"{chapter}-*") if p.is_file())
    return sorted(files)


def fingerprint(page: Path, root: Path | None = None) -> str:
    """A hash of everything a page's verdicts depend on apart from the core and the machine (module docstring)."""
    root = _root(root)
    digest = hashlib.sha256()
    for path in _inputs(page, root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def record_path(page: Path, root: Path | None = None) -> Path:
    """``results/seeds/<chapter>/<page stem>.json`` for ``chapters/<chapter>/<page stem>.md``."""
    root = _root(root)
    rel = _rel(page, root)
    return root / RECORD_DIR / rel.parent.name / f"{rel.stem}.json"


def _commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True, text=True,
                             check=True, timeout=30)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                f":(exclude){RECORD_DIR.as_posix()}"], cwd=root,  # the records themselves do not count
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        return out.stdout.strip() + ("+changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


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
    fp = fingerprint(page, root)
    verdicts = {}
    for rec in records:
        if "id" not in rec or "passed" not in rec:
            raise ValueError(f"a verdict record needs 'id' and 'passed', got keys {sorted(rec)}")
        null = rec.get("null") or {}
        verdicts[rec["id"]] = {"status": rec.get("status", "reproduced" if rec["passed"] else "failed"),
                               "value": rec.get("value"), "null": null.get("value"),
                               "passing": rec.get("passing") if rec.get("min_pass") else None}
    run = {"seed": seed, "mode": mode, "fingerprint": fp, "commit": _commit(root), "seconds": round(float(seconds), 1),
           "date": _dt.date.today().isoformat(), "verdicts": verdicts}
    if error:
        run["error"] = str(error)[:300]
    data["runs"] = [r for r in data["runs"] if (r["seed"], r["mode"], r["fingerprint"]) != (seed, mode, fp)] + [run]
    data["runs"].sort(key=lambda r: (r["mode"], r["fingerprint"] != fp, r["seed"]))
    path = record_path(page, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")
    return path


def fresh_runs(page: Path, *, mode: str = "fast", root: Path | None = None) -> list[dict[str, Any]]:
    """The recorded runs of ``page`` in ``mode`` made on the code as it is now (same fingerprint)."""
    root = _root(root)
    fp = fingerprint(page, root)
    return [r for r in load(page, root)["runs"] if r["mode"] == mode and r["fingerprint"] == fp]


def _recorded_pages(root: Path) -> list[Path]:
    base = root / RECORD_DIR
    pages = []
    for path in sorted(base.glob("*/*.json")) if base.is_dir() else []:
        page = root / "chapters" / path.parent.name / f"{path.stem}.md"
        for candidate in (page, root / path.parent.name / f"{path.stem}.md"):
            if candidate.is_file():
                pages.append(candidate)
                break
    return pages


def held(root: Path | None = None, *, mode: str = "fast") -> dict[str, tuple[int, int]]:
    """``{claim id: (base seeds on which its registered outcome held, base seeds recorded)}`` over every fresh
    record (a claim a page did not reach on a seed counts as not held on it)."""
    root = _root(root)
    out: dict[str, tuple[int, int]] = {}
    for page in _recorded_pages(root):
        runs = fresh_runs(page, mode=mode, root=root)
        ids = {cid for r in runs for cid in r["verdicts"]}
        for cid in ids:
            ok = sum(r["verdicts"].get(cid, {}).get("status") in _OK for r in runs)
            out[cid] = (ok, len(runs))
    return out


def held_text(claim_id: str, counts: Mapping[str, tuple[int, int]]) -> str:
    """The ledger's note for one claim: ``held on 9 of 10 base seeds`` (empty with fewer than two recorded)."""
    ok, n = counts.get(claim_id, (0, 0))
    return f"held on {ok} of {n} base seeds" if n >= 2 else ""


def table(pages: Iterable[Path] | None = None, *, mode: str = "fast", root: Path | None = None) -> str:
    """The claim × base-seed table of the fresh records of ``pages`` (default: every recorded page)."""
    root = _root(root)
    rows: dict[str, dict[int, str]] = {}
    statuses: dict[str, dict[int, str]] = {}
    seeds: set[int] = set()
    for page in pages if pages is not None else _recorded_pages(root):
        for run in fresh_runs(page, mode=mode, root=root):
            seeds.add(run["seed"])
            for cid, v in run["verdicts"].items():
                value = v["value"]
                shown = f"{value:.3g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
                rows.setdefault(cid, {})[run["seed"]] = f"{MARKS.get(v['status'], v['status'])} {shown}"
                statuses.setdefault(cid, {})[run["seed"]] = v["status"]
    if not rows:
        return "no fresh seed record"
    return seed_table(rows, statuses, sorted(seeds))


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
    print(table(mode=args.mode, root=root))
    if args.stale:
        print("\npages to run again (make seeds PAGES=...):")
        print("\n".join(stale_pages(notebooks.notebook_pages(root), mode=args.mode, root=root)) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
