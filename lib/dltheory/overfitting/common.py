"""Chapter 2 · what several sections share: argument checks, one BLAS thread, the digits, a curve helper.

* :func:`single_threaded_blas`: the decorator of the numpy experiments (small matrices, busy cores);
* :func:`valid_seed`, :func:`valid_seeds`: the checks of the experiments' integer seeds;
* :func:`increasing_sizes`: the declared range of config fields that list sample sizes or widths;
* :func:`load_digits` (and the cached :func:`digits`): scikit-learn's digits, used by ``03-random-features``
  and ``06-deep-double-descent``;
* :func:`max_relative_increase`: is a risk curve monotone? (``02-optimal-ridge``, ``06-deep-double-descent``);
* :func:`relative_bump`: does a curve rise *and then fall*? (``06-deep-double-descent``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dltheory import validate

__all__ = ["single_threaded_blas", "valid_seed", "valid_seeds", "increasing_sizes", "digits", "load_digits",
           "max_relative_increase", "relative_bump"]


def single_threaded_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with one BLAS thread: the matrices here are small, and on a shared machine a
    multi-threaded BLAS spends most of its time waiting (measured 15× slower on 2 busy cores)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def valid_seed(name: str, value: Any) -> int:
    """``value`` as a seed of ``numpy.random.default_rng``: an integer in [0, 2³¹ − 1]."""
    return validate.integer(name, value, low=0, high=2**31 - 1)


def valid_seeds(values: Any) -> list[int]:
    """``values`` as a non-empty list of seeds (see :func:`valid_seed`)."""
    if isinstance(values, (int, np.integer)) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {values!r}")
    return [valid_seed("seeds[i]", s) for s in values]


def increasing_sizes(name: str, values: Any, *, low: int = 1) -> np.ndarray:
    """``values`` as strictly increasing integers, each at least ``low``: a config field's declared range
    (sample sizes, widths), for :func:`dltheory.validate.field`."""
    arr = validate.increasing_integers(name, values)
    return validate.array(name, arr, low=low).astype(np.int64)


@functools.cache
def digits() -> tuple[np.ndarray, np.ndarray]:
    """The digits as :func:`load_digits` returns them, cached and shared: read them, never write to them."""
    from sklearn.datasets import load_digits as _load

    x, y = _load(return_X_y=True)
    return (x / 16.0).astype(np.float64), y.astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 handwritten digits (8×8, shipped with the package): inputs in [0, 1], labels 0–9."""
    x, y = digits()
    return x.copy(), y.copy()


def max_relative_increase(curve: Any) -> np.ndarray:
    """The largest relative rise ``max_{i<j} (c_j − c_i)/c_i`` along the last axis (0 for a non-increasing curve).

    Sections ``02-optimal-ridge`` and ``06-deep-double-descent``: a monotone decreasing risk curve gives 0.
    """
    c = validate.array("curve", curve, ndim=(1, 2), positive=True)
    running_min = np.minimum.accumulate(c, axis=-1)
    return np.max(c / running_min - 1.0, axis=-1)


def relative_bump(curve: Any) -> np.ndarray:
    """The height of a curve's bump relative to both of its sides, along the last axis.

    Section ``06-deep-double-descent``: a double-descent curve rises to a peak and then falls. The peak is the
    top of the largest relative rise (the point ``j`` that maximises ``c_j / min_{i≤j} c_i``); the bump is
    ``min(c_j / min_{i≤j} c_i, c_j / min_{k≥j} c_k) − 1``, the smaller of the relative rise before the peak and
    the relative fall after it. A monotone curve, or one that rises to its last point, gives 0.
    """
    c = validate.array("curve", curve, ndim=(1, 2, 3), positive=True)
    before = np.minimum.accumulate(c, axis=-1)
    after = np.flip(np.minimum.accumulate(np.flip(c, axis=-1), axis=-1), axis=-1)
    peak = np.argmax(c / before, axis=-1)[..., None]
    top = np.take_along_axis(c, peak, axis=-1)
    rise = top / np.take_along_axis(before, peak, axis=-1)
    fall = top / np.take_along_axis(after, peak, axis=-1)
    return (np.minimum(rise, fall) - 1.0)[..., 0]
