"""Section 3.4, acceleration and sign flips (page ``chapters/03-grokking/04-acceleration-and-sign-flips``).

Grokfast (Lee et al. 2024) amplifies the slow component of the gradients; :func:`filter_gain` measures
the gain of its filter :func:`dltheory.grokking.training.grokfast_ema` (which
:func:`dltheory.grokking.training.run` chains before AdamW). :func:`sign_flips` is the chapter's own
hypothesis: how many parameters change sign between snapshots.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import validate
from dltheory.grokking.training import grokfast_ema

__all__ = ["filter_gain", "sign_flips"]


def filter_gain(omega: Any, alpha: float = 0.98, lamb: float = 2.0, steps: int = 2000) -> np.ndarray:
    """Measured gain of :func:`dltheory.grokking.training.grokfast_ema` on a gradient that oscillates as
    ``cos(ω t)`` (Section 3.4).

    Feeds the sequence through the filter itself and, once the transient has died out (the last quarter of
    ``steps``), fits the output as ``A cos(ω t) + B sin(ω t)``; the gain is ``√(A² + B²)``, one value per
    entry of ``omega`` (radians per step).
    """
    omega = validate.array("omega", omega, ndim=1, nonnegative=True)
    alpha = validate.real("alpha", alpha, low=0.0, high=1.0, high_open=True)
    lamb = validate.real("lamb", lamb, low=0.0)
    steps = validate.integer("steps", steps, low=100)
    filt = grokfast_ema(alpha, lamb)
    t = np.arange(steps)
    signal = jnp.asarray(np.cos(np.outer(t, omega)), dtype=jnp.float32)  # (steps, n_omega)

    def step(mu: Any, g: jax.Array) -> tuple[Any, jax.Array]:
        out, mu = filt.update(g, mu)
        return mu, out

    _, out = jax.lax.scan(step, filt.init(signal[0]), signal)
    tail = t[-steps // 4 :]
    gains = []
    for j, w in enumerate(omega):
        basis = np.stack([np.cos(w * tail), np.sin(w * tail)], axis=1)
        coef = np.linalg.lstsq(basis, np.asarray(out, dtype=np.float64)[-steps // 4 :, j], rcond=None)[0]
        gains.append(np.hypot(*coef))
    return np.array(gains)


def sign_flips(snapshots: Any) -> np.ndarray:
    """Fraction of parameters whose sign changes between consecutive snapshots (Section 3.4).

    ``snapshots`` has shape ``(..., n_evals, n_params)`` (as in
    :attr:`dltheory.grokking.training.GrokResult.snapshots`); the result has shape ``(..., n_evals - 1)``.
    Parameters that are exactly zero at either end are not counted.
    """
    s = validate.array("snapshots", snapshots)
    if s.ndim < 2 or s.shape[-2] < 2:
        raise ValueError(f"snapshots must have shape (..., n_evals >= 2, n_params), got {s.shape}")
    before, after = np.sign(s[..., :-1, :]), np.sign(s[..., 1:, :])
    counted = (before != 0) & (after != 0)
    return np.sum((before != after) & counted, axis=-1) / np.maximum(np.sum(counted, axis=-1), 1)
