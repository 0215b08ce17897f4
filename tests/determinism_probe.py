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

from dltheory import (
    embeddings as E,
    embeddings_superposition as T,
    grokking as G,
    information as I,
    information_codes as IC,
    information_plane as IP,
    warmup as W,
)
from dltheory.scaling import compute_optimal as SCO
from dltheory.scaling import exercises as SX
from dltheory.scaling import fitting as SF
from dltheory.scaling import mini_chinchilla as SMC
from dltheory.scaling import quanta as SQ
from dltheory.scaling import quanta_network as SQN
from dltheory.scaling import spectrum as SS
from dltheory.overfitting import benign_linear as OBL
from dltheory.overfitting import deep_double_descent as ODD
from dltheory.overfitting import nearest_neighbours as ONN
from dltheory.overfitting import optimal_ridge as OOR
from dltheory.overfitting import random_features as ORF
from dltheory.overfitting import ridgeless as ORL

_SKIP = {"wall_time"}  # measured time: differs from run to run by design

# Functions that take a seed but are not experiments: self-checks (they call probed functions and
# return a verdict) and the widget / file helpers built on probed functions.
EXEMPT: Mapping[str, str] = {
    "scaling.exercises.check_kaplan_vs_chinchilla": "self-check over scaling.exercises.kaplan_chinchilla_data (probed)",
    "scaling.common.seed_tuple": "checks a list of seeds; draws nothing",
    "overfitting.benign_linear.check_benign_spectrum": "self-check over overfitting.benign_linear.min_norm_excess_risk (probed)",
    "overfitting.random_features.check_peak_moves": "self-check over overfitting.random_features.rf_experiment (probed)",
    "overfitting.optimal_ridge.risk_explorer": "widget over overfitting.ridgeless.simulate_ridge (probed)",
    "grokking.check_smallest_width": "self-check over grokking.smallest_width (probed)",
    "grokking.save_explorer_data": "writes grokking.explorer_data (probed) to a file",
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


_CORPUS = E.CorpusConfig(dim=8, n_filler=20, n_families=6, n_tokens=20_000, relation_noise=(0.0, 0.0, 1.0))
_GROK = G.GrokConfig.fast().replace(p=11, d_hidden=16, steps=40, eval_every=20)
_DIGITS = G.OmnigrokConfig.fast().replace(n_train=50, width=16, steps=40, control_steps=40, sweep_steps=40, eval_every=20)


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


def _sgns() -> Any:
    vocab, tokens = E.planted_corpus(_key(), _CORPUS)
    return E.train_sgns(tokens, vocab.size, E.SGNSConfig(dim=8, steps=50, batch=256, lr=0.05), [0, 1], progress=False)


@functools.cache
def _grok_run() -> Any:
    return G.run(_GROK, [0, 1], snapshots=True)


def _ib() -> Any:
    return I.learn_linear_ib(I.gaussian_ib_problem(0, dx=2, dy=2), I.IBConfig(dx=2, dy=2, betas=(3.0,), steps=100, n_seeds=1), [0])


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
    "scaling.quanta.frequency_order_loss": lambda: SQ.frequency_order_loss(
        SQ.zipf(0.5, 2048), [100.0, 1000.0], samples_per_quantum=10.0),
    "scaling.quanta_network.sparse_parity_tasks": lambda: SQN.sparse_parity_tasks(8, 8, 3, seed=0),
    "scaling.quanta_network.sparse_parity_batch": lambda: SQN.sparse_parity_batch(
        _key(), SQN.sparse_parity_tasks(8, 8, 3), SQN.subtask_frequencies(1.4, 8), 64),
    "scaling.quanta_network.sparse_parity_experiment": lambda: SQN.sparse_parity_experiment(
        SQN.SparseParityConfig(n_tasks=8, widths=(4, 8), batch=32, steps=40, eval_every=20, n_test=16, n_seeds=2),
        [0, 1], progress=False),
    "scaling.exercises.kaplan_chinchilla_data": lambda: SX.kaplan_chinchilla_data(0),
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
    # chapter 3
    "grokking.init_model": lambda: G.init_model(_key(), _GROK),
    "grokking.run": _grok_run,
    "grokking.phase_grid": lambda: G.phase_grid(_GROK, [0.4, 0.6], [0.0, 1.0], [0]),
    "grokking.gromov_weights": lambda: G.gromov_weights(_key(), 7, 20),
    "grokking.smallest_width": lambda: G.smallest_width(7, [8, 16, 32, 64], 0),
    "grokking.progress_curve": lambda: G.progress_curve(_grok_run()),
    "grokking.explorer_data": lambda: G.explorer_data(_grok_run()),
    "grokking.digits_init": lambda: G.digits_init(_key(), _DIGITS, alpha=8.0),
    "grokking.digits_run": lambda: G.digits_run(_DIGITS, [0, 1]),
    # chapter 4
    "embeddings.isotropic_vectors": lambda: E.isotropic_vectors(_key(), 20, 8),
    "embeddings.planted_vocabulary": lambda: E.planted_vocabulary(_key(), _CORPUS),
    "embeddings.planted_corpus": lambda: E.planted_corpus(_key(), _CORPUS),
    "embeddings.sample_corpus": lambda: E.sample_corpus(_key(), E.isotropic_vectors(_key(1), 20, 8), 5000, 0.9),
    "embeddings.shuffle_corpus": lambda: E.shuffle_corpus(_key(), np.arange(100)),
    "embeddings.population_pmi": lambda: E.population_pmi(_key(), E.isotropic_vectors(_key(1), 20, 8), 0.9, n_samples=4096),
    "embeddings.population_slopes": lambda: E.population_slopes(_key(), [16, 32], 8, 0.9, n_samples=4096),
    "embeddings.run_randwalk": lambda: E.run_randwalk(_key(), _CORPUS),
    "embeddings.run_analogies": lambda: E.run_analogies([0], _CORPUS),
    "embeddings.train_sgns": _sgns,
    "embeddings.train_qwem": lambda: E.train_qwem(np.diag([3.0, 2.0, 1.0, 0.5]), E.QWEMConfig(dim=2, init_scale=1e-3, lr=0.01,
                                                                                             steps=50, eval_every=5), [0], progress=False),
    "embeddings.sample_pair_counts": lambda: E.sample_pair_counts(_key(), np.outer(np.arange(1.0, 9.0), np.arange(1.0, 9.0)), 10_000),
    "embeddings.attribute_analogies": lambda: E.attribute_analogies(_key(), 3, 4),
    "embeddings.train_qwem_dims": lambda: E.train_qwem_dims(np.diag([3.0, 2.0, 1.0, 0.5]), E.QWEMConfig(init_scale=1e-3, lr=0.01, steps=50,
                                                                                                        eval_every=5), [1, 2], [0], progress=False),
    "embeddings.train_gensim": lambda: E.train_gensim([["king", "queen", "man", "woman"] * 5, ["paris", "berlin", "man"] * 4],
                                                      E.SGNSConfig(dim=8, window=2), epochs=2, seed=0).wv.vectors,
    "embeddings_superposition.train_toy_models": lambda: T.train_toy_models(T.SuperpositionConfig(steps=60, batch=64), [0.5],
                                                                            [0, 1], progress=False),
    # chapter 5
    "information.gaussian_pairs": lambda: I.gaussian_pairs(0, 100, 0.5, dim=2),
    "information.estimator_sweep": lambda: I.estimator_sweep(I.EstimatorConfig(rhos=(0.0, 0.5), n=200, bins=(8,), n_seeds=1), [0]),
    "information.infonce_sweep": lambda: I.infonce_sweep(I.InfoNCEConfig(rhos=(0.5,), steps=20, eval_batches=2, n_seeds=1), [0]),
    "information.gaussian_ib_problem": lambda: I.gaussian_ib_problem(0),
    "information.learn_linear_ib": _ib,
    "information.subspace_mixture": lambda: I.subspace_mixture(0, 20, 3, 12, 2),
    "information.learn_mcr2": lambda: I.learn_mcr2(I.MCR2Config(ambient=12, n_per_class=20, steps=100, n_seeds=1), [0]),
    "information_plane.information_plane": lambda: IP.information_plane(IP.PlaneConfig(epochs=20, evals=2, n_seeds=1), [0]),
    "information_codes.load_digits": lambda: IC.load_digits(0),
    "information_codes.prequential_codelength": lambda: IC.prequential_codelength(IC.MDLConfig(boundaries=(10, 40, 80), steps=20, n_seeds=1), [0]),
    "information_codes.pac_bayes_digits": lambda: IC.pac_bayes_digits(IC.PACBayesConfig(m=200, sgd_steps=20, pb_steps=20,
                                                                                        prior_grid=5, mc_samples=10, n_seeds=1), [0]),
    "information_codes.compression_bound_digits": lambda: IC.compression_bound_digits(IC.CompressionConfig(subspace=5, steps=20, n_seeds=1), [0]),
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
