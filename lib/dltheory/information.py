"""Chapter 5, information-theoretic learning: estimators, bottlenecks, code lengths and bounds.

Each section of ``chapters/05-information-theory`` calls one experiment of this module:

* §5.1 ``01-estimating-mi``: mutual information of correlated Gaussians by binning, by the
  Kraskov-Stögbauer-Grassberger (KSG) estimator and by InfoNCE (Kraskov et al. 2004;
  Oord et al. 2018; Poole et al. 2019; McAllester and Stratos 2020).
* §5.2 ``02-information-plane``: the 12-bit task of Shwartz-Ziv and Tishby (2017), tanh against
  ReLU networks, binned information planes (Saxe et al. 2018). See :mod:`dltheory.information_plane`.
* §5.3 ``03-gaussian-bottleneck``: the Gaussian information bottleneck (Chechik et al. 2005).
* §5.4 ``04-description-length``: prequential code lengths (Blier and Ollivier 2018).
  See :mod:`dltheory.information_codes`.
* §5.5 ``05-pac-bayes``: PAC-Bayes and compression bounds (Dziugaite and Roy 2017).
  See :mod:`dltheory.information_codes`.
* §5.6 ``06-coding-rate``: maximal coding rate reduction (Yu et al. 2020).

Probabilities that multiply are handled in log space and in float64 (numpy); log-determinants
use ``slogdet``. Everything is a pure function of its arguments and of explicit seeds.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from scipy import special
from scipy.spatial import cKDTree

from dltheory import runtime, selfcheck, train, validate

__all__ = [
    "gaussian_pairs",
    "binned_mi",
    "ksg_mi",
    "EstimatorConfig",
    "estimator_sweep",
    "InfoNCEConfig",
    "infonce_sweep",
    "GaussianIBProblem",
    "gaussian_ib_problem",
    "ib_optimal_snr",
    "ib_curve",
    "IBConfig",
    "learn_linear_ib",
    "coding_rate",
    "coding_rate_classes",
    "rate_reduction",
    "rate_reduction_max",
    "subspace_mixture",
    "principal_angles",
    "MCR2Config",
    "learn_mcr2",
    "check_plugin_bias",
    "check_ib_snr",
]


# --------------------------------------------------------------------------------------------
# §5.1 Estimating mutual information
# --------------------------------------------------------------------------------------------


def gaussian_pairs(seed: int, n: int, rho: float, dim: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples of ``(X, Y)`` in ``R^dim × R^dim``: ``dim`` independent pairs with correlation ``rho``.

    Section 5.1. The true mutual information is ``-dim/2 · log(1 - rho²)`` nats (derived on the page).
    """
    seed = validate.integer("seed", seed, low=0)
    n = validate.integer("n", n, low=2)
    rho = validate.real("rho", rho, low=-1.0, high=1.0, low_open=True, high_open=True)
    dim = validate.integer("dim", dim, low=1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + math.sqrt(1.0 - rho * rho) * rng.standard_normal((n, dim))
    return x, y


def _entropy_of_labels(codes: np.ndarray) -> float:
    """Plug-in entropy (nats) of the rows of an integer array."""
    _, counts = np.unique(codes, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def _bin_codes(v: np.ndarray, bins: int, scheme: str) -> np.ndarray:
    if scheme == "quantile":
        ranks = np.argsort(np.argsort(v, axis=0), axis=0)
        return (ranks * bins) // v.shape[0]
    lo, hi = v.min(axis=0), v.max(axis=0)
    width = np.where(hi > lo, (hi - lo) / bins, 1.0)
    return np.clip(((v - lo) / width).astype(np.int64), 0, bins - 1)


def binned_mi(x: Any, y: Any, bins: int, *, scheme: str = "width") -> float:
    """Plug-in mutual information (nats) after binning every coordinate of ``x`` and ``y`` into ``bins`` cells.

    Section 5.1. ``scheme="width"``: equal-width bins between each coordinate's min and max (the
    estimator of Shwartz-Ziv and Tishby 2017); ``"quantile"``: equal-count bins. The estimate is
    ``H(bx) + H(by) - H(bx, by)`` of the empirical cell frequencies.
    """
    x = validate.array("x", x, ndim=(1, 2))
    y = validate.array("y", y, ndim=(1, 2))
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    bins = validate.integer("bins", bins, low=2)
    scheme = validate.choice("scheme", scheme, ("width", "quantile"))
    bx, by = _bin_codes(x, bins, scheme), _bin_codes(y, bins, scheme)
    return _entropy_of_labels(bx) + _entropy_of_labels(by) - _entropy_of_labels(np.hstack([bx, by]))


def ksg_mi(x: Any, y: Any, k: int = 3) -> float:
    """The Kraskov-Stögbauer-Grassberger estimator (their algorithm 1) of I(X;Y), in nats.

    Section 5.1; Kraskov, Stögbauer and Grassberger (2004). With the max-norm, ``ε_i`` is the
    distance from sample ``i`` to its ``k``-th neighbour in the joint space, ``n_x(i)`` and
    ``n_y(i)`` count the samples strictly closer than ``ε_i`` in each marginal, and
    ``Î = ψ(k) + ψ(N) - ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩``.
    """
    x = validate.array("x", x, ndim=(1, 2))
    y = validate.array("y", y, ndim=(1, 2))
    x, y = x.reshape(len(x), -1), y.reshape(len(y), -1)
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of samples, got {len(x)} and {len(y)}")
    n = len(x)
    k = validate.integer("k", k, low=1, high=n - 1)
    joint = np.hstack([x, y])
    dist, _ = cKDTree(joint).query(joint, k=k + 1, p=np.inf)
    eps = np.nextafter(dist[:, -1], 0)  # strictly closer than the k-th neighbour
    n_x = cKDTree(x).query_ball_point(x, eps, p=np.inf, return_length=True) - 1
    n_y = cKDTree(y).query_ball_point(y, eps, p=np.inf, return_length=True) - 1
    return float(special.digamma(k) + special.digamma(n) - np.mean(special.digamma(n_x + 1) + special.digamma(n_y + 1)))


@dataclasses.dataclass(frozen=True)
class EstimatorConfig(runtime.ModeConfig):
    """Section 5.1: correlations, sample size, bin counts and KSG's ``k`` for the estimator sweep."""

    rhos: tuple[float, ...] = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
    n: int = 2000
    bins: tuple[int, ...] = (8, 30, 100)
    k: int = 3
    n_seeds: int = 5

    def check(self) -> None:
        for r in self.rhos:
            validate.real("rhos[i]", r, low=-1.0, high=1.0, low_open=True, high_open=True)
        validate.integer("n", self.n, low=10)
        for b in self.bins:
            validate.integer("bins[i]", b, low=2)
        validate.integer("k", self.k, low=1, high=self.n - 1)
        validate.integer("n_seeds", self.n_seeds, low=1)

    @classmethod
    def fast(cls) -> EstimatorConfig:
        return cls()

    @classmethod
    def full(cls) -> EstimatorConfig:
        return cls(n=20000, n_seeds=20)


def estimator_sweep(cfg: EstimatorConfig, seeds: list[int]) -> dict[str, Any]:
    """Section 5.1: binned (equal-width and equal-count) and KSG estimates over ``cfg.rhos`` for each seed.

    Returns ``{"rho", "binned_width", "binned_quantile", "ksg", "seeds", "config"}`` with arrays of
    shape ``(n_seeds, n_bins, n_rhos)`` for the binned estimates and ``(n_seeds, n_rhos)`` for KSG.
    """
    if not isinstance(cfg, EstimatorConfig):
        raise ValueError(f"cfg must be an EstimatorConfig, got {type(cfg).__name__}")
    seeds = [validate.integer("seeds[i]", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty list of integers")
    width = np.zeros((len(seeds), len(cfg.bins), len(cfg.rhos)))
    quant = np.zeros_like(width)
    ksg = np.zeros((len(seeds), len(cfg.rhos)))
    for i, s in enumerate(seeds):
        for j, rho in enumerate(cfg.rhos):
            x, y = gaussian_pairs(s * 1000 + j, cfg.n, rho)
            ksg[i, j] = ksg_mi(x, y, cfg.k)
            for b, bins in enumerate(cfg.bins):
                width[i, b, j] = binned_mi(x, y, bins, scheme="width")
                quant[i, b, j] = binned_mi(x, y, bins, scheme="quantile")
    return {"rho": np.array(cfg.rhos), "binned_width": width, "binned_quantile": quant, "ksg": ksg,
            "seeds": tuple(seeds), "config": cfg}


@dataclasses.dataclass(frozen=True)
class InfoNCEConfig(runtime.ModeConfig):
    """Section 5.1: the InfoNCE critic (separable MLPs), its batch size and training budget."""

    dim: int = 5
    rhos: tuple[float, ...] = (0.2, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
    batch: int = 64
    width: int = 64
    embed: int = 16
    steps: int = 1500
    lr: float = 2e-3
    eval_batches: int = 20
    n_seeds: int = 3

    def check(self) -> None:
        validate.integer("dim", self.dim, low=1)
        for r in self.rhos:
            validate.real("rhos[i]", r, low=-1.0, high=1.0, low_open=True, high_open=True)
        validate.integer("batch", self.batch, low=2)
        validate.integer("width", self.width, low=1)
        validate.integer("embed", self.embed, low=1)
        validate.integer("steps", self.steps, low=10)
        if self.steps % 10:
            raise ValueError(f"steps must be a multiple of 10, got {self.steps}")
        validate.real("lr", self.lr, low=0.0, low_open=True)
        validate.integer("eval_batches", self.eval_batches, low=1)
        validate.integer("n_seeds", self.n_seeds, low=1)

    @classmethod
    def fast(cls) -> InfoNCEConfig:
        return cls()

    @classmethod
    def full(cls) -> InfoNCEConfig:
        return cls(steps=10000, n_seeds=5, eval_batches=100)


def _mlp(params: list[dict[str, jax.Array]], x: jax.Array) -> jax.Array:
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


def _mlp_init(key: jax.Array, sizes: list[int]) -> list[dict[str, jax.Array]]:
    keys = jax.random.split(key, len(sizes) - 1)
    return [{"w": jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / a), "b": jnp.zeros(b)}
            for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def _infonce(params: dict[str, Any], x: jax.Array, y: jax.Array) -> jax.Array:
    """The InfoNCE lower bound on one batch: mean of ``log B + f(x_i,y_i) - logsumexp_j f(x_i,y_j)``."""
    scores = _mlp(params["g"], x) @ _mlp(params["h"], y).T
    return jnp.log(x.shape[0]) + jnp.mean(jnp.diag(scores) - jax.nn.logsumexp(scores, axis=1))


def infonce_sweep(cfg: InfoNCEConfig, seeds: list[int]) -> dict[str, Any]:
    """Section 5.1: train an InfoNCE critic for each correlation in ``cfg.rhos`` and seed; estimate I(X;Y).

    Oord et al. (2018); Poole et al. (2019). The critic is ``f(x, y) = g(x)·h(y)`` with two ReLU
    MLPs, trained by Adam on fresh batches of ``cfg.batch`` pairs (one compiled program for all
    correlations and seeds via :func:`dltheory.train.train`). The estimate is the InfoNCE bound
    averaged over ``cfg.eval_batches`` fresh batches; it can never exceed ``log(cfg.batch)``.
    Returns ``{"rho", "truth", "estimate" (n_seeds, n_rhos), "cap", "history", "config"}``.
    """
    if not isinstance(cfg, InfoNCEConfig):
        raise ValueError(f"cfg must be an InfoNCEConfig, got {type(cfg).__name__}")
    seeds = [validate.integer("seeds[i]", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty list of integers")
    sizes = [cfg.dim, cfg.width, cfg.width, cfg.embed]

    def sample(key: jax.Array, rho: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
        kx, kn = jax.random.split(key)
        x = jax.random.normal(kx, (n, cfg.dim))
        return x, rho * x + jnp.sqrt(1 - rho**2) * jax.random.normal(kn, (n, cfg.dim))

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> dict[str, Any]:
        kg, kh = jax.random.split(key)
        return {"g": _mlp_init(kg, sizes), "h": _mlp_init(kh, sizes)}

    def batch(key: jax.Array, data: Any) -> jax.Array:
        return key

    def loss(params: dict[str, Any], key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        return -_infonce(params, *sample(key, hp["rho"], cfg.batch))

    def evaluate(params: dict[str, Any], hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        keys = jax.random.split(jax.random.key(2**30), cfg.eval_batches)
        vals = jax.vmap(lambda k: _infonce(params, *sample(k, hp["rho"], cfg.batch)))(keys)
        return {"infonce": vals.mean()}

    hist = train.train(init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps // 10,
                       seeds=seeds, data=jnp.zeros(()), batch=batch, evaluate=evaluate,
                       hparams={"rho": np.array(cfg.rhos)}, desc="InfoNCE critics")
    rho = np.array(cfg.rhos)
    return {"rho": rho, "truth": -0.5 * cfg.dim * np.log1p(-rho**2), "estimate": hist.final("infonce"),
            "cap": math.log(cfg.batch), "history": hist, "config": cfg}


def check_plugin_bias(bias_formula: Any, n: int = 2000) -> None:
    """Exercise check (§5.1): the student's first-order bias of the binned estimator at independence.

    ``bias_formula(bins, n)`` must return the expected plug-in MI (nats) for two independent variables
    binned into ``bins`` equal-count cells each from ``n`` samples, to first order in ``1/n``. The
    reference is measured by simulation here, not typed in.
    """
    selfcheck.answered("bias_formula", bias_formula)
    n = validate.integer("n", n, low=100)

    def measured(bins: int, n_: int) -> float:
        rng = np.random.default_rng(bins)
        vals = [binned_mi(rng.standard_normal(n_), rng.standard_normal(n_), bins, scheme="quantile") for _ in range(40)]
        return float(np.mean(vals))

    selfcheck.function("bias_formula", bias_formula, measured, [(4, n), (8, n), (16, n)], rtol=0.15, atol=2e-3,
                       hint="expand H(X)+H(Y)-H(X,Y) to first order; each plug-in entropy is biased by -(cells-1)/(2n).")


# --------------------------------------------------------------------------------------------
# §5.3 The Gaussian information bottleneck
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GaussianIBProblem:
    """A jointly Gaussian pair (X, Y): ``cov_x``, ``cov_x_given_y`` and the eigen-structure of Chechik et al.

    ``lambdas`` are the eigenvalues of ``Σ_{x|y} Σ_x^{-1}`` in increasing order (each in [0, 1]);
    ``critical_betas = 1 / (1 - lambdas)``.
    """

    cov_x: np.ndarray
    cov_x_given_y: np.ndarray
    lambdas: np.ndarray

    @property
    def critical_betas(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return 1.0 / (1.0 - self.lambdas)


def gaussian_ib_problem(seed: int, dx: int = 4, dy: int = 4, coupling: float = 1.0) -> GaussianIBProblem:
    """Section 5.3: a random jointly Gaussian (X, Y) with ``Y = B X + noise``; ``coupling`` scales B.

    Chechik, Globerson, Tishby and Weiss (2005). Computed in float64.
    """
    seed = validate.integer("seed", seed, low=0)
    dx = validate.integer("dx", dx, low=1, high=64)
    dy = validate.integer("dy", dy, low=1, high=64)
    coupling = validate.real("coupling", coupling, low=0.0, low_open=True)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((dx, dx))
    cov_x = a @ a.T / dx + 0.5 * np.eye(dx)
    b = coupling * rng.standard_normal((dy, dx)) / math.sqrt(dx)
    cov_y = b @ cov_x @ b.T + np.eye(dy)
    cov_xy = cov_x @ b.T
    cov_x_given_y = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    cov_x_given_y = (cov_x_given_y + cov_x_given_y.T) / 2
    lambdas = np.sort(np.linalg.eigvals(cov_x_given_y @ np.linalg.inv(cov_x)).real)
    return GaussianIBProblem(cov_x, cov_x_given_y, np.clip(lambdas, 0.0, 1.0))


def ib_optimal_snr(snr_formula: Any, lambdas: Any, beta: float) -> np.ndarray:
    """Section 5.3: the optimal signal-to-noise ratio of each eigen-direction, ``max(0, s*(β, λ_i))``.

    ``snr_formula(beta, lam)`` is the stationary point derived with sympy on the page
    (``(β(1-λ) - 1)/λ``); directions below their critical β are switched off.
    """
    if not callable(snr_formula):
        raise ValueError("snr_formula must be a function (beta, lam) -> s")
    lam = validate.array("lambdas", lambdas, ndim=1)
    if np.any((lam <= 0) | (lam > 1)):
        raise ValueError("lambdas must lie in (0, 1]")
    beta = validate.real("beta", beta, low=0.0)
    return np.maximum(0.0, np.asarray(snr_formula(beta, lam), dtype=float))


def ib_curve(snr_formula: Any, lambdas: Any, betas: Any) -> dict[str, np.ndarray]:
    """Section 5.3: the optimal IB curve (I(T;X), I(T;Y)) in nats at each β, from the per-direction optimum.

    With SNR ``s_i`` in direction ``i``: ``I(T;X) = ½ Σ log(1 + s_i)``,
    ``I(T;Y) = ½ Σ [log(1 + s_i) - log(1 + λ_i s_i)]``.
    """
    betas = validate.array("betas", betas, ndim=1, nonnegative=True)
    lam = validate.array("lambdas", lambdas, ndim=1)
    s = np.stack([ib_optimal_snr(snr_formula, lam, b) for b in betas])
    i_x = 0.5 * np.log1p(s).sum(axis=1)
    i_y = i_x - 0.5 * np.log1p(lam * s).sum(axis=1)
    return {"beta": betas, "i_x": i_x, "i_y": i_y, "snr": s}


def _check_training(steps: int, lr: float, n_seeds: int) -> None:
    """The training budget shared by the chapter's configs: steps (a multiple of 100), lr > 0, seeds."""
    validate.integer("steps", steps, low=100)
    if steps % 100:
        raise ValueError(f"steps must be a multiple of 100, got {steps}")
    validate.real("lr", lr, low=0.0, low_open=True)
    validate.integer("n_seeds", n_seeds, low=1)


@dataclasses.dataclass(frozen=True)
class IBConfig(runtime.ModeConfig):
    """Section 5.3: the problem size, the β grid and the optimiser of the learned linear encoder."""

    dx: int = 4
    dy: int = 4
    betas: tuple[float, ...] = (1.5, 2.0, 3.0, 5.0, 8.0, 15.0, 30.0)
    steps: int = 4000
    lr: float = 1e-2
    n_seeds: int = 3

    def check(self) -> None:
        validate.integer("dx", self.dx, low=1, high=64)
        validate.integer("dy", self.dy, low=1, high=64)
        for b in self.betas:
            validate.real("betas[i]", b, low=1.0)
        _check_training(self.steps, self.lr, self.n_seeds)

    @classmethod
    def fast(cls) -> IBConfig:
        return cls()

    @classmethod
    def full(cls) -> IBConfig:
        return cls(dx=8, dy=5, steps=20000, n_seeds=10)


def _gauss_info(a: jax.Array, cov_x: jax.Array, cov_xy: jax.Array) -> tuple[jax.Array, jax.Array]:
    """``I(T;X)`` and ``I(T;X|Y)`` of ``T = A X + ξ``, ``ξ ~ N(0, I)``, via ``slogdet`` (nats)."""
    eye = jnp.eye(a.shape[0])
    i_x = 0.5 * jnp.linalg.slogdet(eye + a @ cov_x @ a.T)[1]
    i_x_given_y = 0.5 * jnp.linalg.slogdet(eye + a @ cov_xy @ a.T)[1]
    return i_x, i_x_given_y


def learn_linear_ib(problem: GaussianIBProblem, cfg: IBConfig, seeds: list[int]) -> dict[str, Any]:
    """Section 5.3: minimise the IB Lagrangian ``I(T;X) - β I(T;Y)`` over linear encoders ``T = A X + ξ``.

    Chechik et al. (2005). One compiled program trains every (seed, β) with Adam from a random
    ``A``; returns the learned ``i_x``, ``i_y`` and Lagrangian, each of shape ``(n_seeds, n_betas)``, and
    ``snr`` ``(n_seeds, n_betas, d)``: the eigenvalues of ``A Σ_x Aᵀ`` in decreasing order, which are the
    signal-to-noise ratios of the encoder's directions (invariant to rotations of T).
    """
    if not isinstance(problem, GaussianIBProblem):
        raise ValueError(f"problem must be a GaussianIBProblem, got {type(problem).__name__}")
    if not isinstance(cfg, IBConfig):
        raise ValueError(f"cfg must be an IBConfig, got {type(cfg).__name__}")
    seeds = [validate.integer("seeds[i]", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty list of integers")
    d = problem.cov_x.shape[0]
    data = (jnp.asarray(problem.cov_x, jnp.float32), jnp.asarray(problem.cov_x_given_y, jnp.float32))

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        return jax.random.normal(key, (d, d)) / math.sqrt(d)

    def lagrangian(a: jax.Array, covs: Any, hp: dict[str, jax.Array]) -> jax.Array:
        i_x, i_xy = _gauss_info(a, *covs)
        return i_x - hp["beta"] * (i_x - i_xy)

    def evaluate(a: jax.Array, hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        i_x, i_xy = _gauss_info(a, *data)
        return {"i_x": i_x, "i_y": i_x - i_xy}

    hist = train.train(init, lagrangian, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps // 20,
                       seeds=seeds, data=data, evaluate=evaluate, hparams={"beta": np.array(cfg.betas)},
                       desc="IB encoders")
    i_x, i_y = hist.final("i_x"), hist.final("i_y")
    enc = np.asarray(hist.params, dtype=np.float64)  # (n_seeds, n_betas, d, d)
    snr = np.linalg.eigvalsh(enc @ problem.cov_x @ np.swapaxes(enc, -1, -2))[..., ::-1]
    return {"beta": np.array(cfg.betas), "i_x": i_x, "i_y": i_y, "lagrangian": i_x - np.array(cfg.betas) * i_y,
            "snr": snr, "encoders": enc, "history": hist, "config": cfg}


def check_ib_snr(snr_formula: Any) -> None:
    """Exercise check (§5.3): the stationary SNR ``s(β, λ)`` of one eigen-direction of the Gaussian IB.

    The reference is found numerically here: the minimiser over ``s ≥ 0`` of
    ``½ log(1+s) - β·½[log(1+s) - log(1+λs)]`` on a fine grid.
    """
    selfcheck.answered("snr_formula", snr_formula)
    grid = np.linspace(0.0, 200.0, 400001)

    def numeric(beta: float, lam: float) -> float:
        obj = 0.5 * np.log1p(grid) - beta * 0.5 * (np.log1p(grid) - np.log1p(lam * grid))
        return float(grid[np.argmin(obj)])

    cases = [(3.0, 0.3), (5.0, 0.5), (10.0, 0.2), (2.0, 0.4)]
    selfcheck.function("snr_formula", lambda b, l: max(0.0, float(snr_formula(b, l))), numeric, cases, rtol=2e-3,
                       atol=2e-3, hint="set the derivative of the per-direction Lagrangian in s to zero.")


# --------------------------------------------------------------------------------------------
# §5.6 Coding rate reduction
# --------------------------------------------------------------------------------------------


def _check_features(z: Any) -> jax.Array:
    if isinstance(z, jax.Array):
        if z.ndim != 2:
            raise ValueError(f"z must have shape (m, d), got {z.shape}")
        return z
    return jnp.asarray(validate.array("z", z, ndim=2))


def _rate_scale(d: int, m: float, eps2: float) -> float:
    """``d/(m ε²)``, refused when it does not fit a float32 (tiny ε² would turn 0·inf into NaN)."""
    scale = d / (m * eps2)
    if not scale < float(np.finfo(np.float32).max):
        raise ValueError(f"eps2 = {eps2:g} is too small: the scale d/(m·eps2) overflows float32")
    return scale


def _check_gram(gram: jax.Array) -> None:
    """Outside jit, refuse features whose scaled Gram matrix overflowed (inside jit there is nothing to check)."""
    if not isinstance(gram, jax.core.Tracer) and not bool(jnp.all(jnp.isfinite(gram))):
        raise ValueError("z is too large: its scaled Gram matrix d/(m·eps2)·zᵀz overflows float32; rescale the features")


def coding_rate(z: Any, eps2: float) -> jax.Array:
    """Section 5.6: ``R(Z, ε) = ½ logdet(I + d/(m ε²) ZᵀZ)`` for features ``z`` of shape ``(m, d)`` (rows = samples).

    Yu, Chan, You, Song and Ma (2020), eq. (5); ``eps2`` is ε². Uses ``slogdet`` of the ``d × d`` Gram matrix.
    """
    z = _check_features(z)
    eps2 = validate.real("eps2", eps2, low=0.0, low_open=True)
    m, d = z.shape
    gram = _rate_scale(d, m, eps2) * z.T @ z
    _check_gram(gram)
    return 0.5 * jnp.linalg.slogdet(jnp.eye(d) + gram)[1]


def coding_rate_classes(z: Any, labels: Any, eps2: float, n_classes: int) -> jax.Array:
    """Section 5.6: ``R_c = Σ_j m_j/(2m) logdet(I + d/(m_j ε²) Z_jᵀZ_j)`` with one-hot memberships.

    Yu et al. (2020), eq. (8). ``labels`` are integers in ``[0, n_classes)``; empty classes add nothing.
    """
    z = _check_features(z)
    eps2 = validate.real("eps2", eps2, low=0.0, low_open=True)
    n_classes = validate.integer("n_classes", n_classes, low=1)
    labels = jnp.asarray(labels)
    if labels.shape != (z.shape[0],):
        raise ValueError(f"labels must have shape ({z.shape[0]},), got {labels.shape}")
    m, d = z.shape
    _check_gram(_rate_scale(d, 1, eps2) * z.T @ z)  # bounds every class's Gram at its largest scale, d/(1·ε²)
    pi = jax.nn.one_hot(labels, n_classes, dtype=z.dtype)  # (m, k)
    m_j = pi.sum(axis=0)

    def one(p: jax.Array, mj: jax.Array) -> jax.Array:
        gram = (z * p[:, None]).T @ z
        scale = d / (jnp.maximum(mj, 1.0) * eps2)
        return mj / (2 * m) * jnp.linalg.slogdet(jnp.eye(d) + scale * gram)[1]

    return jax.vmap(one, in_axes=(1, 0))(pi, m_j).sum()


def rate_reduction(z: Any, labels: Any, eps2: float, n_classes: int) -> jax.Array:
    """Section 5.6: ``ΔR = R(Z, ε) - R_c(Z, ε | Π)`` (Yu et al. 2020, eq. 11)."""
    return coding_rate(z, eps2) - coding_rate_classes(z, labels, eps2, n_classes)


def rate_reduction_max(counts: Any, dims: Any, d: int, eps2: float) -> float:
    """Section 5.6: ΔR of features that put class ``j`` (``counts[j]`` samples) isotropically on its own
    ``dims[j]``-dimensional subspace, the subspaces mutually orthogonal in ``R^d``.

    This is the optimum of Yu et al. (2020, Theorem 2.1) under the rank constraints ``rank Z_j ≤ dims[j]``:
    ``R = Σ_j dims_j/2 · log(1 + d m_j / (m ε² dims_j))`` and ``R_c = Σ_j m_j/(2m) dims_j log(1 + d/(ε² dims_j))``.
    """
    counts = validate.array("counts", counts, ndim=1, positive=True)
    dims = validate.array("dims", dims, ndim=1, positive=True)
    if counts.shape != dims.shape:
        raise ValueError(f"counts and dims must have the same length, got {counts.size} and {dims.size}")
    d = validate.integer("d", d, low=1)
    if dims.sum() > d:
        raise ValueError(f"the subspace dimensions sum to {dims.sum():g} > d = {d}")
    eps2 = validate.real("eps2", eps2, low=0.0, low_open=True)
    m = counts.sum()
    r = 0.5 * np.sum(dims * np.log1p(d * counts / (m * eps2 * dims)))
    r_c = np.sum(counts / (2 * m) * dims * np.log1p(d / (eps2 * dims)))
    return float(r - r_c)


def subspace_mixture(seed: int, n_per_class: int, n_classes: int, ambient: int, sub_dim: int,
                     overlap: float = 0.5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Section 5.6: samples from ``n_classes`` Gaussian clouds on ``sub_dim``-dimensional subspaces of ``R^ambient``.

    Class ``j`` spans ``U_j = orth(√overlap·S + √(1-overlap)·G_j)``: a shared random part ``S`` makes
    the subspaces far from orthogonal. Returns ``(x (m, ambient), labels (m,), bases (k, ambient, sub_dim))``.
    """
    seed = validate.integer("seed", seed, low=0)
    n_per_class = validate.integer("n_per_class", n_per_class, low=1)
    n_classes = validate.integer("n_classes", n_classes, low=1)
    ambient = validate.integer("ambient", ambient, low=1)
    sub_dim = validate.integer("sub_dim", sub_dim, low=1, high=ambient)
    overlap = validate.real("overlap", overlap, low=0.0, high=1.0, high_open=True)
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((ambient, sub_dim))
    bases = np.stack([np.linalg.qr(math.sqrt(overlap) * shared
                                   + math.sqrt(1 - overlap) * rng.standard_normal((ambient, sub_dim)))[0]
                      for _ in range(n_classes)])
    coef = rng.standard_normal((n_classes, n_per_class, sub_dim))
    x = np.einsum("kas,kns->kna", bases, coef).reshape(-1, ambient)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    return x, labels, bases


def principal_angles(a: Any, b: Any) -> np.ndarray:
    """Section 5.6: principal angles (degrees, increasing) between the column spans of ``a`` and ``b``."""
    a = validate.array("a", a, ndim=2)
    b = validate.array("b", b, ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must live in the same space, got {a.shape[0]} and {b.shape[0]} rows")
    qa, qb = np.linalg.qr(a)[0], np.linalg.qr(b)[0]
    cos = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0)
    return np.sort(np.degrees(np.arccos(cos)))


@dataclasses.dataclass(frozen=True)
class MCR2Config(runtime.ModeConfig):
    """Section 5.6: the subspace mixture, the feature dimension, ε² and the optimiser."""

    n_classes: int = 3
    sub_dim: int = 3
    ambient: int = 30
    feature_dim: int = 9
    n_per_class: int = 200
    overlap: float = 0.5
    eps2: float = 0.5
    steps: int = 200
    lr: float = 1e-2
    n_seeds: int = 3

    def check(self) -> None:
        validate.integer("n_classes", self.n_classes, low=2)
        validate.integer("sub_dim", self.sub_dim, low=1)
        validate.integer("ambient", self.ambient, low=self.n_classes * self.sub_dim)
        validate.integer("feature_dim", self.feature_dim, low=self.n_classes * self.sub_dim)
        validate.integer("n_per_class", self.n_per_class, low=self.sub_dim)
        validate.real("overlap", self.overlap, low=0.0, high=1.0, high_open=True)
        validate.real("eps2", self.eps2, low=0.0, low_open=True)
        _check_training(self.steps, self.lr, self.n_seeds)

    @classmethod
    def fast(cls) -> MCR2Config:
        return cls()

    @classmethod
    def full(cls) -> MCR2Config:
        return cls(n_classes=4, sub_dim=5, ambient=100, feature_dim=20, n_per_class=1000, steps=10000, n_seeds=10)


def _normalise(z: jax.Array) -> jax.Array:
    return z / jnp.linalg.norm(z, axis=-1, keepdims=True)


def learn_mcr2(cfg: MCR2Config, seeds: list[int]) -> dict[str, Any]:
    """Section 5.6: learn a linear encoder ``z = normalise(W x)`` by maximising ΔR on a subspace mixture.

    Yu et al. (2020). The data are drawn once per seed (:func:`subspace_mixture`); the gradient of
    ΔR comes from ``jax.grad`` of :func:`rate_reduction`. Returns, per seed, ΔR before and after, the
    theoretical maximum :func:`rate_reduction_max`, the principal angles between the learned class
    subspaces (and between the input subspaces, the control), and the final features.
    """
    if not isinstance(cfg, MCR2Config):
        raise ValueError(f"cfg must be an MCR2Config, got {type(cfg).__name__}")
    seeds = [validate.integer("seeds[i]", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must be a non-empty list of integers")
    k = cfg.n_classes
    mixtures = [subspace_mixture(s, cfg.n_per_class, k, cfg.ambient, cfg.sub_dim, cfg.overlap) for s in seeds]
    labels = mixtures[0][1]  # the same class layout for every seed
    xs = jnp.asarray(np.stack([mix[0] for mix in mixtures]), jnp.float32)  # (n_seeds, m, ambient)

    # One compiled program for all seeds: run i trains on mixture i (hyper-parameter "run") from the
    # initialisation of seed i (hyper-parameter "seed").
    def init(key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        key = jax.random.key(hp["seed"].astype(jnp.uint32))
        return jax.random.normal(key, (cfg.ambient, cfg.feature_dim)) / math.sqrt(cfg.ambient)

    def delta_r(w: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        return rate_reduction(_normalise(xs[hp["run"].astype(jnp.int32)] @ w), labels, cfg.eps2, k)

    hist = train.train(init, lambda w, _, hp: -delta_r(w, hp), optax.adam(cfg.lr), steps=cfg.steps,
                       eval_every=cfg.steps // 20, seeds=[0], data=jnp.zeros(()),
                       evaluate=lambda w, hp: {"delta_r": delta_r(w, hp)},
                       hparams={"run": np.arange(len(seeds), dtype=float), "seed": np.array(seeds, float)},
                       desc="MCR² encoders")
    out: dict[str, list[Any]] = {"angles": [], "angles_input": [], "features": []}
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    for r, (x, _, bases) in enumerate(mixtures):
        z = np.asarray(_normalise(jnp.asarray(x @ np.asarray(hist.params)[0, r])))
        sub = [np.linalg.svd(z[labels == j], full_matrices=False)[2][: cfg.sub_dim].T for j in range(k)]
        out["angles"].append(np.array([principal_angles(sub[i], sub[j]) for i, j in pairs]))
        out["angles_input"].append(np.array([principal_angles(bases[i], bases[j]) for i, j in pairs]))
        out["features"].append(z)
    curve = hist["delta_r"][0]  # (n_seeds, n_evals)
    counts = np.full(k, cfg.n_per_class, float)
    return {
        "dr_init": curve[:, 0],
        "dr_final": curve[:, -1],
        "dr_max": rate_reduction_max(counts, np.full(k, cfg.sub_dim, float), cfg.feature_dim, cfg.eps2),
        "angles": np.array(out["angles"]),
        "angles_input": np.array(out["angles_input"]),
        "features": out["features"],
        "labels": [labels] * len(seeds),
        "steps": hist.steps,
        "curve": curve,
        "seeds": tuple(seeds),
        "config": cfg,
    }
