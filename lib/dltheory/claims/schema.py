"""The registry's schema: one :class:`Claim` per ``[[claim]]`` table of ``dltheory/registry/*.toml``.

Part of :mod:`dltheory.claims`, whose docstring lists every field. A malformed entry raises a
``ValueError`` that names the file, the claim and the field.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dltheory import runtime
from dltheory.claims.criteria import SCALES, Criterion
from dltheory.claims.rules import (
    AGGREGATES, COMMIT_RE, CRITERION_KEYS, BarChange, RegisteredOn, min_pass_chance, parse_bar_history, parse_min_pass,
    parse_registered_on,
)

__all__ = ["Claim", "BarChange", "RegisteredOn", "KINDS", "load_registry", "read_toml", "parse_min_pass",
           "min_pass_chance"]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9._-]*$")
_CLAIM_MODES = ("any", "fast", "full")
KINDS = ("reproduction", "derivation")
_BAR_FIXED = ("before", "with-code", "after")
_TEXT_KEYS = ("null", "null_reason")
_KNOWN_KEYS = {
    "id", "statement", "source", "paper", "aggregate", "mode", "units", "reproduces", "fast", "full",
    "kind", "null", "null_reason", "paper_value", "statistical", "bar_fixed", "bar_commit", "bar_history", "min_pass",
    "scale", "limit", "null_passes", "saved_run", "saved_run_reason", "registered_on", *CRITERION_KEYS,
}


@dataclasses.dataclass(frozen=True)
class Claim:
    """One registered claim of the book."""

    id: str
    chapter: str
    statement: str
    source: tuple[str, ...]
    paper: str
    criterion: Criterion
    aggregate: str = "all"
    mode: str = "any"
    units: str = ""
    overrides: Mapping[str, Criterion] = dataclasses.field(default_factory=dict)
    theory_target: bool = False
    reproduces: bool = True
    kind: str = "reproduction"
    null: str = ""
    null_reason: str = ""
    paper_value: float | None = None
    statistical: bool = True
    bar_fixed: str = ""
    bar_commit: str = ""
    bar_history: tuple[BarChange, ...] = ()
    min_pass: tuple[int, int] | None = None
    reproduces_by_mode: Mapping[str, bool] = dataclasses.field(default_factory=dict)
    null_passes: bool = False
    saved_run: str = ""  # the dltheory.saved file a fast build judges it on, if any
    saved_run_reason: str = ""  # why a claim that reproduces may be judged on one
    registered_on: RegisteredOn | None = None  # where its registered outcome was seen, if outside the seed record

    @property
    def derivation(self) -> bool:
        """A number computed from published values or a closed form: never counted as reproduced."""
        return self.kind == "derivation"

    @property
    def not_a_test(self) -> bool:
        """Registered with ``null_passes = true``: its null, measured by the same code, meets the bar too, so
        the check cannot tell the effect from its absence; neither reproduced nor not reproduced."""
        return self.null_passes

    @property
    def min_pass_text(self) -> str:
        """``"4/5"`` for a claim that must hold on at least 4 of its 5 seeds; empty when every seed must."""
        return f"{self.min_pass[0]}/{self.min_pass[1]}" if self.min_pass else ""

    def reproduces_in(self, mode_name: str) -> bool:
        """Whether the claim is registered as reproduced in ``mode_name`` (``reproduces`` in ``[claim.fast]`` or
        ``[claim.full]`` overrides the claim's own)."""
        return self.reproduces_by_mode.get(runtime.mode(mode_name), self.reproduces)

    def checkable_in(self, mode_name: str) -> bool:
        """Whether a measurement made in ``mode_name`` may be held against this claim (``mode`` is "any" or it)."""
        return self.mode in ("any", runtime.mode(mode_name))

    @property
    def revised(self) -> bool:
        """Whether the bar was fixed, or changed, after a first measurement."""
        return self.bar_fixed == "after"

    def criterion_for(self, mode_name: str, theory: float | None = None) -> Criterion:
        """The criterion that applies in ``mode_name`` (``"fast"`` or ``"full"``).

        For a claim registered with ``target = "theory"`` the target is ``theory``, the value the
        page derives; other claims take no ``theory``.
        """
        criterion = self.overrides.get(runtime.mode(mode_name), self.criterion)
        if self.theory_target:
            if theory is None:
                raise ValueError(f"claim {self.id!r} has target = \"theory\": pass the derived value as theory=...")
            value = float(theory)
            if not math.isfinite(value):
                raise ValueError(f"theory must be a finite number, got {theory!r}")
            return dataclasses.replace(criterion, target=value)
        if theory is not None:
            raise ValueError(f"claim {self.id!r} has a fixed criterion; theory= applies only to target = \"theory\"")
        return criterion


def _text(raw: Mapping[str, Any], key: str, fail: Any, default: str = "") -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or (key in raw and not value.strip()):
        fail(f"{key} must be a non-empty string, got {value!r}")
    return value.strip()


def parse_claim(raw: Mapping[str, Any], chapter: str, where: str) -> Claim:
    """One ``[[claim]]`` table, validated."""
    unknown = set(raw) - _KNOWN_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}")
    for req in ("id", "statement", "source", "paper"):
        if req not in raw:
            raise ValueError(f"{where}: claim is missing the field {req!r}")
    cid = raw["id"]
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        raise ValueError(f"{where}: claim id {cid!r} must look like 'chapter-slug/short-name' (lower case)")
    if not cid.startswith(chapter + "/"):
        raise ValueError(f"{where}: claim id {cid!r} must start with the file's chapter slug {chapter!r}")

    def fail(msg: str) -> None:
        raise ValueError(f"{where}: claim {cid}: {msg}")

    source = raw["source"]
    source = (source,) if isinstance(source, str) else tuple(source)
    if not source or not all(isinstance(s, str) and s for s in source):
        fail("source must be one or more BibTeX keys")
    for text_field in ("statement", "paper"):
        if not isinstance(raw[text_field], str) or not raw[text_field].strip():
            fail(f"{text_field} must be a non-empty string")
    aggregate = raw.get("aggregate", "all")
    if aggregate not in AGGREGATES:
        fail(f"aggregate must be one of {AGGREGATES}, got {aggregate!r}")
    for flag in ("reproduces", "statistical", "null_passes"):
        if not isinstance(raw.get(flag, True), bool):
            fail(f"{flag} must be true or false, got {raw[flag]!r}")
    reproduces = raw.get("reproduces", True)
    claim_mode = raw.get("mode", "any")
    if claim_mode not in _CLAIM_MODES:
        fail(f"mode must be one of {_CLAIM_MODES}, got {claim_mode!r}")
    kind = raw.get("kind", "reproduction")
    if kind not in KINDS:
        fail(f"kind must be one of {KINDS}, got {kind!r}")
    null, null_reason = (_text(raw, k, fail) for k in _TEXT_KEYS)
    if null and null_reason:
        fail("give either null (what the null is) or null_reason (why there is none), not both")
    if kind == "derivation":
        if null or null_reason:
            fail("a derivation measures nothing, so it has no null: drop null/null_reason")
        if not reproduces:
            fail("a derivation either holds or is an error: reproduces = false applies only to reproductions")
    null_passes = raw.get("null_passes", False)
    if null_passes:
        if kind != "reproduction" or not null:
            fail("null_passes = true registers that the null (named in null = \"...\") meets the bar too: it needs a "
                 "reproduction with a null")
        if "reproduces" in raw or any(isinstance(raw.get(m), Mapping) and "reproduces" in raw[m]
                                      for m in ("fast", "full")):
            fail("a claim whose null meets the bar is not a test, neither reproduced nor not reproduced: "
                 "drop reproduces")
    paper_value = raw.get("paper_value")
    if paper_value is not None and (isinstance(paper_value, bool) or not isinstance(paper_value, (int, float))
                                    or not math.isfinite(paper_value)):
        fail(f"paper_value must be a finite number, got {paper_value!r}")
    bar_fixed = raw.get("bar_fixed", "")
    if bar_fixed not in ("", *_BAR_FIXED):
        fail(f"bar_fixed must be one of {_BAR_FIXED}, got {bar_fixed!r}")
    bar_commit = raw.get("bar_commit", "")
    if bar_fixed == "with-code" and not bar_commit:
        fail("bar_fixed = \"with-code\" names the commit that registered the bar with its code: bar_commit = \"<hash>\"")
    if bar_commit and bar_fixed != "with-code":
        fail("bar_commit applies only to bar_fixed = \"with-code\" (a bar committed with the code that measures it)")
    if bar_commit and (not isinstance(bar_commit, str) or not COMMIT_RE.match(bar_commit)):
        fail(f"bar_commit must be a git hash (7-40 hex digits), got {bar_commit!r}")
    spec = {k: raw[k] for k in CRITERION_KEYS if k in raw}
    theory_target = spec.get("target") == "theory"
    if theory_target:
        spec["target"] = 0.0  # replaced by the page's derived value at check time
    mode_specs: dict[str, dict[str, Any]] = {}
    reproduces_by_mode: dict[str, bool] = {}
    margin_scale = raw.get("scale", "linear")
    if margin_scale not in SCALES:
        fail(f"scale must be one of {SCALES}, got {margin_scale!r}")
    if margin_scale == "log" and theory_target:
        fail("scale = \"log\" with target = \"theory\" is not supported: register the ratio measured/theory instead")
    how = {"log_scale": margin_scale == "log", "limit": raw.get("limit")}
    try:
        base = Criterion(**spec, **how)
        overrides = {}
        for m in ("fast", "full"):
            if m in raw:
                extra = dict(raw[m])
                if "reproduces" in extra:
                    reproduces_by_mode[m] = extra.pop("reproduces")
                bad = set(extra) - set(CRITERION_KEYS)
                if bad:
                    raise ValueError(f"[claim.{m}] may only set {(*CRITERION_KEYS, 'reproduces')}, got {sorted(bad)}")
                if "target" in extra and theory_target:
                    raise ValueError(f"[claim.{m}] cannot set a target: the claim's target is the theory's")
                if claim_mode not in ("any", m):
                    raise ValueError(f"[claim.{m}] applies in {m} mode, but the claim is registered for {claim_mode} "
                                     f"mode only (mode = {claim_mode!r})")
                if extra:
                    mode_specs[m] = extra
                    overrides[m] = Criterion(**(spec | extra), **how)
    except ValueError as err:
        fail(str(err))
    for m, flag in reproduces_by_mode.items():
        if not isinstance(flag, bool):
            fail(f"[claim.{m}] reproduces must be true or false, got {flag!r}")
        if kind == "derivation" and not flag:
            fail("a derivation either holds or is an error: reproduces = false applies only to reproductions")
    history = parse_bar_history(raw.get("bar_history", []), spec, mode_specs, fail)
    if history and bar_fixed != "after":
        fail("bar_history records a bar changed after measuring: set bar_fixed = \"after\"")
    min_pass = None
    if "min_pass" in raw:
        min_pass = parse_min_pass(raw["min_pass"], fail)
        if aggregate != "all":
            fail(f"min_pass judges each seed on its own: it needs aggregate = \"all\", got {aggregate!r}")
        k, n = min_pass
        if not re.search(rf"\b{k}\s*(of|/|out of)\s*{n}\b", raw["statement"]):
            fail(f"a claim that holds on most seeds says so: its statement must name the rule "
                 f"(\"on at least {k} of {n} seeds\")")
        if not raw.get("statistical", True) or kind == "derivation":
            fail("min_pass applies to a statistical reproduction (one measured value per seed)")
        if not bar_fixed:
            fail("min_pass must say when it was fixed: bar_fixed = \"before\" (committed before the first "
                 "measurement) or \"after\" with a [[claim.bar_history]] entry for the rule it replaced")
        if bar_fixed == "after" and not history:
            fail("min_pass fixed after measuring needs a [[claim.bar_history]] entry recording the rule it replaced "
                 "(e.g. old = { aggregate = \"all\" })")
    saved_run, saved_run_reason = (_text(raw, k, fail) for k in ("saved_run", "saved_run_reason"))
    if saved_run and not saved_run.endswith(".npz") or saved_run_reason and not saved_run:
        fail("saved_run names the file in dltheory/data a fast build judges the claim on (a .npz of dltheory.saved)")
    if saved_run and reproduces and not saved_run_reason:
        fail("only a claim registered not reproduced (reproduces = false) is judged on a saved run in a fast build; "
             "an exception says why in saved_run_reason")
    registered_on = None
    if "registered_on" in raw:
        registered_on = parse_registered_on(raw["registered_on"], claim_mode, fail)
        outcome_mode = registered_on.mode
        if not (null_passes or not reproduces_by_mode.get(outcome_mode, reproduces)):
            fail("registered_on names the base seeds of a registered outcome that a passing seed record does not "
                 f"change: it applies to a claim registered not reproduced (in {outcome_mode} mode) or not a test "
                 "(null_passes = true)")
    return Claim(
        id=cid, chapter=chapter, statement=raw["statement"].strip(), source=source, paper=raw["paper"].strip(),
        criterion=base, aggregate=aggregate, mode=claim_mode, units=str(raw.get("units", "")), overrides=overrides,
        theory_target=theory_target, reproduces=reproduces, kind=kind, null=null, null_reason=null_reason,
        paper_value=None if paper_value is None else float(paper_value), statistical=raw.get("statistical", True),
        bar_fixed=bar_fixed, bar_commit=bar_commit, bar_history=history, min_pass=min_pass, reproduces_by_mode=reproduces_by_mode,
        null_passes=null_passes, saved_run=saved_run, saved_run_reason=saved_run_reason, registered_on=registered_on,
    )


def read_toml(path: Path) -> dict[str, Any]:
    """A registry file as a dict; a TOML syntax error becomes a ValueError naming the file."""
    with path.open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path.name}: not valid TOML: {err}") from None


def load_registry(paths: Sequence[Path | str]) -> dict[str, Claim]:
    """Parse registry TOML files into ``{id: Claim}``; the chapter slug is the file's stem.

    Each file holds a top-level ``title`` (the chapter's name in the ledger) and ``[[claim]]`` tables.
    """
    claims: dict[str, Claim] = {}
    for path in paths:
        path = Path(path)
        doc = read_toml(path)
        unknown = set(doc) - {"title", "claim"}
        if unknown:
            raise ValueError(f"{path.name}: unknown top-level key(s) {sorted(unknown)}; expected title and [[claim]]")
        if not isinstance(doc.get("title"), str) or not doc["title"].strip():
            raise ValueError(f"{path.name}: needs a top-level title = \"...\" (the chapter's name in the ledger)")
        entries = doc.get("claim", [])
        if not isinstance(entries, list):
            raise ValueError(f"{path.name}: claims must be [[claim]] tables")
        for i, raw in enumerate(entries):
            claim = parse_claim(raw, path.stem, f"{path.name} claim #{i + 1}")
            if claim.id in claims:
                raise ValueError(f"{path.name}: duplicate claim id {claim.id!r}")
            claims[claim.id] = claim
    return claims
