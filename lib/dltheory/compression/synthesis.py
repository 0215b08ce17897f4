"""Epilogue §5, synthesis (page ``chapters/06-compression/05-synthesis``): one figure for every section.

Each section module of the epilogue exposes ``synthesis_point(result) -> {"section", "ratio", "kept", "null_ratio",
"null_kept"}``, computed from the run its page makes (cached on disk by :func:`dltheory.sweep.run`, so this page
reads it rather than training again when the sections ran first). :data:`SECTIONS` lists, explicitly, how to get each
section's point; :func:`collect` gathers them and :func:`draw` puts them on one pair of axes: compression ratio
against the share of performance kept, the understood network and its null side by side.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dltheory import runtime, selfcheck, validate
from dltheory.compression import data_compression, grokking, representations, structure, weights

__all__ = ["SynthesisConfig", "SECTIONS", "collect", "draw", "check_point"]


def _grokking(seeds: Sequence[int]) -> dict[str, Any]:
    return grokking.synthesis_point(grokking.compression_curves(grokking.GrokCompressionConfig.from_env(), seeds))


def _weights(seeds: Sequence[int]) -> dict[str, Any]:
    return weights.synthesis_point(weights.quantised_accuracy(weights.WeightsConfig.from_env(), seeds))


def _cut(method: str) -> Callable[[Sequence[int]], dict[str, Any]]:
    def point(seeds: Sequence[int]) -> dict[str, Any]:
        result = weights.quantised_accuracy(weights.WeightsConfig.from_env(), seeds)  # §2's cached networks
        return structure.synthesis_point(result, structure.cut_accuracy(result), method)
    return point


def _data(_unused_seeds: Sequence[int]) -> dict[str, Any]:
    """§3's point. Its run takes no seed list (it draws its sequences from ``runtime.seeds(cfg.n_seeds)`` of the
    base seed), so the seeds given to :func:`collect` are not used: the point is its page's own cached run."""
    return data_compression.synthesis_point()


def _representations(_unused_seeds: Sequence[int]) -> dict[str, Any]:
    """§4's point. Its run takes no seed list (it draws its corpora from ``runtime.seeds(cfg.n_seeds)`` of the base
    seed), so the seeds given to :func:`collect` are not used: the point is its page's own cached run."""
    return representations.synthesis_point()


# One entry per section, in the order of the pages: name -> function of the seeds returning its point (§1 and §2
# use the seeds; §3 and §4 ignore them and read their own runs, which draw their seeds from the base seed).
SECTIONS: dict[str, Callable[[Sequence[int]], dict[str, Any]]] = {
    "grokking": _grokking,
    "weights": _weights,
    "weights, low rank": _cut("rank"),
    "weights, pruning": _cut("prune"),
    "data": _data,
    "representations": _representations,
}

_KEYS = {"section": str, "ratio": float, "kept": float, "null_ratio": float, "null_kept": float}


@dataclasses.dataclass(frozen=True)
class SynthesisConfig(runtime.ModeConfig):
    """§5: the seeds of every section's run (the same as the sections' own pages, so their cached runs are read), and
    the scale (``"fast"`` or ``"full"``) of the sections' configurations it reads."""

    n_seeds: int = validate.field(3, validate.integer, low=1)
    scale: str = validate.field("fast", validate.choice, options=("fast", "full"))

    @classmethod
    def fast(cls) -> SynthesisConfig:
        return cls()

    @classmethod
    def full(cls) -> SynthesisConfig:
        return cls(scale="full")

    def cost(self) -> runtime.Cost:
        """Nothing when the sections' runs are cached; at worst (a cold cache) every section's run again."""
        total = runtime.Cost(flops=1.0, bytes=0.0, steps=0)
        for config in (grokking.GrokCompressionConfig, weights.WeightsConfig, data_compression.DataCodeConfig,
                       representations.RankConfig):
            total = total + getattr(config, self.scale)().cost()
        return total

    def paper_scale(self) -> str:
        return "no paper draws this figure: it gathers the sections' own runs, at their own scale"


def collect(cfg: SynthesisConfig, seeds: Sequence[int]) -> list[dict[str, Any]]:
    """Every section's point of the closing figure, in page order (§5); see :data:`SECTIONS`. ``seeds`` are those of
    §1's and §2's runs; §3 and §4 read their own runs, whose seeds come from the base seed."""
    if not isinstance(cfg, SynthesisConfig):
        raise ValueError(f"cfg must be a SynthesisConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    points = []
    for name, point_of in SECTIONS.items():
        point = point_of(seeds)
        if set(point) != set(_KEYS):
            raise ValueError(f"section {name!r}: synthesis_point must return the keys {sorted(_KEYS)}, got {sorted(point)}")
        points.append({k: _KEYS[k](v) for k, v in point.items()})
    return points


def draw(ax: Any, points: Sequence[dict[str, Any]]) -> None:
    """Compression ratio (log scale) against the share of performance kept, one colour per section: a filled
    marker for the understood network, an open one for its null, joined by a thin line (§5)."""
    if not points:
        raise ValueError("points must hold at least one section's point")
    for i, pt in enumerate(points):
        color = f"C{i}"
        ax.plot([pt["ratio"], pt["null_ratio"]], [pt["kept"], pt["null_kept"]], color=color, lw=0.8, alpha=0.6)
        ax.plot(pt["ratio"], pt["kept"], "o", color=color, ms=8, label=f"{pt['section']}: understood")
        ax.plot(pt["null_ratio"], pt["null_kept"], "o", mfc="white", color=color, ms=8, label="   its null")
    ratios = np.array([[pt["ratio"], pt["null_ratio"]] for pt in points]).ravel()
    top = max(1.08, 1.05 * max(max(pt["kept"], pt["null_kept"]) for pt in points))  # a denoising cut keeps > 1
    ax.set(xscale="log", xlim=(0.8, 2 * ratios.max()), ylim=(-0.02, top),
           xlabel="compression ratio (what was there / what is kept)", ylabel="share of performance kept")


def check_point(answer: Any, acc: Any, bits: Sequence[int], tolerance: float) -> None:
    """Exercise check (§5): the point ``(ratio, kept)`` of one network on the figure, from its accuracy at each
    number of bits (last entry: float32): ``ratio = 32 / b*`` and ``kept = acc(b*) / acc(float)``, with ``b*`` of
    :func:`dltheory.compression.weights.bits_needed`."""
    selfcheck.answered("point", answer)
    acc = validate.array("acc", acc, ndim=1)
    need = int(weights.bits_needed(acc, bits, tolerance))
    kept = 1.0 if need == 32 else float(acc[list(bits).index(need)] / acc[-1])
    selfcheck.array("point", answer, np.array([32.0 / need, kept]), rtol=1e-6,
                    hint="b* is the fewest bits from which every larger number of bits keeps the accuracy within the "
                         "tolerance of the float one; the ratio is 32 / b*, the share kept acc(b*) / acc(float).")
