"""Chapter 2 · § 5, ``chapters/02-benign-overfitting/05-nearest-neighbours.md``: consistent interpolating rules.

1-NN (Cover and Hart 1967) against an interpolating singular-kernel rule (the weighted interpolated nearest
neighbours of Belkin, Hsu and Mitra 2018; Devroye, Györfi and Krzyżak 1998; Belkin, Rakhlin and Tsybakov 2019) on a problem of known Bayes risk: :func:`bayes_risk_problem`,
:func:`nearest_neighbour_predict`, :func:`singular_kernel_predict`, :func:`knn_experiment`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, validate
from dltheory.overfitting import common

__all__ = [
    "bayes_risk_problem",
    "nearest_neighbour_predict",
    "singular_kernel_predict",
    "KNNConfig",
    "KNNResult",
    "knn_experiment",
]


def bayes_risk_problem(x: Any, *, noise: float = 0.1) -> np.ndarray:
    """``η(x) = P(y = 1 | x)`` of the section's problem: ``1 − noise`` where ``x_1 > 1/2``, ``noise`` elsewhere.

    Section ``05-nearest-neighbours``. With ``x`` uniform on the unit square the Bayes risk is exactly ``noise``
    and the 1-NN limit ``E[2η(1−η)]`` of Cover and Hart (1967) is exactly ``2·noise·(1−noise)``.
    """
    x = validate.array("x", x, ndim=2)
    noise = validate.real("noise", noise, low=0.0, high=0.5)
    return np.where(x[:, 0] > 0.5, 1.0 - noise, noise)


def _sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.maximum(np.sum(a**2, 1)[:, None] + np.sum(b**2, 1)[None, :] - 2 * a @ b.T, 0.0)


def nearest_neighbour_predict(x_train: Any, y_train: Any, x_query: Any) -> np.ndarray:
    """The 1-nearest-neighbour label of each query point (section ``05-nearest-neighbours``)."""
    xt = validate.array("x_train", x_train, ndim=2)
    yt = validate.array("y_train", y_train, ndim=1)
    xq = validate.array("x_query", x_query, ndim=2, shape=(None, xt.shape[1]))
    if yt.size != xt.shape[0]:
        raise ValueError("y_train must have one label per row of x_train")
    return yt[np.argmin(_sq_distances(xq, xt), axis=1)]


def singular_kernel_predict(x_train: Any, y_train: Any, x_query: Any, *, k: int, a: float) -> np.ndarray:
    """Interpolating Nadaraya–Watson vote with the singular kernel ``‖u‖^{-a}`` on the ``k`` nearest neighbours.

    Section ``05-nearest-neighbours``; the weighted interpolated nearest-neighbour rule of Belkin, Hsu and Mitra
    (2018); Devroye, Györfi and Krzyżak (1998) and Belkin, Rakhlin and Tsybakov (2019) for singular kernels.
    The weight of a training point is infinite at distance 0, so the rule returns the training label
    at every training point (it interpolates) and a local weighted average elsewhere.
    Labels are 0/1; the prediction is the weighted vote thresholded at 1/2.
    """
    xt = validate.array("x_train", x_train, ndim=2)
    yt = validate.array("y_train", y_train, ndim=1)
    xq = validate.array("x_query", x_query, ndim=2, shape=(None, xt.shape[1]))
    if yt.size != xt.shape[0]:
        raise ValueError("y_train must have one label per row of x_train")
    k = validate.integer("k", k, low=1, high=xt.shape[0])
    a = validate.real("a", a, low=0.0, low_open=True)
    d2 = _sq_distances(xq, xt)
    idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
    dk = np.take_along_axis(d2, idx, axis=1)
    exact = dk <= 1e-24
    with np.errstate(divide="ignore"):
        w = np.where(exact, 0.0, dk ** (-a / 2))
    vote = np.sum(w * yt[idx], axis=1) / np.sum(w, axis=1)
    hit = exact.any(axis=1)
    own = yt[np.take_along_axis(idx, np.argmax(exact, axis=1)[:, None], axis=1)[:, 0]]
    return np.where(hit, own, (vote > 0.5).astype(float))


@dataclasses.dataclass(frozen=True)
class KNNConfig(runtime.ModeConfig):
    """1-NN against the singular-kernel interpolating rule (section ``05-nearest-neighbours``).

    The defaults are the fast mode.
    """

    ns: tuple[int, ...] = validate.field((250, 500, 1000, 2000, 4000), validate.integers, low=1, increasing=True)
    # 10,000 test points (2,000 until 2026-12-06): the Cover-Hart claim's spread between seeds, 0.0077 at 2,000, was
    # half test-point noise by variance (0.24/sqrt(m)); at 10,000 it is 0.0048, mostly the training labels' flips
    n_test: int = validate.field(10000, validate.integer, low=10)
    noise: float = validate.field(0.1, validate.real, low=0.0, high=0.5)
    # kernel exponent, a < d/2 (Belkin, Rakhlin and Tsybakov 2019): the bound d/2 is checked in check()
    a: float = validate.field(0.5, validate.real, low=0.0, low_open=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    d: int = validate.field(2, validate.integer, low=1, high=20)

    @classmethod
    def fast(cls) -> KNNConfig:
        return cls()

    @classmethod
    def full(cls) -> KNNConfig:
        return cls(ns=(250, 500, 1000, 2000, 4000, 8000, 16000), n_test=10000, noise=0.1, a=0.5, n_seeds=10)

    def check(self) -> None:
        validate.real("a", self.a, low=0.0, low_open=True, high=self.d / 2, high_open=True)

    def k(self, n: int) -> int:
        """Window size of the kernel rule: ``⌈√n⌉`` neighbours (k → ∞, k/n → 0)."""
        return int(math.ceil(math.sqrt(n)))

    def cost(self) -> runtime.Cost:
        """Host work (NumPy): per seed, ``n`` and rule (three), the distances from every test point (and up to
        1,000 training points) to the ``n`` training points and a partial sort of each row, counted as 100
        FLOP-equivalents per distance."""
        per_seed = sum(3.0 * (self.n_test + min(n, 1000)) * n * (3 * self.d + 100) for n in self.ns)
        return runtime.Cost(host_flops=self.n_seeds * per_seed, bytes=3 * 8.0 * self.n_test * self.ns[-1])

    def paper_scale(self) -> str:
        """A rate's simulation: its size."""
        return (f"a simulation of the interpolating rules' rates, no paper's size to match: n up to "
                f"{self.ns[-1]:,} in d = {self.d}, {self.n_test:,} test points, {self.n_seeds} seeds")


@dataclasses.dataclass(frozen=True)
class KNNResult:
    ns: np.ndarray
    risk: dict[str, np.ndarray]  # rule -> (n_seeds, n_ns): "1-NN", "k-NN", "singular"
    train_error: dict[str, np.ndarray]
    disagreement: np.ndarray  # (n_seeds, n_ns): share of test points where "singular" and "k-NN" predict differently
    bayes: float
    cover_hart: float
    seeds: tuple[int, ...]
    config: KNNConfig


@common.single_threaded_blas
def knn_experiment(cfg: KNNConfig, seeds: Sequence[int]) -> KNNResult:
    """Risk of 1-NN, majority k-NN and the singular-kernel rule on a problem of known Bayes risk, and the share of
    test points on which the singular rule and the majority vote disagree.

    Section ``05-nearest-neighbours``. The risk of a rule ``f`` is computed exactly given the test inputs,
    ``mean(η(x)·[f(x) = 0] + (1 − η(x))·[f(x) = 1])``, so only the test inputs are sampled.
    """
    if not isinstance(cfg, KNNConfig):
        raise ValueError(f"cfg must be a KNNConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    rules = ("1-NN", "k-NN", "singular")
    risk = {r: np.zeros((len(seeds), len(cfg.ns))) for r in rules}
    train_error = {r: np.zeros((len(seeds), len(cfg.ns))) for r in rules}
    disagreement = np.zeros((len(seeds), len(cfg.ns)))
    for a, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        x_test = rng.random((cfg.n_test, cfg.d))
        eta_test = bayes_risk_problem(x_test, noise=cfg.noise)
        for b, n in enumerate(cfg.ns):
            x = rng.random((n, cfg.d))
            y = (rng.random(n) < bayes_risk_problem(x, noise=cfg.noise)).astype(float)
            k = cfg.k(n)
            predictors = {
                "1-NN": lambda q: nearest_neighbour_predict(x, y, q),
                "k-NN": lambda q: singular_kernel_predict(x, y, q, k=k, a=1e-9),  # a → 0: plain majority vote
                "singular": lambda q: singular_kernel_predict(x, y, q, k=k, a=cfg.a),
            }
            preds = {}
            for rule, predict in predictors.items():
                f = preds[rule] = predict(x_test)
                risk[rule][a, b] = np.mean(np.where(f == 1, 1 - eta_test, eta_test))
                sub = slice(0, min(n, 1000))
                if rule == "k-NN":  # the plain vote over the k nearest training points, the point itself included
                    d2 = _sq_distances(x[sub], x)
                    idx = np.argpartition(d2, k - 1, axis=1)[:, :k]
                    f_train = (y[idx].mean(1) > 0.5).astype(float)
                else:
                    f_train = predict(x[sub])
                train_error[rule][a, b] = np.mean(f_train != y[sub])
            disagreement[a, b] = np.mean(preds["singular"] != preds["k-NN"])
    return KNNResult(np.array(cfg.ns), risk, train_error, disagreement, cfg.noise, 2 * cfg.noise * (1 - cfg.noise), tuple(seeds), cfg)
