"""Book-wide consistency: claims, citations, pages, pairing, set-up cells, docstrings.

These run in seconds and need no execution: they read the sources.
"""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from dltheory import claims
from dltheory.book import notebooks

ROOT = Path(__file__).resolve().parents[1]
PAGES = notebooks.notebook_pages(ROOT)
ALL_MD = [p for d in ("book", "chapters", "exercises") for p in sorted((ROOT / d).rglob("*.md"))]
CHECK_RE = re.compile(r"claims\.check\(\s*[\"']([^\"']+)[\"']")
CITE_RE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
BIB_KEY_RE = re.compile(r"^@\w+\{([^,\s]+),", re.M)


def bib_keys() -> list[str]:
    return BIB_KEY_RE.findall((ROOT / "book" / "references.bib").read_text(encoding="utf-8"))


def checked_ids() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for page in PAGES:
        for cid in CHECK_RE.findall(page.read_text(encoding="utf-8")):
            found.setdefault(cid, []).append(str(page.relative_to(ROOT)))
    return found


def test_there_are_pages():
    assert ROOT / "book" / "how-to-read.md" in PAGES
    assert any(p.parent.name == "exercises" for p in PAGES)


def test_every_registered_claim_is_checked_by_a_page():
    unchecked = sorted(set(claims.registry()) - set(checked_ids()))
    assert not unchecked, f"registered claims no page checks: {unchecked}"


def test_every_checked_claim_is_registered():
    unknown = {cid: pages for cid, pages in checked_ids().items() if cid not in claims.registry()}
    assert not unknown, f"pages check claims that are not registered: {unknown}"


def raw_registry_claims() -> list[dict]:
    folder = ROOT / "lib" / "dltheory" / "registry"
    return [raw for path in sorted(folder.glob("*.toml")) for raw in tomllib.loads(path.read_text("utf-8")).get("claim", [])]


def test_every_claim_states_its_kind():
    # explicit in the registry, so that a new claim is classified when it is written, not by a default
    missing = [raw["id"] for raw in raw_registry_claims() if "kind" not in raw]
    assert not missing, f"claims without kind = \"reproduction\" or \"derivation\": {missing}"


def reproductions_without_a_null() -> list[str]:
    return sorted(c.id for c in claims.registry().values() if not c.derivation and not c.null and not c.null_reason)


def test_every_reproduction_has_a_null_or_a_reason():
    missing = reproductions_without_a_null()
    assert not missing, f"{len(missing)} reproductions have neither null nor null_reason: {missing}"


def test_a_bar_revised_after_measuring_says_so_in_the_registry():
    # the ledger marks these claims; the loader already refuses a bar_history without bar_fixed = "after"
    for claim in claims.registry().values():
        assert claim.bar_fixed in ("", "before", "after")
        if claim.bar_history:
            assert claim.revised and all(change.reason for change in claim.bar_history), claim.id


def test_bibtex_keys_unique_and_every_citation_exists():
    keys = bib_keys()
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"duplicate BibTeX keys: {duplicates}"
    cited = {}
    for page in ALL_MD:
        for group in CITE_RE.findall(page.read_text(encoding="utf-8")):
            for key in group.split(","):
                cited.setdefault(key.strip(), str(page.relative_to(ROOT)))
    for claim in claims.registry().values():
        for key in claim.source:
            cited.setdefault(key, f"registry claim {claim.id}")
    missing = {k: where for k, where in cited.items() if k not in keys}
    assert not missing, f"cited but not in book/references.bib: {missing}"


def test_paired_notebooks_in_sync_and_without_outputs():
    problems = notebooks.out_of_sync(PAGES)
    assert not problems, "\n".join(problems)


def _config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_notebook_page_starts_with_the_setup_cell(page):
    nb = notebooks.read_page(page)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{page} has no code cell"
    first = code[0].source
    url = _config()["repository"]["url"]
    assert f'"dltheory @ git+{url}"' in first, "the set-up cell must install the library from the repository of _config.yml"
    assert "except ImportError" in first and "runtime.banner()" in first
    assert "jax" not in first.split("%pip install", 1)[1].split("\n", 1)[0].replace("jax/jaxlib", ""), "never install jax in the set-up cell"


def test_every_content_page_is_in_the_table_of_contents():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files, globs = set(), []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.add(node["file"])
            if "glob" in node:
                globs.append(node["glob"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    files.add(toc["root"])
    orphans = []
    for page in ALL_MD:
        doc = str(page.relative_to(ROOT).with_suffix(""))
        if doc not in files and not any(Path(doc).match(g) for g in globs):
            orphans.append(doc)
    assert not orphans, f"pages outside the table of contents (they would not be built): {orphans}"


def test_public_functions_have_docstrings():
    # every module of the library, the chapter packages' section modules included
    import pkgutil

    import dltheory

    missing = []
    modules = [info.name for info in pkgutil.walk_packages(dltheory.__path__, "dltheory.")]
    assert len(modules) > 30, modules  # the walk reaches into the packages
    for name in modules:
        module = importlib.import_module(name)
        if not inspect.getdoc(module):
            missing.append(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and not inspect.getdoc(obj):
                missing.append(f"{name}.{attr}")
    assert not missing, f"public functions without a docstring: {missing}"
