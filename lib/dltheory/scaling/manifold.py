"""§8 *Where the exponents come from in data* (``chapters/01-scaling-laws/08-manifold``).

The resolution-limited mechanism of Sharma and Kaplan (2022) and Bahri et al. (2024): a model that splits a
``d``-dimensional data manifold into cells of size ``h ∝ N^{-1/d}`` and is linear on each cell fits a smooth
target with squared error ``∝ h⁴``, so its loss falls as ``N^{-4/d}``. :func:`smooth_target` and
:func:`jump_target` draw targets on the cube ``[0, 1]^d`` (the manifold's coordinates),
:func:`simplex_interpolate` is the piecewise-linear model (linear on the simplices of the Kuhn triangulation
of a grid, what a ReLU network can represent exactly), and :func:`manifold_experiment` scans its size.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import runtime, validate
from dltheory.scaling import common

__all__ = [
    "smooth_target",
    "jump_target",
    "kink_target",
    "rough_target",
    "pad_waves",
    "evaluate",
    "interpolation_mse",
    "simplex_interpolate",
    "grid_sizes",
    "ManifoldConfig",
    "ManifoldResult",
    "manifold_experiment",
]

Target = dict[str, jax.Array]


def smooth_target(key: jax.Array, d: int, *, n_waves: int = 8, frequency: float = math.pi) -> Target:
    """A smooth random function on ``[0, 1]^d``: ``f(z) = Σ_j a_j cos(ω_j·z + φ_j)`` (§8).

    ``ω_j ~ N(0, frequency² I)``, ``φ_j`` uniform, ``a_j ~ N(0, 1/n_waves)``: every derivative is bounded.
    """
    d = validate.integer("d", d, low=1)
    n_waves = validate.integer("n_waves", n_waves, low=1)
    frequency = validate.real("frequency", frequency, low=0.0, low_open=True)
    k1, k2, k3 = jax.random.split(key, 3)
    return {"kind": jnp.zeros(()), "omega": jax.random.normal(k1, (n_waves, d)) * frequency,
            "phase": jax.random.uniform(k2, (n_waves,)) * 2 * math.pi,
            "amp": jax.random.normal(k3, (n_waves,)) / math.sqrt(n_waves)}


def jump_target(key: jax.Array, d: int, *, n_waves: int = 8) -> Target:
    """The null of §8: the indicator of a random half-space through the cube's centre, a target with a jump.

    Cells cut by the jump keep an error of order one, and they make up a fraction ``∝ h`` of the cube, so
    the squared error falls as ``N^{-1/d}`` instead of ``N^{-4/d}``. Same pytree layout as
    :func:`smooth_target` (``kind = 1``), so both can be stacked and vmapped.
    """
    d = validate.integer("d", d, low=1)
    w = jax.random.normal(key, (d,))
    w = w / jnp.linalg.norm(w)
    omega = jnp.zeros((n_waves, d)).at[0].set(w)
    return {"kind": jnp.ones(()), "omega": omega, "phase": jnp.zeros((n_waves,)).at[0].set(-0.5 * w.sum()),
            "amp": jnp.zeros((n_waves,)).at[0].set(1.0)}


def kink_target(key: jax.Array, d: int, *, n_waves: int = 8) -> Target:
    """``|w·(z − ½)|``: continuous, with a crease along a random hyperplane through the centre (exercise of §8)."""
    return {**jump_target(key, d, n_waves=n_waves), "kind": 2 * jnp.ones(())}


def rough_target(key: jax.Array, d: int, *, smoothness: float = 1.0, octaves: int = 7, waves_per_octave: int = 4,
                 frequency: float = math.pi) -> Target:
    """A random target of limited smoothness ``s`` on ``[0, 1]^d``, a Weierstrass-type sum of cosines (§8).

    Octave ``j = 0 … octaves − 1`` holds ``waves_per_octave`` cosines with random directions and phases, frequencies
    log-uniform in ``[2^j, 2^{j+1}) · frequency`` and amplitudes ``2^{-js} · N(0, 1/waves_per_octave)``: a model
    that resolves frequencies up to ``1/h`` misses the octaves above it, whose power sums to ``∝ h^{2s}``
    (``s < 2``), so ``N`` pieces of width ``h ∝ N^{-1/d}`` leave a squared error ``∝ N^{-2s/d}``. Same pytree as
    :func:`smooth_target` (``kind = 0``), with ``octaves · waves_per_octave`` waves.
    """
    d = validate.integer("d", d, low=1)
    smoothness = validate.real("smoothness", smoothness, low=0.0, low_open=True)
    octaves = validate.integer("octaves", octaves, low=1)
    waves_per_octave = validate.integer("waves_per_octave", waves_per_octave, low=1)
    frequency = validate.real("frequency", frequency, low=0.0, low_open=True)
    k_dir, k_mag, k_phase, k_amp = jax.random.split(key, 4)
    n = octaves * waves_per_octave
    octave = jnp.repeat(jnp.arange(octaves, dtype=jnp.float32), waves_per_octave)
    direction = jax.random.normal(k_dir, (n, d))
    direction = direction / jnp.linalg.norm(direction, axis=1, keepdims=True)
    magnitude = frequency * 2.0 ** (octave + jax.random.uniform(k_mag, (n,)))
    amp = jax.random.normal(k_amp, (n,)) * 2.0 ** (-smoothness * octave) / math.sqrt(waves_per_octave)
    return {"kind": jnp.zeros(()), "omega": direction * magnitude[:, None],
            "phase": jax.random.uniform(k_phase, (n,)) * 2 * math.pi, "amp": amp}


def pad_waves(target: Target, n_waves: int) -> Target:
    """The same function with ``n_waves`` waves, the extra ones of zero amplitude (to stack targets of §8)."""
    n = target["amp"].shape[-1]
    n_waves = validate.integer("n_waves", n_waves, low=n)
    pad = n_waves - n
    return {**target, "omega": jnp.pad(target["omega"], ((0, pad), (0, 0))),
            "phase": jnp.pad(target["phase"], (0, pad)), "amp": jnp.pad(target["amp"], (0, pad))}


def _evaluate(target: Target, z: jax.Array) -> jax.Array:
    arg = z @ target["omega"].T + target["phase"]
    smooth = jnp.cos(arg) @ target["amp"]
    jump = (arg[..., 0] > 0).astype(z.dtype)
    kink = jnp.abs(arg[..., 0])
    return jnp.where(target["kind"] > 1.5, kink, jnp.where(target["kind"] > 0.5, jump, smooth))


def evaluate(target: Target, z: jax.Array) -> jax.Array:
    """The value of a target of :func:`smooth_target`, :func:`jump_target` or :func:`kink_target` at ``z``."""
    return _evaluate(target, z)


def interpolation_mse(target: Target, z: jax.Array, cells: Sequence[int]) -> np.ndarray:
    """Mean squared error of :func:`simplex_interpolate` at points ``z``, one value per grid size in ``cells``."""
    cells = validate.increasing_integers("cells", cells, min_size=1)
    truth = _evaluate(target, z)
    return np.array([float(jnp.mean((simplex_interpolate(target, z, jnp.float32(m)) - truth) ** 2)) for m in cells])


def simplex_interpolate(target: Target, z: jax.Array, m: jax.Array) -> jax.Array:
    """The piecewise-linear interpolant of ``target`` on a grid of ``m`` cells per side, at points ``z`` (§8).

    Each cell of the grid is cut into ``d!`` simplices by sorting the point's coordinates within the cell
    (the Kuhn triangulation); the interpolant is linear on each simplex and equals the target at the
    ``(m+1)^d`` grid points, its ``N`` parameters. ``z``: ``(n, d)`` in ``[0, 1]``; ``m`` may be traced.
    """
    d = z.shape[-1]
    s = z * m
    corner = jnp.minimum(jnp.floor(s), m - 1)
    u = s - corner
    order = jnp.argsort(-u, axis=-1)
    u_sorted = jnp.take_along_axis(u, order, axis=-1)
    weights = jnp.concatenate([1 - u_sorted[:, :1], u_sorted[:, :-1] - u_sorted[:, 1:], u_sorted[:, -1:]], axis=-1)
    path = jnp.cumsum(jax.nn.one_hot(order, d, dtype=z.dtype), axis=1)  # vertex k: corner + e_{order[:k]}
    vertices = corner[:, None, :] + jnp.concatenate([jnp.zeros_like(path[:, :1]), path], axis=1)
    values = _evaluate(target, (vertices / m).reshape(-1, d)).reshape(vertices.shape[:2])
    return jnp.sum(weights * values, axis=-1)


def grid_sizes(d: int, n_min: int, n_max: int, count: int) -> np.ndarray:
    """Cells per side ``m`` whose knot counts ``(m+1)^d`` are about log-evenly spaced in ``[n_min, n_max]`` (§8)."""
    d = validate.integer("d", d, low=1)
    lo, hi = (validate.integer(name, v, low=2 ** d) for name, v in (("n_min", n_min), ("n_max", n_max)))
    if hi <= lo:
        raise ValueError(f"n_max must exceed n_min, got {lo} and {hi}")
    count = validate.integer("count", count, low=3)
    m = np.unique(np.round(np.geomspace(lo, hi, count) ** (1 / d)).astype(int) - 1)
    if m.size < 3:
        raise ValueError(f"[n_min, n_max] = [{lo}, {hi}] holds fewer than 3 grid sizes in d = {d}")
    return m


@dataclasses.dataclass(frozen=True)
class ManifoldConfig(runtime.ModeConfig):
    """§8: targets on ``[0, 1]^d`` for each ``d`` in ``dims``; interpolants with ``n_min..n_max`` knots.

    ``n_sizes`` model sizes per dimension, the squared error averaged over ``n_test`` uniform test points.
    """

    dims: tuple[int, ...] = validate.field((2, 3, 4), validate.increasing_integers, min_size=1)
    n_min: int = validate.field(100, validate.integer, low=4)
    n_max: int = validate.field(40_000, validate.integer, low=8)
    n_sizes: int = validate.field(6, validate.integer, low=3)
    n_test: int = validate.field(20_000, validate.integer, low=100)
    n_waves: int = validate.field(8, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        for d in self.dims:
            grid_sizes(d, max(self.n_min, 2**d), self.n_max, self.n_sizes)

    @classmethod
    def fast(cls) -> ManifoldConfig:
        return cls()

    @classmethod
    def full(cls) -> ManifoldConfig:
        return cls(dims=(2, 3, 4, 5, 6), n_min=1000, n_max=10_000_000, n_sizes=8, n_test=200_000, n_seeds=8)

    def cost(self) -> runtime.Cost:
        """Device work: for every seed, dimension, grid size and both targets, each test point evaluates the
        target (``n_waves`` plane waves, about ``(2d + 12)·n_waves`` FLOPs) at the ``d + 1`` vertices of its
        simplex; the grid sizes run one after another (``lax.map``), the seeds side by side (``vmap``)."""
        flops = sum(self.n_seeds * self.n_sizes * 2 * self.n_test * ((d + 1) * (2 * d + 12) * self.n_waves + 20 * d)
                    for d in self.dims)
        largest = max(self.n_seeds * self.n_test * (d + 1) * (d + self.n_waves) * 4.0 for d in self.dims)
        return runtime.Cost(flops=float(flops), bytes=largest, steps=self.n_sizes * len(self.dims))

    def paper_scale(self) -> str:
        """Sharma & Kaplan and Bahri et al. state the 4/d law for smooth targets; they run no interpolant."""
        return (f"Sharma & Kaplan's 4/d is a statement about smooth functions on a d-dimensional manifold, with no "
                f"simulation size to match; here piecewise-linear interpolants in d = {self.dims[0]}–{self.dims[-1]} "
                f"with {self.n_min:,}–{self.n_max:,} knots, {self.n_test:,} test points, {self.n_seeds} seeds")


@dataclasses.dataclass(frozen=True)
class ManifoldResult:
    config: ManifoldConfig
    seeds: tuple[int, ...]
    knots: dict[int, np.ndarray]  # per d: (n_sizes,) parameter counts (m+1)^d
    smooth_mse: dict[int, np.ndarray]  # per d: (n_seeds, n_sizes)
    jump_mse: dict[int, np.ndarray]  # per d: (n_seeds, n_sizes), the null target

    def exponents(self, null: bool = False, *, n_from: float = 0.0) -> np.ndarray:
        """``(n_seeds, n_dims)``: minus the log-log slope of squared error against knots, per seed and ``d``.

        ``n_from`` fits only the models with at least that many knots (at least three are needed).
        """
        n_from = validate.real("n_from", n_from, low=0.0)
        mse = self.jump_mse if null else self.smooth_mse
        out = []
        for d in self.config.dims:
            keep = self.knots[d] >= n_from
            if keep.sum() < 3:
                raise ValueError(f"n_from = {n_from:g} leaves fewer than 3 model sizes in d = {d}")
            out.append(common.fit_exponent(self.knots[d][keep], mse[d][:, keep]))
        return np.stack(out, axis=1)

    def worst_deviation(self, predicted: Sequence[float], null: bool = False, *, n_from: float = 0.0) -> np.ndarray:
        """Per seed, the fitted exponent minus ``predicted`` (one per ``d``) that is largest in size."""
        dev = self.exponents(null, n_from=n_from) - np.asarray(predicted, dtype=float)[None, :]
        return dev[np.arange(dev.shape[0]), np.argmax(np.abs(dev), axis=1)]


def manifold_experiment(cfg: ManifoldConfig, seeds: Sequence[int]) -> ManifoldResult:
    """§8 (``08-manifold``): squared error of the piecewise-linear interpolant against its number of knots.

    For each seed and dimension: one smooth target, one jump target (the null), ``n_test`` uniform test
    points; every grid size in one compiled program per dimension, vmapped over seeds and both targets.
    """
    if not isinstance(cfg, ManifoldConfig):
        raise ValueError(f"cfg must be a ManifoldConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    knots, smooth, jump = {}, {}, {}
    for d in cfg.dims:
        m_all = grid_sizes(d, max(cfg.n_min, 2**d), cfg.n_max, cfg.n_sizes)
        keys = jnp.stack([jax.random.fold_in(jax.random.key(s), d) for s in seeds])

        def one(key: jax.Array, d: int = d, m_all: np.ndarray = m_all) -> jax.Array:
            k_smooth, k_jump, k_test = jax.random.split(key, 3)
            z = jax.random.uniform(k_test, (cfg.n_test, d))
            out = []
            targets = (smooth_target(k_smooth, d, n_waves=cfg.n_waves), jump_target(k_jump, d, n_waves=cfg.n_waves))
            for target in targets:
                truth = _evaluate(target, z)
                err = jax.lax.map(lambda m: jnp.mean((simplex_interpolate(target, z, m) - truth) ** 2),
                                  jnp.asarray(m_all, jnp.float32))
                out.append(err)
            return jnp.stack(out)

        mse = np.asarray(jax.jit(jax.vmap(one))(keys), dtype=float)  # (n_seeds, 2, n_sizes)
        knots[d] = (m_all + 1.0) ** d
        smooth[d], jump[d] = mse[:, 0], mse[:, 1]
    return ManifoldResult(cfg, seeds, knots, smooth, jump)
