"""Chapter 4, § 4.10 (``chapters/04-embedding-geometry/10-superposition-phase.md``): superposition with a theory target.

The smallest phase diagram of Elhage et al. (2022): two features x₁, x₂ (importances 1 and r ≤ 1, each zero
with probability S, else uniform on [0, 1]) through one hidden dimension, x' = ReLU(wᵀw x + b). Two candidate
solutions compete: store feature 1 alone and replace feature 2 by its mean (loss L_A), or store both as an
antipodal pair w = (1, −1) (loss L_C); sympy computes both in closed form, and the trained models are compared
with the predicted phase on a grid of (S, r).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from threadpoolctl import threadpool_limits

from dltheory import runtime, train, validate
from dltheory.embeddings.superposition import SuperpositionConfig

__all__ = ["derive_phase_losses", "predicted_superposed", "train_phase_grid", "train_phase_cells", "phase_loss",
           "is_superposed", "SHARED_KEYS_FILE", "save_shared_keys", "load_shared_keys", "ScalingConfig",
           "feature_probabilities", "weak_loss", "train_scaling", "loss_exponents"]

SHARED_KEYS_FILE = "04-embedding-geometry-phase-shared-keys.json"


def derive_phase_losses() -> dict[str, Any]:
    """Derive, with sympy, the expected losses of the two candidate solutions of the n = 2, m = 1 model (§ 4.10).

    With q = 1 − S and x_i = u_i·[feature on], u_i ~ U[0, 1]: storing feature 1 alone (w = (1, 0), b = (0, E x₂))
    reconstructs x₁ exactly and costs r·Var x₂ = r(q/3 − q²/4). The antipodal pair w = (1, −1), b = 0, is exact when
    at most one feature is on; when both are (probability q²), the larger one comes out as the difference and the
    smaller as 0, so each coordinate errs by min(u₁, u₂) and the cost is q²(1 + r)E[min(u₁, u₂)²] = q²(1 + r)/6.
    Superposition wins when L_C < L_A, that is when q < 4r/(2 + 5r). Returns ``L_A``, ``L_C``, ``boundary``.
    """
    import sympy as sp

    q, r = sp.symbols("q r", positive=True)
    u, v = sp.symbols("u v", positive=True)
    e_x = q * sp.integrate(u, (u, 0, 1))
    e_x2 = q * sp.integrate(u**2, (u, 0, 1))
    loss_a = sp.simplify(r * (e_x2 - e_x**2))
    e_min2 = 2 * sp.integrate(sp.integrate(v**2, (v, 0, u)), (u, 0, 1))  # E[min(u, v)²], v < u and the mirror
    loss_c = sp.simplify(q**2 * (1 + r) * e_min2)
    boundary = sp.solve(sp.Eq(loss_a, loss_c), q)
    return {"L_A": loss_a, "L_C": loss_c, "E_min2": e_min2,
            "boundary": [b for b in boundary if b != 0][0], "symbols": {"q": q, "r": r}}


def predicted_superposed(sparsity: Any, ratio: Any) -> np.ndarray:
    """The closed-form phase of :func:`derive_phase_losses`: True where the antipodal pair has the lower loss."""
    s = validate.array("sparsity", sparsity)
    r = validate.array("ratio", ratio)
    q = 1.0 - s
    return q < 4 * r / (2 + 5 * r)


def is_superposed(w: Any) -> bool:
    """A trained 1 × 2 map stores both features in superposition: both columns of norm above 1/2, opposite signs."""
    w = validate.array("w", w, shape=(1, 2))
    return bool(abs(w[0, 0]) > 0.5 and abs(w[0, 1]) > 0.5 and w[0, 0] * w[0, 1] < 0)


def _check_grid(cfg: SuperpositionConfig, sparsities: Sequence[float],
                ratios: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(cfg, SuperpositionConfig) or (cfg.n_features, cfg.n_hidden) != (2, 1):
        raise ValueError("cfg must be a SuperpositionConfig with n_features=2 and n_hidden=1")
    s = validate.array("sparsities", sparsities, ndim=1)
    r = validate.array("ratios", ratios, ndim=1)
    if np.any(s < 0) or np.any(s >= 1) or np.any(r <= 0) or np.any(r > 1):
        raise ValueError("sparsities must lie in [0, 1) and ratios in (0, 1]")
    return s, r


def _sample(key: jax.Array, n: int, sparsity: Any) -> jax.Array:
    """n inputs of the toy model: each feature zero with probability ``sparsity``, else uniform on [0, 1].

    One uniform u per feature does both draws: the feature is on iff u ≥ S, and given that, (u − S)/(1 − S) is
    uniform on [0, 1), so the law is that of an independent value times an independent switch (S < 1)."""
    u = jax.random.uniform(key, (n, 2))
    return jnp.where(u >= sparsity, (u - sparsity) / (1.0 - sparsity), 0.0)


def _loss(params: dict[str, jax.Array], x: jax.Array, ratio: Any) -> jax.Array:
    """The weighted reconstruction loss (x₁ − x'₁)² + r(x₂ − x'₂)², x' = ReLU(wᵀw x + b), averaged over x."""
    x_hat = jax.nn.relu(x @ params["w"].T @ params["w"] + params["b"])
    return jnp.mean(jnp.sum(jnp.stack([1.0, ratio]) * (x - x_hat) ** 2, axis=-1))


def phase_loss(w: Any, b: Any, sparsity: float, ratio: float, *, n: int = 200_000, seed: int = 0) -> float:
    """Monte Carlo estimate, on ``n`` fresh inputs, of the loss of one trained model (w, b) at (S, r) (§ 4.10).

    Comparable with the closed forms L_A and L_C of :func:`derive_phase_losses` (its standard error is ~1e-4).
    """
    w = validate.array("w", w, shape=(1, 2))
    b = validate.array("b", b, shape=(2,))
    if not (0 <= sparsity < 1 and 0 < ratio <= 1) or n < 1:
        raise ValueError("need 0 <= sparsity < 1, 0 < ratio <= 1 and n >= 1")
    x = _sample(jax.random.key(seed), n, sparsity)
    return float(_loss({"w": jnp.asarray(w), "b": jnp.asarray(b)}, x, ratio))


def train_phase_cells(cfg: SuperpositionConfig, sparsities: Sequence[float], ratios: Sequence[float],
                      seeds: Sequence[int]) -> dict[str, np.ndarray]:
    """Train the n = 2, m = 1 toy model at every (S, r) cell and seed, each cell with its own key (§ 4.10).

    Unlike :func:`train_phase_grid`, where all cells of a seed share one initialisation and one batch stream,
    cell k of a seed initialises and draws its batches from ``jax.random.fold_in`` of that seed's keys on k, so
    the cells of a seed are independent runs. Returns ``w`` (n_seeds, n_sparsities, n_ratios, 1, 2) and ``b``
    (n_seeds, n_sparsities, n_ratios, 2).
    """
    s, r = _check_grid(cfg, sparsities, ratios)
    S, R = (g.ravel() for g in np.meshgrid(s, r, indexing="ij"))

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        w = jax.random.normal(jax.random.fold_in(key, hp["cell"]), (1, 2)) * jnp.sqrt(2.0 / 3.0)
        return {"w": w, "b": jnp.zeros((2,))}

    def batch(key: jax.Array, data: Any) -> jax.Array:
        return key  # the loss draws the batch from this step's key folded with its cell index

    def loss(params: dict[str, jax.Array], key: jax.Array, hp: Any) -> jax.Array:
        return _loss(params, _sample(jax.random.fold_in(key, hp["cell"]), cfg.batch, hp["sparsity"]), hp["ratio"])

    history = train.train(init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps, seeds=seeds,
                          data=jnp.zeros(()), batch=batch,
                          hparams={"sparsity": S, "ratio": R, "cell": np.arange(len(S))},
                          progress=False, desc="phase cells")
    n = len(list(seeds))
    return {"w": np.asarray(history.params["w"]).reshape(n, len(s), len(r), 1, 2),
            "b": np.asarray(history.params["b"]).reshape(n, len(s), len(r), 2)}


def train_phase_grid(cfg: SuperpositionConfig, sparsities: Sequence[float], ratios: Sequence[float],
                     seeds: Sequence[int]) -> np.ndarray:
    """Train the n = 2, m = 1 toy model at every (S, r) of the grid and every seed, in one compiled program (§ 4.10).

    Returns ``w`` of shape (n_seeds, n_sparsities, n_ratios, 1, 2). The loss is (x₁ − x'₁)² + r(x₂ − x'₂)².
    ``cfg`` supplies steps, batch and learning rate (its n_features and n_hidden must be 2 and 1). All cells of one
    seed share its initialisation and batch stream (the first measurement of § 4.10; see :func:`train_phase_cells`).
    """
    s, r = _check_grid(cfg, sparsities, ratios)
    S, R = (g.ravel() for g in np.meshgrid(s, r, indexing="ij"))

    def init(key: jax.Array, hp: Any) -> dict[str, jax.Array]:
        return {"w": jax.random.normal(key, (1, 2)) * jnp.sqrt(2.0 / 3.0), "b": jnp.zeros((2,))}

    def batch(key: jax.Array, data: Any) -> tuple[jax.Array, jax.Array]:
        k_val, k_on = jax.random.split(key)
        return jax.random.uniform(k_val, (cfg.batch, 2)), jax.random.uniform(k_on, (cfg.batch, 2))

    def loss(params: dict[str, jax.Array], b: tuple[jax.Array, jax.Array], hp: Any) -> jax.Array:
        values, on = b
        x = values * (on >= hp["sparsity"])
        x_hat = jax.nn.relu(x @ params["w"].T @ params["w"] + params["b"])
        importance = jnp.stack([1.0, hp["ratio"]])
        return jnp.mean(jnp.sum(importance * (x - x_hat) ** 2, axis=-1))

    history = train.train(init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.steps, seeds=seeds,
                          data=jnp.zeros(()), batch=batch, hparams={"sparsity": S, "ratio": R},
                          progress=False, desc="phase grid")
    w = np.asarray(history.params["w"])
    return w.reshape(len(list(seeds)), len(s), len(r), 1, 2)


def save_shared_keys(superposed: Any, seeds: Sequence[int], path: Any, *, date: str, device: str, commit: str) -> None:
    """Write the trained phases of :func:`train_phase_grid` (True where superposed, shape (n_seeds, n_q, n_r)) as
    JSON with its provenance, so that § 4.10 can judge its first, shared-key claim without retraining it."""
    import json

    sup = validate.array("superposed", superposed, ndim=3, dtype=bool)
    seeds = [validate.integer("seed", x, low=0) for x in seeds]
    if len(seeds) != sup.shape[0]:
        raise ValueError(f"superposed has {sup.shape[0]} seeds but seeds lists {len(seeds)}")
    record = {"seeds": seeds, "superposed": sup.astype(int).tolist(),
              "provenance": {"config": f"fast mode, train_phase_grid on the page's 20 x 20 grid, seeds {seeds}, "
                                       f"code at commit {commit}",
                             "date": str(date), "device": str(device), "commit": str(commit), "mode": "fast"}}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh)


def load_shared_keys() -> tuple[dict[str, Any], dict[str, str]]:
    """The saved shared-key phases (:data:`SHARED_KEYS_FILE`): ``seeds`` and ``superposed`` (bool array), and the
    provenance for :func:`dltheory.claims.check`."""
    import json
    from importlib import resources

    record = json.loads((resources.files("dltheory") / "data" / SHARED_KEYS_FILE).read_text(encoding="utf-8"))
    missing = {"seeds", "superposed", "provenance"} - set(record)
    if missing:
        raise ValueError(f"{SHARED_KEYS_FILE} is not a saved phase grid: missing {sorted(missing)}")
    provenance = record.pop("provenance")
    record["superposed"] = np.asarray(record["superposed"], dtype=bool)
    if record["superposed"].ndim != 3 or record["superposed"].shape[0] != len(record["seeds"]):
        raise ValueError(f"{SHARED_KEYS_FILE}: superposed has shape {record['superposed'].shape}")
    return record, provenance


# ---------------------------------------------------------------- the loss against the number of dimensions


@dataclasses.dataclass(frozen=True)
class ScalingConfig(runtime.ModeConfig):
    """The toy model of Liu, Liu & Gore (2025) (§ 4.10): ``n_features`` features, feature i active with probability
    p_i ∝ i^(−exponent) (normalised so that Σ p_i = 1, one active feature per input on average) and then uniform
    on [0, 2], through m hidden dimensions, x' = ReLU(W Wᵀ x + b), mean squared error over the features. Adam
    (step ``lr``, 10% linear warm-up, cosine decay to 5%) with their decoupled weight decay on W
    (:func:`_feature_norm_decay`), whose sign sets the regime: negative (``strong_decay``: every feature's row is
    pulled towards unit norm, so every feature is stored, overlapping) or positive (``weak_decay``: the usual
    shrinkage, only the most frequent features are stored). One program trains every m of ``dims``, every
    frequency of ``exponents`` and both regimes; the loss is measured at the end on ``n_eval`` fresh inputs."""

    n_features: int = validate.field(192, validate.integer, low=2)
    dims: tuple[int, ...] = validate.field((3, 6, 12, 24), validate.integers, low=1, min_size=2, increasing=True)
    exponents: tuple[float, ...] = validate.field((1.0, 1.5), validate.reals, low=0.0, low_open=True)
    strong_decay: float = validate.field(-1.0, validate.real, high=0.0, high_open=True)
    weak_decay: float = validate.field(1.0, validate.real, low=0.0, low_open=True)
    steps: int = validate.field(3000, validate.integer, low=10)
    batch: int = validate.field(128, validate.integer, low=1)
    lr: float = validate.field(1e-2, validate.real, low=0.0, low_open=True)
    n_eval: int = validate.field(20_000, validate.integer, low=100)

    @classmethod
    def fast(cls) -> ScalingConfig:
        return cls()

    @classmethod
    def full(cls) -> ScalingConfig:
        """Liu et al.'s features and widths (their exp-10: n = 1000, m from 10 to 100), with a quarter of their
        20,000 steps and batches of 512 instead of 2048 (the book's GPU budget); never run yet."""
        return cls(n_features=1000, dims=(10, 15, 25, 39, 63, 100), batch=512, steps=5000, n_eval=100_000)

    def check(self) -> None:
        if self.dims[-1] > self.n_features:
            raise ValueError(f"dims must not exceed n_features = {self.n_features}, got {self.dims}")

    def cost(self) -> runtime.Cost:
        """Three seeds × exponents × two regimes at every m of ``dims``, each W of its own width: about 12·batch·n·m
        FLOPs a step and run (two products forward, four backward)."""
        runs = 3 * len(self.exponents) * 2
        step = 12.0 * self.batch * self.n_features * sum(self.dims) * runs
        return runtime.Cost(flops=step * self.steps, bytes=4.0 * runs * self.n_features * (sum(self.dims) + 2),
                            steps=self.steps)

    def paper_scale(self) -> str:
        """Liu, Liu & Gore's toy model: its size."""
        return (f"{self.n_features} features, m = {self.dims[0]}–{self.dims[-1]}, frequency exponents "
                f"{', '.join(f'{a:g}' for a in self.exponents)}, weight decay {self.strong_decay:g} (strong) and "
                f"{self.weak_decay:g} (weak), {self.steps:,} AdamW steps of {self.batch} inputs")


def feature_probabilities(n_features: int, exponent: float) -> np.ndarray:
    """p_i ∝ i^(−exponent), i = 1..n, normalised to sum 1 (§ 4.10; Liu, Liu & Gore 2025)."""
    n = validate.integer("n_features", n_features, low=1)
    a = validate.real("exponent", exponent, low=0.0)
    p = np.arange(1, n + 1, dtype=np.float64) ** -a
    return p / p.sum()


def weak_loss(n_features: int, exponent: float, m: Any) -> np.ndarray:
    """The loss of weak superposition (§ 4.10): the m most frequent features stored without interference and the
    others replaced by their mean, L(m) = (1/n) Σ_{i>m} (E[u²] p_i − p_i²) with u uniform on [0, 2], E[u²] = 4/3.
    For an infinite tail it falls as m^(1 − exponent): the loss follows the frequency law."""
    p = feature_probabilities(n_features, exponent)
    m = np.atleast_1d(np.asarray(m))
    if np.any(m < 0) or np.any(m > n_features):
        raise ValueError(f"m must lie in [0, {n_features}], got {m}")
    tail = np.concatenate([np.cumsum((4.0 / 3.0 * p - p**2)[::-1])[::-1], [0.0]])
    return tail[m.astype(int)] / n_features


def _scaling_sample(key: jax.Array, p: jax.Array, n: int) -> jax.Array:
    k_on, k_val = jax.random.split(key)
    on = jax.random.uniform(k_on, (n, p.shape[-1])) < p
    return on * jax.random.uniform(k_val, (n, p.shape[-1]), maxval=2.0)


def _feature_norm_decay(decay: Any, eps: float = 1e-8) -> optax.GradientTransformation:
    """The weight decay of Liu, Liu & Gore (2025), decoupled as in AdamW, on W only (§ 4.10): with ``decay`` γ ≥ 0 the
    usual shrinkage, the step adds −lr·γ·W; with γ < 0 each feature's row W_i is pulled towards unit norm, the step
    adds lr·γ·W_i·(1 − 1/‖W_i‖), which grows rows shorter than 1 and shrinks longer ones (plain decoupled decay
    with γ < 0 would grow every weight without bound)."""

    def update(updates: Any, state: Any, params: Any = None) -> tuple[Any, Any]:
        w = params["w"]
        norms = jnp.linalg.norm(w, axis=1, keepdims=True) + eps
        d = jnp.where(decay >= 0, decay * w, -decay * w * (1.0 - 1.0 / norms))
        return {**updates, "w": updates["w"] + d}, state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def train_scaling(cfg: ScalingConfig, seeds: Sequence[int]) -> dict[str, np.ndarray]:
    """Train the toy model of :class:`ScalingConfig` at every m, frequency exponent and regime, one run per seed
    (§ 4.10; Liu, Liu & Gore 2025). Returns ``loss`` of shape (n_seeds, 2 regimes [strong, weak], n_exponents,
    n_dims), each measured on ``n_eval`` fresh inputs, one set per exponent shared by all runs, and ``dims``,
    ``exponents``.

    One compiled program, vmapped over seeds, trains every run. Within a seed every run starts from the same
    Gaussian draw (W its first m columns over √m) and sees the same inputs at each step, drawn once per frequency
    exponent and shared by both regimes and every m (common random numbers: the comparisons across m and regime are
    paired); each m keeps a W of its own width, so no work is spent on columns that a smaller model lacks."""
    if not isinstance(cfg, ScalingConfig):
        raise ValueError(f"cfg must be a ScalingConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds, distinct=True)
    n, D, n_a = cfg.n_features, cfg.dims[-1], len(cfg.exponents)
    probs = jnp.asarray(np.stack([feature_probabilities(n, a) for a in cfg.exponents]), dtype=jnp.float32)
    # the runs of one width, regime-major: (strong, a_0), (strong, a_1), ..., (weak, a_0), ...
    run_exponent = jnp.asarray(np.tile(np.arange(n_a), 2))
    run_decay = jnp.asarray(np.repeat([cfg.strong_decay, cfg.weak_decay], n_a), dtype=jnp.float32)
    schedule = optax.warmup_cosine_decay_schedule(0.0, cfg.lr, max(1, cfg.steps // 10), cfg.steps, 0.05 * cfg.lr)

    def optimizer(decay: Any) -> optax.GradientTransformation:
        return optax.chain(optax.scale_by_adam(), _feature_norm_decay(decay), optax.scale_by_learning_rate(schedule))

    def loss(params: dict[str, jax.Array], x: jax.Array) -> jax.Array:
        out = jax.nn.relu((x @ params["w"]) @ params["w"].T + params["b"])
        return jnp.mean((out - x) ** 2)

    def update(params: Any, opt_state: Any, x: jax.Array, decay: Any) -> tuple[Any, Any]:
        grads = jax.grad(loss)(params, x)
        updates, opt_state = optimizer(decay).update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    def one_seed(key: jax.Array) -> dict[int, jax.Array]:
        k_init, k_data = jax.random.split(key)
        k_w, k_b = jax.random.split(k_init)
        w0, b0 = jax.random.normal(k_w, (n, D)), jax.random.normal(k_b, (n,))
        runs = 2 * n_a
        params = {m: {"w": jnp.broadcast_to(w0[:, :m] / jnp.sqrt(float(m)), (runs, n, m)),
                      "b": jnp.broadcast_to(b0, (runs, n))} for m in cfg.dims}
        opt_state = {m: jax.vmap(lambda p, d: optimizer(d).init(p))(params[m], run_decay) for m in cfg.dims}

        def step(carry: Any, t: jax.Array) -> tuple[Any, None]:
            params, opt_state = carry
            xs = jax.vmap(lambda p: _scaling_sample(jax.random.fold_in(k_data, t), p, cfg.batch))(probs)
            x = xs[run_exponent]
            new = {m: jax.vmap(update)(params[m], opt_state[m], x, run_decay) for m in cfg.dims}
            return ({m: new[m][0] for m in cfg.dims}, {m: new[m][1] for m in cfg.dims}), None

        (params, _), _ = jax.lax.scan(step, (params, opt_state), jnp.arange(cfg.steps))
        return params

    trained = jax.jit(jax.vmap(one_seed))(jax.vmap(jax.random.key)(jnp.asarray(seeds, dtype=jnp.uint32)))
    n_seeds = len(seeds)
    sets = [np.asarray(_scaling_sample(jax.random.key(10_000 + a), probs[a], cfg.n_eval)) for a in range(n_a)]
    final = np.empty((n_seeds, 2, n_a, len(cfg.dims)))
    with threadpool_limits(1):                      # small products: one BLAS thread is faster on a shared CPU
        for j, m in enumerate(cfg.dims):
            w, b = np.asarray(trained[m]["w"]), np.asarray(trained[m]["b"])     # (seed, run, n, m), (seed, run, n)
            for r in range(2 * n_a):
                x = sets[r % n_a]                   # one fresh evaluation set per exponent, shared by all runs
                for i in range(n_seeds):
                    out = np.maximum((x @ w[i, r]) @ w[i, r].T + b[i, r], 0.0)
                    final[i, r // n_a, r % n_a, j] = np.mean((out - x) ** 2, dtype=np.float64)
    return {"loss": final, "dims": np.asarray(cfg.dims), "exponents": np.asarray(cfg.exponents)}


def loss_exponents(dims: Any, loss: Any) -> np.ndarray:
    """The exponent α_m of L ∝ m^(−α_m): minus the least-squares slope of log L on log m, over the last axis."""
    m = validate.array("dims", dims, ndim=1)
    L = np.asarray(loss, dtype=np.float64)
    if L.shape[-1] != m.size or np.any(L <= 0) or np.any(m <= 0):
        raise ValueError(f"loss must be positive with a last axis of {m.size} entries, got shape {L.shape}")
    x = np.log(m) - np.log(m).mean()
    y = np.log(L)
    return -np.sum((y - y.mean(axis=-1, keepdims=True)) * x, axis=-1) / np.sum(x**2)
