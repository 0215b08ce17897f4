"""Tests of §10 (``scaling.data_statistics``): the source's correlations, the noise level, the horizon estimator,
the theory's horizon, the page and the exercise's self-check."""

from __future__ import annotations

import math

import jax
import numpy as np
import pytest

from dltheory.scaling import data_statistics as D


def test_correlation_decay_closed_form():
    t = np.array([0.0, 1.0, 5.0, 100.0])
    np.testing.assert_allclose(D.correlation_decay(t, 1.0), 1 / (t + 1), rtol=1e-12)
    # E[(1 − λ)^t] for λ ~ Beta(β, 1), by quadrature, and the t^-β asymptote
    lam = np.linspace(0, 1, 400_001)[1:]
    for beta in (0.5, 0.75):
        quad = np.trapezoid(beta * lam ** (beta - 1) * (1 - lam) ** 10, lam)
        assert abs(quad - D.correlation_decay(10.0, beta)) < 2e-3
        big = D.correlation_decay(1e6, beta)
        assert abs(big / (math.gamma(beta + 1) * 1e6 ** -beta) - 1) < 1e-4
    with pytest.raises(ValueError):
        D.correlation_decay(1.0, 0.0)


@pytest.mark.parametrize("kind", ["power", "null"])
def test_sampler_has_the_predicted_correlation(kind):
    """P(x_0 = x_t) − 1/v = ρ(t)(1 − 1/v) for the power-law source and the Markov null."""
    v, dist = 8, [1, 4, 30]
    kw = dict(beta=1.0) if kind == "power" else dict(rate=0.05)
    tok = np.asarray(D.sample_tokens(jax.random.key(3), 200_000, dist, vocab=v, **kw))
    rho = D.correlation_decay(np.array(dist, float), 1.0) if kind == "power" else 0.95 ** np.array(dist)
    same = (tok[:, 1:] == tok[:, :1]).mean(axis=0)
    np.testing.assert_allclose(same - 1 / v, rho * (1 - 1 / v), atol=0.006)
    assert np.all(np.abs(np.bincount(tok[:, 0], minlength=v) / len(tok) - 1 / v) < 0.005)


def test_sampler_validates():
    with pytest.raises(ValueError, match="exactly one"):
        D.sample_tokens(jax.random.key(0), 10, [1, 2], vocab=4)
    with pytest.raises(ValueError, match="exactly one"):
        D.sample_tokens(jax.random.key(0), 10, [1, 2], vocab=4, beta=1.0, rate=0.1)
    with pytest.raises(ValueError, match="increasing"):
        D.sample_tokens(jax.random.key(0), 10, [2, 2], vocab=4, beta=1.0)


def test_noise_level_is_the_independent_expectation():
    """For independent tokens (λ = 1) E‖Ĉ‖² equals the noise level n(P)², at every P."""
    tok = D.sample_tokens(jax.random.key(1), 40_000, list(range(1, 41)), vocab=8, rate=1.0)
    norm2, noise2 = D.correlation_norms(tok, [2_000, 40_000], 8)
    ratio = (norm2 / noise2).mean(axis=1)
    np.testing.assert_allclose(ratio, 1.0, atol=0.08)
    np.testing.assert_allclose(noise2[:, 0], (7 / 8) ** 2 / np.array([2_000, 40_000]), rtol=0.02)
    with pytest.raises(ValueError, match="exceeds"):
        D.correlation_norms(tok, [50_000], 8)


def test_horizon_interpolates_and_flags():
    d = np.array([1, 10, 100])
    noise = np.ones((1, 3))
    # signal/noise = 3, 1.5, 0.5: crosses 1 halfway between 10 and 100 in log t
    t = D.horizon(noise + np.array([[3.0, 1.5, 0.5]]), noise, d)
    assert abs(t[0] - math.sqrt(1000)) < 1e-9
    assert np.isnan(D.horizon(noise + np.array([[0.5, 0.2, 0.1]]), noise, d)[0])   # below at once
    assert np.isnan(D.horizon(noise + np.array([[5.0, 4.0, 3.0]]), noise, d)[0])   # never below


def test_horizon_theory_and_fit():
    sizes = np.array([1e3, 1e4, 1e5])
    exact = np.sqrt(sizes / 15) - 1                                   # β = 1: ρ = 1/(t + 1)
    np.testing.assert_allclose(D.horizon_theory(lambda t: 1 / (t + 1), sizes, 16), exact, rtol=1e-9)
    assert abs(D.fit_exponent(sizes, 3 * sizes ** 0.37) - 0.37) < 1e-12
    markov = D.horizon_theory(lambda t: 0.95 ** t, sizes, 16)
    np.testing.assert_allclose(markov, np.log(np.sqrt(sizes / 15)) / -np.log(0.95), rtol=1e-9)


def test_config_validates():
    with pytest.raises(ValueError):
        D.HorizonConfig(p_min=1000, p_max=500)
    with pytest.raises(ValueError):
        D.HorizonConfig(betas=(1.0, -0.5))
    with pytest.raises(ValueError):
        D.HorizonConfig(null_rate=1.0)
    assert D.HorizonConfig.fast().sizes[0] == 1000 and len(D.HorizonConfig.full().sizes) == 9


def test_horizon_experiment_small():
    """A small run: the power-law horizon grows much faster with P than the Markov null's."""
    cfg = D.HorizonConfig(vocab=8, betas=(1.0,), p_min=1_000, p_max=30_000, n_sizes=3, t_max=1_024,
                          n_distances=24, n_seeds=2)
    res = D.horizon_experiment(cfg, [0, 1])
    assert res.tstar["beta=1"].shape == (2, 3) and set(res.tstar) == {"beta=1", "null"}
    assert np.all(res.exponents("beta=1") > 0.35) and np.all(res.exponents("null") < 0.25)


def test_exercise_check_accepts_the_answer_and_rejects_wrong_ones():
    small, large = D.vocab_exponent(8), D.vocab_exponent(64)
    assert abs(small - 0.5) <= 0.1 and abs(large - 0.5) <= 0.1       # the hypothesis holds: True is the answer
    D.check_vocab_hypothesis(small, large, True)
    with pytest.raises(ValueError, match="not the exponent"):
        D.check_vocab_hypothesis(small + 0.2, large, True)
    with pytest.raises(ValueError, match="not the exponent"):
        D.check_vocab_hypothesis(small, 1.0, True)                    # 1/β instead of 1/(2β)
    with pytest.raises(ValueError, match="constant factor"):
        D.check_vocab_hypothesis(small, large, False)
    with pytest.raises(ValueError, match="True or False"):
        D.check_vocab_hypothesis(small, large, "yes")


def test_seed_record_loads_and_its_table_flags_a_miss(tmp_path):
    record, provenance = D.load_seed_record()
    assert provenance["mode"] == "fast" and record["runs"] == list(range(17))
    assert set(record["exponents"]) == {"beta=1", "beta=0.5", "null"}
    table = D.base_seed_table(record["runs"], record["exponents"], {"beta=0.5": 1.0, "null vs 1": 1.0}, 3)
    assert sorted(table) == list(range(15))
    # a run moved out of the bar shows on the three base seeds that use it, and only there
    moved = {"beta=0.5": record["exponents"]["beta=0.5"].copy(), "null": record["exponents"]["null"]}
    moved["beta=0.5"][5] = 1.2
    bad = D.base_seed_table(record["runs"], moved, {"beta=0.5": 1.0}, 3)
    assert [b for b, row in bad.items() if row["beta=0.5"] > 0.1] == [3, 4, 5]
    # the null's entry is its closest approach: a null run that meets the target is caught
    moved["null"] = moved["null"].copy()
    moved["null"][0] = 0.98
    assert D.base_seed_table(record["runs"], moved, {"null vs 1": 1.0}, 3)[0]["null vs 1"] < 0.1
    with pytest.raises(ValueError):
        D.base_seed_table([0, 2, 3], moved, {"beta=0.5": 1.0}, 3)
    broken = tmp_path / "r.json"
    broken.write_text('{"runs": [0, 1], "exponents": {"null": [0.1]}, "provenance": {}}')
    with pytest.raises(ValueError):
        D.load_seed_record(broken)
    broken.write_text('{"runs": [0]}')
    with pytest.raises(ValueError):
        D.load_seed_record(broken)
