"""Chapter 4, § 4.3 (``chapters/04-embedding-geometry/03-analogies.md``): analogies and paraphrases.

The paraphrase error of Allen and Hospedales (2019), from PMI alone, with its expected value derived with
sympy; every planted analogy answered by 3CosAdd and 3CosMul (:mod:`dltheory.embeddings.geometry`) on
SVD embeddings of PPMI, over seeds, with the shuffled corpus as the control; the parallelogram of one
analogy in the plane, for the explorer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from dltheory import validate
from dltheory.embeddings import corpus, geometry

__all__ = [
    "paraphrase_error",
    "derive_paraphrase_error",
    "AnalogyResult",
    "run_analogies",
    "parallelogram_2d",
    "auc",
    "paraphrase_sweep",
    "load_paraphrase_sweep",
    "PARAPHRASE_SWEEP_FILE",
]

#: the saved sweep of the paraphrase AUCs over seeds 10–14 shipped with the library, in ``dltheory/data/``
PARAPHRASE_SWEEP_FILE = "04-embedding-geometry-paraphrase-seeds.json"
_PARA_VALUES = ("auc_raw", "auc_ppmi", "auc_null")


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
        raise ValueError("questions must have PMI rows of a and b that differ "
                         "(the error is relative to ‖PMI_b − PMI_a‖)")
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

    cfg: corpus.CorpusConfig
    vocab: corpus.Vocabulary                 # the vocabulary of the first corpus (all share its structure)
    planted_vectors: np.ndarray       # (n_seeds, V, d) the planted vectors of each corpus
    embeddings: np.ndarray            # (n_seeds, V, dim) rank-dim SVD of PPMI
    correct_add: np.ndarray           # (n_seeds, n_q) 3CosAdd answered correctly
    correct_mul: np.ndarray           # (n_seeds, n_q) 3CosMul answered correctly
    paraphrase: np.ndarray            # (n_seeds, n_q) relative paraphrase error from raw PMI (unseen cells 0)
    paraphrase_ppmi: np.ndarray       # (n_seeds, n_q) the same error on the positive PMI that is embedded
    question_relation: np.ndarray     # (n_seeds, n_q)
    exact: np.ndarray                 # (n_seeds, n_q) question follows a noiseless relation
    shuffled_accuracy: np.ndarray     # (n_seeds,) 3CosAdd accuracy after shuffling the corpus
    chance: float


def run_analogies(seeds: Sequence[int], cfg: corpus.CorpusConfig, *, dim: int | None = None) -> AnalogyResult:
    """For each seed: sample a planted corpus, embed words by a rank-``dim`` SVD of PPMI, answer every planted
    analogy with 3CosAdd and 3CosMul, measure each question's paraphrase error from raw PMI and from the
    PPMI that is embedded (the matrix whose residual :prf:ref:`thm-ch4-analogy` bounds), and repeat the
    pipeline on the shuffled corpus (§ 4.3; Allen and Hospedales 2019; Levy and Goldberg 2014).
    """
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    dim = cfg.dim if dim is None else validate.integer("dim", dim, low=1, high=cfg.vocab_size)
    keys = ("vec", "emb", "add", "mul", "para", "ppmi", "rel", "exact", "shuf")
    out: dict[str, list[Any]] = {k: [] for k in keys}
    first_vocab = None
    for seed in seeds:
        k_corpus, k_shuffle = jax.random.split(jax.random.key(seed))
        vocab, tokens = corpus.planted_corpus(k_corpus, cfg)
        first_vocab = first_vocab or vocab
        counts = corpus.cooccurrence(tokens, vocab.size, cfg.window)
        ppmi = corpus.pmi(counts, positive=True)
        emb = geometry.svd_embeddings(ppmi, dim)
        q = vocab.questions
        out["vec"].append(vocab.vectors)
        out["emb"].append(emb)
        out["add"].append(geometry.analogy_predictions(emb, q, method="add") == q[:, 3])
        out["mul"].append(geometry.analogy_predictions(emb, q, method="mul") == q[:, 3])
        out["para"].append(paraphrase_error(corpus.pmi(counts), q))
        out["ppmi"].append(paraphrase_error(ppmi, q))
        out["rel"].append(vocab.question_relation)
        out["exact"].append(corpus.exact_relation_mask(vocab, cfg))
        shuffled = corpus.cooccurrence(corpus.shuffle_corpus(k_shuffle, tokens), vocab.size, cfg.window)
        shuffled_emb = geometry.svd_embeddings(corpus.pmi(shuffled, positive=True), dim)
        out["shuf"].append(geometry.analogy_accuracy(shuffled_emb, q))
    return AnalogyResult(
        cfg=cfg, vocab=first_vocab, planted_vectors=np.stack(out["vec"]), embeddings=np.stack(out["emb"]),
        correct_add=np.stack(out["add"]),
        correct_mul=np.stack(out["mul"]), paraphrase=np.stack(out["para"]), paraphrase_ppmi=np.stack(out["ppmi"]),
        question_relation=np.stack(out["rel"]),
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


def paraphrase_sweep(cfg: corpus.CorpusConfig, seeds: Sequence[int]) -> dict[str, Any]:
    """The page's paraphrase measurement (§ 4.3) on the corpus of each seed: the AUC of −ε against 3CosAdd
    success, with ε from raw PMI (``auc_raw``) and from PPMI (``auc_ppmi``), and the null ``auc_null``: the
    PPMI errors permuted across questions (``numpy.random.default_rng(seed)``). Returns lists and ``seeds``.
    """
    seeds = list(validate.seeds(seeds, distinct=True))
    res = run_analogies(seeds, cfg)
    out: dict[str, Any] = {"seeds": seeds, "config": repr(cfg), **{k: [] for k in _PARA_VALUES}}
    for i, s in enumerate(seeds):
        ok = res.correct_add[i]
        out["auc_raw"].append(auc(-res.paraphrase[i], ok))
        out["auc_ppmi"].append(auc(-res.paraphrase_ppmi[i], ok))
        out["auc_null"].append(auc(-np.random.default_rng(s).permutation(res.paraphrase_ppmi[i]), ok))
    return out


def load_paraphrase_sweep() -> tuple[dict[str, Any], dict[str, str]]:
    """The saved :func:`paraphrase_sweep` (:data:`PARAPHRASE_SWEEP_FILE`) as arrays, and its provenance."""
    import json
    from importlib import resources

    record = json.loads((resources.files("dltheory") / "data" / PARAPHRASE_SWEEP_FILE).read_text(encoding="utf-8"))
    missing = {"seeds", "provenance", *_PARA_VALUES} - set(record)
    if missing:
        raise ValueError(f"{PARAPHRASE_SWEEP_FILE} is not a paraphrase sweep: missing {sorted(missing)}")
    provenance = record.pop("provenance")
    for k in _PARA_VALUES:
        record[k] = np.asarray(record[k], dtype=float)
        if record[k].shape != (len(record["seeds"]),):
            raise ValueError(f"{PARAPHRASE_SWEEP_FILE}: {k!r} has shape {record[k].shape}")
    return record, provenance
