"""Fingerprints of a page's runs for the seed record (:mod:`dltheory.book.seeds`): what a run's verdicts depend on.

A fingerprint hashes the page's code cells (each as its options and its syntax tree, read by
:func:`dltheory.book.budget.code_cells`, so that a comment in a cell changes nothing, as in a module, unless it names
a saved run: the names are looked for in the text; a cell with an IPython magic line counts as written),
the chapter modules those cells reach through their imports (found in syntax trees by
:func:`dltheory.saved.imported_files`, module by module, relative imports followed, so that an import written in
the page's prose or in a docstring is not followed; a page's IPython magic lines read as ``pass``; each module
counts as its syntax tree without docstrings), the saved runs in ``lib/dltheory/data`` that the cells or those
modules name, and the registry entries of the claims a run reported. The book's small core (``dltheory.<module>.py``,
``claims``, ``book``, ``registry``) is left out on purpose. Code that is not Python raises ``ValueError``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dltheory import saved
from dltheory.book import budget

__all__ = ["relative", "inputs", "code_digest", "with_claims", "claim_entries", "fingerprint"]

_CORE = {"book", "claims", "registry", "data"}  # packages of the book's machinery, not of a chapter's experiments


def _chapter(lib: Path, name: str) -> bool:
    """Whether ``dltheory.<name>`` under ``lib`` is chapter code: a package, not of the machinery (the core's
    top-level modules, ``runtime.py``, ``nets.py``, ..., are no packages)."""
    return name not in _CORE and (lib / name).is_dir()


def relative(page: Path, root: Path) -> Path:
    """``page`` relative to the repository ``root`` (a ``ValueError`` outside it)."""
    page = Path(page)
    page = page.resolve() if page.is_absolute() else (root / page).resolve()
    try:
        return page.relative_to(root.resolve())
    except ValueError:
        raise ValueError(f"the page {page} is not inside the repository {root}") from None


def _parsed(path: Path | str, code: str) -> ast.Module:
    try:
        return ast.parse(code)
    except SyntaxError as err:
        raise ValueError(f"{path}: its code is not Python ({err.msg}, line {err.lineno})") from None


def _contents(page: Path, root: Path) -> dict[Path, bytes]:
    """``{file: what counts of it}`` over the files a page's runs depend on (see the module docstring), each read
    once: the page (its code cells, with their options), the chapter modules its code reaches through imports (their
    syntax trees), and the saved runs that the page's code or any of those modules names (their bytes)."""
    rel = relative(page, root)
    lib = root / "lib" / "dltheory"
    contents: dict[Path, bytes] = {}
    texts = []
    todo = [root / rel]
    while todo:
        path = todo.pop()
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":  # a page: only its code runs, so only its code cells import or name anything
            cells, bodies = budget.code_cells(text, keep_options=True), budget.code_cells(text)
            tree = _parsed(path, budget.python_code(bodies))
            contents[path] = b"\0".join(_cell(f"{path}, code cell {i}", cell, body)
                                         for i, (cell, body) in enumerate(zip(cells, bodies, strict=True), 1))
            text, module = "\n".join(cells), None
        else:
            tree = _parsed(path, text)
            contents[path] = saved.stripped(tree)
            module = path
        texts.append(text)
        imported = saved.imported_files(tree, module=module, lib=lib, counts=lambda name: _chapter(lib, name))
        todo.extend(sorted(imported - set(contents) - set(todo)))
    data = lib / "data"
    if data.is_dir():
        for path in data.iterdir():
            if path.is_file() and any(path.name in text for text in texts):
                contents[path] = path.read_bytes()
    return contents


def _cell(where: str, cell: str, body: str) -> bytes:
    """What counts of one code cell of a page: its options (lines as written, blank ones left out) and its syntax
    tree as a module's counts, so that a comment, or a string spelled another way, changes nothing. A cell with an
    IPython magic line counts as written: the magic reaches the tree only as ``pass``, so its place in the cell and
    what a cell magic does with the lines below it would be lost."""
    if budget.MAGIC_RE.search(body):
        return cell.encode()
    options = "\n".join(line for line in cell[:len(cell) - len(body)].splitlines() if line.strip())
    return options.encode() + b"\0" + saved.stripped(_parsed(where, body))


def inputs(page: Path, root: Path) -> list[Path]:
    """The files a page's runs depend on (see the module docstring), sorted: the page, the chapter modules its code
    cells reach through imports, and the saved runs that any of them names."""
    return sorted(_contents(page, root))


#: registry fields of a claim that describe its record or its bar's history rather than what a run measures or how it
#: is judged, and so do not stale a record: ``[claim.registered_on]`` says why a record passing on its base seeds
#: changes nothing; ``bar_fixed``, ``bar_commit`` and ``[[claim.bar_history]]`` say when the bar was fixed and what
#: it was before (the bar itself, the rule and the statement still count)
ABOUT_THE_RECORD = ("registered_on", "bar_fixed", "bar_commit", "bar_history")


def claim_entries(root: Path) -> dict[str, str]:
    """``{claim id: its registry entry as canonical JSON}`` over every chapter registry, without the fields of
    :data:`ABOUT_THE_RECORD`."""
    entries = {}
    for path in sorted((root / "lib" / "dltheory" / "registry").glob("*.toml")):
        for claim in tomllib.loads(path.read_text(encoding="utf-8")).get("claim", []):
            if isinstance(claim, dict) and "id" in claim:
                kept = {k: v for k, v in claim.items() if k not in ABOUT_THE_RECORD}
                entries[claim["id"]] = json.dumps(kept, sort_keys=True, default=str)
    return entries


def code_digest(page: Path, root: Path) -> Any:
    """A running SHA-256 over the files of :func:`inputs` (code cells, syntax trees, saved runs), before the claims."""
    digest = hashlib.sha256()
    for path, content in sorted(_contents(page, root).items()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(content)
        digest.update(b"\0")
    return digest


def with_claims(code: Any, claims: Iterable[str], entries: Mapping[str, str]) -> str:
    """``code`` (a :func:`code_digest`) extended with the registry entries of ``claims``: a run's fingerprint."""
    digest = code.copy()
    for cid in sorted(set(claims)):
        digest.update(f"{cid}\0{entries.get(cid, '<not registered>')}\0".encode())
    return digest.hexdigest()[:16]


def fingerprint(page: Path, root: Path, claims: Iterable[str] = ()) -> str:
    """A hash of everything a run of ``page`` that reported ``claims`` depends on apart from the core and the
    machine (module docstring)."""
    return with_claims(code_digest(page, root), claims, claim_entries(root))
