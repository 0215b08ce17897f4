"""Chapter 4, § 4.1 (``chapters/04-embedding-geometry/01-rand-walk.md``): the RAND-WALK model of Arora et al. (2016).

PMI of a planted corpus against the law PMI(w, w') ≈ κ⟨v_w, v_w'⟩/d, with the shuffled corpus as the
negative control; the same law in the population (no corpus) as the vocabulary grows; recovery of the
planted vectors from PMI up to rotation; and the derivation of the law with sympy. The corpus itself is in
:mod:`dltheory.embeddings.corpus`.
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

from dltheory import validate
from dltheory.embeddings import corpus, geometry

__all__ = [
    "isotropic_vectors",
    "population_pmi",
    "population_slopes",
    "population_slope_block",
    "derive_randwalk_pmi",
    "derive_unit_sphere_slope",
    "procrustes_error",
    "RandWalkResult",
    "run_randwalk",
    "corpus_sweep",
    "save_corpus_sweep",
    "load_corpus_sweep",
    "CORPUS_SWEEP_FILE",
]

#: the saved sweep over corpora 0–9 shipped with the library, in ``dltheory/data/``
CORPUS_SWEEP_FILE = "04-embedding-geometry-randwalk-corpora.json"
_SWEEP_VALUES = ("corr", "corr_shuffled", "recovery_error", "random_recovery_error")


def isotropic_vectors(key: jax.Array, n_words: int, dim: int, scale: tuple[float, float] = (1.0, 1.6)) -> np.ndarray:
    """Word vectors v = s·g with g ~ N(0, I_d) and s ~ U(scale): the isotropic prior of RAND-WALK (§ 4.1)."""
    n_words = validate.integer("n_words", n_words, low=1)
    dim = validate.integer("dim", dim, low=1)
    lo, hi = corpus.scale_pair("scale", scale)
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


@functools.partial(jax.jit, static_argnames="n_keep")
def _population_block(key: jax.Array, vectors: jax.Array, rho: jax.Array, n_keep: int) -> tuple[jax.Array, ...]:
    """One block of 4096 discourse-vector pairs: the joint of the first ``n_keep`` words (only that block is
    multiplied out, (n_keep × 4096)·(4096 × n_keep)) and the marginals of all words."""
    k1, k2 = jax.random.split(key)
    u1 = jax.random.normal(k1, (4096, vectors.shape[1]))
    u2 = rho * u1 + jnp.sqrt(1.0 - rho**2) * jax.random.normal(k2, u1.shape)
    p1, p2 = (jax.nn.softmax((u / jnp.linalg.norm(u, axis=1, keepdims=True)) @ vectors.T, axis=-1) for u in (u1, u2))
    return p1[:, :n_keep].T @ p2[:, :n_keep], p1.sum(0) + p2.sum(0)


def population_slope_block(key: jax.Array, n_words: int, dim: int, persistence: float, *, n_keep: int = 256,
                           scale: tuple[float, float] = (1.0, 1.6), n_samples: int = 40_960) -> float:
    """Population slope of PMI on ρ⟨v, v'⟩/d for an isotropic vocabulary of ``n_words`` words (§ 4.1).

    As :func:`population_slopes`, but the joint probabilities are averaged only among the first ``n_keep``
    words (the marginals use the whole vocabulary), so that large vocabularies stay cheap: the slope is
    fitted on the off-diagonal pairs of that block.
    """
    n_words = validate.integer("n_words", n_words, low=2)
    dim = validate.integer("dim", dim, low=1)
    n_keep = validate.integer("n_keep", n_keep, low=2, high=n_words)
    rho = validate.real("persistence", persistence, low=0.0, high=1.0, high_open=True)
    n_samples = validate.integer("n_samples", n_samples, low=4096)
    kv, kp = jax.random.split(key)
    v = isotropic_vectors(kv, n_words, dim, scale)
    V = jnp.asarray(v, dtype=jnp.float32)
    joint, marginal = np.zeros((n_keep, n_keep)), np.zeros(n_words)
    blocks = n_samples // 4096
    for i in range(blocks):
        j, m = _population_block(jax.random.fold_in(kp, i), V, jnp.float32(rho), n_keep)
        joint += np.asarray(j, dtype=np.float64)
        marginal += np.asarray(m, dtype=np.float64)
    joint = (joint + joint.T) / (2 * blocks * 4096)
    marginal = marginal[:n_keep] / (2 * blocks * 4096)
    pmi_block = np.log(joint) - np.log(marginal)[:, None] - np.log(marginal)[None, :]
    off = ~np.eye(n_keep, dtype=bool)
    return geometry.linear_fit(rho * (v[:n_keep] @ v[:n_keep].T)[off] / dim, pmi_block[off])["slope"]


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
        slopes.append(geometry.linear_fit(rho * (v @ v.T)[off] / dim, m[off])["slope"])
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


def derive_unit_sphere_slope() -> dict[str, Any]:
    """Derive, with sympy, the finite-d slope of PMI when the discourse vector is a *unit* vector (§ 4.1).

    The proof of :func:`derive_randwalk_pmi` replaces the uniform unit vector c by a Gaussian N(0, I/d), for
    which log E e^⟨v,c⟩ = ‖v‖²/(2d) exactly. For c uniform on the sphere, write u = ‖u‖ c with u ~ N(0, I_d)
    and ‖u‖ independent of c: E⟨a, c⟩^k = E⟨a, u⟩^k / E‖u‖^k, where ‖u‖² is χ²_d. The fourth cumulant of
    ⟨a, c⟩ is then negative, and log E e^⟨a,c⟩ = r/(2d) − r²/(4d²(d+2)) + O(r³/d⁵) with r = ‖a‖². For two words
    under the same discourse vector (the limit ρ → 1), PMI = F(‖v + v'‖²) − F(‖v‖²) − F(‖v'‖²); its slope on
    ⟨v, v'⟩/d is 1 − (‖v‖² + ‖v'‖²)/(d(d + 2)). With v = s·g, g ~ N(0, I_d) and s ~ U(s₀, s₁), the mean of
    ‖v‖² is d·E[s²], and the slope of the regression over pairs is 1 − 2E[s²]/(d + 2).
    Returns the log-MGF expansion, the pairwise slope, E[s²] and the regression slope, with their symbols.
    """
    import sympy as sp

    r, d, q = sp.symbols("r d q", positive=True)     # r = ‖a‖², q = ‖u‖² ~ χ²_d
    a_, b_ = sp.symbols("a b", positive=True)            # ‖v‖², ‖v'‖²
    g = sp.Symbol("g", real=True)                        # ⟨v, v'⟩
    s, s0, s1 = sp.symbols("s s_0 s_1", positive=True)
    chi2 = q ** (d / 2 - 1) * sp.exp(-q / 2) / (2 ** (d / 2) * sp.gamma(d / 2))
    e_q2 = sp.gammasimp(sp.integrate(q**2 * chi2, (q, 0, sp.oo), conds="none"))  # E‖u‖⁴ = d(d + 2)
    m2 = r / d                                                                     # E⟨a,c⟩² = E⟨a,u⟩²/E‖u‖²
    m4 = sp.simplify(3 * r**2 / e_q2)                                              # E⟨a,u⟩⁴ = 3r²
    kappa4 = sp.simplify(m4 - 3 * m2**2)
    log_mgf = sp.simplify(m2 / 2) + sp.factor(kappa4 / 24)   # cumulant series, up to the fourth order
    F = sp.Lambda(r, log_mgf)
    pmi = sp.expand(F(a_ + b_ + 2 * g) - F(a_) - F(b_))
    pair_slope = sp.factor(sp.diff(pmi, g).subs(g, 0) * d)  # slope on ⟨v, v'⟩/d at g = 0
    mean_s2 = sp.simplify(sp.integrate(s**2, (s, s0, s1)) / (s1 - s0))
    es2 = sp.Symbol("E_s2", positive=True)
    slope = sp.simplify(pair_slope.subs({a_: d * es2, b_: d * es2}))
    return {"moment4": m4, "kappa4": kappa4, "log_mgf": log_mgf, "pmi": pmi, "pair_slope": pair_slope,
            "mean_s2": mean_s2, "slope": slope,
            "symbols": {"r": r, "d": d, "a": a_, "b": b_, "g": g, "s0": s0, "s1": s1, "E_s2": es2}}


def procrustes_error(x: Any, y: Any) -> float:
    """min over orthogonal R of ‖x R − y‖_F / ‖y‖_F: how well x recovers y up to a rotation (§ 4.1)."""
    x = validate.array("x", x, ndim=2)
    y = validate.array("y", y, ndim=2)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    if not np.linalg.norm(y) > 0:
        raise ValueError("y must not be all zeros: the error is relative to its norm")
    if x.shape[1] < y.shape[1]:
        x = np.pad(x, ((0, 0), (0, y.shape[1] - x.shape[1])))
    U, _, Vt = np.linalg.svd(x.T @ y, full_matrices=False)
    R = U @ Vt
    return float(np.linalg.norm(x @ R - y) / np.linalg.norm(y))


@dataclasses.dataclass(frozen=True)
class RandWalkResult:
    """What :func:`run_randwalk` measures on one sampled corpus (§ 4.1)."""

    cfg: corpus.CorpusConfig
    vocab: corpus.Vocabulary
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


def run_randwalk(key: jax.Array, cfg: corpus.CorpusConfig, *, min_expected: float = 50.0) -> RandWalkResult:
    """Sample a planted RAND-WALK corpus and test the PMI law of Arora et al. (2016) on it (§ 4.1).

    Compares the empirical PMI with κ⟨v, v'⟩/d on pairs whose *expected* count #(w)#(w')/D is at least
    ``min_expected`` (selecting on the observed count would bias the slope); repeats the fit on the
    shuffled corpus (negative control); measures how well the rank-d factors of PMI recover the planted
    vectors up to rotation, against random vectors of the same shape; and fits log-frequency on ‖v‖²/(2d).
    """
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    min_expected = validate.real("min_expected", min_expected, low=0.0, low_open=True)
    k_corpus, k_shuffle, k_random = jax.random.split(key, 3)
    vocab, tokens = corpus.planted_corpus(k_corpus, cfg)
    counts = corpus.cooccurrence(tokens, vocab.size, cfg.window)
    pmi_matrix = corpus.pmi(counts)
    kappa = corpus.randwalk_pmi_factor(cfg.persistence, cfg.window)
    predicted = kappa * vocab.vectors @ vocab.vectors.T / cfg.dim
    expected = np.outer(counts.sum(1), counts.sum(0)) / counts.sum()
    mask = (expected >= min_expected) & np.isfinite(pmi_matrix)
    shuffled = corpus.pmi(corpus.cooccurrence(corpus.shuffle_corpus(k_shuffle, tokens), vocab.size, cfg.window))
    mask_s = mask & np.isfinite(shuffled)
    factors = geometry.svd_embeddings(np.where(np.isfinite(pmi_matrix), pmi_matrix, 0.0), cfg.dim, symmetric=True)
    target = vocab.vectors * math.sqrt(kappa / cfg.dim)
    random_target = np.asarray(jax.random.normal(k_random, target.shape)) * np.std(target)
    freq = np.bincount(tokens, minlength=vocab.size)
    return RandWalkResult(
        cfg=cfg, vocab=vocab, tokens=tokens, counts=counts, pmi=pmi_matrix, predicted=predicted, mask=mask,
        fit=geometry.linear_fit(predicted[mask], pmi_matrix[mask]),
        shuffled_pmi=shuffled,
        shuffled_fit=geometry.linear_fit(predicted[mask_s], shuffled[mask_s]),
        recovery_error=procrustes_error(factors, target),
        random_recovery_error=procrustes_error(factors, random_target),
        frequency_fit=geometry.linear_fit((vocab.vectors**2).sum(1) / (2 * cfg.dim), np.log(np.maximum(freq, 1))),
    )


def corpus_sweep(cfg: corpus.CorpusConfig, seeds: Sequence[int], *, min_expected: float = 50.0) -> dict[str, Any]:
    """The page's measurement on the corpus of each seed ``s`` (key ``jax.random.key(s)``), as in § 4.1.

    For each seed, :func:`run_randwalk` is run exactly as the page runs it, and four numbers are kept:
    the PMI correlation ``corr`` and its null on the shuffled corpus ``corr_shuffled``, and the
    Procrustes error ``recovery_error`` and its null against random vectors ``random_recovery_error``.
    Returns those lists, ``seeds`` and ``config`` (the ``repr`` of ``cfg``).
    """
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds, distinct=True)
    out: dict[str, Any] = {"seeds": list(seeds), **{k: [] for k in _SWEEP_VALUES}, "config": repr(cfg)}
    for s in seeds:
        r = run_randwalk(jax.random.key(s), cfg, min_expected=min_expected)
        for k, v in zip(_SWEEP_VALUES, (r.fit["corr"], r.shuffled_fit["corr"], r.recovery_error,
                                        r.random_recovery_error)):
            out[k].append(float(v))
    return out


def save_corpus_sweep(sweep: dict[str, Any], path: Any, *, date: str, device: str, commit: str) -> None:
    """Write a :func:`corpus_sweep` result as JSON with its provenance (``date``, ``device``, ``commit``)."""
    import json

    if not isinstance(sweep, dict):
        raise ValueError(f"sweep must be the dict corpus_sweep returns, got {type(sweep).__name__}")
    missing = {"seeds", "config", *_SWEEP_VALUES} - set(sweep)
    if missing:
        raise ValueError(f"sweep is missing {sorted(missing)}: pass what corpus_sweep returns")
    # Provenance keeps config, date, device and mode; the commit is also named in its config line.
    record = dict(sweep, provenance={"config": f"fast mode, corpora {sweep['seeds']}, code at commit {commit}",
                                     "date": str(date), "device": str(device), "commit": str(commit),
                                     "mode": "fast"})
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1)


def load_corpus_sweep(path: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """A sweep written by :func:`save_corpus_sweep` (default: the one shipped, :data:`CORPUS_SWEEP_FILE`),
    and its provenance for :func:`dltheory.claims.check`. The four measurements come back as arrays.

    Raises ``ValueError`` if the file is not such a sweep (missing keys, or lists of different lengths).
    """
    import json
    from importlib import resources

    if path is None:
        text = (resources.files("dltheory") / "data" / CORPUS_SWEEP_FILE).read_text(encoding="utf-8")
    else:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path or CORPUS_SWEEP_FILE} is not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path or CORPUS_SWEEP_FILE} is not a corpus sweep (not a JSON object)")
    missing = {"seeds", "config", "provenance", *_SWEEP_VALUES} - set(record)
    if missing:
        raise ValueError(f"{path or CORPUS_SWEEP_FILE} is not a corpus sweep: missing {sorted(missing)}")
    provenance = record.pop("provenance")
    n = len(record["seeds"])
    for k in _SWEEP_VALUES:
        record[k] = np.asarray(record[k], dtype=float)
        if record[k].shape != (n,):
            raise ValueError(f"{path or CORPUS_SWEEP_FILE}: {k!r} has shape {record[k].shape}, expected ({n},)")
    return record, provenance
