"""§1 *Fitting a power law honestly* (``chapters/01-scaling-laws/01-fitting``).

The Approach-3 fit of Hoffmann et al. (2022): Huber loss on log-loss residuals minimised by L-BFGS from
the best point of a grid, with bootstrap intervals (Besiroglu et al. 2024), against the naive straight
line in log-log axes. :func:`fit_power_law` fits the one-variable law ``E + A·x^(-α)``,
:func:`fit_chinchilla` the two-variable law ``E + A/N^α + B/D^β`` (used in §5 and the exercises), and
:func:`fitting_experiment` is the experiment of the page.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.scipy.optimize import minimize as jax_minimize

from dltheory import runtime, validate

#: the Huber loss's δ on log-loss residuals in Approach 3 (Hoffmann et al. 2022), every fit's default
HUBER_DELTA = 1e-3

__all__ = [
    "power_law", "sample_power_law", "PowerLawFit", "fit_power_law", "fit_loglinear", "bootstrap_power_law",
    "fit_chinchilla", "FittingConfig", "FittingResult", "draw_study", "fitting_experiment",
    "COVERAGE_STUDIES", "SPREAD_STUDIES", "HUBER_DELTA", "page_runs",
]


def power_law(x: Any, E: float, A: float, alpha: float) -> np.ndarray:
    """``L(x) = E + A·x^(-α)``: the one-variable law of §1 (``01-fitting``)."""
    x = validate.array("x", x, positive=True)
    E = validate.real("E", E, low=0.0)
    A = validate.real("A", A, low=0.0, low_open=True)
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    return E + A * x ** (-alpha)


def sample_power_law(key: jax.Array, x: Any, *, E: float, A: float, alpha: float, noise: float) -> np.ndarray:
    """Noisy observations ``L(x)·exp(σ ε)``, ``ε ~ N(0, 1)``, ``σ = noise`` (§1): the losses of a scaling study
    scatter by a roughly constant fraction, and the Approach-3 fit of Hoffmann et al. (2022) works in log-loss."""
    clean = power_law(x, E, A, alpha)
    noise = validate.real("noise", noise, low=0.0, high=1.0)
    eps = np.asarray(jax.random.normal(key, clean.shape), dtype=float)
    return clean * np.exp(noise * eps)


@dataclasses.dataclass(frozen=True)
class PowerLawFit:
    """A fitted ``E + A·x^(-α)`` and the value of the Huber objective at the optimum."""

    E: float
    A: float
    alpha: float
    objective: float

    def __call__(self, x: Any) -> np.ndarray:
        return self.E + self.A * validate.array("x", x, positive=True) ** (-self.alpha)


def _xy(x: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    x = validate.array("x", x, ndim=1, positive=True, min_size=4)
    y = validate.array("y", y, ndim=1, positive=True, min_size=4)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    return x, y


def _huber_1d(theta: np.ndarray, logx: np.ndarray, logy: np.ndarray, delta: float) -> tuple[float, np.ndarray]:
    """The Huber objective on log-loss residuals and its gradient; theta = (log E, log A, α)."""
    t1 = theta[1] - theta[2] * logx
    pred = np.logaddexp(theta[0], t1)
    w = np.exp(t1 - pred)  # share of the power-law term in the prediction
    r = pred - logy
    value = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum()
    g = np.clip(r, -delta, delta)
    return float(value), np.array([g @ (1 - w), g @ w, -(g * logx) @ w])


def _lbfgs(objective, start: np.ndarray, *args: Any) -> tuple[np.ndarray, float]:  # noqa: ANN001
    from scipy.optimize import minimize as scipy_minimize

    # a narrow valley: a first line search can need over 20 steps (with 20, 1 study in 2,000 of §1 stayed at its start)
    res = scipy_minimize(objective, start, args=args, jac=True, method="L-BFGS-B",
                         options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-12, "maxls": 100})
    if np.array_equal(res.x, start) and np.abs(res.jac).max() > 1e-8:  # never report the start as an optimum
        raise RuntimeError(f"L-BFGS-B could not leave its start ({res.message}): no fit to report")
    return res.x, float(res.fun)


def _start_1d(x: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    from scipy.optimize import nnls

    best, best_value = None, np.inf
    for alpha in np.linspace(0.02, 2.0, 100):
        X = np.stack([np.ones_like(x), x**-alpha], axis=1) / y[:, None]  # relative residuals ≈ log residuals
        coef, _ = nnls(X, np.ones_like(y))
        if np.any(coef <= 0):
            continue
        theta = np.array([*np.log(coef), alpha])
        value, _ = _huber_1d(theta, np.log(x), np.log(y), delta)
        if value < best_value:
            best, best_value = theta, value
    if best is None:
        raise ValueError("no positive (E, A) fits the data for any α in [0.02, 2]: is y decreasing in x?")
    return best


def fit_power_law(x: Any, y: Any, *, delta: float = HUBER_DELTA, start: PowerLawFit | None = None) -> PowerLawFit:
    """Fit ``E + A·x^(-α)`` the way Hoffmann et al. (2022, Approach 3) fit their law (§1, ``01-fitting``).

    Minimises ``Σ Huber_δ(log L̂(x_i) − log y_i)`` over ``(log E, log A, α)`` with L-BFGS, in float64,
    with the exact gradient and a tight tolerance. The start is the best point of a grid of 100 exponents,
    at each of which ``(E, A)`` is the non-negative least-squares solution of the (then linear) law; or
    ``start``, a previous fit (the bootstrap starts from the full-data fit).
    """
    x, y = _xy(x, y)
    delta = validate.real("delta", delta, low=0.0, low_open=True)
    if start is None:
        theta0 = _start_1d(x, y, delta)
    elif isinstance(start, PowerLawFit):
        theta0 = np.array([math.log(start.E), math.log(start.A), start.alpha])
    else:
        raise ValueError(f"start must be a PowerLawFit or None, got {type(start).__name__}")
    theta, value = _lbfgs(_huber_1d, theta0, np.log(x), np.log(y), delta)
    return PowerLawFit(E=float(np.exp(theta[0])), A=float(np.exp(theta[1])), alpha=float(theta[2]), objective=value)


def fit_loglinear(x: Any, y: Any) -> tuple[float, float]:
    """The naive fit ``(A, α)`` of §1: a straight line through ``(log x, log y)``, i.e. the Kaplan-style form
    ``y = A·x^(-α)`` with no offset ``E``; when the data have an irreducible loss ``E > 0`` it underestimates ``α``."""
    x, y = _xy(x, y)
    slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
    return float(np.exp(intercept)), float(-slope)


def _huber_1d_jax(theta: jax.Array, logx: jax.Array, logy: jax.Array, delta: float) -> jax.Array:
    pred = jnp.logaddexp(theta[0], theta[1] - theta[2] * logx)
    return jnp.sum(optax.huber_loss(pred, logy, delta=delta))


@functools.partial(jax.jit, static_argnames=("delta",))
def _bootstrap_1d(start: jax.Array, logx: jax.Array, logy: jax.Array, idx: jax.Array, delta: float) -> jax.Array:
    # every resample starts from the full-data optimum; BFGS runs vmapped over resamples in one program
    def one(i: jax.Array) -> jax.Array:
        return jax_minimize(_huber_1d_jax, start, args=(logx[i], logy[i], delta), method="BFGS",
                            options={"maxiter": 100}).x

    return jax.vmap(one)(idx)


def bootstrap_power_law(
    key: jax.Array, x: Any, y: Any, fit: PowerLawFit, *, n_boot: int = 200, delta: float = HUBER_DELTA
) -> dict[str, np.ndarray]:
    """Bootstrap replicates of the Huber fit and of the naive fit (§1, ``01-fitting``).

    Resamples the points with replacement ``n_boot`` times. The Huber fit of each resample starts from
    ``fit`` (the full-data optimum), as in the bootstrap of Besiroglu et al. (2024). Returns arrays of
    shape ``(n_boot,)``: ``E``, ``A``, ``alpha`` (Huber fit) and ``naive_alpha`` (straight line).
    """
    x, y = _xy(x, y)
    if not isinstance(fit, PowerLawFit):
        raise ValueError(f"fit must be a PowerLawFit (from fit_power_law), got {type(fit).__name__}")
    n_boot = validate.integer("n_boot", n_boot, low=10)
    delta = validate.real("delta", delta, low=0.0, low_open=True)
    idx = jax.random.randint(key, (n_boot, x.size), 0, x.size)
    start = jnp.asarray([math.log(fit.E), math.log(fit.A), fit.alpha], jnp.float32)
    thetas = np.asarray(_bootstrap_1d(start, jnp.log(jnp.asarray(x, jnp.float32)), jnp.log(jnp.asarray(y, jnp.float32)),
                                      idx, delta), dtype=float)
    idx = np.asarray(idx)
    lx, ly = np.log(x)[idx], np.log(y)[idx]
    lxc = lx - lx.mean(axis=1, keepdims=True)
    naive = -np.sum(lxc * (ly - ly.mean(axis=1, keepdims=True)), axis=1) / np.sum(lxc**2, axis=1)
    return {"E": np.exp(thetas[:, 0]), "A": np.exp(thetas[:, 1]), "alpha": thetas[:, 2], "naive_alpha": naive}


def _huber_2d(
    theta: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray, delta: float
) -> tuple[float, np.ndarray]:
    """Hoffmann et al.'s objective (eq. 10) and its gradient; theta = (log E, log A, log B, α, β)."""
    terms = np.stack([np.full_like(logN, theta[0]), theta[1] - theta[3] * logN, theta[2] - theta[4] * logD])
    top = terms.max(axis=0)
    weights = np.exp(terms - top)
    pred = top + np.log(weights.sum(axis=0))
    weights /= weights.sum(axis=0)
    r = pred - logL
    value = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum()
    g = np.clip(r, -delta, delta)
    grad = np.array([g @ weights[0], g @ weights[1], g @ weights[2],
                     -(g * logN) @ weights[1], -(g * logD) @ weights[2]])
    return float(value), grad


def _profile_start(N: np.ndarray, D: np.ndarray, L: np.ndarray, delta: float) -> np.ndarray:
    """Best start on a grid of (α, β): for fixed exponents the law is linear in (E, A, B), solved by least squares."""
    from scipy.optimize import nnls

    best, best_value = None, np.inf
    grid = np.linspace(0.05, 1.5, 30)
    logN, logD, logL = np.log(N), np.log(D), np.log(L)
    for al in grid:
        for be in grid:
            X = np.stack([np.ones_like(N), N**-al, D**-be], axis=1) / L[:, None]  # relative residuals ≈ log residuals
            coef, _ = nnls(X, np.ones_like(L))
            if np.any(coef <= 0):
                continue
            theta = np.array([*np.log(coef), al, be])
            value, _ = _huber_2d(theta, logN, logD, logL, delta)
            if value < best_value:
                best, best_value = theta, value
    if best is None:
        raise ValueError("no positive (E, A, B) fits the data for any exponents in [0.05, 1.5]: "
                         "are the losses decreasing in N and D?")
    return best


def fit_chinchilla(N: Any, D: Any, L: Any, *, delta: float = HUBER_DELTA,
                   start: dict[str, float] | None = None) -> dict[str, float]:
    """Fit ``E + A/N^α + B/D^β`` by Huber loss on log-loss with L-BFGS (§2; Hoffmann et al. 2022, Approach 3).

    The start comes from a 30 × 30 grid of exponents, at each of which ``(E, A, B)`` is the non-negative
    least-squares solution of the (then linear) law; L-BFGS then minimises Hoffmann's objective
    ``Σ Huber_δ(log L̂ − log L)`` over ``(log E, log A, log B, α, β)`` in float64, with its exact gradient
    and a tight tolerance (Besiroglu et al. 2024 traced Hoffmann's estimates to an optimiser that stopped
    early). ``start``, a previous fit, replaces the grid (a bootstrap refit starts from the full-data fit).
    Returns ``{"E", "A", "B", "alpha", "beta", "objective"}``.
    """
    N = validate.array("N", N, ndim=1, positive=True, min_size=6)
    D = validate.array("D", D, ndim=1, positive=True, min_size=6)
    L = validate.array("L", L, ndim=1, positive=True, min_size=6)
    if not (N.shape == D.shape == L.shape):
        raise ValueError(f"N, D and L must have the same shape, got {N.shape}, {D.shape}, {L.shape}")
    delta = validate.real("delta", delta, low=0.0, low_open=True)
    if start is None:
        theta0 = _profile_start(N, D, L, delta)
    else:
        theta0 = np.array([math.log(start["E"]), math.log(start["A"]), math.log(start["B"]), start["alpha"],
                           start["beta"]], dtype=float)
    t, value = _lbfgs(_huber_2d, theta0, np.log(N), np.log(D), np.log(L), delta)
    return {"E": float(np.exp(t[0])), "A": float(np.exp(t[1])), "B": float(np.exp(t[2])), "alpha": float(t[3]),
            "beta": float(t[4]), "objective": value}


@dataclasses.dataclass(frozen=True)
class FittingConfig(runtime.ModeConfig):
    """Synthetic scaling study of §1: ``n_points`` sizes log-spaced in ``[x_min, x_max]``, law ``(E, A, α)``.

    The default law is Chinchilla's model-size term, ``E = 1.69``, ``A = 406.4``, ``α = 0.34``
    (Hoffmann et al. 2022), with 1% multiplicative noise.
    """

    n_points: int = validate.field(30, validate.integer, low=4)
    x_min: float = validate.field(1e5, validate.real, low=0.0, low_open=True)
    x_max: float = validate.field(1e9, validate.real, low=0.0, low_open=True)
    E: float = validate.field(1.69, validate.real, low=0.0)
    A: float = validate.field(406.4, validate.real, low=0.0, low_open=True)
    alpha: float = validate.field(0.34, validate.real, low=0.0, low_open=True)
    noise: float = validate.field(0.01, validate.real, low=0.0, high=1.0)
    n_seeds: int = validate.field(8, validate.integer, low=1)
    n_boot: int = validate.field(200, validate.integer, low=10)

    def check(self) -> None:
        validate.real("x_max", self.x_max, low=self.x_min, low_open=True)

    def sizes(self) -> np.ndarray:
        """The study's ``n_points`` sizes, log-spaced in ``[x_min, x_max]``."""
        return np.logspace(math.log10(self.x_min), math.log10(self.x_max), self.n_points)

    @classmethod
    def fast(cls) -> FittingConfig:
        return cls()

    @classmethod
    def full(cls) -> FittingConfig:
        return cls(n_seeds=32, n_boot=1000)  # ran in 204 s on the GPU beside 29 other pages (issue 22)

    def cost(self) -> runtime.Cost:
        """Host work: per seed, one fit and ``n_boot`` bootstrap refits (SciPy, about 5 ms each, counted as
        5·10⁷ FLOP-equivalents)."""
        return runtime.Cost(host_flops=5e7 * self.n_seeds * (self.n_boot + 1), bytes=8.0 * self.n_boot * self.n_points)

    def paper_scale(self) -> str:
        """A synthetic study (no paper's run): how many studies and refits, against Besiroglu et al.'s."""
        return (f"a synthetic study, not a paper's run: {self.n_seeds} studies of {self.n_points} sizes drawn from "
                f"Chinchilla's model-size law, {self.n_boot:,} bootstrap refits each (Besiroglu et al. used 4,000 on "
                f"Chinchilla's data): the coverage claim counts studies, and each end of a 95% interval rests on "
                f"the {self.n_boot * 0.025:.0f} outermost refits")


@dataclasses.dataclass(frozen=True)
class FittingResult:
    """Per seed: the data, the Huber fit, the naive fit and their 95% bootstrap intervals."""

    config: FittingConfig
    seeds: tuple[int, ...]
    x: np.ndarray  # (n_points,)
    y: np.ndarray  # (n_seeds, n_points)
    E: np.ndarray  # (n_seeds,)
    A: np.ndarray
    alpha: np.ndarray
    alpha_ci: np.ndarray  # (n_seeds, 2)
    alpha_ci80: np.ndarray  # (n_seeds, 2): the central 80% of the same bootstrap
    naive_A: np.ndarray
    naive_alpha: np.ndarray
    naive_ci: np.ndarray  # (n_seeds, 2)

    def _contains_alpha(self, ci: np.ndarray) -> np.ndarray:
        return (ci[:, 0] <= self.config.alpha) & (self.config.alpha <= ci[:, 1])

    @property
    def covered(self) -> np.ndarray:
        """Whether each seed's 95% interval for ``α`` contains the true exponent."""
        return self._contains_alpha(self.alpha_ci)

    @property
    def covered80(self) -> np.ndarray:
        """Whether each seed's 80% interval (the same bootstrap's 10th to 90th percentile) contains it."""
        return self._contains_alpha(self.alpha_ci80)

    @property
    def naive_covered(self) -> np.ndarray:
        return self._contains_alpha(self.naive_ci)


def draw_study(cfg: FittingConfig, seed: int) -> tuple[np.ndarray, jax.Array]:
    """One synthetic study of :func:`fitting_experiment`: its losses at ``cfg.sizes()`` and its bootstrap's key."""
    k_data, k_boot = jax.random.split(jax.random.key(seed))
    return sample_power_law(k_data, cfg.sizes(), E=cfg.E, A=cfg.A, alpha=cfg.alpha, noise=cfg.noise), k_boot


def fitting_experiment(cfg: FittingConfig, seeds: Sequence[int]) -> FittingResult:
    """§1 (``01-fitting``): draw one noisy scaling study per seed and fit it two ways, with bootstrap intervals.

    Implements the Approach-3 fit of Hoffmann et al. (2022) and the bootstrap of Besiroglu et al. (2024).
    """
    if not isinstance(cfg, FittingConfig):
        raise ValueError(f"cfg must be a FittingConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    x = cfg.sizes()
    rows: dict[str, list[Any]] = {k: [] for k in ("y", "E", "A", "alpha", "ci", "ci80", "nA", "na", "nci")}
    for s in seeds:
        y, k_boot = draw_study(cfg, s)
        fit = fit_power_law(x, y)
        boot = bootstrap_power_law(k_boot, x, y, fit, n_boot=cfg.n_boot)
        naive_A, naive_alpha = fit_loglinear(x, y)
        rows["y"].append(y)
        rows["E"].append(fit.E)
        rows["A"].append(fit.A)
        rows["alpha"].append(fit.alpha)
        rows["ci"].append(np.percentile(boot["alpha"], [2.5, 97.5]))
        rows["ci80"].append(np.percentile(boot["alpha"], [10.0, 90.0]))
        rows["nA"].append(naive_A)
        rows["na"].append(naive_alpha)
        rows["nci"].append(np.percentile(boot["naive_alpha"], [2.5, 97.5]))
    arr = {k: np.asarray(v, dtype=float) for k, v in rows.items()}
    return FittingResult(
        config=cfg, seeds=seeds, x=x, y=arr["y"], E=arr["E"], A=arr["A"], alpha=arr["alpha"], alpha_ci=arr["ci"],
        alpha_ci80=arr["ci80"], naive_A=arr["nA"], naive_alpha=arr["na"], naive_ci=arr["nci"],
    )


#: how many studies ``fit-coverage-64`` counts (page 1.1, fast configuration): the page's own and as many more
COVERAGE_STUDIES = 64
#: how many studies ``fit-exponent-spread-1024`` fits (fast configuration): the coverage studies and
#: :func:`dltheory.scaling.fit_precision.spread_seeds`' further ones
SPREAD_STUDIES = 1024


def page_runs(config: Callable[[type], Any]) -> runtime.Cost:
    """What page 1.1 runs, for :func:`dltheory.book.budget.page_cost` (``config`` gives the config the budget
    counts): its studies and, in the fast configuration, more up to :data:`COVERAGE_STUDIES`, fits without a
    bootstrap up to :data:`SPREAD_STUDIES`, least-squares fits of as many, and fits of the coverage studies at twice
    the noise (the nulls of the two spread claims)."""
    cfg, fast = config(FittingConfig), FittingConfig.fast()
    if cfg != fast:
        return cfg.cost()
    more = fast.replace(n_seeds=COVERAGE_STUDIES - fast.n_seeds).cost()
    per_fit = fast.cost().host_flops / (fast.n_seeds * (fast.n_boot + 1))  # priced as one bootstrap refit
    fits = runtime.Cost(host_flops=per_fit * 2 * SPREAD_STUDIES)
    return cfg.cost() + more + fits
