"""The whole book builds with warnings as errors, every page executes, and every claim holds.

Every kernel of this build runs with the network blocked (an IPython start-up file from
tests/no_network refuses any non-loopback connection), so a page that downloads anything fails here.

This is the expensive test: it executes every page in fast mode (results are cached in _build, so a
second run only re-executes changed pages). Chapter pages are executed here, once; the exercise
notebooks are executed by nbval (see pyproject.toml), so no page runs twice.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dltheory import claims

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    ipython_dir = tmp_path_factory.mktemp("ipython")
    shutil.copytree(ROOT / "tests" / "no_network", ipython_dir, dirs_exist_ok=True)
    env = dict(
        os.environ,
        DLTHEORY_STATIC="1",
        DLTHEORY_PROGRESS="0",
        XLA_PYTHON_CLIENT_PREALLOCATE="false",
        IPYTHONDIR=str(ipython_dir),
    )
    env.pop("DLTHEORY_SEED", None)
    env.pop("DLTHEORY_MODE", None)
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run(
        [str(jb), "build", str(ROOT), "--warningiserror", "--nitpick", "--keep-going"],
        env=env, capture_output=True, text=True, cwd=ROOT,
    )
    log = proc.stdout + proc.stderr
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "build.log").write_text(log, encoding="utf-8")
    return proc.returncode, log


_EXECUTING = re.compile(r"^(?P<page>\S+): (?P<state>Executing|Executed|Using cached) notebook")


def flagged_lines(log: str, context: int = 25) -> list[str]:
    """Each WARNING or ERROR line of a build log, reported so that it can be diagnosed from CI's output alone.

    A kernel's own log lines (a Jupyter kernel writes to the build's stderr) carry no page name, and the
    traceback that explains them follows on the next lines, so each report gives the notebook that was being
    executed (or had just finished: then the line came while its kernel shut down; or was read from the
    execution cache) and the indented lines that follow it. Lines after the read phase ("pickling environment")
    name no page.
    """
    lines = log.splitlines()
    page, state, reports = None, None, []
    for i, line in enumerate(lines):
        if match := _EXECUTING.match(line):
            page, state = match["page"], match["state"]
            continue
        if "pickling environment" in line:
            page = state = None
        if "WARNING:" not in line and "ERROR:" not in line:
            continue
        where = {None: "", "Executing": f"    [while executing {page}]",
                 "Executed": f"    [after {page} was executed: its kernel's shutdown]",
                 "Using cached": f"    [after {page} was read from the execution cache]"}[state]
        tail = []
        for follow in lines[i + 1:i + 1 + context]:
            if not (follow.startswith((" ", "\t", "Traceback")) or re.match(r"^[\w.]+(Error|Exception)\b", follow)):
                break
            tail.append(follow)
        reports.append("\n".join([line + where, *tail]))
    return reports


def test_flagged_lines_name_the_page_and_keep_the_traceback():
    log = "\n".join([
        "/b/a.md: Executing notebook using local CWD [mystnb]",
        "/b/a.md: Executed notebook in 3.1 seconds [mystnb]",
        "ERROR:tornado.general:Uncaught exception in ZMQStream callback",
        "Traceback (most recent call last):",
        '  File "zmqstream.py", line 1, in _run_callback',
        "zmq.error.ZMQError: not a socket",
        "/b/b.md: Executing notebook using local CWD [mystnb]",
        "/b/b.md:12: WARNING: undefined label",
        "reading sources... [ 50%] b",
        "/b/c.md: Using cached notebook: ID=3 [mystnb]",
        "/b/c.md:4: WARNING: duplicate label",
        "pickling environment... done",
        "/b/d.md:9: WARNING: undefined reference",
    ])
    first, second, third, fourth = flagged_lines(log)
    assert first.splitlines()[0].endswith("[after /b/a.md was executed: its kernel's shutdown]")
    assert first.splitlines()[-1] == "zmq.error.ZMQError: not a socket"
    assert second == "/b/b.md:12: WARNING: undefined label    [while executing /b/b.md]"
    assert third.endswith("[after /b/c.md was read from the execution cache]")
    assert fourth == "/b/d.md:9: WARNING: undefined reference"
    assert flagged_lines("reading sources... [100%] c\nbuild succeeded.") == []


def test_build_succeeds_without_warnings(build):
    code, log = build
    warnings = flagged_lines(log)
    assert code == 0 and not warnings, "book build failed:\n" + "\n".join(warnings[:20] or log.splitlines()[-40:])


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.chunks = []

    def handle_data(self, data):
        self.chunks.append(data)


def _text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join(parser.chunks)


def test_ledger_lists_every_claim_as_reproduced(build):
    assert build[0] == 0
    text = _text(HTML / "book" / "claims.html")
    assert "not checked in this build" not in text
    assert "✘ failed" not in text
    registry = claims.registry()
    # the book is built in fast mode: a claim registered not reproduced in fast mode only counts as such here
    assert text.count("✔ reproduced") == sum(c.reproduces_in("fast") and not c.derivation and not c.not_a_test
                                             for c in registry.values())
    # registered "not a test" (its null meets the bar): never counted as reproduced
    assert text.count("○ not a test: its null meets the bar") == sum(c.not_a_test for c in registry.values())
    assert text.count("◐ does not reproduce here") == sum(not c.reproduces_in("fast") for c in registry.values())
    assert text.count("= derived") == sum(c.derivation for c in registry.values())  # never counted as reproduced
    # every null a reproduction names is measured on its page, and no reproduction lacks both null and reason
    assert "named, not measured yet" not in text
    assert "none yet" not in text
    assert "Full mode (GPU)" in text  # the newest committed GPU run, or "no GPU verdict yet" (issue 22)
    for cid in claims.registry():
        assert cid in text


def test_every_notebook_page_was_rendered_with_a_colab_launch(build):
    from dltheory.book import notebooks

    assert build[0] == 0
    for page in notebooks.notebook_pages(ROOT):
        rel = page.relative_to(ROOT).with_suffix("")
        html = HTML / rel.with_suffix(".html")
        assert html.exists(), f"{rel} was not built"
        source = html.read_text(encoding="utf-8")
        links = re.findall(r'href="(https://colab\.research\.google\.com/github/[^"]+)"', source)
        assert links, f"{rel} has no Colab launch button"
        target = links[0].split("/blob/main/", 1)[1]
        assert target == f"{rel}.ipynb" and (ROOT / target).exists(), f"Colab opens {target}, which is not in the repository"
        download = re.findall(r'href="([^"]+\.ipynb)"[^>]*\n?\s*class="btn btn-sm btn-download-notebook-button', source)
        assert download and (html.parent / download[0]).resolve().exists(), f"{rel} offers no .ipynb download"


def test_no_published_page_shows_an_error_or_stderr(build):
    """Every executed page, as its outputs are kept in the execution cache: no error or traceback (not even
    one raised after the cell finished, which the -W build does not stop on) and nothing printed to stderr."""
    from dltheory.book import notebooks, publish

    pages = {}
    for page in notebooks.notebook_pages(ROOT):
        rel = page.relative_to(ROOT).with_suffix("")
        if (HTML / rel.with_suffix(".html")).exists():
            pages[rel.as_posix()] = page
    assert pages, "no notebook page was built"
    problems = publish.executed_problems(ROOT / "_build" / ".jupyter_cache", pages)
    assert not problems, f"{len(problems)} of {len(pages)} pages show a reader what they must not:\n" + "\n".join(
        f"{page}:\n  " + "\n  ".join(lines) for page, lines in problems.items())
