"""Chapter 3, shared: training on ``a + b mod p`` (AdamW, full batch or minibatches), and the chapter's cached run.

:func:`run` (AdamW, full batch or minibatches, optional Grokfast filter :func:`grokfast_ema` and momentum
switch) trains one model per seed and setting in one vmapped program and returns a
:class:`~dltheory.grokking.results.GrokResult`; :func:`shared_run` is the chapter's run, with weight decay and
without, trained once and cached on disk for the pages that need it. What a run returns, the phases read off it
(``first_step``, ``delays``), ``join`` and the saved runs (``save_result``, ``load_result``) live in
:mod:`dltheory.grokking.results` and are re-exported here, so a page reads ``training.delays(result)``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from dltheory import runtime, sweep, train, validate
from dltheory.grokking.data import modular_addition, split_rank
from dltheory.grokking.models import GrokConfig, apply_model, init_model
from dltheory.grokking.results import (
    _CURVES, FULL_RUN_FILE, GrokResult, _flat_params, _nested_params, delays, first_step, join, load_result,
    save_result,
)
from dltheory.grokking.softmax_collapse import orthogonal_grad, stablemax_cross_entropy

__all__ = ["GrokResult", "run", "shared_run", "join", "grokfast_ema", "first_step", "delays", "save_result",
           "load_result", "FULL_RUN_FILE"]


def grokfast_ema(alpha: float | jax.Array, lamb: float | jax.Array) -> optax.GradientTransformation:
    """Grokfast-EMA (Lee et al. 2024): add ``λ`` times an exponential moving average of the gradients.

    Section 3.4. ``μ_t = α μ_{t-1} + (1-α) g_t`` and the gradient passed on is ``g_t + λ μ_t``; chain
    it before the optimiser. ``λ = 0`` is the plain optimiser. ``alpha`` and ``lamb`` may be traced.
    """
    if not isinstance(alpha, jax.Array):
        validate.real("alpha", alpha, low=0.0, high=1.0, high_open=True)
    if not isinstance(lamb, jax.Array):
        validate.real("lamb", lamb, low=0.0)

    def init(params: Any) -> Any:
        return jax.tree_util.tree_map(jnp.zeros_like, params)

    def update(grads: Any, mu: Any, params: Any = None) -> tuple[Any, Any]:
        mu = jax.tree_util.tree_map(lambda m, g: alpha * m + (1 - alpha) * g, mu, grads)
        return jax.tree_util.tree_map(lambda g, m: g + lamb * m, grads, mu), mu

    return optax.GradientTransformation(init, update)



def run(
    cfg: GrokConfig,
    seeds: Sequence[int] | None = None,
    *,
    hparams: Mapping[str, Sequence[float]] | None = None,
    snapshots: bool = False,
    init_params: Mapping[str, Any] | None = None,
    desc: str = "grokking",
) -> GrokResult:
    """Train ``cfg.model`` on ``a + b mod p`` with AdamW; one run per seed and setting.

    Sections 3.1–3.5 (Power et al. 2022; Nanda et al. 2023; Lee et al. 2024). ``hparams`` may vary,
    across vmapped runs, ``train_frac``, ``weight_decay`` (AdamW's decoupled decay), ``l2`` (a penalty
    ``l2·θ`` added to the gradient before Adam's moments, torch's ``Adam(weight_decay=...)``, which Lee et
    al.'s Grokfast runs use), ``orthograd`` and ``stablemax`` (1 switches on ⊥Grad and StableMax, Prieto et al.
    2025, Section 3.6), ``beta1`` (momentum; 0 turns it off),
    ``grokfast`` (the Grokfast-EMA amplification λ, α = 0.98; 0 turns it off), ``lr`` and ``output_scale`` (a
    fixed multiplier on the logits, Kumar et al. 2024's laziness control, Section 3.8; default 1); anything not
    given comes from ``cfg``. Two more exist only where given, so that a program without them is unchanged:
    ``adam_eps`` (Adam's ε, optax's 1e-8 otherwise) and ``loss_float64`` (1: the cross-entropy computed in
    float64 from the float32 logits, the network and Adam staying float32; Prieto et al.'s precision control,
    Section 3.6; the whole program then runs with 64-bit types enabled). The learning rate warms up linearly over ``cfg.warmup`` steps, as in
    Nanda et al. With ``cfg.batch_size`` each step draws that many training pairs with replacement
    (Power et al. use minibatches of 512); with ``None`` it is full batch (Nanda et al.). Test metrics
    are on the pairs outside the training mask. ``seeds`` defaults to
    ``runtime.seeds(cfg.n_seeds)``. ``init_params`` (one model's parameters, e.g. ``result.final(i)`` of an
    earlier run) starts every run from those weights instead of a fresh initialisation (Section 3.7).
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else seeds
    base = ("train_frac", "weight_decay", "l2", "beta1", "grokfast", "lr", "orthograd", "stablemax", "output_scale")
    allowed = base + ("adam_eps", "loss_float64")  # these two only where given: other programs keep their bits
    hp_in = dict(hparams or {})
    unknown = set(hp_in) - set(allowed)
    if unknown:
        raise ValueError(f"hparams may only set {allowed}, got {sorted(unknown)}")
    lengths = {len(np.atleast_1d(v)) for v in hp_in.values()}
    if len(lengths) > 1:
        raise ValueError(f"all hparams must have the same length, got lengths {sorted(lengths)}")
    n_set = lengths.pop() if lengths else 1
    defaults = {"train_frac": cfg.train_frac, "weight_decay": cfg.weight_decay, "l2": 0.0, "beta1": cfg.beta1,
                "grokfast": 0.0, "lr": cfg.lr, "orthograd": 0.0, "stablemax": 0.0, "output_scale": 1.0}
    hp = {k: np.asarray(hp_in[k] if k in hp_in else np.full(n_set, defaults[k]), dtype=np.float32).reshape(-1)
          for k in base + tuple(k for k in allowed[len(base):] if k in hp_in)}
    if "adam_eps" in hp and not np.all(hp["adam_eps"] > 0):
        raise ValueError(f"hparams['adam_eps'] must be > 0, got {hp['adam_eps']}")
    if "loss_float64" in hp and not np.all(np.isin(hp["loss_float64"], (0, 1))):
        raise ValueError("hparams['loss_float64'] must be 0 (float32) or 1 (float64)")
    float64 = "loss_float64" in hp
    # StableMax's loss only where some run uses it: left out of a program where none does, it costs nothing (the
    # same numbers; about a sixth of the step of Section 3.1's MLP).
    with_stablemax = bool(np.any(hp["stablemax"] > 0))
    if np.any((hp["train_frac"] <= 0) | (hp["train_frac"] >= 1)):
        raise ValueError("hparams['train_frac'] must lie in (0, 1)")
    if np.any(hp["weight_decay"] < 0) or np.any(hp["l2"] < 0) or np.any(hp["grokfast"] < 0) or np.any(hp["lr"] <= 0):
        raise ValueError("hparams weight_decay, l2 and grokfast must be >= 0, lr > 0")
    if np.any(hp["output_scale"] <= 0):
        raise ValueError(f"hparams['output_scale'] must be > 0, got {hp['output_scale']}")
    if not np.all(np.isin(hp["orthograd"], (0, 1)) & np.isin(hp["stablemax"], (0, 1))):
        raise ValueError("hparams orthograd and stablemax must be 0 (off) or 1 (on)")
    if np.any((hp["beta1"] < 0) | (hp["beta1"] >= 1)):
        raise ValueError("hparams['beta1'] must lie in [0, 1)")

    start = None
    if init_params is not None:
        reference = init_model(jax.random.key(0), cfg)
        if jax.tree_util.tree_structure(dict(init_params)) != jax.tree_util.tree_structure(reference) or any(
            np.shape(a) != np.shape(b) for a, b in zip(jax.tree_util.tree_leaves(dict(init_params)),
                                                      jax.tree_util.tree_leaves(reference))):
            raise ValueError(f"init_params must be the parameters of one {cfg.model!r} model of this config")
        start = jax.tree_util.tree_map(lambda x: jnp.asarray(x, jnp.float32), dict(init_params))
    digest = None if start is None else hashlib.sha256(
        b"".join(np.asarray(x).tobytes() for x in jax.tree_util.tree_leaves(start))).hexdigest()

    n = cfg.n_pairs
    table = modular_addition(cfg.p) | {"rank": split_rank(cfg)}
    # The loss only ever needs the pairs inside the largest training mask, sorted by rank: entry j of
    # ``ranked`` is the pair of rank j, so a training set of size m is its first m entries.
    order = np.argsort(table["rank"])[: int(np.round(hp["train_frac"].max() * n))]
    ranked = {k: jnp.asarray(v[order]) for k, v in table.items()}
    table = {k: jnp.asarray(v) for k, v in table.items()}

    def per_pair(params: Any, pairs: Mapping[str, jax.Array], h: Mapping[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        logits = h["output_scale"] * apply_model(cfg, params, pairs["a"], pairs["b"])
        if cfg.model == "quadratic":  # Gromov (2023): squared error against one-hot targets
            err = jnp.sum((logits - jax.nn.one_hot(pairs["c"], cfg.p)) ** 2, axis=-1)
        else:  # the softmax's cross-entropy, or StableMax's (Prieto et al. 2025) where switched on
            soft = optax.softmax_cross_entropy_with_integer_labels(logits, pairs["c"])
            if float64:  # the loss in float64, rounded back only after (Prieto et al.'s precision control)
                wide = optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float64), pairs["c"])
                soft = jnp.where(h["loss_float64"] > 0, wide.astype(jnp.float32), soft)
            err = (jnp.where(h["stablemax"] > 0, stablemax_cross_entropy(logits, pairs["c"]), soft) if with_stablemax
                   else soft)
        return err, (logits.argmax(-1) == pairs["c"]).astype(jnp.float32)

    def train_mask(pairs: Mapping[str, jax.Array], h: Mapping[str, jax.Array]) -> jax.Array:
        return (pairs["rank"] < jnp.round(h["train_frac"] * n)).astype(jnp.float32)

    def loss(params: Any, batch: Any, h: Mapping[str, jax.Array]) -> jax.Array:
        if cfg.batch_size is None:  # full batch: every training pair, through the mask
            ce, _ = per_pair(params, ranked, h)
            mask = train_mask(ranked, h)
            return jnp.sum(ce * mask) / jnp.sum(mask)
        # minibatch: ``batch`` holds uniform numbers u; pair floor(u · m) of the m training pairs
        m = jnp.round(h["train_frac"] * n)
        idx = jnp.floor(batch * m).astype(jnp.int32)
        ce, _ = per_pair(params, {k: v[idx] for k, v in ranked.items()}, h)
        return jnp.mean(ce)

    def draw(key: jax.Array, data: Any) -> jax.Array:
        return jax.random.uniform(key, (cfg.batch_size,), jnp.float32)

    def evaluate(params: Any, h: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        ce, correct = per_pair(params, table, h)
        mask = train_mask(table, h)
        test = 1.0 - mask
        flat, _ = ravel_pytree(params)
        out = {
            "train_acc": jnp.sum(correct * mask) / jnp.sum(mask),
            "test_acc": jnp.sum(correct * test) / jnp.sum(test),
            "loss": jnp.sum(ce * mask) / jnp.sum(mask),
            "test_loss": jnp.sum(ce * test) / jnp.sum(test),
            "weight_norm": jnp.sqrt(jnp.sum(flat**2)),
        }
        if snapshots:
            out["snapshot"] = flat
        return out

    def optimizer(h: Mapping[str, jax.Array]) -> optax.GradientTransformation:
        schedule = optax.linear_schedule(0.0, h["lr"], max(cfg.warmup, 1)) if cfg.warmup else h["lr"]
        # torch's Adam(weight_decay=l2) adds l2·θ to the (filtered) gradient before the moments, as in
        # Lee et al.'s code; AdamW's decoupled decay is applied after them. With l2 = 0 this is optax.adamw.
        return optax.chain(
            orthogonal_grad(h["orthograd"]), grokfast_ema(0.98, h["grokfast"]), optax.add_decayed_weights(h["l2"]),
            optax.scale_by_adam(b1=h["beta1"], b2=cfg.beta2, **({"eps": h["adam_eps"]} if "adam_eps" in h else {})),
            optax.add_decayed_weights(h["weight_decay"]),
            optax.scale_by_learning_rate(schedule),
        )

    def fresh(key: jax.Array, h: Mapping[str, jax.Array]) -> Any:
        params = init_model(key, cfg)  # float32 draws; kept float32 where 64-bit types are enabled
        return jax.tree_util.tree_map(lambda x: x.astype(jnp.float32), params) if float64 else params

    with jax.enable_x64(True) if float64 else contextlib.nullcontext():
        hist = train.train(
            fresh if start is None
            else (lambda key, h: jax.lax.optimization_barrier(start)),  # no constant folding of the whole run
            loss, optimizer,
            steps=cfg.steps, eval_every=cfg.eval_every, seeds=list(seeds), data=ranked,
            batch=None if cfg.batch_size is None else draw, evaluate=evaluate, hparams=hp, desc=desc,
            checkpoint=("grokking.run", cfg, snapshots) + (() if digest is None else (digest,)),
        )
    return GrokResult(
        config=cfg, steps=hist.steps, train_acc=hist["train_acc"], test_acc=hist["test_acc"],
        train_loss=hist["loss"], test_loss=hist["test_loss"], weight_norm=hist["weight_norm"],
        seeds=hist.seeds, hparams=hist.hparams, final_params=hist.params,
        snapshots=hist["snapshot"] if snapshots else None, wall_time=hist.wall_time,
    )


def _shared(config: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """:func:`shared_run`'s training, for :func:`dltheory.sweep.run`: the result as a dict of arrays."""
    cfg = config["config"]
    result = run(cfg, config["seeds"], hparams={"weight_decay": [cfg.weight_decay, 0.0]})
    return {"steps": result.steps, "wall_time": np.array(result.wall_time), **{k: getattr(result, k) for k in _CURVES},
            **{f"hparam:{k}": v for k, v in result.hparams.items()}, **_flat_params(result.final_params)}


def shared_run(cfg: GrokConfig, seeds: Sequence[int] | None = None) -> GrokResult:
    """The chapter's run: ``cfg`` on every seed with weight decay ``cfg.weight_decay`` (setting 0) and 0 (setting 1).

    Sections 3.1, 3.6 and 3.7 train exactly this; it is :func:`run` with ``hparams={"weight_decay": [λ, 0]}``,
    cached on disk by :func:`dltheory.sweep.run` (keyed by the config, the seeds, the base seed and the library's
    code), so a cold build of the book trains it once and the later pages read it back.
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else [int(s) for s in validate.seeds(seeds, distinct=True)]
    config = {"config": cfg, "seeds": list(seeds), "base_seed": runtime.base_seed()}
    data = sweep.run(_shared, [config], desc="chapter run")[0]
    return GrokResult(
        config=cfg, steps=data["steps"], **{k: data[k] for k in _CURVES}, seeds=tuple(seeds),
        hparams={k[len("hparam:"):]: v for k, v in data.items() if k.startswith("hparam:")},
        final_params=_nested_params(data), snapshots=None, wall_time=float(data["wall_time"]),
    )

