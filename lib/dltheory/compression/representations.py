"""Epilogue, section 4 ``04-representations``: what a low-rank factorisation of PMI keeps, and what it loses.

Chapter 4's planted RAND-WALK corpus (:mod:`dltheory.embeddings.corpus`) has word vectors in ``d`` dimensions,
so its PMI matrix is close to rank ``d`` (Arora et al. 2016), and its exact relations make linear analogies
(Allen and Hospedales 2019). Embeddings ``U_k Σ_k^{1/2}`` from the rank-``k`` SVD of positive PMI
(Levy and Goldberg 2014; :func:`dltheory.embeddings.geometry.svd_embeddings`) store ``2Vk + k`` numbers in place of
the ``V²`` of the matrix. :func:`rank_sweep` measures 3CosAdd accuracy on the exactly planted relations at every rank
``k`` in ``cfg.ranks``, for the factorisation and for its null, ``k`` of its singular directions chosen at random.

The coding-rate view of MCR² (Yu et al. 2020; :mod:`dltheory.information.coding_rate`): at every rank,
:func:`relation_rate_ratio` is the within-group coding rate ``R_c`` of the relation offsets ``v_b − v_a`` grouped by
relation over the same with the offsets in random groups of the same sizes (1 on average when the offsets carry no
relation, :func:`parallel_ratio` when each relation is one direction), and ``word_rate`` the coding rate
``R(Z, ε)`` of the normalised word vectors, the nats the rank-``k`` embedding spends on the vocabulary.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import numpy as np

from dltheory import runtime, selfcheck, sweep, validate
from dltheory.embeddings import corpus, geometry
from dltheory.information import coding_rate

__all__ = ["RankConfig", "compression_ratio", "rank_sweep", "run", "kept_share", "synthesis_point",
           "check_relative_error", "relation_offsets", "relation_rate_ratio", "parallel_ratio", "check_parallel_ratio"]

EPS2 = 0.5        # ε² of Yu et al. (2020)'s experiments
N_GROUPINGS = 8   # random groupings averaged in the denominator of relation_rate_ratio


@dataclasses.dataclass(frozen=True)
class RankConfig(runtime.ModeConfig):
    """Section 4: the corpus of Chapter 4 (planted dimension ``dim``), the ranks tried, the seeds."""

    dim: int = validate.field(32, validate.integer, low=2, high=256)
    n_tokens: int = validate.field(400_000, validate.integer, low=10_000)
    ranks: tuple[int, ...] = validate.field((1, 2, 4, 8, 16, 32, 64, 128, 256), validate.integers, low=1,
                                            increasing=True, min_size=3)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def corpus_config(self) -> corpus.CorpusConfig:
        """Chapter 4's fast corpus with this section's planted dimension and length."""
        return corpus.CorpusConfig.fast().replace(dim=self.dim, n_tokens=self.n_tokens)

    def check(self) -> None:
        V = corpus.CorpusConfig.fast().vocab_size
        if self.ranks[-1] != V:
            raise ValueError(f"ranks must end at the vocabulary size {V} (the full-rank factorisation), "
                             f"got {self.ranks[-1]}")
        if self.dim not in self.ranks:
            raise ValueError(f"ranks must include the planted dimension dim = {self.dim}")

    @classmethod
    def fast(cls) -> RankConfig:
        return cls()

    @classmethod
    def full(cls) -> RankConfig:
        return cls(n_tokens=4_000_000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Per seed: one corpus (:meth:`CorpusConfig.cost` counts three), one SVD of ``V × V`` PMI and 3CosAdd
        answers (``n_q × V × k``) at every rank, for the top and for randomly chosen singular directions."""
        one = self.corpus_config().cost()
        V, nq = self.corpus_config().vocab_size, 1500
        host = 30.0 * V**3 + 2 * sum(6.0 * nq * V * k for k in self.ranks)
        per_seed = runtime.Cost(flops=one.flops / 3, host_flops=one.host_flops / 3 + host, bytes=one.bytes)
        return per_seed * self.n_seeds

    def paper_scale(self) -> str:
        """Against Chapter 4's corpus and the papers' Wikipedia."""
        return (f"Chapter 4's synthetic RAND-WALK corpus (d = {self.dim}, {self.n_tokens:,} tokens) in place of "
                f"Wikipedia; ranks {self.ranks[0]}–{self.ranks[-1]}, {self.n_seeds} seeds")


def compression_ratio(vocab_size: int, rank: Any) -> np.ndarray:
    """``V² / (2Vk + k)``: the numbers of the PMI matrix over those of its rank-``k`` SVD factors ``U_k, Σ_k, V_k``."""
    V = validate.integer("vocab_size", vocab_size, low=1)
    k = validate.array("rank", rank, ndim=(0, 1), positive=True)
    if np.any(k > V):
        raise ValueError(f"rank must be at most vocab_size = {V}")
    return V**2 / (2.0 * V * k + k)


def kept_share(accuracy: Any, full: Any) -> np.ndarray:
    """Accuracy at a rank over the full-rank accuracy (per seed): the share of the analogies kept."""
    acc = validate.array("accuracy", accuracy, ndim=(0, 1, 2), low=0.0, high=1.0)
    ref = validate.array("full", full, ndim=(0, 1), low=0.0, high=1.0)
    if acc.ndim > ref.ndim and acc.shape[0] != ref.size:
        raise ValueError(f"accuracy {acc.shape} must have one row per entry of full {ref.shape}")
    if np.any(ref <= 0):
        raise ValueError("full must be positive: the full-rank factorisation answers no analogy")
    return acc / (ref[..., None] if acc.ndim > ref.ndim else ref)


def relation_offsets(vocab: corpus.Vocabulary, ccfg: corpus.CorpusConfig) -> tuple[np.ndarray, np.ndarray]:
    """The word pairs ``(a, b)`` with ``b = a + relation`` of every exactly planted relation (η = 0) and their
    relation, numbered ``0 .. n_exact − 1``: each family of four words gives two pairs per relation."""
    exact = np.flatnonzero(np.asarray(ccfg.relation_noise) == 0)
    pairs, labels = [], []
    for (base, w1, w2, w12), (r1, r2) in zip(vocab.families, vocab.family_relations):
        for r, edges in ((r1, [(base, w1), (w2, w12)]), (r2, [(base, w2), (w1, w12)])):
            if r in exact:
                pairs += edges
                labels += [int(np.flatnonzero(exact == r)[0])] * 2
    return np.array(pairs, dtype=np.int64), np.array(labels, dtype=np.int64)


def relation_rate_ratio(emb: Any, pairs: Any, labels: Any, groupings: Any, eps2: float = EPS2) -> float:
    """``R_c`` of the unit offsets ``emb[b] − emb[a]`` grouped by ``labels`` over the mean ``R_c`` of the same offsets
    grouped by each row of ``groupings`` (permutations of ``labels``), Yu et al. (2020) eq. (8)."""
    emb = validate.array("emb", emb, ndim=2)
    pairs, labels = np.asarray(pairs), np.asarray(labels)
    z = emb[pairs[:, 1]] - emb[pairs[:, 0]]
    z = z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    k = int(labels.max()) + 1

    def rate(lab: np.ndarray) -> float:
        return float(coding_rate.coding_rate_classes(np.asarray(z, np.float32), lab, eps2, k))

    return rate(labels) / float(np.mean([rate(g) for g in np.asarray(groupings)]))


def parallel_ratio(n_groups: int, dim: Any, eps2: float = EPS2) -> np.ndarray:
    """The ratio of :func:`relation_rate_ratio` for ``n_groups`` equal groups whose offsets are each one direction,
    the directions orthogonal in ``dim`` dimensions, against evenly mixed groups:
    ``ln(1 + d/ε²) / (K ln(1 + d/(K ε²)))`` (eq. 8 with ``Z_jᵀZ_j = m_j u_j u_jᵀ``, resp.
    ``Σ_i (m_j/K) u_i u_iᵀ``)."""
    K = validate.integer("n_groups", n_groups, low=1)
    d = validate.array("dim", dim, ndim=(0, 1), positive=True)
    eps2 = validate.real("eps2", eps2, low=0.0, low_open=True)
    return np.log1p(d / eps2) / (K * np.log1p(d / (K * eps2)))


def rank_sweep(cfg: RankConfig, seed: int) -> dict[str, np.ndarray]:
    """For one corpus: 3CosAdd accuracy on the exact relations at every rank, for the PPMI factorisation (its top
    ``k`` singular directions) and for its null, ``k`` of its singular directions chosen at random (the same
    factorisation and the same number of numbers, chosen blindly); the coding-rate ratio of the relation offsets
    (:func:`relation_rate_ratio`) for both, the coding rate of the words (``word_rate``) and the singular values."""
    if not isinstance(cfg, RankConfig):
        raise ValueError(f"cfg must be a RankConfig, got {type(cfg).__name__}")
    ccfg = cfg.corpus_config()
    k_corpus, k_random = jax.random.split(jax.random.key(validate.seed("seed", seed)))
    vocab, tokens = corpus.planted_corpus(k_corpus, ccfg)
    ppmi = corpus.pmi(corpus.cooccurrence(tokens, vocab.size, ccfg.window), positive=True)
    full = geometry.svd_embeddings(ppmi, vocab.size)            # columns in order of singular value
    q = vocab.questions[corpus.exact_relation_mask(vocab, ccfg)]
    rng = np.random.default_rng(np.asarray(jax.random.key_data(k_random)).ravel())
    blind = full[:, rng.permutation(vocab.size)]                  # the singular directions in a random order
    acc = [geometry.analogy_accuracy(full[:, :k], q) for k in cfg.ranks]
    null = [geometry.analogy_accuracy(blind[:, :k], q) for k in cfg.ranks]
    pairs, labels = relation_offsets(vocab, ccfg)
    groupings = np.stack([rng.permutation(labels) for _ in range(N_GROUPINGS)])
    rates = {name: [relation_rate_ratio(emb[:, :k], pairs, labels, groupings) for k in cfg.ranks]
             for name, emb in (("rate_ratio", full), ("null_rate_ratio", blind))}

    def rate_of_words(k: int) -> float:
        z = full[:, :k] / np.maximum(np.linalg.norm(full[:, :k], axis=1, keepdims=True), 1e-12)
        return float(coding_rate.coding_rate(np.asarray(z, np.float32), EPS2))

    word_rate = [rate_of_words(k) for k in cfg.ranks]
    return {"accuracy": np.array(acc), "null_accuracy": np.array(null), "word_rate": np.array(word_rate),
            "rate_ratio": np.array(rates["rate_ratio"]), "null_rate_ratio": np.array(rates["null_rate_ratio"]),
            "singular": np.linalg.svd(ppmi, compute_uv=False), "n_questions": np.array(len(q))}


def _experiment(spec: dict[str, Any]) -> dict[str, np.ndarray]:
    cfg, seeds = spec["cfg"], list(spec["seeds"])
    runs = [rank_sweep(cfg, s) for s in seeds]
    out = {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    out["seeds"] = np.array(seeds)
    return out


def run(cfg: RankConfig) -> dict[str, Any]:
    """Section 4's experiment, cached by :func:`dltheory.sweep.run`: ``accuracy`` and ``null_accuracy``
    (seed, rank), ``singular`` (seed, V), ``ratio`` (rank,) the compression ratio of each rank."""
    if not isinstance(cfg, RankConfig):
        raise ValueError(f"cfg must be a RankConfig, got {type(cfg).__name__}")
    # the seeds are part of the key: the same config under another DLTHEORY_SEED is another run
    res = dict(sweep.run(_experiment, [{"cfg": cfg, "seeds": runtime.seeds(cfg.n_seeds)}], desc="ranks")[0])
    res["ratio"] = compression_ratio(cfg.corpus_config().vocab_size, np.array(cfg.ranks))
    res["ranks"] = np.array(cfg.ranks)
    res["cfg"] = cfg
    return res


def synthesis_point(res: dict[str, Any] | None = None) -> dict[str, Any]:
    """The section's point of the synthesis figure, from :func:`run`'s result (by default the cached run of the
    configuration of ``DLTHEORY_MODE``): at the planted rank ``d``, the compression ratio and the median share of
    full-rank analogy accuracy kept, for the factorisation and for ``k`` randomly chosen singular directions (the same ratio)."""
    res = run(RankConfig.from_env()) if res is None else res
    cfg = res["cfg"]
    j = list(cfg.ranks).index(cfg.dim)
    full = res["accuracy"][:, -1]
    return {"section": "representations", "ratio": float(res["ratio"][j]),
            "kept": float(np.median(kept_share(res["accuracy"][:, j], full))),
            "null_ratio": float(res["ratio"][j]),
            "null_kept": float(np.median(kept_share(res["null_accuracy"][:, j], full)))}


def check_relative_error(relative_error: Any) -> None:
    """Exercise check (section 4): ``relative_error(M, k)``, the Frobenius error of the best rank-``k`` approximation
    of ``M`` over the norm of ``M``, against the error of the truncated SVD computed directly."""
    selfcheck.answered("relative_error", relative_error)

    def truncated(M: np.ndarray, k: int) -> float:
        U, S, Vt = np.linalg.svd(M, full_matrices=False)
        return float(np.linalg.norm(M - (U[:, :k] * S[:k]) @ Vt[:k]) / np.linalg.norm(M))

    rng = np.random.default_rng(0)
    cases = [(rng.standard_normal((12, 12)), 3), (rng.standard_normal((20, 8)) @ rng.standard_normal((8, 15)), 8),
             (rng.standard_normal((10, 30)), 1)]
    selfcheck.function("relative_error", relative_error, truncated, cases, rtol=1e-6,
                       hint="by Eckart-Young the error is the square root of the sum of the squared singular values "
                            "beyond the k-th, divided by the square root of the sum of all of them.")


def check_parallel_ratio(answer: Any, n_groups: int, dim: int) -> None:
    """Exercise check (section 4): the coding-rate ratio of ``n_groups`` equal groups of offsets, each one direction
    (orthogonal in ``dim`` dimensions), against evenly mixed groups, at ε² = 0.5 (:func:`parallel_ratio`)."""
    selfcheck.answered("ratio", answer)
    selfcheck.number("ratio", answer, float(parallel_ratio(n_groups, dim)), rtol=1e-6,
                     hint="grouped by relation, each group's Gram matrix is m_j u uᵀ: one eigenvalue, "
                          "log(1 + d/ε²); mixed evenly, it is (m_j/K) on each of K directions: "
                          "K log(1 + d/(K ε²)); the shares m_j/2m are the same in both and cancel.")
