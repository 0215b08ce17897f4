"""§9 *The SGD theory of compute-optimal scaling* (``chapters/01-scaling-laws/09-sgd``).

One-pass SGD on a linear model of ``M`` sketched features of data with spectrum ``λ_k = k^-a`` (Lin, Wu,
Kakade, Bartlett and Lee 2024; Paquette, Paquette, Xiao and Pennington 2024; Bordelon, Atanasov and Pehlevan
2024). :func:`sketch` draws the features and a teacher, :func:`sgd_risk` computes the *expected* risk of SGD
after each number of samples exactly (Gaussian data: a closed recursion for the error's second moment in the
eigenbasis of the feature covariance), :func:`sgd_experiment` scans ``M`` and ``N`` and :func:`compute_optimal`
reads the best ``M`` at each compute ``C = M N`` off the scan.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from dltheory import runtime, validate
from dltheory.scaling import common

__all__ = ["sketch", "sgd_risk", "SGDConfig", "SGDResult", "sgd_experiment", "null_allocation", "compute_optimal",
           "gd_risk", "data_exponent_steps", "unsketched_scan", "sketch_mean",
           "allocation_slope", "allocation_expression", "neff_targets", "load_fresh_seeds", "FRESH_SEEDS_FILE"]

FRESH_SEEDS_FILE = "01-scaling-laws-sgd-fresh-seeds.json"


def sketch(key: jax.Array, a: float, K: int, M: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Data of spectrum ``λ_k = k^-a`` seen through ``M`` Gaussian features; teacher ``w ~ N(0, I_K)`` averaged (§9).

    Features ``S x`` with ``S_ij ~ N(0, 1/M)`` (Lin et al. 2024). Returns ``(h, p0, approx)``: the eigenvalues
    ``h`` of the feature covariance ``H = S Λ Sᵀ``; ``p0``, the teacher average of the squared coordinates of
    ``v*`` (the best linear fit in the features, SGD's initial error from ``v = 0``) in the eigenbasis of ``H``;
    and the teacher average of the best fit's risk, ``approx = tr Λ − tr(H⁻¹ S Λ² Sᵀ)`` (the model-limited
    error, the feature-limited risk of §3). The SGD recursion is linear in ``p0`` and ``approx``, so feeding it
    the averages gives the teacher-averaged risk exactly. Float64.
    """
    a = validate.real("a", a, low=1.0, low_open=True)
    K = validate.integer("K", K, low=2)
    M = validate.integer("M", M, low=1, high=K)
    lam = np.arange(1, K + 1, dtype=float) ** -a
    S = np.asarray(jax.random.normal(key, (M, K)), dtype=np.float64) / math.sqrt(M)
    H = (S * lam) @ S.T
    h, U = np.linalg.eigh(H)
    B = U.T @ (S * lam)  # rows: E[x̃ x] in the eigenbasis; v* = H⁻¹ S Λ w
    keep = h > 1e-12 * h.max()
    v = np.where(keep[:, None], B / np.where(keep, h, 1.0)[:, None], 0.0)
    p0 = np.sum(v**2, axis=1)  # E_w[(Uᵀ v*)_i²] with w ~ N(0, I)
    approx = float(lam.sum() - np.sum(h * p0))
    return np.where(keep, h, 0.0), p0, approx


def _schedule(n: jax.Array, t: jax.Array, lr: float) -> jax.Array:
    """Lin et al.'s geometric decay: ``lr`` halved ``log2 n`` times, in phases of equal length; 0 after ``n``."""
    phases = jnp.maximum(jnp.floor(jnp.log2(n)), 1.0)
    phase = jnp.floor(t * phases / n)
    return jnp.where(t < n, lr * 0.5**phase, 0.0)


def sgd_risk(h: jax.Array, p0: jax.Array, noise: jax.Array, ns: Sequence[int], *,
             lr_scale: float = 0.5, gradient_noise: bool = True) -> jax.Array:
    """Expected excess risk ``E‖v_N − v*‖²_H`` of one-pass SGD after each number of samples ``N`` in ``ns`` (§9).

    ``p0``: the initial second moment of the error (diagonal, in the eigenbasis). Single-sample SGD on Gaussian
    features of covariance ``diag(h)`` with labels whose part outside the features has variance ``noise``, at
    step size ``lr_scale / Σh`` with the geometric decay of Lin et al. (2024), each ``N`` with its own schedule.
    For Gaussian data the diagonal ``p`` of the error's second moment obeys
    ``p ← p − 2γ h p + γ²(2h²p + h Σh p) + γ² noise h`` exactly, and the excess risk is ``Σ h p``.
    Zero entries of ``h`` (padding) do not move. ``gradient_noise=False`` drops the ``γ²`` terms that come from
    drawing one sample per step, leaving ``p ← (1 − γh)² p``: gradient descent on the population risk with the
    same schedule, SGD's bias alone (``noise`` is then unused). Returns ``(len(ns),)``.
    """
    lr = lr_scale / jnp.sum(h)
    n_max = int(max(ns))
    ns = jnp.asarray(ns, h.dtype)

    def step(p: jax.Array, t: jax.Array) -> tuple[jax.Array, None]:
        g = _schedule(ns, t, lr)[:, None]
        if not gradient_noise:
            return (1 - g * h) ** 2 * p, None
        p = p - 2 * g * h * p + g**2 * (2 * h**2 * p + h * (p @ h)[:, None] + noise * h)
        return p, None

    p0 = jnp.broadcast_to(p0, (ns.shape[0], h.shape[0]))
    p, _ = jax.lax.scan(step, p0, jnp.arange(n_max, dtype=h.dtype))
    return p @ h


@dataclasses.dataclass(frozen=True)
class SGDConfig(runtime.ModeConfig):
    """§9: spectrum ``k^-a`` over ``K`` latent modes; feature counts ``Ms``; sample counts ``ns``.

    ``null_a`` is the exponent of the null spectrum, whose exponents must differ. ``null_Ms`` and ``null_ns`` are
    the null spectrum's own grid for the compute-optimal null (:func:`null_allocation`): its optimum needs
    fewer features and more samples than the claim's grid holds.
    """

    a: float = validate.field(2.0, validate.real, low=1.0, low_open=True)
    null_a: float = validate.field(3.0, validate.real, low=1.0, low_open=True)
    K: int = validate.field(4096, validate.integer, low=16)
    Ms: tuple[int, ...] = validate.field((16, 32, 64, 128, 256, 512), validate.increasing_integers, min_size=3)
    ns: tuple[int, ...] = validate.field((100, 300, 1000, 3000, 10_000, 30_000), validate.increasing_integers,
                                         min_size=3)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    null_Ms: tuple[int, ...] = validate.field((4, 6, 8, 12, 16, 24, 32, 48, 64, 96), validate.increasing_integers,
                                              min_size=3)
    null_ns: tuple[int, ...] = validate.field((30, 100, 300, 1000, 3000, 10_000, 30_000, 100_000),
                                              validate.increasing_integers, min_size=3)

    def check(self) -> None:
        for name, Ms in (("Ms", self.Ms), ("null_Ms", self.null_Ms)):
            if Ms[-1] * 4 > self.K:
                raise ValueError(f"{name} must stay below K/4 = {self.K // 4} (truncation), got {Ms}")
        if self.null_a == self.a:
            raise ValueError(f"null_a must differ from a = {self.a}, got {self.null_a}")

    @classmethod
    def fast(cls) -> SGDConfig:
        return cls()

    @classmethod
    def full(cls) -> SGDConfig:
        return cls(K=8192, Ms=(16, 32, 64, 128, 256, 512, 1024, 2048),
                   ns=(100, 300, 1000, 3000, 10_000, 30_000, 100_000), n_seeds=4)

    def cost(self) -> runtime.Cost:
        """Host work: one sketch per spectrum, seed and ``M`` (``S Λ Sᵀ`` and ``U ᵀS Λ``, ``4·M²·K``, and an
        eigendecomposition, about ``14·M³``). Device work: one scan of ``max(ns)`` sequential steps updating, for
        every run and every ``N``, a vector of ``max(Ms)`` second moments (about 12 FLOPs an entry)."""
        runs = 2 * self.n_seeds
        host = runs * sum(4.0 * M * M * self.K + 14.0 * M**3 for M in self.Ms)
        host += self.n_seeds * sum(4.0 * M * M * self.K + 14.0 * M**3 for M in self.null_Ms)
        n_max, m_max = max(self.ns), max(self.Ms)
        device = 12.0 * runs * len(self.Ms) * len(self.ns) * m_max * n_max
        device += 12.0 * self.n_seeds * len(self.null_Ms) * len(self.null_ns) * max(self.null_Ms) * max(self.null_ns)
        memory = 4.0 * runs * len(self.Ms) * len(self.ns) * m_max + 8.0 * m_max * self.K * 2
        return runtime.Cost(flops=device, host_flops=host, bytes=memory, steps=n_max + max(self.null_ns))

    def paper_scale(self) -> str:
        """Lin et al. and Paquette et al. state scaling laws, with no simulation size to match."""
        return (f"Lin et al.'s and Paquette et al.'s exponents are asymptotic statements; here the exact expected "
                f"risk of one-pass SGD for K = {self.K:,} modes, M = {self.Ms[0]}–{self.Ms[-1]:,} features and "
                f"N = {self.ns[0]:,}–{self.ns[-1]:,} samples, {self.n_seeds} sketches per spectrum")


@dataclasses.dataclass(frozen=True)
class SGDResult:
    config: SGDConfig
    seeds: tuple[int, ...]
    approx: np.ndarray  # (2, n_seeds, n_Ms): best-fit risk in the features; [0] spectrum a, [1] null_a
    excess: np.ndarray  # (2, n_seeds, n_Ms, n_ns): SGD's excess risk over it

    @property
    def risk(self) -> np.ndarray:
        """``approx + excess``: the expected risk of SGD with ``M`` features after ``N`` samples."""
        return self.approx[..., None] + self.excess

    def model_exponent(self, null: bool = False) -> np.ndarray:
        """Per seed, minus the log-log slope of the best-fit risk against ``M`` (the model term)."""
        return common.fit_exponent(np.asarray(self.config.Ms), self.approx[int(null)])

    def data_exponent(self, null: bool = False) -> np.ndarray:
        """Per seed, minus the log-log slope of SGD's excess risk against ``N`` at the largest ``M`` (the data term)."""
        return common.fit_exponent(np.asarray(self.config.ns), self.excess[int(null), :, -1])


def _scan(spectra: Sequence[float], K: int, Ms: Sequence[int], ns: Sequence[int],
          seeds: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Best-fit risk ``(len(spectra), n_seeds, len(Ms))`` and SGD's excess risk (``..., len(ns)``) on a grid."""
    m_max, ns = max(Ms), tuple(ns)
    approx, hs, e0s = [], [], []
    for a in spectra:
        for s in seeds:
            for M in Ms:
                h, p0, ap = sketch(jax.random.key(s), a, K, M)
                hs.append(np.pad(h / h.sum(), (0, m_max - M)))  # rescaled: the step size is lr_scale / Σh anyway
                e0s.append(np.pad(p0 * h.sum(), (0, m_max - M)))
                approx.append(ap)
    h, e0, noise = (jnp.asarray(np.asarray(v), jnp.float32) for v in (hs, e0s, approx))
    excess = jax.jit(jax.vmap(lambda h, e, z: sgd_risk(h, e, z, ns)))(h, e0, noise)
    shape = (len(spectra), len(seeds), len(Ms))
    return np.asarray(approx).reshape(shape), np.asarray(excess, dtype=float).reshape(*shape, -1)


def sgd_experiment(cfg: SGDConfig, seeds: Sequence[int]) -> SGDResult:
    """§9 (``09-sgd``): the expected SGD risk at every ``(M, N)`` of the scan, on the spectrum ``k^-a`` and on the
    null spectrum ``k^-null_a``; one sketch per seed (the teacher averaged out exactly).
    """
    if not isinstance(cfg, SGDConfig):
        raise ValueError(f"cfg must be a SGDConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    approx, excess = _scan((cfg.a, cfg.null_a), cfg.K, cfg.Ms, cfg.ns, seeds)
    return SGDResult(cfg, seeds, approx, excess)


def null_allocation(cfg: SGDConfig, seeds: Sequence[int]) -> SGDResult:
    """The null of §9's compute-optimal claim: the scan on the null spectrum ``k^-null_a`` alone, on its own grid
    ``null_Ms`` × ``null_ns``, where its optimum (theory ``M_opt ∝ C^{1/(null_a+1)}``) lies inside the grid.

    Returned as an :class:`SGDResult` whose configuration has ``a = null_a`` and the null grid (its arrays hold
    that one spectrum, so only ``null=False`` applies): feed it to :func:`compute_optimal`.
    """
    if not isinstance(cfg, SGDConfig):
        raise ValueError(f"cfg must be a SGDConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    approx, excess = _scan((cfg.null_a,), cfg.K, cfg.null_Ms, cfg.null_ns, seeds)
    own = dataclasses.replace(cfg, a=cfg.null_a, null_a=cfg.a, Ms=cfg.null_Ms, ns=cfg.null_ns)
    return SGDResult(own, seeds, approx, excess)


def unsketched_scan(cfg: SGDConfig, Ms: Sequence[int] | None = None, ns: Sequence[int] | None = None) -> SGDResult:
    """The scan without the sketch (§9): the expected SGD risk when the ``M`` features are the first ``M`` modes of
    ``k^-a`` themselves, teacher averaged out (``p0 = 1``), the modes beyond ``M`` acting as label noise.

    Nothing in it is random, so it separates what the grid and the fit do to the allocation slope from what one
    sketch per run does. ``Ms``, ``ns`` default to the page's grid. One "seed" (``seeds = (0,)``), spectrum ``a`` only.
    """
    if not isinstance(cfg, SGDConfig):
        raise ValueError(f"cfg must be a SGDConfig, got {type(cfg).__name__}")
    Ms = tuple(int(m) for m in validate.increasing_integers("Ms", cfg.Ms if Ms is None else Ms, min_size=3))
    ns = tuple(int(n) for n in validate.increasing_integers("ns", cfg.ns if ns is None else ns, min_size=3))
    if Ms[-1] * 4 > cfg.K:
        raise ValueError(f"Ms must stay below K/4 = {cfg.K // 4} (truncation), got {Ms}")
    lam, m_max = np.arange(1, cfg.K + 1, dtype=float) ** -cfg.a, max(Ms)
    h = np.stack([np.pad(lam[:M] / lam[:M].sum(), (0, m_max - M)) for M in Ms])  # rescaled as in ``_scan``
    e0 = np.stack([np.pad(np.full(M, lam[:M].sum()), (0, m_max - M)) for M in Ms])
    approx = np.array([lam[M:].sum() for M in Ms])
    h, e0, noise = (jnp.asarray(v, jnp.float32) for v in (h, e0, approx))
    excess = jax.jit(jax.vmap(lambda h, e, z: sgd_risk(h, e, z, ns)))(h, e0, noise)
    own = dataclasses.replace(cfg, Ms=Ms, ns=ns)
    return SGDResult(own, (0,), approx[None, None], np.asarray(excess, dtype=float)[None, None])


def sketch_mean(result: SGDResult) -> SGDResult:
    """The risk averaged over a result's sketches (its seeds), as a one-seed :class:`SGDResult` (§9).

    Lin et al.'s bounds are on the risk in expectation over the sketch; one sketch per run adds the sketch's own
    fluctuation to where the compute optimum falls. The mean of ``approx`` and of ``excess`` over the seeds is the
    mean of the risk (their sum); :func:`compute_optimal` then reads one surface. Its seed is the first run's.
    """
    if not isinstance(result, SGDResult):
        raise ValueError(f"result must be an SGDResult, got {type(result).__name__}")
    return SGDResult(result.config, result.seeds[:1], result.approx.mean(axis=1, keepdims=True),
                     result.excess.mean(axis=1, keepdims=True))


def compute_optimal(result: SGDResult, budgets: Sequence[float], null: bool = False) -> np.ndarray:
    """Per seed, the compute-optimal ``M`` at each budget ``C = M N`` (§9): ``(n_seeds, len(budgets))``.

    For each ``M`` the risk is interpolated in ``log N`` at ``N = C/M`` (``nan`` outside the scan), the best
    ``M`` is found on the grid, and refined by a parabola through it and its neighbours in ``log M``.
    """
    budgets = validate.array("budgets", budgets, ndim=1, positive=True)
    Ms, ns = np.log(np.asarray(result.config.Ms, float)), np.log(np.asarray(result.config.ns, float))
    risk = np.log(result.risk[int(null)])
    out = np.full((risk.shape[0], budgets.size), np.nan)
    for s in range(risk.shape[0]):
        for j, C in enumerate(np.log(budgets)):
            n = C - Ms
            ok = (n >= ns[0]) & (n <= ns[-1])
            curve = np.where(ok, [np.interp(n[i], ns, risk[s, i]) for i in range(Ms.size)], np.inf)
            i = int(np.argmin(curve))
            if 0 < i < Ms.size - 1 and np.all(np.isfinite(curve[i - 1:i + 2])):
                c2, c1, _ = np.polyfit(Ms[i - 1:i + 2], curve[i - 1:i + 2], 2)
                out[s, j] = math.exp(-c1 / (2 * c2)) if c2 > 0 else math.exp(Ms[i])
    return out


def gd_risk(h: np.ndarray, p0: np.ndarray, ns: Sequence[int], *, lr_scale: float = 0.5) -> np.ndarray:
    """:func:`sgd_risk` with ``gradient_noise=False`` in closed form: ``Σ_i h_i p0_i Π_t (1 − γ_t h_i)²`` (§9).

    Gradient descent on the population risk with the same schedule; each phase of constant step contributes
    one power, so no loop over steps is needed. Float64, ``(len(ns),)``.
    """
    h, p0 = np.asarray(h, dtype=float), np.asarray(p0, dtype=float)
    lr = lr_scale / h.sum()
    out = []
    for n in validate.increasing_integers("ns", ns, min_size=1):
        phases = max(math.floor(math.log2(n)), 1)
        lengths = np.bincount(np.floor(np.arange(n) * phases / n).astype(int), minlength=phases)
        gammas = lr * 0.5 ** np.arange(lengths.size)
        log_decay = 2 * lengths @ np.log(np.abs(1 - np.outer(gammas, h)))
        out.append(np.sum(h * p0 * np.exp(log_decay)))
    return np.asarray(out)


def data_exponent_steps(result: SGDResult, seed_index: int = 0) -> dict[str, float]:
    """§9: the data exponent over the scan's ``ns`` (spectrum ``k^-a``, ``M = max(Ms)``), from Lin et al.'s bound
    to the measurement, one ingredient added at a time. Returns ``{step: fitted exponent}``, in order:

    ``all K modes``: gradient descent on the population risk (:func:`gd_risk`, no sampling noise) on the whole
    spectrum ``λ_k = k^-a``, teacher ``w ~ N(0, I)`` (``p0 = 1``); ``first M modes``: the same on the ``M``
    largest modes only, so the excess over the best fit in ``M`` features ends at mode ``M``; ``M sketched
    features``: the same on the sketch of ``result.seeds[seed_index]``; ``one-pass SGD``: the measured excess
    risk of that sketch in ``result`` (the full recursion).
    """
    if not isinstance(result, SGDResult):
        raise ValueError(f"result must be a SGDResult, got {type(result).__name__}")
    cfg = result.config
    seed_index = validate.integer("seed_index", seed_index, low=0, high=len(result.seeds) - 1)
    M, ns = max(cfg.Ms), np.asarray(cfg.ns, dtype=float)
    lam = np.arange(1, cfg.K + 1, dtype=float) ** -cfg.a
    h, p0, _ = sketch(jax.random.key(result.seeds[seed_index]), cfg.a, cfg.K, M)
    curves = {"all K modes": gd_risk(lam, np.ones_like(lam), cfg.ns),
              "first M modes": gd_risk(lam[:M], np.ones(M), cfg.ns),
              "M sketched features": gd_risk(h, p0, cfg.ns),
              "one-pass SGD": result.excess[0, seed_index, -1]}
    return {k: float(common.fit_exponent(ns, v)) for k, v in curves.items()}


def allocation_slope(budgets: Sequence[float], m_opt: np.ndarray) -> np.ndarray:
    """Per seed, the log-log slope of the compute-optimal ``M`` against ``C`` over the budgets where it is finite
    (:func:`compute_optimal` gives ``nan`` where the optimum is on the grid's edge); ``nan`` below three budgets."""
    budgets = validate.array("budgets", budgets, ndim=1, positive=True)
    m_opt = np.atleast_2d(np.asarray(m_opt, dtype=float))
    if m_opt.shape[-1] != budgets.size:
        raise ValueError(f"m_opt must have {budgets.size} columns to match budgets, got shape {m_opt.shape}")
    out = np.full(m_opt.shape[0], np.nan)
    for s, m in enumerate(m_opt):
        ok = np.isfinite(m)
        if ok.sum() >= 3:
            out[s] = np.polyfit(np.log(budgets[ok]), np.log(m[ok]), 1)[0]
    return out


def allocation_expression() -> tuple[sp.Expr, tuple[sp.Symbol, sp.Symbol]]:
    """§9: the exponent of ``M_opt ∝ C^e`` when a model term ``M^-α`` balances a data term ``N^-β`` at ``C = M N``.

    SymPy solves ``M^-α = (C/M)^-β`` for ``M`` and takes ``d log M / d log C``: ``e = β/(α + β)``. With Lin et al.'s
    exponents ``α = a − 1``, ``β = (a − 1)/a`` it is ``1/(a + 1)``. Returns ``(e, (α, β))``.
    """
    M, C, alpha, beta = sp.symbols("M C alpha beta", positive=True)
    solutions = sp.solve(sp.Eq(M**-alpha, (C / M) ** -beta), M)
    if len(solutions) != 1:  # pragma: no cover - one positive root
        raise RuntimeError(f"expected one balance point, sympy found {solutions}")
    return sp.simplify(C * sp.diff(sp.log(solutions[0]), C)), (alpha, beta)


@functools.cache
def _allocation_function() -> Any:
    e, args = allocation_expression()
    return sp.lambdify(args, e, "numpy")


def neff_targets(a: float, ns: Sequence[int]) -> tuple[float, float]:
    """§9: the data and allocation exponents of Lin et al.'s bound in ``N_eff = N / log N``, over the samples ``ns``.

    The data exponent ``β`` is minus the log-log slope of ``N_eff^-(a-1)/a`` fitted over ``ns`` (the logarithm
    bends the curve over a finite range: 0.430 instead of 0.5 for ``a = 2`` over ``N = 100…30,000``). The
    allocation exponent balances the model term ``M^-(a-1)`` against ``N^-β`` (:func:`allocation_expression`):
    ``β/(a − 1 + β)``, the finite-range version of ``1/(a + 1)``. Returns ``(β, allocation exponent)``.
    """
    a = validate.real("a", a, low=1.0, low_open=True)
    ns = np.asarray(validate.increasing_integers("ns", ns, min_size=2), dtype=float)
    if ns[0] < 3:
        raise ValueError(f"ns must start at 3 or more (log N > 1 for N_eff = N / log N), got {ns[0]:g}")
    beta = -float(np.polyfit(np.log(ns), -(a - 1) / a * (np.log(ns) - np.log(np.log(ns))), 1)[0])
    return beta, float(_allocation_function()(a - 1, beta))


def load_fresh_seeds(path: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """§9: the allocation slopes of the fresh runs on which ``sgd-compute-optimal`` and ``-neff`` were judged.

    A record (default: the one shipped, :data:`FRESH_SEEDS_FILE`) of :func:`allocation_slope` on
    :func:`sgd_experiment` and :func:`null_allocation` for runs 10 to 16 (base seeds 10 to 14) in fast mode, and
    its provenance for :func:`dltheory.claims.check`. ``slope`` and ``slope_null`` come back as arrays.
    """
    import json
    from importlib import resources

    source = resources.files("dltheory") / "data" / FRESH_SEEDS_FILE if path is None else path
    text = source.read_text(encoding="utf-8") if path is None else open(path, encoding="utf-8").read()
    record = json.loads(text)
    missing = {"runs", "slope", "slope_null", "provenance"} - set(record)
    if missing:
        raise ValueError(f"record is missing {sorted(missing)}")
    provenance = record.pop("provenance")
    record["slope"] = np.asarray(record["slope"], dtype=float)
    record["slope_null"] = np.asarray(record["slope_null"], dtype=float)
    if not (len(record["runs"]) == record["slope"].size == record["slope_null"].size):
        raise ValueError("record: runs, slope and slope_null must have one entry per run")
    return record, provenance
