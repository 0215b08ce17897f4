"""Chapter 2 · § 8, ``chapters/02-benign-overfitting/08-trained-networks.md``: the max-margin ReLU interpolant in d = 1.

Kornowski, Yehudai and Shamir (2023) prove tempered overfitting in one dimension for two-layer ReLU networks with biases
at KKT points of margin maximisation, ``min ‖θ‖²`` subject to ``ỹ_i f_θ(x_i) ≥ 1``. For a network of unbounded width
whose biases are not penalised, Savarese, Evron, Soudry and Srebro (2019, their main theorem) give the weight norm
needed to represent ``f`` in closed form, ``R(f) = max(∫|f''|, |f'(−∞) + f'(+∞)|)``. So the network's global
max-margin solution, a KKT point, is the function that minimises ``R`` under the margin constraints. It is piecewise
linear with kinks only at the data (replacing ``f`` by the linear interpolant of its values at the data keeps every
constraint and does not raise ``∫|f''|``), and with the values ``f_i`` and the two tail slopes as unknowns ``R`` is a
maximum of sums of absolute values of linear forms: a linear programme (:func:`max_margin_fit`, HiGHS through SciPy).
Any ``n + 2`` units represent the solution, so it is also a global minimiser, hence a KKT point, of a finite network.
It is a close variant of Kornowski et al.'s object, not necessarily the same: their KKT points come from gradient flow
on a homogeneous network, whose biases are most likely penalised with the weights (not checked against their paper).

The solution fits every label with margin 1 by construction. Its sign changes where a segment crosses zero, so its
clean test error on the mixture ``x = yμ + z`` is a sum of Gaussian masses, exact (:func:`max_margin_error`), as for
the linear spline of :mod:`~dltheory.overfitting.spline_1d`; :func:`max_margin_prices` averages it over draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import optimize, sparse
from scipy.special import ndtr

from dltheory import validate
from dltheory.overfitting.spline_1d import SPLINE_DRAWS, SPLINE_NS, interpolant_prices, sorted_data

__all__ = ["max_margin_fit", "max_margin_error", "max_margin_prices"]


def max_margin_fit(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """The minimum of Savarese et al.'s cost ``max(∫|f''|, |f'(−∞) + f'(+∞)|)`` over ``f`` with ``y_i f(x_i) ≥ 1``.

    Returns ``(xs, f, left, right, cost)``: the sorted points, the solution's values there, its slopes beyond the
    smallest and the largest point, and the minimal cost. Unknowns of the LP: ``f`` (n), ``left``, ``right``, the
    absolute slope changes at the n points ``u`` (n) and the cost ``t``; minimise ``t`` subject to
    ``t ≥ Σu``, ``t ≥ ±(left + right)``, ``u_i ≥ ±(s_i − s_{i−1})`` (``s_0 = left``, ``s_n = right``) and
    ``y_i f_i ≥ 1``."""
    xs, ys = sorted_data(x, y)
    n = xs.size
    i_left, i_right, i_u, i_t = n, n + 1, n + 2, 2 * n + 2    # unknowns: f (n), left, right, u (n), t
    # the slope change at point k, c_k = s_{k+1} − s_k, with s_0 = left, s_k = (f_k − f_{k−1})/h_k, s_n = right
    inv_h = np.concatenate([[0.0], 1.0 / np.diff(xs), [0.0]])   # (n + 1,): 1/h_k, none for the tails
    k = np.arange(n)
    rows = [k, k, k[1:], k[:-1]]
    cols = [k, k, k[1:] - 1, k[:-1] + 1]                          # f_k (twice: s_{k+1} and s_k), f_{k−1}, f_{k+1}
    vals = [-inv_h[k + 1], -inv_h[k], inv_h[1:n], inv_h[1:n]]
    rows += [[0], [n - 1]]
    cols += [[i_left], [i_right]]
    vals += [[-1.0], [1.0]]
    change = sparse.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(n, 2 * n + 3)).tocsr()
    u = sparse.csr_matrix((np.ones(n), (k, i_u + k)), shape=(n, 2 * n + 3))
    total = sparse.csr_matrix((np.r_[np.ones(n), -1.0], (np.zeros(n + 1, int), np.r_[i_u + k, i_t])),
                              shape=(1, 2 * n + 3))
    ends = sparse.csr_matrix(([1.0, 1.0, -1.0, -1.0, -1.0, -1.0], ([0, 0, 0, 1, 1, 1], [i_left, i_right, i_t,
                              i_left, i_right, i_t])), shape=(2, 2 * n + 3))
    margin = sparse.csr_matrix((-ys, (k, k)), shape=(n, 2 * n + 3))
    a_ub = sparse.vstack([change - u, -change - u, total, ends, margin]).tocsc()
    b_ub = np.concatenate([np.zeros(2 * n + 3), -np.ones(n)])
    cost = np.zeros(2 * n + 3)
    cost[i_t] = 1.0
    bounds = [(None, None)] * (n + 2) + [(0, None)] * (n + 1)
    sol = optimize.linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if sol.status != 0:
        raise RuntimeError(f"the max-margin LP did not solve: {sol.message}")
    z = sol.x
    return xs, z[:n], float(z[i_left]), float(z[i_right]), float(z[i_t])


def _sign_intervals(xs: np.ndarray, f: np.ndarray, left: float, right: float) -> tuple[np.ndarray, np.ndarray]:
    """The zeros of the piecewise-linear ``f`` and its sign on each of the intervals they cut the line into."""
    roots = []
    if f[0] * left > 0:                             # the left tail f_0 + left·(x − x_0) crosses zero
        roots.append(xs[0] - f[0] / left)
    cross = np.nonzero(np.sign(f[1:]) != np.sign(f[:-1]))[0]
    roots.extend(xs[cross] + f[cross] / (f[cross] - f[cross + 1]) * (xs[cross + 1] - xs[cross]))
    if f[-1] * right < 0:                           # the right tail crosses zero
        roots.append(xs[-1] - f[-1] / right)
    roots = np.asarray(roots, float)
    probes = np.concatenate([[roots[0] - 1.0] if roots.size else [xs[0]], (roots[1:] + roots[:-1]) / 2,
                             [roots[-1] + 1.0] if roots.size else []])
    values = np.interp(probes, xs, f)               # inside the data
    values = np.where(probes < xs[0], f[0] + left * (probes - xs[0]), values)
    values = np.where(probes > xs[-1], f[-1] + right * (probes - xs[-1]), values)
    return roots, np.sign(values)


def max_margin_error(x: Any, y: Any, *, mu: float) -> float:
    """Clean test error of the sign of :func:`max_margin_fit`'s solution on the 1-D mixture ``x = yμ + z`` (``y = ±1``
    equally likely, ``z ~ N(0, 1)``): on each interval ``(a, b)`` of sign ``s`` the error is ``(Φ(b + sμ) −
    Φ(a + sμ))/2``. Exact given the LP's solution (the Bayes error ``Φ(−μ)`` included)."""
    mu = validate.real("mu", mu, low=0.0)
    xs, f, left, right, _ = max_margin_fit(x, y)
    roots, signs = _sign_intervals(xs, f, left, right)
    edges = np.concatenate([[-np.inf], roots, [np.inf]])
    return float(0.5 * np.sum(ndtr(edges[1:] + signs * mu) - ndtr(edges[:-1] + signs * mu)))


def max_margin_prices(seeds: Sequence[int], ns: Sequence[int] = SPLINE_NS, *, mu: float, flip: float | None = None,
                      flips: int | None = None, draws: int = SPLINE_DRAWS) -> np.ndarray:
    """Clean test error of the max-margin interpolant (:func:`max_margin_error`), averaged over ``draws`` training
    sets, shape ``(len(seeds), len(ns))``, on the same draws as :func:`~dltheory.overfitting.spline_1d.spline_prices`
    (:func:`~dltheory.overfitting.spline_1d.interpolant_prices`): ``round(flip · n)`` flipped labels, or ``flips``
    at every ``n``."""
    return interpolant_prices(max_margin_error, seeds, ns, mu=mu, flip=flip, flips=flips, draws=draws)
