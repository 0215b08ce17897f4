"""Chapter 4, embedding geometry: why king − man + woman ≈ queen.

Data, experiments and analysis of ``chapters/04-embedding-geometry``:

* a generative corpus: words with planted vectors, emitted by a slow random walk of a discourse
  vector (the RAND-WALK model of Arora et al. 2016), with planted relations (Korchinski et al. 2025);
* co-occurrence counts and (shifted, positive) PMI, in float64;
* skip-gram with negative sampling (Mikolov et al. 2013) trained in JAX through
  :func:`dltheory.train.train`, and the shifted-PMI identity of Levy and Goldberg (2014);
* analogies (3CosAdd, 3CosMul) and the paraphrase error of Allen and Hospedales (2019);
* isotropy and all-but-the-top (Mu and Viswanath 2018), with the SGNS section;
* the toy model of superposition (Elhage et al. 2022), § 4.4: see :mod:`dltheory.embeddings_superposition`;
* the quadratic word embedding model and its stepwise dynamics (Karkada et al. 2025), § 4.5, and words
  made of binary attributes, whose analogies live in the top eigenvectors (Korchinski et al. 2025);
* real text from gensim's test data against gensim's Word2Vec, § 4.6.

Everything is a pure function of explicit PRNG keys or seeds.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, train, validate

__all__ = [
    "RELATION_NAMES",
    "CorpusConfig",
    "Vocabulary",
    "planted_vocabulary",
    "sample_corpus",
    "shuffle_corpus",
    "cooccurrence",
    "pmi",
    "derive_randwalk_pmi",
    "randwalk_pmi_factor",
    "RandWalkResult",
    "run_randwalk",
    "planted_corpus",
    "derive_sgns_optimum",
    "exact_relation_mask",
    "isotropic_vectors",
    "population_pmi",
    "population_slopes",
    "SGNSConfig",
    "train_sgns",
    "alias_table",
    "alias_probabilities",
    "sample_alias",
    "shifted_pmi_fit",
    "svd_embeddings",
    "procrustes_error",
    "analogy_predictions",
    "analogy_accuracy",
    "paraphrase_error",
    "auc",
    "derive_paraphrase_error",
    "AnalogyResult",
    "run_analogies",
    "parallelogram_2d",
    "mean_cosine",
    "isotropy",
    "all_but_the_top",
    "similarity_correlation",
    "relation_paraphrase_error",
    "real_corpus",
    "evaluate_real",
    "train_gensim",
    "derive_qwem",
    "qwem_target",
    "QWEMConfig",
    "train_qwem",
    "crossing_times",
    "AttributeConfig",
    "attribute_words",
    "attribute_cooccurrence",
    "sample_pair_counts",
    "attribute_analogies",
    "walsh_spectrum",
    "relation_fraction",
    "train_qwem_dims",
    "saturation_dimension",
    "check_sgns_optimum",
    "check_pmi_function",
    "check_planted_relation",
    "check_negatives_hypothesis",
    "check_polygon_dimensionality",
    "linear_fit",
]

#: Names of the planted relations, in order (decorative: each is a random direction).
RELATION_NAMES = ("gender", "number", "tense", "capital", "degree", "register", "colour", "size")


# --------------------------------------------------------------------------- the planted corpus


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

    dim: int = 32
    n_filler: int = 160
    n_families: int = 24
    relation_noise: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.6, 1.2)
    scale: tuple[float, float] = (1.0, 1.6)
    offset: float = 1.0
    n_tokens: int = 1_000_000
    persistence: float = 0.98
    window: int = 2

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

    def check(self) -> None:
        validate.integer("dim", self.dim, low=2)
        validate.integer("n_filler", self.n_filler, low=0)
        validate.integer("n_families", self.n_families, low=2)
        if not isinstance(self.relation_noise, tuple) or not 2 <= len(self.relation_noise) <= len(RELATION_NAMES):
            raise ValueError(f"relation_noise must be a tuple of 2 to {len(RELATION_NAMES)} numbers, got {self.relation_noise!r}")
        for r, eta in enumerate(self.relation_noise):
            validate.real(f"relation_noise[{r}]", eta, low=0.0)
        if not isinstance(self.scale, tuple) or len(self.scale) != 2:
            raise ValueError(f"scale must be a pair (low, high), got {self.scale!r}")
        lo = validate.real("scale[0]", self.scale[0], low=0.0, low_open=True)
        validate.real("scale[1]", self.scale[1], low=lo)
        validate.real("offset", self.offset, low=0.0, low_open=True)
        validate.integer("n_tokens", self.n_tokens, low=1000)
        validate.real("persistence", self.persistence, low=0.0, high=1.0, high_open=True)
        validate.integer("window", self.window, low=1, high=20)


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


def _relation_pairs(n_relations: int, n_families: int) -> np.ndarray:
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
    names = RELATION_NAMES[:R]
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


def sample_corpus(key: jax.Array, vectors: Any, n_tokens: int, persistence: float, *, chunk: int = 1 << 16) -> np.ndarray:
    """Sample a corpus from the RAND-WALK model (§ 4.1; Arora et al. 2016).

    The discourse vector c_t = u_t/‖u_t‖ follows the normalised AR(1) walk
    u_t = ρ u_(t−1) + √(1−ρ²) ξ_t (stationary: u_t ~ N(0, I)), and word t is drawn from
    p(w | c_t) ∝ exp(⟨v_w, c_t⟩). Returns the token ids, an ``int32`` array of length ``n_tokens``.
    The walk is a linear filter (``scipy.signal.lfilter``) and the emission a jitted, batched
    inverse-CDF draw, one chunk of ``chunk`` tokens at a time.
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
    out = []
    for i in range(-(-n_tokens // chunk)):
        xi = math.sqrt(1.0 - rho**2) * np.asarray(jax.random.normal(jax.random.fold_in(k_xi, i), (chunk, d)), dtype=np.float64)
        u, _ = lfilter([1.0], [1.0, -rho], xi, axis=0, zi=(rho * u_prev)[None, :])
        u_prev = u[-1]
        c = u / np.linalg.norm(u, axis=1, keepdims=True)
        out.append(np.asarray(_emit(jax.random.fold_in(k_w, i), jnp.asarray(c, dtype=jnp.float32), V)))
    return np.concatenate(out)[:n_tokens]


def shuffle_corpus(key: jax.Array, tokens: Any) -> np.ndarray:
    """The negative control: the same tokens in a random order (unigram counts kept, co-occurrence destroyed)."""
    tokens = validate.array("tokens", tokens, ndim=1, dtype=np.int64)
    return np.asarray(jax.random.permutation(key, tokens.astype(np.int32)))


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


def isotropic_vectors(key: jax.Array, n_words: int, dim: int, scale: tuple[float, float] = (1.0, 1.6)) -> np.ndarray:
    """Word vectors v = s·g with g ~ N(0, I_d) and s ~ U(scale): the isotropic prior of RAND-WALK (§ 4.1)."""
    n_words = validate.integer("n_words", n_words, low=1)
    dim = validate.integer("dim", dim, low=1)
    if not isinstance(scale, tuple) or len(scale) != 2:
        raise ValueError(f"scale must be a pair (low, high), got {scale!r}")
    lo = validate.real("scale[0]", scale[0], low=0.0, low_open=True)
    hi = validate.real("scale[1]", scale[1], low=lo)
    kg, ks = jax.random.split(key)
    g = np.asarray(jax.random.normal(kg, (n_words, dim)), dtype=np.float64)
    return g * np.asarray(jax.random.uniform(ks, (n_words, 1), minval=lo, maxval=hi), dtype=np.float64)


@jax.jit
def _population_joint(key: jax.Array, vectors: jax.Array, rho: jax.Array) -> jax.Array:
    k1, k2 = jax.random.split(key)
    u1 = jax.random.normal(k1, (4096, vectors.shape[1]))
    u2 = rho * u1 + jnp.sqrt(1.0 - rho**2) * jax.random.normal(k2, u1.shape)
    p1, p2 = (jax.nn.softmax((u / jnp.linalg.norm(u, axis=1, keepdims=True)) @ vectors.T, axis=-1) for u in (u1, u2))
    return p1.T @ p2


def population_pmi(key: jax.Array, vectors: Any, persistence: float, *, n_samples: int = 40_960) -> np.ndarray:
    """PMI of words one step apart under RAND-WALK, with no corpus: a Monte-Carlo average over c (§ 4.1).

    P(w, w') = E[p(w | c_t) p(w' | c_(t+1))] is averaged over ``n_samples`` pairs of consecutive discourse
    vectors (in blocks of 4096), so the result isolates the model's own deviation from the theorem
    (a partition function that does not concentrate) from the sampling noise of a finite corpus.
    """
    vectors = validate.array("vectors", vectors, ndim=2)
    rho = validate.real("persistence", persistence, low=0.0, high=1.0, high_open=True)
    n_samples = validate.integer("n_samples", n_samples, low=4096)
    V = jnp.asarray(vectors, dtype=jnp.float32)
    joint = np.zeros((vectors.shape[0],) * 2)
    blocks = n_samples // 4096
    for i in range(blocks):
        joint += np.asarray(_population_joint(jax.random.fold_in(key, i), V, jnp.float32(rho)), dtype=np.float64)
    joint = (joint + joint.T) / (2 * blocks * 4096)
    marginal = joint.sum(1)
    return np.log(joint) - np.log(marginal)[:, None] - np.log(marginal)[None, :]


def population_slopes(key: jax.Array, sizes: Sequence[int], dim: int, persistence: float, *,
                      scale: tuple[float, float] = (1.0, 1.6), n_samples: int = 40_960) -> np.ndarray:
    """For each vocabulary size V, the slope of population PMI on ρ⟨v, v'⟩/d over off-diagonal pairs (§ 4.1).

    Arora et al. (2016) predict slope 1 when the partition function Z_c concentrates; its relative
    fluctuation falls like 1/√V, so the slope should rise towards 1 with V.
    """
    if isinstance(sizes, (int, str)) or len(sizes) == 0:
        raise ValueError(f"sizes must be a non-empty sequence of vocabulary sizes, got {sizes!r}")
    sizes = [validate.integer(f"sizes[{i}]", n, low=2) for i, n in enumerate(sizes)]
    dim = validate.integer("dim", dim, low=1)
    rho = validate.real("persistence", persistence, low=0.0, high=1.0, high_open=True)
    slopes = []
    for i, n in enumerate(sizes):
        kv, kp = jax.random.split(jax.random.fold_in(key, i))
        v = isotropic_vectors(kv, n, dim, scale)
        m = population_pmi(kp, v, rho, n_samples=n_samples)
        off = ~np.eye(n, dtype=bool)
        slopes.append(linear_fit(rho * (v @ v.T)[off] / dim, m[off])["slope"])
    return np.array(slopes)


def derive_randwalk_pmi() -> dict[str, Any]:
    """Derive, with sympy, the PMI of two words Δ steps apart under RAND-WALK (§ 4.1; Arora et al. 2016).

    In high dimension a uniform unit vector c is close to N(0, I/d), so x = ⟨v, c_t⟩ and
    y = ⟨v', c_(t+Δ)⟩ are jointly Gaussian with variances ‖v‖²/d, ‖v'‖²/d and covariance ρ^Δ⟨v, v'⟩/d.
    With a constant partition function Z, p(w) = E[e^x]/Z and p(w, w') = E[e^(x+y)]/Z²; sympy computes
    the Gaussian expectations and simplifies the PMI. Returns the expressions and their symbols.
    """
    import sympy as sp

    a, b, d, rho = sp.symbols("a b d rho", positive=True)  # a = ‖v‖², b = ‖v'‖²
    g = sp.Symbol("g", real=True)  # ⟨v, v'⟩
    delta = sp.Symbol("Delta", positive=True, integer=True)
    log_Z = sp.Symbol("log_Z", real=True)
    z, var = sp.Symbol("z", real=True), sp.Symbol("sigma2", positive=True)
    # log E[e^z] for z ~ N(0, σ²), by integrating against the Gaussian density.
    log_mgf = sp.log(sp.integrate(sp.exp(z - z**2 / (2 * var)) / sp.sqrt(2 * sp.pi * var), (z, -sp.oo, sp.oo)))
    log_mgf = sp.simplify(sp.expand_log(log_mgf.rewrite(sp.erf), force=True))
    cov = rho**delta * g / d
    log_p_w = log_mgf.subs(var, a / d) - log_Z
    log_p_w2 = log_mgf.subs(var, b / d) - log_Z
    log_p_joint = log_mgf.subs(var, a / d + b / d + 2 * cov) - 2 * log_Z
    pmi_expr = sp.simplify(log_p_joint - log_p_w - log_p_w2)
    L, j = sp.symbols("L j", positive=True, integer=True)
    total = sp.summation(rho**j, (j, 1, L))
    if isinstance(total, sp.Piecewise):  # the branch ρ ≠ 1
        total = total.args[-1][0]
    kappa = sp.simplify(total / L)
    return {"log_p_w": log_p_w, "pmi": pmi_expr, "kappa": kappa,
            "symbols": {"a": a, "b": b, "d": d, "rho": rho, "g": g, "Delta": delta, "L": L, "log_Z": log_Z}}


def linear_fit(x: Any, y: Any) -> dict[str, float]:
    """Least-squares line y ≈ slope·x + intercept, with Pearson's correlation."""
    x = validate.array("x", x, ndim=1, min_size=2)
    y = validate.array("y", y, ndim=1, min_size=2)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if np.ptp(x) == 0:
        raise ValueError("x must not be constant")
    # fit in scaled units, so that values near the float64 limit do not overflow the sums of squares
    sx, sy = float(np.max(np.abs(x))), float(np.max(np.abs(y))) or 1.0
    xs, ys = x / sx, y / sy
    slope, intercept = np.polyfit(xs, ys, 1)
    corr = float(np.corrcoef(xs, ys)[0, 1]) if np.ptp(ys) > 0 else 0.0
    out = {"slope": float(slope * sy / sx), "intercept": float(intercept * sy), "corr": corr}
    if not all(np.isfinite(v) for v in out.values()):
        raise ValueError("x and y are too large or too ill-conditioned for a finite least-squares line")
    return out


@dataclasses.dataclass(frozen=True)
class RandWalkResult:
    """What :func:`run_randwalk` measures on one sampled corpus (§ 4.1)."""

    cfg: CorpusConfig
    vocab: Vocabulary
    tokens: np.ndarray
    counts: np.ndarray
    pmi: np.ndarray
    predicted: np.ndarray  # κ ⟨v, v'⟩ / d
    mask: np.ndarray       # pairs with expected count ≥ min_expected
    fit: dict[str, float]
    shuffled_pmi: np.ndarray
    shuffled_fit: dict[str, float]
    recovery_error: float
    random_recovery_error: float
    frequency_fit: dict[str, float]


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


def run_randwalk(key: jax.Array, cfg: CorpusConfig, *, min_expected: float = 50.0) -> RandWalkResult:
    """Sample a planted RAND-WALK corpus and test the PMI law of Arora et al. (2016) on it (§ 4.1).

    Compares the empirical PMI with κ⟨v, v'⟩/d on pairs whose *expected* count #(w)#(w')/D is at least
    ``min_expected`` (selecting on the observed count would bias the slope); repeats the fit on the
    shuffled corpus (negative control); measures how well the rank-d factors of PMI recover the planted
    vectors up to rotation, against random vectors of the same shape; and fits log-frequency on ‖v‖²/(2d).
    """
    if not isinstance(cfg, CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    min_expected = validate.real("min_expected", min_expected, low=0.0, low_open=True)
    k_corpus, k_shuffle, k_random = jax.random.split(key, 3)
    vocab, tokens = planted_corpus(k_corpus, cfg)
    counts = cooccurrence(tokens, vocab.size, cfg.window)
    pmi_matrix = pmi(counts)
    kappa = randwalk_pmi_factor(cfg.persistence, cfg.window)
    predicted = kappa * vocab.vectors @ vocab.vectors.T / cfg.dim
    expected = np.outer(counts.sum(1), counts.sum(0)) / counts.sum()
    mask = (expected >= min_expected) & np.isfinite(pmi_matrix)
    shuffled = pmi(cooccurrence(shuffle_corpus(k_shuffle, tokens), vocab.size, cfg.window))
    mask_s = mask & np.isfinite(shuffled)
    factors = svd_embeddings(np.where(np.isfinite(pmi_matrix), pmi_matrix, 0.0), cfg.dim, symmetric=True)
    target = vocab.vectors * math.sqrt(kappa / cfg.dim)
    random_target = np.asarray(jax.random.normal(k_random, target.shape)) * np.std(target)
    freq = np.bincount(tokens, minlength=vocab.size)
    return RandWalkResult(
        cfg=cfg, vocab=vocab, tokens=tokens, counts=counts, pmi=pmi_matrix, predicted=predicted, mask=mask,
        fit=linear_fit(predicted[mask], pmi_matrix[mask]),
        shuffled_pmi=shuffled,
        shuffled_fit=linear_fit(predicted[mask_s], shuffled[mask_s]),
        recovery_error=procrustes_error(factors, target),
        random_recovery_error=procrustes_error(factors, random_target),
        frequency_fit=linear_fit((vocab.vectors**2).sum(1) / (2 * cfg.dim), np.log(np.maximum(freq, 1))),
    )


# --------------------------------------------------------------------------- skip-gram with negative sampling


@dataclasses.dataclass(frozen=True)
class SGNSConfig(runtime.ModeConfig):
    """Skip-gram with negative sampling (§ 4.2).

    ``dim`` embedding dimension; ``negatives`` k; ``noise_power`` the exponent α of the noise
    distribution P(c)^α (1 for the exact Levy–Goldberg identity, 0.75 in word2vec); ``batch`` positive
    pairs per step; ``steps`` and ``lr`` for Adam with a cosine decay; ``window`` as in the corpus.
    """

    dim: int = 64
    negatives: int = 5
    noise_power: float = 1.0
    batch: int = 4096
    steps: int = 1000
    lr: float = 0.02
    window: int = 2
    init_scale: float = 0.1

    @classmethod
    def fast(cls) -> SGNSConfig:
        return cls()

    @classmethod
    def full(cls) -> SGNSConfig:
        return cls(dim=128, steps=20000, batch=16384)

    def check(self) -> None:
        validate.integer("dim", self.dim, low=1)
        validate.integer("negatives", self.negatives, low=1)
        validate.real("noise_power", self.noise_power, low=0.0, high=1.0)
        validate.integer("batch", self.batch, low=1)
        validate.integer("steps", self.steps, low=10)
        validate.real("lr", self.lr, low=0.0, low_open=True)
        validate.integer("window", self.window, low=1, high=20)
        validate.real("init_scale", self.init_scale, low=0.0, low_open=True)


def alias_table(probs: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Walker's alias table of a discrete distribution, drawn from with one 32-bit random word (§ 4.2).

    The negatives of skip-gram come from the noise distribution P(c)^α (Mikolov et al. 2013). word2vec
    samples it from a long "unigram table" of word indices, which rounds every probability to a multiple
    of the table's inverse length; Walker's alias method (Walker 1977, in the form of Vose 1991) needs
    one table lookup per draw and almost no rounding. The distribution is spread over ``n`` equal
    columns, ``n`` the power of two at least ``len(probs)``: column ``j`` keeps its own word with
    probability ``threshold[j] / 2**shift`` and gives way to ``alias[j]`` otherwise. A draw takes the
    top ``32 - shift`` bits of a word as the column and compares the low ``shift`` bits with the
    threshold (:func:`sample_alias`). Thresholds are integers, so each word's probability is rounded
    by at most ``n / 2**33`` (under 10⁻⁶ for a million words); words of probability 0 are never drawn.

    ``probs`` are non-negative weights, normalised here. Returns ``(threshold, alias, shift)``:
    ``threshold`` uint32 and ``alias`` int32 arrays of length ``n``.
    """
    p = validate.array("probs", probs, ndim=1, nonnegative=True, min_size=1, dtype=np.float64)
    if p.size > 1 << 24:
        raise ValueError(f"probs must have at most 2**24 entries, got {p.size}")
    if not p.sum() > 0:
        raise ValueError("probs must have a positive sum")
    bits = max(1, (p.size - 1).bit_length())
    n, shift = 1 << bits, 32 - bits
    q = np.zeros(n)
    q[: p.size] = p / p.sum() * n  # column masses in units of 1/n
    alias = np.arange(n, dtype=np.int64)
    small = [j for j in range(n) if q[j] < 1.0]
    large = [j for j in range(n) if q[j] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g  # column s: word s with probability q[s], word g otherwise
        q[g] -= 1.0 - q[s]
        (small if q[g] < 1.0 else large).append(g)
    for j in small + large:  # left over only through rounding: q[j] is 1 up to ~1e-12
        if abs(q[j] - 1.0) > 1e-6:  # cannot happen for non-negative weights with a positive sum
            raise RuntimeError(f"alias_table: column {j} left with mass {q[j]}, not 1")
        q[j], alias[j] = 1.0, j
    threshold = np.round(np.clip(q, 0.0, 1.0) * 2.0**shift).astype(np.uint32)
    return threshold, alias.astype(np.int32), shift


def alias_probabilities(threshold: Any, alias: Any, shift: int) -> np.ndarray:
    """The exact distribution that :func:`sample_alias` draws from with this table (§ 4.2), in float64.

    Column ``j`` is chosen by ``2**shift`` of the 2³² words; ``threshold[j]`` of them keep word ``j`` and
    the others give ``alias[j]``. Compare with the ``probs`` given to :func:`alias_table` to see its rounding.
    """
    shift = validate.integer("shift", shift, low=1, high=31)
    n = 1 << (32 - shift)
    thr = validate.array("threshold", threshold, shape=(n,), dtype=np.float64, nonnegative=True, high=2.0**shift)
    ali = validate.array("alias", alias, shape=(n,), dtype=np.int64, nonnegative=True, high=n - 1)
    out = np.bincount(np.arange(n), weights=thr, minlength=n) + np.bincount(ali, weights=2.0**shift - thr, minlength=n)
    return out / 2.0**32


def sample_alias(bits: jax.Array, threshold: jax.Array, alias: jax.Array, shift: int) -> jax.Array:
    """Draw one word per uint32 in ``bits`` from the table of :func:`alias_table` (§ 4.2).

    Jittable and vmappable; ``bits`` of any shape (from ``jax.random.bits``), the result has its shape.
    """
    shift = validate.integer("shift", shift, low=1, high=31)
    if getattr(bits, "dtype", None) != jnp.uint32:
        raise ValueError(f"bits must be a uint32 array (jax.random.bits), got dtype {getattr(bits, 'dtype', type(bits).__name__)}")
    if threshold.shape != alias.shape or threshold.shape != (1 << (32 - shift),):
        raise ValueError(f"threshold and alias must have shape ({1 << (32 - shift)},) for shift {shift}, "
                         f"got {threshold.shape} and {alias.shape}")
    column = (bits >> shift).astype(jnp.int32)
    keep = (bits & jnp.uint32((1 << shift) - 1)) < threshold[column]
    return jnp.where(keep, column, alias[column])


def _below(bits: jax.Array, n: int) -> jax.Array:
    """``floor(bits · n / 2³²)``: a uniform integer in ``[0, n)`` from each uint32 (Lemire's multiply-shift,
    without rejection: each value has ⌊2³²/n⌋ or ⌈2³²/n⌉ of the 2³² words, a relative unevenness below n/2³²).
    Computed in 16-bit halves, since JAX on a CPU has no 64-bit integers by default."""
    n = jnp.uint32(n)
    a_hi, a_lo = bits >> 16, bits & 0xFFFF
    n_hi, n_lo = n >> 16, n & 0xFFFF
    mid = a_hi * n_lo + ((a_lo * n_lo) >> 16)
    mid2 = (mid & 0xFFFF) + a_lo * n_hi
    return (a_hi * n_hi + (mid >> 16) + (mid2 >> 16)).astype(jnp.int32)


def _sgns_loss(params: dict[str, jax.Array], batch: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
    words, contexts, negatives = batch
    w = params["w"][words]  # (B, d)
    pos = jnp.sum(w * params["c"][contexts], axis=-1)
    neg = jnp.einsum("bd,bkd->bk", w, params["c"][negatives])
    return -jnp.mean(jax.nn.log_sigmoid(pos) + jnp.sum(jax.nn.log_sigmoid(-neg), axis=-1))


def train_sgns(tokens: Any, vocab_size: int, cfg: SGNSConfig, seeds: Sequence[int], *, progress: bool | None = None) -> train.History:
    """Train SGNS on ``tokens`` for each seed, all seeds at once (§ 4.2; Mikolov et al. 2013).

    Each step draws ``batch`` (word, context) pairs exactly as skip-gram sees them (a uniform
    position t and a uniform offset 1 ≤ |Δ| ≤ L) and ``negatives`` noise words per pair from
    P(c)^α, and takes an Adam step on the negative-sampling loss. The whole run is one jitted
    ``lax.scan`` per evaluation chunk, vmapped over seeds. ``history.params["w"]`` and ``["c"]`` hold
    word and context vectors, shape ``(n_seeds, 1, V, dim)``.

    Two details make a step cheaper without changing what it computes. All random numbers of a step come
    from one ``jax.random.bits`` call, one 32-bit word per draw: the position and the offset by
    multiply-shift (:func:`_below`, unevenness below 10⁻⁴ for corpora under 400,000 tokens) and each
    negative by Walker's alias method (:func:`alias_table`, probabilities exact to ``n/2³³``). And the
    vector tables are stored with ``dim`` rounded up to a multiple of 8, the extra columns zero: they get
    zero gradients, so Adam leaves them at exactly zero and every dot product is unchanged, while the
    scatter-add of the gradient rows runs on whole SIMD lanes (faster on a CPU). They are cut off
    before the history is returned.
    """
    V = validate.integer("vocab_size", vocab_size, low=2)
    if not isinstance(cfg, SGNSConfig):
        raise ValueError(f"cfg must be an SGNSConfig, got {type(cfg).__name__}")
    tokens = validate.array("tokens", tokens, ndim=1, dtype=np.int64, nonnegative=True, min_size=2 * cfg.window + 2)
    if tokens.max() >= V:
        raise ValueError(f"tokens must lie in [0, vocab_size={V}), found {int(tokens.max())}")
    if tokens.size >= 1 << 31:
        raise ValueError(f"tokens must have fewer than 2**31 entries, got {tokens.size}")
    freq = np.bincount(tokens, minlength=V).astype(np.float64)
    threshold, alias, shift = alias_table(freq**cfg.noise_power * (freq > 0))
    data = (jnp.asarray(tokens, dtype=jnp.int32), jnp.asarray(threshold), jnp.asarray(alias))
    T, L, B, k = tokens.size, cfg.window, cfg.batch, cfg.negatives
    padded = -(-cfg.dim // 8) * 8

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        kw, kc = jax.random.split(key)
        s = cfg.init_scale / math.sqrt(cfg.dim)
        pad = ((0, 0), (0, padded - cfg.dim))
        return {"w": jnp.pad(s * jax.random.normal(kw, (V, cfg.dim)), pad),
                "c": jnp.pad(s * jax.random.normal(kc, (V, cfg.dim)), pad)}

    def batch(key: jax.Array, data: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
        toks, thr, ali = data
        bits = jax.random.bits(key, (k + 2, B), jnp.uint32)
        t = L + _below(bits[0], T - 2 * L)  # a uniform position in [L, T - L)
        r = _below(bits[1], 2 * L)  # a uniform offset in {-L, ..., -1, 1, ..., L}
        off = r - L + (r >= L)
        neg = sample_alias(bits[2:].T, thr, ali, shift)  # (B, k) draws from P(c)^α
        return toks[t], toks[t + off], neg

    schedule = optax.cosine_decay_schedule(cfg.lr, cfg.steps)
    history = train.train(
        init,
        lambda p, b, hp: _sgns_loss(p, b),
        optax.adam(schedule),
        steps=cfg.steps,
        eval_every=max(cfg.steps // 10, 1),
        seeds=seeds,
        data=data,
        batch=batch,
        progress=progress,
        desc="SGNS",
    )
    if any(np.any(v[..., cfg.dim:] != 0) for v in history.params.values()):
        raise RuntimeError("train_sgns: a padding column of the vector tables moved away from zero")
    return dataclasses.replace(history, params={name: v[..., : cfg.dim] for name, v in history.params.items()})


def derive_sgns_optimum() -> dict[str, Any]:
    """Derive, with sympy, the optimal dot product of one (word, context) pair under SGNS (§ 4.2).

    Levy and Goldberg (2014): the expected negative-sampling objective splits over pairs,
    ℓ(x) = #(w,c) log σ(x) + k #(w) #(c)/D log σ(−x) with x = w·c, and each term has its own maximiser.
    Returns the objective, the maximiser x* and its symbols.
    """
    import sympy as sp

    x = sp.Symbol("x", real=True)
    n_wc, n_w, n_c, D, k = sp.symbols("n_wc n_w n_c D k", positive=True)
    sigma = lambda t: 1 / (1 + sp.exp(-t))  # noqa: E731 - the logistic function, written out
    objective = n_wc * sp.log(sigma(x)) + k * n_w * n_c / D * sp.log(sigma(-x))
    (x_star,) = sp.solve(sp.diff(objective, x), x)
    x_star = sp.expand_log(sp.simplify(x_star), force=True)
    return {"objective": objective, "x_star": x_star,
            "symbols": {"x": x, "n_wc": n_wc, "n_w": n_w, "n_c": n_c, "D": D, "k": k}}


def shifted_pmi_fit(w: Any, c: Any, counts: Any, negatives: int, *, min_count: int = 100) -> dict[str, float]:
    """Regress the SGNS dot products w·c on PMI over pairs seen at least ``min_count`` times (§ 4.2).

    Levy and Goldberg (2014): at the optimum, w·c = PMI(w, c) − log k, so the slope is 1, the
    intercept −log k and the correlation 1. Returns slope, intercept, corr and the number of pairs.
    """
    w = validate.array("w", w, ndim=2)
    c = validate.array("c", c, ndim=2)
    counts = validate.array("counts", counts, ndim=2, nonnegative=True)
    k = validate.integer("negatives", negatives, low=1)
    min_count = validate.integer("min_count", min_count, low=1)
    if w.shape != c.shape or counts.shape != (w.shape[0], w.shape[0]):
        raise ValueError(f"w, c must be (V, d) and counts (V, V); got {w.shape}, {c.shape}, {counts.shape}")
    mask = counts >= min_count
    if mask.sum() < 3:
        raise ValueError(f"min_count={min_count} leaves fewer than 3 pairs")
    fit = linear_fit(pmi(counts)[mask], (w @ c.T)[mask])
    return fit | {"n_pairs": int(mask.sum()), "expected_intercept": -math.log(k)}


def svd_embeddings(matrix: Any, dim: int, *, power: float = 0.5, symmetric: bool = False) -> np.ndarray:
    """Embeddings U_d Σ_d^p from a truncated SVD of ``matrix`` (§ 4.2; Levy and Goldberg 2014).

    With ``symmetric=True`` the matrix is treated as a symmetric positive semi-definite Gram matrix and
    the top ``dim`` eigenpairs give U_d Λ_d^p (negative eigenvalues clipped to 0).
    """
    M = validate.array("matrix", matrix, ndim=2)
    dim = validate.integer("dim", dim, low=1, high=min(M.shape))
    power = validate.real("power", power, low=0.0, high=1.0)
    if symmetric:
        if M.shape[0] != M.shape[1]:
            raise ValueError(f"matrix must be square when symmetric=True, got {M.shape}")
        lam, U = np.linalg.eigh((M + M.T) / 2)
        order = np.argsort(lam)[::-1][:dim]
        return U[:, order] * np.maximum(lam[order], 0.0) ** power
    U, S, _ = np.linalg.svd(M, full_matrices=False)
    return U[:, :dim] * S[:dim] ** power


def procrustes_error(x: Any, y: Any) -> float:
    """min over orthogonal R of ‖x R − y‖_F / ‖y‖_F: how well x recovers y up to a rotation (§ 4.1)."""
    x = validate.array("x", x, ndim=2)
    y = validate.array("y", y, ndim=2)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    if x.shape[1] < y.shape[1]:
        x = np.pad(x, ((0, 0), (0, y.shape[1] - x.shape[1])))
    U, _, Vt = np.linalg.svd(x.T @ y, full_matrices=False)
    R = U @ Vt
    return float(np.linalg.norm(x @ R - y) / np.linalg.norm(y))


# --------------------------------------------------------------------------- analogies


def analogy_predictions(embeddings: Any, questions: Any, *, method: str = "add", eps: float = 1e-3) -> np.ndarray:
    """Answer a : b :: c : ? for each row (a, b, c[, d]) of ``questions`` (§ 4.3).

    ``method="add"`` is 3CosAdd, argmax_x cos(x, b − a + c) (Mikolov et al. 2013); ``"mul"`` is
    3CosMul, argmax_x cos'(x, b)·cos'(x, c)/(cos'(x, a) + ε) with cos' = (1 + cos)/2 (Levy and
    Goldberg 2014). The words a, b, c are excluded from the answers, as in the standard test.
    """
    E = validate.array("embeddings", embeddings, ndim=2)
    q = validate.array("questions", questions, ndim=2, dtype=np.int64, nonnegative=True)
    if q.shape[1] not in (3, 4):
        raise ValueError(f"questions must have 3 or 4 columns (a, b, c[, d]), got {q.shape[1]}")
    if q.max() >= E.shape[0]:
        raise ValueError(f"questions must index rows of embeddings (< {E.shape[0]}), found {int(q.max())}")
    validate.choice("method", method, ("add", "mul"))
    eps = validate.real("eps", eps, low=0.0, low_open=True)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    En = E / np.where(norms > 0, norms, 1.0)
    cos = En[q[:, :3]] @ En.T  # (n_q, 3, V)
    if method == "add":
        scores = cos[:, 1] - cos[:, 0] + cos[:, 2]
    else:
        s = (1.0 + cos) / 2.0
        scores = s[:, 1] * s[:, 2] / (s[:, 0] + eps)
    rows = np.arange(len(q))[:, None]
    scores[rows, q[:, :3]] = -np.inf
    return np.argmax(scores, axis=1)


def analogy_accuracy(embeddings: Any, questions: Any, *, method: str = "add") -> float:
    """Fraction of questions (a, b, c, d) answered with d by :func:`analogy_predictions` (§ 4.3)."""
    q = validate.array("questions", questions, ndim=2, dtype=np.int64, nonnegative=True)
    if q.shape[1] != 4:
        raise ValueError(f"questions must have 4 columns (a, b, c, d), got {q.shape[1]}")
    return float(np.mean(analogy_predictions(embeddings, q, method=method) == q[:, 3]))


def paraphrase_error(pmi_matrix: Any, questions: Any) -> np.ndarray:
    """The relative paraphrase error of each analogy a : b :: c : d, from PMI alone (§ 4.3).

    Allen and Hospedales (2019): when {b, c} paraphrases {a, d}, the PMI rows satisfy
    PMI_d ≈ PMI_b − PMI_a + PMI_c. We return ‖PMI_b − PMI_a + PMI_c − PMI_d‖ / ‖PMI_b − PMI_a‖ over all
    contexts (unobserved cells count as 0), which is small exactly when the paraphrase holds.
    """
    M = validate.array("pmi_matrix", pmi_matrix, ndim=2, finite=False)
    q = validate.array("questions", questions, ndim=2, dtype=np.int64, nonnegative=True)
    if q.shape[1] != 4:
        raise ValueError(f"questions must have 4 columns (a, b, c, d), got {q.shape[1]}")
    if q.max() >= M.shape[0]:
        raise ValueError(f"questions must index rows of pmi_matrix (< {M.shape[0]}), found {int(q.max())}")
    M = np.where(np.isfinite(M), M, 0.0)
    a, b, c, d = (M[q[:, i]] for i in range(4))
    base = np.linalg.norm(b - a, axis=1)
    if np.any(base == 0):
        raise ValueError("questions must have PMI rows of a and b that differ (the error is relative to ‖PMI_b − PMI_a‖)")
    return np.linalg.norm(b - a + c - d, axis=1) / base


def derive_paraphrase_error() -> dict[str, Any]:
    """Derive, with sympy, the expected relative paraphrase error of a planted relation with offset noise η (§ 4.3).

    In the planted model the offsets of two families are u + η ξ_f and u + η ξ_g, with u, ξ_f, ξ_g
    independent with i.i.d. entries of variance σ². PMI rows are a fixed linear image of the vectors
    (:prf:ref:`thm-ch4-pmi`), which preserves the ratio of norms on average, so the relative paraphrase
    error is √(E‖η(ξ_f − ξ_g)‖² / E‖u + η ξ_f‖²).
    """
    import sympy as sp

    eta, sigma2, d = sp.symbols("eta sigma2 d", positive=True)
    # E‖x‖² = d·Var(entry) for independent centred entries; variances add for independent sums.
    err2 = d * (eta**2 * sigma2 + eta**2 * sigma2)
    offset2 = d * (sigma2 + eta**2 * sigma2)
    ratio = sp.simplify(sp.sqrt(err2 / offset2))
    return {"relative_error": ratio, "symbols": {"eta": eta}}


@dataclasses.dataclass(frozen=True)
class AnalogyResult:
    """Analogy measurements on corpora sampled with different seeds (§ 4.3); arrays have a leading seed axis."""

    cfg: CorpusConfig
    vocab: Vocabulary                 # the vocabulary of the first corpus (all share its structure)
    planted_vectors: np.ndarray       # (n_seeds, V, d) the planted vectors of each corpus
    embeddings: np.ndarray            # (n_seeds, V, dim) rank-dim SVD of PPMI
    correct_add: np.ndarray           # (n_seeds, n_q) 3CosAdd answered correctly
    correct_mul: np.ndarray           # (n_seeds, n_q) 3CosMul answered correctly
    paraphrase: np.ndarray            # (n_seeds, n_q) relative paraphrase error from PMI
    question_relation: np.ndarray     # (n_seeds, n_q)
    exact: np.ndarray                 # (n_seeds, n_q) question follows a noiseless relation
    shuffled_accuracy: np.ndarray     # (n_seeds,) 3CosAdd accuracy after shuffling the corpus
    chance: float


def run_analogies(seeds: Sequence[int], cfg: CorpusConfig, *, dim: int | None = None) -> AnalogyResult:
    """For each seed: sample a planted corpus, embed words by a rank-``dim`` SVD of PPMI, answer every planted
    analogy with 3CosAdd and 3CosMul, measure each question's paraphrase error from PMI, and repeat the
    pipeline on the shuffled corpus (§ 4.3; Allen and Hospedales 2019; Levy and Goldberg 2014).
    """
    if not isinstance(cfg, CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    if isinstance(seeds, (int, np.integer)) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    seeds = [validate.integer(f"seeds[{i}]", s, low=0) for i, s in enumerate(seeds)]
    dim = cfg.dim if dim is None else validate.integer("dim", dim, low=1, high=cfg.vocab_size)
    out: dict[str, list[Any]] = {k: [] for k in ("vec", "emb", "add", "mul", "para", "rel", "exact", "shuf")}
    first_vocab = None
    for seed in seeds:
        k_corpus, k_shuffle = jax.random.split(jax.random.key(seed))
        vocab, tokens = planted_corpus(k_corpus, cfg)
        first_vocab = first_vocab or vocab
        counts = cooccurrence(tokens, vocab.size, cfg.window)
        emb = svd_embeddings(pmi(counts, positive=True), dim)
        q = vocab.questions
        out["vec"].append(vocab.vectors)
        out["emb"].append(emb)
        out["add"].append(analogy_predictions(emb, q, method="add") == q[:, 3])
        out["mul"].append(analogy_predictions(emb, q, method="mul") == q[:, 3])
        out["para"].append(paraphrase_error(pmi(counts), q))
        out["rel"].append(vocab.question_relation)
        out["exact"].append(exact_relation_mask(vocab, cfg))
        shuffled = cooccurrence(shuffle_corpus(k_shuffle, tokens), vocab.size, cfg.window)
        out["shuf"].append(analogy_accuracy(svd_embeddings(pmi(shuffled, positive=True), dim), q))
    return AnalogyResult(
        cfg=cfg, vocab=first_vocab, planted_vectors=np.stack(out["vec"]), embeddings=np.stack(out["emb"]), correct_add=np.stack(out["add"]),
        correct_mul=np.stack(out["mul"]), paraphrase=np.stack(out["para"]), question_relation=np.stack(out["rel"]),
        exact=np.stack(out["exact"]), shuffled_accuracy=np.array(out["shuf"]), chance=1.0 / (cfg.vocab_size - 3),
    )


def parallelogram_2d(embeddings: Any, question: Any) -> np.ndarray:
    """The four words a, b, c, d of an analogy projected on the top-2 principal plane of their own vectors
    (centred), shape (4, 2): a parallelogram when b − a = d − c (§ 4.3, the chapter's widget)."""
    E = validate.array("embeddings", embeddings, ndim=2)
    q = validate.array("question", question, shape=(4,), dtype=np.int64, nonnegative=True)
    if q.max() >= E.shape[0]:
        raise ValueError(f"question must index rows of embeddings (< {E.shape[0]}), got {q.tolist()}")
    X = E[q] - E[q].mean(0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    return X @ Vt[:2].T


def auc(scores: Any, labels: Any) -> float:
    """Area under the ROC curve: P(score of a random positive > score of a random negative), ties ½."""
    s = validate.array("scores", scores, ndim=1)
    y = validate.array("labels", labels, ndim=1, dtype=bool)
    if s.shape != y.shape:
        raise ValueError(f"scores and labels must have the same length, got {s.size} and {y.size}")
    if y.all() or not y.any():
        raise ValueError("labels must contain both positives and negatives")
    pos, neg = s[y], s[~y]
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return float(greater + 0.5 * ties)


# --------------------------------------------------------------------------- anisotropy (§ 4.2)


def _unit_rows(E: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.where(norms > 0, norms, 1.0)


def mean_cosine(embeddings: Any) -> float:
    """Average cosine similarity between two distinct words: 0 for an isotropic cloud (Ethayarajh 2019)."""
    E = validate.array("embeddings", embeddings, ndim=2, min_size=2)
    if E.shape[0] < 2:
        raise ValueError("embeddings must hold at least two words")
    U = _unit_rows(E)
    s = U.sum(0)
    n = U.shape[0]
    return float((s @ s - np.sum(U * U)) / (n * (n - 1)))


def isotropy(embeddings: Any) -> float:
    """The isotropy measure of Mu and Viswanath (2018): min_c Z(c) / max_c Z(c), Z(c) = Σ_w exp⟨c, v_w⟩,
    over the unit eigenvectors c of VᵀV. It is 1 for a perfectly isotropic set of vectors."""
    E = validate.array("embeddings", embeddings, ndim=2)
    _, vecs = np.linalg.eigh(E.T @ E)
    logits = E @ vecs  # (V, d): ⟨c_i, v_w⟩ for each eigenvector c_i
    top = logits.max(0)
    log_z = top + np.log(np.exp(logits - top).sum(0))
    return float(np.exp(log_z.min() - log_z.max()))


def all_but_the_top(embeddings: Any, n_components: int) -> np.ndarray:
    """Mu and Viswanath's post-processing: subtract the mean vector, then remove the projections on the
    top ``n_components`` principal directions (§ 4.2)."""
    E = validate.array("embeddings", embeddings, ndim=2)
    D = validate.integer("n_components", n_components, low=0, high=E.shape[1] - 1)
    X = E - E.mean(0)
    if D == 0:
        return X
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    top = Vt[:D]
    return X - (X @ top.T) @ top


def similarity_correlation(embeddings: Any, reference: Any) -> float:
    """Spearman correlation between the cosine similarities of ``embeddings`` and of ``reference`` over all
    pairs of distinct words: a word-similarity benchmark whose gold scores are the planted geometry."""
    from scipy.stats import spearmanr

    E = validate.array("embeddings", embeddings, ndim=2)
    R = validate.array("reference", reference, ndim=2)
    if E.shape[0] != R.shape[0]:
        raise ValueError(f"embeddings and reference must have the same number of rows, got {E.shape[0]} and {R.shape[0]}")
    iu = np.triu_indices(E.shape[0], k=1)
    a, b = _unit_rows(E), _unit_rows(R)
    sim_e, sim_r = (a @ a.T)[iu], (b @ b.T)[iu]
    if sim_e.size < 2 or np.ptp(sim_e) == 0 or np.ptp(sim_r) == 0:
        raise ValueError("the correlation is undefined: need at least three words and cosines that are not all equal")
    return float(spearmanr(sim_e, sim_r).statistic)


# --------------------------------------------------------------------------- real text (§ 4.6)


def real_corpus(*, min_count: int = 5) -> tuple[list[str], np.ndarray, list[list[str]]]:
    """The Lee background corpus that ships inside gensim's test data (§ 4.6; no download).

    About 6·10⁴ words of Australian news text. Lower-cased, split on letters; words seen fewer than
    ``min_count`` times are dropped. Returns the vocabulary (most frequent first), the token ids and the
    sentences (lists of kept words, for gensim).
    """
    import re
    from collections import Counter

    from gensim.test.utils import datapath

    min_count = validate.integer("min_count", min_count, low=1)
    with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
        lines = [re.findall(r"[a-z]+", line.lower()) for line in fh if line.strip()]
    counts = Counter(w for line in lines for w in line)
    vocab = [w for w, c in counts.most_common() if c >= min_count]
    index = {w: i for i, w in enumerate(vocab)}
    sentences = [[w for w in line if w in index] for line in lines]
    tokens = np.array([index[w] for line in sentences for w in line], dtype=np.int64)
    return vocab, tokens, sentences


def train_gensim(sentences: Sequence[Sequence[str]], cfg: SGNSConfig, *, epochs: int, seed: int) -> Any:
    """gensim's Word2Vec (skip-gram, negative sampling, no subsampling) with the settings of ``cfg`` (§ 4.6).

    One worker thread, so that its words per second compare with ours on the same cores. Returns the model.
    """
    from gensim.models import Word2Vec

    if not isinstance(cfg, SGNSConfig):
        raise ValueError(f"cfg must be an SGNSConfig, got {type(cfg).__name__}")
    epochs = validate.integer("epochs", epochs, low=1)
    seed = validate.integer("seed", seed, low=0)
    if isinstance(sentences, str) or len(sentences) == 0:
        raise ValueError("sentences must be a non-empty list of lists of words")
    return Word2Vec(sentences, sg=1, negative=cfg.negatives, window=cfg.window, vector_size=cfg.dim, min_count=1,
                    sample=0, ns_exponent=cfg.noise_power, epochs=epochs, workers=1, seed=seed)


def evaluate_real(vectors: Any, vocab: Sequence[str]) -> dict[str, float]:
    """WordSim-353 and SimLex-999 Spearman correlations and questions-words analogy accuracy, on the
    in-vocabulary part of each set (gensim's evaluators and test data; § 4.6)."""
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    vectors = validate.array("vectors", vectors, ndim=2)
    if len(vocab) != vectors.shape[0]:
        raise ValueError(f"vocab has {len(vocab)} words but vectors has {vectors.shape[0]} rows")
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(list(vocab), vectors.astype(np.float32))
    ws = kv.evaluate_word_pairs(datapath("wordsim353.tsv"))
    sl = kv.evaluate_word_pairs(datapath("simlex999.txt"))
    acc, sections = kv.evaluate_word_analogies(datapath("questions-words.txt"))
    total = next(s for s in sections if s["section"] == "Total accuracy")
    return {"wordsim353": float(ws[1][0]), "wordsim353_oov_percent": float(ws[2]), "simlex999": float(sl[1][0]),
            "analogy_accuracy": float(acc), "analogy_questions": len(total["correct"]) + len(total["incorrect"])}


# --------------------------------------------------------------------------- solvable word2vec (§ 4.5)


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

    dim: int = 16
    init_scale: float = 1e-4
    lr: float = 0.002
    steps: int = 1000
    eval_every: int = 5
    negatives: int = 5

    @classmethod
    def fast(cls) -> QWEMConfig:
        return cls()

    @classmethod
    def full(cls) -> QWEMConfig:
        return cls(dim=64, init_scale=1e-6, lr=0.0005, steps=8000, eval_every=10)

    def check(self) -> None:
        validate.integer("dim", self.dim, low=1)
        validate.real("init_scale", self.init_scale, low=0.0, low_open=True)
        validate.real("lr", self.lr, low=0.0, low_open=True)
        steps = validate.integer("steps", self.steps, low=1)
        every = validate.integer("eval_every", self.eval_every, low=1)
        if steps % every:
            raise ValueError(f"steps ({steps}) must be a multiple of eval_every ({every})")
        validate.integer("negatives", self.negatives, low=1)


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


# --------------------------------------------------------------------------- words made of binary attributes (§ 4.5)


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

    n_attributes: int = 8
    strength: tuple[float, float] = (0.4, 0.15)
    n_pairs: int = 40_000_000
    n_questions: int = 50

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

    def check(self) -> None:
        validate.integer("n_attributes", self.n_attributes, low=2, high=12)
        if not isinstance(self.strength, tuple) or len(self.strength) != 2:
            raise ValueError(f"strength must be a pair (high, low), got {self.strength!r}")
        low = validate.real("strength[1]", self.strength[1], low=0.0, high=1.0, low_open=True, high_open=True)
        validate.real("strength[0]", self.strength[0], low=low, high=1.0, high_open=True)
        validate.integer("n_pairs", self.n_pairs, low=1000)
        validate.integer("n_questions", self.n_questions, low=1)


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
    """Symmetric co-occurrence counts of a corpus of ``n_pairs`` pairs drawn from ``probs`` (§ 4.5; Korchinski et al. 2025).

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
    """Eigenvalues of the matrix M_ij = F[i XOR j] on the 2^K words of :func:`attribute_words` (§ 4.5; Korchinski et al. 2025).

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
    """3CosAdd accuracy in JAX (a, b, c excluded), the same rule as :func:`analogy_predictions`."""
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


# --------------------------------------------------------------------------- exercises (exercises/04-embedding-geometry)


def relation_paraphrase_error(pmi_matrix: Any, vocab: Vocabulary, relation: int) -> float:
    """Root-mean-square paraphrase error (:func:`paraphrase_error`) over the questions of one relation."""
    if not isinstance(vocab, Vocabulary):
        raise ValueError(f"vocab must be a Vocabulary, got {type(vocab).__name__}")
    relation = validate.integer("relation", relation, low=0, high=len(vocab.relation_names) - 1)
    q = vocab.questions[vocab.question_relation == relation]
    return float(np.sqrt(np.mean(paraphrase_error(pmi_matrix, q) ** 2)))


def check_sgns_optimum(value: Any, *, n_wc: float, n_w: float, n_c: float, total: float, negatives: int) -> float:
    """Exercise: the optimal SGNS dot product of one pair (Levy and Goldberg 2014, § 4.2)."""
    expected = math.log(n_wc * total / (n_w * n_c)) - math.log(negatives)
    return selfcheck.number(
        "x_star", value, expected, rtol=1e-3, atol=1e-3,
        hint="x* = PMI(w, c) − log k, with PMI = log(#(w,c)·D / (#(w)·#(c))); natural logarithms.",
        explain=f"x* = PMI − log k = {expected:.4f}.",
    )


def check_pmi_function(fn: Any) -> None:
    """Exercise: a function computing PMI from a co-occurrence matrix with positive entries."""
    rng = np.random.default_rng(0)
    cases = [(np.array([[4.0, 1.0], [1.0, 4.0]]),), (rng.integers(1, 50, size=(5, 5)).astype(float),),
             (np.outer([1.0, 2.0, 3.0], [3.0, 1.0, 2.0]),)]
    selfcheck.function("pmi_of", fn, pmi, cases, rtol=1e-6, atol=1e-9,
                       hint="PMI(w, c) = log #(w,c) + log D − log #(w) − log #(c), with row sums, column sums and the total.")


def check_planted_relation(predicted_works: Any, *, vocab: Any, counts: Any, cfg: Any, relation: int) -> bool:
    """Exercise: the prediction, from PMI alone, of whether 3CosAdd analogies work along a planted relation.

    The check measures the truth itself: the accuracy of a rank-d SVD of PPMI on the relation's questions;
    analogies "work" when at least half are answered.
    """
    for name, value in (("cfg", cfg), ("vocab", vocab), ("counts", counts), ("predicted_works", predicted_works)):
        selfcheck.answered(name, value)
    if not isinstance(cfg, CorpusConfig):
        raise selfcheck.WrongAnswer(f"cfg should be an embeddings.CorpusConfig, got {type(cfg).__name__}.")
    if cfg.n_relations != 7:
        raise selfcheck.WrongAnswer(f"cfg.relation_noise should have seven entries, got {cfg.relation_noise}.")
    if not isinstance(vocab, Vocabulary):
        raise selfcheck.WrongAnswer(f"vocab should be the Vocabulary returned by planted_corpus, got {type(vocab).__name__}.")
    if np.shape(counts) != (vocab.size, vocab.size):
        raise selfcheck.WrongAnswer(
            f"counts should be the ({vocab.size}, {vocab.size}) co-occurrence matrix, got shape {np.shape(counts)}.")
    relation = validate.integer("relation", relation, low=0, high=len(vocab.relation_names) - 1)
    emb = svd_embeddings(pmi(counts, positive=True), cfg.dim)
    q = vocab.questions[vocab.question_relation == relation]
    accuracy = analogy_accuracy(emb, q)
    works = accuracy >= 0.5
    return selfcheck.boolean(
        "predicted_works", predicted_works, works,
        why=f"along this relation 3CosAdd answers {accuracy:.0%} of the questions, so analogies "
            f"{'work' if works else 'do not work'} (the bar is 50%).",
    )


def check_negatives_hypothesis(changes_slope: Any, slopes: Any, intercepts: Any, *, negatives: Sequence[int]) -> bool:
    """Exercise: does the number of negatives k change the slope of w·c on PMI, or only the intercept?

    ``slopes`` and ``intercepts`` are the student's fits, one per entry of ``negatives``; the check first
    makes sure the intercepts track −log k (so the fits are real), then judges the yes/no answer.
    """
    for name, value in (("slopes", slopes), ("intercepts", intercepts), ("changes_slope", changes_slope)):
        selfcheck.answered(name, value)
    ks = [validate.integer("negatives[i]", k, low=1) for k in negatives]
    try:
        sl = np.asarray(slopes, dtype=float)
        ic = np.asarray(intercepts, dtype=float)
    except (TypeError, ValueError):
        raise selfcheck.WrongAnswer("slopes and intercepts should be lists of numbers, one per k.") from None
    if sl.shape != (len(ks),) or ic.shape != (len(ks),):
        raise selfcheck.WrongAnswer(f"slopes and intercepts should each hold {len(ks)} numbers, one per k in {ks}.")
    expected_ic = -np.log(ks)
    if np.any(np.abs(ic - expected_ic) > 0.3):
        raise selfcheck.WrongAnswer(
            f"your intercepts {np.round(ic, 2).tolist()} are far from −log k = {np.round(expected_ic, 2).tolist()}: "
            "fit w·c against PMI with shifted_pmi_fit on frequent pairs, after training long enough.")
    moved = bool(np.ptp(sl) > 0.1)
    return selfcheck.boolean(
        "changes_slope", changes_slope, moved,
        why="the theory says w·c = PMI − log k: k moves the intercept, not the slope"
            + (", and your slopes agree within 0.1." if not moved else ", yet your slopes differ by more than 0.1."),
    )


def check_polygon_dimensionality(value: Any, *, k: int) -> float:
    """Exercise: the feature dimensionality of k features evenly spread on a circle (§ 4.4)."""
    from dltheory.embeddings_superposition import derive_polygon_dimensionality

    expected = float(derive_polygon_dimensionality(k))
    return selfcheck.number("D", value, expected, rtol=1e-6, atol=1e-6,
                            hint="D = ‖W_i‖² / Σ_j (Ŵ_i·W_j)² with unit vectors at angles 2πj/k; use cos²θ = (1 + cos 2θ)/2.")
