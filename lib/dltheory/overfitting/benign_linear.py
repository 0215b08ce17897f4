"""Chapter 2 · § 4, ``chapters/02-benign-overfitting/04-benign-linear.md``: benign overfitting in linear regression.

The effective ranks and conditions of Bartlett, Long, Lugosi and Tsigler (2020) (:func:`effective_ranks`,
:func:`bllt_conditions`), three covariance spectra (:func:`spectrum`), the excess risk of the min-norm
interpolator (:func:`min_norm_excess_risk`, :func:`benign_experiment`), its ridge counterpart in theory
(:func:`ridge_excess_theory`, used by section ``08-trained-networks``), and the self-checks of exercises
``ex-02-ranks`` and ``ex-02-design``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, selfcheck, validate
from dltheory.overfitting import common

__all__ = [
    "effective_ranks",
    "bllt_conditions",
    "SPECTRA",
    "spectrum",
    "min_norm_excess_risk",
    "ridge_excess_theory",
    "BenignConfig",
    "BenignResult",
    "benign_experiment",
    "check_effective_ranks",
    "check_benign_spectrum",
]


def effective_ranks(eigs: Any) -> tuple[np.ndarray, np.ndarray]:
    """The effective ranks ``r_k = Σ_{i>k} λ_i / λ_{k+1}`` and ``R_k = (Σ_{i>k} λ_i)² / Σ_{i>k} λ_i²``, k = 0 … p−1.

    Section ``04-benign-linear``; Bartlett, Long, Lugosi and Tsigler (2020), Definition 3.
    ``eigs`` must be positive and non-increasing.
    """
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    if np.any(np.diff(lam) > 1e-12 * lam[0]):
        raise ValueError("eigs must be sorted in non-increasing order")
    # In logs, so that neither λ² nor the sums under- or overflow (eigenvalues from 1e-300 to 1e300 work):
    # log Σ_{i ≥ k} λ_i and log Σ_{i ≥ k} λ_i² (0-based k: the tails after the k largest).
    log_lam = np.log(lam)
    log_tail = np.logaddexp.accumulate(log_lam[::-1])[::-1]
    log_tail2 = np.logaddexp.accumulate(2 * log_lam[::-1])[::-1]
    return np.exp(log_tail - log_lam), np.exp(2 * log_tail - log_tail2)


def bllt_conditions(eigs: Any, n: int, *, b: float = 1.0) -> dict[str, float]:
    """The quantities of Bartlett et al.'s theorem for ``n`` samples (section ``04-benign-linear``).

    Returns ``k_star = min{k : r_k ≥ b n}`` (``inf`` if none), ``r0_over_n = r_0/n``, ``k_over_n = k*/n``,
    ``n_over_R = n / R_{k*}`` and ``variance_term = k*/n + n/R_{k*}`` (the rate of the variance, up to
    constants). Overfitting is benign when all of ``r0_over_n``, ``k_over_n`` and ``n_over_R`` go to 0.
    """
    r, big_r = effective_ranks(eigs)
    n = validate.integer("n", n, low=1)
    b = validate.real("b", b, low=0.0, low_open=True)
    hits = np.nonzero(r >= b * n)[0]
    if hits.size == 0:
        return {"k_star": math.inf, "r0_over_n": r[0] / n, "k_over_n": math.inf, "n_over_R": math.inf,
                "variance_term": math.inf}
    k = int(hits[0])
    return {
        "k_star": float(k),
        "r0_over_n": float(r[0] / n),
        "k_over_n": k / n,
        "n_over_R": float(n / big_r[k]),
        "variance_term": float(k / n + n / big_r[k]),
    }


SPECTRA = ("isotropic", "power", "spiked")


def spectrum(kind: str, p: int, *, spikes: int = 5, alpha: float = 2.0) -> np.ndarray:
    """The three covariance spectra of section ``04-benign-linear``, eigenvalues in non-increasing order.

    ``isotropic``: all ones. ``power``: ``λ_k = k^{-alpha}``. ``spiked``: ``spikes`` eigenvalues 1 and a flat tail
    of the other ``p − spikes`` directions carrying total variance 1.
    """
    kind = validate.choice("kind", kind, SPECTRA)
    p = validate.integer("p", p, low=2, high=10**7)
    spikes = validate.integer("spikes", spikes, low=1, high=p - 1)
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    if kind == "isotropic":
        return np.ones(p)
    if kind == "power":
        return np.arange(1, p + 1, dtype=float) ** -alpha
    return np.concatenate([np.ones(spikes), np.full(p - spikes, 1.0 / (p - spikes))])


def ridge_excess_theory(eigs: Any, n: int, lams: Any, *, sigma: float = 1.0) -> np.ndarray:
    """Deterministic equivalent of the excess risk of ridge ``θ̂_λ = Xᵀ(XXᵀ + λI)⁻¹y`` with ``θ* = e₁``: ``(len(lams),)``.

    The setting of :func:`min_norm_excess_risk` (``x ~ N(0, diag(eigs))``, noise ``N(0, σ²)``), ``λ = 0`` the
    min-norm interpolator. The effective penalty ``κ > 0`` solves ``n = λ/κ + Σ_i λ_i/(λ_i + κ)``; with
    ``df₂ = Σ_i λ_i²/(λ_i + κ)²`` the risk is ``(κ²λ₁/(λ₁ + κ)² + σ² df₂/n)/(1 − df₂/n)``: bias plus variance,
    both inflated by ``1/(1 − df₂/n)`` (the general-covariance ridge asymptotics of Hastie et al. 2022; the
    terms Tsigler and Bartlett 2023 bound). Needs ``p > n`` so that ``κ`` exists at ``λ = 0``.
    """
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    n = validate.integer("n", n, low=1, high=lam.size - 1)
    pens = validate.array("lams", lams, ndim=1, low=0.0)
    sigma = validate.real("sigma", sigma, low=0.0)
    out = np.empty(pens.size)
    for j, pen in enumerate(pens):
        lo, hi = 1e-15, float(lam.sum() + pen) / n * 2 + 1.0  # the left side falls in κ from above n to below it
        for _ in range(200):  # bisection on a log scale
            mid = math.sqrt(lo * hi)
            if pen / mid + np.sum(lam / (lam + mid)) > n:
                lo = mid
            else:
                hi = mid
        kappa = math.sqrt(lo * hi)
        df2 = float(np.sum(lam**2 / (lam + kappa) ** 2))
        bias = kappa**2 * lam[0] / (lam[0] + kappa) ** 2
        out[j] = (bias + sigma**2 * df2 / n) / (1 - df2 / n)
    return out


@common.single_threaded_blas
def min_norm_excess_risk(seed: int, eigs: Any, n: int, *, sigma: float = 1.0, reps: int = 16) -> np.ndarray:
    """Excess risk ``(θ̂ − θ*)ᵀ Σ (θ̂ − θ*)`` of the min-norm interpolator, shape ``(reps,)``.

    Section ``04-benign-linear``. ``x ~ N(0, diag(eigs))``, ``θ* = e_1`` (the top direction), noise ``N(0, σ²)``.
    Needs ``p > n`` so that the fit interpolates.
    """
    seed = validate.seed("seed", seed)
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    n = validate.integer("n", n, low=1, high=lam.size - 1)
    sigma = validate.real("sigma", sigma, low=0.0)
    reps = validate.integer("reps", reps, low=1)
    rng = np.random.default_rng(seed)
    theta = np.zeros(lam.size)
    theta[0] = 1.0
    out = np.empty(reps)
    for i in range(reps):
        x = rng.standard_normal((n, lam.size)) * np.sqrt(lam)
        y = x @ theta + sigma * rng.standard_normal(n)
        theta_hat = x.T @ np.linalg.solve(x @ x.T, y)
        out[i] = np.sum(lam * (theta_hat - theta) ** 2)
    return out


@dataclasses.dataclass(frozen=True)
class BenignConfig(runtime.ModeConfig):
    """Excess risk of the min-norm interpolator against n for three spectra (section ``04-benign-linear``).

    The defaults are the fast mode.
    """

    ns: tuple[int, ...] = validate.field((25, 50, 100, 200), validate.integers, low=10, increasing=True)
    dim_exponent: float = validate.field(1.5, validate.real, low=1.2, high=2.0)  # p = ceil(n ** dim_exponent)
    reps: int = validate.field(12, validate.integer, low=2)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    sigma: float = validate.field(1.0, validate.real, low=0.0, low_open=True)

    @classmethod
    def fast(cls) -> BenignConfig:
        return cls()

    @classmethod
    def full(cls) -> BenignConfig:
        return cls(ns=(25, 50, 100, 200, 400), dim_exponent=1.5, reps=20, n_seeds=5)  # within the GPU budget (issue 22)

    def dim(self, n: int) -> int:
        return int(math.ceil(n**self.dim_exponent))

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): for each of the three spectra, seed and ``n``, ``reps`` min-norm fits on
        ``n × p`` data (``p = ⌈n^dim_exponent⌉``): the ``n × n`` Gram matrix ``2·n²·p`` and its solve."""
        per_seed = sum(self.reps * (2.0 * n * n * self.dim(n) + 3.0 * n**3 + 30.0 * n * self.dim(n)) for n in self.ns)
        n = self.ns[-1]
        return runtime.Cost(host_flops=3 * self.n_seeds * per_seed, bytes=3 * 8.0 * n * self.dim(n))

    def paper_scale(self) -> str:
        """A theorem's setting: the simulation's size."""
        return (f"Bartlett et al. prove a theorem with no simulation to match: n up to {self.ns[-1]} "
                f"(p = n^{self.dim_exponent:g} up to {self.dim(self.ns[-1]):,}), {self.reps} repetitions × "
                f"{self.n_seeds} seeds for each of three spectra (NumPy on the host, within the budget)")


@dataclasses.dataclass(frozen=True)
class BenignResult:
    ns: np.ndarray
    risk: dict[str, np.ndarray]  # kind -> (n_seeds, n_ns)
    conditions: dict[str, list[dict[str, float]]]  # kind -> one dict per n
    seeds: tuple[int, ...]
    config: BenignConfig

    def ratio(self, kind: str) -> np.ndarray:
        """Risk at the largest n over risk at the smallest, per seed."""
        return self.risk[kind][:, -1] / self.risk[kind][:, 0]

    def predicted_benign(self, kind: str) -> bool:
        """Bartlett et al.'s conditions at the largest n: r_0/n, k*/n and n/R_k* all at most 1/4 and falling."""
        first, last = self.conditions[kind][0], self.conditions[kind][-1]
        keys = ("r0_over_n", "k_over_n", "n_over_R")
        return all(last[k] <= 0.25 and last[k] <= first[k] for k in keys)


def benign_experiment(cfg: BenignConfig, seeds: Sequence[int]) -> BenignResult:
    """Min-norm excess risk and Bartlett et al.'s conditions for the three spectra (section ``04-benign-linear``)."""
    if not isinstance(cfg, BenignConfig):
        raise ValueError(f"cfg must be a BenignConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    risk, conditions = {}, {}
    for j, kind in enumerate(SPECTRA):
        eigs = [spectrum(kind, cfg.dim(n)) for n in cfg.ns]
        conditions[kind] = [bllt_conditions(e, n) for e, n in zip(eigs, cfg.ns)]
        risk[kind] = np.array(
            [[min_norm_excess_risk(s * 1000 + 100 * j + i, e, n, sigma=cfg.sigma, reps=cfg.reps).mean()
              for i, (e, n) in enumerate(zip(eigs, cfg.ns))] for s in seeds]
        )
    return BenignResult(np.array(cfg.ns), risk, conditions, tuple(seeds), cfg)


# ============================================================================ 04 · nearest neighbours


# ============================================================================ exercise self-checks


def _reference_ranks(eigs: Any) -> np.ndarray:
    r, big_r = effective_ranks(eigs)
    return np.stack([r, big_r])


def check_effective_ranks(fn: Any) -> None:
    """Exercise ``ex-02-ranks``: ``fn(eigs)`` must return ``(r_k, R_k)`` for k = 0 … p−1 as a 2 × p array."""
    cases = [
        (np.ones(6),),
        (np.arange(1, 9, dtype=float) ** -2.0,),
        (np.array([3.0, 1.0, 0.5, 0.5, 0.25]),),
    ]
    selfcheck.function(
        "effective_ranks",
        fn,
        _reference_ranks,
        cases,
        hint="r_k divides the tail sum Σ_{i>k} λ_i by λ_{k+1}; R_k divides its square by Σ_{i>k} λ_i².",
    )


def check_benign_spectrum(make_spectrum: Any, *, ns: Sequence[int] = (50, 200), seed: int = 0) -> None:
    """Exercise ``ex-02-design``: ``make_spectrum(n)`` gives eigenvalues (non-increasing, dimension > n) that make
    min-norm interpolation benign.

    Checked twice: Bartlett et al.'s quantities ``r_0/n``, ``k*/n`` and ``n/R_{k*}`` must each be at most 1/4 at
    the largest ``n`` and must fall with ``n``; and a simulation of the min-norm interpolator (σ = 1, θ* = e_1)
    must show its excess risk falling by at least a third from the smallest to the largest ``n``.
    """
    selfcheck.answered("make_spectrum", make_spectrum)
    if not callable(make_spectrum):
        raise selfcheck.WrongAnswer(
            f"make_spectrum should be a function n -> eigenvalues, got {type(make_spectrum).__name__}."
        )
    ns = [validate.integer("ns[i]", n, low=10) for n in ns]
    conds, risks = [], []
    for i, n in enumerate(ns):
        result = make_spectrum(n)
        if result is None or result is Ellipsis:
            raise selfcheck.NotAnswered(
                f"make_spectrum({n}) returns {result!r}: write its body so that it returns the eigenvalues."
            )
        try:
            eigs = np.asarray(result, dtype=float)
            conds.append(bllt_conditions(eigs, n))
        except ValueError as err:
            raise selfcheck.WrongAnswer(f"make_spectrum({n}) is not a valid spectrum: {err}") from None
        if eigs.size <= n:
            raise selfcheck.WrongAnswer(
                f"make_spectrum({n}) has {eigs.size} eigenvalues: it needs more than n = {n} to interpolate."
            )
        if eigs.size > 20000:
            raise selfcheck.WrongAnswer(
                f"make_spectrum({n}) has {eigs.size} eigenvalues: keep the dimension below 20000."
            )
        risks.append(min_norm_excess_risk(seed + i, eigs, n, reps=8).mean())
    for key, name in (("r0_over_n", "r_0/n"), ("k_over_n", "k*/n"), ("n_over_R", "n/R_k*")):
        if not (conds[-1][key] <= 0.25 and conds[-1][key] <= conds[0][key]):
            raise selfcheck.WrongAnswer(
                f"{name} is {conds[0][key]:.3g} at n = {ns[0]} and {conds[-1][key]:.3g} at n = {ns[-1]}: "
                "it must fall with n and be at most 0.25. "
                + {
                    "r0_over_n": "Keep the total variance Σλ_i small compared with n λ_1.",
                    "k_over_n": "Few strong directions: the tail beyond them must have a large effective rank r_k ≥ n.",
                    "n_over_R": "The tail needs many more directions than n, with nearly equal variances.",
                }[key]
            )
    if not risks[-1] <= (2 / 3) * risks[0]:
        raise selfcheck.WrongAnswer(
            f"The conditions hold, but the simulated excess risk went from {risks[0]:.3g} (n = {ns[0]}) "
            f"to {risks[-1]:.3g} "
            f"(n = {ns[-1]}): not falling fast enough to call it benign at these sizes."
        )
    selfcheck.correct(
        f"r_0/n = {conds[-1]['r0_over_n']:.3g}, k*/n = {conds[-1]['k_over_n']:.3g}, "
        f"n/R_k* = {conds[-1]['n_over_R']:.3g} at n = {ns[-1]}; "
        f"simulated excess risk {risks[0]:.3g} → {risks[-1]:.3g}."
    )
