"""Chapter 1, *Scaling laws*: fitting power laws, compute-optimal allocation, and where the exponents come from.

Sections of ``chapters/01-scaling-laws``:

* §1 *Fitting a power law honestly* (``01-fitting``): the Approach-3 fit of Hoffmann et al. (2022),
  Huber loss on log-loss residuals minimised by L-BFGS from the best of a grid, with bootstrap intervals,
  against the naive straight line in log-log axes. :func:`fit_power_law`, :func:`fit_chinchilla`,
  :func:`fitting_experiment`.
* §2 *Spending a compute budget* (``02-compute-optimal``): ``N_opt ∝ C^{β/(α+β)}`` derived with sympy
  from ``L = E + A/N^α + B/D^β`` and ``C = 6ND``, evaluated with the published fits of Hoffmann et al.
  (2022) and Besiroglu et al. (2024). :func:`allocation_expressions`, :func:`compute_optimal`.
* §3 *Exponents from the spectrum* (``03-spectrum``): ridgeless regression on Gaussian data with a
  power-law covariance (Bordelon, Canatar and Pehlevan 2020; Bahri et al. 2021) and its dual, linear
  random features with unlimited data (Maloney, Roberts and Sully 2022). :func:`spectrum_experiment`,
  :func:`eigenlearning_risk`.
* §4 *Exponents from quanta* (``04-quanta``): the quantization model of Michaud et al. (2023).
  :func:`quanta_experiment`.
* §5 *A mini-Chinchilla* (``05-mini-chinchilla``): isoFLOP curves of small MLPs trained with
  :func:`dltheory.train.train`. :func:`isoflop_experiment`.
* §6 *Quanta in a network* (``06-quanta-network``): MLPs on the multitask sparse parity task of Michaud
  et al. (2023), whose subtasks are quanta with Zipfian frequencies. :func:`sparse_parity_experiment`.

Exercise checks (``exercises/01-scaling-laws``) are the ``check_*`` functions at the end.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
import sympy as sp
from jax.scipy.optimize import minimize as jax_minimize

from dltheory import runtime, selfcheck, train, validate

__all__ = [
    "CHINCHILLA",
    "CHINCHILLA_UNROUNDED",
    "EPOCH",
    "CHINCHILLA_COMPUTE",
    "power_law",
    "sample_power_law",
    "PowerLawFit",
    "fit_power_law",
    "fit_loglinear",
    "bootstrap_power_law",
    "FittingConfig",
    "FittingResult",
    "fitting_experiment",
    "chinchilla_loss",
    "sample_chinchilla",
    "fit_chinchilla",
    "allocation_expressions",
    "compute_optimal",
    "exponent_a",
    "tokens_per_parameter",
    "fit_exponent",
    "power_spectrum",
    "eigenlearning_risk",
    "projection_risk",
    "SpectrumConfig",
    "SpectrumResult",
    "spectrum_experiment",
    "zipf",
    "quanta_loss",
    "QuantaConfig",
    "QuantaResult",
    "quanta_experiment",
    "IsoflopConfig",
    "IsoflopResult",
    "isoflop_experiment",
    "isoflop_minima",
    "draw_isoflops",
    "kaplan_chinchilla_data",
    "check_exponent_a",
    "check_kaplan_vs_chinchilla",
    "check_data_exponent_hypothesis",
    "check_quanta_exponent",
    "sparse_parity_tasks",
    "subtask_frequencies",
    "sparse_parity_batch",
    "SparseParityConfig",
    "SparseParityResult",
    "sparse_parity_experiment",
]

# --------------------------------------------------------------------------- published fits (§2)

#: Hoffmann et al. (2022), Approach 3, as printed in the body of the paper (rounded).
CHINCHILLA: Mapping[str, float] = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
#: The same fit, unrounded, from the paper's TeX source (as used by Besiroglu et al. 2024).
CHINCHILLA_UNROUNDED: Mapping[str, float] = {
    "E": math.exp(0.5267228),
    "A": math.exp(6.0073404),
    "B": math.exp(6.0179186),
    "alpha": 0.33917084,
    "beta": 0.2849083,
}
#: Besiroglu, Erdil, Barnett and You (2024), their refit of Approach 3 on data reconstructed from Hoffmann's Fig. 4.
EPOCH: Mapping[str, float] = {"E": 1.817, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3659}
#: The training compute of Chinchilla itself: 70B parameters on 1.4T tokens, C = 6 N D.
CHINCHILLA_COMPUTE: float = 6 * 70e9 * 1.4e12

_LAW_KEYS = ("E", "A", "B", "alpha", "beta")


def _law(name: str, params: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(params, Mapping):
        raise ValueError(f"{name} must be a mapping with keys {_LAW_KEYS}, got {type(params).__name__}")
    missing = set(_LAW_KEYS) - set(params)
    if missing:
        raise ValueError(f"{name} is missing {sorted(missing)}; it needs {_LAW_KEYS}")
    out = {k: validate.real(f"{name}[{k!r}]", params[k], low=0.0, low_open=True) for k in _LAW_KEYS}
    return out


# --------------------------------------------------------------------------- §1 fitting


def power_law(x: Any, E: float, A: float, alpha: float) -> np.ndarray:
    """``L(x) = E + A·x^(-α)``: the one-variable law of §1 (``01-fitting``)."""
    x = validate.array("x", x, positive=True)
    E = validate.real("E", E, low=0.0)
    A = validate.real("A", A, low=0.0, low_open=True)
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    return E + A * x ** (-alpha)


def sample_power_law(key: jax.Array, x: Any, *, E: float, A: float, alpha: float, noise: float) -> np.ndarray:
    """Noisy observations ``L(x)·exp(σ ε)``, ``ε ~ N(0, 1)``: multiplicative noise of relative size ``σ = noise``.

    §1 (``01-fitting``). The noise is multiplicative because the losses of runs of a scaling study scatter
    by a roughly constant fraction, and the Approach-3 fit of Hoffmann et al. (2022) works in log-loss.
    """
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

    res = scipy_minimize(objective, start, args=args, jac=True, method="L-BFGS-B",
                         options={"maxiter": 10_000, "ftol": 1e-15, "gtol": 1e-12})
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


def fit_power_law(x: Any, y: Any, *, delta: float = 1e-3, start: PowerLawFit | None = None) -> PowerLawFit:
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
    """The naive fit: a straight line through ``(log x, log y)``, i.e. ``y = A·x^(-α)`` with no offset ``E``.

    Returns ``(A, α)``. This is the Kaplan-style form ``L = (x_c / x)^α`` of §1 (``01-fitting``); when the
    data have an irreducible loss ``E > 0`` it underestimates ``α``.
    """
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
    key: jax.Array, x: Any, y: Any, fit: PowerLawFit, *, n_boot: int = 200, delta: float = 1e-3
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


@dataclasses.dataclass(frozen=True)
class FittingConfig(runtime.ModeConfig):
    """Synthetic scaling study of §1: ``n_points`` sizes log-spaced in ``[x_min, x_max]``, law ``(E, A, α)``.

    The default law is Chinchilla's model-size term, ``E = 1.69``, ``A = 406.4``, ``α = 0.34``
    (Hoffmann et al. 2022), with 1% multiplicative noise.
    """

    n_points: int = 30
    x_min: float = 1e5
    x_max: float = 1e9
    E: float = 1.69
    A: float = 406.4
    alpha: float = 0.34
    noise: float = 0.01
    n_seeds: int = 8
    n_boot: int = 200

    def check(self) -> None:
        validate.integer("n_points", self.n_points, low=4)
        validate.real("x_min", self.x_min, low=0.0, low_open=True)
        validate.real("x_max", self.x_max, low=self.x_min, low_open=True)
        validate.real("E", self.E, low=0.0)
        validate.real("A", self.A, low=0.0, low_open=True)
        validate.real("alpha", self.alpha, low=0.0, low_open=True)
        validate.real("noise", self.noise, low=0.0, high=1.0)
        validate.integer("n_seeds", self.n_seeds, low=1)
        validate.integer("n_boot", self.n_boot, low=10)

    @classmethod
    def fast(cls) -> FittingConfig:
        return cls()

    @classmethod
    def full(cls) -> FittingConfig:
        return cls(n_seeds=32, n_boot=1000)


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
    naive_A: np.ndarray
    naive_alpha: np.ndarray
    naive_ci: np.ndarray  # (n_seeds, 2)

    @property
    def covered(self) -> np.ndarray:
        """Whether each seed's 95% interval for ``α`` contains the true exponent."""
        a = self.config.alpha
        return (self.alpha_ci[:, 0] <= a) & (a <= self.alpha_ci[:, 1])

    @property
    def naive_covered(self) -> np.ndarray:
        a = self.config.alpha
        return (self.naive_ci[:, 0] <= a) & (a <= self.naive_ci[:, 1])


def fitting_experiment(cfg: FittingConfig, seeds: Sequence[int]) -> FittingResult:
    """§1 (``01-fitting``): draw one noisy scaling study per seed and fit it two ways, with bootstrap intervals.

    Implements the Approach-3 fit of Hoffmann et al. (2022) and the bootstrap of Besiroglu et al. (2024).
    """
    if not isinstance(cfg, FittingConfig):
        raise ValueError(f"cfg must be a FittingConfig, got {type(cfg).__name__}")
    seeds = _seeds(seeds)
    x = np.logspace(math.log10(cfg.x_min), math.log10(cfg.x_max), cfg.n_points)
    rows: dict[str, list[Any]] = {k: [] for k in ("y", "E", "A", "alpha", "ci", "nA", "na", "nci")}
    for s in seeds:
        k_data, k_boot = jax.random.split(jax.random.key(s))
        y = sample_power_law(k_data, x, E=cfg.E, A=cfg.A, alpha=cfg.alpha, noise=cfg.noise)
        fit = fit_power_law(x, y)
        boot = bootstrap_power_law(k_boot, x, y, fit, n_boot=cfg.n_boot)
        naive_A, naive_alpha = fit_loglinear(x, y)
        rows["y"].append(y)
        rows["E"].append(fit.E)
        rows["A"].append(fit.A)
        rows["alpha"].append(fit.alpha)
        rows["ci"].append(np.percentile(boot["alpha"], [2.5, 97.5]))
        rows["nA"].append(naive_A)
        rows["na"].append(naive_alpha)
        rows["nci"].append(np.percentile(boot["naive_alpha"], [2.5, 97.5]))
    arr = {k: np.asarray(v, dtype=float) for k, v in rows.items()}
    return FittingResult(
        config=cfg, seeds=seeds, x=x, y=arr["y"], E=arr["E"], A=arr["A"], alpha=arr["alpha"], alpha_ci=arr["ci"],
        naive_A=arr["nA"], naive_alpha=arr["na"], naive_ci=arr["nci"],
    )


# --------------------------------------------------------------------------- §2 the two-variable law


def chinchilla_loss(N: Any, D: Any, params: Mapping[str, float]) -> np.ndarray:
    """``L(N, D) = E + A/N^α + B/D^β`` (Hoffmann et al. 2022, eq. 2), §2 (``02-compute-optimal``)."""
    p = _law("params", params)
    N = validate.array("N", N, positive=True, min_size=1)
    D = validate.array("D", D, positive=True, min_size=1)
    return p["E"] + p["A"] * N ** (-p["alpha"]) + p["B"] * D ** (-p["beta"])


def sample_chinchilla(key: jax.Array, N: Any, D: Any, params: Mapping[str, float], *, noise: float) -> np.ndarray:
    """Losses ``L(N, D)·exp(σ ε)`` of a synthetic scaling study (used in the exercises of Chapter 1)."""
    clean = chinchilla_loss(N, D, params)
    noise = validate.real("noise", noise, low=0.0, high=1.0)
    return clean * np.exp(noise * np.asarray(jax.random.normal(key, clean.shape), dtype=float))


def _huber_2d(theta: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray, delta: float) -> tuple[float, np.ndarray]:
    """Hoffmann et al.'s objective (eq. 10) and its gradient; theta = (log E, log A, log B, α, β)."""
    terms = np.stack([np.full_like(logN, theta[0]), theta[1] - theta[3] * logN, theta[2] - theta[4] * logD])
    top = terms.max(axis=0)
    weights = np.exp(terms - top)
    pred = top + np.log(weights.sum(axis=0))
    weights /= weights.sum(axis=0)
    r = pred - logL
    value = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum()
    g = np.clip(r, -delta, delta)
    grad = np.array([g @ weights[0], g @ weights[1], g @ weights[2], -(g * logN) @ weights[1], -(g * logD) @ weights[2]])
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
        raise ValueError("no positive (E, A, B) fits the data for any exponents in [0.05, 1.5]: are the losses decreasing in N and D?")
    return best


def fit_chinchilla(N: Any, D: Any, L: Any, *, delta: float = 1e-3) -> dict[str, float]:
    """Fit ``E + A/N^α + B/D^β`` by Huber loss on log-loss with L-BFGS (§2; Hoffmann et al. 2022, Approach 3).

    The start comes from a 30 × 30 grid of exponents, at each of which ``(E, A, B)`` is the non-negative
    least-squares solution of the (then linear) law; L-BFGS then minimises Hoffmann's objective
    ``Σ Huber_δ(log L̂ − log L)`` over ``(log E, log A, log B, α, β)`` in float64, with its exact gradient
    and a tight tolerance (Besiroglu et al. 2024 traced Hoffmann's estimates to an optimiser that stopped
    early). Returns ``{"E", "A", "B", "alpha", "beta", "objective"}``.
    """
    N = validate.array("N", N, ndim=1, positive=True, min_size=6)
    D = validate.array("D", D, ndim=1, positive=True, min_size=6)
    L = validate.array("L", L, ndim=1, positive=True, min_size=6)
    if not (N.shape == D.shape == L.shape):
        raise ValueError(f"N, D and L must have the same shape, got {N.shape}, {D.shape}, {L.shape}")
    delta = validate.real("delta", delta, low=0.0, low_open=True)
    start = _profile_start(N, D, L, delta)
    t, value = _lbfgs(_huber_2d, start, np.log(N), np.log(D), np.log(L), delta)
    return {"E": float(np.exp(t[0])), "A": float(np.exp(t[1])), "B": float(np.exp(t[2])), "alpha": float(t[3]),
            "beta": float(t[4]), "objective": value}


@functools.cache
def allocation_expressions() -> dict[str, sp.Expr]:
    """The compute-optimal allocation, derived with sympy (§2, ``02-compute-optimal``; Hoffmann et al. 2022, App. D.2).

    Substituting ``D = C/(6N)`` into ``L = E + A N^-α + B D^-β`` and solving ``∂L/∂N = 0`` gives
    ``N_opt = G (C/6)^(β/(α+β))`` with ``G = (αA/(βB))^(1/(α+β))``, and ``D_opt = C/(6 N_opt)``.
    Returns the sympy expressions ``N_opt``, ``D_opt``, ``L`` and the symbols used.
    """
    N, C, E, A, B, a, b = sp.symbols("N C E A B alpha beta", positive=True)
    D = C / (6 * N)
    loss = E + A / N**a + B / D**b
    solutions = sp.solve(sp.Eq(sp.diff(loss, N), 0), N)
    if len(solutions) != 1:  # pragma: no cover - sympy finds exactly one positive root
        raise RuntimeError(f"expected one stationary point, sympy found {solutions}")
    n_opt = sp.simplify(solutions[0])
    return {"N_opt": n_opt, "D_opt": sp.simplify(C / (6 * n_opt)), "L": loss,
            "symbols": (N, C, E, A, B, a, b)}  # type: ignore[dict-item]


@functools.cache
def _allocation_functions() -> tuple[Any, Any]:
    ex = allocation_expressions()
    _, C, E, A, B, a, b = ex["symbols"]
    args = (C, A, B, a, b)
    return sp.lambdify(args, ex["N_opt"], "numpy"), sp.lambdify(args, ex["D_opt"], "numpy")


def compute_optimal(C: Any, params: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """``(N_opt, D_opt)`` that minimise ``L(N, D)`` at compute ``C = 6ND`` (§2), from the sympy derivation."""
    p = _law("params", params)
    C = validate.array("C", C, positive=True)
    n_fn, d_fn = _allocation_functions()
    # logs keep the arithmetic in range for C up to 1e30 FLOP
    args = (p["A"], p["B"], p["alpha"], p["beta"])
    return np.asarray(n_fn(C, *args), dtype=float), np.asarray(d_fn(C, *args), dtype=float)


def exponent_a(params: Mapping[str, float]) -> float:
    """The exponent ``a`` of ``N_opt ∝ C^a``, read off the sympy solution: ``a = β/(α+β)`` (§2)."""
    p = _law("params", params)
    ex = allocation_expressions()
    _, C, *_ = ex["symbols"]
    a_expr = sp.simplify(sp.diff(sp.expand_log(sp.log(ex["N_opt"]), force=True), C) * C)
    _, _, E, A, B, al, be = ex["symbols"]
    return float(a_expr.subs({al: p["alpha"], be: p["beta"]}))


def tokens_per_parameter(C: Any, params: Mapping[str, float]) -> np.ndarray:
    """``D_opt / N_opt`` at compute ``C`` (§2): about 20 for Chinchilla itself."""
    n, d = compute_optimal(C, params)
    return d / n


# --------------------------------------------------------------------------- exponents


def fit_exponent(x: Any, y: Any) -> float:
    """The exponent ``p`` of ``y ∝ x^(-p)``: minus the least-squares slope in log-log axes.

    Used to read off measured exponents in §3–§5; ``y`` may be 2-D (one row per seed), then one
    exponent per row is returned as an array.
    """
    x = validate.array("x", x, ndim=1, positive=True, min_size=3)
    y = validate.array("y", y, ndim=(1, 2), positive=True)
    if y.shape[-1] != x.size:
        raise ValueError(f"y must have {x.size} entries along its last axis to match x, got shape {y.shape}")
    lx = np.log(x) - np.log(x).mean()
    ly = np.log(y)
    slopes = (ly - ly.mean(axis=-1, keepdims=True)) @ lx / np.sum(lx**2)
    return -slopes if y.ndim == 2 else float(-slopes)


# --------------------------------------------------------------------------- §3 spectra


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
    v2 = lam if target_power is None else validate.array("target_power", target_power, shape=lam.shape, nonnegative=True)
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
    """Teacher-averaged risk ``tr(P⊥_n Λ)`` after projecting on the span of ``n`` Gaussian vectors of covariance ``Λ``.

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
    """§3: spectrum ``λ_k = k^-(1+α)`` truncated at ``M`` modes; sample sizes / feature counts ``ns``."""

    alpha: float = 1.0
    M: int = 4096
    ns: tuple[int, ...] = (16, 32, 64, 128, 256, 512)
    n_seeds: int = 6

    def check(self) -> None:
        validate.real("alpha", self.alpha, low=0.0, low_open=True)
        validate.integer("M", self.M, low=4)
        ns = validate.array("ns", self.ns, ndim=1, positive=True, min_size=3)
        if np.any(np.diff(ns) <= 0) or ns[-1] * 4 > self.M:
            raise ValueError(f"ns must increase and stay below M/4 = {self.M // 4} (finite-M bias), got {self.ns}")
        validate.integer("n_seeds", self.n_seeds, low=1)

    @classmethod
    def fast(cls) -> SpectrumConfig:
        return cls()

    @classmethod
    def full(cls) -> SpectrumConfig:
        return cls(M=32768, ns=(16, 32, 64, 128, 256, 512, 1024, 2048), n_seeds=16)


@dataclasses.dataclass(frozen=True)
class SpectrumResult:
    config: SpectrumConfig
    seeds: tuple[int, ...]
    ns: np.ndarray
    data_risk: np.ndarray  # (n_seeds, len(ns)): n samples, unlimited features
    feature_risk: np.ndarray  # (n_seeds, len(ns)): n features, unlimited samples
    theory: np.ndarray  # eigenlearning prediction at the same M

    @property
    def data_exponent(self) -> np.ndarray:
        return fit_exponent(self.ns, self.data_risk)

    @property
    def feature_exponent(self) -> np.ndarray:
        return fit_exponent(self.ns, self.feature_risk)


def spectrum_experiment(cfg: SpectrumConfig, seeds: Sequence[int]) -> SpectrumResult:
    """§3 (``03-spectrum``): risk versus samples (features unlimited) and versus features (samples unlimited).

    Each seed draws independent Gaussian matrices for the two scans, so their agreement is a test of the
    data/parameter duality (Maloney, Roberts and Sully 2022), not an identity of the code.
    """
    if not isinstance(cfg, SpectrumConfig):
        raise ValueError(f"cfg must be a SpectrumConfig, got {type(cfg).__name__}")
    seeds = _seeds(seeds)
    lam = power_spectrum(cfg.alpha, cfg.M)
    ns = np.asarray(cfg.ns)
    data, feat = [], []
    for s in seeds:
        k_data, k_feat = jax.random.split(jax.random.key(s))
        data.append(projection_risk(k_data, lam, ns))
        feat.append(projection_risk(k_feat, lam, ns))
    return SpectrumResult(cfg, seeds, ns, np.asarray(data), np.asarray(feat), eigenlearning_risk(lam, ns))


# --------------------------------------------------------------------------- §4 quanta


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


@dataclasses.dataclass(frozen=True)
class QuantaConfig(runtime.ModeConfig):
    """§4: Zipf exponents ``alphas`` (``p_k ∝ k^-(α+1)``), ``K`` quanta, sample sizes ``Ds``, threshold ``tau``."""

    alphas: tuple[float, ...] = (0.4, 0.7, 1.0)
    K: int = 2**18
    Ds: tuple[float, ...] = (1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6)
    tau: int = 1
    n_seeds: int = 5

    def check(self) -> None:
        validate.array("alphas", self.alphas, ndim=1, positive=True)
        validate.integer("K", self.K, low=16)
        validate.array("Ds", self.Ds, ndim=1, positive=True, min_size=3)
        validate.integer("tau", self.tau, low=1)
        validate.integer("n_seeds", self.n_seeds, low=1)

    @classmethod
    def fast(cls) -> QuantaConfig:
        return cls()

    @classmethod
    def full(cls) -> QuantaConfig:
        return cls(K=2**22, Ds=tuple(float(d) for d in np.logspace(3, 8, 11)), n_seeds=20)


@dataclasses.dataclass(frozen=True)
class QuantaResult:
    config: QuantaConfig
    seeds: tuple[int, ...]
    Ds: np.ndarray
    loss: np.ndarray  # (n_alphas, n_seeds, len(Ds))

    @property
    def data_exponent(self) -> np.ndarray:
        """Fitted exponent of loss versus ``D``, shape ``(n_alphas, n_seeds)``."""
        return np.stack([fit_exponent(self.Ds, row) for row in self.loss])

    @property
    def predicted(self) -> np.ndarray:
        a = np.asarray(self.config.alphas)
        return a / (1.0 + a)


def quanta_experiment(cfg: QuantaConfig, seeds: Sequence[int]) -> QuantaResult:
    """§4 (``04-quanta``): data scaling of the quantization model for several Zipf exponents (Michaud et al. 2023)."""
    if not isinstance(cfg, QuantaConfig):
        raise ValueError(f"cfg must be a QuantaConfig, got {type(cfg).__name__}")
    seeds = _seeds(seeds)
    Ds = np.asarray(cfg.Ds, dtype=float)
    loss = np.stack(
        [
            np.stack([quanta_loss(jax.random.fold_in(jax.random.key(s), i), zipf(a, cfg.K), Ds, tau=cfg.tau) for s in seeds])
            for i, a in enumerate(cfg.alphas)
        ]
    )
    return QuantaResult(cfg, seeds, Ds, loss)


# --------------------------------------------------------------------------- §5 a mini-Chinchilla


@dataclasses.dataclass(frozen=True)
class IsoflopConfig(runtime.ModeConfig):
    """§5: one-hidden-layer ReLU MLPs of ``widths`` on a fixed random teacher in ``d`` dimensions.

    The teacher is ``f(x) = Σ_k c_k cos(ω_k·x + φ_k)`` with ``K`` random frequencies ``ω_k ~ N(0, I)``
    and amplitudes ``c_k ∝ k^-teacher_decay`` (unit variance); inputs ``x ~ N(0, I_d)``. Training is
    single-epoch (a fresh batch every step), Adam at a constant learning rate, so a run that has taken
    ``s`` steps has seen ``D = s·batch`` samples. A model of width ``w`` has ``N = (d+2)w + 1`` parameters.
    """

    d: int = 8
    K: int = 256
    teacher_decay: float = 1.0
    widths: tuple[int, ...] = (4, 8, 16, 32, 64, 128)
    batch: int = 32
    steps: int = 16000
    eval_every: int = 200
    lr: float = 1e-2
    n_test: int = 1024
    n_seeds: int = 3

    def check(self) -> None:
        validate.integer("d", self.d, low=1)
        validate.integer("K", self.K, low=1)
        validate.real("teacher_decay", self.teacher_decay, low=0.0)
        validate.increasing_integers("widths", self.widths, min_size=3)
        validate.integer("batch", self.batch, low=1)
        validate.schedule(self.steps, self.eval_every)
        validate.real("lr", self.lr, low=0.0, low_open=True)
        validate.integer("n_test", self.n_test, low=16)
        validate.integer("n_seeds", self.n_seeds, low=1)

    @property
    def params(self) -> np.ndarray:
        return (self.d + 2) * np.asarray(self.widths, dtype=float) + 1

    @property
    def budgets(self) -> np.ndarray:
        """The compute budgets (FLOP) of the isoFLOP analysis: six, log-spaced from 3e7 to 6e8 (fast mode)."""
        return np.logspace(7.5, 8.75, 6) if self.steps <= 16000 else np.logspace(7.5, 9.75, 10)

    @classmethod
    def fast(cls) -> IsoflopConfig:
        return cls()

    @classmethod
    def full(cls) -> IsoflopConfig:
        return cls(widths=(4, 8, 16, 32, 64, 128, 256, 512), steps=64000, eval_every=400, n_test=4096, n_seeds=8)


@dataclasses.dataclass(frozen=True)
class IsoflopResult:
    config: IsoflopConfig
    seeds: tuple[int, ...]
    N: np.ndarray  # (n_sizes,) parameters
    D: np.ndarray  # (n_evals,) samples seen at each evaluation (the first, D = 0, is dropped)
    loss: np.ndarray  # (n_seeds, n_sizes, n_evals) test MSE
    wall_time: float


def _teacher(cfg: IsoflopConfig) -> tuple[jax.Array, jax.Array, jax.Array]:
    k_om, k_ph = jax.random.split(jax.random.key(10_000))  # one fixed teacher for every seed
    omega = jax.random.normal(k_om, (cfg.d, cfg.K))
    phase = jax.random.uniform(k_ph, (cfg.K,), maxval=2 * jnp.pi)
    c = jnp.arange(1, cfg.K + 1, dtype=jnp.float32) ** -cfg.teacher_decay
    return omega, phase, c * jnp.sqrt(2.0 / jnp.sum(c**2))  # E[f²] = Σ c²/2 = 1


def isoflop_experiment(cfg: IsoflopConfig, seeds: Sequence[int], *, progress: bool | None = None) -> IsoflopResult:
    """§5 (``05-mini-chinchilla``): train every width and seed at once and record test loss against samples seen.

    All widths run in one compiled program (:func:`dltheory.train.train`, vmapped over seeds × widths):
    each run holds a network of the largest width whose hidden units beyond its own width are masked
    out, so they get no gradient and never move (Adam's update of a zero gradient is zero). This is the
    isoFLOP design of Hoffmann et al. (2022, Approach 2) at toy scale.
    """
    if not isinstance(cfg, IsoflopConfig):
        raise ValueError(f"cfg must be an IsoflopConfig, got {type(cfg).__name__}")
    seeds = _seeds(seeds)
    omega, phase, amp = _teacher(cfg)
    wmax = max(cfg.widths)

    def teacher(x: jax.Array) -> jax.Array:
        return jnp.cos(x @ omega + phase) @ amp

    x_test = jax.random.normal(jax.random.key(10_001), (cfg.n_test, cfg.d))
    y_test = teacher(x_test)

    def mask(hp: Mapping[str, jax.Array]) -> jax.Array:
        return (jnp.arange(wmax) < hp["width"]).astype(jnp.float32)

    def init(key: jax.Array, hp: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        k1, k2 = jax.random.split(key)
        m = mask(hp)
        return {
            "w1": jax.random.normal(k1, (cfg.d, wmax)) * jnp.sqrt(2.0 / cfg.d) * m,
            "b1": jnp.zeros((wmax,)),
            "w2": jax.random.normal(k2, (wmax,)) / jnp.sqrt(hp["width"]) * m,
            "b2": jnp.zeros(()),
        }

    def apply(p: dict[str, jax.Array], x: jax.Array, hp: Mapping[str, jax.Array]) -> jax.Array:
        h = jax.nn.relu(x @ p["w1"] + p["b1"]) * mask(hp)
        return h @ p["w2"] + p["b2"]

    def loss(p: dict[str, jax.Array], batch: tuple[jax.Array, jax.Array], hp: Mapping[str, jax.Array]) -> jax.Array:
        x, y = batch
        return jnp.mean((apply(p, x, hp) - y) ** 2)

    def draw(key: jax.Array, _: Any) -> tuple[jax.Array, jax.Array]:
        x = jax.random.normal(key, (cfg.batch, cfg.d))
        return x, teacher(x)

    def evaluate(p: dict[str, jax.Array], hp: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        return {"test": jnp.mean((apply(p, x_test, hp) - y_test) ** 2)}

    hist = train.train(
        init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.eval_every, seeds=seeds,
        batch=draw, data=jnp.zeros(()), evaluate=evaluate, hparams={"width": list(cfg.widths)},
        progress=progress, desc="isoFLOP sweep", checkpoint=("scaling.isoflop_experiment", cfg),
    )
    return IsoflopResult(
        config=cfg, seeds=seeds, N=cfg.params, D=hist.steps[1:].astype(float) * cfg.batch,
        loss=np.asarray(hist["test"][:, :, 1:], dtype=float), wall_time=hist.wall_time,
    )


def isoflop_minima(result: IsoflopResult, budgets: Any, *, seeds: Any = None) -> dict[str, np.ndarray]:
    """The isoFLOP analysis of §5 (Hoffmann et al. 2022, Approach 2).

    For each budget ``C``, a model of ``N`` parameters trains on ``D = C/(6N)`` samples; its loss is read
    off its learning curve (log-log interpolation; sizes whose ``D`` falls outside the recorded range are
    left out). The seed-mean isoFLOP curve gets a parabola in ``log N`` through its lowest point and its
    two neighbours, whose vertex is ``N_opt(C)``. ``interior`` says whether the lowest point has a valid
    neighbour on both sides. ``seeds`` (indices into the result's seeds, repeats allowed) selects the runs
    to average, for a bootstrap over seeds. Returns ``curves`` (budgets × sizes), ``N_opt``, ``interior``.
    """
    if not isinstance(result, IsoflopResult):
        raise ValueError(f"result must be an IsoflopResult, got {type(result).__name__}")
    budgets = validate.array("budgets", budgets, ndim=1, positive=True)
    idx = np.arange(len(result.seeds)) if seeds is None else np.asarray(
        validate.array("seeds", seeds, ndim=1, nonnegative=True, dtype=int)
    )
    if idx.max() >= len(result.seeds):
        raise ValueError(f"seeds must index the result's {len(result.seeds)} seeds, got max {idx.max()}")
    mean_loss = np.exp(np.mean(np.log(result.loss[idx]), axis=0))  # (sizes, evals), geometric mean
    logD = np.log(result.D)
    curves = np.full((budgets.size, result.N.size), np.nan)
    for i, C in enumerate(budgets):
        for j, N in enumerate(result.N):
            d = math.log(C / (6 * N))
            if logD[0] <= d <= logD[-1]:
                curves[i, j] = math.exp(np.interp(d, logD, np.log(mean_loss[j])))
    n_opt = np.full(budgets.size, np.nan)
    interior = np.zeros(budgets.size, dtype=bool)
    logN = np.log(result.N)
    for i in range(budgets.size):
        row = curves[i]
        if np.sum(np.isfinite(row)) < 3:
            continue
        j = int(np.nanargmin(row))
        if 0 < j < row.size - 1 and np.isfinite(row[j - 1]) and np.isfinite(row[j + 1]):
            interior[i] = True
            c2, c1, _ = np.polyfit(logN[j - 1 : j + 2], np.log(row[j - 1 : j + 2]), 2)
            n_opt[i] = math.exp(-c1 / (2 * c2)) if c2 > 0 else result.N[j]
        else:
            n_opt[i] = result.N[j]
    return {"curves": curves, "N_opt": n_opt, "interior": interior}


# --------------------------------------------------------------------------- helpers


def _seeds(seeds: Sequence[int]) -> tuple[int, ...]:
    if isinstance(seeds, (int, np.integer)) or not isinstance(seeds, Sequence) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of integers, got {seeds!r}")
    return tuple(validate.integer("seeds[i]", s, low=0) for s in seeds)


# --------------------------------------------------------------------------- figures


def draw_isoflops(ax: Any, params: Mapping[str, float], budgets: Any, *, n_range: tuple[float, float] = (1e7, 1e12)) -> None:
    """Draw the isoFLOP curves ``L(N, C/(6N))`` of a law and its compute-optimal frontier (§2 and its explorer)."""
    from dltheory import plot

    p = _law("params", params)
    budgets = validate.array("budgets", budgets, ndim=1, positive=True)
    lo = validate.real("n_range[0]", n_range[0], low=0.0, low_open=True)
    hi = validate.real("n_range[1]", n_range[1], low=lo, low_open=True)
    N = np.logspace(math.log10(lo), math.log10(hi), 200)
    for i, C in enumerate(budgets):
        ax.plot(N, chinchilla_loss(N, C / (6 * N), p), color=plot.COLORS[i % len(plot.COLORS)], label=f"C = {C:.0e} FLOP")
    n_opt, d_opt = compute_optimal(budgets, p)
    ax.plot(n_opt, chinchilla_loss(n_opt, d_opt, p), "k*", ms=10, zorder=6, label=r"$N_{\mathrm{opt}}(C)$")
    ax.set_xscale("log")
    ax.set_xlabel("parameters $N$")
    ax.set_ylabel("loss $L(N, C/6N)$")


# --------------------------------------------------------------------------- exercise checks


def check_exponent_a(a: Any, params: Mapping[str, float]) -> float:
    """Exercise ``ex-01-exponent``: the exponent ``a`` of ``N_opt ∝ C^a`` for the law ``params``."""
    selfcheck.answered("a", a)
    expected = exponent_a(params)
    return selfcheck.number(
        "a", a, expected, rtol=2e-3,
        hint="substitute D = C/(6N), set ∂L/∂N = 0, and read off the power of C in N_opt; it involves only α and β.",
        explain=f"a = β/(α+β) = {expected:.4f}: the data exponent sets how fast the model should grow.",
    )


def kaplan_chinchilla_data(seed: int = 0) -> dict[str, np.ndarray]:
    """Two sweeps of a synthetic study drawn from the refit of Besiroglu et al. (exercise ``ex-01-kaplan``).

    ``N_sweep``: sizes ``1e7..1e10`` at ``D = 1e12`` tokens; ``D_sweep``: tokens ``1e9..1e12`` at ``N = 1e11``;
    1% multiplicative noise. Returns ``N``, ``D``, ``L`` for each sweep (keys ``N_sweep``/``D_sweep`` as
    ``(N, D, L)`` stacked rows) and their concatenation ``N``, ``D``, ``L``.
    """
    seed = validate.integer("seed", seed, low=0)
    k_n, k_d = jax.random.split(jax.random.key(seed))
    n = np.logspace(7, 10, 16)
    d = np.logspace(9, 12, 16)
    ln = sample_chinchilla(k_n, n, np.full_like(n, 1e12), EPOCH, noise=0.01)
    ld = sample_chinchilla(k_d, np.full_like(d, 1e11), d, EPOCH, noise=0.01)
    return {
        "N_sweep": np.stack([n, np.full_like(n, 1e12), ln]),
        "D_sweep": np.stack([np.full_like(d, 1e11), d, ld]),
        "N": np.concatenate([n, np.full_like(d, 1e11)]),
        "D": np.concatenate([np.full_like(n, 1e12), d]),
        "L": np.concatenate([ln, ld]),
    }


def _kaplan_chinchilla_answers(seed: int) -> tuple[float, float]:
    data = kaplan_chinchilla_data(seed)
    _, alpha_n = fit_loglinear(data["N_sweep"][0], data["N_sweep"][2])
    _, beta_d = fit_loglinear(data["D_sweep"][1], data["D_sweep"][2])
    fit = fit_chinchilla(data["N"], data["D"], data["L"])
    return beta_d / (alpha_n + beta_d), exponent_a(fit)


def check_kaplan_vs_chinchilla(a_kaplan: Any, a_chinchilla: Any, *, seed: int = 0) -> None:
    """Exercise ``ex-01-kaplan``: ``a`` from straight-line fits of each sweep, and ``a`` from the fit with offset."""
    selfcheck.answered("a_kaplan", a_kaplan)
    selfcheck.answered("a_chinchilla", a_chinchilla)
    want_k, want_c = _kaplan_chinchilla_answers(seed)
    selfcheck.number("a_kaplan", a_kaplan, want_k, rtol=1e-2,
                     hint="fit_loglinear on each sweep gives the two naive exponents; a = β/(α+β).")
    selfcheck.number("a_chinchilla", a_chinchilla, want_c, rtol=2e-2,
                     hint="fit_chinchilla on all points at once, then exponent_a of the fit.")
    selfcheck.correct(f"Same data, two conclusions: a = {want_k:.3f} without the offset E, {want_c:.3f} with it "
                      f"(the law that made the data has a = {exponent_a(EPOCH):.3f}).")


def check_data_exponent_hypothesis(hypothesis_holds: Any, exponent: Any, *, alpha: float = 1.0, M: int = 4096) -> None:
    """Exercise ``ex-01-hypothesis``: does the data exponent depend only on the spectrum, not on the teacher?

    The test: a teacher with power ``v_k² = λ_k k^-1`` on the spectrum ``λ_k = k^-(1+α)``, risk from
    :func:`eigenlearning_risk` at ``n = 16..512``.
    """
    selfcheck.answered("exponent", exponent)
    lam = power_spectrum(alpha, M)
    ns = np.array([16, 32, 64, 128, 256, 512])
    measured = fit_exponent(ns, eigenlearning_risk(lam, ns, target_power=lam / np.arange(1, M + 1)))
    selfcheck.number("exponent", exponent, measured, rtol=2e-2,
                     hint="use eigenlearning_risk(lam, ns, target_power=lam / k) and fit_exponent.")
    selfcheck.boolean(
        "hypothesis_holds", hypothesis_holds, abs(measured - alpha) < 0.1,
        why=f"with a faster-decaying teacher the exponent is {measured:.2f}, not α = {alpha:g}: the unlearnt tail "
        "carries the teacher's power, so both the spectrum and the teacher set the exponent.",
    )


def check_quanta_exponent(alpha_D: Any, zipf_exponent: float) -> float:
    """Exercise ``ex-01-quanta``: the data exponent of the quantization model for use frequencies ``∝ k^-zipf_exponent``."""
    zipf_exponent = validate.real("zipf_exponent", zipf_exponent, low=1.0, low_open=True)
    alpha = zipf_exponent - 1.0
    return selfcheck.number(
        "alpha_D", alpha_D, alpha / (alpha + 1.0), rtol=1e-2,
        hint="the Zipf exponent is α + 1; the data exponent is α/(α+1).",
        explain=f"α = {alpha:.3g}, so the loss falls as D^-{alpha / (alpha + 1):.3g}.",
    )


# --------------------------------------------------------------------------- §6 quanta in a network


def sparse_parity_tasks(n_tasks: int, n: int, k: int, *, seed: int = 0) -> np.ndarray:
    """The subtasks of multitask sparse parity (§6, ``06-quanta-network``; Michaud et al. 2023).

    Returns an ``(n_tasks, n)`` 0/1 mask whose row ``i`` marks the ``k`` task bits whose parity is the
    label of subtask ``i``. The subsets are distinct and drawn once from ``seed``, so every training run
    of an experiment learns the same subtasks.
    """
    n_tasks = validate.integer("n_tasks", n_tasks, low=1)
    n = validate.integer("n", n, low=1)
    k = validate.integer("k", k, low=1, high=n)
    if math.comb(n, k) < n_tasks:
        raise ValueError(f"n_tasks must be at most C(n, k) = {math.comb(n, k)} distinct subsets, got {n_tasks}")
    seed = validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    subsets: list[tuple[int, ...]] = []
    while len(subsets) < n_tasks:
        s = tuple(sorted(rng.choice(n, size=k, replace=False).tolist()))
        if s not in subsets:
            subsets.append(s)
    mask = np.zeros((n_tasks, n), dtype=np.float32)
    for i, s in enumerate(subsets):
        mask[i, list(s)] = 1.0
    return mask


def subtask_frequencies(zipf_exponent: float, n_tasks: int) -> np.ndarray:
    """``p_i ∝ i^-zipf_exponent``, ``i = 1..n_tasks``, normalised over the ``n_tasks`` subtasks (§6).

    ``zipf_exponent = α + 1`` in the notation of Michaud et al. (2023); ``0`` gives uniform frequencies.
    """
    z = validate.real("zipf_exponent", zipf_exponent, low=0.0)
    n_tasks = validate.integer("n_tasks", n_tasks, low=1)
    p = np.arange(1, n_tasks + 1, dtype=float) ** -z
    return p / p.sum()


def sparse_parity_batch(key: jax.Array, masks: Any, p: Any, size: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Draw ``size`` samples of multitask sparse parity (§6; Michaud et al. 2023).

    Each sample picks subtask ``i`` with probability ``p_i``; its input is the one-hot code of ``i``
    (``n_tasks`` control bits) followed by ``n`` uniform random task bits, and its label is the parity of
    the task bits that ``masks[i]`` marks. Returns ``(x, y, task)``: inputs ``(size, n_tasks + n)`` in
    {0, 1}, labels ``(size,)`` in {0, 1} and subtask indices ``(size,)``. Pure and jit-compatible.
    """
    masks = jnp.asarray(masks, jnp.float32)
    n = masks.shape[1]
    cdf = jnp.cumsum(jnp.asarray(p, jnp.float32))
    # random 32-bit words, few per sample: the first picks the subtask (inverse CDF), the others supply
    # the task bits, 32 to a word (much cheaper on a CPU than one random draw per bit)
    words = jax.random.bits(key, (1 + -(-n // 32), size), jnp.uint32)
    u = (words[0] >> 8).astype(jnp.float32) * (cdf[-1] / 2.0**24)
    task = jnp.minimum(jnp.searchsorted(cdf, u, side="right"), masks.shape[0] - 1)
    j = jnp.arange(n, dtype=jnp.uint32)
    bits = ((words[1 + j // 32].T >> (j % 32)) & 1).astype(jnp.float32)
    y = (jnp.sum(bits * masks[task], axis=1) % 2).astype(jnp.int32)
    x = jnp.concatenate([jax.nn.one_hot(task, masks.shape[0], dtype=jnp.float32), bits], axis=1)
    return x, y, task


@dataclasses.dataclass(frozen=True)
class SparseParityConfig(runtime.ModeConfig):
    """§6: one-hidden-layer ReLU MLPs on multitask sparse parity (Michaud et al. 2023, Sec. 3).

    ``n_tasks`` subtasks with frequencies ``p_i ∝ i^-zipf`` (``zipf = α + 1``; ``0`` = uniform), each the
    parity of its own ``k`` of the ``n`` task bits. Networks of every width in ``widths`` train at once
    (masked hidden units, as in §5) with Adam at learning rate ``lr`` on fresh batches of ``batch``
    samples for ``steps`` steps (the single-epoch regime, so steps and samples seen are proportional).
    Every ``eval_every`` steps the cross-entropy of each subtask is measured on ``n_test`` fixed samples
    of it; the mean test loss weights the subtasks by their frequencies. The paper's configuration
    (``full``): 500 subtasks, n = 100, k = 3, zipf = 1.4, 30 log-spaced widths from 9 to 500 (as the paper's
    code computes them), batch 20,000, 2×10^5 steps, Adam at learning rate 10^-3.
    """

    n_tasks: int = 32
    n: int = 8
    k: int = 3
    zipf: float = 1.4
    widths: tuple[int, ...] = (8, 16, 32, 64, 128)
    batch: int = 256
    steps: int = 6000
    eval_every: int = 50
    lr: float = 1e-2
    n_test: int = 128
    learned_bits: float = 0.1
    task_seed: int = 0
    n_seeds: int = 3

    def check(self) -> None:
        validate.integer("n_tasks", self.n_tasks, low=2)
        validate.integer("n", self.n, low=2)
        validate.integer("k", self.k, low=1, high=self.n)
        if math.comb(self.n, self.k) < self.n_tasks:
            raise ValueError(f"n_tasks must be at most C(n, k) = {math.comb(self.n, self.k)}, got {self.n_tasks}")
        validate.real("zipf", self.zipf, low=0.0)
        validate.increasing_integers("widths", self.widths)
        validate.integer("batch", self.batch, low=1)
        validate.schedule(self.steps, self.eval_every)
        validate.real("lr", self.lr, low=0.0, low_open=True)
        validate.integer("n_test", self.n_test, low=8)
        validate.real("learned_bits", self.learned_bits, low=0.0, high=1.0, low_open=True)
        validate.integer("task_seed", self.task_seed, low=0)
        validate.integer("n_seeds", self.n_seeds, low=1)

    @property
    def alpha(self) -> float:
        """The quanta exponent ``α = zipf − 1`` of ``p_i ∝ i^-(α+1)``."""
        return self.zipf - 1.0

    @property
    def params(self) -> np.ndarray:
        """Parameters of each width: ``(n_tasks + n + 1)·w`` in the hidden layer and ``2w + 2`` in the output."""
        return (self.n_tasks + self.n + 3) * np.asarray(self.widths, dtype=float) + 2

    @classmethod
    def fast(cls) -> SparseParityConfig:
        return cls()

    @classmethod
    def full(cls) -> SparseParityConfig:
        widths = tuple(sorted({int(w) for w in np.power(2, np.linspace(np.log2(10), np.log2(500), 30))}))
        return cls(n_tasks=500, n=100, k=3, zipf=1.4, widths=widths, batch=20000, steps=200_000,
                   eval_every=1000, lr=1e-3, n_test=1000, n_seeds=3)


@dataclasses.dataclass(frozen=True)
class SparseParityResult:
    config: SparseParityConfig
    seeds: tuple[int, ...]
    N: np.ndarray  # (n_widths,) parameters
    steps: np.ndarray  # (n_evals,) step of each evaluation, starting at 0
    p: np.ndarray  # (n_tasks,) subtask frequencies
    subtask_loss: np.ndarray  # (n_seeds, n_widths, n_evals, n_tasks) test cross-entropy in bits
    wall_time: float

    @property
    def loss(self) -> np.ndarray:
        """Mean test loss in bits, subtasks weighted by frequency: ``(n_seeds, n_widths, n_evals)``."""
        return self.subtask_loss @ self.p

    @property
    def emergence(self) -> np.ndarray:
        """Step at which each subtask's loss first falls below ``learned_bits`` (``inf`` if never).

        Shape ``(n_seeds, n_widths, n_tasks)``.
        """
        hit = self.subtask_loss < self.config.learned_bits
        first = np.argmax(hit, axis=2)
        out = self.steps[first].astype(float)
        out[~hit.any(axis=2)] = np.inf
        return out

    @property
    def param_exponent(self) -> np.ndarray:
        """``α_N`` per seed: minus the log-log slope of the final mean loss against parameters, over all widths.

        The fit of Michaud et al. (a straight line through every width's final loss), done with
        :func:`fit_exponent`. Needs at least three widths.
        """
        if self.N.size < 3:
            raise ValueError(f"param_exponent needs at least 3 widths, the config has {self.N.size}")
        return fit_exponent(self.N, self.loss[:, :, -1])

    def step_window(self, width: int = -1) -> np.ndarray:
        """Per seed, the evaluation steps in which the power law in steps is fitted: a boolean ``(n_seeds, n_evals)``.

        From the emergence of the first subtask until half of the subtasks are learned (or the run ends):
        before it nothing is learned yet, after it the finite number of subtasks cuts the tail off.
        """
        em = np.sort(self.emergence[:, width], axis=-1)
        start, stop = em[:, 0], em[:, self.config.n_tasks // 2 - 1]
        return (self.steps[None, :] >= start[:, None]) & (self.steps[None, :] <= stop[:, None])

    def step_exponent(self, width: int = -1) -> np.ndarray:
        """``α_S`` per seed: minus the log-log slope of mean loss against steps within :meth:`step_window`.

        ``nan`` for a seed whose window holds fewer than three evaluations.
        """
        window = self.step_window(width)
        out = np.full(len(self.seeds), np.nan)
        for s in range(len(self.seeds)):
            if window[s].sum() >= 3:
                out[s] = fit_exponent(self.steps[window[s]], self.loss[s, width, window[s]])
        return out

    def order_correlation(self, width: int = -1) -> np.ndarray:
        """Spearman correlation, per seed, between a subtask's frequency rank and the step at which it emerges.

        ``1`` means subtasks are learned exactly in order of decreasing frequency; subtasks never learned
        share the last rank. ``nan`` for a seed on which every subtask emerges at the same step (or none does).
        """
        from scipy.stats import spearmanr

        rank = np.arange(self.config.n_tasks)
        return np.array([np.nan if np.all(em == em[0]) else spearmanr(rank, em).statistic
                         for em in self.emergence[:, width]])

    def drop_decades(self, width: int = -1, *, high: float = 0.9, low: float = 0.1) -> np.ndarray:
        """Per seed, ``log10(S_low / S_high)``: how many decades of steps the mean loss takes to fall from
        ``high`` to ``low`` times its initial value (``inf`` if it never gets to ``low``).

        Small for an abrupt drop (one step of a staircase), large for a smooth power law.
        """
        high = validate.real("high", high, low=0.0, high=1.0, low_open=True, high_open=True)
        low = validate.real("low", low, low=0.0, high=high, low_open=True, high_open=True)
        loss = self.loss[:, width]
        out = np.empty(len(self.seeds))
        for s in range(len(self.seeds)):
            s_hi = self.steps[np.argmax(loss[s] <= high * loss[s, 0])]
            below = loss[s] <= low * loss[s, 0]
            out[s] = math.log10(self.steps[np.argmax(below)] / max(s_hi, 1)) if below.any() else np.inf
        return out


def sparse_parity_experiment(cfg: SparseParityConfig, seeds: Sequence[int], *, progress: bool | None = None) -> SparseParityResult:
    """§6 (``06-quanta-network``): train MLPs of every width and seed on multitask sparse parity.

    The neural-network test of the quantization model of Michaud et al. (2023): one compiled program
    (:func:`dltheory.train.train`, vmapped over seeds × widths, narrower networks masked inside the
    widest as in :func:`isoflop_experiment`) records the test cross-entropy of every subtask, in bits,
    every ``eval_every`` steps. Inputs are 0/1 bits as in the paper; initialisation is PyTorch's default
    for linear layers (uniform in ±1/√fan_in), the optimiser Adam, as in the paper's code.
    """
    if not isinstance(cfg, SparseParityConfig):
        raise ValueError(f"cfg must be a SparseParityConfig, got {type(cfg).__name__}")
    seeds = _seeds(seeds)
    masks = jnp.asarray(sparse_parity_tasks(cfg.n_tasks, cfg.n, cfg.k, seed=cfg.task_seed))
    p = subtask_frequencies(cfg.zipf, cfg.n_tasks)
    d_in, wmax = cfg.n_tasks + cfg.n, max(cfg.widths)
    # a fixed test set: n_test samples of every subtask, the same for every run
    eye = np.repeat(np.arange(cfg.n_tasks), cfg.n_test)
    bits = jax.random.bernoulli(jax.random.key(10_002 + cfg.task_seed), 0.5, (eye.size, cfg.n)).astype(jnp.float32)
    y_test = (jnp.sum(bits * masks[eye], axis=1) % 2).astype(jnp.int32)
    x_test = jnp.concatenate([jax.nn.one_hot(eye, cfg.n_tasks, dtype=jnp.float32), bits], axis=1)
    p_dev = jnp.asarray(p, jnp.float32)

    def mask(hp: Mapping[str, jax.Array]) -> jax.Array:
        return (jnp.arange(wmax) < hp["width"]).astype(jnp.float32)

    def init(key: jax.Array, hp: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        k1, k2, k3, k4 = jax.random.split(key, 4)
        b1, b2 = 1.0 / math.sqrt(d_in), 1.0 / jnp.sqrt(hp["width"])
        m = mask(hp)
        return {
            "w1": jax.random.uniform(k1, (d_in, wmax), minval=-b1, maxval=b1) * m,
            "b1": jax.random.uniform(k2, (wmax,), minval=-b1, maxval=b1) * m,
            "w2": jax.random.uniform(k3, (wmax, 2), minval=-b2, maxval=b2) * m[:, None],
            "b2": jax.random.uniform(k4, (2,), minval=-b2, maxval=b2),
        }

    def logits(prm: dict[str, jax.Array], x: jax.Array, hp: Mapping[str, jax.Array]) -> jax.Array:
        h = jax.nn.relu(x @ prm["w1"] + prm["b1"]) * mask(hp)
        return h @ prm["w2"] + prm["b2"]

    def loss(prm: dict[str, jax.Array], batch: tuple[jax.Array, jax.Array], hp: Mapping[str, jax.Array]) -> jax.Array:
        x, y = batch
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits(prm, x, hp), y))

    def draw(key: jax.Array, _: Any) -> tuple[jax.Array, jax.Array]:
        x, y, _task = sparse_parity_batch(key, masks, p_dev, cfg.batch)
        return x, y

    x_by_task = x_test.reshape(cfg.n_tasks, cfg.n_test, d_in)
    y_by_task = y_test.reshape(cfg.n_tasks, cfg.n_test)

    def evaluate(prm: dict[str, jax.Array], hp: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        # one subtask at a time (lax.map), so that memory stays bounded at the paper's 500 subtasks
        def one(xy: tuple[jax.Array, jax.Array]) -> jax.Array:
            return optax.softmax_cross_entropy_with_integer_labels(logits(prm, xy[0], hp), xy[1]).mean()

        return {"subtask": jax.lax.map(one, (x_by_task, y_by_task)) / math.log(2.0)}

    hist = train.train(
        init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.eval_every, seeds=seeds,
        batch=draw, data=jnp.zeros(()), evaluate=evaluate, hparams={"width": list(cfg.widths)},
        progress=progress, desc="sparse parity", checkpoint=("scaling.sparse_parity_experiment", cfg),
    )
    return SparseParityResult(
        config=cfg, seeds=seeds, N=cfg.params, steps=hist.steps, p=p,
        subtask_loss=np.asarray(hist["subtask"], dtype=float), wall_time=hist.wall_time,
    )
