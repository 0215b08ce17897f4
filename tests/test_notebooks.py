"""Notebook tooling: student versions of the exercises, pairing, page discovery."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from dltheory.book import budget, notebooks

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted((ROOT / "exercises").glob("[0-9]*.md"))


def test_pages_are_found_and_paired():
    pages = notebooks.notebook_pages(ROOT)
    assert all(notebooks.is_notebook_page(p) for p in pages)
    assert not notebooks.is_notebook_page(ROOT / "book" / "intro.md")  # prose page, no kernel
    assert all(notebooks.paired_notebook(p).suffix == ".ipynb" for p in pages)


def _compile_warnings(text: str, name: str) -> list[str]:
    """What compiling each code cell of a page says: warnings (an invalid escape such as "\\e" in a string that is
    not raw, a SyntaxWarning from Python 3.12 in a reader's notebook) and syntax errors."""
    problems = []
    for i, cell in enumerate(budget.code_cells(text)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                compile(budget.python_code([cell]), f"{name}, code cell {i + 1}", "exec",
                        flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)  # IPython runs a top-level await
            except (SyntaxError, Warning) as err:
                problems.append(f"{name}, code cell {i + 1}: {err}")
    return problems


def test_every_code_cell_compiles_without_a_warning():
    pages = sorted(set(notebooks.notebook_pages(ROOT)) | set(EXERCISES))
    problems = [p for page in pages for p in _compile_warnings(page.read_text(encoding="utf-8"), page.name)]
    assert problems == []


def test_the_compile_check_sees_an_invalid_escape():
    page = '```{code-cell} ipython3\ntitle = "pure decay $(1-\\eta\\lambda)^t$"\n```\n'
    assert "invalid escape sequence" in " ".join(_compile_warnings(page, "page"))
    assert _compile_warnings(page.replace('title = "', 'title = r"'), "page") == []


def test_repo_root_needs_a_toc(tmp_path):
    assert notebooks.repo_root(ROOT / "lib") == ROOT
    with pytest.raises(ValueError, match="_toc.yml"):
        notebooks.repo_root(tmp_path)


def test_sync_writes_a_stable_output_free_notebook(tmp_path):
    page = tmp_path / "page.md"
    page.write_text((ROOT / "exercises" / "00-warm-up.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert notebooks.sync([page]) == [page.with_suffix(".ipynb")]
    assert notebooks.sync([page]) == []  # a second sync changes nothing
    assert notebooks.out_of_sync([page]) == []
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert "out of sync" in notebooks.out_of_sync([page])[0]


@pytest.mark.parametrize("page", EXERCISES, ids=lambda p: p.name)
def test_student_version_has_no_solution_text(page):
    full = notebooks.read_page(page)
    student = notebooks.strip_solutions(full)
    text = "\n".join(c.source for c in student.cells)
    assert "solution-start" not in text and "solution-end" not in text
    assert len(student.cells) < len(full.cells)
    skeletons = [c for c in student.cells if "skeleton" in c.get("metadata", {}).get("tags", [])]
    assert skeletons and all("..." in c.source for c in skeletons)
    nbformat.validate(student)


@pytest.mark.notebooks
@pytest.mark.parametrize("page", EXERCISES, ids=lambda p: p.name)
def test_student_version_runs_until_the_first_check_and_fails_there(page):
    student = notebooks.strip_solutions(notebooks.read_page(page))
    client = NotebookClient(student, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(page.parent)}})
    with pytest.raises(CellExecutionError) as err:
        client.execute()
    assert err.value.ename == "NotAnswered", f"expected the first self-check to say NotAnswered, got {err.value.ename}"
    failed = next(i for i, c in enumerate(student.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", [])))
    skeleton = next(i for i, c in enumerate(student.cells) if "skeleton" in c.get("metadata", {}).get("tags", []))
    assert failed > skeleton, "the failing cell must come after the first skeleton"
    assert "check" in student.cells[failed].source


def test_strip_solutions_rejects_unclosed_gate():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("```{solution-start} ex\n```")])
    with pytest.raises(ValueError, match="not closed"):
        notebooks.strip_solutions(nb)


def test_run_prints_a_mark_for_every_verdict_status():
    from dltheory import claims

    assert set(notebooks.MARKS) == set(claims.STATUSES)
    assert len(set(notebooks.MARKS.values())) == len(notebooks.MARKS)


def test_run_page_runs_a_page_in_a_quiet_kernel(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    # the kernel's log said, on every page, that it talks over TCP unencrypted: nothing a reader can act on
    page = tmp_path / "tiny.md"
    page.write_text("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\nkernelspec:\n"
                    "  display_name: Python 3\n  language: python\n  name: python3\n---\n# A page\n\n"
                    "```{code-cell} ipython3\nprint(6 * 7)\n```\n")
    seconds, records = notebooks.run_page(page)
    assert seconds > 0 and records == []
    assert "WARNING" not in capfd.readouterr().err
