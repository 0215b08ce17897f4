"""The full-mode runner (``dltheory.book.fullrun``, issue 22) on tiny pages made here: statuses, limits, the bundle.

The real run happens on a GPU machine (``scripts/gpu-run.sh``); these pages take a second each on a CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dltheory.book import fullrun

HEAD = "---\nkernelspec:\n  name: python3\n---\n# page\n"


def _page(root: Path, name: str, *cells: str) -> Path:
    page = root / "chapters" / "09-test" / name
    page.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"```{{code-cell}} ipython3\n:tags: [hide-input]\n\n{c}\n```\n\ntext\n\n" for c in cells)
    page.write_text(HEAD + body, encoding="utf-8")
    return page


@pytest.fixture
def book(tmp_path):
    (tmp_path / "_toc.yml").write_text("root: index\n", encoding="utf-8")
    return tmp_path


def test_page_script_keeps_code_and_turns_magics_into_pass(book):
    page = _page(book, "01-a.md", "try:\n    import nothing_here\nexcept ImportError:\n    %pip install x\nx = 1",
                 "display(x)")
    script = fullrun.page_script(page)
    assert "    pass  # %pip install x" in script and "x = 1" in script and "display(x)" in script
    assert ":tags:" not in script
    compile(script, "page.py", "exec")  # plain Python


def test_run_pages_reports_each_outcome_and_keeps_verdicts(book, tmp_path):
    log_line = json.dumps({"id": "09-test/x", "status": "reproduced"})
    pages = [
        _page(book, "01-pass.md", f"import os\nopen(os.environ['DLTHEORY_CLAIMS_LOG'], 'a').write({log_line!r} + '\\n')",
              "import os, numpy\nos.makedirs(os.environ['DLTHEORY_RESULTS_DIR'])\n"
              "numpy.savez(os.environ['DLTHEORY_RESULTS_DIR'] + '/curve.npz', y=numpy.arange(3))"),
        _page(book, "02-claim.md", "class ClaimFailed(Exception): pass\nraise ClaimFailed('09-test/y')"),
        _page(book, "03-error.md", "1 / 0"),
        _page(book, "04-slow.md", "import time\ntime.sleep(60)"),
    ]
    work = tmp_path / "work"
    records = fullrun.run_pages(pages, work, mode="fast", parallel=2, limit=12, deadline=600)
    status = {Path(r["page"]).name: r["status"] for r in records}
    assert status == {"01-pass.md": "passed", "02-claim.md": "claim failed", "03-error.md": "error",
                      "04-slow.md": "timeout"}
    assert "ZeroDivisionError" in records[2]["log_tail"]
    env = {"date": "2026-12-04 21:00 UTC", "commit": "abcdef0123", "device": "cpu"}
    verdicts = fullrun._verdicts(work, book, pages)
    assert verdicts == [{"id": "09-test/x", "status": "reproduced", "page": "chapters/09-test/01-pass.md"}]
    folder = fullrun.write_bundle(tmp_path / "out", env, records, verdicts, work, {"mode": "fast"})
    assert folder.name == "2026-12-04-abcdef0"
    run = json.loads((folder / "run.json").read_text())
    assert [p["verdicts"] for p in run["pages"]] == [1, 0, 0, 0] and run["device"] == "cpu"
    assert (folder / "arrays" / "chapters__09-test__01-pass" / "curve.npz").is_file()
    assert len((folder / "claims.jsonl").read_text().splitlines()) == 1
    text = fullrun.table(run["pages"], {"chapters/09-test/01-pass.md": 3.0})
    assert text.splitlines()[-1] == "1 of 4 pages passed; 1 verdicts"


def test_no_page_starts_after_the_deadline(book, tmp_path):
    pages = [_page(book, "01-a.md", "import time\ntime.sleep(8)"), _page(book, "02-b.md", "x = 1"),
             _page(book, "03-c.md", "x = 1")]
    # page 1 has the whole deadline; page 2 would start with under MIN_START seconds left; page 3 with none
    records = fullrun.run_pages(pages, tmp_path / "w", mode="fast", parallel=1, limit=60,
                                deadline=fullrun.MIN_START + 5)
    assert [r["status"] for r in records] == ["passed", "not started", "not started"]
    records = fullrun.run_pages(pages[:1], tmp_path / "v", mode="fast", parallel=1, limit=60, deadline=3)
    assert records[0]["status"] == "not started"  # not even the first page starts with 3 s
    records = fullrun.run_pages(pages[:1], tmp_path / "u", mode="fast", parallel=1, limit=2, deadline=60)
    assert records[0]["status"] == "timeout"  # stopped at its limit


def test_bad_settings_are_refused(book, tmp_path):
    page = _page(book, "01-a.md", "x = 1")
    with pytest.raises(ValueError, match="parallel"):
        fullrun.run_pages([page], tmp_path, parallel=0)
    with pytest.raises(ValueError, match="mode"):
        fullrun.run_pages([page], tmp_path, mode="gpu")
    with pytest.raises(ValueError, match="--out"):
        fullrun._main(["--mode", "fast", str(page)])


def test_keep_arrays_writes_only_under_the_runner(tmp_path, monkeypatch):
    import numpy as np

    from dltheory import runtime

    monkeypatch.delenv("DLTHEORY_RESULTS_DIR", raising=False)
    assert runtime.keep_arrays("curve", y=[1, 2]) is None
    monkeypatch.setenv("DLTHEORY_RESULTS_DIR", str(tmp_path / "page"))
    path = runtime.keep_arrays("test-loss", steps=np.arange(3), loss=[0.5, 0.25, 0.125])
    assert np.load(path)["loss"].tolist() == [0.5, 0.25, 0.125]
    with pytest.raises(ValueError, match="name"):
        runtime.keep_arrays("../escape", y=[1])


def test_environment_records_the_matmul_precision_every_page_multiplies_at(monkeypatch):
    monkeypatch.setenv("DLTHEORY_MATMUL_PRECISION", "high")
    env = fullrun.environment(Path("."))
    assert env["matmul_precision"] == "high"
    assert {"date", "commit", "device", "jax", "jaxlib"} <= set(env)


def test_environment_names_the_commit_from_git_or_the_session(tmp_path, monkeypatch):
    monkeypatch.delenv("DLTHEORY_COMMIT", raising=False)
    env = fullrun.environment(tmp_path)  # a working tree without .git
    assert env["commit"] == "unknown" and env["dirty"] is None
    monkeypatch.setenv("DLTHEORY_COMMIT", "0123456789abcdef" * 3)
    assert fullrun.environment(tmp_path)["commit"] == ("0123456789abcdef" * 3)[:40]  # the full hash
