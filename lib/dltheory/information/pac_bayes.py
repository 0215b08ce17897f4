"""Chapter 5, §5.5 ``05-pac-bayes``: PAC-Bayes and compression bounds on binary digits.

* :func:`kl_inverse`, :func:`pac_bayes_bound`: the Langford-Seeger / Maurer kl bound, inverted
  by bisection in float64.
* :func:`pac_bayes_digits`: Dziugaite and Roy's (2017) recipe in miniature: train a network,
  then optimise a diagonal Gaussian posterior on a PAC-Bayes objective and evaluate the bound.
* :func:`occam_bound`, :func:`compression_bound_digits`: the bound for a hypothesis coded in a given
  number of bits, and a network trained in a random subspace, quantised and entropy-coded.

The data are :func:`dltheory.information.digits.binary_digits`, the network
:mod:`dltheory.information.models`. The kl bounds are computed and inverted in float64.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, train, validate
from dltheory.information import digits, models

__all__ = [
    "kl_bernoulli",
    "kl_inverse",
    "pac_bayes_bound",
    "occam_bound",
    "check_kl_inverse",
    "PACBayesConfig",
    "pac_bayes_digits",
    "pac_bayes_runs",
    "CompressionConfig",
    "entropy_code_bits",
    "compression_bound_digits",
]

LN2 = math.log(2.0)


def kl_bernoulli(q: Any, p: Any) -> np.ndarray:
    """``kl(q ‖ p) = q log(q/p) + (1-q) log((1-q)/(1-p))`` in nats, with ``0 log 0 = 0`` (float64).

    ``q`` and ``p`` are probabilities (arrays broadcast); ``p`` is kept inside ``[1e-300, 1 - 1e-16]``,
    so ``kl(q ‖ 0)`` and ``kl(q ‖ 1)`` are large but finite.
    """
    q = validate.array("q", q, min_size=0, low=0.0, high=1.0)
    p = np.clip(validate.array("p", p, min_size=0, low=0.0, high=1.0), 1e-300, 1 - 1e-16)
    # log1p of the relative differences: exact to double precision even when p is within 1e-9 of q,
    # where log(q/p) would lose the O((p - q)²) value of kl to rounding
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(q > 0, -q * np.log1p((p - q) / np.where(q > 0, q, 1.0)), 0.0)
        b = np.where(q < 1, -(1 - q) * np.log1p((q - p) / np.where(q < 1, 1 - q, 1.0)), 0.0)
    return np.maximum(a + b, 0.0)


def kl_inverse(q: float, c: float, *, tol: float = 1e-12) -> float:
    """Section 5.5: ``sup {p ∈ [q, 1] : kl(q ‖ p) ≤ c}`` by bisection (Langford and Seeger 2001).

    ``kl(q‖·)`` increases on ``[q, 1]``, so bisection on that interval is exact to ``tol``.
    Returns 1 when ``c ≥ log(1/(1-q))``, i.e. when even ``p → 1`` fits.
    """
    q = validate.probability("q", q)
    c = validate.real("c", c, low=0.0)
    tol = validate.real("tol", tol, low=0.0, low_open=True)
    lo, hi = q, 1.0
    if kl_bernoulli(q, 1.0 - 1e-16) <= c:
        return 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if kl_bernoulli(q, mid) > c:
            hi = mid
        else:
            lo = mid
    return hi


def pac_bayes_bound(train_error: float, kl: float, m: int, delta: float = 0.05) -> float:
    """Section 5.5: Maurer's PAC-Bayes-kl bound, ``e_Q ≤ kl⁻¹(ê_Q, (KL(Q‖P) + ln(2√m/δ)) / m)``.

    Maurer (2004), improving Langford and Seeger (2001); holds with probability ``1 - δ`` for all
    posteriors ``Q`` at once, for ``m ≥ 8`` examples.
    """
    train_error = validate.probability("train_error", train_error)
    kl = validate.real("kl", kl, low=0.0)
    m = validate.integer("m", m, low=8)
    delta = validate.probability("delta", delta, open_low=True, open_high=True)
    return kl_inverse(train_error, (kl + math.log(2 * math.sqrt(m) / delta)) / m)


def occam_bound(train_error: float, bits: float, m: int, delta: float = 0.05) -> float:
    """Section 5.5: the Occam (compression) bound for a hypothesis coded in ``bits`` bits:
    ``e ≤ kl⁻¹(ê, (bits·ln 2 + ln(1/δ)) / m)`` (prior ``2^-bits`` on a prefix code; McAllester 1999)."""
    train_error = validate.probability("train_error", train_error)
    bits = validate.real("bits", bits, low=0.0)
    m = validate.integer("m", m, low=1)
    delta = validate.probability("delta", delta, open_low=True, open_high=True)
    return kl_inverse(train_error, (bits * LN2 + math.log(1 / delta)) / m)


def check_kl_inverse(fn: Any) -> None:
    """Exercise check (§5.5): the student's ``kl_inverse(q, c)`` against the library's bisection."""
    selfcheck.function("kl_inverse", fn, kl_inverse, [(0.0, 0.1), (0.05, 0.02), (0.1, 0.3), (0.3, 0.01), (0.02, 2.0)],
                       rtol=1e-5, atol=1e-7,
                       hint="search p in [q, 1] where kl(q||p) = c; kl(q||p) increases with p there.")


@dataclasses.dataclass(frozen=True)
class PACBayesConfig(runtime.ModeConfig):
    """Section 5.5: binary digits (0-4 against 5-9), the network, and the two optimisation stages."""

    m: int = validate.field(1200, validate.integer, low=100, high=1700)
    hidden: int = validate.field(16, validate.integer, low=1)
    sgd_steps: int = validate.field(300, validate.multiple, low=10, of=10)
    sgd_lr: float = validate.field(0.02, validate.real, low=0.0, low_open=True)
    pb_steps: int = validate.field(1000, validate.multiple, low=10, of=10)
    pb_lr: float = validate.field(2e-2, validate.real, low=0.0, low_open=True)
    prior_grid: int = validate.field(100, validate.integer, low=1)
    mc_samples: int = validate.field(200, validate.integer, low=10)
    delta: float = validate.field(0.05, validate.probability, open_low=True, open_high=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> PACBayesConfig:
        return cls()

    @classmethod
    def full(cls) -> PACBayesConfig:
        return cls(hidden=64, pb_steps=10000, mc_samples=2000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Per seed and labelling (true and random): SGD on the ``m`` digits (full batch), the PAC-Bayes
        optimisation of the posterior (one sample a step), and ``mc_samples`` draws to evaluate it."""
        params = 64.0 * self.hidden + self.hidden * 10 + self.hidden + 10
        runs = 2 * self.n_seeds
        train = runtime.Cost.training(params=params, batch=self.m, steps=self.sgd_steps + self.pb_steps, runs=runs,
                                      activations=float(self.hidden + 74))
        return train + runtime.Cost(flops=2.0 * params * self.m * self.mc_samples * runs * (1 + self.prior_grid / 100))

    def paper_scale(self) -> str:
        """Against Dziugaite & Roy's binary MNIST and T-600."""
        return (f"Dziugaite & Roy's binary task (0–4 against 5–9) on {self.m:,} digits instead of MNIST, one hidden "
                f"layer of {self.hidden} units (their 600), {self.pb_steps:,} PAC-Bayes steps, {self.mc_samples:,} "
                f"Monte Carlo draws, {self.n_seeds} seeds")


def _gaussian_kl(w: jax.Array, log_s2: jax.Array, w0: jax.Array, log_lam: jax.Array) -> jax.Array:
    """``KL(N(w, diag e^{log_s2}) ‖ N(w0, e^{log_lam} I))`` in nats."""
    lam = jnp.exp(log_lam)
    return 0.5 * jnp.sum(jnp.exp(log_s2) / lam + (w - w0) ** 2 / lam - 1.0 - log_s2 + log_lam)


def pac_bayes_digits(cfg: PACBayesConfig, seeds: list[int], *, random_labels: bool = False) -> dict[str, Any]:
    """Section 5.5: :func:`pac_bayes_runs` for one label condition (true labels, or random ones)."""
    if not isinstance(random_labels, bool):
        raise ValueError(f"random_labels must be True or False, got {random_labels!r}")
    return pac_bayes_runs(cfg, seeds, (random_labels,))[0]


def pac_bayes_runs(cfg: PACBayesConfig, seeds: list[int], conditions: Any = (False, True)) -> list[dict[str, Any]]:
    """Section 5.5: a non-vacuous PAC-Bayes bound for a small network on binary digits (0-4 against 5-9).

    Dziugaite and Roy (2017) in miniature. (1) Train a ``64-hidden-1`` ReLU network by SGD on the
    logistic loss from a random initialisation ``w0``. (2) Starting from that solution, optimise a
    diagonal Gaussian posterior ``Q = N(w, diag σ²)`` and a prior variance ``λ`` (prior ``N(w0, λI)``,
    data-independent because ``w0`` is) on the objective ``ê + c + sqrt(2 ê c)``, an upper bound on
    ``kl⁻¹(ê, c)``, with ``ê`` the logistic loss (in bits) under Q and ``c = (KL(Q‖P) + ln J + ln(2√m/δ)) / m``.
    (3) Round ``λ`` to the nearest of ``J = cfg.prior_grid`` values fixed in advance (a union bound pays
    ``ln J``), estimate the training error of ``Q`` with ``cfg.mc_samples`` weight samples and bound it
    by a sample-convergence kl bound (``δ/2``), and invert Maurer's kl bound (``δ/2``).
    ``conditions`` lists label conditions (``False``: true labels, ``True``: random labels, the null);
    every (condition, seed) pair is one run of the same compiled program, so the null costs no extra
    compilation. Returns one dict per condition, each with per seed: the bound, the MC train and test error
    of ``Q``, the train/test error of the SGD network, ``KL``, the prior variance, and the posterior itself
    (``w``, ``s2``, ``w0``, ``lam``), plus the number of parameters.
    """
    if not isinstance(cfg, PACBayesConfig):
        raise ValueError(f"cfg must be a PACBayesConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    conditions = tuple(conditions)
    if not conditions or not all(isinstance(c, bool) for c in conditions):
        raise ValueError(f"conditions must be a non-empty sequence of True/False, got {conditions!r}")
    n_seeds, run_seeds = len(seeds), [s for _ in conditions for s in seeds]
    flags = [c for c in conditions for _ in seeds]
    m = cfg.m
    log_lam_grid = np.linspace(math.log(1e-4), math.log(1.0), cfg.prior_grid)
    delta_half = cfg.delta / 2
    xs, ys, w0s, unravel = digits.binary_digits(cfg.m, cfg.hidden, run_seeds, random_labels=flags)
    xtr, ytr, xte, yte = xs[:, :m], ys[:, :m], xs[:, m:], ys[:, m:]
    n_params = int(w0s.shape[1])
    runs = {"run": np.arange(len(run_seeds), dtype=float), "seed": np.array(run_seeds, float)}

    def logits(w: jax.Array, x: jax.Array) -> jax.Array:
        return models.mlp(unravel(w), x)[:, 0]

    def error(w: jax.Array, x: jax.Array, y: jax.Array) -> jax.Array:
        return jnp.mean((logits(w, x) > 0) != (y > 0.5))

    # (1) SGD from the initialisation w0 of each seed; all seeds in one compiled program.
    def sgd_loss(w: jax.Array, key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        r = hp["run"].astype(jnp.int32)
        idx = jax.random.randint(jax.random.fold_in(key, hp["seed"].astype(jnp.uint32)), (100,), 0, m)
        return jnp.mean(optax.sigmoid_binary_cross_entropy(logits(w, xtr[r, idx]), ytr[r, idx]))

    hist = train.train(lambda k, hp: w0s[hp["run"].astype(jnp.int32)], sgd_loss, optax.sgd(cfg.sgd_lr, momentum=0.9),
                       steps=cfg.sgd_steps, eval_every=cfg.sgd_steps // 10, seeds=[0], data=jnp.zeros(()),
                       batch=lambda k, d: k, hparams=runs, desc="SGD")
    w_sgd = jnp.asarray(hist.params[0])  # (n_seeds, n_params)

    # (2) the posterior, optimised on an upper bound of the PAC-Bayes-kl bound.
    kl_const = math.log(cfg.prior_grid) + math.log(2 * math.sqrt(m) / delta_half)

    def pb_init(key: jax.Array, hp: dict[str, jax.Array]) -> dict[str, jax.Array]:
        w = w_sgd[hp["run"].astype(jnp.int32)]
        return {"w": w, "log_s2": jnp.full_like(w, 2 * math.log(0.01)), "log_lam": jnp.array(math.log(1e-2))}

    def pb_loss(q: dict[str, jax.Array], key: jax.Array, hp: dict[str, jax.Array]) -> jax.Array:
        r = hp["run"].astype(jnp.int32)
        noise = jax.random.normal(jax.random.fold_in(key, hp["seed"].astype(jnp.uint32)), q["w"].shape)
        w = q["w"] + jnp.exp(0.5 * q["log_s2"]) * noise
        surrogate = jnp.mean(optax.sigmoid_binary_cross_entropy(logits(w, xtr[r]), ytr[r])) / math.log(2.0)
        c = (_gaussian_kl(q["w"], q["log_s2"], w0s[r], q["log_lam"]) + kl_const) / m
        return surrogate + c + jnp.sqrt(2 * surrogate * c)  # an upper bound on kl⁻¹(surrogate, c)

    hist = train.train(pb_init, pb_loss, optax.adam(cfg.pb_lr), steps=cfg.pb_steps, eval_every=cfg.pb_steps // 10,
                       seeds=[0], data=jnp.zeros(()), batch=lambda k, d: k, hparams=runs, desc="PAC-Bayes posteriors")

    # (3) round λ to the grid, estimate the errors of Q by sampling, invert the bounds.
    out: dict[str, list[float]] = {k: [] for k in ("bound", "train_err_q", "test_err_q", "train_err_sgd",
                                                  "test_err_sgd", "kl", "lam")}
    posteriors: list[dict[str, Any]] = []
    for r, s in enumerate(run_seeds):
        q = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0, r]), hist.params)
        log_lam = float(log_lam_grid[np.argmin(np.abs(log_lam_grid - float(q["log_lam"])))])
        kl = float(_gaussian_kl(q["w"], q["log_s2"], w0s[r], jnp.asarray(log_lam)))
        noise = jax.random.normal(jax.random.key(s + 10**6), (cfg.mc_samples, n_params))
        samples = q["w"] + jnp.exp(0.5 * q["log_s2"]) * noise
        train_err_q = float(jnp.mean(jax.vmap(lambda w: error(w, xtr[r], ytr[r]))(samples)))
        test_err_q = float(jnp.mean(jax.vmap(lambda w: error(w, xte[r], yte[r]))(samples)))
        train_err_upper = kl_inverse(train_err_q, math.log(2 / delta_half) / cfg.mc_samples)
        c = (kl + math.log(cfg.prior_grid) + math.log(2 * math.sqrt(m) / delta_half)) / m
        out["bound"].append(kl_inverse(train_err_upper, c))
        out["train_err_q"].append(train_err_q)
        out["test_err_q"].append(test_err_q)
        out["train_err_sgd"].append(float(error(w_sgd[r], xtr[r], ytr[r])))
        out["test_err_sgd"].append(float(error(w_sgd[r], xte[r], yte[r])))
        out["kl"].append(kl)
        out["lam"].append(math.exp(log_lam))
        posteriors.append({"w": np.asarray(q["w"], np.float64), "s2": np.exp(np.asarray(q["log_s2"], np.float64)),
                           "w0": np.asarray(w0s[r], np.float64), "lam": math.exp(log_lam)})
    results = []
    for i, random in enumerate(conditions):
        part = slice(i * n_seeds, (i + 1) * n_seeds)
        result = {k: np.array(v[part]) for k, v in out.items()}
        result.update(n_params=n_params, m=m, posteriors=posteriors[part], seeds=tuple(seeds), random_labels=random,
                      config=cfg)
        results.append(result)
    return results


@dataclasses.dataclass(frozen=True)
class CompressionConfig(runtime.ModeConfig):
    """Section 5.5: the random subspace, training budget and quantisation of the compression bound."""

    m: int = validate.field(1200, validate.integer, low=100, high=1700)
    hidden: int = validate.field(16, validate.integer, low=1)
    subspace: int = validate.field(40, validate.integer, low=1)
    steps: int = validate.field(1000, validate.multiple, low=10, of=10)
    lr: float = validate.field(3e-2, validate.real, low=0.0, low_open=True)
    symbol_bits: int = validate.field(8, validate.integer, low=2, high=16)
    delta: float = validate.field(0.05, validate.probability, open_low=True, open_high=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    @classmethod
    def fast(cls) -> CompressionConfig:
        return cls()

    @classmethod
    def full(cls) -> CompressionConfig:
        return cls(hidden=64, subspace=100, steps=5000, n_seeds=10)

    def cost(self) -> runtime.Cost:
        """Per seed and labelling: training in a random ``subspace`` of the MLP's parameters (the projection
        ``params × subspace`` each step, forward and backward) on the ``m`` digits, full batch."""
        params = 64.0 * self.hidden + self.hidden * 10 + self.hidden + 10
        runs = 2 * self.n_seeds
        train = runtime.Cost.training(params=params, batch=self.m, steps=self.steps, runs=runs,
                                      activations=float(self.hidden + 74))
        return train + runtime.Cost(flops=6.0 * params * self.subspace * self.steps * runs)

    def paper_scale(self) -> str:
        """A compression bound at a toy size."""
        return (f"a random subspace of {self.subspace} dimensions (the literature trains in 10²–10⁴) for an MLP of "
                f"{self.hidden} hidden units on {self.m:,} digits, {self.steps:,} steps, {self.n_seeds} seeds")


def entropy_code_bits(symbols: Any, symbol_bits: int) -> float:
    """Section 5.5: bits to send integer ``symbols`` with a code fitted to their own frequencies.

    A prefix code of length ``Σ_i ⌈-log2 f(s_i)⌉``-ish is approximated by the empirical entropy
    ``n·H(f)`` plus one bit per symbol for rounding, plus the codebook: for each distinct symbol its value
    (``symbol_bits`` bits) and its count (``⌈log2(n+1)⌉`` bits), plus ``symbol_bits`` bits for their number.
    """
    symbols = validate.array("symbols", symbols, ndim=1, dtype=np.int64)
    symbol_bits = validate.integer("symbol_bits", symbol_bits, low=1, high=32)
    values, counts = np.unique(symbols, return_counts=True)
    n = symbols.size
    p = counts / n
    payload = float(-(counts * np.log2(p)).sum()) + n
    codebook = symbol_bits + values.size * (symbol_bits + math.ceil(math.log2(n + 1)))
    return payload + codebook


def compression_bound_digits(cfg: CompressionConfig, seeds: list[int], *,
                             random_labels: bool = False) -> dict[str, Any]:
    """Section 5.5: an Occam bound for a quantised network trained in a random subspace (binary digits).

    In the spirit of Lotfi et al. (2022): the weights are ``w0 + P θ`` with ``w0`` and the projection
    ``P`` (``n_params × cfg.subspace``) drawn from the run's seed, which the prior knows; only ``θ`` is
    trained (Adam, logistic loss). ``θ`` is then rounded to a grid of step ``Δ = 2^(-j/4)`` (``j`` among
    ``2^5`` choices, paid with 5 bits) and entropy-coded (:func:`entropy_code_bits`). The bound is
    :func:`occam_bound` with the training error of the quantised network. Returns per seed the bound, the
    code length in bits, train/test errors and the chosen step, and the null: the bound (``null_bound``)
    and training error of the untrained network ``θ = 0``, coded by the same code. With
    ``random_labels=True`` the labels are drawn independently of the images (the random-label null).
    """
    if not isinstance(cfg, CompressionConfig):
        raise ValueError(f"cfg must be a CompressionConfig, got {type(cfg).__name__}")
    if not isinstance(random_labels, bool):
        raise ValueError(f"random_labels must be True or False, got {random_labels!r}")
    seeds = list(validate.seeds(seeds))
    m = cfg.m
    xs, ys, w0s, unravel = digits.binary_digits(cfg.m, cfg.hidden, seeds, random_labels=random_labels)
    xtr, ytr, xte, yte = xs[:, :m], ys[:, :m], xs[:, m:], ys[:, m:]
    projs = jnp.stack([jax.random.normal(jax.random.key(s + 7 * 10**5), (w0s.shape[1], cfg.subspace))
                       for s in seeds]) / math.sqrt(cfg.subspace)

    def logits(theta: jax.Array, r: Any, x: jax.Array) -> jax.Array:
        return models.mlp(unravel(w0s[r] + projs[r] @ theta), x)[:, 0]

    def loss(theta: jax.Array, data: Any, hp: dict[str, jax.Array]) -> jax.Array:
        r = hp["run"].astype(jnp.int32)
        return jnp.mean(optax.sigmoid_binary_cross_entropy(logits(theta, r, xtr[r]), ytr[r]))

    hist = train.train(lambda k, hp: jnp.zeros(cfg.subspace), loss, optax.adam(cfg.lr), steps=cfg.steps,
                       eval_every=cfg.steps // 10, seeds=[0], data=jnp.zeros(()),
                       hparams={"run": np.arange(len(seeds), dtype=float)}, desc="subspace training")
    out: dict[str, list[float]] = {k: [] for k in ("bound", "bits", "train_err", "test_err", "step", "null_bound",
                                                  "null_train_err")}
    for r in range(len(seeds)):
        theta = np.asarray(hist.params[0, r], dtype=np.float64)
        best = None
        for j in range(32):
            step = 2.0 ** (-j / 4)
            symbols = np.round(theta / step).astype(np.int64)
            if np.abs(symbols).max() >= 2 ** (cfg.symbol_bits - 1):
                continue
            theta_q = jnp.asarray(symbols * step, jnp.float32)
            train_err = float(jnp.mean((logits(theta_q, r, xtr[r]) > 0) != (ytr[r] > 0.5)))
            bits = entropy_code_bits(symbols, cfg.symbol_bits) + 5  # + the choice of j
            bound = occam_bound(train_err, bits, m, cfg.delta)
            if best is None or bound < best[0]:
                test_err = float(jnp.mean((logits(theta_q, r, xte[r]) > 0) != (yte[r] > 0.5)))
                best = (bound, bits, train_err, test_err, step)
        if best is None:
            raise ValueError("no quantisation step fits symbol_bits; increase symbol_bits")
        for k, v in zip(("bound", "bits", "train_err", "test_err", "step"), best):
            out[k].append(v)
        # the null: the untrained network theta = 0 (step 0), coded and bounded by the same code
        zero = np.zeros(cfg.subspace, np.int64)
        train_err0 = float(jnp.mean((logits(jnp.zeros(cfg.subspace), r, xtr[r]) > 0) != (ytr[r] > 0.5)))
        out["null_bound"].append(occam_bound(train_err0, entropy_code_bits(zero, cfg.symbol_bits) + 5, m, cfg.delta))
        out["null_train_err"].append(train_err0)
    result = {k: np.array(v) for k, v in out.items()}
    result.update(m=m, seeds=tuple(seeds), config=cfg, random_labels=random_labels)
    return result
