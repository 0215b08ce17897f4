"""The seed record: on how many base seeds each claim held, kept in the repository and read by the ledger.

``DLTHEORY_SEED`` promises that a page's claims hold for any base seed, and ``make seeds`` tests the promise
(``python -m dltheory.book.seeds run --seeds S1 S2 ...``). A whole-book sweep over ten base seeds takes hours on a CPU, more
than one sitting; so each page's runs are written to ``results/seeds/<chapter>/<page>.json`` as they finish, a
sweep can be spread over sessions (or machines), and the ledger counts only the runs that describe the code as it
is now.

Each run holds a *fingerprint*: a hash of the page's code cells (its prose may change freely), of every chapter module the page imports and of
those they import in turn (followed module by module, relative imports included; the book's small core,
``dltheory.<module>.py``, ``claims``, ``book`` and ``registry``, is left out, so that an edit of, say, the
plotting module does not throw away every record), of the saved runs in ``lib/dltheory/data`` that those files
name, and of the registry entries (the bars) of the claims the run reported. A run whose fingerprint no longer
matches the code is *stale*: it is kept in the file, shown as such by ``python -m dltheory.book.seeds``, and never
counted. An edit of one page's module, or of one claim's bar, leaves the other pages' runs as they were.

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
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dltheory.book import notebooks
from dltheory.book.notebooks import _OK, MARKS, seed_table

__all__ = ["RECORD_DIR", "fingerprint", "record_path", "record_run", "load", "fresh_runs", "held", "held_text",
           "table", "stale_pages"]

#: where the records live, relative to the repository root
RECORD_DIR = Path("results") / "seeds"

_FROM_RE = re.compile(r"^[ \t]*from[ \t]+(\.+[\w.]*|dltheory(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)",
                      re.MULTILINE)
_IMPORT_RE = re.compile(r"^[ \t]*import[ \t]+(dltheory(?:\.\w+)+)", re.MULTILINE)
_CELL_RE = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
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


def _module_files(lib: Path, dotted: str) -> list[Path]:
    """The files that importing ``dltheory.a.b`` runs (``a/__init__.py``, ``a/b.py``), none of them core; empty
    where the name is not a chapter module (a function, a core module)."""
    parts = dotted.split(".")[1:]
    if not parts or parts[0] in _CORE or not (lib / parts[0]).is_dir():
        return []  # ``dltheory`` itself, the machinery, and the core's top-level modules (runtime.py, nets.py, ...)
    files = [lib.joinpath(*parts[:k], "__init__.py") for k in range(1, len(parts))]
    base = lib.joinpath(*parts)
    if base.with_suffix(".py").is_file():
        return [f for f in files if f.is_file()] + [base.with_suffix(".py")]
    if (base / "__init__.py").is_file():
        return [f for f in files if f.is_file()] + [base / "__init__.py"]
    return []


def _imports(path: Path, text: str, lib: Path) -> set[Path]:
    """The chapter-module files that the code in ``text`` (a page, or the module at ``path``) imports."""
    here = None
    if path.suffix == ".py" and lib in path.parents:
        rel = path.relative_to(lib).with_suffix("").parts
        here = ("dltheory",) + (rel[:-1] if rel[-1] == "__init__" else rel)
        if rel[-1] != "__init__":
            here = here[:-1]  # the package a module's relative imports start from
    found: set[Path] = set()
    for source, names in _FROM_RE.findall(text):
        if source.startswith("."):
            if here is None:
                continue
            level = len(source) - len(source.lstrip("."))
            package = here[:len(here) - (level - 1)]
            source = ".".join(package + tuple(p for p in source.lstrip(".").split(".") if p))
        found.update(_module_files(lib, source))
        for name in names.strip("()").replace("\n", " ").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():
                found.update(_module_files(lib, f"{source}.{name}"))
    for source in _IMPORT_RE.findall(text):
        found.update(_module_files(lib, source))
    return found


def _inputs(page: Path, root: Path) -> list[Path]:
    """The files a page's runs depend on (see the module docstring), sorted: the page, the chapter modules it
    reaches through imports, and the saved runs that any of them names."""
    rel = _rel(page, root)
    lib = root / "lib" / "dltheory"
    files = {root / rel}
    todo = [root / rel]
    texts = []
    while todo:
        path = todo.pop()
        text = path.read_text(encoding="utf-8")
        texts.append(text)
        new = _imports(path, text, lib) - files
        files.update(new)
        todo.extend(sorted(new))
    data = lib / "data"
    if data.is_dir():
        files.update(p for p in data.iterdir() if p.is_file() and any(p.name in text for text in texts))
    return sorted(files)


def _claim_entries(root: Path) -> dict[str, str]:
    """``{claim id: its registry entry as canonical JSON}`` over every chapter registry."""
    entries = {}
    for path in sorted((root / "lib" / "dltheory" / "registry").glob("*.toml")):
        for claim in tomllib.loads(path.read_text(encoding="utf-8")).get("claim", []):
            if isinstance(claim, dict) and "id" in claim:
                entries[claim["id"]] = json.dumps(claim, sort_keys=True, default=str)
    return entries


def _code_cells(text: str) -> bytes:
    """The code cells of a MyST notebook page, with their options, in order: what a run executes."""
    return "\0".join(_CELL_RE.findall(text)).encode()


def _digest(page: Path, root: Path) -> Any:
    digest = hashlib.sha256()
    for path in _inputs(page, root):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(_code_cells(path.read_text(encoding="utf-8")) if path.suffix == ".md" else path.read_bytes())
        digest.update(b"\0")
    return digest


def _with_claims(code: Any, claims: Iterable[str], entries: Mapping[str, str]) -> str:
    digest = code.copy()
    for cid in sorted(set(claims)):
        digest.update(f"{cid}\0{entries.get(cid, '<not registered>')}\0".encode())
    return digest.hexdigest()[:16]


def fingerprint(page: Path, root: Path | None = None, claims: Iterable[str] = ()) -> str:
    """A hash of everything a run of ``page`` that reported ``claims`` depends on apart from the core and the
    machine (module docstring)."""
    root = _root(root)
    return _with_claims(_digest(page, root), claims, _claim_entries(root))


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
    verdicts = {}
    for rec in records:
        if "id" not in rec or "passed" not in rec:
            raise ValueError(f"a verdict record needs 'id' and 'passed', got keys {sorted(rec)}")
        null = rec.get("null") or {}
        verdicts[rec["id"]] = {"status": rec.get("status", "reproduced" if rec["passed"] else "failed"),
                               "value": rec.get("value"), "null": null.get("value"),
                               "passing": rec.get("passing") if rec.get("min_pass") else None}
    fp = fingerprint(page, root, verdicts)
    run = {"seed": seed, "mode": mode, "fingerprint": fp, "commit": _commit(root), "seconds": round(float(seconds), 1),
           "date": _dt.date.today().isoformat(), "verdicts": verdicts}
    if error:
        run["error"] = str(error)[:300]
    data["runs"] = [r for r in data["runs"] if (r["seed"], r["mode"], r["fingerprint"]) != (seed, mode, fp)] + [run]
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
    code, entries = _digest(page, root), _claim_entries(root)
    return [r for r in runs if r["fingerprint"] == _with_claims(code, r["verdicts"], entries)]


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
    ran: dict[str, list[int]] = {}
    for page in pages if pages is not None else _recorded_pages(root):
        runs = fresh_runs(page, mode=mode, root=root)
        for cid in {cid for run in runs for cid in run["verdicts"]}:
            ran[cid] = sorted(run["seed"] for run in runs)
        for run in runs:
            seeds.add(run["seed"])
            for cid, v in run["verdicts"].items():
                value = v["value"]
                shown = f"{value:.3g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
                rows.setdefault(cid, {})[run["seed"]] = f"{MARKS.get(v['status'], v['status'])} {shown}"
                statuses.setdefault(cid, {})[run["seed"]] = v["status"]
    if not rows:
        return "no fresh seed record"
    return seed_table(rows, statuses, sorted(seeds), ran)


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
