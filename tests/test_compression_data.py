"""Tests of the epilogue's sections 3 (data) and 4 (representations): ``dltheory.compression``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dltheory.compression import data_compression as dc

TINY = dict(n_symbols=1024, batch=16, segments=4, widths=(4, 8))


# ---------------------------------------------------------------------------- §3 data: configs and bad input


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(n_symbols=2000, batch=32), "multiple of batch"),
        (dict(context=1, order=2), "at least the Markov order"),
        (dict(alphabet=64, order=3), "at most 4096 states"),
        (dict(widths=(32, 8)), "increasing"),
        (dict(lr=0.0), "lr"),
    ],
)
def test_data_config_rejects_bad_values(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dc.DataCodeConfig(**changes)


def test_data_fast_and_full_costs() -> None:
    for cfg in (dc.DataCodeConfig.fast(), dc.DataCodeConfig.full()):
        assert cfg.cost().flops > 0 and cfg.paper_scale()
    assert dc.DataCodeConfig.full().cost().flops > dc.DataCodeConfig.fast().cost().flops


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="n_bytes"):
        dc.documentation_text(10**9)
    with pytest.raises(ValueError, match="last axis sums to 1"):
        dc.markov_entropy(np.ones((3, 3)))
    with pytest.raises(ValueError, match="non-empty bytes"):
        dc.context_model_bits(b"", 1)
    with pytest.raises(ValueError, match="letter_entropy must exceed"):
        dc.structure_share(1.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="equal length"):
        dc.prequential_codes(dc.DataCodeConfig(**TINY), [b"a" * 1024], [0, 1])
    with pytest.raises(ValueError, match="DataCodeConfig"):
        dc.run({"n_symbols": 1024})


# ---------------------------------------------------------------------------- §3 data: the science


def test_markov_entropy_of_known_sources() -> None:
    # an i.i.d. source written as order 1: rate = letter entropy
    p = np.array([0.5, 0.25, 0.25])
    h = dc.markov_entropy(np.tile(p, (3, 1)))
    assert h["rate"] == pytest.approx(1.5) and h["letters"] == pytest.approx(1.5)
    # a deterministic cycle a -> b -> c -> a: rate 0, letters uniform
    cycle = np.roll(np.eye(3), 1, axis=1) * (1 - 3e-12) + 1e-12
    h = dc.markov_entropy(cycle)
    assert h["rate"] < 1e-9 and h["letters"] == pytest.approx(math.log2(3))


def test_sampled_letters_match_the_stationary_frequencies() -> None:
    P = dc.markov_source(3, 4, 2, 0.5)
    x = dc.sample_markov(3, P, 40_000)
    pi = dc._stationary(P) @ P.reshape(-1, 4)
    assert np.abs(np.bincount(x, minlength=4) / x.size - pi).max() < 0.02


def test_context_model_is_a_code_and_never_beats_the_entropy() -> None:
    # the KT probabilities of every possible next symbol sum to 1 (a proper code), checked on a short sequence
    data = b"abacabad"
    for order in (0, 1, 2):
        bits = dc.context_model_bits(data, order)
        total = 0.0
        for y in b"abcd":
            total += 2.0 ** -dc.context_model_bits(data + bytes([y]), order)[-1]
        assert total == pytest.approx(1.0)
        assert bits.shape == (len(data),)
    # on i.i.d. letters no online code beats the entropy (up to the sampling noise of 20,000 letters)
    rng = np.random.default_rng(0)
    p = np.array([0.6, 0.2, 0.1, 0.1])
    x = bytes((rng.choice(4, 20_000, p=p) + 97).astype(np.uint8).tolist())
    h = -(p * np.log2(p)).sum()
    for order in (0, 2):
        assert dc.context_model_bits(x, order).mean() > h - 0.02


def test_context_model_reaches_the_entropy_rate_of_its_class() -> None:
    P = dc.markov_source(1, 4, 1, 0.3)
    x = bytes((dc.sample_markov(1, P, 20_000) + 97).astype(np.uint8).tolist())
    rate = dc.markov_entropy(P)["rate"]
    late = dc.context_model_bits(x, 1)[10_000:].mean()
    assert rate - 0.03 < late < rate + 0.05


def test_structure_share_rejects_the_null() -> None:
    assert dc.structure_share(2.0, 2.0, 4.0) == pytest.approx(1.0)
    assert dc.structure_share(4.0, 2.0, 4.0) == pytest.approx(0.0)


def test_prequential_codes_learn_a_repeated_pattern() -> None:
    cfg = dc.DataCodeConfig(**TINY, lr=1e-2)
    out = dc.prequential_codes(cfg, [b"abcab" * 204 + b"abcd"], [0])
    bits = out["bits"][0]
    assert bits.shape == (2, cfg.n_symbols // cfg.batch)
    # the first batch costs about log2(4) bits a symbol (untrained), the last of the pattern almost nothing
    # (the very last batch holds the unseen letter d)
    assert bits[:, 0].mean() / cfg.batch > 1.0 and bits[:, -2].mean() / cfg.batch < 0.5
    assert out["untrained"][0] / cfg.n_symbols > 1.0 and out["alphabet"][0] == 4


def test_synthesis_point_reads_the_run() -> None:
    rate = np.full((3, 4, 2), 4.0)
    rate[:, 0, -1] = 2.0
    point = dc.synthesis_point({"rate": rate})
    assert point == {"section": "data", "ratio": 4.0, "kept": 1.0, "null_ratio": 2.0, "null_kept": 1.0}


# ---------------------------------------------------------------------------- §4 representations

from dltheory.compression import representations as rp  # noqa: E402


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(ranks=(1, 2, 128)), "must end at the vocabulary size"),
        (dict(ranks=(1, 16, 256)), "planted dimension"),
        (dict(ranks=(4, 2, 256)), "increasing"),
        (dict(n_tokens=10), "n_tokens"),
    ],
)
def test_rank_config_rejects_bad_values(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rp.RankConfig(**changes)


def test_rank_costs_and_scale() -> None:
    for cfg in (rp.RankConfig.fast(), rp.RankConfig.full()):
        assert cfg.cost().host_flops > 0 and cfg.paper_scale()


def test_compression_ratio_counts_the_factors() -> None:
    assert rp.compression_ratio(256, 32) == pytest.approx(256**2 / (2 * 256 * 32 + 32))
    assert rp.compression_ratio(10, 10) < 1          # full-rank factors are larger than the matrix
    with pytest.raises(ValueError, match="at most vocab_size"):
        rp.compression_ratio(10, 11)
    with pytest.raises(ValueError, match="rank"):
        rp.compression_ratio(10, 0)


def test_kept_share() -> None:
    np.testing.assert_allclose(rp.kept_share([[0.5, 1.0], [0.2, 0.4]], [1.0, 0.4]), [[0.5, 1.0], [0.5, 1.0]])
    with pytest.raises(ValueError, match="full must be positive"):
        rp.kept_share([0.5], [0.0])
    with pytest.raises(ValueError, match="RankConfig"):
        rp.rank_sweep({"dim": 32}, 0)


def test_rank_null_is_the_same_factorisation_with_its_directions_chosen_blindly() -> None:
    # at full rank the random choice takes every direction, so the null answers exactly as the factorisation does
    # (3CosAdd is blind to the order of the coordinates); at the planted rank it must fall far below
    out = rp.rank_sweep(rp.RankConfig(ranks=(4, 32, 256), n_tokens=100_000), 0)
    assert out["null_accuracy"][-1] == pytest.approx(out["accuracy"][-1])
    assert out["null_accuracy"][1] < 0.5 * out["accuracy"][1]


def test_synthesis_point_of_representations() -> None:
    cfg = rp.RankConfig(ranks=(4, 32, 256))
    res = {"cfg": cfg, "ratio": rp.compression_ratio(256, np.array(cfg.ranks)),
           "accuracy": np.array([[0.1, 0.9, 0.9]] * 3), "null_accuracy": np.array([[0.0, 0.009, 0.0]] * 3)}
    point = rp.synthesis_point(res)
    assert point["kept"] == pytest.approx(1.0) and point["null_kept"] == pytest.approx(0.01)
    assert point["ratio"] == point["null_ratio"] == pytest.approx(rp.compression_ratio(256, 32))


# ---------------------------------------------------------------------------- exercises: the checks reject wrong answers

from dltheory import selfcheck  # noqa: E402


def _entropy_rate(P: np.ndarray) -> float:
    w, vecs = np.linalg.eig(np.asarray(P).T)
    pi = np.real(vecs[:, np.argmin(np.abs(w - 1))])
    pi = pi / pi.sum()
    return float(pi @ -(P * np.log2(P)).sum(1))


def test_check_entropy_rate_accepts_the_solution_and_rejects_uniform_weights() -> None:
    dc.check_entropy_rate(_entropy_rate)
    with pytest.raises(selfcheck.WrongAnswer):   # rows weighted uniformly instead of by the stationary law
        dc.check_entropy_rate(lambda P: float(np.mean(-(P * np.log2(P)).sum(1))))
    with pytest.raises(selfcheck.WrongAnswer):   # nats instead of bits
        dc.check_entropy_rate(lambda P: _entropy_rate(P) * np.log(2))
    with pytest.raises(selfcheck.NotAnswered):
        dc.check_entropy_rate(...)


def test_check_context_hypothesis_knows_the_answer() -> None:
    text = dc.documentation_text(32768)
    holds = bool(dc.context_model_bits(text, 3).sum() < dc.context_model_bits(text, 2).sum())
    dc.check_context_hypothesis(holds)
    with pytest.raises(selfcheck.WrongAnswer):
        dc.check_context_hypothesis(not holds)
    with pytest.raises(selfcheck.WrongAnswer):
        dc.check_context_hypothesis("no")


def test_check_relative_error_accepts_eckart_young_and_rejects_others() -> None:
    def right(M: np.ndarray, k: int) -> float:
        s = np.linalg.svd(M, compute_uv=False)
        return float(np.sqrt((s[k:] ** 2).sum() / (s**2).sum()))

    rp.check_relative_error(right)
    with pytest.raises(selfcheck.WrongAnswer):   # singular values not squared
        rp.check_relative_error(lambda M, k: float(np.linalg.svd(M, compute_uv=False)[k:].sum()
                                                   / np.linalg.svd(M, compute_uv=False).sum()))
    with pytest.raises(selfcheck.WrongAnswer):   # off by one in the kept singular values
        rp.check_relative_error(lambda M, k: right(M, k + 1))


# ---------------------------------------------------------------------------- fuzzing: a result without NaN, or ValueError

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

_values = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.integers(-3, 300))
_arrays = st.one_of(_values, hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=4),
                                        elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))


def _no_nan_or_value_error(fn, *args) -> None:
    try:
        out = fn(*args)
    except ValueError:
        return
    assert not np.any(np.isnan(np.asarray(out, dtype=float))), f"{fn.__name__}{args} returned NaN"


@settings(max_examples=150, deadline=None)
@given(_arrays, _arrays, _arrays)
def test_fuzz_structure_share_and_kept_share(a, b, c) -> None:
    _no_nan_or_value_error(dc.structure_share, a, b, c)
    _no_nan_or_value_error(rp.kept_share, a, b)


@settings(max_examples=100, deadline=None)
@given(_values, _arrays)
def test_fuzz_compression_ratio(v, k) -> None:
    _no_nan_or_value_error(rp.compression_ratio, v, k)
