"""Chapter 4, § 4.5 (``chapters/04-embedding-geometry/05-solvable-word2vec.md``): a solvable word2vec.

The quadratic word embedding model (QWEM) and its stepwise dynamics (Karkada et al. 2025), derived with sympy
and trained in JAX. Words made of binary attributes, trained with the same model, are § 4.6
(:mod:`dltheory.embeddings.attribute_model`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, train, validate

__all__ = [
    "derive_qwem",
    "qwem_target",
    "QWEMConfig",
    "train_qwem",
    "crossing_times",
]


def derive_qwem() -> dict[str, Any]:
    """Derive, with sympy, the quadratic word embedding model and its learning curve (§ 4.5; Karkada et al. 2025).

    1. Expand the SGNS loss of one pair, −P⁺ log σ(x) − P⁻ log σ(−x), to second order in x = w_i·w_j, and
       complete the square: (P⁺ + P⁻)/8 · (x − M*)² + const with M* = 2(P⁺ − P⁻)/(P⁺ + P⁻).
    2. For L = ¼‖M* − WWᵀ‖²_F, a mode of W along an eigenvector of M* with eigenvalue λ has
       d(s²)/dt = 2 s² (λ − s²); solve this ODE and find the time t½ at which s² reaches λ/2 from s₀².
    """
    import sympy as sp

    x = sp.Symbol("x", real=True)
    Pp, Pm = sp.symbols("P_plus P_minus", positive=True)
    pair_loss = -Pp * sp.log(1 / (1 + sp.exp(-x))) - Pm * sp.log(1 / (1 + sp.exp(x)))
    quadratic = sp.series(pair_loss, x, 0, 3).removeO()
    (x_star,) = sp.solve(sp.diff(quadratic, x), x)
    weight = sp.simplify(sp.diff(quadratic, x, 2) / 2)
    lam, s0, t = sp.symbols("lambda s_0 t", positive=True)
    s2 = sp.Function("s2")
    ode = sp.Eq(s2(t).diff(t), 2 * s2(t) * (lam - s2(t)))
    solution = sp.dsolve(ode, s2(t), ics={s2(0): s0**2})
    curve = sp.simplify(solution.rhs)
    (t_half,) = sp.solve(sp.Eq(curve, lam / 2), t)
    return {"pair_loss": pair_loss, "quadratic": sp.expand(quadratic), "target": sp.simplify(x_star),
            "weight": weight, "curve": curve, "t_half": sp.simplify(t_half),
            "symbols": {"x": x, "P_plus": Pp, "P_minus": Pm, "lambda": lam, "s_0": s0, "t": t}}


def qwem_target(counts: Any, negatives: int) -> np.ndarray:
    """The QWEM target M*_ij = 2(P_ij − k P_i P_j)/(P_ij + k P_i P_j) from co-occurrence counts (§ 4.5)."""
    counts = validate.array("counts", counts, ndim=2, nonnegative=True, dtype=np.float64)
    if counts.shape[0] != counts.shape[1]:
        raise ValueError(f"counts must be square, got shape {counts.shape}")
    k = validate.integer("negatives", negatives, low=1)
    P = counts / counts.sum()
    p = P.sum(1)
    Pm = k * np.outer(p, p)
    denom = P + Pm
    return np.where(denom > 0, 2 * (P - Pm) / np.where(denom > 0, denom, 1.0), 0.0)


@dataclasses.dataclass(frozen=True)
class QWEMConfig(runtime.ModeConfig):
    """Gradient descent on ¼‖M* − WWᵀ‖²_F from a small random W (§ 4.5): ``dim`` columns, entries of
    W₀ ~ N(0, ``init_scale``²), step ``lr`` (time t = step·lr), metrics every ``eval_every`` steps."""

    dim: int = validate.field(16, validate.integer, low=1)
    init_scale: float = validate.field(1e-4, validate.real, low=0.0, low_open=True)
    lr: float = validate.field(0.002, validate.real, low=0.0, low_open=True)
    steps: int = validate.field(1000, validate.integer, low=1)
    eval_every: int = validate.field(5, validate.integer, low=1)
    negatives: int = validate.field(5, validate.integer, low=1)

    @classmethod
    def fast(cls) -> QWEMConfig:
        return cls()

    @classmethod
    def full(cls) -> QWEMConfig:
        return cls(dim=64, init_scale=1e-6, lr=0.0005, steps=8000, eval_every=10)

    def check(self) -> None:
        validate.schedule(self.steps, self.eval_every)

    def cost(self) -> runtime.Cost:
        """Gradient flow on a ``V × V`` target (``V`` at most 2,048, the full corpus has 1,984 words): ``6·V²·dim``
        FLOPs a step (forward and backward) for three seeds. The dimension sweep of § 4.6, which this cost counted
        as long again while it shared the page, is counted by :func:`dltheory.embeddings.attribute_model.page_runs`."""
        V = 2048
        step = 6.0 * V * V * self.dim * 3
        return runtime.Cost(flops=step * self.steps, bytes=4.0 * 3 * (V * V * 3 + 4 * V * self.dim), steps=self.steps)

    def paper_scale(self) -> str:
        """Karkada et al.'s gradient flow on the synthetic corpus."""
        return (f"Karkada et al.'s quartic word2vec loss on the synthetic corpus's PMI (V ≤ 2,048) instead of "
                f"Wikipedia's, {self.dim} dimensions, initial scale {self.init_scale:g}, {self.steps:,} steps of "
                f"{self.lr:g} (time {self.steps * self.lr:g}): the closed form holds for any target")


def train_qwem(target: Any, cfg: QWEMConfig, seeds: Sequence[int], *, progress: bool | None = None) -> train.History:
    """Full-batch gradient descent on the unweighted QWEM loss ¼‖M* − WWᵀ‖²_F, one run per seed (§ 4.5).

    Records the eigenvalues of WᵀW (largest first) as metric ``"eig"``: the squared singular values of
    the embedding, which Karkada et al. (2025) predict to grow one at a time, each to an eigenvalue of M*.
    """
    M = validate.array("target", target, ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"target must be square, got shape {M.shape}")
    if not isinstance(cfg, QWEMConfig):
        raise ValueError(f"cfg must be a QWEMConfig, got {type(cfg).__name__}")
    V = M.shape[0]

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        return {"w": cfg.init_scale * jax.random.normal(key, (V, cfg.dim))}

    def loss(params: dict[str, jax.Array], data: jax.Array, hp: Any) -> jax.Array:
        residual = data - params["w"] @ params["w"].T
        return 0.25 * jnp.sum(residual**2)

    def evaluate(params: dict[str, jax.Array], hp: Any) -> dict[str, jax.Array]:
        return {"eig": jnp.linalg.eigvalsh(params["w"].T @ params["w"])[::-1]}

    return train.train(init, loss, optax.sgd(cfg.lr), steps=cfg.steps, eval_every=cfg.eval_every, seeds=seeds,
                       data=jnp.asarray(M, dtype=jnp.float32), evaluate=evaluate, progress=progress, desc="QWEM")


def crossing_times(times: Any, curves: Any, levels: Any) -> np.ndarray:
    """First time each curve reaches its level, by linear interpolation (``nan`` if it never does).

    ``curves`` has shape (n_times, K) and ``levels`` shape (K,); returns shape (K,).
    """
    times = validate.array("times", times, ndim=1)
    curves = validate.array("curves", curves, ndim=2)
    levels = validate.array("levels", levels, ndim=1)
    if curves.shape != (times.size, levels.size):
        raise ValueError(f"curves must have shape ({times.size}, {levels.size}), got {curves.shape}")
    out = np.full(levels.size, np.nan)
    for k in range(levels.size):
        above = np.flatnonzero(curves[:, k] >= levels[k])
        if above.size == 0:
            continue
        i = above[0]
        if i == 0:
            out[k] = times[0]
            continue
        y0, y1 = curves[i - 1, k], curves[i, k]
        out[k] = times[i - 1] + (levels[k] - y0) / (y1 - y0) * (times[i] - times[i - 1])
    return out
