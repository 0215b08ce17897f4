"""§5 *A mini-Chinchilla*, the trained model (``chapters/01-scaling-laws/05-mini-chinchilla``).

A task on which loss is a power law in model size ``N`` and in data ``D`` over the whole sweep, so that the
isoFLOP analysis of Hoffmann et al. (2022, Approach 2) has a compute-optimal exponent to find: linear
regression on Gaussian inputs with spectrum ``λ_k = k^-s`` and teacher ``w*_k = 1``, learned by a student that
holds the first ``N`` coordinates, trained by one-pass minibatch SGD at a constant step size. The part of the
teacher beyond ``N`` acts as label noise, so the loss is ``Σ_{k>N} λ_k`` (model-limited: ``N^-(s-1)``) plus the
unlearned part of the first ``N`` modes (data-limited: ``D^-(s-1)/s``), and the balance of the two puts the
compute-optimal size at ``N_opt ∝ C^a`` with ``a = 1/(s+1)`` (the model of §3 and §9, here trained by sampling).
The letter ``a`` is the compute-optimal exponent (Hoffmann et al.'s); the keyword ``a=`` of the functions and the
config fields ``a``/``null_a`` are the spectrum exponent ``s``.
:func:`sgd_curves` trains, :func:`expected_curves` is the exact expected loss of the same SGD (theory),
:func:`allocation_theory` the asymptotic exponent from the fitted law's form with SymPy.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from dltheory import runtime, validate
from dltheory.scaling.mini_chinchilla import IsoflopResult

__all__ = ["SGDIsoflopConfig", "sgd_curves", "expected_curves", "allocation_theory", "CONTROL_LAW_SGD",
           "NULL_LAW_SGD", "curve_exponents", "expected_result", "S", "sgd_tasks", "frontier_theory"]

#: The spectrum exponent ``s`` of :func:`allocation_theory` (``λ_k = k^-s``): substitute it, ``a_opt.subs(S, 2)``.
S = sp.Symbol("s", positive=True)

#: The positive control's law on this grid: ``α = 1, β = 1/2`` (``a = β/(α+β) = 1/3``, the trained claim's target);
#: ``B`` is set so that its optima fall where the expected loss of the k⁻² task puts them (sizes 8 to 40).
CONTROL_LAW_SGD = {"E": 0.0, "A": 1.0, "B": 6.3, "alpha": 1.0, "beta": 0.5}
#: The null law: ``α = 3, β = 3/4`` (``a = 1/5``, the k⁻⁴ task's form), its optima where that task's are (sizes 3 to 9).
NULL_LAW_SGD = {"E": 0.0, "A": 1 / 3, "B": 8.8, "alpha": 3.0, "beta": 0.75}


@dataclasses.dataclass(frozen=True)
class SGDIsoflopConfig(runtime.ModeConfig):
    """§5: spectrum ``k^-a`` (the null's ``k^-null_a``), student sizes ``sizes``, one-pass SGD of ``steps`` steps.

    ``teacher`` is the decay ``c`` of the teacher-decay runs (``w*_k² = k^-c``; the main runs have ``w*_k = 1``):
    :attr:`tasks` lists the page's four tasks, trained in one program by :func:`sgd_tasks`.

    Batch ``batch``, constant step size ``lr``; the loss (exact population risk) is recorded every
    ``eval_every`` steps. A student of size ``N`` has ``N`` parameters and after ``s`` steps has seen
    ``D = s·batch`` samples. ``budgets`` are the isoFLOP budgets ``C = 6ND``: ``n_budgets`` log-spaced in
    ``[10^log_budget_lo, 10^log_budget_hi]``.
    """

    a: float = validate.field(2.0, validate.real, low=1.0, low_open=True)
    null_a: float = validate.field(4.0, validate.real, low=1.0, low_open=True)
    teacher: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    sizes: tuple[int, ...] = validate.field((2, 3, 4, 6, 8, 11, 16, 23, 32, 45, 64), validate.increasing_integers,
                                            min_size=3)
    batch: int = validate.field(16, validate.integer, low=1)
    lr: float = validate.field(0.5, validate.real, low=0.0, low_open=True)
    steps: int = validate.field(16384, validate.integer, low=1)
    eval_every: int = validate.field(16, validate.integer, low=1)
    log_budget_lo: float = validate.field(4.5, validate.real)
    log_budget_hi: float = validate.field(6.5, validate.real)
    n_budgets: int = validate.field(7, validate.integer, low=2)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        validate.schedule(self.steps, self.eval_every)
        if self.null_a == self.a:
            raise ValueError(f"null_a must differ from a = {self.a}, got {self.null_a}")
        if self.log_budget_hi <= self.log_budget_lo:
            raise ValueError(f"log_budget_hi must exceed log_budget_lo = {self.log_budget_lo}")

    @property
    def params(self) -> np.ndarray:
        return np.asarray(self.sizes, dtype=float)

    @property
    def budgets(self) -> np.ndarray:
        return np.logspace(self.log_budget_lo, self.log_budget_hi, self.n_budgets)

    @classmethod
    def fast(cls) -> SGDIsoflopConfig:
        return cls()

    @classmethod
    def full(cls) -> SGDIsoflopConfig:
        sizes = tuple(sorted({int(round(2 * 2 ** (i / 2))) for i in range(14)}))  # 2 … 181, factor √2
        return cls(sizes=sizes, steps=65_536, eval_every=16, log_budget_lo=4.5, log_budget_hi=7.5,
                   n_budgets=10, n_seeds=8)

    @property
    def tasks(self) -> tuple[tuple[float, float], ...]:
        """The page's tasks ``(s, c)``: the claim, its null, and both again with the decaying teacher."""
        return ((self.a, 0.0), (self.null_a, 0.0), (self.a, self.teacher), (self.null_a, self.teacher))

    def cost(self) -> runtime.Cost:
        """Per step, seed and task (the page's four, one program): ``max(sizes) + 1`` normals and a gradient for every
        size; the tasks share the program's sequential steps."""
        nmax = max(self.sizes)
        per_step = 2.0 * self.batch * nmax * (2 * len(self.sizes) + 1)
        n = len(self.tasks)
        return runtime.Cost(flops=n * self.n_seeds * self.steps * per_step,
                            bytes=4.0 * len(self.sizes) * nmax * self.n_seeds * n, steps=self.steps)

    def paper_scale(self) -> str:
        return (f"a linear stand-in for Hoffmann et al.'s 400 transformers: students of {self.sizes[0]} to "
                f"{self.sizes[-1]} parameters, {self.steps:,} SGD steps of batch {self.batch}, {self.n_seeds} seeds; "
                "the isoFLOP analysis is the paper's Approach 2, the exponents are this task's, not theirs")


def _spectrum(a: float, nmax: int) -> tuple[np.ndarray, float]:
    """The first ``nmax`` eigenvalues ``k^-a`` and the tail ``Σ_{k>nmax} k^-a`` (Hurwitz zeta)."""
    lam = np.arange(1, nmax + 1, dtype=float) ** -a
    return lam, float(sp.zeta(a, nmax + 1))


def sgd_curves(cfg: SGDIsoflopConfig, seeds: Sequence[int], *, a: float | None = None,
               teacher: float = 0.0) -> IsoflopResult:
    """Train every size of ``cfg`` by one-pass minibatch SGD on one task, every seed at once (§5).

    ``a`` defaults to ``cfg.a`` (pass ``cfg.null_a`` for the null); ``teacher`` is the teacher's decay ``c``,
    ``w*_k² = k^-c`` (``0``: the flat teacher ``w*_k = 1``). One task of :func:`sgd_tasks`, which says what is trained.
    """
    if not isinstance(cfg, SGDIsoflopConfig):
        raise ValueError(f"cfg must be an SGDIsoflopConfig, got {type(cfg).__name__}")
    return sgd_tasks(cfg, seeds, [(cfg.a if a is None else a, teacher)])[0]


def sgd_tasks(cfg: SGDIsoflopConfig, seeds: Sequence[int],
              tasks: Sequence[tuple[float, float]]) -> list[IsoflopResult]:
    """Train every size of ``cfg`` by one-pass minibatch SGD on each task ``(s, c)``, all in one program (§5).

    Task ``(s, c)``: inputs ``x_k ~ N(0, k^-s)`` for the first ``max(sizes)`` coordinates and teacher
    ``w*_k = k^-c/2``; the rest of the teacher adds label noise of variance ``Σ_{k>max} k^-(s+c)``. Within a seed
    every size and every task sees the same normal draws (common random numbers; a student of size ``N`` is the
    full vector with coordinates beyond ``N`` held at zero). The recorded loss is the exact population risk
    ``Σ_k λ_k (w_k − w*_k)²``. One result per task, in the order given; the tasks share the program's steps,
    so four tasks cost the sequential steps of one.
    """
    if not isinstance(cfg, SGDIsoflopConfig):
        raise ValueError(f"cfg must be an SGDIsoflopConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    if len(tasks) == 0:
        raise ValueError("tasks must name at least one (s, c) pair")
    nmax = max(cfg.sizes)
    k = np.arange(1, nmax + 1, dtype=float)
    rows = []
    for s_task, c_task in tasks:
        s_task = validate.real("s", s_task, low=1.0, low_open=True)
        c_task = validate.real("teacher", c_task, low=0.0)
        lam, _ = _spectrum(s_task, nmax)
        _, tail = _spectrum(s_task + c_task, nmax)  # Σ_{k>nmax} λ_k w*_k²
        rows.append((np.sqrt(lam), lam, k ** (-c_task / 2), math.sqrt(tail)))
    scale, lam32, wstar, noise_sd = (jnp.asarray(np.stack([r[i] for r in rows]), jnp.float32) for i in range(4))
    mask = jnp.asarray(np.arange(nmax)[None, :] < np.asarray(cfg.sizes)[:, None], jnp.float32)  # (sizes, nmax)
    lr, batch = cfg.lr, cfg.batch

    def run(key: jax.Array, scale: jax.Array, lam: jax.Array, wstar: jax.Array, noise_sd: jax.Array) -> jax.Array:
        def step(w: jax.Array, key: jax.Array) -> tuple[jax.Array, None]:
            z = jax.random.normal(key, (batch, nmax + 1))
            x = z[:, :nmax] * scale
            y = jnp.sum(x * wstar, axis=1) + z[:, nmax] * noise_sd
            r = x @ w.T - y[:, None]  # (batch, sizes)
            return w - lr * (r.T @ x) / batch * mask, None

        def block(w: jax.Array, keys: jax.Array) -> tuple[jax.Array, jax.Array]:
            w, _ = jax.lax.scan(step, w, keys)
            return w, jnp.sum(lam * (w - wstar) ** 2, axis=1) + noise_sd**2

        keys = jax.random.split(key, cfg.steps).reshape(cfg.steps // cfg.eval_every, cfg.eval_every)
        _, losses = jax.lax.scan(block, jnp.zeros((len(cfg.sizes), nmax)), keys)
        return losses.T  # (sizes, evals)

    over_seeds = jax.vmap(run, in_axes=(0, None, None, None, None))
    program = jax.jit(jax.vmap(over_seeds, in_axes=(None, 0, 0, 0, 0)))
    keys = jnp.stack([jax.random.key(s) for s in seeds])
    loss = np.asarray(program(keys, scale, lam32, wstar, noise_sd), dtype=float)  # (tasks, seeds, sizes, evals)
    return [IsoflopResult(cfg, seeds, cfg.params, _samples(cfg), task_loss, wall_time=0.0)  # type: ignore[arg-type]
            for task_loss in loss]


def _samples(cfg: SGDIsoflopConfig) -> np.ndarray:
    """Samples seen at each evaluation: every ``eval_every`` steps of ``batch``."""
    return (np.arange(1, cfg.steps // cfg.eval_every + 1) * cfg.eval_every * cfg.batch).astype(float)


def expected_curves(cfg: SGDIsoflopConfig, *, a: float | None = None, teacher: float = 0.0) -> np.ndarray:
    """The exact expected loss of :func:`sgd_curves`, (sizes, evals): the theory curve of §5.

    For Gaussian inputs the diagonal ``p`` of the error's second moment (in the eigenbasis) obeys
    ``p ← p − 2γhp + γ²[h²p + (h²p + h·Σhp + σ²h)/B]`` with ``σ²`` the label noise ``Σ_{k>N} λ_k`` of a size-``N``
    student and ``B`` the batch; the loss is ``Σhp + σ²``; ``p`` starts at ``w*²`` (``w*_k² = k^-teacher``). Float64,
    NumPy.
    """
    if not isinstance(cfg, SGDIsoflopConfig):
        raise ValueError(f"cfg must be an SGDIsoflopConfig, got {type(cfg).__name__}")
    a = cfg.a if a is None else validate.real("a", a, low=1.0, low_open=True)
    teacher = validate.real("teacher", teacher, low=0.0)
    nmax = max(cfg.sizes)
    lam, _ = _spectrum(a, nmax)
    _, tail = _spectrum(a + teacher, nmax)
    w2 = np.arange(1, nmax + 1, dtype=float) ** -teacher  # w*_k²
    mask = np.arange(nmax)[None, :] < np.asarray(cfg.sizes)[:, None]
    h = np.where(mask, lam, 0.0)
    noise = tail + np.sum(np.where(mask, 0.0, lam * w2), axis=1, keepdims=True)  # σ² of each size
    p = np.where(mask, w2, 0.0)
    g, B = cfg.lr, cfg.batch
    out = []
    for t in range(1, cfg.steps + 1):
        hp = np.sum(h * p, axis=1, keepdims=True)
        p = p - 2 * g * h * p + g**2 * (h**2 * p + (h**2 * p + h * hp + noise * h) / B)
        if t % cfg.eval_every == 0:
            out.append(np.sum(h * p, axis=1) + noise[:, 0])
    return np.stack(out, axis=1)


def expected_result(cfg: SGDIsoflopConfig, *, a: float | None = None, teacher: float = 0.0) -> IsoflopResult:
    """:func:`expected_curves` as a one-run :class:`IsoflopResult` (seed ``0``), ready for the isoFLOP analysis."""
    loss = expected_curves(cfg, a=a, teacher=teacher)
    return IsoflopResult(cfg, (0,), cfg.params, _samples(cfg), loss[None], wall_time=0.0)  # type: ignore[arg-type]


def allocation_theory() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """SymPy, in the spectrum exponent :data:`S` (``s``): the model exponent ``α = s − 1``, the data exponent
    ``β = (s − 1)/s`` of the k^-s task, and the compute-optimal exponent ``a = β/(α+β)``, simplified (``1/(s+1)``)."""
    alpha, beta = S - 1, (S - 1) / S
    return alpha, beta, sp.simplify(beta / (alpha + beta))


def frontier_theory() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """SymPy, in :data:`S` and the teacher's decay ``c`` (``w*_k² = k^-c``): ``α = s + c − 1``, ``β = (s + c − 1)/s``
    and the slope ``−αβ/(α+β)`` of the loss frontier ``L*(C)``, simplified (``−(s + c − 1)/(s + 1)``); the
    compute-optimal exponent ``β/(α+β) = 1/(s+1)`` does not contain ``c``. Returns ``(c, a_opt, frontier)``."""
    c = sp.Symbol("c", nonnegative=True)
    alpha, beta = S + c - 1, (S + c - 1) / S
    return c, sp.simplify(beta / (alpha + beta)), sp.simplify(-alpha * beta / (alpha + beta))


def curve_exponents(result: IsoflopResult, *, seeds: Sequence[int] | None = None, min_size: int = 4,
                    d_range: tuple[float, float] = (256, 16384)) -> tuple[float, float]:
    """Read ``(α̂, β̂)`` off trained curves (seed-mean): the slope of ``−log L`` against ``log N`` at the last
    evaluation over sizes ``≥ min_size``, and against ``log D`` for the largest size with ``D`` in ``d_range``.
    ``seeds`` (indices into the result's seeds) selects the runs to average, as in ``isoflop_minima``."""
    if not isinstance(result, IsoflopResult):
        raise ValueError(f"result must be an IsoflopResult, got {type(result).__name__}")
    idx = np.arange(len(result.seeds)) if seeds is None else np.asarray(seeds, dtype=int)
    if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= len(result.seeds):
        raise ValueError(f"seeds must be indices into the result's {len(result.seeds)} runs, got {seeds}")
    mean = np.exp(np.mean(np.log(result.loss[idx]), axis=0))
    big = result.N >= min_size
    win = (result.D >= d_range[0]) & (result.D <= d_range[1])
    if big.sum() < 2 or win.sum() < 2:
        raise ValueError(f"need two sizes ≥ {min_size} and two evaluations in {d_range}")
    alpha = -np.polyfit(np.log(result.N[big]), np.log(mean[big, -1]), 1)[0]
    beta = -np.polyfit(np.log(result.D[win]), np.log(mean[-1, win]), 1)[0]
    return float(alpha), float(beta)
