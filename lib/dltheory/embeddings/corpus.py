"""Chapter 4, shared by every section: the planted corpus, co-occurrence counts and PMI.

* a generative corpus: words with planted vectors, emitted by a slow random walk of a discourse
  vector (the RAND-WALK model of Arora et al. 2016), with planted relations (Korchinski et al. 2025);
* its negative control, the same tokens shuffled;
* co-occurrence counts and (shifted, positive) PMI, in float64 (§ 4.1, § 4.2);
* κ, the factor of RAND-WALK's PMI law, which § 4.1 tests and § 4.3 uses.

Everything is a pure function of explicit PRNG keys.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import runtime, validate

__all__ = [
    "RELATION_NAMES",
    "MAX_RELATIONS",
    "relation_names",
    "CorpusConfig",
    "noise_levels",
    "scale_pair",
    "Vocabulary",
    "planted_vocabulary",
    "sample_corpus",
    "shuffle_corpus",
    "planted_corpus",
    "exact_relation_mask",
    "cooccurrence",
    "pmi",
    "randwalk_pmi_factor",
]


#: Names of the planted relations, in order (decorative: each is a random direction); relations beyond
#: these eight are named ``r08``, ``r09``, ... (:func:`relation_names`).
RELATION_NAMES = ("gender", "number", "tense", "capital", "degree", "register", "colour", "size")

#: The most relations a corpus may plant (§ 4.8's equal-scale criterion test uses sixteen).
MAX_RELATIONS = 16


def relation_names(n_relations: int) -> tuple[str, ...]:
    """The names of the first ``n_relations`` relations: :data:`RELATION_NAMES`, then ``r08``, ``r09``, ..."""
    n = validate.integer("n_relations", n_relations, low=1, high=MAX_RELATIONS)
    return (RELATION_NAMES + tuple(f"r{r:02d}" for r in range(len(RELATION_NAMES), MAX_RELATIONS)))[:n]


def noise_levels(name: str, value: Any) -> tuple[float, ...]:
    """The declared range of :attr:`CorpusConfig.relation_noise`: a tuple of 2 to 16 numbers ≥ 0, one per relation."""
    if not isinstance(value, tuple) or not 2 <= len(value) <= MAX_RELATIONS:
        raise ValueError(f"{name} must be a tuple of 2 to {MAX_RELATIONS} numbers, got {value!r}")
    return tuple(validate.real(f"{name}[{r}]", eta, low=0.0) for r, eta in enumerate(value))


def scale_pair(name: str, value: Any) -> tuple[float, float]:
    """A range of scales (low, high) with 0 < low ≤ high: :attr:`CorpusConfig.scale`, the ``scale`` of
    :func:`dltheory.embeddings.rand_walk.isotropic_vectors`."""
    if not isinstance(value, tuple) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (low, high), got {value!r}")
    lo = validate.real(f"{name}[0]", value[0], low=0.0, low_open=True)
    return lo, validate.real(f"{name}[1]", value[1], low=lo)


@dataclasses.dataclass(frozen=True)
class CorpusConfig(runtime.ModeConfig):
    """A RAND-WALK corpus with planted relations (§ 4.1).

    ``dim``            dimension d of the planted word vectors
    ``n_filler``       words with independent random vectors
    ``n_families``     families of four words, a 2 × 2 grid along two relations
    ``relation_noise`` one entry per relation: the standard deviation of the per-family offset noise,
                       relative to the offset itself (0 = a perfect parallelogram)
    ``scale``          (low, high): each family or filler word has vector entries of standard deviation
                       s ~ U(low, high), so that ⟨v, c⟩ ~ N(0, s²) for a unit discourse vector c
    ``offset``         standard deviation of the entries of each relation direction
    ``n_tokens``       length of the corpus
    ``persistence``    ρ: the discourse vector is the normalised AR(1) process u_t = ρ u_(t−1) + √(1−ρ²) ξ_t
    ``window``         co-occurrence window L (offsets 1..L on each side)
    """

    dim: int = validate.field(32, validate.integer, low=2)
    n_filler: int = validate.field(160, validate.integer, low=0)
    n_families: int = validate.field(24, validate.integer, low=2)
    relation_noise: tuple[float, ...] = validate.field((0.0, 0.0, 0.0, 0.0, 0.6, 1.2), noise_levels)
    scale: tuple[float, float] = validate.field((1.0, 1.6), scale_pair)
    offset: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    n_tokens: int = validate.field(1_000_000, validate.integer, low=1000)
    persistence: float = validate.field(0.98, validate.real, low=0.0, high=1.0, high_open=True)
    window: int = validate.field(2, validate.integer, low=1, high=20)

    @classmethod
    def fast(cls) -> CorpusConfig:
        return cls()

    @classmethod
    def full(cls) -> CorpusConfig:
        return cls(dim=64, n_filler=1600, n_families=96, n_tokens=20_000_000)

    @property
    def n_relations(self) -> int:
        return len(self.relation_noise)

    @property
    def vocab_size(self) -> int:
        return self.n_filler + 4 * self.n_families

    def cost(self) -> runtime.Cost:
        """Three corpora (the pages of §4.1 and §4.3 sample three): the emission of each token on the device
        (``2·V·d`` for the logits, ``5·V`` for the inverse CDF), the walk and the co-occurrence counts on the host
        (``2·window`` passes of ``bincount``), the PMI, its shuffled control and a rank-``d`` SVD of ``V × V``."""
        V, n = self.vocab_size, self.n_tokens
        device = n * (2.0 * V * self.dim + 5.0 * V)
        host = n * (10.0 * self.dim + 2 * 2 * self.window * 20.0) + 30.0 * V**3 + 50.0 * V * V
        return runtime.Cost(flops=3 * device, host_flops=3 * host, bytes=8.0 * (4 * V * V + 2 * n) + 4.0 * 65536 * V * 2)

    def paper_scale(self) -> str:
        """A synthetic corpus in place of Arora et al.'s Wikipedia."""
        words = self.n_filler + 4 * self.n_families
        return (f"a synthetic RAND-WALK corpus in place of the Wikipedia of Arora et al.: {words:,} words in "
                f"d = {self.dim}, {self.n_tokens:,} tokens, the model's assumptions "
                "holding by construction; the size of the simulation suggested for the model (V ≈ 2,000, "
                "10⁶–10⁷ tokens)")


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """The planted vocabulary of :func:`planted_vocabulary`.

    ``vectors``    (V, d) planted word vectors v_w
    ``words``      V names: ``f07`` (a family's base word), ``f07+gender``, ``f07+gender+tense``, ``w012``
    ``families``   (n_families, 4) word indices: base, +r1, +r2, +r1+r2
    ``family_relations`` (n_families, 2) the two relations of each family
    ``questions``  (n_q, 4) analogy questions a : b :: c : d (b − a and d − c are the same relation)
    ``question_relation`` (n_q,) the relation of each question
    """

    vectors: np.ndarray
    words: tuple[str, ...]
    families: np.ndarray
    family_relations: np.ndarray
    questions: np.ndarray
    question_relation: np.ndarray
    relation_names: tuple[str, ...]

    @property
    def size(self) -> int:
        return len(self.words)

    def index(self, word: str) -> int:
        """The index of ``word`` in the vocabulary."""
        try:
            return self.words.index(word)
        except ValueError:
            raise ValueError(f"word must be in the vocabulary, got {word!r}") from None


def _round_robin(n: int) -> list[tuple[int, int]]:
    """Every pair of ``n`` items once, in rounds (the circle method) where each item appears at most once, so that
    any whole number of rounds uses every item equally often."""
    items = list(range(n)) + ([-1] if n % 2 else [])
    m, pairs = len(items), []
    for _ in range(m - 1):
        rnd = [(items[i], items[m - 1 - i]) for i in range(m // 2)]
        pairs += [(min(a, b), max(a, b)) for a, b in rnd if -1 not in (a, b)]
        items = [items[0], items[-1]] + items[1:-1]
    return pairs


def _relation_pairs(n_relations: int, n_families: int) -> np.ndarray:
    """The two relations of each family: the pairs in lexicographic order for up to eight relations (the book's
    corpora), in balanced rounds (:func:`_round_robin`) beyond eight (§ 4.8's sixteen relations)."""
    if n_relations > len(RELATION_NAMES):
        pairs = _round_robin(n_relations)
    else:
        pairs = [(i, j) for i in range(n_relations) for j in range(i + 1, n_relations)]
    return np.array([pairs[f % len(pairs)] for f in range(n_families)], dtype=np.int64)


def _edges(families: np.ndarray, family_relations: np.ndarray, n_relations: int) -> list[np.ndarray]:
    """For each relation, the (n_edges, 2) array of word pairs (a, b) with b = a + relation."""
    edges: list[list[tuple[int, int]]] = [[] for _ in range(n_relations)]
    for fam, (r1, r2) in zip(families, family_relations):
        base, w1, w2, w12 = (int(i) for i in fam)
        edges[r1] += [(base, w1), (w2, w12)]
        edges[r2] += [(base, w2), (w1, w12)]
    return [np.array(e, dtype=np.int64).reshape(-1, 2) for e in edges]


def planted_vocabulary(key: jax.Array, cfg: CorpusConfig) -> Vocabulary:
    """Planted word vectors with relations along random directions (§ 4.1).

    Each family f has a base vector b_f and two relations r1, r2; its four words are
    b_f, b_f + o_f1, b_f + o_f2, b_f + o_f1 + o_f2 with o_fr = u_r + η_r ξ_fr, where u_r is the
    relation's direction and ξ_fr fresh noise of the same scale (η_r = ``relation_noise[r]``). With
    η_r = 0 every family is an exact parallelogram. Words are isotropic in the sense of Arora et al.
    (2016): v = s·g with g standard Gaussian and s ~ U(``scale``).
    """
    if not isinstance(cfg, CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    d, R, F = cfg.dim, cfg.n_relations, cfg.n_families
    k_base, k_scale, k_dir, k_noise, k_fill, k_fscale = jax.random.split(key, 6)
    base = np.asarray(jax.random.normal(k_base, (F, d)), dtype=np.float64)
    base *= np.asarray(jax.random.uniform(k_scale, (F, 1), minval=cfg.scale[0], maxval=cfg.scale[1]))
    directions = cfg.offset * np.asarray(jax.random.normal(k_dir, (R, d)), dtype=np.float64)
    noise = np.asarray(jax.random.normal(k_noise, (F, 2, d)), dtype=np.float64) * cfg.offset
    rel = _relation_pairs(R, F)
    eta = np.asarray(cfg.relation_noise)[rel]  # (F, 2)
    offsets = directions[rel] + eta[:, :, None] * noise  # (F, 2, d)
    fam_vectors = np.stack(
        [base, base + offsets[:, 0], base + offsets[:, 1], base + offsets[:, 0] + offsets[:, 1]], axis=1
    )  # (F, 4, d)
    filler = np.asarray(jax.random.normal(k_fill, (cfg.n_filler, d)), dtype=np.float64)
    filler *= np.asarray(jax.random.uniform(k_fscale, (cfg.n_filler, 1), minval=cfg.scale[0], maxval=cfg.scale[1]))
    vectors = np.concatenate([fam_vectors.reshape(4 * F, d), filler])
    names = relation_names(R)
    words = []
    for f, (r1, r2) in enumerate(rel):
        stem = f"f{f:02d}"
        words += [stem, f"{stem}+{names[r1]}", f"{stem}+{names[r2]}", f"{stem}+{names[r1]}+{names[r2]}"]
    words += [f"w{i:03d}" for i in range(cfg.n_filler)]
    families = np.arange(4 * F).reshape(F, 4)
    questions, question_rel = [], []
    for r, e in enumerate(_edges(families, rel, R)):
        i, j = np.meshgrid(np.arange(len(e)), np.arange(len(e)), indexing="ij")
        keep = i != j
        q = np.concatenate([e[i[keep]], e[j[keep]]], axis=1)
        questions.append(q)
        question_rel.append(np.full(len(q), r))
    return Vocabulary(
        vectors=vectors,
        words=tuple(words),
        families=families,
        family_relations=rel,
        questions=np.concatenate(questions),
        question_relation=np.concatenate(question_rel),
        relation_names=names,
    )


@jax.jit
def _emit(key: jax.Array, c: jax.Array, vectors: jax.Array) -> jax.Array:
    """One word per row of ``c`` from p(w | c) ∝ exp(⟨v_w, c⟩), by inverting the cumulative distribution."""
    cdf = jnp.cumsum(jax.nn.softmax(c @ vectors.T, axis=-1), axis=-1)
    u = jax.random.uniform(key, (c.shape[0], 1)) * cdf[:, -1:]
    return jnp.sum(cdf < u, axis=-1).astype(jnp.int32)


def sample_corpus(key: jax.Array, vectors: Any, n_tokens: int, persistence: float, *,
                  chunk: int = 1 << 16) -> np.ndarray:
    """Sample a corpus from the RAND-WALK model (§ 4.1; Arora et al. 2016).

    The discourse vector c_t = u_t/‖u_t‖ follows the normalised AR(1) walk
    u_t = ρ u_(t−1) + √(1−ρ²) ξ_t (stationary: u_t ~ N(0, I)), and word t is drawn from
    p(w | c_t) ∝ exp(⟨v_w, c_t⟩). Returns the token ids, an ``int32`` array of length ``n_tokens``.
    The walk is a linear filter (``scipy.signal.lfilter``) and the emission a jitted, batched
    inverse-CDF draw, one chunk of ``chunk`` tokens at a time. The host filters chunk i while the device
    draws the noise of chunk i + 1 and emits the words of chunk i − 1 (JAX's asynchronous dispatch: only
    the noise is waited for, the words at the end).
    """
    from scipy.signal import lfilter

    vectors = validate.array("vectors", vectors, ndim=2)
    n_tokens = validate.integer("n_tokens", n_tokens, low=1)
    rho = validate.real("persistence", persistence, low=0.0, high=1.0, high_open=True)
    chunk = validate.integer("chunk", chunk, low=1)
    V = jnp.asarray(vectors, dtype=jnp.float32)
    d = vectors.shape[1]
    k_u, k_xi, k_w = jax.random.split(key, 3)
    u_prev = np.asarray(jax.random.normal(k_u, (d,)), dtype=np.float64)
    n_chunks = -(-n_tokens // chunk)
    noise = jax.random.normal(jax.random.fold_in(k_xi, 0), (chunk, d))
    out = []
    for i in range(n_chunks):
        xi = math.sqrt(1.0 - rho**2) * np.asarray(noise, dtype=np.float64)
        if i + 1 < n_chunks:
            noise = jax.random.normal(jax.random.fold_in(k_xi, i + 1), (chunk, d))   # drawn while the host filters
        # filtered along the last axis of the transposed view (3-4 times faster than along axis 0, the same numbers)
        u = np.ascontiguousarray(lfilter([1.0], [1.0, -rho], xi.T, axis=1, zi=(rho * u_prev)[:, None])[0].T)
        u_prev = u[-1]
        c = u / np.linalg.norm(u, axis=1, keepdims=True)
        out.append(_emit(jax.random.fold_in(k_w, i), jnp.asarray(c, dtype=jnp.float32), V))
    return np.concatenate([np.asarray(words) for words in out])[:n_tokens]


def shuffle_corpus(key: jax.Array, tokens: Any) -> np.ndarray:
    """The negative control: the same tokens in a random order (unigram counts kept, co-occurrence destroyed)."""
    tokens = validate.array("tokens", tokens, ndim=1, dtype=np.int64)
    return np.asarray(jax.random.permutation(key, tokens.astype(np.int32)))


def planted_corpus(key: jax.Array, cfg: CorpusConfig) -> tuple[Vocabulary, np.ndarray]:
    """The planted vocabulary and a corpus sampled from it: :func:`planted_vocabulary` then :func:`sample_corpus`."""
    if not isinstance(cfg, CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    k_voc, k_corpus = jax.random.split(key)
    vocab = planted_vocabulary(k_voc, cfg)
    return vocab, sample_corpus(k_corpus, vocab.vectors, cfg.n_tokens, cfg.persistence)


def exact_relation_mask(vocab: Vocabulary, cfg: CorpusConfig) -> np.ndarray:
    """Which analogy questions of ``vocab`` follow a relation planted without noise (η_r = 0)."""
    if not isinstance(vocab, Vocabulary) or not isinstance(cfg, CorpusConfig):
        raise ValueError("vocab must be a Vocabulary and cfg a CorpusConfig")
    return np.asarray(cfg.relation_noise)[vocab.question_relation] == 0


def cooccurrence(tokens: Any, vocab_size: int, window: int) -> np.ndarray:
    """Symmetric co-occurrence counts #(w, c) within ``window`` positions (§ 4.1), an int64 (V, V) array.

    Every ordered pair (token t, token t ± Δ) with 1 ≤ Δ ≤ window counts once, so the matrix is
    symmetric and its total is 2·Σ_Δ (T − Δ): exactly the pairs a skip-gram model trains on.
    """
    V = validate.integer("vocab_size", vocab_size, low=1)
    window = validate.integer("window", window, low=1)
    tokens = validate.array("tokens", tokens, ndim=1, dtype=np.int64, nonnegative=True, min_size=window + 1)
    if tokens.max() >= V:
        raise ValueError(f"tokens must lie in [0, vocab_size={V}), found {int(tokens.max())}")
    counts = np.zeros(V * V, dtype=np.int64)
    for delta in range(1, window + 1):
        counts += np.bincount(tokens[:-delta] * V + tokens[delta:], minlength=V * V)
    counts = counts.reshape(V, V)
    return counts + counts.T


def pmi(counts: Any, *, shift: float = 0.0, positive: bool = False) -> np.ndarray:
    """Pointwise mutual information PMI(w, c) = log(#(w,c)·D / (#(w)·#(c))) − ``shift`` (§ 4.2).

    Computed in float64 logs (no overflow). Cells with no count are ``-inf``; with ``positive=True``
    the result is max(PMI − shift, 0), the (shifted) positive PMI of Levy and Goldberg (2014).
    """
    counts = validate.array("counts", counts, ndim=2, nonnegative=True, dtype=np.float64)
    if counts.shape[0] != counts.shape[1]:
        raise ValueError(f"counts must be square, got shape {counts.shape}")
    shift = validate.real("shift", shift)
    rows, cols, total = counts.sum(1), counts.sum(0), counts.sum()
    if total <= 0:
        raise ValueError("counts must contain at least one co-occurrence")
    with np.errstate(divide="ignore"):
        out = np.log(counts) + np.log(total) - np.log(rows)[:, None] - np.log(cols)[None, :] - shift
    out[counts == 0] = -np.inf
    if positive:
        out = np.maximum(out, 0.0)
    return out


def randwalk_pmi_factor(persistence: float, window: int) -> float:
    """κ = mean over Δ = 1..L of ρ^Δ: RAND-WALK predicts PMI(w, w') ≈ κ ⟨v_w, v_w'⟩ / d (§ 4.1).

    The per-offset law PMI_Δ = ρ^Δ ⟨v, v'⟩/d is derived with sympy on the page; pooling the offsets
    averages the factor (to first order in ⟨v, v'⟩/d).
    """
    rho = validate.real("persistence", persistence, low=0.0, high=1.0)
    window = validate.integer("window", window, low=1)
    return float(np.mean(rho ** np.arange(1, window + 1)))
