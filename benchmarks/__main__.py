"""``python -m benchmarks [--tiny] [--book | --book-from BUILD] [--out DIR]``: run the benchmarks and write the report.

Without ``--book``: every workload of ``benchmarks.workloads``; a whole-book measurement already in
the report is kept. With ``--book``: only the whole book (a cold build and a cached rebuild, long),
whose rows replace those of the previous book measurement; the other rows of the report are kept.
With ``--book-from BUILD``: the same, read from a cold build already made into the folder ``BUILD``
(for example a clean clone after ``make test``, whose book build starts from an empty cache).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks import harness, workloads


def _previous(out: Path) -> dict | None:
    path = out / "results.json"
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="tiny sizes (for the tests); the figures mean nothing")
    parser.add_argument("--book", action="store_true",
                        help="measure the whole book instead (cold build + cached rebuild; takes the length of a build)")
    parser.add_argument("--book-source", type=Path, default=None,
                        help="with --book (--book-from): the Jupyter Book folder to build (that was built); default: this book")
    parser.add_argument("--book-from", type=Path, default=None, metavar="BUILD",
                        help="read the whole book's page times from a cold build already made in BUILD instead")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="folder for results.md/json")
    args = parser.parse_args(argv)
    if args.book_source is not None and not (args.book or args.book_from):
        parser.error("--book-source needs --book or --book-from")
    if args.book and args.book_from is not None:
        parser.error("--book builds the book; --book-from reads a build already made: give one of them")
    previous = _previous(args.out)
    if args.book or args.book_from is not None:
        from benchmarks import book

        if args.book:
            print("building the book twice (cold, then cached) ...", flush=True)
            book_rows, pages = book.run(args.book_source or book.ROOT)
            how = None
        else:
            book_rows, pages = book.from_build(args.book_from, args.book_source or book.ROOT)
            how = (f"read with `python -m benchmarks --book-from {args.book_from.name}` from the execution cache of "
                   "a cold build already made there (every page executed once, in fast mode, with an empty JAX "
                   "compilation cache)")
        machine = harness.machine()
        if args.book_from is not None:  # the build's date; this moment's load says nothing about it
            machine = {k: v for k, v in machine.items() if k != "load_average_1min"} | {
                "date": book.build_date(args.book_from)}
        book_part = {"machine": machine, "rows": book_rows, "pages": pages, "how": how}
        if previous is not None:
            rows = [harness.row_from_json(r) for r in previous["rows"]]
            peak, info, config = previous["matmul_peak_flops_per_s"], previous["machine"], previous["config"]
        else:
            rows, info, config = [], harness.machine(), "book only"
            peak = workloads.matmul_peak(workloads.Size.tiny() if args.tiny else workloads.Size.standard())
    else:
        size = workloads.Size.tiny() if args.tiny else workloads.Size.standard()
        info, config = harness.machine(), size.name
        peak = workloads.matmul_peak(size)
        rows = []
        for workload in workloads.WORKLOADS:
            print(f"running {workload.__name__} ...", flush=True)
            out = workload(size)
            rows.extend(out if isinstance(out, list) else [out])
        book_part = None
        if previous is not None and "book" in previous:
            old = previous["book"]
            book_part = {"machine": old["machine"], "pages": old["pages"], "how": old.get("how"),
                         "rows": [harness.row_from_json(r) for r in old["rows"]]}
    md, js = harness.write_report(rows, peak, info, args.out, config=config, book=book_part)
    print(md.read_text(encoding="utf-8"))
    print(f"wrote {md} and {js}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
