"""Chapter 3, shared: what a batch of runs on ``a + b mod p`` returns, the phases read off it, and saved runs.

:class:`GrokResult` holds the learning curves (and final parameters) that :func:`dltheory.grokking.training.run`
returns; :func:`first_step` and :func:`delays` read the phases off them (Section 3.1); :func:`join` puts results
side by side (Section 3.6); :func:`save_result` and :func:`load_result` write and read a run with its provenance:
the saved full-mode run that the fast-mode pages show is ``dltheory/data/03-grokking-full-run.npz``. Nothing here
trains; :mod:`dltheory.grokking.training` re-exports these names, so ``training.delays`` still reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from dltheory import validate
from dltheory.grokking.models import GrokConfig

__all__ = ["GrokResult", "join", "first_step", "delays", "save_result", "load_result", "FULL_RUN_FILE"]


@dataclasses.dataclass(frozen=True)
class GrokResult:
    """Learning curves of a batch of runs; arrays have shape ``(n_seeds, n_settings, n_evals)``.

    ``snapshots`` (when requested) holds the flattened parameters at every evaluation, shape
    ``(n_seeds, n_settings, n_evals, n_params)``; :meth:`params_at` turns one back into a pytree.
    """

    config: GrokConfig
    steps: np.ndarray
    train_acc: np.ndarray
    test_acc: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    weight_norm: np.ndarray
    seeds: tuple[int, ...]
    hparams: dict[str, np.ndarray]
    final_params: Any
    snapshots: np.ndarray | None
    wall_time: float

    def params_at(self, seed: int, setting: int, index: int) -> dict[str, jax.Array]:
        """The parameters of run ``(seed, setting)`` at evaluation ``index`` (needs snapshots)."""
        if self.snapshots is None:
            raise ValueError("this result has no snapshots: run with snapshots=True")
        template = jax.tree_util.tree_map(lambda x: x[0, 0], self.final_params)
        _, unravel = ravel_pytree(template)
        return unravel(jnp.asarray(self.snapshots[seed, setting, index]))

    def final(self, seed: int = 0, setting: int = 0) -> dict[str, jax.Array]:
        """The final parameters of run ``(seed, setting)``."""
        return jax.tree_util.tree_map(lambda x: jnp.asarray(x[seed, setting]), self.final_params)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The result as named arrays (snapshots left out): the layout of :func:`save_result` and of a saved run
        (:mod:`dltheory.saved`); :meth:`from_arrays` reads it back."""
        return {
            "config": np.array(repr(dataclasses.asdict(self.config))), "steps": np.asarray(self.steps),
            **{k: np.asarray(getattr(self, k)) for k in _CURVES}, "seeds": np.array(self.seeds),
            "wall_time": np.array(self.wall_time), **{f"hparam:{k}": np.asarray(v) for k, v in self.hparams.items()},
            **_flat_params(self.final_params),
        }

    @classmethod
    def from_arrays(cls, data: Mapping[str, Any]) -> GrokResult:
        """A result from the arrays of :meth:`to_arrays` (``ValueError`` if some are missing)."""
        import ast

        missing = {"config", "steps", "seeds", "wall_time", *_CURVES} - set(data)
        if missing or not any(k.startswith("param:") for k in data):
            raise ValueError(f"not the arrays of a GrokResult: missing {sorted(missing) or 'its parameters'}")
        fields = ast.literal_eval(str(data["config"]))
        cfg = GrokConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
        return cls(
            config=cfg, steps=np.asarray(data["steps"]), **{k: np.asarray(data[k]) for k in _CURVES},
            seeds=tuple(int(s) for s in data["seeds"]), final_params=_nested_params(data), snapshots=None,
            hparams={k[len("hparam:"):]: np.asarray(v) for k, v in data.items() if k.startswith("hparam:")},
            wall_time=float(data["wall_time"]),
        )


_CURVES = ("train_acc", "test_acc", "train_loss", "test_loss", "weight_norm")


def join(*results: GrokResult) -> GrokResult:
    """Results of the same config and seeds side by side: their settings concatenated, in the order given.

    Section 3.6 adds its own settings to :func:`dltheory.grokking.training.shared_run`'s. Snapshots are kept only
    when every result has them; ``wall_time`` is the sum.
    """
    if not results or not all(isinstance(r, GrokResult) for r in results):
        raise ValueError("join needs one or more GrokResult")
    first = results[0]
    for r in results[1:]:
        if r.config != first.config or r.seeds != first.seeds or not np.array_equal(r.steps, first.steps):
            raise ValueError("join needs results of the same config, seeds and evaluation steps")
    cat = lambda *xs: np.concatenate([np.asarray(x) for x in xs], axis=1)  # noqa: E731
    snaps = [r.snapshots for r in results]
    return GrokResult(
        config=first.config, steps=first.steps, **{k: cat(*(getattr(r, k) for r in results)) for k in _CURVES},
        seeds=first.seeds, hparams={k: np.concatenate([r.hparams[k] for r in results]) for k in first.hparams},
        final_params=jax.tree_util.tree_map(cat, *(r.final_params for r in results)),
        snapshots=None if any(s is None for s in snaps) else cat(*snaps),
        wall_time=float(sum(r.wall_time for r in results)),
    )


def first_step(steps: Any, curve: Any, threshold: float) -> np.ndarray:
    """The first step at which ``curve`` (last axis = evaluations) reaches ``threshold``; ``inf`` if never.

    Section 3.1. ``steps`` has one entry per evaluation.
    """
    steps = validate.array("steps", steps, ndim=1)
    curve = validate.array("curve", curve, finite=False)
    if curve.shape[-1] != steps.size:
        raise ValueError(f"curve's last axis ({curve.shape[-1]}) must match steps ({steps.size})")
    threshold = validate.real("threshold", threshold)
    hit = curve >= threshold
    out = steps[np.argmax(hit, axis=-1)].astype(float)
    return np.where(hit.any(axis=-1), out, np.inf)


def delays(result: GrokResult, *, fit: float = 0.99, leave: float = 0.1, grok: float = 0.99) -> dict[str, np.ndarray]:
    """The three times of grokking, shape ``(n_seeds, n_settings)`` each (Section 3.1).

    ``t_fit``: train accuracy first ≥ ``fit``; ``t_leave``: test accuracy first ≥ ``leave`` (off chance,
    which is ``1/p``); ``t_grok``: test accuracy first ≥ ``grok``. ``inf`` where never reached.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    for name, v in (("fit", fit), ("leave", leave), ("grok", grok)):
        validate.probability(name, v, open_low=True)
    return {
        "t_fit": first_step(result.steps, result.train_acc, fit),
        "t_leave": first_step(result.steps, result.test_acc, leave),
        "t_grok": first_step(result.steps, result.test_acc, grok),
    }


# --------------------------------------------------------------------------- saved runs


FULL_RUN_FILE = "03-grokking-full-run.npz"


def save_result(result: GrokResult, path: Any, *, date: str, device: str) -> None:
    """Write the learning curves and final parameters of ``result`` with their provenance (Section 3.1).

    The saved full-mode run of Nanda et al.'s transformer that the fast-mode pages show comes from here
    (``dltheory/data/03-grokking-full-run.npz``); snapshots are not saved.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    varied = {k: np.round(v.astype(float), 6).tolist() for k, v in result.hparams.items() if np.ptp(v) > 0}
    described = (f"{result.config.describe()}; seeds {list(result.seeds)}; settings {varied}; "
                 f"{result.wall_time / 60:.0f} min")
    np.savez_compressed(
        path, provenance_config=np.array(described), provenance_date=np.array(str(date)),
        provenance_device=np.array(str(device)), **result.to_arrays(),
    )


def load_result(path: Any = None) -> tuple[GrokResult, dict[str, str]]:
    """A result written by :func:`save_result`, and its provenance for :func:`dltheory.claims.check` (Section 3.1).

    ``path`` defaults to the saved full-mode run shipped with the library, ``dltheory/data/03-grokking-full-run.npz``.
    """
    import contextlib
    from importlib import resources

    source = resources.files("dltheory") / "data" / FULL_RUN_FILE if path is None else path
    with resources.as_file(source) if path is None else contextlib.nullcontext(path) as file:
        with np.load(file, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    result = GrokResult.from_arrays(data)
    provenance = {name: str(data[f"provenance_{name}"]) for name in ("config", "date", "device")}
    return result, {**provenance, "mode": "full"}


def _flat_params(params: Any) -> dict[str, np.ndarray]:
    """``{"param:a/b": leaf}`` for a pytree of parameters (:func:`save_result`, ``training.shared_run``)."""
    return {f"param:{'/'.join(str(getattr(k, 'key', k)) for k in keypath)}": np.asarray(leaf)
            for keypath, leaf in jax.tree_util.tree_flatten_with_path(params)[0]}


def _nested_params(data: Mapping[str, Any]) -> dict[str, Any]:
    """The pytree back from :func:`_flat_params`'s entries of ``data``."""
    params: dict[str, Any] = {}
    for name, value in data.items():
        if name.startswith("param:"):
            node = params
            *parents, leaf = name[len("param:"):].split("/")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = value
    return params
