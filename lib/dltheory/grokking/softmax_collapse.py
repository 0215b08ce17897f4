"""Section 3.6, softmax collapse (page ``chapters/03-grokking/06-softmax-collapse``).

Prieto et al. (2025, "Grokking at the edge of numerical stability") explain why the cross-entropy runs of
Section 3.1 do not generalise without weight decay: the loss keeps falling as the logits are scaled up, until
the softmax rounds the right label's probability to exactly 1 in floating point and that pair's loss is exactly 0
(*softmax collapse*). Its gradient is then exactly 0 on the right label's logit but only of order ``e^{−m}`` on
the others (margin ``m``; exactly 0 once ``exp`` underflows, ``m ≳ 88`` in float32). Adam still turns those into steps
along the weights (naive loss minimisation), so the weights keep growing after the collapse. Their remedies are
here: :func:`stablemax_cross_entropy` (a softmax that grows only linearly, their Eq. 6) and
:func:`orthogonal_grad` (⊥Grad, their Eq. 9: the gradient with its component along the weights removed);
:func:`dltheory.grokking.training.run` switches both on per setting (hparams ``stablemax`` and ``orthograd``),
and runs their precision control with ``loss_float64`` and ``adam_eps`` (the loss in float64, ``ε = 1e-30``). :func:`margins` and :func:`zero_loss_share` read collapse off a
trained network, and :func:`collapse_margin` is the margin beyond which float32 rounds the loss to 0
(:func:`check_collapse_margin` is its exercise check).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, validate
from dltheory.grokking.data import modular_addition, train_mask
from dltheory.grokking.models import GrokConfig, apply_model

__all__ = ["stablemax", "stablemax_cross_entropy", "orthogonal_grad", "collapse_margin", "margins",
           "zero_loss_share", "check_collapse_margin", "page_runs"]


def stablemax(logits: jax.Array) -> jax.Array:
    """StableMax (Prieto et al. 2025, Eq. 6): ``s(x_i) / Σ_j s(x_j)`` with ``s(x) = x + 1`` for ``x ≥ 0`` and
    ``1 / (1 − x)`` below, along the last axis.

    ``s`` is positive, increasing and equal to ``exp`` to first order at 0, but grows linearly, so no finite
    logit makes a probability round to exactly 1 the way the softmax does.
    """
    s = jnp.where(logits >= 0, logits + 1.0, 1.0 / (1.0 - jnp.minimum(logits, 0.0)))
    return s / jnp.sum(s, axis=-1, keepdims=True)


def stablemax_cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    """The cross-entropy ``−log StableMax(x)_c`` of each row of ``logits`` against integer ``labels`` (Section 3.6)."""
    probs = stablemax(logits)
    return -jnp.log(jnp.take_along_axis(probs, labels[..., None], axis=-1)[..., 0])


def orthogonal_grad(enabled: float | jax.Array = 1.0) -> optax.GradientTransformation:
    """⊥Grad (Prieto et al. 2025, Eq. 9): per weight tensor ``w``, ``g − (⟨w, g⟩ / ⟨w, w⟩) w``, rescaled to ``‖g‖``.

    Section 3.6. The removed component is the one that only scales the weights along themselves, which for a
    network whose logits grow with its weights is *naive loss minimisation*: the loss falls, the predictions do
    not change. The rescaling to the original norm follows the authors' code. ``enabled`` (0 or 1, may be
    traced) switches the projection off and on; chain it before the optimiser.
    """
    if not isinstance(enabled, jax.Array):
        validate.real("enabled", enabled, low=0.0, high=1.0)

    def project(g: jax.Array, w: jax.Array) -> jax.Array:
        ortho = g - jnp.vdot(w, g) / (jnp.vdot(w, w) + 1e-30) * w
        ortho = ortho * jnp.linalg.norm(g) / (jnp.linalg.norm(ortho) + 1e-30)
        return jnp.where(enabled > 0, ortho, g)

    def init(params: Any) -> optax.EmptyState:
        return optax.EmptyState()

    def update(grads: Any, state: Any, params: Any = None) -> tuple[Any, Any]:
        if params is None:
            raise ValueError("orthogonal_grad needs the parameters: call update(grads, state, params)")
        return jax.tree_util.tree_map(project, grads, params), state

    return optax.GradientTransformation(init, update)


def collapse_margin(p: int, mantissa_bits: int = 24, right_logit: float = 1.0) -> float:
    """The logit margin beyond which the float cross-entropy of a pair is exactly 0 (Section 3.6).

    The loss is computed as optax computes it, ``logsumexp(x) − x_c`` with ``logsumexp(x) = x_c + ln(1 + δ)`` and
    ``δ = Σ_{j≠c} e^{−(x_c − x_j)}``: it is exactly 0 once ``δ`` is below half a unit in the last place of the
    larger of 1 (the sum ``1 + δ`` rounds to 1) and ``|x_c|`` (``x_c + ln(1 + δ)`` rounds to ``x_c``), that is
    ``δ < 2^{−mantissa_bits} max(1, |x_c|)``. With all ``p − 1`` rivals ``m`` below the right logit ``x_c``
    (``right_logit``): ``m* = ln(p − 1) + mantissa_bits · ln 2 − ln max(1, |x_c|)`` (20.5 at p = 47 in float32 for
    ``|x_c| ≤ 1``, 3.4 less at ``x_c = 30``). A single rival needs ``ln(p − 1)`` less, and below ``m*`` the order
    of the float sum decides too (each rival's term is absorbed one at a time). Every pair beyond ``m*`` has an
    exactly zero loss; its gradient is exactly 0 on the right label only, ``≈ e^{−m}`` on each rival.
    """
    p = validate.integer("p", p, low=2)
    bits = validate.integer("mantissa_bits", mantissa_bits, low=1)
    scale = max(1.0, abs(validate.real("right_logit", right_logit)))
    return float(np.log(p - 1) + bits * np.log(2.0) - np.log(scale))


def _training_logits(cfg: GrokConfig, params: Any, train_frac: float) -> tuple[jax.Array, np.ndarray]:
    table = modular_addition(cfg.p)
    mask = train_mask(cfg, train_frac)
    logits = apply_model(cfg, params, jnp.asarray(table["a"][mask]), jnp.asarray(table["b"][mask]))
    return logits.astype(jnp.float32), table["c"][mask]


def margins(cfg: GrokConfig, params: Any, train_frac: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per training pair: the margin (right logit minus the largest other) and the float32 cross-entropy.

    Section 3.6; the cross-entropy is computed as :func:`dltheory.grokking.training.run` computes it
    (``optax.softmax_cross_entropy_with_integer_labels``, float32).
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    logits, labels = _training_logits(cfg, params, cfg.train_frac if train_frac is None else train_frac)
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(labels))
    right = jnp.take_along_axis(logits, jnp.asarray(labels)[:, None], axis=1)[:, 0]
    others = jnp.where(jax.nn.one_hot(labels, cfg.p) > 0, -jnp.inf, logits).max(axis=1)
    return np.asarray(right - others), np.asarray(ce)


def zero_loss_share(cfg: GrokConfig, params: Any, *, stable: bool = False, train_frac: float | None = None,
                    float64: bool = False) -> float:
    """The share of training pairs whose float32 loss is exactly 0: softmax collapse (Section 3.6).

    ``stable=True`` measures the StableMax cross-entropy instead of the softmax's. ``float64=True`` casts the same
    float32 logits to float64 and computes the softmax cross-entropy there, ``logsumexp(x) − x_c`` as optax does
    (a diagnostic on float32-trained logits; Prieto et al.'s precision control trains with the loss in float64,
    ``loss_float64`` in :mod:`.training`): it rounds to 0 only once ``e^{−m}`` falls below ``|x_c| 2^{−53}``, a margin
    of about ``53 ln 2 − ln|x_c|`` (``24 ln 2 − ln|x_c|`` in float32).
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    if stable and float64:
        raise ValueError("float64 applies to the softmax cross-entropy only: set stable or float64, not both")
    logits, labels = _training_logits(cfg, params, cfg.train_frac if train_frac is None else train_frac)
    if float64:
        from scipy.special import logsumexp

        x = np.asarray(logits, dtype=np.float64)
        loss64 = logsumexp(x, axis=-1) - np.take_along_axis(x, np.asarray(labels)[:, None], axis=-1)[:, 0]
        return float(np.mean(loss64 == 0.0))
    loss = (stablemax_cross_entropy(logits, jnp.asarray(labels)) if stable
            else optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(labels)))
    return float(jnp.mean(loss == 0.0))


def check_collapse_margin(fn: Any) -> None:
    """Exercise check: ``fn(p, t)`` is the margin beyond which a ``t``-bit mantissa rounds the loss to 0.

    Compared with :func:`collapse_margin` for float16 (``t = 11``), float32 (24) and float64 (53) at several ``p``.
    """
    cases = [(p, t) for p in (2, 47, 113, 1009) for t in (11, 24, 53)]
    selfcheck.function("collapse_margin", fn, collapse_margin, cases, rtol=1e-6,
                       hint="the normaliser is 1 + (p - 1) e^(-m) when all p - 1 rivals sit m below; solve "
                            "(p - 1) e^(-m) = 2^(-t) for m.")


def page_runs(config: Callable[[type], Any]) -> runtime.Cost:
    """What page 3.6 runs, for :func:`dltheory.book.budget.page_cost`: the chapter's run
    (:func:`dltheory.grokking.training.shared_run`, weight decay and 0, read back when an earlier page made it,
    counted here as if it had not) and its own settings: ⊥Grad and StableMax, and in fast mode only the loss in
    float32 and in float64 with Adam's ``ε = 1e-30``: three times ``GrokConfig.cost()`` in fast mode, twice in
    full mode."""
    cfg = config(GrokConfig)
    return cfg.cost() * (3 if cfg == GrokConfig.fast() else 2)
