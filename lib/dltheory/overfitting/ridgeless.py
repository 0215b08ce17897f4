"""Chapter 2 · § 1, ``chapters/02-benign-overfitting/01-ridgeless.md``: the ridge(less) risk on isotropic data.

The exact asymptotic risk of min-norm and ridge regression on isotropic Gaussian data (Hastie, Montanari, Rosset
and Tibshirani 2022), derived with SymPy (:func:`ridge_theory`) and evaluated in float64 (:func:`ridge_risk`,
:func:`ridgeless_risk`); its Monte-Carlo counterpart (:func:`simulate_ridge`); the experiment across
``γ = p/n`` (:func:`ridgeless_experiment`); the self-check of exercise ``ex-02-ridgeless``.
Section ``02-optimal-ridge`` and the explorer build on these functions.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from dltheory import runtime, selfcheck, validate
from dltheory.overfitting import common

__all__ = [
    "RidgeTheory",
    "ridge_theory",
    "ridge_risk",
    "ridgeless_risk",
    "finite_ridgeless_risk",
    "simulate_ridge",
    "RidgelessConfig",
    "ridgeless_experiment",
    "threshold_pooled_risk",
    "check_ridgeless_risk",
]


class RidgeTheory(NamedTuple):
    """The symbols and expressions of the isotropic ridge risk (section ``01-ridgeless``)."""

    gamma: sp.Symbol
    lam: sp.Symbol
    sigma: sp.Symbol
    r: sp.Symbol
    z: sp.Symbol
    stieltjes: sp.Expr  # m(z), the Stieltjes transform of the Marchenko–Pastur law of ratio gamma
    risk: sp.Expr  # excess risk of ridge with penalty lam
    ridgeless_under: sp.Expr  # gamma < 1
    ridgeless_over: sp.Expr  # gamma > 1


@functools.cache
def ridge_theory() -> RidgeTheory:
    """Derive, with SymPy, the asymptotic excess risk of ridge regression on isotropic data.

    Section ``01-ridgeless``; Hastie, Montanari, Rosset and Tibshirani (2022), Theorems 1–2 and 5.
    With ``x ~ N(0, I_p)``, ``y = xᵀβ + ε``, ``Var ε = σ²``, ``‖β‖ = r``, ``γ = p/n`` and the estimator
    ``β̂_λ = (XᵀX/n + λI)⁻¹ Xᵀy/n``, the excess risk ``E‖β̂_λ − β‖²`` tends to
    ``r² λ² m'(−λ) + σ² γ (m(−λ) − λ m'(−λ))``, where ``m`` is the Stieltjes transform of the
    Marchenko–Pastur law, the root of ``γ z m² − (1 − γ − z) m + 1 = 0`` that is positive for ``z < 0``.
    The ridgeless limits use ``m_c(0) = 1/(1 − c)`` (the mean of ``1/s`` under the law of ratio ``c < 1``).
    """
    gamma, lam, sigma, r = sp.symbols("gamma lambda sigma r", positive=True)
    z, m, c = sp.Symbol("z"), sp.Symbol("m"), sp.Symbol("c", positive=True)
    mp_equation = gamma * z * m**2 - (1 - gamma - z) * m + 1
    roots = sp.solve(mp_equation, m)
    probe = {gamma: sp.Rational(1, 2), z: -sp.Rational(1, 10)}
    stieltjes = next(root for root in roots if root.subs(probe) > 0)
    m_at = stieltjes.subs(z, -lam)
    dm_at = sp.diff(stieltjes, z).subs(z, -lam)
    risk = r**2 * lam**2 * dm_at + sigma**2 * gamma * (m_at - lam * dm_at)
    # Mean of 1/s under Marchenko–Pastur of ratio c < 1: the equation at z = 0 reads (1 - c) m - 1 = 0.
    inv_mean = sp.solve(mp_equation.subs({gamma: c, z: 0}), m)[0]
    under = sigma**2 * gamma * inv_mean.subs(c, gamma)  # σ² tr (XᵀX)⁻¹, p < n
    over = r**2 * (1 - 1 / gamma) + sigma**2 / gamma * inv_mean.subs(c, 1 / gamma)  # bias + σ² tr (XXᵀ)⁻¹
    return RidgeTheory(gamma, lam, sigma, r, z, stieltjes, risk, sp.simplify(under), sp.simplify(over))


@functools.cache
def _risk_functions() -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    th = ridge_theory()
    args = (th.gamma, th.sigma, th.r)
    return (
        sp.lambdify((th.gamma, th.lam, th.sigma, th.r), th.risk, "numpy"),
        sp.lambdify(args, th.ridgeless_under, "numpy"),
        sp.lambdify(args, th.ridgeless_over, "numpy"),
    )


# The closed forms are evaluated in float64; outside these ranges their cancellations cost more than
# six digits (checked against 60-digit mpmath over a grid in tests/test_fuzz_chapters.py).
GAMMA_RANGE = (1e-4, 1e4)
LAMBDA_RANGE = (1e-5, 1e5)


def ridge_risk(gamma: Any, lam: float, *, sigma: float = 1.0, r: float = 1.0) -> np.ndarray:
    """Asymptotic excess risk of ridge with penalty ``lam > 0`` (section ``01-ridgeless``, Hastie et al. 2022).

    ``gamma`` must lie in ``GAMMA_RANGE`` and ``lam`` in ``LAMBDA_RANGE``, where the closed form is accurate.
    """
    gamma = validate.array("gamma", gamma, ndim=(0, 1), low=GAMMA_RANGE[0], high=GAMMA_RANGE[1])
    lam = validate.real("lam", lam, low=LAMBDA_RANGE[0], high=LAMBDA_RANGE[1])
    sigma = validate.real("sigma", sigma, low=0.0)
    r = validate.real("r", r, low=0.0)
    return np.asarray(_risk_functions()[0](gamma, lam, sigma, r), dtype=float)


def ridgeless_risk(gamma: Any, *, sigma: float = 1.0, r: float = 1.0) -> np.ndarray:
    """Asymptotic excess risk of the min-norm interpolator (section ``01-ridgeless``, Hastie et al. 2022).

    ``σ²γ/(1−γ)`` for ``γ < 1`` and ``r²(1 − 1/γ) + σ²/(γ − 1)`` for ``γ > 1``; ``inf`` at ``γ = 1``.
    ``gamma`` must lie in ``GAMMA_RANGE``.
    """
    gamma = validate.array("gamma", gamma, ndim=(0, 1), low=GAMMA_RANGE[0], high=GAMMA_RANGE[1])
    sigma = validate.real("sigma", sigma, low=0.0)
    r = validate.real("r", r, low=0.0)
    _, under, over = _risk_functions()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(gamma < 1, under(np.minimum(gamma, 0.999999), sigma, r),
                       over(np.maximum(gamma, 1.000001), sigma, r))
    return np.where(gamma == 1, np.inf, out).astype(float)


def finite_ridgeless_risk(n: int, p: int, *, sigma: float = 1.0, r: float = 1.0) -> float:
    """The exact mean excess risk of the min-norm fit at finite ``n`` and ``p`` (section ``01-ridgeless``).

    Isotropic Gaussian design, ``β`` uniform on the sphere of radius ``r``. Below the threshold the fit is
    unbiased and ``E‖β̂ − β‖² = σ² tr E[(XᵀX)⁻¹] = σ² p/(n − p − 1)`` (the mean of an inverse Wishart matrix).
    Above it the bias is ``r²(1 − n/p)`` (the part of ``β`` outside the row space of ``X``) and the variance
    ``σ² tr E[(XXᵀ)⁻¹] = σ² n/(p − n − 1)``. Infinite within one of the threshold, where the mean does not exist.
    """
    n = validate.integer("n", n, low=1)
    p = validate.integer("p", p, low=1)
    sigma = validate.real("sigma", sigma, low=0.0)
    r = validate.real("r", r, low=0.0)
    if abs(n - p) <= 1:
        return float("inf")
    if p < n:
        return sigma**2 * p / (n - p - 1)
    return r**2 * (1 - n / p) + sigma**2 * n / (p - n - 1)


@common.single_threaded_blas
def simulate_ridge(
    seed: int, n: int, p: int, lams: Sequence[float], *, sigma: float = 1.0, r: float = 1.0, reps: int = 32
) -> np.ndarray:
    """Monte-Carlo excess risk ``‖β̂_λ − β‖²`` of ridge on isotropic Gaussian data, shape ``(reps, len(lams))``.

    Section ``01-ridgeless``. ``λ = 0`` gives the min-norm least-squares fit ``β̂ = X⁺y``. One eigendecomposition
    of the smaller Gram matrix (``XᵀX`` or ``XXᵀ``) per sample serves every ``λ``; ``β`` is uniform on the
    sphere of radius ``r``.
    """
    seed = validate.seed("seed", seed)
    n = validate.integer("n", n, low=2)
    p = validate.integer("p", p, low=1)
    lams = validate.array("lams", lams, ndim=1, nonnegative=True)
    sigma = validate.real("sigma", sigma, low=0.0)
    r = validate.real("r", r, low=0.0)
    reps = validate.integer("reps", reps, low=1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((reps, n, p))
    beta = rng.standard_normal((reps, p))
    beta *= r / np.linalg.norm(beta, axis=1, keepdims=True)
    y = (x @ beta[..., None])[..., 0] + sigma * rng.standard_normal((reps, n))
    xt = np.swapaxes(x, 1, 2)
    shrink = lambda s2: np.where(s2[..., None] > 1e-9 * n, 1.0 / (s2[..., None] + n * lams), 0.0)  # noqa: E731
    if p <= n:  # β̂ = V diag(1/(s² + nλ)) Vᵀ Xᵀy
        s2, v = np.linalg.eigh(xt @ x)
        coef = (np.swapaxes(v, 1, 2) @ (xt @ y[..., None])) * shrink(s2)
        beta_hat = v @ coef
    else:  # β̂ = Xᵀ U diag(1/(s² + nλ)) Uᵀ y
        s2, u = np.linalg.eigh(x @ xt)
        coef = (np.swapaxes(u, 1, 2) @ y[..., None]) * shrink(s2)
        beta_hat = xt @ (u @ coef)
    return np.sum((beta_hat - beta[..., None]) ** 2, axis=1)


@dataclasses.dataclass(frozen=True)
class RidgelessConfig(runtime.ModeConfig):
    """Min-norm risk across γ = p/n (section ``01-ridgeless``). The defaults are the fast mode."""

    n: int = validate.field(200, validate.integer, low=10)
    gammas: tuple[float, ...] = validate.field(
        (0.2, 0.4, 0.6, 0.75, 0.85, 1.15, 1.25, 1.5, 2.0, 3.0, 5.0), validate.array, ndim=1, positive=True
    )
    reps: int = validate.field(100, validate.integer, low=2)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    threshold_reps: int = validate.field(800, validate.integer, low=100)  # extra draws at |γ − 1| < 0.25
    sigma: float = validate.field(1.0, validate.real, low=0.0)
    r: float = validate.field(1.0, validate.real, low=0.0)

    @classmethod
    def fast(cls) -> RidgelessConfig:
        return cls()

    @classmethod
    def full(cls) -> RidgelessConfig:
        gammas = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 1.15, 1.2, 1.25, 1.3, 1.5, 1.75, 2, 2.5, 3, 4, 5,
                  7, 10)
        return cls(n=200, gammas=gammas, reps=100, n_seeds=3)  # within the GPU budget (issue 22)

    def check(self) -> None:
        if any(abs(g - 1) * self.n < 3 for g in self.gammas):
            raise ValueError("gammas must stay at least 3/n away from 1 (the finite-n risk is infinite near γ = 1)")

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): per seed and ``γ``, ``reps`` draws of ``X`` (``n × p``, ``p = γn``; plus
        ``threshold_reps`` near the threshold, in chunks of 100), the smaller Gram matrix ``2·n·p·m`` (``m = min(n, p)``) and its eigendecomposition (about ``10·m³``)."""
        total, largest = 0.0, 0.0
        for g in self.gammas:
            p = max(1, round(g * self.n))
            m = min(self.n, p)
            reps = self.reps + (self.threshold_reps if abs(g - 1) < 0.25 else 0)
            total += reps * (2.0 * self.n * p * m + 10.0 * m**3 + 30.0 * self.n * p)
            largest = max(largest, 8.0 * self.reps * (self.n * p + m * m))
        return runtime.Cost(host_flops=self.n_seeds * total, bytes=largest)

    def paper_scale(self) -> str:
        """The theory is a limit: the finite-n simulation's size."""
        return (f"the theory is the limit n, p → ∞ (Hastie et al. 2022), so no paper's size to match: n = {self.n}, "
                f"{len(self.gammas)} values of γ = p/n from {min(self.gammas):g} to {max(self.gammas):g}, "
                f"{self.reps} repetitions × {self.n_seeds} seeds each, {self.threshold_reps} more per seed at "
                f"|γ − 1| < 0.25 (NumPy on the host, within the budget)")


@dataclasses.dataclass(frozen=True)
class RidgelessResult:
    gammas: np.ndarray  # (n_gammas,) the γ really simulated, round(γ n)/n
    risk: np.ndarray  # (n_seeds, n_gammas), mean over reps
    theory: np.ndarray  # (n_gammas,)
    seeds: tuple[int, ...]
    config: RidgelessConfig


def ridgeless_experiment(cfg: RidgelessConfig, seeds: Sequence[int]) -> RidgelessResult:
    """Simulated min-norm risk against Hastie et al.'s formula across γ (section ``01-ridgeless``)."""
    if not isinstance(cfg, RidgelessConfig):
        raise ValueError(f"cfg must be a RidgelessConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    ps = [max(1, round(g * cfg.n)) for g in cfg.gammas]
    risk = np.array(
        [[simulate_ridge(s * 1000 + i, cfg.n, p, [0.0], sigma=cfg.sigma, r=cfg.r, reps=cfg.reps).mean()
          for i, p in enumerate(ps)] for s in seeds]
    )
    gammas = np.array(ps) / cfg.n
    return RidgelessResult(gammas, risk, ridgeless_risk(gammas, sigma=cfg.sigma, r=cfg.r), tuple(seeds), cfg)


def threshold_pooled_risk(cfg: RidgelessConfig, seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Min-norm risk at the grid's γ with ``|γ − 1| < 0.25``, averaged over ``cfg.threshold_reps`` fresh draws per
    seed (in chunks of 100): ``(gammas, risk)``, risk of shape ``(n_seeds, n_near)``.

    Section ``01-ridgeless``: enough draws to tell the exact finite-n mean (:func:`finite_ridgeless_risk`) from
    Hastie et al.'s limit (:func:`ridgeless_risk`), 3.3% apart at n = 200, γ = 0.85 and 1.15.
    """
    if not isinstance(cfg, RidgelessConfig):
        raise ValueError(f"cfg must be a RidgelessConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    ps = [max(1, round(g * cfg.n)) for g in cfg.gammas if abs(g - 1) < 0.25]
    if not ps:
        raise ValueError("gammas has no value with |γ − 1| < 0.25")
    chunks = -(-cfg.threshold_reps // 100)
    risk = np.array([[np.concatenate([
        simulate_ridge(s * 100_000 + 50_000 + 1000 * i + c, cfg.n, p, [0.0], sigma=cfg.sigma, r=cfg.r,
                       reps=min(100, cfg.threshold_reps - 100 * c)) for c in range(chunks)]).mean()
        for i, p in enumerate(ps)] for s in seeds])
    return np.array(ps) / cfg.n, risk


# ============================================================================ exercise self-check


def check_ridgeless_risk(value: Any, *, gamma: float, sigma: float, r: float) -> float:
    """Exercise ``ex-02-ridgeless``: the asymptotic min-norm risk at the given γ, σ and r."""
    gamma = validate.real("gamma", gamma, low=0.0, low_open=True)
    if gamma == 1:
        raise ValueError("gamma must differ from 1 (the risk is infinite there)")
    expected = float(ridgeless_risk(gamma, sigma=sigma, r=r))
    hint = ("above the threshold the bias r²(1 − 1/γ) is part of the risk" if gamma > 1
            else "below the threshold there is no bias")
    return selfcheck.number("risk", value, expected, rtol=1e-3, hint=hint)
