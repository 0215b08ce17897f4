"""Course packs for instructors: a subset of the book's chapters as a Jupyter Book of its own.

``python -m dltheory.book.course --chapters 03,05 --out course/`` writes, into ``course/``:

* ``_config.yml`` and ``_toc.yml``: a Jupyter Book of the chosen chapters, their exercises and the
  front pages they rely on (introduction, how to use and read the book, notation, execution report,
  bibliography), plus a page about the pack itself (``book/course.md``). It builds as is, with
  warnings as errors: ``jupyter-book build course/ -W --nitpick``. Cross-references to pages and
  labels that are not in the pack (other chapters, the claims ledger) become plain text, so the pack
  never carries a broken link. Solutions are hidden on the pack's website (``--show-solutions`` keeps
  them) and still executed, so every self-check runs when the pack is built.
* ``student/``: the student notebooks (``.ipynb``, no outputs): every section page of the chosen
  chapters, the worked page, and the exercise notebooks with their solution blocks removed (their
  self-checks stop with ``NotAnswered`` until the student answers). The pack's own
  ``exercises/NN-*.ipynb`` (what its Colab button opens) are these student versions too.
* ``instructor/``: the same notebooks with every solution.
* ``<name>-student.zip``: ``student/`` and a README, ready to upload to a learning-management
  system (with ``--build``, the built website is added under ``site/``).

Chapter ``NN`` means the folder ``chapters/NN-*/`` and the exercise page ``exercises/NN-*.md``;
either may be missing (``00`` is the warm-up, which has exercises only). Described in
``book/instructors.md``.
"""

from __future__ import annotations

import argparse
import copy
import datetime as _dt
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dltheory.book.course_pages import (Chapter, find_chapters, hide_solutions, label_titles, labels, page_title,
                                        parse_chapters, rewrite_links)

__all__ = ["Chapter", "CoursePack", "find_chapters", "parse_chapters", "rewrite_links", "hide_solutions", "write_pack", "build_pack"]

MARKER = ".dltheory-course"
# Front pages of the book that a pack carries (when they exist). The claims ledger is not among them:
# it lists every claim of the book, and a pack checks only its own chapters' claims.
FRONT_PAGES = ("book/intro", "book/how-to-use", "book/how-to-read", "book/notation")
BACK_PAGES = ("book/execution", "book/bibliography")
_SKIP = {"_build", ".ipynb_checkpoints", "__pycache__", ".jupyter_cache"}


@dataclass
class CoursePack:
    """What :func:`write_pack` wrote (paths inside ``out``)."""

    out: Path
    chapters: list[Chapter]
    docs: list[str]
    student: list[Path] = field(default_factory=list)
    instructor: list[Path] = field(default_factory=list)
    zip_path: Path | None = None
    unlinked: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# writing the pack


def _yaml() -> Any:
    import yaml

    return yaml


def _book_titles(root: Path) -> tuple[dict[str, str], set[str]]:
    titles: dict[str, str] = {}
    all_labels: set[str] = set()
    for folder in ("book", "chapters", "exercises"):
        for path in sorted((root / folder).rglob("*.md")):
            if _SKIP.intersection(path.relative_to(root).parts):
                continue
            text = path.read_text(encoding="utf-8")
            name = path.relative_to(root).with_suffix("").as_posix()
            titles[name] = page_title(path) or path.stem
            titles.update(label_titles(text))
            all_labels |= labels(text)
    return titles, all_labels


def _copy_tree(src: Path, dst: Path) -> None:
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if _SKIP.intersection(rel.parts) or not path.is_file():
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dst / rel)


def _prepare_out(out: Path) -> None:
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"out: {out} exists and is not a folder")
        entries = [p for p in out.iterdir() if p.name != "_build"]
        if entries and not (out / MARKER).exists():
            raise ValueError(f"out: {out} is not empty and is not a course pack; choose an empty or new folder")
        for p in entries:  # a previous pack: replace it, but keep its _build (execution cache)
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by python -m dltheory.book.course; the folder is replaced on the next run\n", encoding="utf-8")


def _course_page(chapters: list[Chapter], repo_url: str, commit: str, show_solutions: bool) -> str:
    listing = "\n".join(
        f"* chapter {c.number}: "
        + (f"{{doc}}`../{c.pages()[0].relative_to(c.folder.parents[1]).with_suffix('').as_posix()}`" if c.pages() else c.title)
        + (f", exercises {{doc}}`../{c.exercises.relative_to(c.exercises.parents[1]).with_suffix('').as_posix()}`" if c.exercises else "")
        for c in chapters
    )
    solutions = ("shown in drop-downs" if show_solutions else
                 "hidden (they are executed when the pack is built, so every self-check has run)")
    return f"""(course-pack)=
# About this course pack

This website is a course pack of *Five Puzzles of Deep Learning, from Theory to Code*, written on
{_dt.date.today().isoformat()} from commit `{commit}` of {repo_url} by
`python -m dltheory.book.course`. It holds:

{listing}

Exercise solutions on this website are {solutions}. Links to parts of the book that are not in this
pack are plain text.

## Files for the course

| path in the pack | what |
|---|---|
| `student/` | the student notebooks: every page of the pack, exercise solutions removed; a self-check stops with `NotAnswered` until its exercise is answered |
| `instructor/` | the same notebooks with every solution |
| `*-student.zip` | `student/` and a README, ready to upload to a learning-management system |
| `exercises/*.ipynb` | the student versions again: the notebooks that this website's Colab button opens, once the pack is in a repository of your own |

## Building it

```bash
pip install "jupyter-book>=1.0.4.post1,<2" sphinx-proof sphinx-exercise sphinxcontrib-bibtex \\
    "dltheory @ git+{repo_url}"
DLTHEORY_STATIC=1 jupyter-book build . -W --nitpick --keep-going
```
"""


def write_pack(
    chapters: str | list[str],
    out: Path,
    *,
    root: Path | None = None,
    repository_url: str | None = None,
    show_solutions: bool = False,
    name: str | None = None,
) -> CoursePack:
    """Write a course pack of ``chapters`` (``"03,05"`` or ``["03", "05"]``) into ``out``. See the module doc."""
    import nbformat

    from dltheory import saved
    from dltheory.book import notebooks

    root = Path(root) if root else notebooks.repo_root()
    numbers = parse_chapters(chapters if isinstance(chapters, str) else ",".join(chapters))
    found = find_chapters(root, numbers)
    out = Path(out).resolve()
    if out == root.resolve() or out in root.resolve().parents:
        raise ValueError("out must be a folder of its own, not the book's root or a folder above it")
    _prepare_out(out)

    yaml = _yaml()
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    repo_url = repository_url or config.get("repository", {}).get("url", "")

    # 1. the pages, in table-of-contents order
    front = [d for d in FRONT_PAGES if (root / f"{d}.md").is_file()]
    back = [d for d in BACK_PAGES if (root / f"{d}.md").is_file()]
    chapter_docs = [[p.relative_to(root).with_suffix("").as_posix() for p in c.pages()] for c in found]
    exercise_docs = [c.exercises.relative_to(root).with_suffix("").as_posix() for c in found if c.exercises]
    docs = front + [d for ds in chapter_docs for d in ds] + exercise_docs + ["book/course"] + back

    for d in front + back:
        (out / d).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / f"{d}.md", out / f"{d}.md")
        if notebooks.paired_notebook(root / f"{d}.md").exists():
            shutil.copy2(notebooks.paired_notebook(root / f"{d}.md"), out / f"{d}.ipynb")
    for c in found:
        if c.folder is not None:
            _copy_tree(c.folder, out / c.folder.relative_to(root))
        if c.exercises is not None:
            (out / "exercises").mkdir(exist_ok=True)
            shutil.copy2(c.exercises, out / c.exercises.relative_to(root))
    for extra in ("book/references.bib", "book/_static"):
        src = root / extra
        if src.is_dir():
            _copy_tree(src, out / extra)
        elif src.is_file():
            shutil.copy2(src, out / extra)
    commit = saved.commit_id(root=root) or "unknown"
    (out / "book" / "course.md").write_text(_course_page(found, repo_url, commit, show_solutions), encoding="utf-8")

    # 2. cross-references that leave the pack become plain text
    titles, _ = _book_titles(root)
    pack_labels: set[str] = set()
    for d in docs:
        pack_labels |= labels((out / f"{d}.md").read_text(encoding="utf-8"))
    unlinked: list[str] = []
    for d in docs:
        path = out / f"{d}.md"
        text, changed = rewrite_links(path.read_text(encoding="utf-8"), d, set(docs), pack_labels, titles)
        path.write_text(text, encoding="utf-8")
        unlinked += changed

    # 3. configuration
    names = ["the warm-up" if n == "00" else f"chapter {int(n)}" for n in numbers]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    config["title"] = f"{config.get('title', 'Course pack')}: {listed}"
    config.setdefault("repository", {})["url"] = repo_url
    config["exclude_patterns"] = list(config.get("exclude_patterns", [])) + ["student", "instructor", "*.zip", MARKER]
    sphinx_config = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx_config["dltheory_ledger_require_all"] = False  # the pack has no ledger
    if not show_solutions:
        # The page sources and the executed notebooks that the download button offers hold the
        # solutions: publish neither. (jupyter-book 1 does not pass html.use_download_button on to
        # the theme, hence the theme option, merged into jupyter-book's own with recursive_update.)
        sphinx_config["html_copy_source"] = False
        sphinx_config.setdefault("html_theme_options", {})["use_download_button"] = False
        config["sphinx"]["recursive_update"] = True
    html = config.setdefault("html", {})
    html["use_download_button"] = bool(show_solutions)
    html["extra_footer"] = (
        "A course pack of Five Puzzles of Deep Learning, from Theory to Code. Every figure is the output "
        "of the code beside it, and every claim was checked when this pack was built."
    )
    (out / "_config.yml").write_text("# Written by python -m dltheory.book.course from the book's _config.yml.\n"
                                     + yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")

    parts: list[dict[str, Any]] = [{"caption": "Before you start", "chapters": [{"file": d} for d in front[1:]]}]
    puzzle: list[dict[str, Any]] = []
    for ds in chapter_docs:
        if not ds:
            continue
        if ds[0].endswith("/index"):
            entry: dict[str, Any] = {"file": ds[0]}
            if ds[1:]:
                entry["sections"] = [{"file": d} for d in ds[1:]]
            puzzle.append(entry)
        else:  # a chapter without its index page yet: its sections stand on their own
            puzzle += [{"file": d} for d in ds]
    if puzzle:
        # Not numbered: the pack's chapters keep the book's numbers in their titles ("Chapter 3 · ...").
        parts.append({"caption": "Chapters", "chapters": puzzle})
    if exercise_docs:
        parts.append({"caption": "Exercises", "chapters": [{"file": d} for d in exercise_docs]})
    parts.append({"caption": "Reference", "chapters": [{"file": d} for d in ["book/course"] + back]})
    parts = [p for p in parts if p["chapters"]]
    toc = {"format": "jb-book", "root": front[0] if front else "book/course", "parts": parts}
    if not front:
        toc["parts"][-1]["chapters"] = [c for c in toc["parts"][-1]["chapters"] if c["file"] != "book/course"]
    (out / "_toc.yml").write_text("# Written by python -m dltheory.book.course.\n" + yaml.safe_dump(toc, sort_keys=False), encoding="utf-8")

    # 4. student and instructor notebooks (same layout as the pack's pages)
    pack = CoursePack(out=out, chapters=found, docs=docs, unlinked=unlinked)
    for d in docs:
        page = out / f"{d}.md"
        if not notebooks.is_notebook_page(page):
            continue
        full = notebooks.read_page(page)
        if not show_solutions and d in exercise_docs:
            page.write_text(hide_solutions(page.read_text(encoding="utf-8")), encoding="utf-8")
        student = notebooks.strip_solutions(full)
        instructor = notebooks.clean(full)  # outputs stripped, stable cell ids, solutions kept
        for nb, kind, bucket in ((student, "student", pack.student), (instructor, "instructor", pack.instructor)):
            target = out / kind / f"{d}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            nb = copy.deepcopy(nb)
            nb.metadata["colab"] = {"provenance": []}
            nb.metadata.pop("jupytext", None)
            nbformat.write(nb, target)
            bucket.append(target)
        # the pack's paired notebook (what its launch buttons open) is the student version
        nbformat.write(student, page.with_suffix(".ipynb"))
    for c in found:  # data files next to the pages travel with the notebooks
        if c.folder is not None:
            for path in c.folder.rglob("*"):
                rel = path.relative_to(root)
                if path.is_file() and path.suffix not in (".md", ".ipynb") and not _SKIP.intersection(rel.parts):
                    for kind in ("student", "instructor"):
                        (out / kind / rel).parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(path, out / kind / rel)

    # 5. the zip for a learning-management system
    name = name or "course-" + "-".join(numbers)
    (out / "student" / "README.md").write_text(
        f"# {config['title']}\n\nNotebooks for students. Open any of them in Colab (File > Upload notebook) or in "
        "Jupyter. Run the first cell first: it installs the book's library if it is missing.\nEach exercise ends "
        "with a check cell: it says `NotAnswered` until you replace the `...` placeholders, and then tells you "
        "whether your answer is right and, if not, why.\n", encoding="utf-8")
    pack.zip_path = out / f"{name}-student.zip"
    _zip(out / "student", pack.zip_path, prefix=name)
    return pack


def _zip(folder: Path, target: Path, *, prefix: str, extra: Path | None = None, extra_prefix: str = "site") -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, f"{prefix}/{path.relative_to(folder).as_posix()}")
        if extra is not None:
            for path in sorted(extra.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{prefix}/{extra_prefix}/{path.relative_to(extra).as_posix()}")


def build_pack(out: Path, *, strict: bool = True, timeout: float | None = None,
               cache_from: Path | None = None, builder: str = "html") -> subprocess.CompletedProcess:
    """Build the pack's website into ``out/_build/html`` (static explorers; with ``strict``, ``-W --nitpick``),
    or with ``builder="pdflatex"`` its PDF into ``out/_build/latex/book.pdf`` (needs TeX: ``make tex``).

    ``cache_from``: an execution cache (the book's ``_build/.jupyter_cache``) to start from when the pack
    has none yet. jupyter-cache matches notebooks by the hash of their code, so pages that the book has
    already executed are not executed again. The book's copy of MathJax (``_build/mathjax`` beside that
    cache) serves the pack's website too, when it is there.
    """
    out = Path(out)
    cache = out / "_build" / ".jupyter_cache"
    if cache_from is not None and Path(cache_from).is_dir() and not cache.exists():
        cache.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(cache_from, cache)
    env = dict(os.environ, DLTHEORY_STATIC="1", DLTHEORY_PROGRESS="0", XLA_PYTHON_CLIENT_PREALLOCATE="false")
    if cache_from is not None and (Path(cache_from).parent / "mathjax").is_dir():
        env.setdefault("DLTHEORY_MATHJAX", str(Path(cache_from).parent / "mathjax"))
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(out), "--builder", builder]
    if builder == "pdflatex":
        # TeX must never wait for an answer on a terminal; a stale LaTeX folder is rebuilt from scratch
        env.setdefault("LATEXOPTS", "-interaction=nonstopmode -halt-on-error")
        shutil.rmtree(out / "_build" / "latex", ignore_errors=True)
    if strict:
        cmd += ["--warningiserror", "--nitpick", "--keep-going"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=out, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def notebooks_root() -> Path:
    from dltheory.book import notebooks

    return notebooks.repo_root()


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dltheory.book.course", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", required=True, help="chapter numbers, comma-separated: 03,05 (00 = the warm-up)")
    parser.add_argument("--out", required=True, type=Path, help="the folder to write (new, empty, or a previous pack)")
    parser.add_argument("--repository-url", default=None,
                        help="the repository that will host the pack (its Colab buttons point there); default: the book's")
    parser.add_argument("--show-solutions", action="store_true", help="show exercise solutions on the pack's website")
    parser.add_argument("--name", default=None, help="name of the zip and its top folder (default: course-03-05)")
    parser.add_argument("--build", action="store_true", help="also build the pack's website and add it to the zip")
    args = parser.parse_args(argv)
    try:
        pack = write_pack(args.chapters, args.out, repository_url=args.repository_url,
                          show_solutions=args.show_solutions, name=args.name)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {pack.out}: {len(pack.docs)} pages, {len(pack.student)} student and {len(pack.instructor)} instructor notebooks")
    for line in pack.unlinked:
        print(f"  outside the pack, now plain text: {line}")
    if args.build:
        book_cache = notebooks_root() / "_build" / ".jupyter_cache"
        proc = build_pack(pack.out, cache_from=book_cache if book_cache.is_dir() else None)
        (pack.out / "_build" / "build.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
            print(f"error: the pack's website did not build; the whole log is in {pack.out / '_build' / 'build.log'}", file=sys.stderr)
            return proc.returncode
        name = pack.zip_path.name.removesuffix("-student.zip")
        _zip(pack.out / "student", pack.zip_path, prefix=name, extra=pack.out / "_build" / "html")
        print(f"built {pack.out / '_build' / 'html'}")
    print(f"zip for a learning-management system: {pack.zip_path}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
