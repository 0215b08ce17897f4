"""Workload 5: the whole book, a cold build (every page executed in fast mode) and a cached rebuild.

``python -m benchmarks --book`` (``make bench-book``) builds the book exactly as ``make book`` does
(``jupyter-book build --warningiserror --nitpick --keep-going`` with ``DLTHEORY_STATIC=1``), but into
a fresh folder, so the checkout's own ``_build`` and its execution cache are left alone. It then
builds again into the same folder: nothing changed, so every page comes from the execution cache.

Per-page times are not measured a second way: they are the ``execution_seconds`` that myst-nb's
execution cache (jupyter-cache) records for each page, the same figures that the execution report
(``book/execution.md``, its ``{nb-exec-table}``) shows after a build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Row

ROOT = Path(__file__).resolve().parents[1]
COLD_TARGET_S = 15 * 60
CACHED_TARGET_S = 60


def _build(source: Path, out: Path) -> tuple[float, str]:
    """One ``jupyter-book build`` of ``source`` into ``out``; returns the wall seconds and the log."""
    # DLTHEORY_CACHE inside `out`: the cold build starts with an empty JAX compilation cache, as on a new machine
    env = dict(os.environ, DLTHEORY_STATIC="1", DLTHEORY_PROGRESS="0", XLA_PYTHON_CLIENT_PREALLOCATE="false",
               PYDEVD_DISABLE_FILE_VALIDATION="1", DLTHEORY_CACHE=str(out / "dltheory-cache"))
    env.pop("DLTHEORY_SEED", None)
    env.pop("DLTHEORY_MODE", None)
    jb = Path(sys.executable).with_name("jupyter-book")
    t0 = time.perf_counter()
    proc = subprocess.run([str(jb), "build", str(source), "--path-output", str(out), "--warningiserror", "--nitpick",
                           "--keep-going"], env=env, capture_output=True, text=True, cwd=source)
    wall = time.perf_counter() - t0
    log = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError(f"jupyter-book build failed ({proc.returncode}):\n" + "\n".join(log.splitlines()[-30:]))
    return wall, log


def page_times(out: Path, source: Path) -> list[dict[str, Any]]:
    """Execution seconds of every page, read from the execution cache of a build into ``out``."""
    from jupyter_cache import get_cache

    cache = out / "_build" / ".jupyter_cache"
    if not cache.is_dir():
        raise ValueError(f"out must hold a build with an execution cache; {cache} does not exist")
    latest: dict[str, Any] = {}  # a page executed again after a change has several records: keep the last
    for record in sorted(get_cache(str(cache)).list_cache_records(), key=lambda r: r.created):
        latest[record.uri] = record
    pages = []
    for uri_text, record in latest.items():
        uri = Path(uri_text)
        name = str(uri.relative_to(source)) if uri.is_relative_to(source) else str(uri)
        pages.append({"page": name, "seconds": float(record.data.get("execution_seconds", float("nan")))})
    return sorted(pages, key=lambda p: p["page"])


def part_of(page: str) -> str:
    """The part of the book a page belongs to: its chapter folder, ``exercises/NN-…`` counted with chapter NN."""
    parts = Path(page).parts
    if parts[0] == "chapters" and len(parts) > 1:
        return parts[1]
    if parts[0] == "exercises":
        stem = Path(page).stem
        chapters = sorted(p.name for p in (ROOT / "chapters").glob(f"{stem[:2]}-*")) if stem[:2].isdigit() else []
        return chapters[0] if chapters else "front matter"
    return "front matter"


def _summary(pages: list[dict[str, Any]]) -> tuple[float, dict[str, float], dict[str, Any], int | None]:
    """Tag each page with its part of the book; return the seconds executed in all, per part, the slowest page
    and the number of cores."""
    parts: dict[str, float] = {}
    for p in pages:
        p["part"] = part_of(p["page"])
        parts[p["part"]] = parts.get(p["part"], 0.0) + p["seconds"]
    slowest = max(pages, key=lambda p: p["seconds"]) if pages else {"page": "–", "seconds": 0.0}
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return sum(p["seconds"] for p in pages), parts, slowest, cpus


def run(source: Path = ROOT, *, keep: Path | None = None) -> tuple[list[Row], list[dict[str, Any]]]:
    """Cold build and cached rebuild of the book at ``source``; returns the report's rows and the per-page times.

    ``keep``: build into this folder (must not exist) instead of a temporary one, and leave it there.
    """
    source = Path(source).resolve()
    if not (source / "_toc.yml").is_file():
        raise ValueError(f"source must be a Jupyter Book folder with a _toc.yml, got {source}")
    if keep is not None and Path(keep).exists():
        raise ValueError(f"keep must be a folder that does not exist yet, got {keep}")
    tmp = None
    if keep is None:
        tmp = Path(tempfile.mkdtemp(prefix="dltheory-book-bench-"))
        out = tmp / "out"
    else:
        out = Path(keep).resolve()
    try:
        cold, _ = _build(source, out)
        pages = page_times(out, source)
        cached, _ = _build(source, out)
        after = page_times(out, source)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if [p["seconds"] for p in after] != [p["seconds"] for p in pages]:
        raise RuntimeError("the cached rebuild executed pages again: the execution cache did not hold")
    executed, parts, slowest, cpus = _summary(pages)
    rows = [
        Row(workload=f"the whole book, cold build in fast mode ({len(pages)} pages executed, {cpus} cores)", unit="s",
            ours=cold, reference=None, reference_name="target: ≤ 15 min", ours_spread=0.0, reference_spread=None,
            target=f"≤ {COLD_TARGET_S} s", note=(f"one build; pages executing {executed:.0f} s in all, slowest "
                                                 f"{slowest['page']} {slowest['seconds']:.0f} s; lower is better"),
            details={"parts": parts}),
        Row(workload="the whole book, cached rebuild (no page changed)", unit="s", ours=cached, reference=None,
            reference_name="target: ≤ 60 s", ours_spread=0.0, reference_spread=None, target=f"≤ {CACHED_TARGET_S} s",
            note="one build; every page from the execution cache; lower is better"),
    ]
    return rows, pages


def build_date(out: Path) -> str:
    """When the build in ``out`` executed its last page (ISO 8601, UTC), from its execution cache."""
    from jupyter_cache import get_cache

    cache = Path(out) / "_build" / ".jupyter_cache"
    if not cache.is_dir():
        raise ValueError(f"out must hold a build with an execution cache; {cache} does not exist")
    records = get_cache(str(cache)).list_cache_records()
    if not records:
        raise ValueError(f"the build in {out} executed no page")
    return max(r.created for r in records).isoformat(timespec="seconds")


def from_build(out: Path, source: Path = ROOT) -> tuple[list[Row], list[dict[str, Any]]]:
    """The report's rows and per-page times of a book build that was already made into ``out`` (a folder holding
    ``_build/.jupyter_cache``), for example the cold build that ``make test`` makes on a clean clone (an empty
    JAX compilation cache, every page executed once). No build is run: the build's wall time is not known here,
    so the one row is the pages' execution time added up."""
    out, source = Path(out).resolve(), Path(source).resolve()
    pages = page_times(out, source)
    if not pages:
        raise ValueError(f"the build in {out} executed no page")
    executed, _, slowest, cpus = _summary(pages)
    rows = [Row(workload=f"the whole book, pages executed in one cold build ({len(pages)} pages, {cpus} cores)",
                unit="s", ours=executed, reference=None, reference_name="no reference", ours_spread=0.0,
                reference_spread=None, target="",
                note=(f"the pages' execution times added up (the build's own overhead not counted), from the execution "
                      f"cache of {out.name}; slowest {slowest['page']} {slowest['seconds']:.0f} s; lower is better"))]
    return rows, pages
