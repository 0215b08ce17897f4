"""Full mode fits the GPU budget (issue 22): every experiment config estimates its own cost, and every chapter's
full mode, estimated from those costs and the measured rates of one H200 (``data/device-rates.toml``), stays within
10 minutes run alone, the whole book within 30. No timing here: the estimates are arithmetic on the configs.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from dltheory import runtime
from dltheory.book import budget
from dltheory.book.notebooks import notebook_pages

ROOT = Path(__file__).resolve().parents[1]
PAGES = notebook_pages(ROOT)


def _config_class(module: str, cls: str) -> type:
    return getattr(importlib.import_module(module), cls)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_config_a_page_runs_estimates_its_cost(page):
    for module, cls, how in budget.page_configs(page):
        cost = getattr(_config_class(module, cls), how)().cost()
        assert isinstance(cost, runtime.Cost), f"{cls}.cost() must return a runtime.Cost"
        assert cost.flops + cost.host_flops > 0, f"{cls}.cost() counts no work"
        assert cost.bytes < budget.device_rates().memory_bytes, f"{cls} does not fit in the device's memory"


def test_the_worked_page_and_the_chapters_name_their_configs():
    found = {cls for page in PAGES for _, cls, _ in budget.page_configs(page)}
    assert {"GrokConfig", "SparseParityConfig", "CorpusConfig", "PlaneConfig"} <= found
    assert budget.page_cost(ROOT / "book" / "how-to-read.md").flops > 0  # its config is defined in the page


def test_every_chapter_and_the_book_fit_the_budget():
    table = budget.estimate(PAGES)
    assert set(table) == {"00", "01", "02", "03", "04", "05", "06"}
    assert budget.over_budget(table) == [], "full mode is over the GPU budget (python -m dltheory.book.budget)"


def _stale_entries() -> list[str]:
    """The entries of ``budget.OVER_BUDGET`` that are wrong: no page runs the config in full mode, the reduction
    saves nothing, the config is no longer over budget as it is (its chapter, the others reduced, fits), or the
    entry does not say what fraction of the paper's configuration the proposal is."""
    limits = budget.budgets()
    pages_of: dict[str, list[Path]] = {}
    for page in PAGES:
        for module, cls, how in budget.page_configs(page):
            if how == "full":
                pages_of.setdefault(f"{module.removeprefix('dltheory.')}.{cls}", []).append(page)
    rates = budget.device_rates()
    stale = []
    for key, reduction in budget.OVER_BUDGET.items():
        if key not in pages_of:
            stale.append(f"OVER_BUDGET names {key}, which no page runs in full mode")
            continue
        module, cls = key.rsplit(".", 1)
        full = _config_class(f"dltheory.{module}", cls).full()
        reduced = full.replace(**reduction.changes)  # the proposal is a valid config
        if reduced.cost().seconds(rates) >= full.cost().seconds(rates):
            stale.append(f"{key}: the reduction saves nothing")
        chapter = budget.chapter_of(pages_of[key][0], ROOT)
        as_is = budget.estimate([p for p in PAGES if budget.chapter_of(p, ROOT) == chapter], reduce=False)
        if budget.chapter_seconds(as_is[chapter]) <= limits["chapter_seconds"]:
            stale.append(f"{key} is no longer over budget as it is: remove it from budget.OVER_BUDGET")
        if not reduction.fraction.strip():
            stale.append(f"{key}: say what fraction of the paper's configuration the proposal is")
    return stale


def test_the_list_of_configs_over_budget_is_current():
    """Every full configuration now fits (the list is empty); a config that outgrows the budget again is listed
    here with the reduction proposed for it, and this test fails as soon as an entry is no longer over."""
    assert _stale_entries() == []


def test_a_stale_entry_of_the_list_fails(monkeypatch):
    """The staleness check can fail: a planted entry for the coding-rate config, which fits as it is."""
    planted = budget.Reduction({"steps": 1000}, "a tenth of the steps")
    monkeypatch.setattr(budget, "OVER_BUDGET", {"information.coding_rate.MCR2Config": planted})
    assert any("no longer over budget" in line for line in _stale_entries())
    monkeypatch.setattr(budget, "OVER_BUDGET", {"grokking.models.NoSuchConfig": planted})
    assert any("no page runs" in line for line in _stale_entries())


def test_a_config_over_budget_fails_the_check(monkeypatch):
    """The check can fail: a planted grokking config with 100 times the steps puts chapter 3 over."""
    from dltheory.grokking import models

    planted = models.GrokConfig.full().replace(steps=2_000_000, eval_every=1000)
    monkeypatch.setattr(models.GrokConfig, "full", classmethod(lambda cls: planted))
    monkeypatch.setattr(budget, "OVER_BUDGET", {})  # a listed reduction would replace the planted steps
    problems = budget.over_budget(budget.estimate(PAGES))
    assert any(line.startswith("chapter 03") for line in problems), problems
    assert any(line.startswith("the book") for line in problems), problems


def test_cost_arithmetic_and_bad_input():
    a = runtime.Cost(flops=1e12, bytes=10.0, steps=5)
    b = runtime.Cost(host_flops=1e9, bytes=20.0, steps=1)
    total = a + b
    assert (total.flops, total.host_flops, total.bytes, total.steps) == (1e12, 1e9, 20.0, 6)
    assert (a * 3).steps == 15 and (a * 3).bytes == 10.0
    rates = budget.device_rates()
    assert a.seconds(rates) == pytest.approx(1e12 / rates.device_flops + 5 * rates.step_seconds)
    assert runtime.Cost.training(params=10, batch=4, steps=2).flops == 6 * 10 * 4 * 2
    for bad in ({"flops": -1.0}, {"bytes": float("nan")}, {"steps": True}, {"host_flops": "1"}):
        with pytest.raises(ValueError):
            runtime.Cost(**bad)
    with pytest.raises(NotImplementedError):
        runtime.ModeConfig.cost(object())  # a config without its own cost() says so
    with pytest.raises(ValueError, match="mode"):
        budget.page_cost(ROOT / "book" / "how-to-read.md", mode="gpu")


def test_rates_file_records_its_provenance(tmp_path):
    rates = budget.device_rates()
    assert rates.device == "NVIDIA H200" and "128.6" in rates.provenance and "10.7" in rates.provenance
    assert rates.device_flops < 128.6e12 / 4  # a conservative effective rate, never the peak
    broken = tmp_path / "rates.toml"
    broken.write_text('[device]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="missing"):
        budget.device_rates(broken)


def test_code_cells_are_read_without_jupytext():
    text = "---\nkernelspec: x\n---\n# t\n```{code-cell} ipython3\n:tags: [hide-input]\n\nx = 1\n```\n" \
           "```{code-cell} ipython3\n---\ntags: [a]\n---\ny = 2\n```\n"
    assert budget.code_cells(text) == ["x = 1", "y = 2"]
    assert budget.code_cells(text, keep_options=True) == [":tags: [hide-input]\n\nx = 1", "---\ntags: [a]\n---\ny = 2"]
    longer = '````{code-cell} ipython3\n:tags: [x]\ns = """\n```\n"""\n````\n'  # a fence inside a longer one
    assert budget.code_cells(longer) == ['s = """\n```\n"""']
    assert budget.code_cells(longer, keep_options=True) == [':tags: [x]\ns = """\n```\n"""']
    with pytest.raises(ValueError, match="not closed"):
        budget.code_cells("```{code-cell} ipython3\nx = 1\n")


def test_page_configs_resolve_every_name(tmp_path):
    page = tmp_path / "p.md"
    cells = ("from dltheory.grokking import models as gm\nfrom dltheory.grokking.models import GrokConfig\n"
             "a = gm.GrokConfig.from_env()\nb = GrokConfig.fast()\nclass Config(object):\n    pass\nc = Config.full()")
    page.write_text(f"```{{code-cell}} ipython3\n{cells}\n```\n", encoding="utf-8")
    assert budget.page_configs(page) == [("dltheory.grokking.models", "GrokConfig", "full"),
                                         ("dltheory.grokking.models", "GrokConfig", "fast")]
    page.write_text("```{code-cell} ipython3\nd = MysteryConfig.full()\n```\n", encoding="utf-8")
    with pytest.raises(ValueError, match="neither imports"):
        budget.page_configs(page)  # nothing a page runs escapes the budget silently


def test_code_cells_agree_with_jupytext_on_every_page():
    """The runner reads pages without jupytext (the GPU machine lacks it); it must read what jupytext reads."""
    from dltheory.book.notebooks import read_page

    for page in PAGES:
        ours = budget.code_cells(page.read_text(encoding="utf-8"))
        theirs = [c.source for c in read_page(page).cells if c.cell_type == "code"]
        assert [c.strip() for c in ours] == [c.strip() for c in theirs], page


def test_every_config_a_page_runs_says_what_fraction_of_the_paper_it_is():
    """Issue 22: each page states what fraction of the paper's configuration its full mode is, and why."""
    assert budget.missing_paper_scale(PAGES) == []
    for page in PAGES:
        for cls, text in budget.page_scales(page):
            assert cls and len(text) <= 400, f"{page}: {cls}.paper_scale() should be one short sentence"
    scales = dict(budget.page_scales(ROOT / "chapters" / "01-scaling-laws" / "06-quanta-network.md"))
    assert "of the paper's 30 widths" in scales["SparseParityConfig"]
    assert "dimension" in dict(budget.page_scales(ROOT / "book" / "how-to-read.md"))["Config"]  # the worked page's own


def test_a_config_without_its_paper_scale_is_found(monkeypatch):
    """The check can fail: the grokking config without its own paper_scale(), then with one that says nothing."""
    from dltheory.grokking import models

    monkeypatch.delattr(models.GrokConfig, "paper_scale")
    with pytest.raises(NotImplementedError):
        models.GrokConfig.full().paper_scale()  # the base class says it is missing
    assert any("GrokConfig: no paper_scale()" in line for line in budget.missing_paper_scale(PAGES))
    monkeypatch.setattr(models.GrokConfig, "paper_scale", lambda self: " ", raising=False)
    assert any("GrokConfig: paper_scale() says nothing" in line for line in budget.missing_paper_scale(PAGES))


def test_a_chapter_is_counted_as_the_runner_runs_it():
    """Pages side by side share the hosts' seconds; the device's add up; never quicker than the longest page."""
    pages = {"a": (10.0, 100.0), "b": (0.0, 100.0)}
    assert budget.chapter_seconds(pages) == pytest.approx(10 + 200 / 2)
    assert budget.chapter_seconds(pages, parallel=1) == pytest.approx(210) == budget.sequential_seconds(pages)
    assert budget.chapter_seconds({"a": (0.0, 500.0), "b": (0.0, 100.0), "c": (0.0, 100.0)}) == 500  # the longest
    assert budget.chapter_seconds({}) == 0
    table = {"01": pages, "02": {"c": (5.0, 100.0)}}
    assert budget.book_seconds(table) == pytest.approx(15 + 300 / 3)


def test_the_page_start_is_held_to_the_measured_gpu_run(tmp_path):
    """The rates' page start covers at least 75% of the full-mode pages of the first GPU run beyond their estimated
    work (data/device-rates.toml, [calibration]); the check fails on the first rates' 20 s, which covered 0 of 14."""
    assert budget.calibration_problems() == []
    source = (ROOT / "lib" / "dltheory" / "data" / "device-rates.toml").read_text(encoding="utf-8")
    assert "page_seconds = 100\n" in source
    planted = tmp_path / "rates.toml"
    planted.write_text(source.replace("page_seconds = 100\n", "page_seconds = 20\n"), encoding="utf-8")
    problems = budget.calibration_problems(planted)
    assert len(problems) == 1 and "covers 0% of the measured pages" in problems[0], problems
    assert budget.device_rates(planted).page_seconds == 20
    planted.write_text(source.split("\n[calibration]\n")[0], encoding="utf-8")
    assert "no [calibration] pages" in budget.calibration_problems(planted)[0]


def test_a_page_that_runs_a_config_longer_says_so(monkeypatch):
    # page 3.2 trains the chapter's transformer 1.5 times as long: its section module's page_runs counts that
    from dltheory.grokking import fourier_circuit as fc
    from dltheory.grokking.models import GrokConfig

    page = ROOT / "chapters" / "03-grokking" / "02-fourier-circuit.md"
    assert budget.section_module(page) is fc
    assert budget.section_module(ROOT / "book" / "how-to-read.md") is None
    full = GrokConfig.full().replace(**budget.OVER_BUDGET["grokking.models.GrokConfig"].changes)
    longer = full.replace(steps=int(fc.STEPS_FACTOR * full.steps)).cost()
    assert budget.page_cost(page) == longer
    assert budget.page_cost(page, reduce=False).flops > longer.flops
    # a hook that counts less than the configs the page names, or that returns no Cost, is refused
    monkeypatch.setattr(fc, "page_runs", lambda config: runtime.Cost(flops=1.0, steps=1))
    with pytest.raises(ValueError, match="counts less than the configs the page names"):
        budget.page_cost(page)
    monkeypatch.setattr(fc, "page_runs", lambda config: 1e12)
    with pytest.raises(ValueError, match="must return a runtime.Cost"):
        budget.page_cost(page)
