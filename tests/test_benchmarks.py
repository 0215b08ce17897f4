"""The benchmarks run on a tiny configuration and write a well-formed report (no speed is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tiny_benchmarks_write_a_report(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--tiny", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["matmul_peak_flops_per_s"] > 0 and data["config"] == "tiny"
    assert data["machine"]["jax"] and data["machine"]["devices"]
    assert data["rows"], "no workload was measured"
    for row in data["rows"]:
        assert row["ours"] > 0 and row["unit"] and row["workload"]
        assert row["reference"] is None or row["ratio"] == row["ours"] / row["reference"]
    md = (tmp_path / "results.md").read_text()
    assert "| workload |" in md and "GFLOP/s" in md and md.count("\n| ") == len(data["rows"]) + 1
