"""What the sections of Chapter 1 share: reading an exponent off a log-log line.

:func:`fit_exponent` reads off the measured exponents of §3 (``03-spectrum``), §4 (``04-quanta``), §6
(``06-quanta-network``) and of the exercises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dltheory import validate

__all__ = ["fit_exponent"]


def fit_exponent(x: Any, y: Any) -> float:
    """The exponent ``p`` of ``y ∝ x^(-p)``: minus the least-squares slope in log-log axes.

    Used to read off measured exponents in §3, §4 and §6; ``y`` may be 2-D (one row per seed), then one
    exponent per row is returned as an array.
    """
    x = validate.array("x", x, ndim=1, positive=True, min_size=3)
    y = validate.array("y", y, ndim=(1, 2), positive=True)
    if y.shape[-1] != x.size:
        raise ValueError(f"y must have {x.size} entries along its last axis to match x, got shape {y.shape}")
    lx = np.log(x) - np.log(x).mean()
    if not np.any(np.abs(lx) > 1e-12):
        raise ValueError("x must take at least two different values to fit a slope")
    ly = np.log(y)
    slopes = (ly - ly.mean(axis=-1, keepdims=True)) @ lx / np.sum(lx**2)
    return -slopes if y.ndim == 2 else float(-slopes)
