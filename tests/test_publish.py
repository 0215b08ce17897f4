"""What publishing the book needs: no error on a page, licences, citation, the deploy workflow, MathJax.

The quick tests check the files (LICENSE, LICENSE-text.md, CITATION.cff, the workflow) and the checks of
``dltheory.book.publish`` on planted defects. The ``book`` test builds a tiny Jupyter Book whose page
has the two defects a reader must never see, a traceback in place of a figure (matplotlib's mathtext
rejecting ``\\frac14`` while the inline backend draws, after the cell finished) and a warning printed to
stderr, and shows that the build fails and the check of the executed pages names both.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

import dltheory
from dltheory.book import publish

ROOT = Path(__file__).resolve().parents[1]
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------------
# no error on a published page


def _notebook(*outputs) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# A page"))
    nb.cells.append(nbformat.v4.new_code_cell("fig = plot.figure()\nx = 1", outputs=list(outputs)))
    return nb


_FINE = [
    nbformat.v4.new_output("stream", name="stdout", text="true α = 0.5\n"),
    nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480 with 1 Axes>"}),
    nbformat.v4.new_output("execute_result", data={"text/plain": "0.25"}, execution_count=1),
]


def test_output_problems_pass_a_clean_page():
    assert publish.output_problems(_notebook(*_FINE)) == []


def test_output_problems_catch_a_planted_traceback():
    # what the inline backend leaves when drawing a figure fails after the cell finished: the cell
    # succeeds, so the -W build went on; a print of the traceback and an error output
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="\n\\frac14\n     ^\nParseSyntaxException",
                                   traceback=["ValueError  Traceback (most recent call last)", "..."])
    printed = nbformat.v4.new_output("stream", name="stdout", text="Error in callback <function flush_figures> (for post_execute):\n")
    problems = publish.output_problems(_notebook(*_FINE, printed, error))
    assert len(problems) == 1 and problems[0].startswith("code cell 1 (fig = plot.figure()): ")
    assert "a Python error in the output: ValueError: \\frac14 ^ ParseSyntaxException" in problems[0]
    assert "a traceback printed in the output: Error in callback" in problems[0]
    # a traceback printed as plain text is caught too
    text = nbformat.v4.new_output("stream", name="stdout", text="Traceback (most recent call last):\n  File ...\n")
    assert "a traceback printed in the output" in publish.output_problems(_notebook(text))[0]


def test_output_problems_catch_a_planted_stderr_warning():
    warning = nbformat.v4.new_output("stream", name="stderr", text="/tmp/x.py:3: UserWarning: planted\n  warnings.warn(\n")
    problems = publish.output_problems(_notebook(*_FINE, warning, warning))
    assert problems == ["code cell 1 (fig = plot.figure()): text printed to stderr: /tmp/x.py:3: UserWarning: planted "
                        "(and 1 more like them)"]


def test_executed_problems_say_when_a_page_was_never_executed(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("---\nkernelspec:\n  name: python3\n  display_name: Python 3\n---\n# P\n", encoding="utf-8")
    assert "no execution cache" in publish.executed_problems(tmp_path / "none", {"page": page})["page"][0]


# ------------------------------------------------------------------------------------------------
# licences and citation


def test_licences():
    code = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert code.startswith("MIT License") and "Permission is hereby granted, free of charge" in code
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "MIT"$', pyproject, re.M), "pyproject.toml and LICENSE disagree"
    text = (ROOT / "LICENSE-text.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in text and "https://creativecommons.org/licenses/by/4.0/" in text
    for where in ("README.md", "book/intro.md"):
        page = (ROOT / where).read_text(encoding="utf-8")
        assert "CC BY 4.0" in page and "MIT" in page, f"{where} does not state the licences"


def _citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def test_citation_matches_the_library_and_the_config():
    cff, config = _citation(), _config()
    assert cff["version"] == dltheory.__version__ == cff["preferred-citation"]["version"]
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = None
    if tomllib is not None:
        assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"] == cff["version"]
    url = config["repository"]["url"]
    assert cff["repository-code"] == url == cff["preferred-citation"]["url"]
    assert cff["title"] == config["title"] == cff["preferred-citation"]["title"]
    assert [a["name"] for a in cff["authors"]] == [config["author"]]
    assert str(cff["preferred-citation"]["year"]) == str(config["copyright"])
    assert set(cff["license"]) == {"MIT", "CC-BY-4.0"}


def test_landing_page_says_how_to_cite():
    cff = _citation()
    intro = (ROOT / "book" / "intro.md").read_text(encoding="utf-8")
    line = re.search(r"\*\*How to cite:\*\*(.*?)(?:\n\n|$)", intro, re.S)
    assert line, "book/intro.md has no 'How to cite' line"
    cite = " ".join(line.group(1).split())
    for part in (cff["authors"][0]["name"], f"({cff['preferred-citation']['year']})", cff["title"],
                 f"version {cff['version']}", cff["repository-code"]):
        assert part in cite, f"the landing page's citation lacks {part!r}: {cite}"


def _schema_check(schema: str, *paths: Path) -> subprocess.CompletedProcess:
    assert CHECK_JSONSCHEMA.exists(), "check-jsonschema is missing: it is in the test extra (make test installs it)"
    return subprocess.run([str(CHECK_JSONSCHEMA), "--builtin-schema", schema, *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def test_citation_file_is_valid_cff(tmp_path):
    ok = _schema_check("vendor.citation-file-format", ROOT / "CITATION.cff")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "CITATION.cff"  # the checker can fail: a citation without authors
    cff = _citation()
    del cff["authors"]
    bad.write_text(yaml.safe_dump(cff), encoding="utf-8")
    assert _schema_check("vendor.citation-file-format", bad).returncode != 0


# ------------------------------------------------------------------------------------------------
# the deploy workflow


def _workflows() -> list[Path]:
    return sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def test_workflows_pass_the_linter(tmp_path):
    assert _workflows(), "no workflow in .github/workflows"
    ok = _schema_check("vendor.github-workflows", *_workflows())
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # the linter can fail: a job whose runs-on is misspelt, a step with both uses and run
    text = _workflows()[0].read_text(encoding="utf-8")
    (tmp_path / "typo.yml").write_text(text.replace("runs-on:", "runs_on:", 1), encoding="utf-8")
    (tmp_path / "step.yml").write_text(text.replace("        run: make test", "        run: make test\n        uses: actions/checkout@v4", 1), encoding="utf-8")
    for bad in ("typo.yml", "step.yml"):
        assert _schema_check("vendor.github-workflows", tmp_path / bad).returncode != 0, f"the linter accepted {bad}"


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", setup, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_readme_has_exactly_two_set_up_commands():
    assert _readme_commands() == ["make book", "make test"]


def test_readme_has_each_section_and_one_measured_time_once():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#+ .*$", readme, re.M)
    assert len(headings) == len(set(headings)), f"a section appears twice: {sorted(headings)}"
    assert readme.count("**Measured time**") == 1


def test_workflow_publishes_on_push_and_tests_pull_requests():
    (path,) = _workflows()
    flow = yaml.safe_load(path.read_text(encoding="utf-8"))
    on = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as True
    assert on["push"]["branches"] == ["main"] and "pull_request" in on
    jobs = flow["jobs"]
    runs = {name: [s["run"] for s in job.get("steps", []) if "run" in s] for name, job in jobs.items()}
    assert sorted(c for cs in runs.values() for c in cs) == sorted(_readme_commands()), \
        f"the workflow runs {runs}; it must run the README's commands and nothing else"
    uses = {name: [s["uses"].split("@")[0] for s in job.get("steps", []) if "uses" in s] for name, job in jobs.items()}
    (test,) = [n for n, cs in runs.items() if cs == ["make test"]]
    (build,) = [n for n, cs in runs.items() if cs == ["make book"]]
    (deploy,) = [n for n, us in uses.items() if "actions/deploy-pages" in us]
    assert "pull_request" in jobs[test]["if"] and "pull_request" in jobs[build]["if"]
    assert {"actions/configure-pages", "actions/upload-pages-artifact"} <= set(uses[build])
    upload = next(s for s in jobs[build]["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert jobs[deploy]["needs"] == build
    assert jobs[deploy]["permissions"] == {"pages": "write", "id-token": "write"}
    assert flow.get("env", {}).get("DLTHEORY_MODE", "fast") == "fast"


# ------------------------------------------------------------------------------------------------
# the PDF's macros


def test_latex_macros_define_every_mathjax_macro():
    macros = _config()["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    tex = publish.latex_macros(_config()["sphinx"]["config"]["mathjax3_config"])
    for name, body in macros.items():
        nargs = f"[{body[1]}]" if isinstance(body, list) else ""
        text = body[0] if isinstance(body, list) else body
        assert f"\\renewcommand{{\\{name}}}{nargs}{{{text}}}" in tex, name
    assert len(tex.splitlines()) == len(macros)


# ------------------------------------------------------------------------------------------------
# the build: a tiny book with a planted traceback and a planted warning

_PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A page

```{code-cell} ipython3
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([1, 2], [1, 4])
ax.set_xlabel(r"$\\frac14$ of the data");
```

```{code-cell} ipython3
import warnings
warnings.warn("planted warning")
```

```{code-cell} ipython3
print("fine")
```
"""


@pytest.mark.book
def test_a_page_with_a_traceback_or_a_warning_fails_the_build_and_the_check(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    config = _config()
    tiny = {"title": "tiny", "execute": config["execute"], "only_build_toc_files": True,
            "sphinx": {"extra_extensions": ["dltheory.book.publish"]}}
    (book / "_config.yml").write_text(yaml.safe_dump(tiny), encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: page\n", encoding="utf-8")
    (book / "index.md").write_text("# Tiny\n\nA formula, $x^2$.\n", encoding="utf-8")
    (book / "page.md").write_text(_PAGE, encoding="utf-8")
    env = dict(os.environ, DLTHEORY_PROGRESS="0", MPLBACKEND="module://matplotlib_inline.backend_inline")
    if (ROOT / "_build" / "mathjax").is_dir():
        env.setdefault("DLTHEORY_MATHJAX", str(ROOT / "_build" / "mathjax"))
    jb = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(jb) if jb.exists() else "jupyter-book", "build", str(book), "--warningiserror", "--keep-going"],
                          capture_output=True, text=True, env=env, cwd=book, timeout=600)
    log = proc.stdout + proc.stderr
    warnings = [ln for ln in log.splitlines() if "WARNING:" in ln]
    assert proc.returncode != 0, "the build passed with a traceback and a warning on a page:\n" + log[-3000:]
    assert any("Python traceback" in w and "ValueError" in w for w in warnings), "\n".join(warnings) or log[-3000:]
    assert any("stderr" in w for w in warnings), "\n".join(warnings) or log[-3000:]
    problems = publish.executed_problems(book / "_build" / ".jupyter_cache", {"page": book / "page.md"})
    assert list(problems) == ["page"], problems
    first, second = problems["page"]
    assert first.startswith("code cell 1 (import matplotlib.pyplot as plt): ") and "ValueError" in first and "frac14" in first
    assert second.startswith("code cell 2 (import warnings): text printed to stderr") and "UserWarning: planted warning" in second
    # the site was still written (--keep-going): it shows a traceback where the figure should be
    assert 'class="output traceback' in (book / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    shutil.rmtree(book / "_build", ignore_errors=True)
