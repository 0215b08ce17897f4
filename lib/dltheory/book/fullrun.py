"""Run the book's pages in full mode on a GPU machine and write a results bundle (issue 22).

``python -m dltheory.book.fullrun [PAGE.md ...] [--parallel N] [--limit S] [--deadline S] [--out DIR]``
    Run every notebook page (or the given ones) in full mode, ``--parallel`` at a time, each under ``--limit``
    seconds, and all of them stopped ``--deadline`` seconds after the start (no page starts with less than
    ``MIN_START`` seconds left); write the bundle into ``DIR/<date>-<commit>/`` (default
    ``results/full-gpu``) and print a table of pages last. Exit status 1 if a page did not pass.

Each page runs as a plain Python script made from its code cells (no Jupyter, IPython or jupytext needed on the
GPU machine: ``display`` falls back to ``print``, ``%pip`` lines become ``pass``), in its own folder, with
``DLTHEORY_MODE``, ``DLTHEORY_STATIC=1`` and ``DLTHEORY_CLAIMS_LOG`` set, so every verdict the page checks is kept.
A page may keep the few arrays it plots with :func:`dltheory.runtime.keep_arrays` (into ``$DLTHEORY_RESULTS_DIR``,
``.npz`` or ``.json``, at most 2 MB a page).

The bundle (small, committed): ``run.json`` (date, commit, device, driver, JAX and jaxlib versions, every page's
status, seconds and estimated seconds, the tail of the log of a page that did not pass), ``claims.jsonl`` (every
verdict, with its page), ``arrays/`` (what pages kept). The website reads the newest bundle
(:mod:`dltheory.book.gpu_results`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dltheory import runtime, saved
from dltheory.book import budget
from dltheory.book.notebooks import notebook_pages, repo_root

__all__ = ["page_script", "environment", "run_pages", "write_bundle", "table", "STATUSES"]

#: a page's outcome: ran to the end; stopped on a claim that failed; stopped on another error; hit its limit;
#: never started (the deadline had passed)
STATUSES = ("passed", "claim failed", "error", "timeout", "not started")
MAX_ARRAY_BYTES = 2_000_000
#: a page starts only with at least this many seconds left before the deadline
MIN_START = 20.0

_PRELUDE = '''# Made by dltheory.book.fullrun from {page}: its code cells, run as a plain Python script.
import matplotlib
matplotlib.use("Agg")
try:
    from IPython.display import display
except ImportError:  # no IPython on the GPU machine: show what would be displayed as text
    def display(*objects, **kwargs):
        for obj in objects:
            print(obj)
'''


def page_script(page: Path) -> str:
    """The code cells of ``page`` as one Python script; IPython magics (``%``, ``!``) become ``pass``."""
    cells = budget.code_cells(Path(page).read_text(encoding="utf-8"))
    return _PRELUDE.format(page=Path(page).name) + "\n" + budget.python_code(cells) + "\n"


def _command(args: Sequence[str]) -> str:
    try:
        out = subprocess.run(list(args), capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def environment(root: Path) -> dict[str, Any]:
    """Where the run happens: date, commit, device, driver, Python, JAX and jaxlib versions, matmul precision."""
    import jax
    import jaxlib

    devices = jax.devices()
    kinds = sorted({getattr(d, "device_kind", d.platform) for d in devices})
    smi = _command(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"])
    # a GPU machine may get the working tree without .git: the session names the commit in DLTHEORY_COMMIT
    commit = saved.commit_id(40, root)
    has_git = (root / ".git").exists()
    dirty = bool(_command(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"])) if has_git \
        else None
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit or "unknown", "dirty": dirty,
        "platform": jax.default_backend(), "device": ", ".join(kinds), "device_count": len(devices),
        "nvidia_smi": smi or None, "jax": jax.__version__, "jaxlib": jaxlib.__version__,
        "python": platform.python_version(), "host": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "matmul_precision": runtime.matmul_precision(),  # what every page of the run multiplies at
    }


def _status(rc: int | None, log: str, timed_out: bool) -> str:
    if timed_out:
        return "timeout"
    if rc == 0:
        return "passed"
    return "claim failed" if re.search(r"\b(ClaimFailed|ClaimCannotFail|DegenerateRun)\b", log) else "error"


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def run_pages(pages: Sequence[Path], work: Path, *, mode: str = "full", parallel: int = 1, limit: float = 600,
              deadline: float = 3600, env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Run ``pages`` as scripts, ``parallel`` at a time, each under ``limit`` s, every one stopped ``deadline`` s
    after the start; a page with less than ``MIN_START`` s left (or ``limit``, if smaller) is not started.

    Returns one record per page (page, status, seconds, rc, log tail); verdicts land in ``work/claims/``.
    """
    mode = runtime.mode(mode)
    if parallel < 1 or limit <= 0 or deadline <= 0:
        raise ValueError(f"parallel must be >= 1 and limit, deadline > 0, got {parallel}, {limit}, {deadline}")
    root = repo_root(Path(pages[0]).resolve().parent) if pages else repo_root()
    base = dict(os.environ if env is None else env)
    base.update(DLTHEORY_MODE=mode, DLTHEORY_STATIC="1", DLTHEORY_PROGRESS="0", MPLBACKEND="Agg",
                XLA_PYTHON_CLIENT_PREALLOCATE="false", PYTHONUNBUFFERED="1")
    base["PYTHONPATH"] = os.pathsep.join(p for p in (str(root / "lib"), base.get("PYTHONPATH", "")) if p)
    for sub in ("scripts", "logs", "claims", "arrays"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    queue = [Path(p).resolve() for p in pages]
    running: dict[str, tuple[subprocess.Popen[bytes], float, float, Path, Any]] = {}
    records: dict[str, dict[str, Any]] = {}
    t0 = time.monotonic()
    while queue or running:
        while queue and len(running) < parallel:
            page = queue.pop(0)
            rel = str(page.relative_to(root))
            slug = rel.removesuffix(".md").replace("/", "__")
            allowed = min(limit, deadline - (time.monotonic() - t0))
            if allowed < min(MIN_START, limit):
                records[rel] = {"page": rel, "status": "not started", "seconds": 0.0, "rc": None}
                continue
            script = work / "scripts" / f"{slug}.py"
            script.write_text(page_script(page), encoding="utf-8")
            env_page = dict(base, DLTHEORY_CLAIMS_LOG=str(work / "claims" / f"{slug}.jsonl"),
                            DLTHEORY_RESULTS_DIR=str(work / "arrays" / slug))
            log = open(work / "logs" / f"{slug}.log", "wb")  # noqa: SIM115 - closed when the page ends
            proc = subprocess.Popen([sys.executable, str(script)], cwd=page.parent, env=env_page, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            running[rel] = (proc, time.monotonic(), allowed, work / "logs" / f"{slug}.log", log)
        time.sleep(0.2)
        for rel, (proc, started, allowed, log_path, log) in list(running.items()):
            elapsed = time.monotonic() - started
            timed_out = proc.poll() is None and elapsed > allowed
            if timed_out:
                os.killpg(proc.pid, signal.SIGKILL)  # the page and anything it started
                proc.wait()
            if proc.poll() is None:
                continue
            log.close()
            text = log_path.read_text(encoding="utf-8", errors="replace")
            status = _status(proc.returncode, text, timed_out)
            records[rel] = {"page": rel, "status": status, "seconds": round(elapsed, 1), "rc": proc.returncode,
                            "log_tail": None if status == "passed" else _tail(text)}
            del running[rel]
    return [records[str(Path(p).resolve().relative_to(root))] for p in pages]


def _verdicts(work: Path, root: Path, pages: Sequence[Path]) -> list[dict[str, Any]]:
    out = []
    for page in pages:
        rel = str(Path(page).resolve().relative_to(root))
        path = work / "claims" / f"{rel.removesuffix('.md').replace('/', '__')}.jsonl"
        if path.is_file():
            out += [json.loads(line) | {"page": rel} for line in path.read_text(encoding="utf-8").splitlines() if line]
    return out


def write_bundle(out: Path, env: dict[str, Any], records: list[dict[str, Any]], verdicts: list[dict[str, Any]],
                 work: Path, settings: dict[str, Any]) -> Path:
    """Write ``run.json``, ``claims.jsonl`` and ``arrays/`` into ``out/<date>-<commit>/``; return that folder."""
    folder = Path(out) / f"{env['date'][:10]}-{env['commit'][:7]}"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    by_page: dict[str, list[dict[str, Any]]] = {}
    for v in verdicts:
        by_page.setdefault(v["page"], []).append(v)
    for rec in records:
        mine = by_page.get(rec["page"], [])
        rec["verdicts"] = len(mine)
        rec["not_ok"] = sorted({v["id"] for v in mine if v.get("status") not in ("reproduced", "not reproduced",
                                                                                    "derived")})
    run = {"format": 1, "mode": settings.get("mode", "full"), **env, "settings": settings, "pages": records}
    (folder / "run.json").write_text(json.dumps(run, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    with open(folder / "claims.jsonl", "w", encoding="utf-8") as fh:
        for v in verdicts:
            fh.write(json.dumps(v, ensure_ascii=False) + "\n")
    for sub in sorted((work / "arrays").glob("*")):
        files = [f for f in sorted(sub.rglob("*")) if f.is_file() and f.suffix in (".npz", ".json")]
        if files and sum(f.stat().st_size for f in files) <= MAX_ARRAY_BYTES:
            for f in files:
                target = folder / "arrays" / sub.name / f.relative_to(sub)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, target)
    return folder


def table(records: list[dict[str, Any]], estimates: dict[str, float] | None = None) -> str:
    """The short table printed last: page, status, seconds, estimated seconds, verdicts, claims not ok."""
    estimates = estimates or {}
    width = max([len(r["page"]) for r in records] + [4])
    lines = [f"{'page'.ljust(width)}  {'status':12s} {'seconds':>8s} {'estim.':>7s} {'verdicts':>8s}  not ok"]
    for r in records:
        est = estimates.get(r["page"])
        lines.append(f"{r['page'].ljust(width)}  {r['status']:12s} {r['seconds']:8.0f} "
                     f"{'' if est is None else f'{est:.0f}':>7s} {r.get('verdicts', 0):8d}  {' '.join(r.get('not_ok', []))}")
    passed = sum(r["status"] == "passed" for r in records)
    lines.append(f"{passed} of {len(records)} pages passed; "
                 f"{sum(r.get('verdicts', 0) for r in records)} verdicts")
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dltheory.book.fullrun", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="*", type=Path, help="default: every notebook page of the book")
    parser.add_argument("--mode", default="full", help="full (default) or fast, for a smoke test")
    parser.add_argument("--parallel", type=int, default=budget.PARALLEL_PAGES, help="pages at a time")
    parser.add_argument("--limit", type=float, default=600, help="seconds a page may run")
    parser.add_argument("--deadline", type=float, default=1800, help="every page is stopped this many seconds after "
                        "the start")
    parser.add_argument("--out", type=Path, default=None, help="default: results/full-gpu in the repository")
    args = parser.parse_args(argv)
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # this process shares the GPU with the pages
    root = repo_root()
    if args.mode != "full" and args.out is None:
        raise ValueError(f"a {args.mode}-mode run must not land among the GPU results: give --out DIR")
    pages = [p.resolve() for p in args.pages] or notebook_pages(root)
    for p in pages:
        if not p.is_file() or p.suffix != ".md":
            raise ValueError(f"not a page of the book: {p}")
    env = environment(root)
    print(f"{len(pages)} pages in {args.mode} mode, {args.parallel} at a time, on {env['device']} "
          f"({env['platform']}); jax {env['jax']}; commit {env['commit'][:7]}", flush=True)
    estimates: dict[str, float] = {}
    try:
        for pages_of in budget.estimate(pages, mode=args.mode).values():
            estimates |= {page: d + h for page, (d, h) in pages_of.items()}
    except Exception as err:  # noqa: BLE001 - an estimate that cannot be made must not stop the run
        print(f"no estimates: {err}")
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="fullrun-") as tmp:
        work = Path(tmp)
        records = run_pages(pages, work, mode=args.mode, parallel=args.parallel, limit=args.limit,
                            deadline=args.deadline)
        for r in records:
            r["estimate_seconds"] = round(estimates[r["page"]], 1) if r["page"] in estimates else None
        settings = {"mode": args.mode, "parallel": args.parallel, "limit_s": args.limit, "deadline_s": args.deadline,
                    "wall_s": round(time.monotonic() - t0, 1)}
        folder = write_bundle(args.out or root / "results" / "full-gpu", env, records,
                              _verdicts(work, root, pages), work, settings)
    print(f"bundle: {folder} (wall {settings['wall_s']:.0f} s)\n")
    print(table(records, estimates))
    return 0 if all(r["status"] == "passed" for r in records) else 1


if __name__ == "__main__":
    sys.exit(_main())
