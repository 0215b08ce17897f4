"""Epilogue §2, low rank and pruning (page ``chapters/06-compression/02-weights``): the other two cuts of a network.

The networks of :func:`dltheory.compression.weights.quantised_accuracy` (the digits MLP on true and on random
labels), cut without training again in two more ways:

- **low rank**: each weight matrix ``W`` (``m × n``) replaced by its best rank-``r`` approximation, the truncated
  SVD ``U_r S_r V_rᵀ`` (Eckart–Young), which is sent as ``r(m + n)`` numbers (:func:`low_rank`);
- **magnitude pruning**: each weight matrix keeps only its largest-magnitude share ``k`` of entries, the others set
  to zero (:func:`prune`), sent as the kept values and their indices, ``32 + ⌈log2(mn)⌉`` bits each.

:func:`cut_accuracy` measures every network at every rank and every share (biases are never cut);
:func:`smallest_kept` reads off the smallest rank or share from which what the network learned stays within the
tolerance at every larger one, and :func:`description_bits` turns it into bits. Hinton and van Camp's (1993)
principle, counted in these two ways: a network that generalises should have the shorter description.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import selfcheck, validate
from dltheory.compression import weights
from dltheory.information import digits, models

__all__ = ["low_rank", "prune", "cut_accuracy", "smallest_kept", "description_bits", "descriptions",
           "synthesis_point", "check_rank_bits"]

FLOAT_BITS = 32
METHODS = ("rank", "prune")


def low_rank(w: Any, r: Any) -> jax.Array:
    """Best rank-``r`` approximation of the matrix ``w`` in Frobenius norm (Eckart–Young): its truncated SVD.

    ``r`` may be traced; ``r ≥ min(w.shape)`` returns ``w`` itself (up to rounding).
    """
    if not isinstance(r, jax.Array):
        validate.integer("r", r, low=1)
    w = jnp.asarray(w)
    if w.ndim != 2:
        raise ValueError(f"w must be a matrix, got shape {w.shape}")
    u, s, vt = jnp.linalg.svd(w, full_matrices=False)
    s = jnp.where(jnp.arange(s.size) < r, s, 0.0)
    return (u * s) @ vt


def prune(w: Any, keep: Any) -> jax.Array:
    """Keep the ``round(keep · w.size)`` entries of ``w`` largest in magnitude (at least one), zero the rest.

    ``keep`` is a share in ``(0, 1]`` and may be traced; ties at the threshold are kept.
    """
    if not isinstance(keep, jax.Array):
        validate.real("keep", keep, low=0.0, low_open=True, high=1.0)
    w = jnp.asarray(w)
    mags = jnp.sort(jnp.abs(w).ravel())[::-1]
    n_kept = jnp.clip(jnp.round(keep * w.size).astype(jnp.int32), 1, w.size)
    return jnp.where(jnp.abs(w) >= mags[n_kept - 1], w, 0.0)


def cut_accuracy(result: dict[str, Any]) -> dict[str, np.ndarray]:
    """Accuracy of every network of ``result`` (from :func:`~dltheory.compression.weights.quantised_accuracy`)
    cut to each rank of ``cfg.ranks`` and pruned to each share of ``cfg.keep`` (biases kept whole).

    Returns ``{"rank": ..., "prune": ...}``, each of shape ``(n_seeds, 2, len(grid) + 1, 2)``: labelling (0 true,
    1 random), grid point (the last, the uncut network), then training and test accuracy. The rank of a matrix is
    capped at its smaller side. The digits are those of each seed's split, as in the training.
    """
    cfg: weights.WeightsConfig = result["config"]
    seeds = result["seeds"]
    xs = jnp.asarray(np.stack([digits.load_digits(s)[0] for s in seeds]))
    true = np.stack([digits.load_digits(s)[1] for s in seeds])
    noise = np.stack([np.random.default_rng([s, 2]).integers(0, weights.N_CLASSES, true.shape[1]) for s in seeds])
    ys = jnp.asarray(np.stack([true, noise], axis=1))                           # (n_seeds, 2, 1797), as in training
    layers = [{"w": jnp.asarray(result[f"w{i}"]), "b": jnp.asarray(result[f"b{i}"])} for i in (1, 2)]
    m = cfg.n_train

    def accuracy(params: Any, x: jax.Array, y: jax.Array) -> jax.Array:
        right = jnp.argmax(models.mlp(params, x), 1) == y
        return jnp.stack([jnp.mean(right[:m]), jnp.mean(right[m:])])

    def at(cut: Any, grid: Sequence[float]) -> np.ndarray:
        def one(params: Any, x: jax.Array, y: jax.Array, g: jax.Array) -> jax.Array:
            cut_params = [{"w": jnp.where(g > 0, cut(layer["w"], jnp.where(g > 0, g, 1)), layer["w"]),
                           "b": layer["b"]} for layer in params]
            return accuracy(cut_params, x, y)

        points = jnp.asarray(list(grid) + [0], dtype=jnp.float32)              # 0: the uncut network
        over_grid = jax.vmap(one, in_axes=(None, None, None, 0))
        over_label = jax.vmap(over_grid, in_axes=(0, None, 0, None))
        over_seed = jax.jit(jax.vmap(over_label, in_axes=(0, 0, 0, None)))
        return np.asarray(over_seed(layers, xs, ys, points), dtype=np.float64)

    return {"rank": at(lambda w, r: low_rank(w, r), cfg.ranks), "prune": at(prune, cfg.keep)}


def smallest_kept(acc: Any, grid: Sequence[float], tolerance: float) -> np.ndarray:
    """Smallest point of the increasing ``grid`` from which ``acc`` stays within ``tolerance`` of the uncut accuracy
    (the last entry of ``acc``) at every larger point; ``inf`` where even the largest fails (send it uncut)."""
    grid = np.asarray(validate.reals("grid", grid, low=0.0, low_open=True, increasing=True))
    tolerance = validate.real("tolerance", tolerance, low=0.0)
    acc = validate.array("acc", acc, ndim=None)
    if acc.ndim < 1 or acc.shape[-1] != grid.size + 1:
        raise ValueError(f"acc must end with len(grid) + 1 = {grid.size + 1} entries, got shape {acc.shape}")
    ok = acc[..., :-1] >= acc[..., -1:] - tolerance
    from_here = np.flip(np.cumprod(np.flip(ok, -1), -1), -1).astype(bool)
    return np.where(from_here.any(-1), grid[np.argmax(from_here, -1)], np.inf)


def description_bits(method: str, point: Any, shapes: Sequence[tuple[int, int]], n_biases: int) -> np.ndarray:
    """Bits to send a network whose matrices (``shapes``) are cut at ``point`` by ``method``, plus ``n_biases``
    float32 biases. ``"rank"``: ``min(r, m, n)(m + n)`` numbers per matrix; ``"prune"``: ``round(k m n)`` entries of
    ``32 + ⌈log2(mn)⌉`` bits. Each matrix costs at most ``32 m n`` (sent uncut); ``inf`` means uncut."""
    method = validate.choice("method", method, METHODS)
    point = np.asarray(point, dtype=float)
    total = np.full(point.shape, FLOAT_BITS * float(n_biases))
    for m, n in shapes:
        dense = FLOAT_BITS * m * n
        if method == "rank":
            cost = np.minimum(point, min(m, n)) * (m + n) * FLOAT_BITS
        else:
            cost = np.maximum(np.round(point * m * n), 1) * (FLOAT_BITS + math.ceil(math.log2(m * n)))
        total = total + np.minimum(np.where(np.isfinite(point), cost, dense), dense)
    return total


def descriptions(result: dict[str, Any], cuts: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Per method, the description in bits of each seed's network at its smallest cut: ``true_test`` (the true-label
    network, keeping its test accuracy), ``true_train`` (the same network, its training fit) and ``random_train``
    (the random-label network, its training fit), each of shape ``(n_seeds,)``; and ``dense``, the uncut bits."""
    cfg: weights.WeightsConfig = result["config"]
    shapes = [(64, cfg.hidden), (cfg.hidden, weights.N_CLASSES)]
    n_biases = cfg.hidden + weights.N_CLASSES
    out = {}
    for method, grid in (("rank", cfg.ranks), ("prune", cfg.keep)):
        acc = cuts[method]
        point = {"true_test": smallest_kept(acc[:, 0, :, 1], grid, cfg.tolerance),
                 "true_train": smallest_kept(acc[:, 0, :, 0], grid, cfg.tolerance),
                 "random_train": smallest_kept(acc[:, 1, :, 0], grid, cfg.tolerance)}
        out[method] = {k: description_bits(method, v, shapes, n_biases) for k, v in point.items()}
        out[method] |= {f"{k}_point": v for k, v in point.items()}
        out[method]["dense"] = float(description_bits(method, np.inf, shapes, n_biases))
    return out


def synthesis_point(result: dict[str, Any], cuts: dict[str, np.ndarray], method: str) -> dict[str, Any]:
    """§5's point for one cut: the dense float32 bits over the true-label network's description (its test accuracy
    kept), against the share kept; the null, the random-label network cut to the same point, its training fit."""
    method = validate.choice("method", method, METHODS)
    cfg: weights.WeightsConfig = result["config"]
    grid = list(cfg.ranks if method == "rank" else cfg.keep)
    acc = cuts[method]
    bits = descriptions(result, cuts)[method]
    point = bits["true_test_point"]
    column = [grid.index(p) if np.isfinite(p) else -1 for p in point]

    def share(a: np.ndarray) -> float:
        return float(np.mean([a[s, c] / a[s, -1] for s, c in enumerate(column)]))

    ratio = float(np.mean(bits["dense"] / bits["true_test"]))
    name = "2 weights: low rank" if method == "rank" else "2 weights: pruning"
    return {"section": name, "ratio": ratio, "kept": share(acc[:, 0, :, 1]),
            "null_ratio": ratio, "null_kept": share(acc[:, 1, :, 0])}


def check_rank_bits(answer: Any, r: int, shapes: Sequence[tuple[int, int]], n_biases: int) -> None:
    """Exercise check (§2): bits to send a network whose matrices (``shapes``) are cut to rank ``r`` as float32
    factors (each matrix sent whole where that is fewer numbers), plus ``n_biases`` float32 biases."""
    selfcheck.answered("rank_bits", answer)
    r = validate.integer("r", r, low=1)
    n_biases = validate.integer("n_biases", n_biases, low=0)
    selfcheck.number("rank_bits", answer, float(description_bits("rank", r, shapes, n_biases)), rtol=1e-9,
                     hint="a rank-r matrix m x n is sent as r(m + n) numbers, unless m n is fewer; the rank cannot "
                          "exceed min(m, n); every number (biases too) costs 32 bits.")
