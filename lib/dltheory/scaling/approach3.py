"""§5, Approach 3 on the same runs (``chapters/01-scaling-laws/05-mini-chinchilla``).

Hoffmann et al. (2022) estimated the compute-optimal exponent in three ways. Approach 2 (the rest of §5) reads the
floors of the isoFLOP curves; Approach 3 fits the whole law ``L = E + A/N^α + B/D^β`` to the runs' losses (their
eq. 2, with a Huber loss, δ = 10⁻³, on log-loss minimised by L-BFGS, their eq. 10) and reads
``a = β/(α + β)`` off the fit (their eq. 4). :func:`isoflop_points` collects the points Approach 2 reads (each
size's loss at each budget, at ``D = C/6N``), :func:`approach3_exponent` fits them with
:func:`fitting.fit_chinchilla`, and :func:`bootstrap_exponent` refits resampled points, as Besiroglu et al. (2024)
did for Hoffmann et al.'s data.
"""

from __future__ import annotations

from typing import Any

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.optimize import minimize as jax_minimize

from dltheory import validate
from dltheory.scaling import fitting
from dltheory.scaling import mini_chinchilla as mc

__all__ = ["isoflop_points", "approach3_exponent", "bootstrap_exponent"]


def isoflop_points(result: mc.IsoflopResult, budgets: Any, *,
                   seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(N, D, L)``: every size's loss at every budget ``C``, at ``D = C/(6N)`` (§5).

    The points of :func:`mini_chinchilla.isoflop_minima` (the run with index ``seed``, or the geometric mean over
    the runs), where ``D`` lies on the learning curve; flattened, one point per (budget, size).
    """
    budgets = validate.array("budgets", budgets, ndim=1, positive=True)
    iso = mc.isoflop_minima(result, budgets, seeds=None if seed is None else [seed])
    curves = iso["curves"]
    ok = np.isfinite(curves)
    N = np.broadcast_to(result.N[None, :], curves.shape)[ok]
    C = np.broadcast_to(budgets[:, None], curves.shape)[ok]
    return N.astype(float), C / (6.0 * N), curves[ok]


def approach3_exponent(N: Any, D: Any, L: Any, *,
                       start: dict[str, float] | None = None) -> tuple[float, dict[str, float]]:
    """``(â, fit)``: Hoffmann et al.'s Approach 3 (§5): the fit of ``E + A/N^α + B/D^β`` and ``â = β/(α + β)``."""
    fit = fitting.fit_chinchilla(N, D, L, start=start)
    if fit["alpha"] + fit["beta"] <= 0:
        raise ValueError(f"the fit has α + β = {fit['alpha'] + fit['beta']:.3g} <= 0: no compute-optimal exponent")
    return fit["beta"] / (fit["alpha"] + fit["beta"]), fit


def _huber_jax(theta: jax.Array, logN: jax.Array, logD: jax.Array, logL: jax.Array) -> jax.Array:
    """Hoffmann et al.'s objective (eq. 10, δ = ``fitting.HUBER_DELTA``) in JAX; theta = (log E, log A, log B, α, β)."""
    terms = jnp.stack([jnp.full_like(logN, theta[0]), theta[1] - theta[3] * logN, theta[2] - theta[4] * logD])
    return jnp.sum(optax.huber_loss(jax.nn.logsumexp(terms, axis=0), logL, delta=fitting.HUBER_DELTA))


@jax.jit
def _refits(start: jax.Array, logN: jax.Array, logD: jax.Array, logL: jax.Array, idx: jax.Array) -> jax.Array:
    # every resample starts from the full-data optimum; BFGS runs vmapped over the resamples in one program
    def one(i: jax.Array) -> jax.Array:
        return jax_minimize(_huber_jax, start, args=(logN[i], logD[i], logL[i]), method="BFGS",
                            options={"maxiter": 200}).x

    return jax.vmap(one)(idx)


def bootstrap_exponent(key: jax.Array, N: Any, D: Any, L: Any, fit: dict[str, float], *,
                       n_boot: int = 200) -> np.ndarray:
    """``(n_boot,)`` bootstrap replicates of Approach 3's ``â`` (§5; Besiroglu et al. 2024).

    The points are resampled with replacement; each refit minimises the same objective by BFGS (in float32, all
    resamples in one vmapped program), started from ``fit``, the full-data optimum.
    """
    N = validate.array("N", N, ndim=1, positive=True, min_size=6)
    D = validate.array("D", D, ndim=1, positive=True, min_size=6)
    L = validate.array("L", L, ndim=1, positive=True, min_size=6)
    if not (N.shape == D.shape == L.shape):
        raise ValueError(f"N, D and L must have the same shape, got {N.shape}, {D.shape}, {L.shape}")
    if not isinstance(fit, dict) or not {"E", "A", "B", "alpha", "beta"} <= fit.keys():
        raise ValueError("fit must be a dict from fitting.fit_chinchilla (E, A, B, alpha, beta)")
    n_boot = validate.integer("n_boot", n_boot, low=10)
    idx = jax.random.randint(key, (n_boot, N.size), 0, N.size)
    start = jnp.asarray([math.log(max(fit["E"], 1e-30)), math.log(fit["A"]), math.log(fit["B"]), fit["alpha"],
                         fit["beta"]], jnp.float32)
    logs = (jnp.log(jnp.asarray(x, jnp.float32)) for x in (N, D, L))
    theta = np.asarray(_refits(start, *logs, idx), dtype=float)
    return theta[:, 4] / (theta[:, 3] + theta[:, 4])
