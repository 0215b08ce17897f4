"""Interactive explorers for Jupyter and Colab, each with a static figure for the website.

Introduced in *How to read this book* (``book/how-to-read``). A live widget needs a running kernel;
the static website has none (and widget state renders unreliably there), so ``explorer`` shows
ipywidgets sliders when a reader runs the notebook and a static small-multiples figure of the same
drawing function when the book is built. The build sets ``DLTHEORY_STATIC=1`` (see the Makefile);
a reader can set it too.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

from dltheory import plot, validate

__all__ = ["static_mode", "explorer"]


def static_mode() -> bool:
    """Whether explorers draw static figures instead of live widgets (``DLTHEORY_STATIC=1``)."""
    return os.environ.get("DLTHEORY_STATIC", "0").strip().lower() in ("1", "true", "yes", "on")


def _slider(name: str, values: Sequence[float], default: float) -> Any:
    import ipywidgets as W

    values = list(values)
    if all(float(v).is_integer() for v in values) and all(isinstance(v, (int, np.integer)) for v in values):
        step = values[1] - values[0] if len(values) > 1 else 1
        return W.IntSlider(value=int(default), min=int(min(values)), max=int(max(values)), step=int(step), description=name)
    return W.SelectionSlider(options=[(f"{v:.3g}", v) for v in values], value=default, description=name)


def explorer(
    draw: Callable[..., None],
    controls: Mapping[str, Sequence[float]],
    *,
    defaults: Mapping[str, float] | None = None,
    static: Mapping[str, Sequence[float]] | None = None,
    title: str = "",
    force_static: bool | None = None,
) -> Any:
    """An explorer of ``draw(ax, **values)`` over the given slider ``controls``.

    ``controls`` maps each parameter to the values its slider offers. Live (Jupyter/Colab): sliders
    redraw the figure. Static (website): one panel per combination of the ``static`` values (by
    default, the first, middle and last value of the first control, others at their defaults).
    Returns the widget or the static figure.
    """
    if not callable(draw):
        raise ValueError("draw must be a function draw(ax, **values)")
    if not controls:
        raise ValueError("controls must name at least one parameter and its values")
    for name, values in controls.items():
        validate.array(f"controls[{name!r}]", values, ndim=1)
    defaults = dict(defaults or {})
    for name, values in controls.items():
        values = list(values)
        defaults.setdefault(name, values[len(values) // 2])
        if defaults[name] not in values:
            raise ValueError(f"defaults[{name!r}] = {defaults[name]!r} is not among the slider values")
    use_static = static_mode() if force_static is None else bool(force_static)
    if use_static:
        if static is None:
            first, values = next(iter(controls.items()))
            values = list(values)
            static = {first: [values[0], values[len(values) // 2], values[-1]]}
        panels = [dict(defaults)]
        for name, values in static.items():
            if name not in controls:
                raise ValueError(f"static names {name!r}, which is not a control")
            panels = [p | {name: v} for p in panels for v in values]
        ncols = min(len(panels), 2 if len(panels) == 4 else 3)
        fig, axes = plot.figure(ncols=ncols, nrows=-(-len(panels) // ncols))
        axes = np.atleast_1d(axes).ravel()
        for ax, values in zip(axes, panels):
            draw(ax, **values)
            ax.set_title(", ".join(f"{k} = {v:.3g}" for k, v in values.items() if k in static), fontsize=10)
        for ax in axes[len(panels):]:
            ax.remove()
        if title:
            fig.suptitle(title)
        plt.show()
        return fig

    import ipywidgets as W
    from IPython.display import display

    out = W.Output()
    sliders = {name: _slider(name, values, defaults[name]) for name, values in controls.items()}

    def redraw(_: Any = None) -> None:
        with out:
            out.clear_output(wait=True)
            fig, ax = plot.figure()
            draw(ax, **{n: s.value for n, s in sliders.items()})
            if title:
                ax.set_title(title)
            plt.show()

    for s in sliders.values():
        s.observe(redraw, names="value")
    box = W.VBox([W.HBox(list(sliders.values())), out])
    display(box)
    redraw()
    return box
