"""Chapter 5, shared: declared ranges of config fields that :mod:`dltheory.validate` has no single check for.

Each function has the signature of a :mod:`dltheory.validate` check, ``check(name, value, **bounds)``, so a
config field declares it with :func:`dltheory.validate.field`, e.g.
``steps: int = validate.field(1500, fields.multiple, low=10, of=10)``. The messages name the field and the
accepted range, as the hand-written checks they replace did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import validate

__all__ = ["multiple", "reals", "integers"]


def multiple(name: str, value: Any, *, low: int, of: int) -> int:
    """``value`` as an ``int >= low`` and a multiple of ``of`` (training steps split into ``of`` evaluations)."""
    value = validate.integer(name, value, low=low)
    if value % of:
        raise ValueError(f"{name} must be a multiple of {of}, got {value}")
    return value


def _items(name: str, values: Any) -> tuple[Any, ...]:
    if isinstance(values, np.ndarray) and values.ndim == 1:
        return tuple(values.tolist())
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise ValueError(f"{name} must be a tuple of numbers, got {values!r}")
    return tuple(values)


def reals(name: str, values: Any, **bounds: Any) -> tuple[float, ...]:
    """A tuple of real numbers, each in the interval that ``bounds`` give :func:`dltheory.validate.real`."""
    return tuple(validate.real(f"{name}[i]", v, **bounds) for v in _items(name, values))


def integers(name: str, values: Any, *, low: int | None = None, high: int | None = None, min_size: int = 0,
             increasing: bool = False) -> tuple[int, ...]:
    """A tuple of integers in ``[low, high]``; with ``increasing=True`` strictly increasing, and at least
    ``min_size`` of them."""
    items = tuple(validate.integer(f"{name}[i]", v, low=low, high=high) for v in _items(name, values))
    if len(items) < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got {values}")
    if increasing and any(u >= v for u, v in zip(items[:-1], items[1:])):
        raise ValueError(f"{name} must be increasing, got {values}")
    return items
