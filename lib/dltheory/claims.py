"""The registry of the book's claims, and ``check``, which holds a measurement against one.

Introduced in *How to read this book* (``book/how-to-read``). Every claim the book makes is
registered in a TOML file under ``dltheory/registry/`` (one file per chapter), with

``id``         a stable identifier, ``"<chapter-slug>/<short-name>"``
``statement``  the claim in words
``source``     BibTeX key(s) in ``book/references.bib``
``paper``      what the paper reports, as printed (a number with its setting, or a sentence)
``target``, ``tol``, ``rtol``, ``lower``, ``upper``, ``expect``
               the criterion our measurement must meet (see :class:`Criterion`);
               ``target = "theory"`` means the page computes the target from the theory it
               derives and passes it as ``check(..., theory=value)``
``aggregate``  ``"all"`` (default: every seed must pass), ``"median"`` or ``"mean"``
``mode``       ``"any"`` (checked in fast and full mode) or ``"full"`` (holds only at paper scale;
               in fast mode the page shows a saved full-mode result with its provenance)
``units``      optional, for display
``reproduces`` ``true`` (default), or ``false`` for a claim of the paper that our code does *not*
               reproduce at this scale: the page still measures it against the paper's criterion,
               the verdict and the ledger say "does not reproduce", and the build goes on. Should
               such a claim start to pass, ``check`` raises, so that the registry is corrected.

A claim may override its criterion per mode with ``[claim.fast]`` or ``[claim.full]`` tables.

``check(claim_id, measured)`` prints a verdict in the page and raises :class:`ClaimFailed` when the
measurement does not meet the criterion, so a broken reproduction cannot build. The verdict's HTML
carries the result as a data attribute, from which the book's ledger page (``book/claims.md``) is
generated at build time (see :mod:`dltheory.book.sphinxext`).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import html
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dltheory import runtime

__all__ = [
    "Claim",
    "Criterion",
    "Verdict",
    "ClaimFailed",
    "registry",
    "chapter_titles",
    "load_registry",
    "get",
    "check",
    "Provenance",
]

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*/[a-z0-9][a-z0-9._-]*$")
_AGGREGATES = ("all", "median", "mean")
_CLAIM_MODES = ("any", "full")
_CRITERION_KEYS = ("target", "tol", "rtol", "lower", "upper", "expect")
_KNOWN_KEYS = {
    "id",
    "statement",
    "source",
    "paper",
    "aggregate",
    "mode",
    "units",
    "reproduces",
    "fast",
    "full",
    *_CRITERION_KEYS,
}
HTML_CLASS = "dltheory-claim"


class ClaimFailed(AssertionError):
    """Raised by :func:`check` when a measurement does not meet its claim's criterion."""


@dataclasses.dataclass(frozen=True)
class Criterion:
    """What a measured value must satisfy.

    * ``expect`` (bool): the measurement is a yes/no outcome that must equal ``expect``;
    * otherwise a number ``m`` passes when ``lower <= m <= upper`` (each bound optional) and, if
      ``target`` is given, ``|m - target| <= tol + rtol * |target|``.
    """

    target: float | None = None
    tol: float | None = None
    rtol: float | None = None
    lower: float | None = None
    upper: float | None = None
    expect: bool | None = None

    def __post_init__(self) -> None:
        if self.expect is not None:
            if not isinstance(self.expect, bool):
                raise ValueError(f"expect must be true or false, got {self.expect!r}")
            if any(getattr(self, k) is not None for k in ("target", "tol", "rtol", "lower", "upper")):
                raise ValueError("a criterion with expect cannot also have target, tol, rtol, lower or upper")
            return
        for name in ("target", "tol", "rtol", "lower", "upper"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if value is not None and not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        if self.target is None and (self.tol is not None or self.rtol is not None):
            raise ValueError("tol and rtol need a target")
        if self.target is not None and self.tol is None and self.rtol is None:
            raise ValueError("a target needs a tolerance: tol (absolute) and/or rtol (relative)")
        for name in ("tol", "rtol"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be non-negative, got {value}")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower ({self.lower}) must not exceed upper ({self.upper})")
        if self.target is None and self.lower is None and self.upper is None:
            raise ValueError("a criterion needs expect, a target with a tolerance, or a bound (lower/upper)")

    @property
    def boolean(self) -> bool:
        return self.expect is not None

    def holds(self, value: float | bool) -> bool:
        """Whether one measured value meets the criterion."""
        if self.boolean:
            return bool(value) == self.expect
        v = float(value)
        if not math.isfinite(v):
            return False
        if self.lower is not None and v < self.lower:
            return False
        if self.upper is not None and v > self.upper:
            return False
        if self.target is not None:
            allowed = (self.tol or 0.0) + (self.rtol or 0.0) * abs(self.target)
            if abs(v - self.target) > allowed:
                return False
        return True

    def describe(self) -> str:
        """The criterion in words, e.g. ``0.5 ± 0.05`` or ``≥ 0.99``."""
        if self.boolean:
            return "true" if self.expect else "false"
        parts = []
        if self.target is not None:
            tol = []
            if self.tol:
                tol.append(f"{_fmt(self.tol)}")
            if self.rtol:
                tol.append(f"{_fmt(100 * self.rtol)}%")
            parts.append(f"{_fmt(self.target)} ± {' + '.join(tol) if tol else '0'}")
        if self.lower is not None and self.upper is not None:
            parts.append(f"in [{_fmt(self.lower)}, {_fmt(self.upper)}]")
        elif self.lower is not None:
            parts.append(f"≥ {_fmt(self.lower)}")
        elif self.upper is not None:
            parts.append(f"≤ {_fmt(self.upper)}")
        return ", ".join(parts)


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


@dataclasses.dataclass(frozen=True)
class Provenance:
    """Where a saved result comes from: the configuration, date and device of the run that made it."""

    config: str
    date: str
    device: str
    mode: str = "full"

    def __post_init__(self) -> None:
        for name in ("config", "date", "device"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise ValueError(f"provenance {name} must be a non-empty string")
        runtime.mode(self.mode)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Provenance:
        """Build from a dict with keys ``config``, ``date``, ``device`` and optionally ``mode``."""
        if not isinstance(data, Mapping):
            raise ValueError(f"provenance must be a mapping, got {type(data).__name__}")
        missing = {"config", "date", "device"} - set(data)
        if missing:
            raise ValueError(f"provenance is missing {sorted(missing)}")
        return cls(str(data["config"]), str(data["date"]), str(data["device"]), str(data.get("mode", "full")))

    def describe(self) -> str:
        return f"saved {self.mode}-mode run ({self.config}; {self.date}; {self.device})"


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`check`. Its HTML form is what a page shows."""

    claim: Claim
    passed: bool
    value: float | bool
    values: tuple[Any, ...]
    seeds: tuple[int, ...] | None
    mode: str
    criterion: Criterion
    provenance: Provenance | None = None
    note: str = ""
    checked_at: str = ""

    @property
    def status(self) -> str:
        """``"reproduced"``, ``"not reproduced"`` (as registered) or ``"failed"``."""
        if self.claim.reproduces:
            return "reproduced" if self.passed else "failed"
        return "not reproduced" if not self.passed else "failed"

    @property
    def ok(self) -> bool:
        """Whether the outcome is the registered one (a build may go on)."""
        return self.status != "failed"

    def summary(self) -> str:
        """Our value in words, e.g. ``0.51 (median of 5 seeds, range 0.49–0.53)``."""
        if self.criterion.boolean:
            if len(self.values) == 1:
                return "yes" if self.value else "no"
            n_true = sum(bool(v) for v in self.values)
            return f"{n_true} of {len(self.values)} {'seeds' if self.seeds is not None else 'values'} true"
        if len(self.values) == 1:
            return f"{_fmt(self.value)}{_units(self.claim.units)}"
        lo, hi = min(self.values), max(self.values)
        how = "median" if self.claim.aggregate in ("all", "median") else "mean"
        what = "seeds" if self.seeds is not None else "values"
        return (
            f"{_fmt(self.value)}{_units(self.claim.units)} ({how} of {len(self.values)} {what}, "
            f"range {_fmt(lo)}–{_fmt(hi)})"
        )

    def record(self) -> dict[str, Any]:
        """A JSON-ready record of this verdict (what the ledger reads)."""
        return {
            "id": self.claim.id,
            "passed": self.passed,
            "status": self.status,
            "value": _jsonable(self.value),
            "values": [_jsonable(v) for v in self.values],
            "summary": self.summary(),
            "criterion": self.criterion.describe(),
            "seeds": list(self.seeds) if self.seeds is not None else None,
            "mode": self.mode,
            "provenance": self.provenance.describe() if self.provenance else None,
            "note": self.note,
            "checked_at": self.checked_at,
        }

    def __str__(self) -> str:
        mark = {"reproduced": "PASS", "not reproduced": "NOT REPRODUCED", "failed": "FAIL"}[self.status]
        if not self.claim.reproduces and self.passed:
            mark = "FAIL (registered as not reproducing, but it now passes: update the registry)"
        where = f" [{self.provenance.describe()}]" if self.provenance else f" [{self.mode} mode]"
        text = (
            f"{mark} {self.claim.id}: ours {self.summary()}; required {self.criterion.describe()}"
            f"{_units(self.claim.units)}; paper: {self.claim.paper}{where}"
        )
        if self.note:
            text += f" ({self.note})"
        return text

    def _repr_html_(self) -> str:
        colour, bg, mark = {
            "reproduced": ("#1b5e20", "#e8f5e9", "✔ claim holds"),
            "not reproduced": ("#8a5a00", "#fff8e1", "◐ does not reproduce at this scale (as registered)"),
            "failed": ("#b71c1c", "#ffebee", "✘ claim fails"),
        }[self.status]
        data = html.escape(json.dumps(self.record()), quote=True)
        where = html.escape(self.provenance.describe()) if self.provenance else f"{self.mode} mode"
        seeds = f"; seeds {_seed_text(self.seeds)}" if self.seeds else ""
        note = f"<br><em>{html.escape(self.note)}</em>" if self.note else ""
        return (
            f'<div class="{HTML_CLASS}" data-claim="{data}" style="border-left:4px solid {colour};'
            f'background:{bg};padding:0.5em 0.8em;margin:0.5em 0;font-family:sans-serif;font-size:0.9em">'
            f'<strong style="color:{colour}">{mark}</strong> '
            f"<code>{html.escape(self.claim.id)}</code><br>"
            f"{html.escape(self.claim.statement)}<br>"
            f"<strong>Paper:</strong> {html.escape(self.claim.paper)}<br>"
            f"<strong>Ours:</strong> {html.escape(self.summary())} "
            f"(required: {html.escape(self.criterion.describe())}{html.escape(_units(self.claim.units))}; "
            f"{where}{seeds}){note}</div>"
        )


def _units(units: str) -> str:
    return f" {units}" if units else ""


def _seed_text(seeds: Sequence[int] | None) -> str:
    if not seeds:
        return ""
    s = list(seeds)
    if len(s) > 2 and s == list(range(s[0], s[0] + len(s))):
        return f"{s[0]}–{s[-1]}"
    return ", ".join(str(x) for x in s)


def _fmt(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "yes" if x else "no"
    x = float(x)
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return str(x)
    if abs(x) >= 1e4 or abs(x) < 1e-3:
        return f"{x:.3g}"
    return f"{x:.4g}" if abs(x) >= 1 else f"{x:.3g}"


def _jsonable(x: Any) -> Any:
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    x = float(x)
    return x if math.isfinite(x) else str(x)


# --------------------------------------------------------------------------- the registry


def _parse_claim(raw: Mapping[str, Any], chapter: str, where: str) -> Claim:
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
    source = raw["source"]
    source = (source,) if isinstance(source, str) else tuple(source)
    if not source or not all(isinstance(s, str) and s for s in source):
        raise ValueError(f"{where}: claim {cid}: source must be one or more BibTeX keys")
    for text_field in ("statement", "paper"):
        if not isinstance(raw[text_field], str) or not raw[text_field].strip():
            raise ValueError(f"{where}: claim {cid}: {text_field} must be a non-empty string")
    aggregate = raw.get("aggregate", "all")
    if aggregate not in _AGGREGATES:
        raise ValueError(f"{where}: claim {cid}: aggregate must be one of {_AGGREGATES}, got {aggregate!r}")
    reproduces = raw.get("reproduces", True)
    if not isinstance(reproduces, bool):
        raise ValueError(f"{where}: claim {cid}: reproduces must be true or false, got {reproduces!r}")
    claim_mode = raw.get("mode", "any")
    if claim_mode not in _CLAIM_MODES:
        raise ValueError(f"{where}: claim {cid}: mode must be one of {_CLAIM_MODES}, got {claim_mode!r}")
    spec = {k: raw[k] for k in _CRITERION_KEYS if k in raw}
    theory_target = spec.get("target") == "theory"
    if theory_target:
        spec["target"] = 0.0  # replaced by the page's derived value at check time
    try:
        base = Criterion(**spec)
        overrides = {}
        for m in ("fast", "full"):
            if m in raw:
                extra = dict(raw[m])
                bad = set(extra) - set(_CRITERION_KEYS)
                if bad:
                    raise ValueError(f"[claim.{m}] may only set {_CRITERION_KEYS}, got {sorted(bad)}")
                if "target" in extra and theory_target:
                    raise ValueError(f"[claim.{m}] cannot set a target: the claim's target is the theory's")
                overrides[m] = Criterion(**(spec | extra))
    except ValueError as err:
        raise ValueError(f"{where}: claim {cid}: {err}") from None
    return Claim(
        id=cid,
        chapter=chapter,
        statement=raw["statement"].strip(),
        source=source,
        paper=raw["paper"].strip(),
        criterion=base,
        aggregate=aggregate,
        mode=claim_mode,
        units=str(raw.get("units", "")),
        overrides=overrides,
        theory_target=theory_target,
        reproduces=reproduces,
    )


def _read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        try:
            return tomllib.load(fh)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path.name}: not valid TOML: {err}") from None


def _registry_files() -> list[Path]:
    folder = resources.files("dltheory") / "registry"
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml"))


def load_registry(paths: Sequence[Path | str]) -> dict[str, Claim]:
    """Parse registry TOML files into ``{id: Claim}``; the chapter slug is the file's stem.

    Each file holds a top-level ``title`` (the chapter's name in the ledger) and ``[[claim]]`` tables.
    """
    claims: dict[str, Claim] = {}
    for path in paths:
        path = Path(path)
        doc = _read_toml(path)
        unknown = set(doc) - {"title", "claim"}
        if unknown:
            raise ValueError(f"{path.name}: unknown top-level key(s) {sorted(unknown)}; expected title and [[claim]]")
        if not isinstance(doc.get("title"), str) or not doc["title"].strip():
            raise ValueError(f"{path.name}: needs a top-level title = \"...\" (the chapter's name in the ledger)")
        entries = doc.get("claim", [])
        if not isinstance(entries, list):
            raise ValueError(f"{path.name}: claims must be [[claim]] tables")
        chapter = path.stem
        for i, raw in enumerate(entries):
            claim = _parse_claim(raw, chapter, f"{path.name} claim #{i + 1}")
            if claim.id in claims:
                raise ValueError(f"{path.name}: duplicate claim id {claim.id!r}")
            claims[claim.id] = claim
    return claims


@functools.cache
def registry() -> Mapping[str, Claim]:
    """All claims of the book, read once from the TOML files shipped inside the package."""
    return dict(load_registry(_registry_files()))


@functools.cache
def chapter_titles() -> Mapping[str, str]:
    """``{chapter slug: title}`` in the order of the registry files."""
    return {path.stem: _read_toml(path)["title"].strip() for path in _registry_files()}


def get(claim_id: str) -> Claim:
    """The registered claim ``claim_id``; an unknown id raises ``ValueError``."""
    reg = registry()
    if claim_id not in reg:
        close = [c for c in reg if claim_id.split("/")[-1] in c]
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"claim_id {claim_id!r} is not registered in dltheory/registry/*.toml.{hint}")
    return reg[claim_id]


# --------------------------------------------------------------------------- checking


def _values(measured: Any, boolean: bool) -> tuple[Any, ...]:
    if isinstance(measured, (bool, np.bool_)):
        if not boolean:
            raise ValueError("measured is a yes/no value but this claim's criterion is numeric")
        return (bool(measured),)
    try:
        arr = np.asarray(measured)
    except Exception:  # noqa: BLE001 - any conversion failure is a bad argument
        raise ValueError(f"measured must be a number, a boolean or an array of them, got {type(measured).__name__}") from None
    if arr.size == 0:
        raise ValueError("measured is empty")
    if arr.dtype == bool:
        if not boolean:
            raise ValueError("measured holds yes/no values but this claim's criterion is numeric")
        return tuple(bool(v) for v in arr.ravel())
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"measured must be numeric, got dtype {arr.dtype}")
    if boolean:
        raise ValueError("this claim expects a yes/no measurement (true/false), got numbers")
    if arr.ndim > 1:
        raise ValueError(f"measured must be a scalar or a 1-D array over seeds, got shape {arr.shape}")
    return tuple(float(v) for v in arr.ravel())


def check(
    claim_id: str,
    measured: Any,
    *,
    seeds: Sequence[int] | None = None,
    theory: float | None = None,
    provenance: Provenance | Mapping[str, Any] | None = None,
    note: str = "",
    mode: str | None = None,
    display: bool = True,
    raise_on_fail: bool = True,
) -> Verdict:
    """Hold ``measured`` against the registered claim ``claim_id``; show the verdict; raise if it fails.

    ``measured`` is a number, a yes/no value, or a 1-D array of them with one entry per seed
    (then ``seeds`` names the seeds). With ``aggregate = "all"`` every seed must pass; with
    ``"median"``/``"mean"`` the aggregate must. ``theory`` is the derived target of a claim
    registered with ``target = "theory"``. For a claim registered with ``reproduces = false`` the
    roles swap: meeting the criterion raises (the registry is out of date), missing it does not.

    A claim registered with ``mode = "full"`` holds only at paper scale: in fast mode it can be
    checked only against a saved full-mode result, passed with its ``provenance`` (config, date,
    device), which the verdict shows.
    """
    claim = get(claim_id)
    current = runtime.mode(mode)
    prov = None
    if provenance is not None:
        prov = provenance if isinstance(provenance, Provenance) else Provenance.from_mapping(provenance)
    if claim.mode == "full" and current == "fast" and prov is None:
        raise ValueError(
            f"claim {claim_id!r} holds only at paper scale (mode='full'); in fast mode check the saved "
            "full-mode result and pass its provenance=..."
        )
    effective_mode = prov.mode if prov is not None else current
    criterion = claim.criterion_for(effective_mode, theory)
    values = _values(measured, criterion.boolean)
    if seeds is not None:
        seeds = tuple(int(s) for s in seeds)
        if len(seeds) != len(values):
            raise ValueError(f"seeds has {len(seeds)} entries but measured has {len(values)}")
    if criterion.boolean:
        passed = all(criterion.holds(v) for v in values)
        # the measured outcome, aggregated in the direction of the expectation: "all true" when
        # true is expected, "any true" when false is; it passes exactly when it equals `expect`
        value: float | bool = all(values) if criterion.expect else any(values)
    else:
        finite = [v for v in values if math.isfinite(v)]
        if claim.aggregate == "mean":
            value = float(np.mean(values))
        else:
            value = float(np.median(values))
        if claim.aggregate == "all":
            passed = len(finite) == len(values) and all(criterion.holds(v) for v in values)
        else:
            passed = criterion.holds(value)
    verdict = Verdict(
        claim=claim,
        passed=bool(passed),
        value=value,
        values=values,
        seeds=seeds,
        mode=effective_mode,
        criterion=criterion,
        provenance=prov,
        note=note,
        checked_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    _log(verdict)
    if display:
        _show(verdict)
    if not verdict.ok and raise_on_fail:
        raise ClaimFailed(str(verdict))
    return verdict


def _show(verdict: Verdict) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display as ipy_display
    except ImportError:  # pragma: no cover - IPython always comes with the book's stack
        print(verdict)
        return
    if get_ipython() is None:
        print(verdict)
    else:
        ipy_display(verdict)


def _log(verdict: Verdict) -> None:
    """Append the verdict to ``$DLTHEORY_CLAIMS_LOG`` (JSON lines) when that variable is set."""
    path = os.environ.get("DLTHEORY_CLAIMS_LOG")
    if not path:
        return
    record = verdict.record() | {"seed_env": runtime.base_seed()}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
