"""Section 3.3, the analytic solution (page ``chapters/03-grokking/03-analytic-solution``).

Gromov (2023): a two-layer network with quadratic activation (:func:`dltheory.grokking.models.quadratic_mlp`)
solves ``a + b mod p`` with weights written down in closed form (:func:`gromov_weights`), and a trained one
finds that form (:func:`neuron_form`). :func:`smallest_width` and :func:`check_smallest_width` are the
exercise's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import selfcheck, validate
from dltheory.grokking.data import modular_addition
from dltheory.grokking.models import quadratic_mlp

__all__ = ["gromov_weights", "neuron_form", "smallest_width", "check_smallest_width"]


def gromov_weights(key: jax.Array, p: int, n: int) -> dict[str, jax.Array]:
    """Gromov's (2023) analytic weights for ``a + b mod p``, in the layout of
    :func:`dltheory.grokking.models.quadratic_mlp`.

    Section 3.3. Hidden unit ``k`` gets a frequency ``σ_k`` (cycling through ``1..(p-1)/2``) and two
    random phases ``φ_k, ψ_k``: ``U[a, k] = cos(2πσ_k a/p + φ_k)``, ``V[b, k] = cos(2πσ_k b/p + ψ_k)``,
    ``W[k, q] = 4p cos(2πσ_k q/p + φ_k + ψ_k)``. The factor ``4p`` (which the argmax ignores) undoes
    the network's ``1/(2p)`` input scaling and the ``1/2`` of the product-to-sum identity, so that the
    phase-averaged output is 1 at ``q = a + b`` and ``-1/(p-1)`` elsewhere.
    """
    p = validate.prime("p", p, low=3, high=1009)
    n = validate.integer("n", n, low=1)
    k1, k2 = jax.random.split(key)
    sigma = 1 + jnp.arange(n) % ((p - 1) // 2)
    phi = jax.random.uniform(k1, (n,), maxval=2 * jnp.pi)
    psi = jax.random.uniform(k2, (n,), maxval=2 * jnp.pi)
    x = jnp.arange(p)[:, None]
    w = 2 * jnp.pi * sigma / p
    return {
        "U": jnp.cos(w * x + phi),
        "V": jnp.cos(w * x + psi),
        "W": 4.0 * p * jnp.cos(w * x + phi + psi).T,
    }


def neuron_form(params: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """How close each hidden unit of a quadratic network is to Gromov's analytic form (Section 3.3).

    For unit ``k`` take the discrete Fourier coefficients of its three weight vectors ``U[:, k]``,
    ``V[:, k]``, ``W[k, :]`` over ``Z_p``. Returns, per unit: ``freq`` (the dominant frequency of ``U``),
    ``share`` (the share of the non-constant power of ``U`` and ``V`` together in that one frequency),
    ``same_freq`` (whether ``V`` and ``W`` have the same dominant frequency) and ``phase``, the cosine of
    ``arg W − arg U − arg V`` at that frequency, which the analytic solution sets to 1.
    """
    try:
        u, v, w = (np.asarray(params[k], dtype=np.float64) for k in ("U", "V", "W"))
    except (KeyError, TypeError):
        raise ValueError("params must be a quadratic network's parameters with keys U, V, W") from None
    if u.ndim != 2 or v.shape != u.shape or w.shape != u.shape[::-1]:
        raise ValueError(f"params must have U, V of shape (p, N) and W of shape (N, p); "
                         f"got {u.shape}, {v.shape}, {w.shape}")
    p = u.shape[0]
    half = (p - 1) // 2
    fu, fv, fw = (np.fft.fft(m, axis=0)[1 : half + 1] for m in (u, v, w.T))  # (half, N), frequencies 1..half
    pu, pv, pw = (np.abs(f) ** 2 for f in (fu, fv, fw))
    freq_index = np.argmax(pu + pv, axis=0)
    cols = np.arange(u.shape[1])
    share = (pu + pv)[freq_index, cols] / (pu + pv).sum(0)
    same = (np.argmax(pv, 0) == freq_index) & (np.argmax(pw, 0) == freq_index)
    # the DFT of cos(w x + φ) at +w is (p/2) e^{iφ}: phases read off directly
    phase = np.cos(np.angle(fw[freq_index, cols]) - np.angle(fu[freq_index, cols]) - np.angle(fv[freq_index, cols]))
    return {"freq": freq_index + 1, "share": share, "same_freq": same, "phase": phase}


# --------------------------------------------------------------------------- exercise check


def smallest_width(p: int, widths: Sequence[int], seed: int) -> int:
    """The smallest width in ``widths`` at which Gromov's weights (phases from ``seed``) reach 100% (Section 3.3)."""
    p = validate.prime("p", p, low=3, high=211)
    widths = sorted(validate.integer("widths[i]", w, low=1) for w in widths)
    table = modular_addition(p)
    for n in widths:
        out = quadratic_mlp(gromov_weights(jax.random.key(seed), p, n), table["a"], table["b"])
        if bool(np.all(np.asarray(out).argmax(1) == table["c"])):
            return n
    raise ValueError(f"none of the widths {widths} reaches 100% accuracy at p = {p}")


def check_smallest_width(answer: Any, *, p: int, widths: Sequence[int], seed: int) -> float:
    """Exercise check: the smallest width at which the analytic network is perfect, computed here."""
    return selfcheck.number("smallest_n", answer, smallest_width(p, widths, seed), rtol=0.0, atol=0.5,
                            hint="evaluate the analytic network at each width on the whole table and keep the "
                                 "first width whose accuracy is exactly 1.")
