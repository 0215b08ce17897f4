"""Chapter 2 · Benign overfitting: data, experiments and analysis.

Each part of this module belongs to one section of ``chapters/02-benign-overfitting``:

* ``01-ridgeless``: the exact risk of min-norm and ridge regression on isotropic Gaussian data
  (Hastie, Montanari, Rosset and Tibshirani 2022), :func:`ridge_theory`, :func:`ridge_risk`,
  :func:`simulate_ridge`, :func:`ridgeless_experiment`, :func:`samplewise_experiment`;
* ``02-random-features``: double descent of min-norm random-features regression on scikit-learn's
  digits (Belkin, Hsu, Ma and Mandal 2019), :func:`rf_experiment`;
* ``03-benign-linear``: the effective ranks of Bartlett, Long, Lugosi and Tsigler (2020) and the
  excess risk of the min-norm interpolator for three spectra, :func:`effective_ranks`,
  :func:`benign_experiment`;
* ``04-nearest-neighbours``: 1-NN (Cover and Hart 1967) against an interpolating singular-kernel
  rule (Devroye, Györfi and Krzyżak 1998; Belkin, Rakhlin and Tsybakov 2019), :func:`knn_experiment`;
* ``05-deep-double-descent``: width-wise double descent of a two-layer network on digits with label
  noise (Nakkiran et al. 2020), :func:`deep_experiment`.

The linear-algebra experiments use numpy in float64 with explicit integer seeds
(``numpy.random.default_rng(seed)``); the network experiment trains through :func:`dltheory.train.train`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from dltheory import runtime, selfcheck, validate

__all__ = [
    "RidgeTheory",
    "ridge_theory",
    "ridge_risk",
    "ridgeless_risk",
    "optimal_ridge",
    "simulate_ridge",
    "RidgelessConfig",
    "ridgeless_experiment",
    "SamplewiseConfig",
    "samplewise_experiment",
    "max_relative_increase",
    "load_digits",
    "noisy_labels",
    "min_norm_fit",
    "RFConfig",
    "rf_experiment",
    "effective_ranks",
    "bllt_conditions",
    "spectrum",
    "SPECTRA",
    "min_norm_excess_risk",
    "BenignConfig",
    "benign_experiment",
    "bayes_risk_problem",
    "nearest_neighbour_predict",
    "singular_kernel_predict",
    "KNNConfig",
    "knn_experiment",
    "DeepConfig",
    "deep_experiment",
    "largest_rise",
    "save_deep_result",
    "load_deep_result",
    "peak_index",
    "interpolation_width",
    "risk_explorer",
    "check_ridgeless_risk",
    "check_effective_ranks",
    "check_benign_spectrum",
    "check_peak_moves",
]


def _single_threaded_blas(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` with one BLAS thread: the matrices here are small, and on a shared machine a
    multi-threaded BLAS spends most of its time waiting (measured 15× slower on 2 busy cores)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapper


def _seed(name: str, seed: Any) -> int:
    return validate.integer(name, seed, low=0, high=2**31 - 1)


def _seed_list(seeds: Any) -> list[int]:
    if isinstance(seeds, (int, np.integer)) or not isinstance(seeds, Sequence) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    return [_seed("seeds[i]", s) for s in seeds]


# ============================================================================ 01 · ridge(less) theory


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
        out = np.where(gamma < 1, under(np.minimum(gamma, 0.999999), sigma, r), over(np.maximum(gamma, 1.000001), sigma, r))
    return np.where(gamma == 1, np.inf, out).astype(float)


def optimal_ridge(gamma: Any, *, sigma: float = 1.0, r: float = 1.0) -> np.ndarray:
    """The risk-minimising penalty ``λ* = σ²γ/r²`` for isotropic data (Dobriban and Wager 2018; Hastie et al. 2022)."""
    gamma = validate.array("gamma", gamma, positive=True, ndim=(0, 1))
    sigma = validate.real("sigma", sigma, low=0.0, low_open=True)
    r = validate.real("r", r, low=0.0, low_open=True)
    return sigma**2 * gamma / r**2


@_single_threaded_blas
def simulate_ridge(
    seed: int, n: int, p: int, lams: Sequence[float], *, sigma: float = 1.0, r: float = 1.0, reps: int = 32
) -> np.ndarray:
    """Monte-Carlo excess risk ``‖β̂_λ − β‖²`` of ridge on isotropic Gaussian data, shape ``(reps, len(lams))``.

    Section ``01-ridgeless``. ``λ = 0`` gives the min-norm least-squares fit ``β̂ = X⁺y``. One eigendecomposition
    of the smaller Gram matrix (``XᵀX`` or ``XXᵀ``) per sample serves every ``λ``; ``β`` is uniform on the
    sphere of radius ``r``.
    """
    seed = _seed("seed", seed)
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
    """Min-norm risk across γ = p/n (section ``01-ridgeless``)."""

    n: int
    gammas: tuple[float, ...]
    reps: int
    n_seeds: int
    sigma: float = 1.0
    r: float = 1.0

    @classmethod
    def fast(cls) -> RidgelessConfig:
        gammas = (0.2, 0.4, 0.6, 0.75, 0.85, 1.15, 1.25, 1.5, 2.0, 3.0, 5.0)
        return cls(n=200, gammas=gammas, reps=100, n_seeds=3)

    @classmethod
    def full(cls) -> RidgelessConfig:
        gammas = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 1.15, 1.2, 1.25, 1.3, 1.5, 1.75, 2, 2.5, 3, 4, 5, 7, 10)
        return cls(n=400, gammas=gammas, reps=400, n_seeds=5)

    def check(self) -> None:
        validate.integer("n", self.n, low=10)
        validate.array("gammas", self.gammas, ndim=1, positive=True)
        if any(abs(g - 1) * self.n < 3 for g in self.gammas):
            raise ValueError("gammas must stay at least 3/n away from 1 (the finite-n risk is infinite near γ = 1)")
        validate.integer("reps", self.reps, low=2)
        validate.integer("n_seeds", self.n_seeds, low=1)
        validate.real("sigma", self.sigma, low=0.0)
        validate.real("r", self.r, low=0.0)


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
    seeds = _seed_list(seeds)
    ps = [max(1, round(g * cfg.n)) for g in cfg.gammas]
    risk = np.array(
        [[simulate_ridge(s * 1000 + i, cfg.n, p, [0.0], sigma=cfg.sigma, r=cfg.r, reps=cfg.reps).mean() for i, p in enumerate(ps)] for s in seeds]
    )
    gammas = np.array(ps) / cfg.n
    return RidgelessResult(gammas, risk, ridgeless_risk(gammas, sigma=cfg.sigma, r=cfg.r), tuple(seeds), cfg)


@dataclasses.dataclass(frozen=True)
class SamplewiseConfig(runtime.ModeConfig):
    """Risk against the number of samples at fixed p, ridgeless and optimally tuned (section ``01-ridgeless``)."""

    p: int
    ns: tuple[int, ...]
    reps: int
    n_seeds: int
    sigma: float = 1.0
    r: float = 1.0

    @classmethod
    def fast(cls) -> SamplewiseConfig:
        return cls(p=100, ns=(20, 40, 60, 75, 85, 95, 105, 115, 130, 160, 200, 300, 400), reps=64, n_seeds=3)

    @classmethod
    def full(cls) -> SamplewiseConfig:
        ns = (40, 80, 120, 150, 170, 185, 195, 205, 215, 230, 260, 300, 400, 600, 800)
        return cls(p=200, ns=ns, reps=200, n_seeds=5)

    def check(self) -> None:
        validate.integer("p", self.p, low=2)
        validate.array("ns", self.ns, ndim=1, positive=True)
        if any(abs(n - self.p) < 3 for n in self.ns):
            raise ValueError("ns must stay at least 3 away from p (the min-norm risk is infinite at n = p)")
        if list(self.ns) != sorted(self.ns):
            raise ValueError("ns must be increasing")
        validate.integer("reps", self.reps, low=2)
        validate.integer("n_seeds", self.n_seeds, low=1)
        validate.real("sigma", self.sigma, low=0.0, low_open=True)
        validate.real("r", self.r, low=0.0, low_open=True)


@dataclasses.dataclass(frozen=True)
class SamplewiseResult:
    ns: np.ndarray  # (n_ns,)
    ridgeless: np.ndarray  # (n_seeds, n_ns)
    tuned: np.ndarray  # (n_seeds, n_ns)
    theory_ridgeless: np.ndarray
    theory_tuned: np.ndarray
    seeds: tuple[int, ...]
    config: SamplewiseConfig


def samplewise_experiment(cfg: SamplewiseConfig, seeds: Sequence[int]) -> SamplewiseResult:
    """More data can hurt the min-norm fit but never the tuned ridge (Nakkiran et al. 2021; section ``01-ridgeless``)."""
    if not isinstance(cfg, SamplewiseConfig):
        raise ValueError(f"cfg must be a SamplewiseConfig, got {type(cfg).__name__}")
    seeds = _seed_list(seeds)
    gammas = cfg.p / np.array(cfg.ns, dtype=float)
    lam_star = optimal_ridge(gammas, sigma=cfg.sigma, r=cfg.r)
    both = np.array(
        [
            [simulate_ridge(s * 1000 + i, n, cfg.p, [0.0, lam_star[i]], sigma=cfg.sigma, r=cfg.r, reps=cfg.reps).mean(0) for i, n in enumerate(cfg.ns)]
            for s in seeds
        ]
    )
    tuned_theory = np.array([ridge_risk(g, l, sigma=cfg.sigma, r=cfg.r) for g, l in zip(gammas, lam_star)])
    return SamplewiseResult(
        np.array(cfg.ns), both[..., 0], both[..., 1], ridgeless_risk(gammas, sigma=cfg.sigma, r=cfg.r), tuned_theory, tuple(seeds), cfg
    )


def max_relative_increase(curve: Any) -> np.ndarray:
    """The largest relative rise ``max_{i<j} (c_j − c_i)/c_i`` along the last axis (0 for a non-increasing curve).

    Sections ``01-ridgeless`` and ``02-random-features``: a monotone decreasing risk curve gives 0.
    """
    c = validate.array("curve", curve, ndim=(1, 2), positive=True)
    running_min = np.minimum.accumulate(c, axis=-1)
    return np.max(c / running_min - 1.0, axis=-1)


# ============================================================================ 02 · random features on digits


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as _load

    x, y = _load(return_X_y=True)
    return (x / 16.0).astype(np.float64), y.astype(np.int64)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 handwritten digits (8×8, shipped with the package): inputs in [0, 1], labels 0–9."""
    x, y = _digits()
    return x.copy(), y.copy()


def noisy_labels(rng: np.random.Generator, labels: Any, noise: float, n_classes: int = 10) -> np.ndarray:
    """Replace a fraction ``noise`` of ``labels`` by a different class drawn uniformly (Nakkiran et al. 2020)."""
    labels = validate.array("labels", labels, ndim=1, dtype=np.int64, nonnegative=True)
    noise = validate.probability("noise", noise)
    n_classes = validate.integer("n_classes", n_classes, low=2)
    flip = rng.random(labels.size) < noise
    shift = rng.integers(1, n_classes, labels.size)
    return np.where(flip, (labels + shift) % n_classes, labels)


@_single_threaded_blas
def min_norm_fit(features: Any, targets: Any) -> np.ndarray:
    """The minimum-norm least-squares coefficients ``Φ⁺ Y`` (sections ``02-random-features`` and ``03-benign-linear``)."""
    phi = validate.array("features", features, ndim=2)
    t = validate.array("targets", targets, ndim=(1, 2))
    if t.shape[0] != phi.shape[0]:
        raise ValueError(f"targets must have {phi.shape[0]} rows like features, got {t.shape[0]}")
    return np.linalg.lstsq(phi, t, rcond=None)[0]


@dataclasses.dataclass(frozen=True)
class RFConfig(runtime.ModeConfig):
    """Random-features double descent on digits (section ``02-random-features``)."""

    ns: tuple[int, ...]  # training-set sizes
    noises: tuple[float, ...]  # label-noise fractions
    n_features: tuple[int, ...]  # the grid of feature counts N
    n_seeds: int

    @classmethod
    def fast(cls) -> RFConfig:
        grid = tuple(sorted({int(round(10 * 2 ** (k / 6))) for k in range(0, 49)}))  # 10 … 2560
        return cls(ns=(100, 200), noises=(0.0, 0.2), n_features=grid, n_seeds=3)

    @classmethod
    def full(cls) -> RFConfig:
        grid = tuple(sorted({int(round(10 * 2 ** (k / 12))) for k in range(0, 109)}))  # 10 … 5120
        return cls(ns=(100, 200, 400), noises=(0.0, 0.1, 0.2, 0.4), n_features=grid, n_seeds=10)

    def check(self) -> None:
        validate.array("ns", self.ns, ndim=1, positive=True)
        if max(self.ns) > 1000:
            raise ValueError("ns must leave at least 797 of the 1797 digits for testing (max 1000)")
        for v in self.noises:
            validate.probability("noises[i]", v)
        validate.array("n_features", self.n_features, ndim=1, positive=True)
        validate.integer("n_seeds", self.n_seeds, low=1)


@dataclasses.dataclass(frozen=True)
class RFResult:
    n_features: np.ndarray  # (n_N,)
    test_mse: np.ndarray  # (n_seeds, n_ns, n_noises, n_N)
    test_error: np.ndarray  # same shape, 0-1 error
    train_mse: np.ndarray
    seeds: tuple[int, ...]
    config: RFConfig

    def peak(self) -> np.ndarray:
        """The feature count of the highest test MSE, shape ``(n_seeds, n_ns, n_noises)``."""
        return self.n_features[np.argmax(self.test_mse, axis=-1)]


@_single_threaded_blas
def rf_experiment(cfg: RFConfig, seeds: Sequence[int]) -> RFResult:
    """Test MSE of min-norm ReLU random-features regression against N (Belkin et al. 2019; section ``02-random-features``).

    For each seed: a random split of the digits (the last 797 images are never used for training), one
    Gaussian first layer ``W ~ N(0, 1/d)`` of ``max(N)`` features of which the first ``N`` are used,
    ``φ(x) = relu(Wᵀx)/√N``, and the min-norm fit of one-hot targets of the noisy labels.
    """
    if not isinstance(cfg, RFConfig):
        raise ValueError(f"cfg must be a RFConfig, got {type(cfg).__name__}")
    seeds = _seed_list(seeds)
    x, y = _digits()
    d, grid = x.shape[1], np.array(cfg.n_features)
    shape = (len(seeds), len(cfg.ns), len(cfg.noises), grid.size)
    mse, err, tr_mse = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for a, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        test = order[1000:]
        w = rng.standard_normal((d, grid.max())) / math.sqrt(d)
        z_test = np.maximum(x[test] @ w, 0.0)
        y_test = np.eye(10)[y[test]]
        for b, n in enumerate(cfg.ns):
            train = order[:n]
            z_train = np.maximum(x[train] @ w, 0.0)
            for c, noise in enumerate(cfg.noises):
                targets = np.eye(10)[noisy_labels(rng, y[train], noise)]
                for i, width in enumerate(grid):
                    scale = 1.0 / math.sqrt(width)
                    coef = min_norm_fit(z_train[:, :width] * scale, targets)
                    pred = z_test[:, :width] * scale @ coef
                    mse[a, b, c, i] = np.mean(np.sum((pred - y_test) ** 2, axis=1))
                    err[a, b, c, i] = np.mean(pred.argmax(1) != y[test])
                    tr_mse[a, b, c, i] = np.mean(np.sum((z_train[:, :width] * scale @ coef - targets) ** 2, axis=1))
    return RFResult(grid, mse, err, tr_mse, tuple(seeds), cfg)


# ============================================================================ 03 · benign overfitting (BLLT)


def effective_ranks(eigs: Any) -> tuple[np.ndarray, np.ndarray]:
    """The effective ranks ``r_k = Σ_{i>k} λ_i / λ_{k+1}`` and ``R_k = (Σ_{i>k} λ_i)² / Σ_{i>k} λ_i²``, k = 0 … p−1.

    Section ``03-benign-linear``; Bartlett, Long, Lugosi and Tsigler (2020), Definition 3.
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
    """The quantities of Bartlett et al.'s theorem for ``n`` samples (section ``03-benign-linear``).

    Returns ``k_star = min{k : r_k ≥ b n}`` (``inf`` if none), ``r0_over_n = r_0/n``, ``k_over_n = k*/n``,
    ``n_over_R = n / R_{k*}`` and ``variance_term = k*/n + n/R_{k*}`` (the rate of the variance, up to
    constants). Overfitting is benign when all of ``r0_over_n``, ``k_over_n`` and ``n_over_R`` go to 0.
    """
    r, big_r = effective_ranks(eigs)
    n = validate.integer("n", n, low=1)
    b = validate.real("b", b, low=0.0, low_open=True)
    hits = np.nonzero(r >= b * n)[0]
    if hits.size == 0:
        return {"k_star": math.inf, "r0_over_n": r[0] / n, "k_over_n": math.inf, "n_over_R": math.inf, "variance_term": math.inf}
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
    """The three covariance spectra of section ``03-benign-linear``, eigenvalues in non-increasing order.

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


@_single_threaded_blas
def min_norm_excess_risk(seed: int, eigs: Any, n: int, *, sigma: float = 1.0, reps: int = 16) -> np.ndarray:
    """Excess risk ``(θ̂ − θ*)ᵀ Σ (θ̂ − θ*)`` of the min-norm interpolator, shape ``(reps,)``.

    Section ``03-benign-linear``. ``x ~ N(0, diag(eigs))``, ``θ* = e_1`` (the top direction), noise ``N(0, σ²)``.
    Needs ``p > n`` so that the fit interpolates.
    """
    seed = _seed("seed", seed)
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
    """Excess risk of the min-norm interpolator against n for three spectra (section ``03-benign-linear``)."""

    ns: tuple[int, ...]
    dim_exponent: float  # p = ceil(n ** dim_exponent)
    reps: int
    n_seeds: int
    sigma: float = 1.0

    @classmethod
    def fast(cls) -> BenignConfig:
        return cls(ns=(25, 50, 100, 200), dim_exponent=1.5, reps=12, n_seeds=3)

    @classmethod
    def full(cls) -> BenignConfig:
        return cls(ns=(25, 50, 100, 200, 400, 800), dim_exponent=1.5, reps=40, n_seeds=5)

    def check(self) -> None:
        validate.array("ns", self.ns, ndim=1, positive=True)
        if min(self.ns) < 10 or list(self.ns) != sorted(self.ns):
            raise ValueError("ns must be increasing and at least 10")
        validate.real("dim_exponent", self.dim_exponent, low=1.2, high=2.0)
        validate.integer("reps", self.reps, low=2)
        validate.integer("n_seeds", self.n_seeds, low=1)
        validate.real("sigma", self.sigma, low=0.0, low_open=True)

    def dim(self, n: int) -> int:
        return int(math.ceil(n**self.dim_exponent))


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
    """Min-norm excess risk and Bartlett et al.'s conditions for the three spectra (section ``03-benign-linear``)."""
    if not isinstance(cfg, BenignConfig):
        raise ValueError(f"cfg must be a BenignConfig, got {type(cfg).__name__}")
    seeds = _seed_list(seeds)
    risk, conditions = {}, {}
    for j, kind in enumerate(SPECTRA):
        eigs = [spectrum(kind, cfg.dim(n)) for n in cfg.ns]
        conditions[kind] = [bllt_conditions(e, n) for e, n in zip(eigs, cfg.ns)]
        risk[kind] = np.array(
            [[min_norm_excess_risk(s * 1000 + 100 * j + i, e, n, sigma=cfg.sigma, reps=cfg.reps).mean() for i, (e, n) in enumerate(zip(eigs, cfg.ns))] for s in seeds]
        )
    return BenignResult(np.array(cfg.ns), risk, conditions, tuple(seeds), cfg)


# ============================================================================ 04 · nearest neighbours


def bayes_risk_problem(x: Any, *, noise: float = 0.1) -> np.ndarray:
    """``η(x) = P(y = 1 | x)`` of the section's problem: ``1 − noise`` where ``x_1 > 1/2``, ``noise`` elsewhere.

    Section ``04-nearest-neighbours``. With ``x`` uniform on the unit square the Bayes risk is exactly ``noise``
    and the 1-NN limit ``E[2η(1−η)]`` of Cover and Hart (1967) is exactly ``2·noise·(1−noise)``.
    """
    x = validate.array("x", x, ndim=2)
    noise = validate.real("noise", noise, low=0.0, high=0.5)
    return np.where(x[:, 0] > 0.5, 1.0 - noise, noise)


def _sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T, 0.0)


def nearest_neighbour_predict(x_train: Any, y_train: Any, x_query: Any) -> np.ndarray:
    """The 1-nearest-neighbour label of each query point (section ``04-nearest-neighbours``)."""
    xt = validate.array("x_train", x_train, ndim=2)
    yt = validate.array("y_train", y_train, ndim=1)
    xq = validate.array("x_query", x_query, ndim=2, shape=(None, xt.shape[1]))
    if yt.size != xt.shape[0]:
        raise ValueError("y_train must have one label per row of x_train")
    return yt[np.argmin(_sq_distances(xq, xt), axis=1)]


def singular_kernel_predict(x_train: Any, y_train: Any, x_query: Any, *, k: int, a: float) -> np.ndarray:
    """Interpolating Nadaraya–Watson vote with the singular kernel ``‖u‖^{-a}`` on the ``k`` nearest neighbours.

    Section ``04-nearest-neighbours``; Devroye, Györfi and Krzyżak (1998) and Belkin, Rakhlin and Tsybakov (2019).
    The weight of a training point is infinite at distance 0, so the rule returns the training label
    at every training point (it interpolates) and a local weighted average elsewhere.
    Labels are 0/1; the prediction is the weighted vote thresholded at 1/2.
    """
    xt = validate.array("x_train", x_train, ndim=2)
    yt = validate.array("y_train", y_train, ndim=1)
    xq = validate.array("x_query", x_query, ndim=2, shape=(None, xt.shape[1]))
    if yt.size != xt.shape[0]:
        raise ValueError("y_train must have one label per row of x_train")
    k = validate.integer("k", k, low=1, high=xt.shape[0])
    a = validate.real("a", a, low=0.0, low_open=True)
    d2 = _sq_distances(xq, xt)
    idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
    dk = np.take_along_axis(d2, idx, axis=1)
    exact = dk <= 1e-24
    with np.errstate(divide="ignore"):
        w = np.where(exact, 0.0, dk ** (-a / 2))
    vote = np.sum(w * yt[idx], axis=1) / np.sum(w, axis=1)
    hit = exact.any(axis=1)
    own = yt[np.take_along_axis(idx, np.argmax(exact, axis=1)[:, None], axis=1)[:, 0]]
    return np.where(hit, own, (vote > 0.5).astype(float))


@dataclasses.dataclass(frozen=True)
class KNNConfig(runtime.ModeConfig):
    """1-NN against the singular-kernel interpolating rule (section ``04-nearest-neighbours``)."""

    ns: tuple[int, ...]
    n_test: int
    noise: float
    a: float  # kernel exponent, a < d/2 (Belkin, Rakhlin and Tsybakov 2019)
    n_seeds: int
    d: int = 2

    @classmethod
    def fast(cls) -> KNNConfig:
        return cls(ns=(250, 500, 1000, 2000, 4000), n_test=2000, noise=0.1, a=0.5, n_seeds=3)

    @classmethod
    def full(cls) -> KNNConfig:
        return cls(ns=(250, 500, 1000, 2000, 4000, 8000, 16000), n_test=10000, noise=0.1, a=0.5, n_seeds=10)

    def check(self) -> None:
        validate.array("ns", self.ns, ndim=1, positive=True)
        validate.integer("n_test", self.n_test, low=10)
        validate.real("noise", self.noise, low=0.0, high=0.5)
        validate.integer("d", self.d, low=1, high=20)
        validate.real("a", self.a, low=0.0, low_open=True, high=self.d / 2, high_open=True)
        validate.integer("n_seeds", self.n_seeds, low=1)

    def k(self, n: int) -> int:
        """Window size of the kernel rule: ``⌈√n⌉`` neighbours (k → ∞, k/n → 0)."""
        return int(math.ceil(math.sqrt(n)))


@dataclasses.dataclass(frozen=True)
class KNNResult:
    ns: np.ndarray
    risk: dict[str, np.ndarray]  # rule -> (n_seeds, n_ns): "1-NN", "k-NN", "singular"
    train_error: dict[str, np.ndarray]
    bayes: float
    cover_hart: float
    seeds: tuple[int, ...]
    config: KNNConfig


@_single_threaded_blas
def knn_experiment(cfg: KNNConfig, seeds: Sequence[int]) -> KNNResult:
    """Risk of 1-NN, majority k-NN and the singular-kernel rule on a problem of known Bayes risk.

    Section ``04-nearest-neighbours``. The risk of a rule ``f`` is computed exactly given the test inputs,
    ``mean(η(x)·[f(x) = 0] + (1 − η(x))·[f(x) = 1])``, so only the test inputs are sampled.
    """
    if not isinstance(cfg, KNNConfig):
        raise ValueError(f"cfg must be a KNNConfig, got {type(cfg).__name__}")
    seeds = _seed_list(seeds)
    rules = ("1-NN", "k-NN", "singular")
    risk = {r: np.zeros((len(seeds), len(cfg.ns))) for r in rules}
    train_error = {r: np.zeros((len(seeds), len(cfg.ns))) for r in rules}
    for a, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        x_test = rng.random((cfg.n_test, cfg.d))
        eta_test = bayes_risk_problem(x_test, noise=cfg.noise)
        for b, n in enumerate(cfg.ns):
            x = rng.random((n, cfg.d))
            y = (rng.random(n) < bayes_risk_problem(x, noise=cfg.noise)).astype(float)
            k = cfg.k(n)
            predictors = {
                "1-NN": lambda q: nearest_neighbour_predict(x, y, q),
                "k-NN": lambda q: singular_kernel_predict(x, y, q, k=k, a=1e-9),  # a → 0: plain majority vote
                "singular": lambda q: singular_kernel_predict(x, y, q, k=k, a=cfg.a),
            }
            for rule, predict in predictors.items():
                f = predict(x_test)
                risk[rule][a, b] = np.mean(np.where(f == 1, 1 - eta_test, eta_test))
                sub = slice(0, min(n, 1000))
                if rule == "k-NN":  # the plain vote over the k nearest training points, the point itself included
                    d2 = _sq_distances(x[sub], x)
                    idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
                    f_train = (y[idx].mean(1) > 0.5).astype(float)
                else:
                    f_train = predict(x[sub])
                train_error[rule][a, b] = np.mean(f_train != y[sub])
    return KNNResult(np.array(cfg.ns), risk, train_error, cfg.noise, 2 * cfg.noise * (1 - cfg.noise), tuple(seeds), cfg)


# ============================================================================ 05 · deep double descent


@dataclasses.dataclass(frozen=True)
class DeepConfig(runtime.ModeConfig):
    """Width-wise double descent of a two-layer ReLU network on digits (section ``05-deep-double-descent``)."""

    n_train: int
    widths: tuple[int, ...]
    noises: tuple[float, ...]
    steps: int
    learning_rate: float
    n_seeds: int
    eval_every: int = 500

    @classmethod
    def fast(cls) -> DeepConfig:
        return cls(n_train=120, widths=(2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128), noises=(0.0, 0.2), steps=2000, learning_rate=3e-3, n_seeds=3)

    @classmethod
    def full(cls) -> DeepConfig:
        widths = (2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256)
        return cls(n_train=300, widths=widths, noises=(0.0, 0.2), steps=3000, learning_rate=3e-3, n_seeds=3)

    def check(self) -> None:
        validate.integer("n_train", self.n_train, low=10, high=1000)
        validate.array("widths", self.widths, ndim=1, positive=True)
        if list(self.widths) != sorted(set(self.widths)):
            raise ValueError("widths must be strictly increasing")
        for v in self.noises:
            validate.probability("noises[i]", v)
        validate.integer("steps", self.steps, low=1)
        validate.integer("eval_every", self.eval_every, low=1)
        if self.steps % self.eval_every:
            raise ValueError(f"steps ({self.steps}) must be a multiple of eval_every ({self.eval_every})")
        validate.real("learning_rate", self.learning_rate, low=0.0, low_open=True)
        validate.integer("n_seeds", self.n_seeds, low=1)


@dataclasses.dataclass(frozen=True)
class DeepResult:
    widths: np.ndarray
    n_params: np.ndarray  # (n_widths,)
    test_error: np.ndarray  # (n_seeds, n_noises, n_widths)
    train_error: np.ndarray
    test_mse: np.ndarray
    seeds: tuple[int, ...]
    wall_time: float
    config: DeepConfig


def deep_experiment(cfg: DeepConfig, seeds: Sequence[int]) -> DeepResult:
    """Train two-layer ReLU networks of every width and noise level at once (section ``05-deep-double-descent``).

    Nakkiran et al. (2020) in miniature: digits, uniform label noise, squared loss on one-hot targets,
    full-batch Adam. All widths share one compiled program: each run is a network of the largest width
    whose hidden units beyond its own width are masked to zero, with the readout scaled by ``1/√width``.
    Widths and noise levels are hyper-parameters of :func:`dltheory.train.train`; each seed draws its
    own split, noisy labels and initialisation.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from dltheory import train

    if not isinstance(cfg, DeepConfig):
        raise ValueError(f"cfg must be a DeepConfig, got {type(cfg).__name__}")
    seeds = _seed_list(seeds)
    x, y = _digits()
    h_max, d = max(cfg.widths), x.shape[1]
    hp = train.grid(noise=list(cfg.noises), width=list(cfg.widths))

    def init(key: jax.Array, h: Any) -> dict[str, jax.Array]:
        k1, k2 = jax.random.split(key)
        return {
            "w1": jax.random.normal(k1, (d, h_max)) * jnp.sqrt(2.0 / d),
            "b1": jnp.zeros(h_max),
            "w2": jax.random.normal(k2, (h_max, 10)),
            "b2": jnp.zeros(10),
        }

    def apply(params: dict[str, jax.Array], inputs: jax.Array, h: Any) -> jax.Array:
        mask = (jnp.arange(h_max) < h["width"]).astype(inputs.dtype)
        hidden = jax.nn.relu(inputs @ params["w1"] + params["b1"]) * mask
        return hidden @ params["w2"] / jnp.sqrt(h["width"]) + params["b2"]

    shape = (len(seeds), len(cfg.noises), len(cfg.widths))
    test_err, train_err, test_mse = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    wall = 0.0
    for a, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        tr, te = order[: cfg.n_train], order[1000:]
        flip = rng.random(cfg.n_train)
        shift = rng.integers(1, 10, cfg.n_train)
        data = {
            "x": jnp.asarray(x[tr], jnp.float32),
            "clean": jnp.asarray(y[tr]),
            "alt": jnp.asarray((y[tr] + shift) % 10),
            "u": jnp.asarray(flip, jnp.float32),
        }
        x_test, y_test = jnp.asarray(x[te], jnp.float32), jnp.asarray(y[te])

        def labels(batch: dict[str, jax.Array], h: Any) -> jax.Array:
            return jnp.where(batch["u"] < h["noise"], batch["alt"], batch["clean"])

        def loss(params: Any, batch: dict[str, jax.Array], h: Any) -> jax.Array:
            target = jax.nn.one_hot(labels(batch, h), 10)
            return jnp.mean(jnp.sum((apply(params, batch["x"], h) - target) ** 2, axis=-1))

        def evaluate(params: Any, h: Any, batch: dict[str, jax.Array] = data) -> dict[str, jax.Array]:
            out_test = apply(params, x_test, h)
            return {
                "train_error": jnp.mean(apply(params, batch["x"], h).argmax(-1) != labels(batch, h)),
                "test_error": jnp.mean(out_test.argmax(-1) != y_test),
                "test_mse": jnp.mean(jnp.sum((out_test - jax.nn.one_hot(y_test, 10)) ** 2, axis=-1)),
            }

        hist = train.train(
            init,
            loss,
            optax.adam(cfg.learning_rate),
            steps=cfg.steps,
            eval_every=cfg.eval_every,
            seeds=[seed],
            data=data,
            evaluate=evaluate,
            hparams=hp,
            desc=f"widths × noise, seed {seed}",
            checkpoint=("overfitting.deep_experiment", cfg),  # the seed and the data are part of the key
        )
        wall += hist.wall_time
        shape_run = (len(cfg.noises), len(cfg.widths))
        test_err[a] = hist.final("test_error")[0].reshape(shape_run)
        train_err[a] = hist.final("train_error")[0].reshape(shape_run)
        test_mse[a] = hist.final("test_mse")[0].reshape(shape_run)
    widths = np.array(cfg.widths)
    return DeepResult(widths, widths * (d + 1) + widths * 10 + 10, test_err, train_err, test_mse, tuple(seeds), wall, cfg)


def peak_index(curve: Any) -> np.ndarray:
    """Index of the top of the largest relative rise along the last axis (see :func:`max_relative_increase`).

    Sections ``02-random-features`` and ``05-deep-double-descent``: where the double-descent bump peaks.
    """
    c = validate.array("curve", curve, ndim=(1, 2, 3), positive=True)
    return np.argmax(c / np.minimum.accumulate(c, axis=-1), axis=-1)


def interpolation_width(widths: Any, train_error: Any, *, epsilon: float = 0.1) -> np.ndarray:
    """The smallest width whose training error is at most ``epsilon`` (``inf`` if none), along the last axis.

    Section ``05-deep-double-descent``: Nakkiran et al.'s effective model complexity reaches n there (ε = 0.1).
    """
    w = validate.array("widths", widths, ndim=1, positive=True)
    e = validate.array("train_error", train_error, ndim=(1, 2, 3))
    if e.shape[-1] != w.size:
        raise ValueError(f"train_error must have {w.size} entries along its last axis, got {e.shape[-1]}")
    epsilon = validate.probability("epsilon", epsilon)
    ok = e <= epsilon
    return np.where(ok.any(-1), w[np.argmax(ok, axis=-1)], np.inf)


DEEP_SAVED = "02-benign-overfitting-deep-full.json"


def save_deep_result(res: DeepResult, path: Any, *, date: str, device: str) -> None:
    """Write a :class:`DeepResult` and its provenance as JSON (section ``05-deep-double-descent``)."""
    import json

    if not isinstance(res, DeepResult):
        raise ValueError(f"res must be a DeepResult, got {type(res).__name__}")
    record = {
        "provenance": {"config": repr(res.config), "date": str(date), "device": str(device), "mode": "full"},
        "config": dataclasses.asdict(res.config),
        "seeds": list(res.seeds),
        "wall_time_s": res.wall_time,
        **{name: np.asarray(getattr(res, name)).tolist() for name in ("widths", "n_params", "test_error", "train_error", "test_mse")},
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1)


def load_deep_result(path: Any = None) -> tuple[DeepResult, dict[str, str]]:
    """The saved full-mode run of :func:`deep_experiment` shipped with the library, and its provenance.

    Section ``05-deep-double-descent``. ``path`` defaults to ``dltheory/data/02-benign-overfitting-deep-full.json``.
    """
    import json
    from importlib import resources

    source = resources.files("dltheory") / "data" / DEEP_SAVED if path is None else path
    with open(str(source), encoding="utf-8") as fh:
        record = json.load(fh)
    cfg = DeepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in record["config"].items()})
    arrays = {name: np.asarray(record[name]) for name in ("widths", "n_params", "test_error", "train_error", "test_mse")}
    res = DeepResult(seeds=tuple(record["seeds"]), wall_time=float(record["wall_time_s"]), config=cfg, **arrays)
    return res, record["provenance"]


def largest_rise(curve: Any) -> np.ndarray:
    """The largest increase ``max_{i<j} (c_j − c_i)`` along the last axis: 0 for a non-increasing curve.

    Section ``05-deep-double-descent``: the height of the double-descent bump of a test-error curve.
    """
    c = validate.array("curve", curve, ndim=(1, 2, 3))
    return np.max(c - np.minimum.accumulate(c, axis=-1), axis=-1)


# ============================================================================ the widget


def risk_explorer(*, n: int = 100, reps: int = 8, seed: int = 0, force_static: bool | None = None) -> Any:
    """Explorer of the ridge(less) risk against γ for a noise level σ and a penalty λ (chapter 2's widget).

    Section ``01-ridgeless``: the theory curve (Hastie et al. 2022) and a small simulation at ``n`` samples,
    with the point of the slider's γ marked. Static figure on the website (see :mod:`dltheory.widgets`).
    """
    from dltheory import plot, widgets

    n = validate.integer("n", n, low=10)
    reps = validate.integer("reps", reps, low=1)
    seed = _seed("seed", seed)
    grid = np.linspace(0.1, 4.0, 400)
    sim_gammas = np.array([0.25, 0.5, 0.75, 0.9, 1.1, 1.5, 2.0, 3.0, 4.0])

    @functools.cache
    def simulated(sigma: float, lam: float) -> np.ndarray:
        return np.array([simulate_ridge(seed + i, n, int(round(g * n)), [lam], sigma=sigma, reps=reps).mean() for i, g in enumerate(sim_gammas)])

    def draw(ax: Any, sigma: float, lam: float, gamma: float) -> None:
        theory = ridgeless_risk(grid, sigma=sigma) if lam == 0 else ridge_risk(grid, lam, sigma=sigma)
        plot.theory(ax, grid, np.minimum(theory, 50.0), label="theory")
        ax.plot(sim_gammas, simulated(sigma, lam), "o", label=f"simulation, n = {n}")
        at = ridgeless_risk(gamma, sigma=sigma) if lam == 0 else ridge_risk(gamma, lam, sigma=sigma)
        ax.axvline(gamma, color="0.6", lw=1)
        ax.set_yscale("log")
        ax.set_ylim(0.05, 50)
        ax.set_xlabel(r"$\gamma = p/n$")
        ax.set_ylabel(r"excess risk $\|\hat\beta - \beta\|^2$")
        ax.set_title(rf"$\sigma$ = {sigma:g}, $\lambda$ = {lam:g}: risk {float(at):.3g} at $\gamma$ = {gamma:g}", fontsize=9)
        ax.legend(fontsize=8)

    return widgets.explorer(
        draw,
        {"sigma": [0.0, 0.25, 0.5, 1.0, 1.5], "lam": [0.0, 0.01, 0.1, 0.5, 1.0, 2.0], "gamma": [0.5, 0.9, 1.1, 2.0, 3.0]},
        defaults={"sigma": 1.0, "lam": 0.0, "gamma": 2.0},
        static={"lam": [0.0, 0.1, 1.0]},
        title="Ridge(less) risk on isotropic data",
        force_static=force_static,
    )


# ============================================================================ exercise self-checks


def check_ridgeless_risk(value: Any, *, gamma: float, sigma: float, r: float) -> float:
    """Exercise ``ex-02-ridgeless``: the asymptotic min-norm risk at the given γ, σ and r."""
    gamma = validate.real("gamma", gamma, low=0.0, low_open=True)
    if gamma == 1:
        raise ValueError("gamma must differ from 1 (the risk is infinite there)")
    expected = float(ridgeless_risk(gamma, sigma=sigma, r=r))
    hint = "above the threshold the bias r²(1 − 1/γ) is part of the risk" if gamma > 1 else "below the threshold there is no bias"
    return selfcheck.number("risk", value, expected, rtol=1e-3, hint=hint)


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
        raise selfcheck.WrongAnswer(f"make_spectrum should be a function n -> eigenvalues, got {type(make_spectrum).__name__}.")
    ns = [validate.integer("ns[i]", n, low=10) for n in ns]
    conds, risks = [], []
    for i, n in enumerate(ns):
        result = make_spectrum(n)
        if result is None or result is Ellipsis:
            raise selfcheck.NotAnswered(f"make_spectrum({n}) returns {result!r}: write its body so that it returns the eigenvalues.")
        try:
            eigs = np.asarray(result, dtype=float)
            conds.append(bllt_conditions(eigs, n))
        except ValueError as err:
            raise selfcheck.WrongAnswer(f"make_spectrum({n}) is not a valid spectrum: {err}") from None
        if eigs.size <= n:
            raise selfcheck.WrongAnswer(f"make_spectrum({n}) has {eigs.size} eigenvalues: it needs more than n = {n} to interpolate.")
        if eigs.size > 20000:
            raise selfcheck.WrongAnswer(f"make_spectrum({n}) has {eigs.size} eigenvalues: keep the dimension below 20000.")
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
            f"The conditions hold, but the simulated excess risk went from {risks[0]:.3g} (n = {ns[0]}) to {risks[-1]:.3g} "
            f"(n = {ns[-1]}): not falling fast enough to call it benign at these sizes."
        )
    selfcheck.correct(
        f"r_0/n = {conds[-1]['r0_over_n']:.3g}, k*/n = {conds[-1]['k_over_n']:.3g}, n/R_k* = {conds[-1]['n_over_R']:.3g} at n = {ns[-1]}; "
        f"simulated excess risk {risks[0]:.3g} → {risks[-1]:.3g}."
    )


@functools.cache
def _peak_moves(seed: int) -> tuple[bool, float, float]:
    cfg = RFConfig(ns=(100,), noises=(0.0, 0.4), n_features=tuple(sorted({int(round(20 * 2 ** (k / 6))) for k in range(0, 31)})), n_seeds=1)
    res = rf_experiment(cfg, [seed])
    peaks = res.peak()[0, 0]
    return bool(abs(math.log(peaks[1] / peaks[0])) > math.log(1.25)), float(peaks[0]), float(peaks[1])


def check_peak_moves(answer: Any, *, seed: int = 0) -> bool:
    """Exercise ``ex-02-hypothesis``: does label noise move the random-features peak away from N = n?

    The check reruns the experiment (n = 100, noise 0 and 0.4) and compares the two peak locations.
    """
    selfcheck.answered("peak_moves", answer)
    moves, p0, p1 = _peak_moves(_seed("seed", seed))
    why = (
        f"the peak sits at N = {p0:g} without noise and N = {p1:g} with 40% noise. "
        + ("It moved." if moves else "Noise scales the variance term, whose blow-up is set by the smallest singular value of the "
           "n × N feature matrix, which is near 0 at N ≈ n whatever the labels are: the peak grows but stays at N ≈ n.")
    )
    return selfcheck.boolean("peak_moves", answer, moves, why=why)
