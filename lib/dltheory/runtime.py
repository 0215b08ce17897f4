"""Run-time settings shared by every page: mode, seeds, device report and timing.

Introduced in *How to read this book* (``book/how-to-read``). Two environment variables steer
every experiment of the book:

``DLTHEORY_MODE``
    ``fast`` (the default) runs each page on a 2-core CPU in minutes; ``full`` runs the paper-scale
    configuration of the same code, meant for a GPU.
``DLTHEORY_SEED``
    The base seed of every experiment (default 0). The book's claims must hold for other seeds too.
``DLTHEORY_MATMUL_PRECISION``
    The precision of float32 matrix products on every device (default ``highest``; see
    :func:`matmul_precision`).

Nothing here keeps global state: each function reads the environment when it is called. Two settings
are applied once, when this module is first imported. JAX's persistent compilation cache
(:func:`enable_compilation_cache`): a program compiled once, by any page or test, is read back from
disk the next time instead of compiled again (``DLTHEORY_COMPILATION_CACHE=0`` turns it off). And the
book-wide matrix-product precision (:func:`apply_matmul_precision`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import numpy as np

from dltheory import validate

MODES = ("fast", "full")
DEFAULT_SEED = 0

__all__ = [
    "MODES",
    "DEFAULT_SEED",
    "mode",
    "base_seed",
    "key",
    "seeds",
    "banner",
    "device_summary",
    "block",
    "timeit",
    "Timing",
    "ModeConfig",
    "Cost",
    "keep_arrays",
    "show_source",
    "enable_compilation_cache",
    "MATMUL_PRECISIONS",
    "matmul_precision",
    "apply_matmul_precision",
]

MATMUL_PRECISIONS = ("highest", "high", "default")


def enable_compilation_cache() -> str | None:
    """Turn on JAX's persistent compilation cache in ``$DLTHEORY_CACHE/jax`` (default ``~/.cache/dltheory/jax``).

    Every call of :func:`dltheory.train.train` builds fresh closures, so JAX's in-memory cache never hits
    and each call compiles again (2 s for a small MLP, 12–15 s for the grokking transformer on a CPU).
    The persistent cache is keyed by the compiled program itself, so the second compilation of the same
    program, in this process or another, is a read from disk (see *Performance*). Programs that compile in
    under half a second are not stored. Does nothing if ``DLTHEORY_COMPILATION_CACHE=0`` or if a cache
    folder was already chosen (``JAX_COMPILATION_CACHE_DIR`` or ``jax.config``). Returns the folder in use.
    """
    if os.environ.get("DLTHEORY_COMPILATION_CACHE", "1").strip().lower() in ("0", "false", "off", "no"):
        return None
    chosen = jax.config.jax_compilation_cache_dir
    if chosen:
        return str(chosen)
    root = os.environ.get("DLTHEORY_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "dltheory")
    folder = os.path.join(root, "jax")
    jax.config.update("jax_compilation_cache_dir", folder)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
    return folder


def matmul_precision(value: str | None = None) -> str:
    """The precision of float32 matrix products in every run of the book: ``DLTHEORY_MATMUL_PRECISION``.

    ``highest`` (the default) multiplies float32 matrices in float32 on every device, so that a claim
    means the same arithmetic on a laptop CPU and on a GPU. JAX's own default (``default`` here) lets an
    NVIDIA GPU since Ampere multiply float32 operands rounded to TensorFloat-32's 10-bit mantissas; on an
    H200 that moved one claim of Chapter 5 off its bar (``ib-on-curve-full``, §5.3). ``high`` (three
    bfloat16 products) and ``default`` are there for speed studies, and every GPU run records the setting
    it used. A CPU multiplies float32 in full precision whatever the setting. With ``value`` given, it is
    validated and returned instead of the environment's value; anything else raises ``ValueError``.
    """
    return _choice("DLTHEORY_MATMUL_PRECISION", "highest", MATMUL_PRECISIONS, value, "precision")


def apply_matmul_precision(value: str | None = None) -> str:
    """Set JAX's default matrix-product precision to :func:`matmul_precision` and return it.

    Called once when this module is imported; a program compiled afterwards multiplies at that precision
    unless its code names another (``precision=`` of ``jnp.matmul``).
    """
    chosen = matmul_precision(value)
    jax.config.update("jax_default_matmul_precision", chosen)
    return chosen


def mode(value: str | None = None) -> str:
    """Return the execution mode, ``"fast"`` or ``"full"``.

    With ``value=None`` the mode comes from ``DLTHEORY_MODE`` (default ``"fast"``); an explicit
    ``value`` is validated and returned. Anything else raises ``ValueError``.
    """
    return _choice("DLTHEORY_MODE", "fast", MODES, value, "mode")


def _choice(variable: str, default: str, options: tuple[str, ...], value: str | None, name: str) -> str:
    """``value`` (named ``name``), or else the environment's ``variable`` (default ``default``), cleaned and
    checked to be one of ``options``; anything else raises ``ValueError`` naming where it came from."""
    raw = os.environ.get(variable, default) if value is None else value
    cleaned = str(raw).strip().lower()
    if cleaned not in options:
        raise ValueError(f"{variable if value is None else name} must be one of {options}, got {raw!r}")
    return cleaned


def base_seed() -> int:
    """Return the base seed: ``DLTHEORY_SEED`` if set, else 0. Must be a non-negative integer."""
    raw = os.environ.get("DLTHEORY_SEED")
    if raw is None or raw.strip() == "":
        return DEFAULT_SEED
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"DLTHEORY_SEED must be a non-negative integer, got {raw!r}") from None
    if value < 0 or value >= 2**31:
        raise ValueError(f"DLTHEORY_SEED must be in [0, 2**31), got {value}")
    return value


def key(offset: int = 0) -> jax.Array:
    """A JAX PRNG key for seed ``base_seed() + offset``.

    Each experiment of a page uses its own ``offset`` so that experiments stay independent while
    ``DLTHEORY_SEED`` still moves all of them.
    """
    if not isinstance(offset, (int, np.integer)) or isinstance(offset, bool) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    return jax.random.key(base_seed() + int(offset))


def seeds(n: int, offset: int = 0) -> list[int]:
    """``n`` consecutive integer seeds starting at ``base_seed() + offset``."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(offset, (int, np.integer)) or isinstance(offset, bool) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, got {offset!r}")
    start = base_seed() + int(offset)
    return list(range(start, start + int(n)))


def progress_enabled(progress: bool | None = None) -> bool:
    """Whether to draw progress bars: ``progress`` if given, else on unless ``DLTHEORY_PROGRESS=0``."""
    if progress is not None:
        return bool(progress)
    return os.environ.get("DLTHEORY_PROGRESS", "1").strip().lower() not in ("0", "false", "off", "no")


def keep_arrays(name: str, **arrays: Any) -> str | None:
    """Keep the arrays a page plots in the results bundle of a full-mode run (``dltheory.book.fullrun``).

    Writes ``$DLTHEORY_RESULTS_DIR/<name>.npz`` when the runner set that variable (it does for every page) and
    returns the path; elsewhere (a reader's notebook, the book build) does nothing and returns ``None``. The bundle
    keeps at most 2 MB a page: keep the curves of a figure, not the runs behind them.
    """
    if not isinstance(name, str) or not name.replace("-", "_").isidentifier():
        raise ValueError(f"name must be a word of letters, digits, '_' or '-', got {name!r}")
    folder = os.environ.get("DLTHEORY_RESULTS_DIR")
    if not folder:
        return None
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{name}.npz")
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})
    return path


def device_summary() -> str:
    """The devices JAX sees, e.g. ``"cpu x1"`` or ``"gpu x1 (NVIDIA H200) matmul highest"``.

    On an accelerator the summary ends with the float32 matrix-product precision in force (see
    :func:`matmul_precision`), so every provenance line built from it records the arithmetic.
    """
    devices = jax.devices()
    kinds: dict[str, int] = {}
    for d in devices:
        kinds[d.platform] = kinds.get(d.platform, 0) + 1
    parts = [f"{k} x{n}" for k, n in kinds.items()]
    names = sorted({getattr(d, "device_kind", "") for d in devices if d.platform != "cpu"})
    if names:
        parts.append("(" + ", ".join(n for n in names if n) + ")")
    if any(d.platform != "cpu" for d in devices):
        parts.append(f"matmul {jax.config.jax_default_matmul_precision or 'default'}")
    return " ".join(parts)


def banner() -> str:
    """One line naming the versions, devices, mode and seed; printed by the first cell of every page."""
    import optax

    line = (
        f"dltheory {_version()} · py {platform.python_version()} · jax {jax.__version__} "
        f"· optax {optax.__version__} · numpy {np.__version__} · {device_summary()} "
        f"· mode {mode()} · seed {base_seed()}"
    )
    print(line)
    if mode() == "fast" and jax.default_backend() != "cpu":
        print("A GPU is available: set DLTHEORY_MODE=full before importing dltheory for paper scale.")
    return line


def _version() -> str:
    from dltheory import __version__

    return __version__


def show_source(fn: Callable[..., Any]) -> None:
    """Display the source code of a library function in the page (highlighted).

    Pages use it where the code that runs is itself the lesson, e.g. the training loop of an experiment.
    """
    import inspect

    if not callable(fn):
        raise ValueError(f"fn must be a function, got {type(fn).__name__}")
    source = inspect.getsource(fn)
    try:
        from IPython import get_ipython
        from IPython.display import Code, display
    except ImportError:  # pragma: no cover
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(source)
    else:
        display(Code(source, language="python"))


def block(tree: Any) -> Any:
    """Wait until every JAX array in ``tree`` is computed, and return ``tree``."""
    return jax.block_until_ready(tree)


@dataclasses.dataclass(frozen=True)
class Timing:
    """Wall-clock times of repeated calls, in seconds."""

    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> float:
        """Half the range between the fastest and slowest repetition."""
        return (max(self.times) - min(self.times)) / 2

    def __str__(self) -> str:
        return f"{self.median * 1e3:.3g} ms (median of {len(self.times)}, ±{self.spread * 1e3:.2g} ms)"


def timeit(fn: Callable[..., Any], *args: Any, repeats: int = 5, warmup: int = 1, **kwargs: Any) -> Timing:
    """Time ``fn(*args, **kwargs)``, blocking on JAX results so that asynchronous dispatch is counted.

    ``warmup`` calls (compilation) are run first and not timed.
    """
    if not callable(fn):
        raise ValueError(f"fn must be callable, got {type(fn).__name__}")
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    if not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be a non-negative integer, got {warmup!r}")
    for _ in range(warmup):
        block(fn(*args, **kwargs))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        block(fn(*args, **kwargs))
        times.append(time.perf_counter() - t0)
    return Timing(tuple(times))


C = TypeVar("C", bound="ModeConfig")


class ModeConfig:
    """Mixin for the frozen dataclass configs of the book's experiments.

    Each field declares its range with :func:`dltheory.validate.field`; after construction every declared
    check runs, then ``check()``, which a subclass overrides for relations between fields (``steps`` a
    multiple of ``eval_every``, ``k <= n``, ...). Both raise ``ValueError`` naming the field.
    A subclass defines the classmethods ``fast()`` and ``full()``; ``Config.from_env()`` picks one of them
    from ``DLTHEORY_MODE``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "validate" in vars(cls):  # the old hook: it would never run, so a bad config would pass silently
            raise TypeError(f"{cls.__name__}: declare field ranges with validate.field and put relations "
                            "between fields in check(); a validate() method is not called")

    def __post_init__(self) -> None:
        validate.check_fields(self)
        self.check()

    def check(self) -> None:  # overridden by subclasses with relations between fields
        return None

    @classmethod
    def fast(cls: type[C]) -> C:
        raise NotImplementedError(f"{cls.__name__} does not define fast()")

    @classmethod
    def full(cls: type[C]) -> C:
        raise NotImplementedError(f"{cls.__name__} does not define full()")

    @classmethod
    def from_env(cls: type[C], mode_name: str | None = None) -> C:
        """The fast or full configuration, as ``DLTHEORY_MODE`` (or ``mode_name``) says."""
        return cls.full() if mode(mode_name) == "full" else cls.fast()

    def replace(self: C, **changes: Any) -> C:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def cost(self) -> Cost:
        """The estimated :class:`Cost` of what a page runs with this config (FLOPs, memory, steps).

        Each experiment config implements it from its own fields; ``tests/test_budget.py`` holds every
        full configuration to the GPU budget with it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define cost()")

    def paper_scale(self) -> str:
        """What fraction of the paper's configuration this config is (steps, widths, data, seeds) and why, in one
        short sentence; where no paper has a configuration to scale against, what it is instead. Each config a page
        runs implements it beside :meth:`cost`; the page's full-mode section and ``make budget`` show it."""
        raise NotImplementedError(f"{type(self).__name__} does not define paper_scale()")


@dataclasses.dataclass(frozen=True)
class Cost:
    """What one experiment costs, estimated from its config (``ModeConfig.cost()``), not measured.

    ``flops``       arithmetic done in JAX on the device (forward + backward ≈ 3 × forward for training)
    ``host_flops``  arithmetic done in NumPy on the host CPU
    ``bytes``       the largest set of arrays held at once on the device (or the host, for NumPy work)
    ``steps``       sequential steps, each at least one launch of a compiled program (a training step)

    Costs add: FLOPs and steps sum, memory is the larger of the two (the runs follow one another).
    :meth:`seconds` turns a cost into wall seconds with a device's rates (``dltheory.book.budget.device_rates``).
    """

    flops: float = 0.0
    host_flops: float = 0.0
    bytes: float = 0.0
    steps: int = 0

    def __post_init__(self) -> None:
        for name in ("flops", "host_flops", "bytes", "steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value) or value < 0:
                raise ValueError(f"Cost.{name} must be a finite non-negative number, got {value!r}")

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        return Cost(self.flops + other.flops, self.host_flops + other.host_flops, max(self.bytes, other.bytes),
                    self.steps + other.steps)

    def __mul__(self, times: int) -> Cost:
        """The same work done ``times`` times, one after the other (memory unchanged)."""
        if isinstance(times, bool) or not isinstance(times, (int, np.integer)) or times < 0:
            return NotImplemented
        return Cost(self.flops * times, self.host_flops * times, self.bytes, self.steps * int(times))

    __rmul__ = __mul__

    @classmethod
    def training(cls, *, params: float, batch: int, steps: int, runs: int = 1, activations: float = 0.0) -> Cost:
        """``runs`` networks (seeds × grid points, vmapped in one program) of ``params`` parameters, ``steps``
        steps on ``batch`` examples each: ``6·params·batch`` FLOPs a step (forward + backward), float32 memory
        for the parameters, their gradient and two optimiser moments, and ``activations`` numbers per example."""
        if min(params, batch, steps, runs, activations) < 0:
            raise ValueError("Cost.training needs non-negative params, batch, steps, runs and activations")
        return cls(flops=6.0 * params * batch * steps * runs, bytes=4.0 * runs * (4 * params + batch * activations),
                   steps=int(steps))

    def seconds(self, rates: Any) -> float:
        """Estimated wall seconds, page start excluded, on a device of ``rates`` (``device_flops``, ``host_flops``,
        ``step_seconds``: ``dltheory.book.budget.DeviceRates``)."""
        return self.flops / rates.device_flops + self.host_flops / rates.host_flops + self.steps * rates.step_seconds


enable_compilation_cache()
apply_matmul_precision()
