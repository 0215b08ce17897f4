"""The pages of a course pack: which chapters, their titles, links rewritten, solutions hidden.

Used by :mod:`dltheory.book.course`. Cross-references to pages and labels that are not in the pack become
plain text, so a pack never carries a broken link; solution blocks are hidden on the pack's website.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Chapter", "find_chapters", "parse_chapters", "rewrite_links", "hide_solutions", "page_title",
           "labels", "label_titles"]

@dataclass(frozen=True)
class Chapter:
    """One chapter of a pack: its number, its folder (if written) and its exercise page (if any)."""

    number: str
    folder: Path | None
    exercises: Path | None

    @property
    def title(self) -> str:
        index = self.folder / "index.md" if self.folder else None
        if index is not None and index.is_file():
            return page_title(index) or self.folder.name
        if self.folder is not None:
            return self.folder.name
        return page_title(self.exercises) if self.exercises else self.number

    def pages(self) -> list[Path]:
        """Every Markdown page of the chapter folder: ``index.md`` first, then the sections in order."""
        if self.folder is None:
            return []
        index = self.folder / "index.md"
        sections = sorted(p for p in self.folder.glob("[0-9]*.md"))
        return ([index] if index.is_file() else []) + sections



def page_title(path: Path) -> str | None:
    """The first level-1 heading of a Markdown page (outside code blocks), or None."""
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("# "):
            return line[2:].strip()
    return None


def parse_chapters(spec: str) -> list[str]:
    """``"03,05"`` → ``["03", "05"]``; each a chapter number 00–99, in the order given, no repeats."""
    numbers = [s.strip() for s in str(spec).split(",") if s.strip()]
    if not numbers:
        raise ValueError(f"chapters must list chapter numbers such as '03,05', got {spec!r}")
    out = []
    for s in numbers:
        if not s.isdigit() or int(s) > 99:
            raise ValueError(f"chapters: {s!r} is not a chapter number between 00 and 99")
        n = f"{int(s):02d}"
        if n not in out:
            out.append(n)
    return out


def find_chapters(root: Path, numbers: list[str]) -> list[Chapter]:
    """The chapters ``numbers`` of the book at ``root``; ``ValueError`` names any that does not exist."""
    found = []
    for n in numbers:
        folders = sorted(p for p in (root / "chapters").glob(f"{n}-*") if p.is_dir())
        exercises = sorted((root / "exercises").glob(f"{n}-*.md"))
        folder = folders[0] if folders else None
        if folder is not None and not any(folder.glob("*.md")):
            folder = None
        if folder is None and not exercises:
            have = sorted({p.name[:2] for p in (root / "chapters").glob("[0-9][0-9]-*") if any(p.glob("*.md"))}
                          | {p.name[:2] for p in (root / "exercises").glob("[0-9][0-9]-*.md")})
            raise ValueError(f"chapters: chapter {n} has neither chapters/{n}-*/ nor exercises/{n}-*.md "
                             f"(chapters that exist: {', '.join(have) or 'none'})")
        found.append(Chapter(n, folder, exercises[0] if exercises else None))
    return found


# ---------------------------------------------------------------------------------------------
# cross-references

_ROLE = re.compile(r"\{(doc|ref|numref|prf:ref|eq)\}`([^`]*)`")
_MDLINK = re.compile(r"(?<!!)\[([^\]]+)\]\(([^)\s]+?\.(?:md|ipynb)(?:#[^)\s]*)?)\)")
_LABEL_LINE = re.compile(r"^\s*\(([A-Za-z0-9_.:-]+)\)=\s*$")
_LABEL_OPT = re.compile(r"^\s*:label:\s*(\S+)\s*$")
_MATH_LABEL = re.compile(r"\$\$\s*\(([A-Za-z0-9_.:-]+)\)\s*$")
_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)


def labels(text: str) -> set[str]:
    """Every label a page defines: ``(label)=`` lines, ``:label:`` options and labelled equations."""
    found = set()
    for line in text.splitlines():
        for rx in (_LABEL_LINE, _LABEL_OPT, _MATH_LABEL):
            m = rx.search(line)
            if m:
                found.add(m.group(1))
    return found


def label_titles(text: str) -> dict[str, str]:
    """``(label)=`` followed by a heading: the heading's text, for links that lose their target."""
    lines = text.splitlines()
    out = {}
    for i, line in enumerate(lines[:-1]):
        m = _LABEL_LINE.match(line)
        if m and lines[i + 1].lstrip().startswith("#"):
            out[m.group(1)] = lines[i + 1].lstrip("# ").strip()
    return out


def _docname(page_doc: str, target: str) -> str:
    target = target.split("#", 1)[0]
    target = re.sub(r"\.(md|ipynb)$", "", target)
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(page_doc), target))


def rewrite_links(text: str, doc: str, docs: set[str], labels: set[str], titles: dict[str, str]) -> tuple[str, list[str]]:
    """Make every cross-reference of page ``doc`` that points outside the pack plain text.

    ``docs``: the docnames in the pack; ``labels``: the labels defined in it; ``titles``: a title for
    docnames and labels of the whole book (used where a link had no text of its own). Code cells are
    left alone. Returns the new text and the list of references that were made plain.
    """
    changed: list[str] = []

    def role(m: re.Match) -> str:
        kind, body = m.group(1), m.group(2)
        t = _TARGET.match(body)
        label, target = (t.group(1), t.group(2)) if t else (None, body)
        if kind == "doc":
            name = _docname(doc, target)
            if name in docs:
                return m.group(0)
            key = name
        else:
            if target in labels:
                return m.group(0)
            key = target
        changed.append(f"{doc}: {m.group(0)}")
        return label or titles.get(key) or posixpath.basename(target.rstrip("/")) or target

    def mdlink(m: re.Match) -> str:
        text_, target = m.group(1), m.group(2)
        if "://" in target:
            return m.group(0)
        if _docname(doc, target) in docs:
            return m.group(0)
        changed.append(f"{doc}: {m.group(0)}")
        return text_

    out, block = [], []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if fence is None and re.match(r"(`{3,}|~{3,})\{code-cell\}", stripped):
            out.append(_MDLINK.sub(mdlink, _ROLE.sub(role, "".join(block))))
            block = []
            fence = re.match(r"`{3,}|~{3,}", stripped).group(0)
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            if stripped.rstrip() == fence:
                fence = None
            continue
        block.append(line)
    out.append(_MDLINK.sub(mdlink, _ROLE.sub(role, "".join(block))))
    return "".join(out), changed


_SOL_START = re.compile(r"^\s*(`{3,}|:{3,})\{solution-start\}")
_SOL_END = re.compile(r"^\s*(`{3,}|:{3,})\{solution-end\}")
_CODE_CELL = re.compile(r"^(\s*)(`{3,}|~{3,})\{code-cell\}")


def hide_solutions(text: str) -> str:
    """An exercise page whose gated solutions are still executed but not shown.

    The ``{solution-start}`` … ``{solution-end}`` directives and the prose between them are dropped;
    the code cells between them stay, tagged ``remove-cell``, so that the check cells after them still
    run when the pack is built (sphinx-exercise's own ``hide_solutions`` fails on gated solutions).
    """
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    inside, drop_fence, i = False, False, 0
    while i < len(lines):
        line = lines[i]
        if not inside and _SOL_START.match(line):
            inside = True
            i += 1
            continue
        if inside and _SOL_END.match(line):
            inside, drop_fence = False, True
            i += 1
            continue
        if drop_fence:  # the fence that closes the {solution-end} directive
            drop_fence = False
            if line.strip() and set(line.strip()) <= {"`", ":"}:
                i += 1
                continue
        if inside:
            m = _CODE_CELL.match(line)
            if not m:
                i += 1
                continue
            fence = m.group(2)
            out.append(line)
            i += 1
            tagged = False
            while i < len(lines) and lines[i].lstrip().startswith(":") and ":" in lines[i].lstrip()[1:]:
                opt = lines[i]
                if opt.lstrip().startswith(":tags:"):
                    tags = opt.split(":tags:", 1)[1].strip().strip("[]")
                    names = [t.strip().strip("'\"") for t in tags.split(",") if t.strip()]
                    opt = ":tags: [" + ", ".join(names + ["remove-cell"]) + "]\n"
                    tagged = True
                out.append(opt)
                i += 1
            if not tagged:
                out.append(":tags: [remove-cell]\n")
            while i < len(lines):
                out.append(lines[i])
                i += 1
                if lines[i - 1].strip() == fence:
                    break
            continue
        out.append(line)
        i += 1
    if inside:
        raise ValueError("a {solution-start} block is not closed by {solution-end}")
    return "".join(out)
