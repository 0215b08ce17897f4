"""§5 *A mini-Chinchilla* (``chapters/01-scaling-laws/05-mini-chinchilla``).

IsoFLOP curves of small MLPs trained with :func:`dltheory.train.train` on a fixed random teacher: the
isoFLOP design of Hoffmann et al. (2022, Approach 2) at toy scale. :func:`isoflop_experiment` trains,
:func:`isoflop_minima` reads the compute-optimal sizes off the curves.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, train, validate

__all__ = ["IsoflopConfig", "IsoflopResult", "isoflop_experiment", "isoflop_minima", "isoflop_exponent",
           "CONTROL_LAW", "synthetic_result", "control_exponents", "positive_control",
           "seed_sweep", "save_seed_sweep", "load_seed_sweep", "SEED_SWEEP_FILE"]

#: the saved seed sweep shipped with the library, in ``dltheory/data/``
SEED_SWEEP_FILE = "01-scaling-laws-isoflop-seeds.json"


@dataclasses.dataclass(frozen=True)
class IsoflopConfig(runtime.ModeConfig):
    """§5: one-hidden-layer ReLU MLPs of ``widths`` on a fixed random teacher in ``d`` dimensions.

    The teacher is ``f(x) = Σ_k c_k cos(ω_k·x + φ_k)`` with ``K`` random frequencies ``ω_k ~ N(0, I)``
    and amplitudes ``c_k ∝ k^-teacher_decay`` (unit variance); inputs ``x ~ N(0, I_d)``. Training is
    single-epoch (a fresh batch every step), Adam at a constant learning rate, so a run that has taken
    ``s`` steps has seen ``D = s·batch`` samples. A model of width ``w`` has ``N = (d+2)w + 1`` parameters.
    """

    d: int = validate.field(8, validate.integer, low=1)
    K: int = validate.field(256, validate.integer, low=1)
    teacher_decay: float = validate.field(1.0, validate.real, low=0.0)
    widths: tuple[int, ...] = validate.field((4, 8, 16, 32, 64, 128), validate.increasing_integers, min_size=3)
    batch: int = validate.field(32, validate.integer, low=1)
    steps: int = validate.field(16000, validate.integer, low=1)
    eval_every: int = validate.field(200, validate.integer, low=1)
    lr: float = validate.field(1e-2, validate.real, low=0.0, low_open=True)
    n_test: int = validate.field(1024, validate.integer, low=16)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        validate.schedule(self.steps, self.eval_every)

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

    def cost(self) -> runtime.Cost:
        """Every width and seed trained in one program: ``6·N·batch`` FLOPs a step for a model of ``N``
        parameters, plus the test loss on ``n_test`` points at each evaluation."""
        params = float(self.params.sum())
        evals = 2.0 * params * self.n_test * (self.steps // self.eval_every)
        train = runtime.Cost.training(params=params, batch=self.batch, steps=self.steps, runs=self.n_seeds,
                                      activations=float(sum(self.widths)))
        return train + runtime.Cost(flops=evals * self.n_seeds)

    def paper_scale(self) -> str:
        """A toy analogue of Hoffmann et al.'s IsoFLOP study."""
        sizes = [(self.d + 2) * w + 1 for w in (self.widths[0], self.widths[-1])]
        return (f"a toy analogue of Hoffmann et al.'s IsoFLOP study (over 400 transformers of 7·10⁷ to 1.6·10¹⁰ "
                f"parameters): MLPs of {sizes[0]:,} to {sizes[-1]:,} parameters on a synthetic teacher, "
                f"{self.steps:,} steps of batch {self.batch} ({self.steps * self.batch:,} samples), {self.n_seeds} "
                "seeds; the compute-optimal law's form carries over, not its constants")


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
    seeds = validate.seeds(seeds)
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
        progress=progress, desc="isoFLOP sweep", checkpoint=("scaling.mini_chinchilla.isoflop_experiment", cfg),
    )
    return IsoflopResult(
        config=cfg, seeds=seeds, N=cfg.params, D=hist.steps[1:].astype(float) * cfg.batch,
        loss=np.asarray(hist["test"][:, :, 1:], dtype=float), wall_time=hist.wall_time,
    )


#: The positive control's law ``L = E + A/N^α + B/D^β``: known ``a = β/(α+β) = 0.514``, with the compute-optimal
#: sizes of the fast budgets inside the fast size grid.
CONTROL_LAW: Mapping[str, float] = {"E": 0.05, "A": 1.29, "B": 10.0, "alpha": 0.35, "beta": 0.37}


def synthetic_result(cfg: IsoflopConfig, law: Mapping[str, float], seeds: Sequence[int], *,
                     noise: float = 0.01) -> IsoflopResult:
    """A stand-in for :func:`isoflop_experiment` whose learning curves follow a known law (§5's positive control).

    The loss of each size ``N`` of ``cfg`` at each recorded ``D`` is ``E + A/N^α + B/D^β`` times
    ``exp(noise·ε)``, ``ε ~ N(0, 1)`` independent per seed, size and evaluation: what :func:`isoflop_minima`
    must turn into ``a = β/(α+β)``. ``B = 0`` gives a law without valleys (the null).
    """
    if not (isinstance(cfg, runtime.ModeConfig) and hasattr(cfg, "budgets") and hasattr(cfg, "params")):
        raise ValueError(f"cfg must be an isoFLOP config (IsoflopConfig, SGDIsoflopConfig), got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    noise = validate.real("noise", noise, low=0.0)
    missing = {"E", "A", "B", "alpha", "beta"} - set(law)
    if missing:
        raise ValueError(f"law is missing {sorted(missing)}")
    N = cfg.params
    D = np.arange(1, cfg.steps // cfg.eval_every + 1) * cfg.eval_every * cfg.batch
    clean = law["E"] + law["A"] * N[:, None] ** -law["alpha"] + law["B"] * D[None, :] ** -law["beta"]
    eps = np.stack([np.asarray(jax.random.normal(jax.random.key(s), clean.shape)) for s in seeds])
    return IsoflopResult(cfg, seeds, N, D.astype(float), clean[None] * np.exp(noise * eps), 0.0)


def control_exponents(cfg: IsoflopConfig, law: Mapping[str, float] = CONTROL_LAW, *, draws: int = 5,
                      first_seed: int = 100) -> np.ndarray:
    """``â`` of the isoFLOP pipeline on ``draws`` noisy copies of ``law`` (3 seeds each), §5's positive control.

    Draw ``r`` uses noise seeds ``first_seed + 3r + (0, 1, 2)``; the law's own exponent is ``β/(α+β)``.
    """
    draws = validate.integer("draws", draws, low=1)
    out = []
    for r in range(draws):
        res = synthetic_result(cfg, law, [first_seed + 3 * r + i for i in range(3)])
        out.append(isoflop_exponent(cfg.budgets, isoflop_minima(res, cfg.budgets)["N_opt"]))
    return np.asarray(out)


def positive_control(cfg: IsoflopConfig, law: Mapping[str, float] = CONTROL_LAW, *, draws: int = 5,
                     first_seed: int = 100) -> np.ndarray:
    """``â − a`` of :func:`control_exponents`, with ``a = β/(α+β)`` the law's own exponent (the first edition's
    control, judged on the error)."""
    a = law["beta"] / (law["alpha"] + law["beta"])
    return control_exponents(cfg, law, draws=draws, first_seed=first_seed) - a


def isoflop_minima(result: IsoflopResult, budgets: Any, *, seeds: Any = None) -> dict[str, np.ndarray]:
    """The isoFLOP analysis of §5 (Hoffmann et al. 2022, Approach 2).

    For each budget ``C``, a model of ``N`` parameters trains on ``D = C/(6N)`` samples; its loss is read
    off its learning curve (log-log interpolation; sizes whose ``D`` falls outside the recorded range are
    left out). The seed-mean isoFLOP curve gets a parabola in ``log N`` through its lowest point and its
    two neighbours, whose vertex is ``N_opt(C)``. ``interior`` says whether the lowest point has a valid
    neighbour on both sides. ``seeds`` (indices into the result's seeds, repeats allowed) selects the runs
    to average, for a bootstrap over seeds. Returns ``curves`` (budgets × sizes), ``N_opt``, ``L_opt`` (the
    vertex's loss, the loss frontier ``L*(C)``; the lowest point's where there is no vertex), ``interior``.
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
    l_opt = np.full(budgets.size, np.nan)
    interior = np.zeros(budgets.size, dtype=bool)
    logN = np.log(result.N)
    for i in range(budgets.size):
        row = curves[i]
        if np.sum(np.isfinite(row)) < 3:
            continue
        j = int(np.nanargmin(row))
        n_opt[i], l_opt[i] = result.N[j], row[j]
        if 0 < j < row.size - 1 and np.isfinite(row[j - 1]) and np.isfinite(row[j + 1]):
            interior[i] = True
            c2, c1, c0 = np.polyfit(logN[j - 1 : j + 2], np.log(row[j - 1 : j + 2]), 2)
            if c2 > 0:
                n_opt[i], l_opt[i] = math.exp(-c1 / (2 * c2)), math.exp(c0 - c1**2 / (4 * c2))
    return {"curves": curves, "N_opt": n_opt, "L_opt": l_opt, "interior": interior}


def isoflop_exponent(budgets: Any, n_opt: Any) -> float:
    """The exponent ``a`` of ``N_opt ∝ C^a``: the least-squares slope of ``log N_opt`` against ``log C`` (§5)."""
    budgets = validate.array("budgets", budgets, ndim=1, positive=True, min_size=2)
    n_opt = validate.array("n_opt", n_opt, shape=budgets.shape, positive=True)
    return float(np.polyfit(np.log(budgets), np.log(n_opt), 1)[0])


def seed_sweep(cfg: IsoflopConfig, base_seeds: Sequence[int]) -> dict[str, Any]:
    """The page's isoFLOP analysis for each base seed ``b`` (``DLTHEORY_SEED = b``: runs ``b … b + n_seeds − 1``).

    §5 (``05-mini-chinchilla``). Every run needed is trained once, in one call of
    :func:`isoflop_experiment`. Returns ``base_seeds``, ``interior`` (base seeds × budgets), ``a`` (one per
    base seed), ``N_opt`` (base seeds × budgets), ``budgets`` and ``config`` (its ``repr``).
    """
    if not isinstance(cfg, IsoflopConfig):
        raise ValueError(f"cfg must be an IsoflopConfig, got {type(cfg).__name__}")
    base = validate.seeds(base_seeds)
    pool = sorted({b + i for b in base for i in range(cfg.n_seeds)})
    res = isoflop_experiment(cfg, pool)
    interior, a, n_opt = [], [], []
    for b in base:
        iso = isoflop_minima(res, cfg.budgets, seeds=[pool.index(b + i) for i in range(cfg.n_seeds)])
        interior.append(iso["interior"].tolist())
        n_opt.append(iso["N_opt"].tolist())
        ok = np.all(np.isfinite(iso["N_opt"]))  # nan when a budget has no evaluable size
        a.append(isoflop_exponent(cfg.budgets, iso["N_opt"]) if ok else math.nan)
    return {"base_seeds": list(base), "interior": interior, "a": a, "N_opt": n_opt, "budgets": cfg.budgets.tolist(),
            "config": repr(cfg)}


def save_seed_sweep(sweep: Mapping[str, Any], path: Any, *, date: str, device: str) -> None:
    """Write a :func:`seed_sweep` result as JSON with its provenance (``date``, ``device``)."""
    import json

    missing = {"base_seeds", "interior", "a", "N_opt", "budgets", "config"} - set(sweep)
    if missing:
        raise ValueError(f"sweep is missing {sorted(missing)}: pass what seed_sweep returns")
    record = dict(sweep, provenance={"config": f"fast mode, DLTHEORY_SEED = {sweep['base_seeds']}",
                                     "date": str(date), "device": str(device), "mode": "fast"})
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1)


def load_seed_sweep(path: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """A sweep written by :func:`save_seed_sweep` (default: the one shipped, :data:`SEED_SWEEP_FILE`), and its
    provenance for :func:`dltheory.claims.check`. ``interior``, ``a`` and ``N_opt`` come back as arrays."""
    import json
    from importlib import resources

    source = resources.files("dltheory") / "data" / SEED_SWEEP_FILE if path is None else path
    text = source.read_text(encoding="utf-8") if path is None else open(path, encoding="utf-8").read()
    record = json.loads(text)
    provenance = record.pop("provenance")
    record["interior"] = np.asarray(record["interior"], dtype=bool)
    record["a"] = np.asarray(record["a"], dtype=float)
    record["N_opt"] = np.asarray(record["N_opt"], dtype=float)
    return record, provenance
