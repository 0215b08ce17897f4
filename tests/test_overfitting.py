"""Tests of dltheory.overfitting, one module per section (Chapter 2 · Benign overfitting)."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy as sp

from dltheory import selfcheck
from dltheory.overfitting import benign_linear as bl
from dltheory.overfitting import common
from dltheory.overfitting import deep_double_descent as dd
from dltheory.overfitting import nearest_neighbours as knn
from dltheory.overfitting import optimal_ridge as opt
from dltheory.overfitting import random_features as rf
from dltheory.overfitting import exact_random_features as rx
from dltheory.overfitting import ridgeless as rl
from dltheory.overfitting import tempered as tp
from dltheory.overfitting import low_dimension as ld
from dltheory.overfitting import ridge_paths as rp
from dltheory.overfitting import trained_networks as tn

# --------------------------------------------------------------------------- theory


def test_ridgeless_formula_matches_hastie_closed_form():
    g = np.array([0.2, 0.5, 0.9, 1.1, 2.0, 10.0])
    expected = np.where(g < 1, 0.49 * g / (1 - g), 1.5**2 * (1 - 1 / g) + 0.49 / (g - 1))
    np.testing.assert_allclose(rl.ridgeless_risk(g, sigma=0.7, r=1.5), expected, rtol=1e-9)
    assert np.isinf(rl.ridgeless_risk(1.0))


def test_ridge_risk_tends_to_ridgeless_and_is_minimised_at_lambda_star():
    for g in (0.4, 2.5):
        assert rl.ridge_risk(g, rl.LAMBDA_RANGE[0], sigma=0.8, r=1.2) == pytest.approx(float(rl.ridgeless_risk(g, sigma=0.8, r=1.2)), rel=1e-4)
        lams = np.geomspace(1e-3, 1e2, 4001)
        risks = np.array([rl.ridge_risk(g, lam, sigma=0.8, r=1.2) for lam in lams])
        assert lams[np.argmin(risks)] == pytest.approx(float(opt.optimal_ridge(g, sigma=0.8, r=1.2)), rel=0.01)


def test_stieltjes_transform_solves_marchenko_pastur_equation():
    th = rl.ridge_theory()
    residual = th.gamma * th.z * th.stieltjes**2 - (1 - th.gamma - th.z) * th.stieltjes + 1
    assert sp.simplify(residual) == 0
    # m(z) -> 1/(1 - z) as gamma -> 0 (all eigenvalues at 1)
    value = th.stieltjes.subs({th.gamma: sp.Rational(1, 10**9), th.z: sp.Rational(-1, 2)})
    assert float(value) == pytest.approx(1 / 1.5, rel=1e-6)


def test_simulated_ridge_agrees_with_theory_and_lambda_zero_interpolates():
    risk = rl.simulate_ridge(0, 100, 300, [0.0, 1.0], sigma=0.5, reps=40).mean(0)
    assert risk[0] == pytest.approx(float(rl.ridgeless_risk(3.0, sigma=0.5)), rel=0.1)
    assert risk[1] == pytest.approx(float(rl.ridge_risk(3.0, 1.0, sigma=0.5)), rel=0.1)
    noiseless = rl.simulate_ridge(1, 50, 20, [0.0], sigma=0.0, reps=3)  # p < n, no noise: exact recovery
    assert noiseless.max() < 1e-18


def test_finite_ridgeless_risk_is_the_inverse_wishart_mean_and_tends_to_the_limit():
    assert rl.finite_ridgeless_risk(200, 170, sigma=0.5) == pytest.approx(0.25 * 170 / 29)
    assert rl.finite_ridgeless_risk(200, 230, r=2.0) == pytest.approx(4 * (1 - 200 / 230) + 200 / 29)
    assert math.isinf(rl.finite_ridgeless_risk(200, 201))
    for p in (100, 400):  # n, p → ∞ at γ = p/n: the finite-n mean tends to Hastie et al.'s limit
        assert rl.finite_ridgeless_risk(10**5, p * 10**5 // 200) == pytest.approx(
            float(rl.ridgeless_risk(p / 200)), rel=1e-3)
    # and the simulation agrees with it at finite n (a wrong formula, the limit, is 9% off here)
    sim = rl.simulate_ridge(3, 60, 48, [0.0], reps=400).mean()
    assert sim == pytest.approx(rl.finite_ridgeless_risk(60, 48), rel=0.06)


def test_eigenlearning_limit_and_finite_n_prediction():
    alpha, e0 = tp.power_law_limit()
    assert sp.simplify(e0 - alpha) == 0
    assert tp.interpolation_limit() == sp.Rational(2, 3)
    # isotropic spectrum, p > n: E₀ = p/(p − n), the min-norm variance σ² n/(p − n) plus the noise
    kappa, e0_iso = tp.eigenlearning(np.ones(300), 100)
    assert e0_iso == pytest.approx(300 / 200, rel=1e-6) and kappa == pytest.approx(2.0, rel=1e-6)
    # a ridge lowers E₀; a large n on a power law approaches α
    eigs = np.arange(1, 200_001, dtype=float) ** -3.0
    assert tp.eigenlearning(eigs, 2000)[1] == pytest.approx(3.0, rel=0.01)
    assert tp.eigenlearning(eigs, 2000, ridge=1.0)[1] < 1.1
    with pytest.raises(ValueError, match="eigenvalues"):
        tp.eigenlearning(np.ones(10), 10)


def test_noise_multiple_matches_isotropic_closed_form_and_interpolation_rules():
    # isotropic, p > n: the min-norm variance is σ² n/(p − n − 1) exactly in expectation
    m = tp.noise_multiple(0, np.ones(120), 40, ridges=(0.0, 5.0), reps=200).mean(0)
    assert m[0] == pytest.approx(40 / 79, rel=0.03)
    assert m[1] < m[0]
    lin, nn = tp.interpolation_excess(0, 2000, reps=4).mean(0)
    assert lin == pytest.approx(2 / 3, abs=0.04) and nn == pytest.approx(1.0, abs=0.06)


def test_tempered_experiment_shapes():
    cfg = tp.TemperedConfig(alphas=(2.0,), ns=(20, 40), width_ratio=5, reps=1, n_seeds=1, interp_n=50, interp_reps=1)
    res = tp.tempered_experiment(cfg, [0])
    assert res.multiple.shape == res.ridge_multiple.shape == (1, 1, 2)
    assert res.theory.shape == (1, 2) and res.spiked.shape == (1, 2) and res.interp.shape == (1, 2)
    assert np.all(res.ridge_multiple < res.multiple)


def test_relu_coefficients_match_monte_carlo_and_centring_only_moves_mu0():
    g = np.random.default_rng(0).standard_normal(2_000_000)
    s = np.maximum(g, 0) - 1 / math.sqrt(2 * math.pi)
    mu0, mu1, mu_star2 = (float(c) for c in rx.relu_coefficients())
    assert mu0 == 0.0 and mu1 == 0.5 and mu_star2 == pytest.approx(0.25 - 1 / (2 * math.pi), rel=1e-12)
    assert np.mean(s) == pytest.approx(mu0, abs=2e-3) and np.mean(g * s) == pytest.approx(mu1, abs=2e-3)
    assert np.var(s) - mu1**2 == pytest.approx(mu_star2, rel=0.02)
    raw = rx.relu_coefficients(centred=False)
    assert float(raw[0]) == pytest.approx(1 / math.sqrt(2 * math.pi)) and raw[1:] == rx.relu_coefficients()[1:]


@pytest.mark.parametrize("psi2, lam, tau_sq", [(0.5, 1e-4, 0.25), (3.0, 1e-4, 0.0), (3.0, 0.1, 0.25)])
def test_mei_montanari_with_infinitely_many_features_is_linear_ridge(psi2, lam, tau_sq):
    # N → ∞: ZZᵀ/N → μ₁²XXᵀ/d + μ_⋆²I, i.e. ridge on x with penalty (μ_⋆² + ψ₂λ)/(ψ₂μ₁²) (Hastie et al.)
    mu_star2 = 0.25 - 1 / (2 * math.pi)
    expected = rl.ridge_risk(1 / psi2, (mu_star2 + psi2 * lam) / (psi2 * 0.25), sigma=math.sqrt(tau_sq))
    assert rx.relu_risk(np.array([1e5]), psi2, lam, tau_sq=tau_sq)[0] == pytest.approx(float(expected), rel=1e-3)


def test_mei_montanari_peaks_at_n_features_without_noise_and_tends_to_the_signal_for_a_huge_ridge():
    risk = rx.relu_risk(np.array([2.0, 3.0, 4.5]), 3.0, 1e-5)
    assert risk[1] > 3 * max(risk[0], risk[2])  # the clean-label divergence at ψ₁ = ψ₂
    np.testing.assert_allclose(rx.relu_risk(np.array([0.5, 5.0]), 3.0, 1e5, tau_sq=1.0), 1.0, atol=1e-3)
    assert np.all(rx.fixed_point([1.0, 3.0], 3.0, 1e-2, 1.66) < 0)  # χ = ν₁ν₂ with ν imaginary


def _approximation_error(psi1: float, kappa: float) -> float:
    """κ·m at z = −κ, m the Marchenko–Pastur Stieltjes transform of W = ΘᵀΘ/d: κm² + (κ + ψ₁ − 1)m − 1 = 0."""
    b = kappa + psi1 - 1
    return kappa * (-b + math.sqrt(b * b + 4 * kappa)) / (2 * kappa)


def test_mei_montanari_with_infinitely_many_samples_is_the_approximation_error_of_n_features():
    # ψ₂ → ∞, λ → 0: the best fit by N features of a linear target, in the linear-plus-noise picture of the features,
    # leaves βᵀκ(W + κ)⁻¹β with W = ΘᵀΘ/d and κ = μ_⋆²/μ₁². Tests the ψ₂-terms and ζ = μ₁/μ_⋆ (not μ₁²/μ_⋆²).
    mu_star2 = 0.25 - 1 / (2 * math.pi)
    kappa = mu_star2 / 0.25
    psi1s = np.array([0.5, 2.0])
    formula = rx.relu_risk(psi1s, 1e4, 1e-6)
    np.testing.assert_allclose(formula, [_approximation_error(p, kappa) for p in psi1s], rtol=2e-3)
    d = 300
    rng = np.random.default_rng(0)
    for p, f in zip(psi1s, formula):
        theta = rng.standard_normal((int(p * d), d))
        theta *= math.sqrt(d) / np.linalg.norm(theta, axis=1, keepdims=True)
        w = np.linalg.eigvalsh(theta.T @ theta / d)
        assert kappa * np.mean(1 / (w + kappa)) == pytest.approx(f, rel=0.03)
    wrong_zeta = rx.asymptotic_risk(psi1s, 1e4, 1e-6, mu1=0.25 / math.sqrt(mu_star2), mu_star2=mu_star2)
    assert np.all(np.abs(wrong_zeta / formula - 1) > 0.1)  # the intro's ζ = μ₁²/μ_⋆²: 12% and 53% off


def test_fixed_point_converges_at_many_samples_and_a_tiny_ridge_or_says_what_failed():
    chi = rx.fixed_point([0.5, 2.0], 1e4, 1e-6 / (0.25 - 1 / (2 * math.pi)), 1.659)
    assert np.all(np.isfinite(chi)) and np.all(chi < 0)
    with pytest.raises(ValueError, match="did not converge in 3 iterations.*psi2 = 10000"):
        rx.fixed_point([0.5, 2.0], 1e4, 1e-6, 1.659, max_iter=3)


def test_simulated_risk_has_its_shape_and_a_huge_ridge_predicts_zero():
    out = rx.simulate_risk(0, 20, 40, [10, 40, 80], [1e-3, 1e6], [0.0, 1.0], reps=2, n_test=4000)
    assert out.shape == (2, 3, 2, 2)
    np.testing.assert_allclose(out[:, :, 1], 1.0, atol=0.1)  # f̂ ≈ 0: the risk is E⟨β, x⟩² = 1
    assert np.all(out[:, :, 0, 1] > out[:, :, 0, 0])  # label noise costs


def test_near_linear_features_are_linear_at_eps_zero_limit_and_reject_bad_eps():
    # ε → 0: the features are ⟨θ, x⟩/√d; with N ≥ d and a tiny ridge the fit recovers β on n ≫ d points
    out = rx.simulate_risk(0, 10, 60, [40], [1e-6], [0.0], reps=2, n_test=500, near_linear=1e-4)
    assert np.all(out < 1e-3)
    relu = rx.simulate_risk(0, 10, 60, [40], [1e-6], [0.0], reps=2, n_test=500)
    assert np.all(relu > 10 * out)  # the ReLU's nonlinear part costs
    with pytest.raises(ValueError, match="near_linear"):
        rx.simulate_risk(0, 10, 60, [40], [1e-6], [0.0], near_linear=-0.1)


def test_exact_rf_experiment_peak_ratio_needs_the_three_ratios():
    cfg = rx.ExactRFConfig(d=30, psi2=2.0, psi1s=(4 / 3, 2.0, 3.0), reps=2, n_test=200, n_seeds=1)
    res = rx.exact_rf_experiment(cfg, [0])
    assert res.risk.shape == (1, 3, 2, 2) and res.theory.shape == (3, 2, 2) and res.theory_null.shape == (3, 2)
    assert res.peak_ratio().shape == (1,)
    bad = dataclasses.replace(res, psi1=np.array([1.0, 2.0, 3.0]))  # N/n = 0.5, 1, 1.5: no 2/3
    with pytest.raises(ValueError, match="N/n"):
        bad.peak_ratio()


def test_tuned_curve_shares_the_experiment_draws_and_neighbour_rise_sees_a_bump():
    cfg = rx.ExactRFConfig(d=20, psi2=2.0, psi1s=(4 / 3, 2.0, 3.0), reps=2, n_test=200, n_seeds=1)
    sim, formula = rx.tuned_curve(cfg, [0], tau_sq=0.25)
    assert sim.shape == (1, 3, len(rx.TUNED_LAMS)) and formula.shape == (3, len(rx.TUNED_LAMS))
    # λ = TUNED_LAMS[0] = cfg.lam at τ² = 0.25 is the experiment's own curve, on the same draws
    res = rx.exact_rf_experiment(cfg, [0])
    np.testing.assert_allclose(sim[0, :, 0], res.risk[0, :, 0, 1], rtol=1e-5)
    # the formula's tuned curve has no bump; the near-ridgeless one has one at N = n
    assert rx.neighbour_rise(formula.min(-1)) < 0 < rx.neighbour_rise(formula[:, 0])
    assert rx.neighbour_rise(np.array([1.0, 0.5, 0.6])) == pytest.approx(0.2)
    assert rx.neighbour_rise(np.array([3.0, 2.0, 1.0])) == pytest.approx(-1 / 3)


def test_mixture_flips_exactly_the_stated_fraction_and_centres_the_clusters():
    x, y, noisy = tn.mixture(0, 400, 5, mu_norm=3.0, flip=0.1)
    assert x.shape == (400, 5) and np.sum(noisy != y) == 40
    assert np.mean(x[:, 0] * y) == pytest.approx(3.0, abs=0.2)
    assert np.abs(x[:, 1:].mean()) < 0.1


def test_gradient_descent_interpolates_in_high_dimension_and_1nn_copies_labels():
    x, y, noisy = tn.mixture(1, 40, 400, mu_norm=3.0, flip=0.1)
    keys = jax.random.split(jax.random.PRNGKey(0), 1)
    w = tn.train_classifier(keys, x[None], noisy[None], width=16, steps=300, learning_rate=1.0, optimiser="gd")
    out = np.sign(np.asarray(tn._network(w[0], x, 0.1)))
    assert np.all(out == noisy)  # zero training error on the flipped labels
    assert tn.nearest_neighbour_error(x, noisy, x, noisy) == 0.0  # 1-NN interpolates
    assert tn.nearest_neighbour_error(x, noisy, x, y) == pytest.approx(0.1)


def test_threshold_pooling_averages_fresh_chunks_at_the_near_points_only():
    cfg = rl.RidgelessConfig(gammas=(0.5, 0.85, 2.0), threshold_reps=150)
    gammas, risk = rl.threshold_pooled_risk(cfg, [1])
    assert gammas.tolist() == [0.85] and risk.shape == (1, 1)
    chunks = [rl.simulate_ridge(150_000 + c, 200, 170, [0.0], reps=k) for c, k in ((0, 100), (1, 50))]
    assert risk[0, 0] == pytest.approx(np.concatenate(chunks).mean(), rel=1e-12)
    with pytest.raises(ValueError, match="gammas"):
        rl.threshold_pooled_risk(rl.RidgelessConfig(gammas=(0.5, 2.0)), [0])


def test_mean_difference_ignores_a_few_flips_and_follows_the_labels():
    x, y, noisy = tn.mixture(2, 200, 5, mu_norm=3.0, flip=0.1)
    x_test, y_test, _ = tn.mixture(3, 2000, 5, mu_norm=3.0, flip=0.0)
    assert tn.mean_difference_error(x, noisy, x_test, y_test) < 0.01  # Bayes error Φ(−3) ≈ 0.0013
    assert tn.mean_difference_error(x, -noisy, x_test, y_test) > 0.99  # it does use the labels
    assert tn.mean_difference_error(x, noisy, x, noisy) > 0.05  # and does not interpolate them


def test_ridge_path_zero_penalty_is_the_interpolator_and_a_penalty_helps_with_noise():
    eigs = bl.spectrum("spiked", 400)
    lams = [0.0, 0.3, 1e5]
    path = rp.ridge_path_excess(0, eigs, 50, lams, sigma=1.0, reps=8).mean(0)
    # the same draws as section 04's min-norm interpolator: λ = 0 is that estimator
    assert path[0] == pytest.approx(bl.min_norm_excess_risk(0, eigs, 50, reps=8).mean(), rel=1e-9)
    assert path[1] < path[0] and path[2] == pytest.approx(1.0, rel=0.01)  # a huge penalty predicts 0: risk ‖θ*‖²_Σ = 1


def test_interpolator_error_reduces_to_mean_difference_and_matches_simulated_interpolators():
    from scipy import special

    n, mu_sq = 30, 50.0
    dims = np.array([50.0, 500.0, 5000.0])
    # without flips the min-norm interpolator's signal-to-noise is √n‖μ‖²/√(n‖μ‖² + d), that of Σ y_i x_i
    np.testing.assert_allclose(tn.interpolator_error(n, dims, mu_sq, 0),
                               special.ndtr(-math.sqrt(n) * mu_sq / np.sqrt(n * mu_sq + dims)), rtol=1e-12)
    err = tn.interpolator_error(n, dims, mu_sq, 3)
    assert err[1] < err[0] and err[1] < err[2]  # not monotone in d: the page's point
    # the approximation against the exact clean error Φ(−wᵀμ/‖w‖) of simulated min-norm interpolators, d = 5000
    rng = np.random.default_rng(0)
    exact = []
    for _ in range(40):
        x, y, noisy = tn.mixture(int(rng.integers(1 << 30)), n, 5000, mu_norm=math.sqrt(mu_sq), flip=0.1)
        w = x.T @ np.linalg.solve(x @ x.T, noisy)
        exact.append(special.ndtr(-w[0] * math.sqrt(mu_sq) / np.linalg.norm(w)))
    assert np.mean(exact) == pytest.approx(err[2], rel=0.3)
    with pytest.raises(ValueError, match="flips"):
        tn.interpolator_error(n, dims, mu_sq, 15)


def test_price_of_fit_counts_an_unfitted_label_as_a_miss_and_frei_regime_meets_the_theorem():
    cfg = tn.frei_regime(tn.TrainedConfig.fast())
    assert cfg.dims[-1] >= max(cfg.n * cfg.mu_norm**2, cfg.n**2 * math.log(cfg.n))
    assert cfg.dims[0] < cfg.n * cfg.mu_norm**2 and cfg.flip == tn.TrainedConfig.fast().flip
    res = tn.TrainedResult(np.array([2, 3]), np.array([[[0.1, 0.2]]]), np.array([[[0.0, 0.1]]]),
                           np.zeros((1, 2)), np.zeros((1, 2)), np.zeros(1), np.zeros((1, 2, 1)), (0,), cfg)
    np.testing.assert_array_equal(tn.price_of_fit(res), [[0.1, 1.0]])
    two = dataclasses.replace(res, test_error=np.zeros((1, 2, 2)), train_error=np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="one optimiser"):
        tn.price_of_fit(two)
    with pytest.raises(ValueError, match="TrainedConfig"):
        tn.frei_regime(bl.BenignConfig.fast())


def test_fresh_seeds_and_page_runs_count_every_run_of_page_8():
    base = tn.TrainedConfig.fast()
    assert tn.FRESH_OFFSET >= 1000 and set(tn.FRESH_DIMS) <= set(tn.FREI_DIMS)  # seeds no other run uses
    counted = tn.page_runs(lambda cls: cls.fast())
    assert counted.flops > base.cost().flops + tn.frei_regime(base).training_cost().flops
    assert counted.steps > base.cost().steps


def test_biased_network_carves_a_spike_that_a_bias_free_network_cannot():
    # three ReLUs: f = 1 - 2·bump(x - 1), a negative spike at x = 1 only
    params = {"w": jnp.array([[1.0], [1.0], [1.0]]), "b": jnp.array([-0.9, -1.0, -1.1]),
              "v": jnp.array([-20.0, 40.0, -20.0])}
    x = jnp.array([[0.0], [1.0], [2.0]])
    f = np.asarray(ld.biased_network(params, x))
    np.testing.assert_allclose(f, [0.0, -2.0, 0.0], atol=1e-6)
    # without biases f(cx) = c f(x): no sign change between x = 0.5 and x = 1 is possible
    flat = dict(params, b=jnp.zeros(3))
    g = np.asarray(ld.biased_network(flat, jnp.array([[0.5], [1.0]])))
    np.testing.assert_allclose(g[0], 0.5 * g[1], atol=1e-6)


def test_train_biased_fits_separable_labels_and_rejects_bad_input():
    x, y, _ = tn.mixture(3, 20, 1, mu_norm=3.0, flip=0.0)
    keys = jnp.stack([jax.random.PRNGKey(0)])
    for loss in ld.LOSSES:
        p = ld.train_biased(keys, x[None], y[None], width=16, steps=300, learning_rate=1e-2, spread=3.0, loss=loss)
        assert p["w"].shape == (1, 16, 1) and p["b"].shape == p["v"].shape == (1, 16)
        pred = np.sign(np.asarray(ld.biased_network({k: v[0] for k, v in p.items()}, jnp.asarray(x))))
        assert np.mean(pred != y) == 0
    with pytest.raises(ValueError, match="loss"):
        ld.train_biased(keys, x[None], y[None], width=4, steps=1, learning_rate=1e-2, spread=1.0, loss="hinge")
    with pytest.raises(ValueError, match="shape"):
        ld.train_biased(keys, x[None], y[None, :5], width=4, steps=1, learning_rate=1e-2, spread=1.0)
    with pytest.raises(ValueError, match="TrainedConfig"):
        ld.tempered_run(bl.BenignConfig.fast(), [0])


def test_low_d_price_counts_an_unfitted_label_as_a_miss():
    r = ld.LowDResult(np.array([10]), np.array([[[0.2], [0.01]]]), np.array([[[0.1], [0.0]]]), (0,),
                      np.zeros(1), np.zeros((2, 1, 1)), (np.zeros(1),) * 3)
    np.testing.assert_array_equal(r.price()[0, :, 0], [1.0, 0.01])


def test_ridge_theory_and_noise_averaged_path_agree_with_simulation():
    eigs = bl.spectrum("spiked", 400)
    lams = [0.0, 3.0, 1e6]
    theory = bl.ridge_excess_theory(eigs, 50, lams)
    # a huge penalty predicts 0 (risk ‖θ*‖²_Σ = 1); without noise and penalty only the bias is left
    assert theory[2] == pytest.approx(1.0, rel=1e-3) and theory[1] < theory[0]
    assert bl.ridge_excess_theory(eigs, 50, [0.0], sigma=0.0)[0] < 0.05 * theory[0]
    # the noise average in closed form is the mean over many noise draws on the same designs
    expected = rp.ridge_path_expected(3, eigs, 50, lams, sigma=1.0, reps=2)
    rng, noise = np.random.default_rng(3), np.random.default_rng(99)
    designs = []
    for _ in range(2):  # the designs of ridge_path_expected(3, ...): x, then a discarded noise draw
        designs.append(rng.standard_normal((50, eigs.size)) * np.sqrt(eigs))
        rng.standard_normal(50)
    mc = np.zeros((2, 3))
    for i, x in enumerate(designs):
        for _ in range(2000):
            y = x[:, 0] + noise.standard_normal(50)
            for j, pen in enumerate(lams):
                theta = x.T @ np.linalg.solve(x @ x.T + pen * np.eye(50), y)
                theta[0] -= 1.0
                mc[i, j] += np.sum(eigs * theta**2) / 2000
    np.testing.assert_allclose(expected, mc, rtol=0.05)
    # and both match the deterministic equivalent on average over designs (n = 50: 15%)
    many = rp.ridge_path_expected(0, eigs, 50, lams[:2], sigma=1.0, reps=40).mean(0)
    np.testing.assert_allclose(many, theory[:2], rtol=0.15)
    with pytest.raises(ValueError, match="lams"):
        bl.ridge_excess_theory(eigs, 50, [-1.0])


def test_knn_disagreement_is_the_share_of_test_points_where_the_rules_differ():
    res = knn.knn_experiment(knn.KNNConfig(ns=(50, 200), n_test=200, noise=0.1, a=0.5, n_seeds=1), [0])
    assert res.disagreement.shape == (1, 2)
    assert np.all((res.disagreement >= 0) & (res.disagreement <= 1))
    # a share of 200 test points, and the two rules' risks can differ by at most that share
    assert np.all(np.abs(res.disagreement * 200 - np.round(res.disagreement * 200)) < 1e-9)
    assert np.all(np.abs(res.risk["singular"] - res.risk["k-NN"]) <= res.disagreement + 1e-12)


def test_relative_bump_needs_a_rise_and_a_fall():
    # rise 2 → 3 (50%), fall 3 → 1.5 (100%): the bump is the smaller side, 0.5
    assert dd.relative_bump([2.0, 3.0, 1.5]).item() == pytest.approx(0.5)
    # a curve that only rises, or only falls, has no bump (max_relative_increase sees the first)
    assert dd.relative_bump([1.0, 2.0, 3.0]).item() == 0.0
    assert common.max_relative_increase([1.0, 2.0, 3.0]).item() == pytest.approx(2.0)
    assert dd.relative_bump([3.0, 2.0, 1.0]).item() == 0.0
    # a small fall after the peak limits the bump: rise 30%, fall 1.3/1.2 − 1
    assert dd.relative_bump([2.0, 1.0, 1.3, 1.2]).item() == pytest.approx(1.3 / 1.2 - 1)
    # rows are independent; 3-D arrays (seeds, noise levels, widths) work along the last axis
    curves = np.array([[[1.0, 1.5, 1.2, 0.5], [2.0, 1.0, 1.3, 1.2]]])
    np.testing.assert_allclose(dd.relative_bump(curves), [[0.5, 1.3 / 1.2 - 1]])
    with pytest.raises(ValueError, match="curve"):
        dd.relative_bump([1.0, 0.0, 2.0])


def test_max_relative_increase_and_rise_helpers():
    assert common.max_relative_increase([3.0, 2.0, 1.0]).item() == 0.0
    assert common.max_relative_increase([2.0, 1.0, 3.0, 0.5]).item() == pytest.approx(2.0)
    assert dd.largest_rise([0.5, 0.4, 0.7, 0.3]).item() == pytest.approx(0.3)
    assert dd.peak_index([2.0, 1.0, 3.0, 0.5]).item() == 2
    w = np.array([2, 4, 8, 16])
    assert dd.interpolation_width(w, [0.5, 0.2, 0.05, 0.0]).item() == 8
    assert math.isinf(dd.interpolation_width(w, [0.5, 0.4, 0.3, 0.2]).item())


# --------------------------------------------------------------------------- BLLT


def test_effective_ranks_by_hand():
    r, big_r = bl.effective_ranks([4.0, 2.0, 1.0, 1.0])
    np.testing.assert_allclose(r, [8 / 4, 4 / 2, 2 / 1, 1 / 1])
    np.testing.assert_allclose(big_r, [64 / 22, 16 / 6, 4 / 2, 1])


def test_bllt_conditions_classify_the_three_spectra():
    n = 400
    p = int(n**1.5)
    spiked = bl.bllt_conditions(bl.spectrum("spiked", p), n)
    assert spiked["k_star"] == 5 and spiked["r0_over_n"] == pytest.approx(6 / n)
    iso = bl.bllt_conditions(bl.spectrum("isotropic", p), n)
    assert iso["k_star"] == 0 and iso["r0_over_n"] > 1
    power = bl.bllt_conditions(bl.spectrum("power", p), n)
    assert 0.5 < power["k_over_n"] < 2


def test_min_norm_interpolates_and_spiked_risk_falls():
    small = bl.min_norm_excess_risk(0, bl.spectrum("spiked", 200), 30, reps=6).mean()
    large = bl.min_norm_excess_risk(0, bl.spectrum("spiked", 3000), 120, reps=6).mean()
    assert large < 0.6 * small
    x = np.random.default_rng(0).standard_normal((5, 12))
    coef = rf.min_norm_fit(x, np.arange(5.0))
    np.testing.assert_allclose(x @ coef, np.arange(5.0), atol=1e-10)


# --------------------------------------------------------------------------- nearest neighbours


def test_singular_kernel_interpolates_and_votes_elsewhere():
    rng = np.random.default_rng(0)
    x = rng.random((200, 2))
    y = (rng.random(200) < 0.5).astype(float)
    np.testing.assert_array_equal(knn.singular_kernel_predict(x, y, x, k=15, a=0.5), y)
    np.testing.assert_array_equal(knn.nearest_neighbour_predict(x, y, x), y)
    # far from every point, a rule with a huge window is the majority vote
    x2 = np.concatenate([np.zeros((30, 2)), np.ones((10, 2))]) + 1e-3 * rng.random((40, 2))
    y2 = np.concatenate([np.ones(30), np.zeros(10)])
    assert knn.singular_kernel_predict(x2, y2, np.array([[5.0, 5.0]]), k=40, a=0.5)[0] == 1.0


def test_bayes_problem_has_the_stated_risks():
    x = np.random.default_rng(1).random((20000, 2))
    eta = knn.bayes_risk_problem(x, noise=0.1)
    assert np.mean(np.minimum(eta, 1 - eta)) == pytest.approx(0.1)
    assert np.mean(2 * eta * (1 - eta)) == pytest.approx(0.18)


# --------------------------------------------------------------------------- experiments (tiny configs)


def test_rf_experiment_peaks_at_interpolation_threshold():
    cfg = rf.RFConfig(ns=(60,), noises=(0.2,), n_features=(20, 40, 55, 60, 66, 80, 120, 400), n_seeds=1)
    res = rf.rf_experiment(cfg, [0])
    assert res.test_mse.shape == (1, 1, 1, 8)
    assert res.peak()[0, 0, 0] in (55, 60, 66)
    assert res.train_mse[0, 0, 0, -1] < 1e-10  # interpolates past the threshold


def test_deep_experiment_masks_widths_and_records_metrics():
    cfg = dd.DeepConfig(n_train=40, widths=(2, 16), noises=(0.0, 0.5), steps=20, learning_rate=1e-2, n_seeds=1, eval_every=10)
    res = dd.deep_experiment(cfg, [0])
    assert res.test_error.shape == (1, 2, 2)
    assert np.all((res.test_error >= 0) & (res.test_error <= 1))
    np.testing.assert_array_equal(res.n_params, [2 * 65 + 20 + 10, 16 * 65 + 160 + 10])


def test_saved_deep_result_round_trips(tmp_path):
    cfg = dd.DeepConfig(n_train=40, widths=(2, 4), noises=(0.0, 0.2), steps=10, learning_rate=1e-2, n_seeds=1, eval_every=10)
    res = dd.DeepResult(np.array([2, 4]), np.array([160, 310]), np.zeros((1, 2, 2)), np.ones((1, 2, 2)), np.zeros((1, 2, 2)), (0,), 1.0, cfg)
    dd.save_deep_result(res, tmp_path / "r.json", date="2026-01-01", device="cpu")
    back, prov = dd.load_deep_result(tmp_path / "r.json")
    assert back.config == cfg and prov["device"] == "cpu"
    np.testing.assert_array_equal(back.train_error, res.train_error)


def test_shipped_deep_result_loads():
    res, prov = dd.load_deep_result()
    assert set(prov) >= {"config", "date", "device"}
    assert res.test_error.shape == (len(res.seeds), len(res.config.noises), len(res.widths))


def test_shipped_fast_seed_sweep_loads_and_records_the_failing_seed():
    res, prov = dd.load_deep_seeds()
    assert prov["mode"] == "fast" and res.seeds == tuple(range(7))
    assert res.config == dd.DeepConfig.fast()
    clean, noisy = res.config.noises.index(0.0), res.config.noises.index(0.2)
    ratio = common.max_relative_increase(res.test_mse[:, noisy]) / common.max_relative_increase(res.test_mse[:, clean])
    assert ratio.min() < 2.0 < np.median(ratio)  # deep-noise-amplifies: registered as not reproduced


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: rl.ridge_risk(-1.0, 0.1), "gamma"),
        (lambda: rl.ridge_risk(1.0, 0.0), "lam"),
        (lambda: rl.ridgeless_risk(0.5, sigma=-1), "sigma"),
        (lambda: opt.optimal_ridge(0.5, r=0.0), "r"),
        (lambda: rl.simulate_ridge(0, 1, 10, [0.0]), "n"),
        (lambda: rl.simulate_ridge(0, 10, 10, [-1.0]), "lams"),
        (lambda: rl.simulate_ridge(-1, 10, 10, [0.0]), "seed"),
        (lambda: rl.RidgelessConfig(n=100, gammas=(0.5, 1.0), reps=4, n_seeds=1), "gammas"),
        (lambda: opt.SamplewiseConfig(p=50, ns=(10, 50), reps=4, n_seeds=1), "ns"),
        (lambda: rl.ridgeless_experiment("fast", [0]), "cfg"),
        (lambda: rl.ridgeless_experiment(rl.RidgelessConfig.fast(), []), "seeds"),
        (lambda: rf.noisy_labels(np.random.default_rng(0), [1, 2], 1.5), "noise"),
        (lambda: rf.min_norm_fit(np.ones((3, 2)), np.ones(4)), "targets"),
        (lambda: rf.RFConfig(ns=(2000,), noises=(0.0,), n_features=(10,), n_seeds=1), "ns"),
        (lambda: bl.effective_ranks([1.0, 2.0]), "eigs"),
        (lambda: bl.effective_ranks([1.0, -2.0]), "eigs"),
        (lambda: bl.bllt_conditions([1.0, 0.5], 0), "n"),
        (lambda: bl.spectrum("flat", 10), "kind"),
        (lambda: bl.spectrum("spiked", 10, spikes=10), "spikes"),
        (lambda: bl.min_norm_excess_risk(0, np.ones(10), 10), "n"),
        (lambda: bl.BenignConfig(ns=(50, 25), dim_exponent=1.5, reps=2, n_seeds=1), "ns"),
        (lambda: knn.bayes_risk_problem(np.ones((3, 2)), noise=0.7), "noise"),
        (lambda: knn.nearest_neighbour_predict(np.ones((3, 2)), np.ones(3), np.ones((2, 3))), "x_query"),
        (lambda: knn.singular_kernel_predict(np.ones((3, 2)), np.ones(3), np.ones((2, 2)), k=4, a=0.5), "k"),
        (lambda: knn.singular_kernel_predict(np.ones((3, 2)), np.ones(3), np.ones((2, 2)), k=2, a=0.0), "a"),
        (lambda: knn.KNNConfig(ns=(10,), n_test=100, noise=0.1, a=1.0, n_seeds=1), "a"),
        (lambda: dd.DeepConfig(n_train=100, widths=(4, 2), noises=(0.0,), steps=10, learning_rate=0.1, n_seeds=1, eval_every=10), "widths"),
        (lambda: dd.DeepConfig(n_train=100, widths=(2, 4), noises=(0.0,), steps=15, learning_rate=0.1, n_seeds=1, eval_every=10), "steps"),
        (lambda: common.max_relative_increase([1.0, 0.0]), "curve"),
        (lambda: dd.interpolation_width([2, 4], [0.1, 0.2, 0.3]), "train_error"),
        (lambda: opt.risk_explorer(n=3), "n"),
        (lambda: bl.BenignConfig(ns=(5, 20)), "ns"),
        (lambda: rf.RFConfig(noises=(0.0, 1.5)), "noises"),
        (lambda: knn.KNNConfig(d=1, a=0.5), "a"),
        (lambda: dd.DeepConfig(steps=10, eval_every=20), "eval_every"),
        (lambda: rl.finite_ridgeless_risk(0, 10), "n"),
        (lambda: tp.eigenlearning([1.0, -1.0], 1), "eigs"),
        (lambda: tp.eigenlearning(np.ones(5), 2, ridge=-1.0), "ridge"),
        (lambda: tp.noise_multiple(0, np.ones(5), 5), "n"),
        (lambda: tp.noise_multiple(0, np.ones(5), 2, ridges=(-1.0,)), "ridges"),
        (lambda: tp.interpolation_excess(0, 1), "n"),
        (lambda: tp.interpolation_excess(0, 10, sigma=0.0), "sigma"),
        (lambda: tp.TemperedConfig(alphas=(1.0,)), "alphas"),
        (lambda: tp.TemperedConfig(ns=(50, 20)), "ns"),
        (lambda: tp.tempered_experiment("fast", [0]), "cfg"),
        (lambda: rx.fixed_point(-1.0, 2.0, 0.1, 1.0), "psi1"),
        (lambda: rx.fixed_point(1.0, 2.0, 0.1, 0.0), "zeta"),
        (lambda: rx.simulate_risk(0, 10, 20, [10], [-0.1], [0.0]), "lams"),
        (lambda: rx.simulate_risk(0, 10, 20, [0], [0.1], [0.0]), "widths"),
        (lambda: rx.ExactRFConfig(psi1s=(2.0, 1.0)), "psi1s"),
        (lambda: rx.exact_rf_experiment("fast", [0]), "cfg"),
        (lambda: tn.mixture(0, 10, 2, mu_norm=1.0, flip=0.7), "flip"),
        (lambda: tn.train_classifier(jax.random.split(jax.random.PRNGKey(0), 1), np.ones((1, 3, 2)), np.ones((1, 4)),
                                     width=4, steps=1, learning_rate=0.1), "y"),
        (lambda: tn.train_classifier(jax.random.split(jax.random.PRNGKey(0), 1), np.ones((1, 3, 2)), np.ones((1, 3)),
                                     width=4, steps=1, learning_rate=0.1, optimiser="sgd"), "optimiser"),
        (lambda: rp.ridge_path_excess(0, np.ones(5), 5, [0.0], sigma=1.0, reps=1), "n"),
        (lambda: tn.TrainedConfig(dims=(10, 2)), "dims"),
        (lambda: tn.mean_difference_error(np.ones((3, 2)), np.ones(4), np.ones((5, 2)), np.ones(5)), "labels"),
        (lambda: tn.trained_experiment(tn.TrainedConfig.fast(), [0], optimisers=("sgd",)), "optimisers"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_load_digits_returns_copies_of_the_shared_arrays():
    x, y = common.load_digits()
    assert x.shape == (1797, 64) and 0.0 <= x.min() and x.max() <= 1.0 and set(np.unique(y)) == set(range(10))
    x[0, 0], y[0] = 99.0, 99
    assert common.digits()[0][0, 0] != 99.0 and common.digits()[1][0] != 99


# --------------------------------------------------------------------------- exercise checks


def test_check_ridgeless_risk_accepts_right_and_rejects_wrong():
    rl.check_ridgeless_risk(1.0 * (1 - 1 / 2) + 0.25 / (2 - 1), gamma=2.0, sigma=0.5, r=1.0)
    with pytest.raises(selfcheck.WrongAnswer):
        rl.check_ridgeless_risk(0.25 / (2 - 1), gamma=2.0, sigma=0.5, r=1.0)  # forgot the bias
    with pytest.raises(selfcheck.NotAnswered):
        rl.check_ridgeless_risk(..., gamma=2.0, sigma=0.5, r=1.0)


def test_check_effective_ranks_accepts_right_and_rejects_wrong():
    def right(eigs):
        tail = np.cumsum(eigs[::-1])[::-1]
        return tail / eigs, tail**2 / np.cumsum((eigs**2)[::-1])[::-1]

    def wrong(eigs):  # divides by λ_k instead of λ_{k+1}: shifted by one
        tail = np.cumsum(eigs[::-1])[::-1]
        return tail / np.concatenate([eigs[:1], eigs[:-1]]), tail**2 / np.cumsum((eigs**2)[::-1])[::-1]

    bl.check_effective_ranks(right)
    with pytest.raises(selfcheck.WrongAnswer):
        bl.check_effective_ranks(wrong)
    with pytest.raises(selfcheck.NotAnswered):
        bl.check_effective_ranks(...)


def test_check_benign_spectrum_accepts_spike_and_tail_and_rejects_isotropic():
    def benign(n):
        p = int(n**1.5)
        return np.concatenate([np.ones(3), np.full(p - 3, 1.0 / (p - 3))])

    bl.check_benign_spectrum(benign)
    with pytest.raises(selfcheck.WrongAnswer, match="r_0/n"):
        bl.check_benign_spectrum(lambda n: np.ones(2 * n))
    with pytest.raises(selfcheck.WrongAnswer, match="more than n"):
        bl.check_benign_spectrum(lambda n: np.ones(n))
    with pytest.raises(selfcheck.NotAnswered):
        bl.check_benign_spectrum(...)

    def skeleton(n):
        ...

    with pytest.raises(selfcheck.NotAnswered):
        bl.check_benign_spectrum(skeleton)


def test_check_peak_ratio_accepts_the_formula_and_rejects_no_peak_and_the_wrong_coefficients():
    top, right = rx.relu_risk(np.array([2.0, 4.0]), 2.0, 1e-4)
    rx.check_peak_ratio(top / right)
    with pytest.raises(selfcheck.WrongAnswer):
        rx.check_peak_ratio(1.0)  # "no peak without label noise"
    wrong_top, wrong_right = rx.relu_risk(np.array([2.0, 4.0]), 2.0, 1e-4, centred=False)
    with pytest.raises(selfcheck.WrongAnswer):
        rx.check_peak_ratio(wrong_top / wrong_right)  # μ₀² left in μ_⋆²
    with pytest.raises(selfcheck.NotAnswered):
        rx.check_peak_ratio(...)


def test_check_peak_moves_accepts_right_and_rejects_wrong():
    moves, p0, p1 = rf._peak_moves(0)
    rf.check_peak_moves(moves)
    with pytest.raises(selfcheck.WrongAnswer):
        rf.check_peak_moves(not moves)
    with pytest.raises(selfcheck.NotAnswered):
        rf.check_peak_moves(...)
    with pytest.raises(selfcheck.WrongAnswer):
        rf.check_peak_moves("no")


def test_risk_explorer_static_figure_has_three_panels_with_theory_and_simulation():
    import matplotlib

    matplotlib.use("Agg")
    fig = opt.risk_explorer(n=40, reps=2, force_static=True)
    axes = [ax for ax in fig.axes if ax.lines]
    assert len(axes) == 3
    for ax in axes:
        assert len(ax.lines) >= 3  # theory, simulation, marker of γ


def test_knn_experiment_interpolating_rules_fit_every_noisy_label():
    """Formerly the claim ``knn-interpolates`` (true by construction, so a test of the code, not a claim):
    1-NN and the singular-kernel rule have training error exactly 0 on noisy labels; the majority vote
    over the same window does not."""
    cfg = knn.KNNConfig(ns=(200, 400), n_test=200, noise=0.2, n_seeds=2)
    res = knn.knn_experiment(cfg, [0, 1])
    assert np.all(res.train_error["1-NN"] == 0)
    assert np.all(res.train_error["singular"] == 0)
    assert np.all(res.train_error["k-NN"] > 0.05)  # the vote overrules the noisy labels it outvotes


def test_check_power_law_multiple_accepts_right_and_rejects_the_limit_and_e0():
    eigs = np.arange(1, 50 * 1000 + 1, dtype=float) ** -4.0
    right = tp.eigenlearning(eigs, 1000)[1] - 1
    tp.check_power_law_multiple(right)
    with pytest.raises(selfcheck.WrongAnswer):
        tp.check_power_law_multiple(right + 1)  # E0 instead of E0 - 1
    with pytest.raises(selfcheck.WrongAnswer):
        tp.check_power_law_multiple(3.0)  # the limit α − 1, not the value at n = 1000
    with pytest.raises(selfcheck.WrongAnswer):
        tp.check_power_law_multiple(...)


def test_check_best_dimension_accepts_the_minimum_and_rejects_the_theorem_regime():
    assert tn.check_best_dimension(900) == 900
    for wrong in (5000, 500, 1500):  # the page's regime, the page's middle point, the condition n‖μ‖²
        with pytest.raises(selfcheck.WrongAnswer):
            tn.check_best_dimension(wrong)


def test_check_benign_at_accepts_right_and_rejects_wrong():
    expected, _, _ = tn._below_noise(10)
    assert tn.check_benign_at(expected, d=10) == expected
    with pytest.raises(selfcheck.WrongAnswer):
        tn.check_benign_at(not expected, d=10)


def test_spline_1d_interpolates_and_its_error_is_exact():
    from dltheory.overfitting import spline_1d as sp1
    rng = np.random.default_rng(3)
    y = rng.choice([-1.0, 1.0], 40)
    x = 3.5 * y + rng.standard_normal(40)
    noisy = y.copy()
    noisy[:4] *= -1
    assert np.array_equal(sp1.spline_sign(x, noisy, x), noisy)          # fits every label
    t_y = rng.choice([-1.0, 1.0], 200_000)
    t = 3.5 * t_y + rng.standard_normal(200_000)
    mc = np.mean(sp1.spline_sign(x, noisy, t) != t_y)
    exact = sp1.spline_error(x, noisy, mu=3.5)
    assert abs(exact - mc) < 4 * np.sqrt(mc / 200_000) + 1e-4
    assert exact > sp1.spline_error(x, y, mu=3.5) + 0.01                 # the flips cost something
    with pytest.raises(ValueError, match="distinct"):
        sp1.spline_error([0.0, 0.0, 1.0], [1.0, -1.0, 1.0], mu=1.0)
    with pytest.raises(ValueError, match="exactly one"):
        sp1.spline_prices([0], (10,), mu=1.0)


def test_max_margin_1d_fits_every_label_and_beats_the_spline():
    from dltheory.overfitting import max_margin_1d as mm
    rng = np.random.default_rng(4)
    y = rng.choice([-1.0, 1.0], 40)
    x = 3.5 * y + rng.standard_normal(40)
    noisy = y.copy()
    noisy[:4] *= -1
    xs, f, left, right, cost = mm.max_margin_fit(x, noisy)
    assert np.all(noisy[np.argsort(x)] * f >= 1 - 1e-7)                   # margin 1 on every label
    # the linear spline through the ±1 labels (flat tails) is feasible, so it costs at least the optimum
    s = np.diff(noisy[np.argsort(x)]) / np.diff(xs)
    assert cost <= np.abs(np.diff(np.r_[0.0, s, 0.0])).sum() + 1e-7
    assert mm.max_margin_fit(x, np.ones(40))[4] < 1e-9                   # one label: a constant, no cost
    # the exact clean error agrees with a Monte Carlo estimate of the same sign function
    t_y = rng.choice([-1.0, 1.0], 200_000)
    t = 3.5 * t_y + rng.standard_normal(200_000)
    ft = np.interp(t, xs, f)
    ft = np.where(t < xs[0], f[0] + left * (t - xs[0]), np.where(t > xs[-1], f[-1] + right * (t - xs[-1]), ft))
    mc = np.mean(np.sign(ft) != t_y)
    exact = mm.max_margin_error(x, noisy, mu=3.5)
    assert abs(exact - mc) < 4 * np.sqrt(mc / 200_000) + 1e-4
    assert exact > mm.max_margin_error(x, y, mu=3.5) + 0.01               # the flips cost something
    with pytest.raises(ValueError, match="distinct"):
        mm.max_margin_fit([0.0, 0.0, 1.0], [1.0, -1.0, 1.0])
    with pytest.raises(ValueError, match="exactly one"):
        mm.max_margin_prices([0], (10,), mu=1.0)
