"""§2 *Spending a compute budget* (``chapters/01-scaling-laws/02-compute-optimal``).

``N_opt ∝ C^{β/(α+β)}`` derived with sympy from ``L = E + A/N^α + B/D^β`` and ``C = 6ND``, evaluated with
the published fits of Hoffmann et al. (2022) and Besiroglu et al. (2024): :func:`allocation_expressions`,
:func:`compute_optimal`, :func:`exponent_a`, and the isoFLOP figure :func:`draw_isoflops`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import jax
import numpy as np
import sympy as sp

from dltheory import validate

__all__ = [
    "CHINCHILLA",
    "CHINCHILLA_UNROUNDED",
    "EPOCH",
    "CHINCHILLA_COMPUTE",
    "chinchilla_loss",
    "sample_chinchilla",
    "allocation_expressions",
    "compute_optimal",
    "exponent_a",
    "tokens_per_parameter",
    "draw_isoflops",
]


# --------------------------------------------------------------------------- published fits (§2)

#: Hoffmann et al. (2022), Approach 3, as printed in the body of the paper (rounded).
CHINCHILLA: Mapping[str, float] = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
#: The same fit, unrounded, from the paper's TeX source (as used by Besiroglu et al. 2024).
CHINCHILLA_UNROUNDED: Mapping[str, float] = {
    "E": math.exp(0.5267228),
    "A": math.exp(6.0073404),
    "B": math.exp(6.0179186),
    "alpha": 0.33917084,
    "beta": 0.2849083,
}
#: Besiroglu, Erdil, Barnett and You (2024), their refit of Approach 3 on data reconstructed from Hoffmann's Fig. 4.
EPOCH: Mapping[str, float] = {"E": 1.817, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659}
#: The training compute of Chinchilla itself: 70B parameters on 1.4T tokens, C = 6 N D.
CHINCHILLA_COMPUTE: float = 6 * 70e9 * 1.4e12

_LAW_KEYS = ("E", "A", "B", "alpha", "beta")


def _law(name: str, params: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(params, Mapping):
        raise ValueError(f"{name} must be a mapping with keys {_LAW_KEYS}, got {type(params).__name__}")
    missing = set(_LAW_KEYS) - set(params)
    if missing:
        raise ValueError(f"{name} is missing {sorted(missing)}; it needs {_LAW_KEYS}")
    out = {k: validate.real(f"{name}[{k!r}]", params[k], low=0.0, low_open=True) for k in _LAW_KEYS}
    return out




def chinchilla_loss(N: Any, D: Any, params: Mapping[str, float]) -> np.ndarray:
    """``L(N, D) = E + A/N^α + B/D^β`` (Hoffmann et al. 2022, eq. 2), §2 (``02-compute-optimal``)."""
    p = _law("params", params)
    N = validate.array("N", N, positive=True, min_size=1)
    D = validate.array("D", D, positive=True, min_size=1)
    return p["E"] + p["A"] * N ** (-p["alpha"]) + p["B"] * D ** (-p["beta"])


def sample_chinchilla(key: jax.Array, N: Any, D: Any, params: Mapping[str, float], *, noise: float) -> np.ndarray:
    """Losses ``L(N, D)·exp(σ ε)`` of a synthetic scaling study (used in the exercises of Chapter 1)."""
    clean = chinchilla_loss(N, D, params)
    noise = validate.real("noise", noise, low=0.0, high=1.0)
    return clean * np.exp(noise * np.asarray(jax.random.normal(key, clean.shape), dtype=float))


@functools.cache
def allocation_expressions() -> dict[str, sp.Expr]:
    """The compute-optimal allocation, derived with sympy (§2, ``02-compute-optimal``; Hoffmann et al. 2022, App. D.2).

    Substituting ``D = C/(6N)`` into ``L = E + A N^-α + B D^-β`` and solving ``∂L/∂N = 0`` gives
    ``N_opt = G (C/6)^(β/(α+β))`` with ``G = (αA/(βB))^(1/(α+β))``, and ``D_opt = C/(6 N_opt)``.
    Returns the sympy expressions ``N_opt``, ``D_opt``, ``L`` and the symbols used.
    """
    N, C, E, A, B, a, b = sp.symbols("N C E A B alpha beta", positive=True)
    D = C / (6 * N)
    loss = E + A / N**a + B / D**b
    solutions = sp.solve(sp.Eq(sp.diff(loss, N), 0), N)
    if len(solutions) != 1:  # pragma: no cover - sympy finds exactly one positive root
        raise RuntimeError(f"expected one stationary point, sympy found {solutions}")
    n_opt = sp.simplify(solutions[0])
    return {"N_opt": n_opt, "D_opt": sp.simplify(C / (6 * n_opt)), "L": loss,
            "symbols": (N, C, E, A, B, a, b)}  # type: ignore[dict-item]


@functools.cache
def _allocation_functions() -> tuple[Any, Any]:
    ex = allocation_expressions()
    _, C, E, A, B, a, b = ex["symbols"]
    args = (C, A, B, a, b)
    return sp.lambdify(args, ex["N_opt"], "numpy"), sp.lambdify(args, ex["D_opt"], "numpy")


def compute_optimal(C: Any, params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """``(N_opt, D_opt)`` that minimise ``L(N, D)`` at compute ``C = 6ND`` (§2), from the sympy derivation."""
    p = _law("params", params)
    C = validate.array("C", C, positive=True)
    n_fn, d_fn = _allocation_functions()
    # logs keep the arithmetic in range for C up to 1e30 FLOP
    args = (p["A"], p["B"], p["alpha"], p["beta"])
    return np.asarray(n_fn(C, *args), dtype=float), np.asarray(d_fn(C, *args), dtype=float)


def exponent_a(params: Mapping[str, float]) -> float:
    """The exponent ``a`` of ``N_opt ∝ C^a``, read off the sympy solution: ``a = β/(α+β)`` (§2)."""
    p = _law("params", params)
    ex = allocation_expressions()
    _, C, *_ = ex["symbols"]
    a_expr = sp.simplify(sp.diff(sp.expand_log(sp.log(ex["N_opt"]), force=True), C) * C)
    _, _, E, A, B, al, be = ex["symbols"]
    return float(a_expr.subs({al: p["alpha"], be: p["beta"]}))


def tokens_per_parameter(C: Any, params: Mapping[str, float]) -> np.ndarray:
    """``D_opt / N_opt`` at compute ``C`` (§2): about 20 for Chinchilla itself."""
    n, d = compute_optimal(C, params)
    return d / n


def draw_isoflops(
    ax: Any, params: Mapping[str, float], budgets: Any, *, n_range: tuple[float, float] = (1e7, 1e12)
) -> None:
    """Draw the isoFLOP curves ``L(N, C/(6N))`` of a law and its compute-optimal frontier (§2 and its explorer)."""
    from dltheory import plot

    p = _law("params", params)
    budgets = validate.array("budgets", budgets, ndim=1, positive=True)
    lo = validate.real("n_range[0]", n_range[0], low=0.0, low_open=True)
    hi = validate.real("n_range[1]", n_range[1], low=lo, low_open=True)
    N = np.logspace(math.log10(lo), math.log10(hi), 200)
    for i, C in enumerate(budgets):
        ax.plot(N, chinchilla_loss(N, C / (6 * N), p), color=plot.COLORS[i % len(plot.COLORS)],
                label=f"C = {C:.0e} FLOP")
    n_opt, d_opt = compute_optimal(budgets, p)
    ax.plot(n_opt, chinchilla_loss(n_opt, d_opt, p), "k*", ms=10, zorder=6, label=r"$N_{\mathrm{opt}}(C)$")
    ax.set_xscale("log")
    ax.set_xlabel("parameters $N$")
    ax.set_ylabel("loss $L(N, C/6N)$")
