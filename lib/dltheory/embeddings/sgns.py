"""Chapter 4, shared by § 4.2, § 4.7, the exercises and the benchmarks: skip-gram with negative sampling.

SGNS (Mikolov et al. 2013) trained in JAX through :func:`dltheory.train.train`, all seeds at once, with the
negatives drawn by Walker's alias method (Walker 1977; Vose 1991).
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

from dltheory import runtime, train, validate

__all__ = [
    "SGNSConfig",
    "alias_table",
    "alias_probabilities",
    "sample_alias",
    "train_sgns",
]


@dataclasses.dataclass(frozen=True)
class SGNSConfig(runtime.ModeConfig):
    """Skip-gram with negative sampling (§ 4.2).

    ``dim`` embedding dimension; ``negatives`` k; ``noise_power`` the exponent α of the noise
    distribution P(c)^α (1 for the exact Levy–Goldberg identity, 0.75 in word2vec); ``batch`` positive
    pairs per step; ``steps`` and ``lr`` for Adam with a cosine decay; ``window`` as in the corpus.
    """

    dim: int = validate.field(64, validate.integer, low=1)
    negatives: int = validate.field(5, validate.integer, low=1)
    noise_power: float = validate.field(1.0, validate.real, low=0.0, high=1.0)
    batch: int = validate.field(4096, validate.integer, low=1)
    steps: int = validate.field(1000, validate.integer, low=10)
    lr: float = validate.field(0.02, validate.real, low=0.0, low_open=True)
    window: int = validate.field(2, validate.integer, low=1, high=20)
    init_scale: float = validate.field(0.1, validate.real, low=0.0, low_open=True)

    @classmethod
    def fast(cls) -> SGNSConfig:
        return cls()

    @classmethod
    def full(cls) -> SGNSConfig:
        return cls(dim=128, steps=20000, batch=16384)

    def cost(self) -> runtime.Cost:
        """Three seeds in one program (the pages train three): ``batch`` positive pairs and ``negatives`` noise
        words a step, a ``dim``-long dot product each, forward and backward (6 FLOPs per multiply-add pair)."""
        step = 6.0 * self.batch * (1 + self.negatives) * self.dim * 2
        return runtime.Cost(flops=3 * step * self.steps, bytes=4.0 * 3 * self.batch * (2 + self.negatives) * self.dim * 3,
                            steps=self.steps)

    def paper_scale(self) -> str:
        """Against Mikolov et al.'s 300-d skip-gram on 783M words."""
        return (f"skip-gram with {self.negatives} negatives as in Mikolov et al., {self.dim} dimensions (their 300), "
                f"{self.steps:,} steps of {self.batch:,} positive pairs on the synthetic corpus instead of 783M words "
                "of news: the Levy–Goldberg identity is about the optimum, not the corpus")


def alias_table(probs: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """Walker's alias table of a discrete distribution, drawn from with one 32-bit random word (§ 4.2).

    The negatives of skip-gram come from the noise distribution P(c)^α (Mikolov et al. 2013). word2vec
    samples it from a long "unigram table" of word indices, which rounds every probability to a multiple
    of the table's inverse length; Walker's alias method (Walker 1977, in the form of Vose 1991) needs
    one table lookup per draw and almost no rounding. The distribution is spread over ``n`` equal
    columns, ``n`` the power of two at least ``len(probs)``: column ``j`` keeps its own word with
    probability ``threshold[j] / 2**shift`` and gives way to ``alias[j]`` otherwise. A draw takes the
    top ``32 - shift`` bits of a word as the column and compares the low ``shift`` bits with the
    threshold (:func:`sample_alias`). Thresholds are integers, so each word's probability is rounded
    by at most ``n / 2**33`` (under 10⁻⁶ for a million words); words of probability 0 are never drawn.

    ``probs`` are non-negative weights, normalised here. Returns ``(threshold, alias, shift)``:
    ``threshold`` uint32 and ``alias`` int32 arrays of length ``n``.
    """
    p = validate.array("probs", probs, ndim=1, nonnegative=True, min_size=1, dtype=np.float64)
    if p.size > 1 << 24:
        raise ValueError(f"probs must have at most 2**24 entries, got {p.size}")
    if not p.sum() > 0:
        raise ValueError("probs must have a positive sum")
    bits = max(1, (p.size - 1).bit_length())
    n, shift = 1 << bits, 32 - bits
    q = np.zeros(n)
    q[: p.size] = p / p.sum() * n  # column masses in units of 1/n
    alias = np.arange(n, dtype=np.int64)
    small = [j for j in range(n) if q[j] < 1.0]
    large = [j for j in range(n) if q[j] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        alias[s] = g  # column s: word s with probability q[s], word g otherwise
        q[g] -= 1.0 - q[s]
        (small if q[g] < 1.0 else large).append(g)
    for j in small + large:  # left over only through rounding: q[j] is 1 up to ~1e-12
        if abs(q[j] - 1.0) > 1e-6:  # cannot happen for non-negative weights with a positive sum
            raise RuntimeError(f"alias_table: column {j} left with mass {q[j]}, not 1")
        q[j], alias[j] = 1.0, j
    threshold = np.round(np.clip(q, 0.0, 1.0) * 2.0**shift).astype(np.uint32)
    return threshold, alias.astype(np.int32), shift


def alias_probabilities(threshold: Any, alias: Any, shift: int) -> np.ndarray:
    """The exact distribution that :func:`sample_alias` draws from with this table (§ 4.2), in float64.

    Column ``j`` is chosen by ``2**shift`` of the 2³² words; ``threshold[j]`` of them keep word ``j`` and
    the others give ``alias[j]``. Compare with the ``probs`` given to :func:`alias_table` to see its rounding.
    """
    shift = validate.integer("shift", shift, low=1, high=31)
    n = 1 << (32 - shift)
    thr = validate.array("threshold", threshold, shape=(n,), dtype=np.float64, nonnegative=True, high=2.0**shift)
    ali = validate.array("alias", alias, shape=(n,), dtype=np.int64, nonnegative=True, high=n - 1)
    out = np.bincount(np.arange(n), weights=thr, minlength=n) + np.bincount(ali, weights=2.0**shift - thr, minlength=n)
    return out / 2.0**32


def sample_alias(bits: jax.Array, threshold: jax.Array, alias: jax.Array, shift: int) -> jax.Array:
    """Draw one word per uint32 in ``bits`` from the table of :func:`alias_table` (§ 4.2).

    Jittable and vmappable; ``bits`` of any shape (from ``jax.random.bits``), the result has its shape.
    """
    shift = validate.integer("shift", shift, low=1, high=31)
    if getattr(bits, "dtype", None) != jnp.uint32:
        got = getattr(bits, "dtype", type(bits).__name__)
        raise ValueError(f"bits must be a uint32 array (jax.random.bits), got dtype {got}")
    if threshold.shape != alias.shape or threshold.shape != (1 << (32 - shift),):
        raise ValueError(f"threshold and alias must have shape ({1 << (32 - shift)},) for shift {shift}, "
                         f"got {threshold.shape} and {alias.shape}")
    column = (bits >> shift).astype(jnp.int32)
    keep = (bits & jnp.uint32((1 << shift) - 1)) < threshold[column]
    return jnp.where(keep, column, alias[column])


def _below(bits: jax.Array, n: int) -> jax.Array:
    """``floor(bits · n / 2³²)``: a uniform integer in ``[0, n)`` from each uint32 (Lemire's multiply-shift,
    without rejection: each value has ⌊2³²/n⌋ or ⌈2³²/n⌉ of the 2³² words, a relative unevenness below n/2³²).
    Computed in 16-bit halves, since JAX on a CPU has no 64-bit integers by default."""
    n = jnp.uint32(n)
    a_hi, a_lo = bits >> 16, bits & 0xFFFF
    n_hi, n_lo = n >> 16, n & 0xFFFF
    mid = a_hi * n_lo + ((a_lo * n_lo) >> 16)
    mid2 = (mid & 0xFFFF) + a_lo * n_hi
    return (a_hi * n_hi + (mid >> 16) + (mid2 >> 16)).astype(jnp.int32)


def _sgns_loss(params: dict[str, jax.Array], batch: tuple[jax.Array, jax.Array, jax.Array]) -> jax.Array:
    words, contexts, negatives = batch
    w = params["w"][words]  # (B, d)
    pos = jnp.sum(w * params["c"][contexts], axis=-1)
    neg = jnp.einsum("bd,bkd->bk", w, params["c"][negatives])
    return -jnp.mean(jax.nn.log_sigmoid(pos) + jnp.sum(jax.nn.log_sigmoid(-neg), axis=-1))


def train_sgns(tokens: Any, vocab_size: int, cfg: SGNSConfig, seeds: Sequence[int], *,
               progress: bool | None = None) -> train.History:
    """Train SGNS on ``tokens`` for each seed, all seeds at once (§ 4.2; Mikolov et al. 2013).

    Each step draws ``batch`` (word, context) pairs exactly as skip-gram sees them (a uniform
    position t and a uniform offset 1 ≤ |Δ| ≤ L) and ``negatives`` noise words per pair from
    P(c)^α, and takes an Adam step on the negative-sampling loss. The whole run is one jitted
    ``lax.scan`` per evaluation chunk, vmapped over seeds. ``history.params["w"]`` and ``["c"]`` hold
    word and context vectors, shape ``(n_seeds, 1, V, dim)``.

    Two details make a step cheaper without changing what it computes. All random numbers of a step come
    from one ``jax.random.bits`` call, one 32-bit word per draw: the position and the offset by
    multiply-shift (:func:`_below`, unevenness below 10⁻⁴ for corpora under 400,000 tokens) and each
    negative by Walker's alias method (:func:`alias_table`, probabilities exact to ``n/2³³``). And the
    vector tables are stored with ``dim`` rounded up to a multiple of 8, the extra columns zero: they get
    zero gradients, so Adam leaves them at exactly zero and every dot product is unchanged, while the
    scatter-add of the gradient rows runs on whole SIMD lanes (faster on a CPU). They are cut off
    before the history is returned.
    """
    V = validate.integer("vocab_size", vocab_size, low=2)
    if not isinstance(cfg, SGNSConfig):
        raise ValueError(f"cfg must be an SGNSConfig, got {type(cfg).__name__}")
    tokens = validate.array("tokens", tokens, ndim=1, dtype=np.int64, nonnegative=True, min_size=2 * cfg.window + 2)
    if tokens.max() >= V:
        raise ValueError(f"tokens must lie in [0, vocab_size={V}), found {int(tokens.max())}")
    if tokens.size >= 1 << 31:
        raise ValueError(f"tokens must have fewer than 2**31 entries, got {tokens.size}")
    freq = np.bincount(tokens, minlength=V).astype(np.float64)
    threshold, alias, shift = alias_table(freq**cfg.noise_power * (freq > 0))
    data = (jnp.asarray(tokens, dtype=jnp.int32), jnp.asarray(threshold), jnp.asarray(alias))
    T, L, B, k = tokens.size, cfg.window, cfg.batch, cfg.negatives
    padded = -(-cfg.dim // 8) * 8

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        kw, kc = jax.random.split(key)
        s = cfg.init_scale / math.sqrt(cfg.dim)
        pad = ((0, 0), (0, padded - cfg.dim))
        return {"w": jnp.pad(s * jax.random.normal(kw, (V, cfg.dim)), pad),
                "c": jnp.pad(s * jax.random.normal(kc, (V, cfg.dim)), pad)}

    def batch(key: jax.Array, data: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
        toks, thr, ali = data
        bits = jax.random.bits(key, (k + 2, B), jnp.uint32)
        t = L + _below(bits[0], T - 2 * L)  # a uniform position in [L, T - L)
        r = _below(bits[1], 2 * L)  # a uniform offset in {-L, ..., -1, 1, ..., L}
        off = r - L + (r >= L)
        neg = sample_alias(bits[2:].T, thr, ali, shift)  # (B, k) draws from P(c)^α
        return toks[t], toks[t + off], neg

    schedule = optax.cosine_decay_schedule(cfg.lr, cfg.steps)
    history = train.train(
        init,
        lambda p, b, hp: _sgns_loss(p, b),
        optax.adam(schedule),
        steps=cfg.steps,
        eval_every=max(cfg.steps // 10, 1),
        seeds=seeds,
        data=data,
        batch=batch,
        progress=progress,
        desc="SGNS",
    )
    if any(np.any(v[..., cfg.dim:] != 0) for v in history.params.values()):
        raise RuntimeError("train_sgns: a padding column of the vector tables moved away from zero")
    return dataclasses.replace(history, params={name: v[..., : cfg.dim] for name, v in history.params.items()})
