"""Chapter 5, §5.9 ``09-compression-measured``: compression without degradation, measured.

Two-part codes of the ten-class digit labels (Blier and Ollivier 2018, section 2): first the network, then the
labels given the network. The network is a ``64-16-10`` MLP trained in a random subspace, ``w = w0 + P θ`` with
``w0`` and ``P`` drawn from the seed (Li et al. 2018; Lotfi et al. 2022), so that only ``θ`` is sent, quantised
and entropy-coded (:func:`dltheory.information.pac_bayes.entropy_code_bits`). Beside it, the general-purpose
compressors of Python's standard library (gzip, bz2, lzma) code the same labels given the same images
(Delétang et al. 2024 at book scale).

Everything is a pure function of its arguments and of explicit seeds.
"""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import lzma
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from dltheory import runtime, selfcheck, train, validate
from dltheory.information import digits, models
from dltheory.information.pac_bayes import entropy_code_bits

__all__ = ["TwoPartConfig", "compressed_bits", "conditional_compressed_bits", "label_frequency_bits",
           "nn_prequential_bits", "two_part_codes", "check_break_even"]

_COMPRESSORS = {"gzip": gzip.compress, "bz2": bz2.compress, "lzma": lzma.compress}


@dataclasses.dataclass(frozen=True)
class TwoPartConfig(runtime.ModeConfig):
    """Section 5.9: training set size, subspace dimensions, training and the code of the labels."""

    m: int = validate.field(1200, validate.integer, low=100, high=1700)
    hidden: int = validate.field(16, validate.integer, low=1)
    dims: tuple[int, ...] = validate.field((10, 20, 40, 80, 160, 320, 640), validate.integers, low=1)
    steps: int = validate.field(1000, validate.multiple, low=10, of=10)
    lr: float = validate.field(3e-2, validate.real, low=0.0, low_open=True)
    symbol_bits: int = validate.field(8, validate.integer, low=2, high=16)
    mix_uniform: float = validate.field(0.01, validate.probability, open_low=True, open_high=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> TwoPartConfig:
        return cls()

    @classmethod
    def full(cls) -> TwoPartConfig:
        return cls(hidden=64, dims=(10, 20, 40, 80, 160, 320, 640, 1280, 2560), steps=5000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Twice (true and random labels): every seed and subspace dimension trained in one program; a step maps
        ``θ`` through the ``P × max(dims)`` projection (``P = 75·hidden + 10`` weights of the MLP) and trains
        the MLP on ``m`` digits, forward and backward; the quantisation search and the compressors are small."""
        weights = 75.0 * self.hidden + 10
        runs = self.n_seeds * len(self.dims)
        step = 6.0 * weights * (max(self.dims) + self.m)
        one = runtime.Cost(flops=step * self.steps * runs, steps=self.steps,
                           bytes=4.0 * self.n_seeds * weights * max(self.dims) + 4.0 * runs * 4 * max(self.dims))
        return 2 * one

    def paper_scale(self) -> str:
        """Against Blier & Ollivier's and Lotfi et al.'s codes (MNIST and CIFAR networks)."""
        return (f"the codes of Blier & Ollivier and Lotfi et al. are for networks on MNIST and CIFAR; here an MLP of "
                f"{self.hidden} hidden units trained in random subspaces of {self.dims[0]}–{self.dims[-1]:,} "
                f"dimensions on {self.m:,} digits, {self.steps:,} steps, {self.n_seeds} seeds, true and random labels")


def compressed_bits(data: bytes) -> dict[str, float]:
    """Section 5.9: the length in bits of ``data`` compressed by gzip, bz2 and lzma (headers included)."""
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"data must be bytes, got {type(data).__name__}")
    return {name: 8.0 * len(fn(bytes(data))) for name, fn in _COMPRESSORS.items()}


def conditional_compressed_bits(context: bytes, data: bytes) -> dict[str, float]:
    """Section 5.9: bits each compressor spends on ``data`` after ``context``, ``C(context + data) - C(context)``."""
    if not isinstance(context, (bytes, bytearray)):
        raise ValueError(f"context must be bytes, got {type(context).__name__}")
    both, alone = compressed_bits(bytes(context) + bytes(data)), compressed_bits(context)
    return {name: both[name] - alone[name] for name in both}


def _kt_bits(hits: np.ndarray, seen: np.ndarray, outcomes: int) -> np.ndarray:
    """Krichevsky–Trofimov: bits of each outcome that occurred ``hits`` times in ``seen`` earlier ones."""
    return -np.log2((hits + 0.5) / (seen + outcomes / 2))


def label_frequency_bits(labels: Any, n_classes: int) -> float:
    """Section 5.9: the labels coded in order by their running class frequencies alone (Krichevsky–Trofimov).

    The code that ignores the images: about ``m·H(labels) + (K - 1)/2 · log2 m`` bits, the uniform code
    ``m log2 K`` for balanced classes. A code given the images must beat it to have used them.
    """
    n_classes = validate.integer("n_classes", n_classes, low=2)
    y = validate.array("labels", labels, ndim=1, min_size=1).astype(np.int64)
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes - 1}]")
    onehot = np.eye(n_classes, dtype=np.int64)[y]
    before = (np.cumsum(onehot, axis=0) - onehot)[np.arange(y.size), y]
    return float(_kt_bits(before, np.arange(y.size), n_classes).sum())


def nn_prequential_bits(images: Any, labels: Any, n_classes: int) -> float:
    """Section 5.9: the labels coded in order, each predicted by its nearest earlier image (a prequential code).

    Label ``i`` is predicted by the label of the nearest of images ``0..i-1`` (Euclidean). Whether the
    prediction is right is coded by the Krichevsky–Trofimov estimate from the earlier predictions; a wrong
    label costs ``log2(K - 1)`` more bits; the first label costs ``log2 K``. No parameter is chosen, and no
    model is sent: the decoder repeats the predictions (the prequential code of Blier and Ollivier 2018, with a 1-NN
    learner). A conditional baseline for the two-part code: it uses the images, as the network does.
    """
    n_classes = validate.integer("n_classes", n_classes, low=2)
    x = validate.array("images", images, ndim=2, min_size=1).astype(np.float64)
    y = validate.array("labels", labels, ndim=1).astype(np.int64)
    if y.size != x.shape[0]:
        raise ValueError(f"images has {x.shape[0]} rows but labels has {y.size} entries")
    if y.min() < 0 or y.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes - 1}]")
    sq = (x * x).sum(1)
    dist = sq[:, None] + sq[None, :] - 2 * x @ x.T
    dist[np.triu_indices(y.size)] = np.inf                      # only earlier images
    right = y[1:] == y[np.argmin(dist[1:], axis=1)]
    hits_before = np.concatenate([[0], np.cumsum(right)[:-1]])
    seen = np.arange(right.size)
    p_right = (hits_before + 0.5) / (seen + 1.0)
    bits = np.where(right, -np.log2(p_right), -np.log2(1 - p_right) + math.log2(n_classes - 1))
    return float(math.log2(n_classes) + bits.sum())


def _label_bits(logits: jax.Array, y: jax.Array, mix: float) -> jax.Array:
    """Bits to code labels ``y`` with the predictions mixed with the uniform distribution (weight ``mix``)."""
    p = (1 - mix) * jax.nn.softmax(logits) + mix / logits.shape[-1]
    return -jnp.sum(jnp.log2(jnp.take_along_axis(p, y[:, None], axis=1)))


def two_part_codes(cfg: TwoPartConfig, seeds: list[int], *, random_labels: bool = False) -> dict[str, Any]:
    """Section 5.9: the two-part code length of the training labels for every subspace dimension and seed.

    For each seed and dimension ``d`` in ``cfg.dims``, ``θ ∈ R^d`` is trained by Adam on the cross-entropy (one
    compiled program for all; smaller dimensions use the first ``d`` columns of one projection). ``θ`` is then
    rounded to a step ``2^(-j/4)``, ``j < 32`` (5 bits), chosen to minimise the total: the entropy code of the
    integers (codebook included), plus ``log2 len(dims)`` bits to name ``d``, plus the labels coded by the
    quantised network's predictions mixed with the uniform distribution. Returns ``(n_seeds, n_dims)`` arrays
    ``total``, ``model_bits``, ``label_bits``, ``test_err`` (the quantised network of the shortest code at that
    ``d``), ``trained_test_err`` (the trained network before quantisation), the untrained network's ``null_total`` and
    ``null_test_err`` (``θ = 0``, same code), the ``uniform`` code length, and the standard-library compressors'
    conditional code lengths of the same labels given the images (``compressors``, one array per compressor),
    and two baselines per seed (``baselines``): the prequential nearest-neighbour code given the images and the
    running label-frequency code without them.
    """
    if not isinstance(cfg, TwoPartConfig):
        raise ValueError(f"cfg must be a TwoPartConfig, got {type(cfg).__name__}")
    if not isinstance(random_labels, bool):
        raise ValueError(f"random_labels must be True or False, got {random_labels!r}")
    seeds = list(validate.seeds(seeds))
    m, dmax = cfg.m, max(cfg.dims)
    data = [digits.load_digits(s, random_labels=random_labels) for s in seeds]
    xs = jnp.asarray(np.stack([x for x, _ in data]))
    ys = jnp.asarray(np.stack([y for _, y in data]))
    w0s, unravel = [], None
    for s in seeds:
        w0, unravel = ravel_pytree(models.mlp_init(jax.random.key(s), [64, cfg.hidden, 10]))
        w0s.append(w0)
    w0s = jnp.stack(w0s)
    projs = jnp.stack([jax.random.normal(jax.random.key(s + 9 * 10**5), (w0s.shape[1], dmax)) for s in seeds])
    grid = train.grid(run=np.arange(len(seeds)), dim=np.array(cfg.dims, dtype=float))

    def logits(theta: jax.Array, r: Any, d: Any, x: jax.Array) -> jax.Array:
        mask = (jnp.arange(dmax) < d).astype(theta.dtype)
        return models.mlp(unravel(w0s[r] + projs[r] @ (theta * mask) / jnp.sqrt(d)), x)

    def loss(theta: jax.Array, batch: Any, hp: dict[str, jax.Array]) -> jax.Array:
        r = hp["run"].astype(jnp.int32)
        out = logits(theta, r, hp["dim"], xs[r, :m])
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(out, ys[r, :m]))

    hist = train.train(lambda k, hp: jnp.zeros(dmax), loss, optax.adam(cfg.lr), steps=cfg.steps,
                       eval_every=cfg.steps, seeds=[0], data=jnp.zeros(()), hparams=grid, desc="subspace codes")
    thetas = np.asarray(hist.params[0], dtype=np.float64).reshape(len(seeds), len(cfg.dims), dmax)
    name_bits = math.log2(len(cfg.dims)) + 5  # which dimension, which quantisation step
    keys = ("total", "model_bits", "label_bits", "test_err", "null_total", "null_test_err", "trained_test_err")
    out = {k: np.zeros((len(seeds), len(cfg.dims))) for k in keys}
    for r in range(len(seeds)):
        x_tr, y_tr, x_te, y_te = xs[r, :m], ys[r, :m], xs[r, m:], ys[r, m:]
        for i, d in enumerate(cfg.dims):
            best = None
            for j in range(32):
                step = 2.0 ** (-j / 4)
                symbols = np.round(thetas[r, i, :d] / step).astype(np.int64)
                if np.abs(symbols).max() >= 2 ** (cfg.symbol_bits - 1):
                    continue
                theta_q = jnp.zeros(dmax).at[:d].set(jnp.asarray(symbols * step, jnp.float32))
                model = entropy_code_bits(symbols, cfg.symbol_bits) + name_bits
                labels = float(_label_bits(logits(theta_q, r, d, x_tr), y_tr, cfg.mix_uniform))
                if best is None or model + labels < best[0]:
                    err = float(jnp.mean(jnp.argmax(logits(theta_q, r, d, x_te), -1) != y_te))
                    best = (model + labels, model, labels, err)
            if best is None:
                raise ValueError("no quantisation step fits symbol_bits; increase symbol_bits")
            for k, v in zip(keys[:4], best):
                out[k][r, i] = v
            trained = jnp.zeros(dmax).at[:d].set(jnp.asarray(thetas[r, i, :d], jnp.float32))
            out["trained_test_err"][r, i] = float(jnp.mean(jnp.argmax(logits(trained, r, d, x_te), -1) != y_te))
            zero = jnp.zeros(dmax)
            out["null_total"][r, i] = (entropy_code_bits(np.zeros(d, np.int64), cfg.symbol_bits) + name_bits
                                       + float(_label_bits(logits(zero, r, d, x_tr), y_tr, cfg.mix_uniform)))
            out["null_test_err"][r, i] = float(jnp.mean(jnp.argmax(logits(zero, r, d, x_te), -1) != y_te))
    compressors = {name: np.zeros(len(seeds)) for name in _COMPRESSORS}
    baselines = {"nearest_neighbour": np.zeros(len(seeds)), "label_frequency": np.zeros(len(seeds))}
    for r, (x, y) in enumerate(data):
        images = np.round(x[:m] * 16).astype(np.uint8).tobytes()     # the 17 grey levels of the original data
        cond = conditional_compressed_bits(images, (y[:m].astype(np.uint8) + ord("0")).tobytes())
        for name, bits in cond.items():
            compressors[name][r] = bits
        baselines["nearest_neighbour"][r] = nn_prequential_bits(x[:m], y[:m], 10)
        baselines["label_frequency"][r] = label_frequency_bits(y[:m], 10)
    out.update(uniform=m * math.log2(10), compressors=compressors, baselines=baselines, dims=np.array(cfg.dims),
               seeds=tuple(seeds), random_labels=random_labels, config=cfg)
    return out


def check_break_even(cross_entropy: Any) -> None:
    """Exercise check (§5.9): the training cross-entropy (bits per label) at which a two-part code reaches a target.

    ``cross_entropy(m, n_classes, model_bits, fraction)`` must return the cross-entropy ``H`` for which the two-part
    code ``model_bits + m H`` equals ``fraction`` of the uniform code ``m log2(n_classes)``. The reference solves
    that equation by bisection on the code length itself.
    """
    selfcheck.answered("cross_entropy", cross_entropy)

    def solved(m: int, n_classes: int, model_bits: float, fraction: float) -> float:
        target, lo, hi = fraction * m * math.log2(n_classes), -10.0, 10.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if model_bits + m * mid < target else (lo, mid)
        return (lo + hi) / 2

    selfcheck.function("cross_entropy", cross_entropy, solved,
                       [(1200, 10, 300.0, 0.5), (1200, 2, 300.0, 0.5), (100, 10, 300.0, 1.0)], rtol=1e-6,
                       hint="set model_bits + m H equal to fraction · m log2(n_classes) and solve for H; it can be "
                            "negative, which means no network of that size can reach the target.")
