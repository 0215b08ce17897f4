"""Chapter 5, §5.4 ``04-description-length``: prequential code lengths of scikit-learn's digits.

:func:`prequential_codelength` is the online code of Blier and Ollivier (2018). Every block of labels
is sent with a network trained on all earlier blocks; the first block is sent uniformly. All blocks
train at once: the size of the training prefix is a hyper-parameter of :func:`dltheory.train.train`,
and a mask hides the rest. The data are :func:`dltheory.information.digits.load_digits`, the network
:mod:`dltheory.information.models`.

Log-losses are computed from ``log_softmax`` and code lengths are summed in float64.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, train, validate
from dltheory.information import digits, models

__all__ = ["MDLConfig", "prequential_codelength", "laplace_codelength", "check_codelength"]


@dataclasses.dataclass(frozen=True)
class MDLConfig(runtime.ModeConfig):
    """Section 5.4: block boundaries (``t_0 < t_1 < ... < n``), the network and its training budget."""

    boundaries: tuple[int, ...] = validate.field((16, 32, 64, 128, 256, 512, 1024, 1797), validate.integers, low=1,
                                                 high=1797, min_size=2, increasing=True)
    hidden: int = validate.field(128, validate.integer, low=1)
    batch: int = validate.field(128, validate.integer, low=1)
    steps: int = validate.field(400, validate.multiple, low=10, of=10)
    lr: float = validate.field(3e-3, validate.real, low=0.0, low_open=True)
    weight_decay: float = validate.field(1e-3, validate.real, low=0.0)
    mix_uniform: float = validate.field(0.01, validate.probability, open_low=True, open_high=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> MDLConfig:
        return cls()

    @classmethod
    def full(cls) -> MDLConfig:
        return cls(boundaries=(8, 16, 32, 64, 128, 256, 384, 512, 768, 1024, 1400, 1797), steps=2000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Prequential code: one MLP (64 → ``hidden`` → 10) per block boundary, seed and labelling (true and
        random labels), ``steps`` steps of ``batch`` each, all in one program."""
        params = 64.0 * self.hidden + self.hidden * 10 + self.hidden + 10
        runs = 2 * len(self.boundaries) * self.n_seeds
        return runtime.Cost.training(params=params, batch=self.batch, steps=self.steps, runs=runs,
                                     activations=float(self.hidden + 74))

    def paper_scale(self) -> str:
        """Against Blier & Ollivier's MNIST."""
        return (f"Blier & Ollivier code MNIST's 60,000 images; here the 1,797 digits in {len(self.boundaries)} "
                f"blocks, an MLP of {self.hidden} hidden units, {self.steps:,} steps a block, {self.n_seeds} seeds; "
                "the codes' lengths in bits are therefore ours, not the paper's")


def prequential_codelength(cfg: MDLConfig, seeds: list[int], *, random_labels: bool = False) -> dict[str, Any]:
    """Section 5.4: prequential (online) code length of the digit labels, in bits, per seed.

    Blier and Ollivier (2018), eq. (7). The first ``t_0`` labels cost ``log2 10`` bits each. For each
    later block ``[t_s, t_{s+1})`` a fresh MLP is trained (AdamW, ``cfg.steps`` steps on minibatches of
    ``cfg.batch`` drawn from the first ``t_s`` examples only; all seeds and blocks in one compiled program),
    and the block costs ``Σ -log2 q(y_i | x_i)`` with
    ``q = (1 - ε) p_model + ε/10`` (``ε = cfg.mix_uniform``, fixed in advance, so that a confident
    mistake costs at most ``log2(10/ε)`` bits). Decoding repeats the same deterministic training, so
    this is a valid code. Returns per-seed totals, per-block costs, the uniform code length and the code
    length of the same labels under a model that ignores the inputs (:func:`laplace_codelength`).
    """
    if not isinstance(cfg, MDLConfig):
        raise ValueError(f"cfg must be an MDLConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    bounds = np.array(cfg.boundaries)
    n = int(bounds[-1])
    starts, ends = bounds[:-1], bounds[1:]
    eps = cfg.mix_uniform
    data = [digits.load_digits(s, random_labels=random_labels) for s in seeds]
    xs = jnp.asarray(np.stack([d[0][:n] for d in data]))  # (n_seeds, n, 64)
    ys = jnp.asarray(np.stack([d[1][:n] for d in data]))  # (n_seeds, n)
    idx = jnp.arange(n)

    # One compiled program trains every (seed, block): hyper-parameters name the seed's data ("run"),
    # its initialisation ("seed") and the block (its training prefix "start" and its end "end").
    def init(key: jax.Array, hp: dict[str, jax.Array]) -> Any:
        key = jax.random.fold_in(jax.random.key(hp["seed"].astype(jnp.uint32)), hp["start"].astype(jnp.int32))
        return models.mlp_init(key, [64, cfg.hidden, 10])

    def loss(params: Any, key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        run = hp["run"].astype(jnp.int32)
        rows = jax.random.randint(jax.random.fold_in(key, hp["seed"].astype(jnp.uint32)), (cfg.batch,), 0,
                                  hp["start"].astype(jnp.int32))
        logp = jax.nn.log_softmax(models.mlp(params, xs[run, rows]))
        return -jnp.mean(jnp.take_along_axis(logp, ys[run, rows][:, None], axis=1))

    def evaluate(params: Any, hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        run = hp["run"].astype(jnp.int32)
        probs = jax.nn.softmax(models.mlp(params, xs[run]))
        q = (1 - eps) * jnp.take_along_axis(probs, ys[run][:, None], axis=1)[:, 0] + eps / 10
        in_block = (idx >= hp["start"]) & (idx < hp["end"])
        return {"bits": jnp.sum(jnp.where(in_block, -jnp.log2(q), 0.0))}

    hp = train.grid(run=np.arange(len(seeds), dtype=float), start=starts.astype(float))
    hp["end"] = np.tile(ends.astype(float), len(seeds))
    hp["seed"] = np.repeat(np.array(seeds, float), len(starts))
    hist = train.train(init, loss, optax.adamw(cfg.lr, weight_decay=cfg.weight_decay), steps=cfg.steps,
                       eval_every=cfg.steps // 10, seeds=[0], data=jnp.zeros(()), batch=lambda k, d: k,
                       evaluate=evaluate, hparams=hp, desc="prequential blocks")
    per_block = np.asarray(hist.final("bits")[0], dtype=np.float64).reshape(len(seeds), len(starts))
    first = bounds[0] * math.log2(10)
    blocks = np.concatenate([np.full((len(seeds), 1), first), per_block], axis=1)
    totals = blocks.sum(axis=1)
    # The control model that sees only the class frequencies: the same first block, then the Laplace rule.
    frequency = np.array([laplace_codelength(d[1][:n], int(bounds[0]), 10) for d in data])
    return {"total_bits": totals, "block_bits": blocks, "uniform_bits": n * math.log2(10), "frequency_bits": frequency,
            "boundaries": bounds, "seeds": tuple(seeds), "random_labels": random_labels, "config": cfg}


def laplace_codelength(labels: Any, first_block: int, n_classes: int) -> float:
    """Section 5.4: prequential code length (bits) of ``labels`` under the Laplace (add-one) rule.

    The first ``first_block`` labels cost ``log2 K`` bits each; label ``i`` after them costs
    ``-log2 q_i(y_i)`` with ``q_i(k) = (count of k among labels 0..i-1 + 1) / (i + K)``: the online code of
    the smallest possible "model", one that ignores the inputs and learns the class frequencies.
    """
    labels = validate.array("labels", labels, ndim=1, dtype=np.int64)
    n_classes = validate.integer("n_classes", n_classes, low=2)
    first_block = validate.integer("first_block", first_block, low=0, high=labels.size)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes})")
    counts = np.zeros(n_classes)
    bits = first_block * math.log2(n_classes)
    for i, label in enumerate(labels):
        if i >= first_block:
            bits -= math.log2((counts[label] + 1) / (i + n_classes))
        counts[label] += 1
    return float(bits)


def check_codelength(bits: Any, labels: Any, first_block: int, n_classes: int) -> None:
    """Exercise check (§5.4): the Laplace-rule prequential code length of ``labels``, computed by hand."""
    selfcheck.answered("bits", bits)
    expected = laplace_codelength(labels, first_block, n_classes)
    selfcheck.number("bits", bits, expected, rtol=1e-3,
                     hint="the first block costs log2(K) bits per label; label i then costs -log2((n_k + 1)/(i + K)) "
                          "bits, with n_k the count of its class among the labels already sent (bits, not nats).")

