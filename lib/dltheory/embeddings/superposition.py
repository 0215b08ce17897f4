"""Chapter 4, § 4.4 (``chapters/04-embedding-geometry/04-superposition.md``): the toy model of superposition.

The model of Elhage et al. (2022).

n sparse features x_i (zero with probability S, else uniform on [0, 1]) pass through a bottleneck of
m < n dimensions and back: x' = ReLU(Wᵀ W x + b). With dense features WᵀW is an orthogonal projection
(with equal importances onto an arbitrary m-dimensional subspace, shared by all features with unequal
norms; with decaying importances onto the m most important ones); with sparse features it stores more features than dimensions, in
superposition, arranged as antipodal pairs, triangles, pentagons... Every sparsity level is a separate
run, and all of them train together: ``dltheory.train`` vmaps over the sparsity hyper-parameter.
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
    "SuperpositionConfig",
    "train_toy_models",
    "feature_norms",
    "feature_dimensionality",
    "dimensions_per_feature",
    "projection_deviation",
    "polygon_deviation",
    "polygon_gaps",
    "derive_polygon_dimensionality",
]


@dataclasses.dataclass(frozen=True)
class SuperpositionConfig(runtime.ModeConfig):
    """The toy model of Elhage et al. (2022): ``n_features`` → ``n_hidden`` → ``n_features``.

    ``importance_decay`` γ gives feature i the importance γ^i (1 = all equal); ``steps``, ``batch`` and
    ``lr`` set the Adam training of each run.
    """

    n_features: int = validate.field(5, validate.integer, low=2)
    n_hidden: int = validate.field(2, validate.integer, low=1)
    importance_decay: float = validate.field(1.0, validate.real, low=0.0, high=1.0, low_open=True)
    steps: int = validate.field(3000, validate.integer, low=10)
    batch: int = validate.field(512, validate.integer, low=1)
    lr: float = validate.field(3e-3, validate.real, low=0.0, low_open=True)

    @classmethod
    def fast(cls) -> SuperpositionConfig:
        return cls()

    @classmethod
    def full(cls) -> SuperpositionConfig:
        return cls(steps=20000, batch=4096, lr=1e-3)

    def check(self) -> None:
        validate.integer("n_hidden", self.n_hidden, low=1, high=self.n_features)

    def cost(self) -> runtime.Cost:
        """Nine sparsities × three seeds (the page's grid) in one program: ``2·n_features·n_hidden``
        parameters, ``batch`` examples a step."""
        params = 2.0 * self.n_features * self.n_hidden + self.n_features
        return runtime.Cost.training(params=params, batch=self.batch, steps=self.steps, runs=27,
                                     activations=float(2 * self.n_features + self.n_hidden))

    def paper_scale(self) -> str:
        """Elhage et al.'s toy model at its own size."""
        return (f"Elhage et al.'s toy model at the size of their first figures ({self.n_features} features into "
                f"{self.n_hidden} dimensions), {self.steps:,} Adam steps of batch {self.batch:,}, nine sparsities × "
                "three seeds: the paper's own model")


def train_toy_models(cfg: SuperpositionConfig, sparsities: Sequence[float], seeds: Sequence[int], *,
                     progress: bool | None = None) -> train.History:
    """Train one toy model per (seed, sparsity), all in one compiled program (§ 4.4; Elhage et al. 2022).

    Loss: Σ_i I_i (x_i − x'_i)², averaged over a fresh batch each step. ``history.params["w"]`` has shape
    ``(n_seeds, n_sparsities, n_hidden, n_features)``; column i of W is the direction of feature i.
    """
    if not isinstance(cfg, SuperpositionConfig):
        raise ValueError(f"cfg must be a SuperpositionConfig, got {type(cfg).__name__}")
    s = validate.array("sparsities", sparsities, ndim=1)
    if np.any(s < 0) or np.any(s >= 1):
        raise ValueError(f"sparsities must lie in [0, 1), got {s.tolist()}")
    n, m = cfg.n_features, cfg.n_hidden
    importance = jnp.asarray(cfg.importance_decay ** np.arange(n), dtype=jnp.float32)

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        return {"w": jax.random.normal(key, (m, n)) * jnp.sqrt(2.0 / (n + m)), "b": jnp.zeros((n,))}

    def batch(key: jax.Array, data: Any) -> tuple[jax.Array, jax.Array]:
        k_val, k_on = jax.random.split(key)
        return jax.random.uniform(k_val, (cfg.batch, n)), jax.random.uniform(k_on, (cfg.batch, n))

    def loss(params: dict[str, jax.Array], b: tuple[jax.Array, jax.Array], hp: Any) -> jax.Array:
        values, on = b
        x = values * (on >= hp["sparsity"])  # each feature is zero with probability S
        x_hat = jax.nn.relu(x @ params["w"].T @ params["w"] + params["b"])
        return jnp.mean(jnp.sum(importance * (x - x_hat) ** 2, axis=-1))

    return train.train(init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=max(cfg.steps // 10, 1),
                       seeds=seeds, data=jnp.zeros(()), batch=batch, hparams={"sparsity": s},
                       progress=progress, desc="toy models")


def _w(w: Any) -> np.ndarray:
    w = validate.array("w", w, ndim=2)
    return w


def feature_norms(w: Any) -> np.ndarray:
    """‖W_i‖ for each feature (column) i: near 1 if the feature is represented, near 0 if dropped."""
    return np.linalg.norm(_w(w), axis=0)


def feature_dimensionality(w: Any) -> np.ndarray:
    """D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)² (Elhage et al. 2022): 1 for a dedicated dimension, 1/2 for an
    antipodal pair, 2/5 for a pentagon, 0 for a dropped feature."""
    w = _w(w)
    norms = np.linalg.norm(w, axis=0)
    unit = w / np.where(norms > 0, norms, 1.0)
    overlap = ((unit.T @ w) ** 2).sum(1)
    return np.where(norms > 0, norms**2 / np.where(overlap > 0, overlap, 1.0), 0.0)


def dimensions_per_feature(w: Any) -> float:
    """m / ‖W‖_F²: hidden dimensions per represented feature, the quantity of the paper's sticky curve."""
    w = _w(w)
    return float(w.shape[0] / np.sum(w**2))


def projection_deviation(w: Any) -> float:
    """max |λ − 1| over the m non-zero eigenvalues λ of WᵀW (the squared singular values of W, m × n).

    0 exactly when WᵀW is an orthogonal projection onto an m-dimensional subspace: the dense regime of
    Elhage et al. (2022), with no superposition, whichever subspace it is. A pentagon of five features of norm
    ‖W_i‖ in two dimensions has both eigenvalues (5/2)‖W_i‖².
    """
    w = _w(w)
    sv = np.linalg.svd(w, compute_uv=False)
    return float(np.max(np.abs(sv**2 - 1.0)))


def polygon_deviation(w: Any, value: float, n_stored: int) -> float:
    """max |D_i − value| over the ``n_stored`` features of largest norm: how far a model is from storing
    ``n_stored`` features at dimensionality ``value`` (1/2 for antipodal pairs, 2/5 for a pentagon).

    Always finite: a model that stores fewer features shows it as a large deviation (a dedicated feature has
    D = 1, a dropped one D near 0), not as an infinite one.
    """
    w = _w(w)
    value = validate.real("value", value, low=0.0, high=1.0)
    n_stored = validate.integer("n_stored", n_stored, low=1, high=w.shape[1])
    top = np.argsort(feature_norms(w))[::-1][:n_stored]
    return float(np.max(np.abs(feature_dimensionality(w)[top] - value)))


def polygon_gaps(w: Any, *, min_norm: float = 0.5) -> np.ndarray:
    """For a 2-D bottleneck: the angles (degrees) between consecutive represented feature directions,
    sorted around the circle. A regular k-gon gives k gaps of 360/k degrees."""
    w = _w(w)
    if w.shape[0] != 2:
        raise ValueError(f"polygon_gaps needs a 2-dimensional bottleneck, got w of shape {w.shape}")
    min_norm = validate.real("min_norm", min_norm, low=0.0)
    keep = np.linalg.norm(w, axis=0) > min_norm
    if keep.sum() < 2:
        return np.array([360.0])
    angles = np.sort(np.degrees(np.arctan2(w[1, keep], w[0, keep])) % 360)
    return np.diff(np.concatenate([angles, angles[:1] + 360]))


def derive_polygon_dimensionality(k: int) -> Any:
    """Derive, with sympy, the feature dimensionality D of k unit features spread evenly on a circle (§ 4.4).

    Each feature's D = 1 / Σ_j cos²(2πj/k); sympy evaluates the sum exactly (antipodal pair: 1/2, triangle:
    2/3, two antipodal pairs: 1/2, pentagon: 2/5, ...).
    """
    import sympy as sp

    k = validate.integer("k", k, low=2, high=64)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    total = sp.summation(sp.cos(2 * sp.pi * j / k) ** 2, (j, 0, k - 1))
    return sp.nsimplify(sp.simplify(1 / total))
