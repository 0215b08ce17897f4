"""§10 *Exponents from the statistics of the data* (``chapters/01-scaling-laws/10-data-statistics``).

Cagnetta & Wyart (NeurIPS 2024) and Cagnetta, Raventós, Ganguli & Wyart (ICML 2026): a correlation between two
tokens at distance ``t`` can be used only if it is larger than the noise of its estimate from ``P`` examples,
which falls as ``P^{-1/2}``. If correlations decay as ``t^{-β}``, the resolvable horizon therefore grows as
``t*(P) ∝ P^{1/(2β)}``; if they decay exponentially it grows only as ``log P``.

The source (:func:`sample_tokens`): each sequence is a chain over ``vocab`` symbols that, at every step, redraws
its token uniformly with probability ``λ`` and otherwise keeps it. Drawing ``λ ~ Beta(β, 1)`` once per sequence
makes the connected correlation ``ρ(t) = E[(1 − λ)^t] = Γ(β+1)Γ(t+1)/Γ(t+β+1) ∝ t^{-β}``
(:func:`correlation_decay`); a fixed ``λ`` is a Markov chain with ``ρ(t) = (1 − λ)^t``, the null. The chain is
Markov given ``λ``, so it is sampled exactly at a grid of distances from the last token, whatever the gaps.
:func:`horizon_experiment` estimates ``‖Ĉ(t)‖`` from nested sets of ``P`` sequences and reads off ``t*(P)``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import runtime, validate

__all__ = [
    "correlation_decay",
    "distance_grid",
    "sample_tokens",
    "correlation_norms",
    "horizon",
    "horizon_theory",
    "fit_exponent",
    "HorizonConfig",
    "HorizonResult",
    "horizon_experiment",
    "vocab_config",
    "SEED_RECORD_FILE",
    "load_seed_record",
    "base_seed_table",
    "vocab_exponent",
    "check_vocab_hypothesis",
]


def correlation_decay(t: np.ndarray | float, beta: float) -> np.ndarray:
    """``ρ(t) = β·B(β, t+1) = Γ(β+1)Γ(t+1)/Γ(t+β+1)``: the connected correlation of the mixture source (§10).

    It is ``E[(1 − λ)^t]`` for ``λ ~ Beta(β, 1)`` and behaves as ``Γ(β+1)·t^{-β}`` for large ``t``.
    """
    beta = validate.real("beta", beta, low=0.0, low_open=True)
    t = np.asarray(t, dtype=float)
    if np.any(t < 0):
        raise ValueError("distances t must be non-negative")
    lg = np.vectorize(math.lgamma)
    return np.exp(math.lgamma(beta + 1) + lg(t + 1) - lg(t + beta + 1))


def distance_grid(t_max: int, n: int) -> np.ndarray:
    """About ``n`` distinct integer distances from 1 to ``t_max``, evenly spaced in ``log t``."""
    t_max = validate.integer("t_max", t_max, low=2)
    n = validate.integer("n", n, low=2)
    return np.unique(np.round(np.geomspace(1, t_max, n)).astype(np.int64))


@functools.partial(jax.jit, static_argnames=("n_seq", "vocab"))
def _sample(key: jax.Array, gaps: jax.Array, beta: jax.Array, fixed_rate: jax.Array,
            n_seq: int, vocab: int) -> jax.Array:
    k_rate, k_keep, k_tok = jax.random.split(key, 3)
    u = jax.random.uniform(k_rate, (n_seq,), minval=1e-12, maxval=1.0)
    lam = jnp.where(fixed_rate > 0, fixed_rate, u ** (1.0 / jnp.maximum(beta, 1e-12)))
    log_keep = jnp.log1p(-jnp.minimum(lam, 1.0 - 1e-7))[:, None] * gaps[None, :]      # (n, K): P(no redraw)
    redraw = jax.random.uniform(k_keep, log_keep.shape) >= jnp.exp(log_keep)
    redraw = jnp.concatenate([jnp.ones((n_seq, 1), bool), redraw], axis=1)          # column 0: the last token
    fresh = jax.random.randint(k_tok, redraw.shape, 0, vocab)
    source = jax.lax.cummax(jnp.where(redraw, jnp.arange(redraw.shape[1]), 0), axis=1)  # last redraw so far
    return jnp.take_along_axis(fresh, source, axis=1)


def sample_tokens(key: jax.Array, n_seq: int, distances: Sequence[int], *, vocab: int,
                  beta: float | None = None, rate: float | None = None) -> jax.Array:
    """Tokens at distance 0 (column 0) and at each of ``distances`` before the last token, for ``n_seq`` sequences.

    Exactly one of ``beta`` (the power-law source, ``λ ~ Beta(β, 1)`` per sequence) and ``rate`` (the Markov
    null, a fixed redraw probability ``λ``) is given. Between two grid distances ``g`` steps apart the token
    is kept with probability ``(1 − λ)^g`` and otherwise drawn afresh, which is the chain's exact law there.
    """
    n_seq = validate.integer("n_seq", n_seq, low=1)
    vocab = validate.integer("vocab", vocab, low=2)
    if (beta is None) == (rate is None):
        raise ValueError("give exactly one of beta (power-law source) and rate (Markov null)")
    if beta is not None:
        beta = validate.real("beta", beta, low=0.0, low_open=True)
    if rate is not None:
        rate = validate.real("rate", rate, low=0.0, high=1.0, low_open=True)
    d = np.asarray(distances, dtype=np.int64)
    if d.ndim != 1 or d.size < 1 or d[0] < 1 or np.any(np.diff(d) <= 0):
        raise ValueError("distances must be increasing positive integers")
    gaps = jnp.asarray(np.diff(np.concatenate([[0], d])), jnp.float32)
    return _sample(key, gaps, jnp.float32(beta or 0.0), jnp.float32(rate or 0.0), n_seq, vocab)


@functools.partial(jax.jit, static_argnames=("sizes", "vocab"))
def _counts(tokens: jax.Array, sizes: tuple[int, ...], vocab: int) -> jax.Array:
    n, k1 = tokens.shape
    chunk = jnp.searchsorted(jnp.asarray(sizes), jnp.arange(n), side="right")          # prefix index of each row
    pair = tokens[:, :1] * vocab + tokens[:, 1:]                                          # (n, K)
    idx = (chunk[:, None] * (k1 - 1) + jnp.arange(k1 - 1)[None, :]) * vocab**2 + pair
    flat = jnp.zeros((len(sizes) + 1) * (k1 - 1) * vocab**2, jnp.float32).at[idx.ravel()].add(1.0)
    return jnp.cumsum(flat.reshape(len(sizes) + 1, k1 - 1, vocab, vocab), axis=0)[: len(sizes)]


def correlation_norms(tokens: jax.Array, sizes: Sequence[int], vocab: int) -> tuple[np.ndarray, np.ndarray]:
    """For each prefix of ``P = sizes[j]`` sequences: ``‖Ĉ(t)‖²`` at every grid distance, and its noise level.

    ``Ĉ_ab(t) = p̂(x_0 = a, x_t = b) − p̂(x_0 = a) p̂(x_t = b)``; the noise level
    ``n(P)² = (1 − Σ p̂_a²)(1 − Σ q̂_b²)/P`` is the expectation of ``‖Ĉ‖²`` for independent tokens.
    Returns two arrays of shape ``(J, K)``.
    """
    sizes = tuple(int(s) for s in validate.increasing_integers("sizes", tuple(sizes), min_size=1))
    if sizes[-1] > tokens.shape[0]:
        raise ValueError(f"the largest size {sizes[-1]} exceeds the {tokens.shape[0]} sequences drawn")
    counts = np.asarray(_counts(tokens, sizes, int(vocab)), dtype=np.float64)
    p = counts / np.asarray(sizes, float)[:, None, None, None]
    pa, qb = p.sum(axis=3), p.sum(axis=2)
    c = p - pa[..., :, None] * qb[..., None, :]
    noise2 = (1 - (pa**2).sum(-1)) * (1 - (qb**2).sum(-1)) / np.asarray(sizes, float)[:, None]
    return (c**2).sum(axis=(-1, -2)), noise2


def horizon(norm2: np.ndarray, noise2: np.ndarray, distances: Sequence[int]) -> np.ndarray:
    """``t*``: the first distance at which ``‖Ĉ‖² − n²`` (the signal's squared norm) falls to ``n²``.

    Interpolated linearly in ``log t`` between the last grid point above and the first at or below. NaN where
    the signal is already below the noise at the first distance or never falls to it on the grid.
    """
    ratio = (np.asarray(norm2) - np.asarray(noise2)) / np.asarray(noise2)               # signal / noise, squared
    logt = np.log(np.asarray(distances, float))
    out = np.full(ratio.shape[:-1], np.nan)
    for j in np.ndindex(*ratio.shape[:-1]):
        below = np.nonzero(ratio[j] <= 1.0)[0]
        if below.size == 0 or below[0] == 0:
            continue
        k = below[0]
        frac = (ratio[j][k - 1] - 1.0) / (ratio[j][k - 1] - ratio[j][k])
        out[j] = math.exp(logt[k - 1] + frac * (logt[k] - logt[k - 1]))
    return out


def horizon_theory(rho: Callable[[np.ndarray], np.ndarray], sizes: Sequence[float], vocab: int,
                   t_max: float = 1e9) -> np.ndarray:
    """The estimator's expected ``t*``: the root of ``ρ(t)² = (v − 1)/P`` for a decreasing ``ρ``.

    Found by bisection in ``log t`` between 1 and ``t_max``.

    The signal of the source is ``‖C(t)‖² = ρ(t)²(v − 1)/v²`` and the noise ``n(P)² = ((v − 1)/v)²/P``.
    """
    level = np.sqrt((validate.integer("vocab", vocab, low=2) - 1) / np.asarray(sizes, float))
    lo, hi = np.zeros_like(level), np.full_like(level, math.log(t_max))
    for _ in range(80):
        mid = (lo + hi) / 2
        above = np.asarray(rho(np.exp(mid)), float) > level
        lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.exp((lo + hi) / 2)


def fit_exponent(sizes: Sequence[float], tstar: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``log t*`` on ``log P`` along the last axis (NaN if any ``t*`` is missing)."""
    x = np.log(np.asarray(sizes, float))
    y = np.log(np.asarray(tstar, float))
    xc = x - x.mean()
    return ((y - y.mean(axis=-1, keepdims=True)) * xc).sum(axis=-1) / (xc**2).sum()


@dataclasses.dataclass(frozen=True)
class HorizonConfig(runtime.ModeConfig):
    """§10: ``n_sizes`` training-set sizes ``P`` from ``p_min`` to ``p_max`` (nested), ``vocab`` symbols, sources
    with correlation exponents ``betas`` and the Markov null with redraw probability ``null_rate``; distances on
    a log grid of about ``n_distances`` points up to ``t_max``."""

    vocab: int = validate.field(16, validate.integer, low=2)
    betas: tuple[float, ...] = validate.field((1.0, 0.5), validate.reals, low=0.0, low_open=True)
    null_rate: float = validate.field(0.05, validate.real, low=0.0, high=1.0, low_open=True, high_open=True)
    p_min: int = validate.field(1_000, validate.integer, low=10)
    p_max: int = validate.field(316_228, validate.integer, low=20)
    n_sizes: int = validate.field(6, validate.integer, low=3)
    t_max: int = validate.field(262_144, validate.integer, low=16)
    n_distances: int = validate.field(48, validate.integer, low=8)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        if self.p_max <= self.p_min:
            raise ValueError(f"p_max ({self.p_max}) must exceed p_min ({self.p_min})")
        if any(b <= 0 for b in self.betas):
            raise ValueError(f"betas must be positive, got {self.betas}")

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(int(round(p)) for p in np.geomspace(self.p_min, self.p_max, self.n_sizes))

    @classmethod
    def fast(cls) -> HorizonConfig:
        return cls()

    @classmethod
    def full(cls) -> HorizonConfig:
        return cls(betas=(1.0, 0.75, 0.5), p_max=10_000_000, n_sizes=9, t_max=2**24, n_distances=64, n_seeds=8)

    def cost(self) -> runtime.Cost:
        """Device work: for every seed and source, ``p_max`` sequences at ``K`` distances (a few random draws and
        one scatter-add each); memory is the token array and its uniforms."""
        k = len(distance_grid(self.t_max, self.n_distances))
        sources = len(self.betas) + 1
        return runtime.Cost(flops=float(30 * self.n_seeds * sources * self.p_max * k),
                            bytes=float(16 * self.p_max * (k + 1)), steps=self.n_seeds * sources)

    def paper_scale(self) -> str:
        """Cagnetta et al. measure correlations on corpora of about 10^8-10^9 tokens; here synthetic sources."""
        return (f"Cagnetta et al. estimate token correlations from text corpora of up to about a billion tokens; "
                f"here synthetic sources with β = {', '.join(f'{b:g}' for b in self.betas)}, v = {self.vocab}, "
                f"P = {self.p_min:,}–{self.p_max:,} sequences, {self.n_seeds} seeds")


@dataclasses.dataclass(frozen=True)
class HorizonResult:
    """``tstar[name]`` and ``norm2[name]``/``noise2[name]`` per source (``"beta=1"``, ..., ``"null"``):
    arrays ``(n_seeds, J)`` and ``(n_seeds, J, K)``."""

    sizes: tuple[int, ...]
    distances: np.ndarray
    seeds: tuple[int, ...]
    tstar: dict[str, np.ndarray]
    norm2: dict[str, np.ndarray]
    noise2: dict[str, np.ndarray]

    def exponents(self, name: str) -> np.ndarray:
        """The fitted exponent of ``t*(P)`` per seed for one source."""
        return fit_exponent(self.sizes, self.tstar[name])


def source_name(beta: float | None) -> str:
    return "null" if beta is None else f"beta={beta:g}"


def horizon_experiment(cfg: HorizonConfig, seeds: Sequence[int], *, with_null: bool = True) -> HorizonResult:
    """Draw ``p_max`` sequences per seed and source, and measure ``‖Ĉ(t)‖``, its noise and ``t*`` at every size.

    The sources are ``cfg.betas`` and, unless ``with_null=False``, the Markov null (``"null"``)."""
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    distances = distance_grid(cfg.t_max, cfg.n_distances)
    sources: list[float | None] = [*cfg.betas, None] if with_null else [*cfg.betas]
    tstar, norm2, noise2 = {}, {}, {}
    for i, beta in enumerate(sources):
        runs = []
        for seed in seeds:
            key = jax.random.fold_in(jax.random.key(seed), i)
            tok = sample_tokens(key, cfg.p_max, distances, vocab=cfg.vocab, beta=beta,
                                rate=cfg.null_rate if beta is None else None)
            runs.append(correlation_norms(tok, cfg.sizes, cfg.vocab))
        name = source_name(beta)
        norm2[name] = np.stack([r[0] for r in runs])
        noise2[name] = np.stack([r[1] for r in runs])
        tstar[name] = horizon(norm2[name], noise2[name], distances)
    return HorizonResult(cfg.sizes, distances, seeds, tstar, norm2, noise2)


def vocab_config(vocab: int) -> HorizonConfig:
    """The configuration of exercise ``ex-01-horizon-vocab``: β = 1, P = 3·10^3 to 3·10^5, seeds 0, 1, 2."""
    return HorizonConfig(vocab=vocab, betas=(1.0,), p_min=3_000, p_max=300_000, n_sizes=5, t_max=4_096,
                         n_distances=32, n_seeds=3)


@functools.lru_cache(maxsize=8)
def vocab_exponent(vocab: int) -> float:
    """The median over seeds 0-2 of the exponent of ``t*(P)`` with :func:`vocab_config` (the exercise's answer)."""
    res = horizon_experiment(vocab_config(vocab), [0, 1, 2], with_null=False)
    return float(np.median(res.exponents("beta=1")))


def check_vocab_hypothesis(slope_small: float, slope_large: float, same_exponent: object) -> None:
    """Self-check of exercise ``ex-01-horizon-vocab``: median ``t*(P)`` exponents at ``v = 8`` and ``v = 64`` (β = 1).

    The reference is recomputed here with the exercise's configuration; each slope must be within 0.05 of it,
    and the verdict must be the one the reference gives: the hypothesis holds if both exponents are within
    0.1 of ``1/(2β) = 0.5`` and of each other.
    """
    ref = {v: vocab_exponent(v) for v in (8, 64)}
    for name, value, v in (("slope_small", slope_small, 8), ("slope_large", slope_large, 64)):
        value = validate.real(name, value)
        if abs(value - ref[v]) > 0.05:
            raise ValueError(f"{name} = {value:.3f} is not the exponent of t*(P) at v = {v}; recompute it")
    holds = all(abs(r - 0.5) <= 0.1 for r in ref.values()) and abs(ref[8] - ref[64]) <= 0.1
    if not isinstance(same_exponent, (bool, np.bool_)) or bool(same_exponent) != holds:
        raise ValueError("same_exponent must be True or False, and the verdict the two exponents give: "
                         + ("both are near 1/(2β), so the vocabulary shifts t* by a constant factor only"
                            if holds else "they are not both within 0.1 of 1/(2β) and of each other"))
    print(f"correct: {ref[8]:.3f} and {ref[64]:.3f}; the hypothesis {'holds' if holds else 'fails'}")


SEED_RECORD_FILE = "01-scaling-laws-data-statistics-seeds.json"


def load_seed_record(path: Any = None) -> tuple[dict[str, Any], dict[str, str]]:
    """§10: the record of a sweep of :func:`horizon_experiment` over runs 0 to 16 (base seeds 0 to 14) in fast mode.

    Returns ``(record, provenance)``: ``record["runs"]`` and ``record["exponents"]``, one array per source (the
    exponent of ``t*(P)`` per run, as :meth:`HorizonResult.exponents` gives it). Default: the shipped record,
    :data:`SEED_RECORD_FILE`.
    """
    import json
    from importlib import resources

    source = resources.files("dltheory") / "data" / SEED_RECORD_FILE if path is None else path
    text = source.read_text(encoding="utf-8") if path is None else open(path, encoding="utf-8").read()
    record = json.loads(text)
    missing = {"runs", "exponents", "provenance"} - set(record)
    if missing:
        raise ValueError(f"record is missing {sorted(missing)}")
    provenance = record.pop("provenance")
    record["exponents"] = {k: np.asarray(v, dtype=float) for k, v in record["exponents"].items()}
    if any(v.shape != (len(record["runs"]),) for v in record["exponents"].values()):
        raise ValueError("record: every source needs one exponent per run")
    return record, provenance


def base_seed_table(runs: Sequence[int], exponents: Mapping[str, np.ndarray], targets: Mapping[str, float],
                    n_seeds: int) -> dict[int, dict[str, float]]:
    """For each base seed ``b`` whose runs ``b .. b + n_seeds - 1`` are all in ``runs`` (consecutive), the largest
    distance ``|exponent − target|`` over those runs, per source named in ``targets`` (a claim on every seed holds
    on that base seed if this is within its tolerance). ``"null"`` in ``targets`` maps a target to the null's
    *smallest* distance to it instead (the null must miss on every run)."""
    runs = [int(r) for r in runs]
    if runs != list(range(runs[0], runs[0] + len(runs))) or not 1 <= n_seeds <= len(runs):
        raise ValueError(f"runs must be consecutive and hold at least n_seeds = {n_seeds} runs, got {runs}")
    table: dict[int, dict[str, float]] = {}
    for i in range(len(runs) - n_seeds + 1):
        row = {}
        for name, target in targets.items():
            source = "null" if name.startswith("null") else name
            gap = np.abs(np.asarray(exponents[source], float)[i:i + n_seeds] - target)
            row[name] = float(gap.min() if source == "null" else gap.max())
        table[runs[i]] = row
    return table
