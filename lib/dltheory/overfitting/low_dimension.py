"""Chapter 2 · § 8, ``chapters/02-benign-overfitting/08-trained-networks.md``: the tempered side in low dimension.

Kornowski, Yehudai and Shamir (2023) prove that a two-layer ReLU network *with biases* that interpolates noisy
labels of one-dimensional data is tempered: its clean test error is bounded below and above by functions of the
noise rate (polynomial and linear), neither vanishing nor at chance; without biases it can be catastrophic. The
page's main network has no biases and cannot fit a flipped point in low dimension at all (its decision regions are
cones from the origin). Here the network has biases and a trained output layer:
``f(x) = Σ_j v_j max(w_jᵀx + b_j, 0)`` (:func:`train_biased`, vmapped over seeds), on the page's mixture
(:func:`dltheory.overfitting.trained_networks.mixture`); :func:`tempered_run` measures it at several ``n``.
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

from dltheory import validate
from dltheory.overfitting.trained_networks import LOW_D, TrainedConfig, mixture, runs_data

__all__ = ["biased_network", "LOSSES", "train_biased", "LowDResult", "tempered_run"]


def biased_network(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    """``f(x) = Σ_j v_j max(w_jᵀx + b_j, 0)`` for ``x`` of shape ``(n, d)``: the network of Kornowski et al. (2023)."""
    return jax.nn.relu(x @ params["w"].T + params["b"]) @ params["v"]


LOSSES = ("logistic", "square")


def train_biased(keys: jax.Array, x: Any, y: Any, *, width: int, steps: int, learning_rate: float,
                 spread: float, loss: str = "logistic") -> dict[str, jax.Array]:
    """Parameters of :func:`biased_network` after ``steps`` full-batch Adam steps, one run per key, on the logistic
    loss ``log(1 + e^{−y f})`` or the square loss ``(f − y)²`` (``loss``).

    ``x`` has shape ``(runs, n, d)``, ``y`` ``(runs, n)`` with entries ±1. Initialisation: ``w_j`` uniform on the
    unit sphere, each kink at ``t_j ~ N(0, spread²)`` along ``w_j`` (``b_j = −t_j``), so that the kinks start
    where the data lie; ``v_j ~ N(0, 1/width)``. Returns ``{"w": (runs, width, d), "b", "v": (runs, width)}``.
    """
    x, y = runs_data(x, y)
    width = validate.integer("width", width, low=1)
    steps = validate.integer("steps", steps, low=1)
    learning_rate = validate.real("learning_rate", learning_rate, low=0.0, low_open=True)
    spread = validate.real("spread", spread, low=0.0, low_open=True)
    loss = validate.choice("loss", loss, LOSSES)
    d = x.shape[-1]
    opt = optax.adam(learning_rate)

    def one(key: jax.Array, xs: jax.Array, ys: jax.Array) -> dict[str, jax.Array]:
        kw, kt, kv = jax.random.split(key, 3)
        w = jax.random.normal(kw, (width, d))
        w = w / jnp.linalg.norm(w, axis=1, keepdims=True)
        params = {"w": w, "b": -spread * jax.random.normal(kt, (width,)),
                  "v": jax.random.normal(kv, (width,)) / math.sqrt(width)}

        def objective(p: dict[str, jax.Array]) -> jax.Array:
            f = biased_network(p, xs)
            return jnp.mean(jax.nn.softplus(-ys * f) if loss == "logistic" else (f - ys) ** 2)

        def step(carry: Any, _: Any) -> tuple[Any, None]:
            p, state = carry
            updates, state = opt.update(jax.grad(objective)(p), state)
            return (optax.apply_updates(p, updates), state), None

        (p, _), _ = jax.lax.scan(step, (params, opt.init(params)), None, length=steps)
        return p

    return jax.jit(jax.vmap(one))(keys, x, y)


@dataclasses.dataclass(frozen=True)
class LowDResult:
    ns: np.ndarray  # (n_ns,)
    test_error: np.ndarray  # (n_seeds, 2, n_ns): clean test error, trained on [flipped, clean] labels
    train_error: np.ndarray  # (n_seeds, 2, n_ns): training error on the labels it was trained on
    seeds: tuple[int, ...]
    grid: np.ndarray  # (n_grid,): inputs along the first coordinate, where the first seed's networks are drawn
    curve: np.ndarray  # (2, n_ns, n_grid): f on the grid, first seed, trained on [flipped, clean] labels
    data: tuple[np.ndarray, ...]  # first seed at the last n: (x[:, 0], clean labels, flipped labels)

    def price(self) -> np.ndarray:
        """Clean test error where every training label was fitted, 1 where one was not: ``(seeds, 2, ns)``."""
        return np.where(self.train_error == 0, self.test_error, 1.0)


def tempered_run(cfg: TrainedConfig, seeds: Sequence[int], ns: Sequence[int] | None = None, *,
                 loss: str = "logistic") -> LowDResult:
    """The biased network in ``d = LOW_D["d"]`` on ``cfg``'s mixture (``‖μ‖``, flip rate, test points), at each
    training-set size of ``ns`` (``(cfg.n,)`` by default), on flipped and on clean labels, trained on ``loss``:
    claims ``trained-tempered-1d-bias`` (logistic) and ``trained-tempered-1d-square`` read ``n = cfg.n``. Each
    seed draws its own data and initialisation (the same for both losses)."""
    if not isinstance(cfg, TrainedConfig):
        raise ValueError(f"cfg must be a TrainedConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    ns = validate.integers("ns", (cfg.n,) if ns is None else ns, low=10)
    d = LOW_D["d"]
    test_error = np.empty((len(seeds), 2, len(ns)))
    train_error = np.empty_like(test_error)
    grid = np.linspace(-3 * cfg.mu_norm, 3 * cfg.mu_norm, 1201)
    on_grid = np.zeros((grid.size, d))
    on_grid[:, 0] = grid
    curve = np.empty((2, len(ns), grid.size))
    for b, n in enumerate(ns):
        test = [mixture(s * 100 + 70 + b, cfg.n_test, d, mu_norm=cfg.mu_norm, flip=0.0) for s in seeds]
        train = [mixture(s * 100 + 80 + b, n, d, mu_norm=cfg.mu_norm, flip=cfg.flip) for s in seeds]
        x = np.stack([t[0] for t in train])
        keys = jnp.stack([jax.random.fold_in(jax.random.PRNGKey(s), 7000 + n) for s in seeds])
        for c, labels in enumerate((np.stack([t[2] for t in train]), np.stack([t[1] for t in train]))):
            p = train_biased(keys, x, labels, width=LOW_D["width"], steps=LOW_D["steps"],
                             learning_rate=LOW_D["learning_rate"], spread=math.sqrt(cfg.mu_norm**2 + 1), loss=loss)
            for a in range(len(seeds)):
                one = {k: v[a] for k, v in p.items()}
                train_error[a, c, b] = float(np.mean(np.sign(biased_network(one, x[a])) != labels[a]))
                test_error[a, c, b] = float(np.mean(np.sign(biased_network(one, test[a][0])) != test[a][1]))
            curve[c, b] = np.asarray(biased_network({k: v[0] for k, v in p.items()}, jnp.asarray(on_grid)))
    data = (x[0, :, 0], train[0][1], train[0][2])
    return LowDResult(np.array(ns), test_error, train_error, tuple(seeds), grid, curve, data)

