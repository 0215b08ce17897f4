"""Chapter 5: saved full-mode runs of the five claims that hold, or fail, only at paper scale (§5.1–§5.3, §5.7).

``binning-bins-full`` (§5.1, ``01-estimating-mi``), ``tanh-compression-full`` (§5.2, ``02-information-plane``),
``ib-on-curve-full`` and ``ib-on-curve-full-highest`` (§5.3, ``03-gaussian-bottleneck``) and ``ksg-high-dim-full``
(§5.7, ``07-estimator-limits``) are registered with ``mode = "full"``. A fast build
cannot measure them, so each page shows the saved result of one full-mode run instead, with its provenance
(configuration, date, device, commit), as ``book/claims.md`` promises. :func:`make_full_runs` makes that record
with the pages' own full-mode code and seeds; :func:`load_full_run` reads it back for ``claims.check``. To
regenerate the file shipped with the library (minutes on a CPU; ``tanh-compression-full`` is the slow one)::

    python -m dltheory.information.full_runs [binning-bins-full tanh-compression-full ib-on-curve-full ...]

A run is refused from a working tree with uncommitted changes to ``lib/`` (commit the code, run, commit the data).
``ib-on-curve-full`` is saved with the log-determinants' products rounded to TensorFloat-32's 10-bit mantissas,
the arithmetic of the GPU run it was registered on; ``ib-on-curve-full-highest`` with float32 products.

The quantities are those the pages measure: the spread of equal-width binning (100 bins minus 8 bins at
ρ = 0.9, Saxe et al. 2018, appendix; Paninski 2003), the fall of the last hidden layer's binned I(X;T) after the
first 10% of training (Shwartz-Ziv & Tishby 2017), the largest distance of the learned linear encoder to the
Gaussian IB curve (Chechik et al. 2005), and KSG's estimate over the truth on 5-dimensional pairs at 4.15 nats
(Kraskov et al. 2004), with the same ratio in one dimension as its null.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import subprocess
import time
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from dltheory import runtime, saved, validate
from dltheory.information import estimating_mi, estimator_limits, gaussian_bottleneck, information_plane

__all__ = ["SAVED", "CLAIMS", "SavedRun", "measure", "make_full_runs", "load_full_run", "ib_gap_rounded"]

SAVED = "05-information-theory-full-runs.json"
CLAIMS = ("binning-bins-full", "tanh-compression-full", "ib-on-curve-full", "ib-on-curve-full-highest",
          "ksg-high-dim-full")
# the GPU run of 2026-12-04 (commit 750cb1e) that ``ib-on-curve-full`` was registered on saved no per-seed values
TF32_NOTE = ("products rounded to 10-bit mantissas: a CPU emulation of the TensorFloat-32 products a GPU makes by "
             "default, not the GPU run (2026-12-04, commit 750cb1e, per-seed values not saved; median 0.016 nats, "
             "range 0.0039-0.0305)")
HIGHEST_NOTE = "products in float32 at Precision.HIGHEST"
CHAPTER = "05-information-theory"


@dataclasses.dataclass(frozen=True)
class SavedRun:
    """One saved full-mode measurement: per-seed ``measured`` values, other per-seed values the run also gave
    (``extra``, e.g. the ReLU network's compression), and ``provenance`` for ``claims.check``."""

    claim: str
    seeds: tuple[int, ...]
    measured: np.ndarray
    extra: dict[str, np.ndarray]
    provenance: dict[str, str]

    @property
    def claim_id(self) -> str:
        return f"{CHAPTER}/{self.claim}"


def _snr_formula(beta: Any, lam: Any) -> Any:
    """The stationary SNR of one eigen-direction, s*(β, λ) = (β(1 − λ) − 1)/λ: the page derives it with SymPy."""
    return (beta * (1 - lam) - 1) / lam


def _binning(seeds: list[int]) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    """§5.1: equal-width binning, 100 bins minus 8 bins, on the pairs at ρ = 0.9 (``n = 20,000``)."""
    cfg = estimating_mi.EstimatorConfig.full()
    sweep = estimating_mi.estimator_sweep(cfg, seeds)
    width = sweep["binned_width"][:, :, list(cfg.rhos).index(0.9)]
    spread = width[:, cfg.bins.index(100)] - width[:, cfg.bins.index(8)]
    return cfg, spread, {"bins_100": width[:, cfg.bins.index(100)], "bins_8": width[:, cfg.bins.index(8)]}


def _compression(seeds: list[int]) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    """§5.2: the fall of the last hidden layer's binned I(X;T) (bits) after the first 10% of training."""
    cfg = information_plane.PlaneConfig.full()
    res = information_plane.information_plane(cfg, seeds)
    start = len(res["epochs"]) // 10
    comp = information_plane.compression(np.moveaxis(res["i_xt"], 2, -1), start=start)
    last = len(cfg.hidden) - 1
    tanh, relu = res["activations"].index("tanh"), res["activations"].index("relu")
    return cfg, comp[:, tanh, last], {"relu": comp[:, relu, last],
                                      "relu_final_i_xt": res["i_xt"][:, relu, -1, last]}


def _ib_gap(seeds: list[int], mantissa_bits: int | None = None) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    """§5.3: the largest distance (nats) over β and both coordinates to the analytic curve, per seed; with
    ``mantissa_bits`` the log-determinants' products are rounded to that many mantissa bits (10: TensorFloat-32)."""
    cfg = gaussian_bottleneck.IBConfig.full()
    problem = gaussian_bottleneck.gaussian_ib_problem(runtime.base_seed(), cfg.dx, cfg.dy)
    learned = gaussian_bottleneck.learn_linear_ib(problem, cfg, seeds, mantissa_bits=mantissa_bits)
    optimum = gaussian_bottleneck.ib_curve(_snr_formula, problem.lambdas, np.array(cfg.betas))

    def gap(enc: dict[str, Any]) -> np.ndarray:
        return np.maximum(np.abs(enc["i_x"] - optimum["i_x"]), np.abs(enc["i_y"] - optimum["i_y"])).max(axis=1)

    return cfg, gap(learned), {"init": gap(learned["init"])}


def _ksg_high_dim(seeds: list[int]) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    """§5.7: KSG / truth at ρ = 0.9 in five dimensions (4.15 nats, ``n = 20,000``), and its null: the same MI in
    one dimension (``null_1d``), each from the page's own sweep of every correlation."""
    cfg = estimator_limits.LimitsConfig.full()
    sweep = estimator_limits.ksg_sweep(cfg, seeds)
    j = list(cfg.rhos).index(0.9)
    truth = sweep["truth"][j]
    return cfg, sweep["ksg"][:, j] / truth, {"null_1d": sweep["ksg_1d"][:, j] / truth}


def ib_gap_rounded(mantissa_bits: int = 10, seeds: list[int] | None = None) -> np.ndarray:
    """§5.3's full-mode measurement with the log-determinants' products rounded to ``mantissa_bits`` (10: a GPU's
    TensorFloat-32), in training and measurement alike: the check behind ``ib-on-curve-full``'s bar history.

    On a CPU, seeds 0-9: 0.0027-0.0156 nats (median 0.011) with 10 bits, against 0.0002-0.0014 in float32.
    """
    cfg = gaussian_bottleneck.IBConfig.full()
    seeds = runtime.seeds(cfg.n_seeds) if seeds is None else list(validate.seeds(seeds))
    problem = gaussian_bottleneck.gaussian_ib_problem(runtime.base_seed(), cfg.dx, cfg.dy)
    learned = gaussian_bottleneck.learn_linear_ib(problem, cfg, seeds, mantissa_bits=mantissa_bits)
    optimum = gaussian_bottleneck.ib_curve(_snr_formula, problem.lambdas, np.array(cfg.betas))
    return np.maximum(np.abs(learned["i_x"] - optimum["i_x"]), np.abs(learned["i_y"] - optimum["i_y"])).max(axis=1)


_MEASURE = {"binning-bins-full": _binning, "tanh-compression-full": _compression,
            "ib-on-curve-full": lambda seeds: _ib_gap(seeds, mantissa_bits=10),   # the registered run's arithmetic
            "ib-on-curve-full-highest": _ib_gap, "ksg-high-dim-full": _ksg_high_dim}
_ARITHMETIC = {"ib-on-curve-full": TF32_NOTE, "ib-on-curve-full-highest": HIGHEST_NOTE}
_N_SEEDS = {"binning-bins-full": estimating_mi.EstimatorConfig.full().n_seeds,
            "tanh-compression-full": information_plane.PlaneConfig.full().n_seeds,
            "ib-on-curve-full": gaussian_bottleneck.IBConfig.full().n_seeds,
            "ib-on-curve-full-highest": gaussian_bottleneck.IBConfig.full().n_seeds,
            "ksg-high-dim-full": estimator_limits.LimitsConfig.full().n_seeds}


def measure(claim: str, seeds: list[int] | None = None) -> tuple[Any, np.ndarray, dict[str, np.ndarray]]:
    """Run ``claim``'s full-mode configuration, as its page does in full mode: ``(config, measured, extra)``.

    ``seeds`` defaults to the page's, ``runtime.seeds(config.n_seeds)``.
    """
    validate.choice("claim", claim, CLAIMS)
    seeds = runtime.seeds(_N_SEEDS[claim]) if seeds is None else list(validate.seeds(seeds))
    return _MEASURE[claim](seeds)


def _git(*args: str) -> str:
    """``git args`` run in this package's folder: its stdout, stripped (``OSError``/``CalledProcessError`` if none)."""
    here = Path(__file__).resolve().parent
    return subprocess.run(["git", *args], cwd=here, capture_output=True, text=True, check=True).stdout.strip()


def _commit() -> str:
    """The commit the run is made from; ``"unknown"`` outside a git checkout.

    Raises ``RuntimeError`` if ``lib/`` has uncommitted changes: a saved run must be tied to a commit that
    holds its code, so commit first, then run, then commit the data (the data file itself may be modified).
    """
    sha = saved.commit_id()
    if sha is None:
        return "unknown"
    try:
        dirty = [line for line in _git("status", "--porcelain", "--", ":/lib").splitlines()
                 if not line.rstrip().endswith(SAVED)]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    if dirty:
        raise RuntimeError(f"lib/ has uncommitted changes ({', '.join(d[3:] for d in dirty[:3])}): commit them "
                           "before making a saved run, so that its provenance names the code that made it")
    return sha


def make_full_runs(claims: tuple[str, ...] = CLAIMS, path: Any = None) -> dict[str, Any]:
    """Run each of ``claims`` in full mode on this machine and write its per-seed values with provenance.

    The record of each claim (``seeds``, ``measured``, ``extra``, ``provenance`` with ``config`` (the
    configuration's repr and the commit), ``date``, ``device`` (``runtime.device_summary()``, the host's cores
    and the wall time) and ``mode``) replaces the one in ``path`` (default: the file shipped in
    ``dltheory/data``); the other claims' records are kept. Returns the whole record.
    """
    claims = tuple(validate.choice("claims[i]", c, CLAIMS) for c in claims)
    if not claims:
        raise ValueError(f"claims must name at least one of {CLAIMS}")
    target = Path(str(resources.files("dltheory") / "data" / SAVED)) if path is None else Path(path)
    record = json.loads(target.read_text(encoding="utf-8")) if target.exists() else {}
    for claim in claims:
        start, commit = time.perf_counter(), _commit()        # the code as it was when the run started
        seeds = runtime.seeds(_N_SEEDS[claim])
        cfg, measured, extra = measure(claim, seeds)
        wall = time.perf_counter() - start
        record[claim] = {
            "provenance": {
                "config": f"{cfg!r}; seeds {seeds[0]}-{seeds[-1]}; commit {commit}"
                          + (f"; {_ARITHMETIC[claim]}" if claim in _ARITHMETIC else ""),
                "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
                "device": f"{runtime.device_summary()} ({os.cpu_count()}-core host), {wall:.0f} s wall",
                "mode": "full",
            },
            "seeds": seeds,
            "measured": np.round(np.asarray(measured, float), 6).tolist(),
            "extra": {k: np.round(np.asarray(v, float), 6).tolist() for k, v in extra.items()},
        }
        target.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def load_full_run(claim: str, path: Any = None) -> SavedRun:
    """The saved full-mode run of ``claim`` (one of :data:`CLAIMS`), for ``claims.check(..., provenance=...)``.

    ``path`` defaults to ``dltheory/data/05-information-theory-full-runs.json``, written by :func:`make_full_runs`.
    """
    validate.choice("claim", claim, CLAIMS)
    source = resources.files("dltheory") / "data" / SAVED if path is None else Path(path)
    record = json.loads(Path(str(source)).read_text(encoding="utf-8"))
    if claim not in record:
        raise ValueError(f"{source} has no saved run of {claim!r}; make it with make_full_runs(({claim!r},))")
    entry = record[claim]
    measured = np.asarray(entry["measured"], float)
    if measured.shape != (len(entry["seeds"]),):
        raise ValueError(f"the saved run of {claim!r} has {measured.size} values for {len(entry['seeds'])} seeds")
    return SavedRun(claim, tuple(int(s) for s in entry["seeds"]), measured,
                    {k: np.asarray(v, float) for k, v in entry["extra"].items()}, dict(entry["provenance"]))


if __name__ == "__main__":
    import sys

    done = make_full_runs(tuple(sys.argv[1:]) or CLAIMS)
    for name, entry in done.items():
        print(name, entry["provenance"]["device"], np.round(entry["measured"], 4).tolist())
