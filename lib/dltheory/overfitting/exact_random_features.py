"""Chapter 2 · § 9, ``chapters/02-benign-overfitting/09-exact-random-features.md``: the exact random-features curve.

Mei and Montanari (2022, CPAM 75(4); arXiv:1908.05355) compute the test risk of ridge regression on ``N`` random
features ``σ(⟨θ_a, x⟩/√d)`` of ``n`` samples on the sphere of radius ``√d`` in the limit ``N/d → ψ₁``,
``n/d → ψ₂``. The target is linear, ``y = ⟨β, x⟩ + ε`` with ``‖β‖² = F₁²`` and ``Var ε = τ²`` (their ``F_⋆ = 0``).

* Theory: the activation's Gaussian coefficients ``μ₀, μ₁, μ_⋆`` (:func:`relu_coefficients`, SymPy), the
  rational functions ``B`` and ``V`` of their asymptotic-risk formula (:func:`mm_terms`, SymPy) at
  ``χ = ν₁ν₂``, where ``ν₁, ν₂`` solve their fixed-point equations (:func:`fixed_point`), and the risk
  ``R = F₁² B + τ² V`` (:func:`asymptotic_risk`; their main theorem with ``F_⋆ = 0``). The paper is cited by
  description, not by theorem or equation number: its text could not be read here to check the numbers.
* Measurement: finite-``d`` ridge regression on centred ReLU features in JAX (:func:`simulate_risk`), along a grid of
  ``N`` at fixed ``n``, several draws per seed (:func:`exact_rf_experiment`).
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

__all__ = [
    "relu_coefficients",
    "mm_terms",
    "fixed_point",
    "asymptotic_risk",
    "simulate_risk",
    "TUNED_LAMS",
    "tuned_curve",
    "neighbour_rise",
    "ExactRFConfig",
    "ExactRFResult",
    "exact_rf_experiment",
    "near_linear_peak_ratio",
    "check_peak_ratio",
    "page_runs",
]


# ============================================================================ theory


@functools.cache
def relu_coefficients(*, centred: bool = True) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """``(μ₀, μ₁, μ_⋆²)`` of ``σ(u) = max(u, 0) − c`` for ``G ~ N(0, 1)``: ``μ₀ = E σ(G)``, ``μ₁ = E G σ(G)``,
    ``μ_⋆² = E σ(G)² − μ₀² − μ₁²`` (Mei and Montanari 2022, their assumption on the activation).
    ``c = 1/√(2π)`` when ``centred`` (the page's activation), else ``c = 0``; ``μ₁`` and ``μ_⋆²`` do not depend
    on ``c``."""
    u = sp.Symbol("u", real=True)
    density = sp.exp(-(u**2) / 2) / sp.sqrt(2 * sp.pi)
    shift = 1 / sp.sqrt(2 * sp.pi) if centred else sp.Integer(0)

    def gauss(f: sp.Expr) -> sp.Expr:  # E f(G) for σ(u) = u − c on u > 0 and −c below
        return sp.simplify(sp.integrate(f.subs("s", u - shift) * density, (u, 0, sp.oo))
                           + sp.integrate(f.subs("s", -shift) * density, (u, -sp.oo, 0)))

    s = sp.Symbol("s")
    mu0 = gauss(s)
    mu1 = gauss(u * s)
    mu_star2 = sp.simplify(gauss(s**2) - mu0**2 - mu1**2)
    return mu0, mu1, mu_star2


@functools.cache
def mm_terms() -> tuple[tuple[sp.Symbol, ...], sp.Expr, sp.Expr]:
    """``((χ, ζ, ψ₁, ψ₂), B, V)``: the bias and variance factors ``B = E₁/E₀``, ``V = E₂/E₀`` of Mei and Montanari
    (2022), from the formula that defines their asymptotic risk, as SymPy expressions (``ζ = μ₁/μ_⋆``)."""
    c, z, p1, p2 = sp.symbols("chi zeta psi_1 psi_2")
    e0 = (-(c**5) * z**6 + 3 * c**4 * z**4 + (p1 * p2 - p2 - p1 + 1) * c**3 * z**6 - 2 * c**3 * z**4
          - 3 * c**3 * z**2 + (p1 + p2 - 3 * p1 * p2 + 1) * c**2 * z**4 + 2 * c**2 * z**2 + c**2
          + 3 * p1 * p2 * c * z**2 - p1 * p2)
    e1 = p2 * c**3 * z**4 - p2 * c**2 * z**2 + p1 * p2 * c * z**2 - p1 * p2
    e2 = (c**5 * z**6 - 3 * c**4 * z**4 + (p1 - 1) * c**3 * z**6 + 2 * c**3 * z**4 + 3 * c**3 * z**2
          - (p1 + 1) * c**2 * z**4 - 2 * c**2 * z**2 - c**2)
    return (c, z, p1, p2), e1 / e0, e2 / e0


@functools.cache
def _terms_numeric() -> Any:
    symbols, b, v = mm_terms()
    return sp.lambdify(symbols, [b, v], "numpy")


def fixed_point(psi1: Any, psi2: Any, lam_bar: Any, zeta: float, *, tol: float = 1e-11,
                max_iter: int = 500_000) -> np.ndarray:
    """``χ = ν₁ν₂`` at ``ξ = i√(ψ₁ψ₂λ̄)``, where ``ν₁, ν₂`` (with positive imaginary parts) solve

    ``ν₁ = ψ₁ (−ξ − ν₂ − ζ²ν₂/(1 − ζ²ν₁ν₂))⁻¹``, ``ν₂ = ψ₂ (−ξ − ν₁ − ζ²ν₁/(1 − ζ²ν₁ν₂))⁻¹``

    (Mei and Montanari 2022, the fixed-point equations of their asymptotic-risk formula). Solved by damped
    iteration from ``ν_j = iψ_j/√(ψ₁ψ₂λ̄)``, the solution for a large ridge, where ``ν_j ≈ −ψ_j/ξ``; from
    ``ν = i`` the iteration stalls at large ``ψ₂`` and small ``λ̄``. Arrays broadcast. On the imaginary axis
    ``ν₁, ν₂`` are imaginary, so ``χ`` is real (and negative)."""
    psi1, psi2, lam_bar = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (psi1, psi2, lam_bar)))
    if np.any(psi1 <= 0) or np.any(psi2 <= 0) or np.any(lam_bar <= 0):
        raise ValueError("psi1, psi2 and lam_bar must be positive (λ̄ > 0: take a small ridge for the ridgeless limit)")
    zeta = validate.real("zeta", zeta, low=0.0, low_open=True)
    xi = 1j * np.sqrt(psi1 * psi2 * lam_bar)
    nu1, nu2 = -psi1 / xi, -psi2 / xi  # = iψ_j/√(ψ₁ψ₂λ̄)
    z2 = zeta**2
    for _ in range(max_iter):
        den = 1 - z2 * nu1 * nu2
        new1 = psi1 / (-xi - nu2 - z2 * nu2 / den)
        new2 = psi2 / (-xi - nu1 - z2 * nu1 / den)
        step = max(np.max(np.abs(new1 - nu1)), np.max(np.abs(new2 - nu2)))
        nu1, nu2 = 0.5 * (nu1 + new1), 0.5 * (nu2 + new2)
        if step < tol:
            break
    else:
        worst = np.unravel_index(np.argmax(np.abs(new1 - nu1) + np.abs(new2 - nu2)), psi1.shape)
        raise ValueError(f"the damped fixed-point iteration did not converge in {max_iter} iterations (last step "
                         f"{step:.2g} > tol = {tol:g}), worst at psi1 = {psi1[worst]:g}, psi2 = {psi2[worst]:g}, "
                         f"lam_bar = {lam_bar[worst]:g}")
    if np.any(nu1.imag <= 0) or np.any(nu2.imag <= 0):
        raise ValueError("the fixed point left the upper half-plane")
    return (nu1 * nu2).real


def asymptotic_risk(psi1: Any, psi2: Any, lam: Any, *, mu1: float, mu_star2: float, f1_sq: float = 1.0,
                    tau_sq: float = 0.0) -> np.ndarray:
    """The limiting test risk ``F₁² B(ζ, ψ₁, ψ₂, λ̄) + τ² V(ζ, ψ₁, ψ₂, λ̄)`` with ``ζ = μ₁/μ_⋆``, ``λ̄ = λ/μ_⋆²``.

    Mei and Montanari (2022), main theorem, for a linear target (``F_⋆ = 0``) and the ridge penalty
    ``(Nλ/d)‖a‖²`` on the mean squared training error. Arrays broadcast."""
    mu1 = validate.real("mu1", mu1, low=0.0, low_open=True)
    mu_star2 = validate.real("mu_star2", mu_star2, low=0.0, low_open=True)
    f1_sq = validate.real("f1_sq", f1_sq, low=0.0)
    tau_sq = validate.real("tau_sq", tau_sq, low=0.0)
    zeta = mu1 / math.sqrt(mu_star2)
    psi1, psi2 = np.asarray(psi1, dtype=float), np.asarray(psi2, dtype=float)
    chi = fixed_point(psi1, psi2, np.asarray(lam, dtype=float) / mu_star2, zeta)
    b, v = _terms_numeric()(chi, zeta, psi1, psi2)
    return f1_sq * np.asarray(b) + tau_sq * np.asarray(v)


def relu_risk(psi1: Any, psi2: Any, lam: Any, *, tau_sq: float = 0.0, centred: bool = True) -> np.ndarray:
    """:func:`asymptotic_risk` with the ReLU coefficients of :func:`relu_coefficients` and ``F₁ = 1``.

    ``centred=False`` takes ``μ_⋆²`` as ``E σ(G)² − μ₁²`` without removing ``μ₀²`` (the mistake of the page's null)."""
    mu0, mu1, mu_star2 = (float(c) for c in relu_coefficients(centred=True))
    if not centred:
        mu_star2 += float(relu_coefficients(centred=False)[0]) ** 2
    return asymptotic_risk(psi1, psi2, lam, mu1=mu1, mu_star2=mu_star2, tau_sq=tau_sq)


# ============================================================================ measurement


@functools.cache
def _simulator(d: int, n: int, widths: tuple[int, ...], n_test: int, eps: float | None = None) -> Any:
    import jax
    import jax.numpy as jnp
    from jax.scipy.linalg import cho_factor, cho_solve

    shift = 1.0 / math.sqrt(2.0 * math.pi)
    n_max = max(widths)
    edges = sorted(set(widths))

    def activation(u: jax.Array) -> jax.Array:  # centred ReLU, or u + ε He₂(u)/√2 (μ₁ = 1, μ_⋆² = ε²)
        return jax.nn.relu(u) - shift if eps is None else u + eps * (u**2 - 1) / math.sqrt(2.0)

    def sphere(key: jax.Array, m: int) -> jax.Array:
        g = jax.random.normal(key, (m, d))
        return g * (math.sqrt(d) / jnp.linalg.norm(g, axis=1, keepdims=True))

    def one_draw(key: jax.Array, lams: jax.Array, taus: jax.Array) -> jax.Array:
        kx, kt, ks, kb, ke = jax.random.split(key, 5)
        x, theta, x_test = sphere(kx, n), sphere(kt, n_max), sphere(ks, n_test)
        beta = jax.random.normal(kb, (d,))
        beta = beta / jnp.linalg.norm(beta)
        targets = jnp.stack([x @ beta, jax.random.normal(ke, (n,))], axis=1)  # signal and unit noise
        z, z_test = activation(x @ theta.T / math.sqrt(d)), activation(x_test @ theta.T / math.sqrt(d))
        f_test = x_test @ beta
        gram, start, risks = jnp.zeros((n, n)), 0, {}
        for width in edges:  # the Gram matrix of the first N features, one block of columns at a time
            block = z[:, start:width]
            gram, start = gram + block @ block.T, width

            def at_ridge(lam: jax.Array, gram: jax.Array = gram, width: int = width) -> jax.Array:
                factor = cho_factor(gram + (n * width * lam / d) * jnp.eye(n), lower=True)
                pred = z_test[:, :width] @ (z[:, :width].T @ cho_solve(factor, targets))  # (n_test, 2)
                resid = f_test[:, None] - pred[:, :1] - taus[None, :] * pred[:, 1:]
                return jnp.mean(resid**2, axis=0)  # (n_taus,)

            risks[width] = jax.lax.map(at_ridge, lams)
        return jnp.stack([risks[w] for w in widths])  # (n_widths, n_lams, n_taus)

    return jax.jit(lambda keys, lams, taus: jax.lax.map(lambda k: one_draw(k, lams, taus), keys))


def simulate_risk(seed: int, d: int, n: int, widths: Sequence[int], lams: Sequence[float], taus: Sequence[float],
                  *, reps: int = 4, n_test: int = 2000, near_linear: float | None = None) -> np.ndarray:
    """Test risk ``E_x (⟨β, x⟩ − f̂(x))²`` of random-features ridge regression: shape ``(reps, widths, lams, taus)``.

    Section ``09-exact-random-features``; the setting of Mei and Montanari (2022): ``x``, ``θ_a`` uniform on the
    sphere of radius ``√d``, features ``σ(⟨θ_a, x⟩/√d)`` with the centred ReLU ``σ(u) = max(u, 0) − 1/√(2π)``,
    ``y = ⟨β, x⟩ + τε`` with ``‖β‖ = 1``, and ``â = argmin (1/n)‖y − Za‖² + (Nλ/d)‖a‖²``. Each draw samples
    ``max(widths)`` features and fits the first ``N``; the fit is linear in ``y``, so every ``τ`` uses the same
    noise draw. The risk is measured on ``n_test`` fresh points (no test noise). ``near_linear = ε`` replaces the
    ReLU by the near-linear ``σ(u) = u + ε(u² − 1)/√2`` (``μ₀ = 0``, ``μ₁ = 1``, ``μ_⋆² = ε²``), with the same draws.
    """
    seed = validate.seed("seed", seed)
    d = validate.integer("d", d, low=2)
    n = validate.integer("n", n, low=1)
    widths = validate.integers("widths", widths, low=1)
    lams = validate.array("lams", lams, ndim=1, positive=True)
    taus = validate.array("taus", taus, ndim=1, nonnegative=True)
    reps = validate.integer("reps", reps, low=1)
    n_test = validate.integer("n_test", n_test, low=1)
    if near_linear is not None:
        near_linear = validate.real("near_linear", near_linear, low=0.0, low_open=True)
    import jax
    import jax.numpy as jnp

    keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(seed), r) for r in range(reps)])
    run = _simulator(d, n, widths, n_test, near_linear)
    out = run(keys, jnp.asarray(lams, jnp.float32), jnp.asarray(taus, jnp.float32))
    return np.asarray(out, dtype=float)


# ============================================================================ the experiment


@dataclasses.dataclass(frozen=True)
class ExactRFConfig(runtime.ModeConfig):
    """The exact random-features curve (section ``09-exact-random-features``). The defaults are the fast mode."""

    d: int = validate.field(100, validate.integer, low=10)
    psi2: float = validate.field(3.0, validate.real, low=0.0, low_open=True)  # n/d
    psi1s: tuple[float, ...] = validate.field(  # N/d; 2 and 4.5 are N = 2n/3 and 3n/2 at ψ₂ = 3
        (0.3, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.5, 6.0, 10.0, 18.0, 30.0), validate.reals, increasing=True)
    lam: float = validate.field(1e-4, validate.real, low=0.0, low_open=True)  # near the ridgeless limit
    lam_null: float = validate.field(0.1, validate.real, low=0.0, low_open=True)  # a ridge that removes the peak
    tau_sqs: tuple[float, ...] = validate.field((0.0, 0.25), validate.reals)  # label-noise variances τ²
    reps: int = validate.field(8, validate.integer, low=1)  # draws per seed and grid point
    n_test: int = validate.field(2000, validate.integer, low=100)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> ExactRFConfig:
        return cls()

    @classmethod
    def full(cls) -> ExactRFConfig:
        return cls(d=400, n_test=4000, n_seeds=5)

    @property
    def n(self) -> int:
        return int(round(self.psi2 * self.d))

    @property
    def widths(self) -> tuple[int, ...]:
        return tuple(int(round(p * self.d)) for p in self.psi1s)

    def cost(self) -> runtime.Cost:
        """JAX on the device, per draw: the features of ``n + N_max + n_test`` points (``2·d·N_max`` each), the Gram
        matrices of every width built one block of columns at a time (``2·n²·N_max`` in all), and per width ``N`` and
        ridge (every penalty of :data:`TUNED_LAMS`, which the page's two penalties and its tuned curve share) a
        Cholesky factorisation (``n³/3``), the coefficients and the test predictions (``4·(n + n_test)·N``)."""
        n, n_max = self.n, max(self.widths)
        per_ridge = sum(n**3 / 3 + 4.0 * (n + self.n_test) * w for w in self.widths)
        per_draw = (2.0 * self.d * n_max * (n + n_max + self.n_test) + 2.0 * n * n * n_max
                    + len(TUNED_LAMS) * per_ridge)
        return runtime.Cost(flops=self.n_seeds * self.reps * per_draw,
                            bytes=4.0 * (n_max * (n + self.n_test + self.d) + 2 * n * n))

    def paper_scale(self) -> str:
        """Against Mei and Montanari's limit d → ∞ at fixed N/d and n/d."""
        return (f"Mei and Montanari's theorem is a d → ∞ limit at fixed ψ₁ = N/d and ψ₂ = n/d; here d = {self.d}, "
                f"n = {self.n} (ψ₂ = {self.psi2:g}), N = {min(self.widths)}–{max(self.widths):,} over "
                f"{len(self.psi1s)} ratios, {self.reps} draws × {self.n_seeds} seeds per point")


@dataclasses.dataclass(frozen=True)
class ExactRFResult:
    psi1: np.ndarray  # (n_widths,): N/d as simulated
    risk: np.ndarray  # (n_seeds, n_widths, 2, n_taus): mean over draws; ridge lam, then lam_null
    spread: np.ndarray  # same shape: standard deviation over the draws
    theory: np.ndarray  # (n_widths, 2, n_taus): Mei–Montanari at the same ψ₁, ψ₂, λ, τ²
    theory_null: np.ndarray  # (n_widths, n_taus): the same formula with μ_⋆² taken without removing μ₀² (λ = lam)
    seeds: tuple[int, ...]
    config: ExactRFConfig

    def away_from_peak(self, factor: float = 1.5) -> np.ndarray:
        """The grid points with ``N/n`` outside ``(1/factor, factor)``."""
        return np.abs(np.log(self.psi1 / self.config.psi2)) >= math.log(factor) - 1e-9

    def peak_ratio(self, ridge: int = 0) -> np.ndarray:
        """Per seed, clean labels: the risk at ``N = n`` over the larger of those at ``N = 2n/3`` and ``N = 3n/2``."""
        if 0.0 not in self.config.tau_sqs:
            raise ValueError(f"peak_ratio needs clean labels: tau_sqs must contain 0.0, got {self.config.tau_sqs}")
        r = self.risk[:, :, ridge, list(self.config.tau_sqs).index(0.0)]
        ratio = self.psi1 / self.config.psi2
        at = [int(np.argmin(np.abs(np.log(ratio / q)))) for q in (1.0, 2 / 3, 1.5)]
        if any(abs(math.log(ratio[i] / q)) > 0.02 for i, q in zip(at, (1.0, 2 / 3, 1.5))):
            raise ValueError(f"peak_ratio needs N/n = 1, 2/3 and 3/2 on the grid, got N/n = {np.round(ratio, 3)}")
        return r[:, at[0]] / np.maximum(r[:, at[1]], r[:, at[2]])


#: the penalties over which the ridge is tuned per ``N`` (claim ``rf-exact-tuned-monotone``); the first is ``cfg.lam``
TUNED_LAMS = tuple(float(v) for v in np.geomspace(1e-4, 1.0, 9))


@functools.lru_cache(maxsize=8)
def _shared_draws(cfg: ExactRFConfig, seed: int, taus_sq: tuple[float, ...]) -> tuple[tuple[float, ...], np.ndarray]:
    """One :func:`simulate_risk` call per seed for every penalty the page uses (``cfg.lam``, ``cfg.lam_null`` and
    :data:`TUNED_LAMS`) at the noise variances ``taus_sq``: :func:`exact_rf_experiment` and :func:`tuned_curve`
    read the same draws (features, Gram matrices and factorisations are made once). Returns the penalties and
    the risks ``(reps, widths, lams, taus)``."""
    lams = list(TUNED_LAMS)
    lams += [v for v in (cfg.lam, cfg.lam_null) if not np.any(np.isclose(lams, v, rtol=1e-9, atol=0))]
    risk = simulate_risk(seed, cfg.d, cfg.n, cfg.widths, lams, np.sqrt(taus_sq), reps=cfg.reps, n_test=cfg.n_test)
    return tuple(lams), risk


def _pick(cfg: ExactRFConfig, seed: int, lams: Sequence[float], taus_sq: Sequence[float]) -> np.ndarray:
    """The shared draws of ``seed`` at penalties ``lams`` and noise variances ``taus_sq``: ``(reps, widths, lams,
    taus)``. The noise variances of ``cfg`` and 0.25 (:func:`tuned_curve`'s default) share one call."""
    taus = tuple(sorted(set(cfg.tau_sqs) | {0.25} | set(taus_sq)))
    have, risk = _shared_draws(cfg, seed, taus)
    li = [int(np.argmin(np.abs(np.log(np.array(have) / v)))) for v in lams]
    ti = [taus.index(t) for t in taus_sq]
    return risk[:, :, li][..., ti]


def exact_rf_experiment(cfg: ExactRFConfig, seeds: Sequence[int]) -> ExactRFResult:
    """All measurements of section ``09-exact-random-features``, with the Mei–Montanari prediction for each."""
    if not isinstance(cfg, ExactRFConfig):
        raise ValueError(f"cfg must be an ExactRFConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    lams = (cfg.lam, cfg.lam_null)
    draws = np.stack([_pick(cfg, s, lams, cfg.tau_sqs) for s in seeds])  # (seeds, reps, widths, 2, taus)
    psi1 = np.array(cfg.widths, dtype=float) / cfg.d
    psi2 = cfg.n / cfg.d
    theory = np.stack([np.stack([relu_risk(psi1, psi2, lam, tau_sq=t) for t in cfg.tau_sqs], -1) for lam in lams], 1)
    null = np.stack([relu_risk(psi1, psi2, cfg.lam, tau_sq=t, centred=False) for t in cfg.tau_sqs], -1)
    return ExactRFResult(psi1, draws.mean(1), draws.std(1), theory, null, tuple(seeds), cfg)


def near_linear_peak_ratio(cfg: ExactRFConfig, seeds: Sequence[int], eps_sq: float = 0.01) -> np.ndarray:
    """Per seed, the clean-label peak ratio of :meth:`ExactRFResult.peak_ratio` (ridge ``cfg.lam``) with the near-linear
    features ``u + ε(u² − 1)/√2``, ``ε² = eps_sq``: the mechanism null of claim ``rf-exact-peak-nonlinearity``. The
    formula is :func:`asymptotic_risk` with ``μ₁ = 1``, ``μ_⋆² = ε²``."""
    seeds = validate.seeds(seeds)
    eps_sq = validate.real("eps_sq", eps_sq, low=0.0, low_open=True)
    widths = [int(round(q * cfg.n)) for q in (1.0, 2 / 3, 1.5)]
    risk = np.stack([simulate_risk(s, cfg.d, cfg.n, widths, [cfg.lam], [0.0], reps=cfg.reps, n_test=cfg.n_test,
                                   near_linear=math.sqrt(eps_sq)).mean(0)[:, 0, 0] for s in seeds])
    return risk[:, 0] / np.maximum(risk[:, 1], risk[:, 2])


def tuned_curve(cfg: ExactRFConfig, seeds: Sequence[int], *, tau_sq: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Risk along ``cfg.psi1s`` at each of :data:`TUNED_LAMS`: simulated ``(seeds, widths, lams)`` (mean over draws,
    the draws of :func:`exact_rf_experiment` for the same seeds) and the formula's ``(widths, lams)``.

    The optimally regularised curve (Nakkiran et al. 2021; Mei and Montanari 2022) is the minimum over the last
    axis, tuned on the test risk itself (an oracle); ``[..., 0]`` is the near-ridgeless curve."""
    if not isinstance(cfg, ExactRFConfig):
        raise ValueError(f"cfg must be an ExactRFConfig, got {type(cfg).__name__}")
    tau_sq = validate.real("tau_sq", tau_sq, low=0.0)
    lams = np.array(TUNED_LAMS)
    sim = np.stack([_pick(cfg, s, TUNED_LAMS, (tau_sq,)).mean(0)[..., 0] for s in validate.seeds(seeds)])
    theory = np.stack([relu_risk(np.array(cfg.psi1s), cfg.psi2, lam, tau_sq=tau_sq) for lam in lams], -1)
    return sim, theory


def neighbour_rise(curve: Any) -> np.ndarray:
    """The largest relative rise between neighbouring points, ``max_i c_{i+1}/c_i − 1``, along the last axis."""
    c = validate.array("curve", curve, ndim=(1, 2, 3), positive=True)
    return np.max(c[..., 1:] / c[..., :-1] - 1.0, axis=-1)


def page_runs(config: Any) -> runtime.Cost:
    """What page 2.9 runs, for :func:`dltheory.book.budget.page_cost`: ``config(ExactRFConfig)``'s draws once (the
    two penalties of :func:`exact_rf_experiment` and the tuned curve share them, see ``ExactRFConfig.cost``), and
    the near-linear null of :func:`near_linear_peak_ratio` at three widths, one penalty."""
    cfg = config(ExactRFConfig)
    n = cfg.n
    widths = [int(round(q * n)) for q in (1.0, 2 / 3, 1.5)]
    n_max = max(widths)
    per_draw = (2.0 * cfg.d * n_max * (n + n_max + cfg.n_test) + 2.0 * n * n * n_max
                + sum(n**3 / 3 + 4.0 * (n + cfg.n_test) * w for w in widths))
    return cfg.cost() + runtime.Cost(flops=cfg.n_seeds * cfg.reps * per_draw)


# ============================================================================ exercise self-check


def check_peak_ratio(answer: Any, *, psi2: float = 2.0, lam: float = 1e-4) -> float:
    """Exercise ``ex-02-exact-rf``: the asymptotic risk at ``N = n`` over that at ``N = 2n``, clean labels.

    The expected value is recomputed with :func:`relu_risk` (centred ReLU, ``τ = 0``, ``ψ₁ = ψ₂`` and ``2ψ₂``)."""
    psi2 = validate.real("psi2", psi2, low=0.0, low_open=True)
    lam = validate.real("lam", lam, low=0.0, low_open=True)
    top, right = relu_risk(np.array([psi2, 2 * psi2]), psi2, lam)
    hint = ("evaluate relu_risk at ψ₁ = ψ₂ and ψ₁ = 2ψ₂ with τ² = 0 and divide; a ratio above 1 is a peak "
            "that needs no label noise")
    return selfcheck.number("peak_ratio", answer, float(top / right), rtol=1e-3, hint=hint)
