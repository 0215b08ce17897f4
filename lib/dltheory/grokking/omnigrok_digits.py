"""Section 3.5, Omnigrok on the digits (page ``chapters/03-grokking/05-omnigrok-digits``).

Liu, Michaud & Tegmark (2023): grokking away from algorithmic data, by a large initialisation and the
weight norm. :class:`OmnigrokConfig`, :func:`digits_split`, :func:`digits_init`, :func:`rescale_to_norm`
(constrained weight norm), :func:`digits_run`, and the shapes of the landscape, :func:`u_ratio` and
:func:`l_ratio`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import nets, runtime, train, validate

__all__ = [
    "OmnigrokConfig",
    "DigitsResult",
    "digits_split",
    "digits_init",
    "rescale_to_norm",
    "digits_run",
    "dead_runs",
    "u_ratio",
    "l_ratio",
    "censored_ratio",
]


DIGITS_SIZE = 1797  # images in scikit-learn's bundled digits


@dataclasses.dataclass(frozen=True)
class OmnigrokConfig(runtime.ModeConfig):
    """Section 3.5 (page 05-omnigrok-digits): grokking on scikit-learn's digits by a large initialisation
    (Liu et al. 2023).

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

    n_train: int = validate.field(200, validate.integer, low=10, high=DIGITS_SIZE - 100)
    width: int = validate.field(200, validate.integer, low=1)
    depth: int = validate.field(3, validate.integer, low=1)
    lr: float = validate.field(2e-3, validate.real, low=0.0, low_open=True)
    weight_decay: float = validate.field(0.1, validate.real, low=0.0)
    alpha: float = validate.field(8.0, validate.real, low=0.0, low_open=True)
    batch_size: int | None = validate.field(None, validate.integer, low=1, optional=True)
    steps: int = validate.field(6000, validate.integer, low=1)
    control_steps: int = validate.field(1500, validate.integer, low=1)
    sweep_steps: int = validate.field(1000, validate.integer, low=1)
    eval_every: int = validate.field(50, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    split_seed: int = validate.field(0, validate.integer, low=0)

    def check(self) -> None:  # relations between fields; the ranges are declared above
        for name in ("steps", "control_steps", "sweep_steps"):
            if getattr(self, name) % self.eval_every:
                raise ValueError(f"{name} ({getattr(self, name)}) must be a multiple of eval_every ({self.eval_every})")

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

    def cost(self) -> runtime.Cost:
        """MLPs on the 64-pixel digits (``depth`` layers of ``width``): the runs at large initialisation with, in the
        same program, the fixed-norm control's null held at that large norm (``2 n_seeds``), the controls
        (``n_seeds``), then the norm sweep, counted as ten fixed norms × seeds of ``sweep_steps``, each set trained
        in one program."""
        return (self.training_cost(self.steps, 2 * self.n_seeds) + self.training_cost(self.control_steps, self.n_seeds)
                + self.training_cost(self.sweep_steps, 10 * self.n_seeds))

    def training_cost(self, steps: int, runs: int) -> runtime.Cost:
        """``runs`` of these MLPs trained ``steps`` steps in one program (for :meth:`cost` and the pages' budgets)."""
        params = 64.0 * self.width + (self.depth - 2) * self.width**2 + 10.0 * self.width
        batch = self.n_train if self.batch_size is None else self.batch_size
        return runtime.Cost.training(params=params, batch=batch, steps=steps, runs=runs,
                                     activations=float(self.depth * self.width))

    def paper_scale(self) -> str:
        """Against Liu et al.'s MNIST recipe."""
        batch = "full batch" if self.batch_size is None else f"batch {self.batch_size}"
        return (f"Liu et al.'s MNIST recipe (1,000 images, depth 3, width 200, batch 200, 10⁵ steps) on the 8×8 "
                f"digits: {self.n_train:,} points, depth {self.depth}, width {self.width}, {batch}, {self.steps:,} "
                f"steps, {self.n_seeds} seeds; 64 pixels instead of 784 (MNIST cannot be shipped)")


def digits_split(cfg: OmnigrokConfig, seed: int | None = None) -> dict[str, np.ndarray]:
    """The digits, pixels scaled to [0, 1], split into ``cfg.n_train`` training points and the rest as test set.

    Section 3.5 (page 05-omnigrok-digits). The split is drawn from ``seed`` (a run's seed; default
    ``DLTHEORY_SEED``) and ``cfg.split_seed``: :func:`digits_run` gives every seed its own split, so a claim over
    seeds averages over splits as well as initialisations. Returns ``x_train``, ``y_train``, ``x_test``,
    ``y_test`` (scikit-learn's bundled copy: no download).
    """
    if not isinstance(cfg, OmnigrokConfig):
        raise ValueError(f"cfg must be an OmnigrokConfig, got {type(cfg).__name__}")
    seed = runtime.base_seed() if seed is None else validate.seed("seed", seed)
    from sklearn.datasets import load_digits

    data = load_digits()
    order = np.random.default_rng([seed, cfg.split_seed, 20_000]).permutation(len(data.target))
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
    ``cfg.steps``. Each seed trains on its own split of the digits (:func:`digits_split`); all settings × seeds
    are one vmapped program. With minibatches, every run draws the same positions at a step, each in its own
    seed's split (so different digits).
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

    seeds = validate.seeds(seeds, distinct=True)
    splits = [digits_split(cfg, seed) for seed in seeds]
    data = {k: jnp.asarray(np.stack([split[k] for split in splits])) for k in splits[0]}  # (seed, point, ...)
    # One run per seed and setting, all in one program: the seeds are laid along the settings axis
    # (``seed_index``), so that each run can pick its own seed's split out of ``data``.
    run_hp = {k: np.tile(v, len(seeds)) for k, v in hp.items()}
    run_hp["seed_index"] = np.repeat(np.arange(len(seeds)), n_set)
    seed_array = jnp.asarray(np.array(seeds, dtype=np.uint32))

    def own(h: Mapping[str, jax.Array], d: Any) -> dict[str, jax.Array]:
        return {k: v[h["seed_index"].astype(jnp.int32)] for k, v in d.items()}

    def init(key: jax.Array, h: Mapping[str, jax.Array]) -> list[dict[str, jax.Array]]:
        # ``train`` gives every run the first seed's key: draw this run's own, as ``train`` would for its seed
        k_init, _ = jax.random.split(jax.random.key(seed_array[h["seed_index"].astype(jnp.int32)]))
        return digits_init(k_init, cfg, h["alpha"])

    def mse_and_correct(params: Any, x: jax.Array, y: jax.Array) -> tuple[jax.Array, jax.Array]:
        out = nets.mlp_apply(params, x)
        return jnp.mean((out - jax.nn.one_hot(y, 10)) ** 2), jnp.mean(out.argmax(-1) == y)

    def loss(params: Any, batch: Any, h: Mapping[str, jax.Array]) -> jax.Array:
        mine = own(h, batch)
        return mse_and_correct(params, mine["x_train"], mine["y_train"])[0]

    def draw(key: jax.Array, d: Any) -> dict[str, jax.Array]:  # the same positions in every seed's own split
        idx = jax.random.randint(key, (cfg.batch_size,), 0, cfg.n_train)
        return {"x_train": d["x_train"][:, idx], "y_train": d["y_train"][:, idx]}

    def evaluate(params: Any, h: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        mine = own(h, data)
        train_loss, train_acc = mse_and_correct(params, mine["x_train"], mine["y_train"])
        test_loss, test_acc = mse_and_correct(params, mine["x_test"], mine["y_test"])
        return {"train_acc": train_acc, "test_acc": test_acc, "loss": train_loss, "test_loss": test_loss,
                "weight_norm": _global_norm(params)}

    def optimizer(h: Mapping[str, jax.Array]) -> optax.GradientTransformation:
        return optax.chain(optax.adamw(cfg.lr, weight_decay=h["weight_decay"]), rescale_to_norm(h["norm"], h["alpha"]))

    hist = train.train(
        init, loss, optimizer, steps=steps, eval_every=cfg.eval_every, seeds=[seeds[0]], data=data,
        batch=None if cfg.batch_size is None else draw, evaluate=evaluate, hparams=run_hp, desc=desc,
        checkpoint=("grokking.digits_run", cfg, seeds),
    )
    runs = {name: hist[name].reshape((len(seeds), n_set) + hist[name].shape[2:]) for name in hist.metrics}
    return DigitsResult(
        config=cfg, steps=hist.steps, train_acc=runs["train_acc"], test_acc=runs["test_acc"],
        train_loss=runs["loss"], test_loss=runs["test_loss"], weight_norm=runs["weight_norm"],
        seeds=seeds, hparams=hp, wall_time=hist.wall_time,
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


def dead_runs(norms: Any, train_acc: Any, train_loss: Any, *, chance: float = 0.1) -> np.ndarray:
    """Per seed, whether a fixed-norm run at a norm ≥ 1 learned nothing (Section 3.5, page 05-omnigrok-digits).

    ``norms`` label the last axis of ``train_acc`` and ``train_loss`` (final values, shape ``(n_seeds, n_norms)``).
    A run is dead when its final training accuracy is at most twice ``chance`` or its loss is not finite: at the
    standard norm and above every healthy run fits its training set, so such a run is a failed optimisation
    (degenerate), not a point of the L or the U; the page reports it instead of folding it into a ratio.
    """
    norms = validate.array("norms", norms, ndim=1, positive=True)
    train_acc = validate.array("train_acc", train_acc, ndim=2, finite=False)
    train_loss = validate.array("train_loss", train_loss, ndim=2, finite=False)
    if train_acc.shape != train_loss.shape or train_acc.shape[-1] != norms.size:
        raise ValueError(f"train_acc and train_loss must have the same shape (n_seeds, {norms.size}); "
                         f"got {train_acc.shape} and {train_loss.shape}")
    chance = validate.probability("chance", chance, open_low=True)
    upper = norms >= 1.0 - 1e-9
    dead = (train_acc[:, upper] <= 2 * chance) | ~np.isfinite(train_loss[:, upper]) | ~np.isfinite(train_acc[:, upper])
    return dead.any(axis=-1)


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


def censored_ratio(t_fit: Any, t_gen: Any, budget: int) -> np.ndarray:
    """``t_gen / t_fit`` of runs cut off at step ``budget``, as the lower bound the budget allows (Section 3.5).

    A run that fitted but had not generalised by ``budget`` (``t_gen = inf``) gets ``budget / t_fit``: its true
    ratio is larger, so against an upper bar it can only miss by more. A run that never fitted has no ratio; it gets
    1, which is not a bound but meets the one bar this serves (at most 1.5): passed to ``claims.check`` as cut off
    (``null_censored``), a null that did not fit counts as meeting it. For any other bar, 0 (the only lower bound
    there is) would be the value to pass. Used for the null of ``omnigrok-constrained``, the fixed-norm runs at 8
    times the standard norm.
    """
    t_fit = validate.array("t_fit", t_fit, finite=False)
    t_gen = validate.array("t_gen", t_gen, finite=False)
    budget = validate.integer("budget", budget, low=1)
    if t_fit.shape != t_gen.shape:
        raise ValueError(f"t_fit and t_gen must have the same shape, got {t_fit.shape} and {t_gen.shape}")
    if np.any(t_fit[np.isfinite(t_fit)] > budget) or np.any(t_gen[np.isfinite(t_gen)] > budget):
        raise ValueError(f"finite steps must lie within the budget ({budget}), got {t_fit} and {t_gen}")
    fitted = np.isfinite(t_fit) & (t_fit > 0)
    ratio = np.minimum(t_gen, budget) / np.where(fitted, t_fit, 1.0)
    return np.where(fitted, ratio, 1.0)
