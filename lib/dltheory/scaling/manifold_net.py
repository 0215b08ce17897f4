"""§8, trained networks: Sharma and Kaplan's 4/d law on a trained ReLU network (``08-manifold``).

The second half of ``chapters/01-scaling-laws/08-manifold``: the law measured on a trained network instead of
an interpolant.

A network with one hidden layer of ``w`` ReLU units, ``N = w(d + 2) + 1`` parameters, is trained by Adam on fresh
uniform samples of a target on the cube ``[0, 1]^d`` (the data-plentiful regime of Sharma and Kaplan 2022, where
only model size limits the loss); its test squared error is fitted as ``N^{-α}`` across widths. Theory: a
smooth target gives ``α ≈ 4/d`` (their Eq. 1.3 argument, §8's SymPy cell), a target with a jump only ``≈ 1/d``.
Every seed, target and dimension of one width is trained in one vmapped program: a narrower network is the widest
of the sweep with its last units removed (the same draws as the first version, which masked them out), and lower
dimensions are the highest with zero input coordinates and zero target frequencies along them.
:func:`rough_experiment` trains the same networks in ``d = 2`` on a target of limited smoothness ``s``
(:func:`manifold.rough_target`), whose theory is ``α = 2s/d``, against the smooth target;
:func:`interpolant_exponents` gives the grid interpolant's exponent on the same target draws, the model the
``2s/d`` rate is a statement about, to compare with the networks draw by draw.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, validate
from dltheory.scaling import common, manifold

__all__ = ["param_count", "NetConfig", "NetResult", "net_experiment", "RoughConfig", "RoughResult", "rough_experiment",
           "matched_cells", "interpolant_exponents"]


def param_count(width: int, d: int) -> int:
    """Parameters of a one-hidden-layer network ``R^d → R`` with ``width`` units: ``w(d + 1)`` in, ``w + 1`` out."""
    width, d = validate.integer("width", width, low=1), validate.integer("d", d, low=1)
    return width * (d + 2) + 1


@dataclasses.dataclass(frozen=True)
class NetConfig(runtime.ModeConfig):
    """§8, trained: dimensions ``dims``, hidden widths ``widths``; Adam (``lr``, cosine decay to ``lr/100``) for
    ``steps`` steps on ``batch`` fresh uniform samples each; test error on ``n_test`` points."""

    dims: tuple[int, ...] = validate.field((2, 3), validate.increasing_integers, min_size=1)
    widths: tuple[int, ...] = validate.field((8, 16, 32, 64, 128), validate.increasing_integers, min_size=3)
    steps: int = validate.field(4000, validate.integer, low=10)
    batch: int = validate.field(256, validate.integer, low=8)
    lr: float = validate.field(3e-3, validate.real, low=0.0, low_open=True)
    n_test: int = validate.field(4096, validate.integer, low=100)
    n_waves: int = validate.field(8, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> NetConfig:
        return cls()

    @classmethod
    def full(cls) -> NetConfig:
        return cls(dims=(2, 3, 4, 5, 6), widths=(16, 32, 64, 128, 256, 512, 1024), steps=30_000, batch=1024,
                   n_test=65_536, n_seeds=5)

    def cost(self) -> runtime.Cost:
        """Device work: ``runs = |dims| · n_seeds · 2 targets · |widths|`` networks, each at the largest width
        (masked), about ``8 · batch · w_max · (d_max + 2)`` FLOPs a step forward and backward, plus the target
        (``(2 d_max + 12) · n_waves`` a sample)."""
        runs = len(self.dims) * self.n_seeds * 2 * len(self.widths)
        d, w = max(self.dims), max(self.widths)
        per_step = runs * self.batch * (8.0 * w * (d + 2) + (2 * d + 12) * self.n_waves)
        memory = 4.0 * runs * (3 * w * (d + 2) + self.batch * w * 2)
        return runtime.Cost(flops=per_step * self.steps, bytes=memory, steps=self.steps)

    def paper_scale(self) -> str:
        """Sharma and Kaplan's students are deeper and larger; this is the smallest network the argument covers."""
        return (f"Sharma & Kaplan train multi-layer students on random teachers of intrinsic dimension up to about "
                f"12; here one hidden layer of {self.widths[0]}–{self.widths[-1]} ReLU units on smooth targets in "
                f"d = {', '.join(map(str, self.dims))}, {self.steps:,} Adam steps of {self.batch} fresh samples, "
                f"{self.n_seeds} seeds")


def _pad_target(target: manifold.Target, d_max: int) -> manifold.Target:
    """The same function on ``[0, 1]^{d_max}``, constant along the extra coordinates (zero frequencies there)."""
    d = target["omega"].shape[-1]
    return {**target, "omega": jnp.pad(target["omega"], ((0, 0), (0, d_max - d)))}


def _forward(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
    return jax.nn.relu(x @ params["W"].T + params["b"]) @ params["a"] + params["c"]


def _init(key: jax.Array, width: int, live: jax.Array) -> dict[str, jax.Array]:
    """Unit-variance input weights on the live coordinates; biases that put every kink inside the cube."""
    kw, kb, ka = jax.random.split(key, 3)
    W = jax.random.normal(kw, (width, live.size)) * live
    b = jax.random.uniform(kb, (width,), minval=-0.8, maxval=0.8) * jnp.linalg.norm(W, axis=1)
    return {"W": W, "b": b, "a": jax.random.normal(ka, (width,)) / math.sqrt(width), "c": jnp.zeros(())}


def _train_one(cfg: NetConfig, key: jax.Array, target: manifold.Target, d: jax.Array, width: int,
               d_max: int, w_max: int) -> jax.Array:
    """Test squared error of one network of ``width`` units on ``target`` in ``d`` (of ``d_max``) dimensions.

    Its units are the first ``width`` of a network of ``w_max`` drawn from ``key``, so a narrower network of the
    sweep is a wider one with units removed, and every width sees the same samples.
    """
    k_init, k_data, k_test = jax.random.split(key, 3)
    live = (jnp.arange(d_max) < d).astype(jnp.float32)
    full = _init(k_init, w_max, live)  # output weights ~ 1/sqrt(w_max) at every width, as first registered
    params = {"W": full["W"][:width], "b": full["b"][:width], "a": full["a"][:width], "c": full["c"]}
    schedule = optax.cosine_decay_schedule(cfg.lr, cfg.steps, alpha=0.01)
    opt = optax.adam(schedule)

    def sample(k: jax.Array, n: int) -> tuple[jax.Array, jax.Array]:
        z = jax.random.uniform(k, (n, d_max)) * live  # unused coordinates held at 0
        return (2 * z - 1) * live, manifold.evaluate(target, z)

    def loss(p: dict[str, jax.Array], x: jax.Array, y: jax.Array) -> jax.Array:
        return jnp.mean((_forward(p, x) - y) ** 2)

    def step(carry, k):
        p, s = carry
        x, y = sample(k, cfg.batch)
        g = jax.grad(loss)(p, x, y)
        g = {**g, "W": g["W"] * live}
        u, s = opt.update(g, s, p)
        return (optax.apply_updates(p, u), s), None

    (params, _), _ = jax.lax.scan(step, (params, opt.init(params)), jax.random.split(k_data, cfg.steps))
    return loss(params, *sample(k_test, cfg.n_test))


def _train_sweep(cfg: NetConfig, keys: list[jax.Array], targets: list[manifold.Target], ds: list[int],
                 ws: list[int]) -> np.ndarray:
    """Test errors of the runs ``(keys, targets, ds, ws)``: one vmapped program per width, in the runs' order."""
    d_max, w_max = max(cfg.dims), max(cfg.widths)
    out = np.empty(len(keys))
    for w in sorted(set(ws)):
        idx = [i for i, wi in enumerate(ws) if wi == w]
        stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *[targets[i] for i in idx])
        run = jax.vmap(lambda k, t, d, w=w: _train_one(cfg, k, t, d, w, d_max, w_max))
        out[idx] = np.asarray(jax.jit(run)(jnp.stack([keys[i] for i in idx]), stacked,
                                          jnp.asarray([ds[i] for i in idx])), dtype=float)
    return out


@dataclasses.dataclass(frozen=True)
class NetResult:
    config: NetConfig
    seeds: tuple[int, ...]
    params: dict[int, np.ndarray]  # per d: (n_widths,) parameter counts
    smooth_mse: dict[int, np.ndarray]  # per d: (n_seeds, n_widths)
    jump_mse: dict[int, np.ndarray]  # per d: (n_seeds, n_widths), the null target

    def exponents(self, null: bool = False) -> np.ndarray:
        """``(n_seeds, n_dims)``: minus the log-log slope of test squared error against parameters."""
        mse = self.jump_mse if null else self.smooth_mse
        return np.stack([common.fit_exponent(self.params[d], mse[d]) for d in self.config.dims], axis=1)

    def worst_shortfall(self, null: bool = False) -> np.ndarray:
        """Per seed, the smallest ``α_d − 4/d`` over the dimensions (the claim's measurement)."""
        return np.min(self.exponents(null) - 4.0 / np.asarray(self.config.dims, dtype=float)[None, :], axis=1)


def net_experiment(cfg: NetConfig, seeds: Sequence[int]) -> NetResult:
    """§8: train every network of the sweep (dimensions × seeds × {smooth, jump} × widths), one program a width.

    Per seed and dimension one smooth target (:func:`manifold.smooth_target`) and one jump target
    (:func:`manifold.jump_target`, the null), drawn from ``fold_in(key(seed), d)`` as in
    :func:`manifold.manifold_experiment` but from a separate stream (``fold_in(…, 1)``).
    """
    if not isinstance(cfg, NetConfig):
        raise ValueError(f"cfg must be a NetConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    d_max = max(cfg.dims)
    keys, targets, ds, ws = [], [], [], []
    for d in cfg.dims:
        for s in seeds:
            base = jax.random.fold_in(jax.random.fold_in(jax.random.key(s), d), 1)
            k_smooth, k_jump, k_nets = jax.random.split(base, 3)
            pair = (manifold.smooth_target(k_smooth, d, n_waves=cfg.n_waves),
                    manifold.jump_target(k_jump, d, n_waves=cfg.n_waves))
            for t, target in enumerate(pair):
                for i, w in enumerate(cfg.widths):
                    keys.append(jax.random.fold_in(k_nets, 2 * i + t))
                    targets.append(_pad_target(target, d_max))
                    ds.append(d)
                    ws.append(w)
    mse = _train_sweep(cfg, keys, targets, ds, ws)
    mse = mse.reshape(len(cfg.dims), len(seeds), 2, len(cfg.widths))
    params = {d: np.array([param_count(w, d) for w in cfg.widths], dtype=float) for d in cfg.dims}
    smooth = {d: mse[i, :, 0] for i, d in enumerate(cfg.dims)}
    jump = {d: mse[i, :, 1] for i, d in enumerate(cfg.dims)}
    return NetResult(cfg, seeds, params, smooth, jump)


@dataclasses.dataclass(frozen=True)
class RoughConfig(NetConfig):
    """§8, limited smoothness: the networks of :class:`NetConfig` trained ``steps`` steps in ``dims`` on a target of
    smoothness ``smoothness`` (:func:`manifold.rough_target`: ``octaves`` octaves of ``waves_per_octave`` cosines)
    and on the smooth target of ``n_waves`` cosines."""

    dims: tuple[int, ...] = validate.field((2,), validate.increasing_integers, min_size=1)
    steps: int = validate.field(16_000, validate.integer, low=10)
    smoothness: float = validate.field(1.0, validate.real, low=0.0, low_open=True, high=2.0)
    octaves: int = validate.field(7, validate.integer, low=1)
    waves_per_octave: int = validate.field(4, validate.integer, low=1)

    @classmethod
    def full(cls) -> RoughConfig:
        # d = 2 only, as the claims: the book's GPU budget has no room for the 318 TFLOP of d = 2, 3, 4 at width 1,024
        return cls(widths=(8, 16, 32, 64, 128, 256), steps=16_000, batch=1024, n_test=16_384, octaves=9, n_seeds=5)

    def paper_scale(self) -> str:
        """Sharma and Kaplan discuss smoothness only in their theory; no run of theirs has a rough target."""
        return (f"no paper's run to match (Sharma & Kaplan's targets are smooth): one hidden layer of "
                f"{self.widths[0]}–{self.widths[-1]} ReLU units in d = {', '.join(map(str, self.dims))} on a target "
                f"of smoothness {self.smoothness:g} ({self.octaves} octaves of {self.waves_per_octave} cosines), "
                f"{self.steps:,} Adam steps of {self.batch} fresh samples, {self.n_seeds} seeds")


@dataclasses.dataclass(frozen=True)
class RoughResult:
    config: RoughConfig
    seeds: tuple[int, ...]
    params: dict[int, np.ndarray]  # per d: (n_widths,) parameter counts
    rough_mse: dict[int, np.ndarray]  # per d: (n_seeds, n_widths), the target of smoothness s
    smooth_mse: dict[int, np.ndarray]  # per d: (n_seeds, n_widths), the smooth target

    def exponents(self, smooth: bool = False) -> np.ndarray:
        """``(n_seeds, n_dims)``: minus the log-log slope of test squared error against parameters."""
        mse = self.smooth_mse if smooth else self.rough_mse
        return np.stack([common.fit_exponent(self.params[d], mse[d]) for d in self.config.dims], axis=1)

    def deviation(self, smooth: bool = False) -> np.ndarray:
        """Per seed, ``α_d − 2s/d`` at its farthest from 0 over the dimensions (``manifold-net-rough-exponent``)."""
        dev = self.exponents(smooth) - 2.0 * self.config.smoothness / np.asarray(self.config.dims, float)[None, :]
        return dev[np.arange(dev.shape[0]), np.argmax(np.abs(dev), axis=1)]

    def shortfall(self, smooth: bool = True) -> np.ndarray:
        """Per seed, the smallest ``α_d − 4/d`` over the dimensions (``manifold-net-exponent-16k``)."""
        return np.min(self.exponents(smooth) - 4.0 / np.asarray(self.config.dims, float)[None, :], axis=1)


def _rough_key(seed: int, d: int) -> jax.Array:
    """``fold_in(fold_in(key(seed), d), 2)``: the stream of §8's rough-target runs (``1`` is :func:`net_experiment`'s)."""
    return jax.random.fold_in(jax.random.fold_in(jax.random.key(seed), d), 2)


def _rough_draws(cfg: RoughConfig, seed: int, d: int) -> tuple[manifold.Target, manifold.Target, jax.Array]:
    """The rough target, the smooth target and the networks' key of one seed and dimension (:func:`rough_experiment`),
    all from :func:`_rough_key`."""
    k_rough, k_smooth, k_nets = jax.random.split(_rough_key(seed, d), 3)
    rough = manifold.rough_target(k_rough, d, smoothness=cfg.smoothness, octaves=cfg.octaves,
                                  waves_per_octave=cfg.waves_per_octave)
    return rough, manifold.smooth_target(k_smooth, d, n_waves=cfg.n_waves), k_nets


def rough_experiment(cfg: RoughConfig, seeds: Sequence[int]) -> RoughResult:
    """§8: the networks of :func:`net_experiment`, per seed and dimension on a rough and on a smooth target.

    Targets and network draws come from ``fold_in(fold_in(key(seed), d), 2)``, a stream that
    :func:`net_experiment` (``1``) and :func:`manifold.manifold_experiment` do not use.
    """
    if not isinstance(cfg, RoughConfig):
        raise ValueError(f"cfg must be a RoughConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    d_max = max(cfg.dims)
    n_waves = max(cfg.n_waves, cfg.octaves * cfg.waves_per_octave)
    keys, targets, ds, ws = [], [], [], []
    for d in cfg.dims:
        for s in seeds:
            rough, smooth, k_nets = _rough_draws(cfg, s, d)
            for t, target in enumerate((rough, smooth)):
                for i, w in enumerate(cfg.widths):
                    keys.append(jax.random.fold_in(k_nets, 2 * i + t))
                    targets.append(_pad_target(manifold.pad_waves(target, n_waves), d_max))
                    ds.append(d)
                    ws.append(w)
    mse = _train_sweep(cfg, keys, targets, ds, ws).reshape(len(cfg.dims), len(seeds), 2, len(cfg.widths))
    params = {d: np.array([param_count(w, d) for w in cfg.widths], dtype=float) for d in cfg.dims}
    rough = {d: mse[i, :, 0] for i, d in enumerate(cfg.dims)}
    smooth = {d: mse[i, :, 1] for i, d in enumerate(cfg.dims)}
    return RoughResult(cfg, seeds, params, rough, smooth)


def matched_cells(widths: Sequence[int], d: int) -> np.ndarray:
    """Cells per side ``m`` of the grids whose knot counts ``(m+1)^d`` are nearest the parameter counts
    :func:`param_count` of networks of ``widths`` in ``d`` dimensions (§8: the interpolant at the networks' sizes)."""
    widths = validate.increasing_integers("widths", widths, min_size=3)
    d = validate.integer("d", d, low=1)
    m = np.array([max(1, round(param_count(w, d) ** (1.0 / d)) - 1) for w in widths])
    if np.any(np.diff(m) <= 0):
        raise ValueError(f"widths {widths} give grids that are not all different in d = {d}: {m.tolist()}")
    return m


def interpolant_exponents(cfg: RoughConfig, seeds: Sequence[int]) -> np.ndarray:
    """``(n_seeds, n_dims)``: the grid interpolant's exponent on the rough targets of :func:`rough_experiment` (§8).

    The same target draws as the networks (:func:`_rough_draws`), the piecewise-linear interpolant
    (:func:`manifold.interpolation_mse`) on the grids of :func:`matched_cells`, which have about the networks'
    parameter counts, its squared error on ``cfg.n_test`` uniform points drawn from a key the networks do not use
    (``fold_in(…, 3)`` of the draws' key). The ``2s/d`` rate is a statement about this model, so its exponent on a
    draw is what a network on the same draw is compared with.
    """
    if not isinstance(cfg, RoughConfig):
        raise ValueError(f"cfg must be a RoughConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    out = np.empty((len(seeds), len(cfg.dims)))
    for j, d in enumerate(cfg.dims):
        cells = matched_cells(cfg.widths, d)
        knots = (cells + 1.0) ** d
        for i, s in enumerate(seeds):
            rough, _, _ = _rough_draws(cfg, s, d)
            z = jax.random.uniform(jax.random.fold_in(_rough_key(s, d), 3), (cfg.n_test, d))
            out[i, j] = common.fit_exponent(knots, manifold.interpolation_mse(rough, z, cells))
    return out
