"""The committed full-mode GPU runs (``results/full-gpu/<date>-<commit>/``), as the website shows them (issue 22).

The book is built in fast mode on a CPU; the results of real full-mode runs on a GPU (written by
:mod:`dltheory.book.fullrun` and committed) are shown beside the fast ones: a *Full mode (GPU)* column in the ledger
(:func:`ledger_cell`, :func:`ledger_note`) and, at the end of every notebook page, a folded section with the page's
full-mode status, time and verdicts and where they come from (:func:`page_section_html`). Both come from
:mod:`dltheory.book.sphinxext`. A claim without a GPU verdict says *no GPU verdict yet*.

The whole book in full mode takes longer than one GPU session, so a run may cover some chapters only
(``GPU_RUN_PAGES``). :class:`Results` merges every committed run: each claim shows its verdict from the newest run
that checked it, and each page its record from the newest run that included it, each with that run's provenance.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["RESULTS", "Bundle", "Results", "latest_bundle", "collect", "ledger_note", "ledger_cell", "page_section_html",
           "performance_html"]

#: where bundles live, relative to the repository's root
RESULTS = Path("results") / "full-gpu"

#: a GPU verdict in words: unlike the fast-mode verdicts' words, so that the ledger's counts never mix the two
_MARKS = {"reproduced": "✔ holds on the GPU", "not reproduced": "◐ not reproduced on the GPU (as registered)",
          "not reproduced (passed this run)": "◐ not reproduced (registered); passed on the GPU",
          "not reproduced (its null passed this run)": "◐ not reproduced (registered); its null passed on the GPU",
          "derived": "= derived on the GPU", "failed": "✘ fails on the GPU",
          "cannot fail": "✘ cannot fail on the GPU: its null passes too", "degenerate": "✘ degenerate run on the GPU",
          "not a test": "○ not a test on the GPU: its null meets the bar (as registered)",
          "not a test (its null missed the bar this run)": "○ not a test (registered); its null missed on the GPU"}


@dataclasses.dataclass(frozen=True)
class Bundle:
    """One full-mode run: ``run`` (``run.json``) and its verdicts (``claims.jsonl``), newest last per claim."""

    folder: Path
    run: Mapping[str, Any]
    verdicts: tuple[Mapping[str, Any], ...]

    @classmethod
    def read(cls, folder: Path) -> Bundle:
        """Read ``folder``; a bundle without ``run.json``, or of another mode than full, raises ``ValueError``."""
        folder = Path(folder)
        try:
            run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"{folder}: not a results bundle ({err})") from None
        if run.get("mode") != "full" or not isinstance(run.get("pages"), list):
            raise ValueError(f"{folder}: not a full-mode bundle (mode {run.get('mode')!r})")
        claims_file = folder / "claims.jsonl"
        lines = claims_file.read_text(encoding="utf-8").splitlines() if claims_file.is_file() else []
        return cls(folder, run, tuple(json.loads(line) for line in lines if line.strip()))

    @property
    def files(self) -> list[Path]:
        """The files the website depends on (a build re-reads the pages when they change)."""
        return [p for p in (self.folder / "run.json", self.folder / "claims.jsonl") if p.is_file()]

    def provenance(self) -> str:
        """``"NVIDIA H200, JAX 0.11.2, matmul highest, 2026-12-04 21:30 UTC, commit 750cb1e"``.

        A run made before the book pinned its matrix-product precision (``runtime.matmul_precision``) records
        none; it multiplied at JAX's default (TensorFloat-32 on an NVIDIA GPU), and says so.
        """
        dirty = " with local changes" if self.run.get("dirty") else ""
        precision = self.run.get("matmul_precision") or "JAX default"
        return (f"{self.run.get('device', 'unknown device')}, JAX {self.run.get('jax', '?')}, matmul {precision}, "
                f"{self.run.get('date', 'unknown date')}, commit {str(self.run.get('commit', '?'))[:7]}{dirty}")

    def verdict(self, claim_id: str) -> Mapping[str, Any] | None:
        """The last full-mode verdict of ``claim_id`` in this run (a saved result shown in full mode excluded)."""
        found = [v for v in self.verdicts if v.get("id") == claim_id and not v.get("provenance")]
        return found[-1] if found else None

    def page(self, page: str) -> Mapping[str, Any] | None:
        """The record of ``page`` (a path such as ``chapters/03-grokking/01-memorise-then-generalise.md``)."""
        return next((p for p in self.run["pages"] if p.get("page") == page), None)

    def page_verdicts(self, page: str) -> list[Mapping[str, Any]]:
        return [v for v in self.verdicts if v.get("page") == page]


def _date(bundle: Bundle) -> tuple[str, str]:
    return str(bundle.run.get("date", "")), bundle.folder.name


def _bundles(root: Path) -> list[Bundle]:
    """Every readable full-mode bundle under ``root/results/full-gpu``, in no particular order."""
    folder = Path(root) / RESULTS
    found = []
    for sub in sorted(folder.glob("*/run.json")) if folder.is_dir() else []:
        try:
            found.append(Bundle.read(sub.parent))
        except ValueError:
            continue
    return found


def latest_bundle(root: Path) -> Bundle | None:
    """The newest full-mode bundle under ``root/results/full-gpu`` (by the date in its ``run.json``), or ``None``."""
    results = collect(root)
    return results.newest if results else None


@dataclasses.dataclass(frozen=True)
class Results:
    """Every committed full-mode run, newest first, merged: per claim and per page, the newest run that has it."""

    bundles: tuple[Bundle, ...]

    def __post_init__(self) -> None:
        if not self.bundles:
            raise ValueError("Results needs at least one bundle; use collect(), which returns None when there is none")
        object.__setattr__(self, "bundles", tuple(sorted(self.bundles, key=_date, reverse=True)))

    @property
    def newest(self) -> Bundle:
        return self.bundles[0]

    @property
    def files(self) -> list[Path]:
        return [path for bundle in self.bundles for path in bundle.files]

    def verdict(self, claim_id: str) -> tuple[Mapping[str, Any], Bundle] | None:
        """The verdict of ``claim_id`` in the newest run that checked it in full mode, with that run."""
        for bundle in self.bundles:
            if (verdict := bundle.verdict(claim_id)) is not None:
                return verdict, bundle
        return None

    def page(self, page: str) -> tuple[Mapping[str, Any], Bundle] | None:
        """The record of ``page`` in the newest run that included it, with that run."""
        for bundle in self.bundles:
            if (record := bundle.page(page)) is not None:
                return record, bundle
        return None

    def page_statuses(self) -> dict[str, str]:
        """Every page any run included: its status in the newest run that included it."""
        statuses: dict[str, str] = {}
        for bundle in reversed(self.bundles):  # oldest first, so that newer runs overwrite
            statuses.update({str(p.get("page")): str(p.get("status")) for p in bundle.run["pages"]})
        return statuses


def collect(root: Path) -> Results | None:
    """Every full-mode bundle under ``root/results/full-gpu``, merged (:class:`Results`), or ``None``."""
    found = _bundles(root)
    return Results(tuple(found)) if found else None


def _results(given: Results | Bundle | None) -> Results | None:
    return Results((given,)) if isinstance(given, Bundle) else given


def _run_line(bundle: Bundle) -> str:
    pages = bundle.run["pages"]
    passed = sum(p.get("status") == "passed" for p in pages)
    return f"{bundle.provenance()} ({passed} of {len(pages)} pages ran to the end)"


def ledger_note(results: Results | Bundle | None) -> str:
    """The sentence above the ledger's tables that says where the *Full mode (GPU)* column comes from."""
    results = _results(results)
    if results is None:
        return ("*Full mode (GPU)*: no full-mode run on a GPU has been committed yet (`results/full-gpu/` is empty), "
                "so every claim says *no GPU verdict yet*.")
    if len(results.bundles) == 1:
        return (f"*Full mode (GPU)*: the verdicts of the newest committed full-mode run, on "
                f"{_run_line(results.newest)}. A claim with no verdict in it says *no GPU verdict yet*.")
    runs = "; ".join(_run_line(b) for b in results.bundles)
    return (f"*Full mode (GPU)*: each claim's verdict in the newest of the {len(results.bundles)} committed full-mode "
            f"runs that checked it, dated in its cell: {runs}. A claim that no run checked says *no GPU verdict yet*.")


def ledger_cell(claim: Any, results: Results | Bundle | None) -> str:
    """The *Full mode (GPU)* cell of one claim: its GPU verdict and value, or *no GPU verdict yet* and why."""
    results = _results(results)
    found = results.verdict(claim.id) if results else None
    if found is None:
        why = ""
        if results is not None:
            stopped = sorted(page for page, status in results.page_statuses().items() if status != "passed")
            if stopped and claim.mode == "full":
                why = " (the run had pages that stopped: " + ", ".join(Path(p).stem for p in stopped[:3]) + \
                      (", …" if len(stopped) > 3 else "") + ")"
        registered = "; registered for full mode" if claim.mode == "full" else ""
        return f"*no GPU verdict yet{registered}*{why}"
    verdict, bundle = found
    mark = _MARKS.get(str(verdict.get("status")), str(verdict.get("status")))
    summary = re.sub(r"([\\`*_\[\]<>|])", r"\\\1", str(verdict.get("summary", verdict.get("value"))))
    when = f" (run of {str(bundle.run.get('date', '?'))[:10]})" if len(results.bundles) > 1 else ""
    return f"**{mark}**: {summary}{when}"


def page_section_html(page: str, results: Results | Bundle | None, scales: Sequence[tuple[str, str]] = ()) -> str:
    """A folded section for the end of a notebook page: its full-mode GPU results with their provenance,
    or a note that there are none yet, and what fraction of the paper's configuration each config the page runs
    is in full mode (``scales``: ``(class, text)`` pairs, from :func:`dltheory.book.budget.page_scales`).
    Plain HTML; it carries no verdict record, so the ledger never counts it."""
    esc = html.escape
    results = _results(results)
    found = results.page(page) if results else None
    if results is None:
        body, title = ("<p>No full-mode run on a GPU has been committed yet: this page's claims have been checked in "
                       "fast mode only (above).</p>"), "Full mode on a GPU: no run yet"
    elif found is None:
        newest = esc(results.newest.provenance())
        which = (f"The newest full-mode GPU run ({newest}) did" if len(results.bundles) == 1 else
                 f"None of the {len(results.bundles)} committed full-mode GPU runs (the newest: {newest}) did")
        body, title = f"<p>{which} not include this page.</p>", "Full mode on a GPU: this page has not run yet"
    else:
        record, bundle = found
        rows = "".join(
            f"<tr><td><code>{esc(str(v.get('id')))}</code></td><td>{esc(_MARKS.get(str(v.get('status')), ''))}</td>"
            f"<td>{esc(str(v.get('summary', '')))}</td><td>{esc(str(v.get('criterion', '')))}</td></tr>"
            for v in bundle.page_verdicts(page))
        table = ("<table class='dltheory-gpu-verdicts'><thead><tr><th>claim</th><th>verdict</th><th>ours (full mode)"
                 f"</th><th>required</th></tr></thead><tbody>{rows}</tbody></table>") if rows else \
            "<p>The page checked no claim in full mode.</p>"
        status, n = str(record.get("status")), len(bundle.page_verdicts(page))
        parallel = int((bundle.run.get("settings") or {}).get("parallel", 1))
        beside = f", {parallel} pages at a time on the one GPU" if parallel > 1 else ""
        body = (f"<p>Run on {esc(bundle.provenance())}: <strong>{esc(status)}</strong> after "
                f"{float(record.get('seconds') or 0):.0f} s (estimated {record.get('estimate_seconds') or '–'} s"
                f"{beside}), {n} verdict{'s' if n != 1 else ''}.</p>" + table)
        title = f"Full mode on a GPU: {status}, {float(record.get('seconds') or 0):.0f} s"
    if scales:
        items = "".join(f"<li><code>{esc(cls)}</code>: {esc(text)}</li>" for cls, text in scales)
        body += f"<p>What full mode runs here, against the paper's configuration:</p><ul>{items}</ul>"
    return (f'<details class="dltheory-gpu-results"><summary>{esc(title)}</summary>{body}'
            "<p><em>Full mode runs this page's experiments at GPU scale (<code>DLTHEORY_MODE=full</code>); the results are "
            "written by <code>make full-gpu</code> into <code>results/full-gpu/</code> and shown here as they were "
            "committed.</em></p></details>")


def performance_html(results: Results | Bundle | None) -> str:
    """For the performance page: the GPU measurements of the newest bundle that has them (``performance.json``,
    written by ``python -m benchmarks.gpu`` in ``scripts/gpu-run.sh``) as a table with their provenance, or a note."""
    esc = html.escape
    results = _results(results)
    with_file = [b for b in results.bundles if (b.folder / "performance.json").is_file()] if results else []
    bundle = with_file[0] if with_file else None
    path = bundle.folder / "performance.json" if bundle else None
    if path is None or not path.is_file():
        return ('<div class="dltheory-gpu-performance"><p><strong>On a GPU:</strong> no performance measurements from '
                "a GPU run have been committed yet (<code>scripts/gpu-run.sh</code> makes them).</p></div>")
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = []
    for r in data.get("rows", []):
        rate = r.get("steps_per_s")
        cells = ([f"{rate:,.0f}", f"{r['useful_flops_per_s'] / 1e12:.3g}", f"{100 * r['share_of_peak']:.1f}%"]
                 if rate is not None else ["–", "–", "–"])
        rows.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in [r.get("what", ""), *cells, r.get("note", "")])
                    + "</tr>")
    torch_note = f"<p>{esc(data['torch'])}</p>" if str(data.get("torch", "")).startswith("skipped") else ""
    return (f'<div class="dltheory-gpu-performance"><p><strong>On a GPU</strong> ({esc(bundle.provenance())}), '
            f"measured in one run before the book's pages: the float32 matrix-multiply peak through JAX is "
            f"{data['matmul_peak_flops_per_s'] / 1e12:.1f} TFLOP/s; the grokking transformer in Nanda et al.'s "
            "configuration (full batch, AdamW):</p><table><thead><tr><th>what</th><th>steps/s</th><th>useful TFLOP/s"
            f"</th><th>share of the peak</th><th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"{torch_note}</div>")
