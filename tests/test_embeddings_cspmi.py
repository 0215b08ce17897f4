"""Tests of § 4.8's csPMI criterion and distance identity (dltheory.embeddings.linear_analogies)."""

from __future__ import annotations

import numpy as np
import pytest

from dltheory.embeddings import linear_analogies as la


def _counts_from_pmi(P: np.ndarray, freq: np.ndarray, total: float = 1e9) -> np.ndarray:
    """Counts whose PMI is ``P`` when ``P`` is small: #(a, b) = total p(a) p(b) exp(P(a, b)), rows renormalised."""
    p = freq / freq.sum()
    return total * np.outer(p, p) * np.exp(P)


def test_relation_spreads_independent_words():
    # independent words: PMI = 0 everywhere, so D = 0 on every pair and csPMI = log p(a) + log p(b)
    freq = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    counts = _counts_from_pmi(np.zeros((5, 5)), freq)
    pairs = [np.array([[0, 1], [1, 2], [2, 3], [3, 4]])]
    out = la.relation_spreads(counts, pairs)
    assert out["distance"][0] == pytest.approx(0.0, abs=1e-9)
    log_p = np.log(freq / freq.sum())
    expected = np.std([log_p[a] + log_p[b] for a, b in pairs[0]], ddof=1)
    assert out["cspmi"][0] == pytest.approx(expected, rel=1e-9)


def test_relation_spreads_planted_factorisation():
    # PMI = V Vᵀ (small): D(a, b) = |v_a - v_b|²; pairs with equal differences have zero spread of D
    rng = np.random.default_rng(0)
    V = 0.1 * rng.normal(size=(6, 3))
    V[3:] = V[:3] + 0.1 * np.array([1.0, -0.5, 0.2])  # b = a + r for the pairs (0, 3), (1, 4), (2, 5)
    counts = _counts_from_pmi(V @ V.T, np.ones(6))
    out = la.relation_spreads(counts, [np.array([[0, 3], [1, 4], [2, 5]]), np.array([[0, 1], [2, 4], [3, 5]])])
    assert out["distance"][0] < 1e-4  # an exact relation: equal squared lengths
    assert out["distance"][1] > 10 * out["distance"][0]


def test_relation_spreads_rejects_bad_input():
    counts = np.ones((4, 4))
    with pytest.raises(ValueError, match="pairs"):
        la.relation_spreads(counts, [np.array([[0, 1], [1, 9], [2, 3]])])
    with pytest.raises(ValueError, match="fewer than 3"):
        la.relation_spreads(counts, [np.array([[0, 1], [1, 2]])])
    zero = np.ones((4, 4))
    zero[0, 1] = zero[1, 0] = 0
    with pytest.raises(ValueError, match="fewer than 3"):
        la.relation_spreads(zero, [np.array([[0, 1], [0, 1], [2, 3]])])


def test_run_cspmi_criterion_rejects_bad_config():
    with pytest.raises(ValueError, match="CorpusConfig"):
        la.run_cspmi_criterion([0], object())


def test_criterion_result_round_trips_through_arrays():
    # what a saved run (dltheory.saved) stores and reads back: every field, with its type
    rng = np.random.default_rng(1)
    rows = [{k: rng.normal(size=4) for k in ("acc", "cs", "D", "ncs", "nD")} for _ in range(2)]
    made = la.criterion_result([7, 8], (0.0, 0.5, 1.0, 1.5), rows)
    read = la.CriterionResult.from_arrays(made.to_arrays())
    assert read.seeds == [7, 8] and read.relation_noise == (0.0, 0.5, 1.0, 1.5)
    for name in ("accuracy", "spread_distance", "null_cspmi", "rho_cspmi", "rho_rise", "null_rho_rise"):
        assert np.array_equal(getattr(read, name), getattr(made, name)), name
    arrays = made.to_arrays()
    del arrays["rho_distance"]
    with pytest.raises(ValueError, match="rho_distance"):
        la.CriterionResult.from_arrays(arrays)


def test_run_sgns_distance_rejects_bad_input():
    from dltheory.embeddings import corpus, sgns

    cfg = corpus.CorpusConfig(n_tokens=1000)
    vocab = corpus.planted_vocabulary(__import__("jax").random.key(0), cfg)
    tokens = np.zeros(1000, dtype=np.int64)
    with pytest.raises(ValueError, match="Vocabulary"):
        la.run_sgns_distance(object(), tokens, cfg, sgns.SGNSConfig(), [0], second_seed=1)
    with pytest.raises(ValueError, match="window"):
        la.run_sgns_distance(vocab, tokens, cfg, sgns.SGNSConfig(window=3), [0], second_seed=1)


COUNTS4 = np.array([[3424.0, 4100.0, 1151.0, 1021.0],
                    [4100.0, 7035.0, 1021.0, 1298.0],
                    [1151.0, 1021.0, 1117.0, 734.0],
                    [1021.0, 1298.0, 734.0, 691.0]])


def test_check_cspmi_hypothesis_accepts_the_answer_and_rejects_wrong_ones():
    from dltheory import selfcheck
    from dltheory.embeddings import corpus, exercises

    P = corpus.pmi(COUNTS4)
    log_p = np.log(COUNTS4.sum(1) / COUNTS4.sum())
    pairs = [(0, 1), (2, 3)]
    right = [2 * P[a, b] + log_p[a] + log_p[b] for a, b in pairs]
    D = [P[a, a] + P[b, b] - 2 * P[a, b] for a, b in pairs]
    assert abs(D[0] - D[1]) < 0.01 and abs(right[0] - right[1]) > 1  # the exercise's point
    assert exercises.check_cspmi_hypothesis(right, False, counts=COUNTS4, pairs=pairs) is False
    with pytest.raises(selfcheck.WrongAnswer, match="True"):  # the wrong conclusion
        exercises.check_cspmi_hypothesis(right, True, counts=COUNTS4, pairs=pairs)
    with pytest.raises(selfcheck.WrongAnswer, match="PMIs"):  # PMI in place of csPMI
        exercises.check_cspmi_hypothesis([P[0, 1], P[2, 3]], False, counts=COUNTS4, pairs=pairs)
    with pytest.raises(selfcheck.WrongAnswer):  # the distances in place of csPMI
        exercises.check_cspmi_hypothesis(D, True, counts=COUNTS4, pairs=pairs)
    with pytest.raises(selfcheck.WrongAnswer):  # not answered
        exercises.check_cspmi_hypothesis(..., False, counts=COUNTS4, pairs=pairs)


# ---------------------------------------------------------------- the equal-norm design (cspmi_power)
def test_relation_names_and_balanced_pairs_beyond_eight():
    from dltheory.embeddings import corpus

    assert corpus.relation_names(3) == corpus.RELATION_NAMES[:3]
    assert corpus.relation_names(10)[8:] == ("r08", "r09")
    with pytest.raises(ValueError):
        corpus.relation_names(17)
    for n in (9, 15, 16):  # every pair once; each whole round uses every relation at most once
        pairs = corpus._round_robin(n)
        assert sorted(pairs) == [(i, j) for i in range(n) for j in range(i + 1, n)]
    assert np.bincount(corpus._relation_pairs(16, 48).ravel(), minlength=16).tolist() == [6] * 16
    # up to eight relations the book's corpora keep their lexicographic order
    assert corpus._relation_pairs(8, 3).tolist() == [[0, 1], [0, 2], [0, 3]]


def test_equal_norm_and_criterion_config():
    import jax

    from dltheory.embeddings import corpus, cspmi_power as cp

    cfg = cp.criterion_config(corpus.CorpusConfig())
    assert (cfg.n_relations, cfg.n_families, cfg.vocab_size) == (16, 48, 256)
    vocab = cp.criterion_vocabulary(jax.random.key(0), cfg)
    norms = np.linalg.norm(vocab.vectors, axis=1)
    assert np.allclose(norms, 1.3 * np.sqrt(cfg.dim))
    raw = cp.criterion_vocabulary(jax.random.key(0), cfg, normalise=False)
    assert np.linalg.norm(raw.vectors, axis=1).std() > 0.1 * norms.mean()  # the offsets add to the norms
    with pytest.raises(ValueError, match="cannot hold"):
        cp.criterion_config(corpus.CorpusConfig(n_filler=0, n_families=2))
    with pytest.raises(ValueError, match="Vocabulary"):
        cp.equal_norm(object(), cfg)


def test_expected_and_poisson_counts():
    import jax

    from dltheory.embeddings import corpus, cspmi_power as cp

    vectors = np.random.default_rng(0).normal(size=(12, 4))
    mean = cp.expected_counts(jax.random.key(0), vectors, 10_000, 0.9, 2, n_samples=4096)
    assert np.allclose(mean, mean.T)
    assert mean.sum() == pytest.approx((10_000 - 1) + (10_000 - 2), rel=1e-4)  # one count per ordered pair
    counts = cp.poisson_counts(jax.random.key(1), mean)
    assert np.array_equal(counts, counts.T) and counts.sum() == pytest.approx(2 * mean.sum(), rel=0.05)
    # the population PMI of words with parallel vectors is positive (RAND-WALK), of independent-looking ones smaller
    P = corpus.pmi(mean)
    assert np.isfinite(P).all()
    with pytest.raises(ValueError):
        cp.expected_counts(jax.random.key(0), vectors, 10_000, 1.0, 2)


def test_criterion_power_separates_the_relations_from_the_null():
    import jax

    from dltheory.embeddings import corpus, cspmi_power as cp

    cfg = cp.criterion_config(corpus.CorpusConfig(dim=16, n_filler=128, n_families=24, n_tokens=1_000_000))
    res = cp.criterion_power(jax.random.key(0), cfg, 1, n_draws=1, n_samples=4096)
    assert res.rho_cspmi.shape == (1,) and res.accuracy.shape == (1, 16)
    assert res.accuracy[0, :4].mean() > res.accuracy[0, -4:].mean()  # graded noise lowers 3CosAdd
    assert res.rho_distance[0] < res.null_rho_distance[0]
    with pytest.raises(ValueError, match="CorpusConfig"):
        cp.criterion_power(jax.random.key(0), object(), 1)
    with pytest.raises(ValueError, match="CorpusConfig"):
        cp.run_criterion([0], object())
    with pytest.raises(ValueError):
        cp.summarise([1.0])
