"""Tests of dltheory.grokking (Chapter 3) and of the one-layer transformer in dltheory.nets."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from dltheory import claims, nets, selfcheck
from dltheory.grokking import acceleration_and_sign_flips as sf
from dltheory.grokking import analytic_solution as an
from dltheory.grokking import data as gd
from dltheory.grokking import fourier_circuit as fc
from dltheory.grokking import memorise_then_generalise as mg
from dltheory.grokking import models as gm
from dltheory.grokking import omnigrok_digits as om
from dltheory.grokking import training as gt

# --------------------------------------------------------------------------- the transformer


def _tiny_transformer(seed: int = 0) -> dict:
    return nets.transformer_init(jax.random.key(seed), vocab=12, n_ctx=3, d_model=16, n_heads=4, d_mlp=32, d_out=11)


def test_reduced_transformer_equals_all_positions_model_on_last_position():
    params = _tiny_transformer()
    tokens = jax.random.randint(jax.random.key(1), (64, 3), 0, 12)
    reduced = nets.transformer_apply(params, tokens)
    full = nets.transformer_apply_all(params, tokens)
    assert reduced.shape == (64, 11) and full.shape == (64, 3, 11)
    np.testing.assert_allclose(reduced, full[:, -1], rtol=1e-5, atol=1e-5)
    # ... and the earlier positions really differ (the test would pass vacuously for a constant model).
    assert not np.allclose(full[:, 0], full[:, -1], atol=1e-3)


@pytest.mark.parametrize("batch, n", [(64, 3), (2, 3), (40, 2), (3, 1)])
def test_reduced_transformer_value_and_gradient_match_all_positions_model(batch, n):
    # Both ways of computing keys and values: looked up in a table of the vocabulary (12 rows < batch · n
    # tokens) and projected position by position (batch · n <= 12), and sequences shorter than n_ctx.
    params = _tiny_transformer(2)
    tokens = jax.random.randint(jax.random.key(3), (batch, n), 0, 12)
    labels = jax.random.randint(jax.random.key(4), (batch,), 0, 11)

    def loss(apply):
        def f(p):
            logits = apply(p, tokens)
            logits = logits if logits.ndim == 2 else logits[:, -1]
            return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))
        return f

    reduced_value, reduced_grad = jax.value_and_grad(loss(nets.transformer_apply))(params)
    full_value, full_grad = jax.value_and_grad(loss(nets.transformer_apply_all))(params)
    np.testing.assert_allclose(reduced_value, full_value, rtol=1e-5)
    for name in params:
        np.testing.assert_allclose(reduced_grad[name], full_grad[name], rtol=1e-4, atol=1e-6, err_msg=name)
    assert float(jnp.abs(reduced_grad["W_K"]).max()) > 0 or n == 1  # keys matter whenever there is more than one position


def test_transformer_last_position_is_causal_in_nothing_but_sees_every_token():
    params = _tiny_transformer()
    tokens = jnp.array([[1, 2, 11], [3, 2, 11]])
    out = nets.transformer_apply(params, tokens)
    assert not np.allclose(out[0], out[1])  # changing the first token changes the last position's logits
    # the all-positions model is causal: position 0 does not see position 1
    full = nets.transformer_apply_all(params, jnp.array([[1, 2, 11], [1, 5, 11]]))
    np.testing.assert_allclose(full[0, 0], full[1, 0], rtol=1e-6)


def test_transformer_shapes_and_param_count():
    params = nets.transformer_init(jax.random.key(0), vocab=114, n_ctx=3, d_model=128, n_heads=4, d_mlp=512, d_out=113)
    # Nanda et al.'s model: embeddings, position, 4 attention matrices, MLP with biases, unembedding.
    expected = 114 * 128 + 3 * 128 + 4 * 128 * 128 + 128 * 512 + 512 + 512 * 128 + 128 + 128 * 113
    assert nets.count_params(params) == expected


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(vocab=0), "vocab"),
        (dict(n_ctx=0), "n_ctx"),
        (dict(d_model=10, n_heads=4), "d_model"),
        (dict(d_mlp=-1), "d_mlp"),
        (dict(d_out=0), "d_out"),
    ],
)
def test_transformer_init_bad_input(kwargs, name):
    base = dict(vocab=12, n_ctx=3, d_model=16, n_heads=4, d_mlp=32)
    with pytest.raises(ValueError, match=name):
        nets.transformer_init(jax.random.key(0), **(base | kwargs))


def test_transformer_apply_bad_tokens():
    params = _tiny_transformer()
    with pytest.raises(ValueError, match="tokens"):
        nets.transformer_apply(params, jnp.zeros((4, 5), jnp.int32))
    with pytest.raises(ValueError, match="tokens"):
        nets.transformer_apply(params, jnp.zeros((4,), jnp.int32))
    with pytest.raises(ValueError, match="tokens"):
        nets.transformer_apply_all(params, jnp.zeros((4, 3), jnp.float32))


# --------------------------------------------------------------------------- data, config, training


def test_modular_addition_table():
    t = gd.modular_addition(7)
    assert t["a"].shape == (49,)
    np.testing.assert_array_equal(t["c"], (t["a"] + t["b"]) % 7)
    assert set(zip(t["a"].tolist(), t["b"].tolist())) == {(a, b) for a in range(7) for b in range(7)}


@pytest.mark.parametrize("bad", [4, 1, "7", 7.0])
def test_modular_addition_bad_p(bad):
    with pytest.raises(ValueError, match="p"):
        gd.modular_addition(bad)


@pytest.mark.parametrize(
    "field, value",
    [("p", 60), ("model", "cnn"), ("train_frac", 1.0), ("train_frac", 0.0), ("lr", 0.0), ("weight_decay", -1.0),
     ("beta1", 1.0), ("steps", 0), ("eval_every", 300), ("n_seeds", 0), ("batch_size", 0), ("d_model", 30)],
)
def test_config_bad_fields(field, value):
    with pytest.raises(ValueError, match=field if field != "eval_every" else "steps"):
        gm.GrokConfig.fast().replace(**{field: value})


def test_train_mask_is_nested_and_sized():
    cfg = gm.GrokConfig.fast().replace(p=11)
    small, large = gd.train_mask(cfg, 0.3), gd.train_mask(cfg, 0.6)
    assert small.sum() == round(0.3 * 121) and large.sum() == round(0.6 * 121)
    assert np.all(large[small])  # nested: the smaller training set is inside the larger one


def _tiny(**changes):
    base = dict(p=11, d_model=8, d_hidden=16, steps=40, eval_every=20, n_seeds=1)
    return gm.GrokConfig.fast().replace(**(base | changes))


def test_run_shapes_and_that_training_fits_the_training_set():
    cfg = _tiny(steps=300, eval_every=100, lr=1e-2, train_frac=0.5)
    res = gt.run(cfg, [0], hparams={"weight_decay": [0.0, 1.0]}, snapshots=True)
    assert res.train_acc.shape == (1, 2, 4)
    assert res.snapshots.shape[:3] == (1, 2, 4)
    assert res.train_acc[0, 0, 0] < 0.5 and res.train_acc[0, 0, -1] == 1.0  # it really learns
    # snapshots unravel into the final parameters
    last = res.params_at(0, 1, -1)
    np.testing.assert_allclose(last["embed"], res.final(0, 1)["embed"], rtol=1e-6)
    # weight decay shrinks the weights
    assert res.weight_norm[0, 1, -1] < res.weight_norm[0, 0, -1]


def test_run_minibatch_and_transformer_and_quadratic_models_train():
    for model in ("transformer", "quadratic"):
        res = gt.run(_tiny(model=model, d_model=8, n_heads=2, batch_size=16), [3])
        assert np.isfinite(res.train_loss).all()
        assert res.train_loss[0, 0, -1] < res.train_loss[0, 0, 0]


def test_shared_run_is_the_two_setting_run_and_is_read_back_from_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("DLTHEORY_CACHE", str(tmp_path))
    cfg = gm.GrokConfig.fast().replace(p=11, d_hidden=16, steps=40, eval_every=20)
    shared = gt.shared_run(cfg, [0, 1])
    direct = gt.run(cfg, [0, 1], hparams={"weight_decay": [cfg.weight_decay, 0.0]})
    np.testing.assert_array_equal(shared.test_loss, direct.test_loss)
    np.testing.assert_array_equal(shared.final(1, 1)["embed"], direct.final(1, 1)["embed"])
    monkeypatch.setattr(gt, "run", lambda *a, **k: pytest.fail("shared_run trained again instead of reading"))
    again = gt.shared_run(cfg, [0, 1])
    np.testing.assert_array_equal(again.train_acc, shared.train_acc)
    assert again.seeds == (0, 1) and again.hparams["weight_decay"][1] == 0.0


def test_join_puts_settings_side_by_side_and_refuses_mismatches():
    cfg = gm.GrokConfig.fast().replace(p=11, d_hidden=16, steps=20, eval_every=20)
    a = gt.run(cfg, [0], hparams={"weight_decay": [1.0, 0.0]})
    b = gt.run(cfg, [0], hparams={"weight_decay": [0.5]})
    both = gt.join(a, b)
    assert both.test_acc.shape == (1, 3, 2)
    np.testing.assert_allclose(both.hparams["weight_decay"], [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(both.final(0, 2)["embed"], b.final(0, 0)["embed"])
    with pytest.raises(ValueError):
        gt.join(a, gt.run(cfg, [1]))
    with pytest.raises(ValueError):
        gt.join()


def test_run_bad_input():
    with pytest.raises(ValueError, match="cfg"):
        gt.run("fast")
    with pytest.raises(ValueError, match="hparams"):
        gt.run(_tiny(), [0], hparams={"momentum": [0.9]})
    with pytest.raises(ValueError, match="train_frac"):
        gt.run(_tiny(), [0], hparams={"train_frac": [1.5]})
    with pytest.raises(ValueError, match="same length"):
        gt.run(_tiny(), [0], hparams={"train_frac": [0.5], "weight_decay": [0.0, 1.0]})


def test_first_step_and_delays():
    steps = np.array([0, 10, 20, 30])
    curve = np.array([[0.0, 0.5, 1.0, 1.0], [0.0, 0.1, 0.2, 0.3]])
    np.testing.assert_array_equal(gt.first_step(steps, curve, 0.99), [20.0, np.inf])
    with pytest.raises(ValueError, match="curve"):
        gt.first_step(steps, curve[:, :3], 0.5)
    with pytest.raises(ValueError, match="result"):
        gt.delays(curve)


def test_rank_correlation():
    assert mg.rank_correlation([1, 2, 3], [30, 20, 10]) == pytest.approx(-1.0)
    assert mg.rank_correlation([1, 2, 3], [10, 20, np.inf]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same length"):
        mg.rank_correlation([1, 2, 3], [1, 2])


# --------------------------------------------------------------------------- Fourier analysis


def test_fourier_basis_is_orthonormal():
    basis = fc.fourier_basis(13)
    np.testing.assert_allclose(basis @ basis.T, np.eye(13), atol=1e-12)


def test_fourier_power_finds_a_planted_frequency():
    p = 31
    x = np.arange(p)
    embed = np.stack([np.cos(2 * np.pi * 5 * x / p + 0.3), np.sin(2 * np.pi * 5 * x / p)], axis=1)
    power = fc.fourier_power(embed, p)
    assert power.shape == ((p + 1) // 2,)
    assert np.argmax(power) == 5
    assert fc.top_share(power, 1) == pytest.approx(1.0)
    np.testing.assert_array_equal(fc.key_frequencies(power, 1), [5])
    noise = np.random.default_rng(0).normal(size=(p, 16))
    assert fc.top_share(fc.fourier_power(noise, p), 1) < 0.3
    with pytest.raises(ValueError, match="embed"):
        fc.fourier_power(np.ones((5, 3)), p)
    with pytest.raises(ValueError, match="k"):
        fc.top_share(power, 0)


def test_progress_measures_on_the_exact_fourier_logits():
    # Logits that are exactly sum_k cos(w_k(a + b - c)) for two key frequencies: all of their variance is in
    # the key directions, and removing those directions leaves logits that carry no information.
    cfg = gm.GrokConfig.fast().replace(p=11, model="quadratic", d_hidden=500)
    params = an.gromov_weights(jax.random.key(0), 11, 500)
    mask = gd.train_mask(cfg)
    all_freqs = np.arange(1, 6)
    m = fc.progress_measures(cfg, params, all_freqs, mask)
    assert m["explained"] > 0.95
    assert m["restricted_loss"] < m["excluded_loss"]
    assert m["excluded_loss"] == pytest.approx(np.log(11), rel=0.05)  # only chance is left
    with pytest.raises(ValueError, match="freqs"):
        fc.progress_measures(cfg, params, [0], mask)
    with pytest.raises(ValueError, match="train_mask"):
        fc.progress_measures(cfg, params, [1], mask[:5])


def test_sign_flips_counts_changes_and_ignores_zeros():
    snaps = np.array([[1.0, -1.0, 0.0, 2.0], [-1.0, -2.0, 1.0, 3.0], [-1.0, 2.0, 1.0, 3.0]])
    np.testing.assert_allclose(sf.sign_flips(snaps), [1 / 3, 1 / 4])
    with pytest.raises(ValueError, match="snapshots"):
        sf.sign_flips(np.ones(3))


# --------------------------------------------------------------------------- Gromov's solution


def test_gromov_weights_solve_modular_addition_without_training():
    p = 23
    t = gd.modular_addition(p)
    out = gm.quadratic_mlp(an.gromov_weights(jax.random.key(1), p, 400), t["a"], t["b"])
    assert np.mean(np.argmax(out, -1) == t["c"]) == 1.0
    # a network with the same weights but scrambled phases does not
    w = an.gromov_weights(jax.random.key(1), p, 400)
    w["W"] = jax.random.permutation(jax.random.key(2), w["W"], axis=0)
    out = gm.quadratic_mlp(w, t["a"], t["b"])
    assert np.mean(np.argmax(out, -1) == t["c"]) < 0.3
    with pytest.raises(ValueError, match="n"):
        an.gromov_weights(jax.random.key(0), p, 0)


# --------------------------------------------------------------------------- exercise checks


def test_check_spectrum_accepts_the_reference_and_rejects_wrong_answers():
    fc.check_spectrum(fc.fourier_power)
    with pytest.raises(selfcheck.NotAnswered):
        fc.check_spectrum(...)
    with pytest.raises(selfcheck.WrongAnswer):  # forgets to merge cosine and sine
        fc.check_spectrum(lambda E, p: (fc.fourier_basis(p) @ np.asarray(E)[:p]) ** 2)
    with pytest.raises(selfcheck.WrongAnswer):  # plain FFT magnitudes, wrong normalisation
        fc.check_spectrum(lambda E, p: np.abs(np.fft.rfft(np.asarray(E), axis=0)).sum(1)[: (p + 1) // 2])


def test_check_one_frequency():
    fc.check_one_frequency(True)
    with pytest.raises(selfcheck.WrongAnswer):
        fc.check_one_frequency(False)
    with pytest.raises(selfcheck.NotAnswered):
        fc.check_one_frequency(...)


def test_check_smallest_width():
    widths = [4, 8, 11, 16, 22, 33, 44, 66, 88]
    right = an.smallest_width(23, widths, 0)
    an.check_smallest_width(right, p=23, widths=widths, seed=0)
    wrong = widths[widths.index(right) - 1]
    with pytest.raises(selfcheck.WrongAnswer):
        an.check_smallest_width(wrong, p=23, widths=widths, seed=0)
    with pytest.raises(selfcheck.NotAnswered):
        an.check_smallest_width(..., p=23, widths=widths, seed=0)
    with pytest.raises(ValueError, match="widths"):
        an.smallest_width(23, [1, 2], 0)


def _fake_result(t_grok_pairs, weight_decay=(1.0, 2.0)):
    steps = np.arange(0, 1001, 100)
    test = np.zeros((len(t_grok_pairs), 2, steps.size))
    for s, pair in enumerate(t_grok_pairs):
        for j, t in enumerate(pair):
            test[s, j, steps >= t] = 1.0
    cfg = gm.GrokConfig.fast()
    return gt.GrokResult(cfg, steps, np.ones_like(test), test, test, test, test, tuple(range(len(t_grok_pairs))),
                        {"weight_decay": np.array(weight_decay)}, None, None, 0.0)


def test_delay_ratio_counts_a_run_that_never_generalises_at_the_budgets_end():
    res = _fake_result([(800, 2000), (600, 400)])   # seed 0, setting 1 never reaches 99% test accuracy
    train = np.zeros_like(res.train_acc)
    train[..., res.steps >= 200] = 1.0             # every run fits at step 200
    res = dataclasses.replace(res, train_acc=train)
    np.testing.assert_allclose(mg.delay_ratio(res, 0), [4.0, 3.0])
    np.testing.assert_allclose(mg.delay_ratio(res, 1), [1000 / 200, 2.0])   # censored at the last step
    with pytest.raises(ValueError, match="setting"):
        mg.delay_ratio(res, 2)
    with pytest.raises(ValueError, match="train accuracy"):
        mg.delay_ratio(dataclasses.replace(res, train_acc=np.zeros_like(train)), 0)


def test_check_decay_hypothesis():
    res = _fake_result([(800, 400), (900, 500)])  # ratios 2.0 and 1.8: median 1.9, inside [1.5, 2.5]
    mg.check_decay_hypothesis(res, 1.9, True)
    with pytest.raises(selfcheck.WrongAnswer):
        mg.check_decay_hypothesis(res, 1.9, False)
    with pytest.raises(selfcheck.WrongAnswer):
        mg.check_decay_hypothesis(res, 2.0, True)  # not the median
    with pytest.raises(selfcheck.NotAnswered):
        mg.check_decay_hypothesis(res, ..., ...)
    with pytest.raises(selfcheck.NotAnswered):
        mg.check_decay_hypothesis(..., 1.9, True)
    slow = _fake_result([(800, 700), (900, 800)])  # ratio ≈ 1.14: the hypothesis fails
    mg.check_decay_hypothesis(slow, float(np.median([800 / 700, 900 / 800])), False)
    with pytest.raises(selfcheck.WrongAnswer, match="weight_decay"):
        mg.check_decay_hypothesis(_fake_result([(800, 400)], weight_decay=(1.0, 3.0)), 2.0, True)


# --------------------------------------------------------------------------- filters, forms, explorer


def test_filter_gain_matches_the_transfer_function():
    omega = np.array([0.0, 0.02, 1.0, np.pi])
    alpha, lamb = 0.9, 3.0
    expected = np.abs(1 + lamb * (1 - alpha) / (1 - alpha * np.exp(-1j * omega)))
    np.testing.assert_allclose(sf.filter_gain(omega, alpha, lamb, steps=800), expected, rtol=1e-3)
    np.testing.assert_allclose(sf.filter_gain(omega, alpha, 0.0, steps=800), 1.0, rtol=1e-4)  # λ = 0: no filter
    with pytest.raises(ValueError, match="omega"):
        sf.filter_gain([-1.0])
    with pytest.raises(ValueError, match="alpha"):
        gt.grokfast_ema(1.0, 2.0)


def test_neuron_form_of_analytic_and_random_weights():
    form = an.neuron_form(an.gromov_weights(jax.random.key(0), 23, 60))
    assert np.all(form["share"] > 0.99) and np.all(form["same_freq"]) and np.all(form["phase"] > 0.99)
    rng = np.random.default_rng(0)
    noise = {"U": rng.normal(size=(23, 60)), "V": rng.normal(size=(23, 60)), "W": rng.normal(size=(60, 23))}
    form = an.neuron_form(noise)
    assert np.median(form["share"]) < 0.4 and abs(np.median(form["phase"])) < 0.5
    with pytest.raises(ValueError, match="params"):
        an.neuron_form({"U": np.ones((5, 3))})
    with pytest.raises(ValueError, match="params"):
        an.neuron_form({"U": np.ones((5, 3)), "V": np.ones((5, 3)), "W": np.ones((5, 3))})


def test_explorer_data_file_and_drawing():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = fc.load_explorer_data()
    n = data["steps"].size
    assert data["train_acc"].shape == data["test_acc"].shape == data["weight_norm"].shape == (n,)
    np.testing.assert_allclose(data["spectrum"].sum(1), 1.0, rtol=1e-5)
    assert "seed" in data["provenance"] and data["test_acc"][-1] > 0.99
    fig, ax = plt.subplots()
    fc.draw_training(ax, data, float(data["steps"][n // 2]))
    with pytest.raises(ValueError, match="step"):
        fc.draw_training(ax, data, -5.0)
    plt.close(fig)


def test_analysis_functions_reject_results_without_snapshots():
    res = _fake_result([(800, 400)])
    with pytest.raises(ValueError, match="snapshots"):
        fc.progress_curve(res)
    with pytest.raises(ValueError, match="snapshots"):
        fc.explorer_data(res)
    with pytest.raises(ValueError, match="snapshots"):
        res.params_at(0, 0, 0)
    with pytest.raises(ValueError, match="fractions"):
        mg.phase_grid(_tiny(), [0.5, 1.2], [1.0])


# --------------------------------------------------------------------------- the weight norm on the digits (Omnigrok)


def _tiny_digits(**changes):
    base = dict(n_train=100, width=16, steps=60, control_steps=40, sweep_steps=20, eval_every=20, n_seeds=1)
    return om.OmnigrokConfig.fast().replace(**(base | changes))


def test_omnigrok_configs_are_the_papers_recipe_in_full_mode():
    full, fast = om.OmnigrokConfig.full(), om.OmnigrokConfig.fast()
    assert (full.n_train, full.width, full.depth, full.lr, full.weight_decay, full.alpha) == (1000, 200, 3, 1e-3, 0.01, 8.0)
    assert (full.batch_size, full.steps, full.sweep_steps) == (200, 100_000, 10_000)
    assert (fast.width, fast.depth, fast.alpha) == (full.width, full.depth, full.alpha)
    assert fast.lr * fast.weight_decay == pytest.approx(20 * full.lr * full.weight_decay)
    assert "init ×8" in fast.describe()


@pytest.mark.parametrize(
    "field, value",
    [("n_train", 5), ("n_train", 1797), ("width", 0), ("depth", 0), ("lr", 0.0), ("weight_decay", -0.1),
     ("alpha", 0.0), ("batch_size", 0), ("steps", 0), ("control_steps", 30), ("sweep_steps", 30), ("eval_every", 0),
     ("n_seeds", 0)],
)
def test_omnigrok_config_bad_fields(field, value):
    with pytest.raises(ValueError, match=field):
        _tiny_digits(**{field: value})


def test_digits_split_sizes_and_disjointness():
    cfg = _tiny_digits()
    d = om.digits_split(cfg)
    assert d["x_train"].shape == (100, 64) and d["x_test"].shape == (1697, 64)
    assert d["x_train"].min() >= 0 and d["x_train"].max() <= 1
    # train and test are disjoint rows of the dataset: no training image appears among the test images
    train_rows = {r.tobytes() for r in d["x_train"]}
    assert sum(r.tobytes() in train_rows for r in d["x_test"]) <= 5  # the digits hold a few exact duplicates
    with pytest.raises(ValueError, match="cfg"):
        om.digits_split("fast")
    with pytest.raises(ValueError, match="seed"):
        om.digits_split(cfg, -1)


def test_digits_split_is_drawn_per_seed():
    # every seed of a page run gets its own split (a claim over seeds averages over splits), a seed always the same
    cfg = _tiny_digits()
    a, b = om.digits_split(cfg, 3), om.digits_split(cfg, 4)
    assert not np.array_equal(a["y_train"], b["y_train"])
    np.testing.assert_array_equal(a["x_train"], om.digits_split(cfg, 3)["x_train"])
    two = om.digits_run(cfg, [3, 4], steps=20)
    one = om.digits_run(cfg, [4], steps=20)
    assert two.seeds == (3, 4) and two.train_acc.shape == (2, 1, 2)
    np.testing.assert_allclose(two.test_loss[1], one.test_loss[0], rtol=1e-4)  # seed 4 trains alike either way


def test_digits_init_scales_every_parameter_by_alpha():
    cfg = _tiny_digits()
    one, eight = om.digits_init(jax.random.key(0), cfg), om.digits_init(jax.random.key(0), cfg, 8.0)
    assert [layer["w"].shape for layer in one] == [(64, 16), (16, 16), (16, 10)]
    for a, b in zip(jax.tree_util.tree_leaves(one), jax.tree_util.tree_leaves(eight)):
        np.testing.assert_allclose(b, 8.0 * a, rtol=1e-6)
    # PyTorch's default for a linear layer: uniform in ±1/√fan_in, biases included
    assert float(jnp.abs(one[0]["w"]).max()) <= 1 / 8 and float(jnp.abs(one[0]["b"]).max()) <= 1 / 8
    with pytest.raises(ValueError, match="alpha"):
        om.digits_init(jax.random.key(0), cfg, 0.0)
    with pytest.raises(ValueError, match="cfg"):
        om.digits_init(jax.random.key(0), "cfg")


def test_rescale_to_norm_holds_the_norm_and_zero_factor_is_identity():
    params = {"a": jnp.arange(6.0).reshape(2, 3), "b": jnp.ones(4)}
    updates = {"a": jnp.full((2, 3), 0.5), "b": -jnp.ones(4)}
    t = om.rescale_to_norm(2.0, alpha=4.0)
    state = t.init(params)
    target = 2.0 * np.sqrt(sum(float(jnp.sum(x**2)) for x in jax.tree_util.tree_leaves(params))) / 4.0
    new, _ = t.update(updates, state, params)
    moved = jax.tree_util.tree_map(lambda p, u: p + u, params, new)
    norm = np.sqrt(sum(float(jnp.sum(x**2)) for x in jax.tree_util.tree_leaves(moved)))
    assert norm == pytest.approx(target, rel=1e-6)
    # the direction is that of the unconstrained step
    free = jax.tree_util.tree_map(lambda p, u: p + u, params, updates)
    np.testing.assert_allclose(moved["a"] / norm, free["a"] / np.linalg.norm(np.concatenate(
        [np.ravel(free["a"]), np.ravel(free["b"])])), rtol=1e-6)
    same, _ = om.rescale_to_norm(0.0).update(updates, om.rescale_to_norm(0.0).init(params), params)
    np.testing.assert_allclose(same["a"], updates["a"])
    with pytest.raises(ValueError, match="factor"):
        om.rescale_to_norm(-1.0)
    with pytest.raises(ValueError, match="alpha"):
        om.rescale_to_norm(1.0, alpha=0.0)
    with pytest.raises(ValueError, match="parameters"):
        t.update(updates, state)


def test_digits_run_learns_holds_fixed_norms_and_decays_free_ones():
    cfg = _tiny_digits(steps=200, control_steps=50, sweep_steps=50, eval_every=50, weight_decay=1.0, lr=3e-3)
    res = om.digits_run(cfg, [0], hparams={"alpha": [1.0, 4.0, 4.0], "weight_decay": [0.0, 1.0, 0.0],
                                          "norm": [0.0, 0.0, 0.5]})
    assert res.train_acc.shape == (1, 3, 5)
    assert res.train_acc[0, 0, -1] > 0.9 > res.train_acc[0, 0, 0]       # it really learns
    assert res.weight_norm[0, 1, -1] < res.weight_norm[0, 1, 0]          # weight decay shrinks the norm
    w0 = res.weight_norm[0, 0, 0]                                        # the standard initialisation's norm
    np.testing.assert_allclose(res.weight_norm[0, 2, 1:], 0.5 * w0, rtol=1e-4)  # held at half of it
    np.testing.assert_allclose(res.weight_norm[0, 1, 0], 4.0 * w0, rtol=1e-5)
    mini = om.digits_run(cfg.replace(batch_size=32), [1], steps=50)
    assert np.isfinite(mini.train_loss).all() and mini.steps[-1] == 50


def test_digits_run_is_deterministic():
    cfg = _tiny_digits()
    a = om.digits_run(cfg, [5], hparams={"alpha": [2.0], "norm": [1.0]})
    b = om.digits_run(cfg, [5], hparams={"alpha": [2.0], "norm": [1.0]})
    for name in ("train_acc", "test_acc", "train_loss", "test_loss", "weight_norm"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))


def test_digits_run_bad_input():
    cfg = _tiny_digits()
    with pytest.raises(ValueError, match="cfg"):
        om.digits_run(gm.GrokConfig.fast())
    with pytest.raises(ValueError, match="hparams"):
        om.digits_run(cfg, [0], hparams={"lr": [1e-3]})
    with pytest.raises(ValueError, match="alpha"):
        om.digits_run(cfg, [0], hparams={"alpha": [0.0]})
    with pytest.raises(ValueError, match="norm"):
        om.digits_run(cfg, [0], hparams={"norm": [-1.0]})
    with pytest.raises(ValueError, match="same length"):
        om.digits_run(cfg, [0], hparams={"alpha": [1.0], "norm": [0.0, 1.0]})
    with pytest.raises(ValueError, match="steps"):
        om.digits_run(cfg, [0], steps=30)


def test_u_and_l_ratios():
    u = np.array([[4.0, 1.0, 0.5, 2.0], [1.0, 2.0, 3.0, 4.0]])
    np.testing.assert_allclose(om.u_ratio(u), [4.0, 0.0])                 # a U, and a minimum at an end
    norms = [0.5, 1.0, 2.0]
    acc = np.array([[0.3, 1.0, 1.0], [0.3, 1.0, 0.9]])
    loss = np.array([[0.1, 0.001, 0.0], [0.1, 0.001, 0.01]])
    np.testing.assert_allclose(om.l_ratio(norms, acc, loss), [100.0, 0.0])  # an L; a large norm that does not fit
    with pytest.raises(ValueError, match="curve"):
        om.u_ratio([1.0, 2.0])
    with pytest.raises(ValueError, match="curve"):
        om.u_ratio([1.0, 0.0, 2.0])
    with pytest.raises(ValueError, match="norms"):
        om.l_ratio([2.0, 1.0, 0.5], acc, loss)
    with pytest.raises(ValueError, match="norms"):
        om.l_ratio([0.5, 2.0, 3.0], acc, loss)
    with pytest.raises(ValueError, match="train_acc"):
        om.l_ratio(norms, acc[:, :2], loss)
    with pytest.raises(ValueError, match="fit"):
        om.l_ratio(norms, acc, loss, fit=0.0)


def test_save_and_load_result_round_trip(tmp_path):
    cfg = gm.GrokConfig.fast().replace(p=11, d_hidden=16, steps=20, eval_every=10)
    res = gt.run(cfg, [0], hparams={"weight_decay": [1.0, 0.0]})
    gt.save_result(res, tmp_path / "run.npz", date="2026-11-22", device="test CPU")
    back, provenance = gt.load_result(tmp_path / "run.npz")
    assert back.config == cfg and back.seeds == res.seeds
    np.testing.assert_array_equal(back.test_acc, res.test_acc)
    np.testing.assert_array_equal(back.hparams["weight_decay"], res.hparams["weight_decay"])
    for a, b in zip(jax.tree_util.tree_leaves(back.final_params), jax.tree_util.tree_leaves(res.final_params)):
        np.testing.assert_array_equal(a, b)
    assert provenance["date"] == "2026-11-22" and provenance["device"] == "test CPU" and "p = 11" in provenance["config"]
    assert "weight_decay" in provenance["config"]  # the hyper-parameter that varies across settings
    with pytest.raises(ValueError, match="result"):
        gt.save_result({"not": "a result"}, tmp_path / "x.npz", date="d", device="d")


# --------------------------------------------------------------------------- checks that were claims (issue 16)


def test_analytic_weights_classify_the_whole_table_at_the_pages_size():
    # Section 3.3's former claim analytic-accuracy: p = 47, N = 200, several draws of the phases.
    p, n = 47, 200
    t = gd.modular_addition(p)
    for seed in range(5):
        out = gm.quadratic_mlp(an.gromov_weights(jax.random.key(seed), p, n), t["a"], t["b"])
        assert np.mean(np.argmax(out, -1) == t["c"]) == 1.0
    # the same construction with the output phases scrambled across units must fail
    w = an.gromov_weights(jax.random.key(0), p, n)
    w["W"] = jax.random.permutation(jax.random.key(1), w["W"], axis=0)
    assert np.mean(np.argmax(gm.quadratic_mlp(w, t["a"], t["b"]), -1) == t["c"]) < 0.3


def test_grokfast_filter_multiplies_a_constant_gradient_by_one_plus_lambda():
    # Section 3.4's former claim grokfast-gain: α = 0.98, λ = 2, as in the training runs.
    np.testing.assert_allclose(sf.filter_gain([0.0], alpha=0.98, lamb=2.0), 3.0, rtol=0.01)
    np.testing.assert_allclose(sf.filter_gain([0.0], alpha=0.98, lamb=0.5), 1.5, rtol=0.01)
    assert abs(sf.filter_gain([np.pi], alpha=0.98, lamb=2.0)[0] - 3.0) > 1.0  # a fast oscillation is not amplified


# --------------------------------------------------------------------------- statistics behind the claims


def test_order_share():
    inf = np.inf
    share = mg.order_share([0.5, 0.6, 0.7], [[3, 2, 1], [2, 3, 1], [inf, inf, inf], [1, 2, 3], [inf, 5, 1]])
    np.testing.assert_allclose(share, [1.0, 2 / 3, 0.5, 0.0, 1.0])
    with pytest.raises(ValueError, match="x must be increasing"):
        mg.order_share([0.7, 0.6], [[1, 2]])
    with pytest.raises(ValueError, match="times"):
        mg.order_share([0.5, 0.6], [[1, 2, 3]])
    with pytest.raises(ValueError, match="NaN"):
        mg.order_share([0.5, 0.6], [[1, np.nan]])


def test_h200_fraction_run_is_a_valid_saved_result():
    from dltheory import claims
    v = claims.check("03-grokking/fraction", mg.H200_FRACTION["value"], provenance=mg.H200_FRACTION["provenance"],
                     display=False, raise_on_fail=False)
    assert v.status == "not reproduced" and v.mode == "fast"
    # the same statistic at a perfect order would meet the bar: the registry would then be out of date
    assert claims.check("03-grokking/fraction", -1.0, provenance=mg.H200_FRACTION["provenance"],
                        display=False, raise_on_fail=False).status == "failed"


def test_compressed_accuracy_keeps_a_fourier_embedding_and_changes_a_random_one():
    cfg = _tiny(p=11, d_model=8, d_hidden=32)
    params = gm.init_model(jax.random.key(0), cfg)
    mask = gd.train_mask(cfg, 0.5)
    t = gd.modular_addition(cfg.p)
    right = np.asarray(gm.apply_model(cfg, params, t["a"], t["b"])).argmax(1) == t["c"]
    # keeping every frequency changes nothing
    full = fc.compressed_accuracy(cfg, params, mask, k=(cfg.p - 1) // 2)
    assert full["train_acc"] == pytest.approx(right[mask].mean()) and full["test_acc"] == pytest.approx(right[~mask].mean())
    # an embedding that lives on one frequency is kept exactly by k = 1
    x = np.arange(cfg.p)
    basis = fc.fourier_basis(cfg.p)
    planted = dict(params) | {"embed": jnp.asarray(np.stack([basis[5], basis[6]] * 4, axis=1), dtype=jnp.float32)}
    logits = np.asarray(gm.apply_model(cfg, planted, t["a"], t["b"]))
    kept = fc.compressed_accuracy(cfg, planted, mask, k=1)
    assert list(kept["freqs"]) == [3]
    acc = logits.argmax(1) == t["c"]
    assert kept["test_acc"] == pytest.approx(acc[~mask].mean())
    # ... but a random embedding compressed to one frequency loses what it had
    changed = fc.compressed_accuracy(cfg, params, mask, k=1)
    assert changed["train_acc"] != pytest.approx(right[mask].mean()) or changed["test_acc"] != pytest.approx(right[~mask].mean())
    assert x.size == cfg.p
    with pytest.raises(ValueError, match="quadratic"):
        fc.compressed_accuracy(_tiny(model="quadratic"), params, mask)
    with pytest.raises(ValueError, match="mask"):
        fc.compressed_accuracy(cfg, params, np.ones(cfg.n_pairs, bool))
    with pytest.raises(ValueError, match="params"):
        fc.compressed_accuracy(cfg, {"U": 1}, mask)


def test_restricted_lead_counts_a_loss_that_never_crosses_as_after_the_budget():
    res = _fake_result([(800, 400), (900, 500)])
    half = 0.5 * np.log(res.config.p)
    test_loss = np.where(res.steps >= 600, 0.1, 5.0) * np.ones((2, 2, 1))
    res = dataclasses.replace(res, test_loss=test_loss)
    early = {"restricted_loss": np.where(res.steps >= 300, 0.5 * half, 2 * half)}
    never = {"restricted_loss": np.full(res.steps.size, 2 * half)}
    np.testing.assert_allclose(fc.restricted_lead(res, [early, never]), [300.0, 600.0 - 1100.0])
    with pytest.raises(ValueError, match="one progress curve per seed"):
        fc.restricted_lead(res, [early])


def test_final_top_share_of_a_result():
    cfg = _tiny(p=11, d_model=8)
    res = gt.run(cfg, [0, 1], hparams={"weight_decay": [1.0, 0.0]})
    share = fc.final_top_share(res, 1, k=2)
    assert share.shape == (2,) and np.all((share > 0) & (share <= 1))
    with pytest.raises(ValueError, match="setting"):
        fc.final_top_share(res, 2)


def test_dead_runs_flags_only_runs_that_learned_nothing_at_large_norms():
    norms = [0.5, 1.0, 2.0]
    acc = np.array([[0.1, 1.0, 1.0], [0.3, 1.0, 0.15], [0.3, 1.0, 0.95], [0.3, 1.0, 1.0]])
    loss = np.array([[1.0, 0.0, 0.0], [0.1, 0.0, 0.5], [0.1, 0.0, 0.1], [0.1, 0.0, np.nan]])
    np.testing.assert_array_equal(om.dead_runs(norms, acc, loss), [False, True, False, True])
    with pytest.raises(ValueError, match="train_acc"):
        om.dead_runs(norms, acc[:, :2], loss)


def test_censored_ratio_counts_a_cut_off_run_at_its_bound_and_a_never_fitted_one_as_meeting_the_bar():
    """The null of omnigrok-constrained: a cut-off run is counted at the budget's end, never as inf (which the judge
    would refuse) nor below budget / t_fit; a run that never fitted counts 1, which the judge, told it is cut off,
    reads as meeting the bar of 1.5."""
    r = om.censored_ratio([800.0, 950.0, 400.0, np.inf], [np.inf, np.inf, 500.0, np.inf], 1500)
    np.testing.assert_allclose(r, [1500 / 800, 1500 / 950, 1.25, 1.0])
    crit = claims.get("03-grokking/omnigrok-constrained").criterion
    assert crit.holds(crit.best_case_at_least(r)[3]) and not crit.holds(crit.best_case_at_least(r)[0])
    assert np.all(np.isfinite(r))
    with pytest.raises(ValueError, match="budget"):
        om.censored_ratio([800.0], [1600.0], 1500)
    with pytest.raises(ValueError, match="shape"):
        om.censored_ratio([800.0, 900.0], [1000.0], 1500)


def test_progress_curve_on_the_weakest_frequencies():
    res = gt.run(_tiny(), [0], snapshots=True)
    strong, weak = fc.progress_curve(res, k=2), fc.progress_curve(res, k=2, weakest=True)
    assert set(strong["freqs"]).isdisjoint(weak["freqs"])
    power = fc.fourier_power(np.asarray(res.final(0)["embed"]), 11)
    assert power[weak["freqs"]].max() <= power[strong["freqs"]].min()


# --------------------------------------------------------------------------- §3.1 norm phases and below chance


def test_copied_share_counts_labels_seen_in_the_row_or_column():
    # A constant network (all weights 0) predicts label 0 everywhere; count by brute force which test pairs
    # have a 0 among the training labels of their row or column.
    cfg = _tiny(steps=20, eval_every=20)
    res = gt.run(cfg, [0], hparams={"weight_decay": [0.0]})
    p = cfg.p
    mask = gd.train_mask(cfg).reshape(p, p)
    labels = gd.modular_addition(p)["c"].reshape(p, p)
    zeros = jax.tree_util.tree_map(lambda x: jnp.zeros_like(x), res.final_params)
    out = mg.copied_share(dataclasses.replace(res, final_params=zeros))
    a, b = np.nonzero(~mask)
    seen = np.array([0 in labels[ai][mask[ai]] or 0 in labels[:, bi][mask[:, bi]] for ai, bi in zip(a, b)])
    assert 0 < out["copied"] < 1
    assert out["copied"] == pytest.approx(seen.mean())
    # Every copied prediction is wrong (a row's or column's other labels are never the pair's own).
    assert out["accuracy"] <= 1 - out["copied"] + 1e-12


def test_norm_at_phases_reads_the_curve_and_rejects_other_input():
    cfg = _tiny(steps=300, eval_every=100, lr=1e-2, train_frac=0.5)
    res = gt.run(cfg, [0], hparams={"weight_decay": [1.0]})
    out = mg.norm_at_phases(res)
    assert out["final"][0] == pytest.approx(res.weight_norm[0, 0, -1])
    t = gt.delays(res)
    if np.isfinite(t["t_fit"][0, 0]):
        assert out["fit"][0] == pytest.approx(res.weight_norm[0, 0, res.steps == t["t_fit"][0, 0]][0])
    else:
        assert np.isnan(out["fit"][0])
    with pytest.raises(ValueError):
        mg.norm_at_phases("not a result")


# --------------------------------------------------------------------------- §3.4 coupled L2 (Grokfast's baseline)


def test_l2_is_coupled_and_zero_l2_is_plain_adamw():
    cfg = _tiny()
    res = gt.run(cfg, [0], hparams={"l2": [0.0, 0.5], "weight_decay": [0.0, 0.0]})
    assert not np.allclose(res.weight_norm[0, 0], res.weight_norm[0, 1])
    assert res.weight_norm[0, 1, -1] < res.weight_norm[0, 0, -1]
    with pytest.raises(ValueError, match="l2"):
        gt.run(cfg, [0], hparams={"l2": [-1.0]})


# --------------------------------------------------------------------------- §3.6 softmax collapse

from dltheory.grokking import softmax_collapse as sc  # noqa: E402


def test_stablemax_is_a_distribution_and_grows_linearly():
    x = jnp.array([[0.0, 0.0, 0.0], [3.0, -1.0, 0.0], [1e4, -1e4, -1e4]])
    probs = sc.stablemax(x)
    np.testing.assert_allclose(probs.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs[0], 1 / 3, rtol=1e-6)
    np.testing.assert_allclose(probs[1], np.array([4.0, 0.5, 1.0]) / 5.5, rtol=1e-6)
    # Where the softmax's loss is exactly 0 in float32, StableMax's is not.
    loss = sc.stablemax_cross_entropy(jnp.array([[40.0, 0.0, 0.0]]), jnp.array([0]))
    soft = -jax.nn.log_softmax(jnp.array([[40.0, 0.0, 0.0]]))[0, 0]
    assert float(soft) == 0.0 and float(loss[0]) > 0.0


def test_stablemax_loss_is_zero_only_beyond_the_closed_form_logit():
    """Formerly the claim stablemax-no-collapse (withdrawn: it holds by arithmetic). With the right logit L and the
    p - 1 rivals at -L, StableMax's probability is 1 - (p - 1)/(1 + L)^2 to leading order, so its float32 loss is
    exactly 0 only once (p - 1)/(1 + L)^2 < 2^-24, at L of about 2^12 sqrt(p - 1) (2.8e4 at p = 47): nonzero at
    every logit a page's runs reach, while the softmax's loss is already 0 at L = 20."""
    p = 47
    edge = 2.0**12 * np.sqrt(p - 1)

    def losses(L: float) -> tuple[float, float]:
        logits = jnp.concatenate([jnp.array([L]), jnp.full(p - 1, -L)]).astype(jnp.float32)[None]
        label = jnp.array([0])
        return (float(sc.stablemax_cross_entropy(logits, label)[0]),
                float(optax.softmax_cross_entropy_with_integer_labels(logits, label)[0]))

    for L in (20.0, 100.0, 1e3, 0.3 * edge):
        stable, soft = losses(L)
        assert stable > 0.0 and soft == 0.0
    assert losses(30 * edge)[0] == 0.0   # far beyond the edge StableMax rounds to 0 too


def test_orthogonal_grad_removes_the_radial_component_and_keeps_the_norm():
    w = {"a": jnp.array([1.0, 2.0, -1.0]), "b": jnp.array([[0.5, -0.5], [1.0, 0.0]])}
    g = {"a": jnp.array([2.0, 1.0, 0.0]), "b": jnp.array([[1.0, 1.0], [0.0, 3.0]])}
    on = sc.orthogonal_grad(1.0)
    out, _ = on.update(g, on.init(w), w)
    for k in w:
        assert abs(float(jnp.vdot(out[k], w[k]))) < 1e-5
        assert float(jnp.linalg.norm(out[k])) == pytest.approx(float(jnp.linalg.norm(g[k])), rel=1e-5)
    off = sc.orthogonal_grad(0.0)
    same, _ = off.update(g, off.init(w), w)
    np.testing.assert_array_equal(same["a"], g["a"])
    with pytest.raises(ValueError, match="parameters"):
        on.update(g, on.init(w))


def test_collapse_margin_matches_float32_rounding():
    m_star = sc.collapse_margin(47)
    assert m_star == pytest.approx(np.log(46) + 24 * np.log(2))
    # All 46 rivals at the margin: just beyond m* float32's loss is 0, well inside it is not.
    def loss(m):
        logits = jnp.concatenate([jnp.array([m]), jnp.zeros(46)]).astype(jnp.float32)
        return float(-jax.nn.log_softmax(logits)[0])
    assert loss(m_star + 0.5) == 0.0 and loss(m_star - 2.0) > 0.0
    # optax's loss is logsumexp(x) - x_c: with a large right logit it is 0 earlier, by ln|x_c|
    def optax_loss(m, x_c):
        logits = jnp.concatenate([jnp.array([x_c]), jnp.full(46, x_c - m)]).astype(jnp.float32)
        return float(optax.softmax_cross_entropy_with_integer_labels(logits[None], jnp.array([0]))[0])
    m_30 = sc.collapse_margin(47, right_logit=30.0)
    assert m_30 == pytest.approx(m_star - np.log(30.0))
    assert optax_loss(m_30 + 1.0, 30.0) == 0.0 and optax_loss(m_30 - 2.0, 30.0) > 0.0
    assert optax_loss(m_star - 2.0, 1.0) > 0.0 and sc.collapse_margin(47, right_logit=-0.5) == m_star
    with pytest.raises(ValueError):
        sc.collapse_margin(1)


def test_zero_loss_share_and_margins_and_run_switches():
    cfg = _tiny(steps=100, eval_every=50, lr=1e-2)
    res = gt.run(cfg, [0], hparams={"weight_decay": [0.0, 0.0, 0.0], "orthograd": [0, 1, 0], "stablemax": [0, 0, 1]})
    assert not np.allclose(res.weight_norm[0, 0], res.weight_norm[0, 1])
    assert not np.allclose(res.train_loss[0, 0], res.train_loss[0, 2])
    params = res.final(0, 0)
    margin, ce = sc.margins(cfg, params)
    assert margin.shape == ce.shape == (cfg.n_train,)
    share = sc.zero_loss_share(cfg, params)
    assert share == pytest.approx(np.mean(ce == 0))
    big = jax.tree_util.tree_map(lambda x: 30.0 * x, params)   # scaled logits: the softmax collapses
    assert sc.zero_loss_share(cfg, big) > share
    assert sc.zero_loss_share(cfg, big, stable=True) == 0.0
    with pytest.raises(ValueError, match="orthograd"):
        gt.run(cfg, [0], hparams={"orthograd": [0.5]})
    with pytest.raises(ValueError):
        sc.zero_loss_share("cfg", params)


def test_run_adam_eps_and_float64_loss_exist_only_where_given():
    cfg = _tiny(steps=100, eval_every=50, lr=1e-2)
    plain = gt.run(cfg, [0], hparams={"weight_decay": [0.0]})
    assert "adam_eps" not in plain.hparams and "loss_float64" not in plain.hparams
    wide = gt.run(cfg, [0], hparams={"weight_decay": [0.0, 0.0], "adam_eps": [1e-8, 1e-8], "loss_float64": [0, 1]})
    assert wide.hparams["loss_float64"].tolist() == [0.0, 1.0]
    # the float32-loss setting of a float64 program is the plain run; the float64 one trains float32 weights
    np.testing.assert_allclose(wide.train_loss[0, 0], plain.train_loss[0, 0], rtol=1e-5)
    assert all(x.dtype == jnp.float32 for x in jax.tree_util.tree_leaves(wide.final(0, 1)))
    huge_eps = gt.run(cfg, [0], hparams={"weight_decay": [0.0], "adam_eps": [1.0]})   # a huge eps damps Adam
    assert not np.allclose(huge_eps.train_loss[0, 0], plain.train_loss[0, 0])
    with pytest.raises(ValueError, match="adam_eps"):
        gt.run(cfg, [0], hparams={"adam_eps": [0.0]})
    with pytest.raises(ValueError, match="loss_float64"):
        gt.run(cfg, [0], hparams={"loss_float64": [0.5]})


def test_check_collapse_margin_accepts_the_closed_form_and_rejects_slips():
    sc.check_collapse_margin(lambda p, t: np.log(p - 1) + t * np.log(2))
    with pytest.raises(selfcheck.WrongAnswer):  # one rival only: forgets the p - 1
        sc.check_collapse_margin(lambda p, t: t * np.log(2))
    with pytest.raises(selfcheck.WrongAnswer):  # log base 2 instead of natural log
        sc.check_collapse_margin(lambda p, t: np.log2(p - 1) + t)
    with pytest.raises(selfcheck.NotAnswered):
        sc.check_collapse_margin(...)


# --------------------------------------------------------------------------- §3.7 ungrokking

from dltheory.grokking import ungrokking as ug  # noqa: E402


def test_run_from_init_params_starts_where_the_earlier_run_ended():
    cfg = _tiny(steps=100, eval_every=50, lr=1e-2)
    first = gt.run(cfg, [0])
    again = gt.run(cfg, [0], init_params=first.final(0, 0))
    # evaluation 0 of the continuation is the earlier run's last state
    assert again.train_acc[0, 0, 0] == pytest.approx(first.train_acc[0, 0, -1], abs=1e-6)
    assert again.weight_norm[0, 0, 0] == pytest.approx(first.weight_norm[0, 0, -1], rel=1e-5)
    fresh = gt.run(cfg, [0])
    assert fresh.weight_norm[0, 0, 0] != pytest.approx(first.weight_norm[0, 0, -1], rel=1e-3)
    with pytest.raises(ValueError, match="init_params"):
        gt.run(cfg, [0], init_params={"embed": np.zeros((3, 3))})


def test_ungrok_continues_every_seed_on_nested_fractions_and_validates():
    cfg = _tiny(steps=60, eval_every=20, lr=1e-2)
    grokked = gt.run(cfg, [0, 1])
    ucfg = ug.UngrokConfig(small_frac=0.1, large_frac=0.3, steps=40, eval_every=20)
    out = ug.ungrok(grokked, ucfg)
    assert len(out) == 2
    for i, r in enumerate(out):
        np.testing.assert_allclose(r.hparams["train_frac"], [0.1, 0.3, 0.5])
        assert r.weight_norm[0, 2, 0] == pytest.approx(grokked.weight_norm[i, 0, -1], rel=1e-5)
    with pytest.raises(ValueError, match="large_frac"):
        ug.ungrok(grokked, ucfg.replace(large_frac=0.6, small_frac=0.1))
    with pytest.raises(ValueError):
        ug.UngrokConfig(small_frac=0.4, large_frac=0.3)
    with pytest.raises(ValueError):
        ug.ungrok("not a result", ucfg)


# --------------------------------------------------------------------------- §3.8 lazy to rich

from dltheory.grokking import lazy_to_rich as l2r  # noqa: E402


def test_log_slope_recovers_a_logarithmic_law_and_rejects_bad_input():
    alphas = np.array([2.0, 4.0, 8.0, 16.0])
    times = np.stack([100 + 5000 * np.log(alphas), 300 + 0 * alphas])
    np.testing.assert_allclose(l2r.log_slope(alphas, times), [5000.0, 0.0], atol=1e-6)
    # a linear law in alpha is not logarithmic: its fitted slope changes with the range
    lin = 1000 * alphas[None, :]
    assert l2r.log_slope(alphas[:2], lin[:, :2])[0] != pytest.approx(l2r.log_slope(alphas[2:], lin[:, 2:])[0])
    with pytest.raises(ValueError):
        l2r.log_slope([1.0], [[1.0]])
    with pytest.raises(ValueError):
        l2r.log_slope(alphas, times[:, :3])
    with pytest.raises(ValueError):
        l2r.log_slope([2.0, -1.0], [[1.0, 2.0]])


def test_scale_sweep_validates_its_scales():
    cfg = om.OmnigrokConfig.fast()
    with pytest.raises(ValueError):
        l2r.scale_sweep(cfg, [8.0, 4.0], [0])
    with pytest.raises(ValueError):
        l2r.scale_sweep("cfg", [4.0, 8.0], [0])


def test_scale_sweep_shapes_and_budget_cap():
    cfg = om.OmnigrokConfig.fast().replace(steps=100, eval_every=50, width=16, n_train=50)
    out = l2r.scale_sweep(cfg, [1.0, 8.0], [0], generalise=0.99)
    assert out["t"].shape == (1, 3, 2)
    assert np.all(out["t"] <= 100)   # never reached: the budget's end
    np.testing.assert_allclose(out["result"].hparams["weight_decay"], np.repeat([1.0, 2.0, 0.0], 2) * cfg.weight_decay)
    np.testing.assert_allclose(out["result"].hparams["alpha"], [1.0, 8.0] * 3)
    with pytest.raises(ValueError):
        l2r.scale_sweep(cfg, [1.0, 8.0], [0], factors=[-1.0])


def test_lazy_rich_config_is_section_3_5s_network_resized():
    fast, full = l2r.LazyRichConfig.fast(), l2r.LazyRichConfig.full()
    assert fast.digits() == om.OmnigrokConfig.fast().replace(width=100, weight_decay=0.2, steps=4000)
    assert full.digits() == om.OmnigrokConfig.full().replace(steps=150_000)   # room for alpha = 8 at kappa >= 1.8
    assert full.steps > l2r.slide_steps(8.0 / 1.8, full.digits().lr, full.weight_decay)
    assert fast.cost().flops < full.cost().flops
    with pytest.raises(ValueError):
        l2r.LazyRichConfig(steps=4010)   # not a multiple of the base configuration's eval_every


def test_check_critical_size_accepts_the_crossing_and_rejects_slips():
    ug.check_critical_size(lambda n, c, g: (n / c) ** (1 / g))
    with pytest.raises(selfcheck.WrongAnswer):  # exponent gamma instead of 1 / gamma
        ug.check_critical_size(lambda n, c, g: (n / c) ** g)
    with pytest.raises(selfcheck.WrongAnswer):  # ratio upside down
        ug.check_critical_size(lambda n, c, g: (c / n) ** (1 / g))
    with pytest.raises(ValueError):
        ug.critical_size(-1.0, 1.0, 1.0)


def test_fitted_kappa_recovers_the_shrink_factor():
    alphas = np.array([4.0, 8.0])
    rate = -np.log1p(-2e-4)
    times = np.log(alphas / 2.0)[None, :] / rate          # features move at kappa = 2
    np.testing.assert_allclose(l2r.fitted_kappa(alphas, times, 2e-3, 0.1), [2.0], rtol=1e-9)
    assert l2r.fitted_kappa(alphas, times + 5000.0, 2e-3, 0.1)[0] < 1.0
    with pytest.raises(ValueError):
        l2r.fitted_kappa(alphas, times[:, :1], 2e-3, 0.1)


def test_check_slide_steps_wants_the_exact_time():
    l2r.check_slide_steps(lambda a, e, w: -np.log(a) / np.log1p(-e * w))
    with pytest.raises(selfcheck.WrongAnswer):  # the small-step approximation is off at eta * lambda = 0.1
        l2r.check_slide_steps(lambda a, e, w: np.log(a) / (e * w))
    with pytest.raises(selfcheck.WrongAnswer):  # log base 2
        l2r.check_slide_steps(lambda a, e, w: -np.log2(a) / np.log1p(-e * w))
    assert l2r.slide_steps(8.0, 2e-3, 0.1) == pytest.approx(np.log(8) / 2e-4, rel=2e-4)
    with pytest.raises(ValueError):
        l2r.slide_steps(8.0, 2.0, 1.0)


def test_later_share_scores_pairs_in_the_direction_of_the_scale():
    scales = [0.25, 2.0, 16.0]
    inf = np.inf
    share = l2r.later_share(scales, [[100, 200, 300], [300, 200, 100], [inf, inf, inf], [100, inf, 200]])
    np.testing.assert_allclose(share, [1.0, 0.0, 0.5, 2 / 3])
    with pytest.raises(ValueError):
        l2r.later_share([2.0, 1.0], [[1.0, 2.0]])
    with pytest.raises(ValueError):
        l2r.later_share(scales, [[1.0, 2.0]])


def test_output_scale_multiplies_the_logits_and_leaves_the_argmax(monkeypatch):
    cfg = gm.GrokConfig.fast().replace(steps=20, eval_every=20, warmup=0, lr=1e-12, n_seeds=1)
    ran = []

    def run(*args, **kwargs):  # the sweep's one training program, kept for a look at its curves
        ran.append(gt.run(*args, **kwargs))
        return ran[-1]

    monkeypatch.setattr(l2r, "run", run)
    times = l2r.output_scale_sweep(cfg, [1.0, 4.0], [0])
    assert times["t_grok"].shape == times["t_fit"].shape == (1, 2, 2)
    assert times["seeds"].tolist() == [0] and times["scales"].tolist() == [1.0, 4.0]
    (res,) = ran
    np.testing.assert_allclose(res.hparams["output_scale"], [1.0, 4.0, 1.0, 4.0])
    np.testing.assert_allclose(res.hparams["weight_decay"], [cfg.weight_decay] * 2 + [0.0] * 2)
    # lr ~ 0: the same weights; accuracy is blind to the scale, the cross-entropy is not
    np.testing.assert_allclose(res.train_acc[0, 0], res.train_acc[0, 1])
    assert not np.allclose(res.train_loss[0, 0, 0], res.train_loss[0, 1, 0])
    with pytest.raises(ValueError):
        gt.run(cfg, [0], hparams={"output_scale": [0.0]})
    with pytest.raises(ValueError):
        l2r.output_scale_sweep(cfg, [4.0, 1.0], [0])
    with pytest.raises(ValueError):
        l2r.output_scale_sweep(cfg.replace(weight_decay=0.0), [1.0, 4.0], [0])


def test_zero_loss_share_in_float64_needs_a_wider_margin():
    cfg = gm.GrokConfig.fast()
    d, h, p = cfg.d_model, cfg.d_hidden, cfg.p

    def params(margin):  # every pair's logits: `margin` on label 0, 0 elsewhere (hidden layer all ones)
        unembed = np.zeros((h, p), np.float32)
        unembed[:, 0] = margin / h
        return {"embed": jnp.zeros((p, d)), "W_in": jnp.zeros((2 * d, h)), "b_in": jnp.ones((h,)),
                "unembed": jnp.asarray(unembed)}

    share_label_0 = sc.zero_loss_share(cfg, params(60.0))          # label-0 pairs: zero in both precisions
    assert 0 < share_label_0 < 0.1
    assert sc.zero_loss_share(cfg, params(60.0), float64=True) == pytest.approx(share_label_0)
    assert sc.zero_loss_share(cfg, params(25.0)) == pytest.approx(share_label_0)   # float32 rounds at m ~ 17
    assert sc.zero_loss_share(cfg, params(25.0), float64=True) == 0.0              # float64 needs m ~ 37
    with pytest.raises(ValueError):
        sc.zero_loss_share(cfg, params(25.0), stable=True, float64=True)


def test_the_registered_lazy_rich_claims_read_their_slopes_off_the_saved_sweep():
    from dltheory.grokking import lazy_to_rich as lrm

    alphas = lrm.INIT_SCALES
    lr, wd = 2e-3, 0.1
    steps = np.log(alphas) / (lr * wd)               # the theory's delay at λ, half of it at 2λ, flat at 0
    t = np.stack([np.stack([steps + 100, steps / 2 + 100, np.full(3, 6000.0)])] * 2)
    got = lrm.registered_slopes(t, alphas, lr, wd)
    assert np.allclose(got["slopes"], 1.0) and np.allclose(got["rate_ratio"], 2.0)
    assert np.allclose(got["slopes_null"], 0.0)
    with pytest.raises(ValueError, match="weight decays"):
        lrm.registered_slopes(t[:, :2], alphas, lr, wd)
    from dltheory import saved

    meta, arrays = saved.read("03-grokking-lazy-rich-registered.npz")   # what a fast build judges them on
    assert meta["fn"] == "dltheory.grokking.lazy_to_rich:registered_times" and meta["call"] == {"args": [], "kwargs": {}}
    got = lrm.registered_slopes(arrays["value:t"], alphas, float(arrays["value:lr"]), float(arrays["value:weight_decay"]))
    assert len(arrays["value:seeds"]) == len(got["slopes"]) == len(got["rate_ratio"]) >= 3


def test_the_output_scale_sweep_is_counted_in_full_mode_only_and_lyu_s_sweeps_in_neither():
    # a build under base seed 0 reads them saved (tests/test_saved.py: of today's code); full mode trains the
    # output-scale sweep, while the two sweeps of Lyu et al.'s scale have only a fast configuration (fast_call)
    from dltheory.book import budget
    from dltheory.grokking import lazy_to_rich as lrm
    from dltheory.grokking.models import GrokConfig

    page = Path(__file__).resolve().parents[1] / "chapters" / "03-grokking" / "08-lazy-to-rich.md"
    text = page.read_text(encoding="utf-8")
    assert re.search(r'saved\.call\("03-grokking-lazy-rich-output-scale\.npz",\s*lr\.output_scale_sweep\)', text)
    assert re.search(r'saved\.fast_call\("03-grokking-lazy-rich-modular-scale\.npz",\s*lr\.modular_scale_sweep\)', text)
    assert re.search(r'saved\.fast_call\("03-grokking-lazy-rich-modular-onset\.npz",\s*lr\.onset_sweep\)', text)
    from dltheory import claims
    for cid in ("lazy-rich-slope-modular", "lazy-rich-slope-modular-most", "lazy-rich-onset-modular"):
        assert claims.get(f"03-grokking/{cid}").mode == "fast"   # what lets a full build read a fast run
    sweep = GrokConfig.fast().cost() * len(lrm.OUTPUT_SCALES)
    fast, full = budget.page_cost(page, mode="fast"), budget.page_cost(page, mode="full")
    assert fast.flops < full.flops - 0.99 * sweep.flops


def test_modular_scale_sweep_starts_every_seed_from_its_own_initialisation_times_alpha():
    from dltheory.grokking import lazy_to_rich as lrm
    from dltheory.grokking.models import GrokConfig
    from dltheory.grokking.training import run

    cfg = GrokConfig(p=7, d_model=4, n_heads=1, d_hidden=8, steps=20, eval_every=10, n_seeds=2, warmup=0)
    out = lrm.modular_scale_sweep(cfg, [1.0, 3.0], [4, 9])
    assert out["t_grok"].shape == out["final_test"].shape == (2, 2, 2)
    assert out["weight_norm"].shape == out["test_acc"].shape == (2, 2, 2, len(out["steps"])) and out["steps"][0] == 0
    norm0 = out["weight_norm"][..., 0]               # step 0: the initial weights
    assert np.allclose(norm0[:, :, 1], 3.0 * norm0[:, :, 0], rtol=1e-6)
    assert not np.allclose(norm0[0], norm0[1])       # each seed its own draw
    fresh = run(cfg, [4, 9], hparams={"weight_decay": [cfg.weight_decay, 0.0]})   # alpha = 1 starts as a fresh run
    # starts (over these few steps the curves agree; over thousands the two programs part in their last bits)
    assert np.allclose(out["weight_norm"][:, :, 0], fresh.weight_norm, rtol=1e-5)
    assert np.array_equal(out["test_acc"][:, :, 0], fresh.test_acc)
    from dltheory.grokking.results import first_step
    # the times are read off the returned curves: 10% and 99% test accuracy
    assert np.array_equal(out["t_onset"], first_step(out["steps"], out["test_acc"], 0.1))
    assert np.array_equal(out["t_grok"], first_step(out["steps"], out["test_acc"], 0.99))
    alone = lrm.modular_scale_sweep(cfg, [1.0, 3.0], [9], null=False)   # weight decay only
    assert alone["t_fit"].shape == (1, 1, 2) and alone["weight_norm"].shape == (1, 1, 2, len(out["steps"]))
    decayed, undecayed = out["weight_norm"][1, 0, :, -1], out["weight_norm"][1, 1, :, -1]   # seed 9, last step
    assert np.allclose(alone["weight_norm"][0, 0, :, -1], decayed, rtol=1e-5)
    assert not np.allclose(decayed, undecayed, rtol=1e-3)   # the weight-decay run, not the null's
    with pytest.raises(ValueError, match="increasing"):
        lrm.modular_scale_sweep(cfg, [3.0, 1.0], [0])
    with pytest.raises(ValueError, match="null arm"):
        lrm.modular_scale_sweep(cfg.replace(weight_decay=0.0), [1.0, 2.0], [0])
    with pytest.raises(ValueError, match="alpha"):
        lrm.scaled_init(cfg, 0, 0.0)


def test_onset_slopes_read_the_rate_of_the_onset_and_of_the_fit_and_flag_a_run_that_never_starts():
    from dltheory.grokking import lazy_to_rich as lrm

    alphas, lr, wd = np.array(lrm.ONSET_SCALES), 3e-3, 1.0
    slide = np.log(alphas) / (lr * wd)                    # the theory's rate: slope 1 in units of 1/(eta*lambda)
    onset = np.stack([slide + 400.0, 0.5 * slide + 900.0, slide + 100.0])[:, None, :]
    fit = np.stack([np.full(3, 300.0), 0.6 * slide, np.full(3, 250.0)])[:, None, :]
    sweep = {"alphas": alphas, "lr": np.asarray(lr), "weight_decay": np.asarray(wd), "steps": np.arange(0, 5001, 50),
             "t_fit": fit, "t_onset": onset}
    got = lrm.onset_slopes(sweep)
    assert np.allclose(got["slopes"], [1.0, 0.5, 1.0]) and np.allclose(got["fit_slopes"], [0.0, 0.6, 0.0])
    assert not got["never"].any()
    onset[2, 0, 2] = np.inf                               # seed 2 never reaches 10% at the largest scale
    got = lrm.onset_slopes(sweep)
    assert got["never"].tolist() == [False, False, True] and np.isfinite(got["slopes"]).all()
    with pytest.raises(ValueError, match="missing"):
        lrm.onset_slopes({k: v for k, v in sweep.items() if k != "t_onset"})
    cfg = lrm.onset_config()
    assert cfg.n_seeds == 6 and cfg.steps == 5000 and cfg.replace(steps=6000, n_seeds=3) == lrm.modular_config()


# --------------------------------------------------------------------------- Section 3.8, Kumar et al.'s control


def test_centred_config_bad_fields_and_full_is_larger():
    from dltheory.grokking import lazy_rich_modular as lm

    for field, value in (("p", 24), ("width", 0), ("train_frac", 1.0), ("lr", 0.0), ("steps", 25)):
        with pytest.raises(ValueError):
            lm.CentredConfig(**{field: value})
    fast, full = lm.CentredConfig.fast(), lm.CentredConfig.full()
    assert full.p > fast.p and full.width > fast.width and full.cost().flops > fast.cost().flops
    assert fast.grok().model == "quadratic" and fast.grok().weight_decay == 0.0


def test_random_labels_are_fixed_in_range_and_not_the_rule():
    from dltheory.grokking import lazy_rich_modular as lm

    labels = lm.random_labels(23)
    assert labels.shape == (23 * 23,) and labels.min() >= 0 and labels.max() < 23
    assert np.array_equal(labels, lm.random_labels(23))
    assert np.mean(labels == gd.modular_addition(23)["c"]) < 0.2   # about 1/p agree by chance
    with pytest.raises(ValueError):
        lm.random_labels(24)


def test_delay_is_infinite_where_a_run_never_fits_or_generalises():
    from dltheory.grokking import lazy_rich_modular as lm

    d = lm.delay([[100.0, 100.0, np.inf]], [[400.0, np.inf, np.inf]])
    assert d[0, 0] == 300.0 and np.isinf(d[0, 1]) and np.isinf(d[0, 2])
    with pytest.raises(ValueError):
        lm.delay([1.0, 2.0], [1.0])


def test_at_step_reads_each_curve_at_its_own_fit_step():
    """lazy-rich-centred-moved-at-fit and its 2-of-3 successor -most read the distance at t_fit, not at
    the end of the budget."""
    from dltheory.grokking import lazy_rich_modular as lm

    steps = np.array([0.0, 50.0, 100.0, 150.0])
    curves = np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 0.5, 1.0, 1.5]])
    got = lm.at_step(steps, curves, np.array([50.0, np.inf]))
    assert got[0] == 1.0 and np.isnan(got[1])
    np.testing.assert_array_equal(lm.at_step(steps, curves, np.array([150.0, 100.0])), [3.0, 1.0])
    with pytest.raises(ValueError, match="evaluation steps"):
        lm.at_step(steps, curves, np.array([60.0, 50.0]))
    with pytest.raises(ValueError, match="shape"):
        lm.at_step(steps, curves[:, :3], np.array([50.0, 50.0]))


def test_centred_sweep_first_step_moves_the_weights_one_over_alpha():
    """After one step from θ₀ the centred output is 0, the residual is −y at every α, and the loss ÷ α² makes the
    step ∝ 1/α: without the centring or the rescaling the ratio would not be 1/4."""
    from dltheory.grokking import lazy_rich_modular as lm

    cfg = lm.CentredConfig(p=7, width=16, lr=1.0, steps=1, eval_every=1, n_seeds=1)
    out = lm.centred_sweep(cfg, [1.0, 4.0], [0])
    assert out["t_fit"].shape == (1, 2, 2) and out["train_acc"].shape == (1, 2, 2, 2)
    moved = out["moved"][0]
    np.testing.assert_allclose(moved[:, 1] / moved[:, 0], 0.25, rtol=1e-3)
    assert np.all(moved > 0)
    assert out["moved_at_fit"].shape == out["t_fit"].shape   # nan where a run has not fitted in one step
    assert np.array_equal(np.isnan(out["moved_at_fit"]), ~np.isfinite(out["t_fit"]))
    with pytest.raises(ValueError):
        lm.centred_sweep(cfg, [4.0, 1.0], [0])
    with pytest.raises(ValueError):
        lm.centred_sweep(gm.GrokConfig.fast(), [1.0, 4.0], [0])
