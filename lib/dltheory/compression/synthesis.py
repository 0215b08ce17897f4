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
from dltheory.compression import benign_overfitting, data_compression, grokking, representations, structure, weights

__all__ = ["SynthesisConfig", "SECTIONS", "collect", "draw", "check_point"]


def _seeds(config: type) -> list[int]:
    """The seeds a section's page runs with: ``runtime.seeds(n_seeds)`` of its configuration in this mode."""
    return runtime.seeds(config.from_env().n_seeds)


def _grokking() -> dict[str, Any]:
    cfg = grokking.GrokCompressionConfig.from_env()
    return grokking.synthesis_point(grokking.compression_curves(cfg, _seeds(grokking.GrokCompressionConfig)))


def _weights() -> dict[str, Any]:
    return weights.synthesis_point(_weights_run())


def _weights_run() -> dict[str, Any]:
    """§2's trained networks, read from its page's cache (same configuration, same seeds)."""
    return weights.quantised_accuracy(weights.WeightsConfig.from_env(), _seeds(weights.WeightsConfig))


def _cut(method: str) -> Callable[[], dict[str, Any]]:
    def point() -> dict[str, Any]:
        result = _weights_run()
        return structure.synthesis_point(result, structure.cut_accuracy(result), method)
    return point


# One entry per section, in the order of the pages: name -> function returning its point, computed from the run
# its page makes with the page's own configuration and seeds (so a section's cached run is read, in either mode).
SECTIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "grokking": _grokking,
    "weights": _weights,
    "weights, low rank": _cut("rank"),
    "weights, pruning": _cut("prune"),
    "data": data_compression.synthesis_point,
    "representations": representations.synthesis_point,
    "benign overfitting": benign_overfitting.synthesis_point,
}

_KEYS = {"section": str, "ratio": float, "kept": float, "null_ratio": float, "null_kept": float}


@dataclasses.dataclass(frozen=True)
class SynthesisConfig(runtime.ModeConfig):
    """§5: the scale (``"fast"`` or ``"full"``) of the sections' configurations it reads. Each section's point comes
    from its page's own run, with that page's configuration and seeds (see :data:`SECTIONS`)."""

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
                       representations.RankConfig, benign_overfitting.InterpolatorConfig):
            total = total + getattr(config, self.scale)().cost()
        return total

    def paper_scale(self) -> str:
        return "no paper draws this figure: it gathers the sections' own runs, at their own scale"


def collect(cfg: SynthesisConfig) -> list[dict[str, Any]]:
    """Every section's point of the closing figure, in page order (§5); see :data:`SECTIONS`. Each point comes from
    its section's own run (configuration and seeds of its page, in the mode ``cfg`` was made for)."""
    if not isinstance(cfg, SynthesisConfig):
        raise ValueError(f"cfg must be a SynthesisConfig, got {type(cfg).__name__}")
    points = []
    for name, point_of in SECTIONS.items():
        point = point_of()
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
