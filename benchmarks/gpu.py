"""GPU performance of issue 22, measured side by side in one run (``scripts/gpu-run.sh`` calls it first).

``python -m benchmarks.gpu --out DIR [--tiny] [--seeds K]``
    On the device JAX sees: the float32 matrix-multiply peak; the grokking transformer in Nanda et al.'s
    configuration (full batch, AdamW) trained by ``dltheory.train`` for one seed and for ``K`` seeds vmapped in one
    program (steps/s, and useful FLOPs as a share of the peak); the PyTorch reference on the same device, eager
    (every position, as the paper's code, and last position only) and ``torch.compile``d, when PyTorch imports
    (skipped with a message otherwise); and our one-seed step with float32 matrix products at the highest precision
    and at bfloat16 (``jax.default_matmul_precision``), to see what reduced precision would buy. Writes
    ``DIR/performance.json`` and ``DIR/performance.md`` after every measurement, so a run stopped by its time limit
    keeps what it measured.

``--tiny`` runs every measurement at the tests' sizes (seconds on a CPU): it checks the logic, not the speed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import workloads
from dltheory import train

__all__ = ["gpu_size", "grok_seeds", "torch_steps_per_s", "measure_all", "report"]


def gpu_size(tiny: bool = False) -> workloads.Size:
    """The sizes of the GPU run: a matrix product of side 8,192 (as the first GPU run) and 1,000 steps of the
    transformer per repetition; ``tiny``: the tests' sizes."""
    if tiny:
        return workloads.Size.tiny()
    return dataclasses.replace(workloads.Size.standard(), repeats=3, matmul_n=8192, grok_chunk=500, grok_chunks=2,
                               grok_torch_steps=200)


def grok_seeds(cfg: Any, data: tuple[np.ndarray, np.ndarray], steps: int, k: int, repeats: int) -> dict[str, float]:
    """Seconds per step of ``k`` seeds of the transformer in one ``train.train`` program, compilation excluded
    (the best of ``repeats``), and the compilation's seconds."""
    x, y = jnp.asarray(data[0]), jnp.asarray(data[1])

    def run() -> Any:
        return train.train(lambda key, hp: workloads.gm.init_model(key, cfg), workloads.grok_loss,
                           workloads.grok_optimizer(cfg), steps=steps, eval_every=cfg.eval_every,
                           seeds=list(range(k)), data=(x, y), progress=False).params

    runs, compiles = workloads.run_minus_compile(run, repeats)
    return {"seconds_per_step": min(runs) / steps, "compile_s": float(np.median(compiles))}


def torch_steps_per_s(kind: str, params: Any, data: tuple[np.ndarray, np.ndarray], cfg: Any, steps: int,
                      *, compiled: bool) -> tuple[float, str]:
    """Full-batch AdamW steps per second of the PyTorch reference (``benchmarks.grokking_torch``) on CUDA if
    there is one, else the CPU; ``compiled``: its loss through ``torch.compile`` (compilation not timed)."""
    import torch

    from benchmarks import grokking_torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = grokking_torch.from_jax(kind, params).to(device)
    tokens = torch.as_tensor(np.asarray(data[0]), dtype=torch.long, device=device)
    labels = torch.as_tensor(np.asarray(data[1]), dtype=torch.long, device=device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(cfg.beta1, cfg.beta2))

    def loss(t: Any, lab: Any) -> Any:
        return grokking_torch.loss_fn(model, t, lab)

    loss_fn = torch.compile(loss) if compiled else loss

    def run(n: int) -> None:
        for _ in range(n):
            opt.zero_grad(set_to_none=True)
            loss_fn(tokens, labels).backward()
            opt.step()
        if device == "cuda":
            torch.cuda.synchronize()

    run(3)  # warm-up, and compilation for torch.compile
    t0 = time.perf_counter()
    run(steps)
    return steps / (time.perf_counter() - t0), f"torch {torch.__version__} on {device}"


def measure_all(size: workloads.Size, k: int, save: Any = None) -> dict[str, Any]:
    """Every measurement of the GPU run, as one JSON-ready dict; ``save(result)`` is called after each one."""
    save = save or (lambda result: None)
    out: dict[str, Any] = {"device": ", ".join(sorted({d.device_kind for d in jax.devices()})),
                           "platform": jax.default_backend(), "jax": jax.__version__, "size": size.name, "rows": []}
    peak = workloads.matmul_peak(size)
    out["matmul_peak_flops_per_s"] = peak
    save(out)
    cfg = workloads.grok_config(size)
    data = workloads.grok_data(cfg)
    useful = workloads.grok_flops(cfg, reduced=True)
    steps = size.grok_chunk * size.grok_chunks
    repeats = min(size.repeats, 2)
    one = grok_seeds(cfg, data, steps, 1, repeats)
    many = grok_seeds(cfg, data, steps, k, repeats)

    def row(what: str, steps_per_s: float, flops_per_step: float, note: str = "") -> None:
        out["rows"].append({"what": what, "steps_per_s": steps_per_s, "useful_flops_per_s": flops_per_step * steps_per_s,
                            "share_of_peak": flops_per_step * steps_per_s / peak, "note": note})
        save(out)

    row("ours, 1 seed (dltheory.train, float32)", 1 / one["seconds_per_step"], useful,
        f"compilation {one['compile_s']:.1f} s, not timed")
    row(f"ours, {k} seeds vmapped in one program", 1 / many["seconds_per_step"], k * useful,
        f"{many['seconds_per_step'] / one['seconds_per_step']:.2f}× the time of one seed (aim: ≤ 2× for 16)")
    out["k_seeds"] = k
    out["k_over_one_time_ratio"] = many["seconds_per_step"] / one["seconds_per_step"]
    try:
        import torch  # noqa: F401
    except ImportError as err:
        out["torch"] = f"skipped: PyTorch does not import here ({err})"
    else:
        _torch_rows(out, row, cfg, data, size)
    for precision in ("highest", "bfloat16"):  # the default is what XLA picks for float32 on this device
        with jax.default_matmul_precision(precision):
            timing = grok_seeds(cfg, data, steps, 1, 1)
        row(f"ours, 1 seed, matmul precision {precision}", 1 / timing["seconds_per_step"], useful,
            "another matmul precision: a speed figure only, no claim is checked at it")
    return out


def _torch_rows(out: dict[str, Any], row: Any, cfg: Any, data: tuple[np.ndarray, np.ndarray],
                size: workloads.Size) -> None:
    params = jax.device_get(jax.jit(workloads.gm.init_model, static_argnums=1)(jax.random.key(0), cfg))
    for kind, compiled, label in (("full", False, "PyTorch eager, every position (the paper's code)"),
                                  ("last", False, "PyTorch eager, last position only"),
                                  ("last", True, "PyTorch torch.compile, last position only")):
        try:
            rate, where = torch_steps_per_s(kind, params, data, cfg, size.grok_torch_steps, compiled=compiled)
        except Exception as err:  # noqa: BLE001 - a reference that fails is reported, never fatal
            out["rows"].append({"what": label, "steps_per_s": None, "note": f"failed: {type(err).__name__}: {err}"})
            continue
        row(label, rate, workloads.grok_flops(cfg, reduced=True), where)
    out["torch"] = "measured"


def report(result: dict[str, Any]) -> str:
    """The measurements as a Markdown table."""
    lines = [f"GPU performance on {result['device']} ({result['platform']}), JAX {result['jax']}, size {result['size']}",
             "", f"Float32 matrix-multiply peak through JAX: {result['matmul_peak_flops_per_s'] / 1e12:.2f} TFLOP/s", "",
             "| what | steps/s | useful TFLOP/s | share of peak | note |", "|---|---|---|---|---|"]
    for r in result["rows"]:
        if r.get("steps_per_s") is None:
            lines.append(f"| {r['what']} | – | – | – | {r['note']} |")
            continue
        lines.append(f"| {r['what']} | {r['steps_per_s']:,.0f} | {r['useful_flops_per_s'] / 1e12:.3g} | "
                     f"{100 * r['share_of_peak']:.1f}% | {r['note']} |")
    if result.get("torch", "").startswith("skipped"):
        lines += ["", result["torch"]]
    return "\n".join(lines) + "\n"


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tiny", action="store_true", help="the tests' sizes: checks the logic, not the speed")
    parser.add_argument("--seeds", type=int, default=16, help="K, the seeds vmapped in one program")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        raise ValueError(f"--seeds must be at least 2, got {args.seeds}")
    args.out.mkdir(parents=True, exist_ok=True)

    def save(result: dict[str, Any]) -> None:
        (args.out / "performance.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        (args.out / "performance.md").write_text(report(result), encoding="utf-8")

    result = measure_all(gpu_size(args.tiny), args.seeds, save)
    save(result)
    print(report(result))
    return 0


if __name__ == "__main__":
    sys.exit(_main())
