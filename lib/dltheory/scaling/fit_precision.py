"""§1 *Fitting a power law honestly* (``chapters/01-scaling-laws/01-fitting``): how precise the Huber fit is.

:func:`alpha_standard_error` is the asymptotic standard error of the fitted exponent from M-estimation theory
(Huber 1973); :func:`fit_exponents` fits many studies without their bootstraps, the measurement the spread claims of
the page hold to that standard error; :func:`spread_seeds` names the studies they use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from dltheory import validate
from dltheory.scaling.fitting import (COVERAGE_STUDIES, HUBER_DELTA, SPREAD_STUDIES, FittingConfig, draw_study,
                                      fit_power_law)

__all__ = ["alpha_standard_error", "fit_exponents", "spread_seeds", "SPREAD_STREAM"]

#: where the spread's further studies start: seeds no other run of the book draws (the page's and the seed
#: record's studies are below 10⁵), ``SPREAD_STUDIES`` apart per base seed, so that no two base seeds share one
SPREAD_STREAM = 10**7


def spread_seeds(base_seed: int) -> list[int]:
    """The :data:`~dltheory.scaling.fitting.SPREAD_STUDIES` studies of ``fit-exponent-spread-1024`` under
    ``base_seed``: its :data:`~dltheory.scaling.fitting.COVERAGE_STUDIES` coverage studies (``base_seed`` and up), then
    further ones from ``SPREAD_STREAM + SPREAD_STUDIES·base_seed``, which no two base seeds share."""
    base_seed = validate.seed("base_seed", base_seed)
    start = SPREAD_STREAM + SPREAD_STUDIES * base_seed
    return [*range(base_seed, base_seed + COVERAGE_STUDIES), *range(start, start + SPREAD_STUDIES - COVERAGE_STUDIES)]


def fit_exponents(cfg: FittingConfig, seeds: Sequence[int], *, delta: float = HUBER_DELTA) -> np.ndarray:
    """The fitted ``α̂`` of each seed's study (those of :func:`~dltheory.scaling.fitting.fitting_experiment`, the
    same draws), without a bootstrap: about 4 ms a study. ``delta`` is the Huber loss's clip on log-loss residuals
    (Approach 3's by default; one far above the noise makes it least squares)."""
    if not isinstance(cfg, FittingConfig):
        raise ValueError(f"cfg must be a FittingConfig, got {type(cfg).__name__}")
    delta = validate.real("delta", delta, low=0.0, low_open=True)
    return np.array([fit_power_law(cfg.sizes(), draw_study(cfg, s)[0], delta=delta).alpha
                     for s in validate.seeds(seeds)])


def alpha_standard_error(cfg: FittingConfig, delta: float = HUBER_DELTA) -> float:
    """The asymptotic standard error of the Huber fit's ``α̂`` on ``cfg``'s design, from M-estimation theory.

    With log-residuals ``σε`` (``ε ~ N(0, 1)``, ``σ = cfg.noise``) and the Huber loss clipped at ``k = δ/σ``, the
    estimate is asymptotically normal with covariance ``σ² · v(k) · (JᵀJ)⁻¹`` (Huber 1973 for linear regression; for
    this nonlinear law to first order, linearised at the true parameters), where ``J`` is the Jacobian of
    ``log(E + A·x^(-α))`` in ``(E, A, α)`` at the true law over the design and
    ``v(k) = E[ψ_k(ε)²] / E[ψ_k'(ε)]²`` (``ψ_k`` clips at ``±k``: ``v → 1`` as ``k → ∞``, least squares; ``v → π/2``
    as ``k → 0``, least absolute deviations). ``α``'s entry of ``(JᵀJ)⁻¹`` does not depend on how ``E`` and ``A`` are
    parametrised.
    """
    if not isinstance(cfg, FittingConfig):
        raise ValueError(f"cfg must be a FittingConfig, got {type(cfg).__name__}")
    delta = validate.real("delta", delta, low=0.0, low_open=True)
    if cfg.noise == 0:
        raise ValueError("cfg.noise is 0: a noise-free study has no sampling error to predict")
    x = cfg.sizes()
    power = cfg.A * x**-cfg.alpha
    loss = cfg.E + power
    jac = np.stack([1 / loss, power / (cfg.A * loss), -power * np.log(x) / loss], axis=1)
    k = delta / cfg.noise
    inside = math.erf(k / math.sqrt(2))  # E[ψ'] = P(|ε| ≤ k)
    # E[ψ²] = E[ε²; |ε| ≤ k] + k²·P(|ε| > k), the first term P(χ²₃ ≤ k²) (ε² size-biased is χ²₃): no cancellation
    psi2 = stats.chi2.cdf(k**2, 3) + 2 * k**2 * stats.norm.sf(k)
    v = psi2 / inside**2 if k > 1e-6 else math.pi / 2  # the limit, to O(k): k² underflows below 1e-154
    return float(cfg.noise * math.sqrt(v * np.linalg.inv(jac.T @ jac)[2, 2]))
