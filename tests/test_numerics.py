"""Numerical health with extreme inputs (issue 10): PMI, coding rates, MI estimators, bounds and code lengths.

Each test feeds values at the edge of what float32/float64 hold (huge counts, tiny ε², probabilities at
0 and 1, enormous KL terms) and asks for the answer the mathematics gives: finite where it is finite, the
right limit where there is one, and a ValueError naming the argument where the input makes no sense.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from dltheory.information import coding_rate as MCR
from dltheory.information import description_length as MDL
from dltheory.information import estimating_mi as MI
from dltheory.information import information_plane as IP
from dltheory.information import pac_bayes as PB
from dltheory.embeddings import corpus

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------- PMI (chapter 4)

def _counts() -> np.ndarray:
    c = RNG.integers(1, 50, size=(6, 6)).astype(np.float64)
    return c + c.T


@pytest.mark.parametrize("scale", [1e-30, 1e30, 2.0**62])
def test_pmi_is_scale_free_even_where_products_overflow(scale):
    base = _counts()
    # #(w,c)·D at 1e30 is 1e62 > float32 max: the log-space computation never forms that product
    scaled = (base * scale).astype(np.float32) if scale < 1e38 else base * scale
    np.testing.assert_allclose(corpus.pmi(scaled), corpus.pmi(base), atol=1e-5)
    assert np.all(np.isfinite(corpus.pmi(scaled)))


def test_pmi_of_int64_counts_beyond_float32_precision():
    base = _counts().astype(np.int64)
    big = base * (2**40)
    np.testing.assert_allclose(corpus.pmi(big), corpus.pmi(base), atol=1e-9)


def test_pmi_marks_unseen_pairs_minus_inf_and_ppmi_zero():
    c = _counts()
    c[0, 1] = c[1, 0] = 0.0
    out = corpus.pmi(c)
    assert out[0, 1] == -np.inf and np.all(np.isfinite(np.delete(out.ravel(), [1, 6])))
    assert corpus.pmi(c, positive=True)[0, 1] == 0.0


@pytest.mark.parametrize("bad", [np.full((3, 3), np.nan), -np.ones((3, 3)), np.zeros((3, 3)), np.ones((3, 4))])
def test_pmi_rejects_counts_it_cannot_use(bad):
    with pytest.raises(ValueError, match="counts"):
        corpus.pmi(bad)


# ---------------------------------------------------------------- coding rates (chapter 5)

def _features(m=60, d=6, scale=1.0, dtype=np.float32) -> np.ndarray:
    return (RNG.standard_normal((m, d)) * scale).astype(dtype)


def test_coding_rate_of_zero_features_is_zero():
    assert float(MCR.coding_rate(np.zeros((10, 4), np.float32), 0.5)) == 0.0


@pytest.mark.parametrize("eps2", [1e-30, 1e-12])
def test_coding_rate_with_tiny_eps_follows_its_logarithmic_growth(eps2):
    z = _features()
    m, d = z.shape
    # R(ε) ≈ ½ logdet(d/(mε²) ZᵀZ) when ε → 0: the difference between two tiny ε² is d/2·log of their ratio
    r, r10 = float(MCR.coding_rate(z, eps2)), float(MCR.coding_rate(z, eps2 * 10))
    assert np.isfinite(r) and np.isfinite(r10)
    np.testing.assert_allclose(r - r10, 0.5 * d * math.log(10), rtol=1e-3)


@pytest.mark.parametrize("scale", [1e12, 1e15])
def test_coding_rate_of_huge_float32_features_stays_finite_and_exact(scale):
    z = _features(scale=scale)
    m, d = z.shape
    exact = 0.5 * np.linalg.slogdet(np.eye(d) + d / (m * 0.5) * z.astype(np.float64).T @ z.astype(np.float64))[1]
    np.testing.assert_allclose(float(MCR.coding_rate(z, 0.5)), exact, rtol=1e-4)


def test_rate_reduction_is_finite_for_a_rank_deficient_class_and_an_empty_class():
    z = _features(m=30, d=5)
    z[:10] = 0.0  # class 0 collapsed to a point
    labels = np.repeat([0, 1, 2], 10)
    dr = float(MCR.rate_reduction(z, labels, 0.5, n_classes=4))  # class 3 empty
    assert np.isfinite(dr) and dr >= 0.0


@pytest.mark.parametrize("bad", [np.array([[np.nan, 1.0]]), np.array([[np.inf, 1.0]]), np.ones(3)])
def test_coding_rate_rejects_non_finite_or_flat_features(bad):
    with pytest.raises(ValueError, match="z"):
        MCR.coding_rate(bad, 0.5)


def test_rate_reduction_max_with_extreme_counts_and_eps():
    r = MCR.rate_reduction_max(np.array([1e12, 1.0]), np.array([3, 3]), 6, 1e-20)
    assert np.isfinite(r) and r > 0


# ---------------------------------------------------------------- MI estimators and binned entropy

def test_binned_mi_of_a_constant_is_zero_and_of_huge_values_is_finite():
    x = np.full(200, 3.0)
    y = RNG.standard_normal(200)
    assert MI.binned_mi(x, y, 10) == pytest.approx(0.0, abs=1e-12)
    big = RNG.standard_normal(200) * 1e300
    assert np.isfinite(MI.binned_mi(big, big, 10))


def test_ksg_mi_is_finite_with_duplicated_samples():
    x = np.repeat(RNG.standard_normal(50), 4)
    assert np.isfinite(MI.ksg_mi(x, x + 1e-3 * RNG.standard_normal(200), k=3))


def test_layer_entropy_of_constant_activities_is_zero_and_of_distinct_rows_is_log2_n():
    assert IP.layer_entropy(np.ones((64, 3)), 30) == pytest.approx(0.0, abs=1e-9)
    t = np.arange(64, dtype=np.float64)[:, None] * np.ones((1, 2))
    assert IP.layer_entropy(t, 64) == pytest.approx(6.0, abs=1e-5)


# ---------------------------------------------------------------- bounds and code lengths (chapter 5)

@pytest.mark.parametrize("q", [0.0, 1e-12, 0.5, 1.0 - 1e-12, 1.0])
def test_kl_bernoulli_at_the_edges_is_finite_and_non_negative(q):
    for p in (0.0, 1e-300, 0.5, 1.0 - 1e-16, 1.0):
        v = float(PB.kl_bernoulli(q, p))
        assert v >= 0.0 and not np.isnan(v)


def test_kl_bernoulli_keeps_its_value_when_p_is_within_a_billionth_of_q():
    q, h = 0.3, 1e-9
    # kl(q ‖ q + h) = h² / (2 q (1 - q)) + O(h³): 2.4e-18, below the rounding error of log(q / p)
    assert float(PB.kl_bernoulli(q, q + h)) == pytest.approx(h**2 / (2 * q * (1 - q)), rel=1e-5)


@pytest.mark.parametrize("q", [0.0, 0.3, 1.0])
def test_kl_inverse_limits(q):
    assert PB.kl_inverse(q, 0.0) == pytest.approx(q, abs=1e-9)  # no slack: the bound is the empirical error
    assert PB.kl_inverse(q, 1e300) == 1.0  # vacuous slack: the bound is 1


def test_pac_bayes_and_occam_bounds_with_enormous_complexity_are_vacuous_not_nan():
    assert PB.pac_bayes_bound(0.0, 1e300, 10**12) == 1.0
    assert PB.occam_bound(0.0, 1e300, 10**12) == 1.0
    # an enormous sample makes them tight
    assert PB.pac_bayes_bound(0.1, 10.0, 10**15) == pytest.approx(0.1, abs=1e-4)


@pytest.mark.parametrize("call, name", [
    (lambda: PB.pac_bayes_bound(0.1, float("nan"), 100), "kl"),
    (lambda: PB.pac_bayes_bound(1.5, 1.0, 100), "train_error"),
    (lambda: PB.occam_bound(0.1, -1.0, 100), "bits"),
    (lambda: PB.kl_inverse(0.1, float("inf")), "c"),
])
def test_bounds_reject_bad_input_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_code_lengths_of_long_sequences_are_finite_and_at_least_the_entropy():
    labels = np.zeros(200_000, np.int64)
    bits = MDL.laplace_codelength(labels, 0, 10)
    # the Laplace code of n identical symbols costs log2 C(n+K-1, K-1) bits: about (K-1)·log2 n
    exact = (math.lgamma(200_000 + 10) - math.lgamma(200_000 + 1) - math.lgamma(10)) / math.log(2)
    assert bits == pytest.approx(exact, rel=1e-9)
    symbols = np.r_[np.zeros(10**6, np.int64), 1]
    assert np.isfinite(PB.entropy_code_bits(symbols, 8))
