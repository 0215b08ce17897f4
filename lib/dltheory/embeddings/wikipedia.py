"""Chapter 4, § 4.11 (``chapters/04-embedding-geometry/11-wikipedia.md``): a larger real text.

The largest natural-language text inside the book's installed packages is the shortened English Wikipedia
dump in gensim's test data (the first 106 articles of a 2017 dump, about 4.7·10⁵ words; no download).
On it: the corpus PMI, an SVD of its positive part (Levy and Goldberg 2014), our SGNS
(:mod:`dltheory.embeddings.sgns`) and gensim's Word2Vec (Řehůřek and Sojka 2010) with the same settings.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, validate
from dltheory.embeddings import corpus, geometry, real_text, sgns
from dltheory.embeddings import sgns_factorises_pmi as spmi

__all__ = [
    "WIKI_DUMP",
    "WikiConfig",
    "wiki_corpus",
    "ppmi_svd",
    "nearest_words",
    "WikiResult",
    "run_wikipedia",
    "in_vocabulary_pairs",
    "standard_error_bar",
    "smoothed_pmi",
    "dot_fit",
    "permuted_fit",
    "ShiftControls",
    "shift_controls",
]

WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


@dataclasses.dataclass(frozen=True)
class WikiConfig(runtime.ModeConfig):
    """§ 4.11's run: the ``vocab_size`` most frequent words of the Wikipedia text, SGNS with ``negatives``
    k and the exact Levy–Goldberg noise exponent 1, ``steps`` Adam steps of ``batch`` pairs, gensim for
    ``gensim_epochs`` epochs with the same settings, and the PMI fit on pairs seen ``min_pair_count`` times."""

    vocab_size: int = validate.field(5000, validate.integer, low=100)
    dim: int = validate.field(50, validate.integer, low=2)
    window: int = validate.field(5, validate.integer, low=1, high=20)
    negatives: int = validate.field(5, validate.integer, low=1)
    batch: int = validate.field(4096, validate.integer, low=1)
    steps: int = validate.field(800, validate.integer, low=10)
    lr: float = validate.field(0.02, validate.real, low=0.0, low_open=True)
    gensim_epochs: int = validate.field(3, validate.integer, low=1)
    min_pair_count: int = validate.field(100, validate.integer, low=1)
    shift_negatives: tuple[int, ...] = validate.field((1, 15), validate.integers, low=1, min_size=1)
    smoothed_power: float = validate.field(0.75, validate.real, low=0.0, high=1.0, high_open=True)

    @classmethod
    def fast(cls) -> WikiConfig:
        return cls()

    @classmethod
    def full(cls) -> WikiConfig:
        return cls(vocab_size=8000, steps=20000, gensim_epochs=20)

    def sgns_config(self) -> sgns.SGNSConfig:
        """The :class:`~dltheory.embeddings.sgns.SGNSConfig` of this run (noise exponent 1)."""
        return sgns.SGNSConfig(dim=self.dim, negatives=self.negatives, noise_power=1.0, batch=self.batch,
                               steps=self.steps, lr=self.lr, window=self.window)

    def cost(self) -> runtime.Cost:
        """The SGNS runs dominate (see :meth:`SGNSConfig.cost`): the page's k, each k of ``shift_negatives`` and the
        smoothed-noise run, three seeds of ``steps`` steps each, one after the other."""
        base = self.sgns_config()
        runs = [base, base] + [dataclasses.replace(base, negatives=k) for k in self.shift_negatives]
        return sum((r.cost() for r in runs[1:]), runs[0].cost())

    def paper_scale(self) -> str:
        return (f"{self.vocab_size:,} words of vocabulary from 4.7·10⁵ words of Wikipedia, {self.dim} dimensions; "
                "Mikolov et al. trained 300 dimensions on 783M words")


def wiki_corpus(*, vocab_size: int = 5000) -> dict[str, Any]:
    """The Wikipedia text of gensim's test data as token ids (§ 4.11; no download).

    Each article's wiki markup is stripped with gensim's ``filter_wiki``; redirect pages are dropped; the
    text is lower-cased and split on letters. Only the ``vocab_size`` most frequent words are kept, and the
    others are deleted from the token stream, as word2vec's ``min_count`` does. Returns a dict with
    ``vocab`` (most frequent first), ``tokens`` (int64 ids), ``sentences`` (the paragraphs as lists of
    kept words, for gensim), ``n_words`` (words before the cut) and ``n_articles``.
    """
    import bz2
    import re
    from collections import Counter

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki
    from gensim.test.utils import datapath

    vocab_size = validate.integer("vocab_size", vocab_size, low=2)
    paragraphs: list[list[str]] = []
    n_articles = 0
    with bz2.open(datapath(WIKI_DUMP), "rb") as fh:
        for _title, text, _pageid in extract_pages(fh):
            if text.lstrip().lower().startswith("#redirect"):
                continue
            n_articles += 1
            paragraphs += [words for line in filter_wiki(text).split("\n")
                           if (words := re.findall(r"[a-z]+", line.lower()))]
    counts = Counter(w for p in paragraphs for w in p)
    if vocab_size > len(counts):
        raise ValueError(f"vocab_size={vocab_size} exceeds the {len(counts)} distinct words of the text")
    vocab = [w for w, _ in counts.most_common(vocab_size)]
    index = {w: i for i, w in enumerate(vocab)}
    sentences = [kept for p in paragraphs if (kept := [w for w in p if w in index])]
    tokens = np.array([index[w] for s in sentences for w in s], dtype=np.int64)
    return {"vocab": vocab, "tokens": tokens, "sentences": sentences, "n_words": sum(counts.values()),
            "n_articles": n_articles}


def _plain_pmi(counts: np.ndarray, pmi: Any) -> np.ndarray:
    """``pmi`` when the caller has ``corpus.pmi(counts)`` already (checked for its shape), else computed here."""
    if pmi is None:
        return corpus.pmi(counts)
    if np.shape(pmi) != counts.shape:
        raise ValueError(f"pmi must have the shape of counts {counts.shape}, got {np.shape(pmi)}")
    return np.asarray(pmi, dtype=np.float64)


def ppmi_svd(counts: Any, dim: int, *, seed: int = 0, n_iter: int = 4, pmi: Any = None) -> np.ndarray:
    """Word vectors U_d Σ_d^{1/2} from the top ``dim`` singular pairs of the positive PMI matrix (§ 4.11).

    Levy and Goldberg (2014): the SVD counterpart of SGNS (shift log k with k = 1). The truncated SVD is
    computed by a randomized range finder with ``n_iter`` power iterations (Halko, Martinsson and Tropp
    2011): a few (V × V)·(V × (dim + 10)) products instead of a full V × V decomposition. ``pmi`` is
    ``corpus.pmi(counts)`` where the caller has it already; by default it is computed here.
    """
    counts = validate.array("counts", counts, ndim=2, nonnegative=True)
    dim = validate.integer("dim", dim, low=1, high=counts.shape[0] - 10)
    seed = validate.integer("seed", seed, low=0)
    n_iter = validate.integer("n_iter", n_iter, low=0)
    M = np.maximum(_plain_pmi(counts, pmi), 0.0)    # the positive PMI, exactly corpus.pmi(counts, positive=True)
    Q = np.random.default_rng(seed).standard_normal((M.shape[1], dim + 10))
    Q, _ = np.linalg.qr(M @ Q)
    for _ in range(n_iter):
        Q, _ = np.linalg.qr(M.T @ Q)
        Q, _ = np.linalg.qr(M @ Q)
    U, S, _ = np.linalg.svd(Q.T @ M, full_matrices=False)
    return (Q @ U[:, :dim]) * np.sqrt(S[:dim])


def nearest_words(vectors: Any, vocab: Sequence[str], word: str, n: int = 5) -> list[str]:
    """The ``n`` words of highest cosine with ``word`` (itself excluded), most similar first (§ 4.11)."""
    E = validate.array("vectors", vectors, ndim=2)
    if len(vocab) != E.shape[0]:
        raise ValueError(f"vocab has {len(vocab)} words but vectors has {E.shape[0]} rows")
    n = validate.integer("n", n, low=1, high=E.shape[0] - 1)
    if word not in vocab:
        raise ValueError(f"{word!r} is not in the vocabulary")
    i = list(vocab).index(word)
    U = E / np.maximum(np.linalg.norm(E, axis=1, keepdims=True), 1e-12)
    cos = U @ U[i]
    cos[i] = -np.inf
    return [vocab[j] for j in np.argsort(-cos)[:n]]


@dataclasses.dataclass(frozen=True)
class WikiResult:
    """What § 4.11 measures: the corpus, the embeddings and their scores.

    ``w``, ``c`` SGNS word and context vectors per seed, ``(n_seeds, V, d)``; ``svd`` the PPMI-SVD vectors;
    ``gensim`` gensim's word vectors in our word order (its first seed); ``counts`` the co-occurrence counts (whole
    numbers, stored as float64) and ``pmi`` their PMI matrix (:func:`~dltheory.embeddings.corpus.pmi`); ``fits`` and ``fits_null`` the
    shifted-PMI fits of the trained and the untrained vectors, ``gensim_fit`` that of gensim's word and context
    (``syn1neg``) vectors; ``scores`` per method a list of :func:`~dltheory.embeddings.real_text.evaluate_real`
    dicts; ``seconds`` wall times (ours: all seeds at once); ``words`` and ``pairs`` processed, per model;
    ``tokens`` the token ids trained on; ``fits_permuted`` the permuted-word null (:func:`permuted_fit`) per seed.
    """

    vocab: list[str]
    counts: np.ndarray
    pmi: np.ndarray
    n_words: int
    n_articles: int
    w: np.ndarray
    c: np.ndarray
    svd: np.ndarray
    gensim: np.ndarray
    fits: list[dict[str, float]]
    fits_null: list[dict[str, float]]
    scores: dict[str, list[dict[str, float]]]
    seconds: dict[str, float]
    words: dict[str, float]
    pairs: dict[str, float]
    gensim_fit: dict[str, float]
    tokens: np.ndarray
    fits_permuted: list[dict[str, float]]


def run_wikipedia(cfg: WikiConfig, seeds: Sequence[int], *, text: dict[str, Any] | None = None) -> WikiResult:
    """§ 4.11's experiment: corpus, PMI, PPMI-SVD, SGNS on all ``seeds`` at once, gensim on the first seed,
    the untrained, permuted-word and random-vector nulls, and the benchmark scores of each. ``text`` is
    ``wiki_corpus(vocab_size=cfg.vocab_size)`` where the caller has read it already; by default it is read here."""
    if not isinstance(cfg, WikiConfig):
        raise ValueError(f"cfg must be a WikiConfig, got {type(cfg).__name__}")
    seeds = [validate.integer("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    if text is None:
        text = wiki_corpus(vocab_size=cfg.vocab_size)
    elif not isinstance(text, dict) or len(text.get("vocab", ())) != cfg.vocab_size:
        raise ValueError(f"text must be the wiki_corpus of vocab_size={cfg.vocab_size}")
    vocab, tokens = text["vocab"], text["tokens"]
    V, scfg = len(vocab), cfg.sgns_config()
    # float64 once (exact: whole numbers): every fit below validates the V × V counts, which copies an int64 matrix
    counts = corpus.cooccurrence(tokens, V, cfg.window).astype(np.float64)
    plain = corpus.pmi(counts)                      # computed once: every fit below is on this matrix
    t0 = time.perf_counter()
    svd = ppmi_svd(counts, cfg.dim, pmi=plain)
    seconds = {"svd": time.perf_counter() - t0}
    history = sgns.train_sgns(tokens, V, scfg, seeds)
    w, c = history.params["w"][:, 0], history.params["c"][:, 0]
    seconds["sgns"] = history.wall_time
    t0 = time.perf_counter()
    model = real_text.train_gensim(text["sentences"], scfg, epochs=cfg.gensim_epochs, seed=seeds[0],
                                   shrink_windows=False)
    seconds["gensim"] = time.perf_counter() - t0
    gensim_vectors = model.wv[vocab]
    gensim_context = model.syn1neg[[model.wv.key_to_index[word] for word in vocab]]
    fit = dict(negatives=cfg.negatives, min_count=cfg.min_pair_count, pmi=plain)
    gensim_fit = spmi.shifted_pmi_fit(gensim_vectors, gensim_context, counts, **fit)
    fits = [spmi.shifted_pmi_fit(w[i], c[i], counts, **fit) for i in range(len(seeds))]
    untrained = [spmi.untrained_vectors(V, cfg.dim, scfg.init_scale, s) for s in seeds]
    fits_null = [spmi.shifted_pmi_fit(w0, c0, counts, **fit) for w0, c0 in untrained]
    fits_permuted = [permuted_fit(w[i], c[i], counts, **fit, seed=s) for i, s in enumerate(seeds)]
    scores = {"sgns": [real_text.evaluate_real(w[i], vocab) for i in range(len(seeds))],
              "svd": [real_text.evaluate_real(svd, vocab)],
              "gensim": [real_text.evaluate_real(gensim_vectors, vocab)],
              "random": [real_text.evaluate_real(real_text.random_vectors(V, cfg.dim, s), vocab) for s in seeds]}
    # per model: ours draws `batch` pairs a step, 2L pairs a word; gensim, with the same fixed window, 2L pairs a
    # word (fewer at the ends of an article)
    pairs = {"sgns": cfg.steps * cfg.batch, "gensim": cfg.gensim_epochs * tokens.size * 2 * cfg.window}
    words = {"sgns": pairs["sgns"] / (2 * cfg.window), "gensim": cfg.gensim_epochs * tokens.size}
    return WikiResult(vocab=vocab, counts=counts, pmi=plain, n_words=text["n_words"], n_articles=text["n_articles"],
                      w=np.asarray(w), c=np.asarray(c), svd=svd, gensim=gensim_vectors, fits=fits,
                      fits_null=fits_null, scores=scores, seconds=seconds, words=words, pairs=pairs,
                      gensim_fit=gensim_fit, tokens=tokens, fits_permuted=fits_permuted)


def in_vocabulary_pairs(vocab: Sequence[str], dataset: str = "wordsim353.tsv") -> int:
    """How many pairs of a word-similarity set of gensim's test data (``"wordsim353.tsv"``, § 4.11's bar, or
    ``"simlex999.txt"``) have both words in ``vocab`` (case-insensitive)."""
    from gensim.test.utils import datapath

    dataset = validate.choice("dataset", dataset, ("wordsim353.tsv", "simlex999.txt"))
    words = {w.lower() for w in vocab}
    with open(datapath(dataset), encoding="utf-8") as fh:
        rows = [line.split("\t") for line in fh if line.strip() and not line.startswith("#")]
    return sum(1 for a, b, *_ in rows if a.lower() in words and b.lower() in words)


def standard_error_bar(n_pairs: int) -> float:
    """Two standard errors of a Spearman correlation near 0 over ``n_pairs`` pairs, 2/√(n − 1) (§ 4.11)."""
    n_pairs = validate.integer("n_pairs", n_pairs, low=3)
    return 2.0 / math.sqrt(n_pairs - 1)


# ---------------------------------------------------------------- the shift: k and the noise exponent


def smoothed_pmi(counts: Any, power: float, *, pmi: Any = None) -> np.ndarray:
    """PMI_α(w, c) = log(P(w, c) / (P(w) P_α(c))), P_α(c) = #(c)^α / Σ #(c')^α (§ 4.11; Levy, Goldberg & Dagan 2015).

    The SGNS optimum with negatives drawn from P_α is w·c = PMI_α(w, c) − log k; α = 1 is the plain PMI of
    :func:`dltheory.embeddings.corpus.pmi`. Cells with no count are ``-inf``. ``pmi`` is ``corpus.pmi(counts)``
    where the caller has it already; by default it is computed here."""
    counts = validate.array("counts", counts, ndim=2, nonnegative=True, dtype=np.float64)
    alpha = validate.real("power", power, low=0.0, high=1.0)
    cols = counts.sum(0)
    seen = cols > 0
    log_norm = np.log(np.sum(cols[seen] ** alpha))
    with np.errstate(divide="ignore"):
        shift = (1.0 - alpha) * np.log(cols) + log_norm - np.log(counts.sum())  # log P(c) − log P_α(c)
    return _plain_pmi(counts, pmi) + np.where(seen, shift, 0.0)[None, :]


def dot_fit(w: Any, c: Any, target: Any, counts: Any, *, min_count: int = 100) -> dict[str, float]:
    """Least-squares line of the dot products w·c on ``target`` (a V × V matrix: PMI, PMI_α) over the pairs seen
    at least ``min_count`` times (§ 4.11): slope, intercept, corr and n_pairs."""
    w = validate.array("w", w, ndim=2)
    c = validate.array("c", c, ndim=2)
    target = np.asarray(target, dtype=np.float64)              # -inf on unseen cells, as corpus.pmi gives
    counts = validate.array("counts", counts, ndim=2, nonnegative=True)
    min_count = validate.integer("min_count", min_count, low=1)
    V = w.shape[0]
    if w.shape != c.shape or target.shape != (V, V) or counts.shape != (V, V):
        raise ValueError(f"w, c must be (V, d), target and counts (V, V); got {w.shape}, {c.shape}, "
                         f"{target.shape}, {counts.shape}")
    mask = counts >= min_count
    if mask.sum() < 3:
        raise ValueError(f"min_count={min_count} leaves fewer than 3 pairs")
    if not np.all(np.isfinite(target[mask])):
        raise ValueError("target must be finite on every pair seen at least min_count times")
    return geometry.linear_fit(target[mask], (w @ c.T)[mask]) | {"n_pairs": int(mask.sum())}


def permuted_fit(w: Any, c: Any, counts: Any, negatives: int, *, min_count: int = 100,
                 seed: int = 0, pmi: Any = None) -> dict[str, float]:
    """The permuted-word null of § 4.11: the rows of w and c shuffled by one permutation (every trained vector kept,
    each now standing for another word), fitted on PMI as :func:`~dltheory.embeddings.sgns_factorises_pmi.
    shifted_pmi_fit` does (``pmi`` as there). Trained vectors that only learned word frequencies, not pairs, would
    pass it."""
    w = validate.array("w", w, ndim=2)
    seed = validate.integer("seed", seed, low=0)
    perm = np.random.default_rng(seed).permutation(w.shape[0])
    return spmi.shifted_pmi_fit(w[perm], np.asarray(c)[perm], counts, negatives, min_count=min_count, pmi=pmi)


@dataclasses.dataclass(frozen=True)
class ShiftControls:
    """What § 4.11's shift controls measure, per seed: ``fits_k[k]`` the fits of w·c on PMI for SGNS trained with k
    negatives (noise exponent 1), ``fits_smoothed`` those of the run with noise exponent ``power`` (k of the config)
    on PMI_power, and ``fits_smoothed_plain`` the same vectors on the plain PMI; ``seconds`` the training time."""

    negatives: tuple[int, ...]
    power: float
    fits_k: dict[int, list[dict[str, float]]]
    fits_smoothed: list[dict[str, float]]
    fits_smoothed_plain: list[dict[str, float]]
    seconds: float

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The controls as named arrays, one value per seed for each fit's statistic (``k=1/slope``,
        ``smoothed/intercept``, ...), for a saved run (:mod:`dltheory.saved`); :meth:`from_arrays` reads them back."""
        groups = {f"k={k}": fits for k, fits in self.fits_k.items()}
        groups |= {"smoothed": self.fits_smoothed, "smoothed_plain": self.fits_smoothed_plain}
        out = {f"{name}/{stat}": np.array([fit[stat] for fit in fits])
               for name, fits in groups.items() for stat in fits[0]}
        return out | {"negatives": np.array(self.negatives), "power": np.array(self.power),
                      "seconds": np.array(self.seconds)}

    @classmethod
    def from_arrays(cls, data: Any) -> ShiftControls:
        """The controls from the arrays of :meth:`to_arrays` (``ValueError`` if some are missing or the fits differ
        in their number of seeds)."""
        if not {"negatives", "power", "seconds"} <= set(data):
            raise ValueError("not the arrays of a ShiftControls: negatives, power or seconds missing")
        negatives = tuple(int(k) for k in np.atleast_1d(data["negatives"]))
        groups = {name: {key.split("/", 1)[1]: np.asarray(data[key]) for key in data if key.startswith(f"{name}/")}
                  for name in [f"k={k}" for k in negatives] + ["smoothed", "smoothed_plain"]}
        sizes = {len(v) for stats in groups.values() for v in stats.values()}
        if not all(groups.values()) or len(sizes) != 1:
            raise ValueError("not the arrays of a ShiftControls: a group of fits is missing, or the groups differ in "
                             "their number of seeds")
        n = sizes.pop()
        fits = {name: [{stat: (int(v[i]) if stat == "n_pairs" else float(v[i])) for stat, v in stats.items()}
                       for i in range(n)] for name, stats in groups.items()}
        return cls(negatives=negatives, power=float(data["power"]), fits_k={k: fits[f"k={k}"] for k in negatives},
                   fits_smoothed=fits["smoothed"], fits_smoothed_plain=fits["smoothed_plain"],
                   seconds=float(data["seconds"]))


def shift_controls(cfg: WikiConfig, seeds: Sequence[int]) -> ShiftControls:
    """Train SGNS on the text of ``cfg`` for every k of ``cfg.shift_negatives`` (noise exponent 1) and once with
    noise exponent ``cfg.smoothed_power`` (k = ``cfg.negatives``), each on all ``seeds`` at once, with the settings
    of :meth:`WikiConfig.sgns_config` otherwise, and fit each on its theory's target over the pairs seen
    ``cfg.min_pair_count`` times (§ 4.11). It reads the text, counts its pairs and computes its PMI itself (about
    10 s on 2 cores), so that its arguments are data and :func:`dltheory.saved.call` can save it."""
    if not isinstance(cfg, WikiConfig):
        raise ValueError(f"cfg must be a WikiConfig, got {type(cfg).__name__}")
    seeds = [validate.integer("seed", s, low=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    tokens = wiki_corpus(vocab_size=cfg.vocab_size)["tokens"]
    counts = corpus.cooccurrence(tokens, cfg.vocab_size, cfg.window).astype(np.float64)
    plain = corpus.pmi(counts)
    V, base, m = cfg.vocab_size, cfg.sgns_config(), cfg.min_pair_count
    t0 = time.perf_counter()
    fits_k = {}
    for k in cfg.shift_negatives:
        h = sgns.train_sgns(tokens, V, dataclasses.replace(base, negatives=k), seeds, progress=False)
        fits_k[k] = [dot_fit(h.params["w"][i, 0], h.params["c"][i, 0], plain, counts, min_count=m)
                     for i in range(len(seeds))]
    h = sgns.train_sgns(tokens, V, dataclasses.replace(base, noise_power=cfg.smoothed_power), seeds,
                        progress=False)
    target = smoothed_pmi(counts, cfg.smoothed_power, pmi=plain)
    w, c = h.params["w"][:, 0], h.params["c"][:, 0]
    return ShiftControls(
        negatives=tuple(cfg.shift_negatives), power=cfg.smoothed_power, fits_k=fits_k,
        fits_smoothed=[dot_fit(w[i], c[i], target, counts, min_count=m) for i in range(len(seeds))],
        fits_smoothed_plain=[dot_fit(w[i], c[i], plain, counts, min_count=m) for i in range(len(seeds))],
        seconds=time.perf_counter() - t0)
