"""Section 3.2, the Fourier circuit (page ``chapters/03-grokking/02-fourier-circuit``).

Nanda et al. (2023): after grokking the embedding of ``Z_p`` lives on a few Fourier frequencies
(:func:`fourier_basis`, :func:`fourier_power`, :func:`top_share`, :func:`key_frequencies`), and the
progress measures (:func:`progress_measures`, :func:`progress_curve`: restricted and excluded loss) track
the circuit's growth long before the test accuracy moves; :func:`compressed_accuracy` keeps only the key
frequencies of the embedding (compression without degradation). Also the chapter's explorer (:func:`explorer_data`,
:func:`load_explorer_data`, :func:`draw_training`, :func:`save_explorer_data`) and the exercise checks on
the spectrum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from dltheory import runtime, selfcheck, validate
from dltheory.grokking.data import modular_addition, train_mask
from dltheory.grokking.models import GrokConfig, apply_model
from dltheory.grokking.training import GrokResult, first_step, run

__all__ = [
    "fourier_basis",
    "fourier_power",
    "top_share",
    "key_frequencies",
    "progress_measures",
    "progress_curve",
    "final_top_share",
    "restricted_lead",
    "compressed_accuracy",
    "STEPS_FACTOR",
    "page_runs",
    "check_spectrum",
    "check_one_frequency",
    "explorer_data",
    "load_explorer_data",
    "save_explorer_data",
    "draw_training",
]


# --------------------------------------------------------------------------- the Fourier picture


def fourier_basis(p: int) -> np.ndarray:
    """The real orthonormal Fourier basis of functions on Z_p, shape ``(p, p)`` (rows are basis vectors).

    Section 3.2 (Nanda et al. 2023). Row 0 is the constant ``1/√p``; rows ``2k-1`` and ``2k`` are
    ``√(2/p) cos(w_k x)`` and ``√(2/p) sin(w_k x)`` with ``w_k = 2πk/p``, ``k = 1..(p-1)/2``.
    """
    p = validate.prime("p", p, low=3, high=1009)
    x = np.arange(p)
    rows = [np.full(p, 1 / np.sqrt(p))]
    for k in range(1, (p - 1) // 2 + 1):
        w = 2 * np.pi * k / p
        rows += [np.sqrt(2 / p) * np.cos(w * x), np.sqrt(2 / p) * np.sin(w * x)]
    return np.stack(rows)


def fourier_power(embed: Any, p: int) -> np.ndarray:
    """Power of an embedding matrix in each frequency ``k = 0..(p-1)/2``, shape ``(..., (p+1)/2)``.

    Section 3.2. ``embed`` has shape ``(..., p', d)`` with ``p' ≥ p`` rows, of which the first ``p`` (the
    residues; a transformer has an extra "=" row) are transformed along the residue axis; the power of
    frequency ``k`` is the summed square of its cosine and sine coefficients over the ``d`` columns.
    """
    p = validate.prime("p", p, low=3, high=1009)
    e = validate.array("embed", embed, ndim=None)
    if e.ndim < 2 or e.shape[-2] < p:
        raise ValueError(f"embed must have shape (..., >= {p}, d), got {e.shape}")
    coef = np.einsum("kx,...xd->...kd", fourier_basis(p), e[..., :p, :])
    sq = np.sum(coef**2, axis=-1)
    return np.concatenate([sq[..., :1], sq[..., 1::2] + sq[..., 2::2]], axis=-1)


def top_share(power: Any, k: int = 5) -> np.ndarray:
    """Share of the non-constant power held by the ``k`` strongest frequencies (Section 3.2).

    ``power`` comes from :func:`fourier_power`; frequency 0 is left out. A random embedding gives about
    ``k / ((p-1)/2)``; a Fourier-sparse one gives nearly 1.
    """
    power = validate.array("power", power, nonnegative=True)
    if power.shape[-1] < 2:
        raise ValueError("power must hold at least one non-constant frequency")
    k = validate.integer("k", k, low=1, high=power.shape[-1] - 1)
    rest = np.sort(power[..., 1:], axis=-1)[..., ::-1]
    total = rest.sum(-1)
    if np.any(total == 0):
        raise ValueError("power must not be zero at every non-constant frequency (the share is undefined)")
    return rest[..., :k].sum(-1) / total


def key_frequencies(power: Any, k: int = 5) -> np.ndarray:
    """The ``k`` strongest non-constant frequencies of a 1-D power spectrum, strongest first (Section 3.2)."""
    power = validate.array("power", power, ndim=1, nonnegative=True)
    k = validate.integer("k", k, low=1, high=power.size - 1)
    return 1 + np.argsort(power[1:])[::-1][:k]


def _sum_directions(p: int, freqs: np.ndarray) -> np.ndarray:
    """Orthonormal vectors ``cos(w_k(a+b))``, ``sin(w_k(a+b))`` over the ``p²`` pairs, shape ``(2|K|, p²)``."""
    a, b = np.divmod(np.arange(p * p), p)
    rows = []
    for k in freqs:
        w = 2 * np.pi * k / p
        rows += [np.cos(w * (a + b)), np.sin(w * (a + b))]
    return np.stack(rows) * np.sqrt(2.0 / (p * p))


def progress_measures(
    cfg: GrokConfig, params: Any, freqs: Sequence[int], train_mask: Any
) -> dict[str, float]:
    """Nanda et al.'s progress measures for one set of parameters (Section 3.2).

    The logits ``L[(a, b), c]`` over all pairs are split, for each output ``c``, into their component in
    the directions ``cos(w_k(a+b))``, ``sin(w_k(a+b))`` of the key frequencies ``freqs`` and the rest.

    * ``restricted_loss``: cross-entropy on the **test** pairs of the logits restricted to the key
      directions plus their mean over pairs: what the Fourier circuit alone achieves off the training set.
    * ``excluded_loss``: cross-entropy on the **training** pairs of the logits with the key directions
      removed: what is left of memorisation.
    * ``explained``: share of the variance of the logits (centred over pairs) in the key directions.
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    freqs = validate.array("freqs", freqs, ndim=1, dtype=int)
    if np.any(freqs < 1) or np.any(freqs > (cfg.p - 1) // 2):
        raise ValueError(f"freqs must lie in [1, {(cfg.p - 1) // 2}], got {freqs}")
    mask = validate.array("train_mask", train_mask, shape=(cfg.n_pairs,), dtype=bool)
    table = modular_addition(cfg.p)
    logits = apply_model(cfg, params, jnp.asarray(table["a"]), jnp.asarray(table["b"]))
    return _measures(np.asarray(logits, dtype=np.float64), table["c"], _sum_directions(cfg.p, np.unique(freqs)), mask)


def _measures(logits: np.ndarray, labels: np.ndarray, directions: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    """The progress measures of :func:`progress_measures`, from the logits of all pairs."""
    mean = logits.mean(axis=0, keepdims=True)
    centred = logits - mean
    key = directions.T @ (directions @ centred)

    def ce(lg: np.ndarray, rows: np.ndarray) -> float:
        lg = lg[rows]
        top = lg.max(1, keepdims=True)
        lse = np.log(np.exp(lg - top).sum(1)) + top[:, 0]
        return float(np.mean(lse - lg[np.arange(len(lg)), labels[rows]]))

    return {
        "restricted_loss": ce(mean + key, ~mask),
        "excluded_loss": ce(logits - key, mask),
        "explained": float(np.sum(key**2) / np.sum(centred**2)),
    }


def _snapshot_run(result: GrokResult, seed: int, setting: int) -> tuple[int, int]:
    """Check that ``result`` kept snapshots and that ``(seed, setting)`` names one of its runs."""
    if not isinstance(result, GrokResult) or result.snapshots is None:
        raise ValueError("result must be a GrokResult made with snapshots=True")
    n_seeds, n_settings = result.snapshots.shape[:2]
    seed = validate.integer("seed", seed, low=0, high=n_seeds - 1)
    setting = validate.integer("setting", setting, low=0, high=n_settings - 1)
    return seed, setting


def progress_curve(
    result: GrokResult, seed: int = 0, setting: int = 0, k: int = 5, *, weakest: bool = False
) -> dict[str, np.ndarray]:
    """Nanda et al.'s progress measures at every snapshot of one run (Section 3.2).

    The key frequencies are the ``k`` strongest frequencies of the run's *final* embedding, as in Nanda
    et al., who read them off the trained model; with ``weakest=True`` they are its ``k`` weakest
    non-constant frequencies instead (the null: the same measures on frequencies the circuit does not
    use). Returns ``freqs`` and, per evaluation, ``top_share`` (of the embedding), ``restricted_loss``,
    ``excluded_loss`` and ``explained`` (see :func:`progress_measures`). Needs a result run with
    ``snapshots=True``.
    """
    seed, setting = _snapshot_run(result, seed, setting)
    cfg = result.config
    frac = float(result.hparams["train_frac"][setting]) if "train_frac" in result.hparams else cfg.train_frac
    mask = train_mask(cfg, frac)
    final = result.final(seed, setting)
    power = fourier_power(_embedding(cfg, final), cfg.p)
    k = validate.integer("k", k, low=1, high=power.size - 1)
    freqs = key_frequencies(power, k) if not weakest else key_frequencies(power, power.size - 1)[::-1][:k]
    table = modular_addition(cfg.p)
    a, b = jnp.asarray(table["a"]), jnp.asarray(table["b"])
    _, unravel = ravel_pytree(final)
    logits_of = jax.jit(lambda flat: apply_model(cfg, unravel(flat), a, b))  # compiled once, reused per snapshot
    directions = _sum_directions(cfg.p, np.unique(freqs))
    rows = []
    for flat in result.snapshots[seed, setting]:
        m = _measures(np.asarray(logits_of(flat), dtype=np.float64), table["c"], directions, mask)
        m["top_share"] = float(top_share(fourier_power(_embedding(cfg, unravel(jnp.asarray(flat))), cfg.p), k))
        rows.append(m)
    return {"freqs": freqs} | {name: np.array([r[name] for r in rows]) for name in rows[0]}


def restricted_lead(result: GrokResult, curves: Sequence[Mapping[str, Any]], setting: int = 0) -> np.ndarray:
    """Steps by which the restricted loss falls below ``ln(p)/2`` before the test loss does, per seed (Section 3.2).

    ``curves`` holds one :func:`progress_curve` per seed of run ``setting``. A loss that never falls below
    ``ln(p)/2`` within the budget counts as falling one evaluation after it, so a restricted loss that never
    gets there gives a negative lead, and every value is finite.
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    if len(curves) != len(result.seeds):
        raise ValueError(f"curves must hold one progress curve per seed ({len(result.seeds)}), got {len(curves)}")
    setting = validate.integer("setting", setting, low=0, high=result.train_acc.shape[1] - 1)
    half = 0.5 * np.log(result.config.p)
    after = result.steps[-1] + (result.steps[-1] - result.steps[-2])

    def crossing(curve: Any) -> np.ndarray:
        t = np.asarray(first_step(result.steps, -np.asarray(curve), -half), dtype=float)
        return np.where(np.isfinite(t), t, after)

    restricted = crossing(np.stack([c["restricted_loss"] for c in curves]))
    return crossing(result.test_loss[:, setting]) - restricted


def final_top_share(result: GrokResult, setting: int = 0, k: int = 5) -> np.ndarray:
    """Top-``k`` share (:func:`top_share`) of every seed's final embedding in run ``setting``, shape ``(n_seeds,)``.

    Section 3.2. Works on results without snapshots, such as the saved full-mode transformers
    (:func:`dltheory.grokking.training.load_result`).
    """
    if not isinstance(result, GrokResult):
        raise ValueError(f"result must be a GrokResult, got {type(result).__name__}")
    setting = validate.integer("setting", setting, low=0, high=result.train_acc.shape[1] - 1)
    cfg = result.config
    return np.array([float(top_share(fourier_power(_embedding(cfg, result.final(s, setting)), cfg.p), k))
                     for s in range(len(result.seeds))])


#: page 3.2 trains the chapter's transformer this many times its steps, to see the circuit well after the transition
STEPS_FACTOR = 1.5


def page_runs(config: Callable[[type], Any]) -> runtime.Cost:
    """What page 3.2 runs, for :func:`dltheory.book.budget.page_cost`: the chapter's ``GrokConfig`` (``config``
    gives the one the budget counts) trained :data:`STEPS_FACTOR` times as long, weight decay and control."""
    cfg = config(GrokConfig)
    return cfg.replace(steps=int(STEPS_FACTOR * cfg.steps)).cost()


def compressed_accuracy(
    cfg: GrokConfig, params: Mapping[str, Any], mask: Any, k: int = 5
) -> dict[str, Any]:
    """Train and test accuracy after projecting the embedding onto its ``k`` strongest frequencies (Section 3.2).

    For the MLP and the transformer (the models with one embedding). The rows of the residues' embedding are replaced by their component
    on the constant and the cosine and sine of the ``k`` key frequencies of :func:`key_frequencies`:
    ``2k + 1`` of the ``p`` dimensions of functions on ``Z_p`` (the transformer's "=" row is kept). The
    rest of the network is unchanged. ``mask`` marks the training pairs (:func:`dltheory.grokking.data.train_mask`).
    Returns ``freqs``, ``train_acc`` and ``test_acc``.
    """
    if not isinstance(cfg, GrokConfig):
        raise ValueError(f"cfg must be a GrokConfig, got {type(cfg).__name__}")
    mask = validate.array("mask", mask, shape=(cfg.n_pairs,), dtype=bool)
    if mask.all() or not mask.any():
        raise ValueError("mask must mark some pairs, but not all, as training pairs")
    if cfg.model == "quadratic":
        raise ValueError("compressed_accuracy needs a model with one embedding (mlp or transformer), got 'quadratic'")
    name = "embed"
    if not isinstance(params, Mapping) or name not in params:
        raise ValueError(f"params must be the parameters of a {cfg.model!r} model, with the key {name!r}")
    embed = np.asarray(params[name], dtype=np.float64)
    p = cfg.p
    freqs = key_frequencies(fourier_power(embed, p), k)
    basis = fourier_basis(p)
    keep = basis[np.concatenate([[0], 2 * freqs - 1, 2 * freqs])]           # (2k + 1, p), orthonormal rows
    projected = embed.copy()
    projected[:p] = keep.T @ (keep @ embed[:p])
    table = modular_addition(p)
    logits = apply_model(cfg, dict(params) | {name: jnp.asarray(projected, dtype=jnp.float32)},
                         jnp.asarray(table["a"]), jnp.asarray(table["b"]))
    right = np.asarray(logits).argmax(1) == table["c"]
    return {"freqs": freqs, "train_acc": float(right[mask].mean()), "test_acc": float(right[~mask].mean())}


def _embedding(cfg: GrokConfig, params: Mapping[str, Any]) -> np.ndarray:
    """The matrix whose rows represent the residues: the embedding (MLP, transformer) or ``U`` (quadratic)."""
    return np.asarray(params["U"] if cfg.model == "quadratic" else params["embed"])


# --------------------------------------------------------------------------- exercise checks


def check_spectrum(fn: Any) -> None:
    """Exercise check (exercises/03-grokking): ``fn(E, p)`` must return :func:`fourier_power` of ``E``."""
    rng = np.random.default_rng(0)
    cases = [(rng.normal(size=(p, d)), p) for p, d in ((5, 1), (11, 3), (23, 8))]
    x = np.arange(13)
    cases.append((np.stack([np.cos(2 * np.pi * 4 * x / 13), np.sin(2 * np.pi * 2 * x / 13)], 1), 13))
    selfcheck.function("spectrum", fn, fourier_power, cases, rtol=1e-6, atol=1e-9,
                       hint="project each column on the basis of fourier_basis(p), square, and add the cosine and "
                            "sine coefficient of each frequency (frequency 0 has only the constant).")


def check_one_frequency(answer: Any) -> bool:
    """Exercise check: is a single key frequency enough for the Fourier logits to add correctly?"""
    return selfcheck.boolean(
        "one_frequency_enough", answer, True,
        why="for prime p and any k in 1..p-1, cos(2πk(a+b-c)/p) = 1 only when p divides k(a+b-c), i.e. c ≡ a+b; "
            "every wrong c scores strictly less, so one frequency already puts the maximum in the right place. "
            "Several frequencies make the margin larger, which matters once the logits are noisy.",
    )


# --------------------------------------------------------------------------- the explorer


EXPLORER_FILE = "03-grokking-explorer.npz"


def explorer_data(result: GrokResult, seed: int = 0, setting: int = 0) -> dict[str, np.ndarray]:
    """What the chapter's explorer shows, from one run with snapshots (Sections 3.1–3.2).

    Per evaluation: ``steps``, ``train_acc``, ``test_acc``, ``weight_norm`` and ``spectrum``, the share of
    the embedding's non-constant power in each frequency, shape ``(n_evals, (p-1)/2)``.
    """
    seed, setting = _snapshot_run(result, seed, setting)
    cfg = result.config
    embeds = np.stack([_embedding(cfg, result.params_at(seed, setting, i)) for i in range(result.steps.size)])
    power = fourier_power(embeds, cfg.p)[:, 1:]
    return {
        "steps": result.steps,
        "train_acc": result.train_acc[seed, setting],
        "test_acc": result.test_acc[seed, setting],
        "weight_norm": result.weight_norm[seed, setting],
        "spectrum": power / power.sum(axis=1, keepdims=True),
    }


def load_explorer_data() -> dict[str, Any]:
    """The saved run behind the explorer (``dltheory/data/03-grokking-explorer.npz``), with its provenance."""
    from importlib import resources

    with resources.as_file(resources.files("dltheory") / "data" / EXPLORER_FILE) as path:
        with np.load(path, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    data["provenance"] = str(data["provenance"])
    return data


def draw_training(ax: Any, data: Mapping[str, Any], step: float) -> None:
    """Draw the explorer's picture at ``step``: accuracies and weight norm over training, and, inset, the
    embedding's Fourier spectrum at that step (Sections 3.1–3.2)."""
    steps = np.asarray(data["steps"])
    step = validate.real("step", step, low=float(steps[0]), high=float(steps[-1]))
    i = int(np.argmin(np.abs(steps - step)))
    ax.plot(steps, data["train_acc"], label="train accuracy")
    ax.plot(steps, data["test_acc"], label="test accuracy")
    norm = np.asarray(data["weight_norm"])
    ax.plot(steps, norm / norm.max(), ls="--", label="weight norm / max")
    ax.axvline(steps[i], color="0.3", lw=1)
    ax.set(xlabel="step", ylabel="accuracy, relative norm", ylim=(-0.02, 1.05))
    ax.legend(loc="lower right", fontsize=7)
    inset = ax.inset_axes([0.45, 0.35, 0.5, 0.3])
    spectrum = np.asarray(data["spectrum"])[i]
    inset.bar(np.arange(1, spectrum.size + 1), spectrum, width=0.8, color="0.35")
    inset.set_ylim(0, max(0.3, float(np.asarray(data["spectrum"]).max())))
    inset.set_title(f"embedding spectrum at step {steps[i]:.0f}", fontsize=7)
    inset.tick_params(labelsize=6)
    inset.set_xlabel("frequency", fontsize=6)


def save_explorer_data(path: str, seed: int = 0) -> dict[str, Any]:
    """Rerun the explorer's saved run (fast configuration, one seed, snapshots) and write it to ``path``.

    This is how ``dltheory/data/03-grokking-explorer.npz`` was made; the file records its provenance.
    """
    import datetime

    seed = validate.integer("seed", seed, low=0)
    cfg = GrokConfig.fast()
    data = explorer_data(run(cfg, [seed], snapshots=True, desc="explorer run"))
    stamp = datetime.date.today().isoformat()
    data["provenance"] = np.array(f"{cfg.describe()}; seed {seed}; {stamp}; {runtime.device_summary()}")
    np.savez_compressed(path, **data)
    return data
