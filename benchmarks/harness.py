"""Timing, machine description and the report of the benchmarks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from dltheory.runtime import Timing, timeit


def measure(fn: Callable[[], Any], *, repeats: int, warmup: int = 1) -> Timing:
    """Time ``fn()`` with :func:`dltheory.runtime.timeit` (blocking on JAX results, compilation untimed)."""
    return timeit(fn, repeats=repeats, warmup=warmup)


class CompileTimer:
    """Seconds JAX spends tracing, lowering and compiling inside a ``with`` block.

    Reads JAX's own monitoring events (``/jax/core/compile/...``), so a call that compiles, like every
    call of :func:`dltheory.train.train`, can be split into compilation and running:
    ``with CompileTimer() as ct: ...`` then ``ct.seconds`` and ``ct.by_event``.
    """

    EVENTS = {
        "/jax/core/compile/jaxpr_trace_duration": "trace",
        "/jax/core/compile/jaxpr_to_mlir_module_duration": "lower",
        "/jax/core/compile/backend_compile_duration": "compile",
    }

    def __init__(self) -> None:
        self.by_event: dict[str, float] = {v: 0.0 for v in self.EVENTS.values()}

    def _listen(self, event: str, duration: float, **kwargs: Any) -> None:
        if event in self.EVENTS:
            self.by_event[self.EVENTS[event]] += duration

    def __enter__(self) -> CompileTimer:
        jax.monitoring.register_event_duration_secs_listener(self._listen)
        return self

    def __exit__(self, *exc: Any) -> None:
        jax.monitoring.unregister_event_duration_listener(self._listen)

    @property
    def seconds(self) -> float:
        return sum(self.by_event.values())


def relative_spread(timing: Timing) -> float:
    """Half the range of the repetitions, relative to the median."""
    return timing.spread / timing.median


@dataclasses.dataclass(frozen=True)
class Row:
    """One line of the report: our figure against the reference's, measured in the same run."""

    workload: str
    unit: str                  # e.g. "steps/s"; larger is better
    ours: float
    reference: float | None
    reference_name: str
    ours_spread: float
    reference_spread: float | None
    target: str = ""           # the target, e.g. ">= 10x"
    useful_flops_per_s: float | None = None
    note: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)  # machine-readable extras (JSON only)

    @property
    def ratio(self) -> float | None:
        return None if self.reference in (None, 0) else self.ours / self.reference


def machine() -> dict[str, Any]:
    """The machine and devices the benchmarks ran on."""
    import optax

    dev = jax.devices()
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "jax": jax.__version__,
        "optax": optax.__version__,
        "numpy": np.__version__,
        "backend": jax.default_backend(),
        "devices": [f"{d.platform}:{getattr(d, 'device_kind', '')}" for d in dev],
        "cores": cores,
        "load_average_1min": load[0],  # at the start: a busy machine makes every figure noisy
    }


def row_from_json(data: dict[str, Any]) -> Row:
    """A :class:`Row` back from its JSON form (as written by :func:`write_report`)."""
    names = {f.name for f in dataclasses.fields(Row)}
    return Row(**{k: v for k, v in data.items() if k in names})


# The table holds the short figures, so that it fits the width of a page; each row's workload, reference,
# spread and note follow it as a numbered list.
_HEADER = ["| # | ours | reference | ratio | target | of matmul peak |", "|---|---|---|---|---|---|"]


def _row_line(i: int, r: Row, peak_flops: float) -> str:
    ref = f"{r.reference:.4g} {r.unit}" if r.reference is not None else "–"
    ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "–"
    frac = f"{100 * r.useful_flops_per_s / peak_flops:.0f}%" if r.useful_flops_per_s else "–"
    return f"| {i} | {r.ours:.4g} {r.unit} | {ref} | {ratio} | {r.target} | {frac} |"


def _row_notes(rows: list[Row], first: int) -> list[str]:
    out = []
    for i, r in enumerate(rows, start=first):
        spread = f"±{100 * r.ours_spread:.0f}% ours, " + (
            f"±{100 * r.reference_spread:.0f}% reference" if r.reference_spread is not None else "no reference")
        note = f" {r.note}." if r.note else ""
        out.append(f"{i}. **{r.workload}**. Reference: {r.reference_name}. Spread: {spread}.{note}")
    return out


def write_report(rows: list[Row], peak_flops: float, info: dict[str, Any], out: Path, *, config: str,
                 book: dict[str, Any] | None = None) -> tuple[Path, Path]:
    """Write ``results.md`` and ``results.json`` into ``out``.

    ``book``: the whole-book workload, measured separately (``python -m benchmarks --book``):
    ``{"machine": ..., "rows": [Row, ...], "pages": [{"page", "part", "seconds"}, ...]}``.
    """
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": info,
        "config": config,
        "matmul_peak_flops_per_s": peak_flops,
        "rows": [dataclasses.asdict(r) | {"ratio": r.ratio} for r in rows],
    }
    if book is not None:
        data["book"] = {"machine": book["machine"], "pages": book["pages"], "how": book.get("how"),
                        "rows": [dataclasses.asdict(r) | {"ratio": r.ratio} for r in book["rows"]]}
    json_path = out / "results.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Benchmark results",
        "",
        f"Measured {info['date']} on {info['processor']} ({info['platform']}), "
        f"JAX {info['jax']} on {', '.join(info['devices'])}, {info.get('cores', '?')} cores, load average "
        f"{info.get('load_average_1min', float('nan')):.1f} at the start; configuration: {config}.",
        f"Matrix-multiply peak of this machine, measured in the same run: **{peak_flops / 1e9:.1f} GFLOP/s** (float32).",
        "",
        *_HEADER,
    ]
    lines += [_row_line(i, r, peak_flops) for i, r in enumerate(rows, start=1)]
    lines += ["", *_row_notes(rows, 1), "",
              "Figures are medians over repetitions; *spread* is half the range over repetitions, relative to the median.", ""]
    if book is not None:
        m = book["machine"]
        lines += ["## The whole book", "",
                  f"Built {m['date']} on {m['processor']} ({m['platform']}), JAX {m['jax']} on {', '.join(m['devices'])}, "
                  f"{m.get('cores', '?')} cores, "
                  + (f"load average {m['load_average_1min']:.1f} at the start, " if "load_average_1min" in m else "")
                  + (book.get("how") or "with `python -m benchmarks --book`: a cold build into an empty folder (every "
                     "page executed in fast mode), then the same build again (every page from the execution cache)")
                  + ".", "", *_HEADER]
        first = len(rows) + 1
        lines += [_row_line(i, r, peak_flops) for i, r in enumerate(book["rows"], start=first)]
        lines += ["", *_row_notes(book["rows"], first)]
        parts: dict[str, float] = {}
        for p in book["pages"]:
            parts[p["part"]] = parts.get(p["part"], 0.0) + p["seconds"]
        lines += ["", "Execution time of each page in the cold build, from the execution cache:", "",
                  "| part | page | seconds |", "|---|---|---|"]
        lines += [f"| {p['part']} | {p['page']} | {p['seconds']:.1f} |" for p in book["pages"]]
        lines += [f"| **{part}** | (all its pages) | **{sec:.1f}** |" for part, sec in sorted(parts.items())]
        lines.append("")
    md_path = out / "results.md"
    md_path.write_text("\n".join(lines), encoding="utf-8")
    return md_path, json_path
