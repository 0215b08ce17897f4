"""The worked example of *How to read this book*: SGD on power-law linear regression.

Section ``book/how-to-read``; exercises ``exercises/00-warm-up``. The time-scaling law follows
Bordelon, Atanasov and Pehlevan (2024), "A Dynamical Model of Neural Scaling Laws".

Inputs ``x ~ N(0, diag(λ))`` with ``λ_k = k^{-b}``; a teacher with power ``λ_k (w*_k)² = k^{-c}``;
SGD from ``w = 0`` on fresh minibatches. The population loss falls as ``t^{-(c-1)/b}``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
import optax
import sympy as sp

from dltheory import selfcheck, train, validate

__all__ = [
    "derive_time_law",
    "time_exponent",
    "time_law",
    "fit_exponent",
    "sgd_powerlaw",
    "noisy_power_law",
    "check_exponent",
    "check_fit_function",
    "check_batch_hypothesis",
    "check_truncation_step",
]


@functools.cache
def derive_time_law() -> tuple[sp.Expr, sp.Expr]:
    """SymPy's asymptotic loss ``L(t; η, b, c)`` and its exponent ``-d log L / d log t``.

    ``L(t) ≈ ½ ∫_0^∞ k^{-c} exp(-2ηt k^{-b}) dk`` (the sum over directions as an integral).
    """
    k, s, b, c, eta, t = sp.symbols("k s b c eta t", positive=True)
    tail = sp.integrate(k ** (-c) * sp.exp(-s * k ** (-b)), (k, 0, sp.oo), conds="none")
    loss = sp.Rational(1, 2) * sp.simplify(sp.gammasimp(tail)).subs(s, 2 * eta * t)
    exponent = -sp.simplify(t * sp.diff(sp.log(loss), t))
    return loss, exponent


def time_exponent(b: float, c: float) -> float:
    """The predicted exponent ``(c - 1) / b`` of the loss in time (from :func:`derive_time_law`)."""
    b = validate.real("b", b, low=0.0, low_open=True)
    c = validate.real("c", c, low=1.0, low_open=True)
    _, exponent = derive_time_law()
    return float(sp.lambdify(sp.symbols("b c", positive=True), exponent, "math")(b, c))


def time_law(t: np.ndarray, learning_rate: float, b: float, c: float) -> np.ndarray:
    """The asymptotic loss ``Γ((c-1)/b) / (2b) · (2ηt)^{-(c-1)/b}`` at steps ``t``."""
    t = validate.array("t", t, ndim=1, positive=True)
    learning_rate = validate.real("learning_rate", learning_rate, low=0.0, low_open=True)
    b = validate.real("b", b, low=0.0, low_open=True)
    c = validate.real("c", c, low=1.0, low_open=True)
    loss, _ = derive_time_law()
    fn = sp.lambdify(sp.symbols("t eta b c", positive=True), loss, "numpy")
    return np.asarray(fn(t, learning_rate, b, c), dtype=float)


def fit_exponent(t: Sequence[float], loss: Sequence[float], *, t_min: float = 0.0) -> float:
    """Least-squares slope of ``log loss`` against ``log t`` over ``t >= t_min``, sign flipped.

    Raises ``ValueError`` for non-positive steps or losses (their logarithm is undefined) and for
    fewer than three points in the window.
    """
    t = validate.array("t", t, ndim=1, positive=True)
    loss = validate.array("loss", loss, ndim=1, positive=True)
    if t.shape != loss.shape:
        raise ValueError(f"t and loss must have the same length, got {t.size} and {loss.size}")
    t_min = validate.real("t_min", t_min, low=0.0)
    window = t >= t_min
    if window.sum() < 3:
        raise ValueError(f"need at least 3 points with t >= t_min={t_min}, got {int(window.sum())}")
    slope = np.polyfit(np.log(t[window]), np.log(loss[window]), 1)[0]
    return float(-slope)


def sgd_powerlaw(
    *,
    dim: int,
    b: float,
    c: float,
    steps: int,
    batch_size: int,
    learning_rate: float,
    seeds: Sequence[int],
    eval_every: int = 10,
) -> train.History:
    """Run SGD on power-law linear regression for each seed; record the exact population loss.

    Every step draws a fresh Gaussian minibatch, so the recorded ``"loss"`` is the population loss
    ``½ Σ_k λ_k (w_k − w*_k)²``. All seeds run in one compiled program (``dltheory.train``).
    """
    dim = validate.integer("dim", dim, low=1)
    b = validate.real("b", b, low=0.0, low_open=True)
    c = validate.real("c", c, low=1.0, low_open=True)
    batch_size = validate.integer("batch_size", batch_size, low=1)
    learning_rate = validate.real("learning_rate", learning_rate, low=0.0, low_open=True)
    if learning_rate >= 2.0:
        raise ValueError(f"learning_rate must be < 2 (the largest eigenvalue is 1), got {learning_rate}")

    k = jnp.arange(1, dim + 1, dtype=jnp.float32)
    lam = k**-b                                # eigenvalues of the input covariance
    w_star = jnp.sqrt(k**-c / lam)             # teacher with power k^-c per direction

    def draw_batch(key, _):
        x = jax.random.normal(key, (batch_size, dim)) * jnp.sqrt(lam)
        return x, x @ w_star

    def sgd_loss(w, batch, hp):
        x, y = batch
        return 0.5 * jnp.mean((x @ w - y) ** 2)

    def population_loss(w, hp):
        return {"loss": 0.5 * jnp.sum(lam * (w - w_star) ** 2)}

    return train.train(
        init=lambda key, hp: jnp.zeros(dim),
        loss=sgd_loss,
        optimizer=optax.sgd(learning_rate),
        steps=steps,
        eval_every=eval_every,
        seeds=seeds,
        batch=draw_batch,
        evaluate=population_loss,
        desc="SGD, power-law regression",
    )


def noisy_power_law(seed: int, *, alpha: float = 0.8, amplitude: float = 3.0, noise: float = 0.05, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Samples ``L = A t^{-α} · exp(ε)``, ``ε ~ N(0, noise²)``, at ``n`` log-spaced steps in [1, 10⁴]."""
    seed = validate.integer("seed", seed, low=0)
    alpha = validate.real("alpha", alpha, low=0.0, low_open=True)
    amplitude = validate.real("amplitude", amplitude, low=0.0, low_open=True)
    noise = validate.real("noise", noise, low=0.0)
    n = validate.integer("n", n, low=3)
    rng = np.random.default_rng(seed)
    t = np.logspace(0, 4, n)
    return t, amplitude * t**-alpha * np.exp(noise * rng.standard_normal(n))


# ----------------------------------------------------------------------------- exercise checks


def check_exponent(answer: object, *, b: float, c: float) -> None:
    """Exercise 1: the predicted exponent for spectrum exponent ``b`` and target exponent ``c``."""
    selfcheck.number(
        "exponent",
        answer,
        time_exponent(b, c),
        rtol=1e-3,
        hint="the loss is the target power left in directions k ≳ (ηt)^(1/b); its tail sum decays like K^(1-c).",
        explain=f"With b = {b} and c = {c} the loss falls as t^-{time_exponent(b, c):.4g}.",
    )


def check_fit_function(fn: object) -> None:
    """Exercise 2: a function ``fn(t, loss)`` returning the power-law exponent of a curve."""
    cases = [noisy_power_law(s, alpha=a, noise=0.0) for s, a in [(0, 0.5), (1, 1.3)]]
    cases += [noisy_power_law(2, alpha=0.8, noise=0.2)]
    selfcheck.function(
        "fit",
        fn,
        lambda t, loss: fit_exponent(t, loss),
        cases,
        rtol=1e-3,
        hint="fit a straight line to (log t, log L) by least squares and return minus its slope.",
    )


def check_batch_hypothesis(answer: object, exponents_small: Sequence[float], exponents_large: Sequence[float], *, b: float, c: float) -> None:
    """Exercise 3: does a larger batch change the time exponent? Checked against the student's own runs."""
    selfcheck.answered("exponents_small", exponents_small)
    selfcheck.answered("exponents_large", exponents_large)
    selfcheck.answered("batch_changes_exponent", answer)
    small = validate.array("exponents_small", exponents_small, ndim=1)
    large = validate.array("exponents_large", exponents_large, ndim=1)
    predicted = time_exponent(b, c)
    changed = abs(float(np.median(large)) - float(np.median(small))) > 0.05
    if changed:
        raise selfcheck.WrongAnswer(
            f"your two sets of runs differ by more than 0.05 in exponent (medians {np.median(small):.3f} and "
            f"{np.median(large):.3f}): check that only the batch size differs between them."
        )
    selfcheck.boolean(
        "batch_changes_exponent",
        answer,
        False,
        why=(
            f"both batch sizes give exponents near the predicted {predicted:.3f} (medians {np.median(small):.3f}, "
            f"{np.median(large):.3f}). In the derivation the exponent comes from the spectrum (b) and the target (c) alone; "
            "the batch size only changes the noise around the gradient-descent path."
        ),
    )


def check_truncation_step(answer: object, *, dim: int, b: float, learning_rate: float) -> None:
    """Exercise 4: the step at which ``2ηt`` reaches ``d^b / 50``, the validity bound of the fast config."""
    dim = validate.integer("dim", dim, low=1)
    expected = dim**b / 50 / (2 * learning_rate)
    selfcheck.number(
        "t_max",
        answer,
        expected,
        rtol=1e-3,
        hint="solve 2·η·t = d^b / 50 for t.",
        explain=f"beyond about {expected:.0f} steps the truncated tail biases the fitted exponent.",
    )
