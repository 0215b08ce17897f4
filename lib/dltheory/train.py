"""The one training loop of the book.

Introduced in *How to read this book* (``book/how-to-read``) and used by every chapter.

``train`` runs many training runs at once (seeds × hyper-parameter settings) as one compiled
program:

* a single optimisation step is a pure function of the state;
* ``jax.lax.scan`` runs ``eval_every`` steps inside one compiled call (a *chunk*), so Python is
  only re-entered between chunks, where the progress bar moves and metrics are recorded;
* ``jax.vmap`` maps the chunk over a flat axis of runs, one per (seed, hyper-parameter setting);
* with more than one device the run axis is sharded across all of them, with no change to the code;
* with ``checkpoint=...`` the state and metrics are saved between chunks (atomically, checksummed,
  through :mod:`dltheory.sweep`), so a run interrupted by a crash or a restarted kernel resumes from
  its last saved chunk and ends with bit-identical results.

Optimisers come from optax. Hyper-parameters that vary across runs (weight decay, learning rate,
width masks, ...) are passed as arrays in ``hparams`` and reach ``init``, ``loss``, ``evaluate``
and the optimiser factory as traced scalars, so one compilation serves the whole sweep.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, sweep, validate

__all__ = ["train", "grid", "History", "TrainState", "checkpoints_enabled"]

Params = Any
Batch = Any
HParams = Mapping[str, jax.Array]


class TrainState(NamedTuple):
    """What one run carries from step to step."""

    params: Params
    opt_state: optax.OptState
    key: jax.Array
    step: jax.Array


@dataclasses.dataclass(frozen=True)
class History:
    """Metrics of a batch of runs.

    ``metrics[name]`` has shape ``(n_seeds, n_settings, n_evals, ...)``; ``steps`` holds the step of
    each evaluation (``0, eval_every, 2·eval_every, ..., steps``). ``params`` holds the final
    parameters with leading axes ``(n_seeds, n_settings)``.
    """

    steps: np.ndarray
    metrics: dict[str, np.ndarray]
    params: Params
    seeds: tuple[int, ...]
    hparams: dict[str, np.ndarray]
    wall_time: float

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self.metrics:
            raise ValueError(f"no metric {name!r}; recorded metrics are {sorted(self.metrics)}")
        return self.metrics[name]

    def final(self, name: str) -> np.ndarray:
        """The last recorded value of metric ``name``, shape ``(n_seeds, n_settings, ...)``."""
        return self[name][:, :, -1]

    def first_step(self, name: str, threshold: float, *, above: bool = True) -> np.ndarray:
        """Step at which metric ``name`` first reaches ``threshold`` (``inf`` where it never does).

        With ``above=True`` "reaches" means ``>= threshold``, else ``<= threshold``.
        Returns shape ``(n_seeds, n_settings)``.
        """
        values = self[name]
        if values.ndim != 3:
            raise ValueError(f"metric {name!r} is not a scalar per evaluation (shape {values.shape})")
        hit = values >= threshold if above else values <= threshold
        first = np.argmax(hit, axis=-1)
        steps = self.steps[first].astype(float)
        steps[~hit.any(axis=-1)] = np.inf
        return steps


def grid(**axes: Sequence[float]) -> dict[str, np.ndarray]:
    """The Cartesian product of hyper-parameter values, flattened into equal-length arrays.

    ``grid(wd=[0, 1], lr=[1e-3, 3e-3])`` gives four settings: ``{"wd": [0, 0, 1, 1],
    "lr": [1e-3, 3e-3, 1e-3, 3e-3]}`` (the last axis varies fastest).
    """
    if not axes:
        raise ValueError("grid needs at least one axis, e.g. grid(weight_decay=[0.0, 1.0])")
    values = {}
    for name, vals in axes.items():
        arr = validate.array(name, vals, ndim=1)
        values[name] = arr
    combos = list(itertools.product(*values.values()))
    return {name: np.array([c[i] for c in combos]) for i, name in enumerate(values)}


def _check_hparams(hparams: Mapping[str, Any] | None) -> tuple[dict[str, np.ndarray], int]:
    if hparams is None or len(hparams) == 0:
        return {}, 1
    if not isinstance(hparams, Mapping):
        raise ValueError(f"hparams must be a mapping of name -> 1-D array, got {type(hparams).__name__}")
    out = {}
    length = None
    for name, vals in hparams.items():
        arr = validate.array(f"hparams[{name!r}]", vals, ndim=1)
        if length is None:
            length = arr.size
        elif arr.size != length:
            raise ValueError(f"all hparams must have the same length; {name!r} has {arr.size}, expected {length}")
        out[name] = arr.astype(np.float32)
    return out, int(length)


def checkpoints_enabled() -> bool:
    """Whether :func:`train` saves checkpoints: ``DLTHEORY_CHECKPOINTS`` if set, else only in full mode."""
    flag = os.environ.get("DLTHEORY_CHECKPOINTS", "").strip().lower()
    if flag:
        return flag not in ("0", "false", "off", "no")
    return runtime.mode() == "full"


class _Checkpoint:
    """The saved state of one :func:`train` call: its leaves, its metrics so far, written atomically."""

    def __init__(self, ident: Any, *, steps: int, eval_every: int, seeds: tuple[int, ...],
                 hparams: Mapping[str, np.ndarray], n_runs: int, data: Any) -> None:
        data_hash = sweep.checksum({f"{i}": np.asarray(leaf) for i, leaf in enumerate(jax.tree_util.tree_leaves(data))})
        config = {"checkpoint": ident, "steps": steps, "eval_every": eval_every, "seeds": list(seeds),
                  "hparams": {k: v for k, v in hparams.items()}, "n_runs": n_runs, "data": data_hash}
        try:
            self.key = sweep.config_key(train, config)
        except ValueError as err:
            raise ValueError(f"checkpoint must be built from strings, numbers, dicts and dataclasses: {err}") from None
        self.path = sweep.cache_dir() / f"train-{self.key}.npz"
        self.every = float(os.environ.get("DLTHEORY_CHECKPOINT_SECONDS", "60"))
        self.last = time.monotonic()
        self.cost = 0.0  # seconds the last save took

    def due(self, *, done: bool) -> bool:
        # at most every `every` seconds, and never more than a tenth of the time on saving (large snapshots);
        # every = 0 saves after every chunk (the tests kill a training right after its n-th save)
        if done or self.every == 0:
            return True
        return time.monotonic() - self.last >= max(self.every, 10 * self.cost)

    def save(self, state: TrainState, records: list[dict[str, np.ndarray]]) -> None:
        arrays = {}
        for i, leaf in enumerate(jax.tree_util.tree_leaves(jax.device_get(state))):
            if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key):
                leaf = jax.random.key_data(leaf)
            arrays[f"leaf{i:04d}"] = np.asarray(leaf)
        for name in records[0]:
            arrays[f"metric:{name}"] = np.stack([r[name] for r in records])
        started = time.monotonic()
        sweep.save(self.path, self.key, arrays)
        self.last = time.monotonic()
        self.cost = self.last - started

    def load(self, shapes: Any) -> tuple[TrainState, list[dict[str, np.ndarray]]] | None:
        """The saved state and metrics, or None (nothing saved, or a file that does not fit: then recomputed)."""
        if not self.path.exists():
            return None
        try:
            arrays = sweep.load(self.path, self.key)
        except sweep.CorruptCacheError as err:
            print(f"train: checkpoint rejected, starting again: {err}", file=sys.stderr)
            return None
        state_shape, metric_shape = shapes
        leaves, treedef = jax.tree_util.tree_flatten(state_shape)
        restored = []
        for i, like in enumerate(leaves):
            value = arrays.get(f"leaf{i:04d}")
            if jnp.issubdtype(like.dtype, jax.dtypes.prng_key) and value is not None:
                value = jax.random.wrap_key_data(jnp.asarray(value))  # the default impl, as jax.random.key above
                value = value if value.shape == like.shape else None
            elif value is not None and (value.shape != like.shape or value.dtype != like.dtype):
                value = None
            if value is None:
                print(f"train: checkpoint {self.path.name} does not fit this training, starting again", file=sys.stderr)
                return None
            restored.append(jnp.asarray(value) if not isinstance(value, jax.Array) else value)
        stacked = {name[len("metric:"):]: arr for name, arr in arrays.items() if name.startswith("metric:")}
        if set(stacked) != set(metric_shape):
            print(f"train: checkpoint {self.path.name} has other metrics, starting again", file=sys.stderr)
            return None
        n_records = len(next(iter(stacked.values())))
        records = [{name: arr[j] for name, arr in stacked.items()} for j in range(n_records)]
        return jax.tree_util.tree_unflatten(treedef, restored), records


def _over_runs(fn: Callable[..., Any], n_runs: int) -> Callable[..., Any]:
    """``fn(state_or_key, hp, data)`` mapped over the leading run axis of its first two arguments.

    One run is called directly, its run axis taken off and put back: under ``vmap`` over an axis of
    length 1, XLA on the CPU runs the batched products and lookups markedly slower (the grokking
    transformer's step: 26 against 39 steps per second; ``book/performance.md``).
    """
    if n_runs > 1:
        return jax.vmap(fn, in_axes=(0, 0, None))

    def single(runs: Any, hp: Any, data: Any) -> Any:
        out = fn(*jax.tree_util.tree_map(lambda x: x[0], (runs, hp)), data)
        return jax.tree_util.tree_map(lambda x: x[None], out)

    return single


def train(
    init: Callable[[jax.Array, HParams], Params],
    loss: Callable[[Params, Batch, HParams], jax.Array],
    optimizer: optax.GradientTransformation | Callable[[HParams], optax.GradientTransformation],
    *,
    steps: int,
    eval_every: int,
    seeds: Sequence[int],
    data: Any = None,
    batch: Callable[[jax.Array, Any], Batch] | None = None,
    evaluate: Callable[[Params, HParams], Mapping[str, jax.Array]] | None = None,
    hparams: Mapping[str, Any] | None = None,
    progress: bool | None = None,
    desc: str = "training",
    checkpoint: Any = None,
) -> History:
    """Train ``len(seeds) × n_settings`` runs in one compiled program and return their :class:`History`.

    Parameters
    ----------
    init
        ``init(key, hp) -> params``: the initial parameters of one run.
    loss
        ``loss(params, batch, hp) -> scalar``: the training objective.
    optimizer
        An optax ``GradientTransformation``, or a factory ``hp -> GradientTransformation`` when the
        optimiser's own hyper-parameters vary across runs.
    steps, eval_every
        Total optimisation steps, and how often metrics are recorded (``steps`` must be a multiple
        of ``eval_every``). Metrics are also recorded before the first step.
    seeds
        Integer seeds, one run per seed and setting. Each run's key is ``jax.random.key(seed)``.
    data
        Data shared by all runs (the full training set, for instance); passed to ``batch``.
    batch
        ``batch(key, data) -> batch``: draws the batch of one step from that step's key. Without it
        every step sees ``data`` itself (full-batch training).
    evaluate
        ``evaluate(params, hp) -> {name: value}``: metrics recorded every ``eval_every`` steps.
        The mean training loss over the preceding chunk is always recorded as ``"train_loss"``.
    hparams
        ``{name: 1-D array}`` of equal lengths, one entry per setting (see :func:`grid`).
    progress
        Show a progress bar between chunks (default: on, unless ``DLTHEORY_PROGRESS=0``).
    checkpoint
        What identifies this training, beyond the arguments above, for resuming it: everything that
        ``init``, ``loss``, ``batch`` and ``evaluate`` depend on (the experiment's name and its config
        dataclass, say). Its key also hashes ``steps``, ``eval_every``, ``seeds``, ``hparams``, the
        arrays in ``data`` and the library's source; the code of functions defined outside the library
        is *not* hashed, so name such a training differently when you change it. Checkpoints are
        written when :func:`checkpoints_enabled` (full mode, or ``DLTHEORY_CHECKPOINTS=1``), at most
        every ``DLTHEORY_CHECKPOINT_SECONDS`` (default 60) seconds, never taking more than a tenth of
        the time (a save of large snapshots spaces the next one out; 0 saves every chunk), and at the end, to
        :func:`dltheory.sweep.cache_dir`. A finished training is then read back instead of recomputed.
    """
    if not callable(init):
        raise ValueError("init must be a function (key, hp) -> params")
    if not callable(loss):
        raise ValueError("loss must be a function (params, batch, hp) -> scalar")
    if evaluate is not None and not callable(evaluate):
        raise ValueError("evaluate must be a function (params, hp) -> dict of metrics, or None")
    if batch is not None and not callable(batch):
        raise ValueError("batch must be a function (key, data) -> batch, or None")
    if batch is None and data is None:
        raise ValueError("pass data (full-batch training) or a batch function (or both)")
    steps, eval_every = validate.schedule(steps, eval_every)
    seeds = validate.seeds(seeds, distinct=True)
    if isinstance(optimizer, optax.GradientTransformation):
        fixed_opt = optimizer

        def make_opt(hp: HParams) -> optax.GradientTransformation:
            return fixed_opt

    elif callable(optimizer):
        make_opt = optimizer
    else:
        raise ValueError("optimizer must be an optax GradientTransformation or a function hp -> one")
    hp_np, n_settings = _check_hparams(hparams)

    n_seeds = len(seeds)
    n_runs = n_seeds * n_settings
    run_seeds = np.repeat(np.array(seeds, dtype=np.uint32), n_settings)
    run_hp = {k: np.tile(v, n_seeds) for k, v in hp_np.items()}

    # Shard the run axis over all devices; pad it to a multiple of the device count.
    n_dev = jax.device_count()
    n_pad = (-n_runs) % n_dev if n_dev > 1 else 0
    if n_pad:
        run_seeds = np.concatenate([run_seeds, np.repeat(run_seeds[-1:], n_pad)])
        run_hp = {k: np.concatenate([v, np.repeat(v[-1:], n_pad)]) for k, v in run_hp.items()}
    keys = jax.vmap(jax.random.key)(jnp.asarray(run_seeds))
    hp_dev = {k: jnp.asarray(v) for k, v in run_hp.items()}
    if n_dev > 1:
        mesh = jax.sharding.Mesh(np.array(jax.devices()), ("runs",))
        sharding = jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("runs"))
        keys = jax.device_put(keys, sharding)
        hp_dev = jax.device_put(hp_dev, sharding)

    def init_run(key: jax.Array, hp: HParams) -> TrainState:
        k_init, k_data = jax.random.split(key)
        params = init(k_init, hp)
        return TrainState(params, make_opt(hp).init(params), k_data, jnp.zeros((), jnp.int32))

    def step_batch(state: TrainState, data: Any) -> Batch:
        if batch is None:
            return data
        return batch(jax.random.fold_in(state.key, state.step), data)

    def one_step(state: TrainState, hp: HParams, data: Any) -> tuple[TrainState, jax.Array]:
        value, grads = jax.value_and_grad(loss)(state.params, step_batch(state, data), hp)
        updates, opt_state = make_opt(hp).update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return TrainState(params, opt_state, state.key, state.step + 1), value

    def measure(state: TrainState, hp: HParams, train_loss: jax.Array) -> dict[str, jax.Array]:
        metrics = {"train_loss": train_loss}
        if evaluate is not None:
            extra = dict(evaluate(state.params, hp))
            if "train_loss" in extra:
                raise ValueError("evaluate must not return 'train_loss' (train records it itself)")
            metrics.update(extra)
        return metrics

    def start(key: jax.Array, hp: HParams, data: Any) -> tuple[TrainState, dict[str, jax.Array]]:
        state = init_run(key, hp)
        return state, measure(state, hp, loss(state.params, step_batch(state, data), hp))

    def chunk(state: TrainState, hp: HParams, data: Any) -> tuple[TrainState, dict[str, jax.Array]]:
        state, losses = jax.lax.scan(lambda s, _: one_step(s, hp, data), state, None, length=eval_every)
        return state, measure(state, hp, losses.mean())

    start_all = jax.jit(_over_runs(start, len(run_seeds)))
    chunk_all = jax.jit(_over_runs(chunk, len(run_seeds)), donate_argnums=0)

    t0 = time.perf_counter()
    n_chunks = steps // eval_every
    saver = None
    if checkpoint is not None and checkpoints_enabled():
        saver = _Checkpoint(checkpoint, steps=steps, eval_every=eval_every, seeds=seeds, hparams=hp_np,
                            n_runs=len(run_seeds), data=data)
    resumed = saver.load(jax.eval_shape(start_all, keys, hp_dev, data)) if saver is not None else None
    if resumed is None:
        state, first = start_all(keys, hp_dev, data)
        records = [jax.device_get(first)]
    else:
        state, records = resumed
        if n_dev > 1:
            state = jax.device_put(state, sharding)
        print(f"{desc}: resuming from step {(len(records) - 1) * eval_every} of {steps} ({saver.path.name})", file=sys.stderr)
    bar = None
    if runtime.progress_enabled(progress):
        from tqdm import tqdm

        bar = tqdm(total=steps, initial=(len(records) - 1) * eval_every, desc=desc, unit="step", file=sys.stderr,
                   mininterval=0.5, leave=False)
    try:
        for _ in range(len(records) - 1, n_chunks):
            state, metrics = chunk_all(state, hp_dev, data)
            host = jax.device_get(metrics)
            records.append(host)
            if saver is not None and saver.due(done=len(records) - 1 == n_chunks):
                saver.save(state, records)
            if bar is not None:
                bar.update(eval_every)
                bar.set_postfix(train_loss=f"{float(np.mean(host['train_loss'])):.4g}", refresh=False)
    finally:
        if bar is not None:
            bar.close()
    final_params = jax.device_get(state.params)
    wall = time.perf_counter() - t0

    def unflatten(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)[:n_runs]
        return x.reshape((n_seeds, n_settings) + x.shape[1:])

    metrics = {
        name: np.stack([unflatten(r[name]) for r in records], axis=2) for name in records[0]
    }
    for name, arr in metrics.items():
        if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
            bad = int(np.sum(~np.isfinite(arr)))
            print(f"warning: metric {name!r} has {bad} non-finite value(s) (diverged run?)", file=sys.stderr)
    return History(
        steps=np.arange(n_chunks + 1) * eval_every,
        metrics=metrics,
        params=jax.tree_util.tree_map(unflatten, final_params),
        seeds=seeds,
        hparams=hp_np,
        wall_time=wall,
    )
