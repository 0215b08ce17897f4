"""Sphinx extension that builds the claims ledger (``book/claims.md``) during the book build.

How it works, in one pass of ``jupyter-book build``:

1. While pages are read (and executed), every verdict printed by :func:`dltheory.claims.check`
   lands in the page as HTML carrying its result in a ``data-claim`` attribute. On
   ``doctree-read`` this extension collects those results per page (so it also sees results that
   come from the execution cache).
2. The ``{claims-ledger}`` directive writes, from the registry, a summary table of counts per chapter
   and, per chapter, a figure, a table of reproductions (claim, citation, paper's value, ours, verdict,
   null, margin, page) and a table of derivations; what depends on the build's results is a
   placeholder (``{claim-result}`` and ``{claim-count}`` roles, a figure node).
3. On ``doctree-resolved`` (after all pages are read) the placeholders become our value, the
   verdict, the null, the margin, a link to the page that checked the claim, the counts and the
   figures (inline SVG, drawn by :mod:`dltheory.book.ledger`).

4. The ledger's *Full mode (GPU)* column and a folded section at the end of every notebook page show the newest
   committed full-mode GPU run (``results/full-gpu/``, :mod:`dltheory.book.gpu_results`), or say there is none yet.
5. The *Margin* column adds, where the repository holds runs of the claim's page under two base seeds or more made
   on the code as it is (``results/seeds/``, :mod:`dltheory.book.seeds`), on how many of them the claim held.

With ``dltheory_ledger_require_all = True`` a registered claim that no page checked is a warning
(an error under ``-W``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from dltheory import claims as _claims
from dltheory import runtime
from dltheory.book import arithmetic as _arithmetic
from dltheory.book import gpu_results as _gpu
from dltheory.book import ledger as _ledger
from dltheory.book import robustness as _robustness
from dltheory.book import seed_counts as _counts
from dltheory.book import seeds as _seeds
from dltheory.book.ledger import verdicts_in_html
from dltheory.book.notebooks import is_notebook_page

logger = logging.getLogger(__name__)

_FIELDS = ("ours", "verdict", "page", "null", "margin")
_COUNT_KEYS = {key.replace(" ", "-"): key for key, _ in _ledger.COUNTS}


class claim_result(nodes.Inline, nodes.Element):
    """Placeholder for a cell of the ledger filled in once every page has been read."""


class claim_count(nodes.Inline, nodes.Element):
    """Placeholder for one count of the ledger's summary (a chapter's, or the book's with chapter ``*``)."""


class claim_figure(nodes.General, nodes.Element):
    """Placeholder for a chapter's figure of the ledger."""


def _claim_result_role(name, rawtext, text, lineno, inliner, options=None, content=None):  # noqa: ANN001, ANN201
    parts = text.split()
    if len(parts) != 2 or parts[1] not in _FIELDS:
        msg = inliner.reporter.error(f"claim-result needs '<claim-id> <{'|'.join(_FIELDS)}>', got {text!r}")
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [claim_result(claim_id=parts[0], field=parts[1])], []


def _claim_count_role(name, rawtext, text, lineno, inliner, options=None, content=None):  # noqa: ANN001, ANN201
    parts = text.split()
    if len(parts) != 2 or parts[1] not in _COUNT_KEYS:
        msg = inliner.reporter.error(f"claim-count needs '<chapter or *> <{'|'.join(_COUNT_KEYS)}>', got {text!r}")
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [claim_count(chapter=parts[0], key=_COUNT_KEYS[parts[1]])], []


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


class LedgerDirective(SphinxDirective):
    """``{claims-ledger}``: the table of every registered claim, grouped by chapter."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        env = self.env
        if not hasattr(env, "dltheory_ledger_docs"):
            env.dltheory_ledger_docs = set()
        env.dltheory_ledger_docs.add(env.docname)
        registry = _claims.registry()
        titles = {ch: t for ch, t in _claims.chapter_titles().items() if any(c.chapter == ch for c in registry.values())}
        heads = [label for _, label in _ledger.COUNTS]
        keys = list(_COUNT_KEYS)
        lines = ["| Chapter | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|"]
        for chapter, title in [*titles.items(), ("*", "Whole book")]:
            cells = " | ".join(f"{{claim-count}}`{chapter} {k}`" for k in keys)
            lines.append(f"| {_cell(title) if chapter != '*' else '**Whole book**'} | {cells} |")
        gpu = _gpu.collect(Path(env.srcdir))
        for path in gpu.files if gpu else []:
            env.note_dependency(str(path))
        container = nodes.container(classes=["dltheory-ledger"])
        container += self._parse(lines + [""], "dltheory-ledger-summary")
        container += self._parse([_gpu.ledger_note(gpu), ""], "dltheory-ledger-gpu-note")
        for chapter, title in titles.items():
            rows = [c for c in registry.values() if c.chapter == chapter]
            container += self._parse([f"**{title}**", ""], "dltheory-ledger-chapter")
            container += claim_figure(chapter=chapter)
            reproductions = [c for c in rows if not c.derivation]
            derivations = [c for c in rows if c.derivation]
            if reproductions:
                lines = ["| Claim | Source | Paper | Ours | Verdict | Null | Margin | Checked in | Full mode (GPU) |",
                         "|---" * 9 + "|"]
                lines += [self._row(c, ("ours", "verdict", "null", "margin", "page"), _gpu.ledger_cell(c, gpu))
                          for c in reproductions]
                container += self._parse(lines + [""], "dltheory-ledger-claims")
            if derivations:
                lines = [f"*Derivations in {_cell(title)}: numbers computed from published values or a closed form, "
                         "shown as worked computations and not counted as reproduced.*", "",
                         "| Derivation | Source | Paper | Computed | Verdict | Checked in |", "|---" * 6 + "|"]
                lines += [self._row(c, ("ours", "verdict", "page")) for c in derivations]
                container += self._parse(lines + [""], "dltheory-ledger-derivations")
        return [container]

    def _parse(self, lines: list[str], cls: str) -> nodes.container:
        box = nodes.container(classes=[cls])
        self.state.nested_parse(lines, self.content_offset, box)
        return box

    @staticmethod
    def _row(c: _claims.Claim, fields: tuple[str, ...], gpu: str | None = None) -> str:
        cite = "; ".join(f"{{cite:t}}`{key}`" for key in c.source)
        scales = {"full": " *(holds at paper scale; full mode)*", "fast": " *(fast-mode configuration only)*"}
        extra = scales.get(c.mode, "")
        not_here = [m for m in ("fast", "full") if c.checkable_in(m) and not c.reproduces_in(m)]
        if len(not_here) == 2 or (not_here and c.mode != "any"):
            extra += " *(registered as not reproduced by our code)*"
        elif not_here:
            extra += f" *(registered as not reproduced by our code in {not_here[0]} mode)*"
        if c.not_a_test:
            extra += " *(registered as not a test: its null meets the bar)*"
        if c.saved_run_reason:
            extra += f" *(a fast build judges it on a saved run of its page's own call: {_cell(c.saved_run_reason)})*"
        extra += _ledger.revision_text(c)
        cells = " | ".join(f"{{claim-result}}`{c.id} {f}`" for f in fields)
        if gpu is not None:
            cells += f" | {_cell(gpu)}"
        return f"| `{c.id}`<br>{_cell(c.statement)}{extra} | {cite} | {_cell(c.paper)} | {cells} |"


def _collect(app: Sphinx, doctree: nodes.document) -> None:
    env = app.env
    if not hasattr(env, "dltheory_claims"):
        env.dltheory_claims = {}
    found = []
    for node in doctree.findall(nodes.raw):
        try:
            found.extend(verdicts_in_html(node.astext()))
        except json.JSONDecodeError:
            logger.warning(f"unreadable claim verdict in {env.docname}", location=env.docname)
    if found:
        env.dltheory_claims[env.docname] = found
    else:
        env.dltheory_claims.pop(env.docname, None)


def _gpu_signature(app: Sphinx) -> str:
    gpu = _gpu.collect(Path(app.srcdir))
    return "" if gpu is None else str([(p.as_posix(), p.stat().st_mtime_ns) for p in gpu.files])


def _append_gpu_results(app: Sphinx, doctree: nodes.document) -> None:
    """At the end of every notebook page: its full-mode GPU results from the newest run that included it, folded,
    or a note."""
    env = app.env
    source = Path(env.doc2path(env.docname))
    performance = env.docname == "book/performance"
    if not performance and not is_notebook_page(source):
        return
    gpu = _gpu.collect(Path(app.srcdir))
    for path in gpu.files + [b.folder / "performance.json" for b in gpu.bundles] if gpu else []:
        if path.is_file():
            env.note_dependency(str(path))
    if performance:  # the GPU measurements of the newest run that made them, after the CPU report
        doctree += nodes.raw("", _gpu.performance_html(gpu), format="html")
        return
    page = source.resolve().relative_to(Path(app.srcdir).resolve()).as_posix()
    from dltheory.book import budget  # imported here: budget imports the chapters' packages

    try:
        scales = budget.page_scales(source)
    except (ValueError, NotImplementedError) as err:  # tests/test_budget.py keeps this from happening
        scales = [("?", f"not stated: {err}")]
    doctree += nodes.raw("", _gpu.page_section_html(page, gpu, scales), format="html")


def _purge(app: Sphinx, env: Any, docname: str) -> None:
    getattr(env, "dltheory_claims", {}).pop(docname, None)
    getattr(env, "dltheory_ledger_docs", set()).discard(docname)


def _merge(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    if not hasattr(env, "dltheory_claims"):
        env.dltheory_claims = {}
    env.dltheory_claims.update(getattr(other, "dltheory_claims", {}))
    if not hasattr(env, "dltheory_ledger_docs"):
        env.dltheory_ledger_docs = set()
    env.dltheory_ledger_docs |= getattr(other, "dltheory_ledger_docs", set())


def _outdated(app: Sphinx, env: Any, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    # the ledger depends on every page: rebuild it whenever any page is read again; a new GPU bundle changes every
    # notebook page (its folded GPU section) and the ledger
    signature = _gpu_signature(app)
    if signature != getattr(env, "dltheory_gpu_signature", None):
        env.dltheory_gpu_signature = signature
        pages = [d for d in env.found_docs if d == "book/performance" or is_notebook_page(Path(env.doc2path(d)))]
        return sorted(set(pages) | getattr(env, "dltheory_ledger_docs", set()))
    if added or changed or removed:
        return sorted(getattr(env, "dltheory_ledger_docs", set()))
    return []


def _results(env: Any) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{claim_id: (docname, latest record)}`` over every page read."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    for docname in sorted(getattr(env, "dltheory_claims", {})):
        for record in env.dltheory_claims[docname]:
            out[record["id"]] = (docname, record)
    return out


def _check_consistency(app: Sphinx, env: Any) -> None:
    if _claims.keep_going():  # set only by seed sweeps: in a build a failed claim must stop it
        logger.warning("DLTHEORY_CLAIMS_KEEP_GOING is set: failed claims would not stop this build; unset it")
    results = _results(env)
    registry = _claims.registry()
    for cid in results:
        if cid not in registry:
            logger.warning(f"page {results[cid][0]} checked claim {cid!r}, which is not registered")
            continue
        why = _ledger.stale_verdict(registry[cid], results[cid][1])
        if why:  # the page's outputs came from the execution cache, made before the registry changed
            logger.warning(f"page {results[cid][0]} shows a stale verdict of {cid!r}: {why}; execute the page "
                           "again (make book-fresh, or edit one of its code cells)")
    if app.config.dltheory_ledger_require_all:
        for cid in registry:
            # every claim, full-mode ones too: in fast mode a page checks those on a saved full-mode result
            if cid not in results:
                logger.warning(f"registered claim {cid!r} is not checked by any page of the book")


def _fresh_records(app: Sphinx) -> dict[str, list[dict[str, Any]]]:
    """The seed record's fresh runs (:func:`dltheory.book.seeds.fresh_records`), read once per build."""
    if not hasattr(app, "_dltheory_fresh_records"):
        app._dltheory_fresh_records = _seeds.fresh_records(Path(app.srcdir), mode=runtime.mode())
    return app._dltheory_fresh_records


def _seed_counts(app: Sphinx) -> dict[str, tuple[int, int]]:
    """On how many recorded base seeds each claim held (:mod:`dltheory.book.seed_counts`), once per build."""
    if not hasattr(app, "_dltheory_seed_counts"):
        app._dltheory_seed_counts = _counts.held(_fresh_records(app), _counts.registered_modes())
    return app._dltheory_seed_counts


def _fresh_chances(app: Sphinx) -> dict[str, _robustness.Estimate]:
    """How often a fresh base seed would turn each claim, estimated from the seed record
    (:mod:`dltheory.book.robustness`), once per build."""
    if not hasattr(app, "_dltheory_fresh_chances"):
        mode = runtime.mode()
        estimates = _robustness.audit(_fresh_records(app), mode=mode)
        app._dltheory_fresh_chances = {e.claim: e for e in estimates}
    return app._dltheory_fresh_chances


def _other_roundings(app: Sphinx) -> dict[str, _arithmetic.Row]:
    """Each claim's run with other roundings against the seed record's (:mod:`dltheory.book.arithmetic`), fast
    builds only, once per build."""
    if not hasattr(app, "_dltheory_other_roundings"):
        rows = _arithmetic.compare(Path(app.srcdir))[0] if runtime.mode() == "fast" else []
        app._dltheory_other_roundings = {r.claim: r for r in rows}
    return app._dltheory_other_roundings


def _resolve(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    results = _results(app.env)
    records = {cid: rec for cid, (_, rec) in results.items()}
    registry = _claims.registry()
    for node in list(doctree.findall(claim_result)):
        cid, field = node["claim_id"], node["field"]
        found = results.get(cid)
        if field == "null" and cid in registry:
            node.replace_self(nodes.inline(text=_ledger.null_text(registry[cid], found and found[1])))
            continue
        if found is None:
            node.replace_self(nodes.emphasis(text="not checked in this build"))
            continue
        page, rec = found
        if field == "ours":
            text = rec["summary"]
            where = rec.get("provenance") or f"{rec['mode']} mode"
            para = nodes.inline()
            para += nodes.Text(text)
            para += nodes.inline(text=f" ({where}; required {rec['criterion']})", classes=["dltheory-ledger-detail"])
            node.replace_self(para)
        elif field == "verdict":
            text, cls = _ledger.verdict_text(rec)
            strong = nodes.strong(text=text, classes=[cls])
            sides = _ledger.marginal_sides(rec)
            if sides:
                para = nodes.inline()
                para += strong
                para += nodes.emphasis(text=f" ({_claims.marginal_words(sides)})", classes=["dltheory-marginal"])
                node.replace_self(para)
            else:
                node.replace_self(strong)
        elif field == "margin":
            notes = [_ledger.margin_text(rec), _seeds.held_text(cid, _seed_counts(app)),
                     _robustness.chance_text(_fresh_chances(app).get(cid)),
                     _arithmetic.note_text(_other_roundings(app).get(cid))]
            node.replace_self(nodes.inline(text="; ".join(n for n in notes if n)))
        else:
            uri = app.builder.get_relative_uri(docname, page)
            title = app.env.titles.get(page)
            ref = nodes.reference("", "", internal=True, refuri=uri)
            ref += nodes.Text(title.astext() if title is not None else page)
            node.replace_self(ref)
    per_chapter: dict[str, dict[str, int]] = {}
    for node in list(doctree.findall(claim_count)):
        chapter = node["chapter"]
        if chapter not in per_chapter:
            chosen = [c for c in registry.values() if chapter in ("*", c.chapter)]
            per_chapter[chapter] = _ledger.counts(chosen, records)
        node.replace_self(nodes.Text(str(per_chapter[chapter][node["key"]])))
    for node in list(doctree.findall(claim_figure)):
        chapter = node["chapter"]
        rows = _ledger.figure_rows([c for c in registry.values() if c.chapter == chapter], records)
        svg = _ledger.figure_svg(rows, salt=chapter)
        if svg:
            node.replace_self(nodes.raw("", f'<div class="dltheory-ledger-figure">{svg}</div>', format="html"))
        else:
            node.replace_self([])


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("dltheory_ledger_require_all", False, "env")
    app.add_node(claim_result)
    app.add_node(claim_count)
    app.add_node(claim_figure)
    app.add_role("claim-result", _claim_result_role)
    app.add_role("claim-count", _claim_count_role)
    app.add_directive("claims-ledger", LedgerDirective)
    app.connect("doctree-read", _collect)
    app.connect("doctree-read", _append_gpu_results)  # after _collect: its HTML carries no verdict record
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _outdated)
    app.connect("env-check-consistency", _check_consistency)
    app.connect("doctree-resolved", _resolve)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 3}
