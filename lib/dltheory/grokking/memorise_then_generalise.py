"""Section 3.1, memorise then generalise (page ``chapters/03-grokking/01-memorise-then-generalise``).

The page trains with :func:`dltheory.grokking.training.run` and reads the three times of grokking with
:func:`dltheory.grokking.training.delays` (Power et al. 2022; Nanda et al. 2023); this module adds the
phase diagram over training fraction × weight decay (:func:`phase_grid`, :func:`rank_correlation`,
:func:`order_share`), the weight norm read at the phases (:func:`norm_at_phases`), why the memorising networks
sit below chance (:func:`copied_share`), the delay ratio with runs that never generalise counted at the budget's
end (:func:`delay_ratio`), and the exercise check on the weight-decay hypothesis
(:func:`check_decay_hypothesis`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, selfcheck, train, validate
from dltheory.grokking.data import modular_addition, train_mask
from dltheory.grokking.models import GrokConfig, apply_model
from dltheory.grokking.training import GrokResult, delays, run

__all__ = ["phase_grid", "rank_correlation", "order_share", "H200_FRACTION", "delay_ratio", "norm_at_phases",
           "copied_share", "check_decay_hypothesis"]

#: The run on which the claim ``03-grokking/fraction`` failed (``../shared/gpu/results-2026-12-04.md``): the
#: largest, over weight decays 0.5, 1, 2, of the rank correlations between training fraction (0.5, 0.6, 0.7)
#: and steps to 99% test accuracy, one seed (base seed 0, grid offset 10). Section 3.1 judges the claim on it.
H200_FRACTION: dict[str, Any] = {
    "value": -0.5,
    "provenance": {"config": "fast configuration, phase grid 3 fractions x 3 weight decays, base seed 0",
                   "date": "2026-12-04", "device": "one NVIDIA H200, JAX 0.11.2 CUDA, commit 750cb1e",
                   "mode": "fast"},
    "note": "one swapped pair among three points, on one seed",
}


# --------------------------------------------------------------------------- phase diagram


def phase_grid(
    cfg: GrokConfig, fractions: Sequence[float], weight_decays: Sequence[float], seeds: Sequence[int] | None = None
) -> tuple[GrokResult, np.ndarray]:
    """Train on every (training fraction, weight decay) pair in one vmapped program (Section 3.1).

    Returns the :class:`dltheory.grokking.training.GrokResult` and the steps to 99% test accuracy, shape
    ``(n_seeds, len(fractions), len(weight_decays))`` (``inf`` where the budget ran out first).
    ``seeds`` defaults to one seed, ``runtime.seeds(1)``.
    """
    fractions = validate.array("fractions", fractions, ndim=1)
    weight_decays = validate.array("weight_decays", weight_decays, ndim=1, nonnegative=True)
    if np.any((fractions <= 0) | (fractions >= 1)):
        raise ValueError(f"fractions must lie in (0, 1), got {fractions}")
    hp = train.grid(train_frac=fractions, weight_decay=weight_decays)
    result = run(cfg, runtime.seeds(1) if seeds is None else seeds, hparams=hp, desc="phase grid")
    t_grok = delays(result)["t_grok"].reshape(len(result.seeds), fractions.size, weight_decays.size)
    return result, t_grok


def rank_correlation(x: Any, y: Any) -> float:
    """Spearman's rank correlation of ``x`` and ``y``; ``inf`` (never reached) ranks above every number.

    Section 3.1: how monotone the steps to generalise are in the training fraction or weight decay.
    """
    from scipy.stats import spearmanr

    x = validate.array("x", x, ndim=1, finite=False)
    y = validate.array("y", y, ndim=1, finite=False)
    if x.size != y.size or x.size < 3:
        raise ValueError(f"x and y must have the same length, at least 3; got {x.size} and {y.size}")
    if np.any(np.isnan(x)) or np.any(np.isnan(y)):
        raise ValueError("x and y must not contain NaN")
    if np.unique(x).size < 2 or np.unique(y).size < 2:
        return 0.0
    return float(spearmanr(x, y).statistic)


def order_share(x: Any, times: Any) -> np.ndarray:
    """Per seed, the share of pairs ``x_i < x_j`` in which ``times`` is smaller at ``x_j`` (Section 3.1).

    ``times`` has shape ``(n_seeds, len(x))``: the steps to generalise at each training fraction ``x``,
    ``inf`` where the budget ran out first (such a run ranks after every finite one). A pair scores 1 when
    the larger ``x`` generalises first, ½ on a tie (two runs that never generalise tie), 0 otherwise; the
    result is the mean score over the ``len(x)·(len(x)−1)/2`` pairs of each seed. Perfectly ordered seeds
    give 1; times that do not depend on ``x`` give ½ on average. Unlike a rank correlation over three
    points, one swapped pair moves a seed's share by a third, not from the bar to its far side.
    """
    x = validate.array("x", x, ndim=1)
    if x.size < 2 or np.any(np.diff(x) <= 0):
        raise ValueError(f"x must be increasing with at least 2 entries, got {x}")
    t = validate.array("times", times, ndim=2, finite=False)
    if t.shape[1] != x.size:
        raise ValueError(f"times must have shape (n_seeds, {x.size}), got {t.shape}")
    if np.any(np.isnan(t)):
        raise ValueError("times must not contain NaN (use inf for a run that never generalised)")
    i, j = np.triu_indices(x.size, k=1)
    later, earlier = t[:, i], t[:, j]                       # earlier: the larger fraction
    score = np.where(earlier < later, 1.0, np.where(earlier == later, 0.5, 0.0))
    return score.mean(axis=1)


# --------------------------------------------------------------------------- weight norm and memorisation


def delay_ratio(result: GrokResult, setting: int = 0) -> np.ndarray:
    """t_grok / t_fit per seed for one setting (Power et al. 2022's delay), censored at the budget's end.

    A run that never reaches 99% test accuracy counts as reaching it at the last evaluated step, so its ratio is a
    lower bound (the weight-decay-0 null of ``03-grokking/delay``); a run that never fits raises ``ValueError``.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    n_settings = result.train_acc.shape[1]
    if not 0 <= setting < n_settings:
        raise ValueError(f"setting must be in 0..{n_settings - 1}, got {setting}")
    times = delays(result)
    t_fit, t_grok = times["t_fit"][:, setting], times["t_grok"][:, setting]
    if not np.all(np.isfinite(t_fit)):
        raise ValueError(f"setting {setting}: some seed never reached 99% train accuracy, so it has no delay")
    return np.minimum(t_grok, float(result.steps[-1])) / t_fit


def norm_at_phases(result: GrokResult, setting: int = 0) -> dict[str, np.ndarray]:
    """The weight norm ``‖θ‖₂`` of each seed at the phases of grokking (Section 3.1), one value per seed.

    ``fit``: at the step train accuracy reaches 99%; ``peak``: the largest norm between then and the step
    test accuracy reaches 99%, and ``peak_step`` where it is; ``grok``: at that step; ``final``: at the
    end. A seed that never fits or never groks gets ``nan`` for what it lacks.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    t = delays(result)
    norms = result.weight_norm[:, setting]
    out = {k: np.full(norms.shape[0], np.nan) for k in ("fit", "peak", "peak_step", "grok", "final")}
    out["final"] = norms[:, -1].astype(float)
    for s in range(norms.shape[0]):
        t_fit, t_grok = t["t_fit"][s, setting], t["t_grok"][s, setting]
        if np.isfinite(t_fit):
            out["fit"][s] = norms[s, result.steps == t_fit][0]
        if np.isfinite(t_fit) and np.isfinite(t_grok):
            window = (result.steps >= t_fit) & (result.steps <= t_grok)
            k = np.argmax(np.where(window, norms[s], -np.inf))
            out["peak"][s], out["peak_step"][s] = norms[s, k], result.steps[k]
            out["grok"][s] = norms[s, result.steps == t_grok][0]
    return out


def copied_share(result: GrokResult, index: int = 0, setting: int = 0) -> dict[str, float]:
    """Why a memorising network sits *below* chance on the test pairs (Section 3.1).

    For each test pair ``(a, b)`` the labels of the training pairs in its row, ``(a, b')``, and its column,
    ``(a', b)``, are ``a + b' ≠ a + b`` and ``a' + b ≠ a + b``: never its own label. Returns ``copied``, the
    share of the final network's test predictions that are one of those labels, ``covered``, the mean share
    of the ``p`` labels that they cover, and ``accuracy``, the test accuracy. A network that copies labels
    from the row and column is wrong on every copied prediction, so its accuracy is at most ``1 − copied``
    and can fall below chance, ``1/p``. ``index`` and ``setting`` pick the run (seed position and setting).
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    cfg, p = result.config, result.config.p
    frac = float(result.hparams["train_frac"][setting]) if "train_frac" in result.hparams else cfg.train_frac
    table = modular_addition(p)
    train = train_mask(cfg, frac).reshape(p, p)
    labels = table["c"].reshape(p, p)
    pred = np.asarray(apply_model(cfg, result.final(index, setting), table["a"], table["b"]).argmax(-1)).reshape(p, p)
    seen_row = np.zeros((p, p), bool)                       # seen_row[a, c]: label c occurs in row a's training pairs
    seen_col = np.zeros((p, p), bool)
    rows, cols = np.nonzero(train)
    seen_row[rows, labels[rows, cols]] = True
    seen_col[cols, labels[rows, cols]] = True
    a, b = np.nonzero(~train)
    copied = seen_row[a, pred[a, b]] | seen_col[b, pred[a, b]]
    covered = (seen_row[a] | seen_col[b]).mean(axis=1)
    return {"copied": float(copied.mean()), "covered": float(covered.mean()),
            "accuracy": float((pred[a, b] == labels[a, b]).mean())}


# --------------------------------------------------------------------------- exercise check


def check_decay_hypothesis(result: Any, ratio: Any, halves: Any) -> None:
    """Exercise check: does doubling the weight decay halve the steps to grok?

    ``result`` must come from :func:`dltheory.grokking.training.run` with
    ``hparams={"weight_decay": [λ, 2λ]}``; ``ratio`` is t_grok(λ) / t_grok(2λ) (median over seeds);
    ``halves`` is the verdict on the hypothesis "the ratio lies
    in [1.5, 2.5]". Both are recomputed from ``result``.
    """
    selfcheck.answered("result", result)
    if not isinstance(result, GrokResult):
        raise selfcheck.WrongAnswer(f"result should be what training.run returns, got {type(result).__name__}.")
    wd = result.hparams.get("weight_decay")
    if wd is None or wd.size != 2 or not np.isclose(wd[1], 2 * wd[0]) or wd[0] <= 0:
        raise selfcheck.WrongAnswer("run with hparams={'weight_decay': [lam, 2 * lam]} for some lam > 0.")
    t = delays(result)["t_grok"]
    if not np.all(np.isfinite(t)):
        raise selfcheck.WrongAnswer("some run never reached 99% test accuracy: give it more steps.")
    expected = float(np.median(t[:, 0] / t[:, 1]))
    selfcheck.number("ratio", ratio, expected, rtol=1e-3, hint="t_grok with λ divided by t_grok with 2λ, per seed, "
                     "then the median (use training.delays).")
    verdict = 1.5 <= expected <= 2.5
    selfcheck.boolean("halves", halves, verdict,
                      why=f"the measured ratio is {expected:.2f}, which is "
                          f"{'inside' if verdict else 'outside'} [1.5, 2.5].")
