"""Chapter 2 · § 2, ``chapters/02-benign-overfitting/02-optimal-ridge.md``: more data can hurt, tuned ridge never.

The risk-minimising penalty (:func:`optimal_ridge`), the sample-wise experiment at fixed ``p``, min-norm
against optimally tuned ridge (Nakkiran et al. 2021; :func:`samplewise_experiment`), and the chapter's
explorer of the ridge(less) risk (:func:`risk_explorer`). The theory and the simulation come from
:mod:`dltheory.overfitting.ridgeless`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, validate
from dltheory.overfitting.ridgeless import ridge_risk, ridgeless_risk, simulate_ridge

__all__ = ["optimal_ridge", "SamplewiseConfig", "samplewise_experiment", "risk_explorer"]


def optimal_ridge(gamma: Any, *, sigma: float = 1.0, r: float = 1.0) -> np.ndarray:
    """The risk-minimising penalty ``λ* = σ²γ/r²`` for isotropic data.

    Section ``02-optimal-ridge``; Dobriban and Wager (2018), Hastie et al. (2022).
    """
    gamma = validate.array("gamma", gamma, positive=True, ndim=(0, 1))
    sigma = validate.real("sigma", sigma, low=0.0, low_open=True)
    r = validate.real("r", r, low=0.0, low_open=True)
    return sigma**2 * gamma / r**2


@dataclasses.dataclass(frozen=True)
class SamplewiseConfig(runtime.ModeConfig):
    """Risk against the number of samples at fixed p, ridgeless and optimally tuned (section ``02-optimal-ridge``).

    The defaults are the fast mode.
    """

    p: int = validate.field(100, validate.integer, low=2)
    ns: tuple[int, ...] = validate.field(
        (20, 40, 60, 75, 85, 95, 105, 115, 130, 160, 200, 300, 400), validate.increasing_integers
    )
    reps: int = validate.field(64, validate.integer, low=2)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    sigma: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    r: float = validate.field(1.0, validate.real, low=0.0, low_open=True)

    @classmethod
    def fast(cls) -> SamplewiseConfig:
        return cls()

    @classmethod
    def full(cls) -> SamplewiseConfig:
        ns = (40, 80, 120, 150, 170, 185, 195, 205, 215, 230, 260, 300, 400, 600, 800)
        return cls(p=200, ns=ns, reps=200, n_seeds=5)

    def check(self) -> None:
        if any(abs(n - self.p) < 3 for n in self.ns):
            raise ValueError("ns must stay at least 3 away from p (the min-norm risk is infinite at n = p)")

    def cost(self) -> runtime.Cost:
        """Host work (NumPy, float64): per seed and ``n``, ``reps`` ridge fits on ``n × p`` data (the smaller
        Gram matrix and its eigendecomposition), as :func:`dltheory.overfitting.ridgeless.simulate_ridge`."""
        total, largest = 0.0, 0.0
        for n in self.ns:
            m = min(n, self.p)
            total += self.reps * (2.0 * n * self.p * m + 10.0 * m**3 + 30.0 * n * self.p)
            largest = max(largest, 8.0 * self.reps * (n * self.p + m * m))
        return runtime.Cost(host_flops=self.n_seeds * total, bytes=largest)

    def paper_scale(self) -> str:
        """The theory is a limit: the simulation's size."""
        return (f"an isotropic linear model as in Nakkiran et al. 2020, whose theory is a proportional limit: "
                f"p = {self.p}, {len(self.ns)} sample sizes from {self.ns[0]} to {self.ns[-1]}, {self.reps} "
                f"repetitions × {self.n_seeds} seeds (NumPy on the host)")


@dataclasses.dataclass(frozen=True)
class SamplewiseResult:
    ns: np.ndarray  # (n_ns,)
    ridgeless: np.ndarray  # (n_seeds, n_ns)
    tuned: np.ndarray  # (n_seeds, n_ns)
    theory_ridgeless: np.ndarray
    theory_tuned: np.ndarray
    seeds: tuple[int, ...]
    config: SamplewiseConfig


def samplewise_experiment(cfg: SamplewiseConfig, seeds: Sequence[int]) -> SamplewiseResult:
    """More data can hurt the min-norm fit but never the tuned ridge.

    Section ``02-optimal-ridge``; Nakkiran et al. (2021).
    """
    if not isinstance(cfg, SamplewiseConfig):
        raise ValueError(f"cfg must be a SamplewiseConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    gammas = cfg.p / np.array(cfg.ns, dtype=float)
    lam_star = optimal_ridge(gammas, sigma=cfg.sigma, r=cfg.r)
    both = np.array(
        [
            [simulate_ridge(s * 1000 + i, n, cfg.p, [0.0, lam_star[i]], sigma=cfg.sigma, r=cfg.r, reps=cfg.reps).mean(0)
             for i, n in enumerate(cfg.ns)]
            for s in seeds
        ]
    )
    tuned_theory = np.array([ridge_risk(g, l, sigma=cfg.sigma, r=cfg.r) for g, l in zip(gammas, lam_star)])
    return SamplewiseResult(
        np.array(cfg.ns), both[..., 0], both[..., 1], ridgeless_risk(gammas, sigma=cfg.sigma, r=cfg.r), tuned_theory,
        tuple(seeds), cfg
    )


# ============================================================================ the widget


def risk_explorer(*, n: int = 100, reps: int = 8, seed: int = 0, force_static: bool | None = None) -> Any:
    """Explorer of the ridge(less) risk against γ for a noise level σ and a penalty λ (chapter 2's widget).

    Section ``02-optimal-ridge``: the theory curve (Hastie et al. 2022) and a small simulation at ``n`` samples,
    with the point of the slider's γ marked. Static figure on the website (see :mod:`dltheory.widgets`).
    """
    from dltheory import plot, widgets

    n = validate.integer("n", n, low=10)
    reps = validate.integer("reps", reps, low=1)
    seed = validate.seed("seed", seed)
    grid = np.linspace(0.1, 4.0, 400)
    sim_gammas = np.array([0.25, 0.5, 0.75, 0.9, 1.1, 1.5, 2.0, 3.0, 4.0])

    @functools.cache
    def simulated(sigma: float, lam: float) -> np.ndarray:
        return np.array([simulate_ridge(seed + i, n, int(round(g * n)), [lam], sigma=sigma, reps=reps).mean()
                         for i, g in enumerate(sim_gammas)])

    def draw(ax: Any, sigma: float, lam: float, gamma: float) -> None:
        theory = ridgeless_risk(grid, sigma=sigma) if lam == 0 else ridge_risk(grid, lam, sigma=sigma)
        plot.theory(ax, grid, np.minimum(theory, 50.0), label="theory")
        ax.plot(sim_gammas, simulated(sigma, lam), "o", label=f"simulation, n = {n}")
        at = ridgeless_risk(gamma, sigma=sigma) if lam == 0 else ridge_risk(gamma, lam, sigma=sigma)
        ax.axvline(gamma, color="0.6", lw=1)
        ax.set_yscale("log")
        ax.set_ylim(0.05, 50)
        ax.set_xlabel(r"$\gamma = p/n$")
        ax.set_ylabel(r"excess risk $\|\hat\beta - \beta\|^2$")
        ax.set_title(rf"$\sigma$ = {sigma:g}, $\lambda$ = {lam:g}: risk {float(at):.3g} at $\gamma$ = {gamma:g}",
                     fontsize=9)
        ax.legend(fontsize=8)

    return widgets.explorer(
        draw,
        {"sigma": [0.0, 0.25, 0.5, 1.0, 1.5], "lam": [0.0, 0.01, 0.1, 0.5, 1.0, 2.0],
         "gamma": [0.5, 0.9, 1.1, 2.0, 3.0]},
        defaults={"sigma": 1.0, "lam": 0.0, "gamma": 2.0},
        static={"lam": [0.0, 0.1, 1.0]},
        title="Ridge(less) risk on isotropic data",
        force_static=force_static,
    )
