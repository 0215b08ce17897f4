"""Chapter 5, §5.7 ``07-estimator-limits``: the limits of mutual-information estimators.

The estimators of §5.1 on the same problems: ``dim`` independent pairs of correlated Gaussians, where the true
mutual information is ``-dim/2 · log(1 - rho²)`` nats. KSG (Kraskov et al. 2004) against its own cap
``ψ(n) - ψ(k)`` (the k-NN limit of Gao et al. 2015); two critics with the same architecture and batch size,
trained on InfoNCE (Oord et al. 2018) and on NWJ (Nguyen, Wainwright and Jordan 2010; the f-divergence bound
behind MINE, Belghazi et al. 2018), and the variance of each estimate over fresh batches (Song and Ermon 2020:
the variance of NWJ/MINE grows with ``e^I``; InfoNCE's estimate is capped above by ``log B`` but not below, so its
variance is bounded only for a bounded critic, and is small here as a measurement, not by a theorem).

Everything is a pure function of its arguments and of explicit seeds.
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

from dltheory import runtime, selfcheck, train, validate
from dltheory.information import models
from dltheory.information.estimating_mi import gaussian_pairs, ksg_mi

__all__ = ["LimitsConfig", "ksg_cap", "ksg_sweep", "infonce_batch", "nwj_batch", "critic_sweep", "check_ksg_cap"]


@dataclasses.dataclass(frozen=True)
class LimitsConfig(runtime.ModeConfig):
    """Section 5.7: the problems (dimension, correlations), KSG's sample size and the two critics' training."""

    dim: int = validate.field(5, validate.integer, low=1)
    rhos: tuple[float, ...] = validate.field((0.5, 0.7, 0.8, 0.9, 0.95), validate.reals, low=-1.0, high=1.0,
                                             low_open=True, high_open=True)
    n: int = validate.field(2000, validate.integer, low=10)
    k: int = validate.field(3, validate.integer, low=1)
    batch: int = validate.field(64, validate.integer, low=2)
    width: int = validate.field(64, validate.integer, low=1)
    embed: int = validate.field(16, validate.integer, low=1)
    steps: int = validate.field(1500, validate.multiple, low=10, of=10)
    lr: float = validate.field(2e-3, validate.real, low=0.0, low_open=True)
    clip: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    eval_batches: int = validate.field(200, validate.integer, low=2)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        validate.integer("k", self.k, low=1, high=self.n - 1)

    @classmethod
    def fast(cls) -> LimitsConfig:
        return cls()

    @classmethod
    def full(cls) -> LimitsConfig:
        return cls(n=20000, steps=10000, eval_batches=1000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Host work: KSG per seed and correlation (three k-d tree queries in ``2·dim`` dimensions, about
        ``200·k·n·log₂n`` FLOPs times the dimension). Device work: two critic sweeps (InfoNCE and NWJ), each
        training every correlation and seed in one program (two MLPs ``dim → width → embed`` and the
        ``batch × batch`` score matrix a step), then ``eval_batches`` evaluation batches."""
        pairs = self.n_seeds * len(self.rhos)
        ksg = pairs * 200.0 * self.k * self.n * math.log2(self.n) * 2 * self.dim
        params = 2.0 * (self.dim * self.width + self.width * self.embed)
        step = 6.0 * (params * self.batch + self.batch**2 * self.embed)
        steps = self.steps + self.eval_batches
        critics = runtime.Cost(flops=step * steps * pairs, bytes=4.0 * pairs * (4 * params + self.batch**2),
                               steps=steps)
        return 2 * critics + runtime.Cost(host_flops=ksg, bytes=8.0 * 2 * self.dim * self.n)

    def paper_scale(self) -> str:
        """A benchmark with a closed-form answer, at the sizes of the estimator papers' Gaussian experiments."""
        return (f"correlated Gaussians in {self.dim} dimensions with a closed-form mutual information, no paper's "
                f"run to match: KSG on n = {self.n:,} samples, critics trained {self.steps:,} steps at batch "
                f"{self.batch} (InfoNCE's cap is log {self.batch}), {len(self.rhos)} correlations, {self.n_seeds} seeds")


def ksg_cap(n: int, k: int) -> float:
    """Section 5.7: the largest value KSG (algorithm 1) can return from ``n`` samples, ``ψ(n) - ψ(k)`` nats.

    Every marginal ball around sample ``i`` contains the ``k - 1`` joint neighbours closer than the ``k``-th,
    so ``n_x, n_y ≥ k - 1`` and ``ψ(k) + ψ(n) - ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩ ≤ ψ(n) - ψ(k)``: the k-NN
    limit of Gao et al. (2015), about ``log n`` whatever the true MI.
    """
    n = validate.integer("n", n, low=2)
    k = validate.integer("k", k, low=1, high=n - 1)
    return float(special.digamma(n) - special.digamma(k))


def ksg_sweep(cfg: LimitsConfig, seeds: list[int]) -> dict[str, Any]:
    """Section 5.7: KSG on ``cfg.dim``-dimensional pairs at every correlation and seed, ``(n_seeds, n_rhos)``.

    ``"ksg_1d"`` is the null of the dimension effect: KSG at the same true MI on one-dimensional pairs
    (``rho_1 = sqrt(1 - (1 - rho²)^dim)``), the same ``n`` and ``k``, on draws of their own.
    Returns ``{"rho", "truth", "ksg", "ksg_1d", "cap", "seeds", "config"}``.
    """
    if not isinstance(cfg, LimitsConfig):
        raise ValueError(f"cfg must be a LimitsConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    est = np.array([[ksg_mi(*gaussian_pairs(s * 1000 + j, cfg.n, rho, cfg.dim), cfg.k)
                     for j, rho in enumerate(cfg.rhos)] for s in seeds])
    rho = np.array(cfg.rhos)
    rho_1d = np.sqrt(1.0 - (1.0 - rho**2) ** cfg.dim)
    est_1d = np.array([[ksg_mi(*gaussian_pairs(s * 1000 + 500 + j, cfg.n, float(r), 1), cfg.k)
                        for j, r in enumerate(rho_1d)] for s in seeds])
    return {"rho": rho, "truth": -0.5 * cfg.dim * np.log1p(-rho**2), "ksg": est, "ksg_1d": est_1d,
            "cap": ksg_cap(cfg.n, cfg.k), "seeds": tuple(seeds), "config": cfg}


def infonce_batch(scores: jax.Array) -> jax.Array:
    """InfoNCE on one batch of critic scores ``S[i, j] = f(x_i, y_j)``: ``log B + mean_i(S_ii - logsumexp_j S_ij)``.

    Oord et al. (2018); Poole et al. (2019). It is at most ``log B`` for any critic.
    """
    return jnp.log(scores.shape[0]) + jnp.mean(jnp.diag(scores) - jax.nn.logsumexp(scores, axis=1))


def nwj_batch(scores: jax.Array) -> jax.Array:
    """NWJ on one batch of critic scores: ``mean_i S_ii - e^-1 · mean_{i≠j} e^{S_ij}`` (Nguyen et al. 2010).

    The off-diagonal pairs ``(x_i, y_j)`` are the samples of ``p(x)p(y)``. With the optimal critic
    ``1 + log p(x,y)/(p(x)p(y))`` its expectation is ``I``, and its variance grows with ``e^{2I}`` (page §5.7).
    """
    b = scores.shape[0]
    off = ~jnp.eye(b, dtype=bool)
    neg = jnp.sum(jnp.where(off, jnp.exp(scores - 1.0), 0.0)) / (b * (b - 1))
    return jnp.mean(jnp.diag(scores)) - neg


_OBJECTIVES = {"infonce": infonce_batch, "nwj": nwj_batch}


def critic_sweep(cfg: LimitsConfig, seeds: list[int], objective: str) -> dict[str, Any]:
    """Section 5.7: train a separable critic ``g(x)·h(y)/√embed`` on ``objective`` at every correlation and seed.

    ``objective`` is ``"infonce"`` or ``"nwj"``; the architecture, batch size, optimiser and budget are the
    same for both: Adam on gradients clipped to norm ``cfg.clip`` (one compiled program for all correlations
    and seeds, :func:`dltheory.train.train`). The
    trained critic is then evaluated on ``cfg.eval_batches`` fresh batches. Returns ``{"rho", "truth",
    "mean", "var"}`` with ``(n_seeds, n_rhos)`` arrays: the mean of the per-batch estimates (the estimate)
    and their variance (the variance of a one-batch estimate), and ``"history"``.
    """
    if not isinstance(cfg, LimitsConfig):
        raise ValueError(f"cfg must be a LimitsConfig, got {type(cfg).__name__}")
    objective = validate.choice("objective", objective, tuple(_OBJECTIVES))
    seeds = list(validate.seeds(seeds))
    estimate = _OBJECTIVES[objective]
    sizes = [cfg.dim, cfg.width, cfg.width, cfg.embed]

    def sample(key: jax.Array, rho: jax.Array) -> tuple[jax.Array, jax.Array]:
        kx, kn = jax.random.split(key)
        x = jax.random.normal(kx, (cfg.batch, cfg.dim))
        return x, rho * x + jnp.sqrt(1 - rho**2) * jax.random.normal(kn, (cfg.batch, cfg.dim))

    def scores(params: dict[str, Any], x: jax.Array, y: jax.Array) -> jax.Array:
        # a scaled dot product: under He initialisation g(x)·h(y) has a spread of about 8 with heavy tails, and
        # NWJ's e^(f - 1) overflows float32 above f ≈ 89, on some seeds already for the untrained critic
        return models.mlp(params["g"], x) @ models.mlp(params["h"], y).T / math.sqrt(cfg.embed)

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> dict[str, Any]:
        kg, kh = jax.random.split(key)
        return {"g": models.mlp_init(kg, sizes), "h": models.mlp_init(kh, sizes)}

    def loss(params: dict[str, Any], key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        return -estimate(scores(params, *sample(key, hp["rho"])))

    def evaluate(params: dict[str, Any], hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        keys = jax.random.split(jax.random.key(2**30 + 1), cfg.eval_batches)
        vals = jax.vmap(lambda k: estimate(scores(params, *sample(k, hp["rho"]))))(keys)
        return {"mean": vals.mean(), "var": vals.var(ddof=1)}

    # gradients clipped for both objectives: NWJ's e^f term explodes on an untrained critic otherwise
    optimizer = optax.chain(optax.clip_by_global_norm(cfg.clip), optax.adam(cfg.lr))
    hist = train.train(init, loss, optimizer, steps=cfg.steps, eval_every=cfg.steps // 10,
                       seeds=seeds, data=jnp.zeros(()), batch=lambda key, data: key, evaluate=evaluate,
                       hparams={"rho": np.array(cfg.rhos)}, desc=f"{objective} critics")
    rho = np.array(cfg.rhos)
    return {"rho": rho, "truth": -0.5 * cfg.dim * np.log1p(-rho**2), "mean": hist.final("mean"),
            "var": hist.final("var"), "objective": objective, "history": hist, "config": cfg,
            "cap": math.log(cfg.batch)}


def check_ksg_cap(ksg_max: Any) -> None:
    """Exercise check (§5.7): the student's largest value of the KSG estimate from ``n`` samples and ``k`` neighbours.

    The reference is measured, not typed in: KSG on pairs with ``y = x`` (every marginal ball holds exactly the
    ``k - 1`` joint neighbours, so the estimate reaches its cap). Small ``n`` tell ``ψ(n)`` from ``log n``.
    """
    selfcheck.answered("ksg_max", ksg_max)

    def measured(n: int, k: int) -> float:
        x = np.random.default_rng(n * 100 + k).standard_normal(n)
        return ksg_mi(x, x.copy(), k)

    selfcheck.function("ksg_max", ksg_max, measured, [(10, 1), (20, 3), (50, 5), (400, 3)], rtol=1e-6,
                       hint="each marginal count n_x, n_y is at least k - 1; put that into "
                            "ψ(k) + ψ(n) - ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩ (scipy.special.digamma).")
