"""What a measurement must satisfy (:class:`Criterion`), and how far a value sits from that bar (:class:`Margin`).

Part of :mod:`dltheory.claims` (introduced in *How to read this book*, ``book/how-to-read``).

**Margins.** A numeric criterion accepts an interval ``[lo, hi]`` (the intersection of ``lower``,
``upper`` and ``target ± (tol + rtol·|target|)``; one end may be open). The *signed margin* of a value
``v`` is its distance to the nearer end, positive inside: ``min(v − lo, hi − v)``. It is expressed

* relative to the bar's *scale*: the interval's half-width when both ends are finite; for a one-sided bar
  ``b``, the distance ``|b − limit|`` from the bar to the natural limit of the quantity on the passing side
  (the registry's ``limit``; by default 0, so the scale is ``|b|``). No relative margin for a one-sided bar
  at its limit or an exact target;
* in units of the seeds' spread (their sample standard deviation) when there are at least two seeds.

Two kinds of quantity need their own geometry, declared in the registry:

* **At a ceiling** (``limit``): an accuracy against ``≥ 0.99`` lives in ``[0, 1]``; 1.0 is as far from the bar
  as a value can be, yet it is 1% of ``|b|``. With ``limit = 1`` the scale is the room between bar and ceiling
  (0.01), and 1.0 sits at +100% of it; 0.9905 sits at +5%, near the bar, as it should.
* **Ratios** (``scale = "log"``): a ratio against ``≥ 10`` whose seeds span 30 to 10⁵ is judged in log space:
  every margin, scale and spread is computed on ``ln v`` (the bar ``≥ 10`` becomes ``ln v ≥ ln 10``; the default
  limit is the ratio 1, so the scale of a one-sided bar is ``|ln b|``). The absolute margin is then a factor
  (``ln 3`` is "a factor 3 inside the bar"), and a spread of decades no longer makes every seed look near.

A value is **near** its bar when ``|margin| < NEAR_SPREADS · spread`` where the seeds have a spread, and
``|margin| < NEAR_RELATIVE · scale`` where they have none (one value, or seeds that all agree). A verdict is
**marginal** when a value near the bar could turn it (see :meth:`Margin.of`). The null, judged by the same
criterion, has its margin by the same rule; a null near the bar makes the claim marginal too (it misses, but
another run or seed could tip it over the bar, and then the check cannot fail), and the verdict keeps the two
reasons apart (:attr:`dltheory.claims.Verdict.marginal_sides`).

Why these numbers. The seeds' spread is the one measured estimate of how far a rerun moves a value: with
n ≈ 3–5 seeds the worst seed sits about one spread below their mean, so a worst seed within one spread of the
bar puts the mean within about two spreads of it, and a fresh seed then lands past the bar with a probability
of a few per cent. A sweep over ten base seeds spaced apart (0, 100, ..., 900: a page's seeds are consecutive
from its base) draws some thirty fresh seeds, so such a claim is likely to fail somewhere. A single value has
no spread; 10 % of the bar's scale is the resolution at which the book's bars are stated (one or two
significant figures), so a value closer than that is not clearly on one side of the bar as stated. Both thresholds are floors, not guarantees.

Why not in units of the distance between the bar and the null? That distance is the effect's size, what the
null's own margin records; whether a rerun could turn the verdict depends on how far values move between runs
(the spread) and, without seeds, on the resolution of the bar, which the room to the quantity's limit sets.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["Criterion", "Margin", "NEAR_RELATIVE", "NEAR_SPREADS", "fmt", "SCALES"]

#: A value closer to its bar than this fraction of the bar's scale is near it.
NEAR_RELATIVE = 0.10
#: A value closer to its bar than this many seed spreads (sample standard deviations) is near it.
NEAR_SPREADS = 1.0

_NUMERIC = ("target", "tol", "rtol", "lower", "upper")
#: how margins are measured: on the value, or on its logarithm (ratios)
SCALES = ("linear", "log")


def fmt(x: Any) -> str:
    """A number as the book prints it (3-4 significant figures; yes/no for booleans)."""
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


@dataclasses.dataclass(frozen=True)
class Criterion:
    """What a measured value must satisfy.

    * ``expect`` (bool): the measurement is a yes/no outcome that must equal ``expect``;
    * otherwise a number ``m`` passes when ``lower <= m <= upper`` (each bound optional) and, if
      ``target`` is given, ``|m - target| <= tol + rtol * |target|``.

    ``log_scale`` and ``limit`` do not change what passes, only how the margin is measured (see the module's
    docstring): in log space for a ratio, relative to the room between a one-sided bar and the quantity's limit.
    """

    target: float | None = None
    tol: float | None = None
    rtol: float | None = None
    lower: float | None = None
    upper: float | None = None
    expect: bool | None = None
    log_scale: bool = False
    limit: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.log_scale, bool):
            raise ValueError(f"log_scale must be true or false, got {self.log_scale!r}")
        if self.expect is not None:
            if not isinstance(self.expect, bool):
                raise ValueError(f"expect must be true or false, got {self.expect!r}")
            if any(getattr(self, k) is not None for k in _NUMERIC):
                raise ValueError("a criterion with expect cannot also have target, tol, rtol, lower or upper")
            if self.log_scale or self.limit is not None:
                raise ValueError("a yes/no criterion has no margin: scale and limit apply to numbers")
            return
        for name in (*_NUMERIC, "limit"):
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
        self._check_margin_scale()

    def _check_margin_scale(self) -> None:
        lo, hi = self.interval()
        if self.log_scale and any(math.isfinite(end) and end <= 0 for end in (lo, hi)):
            raise ValueError(f"scale = \"log\" is for positive quantities (ratios): the accepted interval "
                             f"[{fmt(lo)}, {fmt(hi)}] must lie above 0")
        if self.limit is None:
            return
        if math.isfinite(lo) and math.isfinite(hi):
            raise ValueError("limit applies to a one-sided bar (lower or upper alone); a two-sided bar's scale "
                             "is its half-width")
        if self.log_scale and self.limit <= 0:
            raise ValueError(f"limit must be positive on a log scale, got {self.limit}")
        if math.isfinite(lo) and not self.limit > lo:
            raise ValueError(f"limit ({fmt(self.limit)}) must lie on the passing side of the bar, above {fmt(lo)}")
        if math.isfinite(hi) and not self.limit < hi:
            raise ValueError(f"limit ({fmt(self.limit)}) must lie on the passing side of the bar, below {fmt(hi)}")

    def transform(self, value: float) -> float:
        """The value on the margin's scale: itself, or ``ln value`` (``-inf`` for a non-positive one) on a log scale."""
        return float(self.transform_each(np.array([float(value)]))[0])

    def transform_each(self, values: np.ndarray) -> np.ndarray:
        """:meth:`transform` of every entry of an array: on a log scale ``ln v``, ``-inf`` for ``v <= 0`` (a
        ratio or a rise of 0 lies below every bar: a legitimate value, not a degenerate one), NaN for NaN (a
        degenerate seed stays one)."""
        v = np.asarray(values, float)
        if not self.log_scale:
            return v
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(v > 0, np.log(np.where(v > 0, v, 1.0)), np.where(np.isnan(v), np.nan, -np.inf))

    @property
    def boolean(self) -> bool:
        return self.expect is not None

    def interval(self) -> tuple[float, float]:
        """The accepted values ``[lo, hi]`` of a numeric criterion (``±inf`` for an open end)."""
        if self.boolean:
            raise ValueError("a yes/no criterion has no interval")
        lo = -math.inf if self.lower is None else float(self.lower)
        hi = math.inf if self.upper is None else float(self.upper)
        if self.target is not None:
            allowed = (self.tol or 0.0) + (self.rtol or 0.0) * abs(self.target)
            lo, hi = max(lo, self.target - allowed), min(hi, self.target + allowed)
        return lo, hi

    def holds(self, value: float | bool) -> bool:
        """Whether one measured value meets the criterion (:meth:`holds_each` of one value)."""
        return bool(self.holds_each(np.array([float(value)]))[0])

    def holds_each(self, values: np.ndarray) -> np.ndarray:
        """:meth:`holds` of every entry of an array, as a yes/no array of its shape: numbers, or for a yes/no
        criterion answers as 1 and 0 (or booleans). A non-finite value never holds: NaN is a degenerate seed's
        answer, neither yes nor no."""
        v = np.asarray(values, float)
        ok = np.isfinite(v)
        if self.boolean:
            if not np.isin(v[ok], (0.0, 1.0)).all():
                raise ValueError("a yes/no criterion's answers are 1 or 0 (true or false), or NaN for a dead seed")
            return v == float(bool(self.expect))  # NaN equals neither
        with np.errstate(invalid="ignore"):
            if self.lower is not None:
                ok &= v >= self.lower
            if self.upper is not None:
                ok &= v <= self.upper
            if self.target is not None:
                ok &= np.abs(v - self.target) <= (self.tol or 0.0) + (self.rtol or 0.0) * abs(self.target)
        return ok

    def best_case_at_least(self, bounds: Any) -> np.ndarray:
        """The values at which quantities known only to be at least ``bounds`` are judged when the doubt must go
        to meeting the criterion: the smallest value at or above each bound that meets it, or the bound itself
        where no such value does (then every value it could take misses). A run cut off by its budget before the
        event it times (a null whose delay is at least the budget over its fit) is judged so: a null that could
        still meet the bar counts as meeting it (``claims.check(..., null_censored=...)``)."""
        if self.boolean:
            raise ValueError("a yes/no answer is not a bound: only a numeric criterion judges censored values")
        lo, hi = self.interval()
        b = np.asarray(bounds, float)
        return np.where(b <= hi, np.maximum(b, lo), b)

    def signed_margin(self, value: float) -> float | None:
        """Distance of ``value`` to the nearer end of the accepted interval, positive inside (in log space on a
        log scale); ``None`` for a yes/no criterion or an exact target (an interval of width 0)."""
        if self.boolean:
            return None
        lo, hi = self.interval()
        if lo == hi:
            return None
        v = self.transform(value)
        below = v - self.transform(lo) if math.isfinite(lo) else math.inf
        above = self.transform(hi) - v if math.isfinite(hi) else math.inf
        return min(below, above)

    def scale(self) -> float | None:
        """The unit of the relative margin: the half-width of a two-sided interval, else the distance from the
        one bound to the quantity's limit (default 0, or the ratio 1 on a log scale); on the margin's scale."""
        if self.boolean:
            return None
        lo, hi = self.interval()
        if math.isfinite(lo) and math.isfinite(hi):
            return (self.transform(hi) - self.transform(lo)) / 2 if hi > lo else None
        bound = lo if math.isfinite(lo) else hi
        limit = self.limit if self.limit is not None else (1.0 if self.log_scale else 0.0)
        size = abs(self.transform(bound) - self.transform(limit))
        return size if size > 0 else None

    def describe(self) -> str:
        """The criterion in words, e.g. ``0.5 ± 0.05`` or ``≥ 0.99``."""
        if self.boolean:
            return "true" if self.expect else "false"
        parts = []
        if self.target is not None:
            tol = []
            if self.tol:
                tol.append(f"{fmt(self.tol)}")
            if self.rtol:
                tol.append(f"{fmt(100 * self.rtol)}%")
            parts.append(f"{fmt(self.target)} ± {' + '.join(tol) if tol else '0'}")
        if self.lower is not None and self.upper is not None:
            parts.append(f"in [{fmt(self.lower)}, {fmt(self.upper)}]")
        elif self.lower is not None:
            parts.append(f"≥ {fmt(self.lower)}")
        elif self.upper is not None:
            parts.append(f"≤ {fmt(self.upper)}")
        return ", ".join(parts)


@dataclasses.dataclass(frozen=True)
class Margin:
    """How far a verdict sits from its bar (see the module's docstring for the definitions).

    ``absolute``, ``relative`` and ``spreads`` are the margin of the value that decides the verdict (the
    worst seed when every seed must pass, the k-th best of a ``min_pass = "k/n"`` claim, the median or mean
    otherwise); ``per_value`` holds every value's signed margin; ``near`` lists the indices of the values near
    the bar; ``marginal`` says whether the verdict is (see :meth:`of`).
    """

    absolute: float
    relative: float | None
    spreads: float | None
    spread: float | None
    per_value: tuple[float, ...]
    near: tuple[int, ...]
    marginal: bool
    log: bool = False

    @classmethod
    def of(cls, criterion: Criterion, values: Sequence[float], value: float, aggregate: str,
           per_seed: bool, need: int | None = None) -> Margin | None:
        """The margin of finite ``values`` (aggregated to ``value``); ``None`` where none is defined.

        The verdict is *marginal* when a value near the bar could turn it: with every seed required, any value
        near the bar; with ``need`` of them required (``min_pass``), the ``need``-th best value (so a near or
        failing seed beyond the ones the rule needs does not make it marginal); for a median, any value or the
        aggregate; for a mean of ``n`` values with a spread, the bar inside the mean's 95% confidence interval,
        ``mean ± t(0.975, n − 1)·spread/√n`` (Student's t: with a few values the spread is itself uncertain, so
        three values need the mean 2.5 spreads from the bar, ten values 0.72). No one value decides a mean, so
        a value near the bar beside a mean far from it cannot turn the verdict.
        """
        scale = criterion.scale()
        per_value = [criterion.signed_margin(v) for v in values]
        if any(m is None for m in per_value):
            return None
        moved = [criterion.transform(v) for v in values]
        finite = [m for m in moved if math.isfinite(m)]
        spread = float(np.std(finite, ddof=1)) if per_seed and len(finite) >= 2 else None
        spread = spread if spread else None  # all seeds equal: no spread to measure in

        def near(m: float) -> bool:
            if spread is not None:  # the seeds measure how far a value moves: use them
                return abs(m) < NEAR_SPREADS * spread
            return scale is not None and abs(m) < NEAR_RELATIVE * scale

        if need is not None:
            deciding = sorted(per_value, reverse=True)[need - 1]
        else:
            deciding = min(per_value) if aggregate == "all" else criterion.signed_margin(value)
        close = tuple(i for i, m in enumerate(per_value) if near(m))
        if need is not None:
            marginal = near(deciding)
        elif aggregate == "mean":
            marginal = abs(deciding) < mean_half_width(spread, len(finite)) if spread else near(deciding)
        else:
            marginal = bool(close) or (aggregate != "all" and near(deciding))
        return cls(
            absolute=float(deciding),
            relative=float(deciding / scale) if scale else None,
            spreads=float(deciding / spread) if spread else None,
            spread=spread,
            per_value=tuple(float(m) for m in per_value),
            near=close,
            marginal=marginal,
            log=criterion.log_scale,
        )

    def describe(self) -> str:
        """E.g. ``+0.04 (+9% of the bar, 0.8 seed spreads)``, or on a log scale ``a factor 3 inside the bar (...)``."""
        parts = [f"{self.relative:+.0%} of the bar"] if self.relative is not None else []
        if self.spreads is not None:
            parts.append(f"{self.spreads:+.2g} seed spreads" + (" of the log" if self.log else ""))
        if self.log:
            side = "inside" if self.absolute >= 0 else "outside"
            factor = math.exp(abs(self.absolute)) if math.isfinite(self.absolute) else math.inf
            text = f"a factor {fmt(factor)} {side} the bar"
        else:
            text = f"{self.absolute:+.3g}"
        text += f" ({', '.join(parts)})" if parts else ""
        return text + (" — marginal" if self.marginal else "")

    def record(self) -> dict[str, Any]:
        return {
            "absolute": _finite_or_text(self.absolute),
            "relative": _finite_or_text(self.relative),
            "spreads": _finite_or_text(self.spreads),
            "spread": self.spread,
            "per_value": [_finite_or_text(m) for m in self.per_value],
            "near": list(self.near),
            "marginal": self.marginal,
            "scale": "log" if self.log else "linear",
            "text": self.describe(),
        }


def mean_half_width(spread: float, n: int) -> float:
    """Half the width of the 95% confidence interval of a mean of ``n`` values with sample standard deviation
    ``spread``: ``t(0.975, n − 1)·spread/√n`` (Student's t). A claim on a mean is marginal when its bar lies inside."""
    if n < 2:
        raise ValueError(f"a confidence interval of a mean needs at least 2 values, got n = {n}")
    return float(stats.t.ppf(0.975, n - 1) * spread / math.sqrt(n))


def _finite_or_text(x: float | None) -> float | str | None:
    """A number for JSON: ``inf`` (a non-positive ratio on a log scale) becomes the string ``"inf"``/``"-inf"``."""
    return x if x is None or math.isfinite(x) else str(x)
