"""Run every experiment function of the chapter modules on a tiny configuration and print a digest of each result.

``python tests/determinism_probe.py [NAME ...]`` prints one JSON object, ``{name: sha256}``. The digest covers
every array, number and string of the result (dataclass fields, mapping entries, sequence items), except
wall-clock times. tests/test_determinism.py runs this script in two fresh processes with different
``PYTHONHASHSEED`` values and requires identical digests: same seed, bit-identical results.

``PROBES`` maps the qualified name of each experiment function (``module.function``) to a thunk that calls
it. tests/test_determinism.py also checks that every public function of the chapter modules that takes a
``seed``, ``seeds`` or ``key`` argument is probed here, or listed in ``EXEMPT`` with a reason.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from dltheory import warmup as W
from dltheory.scaling import approach3 as SA3
from dltheory.scaling import compute_optimal as SCO
from dltheory.scaling import data_statistics as SDS
from dltheory.scaling import exercises as SX
from dltheory.scaling import fit_precision as SFP
from dltheory.scaling import fitting as SF
from dltheory.scaling import manifold as SMF
from dltheory.scaling import mini_chinchilla as SMC
from dltheory.scaling import isoflop_sgd as SIS
from dltheory.scaling import quanta as SQ
from dltheory.scaling import quanta_network as SQN
from dltheory.scaling import manifold_net as SMN
from dltheory.scaling import sgd as SGD
from dltheory.scaling import spectrum as SS
from dltheory.overfitting import benign_linear as OBL
from dltheory.overfitting import deep_double_descent as ODD
from dltheory.overfitting import nearest_neighbours as ONN
from dltheory.overfitting import optimal_ridge as OOR
from dltheory.overfitting import random_features as ORF
from dltheory.overfitting import exact_random_features as ORX
from dltheory.overfitting import low_dimension as OLD
from dltheory.overfitting import spline_1d as OSP
from dltheory.overfitting import max_margin_1d as OMM
from dltheory.overfitting import ridge_paths as ORP
from dltheory.overfitting import ridgeless as ORL
from dltheory.overfitting import tempered as OTP
from dltheory.overfitting import trained_networks as OTN
from dltheory.grokking import analytic_solution as G3
from dltheory.grokking import fourier_circuit as G2
from dltheory.grokking import lazy_rich_modular as G8K
from dltheory.grokking import lazy_to_rich as G8
from dltheory.grokking import memorise_then_generalise as G1
from dltheory.grokking import models as GM
from dltheory.grokking import omnigrok_digits as G5
from dltheory.grokking import training as GT
from dltheory.embeddings import analogies as EA
from dltheory.embeddings import attribute_model as EAM
from dltheory.embeddings import corpus as EC
from dltheory.embeddings import cspmi_power as ECP
from dltheory.embeddings import linear_analogies as EL
from dltheory.embeddings import rand_walk as ER
from dltheory.embeddings import real_text as ET
from dltheory.embeddings import sgns as EN
from dltheory.embeddings import sgns_factorises_pmi as ES
from dltheory.embeddings import solvable_word2vec as EW
from dltheory.embeddings import superposition as T
from dltheory.embeddings import superposition_phase as EP
from dltheory.embeddings import wikipedia as EWK
from dltheory.embeddings import word_senses as EWS
from dltheory.information import cmi_bounds as CMI
from dltheory.information import coding_rate as MCR
from dltheory.information import description_length as MDL
from dltheory.information import digits as DIGITS
from dltheory.information import estimating_mi as MI
from dltheory.information import estimator_limits as LIM
from dltheory.information import gaussian_bottleneck as GIB
from dltheory.information import information_plane as IP
from dltheory.information import models as MODELS
from dltheory.information import pac_bayes as PB
from dltheory.compression import data_compression as CDC
from dltheory.compression import representations as CRP
from dltheory.compression import benign_overfitting as CBO
from dltheory.information import compression_measured as TPC
from dltheory.compression import grokking as CG
from dltheory.compression import weights as CW

_SKIP = {"wall_time"}  # measured time: differs from run to run by design

# Functions that take a seed but are not experiments: self-checks (they call probed functions and
# return a verdict) and the widget / file helpers built on probed functions.
EXEMPT: Mapping[str, str] = {
    "scaling.exercises.check_kaplan_vs_chinchilla": "self-check over scaling.exercises.kaplan_chinchilla_data (probed)",
    "scaling.fit_precision.spread_seeds": "no random draw: arithmetic on a base seed, naming the studies",
    "scaling.mini_chinchilla.positive_control": "the §5 control over scaling.mini_chinchilla.synthetic_result (probed)",
    "scaling.data_statistics.base_seed_table": "no random draw: arithmetic on a saved record; n_seeds counts the "
                                               "runs of a base seed",
    "scaling.mini_chinchilla.control_exponents": "the §5 control's exponents over scaling.mini_chinchilla."
                                                 "synthetic_result and isoflop_minima (both probed)",
    "scaling.approach3.isoflop_points": "no random draw: its seed is an index into a result's runs "
                                        "(over scaling.mini_chinchilla.isoflop_minima, probed)",
    "scaling.isoflop_sgd.curve_exponents": "no random draw: its seeds are indices into a result's runs "
                                           "(scaling.isoflop_sgd.sgd_curves, probed)",
    "information.claims_table.silent_verdict": "no random draw: judges measured values; its seeds name the runs",
    "overfitting.benign_linear.check_benign_spectrum": "self-check over overfitting.benign_linear.min_norm_excess_risk (probed)",
    "overfitting.random_features.check_peak_moves": "self-check over overfitting.random_features.rf_experiment (probed)",
    "overfitting.optimal_ridge.risk_explorer": "widget over overfitting.ridgeless.simulate_ridge (probed)",
    "embeddings.linear_analogies.criterion_statistics": "pure given its key; probed through "
                                                        "linear_analogies.run_cspmi_criterion and cspmi_power.run_criterion",
    "embeddings.linear_analogies.criterion_result": "no random draw: stacks criterion_statistics rows and takes "
                                                    "Spearman correlations; its seeds name the rows",
    "embeddings.superposition_phase.save_shared_keys": "writes superposition_phase.train_phase_grid's phases (probed) "
                                                        "to a file",
    "information.digits.binary_digits": "data and initial weights (with an unravel function) of "
                                        "information.pac_bayes.pac_bayes_digits and compression_bound_digits (probed)",
    "compression.data_compression.draw_context_code": "widget over compression.data_compression.markov_source and "
                                                      "sample_markov (probed) and context_model_bits (no seed)",
    "grokking.analytic_solution.check_smallest_width": "self-check over analytic_solution.smallest_width (probed)",
    "grokking.fourier_circuit.save_explorer_data": "writes fourier_circuit.explorer_data (probed) to a file",
    "information.full_runs.measure": "runs a page's full-mode configuration (minutes on a CPU) through the pages' "
                                     "experiments, each probed at a small size",
    "information.full_runs.ib_gap_rounded": "the full-mode configuration of information.gaussian_bottleneck."
                                            "learn_linear_ib (probed), its products rounded deterministically",
    "compression.benign_overfitting.projection_risks": "compression.benign_overfitting.projected_risks (probed) on "
                                                       "Chapter 2's spectrum, averaged",
    "compression.benign_overfitting.run": "compression.benign_overfitting.projection_risks for every seed and covariance",
}


def digest(obj: Any) -> str:
    """SHA-256 of the data in ``obj``, walked in a fixed order."""
    h = hashlib.sha256()
    _feed(h, obj)
    return h.hexdigest()


def _feed(h: Any, obj: Any) -> None:
    if isinstance(obj, (np.ndarray, jax.Array, np.generic)):
        a = np.asarray(obj)
        h.update(f"array{a.dtype.str}{a.shape}".encode())
        h.update(np.ascontiguousarray(a).tobytes())
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        h.update(type(obj).__name__.encode())
        for f in dataclasses.fields(obj):
            if f.name not in _SKIP:
                h.update(f.name.encode())
                _feed(h, getattr(obj, f.name))
    elif isinstance(obj, Mapping):
        for k in sorted(obj, key=str):
            if k not in _SKIP:
                h.update(repr(k).encode())
                _feed(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        h.update(f"seq{len(obj)}".encode())
        for item in obj:
            _feed(h, item)
    elif obj is None or isinstance(obj, (bool, int, float, complex, str)):
        h.update(repr(obj).encode())
    else:
        raise TypeError(f"cannot digest a {type(obj).__name__}: return its arrays from the probe instead")


def _key(i: int = 0) -> jax.Array:
    return jax.random.key(i)


_CORPUS = EC.CorpusConfig(dim=8, n_filler=20, n_families=6, n_tokens=20_000, relation_noise=(0.0, 0.0, 1.0))
_GROK = GM.GrokConfig.fast().replace(p=11, d_hidden=16, steps=40, eval_every=20)
_DIGITS = G5.OmnigrokConfig.fast().replace(n_train=50, width=16, steps=40, control_steps=40, sweep_steps=40, eval_every=20)


def _power_law_data() -> tuple[np.ndarray, np.ndarray]:
    x = np.logspace(3, 6, 12)
    return x, SF.sample_power_law(_key(), x, E=1.0, A=30.0, alpha=0.4, noise=0.01)


def _bootstrap() -> Any:
    x, y = _power_law_data()
    return SF.bootstrap_power_law(_key(1), x, y, SF.fit_power_law(x, y), n_boot=10)


@functools.cache
def _isoflop() -> Any:
    return SMC.isoflop_experiment(
        SMC.IsoflopConfig(widths=(2, 4, 8), steps=40, eval_every=20, n_test=64, n_seeds=2, K=16), [0, 1], progress=False)


def _approach3_bootstrap() -> Any:
    N, D = (x.ravel() for x in np.meshgrid(np.geomspace(2, 64, 4), np.geomspace(256, 4096, 4)))
    L = 0.05 + 1.0 / N + 6.3 / np.sqrt(D) * (1 + 0.01 * np.sin(N * D))
    _, fit = SA3.approach3_exponent(N, D, L)
    return SA3.bootstrap_exponent(_key(), N, D, L, fit, n_boot=10)


def _sgns() -> Any:
    vocab, tokens = EC.planted_corpus(_key(), _CORPUS)
    return EN.train_sgns(tokens, vocab.size, EN.SGNSConfig(dim=8, steps=50, batch=256, lr=0.05), [0, 1], progress=False)


@functools.cache
def _grok_run() -> Any:
    return GT.run(_GROK, [0, 1], snapshots=True)


def _ib() -> Any:
    cfg = GIB.IBConfig(dx=2, dy=2, betas=(3.0,), steps=100, n_seeds=1)
    return GIB.learn_linear_ib(GIB.gaussian_ib_problem(0, dx=2, dy=2), cfg, [0])


PROBES: dict[str, Callable[[], Any]] = {
    # book/how-to-read: the worked example
    "warmup.noisy_power_law": lambda: W.noisy_power_law(0),
    "warmup.sgd_powerlaw": lambda: W.sgd_powerlaw(dim=32, b=1.5, c=2.0, steps=40, batch_size=4, learning_rate=0.1,
                                                  seeds=[0, 1], eval_every=10),
    # chapter 1
    "scaling.fitting.sample_power_law": lambda: _power_law_data()[1],
    "scaling.fitting.bootstrap_power_law": _bootstrap,
    "scaling.fitting.fitting_experiment": lambda: SF.fitting_experiment(
        SF.FittingConfig(n_points=12, n_boot=10, n_seeds=2), [0, 1]),
    "scaling.fitting.draw_study": lambda: SF.draw_study(SF.FittingConfig(n_points=12), 3)[0],
    "scaling.fit_precision.fit_exponents": lambda: SFP.fit_exponents(SF.FittingConfig(n_points=12), [0, 1]),
    "scaling.compute_optimal.sample_chinchilla": lambda: SCO.sample_chinchilla(
        _key(), np.array([1e8, 1e9]), np.array([1e9, 1e10]), SCO.CHINCHILLA, noise=0.01),
    "scaling.spectrum.projection_risk": lambda: SS.projection_risk(_key(), SS.power_spectrum(1.0, 128), [4, 8, 16]),
    "scaling.spectrum.spectrum_experiment": lambda: SS.spectrum_experiment(
        SS.SpectrumConfig(M=256, ns=(4, 8, 16, 32), n_seeds=2), [0, 1]),
    "scaling.quanta.quanta_loss": lambda: SQ.quanta_loss(_key(), SQ.zipf(0.5, 2048), [100.0, 1000.0]),
    "scaling.quanta.quanta_experiment": lambda: SQ.quanta_experiment(
        SQ.QuantaConfig(K=2048, Ds=(100.0, 300.0, 1000.0), n_seeds=2), [0, 1]),
    "scaling.mini_chinchilla.isoflop_experiment": _isoflop,
    "scaling.mini_chinchilla.isoflop_minima": lambda: SMC.isoflop_minima(_isoflop(), [1e5, 1e6]),
    "scaling.mini_chinchilla.seed_sweep": lambda: SMC.seed_sweep(
        SMC.IsoflopConfig(widths=(2, 4, 8), steps=40, eval_every=20, n_test=64, n_seeds=2, K=16), [0, 1]),
    "scaling.quanta_network.sparse_parity_tasks": lambda: SQN.sparse_parity_tasks(8, 8, 3, seed=0),
    "scaling.quanta_network.sparse_parity_batch": lambda: SQN.sparse_parity_batch(
        _key(), SQN.sparse_parity_tasks(8, 8, 3), SQN.subtask_frequencies(1.4, 8), 64),
    "scaling.quanta_network.sparse_parity_experiment": lambda: SQN.sparse_parity_experiment(
        SQN.SparseParityConfig(n_tasks=8, widths=(4, 8), batch=32, steps=40, eval_every=20, n_test=16, n_seeds=2),
        [0, 1], progress=False),
    "scaling.exercises.kaplan_chinchilla_data": lambda: SX.kaplan_chinchilla_data(0),
    "scaling.quanta_network.split_patterns": lambda: SQN.split_patterns(6, 0.25, seed=1),
    "scaling.isoflop_sgd.sgd_curves": lambda: SIS.sgd_curves(
        SIS.SGDIsoflopConfig(sizes=(2, 3, 4), steps=64, eval_every=16), [0, 1]).loss,
    "scaling.isoflop_sgd.sgd_tasks": lambda: [r.loss for r in SIS.sgd_tasks(
        SIS.SGDIsoflopConfig(sizes=(2, 3, 4), steps=64, eval_every=16), [0, 1], [(2.0, 0.0), (2.0, 1.0)])],
    "scaling.mini_chinchilla.synthetic_result": lambda: SMC.synthetic_result(
        SMC.IsoflopConfig(widths=(2, 4, 8), steps=40, eval_every=20), SMC.CONTROL_LAW, [0, 1]),
    "scaling.manifold.smooth_target": lambda: SMF.smooth_target(_key(), 3),
    "scaling.manifold.jump_target": lambda: SMF.jump_target(_key(), 3),
    "scaling.manifold.kink_target": lambda: SMF.kink_target(_key(), 3),
    "scaling.manifold.rough_target": lambda: SMF.rough_target(_key(), 2, octaves=3, waves_per_octave=2),
    "scaling.manifold.manifold_experiment": lambda: SMF.manifold_experiment(
        SMF.ManifoldConfig(dims=(2,), n_min=16, n_max=400, n_sizes=3, n_test=200, n_seeds=2), [0, 1]),
    "scaling.sgd.sketch": lambda: SGD.sketch(_key(), 2.0, 64, 8),
    "scaling.sgd.sgd_experiment": lambda: SGD.sgd_experiment(
        SGD.SGDConfig(K=128, Ms=(4, 8, 16), ns=(10, 20, 40), n_seeds=2, null_Ms=(4, 8, 16)), [0, 1]),
    "scaling.manifold_net.net_experiment": lambda: SMN.net_experiment(
        SMN.NetConfig(dims=(1, 2), widths=(4, 8, 16), steps=20, batch=16, n_test=128, n_seeds=1), [0]),
    "scaling.manifold_net.rough_experiment": lambda: SMN.rough_experiment(
        SMN.RoughConfig(dims=(2,), widths=(4, 8, 16), steps=20, batch=16, n_test=128, octaves=2, n_seeds=1), [0]),
    "scaling.manifold_net.interpolant_exponents": lambda: SMN.interpolant_exponents(
        SMN.RoughConfig(widths=(8, 16, 32), n_test=128, octaves=2, n_seeds=1), [0, 1]),
    "scaling.approach3.bootstrap_exponent": lambda: _approach3_bootstrap(),
    "scaling.sgd.null_allocation": lambda: SGD.null_allocation(
        SGD.SGDConfig(K=128, Ms=(4, 8, 16), ns=(10, 20, 40), n_seeds=2, null_Ms=(4, 8, 16), null_ns=(10, 20, 40)),
        [0, 1]),
    "scaling.data_statistics.sample_tokens": lambda: SDS.sample_tokens(_key(), 64, [1, 3, 10], vocab=4, beta=1.0),
    "scaling.data_statistics.horizon_experiment": lambda: SDS.horizon_experiment(
        SDS.HorizonConfig(vocab=4, betas=(1.0,), p_min=100, p_max=400, n_sizes=3, t_max=64, n_distances=8,
                          n_seeds=2), [0, 1]),
    # chapter 2
    "overfitting.ridgeless.ridgeless_experiment": lambda: ORL.ridgeless_experiment(
        ORL.RidgelessConfig(n=40, gammas=(0.5, 2.0), reps=4, n_seeds=2), [0, 1]),
    "overfitting.optimal_ridge.samplewise_experiment": lambda: OOR.samplewise_experiment(
        OOR.SamplewiseConfig(p=20, ns=(10, 30), reps=4, n_seeds=2), [0, 1]),
    "overfitting.random_features.rf_experiment": lambda: ORF.rf_experiment(
        ORF.RFConfig(ns=(60,), noises=(0.2,), n_features=(20, 60, 120), n_seeds=1), [0]),
    "overfitting.benign_linear.benign_experiment": lambda: OBL.benign_experiment(
        OBL.BenignConfig(ns=(25, 50), dim_exponent=1.5, reps=2, n_seeds=2), [0, 1]),
    "overfitting.nearest_neighbours.knn_experiment": lambda: ONN.knn_experiment(
        ONN.KNNConfig(ns=(50, 100), n_test=50, noise=0.1, a=0.5, n_seeds=2), [0, 1]),
    "overfitting.deep_double_descent.deep_experiment": lambda: ODD.deep_experiment(
        ODD.DeepConfig(n_train=40, widths=(2, 4), noises=(0.0, 0.2), steps=20, learning_rate=1e-2, n_seeds=1, eval_every=10), [0]),
    "overfitting.benign_linear.min_norm_excess_risk": lambda: OBL.min_norm_excess_risk(0, 1.0 / np.arange(1, 65), 20, reps=4),
    "overfitting.ridgeless.simulate_ridge": lambda: ORL.simulate_ridge(0, 20, 10, [0.1, 1.0], reps=4),
    "overfitting.ridgeless.threshold_pooled_risk": lambda: ORL.threshold_pooled_risk(
        ORL.RidgelessConfig(n=40, gammas=(0.85, 1.15), reps=4, n_seeds=2, threshold_reps=100), [0, 1]),
    "overfitting.tempered.noise_multiple": lambda: OTP.noise_multiple(0, 1.0 / np.arange(1, 41) ** 2, 10, reps=2),
    "overfitting.tempered.interpolation_excess": lambda: OTP.interpolation_excess(0, 50, n_test=100, reps=2),
    "overfitting.trained_networks.mixture": lambda: OTN.mixture(0, 20, 3, mu_norm=2.0, flip=0.1),
    "overfitting.low_dimension.tempered_run": lambda: OLD.tempered_run(OTN.TrainedConfig(n=20, n_test=50), [0, 1]),
    "overfitting.spline_1d.spline_prices": lambda: OSP.spline_prices([0, 1], (20, 40), mu=3.5, flip=0.1, draws=2),
    "overfitting.spline_1d.interpolant_prices": lambda: OSP.interpolant_prices(OSP.spline_error, [0, 1], (20, 40), mu=3.5, flips=3, draws=2),
    "overfitting.max_margin_1d.max_margin_prices": lambda: OMM.max_margin_prices([0, 1], (20, 40), mu=3.5, flip=0.1, draws=2),
    "overfitting.ridge_paths.ridge_path_excess": lambda: ORP.ridge_path_excess(0, 1.0 / np.arange(1, 41), 10, [0.0, 1.0], sigma=1.0, reps=2),
    "overfitting.ridge_paths.ridge_path_expected": lambda: ORP.ridge_path_expected(0, 1.0 / np.arange(1, 41), 10, [0.0, 1.0], sigma=1.0, reps=2),
    "overfitting.trained_networks.ridge_gap_expected": lambda: OTN.ridge_gap_expected(
        OTN.TrainedConfig(ridge_n=12, ridge_reps=2), [0, 1], 1.0),
    "overfitting.trained_networks.trained_experiment": lambda: OTN.trained_experiment(
        OTN.TrainedConfig(dims=(2, 20), n=20, width=8, steps=20, n_test=50, n_seeds=2, ridge_n=20, ridge_reps=1), [0, 1]),
    "overfitting.tempered.tempered_experiment": lambda: OTP.tempered_experiment(
        OTP.TemperedConfig(alphas=(2.0,), ns=(20, 40), width_ratio=4, reps=1, n_seeds=1, interp_n=50, interp_reps=1), [0]),
    "overfitting.exact_random_features.simulate_risk": lambda: ORX.simulate_risk(
        0, 10, 20, [10, 30], [1e-3, 0.1], [0.0, 0.5], reps=2, n_test=50),
    "overfitting.exact_random_features.exact_rf_experiment": lambda: ORX.exact_rf_experiment(
        ORX.ExactRFConfig(d=10, psi2=2.0, psi1s=(1.0, 2.0, 4.0), reps=2, n_test=100, n_seeds=1), [0]),
    "overfitting.exact_random_features.near_linear_peak_ratio": lambda: ORX.near_linear_peak_ratio(
        ORX.ExactRFConfig(d=10, psi2=2.0, psi1s=(1.0, 2.0, 4.0), reps=2, n_test=100, n_seeds=1), [0]),
    "overfitting.exact_random_features.tuned_curve": lambda: ORX.tuned_curve(
        ORX.ExactRFConfig(d=10, psi2=2.0, psi1s=(1.0, 2.0, 4.0), reps=2, n_test=100, n_seeds=1), [0]),
    # chapter 3
    "grokking.models.init_model": lambda: GM.init_model(_key(), _GROK),
    "grokking.training.run": _grok_run,
    "grokking.training.shared_run": lambda: GT.shared_run(_GROK, [0, 1]),
    "grokking.memorise_then_generalise.phase_grid": lambda: G1.phase_grid(_GROK, [0.4, 0.6], [0.0, 1.0], [0]),
    "grokking.analytic_solution.gromov_weights": lambda: G3.gromov_weights(_key(), 7, 20),
    "grokking.analytic_solution.smallest_width": lambda: G3.smallest_width(7, [8, 16, 32, 64], 0),
    "grokking.fourier_circuit.progress_curve": lambda: G2.progress_curve(_grok_run()),
    "grokking.fourier_circuit.explorer_data": lambda: G2.explorer_data(_grok_run()),
    "grokking.omnigrok_digits.digits_split": lambda: G5.digits_split(_DIGITS, 3),
    "grokking.omnigrok_digits.digits_init": lambda: G5.digits_init(_key(), _DIGITS, alpha=8.0),
    "grokking.omnigrok_digits.digits_run": lambda: G5.digits_run(_DIGITS, [0, 1]),
    "grokking.lazy_to_rich.scale_sweep": lambda: G8.scale_sweep(_DIGITS, [1.0, 2.0], [0]),
    "grokking.lazy_to_rich.registered_times": lambda: G8.registered_times(_DIGITS, [0]),
    "grokking.lazy_to_rich.output_scale_sweep": lambda: G8.output_scale_sweep(_GROK, [0.5, 2.0], [0]),
    "grokking.lazy_to_rich.modular_scale_sweep": lambda: G8.modular_scale_sweep(_GROK, [1.0, 2.0], [0]),
    "grokking.lazy_to_rich.scaled_init": lambda: G8.scaled_init(_GROK, 3, 2.0),
    "grokking.lazy_rich_modular.centred_sweep": lambda: G8K.centred_sweep(
        G8K.CentredConfig(p=7, width=16, steps=20, eval_every=10, n_seeds=1), [1.0, 4.0], [0]),
    # chapter 4
    "embeddings.rand_walk.isotropic_vectors": lambda: ER.isotropic_vectors(_key(), 20, 8),
    "embeddings.real_text.random_vectors": lambda: ET.random_vectors(30, 8, seed=3),
    "embeddings.sgns_factorises_pmi.untrained_vectors": lambda: ES.untrained_vectors(30, 8, 0.1, seed=3),
    "embeddings.corpus.planted_vocabulary": lambda: EC.planted_vocabulary(_key(), _CORPUS),
    "embeddings.corpus.planted_corpus": lambda: EC.planted_corpus(_key(), _CORPUS),
    "embeddings.corpus.sample_corpus": lambda: EC.sample_corpus(_key(), ER.isotropic_vectors(_key(1), 20, 8), 5000,
                                                                0.9),
    "embeddings.corpus.shuffle_corpus": lambda: EC.shuffle_corpus(_key(), np.arange(100)),
    "embeddings.rand_walk.population_pmi": lambda: ER.population_pmi(_key(), ER.isotropic_vectors(_key(1), 20, 8), 0.9,
                                                                    n_samples=4096),
    "embeddings.rand_walk.population_slopes": lambda: ER.population_slopes(_key(), [16, 32], 8, 0.9, n_samples=4096),
    "embeddings.rand_walk.run_randwalk": lambda: ER.run_randwalk(_key(), _CORPUS),
    "embeddings.rand_walk.corpus_sweep": lambda: ER.corpus_sweep(_CORPUS, [0, 1]),
    "embeddings.analogies.run_analogies": lambda: EA.run_analogies([0], _CORPUS),
    "embeddings.analogies.paraphrase_sweep": lambda: EA.paraphrase_sweep(_CORPUS, [0, 1]),
    "embeddings.rand_walk.population_slope_block": lambda: ER.population_slope_block(_key(), 64, 8, 0.9, n_keep=16,
                                                                                    n_samples=4096),
    "embeddings.linear_analogies.run_linear_analogies": lambda: EL.run_linear_analogies([0], _CORPUS,
                                                                                        min_expected=1.0),
    "embeddings.linear_analogies.run_cspmi_criterion": lambda: EL.run_cspmi_criterion(
        [0], EC.CorpusConfig(dim=8, n_filler=20, n_families=40, n_tokens=100_000)),
    "embeddings.cspmi_power.criterion_vocabulary": lambda: ECP.criterion_vocabulary(_key(), _CORPUS),
    "embeddings.cspmi_power.expected_counts": lambda: ECP.expected_counts(_key(), ER.isotropic_vectors(_key(1), 20, 8),
                                                                          5000, 0.9, 2, n_samples=4096),
    "embeddings.cspmi_power.poisson_counts": lambda: ECP.poisson_counts(_key(), np.full((6, 6), 3.0)),
    "embeddings.cspmi_power.criterion_power": lambda: ECP.criterion_power(
        _key(), ECP.criterion_config(EC.CorpusConfig(dim=8, n_filler=200, n_families=10, n_tokens=50_000)), 1,
        n_samples=4096),
    "embeddings.cspmi_power.run_criterion": lambda: ECP.run_criterion(
        [0], ECP.criterion_config(EC.CorpusConfig(dim=8, n_filler=200, n_families=10, n_tokens=50_000))),
    "embeddings.linear_analogies.run_sgns_distance": lambda: EL.run_sgns_distance(
        *EC.planted_corpus(_key(), _CORPUS), _CORPUS, EN.SGNSConfig(dim=8, steps=50, batch=256, lr=0.05), [0, 1],
        second_seed=3, min_expected=1.0),
    "embeddings.word_senses.run_senses": lambda: EWS.run_senses([0], _CORPUS, n_pairs=2, n_atoms=8, n_nonzero=2),
    "embeddings.superposition_phase.train_phase_grid": lambda: EP.train_phase_grid(
        T.SuperpositionConfig(n_features=2, n_hidden=1, steps=30, batch=32), [0.0, 0.9], [0.5], [0, 1]),
    "embeddings.superposition_phase.train_phase_cells": lambda: EP.train_phase_cells(
        T.SuperpositionConfig(n_features=2, n_hidden=1, steps=30, batch=32), [0.0, 0.9], [0.5], [0, 1]),
    "embeddings.superposition_phase.train_scaling": lambda: EP.train_scaling(
        EP.ScalingConfig(n_features=16, dims=(2, 4), exponents=(1.0,), steps=20, batch=8, n_eval=100), [0]),
    "embeddings.superposition_phase.phase_loss": lambda: EP.phase_loss(np.array([[1.0, -1.0]]), np.zeros(2), 0.5,
                                                                       0.5, n=1000, seed=3),
    "embeddings.word_senses.sparse_dictionary": lambda: EWS.sparse_dictionary(
        ER.isotropic_vectors(_key(1), 30, 8), 6, 2, key=_key(), n_iter=3),
    "embeddings.sgns.train_sgns": _sgns,
    "embeddings.solvable_word2vec.train_qwem": lambda: EW.train_qwem(
        np.diag([3.0, 2.0, 1.0, 0.5]), EW.QWEMConfig(dim=2, init_scale=1e-3, lr=0.01, steps=50, eval_every=5), [0],
        progress=False),
    "embeddings.attribute_model.sample_pair_counts": lambda: EAM.sample_pair_counts(
        _key(), np.outer(np.arange(1.0, 9.0), np.arange(1.0, 9.0)), 10_000),
    "embeddings.attribute_model.attribute_analogies": lambda: EAM.attribute_analogies(_key(), 3, 4),
    "embeddings.attribute_model.train_qwem_dims": lambda: EAM.train_qwem_dims(
        np.diag([3.0, 2.0, 1.0, 0.5]), EW.QWEMConfig(init_scale=1e-3, lr=0.01, steps=50, eval_every=5), [1, 2], [0],
        progress=False),
    "embeddings.wikipedia.ppmi_svd": lambda: EWK.ppmi_svd(np.arange(400).reshape(20, 20) % 7 + 1, 3, seed=1),
    "embeddings.wikipedia.run_wikipedia": lambda: {k: v for k, v in vars(EWK.run_wikipedia(
        EWK.WikiConfig(vocab_size=300, dim=4, batch=64, steps=20, gensim_epochs=1), [0, 1])).items()
        if k != "seconds"},
    "embeddings.wikipedia.permuted_fit": lambda: EWK.permuted_fit(
        np.arange(40.0).reshape(10, 4) % 3, np.arange(40.0).reshape(10, 4) % 5, np.arange(100.0).reshape(10, 10) + 1,
        5, min_count=1, seed=3),
    "embeddings.wikipedia.shift_controls": lambda: EWK.shift_controls(EWK.WikiConfig(
        vocab_size=300, dim=4, batch=64, steps=20, gensim_epochs=1, min_pair_count=10, shift_negatives=(1, 2)),
        [0, 1]).to_arrays() | {"seconds": 0.0},          # a timing, not a result
    "embeddings.real_text.train_gensim": lambda: ET.train_gensim(
        [["king", "queen", "man", "woman"] * 5, ["paris", "berlin", "man"] * 4], EN.SGNSConfig(dim=8, window=2),
        epochs=2, seed=0).wv.vectors,
    "embeddings.superposition.train_toy_models": lambda: T.train_toy_models(
        T.SuperpositionConfig(steps=60, batch=64), [0.5], [0, 1], progress=False),
    # chapter 5
    "information.estimating_mi.gaussian_pairs": lambda: MI.gaussian_pairs(0, 100, 0.5, dim=2),
    "information.estimating_mi.estimator_sweep": lambda: MI.estimator_sweep(
        MI.EstimatorConfig(rhos=(0.0, 0.5), n=200, bins=(8,), n_seeds=1), [0]),
    "information.estimating_mi.estimate_errors": lambda: MI.estimate_errors(
        MI.EstimatorConfig(rhos=(0.0, 0.5), n=200, bins=(8,), n_seeds=1), [0, 1]),
    "information.estimating_mi.infonce_sweep": lambda: MI.infonce_sweep(
        MI.InfoNCEConfig(rhos=(0.5,), steps=20, eval_batches=2, n_seeds=1), [0]),
    "information.gaussian_bottleneck.gaussian_ib_problem": lambda: GIB.gaussian_ib_problem(0),
    "information.gaussian_bottleneck.learn_linear_ib": _ib,
    "information.coding_rate.subspace_mixture": lambda: MCR.subspace_mixture(0, 20, 3, 12, 2),
    "information.coding_rate.learn_mcr2": lambda: MCR.learn_mcr2(
        MCR.MCR2Config(ambient=12, n_per_class=20, steps=100, n_seeds=1), [0]),
    "information.information_plane.information_plane": lambda: IP.information_plane(
        IP.PlaneConfig(epochs=20, evals=2, n_seeds=1), [0]),
    "information.digits.load_digits": lambda: DIGITS.load_digits(0),
    "information.models.mlp_init": lambda: MODELS.mlp_init(jax.random.key(0), [3, 4, 2]),
    "information.description_length.prequential_codelength": lambda: MDL.prequential_codelength(
        MDL.MDLConfig(boundaries=(10, 40, 80), steps=20, n_seeds=1), [0]),
    "information.pac_bayes.pac_bayes_digits": lambda: PB.pac_bayes_digits(
        PB.PACBayesConfig(m=200, sgd_steps=20, pb_steps=20, prior_grid=5, mc_samples=10, n_seeds=1), [0]),
    "information.pac_bayes.pac_bayes_runs": lambda: PB.pac_bayes_runs(
        PB.PACBayesConfig(m=200, sgd_steps=20, pb_steps=20, prior_grid=5, mc_samples=10, n_seeds=1), [0]),
    "information.pac_bayes.compression_bound_digits": lambda: PB.compression_bound_digits(
        PB.CompressionConfig(subspace=5, steps=20, n_seeds=1), [0]),
    "information.estimator_limits.ksg_sweep": lambda: LIM.ksg_sweep(
        LIM.LimitsConfig(rhos=(0.5,), n=100, n_seeds=1), [0]),
    "information.estimator_limits.critic_sweep": lambda: LIM.critic_sweep(
        LIM.LimitsConfig(rhos=(0.5,), steps=20, eval_batches=2, n_seeds=1), [0], "nwj"),
    "information.cmi_bounds.fcmi_digits": lambda: CMI.fcmi_digits(
        CMI.FCMIConfig(n=20, noise=(0.0,), draws=2, steps=5, n_seeds=1), [0]),
    "information.compression_measured.two_part_codes": lambda: TPC.two_part_codes(
        TPC.TwoPartConfig(dims=(2, 3), steps=10, n_seeds=1), [0]),
    "compression.data_compression.markov_source": lambda: CDC.markov_source(0, 4, 2, 0.5),
    "compression.data_compression.sample_markov": lambda: CDC.sample_markov(0, CDC.markov_source(0, 4, 2, 0.5), 50),
    "compression.data_compression.sequences": lambda: {  # bytes as arrays, which the digest reads
        name: np.frombuffer(data, dtype=np.uint8) for name, data in CDC.sequences(
            CDC.DataCodeConfig(n_symbols=1024, batch=16, segments=4, widths=(4,)), 0).items()},
    "compression.data_compression.prequential_codes": lambda: CDC.prequential_codes(
        CDC.DataCodeConfig(n_symbols=1024, batch=16, segments=4, widths=(4, 8)), [b"abcab" * 204 + b"abcd"], [0]),
    "compression.representations.rank_sweep": lambda: CRP.rank_sweep(
        CRP.RankConfig(n_tokens=10_000, ranks=(2, 32, 256)), 0),
    "compression.benign_overfitting.projected_risks": lambda: CBO.projected_risks(
        0, np.ones(30), 10, (2, 10), sigma=0.5, reps=2),
    # epilogue
    "compression.grokking.compression_curves": lambda: CG.compression_curves(
        CG.GrokCompressionConfig(length=0.03, n_seeds=1), [0], cache=False),
    "compression.weights.quantised_accuracy": lambda: CW.quantised_accuracy(
        CW.WeightsConfig(hidden=4, steps=100, bits=(1, 8), n_seeds=1), [0], cache=False),
}


def main(names: list[str]) -> int:
    unknown = sorted(set(names) - set(PROBES))
    if unknown:
        print(f"unknown probe(s): {unknown}", file=sys.stderr)
        return 2
    digests, failed = {}, []
    for name in names or PROBES:
        try:
            digests[name] = digest(PROBES[name]())
        except Exception as err:  # report every broken probe, not only the first
            failed.append(name)
            print(f"{name}: {type(err).__name__}: {err}", file=sys.stderr)
    print(json.dumps(digests, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
