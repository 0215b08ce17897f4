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

from dltheory.embeddings import analogies as EA
from dltheory.embeddings import corpus as EC
from dltheory.embeddings import geometry as EG
from dltheory.embeddings import rand_walk as ER
from dltheory.embeddings import sgns_factorises_pmi as ES
from dltheory.embeddings import solvable_word2vec as EW
from dltheory.scaling import common as SC
from dltheory.scaling import compute_optimal as SCO
from dltheory.scaling import fitting as SF
from dltheory.scaling import quanta as SQ
from dltheory.scaling import spectrum as SS
from dltheory.overfitting import benign_linear as OBL
from dltheory.overfitting import common as OC
from dltheory.overfitting import deep_double_descent as ODD
from dltheory.overfitting import nearest_neighbours as ONN
from dltheory.overfitting import optimal_ridge as OOR
from dltheory.overfitting import random_features as ORF
from dltheory.overfitting import ridgeless as ORL
from dltheory.overfitting import tempered as OTP
from dltheory.information import cmi_bounds as CMI
from dltheory.information import coding_rate as MCR
from dltheory.information import description_length as MDL
from dltheory.information import estimating_mi as MI
from dltheory.information import information_plane as IP
from dltheory.information import pac_bayes as PB
from dltheory.grokking import acceleration_and_sign_flips as G4
from dltheory.grokking import data as GD
from dltheory.grokking import fourier_circuit as G2
from dltheory.grokking import lazy_to_rich as G8
from dltheory.grokking import softmax_collapse as G6
from dltheory.grokking import memorise_then_generalise as G1
from dltheory.grokking import training as GT
from dltheory.compression import weights as CW

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
    "scaling.fitting.power_law": (SF.power_law, st.tuples(arrays(0, 1), real, real, real)),
    "scaling.fitting.fit_power_law": (SF.fit_power_law, matched(0, 12)),
    "scaling.fitting.fit_loglinear": (SF.fit_loglinear, matched()),
    "scaling.common.fit_exponent": (SC.fit_exponent, matched()),
    "scaling.quanta.zipf": (SQ.zipf, st.tuples(real, integer.filter(lambda k: k < 10**5))),
    "scaling.spectrum.power_spectrum": (SS.power_spectrum, st.tuples(real, integer.filter(lambda k: k < 10**5))),
    "scaling.spectrum.eigenlearning_risk": (SS.eigenlearning_risk, st.tuples(arrays(1, 1), arrays(1, 1))),
    "scaling.compute_optimal.chinchilla_loss": (lambda n, d: SCO.chinchilla_loss(n, d, SCO.CHINCHILLA),
                                                st.tuples(arrays(0, 1), arrays(0, 1))),
    "scaling.compute_optimal.compute_optimal": (lambda c: SCO.compute_optimal(c, SCO.CHINCHILLA), st.tuples(arrays(0, 1))),
    "scaling.compute_optimal.exponent_a": (lambda a, b: SCO.exponent_a({**SCO.CHINCHILLA, "alpha": a, "beta": b}),
                                           st.tuples(real, real)),
    # chapter 2
    "overfitting.ridgeless.ridgeless_risk": (ORL.ridgeless_risk, st.tuples(arrays(0, 1))),
    "overfitting.ridgeless.ridge_risk": (ORL.ridge_risk, st.tuples(arrays(0, 1), real)),
    "overfitting.ridgeless.finite_ridgeless_risk": (ORL.finite_ridgeless_risk, st.tuples(integer, integer)),
    "overfitting.tempered.eigenlearning": (OTP.eigenlearning, st.tuples(arrays(1, 1), integer)),
    "overfitting.optimal_ridge.optimal_ridge": (OOR.optimal_ridge, st.tuples(arrays(0, 1))),
    "overfitting.benign_linear.effective_ranks": (OBL.effective_ranks, st.tuples(arrays(1, 1))),
    "overfitting.benign_linear.bllt_conditions": (OBL.bllt_conditions, st.tuples(arrays(1, 1), integer)),
    "overfitting.random_features.min_norm_fit": (ORF.min_norm_fit, st.tuples(arrays(2, 2), arrays(1, 1))),
    "overfitting.nearest_neighbours.nearest_neighbour_predict": (ONN.nearest_neighbour_predict,
                                                                 st.tuples(arrays(2, 2), arrays(1, 1), arrays(2, 2))),
    "overfitting.deep_double_descent.peak_index": (ODD.peak_index, st.tuples(arrays(1, 2))),
    "overfitting.deep_double_descent.largest_rise": (ODD.largest_rise, st.tuples(arrays(1, 2))),
    "overfitting.common.max_relative_increase": (OC.max_relative_increase, st.tuples(arrays(1, 2))),
    "overfitting.deep_double_descent.interpolation_width": (ODD.interpolation_width, matched()),
    "overfitting.benign_linear.spectrum": (OBL.spectrum, st.tuples(st.sampled_from(["isotropic", "spiked", "power", "nope"]),
                                                                   integer)),
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
    "grokking.softmax_collapse.collapse_margin": (G6.collapse_margin, st.tuples(integer, integer)),
    "grokking.lazy_to_rich.log_slope": (G8.log_slope, st.tuples(arrays(1, 1), arrays(1, 2))),
    # chapter 4
    "embeddings.corpus.pmi": (EC.pmi, st.tuples(st.one_of(counts, square()))),
    "embeddings.geometry.analogy_predictions": (EG.analogy_predictions, st.tuples(arrays(2, 2, side=8), questions)),
    "embeddings.analogies.paraphrase_error": (EA.paraphrase_error, st.tuples(square(8), questions)),
    "embeddings.sgns_factorises_pmi.isotropy": (ES.isotropy, st.tuples(arrays(2, 2))),
    "embeddings.sgns_factorises_pmi.mean_cosine": (ES.mean_cosine, st.tuples(arrays(2, 2))),
    "embeddings.sgns_factorises_pmi.all_but_the_top": (ES.all_but_the_top, st.tuples(arrays(2, 2), integer)),
    "embeddings.rand_walk.procrustes_error": (ER.procrustes_error, st.tuples(arrays(2, 2), arrays(2, 2))),
    "embeddings.geometry.svd_embeddings": (EG.svd_embeddings, st.tuples(square(), integer)),
    "embeddings.analogies.auc": (EA.auc, matched()),
    "embeddings.geometry.linear_fit": (EG.linear_fit, matched()),
    "embeddings.sgns_factorises_pmi.similarity_correlation": (ES.similarity_correlation, st.tuples(arrays(2, 2), square())),
    "embeddings.solvable_word2vec.qwem_target": (EW.qwem_target, st.tuples(st.one_of(counts, square()), integer)),
    # chapter 5
    "information.estimating_mi.binned_mi": (MI.binned_mi, st.tuples(arrays(1, 2), arrays(1, 2), integer)),
    "information.estimating_mi.plugin_bias_cells": (MI.plugin_bias_cells, st.tuples(integer, integer)),
    "information.estimating_mi.ksg_mi": (MI.ksg_mi, st.tuples(arrays(1, 2, side=12), arrays(1, 2, side=12), integer)),
    "information.cmi_bounds.plugin_mi": (CMI.plugin_mi, matched()),
    "information.coding_rate.coding_rate": (MCR.coding_rate, st.tuples(arrays(1, 3), real)),
    "information.coding_rate.rate_reduction": (MCR.rate_reduction, st.tuples(arrays(2, 2), labels, real, integer)),
    "information.coding_rate.rate_reduction_max": (MCR.rate_reduction_max, st.tuples(arrays(1, 1), arrays(1, 1), integer, real)),
    "information.coding_rate.principal_angles": (MCR.principal_angles, st.tuples(arrays(2, 2), arrays(2, 2))),
    "information.pac_bayes.kl_bernoulli": (PB.kl_bernoulli, st.tuples(arrays(0, 1), arrays(0, 1))),
    "information.pac_bayes.kl_inverse": (PB.kl_inverse, st.tuples(prob, real)),
    "information.pac_bayes.pac_bayes_bound": (PB.pac_bayes_bound, st.tuples(prob, real, integer)),
    "information.pac_bayes.occam_bound": (PB.occam_bound, st.tuples(prob, real, integer)),
    "information.description_length.laplace_codelength": (MDL.laplace_codelength, st.tuples(labels, integer, integer)),
    "information.pac_bayes.entropy_code_bits": (PB.entropy_code_bits, st.tuples(labels, integer)),
    "information.information_plane.layer_entropy": (IP.layer_entropy, st.tuples(arrays(1, 3), integer)),
    "information.information_plane.compression": (IP.compression, st.tuples(arrays(1, 2))),
    "information.information_plane.rank_correlation": (IP.rank_correlation, matched()),
    # epilogue
    "compression.weights.quantise": (CW.quantise, st.tuples(arrays(0, 2), integer)),
    "compression.weights.bits_needed": (CW.bits_needed, st.tuples(arrays(0, 2, side=4), st.just((1, 2, 3)), real)),
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
    assert nans(SF.PowerLawFit(E=math.nan, A=1.0, alpha=1.0, objective=0.0))
    assert not nans({"a": (1.0, np.array([0.0, np.inf]))})


def test_ridge_closed_form_is_accurate_over_its_whole_allowed_range():
    """The ranges that ridge_risk accepts are where float64 evaluation agrees with 60-digit arithmetic."""
    import mpmath
    import sympy as sp

    th = ORL.ridge_theory()
    exact = sp.lambdify((th.gamma, th.lam, th.sigma, th.r), th.risk, "mpmath")
    worst = 0.0
    with mpmath.workdps(60):
        for g in np.geomspace(*ORL.GAMMA_RANGE, 17):
            for lam in np.geomspace(*ORL.LAMBDA_RANGE, 21):
                ref = float(exact(mpmath.mpf(g), mpmath.mpf(lam), 1, 1))
                worst = max(worst, abs(float(ORL.ridge_risk(g, lam)) - ref) / ref)
    assert worst < 1e-6
    with pytest.raises(ValueError, match="gamma"):
        ORL.ridge_risk(ORL.GAMMA_RANGE[1] * 10, 1.0)
