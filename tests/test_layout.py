"""The library is a map of the book (issue 15).

* a package per chapter, a module per section page: ``chapters/03-grokking/02-fourier-circuit.md`` imports
  ``dltheory.grokking.fourier_circuit``, which exists;
* no module over about 400 lines;
* no import cycle inside ``dltheory`` (imports inside functions count too);
* the science never imports the book's machinery (``dltheory.book``), and the core never imports a chapter;
* every field of every experiment config declares its range (``validate.field``).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import dltheory
from dltheory import runtime

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "dltheory"
MAX_LINES = 420  # "about 400": a module a reader reads in one sitting

# chapter folder -> the package that holds its code
PACKAGES = {
    "01-scaling-laws": "scaling",
    "02-benign-overfitting": "overfitting",
    "03-grokking": "grokking",
    "04-embedding-geometry": "embeddings",
    "05-information-theory": "information",
    "06-compression": "compression",
}
CORE = ("runtime", "train", "nets", "claims", "plot", "widgets", "validate", "sweep", "saved", "selfcheck")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(LIB.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(LIB.rglob("*.py"))}


def section_pages() -> list[tuple[str, Path]]:
    pages = []
    for folder, package in PACKAGES.items():
        for page in sorted((ROOT / "chapters" / folder).glob("[0-9][0-9]-*.md")):
            pages.append((package, page))
    return pages


def section_module(package: str, page: Path) -> str:
    return f"dltheory.{package}.{page.stem[3:].replace('-', '_')}"


@pytest.mark.parametrize("package", sorted(PACKAGES.values()))
def test_each_chapter_is_a_package(package):
    assert (LIB / package / "__init__.py").is_file(), f"lib/dltheory/{package}/ must be a package"
    assert not (LIB / f"{package}.py").exists()


@pytest.mark.parametrize(("package", "page"), section_pages(), ids=lambda x: getattr(x, "name", x))
def test_each_section_page_imports_its_own_module(package, page):
    name = section_module(package, page)
    path = LIB / package / f"{name.rsplit('.', 1)[1]}.py"
    assert path.is_file(), f"{page.relative_to(ROOT)} has no module {path.relative_to(ROOT)}"
    text = page.read_text(encoding="utf-8")
    short = name.rsplit(".", 1)[1]
    pattern = rf"from dltheory\.{package} import [^\n]*\b{short}\b|import {re.escape(name)}\b"
    assert re.search(pattern, text), f"{page.relative_to(ROOT)} must import {name} (from dltheory.{package} import {short})"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_is_over_about_400_lines(name):
    n = len(MODULES[name].read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{MODULES[name].relative_to(ROOT)} has {n} lines (at most {MAX_LINES}): split it by section"


def imports_of(name: str) -> set[str]:
    """The ``dltheory`` modules that module ``name`` imports, anywhere in its body."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    package = name if MODULES[name].name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != "dltheory" and target != name:
                found.add(target)
    return found


GRAPH = {name: imports_of(name) for name in MODULES}


def test_the_import_graph_has_no_cycle():
    # a package's __init__ may import its own submodules; a submodule importing its package's __init__
    # (``from dltheory.grokking import data``) is resolved to the submodule above, so it is no edge to __init__
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node)


def test_the_cycle_check_sees_a_cycle():
    global GRAPH
    saved = GRAPH
    GRAPH = {**saved, "dltheory.sweep": saved["dltheory.sweep"] | {"dltheory.train"}}
    try:
        with pytest.raises(pytest.fail.Exception, match="import cycle"):
            test_the_import_graph_has_no_cycle()
    finally:
        GRAPH = saved


def test_science_never_imports_the_books_machinery_and_the_core_imports_no_chapter():
    for name, targets in GRAPH.items():
        if not name.startswith("dltheory.book"):
            bad = sorted(t for t in targets if t.startswith("dltheory.book"))
            assert not bad, f"{name} imports the book's machinery {bad}"
        if name.partition(".")[2].split(".")[0] in CORE + ("warmup",):
            chapters = sorted(t for t in targets if t.split(".")[1] in PACKAGES.values())
            assert not chapters, f"the core module {name} imports chapter code {chapters}"


def config_classes() -> list[type]:
    found = {}
    for info in pkgutil.walk_packages(dltheory.__path__, "dltheory."):
        if info.name.startswith("dltheory.book"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, runtime.ModeConfig) and cls is not runtime.ModeConfig and cls.__module__ == info.name:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


def test_configs_are_found():
    assert len(config_classes()) >= 20


@pytest.mark.parametrize("cls", config_classes(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_config_field_declares_its_range(cls):
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    undeclared = [f.name for f in dataclasses.fields(cls) if "check" not in f.metadata]
    assert not undeclared, f"{cls.__qualname__}: declare the range of {undeclared} with validate.field"
    assert "validate" not in vars(cls), f"{cls.__qualname__}: relations between fields go in check(), ranges in validate.field"
    cls.fast()
    cls.full()


# --------------------------------------------------------------------------- the map in CONTRIBUTING.md

MAP_START = "<!-- map: generated from lib/dltheory by tests/test_layout.py::contributing_map; a test checks it is current -->"
MAP_END = "<!-- end map -->"


def _first_line(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0].rstrip(".") if doc.strip() else ""


def contributing_map() -> str:
    """The page → module table of CONTRIBUTING.md, and each package's shared modules, from the files."""
    rows = ["| page | its module |", "|---|---|"]
    for package, page in section_pages():
        module = section_module(package, page).replace(".", "/")
        rows.append(f"| `{page.relative_to(ROOT)}` | `lib/{module}.py` |")
    shared = ["", "Shared within a chapter (used by several of its sections, or by its exercises):", ""]
    for package in PACKAGES.values():
        own = {section_module(package, page) for p, page in section_pages() if p == package}
        for path in sorted((LIB / package).glob("*.py")):
            name = module_name(path)
            if name not in own and path.name != "__init__.py":
                shared.append(f"* `lib/{name.replace('.', '/')}.py`: {_first_line(path)}")
    return "\n".join(rows + shared)


def test_contributing_shows_the_current_map():
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert MAP_START in text and MAP_END in text, "CONTRIBUTING.md lost the markers of its page -> module map"
    current = text.split(MAP_START, 1)[1].split(MAP_END, 1)[0].strip()
    assert current == contributing_map(), "CONTRIBUTING.md's map is stale: run python tests/test_layout.py --write"


if __name__ == "__main__":
    import sys

    if "--write" in sys.argv:
        path = ROOT / "CONTRIBUTING.md"
        text = path.read_text(encoding="utf-8")
        head, rest = text.split(MAP_START, 1)
        path.write_text(head + MAP_START + "\n" + contributing_map() + "\n" + MAP_END + rest.split(MAP_END, 1)[1],
                        encoding="utf-8")
    print(contributing_map())


class _Unusable:
    """A value no config field accepts."""

    def __repr__(self) -> str:
        return "<unusable>"


def _integer_annotation(annotation: str) -> str | None:
    """``"scalar"`` for ``int`` / ``int | None`` fields, ``"tuple"`` for ``tuple[int, ...]``, else None."""
    text = annotation.replace(" ", "")
    if text in ("int", "int|None"):
        return "scalar"
    if text in ("tuple[int,...]", "tuple[int,...]|None"):
        return "tuple"
    return None


@pytest.mark.parametrize("cls", config_classes(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_config_field_refuses_a_bad_value_with_a_message_naming_it(cls):
    base = cls.fast()
    for f in dataclasses.fields(cls):
        with pytest.raises(ValueError, match=re.escape(f.name)):
            base.replace(**{f.name: _Unusable()})
        kind = _integer_annotation(str(f.type))
        if kind == "scalar":
            with pytest.raises(ValueError, match=re.escape(f.name)):
                base.replace(**{f.name: 2.5})
        elif kind == "tuple":
            with pytest.raises(ValueError, match=re.escape(f.name)):
                base.replace(**{f.name: (2.5, 3.5, 4.5, 5.5)})
