"""Fuzzing the chapter modules' public functions with hypothesis (issue 10).

Each function in ``SPECS`` gets arguments drawn from strategies that mix sensible values with the
worst ones (NaN, ±inf, zero, negative, empty, wrong shapes). It must either return a result without a
NaN in it, or raise ValueError: never another exception, never a NaN returned silently. Infinities are
allowed where a function documents them (for example ``pmi`` of an unseen pair, ``first_step`` never
reached). Experiments with seeds are covered by tests/test_determinism.py and the chapter tests.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dltheory import embeddings as E
from dltheory import information as I
from dltheory import information_codes as IC
from dltheory import information_plane as IP
from dltheory import overfitting as O
from dltheory import scaling as S
from dltheory.grokking import acceleration_and_sign_flips as G4
from dltheory.grokking import data as GD
from dltheory.grokking import fourier_circuit as G2
from dltheory.grokking import memorise_then_generalise as G1
from dltheory.grokking import training as GT

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WORST = [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e308, -1e-308, 5e-324]
real = st.one_of(st.floats(-10, 10), st.floats(1e-6, 1e6), st.sampled_from(WORST))
positive = st.one_of(st.floats(1e-3, 1e3), st.sampled_from(WORST))
prob = st.one_of(st.floats(0, 1), st.sampled_from(WORST + [1.0, 1.5]))
integer = st.one_of(st.integers(-3, 12), st.sampled_from([0, 2**40]))
prime = st.sampled_from([0, 1, 2, 3, 4, 5, 7, 9, 11, 13])
elements = st.one_of(st.floats(-10, 10, width=64), st.floats(0.01, 100, width=64), st.sampled_from(WORST))


def arrays(min_dims: int, max_dims: int, side: int = 6) -> st.SearchStrategy:
    return hnp.arrays(np.float64, hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=side),
                      elements=elements)


def matched(n_min: int = 0, side: int = 8) -> st.SearchStrategy:
    """Two 1-D arrays of one length (most draws), sometimes of different lengths."""
    return st.integers(n_min, side).flatmap(lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=elements),
        st.one_of(hnp.arrays(np.float64, n, elements=elements), arrays(1, 1))))


def square(side: int = 6) -> st.SearchStrategy:
    return st.integers(0, side).flatmap(lambda n: st.one_of(hnp.arrays(np.float64, (n, n), elements=elements),
                                                           arrays(2, 2)))


counts = st.integers(1, 6).flatmap(lambda n: hnp.arrays(np.float64, (n, n), elements=st.one_of(
    st.integers(0, 1000).map(float), st.sampled_from(WORST))))
questions = hnp.arrays(np.int64, st.tuples(st.integers(0, 4), st.sampled_from([4, 3])), elements=st.integers(-1, 7))
labels = hnp.arrays(np.int64, st.integers(0, 20), elements=st.integers(-1, 4))

# name → (function, strategy of its positional arguments)
SPECS = {
    # chapter 1
    "scaling.power_law": (S.power_law, st.tuples(arrays(0, 1), real, real, real)),
    "scaling.fit_power_law": (S.fit_power_law, matched(0, 12)),
    "scaling.fit_loglinear": (S.fit_loglinear, matched()),
    "scaling.fit_exponent": (S.fit_exponent, matched()),
    "scaling.zipf": (S.zipf, st.tuples(real, integer.filter(lambda k: k < 10**5))),
    "scaling.power_spectrum": (S.power_spectrum, st.tuples(real, integer.filter(lambda k: k < 10**5))),
    "scaling.eigenlearning_risk": (S.eigenlearning_risk, st.tuples(arrays(1, 1), arrays(1, 1))),
    "scaling.chinchilla_loss": (lambda n, d: S.chinchilla_loss(n, d, S.CHINCHILLA), st.tuples(arrays(0, 1), arrays(0, 1))),
    "scaling.compute_optimal": (lambda c: S.compute_optimal(c, S.CHINCHILLA), st.tuples(arrays(0, 1))),
    "scaling.exponent_a": (lambda a, b: S.exponent_a({**S.CHINCHILLA, "alpha": a, "beta": b}), st.tuples(real, real)),
    # chapter 2
    "overfitting.ridgeless_risk": (O.ridgeless_risk, st.tuples(arrays(0, 1))),
    "overfitting.ridge_risk": (O.ridge_risk, st.tuples(arrays(0, 1), real)),
    "overfitting.optimal_ridge": (O.optimal_ridge, st.tuples(arrays(0, 1))),
    "overfitting.effective_ranks": (O.effective_ranks, st.tuples(arrays(1, 1))),
    "overfitting.bllt_conditions": (O.bllt_conditions, st.tuples(arrays(1, 1), integer)),
    "overfitting.min_norm_fit": (O.min_norm_fit, st.tuples(arrays(2, 2), arrays(1, 1))),
    "overfitting.nearest_neighbour_predict": (O.nearest_neighbour_predict, st.tuples(arrays(2, 2), arrays(1, 1), arrays(2, 2))),
    "overfitting.peak_index": (O.peak_index, st.tuples(arrays(1, 2))),
    "overfitting.largest_rise": (O.largest_rise, st.tuples(arrays(1, 2))),
    "overfitting.max_relative_increase": (O.max_relative_increase, st.tuples(arrays(1, 2))),
    "overfitting.interpolation_width": (O.interpolation_width, matched()),
    "overfitting.spectrum": (O.spectrum, st.tuples(st.sampled_from(["isotropic", "spiked", "power", "nope"]), integer)),
    # chapter 3
    "grokking.training.first_step": (GT.first_step, st.tuples(arrays(1, 1), arrays(1, 2), real)),
    "grokking.fourier_circuit.fourier_basis": (G2.fourier_basis, st.tuples(prime)),
    "grokking.fourier_circuit.fourier_power": (G2.fourier_power, st.tuples(arrays(2, 2), prime)),
    "grokking.fourier_circuit.top_share": (G2.top_share, st.tuples(arrays(1, 2), integer)),
    "grokking.fourier_circuit.key_frequencies": (G2.key_frequencies, st.tuples(arrays(1, 1), integer)),
    "grokking.memorise_then_generalise.rank_correlation": (G1.rank_correlation, matched()),
    "grokking.acceleration_and_sign_flips.sign_flips": (G4.sign_flips, st.tuples(arrays(1, 3))),
    "grokking.acceleration_and_sign_flips.filter_gain": (lambda w, a, l: G4.filter_gain(w, a, l, steps=50), st.tuples(arrays(0, 1), prob, real)),
    "grokking.data.modular_addition": (GD.modular_addition, st.tuples(prime)),
    # chapter 4
    "embeddings.pmi": (E.pmi, st.tuples(st.one_of(counts, square()))),
    "embeddings.analogy_predictions": (E.analogy_predictions, st.tuples(arrays(2, 2, side=8), questions)),
    "embeddings.paraphrase_error": (E.paraphrase_error, st.tuples(square(8), questions)),
    "embeddings.isotropy": (E.isotropy, st.tuples(arrays(2, 2))),
    "embeddings.mean_cosine": (E.mean_cosine, st.tuples(arrays(2, 2))),
    "embeddings.all_but_the_top": (E.all_but_the_top, st.tuples(arrays(2, 2), integer)),
    "embeddings.procrustes_error": (E.procrustes_error, st.tuples(arrays(2, 2), arrays(2, 2))),
    "embeddings.svd_embeddings": (E.svd_embeddings, st.tuples(square(), integer)),
    "embeddings.auc": (E.auc, matched()),
    "embeddings.linear_fit": (E.linear_fit, matched()),
    "embeddings.similarity_correlation": (E.similarity_correlation, st.tuples(arrays(2, 2), square())),
    "embeddings.qwem_target": (E.qwem_target, st.tuples(st.one_of(counts, square()), integer)),
    # chapter 5
    "information.binned_mi": (I.binned_mi, st.tuples(arrays(1, 2), arrays(1, 2), integer)),
    "information.ksg_mi": (I.ksg_mi, st.tuples(arrays(1, 2, side=12), arrays(1, 2, side=12), integer)),
    "information.coding_rate": (I.coding_rate, st.tuples(arrays(1, 3), real)),
    "information.rate_reduction": (I.rate_reduction, st.tuples(arrays(2, 2), labels, real, integer)),
    "information.rate_reduction_max": (I.rate_reduction_max, st.tuples(arrays(1, 1), arrays(1, 1), integer, real)),
    "information.principal_angles": (I.principal_angles, st.tuples(arrays(2, 2), arrays(2, 2))),
    "information_codes.kl_bernoulli": (IC.kl_bernoulli, st.tuples(arrays(0, 1), arrays(0, 1))),
    "information_codes.kl_inverse": (IC.kl_inverse, st.tuples(prob, real)),
    "information_codes.pac_bayes_bound": (IC.pac_bayes_bound, st.tuples(prob, real, integer)),
    "information_codes.occam_bound": (IC.occam_bound, st.tuples(prob, real, integer)),
    "information_codes.laplace_codelength": (IC.laplace_codelength, st.tuples(labels, integer, integer)),
    "information_codes.entropy_code_bits": (IC.entropy_code_bits, st.tuples(labels, integer)),
    "information_plane.layer_entropy": (IP.layer_entropy, st.tuples(arrays(1, 3), integer)),
    "information_plane.compression": (IP.compression, st.tuples(arrays(1, 2))),
    "information_plane.rank_correlation": (IP.rank_correlation, matched()),
}


def nans(obj) -> bool:
    """True if ``obj`` (arrays, numbers, mappings, sequences, dataclasses) holds a NaN anywhere."""
    if isinstance(obj, (np.ndarray, jax.Array, np.generic, float, int)):
        a = np.asarray(obj)
        return a.dtype.kind in "fc" and bool(np.isnan(a).any())
    if dataclasses.is_dataclass(obj):
        return any(nans(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return any(nans(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(nans(v) for v in obj)
    return False


@pytest.mark.parametrize("name", sorted(SPECS))
def test_chapter_function_returns_no_nan_or_raises_value_error(name):
    fn, args = SPECS[name]

    @SETTINGS
    @given(args=args)
    def check(args):
        try:
            with np.errstate(all="ignore"):
                out = fn(*args)
        except ValueError:
            return
        assert not nans(out), f"{name}{tuple(np.asarray(a).tolist() if hasattr(a, 'shape') else a for a in args)} returned a NaN"

    check()


def test_nan_detector_finds_nans_everywhere():
    assert nans({"a": (1.0, np.array([0.0, np.nan]))})
    assert nans(S.PowerLawFit(E=math.nan, A=1.0, alpha=1.0, objective=0.0))
    assert not nans({"a": (1.0, np.array([0.0, np.inf]))})


def test_ridge_closed_form_is_accurate_over_its_whole_allowed_range():
    """The ranges that ridge_risk accepts are where float64 evaluation agrees with 60-digit arithmetic."""
    import mpmath
    import sympy as sp

    th = O.ridge_theory()
    exact = sp.lambdify((th.gamma, th.lam, th.sigma, th.r), th.risk, "mpmath")
    worst = 0.0
    with mpmath.workdps(60):
        for g in np.geomspace(*O.GAMMA_RANGE, 17):
            for lam in np.geomspace(*O.LAMBDA_RANGE, 21):
                ref = float(exact(mpmath.mpf(g), mpmath.mpf(lam), 1, 1))
                worst = max(worst, abs(float(O.ridge_risk(g, lam)) - ref) / ref)
    assert worst < 1e-6
    with pytest.raises(ValueError, match="gamma"):
        O.ridge_risk(O.GAMMA_RANGE[1] * 10, 1.0)
