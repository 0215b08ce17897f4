"""Chapter 4, § 4.7 (``chapters/04-embedding-geometry/07-real-text.md``): real text.

The Lee corpus from gensim's test data (no download), gensim's Word2Vec with the settings of an
:class:`~dltheory.embeddings.sgns.SGNSConfig`, and the standard word-similarity and analogy benchmarks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import validate
from dltheory.embeddings import sgns

__all__ = [
    "real_corpus",
    "train_gensim",
    "window_pairs",
    "evaluate_real",
    "random_vectors",
    "similarity_agreement",
]


def real_corpus(*, min_count: int = 5) -> tuple[list[str], np.ndarray, list[list[str]]]:
    """The Lee background corpus that ships inside gensim's test data (§ 4.7; no download).

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


def train_gensim(sentences: Sequence[Sequence[str]], cfg: sgns.SGNSConfig, *, epochs: int, seed: int,
                 shrink_windows: bool = False) -> Any:
    """gensim's Word2Vec (skip-gram, negative sampling, no subsampling) with the settings of ``cfg`` (§ 4.7).

    One worker thread, so that its throughput compares with ours on the same cores. By default the window is
    ours, fixed (``shrink_windows=False``): every context within ``cfg.window`` words of the centre, the pairs
    that :func:`window_pairs` counts, so both programs train on the same (centre, context) pairs and fit the
    same matrix. ``True`` is gensim's own default, a window drawn uniformly from 1 to L for each word (offset Δ
    weighted (L − Δ + 1)/L, about L + 1 pairs a word). Returns the model.
    """
    from gensim.models import Word2Vec

    if not isinstance(cfg, sgns.SGNSConfig):
        raise ValueError(f"cfg must be an SGNSConfig, got {type(cfg).__name__}")
    epochs = validate.integer("epochs", epochs, low=1)
    seed = validate.integer("seed", seed, low=0)
    if isinstance(sentences, str) or len(sentences) == 0:
        raise ValueError("sentences must be a non-empty list of lists of words")
    return Word2Vec(sentences, sg=1, negative=cfg.negatives, window=cfg.window, vector_size=cfg.dim, min_count=1,
                    sample=0, ns_exponent=cfg.noise_power, epochs=epochs, workers=1, seed=seed,
                    shrink_windows=bool(shrink_windows))


def window_pairs(sentences: Sequence[Sequence[str]], window: int) -> int:
    """The (centre, context) pairs one epoch of skip-gram with a fixed ``window`` trains on (§ 4.7): every
    context at most ``window`` words away within the same sentence, Σ_t min(t, L) + min(n − 1 − t, L) over a
    sentence of n words. gensim with ``shrink_windows=False`` trains these (its sentences here are far below
    its 10,000-word limit); our sampler draws pairs the same way, from the concatenated tokens."""
    L = validate.integer("window", window, low=1)
    if isinstance(sentences, str) or len(sentences) == 0:
        raise ValueError("sentences must be a non-empty list of lists of words")
    total = 0
    for sentence in sentences:
        n = len(sentence)
        t = np.arange(n)
        total += int(np.minimum(t, L).sum() + np.minimum(n - 1 - t, L).sum())
    return total


def evaluate_real(vectors: Any, vocab: Sequence[str]) -> dict[str, float]:
    """WordSim-353 and SimLex-999 Spearman correlations and questions-words analogy accuracy, on the
    in-vocabulary part of each set (gensim's evaluators and test data; § 4.7)."""
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


def random_vectors(n_words: int, dim: int, seed: int) -> np.ndarray:
    """Gaussian vectors of the shape of an embedding: the random-vector null of § 4.7's claims."""
    n_words = validate.integer("n_words", n_words, low=1)
    dim = validate.integer("dim", dim, low=1)
    seed = validate.integer("seed", seed, low=0)
    return np.random.default_rng(seed).standard_normal((n_words, dim))


def similarity_agreement(a: Any, b: Any, *, n_words: int = 500) -> float:
    """Spearman correlation between the cosine similarities of two embeddings of the same vocabulary,
    over all pairs of its first ``n_words`` words (the most frequent, for § 4.7's vocabulary).

    Rows of ``a`` and ``b`` must be the same words in the same order. Two embeddings that learned the same
    geometry agree near 1; an embedding and random vectors near 0.
    """
    from scipy.stats import spearmanr

    a = validate.array("a", a, ndim=2)
    b = validate.array("b", b, ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must embed the same words: {a.shape[0]} rows against {b.shape[0]}")
    n_words = validate.integer("n_words", n_words, low=3, high=a.shape[0])

    def cosines(x: np.ndarray) -> np.ndarray:
        x = x[:n_words] / np.linalg.norm(x[:n_words], axis=1, keepdims=True)
        return (x @ x.T)[np.triu_indices(n_words, 1)]

    return float(spearmanr(cosines(a), cosines(b))[0])
