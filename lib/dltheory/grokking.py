"""Chapter 3, grokking: generalisation long after memorisation.

The module behind ``chapters/03-grokking``. Everything runs on one task, addition modulo a prime
``p``: the table of all ``p²`` pairs ``(a, b) -> (a + b) mod p`` is fixed, a random fraction of it is
the training set and the rest the test set (Power et al. 2022). The training fraction is a *mask*
over the fixed pair list, so a grid of training fractions × weight decays is one vmapped program
(:func:`run` with ``hparams``).

* Data and models: :func:`modular_addition`, :func:`init_model`, :func:`apply_model` (an MLP on
  learned embeddings, or the one-layer transformer of Nanda et al. 2023 from :mod:`dltheory.nets`).
* Training: :func:`run` (AdamW, full batch, optional Grokfast filter and momentum switch), returning a
  :class:`GrokResult`; :func:`first_step` and :func:`delays` read the phases off it.
* Mechanism (Nanda et al. 2023): :func:`fourier_power`, :func:`top_share`, :func:`key_frequencies`,
  :func:`progress_measures` (restricted and excluded loss).
* Analytic solution (Gromov 2023): :func:`gromov_weights`, :func:`quadratic_mlp`.
* Weight norm (Liu et al. 2023, Omnigrok): :class:`OmnigrokConfig`, :func:`digits_split`, :func:`digits_init`,
  :func:`rescale_to_norm` (constrained weight norm), :func:`digits_run`, :func:`u_ratio`, :func:`l_ratio`.
* Sign flips (the chapter's own hypothesis): :func:`sign_flips`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from dltheory import nets, runtime, selfcheck, train, validate

__all__ = [
    "GrokConfig",
    "GrokResult",
    "modular_addition",
    "init_model",
    "apply_model",
    "grokfast_ema",
    "filter_gain",
    "run",
    "first_step",
    "delays",
    "fourier_basis",
    "fourier_power",
    "top_share",
    "key_frequencies",
    "progress_measures",
    "progress_curve",
    "train_mask",
    "sign_flips",
    "quadratic_mlp",
    "gromov_weights",
    "neuron_form",
    "phase_grid",
    "rank_correlation",
    "smallest_width",
    "explorer_data",
    "load_explorer_data",
    "save_explorer_data",
    "draw_training",
    "check_spectrum",
    "check_one_frequency",
    "check_smallest_width",
    "check_decay_hypothesis",
    "OmnigrokConfig",
    "DigitsResult",
    "digits_split",
    "digits_init",
    "rescale_to_norm",
    "digits_run",
    "u_ratio",
    "l_ratio",
]

MODELS = ("mlp", "transformer", "quadratic")


# --------------------------------------------------------------------------- configuration


@dataclasses.dataclass(frozen=True)
class GrokConfig(runtime.ModeConfig):
    """One grokking experiment: the task, the model and the optimiser.

    ``fast()`` is an MLP on learned embeddings at ``p = 47`` (seconds on a CPU); ``full()`` is the
    configuration of Nanda et al. (2023): a one-layer transformer at ``p = 113``, 30% of the pairs,
    AdamW (lr 1e-3, weight decay 1, β = (0.9, 0.98)), full batch.
    """

    p: int = 47
    model: str = "mlp"
    d_model: int = 32
    n_heads: int = 4
    d_hidden: int = 96
    train_frac: float = 0.5
    lr: float = 3e-3
    weight_decay: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.98
    warmup: int = 10
    batch_size: int | None = None
    steps: int = 3500
    eval_every: int = 50
    n_seeds: int = 3
    split_seed: int = 0

    def check(self) -> None:
        validate.prime("p", self.p, low=3, high=1009)
        validate.choice("model", self.model, MODELS)
        validate.integer("d_model", self.d_model, low=1)
        validate.integer("n_heads", self.n_heads, low=1)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be a multiple of n_heads ({self.n_heads})")
        validate.integer("d_hidden", self.d_hidden, low=1)
        validate.real("train_frac", self.train_frac, low=0.0, high=1.0, low_open=True, high_open=True)
        validate.real("lr", self.lr, low=0.0, low_open=True)
        validate.real("weight_decay", self.weight_decay, low=0.0)
        validate.real("beta1", self.beta1, low=0.0, high=1.0, high_open=True)
        validate.real("beta2", self.beta2, low=0.0, high=1.0, high_open=True)
        validate.integer("warmup", self.warmup, low=0)
        if self.batch_size is not None:
            validate.integer("batch_size", self.batch_size, low=1)
        validate.integer("steps", self.steps, low=1)
        validate.integer("eval_every", self.eval_every, low=1)
        if self.steps % self.eval_every:
            raise ValueError(f"steps ({self.steps}) must be a multiple of eval_every ({self.eval_every})")
        validate.integer("n_seeds", self.n_seeds, low=1)
        validate.integer("split_seed", self.split_seed, low=0)

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


# --------------------------------------------------------------------------- data and models


def modular_addition(p: int) -> dict[str, np.ndarray]:
    """The whole table of ``a + b mod p``: integer arrays ``a``, ``b``, ``c`` of length ``p²``.

    Section 3.1, the task of Power et al. (2022) and Nanda et al. (2023). Pair ``i`` is
    ``(a, b) = (i // p, i % p)``.
    """
    p = validate.prime("p", p, low=3, high=1009)
    a, b = np.divmod(np.arange(p * p), p)
    return {"a": a.astype(np.int32), "b": b.astype(np.int32), "c": ((a + b) % p).astype(np.int32)}


def _split_rank(cfg: GrokConfig) -> np.ndarray:
    """A random rank for each pair; pair ``i`` is in the training set when ``rank[i] < frac · p²``.

    The ranks come from ``cfg.split_seed + DLTHEORY_SEED``: the split is fixed within a page (every
    seed and setting of a run sees the same table) and moves with the book's base seed.
    """
    rng = np.random.default_rng(runtime.base_seed() + cfg.split_seed + 10_000)
    return rng.permutation(cfg.n_pairs).astype(np.int32)


def init_model(key: jax.Array, cfg: GrokConfig) -> dict[str, jax.Array]:
    """Initial parameters of the model ``cfg.model``.

    Section 3.1. ``"mlp"``: embeddings ``E`` (p × d_model) of ``a`` and ``b`` are concatenated and
    fed to a ReLU layer of width ``d_hidden`` and a linear read-out to ``p`` logits, weights drawn
    ``N(0, 1/fan_in)``. ``"quadratic"``: Gromov's (2023) two-layer network with activation ``x²``
    and ``N = d_hidden`` hidden units, weights ``N(0, 1)`` (see :func:`quadratic_mlp`). ``"transformer"``: :func:`dltheory.nets.transformer_init` with vocabulary
    ``p + 1`` (the extra token is "="), three positions and ``p`` outputs (Nanda et al. 2023).
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
    return {
        "embed": jax.random.normal(k1, (p, d)) / np.sqrt(d),
        "W_in": jax.random.normal(k2, (2 * d, h)) / np.sqrt(2 * d),
        "b_in": jnp.zeros((h,)),
        "unembed": jax.random.normal(k3, (h, p)) / np.sqrt(h),
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


# --------------------------------------------------------------------------- training


def grokfast_ema(alpha: float | jax.Array, lamb: float | jax.Array) -> optax.GradientTransformation:
    """Grokfast-EMA (Lee et al. 2024): add ``λ`` times an exponential moving average of the gradients.

    Section 3.5. ``μ_t = α μ_{t-1} + (1-α) g_t`` and the gradient passed on is ``g_t + λ μ_t``; chain
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


@dataclasses.dataclass(frozen=True)
class GrokResult:
    """Learning curves of a batch of runs; arrays have shape ``(n_seeds, n_settings, n_evals)``.

    ``snapshots`` (when requested) holds the flattened parameters at every evaluation, shape
    ``(n_seeds, n_settings, n_evals, n_params)``; :meth:`params_at` turns one back into a pytree.
    """

    config: GrokConfig
    steps: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    weight_norm: np.ndarray
    seeds: tuple[int, ...]
    hparams: dict[str, np.ndarray]
    final_params: Any
    snapshots: np.ndarray | None
    wall_time: float

    def params_at(self, seed: int, setting: int, index: int) -> dict[str, jax.Array]:
        """The parameters of run ``(seed, setting)`` at evaluation ``index`` (needs snapshots)."""
        if self.snapshots is None:
            raise ValueError("this result has no snapshots: run with snapshots=True")
        template = jax.tree_util.tree_map(lambda x: x[0, 0], self.final_params)
        _, unravel = ravel_pytree(template)
        return unravel(jnp.asarray(self.snapshots[seed, setting, index]))

    def final(self, seed: int = 0, setting: int = 0) -> dict[str, jax.Array]:
        """The final parameters of run ``(seed, setting)``."""
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x[seed, setting]), self.final_params)


def run(
    cfg: GrokConfig,
    seeds: Sequence[int] | None = None,
    *,
    hparams: Mapping[str, Sequence[float]] | None = None,
    snapshots: bool = False,
    desc: str = "grokking",
) -> GrokResult:
    """Train ``cfg.model`` on ``a + b mod p`` with AdamW; one run per seed and setting.

    Sections 3.1–3.5 (Power et al. 2022; Nanda et al. 2023; Lee et al. 2024). ``hparams`` may vary,
    across vmapped runs, ``train_frac``, ``weight_decay``, ``beta1`` (momentum; 0 turns it off),
    ``grokfast`` (the Grokfast-EMA amplification λ, α = 0.98; 0 turns it off) and ``lr``; anything not
    given comes from ``cfg``. The learning rate warms up linearly over ``cfg.warmup`` steps, as in
    Nanda et al. With ``cfg.batch_size`` each step draws that many training pairs with replacement
    (Power et al. use minibatches of 512); with ``None`` it is full batch (Nanda et al.). Test metrics
    are on the pairs outside the training mask. ``seeds`` defaults to
    ``runtime.seeds(cfg.n_seeds)``.
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else seeds
    allowed = ("train_frac", "weight_decay", "beta1", "grokfast", "lr")
    hp_in = dict(hparams or {})
    unknown = set(hp_in) - set(allowed)
    if unknown:
        raise ValueError(f"hparams may only set {allowed}, got {sorted(unknown)}")
    lengths = {len(np.atleast_1d(v)) for v in hp_in.values()}
    if len(lengths) > 1:
        raise ValueError(f"all hparams must have the same length, got lengths {sorted(lengths)}")
    n_set = lengths.pop() if lengths else 1
    defaults = {"train_frac": cfg.train_frac, "weight_decay": cfg.weight_decay, "beta1": cfg.beta1,
                "grokfast": 0.0, "lr": cfg.lr}
    hp = {k: np.asarray(hp_in.get(k, np.full(n_set, defaults[k])), dtype=np.float32).reshape(-1) for k in allowed}
    if np.any((hp["train_frac"] <= 0) | (hp["train_frac"] >= 1)):
        raise ValueError("hparams['train_frac'] must lie in (0, 1)")
    if np.any(hp["weight_decay"] < 0) or np.any(hp["grokfast"] < 0) or np.any(hp["lr"] <= 0):
        raise ValueError("hparams weight_decay and grokfast must be >= 0, lr > 0")
    if np.any((hp["beta1"] < 0) | (hp["beta1"] >= 1)):
        raise ValueError("hparams['beta1'] must lie in [0, 1)")

    n = cfg.n_pairs
    table = modular_addition(cfg.p) | {"rank": _split_rank(cfg)}
    # The loss only ever needs the pairs inside the largest training mask, sorted by rank: entry j of
    # ``ranked`` is the pair of rank j, so a training set of size m is its first m entries.
    order = np.argsort(table["rank"])[: int(np.round(hp["train_frac"].max() * n))]
    ranked = {k: jnp.asarray(v[order]) for k, v in table.items()}
    table = {k: jnp.asarray(v) for k, v in table.items()}

    def per_pair(params: Any, pairs: Mapping[str, jax.Array]) -> tuple[jax.Array, jax.Array]:
        logits = apply_model(cfg, params, pairs["a"], pairs["b"])
        if cfg.model == "quadratic":  # Gromov (2023): squared error against one-hot targets
            err = jnp.sum((logits - jax.nn.one_hot(pairs["c"], cfg.p)) ** 2, axis=-1)
        else:
            err = optax.softmax_cross_entropy_with_integer_labels(logits, pairs["c"])
        return err, (logits.argmax(-1) == pairs["c"]).astype(jnp.float32)

    def train_mask(pairs: Mapping[str, jax.Array], h: Mapping[str, jax.Array]) -> jax.Array:
        return (pairs["rank"] < jnp.round(h["train_frac"] * n)).astype(jnp.float32)

    def loss(params: Any, batch: Any, h: Mapping[str, jax.Array]) -> jax.Array:
        if cfg.batch_size is None:  # full batch: every training pair, through the mask
            ce, _ = per_pair(params, ranked)
            mask = train_mask(ranked, h)
            return jnp.sum(ce * mask) / jnp.sum(mask)
        # minibatch: ``batch`` holds uniform numbers u; pair floor(u · m) of the m training pairs
        m = jnp.round(h["train_frac"] * n)
        idx = jnp.floor(batch * m).astype(jnp.int32)
        ce, _ = per_pair(params, {k: v[idx] for k, v in ranked.items()})
        return jnp.mean(ce)

    def draw(key: jax.Array, data: Any) -> jax.Array:
        return jax.random.uniform(key, (cfg.batch_size,))

    def evaluate(params: Any, h: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        ce, correct = per_pair(params, table)
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
        adamw = optax.adamw(schedule, b1=h["beta1"], b2=cfg.beta2, weight_decay=h["weight_decay"])
        return optax.chain(grokfast_ema(0.98, h["grokfast"]), adamw)

    hist = train.train(
        lambda key, h: init_model(key, cfg), loss, optimizer,
        steps=cfg.steps, eval_every=cfg.eval_every, seeds=list(seeds), data=ranked,
        batch=None if cfg.batch_size is None else draw,
        evaluate=evaluate, hparams=hp, desc=desc, checkpoint=("grokking.run", cfg, snapshots),
    )
    return GrokResult(
        config=cfg, steps=hist.steps, train_acc=hist["train_acc"], test_acc=hist["test_acc"],
        train_loss=hist["loss"], test_loss=hist["test_loss"], weight_norm=hist["weight_norm"],
        seeds=hist.seeds, hparams=hist.hparams, final_params=hist.params,
        snapshots=hist["snapshot"] if snapshots else None, wall_time=hist.wall_time,
    )


def first_step(steps: Any, curve: Any, threshold: float) -> np.ndarray:
    """The first step at which ``curve`` (last axis = evaluations) reaches ``threshold``; ``inf`` if never.

    Section 3.1. ``steps`` has one entry per evaluation.
    """
    steps = validate.array("steps", steps, ndim=1)
    curve = validate.array("curve", curve, finite=False)
    if curve.shape[-1] != steps.size:
        raise ValueError(f"curve's last axis ({curve.shape[-1]}) must match steps ({steps.size})")
    threshold = validate.real("threshold", threshold)
    hit = curve >= threshold
    out = steps[np.argmax(hit, axis=-1)].astype(float)
    return np.where(hit.any(axis=-1), out, np.inf)


def delays(result: GrokResult, *, fit: float = 0.99, leave: float = 0.1, grok: float = 0.99) -> dict[str, np.ndarray]:
    """The three times of grokking, shape ``(n_seeds, n_settings)`` each (Section 3.1).

    ``t_fit``: train accuracy first ≥ ``fit``; ``t_leave``: test accuracy first ≥ ``leave`` (off chance,
    which is ``1/p``); ``t_grok``: test accuracy first ≥ ``grok``. ``inf`` where never reached.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    for name, v in (("fit", fit), ("leave", leave), ("grok", grok)):
        validate.probability(name, v, open_low=True)
    return {
        "t_fit": first_step(result.steps, result.train_acc, fit),
        "t_leave": first_step(result.steps, result.test_acc, leave),
        "t_grok": first_step(result.steps, result.test_acc, grok),
    }


# --------------------------------------------------------------------------- the Fourier picture


def fourier_basis(p: int) -> np.ndarray:
    """The real orthonormal Fourier basis of functions on Z_p, shape ``(p, p)`` (rows are basis vectors).

    Section 3.2 (Nanda et al. 2023). Row 0 is the constant ``1/√p``; rows ``2k-1`` and ``2k`` are
    ``√(2/p) cos(w_k x)`` and ``√(2/p) sin(w_k x)`` with ``w_k = 2πk/p``, ``k = 1..(p-1)/2``.
    """
    p = validate.prime("p", p, low=3, high=1009)
    x = np.arange(p)
    rows = [np.full(p, 1 / np.sqrt(p))]
    for k in range(1, (p - 1) // 2 + 1):
        w = 2 * np.pi * k / p
        rows += [np.sqrt(2 / p) * np.cos(w * x), np.sqrt(2 / p) * np.sin(w * x)]
    return np.stack(rows)


def fourier_power(embed: Any, p: int) -> np.ndarray:
    """Power of an embedding matrix in each frequency ``k = 0..(p-1)/2``, shape ``(..., (p+1)/2)``.

    Section 3.2. ``embed`` has shape ``(..., p', d)`` with ``p' ≥ p`` rows, of which the first ``p`` (the
    residues; a transformer has an extra "=" row) are transformed along the residue axis; the power of
    frequency ``k`` is the summed square of its cosine and sine coefficients over the ``d`` columns.
    """
    p = validate.prime("p", p, low=3, high=1009)
    e = validate.array("embed", embed, ndim=None)
    if e.ndim < 2 or e.shape[-2] < p:
        raise ValueError(f"embed must have shape (..., >= {p}, d), got {e.shape}")
    coef = np.einsum("kx,...xd->...kd", fourier_basis(p), e[..., :p, :])
    sq = np.sum(coef**2, axis=-1)
    return np.concatenate([sq[..., :1], sq[..., 1::2] + sq[..., 2::2]], axis=-1)


def top_share(power: Any, k: int = 5) -> np.ndarray:
    """Share of the non-constant power held by the ``k`` strongest frequencies (Section 3.2).

    ``power`` comes from :func:`fourier_power`; frequency 0 is left out. A random embedding gives about
    ``k / ((p-1)/2)``; a Fourier-sparse one gives nearly 1.
    """
    power = validate.array("power", power, nonnegative=True)
    if power.shape[-1] < 2:
        raise ValueError("power must hold at least one non-constant frequency")
    k = validate.integer("k", k, low=1, high=power.shape[-1] - 1)
    rest = np.sort(power[..., 1:], axis=-1)[..., ::-1]
    total = rest.sum(-1)
    if np.any(total == 0):
        raise ValueError("power must not be zero at every non-constant frequency (the share is undefined)")
    return rest[..., :k].sum(-1) / total


def key_frequencies(power: Any, k: int = 5) -> np.ndarray:
    """The ``k`` strongest non-constant frequencies of a 1-D power spectrum, strongest first (Section 3.2)."""
    power = validate.array("power", power, ndim=1, nonnegative=True)
    k = validate.integer("k", k, low=1, high=power.size - 1)
    return 1 + np.argsort(power[1:])[::-1][:k]


def _sum_directions(p: int, freqs: np.ndarray) -> np.ndarray:
    """Orthonormal vectors ``cos(w_k(a+b))``, ``sin(w_k(a+b))`` over the ``p²`` pairs, shape ``(2|K|, p²)``."""
    a, b = np.divmod(np.arange(p * p), p)
    rows = []
    for k in freqs:
        w = 2 * np.pi * k / p
        rows += [np.cos(w * (a + b)), np.sin(w * (a + b))]
    return np.stack(rows) * np.sqrt(2.0 / (p * p))


def progress_measures(
    cfg: GrokConfig, params: Any, freqs: Sequence[int], train_mask: Any
) -> dict[str, float]:
    """Nanda et al.'s progress measures for one set of parameters (Section 3.2).

    The logits ``L[(a, b), c]`` over all pairs are split, for each output ``c``, into their component in
    the directions ``cos(w_k(a+b))``, ``sin(w_k(a+b))`` of the key frequencies ``freqs`` and the rest.

    * ``restricted_loss``: cross-entropy on the **test** pairs of the logits restricted to the key
      directions plus their mean over pairs: what the Fourier circuit alone achieves off the training set.
    * ``excluded_loss``: cross-entropy on the **training** pairs of the logits with the key directions
      removed: what is left of memorisation.
    * ``explained``: share of the variance of the logits (centred over pairs) in the key directions.
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    freqs = validate.array("freqs", freqs, ndim=1, dtype=int)
    if np.any(freqs < 1) or np.any(freqs > (cfg.p - 1) // 2):
        raise ValueError(f"freqs must lie in [1, {(cfg.p - 1) // 2}], got {freqs}")
    mask = validate.array("train_mask", train_mask, shape=(cfg.n_pairs,), dtype=bool)
    table = modular_addition(cfg.p)
    logits = apply_model(cfg, params, jnp.asarray(table["a"]), jnp.asarray(table["b"]))
    return _measures(np.asarray(logits, dtype=np.float64), table["c"], _sum_directions(cfg.p, np.unique(freqs)), mask)


def _measures(logits: np.ndarray, labels: np.ndarray, directions: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The progress measures of :func:`progress_measures`, from the logits of all pairs."""
    mean = logits.mean(axis=0, keepdims=True)
    centred = logits - mean
    key = directions.T @ (directions @ centred)

    def ce(lg: np.ndarray, rows: np.ndarray) -> float:
        lg = lg[rows]
        top = lg.max(1, keepdims=True)
        lse = np.log(np.exp(lg - top).sum(1)) + top[:, 0]
        return float(np.mean(lse - lg[np.arange(len(lg)), labels[rows]]))

    return {
        "restricted_loss": ce(mean + key, ~mask),
        "excluded_loss": ce(logits - key, mask),
        "explained": float(np.sum(key**2) / np.sum(centred**2)),
    }


def train_mask(cfg: GrokConfig, train_frac: float | None = None) -> np.ndarray:
    """Which of the ``p²`` pairs (in :func:`modular_addition` order) :func:`run` trains on (Section 3.1)."""
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    frac = cfg.train_frac if train_frac is None else validate.real("train_frac", train_frac, low=0, high=1,
                                                                    low_open=True, high_open=True)
    return _split_rank(cfg) < np.round(np.float32(frac) * cfg.n_pairs)


def sign_flips(snapshots: Any) -> np.ndarray:
    """Fraction of parameters whose sign changes between consecutive snapshots (Section 3.5).

    ``snapshots`` has shape ``(..., n_evals, n_params)`` (as in :attr:`GrokResult.snapshots`); the result
    has shape ``(..., n_evals - 1)``. Parameters that are exactly zero at either end are not counted.
    """
    s = validate.array("snapshots", snapshots)
    if s.ndim < 2 or s.shape[-2] < 2:
        raise ValueError(f"snapshots must have shape (..., n_evals >= 2, n_params), got {s.shape}")
    before, after = np.sign(s[..., :-1, :]), np.sign(s[..., 1:, :])
    counted = (before != 0) & (after != 0)
    return np.sum((before != after) & counted, axis=-1) / np.maximum(np.sum(counted, axis=-1), 1)


# --------------------------------------------------------------------------- Gromov's analytic solution


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


def gromov_weights(key: jax.Array, p: int, n: int) -> dict[str, jax.Array]:
    """Gromov's (2023) analytic weights for ``a + b mod p``, in the layout of :func:`quadratic_mlp`.

    Section 3.3. Hidden unit ``k`` gets a frequency ``σ_k`` (cycling through ``1..(p-1)/2``) and two
    random phases ``φ_k, ψ_k``: ``U[a, k] = cos(2πσ_k a/p + φ_k)``, ``V[b, k] = cos(2πσ_k b/p + ψ_k)``,
    ``W[k, q] = 4p cos(2πσ_k q/p + φ_k + ψ_k)``. The factor ``4p`` (which the argmax ignores) undoes
    the network's ``1/(2p)`` input scaling and the ``1/2`` of the product-to-sum identity, so that the
    phase-averaged output is 1 at ``q = a + b`` and ``-1/(p-1)`` elsewhere.
    """
    p = validate.prime("p", p, low=3, high=1009)
    n = validate.integer("n", n, low=1)
    k1, k2 = jax.random.split(key)
    sigma = 1 + jnp.arange(n) % ((p - 1) // 2)
    phi = jax.random.uniform(k1, (n,), maxval=2 * jnp.pi)
    psi = jax.random.uniform(k2, (n,), maxval=2 * jnp.pi)
    x = jnp.arange(p)[:, None]
    w = 2 * jnp.pi * sigma / p
    return {
        "U": jnp.cos(w * x + phi),
        "V": jnp.cos(w * x + psi),
        "W": 4.0 * p * jnp.cos(w * x + phi + psi).T,
    }


# --------------------------------------------------------------------------- phase diagram


def phase_grid(
    cfg: GrokConfig, fractions: Sequence[float], weight_decays: Sequence[float], seeds: Sequence[int] | None = None
) -> tuple[GrokResult, np.ndarray]:
    """Train on every (training fraction, weight decay) pair in one vmapped program (Section 3.1).

    Returns the :class:`GrokResult` and the steps to 99% test accuracy, shape
    ``(n_seeds, len(fractions), len(weight_decays))`` (``inf`` where the budget ran out first).
    ``seeds`` defaults to one seed, ``runtime.seeds(1)``.
    """
    fractions = validate.array("fractions", fractions, ndim=1)
    weight_decays = validate.array("weight_decays", weight_decays, ndim=1, nonnegative=True)
    if np.any((fractions <= 0) | (fractions >= 1)):
        raise ValueError(f"fractions must lie in (0, 1), got {fractions}")
    hp = train.grid(train_frac=fractions, weight_decay=weight_decays)
    result = run(cfg, runtime.seeds(1) if seeds is None else seeds, hparams=hp, desc="phase grid")
    t_grok = delays(result)["t_grok"].reshape(len(result.seeds), fractions.size, weight_decays.size)
    return result, t_grok


def rank_correlation(x: Any, y: Any) -> float:
    """Spearman's rank correlation of ``x`` and ``y``; ``inf`` (never reached) ranks above every number.

    Section 3.1: how monotone the steps to generalise are in the training fraction or weight decay.
    """
    from scipy.stats import spearmanr

    x = validate.array("x", x, ndim=1, finite=False)
    y = validate.array("y", y, ndim=1, finite=False)
    if x.size != y.size or x.size < 3:
        raise ValueError(f"x and y must have the same length, at least 3; got {x.size} and {y.size}")
    if np.any(np.isnan(x)) or np.any(np.isnan(y)):
        raise ValueError("x and y must not contain NaN")
    if np.unique(x).size < 2 or np.unique(y).size < 2:
        return 0.0
    return float(spearmanr(x, y).statistic)


def _snapshot_run(result: GrokResult, seed: int, setting: int) -> tuple[int, int]:
    """Check that ``result`` kept snapshots and that ``(seed, setting)`` names one of its runs."""
    if not isinstance(result, GrokResult) or result.snapshots is None:
        raise ValueError("result must be a GrokResult made with snapshots=True")
    n_seeds, n_settings = result.snapshots.shape[:2]
    seed = validate.integer("seed", seed, low=0, high=n_seeds - 1)
    setting = validate.integer("setting", setting, low=0, high=n_settings - 1)
    return seed, setting


def progress_curve(result: GrokResult, seed: int = 0, setting: int = 0, k: int = 5) -> dict[str, np.ndarray]:
    """Nanda et al.'s progress measures at every snapshot of one run (Section 3.2).

    The key frequencies are the ``k`` strongest frequencies of the run's *final* embedding, as in Nanda
    et al., who read them off the trained model. Returns ``freqs`` and, per evaluation, ``top_share``
    (of the embedding), ``restricted_loss``, ``excluded_loss`` and ``explained`` (see
    :func:`progress_measures`). Needs a result run with ``snapshots=True``.
    """
    seed, setting = _snapshot_run(result, seed, setting)
    cfg = result.config
    frac = float(result.hparams["train_frac"][setting]) if "train_frac" in result.hparams else cfg.train_frac
    mask = train_mask(cfg, frac)
    final = result.final(seed, setting)
    freqs = key_frequencies(fourier_power(_embedding(cfg, final), cfg.p), k)
    table = modular_addition(cfg.p)
    a, b = jnp.asarray(table["a"]), jnp.asarray(table["b"])
    _, unravel = ravel_pytree(final)
    logits_of = jax.jit(lambda flat: apply_model(cfg, unravel(flat), a, b))  # compiled once, reused per snapshot
    directions = _sum_directions(cfg.p, np.unique(freqs))
    rows = []
    for flat in result.snapshots[seed, setting]:
        m = _measures(np.asarray(logits_of(flat), dtype=np.float64), table["c"], directions, mask)
        m["top_share"] = float(top_share(fourier_power(_embedding(cfg, unravel(jnp.asarray(flat))), cfg.p), k))
        rows.append(m)
    return {"freqs": freqs} | {name: np.array([r[name] for r in rows]) for name in rows[0]}


def _embedding(cfg: GrokConfig, params: Mapping[str, Any]) -> np.ndarray:
    """The matrix whose rows represent the residues: the embedding (MLP, transformer) or ``U`` (quadratic)."""
    return np.asarray(params["U"] if cfg.model == "quadratic" else params["embed"])


def neuron_form(params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """How close each hidden unit of a quadratic network is to Gromov's analytic form (Section 3.3).

    For unit ``k`` take the discrete Fourier coefficients of its three weight vectors ``U[:, k]``,
    ``V[:, k]``, ``W[k, :]`` over ``Z_p``. Returns, per unit: ``freq`` (the dominant frequency of ``U``),
    ``share`` (the share of the non-constant power of ``U`` and ``V`` together in that one frequency),
    ``same_freq`` (whether ``V`` and ``W`` have the same dominant frequency) and ``phase``, the cosine of
    ``arg W − arg U − arg V`` at that frequency, which the analytic solution sets to 1.
    """
    try:
        u, v, w = (np.asarray(params[k], dtype=np.float64) for k in ("U", "V", "W"))
    except (KeyError, TypeError):
        raise ValueError("params must be a quadratic network's parameters with keys U, V, W") from None
    if u.ndim != 2 or v.shape != u.shape or w.shape != u.shape[::-1]:
        raise ValueError(f"params must have U, V of shape (p, N) and W of shape (N, p); got {u.shape}, {v.shape}, {w.shape}")
    p = u.shape[0]
    half = (p - 1) // 2
    fu, fv, fw = (np.fft.fft(m, axis=0)[1 : half + 1] for m in (u, v, w.T))  # (half, N), frequencies 1..half
    pu, pv, pw = (np.abs(f) ** 2 for f in (fu, fv, fw))
    freq_index = np.argmax(pu + pv, axis=0)
    cols = np.arange(u.shape[1])
    share = (pu + pv)[freq_index, cols] / (pu + pv).sum(0)
    same = (np.argmax(pv, 0) == freq_index) & (np.argmax(pw, 0) == freq_index)
    # the DFT of cos(w x + φ) at +w is (p/2) e^{iφ}: phases read off directly
    phase = np.cos(np.angle(fw[freq_index, cols]) - np.angle(fu[freq_index, cols]) - np.angle(fv[freq_index, cols]))
    return {"freq": freq_index + 1, "share": share, "same_freq": same, "phase": phase}


# --------------------------------------------------------------------------- exercise checks


def check_spectrum(fn: Any) -> None:
    """Exercise check (exercises/03-grokking): ``fn(E, p)`` must return :func:`fourier_power` of ``E``."""
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=(p, d)), p) for p, d in ((5, 1), (11, 3), (23, 8))]
    x = np.arange(13)
    cases.append((np.stack([np.cos(2 * np.pi * 4 * x / 13), np.sin(2 * np.pi * 2 * x / 13)], 1), 13))
    selfcheck.function("spectrum", fn, fourier_power, cases, rtol=1e-6, atol=1e-9,
                       hint="project each column on the basis of fourier_basis(p), square, and add the cosine and "
                            "sine coefficient of each frequency (frequency 0 has only the constant).")


def check_one_frequency(answer: Any) -> bool:
    """Exercise check: is a single key frequency enough for the Fourier logits to add correctly?"""
    return selfcheck.boolean(
        "one_frequency_enough", answer, True,
        why="for prime p and any k in 1..p-1, cos(2πk(a+b-c)/p) = 1 only when p divides k(a+b-c), i.e. c ≡ a+b; "
            "every wrong c scores strictly less, so one frequency already puts the maximum in the right place. "
            "Several frequencies make the margin larger, which matters once the logits are noisy.",
    )


def smallest_width(p: int, widths: Sequence[int], seed: int) -> int:
    """The smallest width in ``widths`` at which Gromov's weights (phases from ``seed``) reach 100% (Section 3.3)."""
    p = validate.prime("p", p, low=3, high=211)
    widths = sorted(validate.integer("widths[i]", w, low=1) for w in widths)
    table = modular_addition(p)
    for n in widths:
        out = quadratic_mlp(gromov_weights(jax.random.key(seed), p, n), table["a"], table["b"])
        if bool(np.all(np.asarray(out).argmax(1) == table["c"])):
            return n
    raise ValueError(f"none of the widths {widths} reaches 100% accuracy at p = {p}")


def check_smallest_width(answer: Any, *, p: int, widths: Sequence[int], seed: int) -> float:
    """Exercise check: the smallest width at which the analytic network is perfect, computed here."""
    return selfcheck.number("smallest_n", answer, smallest_width(p, widths, seed), rtol=0.0, atol=0.5,
                            hint="evaluate the analytic network at each width on the whole table and keep the "
                                 "first width whose accuracy is exactly 1.")


def check_decay_hypothesis(result: Any, ratio: Any, halves: Any) -> None:
    """Exercise check: does doubling the weight decay halve the steps to grok?

    ``result`` must come from :func:`run` with ``hparams={"weight_decay": [λ, 2λ]}``; ``ratio`` is
    t_grok(λ) / t_grok(2λ) (median over seeds); ``halves`` is the verdict on the hypothesis "the ratio lies
    in [1.5, 2.5]". Both are recomputed from ``result``.
    """
    selfcheck.answered("result", result)
    if not isinstance(result, GrokResult):
        raise selfcheck.WrongAnswer(f"result should be what grokking.run returns, got {type(result).__name__}.")
    wd = result.hparams.get("weight_decay")
    if wd is None or wd.size != 2 or not np.isclose(wd[1], 2 * wd[0]) or wd[0] <= 0:
        raise selfcheck.WrongAnswer("run with hparams={'weight_decay': [lam, 2 * lam]} for some lam > 0.")
    t = delays(result)["t_grok"]
    if not np.all(np.isfinite(t)):
        raise selfcheck.WrongAnswer("some run never reached 99% test accuracy: give it more steps.")
    expected = float(np.median(t[:, 0] / t[:, 1]))
    selfcheck.number("ratio", ratio, expected, rtol=1e-3, hint="t_grok with λ divided by t_grok with 2λ, per seed, "
                     "then the median (use grokking.delays).")
    verdict = 1.5 <= expected <= 2.5
    selfcheck.boolean("halves", halves, verdict,
                      why=f"the measured ratio is {expected:.2f}, which is {'inside' if verdict else 'outside'} [1.5, 2.5].")


# --------------------------------------------------------------------------- the explorer


EXPLORER_FILE = "03-grokking-explorer.npz"


def explorer_data(result: GrokResult, seed: int = 0, setting: int = 0) -> dict[str, np.ndarray]:
    """What the chapter's explorer shows, from one run with snapshots (Sections 3.1–3.2).

    Per evaluation: ``steps``, ``train_acc``, ``test_acc``, ``weight_norm`` and ``spectrum``, the share of
    the embedding's non-constant power in each frequency, shape ``(n_evals, (p-1)/2)``.
    """
    seed, setting = _snapshot_run(result, seed, setting)
    cfg = result.config
    embeds = np.stack([_embedding(cfg, result.params_at(seed, setting, i)) for i in range(result.steps.size)])
    power = fourier_power(embeds, cfg.p)[:, 1:]
    return {
        "steps": result.steps,
        "train_acc": result.train_acc[seed, setting],
        "test_acc": result.test_acc[seed, setting],
        "weight_norm": result.weight_norm[seed, setting],
        "spectrum": power / power.sum(axis=1, keepdims=True),
    }


FULL_RUN_FILE = "03-grokking-full-run.npz"


def save_result(result: GrokResult, path: Any, *, date: str, device: str) -> None:
    """Write the learning curves and final parameters of ``result`` with their provenance (Section 3.1).

    The saved full-mode run of Nanda et al.'s transformer that the fast-mode pages show comes from here
    (``dltheory/data/03-grokking-full-run.npz``); snapshots are not saved.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    flat = {f"param:{'/'.join(str(getattr(k, 'key', k)) for k in keypath)}": np.asarray(leaf)
            for keypath, leaf in jax.tree_util.tree_flatten_with_path(result.final_params)[0]}
    varied = {k: np.round(v.astype(float), 6).tolist() for k, v in result.hparams.items() if np.ptp(v) > 0}
    described = (f"{result.config.describe()}; seeds {list(result.seeds)}; settings {varied}; "
                 f"{result.wall_time / 60:.0f} min")
    np.savez_compressed(
        path, provenance_config=np.array(described), provenance_date=np.array(str(date)),
        provenance_device=np.array(str(device)), config=np.array(repr(dataclasses.asdict(result.config))),
        steps=result.steps, train_acc=result.train_acc, test_acc=result.test_acc, train_loss=result.train_loss,
        test_loss=result.test_loss, weight_norm=result.weight_norm, seeds=np.array(result.seeds),
        wall_time=np.array(result.wall_time), **{f"hparam:{k}": v for k, v in result.hparams.items()}, **flat,
    )


def load_result(path: Any = None) -> tuple[GrokResult, dict[str, str]]:
    """A result written by :func:`save_result`, and its provenance for :func:`dltheory.claims.check` (Section 3.1).

    ``path`` defaults to the saved full-mode run shipped with the library, ``dltheory/data/03-grokking-full-run.npz``.
    """
    import ast
    import contextlib
    from importlib import resources

    source = resources.files("dltheory") / "data" / FULL_RUN_FILE if path is None else path
    with resources.as_file(source) if path is None else contextlib.nullcontext(path) as file:
        with np.load(file, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    fields = ast.literal_eval(str(data["config"]))
    cfg = GrokConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
    params: dict[str, Any] = {}
    for name, value in data.items():
        if name.startswith("param:"):
            node = params
            *parents, leaf = name[len("param:"):].split("/")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
    result = GrokResult(
        config=cfg, steps=data["steps"], train_acc=data["train_acc"], test_acc=data["test_acc"],
        train_loss=data["train_loss"], test_loss=data["test_loss"], weight_norm=data["weight_norm"],
        seeds=tuple(int(s) for s in data["seeds"]), final_params=params, snapshots=None,
        hparams={k[len("hparam:"):]: v for k, v in data.items() if k.startswith("hparam:")},
        wall_time=float(data["wall_time"]),
    )
    provenance = {name: str(data[f"provenance_{name}"]) for name in ("config", "date", "device")}
    return result, {**provenance, "mode": "full"}


def load_explorer_data() -> dict[str, Any]:
    """The saved run behind the explorer (``dltheory/data/03-grokking-explorer.npz``), with its provenance."""
    from importlib import resources

    with resources.as_file(resources.files("dltheory") / "data" / EXPLORER_FILE) as path:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    data["provenance"] = str(data["provenance"])
    return data


def draw_training(ax: Any, data: Mapping[str, Any], step: float) -> None:
    """Draw the explorer's picture at ``step``: accuracies and weight norm over training, and, inset, the
    embedding's Fourier spectrum at that step (Sections 3.1–3.2)."""
    steps = np.asarray(data["steps"])
    step = validate.real("step", step, low=float(steps[0]), high=float(steps[-1]))
    i = int(np.argmin(np.abs(steps - step)))
    ax.plot(steps, data["train_acc"], label="train accuracy")
    ax.plot(steps, data["test_acc"], label="test accuracy")
    norm = np.asarray(data["weight_norm"])
    ax.plot(steps, norm / norm.max(), ls="--", label="weight norm / max")
    ax.axvline(steps[i], color="0.3", lw=1)
    ax.set(xlabel="step", ylabel="accuracy, relative norm", ylim=(-0.02, 1.05))
    ax.legend(loc="lower right", fontsize=7)
    inset = ax.inset_axes([0.45, 0.35, 0.5, 0.3])
    spectrum = np.asarray(data["spectrum"])[i]
    inset.bar(np.arange(1, spectrum.size + 1), spectrum, width=0.8, color="0.35")
    inset.set_ylim(0, max(0.3, float(np.asarray(data["spectrum"]).max())))
    inset.set_title(f"embedding spectrum at step {steps[i]:.0f}", fontsize=7)
    inset.tick_params(labelsize=6)
    inset.set_xlabel("frequency", fontsize=6)


def save_explorer_data(path: str, seed: int = 0) -> dict[str, Any]:
    """Rerun the explorer's saved run (fast configuration, one seed, snapshots) and write it to ``path``.

    This is how ``dltheory/data/03-grokking-explorer.npz`` was made; the file records its provenance.
    """
    import datetime

    seed = validate.integer("seed", seed, low=0)
    cfg = GrokConfig.fast()
    data = explorer_data(run(cfg, [seed], snapshots=True, desc="explorer run"))
    stamp = datetime.date.today().isoformat()
    data["provenance"] = np.array(f"{cfg.describe()}; seed {seed}; {stamp}; {runtime.device_summary()}")
    np.savez_compressed(path, **data)
    return data


def filter_gain(omega: Any, alpha: float = 0.98, lamb: float = 2.0, steps: int = 2000) -> np.ndarray:
    """Measured gain of :func:`grokfast_ema` on a gradient that oscillates as ``cos(ω t)`` (Section 3.4).

    Feeds the sequence through the filter itself and, once the transient has died out (the last quarter of
    ``steps``), fits the output as ``A cos(ω t) + B sin(ω t)``; the gain is ``√(A² + B²)``, one value per
    entry of ``omega`` (radians per step).
    """
    omega = validate.array("omega", omega, ndim=1, nonnegative=True)
    alpha = validate.real("alpha", alpha, low=0.0, high=1.0, high_open=True)
    lamb = validate.real("lamb", lamb, low=0.0)
    steps = validate.integer("steps", steps, low=100)
    filt = grokfast_ema(alpha, lamb)
    t = np.arange(steps)
    signal = jnp.asarray(np.cos(np.outer(t, omega)), dtype=jnp.float32)  # (steps, n_omega)

    def step(mu: Any, g: jax.Array) -> tuple[Any, jax.Array]:
        out, mu = filt.update(g, mu)
        return mu, out

    _, out = jax.lax.scan(step, filt.init(signal[0]), signal)
    tail = t[-steps // 4 :]
    gains = []
    for j, w in enumerate(omega):
        basis = np.stack([np.cos(w * tail), np.sin(w * tail)], axis=1)
        coef = np.linalg.lstsq(basis, np.asarray(out, dtype=np.float64)[-steps // 4 :, j], rcond=None)[0]
        gains.append(np.hypot(*coef))
    return np.array(gains)


# --------------------------------------------------------------------------- the weight norm (Omnigrok)


DIGITS_SIZE = 1797  # images in scikit-learn's bundled digits


@dataclasses.dataclass(frozen=True)
class OmnigrokConfig(runtime.ModeConfig):
    """Section 3.5 (page 05-omnigrok-digits): grokking on scikit-learn's digits by a large initialisation (Liu et al. 2023).

    ``full()`` is the MNIST recipe of Liu, Michaud & Tegmark (2023) moved to the digits: 1,000 training
    points, an MLP of depth 3 and width 200 (ReLU), squared error on one-hot targets, AdamW (lr 1e-3,
    weight decay 0.01), every initial parameter multiplied by ``alpha = 8``, minibatches of 200, 10⁵ steps;
    the norm sweep trains 10⁴ steps at each fixed norm, as their landscape runs do. ``control_steps`` is
    the length of the control runs (standard initialisation, fixed norm), which generalise early, so fast
    mode stops them at 1,500 steps. ``fast()`` keeps the
    network, the loss and ``alpha`` and changes four things: 200 training points, full batch, learning rate
    2e-3 and weight decay 0.1 (``lr · weight_decay = 2e-4``, 20 times the paper's 1e-5). The weight-norm
    picture predicts that the plateau lasts about ``1/(lr · weight_decay)`` steps, so it fits in 6,000 steps,
    while the larger learning rate keeps fitting much faster than the plateau, as in the paper.
    """

    n_train: int = 200
    width: int = 200
    depth: int = 3
    lr: float = 2e-3
    weight_decay: float = 0.1
    alpha: float = 8.0
    batch_size: int | None = None
    steps: int = 6000
    control_steps: int = 1500
    sweep_steps: int = 1000
    eval_every: int = 50
    n_seeds: int = 3
    split_seed: int = 0

    def check(self) -> None:
        validate.integer("n_train", self.n_train, low=10, high=DIGITS_SIZE - 100)
        validate.integer("width", self.width, low=1)
        validate.integer("depth", self.depth, low=1)
        validate.real("lr", self.lr, low=0.0, low_open=True)
        validate.real("weight_decay", self.weight_decay, low=0.0)
        validate.real("alpha", self.alpha, low=0.0, low_open=True)
        if self.batch_size is not None:
            validate.integer("batch_size", self.batch_size, low=1)
        validate.integer("steps", self.steps, low=1)
        validate.integer("control_steps", self.control_steps, low=1)
        validate.integer("sweep_steps", self.sweep_steps, low=1)
        validate.integer("eval_every", self.eval_every, low=1)
        for name in ("steps", "control_steps", "sweep_steps"):
            if getattr(self, name) % self.eval_every:
                raise ValueError(f"{name} ({getattr(self, name)}) must be a multiple of eval_every ({self.eval_every})")
        validate.integer("n_seeds", self.n_seeds, low=1)
        validate.integer("split_seed", self.split_seed, low=0)

    @classmethod
    def fast(cls) -> OmnigrokConfig:
        return cls()

    @classmethod
    def full(cls) -> OmnigrokConfig:
        return cls(n_train=1000, lr=1e-3, weight_decay=0.01, batch_size=200, steps=100_000,
                   control_steps=100_000, sweep_steps=10_000,
                   eval_every=500)

    def describe(self) -> str:
        """A one-line summary, used in figure captions and provenance."""
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        return (f"digits, {self.n_train} training points, MLP depth {self.depth} width {self.width}, squared error, "
                f"AdamW lr {self.lr:g} wd {self.weight_decay:g}, init ×{self.alpha:g}, {self.steps} steps of {batch}")


def digits_split(cfg: OmnigrokConfig) -> dict[str, np.ndarray]:
    """The digits, pixels scaled to [0, 1], split into ``cfg.n_train`` training points and the rest as test set.

    Section 3.5 (page 05-omnigrok-digits). The split comes from ``cfg.split_seed + DLTHEORY_SEED`` (fixed within a page). Returns
    ``x_train``, ``y_train``, ``x_test``, ``y_test`` (scikit-learn's bundled copy: no download).
    """
    if not isinstance(cfg, OmnigrokConfig):
        raise ValueError(f"cfg must be an OmnigrokConfig, got {type(cfg).__name__}")
    from sklearn.datasets import load_digits

    data = load_digits()
    order = np.random.default_rng(runtime.base_seed() + cfg.split_seed + 20_000).permutation(len(data.target))
    x = (data.data[order] / 16.0).astype(np.float32)
    y = data.target[order].astype(np.int32)
    n = cfg.n_train
    return {"x_train": x[:n], "y_train": y[:n], "x_test": x[n:], "y_test": y[n:]}


def digits_init(key: jax.Array, cfg: OmnigrokConfig, alpha: float | jax.Array = 1.0) -> list[dict[str, jax.Array]]:
    """The MLP's initial parameters (64 → width → … → 10, ``cfg.depth`` layers), all multiplied by ``alpha``.

    Section 3.5 (page 05-omnigrok-digits) (Liu et al. 2023). ``alpha = 1`` is PyTorch's default for a linear layer, the
    initialisation of the paper's code: weights and biases uniform in ``±1/√fan_in``. ``alpha`` may be traced.
    """
    if not isinstance(cfg, OmnigrokConfig):
        raise ValueError(f"cfg must be an OmnigrokConfig, got {type(cfg).__name__}")
    if not isinstance(alpha, jax.Array):
        validate.real("alpha", alpha, low=0.0, low_open=True)
    sizes = [64] + [cfg.width] * (cfg.depth - 1) + [10]
    layers = []
    for k, fan_in, fan_out in zip(jax.random.split(key, cfg.depth), sizes[:-1], sizes[1:]):
        kw, kb = jax.random.split(k)
        bound = 1.0 / np.sqrt(fan_in)
        layers.append({"w": alpha * jax.random.uniform(kw, (fan_in, fan_out), minval=-bound, maxval=bound),
                       "b": alpha * jax.random.uniform(kb, (fan_out,), minval=-bound, maxval=bound)})
    return layers


def _global_norm(tree: Any) -> jax.Array:
    return jnp.sqrt(sum(jnp.sum(leaf**2) for leaf in jax.tree_util.tree_leaves(tree)))


class _NormState(NamedTuple):
    target: jax.Array


def rescale_to_norm(factor: float | jax.Array, alpha: float | jax.Array = 1.0) -> optax.GradientTransformation:
    """Hold the weight norm fixed: after each step, rescale all parameters to a constant total norm.

    Section 3.5 (page 05-omnigrok-digits), the constrained optimisation of Liu et al. (2023). The target norm is
    ``factor · ‖θ₀‖ / alpha``: ``factor`` times the norm of the standard initialisation, when the initial
    parameters ``θ₀`` are ``alpha`` times it. Chain it *after* the optimiser; it turns the update ``u``
    into ``c (θ + u) − θ`` with ``c = target / ‖θ + u‖``. ``factor = 0`` leaves the updates alone.
    ``factor`` and ``alpha`` may be traced.
    """
    if not isinstance(factor, jax.Array):
        validate.real("factor", factor, low=0.0)
    if not isinstance(alpha, jax.Array):
        validate.real("alpha", alpha, low=0.0, low_open=True)

    def init(params: Any) -> _NormState:
        return _NormState(factor * _global_norm(params) / alpha)

    def update(updates: Any, state: _NormState, params: Any = None) -> tuple[Any, _NormState]:
        if params is None:
            raise ValueError("rescale_to_norm needs the parameters: call update(updates, state, params)")
        new = optax.apply_updates(params, updates)
        scale = jnp.where(state.target > 0, state.target / _global_norm(new), 1.0)
        return jax.tree_util.tree_map(lambda n, p: scale * n - p, new, params), state

    return optax.GradientTransformation(init, update)


@dataclasses.dataclass(frozen=True)
class DigitsResult:
    """Learning curves of :func:`digits_run`; arrays have shape ``(n_seeds, n_settings, n_evals)``.

    ``hparams`` holds, per setting, ``alpha`` (initialisation scale), ``weight_decay`` and ``norm`` (the
    fixed weight norm in units of the standard initialisation's, 0 = free).
    """

    config: OmnigrokConfig
    steps: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    weight_norm: np.ndarray
    seeds: tuple[int, ...]
    hparams: dict[str, np.ndarray]
    wall_time: float


def digits_run(
    cfg: OmnigrokConfig,
    seeds: Sequence[int] | None = None,
    *,
    hparams: Mapping[str, Sequence[float]] | None = None,
    steps: int | None = None,
    desc: str = "digits",
) -> DigitsResult:
    """Train the MLP of :func:`digits_init` on the digits with AdamW and squared error; one run per seed and setting.

    Section 3.5 (page 05-omnigrok-digits) (Liu, Michaud & Tegmark 2023, "Omnigrok"). ``hparams`` may vary ``alpha`` (the
    initialisation scale), ``weight_decay`` and ``norm``; with ``norm > 0`` the weights are rescaled after
    every step to ``norm`` times the norm of the standard (``alpha = 1``) initialisation of the same seed
    (:func:`rescale_to_norm`). Missing entries come from ``cfg`` (``norm`` defaults to 0, free). The loss is
    the mean squared error between the 10 outputs and the one-hot label (PyTorch's ``MSELoss``); with
    ``cfg.batch_size`` each step draws that many training points with replacement. ``steps`` overrides
    ``cfg.steps``. All settings × seeds are one vmapped program.
    """
    if not isinstance(cfg, OmnigrokConfig):
        raise ValueError(f"cfg must be an OmnigrokConfig, got {type(cfg).__name__}")
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else seeds
    steps = cfg.steps if steps is None else validate.integer("steps", steps, low=1)
    if steps % cfg.eval_every:
        raise ValueError(f"steps ({steps}) must be a multiple of cfg.eval_every ({cfg.eval_every})")
    allowed = ("alpha", "weight_decay", "norm")
    hp_in = dict(hparams or {})
    unknown = set(hp_in) - set(allowed)
    if unknown:
        raise ValueError(f"hparams may only set {allowed}, got {sorted(unknown)}")
    lengths = {len(np.atleast_1d(v)) for v in hp_in.values()}
    if len(lengths) > 1:
        raise ValueError(f"all hparams must have the same length, got lengths {sorted(lengths)}")
    n_set = lengths.pop() if lengths else 1
    defaults = {"alpha": cfg.alpha, "weight_decay": cfg.weight_decay, "norm": 0.0}
    hp = {k: np.asarray(hp_in.get(k, np.full(n_set, defaults[k])), dtype=np.float32).reshape(-1) for k in allowed}
    if not np.all(np.isfinite(np.concatenate(list(hp.values())))):
        raise ValueError("hparams must be finite")
    if np.any(hp["alpha"] <= 0):
        raise ValueError("hparams['alpha'] must be > 0")
    if np.any(hp["weight_decay"] < 0) or np.any(hp["norm"] < 0):
        raise ValueError("hparams['weight_decay'] and hparams['norm'] must be >= 0")

    data = {k: jnp.asarray(v) for k, v in digits_split(cfg).items()}

    def mse_and_correct(params: Any, x: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
        out = nets.mlp_apply(params, x)
        return jnp.mean((out - jax.nn.one_hot(y, 10)) ** 2), jnp.mean(out.argmax(-1) == y)

    def loss(params: Any, batch: Any, h: Mapping[str, jax.Array]) -> jax.Array:
        return mse_and_correct(params, batch["x_train"], batch["y_train"])[0]

    def draw(key: jax.Array, d: Any) -> dict[str, jax.Array]:
        idx = jax.random.randint(key, (cfg.batch_size,), 0, cfg.n_train)
        return {"x_train": d["x_train"][idx], "y_train": d["y_train"][idx]}

    def evaluate(params: Any, h: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        train_loss, train_acc = mse_and_correct(params, data["x_train"], data["y_train"])
        test_loss, test_acc = mse_and_correct(params, data["x_test"], data["y_test"])
        return {"train_acc": train_acc, "test_acc": test_acc, "loss": train_loss, "test_loss": test_loss,
                "weight_norm": _global_norm(params)}

    def optimizer(h: Mapping[str, jax.Array]) -> optax.GradientTransformation:
        return optax.chain(optax.adamw(cfg.lr, weight_decay=h["weight_decay"]), rescale_to_norm(h["norm"], h["alpha"]))

    hist = train.train(
        lambda key, h: digits_init(key, cfg, h["alpha"]), loss, optimizer,
        steps=steps, eval_every=cfg.eval_every, seeds=list(seeds), data=data,
        batch=None if cfg.batch_size is None else draw, evaluate=evaluate, hparams=hp, desc=desc,
        checkpoint=("grokking.digits_run", cfg),
    )
    return DigitsResult(
        config=cfg, steps=hist.steps, train_acc=hist["train_acc"], test_acc=hist["test_acc"],
        train_loss=hist["loss"], test_loss=hist["test_loss"], weight_norm=hist["weight_norm"],
        seeds=hist.seeds, hparams=hist.hparams, wall_time=hist.wall_time,
    )


def u_ratio(curve: Any) -> np.ndarray:
    """How U-shaped ``curve`` is along its last axis: ``min(first, last) / minimum``, or 0 if the minimum is an end.

    Section 3.5 (page 05-omnigrok-digits), the "U" of Liu et al. (2023): ``curve`` is the test loss at
    increasing fixed weight norms. A value of at least 2 means both ends are at least twice the interior minimum.
    """
    curve = validate.array("curve", curve)
    if curve.shape[-1] < 3:
        raise ValueError(f"curve needs at least 3 points along its last axis, got {curve.shape[-1]}")
    if np.any(curve <= 0):
        raise ValueError("curve must be positive (a loss)")
    low = curve.min(axis=-1)
    at = curve.argmin(axis=-1)
    ratio = np.minimum(curve[..., 0], curve[..., -1]) / low
    return np.where((at == 0) | (at == curve.shape[-1] - 1), 0.0, ratio)


def l_ratio(norms: Any, train_acc: Any, train_loss: Any, *, fit: float = 0.99) -> np.ndarray:
    """How L-shaped the training loss is against the weight norm (Section 3.5, page 05-omnigrok-digits).

    ``norms`` (increasing, in units of the standard initialisation's norm, containing 1) label the last axis
    of ``train_acc`` and ``train_loss``. Returns ``train_loss[smallest norm] / train_loss[norm 1]``, or 0
    where some norm ≥ 1 has train accuracy below ``fit`` (the flat bottom of the L is missing).
    """
    norms = validate.array("norms", norms, ndim=1, positive=True)
    if np.any(np.diff(norms) <= 0):
        raise ValueError("norms must be increasing")
    if not np.any(np.isclose(norms, 1.0)):
        raise ValueError("norms must contain 1 (the standard initialisation's norm)")
    train_acc = validate.array("train_acc", train_acc)
    train_loss = validate.array("train_loss", train_loss, nonnegative=True)
    if train_acc.shape != train_loss.shape or train_acc.shape[-1] != norms.size:
        raise ValueError(f"train_acc and train_loss must have the same shape, ending in {norms.size}; "
                         f"got {train_acc.shape} and {train_loss.shape}")
    fit = validate.probability("fit", fit, open_low=True)
    one = int(np.argmin(np.abs(norms - 1.0)))
    fits = np.all(train_acc[..., norms >= 1.0 - 1e-9] >= fit, axis=-1)
    ratio = train_loss[..., 0] / np.maximum(train_loss[..., one], 1e-12)
    return np.where(fits, ratio, 0.0)
