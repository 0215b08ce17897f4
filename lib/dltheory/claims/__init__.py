"""The registry of the book's claims, and ``check``, which holds a measurement (and its null) against one.

Introduced in *How to read this book* (``book/how-to-read``). Every claim the book makes is
registered in a TOML file under ``dltheory/registry/`` (one file per chapter), with

``id``         a stable identifier, ``"<chapter-slug>/<short-name>"``
``statement``  the claim in words
``source``     BibTeX key(s) in ``book/references.bib``
``paper``      what the paper reports, as printed (a number with its setting, or a sentence)
``kind``       ``"reproduction"`` (an experiment on the page measures it) or ``"derivation"`` (a number
               computed from published values or a closed form: shown as a worked computation, listed
               apart in the ledger and never counted as reproduced)
``target``, ``tol``, ``rtol``, ``lower``, ``upper``, ``expect``
               the criterion our measurement must meet (see :class:`Criterion`);
               ``target = "theory"`` means the page computes the target from the theory it
               derives and passes it as ``check(..., theory=value)``
``aggregate``  ``"all"`` (default: every seed must pass), ``"median"`` or ``"mean"``
``min_pass``   optional, ``"k/n"`` with ``aggregate = "all"``: the claim holds on at least ``k`` of exactly ``n``
               seeds (``n >= 3``, ``n/2 < k < n``), which the statement names ("on at least 4 of 5 seeds").
               Part of the bar, so it needs ``bar_fixed``; fixed after measuring, it records the rule it
               replaced in ``bar_history``. The null is judged by the same share; the verdict reports ``k of n``
               and names the seeds that missed. A degenerate seed (see ``check``) counts as one that misses,
               named, instead of stopping the page, when the claim still holds on enough live seeds or
               is registered as not reproduced (missing its share is then the registered outcome); a
               claim registered as reproduced that misses its share with a dead seed still stops
``mode``       ``"any"`` (checked in fast and full mode), ``"full"`` (holds only at paper scale; in fast mode
               the page shows a saved full-mode result with its provenance) or ``"fast"`` (the bar belongs to
               the fast configuration; in full mode only a saved fast-mode result may be checked). ``check``
               raises ``ValueError`` for a live measurement, or a saved one, made in the other mode
``units``      optional, for display
``scale``      ``"linear"`` (default) or ``"log"``: margins (and seed spreads) of a ratio are measured on ``ln v``
``limit``      optional, for a one-sided bar: the natural limit of the quantity on the passing side (1 for an
               accuracy against ``lower = 0.99``); the relative margin is then in units of the room between
               bar and limit, so a value at its ceiling is not flagged *marginal* (see :mod:`.criteria`)
``reproduces`` ``true`` (default), or ``false`` for a claim of the paper that our code does *not*
               reproduce at this scale: the page still measures it against the paper's criterion,
               the verdict and the ledger say "does not reproduce", and the build goes on. If a live
               run passes, the status is ``"not reproduced (passed this run)"`` (shown, not raised: one
               draw of the seeds does not overturn the registered result); if a saved result passed as
               ``provenance`` passes, ``check`` raises, since the registry then contradicts its evidence.
``null``       what the null of a reproduction is: the same measurement where the effect must be absent
               (shuffled labels, random vectors, the intervention removed, ...). The page measures it with
               the same code and passes it as ``check(..., null=...)``.
``null_reason`` why a reproduction has no null (instead of ``null``)
``null_passes`` ``true`` for a reproduction whose null, measured by the same code, turned out to meet the bar too
               (default ``false``): the registered outcome is that the check cannot fail, so the claim is *not a
               test*. The page still measures the null (``check`` refuses a call without ``null=``); the verdict
               and the ledger say "not a test: its null meets the bar", and the ledger counts it apart from the
               reproduced and the not reproduced. A live null that misses the bar has the status ``"not a test
               (its null missed the bar this run)"`` (shown, not raised); a saved one that misses raises. Needs
               ``null``, excludes ``reproduces``. Register it only where the history shows it (the null was
               measured and passed); the bar is not changed to escape it, and a separately registered claim
               with its own pre-set bar and null may state what does hold
``paper_value`` optional: the paper's number on the scale of our measurement, drawn in the ledger's figure
``statistical`` ``true`` (default): the measurement is random, so it needs three seeds or more; ``false``
               for a deterministic one
``bar_fixed``  ``"before"`` or ``"after"``: whether the bar was fixed before the first measurement
               (empty: not recorded). A bar fixed or changed afterwards shows as *revised after measuring*.
               ``"with-code"``: the bar has not changed since the commit that registered it together with
               (or before) the code that measures it, so the history cannot show whether it preceded the
               first measurement; that commit is ``bar_commit``, and the ledger says so
``[[claim.bar_history]]``
               one table per earlier bar: ``old`` (a table of criterion fields and/or ``aggregate``, or
               words), ``reason``, and optionally ``date`` (YYYY-MM-DD), ``commit`` and ``mode`` (fast/full)
``[claim.registered_on]``
               optional, for a claim registered not reproduced or not a test whose registered outcome was seen
               on base seeds that the seed record (``results/seeds``) does not cover: ``base_seeds`` (those
               base seeds), ``reason`` (what happened there, and why a record passing on other base seeds does
               not change the registration) and optionally ``mode`` (fast/full; default the claim's, else fast).
               ``python -m dltheory.book.seeds table`` then shows the reason instead of asking to register
               the claim again, unless its record covers one of those base seeds. It is left out of the
               record's fingerprint: it explains the record, it changes no measurement

A claim of ``mode = "any"`` may override its criterion per mode with ``[claim.fast]`` or ``[claim.full]`` tables,
and its ``reproduces`` too (``[claim.full]`` / ``reproduces = false``: it reproduces in fast mode, not at paper
scale). The mode of a verdict is the mode of its measurement: the current one, or the saved result's.

``check(claim_id, measured)`` prints a verdict in the page and raises :class:`ClaimFailed` when the
measurement does not meet the criterion, so a broken reproduction cannot build;
:class:`ClaimCannotFail` when the null meets it too (unless registered with ``null_passes = true``, or, on a live
run, as not reproduced);
:class:`DegenerateRun` when a run is degenerate.
Each verdict records its margin from the bar, and its null's (:class:`Margin`; the module
:mod:`dltheory.claims.criteria` defines when a claim is *marginal*, on its own values or on its null's). The
verdict's HTML carries the result as a data attribute, from which the book's ledger page (``book/claims.md``) is
generated at build time (see :mod:`dltheory.book.sphinxext`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from dltheory import runtime
from dltheory.claims import judge as _judge
from dltheory.claims.criteria import NEAR_RELATIVE, NEAR_SPREADS, Criterion, Margin
from dltheory.claims.judge import ClaimCannotFail, ClaimFailed, DegenerateRun, keep_going
from dltheory.claims.schema import KINDS, BarChange, Claim, load_registry, min_pass_chance, read_toml
from dltheory.claims.verdict import (
    HTML_CLASS, MARGINAL_SIDES, NOT_A_TEST, NULL_MISSED_THIS_RUN, NULL_PASSED_THIS_RUN, OK_STATUSES, PASSED_THIS_RUN,
    STATUSES, NullResult, Provenance, Verdict, marginal_words,
)

__all__ = [
    "Claim", "Criterion", "Verdict", "Margin", "NullResult", "BarChange", "Provenance",
    "ClaimFailed", "ClaimCannotFail", "DegenerateRun",
    "registry", "chapter_titles", "load_registry", "get", "check", "keep_going", "min_pass_chance", "registered_on",
    "KINDS", "STATUSES", "OK_STATUSES", "PASSED_THIS_RUN", "NULL_PASSED_THIS_RUN", "NOT_A_TEST", "NULL_MISSED_THIS_RUN",
    "HTML_CLASS", "NEAR_RELATIVE", "NEAR_SPREADS", "MARGINAL_SIDES", "marginal_words",
]


def _registry_files() -> list[Path]:
    folder = resources.files("dltheory") / "registry"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


@functools.cache
def registry() -> Mapping[str, Claim]:
    """All claims of the book, read once from the TOML files shipped inside the package."""
    return dict(load_registry(_registry_files()))


@functools.cache
def chapter_titles() -> Mapping[str, str]:
    """``{chapter slug: title}`` in the order of the registry files."""
    return {path.stem: read_toml(path)["title"].strip() for path in _registry_files()}


def registered_on(mode: str | None = None) -> dict[str, Any]:
    """The ``[claim.registered_on]`` of every claim whose registered outcome was seen in ``mode`` (default: this
    build's, ``DLTHEORY_MODE``), by claim id: what explains a seed record that passes where the registry says it
    does not (:func:`dltheory.book.notebooks.seed_table`)."""
    mode = runtime.mode(mode)
    return {cid: c.registered_on for cid, c in registry().items()
            if c.registered_on is not None and c.registered_on.mode == mode}


def get(claim_id: str) -> Claim:
    """The registered claim ``claim_id``; an unknown id raises ``ValueError``."""
    reg = registry()
    if claim_id not in reg:
        close = [c for c in reg if str(claim_id).split("/")[-1] in c]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"claim_id {claim_id!r} is not registered in dltheory/registry/*.toml.{hint}")
    return reg[claim_id]


def check(
    claim_id: str,
    measured: Any,
    *,
    seeds: Sequence[int] | None = None,
    theory: float | None = None,
    provenance: Provenance | Mapping[str, Any] | None = None,
    note: str = "",
    mode: str | None = None,
    null: Any = None,
    degenerate: Any = None,
    null_censored: Any = None,
    display: bool = True,
    raise_on_fail: bool = True,
) -> Verdict:
    """Hold ``measured`` against the registered claim ``claim_id``; show the verdict; raise if it is not ok.

    ``measured`` is a number, a yes/no value, or a 1-D array of them with one entry per seed
    (then ``seeds`` names the seeds). With ``aggregate = "all"`` every seed must pass; with
    ``"median"``/``"mean"`` the aggregate must. ``theory`` is the derived target of a claim
    registered with ``target = "theory"``. For a claim registered with ``reproduces = false`` missing the
    criterion is the registered outcome; meeting it on a live run gives the status ``"not reproduced (passed
    this run)"``, shown and not raised, and meeting it on a saved result (``provenance``) raises (the registry
    is out of date). A claim registered with ``min_pass = "k/n"`` passes when at least ``k`` of its ``n`` seeds do.

    ``null`` is the same measurement on the null (the registry's ``null``), one value or one per seed.
    It is judged with the same criterion and aggregate, and must fail: if it passes,
    :class:`ClaimCannotFail` is raised, unless the claim is registered with ``null_passes = true`` (status
    ``"not a test"``, shown and not raised; such a claim must be given its ``null``) or, on a live run, with
    ``reproduces = false`` (status ``"not reproduced (its null passed this run)"``: nothing of it is counted as
    reproduced, and one draw of the seeds does not make it a claim that is not a test).
    ``degenerate`` flags runs the page found dead (one yes/no
    per value, e.g. a network whose output is constant); those, and any non-finite value, raise
    :class:`DegenerateRun`, which names the seeds.

    ``null_censored`` (one yes/no per null value) marks null values that are only lower bounds: runs cut off by
    their budget before the event they time. The doubt goes against the claim: such a value is judged at the
    lowest value at or above it that meets the bar, so a null that could still meet the bar counts as meeting it
    (:meth:`Criterion.best_case_at_least`; ``book/claims.md``, "Runs cut off by their budget").

    A claim registered with ``mode = "full"`` holds only at paper scale: in fast mode it can be
    checked only against a saved full-mode result, passed with its ``provenance`` (config, date,
    device), which the verdict shows. With ``raise_on_fail=False`` nothing is raised and the verdict's
    ``status`` says what happened.
    With ``DLTHEORY_CLAIMS_KEEP_GOING=1`` (set by ``notebooks run --keep-going``, which
    ``make seeds`` uses) a verdict that is not ok is shown and logged but not raised, so that a seed sweep reaches
    every claim of a page; the runner then reports it. A book build never sets it.
    """
    verdict = _judge.judge(get(claim_id), measured, seeds=seeds, theory=theory, provenance=provenance, note=note,
                           mode=mode, null=null, degenerate=degenerate, null_censored=null_censored)
    _judge.log(verdict)
    if display:
        _judge.show(verdict)
    if raise_on_fail and not _judge.keep_going():
        _judge.raise_for(verdict)
    return verdict
