"""Section 3.8, from lazy to rich (page ``chapters/03-grokking/08-lazy-to-rich``).

Lyu et al. (2024) prove that a homogeneous network started at scale ``α`` and trained with a small weight decay
``λ`` stays near the kernel (lazy) predictor of its initialisation until its weights have shrunk by about the
factor ``α``, a time of order ``ln(α)/(ηλ)``, and then moves sharply to a min-norm / max-margin (rich) predictor;
Kumar et al. (2024) describe grokking as the same lazy-to-rich transition, but need no weight decay (their
``α`` is an output multiplier and the norm grows). :func:`scale_sweep` measures the
delay on the digits of Section 3.5 (:class:`LazyRichConfig`) at several initial scales, with weight decay ``λ``,
``2λ`` and, as the null, 0, in one vmapped program; :func:`log_slope` fits the steps to generalise against
``ln α``, whose slope the theory puts at ``1/(ηλ)``; :func:`fitted_kappa` the norm ratio ``κ`` at which the
features move, in the model ``t ≈ ln(α/κ)/(ηλ)``; :func:`slide_steps` is the theory's time itself
(:func:`check_slide_steps`, its exercise). On modular addition, :func:`output_scale_sweep` multiplies the logits of
the network of Section 3.1 by a fixed ``α``, with and without weight decay, and reads the steps to generalise at
each scale. This is an output multiplier in the spirit of Kumar et al.'s ``α``, not their laziness control: the
logits are not centred at initialisation (``α(f − f₀)``), the loss is not rescaled by ``1/α²`` (Chizat et al.
2019), and the optimiser is AdamW with cross-entropy, not gradient descent with squared error. AdamW's step does not
scale with the gradient, so here ``α`` acts largely as a temperature on the logits; a fast build reads the page's
sweep saved (:func:`dltheory.saved.call`: its one claim is registered as not reproduced). Kumar et al.'s control
itself is :mod:`dltheory.grokking.lazy_rich_modular`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import numpy as np

from dltheory import runtime, selfcheck, train, validate
from dltheory.grokking.lazy_rich_modular import CentredConfig
from dltheory.grokking.memorise_then_generalise import order_share
from dltheory.grokking.models import GrokConfig, init_model
from dltheory.grokking.omnigrok_digits import DigitsResult, OmnigrokConfig, digits_run
from dltheory.grokking.training import delays, first_step, run

__all__ = ["LazyRichConfig", "WEIGHT_DECAY_FACTORS", "scale_sweep", "log_slope", "fitted_kappa", "slide_steps",
           "check_slide_steps", "INIT_SCALES",
           "OUTPUT_SCALES", "output_scale_sweep", "later_share", "page_runs", "registered_times",
           "registered_slopes", "MODULAR_SCALES", "modular_config", "scaled_init", "modular_scale_sweep", "ONSET_SCALES",
           "onset_config", "onset_sweep", "onset_slopes"]

#: The initial scales of Section 3.8's digits sweep (a factor √2 between neighbours).
INIT_SCALES: tuple[float, ...] = (4.0, 4.0 * 2.0**0.5, 8.0)

#: Section 3.8's weight decays, in units of the config's ``λ``: the measurement, twice it, and 0 (the null).
WEIGHT_DECAY_FACTORS: tuple[float, ...] = (1.0, 2.0, 0.0)

#: The output multipliers of Section 3.8's modular-addition sweep (a factor 8 between neighbours, 64 in all).
OUTPUT_SCALES: tuple[float, ...] = (0.25, 2.0, 16.0)

#: The initial scales of Section 3.8's modular-addition sweep of Lyu et al.'s scale (a factor 2 between neighbours).
MODULAR_SCALES: tuple[float, ...] = (2.0, 4.0, 8.0)

#: The initial scales of ``lazy-rich-onset-modular`` (a factor 4 between neighbours, all above Adam's balance norm).
ONSET_SCALES: tuple[float, ...] = (16.0, 64.0, 256.0)


@dataclasses.dataclass(frozen=True)
class LazyRichConfig(runtime.ModeConfig):
    """Section 3.8's digits sweep: Section 3.5's network and optimiser (:class:`OmnigrokConfig`) with its width,
    weight decay ``λ`` and steps set here, trained at the :data:`INIT_SCALES` and at the weight decays
    ``λ``, ``2λ`` and 0 (:data:`WEIGHT_DECAY_FACTORS`).

    ``full()`` is Section 3.5's full configuration (Liu et al.'s MNIST recipe on the digits: width 200, lr 1e-3,
    λ = 0.01) with a budget of 150,000 steps instead of 10⁵: the theory puts α = 8 at ``ln(8/κ)/(ηλ)`` steps,
    about 92,000 at the fast mode's fitted ``κ`` ≈ 3.2 (3.2–3.5 in both fast configurations); 150,000 steps leave
    room down to ``κ`` ≈ 1.8 within chapter 3's full-mode budget (``κ = 1`` would need 208,000). A run cut off by the
    budget would bias the slope low; the page flags one instead of counting it. ``fast()`` is Section 3.5's fast configuration (lr 2e-3, 200 images, full
    batch) at width 100 instead of 200 and λ = 0.2 instead of 0.1, for 4,000 steps instead of 6,000: the theory's
    time scale ``1/(ηλ)`` is 2,500 steps instead of 5,000, a step costs a third, and the page fits in about a
    minute (claims ``lazy-rich-slope-small``, ``lazy-rich-rate-small``; the full-mode claims are
    ``lazy-rich-slope``, ``lazy-rich-rate``).
    """

    base: str = validate.field("fast", validate.choice, options=("fast", "full"))
    width: int = validate.field(100, validate.integer, low=1)
    weight_decay: float = validate.field(0.2, validate.real, low=0.0, low_open=True)
    steps: int = validate.field(4000, validate.integer, low=1)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        self.digits()  # the steps must be a multiple of the base configuration's evaluation interval

    @classmethod
    def fast(cls) -> LazyRichConfig:
        return cls()

    @classmethod
    def full(cls) -> LazyRichConfig:
        return cls(base="full", width=200, weight_decay=0.01, steps=150_000)

    def digits(self) -> OmnigrokConfig:
        """The :class:`OmnigrokConfig` the sweep trains (Section 3.5's, with this config's fields)."""
        base = OmnigrokConfig.full() if self.base == "full" else OmnigrokConfig.fast()
        return base.replace(width=self.width, weight_decay=self.weight_decay, steps=self.steps, n_seeds=self.n_seeds)

    def cost(self) -> runtime.Cost:
        """One program: every weight decay × scale × seed, ``steps`` steps each."""
        runs = len(WEIGHT_DECAY_FACTORS) * len(INIT_SCALES) * self.n_seeds
        return self.digits().training_cost(self.steps, runs)

    def paper_scale(self) -> str:
        """Against Liu et al.'s MNIST recipe, as Section 3.5's config."""
        return (f"Section 3.5's digits network at width {self.width}, weight decay {self.weight_decay:g} (and twice "
                f"that, and 0), {self.steps:,} steps, {self.n_seeds} seeds, at {len(INIT_SCALES)} initial scales: "
                f"Lyu et al. state no configuration; the full one is Section 3.5's (Liu et al.'s MNIST recipe)")


def scale_sweep(
    cfg: OmnigrokConfig, alphas: Sequence[float], seeds: Sequence[int] | None = None, *,
    factors: Sequence[float] = WEIGHT_DECAY_FACTORS, generalise: float = 0.8,
) -> dict[str, Any]:
    """Train the digits MLP at each initial scale in ``alphas`` and each weight decay ``f · cfg.weight_decay``,
    ``f`` in ``factors`` (default λ, 2λ and 0, the null), the weight norm free, in one vmapped program (Section 3.8).

    Returns the :class:`dltheory.grokking.omnigrok_digits.DigitsResult` (``result``; settings weight-decay-major,
    the scale varying fastest, ``cfg.steps`` steps) and ``t``, the steps to ``generalise`` test accuracy, shape
    ``(n_seeds, len(factors), len(alphas))``; a run that never gets there counts as getting there at the end of
    its budget, and ``reached`` (same shape) says which runs did get there.
    """
    if not isinstance(cfg, OmnigrokConfig):
        raise ValueError(f"cfg must be an OmnigrokConfig, got {type(cfg).__name__}")
    alphas = _increasing("alphas", alphas)
    factors = validate.array("factors", factors, ndim=1, nonnegative=True)
    if factors.size < 1:
        raise ValueError("factors must hold at least one weight-decay factor")
    validate.probability("generalise", generalise, open_low=True)
    hp = train.grid(weight_decay=factors * cfg.weight_decay, alpha=alphas)
    result = digits_run(cfg, seeds, hparams=hp, desc="scale sweep")
    shape = (len(result.seeds), factors.size, alphas.size)
    t = _capped(result, generalise).reshape(shape)
    reached = np.isfinite(first_step(result.steps, result.test_acc, generalise)).reshape(shape)
    return {"result": result, "t": t, "reached": reached}


def registered_slopes(t: Any, alphas: Sequence[float], lr: float, weight_decay: float) -> dict[str, np.ndarray]:
    """From the steps ``t`` (seeds × weight decay λ, 2λ, 0 × scales) of :func:`scale_sweep`: the slope in ``ln α``
    in units of ``1/(ηλ)`` at λ (``slopes``) and at 0 (``slopes_null``), and the slope at λ over that at 2λ
    (``rate_ratio``), one value a seed: what ``lazy-rich-slope`` and ``lazy-rich-rate`` judge."""
    t = validate.array("t", t, ndim=3)
    if t.shape[1] != len(WEIGHT_DECAY_FACTORS):
        raise ValueError(f"t must hold the weight decays {WEIGHT_DECAY_FACTORS} on its second axis, got {t.shape}")
    rate = validate.real("lr", lr, low=0.0, low_open=True) * validate.real("weight_decay", weight_decay, low=0.0,
                                                                             low_open=True)
    wd, wd2, null = (log_slope(alphas, t[:, j]) for j in range(3))
    return {"slopes": wd * rate, "slopes_null": null * rate, "rate_ratio": wd / wd2}


def registered_times(cfg: OmnigrokConfig | None = None, seeds: Sequence[int] | None = None) -> dict[str, Any]:
    """:func:`scale_sweep` at :data:`INIT_SCALES` on the configuration ``lazy-rich-slope`` and ``lazy-rich-rate``
    were registered on (``cfg``, default Section 3.5's ``OmnigrokConfig.fast()``): ``seeds`` (default
    ``runtime.seeds(n_seeds)``), the steps ``t`` and ``reached``, what :func:`registered_slopes` reads. The page's
    own fast run is a smaller configuration (claims ``-small``); a fast build reads this one saved. Also returns the
    configuration's ``lr`` and ``weight_decay``, the units of the slopes."""
    cfg = OmnigrokConfig.fast() if cfg is None else cfg
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else seeds
    out = scale_sweep(cfg, INIT_SCALES, seeds)
    return {"seeds": np.asarray(out["result"].seeds), "t": out["t"], "reached": out["reached"],
            "lr": np.asarray(cfg.lr), "weight_decay": np.asarray(cfg.weight_decay)}


def _capped(result: DigitsResult, level: float) -> np.ndarray:
    t = first_step(result.steps, result.test_acc, level)
    return np.minimum(t, result.steps[-1])


def _with_decay(cfg: Any) -> GrokConfig:
    """``cfg``, checked to be a :class:`GrokConfig` with weight decay (the modular-addition sweeps train 0 as
    their null arm)."""
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    if cfg.weight_decay <= 0:
        raise ValueError(f"cfg.weight_decay must be > 0 (weight decay 0 is the null arm), got {cfg.weight_decay}")
    return cfg


def _increasing(name: str, values: Any) -> np.ndarray:
    """``values`` as an array of at least two increasing positive scales, or a ``ValueError`` naming ``name``."""
    values = validate.array(name, values, ndim=1)
    if values.size < 2 or np.any(values <= 0) or np.any(np.diff(values) <= 0):
        raise ValueError(f"{name} must be at least two increasing positive scales, got {values}")
    return values


def output_scale_sweep(
    cfg: GrokConfig | None = None, scales: Sequence[float] = OUTPUT_SCALES, seeds: Sequence[int] | None = None,
) -> dict[str, np.ndarray]:
    """Train ``a + b mod p`` with the logits multiplied by each of ``scales``, with and without weight decay.

    Section 3.8 (an uncentred output multiplier α, after Kumar et al. 2024; Lyu et al.'s ``ln(α)/(ηλ)``). One vmapped
    :func:`dltheory.grokking.training.run` over the grid ``weight_decay ∈ {cfg.weight_decay, 0}`` × ``scales``
    (``cfg`` defaults to ``GrokConfig.fast()``, the page's in both modes; ``seeds`` to ``runtime.seeds(n_seeds)``).
    Returns ``seeds``, ``scales`` and the steps to 99% train and test accuracy, ``t_fit`` and ``t_grok``, each of
    shape ``(n_seeds, 2, len(scales))`` (index 1 of the middle axis: weight decay 0, the null), ``inf`` where the
    budget ran out first.
    """
    cfg = _with_decay(GrokConfig.fast() if cfg is None else cfg)
    scales = _increasing("scales", scales)
    hp = train.grid(weight_decay=[cfg.weight_decay, 0.0], output_scale=scales)
    result = run(cfg, seeds, hparams=hp, desc="output-scale sweep")
    t = delays(result)
    shape = (len(result.seeds), 2, scales.size)
    return {"seeds": np.array(result.seeds), "scales": scales,
            "t_fit": t["t_fit"].reshape(shape), "t_grok": t["t_grok"].reshape(shape)}


def modular_config() -> GrokConfig:
    """Section 3.8's modular-addition scale sweep, in both modes: Section 3.1's fast configuration (the MLP at
    ``p = 47``, AdamW lr 3e-3, weight decay 1) with 6,000 steps instead of 3,500, so that ``α = 8`` has room
    (claims ``lazy-rich-slope-modular`` and ``-most``)."""
    return GrokConfig.fast().replace(steps=6000)


def scaled_init(cfg: GrokConfig, seed: int, alpha: float) -> dict[str, Any]:
    """The parameters a fresh run of ``seed`` starts from in :func:`dltheory.grokking.training.run` (the first half
    of the split of ``jax.random.key(seed)``, as :func:`dltheory.train.train` draws it), every one multiplied by
    ``alpha``: Lyu et al.'s initial scale (Section 3.8)."""
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    seed = int(validate.seeds([seed])[0])
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    k_init, _ = jax.random.split(jax.random.key(seed))
    return jax.tree_util.tree_map(lambda x: x * np.float32(alpha), init_model(k_init, cfg))


def modular_scale_sweep(
    cfg: GrokConfig | None = None, alphas: Sequence[float] = MODULAR_SCALES, seeds: Sequence[int] | None = None,
    *, null: bool = True,
) -> dict[str, np.ndarray]:
    """Train ``a + b mod p`` from each seed's standard initialisation multiplied by each of ``alphas``, with weight
    decay ``cfg.weight_decay`` and, as the null (``null=True``), 0 (Section 3.8; Lyu et al.'s scale on Section
    3.1's MLP).

    ``cfg`` defaults to :func:`modular_config`, ``seeds`` to ``runtime.seeds(n_seeds)``. One
    :func:`dltheory.grokking.training.run` per seed and scale (it starts every run of a call from one set of
    weights), each training the weight decays. Returns ``seeds``, ``alphas``, ``lr``, ``weight_decay``,
    ``steps`` (the evaluations) and, of shape ``(n_seeds, n_decays, len(alphas))`` (index 1 of the middle axis, where
    ``null``: weight decay 0), ``t_fit``, ``t_onset`` and ``t_grok`` (steps to 99% train accuracy, to 10% and to
    99% test accuracy, ``inf`` where the budget ran out first) and ``final_test``; ``test_acc`` and
    ``weight_norm`` add the evaluations as a last axis.
    """
    cfg = _with_decay(modular_config() if cfg is None else cfg)
    alphas = _increasing("alphas", alphas)
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else [int(s) for s in validate.seeds(seeds, distinct=True)]
    hp = {"weight_decay": [cfg.weight_decay, 0.0] if null else [cfg.weight_decay]}
    results = [[run(cfg, [seed], hparams=hp, init_params=scaled_init(cfg, seed, alpha),
                    desc=f"seed {seed}, alpha {alpha:g}") for alpha in alphas] for seed in seeds]
    times = [[delays(r) for r in row] for row in results]

    def stack(get: Callable[[Any, Any], np.ndarray]) -> np.ndarray:  # (seed, weight decay, alpha, ...)
        return np.stack([np.stack([get(r, t) for r, t in zip(row, trow)], axis=1)
                         for row, trow in zip(results, times)])

    return {"seeds": np.array(seeds), "alphas": alphas, "lr": np.asarray(cfg.lr),
            "weight_decay": np.asarray(cfg.weight_decay), "steps": np.asarray(results[0][0].steps),
            "t_fit": stack(lambda r, t: t["t_fit"][0]), "t_onset": stack(lambda r, t: t["t_leave"][0]),
            "t_grok": stack(lambda r, t: t["t_grok"][0]),
            "final_test": stack(lambda r, t: r.test_acc[0, :, -1]), "test_acc": stack(lambda r, t: r.test_acc[0]),
            "weight_norm": stack(lambda r, t: r.weight_norm[0])}


def onset_config() -> GrokConfig:
    """The configuration of ``lazy-rich-onset-modular`` (Section 3.8), in both modes: :func:`modular_config`'s
    network and optimiser, six seeds, 5,000 steps (room for the onset at ``α = 256`` at the theory's rate)."""
    return modular_config().replace(steps=5000, n_seeds=6)


def onset_sweep() -> dict[str, np.ndarray]:
    """:func:`modular_scale_sweep` at :data:`ONSET_SCALES` on :func:`onset_config`, weight decay only (the claim's
    null is the time to fit of the same runs, :func:`onset_slopes`): what ``lazy-rich-onset-modular`` judges."""
    return modular_scale_sweep(onset_config(), ONSET_SCALES, null=False)


def onset_slopes(sweep: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """From a :func:`modular_scale_sweep` result, the weight-decay runs' per-seed least-squares slopes against
    ``ln α``, in units of ``1/(ηλ)``, of the onset of generalisation (``slopes``: steps to 10% test accuracy) and of
    the time to fit (``fit_slopes``: steps to 99% train accuracy), and ``never``, the seeds with a run that never
    reached the onset (degenerate; their times count at the budget's end in the slope)."""
    need = ("alphas", "lr", "weight_decay", "steps", "t_fit", "t_onset")
    missing = [k for k in need if k not in sweep]
    if missing:
        raise ValueError(f"sweep must be a modular_scale_sweep result; missing {missing}")
    alphas, budget = np.asarray(sweep["alphas"]), float(np.asarray(sweep["steps"])[-1])
    onset, fit = (validate.array(k, sweep[k], ndim=3, finite=False)[:, 0] for k in ("t_onset", "t_fit"))
    rate = float(sweep["lr"]) * float(sweep["weight_decay"])
    return {"slopes": log_slope(alphas, np.minimum(onset, budget)) * rate,
            "fit_slopes": log_slope(alphas, np.minimum(fit, budget)) * rate,
            "never": ~np.isfinite(onset).all(axis=1)}


def later_share(scales: Any, times: Any) -> np.ndarray:
    """Per seed, the share of pairs of scales in which the *smaller* scale generalises first (Section 3.8).

    ``times`` has shape ``(n_seeds, len(scales))``, ``inf`` where a run never generalised (it ranks last; two
    such runs tie, ½). :func:`dltheory.grokking.memorise_then_generalise.order_share` with the axis reversed:
    1 when the delay grows with the scale on every pair, ½ on average when it does not depend on it.
    """
    scales = _increasing("scales", scales)
    t = validate.array("times", times, ndim=2, finite=False)
    if t.shape[1] != scales.size:
        raise ValueError(f"times must have shape (n_seeds, {scales.size}), got {t.shape}")
    return order_share(1.0 / scales[::-1], t[:, ::-1])


def log_slope(alphas: Any, times: Any) -> np.ndarray:
    """Per seed, the least-squares slope of ``times`` against ``ln α`` (Section 3.8), in steps per e-fold of ``α``.

    ``times`` has shape ``(n_seeds, len(alphas))``. Lyu et al.'s time scale ``ln(α)/(ηλ)`` predicts ``1/(ηλ)``.
    """
    alphas = validate.array("alphas", alphas, ndim=1)
    if alphas.size < 2 or np.any(alphas <= 0) or np.unique(alphas).size != alphas.size:
        raise ValueError(f"alphas must be at least two distinct positive scales, got {alphas}")
    t = validate.array("times", times, ndim=2)
    if t.shape[1] != alphas.size:
        raise ValueError(f"times must have shape (n_seeds, {alphas.size}), got {t.shape}")
    x = np.log(alphas) - np.log(alphas).mean()
    return (t - t.mean(axis=1, keepdims=True)) @ x / (x @ x)


def fitted_kappa(alphas: Any, times: Any, lr: float, weight_decay: float) -> np.ndarray:
    """Per seed, the shrink factor ``κ`` of the model ``t ≈ ln(α/κ)/(ηλ)`` fitted at the theory's slope (Section 3.8).

    The weights need only shrink from ``α`` to ``κ`` times their standard size before the features move, so
    ``ln κ = mean over α of (ln α − ηλ t)``, with ``ηλ`` replaced by ``−ln(1 − ηλ)`` (the exact per-step decay).
    ``κ = 1`` is "undo the whole initial scale"; ``κ > 1`` means the network generalises while still larger
    than the standard initialisation. ``times`` has shape ``(n_seeds, len(alphas))``.
    """
    alphas = validate.array("alphas", alphas, ndim=1)
    if alphas.size < 1 or np.any(alphas <= 0):
        raise ValueError(f"alphas must be positive scales, got {alphas}")
    t = validate.array("times", times, ndim=2)
    if t.shape[1] != alphas.size:
        raise ValueError(f"times must have shape (n_seeds, {alphas.size}), got {t.shape}")
    rate = float(np.log(2.0) / slide_steps(2.0, lr, weight_decay))   # −ln(1 − ηλ), checked by slide_steps
    return np.exp(np.mean(np.log(alphas)[None, :] - rate * t, axis=1))


def slide_steps(alpha: float, lr: float, weight_decay: float) -> float:
    """Steps for decoupled weight decay to shrink weights by the factor ``alpha`` (Section 3.8).

    Solves ``α (1 − ηλ)^t = 1``: ``t = −ln α / ln(1 − ηλ) ≈ ln(α)/(ηλ)`` (Lyu et al. 2024's time scale).
    """
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    lr = validate.real("lr", lr, low=0.0, low_open=True)
    weight_decay = validate.real("weight_decay", weight_decay, low=0.0, low_open=True)
    if lr * weight_decay >= 1:
        raise ValueError(f"lr * weight_decay must be below 1, got {lr * weight_decay}")
    return float(-np.log(alpha) / np.log1p(-lr * weight_decay))


def check_slide_steps(fn: Any) -> None:
    """Exercise check: ``fn(alpha, lr, weight_decay)`` is :func:`slide_steps` (exact, not the small-ηλ form)."""
    cases = [(8.0, 2e-3, 0.1), (2.0, 1e-3, 1.0), (100.0, 0.05, 2.0), (1.0, 1e-3, 0.01)]
    selfcheck.function("slide_steps", fn, slide_steps, cases, rtol=1e-6,
                       hint="solve alpha * (1 - lr * weight_decay) ** t = 1 for t exactly; ln(alpha) / (lr * "
                            "weight_decay) is only its small-step approximation.")


def page_runs(config: Callable[[type], Any]) -> runtime.Cost:
    """What page 3.8 runs, for :func:`dltheory.book.budget.page_cost` (``config`` gives the config the budget counts):
    the digits sweep of :class:`LazyRichConfig` (one program, :meth:`LazyRichConfig.cost`), Kumar et al.'s control
    (:func:`dltheory.grokking.lazy_rich_modular.centred_sweep`, one program) and, in full mode only, the
    output-scale sweep of :func:`output_scale_sweep` on Section 3.1's MLP (``GrokConfig.fast()``), six settings where
    ``GrokConfig.cost()`` counts two (a fast build reads it saved, :func:`dltheory.saved.call`). The two sweeps of
    Lyu et al.'s scale (:func:`modular_scale_sweep`, :func:`onset_sweep`) have only a fast configuration and
    fast-mode claims, so a build under base seed 0 reads them saved in both modes (:func:`dltheory.saved.fast_call`)
    and they count in neither; run live, they are one program per seed and scale (9 × 6,000 and 18 × 5,000 steps)."""
    digits = config(LazyRichConfig)
    total = digits.cost() + config(CentredConfig).cost()
    if digits != LazyRichConfig.fast():  # full mode: the output-scale sweep runs live
        total = total + GrokConfig.fast().cost() * len(OUTPUT_SCALES)
    return total
