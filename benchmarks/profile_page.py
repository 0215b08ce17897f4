"""How much of a page's execution time is JAX compilation: ``python -m benchmarks.profile_page PAGE...``.

Each page is executed in a fresh kernel as the book build does (fast mode, no progress bars), with
one cell added before its own that listens to JAX's monitoring events (tracing, lowering to MLIR,
XLA compilation, persistent-cache hits) and one added after that prints their totals. The page's own
cells are not changed. ``--cache DIR`` turns on JAX's persistent compilation cache in that folder for
the run, to measure what it would save (run twice: the first run fills the cache).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

_LISTEN = """
import jax as _jax_profile
_profile_totals = {}
def _profile_listen(event, duration, **kwargs):
    if event.startswith("/jax/"):
        _profile_totals[event] = _profile_totals.get(event, 0.0) + duration
_jax_profile.monitoring.register_event_duration_secs_listener(_profile_listen)
"""

_CACHE = """
_jax_profile.config.update("jax_compilation_cache_dir", {dir!r})
_jax_profile.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
"""

_REPORT = """
import json as _json_profile
print("PROFILE-TOTALS " + _json_profile.dumps(_profile_totals))
"""

EVENTS = {
    "trace": "/jax/core/compile/jaxpr_trace_duration",
    "lower": "/jax/core/compile/jaxpr_to_mlir_module_duration",
    "compile": "/jax/core/compile/backend_compile_duration",
}


def profile(page: Path, *, cache: Path | None = None, timeout: int = 1800) -> dict[str, Any]:
    """Execute ``page`` and return its wall seconds and the seconds of each JAX compilation stage."""
    import nbformat
    from nbclient import NotebookClient

    from dltheory.book import notebooks

    page = Path(page).resolve()
    if not page.is_file():
        raise ValueError(f"page must be a notebook page of the book, got {page}")
    nb = notebooks.read_page(page)
    first = _LISTEN + (_CACHE.format(dir=str(Path(cache).resolve())) if cache is not None else "")
    nb.cells = [nbformat.v4.new_code_cell(first), *nb.cells, nbformat.v4.new_code_cell(_REPORT)]
    env = dict(os.environ, DLTHEORY_PROGRESS="0", DLTHEORY_STATIC="1")
    env.pop("DLTHEORY_MODE", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(page.parent)}})
    client.km = client.create_kernel_manager()
    t0 = time.perf_counter()
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    wall = time.perf_counter() - t0
    text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    totals = json.loads(text.split("PROFILE-TOTALS ", 1)[1])
    out = {"page": str(page), "wall_s": wall}
    out |= {name: totals.get(event, 0.0) for name, event in EVENTS.items()}
    out["compile_share"] = (out["trace"] + out["lower"] + out["compile"]) / wall
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_page", description=__doc__.split("\n\n")[0])
    parser.add_argument("pages", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=None, help="turn on JAX's persistent compilation cache in DIR")
    args = parser.parse_args(argv)
    for page in args.pages:
        r = profile(page, cache=args.cache)
        print(f"{page}: {r['wall_s']:.1f} s, of which tracing {r['trace']:.1f} s, lowering {r['lower']:.1f} s, "
              f"XLA compilation {r['compile']:.1f} s ({100 * r['compile_share']:.0f}% of the page)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
