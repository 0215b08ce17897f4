"""Chapter 2 · § 7, ``chapters/02-benign-overfitting/07-tempered.md``: tempered overfitting, quantified.

How much does an interpolator pay for the noise it fits? For a linear smoother ``f̂(x) = Σ_i w_i(x) y_i`` the noise
adds ``σ² Σ_i w_i(x)²`` to the squared error at ``x``; tempered overfitting (Mallinar et al. 2022) means that this
price tends to a constant multiple of ``σ²``, neither 0 (benign) nor ∞ (catastrophic).

* Kernel (here: linear, Gaussian-design) regression with a power-law spectrum ``λ_i = i^−α``: the eigenlearning
  estimate of Simon, Dickens, Karkada and DeWeese (2023) (:func:`eigenlearning`), its limit ``E₀ → α`` derived with
  SymPy (:func:`power_law_limit`), and the measured multiple (:func:`noise_multiple`, :func:`tempered_experiment`).
* One-dimensional piecewise-linear interpolation (simplicial interpolation of Belkin, Hsu and Mitra 2018 in
  ``d = 1``): the limit ``2σ²/3`` (:func:`interpolation_limit`) and its measurement (:func:`interpolation_excess`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from dltheory import runtime, selfcheck, validate
from dltheory.overfitting import benign_linear, common

__all__ = [
    "eigenlearning",
    "power_law_limit",
    "interpolation_limit",
    "noise_multiple",
    "interpolation_excess",
    "TemperedConfig",
    "TemperedResult",
    "tempered_experiment",
    "check_power_law_multiple",
]


# ============================================================================ theory


def eigenlearning(eigs: Any, n: int, *, ridge: float = 0.0) -> tuple[float, float]:
    """The effective regulariser ``κ`` and the overfitting coefficient ``E₀`` of kernel ridge regression.

    Simon et al. (2023), eqs. (5)–(8) in the notation of the page: ``κ`` solves ``Σ_i λ_i/(λ_i + κ) + δ/κ = n``
    (``δ = ridge``), the learnabilities are ``L_i = λ_i/(λ_i + κ)``, and ``E₀ = n/(n − Σ_i L_i²)``. The noise
    contributes ``(E₀ − 1)σ²`` to the excess risk. Ridgeless (``δ = 0``) needs more eigenvalues than ``n``.
    """
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    n = validate.integer("n", n, low=1)
    ridge = validate.real("ridge", ridge, low=0.0)
    if ridge == 0 and lam.size <= n:
        raise ValueError(f"a ridgeless fit needs more than n = {n} eigenvalues, got {lam.size}")

    def excess_dof(log_k: float) -> float:  # decreasing in κ
        k = math.exp(log_k)
        return float(np.sum(lam / (lam + k)) + (ridge / k if ridge else 0.0) - n)

    lo, hi = math.log(lam.min()) - 60.0, math.log(lam.sum() + ridge) + 5.0
    for _ in range(200):  # bisection in log κ: robust over 30 decades of κ
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if excess_dof(mid) > 0 else (lo, mid)
    kappa = math.exp(0.5 * (lo + hi))
    learn = lam / (lam + kappa)
    return kappa, n / (n - float(np.sum(learn**2)))


@functools.cache
def power_law_limit() -> tuple[sp.Symbol, sp.Expr]:
    """``(α, E₀)``: the overfitting coefficient of ridgeless regression as ``n → ∞`` for ``λ_i = i^−α``.

    With ``κ = t^−α`` the sums over modes become integrals in ``x = i/t``:
    ``n ≈ t ∫₀^∞ (1 + x^α)^−1 dx`` and ``Σ L_i² ≈ t ∫₀^∞ (1 + x^α)^−2 dx``, and
    ``∫₀^∞ (1 + x^α)^−m dx = Γ(1/α) Γ(m − 1/α)/(α Γ(m))`` (a Beta integral). ``E₀ = 1/(1 − I₂/I₁)`` simplifies to
    ``α`` (Mallinar et al. 2022, Simon et al. 2023).
    """
    alpha = sp.Symbol("alpha", positive=True)

    def integral(m: int) -> sp.Expr:
        return sp.gamma(1 / alpha) * sp.gamma(m - 1 / alpha) / (alpha * sp.gamma(m))

    e0 = sp.simplify(sp.gammasimp(1 / (1 - integral(2) / integral(1))))
    return alpha, e0


@functools.cache
def interpolation_limit() -> sp.Expr:
    """The noise multiple of 1-D piecewise-linear interpolation as ``n → ∞``: ``∫₀¹ ((1 − t)² + t²) dt = 2/3``.

    At a test point a fraction ``t`` of the way between two neighbouring samples the prediction is
    ``(1 − t) y_i + t y_{i+1}``; its noise has variance ``σ²((1 − t)² + t²)``, and ``t`` is uniform on [0, 1].
    """
    t = sp.Symbol("t", nonnegative=True)
    return sp.integrate((1 - t) ** 2 + t**2, (t, 0, 1))


# ============================================================================ measurements


@common.single_threaded_blas
def noise_multiple(seed: int, eigs: Any, n: int, *, ridges: Sequence[float] = (0.0,), reps: int = 4) -> np.ndarray:
    """The excess risk of (ridge) regression on pure noise, in units of ``σ²``: shape ``(reps, len(ridges))``.

    Section ``07-tempered``. ``x ~ N(0, diag(eigs))``, ``y = ε`` with ``Var ε = σ²``. The fit
    ``β̂ = Xᵀ(XXᵀ + δI)⁻¹ y`` is linear in the noise, so its excess risk ``E_ε ‖β̂‖²_Σ`` is
    ``σ² tr(M⁻¹ X Σ Xᵀ M⁻¹)`` with ``M = XXᵀ + δI``: the noise is averaged exactly, the design is sampled.
    Every ridge ``δ`` uses the same design matrices.
    """
    seed = validate.seed("seed", seed)
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    n = validate.integer("n", n, low=1, high=lam.size - 1)
    ridges = validate.array("ridges", ridges, ndim=1, low=0.0)
    reps = validate.integer("reps", reps, low=1)
    rng = np.random.default_rng(seed)
    out = np.empty((reps, ridges.size))
    for i in range(reps):
        x = rng.standard_normal((n, lam.size)) * np.sqrt(lam)
        d, u = np.linalg.eigh(x @ x.T)
        h = u.T @ ((x * lam) @ x.T) @ u  # X Σ Xᵀ in the eigenbasis of XXᵀ
        out[i] = [np.sum(np.diag(h) / (d + r) ** 2) for r in ridges]
    return out


def interpolation_excess(seed: int, n: int, *, sigma: float = 0.5, n_test: int = 4000, reps: int = 10) -> np.ndarray:
    """Excess risk over ``σ²`` of 1-D piecewise-linear and 1-NN interpolation: shape ``(reps, 2)``.

    Section ``07-tempered``. ``x`` uniform on [0, 1], ``y = sin(2πx) + ε`` with ``ε ~ N(0, σ²)``; both rules pass
    through every sample. Column 0 is piecewise-linear interpolation (``numpy.interp``, constant beyond the
    extreme samples), column 1 the nearest sample's label. The excess risk ``mean (f̂ − f)²`` is measured at
    ``n_test`` fresh points, with the noise drawn, not averaged.
    """
    seed = validate.seed("seed", seed)
    n = validate.integer("n", n, low=2)
    sigma = validate.real("sigma", sigma, low=0.0, low_open=True)
    n_test = validate.integer("n_test", n_test, low=1)
    reps = validate.integer("reps", reps, low=1)
    rng = np.random.default_rng(seed)

    def target(x: np.ndarray) -> np.ndarray:
        return np.sin(2 * np.pi * x)

    out = np.empty((reps, 2))
    for i in range(reps):
        x = np.sort(rng.random(n))
        y = target(x) + sigma * rng.standard_normal(n)
        xt = rng.random(n_test)
        linear = np.interp(xt, x, y)
        right = np.clip(np.searchsorted(x, xt), 1, n - 1)
        nearest = np.where(xt - x[right - 1] < x[right] - xt, right - 1, right)
        for j, pred in enumerate((linear, y[nearest])):
            out[i, j] = np.mean((pred - target(xt)) ** 2) / sigma**2
    return out


# ============================================================================ the experiment


@dataclasses.dataclass(frozen=True)
class TemperedConfig(runtime.ModeConfig):
    """Tempered overfitting (section ``07-tempered``). The defaults are the fast mode."""

    alphas: tuple[float, ...] = validate.field((1.5, 2.0, 3.0), validate.array, ndim=1, low=1.01)  # α > 1
    ns: tuple[int, ...] = validate.field((100, 200, 400), validate.integers, low=10, increasing=True)
    width_ratio: int = validate.field(20, validate.integer, low=2)  # p = width_ratio · n
    ridge_null: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    reps: int = validate.field(4, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    interp_n: int = validate.field(1000, validate.integer, low=10)
    interp_sigma: float = validate.field(0.5, validate.real, low=0.0, low_open=True)
    interp_reps: int = validate.field(10, validate.integer, low=1)

    @classmethod
    def fast(cls) -> TemperedConfig:
        return cls()

    @classmethod
    def full(cls) -> TemperedConfig:
        return cls(reps=16, n_seeds=5, interp_n=10_000, interp_reps=20)  # larger n is host work beyond the budget

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): each repetition forms ``XXᵀ`` and ``XΣXᵀ`` (``4·n²·p``) and diagonalises
        an ``n × n`` matrix (about ``14·n³``), for every α, seed and ``n`` and once more on the spiked spectrum
        (``p = n^1.5``); the 1-D interpolation is a sort and a search, negligible beside it."""
        def rep(n: int, p: int) -> float:
            return 4.0 * n * n * p + 14.0 * n**3

        per_seed = sum(self.reps * (len(self.alphas) * rep(n, self.width_ratio * n) + rep(n, math.ceil(n**1.5)))
                       for n in self.ns)
        n_max = self.ns[-1]
        return runtime.Cost(host_flops=self.n_seeds * per_seed, bytes=8.0 * n_max * self.width_ratio * n_max * 2)

    def paper_scale(self) -> str:
        """Eigenlearning is an n → ∞ theory checked at finite n; Mallinar et al. give no simulation size."""
        return (f"Simon et al.'s eigenlearning and Mallinar et al.'s tempered regime are statements about n → ∞; here "
                f"n = {self.ns[0]}–{self.ns[-1]} with p = {self.width_ratio}·n features, {self.reps} repetitions × "
                f"{self.n_seeds} seeds per (α, n), and 1-D interpolation at n = {self.interp_n:,} (NumPy on the host)")


@dataclasses.dataclass(frozen=True)
class TemperedResult:
    ns: np.ndarray  # (n_ns,)
    multiple: np.ndarray  # (n_seeds, n_alphas, n_ns): excess risk / σ² of the interpolator
    ridge_multiple: np.ndarray  # same shape: the same designs with the ridge of the null
    theory: np.ndarray  # (n_alphas, n_ns): eigenlearning E₀ − 1 at this n and p
    spiked: np.ndarray  # (n_seeds, n_ns): the benign spike-plus-tail spectrum, p = ⌈n^1.5⌉
    interp: np.ndarray  # (n_seeds, 2): 1-D piecewise-linear and 1-NN, excess risk / σ²
    seeds: tuple[int, ...]
    config: TemperedConfig


def tempered_experiment(cfg: TemperedConfig, seeds: Sequence[int]) -> TemperedResult:
    """All measurements of section ``07-tempered``, with the eigenlearning prediction for each (α, n)."""
    if not isinstance(cfg, TemperedConfig):
        raise ValueError(f"cfg must be a TemperedConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    ridges = (0.0, cfg.ridge_null)
    shape = (len(seeds), len(cfg.alphas), len(cfg.ns))
    multiple, ridge_multiple = np.empty(shape), np.empty(shape)
    theory = np.empty(shape[1:])
    spiked = np.empty((len(seeds), len(cfg.ns)))
    interp = np.empty((len(seeds), 2))
    for b, n in enumerate(cfg.ns):
        for a, alpha in enumerate(cfg.alphas):
            eigs = np.arange(1, cfg.width_ratio * n + 1, dtype=float) ** -alpha
            theory[a, b] = eigenlearning(eigs, n)[1] - 1.0
            for s, seed in enumerate(seeds):
                m = noise_multiple(seed * 1000 + 10 * a + b, eigs, n, ridges=ridges, reps=cfg.reps).mean(0)
                multiple[s, a, b], ridge_multiple[s, a, b] = m
        eigs = benign_linear.spectrum("spiked", int(math.ceil(n**1.5)))
        for s, seed in enumerate(seeds):
            spiked[s, b] = noise_multiple(seed * 1000 + 500 + b, eigs, n, reps=cfg.reps).mean()
    for s, seed in enumerate(seeds):
        interp[s] = interpolation_excess(seed, cfg.interp_n, sigma=cfg.interp_sigma, reps=cfg.interp_reps).mean(0)
    return TemperedResult(np.array(cfg.ns), multiple, ridge_multiple, theory, spiked, interp, tuple(seeds), cfg)


# ============================================================================ exercise self-check


def check_power_law_multiple(answer: Any, *, alpha: float = 4.0, n: int = 1000, width_ratio: int = 50) -> float:
    """Exercise ``ex-02-tempered``: the eigenlearning noise multiple ``E₀ − 1`` for ``λ_i = i^−α``, ``p = ratio·n``.

    The expected value is recomputed with :func:`eigenlearning` at this ``n`` and ``p``.
    """
    alpha = validate.real("alpha", alpha, low=1.01)
    n = validate.integer("n", n, low=1)
    width_ratio = validate.integer("width_ratio", width_ratio, low=2)
    eigs = np.arange(1, width_ratio * n + 1, dtype=float) ** -alpha
    expected = eigenlearning(eigs, n)[1] - 1.0
    hint = (f"solve Σ λ_i/(λ_i + κ) = n for κ, set E₀ = n/(n − Σ L_i²) and subtract 1 (E₀ itself is the test MSE "
            f"over σ²); near the limit α − 1 = {alpha - 1:g}, but not equal to it at finite n")
    return selfcheck.number("multiple", answer, expected, rtol=1e-4, hint=hint)
