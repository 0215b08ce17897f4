"""Chapter 4, § 4.5 (``chapters/04-embedding-geometry/05-solvable-word2vec.md``): a solvable word2vec.

The quadratic word embedding model (QWEM) and its stepwise dynamics (Karkada et al. 2025), derived with sympy
and trained in JAX, and words made of binary attributes, whose analogies live in the top eigenvectors
(Korchinski et al. 2025).
"""

from __future__ import annotations

import dataclasses
import math
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
    "AttributeConfig",
    "strength_pair",
    "attribute_words",
    "attribute_cooccurrence",
    "sample_pair_counts",
    "attribute_analogies",
    "walsh_spectrum",
    "relation_fraction",
    "train_qwem_dims",
    "saturation_dimension",
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
        FLOPs a step for three seeds, and the sweep over four smaller dimensions as long again."""
        V = 2048
        step = 6.0 * V * V * self.dim * 3
        return runtime.Cost(flops=2 * step * self.steps, bytes=4.0 * 3 * (V * V * 3 + 4 * V * self.dim),
                            steps=2 * self.steps)

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


def strength_pair(name: str, value: Any) -> tuple[float, float]:
    """The declared range of :attr:`AttributeConfig.strength`: a pair (high, low) with 0 < low ≤ high < 1."""
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (high, low), got {value!r}")
    low = validate.real(f"{name}[1]", value[1], low=0.0, high=1.0, low_open=True, high_open=True)
    return validate.real(f"{name}[0]", value[0], low=low, high=1.0, high_open=True), low


@dataclasses.dataclass(frozen=True)
class AttributeConfig(runtime.ModeConfig):
    """Words defined by binary attributes (§ 4.5; Korchinski et al. 2025).

    ``n_attributes``  K: every word is one of the 2^K sign vectors α ∈ {−1, +1}^K (gender, royalty, ...),
                      so the vocabulary has V = 2^K words
    ``strength``      (high, low): attribute k couples co-occurrence with strength ξ_k, geometrically spaced
                      from high to low, P(i, j) ∝ Π_k (1 + ξ_k α_ik α_jk)
    ``n_pairs``       number of co-occurring pairs sampled (the corpus size times the window)
    ``n_questions``   analogy questions per attribute
    """

    n_attributes: int = validate.field(8, validate.integer, low=2, high=12)
    strength: tuple[float, float] = validate.field((0.4, 0.15), strength_pair)
    n_pairs: int = validate.field(40_000_000, validate.integer, low=1000)
    n_questions: int = validate.field(50, validate.integer, low=1)

    @classmethod
    def fast(cls) -> AttributeConfig:
        return cls()

    @classmethod
    def full(cls) -> AttributeConfig:
        return cls(n_attributes=10, n_pairs=400_000_000, n_questions=200)

    @property
    def vocab_size(self) -> int:
        return 2**self.n_attributes

    @property
    def strengths(self) -> np.ndarray:
        """ξ_1 > ξ_2 > … > ξ_K."""
        return np.geomspace(self.strength[0], self.strength[1], self.n_attributes)

    def cost(self) -> runtime.Cost:
        """Host work: three seeds, each ``n_pairs`` pairs drawn into ``V × V`` counts (``V = 2^K``), the
        PMI and its SVD (about ``30·V³``), and the analogy questions."""
        V = self.vocab_size
        per_seed = 20.0 * self.n_pairs + 30.0 * V**3 + 2.0 * self.n_questions * self.n_attributes * V * 64
        return runtime.Cost(host_flops=3 * per_seed, bytes=8.0 * 4 * V * V)

    def paper_scale(self) -> str:
        """A synthetic attribute model: its size."""
        return (f"Korchinski et al.'s binary-attribute model, no corpus to match: K = {self.n_attributes} "
                f"attributes (V = {2 ** self.n_attributes:,} words), {self.n_pairs:,} sampled pairs, "
                f"{self.n_questions} analogy questions per attribute")


def attribute_words(n_attributes: int) -> np.ndarray:
    """All 2^K words of K binary attributes, shape (2^K, K) with entries ±1 (§ 4.5; Korchinski et al. 2025).

    Word i carries attribute k (α_ik = +1) when bit k of i is set, so flipping attribute k of word i
    gives word i XOR 2^k.
    """
    K = validate.integer("n_attributes", n_attributes, low=1, high=12)
    bits = (np.arange(2**K)[:, None] >> np.arange(K)[None, :]) & 1
    return (2 * bits - 1).astype(np.float64)


def attribute_cooccurrence(attributes: Any, strengths: Any) -> np.ndarray:
    """Co-occurrence probabilities P(i, j) ∝ Π_k (1 + ξ_k α_ik α_jk), normalised to sum 1 (§ 4.5).

    In this model of Korchinski et al. (2025) the ratio M = P(i, j)/(P(i)P(j)) is a Kronecker product of
    one 2 × 2 matrix per attribute, and log M = const + Σ_k atanh(ξ_k) α_ik α_jk is linear in the attributes.
    """
    A = validate.array("attributes", attributes, ndim=2)
    xi = validate.array("strengths", strengths, ndim=1)
    if xi.size != A.shape[1]:
        raise ValueError(f"strengths must have one entry per attribute ({A.shape[1]}), got {xi.size}")
    if np.any(np.abs(xi) >= 1):
        raise ValueError("strengths must lie in (−1, 1) so that probabilities stay positive")
    if not np.all(np.abs(A) == 1):
        raise ValueError("attributes must be ±1")
    P = np.prod(1.0 + xi[None, None, :] * A[:, None, :] * A[None, :, :], axis=2)
    return P / P.sum()


def sample_pair_counts(key: jax.Array, probs: Any, n_pairs: int) -> np.ndarray:
    """Symmetric co-occurrence counts of a corpus of ``n_pairs`` pairs drawn from ``probs``
    (§ 4.5; Korchinski et al. 2025).

    Each ordered cell is Poisson with mean n_pairs·P(i, j); the matrix is then symmetrised, as a window that
    counts both directions would be. Returns float64 counts (halves appear off the diagonal). The draw is
    numpy's, seeded from bits of the JAX ``key`` (faster than ``jax.random.poisson`` for large means on a CPU).
    """
    P = validate.array("probs", probs, ndim=2, nonnegative=True)
    if P.shape[0] != P.shape[1]:
        raise ValueError(f"probs must be square, got shape {P.shape}")
    n_pairs = validate.integer("n_pairs", n_pairs, low=1)
    rng = np.random.default_rng(np.asarray(jax.random.bits(key, (4,), dtype=jnp.uint32)))
    C = rng.poisson(n_pairs * P / P.sum()).astype(np.float64)
    return (C + C.T) / 2


def attribute_analogies(key: jax.Array, n_attributes: int, n_per_attribute: int) -> tuple[np.ndarray, np.ndarray]:
    """Analogy questions a : b :: c : d along each attribute of :func:`attribute_words` (§ 4.5; Korchinski et al. 2025).

    For attribute g, a and c are two distinct words without it (α_g = −1) and b, d the same words with it,
    so that b − a = d − c in attribute space (man : king :: woman : queen has a and c differing in
    other attributes). Returns the questions, shape (K·n, 4), and the attribute of each question.
    """
    K = validate.integer("n_attributes", n_attributes, low=2, high=12)
    n = validate.integer("n_per_attribute", n_per_attribute, low=1)
    V = 2**K
    half = V // 2                                   # the words without attribute g, indexed by h in [0, V/2)
    questions, relation = [], []
    for g in range(K):
        k_a, k_c = jax.random.split(jax.random.fold_in(key, g))
        a_half = np.asarray(jax.random.randint(k_a, (n,), 0, half))
        c_half = (a_half + np.asarray(jax.random.randint(k_c, (n,), 1, half))) % half   # c ≠ a
        low = (1 << g) - 1
        a, c = (((h >> g) << (g + 1)) | (h & low) for h in (a_half, c_half))             # insert bit g = 0
        questions.append(np.stack([a, a | (1 << g), c, c | (1 << g)], axis=1))
        relation.append(np.full(n, g))
    return np.concatenate(questions).astype(np.int64), np.concatenate(relation)


def walsh_spectrum(kernel: Any) -> np.ndarray:
    """Eigenvalues of the matrix M_ij = F[i XOR j] on the 2^K words of :func:`attribute_words`
    (§ 4.5; Korchinski et al. 2025).

    Such a matrix depends on two words only through which attributes they share, and its eigenvectors are
    the Walsh functions χ_S(i) = (−1)^{|S ∩ i|}/√V, one per set S of attributes (bitmask S). The eigenvalue
    of χ_S is the Walsh–Hadamard transform λ_S = Σ_z F[z] (−1)^{|S ∩ z|}, returned at index S.
    """
    F = validate.array("kernel", kernel, ndim=1)
    V = F.size
    if V < 2 or V & (V - 1):
        raise ValueError(f"kernel must have a power-of-two length, got {V}")
    out = F.copy()
    h = 1
    while h < V:                                      # the fast Walsh–Hadamard transform, in place
        out = out.reshape(-1, 2, h)
        out = np.stack([out[:, 0] + out[:, 1], out[:, 0] - out[:, 1]], axis=1).reshape(V)
        h *= 2
    return out


def relation_fraction(target: Any, pairs: Any, dims: Sequence[int]) -> np.ndarray:
    """How much of each analogy direction lies in the top-d eigenspace of ``target`` (§ 4.5; Korchinski et al. 2025).

    For a word pair (a, b), the direction is the difference of their rows, M*_a − M*_b, in R^V; we return
    the fraction of its squared norm carried by the ``d`` eigenvectors of M* with the largest eigenvalues
    (the modes QWEM learns first), for each d in ``dims``: shape (len(dims), n_pairs).
    """
    M = validate.array("target", target, ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"target must be square, got shape {M.shape}")
    pairs = validate.array("pairs", pairs, ndim=2, dtype=np.int64, nonnegative=True)
    if pairs.shape[1] != 2 or pairs.max() >= M.shape[0]:
        raise ValueError(f"pairs must have 2 columns of row indices below {M.shape[0]}")
    dims = [validate.integer(f"dims[{i}]", d, low=1, high=M.shape[0]) for i, d in enumerate(dims)]
    lam, U = np.linalg.eigh((M + M.T) / 2)
    order = np.argsort(lam)[::-1]
    lam, U = lam[order], U[:, order]
    energy = (lam[None, :] * (U[pairs[:, 0]] - U[pairs[:, 1]])) ** 2    # (n_pairs, V) by eigenvector
    total = energy.sum(axis=1)
    cum = np.cumsum(energy, axis=1)
    return np.stack([cum[:, d - 1] / total for d in dims])


def _analogy_accuracy_jax(E: jax.Array, q: jax.Array) -> jax.Array:
    """3CosAdd accuracy in JAX (a, b, c excluded), the same rule as
    :func:`dltheory.embeddings.geometry.analogy_predictions`."""
    norms = jnp.linalg.norm(E, axis=1, keepdims=True)
    En = E / jnp.where(norms > 0, norms, 1.0)
    cos = En[q[:, :3]] @ En.T
    scores = cos[:, 1] - cos[:, 0] + cos[:, 2]
    excluded = jax.nn.one_hot(q[:, :3], E.shape[0]).sum(axis=1) > 0
    scores = jnp.where(excluded, -jnp.inf, scores)
    return jnp.mean(jnp.argmax(scores, axis=1) == q[:, 3])


def train_qwem_dims(target: Any, cfg: QWEMConfig, dims: Sequence[int], seeds: Sequence[int], *,
                    questions: Any = None, progress: bool | None = None) -> train.History:
    """QWEM trained at several embedding dimensions at once, one run per (seed, d) (§ 4.5; Karkada et al. 2025).

    All runs have ``max(dims)`` columns; the columns beyond a run's ``d`` start at zero and stay there
    (their gradient (M* − WWᵀ)w is zero), so one compiled program trains every dimension. Records the
    eigenvalues of WᵀW (``"eig"``) and, with ``questions`` (rows a, b, c, d), the 3CosAdd accuracy of
    the current embedding (``"analogy"``), so that accuracy can be followed as the modes arrive.
    ``cfg.dim`` is not used.
    """
    M = validate.array("target", target, ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"target must be square, got shape {M.shape}")
    if not isinstance(cfg, QWEMConfig):
        raise ValueError(f"cfg must be a QWEMConfig, got {type(cfg).__name__}")
    if isinstance(dims, (int, np.integer)) or len(dims) == 0:
        raise ValueError(f"dims must be a non-empty sequence of integers, got {dims!r}")
    dims = [validate.integer(f"dims[{i}]", d, low=1, high=M.shape[0]) for i, d in enumerate(dims)]
    V, D = M.shape[0], max(dims)
    q = None
    if questions is not None:
        q = validate.array("questions", questions, ndim=2, dtype=np.int64, nonnegative=True)
        if q.shape[1] != 4 or q.max() >= V:
            raise ValueError(f"questions must have 4 columns (a, b, c, d) of word indices below {V}")
        q = jnp.asarray(q, dtype=jnp.int32)

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        mask = (jnp.arange(D) < hp["dim"]).astype(jnp.float32)
        return {"w": cfg.init_scale * jax.random.normal(key, (V, D)) * mask}

    def loss(params: dict[str, jax.Array], data: jax.Array, hp: Any) -> jax.Array:
        return 0.25 * jnp.sum((data - params["w"] @ params["w"].T) ** 2)

    def evaluate(params: dict[str, jax.Array], hp: Any) -> dict[str, jax.Array]:
        out = {"eig": jnp.linalg.eigvalsh(params["w"].T @ params["w"])[::-1]}
        if q is not None:
            out["analogy"] = _analogy_accuracy_jax(params["w"], q)
        return out

    return train.train(init, loss, optax.sgd(cfg.lr), steps=cfg.steps, eval_every=cfg.eval_every, seeds=seeds,
                       data=jnp.asarray(M, dtype=jnp.float32), evaluate=evaluate,
                       hparams={"dim": np.asarray(dims, dtype=np.float32)}, progress=progress, desc="QWEM (d sweep)")


def saturation_dimension(dims: Sequence[int], accuracy: Any, level: float) -> float:
    """The smallest d from which the accuracy stays at or above ``level`` for every larger d (``inf`` if never).

    § 4.5: the embedding dimension at which analogies saturate (Korchinski et al. 2025, observation (ii)).
    """
    dims = validate.array("dims", dims, ndim=1)
    acc = validate.array("accuracy", accuracy, ndim=1)
    if acc.shape != dims.shape:
        raise ValueError(f"accuracy must have one entry per dimension ({dims.size}), got {acc.size}")
    if np.any(np.diff(dims) <= 0):
        raise ValueError("dims must be strictly increasing")
    level = validate.real("level", level, low=0.0, high=1.0)
    ok = acc >= level
    if not ok[-1]:
        return math.inf
    first_bad = np.flatnonzero(~ok)
    return float(dims[0] if first_bad.size == 0 else dims[first_bad[-1] + 1])
