"""Chapter 2 · § 8, ``chapters/02-benign-overfitting/08-trained-networks.md``: benign is not optimal.

The linear algebra behind the page's second question: the excess risk of ridge ``θ̂_λ = Xᵀ(XXᵀ + λI)⁻¹y`` along
a penalty path, ``λ = 0`` being the min-norm interpolator, on Gaussian designs with a given spectrum (the
spike-plus-tail spectrum of section ``04-benign-linear`` on the page): :func:`ridge_path_excess` for one draw of
the label noise, :func:`ridge_path_expected` averaged over it in closed form. Both share the designs of one seed.
The page reaches them through :func:`dltheory.overfitting.trained_networks.trained_experiment` and
:func:`~dltheory.overfitting.trained_networks.ridge_gap_expected`; the theory line is
:func:`dltheory.overfitting.benign_linear.ridge_excess_theory`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from dltheory import validate
from dltheory.overfitting import common

__all__ = ["ridge_path_excess", "ridge_path_expected"]


def _ridge_draws(seed: int, eigs: Any, n: int, reps: int) -> Iterator[tuple[np.ndarray, ...]]:
    """The ``reps`` draws shared by :func:`ridge_path_excess` and :func:`ridge_path_expected`: for each, the design
    ``x ~ N(0, diag(eigs))`` (``n × p``), the unit label noise, and the eigendecomposition ``d, u`` of ``XXᵀ``."""
    seed = validate.seed("seed", seed)
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    n = validate.integer("n", n, low=1, high=lam.size - 1)
    reps = validate.integer("reps", reps, low=1)
    rng = np.random.default_rng(seed)
    for _ in range(reps):
        x = rng.standard_normal((n, lam.size)) * np.sqrt(lam)
        noise = rng.standard_normal(n)
        d, u = np.linalg.eigh(x @ x.T)
        yield x, noise, d, u


@common.single_threaded_blas
def ridge_path_excess(seed: int, eigs: Any, n: int, lams: Sequence[float], *, sigma: float, reps: int) -> np.ndarray:
    """Excess risk ``(θ̂_λ − θ*)ᵀΣ(θ̂_λ − θ*)`` of ridge ``θ̂_λ = Xᵀ(XXᵀ + λI)⁻¹y``: ``(reps, len(lams))``.

    Section ``08-trained-networks`` (benign is not optimal). ``x ~ N(0, diag(eigs))``, ``θ* = e₁``, noise
    ``N(0, σ²)``; ``λ = 0`` is the min-norm interpolator. All penalties share each draw of the data.
    """
    lams = validate.array("lams", lams, ndim=1, low=0.0)
    sigma = validate.real("sigma", sigma, low=0.0)
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    out = np.empty((validate.integer("reps", reps, low=1), lams.size))
    for i, (x, noise, d, u) in enumerate(_ridge_draws(seed, lam, n, reps)):
        uy, xu = u.T @ (x[:, 0] + sigma * noise), x.T @ u
        for j, pen in enumerate(lams):
            theta = xu @ (uy / (d + pen))
            theta[0] -= 1.0
            out[i, j] = np.sum(lam * theta**2)
    return out


@common.single_threaded_blas
def ridge_path_expected(seed: int, eigs: Any, n: int, lams: Sequence[float], *, sigma: float, reps: int) -> np.ndarray:
    """Excess risk of ridge averaged exactly over the label noise, on the draws of :func:`ridge_path_excess`.

    Section ``08-trained-networks``. With ``A = Xᵀ(XXᵀ + λI)⁻¹``, ``E_ε(θ̂_λ − θ*)ᵀΣ(θ̂_λ − θ*) = (AXθ* − θ*)ᵀΣ(AXθ* −
    θ*) + σ² tr(AᵀΣA)``, on the designs of :func:`ridge_path_excess` with the same seed: ``(reps, len(lams))``."""
    lams = validate.array("lams", lams, ndim=1, low=0.0)
    sigma = validate.real("sigma", sigma, low=0.0)
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    out = np.empty((validate.integer("reps", reps, low=1), lams.size))
    for i, (x, _noise, d, u) in enumerate(_ridge_draws(seed, lam, n, reps)):  # the noise is averaged out here
        xu = x.T @ u  # columns Xᵀu_k, so A = xu · diag(1/(d + λ)) · uᵀ
        signal = u.T @ x[:, 0]  # uᵀXθ* with θ* = e₁
        spread = np.sum(lam[:, None] * xu**2, axis=0)  # (Xᵀu_k)ᵀΣ(Xᵀu_k)
        for j, pen in enumerate(lams):
            theta = xu @ (signal / (d + pen))
            theta[0] -= 1.0
            out[i, j] = np.sum(lam * theta**2) + sigma**2 * np.sum(spread / (d + pen) ** 2)
    return out
