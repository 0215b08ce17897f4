"""§7 *Kaplan and Chinchilla reconciled* (``chapters/01-scaling-laws/07-kaplan-chinchilla``).

Derivations on published fits, no training: the compute-optimal model size of a law ``L = E + A/N_T^α + B/D^β``
(total parameters ``N_T``) when parameters and compute are counted the way Kaplan et al. (2020) counted them,
without the embeddings (Pearce and Song 2024). :func:`frontier_expression` derives the optimum with SymPy,
:func:`optimal_size` evaluates it at given budgets and :func:`local_exponent` fits ``N* ∝ C^a`` over a range of
budgets, as a scaling study does. :data:`PORIAN_STEPS` holds the exponent that Porian et al. (2024) measured after
each of their corrections, and :func:`porian_table` arranges it with each step's change.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from dltheory import validate
from dltheory.scaling import compute_optimal as co

__all__ = [
    "EMBEDDING_GAMMA",
    "KAPLAN_COMPUTE",
    "COUNTS",
    "total_params",
    "frontier_expression",
    "optimal_size",
    "local_exponent",
    "PorianStep",
    "PORIAN_STEPS",
    "PORIAN_TUNING_ONLY",
    "porian_table",
]

#: ``N_T = N_E + γ N_E^{1/3}``: embedding parameters ``V·d_model`` with ``d_model ∝ N_E^{1/3}`` at a fixed aspect
#: ratio; ``γ = 47,491`` is the fit of Pearce and Song (2024) to the model configurations of Hoffmann et al.
#: (vocabulary 32k).
EMBEDDING_GAMMA: float = 47491.0
#: The non-embedding compute of Kaplan et al.'s models, ``10^12.95`` to ``10^20.7`` FLOP, the range in which
#: Pearce and Song (2024) fit the local exponent.
KAPLAN_COMPUTE: tuple[float, float] = (10**12.95, 10**20.7)
#: How parameters are counted in compute (``C = 6 N D``): ``"total"`` (Hoffmann et al.) or ``"non_embedding"``
#: (Kaplan et al.).
COUNTS: tuple[str, ...] = ("total", "non_embedding")


def total_params(n_ne: Any, *, gamma: float = EMBEDDING_GAMMA) -> np.ndarray:
    """Total parameters ``N_T = N_E + γ N_E^{1/3}`` of a model with ``N_E`` non-embedding parameters (§7)."""
    n_ne = validate.array("n_ne", n_ne, positive=True)
    gamma = validate.real("gamma", gamma, low=0.0)
    return n_ne + gamma * n_ne ** (1.0 / 3.0)


@functools.cache
def frontier_expression(compute: str) -> sp.Expr:
    """The budget ``C`` at which a model of ``n`` non-embedding parameters is compute-optimal (§7), in SymPy.

    Loss ``A N_T^-α + B D^-β`` with ``N_T = n + γ n^{1/3}`` and ``D = C/(6 N_c)``, where ``N_c`` is ``N_T``
    (``compute="total"``) or ``n`` (``"non_embedding"``, Kaplan's count); ``∂L/∂n = 0`` solved for ``C``
    (Pearce and Song 2024, Sec. 3). Symbols: ``n, A, B, alpha, beta, gamma``.
    """
    if compute not in COUNTS:
        raise ValueError(f"compute must be one of {COUNTS}, got {compute!r}")
    n, A, B, a, b, g, u = sp.symbols("n A B alpha beta gamma u", positive=True)
    n_t = n + g * n ** sp.Rational(1, 3)
    n_c = n_t if compute == "total" else n
    # with u = (6 N_c / C)^β the loss is A N_T^-α + B u, and ∂u/∂n = β u N_c'/N_c at fixed C
    dloss = sp.diff(A * n_t**-a, n) + B * b * u * sp.diff(n_c, n) / n_c
    u_star = sp.solve(sp.Eq(dloss, 0), u)[0]
    return 6 * n_c * u_star ** (-1 / b)


@functools.cache
def _frontier_function(compute: str) -> Any:
    n, A, B, a, b, g = sp.symbols("n A B alpha beta gamma", positive=True)
    return sp.lambdify((n, A, B, a, b, g), frontier_expression(compute), "numpy")


def optimal_size(C: Any, params: Mapping[str, float], *, compute: str = "total",
                 gamma: float = EMBEDDING_GAMMA) -> tuple[np.ndarray, np.ndarray]:
    """``(N_E*, N_T*)``: the compute-optimal model at budgets ``C`` counted as ``compute`` (§7).

    Inverts :func:`frontier_expression` (increasing in ``n``) on a grid of ``10^1..10^14`` non-embedding
    parameters, interpolating in log-log axes.
    """
    C = validate.array("C", C, positive=True)
    law = co._law("params", params)
    gamma = validate.real("gamma", gamma, low=0.0)
    if compute not in COUNTS:
        raise ValueError(f"compute must be one of {COUNTS}, got {compute!r}")
    n = np.logspace(1, 14, 4001)
    c_of_n = _frontier_function(compute)(n, law["A"], law["B"], law["alpha"], law["beta"], gamma)
    if np.any(np.diff(np.log(c_of_n)) <= 0):
        raise ValueError("the frontier is not increasing in n for these parameters")
    if np.any(C < c_of_n[0]) or np.any(C > c_of_n[-1]):
        raise ValueError(f"C must lie within [{c_of_n[0]:.3g}, {c_of_n[-1]:.3g}], got [{C.min():.3g}, {C.max():.3g}]")
    n_ne = np.exp(np.interp(np.log(C), np.log(c_of_n), np.log(n)))
    return n_ne, total_params(n_ne, gamma=gamma)


def local_exponent(C_range: tuple[float, float], params: Mapping[str, float], *, compute: str = "total",
                   report: str = "total", gamma: float = EMBEDDING_GAMMA, points: int = 100) -> float:
    """The exponent ``a`` of a straight-line fit of ``log N*`` against ``log C`` over ``C_range`` (§7).

    ``points`` budgets, evenly spaced in ``log C``, as a scaling study fits its compute-optimal models;
    ``report`` says which parameter count is fitted (``"total"`` or ``"non_embedding"``).
    """
    lo, hi = (validate.real(name, v, low=0.0, low_open=True) for name, v in zip(("C_lo", "C_hi"), C_range))
    if hi <= lo:
        raise ValueError(f"C_range must be increasing, got {C_range}")
    if report not in COUNTS:
        raise ValueError(f"report must be one of {COUNTS}, got {report!r}")
    points = validate.integer("points", points, low=3)
    C = np.logspace(np.log10(lo), np.log10(hi), points)
    n_ne, n_t = optimal_size(C, params, compute=compute, gamma=gamma)
    n_star = n_t if report == "total" else n_ne
    return float(np.polyfit(np.log(C), np.log(n_star), 1)[0])


class PorianStep(NamedTuple):
    """One panel of Porian et al. (2024), Fig. 1: the fitted exponent ``a`` of ``N*(C) ∝ C^a`` after a change,
    with its 95% bootstrap interval, on RefinedWeb (``rw``) and on OpenWebText2 (``owt2``)."""

    label: str
    change: str
    rw: float
    rw_ci: tuple[float, float]
    owt2: float
    owt2_ci: tuple[float, float]


#: Porian et al. (2024), Fig. 1 (a)-(e) on RefinedWeb and the same five settings on OpenWebText2 (their appendix).
#: Each step keeps the changes before it, except that (e) tunes the optimiser with a constant learning rate instead
#: of (d)'s cosine decay. Values: the exponent their figure prints (``fit_results["bs_median_weighted"]
#: ["n_exponent"]``) and the 2.5-97.5% quantiles of their bootstrap fits (``"bootstrap_weighted"``), read from the
#: analysis results they released, ``data/summary_df.pickle.xz`` and ``data/summary_df_owt2.pickle.xz`` in
#: github.com/formll/resolving-scaling-law-discrepancies (commit 0dc60d9).
PORIAN_STEPS: tuple[PorianStep, ...] = (
    PorianStep("a", "Kaplan et al.'s setting reproduced", 0.835, (0.82, 0.85), 0.864, (0.82, 0.90)),
    PorianStep("b", "last-layer FLOPs and parameters counted", 0.706, (0.69, 0.72), 0.699, (0.66, 0.72)),
    PorianStep("c", "warmup shortened", 0.602, (0.59, 0.62), 0.603, (0.57, 0.63)),
    PorianStep("d", "cosine decay matched to each run", 0.571, (0.56, 0.59), 0.574, (0.54, 0.61)),
    PorianStep("e", "optimiser tuned per size, constant rate", 0.497, (0.49, 0.50), 0.518, (0.49, 0.54)),
)
#: The contrast of the same release (``data/summary_df_kaplan_tuned_hparams.pickle.xz``, RefinedWeb): the optimiser
#: tuned per size, but Kaplan et al.'s counting and warmup kept.
PORIAN_TUNING_ONLY: float = 0.711


def porian_table() -> list[dict[str, Any]]:
    """Porian et al.'s steps as rows ``{label, change, rw, owt2, d_rw, d_owt2}``, ``d_*`` the change of the
    exponent from the step before (§7; ``nan`` for the first). Step (e) is compared with (c), the last step it
    builds on."""
    by_label = {s.label: s for s in PORIAN_STEPS}
    previous = {"b": "a", "c": "b", "d": "c", "e": "c"}
    rows = []
    for s in PORIAN_STEPS:
        before = by_label.get(previous.get(s.label, ""))
        rows.append({"label": s.label, "change": s.change, "rw": s.rw, "owt2": s.owt2,
                     "d_rw": s.rw - before.rw if before else float("nan"),
                     "d_owt2": s.owt2 - before.owt2 if before else float("nan")})
    return rows
