"""Fingerprints of a page's runs for the seed record (:mod:`dltheory.book.seeds`): what a run's verdicts depend on.

A fingerprint hashes the page's code cells (with their options, read by :func:`dltheory.book.budget.code_cells`),
the chapter modules those cells reach through their imports (module by module, relative imports followed, each as
its syntax tree without docstrings; an import shown in the page's prose is not followed), the saved runs in
``lib/dltheory/data`` that the cells or those modules name, and the registry entries of the claims a run reported.
The book's small core (``dltheory.<module>.py``, ``claims``, ``book``, ``registry``) is left out on purpose.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dltheory.book import budget

__all__ = ["relative", "inputs", "code_digest", "with_claims", "claim_entries", "fingerprint"]

_FROM_RE = re.compile(r"^[ \t]*from[ \t]+(\.+[\w.]*|dltheory(?:\.\w+)*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]+)",
                      re.MULTILINE)
_IMPORT_RE = re.compile(r"^[ \t]*import[ \t]+(dltheory(?:\.\w+)+)", re.MULTILINE)
_CORE = {"book", "claims", "registry", "data"}  # packages of the book's machinery, not of a chapter's experiments


def relative(page: Path, root: Path) -> Path:
    """``page`` relative to the repository ``root`` (a ``ValueError`` outside it)."""
    page = Path(page)
    page = page.resolve() if page.is_absolute() else (root / page).resolve()
    try:
        return page.relative_to(root.resolve())
    except ValueError:
        raise ValueError(f"the page {page} is not inside the repository {root}") from None


def _module_files(lib: Path, dotted: str) -> list[Path]:
    """The files that importing ``dltheory.a.b`` runs (``a/__init__.py``, ``a/b.py``), none of them core; empty
    where the name is not a chapter module (a function, a core module)."""
    parts = dotted.split(".")[1:]
    if not parts or parts[0] in _CORE or not (lib / parts[0]).is_dir():
        return []  # ``dltheory`` itself, the machinery, and the core's top-level modules (runtime.py, nets.py, ...)
    files = [lib.joinpath(*parts[:k], "__init__.py") for k in range(1, len(parts))]
    base = lib.joinpath(*parts)
    if base.with_suffix(".py").is_file():
        return [f for f in files if f.is_file()] + [base.with_suffix(".py")]
    if (base / "__init__.py").is_file():
        return [f for f in files if f.is_file()] + [base / "__init__.py"]
    return []


def _imports(path: Path, text: str, lib: Path) -> set[Path]:
    """The chapter-module files that the code in ``text`` (a page, or the module at ``path``) imports."""
    here = None
    if path.suffix == ".py" and lib in path.parents:
        rel = path.relative_to(lib).with_suffix("").parts
        here = ("dltheory",) + (rel[:-1] if rel[-1] == "__init__" else rel)
        if rel[-1] != "__init__":
            here = here[:-1]  # the package a module's relative imports start from
    found: set[Path] = set()
    for source, names in _FROM_RE.findall(text):
        if source.startswith("."):
            if here is None:
                continue
            level = len(source) - len(source.lstrip("."))
            package = here[:len(here) - (level - 1)]
            source = ".".join(package + tuple(p for p in source.lstrip(".").split(".") if p))
        found.update(_module_files(lib, source))
        for name in names.strip("()").replace("\n", " ").split(","):
            name = name.split(" as ")[0].strip()
            if name.isidentifier():
                found.update(_module_files(lib, f"{source}.{name}"))
    for source in _IMPORT_RE.findall(text):
        found.update(_module_files(lib, source))
    return found


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
            cells = budget.code_cells(text, keep_options=True)
            contents[path], text = "\0".join(cells).encode(), "\n".join(cells)
        else:
            contents[path] = _code(text)
        texts.append(text)
        new = _imports(path, text, lib) - set(contents) - set(todo)
        todo.extend(sorted(new))
    data = lib / "data"
    if data.is_dir():
        for path in data.iterdir():
            if path.is_file() and any(path.name in text for text in texts):
                contents[path] = path.read_bytes()
    return contents


def inputs(page: Path, root: Path) -> list[Path]:
    """The files a page's runs depend on (see the module docstring), sorted: the page, the chapter modules its code
    cells reach through imports, and the saved runs that any of them names."""
    return sorted(_contents(page, root))


def claim_entries(root: Path) -> dict[str, str]:
    """``{claim id: its registry entry as canonical JSON}`` over every chapter registry."""
    entries = {}
    for path in sorted((root / "lib" / "dltheory" / "registry").glob("*.toml")):
        for claim in tomllib.loads(path.read_text(encoding="utf-8")).get("claim", []):
            if isinstance(claim, dict) and "id" in claim:
                entries[claim["id"]] = json.dumps(claim, sort_keys=True, default=str)
    return entries


def _code(text: str) -> bytes:
    """A Python module as what it runs: its syntax tree without docstrings (comments never reach the tree)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text.encode()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


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
