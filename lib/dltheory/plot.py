"""The book's single figure style, and helpers that put theory and measurement on shared axes.

Introduced in *How to read this book* (``book/how-to-read``).

Conventions: theory is a dashed dark line, measurements are markers with a band over seeds
(median line, shaded min-max range), every axis is labelled, log-log axes are explicit.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt

import numpy as np

from dltheory import validate

__all__ = ["STYLE", "COLORS", "THEORY_COLOR", "setup", "figure", "band", "theory", "loglog", "annotate_slope"]

#: A colour-blind-safe palette (Okabe and Ito 2008), in the order series are drawn.
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
THEORY_COLOR = "#222222"

STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.8,
    "lines.markersize": 5,
    "axes.prop_cycle": mpl.cycler(color=list(COLORS)),
    "image.cmap": "viridis",
}


def setup() -> None:
    """Apply the book's style to matplotlib (idempotent)."""
    mpl.rcParams.update(STYLE)


def figure(
    ncols: int = 1,
    nrows: int = 1,
    *,
    width: float | None = None,
    height: float | None = None,
    **subplot_kw: Any,
) -> tuple[plt.Figure, Any]:
    """A figure in the book's style with ``nrows × ncols`` axes (a single ``Axes`` when both are 1)."""
    ncols = validate.integer("ncols", ncols, low=1, high=6)
    nrows = validate.integer("nrows", nrows, low=1, high=6)
    setup()
    # The book's text column is about 6.4 inches wide: multi-panel figures stay near it, so that
    # their fonts are not scaled down to illegibility on the website.
    w = validate.real("width", width, low=1.0, high=20.0) if width is not None else min(3.0 * ncols + 0.6, 9.0)
    h = validate.real("height", height, low=1.0, high=20.0) if height is not None else (3.0 if ncols > 1 else 3.6) * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(w, h), squeeze=True, **subplot_kw)
    return fig, axes


def band(
    ax: plt.Axes,
    x: Any,
    ys: Any,
    *,
    label: str | None = None,
    color: str | None = None,
    marker: str | None = "o",
    alpha: float = 0.2,
) -> None:
    """Measurements over seeds: ``ys`` has shape ``(n_seeds, len(x))`` (or ``(len(x),)`` for one seed).

    Draws the median with markers and shades the range between the smallest and largest seed.
    """
    x = validate.array("x", x, ndim=1)
    ys = validate.array("ys", ys, ndim=(1, 2), finite=False)
    if ys.ndim == 1:
        ys = ys[None, :]
    if ys.shape[1] != x.size:
        raise ValueError(f"ys must have shape (n_seeds, {x.size}) to match x, got {ys.shape}")
    with warnings.catch_warnings():  # a column with no finite value is drawn as a gap, not warned about
        warnings.simplefilter("ignore", RuntimeWarning)
        med, low, high = np.nanmedian(ys, axis=0), np.nanmin(ys, axis=0), np.nanmax(ys, axis=0)
    (line,) = ax.plot(x, med, marker=marker, label=label, color=color)
    if ys.shape[0] > 1:
        ax.fill_between(x, low, high, color=line.get_color(), alpha=alpha, lw=0)


def theory(ax: plt.Axes, x: Any, y: Any, *, label: str | None = "theory", color: str = THEORY_COLOR, **kw: Any) -> None:
    """A theoretical curve: dashed, dark, drawn above the measurements."""
    x = validate.array("x", x, ndim=1)
    y = validate.array("y", y, ndim=1, finite=False)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    ax.plot(x, y, ls="--", color=color, label=label, zorder=5, **kw)


def loglog(ax: plt.Axes, *, xlabel: str, ylabel: str) -> None:
    """Put ``ax`` on log-log axes and label both (labels are required: no unlabeled axes in the book)."""
    if not xlabel or not ylabel:
        raise ValueError("xlabel and ylabel must be non-empty")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def annotate_slope(ax: plt.Axes, x: Sequence[float], y: Sequence[float], slope: float, *, text: str | None = None) -> None:
    """Write ``text`` (default: the slope) next to the middle of a log-log curve."""
    x = validate.array("x", x, ndim=1, positive=True)
    y = validate.array("y", y, ndim=1, positive=True)
    i = x.size // 2
    ax.annotate(
        text or f"slope {slope:.2f}",
        (x[i], y[i]),
        textcoords="offset points",
        xytext=(8, 8),
        fontsize=9,
        color=THEORY_COLOR,
    )
