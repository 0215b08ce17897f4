"""Argument checks shared by the whole library.

Every public function of ``dltheory`` checks its arguments with these helpers, so that bad input
raises a ``ValueError`` that names the argument and the accepted range, never a silent wrong answer
or a deep traceback from inside JAX.

Configs declare the range of each field instead of checking it by hand, with :func:`field`::

    @dataclasses.dataclass(frozen=True)
    class GrokConfig(runtime.ModeConfig):
        p: int = validate.field(47, validate.prime, low=3, high=1009)
        train_frac: float = validate.field(0.5, validate.real, low=0.0, high=1.0, low_open=True, high_open=True)
        batch_size: int | None = validate.field(None, validate.integer, low=1, optional=True)

and :class:`dltheory.runtime.ModeConfig` runs every declared check after construction
(:func:`check_fields`), then the config's own ``check()`` for relations between fields.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "integer",
    "real",
    "probability",
    "choice",
    "array",
    "prime",
    "is_prime",
    "increasing_integers",
    "schedule",
    "SEED_MAX",
    "seed",
    "seeds",
    "multiple",
    "reals",
    "integers",
    "field",
    "check_fields",
    "FieldCheck",
]


def integer(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an ``int`` in ``[low, high]`` (either bound optional); booleans are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be an integer{_range(low, high)}, got {value}")
    return value


def real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite ``float`` in the given interval (open or closed at each end)."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, (list, tuple, dict, set)) or (hasattr(value, "shape") and np.ndim(value) != 0):
        raise ValueError(f"{name} must be a scalar number, got {type(value).__name__} {value!r:.60}")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if not math.isfinite(as_float):
        raise ValueError(f"{name} must be finite, got {as_float}")
    bad_low = low is not None and (as_float <= low if low_open else as_float < low)
    bad_high = high is not None and (as_float >= high if high_open else as_float > high)
    if bad_low or bad_high:
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{name} must be in {interval}, got {as_float}")
    return as_float


def probability(name: str, value: Any, *, open_low: bool = False, open_high: bool = False) -> float:
    """A real number in [0, 1] (optionally open at either end)."""
    return real(name, value, low=0.0, high=1.0, low_open=open_low, high_open=open_high)


def choice(name: str, value: Any, options: Sequence[Any]) -> Any:
    """``value`` if it is one of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}")
    return value


def array(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    shape: Sequence[int | None] | None = None,
    finite: bool = True,
    positive: bool = False,
    nonnegative: bool = False,
    min_size: int = 1,
    dtype: Any = float,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """``value`` as a numpy array, checked for dimension, shape, size and values.

    ``shape`` may hold ``None`` for free axes; ``low`` and ``high`` bound every value (inclusive). The array is converted to ``dtype``; an input that
    cannot be converted (strings, ragged lists) raises ``ValueError``.
    """
    try:
        arr = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an array of numbers, got {type(value).__name__}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            raise ValueError(f"{name} must have ndim in {allowed}, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
            want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s), got {arr.size}")
    if np.issubdtype(arr.dtype, np.number) and arr.size:
        if finite and not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
        if positive and not np.all(arr > 0):
            raise ValueError(f"{name} must be strictly positive (min is {np.min(arr)})")
        if nonnegative and not np.all(arr >= 0):
            raise ValueError(f"{name} must be non-negative (min is {np.min(arr)})")
        if (low is not None and not np.all(arr >= low)) or (high is not None and not np.all(arr <= high)):
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            raise ValueError(f"{name} must lie in [{lo}, {hi}] (found values from {np.min(arr):g} to {np.max(arr):g})")
    return arr


def is_prime(n: int) -> bool:
    """Trial division; fine for the moduli of this book (p < 10**6)."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    f = 3
    while f * f <= n:
        if n % f == 0:
            return False
        f += 2
    return True


def prime(name: str, value: Any, *, low: int = 2, high: int | None = None) -> int:
    """``value`` as an ``int`` that is prime and in ``[low, high]``."""
    n = integer(name, value, low=low, high=high)
    if not is_prime(n):
        raise ValueError(f"{name} must be a prime number, got {n}")
    return n


def _range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return ""
    if high is None:
        return f" >= {low}"
    if low is None:
        return f" <= {high}"
    return f" in [{low}, {high}]"


def increasing_integers(name: str, values: Any, *, min_size: int = 1) -> np.ndarray:
    """``values`` as a 1-D array of strictly increasing positive integers (model widths, sample sizes, ...)."""
    arr = array(name, values, ndim=1, positive=True, min_size=min_size)
    if np.any(np.diff(arr) <= 0) or not np.all(arr == np.round(arr)):
        raise ValueError(f"{name} must be increasing integers, got {list(np.asarray(values).tolist())}")
    return arr.astype(np.int64)


def schedule(steps: Any, eval_every: Any) -> tuple[int, int]:
    """A training length and evaluation interval: ``steps ≥ 1``, ``1 ≤ eval_every ≤ steps``, and a multiple."""
    steps = integer("steps", steps, low=1)
    eval_every = integer("eval_every", eval_every, low=1, high=steps)
    if steps % eval_every:
        raise ValueError(f"steps ({steps}) must be a multiple of eval_every ({eval_every})")
    return steps, eval_every


#: the largest seed the book accepts (NumPy's legacy seeding and 32-bit JAX keys take no more)
SEED_MAX = 2**31 - 1


def seed(name: str, value: Any) -> int:
    """``value`` as one seed: an integer in ``[0, SEED_MAX]``."""
    return integer(name, value, low=0, high=SEED_MAX)


def seeds(values: Any, *, distinct: bool = False) -> tuple[int, ...]:
    """``values`` as a non-empty tuple of seeds (see :func:`seed`); a bare integer is refused, not iterated.

    ``distinct=True`` also refuses a repeated seed (two runs of a sweep would be the same run).
    """
    if isinstance(values, (str, bytes, int, np.integer)) or not isinstance(values, (Sequence, np.ndarray)) \
            or len(values) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {values!r}")
    out = tuple(seed(f"seeds[{i}]", s) for i, s in enumerate(values))
    if distinct and len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct, got {out}")
    return out


def multiple(name: str, value: Any, *, of: int, low: int | None = None) -> int:
    """``value`` as an ``int >= low`` that is a multiple of ``of`` (training steps split into evaluations)."""
    value = integer(name, value, low=low)
    if value % of:
        raise ValueError(f"{name} must be a multiple of {of}, got {value}")
    return value


def _items(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return tuple(values.tolist())
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a sequence of numbers, got {values!r}")
    return tuple(values)


def _size(name: str, items: tuple[Any, ...], min_size: int, max_size: int | None, values: Any) -> None:
    if len(items) < min_size or (max_size is not None and len(items) > max_size):
        want = f"at least {min_size}" if max_size is None else f"{min_size} to {max_size}"
        raise ValueError(f"{name} must have {want} entries, got {values!r}")


def reals(name: str, values: Any, *, min_size: int = 1, max_size: int | None = None, increasing: bool = False,
          **bounds: Any) -> tuple[float, ...]:
    """A tuple of real numbers, each in the interval that ``bounds`` give :func:`real` (``low``, ``high``, ...)."""
    items = tuple(real(f"{name}[{i}]", v, **bounds) for i, v in enumerate(_items(name, values)))
    _size(name, items, min_size, max_size, values)
    if increasing and any(u >= v for u, v in zip(items[:-1], items[1:])):
        raise ValueError(f"{name} must be increasing, got {values!r}")
    return items


def integers(name: str, values: Any, *, low: int | None = None, high: int | None = None, min_size: int = 1,
             max_size: int | None = None, increasing: bool = False) -> tuple[int, ...]:
    """A tuple of integers in ``[low, high]``, at least ``min_size`` of them; ``increasing=True``: strictly."""
    items = tuple(integer(f"{name}[{i}]", v, low=low, high=high) for i, v in enumerate(_items(name, values)))
    _size(name, items, min_size, max_size, values)
    if increasing and any(u >= v for u, v in zip(items[:-1], items[1:])):
        raise ValueError(f"{name} must be increasing, got {values!r}")
    return items


# --------------------------------------------------------------------------- declared ranges of config fields


@dataclasses.dataclass(frozen=True)
class FieldCheck:
    """The declared range of one config field: a check of this module and its keyword arguments."""

    check: Callable[..., Any]
    bounds: tuple[tuple[str, Any], ...]
    optional: bool = False

    def __call__(self, name: str, value: Any) -> None:
        if value is None and self.optional:
            return
        self.check(name, value, **dict(self.bounds))

    def describe(self) -> str:
        """The range in words, e.g. ``integer, low=1`` (shown by ``help`` and the docs)."""
        parts = [self.check.__name__] + [f"{k}={v!r}" for k, v in self.bounds]
        return ", ".join(parts) + (", or None" if self.optional else "")


def field(default: Any, check: Callable[..., Any], *, optional: bool = False, **bounds: Any) -> Any:
    """A dataclass field whose range is declared: ``check(name, value, **bounds)`` runs after construction.

    ``check`` is one of this module's checks (:func:`integer`, :func:`real`, :func:`probability`,
    :func:`choice`, :func:`prime`, :func:`array`, :func:`increasing_integers`, ...) or any function with the
    same signature that raises ``ValueError``. ``optional=True`` also accepts ``None``. The default must
    itself pass, so a wrong declaration fails when the class is defined.
    """
    if not callable(check):
        raise ValueError(f"check must be a function like validate.integer, got {check!r}")
    spec = FieldCheck(check, tuple(sorted(bounds.items())), optional)
    spec("default", default)
    if isinstance(default, (list, dict, set, np.ndarray)):
        raise ValueError(f"a config field's default must be immutable (use a tuple), got {type(default).__name__}")
    return dataclasses.field(default=default, metadata={"check": spec})


def check_fields(obj: Any) -> None:
    """Run the declared check of every field of the dataclass instance ``obj``."""
    for f in dataclasses.fields(obj):
        spec = f.metadata.get("check")
        if spec is not None:
            spec(f.name, getattr(obj, f.name))
