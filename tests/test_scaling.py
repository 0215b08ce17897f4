"""Chapter 1 (dltheory.scaling, one module per section): fits recover known laws, the derivations match
closed forms, bad input raises ValueError naming the argument, and every exercise check rejects wrong answers
and placeholders."""

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dltheory import selfcheck
from dltheory.scaling import common, exercises, fit_precision, fitting, quanta, spectrum
from dltheory.scaling import compute_optimal as co
from dltheory.scaling import mini_chinchilla as mc
from dltheory.scaling import isoflop_sgd as isg
from dltheory.scaling import quanta_network as qn
from dltheory.scaling import kaplan_chinchilla as kc
from dltheory.scaling import manifold
from dltheory.scaling import manifold_net as mnet
from dltheory.scaling import approach3 as a3


def test_fit_power_law_recovers_noise_free_law_and_naive_fit_is_biased():
    x = np.logspace(5, 9, 20)
    y = fitting.power_law(x, 1.69, 406.4, 0.34)
    fit = fitting.fit_power_law(x, y)
    assert fit.alpha == pytest.approx(0.34, abs=1e-3)
    assert fit.E == pytest.approx(1.69, rel=1e-3)
    _, naive = fitting.fit_loglinear(x, y)
    assert naive < 0.25  # the missing offset flattens the line
    _, exact = fitting.fit_loglinear(x, 406.4 * x**-0.34)  # ... and without an offset the line is exact
    assert exact == pytest.approx(0.34, abs=1e-9)


def test_bootstrap_shapes_and_spread():
    x = np.logspace(5, 9, 20)
    y = fitting.sample_power_law(jax.random.key(0), x, E=1.69, A=406.4, alpha=0.34, noise=0.01)
    boot = fitting.bootstrap_power_law(jax.random.key(1), x, y, fitting.fit_power_law(x, y), n_boot=20)
    assert boot["alpha"].shape == boot["naive_alpha"].shape == (20,)
    assert 0 < np.std(boot["alpha"]) < 0.05


def test_alpha_standard_error_is_the_huber_fits_scatter():
    cfg = fitting.FittingConfig()
    se = fit_precision.alpha_standard_error(cfg)
    # clipping costs between nothing (least squares) and pi/2 in variance (least absolute deviations)
    ls, lad = fit_precision.alpha_standard_error(cfg, delta=1e3), fit_precision.alpha_standard_error(cfg, delta=1e-12)
    assert ls < se < lad and lad / ls == pytest.approx(math.sqrt(math.pi / 2), rel=1e-9)
    # the price of clipping at k = delta/sigma = 0.1, integrated numerically: v = E[psi^2] / E[psi']^2
    from scipy import integrate, stats
    k = 1e-3 / cfg.noise
    psi2 = integrate.quad(lambda e: min(e * e, k * k) * stats.norm.pdf(e), -12, 12, points=[-k, k])[0]
    assert se / ls == pytest.approx(math.sqrt(psi2 / (2 * stats.norm.cdf(k) - 1) ** 2), rel=1e-6)
    # scale-free in the noise at a fixed clip k = delta/sigma
    assert fit_precision.alpha_standard_error(dataclasses.replace(cfg, noise=0.02), delta=2e-3) == pytest.approx(2 * se)
    # and it is what the fit does: 120 studies, whose spread has a sampling error of about 7%
    x = cfg.sizes()
    keys = jax.random.split(jax.random.key(7), 120)
    alphas = [fitting.fit_power_law(x, fitting.sample_power_law(key, x, E=cfg.E, A=cfg.A, alpha=cfg.alpha,
                                                                 noise=cfg.noise)).alpha for key in keys]
    assert np.std(alphas, ddof=1) == pytest.approx(se, rel=0.2)
    assert abs(np.mean(alphas) - cfg.alpha) < 4 * se / math.sqrt(len(alphas))
    # the clip k = δ/σ near 0 is least absolute deviations (v = π/2), also where k² underflows (k < 1e-154),
    # and the limit taken below k = 1e-6 joins the formula above it
    assert fit_precision.alpha_standard_error(cfg, delta=1e-160) == pytest.approx(lad, rel=1e-12)
    near = [fit_precision.alpha_standard_error(cfg, delta=d * cfg.noise) for d in (0.99e-6, 1.01e-6)]
    assert near[0] == lad and near[1] == pytest.approx(lad, rel=2e-6) and near[1] != lad
    with pytest.raises(ValueError, match="noise-free"):
        fit_precision.alpha_standard_error(dataclasses.replace(cfg, noise=0.0))
    with pytest.raises(ValueError, match="delta"):
        fit_precision.alpha_standard_error(cfg, delta=0.0)
    with pytest.raises(ValueError, match="FittingConfig"):
        fit_precision.alpha_standard_error("fast")


def test_page_runs_counts_the_coverage_studies_and_the_spread_fits_in_the_fast_configuration_only():
    fast, full = fitting.FittingConfig.fast(), fitting.FittingConfig.full()
    per_study = fast.cost().host_flops / fast.n_seeds
    counted = fitting.page_runs(lambda cls: fast)
    # the spread claims' fits, each one fit priced as one of a study's n_boot + 1 refits: Huber fits up to
    # SPREAD_STUDIES (the coverage studies' reused), least-squares fits of as many, and the coverage studies at
    # twice the noise
    fits = 2 * fitting.SPREAD_STUDIES * per_study / (fast.n_boot + 1)
    assert counted.host_flops == pytest.approx(per_study * fitting.COVERAGE_STUDIES + fits)
    assert fitting.page_runs(lambda cls: full).host_flops == pytest.approx(full.cost().host_flops)


def test_fit_power_law_leaves_a_grid_start_whose_first_line_search_is_long():
    # study 6471 of the page's design: from its grid start (α = 0.34 exactly) L-BFGS-B's default 20 line-search
    # steps found no decrease and the fit returned the start; the fit must improve on it
    cfg = fitting.FittingConfig()
    x, y = cfg.sizes(), fitting.draw_study(cfg, 6471)[0]
    start = fitting._start_1d(x, y, 1e-3)
    fit = fitting.fit_power_law(x, y)
    start_value, _ = fitting._huber_1d(start, np.log(x), np.log(y), 1e-3)
    assert fit.objective < start_value - 1e-6
    assert abs(fit.alpha - start[2]) > 1e-3
    _, gradient = fitting._huber_1d(np.array([math.log(fit.E), math.log(fit.A), fit.alpha]), np.log(x), np.log(y), 1e-3)
    assert np.abs(gradient).max() < 1e-8


def test_fit_exponents_are_the_experiments_fits_without_the_bootstrap():
    cfg = fitting.FittingConfig(n_points=12, n_boot=20)
    assert np.array_equal(fit_precision.fit_exponents(cfg, [3, 4]), fitting.fitting_experiment(cfg, [3, 4]).alpha)
    # twice the noise draws the same ε: the log-residuals double
    clean = np.log(fitting.power_law(cfg.sizes(), cfg.E, cfg.A, cfg.alpha))
    quiet, loud = (np.log(fitting.draw_study(c, 3)[0]) - clean for c in (cfg, cfg.replace(noise=2 * cfg.noise)))
    np.testing.assert_allclose(loud, 2 * quiet, rtol=1e-9, atol=1e-12)
    # delta reaches the fit: a clip far above the noise is least squares, another fit of the same study
    y = fitting.draw_study(cfg, 3)[0]
    squares = fit_precision.fit_exponents(cfg, [3], delta=1.0)[0]
    assert squares == fitting.fit_power_law(cfg.sizes(), y, delta=1.0).alpha
    assert squares != fit_precision.fit_exponents(cfg, [3])[0]
    for args, kwargs, match in [(("fast", [0]), {}, "FittingConfig"), ((cfg, []), {}, "seeds"),
                                ((cfg, [0]), {"delta": 0.0}, "delta")]:
        with pytest.raises(ValueError, match=match):
            fit_precision.fit_exponents(*args, **kwargs)


def test_the_spread_studies_are_the_coverage_studies_then_a_stream_no_two_base_seeds_share():
    seen = {}
    for base in (0, 1, 100, 4000, 10**5):
        studies = fit_precision.spread_seeds(base)
        assert len(studies) == len(set(studies)) == fitting.SPREAD_STUDIES
        assert studies[:fitting.COVERAGE_STUDIES] == list(range(base, base + fitting.COVERAGE_STUDIES))
        further = set(studies[fitting.COVERAGE_STUDIES:])
        assert min(further) >= fit_precision.SPREAD_STREAM
        for other, theirs in seen.items():
            assert not further & theirs, (base, other)
        seen[base] = further
    with pytest.raises(ValueError, match="base_seed"):
        fit_precision.spread_seeds(-1)


def test_a_fit_that_cannot_leave_its_start_raises():
    # a gradient of the wrong sign: no line search finds a decrease, and the start must not come back as a fit
    with pytest.raises(RuntimeError, match="could not leave its start"):
        fitting._lbfgs(lambda t: (float(t @ t), -2 * t), np.array([1.0, -2.0]))


def test_fit_chinchilla_recovers_the_generating_law():
    N, D = (a.ravel() for a in np.meshgrid(np.logspace(7, 10, 6), np.logspace(9, 12, 6)))
    fit = fitting.fit_chinchilla(N, D, co.chinchilla_loss(N, D, co.EPOCH))
    for k in ("E", "alpha", "beta"):
        assert fit[k] == pytest.approx(co.EPOCH[k], rel=1e-3)


def test_allocation_matches_closed_form_and_minimises_the_loss():
    p = co.CHINCHILLA
    a = p["beta"] / (p["alpha"] + p["beta"])
    assert co.exponent_a(p) == pytest.approx(a)
    C = np.array([1e20, 1e24])
    n_opt, d_opt = co.compute_optimal(C, p)
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    np.testing.assert_allclose(n_opt, G * (C / 6) ** a, rtol=1e-10)
    np.testing.assert_allclose(6 * n_opt * d_opt, C, rtol=1e-10)
    for c, n in zip(C, n_opt):  # a brute-force scan along the isoFLOP curve finds the same minimum
        grid = n * np.logspace(-1, 1, 2001)
        best = grid[np.argmin(co.chinchilla_loss(grid, c / (6 * grid), p))]
        assert best == pytest.approx(n, rel=5e-3)


def test_projection_risk_matches_eigenlearning_theory():
    lam = spectrum.power_spectrum(1.0, 1024)
    ns = np.array([8, 16, 32, 64])
    risk = np.mean([spectrum.projection_risk(jax.random.key(s), lam, ns) for s in range(8)], axis=0)
    np.testing.assert_allclose(risk, spectrum.eigenlearning_risk(lam, ns), rtol=0.2)
    assert common.fit_exponent(ns, risk) == pytest.approx(1.0, abs=0.15)


def _draw(key, lam, n):
    """The Gaussian vectors x_i = Λ^{1/2} z_i that projection_risk draws from ``key`` (as columns)."""
    z = np.asarray(jax.random.normal(key, (lam.size, n)), dtype=np.float64)
    return np.sqrt(lam)[:, None] * z


def test_projection_risk_is_the_teacher_averaged_risk_of_minimum_norm_regression():
    # §3's data-limited risk, moved here from the registry (it was the claim "duality", with
    # "feature-exponent"): an explicit minimum-norm interpolant of n samples, its risk averaged over the
    # teacher exactly (E ww^T = I, so the average is the sum over the basis teachers w = e_i)
    lam, ns, key = spectrum.power_spectrum(1.0, 96), np.array([4, 9, 20]), jax.random.key(3)
    x = _draw(key, lam, ns[-1])
    explicit = []
    for n in ns:
        X = x[:, :n].T  # samples as rows
        w_hat = np.linalg.pinv(X) @ X  # the interpolant of teacher e_i is column i
        err = np.eye(lam.size) - w_hat
        explicit.append(np.einsum("ij,i,ij->", err, lam, err))
    np.testing.assert_allclose(spectrum.projection_risk(key, lam, ns), explicit, rtol=1e-8)


def test_projection_risk_is_the_risk_of_random_features_fitted_on_the_population():
    # the dual: N random features f_j ~ N(0, I), their best combination on the whole distribution
    # (least squares on the population loss) for each basis teacher; the same draw gives the same risk
    lam, ns, key = spectrum.power_spectrum(1.0, 96), np.array([4, 9, 20]), jax.random.key(4)
    f = np.asarray(jax.random.normal(key, (lam.size, ns[-1])), dtype=np.float64)
    root = np.sqrt(lam)
    explicit = []
    for n in ns:
        G = root[:, None] * f[:, :n]  # features seen through the data: Λ^{1/2} F
        U = np.diag(root)  # the targets Λ^{1/2} w for the basis teachers w = e_i
        beta = np.linalg.lstsq(G, U, rcond=None)[0]
        explicit.append(np.sum((U - G @ beta) ** 2))
    np.testing.assert_allclose(spectrum.projection_risk(key, lam, ns), explicit, rtol=1e-8)
    # and a wrong operator would be caught: the unprojected risk tr(Λ) is larger at every N
    assert np.all(np.array(explicit) < lam.sum() - 1e-3)


def test_frequency_order_loss_is_the_tail_sum_and_falls_with_the_parameter_exponent():
    # §4's null: quanta learned in order of frequency, one per c samples, loss = Σ_{k > D/c} p_k ∝ D^-α
    p = quanta.zipf(0.5, 2**16)
    Ds = np.logspace(3, 5, 5)
    loss = quanta.frequency_order_loss(p, Ds, samples_per_quantum=10.0)
    np.testing.assert_allclose(loss[0], 1.0 - p[:100].sum())
    assert common.fit_exponent(Ds, loss) == pytest.approx(0.5, abs=0.02)  # α, not α/(α+1) = 1/3


def test_quanta_loss_is_decreasing_and_follows_expectation():
    p = quanta.zipf(0.5, 2**14)
    Ds = np.array([100.0, 1000.0, 10000.0])
    loss = np.mean([quanta.quanta_loss(jax.random.key(s), p, Ds) for s in range(40)], axis=0)
    expected = 1 - np.array([np.sum(p * (1 - np.exp(-D * p))) for D in Ds])
    np.testing.assert_allclose(loss, expected, rtol=0.05)
    assert np.all(np.diff(loss) < 0)


def test_isoflop_minima_finds_an_interior_valley():
    cfg = mc.IsoflopConfig(widths=(1, 2, 4), steps=10, eval_every=5, n_seeds=1)
    N, D = cfg.params, np.array([2.0, 20.0, 200.0])
    # a synthetic learning-curve tensor drawn from a law with a known valley
    loss = co.chinchilla_loss(N[:, None], D[None, :], {"E": 0.1, "A": 10.0, "B": 10.0, "alpha": 0.5, "beta": 0.5})[None]
    result = mc.IsoflopResult(cfg, (0,), N, D, loss, 0.0)
    C = 6 * N[1] ** 2  # with A = B and alpha = beta the optimum is N = D = sqrt(C/6)
    out = mc.isoflop_minima(result, [C])
    assert out["interior"][0]
    assert out["N_opt"][0] == pytest.approx(N[1], rel=0.5)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: fitting.power_law([1.0, -1.0], 1, 1, 1), "x"),
        (lambda: fitting.power_law([1.0], 1, 1, -0.5), "alpha"),
        (lambda: fitting.fit_power_law([1, 2, 3], [1, 2, 3]), "x must have at least"),
        (lambda: fitting.fit_power_law(np.arange(1, 6), np.arange(1, 6), delta=0), "delta"),
        (lambda: fitting.fit_chinchilla(np.ones(6), np.ones(6), np.ones(7)), "same shape"),
        (lambda: co.compute_optimal([1e20], {"E": 1, "A": 1, "B": 1, "alpha": 0.3}), "missing"),
        (lambda: co.compute_optimal([-1.0], co.CHINCHILLA), "C"),
        (lambda: co.exponent_a({**co.CHINCHILLA, "beta": 0}), "beta"),
        (lambda: spectrum.power_spectrum(1.0, 1), "M"),
        (lambda: spectrum.projection_risk(jax.random.key(0), spectrum.power_spectrum(1, 64), [8, 4]), "ns"),
        (lambda: spectrum.eigenlearning_risk(spectrum.power_spectrum(1, 64), [64]), "ns"),
        (lambda: quanta.zipf(0.0, 10), "alpha"),
        (lambda: quanta.quanta_loss(jax.random.key(0), [0.9, 0.9], [1.0]), "p must sum"),
        (lambda: quanta.quanta_loss(jax.random.key(0), quanta.zipf(1, 8), [2.0, 1.0]), "Ds"),
        (lambda: quanta.frequency_order_loss(quanta.zipf(1, 8), [10.0, 100.0], samples_per_quantum=10), "must stay below"),
        (lambda: quanta.frequency_order_loss(quanta.zipf(1, 8), [1.0], samples_per_quantum=0), "samples_per_quantum"),
        (lambda: spectrum.SpectrumConfig(null_alpha=1.0), "null_alpha"),
        (lambda: common.fit_exponent([1, 2], [1, 2]), "x must have at least"),
        (lambda: fitting.FittingConfig(noise=2.0), "noise"),
        (lambda: spectrum.SpectrumConfig(M=100), "ns"),
        (lambda: spectrum.SpectrumConfig(ns=(16, 8, 32)), "ns"),
        (lambda: fitting.FittingConfig(x_min=1e6, x_max=1e5), "x_max"),
        (lambda: quanta.QuantaConfig(tau=0), "tau"),
        (lambda: mc.IsoflopConfig(widths=(4, 2, 8)), "widths"),
        (lambda: mc.IsoflopConfig(steps=10, eval_every=3), "multiple"),
        (lambda: fitting.fitting_experiment(fitting.FittingConfig(), []), "seeds"),
        (lambda: spectrum.spectrum_experiment("fast", [0]), "cfg"),
        (lambda: mc.isoflop_minima("result", [1.0]), "result"),
        (lambda: exercises.kaplan_chinchilla_data(-1), "seed"),
        (lambda: exercises.check_quanta_exponent(0.1, 0.5), "zipf_exponent"),
        (lambda: kc.frontier_expression("embedding"), "compute"),
        (lambda: kc.optimal_size([1e15], co.EPOCH, compute="all"), "compute"),
        (lambda: kc.optimal_size([1e60], co.EPOCH), "C must lie"),
        (lambda: kc.local_exponent((1e18, 1e15), co.EPOCH), "increasing"),
        (lambda: kc.local_exponent((1e15, 1e18), co.EPOCH, report="some"), "report"),
        (lambda: kc.total_params([-1.0]), "n_ne"),
        (lambda: manifold.ManifoldConfig(n_min=1000, n_max=500), "n_max"),
        (lambda: manifold.grid_sizes(4, 100, 120, 5), "fewer than 3"),
        (lambda: manifold.manifold_experiment("fast", [0]), "cfg"),
        (lambda: manifold.smooth_target(jax.random.key(0), 0), "d"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_check_exponent_a():
    right = co.EPOCH["beta"] / (co.EPOCH["alpha"] + co.EPOCH["beta"])
    exercises.check_exponent_a(right, co.EPOCH)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_exponent_a(..., co.EPOCH)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_exponent_a(co.EPOCH["alpha"] / (co.EPOCH["alpha"] + co.EPOCH["beta"]), co.EPOCH)


def test_check_kaplan_vs_chinchilla():
    a_k, a_c = exercises._kaplan_chinchilla_answers(0)
    assert abs(a_k - a_c) > 0.05  # the exercise's point: the two fits disagree
    exercises.check_kaplan_vs_chinchilla(a_k, a_c)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_kaplan_vs_chinchilla(..., a_c)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_kaplan_vs_chinchilla(a_c, a_k)


def test_check_data_exponent_hypothesis():
    lam = spectrum.power_spectrum(1.0, 4096)
    ns = np.array([16, 32, 64, 128, 256, 512])
    e = common.fit_exponent(ns, spectrum.eigenlearning_risk(lam, ns, target_power=lam / np.arange(1, 4097)))
    exercises.check_data_exponent_hypothesis(False, e)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_data_exponent_hypothesis(..., e)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_data_exponent_hypothesis(False, ...)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_data_exponent_hypothesis(True, e)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_data_exponent_hypothesis(False, 1.0)


def test_check_quanta_exponent():
    exercises.check_quanta_exponent(0.08 / 1.08, 1.08)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_quanta_exponent(..., 1.08)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_quanta_exponent(0.08, 1.08)  # the parameter exponent, not the data exponent
    assert math.isclose(exercises.check_quanta_exponent(0.4 / 1.4, 1.4), 0.4 / 1.4)


def test_isoflop_exponent_recovers_a_known_slope():
    budgets = np.logspace(7, 9, 5)
    assert mc.isoflop_exponent(budgets, 3.0 * budgets**0.42) == pytest.approx(0.42)
    with pytest.raises(ValueError, match="n_opt"):
        mc.isoflop_exponent(budgets, np.r_[budgets[:4], np.nan])


def test_seed_sweep_is_the_page_analysis_per_base_seed_and_round_trips(tmp_path):
    cfg = mc.IsoflopConfig(widths=(32, 64, 128, 256), steps=1200, eval_every=40, n_test=64, n_seeds=2, K=16)
    sweep = mc.seed_sweep(cfg, [0, 1])  # trains the runs 0, 1, 2 once
    res = mc.isoflop_experiment(cfg, [1, 2])
    iso = mc.isoflop_minima(res, cfg.budgets)
    assert np.isfinite(iso["N_opt"]).sum() >= 2  # the tiny sweep reaches some budgets
    np.testing.assert_array_equal(sweep["interior"][1], iso["interior"])  # base seed 1 = runs 1 and 2
    np.testing.assert_allclose(sweep["N_opt"][1], iso["N_opt"], rtol=1e-4)
    finite = np.isfinite(iso["N_opt"])
    if finite.all():
        assert sweep["a"][1] == pytest.approx(mc.isoflop_exponent(cfg.budgets, iso["N_opt"]), rel=1e-4)
    path = tmp_path / "sweep.json"
    mc.save_seed_sweep(sweep, path, date="2026-12-04", device="test")
    back, prov = mc.load_seed_sweep(path)
    assert prov["mode"] == "fast" and back["interior"].shape == (2, len(cfg.budgets))
    np.testing.assert_allclose(back["a"], sweep["a"])
    with pytest.raises(ValueError, match="missing"):
        mc.save_seed_sweep({"a": []}, path, date="x", device="y")


def test_the_shipped_seed_sweep_is_ten_base_seeds_of_the_fast_config():
    sweep, prov = mc.load_seed_sweep()
    assert sweep["base_seeds"] == list(range(10)) and sweep["interior"].shape == (10, 6)
    assert sweep["config"] == repr(mc.IsoflopConfig.fast()) and prov["mode"] == "fast"


def test_isoflop_experiment_runs_every_width_and_seed():
    cfg = mc.IsoflopConfig(widths=(2, 4, 8), steps=40, eval_every=20, n_test=64, n_seeds=2, K=16)
    res = mc.isoflop_experiment(cfg, [0, 1], progress=False)
    assert res.loss.shape == (2, 3, 2)
    np.testing.assert_array_equal(res.N, [21, 41, 81])
    np.testing.assert_array_equal(res.D, [20 * 32, 40 * 32])
    assert np.all(np.isfinite(res.loss))


def test_spectrum_and_fitting_experiments_small():
    spec = spectrum.spectrum_experiment(spectrum.SpectrumConfig(M=256, ns=(4, 8, 16, 32), n_seeds=2), [0, 1])
    assert spec.data_risk.shape == spec.null_risk.shape == (2, 4)
    assert np.all(np.diff(spec.data_risk, axis=1) < 0)
    assert np.all(spec.null_exponent < spec.data_exponent)  # the null spectrum (α = 0.5) decays more slowly
    fit = fitting.fitting_experiment(fitting.FittingConfig(n_points=12, n_boot=20), [3])
    assert fit.alpha.shape == (1,) and fit.alpha_ci.shape == fit.alpha_ci80.shape == (1, 2)
    # the 80% interval is the middle of the same bootstrap: inside the 95% one
    assert fit.alpha_ci[0, 0] <= fit.alpha_ci80[0, 0] < fit.alpha_ci80[0, 1] <= fit.alpha_ci[0, 1]
    assert not np.any(fit.covered80 & ~fit.covered)
    assert fit.naive_alpha[0] < fit.alpha[0]


# --------------------------------------------------------------------------- §6 multitask sparse parity


def test_sparse_parity_tasks_are_distinct_k_subsets_and_fixed_by_the_seed():
    m = qn.sparse_parity_tasks(20, 8, 3, seed=1)
    assert m.shape == (20, 8)
    np.testing.assert_array_equal(m.sum(axis=1), 3)
    assert len({tuple(r) for r in m}) == 20
    np.testing.assert_array_equal(m, qn.sparse_parity_tasks(20, 8, 3, seed=1))
    assert not np.array_equal(m, qn.sparse_parity_tasks(20, 8, 3, seed=2))


def test_sparse_parity_batch_labels_codes_and_frequencies():
    masks = qn.sparse_parity_tasks(6, 40, 3)  # 40 task bits: two random words per sample
    p = qn.subtask_frequencies(1.4, 6)
    np.testing.assert_allclose(p.sum(), 1.0)
    np.testing.assert_allclose(p[0] / p[1], 2**1.4)
    x, y, task = (np.asarray(a) for a in qn.sparse_parity_batch(jax.random.key(0), masks, p, 40_000))
    assert x.shape == (40_000, 46)
    np.testing.assert_array_equal(x[np.arange(len(task)), task], 1)  # one-hot control bits
    np.testing.assert_array_equal(x[:, :6].sum(axis=1), 1)
    np.testing.assert_array_equal(y, np.sum(x[:, 6:] * masks[task], axis=1) % 2)
    np.testing.assert_allclose(np.bincount(task, minlength=6) / len(task), p, atol=0.01)
    np.testing.assert_allclose(x[:, 6:].mean(axis=0), 0.5, atol=0.02)  # every task bit is a fair coin
    uniform = np.asarray(qn.sparse_parity_batch(jax.random.key(1), masks, qn.subtask_frequencies(0.0, 6), 30_000)[2])
    np.testing.assert_allclose(np.bincount(uniform, minlength=6) / 30_000, 1 / 6, atol=0.01)


def _tiny_sparse_parity():
    return qn.SparseParityConfig(n_tasks=4, n=6, k=2, widths=(4, 8, 16), batch=32, steps=60, eval_every=20,
                                n_test=16, n_seeds=2)


@pytest.fixture(scope="module")
def tiny_parity():
    return qn.sparse_parity_experiment(_tiny_sparse_parity(), [0, 1], progress=False)


def test_sparse_parity_experiment_shapes_and_metrics(tiny_parity):
    res = tiny_parity
    assert res.subtask_loss.shape == (2, 3, 4, 4)
    assert res.loss.shape == (2, 3, 4)
    np.testing.assert_array_equal(res.N, (4 + 6 + 3) * np.array([4, 8, 16]) + 2)
    np.testing.assert_array_equal(res.steps, [0, 20, 40, 60])
    assert np.all(np.isfinite(res.loss)) and np.all(np.abs(res.loss[:, :, 0] - 1) < 0.3)  # chance: one bit
    assert res.emergence.shape == (2, 3, 4)
    assert res.param_exponent.shape == (2,)
    assert res.order_correlation().shape == res.step_exponent().shape == res.drop_decades().shape == (2,)
    assert res.step_window().shape == (2, 4)
    assert not np.array_equal(res.subtask_loss[0], res.subtask_loss[1])  # seeds differ


def test_sparse_parity_experiment_is_deterministic(tiny_parity):
    again = qn.sparse_parity_experiment(_tiny_sparse_parity(), [0, 1], progress=False)
    np.testing.assert_array_equal(again.subtask_loss, tiny_parity.subtask_loss)


def test_sparse_parity_metrics_on_a_known_history(tiny_parity):
    # a hand-made history: subtask i (of 4) drops from one bit to zero at step 20·(i+1); no subtask at width 0
    steps = np.array([0, 20, 40, 60, 80])
    sub = np.ones((1, 2, 5, 4))
    for i in range(4):
        sub[0, 1, i + 1:, i] = 0.0
    res = dataclasses.replace(tiny_parity, seeds=(0,), steps=steps, subtask_loss=sub, N=tiny_parity.N[:2],
                              p=qn.subtask_frequencies(1.0, 4))
    np.testing.assert_array_equal(res.emergence[0, 1], [20, 40, 60, 80])
    assert np.all(np.isinf(res.emergence[0, 0]))
    assert res.order_correlation()[0] == pytest.approx(1.0)
    assert np.isnan(res.order_correlation(width=0)[0])  # nothing learned: no order
    with pytest.raises(ValueError, match="param_exponent"):
        res.param_exponent
    with pytest.raises(ValueError, match="low"):
        res.drop_decades(high=0.5, low=0.6)


def test_order_correlation_learned_only_and_its_null(tiny_parity):
    # 12 subtasks: the 8 most frequent learned in order at steps 10..80, the 4 rarest never. Over all 12
    # the unlearned tie at the last rank; the tie alone keeps the shuffled (null) correlation high
    n = 12
    steps = np.arange(0, 100, 10)
    sub = np.ones((1, 1, steps.size, n))
    for i in range(8):
        sub[0, 0, i + 1:, i] = 0.0
    res = dataclasses.replace(tiny_parity, seeds=(0,), steps=steps, subtask_loss=sub, N=tiny_parity.N[:1],
                              p=qn.subtask_frequencies(1.4, n))
    assert res.order_correlation()[0] == pytest.approx(1.0, abs=0.05)
    assert res.order_correlation(learned_only=True)[0] == pytest.approx(1.0)
    tied = [res.order_correlation(shuffle=k)[0] for k in range(40)]
    free = [res.order_correlation(learned_only=True, shuffle=k)[0] for k in range(40)]
    assert np.mean(tied) > 0.5 > abs(np.mean(free))  # the tie, not the order, makes the first one high
    assert res.order_correlation(learned_only=True, shuffle=3) == pytest.approx(
        res.order_correlation(learned_only=True, shuffle=3))  # a fixed null for a fixed seed
    with pytest.raises(ValueError, match="shuffle"):
        res.order_correlation(shuffle=-1)


def test_sparse_parity_configs_are_valid_and_full_is_the_papers():
    full = qn.SparseParityConfig.full()
    assert (full.n_tasks, full.n, full.k, full.zipf, full.lr) == (500, 100, 3, 1.4, 1e-3)  # the paper's task
    assert (full.batch, full.steps, len(full.widths)) == (2000, 20_000, 10)  # 1/10, 1/10, 1/3 (GPU budget, issue 22)
    assert min(full.widths) == 9 and max(full.widths) == 500  # the paper's code truncates 2^log2(10) to 9
    assert qn.SparseParityConfig.fast().alpha == pytest.approx(0.4)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: qn.sparse_parity_tasks(30, 4, 3), "n_tasks"),
        (lambda: qn.sparse_parity_tasks(3, 4, 5), "k"),
        (lambda: qn.sparse_parity_tasks(3, 4, 2, seed=-1), "seed"),
        (lambda: qn.subtask_frequencies(-1.0, 4), "zipf_exponent"),
        (lambda: qn.subtask_frequencies(1.4, 0), "n_tasks"),
        (lambda: qn.SparseParityConfig(widths=(8, 4)), "widths"),
        (lambda: qn.SparseParityConfig(steps=100, eval_every=30), "multiple"),
        (lambda: qn.SparseParityConfig(learned_bits=0.0), "learned_bits"),
        (lambda: qn.SparseParityConfig(n_tasks=100, n=6, k=3), "n_tasks"),
        (lambda: qn.SparseParityConfig(zipf=-0.5), "zipf"),
        (lambda: qn.sparse_parity_experiment("fast", [0]), "cfg"),
        (lambda: qn.sparse_parity_experiment(_tiny_sparse_parity(), []), "seeds"),
    ],
)
def test_sparse_parity_bad_input_raises_value_error_naming_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("compute", kc.COUNTS)
def test_reconcile_frontier_is_the_minimum_of_the_loss_at_fixed_budget(compute):
    # brute force: at each budget, the loss over a fine grid of models is lowest at optimal_size's answer
    law = co.EPOCH
    n = np.logspace(2, 13, 200_001)
    n_t = kc.total_params(n)
    for C in (1e14, 1e18, 1e22):
        d = C / (6 * (n_t if compute == "total" else n))
        best = n[np.argmin(law["A"] * n_t ** -law["alpha"] + law["B"] * d ** -law["beta"])]
        n_ne, _ = kc.optimal_size([C], law, compute=compute)
        assert n_ne[0] == pytest.approx(best, rel=2e-3)


def test_reconcile_reduces_to_the_power_law_without_embeddings_and_with_total_counts():
    a = co.exponent_a(co.EPOCH)
    assert kc.local_exponent((1e13, 1e20), co.EPOCH, compute="non_embedding", report="non_embedding",
                                    gamma=0.0) == pytest.approx(a, abs=1e-3)
    assert kc.local_exponent((1e13, 1e20), co.EPOCH) == pytest.approx(a, abs=1e-3)
    # Kaplan's counting at Kaplan's scale is biased upwards, and the bias fades at large compute
    small = kc.local_exponent(kc.KAPLAN_COMPUTE, co.EPOCH, compute="non_embedding",
                                     report="non_embedding")
    large = kc.local_exponent((1e24, 1e27), co.EPOCH, compute="non_embedding", report="non_embedding")
    assert small > a + 0.2 and abs(large - a) < 0.005


def test_check_recount_hypothesis():
    a0 = kc.local_exponent(kc.KAPLAN_COMPUTE, co.EPOCH, compute="non_embedding",
                                  report="non_embedding", gamma=0.0)
    exercises.check_recount_hypothesis(a0, False)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_recount_hypothesis(..., False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_recount_hypothesis(0.775, True)  # the exponent with the embeddings
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_recount_hypothesis(a0, True)


def test_split_patterns_is_a_disjoint_cover_and_batches_stay_on_the_training_rows():
    train, test = qn.split_patterns(6, 0.25, seed=3)
    assert train.shape == (48, 6) and test.shape == (16, 6)
    rows = {tuple(r) for r in train} | {tuple(r) for r in test}
    assert len(rows) == 64  # every pattern once, in one of the two sets
    masks = qn.sparse_parity_tasks(4, 6, 2)
    x, y, task = (np.asarray(a) for a in qn.sparse_parity_batch(jax.random.key(0), masks, qn.subtask_frequencies(
        1.4, 4), 5000, train))
    assert {tuple(r) for r in x[:, 4:]} <= {tuple(r) for r in train}
    assert not {tuple(r) for r in x[:, 4:]} & {tuple(r) for r in test}
    np.testing.assert_array_equal(y, np.sum(x[:, 4:] * masks[task], axis=1) % 2)


def test_heldout_view_reads_the_heldout_losses(tiny_parity):
    held = tiny_parity.on_heldout()
    assert held.subtask_loss.shape == tiny_parity.subtask_loss.shape
    assert not np.array_equal(held.subtask_loss, tiny_parity.subtask_loss)  # another test set
    with pytest.raises(ValueError, match="held-out"):
        held.on_heldout()


def test_finite_k_step_exponent_tends_to_the_asymptotic_law_and_is_steeper_at_small_k():
    asymptotic = 0.4 / 1.4
    far = qn.finite_k_step_exponent(qn.subtask_frequencies(1.4, 100_000), learned_fraction=0.001)
    assert far == pytest.approx(asymptotic, abs=0.02)
    assert qn.finite_k_step_exponent(qn.subtask_frequencies(1.4, 32)) > asymptotic + 0.25
    # at the page's window (half the subtasks learned) the gap is the window's, not K's: it stays at large K
    assert qn.finite_k_step_exponent(qn.subtask_frequencies(1.4, 50_000)) > asymptotic + 0.25
    with pytest.raises(ValueError, match="decreasing"):
        qn.finite_k_step_exponent(qn.subtask_frequencies(1.4, 8)[::-1])
    with pytest.raises(ValueError, match="holdout"):
        qn.split_patterns(4, 1.0)


def test_simplex_interpolate_is_exact_on_linear_targets_and_the_knots():
    z = jax.random.uniform(jax.random.key(0), (500, 3))
    linear = {"kind": jnp.zeros(()), "omega": jnp.zeros((1, 3)), "phase": jnp.zeros(1), "amp": jnp.ones(1)}
    # cos(0) = 1 everywhere: a constant is reproduced exactly; so is a half-space jump at the knots
    np.testing.assert_allclose(np.asarray(manifold.simplex_interpolate(linear, z, jnp.float32(4))), 1.0, atol=1e-6)
    smooth = manifold.smooth_target(jax.random.key(1), 3)
    knots = jnp.asarray(np.stack(np.meshgrid(*[np.arange(5) / 4] * 3), -1).reshape(-1, 3), jnp.float32)
    np.testing.assert_allclose(np.asarray(manifold.simplex_interpolate(smooth, knots, jnp.float32(4))),
                               np.asarray(manifold._evaluate(smooth, knots)), atol=1e-5)


def test_manifold_exponents_follow_smoothness_and_dimension():
    # §8 (08-manifold): the piecewise-linear interpolant's squared error is O(h^4), so its exponent is 4/d, and a
    # jump's is 1/d. A theorem, so a code-correctness test (it was the claim manifold-exponent-resolved until the
    # second-edition review): d = 2, 3, 4 on grids of at least 5 cells per side, the claim's ±0.15.
    cfg = manifold.ManifoldConfig(dims=(2, 3, 4), n_min=1000, n_max=40_000, n_sizes=4, n_test=4000, n_seeds=2)
    res = manifold.manifold_experiment(cfg, [0, 1])
    np.testing.assert_allclose(res.exponents(), [[2.0, 4 / 3, 1.0]] * 2, atol=0.15)
    np.testing.assert_allclose(res.exponents(null=True), [[0.5, 1 / 3, 0.25]] * 2, atol=0.15)
    assert res.worst_deviation([2.0, 4 / 3, 1.0], null=True).max() < -0.5
    with pytest.raises(ValueError, match="n_from"):
        res.exponents(n_from=1e9)


def test_rough_target_has_the_interpolant_rate_of_its_smoothness():
    # §8 (08-manifold): the target of manifold-net-rough-exponent is rough in the right amount: the grid interpolant's
    # exponent on it is near 2s/d (1 for s = 1, d = 2; 4 random waves an octave, so about ±0.3 a draw), well below
    # the smooth target's 4/d = 2, and it falls with s. Padding with zero-amplitude waves leaves the function unchanged.
    z = jax.random.uniform(jax.random.key(99), (8000, 2))
    cells = [8, 16, 32]
    N = np.array([(m + 1) ** 2 for m in cells], float)

    def exponent(s, seed):
        t = manifold.rough_target(jax.random.key(seed), 2, smoothness=s)
        return float(common.fit_exponent(N, manifold.interpolation_mse(t, z, cells)[None])[0])

    rough = np.mean([exponent(1.0, seed) for seed in (0, 1)])
    assert 0.7 < rough < 1.4
    assert np.mean([exponent(0.5, seed) for seed in (0, 1)]) < rough - 0.2
    t = manifold.rough_target(jax.random.key(0), 2)
    np.testing.assert_allclose(manifold.evaluate(manifold.pad_waves(t, 40), z), manifold.evaluate(t, z), atol=1e-5)
    with pytest.raises(ValueError, match="n_waves"):
        manifold.pad_waves(t, 3)
    with pytest.raises(ValueError, match="smoothness"):
        mnet.RoughConfig(smoothness=0.0)


def test_interpolant_exponents_read_the_networks_rough_draws_at_their_sizes():
    # §8: the interpolant beside the networks: grids of about the networks' N = 4w + 1 (33..513 -> 36..529 knots), on
    # the rough draws (exponent near 2s/d = 1, not the smooth target's 2), and lower for a rougher target (s = 1/2)
    cfg = mnet.RoughConfig(n_test=1000)
    np.testing.assert_array_equal(mnet.matched_cells(cfg.widths, 2), [5, 7, 10, 15, 22])
    rough = mnet.interpolant_exponents(cfg, [0, 1])
    assert rough.shape == (2, 1) and 0.7 < rough.mean() < 1.4
    rougher = mnet.interpolant_exponents(dataclasses.replace(cfg, smoothness=0.5), [0, 1])
    assert rougher.mean() < rough.mean() - 0.2
    with pytest.raises(ValueError, match="not all different"):
        mnet.matched_cells((1, 2, 3), 3)
    with pytest.raises(ValueError, match="RoughConfig"):
        mnet.interpolant_exponents(mnet.NetConfig(), [0])


def test_rough_result_measures_what_the_claims_say():
    # manifold-net-rough-exponent takes α − 2s/d at its farthest from 0; manifold-net-exponent-16k the smallest α − 4/d
    cfg = mnet.RoughConfig(dims=(2, 4), widths=(8, 16, 32), n_seeds=2)
    params = {d: np.array([mnet.param_count(w, d) for w in cfg.widths], float) for d in cfg.dims}
    law = {d: params[d][None, :] ** -np.array([[a], [b]]) for d, (a, b) in zip(cfg.dims, ((1.1, 0.7), (0.3, 0.6)))}
    res = mnet.RoughResult(cfg, (0, 1), params, law, law)
    np.testing.assert_allclose(res.exponents(), [[1.1, 0.3], [0.7, 0.6]], atol=1e-9)
    np.testing.assert_allclose(res.deviation(), [-0.2, -0.3], atol=1e-9)  # 2s/d = 1 and 0.5
    np.testing.assert_allclose(res.shortfall(), [-0.9, -1.3], atol=1e-9)  # 4/d = 2 and 1


def test_approach3_reads_the_exponent_of_a_law_of_its_form_and_bootstraps_it():
    # §5: on exact points of E + A/N^α + B/D^β with a = β/(α+β) = 1/3, Approach 3 returns 1/3; on a = 1/5, 1/5; the
    # bootstrap of exact points has no spread. isoflop_points returns the points Approach 2 reads.
    cfg = isg.SGDIsoflopConfig.fast()
    for law, a in ((isg.CONTROL_LAW_SGD, 1 / 3), (isg.NULL_LAW_SGD, 1 / 5)):
        N, D = (x.ravel() for x in np.meshgrid(np.geomspace(2, 64, 8), np.geomspace(256, 2**18, 8)))
        L = 0.05 + law["A"] * N ** -law["alpha"] + law["B"] * D ** -law["beta"]  # E > 0: the fit is in log E
        a_hat, fit = a3.approach3_exponent(N, D, L)
        assert a_hat == pytest.approx(a, abs=1e-3)
        boot = a3.bootstrap_exponent(jax.random.key(0), N, D, L, fit, n_boot=10)
        np.testing.assert_allclose(boot, a, atol=2e-3)
    expected = isg.expected_result(cfg)
    N, D, L = a3.isoflop_points(expected, cfg.budgets)
    iso = mc.isoflop_minima(expected, cfg.budgets)
    assert L.size == np.isfinite(iso["curves"]).sum() and np.allclose(N * D * 6, np.repeat(
        cfg.budgets, np.isfinite(iso["curves"]).sum(axis=1)))
    with pytest.raises(ValueError, match="fit must be"):
        a3.bootstrap_exponent(jax.random.key(0), N, D, L, {"E": 1.0})


def test_check_kink_hypothesis():
    e = exercises._kink_exponent()
    exercises.check_kink_hypothesis(e, False)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_kink_hypothesis(..., False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_kink_hypothesis(2.0, False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_kink_hypothesis(e, True)


def test_check_teacher_hypothesis():
    a, front = exercises._teacher_c2()
    assert a == pytest.approx(1 / 3, abs=0.03) and front == pytest.approx(-1.0, abs=0.05)
    exercises.check_teacher_hypothesis(a, front, False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_teacher_hypothesis(a, front, True)  # the hypothesis does not hold
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_teacher_hypothesis(a, -front, False)  # a rising frontier
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_teacher_hypothesis(0.5, front, False)


def test_check_isoflop_hypothesis():
    a = exercises._isoflop_exponent_k3()
    assert 0.22 < a < 0.32  # near 1/(a+1) = 1/4, far from 1/2
    exercises.check_isoflop_hypothesis(a, False)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_isoflop_hypothesis(..., False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_isoflop_hypothesis(0.5, False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_isoflop_hypothesis(a, True)


def test_check_network_rate():
    exercises.check_network_rate(2.0, 5)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_network_rate(..., 5)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_network_rate(4 / 3, 5)  # the grid's rate, not the network's
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_network_rate(2.0, 4)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_network_rate(2.0, ...)


def test_sgd_risk_recursion_matches_monte_carlo_sgd():
    # the closed recursion for E‖v_N − v*‖²_H against single-sample SGD run 3,000 times (teacher redrawn each run)
    from dltheory.scaling import sgd

    a, K, M, n = 2.0, 64, 8, 300
    h, p0, approx = sgd.sketch(jax.random.key(0), a, K, M)
    lam = np.arange(1, K + 1) ** -a
    S = np.asarray(jax.random.normal(jax.random.key(0), (M, K)), np.float64) / np.sqrt(M)
    H = (S * lam) @ S.T
    lr = 0.5 / np.trace(H)

    def run(key):
        k_w, k_x = jax.random.split(key)
        w = jax.random.normal(k_w, (K,))
        v_star = jnp.linalg.solve(H, S @ (lam * w))

        def step(v, t_key):
            t, k = t_key
            x = jnp.sqrt(lam) * jax.random.normal(k, (K,))
            f = S @ x
            g = sgd._schedule(jnp.float32(n), t, lr)
            return v - g * (f @ v - w @ x) * f, None

        v, _ = jax.lax.scan(step, jnp.zeros(M), (jnp.arange(n, dtype=jnp.float32), jax.random.split(k_x, n)))
        e = v - v_star
        return e @ H @ e

    mc = np.asarray(jax.jit(jax.vmap(run))(jax.random.split(jax.random.key(1), 3000))).mean()
    exact = float(sgd.sgd_risk(jnp.asarray(h), jnp.asarray(p0), jnp.asarray(approx), (n,))[0])
    assert mc == pytest.approx(exact, rel=0.08)
    assert exact < float(np.sum(h * p0)) / 3  # SGD did learn something: the initial excess is Σ h p0


def test_check_sgd_hypothesis():
    e = exercises._sgd_data_exponent()
    assert 0.35 < e < 0.65  # near (a−1)/a = 0.5, far from the ERM exponent 1
    exercises.check_sgd_hypothesis(e, False)
    with pytest.raises(selfcheck.NotAnswered):
        exercises.check_sgd_hypothesis(..., False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_sgd_hypothesis(1.0, False)
    with pytest.raises(selfcheck.WrongAnswer):
        exercises.check_sgd_hypothesis(e, True)


def test_sgd_bad_input_and_shapes():
    from dltheory.scaling import sgd

    with pytest.raises(ValueError, match="Ms"):
        sgd.SGDConfig(K=256)
    with pytest.raises(ValueError, match="null_a"):
        sgd.SGDConfig(null_a=2.0)
    with pytest.raises(ValueError, match="cfg"):
        sgd.sgd_experiment("fast", [0])
    with pytest.raises(ValueError, match="a"):
        sgd.sketch(jax.random.key(0), 1.0, 64, 8)
    cfg = sgd.SGDConfig(K=512, Ms=(8, 16, 32), ns=(10, 30, 100), n_seeds=2)
    res = sgd.sgd_experiment(cfg, [0, 1])
    assert res.risk.shape == (2, 2, 3, 3) and np.all(res.excess > 0)
    assert np.all(np.diff(res.approx[0], axis=-1) < 0)  # more features, smaller model-limited error
    assert sgd.compute_optimal(res, [300.0, 1000.0]).shape == (2, 2)
    with pytest.raises(ValueError, match="null_Ms"):
        sgd.SGDConfig(K=256, Ms=(8, 16, 32), null_Ms=(4, 8, 128))
    null = sgd.null_allocation(dataclasses.replace(cfg, null_Ms=(4, 8, 16), null_ns=(10, 30, 100, 300)), [0, 1])
    assert null.config.a == 3.0 and null.config.Ms == (4, 8, 16) and null.excess.shape == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="result"):
        sgd.data_exponent_steps(cfg)
    with pytest.raises(ValueError, match="m_opt"):
        sgd.allocation_slope([1.0, 2.0, 3.0], np.ones((2, 2)))
    exact = sgd.unsketched_scan(cfg, Ms=(8, 16, 32, 64), ns=(10, 30, 100))
    assert exact.excess.shape == (1, 1, 4, 3) and exact.config.Ms == (8, 16, 32, 64)
    lam = np.arange(1, 513, dtype=float) ** -cfg.a
    np.testing.assert_allclose(exact.approx[0, 0], [lam[m:].sum() for m in (8, 16, 32, 64)])  # the tail, no sketch
    assert np.all(np.diff(exact.excess[0, 0], axis=-1) < 0)  # more samples, less excess risk
    with pytest.raises(ValueError, match="K/4"):
        sgd.unsketched_scan(cfg, Ms=(8, 16, 256))
    with pytest.raises(ValueError, match="cfg"):
        sgd.unsketched_scan("fast")


def test_allocation_slope_recovers_a_power_and_skips_edges():
    from dltheory.scaling import sgd

    budgets = np.logspace(3, 6, 6)
    m = np.stack([budgets**0.25, budgets**0.4])
    m[1, 0] = np.nan  # an optimum on the grid's edge is left out, not fitted
    np.testing.assert_allclose(sgd.allocation_slope(budgets, m), [0.25, 0.4])
    m[0, :4] = np.nan  # two budgets left: no slope
    assert np.isnan(sgd.allocation_slope(budgets, m)[0])


def test_neff_targets_correct_the_allocation_and_reduce_to_the_asymptotic_exponents():
    # §9: β/(α + β) is 1/(a + 1) at Lin et al.'s asymptotic β = (a − 1)/a, and the N_eff correction lowers it
    from dltheory.scaling import sgd

    e, (alpha, beta) = sgd.allocation_expression()
    for a in (1.5, 2.0, 3.0):
        assert float(e.subs({alpha: a - 1, beta: (a - 1) / a})) == pytest.approx(1 / (a + 1))
    data, alloc = sgd.neff_targets(2.0, (100, 300, 1000, 3000, 10_000, 30_000))
    assert data == pytest.approx(0.430, abs=1e-3) and alloc == pytest.approx(0.301, abs=1e-3)
    _, alloc_null = sgd.neff_targets(3.0, (30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000))
    assert alloc_null == pytest.approx(0.222, abs=1e-3)
    _, alloc_far = sgd.neff_targets(2.0, (10**10, 10**11, 10**12))  # far out, the logarithm hardly bends it
    assert 0.3 < alloc < alloc_far < 1 / 3
    with pytest.raises(ValueError, match="start at 3"):
        sgd.neff_targets(2.0, (1, 10, 100))


def test_gd_risk_is_the_recursion_without_gradient_noise_and_explains_the_neff_target():
    # §9's decomposition: population GD on the whole spectrum k^-2 has the slope of N_eff^-(a-1)/a over the page's
    # N (0.430); cutting it to the first 512 modes steepens it (the excess tail ends at mode M)
    from dltheory.scaling import sgd

    h, p0, _ = sgd.sketch(jax.random.key(0), 2.0, 512, 64)
    ns = (10, 100, 1000)
    exact = np.asarray(sgd.sgd_risk(jnp.asarray(h), jnp.asarray(p0), 0.0, ns, gradient_noise=False))
    np.testing.assert_allclose(sgd.gd_risk(h, p0, ns), exact, rtol=1e-4)
    noisy = np.asarray(sgd.sgd_risk(jnp.asarray(h), jnp.asarray(p0), 0.0, ns))
    assert np.all(noisy > exact)  # one sample per step adds variance
    ns = (100, 300, 1000, 3000, 10_000, 30_000)
    lam = np.arange(1, 4097, dtype=float) ** -2.0
    neff = np.asarray(ns, float) / np.log(ns)
    target = common.fit_exponent(ns, neff**-0.5)
    assert target == pytest.approx(0.430, abs=0.002)
    assert common.fit_exponent(ns, sgd.gd_risk(lam, np.ones_like(lam), ns)) == pytest.approx(target, abs=0.01)
    assert common.fit_exponent(ns, sgd.gd_risk(lam[:512], np.ones(512), ns)) > target + 0.01


def test_isoflop_positive_control_without_noise_and_its_null():
    cfg = mc.IsoflopConfig.fast()
    exact = mc.synthetic_result(cfg, mc.CONTROL_LAW, [0, 1, 2], noise=0.0)
    assert np.all(np.diff(exact.loss[0], axis=1) < 0)  # more data, less loss
    a_true = mc.CONTROL_LAW["beta"] / (mc.CONTROL_LAW["alpha"] + mc.CONTROL_LAW["beta"])
    iso = mc.isoflop_minima(exact, cfg.budgets)
    assert iso["interior"].all()
    assert mc.isoflop_exponent(cfg.budgets, iso["N_opt"]) == pytest.approx(a_true, abs=0.02)
    assert np.all(mc.positive_control(cfg, dict(mc.CONTROL_LAW, B=0.0), draws=2) < -0.2)
    with pytest.raises(ValueError, match="missing"):
        mc.synthetic_result(cfg, {"E": 1.0}, [0])


def test_sgd_isoflop_runs_match_their_expected_loss_and_bad_input():
    cfg = isg.SGDIsoflopConfig(sizes=(2, 4, 8, 16), steps=512, eval_every=64, n_seeds=2)
    res = isg.sgd_curves(cfg, [0, 1, 2, 3])
    expected = isg.expected_curves(cfg)
    assert res.loss.shape == (4, 4, 8) and expected.shape == (4, 8)
    measured = np.exp(np.log(res.loss).mean(0))
    assert np.max(np.abs(np.log(measured / expected))) < 0.1  # SGD on samples vs its exact expectation
    null = isg.expected_curves(cfg, a=cfg.null_a)
    assert np.max(np.abs(np.log(measured / null))) > 0.5  # ... and not the other spectrum's
    one = isg.expected_result(cfg)
    assert one.loss.shape == (1, 4, 8) and np.allclose(one.loss[0], expected) and np.allclose(one.D, res.D)
    a1, b1 = isg.curve_exponents(res, seeds=[1], min_size=2, d_range=(64, 8192))
    assert (a1, b1) != isg.curve_exponents(res, seeds=[2], min_size=2, d_range=(64, 8192))  # one run, not the mean
    with pytest.raises(ValueError, match="seeds"):
        isg.curve_exponents(res, seeds=[4])
    alpha, beta, a_opt = isg.allocation_theory()
    assert float(a_opt.subs(isg.S, 2)) == pytest.approx(1 / 3) and float(a_opt.subs(isg.S, 4)) == pytest.approx(0.2)
    assert float(alpha.subs(isg.S, 2)) == pytest.approx(1.0) and float(beta.subs(isg.S, 2)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="cfg"):
        isg.sgd_curves(mc.IsoflopConfig.fast(), [0])
    with pytest.raises(ValueError, match="null_a"):
        isg.SGDIsoflopConfig(null_a=2.0)
    with pytest.raises(ValueError, match="log_budget_hi"):
        isg.SGDIsoflopConfig(log_budget_hi=4.0)


def test_sgd_isoflop_control_recovers_its_law_and_rejects_the_null_law():
    cfg = isg.SGDIsoflopConfig.fast()
    for law, a_true in ((isg.CONTROL_LAW_SGD, 1 / 3), (isg.NULL_LAW_SGD, 0.2)):
        exact = mc.synthetic_result(cfg, law, [0], noise=0.0)
        iso = mc.isoflop_minima(exact, cfg.budgets)
        assert iso["interior"].all()
        assert mc.isoflop_exponent(cfg.budgets, iso["N_opt"]) == pytest.approx(a_true, abs=0.01)
    # the null law, judged against the claim's a = 1/3, misses the ±0.05 bar on every draw
    assert np.all(np.abs(0.2 + mc.positive_control(cfg, isg.NULL_LAW_SGD, draws=2) - 1 / 3) > 0.05)
    np.testing.assert_allclose(mc.control_exponents(cfg, isg.NULL_LAW_SGD, draws=2),
                               0.2 + mc.positive_control(cfg, isg.NULL_LAW_SGD, draws=2))


def test_sgd_isoflop_expected_loss_is_the_pipelines_noise_free_control():
    # §5: the isoFLOP pipeline on the exact expected loss of the trained SGD (no sampling noise) lands near the
    # theory's 1/(s+1) on this grid (0.341 for s = 2; 0.218 for the null s = 4, which the trained bar rejects)
    cfg = isg.SGDIsoflopConfig.fast()
    found = []
    for s in (cfg.a, cfg.null_a):
        res = isg.expected_result(cfg, a=s)
        iso = mc.isoflop_minima(res, cfg.budgets)
        assert iso["interior"].all()
        found.append(mc.isoflop_exponent(cfg.budgets, iso["N_opt"]))
    assert found[0] == pytest.approx(1 / 3, abs=0.02) and found[1] == pytest.approx(0.2, abs=0.03)
    assert abs(found[1] - 1 / 3) > 0.05


def test_sgd_sketch_mean_averages_the_risk_over_sketches():
    # §9: the mean risk over a result's sketches, one surface; compute_optimal reads it like one seed
    from dltheory.scaling import sgd

    cfg = sgd.SGDConfig(K=512, Ms=(8, 16, 32), ns=(10, 30, 100), n_seeds=2)
    rng = np.random.default_rng(0)
    approx, excess = rng.uniform(0.1, 1, (2, 3, 3)), rng.uniform(0.1, 1, (2, 3, 3, 3))
    res = sgd.SGDResult(cfg, (5, 6, 7), approx, excess)
    mean = sgd.sketch_mean(res)
    assert mean.seeds == (5,) and mean.risk.shape == (2, 1, 3, 3)
    np.testing.assert_allclose(mean.risk[:, 0], res.risk.mean(axis=1))
    assert not np.allclose(mean.risk[:, 0], res.risk[:, 0])  # an average, not the first sketch
    assert sgd.compute_optimal(mean, [300.0]).shape == (1, 1)
    with pytest.raises(ValueError, match="SGDResult"):
        sgd.sketch_mean(approx)


def test_sgd_fresh_seed_record_is_the_registered_evidence(tmp_path):
    # §9: the saved record that judges sgd-compute-optimal(-neff): runs 10-16 of the fast config, whose slopes
    # are the values the registry states (a record that drifted from them would contradict the registry)
    import json

    from dltheory.scaling import sgd

    fresh, prov = sgd.load_fresh_seeds()
    assert fresh["runs"] == list(range(10, 17)) and prov["mode"] == "fast"
    assert fresh["config"] == repr(sgd.SGDConfig.fast())
    np.testing.assert_allclose(fresh["slope"], [0.335, 0.338, 0.259, 0.341, 0.240, 0.297, 0.280], atol=6e-4)
    # the registered outcome: every base seed 10-14 has a run outside 1/3 +- 0.05
    outside = np.abs(fresh["slope"] - 1 / 3) > 0.05
    assert all(outside[i:i + 3].any() for i in range(5))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"runs": [1, 2], "slope": [0.3], "slope_null": [0.2], "provenance": {}}))
    with pytest.raises(ValueError, match="one entry per run"):
        sgd.load_fresh_seeds(path)
    path.write_text(json.dumps({"runs": [1]}))
    with pytest.raises(ValueError, match="missing"):
        sgd.load_fresh_seeds(path)


def test_sgd_isoflop_tasks_teacher_decay_and_frontier():
    # §5: four tasks in one program give what one task at a time gives (common random numbers per seed), the
    # decaying teacher's sampled runs follow their own expected loss, and the frontier theory's exponents
    cfg = isg.SGDIsoflopConfig(sizes=(2, 4, 8, 16), steps=512, eval_every=64)
    tasks = isg.sgd_tasks(cfg, [0, 1, 2, 3], cfg.tasks)
    assert len(tasks) == 4 and all(t.loss.shape == (4, 4, 8) for t in tasks)
    one = isg.sgd_curves(cfg, [0, 1, 2, 3], a=cfg.null_a, teacher=cfg.teacher)
    np.testing.assert_allclose(one.loss, tasks[3].loss, rtol=1e-4)
    teach = np.exp(np.log(tasks[2].loss).mean(0))
    expected = isg.expected_curves(cfg, teacher=cfg.teacher)
    assert np.max(np.abs(np.log(teach / expected))) < 0.1
    assert np.max(np.abs(np.log(teach / isg.expected_curves(cfg)))) > 0.3  # not the flat teacher's loss
    np.testing.assert_array_equal(isg.expected_curves(cfg, teacher=0.0), isg.expected_curves(cfg))
    c, a_opt, frontier = isg.frontier_theory()
    assert c not in a_opt.free_symbols and float(a_opt.subs(isg.S, 2)) == pytest.approx(1 / 3)
    assert float(frontier.subs({isg.S: 2, c: 0})) == pytest.approx(-1 / 3)
    assert float(frontier.subs({isg.S: 4, c: 0})) == pytest.approx(-0.6)
    assert float(frontier.subs({isg.S: 2, c: 1})) == pytest.approx(-2 / 3)
    # the frontier read off the noise-free expected loss of the page's grid: near -1/3, and the null near -3/5
    full = isg.SGDIsoflopConfig.fast()
    slopes = [np.polyfit(np.log(full.budgets), np.log(mc.isoflop_minima(isg.expected_result(full, a=s),
                                                                         full.budgets)["L_opt"]), 1)[0]
              for s in (full.a, full.null_a)]
    assert slopes[0] == pytest.approx(-1 / 3, abs=0.02) and abs(slopes[1] + 1 / 3) > 0.05
    with pytest.raises(ValueError, match="tasks"):
        isg.sgd_tasks(cfg, [0], [])
    with pytest.raises(ValueError, match="teacher"):
        isg.sgd_curves(cfg, [0], teacher=-1.0)


def test_manifold_net_shapes_params_and_bad_input():
    from dltheory.scaling import manifold_net as mn

    assert mn.param_count(8, 2) == 33 and mn.param_count(128, 3) == 641
    with pytest.raises(ValueError, match="width"):
        mn.param_count(0, 2)
    with pytest.raises(ValueError, match="cfg"):
        mn.net_experiment("fast", [0])
    with pytest.raises(ValueError, match="widths"):
        mn.NetConfig(widths=(8, 8, 16))
    cfg = mn.NetConfig(dims=(1, 2), widths=(4, 8, 16), steps=200, batch=64, n_test=256, n_seeds=2)
    res = mn.net_experiment(cfg, [0, 1])
    assert res.smooth_mse[2].shape == (2, 3) and res.jump_mse[1].shape == (2, 3)
    assert np.all(np.isfinite(res.smooth_mse[1])) and np.all(res.smooth_mse[2] > 0)
    np.testing.assert_allclose(res.params[2], [17, 33, 65])
    assert res.exponents().shape == (2, 2) and res.worst_shortfall(null=True).shape == (2,)
    # the worst shortfall is the smaller of alpha_d - 4/d over the two dimensions
    np.testing.assert_allclose(res.worst_shortfall(), np.min(res.exponents() - [4.0, 2.0], axis=1))


def test_manifold_net_narrow_network_is_the_widest_with_units_removed():
    # a network of width w is the first w units of the width-w_max draw (as the first version, which masked the
    # others out): at zero steps its error is the error of those units alone, and widths differ
    from dltheory.scaling import manifold, manifold_net as mn

    cfg = mn.NetConfig(dims=(2,), widths=(4, 8, 16), steps=50, batch=32, n_test=128, n_seeds=1)
    target = mn._pad_target(manifold.smooth_target(jax.random.key(0), 2), 3)
    narrow = mn._train_one(cfg, jax.random.key(1), target, jnp.asarray(2), 4, 3, 16)
    wider = mn._train_one(cfg, jax.random.key(1), target, jnp.asarray(2), 16, 3, 16)
    assert np.isfinite(float(narrow)) and float(narrow) != float(wider)
    live = jnp.asarray([1.0, 1.0, 0.0])
    full = mn._init(jax.random.split(jax.random.key(1), 3)[0], 16, live)
    x = jax.random.uniform(jax.random.key(2), (64, 3)) * live
    mask = (jnp.arange(16) < 4).astype(jnp.float32)
    masked = (jax.nn.relu(x @ full["W"].T + full["b"]) * mask) @ full["a"] + full["c"]
    sliced = mn._forward({k: (v[:4] if k != "c" else v) for k, v in full.items()}, x)
    np.testing.assert_allclose(sliced, masked, rtol=1e-5, atol=1e-6)
