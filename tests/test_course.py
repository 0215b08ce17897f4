"""Course packs (``python -m dltheory.book.course``): what they hold, and that they build as they are.

The quick tests write packs and inspect them; the ``book`` tests build the packs they write with
jupyter-book, warnings as errors: the warm-up alone (``--chapters 00``) and one chapter that exists
(the chapter in git with the fewest pages, or ``DLTHEORY_COURSE_CHAPTER``). They start from the book's
execution cache when the book was built before (``make test`` builds it first), so pages the book has
already executed are not executed again.
"""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from dltheory.book import course, course_pages, notebooks

ROOT = Path(__file__).resolve().parents[1]


def _solution_code(page: Path) -> list[str]:
    """The code of the gated solution cells of an exercise page (cells the student version drops)."""
    full = notebooks.read_page(page)
    kept = {c.source for c in notebooks.strip_solutions(full).cells}
    return [c.source.strip() for c in full.cells if c.cell_type == "code" and c.source not in kept and c.source.strip()]


def _existing_chapter() -> str:
    if os.environ.get("DLTHEORY_COURSE_CHAPTER"):
        return os.environ["DLTHEORY_COURSE_CHAPTER"]
    try:
        tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "chapters"], capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        tracked = [p.relative_to(ROOT).as_posix() for p in (ROOT / "chapters").rglob("*.md")]
    pages: dict[str, int] = {}
    for p in tracked:
        parts = p.split("/")
        if p.endswith(".md") and len(parts) == 3:
            pages[parts[1][:2]] = pages.get(parts[1][:2], 0) + 1
    if not pages:
        pytest.skip("no chapter is written yet")
    return min(sorted(pages), key=pages.get)  # the smallest chapter: the build executes its pages


# ------------------------------------------------------------------------------------------------
# quick tests


def test_parse_chapters():
    assert course_pages.parse_chapters("03,05") == ["03", "05"]
    assert course_pages.parse_chapters(" 3, 5,3 ") == ["03", "05"]
    for bad in ("", "three", "03,x", "100", "-1"):
        with pytest.raises(ValueError, match="chapter"):
            course_pages.parse_chapters(bad)


def test_unknown_chapter_is_refused_with_the_list_of_chapters(tmp_path):
    with pytest.raises(ValueError, match=r"chapter 99 has neither chapters/99-\*/ nor exercises/99-\*\.md.*00"):
        course.write_pack("99", tmp_path / "pack", root=ROOT)
    assert not (tmp_path / "pack").exists()


def test_rewrite_links_keeps_links_inside_and_flattens_links_outside():
    text = (
        "See {doc}`how-to-read` and {doc}`Scaling <../chapters/01-scaling-laws/index>`, "
        "{ref}`the ledger <claims-ledger>`, {prf:ref}`thm-here`, {numref}`fig-away`, "
        "[a page](notation.md#symbols) and [gone](../chapters/01-scaling-laws/01-x.md) "
        "and [the web](https://example.org/a.md).\n"
        "```{code-cell} ipython3\nx = '{doc}`../chapters/01-scaling-laws/index`'\n```\n"
    )
    docs = {"book/how-to-read", "book/notation", "book/intro"}
    out, changed = course_pages.rewrite_links(text, "book/intro", docs, {"thm-here"}, {"fig-away": "A figure"})
    assert "{doc}`how-to-read`" in out and "{prf:ref}`thm-here`" in out and "[a page](notation.md#symbols)" in out
    assert "Scaling," in out and "the ledger," in out and "A figure," in out and "and gone and" in out
    assert "[the web](https://example.org/a.md)" in out
    assert "x = '{doc}`../chapters/01-scaling-laws/index`'" in out  # code is never touched
    assert len(changed) == 4


def test_hide_solutions_keeps_the_solution_code_running_but_hidden():
    page = ROOT / "exercises" / "00-warm-up.md"
    text = page.read_text(encoding="utf-8")
    hidden = course_pages.hide_solutions(text)
    assert "solution-start" not in hidden and "solution-end" not in hidden
    assert hidden.count("remove-cell") == text.count("{solution-start}") == len(_solution_code(page))
    for code in _solution_code(page):
        assert code in hidden
    with pytest.raises(ValueError, match="not closed"):
        course_pages.hide_solutions("```{solution-start} ex\n```\n")


@pytest.fixture(scope="module")
def warmup_pack(tmp_path_factory) -> course.CoursePack:
    return course.write_pack("00", tmp_path_factory.mktemp("pack") / "course", root=ROOT)


def test_pack_has_config_toc_and_only_pages_it_holds(warmup_pack):
    out = warmup_pack.out
    config = yaml.safe_load((out / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((out / "_toc.yml").read_text(encoding="utf-8"))
    assert config["bibtex_bibfiles"] == ["book/references.bib"] and (out / "book" / "references.bib").exists()
    assert (out / "book" / "_static" / "book.css").exists()
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert "exercises/00-warm-up" in files and "book/how-to-read" in files and "book/claims" not in files
    for f in files:
        assert (out / f"{f}.md").is_file(), f"the toc names {f}, which the pack does not hold"
    # every cross-reference left in the pack resolves inside it
    labels = set()
    for f in files:
        labels |= course_pages.labels((out / f"{f}.md").read_text(encoding="utf-8"))
    for f in files:
        _, changed = course_pages.rewrite_links((out / f"{f}.md").read_text(encoding="utf-8"), f, set(files), labels, {})
        assert not changed, f"{f} still links outside the pack: {changed}"
    assert any("claims" in line for line in warmup_pack.unlinked)


def test_student_notebooks_have_no_solutions_and_instructor_notebooks_do(warmup_pack):
    out = warmup_pack.out
    solutions = _solution_code(ROOT / "exercises" / "00-warm-up.md")
    assert solutions
    student = nbformat.read(out / "student" / "exercises" / "00-warm-up.ipynb", as_version=4)
    instructor = nbformat.read(out / "instructor" / "exercises" / "00-warm-up.ipynb", as_version=4)
    student_code = "\n".join(c.source for c in student.cells)
    instructor_code = "\n".join(c.source for c in instructor.cells)
    assert "solution-start" not in student_code
    assert not [s for s in solutions if s in student_code]
    assert all(s in instructor_code for s in solutions)
    assert any("skeleton" in c.metadata.get("tags", []) and "..." in c.source for c in student.cells)
    assert not any(c.get("outputs") for c in student.cells + instructor.cells)
    nbformat.validate(student)
    nbformat.validate(instructor)
    # the pack's own paired notebook (what its Colab button opens) is the student version
    assert nbformat.read(out / "exercises" / "00-warm-up.ipynb", as_version=4).cells == student.cells
    assert (out / "student" / "book" / "how-to-read.ipynb").exists()


def test_zip_for_the_lms_holds_the_student_notebooks_only(warmup_pack):
    assert warmup_pack.zip_path.name == "course-00-student.zip"
    with zipfile.ZipFile(warmup_pack.zip_path) as zf:
        names = zf.namelist()
        assert "course-00/exercises/00-warm-up.ipynb" in names and "course-00/README.md" in names
        assert not [n for n in names if "instructor" in n]
        text = zf.read("course-00/exercises/00-warm-up.ipynb").decode()
    for code in _solution_code(ROOT / "exercises" / "00-warm-up.md"):
        assert json.dumps(code)[1:-1] not in text


def test_out_folder_is_never_clobbered(tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not a course pack"):
        course.write_pack("00", other, root=ROOT)
    assert (other / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(ValueError, match="book's root"):
        course.write_pack("00", ROOT, root=ROOT)
    # a previous pack is replaced, its _build (the execution cache) kept
    pack = tmp_path / "pack"
    course.write_pack("00", pack, root=ROOT)
    (pack / "_build").mkdir()
    (pack / "stale.md").write_text("old", encoding="utf-8")
    course.write_pack("00", pack, root=ROOT)
    assert (pack / "_build").is_dir() and not (pack / "stale.md").exists()


def test_command_line(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "dltheory.book.course", *a], capture_output=True, text=True, cwd=ROOT)  # noqa: E731
    ok = run("--chapters", "00", "--out", str(tmp_path / "c"))
    assert ok.returncode == 0, ok.stderr
    assert "course-00-student.zip" in ok.stdout
    bad = run("--chapters", "98", "--out", str(tmp_path / "d"))
    assert bad.returncode == 2 and "chapter 98" in bad.stderr


# ------------------------------------------------------------------------------------------------
# building the packs


def _html_text(path: Path) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", "", text)))


def _build(chapters: str, out: Path) -> course.CoursePack:
    pack = course.write_pack(chapters, out, root=ROOT)
    cache = ROOT / "_build" / ".jupyter_cache"
    proc = course.build_pack(pack.out, cache_from=cache if cache.is_dir() else None, timeout=3000)
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log, encoding="utf-8")
    warnings = [line for line in log.splitlines() if ("WARNING:" in line or "ERROR:" in line) and "[IPKernelApp]" not in line]
    assert proc.returncode == 0 and not warnings, f"the pack of chapters {chapters} does not build:\n" + "\n".join(warnings[:30] or log.splitlines()[-40:])
    for doc in pack.docs:
        assert (out / "_build" / "html" / f"{doc}.html").exists(), f"{doc} was not built"
    return pack


@pytest.mark.book
def test_warm_up_pack_builds_and_hides_the_solutions(tmp_path_factory):
    """Through the command line, as an instructor would: --build writes, builds and zips the site too."""
    out = tmp_path_factory.mktemp("build00") / "course"
    proc = subprocess.run([sys.executable, "-m", "dltheory.book.course", "--chapters", "00", "--out", str(out), "--build"],
                          capture_output=True, text=True, cwd=ROOT, timeout=3000)
    log = proc.stdout + proc.stderr
    warnings = [line for line in log.splitlines() if ("WARNING:" in line or "ERROR:" in line) and "[IPKernelApp]" not in line]
    assert proc.returncode == 0 and not warnings, "the warm-up pack does not build:\n" + "\n".join(warnings[:30] or log.splitlines()[-40:])
    with zipfile.ZipFile(out / "course-00-student.zip") as zf:
        names = zf.namelist()
    assert "course-00/site/index.html" in names and "course-00/site/exercises/00-warm-up.html" in names
    page = _html_text(out / "_build" / "html" / "exercises" / "00-warm-up.html")
    checks = len(re.findall(r"^\w+\.check_\w+\(", (ROOT / "exercises" / "00-warm-up.md").read_text(encoding="utf-8"), re.M))
    assert checks and page.count("✔ Correct.") == checks, "the hidden solutions did not run: not every self-check passed"
    solutions = _solution_code(ROOT / "exercises" / "00-warm-up.md")
    leaked = [s for s in solutions if re.sub(r"\s+", " ", s) in page]
    assert not leaked, f"solution code shown on the pack's website: {leaked}"
    assert not (out / "_build" / "html" / "_sources").exists(), "the page sources (with solutions) were published"


@pytest.mark.book
def test_a_chapter_pack_builds(tmp_path_factory):
    number = _existing_chapter()
    out = tmp_path_factory.mktemp(f"build{number}") / "course"
    pack = _build(number, out)
    (chapter,) = pack.chapters
    assert chapter.folder is not None
    for page in chapter.pages():
        rel = page.relative_to(ROOT).with_suffix("")
        assert (out / "_build" / "html" / f"{rel.as_posix()}.html").exists()
        if notebooks.is_notebook_page(page):
            assert (out / "student" / f"{rel.as_posix()}.ipynb").exists()
            assert (out / "instructor" / f"{rel.as_posix()}.ipynb").exists()
