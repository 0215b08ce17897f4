"""Section 3.8 on modular addition: Kumar et al.'s (2024) laziness control (page ``chapters/03-grokking/08-lazy-to-rich``).

Kumar, Bordelon, Gershman & Pehlevan (2024) set how lazily a network trains with a scale ``α`` on its output, in the
form of Chizat et al. (2019): the model is centred at its initialisation and scaled, ``f_α(x) = α (f(x; θ) −
f(x; θ₀))``, and the squared loss is divided by ``α²``, ``L = ‖f_α − y‖² / α²``, so that under gradient descent the
function moves at a rate that does not depend on ``α`` while the weights move ``1/α`` as far. A large ``α`` fits the
training set near the kernel of the initial features (lazy); a small one makes the features move (rich). Their claim:
the larger ``α``, the longer generalisation lags behind the fit; at small ``α`` the delay vanishes.

:class:`CentredConfig` is Gromov's (2023) quadratic network on ``a + b mod p`` (one-hot inputs, Section 3.3's
model), trained by full-batch gradient descent without any regulariser. :func:`centred_sweep` trains every scale
in :data:`CENTRED_SCALES` on every seed, on the true table and, as the null, on a table of random labels (nothing
to generalise to), in one vmapped program, and returns the steps to 99% train and test accuracy and the distance
the weights travelled; :func:`dltheory.grokking.lazy_to_rich.later_share` orders the delays by ``α``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.flatten_util import ravel_pytree

from dltheory import runtime, train, validate
from dltheory.grokking.data import modular_addition, split_rank
from dltheory.grokking.models import GrokConfig, init_model, quadratic_mlp
from dltheory.grokking.results import first_step

__all__ = ["CENTRED_SCALES", "CentredConfig", "at_step", "centred_sweep", "random_labels", "delay"]

#: Kumar et al.'s laziness scales α of Section 3.8's modular-addition control (a factor 4 between neighbours).
CENTRED_SCALES: tuple[float, ...] = (1.0, 4.0, 16.0)


@dataclasses.dataclass(frozen=True)
class CentredConfig(runtime.ModeConfig):
    """Kumar et al.'s control on ``a + b mod p``: Gromov's quadratic network of width ``width`` (mean-field output
    ``1/width``), centred at initialisation and scaled by ``α``, squared loss ÷ ``α²``, full-batch gradient descent
    with step ``lr`` and no regulariser, ``train_frac`` of the table.

    ``fast()``: ``p = 23``, width 200, 70% of the table, step 300, 3,000 steps (chosen by a pilot at ``α = 1``
    alone, which fitted by step 450 and generalised by step 850). ``full()``: ``p = 59``, width 400, half of the table,
    15,000 steps (within Chapter 3's GPU budget), and a step of 7,000: at this parametrisation (inputs ÷ √(2p),
    output ÷ width) the initial tangent kernel is about 23 times smaller at the full size than at the fast one
    (measured at initialisation: the function's change per unit step along the residual), so the step is scaled by
    that factor to move the function as fast per step. Full mode has not been run.
    """

    p: int = validate.field(23, validate.prime, low=3, high=1009)
    width: int = validate.field(200, validate.integer, low=1)
    train_frac: float = validate.field(0.7, validate.real, low=0.0, high=1.0, low_open=True, high_open=True)
    lr: float = validate.field(300.0, validate.real, low=0.0, low_open=True)
    steps: int = validate.field(3000, validate.integer, low=1)
    eval_every: int = validate.field(50, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        validate.schedule(self.steps, self.eval_every)

    @classmethod
    def fast(cls) -> CentredConfig:
        return cls()

    @classmethod
    def full(cls) -> CentredConfig:
        return cls(p=59, width=400, train_frac=0.5, lr=7_000.0, steps=15_000, eval_every=100)

    def grok(self) -> GrokConfig:
        """The :class:`GrokConfig` whose quadratic model, table and split this control uses."""
        return GrokConfig(p=self.p, model="quadratic", d_hidden=self.width, train_frac=self.train_frac,
                          weight_decay=0.0, steps=self.steps, eval_every=self.eval_every, n_seeds=self.n_seeds)

    def cost(self) -> runtime.Cost:
        """One program: the scales × (true, random labels) × seeds, full batch on the training pairs."""
        runs = 2 * len(CENTRED_SCALES) * self.n_seeds
        n_train = int(round(self.train_frac * self.p**2))
        step = 3.0 * 2 * n_train * self.width * (2 + self.p)
        params = 3 * self.p * self.width
        memory = 4.0 * runs * (4 * params + n_train * (self.width + 2 * self.p) * 3)
        return runtime.Cost(flops=step * self.steps * runs, bytes=memory, steps=self.steps)

    def paper_scale(self) -> str:
        """Against Kumar et al.'s settings."""
        return (f"Gromov's quadratic network (width {self.width}) on a + b mod {self.p}, {self.train_frac:.0%} of the "
                f"table, full-batch gradient descent for {self.steps:,} steps, {self.n_seeds} seeds, at "
                f"{len(CENTRED_SCALES)} scales: Kumar et al. use this control (centred output, loss ÷ α²) on a "
                "polynomial regression, MNIST and a one-layer transformer, not on this network")


def random_labels(p: int) -> np.ndarray:
    """The null's labels: one uniformly random answer in ``0..p-1`` per pair of the table (Section 3.8).

    Drawn from the base seed, the same for every run; there is no rule to find, so a run can fit them but the
    held-out pairs stay at chance.
    """
    validate.prime("p", p)
    rng = np.random.default_rng(runtime.base_seed() + 20_000 + p)
    return rng.integers(0, p, size=p * p).astype(np.int32)


def centred_sweep(
    cfg: CentredConfig, scales: Sequence[float] = CENTRED_SCALES, seeds: Sequence[int] | None = None,
) -> dict[str, Any]:
    """Train the centred, ``α``-scaled quadratic network at every scale, on the true and on random labels (Section 3.8).

    Kumar et al. (2024), after Chizat et al. (2019): ``f_α = α (f(θ) − f(θ₀))``, loss ``mean ‖f_α − onehot(c)‖² /
    α²`` over the training pairs, plain gradient descent. One vmapped :func:`dltheory.train.train` over the grid
    ``labels ∈ {true, random}`` × ``scales``; every setting of a seed starts from the same ``θ₀``. Returns
    ``t_fit`` and ``t_grok`` (steps to 99% train and test accuracy, ``inf`` if never), ``moved`` (the relative
    distance ``‖θ − θ₀‖ / ‖θ₀‖`` at the end of the budget) and ``moved_at_fit`` (the same distance at the run's
    ``t_fit``, the distance travelled to fit that the lazy-training theory is about; ``nan`` if it never fitted),
    each of shape ``(n_seeds, 2, len(scales))`` (index 1 of the middle axis: random labels, the null), and the
    ``steps``, ``train_acc`` and ``test_acc`` curves (last axis).
    """
    if not isinstance(cfg, CentredConfig):
        raise ValueError(f"cfg must be a CentredConfig, got {type(cfg).__name__}")
    scales = validate.array("scales", scales, ndim=1)
    if scales.size < 2 or np.any(scales <= 0) or np.any(np.diff(scales) <= 0):
        raise ValueError(f"scales must be at least two increasing positive scales, got {scales}")
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else [int(s) for s in validate.seeds(seeds, distinct=True)]
    gcfg = cfg.grok()
    table = modular_addition(cfg.p)
    labels = np.stack([table["c"], random_labels(cfg.p)])                       # (2, p²)
    is_train = split_rank(gcfg) < gcfg.n_train
    a, b = jnp.asarray(table["a"]), jnp.asarray(table["b"])
    onehot = jax.nn.one_hot(jnp.asarray(labels), cfg.p)                        # (2, p², p)
    train_w = jnp.asarray(is_train, jnp.float32)
    idx = jnp.asarray(np.flatnonzero(is_train))

    def init(key: jax.Array, h: Mapping[str, jax.Array]) -> dict[str, Any]:
        theta = init_model(key, gcfg)
        return {"theta": theta, "theta0": theta}   # θ₀ gets a zero gradient and stays where it started

    def outputs(params: Mapping[str, Any], h: Mapping[str, jax.Array], rows: jax.Array) -> jax.Array:
        f = quadratic_mlp(params["theta"], a[rows], b[rows])
        f0 = quadratic_mlp(jax.lax.stop_gradient(params["theta0"]), a[rows], b[rows])
        return h["alpha"] * (f - f0)

    def targets(h: Mapping[str, jax.Array], rows: jax.Array) -> jax.Array:
        return jnp.where(h["random"] > 0, onehot[1][rows], onehot[0][rows])

    def loss(params: Any, batch: Any, h: Mapping[str, jax.Array]) -> jax.Array:
        err = outputs(params, h, batch) - targets(h, batch)   # batch: the training rows (full batch)
        return jnp.mean(jnp.sum(err**2, axis=-1)) / h["alpha"] ** 2

    def evaluate(params: Any, h: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        rows = jnp.arange(cfg.p**2)
        right = (outputs(params, h, rows).argmax(-1) == targets(h, rows).argmax(-1)).astype(jnp.float32)
        theta, _ = ravel_pytree(params["theta"])
        theta0, _ = ravel_pytree(params["theta0"])
        return {"train_acc": jnp.sum(right * train_w) / jnp.sum(train_w),
                "test_acc": jnp.sum(right * (1 - train_w)) / jnp.sum(1 - train_w),
                "moved": jnp.linalg.norm(theta - theta0) / jnp.linalg.norm(theta0)}

    hist = train.train(init, loss, lambda h: optax.sgd(cfg.lr), steps=cfg.steps, eval_every=cfg.eval_every,
                       seeds=list(seeds), data=idx, evaluate=evaluate, hparams=train.grid(random=[0.0, 1.0], alpha=scales),
                       desc="centred alpha sweep", checkpoint=("grokking.centred_sweep", cfg, tuple(scales.tolist())))
    shape = (len(seeds), 2, scales.size)
    t_fit = first_step(hist.steps, hist["train_acc"], 0.99).reshape(shape)
    moved = hist["moved"].reshape(shape + (-1,))
    return {"t_fit": t_fit, "t_grok": first_step(hist.steps, hist["test_acc"], 0.99).reshape(shape),
            "moved": moved[..., -1], "moved_at_fit": at_step(hist.steps, moved, t_fit), "steps": hist.steps,
            "train_acc": hist["train_acc"].reshape(shape + (-1,)), "test_acc": hist["test_acc"].reshape(shape + (-1,)),
            "seeds": list(seeds), "scales": scales}


def at_step(steps: Any, curves: Any, when: Any) -> np.ndarray:
    """Each curve's value at its own step ``when`` (Section 3.8: the distance travelled at the run's ``t_fit``).

    ``curves`` has the shape of ``when`` plus a last axis over the evaluation ``steps``; ``when`` must be one of
    ``steps`` or ``inf`` (the run never got there), which gives ``nan``.
    """
    steps = validate.array("steps", steps, ndim=1)
    curves = np.asarray(curves, dtype=float)
    when = validate.array("when", when, finite=False)
    if curves.shape != when.shape + steps.shape:
        raise ValueError(f"curves must have shape {when.shape + steps.shape}, got {curves.shape}")
    done = np.isfinite(when)
    idx = np.searchsorted(steps, np.where(done, when, steps[0]))
    if np.any(done & ((idx >= steps.size) | (steps[np.minimum(idx, steps.size - 1)] != when))):
        raise ValueError(f"when must be one of the evaluation steps or inf, got {when}")
    picked = np.take_along_axis(curves, np.minimum(idx, steps.size - 1)[..., None], axis=-1)[..., 0]
    return np.where(done, picked, np.nan)


def delay(t_fit: Any, t_grok: Any) -> np.ndarray:
    """Steps from fitting the training set to generalising, ``t_grok − t_fit`` (Section 3.8); ``inf`` where the
    run never generalised (or never fitted) within its budget, so that it ranks last."""
    t_fit = validate.array("t_fit", t_fit, finite=False)
    t_grok = validate.array("t_grok", t_grok, finite=False)
    if t_fit.shape != t_grok.shape:
        raise ValueError(f"t_fit and t_grok must have the same shape, got {t_fit.shape} and {t_grok.shape}")
    never = ~np.isfinite(t_fit) | ~np.isfinite(t_grok)
    return np.where(never, np.inf, np.where(never, 0.0, t_grok) - np.where(never, 0.0, t_fit))
