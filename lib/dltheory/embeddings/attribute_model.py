"""Chapter 4, § 4.6 (``chapters/04-embedding-geometry/06-attribute-model.md``): words made of binary attributes.

Korchinski et al. (2025): when every word is a set of binary attributes and co-occurrence depends on words only
through the attributes they share, the analogy directions lie in the top eigenvectors of the co-occurrence target,
and the quadratic word embedding model of § 4.5 (Karkada et al. 2025), which learns those eigenvectors first,
answers analogies as soon as the attribute modes are learned.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from threadpoolctl import threadpool_limits

from dltheory import runtime, train, validate
from dltheory.embeddings import geometry
from dltheory.embeddings.solvable_word2vec import QWEMConfig

__all__ = [
    "AttributeConfig",
    "strength_pair",
    "attribute_words",
    "attribute_cooccurrence",
    "sample_pair_counts",
    "attribute_analogies",
    "walsh_spectrum",
    "relation_fraction",
    "step_time",
    "train_qwem_dims",
    "saturation_dimension",
    "sweep_dims",
    "sweep_config",
    "closed_form_accuracy",
    "page_runs",
]


def step_time(lam: Any, s0: float) -> np.ndarray:
    """The time t½ = ln(λ/s₀² − 1)/(2λ) at which a QWEM mode of eigenvalue λ is half learned from s₀²
    (thm-ch4-qwem of § 4.5, derived with sympy by :func:`dltheory.embeddings.solvable_word2vec.derive_qwem`)."""
    lam = validate.array("lam", np.atleast_1d(lam), ndim=1)
    s0 = validate.real("s0", s0, low=0.0, low_open=True)
    if np.any(lam <= s0**2):
        raise ValueError(f"lam must exceed s0² = {s0**2:g} (a mode below it is never half learned)")
    return np.log(lam / s0**2 - 1) / (2 * lam)


def strength_pair(name: str, value: Any) -> tuple[float, float]:
    """The declared range of :attr:`AttributeConfig.strength`: a pair (high, low) with 0 < low ≤ high < 1."""
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (high, low), got {value!r}")
    low = validate.real(f"{name}[1]", value[1], low=0.0, high=1.0, low_open=True, high_open=True)
    return validate.real(f"{name}[0]", value[0], low=low, high=1.0, high_open=True), low


@dataclasses.dataclass(frozen=True)
class AttributeConfig(runtime.ModeConfig):
    """Words defined by binary attributes (§ 4.6; Korchinski et al. 2025).

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
    """All 2^K words of K binary attributes, shape (2^K, K) with entries ±1 (§ 4.6; Korchinski et al. 2025).

    Word i carries attribute k (α_ik = +1) when bit k of i is set, so flipping attribute k of word i
    gives word i XOR 2^k.
    """
    K = validate.integer("n_attributes", n_attributes, low=1, high=12)
    bits = (np.arange(2**K)[:, None] >> np.arange(K)[None, :]) & 1
    return (2 * bits - 1).astype(np.float64)


def attribute_cooccurrence(attributes: Any, strengths: Any) -> np.ndarray:
    """Co-occurrence probabilities P(i, j) ∝ Π_k (1 + ξ_k α_ik α_jk), normalised to sum 1 (§ 4.6).

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
    (§ 4.6; Korchinski et al. 2025).

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
    """Analogy questions a : b :: c : d along each attribute of :func:`attribute_words` (§ 4.6; Korchinski et al. 2025).

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
    (§ 4.6; Korchinski et al. 2025).

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
    """How much of each analogy direction lies in the top-d eigenspace of ``target`` (§ 4.6; Korchinski et al. 2025).

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
    with threadpool_limits(1):                       # a V ≤ 1024 eigh: one BLAS thread is faster on a shared CPU
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
    """QWEM trained at several embedding dimensions at once, one run per (seed, d) (§ 4.6; Karkada et al. 2025).

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

    § 4.6: the embedding dimension at which analogies saturate (Korchinski et al. 2025, observation (ii)).
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


def sweep_dims(n_attributes: int) -> list[int]:
    """The embedding dimensions § 4.6 trains QWEM at: a few below K, K itself, and up to 2K."""
    K = validate.integer("n_attributes", n_attributes, low=2, high=12)
    return sorted({2, 4, K - 2, K - 1, K, K + 2, 3 * K // 2, 2 * K})


def sweep_config(n_attributes: int) -> QWEMConfig:
    """The QWEM run of § 4.6's dimension sweep: 2K columns from ε = 10⁻⁴, step 0.008 for 600 steps (every mode kept
    converges), k = 1 negative, accuracy every 5 steps; the same in both modes (K sets the size)."""
    K = validate.integer("n_attributes", n_attributes, low=2, high=12)
    return QWEMConfig(dim=2 * K, init_scale=1e-4, lr=0.008, steps=600, eval_every=5, negatives=1)


def closed_form_accuracy(target: Any, questions: Any, dims: Sequence[int]) -> np.ndarray:
    """3CosAdd accuracy of the embedding QWEM converges to at each d in ``dims``: the top-d eigenvectors of
    ``target`` scaled by the square roots of their (positive parts of the) eigenvalues (§ 4.6; Karkada et al. 2025)."""
    M = validate.array("target", target, ndim=2)
    if M.shape[0] != M.shape[1]:
        raise ValueError(f"target must be square, got shape {M.shape}")
    dims = [validate.integer(f"dims[{i}]", d, low=1, high=M.shape[0]) for i, d in enumerate(dims)]
    with threadpool_limits(1):                       # small matrices: one BLAS thread is faster on a shared CPU
        vals, vecs = np.linalg.eigh((M + M.T) / 2)
        top = np.argsort(vals)[::-1]
        return np.array([geometry.analogy_accuracy(vecs[:, top[:d]] * np.sqrt(np.maximum(vals[top[:d]], 0)),
                                                   questions) for d in dims])


def page_runs(config: Callable[[type], Any]) -> runtime.Cost:
    """What page 4.6 runs, for :func:`dltheory.book.budget.page_cost` (``config`` gives the config the budget
    counts): the corpora of :class:`AttributeConfig` and, on the first, QWEM at every :func:`sweep_dims`
    (``6·V²·2K`` FLOPs a step and run, one run a dimension and seed, three seeds)."""
    acfg = config(AttributeConfig)
    qcfg = sweep_config(acfg.n_attributes)
    V, runs = acfg.vocab_size, 3 * len(sweep_dims(acfg.n_attributes))
    sweep = runtime.Cost(flops=2 * 6.0 * V * V * qcfg.dim * runs * qcfg.steps,
                         bytes=4.0 * runs * (V * V + 4 * V * qcfg.dim), steps=qcfg.steps)
    return acfg.cost() + sweep
