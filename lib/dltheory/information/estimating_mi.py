"""Chapter 5, §5.1 ``01-estimating-mi``: estimating mutual information.

Mutual information of correlated Gaussians by binning, by the Kraskov-Stögbauer-Grassberger (KSG)
estimator and by InfoNCE (Kraskov et al. 2004; Oord et al. 2018; Poole et al. 2019; McAllester and
Stratos 2020). The InfoNCE critic is the small network of :mod:`dltheory.information.models`.

Entropies are computed in float64 (numpy). Everything is a pure function of its arguments and of
explicit seeds.
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
from dltheory.information import models

__all__ = [
    "gaussian_pairs",
    "binned_mi",
    "plugin_bias_cells",
    "ksg_mi",
    "EstimatorConfig",
    "estimator_sweep",
    "estimate_errors",
    "InfoNCEConfig",
    "infonce_sweep",
    "check_plugin_bias",
    "check_plugin_spread",
]


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


def plugin_bias_cells(bins: int, n: int) -> float:
    """Expected plug-in MI (nats) of two independent variables binned into ``bins`` equal-count cells each, from
    ``n`` samples, with every joint cell's count taken as Poisson with mean ``λ = n / bins²`` (Section 5.1).

    Equal-count bins make both marginal entropies exactly ``log B``, and ``E[Ĥ(X,Y)] = log n - E[K log K] / λ``,
    so ``E[Î] = (E[K log K] - λ log λ) / λ``. For ``λ >> 1`` this is ``B² / (2n)``, the first-order law of
    Miller and Paninski (2003) with ``B²`` cells in place of its ``(B - 1)²`` degrees of freedom (the Poisson
    cells ignore the fixed margins), so it is meant for many bins; for ``λ << 1`` (most cells empty) it
    saturates at ``log(B² / n)``, every sample in a cell of its own.
    """
    bins = validate.integer("bins", bins, low=2)
    n = validate.integer("n", n, low=1)
    lam = n / bins**2
    if lam > 1e6:                                   # E[K log K] = λ log λ + 1/2 + O(1/λ)
        return 1 / (2 * lam)
    spread = 12 * math.sqrt(lam) + 40               # the Poisson mass beyond it is below 1e-30
    k = np.arange(max(0, int(lam - spread)), int(lam + spread), dtype=np.float64)
    pmf = np.exp(special.xlogy(k, lam) - lam - special.gammaln(k + 1))
    excess = special.xlogy(k, k) - special.xlogy(lam, lam)      # centred, so no cancellation at large λ
    return float(np.sum(pmf * excess) / np.sum(pmf) / lam)


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

    rhos: tuple[float, ...] = validate.field((0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95), validate.reals, low=-1.0, high=1.0,
                                             low_open=True, high_open=True)
    n: int = validate.field(2000, validate.integer, low=10)
    bins: tuple[int, ...] = validate.field((8, 30, 100), validate.integers, low=2)
    k: int = validate.field(3, validate.integer, low=1)
    n_seeds: int = validate.field(5, validate.integer, low=1)

    def check(self) -> None:
        validate.integer("k", self.k, low=1, high=self.n - 1)

    @classmethod
    def fast(cls) -> EstimatorConfig:
        return cls()

    @classmethod
    def full(cls) -> EstimatorConfig:
        return cls(n=20000, n_seeds=20)

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, SciPy's k-d trees): per seed and correlation, the KSG estimate (three tree
        queries, about ``200·k·n·log₂n``) and two binned estimates per number of bins."""
        log_n = math.log2(self.n)
        per_pair = 200.0 * self.k * self.n * log_n + len(self.bins) * 2 * (20.0 * self.n * log_n + 10.0 * max(self.bins) ** 2)
        return runtime.Cost(host_flops=self.n_seeds * len(self.rhos) * per_pair, bytes=8.0 * 20 * self.n)

    def paper_scale(self) -> str:
        """A benchmark with a closed-form answer."""
        return (f"Gaussians with a closed-form mutual information, no paper's size to match: {len(self.rhos)} "
                f"correlations, n = {self.n:,} samples, {self.n_seeds} seeds, KSG with k = {self.k}")


def estimator_sweep(cfg: EstimatorConfig, seeds: list[int]) -> dict[str, Any]:
    """Section 5.1: binned (equal-width and equal-count) and KSG estimates over ``cfg.rhos`` for each seed.

    Returns ``{"rho", "binned_width", "binned_quantile", "ksg", "seeds", "config"}`` with arrays of
    shape ``(n_seeds, n_bins, n_rhos)`` for the binned estimates and ``(n_seeds, n_rhos)`` for KSG.
    """
    if not isinstance(cfg, EstimatorConfig):
        raise ValueError(f"cfg must be an EstimatorConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
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


def estimate_errors(cfg: EstimatorConfig, seeds: list[int], *, n: int | None = None,
                    bins: int | None = None) -> np.ndarray:
    """Section 5.1: an estimator's error ``Î - I`` on the pairs of :func:`estimator_sweep`, shape ``(n_seeds, n_rhos)``.

    ``n`` samples per pair (default ``cfg.n``); KSG with ``cfg.k`` neighbours when ``bins`` is ``None``, else
    equal-width binning with ``bins`` bins. One estimator only, so many seeds are cheap; with the defaults
    the values are ``estimator_sweep(cfg, seeds)["ksg"]`` minus the truth.
    """
    if not isinstance(cfg, EstimatorConfig):
        raise ValueError(f"cfg must be an EstimatorConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    n = cfg.n if n is None else validate.integer("n", n, low=10)
    bins = None if bins is None else validate.integer("bins", bins, low=2)

    def estimate(x: np.ndarray, y: np.ndarray) -> float:
        return ksg_mi(x, y, cfg.k) if bins is None else binned_mi(x, y, bins, scheme="width")

    truth = -0.5 * np.log1p(-np.array(cfg.rhos) ** 2)
    est = np.array([[estimate(*gaussian_pairs(s * 1000 + j, n, rho)) for j, rho in enumerate(cfg.rhos)]
                    for s in seeds])
    return est - truth


@dataclasses.dataclass(frozen=True)
class InfoNCEConfig(runtime.ModeConfig):
    """Section 5.1: the InfoNCE critic (separable MLPs), its batch size and training budget."""

    dim: int = validate.field(5, validate.integer, low=1)
    rhos: tuple[float, ...] = validate.field((0.2, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99), validate.reals, low=-1.0, high=1.0,
                                             low_open=True, high_open=True)
    batch: int = validate.field(64, validate.integer, low=2)
    width: int = validate.field(64, validate.integer, low=1)
    embed: int = validate.field(16, validate.integer, low=1)
    steps: int = validate.field(1500, validate.multiple, low=10, of=10)
    lr: float = validate.field(2e-3, validate.real, low=0.0, low_open=True)
    eval_batches: int = validate.field(20, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> InfoNCEConfig:
        return cls()

    @classmethod
    def full(cls) -> InfoNCEConfig:
        return cls(steps=10000, n_seeds=5, eval_batches=100)

    def cost(self) -> runtime.Cost:
        """Every correlation and seed trained in one program: two critic MLPs (``dim → width → embed``) and the
        ``batch × batch`` score matrix a step, then ``eval_batches`` evaluation batches."""
        params = 2.0 * (self.dim * self.width + self.width * self.embed)
        runs = len(self.rhos) * self.n_seeds
        step = 6.0 * (params * self.batch + self.batch**2 * self.embed)
        steps = self.steps + self.eval_batches
        return runtime.Cost(flops=step * steps * runs, bytes=4.0 * runs * (4 * params + self.batch * self.batch),
                            steps=steps)

    def paper_scale(self) -> str:
        """A benchmark with a closed-form answer."""
        return (f"the Gaussian benchmark of the InfoNCE literature, no paper's size to match: dimension {self.dim}, "
                f"batch {self.batch} (the bound cannot exceed log {self.batch} nats), {self.steps:,} steps, "
                f"{self.n_seeds} seeds")


def _infonce(params: dict[str, Any], x: jax.Array, y: jax.Array) -> jax.Array:
    """The InfoNCE lower bound on one batch: mean of ``log B + f(x_i,y_i) - logsumexp_j f(x_i,y_j)``."""
    scores = models.mlp(params["g"], x) @ models.mlp(params["h"], y).T
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
    seeds = list(validate.seeds(seeds))
    sizes = [cfg.dim, cfg.width, cfg.width, cfg.embed]

    def sample(key: jax.Array, rho: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
        kx, kn = jax.random.split(key)
        x = jax.random.normal(kx, (n, cfg.dim))
        return x, rho * x + jnp.sqrt(1 - rho**2) * jax.random.normal(kn, (n, cfg.dim))

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> dict[str, Any]:
        kg, kh = jax.random.split(key)
        return {"g": models.mlp_init(kg, sizes), "h": models.mlp_init(kh, sizes)}

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
                       hint="expand H(X)+H(Y)-H(X,Y) to first order; "
                            "each plug-in entropy is biased by -(cells-1)/(2n).")


def check_plugin_spread(spread_formula: Any, n: int = 2000) -> None:
    """Exercise check (§5.1): the seed-to-seed standard deviation of the plug-in MI at independence.

    ``spread_formula(bins, n)`` must return the standard deviation (nats) of the plug-in MI of two independent
    variables binned into ``bins`` equal-count cells each from ``n`` samples, to leading order. The reference is
    the standard deviation of 200 simulated draws (its own error about 5%), not typed in.
    """
    selfcheck.answered("spread_formula", spread_formula)
    n = validate.integer("n", n, low=100)

    def measured(bins: int, n_: int) -> float:
        rng = np.random.default_rng(100 + bins)
        vals = [binned_mi(rng.standard_normal(n_), rng.standard_normal(n_), bins, scheme="quantile")
                for _ in range(200)]
        return float(np.std(vals, ddof=1))

    selfcheck.function("spread_formula", spread_formula, measured, [(4, n), (8, n)], rtol=0.15, atol=0.0,
                       hint="2n times the plug-in MI is Pearson's chi-square statistic of the independence test; "
                            "a chi-square variable with k degrees of freedom has variance 2k.")
