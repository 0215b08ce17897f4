"""The seed record (``dltheory.book.seeds``): runs under several base seeds, kept per page, counted only while the
code they ran is the code in the repository."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from dltheory.book import fingerprint, notebooks, seed_counts, seeds, sphinxext

PAGE = "chapters/01-toy/02-page.md"


def _verdict(cid: str, status: str, value: float = 1.0) -> dict:
    return {"id": cid, "passed": status == "reproduced", "status": status, "value": value,
            "null": {"value": 0.1, "passed": False}}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    (tmp_path / "_toc.yml").write_text("root: intro\n")
    lib = tmp_path / "lib" / "dltheory"
    files = {
        "toy/__init__.py": '"""The toy chapter."""\n',
        "toy/page_two.py": "from . import shared\nfrom dltheory.helper.util import f\nFILE = 'toy-saved.json'\n",
        "toy/shared.py": "X = 1\n",
        "toy/page_three.py": "Y = 3\n",                  # a sibling module the page never imports
        "helper/__init__.py": "",
        "helper/util.py": "def f():\n    return 1\n",
        "other/__init__.py": "Y = 2\n",
        "runtime.py": "Z = 0\n",                         # the core: left out on purpose
        "data/toy-saved.json": "{}\n",
        "data/toy-unused.json": "{}\n",
    }
    for name, text in files.items():
        (lib / name).parent.mkdir(parents=True, exist_ok=True)
        (lib / name).write_text(text)
    (lib / "registry").mkdir()
    (lib / "registry" / "01-toy.toml").write_text(
        '[[claim]]\nid = "toy/a"\nlower = 1\n\n[[claim]]\nid = "toy/b"\nlower = 2\n\n'
        '[[claim]]\nid = "toy/c"\nlower = 3\n')
    page = tmp_path / PAGE
    page.parent.mkdir(parents=True)
    page.write_text("---\nkernelspec:\n  name: python3\n---\n# A page\n\n"
                    "```{code-cell} ipython3\nfrom dltheory import runtime\n"
                    "from dltheory.toy import (\n    page_two as pt,\n)\n```\n")
    return tmp_path


def test_runs_on_the_same_code_are_counted_per_claim(repo: Path) -> None:
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "reproduced"), _verdict("toy/b", "reproduced")],
                     seconds=1.0, root=repo)
    seeds.record_run(Path(PAGE), 1, [_verdict("toy/a", "reproduced"), _verdict("toy/b", "failed")],
                     seconds=1.0, root=repo)
    seeds.record_run(Path(PAGE), 2, [], seconds=0.0, error="ZeroDivisionError: boom", root=repo)
    counts = seeds.held(repo)
    assert counts == {"toy/a": (2, 3), "toy/b": (1, 3)}
    assert seeds.held_text("toy/b", counts) == "held on 1 of 3 base seeds"
    text = seeds.table(root=repo)
    assert "toy/b" in text and "1/3" in text and "failed (or never reached)" in text
    data = json.loads(seeds.record_path(Path(PAGE), repo).read_text())
    assert [r["seed"] for r in data["runs"]] == [0, 1, 2] and data["runs"][2]["error"].startswith("ZeroDivision")


def test_a_seed_recorded_again_replaces_its_run(repo: Path) -> None:
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "failed")], seconds=1.0, root=repo)
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    seeds.record_run(Path(PAGE), 1, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    assert seeds.held(repo) == {"toy/a": (2, 2)}


def test_not_reproduced_as_registered_counts_as_held(repo: Path) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "not reproduced")], seconds=1.0, root=repo)
    assert seeds.held(repo) == {"toy/a": (2, 2)}


@pytest.mark.parametrize(("edit", "stale"), [
    (PAGE, True),                                      # the page itself
    ("lib/dltheory/toy/__init__.py", True),            # the package of the module the page imports
    ("lib/dltheory/toy/page_two.py", True),            # the module itself
    ("lib/dltheory/toy/shared.py", True),              # a module it imports relatively
    ("lib/dltheory/helper/util.py", True),             # a module of another package that it imports
    ("lib/dltheory/data/toy-saved.json", True),        # a saved run it names
    ("lib/dltheory/toy/page_three.py", False),         # another page's module of the same chapter
    ("lib/dltheory/other/__init__.py", False),         # code the page never reaches
    ("lib/dltheory/runtime.py", False),                # the core
    ("lib/dltheory/data/toy-unused.json", False),      # a saved run no reached file names
])
def test_a_run_goes_stale_when_the_code_it_ran_changes(repo: Path, edit: str, stale: bool) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    path = repo / edit
    text = path.read_text()
    if edit == PAGE:
        text = text.replace("as pt,\n)", "as pt,\n)\nEDITED = 1")
    else:
        text += "\nEDITED = 1\n" if edit.endswith(".py") else "\n# edited\n"
    path.write_text(text)
    assert seeds.held(repo) == ({} if stale else {"toy/a": (2, 2)})
    assert len(seeds.load(Path(PAGE), repo)["runs"]) == 2  # stale runs are kept, never counted
    assert any(line.startswith(PAGE) for line in seeds.stale_pages(notebooks.notebook_pages(repo), root=repo)) == stale


def test_the_prose_of_a_page_can_change_under_its_record(repo: Path) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    page = repo / PAGE
    page.write_text(page.read_text().replace("# A page", "# A page\n\nA paragraph, and a fold of notes.") + "\nMore.\n")
    assert seeds.held(repo) == {"toy/a": (2, 2)}
    page.write_text(page.read_text().replace("```{code-cell} ipython3\n", "```{code-cell} ipython3\n:tags: [x]\n"))
    assert seeds.held(repo) == {}  # a cell's options are part of what runs


def test_comments_and_the_spelling_of_a_string_in_a_page_s_cells_can_change_under_its_record(repo: Path) -> None:
    page = repo / PAGE
    page.write_text(page.read_text().replace("from dltheory import runtime\n",
                                             "from dltheory import runtime\ntitle = \"$\\\\eta$\"\n")
                    + "\n```{code-cell} ipython3\n:tags: [hide-input]\n\nx = 1\n```\n"
                    + "\n```{code-cell} ipython3\n%matplotlib inline\n```\n")
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    page.write_text(page.read_text().replace('title = "$\\\\eta$"', "title = r'$\\eta$'  # a raw string, same value")
                    .replace("as pt,", "as pt,  # a comment").replace(":tags: [hide-input]\n\n", ":tags: [hide-input]\n"))
    assert seeds.held(repo) == {"toy/a": (2, 2)}
    page.write_text(page.read_text().replace("%matplotlib inline", "%matplotlib widget"))
    assert seeds.held(repo) == {}  # a magic line runs: it counts as written
    page.write_text(page.read_text().replace("%matplotlib widget", "%matplotlib inline").replace("r'$", "r'$x"))
    assert seeds.held(repo) == {}  # a string's value counts


@pytest.mark.parametrize(("before", "after"), [
    ("if slow:\n    %time run()\npass", "if slow:\n    pass\n%time run()"),  # where the magic runs
    ("%%capture\nrun()", "# quiet\n%%capture\nrun()"),  # a cell magic, or a broken line magic
])
def test_a_cell_with_a_magic_counts_as_written(repo: Path, before: str, after: str) -> None:
    page = repo / PAGE
    page.write_text(page.read_text() + f"\n```{{code-cell}} ipython3\n{before}\n```\n")
    first = fingerprint.fingerprint(Path(PAGE), repo)
    page.write_text(page.read_text().replace(before, after))
    assert fingerprint.fingerprint(Path(PAGE), repo) != first


def test_an_import_shown_in_the_prose_of_a_page_is_not_followed(repo: Path) -> None:
    page = repo / PAGE
    page.write_text(page.read_text() + "\nThe next page runs\n\n    from dltheory.other import thing\n\n"
                    "and reads `toy-unused.json`.\n")
    files = {p.relative_to(repo).as_posix() for p in fingerprint.inputs(Path(PAGE), repo)}
    assert "lib/dltheory/toy/page_two.py" in files and "lib/dltheory/data/toy-saved.json" in files
    assert "lib/dltheory/other/__init__.py" not in files and "lib/dltheory/data/toy-unused.json" not in files
    page.write_text(page.read_text() + "\n```{code-cell} ipython3\nfrom dltheory.other import thing\n```\n")
    assert repo / "lib" / "dltheory" / "other" / "__init__.py" in fingerprint.inputs(Path(PAGE), repo)


def test_an_import_written_in_a_docstring_is_not_followed(repo: Path) -> None:
    module = repo / "lib" / "dltheory" / "toy" / "page_two.py"
    module.write_text('"""A module. Its caller writes\n\n    from dltheory.other import thing\n"""\n' + module.read_text())
    files = {p.relative_to(repo).as_posix() for p in fingerprint.inputs(Path(PAGE), repo)}
    assert "lib/dltheory/toy/shared.py" in files and "lib/dltheory/other/__init__.py" not in files
    module.write_text(module.read_text() + "def g():\n    import dltheory.other\n")  # an import in a body runs
    assert repo / "lib" / "dltheory" / "other" / "__init__.py" in fingerprint.inputs(Path(PAGE), repo)


def test_the_imports_of_a_page_with_ipython_magics_are_found(repo: Path) -> None:
    page = repo / PAGE
    page.write_text(page.read_text() + "\n```{code-cell} ipython3\ntry:\n    import nothing_here\nexcept ImportError:\n"
                    "    %pip install x\n!ls\nfrom dltheory.other import thing\n```\n")
    files = {p.relative_to(repo).as_posix() for p in fingerprint.inputs(Path(PAGE), repo)}
    assert {"lib/dltheory/toy/page_two.py", "lib/dltheory/other/__init__.py"} <= files


def test_a_page_whose_code_is_not_python_is_refused(repo: Path) -> None:
    page = repo / PAGE
    page.write_text(page.read_text() + "\n```{code-cell} ipython3\nx = = 1\n```\n")
    with pytest.raises(ValueError, match="not Python"):
        fingerprint.fingerprint(Path(PAGE), repo)


def test_a_cell_in_a_longer_fence_is_fingerprinted_with_its_options(repo: Path) -> None:
    page = repo / PAGE
    page.write_text('# A page\n\n````{code-cell} ipython3\n:tags: [x]\nfrom dltheory.toy import page_two\n'
                    'shown = """\n```\n"""\n````\n')
    assert repo / "lib" / "dltheory" / "toy" / "page_two.py" in fingerprint.inputs(Path(PAGE), repo)
    before = fingerprint.fingerprint(Path(PAGE), repo)
    page.write_text(page.read_text().replace(":tags: [x]", ":tags: [y]"))
    assert fingerprint.fingerprint(Path(PAGE), repo) != before  # a cell's options are part of what runs
    tagged = fingerprint.fingerprint(Path(PAGE), repo)
    page.write_text(page.read_text().replace('shown = """\n', 'shown = """\nedited\n'))
    assert fingerprint.fingerprint(Path(PAGE), repo) != tagged  # the code after the inner fence counts too


@pytest.mark.parametrize(("claim", "stale"), [("toy/a", True), ("toy/c", False)])
def test_a_run_goes_stale_when_the_bar_of_a_claim_it_reported_changes(repo: Path, claim: str, stale: bool) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced"), _verdict("toy/b", "reproduced")],
                         seconds=1.0, root=repo)
    registry = repo / "lib" / "dltheory" / "registry" / "01-toy.toml"
    text = registry.read_text()
    bar = {"toy/a": "lower = 1\n", "toy/c": "lower = 3\n"}[claim]
    registry.write_text(text.replace(bar, bar.replace("= ", "= 1")) + "\n# a comment changes no entry\n")
    assert seeds.held(repo) == ({} if stale else {"toy/a": (2, 2), "toy/b": (2, 2)})


def test_registered_on_explains_a_record_and_does_not_stale_it(repo: Path) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "not reproduced")], seconds=1.0, root=repo)
    registry = repo / "lib" / "dltheory" / "registry" / "01-toy.toml"
    text = registry.read_text()
    on = 'lower = 1\n\n[claim.registered_on]\nbase_seeds = [2]\nreason = "missed there"\n'
    registry.write_text(text.replace("lower = 1\n", on, 1))
    assert seeds.held(repo) == {"toy/a": (2, 2)}  # it explains the record, it changes no measurement
    history = 'bar_fixed = "after"\n\n[[claim.bar_history]]\nold = { lower = 2 }\nreason = "moved"\n'
    with_code = 'bar_fixed = "with-code"\nbar_commit = "0123abc"\n'
    for provenance in (history, with_code):  # each as a registry entry writes it
        registry.write_text(text.replace("lower = 1\n", "lower = 1\n" + provenance, 1))
        assert seeds.held(repo) == {"toy/a": (2, 2)}  # when the bar was fixed, and what it was, changes no verdict
    registry.write_text(text.replace("lower = 1\n", 'statement = "edited"\n' + on, 1))
    assert seeds.held(repo) == {}  # anything else in the entry still counts


def test_one_run_is_not_a_seed_sweep(repo: Path) -> None:
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    assert seeds.held_text("toy/a", seeds.held(repo)) == ""


@pytest.mark.parametrize("seed", [-1, True, "3", 1.5])
def test_a_bad_seed_is_refused(repo: Path, seed: object) -> None:
    with pytest.raises(ValueError, match="base seed"):
        seeds.record_run(Path(PAGE), seed, [], seconds=1.0, root=repo)  # type: ignore[arg-type]


def test_bad_records_are_refused(repo: Path) -> None:
    with pytest.raises(ValueError, match="mode"):
        seeds.record_run(Path(PAGE), 0, [], seconds=1.0, mode="slow", root=repo)
    with pytest.raises(ValueError, match="seconds"):
        seeds.record_run(Path(PAGE), 0, [], seconds=float("nan"), root=repo)
    with pytest.raises(ValueError, match="'id' and 'passed'"):
        seeds.record_run(Path(PAGE), 0, [{"id": "toy/a"}], seconds=1.0, root=repo)
    with pytest.raises(ValueError, match="not inside the repository"):
        seeds.record_run(repo.parent / "elsewhere.md", 0, [], seconds=1.0, root=repo)
    seeds.record_path(Path(PAGE), repo).parent.mkdir(parents=True)
    seeds.record_path(Path(PAGE), repo).write_text('{"schema": 99, "runs": []}')
    with pytest.raises(ValueError, match="schema"):
        seeds.load(Path(PAGE), repo)


def test_the_command_line_needs_seeds() -> None:
    with pytest.raises(SystemExit):
        seeds._main(["run", PAGE])


def test_the_ledger_reads_the_record_of_the_book_it_builds(repo: Path) -> None:
    for seed in (3, 4):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    app = SimpleNamespace(srcdir=str(repo))
    assert sphinxext._seed_counts(app) == {"toy/a": (2, 2)}


def test_the_records_in_the_repository_are_readable() -> None:
    root = notebooks.repo_root(Path(__file__).parent)
    for path in sorted((root / seeds.RECORD_DIR).glob("*/*.json")):
        page = seeds.page_of_record(path, root)
        assert page is not None, f"{path} records a page that does not exist"
        data = seeds.load(page, root)
        assert all({"seed", "mode", "fingerprint", "verdicts"} <= set(run) for run in data["runs"]), path


def test_the_table_counts_each_claim_over_the_seeds_its_page_ran() -> None:
    rows = {"p/a": {0: "PASS 1", 1: "PASS 1"}, "q/b": {0: "PASS 1", 1: "FAIL 0", 2: "PASS 1"}}
    statuses = {"p/a": {0: "reproduced", 1: "reproduced"}, "q/b": {0: "reproduced", 1: "failed", 2: "reproduced"}}
    text = notebooks.seed_table(rows, statuses, [0, 1, 2], ran={"p/a": [0, 1], "q/b": [0, 1, 2]})
    assert "| 2/2" in text and "| 2/3" in text and "q/b (2/3)" in text and "p/a (" not in text
    text = notebooks.seed_table(rows, statuses, [0, 1, 2])  # without ``ran`` a missing seed was never reached
    assert "p/a (2/3)" in text


def test_comments_and_docstrings_of_a_module_can_change_under_its_record(repo: Path) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    module = repo / "lib" / "dltheory" / "toy" / "page_two.py"
    module.write_text('"""A docstring."""\n# a comment\n' + module.read_text().replace("X", "X") + "# more\n")
    (repo / "lib" / "dltheory" / "toy" / "__init__.py").write_text('"""The toy chapter, its table of pages."""\n')
    assert seeds.held(repo) == {"toy/a": (2, 2)}
    module.write_text(module.read_text().replace("'toy-saved.json'", "'toy-saved.json'  # same") + "Y = 2\n")
    assert seeds.held(repo) == {}


def _git(repo: Path, *args: str) -> str:
    import subprocess
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": __import__("os").environ["PATH"], "HOME": str(repo)}
    return subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True).stdout


def test_a_run_outside_a_git_checkout_names_no_commit(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLTHEORY_COMMIT", raising=False)
    seeds.record_run(Path(PAGE), 0, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    monkeypatch.setenv("DLTHEORY_COMMIT", "abcdef0123456789")  # named, but git cannot say the tree is clean
    seeds.record_run(Path(PAGE), 1, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    assert [r["commit"] for r in seeds.load(Path(PAGE), repo)["runs"]] == ["unknown", "unknown"]


def test_refresh_rekeys_a_run_whose_commit_holds_todays_code(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLTHEORY_COMMIT", raising=False)  # the toy repository's own commit
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "toy")
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    path = seeds.record_path(Path(PAGE), repo)
    data = json.loads(path.read_text())
    assert all(r["commit"] and "+changes" not in r["commit"] for r in data["runs"])
    for run in data["runs"]:
        run["fingerprint"] = "0" * 16  # as if recorded under an older fingerprint scheme
    data["runs"][1]["commit"] = data["runs"][1]["commit"] + "+changes"  # never re-keyed
    path.write_text(json.dumps(data))
    assert seeds.held(repo) == {}
    data = json.loads(path.read_text())
    data["runs"].append(dict(data["runs"][0], date="2000-01-01", verdicts={"toy/a": dict(
        data["runs"][0]["verdicts"]["toy/a"], status="failed")}))  # an older run of seed 0 at the same commit
    path.write_text(json.dumps(data))
    assert seeds.refresh(Path(PAGE), root=repo) == 2
    assert seeds.held(repo) == {"toy/a": (1, 1)}  # seed 0 counted once, from its latest run
    module = repo / "lib" / "dltheory" / "toy" / "shared.py"
    module.write_text("X = 2\n")  # today's code differs from the commit's: nothing to re-key, and the run is stale
    assert seeds.refresh(Path(PAGE), root=repo) == 0 and seeds.held(repo) == {}


def _judged(cid: str, status: str, value: float, *, provenance: str | None = None, near: bool = False,
            null_near: bool = False) -> dict:
    """A verdict record as a page prints it (:meth:`dltheory.claims.Verdict.record`), with a margin and a null's."""
    sides = [side for side, on in (("claim", near), ("null", null_near)) if on]
    return {"id": cid, "passed": status == "reproduced", "status": status, "value": value,
            "provenance": provenance, "margin": {"marginal": near},
            "null": {"value": 0.1, "passed": False, "margin": {"marginal": null_near}},
            "marginal": bool(sides), "marginal_sides": sides}


SAVED = "saved fast-mode run toy.npz, of today's code (toy config; 2026-12-01; cpu; DLTHEORY_LIVE=1 reruns it)"
FULL = "saved full-mode run (toy config; 2026-12-01; H200)"


def test_the_record_keeps_where_a_verdict_came_from_and_whether_it_was_marginal(repo: Path) -> None:
    for seed in (0, 1, 2):
        seeds.record_run(Path(PAGE), seed, [
            _judged("toy/a", "reproduced", 1.5, provenance=SAVED if seed == 0 else None, near=seed == 1),
            _judged("toy/b", "not reproduced", 0.4, provenance=FULL, null_near=True),
        ], seconds=1.0, root=repo)
    runs = seeds.load(Path(PAGE), repo)["runs"]
    assert [r["verdicts"]["toy/a"]["provenance"] for r in runs] == [SAVED, seeds.LIVE, seeds.LIVE]
    assert [r["verdicts"]["toy/a"]["marginal_sides"] for r in runs] == [[], ["claim"], []]
    assert all(r["verdicts"]["toy/b"]["provenance"] == FULL for r in runs)
    assert all(r["verdicts"]["toy/b"]["marginal_sides"] == ["null"] for r in runs)
    # toy/a: base seed 0 read the saved run, 1 and 2 ran live: three runs. toy/b: one saved full run, read thrice
    assert seeds.held(repo) == {"toy/a": (3, 3), "toy/b": (1, 1)}
    assert seeds.held_text("toy/b", seeds.held(repo)) == ""  # one run is not a sweep
    text = seeds.table(root=repo, registered_on={})
    rows = {line.split(" | ")[0].strip(): line.split(" | ") for line in text.splitlines() if " | " in line}
    assert rows["toy/a"][-1] == "3/3" and rows["toy/b"][-1] == "1/1 (3 base seeds, 1 saved run)"
    assert rows["toy/a"][1].strip() == "PASS 1.5 [saved]" and rows["toy/a"][2].strip() == "PASS 1.5 ~"
    assert rows["toy/a"][3].strip() == "PASS 1.5"
    assert all(cell.strip() == "NOT-REPRODUCED 0.4 ~null [saved]" for cell in rows["toy/b"][1:4])
    assert "~: marginal" in text.splitlines()[-1]


def test_a_record_made_before_provenance_and_margins_reads_as_before(repo: Path) -> None:
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced")], seconds=1.0, root=repo)
    path = seeds.record_path(Path(PAGE), repo)
    data = json.loads(path.read_text())
    assert "provenance" not in data["runs"][0]["verdicts"]["toy/a"]  # _verdict has neither field: nothing invented
    assert "marginal_sides" not in data["runs"][0]["verdicts"]["toy/a"]
    assert seeds.held(repo) == {"toy/a": (2, 2)}
    text = seeds.table(root=repo, registered_on={})
    assert "| PASS 1 " in text and "[saved]" not in text and "~" not in text and "2/2" in text


def test_a_malformed_provenance_is_refused(repo: Path) -> None:
    with pytest.raises(ValueError, match="provenance must be None"):
        seeds.record_run(Path(PAGE), 0, [_judged("toy/a", "reproduced", 1.0, provenance="  ")], seconds=1.0,
                         root=repo)


def test_registered_on_explains_a_record_that_passes_everywhere_unless_it_covers_those_seeds() -> None:
    from dltheory.claims.schema import RegisteredOn

    rows = {"c/nr": {0: "NR-BUT-PASSED 1", 100: "NR-BUT-PASSED 1"},
            "c/nat": {0: "NAT-BUT-NULL-MISSED 1", 100: "NAT-BUT-NULL-MISSED 1"}}
    statuses = {"c/nr": dict.fromkeys((0, 100), "not reproduced (passed this run)"),
                "c/nat": dict.fromkeys((0, 100), "not a test (its null missed the bar this run)")}
    where = {"c/nr": RegisteredOn((2, 3), "misses on 1 of 3 seeds there"),
             "c/nat": RegisteredOn((1002,), "the null meets the bar on seeds 1002-1004")}
    text = notebooks.seed_table(rows, statuses, [0, 100], registered_on=where)
    assert "register it again" not in text
    assert "c/nr: registered on base seeds 2, 3 (fast mode): misses on 1 of 3 seeds there" in text
    assert "c/nat: registered on base seed 1002 (fast mode)" in text
    # a table that covers one of those base seeds, and has the claim pass there, contradicts the registry
    rows["c/nr"][2] = "NR-BUT-PASSED 1"
    statuses["c/nr"][2] = "not reproduced (passed this run)"
    text = notebooks.seed_table(rows, statuses, [0, 2, 100], registered_on=where)
    assert "(register it again?): c/nr (its registry places its registered outcome on base seed(s) 2, 3" in text
    assert "pass on 2)" in text and "c/nr: registered on" not in text


def test_the_runners_own_table_reads_the_registrys_registered_on(monkeypatch, capsys) -> None:
    """``notebooks run --seeds`` prints the same explanation as ``seeds table`` (it once flagged such claims)."""
    from dltheory import claims

    cid = "03-grokking/omnigrok-constrained-1500"          # registered not a test on base seed 4 only
    assert claims.get(cid).registered_on.base_seeds == (4,)
    record = {"id": cid, "status": "not a test (its null missed the bar this run)", "passed": True,
              "summary": "0.333", "criterion": "≤ 1.5", "value": 0.333}
    monkeypatch.setattr(notebooks, "run_page", lambda page, seed=None, keep_going=False: (1.0, [record]))
    assert notebooks._run([Path("page.md")], [0, 100]) == 0
    out = capsys.readouterr().out
    assert "register it again" not in out and f"{cid}: registered on base seed 4 (fast mode)" in out
    monkeypatch.setenv("DLTHEORY_MODE", "full")                 # a full build: the fast-mode reason does not apply
    assert notebooks._run([Path("page.md")], [0, 100]) == 0
    assert "(register it again?): " + cid in capsys.readouterr().out


def test_a_verdict_as_the_claims_judge_records_it_keeps_its_provenance_and_margin(repo: Path) -> None:
    from dltheory import claims

    cid = "02-benign-overfitting/deep-noise-amplifies"  # registered not reproduced: >= 2 on every seed
    saved = {"config": "toy", "date": "2026-12-01", "device": "cpu", "mode": "fast"}
    judged = [claims.check(cid, [1.0, 1.5, 1.9], seeds=[0, 1, 2], provenance=saved if seed == 0 else None,
                           mode="fast", display=False, raise_on_fail=False).record() for seed in (0, 1)]
    assert judged[0]["provenance"].startswith("saved fast-mode run") and judged[1]["provenance"] is None
    for seed, rec in zip((0, 1), judged):
        seeds.record_run(Path(PAGE), seed, [rec], seconds=1.0, root=repo)
    runs = seeds.load(Path(PAGE), repo)["runs"]
    assert [r["verdicts"][cid]["provenance"] for r in runs] == [judged[0]["provenance"], seeds.LIVE]
    assert [r["verdicts"][cid]["marginal_sides"] for r in runs] == [rec["marginal_sides"] for rec in judged]
    assert judged[1]["marginal_sides"] == ["claim"]  # 1.9 against a bar of 2: the worst seed sits near it


def test_the_book_s_table_explains_its_two_passing_registrations() -> None:
    from dltheory import claims

    root = notebooks.repo_root(Path(__file__).parent)
    text = seeds.table(root=root)
    for cid in ("05-information-theory/relu-compression-most", "02-benign-overfitting/deep-mse-peak"):
        where = claims.get(cid).registered_on
        assert where is not None and where.mode == "fast", cid
        flags = [line for line in text.splitlines() if line.startswith("registered as")]
        assert not any(cid in line for line in flags), f"{cid} is still flagged: {flags}"
        broken = [line for line in text.splitlines() if line.startswith("failed (or never reached)")]
        if any(cid in line for line in broken):  # no longer passing everywhere: listed as failing, not explained
            continue
        if seeds.held(root).get(cid, (0, 0))[1] >= 2:  # a fresh record: the table gives the registry's reason
            assert f"  {cid}: registered on base seed" in text


def test_live_runs_with_the_same_values_under_every_base_seed_are_one_run(repo: Path) -> None:
    """A claim on fixed held-out seeds measures the same values whatever the base seed: one run, not ten. Values
    that differ on one base seed keep every base seed a run of its own."""
    for seed in (0, 1, 2):
        fixed = _judged("toy/a", "reproduced", 1.5)
        fixed.update(values=[1.5, 1.6], seeds=[1000, 1001], interval=[1.0, None])
        varies = _judged("toy/b", "reproduced", 2.5)
        varies.update(values=[2.5, 2.6 if seed else 2.7], seeds=[seed, seed + 1], interval=[2.0, None])
        seeds.record_run(Path(PAGE), seed, [fixed, varies], seconds=1.0, root=repo)
    runs = seeds.fresh_runs(Path(PAGE), root=repo)
    assert seeds.claim_sources(runs, "toy/a") == {0: seeds.REPEATED, 1: seeds.REPEATED, 2: seeds.REPEATED}
    assert set(seeds.claim_sources(runs, "toy/b").values()) == {seeds.LIVE}
    assert seeds.held(repo) == {"toy/a": (1, 1), "toy/b": (3, 3)}
    text = seeds.table(root=repo, registered_on={})
    rows = {line.split(" | ")[0].strip(): line.split(" | ") for line in text.splitlines() if " | " in line}
    assert rows["toy/a"][-1] == "1/1 (3 base seeds, the same values under each)"
    assert rows["toy/a"][1].strip() == "PASS 1.5 [same]" and rows["toy/b"][-1] == "3/3"


def test_an_old_fast_run_of_a_full_mode_claim_read_a_saved_result(repo: Path) -> None:
    """A fast build judges a claim registered for full mode only on a saved full-mode result, so its verdicts in
    fast runs recorded without provenance were one run, however many base seeds read it; a claim for any mode keeps
    each base seed a run of its own."""
    for seed in (0, 1, 2):
        seeds.record_run(Path(PAGE), seed, [_verdict("toy/a", "reproduced"), _verdict("toy/b", "reproduced")],
                         seconds=1.0, root=repo)
    records = seeds.fresh_records(repo)
    runs = next(iter(records.values()))
    assert set(seeds.claim_sources(runs, "toy/a", registered_mode="full").values()) == {seeds.SAVED_FULL}
    assert set(seeds.claim_sources(runs, "toy/a", registered_mode="any").values()) == {None}
    assert seed_counts.held(records, {"toy/a": "full"}) == {"toy/a": (1, 1), "toy/b": (3, 3)}
    text = seed_counts.table(records, {"toy/a": "full"}, {})
    assert "1/1 (3 base seeds, 1 saved run)" in text and "PASS 1 [saved]" in text


def test_without_seed_labels_only_values_that_cannot_repeat_by_chance_make_one_run(repo: Path) -> None:
    """Recorded without the seeds' labels (runs of 2026-12-06): a perfect rank order, 1.0 under every base seed, is
    a live measurement each time; 0.4273 under every base seed is one run."""
    for seed in (0, 1, 2):
        order, fixed = _judged("toy/a", "reproduced", 1.0), _judged("toy/b", "reproduced", 0.4273)
        order.update(values=[1.0, 1.0, 1.0], seeds=None)
        fixed.update(values=[0.4273, 0.5], seeds=None)
        seeds.record_run(Path(PAGE), seed, [order, fixed], seconds=1.0, root=repo)
    runs = seeds.fresh_runs(Path(PAGE), root=repo)
    assert set(seeds.claim_sources(runs, "toy/a").values()) == {seeds.LIVE}
    assert set(seeds.claim_sources(runs, "toy/b").values()) == {seeds.REPEATED}


def test_a_full_mode_claim_read_in_fast_runs_is_one_run_whether_or_not_its_provenance_was_recorded(repo: Path) -> None:
    old = _verdict("toy/a", "reproduced")
    for seed in (0, 1):
        seeds.record_run(Path(PAGE), seed, [old], seconds=1.0, root=repo)
    for seed in (2, 3):
        seeds.record_run(Path(PAGE), seed, [_judged("toy/a", "reproduced", 1.0, provenance=FULL)], seconds=1.0,
                         root=repo)
    records = seeds.fresh_records(repo)
    assert seed_counts.held(records, {"toy/a": "full"}) == {"toy/a": (1, 1)}
    assert seed_counts.held(records, {"toy/a": "any"}) == {"toy/a": (3, 3)}  # two old live runs and the saved one


def test_one_run_only_when_every_live_base_seed_agrees_in_values_null_and_labels(repo: Path) -> None:
    def entry(values, null=(0.1,), labels=(1000, 1001)):
        e = _judged("toy/a", "reproduced", 1.5)
        e.update(values=list(values), seeds=list(labels), interval=[1.0, None])
        e["null"]["values"] = list(null)
        return e

    cases = {  # base seed -> entry; every case has base seeds 0 and 1
        "same": [entry([1.5, 1.6]), entry([1.5, 1.6])],
        "values differ, labels agree": [entry([1.5, 1.6]), entry([1.5, 1.7])],
        "null differs": [entry([1.5, 1.6]), entry([1.5, 1.6], null=(0.2,))],
        "one base seed": [entry([1.5, 1.6])],
        "one without values": [entry([1.5, 1.6]), entry([1.5, 1.6]), _verdict("toy/a", "reproduced", 1.5)],
    }
    for name, entries in cases.items():
        for path in (repo / seeds.RECORD_DIR).glob("*/*.json"):
            path.unlink()
        for seed, e in enumerate(entries):
            seeds.record_run(Path(PAGE), seed, [e], seconds=1.0, root=repo)
        where = set(seeds.claim_sources(seeds.fresh_runs(Path(PAGE), root=repo), "toy/a").values())
        assert (seeds.REPEATED in where) == (name == "same"), name
