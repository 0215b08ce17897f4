"""§3 *Exponents from the spectrum* (``chapters/01-scaling-laws/03-spectrum``).

Ridgeless regression on Gaussian data with a power-law covariance (Bordelon, Canatar and Pehlevan 2020;
Bahri et al. 2021) and its dual, linear random features with unlimited data (Maloney, Roberts and Sully
2022): :func:`eigenlearning_risk` (the theory), :func:`projection_risk` (one draw) and
:func:`spectrum_experiment` (the data-limited scan, and the same scan on a null spectrum with another
exponent). Both duals reduce to :func:`projection_risk`, which ``tests/test_scaling.py`` checks against an
explicit minimum-norm regression and an explicit random-feature fit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from dltheory import runtime, validate
from dltheory.scaling import common

__all__ = [
    "power_spectrum",
    "eigenlearning_risk",
    "projection_risk",
    "SpectrumConfig",
    "SpectrumResult",
    "spectrum_experiment",
]


def power_spectrum(alpha: float, M: int) -> np.ndarray:
    """Eigenvalues ``λ_k = k^-(1+α)``, ``k = 1..M`` (§3, ``03-spectrum``)."""
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    M = validate.integer("M", M, low=2)
    return np.arange(1, M + 1, dtype=float) ** -(1.0 + alpha)


def eigenlearning_risk(lam: Any, ns: Any, *, target_power: Any | None = None) -> np.ndarray:
    """Predicted test risk of ridgeless regression from ``n`` samples (§3; Bordelon, Canatar and Pehlevan 2020).

    In the eigenlearning form (Simon et al. 2023): ``κ`` solves ``Σ_i λ_i/(λ_i+κ) = n``, mode ``i`` is
    learned to the fraction ``ℒ_i = λ_i/(λ_i+κ)``, and the risk is
    ``n/(n − Σ ℒ_i²) · Σ (1−ℒ_i)² v_i²`` where ``v_i²`` is the target's power in mode ``i``
    (``target_power``, default ``λ_i``: a teacher with i.i.d. unit weights). Needs ``n < len(lam)``.
    """
    lam = validate.array("lam", lam, ndim=1, positive=True, min_size=2)
    ns = validate.array("ns", ns, ndim=1, positive=True)
    if np.any(ns >= lam.size):
        raise ValueError(f"ns must be smaller than the number of modes ({lam.size}), got max {ns.max():g}")
    v2 = lam if target_power is None else validate.array("target_power", target_power, shape=lam.shape,
                                                         nonnegative=True)
    out = []
    for n in ns:
        lo, hi = 1e-300, float(lam.sum()) / max(n, 1e-12) + lam.max()
        for _ in range(200):  # bisection in log κ: Σ λ/(λ+κ) decreases in κ
            kappa = math.sqrt(lo * hi)
            if np.sum(lam / (lam + kappa)) > n:
                lo = kappa
            else:
                hi = kappa
        learn = lam / (lam + kappa)
        out.append(n / (n - np.sum(learn**2)) * np.sum((1 - learn) ** 2 * v2))
    return np.asarray(out)


def projection_risk(key: jax.Array, lam: Any, ns: Any) -> np.ndarray:
    """Teacher-averaged risk ``tr(P⊥_n Λ)`` after projecting on the span of ``n`` Gaussian vectors of covariance
    ``Λ``.

    §3 (``03-spectrum``). Ridgeless (minimum-norm) regression on ``n`` samples ``x_i = Λ^{1/2} z_i`` of a
    linear teacher with weights ``w ~ N(0, I)`` has expected risk ``E_w (w−ŵ)ᵀΛ(w−ŵ) = tr(P⊥ Λ)``, where
    ``P`` projects on ``span{x_i}``; a linear random-features model with ``n`` features and unlimited data
    has the same risk with the same kind of ``P`` (the duality of Maloney, Roberts and Sully 2022).
    One draw gives the risk at every ``n`` in ``ns`` (nested spans). Float64 linear algebra.
    """
    lam = validate.array("lam", lam, ndim=1, positive=True, min_size=2)
    ns = np.asarray(validate.array("ns", ns, ndim=1, positive=True), dtype=int)
    if np.any(np.diff(ns) <= 0) or ns[-1] >= lam.size:
        raise ValueError(f"ns must be increasing integers below the number of modes ({lam.size}), got {ns.tolist()}")
    z = np.asarray(jax.random.normal(key, (lam.size, int(ns[-1]))), dtype=np.float64)
    gram = z.T @ (lam[:, None] * z)  # Gᵀ G with G = Λ^{1/2} Z
    gram2 = z.T @ ((lam**2)[:, None] * z)  # Gᵀ Λ G
    total = lam.sum()
    out = []
    for n in ns:
        chol = np.linalg.cholesky(gram[:n, :n])
        half = np.linalg.solve(chol, gram2[:n, :n])
        out.append(total - np.trace(np.linalg.solve(chol, half.T)))  # tr(Λ) − tr((GᵀG)⁻¹ GᵀΛG)
    return np.asarray(out)


@dataclasses.dataclass(frozen=True)
class SpectrumConfig(runtime.ModeConfig):
    """§3: spectrum ``λ_k = k^-(1+α)`` truncated at ``M`` modes; sample sizes ``ns``.

    ``null_alpha`` is the exponent of the null spectrum, whose risk must fall with another exponent.
    """

    alpha: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    null_alpha: float = validate.field(0.5, validate.real, low=0.0, low_open=True)
    M: int = validate.field(4096, validate.integer, low=4)
    ns: tuple[int, ...] = validate.field((16, 32, 64, 128, 256, 512), validate.increasing_integers, min_size=3)
    n_seeds: int = validate.field(6, validate.integer, low=1)

    def check(self) -> None:
        if self.ns[-1] * 4 > self.M:
            raise ValueError(f"ns must stay below M/4 = {self.M // 4} (finite-M bias), got {self.ns}")
        if self.null_alpha == self.alpha:
            raise ValueError(f"null_alpha must differ from alpha = {self.alpha} (the null spectrum), got {self.null_alpha}")

    @classmethod
    def fast(cls) -> SpectrumConfig:
        return cls()

    @classmethod
    def full(cls) -> SpectrumConfig:
        return cls(M=16384, ns=(16, 32, 64, 128, 256, 512, 1024), n_seeds=6)  # within the GPU budget (issue 22)

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): per seed two draws (the spectrum and the null), each two Gram products
        ``2·M·n²`` at the largest ``n`` and a Cholesky solve at every ``n``."""
        n = self.ns[-1]
        draw = 4.0 * self.M * n**2 + sum(2.5 * k**3 for k in self.ns) + 20.0 * self.M * n
        return runtime.Cost(host_flops=2 * self.n_seeds * draw, bytes=3 * 8.0 * self.M * n)

    def paper_scale(self) -> str:
        """A synthetic spectrum: no paper's size to scale against."""
        return (f"a synthetic power-law spectrum, no paper's run to scale against: M = {self.M:,} modes, n from "
                f"{self.ns[0]} to {self.ns[-1]:,}, {self.n_seeds} seeds; the exponent needs n well below M (n ≤ M/4, "
                "against the finite-M bias) and about two decades of n")


@dataclasses.dataclass(frozen=True)
class SpectrumResult:
    config: SpectrumConfig
    seeds: tuple[int, ...]
    ns: np.ndarray
    data_risk: np.ndarray  # (n_seeds, len(ns)): n samples, spectrum exponent alpha
    null_risk: np.ndarray  # (n_seeds, len(ns)): the same scan on the null spectrum (null_alpha)
    theory: np.ndarray  # eigenlearning prediction at the same M
    null_theory: np.ndarray  # the same for the null spectrum

    @property
    def data_exponent(self) -> np.ndarray:
        return common.fit_exponent(self.ns, self.data_risk)

    @property
    def null_exponent(self) -> np.ndarray:
        return common.fit_exponent(self.ns, self.null_risk)


def spectrum_experiment(cfg: SpectrumConfig, seeds: Sequence[int]) -> SpectrumResult:
    """§3 (``03-spectrum``): ridgeless risk versus samples on the spectrum ``k^-(1+α)`` and on the null
    spectrum ``k^-(1+null_alpha)``, by the same code, with independent draws per seed.

    By the duality (Maloney, Roberts and Sully 2022) the risk of ``n`` random features with unlimited
    data is the same function of another draw, so it is not scanned separately.
    """
    if not isinstance(cfg, SpectrumConfig):
        raise ValueError(f"cfg must be a SpectrumConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    lam = power_spectrum(cfg.alpha, cfg.M)
    ns = np.asarray(cfg.ns)
    lam_null = power_spectrum(cfg.null_alpha, cfg.M)
    data, null = [], []
    for s in seeds:
        k_data, k_null = jax.random.split(jax.random.key(s))
        data.append(projection_risk(k_data, lam, ns))
        null.append(projection_risk(k_null, lam_null, ns))
    return SpectrumResult(cfg, seeds, ns, np.asarray(data), np.asarray(null), eigenlearning_risk(lam, ns),
                          eigenlearning_risk(lam_null, ns))
