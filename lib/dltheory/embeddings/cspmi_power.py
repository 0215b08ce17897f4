"""Chapter 4, § 4.8 (``chapters/04-embedding-geometry/08-linear-analogies.md``): the csPMI criterion in its own regime.

Ethayarajh, Duvenaud and Hirst (2019) prove that, under an exact factorisation of (shifted) PMI, a linear analogy
holds over a relation's pairs iff csPMI is the same for every pair; the identity underneath,
‖w_x − w_y‖² = −csPMI(x, y) + log p(x | x) + log p(y | y), makes csPMI the whole story only where the per-word
term log p(w | w) is (nearly) the same for every word. In RAND-WALK that term is (κ + 1/2)‖v_w‖²/d − log Z, so the
regime is an *equal-scale* vocabulary: every word's vector entries have the same standard deviation
(:func:`criterion_config`, :func:`equal_norm`). This module sets up that design (sixteen relations of graded offset noise) and
computes its statistical power before any corpus is sampled: the population co-occurrence of the planted
vectors (a Monte-Carlo average over the discourse walk, pooled over the window's offsets) with Poisson count
noise in place of a corpus, pushed through the very code that judges the corpora
(:func:`dltheory.embeddings.linear_analogies.criterion_statistics`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import validate
from dltheory.embeddings import corpus
from dltheory.embeddings import linear_analogies as la
from dltheory.embeddings import rand_walk

__all__ = ["EQUAL_SCALE_NOISE", "criterion_config", "equal_norm", "criterion_vocabulary", "run_criterion", "expected_counts", "poisson_counts", "criterion_power", "summarise"]

#: Offset noise η of the sixteen relations of the equal-scale design: 0, 0.15, ..., 2.25.
EQUAL_SCALE_NOISE = tuple(round(0.15 * r, 2) for r in range(16))


def criterion_config(cfg: corpus.CorpusConfig, *, scale: float = 1.3) -> corpus.CorpusConfig:
    """The design of the criterion test in the theorem's regime (§ 4.8), from the page's corpus ``cfg``: the
    sixteen relations of :data:`EQUAL_SCALE_NOISE`, twice the families (each relation then has about twelve
    pairs), as many filler words as keep the vocabulary size, twice the tokens, and every word of entries of
    standard deviation ``scale`` (:func:`equal_norm` then puts every vector at norm ``scale``·√d)."""
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    scale = validate.real("scale", scale, low=0.0, low_open=True)
    n_families = 2 * cfg.n_families
    if 4 * n_families > cfg.vocab_size:
        raise ValueError(f"cfg's vocabulary ({cfg.vocab_size} words) cannot hold {n_families} families of four")
    return dataclasses.replace(cfg, scale=(scale, scale), n_families=n_families,
                               n_filler=cfg.vocab_size - 4 * n_families, n_tokens=2 * cfg.n_tokens,
                               relation_noise=EQUAL_SCALE_NOISE)


def equal_norm(vocab: corpus.Vocabulary, cfg: corpus.CorpusConfig) -> corpus.Vocabulary:
    """``vocab`` with every vector rescaled to the norm ``cfg.scale[0]``·√d (§ 4.8): then ⟨v_w, c⟩ has the same
    law for every word, so log p(w) and the per-word term log p(w | w) hardly vary, the csPMI theorem's regime.
    A relation's offsets b − a stay close to parallel but are no longer exact, even at η = 0."""
    if not isinstance(vocab, corpus.Vocabulary) or not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError("vocab must be a Vocabulary and cfg a CorpusConfig")
    v = vocab.vectors
    radius = cfg.scale[0] * np.sqrt(v.shape[1])
    return dataclasses.replace(vocab, vectors=v * (radius / np.linalg.norm(v, axis=1, keepdims=True)))


def criterion_vocabulary(key: jax.Array, cfg: corpus.CorpusConfig, *, normalise: bool = True) -> corpus.Vocabulary:
    """The planted vocabulary of ``key`` (:func:`corpus.planted_vocabulary`), of equal norms if ``normalise``."""
    vocab = corpus.planted_vocabulary(key, cfg)
    return equal_norm(vocab, cfg) if normalise else vocab


def run_criterion(seeds: Sequence[int], cfg: corpus.CorpusConfig, *, normalise: bool = True,
                  null_draws: int = 1) -> la.CriterionResult:
    """The csPMI criterion on corpora of the equal-norm design (§ 4.8): for each seed, the vocabulary of
    :func:`criterion_vocabulary` and a corpus sampled from it (keys split from ``jax.random.key(seed)`` as in
    :func:`corpus.planted_corpus`), judged by :func:`linear_analogies.criterion_statistics` with its random-pair
    null, averaged over ``null_draws`` draws of the random pairs per corpus."""
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    null_draws = validate.integer("null_draws", null_draws, low=1)
    rows = []
    for seed in seeds:
        k_corpus, k_null = jax.random.split(jax.random.key(seed))
        k_voc, k_tokens = jax.random.split(k_corpus)
        vocab = criterion_vocabulary(k_voc, cfg, normalise=normalise)
        tokens = corpus.sample_corpus(k_tokens, vocab.vectors, cfg.n_tokens, cfg.persistence)
        rows.append(la.criterion_statistics(k_null, corpus.cooccurrence(tokens, vocab.size, cfg.window), vocab, cfg,
                                            null_draws=null_draws))
    return la.criterion_result(seeds, cfg.relation_noise, rows)


def expected_counts(key: jax.Array, vectors: Any, n_tokens: int, persistence: float, window: int, *,
                    n_samples: int = 81_920) -> np.ndarray:
    """The expected ordered co-occurrence counts E #(w → w') of a RAND-WALK corpus of ``n_tokens`` tokens (§ 4.8):
    Σ_Δ (T − Δ) E[p(w | c_t) p(w' | c_(t+Δ))] over offsets Δ = 1..``window``, each expectation a Monte-Carlo
    average over ``n_samples`` pairs of discourse vectors ρ^Δ apart (Arora et al. 2016); symmetrised."""
    vectors = validate.array("vectors", vectors, ndim=2)
    n_tokens = validate.integer("n_tokens", n_tokens, low=2)
    rho = validate.real("persistence", persistence, low=0.0, high=1.0, high_open=True)
    window = validate.integer("window", window, low=1, high=n_tokens - 1)
    n_samples = validate.integer("n_samples", n_samples, low=4096)
    V = jnp.asarray(vectors, dtype=jnp.float32)
    blocks = n_samples // 4096
    out = np.zeros((vectors.shape[0],) * 2)
    for delta in range(1, window + 1):
        joint = np.zeros_like(out)
        for b in range(blocks):
            k = jax.random.fold_in(jax.random.fold_in(key, delta), b)
            joint += np.asarray(rand_walk._population_joint(k, V, jnp.float32(rho**delta)), dtype=np.float64)
        out += (n_tokens - delta) * joint / (blocks * 4096)
    return (out + out.T) / 2


def poisson_counts(key: jax.Array, expected: Any) -> np.ndarray:
    """A symmetric count matrix C + Cᵀ with C ~ Poisson(``expected``) entry by entry: the counts of
    :func:`corpus.cooccurrence` with independent Poisson noise in place of a corpus's (burstier) noise."""
    expected = validate.array("expected", expected, ndim=2, nonnegative=True, dtype=np.float64)
    C = np.asarray(jax.random.poisson(key, jnp.asarray(expected, dtype=jnp.float32)), dtype=np.int64)
    return C + C.T


def criterion_power(key: jax.Array, cfg: corpus.CorpusConfig, n_vocabularies: int, *, n_draws: int = 2,
                    n_samples: int = 81_920, normalise: bool = True) -> la.CriterionResult:
    """The power of the criterion test before any corpus (§ 4.8): for each of ``n_vocabularies`` planted
    vocabularies of ``cfg`` (keys folded from ``key``), ``n_draws`` Poisson count matrices around the expected
    counts of a corpus of ``cfg.n_tokens`` tokens (:func:`expected_counts`, :func:`poisson_counts`), each judged by
    :func:`linear_analogies.criterion_statistics` with its random-pair null. One row per (vocabulary, draw); the
    result's ``seeds`` are the row indices."""
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    n_vocabularies = validate.integer("n_vocabularies", n_vocabularies, low=1)
    n_draws = validate.integer("n_draws", n_draws, low=1)
    rows = []
    for v in range(n_vocabularies):
        k_voc, k_pop, k_draw = jax.random.split(jax.random.fold_in(key, v), 3)
        vocab = criterion_vocabulary(k_voc, cfg, normalise=normalise)
        mean = expected_counts(k_pop, vocab.vectors, cfg.n_tokens, cfg.persistence, cfg.window, n_samples=n_samples)
        for n in range(n_draws):
            k_counts, k_null = jax.random.split(jax.random.fold_in(k_draw, n))
            rows.append(la.criterion_statistics(k_null, poisson_counts(k_counts, mean), vocab, cfg))
    return la.criterion_result(range(len(rows)), cfg.relation_noise, rows)


def summarise(values: Sequence[float]) -> dict[str, float]:
    """Mean, standard deviation, and the 5th and 95th percentiles of ``values`` (for the power table)."""
    x = validate.array("values", values, ndim=1, min_size=2, dtype=np.float64)
    return {"mean": float(x.mean()), "sd": float(x.std(ddof=1)), "p05": float(np.quantile(x, 0.05)),
            "p95": float(np.quantile(x, 0.95))}
