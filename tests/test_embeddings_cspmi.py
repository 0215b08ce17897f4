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
