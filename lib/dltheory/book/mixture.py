"""The model :mod:`dltheory.book.robustness` draws a fresh base seed's values from: a mixture of one to three normal
clusters fitted to a claim's pooled values, each with uncertain parameters (:class:`Mixture`, :func:`fit_mixture`)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import stats

__all__ = ["Mixture", "fit_mixture", "MIN_CLUSTER", "MAX_COMPONENTS"]

#: the fewest values a cluster of the model holds (one outlier is a tail, not a cluster), and the most clusters
MIN_CLUSTER = 5
MAX_COMPONENTS = 3


@dataclasses.dataclass(frozen=True)
class Mixture:
    """A one-dimensional mixture of normal clusters whose parameters are uncertain: cluster ``j`` was fitted to
    ``counts[j]`` values with mean ``means[j]`` and spread ``sds[j]`` (Bessel-corrected). A fresh run draws, for each
    cluster, a variance ``sds[j]²·(n − 1)/χ²(n − 1)`` and a mean ``N(means[j], variance/n)`` from their
    posterior (Jeffreys prior, ``n = counts[j]``), once, and then its values from those normals: the values of one
    run share the run's draw, as the seeds of one base seed share what the record does not know about the cluster
    (each value on its own is then Student-t, ``means[j] + sds[j]·sqrt(1 + 1/n)·t(n − 1)``). ``degenerate`` is the
    share of non-finite values, drawn as NaN; ``floor`` the share at ``-inf`` (a 0 on a log scale)."""

    weights: tuple[float, ...]
    means: tuple[float, ...]
    sds: tuple[float, ...]
    counts: tuple[float, ...]
    degenerate: float = 0.0
    floor: float = 0.0

    def sample_runs(self, rng: np.random.Generator, draws: int, n: int) -> np.ndarray:
        """``draws`` runs of ``n`` values each, shape ``(draws, n)``."""
        m, sd, k = (np.asarray(a, float) for a in (self.means, self.sds, self.counts))
        dof = np.maximum(k - 1.0, 1.0)
        var = sd**2 * dof / rng.chisquare(dof, size=(draws, m.size))          # per run and cluster
        mu = m + np.sqrt(var / k) * rng.standard_normal((draws, m.size))
        j = rng.choice(m.size, p=np.asarray(self.weights), size=(draws, n))
        rows = np.arange(draws)[:, None]
        out = mu[rows, j] + np.sqrt(var[rows, j]) * rng.standard_normal((draws, n))
        u = rng.random((draws, n))
        return np.where(u < self.degenerate, np.nan, np.where(u < self.degenerate + self.floor, -np.inf, out))


def _em(x: np.ndarray, k: int, floor: float) -> tuple[Mixture, float] | None:
    """A ``k``-component fit of ``x`` by expectation-maximisation from a quantile start, and its log-likelihood;
    ``None`` when a component ends with fewer than :data:`MIN_CLUSTER` values' worth of weight."""
    parts = np.array_split(np.sort(x), k)
    w = np.full(k, 1.0 / k)
    mu = np.array([p.mean() for p in parts])
    sd = np.array([max(p.std(), floor) for p in parts])
    last = -np.inf
    for _ in range(500):
        logp = np.log(w) - np.log(sd) - 0.5 * ((x[:, None] - mu) / sd) ** 2 - 0.5 * math.log(2 * math.pi)
        top = logp.max(axis=1, keepdims=True)
        norm = top[:, 0] + np.log(np.exp(logp - top).sum(axis=1))
        resp = np.exp(logp - norm[:, None])
        mass = resp.sum(axis=0)
        if mass.min() < MIN_CLUSTER:
            return None
        w, mu = mass / x.size, (resp * x[:, None]).sum(axis=0) / mass
        sd = np.maximum(np.sqrt((resp * (x[:, None] - mu) ** 2).sum(axis=0) / mass), floor)
        loglik = float(norm.sum())
        if loglik - last < 1e-10 * abs(loglik) + 1e-12:
            break
        last = loglik
    sampled = np.maximum(sd * np.sqrt(mass / np.maximum(mass - 1.0, 1.0)), floor)  # Bessel, for the predictive
    return Mixture(tuple(w), tuple(mu), tuple(sampled), tuple(mass)), loglik


def fit_mixture(values: np.ndarray) -> Mixture:
    """The model a fresh seed's value is drawn from: a mixture of one to :data:`MAX_COMPONENTS` components fitted
    to the finite ``values`` (maximum likelihood by EM, Gaussian components), the number chosen by the Bayesian
    information criterion among fits whose every component holds at least :data:`MIN_CLUSTER` values (one
    outlier is a tail, not a cluster); one component is the normal fit (sd with Bessel's correction). No component
    is narrower than half the typical (median) step between neighbouring distinct values: tied values (integer
    bits, accuracies on a finite test set) would otherwise make spikes of unbounded likelihood that BIC always
    prefers, and a spike has no tail (the smallest step would not do: one value off the lattice, 5.999 among
    sixes, would shrink it to nothing). A fresh run draws from the clusters' predictive (:class:`Mixture`).
    Values that all agree, to float rounding, give a point mass."""
    values = np.asarray(values, float)
    x = values[np.isfinite(values)]
    if values.size == 0:
        raise ValueError("no values to fit")
    degenerate, floor_share = float(np.isnan(values).mean()), float((values == -np.inf).mean())
    if x.size < 2 or np.ptp(x) <= 1e-9 * max(float(np.abs(x).max()), 1e-300):
        return Mixture((1.0,), (float(x[0]) if x.size else 0.0,), (0.0,), (float(max(x.size, 1)),), degenerate,
                       floor_share)
    sd = float(np.std(x, ddof=1))
    best = Mixture((1.0,), (float(x.mean()),), (sd,), (float(x.size),), degenerate, floor_share)
    best_bic = -2 * float(stats.norm.logpdf(x, x.mean(), np.std(x)).sum()) + 2 * math.log(x.size)
    floor = max(1e-6 * sd, float(np.median(np.diff(np.unique(x)))) / 2)  # half the typical step between values
    for k in range(2, MAX_COMPONENTS + 1):
        fit = _em(x, k, floor) if x.size >= k * MIN_CLUSTER else None  # 3k - 1 free parameters
        if fit is not None and -2 * fit[1] + (3 * k - 1) * math.log(x.size) < best_bic:
            best = dataclasses.replace(fit[0], degenerate=degenerate, floor=floor_share)
            best_bic = -2 * fit[1] + (3 * k - 1) * math.log(x.size)
    return best
