"""Chapter 5, §5.2 ``02-information-plane``: the information plane of Shwartz-Ziv and Tishby (2017) and its
critique by Saxe et al. (2018).

* :func:`twelve_bit_task` regenerates the 12-bit task from the paper's description (the authors'
  data file may not be redistributed): the 12 inputs sit on the vertices of an icosahedron (12
  points spread uniformly on the sphere), the label thresholds a rotation-invariant function of
  the active vertices.
* :func:`information_plane` trains the 12-10-7-5-4-3-2 network with tanh and with ReLU (one
  compiled program: the activation is a hyper-parameter that mixes the two) and records, for every
  layer, the binned estimates ``I(X;T)`` and ``I(T;Y)`` on all 4,096 inputs at every evaluation.

The binned estimator runs inside the compiled evaluation: each unit's activity is cut into
``n_bins`` equal-width bins between the layer's smallest and largest activity at that moment,
each input's vector of bin indices is hashed, and entropies are counted from the sorted hashes.
Because the network is deterministic and X is uniform over distinct patterns, ``I(X;T) = H(T)``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, train, validate

__all__ = ["icosahedron", "twelve_bit_task", "binned_entropy", "layer_entropy", "PlaneConfig", "information_plane",
           "compression", "rank_correlation", "check_compression_hypothesis"]

LN2 = math.log(2.0)


def icosahedron() -> np.ndarray:
    """The 12 unit vectors of a regular icosahedron's vertices (12 points spread evenly on the sphere)."""
    phi = (1 + math.sqrt(5)) / 2
    pts = []
    for a, b in itertools.product((-1.0, 1.0), repeat=2):
        pts += [(0.0, a, b * phi), (a, b * phi, 0.0), (b * phi, 0.0, a)]
    v = np.array(pts)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def twelve_bit_task() -> tuple[np.ndarray, np.ndarray]:
    """Section 5.2: all 4,096 binary patterns ``x ∈ {0,1}^12`` and labels ``y = 1[f(x) > θ]``.

    Shwartz-Ziv and Tishby (2017) place the 12 inputs on 12 uniformly distributed points of the
    sphere and threshold a spherically symmetric function. Our regeneration uses
    ``f(x) = Σ_{i,j} x_i x_j exp(v_i·v_j)``, which depends only on the angles between active
    vertices (so it is invariant under the icosahedron's rotations), with ``θ`` the median of
    ``f``, so that about half of the patterns are positive. The labels are a deterministic function
    of ``x``: ``I(X;Y) = H(Y) ≈ 1`` bit.
    """
    x = ((np.arange(4096)[:, None] >> np.arange(12)) & 1).astype(np.float64)
    v = icosahedron()
    kernel = np.exp(v @ v.T)
    # rounded so that patterns related by a symmetry (equal f in exact arithmetic) get the same label
    f = np.round(np.einsum("ni,ij,nj->n", x, kernel, x), 9)
    y = (f > np.median(f)).astype(np.int32)
    return x.astype(np.float32), y


def binned_entropy(codes: jax.Array) -> jax.Array:
    """Plug-in entropy (nats) of the rows of the non-negative integer matrix ``codes`` (jit-friendly).

    Rows are hashed with two independent multiplicative hashes (uint32 arithmetic); rows are equal
    when both hashes agree. A spurious collision of 4,096 rows has probability below 10⁻¹¹.
    """
    codes = jnp.asarray(codes).astype(jnp.uint32)
    n, w = codes.shape
    mult = jnp.asarray(np.random.default_rng(12345).integers(1, 2**31, size=(2, w)) * 2 + 1, jnp.uint32)
    mixed = codes[None, :, :] * mult[:, None, :] + jnp.arange(1, w + 1, dtype=jnp.uint32) * jnp.uint32(0x9E3779B9)
    h = jnp.zeros((2, n), jnp.uint32)
    for k in range(w):  # a few columns: unrolled multiply-xorshift mix
        h = (h ^ mixed[:, :, k]) * jnp.uint32(0x85EBCA6B)
        h = h ^ (h >> 13)
    order = jnp.lexsort((h[1], h[0]))
    h0, h1 = h[0][order], h[1][order]
    new = jnp.concatenate([jnp.ones(1, bool), (h0[1:] != h0[:-1]) | (h1[1:] != h1[:-1])])
    ids = jnp.cumsum(new) - 1
    counts = jnp.zeros(n).at[ids].add(1.0)
    p = counts / n
    return -jnp.sum(jnp.where(p > 0, p * jnp.log(jnp.where(p > 0, p, 1.0)), 0.0))


def _layer_codes(t: jax.Array, n_bins: int) -> jax.Array:
    lo, hi = t.min(), t.max()
    width = jnp.maximum(hi - lo, 1e-12) / n_bins
    return jnp.clip(jnp.floor((t - lo) / width), 0, n_bins - 1).astype(jnp.int32)


def layer_entropy(t: Any, n_bins: int = 30) -> float:
    """Section 5.2: binned entropy (bits) of a layer's activities ``t`` (samples × units), with ``n_bins``
    equal-width bins between the smallest and largest activity: the estimator of the experiment."""
    t = validate.array("t", t, ndim=2)
    n_bins = validate.integer("n_bins", n_bins, low=2, high=2**24)
    return float(binned_entropy(_layer_codes(jnp.asarray(t), n_bins))) / LN2


@dataclasses.dataclass(frozen=True)
class PlaneConfig(runtime.ModeConfig):
    """Section 5.2: the network, optimiser and estimator of Shwartz-Ziv and Tishby (2017) (Adam as in Saxe et al.)."""

    hidden: tuple[int, ...] = validate.field((10, 7, 5, 4, 3), validate.integers, low=1)
    train_fraction: float = validate.field(0.8, validate.real, low=0.0, high=1.0, low_open=True, high_open=True)
    lr: float = validate.field(4e-4, validate.real, low=0.0, low_open=True)
    batch: int = validate.field(256, validate.integer, low=1)
    epochs: int = validate.field(1500, validate.integer, low=1)
    evals: int = validate.field(75, validate.integer, low=1)
    n_bins: int = validate.field(30, validate.integer, low=2)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(round(4096 * self.train_fraction) / self.batch)

    @property
    def steps(self) -> int:
        per_eval = math.ceil(self.epochs * self.steps_per_epoch / self.evals)
        return per_eval * self.evals

    @classmethod
    def fast(cls) -> PlaneConfig:
        return cls()

    @classmethod
    def full(cls) -> PlaneConfig:
        return cls(epochs=8000, evals=200, n_seeds=20)

    def cost(self) -> runtime.Cost:
        """Every seed trained in one program (12 inputs, ``hidden`` tanh layers, 2 outputs, minibatches of
        ``batch``), and at each of ``evals`` evaluations the binned mutual information of every layer on the
        4,096 inputs, on the host."""
        sizes = (12, *self.hidden, 2)
        params = float(sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:])))
        train = runtime.Cost.training(params=params, batch=self.batch, steps=self.steps, runs=self.n_seeds,
                                      activations=float(sum(self.hidden)))
        binning = self.evals * self.n_seeds * 4096.0 * sum(self.hidden) * 50
        return train + runtime.Cost(host_flops=binning)

    def paper_scale(self) -> str:
        """Against Shwartz-Ziv & Tishby's runs."""
        net = "-".join(map(str, (12, *self.hidden, 2)))
        return (f"Shwartz-Ziv & Tishby's network ({net}, tanh) on their 4,096 patterns for {self.epochs:,} epochs "
                f"(their code's default 8,000; about 10⁴ in the paper), {self.evals} evaluations, {self.n_seeds} "
                "seeds (they average about 50 runs)")


def _forward(params: list[dict[str, jax.Array]], x: jax.Array, mix: jax.Array) -> list[jax.Array]:
    """Activities of every layer; ``mix = 1`` gives tanh, ``mix = 0`` ReLU. The last entry is the softmax."""
    acts = []
    h = x
    for layer in params[:-1]:
        z = h @ layer["w"] + layer["b"]
        h = mix * jnp.tanh(z) + (1 - mix) * jax.nn.relu(z)
        acts.append(h)
    acts.append(jax.nn.softmax(h @ params[-1]["w"] + params[-1]["b"]))
    return acts


def information_plane(cfg: PlaneConfig, seeds: list[int],
                      activations: tuple[str, ...] = ("tanh", "relu")) -> dict[str, Any]:
    """Section 5.2: train the 12-bit network for each activation and seed; binned I(X;T), I(T;Y) per layer.

    Shwartz-Ziv and Tishby (2017); Saxe et al. (2018). Cross-entropy, Adam (``cfg.lr``), minibatches
    of ``cfg.batch`` from an ``cfg.train_fraction`` split drawn per seed. Returns arrays of shape
    ``(n_seeds, n_activations, n_evals, n_layers)`` in **bits** for ``i_xt`` and ``i_ty``, the
    epochs of the evaluations, train/test accuracy ``(n_seeds, n_activations, n_evals)`` and the
    config. Layers are the hidden layers then the softmax output.
    """
    if not isinstance(cfg, PlaneConfig):
        raise ValueError(f"cfg must be a PlaneConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    if not activations:
        raise ValueError("activations must name at least one of ('tanh', 'relu')")
    for a in activations:
        validate.choice("activations[i]", a, ("tanh", "relu"))
    x_np, y_np = twelve_bit_task()
    x_all, y_all = jnp.asarray(x_np), jnp.asarray(y_np)
    n_train = round(4096 * cfg.train_fraction)
    sizes = [12, *cfg.hidden, 2]
    h_y = _entropy_np(y_np)

    # Every run's randomness (split, initialisation, minibatches) comes from its seed, passed as the
    # hyper-parameter "seed"; "run" indexes the run's train/test split in ``perms`` (precomputed).
    perms = jnp.stack([jax.random.permutation(jax.random.fold_in(jax.random.key(s), 7), 4096) for s in seeds])

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> list[dict[str, jax.Array]]:
        keys = jax.random.split(jax.random.key(hp["seed"].astype(jnp.uint32)), len(sizes) - 1)
        # Saxe et al.'s initialisation: truncated normal with standard deviation 1/sqrt(fan_out).
        return [{"w": jax.random.truncated_normal(k, -2, 2, (a, b)) / math.sqrt(b), "b": jnp.zeros(b)}
                for k, a, b in zip(keys, sizes[:-1], sizes[1:])]

    def batch(key: jax.Array, data: Any) -> jax.Array:
        return key

    def loss(params: Any, key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        idx = jax.random.randint(jax.random.fold_in(key, hp["seed"].astype(jnp.uint32)), (cfg.batch,), 0, n_train)
        rows = perms[hp["run"].astype(jnp.int32), idx]
        logp = jnp.log(_forward(params, x_all[rows], hp["mix"])[-1] + 1e-12)
        return -jnp.mean(jnp.take_along_axis(logp, y_all[rows][:, None], axis=1))

    def evaluate(params: Any, hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        acts = _forward(params, x_all, hp["mix"])
        i_xt, i_ty = [], []
        for t in acts:
            codes = _layer_codes(t, cfg.n_bins)
            h_t = binned_entropy(codes)
            h_ty = binned_entropy(jnp.concatenate([codes, y_all[:, None]], axis=1))
            i_xt.append(h_t / LN2)
            i_ty.append((h_t + h_y - h_ty) / LN2)
        correct = (jnp.argmax(acts[-1], axis=1) == y_all)[perms[hp["run"].astype(jnp.int32)]]
        return {"i_xt": jnp.stack(i_xt), "i_ty": jnp.stack(i_ty),
                "train_acc": correct[:n_train].mean(), "test_acc": correct[n_train:].mean()}

    mixes = [1.0 if a == "tanh" else 0.0 for a in activations]
    hp = train.grid(run=np.arange(len(seeds), dtype=float), mix=mixes)
    hp["seed"] = np.repeat(np.array(seeds, float), len(mixes))
    hist = train.train(init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps // cfg.evals,
                       seeds=[0], data=jnp.zeros(()), batch=batch, evaluate=evaluate, hparams=hp,
                       desc="12-bit networks")

    def per_run(name: str) -> np.ndarray:  # (1, n_seeds·n_act, evals, ...) -> (n_seeds, n_act, evals, ...)
        arr = hist[name][0]
        return arr.reshape((len(seeds), len(mixes)) + arr.shape[1:])

    return {
        "epochs": hist.steps / cfg.steps_per_epoch,
        "i_xt": per_run("i_xt"),
        "i_ty": per_run("i_ty"),
        "train_acc": per_run("train_acc"),
        "test_acc": per_run("test_acc"),
        "h_y": h_y / LN2,
        "activations": tuple(activations),
        "seeds": tuple(seeds),
        "config": cfg,
    }


def _entropy_np(labels: np.ndarray) -> float:
    _, counts = np.unique(labels, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def compression(i_xt: Any, *, start: int = 0) -> np.ndarray:
    """Section 5.2: how far I(X;T) falls after its peak: ``max_t I(t) - I(end)`` over the last axis (bits).

    ``start`` skips the first evaluations. A compression phase shows as a large positive value; a
    curve that rises and stays gives about 0.
    """
    arr = validate.array("i_xt", i_xt, ndim=(1, 2, 3, 4))
    start = validate.integer("start", start, low=0, high=arr.shape[-1] - 1)
    return arr[..., start:].max(axis=-1) - arr[..., -1]


def rank_correlation(a: Any, b: Any) -> float:
    """Spearman's rank correlation of two 1-D arrays of equal length (ties get average ranks).

    A constant array has no trend: the correlation is then defined as 0 (scipy would return NaN).
    """
    from scipy.stats import spearmanr

    a = validate.array("a", a, ndim=1, min_size=3)
    b = validate.array("b", b, ndim=1, min_size=3)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same length, got {a.size} and {b.size}")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def check_compression_hypothesis(answer: Any, compression_bits: Any, test_accuracy: Any) -> None:
    """Exercise check (§5.2): does more compression go with better test accuracy across the runs?

    The hypothesis counts as supported when Spearman's rank correlation between the compression of each
    run and its test accuracy exceeds 0.5. The check computes it from the runs' own numbers.
    """
    selfcheck.answered("answer", answer)
    rho = rank_correlation(compression_bits, test_accuracy)
    selfcheck.boolean("answer", answer, rho > 0.5,
                      why=f"across these runs the rank correlation between compression and test accuracy is {rho:.2f}; "
                          "the hypothesis needs it above 0.5.")
