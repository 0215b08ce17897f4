"""Chapter 2 · § 8, ``chapters/02-benign-overfitting/08-trained-networks.md``: a certified interpolator in d = 1.

Kornowski, Yehudai and Shamir (2023) prove that interpolating two-layer ReLU networks with biases are *tempered* on
one-dimensional data: the clean test error stays of the order of the noise rate as ``n → ∞``. The simplest such
interpolator is the linear spline through the noisy labels ``(x_i, ỹ_i)``, constant beyond the extreme points: a
two-layer ReLU network with biases whose kinks sit at the data, which fits every label by construction. Its sign
changes once between neighbours with opposite labels, at their midpoint (:func:`spline_sign`), so its clean test
error on the mixture ``x = yμ + z`` is a sum of Gaussian masses, computed exactly (:func:`spline_error`).
:func:`spline_prices` averages it over draws at several ``n``. The 1-D picture: a flipped point costs the mass of
half the gaps to its two neighbours, about ``1/n``, so ``round(ηn)`` of them cost about ``η`` at every ``n``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.special import ndtr

from dltheory import validate
from dltheory.overfitting.trained_networks import mixture

__all__ = ["SPLINE_NS", "SPLINE_DRAWS", "sorted_data", "spline_sign", "spline_error", "interpolant_prices",
           "spline_prices"]

#: claims ``tempered-1d-spline-*``: the sample sizes and the draws averaged per ``n`` and seed
SPLINE_NS, SPLINE_DRAWS = (50, 100, 200, 400, 800), 20


def sorted_data(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """1-D points ``x`` and labels ``y = ±1`` checked (same length ≥ 2, distinct points: no function fits two labels
    at one point) and sorted by ``x``."""
    x = validate.array("x", x, ndim=1)
    y = validate.array("y", y, ndim=1)
    if y.shape != x.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length ≥ 2, got shapes {x.shape} and {y.shape}")
    if not np.all(np.abs(y) == 1):
        raise ValueError("y must hold labels ±1")
    order = np.argsort(x)
    xs, ys = x[order], y[order]
    if np.any(np.diff(xs) == 0):
        raise ValueError("x must hold distinct points (no function fits two labels at one point)")
    return xs, ys


def _switches(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """The sorted data's sign changes: the midpoints between neighbours with opposite labels, and the sign of the
    spline on each of the ``len(midpoints) + 1`` intervals they cut the line into."""
    xs, ys = sorted_data(x, y)
    change = ys[1:] != ys[:-1]
    mids = (xs[1:] + xs[:-1])[change] / 2
    signs = np.concatenate([ys[:1], ys[1:][change]])
    return mids, signs


def spline_sign(x: Any, y: Any, t: Any) -> np.ndarray:
    """``sign f(t)`` for the linear spline ``f`` through ``(x_i, y_i)`` (labels ±1), constant beyond the data."""
    mids, signs = _switches(x, y)
    return signs[np.searchsorted(mids, validate.array("t", t, ndim=1))]


def spline_error(x: Any, y: Any, *, mu: float) -> float:
    """Clean test error of :func:`spline_sign` on the 1-D mixture ``x = yμ + z``, ``y = ±1`` equally likely,
    ``z ~ N(0, 1)``: on each interval ``(a, b)`` of sign ``s`` the error is half the mass that ``N(−sμ, 1)`` puts
    there, ``(Φ(b + sμ) − Φ(a + sμ))/2``. Exact (the Bayes error ``Φ(−μ)`` included)."""
    mu = validate.real("mu", mu, low=0.0)
    mids, signs = _switches(x, y)
    edges = np.concatenate([[-np.inf], mids, [np.inf]])
    return float(0.5 * np.sum(ndtr(edges[1:] + signs * mu) - ndtr(edges[:-1] + signs * mu)))


def interpolant_prices(error: Callable[..., float], seeds: Sequence[int], ns: Sequence[int] = SPLINE_NS, *,
                       mu: float, flip: float | None = None, flips: int | None = None,
                       draws: int = SPLINE_DRAWS) -> np.ndarray:
    """Clean test error ``error(x, noisy_labels, mu=mu)`` of a 1-D interpolant, averaged over ``draws`` training
    sets, shape ``(len(seeds), len(ns))``: each draw is :func:`~dltheory.overfitting.trained_networks.mixture` in
    ``d = 1`` with ``round(flip · n)`` flipped labels (``flip``), or ``flips`` at every ``n`` (a noise rate
    ``flips/n`` that vanishes). Draw ``k`` at ``n`` for seed ``s`` uses the seed ``SeedSequence([s, n, k])`` gives
    (31 bits), so every interpolant is priced on the same draws."""
    seeds = validate.seeds(seeds)
    ns = [validate.integer(f"ns[{i}]", n, low=2) for i, n in enumerate(ns)]
    draws = validate.integer("draws", draws, low=1)
    if (flip is None) == (flips is None):
        raise ValueError("give exactly one of flip (a rate) and flips (a count)")
    out = np.empty((len(seeds), len(ns)))
    for i, s in enumerate(seeds):
        for j, n in enumerate(ns):
            rate = validate.real("flip", flip, low=0.0, high=0.5) if flips is None \
                else validate.integer("flips", flips, low=0, high=n // 2) / n
            errs = []
            for k in range(draws):
                seed = int(np.random.SeedSequence([s, n, k]).generate_state(1)[0]) & validate.SEED_MAX
                x, _, noisy = mixture(seed, n, 1, mu_norm=mu, flip=rate)
                errs.append(error(x[:, 0], noisy, mu=mu))
            out[i, j] = np.mean(errs)
    return out


def spline_prices(seeds: Sequence[int], ns: Sequence[int] = SPLINE_NS, *, mu: float, flip: float | None = None,
                  flips: int | None = None, draws: int = SPLINE_DRAWS) -> np.ndarray:
    """Clean test error of the linear-spline interpolant (:func:`spline_error`) on the draws of
    :func:`interpolant_prices`, shape ``(len(seeds), len(ns))``."""
    return interpolant_prices(spline_error, seeds, ns, mu=mu, flip=flip, flips=flips, draws=draws)
