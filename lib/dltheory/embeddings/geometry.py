"""Chapter 4, shared by several sections: embeddings from a matrix, the least-squares line, analogy tests.

* embeddings from a truncated SVD of a (PPMI) matrix (Levy and Goldberg 2014): §§ 4.1-4.3 and the exercises;
* the least-squares line with Pearson's correlation: § 4.1 and § 4.2;
* analogies by 3CosAdd and 3CosMul (Mikolov et al. 2013; Levy and Goldberg 2014): § 4.3, used again in
  § 4.2, § 4.5 and the exercises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dltheory import validate

__all__ = [
    "svd_embeddings",
    "linear_fit",
    "analogy_predictions",
    "analogy_accuracy",
]


def svd_embeddings(matrix: Any, dim: int, *, power: float = 0.5, symmetric: bool = False) -> np.ndarray:
    """Embeddings U_d Σ_d^p from a truncated SVD of ``matrix`` (§ 4.2; Levy and Goldberg 2014).

    With ``symmetric=True`` the matrix is treated as a symmetric positive semi-definite Gram matrix and
    the top ``dim`` eigenpairs give U_d Λ_d^p (negative eigenvalues clipped to 0).
    """
    M = validate.array("matrix", matrix, ndim=2)
    dim = validate.integer("dim", dim, low=1, high=min(M.shape))
    power = validate.real("power", power, low=0.0, high=1.0)
    if symmetric:
        if M.shape[0] != M.shape[1]:
            raise ValueError(f"matrix must be square when symmetric=True, got {M.shape}")
        lam, U = np.linalg.eigh((M + M.T) / 2)
        order = np.argsort(lam)[::-1][:dim]
        return U[:, order] * np.maximum(lam[order], 0.0) ** power
    U, S, _ = np.linalg.svd(M, full_matrices=False)
    return U[:, :dim] * S[:dim] ** power


def linear_fit(x: Any, y: Any) -> dict[str, float]:
    """Least-squares line y ≈ slope·x + intercept, with Pearson's correlation."""
    x = validate.array("x", x, ndim=1, min_size=2)
    y = validate.array("y", y, ndim=1, min_size=2)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if np.ptp(x) == 0:
        raise ValueError("x must not be constant")
    # fit in scaled units, so that values near the float64 limit do not overflow the sums of squares
    sx, sy = float(np.max(np.abs(x))), float(np.max(np.abs(y))) or 1.0
    xs, ys = x / sx, y / sy
    slope, intercept = np.polyfit(xs, ys, 1)
    corr = float(np.corrcoef(xs, ys)[0, 1]) if np.ptp(ys) > 0 else 0.0
    out = {"slope": float(slope * sy / sx), "intercept": float(intercept * sy), "corr": corr}
    if not all(np.isfinite(v) for v in out.values()):
        raise ValueError("x and y are too large or too ill-conditioned for a finite least-squares line")
    return out


def analogy_predictions(embeddings: Any, questions: Any, *, method: str = "add", eps: float = 1e-3,
                        exclude: bool = True) -> np.ndarray:
    """Answer a : b :: c : ? for each row (a, b, c[, d]) of ``questions`` (§ 4.3).

    ``method="add"`` is 3CosAdd, argmax_x cos(x, b − a + c) (Mikolov et al. 2013); ``"mul"`` is
    3CosMul, argmax_x cos'(x, b)·cos'(x, c)/(cos'(x, a) + ε) with cos' = (1 + cos)/2 (Levy and
    Goldberg 2014). The words a, b, c are excluded from the answers, as in the standard test; with
    ``exclude=False`` they compete like any other word (Linzen 2016).
    """
    E = validate.array("embeddings", embeddings, ndim=2)
    q = validate.array("questions", questions, ndim=2, dtype=np.int64, nonnegative=True)
    if q.shape[1] not in (3, 4):
        raise ValueError(f"questions must have 3 or 4 columns (a, b, c[, d]), got {q.shape[1]}")
    if q.max() >= E.shape[0]:
        raise ValueError(f"questions must index rows of embeddings (< {E.shape[0]}), found {int(q.max())}")
    validate.choice("method", method, ("add", "mul"))
    eps = validate.real("eps", eps, low=0.0, low_open=True)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    En = E / np.where(norms > 0, norms, 1.0)
    cos = En[q[:, :3]] @ En.T  # (n_q, 3, V)
    if method == "add":
        scores = cos[:, 1] - cos[:, 0] + cos[:, 2]
    else:
        s = (1.0 + cos) / 2.0
        scores = s[:, 1] * s[:, 2] / (s[:, 0] + eps)
    if not isinstance(exclude, bool):
        raise ValueError(f"exclude must be True or False, got {exclude!r}")
    if exclude:
        scores[np.arange(len(q))[:, None], q[:, :3]] = -np.inf
    return np.argmax(scores, axis=1)


def analogy_accuracy(embeddings: Any, questions: Any, *, method: str = "add") -> float:
    """Fraction of questions (a, b, c, d) answered with d by :func:`analogy_predictions` (§ 4.3)."""
    q = validate.array("questions", questions, ndim=2, dtype=np.int64, nonnegative=True)
    if q.shape[1] != 4:
        raise ValueError(f"questions must have 4 columns (a, b, c, d), got {q.shape[1]}")
    return float(np.mean(analogy_predictions(embeddings, q, method=method) == q[:, 3]))
