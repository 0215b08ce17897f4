import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from dltheory import plot, widgets  # noqa: E402


def test_band_theory_loglog():
    fig, ax = plot.figure()
    x = np.array([1.0, 10.0, 100.0])
    plot.band(ax, x, np.array([[1.0, 0.1, 0.01], [2.0, 0.2, 0.02]]), label="runs")
    plot.theory(ax, x, 1 / x)
    plot.loglog(ax, xlabel="n", ylabel="loss")
    plot.annotate_slope(ax, x, 1 / x, -1.0)
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "n"
    assert len(ax.collections) == 1  # the band over seeds
    assert [line.get_linestyle() for line in ax.lines] == ["-", "--"]
    plt.close(fig)


def test_plot_validation():
    fig, ax = plot.figure(2)
    assert len(ax) == 2
    with pytest.raises(ValueError, match="ys must have shape"):
        plot.band(ax[0], [1, 2], np.ones((2, 3)))
    with pytest.raises(ValueError, match="same shape"):
        plot.theory(ax[0], [1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="xlabel"):
        plot.loglog(ax[0], xlabel="", ylabel="y")
    with pytest.raises(ValueError, match="ncols"):
        plot.figure(0)
    plt.close("all")


def draw(ax, alpha, scale=1.0):
    x = np.linspace(1, 10, 20)
    ax.plot(x, scale * x**-alpha)


def test_explorer_static_draws_small_multiples(monkeypatch):
    monkeypatch.setenv("DLTHEORY_STATIC", "1")
    assert widgets.static_mode()
    fig = widgets.explorer(draw, {"alpha": [0.5, 1.0, 1.5, 2.0], "scale": [1.0, 2.0]}, title="t")
    titled = [ax.get_title() for ax in fig.axes]
    assert titled == ["alpha = 0.5", "alpha = 1.5", "alpha = 2"]
    plt.close("all")


def test_explorer_live_builds_sliders(monkeypatch):
    monkeypatch.setenv("DLTHEORY_STATIC", "0")
    box = widgets.explorer(draw, {"alpha": [0.5, 1.0], "scale": [1, 2, 3]})
    sliders = box.children[0].children
    assert [s.description for s in sliders] == ["alpha", "scale"]
    sliders[0].value = 1.0  # redraws without error
    plt.close("all")


def test_explorer_validation():
    with pytest.raises(ValueError, match="draw"):
        widgets.explorer(3, {"a": [1]})
    with pytest.raises(ValueError, match="at least one"):
        widgets.explorer(draw, {})
    with pytest.raises(ValueError, match="not among"):
        widgets.explorer(draw, {"alpha": [1.0, 2.0]}, defaults={"alpha": 3.0}, force_static=True)
    with pytest.raises(ValueError, match="not a control"):
        widgets.explorer(draw, {"alpha": [1.0, 2.0]}, static={"beta": [1]}, force_static=True)
