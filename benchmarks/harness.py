"""Timing, machine description and the report of the benchmarks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
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

    @property
    def ratio(self) -> float | None:
        return None if self.reference in (None, 0) else self.ours / self.reference


def machine() -> dict[str, Any]:
    """The machine and devices the benchmarks ran on."""
    import optax

    dev = jax.devices()
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
    }


def write_report(rows: list[Row], peak_flops: float, info: dict[str, Any], out: Path, *, config: str) -> tuple[Path, Path]:
    """Write ``results.md`` and ``results.json`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": info,
        "config": config,
        "matmul_peak_flops_per_s": peak_flops,
        "rows": [dataclasses.asdict(r) | {"ratio": r.ratio} for r in rows],
    }
    json_path = out / "results.json"
    json_path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Benchmark results",
        "",
        f"Measured {info['date']} on {info['processor']} ({info['platform']}), "
        f"JAX {info['jax']} on {', '.join(info['devices'])}; configuration: {config}.",
        f"Matrix-multiply peak of this machine, measured in the same run: **{peak_flops / 1e9:.1f} GFLOP/s** (float32).",
        "",
        "| workload | ours | reference | ratio | target | spread (ours / ref.) | fraction of matmul peak | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = f"{r.reference:.4g} {r.unit} ({r.reference_name})" if r.reference is not None else r.reference_name
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "–"
        spread = f"±{100 * r.ours_spread:.0f}% / " + (f"±{100 * r.reference_spread:.0f}%" if r.reference_spread is not None else "–")
        frac = f"{100 * r.useful_flops_per_s / peak_flops:.0f}%" if r.useful_flops_per_s else "–"
        lines.append(f"| {r.workload} | {r.ours:.4g} {r.unit} | {ref} | {ratio} | {r.target} | {spread} | {frac} | {r.note} |")
    lines += ["", "Figures are medians over repetitions; *spread* is half the range over repetitions, relative to the median.", ""]
    md_path = out / "results.md"
    md_path.write_text("\n".join(lines), encoding="utf-8")
    return md_path, json_path
