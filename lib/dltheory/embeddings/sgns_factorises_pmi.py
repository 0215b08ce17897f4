"""Chapter 4, § 4.2 (``chapters/04-embedding-geometry/02-sgns-factorises-pmi.md``): SGNS factorises shifted PMI.

The shifted-PMI identity of Levy and Goldberg (2014), derived with sympy and measured on trained vectors, and
anisotropy: mean cosine (Ethayarajh 2019), isotropy and all-but-the-top (Mu and Viswanath 2018), with a
word-similarity benchmark whose gold scores are the planted geometry. SGNS training itself is in
:mod:`dltheory.embeddings.sgns`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dltheory import validate
from dltheory.embeddings import corpus, geometry

__all__ = [
    "derive_sgns_optimum",
    "shifted_pmi_fit",
    "mean_cosine",
    "factorised_mean_cosine",
    "isotropy",
    "all_but_the_top",
    "similarity_correlation",
    "untrained_vectors",
]


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


def shifted_pmi_fit(w: Any, c: Any, counts: Any, negatives: int, *, min_count: int = 100,
                    pmi: Any = None) -> dict[str, float]:
    """Regress the SGNS dot products w·c on PMI over pairs seen at least ``min_count`` times (§ 4.2).

    Levy and Goldberg (2014): at the optimum, w·c = PMI(w, c) − log k, so the slope is 1, the
    intercept −log k and the correlation 1. Returns slope, intercept, corr and the number of pairs.
    ``pmi`` is ``corpus.pmi(counts)`` where the caller has it already (§ 4.11 fits many vector sets on one
    large matrix); by default it is computed here.
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
    if pmi is None:
        pmi = corpus.pmi(counts)
    elif np.shape(pmi) != counts.shape:
        raise ValueError(f"pmi must have the shape of counts {counts.shape}, got {np.shape(pmi)}")
    fit = geometry.linear_fit(np.asarray(pmi)[mask], (w @ c.T)[mask])
    return fit | {"n_pairs": int(mask.sum()), "expected_intercept": -math.log(k)}


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


def factorised_mean_cosine(counts: Any, negatives: int, dim: int) -> float:
    """The theory of § 4.2's k = 1 control: the mean cosine (:func:`mean_cosine`) of the word vectors of the
    symmetric rank-``dim`` factorisation U_d Σ_d^½ of the matrix SGNS fits at its optimum, PMI − log k (Levy and
    Goldberg 2014), computed from the counts alone. The shift −log k is a constant in every cell, a rank-one term
    that the factors carry as a common direction. Unseen cells are set to the smallest seen PMI."""
    counts = validate.array("counts", counts, ndim=2, nonnegative=True)
    k = validate.integer("negatives", negatives, low=1)
    d = validate.integer("dim", dim, low=1, high=min(counts.shape))
    if counts.shape[0] != counts.shape[1] or not (counts > 0).any():
        raise ValueError(f"counts must be a square (V, V) matrix with some positive cell, got {counts.shape}")
    pmi = corpus.pmi(counts)
    seen = counts > 0
    target = np.where(seen, pmi, pmi[seen].min()) - math.log(k)
    u, s, _ = np.linalg.svd(target)
    return mean_cosine(u[:, :d] * np.sqrt(s[:d]))


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
        raise ValueError("embeddings and reference must have the same number of rows, "
                         f"got {E.shape[0]} and {R.shape[0]}")
    iu = np.triu_indices(E.shape[0], k=1)
    a, b = _unit_rows(E), _unit_rows(R)
    sim_e, sim_r = (a @ a.T)[iu], (b @ b.T)[iu]
    if sim_e.size < 2 or np.ptp(sim_e) == 0 or np.ptp(sim_r) == 0:
        raise ValueError("the correlation is undefined: need at least three words and cosines that are not all equal")
    return float(spearmanr(sim_e, sim_r).statistic)


def untrained_vectors(vocab_size: int, dim: int, init_scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Word and context vectors as SGNS draws them before training, N(0, init_scale²/dim) entries: the
    untrained model, the null of § 4.2's claims. Returns ``(w, c)``, each ``(vocab_size, dim)``."""
    vocab_size = validate.integer("vocab_size", vocab_size, low=1)
    dim = validate.integer("dim", dim, low=1)
    init_scale = validate.real("init_scale", init_scale, low=0.0, low_open=True)
    seed = validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    s = init_scale / math.sqrt(dim)
    return s * rng.standard_normal((vocab_size, dim)), s * rng.standard_normal((vocab_size, dim))
