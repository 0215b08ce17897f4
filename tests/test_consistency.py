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
        assert claim.bar_fixed in ("", "before", "with-code", "after")
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


def _shows_its_value(source: str) -> str | None:
    """The ``claims.check`` call that ends a cell without a ``;`` (IPython would show its verdict twice), if any."""
    import ast

    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython magics: such a cell ends in no claim check
        return None
    last = body[-1] if body else None
    if (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and ast.unparse(last.value.func) == "claims.check"
            and not source.rstrip().endswith(";")):
        return ast.unparse(last.value)[:80]
    return None


def test_checker_of_doubled_verdicts_sees_one():
    assert _shows_its_value('x = 1\nclaims.check("a/b", x)') == "claims.check('a/b', x)"
    assert _shows_its_value('claims.check("a/b", x);') is None
    assert _shows_its_value('v = claims.check("a/b", x)') is None
    assert _shows_its_value('claims.check("a/b", x)\nprint(1)') is None


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_cell_shows_a_verdict_twice(page):
    """``claims.check`` displays its verdict and returns it; a cell ending with the call would show it again."""
    cells = [c.source for c in notebooks.read_page(page).cells if c.cell_type == "code"]
    doubled = [call for call in map(_shows_its_value, cells) if call]
    assert not doubled, f"end these cells with ';' so the verdict shows once: {doubled}"


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


# "How this claim was tested": process notes (how a bar was chosen, what failed first) go in one folded
# admonition per section page, so that the science reads without the lab log (issue 16, item 7).
FOLD_TITLES = ("How this claim was tested", "How these claims were tested")
_ADMONITION_RE = re.compile(r"^(?P<fence>:{3,}|`{3,})\{admonition\}[ \t]*(?P<title>.*?)\s*$")
_LAB_LOG_RE = re.compile(
    r"\b(after (a |the )?first (looks?|runs?|measurements?)|after measuring(?! (the|every|each|a|an|its|their)\b)|"
    r"failed on ((one|two|three|a) )?(base )?seeds?|bars? (was |were )?(set|chosen|moved|widened|narrowed|revised) "
    r"after|(was|were) (widened|narrowed|moved) after|(registered|chosen) after(wards)?|saw only afterwards|"
    r"we (first )?tried|in a first run|after (seeing|looking at)|we (had )?noticed|"
    r"we had (planned|registered|chosen)|in hindsight)\b", re.I)


def fold_problems(text: str) -> list[str]:
    """What is wrong with a page's "How this claim was tested" folds: not folded (``:class: dropdown``), not
    closed, a title that is neither of :data:`FOLD_TITLES`, or more than one on the page."""
    lines = text.splitlines()
    problems, found = [], 0
    for i, line in enumerate(lines):
        match = _ADMONITION_RE.match(line)
        if not match or not re.search(r"\bhow\b.*\btested\b", match["title"], re.I):
            continue
        found += 1
        where = f"line {i + 1}"
        if match["title"] not in FOLD_TITLES:
            problems.append(f"{where}: title {match['title']!r} is not one of {FOLD_TITLES}")
        options = []
        for opt in lines[i + 1:]:
            if not opt.startswith(":") or opt.startswith(match["fence"][0] * 3):
                break
            options.append(opt)
        if not any(re.match(r":class:.*\bdropdown\b", opt) for opt in options):
            problems.append(f"{where}: not folded (needs :class: dropdown right under the title)")
        fence = match["fence"]
        if not any(rest.strip() == fence for rest in lines[i + 1:]):
            problems.append(f"{where}: never closed (no line {fence!r} after it)")
    if found > 1:
        problems.append(f"{found} folds on one page: keep one per section")
    return problems


def _outside_folds_and_code(text: str) -> str:
    """The page's prose outside "How ... tested" folds and code cells (what a reader reads unfolded)."""
    kept, skip_until = [], None
    for line in text.splitlines():
        if skip_until is not None:
            if line.strip() == skip_until:
                skip_until = None
            continue
        match = _ADMONITION_RE.match(line)
        if match and re.search(r"\bhow\b.*\btested\b", match["title"], re.I):
            skip_until = match["fence"]
            continue
        code = re.match(r"^(`{3,})\{code-cell\}", line)
        if code:
            skip_until = code.group(1)
            continue
        kept.append(line)
    return "\n".join(kept)


def section_pages_with_claims() -> list[Path]:
    return [p for p in PAGES if p.parent.parent.name == "chapters" and re.match(r"\d\d-", p.name)
            and CHECK_RE.search(p.read_text(encoding="utf-8"))]


def pages_without_a_fold() -> list[str]:
    """Section pages that check claims and have no "How this claim was tested" fold (reported, not yet a test:
    some pages have no process notes to fold)."""
    return [str(p.relative_to(ROOT)) for p in section_pages_with_claims()
            if not any(t in p.read_text(encoding="utf-8") for t in FOLD_TITLES)]


def _lab_log_hits(text: str) -> list[str]:
    """The phrases of :data:`_LAB_LOG_RE` in a page's text outside its fold and code cells."""
    return [m.group(0) for m in _LAB_LOG_RE.finditer(_outside_folds_and_code(text))]


def lab_log_outside_folds() -> dict[str, list[str]]:
    """Phrases of process notes (:data:`_LAB_LOG_RE`) that sit outside any fold, per section page; the report
    behind :func:`test_no_process_notes_outside_the_fold`."""
    found = {}
    for page in section_pages_with_claims():
        hits = _lab_log_hits(page.read_text(encoding="utf-8"))
        if hits:
            found[str(page.relative_to(ROOT))] = hits
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_how_this_claim_was_tested_is_one_closed_fold(page):
    problems = fold_problems(page.read_text(encoding="utf-8"))
    assert not problems, f"{page.relative_to(ROOT)}: " + "; ".join(problems)


@pytest.mark.parametrize("page", section_pages_with_claims(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_process_notes_outside_the_fold(page):
    # how a bar was chosen, what was tried or failed first: that goes in the page's "How this claim was tested"
    hits = _lab_log_hits(page.read_text(encoding="utf-8"))
    assert not hits, (f"{page.relative_to(ROOT)}: process notes outside the fold {hits}; move them into "
                      f"the page's {FOLD_TITLES[0]!r} fold and leave the body only what the science needs")


def test_fold_checker_sees_each_defect():
    good = ":::{admonition} How this claim was tested\n:class: dropdown\n\nThe bar came from theory.\n:::\n"
    assert fold_problems(good) == [] and fold_problems(good.replace("this claim was", "these claims were")) == []
    assert fold_problems("```{admonition} How this claim was tested\n:class: dropdown\n\nx\n```\n") == []
    assert "not folded" in fold_problems(good.replace(":class: dropdown\n", ""))[0]
    assert "never closed" in fold_problems(good.replace("\n:::\n", "\n"))[0]
    assert "is not one of" in fold_problems(good.replace("How this claim", "How the claim"))[0]
    assert "2 folds on one page" in fold_problems(good + "\n" + good)[-1]
    assert _LAB_LOG_RE.search(_outside_folds_and_code("The bar was chosen after a first look.\n" + good))
    assert not _LAB_LOG_RE.search(_outside_folds_and_code(good.replace("from theory", "was set after measuring")))
    for note in ("We had registered that after a first look at three seeds.", "In a first run that stopped early.",
                 "We noticed both after seeing that run's seeds.", "The level we had planned.",
                 "In hindsight that follows.", "The first three base seeds we tried.",
                 "A second claim, registered after that review.", "The level was chosen after the pilot.",
                 "The bars were chosen after both runs.", "It failed on one seed.", "The band was widened after it.",
                 "Set after the first runs.", "What does hold, registered afterwards.", "We saw only afterwards."):
        assert _lab_log_hits(note + "\n" + good), note
    for science in ("Registered before its first measurement, the claim holds.", "The first run is saved.",
                    "This looks like a first step.", "The bar was set from theory before any run.",
                    "A first look at the figure shows the peak.", "After measuring the loss at every width, we fit.",
                    "The accuracy rises afterwards.", "Registered before the first measurement."):
        assert not _lab_log_hits(science + "\n" + good), science


if __name__ == "__main__":  # the report behind issue 16's item 7: python tests/test_consistency.py
    print("section pages with claims and no fold:", *pages_without_a_fold(), sep="\n  ")
    print("process notes outside a fold:")
    for name, hits in lab_log_outside_folds().items():
        print(f"  {name}: {hits}")
