"""Chapter 1 (dltheory.scaling): fits recover known laws, the derivations match closed forms, bad input
raises ValueError naming the argument, and every exercise check rejects wrong answers and placeholders."""

import math

import jax
import numpy as np
import pytest

from dltheory import scaling as S
from dltheory import selfcheck


def test_fit_power_law_recovers_noise_free_law_and_naive_fit_is_biased():
    x = np.logspace(5, 9, 20)
    y = S.power_law(x, 1.69, 406.4, 0.34)
    fit = S.fit_power_law(x, y)
    assert fit.alpha == pytest.approx(0.34, abs=1e-3)
    assert fit.E == pytest.approx(1.69, rel=1e-3)
    _, naive = S.fit_loglinear(x, y)
    assert naive < 0.25  # the missing offset flattens the line
    _, exact = S.fit_loglinear(x, 406.4 * x**-0.34)  # ... and without an offset the line is exact
    assert exact == pytest.approx(0.34, abs=1e-9)


def test_bootstrap_shapes_and_spread():
    x = np.logspace(5, 9, 20)
    y = S.sample_power_law(jax.random.key(0), x, E=1.69, A=406.4, alpha=0.34, noise=0.01)
    boot = S.bootstrap_power_law(jax.random.key(1), x, y, S.fit_power_law(x, y), n_boot=20)
    assert boot["alpha"].shape == boot["naive_alpha"].shape == (20,)
    assert 0 < np.std(boot["alpha"]) < 0.05


def test_fit_chinchilla_recovers_the_generating_law():
    N, D = (a.ravel() for a in np.meshgrid(np.logspace(7, 10, 6), np.logspace(9, 12, 6)))
    fit = S.fit_chinchilla(N, D, S.chinchilla_loss(N, D, S.EPOCH))
    for k in ("E", "alpha", "beta"):
        assert fit[k] == pytest.approx(S.EPOCH[k], rel=1e-3)


def test_allocation_matches_closed_form_and_minimises_the_loss():
    p = S.CHINCHILLA
    a = p["beta"] / (p["alpha"] + p["beta"])
    assert S.exponent_a(p) == pytest.approx(a)
    C = np.array([1e20, 1e24])
    n_opt, d_opt = S.compute_optimal(C, p)
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    np.testing.assert_allclose(n_opt, G * (C / 6) ** a, rtol=1e-10)
    np.testing.assert_allclose(6 * n_opt * d_opt, C, rtol=1e-10)
    for c, n in zip(C, n_opt):  # a brute-force scan along the isoFLOP curve finds the same minimum
        grid = n * np.logspace(-1, 1, 2001)
        best = grid[np.argmin(S.chinchilla_loss(grid, c / (6 * grid), p))]
        assert best == pytest.approx(n, rel=5e-3)


def test_projection_risk_matches_eigenlearning_theory():
    lam = S.power_spectrum(1.0, 1024)
    ns = np.array([8, 16, 32, 64])
    risk = np.mean([S.projection_risk(jax.random.key(s), lam, ns) for s in range(8)], axis=0)
    np.testing.assert_allclose(risk, S.eigenlearning_risk(lam, ns), rtol=0.2)
    assert S.fit_exponent(ns, risk) == pytest.approx(1.0, abs=0.15)


def test_quanta_loss_is_decreasing_and_follows_expectation():
    p = S.zipf(0.5, 2**14)
    Ds = np.array([100.0, 1000.0, 10000.0])
    loss = np.mean([S.quanta_loss(jax.random.key(s), p, Ds) for s in range(40)], axis=0)
    expected = 1 - np.array([np.sum(p * (1 - np.exp(-D * p))) for D in Ds])
    np.testing.assert_allclose(loss, expected, rtol=0.05)
    assert np.all(np.diff(loss) < 0)


def test_isoflop_minima_finds_an_interior_valley():
    cfg = S.IsoflopConfig(widths=(1, 2, 4), steps=10, eval_every=5, n_seeds=1)
    N, D = cfg.params, np.array([2.0, 20.0, 200.0])
    # a synthetic learning-curve tensor drawn from a law with a known valley
    loss = S.chinchilla_loss(N[:, None], D[None, :], {"E": 0.1, "A": 10.0, "B": 10.0, "alpha": 0.5, "beta": 0.5})[None]
    result = S.IsoflopResult(cfg, (0,), N, D, loss, 0.0)
    C = 6 * N[1] ** 2  # with A = B and alpha = beta the optimum is N = D = sqrt(C/6)
    out = S.isoflop_minima(result, [C])
    assert out["interior"][0]
    assert out["N_opt"][0] == pytest.approx(N[1], rel=0.5)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: S.power_law([1.0, -1.0], 1, 1, 1), "x"),
        (lambda: S.power_law([1.0], 1, 1, -0.5), "alpha"),
        (lambda: S.fit_power_law([1, 2, 3], [1, 2, 3]), "x must have at least"),
        (lambda: S.fit_power_law(np.arange(1, 6), np.arange(1, 6), delta=0), "delta"),
        (lambda: S.fit_chinchilla(np.ones(6), np.ones(6), np.ones(7)), "same shape"),
        (lambda: S.compute_optimal([1e20], {"E": 1, "A": 1, "B": 1, "alpha": 0.3}), "missing"),
        (lambda: S.compute_optimal([-1.0], S.CHINCHILLA), "C"),
        (lambda: S.exponent_a({**S.CHINCHILLA, "beta": 0}), "beta"),
        (lambda: S.power_spectrum(1.0, 1), "M"),
        (lambda: S.projection_risk(jax.random.key(0), S.power_spectrum(1, 64), [8, 4]), "ns"),
        (lambda: S.eigenlearning_risk(S.power_spectrum(1, 64), [64]), "ns"),
        (lambda: S.zipf(0.0, 10), "alpha"),
        (lambda: S.quanta_loss(jax.random.key(0), [0.9, 0.9], [1.0]), "p must sum"),
        (lambda: S.quanta_loss(jax.random.key(0), S.zipf(1, 8), [2.0, 1.0]), "Ds"),
        (lambda: S.fit_exponent([1, 2], [1, 2]), "x must have at least"),
        (lambda: S.FittingConfig(noise=2.0), "noise"),
        (lambda: S.SpectrumConfig(M=100), "ns"),
        (lambda: S.QuantaConfig(tau=0), "tau"),
        (lambda: S.IsoflopConfig(widths=(4, 2, 8)), "widths"),
        (lambda: S.IsoflopConfig(steps=10, eval_every=3), "multiple"),
        (lambda: S.fitting_experiment(S.FittingConfig(), []), "seeds"),
        (lambda: S.spectrum_experiment("fast", [0]), "cfg"),
        (lambda: S.isoflop_minima("result", [1.0]), "result"),
        (lambda: S.kaplan_chinchilla_data(-1), "seed"),
        (lambda: S.check_quanta_exponent(0.1, 0.5), "zipf_exponent"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_check_exponent_a():
    right = S.EPOCH["beta"] / (S.EPOCH["alpha"] + S.EPOCH["beta"])
    S.check_exponent_a(right, S.EPOCH)
    with pytest.raises(selfcheck.NotAnswered):
        S.check_exponent_a(..., S.EPOCH)
    with pytest.raises(selfcheck.WrongAnswer):
        S.check_exponent_a(S.EPOCH["alpha"] / (S.EPOCH["alpha"] + S.EPOCH["beta"]), S.EPOCH)


def test_check_kaplan_vs_chinchilla():
    a_k, a_c = S._kaplan_chinchilla_answers(0)
    assert abs(a_k - a_c) > 0.05  # the exercise's point: the two fits disagree
    S.check_kaplan_vs_chinchilla(a_k, a_c)
    with pytest.raises(selfcheck.NotAnswered):
        S.check_kaplan_vs_chinchilla(..., a_c)
    with pytest.raises(selfcheck.WrongAnswer):
        S.check_kaplan_vs_chinchilla(a_c, a_k)


def test_check_data_exponent_hypothesis():
    lam = S.power_spectrum(1.0, 4096)
    ns = np.array([16, 32, 64, 128, 256, 512])
    e = S.fit_exponent(ns, S.eigenlearning_risk(lam, ns, target_power=lam / np.arange(1, 4097)))
    S.check_data_exponent_hypothesis(False, e)
    with pytest.raises(selfcheck.NotAnswered):
        S.check_data_exponent_hypothesis(..., e)
    with pytest.raises(selfcheck.NotAnswered):
        S.check_data_exponent_hypothesis(False, ...)
    with pytest.raises(selfcheck.WrongAnswer):
        S.check_data_exponent_hypothesis(True, e)
    with pytest.raises(selfcheck.WrongAnswer):
        S.check_data_exponent_hypothesis(False, 1.0)


def test_check_quanta_exponent():
    S.check_quanta_exponent(0.08 / 1.08, 1.08)
    with pytest.raises(selfcheck.NotAnswered):
        S.check_quanta_exponent(..., 1.08)
    with pytest.raises(selfcheck.WrongAnswer):
        S.check_quanta_exponent(0.08, 1.08)  # the parameter exponent, not the data exponent
    assert math.isclose(S.check_quanta_exponent(0.4 / 1.4, 1.4), 0.4 / 1.4)


def test_isoflop_experiment_runs_every_width_and_seed():
    cfg = S.IsoflopConfig(widths=(2, 4, 8), steps=40, eval_every=20, n_test=64, n_seeds=2, K=16)
    res = S.isoflop_experiment(cfg, [0, 1], progress=False)
    assert res.loss.shape == (2, 3, 2)
    np.testing.assert_array_equal(res.N, [21, 41, 81])
    np.testing.assert_array_equal(res.D, [20 * 32, 40 * 32])
    assert np.all(np.isfinite(res.loss))


def test_spectrum_and_fitting_experiments_small():
    spec = S.spectrum_experiment(S.SpectrumConfig(M=256, ns=(4, 8, 16, 32), n_seeds=2), [0, 1])
    assert spec.data_risk.shape == spec.feature_risk.shape == (2, 4)
    assert np.all(np.diff(spec.data_risk, axis=1) < 0)
    fit = S.fitting_experiment(S.FittingConfig(n_points=12, n_boot=20), [3])
    assert fit.alpha.shape == (1,) and fit.alpha_ci.shape == (1, 2)
    assert fit.naive_alpha[0] < fit.alpha[0]
