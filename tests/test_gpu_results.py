"""The website shows the newest committed full-mode GPU run (issue 22): the ledger's *Full mode (GPU)* column and a
folded section at the end of every notebook page, from ``results/full-gpu/<date>-<commit>/``, or *none yet*.

A small Sphinx project with the book's extension is built here, warnings as errors, with and without a bundle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dltheory import claims
from dltheory.book import gpu_results

ROOT = Path(__file__).resolve().parents[1]
CLAIM = "how-to-read/sgd-time-exponent"
PAGE = "chapters/09-test/01-page.md"


def _bundle(root: Path, name: str = "2026-12-04-abcdef0", date: str = "2026-12-04 21:00 UTC", **extra) -> Path:
    folder = root / gpu_results.RESULTS / name
    folder.mkdir(parents=True)
    run = {"format": 1, "mode": "full", "date": date, "commit": "abcdef0123", "device": "NVIDIA H200",
           "jax": "0.11.2", "pages": [{"page": PAGE, "status": "passed", "seconds": 42.0, "estimate_seconds": 30.0},
                                      {"page": "chapters/09-test/02-other.md", "status": "timeout", "seconds": 600}]}
    (folder / "run.json").write_text(json.dumps(run | extra), encoding="utf-8")
    verdict = {"id": CLAIM, "status": "reproduced", "summary": "0.751 (median of 16 seeds, range 0.74–0.76)",
               "criterion": "0.75 ± 0.05", "page": PAGE, "provenance": None}
    (folder / "claims.jsonl").write_text(json.dumps(verdict) + "\n", encoding="utf-8")
    return folder


def test_latest_bundle_is_the_newest_full_mode_run(tmp_path):
    assert gpu_results.latest_bundle(tmp_path) is None
    _bundle(tmp_path, "2026-12-04-abcdef0")
    _bundle(tmp_path, "2026-12-05-1234567", date="2026-12-05 09:00 UTC")
    _bundle(tmp_path, "2026-12-06-fast000", date="2026-12-06 09:00 UTC", mode="fast")  # not a full-mode run
    bundle = gpu_results.latest_bundle(tmp_path)
    assert bundle.folder.name == "2026-12-05-1234567"
    assert bundle.provenance() == "NVIDIA H200, JAX 0.11.2, matmul JAX default, 2026-12-05 09:00 UTC, commit abcdef0"
    pinned = gpu_results.Bundle.read(_bundle(tmp_path, "2026-12-07-pinned0", date="2026-12-07 09:00 UTC",
                                             matmul_precision="highest"))
    assert pinned.provenance().startswith("NVIDIA H200, JAX 0.11.2, matmul highest, 2026-12-07")
    with pytest.raises(ValueError, match="not a full-mode bundle"):
        gpu_results.Bundle.read(tmp_path / gpu_results.RESULTS / "2026-12-06-fast000")
    with pytest.raises(ValueError, match="not a results bundle"):
        gpu_results.Bundle.read(tmp_path)


def test_ledger_cell_shows_the_gpu_verdict_or_none_yet(tmp_path):
    bundle = gpu_results.Bundle.read(_bundle(tmp_path))
    claim = claims.get(CLAIM)
    assert gpu_results.ledger_cell(claim, bundle).startswith("**✔ holds on the GPU**: 0.751")
    full_claims = [c for c in claims.registry().values() if c.mode == "full"]
    other = full_claims[0]
    assert gpu_results.ledger_cell(other, bundle).startswith("*no GPU verdict yet; registered for full mode*")
    assert "02-other" in gpu_results.ledger_cell(other, bundle)  # the page that stopped is named
    assert gpu_results.ledger_cell(claim, None) == "*no GPU verdict yet*"
    assert "no full-mode run" in gpu_results.ledger_note(None)
    assert "1 of 2 pages ran to the end" in gpu_results.ledger_note(bundle)


def test_runs_of_some_chapters_each_merge_newest_first(tmp_path):
    # the book takes longer than one GPU session: an older run covered PAGE, a newer one only another page
    _bundle(tmp_path, "2026-12-04-abcdef0")
    newer = _bundle(tmp_path, "2026-12-06-7654321", date="2026-12-06 10:00 UTC", commit="7654321aaa",
                    pages=[{"page": "chapters/09-test/02-other.md", "status": "passed", "seconds": 80.0}])
    other = [c for c in claims.registry().values() if c.mode == "full"][0]
    verdict = {"id": other.id, "status": "not reproduced", "summary": "0.2 (median of 4 seeds)", "criterion": "≥ 1",
               "page": "chapters/09-test/02-other.md", "provenance": None}
    (newer / "claims.jsonl").write_text(json.dumps(verdict) + "\n", encoding="utf-8")
    results = gpu_results.collect(tmp_path)
    assert [b.folder.name for b in results.bundles] == ["2026-12-06-7654321", "2026-12-04-abcdef0"]
    # each claim from the newest run that checked it, dated because there are several runs
    assert gpu_results.ledger_cell(claims.get(CLAIM), results) == \
        "**✔ holds on the GPU**: 0.751 (median of 16 seeds, range 0.74–0.76) (run of 2026-12-04)"
    assert gpu_results.ledger_cell(other, results).startswith("**◐ not reproduced on the GPU (as registered)**: 0.2")
    assert "(run of 2026-12-06)" in gpu_results.ledger_cell(other, results)
    # the page that timed out in the older run passed in the newer one: it is not named as stopped
    assert results.page_statuses()["chapters/09-test/02-other.md"] == "passed"
    note = gpu_results.ledger_note(results)
    assert "newest of the 2 committed full-mode runs" in note and "commit 7654321" in note and "commit abcdef0" in note
    # each page from the newest run that included it, with that run's provenance
    html = gpu_results.page_section_html(PAGE, results)
    assert "commit abcdef0" in html and "passed" in html and CLAIM in html
    assert "commit 7654321" in gpu_results.page_section_html("chapters/09-test/02-other.md", results)
    none = gpu_results.page_section_html("chapters/09-test/03-none.md", results)
    assert "None of the 2 committed full-mode GPU runs" in none and "commit 7654321" in none
    with pytest.raises(ValueError, match="at least one bundle"):
        gpu_results.Results(())


def test_page_section_says_what_ran_where(tmp_path):
    bundle = gpu_results.Bundle.read(_bundle(tmp_path))
    html = gpu_results.page_section_html(PAGE, bundle)
    assert "<details" in html and "passed" in html and CLAIM in html and "commit abcdef0" in html
    assert claims.HTML_CLASS not in html  # never collected as a fast-mode verdict by the ledger
    assert "did not include this page" in gpu_results.page_section_html("chapters/09-test/03-none.md", bundle)
    assert "no run yet" in gpu_results.page_section_html(PAGE, None)
    scaled = gpu_results.page_section_html(PAGE, None, [("GrokConfig", "20,000 of the paper's 40,000 steps")])
    assert "GrokConfig" in scaled and "40,000 steps" in scaled and "against the paper" in scaled
    assert "against the paper" not in gpu_results.page_section_html(PAGE, None)


CONF = f"""
extensions = ["myst_parser", "sphinxcontrib.bibtex", "dltheory.book.sphinxext"]
bibtex_bibfiles = [{str(ROOT / "book" / "references.bib")!r}]
bibtex_reference_style = "author_year"
myst_enable_extensions = ["dollarmath"]
exclude_patterns = ["_build", "results"]
suppress_warnings = ["myst.header"]
"""
INDEX = "# Book\n\n```{toctree}\nclaims\nchapters/09-test/01-page\nplain\nbib\nbook/performance\n```\n"
NOTEBOOK = "---\njupytext:\n  formats: ipynb,md:myst\nkernelspec:\n  name: python3\n---\n# A page\n\nText.\n"


def _build(src: Path) -> tuple[str, str, str]:
    (src / "conf.py").write_text(CONF, encoding="utf-8")
    (src / "index.md").write_text(INDEX, encoding="utf-8")
    (src / "claims.md").write_text("# Ledger\n\n```{claims-ledger}\n```\n", encoding="utf-8")
    (src / "plain.md").write_text("# Plain prose\n\nNo code here.\n", encoding="utf-8")
    (src / "bib.md").write_text("# References\n\n```{bibliography}\n```\n", encoding="utf-8")
    (src / "book").mkdir(exist_ok=True)
    (src / "book" / "performance.md").write_text("# Performance\n\nThe CPU report.\n", encoding="utf-8")
    page = src / PAGE
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(NOTEBOOK, encoding="utf-8")
    out = src / "_build"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(out)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    read = lambda name: (out / name).read_text(encoding="utf-8")  # noqa: E731
    assert "dltheory-gpu-performance" in read("book/performance.html")  # the GPU measurements, or a note
    return read("claims.html"), read("chapters/09-test/01-page.html"), read("plain.html")


@pytest.mark.parametrize("with_bundle", [True, False], ids=["bundle", "none-yet"])
def test_the_built_site_shows_the_gpu_run(tmp_path, with_bundle):
    if with_bundle:
        _bundle(tmp_path)
    ledger, page, plain = _build(tmp_path)
    assert "Full mode (GPU)" in ledger
    assert "dltheory-gpu-results" not in plain  # prose pages get no GPU section
    if with_bundle:
        assert "✔ holds on the GPU</strong>: 0.751" in ledger and "commit abcdef0" in ledger
        assert "no GPU verdict yet; registered for full mode" in ledger
        assert "✔ reproduced" not in ledger  # the fast-mode words stay the fast verdicts
        assert "Full mode on a GPU: passed, 42 s" in page and CLAIM in page
    else:
        assert "✔ holds on the GPU" not in ledger and "no full-mode run on a GPU" in ledger
        assert "Full mode on a GPU: no run yet" in page


def test_performance_page_shows_the_gpu_measurements(tmp_path):
    folder = _bundle(tmp_path)
    bundle = gpu_results.Bundle.read(folder)
    assert "no performance measurements" in gpu_results.performance_html(bundle)
    perf = {"matmul_peak_flops_per_s": 128.6e12, "torch": "skipped: no torch",
            "rows": [{"what": "ours, 1 seed", "steps_per_s": 2589.0, "useful_flops_per_s": 10.7e12,
                      "share_of_peak": 0.083, "note": ""},
                     {"what": "PyTorch eager", "steps_per_s": None, "note": "failed: x"}]}
    (folder / "performance.json").write_text(json.dumps(perf), encoding="utf-8")
    html = gpu_results.performance_html(bundle)
    assert "128.6 TFLOP/s" in html and "2,589" in html and "8.3%" in html and "skipped: no torch" in html
