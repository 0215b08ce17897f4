"""``python -m benchmarks [--tiny] [--out DIR]``: run every benchmark and write the report."""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks import harness, workloads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (for the tests); the figures mean nothing")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder for results.md/json")
    args = parser.parse_args(argv)
    size = workloads.Size.tiny() if args.tiny else workloads.Size.standard()
    info = harness.machine()
    peak = workloads.matmul_peak(size)
    rows = []
    for workload in workloads.WORKLOADS:
        print(f"running {workload.__name__} ...", flush=True)
        rows.append(workload(size))
    md, js = harness.write_report(rows, peak, info, args.out, config=size.name)
    print(md.read_text(encoding="utf-8"))
    print(f"wrote {md} and {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
