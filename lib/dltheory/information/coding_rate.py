"""Chapter 5, §5.6 ``06-coding-rate``: maximal coding rate reduction (Yu et al. 2020).

Coding rates of features and of their classes, the rate reduction ΔR and its maximum for classes on
orthogonal subspaces, and a linear encoder that maximises ΔR on a mixture of overlapping subspaces.
Log-determinants use ``slogdet``.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, train, validate

__all__ = [
    "coding_rate",
    "coding_rate_classes",
    "rate_reduction",
    "rate_reduction_max",
    "subspace_mixture",
    "principal_angles",
    "MCR2Config",
    "learn_mcr2",
]


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
        raise ValueError("z is too large: its scaled Gram matrix d/(m·eps2)·zᵀz overflows float32; "
                         "rescale the features")


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

    n_classes: int = validate.field(3, validate.integer, low=2)
    sub_dim: int = validate.field(3, validate.integer, low=1)
    ambient: int = validate.field(30, validate.integer, low=1)
    feature_dim: int = validate.field(9, validate.integer, low=1)
    n_per_class: int = validate.field(200, validate.integer, low=1)
    overlap: float = validate.field(0.5, validate.real, low=0.0, high=1.0, high_open=True)
    eps2: float = validate.field(0.5, validate.real, low=0.0, low_open=True)
    steps: int = validate.field(200, validate.multiple, low=100, of=100)
    lr: float = validate.field(1e-2, validate.real, low=0.0, low_open=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        validate.integer("ambient", self.ambient, low=self.n_classes * self.sub_dim)
        validate.integer("feature_dim", self.feature_dim, low=self.n_classes * self.sub_dim)
        validate.integer("n_per_class", self.n_per_class, low=self.sub_dim)

    @classmethod
    def fast(cls) -> MCR2Config:
        return cls()

    @classmethod
    def full(cls) -> MCR2Config:
        return cls(n_classes=4, sub_dim=5, ambient=100, feature_dim=20, n_per_class=1000, steps=10000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Every seed in one program: a linear map of ``n = n_classes · n_per_class`` points from ``ambient`` to
        ``feature_dim`` dimensions, the ``feature_dim²`` covariances of all points and of each class and their
        log-determinants, forward and backward."""
        n, a, f = self.n_classes * self.n_per_class, self.ambient, self.feature_dim
        step = 3.0 * (2 * n * a * f + 4 * n * f * f + 10 * (self.n_classes + 1) * f**3)
        return runtime.Cost(flops=step * self.steps * self.n_seeds, bytes=4.0 * self.n_seeds * n * (a + 3 * f),
                            steps=self.steps)

    def paper_scale(self) -> str:
        """Synthetic subspaces in place of Yu et al.'s CIFAR-10."""
        return (f"{self.n_classes} synthetic subspaces of dimension {self.sub_dim} in {self.ambient} dimensions, "
                f"{self.n_per_class:,} points each, mapped linearly to {self.feature_dim} features, {self.steps:,} "
                f"steps, {self.n_seeds} seeds, in place of Yu et al.'s ResNet-18 on CIFAR-10: the optimum's "
                "theorem is about subspaces, not images")


def _normalise(z: jax.Array) -> jax.Array:
    return z / jnp.linalg.norm(z, axis=-1, keepdims=True)


def input_rate_reduction(x: Any, labels: Any, feature_dim: int, eps2: float, n_classes: int) -> float:
    """Section 5.6, the control of ``mcr2-max``: ΔR of the inputs themselves, in ``feature_dim`` coordinates.

    ``x`` is mapped isometrically onto its top ``feature_dim`` right-singular directions (for a subspace
    mixture, the span of the classes) and normalised like the learned features. Each class keeps its rank and
    its spread, and the classes keep their angles: the features Theorem 2.1 of Yu et al. (2020) rules out only
    for not being orthogonal.
    """
    x = validate.array("x", x, ndim=2)
    feature_dim = validate.integer("feature_dim", feature_dim, low=1, high=min(x.shape))
    span = np.linalg.svd(x, full_matrices=False)[2][:feature_dim].T
    return float(rate_reduction(_normalise(jnp.asarray(x @ span, jnp.float32)), labels, eps2, n_classes))


def learn_mcr2(cfg: MCR2Config, seeds: list[int]) -> dict[str, Any]:
    """Section 5.6: learn a linear encoder ``z = normalise(W x)`` by maximising ΔR on a subspace mixture.

    Yu et al. (2020). The data are drawn once per seed (:func:`subspace_mixture`); the gradient of
    ΔR comes from ``jax.grad`` of :func:`rate_reduction`. Returns, per seed, ΔR before and after, the
    theoretical maximum :func:`rate_reduction_max`, ΔR of the input geometry (the data in the
    ``feature_dim``-dimensional span of the classes, normalised: the control), the principal angles between the learned class
    subspaces (and between the input subspaces, the control), and the final features.
    """
    if not isinstance(cfg, MCR2Config):
        raise ValueError(f"cfg must be an MCR2Config, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
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
    out: dict[str, list[Any]] = {"angles": [], "angles_input": [], "features": [], "dr_input": []}
    pairs = [(i, j) for i in range(k) for j in range(i + 1, k)]
    for r, (x, _, bases) in enumerate(mixtures):
        z = np.asarray(_normalise(jnp.asarray(x @ np.asarray(hist.params)[0, r])))
        sub = [np.linalg.svd(z[labels == j], full_matrices=False)[2][: cfg.sub_dim].T for j in range(k)]
        out["angles"].append(np.array([principal_angles(sub[i], sub[j]) for i, j in pairs]))
        out["angles_input"].append(np.array([principal_angles(bases[i], bases[j]) for i, j in pairs]))
        out["features"].append(z)
        out["dr_input"].append(input_rate_reduction(x, labels, cfg.feature_dim, cfg.eps2, k))
    curve = hist["delta_r"][0]  # (n_seeds, n_evals)
    counts = np.full(k, cfg.n_per_class, float)
    return {
        "dr_init": curve[:, 0],
        "dr_final": curve[:, -1],
        "dr_input": np.array(out["dr_input"]),
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
