"""The PDF (``make pdf``): Jupyter Book's LaTeX builder with xelatex, from the executed pages.

Built here for the smallest real part of the book, the warm-up course pack (``--chapters 00``: the
front pages, the worked page and the warm-up exercises), written *with* its solutions so that the PDF
build itself must leave them out. It starts from the book's execution cache (``make test`` builds the
book first), so no page is executed again. The PDF is then read back with pypdf: every page of the pack
is in it, with its figures, its theorems, its exercises without their solutions, and the bibliography.

TeX comes from Debian's packages (``make tex``, which ``make test`` runs as root with apt).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from dltheory.book import course, course_pages, notebooks

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.book


def _norm(text: str) -> str:
    text = re.sub(r"-\n(?=[a-z])", "", text)  # words hyphenated at a line end
    return " ".join(text.replace("’", "'").split()).lower()


@pytest.fixture(scope="module")
def warmup_pdf(tmp_path_factory):
    if not (shutil.which("xelatex") and shutil.which("latexmk")):
        pytest.fail("TeX is missing: `make tex` installs it (as root, from Debian's packages)")
    out = tmp_path_factory.mktemp("pdf") / "course"
    pack = course.write_pack("00", out, root=ROOT, show_solutions=True)
    cache = ROOT / "_build" / ".jupyter_cache"
    proc = course.build_pack(out, cache_from=cache if cache.is_dir() else None, builder="pdflatex", timeout=1800)
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log, encoding="utf-8")
    warnings = [ln for ln in log.splitlines() if ("WARNING:" in ln or "ERROR:" in ln) and "[IPKernelApp]" not in ln]
    pdf = out / "_build" / "latex" / "book.pdf"
    assert proc.returncode == 0 and not warnings and pdf.is_file(), "the PDF did not build:\n" + "\n".join(
        warnings[:30] or log.splitlines()[-60:])
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    text = _norm("\n".join(page.extract_text() or "" for page in reader.pages))
    return pack, reader, text


def _image_outputs(pack: course.CoursePack) -> int:
    """Images among the outputs of the pack's executed pages (from its execution cache), in cells a reader sees."""
    from jupyter_cache import get_cache

    cache = get_cache(str(pack.out / "_build" / ".jupyter_cache"))
    count = 0
    for doc in pack.docs:
        page = pack.out / f"{doc}.md"
        if not notebooks.is_notebook_page(page):
            continue
        nb = cache.get_cache_bundle(cache.match_cache_notebook(notebooks.read_page(page)).pk).nb
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if cell.cell_type == "code" and not tags & {"remove-output", "remove-cell"}:
                count += sum(1 for o in cell.get("outputs", []) if "image/png" in o.get("data", {}))
    return count


def test_pdf_has_every_page_and_every_figure(warmup_pdf):
    pack, reader, text = warmup_pdf
    assert len(reader.pages) >= len(pack.docs)
    for doc in pack.docs:
        title = course_pages.page_title(pack.out / f"{doc}.md")
        assert title and _norm(title) in text, f"{doc} ({title!r}) is not in the PDF"
    images = sum(len(page.images) for page in reader.pages)
    expected = _image_outputs(pack)
    assert expected > 0, "the warm-up pack's pages draw no figure: the test would check nothing"
    assert images >= expected, f"the PDF has {images} images; the executed pages show {expected} figures"


def test_pdf_has_theorems_exercises_without_solutions_and_the_bibliography(warmup_pdf):
    pack, _, text = warmup_pdf
    sources = {doc: (pack.out / f"{doc}.md").read_text(encoding="utf-8") for doc in pack.docs}
    theorems = [t for src in sources.values() for t in re.findall(r"^:{3,}\{prf:theorem\} *(.+)$", src, re.M)]
    assert theorems, "no theorem in the warm-up pack"
    for title in theorems:
        assert _norm(title) in text, f"theorem {title!r} is not in the PDF"

    exercises = "exercises/00-warm-up"
    n_exercises = len(re.findall(r"^```\{exercise-start\}", sources[exercises], re.M))
    assert n_exercises and all(f"exercise {k}" in text for k in range(1, n_exercises + 1))
    solutions = re.findall(r"```\{solution-start\}.*?```\{solution-end\}", sources[exercises], re.S)
    assert len(solutions) == n_exercises, "the pack was to keep its solutions in the page sources"
    for block in solutions:
        code = [ln for c in re.findall(r"```\{code-cell\}[^\n]*\n(.*?)```", block, re.S) for ln in c.splitlines()
                if len(ln.strip()) > 25 and not ln.lstrip().startswith(("#", ":"))]
        prose = [p for p in re.split(r"\n\s*\n", re.sub(r"```.*?```", "", block, flags=re.S)) if len(p.split()) > 8]
        for line in code[:3] + [" ".join(p.split()[:8]) for p in prose[:2]]:
            assert _norm(line) not in text, f"a solution is in the PDF: {line!r}"

    from pybtex.database import parse_file

    bib = parse_file(str(ROOT / "book" / "references.bib"))
    cited = {k.strip() for src in sources.values() for keys in re.findall(r"\{cite:\w+\}`([^`]+)`", src) for k in keys.split(",")}
    assert cited, "the warm-up pack cites nothing"
    for key in sorted(cited):  # an entry's title is printed only in the bibliography
        title = " ".join(re.sub(r"[{}\\]", "", bib.entries[key].fields["title"]).split()[:5])
        assert _norm(title) in text, f"{key} ({title!r}...) is not in the PDF's bibliography"
