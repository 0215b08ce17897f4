"""What "today's code" is for a saved run (:mod:`dltheory.saved`) and for the seed record's fingerprint
(:mod:`dltheory.book.fingerprint`): the ``dltheory`` modules a function's module imports, directly or not
(:func:`code_files`), their syntax trees without docstrings (:func:`stripped`), and a hash of them
(:func:`code_digest`). The book's machinery and display (``book``, ``claims``, ``registry``, ``data``, ``plot``,
``widgets``) are left out: a change there changes no measurement.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["module_file", "imported_files", "stripped", "code_files", "code_digest"]

#: ``dltheory`` packages and modules that a saved run's code digest leaves out: the machinery and the display
_NOT_CODE = {"book", "claims", "registry", "data", "plot", "widgets"}


def _lib() -> Path:
    return Path(__file__).resolve().parent


def _is_code(name: str) -> bool:
    return name not in _NOT_CODE


def module_file(dotted: str, *, lib: Path | None = None, counts: Callable[[str], bool] = _is_code) -> Path | None:
    """The file of module ``dltheory.a.b`` (``a/b.py``, or a package's ``a/b/__init__.py``) under ``lib`` (default:
    this library's folder), if there is one and ``counts("a")``: by default, if it is code a run depends on (not the
    machinery or display, module docstring)."""
    parts = dotted.split(".")
    if parts[0] != "dltheory" or len(parts) < 2 or not counts(parts[1]):
        return None
    base = (_lib() if lib is None else lib).joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_files(tree: ast.AST, *, module: Path | None = None, lib: Path | None = None,
                   counts: Callable[[str], bool] = _is_code) -> set[Path]:
    """The ``dltheory`` module files that the code of ``tree`` imports anywhere in its body (an import written in a
    docstring is not code): for ``import dltheory.a.b`` or ``from dltheory.a.b import c``, the files of
    ``dltheory.a``, ``dltheory.a.b`` and, where it is a module, ``dltheory.a.b.c``, as :func:`module_file` finds
    them with ``lib`` and ``counts``. ``module`` is the file under ``lib`` that ``tree`` was parsed from, where its
    relative imports start; code outside the library (``None``: a page's cells) has no relative imports."""
    lib = _lib() if lib is None else lib
    if module is not None:
        rel = module.relative_to(lib).with_suffix("").parts
        package = ("dltheory", *rel[:-1])  # where a relative import starts (a package's __init__ or a module)
    found: set[Path] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if not node.level:
                source = node.module or ""
            elif module is None:
                continue
            else:
                base = package[:len(package) - (node.level - 1)]
                source = ".".join(base + ((node.module,) if node.module else ()))
            names = [source] + [f"{source}.{alias.name}" for alias in node.names]
        else:
            continue
        for dotted in names:
            parts = dotted.split(".")
            for k in range(2, len(parts) + 1):  # importing a.b.c runs a/b/__init__.py too
                file = module_file(".".join(parts[:k]), lib=lib, counts=counts)
                if file is not None:
                    found.add(file)
    return found


def stripped(tree: ast.AST) -> bytes:
    """A syntax tree without its docstrings, dumped: what a module runs (comments never reach the tree). The
    docstrings are taken out of ``tree`` itself."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return _dump(tree).encode()


def _dump(node: Any) -> str:
    """``ast.dump(node)`` as Python 3.10 and 3.11 write it, on any Python: 3.12 adds ``type_params=[]`` to every
    function and class and 3.13 leaves out empty lists, which would make every digest depend on the interpreter
    (a saved run made on 3.11 refused on Colab's 3.12)."""
    if isinstance(node, ast.AST):
        cls = type(node)
        fields = []
        for name in node._fields:
            value = getattr(node, name, None)
            if name == "type_params" or (value is None and getattr(cls, name, ...) is None):
                continue  # a field of later Pythons, or an optional field left empty (ast.dump's own rule)
            fields.append(f"{name}={_dump(value)}")
        return f"{cls.__name__}({', '.join(fields)})"
    if isinstance(node, list):
        return "[" + ", ".join(_dump(item) for item in node) + "]"
    return repr(node)


def _function(fn: Callable[..., Any]) -> str:
    if not callable(fn) or not getattr(fn, "__module__", "").startswith("dltheory.") or "<" in fn.__qualname__:
        raise ValueError(f"a saved run must be of a module-level dltheory function, got {fn!r}")
    return f"{fn.__module__}:{fn.__qualname__}"


def _code_trees(fn: Callable[..., Any]) -> dict[Path, ast.AST]:
    """``{file: its syntax tree}`` over :func:`code_files`, each file read and parsed once."""
    start = module_file(_function(fn).split(":")[0])
    if start is None:
        raise ValueError(f"{fn.__module__} is not a module of the library's experiments")
    seen: dict[Path, ast.AST] = {}
    todo = [start]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = ast.parse(path.read_text(encoding="utf-8"))
        todo.extend(sorted(imported_files(seen[path], module=path) - set(seen)))
    return seen


def code_files(fn: Callable[..., Any]) -> list[Path]:
    """The module files that :func:`code_digest` hashes for ``fn``: its module and every ``dltheory`` module it
    imports, transitively, the machinery and display left out (module docstring); sorted."""
    return sorted(_code_trees(fn))


def code_digest(fn: Callable[..., Any]) -> str:
    """A hash of the code a run of ``fn`` depends on: the syntax trees of :func:`code_files`, without docstrings."""
    digest = hashlib.sha256()
    for path, tree in sorted(_code_trees(fn).items()):
        digest.update(path.relative_to(_lib()).as_posix().encode() + b"\0")
        digest.update(stripped(tree) + b"\0")
    return digest.hexdigest()[:16]


# ------------------------------------------------------------------------------------------------ the call
