"""Does a verdict hinge on the last bits of its numbers? Every page run again with other roundings (issue 16).

A GPU runs the book's compiled programs with other roundings than a CPU (other orders of summation, other
implementations of elementary functions, other matrix-product kernels, all in float32: the book pins the precision
of matrix products, :func:`dltheory.runtime.matmul_precision`), and a training run amplifies such differences until
its trajectory is another one. A claim whose status changed with them would be decided by the machine. A CPU can
look for such claims by moving the last bits itself: with XLA's fast-math mode for the CPU
(``--xla_cpu_enable_fast_math``, NaNs and infinities still honoured, so that a dead run is still seen as one), this
JAX's compiled ``log`` rounds differently, and with it the normal random numbers ``jax.random.normal`` draws (almost
all of them move, typically by a few ulps, the largest of 10⁵ by 2·10⁻³: initial weights, data, noise) and the
log-softmax of a cross-entropy. Sums,
matrix products, ``exp`` and ``tanh`` keep their roundings on this CPU, so the perturbation enters at the draws and
the losses, not at every operation as on a GPU. NumPy and SciPy code, which a GPU machine also runs on its host CPU,
is unchanged.

``python -m dltheory.book.arithmetic run [PAGE.md ...] [--all]``
    Run the pages (default: those whose run is missing or stale, :func:`pages_to_run`; ``--all``: every notebook
    page with a seed record) under base seed :data:`SEED` with those flags,
    saved runs measured live and a compilation cache of their own, and keep each page's verdicts in
    ``results/arithmetic.json`` as it finishes, with the page's fingerprint (:mod:`dltheory.book.fingerprint`) and
    the flags: a run of other code or other flags is *stale*, shown and not compared. ``make seeds`` runs it after
    the seed record's runs of the same pages.
``python -m dltheory.book.arithmetic table``
    Compare each claim's status and value with the seed record's run of the same code under the same base seed
    (:mod:`dltheory.book.seeds`). A claim that held in one run and not in the other (failed, cannot fail,
    degenerate, not reached) is a *turn*, and the exit status is 1; one registered as not reproduced or not a test may
    read differently in the two (passing in one) and keeps its registered outcome, as across base seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import math
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dltheory.book import fingerprint as _fp
from dltheory.book import notebooks, seeds
from dltheory.claims import OK_STATUSES

__all__ = ["RECORD", "FLAGS", "SEED", "environment", "load", "run", "Row", "compare_verdicts", "compare",
           "pages_to_run", "note_text", "table"]

#: the record of the runs, relative to the repository root
RECORD = Path("results") / "arithmetic.json"

#: XLA's CPU fast-math, NaNs and infinities honoured: the same programs, other roundings
FLAGS = ("--xla_cpu_enable_fast_math=true", "--xla_cpu_fast_math_honor_nans=true",
         "--xla_cpu_fast_math_honor_infs=true")

#: the base seed of every run: the book's default, whose seed-record run every page has
SEED = 0

#: the status of a claim that only the run with other roundings reported
_NOT_REPORTED = "not reported"


def environment(base: Mapping[str, str], cache: Path) -> dict[str, str]:
    """``base`` with :data:`FLAGS` added to ``XLA_FLAGS``, JAX's compilation cache in ``cache`` (a program compiled
    without the flags is never read back) and ``DLTHEORY_LIVE=1``: an experiment that base seed 0 reads from a saved
    run (:mod:`dltheory.saved`) runs, so that its verdict is measured with the other roundings too."""
    if not isinstance(base, Mapping):
        raise ValueError(f"base must be a mapping of environment variables, got {type(base).__name__}")
    flags = " ".join(f for f in (base.get("XLA_FLAGS", "").strip(), *FLAGS) if f)
    return {**base, "XLA_FLAGS": flags, "DLTHEORY_CACHE": str(cache), "JAX_COMPILATION_CACHE_DIR": str(cache),
            "DLTHEORY_LIVE": "1"}


def load(root: Path) -> dict[str, Any]:
    """The record at ``root`` (``{"flags", "seed", "pages": {page: run}}``), empty if there is none."""
    path = Path(root) / RECORD
    if not path.is_file():
        return {"flags": list(FLAGS), "seed": SEED, "pages": {}}
    data = json.loads(path.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("pages"), dict):
        raise ValueError(f"{path} is not a record of runs: expected an object with 'pages'")
    for key, entry in data["pages"].items():
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str) \
                or not isinstance(entry.get("verdicts"), dict) or not isinstance(entry.get("flags"), list):
            raise ValueError(f"{path}: the run of {key} needs 'fingerprint', 'flags' and 'verdicts'")
        for cid, verdict in entry["verdicts"].items():
            if not isinstance(verdict, dict) or not isinstance(verdict.get("status"), str):
                raise ValueError(f"{path}: {key}: the verdict of {cid} needs a 'status'")
    return data


def _entry(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    verdicts = {}
    for rec in records:
        if "id" not in rec or "passed" not in rec:
            raise ValueError(f"a verdict record needs 'id' and 'passed', got keys {sorted(rec)}")
        verdicts[rec["id"]] = {"status": rec.get("status", "reproduced" if rec["passed"] else "failed"),
                               "value": rec.get("value"), "null": (rec.get("null") or {}).get("value"),
                               "provenance": rec.get("provenance") or "live"}
    return verdicts


def run(pages: Iterable[Path], root: Path) -> int:
    """Run ``pages`` with :data:`FLAGS` under base seed :data:`SEED`, each recorded as it finishes; returns how
    many pages stopped with an error (each is recorded with it)."""
    from nbclient.exceptions import CellExecutionError

    if isinstance(pages, (str, Path)) or not isinstance(pages, Iterable):
        raise ValueError(f"pages must be a list of page paths, got {pages!r}")
    pages = [Path(p).resolve() for p in pages]
    root = Path(root)
    errors = 0
    before = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="dltheory-arithmetic-") as cache:
        os.environ.update(environment(before, Path(cache)))  # run_page hands os.environ to the kernel
        try:
            for page in pages:
                error = None
                try:
                    seconds, records = notebooks.run_page(page, seed=SEED, keep_going=True)
                except CellExecutionError as err:
                    seconds, records, error = 0.0, [], f"{err.ename}: {str(err.evalue)[:300]}"
                except Exception as err:  # noqa: BLE001 - a timeout or a dead kernel is recorded, and the run goes on
                    seconds, records, error = 0.0, [], f"{type(err).__name__}: {str(err)[:300]}"
                if error:
                    errors += 1
                verdicts = _entry(records)
                key = _fp.relative(page, root).as_posix()
                data = load(root)
                data.update(flags=list(FLAGS), seed=SEED)
                data["pages"][key] = {
                    "fingerprint": seeds.fingerprint(page, root, verdicts), "flags": list(FLAGS),
                    "date": _dt.date.today().isoformat(),
                    "seconds": round(float(seconds), 1), "error": error, "verdicts": verdicts}
                (root / RECORD).parent.mkdir(parents=True, exist_ok=True)
                (root / RECORD).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
                print(f"{key}: {error or f'{seconds:.1f} s, {len(verdicts)} verdicts'}")
        finally:
            os.environ.clear()
            os.environ.update(before)
    return errors


@dataclasses.dataclass(frozen=True)
class Row:
    """One claim: its status and value in the seed record's run and with other roundings."""

    claim: str
    status: str
    other_status: str | None  # None: the run with other roundings did not reach the claim
    value: Any
    other_value: Any
    live: bool = True  # False: judged on a saved run in the run with other roundings, which the flags did not reach

    @property
    def changed(self) -> bool:
        """Whether the status reads differently (``not reproduced`` against ``not reproduced (passed this run)``)."""
        return self.status != self.other_status

    @property
    def turned(self) -> bool:
        """Whether the claim is missing from either run, or its status changed and one of the two stops a page
        (failed, cannot fail, degenerate). A claim registered as not reproduced or not a test whose live reading
        changes between two statuses that let the page go on keeps its registered outcome, as in the seed record."""
        if self.other_status is None or self.status == _NOT_REPORTED:
            return True
        return self.changed and not (self.status in OK_STATUSES and self.other_status in OK_STATUSES)

    @property
    def change(self) -> float | None:
        """The relative change of the value, where both are finite numbers (0 for two equal values)."""
        a, b = self.value, self.other_value
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (a, b)):
            return None
        return 0.0 if a == b else abs(b - a) / max(abs(a), abs(b))


def compare_verdicts(record: Mapping[str, Mapping[str, Any]], other: Mapping[str, Mapping[str, Any]]) -> list[Row]:
    """A :class:`Row` per claim of the seed record's run ``record`` (claim id -> entry with ``status`` and
    ``value``), against the run with other roundings ``other``; a claim only ``other`` reports is a turn too."""
    for name, verdicts in (("record", record), ("other", other)):
        if not isinstance(verdicts, Mapping) or not all(
                isinstance(v, Mapping) and isinstance(v.get("status"), str) for v in verdicts.values()):
            raise ValueError(f"{name} must map claim ids to verdicts with a 'status', got {verdicts!r}"[:300])
    rows = []
    for cid in sorted(set(record) | set(other)):
        mine, theirs = record.get(cid), other.get(cid)
        rows.append(Row(cid, mine["status"] if mine else _NOT_REPORTED, theirs["status"] if theirs else None,
                        mine.get("value") if mine else None, theirs.get("value") if theirs else None,
                        live=_provenance(theirs, mine) == "live"))
    return rows


def _provenance(other: Mapping[str, Any] | None, record: Mapping[str, Any] | None) -> str:
    """Where the other run's verdict came from: its own record of it, else the seed record's (runs made before the
    record kept it, without ``DLTHEORY_LIVE=1``, read the same saved runs as the seed record's)."""
    for verdict in (other, record):
        if verdict and "provenance" in verdict:
            return verdict["provenance"]
    return "live"


def compare(root: Path) -> tuple[list[Row], list[str]]:
    """Every claim of every page whose run with other roundings is of today's code and whose seed record has a
    fresh run under :data:`SEED`; and the pages left out, each with why."""
    rows, left_out, _ = _survey(root)
    return rows, left_out


def pages_to_run(root: Path) -> list[str]:
    """The notebook pages whose seed record has a fresh run under :data:`SEED` but whose run with other roundings is
    missing, stale or stopped: each needs ``python -m dltheory.book.arithmetic run`` before it is compared."""
    return _survey(root)[2]


def _stale(entry: Mapping[str, Any], page: Path, root: Path) -> str | None:
    """Why a recorded run no longer describes ``page`` as it is, or ``None``."""
    if entry["fingerprint"] != seeds.fingerprint(page, root, entry["verdicts"]):
        return "stale (its code changed since the run)"
    if entry["flags"] != list(FLAGS):
        return "stale (run with other flags)"
    return None


def _survey(root: Path) -> tuple[list[Row], list[str], list[str]]:
    """One pass over the record and the notebook pages, each page fingerprinted once: the rows of :func:`compare`,
    its pages left out, and :func:`pages_to_run`."""
    root = Path(root)
    record = load(root)["pages"]
    rows: list[Row] = []
    left_out, todo = [], []
    bases, stale = {}, {}
    for key, entry in sorted(record.items()):
        page = root / key
        if not page.is_file():
            left_out.append(f"{key}: no such page")
            continue
        base = bases[key] = _base(page, root)
        why = stale[key] = _stale(entry, page, root)
        if why:
            left_out.append(f"{key}: {why}")
        elif entry.get("error"):
            left_out.append(f"{key}: stopped: {entry['error']}")
            rows += compare_verdicts(base or {}, entry["verdicts"])
        elif base is None:
            left_out.append(f"{key}: the seed record has no fresh run under base seed {SEED}")
        else:
            rows += compare_verdicts(base, entry["verdicts"])
    for page in notebooks.notebook_pages(root):
        key = _fp.relative(page, root).as_posix()
        entry = record.get(key)
        if (bases[key] if key in bases else _base(page, root)) is not None and (
                entry is None or entry.get("error") or stale.get(key)):
            todo.append(key)
    return rows, left_out, todo


def _base(page: Path, root: Path) -> dict[str, Any] | None:
    runs = [r for r in seeds.fresh_runs(page, root=root) if r["seed"] == SEED and not r.get("error")]
    return runs[-1]["verdicts"] if runs else None


def note_text(row: Row | None) -> str:
    """The ledger's note on one claim's run with other roundings; empty without one, or where the run read the
    same saved run as the seed record's."""
    if row is None or not row.live:
        return ""
    if row.turned:
        return f"with other roundings (base seed {SEED}): {row.other_status or 'not reached'}, against {row.status}"
    if row.changed:
        return (f"with other roundings (base seed {SEED}): {row.other_status}, against {row.status} (the registered "
                f"outcome either way)")
    change = row.change
    moved = ("its value unchanged" if change == 0 else "its value moved" if change is None
             else f"its value moved by {change:.1e} of itself")
    return f"with other roundings (base seed {SEED}): the same verdict, {moved}"


def table(root: Path) -> tuple[str, bool]:
    """The comparison as text, and whether any claim turned."""
    rows, left_out, todo = _survey(root)
    turned = [r for r in rows if r.turned]
    changes = sorted((c, r.claim) for r in rows if r.live and (c := r.change) is not None)
    saved = sum(not r.live for r in rows)
    lines = [f"{len(rows)} claims compared, {len(turned)} turned (base seed {SEED}, XLA flags {' '.join(FLAGS)}); "
             f"{saved} of them judged on a saved run, which the flags do not reach"]
    lines += [f"  TURNED {r.claim}: {r.status} ({r.value}) -> {r.other_status} ({r.other_value})" for r in turned]
    lines += [f"  reads differently, registered outcome kept: {r.claim}: {r.status} ({r.value}) -> {r.other_status} "
              f"({r.other_value})" for r in rows if r.changed and not r.turned]
    if changes:
        moved = sum(c > 0 for c, _ in changes)
        lines.append(f"values changed: {moved} of {len(changes)} measured live; largest relative changes:")
        lines += [f"  {c:.2e} {cid}" for c, cid in changes[::-1][:8]]
    lines += [f"left out: {why}" for why in left_out]
    lines += [f"to run (its seed record is of today's code): {key}" for key in todo]
    return "\n".join(lines), bool(turned)


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dltheory.book.arithmetic", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="run pages with other roundings and record their verdicts")
    p_run.add_argument("pages", nargs="*", type=Path,
                       help="default: the pages whose run is missing or stale (pages_to_run); --all: every page")
    p_run.add_argument("--all", action="store_true", help="every notebook page with a seed record")
    sub.add_parser("table", help="compare the recorded verdicts with the seed record's")
    args = parser.parse_args(argv)
    root = notebooks.repo_root()
    if args.command == "run":
        if args.pages:
            pages = args.pages
        elif args.all:
            pages = [p for p in notebooks.notebook_pages(root) if seeds.record_path(p, root).is_file()]
        else:
            pages = [root / key for key in pages_to_run(root)]
        return 1 if run(pages, root) else 0
    text, turned = table(root)
    print(text)
    return 1 if turned else 0


if __name__ == "__main__":
    sys.exit(_main())
