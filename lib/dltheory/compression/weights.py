"""Epilogue §2, weights (page ``chapters/06-compression/02-weights``): how many bits per weight a network needs.

Hinton and van Camp (1993): a network generalises when its weights carry much less information than the labels
it was trained on. Here the information is counted the bluntest way, by uniform quantisation: every weight
matrix and bias vector is rounded to ``2^b`` evenly spaced levels between minus and plus its largest magnitude
(:func:`quantise`), and the accuracy is measured at each ``b``. A small MLP on scikit-learn's digits
(:mod:`dltheory.information.digits`, :mod:`dltheory.information.models`) is trained on the true labels and, as the
null, on random labels (Zhang et al. 2017), every seed and both labellings in one vmapped program
(:func:`quantised_accuracy`). :func:`bits_needed` reads off the fewest bits that keep the accuracy within a
tolerance; :func:`two_part_code` is the description length, weights plus labels given the weights, set against the
uniform code of the labels, ``m log2 K`` bits; :func:`synthesis_point` is this section's point of §5's figure.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, sweep, train, validate
from dltheory.information import digits, models

__all__ = ["WeightsConfig", "quantise", "quantised_accuracy", "bits_needed", "two_part_code", "synthesis_point",
           "check_levels_bits"]

N_CLASSES = 10
SCALE_BITS = 32  # each tensor's largest magnitude is sent as one float32


@dataclasses.dataclass(frozen=True)
class WeightsConfig(runtime.ModeConfig):
    """§2: the digits split (``n_train`` to train on, the rest of the 1,797 to test), the MLP
    ``64 → hidden → 10``, its training (full batch, Adam), the bits per weight tried and the tolerance."""

    n_train: int = validate.field(1000, validate.integer, low=20, high=1700)
    hidden: int = validate.field(64, validate.integer, low=1)
    steps: int = validate.field(3000, validate.multiple, low=100, of=100)
    lr: float = validate.field(3e-3, validate.real, low=0.0, low_open=True)
    bits: tuple[int, ...] = validate.field((1, 2, 3, 4, 5, 6, 7, 8), validate.integers, low=1, high=16,
                                           increasing=True)
    tolerance: float = validate.field(0.02, validate.probability, open_low=True)
    mix_uniform: float = validate.field(0.01, validate.probability, open_low=True, open_high=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    ranks: tuple[int, ...] = validate.field((1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64), validate.integers, low=1,
                                            increasing=True)
    keep: tuple[float, ...] = validate.field((0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                                             validate.reals, low=0.0, low_open=True, high=1.0, increasing=True)

    @classmethod
    def fast(cls) -> WeightsConfig:
        return cls()

    @classmethod
    def full(cls) -> WeightsConfig:
        return cls(hidden=256, steps=10000, bits=tuple(range(1, 13)), n_seeds=10,
                   ranks=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256))

    @property
    def n_params(self) -> int:
        return 64 * self.hidden + self.hidden + self.hidden * N_CLASSES + N_CLASSES

    def cost(self) -> runtime.Cost:
        """Every seed trained on true and on random labels, full batch, in one program; then each network
        evaluated on all 1,797 digits once per number of bits."""
        runs = 2 * self.n_seeds
        training = runtime.Cost.training(params=float(self.n_params), batch=self.n_train, steps=self.steps,
                                         runs=runs, activations=float(self.hidden + 74))
        evals = runtime.Cost(flops=2.0 * self.n_params * 1797 * runs * (len(self.bits) + 1), bytes=0.0, steps=1)
        return training + evals

    def paper_scale(self) -> str:
        return (f"an MLP 64-{self.hidden}-10 ({self.n_params:,} weights) on {self.n_train:,} of scikit-learn's digits, "
                f"{self.steps:,} full-batch steps, {self.n_seeds} seeds: the whole experiment, not a "
                "reduction of a larger one")


def quantise(w: Any, bits: Any) -> jax.Array:
    """Round ``w`` to ``2^bits`` evenly spaced levels from ``-max|w|`` to ``+max|w|`` (§2).

    With ``s = max|w|`` and step ``Δ = 2s / (2^b - 1)`` the levels are ``-s + jΔ``, ``j = 0 .. 2^b - 1``; one bit
    keeps only the signs times ``s``. Sending the tensor then costs ``b`` bits per entry plus its ``s``. An
    all-zero tensor stays zero. ``bits`` may be traced (an integer ≥ 1).
    """
    if not isinstance(bits, jax.Array):
        validate.integer("bits", bits, low=1, high=24)
    if not isinstance(w, jax.Array):  # traced weights inside training are checked by the caller's shapes
        w = validate.array("w", w, ndim=None, low=-1e30, high=1e30)
    w = jnp.asarray(w)
    s = jnp.max(jnp.abs(w))
    step = jnp.where(s > 0, 2 * s / (2.0 ** bits - 1), 1.0)
    return jnp.round((w + s) / step) * step - s


def _train_and_quantise(job: dict[str, Any]) -> dict[str, np.ndarray]:
    """The work of :func:`quantised_accuracy` for one ``{"config", "seeds"}``."""
    cfg: WeightsConfig = job["config"]
    seeds = job["seeds"]
    sets = [digits.load_digits(s) for s in seeds]
    xs = jnp.asarray(np.stack([x for x, _ in sets]))                           # (n_seeds, 1797, 64)
    true = np.stack([y for _, y in sets])
    noise = np.stack([np.random.default_rng([s, 2]).integers(0, N_CLASSES, true.shape[1]) for s in seeds])
    ys = jnp.asarray(np.stack([true, noise], axis=1).astype(np.int32))       # (n_seeds, 2, 1797)
    m = cfg.n_train

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> Any:
        return models.mlp_init(jax.random.key(hp["seed"].astype(jnp.uint32)), [64, cfg.hidden, N_CLASSES])

    def loss(params: Any, batch: Any, hp: dict[str, jax.Array]) -> jax.Array:
        run, label = hp["run"].astype(jnp.int32), hp["random"].astype(jnp.int32)
        logp = jax.nn.log_softmax(models.mlp(params, xs[run, :m]))
        return -jnp.mean(jnp.take_along_axis(logp, ys[run, label, :m, None], axis=1))

    hp = train.grid(run=np.arange(len(seeds), dtype=float), random=[0.0, 1.0])
    hp["seed"] = np.repeat(np.array(seeds, float), 2)
    hist = train.train(init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps, seeds=[0],
                       data=jnp.zeros(()), hparams=hp, desc="digits MLP, true and random labels")
    flat = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]), hist.params)   # (n_seeds · 2, ...) per leaf
    levels = jnp.asarray(list(cfg.bits) + [0])                                 # 0: the float32 network
    eps = cfg.mix_uniform

    def measure(params: Any, run: jax.Array, label: jax.Array, b: jax.Array) -> jax.Array:
        qp = jax.tree_util.tree_map(lambda w: jnp.where(b > 0, quantise(w, jnp.maximum(b, 1)), w), params)
        logits = models.mlp(qp, xs[run])
        y = ys[run, label]
        right = jnp.argmax(logits, 1) == y
        q = (1 - eps) * jnp.take_along_axis(jax.nn.softmax(logits), y[:, None], 1)[:, 0] + eps / N_CLASSES
        bits_train = -jnp.sum(jnp.log2(q[:m]))
        return jnp.stack([jnp.mean(right[:m]), jnp.mean(right[m:]), bits_train])

    over_bits = jax.vmap(measure, in_axes=(None, None, None, 0))
    table = jax.jit(jax.vmap(over_bits, in_axes=(0, 0, 0, None)))(flat, jnp.asarray(hp["run"], int), jnp.asarray(hp["random"], int), levels)
    table = np.asarray(table, dtype=np.float64).reshape(len(seeds), 2, len(cfg.bits) + 1, 3)
    layers = {f"{k}{i + 1}": np.asarray(layer[k], np.float32).reshape(len(seeds), 2, *layer[k].shape[1:])
              for i, layer in enumerate(flat) for k in ("w", "b")}               # the trained networks, kept for
    return {"train_acc": table[..., 0], "test_acc": table[..., 1], "label_bits": table[..., 2]} | layers  # §2's cuts


def quantised_accuracy(cfg: WeightsConfig, seeds: Sequence[int], *, cache: bool = True) -> dict[str, Any]:
    """Train the digits MLP on true and on random labels and measure it quantised to each number of bits (§2).

    One run per seed and labelling (setting 0: true labels, 1: random labels), all in one program
    (:func:`dltheory.train.train`). Arrays of shape ``(n_seeds, 2, len(cfg.bits) + 1)``, the last column the
    float32 network: ``train_acc``, ``test_acc``, and ``label_bits``, the code length in bits of the training
    labels given the quantised network, ``Σ -log2 q(y|x)`` with ``q`` the softmax mixed with ``mix_uniform`` of
    the uniform distribution (so that a confident mistake costs at most ``log2(K / ε)`` bits); and the trained
    float32 networks themselves, ``w1, b1, w2, b2`` of shape ``(n_seeds, 2, ...)``, which
    :mod:`dltheory.compression.structure` cuts to low rank and prunes without training again.
    Cached on disk (:func:`dltheory.sweep.run`) unless ``cache=False``.
    """
    if not isinstance(cfg, WeightsConfig):
        raise ValueError(f"cfg must be a WeightsConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    (out,) = sweep.run(_train_and_quantise, [{"config": cfg, "seeds": seeds}], cache=cache, desc="bits per weight")
    return out | {"seeds": tuple(seeds), "config": cfg, "bits": np.array(cfg.bits)}


def bits_needed(acc: Any, bits: Sequence[int], tolerance: float) -> np.ndarray:
    """Fewest bits per weight from which the accuracy stays within ``tolerance`` of the float one (§2).

    ``acc`` has shape ``(..., len(bits) + 1)``, the last entry the float32 accuracy. The answer is the smallest
    ``b`` of ``bits`` such that every ``b' ≥ b`` in ``bits`` keeps ``acc ≥ float - tolerance``; 32 where even the
    largest fails.
    """
    bits = validate.increasing_integers("bits", bits)
    tolerance = validate.real("tolerance", tolerance, low=0.0)
    acc = validate.array("acc", acc, ndim=None)
    if acc.ndim < 1 or acc.shape[-1] != bits.size + 1:
        raise ValueError(f"acc must end with len(bits) + 1 = {bits.size + 1} entries, got shape {acc.shape}")
    ok = acc[..., :-1] >= acc[..., -1:] - tolerance
    from_here = np.flip(np.cumprod(np.flip(ok, -1), -1), -1).astype(bool)    # ok at b and at every larger b
    first = np.argmax(from_here, -1)
    return np.where(from_here.any(-1), bits[first], 32)


def two_part_code(result: dict[str, Any]) -> dict[str, Any]:
    """Two-part description length of the training labels at each number of bits, in bits (§2).

    A two-part code in the spirit of Hinton and van Camp (theirs sends noisy weights and pays KL(Q||P) for them;
    this one is not theirs): first the weights, ``b`` bits each plus one float32 scale per tensor, then the
    labels given them (``label_bits``). Against it, the uniform code of the labels, ``m log2 K``. Returns
    ``weights`` (shape ``(len(bits),)``), ``total`` (``(n_seeds, 2, len(bits))``) and ``uniform``.
    """
    cfg: WeightsConfig = result["config"]
    weights = np.array(cfg.bits, float) * cfg.n_params + SCALE_BITS * 4
    total = weights + np.asarray(result["label_bits"])[..., :-1]
    return {"weights": weights, "total": total, "uniform": cfg.n_train * math.log2(N_CLASSES)}


def synthesis_point(result: dict[str, Any]) -> dict[str, Any]:
    """This section's point of §5's figure: ``32 / b*`` against the share of accuracy kept at ``b*`` bits.

    ``b*`` is the fewest bits that keep the true-label network's test accuracy (:func:`bits_needed`), per seed. The
    null, the random-label network, is rounded to the same ``b*`` bits (the same compression) and its training
    accuracy is compared with its float one. Shares kept are averaged over seeds (1 where ``b*`` is 32).
    """
    cfg: WeightsConfig = result["config"]
    true_test = np.asarray(result["test_acc"])[:, 0]
    random_train = np.asarray(result["train_acc"])[:, 1]
    need = bits_needed(true_test, cfg.bits, cfg.tolerance)
    column = [list(cfg.bits).index(b) if b < 32 else -1 for b in need]

    def share(acc: np.ndarray) -> float:
        return float(np.mean([acc[s, c] / acc[s, -1] for s, c in enumerate(column)]))

    ratio = float(np.mean(32.0 / need))
    return {"section": "2 weights: bits per weight", "ratio": ratio, "kept": share(true_test),
            "null_ratio": ratio, "null_kept": share(random_train)}


def check_levels_bits(answer: Any, n_params: int, bits: int, n_tensors: int) -> None:
    """Exercise check (§2): bits to send ``n_params`` weights quantised to ``bits`` bits, with one float32
    scale per tensor."""
    selfcheck.answered("weight_bits", answer)
    n_params = validate.integer("n_params", n_params, low=1)
    bits = validate.integer("bits", bits, low=1)
    n_tensors = validate.integer("n_tensors", n_tensors, low=1)
    selfcheck.number("weight_bits", answer, n_params * bits + SCALE_BITS * n_tensors, rtol=1e-9,
                     hint="b bits for each weight, and one 32-bit float per tensor for its largest magnitude.")
