"""Tools for the book's notebook pages: pairing, execution, student versions.

``python -m dltheory.book.notebooks sync [PAGE.md ...]``
    Write the paired ``.ipynb`` of every notebook page (or the given ones), with no outputs.
``python -m dltheory.book.notebooks check``
    Exit non-zero if any paired ``.ipynb`` is missing, out of sync with its ``.md`` or has outputs.
``python -m dltheory.book.notebooks run PAGE.md [...] [--seeds 0 1 2] [--keep-going]``
    Execute pages as the book build would; report their time and claim verdicts, and with
    ``--seeds`` a table of claim × seed (each page runs once per ``DLTHEORY_SEED``). With ``--keep-going``
    a claim that fails is shown and the page goes on (``DLTHEORY_CLAIMS_KEEP_GOING=1`` in its kernel), so the
    table reaches every claim; the exit status is still non-zero. ``make seeds`` runs this through
    :mod:`dltheory.book.seeds`, which also records each run in the repository.
``python -m dltheory.book.notebooks student EXERCISES.md OUT.ipynb``
    Write the student version of an exercise page: solution blocks removed.

A *notebook page* is a ``.md`` file whose front matter declares a jupytext ``kernelspec``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "repo_root",
    "notebook_pages",
    "is_notebook_page",
    "read_page",
    "paired_notebook",
    "clean",
    "sync",
    "out_of_sync",
    "strip_solutions",
    "run_page",
    "seed_table",
]

_SKIP_DIRS = {"_build", ".venv", "node_modules", ".git", ".ipynb_checkpoints", "course"}
_CONTENT_DIRS = ("book", "chapters", "exercises")


def repo_root(start: Path | None = None) -> Path:
    """The book's root: the nearest folder upwards from ``start`` (default: cwd) holding ``_toc.yml``."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_toc.yml").is_file():
            return folder
    raise ValueError(f"no _toc.yml found in {here} or above: run this inside the book's repository")


def is_notebook_page(path: Path) -> bool:
    """Whether ``path`` is a MyST Markdown notebook (front matter with a kernelspec)."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    if not head.startswith("---"):
        return False
    end = head.find("\n---", 3)
    return end > 0 and "kernelspec:" in head[:end]


def notebook_pages(root: Path | None = None) -> list[Path]:
    """Every notebook page of the book, sorted."""
    root = root or repo_root()
    pages = []
    for folder in _CONTENT_DIRS:
        for path in sorted((root / folder).rglob("*.md")):
            if not _SKIP_DIRS.intersection(path.relative_to(root).parts) and is_notebook_page(path):
                pages.append(path)
    return pages


def paired_notebook(page: Path) -> Path:
    """The ``.ipynb`` paired with a notebook page (same folder, same name)."""
    return page.with_suffix(".ipynb")


def read_page(page: Path) -> Any:
    """The page as a notebook (nbformat node), via jupytext."""
    import jupytext

    return jupytext.read(page, fmt="md:myst")


def clean(nb: Any) -> Any:
    """A copy without outputs or execution metadata, with stable cell ids (jupytext draws random ones)."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.get("metadata", {}).pop("execution", None)
    return nb


def _notebook_text(page: Path) -> str:
    import jupytext
    import nbformat

    nb = clean(read_page(page))
    nb.metadata.setdefault("jupytext", {})["formats"] = "ipynb,md:myst"
    nb.metadata["colab"] = {"provenance": []}
    text = nbformat.writes(nb, version=4)
    jupytext  # noqa: B018 - imported for read_page's side of the pairing
    return text if text.endswith("\n") else text + "\n"


def sync(pages: list[Path] | None = None) -> list[Path]:
    """Write the paired ``.ipynb`` of each page (no outputs); return those that changed."""
    changed = []
    for page in pages or notebook_pages():
        target = paired_notebook(page)
        text = _notebook_text(page)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def out_of_sync(pages: list[Path] | None = None) -> list[str]:
    """Problems with the paired notebooks: missing, different from the page, or holding outputs."""
    problems = []
    for page in pages or notebook_pages():
        target = paired_notebook(page)
        if not target.exists():
            problems.append(f"{target}: missing (run make sync)")
            continue
        stored = json.loads(target.read_text(encoding="utf-8"))
        if any(c.get("outputs") for c in stored.get("cells", [])):
            problems.append(f"{target}: has outputs (run make sync)")
        if target.read_text(encoding="utf-8") != _notebook_text(page):
            problems.append(f"{target}: out of sync with {page.name} (run make sync)")
    return problems


_GATE_START = re.compile(r"^\s*(`{3,}|:{3,})\{solution-start\}")
_GATE_END = re.compile(r"^\s*(`{3,}|:{3,})\{solution-end\}")


def strip_solutions(nb: Any) -> Any:
    """The student version of an exercise notebook: every gated solution block removed.

    A gated block runs from the markdown cell that opens ``{solution-start}`` to the one that
    closes ``{solution-end}``; the markdown before the start and after the end is kept.
    """
    nb = clean(nb)
    cells = []
    inside = False
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            if not inside:
                cells.append(cell)
            continue
        kept: list[str] = []
        closing_fence = None
        for line in cell.source.splitlines():
            if closing_fence is not None:
                stripped = line.strip()
                closing_fence, was_fence = None, stripped and set(stripped) <= {"`", ":"}
                if was_fence:
                    continue  # the fence that closes the {solution-end} directive
            if not inside and _GATE_START.match(line):
                inside = True
                continue
            if inside:
                if _GATE_END.match(line):
                    inside = False
                    closing_fence = line
                continue
            kept.append(line)
        text = "\n".join(kept).strip()
        if text:
            cell.source = text
            cells.append(cell)
    if inside:
        raise ValueError("a {solution-start} block is not closed by {solution-end}")
    nb.cells = cells
    return nb


def run_page(page: Path, *, timeout: int = 900, seed: int | None = None,
             keep_going: bool = False) -> tuple[float, list[dict[str, Any]]]:
    """Execute ``page`` in a fresh kernel in its own folder (with ``DLTHEORY_SEED=seed`` if given).

    Returns the wall time in seconds and the records of the claim verdicts the page printed. A cell
    that fails (a failed claim included, unless ``keep_going``) raises ``nbclient``'s ``CellExecutionError``.
    """
    import os

    from nbclient import NotebookClient

    from dltheory.book.ledger import verdicts_in_html

    nb = read_page(page)
    env = dict(os.environ, DLTHEORY_PROGRESS="0")
    if seed is not None:
        env["DLTHEORY_SEED"] = str(int(seed))
    env["DLTHEORY_CLAIMS_KEEP_GOING"] = "1" if keep_going else "0"
    t0 = time.perf_counter()
    # the kernel's own log at ERROR: its warning that a local kernel talks over TCP unencrypted said nothing useful
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(page.parent)}},
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    client.km = client.create_kernel_manager()
    client.km.kernel_spec  # noqa: B018 - resolve the spec before starting
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    elapsed = time.perf_counter() - t0
    records = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            html_text = output.get("data", {}).get("text/html", "")
            records.extend(verdicts_in_html(html_text if isinstance(html_text, str) else "".join(html_text)))
    return elapsed, records


#: how ``run`` prints each verdict status of :data:`dltheory.claims.STATUSES`
MARKS = {"reproduced": "PASS", "not reproduced": "NOT-REPRODUCED", "not reproduced (passed this run)": "NR-BUT-PASSED",
         "not reproduced (its null passed this run)": "NR-BUT-NULL-PASSED", "derived": "DERIVED", "failed": "FAIL",
         "cannot fail": "CANNOT-FAIL", "degenerate": "DEGENERATE",
         "not a test": "NOT-A-TEST", "not a test (its null missed the bar this run)": "NAT-BUT-NULL-MISSED"}


#: statuses after which a page may go on (the others stop it, or are reported by ``--keep-going``): those of
#: ``dltheory.claims.OK_STATUSES``, written out so that the runner imports no claim machinery (a test keeps them equal)
_OK = ("reproduced", "not reproduced", "not reproduced (passed this run)", "not reproduced (its null passed this run)",
       "not a test", "not a test (its null missed the bar this run)", "derived")


#: called after each page run by :func:`_run`: ``(page, seed, verdict records, seconds, error or None)``
OnRun = Callable[[Path, "int | None", list[dict[str, Any]], float, "str | None"], None]


def _run(pages: list[Path], seeds: list[int] | None, keep_going: bool = False, on_run: OnRun | None = None) -> int:
    from nbclient.exceptions import CellExecutionError

    from dltheory.book.ledger import marginal_sides
    from dltheory.claims import marginal_words, registered_on

    table: dict[str, dict[int | None, str]] = {}
    statuses: dict[str, dict[int | None, str]] = {}
    sources: dict[str, dict[int | None, str]] = {}
    failed = False
    for seed in seeds or [None]:
        for page in pages:
            label = f"{page} (seed {seed})" if seed is not None else str(page)
            try:
                elapsed, records = run_page(page.resolve(), seed=seed, keep_going=keep_going)
            except CellExecutionError as err:
                failed = True
                print(f"{label}: FAILED: {err.ename}: {str(err.evalue)[:300]}")
                table.setdefault(f"{page} (page)", {})[seed] = "error"
                if on_run is not None:
                    on_run(page, seed, [], 0.0, f"{err.ename}: {err.evalue}")
                continue
            print(f"{label}: {elapsed:.1f} s")
            if on_run is not None:
                on_run(page, seed, records, elapsed, None)
            for r in records:
                status = r.get("status", "reproduced" if r["passed"] else "failed")
                failed |= status not in _OK
                mark = MARKS[status]
                near = marginal_words(marginal_sides(r))
                print(f"  {mark} {r['id']}: {r['summary']} (required {r['criterion']}){f' — {near}' if near else ''}")
                null = r.get("null")
                if null:
                    verdict = "passes too" if null.get("passed") else "fails, as it must"
                    print(f"      null: {null.get('value')} ({verdict})")
                value = r["value"]
                shown = f"{value:.3g}" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
                passing = r.get("passing")
                share = f" {passing[0]}/{passing[1]}" if r.get("min_pass") and passing else ""
                table.setdefault(r["id"], {})[seed] = f"{mark} {shown}{share}"
                statuses.setdefault(r["id"], {})[seed] = status
                sources.setdefault(r["id"], {})[seed] = r.get("provenance") or "live"
    if seeds:
        print("\n" + seed_table(table, statuses, seeds, sources=sources, registered_on=registered_on()))
    return 1 if failed else 0


#: the source of live verdicts with the same values under every base seed, one run (:func:`.seeds.claim_sources`)
REPEATED = "the same values under every base seed"


def distinct_runs(outcomes: Iterable[tuple[Any, str | None, bool]]) -> dict[tuple[str, Any], bool]:
    """One claim's distinct runs from ``(base seed, source, held)`` per base seed: a base seed that measured it live
    (source ``"live"`` or unknown, ``None``) is a run, and the base seeds that read one saved run are one run
    between them, held only if it held under each. Keys ``("live", seed)`` or ``("saved", source)``."""
    runs: dict[tuple[str, Any], bool] = {}
    for seed, source, ok in outcomes:
        key = run_key(seed, source)
        runs[key] = runs.get(key, True) and bool(ok)
    return runs


def run_key(seed: Any, source: str | None) -> tuple[str, Any]:
    """The distinct run a verdict under base seed ``seed`` from ``source`` belongs to (:func:`distinct_runs`)."""
    return ("saved", source) if source not in (None, "live") else ("live", seed)


def seed_table(table: dict[str, dict[Any, str]], statuses: dict[str, dict[Any, str]], seeds: list[int],
               ran: Mapping[str, Sequence[int]] | None = None, *,
               sources: Mapping[str, Mapping[Any, str]] | None = None,
               registered_on: Mapping[str, Any] | None = None) -> str:
    """The claim × base-seed table of ``run --seeds``, with a last column: on how many runs the registered outcome
    held; then the claims to look at (failed somewhere; registered not reproduced yet passed on every seed, or not a
    test yet its null missed on every seed).

    ``ran`` gives, per claim, the base seeds its page ran under (default: every seed of the table); a claim
    missing from one of them was never reached and counts as not held, a seed its page never ran is left out.

    ``sources`` gives, per claim and base seed, where its verdict came from: ``"live"``, or the description of the
    saved run it was judged on (a seed not given counts as live, as runs recorded before sources were). The *held*
    column counts distinct runs: every base seed that ran the claim live is one, and the base seeds that read the
    same saved run are one between them (``1/1 (10 base seeds, 1 saved run)``, not ``10/10``).

    ``registered_on`` maps a claim id to its registry's ``[claim.registered_on]``
    (:class:`dltheory.claims.schema.RegisteredOn`): the base seeds on which its registered outcome was seen. A
    claim that would be flagged "register it again?" is shown with that reason instead, when none of those base
    seeds is in the table; if one is, the flag stays and says that the table contradicts the registry there.
    """
    cols = [f"seed {s}" for s in seeds]
    widths = [max([len(c)] + [len(row.get(s, "-")) for row in table.values()]) for c, s in zip(cols, seeds)]
    width = max([len("claim")] + [len(k) for k in table])
    lines = [" | ".join(["claim".ljust(width), *(c.ljust(w) for c, w in zip(cols, widths)), "held"])]
    broken, stale, stale_null, explained = [], [], [], []
    for cid, row in table.items():
        own = list(ran[cid]) if ran is not None and cid in ran else seeds
        runs = distinct_runs((s, (sources or {}).get(cid, {}).get(s), statuses.get(cid, {}).get(s) in _OK)
                             for s in own)
        held, n = sum(runs.values()), len(runs)
        saved = sum(k[0] == "saved" and k[1] != REPEATED for k in runs)
        parts = [f"{len(own)} base seeds"] + ([f"{saved} saved run{'s' * (saved > 1)}"] if saved else []) + (
            ["the same values under each"] if ("saved", REPEATED) in runs else [])
        count = f"{held}/{n}" + (f" ({', '.join(parts)})" if n < len(own) else "")
        lines.append(" | ".join([cid.ljust(width), *(row.get(s, "-").ljust(w) for s, w in zip(seeds, widths)),
                                 count]))
        if held < n:
            broken.append(f"{cid} ({held}/{n})")
        flagged = None
        # registered not reproduced, yet passed everywhere; a run whose null passed too counts (a prompt to look:
        # the status does not say whether its own values passed, and they did in the book's record)
        if all(statuses.get(cid, {}).get(s) in ("not reproduced (passed this run)",
                                                 "not reproduced (its null passed this run)") for s in own):
            flagged = stale
        if all(statuses.get(cid, {}).get(s) == "not a test (its null missed the bar this run)" for s in own):
            flagged = stale_null
        if flagged is None:
            continue
        where = (registered_on or {}).get(cid)
        if where is None:
            flagged.append(cid)
            continue
        inside = sorted(set(where.base_seeds) & set(own))
        if inside:
            flagged.append(f"{cid} (its registry places its registered outcome on base seed(s) "
                           f"{', '.join(map(str, where.base_seeds))}, yet this table has it pass on "
                           f"{', '.join(map(str, inside))})")
        else:
            explained.append(f"  {cid}: {where.describe()}")
    if broken:
        lines.append("\nfailed (or never reached) on some base seed: " + ", ".join(broken))
    if stale:
        lines.append("registered as not reproduced, yet passed on every base seed (register it again?): "
                     + ", ".join(stale))
    if stale_null:
        lines.append("registered as not a test, yet its null missed the bar on every base seed (register it again?): "
                     + ", ".join(stale_null))
    if explained:
        lines.append("registered outcome seen on base seeds outside this table, so passing here changes nothing "
                     "([claim.registered_on]):\n" + "\n".join(explained))
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dltheory.book.notebooks", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_sync = sub.add_parser("sync", help="write the paired .ipynb of the pages")
    p_sync.add_argument("pages", nargs="*", type=Path)
    sub.add_parser("check", help="fail if a paired .ipynb is missing, stale or has outputs")
    p_run = sub.add_parser("run", help="execute pages and report their time and claim verdicts")
    p_run.add_argument("pages", nargs="*", type=Path, help="default: every notebook page of the book")
    p_run.add_argument("--seeds", nargs="+", type=int, default=None,
                       help="run every page once per DLTHEORY_SEED and print a claim x seed table")
    p_run.add_argument("--keep-going", action="store_true",
                       help="show a failed claim and go on with the page (the exit status still says it failed)")
    p_student = sub.add_parser("student", help="write the student version of an exercise page")
    p_student.add_argument("page", type=Path)
    p_student.add_argument("out", type=Path)
    args = parser.parse_args(argv)

    if args.command == "sync":
        for path in sync([p.resolve() for p in args.pages] or None):
            print(f"wrote {path}")
        return 0
    if args.command == "check":
        problems = out_of_sync()
        print("\n".join(problems) if problems else "all paired notebooks are in sync")
        return 1 if problems else 0
    if args.command == "run":
        return _run(args.pages or notebook_pages(), args.seeds, args.keep_going)
    import nbformat

    nbformat.write(strip_solutions(read_page(args.page)), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
