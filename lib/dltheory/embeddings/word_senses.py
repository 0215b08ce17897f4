"""Chapter 4, § 4.9 (``chapters/04-embedding-geometry/09-word-senses.md``): word senses in superposition.

Arora, Li, Liang, Ma and Risteski (2018): the vector of a polysemous word is close to a linear combination
of the vectors of its senses, and sparse coding of word vectors recovers directions with a meaning. We
make polysemous words on purpose: merging two words of a planted RAND-WALK corpus
(:mod:`dltheory.embeddings.corpus`) into one pseudo-word sums their rows and columns of co-occurrence counts,
so its PMI row is exactly log(φ e^PMI₁ + (1 − φ) e^PMI₂), with φ the first word's frequency share (derived
with sympy); we re-embed, regress, and code the vectors sparsely.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from dltheory import validate
from dltheory.embeddings import corpus, geometry
from dltheory.embeddings.rand_walk import procrustes_error

__all__ = ["merge_words", "derive_merged_pmi", "sense_regression", "sparse_dictionary", "best_cosines",
           "SensesResult", "run_senses"]


def merge_words(counts: Any, i: int, j: int) -> np.ndarray:
    """Co-occurrence counts after replacing every occurrence of word ``j`` by word ``i`` (§ 4.9): row and column
    ``j`` are added to ``i`` and removed, so the merged word keeps index ``i`` (``i − 1`` if ``j < i``)."""
    C = validate.array("counts", counts, ndim=2, nonnegative=True, dtype=np.float64)
    n = C.shape[0]
    i = validate.integer("i", i, low=0, high=n - 1)
    j = validate.integer("j", j, low=0, high=n - 1)
    if i == j:
        raise ValueError(f"i and j must be two different words, got {i} twice")
    C = C.copy()
    C[i] += C[j]
    C[:, i] += C[:, j]
    return np.delete(np.delete(C, j, axis=0), j, axis=1)


def derive_merged_pmi() -> dict[str, Any]:
    """Derive, with sympy, the PMI row of a merged word and its expansion (§ 4.9).

    With p(w, x) = p(w₁, x) + p(w₂, x) and p(w) = p(w₁) + p(w₂), PMI(w, x) = log(φ e^P₁ + (1 − φ) e^P₂) exactly,
    with P_k = PMI(w_k, x) and φ = p(w₁)/p(w). Its expansion around P₁ = P₂ = 0 starts with the frequency-weighted
    sum φ P₁ + (1 − φ) P₂, and the next term is φ(1 − φ)(P₁ − P₂)²/2. Returns ``exact``, ``first_order``,
    ``second_order`` and the symbols.
    """
    import sympy as sp

    p1, p2 = sp.symbols("P_1 P_2", real=True)
    phi, t = sp.symbols("phi t", positive=True)
    exact = sp.log(phi * sp.exp(p1) + (1 - phi) * sp.exp(p2))
    series = sp.series(exact.subs({p1: t * p1, p2: t * p2}), t, 0, 3).removeO()
    first = sp.simplify(series.coeff(t, 1))
    second = sp.factor(sp.simplify(series.coeff(t, 2)))
    return {"exact": exact, "first_order": first, "second_order": second,
            "symbols": {"P_1": p1, "P_2": p2, "phi": phi}}


def sense_regression(merged: Any, v1: Any, v2: Any) -> tuple[float, float, float]:
    """Least squares merged ≈ α v1 + β v2 (no intercept): returns α, β and R² = 1 − ‖residual‖²/‖merged‖²."""
    y = validate.array("merged", merged, ndim=1)
    X = np.stack([validate.array("v1", v1, shape=y.shape), validate.array("v2", v2, shape=y.shape)], axis=1)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    r2 = 1.0 - float(np.sum((y - X @ coef) ** 2) / np.sum(y**2))
    return float(coef[0]), float(coef[1]), r2


def _align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal R minimising ‖source R − target‖_F."""
    U, _, Vt = np.linalg.svd(source.T @ target, full_matrices=False)
    return U @ Vt


def sparse_dictionary(x: Any, n_atoms: int, n_nonzero: int, *, key: jax.Array, n_iter: int = 40) -> np.ndarray:
    """A dictionary of ``n_atoms`` unit atoms (rows) for the rows of ``x``, each coded with at most ``n_nonzero``
    atoms (§ 4.9): orthogonal matching pursuit for the codes, least squares for the atoms, alternating
    ``n_iter`` times from atoms drawn among the rows of ``x`` (the scheme of k-SVD without its rank-1 updates)."""
    from sklearn.linear_model import orthogonal_mp_gram

    X = validate.array("x", x, ndim=2)
    n_atoms = validate.integer("n_atoms", n_atoms, low=1, high=X.shape[0])
    n_nonzero = validate.integer("n_nonzero", n_nonzero, low=1, high=min(n_atoms, X.shape[1]))
    n_iter = validate.integer("n_iter", n_iter, low=1)
    pick = np.asarray(jax.random.choice(key, X.shape[0], (n_atoms,), replace=False))
    A = X[pick] / np.linalg.norm(X[pick], axis=1, keepdims=True)
    for _ in range(n_iter):
        with warnings.catch_warnings():  # OMP warns when two atoms are nearly parallel; the code is still valid
            warnings.simplefilter("ignore", RuntimeWarning)
            codes = orthogonal_mp_gram(A @ A.T, A @ X.T, n_nonzero_coefs=n_nonzero).T  # (n, n_atoms)
        A_new, *_ = np.linalg.lstsq(codes, X, rcond=None)
        norms = np.linalg.norm(A_new, axis=1, keepdims=True)
        A = np.where(norms > 1e-12, A_new / np.where(norms > 1e-12, norms, 1.0), A)  # unused atoms stay
    return A


def best_cosines(atoms: Any, directions: Any) -> np.ndarray:
    """For each direction (row), the largest |cosine| with any atom (row of ``atoms``)."""
    A = validate.array("atoms", atoms, ndim=2)
    D = validate.array("directions", directions, ndim=2)
    if A.shape[1] != D.shape[1]:
        raise ValueError(f"atoms and directions must have the same dimension, got {A.shape[1]} and {D.shape[1]}")
    A = A / np.linalg.norm(A, axis=1, keepdims=True)
    D = D / np.linalg.norm(D, axis=1, keepdims=True)
    return np.abs(D @ A.T).max(1)


@dataclasses.dataclass(frozen=True)
class SensesResult:
    """What :func:`run_senses` measures (§ 4.9); arrays have a leading seed axis."""

    seeds: list[int]
    r2: np.ndarray            # (n_seeds, n_pairs) R² of the merged vector on its two senses
    r2_null: np.ndarray       # (n_seeds, n_pairs) R² on two random other words
    share: np.ndarray         # (n_seeds, n_pairs) frequency share φ of the frequent word
    weight: np.ndarray        # (n_seeds, n_pairs) α/(α + β), the weight of the frequent word
    cos_best: np.ndarray      # (n_seeds, n_exact) best |cosine| of an atom with each exact relation
    cos_null: np.ndarray      # (n_seeds, n_exact) the same for a dictionary of random vectors
    align_error: np.ndarray   # (n_seeds, n_pairs) Procrustes error of the re-embedding on the other words


def run_senses(seeds: Sequence[int], cfg: corpus.CorpusConfig, *, n_pairs: int = 40, n_atoms: int = 64,
               n_nonzero: int = 4) -> SensesResult:
    """For each seed, the planted corpus of ``jax.random.key(seed)`` (§ 4.9): ``n_pairs`` pseudo-words, each a
    word of the most frequent third merged with one of the least frequent third, re-embedded and regressed on
    their senses; and a sparse dictionary of the embedding compared with the exact relations' directions.

    The linear algebra runs with one BLAS thread (threadpoolctl, a dependency of scikit-learn): its matrices are
    V × V with V in the hundreds, where a second thread only adds synchronisation (3x the CPU time on two cores).
    """
    from threadpoolctl import threadpool_limits

    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    n_pairs = validate.integer("n_pairs", n_pairs, low=2)
    with threadpool_limits(1):
        return _run_senses(seeds, cfg, n_pairs, n_atoms, n_nonzero)


def _run_senses(seeds: list[int], cfg: corpus.CorpusConfig, n_pairs: int, n_atoms: int,
                n_nonzero: int) -> SensesResult:
    out: dict[str, list[Any]] = {k: [] for k in ("r2", "r2n", "share", "w", "cos", "cosn", "al")}
    exact = [r for r, eta in enumerate(cfg.relation_noise) if eta == 0]
    for seed in seeds:
        k_corpus, k_pairs, k_null, k_dict, k_rand = jax.random.split(jax.random.key(seed), 5)
        vocab, tokens = corpus.planted_corpus(k_corpus, cfg)
        counts = corpus.cooccurrence(tokens, vocab.size, cfg.window)
        E = geometry.svd_embeddings(corpus.pmi(counts, positive=True), cfg.dim)
        order = np.argsort(counts.sum(1))[::-1]
        third = vocab.size // 3
        hi = np.asarray(jax.random.choice(k_pairs, order[:third], (n_pairs,), replace=False))
        lo = np.asarray(jax.random.choice(jax.random.fold_in(k_pairs, 1), order[-third:], (n_pairs,), replace=False))
        rows = {k: [] for k in ("r2", "r2n", "share", "w", "al")}
        for p, (i, j) in enumerate(zip(hi, lo)):
            merged = merge_words(counts, int(i), int(j))
            Em = geometry.svd_embeddings(corpus.pmi(merged, positive=True), cfg.dim)
            keep = np.delete(np.arange(vocab.size), [i, j])
            keep_m = np.where(keep > j, keep - 1, keep)          # their rows in the merged matrix
            R = _align(Em[keep_m], E[keep])
            v = Em[i - (1 if j < i else 0)] @ R
            a, b, r2 = sense_regression(v, E[i], E[j])
            others = np.asarray(jax.random.choice(jax.random.fold_in(k_null, p), keep, (2,), replace=False))
            rows["r2"].append(r2)
            rows["r2n"].append(sense_regression(v, E[others[0]], E[others[1]])[2])
            rows["share"].append(counts[i].sum() / (counts[i].sum() + counts[j].sum()))
            rows["w"].append(a / (a + b))
            rows["al"].append(procrustes_error(Em[keep_m] @ R, E[keep]))
        for k in rows:
            out[k].append(rows[k])
        directions = np.stack([np.mean([E[q[1]] - E[q[0]] for q in vocab.questions[vocab.question_relation == r]],
                                       axis=0) for r in exact])
        out["cos"].append(best_cosines(sparse_dictionary(E, n_atoms, n_nonzero, key=k_dict), directions))
        Rnd = np.asarray(jax.random.normal(k_rand, E.shape)) * E.std()
        out["cosn"].append(best_cosines(sparse_dictionary(Rnd, n_atoms, n_nonzero, key=k_dict), directions))
    return SensesResult(seeds=seeds, r2=np.array(out["r2"]), r2_null=np.array(out["r2n"]),
                        share=np.array(out["share"]), weight=np.array(out["w"]), cos_best=np.array(out["cos"]),
                        cos_null=np.array(out["cosn"]), align_error=np.array(out["al"]))
