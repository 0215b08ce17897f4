"""Chapter 2 · § 3, ``chapters/02-benign-overfitting/03-random-features.md``: double descent of random features.

Min-norm ReLU random-features regression on scikit-learn's digits with label noise (Belkin, Hsu, Ma and
Mandal 2019): :func:`noisy_labels`, :func:`min_norm_fit`, :func:`rf_experiment`, and the self-check of exercise
``ex-02-hypothesis`` (:func:`check_peak_moves`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, selfcheck, validate
from dltheory.overfitting import common

__all__ = ["noisy_labels", "min_norm_fit", "RFConfig", "RFResult", "rf_experiment", "check_peak_moves"]


def noisy_labels(rng: np.random.Generator, labels: Any, noise: float, n_classes: int = 10) -> np.ndarray:
    """Replace a fraction ``noise`` of ``labels`` by a different class drawn uniformly (Nakkiran et al. 2020)."""
    labels = validate.array("labels", labels, ndim=1, dtype=np.int64, nonnegative=True)
    noise = validate.probability("noise", noise)
    n_classes = validate.integer("n_classes", n_classes, low=2)
    flip = rng.random(labels.size) < noise
    shift = rng.integers(1, n_classes, labels.size)
    return np.where(flip, (labels + shift) % n_classes, labels)


@common.single_threaded_blas
def min_norm_fit(features: Any, targets: Any) -> np.ndarray:
    """The minimum-norm least-squares coefficients ``Φ⁺ Y``.

    Sections ``03-random-features`` and ``04-benign-linear``.
    """
    phi = validate.array("features", features, ndim=2)
    t = validate.array("targets", targets, ndim=(1, 2))
    if t.shape[0] != phi.shape[0]:
        raise ValueError(f"targets must have {phi.shape[0]} rows like features, got {t.shape[0]}")
    return np.linalg.lstsq(phi, t, rcond=None)[0]


@dataclasses.dataclass(frozen=True)
class RFConfig(runtime.ModeConfig):
    """Random-features double descent on digits (section ``03-random-features``). The defaults are the fast mode."""

    # training-set sizes: at most 1000 leaves at least 797 of the 1797 digits for testing
    ns: tuple[int, ...] = validate.field((100, 200), validate.integers, low=1, high=1000, increasing=True)
    # label-noise fractions
    noises: tuple[float, ...] = validate.field((0.0, 0.2), validate.array, ndim=1, low=0.0, high=1.0)
    n_features: tuple[int, ...] = validate.field(  # the grid of feature counts N: 10 … 2560
        tuple(sorted({int(round(10 * 2 ** (k / 6))) for k in range(0, 49)})), validate.integers, low=1, increasing=True
    )
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> RFConfig:
        return cls()

    @classmethod
    def full(cls) -> RFConfig:
        grid = tuple(sorted({int(round(10 * 2 ** (k / 6))) for k in range(0, 55)}))  # 10 … 5120, 6 a doubling
        return cls(ns=(100, 200, 400), noises=(0.0, 0.1, 0.2, 0.4), n_features=grid, n_seeds=3)  # GPU budget (issue 22)

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): per seed the features of every image at the largest ``N``, and per
        ``n``, noise and ``N`` one least-squares fit of ``n × N`` (an SVD, ``4·m²·max(n, N) + 8·m³`` with
        ``m = min(n, N)``) and its predictions on the 797 test images."""
        n_max, n_test = self.n_features[-1], 797
        total = 2.0 * (n_test + self.ns[-1]) * 64 * n_max
        for n in self.ns:
            for width in self.n_features:
                m = min(n, width)
                total += len(self.noises) * (4.0 * m * m * max(n, width) + 8.0 * m**3 + 40.0 * (n_test + n) * width)
        return runtime.Cost(host_flops=self.n_seeds * total, bytes=8.0 * (n_test + self.ns[-1]) * n_max * 3)

    def paper_scale(self) -> str:
        """Against Belkin et al.'s n = 10⁴ MNIST images."""
        return (f"Belkin et al. fit random Fourier features to n = 10⁴ MNIST images; here the 1,797 8×8 digits, "
                f"n = {', '.join(map(str, self.ns))}, {len(self.n_features)} feature counts from "
                f"{self.n_features[0]} to {self.n_features[-1]:,}, {len(self.noises)} noise levels, {self.n_seeds} "
                "seeds: the peak at N = n depends on N/n, so a smaller n keeps its shape")


@dataclasses.dataclass(frozen=True)
class RFResult:
    n_features: np.ndarray  # (n_N,)
    test_mse: np.ndarray  # (n_seeds, n_ns, n_noises, n_N)
    test_error: np.ndarray  # same shape, 0-1 error
    train_mse: np.ndarray
    seeds: tuple[int, ...]
    config: RFConfig

    def peak(self) -> np.ndarray:
        """The feature count of the highest test MSE, shape ``(n_seeds, n_ns, n_noises)``."""
        return self.n_features[np.argmax(self.test_mse, axis=-1)]


@common.single_threaded_blas
def rf_experiment(cfg: RFConfig, seeds: Sequence[int]) -> RFResult:
    """Test MSE of min-norm ReLU random-features regression against N.

    Section ``03-random-features``; Belkin, Hsu, Ma and Mandal (2019).

    For each seed: a random split of the digits (the last 797 images are never used for training), one
    Gaussian first layer ``W ~ N(0, 1/d)`` of ``max(N)`` features of which the first ``N`` are used,
    ``φ(x) = relu(Wᵀx)/√N``, and the min-norm fit of one-hot targets of the noisy labels.
    """
    if not isinstance(cfg, RFConfig):
        raise ValueError(f"cfg must be a RFConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    x, y = common.digits()
    d, grid = x.shape[1], np.array(cfg.n_features)
    shape = (len(seeds), len(cfg.ns), len(cfg.noises), grid.size)
    mse, err, tr_mse = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for a, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        test = order[1000:]
        w = rng.standard_normal((d, grid.max())) / math.sqrt(d)
        z_test = np.maximum(x[test] @ w, 0.0)
        y_test = np.eye(10)[y[test]]
        for b, n in enumerate(cfg.ns):
            train = order[:n]
            z_train = np.maximum(x[train] @ w, 0.0)
            for c, noise in enumerate(cfg.noises):
                targets = np.eye(10)[noisy_labels(rng, y[train], noise)]
                for i, width in enumerate(grid):
                    scale = 1.0 / math.sqrt(width)
                    coef = min_norm_fit(z_train[:, :width] * scale, targets)
                    pred = z_test[:, :width] * scale @ coef
                    mse[a, b, c, i] = np.mean(np.sum((pred - y_test) ** 2, axis=1))
                    err[a, b, c, i] = np.mean(pred.argmax(1) != y[test])
                    tr_mse[a, b, c, i] = np.mean(np.sum((z_train[:, :width] * scale @ coef - targets) ** 2, axis=1))
    return RFResult(grid, mse, err, tr_mse, tuple(seeds), cfg)


# ============================================================================ exercise self-check


@functools.cache
def _peak_moves(seed: int) -> tuple[bool, float, float]:
    grid = tuple(sorted({int(round(20 * 2 ** (k / 6))) for k in range(0, 31)}))
    cfg = RFConfig(ns=(100,), noises=(0.0, 0.4), n_features=grid, n_seeds=1)
    res = rf_experiment(cfg, [seed])
    peaks = res.peak()[0, 0]
    return bool(abs(math.log(peaks[1] / peaks[0])) > math.log(1.25)), float(peaks[0]), float(peaks[1])


def check_peak_moves(answer: Any, *, seed: int = 0) -> bool:
    """Exercise ``ex-02-hypothesis``: does label noise move the random-features peak away from N = n?

    The check reruns the experiment (n = 100, noise 0 and 0.4) and compares the two peak locations.
    """
    selfcheck.answered("peak_moves", answer)
    moves, p0, p1 = _peak_moves(validate.seed("seed", seed))
    why = (
        f"the peak sits at N = {p0:g} without noise and N = {p1:g} with 40% noise. "
        + ("It moved." if moves else "Noise scales the variance term, whose blow-up is set by the smallest singular "
           "value of the n × N feature matrix, which is near 0 at N ≈ n whatever the labels are: the peak grows but "
           "stays at N ≈ n.")
    )
    return selfcheck.boolean("peak_moves", answer, moves, why=why)
