"""§4 *Exponents from quanta* (``chapters/01-scaling-laws/04-quanta``).

The quantization model of Michaud et al. (2023): quanta used with Zipfian frequencies (:func:`zipf`),
each learned once seen often enough (:func:`quanta_loss`), and the data scaling that follows
(:func:`quanta_experiment`). Its null, :func:`frequency_order_loss`, is a learner that takes the quanta in
order of frequency at a fixed number of samples each: the parameter-limited law, with exponent ``α``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from dltheory import runtime, validate
from dltheory.scaling import common

__all__ = ["zipf", "quanta_loss", "frequency_order_loss", "QuantaConfig", "QuantaResult", "quanta_experiment"]


def zipf(alpha: float, K: int) -> np.ndarray:
    """Use frequencies ``p_k = k^-(α+1) / ζ(α+1)`` of the ``K`` most frequent quanta (§4; Michaud et al. 2023).

    Normalised over infinitely many quanta, so ``Σ_{k≤K} p_k < 1``; the missing mass belongs to quanta
    too rare to simulate, which :func:`quanta_loss` counts as never learned.
    """
    from scipy.special import zeta

    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    K = validate.integer("K", K, low=2)
    return np.arange(1, K + 1, dtype=float) ** -(alpha + 1.0) / float(zeta(alpha + 1.0))


def quanta_loss(key: jax.Array, p: Any, Ds: Any, *, tau: int = 1) -> np.ndarray:
    """Loss of the quantization model after ``D`` samples, for each ``D`` in ``Ds`` (§4; Michaud et al. 2023).

    Samples arrive one by one and each uses quantum ``k`` with probability ``p_k``; a quantum is learned
    once it has been seen ``tau`` times, and the loss is the total frequency of unlearned quanta,
    ``1 − Σ_k p_k [count_k(D) ≥ τ]`` (loss 1 on an unlearned quantum, 0 on a learned one; quanta beyond
    ``len(p)`` count as unlearned). In the Poisson
    limit of many samples, the ``τ``-th occurrence of quantum ``k`` comes at "time" ``Γ_k / p_k`` with
    ``Γ_k ~ Gamma(τ, 1)``; one draw of these times gives the loss at every ``D`` at once.
    """
    p = validate.array("p", p, ndim=1, positive=True, min_size=2)
    if p.sum() > 1 + 1e-9:
        raise ValueError(f"p must sum to at most 1 (the rest is unsimulated rare quanta), got {p.sum():.6g}")
    Ds = validate.array("Ds", Ds, ndim=1, positive=True)
    if np.any(np.diff(Ds) <= 0):
        raise ValueError(f"Ds must be increasing, got {Ds.tolist()}")
    tau = validate.integer("tau", tau, low=1)
    shape = (p.size,)
    gam = jax.random.exponential(key, shape) if tau == 1 else jax.random.gamma(key, float(tau), shape)
    arrival = np.asarray(gam, dtype=float) / p
    return np.array([1.0 - p[arrival <= D].sum() for D in Ds])


def frequency_order_loss(p: Any, Ds: Any, *, samples_per_quantum: float) -> np.ndarray:
    """Loss of a learner that holds the ``⌊D / samples_per_quantum⌋`` most frequent quanta after ``D`` samples.

    The null of §4 (``04-quanta``): quanta learned strictly in order of frequency, at a fixed cost in
    samples, which is the parameter-limited model of Michaud et al. (2023) with ``n ∝ D``; its loss
    ``1 − Σ_{k ≤ n} p_k`` falls as ``D^-α``, not ``D^-α/(α+1)``. Quanta beyond ``len(p)`` count as
    unlearned, so ``D / samples_per_quantum`` must stay below ``len(p)``.
    """
    p = validate.array("p", p, ndim=1, positive=True, min_size=2)
    if p.sum() > 1 + 1e-9:
        raise ValueError(f"p must sum to at most 1 (the rest is unsimulated rare quanta), got {p.sum():.6g}")
    Ds = validate.array("Ds", Ds, ndim=1, positive=True)
    c = validate.real("samples_per_quantum", samples_per_quantum, low=0.0, low_open=True)
    n = np.floor(Ds / c).astype(int)
    if n.max() >= p.size:
        raise ValueError(f"Ds / samples_per_quantum must stay below len(p) = {p.size}, got up to {n.max()}")
    learned = np.concatenate([[0.0], np.cumsum(p)])
    return 1.0 - learned[n]


@dataclasses.dataclass(frozen=True)
class QuantaConfig(runtime.ModeConfig):
    """§4: Zipf exponents ``alphas`` (``p_k ∝ k^-(α+1)``), ``K`` quanta, sample sizes ``Ds``, threshold ``tau``."""

    alphas: tuple[float, ...] = validate.field((0.4, 0.7, 1.0), validate.array, ndim=1, positive=True)
    K: int = validate.field(2**18, validate.integer, low=16)
    Ds: tuple[float, ...] = validate.field((1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6), validate.array, ndim=1, positive=True,
                                           min_size=3)
    tau: int = validate.field(1, validate.integer, low=1)
    n_seeds: int = validate.field(5, validate.integer, low=1)
    null_samples_per_quantum: float = validate.field(100.0, validate.real, low=0.0, low_open=True)

    @classmethod
    def fast(cls) -> QuantaConfig:
        return cls()

    @classmethod
    def full(cls) -> QuantaConfig:
        return cls(K=2**22, Ds=tuple(float(d) for d in np.logspace(3, 8, 11)), n_seeds=20)

    def cost(self) -> runtime.Cost:
        """Host work: per Zipf exponent and seed, ``K`` arrival times and a masked sum per ``D``; the null once
        per exponent."""
        per_draw = self.K * (3.0 * len(self.Ds) + 20.0)
        return runtime.Cost(host_flops=len(self.alphas) * (self.n_seeds + 1) * per_draw, bytes=4 * 8.0 * self.K)

    def paper_scale(self) -> str:
        """A simulation of the quanta model: no network, no paper's size."""
        return (f"a simulation of Michaud et al.'s quanta model itself (no network, so no paper's run to scale "
                f"against): K = {self.K:,} quanta, D from {self.Ds[0]:,.0f} to {self.Ds[-1]:,.0f} samples, "
                f"{len(self.alphas)} Zipf exponents, {self.n_seeds} seeds; K must exceed what the largest D reveals")


@dataclasses.dataclass(frozen=True)
class QuantaResult:
    config: QuantaConfig
    seeds: tuple[int, ...]
    Ds: np.ndarray
    loss: np.ndarray  # (n_alphas, n_seeds, len(Ds))
    null_loss: np.ndarray  # (n_alphas, len(Ds)): frequency_order_loss, the null (deterministic)

    @property
    def data_exponent(self) -> np.ndarray:
        """Fitted exponent of loss versus ``D``, shape ``(n_alphas, n_seeds)``."""
        return np.stack([common.fit_exponent(self.Ds, row) for row in self.loss])

    @property
    def null_exponent(self) -> np.ndarray:
        """Fitted exponent of the null's loss versus ``D``, one per Zipf exponent (the same fit)."""
        return common.fit_exponent(self.Ds, self.null_loss)

    @property
    def predicted(self) -> np.ndarray:
        a = np.asarray(self.config.alphas)
        return a / (1.0 + a)


def quanta_experiment(cfg: QuantaConfig, seeds: Sequence[int]) -> QuantaResult:
    """§4 (``04-quanta``): data scaling of the quantization model for several Zipf exponents (Michaud et al. 2023)."""
    if not isinstance(cfg, QuantaConfig):
        raise ValueError(f"cfg must be a QuantaConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    Ds = np.asarray(cfg.Ds, dtype=float)
    loss = np.stack(
        [
            np.stack([quanta_loss(jax.random.fold_in(jax.random.key(s), i), zipf(a, cfg.K), Ds, tau=cfg.tau)
                      for s in seeds])
            for i, a in enumerate(cfg.alphas)
        ]
    )
    null = np.stack([frequency_order_loss(zipf(a, cfg.K), Ds, samples_per_quantum=cfg.null_samples_per_quantum)
                     for a in cfg.alphas])
    return QuantaResult(cfg, seeds, Ds, loss, null)
