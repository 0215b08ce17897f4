"""Chapter 5, §5.3 ``03-gaussian-bottleneck``: the Gaussian information bottleneck (Chechik et al. 2005).

The optimal encoder of a jointly Gaussian (X, Y) in closed form (eigen-directions of ``Σ_{x|y} Σ_x^{-1}``
switched on at critical β's), and a learned linear encoder that should find it. Log-determinants use
``slogdet``; the problem is built in float64.
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

__all__ = [
    "GaussianIBProblem",
    "gaussian_ib_problem",
    "ib_optimal_snr",
    "ib_curve",
    "distance_below_curve",
    "IBConfig",
    "learn_linear_ib",
    "check_ib_snr",
]


@dataclasses.dataclass(frozen=True)
class GaussianIBProblem:
    """A jointly Gaussian pair (X, Y): ``cov_x``, ``cov_x_given_y`` and the eigen-structure of Chechik et al.

    ``lambdas`` are the eigenvalues of ``Σ_{x|y} Σ_x^{-1}`` in increasing order (each in [0, 1]);
    ``critical_betas = 1 / (1 - lambdas)``.
    """

    cov_x: np.ndarray
    cov_x_given_y: np.ndarray
    lambdas: np.ndarray

    @property
    def critical_betas(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return 1.0 / (1.0 - self.lambdas)


def gaussian_ib_problem(seed: int, dx: int = 4, dy: int = 4, coupling: float = 1.0) -> GaussianIBProblem:
    """Section 5.3: a random jointly Gaussian (X, Y) with ``Y = B X + noise``; ``coupling`` scales B.

    Chechik, Globerson, Tishby and Weiss (2005). Computed in float64.
    """
    seed = validate.integer("seed", seed, low=0)
    dx = validate.integer("dx", dx, low=1, high=64)
    dy = validate.integer("dy", dy, low=1, high=64)
    coupling = validate.real("coupling", coupling, low=0.0, low_open=True)
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((dx, dx))
    cov_x = a @ a.T / dx + 0.5 * np.eye(dx)
    b = coupling * rng.standard_normal((dy, dx)) / math.sqrt(dx)
    cov_y = b @ cov_x @ b.T + np.eye(dy)
    cov_xy = cov_x @ b.T
    cov_x_given_y = cov_x - cov_xy @ np.linalg.solve(cov_y, cov_xy.T)
    cov_x_given_y = (cov_x_given_y + cov_x_given_y.T) / 2
    lambdas = np.sort(np.linalg.eigvals(cov_x_given_y @ np.linalg.inv(cov_x)).real)
    return GaussianIBProblem(cov_x, cov_x_given_y, np.clip(lambdas, 0.0, 1.0))


def ib_optimal_snr(snr_formula: Any, lambdas: Any, beta: float) -> np.ndarray:
    """Section 5.3: the optimal signal-to-noise ratio of each eigen-direction, ``max(0, s*(β, λ_i))``.

    ``snr_formula(beta, lam)`` is the stationary point derived with sympy on the page
    (``(β(1-λ) - 1)/λ``); directions below their critical β are switched off.
    """
    if not callable(snr_formula):
        raise ValueError("snr_formula must be a function (beta, lam) -> s")
    lam = validate.array("lambdas", lambdas, ndim=1)
    if np.any((lam <= 0) | (lam > 1)):
        raise ValueError("lambdas must lie in (0, 1]")
    beta = validate.real("beta", beta, low=0.0)
    return np.maximum(0.0, np.asarray(snr_formula(beta, lam), dtype=float))


def ib_curve(snr_formula: Any, lambdas: Any, betas: Any) -> dict[str, np.ndarray]:
    """Section 5.3: the optimal IB curve (I(T;X), I(T;Y)) in nats at each β, from the per-direction optimum.

    With SNR ``s_i`` in direction ``i``: ``I(T;X) = ½ Σ log(1 + s_i)``,
    ``I(T;Y) = ½ Σ [log(1 + s_i) - log(1 + λ_i s_i)]``.
    """
    betas = validate.array("betas", betas, ndim=1, nonnegative=True)
    lam = validate.array("lambdas", lambdas, ndim=1)
    s = np.stack([ib_optimal_snr(snr_formula, lam, b) for b in betas])
    i_x = 0.5 * np.log1p(s).sum(axis=1)
    i_y = i_x - 0.5 * np.log1p(lam * s).sum(axis=1)
    return {"beta": betas, "i_x": i_x, "i_y": i_y, "snr": s}


def distance_below_curve(snr_formula: Any, lambdas: Any, i_x: Any, i_y: Any, *, n_grid: int = 20001) -> np.ndarray:
    """Section 5.3: how far each point (``i_x``, ``i_y``) lies below the Gaussian IB curve, I_Y*(I_X) − I_Y (nats).

    The curve is the upper boundary of the information plane for encoders of X (Chechik et al. 2005), so an
    optimal encoder has distance 0 at whatever β it reached. Unlike the distance to the β-optimum, this one is
    well conditioned next to a critical β, where the Lagrangian is flat along the curve. I_Y* is interpolated on
    ``n_grid`` values of β from 1 to 10⁶ (the curve is concave, so the error is second order in the spacing).
    """
    i_x = validate.array("i_x", i_x, nonnegative=True)
    i_y = validate.array("i_y", i_y)
    if i_x.shape != i_y.shape:
        raise ValueError(f"i_x and i_y must have the same shape, got {i_x.shape} and {i_y.shape}")
    n_grid = validate.integer("n_grid", n_grid, low=100)
    curve = ib_curve(snr_formula, lambdas, np.geomspace(1.0, 1e6, n_grid))
    if np.any(i_x > curve["i_x"][-1]):
        raise ValueError(f"i_x up to {i_x.max():.3g} nats lies beyond the curve computed (to {curve['i_x'][-1]:.3g})")
    return np.interp(i_x, curve["i_x"], curve["i_y"]) - i_y


def away_from_critical(betas: Any, critical_betas: Any, margin: float = 1.2) -> np.ndarray:
    """Section 5.3: which ``betas`` lie at least a factor ``margin`` from every finite critical β (a yes/no array).

    At a critical β the entering direction's optimal weight is 0 and the IB Lagrangian is flat along it
    (Chechik et al. 2005), so the distance to the β-optimum is badly conditioned there; β is kept when
    ``β > margin·β_c`` or ``β < β_c/margin`` for every critical ``β_c``.
    """
    betas = validate.array("betas", betas, ndim=1, nonnegative=True)
    crit = np.asarray(critical_betas, dtype=float)
    if crit.ndim != 1 or np.isnan(crit).any():
        raise ValueError(f"critical_betas must be a 1-D array without NaN, got {critical_betas!r}")
    crit = crit[np.isfinite(crit)]                  # β_c = ∞ (λ = 1): that direction never enters
    margin = validate.real("margin", margin, low=1.0, low_open=True)
    ratio = betas[:, None] / crit[None, :]
    return np.all((ratio > margin) | (ratio < 1.0 / margin), axis=1)


@dataclasses.dataclass(frozen=True)
class IBConfig(runtime.ModeConfig):
    """Section 5.3: the problem size, the β grid and the optimiser of the learned linear encoder."""

    dx: int = validate.field(4, validate.integer, low=1, high=64)
    dy: int = validate.field(4, validate.integer, low=1, high=64)
    betas: tuple[float, ...] = validate.field((1.5, 2.0, 3.0, 5.0, 8.0, 15.0, 30.0), validate.reals, low=1.0)
    steps: int = validate.field(4000, validate.multiple, low=100, of=100)
    lr: float = validate.field(1e-2, validate.real, low=0.0, low_open=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> IBConfig:
        return cls()

    @classmethod
    def full(cls) -> IBConfig:
        return cls(dx=8, dy=5, steps=20000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Every β and seed optimised in one program, each step a few ``(dx + dy)``-sized matrix products,
        inverses and log-determinants (about ``50·(dx + dy)³``)."""
        step = 50.0 * (self.dx + self.dy) ** 3
        runs = len(self.betas) * self.n_seeds
        return runtime.Cost(flops=step * self.steps * runs, bytes=4.0 * runs * 20 * (self.dx + self.dy) ** 2,
                            steps=self.steps)

    def paper_scale(self) -> str:
        """A closed-form problem: its size."""
        return (f"a Gaussian problem with a closed-form IB curve (Chechik et al. 2005), no paper's size to match: "
                f"dx = {self.dx}, dy = {self.dy}, {len(self.betas)} values of β, {self.steps:,} steps, "
                f"{self.n_seeds} seeds")


def _gauss_info(a: jax.Array, cov_x: jax.Array, cov_xy: jax.Array,
                mantissa_bits: int | None = None) -> tuple[jax.Array, jax.Array]:
    """``I(T;X)`` and ``I(T;X|Y)`` of ``T = A X + ξ``, ``ξ ~ N(0, I)``, via ``slogdet`` (nats).

    The products are full float32 (``Precision.HIGHEST``). With a GPU's default TensorFloat-32 products (10-bit
    mantissas) Adam still lands on the IB curve in 8 dimensions, but up to 0.016 nats from the β-optimum at a β
    1.05 times a critical one. ``mantissa_bits = 10`` rounds each product's operands that way, to emulate them
    on any device (``full_runs.ib_gap_rounded``).
    """
    eye = jnp.eye(a.shape[0])

    def mm(p: jax.Array, q: jax.Array) -> jax.Array:
        if mantissa_bits is not None:
            p, q = (jax.lax.reduce_precision(v, exponent_bits=8, mantissa_bits=mantissa_bits) for v in (p, q))
        return jnp.matmul(p, q, precision=jax.lax.Precision.HIGHEST)

    def sandwich(cov: jax.Array) -> jax.Array:
        return mm(mm(a, cov), a.T)

    i_x = 0.5 * jnp.linalg.slogdet(eye + sandwich(cov_x))[1]
    i_x_given_y = 0.5 * jnp.linalg.slogdet(eye + sandwich(cov_xy))[1]
    return i_x, i_x_given_y


def learn_linear_ib(problem: GaussianIBProblem, cfg: IBConfig, seeds: list[int], *,
                    mantissa_bits: int | None = None) -> dict[str, Any]:
    """Section 5.3: minimise the IB Lagrangian ``I(T;X) - β I(T;Y)`` over linear encoders ``T = A X + ξ``.

    Chechik et al. (2005). One compiled program trains every (seed, β) with Adam from a random
    ``A``; returns the learned ``i_x``, ``i_y`` and Lagrangian, each of shape ``(n_seeds, n_betas)``, and
    ``snr`` ``(n_seeds, n_betas, d)``: the eigenvalues of ``A Σ_x Aᵀ`` in decreasing order, which are the
    signal-to-noise ratios of the encoder's directions (invariant to rotations of T). ``init`` holds the
    same ``i_x``, ``i_y`` and ``snr`` for the untrained random encoders (step 0), the claims' null.
    ``mantissa_bits`` (e.g. 10, TensorFloat-32) rounds the operands of the log-determinants' products in training
    and measurement alike; ``None`` (the book's runs) keeps float32.
    """
    if not isinstance(problem, GaussianIBProblem):
        raise ValueError(f"problem must be a GaussianIBProblem, got {type(problem).__name__}")
    if not isinstance(cfg, IBConfig):
        raise ValueError(f"cfg must be an IBConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    if mantissa_bits is not None:
        mantissa_bits = validate.integer("mantissa_bits", mantissa_bits, low=1, high=23)
    d = problem.cov_x.shape[0]
    data = (jnp.asarray(problem.cov_x, jnp.float32), jnp.asarray(problem.cov_x_given_y, jnp.float32))

    def init(key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        return jax.random.normal(key, (d, d)) / math.sqrt(d)

    def lagrangian(a: jax.Array, covs: Any, hp: dict[str, jax.Array]) -> jax.Array:
        i_x, i_xy = _gauss_info(a, *covs, mantissa_bits)
        return i_x - hp["beta"] * (i_x - i_xy)

    def evaluate(a: jax.Array, hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        i_x, i_xy = _gauss_info(a, *data, mantissa_bits)
        snr = jnp.linalg.eigvalsh(a @ data[0] @ a.T)[::-1]
        return {"i_x": i_x, "i_y": i_x - i_xy, "snr": snr}

    hist = train.train(init, lagrangian, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps // 20,
                       seeds=seeds, data=data, evaluate=evaluate, hparams={"beta": np.array(cfg.betas)},
                       desc="IB encoders")
    i_x, i_y = hist.final("i_x"), hist.final("i_y")
    enc = np.asarray(hist.params, dtype=np.float64)  # (n_seeds, n_betas, d, d)
    snr = np.linalg.eigvalsh(enc @ problem.cov_x @ np.swapaxes(enc, -1, -2))[..., ::-1]
    init = {k: hist[k][:, :, 0] for k in ("i_x", "i_y", "snr")}  # the untrained encoders (step 0): the null
    return {"beta": np.array(cfg.betas), "i_x": i_x, "i_y": i_y, "lagrangian": i_x - np.array(cfg.betas) * i_y,
            "snr": snr, "encoders": enc, "init": init, "history": hist, "config": cfg}


def check_ib_snr(snr_formula: Any) -> None:
    """Exercise check (§5.3): the stationary SNR ``s(β, λ)`` of one eigen-direction of the Gaussian IB.

    The reference is found numerically here: the minimiser over ``s ≥ 0`` of
    ``½ log(1+s) - β·½[log(1+s) - log(1+λs)]`` on a fine grid.
    """
    selfcheck.answered("snr_formula", snr_formula)
    grid = np.linspace(0.0, 200.0, 400001)

    def numeric(beta: float, lam: float) -> float:
        obj = 0.5 * np.log1p(grid) - beta * 0.5 * (np.log1p(grid) - np.log1p(lam * grid))
        return float(grid[np.argmin(obj)])

    cases = [(3.0, 0.3), (5.0, 0.5), (10.0, 0.2), (2.0, 0.4)]
    selfcheck.function("snr_formula", lambda b, l: max(0.0, float(snr_formula(b, l))), numeric, cases, rtol=2e-3,
                       atol=2e-3, hint="set the derivative of the per-direction Lagrangian in s to zero.")
