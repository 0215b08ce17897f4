"""Tests of the package dltheory.compression (the epilogue): one section per module."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from dltheory import selfcheck
from dltheory.compression import grokking as cg
from dltheory.compression import structure as cs
from dltheory.compression import weights as cw

# ---------------------------------------------------------------------------- declared config ranges


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: cg.GrokCompressionConfig(model="quadratic"), "model must be one of"),
        (lambda: cg.GrokCompressionConfig(k=0), r"k must be an integer in \[1, 56\]"),
        (lambda: cg.GrokCompressionConfig(k=24), r"more than p = 47"),
        (lambda: cg.GrokCompressionConfig(accuracy=0.0), "accuracy"),
        (lambda: cw.WeightsConfig(steps=150), "steps must be a multiple of 100"),
        (lambda: cw.WeightsConfig(bits=(4, 2)), "bits"),
        (lambda: cw.WeightsConfig(n_train=1790), r"n_train must be an integer in \[20, 1700\]"),
        (lambda: cw.WeightsConfig(keep=(0.5, 0.2)), "keep must be increasing"),
        (lambda: cw.WeightsConfig(keep=(0.0, 1.0)), "keep"),
        (lambda: cw.WeightsConfig(ranks=(0, 4)), "ranks"),
    ],
)
def test_configs_reject_values_out_of_range(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_configs_scale_and_cost():
    fast, full = cg.GrokCompressionConfig.fast(), cg.GrokCompressionConfig.full()
    assert fast.grok().steps == 5250 and fast.grok().model == "mlp"
    assert full.grok().model == "transformer" and full.grok().p == 113
    assert math.isclose(fast.ratio(), 47 / 11)
    assert cg.GrokCompressionConfig(length=0.03).grok().steps == 100
    for cfg in (fast, full, cw.WeightsConfig.fast(), cw.WeightsConfig.full()):
        assert cfg.cost().flops > 0 and cfg.paper_scale()
    assert cw.WeightsConfig().n_params == 64 * 64 + 64 + 64 * 10 + 10


# ---------------------------------------------------------------------------- §1 grokking


def _curves(test, kept_test, weak_test, accuracy=0.9):
    n = len(test)
    return {"steps": np.arange(n) * 50, "config": cg.GrokCompressionConfig(accuracy=accuracy),
            "test_acc": np.array(test, float)[None, None].repeat(2, 1),
            "kept_test": np.array(kept_test, float)[None, None].repeat(2, 1),
            "weak_test": np.array(weak_test, float)[None, None].repeat(2, 1)}


def test_lag_counts_evaluations_and_never_as_one_after_the_budget():
    curves = _curves([0, 0.5, 0.95, 1, 1], [0, 0, 0, 0.92, 1], [0, 0, 0, 0, 0])
    assert cg.lag(curves).tolist() == [1]
    assert cg.lag(curves, weakest=True).tolist() == [5 - 2]          # never: counted at index 5
    leading = _curves([0, 0, 0.95, 1, 1], [0, 0.91, 1, 1, 1], [0, 0, 0, 0, 0])
    assert cg.lag(leading).tolist() == [-1]


def test_compression_to_every_frequency_changes_nothing_and_to_none_breaks_the_circuit():
    from jax.flatten_util import ravel_pytree

    from dltheory.grokking.models import GrokConfig, apply_model, init_model
    from dltheory.grokking.data import modular_addition

    cfg = GrokConfig(p=7, d_model=8, d_hidden=16, steps=100)
    params = init_model(__import__("jax").random.key(0), cfg)
    flat, unravel = ravel_pytree(params)
    table = modular_addition(7)
    whole = np.asarray(apply_model(cfg, params, jnp.asarray(table["a"]), jnp.asarray(table["b"]))).argmax(1)
    everything = np.asarray(cg._compress(cfg, 3, unravel, flat, False))   # 2·3 + 1 = 7 = p dimensions: exact
    assert np.array_equal(everything, whole == table["c"])


def test_compression_curves_rejects_bad_input():
    with pytest.raises(ValueError, match="GrokCompressionConfig"):
        cg.compression_curves(cw.WeightsConfig(), [0])
    with pytest.raises(ValueError):
        cg.compression_curves(cg.GrokCompressionConfig(), [0, 0])


def test_check_ratio_rejects_wrong_answers():
    cg.check_ratio(47 / 11, 47, 5)
    with pytest.raises(selfcheck.NotAnswered):
        cg.check_ratio(..., 47, 5)
    for wrong in (47 / 5, 47 / 10, 11 / 47):
        with pytest.raises(selfcheck.WrongAnswer):
            cg.check_ratio(wrong, 47, 5)


# ---------------------------------------------------------------------------- §2 weights


def test_quantise_has_two_to_the_b_levels_and_keeps_the_extremes():
    w = jnp.linspace(-1.3, 0.7, 1001)
    for b in (1, 2, 3, 5):
        q = np.asarray(cw.quantise(w, b))
        assert len(np.unique(np.round(q, 6))) <= 2**b
        assert math.isclose(q.min(), -1.3, rel_tol=1e-6)
        assert np.max(np.abs(q - np.asarray(w))) <= 1.3 / (2**b - 1) + 1e-6    # half a step
    assert np.all(np.asarray(cw.quantise(jnp.zeros(5), 3)) == 0)
    with pytest.raises(ValueError, match="bits"):
        cw.quantise(w, 0)


def test_bits_needed_requires_every_larger_bit_count_to_keep_the_accuracy():
    bits = (1, 2, 3, 4)
    acc = np.array([[0.5, 0.96, 0.90, 0.97, 0.97],    # 2 bits passes, 3 fails: answer 4
                    [0.5, 0.6, 0.96, 0.97, 0.97],     # 3
                    [0.5, 0.5, 0.5, 0.5, 0.97]])      # never: 32
    assert cw.bits_needed(acc, bits, 0.02).tolist() == [4, 3, 32]
    with pytest.raises(ValueError, match="len"):
        cw.bits_needed(acc[:, :-1], bits, 0.02)


def test_two_part_code_counts_weights_scales_and_labels():
    cfg = cw.WeightsConfig(bits=(1, 2))
    result = {"config": cfg, "label_bits": np.zeros((1, 2, 3))}
    code = cw.two_part_code(result)
    assert code["weights"].tolist() == [cfg.n_params + 128, 2 * cfg.n_params + 128]
    assert math.isclose(code["uniform"], 1000 * math.log2(10))


def test_quantised_accuracy_on_a_tiny_config():
    cfg = cw.WeightsConfig(hidden=4, steps=100, bits=(1, 8), n_seeds=1)
    out = cw.quantised_accuracy(cfg, [0], cache=False)
    assert out["train_acc"].shape == (1, 2, 3) and np.all((out["test_acc"] >= 0) & (out["test_acc"] <= 1))
    assert abs(out["train_acc"][0, 0, 1] - out["train_acc"][0, 0, 2]) < 0.05     # 8 bits ≈ float
    point = cw.synthesis_point(out)
    assert set(point) == {"section", "ratio", "kept", "null_ratio", "null_kept"}
    with pytest.raises(ValueError, match="WeightsConfig"):
        cw.quantised_accuracy(cg.GrokCompressionConfig(), [0])


def test_check_levels_bits_rejects_wrong_answers():
    cw.check_levels_bits(4810 * 4 + 4 * 32, 4810, 4, 4)
    with pytest.raises(selfcheck.NotAnswered):
        cw.check_levels_bits(..., 4810, 4, 4)
    for wrong in (4810 * 4, 4810 * 16, 4810 * 4 + 32):
        with pytest.raises(selfcheck.WrongAnswer):
            cw.check_levels_bits(wrong, 4810, 4, 4)


def test_one_frequency_hypothesis_check_measures_and_rejects_the_wrong_answer():
    kept_one = cg.saved_kept(1)
    truth = bool(np.all(kept_one >= 0.95))
    cg.check_one_frequency_hypothesis(truth)
    with pytest.raises(selfcheck.WrongAnswer):
        cg.check_one_frequency_hypothesis(not truth)
    with pytest.raises(selfcheck.NotAnswered):
        cg.check_one_frequency_hypothesis(...)
    assert np.all(cg.saved_kept(5) >= kept_one - 1e-9)      # more frequencies never keep less here


# ---------------------------------------------------------------------------- §5 synthesis


def test_synthesis_collects_every_listed_section_and_checks_its_keys(monkeypatch):
    from dltheory.compression import synthesis as cs

    good = {"section": "x", "ratio": 4.0, "kept": 1.0, "null_ratio": 4.0, "null_kept": 0.2}
    monkeypatch.setattr(cs, "SECTIONS", {"a": lambda: good, "b": lambda: good | {"kept": 0.9}})
    points = cs.collect(cs.SynthesisConfig())
    assert [p["kept"] for p in points] == [1.0, 0.9]
    monkeypatch.setattr(cs, "SECTIONS", {"a": lambda: {"section": "x", "ratio": 2.0}})
    with pytest.raises(ValueError, match="synthesis_point must return the keys"):
        cs.collect(cs.SynthesisConfig())
    with pytest.raises(ValueError, match="SynthesisConfig"):
        cs.collect(cw.WeightsConfig())
    with pytest.raises(ValueError, match="at least one"):
        cs.draw(None, [])


def test_synthesis_lists_the_sections_of_this_branch(monkeypatch):
    from dltheory.compression import synthesis as cs

    # each section's point is read with its own page's seeds, in either mode (full mode: §2 has 10 seeds, §1 three)
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    monkeypatch.setenv("DLTHEORY_SEED", "5")
    assert cs._seeds(cw.WeightsConfig) == list(range(5, 5 + cw.WeightsConfig.full().n_seeds))
    assert cs._seeds(cg.GrokCompressionConfig) == list(range(5, 5 + cg.GrokCompressionConfig.full().n_seeds))
    monkeypatch.delenv("DLTHEORY_MODE")

    assert list(cs.SECTIONS)[:2] == ["grokking", "weights"]
    assert cs.SynthesisConfig.fast().cost().flops > cg.GrokCompressionConfig.fast().cost().flops


def test_check_point_rejects_the_first_passage_answer():
    from dltheory.compression import synthesis as cs

    bits = (1, 2, 3, 4, 5, 6, 7, 8)
    acc = np.array([0.41, 0.95, 0.88, 0.955, 0.962, 0.96, 0.961, 0.961, 0.962])
    cs.check_point((8.0, 0.955 / 0.962), acc, bits, 0.02)
    with pytest.raises(selfcheck.NotAnswered):
        cs.check_point(..., acc, bits, 0.02)
    for wrong in ((16.0, 0.95 / 0.962), (8.0, 0.955), (4.0, 0.955 / 0.962)):
        with pytest.raises(selfcheck.WrongAnswer):
            cs.check_point(wrong, acc, bits, 0.02)


def test_bits_gap_subtracts_the_grokked_networks_bits_from_the_memorisers():
    cfg = cg.GrokCompressionConfig(bits=(1, 2, 3, 4))
    train = np.array([[[0.2, 0.5, 0.99, 1.0, 1.0],     # grokked: 3 bits
                       [0.1, 0.2, 0.5, 0.99, 1.0]]])   # memorised: 4 bits
    test = np.array([[[0.1, 0.4, 0.97, 0.99, 0.99],    # grokked, test pairs: 3 bits
                      [0.0, 0.0, 0.0, 0.0, 0.0]]])
    gap, null = cg.bits_gap({"config": cfg, "bits_train": train, "bits_test": test})
    assert gap.tolist() == [1] and null.tolist() == [0]
    # the null can meet a bar: test pairs that need 4 bits where the fit needs 3 give a null gap of 1
    fragile = test.copy()
    fragile[0, 0, 2] = 0.9
    _, null = cg.bits_gap({"config": cfg, "bits_train": train, "bits_test": fragile})
    assert null.tolist() == [1]


# ---------------------------------------------------------------------------- §2 low rank and pruning


def test_low_rank_is_the_truncated_svd():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(12, 7))
    for r in (1, 3, 7):
        cut = np.asarray(cs.low_rank(jnp.asarray(w), r))
        assert np.linalg.matrix_rank(cut, tol=1e-4) == r
        s = np.linalg.svd(w, compute_uv=False)
        assert math.isclose(np.linalg.norm(w - cut), math.sqrt(float(np.sum(s[r:] ** 2))), rel_tol=1e-4, abs_tol=1e-5)
    with pytest.raises(ValueError, match="matrix"):
        cs.low_rank(jnp.ones(3), 1)


def test_prune_keeps_the_largest_share():
    w = jnp.asarray(np.arange(1.0, 11.0) * np.array([1, -1] * 5)).reshape(2, 5)
    kept = np.asarray(cs.prune(w, 0.3))
    assert np.count_nonzero(kept) == 3 and set(np.abs(kept[kept != 0])) == {8.0, 9.0, 10.0}
    assert np.count_nonzero(np.asarray(cs.prune(w, 1e-6))) == 1
    with pytest.raises(ValueError, match="keep"):
        cs.prune(w, 1.5)


def test_smallest_kept_needs_every_larger_point():
    grid = (1, 2, 4)
    acc = np.array([[0.5, 0.95, 0.99, 1.0], [0.99, 0.5, 0.99, 1.0], [0.5, 0.5, 0.5, 1.0]])
    assert list(cs.smallest_kept(acc, grid, 0.02)) == [4.0, 4.0, np.inf]
    assert list(cs.smallest_kept(acc, grid, 0.06)) == [2.0, 4.0, np.inf]
    with pytest.raises(ValueError, match="len"):
        cs.smallest_kept(acc[:, :3], grid, 0.02)


def test_description_bits_count_factors_and_indices():
    shapes, biases = [(64, 64), (64, 10)], 74
    assert cs.description_bits("rank", 16, shapes, biases) == 32 * (16 * 128 + 640 + 74)  # the 64x10 sent whole
    assert cs.description_bits("rank", 2, shapes, biases) == 32 * (2 * 128 + 2 * 74 + 74)
    assert cs.description_bits("rank", np.inf, shapes, biases) == 32 * (4096 + 640 + 74)
    pruned = cs.description_bits("prune", 0.5, shapes, biases)
    assert pruned == 2048 * (32 + 12) + 320 * (32 + 10) + 32 * 74
    assert cs.description_bits("prune", 0.9, shapes, biases) == 32 * (4096 + 640 + 74)  # uncut is cheaper
    with pytest.raises(ValueError, match="method"):
        cs.description_bits("svd", 1, shapes, biases)


# ---------------------------------------------------------------------------- §4 coding-rate view


def test_relation_rate_ratio_meets_its_closed_form_and_its_null():
    from dltheory.compression import representations as rp

    K, per, d = 4, 16, 32
    labels = np.repeat(np.arange(K), per)
    emb = np.zeros((2 * K * per, d))                        # word 2i + 1 = word 2i + its relation's axis
    emb[1::2, :K] = np.eye(K)[labels]
    pairs = np.stack([np.arange(0, 2 * K * per, 2), np.arange(1, 2 * K * per, 2)], 1)
    even = np.stack([np.roll(np.tile(np.arange(K), per), s) for s in range(K)])  # groups mixing every relation evenly
    assert math.isclose(rp.relation_rate_ratio(emb, pairs, labels, even), float(rp.parallel_ratio(K, d)), rel_tol=1e-4)
    assert math.isclose(float(rp.parallel_ratio(4, 32)), math.log(65) / (4 * math.log(17)), rel_tol=1e-12)
    assert math.isclose(rp.relation_rate_ratio(emb, pairs, labels, labels[None]), 1.0, rel_tol=1e-6)
    noise = np.random.default_rng(0).normal(size=emb.shape)
    shuffles = np.stack([np.random.default_rng(i).permutation(labels) for i in range(8)])
    assert 0.9 < rp.relation_rate_ratio(noise, pairs, labels, shuffles) < 1.1
    with pytest.raises(ValueError, match="n_groups"):
        rp.parallel_ratio(0, 32)


def test_memorisation_snapshot_reads_the_first_fit_of_the_weight_decay_run():
    train = np.array([[[0.5, 0.995, 1.0, 1.0], [0.9, 1.0, 1.0, 1.0]], [[0.5, 0.6, 0.7, 0.8], [1.0, 1.0, 1.0, 1.0]]])
    kept_train = np.array([[[0.1, 0.2, 0.6, 1.0], [0.1, 0.1, 0.1, 0.1]], [[0.3, 0.4, 0.5, 0.9], [0.0, 0.0, 0.0, 0.0]]])
    curves = {"train_acc": train, "kept_train": kept_train}
    assert list(cg.memorisation_snapshot(curves)) == [0.2, 0.9]       # the second never fits: its last evaluation
    assert list(cg.memorisation_snapshot(curves, fit=0.5)) == [0.1, 0.3]
    with pytest.raises(ValueError, match="fit"):
        cg.memorisation_snapshot(curves, fit=1.5)


def test_check_rank_bits_rejects_wrong_answers():
    shapes = [(64, 64), (64, 10)]
    cs.check_rank_bits(32 * (16 * 128 + 640 + 74), 16, shapes, 74)
    with pytest.raises(selfcheck.NotAnswered):
        cs.check_rank_bits(..., 16, shapes, 74)
    for wrong in (32 * (16 * 128 + 10 * 74 + 74), 32 * (16 * 128 + 16 * 74 + 74), 32 * (16 * 128 + 640), 16 * 202):
        with pytest.raises(selfcheck.WrongAnswer):
            cs.check_rank_bits(wrong, 16, shapes, 74)


def test_check_parallel_ratio_rejects_wrong_answers():
    from dltheory.compression import representations as rp

    rp.check_parallel_ratio(math.log(65) / (4 * math.log(17)), 4, 32)
    with pytest.raises(selfcheck.NotAnswered):
        rp.check_parallel_ratio(..., 4, 32)
    for wrong in (math.log(65) / math.log(17), 1 / 4, math.log(33) / (4 * math.log(9)), 1.0):
        with pytest.raises(selfcheck.WrongAnswer):
            rp.check_parallel_ratio(wrong, 4, 32)


# ---------------------------------------------------------------------------- §6 benign overfitting


def test_interpolator_config_ranges():
    from dltheory.compression import benign_overfitting as ci

    for make, message in [
        (lambda: ci.InterpolatorConfig(p=101), "must exceed n"),
        (lambda: ci.InterpolatorConfig(ks=(1, 5, 50)), "must end at n"),
        (lambda: ci.InterpolatorConfig(k_claim=3), "k_claim"),
        (lambda: ci.InterpolatorConfig(sigma=0.0), "sigma"),
    ]:
        with pytest.raises(ValueError, match=message):
            make()
    with pytest.raises(ValueError, match="InterpolatorConfig"):
        ci.run(cg.GrokCompressionConfig.fast())


def test_projected_risks_reuse_chapter_2_data_and_meet_the_isotropic_closed_form():
    from dltheory.compression import benign_overfitting as ci
    from dltheory.overfitting import benign_linear as bl

    eigs = bl.spectrum("spiked", 120)
    full = ci.projected_risks(3, eigs, 40, [40], sigma=0.5, reps=4)[:, 0]
    np.testing.assert_allclose(full, bl.min_norm_excess_risk(3, eigs, 40, sigma=0.5, reps=4), rtol=1e-10)
    iso = ci.projected_risks(0, np.ones(120), 40, [5, 40], sigma=0.5, reps=64).mean(0)
    assert abs(iso[1] / ci.isotropic_risk(40, 120, 0.5) - 1) < 0.1
    assert iso[0] > 1.15 * iso[1]  # the null's cut loses what was learned


def test_check_projection_rejects_wrong_answers():
    from dltheory.compression import benign_overfitting as ci

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((10, 30)), rng.standard_normal(10)
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    right = vt[:3].T @ ((u.T[:3] @ y) / s[:3])
    ci.check_projection(right, x, y, 3)
    with pytest.raises(selfcheck.NotAnswered):
        ci.check_projection(..., x, y, 3)
    full = x.T @ np.linalg.solve(x @ x.T, y)
    for wrong in (full, vt[:3].T @ (u.T[:3] @ y), vt[-3:].T @ ((u.T[-3:] @ y) / s[-3:])):
        with pytest.raises(selfcheck.WrongAnswer):
            ci.check_projection(wrong, x, y, 3)
