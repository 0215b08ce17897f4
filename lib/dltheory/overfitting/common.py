"""Chapter 2 · what several sections share: one BLAS thread, the digits, a monotonicity measure.

* :func:`single_threaded_blas`: the decorator of the numpy experiments (small matrices, busy cores);
* :func:`load_digits` (and the cached :func:`digits`): scikit-learn's digits, used by ``03-random-features``
  and ``06-deep-double-descent``;
* :func:`max_relative_increase`: is a risk curve monotone? (``02-optimal-ridge``, ``06-deep-double-descent``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from dltheory import validate

__all__ = ["single_threaded_blas", "digits", "load_digits", "max_relative_increase"]


def single_threaded_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with one BLAS thread: the matrices here are small, and on a shared machine a
    multi-threaded BLAS spends most of its time waiting (measured 15× slower on 2 busy cores)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


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
