"""The self-checks of the exercises of Chapter 1 (``exercises/01-scaling-laws``), and the exercise's data.

Each ``check_*`` computes the right answer itself from the section modules it exercises: §2
(:mod:`dltheory.scaling.compute_optimal`), §1 (:mod:`dltheory.scaling.fitting`), §3
(:mod:`dltheory.scaling.spectrum`) and §4 (the quantization model of :mod:`dltheory.scaling.quanta`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import numpy as np

from dltheory import selfcheck, validate
from dltheory.scaling import common, fitting, spectrum
from dltheory.scaling import compute_optimal as co

__all__ = [
    "kaplan_chinchilla_data",
    "check_exponent_a",
    "check_kaplan_vs_chinchilla",
    "check_data_exponent_hypothesis",
    "check_quanta_exponent",
    "check_recount_hypothesis",
    "check_kink_hypothesis",
    "check_sgd_hypothesis",
    "check_isoflop_hypothesis",
    "check_network_rate",
]


def check_exponent_a(a: Any, params: Mapping[str, float]) -> float:
    """Exercise ``ex-01-exponent``: the exponent ``a`` of ``N_opt ∝ C^a`` for the law ``params``."""
    selfcheck.answered("a", a)
    expected = co.exponent_a(params)
    return selfcheck.number(
        "a", a, expected, rtol=2e-3,
        hint="substitute D = C/(6N), set ∂L/∂N = 0, and read off the power of C in N_opt; "
        "it involves only α and β.",
        explain=f"a = β/(α+β) = {expected:.4f}: the data exponent sets how fast the model should grow.",
    )


def kaplan_chinchilla_data(seed: int = 0) -> dict[str, np.ndarray]:
    """Two sweeps of a synthetic study drawn from the refit of Besiroglu et al. (exercise ``ex-01-kaplan``).

    ``N_sweep``: sizes ``1e7..1e10`` at ``D = 1e12`` tokens; ``D_sweep``: tokens ``1e9..1e12`` at ``N = 1e11``;
    1% multiplicative noise. Returns ``N``, ``D``, ``L`` for each sweep (keys ``N_sweep``/``D_sweep`` as
    ``(N, D, L)`` stacked rows) and their concatenation ``N``, ``D``, ``L``.
    """
    seed = validate.integer("seed", seed, low=0)
    k_n, k_d = jax.random.split(jax.random.key(seed))
    n = np.logspace(7, 10, 16)
    d = np.logspace(9, 12, 16)
    ln = co.sample_chinchilla(k_n, n, np.full_like(n, 1e12), co.EPOCH, noise=0.01)
    ld = co.sample_chinchilla(k_d, np.full_like(d, 1e11), d, co.EPOCH, noise=0.01)
    return {
        "N_sweep": np.stack([n, np.full_like(n, 1e12), ln]),
        "D_sweep": np.stack([np.full_like(d, 1e11), d, ld]),
        "N": np.concatenate([n, np.full_like(d, 1e11)]),
        "D": np.concatenate([np.full_like(n, 1e12), d]),
        "L": np.concatenate([ln, ld]),
    }


def _kaplan_chinchilla_answers(seed: int) -> tuple[float, float]:
    data = kaplan_chinchilla_data(seed)
    _, alpha_n = fitting.fit_loglinear(data["N_sweep"][0], data["N_sweep"][2])
    _, beta_d = fitting.fit_loglinear(data["D_sweep"][1], data["D_sweep"][2])
    fit = fitting.fit_chinchilla(data["N"], data["D"], data["L"])
    return beta_d / (alpha_n + beta_d), co.exponent_a(fit)


def check_kaplan_vs_chinchilla(a_naive: Any, a_chinchilla: Any, *, seed: int = 0) -> None:
    """Exercise ``ex-01-kaplan``: ``a`` from straight-line fits of each sweep, and ``a`` from the fit with offset."""
    selfcheck.answered("a_naive", a_naive)
    selfcheck.answered("a_chinchilla", a_chinchilla)
    want_k, want_c = _kaplan_chinchilla_answers(seed)
    selfcheck.number("a_naive", a_naive, want_k, rtol=1e-2,
                     hint="fit_loglinear on each sweep gives the two naive exponents; a = β/(α+β).")
    selfcheck.number("a_chinchilla", a_chinchilla, want_c, rtol=2e-2,
                     hint="fit_chinchilla on all points at once, then exponent_a of the fit.")
    selfcheck.correct(f"The offset trap: a = {want_k:.3f} without the offset E, {want_c:.3f} with it "
                      f"(the law that made the data has a = {co.exponent_a(co.EPOCH):.3f}).")


def check_data_exponent_hypothesis(hypothesis_holds: Any, exponent: Any, *, alpha: float = 1.0, M: int = 4096) -> None:
    """Exercise ``ex-01-hypothesis``: does the data exponent depend only on the spectrum, not on the teacher?

    The test: a teacher with power ``v_k² = λ_k k^-1`` on the spectrum ``λ_k = k^-(1+α)``, risk from
    :func:`dltheory.scaling.spectrum.eigenlearning_risk` at ``n = 16..512``.
    """
    selfcheck.answered("exponent", exponent)
    lam = spectrum.power_spectrum(alpha, M)
    ns = np.array([16, 32, 64, 128, 256, 512])
    measured = common.fit_exponent(ns, spectrum.eigenlearning_risk(lam, ns, target_power=lam / np.arange(1, M + 1)))
    selfcheck.number("exponent", exponent, measured, rtol=2e-2,
                     hint="use eigenlearning_risk(lam, ns, target_power=lam / k) and fit_exponent.")
    selfcheck.boolean(
        "hypothesis_holds", hypothesis_holds, abs(measured - alpha) < 0.1,
        why=f"with a faster-decaying teacher the exponent is {measured:.2f}, not α = {alpha:g}: the unlearnt tail "
        "carries the teacher's power, so both the spectrum and the teacher set the exponent.",
    )


def check_quanta_exponent(alpha_D: Any, zipf_exponent: float) -> float:
    """Exercise ``ex-01-quanta``: the data exponent of the quantization model for use frequencies
    ``∝ k^-zipf_exponent``."""
    zipf_exponent = validate.real("zipf_exponent", zipf_exponent, low=1.0, low_open=True)
    alpha = zipf_exponent - 1.0
    return selfcheck.number(
        "alpha_D", alpha_D, alpha / (alpha + 1.0), rtol=1e-2,
        hint="the Zipf exponent is α + 1; the data exponent is α/(α+1).",
        explain=f"α = {alpha:.3g}, so the loss falls as D^-{alpha / (alpha + 1):.3g}.",
    )



def check_recount_hypothesis(a_no_embedding: Any, range_alone_explains: Any) -> None:
    """Exercise ``ex-01-recount``: is Kaplan's 0.73 a small-range effect that needs no embedding count?

    The test: Kaplan's counting on the Besiroglu et al. law over Kaplan's compute range, with ``γ = 0``
    (no embedding parameters), by :func:`dltheory.scaling.kc.local_exponent`.
    """
    from dltheory.scaling import kaplan_chinchilla as kc

    selfcheck.answered("a_no_embedding", a_no_embedding)
    want = kc.local_exponent(kc.KAPLAN_COMPUTE, co.EPOCH, compute="non_embedding",
                                    report="non_embedding", gamma=0.0)
    selfcheck.number("a_no_embedding", a_no_embedding, want, rtol=1e-3,
                     hint="local_exponent(KAPLAN_COMPUTE, co.EPOCH, compute='non_embedding', "
                     "report='non_embedding', gamma=0.0).")
    selfcheck.boolean(
        "range_alone_explains", range_alone_explains, abs(want - co.exponent_a(co.EPOCH)) > 0.05,
        why=f"without embeddings the exponent over Kaplan's range is {want:.3f}, the law's own β/(α+β): "
        "a pure power law has the same slope at every scale, so the small range matters only through the "
        "embedding term, whose share of the parameters shrinks as models grow.",
    )


def _kink_exponent() -> float:
    from dltheory.scaling import manifold

    cells = np.array([8, 16, 32, 64, 128])
    z = jax.random.uniform(jax.random.key(1), (20_000, 2))
    mse = manifold.interpolation_mse(manifold.kink_target(jax.random.key(0), 2), z, cells)
    return float(common.fit_exponent((cells + 1.0) ** 2, mse))


def check_kink_hypothesis(exponent: Any, continuous_is_enough: Any) -> None:
    """Exercise ``ex-01-kink``: is continuity of the target enough for the exponent ``4/d``?

    The test: the crease ``|w·(z − ½)|`` in ``d = 2`` (:func:`dltheory.scaling.manifold.kink_target`, key 0),
    grids of 8 to 128 cells per side, 20,000 test points drawn with key 1.
    """
    selfcheck.answered("exponent", exponent)
    want = _kink_exponent()
    selfcheck.number("exponent", exponent, want, rtol=1e-2,
                     hint="interpolation_mse(kink_target(key(0), 2), z, cells), "
                     "then fit_exponent against (cells + 1)**2.")
    selfcheck.boolean(
        "continuous_is_enough", continuous_is_enough, abs(want - 2.0) < 0.15,
        why=f"the crease gives {want:.2f}, about 3/d = 1.5, not 4/d = 2: on the cells it crosses, the error is of "
        "order h (a slope jump times the cell width), its square h², on a fraction h of the cells: h³ in all.",
    )


def _sgd_data_exponent() -> float:
    from dltheory.scaling import sgd

    ns = (100, 300, 1000, 3000, 10_000)
    h, p0, approx = sgd.sketch(jax.random.key(0), 2.0, 2048, 256)
    excess = np.asarray(sgd.sgd_risk(jax.numpy.asarray(h), jax.numpy.asarray(p0), jax.numpy.asarray(approx), ns))
    return float(common.fit_exponent(np.asarray(ns, float), excess))


def check_sgd_hypothesis(exponent: Any, same_as_erm: Any) -> None:
    """Exercise ``ex-01-sgd``: does one-pass SGD have the data exponent ``a − 1`` of ridgeless regression (§3)?

    The test: :func:`dltheory.scaling.sgd.sketch` with key 0, ``a = 2``, ``K = 2048``, ``M = 256``; the excess
    risk of :func:`dltheory.scaling.sgd.sgd_risk` at ``N = 100, 300, 1000, 3000, 10000``.
    """
    selfcheck.answered("exponent", exponent)
    want = _sgd_data_exponent()
    selfcheck.number("exponent", exponent, want, rtol=1e-2,
                     hint="h, p0, approx = sgd.sketch(jax.random.key(0), 2.0, 2048, 256); sgd_risk(h, p0, approx, ns); "
                     "then fit_exponent(ns, excess).")
    selfcheck.boolean(
        "same_as_erm", same_as_erm, abs(want - 1.0) < 0.1,
        why=f"one pass of SGD gives {want:.2f}, near (a−1)/a = 0.5, not a − 1 = 1: after N steps it has learned "
        "only "
        "the modes with eigenvalue above about 1/N, N^(1/a) of them, where a least-squares fit on N samples "
        "resolves N modes.",
    )


def _isoflop_exponent_k3() -> float:
    from dltheory.scaling import isoflop_sgd, mini_chinchilla

    cfg = isoflop_sgd.SGDIsoflopConfig.fast()
    res = isoflop_sgd.expected_result(cfg, a=3.0)
    iso = mini_chinchilla.isoflop_minima(res, cfg.budgets)
    return mini_chinchilla.isoflop_exponent(cfg.budgets, iso["N_opt"])


def check_isoflop_hypothesis(a_hat: Any, chinchilla_half: Any) -> None:
    """Exercise ``ex-01-isoflop``: is the compute-optimal exponent 1/2 whatever the task (§5)?

    The test: the exact expected loss of §5's SGD (:func:`dltheory.scaling.isoflop_sgd.expected_curves`) on the
    spectrum ``k^-3``, the fast grid and budgets, read by ``isoflop_minima`` and ``isoflop_exponent``.
    """
    selfcheck.answered("a_hat", a_hat)
    want = _isoflop_exponent_k3()
    selfcheck.number("a_hat", a_hat, want, rtol=1e-2,
                     hint="isg.expected_result(cfg, a=3.0), then isoflop_minima and isoflop_exponent over cfg.budgets.")
    selfcheck.boolean(
        "chinchilla_half", chinchilla_half, abs(want - 0.5) < 0.05,
        why=f"the k^-3 task gives a = {want:.2f}, near 1/(s+1) = 1/4 for the spectrum k^-s, not 1/2: the allocation exponent is "
        "β/(α+β), a property of the task's two exponents, and Chinchilla's 1/2 is one task's measurement.",
    )


def _teacher_c2() -> tuple[float, float]:
    from dltheory.scaling import isoflop_sgd, mini_chinchilla

    cfg = isoflop_sgd.SGDIsoflopConfig.fast()
    iso = mini_chinchilla.isoflop_minima(isoflop_sgd.expected_result(cfg, teacher=2.0), cfg.budgets)
    frontier = float(np.polyfit(np.log(cfg.budgets), np.log(iso["L_opt"]), 1)[0])
    return mini_chinchilla.isoflop_exponent(cfg.budgets, iso["N_opt"]), frontier


def check_teacher_hypothesis(a_hat: Any, frontier: Any, allocation_moves: Any) -> None:
    """Exercise ``ex-01-teacher`` (§5): does a faster-decaying teacher (``w*_k² = k^-2``) move the allocation?

    The test: the exact expected loss of §5's SGD on the spectrum ``k^-2`` with ``teacher=2.0``, the fast grid and
    budgets: the isoFLOP exponent and the slope of the valley floors' loss ``L_opt`` against ``C``.
    """
    want_a, want_front = _teacher_c2()
    selfcheck.answered("a_hat", a_hat)
    selfcheck.number("a_hat", a_hat, want_a, rtol=1e-2,
                     hint="isg.expected_result(cfg, teacher=2.0), then isoflop_minima and isoflop_exponent.")
    selfcheck.answered("frontier", frontier)
    selfcheck.number("frontier", frontier, want_front, rtol=2e-2,
                     hint="the slope of log iso['L_opt'] against log cfg.budgets (np.polyfit, degree 1): negative.")
    selfcheck.boolean(
        "allocation_moves", allocation_moves, abs(want_a - 1 / 3) > 0.05,
        why=f"a = {want_a:.2f} stays near 1/(s+1) = 1/3 while the frontier steepens to {want_front:.2f} "
        "(theory −(s+c−1)/(s+1) = −1): the teacher sets how fast the loss falls, the spectrum sets the split.",
    )


def check_network_rate(exponent_d3: Any, d_star: Any) -> None:
    """Exercise ``ex-01-network-rate`` (§8): Siegel and Xu's rate for a shallow ReLU network against the grid's 4/d.

    Their L² error ``w^-(1/2 + 3/(2d))`` squares to an MSE exponent ``1 + 3/d``; it is twice the grid's ``4/d``
    when ``d + 3 = 8``, at ``d = 5``.
    """
    selfcheck.answered("exponent_d3", exponent_d3)
    selfcheck.number("exponent_d3", exponent_d3, 2.0, rtol=1e-3,
                     hint="square the L² rate: 2 × (1/2 + 3/(2d)) at d = 3.")
    selfcheck.answered("d_star", d_star)
    if not isinstance(d_star, (int, np.integer)) or isinstance(d_star, bool) or int(d_star) != 5:
        raise selfcheck.WrongAnswer(
            f"d_star = {d_star!r} is not right: solve 1 + 3/d = 2 × 4/d, which gives d + 3 = 8.")
    selfcheck.correct("d_star = 5: from there on the network's rate is at least twice the grid's")
