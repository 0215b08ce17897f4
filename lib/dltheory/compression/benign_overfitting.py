"""Epilogue §6, benign overfitting (page ``chapters/06-compression/06-benign-overfitting``): the ridgeless
interpolator cut to its top directions.

Chapter 2 (:mod:`dltheory.overfitting.benign_linear`) fits ``n`` noisy samples exactly with the min-norm
interpolator ``θ̂ = Xᵀ(XXᵀ)⁻¹y`` and finds its excess risk ``(θ̂ − θ*)ᵀΣ(θ̂ − θ*)`` small when the covariance is
benign (Bartlett, Long, Lugosi and Tsigler 2020): a few strong directions carry the signal and a long flat tail
absorbs the noise. :func:`projection_risks` cuts ``θ̂`` to its projection on the top ``k`` eigendirections of the
*sample* covariance ``XᵀX/n`` (the right singular vectors of ``X``: what a learner that sees only the data can
compute; ``θ̂`` lies in their span, so ``k = n`` is ``θ̂`` itself) and measures the excess risk of the cut, for the
spiked covariance of Chapter 2 and, as the null, the isotropic one (:func:`dltheory.overfitting.benign_linear.spectrum`
for both). The data are drawn exactly as :func:`dltheory.overfitting.benign_linear.min_norm_excess_risk` draws them,
so the full interpolator's risk is Chapter 2's number (a test checks it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, selfcheck, validate
from dltheory.overfitting import benign_linear, common

__all__ = ["InterpolatorConfig", "projected_risks", "projection_risks", "run", "isotropic_risk", "synthesis_point",
           "check_projection"]

KINDS = ("spiked", "isotropic")  # the claim's covariance and its null


@dataclasses.dataclass(frozen=True)
class InterpolatorConfig(runtime.ModeConfig):
    """§6: ``n`` samples in ``p`` dimensions, noise ``sigma``, the ranks ``ks`` the interpolator is cut to (the
    last is ``n``, the interpolator itself), the rank of the claim, draws of the training set per seed."""

    n: int = validate.field(100, validate.integer, low=10)
    p: int = validate.field(300, validate.integer, low=12)
    sigma: float = validate.field(0.5, validate.real, low=0.0, low_open=True)
    ks: tuple[int, ...] = validate.field((1, 2, 5, 10, 20, 50, 100), validate.integers, low=1, increasing=True,
                                         min_size=2)
    k_claim: int = validate.field(5, validate.integer, low=1)
    spikes: int = validate.field(5, validate.integer, low=1)
    reps: int = validate.field(16, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        if self.p <= self.n + 1:
            raise ValueError(f"p = {self.p} must exceed n + 1 = {self.n + 1} for the fit to interpolate")
        if self.ks[-1] != self.n:
            raise ValueError(f"ks must end at n = {self.n} (the interpolator itself), got {self.ks[-1]}")
        if self.k_claim not in self.ks:
            raise ValueError(f"k_claim = {self.k_claim} must be one of ks {self.ks}")
        if self.spikes >= self.p:
            raise ValueError(f"spikes = {self.spikes} must be below p = {self.p}")

    @classmethod
    def fast(cls) -> InterpolatorConfig:
        return cls()

    @classmethod
    def full(cls) -> InterpolatorConfig:
        return cls(n=400, p=1200, ks=(1, 2, 5, 10, 20, 50, 100, 200, 400), reps=32, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): per covariance, seed and draw, one thin SVD of the ``n × p`` data
        (about ``4 n² p``) and the projections (``2 n p`` each rank)."""
        per = 4.0 * self.n**2 * self.p + 2.0 * self.n * self.p * (len(self.ks) + 2)
        return runtime.Cost(host_flops=len(KINDS) * self.n_seeds * self.reps * per, bytes=8.0 * 3 * self.n * self.p)

    def paper_scale(self) -> str:
        return (f"Bartlett et al. prove a theorem, with no simulation to match: n = {self.n}, p = {self.p}, "
                f"{self.spikes} spikes, sigma = {self.sigma:g}, {self.reps} draws x {self.n_seeds} seeds")


@common.single_threaded_blas
def projected_risks(seed: int, eigs: Any, n: int, ks: Sequence[int], *, sigma: float = 1.0,
                    reps: int = 16) -> np.ndarray:
    """Excess risk of the min-norm interpolator cut to its top ``k`` sample eigendirections, shape ``(reps, len(ks))``.

    ``x ~ N(0, diag(eigs))``, ``θ* = e_1``, noise ``N(0, σ²)``, drawn as in
    :func:`dltheory.overfitting.benign_linear.min_norm_excess_risk` (same seed, same data). With ``X = U S Vᵀ`` (thin
    SVD), ``θ̂ = V S⁻¹ Uᵀ y`` and its cut is ``V_k V_kᵀ θ̂`` (Bartlett et al. 2020, eq. for ``θ̂``; the top ``k`` right
    singular vectors are the top eigenvectors of ``XᵀX/n``)."""
    seed = validate.seed("seed", seed)
    lam = validate.array("eigs", eigs, ndim=1, positive=True)
    n = validate.integer("n", n, low=1, high=lam.size - 1)
    ks = [validate.integer("ks[i]", k, low=1, high=n) for k in ks]
    sigma = validate.real("sigma", sigma, low=0.0)
    reps = validate.integer("reps", reps, low=1)
    rng = np.random.default_rng(seed)
    theta = np.zeros(lam.size)
    theta[0] = 1.0
    out = np.empty((reps, len(ks)))
    for i in range(reps):
        x = rng.standard_normal((n, lam.size)) * np.sqrt(lam)
        y = x @ theta + sigma * rng.standard_normal(n)
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        coef = (u.T @ y) / s                       # θ̂ in the basis of the right singular vectors
        for j, k in enumerate(ks):
            err = vt[:k].T @ coef[:k] - theta
            out[i, j] = np.sum(lam * err**2)
    return out


def projection_risks(cfg: InterpolatorConfig, seed: int, kind: str) -> np.ndarray:
    """Mean excess risk over ``cfg.reps`` draws at every rank of ``cfg.ks``, for covariance ``kind`` (spiked or
    isotropic, Chapter 2's :func:`~dltheory.overfitting.benign_linear.spectrum`), shape ``(len(ks),)``."""
    kind = validate.choice("kind", kind, KINDS)
    eigs = benign_linear.spectrum(kind, cfg.p, spikes=cfg.spikes)
    return projected_risks(1000 * seed + 100 * KINDS.index(kind), eigs, cfg.n, cfg.ks, sigma=cfg.sigma,
                           reps=cfg.reps).mean(0)


def run(cfg: InterpolatorConfig, seeds: Sequence[int] | None = None) -> dict[str, Any]:
    """Every seed and both covariances: ``risk[kind]`` of shape ``(n_seeds, len(ks))`` (last column: the full
    interpolator), ``ratio[kind]`` the risk of each cut over the full one, Bartlett et al.'s conditions."""
    if not isinstance(cfg, InterpolatorConfig):
        raise ValueError(f"cfg must be an InterpolatorConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(runtime.seeds(cfg.n_seeds) if seeds is None else seeds))
    risk = {kind: np.array([projection_risks(cfg, s, kind) for s in seeds]) for kind in KINDS}
    return {"cfg": cfg, "seeds": np.array(seeds), "ks": np.array(cfg.ks), "risk": risk,
            "ratio": {kind: r / r[:, -1:] for kind, r in risk.items()},
            "conditions": {kind: benign_linear.bllt_conditions(benign_linear.spectrum(kind, cfg.p, spikes=cfg.spikes),
                                                               cfg.n) for kind in KINDS}}


def isotropic_risk(n: int, p: int, sigma: float) -> float:
    """Expected excess risk of the min-norm interpolator with ``Σ = I`` and ``‖θ*‖ = 1``:
    ``(1 − n/p) + σ² n/(p − n − 1)`` (the projection of ``θ*`` off the row space, plus the inverse-Wishart mean)."""
    n = validate.integer("n", n, low=1)
    p = validate.integer("p", p, low=n + 2)
    sigma = validate.real("sigma", sigma, low=0.0)
    return (1 - n / p) + sigma**2 * n / (p - n - 1)


def synthesis_point(res: dict[str, Any] | None = None) -> dict[str, Any]:
    """This section's point of §5's figure: at ``k_claim``, the numbers stored (``p``) over those kept (``k``), and
    the median share of the performance kept, where performance is what the fit gains over the zero predictor
    (excess risk ``θ*ᵀΣθ* = 1`` here): ``(1 − risk of the cut) / (1 − risk of the interpolator)``, above 1 when the
    cut lowers the risk; for the spiked covariance and for the isotropic null."""
    res = run(InterpolatorConfig.from_env()) if res is None else res
    cfg = res["cfg"]
    j = list(cfg.ks).index(cfg.k_claim)
    kept = {kind: float(np.median((1.0 - r[:, j]) / (1.0 - r[:, -1]))) for kind, r in res["risk"].items()}
    ratio = cfg.p / cfg.k_claim
    return {"section": "6 benign overfitting: top directions", "ratio": float(ratio), "kept": kept["spiked"],
            "null_ratio": float(ratio), "null_kept": kept["isotropic"]}


def check_projection(answer: Any, x: Any, y: Any, k: int) -> None:
    """Exercise check (§6): ``answer`` must be the min-norm interpolator of ``(x, y)`` cut to the top ``k`` right
    singular vectors of ``x``, a vector of length ``x.shape[1]``."""
    selfcheck.answered("theta_k", answer)
    x = validate.array("x", x, ndim=2)
    y = validate.array("y", y, ndim=1)
    k = validate.integer("k", k, low=1, high=min(x.shape))
    u, s, vt = np.linalg.svd(x, full_matrices=False)
    expected = vt[:k].T @ ((u.T[:k] @ y) / s[:k])
    selfcheck.array("theta_k", answer, expected, rtol=1e-6, atol=1e-9,
                    hint="θ̂ = Xᵀ(XXᵀ)⁻¹y lies in the span of the right singular vectors V of X = U S Vᵀ; its "
                         "coordinates there are Uᵀy / S. Keep the first k of them: θ̂_k = V_k (U_kᵀ y / S_k).")
