"""Chapter 5, shared: scikit-learn's handwritten digits, the data of §5.4 and §5.5.

* :func:`load_digits`: the 1,797 digits shuffled by a seed (§5.4 codes their labels);
* :func:`binary_digits`: 0-4 against 5-9, stacked over seeds, with the initial weights of the
  ``64-hidden-1`` network of :mod:`dltheory.information.models` (§5.5's PAC-Bayes and compression bounds).

The data come inside scikit-learn: nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import validate
from dltheory.information import models

__all__ = ["load_digits", "binary_digits"]


def load_digits(seed: int, *, random_labels: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Scikit-learn's 1,797 handwritten digits (8×8, bundled with the package), shuffled by ``seed``.

    Pixels are scaled to [0, 1]. With ``random_labels=True`` the labels are replaced by uniform
    random digits (the control of Zhang et al. 2017).
    """
    from sklearn.datasets import load_digits as sk_digits

    seed = validate.integer("seed", seed, low=0)
    data = sk_digits()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(data.target))
    x = (data.data[order] / 16.0).astype(np.float32)
    y = data.target[order].astype(np.int32)
    if random_labels:
        y = rng.integers(0, 10, size=y.shape).astype(np.int32)
    return x, y


def binary_digits(m: int, hidden: int, seeds: list[int], *, random_labels: Any = False) -> tuple[Any, ...]:
    """Stacked binary digits (0-4 → 0, 5-9 → 1) and initial flat weights of a ``64-hidden-1`` MLP, per seed.

    ``random_labels`` is one yes/no value for every seed, or one per seed (random labels for those runs).
    """
    from jax.flatten_util import ravel_pytree

    flags = np.broadcast_to(np.asarray(random_labels), (len(seeds),))
    if flags.dtype != bool:
        raise ValueError(f"random_labels must be a yes/no value or one per seed, got {random_labels!r}")
    xs, ys, w0s = [], [], []
    unravel = None
    for s, random in zip(seeds, flags):
        x, y = load_digits(s)
        yb = (y >= 5).astype(np.float32)
        if random:
            yb = np.random.default_rng(s + 1).integers(0, 2, size=yb.shape).astype(np.float32)
        w0, unravel = ravel_pytree(models.mlp_init(jax.random.key(s), [64, hidden, 1]))
        xs.append(x)
        ys.append(yb)
        w0s.append(w0)
    return jnp.asarray(np.stack(xs)), jnp.asarray(np.stack(ys)), jnp.stack(w0s), unravel
