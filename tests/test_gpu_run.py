"""The prepared GPU session (``scripts/gpu-run.sh``, issue 22) on a CPU, at tiny sizes: it measures performance,
runs the pages it is given, and leaves one bundle with the performance files in it. No speed is asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks import gpu

ROOT = Path(__file__).resolve().parents[1]


def _run_on_a_tiny_page(dest: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``scripts/gpu-run.sh dest`` with ``env`` on one page of a single cell, made for the run and removed after."""
    page = ROOT / "chapters" / "99-gpu-run-test" / "01-tiny.md"
    page.parent.mkdir(parents=True)
    try:
        page.write_text("---\nkernelspec:\n  name: python3\n---\n# t\n\n```{code-cell} ipython3\nx = 1\n```\n",
                        encoding="utf-8")
        env = dict(os.environ, GPU_RUN_PAGES=str(page.relative_to(ROOT)), PYTHON=sys.executable,
                   DLTHEORY_COMMIT="0123456789abcdef", **env)
        return subprocess.run(["bash", str(ROOT / "scripts" / "gpu-run.sh"), str(dest)], env=env, cwd=ROOT,
                              capture_output=True, text=True, check=False)
    finally:
        page.unlink()
        page.parent.rmdir()


def test_gpu_run_script_on_a_cpu(tmp_path):
    proc = _run_on_a_tiny_page(tmp_path, GPU_RUN_TINY="1", GPU_RUN_SECONDS="500", GPU_RUN_PERF_SECONDS="400")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    bundle = tmp_path / "fast-gpu"  # GPU_RUN_TINY runs fast mode, whose bundle is not one for results/full-gpu
    (folder,) = list(bundle.iterdir())
    assert folder.name.endswith("-0123456")  # the commit the session names, as the GPU machine may have no .git
    run = json.loads((folder / "run.json").read_text())
    assert [p["status"] for p in run["pages"]] == ["passed"] and run["commit"] == "0123456789abcdef"
    perf = json.loads((folder / "performance.json").read_text())
    assert perf["size"] == "tiny" and perf["k_seeds"] == 2 and perf["matmul_peak_flops_per_s"] > 0
    assert [r["what"].split(",")[0] for r in perf["rows"][:2]] == ["ours", "ours"]
    assert [r["what"] for r in perf["rows"][-2:]] == ["ours, 1 seed, matmul precision highest",
                                                      "ours, 1 seed, matmul precision bfloat16"]
    assert "| what | steps/s |" in (folder / "performance.md").read_text()
    assert (tmp_path / "nvidia-smi.txt").is_file()


def test_gpu_run_script_in_fast_mode_spends_its_time_on_the_pages(tmp_path):
    proc = _run_on_a_tiny_page(tmp_path, GPU_RUN_MODE="fast", GPU_RUN_SECONDS="300")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "performance: not measured" in proc.stdout and not (tmp_path / "performance").exists()
    (folder,) = list((tmp_path / "fast-gpu").iterdir())
    run = json.loads((folder / "run.json").read_text())
    assert run["mode"] == "fast" and [p["status"] for p in run["pages"]] == ["passed"]


def test_gpu_run_script_refuses_an_unknown_mode(tmp_path):
    proc = _run_on_a_tiny_page(tmp_path, GPU_RUN_TINY="1", GPU_RUN_MODE="quick", GPU_RUN_PERF_SECONDS="1")
    assert proc.returncode == 2 and "GPU_RUN_MODE must be fast or full" in proc.stdout


def test_gpu_sizes_and_bad_input():
    assert gpu.gpu_size().matmul_n == 8192 and gpu.gpu_size().grok_chunk * gpu.gpu_size().grok_chunks == 1000
    assert gpu.gpu_size(tiny=True).name == "tiny"
    import pytest

    with pytest.raises(ValueError, match="seeds"):
        gpu._main(["--out", "x", "--seeds", "1"])
