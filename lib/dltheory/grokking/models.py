"""Chapter 3, shared: the configuration of a grokking experiment and the three models it can train.

Used by Sections 3.1–3.4 (pages ``01-memorise-then-generalise`` to ``04-acceleration-and-sign-flips``).
:class:`GrokConfig` fixes the task (addition modulo a prime ``p``), the model and the optimiser;
:func:`init_model` and :func:`apply_model` are an MLP on learned embeddings, the one-layer transformer of
Nanda et al. (2023) from :mod:`dltheory.nets`, or Gromov's (2023) network with quadratic activation
(:func:`quadratic_mlp`, Section 3.3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import nets, runtime, validate

__all__ = ["MODELS", "GrokConfig", "init_model", "apply_model", "quadratic_mlp"]


MODELS = ("mlp", "transformer", "quadratic")


# --------------------------------------------------------------------------- configuration


@dataclasses.dataclass(frozen=True)
class GrokConfig(runtime.ModeConfig):
    """One grokking experiment: the task, the model and the optimiser.

    ``fast()`` is an MLP on learned embeddings at ``p = 47`` (seconds on a CPU); ``full()`` is the
    configuration of Nanda et al. (2023): a one-layer transformer at ``p = 113``, 30% of the pairs,
    AdamW (lr 1e-3, weight decay 1, β = (0.9, 0.98)), full batch.
    """

    p: int = validate.field(47, validate.prime, low=3, high=1009)
    model: str = validate.field("mlp", validate.choice, options=MODELS)
    d_model: int = validate.field(32, validate.integer, low=1)
    n_heads: int = validate.field(4, validate.integer, low=1)
    d_hidden: int = validate.field(96, validate.integer, low=1)
    train_frac: float = validate.field(0.5, validate.real, low=0.0, high=1.0, low_open=True, high_open=True)
    lr: float = validate.field(3e-3, validate.real, low=0.0, low_open=True)
    weight_decay: float = validate.field(1.0, validate.real, low=0.0)
    beta1: float = validate.field(0.9, validate.real, low=0.0, high=1.0, high_open=True)
    beta2: float = validate.field(0.98, validate.real, low=0.0, high=1.0, high_open=True)
    warmup: int = validate.field(10, validate.integer, low=0)
    batch_size: int | None = validate.field(None, validate.integer, low=1, optional=True)
    steps: int = validate.field(3500, validate.integer, low=1)
    eval_every: int = validate.field(50, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    split_seed: int = validate.field(0, validate.integer, low=0)

    def check(self) -> None:  # relations between fields; the ranges are declared above
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})")
        validate.schedule(self.steps, self.eval_every)

    @classmethod
    def fast(cls) -> GrokConfig:
        return cls()

    @classmethod
    def full(cls) -> GrokConfig:
        return cls(
            p=113, model="transformer", d_model=128, n_heads=4, d_hidden=512, train_frac=0.3,
            lr=1e-3, batch_size=None, steps=20000, eval_every=100, n_seeds=3,
        )

    @property
    def n_pairs(self) -> int:
        return self.p * self.p

    @property
    def n_train(self) -> int:
        return int(round(self.train_frac * self.n_pairs))

    def describe(self) -> str:
        """A one-line summary, used in figure captions and provenance."""
        size = (f"d_model {self.d_model}, {self.n_heads} heads, d_mlp {self.d_hidden}" if self.model == "transformer"
                else f"embedding {self.d_model}, hidden {self.d_hidden}")
        return (f"{self.model} ({size}), p = {self.p}, train fraction {self.train_frac:g}, AdamW lr {self.lr:g}, "
                f"wd {self.weight_decay:g}, betas ({self.beta1:g}, {self.beta2:g}), {self.steps} steps of "
                + ("full batch" if self.batch_size is None else f"batch {self.batch_size}"))

    def cost(self) -> runtime.Cost:
        """Every seed trained with weight decay and without (the control) in one program, on ``n_train`` pairs
        a step (full batch) or ``batch_size``. The transformer's step is the useful work counted by
        ``benchmarks.workloads.grok_flops`` (4.1 GFLOP at Nanda et al.'s configuration); the MLPs', 6 FLOPs per
        parameter that an example touches."""
        d, m, p = self.d_model, self.d_hidden, self.p
        batch = self.n_train if self.batch_size is None else self.batch_size
        if self.model == "transformer":
            per_example = 3.0 * (4 * d * d + 12 * d + 4 * d * m + 2 * d * p)
            step = per_example * batch + 3.0 * 4 * d * d * (p + 4)
            acts = 3 * d + m + p
        else:
            per_example = 6.0 * (2 * d * m + m * p)
            step, acts = per_example * batch, 2 * d + m + p
        runs = 2 * self.n_seeds
        params = (p + 3) * d + 4 * d * d + 2 * d * m + d * p
        memory = 4.0 * runs * (4 * params + batch * acts * 3)
        return runtime.Cost(flops=step * self.steps * runs, bytes=memory, steps=self.steps)

    def paper_scale(self) -> str:
        """Against Nanda et al.'s 40,000 full-batch steps."""
        if self.model != "transformer":
            return (f"an MLP at p = {self.p} for {self.steps:,} steps, {self.n_seeds} seeds: a CPU-sized stand-in "
                    "for Nanda et al.'s transformer at p = 113, which full mode runs on the other pages")
        return (f"Nanda et al.'s configuration (p = {self.p}, one-layer transformer, {self.train_frac:.0%} of the "
                f"pairs, full batch, AdamW) for {self.steps:,} of their 40,000 steps, {self.n_seeds} seeds: their "
                "test accuracy reaches about 100% by step 10⁴, so this covers the whole transition")


# --------------------------------------------------------------------------- models


def init_model(key: jax.Array, cfg: GrokConfig) -> dict[str, jax.Array]:
    """Initial parameters of the model ``cfg.model``.

    Section 3.1. ``"mlp"``: embeddings ``E`` (p × d_model) of ``a`` and ``b`` are concatenated and
    fed to a ReLU layer of width ``d_hidden`` and a linear read-out to ``p`` logits, weights drawn
    ``N(0, 1/fan_in)``. ``"quadratic"``: Gromov's (2023) two-layer network with activation ``x²``
    and ``N = d_hidden`` hidden units, weights ``N(0, 1)`` (see :func:`quadratic_mlp`). ``"transformer"``:
    :func:`dltheory.nets.transformer_init` with vocabulary ``p + 1`` (the extra token is "="), three
    positions and ``p`` outputs (Nanda et al. 2023).
    """
    if cfg.model == "transformer":
        return nets.transformer_init(key, vocab=cfg.p + 1, n_ctx=3, d_model=cfg.d_model, n_heads=cfg.n_heads,
                                     d_mlp=cfg.d_hidden, d_out=cfg.p)
    if cfg.model == "quadratic":
        k1, k2, k3 = jax.random.split(key, 3)
        shape = (cfg.p, cfg.d_hidden)
        return {"U": jax.random.normal(k1, shape), "V": jax.random.normal(k2, shape),
                "W": jax.random.normal(k3, shape[::-1])}
    k1, k2, k3 = jax.random.split(key, 3)
    d, h, p = cfg.d_model, cfg.d_hidden, cfg.p
    f32 = jnp.float32  # explicit, so that the draws are the same where 64-bit types are enabled (Section 3.6)
    return {
        "embed": jax.random.normal(k1, (p, d), f32) / np.float32(np.sqrt(d)),
        "W_in": jax.random.normal(k2, (2 * d, h), f32) / np.float32(np.sqrt(2 * d)),
        "b_in": jnp.zeros((h,), f32),
        "unembed": jax.random.normal(k3, (h, p), f32) / np.float32(np.sqrt(h)),
    }


def apply_model(cfg: GrokConfig, params: Mapping[str, jax.Array], a: jax.Array, b: jax.Array) -> jax.Array:
    """Logits over ``c`` for the pairs ``(a, b)``, shape ``(len(a), p)`` (Section 3.1)."""
    if cfg.model == "transformer":
        equals = jnp.full_like(a, cfg.p)
        return nets.transformer_apply(params, jnp.stack([a, b, equals], axis=-1))
    if cfg.model == "quadratic":
        return quadratic_mlp(params, a, b)
    # [E_a, E_b] @ W_in = (E @ W_in[:d])[a] + (E @ W_in[d:])[b]: two p × d_hidden tables and a lookup,
    # instead of a (pairs × 2d) @ (2d × d_hidden) product. Same function, far fewer operations.
    d = params["embed"].shape[1]
    first = params["embed"] @ params["W_in"][:d]
    second = params["embed"] @ params["W_in"][d:]
    return jax.nn.relu(first[a] + second[b] + params["b_in"]) @ params["unembed"]


def quadratic_mlp(params: Mapping[str, jax.Array], a: jax.Array, b: jax.Array) -> jax.Array:
    """Gromov's (2023) two-layer network with quadratic activation, outputs of shape ``(len(a), p)``.

    Section 3.3. With one-hot inputs the first layer is two embedding lookups, ``U[a] + V[b]``
    (``U``, ``V``: ``p × N``); the output is ``W (·)² / N`` with ``W``: ``N × p``. The input is scaled by
    ``1/√(2p)`` (the norm of the concatenated one-hot input's fan-in) and the output by ``1/N``, the
    mean-field scaling under which the network trains with the squared loss.
    """
    p, n = params["U"].shape
    z = (params["U"][a] + params["V"][b]) / jnp.sqrt(2.0 * p)
    return (z**2) @ params["W"] / n
