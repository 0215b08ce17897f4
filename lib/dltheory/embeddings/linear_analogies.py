"""Chapter 4, § 4.8 (``chapters/04-embedding-geometry/08-linear-analogies.md``): when exactly is an analogy linear?

Ethayarajh, Duvenaud and Hirst (2019): for an embedding that factorises PMI exactly, distances and
parallelograms are functions of co-occurrence statistics. We derive the exact identity with sympy,
‖w_x − w_y‖² = PMI(x, x) + PMI(y, y) − 2 PMI(x, y) = −csPMI(x, y) + log p(x | x) + log p(y | y), and test it on
planted RAND-WALK corpora (:mod:`dltheory.embeddings.corpus`), where the per-word terms log p(w | w) are not
constant; and we measure how much of 3CosAdd's accuracy comes from excluding a, b and c from the
answers (Linzen 2016).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from dltheory import validate
from dltheory.embeddings import corpus, geometry, sgns

__all__ = ["derive_pmi_distance", "pair_statistics", "LinearAnalogyResult", "run_linear_analogies",
           "GRADED_NOISE", "relation_spreads", "CriterionResult", "criterion_statistics", "criterion_result",
           "run_cspmi_criterion",
           "SGNSDistanceResult", "run_sgns_distance"]

#: Offset noise η of the eight relations of the csPMI-criterion corpora (§ 4.8): graded from exact to noisy.
GRADED_NOISE = (0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.1)


def derive_pmi_distance() -> dict[str, Any]:
    """Derive, with sympy, the squared distance of two words under an exact factorisation of PMI (§ 4.8).

    If PMI − s = W Wᵀ for a constant shift s (s = log k for SGNS), then ‖w_x − w_y‖² = M_xx + M_yy − 2 M_xy
    with M = PMI − s, and the shift cancels. Writing PMI with log-probabilities, this equals
    −csPMI(x, y) + log p(x | x) + log p(y | y), with csPMI(x, y) = PMI(x, y) + log p(x, y) (Ethayarajh et al.
    2019). In RAND-WALK (:prf:ref:`thm-ch4-pmi`), PMI(w, w) = κ‖v_w‖²/d and log p(w) = ‖v_w‖²/(2d) − log Z, so
    the per-word term log p(w | w) = (κ + 1/2)‖v_w‖²/d − log Z grows with ‖v_w‖², that is with frequency.
    Returns the expressions (``distance``, ``identity``, ``self_term_randwalk``) and their symbols.
    """
    import sympy as sp

    lx, ly, lxy, lxx, lyy, shift = sp.symbols("log_px log_py log_pxy log_pxx log_pyy s", real=True)
    pmi = {("x", "y"): lxy - lx - ly, ("x", "x"): lxx - 2 * lx, ("y", "y"): lyy - 2 * ly}
    M = {k: v - shift for k, v in pmi.items()}
    distance = sp.expand(M[("x", "x")] + M[("y", "y")] - 2 * M[("x", "y")])
    cspmi = pmi[("x", "y")] + lxy
    self_x, self_y = lxx - lx, lyy - ly  # log p(x | x), log p(y | y)
    identity = sp.simplify(distance - (-cspmi + self_x + self_y))  # 0: the identity holds exactly
    a, d, kappa, log_Z = sp.symbols("a d kappa log_Z", positive=True)  # a = ‖v_w‖²
    self_rw = sp.simplify(kappa * a / d + (a / (2 * d) - log_Z))  # PMI(w, w) + log p(w) in RAND-WALK
    return {"distance": distance, "cspmi": cspmi, "identity": identity, "self_term_randwalk": self_rw,
            "symbols": {"a": a, "d": d, "kappa": kappa, "log_Z": log_Z, "s": shift}}


def pair_statistics(counts: Any, *, min_expected: float = 50.0) -> dict[str, np.ndarray]:
    """From a co-occurrence matrix: the pairs x < y whose expected counts #(x)#(y)/D, #(x)²/D and #(y)²/D are
    all at least ``min_expected`` (rows ``i``, ``j``), with their PMI distance D(x, y) and −csPMI(x, y) (§ 4.8)."""
    counts = validate.array("counts", counts, ndim=2, nonnegative=True, dtype=np.float64)
    min_expected = validate.real("min_expected", min_expected, low=0.0, low_open=True)
    P = corpus.pmi(counts)
    rows, total = counts.sum(1), counts.sum()
    expected = np.outer(rows, counts.sum(0)) / total
    diag_ok = np.diag(expected) >= min_expected
    ok = (expected >= min_expected) & diag_ok[:, None] & diag_ok[None, :] & np.isfinite(P)
    ok &= np.isfinite(np.diag(P))[:, None] & np.isfinite(np.diag(P))[None, :]
    i, j = np.nonzero(np.triu(ok, k=1))
    if i.size < 3:
        raise ValueError(f"counts has fewer than 3 pairs with expected counts ≥ {min_expected}")
    log_p = np.log(rows / total)
    cspmi = 2 * P[i, j] + log_p[i] + log_p[j]  # PMI + log p(x, y) = 2 PMI + log p(x) + log p(y)
    return {"i": i, "j": j, "pmi_distance": P[i, i] + P[j, j] - 2 * P[i, j], "neg_cspmi": -cspmi}


@dataclasses.dataclass(frozen=True)
class LinearAnalogyResult:
    """What :func:`run_linear_analogies` measures on each corpus (§ 4.8); lists have one entry per seed."""

    seeds: list[int]
    corr_distance: np.ndarray        # corr(‖w_x − w_y‖², D(x, y))
    corr_cspmi: np.ndarray           # corr(‖w_x − w_y‖², −csPMI(x, y))
    corr_random: np.ndarray          # corr(‖r_x − r_y‖², D(x, y)) for random vectors r
    self_slope: np.ndarray           # slope of log p(w | w) on log p(w) over the words of the pairs
    pairs: list[dict[str, np.ndarray]]   # pair_statistics of each corpus, with "distance" added
    accuracy_excluded: np.ndarray    # (n_seeds, n_relations) 3CosAdd with a, b, c excluded
    accuracy_included: np.ndarray    # (n_seeds, n_relations) 3CosAdd with a, b, c allowed as answers
    premise_answers: np.ndarray      # (n_seeds, n_relations) fraction of answers that are a, b or c (included)
    relation_noise: tuple[float, ...]
    corpora: list[tuple[corpus.Vocabulary, np.ndarray]] = dataclasses.field(default_factory=list, repr=False)


def run_linear_analogies(seeds: Sequence[int], cfg: corpus.CorpusConfig, *,
                         min_expected: float = 50.0) -> LinearAnalogyResult:
    """For each seed, sample the planted corpus of ``jax.random.key(seed)`` and measure (§ 4.8): the
    correlation of squared distances in the rank-d factors of PMI with the PMI distance and with −csPMI
    (and with random vectors as the null); and 3CosAdd on the rank-d SVD of PPMI, per relation, with and
    without the exclusion of a, b, c (Linzen 2016)."""
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    out: dict[str, list[Any]] = {k: [] for k in ("cd", "cc", "cr", "self", "pairs", "exc", "inc", "prem", "corpora")}
    for seed in seeds:
        k_corpus, k_random = jax.random.split(jax.random.key(seed))
        vocab, tokens = corpus.planted_corpus(k_corpus, cfg)
        counts = corpus.cooccurrence(tokens, vocab.size, cfg.window)
        P = corpus.pmi(counts)
        W = geometry.svd_embeddings(np.where(np.isfinite(P), P, 0.0), cfg.dim, symmetric=True)
        R = np.asarray(jax.random.normal(k_random, W.shape)) * W.std()
        st = pair_statistics(counts, min_expected=min_expected)
        dist = ((W[st["i"]] - W[st["j"]]) ** 2).sum(1)
        dist_r = ((R[st["i"]] - R[st["j"]]) ** 2).sum(1)
        out["cd"].append(np.corrcoef(dist, st["pmi_distance"])[0, 1])
        out["cc"].append(np.corrcoef(dist, st["neg_cspmi"])[0, 1])
        out["cr"].append(np.corrcoef(dist_r, st["pmi_distance"])[0, 1])
        out["pairs"].append(dict(st, distance=dist))
        out["corpora"].append((vocab, tokens))
        words = np.unique(np.concatenate([st["i"], st["j"]]))
        log_p = np.log(counts.sum(1) / counts.sum())
        out["self"].append(geometry.linear_fit(log_p[words], (np.diag(P) + log_p)[words])["slope"])
        E = geometry.svd_embeddings(corpus.pmi(counts, positive=True), cfg.dim)
        q, rel = vocab.questions, vocab.question_relation
        pred_exc = geometry.analogy_predictions(E, q)
        pred_inc = geometry.analogy_predictions(E, q, exclude=False)
        premise = (pred_inc[:, None] == q[:, :3]).any(1)
        rels = range(cfg.n_relations)
        out["exc"].append([np.mean(pred_exc[rel == r] == q[rel == r, 3]) for r in rels])
        out["inc"].append([np.mean(pred_inc[rel == r] == q[rel == r, 3]) for r in rels])
        out["prem"].append([np.mean(premise[rel == r]) for r in rels])
    return LinearAnalogyResult(
        seeds=seeds, corr_distance=np.array(out["cd"]), corr_cspmi=np.array(out["cc"]),
        corr_random=np.array(out["cr"]), self_slope=np.array(out["self"]), pairs=out["pairs"],
        accuracy_excluded=np.array(out["exc"]),
        accuracy_included=np.array(out["inc"]), premise_answers=np.array(out["prem"]),
        relation_noise=tuple(cfg.relation_noise), corpora=out["corpora"],
    )


def relation_spreads(counts: Any, pairs: Sequence[Any]) -> dict[str, np.ndarray]:
    """For each set of word pairs (a, b) (one set per relation), the standard deviation across its pairs of
    csPMI(a, b) = 2 PMI(a, b) + log p(a) + log p(b) and of the PMI distance D(a, b) = PMI(a, a) + PMI(b, b) −
    2 PMI(a, b) (§ 4.8; Ethayarajh et al. 2019). Pairs with an unobserved co-occurrence (pair or self-pair) are
    left out; a set needs at least 3 pairs left. Returns ``cspmi`` and ``distance``, one entry per set."""
    counts = validate.array("counts", counts, ndim=2, nonnegative=True, dtype=np.float64)
    P = corpus.pmi(counts)
    log_p = np.log(counts.sum(1) / counts.sum())
    out: dict[str, list[float]] = {"cspmi": [], "distance": []}
    for r, e in enumerate(pairs):
        e = validate.array(f"pairs[{r}]", e, ndim=2, dtype=np.int64, nonnegative=True)
        if e.shape[1] != 2 or e.max(initial=0) >= counts.shape[0]:
            raise ValueError(f"pairs[{r}] must be (n, 2) word indices below {counts.shape[0]}, got shape {e.shape}")
        a, b = e[:, 0], e[:, 1]
        cs = 2 * P[a, b] + log_p[a] + log_p[b]
        D = P[a, a] + P[b, b] - 2 * P[a, b]
        ok = np.isfinite(cs) & np.isfinite(D)
        if ok.sum() < 3:
            raise ValueError(f"pairs[{r}] has fewer than 3 pairs with observed co-occurrences")
        out["cspmi"].append(float(cs[ok].std(ddof=1)))
        out["distance"].append(float(D[ok].std(ddof=1)))
    return {k: np.array(v) for k, v in out.items()}


@dataclasses.dataclass(frozen=True)
class CriterionResult:
    """What :func:`run_cspmi_criterion` measures; arrays are (n_seeds, n_relations) or (n_seeds,)."""

    seeds: list[int]
    relation_noise: tuple[float, ...]
    accuracy: np.ndarray          # 3CosAdd accuracy per relation (a, b, c excluded)
    spread_cspmi: np.ndarray      # std of csPMI across each relation's pairs
    spread_distance: np.ndarray   # std of the PMI distance D across each relation's pairs
    null_cspmi: np.ndarray        # the same on as many random pairs of family words
    null_distance: np.ndarray
    rho_cspmi: np.ndarray         # Spearman(spread of csPMI, accuracy) over relations, per corpus
    rho_distance: np.ndarray      # Spearman(spread of D, accuracy)
    rho_rise: np.ndarray          # Spearman(eta, spread of D)
    rho_rise_cspmi: np.ndarray    # Spearman(eta, spread of csPMI)
    null_rho_cspmi: np.ndarray    # the three correlations with the random pairs' spreads
    null_rho_distance: np.ndarray
    null_rho_rise: np.ndarray

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The result as named arrays, for a saved run (:mod:`dltheory.saved`); :meth:`from_arrays` reads it back."""
        return {field.name: np.asarray(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_arrays(cls, data: Any) -> CriterionResult:
        """A result from the arrays of :meth:`to_arrays` (``ValueError`` if some are missing)."""
        names = [field.name for field in dataclasses.fields(cls)]
        missing = set(names) - set(data)
        if missing:
            raise ValueError(f"not the arrays of a CriterionResult: missing {sorted(missing)}")
        values = {name: np.asarray(data[name]) for name in names}
        return cls(**{**values, "seeds": [int(s) for s in values["seeds"]],
                      "relation_noise": tuple(float(x) for x in values["relation_noise"])})


def _spearman(x: np.ndarray, y: Any) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y)[0])


#: Folded into a corpus's null key for the random-pair draws after the first (:func:`criterion_statistics`).
_MORE_NULL_DRAWS = 2**20


def criterion_statistics(key: jax.Array, counts: Any, vocab: corpus.Vocabulary,
                         cfg: corpus.CorpusConfig, *, null_draws: int = 1) -> dict[str, np.ndarray]:
    """One corpus's row of the csPMI criterion (§ 4.8): per relation, the 3CosAdd accuracy of the rank-d SVD of
    PPMI (a, b, c excluded, ``acc``), the spreads of csPMI and of D over its pairs (``cs``, ``D``), and the same
    spreads over as many random pairs of distinct family words drawn from ``key`` (``ncs``, ``nD``).

    ``null_draws`` draws of the random pairs (the first from ``key``, as with one draw; the others from keys
    folded out of it) give ``ncs_draws`` and ``nD_draws``, ``(null_draws, relations)``: :func:`criterion_result`
    averages the null's correlation over them, which shrinks the null's own noise without touching the corpus."""
    null_draws = validate.integer("null_draws", null_draws, low=1)
    edges = corpus._edges(vocab.families, vocab.family_relations, cfg.n_relations)
    family_words = vocab.families.ravel()
    draws = []
    for d in range(null_draws):
        k_draw = key if d == 0 else jax.random.fold_in(jax.random.fold_in(key, _MORE_NULL_DRAWS), d)
        random_pairs = []
        for r, e in enumerate(edges):
            k_i, k_j = jax.random.split(jax.random.fold_in(k_draw, r))
            i = np.asarray(jax.random.randint(k_i, (len(e),), 0, family_words.size))
            j = (i + 1 + np.asarray(jax.random.randint(k_j, (len(e),), 0, family_words.size - 1))) % family_words.size
            random_pairs.append(np.stack([family_words[i], family_words[j]], axis=1))  # two distinct words
        draws.append(relation_spreads(counts, random_pairs))
    real = relation_spreads(counts, edges)
    E = geometry.svd_embeddings(corpus.pmi(counts, positive=True), cfg.dim)
    q, rel = vocab.questions, vocab.question_relation
    pred = geometry.analogy_predictions(E, q)
    acc = [np.mean(pred[rel == r] == q[rel == r, 3]) for r in range(cfg.n_relations)]
    return {"acc": np.array(acc), "cs": real["cspmi"], "D": real["distance"], "ncs": draws[0]["cspmi"],
            "nD": draws[0]["distance"], "ncs_draws": np.stack([x["cspmi"] for x in draws]),
            "nD_draws": np.stack([x["distance"] for x in draws])}


def criterion_result(seeds: Sequence[int], relation_noise: Sequence[float],
                     rows: Sequence[dict[str, np.ndarray]]) -> CriterionResult:
    """Stack the rows of :func:`criterion_statistics` (one per corpus) and take the Spearman correlations; a
    null's correlation is the mean over the row's null draws (``ncs_draws``, ``nD_draws``; one draw if absent)."""
    a = {k: np.array([row[k] for row in rows]) for k in ("acc", "cs", "D", "ncs", "nD")}
    for k in ("ncs", "nD"):
        a[k + "_draws"] = [np.asarray(row.get(k + "_draws", row[k][None])) for row in rows]
    eta, n = np.asarray(relation_noise), range(len(rows))

    def null_rho(draws: np.ndarray, other: np.ndarray) -> float:
        return float(np.mean([_spearman(x, other) for x in draws]))

    return CriterionResult(
        seeds=list(seeds), relation_noise=tuple(relation_noise), accuracy=a["acc"], spread_cspmi=a["cs"],
        spread_distance=a["D"], null_cspmi=a["ncs"], null_distance=a["nD"],
        rho_cspmi=np.array([_spearman(a["cs"][i], a["acc"][i]) for i in n]),
        rho_distance=np.array([_spearman(a["D"][i], a["acc"][i]) for i in n]),
        rho_rise=np.array([_spearman(eta, a["D"][i]) for i in n]),
        rho_rise_cspmi=np.array([_spearman(eta, a["cs"][i]) for i in n]),
        null_rho_cspmi=np.array([null_rho(a["ncs_draws"][i], a["acc"][i]) for i in n]),
        null_rho_distance=np.array([null_rho(a["nD_draws"][i], a["acc"][i]) for i in n]),
        null_rho_rise=np.array([null_rho(a["nD_draws"][i], eta) for i in n]),
    )


def run_cspmi_criterion(seeds: Sequence[int], cfg: corpus.CorpusConfig, *,
                        relation_noise: Sequence[float] = GRADED_NOISE) -> CriterionResult:
    """The csPMI criterion of Ethayarajh et al. (2019) on planted corpora (§ 4.8).

    For each seed, the corpus of ``jax.random.key(seed)`` with the relations' noise set to ``relation_noise``
    (default :data:`GRADED_NOISE`); per relation, the spread across its pairs (a, b) of csPMI and of the PMI
    distance (:func:`relation_spreads`) and the 3CosAdd accuracy of the rank-d SVD of PPMI; then the Spearman
    correlations over relations of each spread with the accuracy and of the spread of D with η. The null
    replaces each relation's pairs by as many pairs of family words drawn at random (from the seed's key).
    """
    if not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError(f"cfg must be a CorpusConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    cfg = dataclasses.replace(cfg, relation_noise=tuple(float(x) for x in relation_noise))
    rows = []
    for seed in seeds:
        k_corpus, k_null = jax.random.split(jax.random.key(seed))
        vocab, tokens = corpus.planted_corpus(k_corpus, cfg)
        counts = corpus.cooccurrence(tokens, vocab.size, cfg.window)
        rows.append(criterion_statistics(k_null, counts, vocab, cfg))
    return criterion_result(seeds, cfg.relation_noise, rows)


@dataclasses.dataclass(frozen=True)
class SGNSDistanceResult:
    """What :func:`run_sgns_distance` measures, one entry per SGNS seed."""

    seeds: list[int]
    corr_distance: np.ndarray    # corr(|w_x - w_y|², D(x, y) of the second corpus)
    corr_cross: np.ndarray       # corr(<w_x - w_y, c_x - c_y>, D(x, y)): word and context vectors
    corr_cspmi: np.ndarray       # corr(|w_x - w_y|², -csPMI(x, y) of the second corpus): the paper's reading
    corr_permuted: np.ndarray    # corr(|w_π(x) - w_π(y)|², D(x, y)) for a random permutation π: the null
    pairs: dict[str, np.ndarray]  # pair_statistics of the second corpus, with the first seed's "distance"
    wall_time: float


def run_sgns_distance(vocab: corpus.Vocabulary, tokens: Any, cfg: corpus.CorpusConfig, sgns_cfg: sgns.SGNSConfig,
                      seeds: Sequence[int], *, second_seed: int, min_expected: float = 50.0) -> SGNSDistanceResult:
    """The distance identity of § 4.8 without circularity: SGNS (:func:`sgns.train_sgns`, one run per seed)
    trained on ``tokens``, against the PMI distance D read off a second corpus sampled from the same planted
    ``vocab`` with ``jax.random.key(second_seed)`` (Ethayarajh et al. 2019, § 5). The null permutes which
    vector belongs to which word (a permutation per seed, drawn from ``second_seed``)."""
    if not isinstance(vocab, corpus.Vocabulary) or not isinstance(cfg, corpus.CorpusConfig):
        raise ValueError("vocab must be a Vocabulary and cfg a CorpusConfig")
    if not isinstance(sgns_cfg, sgns.SGNSConfig) or sgns_cfg.window != cfg.window:
        raise ValueError(f"sgns_cfg must be an SGNSConfig with window = cfg.window = {cfg.window}")
    seeds = list(validate.seeds(seeds, distinct=True))
    second_seed = validate.integer("second_seed", second_seed, low=0)
    k_corpus, k_null = jax.random.split(jax.random.key(second_seed))
    second = corpus.sample_corpus(k_corpus, vocab.vectors, cfg.n_tokens, cfg.persistence)
    st = pair_statistics(corpus.cooccurrence(second, vocab.size, cfg.window), min_expected=min_expected)
    i, j = st["i"], st["j"]
    history = sgns.train_sgns(tokens, vocab.size, sgns_cfg, seeds)
    W, C = np.asarray(history.params["w"][:, 0], np.float64), np.asarray(history.params["c"][:, 0], np.float64)
    out: dict[str, list[float]] = {"d": [], "x": [], "cs": [], "p": []}
    first = None
    for n, seed in enumerate(seeds):
        w, c = W[n], C[n]
        dist = ((w[i] - w[j]) ** 2).sum(1)
        first = dist if first is None else first
        perm = np.asarray(jax.random.permutation(jax.random.fold_in(k_null, seed), vocab.size))
        out["d"].append(np.corrcoef(dist, st["pmi_distance"])[0, 1])
        out["x"].append(np.corrcoef(((w[i] - w[j]) * (c[i] - c[j])).sum(1), st["pmi_distance"])[0, 1])
        out["cs"].append(np.corrcoef(dist, st["neg_cspmi"])[0, 1])
        out["p"].append(np.corrcoef(((w[perm[i]] - w[perm[j]]) ** 2).sum(1), st["pmi_distance"])[0, 1])
    return SGNSDistanceResult(seeds=seeds, corr_distance=np.array(out["d"]), corr_cross=np.array(out["x"]),
                              corr_cspmi=np.array(out["cs"]), corr_permuted=np.array(out["p"]),
                              pairs=dict(st, distance=first), wall_time=float(history.wall_time))
