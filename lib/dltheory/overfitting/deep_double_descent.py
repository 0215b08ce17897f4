"""Chapter 2 · § 6, ``chapters/02-benign-overfitting/06-deep-double-descent.md``: double descent of a network.

Width-wise double descent of a two-layer ReLU network on digits with label noise (Nakkiran et al. 2020):
:func:`deep_experiment` trains every width and noise level through :func:`dltheory.train.train`; the curve
helpers :func:`peak_index`, :func:`interpolation_width` and :func:`largest_rise` read the result; the saved
full-mode run ships with the library (``dltheory/data/02-benign-overfitting-deep-full.json``,
:func:`load_deep_result`), and so does a fast-mode sweep over seeds 0–6 (``DEEP_FAST_SEEDS``,
:func:`load_deep_seeds`), on which the registered non-reproduction ``deep-noise-amplifies`` is judged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from dltheory import runtime, validate
from dltheory.overfitting import common

__all__ = [
    "relative_bump",
    "DeepConfig",
    "DeepResult",
    "deep_experiment",
    "peak_index",
    "interpolation_width",
    "largest_rise",
    "DEEP_SAVED",
    "DEEP_FAST_SEEDS",
    "save_deep_result",
    "load_deep_result",
    "load_deep_seeds",
]


@dataclasses.dataclass(frozen=True)
class DeepConfig(runtime.ModeConfig):
    """Width-wise double descent of a two-layer ReLU network on digits (section ``06-deep-double-descent``).

    The defaults are the fast mode.
    """

    n_train: int = validate.field(120, validate.integer, low=10, high=1000)
    widths: tuple[int, ...] = validate.field((2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128), validate.increasing_integers)
    noises: tuple[float, ...] = validate.field((0.0, 0.2), validate.array, ndim=1, low=0.0, high=1.0)
    steps: int = validate.field(2000, validate.integer, low=1)
    learning_rate: float = validate.field(3e-3, validate.real, low=0.0, low_open=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)
    eval_every: int = validate.field(500, validate.integer, low=1)

    @classmethod
    def fast(cls) -> DeepConfig:
        return cls()

    @classmethod
    def full(cls) -> DeepConfig:
        widths = (2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256)
        return cls(n_train=300, widths=widths, noises=(0.0, 0.2), steps=3000, learning_rate=3e-3, n_seeds=3)

    def check(self) -> None:
        validate.schedule(self.steps, self.eval_every)

    def cost(self) -> runtime.Cost:
        """Every width, noise level and seed trained full batch in one program: two-layer ReLU nets on the
        64-pixel digits, ``75·w`` parameters at width ``w``."""
        params = 75.0 * sum(self.widths)
        return runtime.Cost.training(params=params, batch=self.n_train, steps=self.steps,
                                     runs=len(self.noises) * self.n_seeds, activations=float(sum(self.widths)))

    def paper_scale(self) -> str:
        """Against Nakkiran et al.'s ResNet18s on CIFAR-10."""
        return (f"Nakkiran et al. train ResNet18s of widths 1–64 on CIFAR-10 for 4,000 epochs (GPU-days); here "
                f"two-layer ReLU nets of widths {self.widths[0]}–{self.widths[-1]} on {self.n_train} digits, "
                f"{self.steps:,} full-batch steps, {len(self.noises)} noise levels, {self.n_seeds} seeds: the same "
                "width-wise peak at the interpolation threshold, at a size one GPU minute allows")


@dataclasses.dataclass(frozen=True)
class DeepResult:
    widths: np.ndarray
    n_params: np.ndarray  # (n_widths,)
    test_error: np.ndarray  # (n_seeds, n_noises, n_widths)
    train_error: np.ndarray
    test_mse: np.ndarray
    seeds: tuple[int, ...]
    wall_time: float
    config: DeepConfig
    eval_steps: np.ndarray | None = None  # (n_evals,): the steps at which the curves below were logged
    mse_curve: np.ndarray | None = None  # (n_seeds, n_noises, n_widths, n_evals): test MSE along training


def deep_experiment(cfg: DeepConfig, seeds: Sequence[int]) -> DeepResult:
    """Train two-layer ReLU networks of every width and noise level at once (section ``06-deep-double-descent``).

    Nakkiran et al. (2020) in miniature: digits, uniform label noise, squared loss on one-hot targets,
    full-batch Adam. All widths share one compiled program: each run is a network of the largest width
    whose hidden units beyond its own width are masked to zero, with the readout scaled by ``1/√width``.
    Widths and noise levels are hyper-parameters of :func:`dltheory.train.train`; each seed draws its
    own split, noisy labels and initialisation.
    """
    import jax
    import jax.numpy as jnp
    import optax

    from dltheory import train

    if not isinstance(cfg, DeepConfig):
        raise ValueError(f"cfg must be a DeepConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds))
    x, y = common.digits()
    h_max, d = max(cfg.widths), x.shape[1]
    hp = train.grid(noise=list(cfg.noises), width=list(cfg.widths))

    def init(key: jax.Array, h: Any) -> dict[str, jax.Array]:
        k1, k2 = jax.random.split(key)
        return {
            "w1": jax.random.normal(k1, (d, h_max)) * jnp.sqrt(2.0 / d),
            "b1": jnp.zeros(h_max),
            "w2": jax.random.normal(k2, (h_max, 10)),
            "b2": jnp.zeros(10),
        }

    def apply(params: dict[str, jax.Array], inputs: jax.Array, h: Any) -> jax.Array:
        mask = (jnp.arange(h_max) < h["width"]).astype(inputs.dtype)
        hidden = jax.nn.relu(inputs @ params["w1"] + params["b1"]) * mask
        return hidden @ params["w2"] / jnp.sqrt(h["width"]) + params["b2"]

    shape = (len(seeds), len(cfg.noises), len(cfg.widths))
    test_err, train_err, test_mse = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    curve = np.zeros(shape + (cfg.steps // cfg.eval_every + 1,))
    wall = 0.0
    for a, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        tr, te = order[: cfg.n_train], order[1000:]
        flip = rng.random(cfg.n_train)
        shift = rng.integers(1, 10, cfg.n_train)
        data = {
            "x": jnp.asarray(x[tr], jnp.float32),
            "clean": jnp.asarray(y[tr]),
            "alt": jnp.asarray((y[tr] + shift) % 10),
            "u": jnp.asarray(flip, jnp.float32),
        }
        x_test, y_test = jnp.asarray(x[te], jnp.float32), jnp.asarray(y[te])

        def labels(batch: dict[str, jax.Array], h: Any) -> jax.Array:
            return jnp.where(batch["u"] < h["noise"], batch["alt"], batch["clean"])

        def loss(params: Any, batch: dict[str, jax.Array], h: Any) -> jax.Array:
            target = jax.nn.one_hot(labels(batch, h), 10)
            return jnp.mean(jnp.sum((apply(params, batch["x"], h) - target) ** 2, axis=-1))

        def evaluate(params: Any, h: Any, batch: dict[str, jax.Array] = data) -> dict[str, jax.Array]:
            out_test = apply(params, x_test, h)
            return {
                "train_error": jnp.mean(apply(params, batch["x"], h).argmax(-1) != labels(batch, h)),
                "test_error": jnp.mean(out_test.argmax(-1) != y_test),
                "test_mse": jnp.mean(jnp.sum((out_test - jax.nn.one_hot(y_test, 10)) ** 2, axis=-1)),
            }

        hist = train.train(
            init,
            loss,
            optax.adam(cfg.learning_rate),
            steps=cfg.steps,
            eval_every=cfg.eval_every,
            seeds=[seed],
            data=data,
            evaluate=evaluate,
            hparams=hp,
            desc=f"widths × noise, seed {seed}",
            # the seed and the data are part of the key
            checkpoint=("overfitting.deep_double_descent.deep_experiment", cfg),
        )
        wall += hist.wall_time
        shape_run = (len(cfg.noises), len(cfg.widths))
        test_err[a] = hist.final("test_error")[0].reshape(shape_run)
        train_err[a] = hist.final("train_error")[0].reshape(shape_run)
        test_mse[a] = hist.final("test_mse")[0].reshape(shape_run)
        curve[a] = hist["test_mse"][0].reshape(shape_run + (-1,))
    widths = np.array(cfg.widths)
    n_params = widths * (d + 1) + widths * 10 + 10
    return DeepResult(widths, n_params, test_err, train_err, test_mse, tuple(seeds), wall, cfg,
                      np.asarray(hist.steps), curve)


def peak_index(curve: Any) -> np.ndarray:
    """Index of the top of the largest relative rise along the last axis (see :func:`max_relative_increase`).

    Sections ``03-random-features`` and ``06-deep-double-descent``: where the double-descent bump peaks.
    """
    c = validate.array("curve", curve, ndim=(1, 2, 3), positive=True)
    return np.argmax(c / np.minimum.accumulate(c, axis=-1), axis=-1)


def interpolation_width(widths: Any, train_error: Any, *, epsilon: float = 0.1) -> np.ndarray:
    """The smallest width whose training error is at most ``epsilon`` (``inf`` if none), along the last axis.

    Section ``06-deep-double-descent``: Nakkiran et al.'s effective model complexity reaches n there (ε = 0.1).
    """
    w = validate.array("widths", widths, ndim=1, positive=True)
    e = validate.array("train_error", train_error, ndim=(1, 2, 3))
    if e.shape[-1] != w.size:
        raise ValueError(f"train_error must have {w.size} entries along its last axis, got {e.shape[-1]}")
    epsilon = validate.probability("epsilon", epsilon)
    ok = e <= epsilon
    return np.where(ok.any(-1), w[np.argmax(ok, axis=-1)], np.inf)


DEEP_SAVED = "02-benign-overfitting-deep-full.json"
DEEP_FAST_SEEDS = "02-benign-overfitting-deep-fast-seeds.json"
_SAVED_ARRAYS = ("widths", "n_params", "test_error", "train_error", "test_mse")


def save_deep_result(res: DeepResult, path: Any, *, date: str, device: str, mode: str = "full") -> None:
    """Write a :class:`DeepResult` and its provenance as JSON (section ``06-deep-double-descent``)."""
    import json

    if not isinstance(res, DeepResult):
        raise ValueError(f"res must be a DeepResult, got {type(res).__name__}")
    record = {
        "provenance": {
            "config": repr(res.config), "date": str(date), "device": str(device), "mode": runtime.mode(mode)
        },
        "config": dataclasses.asdict(res.config),
        "seeds": list(res.seeds),
        "wall_time_s": res.wall_time,
        **{name: np.asarray(getattr(res, name)).tolist() for name in _SAVED_ARRAYS},
    }
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=1)


def load_deep_result(path: Any = None) -> tuple[DeepResult, dict[str, str]]:
    """The saved full-mode run of :func:`deep_experiment` shipped with the library, and its provenance.

    Section ``06-deep-double-descent``. ``path`` defaults to ``dltheory/data/02-benign-overfitting-deep-full.json``.
    """
    import json
    from importlib import resources

    source = resources.files("dltheory") / "data" / DEEP_SAVED if path is None else path
    with open(str(source), encoding="utf-8") as fh:
        record = json.load(fh)
    cfg = DeepConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in record["config"].items()})
    arrays = {name: np.asarray(record[name]) for name in _SAVED_ARRAYS}
    res = DeepResult(seeds=tuple(record["seeds"]), wall_time=float(record["wall_time_s"]), config=cfg, **arrays)
    return res, record["provenance"]


def load_deep_seeds() -> tuple[DeepResult, dict[str, str]]:
    """The saved fast-mode sweep over seeds 0–6 (``DeepConfig.fast()``) and its provenance.

    Section ``06-deep-double-descent``: the seeds on which ``deep-noise-amplifies`` was first tried (0–2) and
    then failed (3–6). The page judges that registered non-reproduction on this record, which any base seed
    reads the same.
    """
    from importlib import resources

    return load_deep_result(resources.files("dltheory") / "data" / DEEP_FAST_SEEDS)


def largest_rise(curve: Any) -> np.ndarray:
    """The largest increase ``max_{i<j} (c_j − c_i)`` along the last axis: 0 for a non-increasing curve.

    Section ``06-deep-double-descent``: the height of the double-descent bump of a test-error curve.
    """
    c = validate.array("curve", curve, ndim=(1, 2, 3))
    return np.max(c - np.minimum.accumulate(c, axis=-1), axis=-1)


def relative_bump(curve: Any) -> np.ndarray:
    """The height of a curve's bump relative to both of its sides, along the last axis.

    A double-descent curve rises to a peak and then falls. The peak is the
    top of the largest relative rise (the point ``j`` that maximises ``c_j / min_{i≤j} c_i``); the bump is
    ``min(c_j / min_{i≤j} c_i, c_j / min_{k≥j} c_k) − 1``, the smaller of the relative rise before the peak and
    the relative fall after it. A monotone curve, or one that rises to its last point, gives 0.
    """
    c = validate.array("curve", curve, ndim=(1, 2, 3), positive=True)
    before = np.minimum.accumulate(c, axis=-1)
    after = np.flip(np.minimum.accumulate(np.flip(c, axis=-1), axis=-1), axis=-1)
    peak = np.argmax(c / before, axis=-1)[..., None]
    top = np.take_along_axis(c, peak, axis=-1)
    rise = top / np.take_along_axis(before, peak, axis=-1)
    fall = top / np.take_along_axis(after, peak, axis=-1)
    return (np.minimum(rise, fall) - 1.0)[..., 0]
