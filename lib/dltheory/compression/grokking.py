"""Epilogue §1, grokking (page ``chapters/06-compression/01-grokking``): the grokked network compresses, the
memorising one does not.

Nanda et al. (2023) found that the transformer that groks ``a + b mod p`` computes with a few Fourier frequencies
of ``Z_p``; Chapter 3 (§3.2) reproduced the circuit. Here the circuit becomes a compression: the embedding of the
residues is projected onto the constant and the ``k`` strongest frequencies of that very embedding (``2k + 1`` of
the ``p`` dimensions of functions on ``Z_p``; the rest of the network unchanged), at every evaluation of training,
for the network trained with weight decay (it groks) and the same network without (it memorises).
:func:`compression_curves` measures the accuracy kept along training; :func:`kept` and :func:`lag` read the
section's two claims off it; :func:`synthesis_point` is this section's point of the closing figure (§5).

The training is Chapter 3's (:func:`dltheory.grokking.training.run`); the Fourier basis is §3.2's
(:func:`dltheory.grokking.fourier_circuit.fourier_basis`). The curves are cached with :func:`dltheory.sweep.run`,
so the synthesis page reads them instead of training again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from dltheory import runtime, selfcheck, sweep, validate
from dltheory.compression.weights import bits_needed, quantise
from dltheory.grokking import data, training
from dltheory.grokking.fourier_circuit import fourier_basis
from dltheory.grokking.models import GrokConfig, apply_model

__all__ = ["GrokCompressionConfig", "compression_curves", "kept", "lag", "bits_gap", "synthesis_point", "check_ratio",
           "saved_kept", "check_one_frequency_hypothesis"]


@dataclasses.dataclass(frozen=True)
class GrokCompressionConfig(runtime.ModeConfig):
    """§1: which of Chapter 3's grokking runs to compress, and how hard.

    ``model`` picks Chapter 3's configuration (``"mlp"``: its fast MLP at ``p = 47``; ``"transformer"``: Nanda et
    al.'s transformer at ``p = 113``), trained ``length`` times its number of steps (§3.2 trains the MLP 1.5 times
    longer, to see the clean-up). ``k`` frequencies are kept; ``accuracy`` is the level read off the curves.
    """

    model: str = validate.field("mlp", validate.choice, options=("mlp", "transformer"))
    length: float = validate.field(1.5, validate.real, low=0.01, high=10.0)
    k: int = validate.field(5, validate.integer, low=1, high=56)
    accuracy: float = validate.field(0.9, validate.probability, open_low=True)
    bits: tuple[int, ...] = validate.field((1, 2, 3, 4, 5, 6, 7, 8), validate.integers, low=1, high=16,
                                           increasing=True)
    tolerance: float = validate.field(0.02, validate.probability, open_low=True)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        p = self.grok().p
        if 2 * self.k + 1 > p:
            raise ValueError(f"k ({self.k}) keeps 2k + 1 = {2 * self.k + 1} dimensions, more than p = {p}")

    @classmethod
    def fast(cls) -> GrokCompressionConfig:
        return cls()

    @classmethod
    def full(cls) -> GrokCompressionConfig:
        return cls(model="transformer", length=1.0)

    def grok(self) -> GrokConfig:
        """Chapter 3's configuration of the runs compressed here (its steps a multiple of its evaluations)."""
        base = GrokConfig.full() if self.model == "transformer" else GrokConfig.fast()
        steps = max(1, round(self.length * base.steps / base.eval_every)) * base.eval_every
        return base.replace(steps=steps, n_seeds=self.n_seeds)

    def ratio(self) -> float:
        """How many times fewer numbers describe the embedding of a residue: ``p / (2k + 1)``."""
        return self.grok().p / (2 * self.k + 1)

    def cost(self) -> runtime.Cost:
        """Chapter 3's training (weight decay and control, every seed), plus, at every evaluation, two compressed
        copies (strongest and weakest frequencies) of each run evaluated on all ``p²`` pairs."""
        grok = self.grok()
        train_cost = grok.cost()
        evals = grok.steps // grok.eval_every + 1
        forward = train_cost.flops / (3.0 * grok.steps * 2 * grok.n_seeds * grok.n_train) * grok.n_pairs
        return train_cost + runtime.Cost(flops=forward * 2 * evals * 2 * grok.n_seeds, bytes=0.0, steps=evals)

    def paper_scale(self) -> str:
        grok = self.grok()
        return (f"Chapter 3's {grok.model} at p = {grok.p}, {grok.steps:,} steps, {grok.n_seeds} seeds, "
                f"compressed to {2 * self.k + 1} of {grok.p} embedding dimensions; Nanda et al. ablate the "
                "transformer at p = 113 once, after 40,000 steps")


def _compress(cfg: GrokConfig, k: int, unravel: Any, flat: jax.Array, weakest: bool) -> jax.Array:
    """Accuracy on all pairs of one flat parameter vector, its embedding cut to ``2k + 1`` Fourier dimensions."""
    p = cfg.p
    params = unravel(flat)
    embed = params["embed"]
    basis = jnp.asarray(fourier_basis(p), dtype=embed.dtype)
    coef = basis @ embed[:p]                                               # (p, d): row 0 constant, then cos/sin
    power = jnp.sum(coef[1::2] ** 2 + coef[2::2] ** 2, axis=1)              # frequencies 1..(p-1)/2
    order = jnp.argsort(power)
    freqs = 1 + (order[:k] if weakest else order[::-1][:k])
    rows = jnp.concatenate([jnp.zeros(1, int), 2 * freqs - 1, 2 * freqs])
    keep = basis[rows]
    embed = embed.at[:p].set(keep.T @ (keep @ embed[:p]))
    table = data.modular_addition(p)
    logits = apply_model(cfg, params | {"embed": embed}, jnp.asarray(table["a"]), jnp.asarray(table["b"]))
    return jnp.argmax(logits, axis=1) == jnp.asarray(table["c"])


def _curves(job: dict[str, Any]) -> dict[str, np.ndarray]:
    """The work of :func:`compression_curves` for one ``{"config", "seeds"}``: train, then compress every snapshot."""
    cfg: GrokCompressionConfig = job["config"]
    grok = cfg.grok()
    result = training.run(grok, job["seeds"], hparams={"weight_decay": [grok.weight_decay, 0.0]}, snapshots=True,
                          desc="grokking, with and without weight decay")
    _, unravel = ravel_pytree(result.final(0, 0))
    mask = jnp.asarray(data.train_mask(grok))
    out: dict[str, list[Any]] = {"kept_train": [], "kept_test": [], "weak_test": []}
    for weakest in (False, True):
        right = jax.jit(jax.vmap(lambda f, w=weakest: _compress(grok, cfg.k, unravel, f, w)))
        for s in range(len(job["seeds"])):
            rows = np.stack([np.asarray(right(jnp.asarray(result.snapshots[s, j]))) for j in (0, 1)])
            if weakest:
                out["weak_test"].append(rows[:, :, ~np.asarray(mask)].mean(-1))
            else:
                out["kept_train"].append(rows[:, :, np.asarray(mask)].mean(-1))
                out["kept_test"].append(rows[:, :, ~np.asarray(mask)].mean(-1))
    table = data.modular_addition(grok.p)
    a, b = jnp.asarray(table["a"]), jnp.asarray(table["b"])
    levels = jnp.asarray(list(cfg.bits) + [0])                               # 0: the float32 network

    def rounded(params: Any, bits: jax.Array) -> jax.Array:
        qp = jax.tree_util.tree_map(lambda w: jnp.where(bits > 0, quantise(w, jnp.maximum(bits, 1)), w), params)
        right = jnp.argmax(apply_model(grok, qp, a, b), 1) == jnp.asarray(table["c"])
        return jnp.stack([jnp.sum(right & mask) / jnp.sum(mask), jnp.sum(right & ~mask) / jnp.sum(~mask)])

    over_bits = jax.jit(jax.vmap(rounded, in_axes=(None, 0)))
    quantised = np.array([[np.asarray(over_bits(result.final(s, j), levels)) for j in (0, 1)]
                          for s in range(len(job["seeds"]))])                 # (n_seeds, 2, n_bits + 1, 2)
    return {"steps": result.steps, "train_acc": result.train_acc, "test_acc": result.test_acc,
            "bits_train": quantised[..., 0], "bits_test": quantised[..., 1],
            **{name: np.stack(v) for name, v in out.items()}}


def compression_curves(cfg: GrokCompressionConfig, seeds: Sequence[int], *, cache: bool = True) -> dict[str, Any]:
    """Accuracy of Chapter 3's grokking runs, and of their compressed copies, at every evaluation (§1).

    Trains ``cfg.grok()`` with weight decay (setting 0: it groks) and without (setting 1: it memorises), one run
    per seed, keeping snapshots (:func:`dltheory.grokking.training.run`); at every snapshot the embedding of the
    residues is projected onto the constant and the cosine and sine of its ``k`` strongest frequencies *at that
    moment* (no hindsight), or of its ``k`` weakest (the null). Arrays of shape ``(n_seeds, 2, n_evals)``:
    ``train_acc``, ``test_acc`` (uncompressed), ``kept_train``, ``kept_test`` (compressed, strongest
    frequencies), ``weak_test`` (weakest). Also the final networks rounded to each of ``cfg.bits`` bits per weight
    (:func:`dltheory.compression.weights.quantise`, every tensor), shape ``(n_seeds, 2, len(bits) + 1)``, the last
    column the float32 network: ``bits_train``, ``bits_test``. Cached on disk (:func:`dltheory.sweep.run`) unless
    ``cache=False``.
    """
    if not isinstance(cfg, GrokCompressionConfig):
        raise ValueError(f"cfg must be a GrokCompressionConfig, got {type(cfg).__name__}")
    seeds = list(validate.seeds(seeds, distinct=True))
    (out,) = sweep.run(_curves, [{"config": cfg, "seeds": seeds}], cache=cache, desc="grokking compressed")
    return out | {"seeds": tuple(seeds), "config": cfg}


def kept(curves: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Training accuracy kept by the compressed network at the end, per seed: (grokked, memorising) (§1)."""
    final = np.asarray(curves["kept_train"])[:, :, -1]
    return final[:, 0], final[:, 1]


def memorisation_snapshot(curves: dict[str, Any], fit: float = 0.99) -> np.ndarray:
    """Training accuracy kept by the compressed *weight-decay* network at the first evaluation at which it fits a
    share ``fit`` of its training pairs, per seed (§1): the same run in its memorisation phase, a null that holds the
    weight decay fixed. A run that never fits counts as its last evaluation."""
    fit = validate.probability("fit", fit, open_low=True)
    hit = np.asarray(curves["train_acc"])[:, 0] >= fit
    first = np.where(hit.any(-1), np.argmax(hit, -1), hit.shape[-1] - 1)
    return np.take_along_axis(np.asarray(curves["kept_train"])[:, 0], first[:, None], -1)[:, 0]


def lag(curves: dict[str, Any], *, weakest: bool = False) -> np.ndarray:
    """Evaluations by which the compressed network reaches ``accuracy`` on the test pairs after the whole one (§1).

    Per seed of the grokking runs (setting 0): first evaluation at which the compressed test accuracy reaches
    ``cfg.accuracy`` minus the first at which the uncompressed one does; an accuracy that never gets there counts
    as getting there one evaluation after the budget. Negative: compression leads. ``weakest=True`` measures the
    compressed copy on the weakest frequencies (the null).
    """
    level = curves["config"].accuracy
    n = np.asarray(curves["steps"]).size

    def first(acc: np.ndarray) -> np.ndarray:
        hit = acc >= level
        return np.where(hit.any(-1), np.argmax(hit, -1), n)

    compressed = np.asarray(curves["weak_test" if weakest else "kept_test"])[:, 0]
    return first(compressed) - first(np.asarray(curves["test_acc"])[:, 0])


def bits_gap(curves: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Bits per weight the memorising network needs for its training fit minus those the grokked one needs, per
    seed (§1; :func:`dltheory.compression.weights.bits_needed`), and the null: the same gap with the memorising
    network replaced by the grokked network held on its test pairs (no memorisation): the bits its test accuracy
    needs minus the bits its training fit needs. Unlike a gap between two grokked networks, which sums to zero
    over a cycle of seeds, this null can meet the bar."""
    cfg = curves["config"]
    train, test = np.asarray(curves["bits_train"]), np.asarray(curves["bits_test"])
    grokked = bits_needed(train[:, 0], cfg.bits, cfg.tolerance)
    memorised = bits_needed(train[:, 1], cfg.bits, cfg.tolerance)
    return memorised - grokked, bits_needed(test[:, 0], cfg.bits, cfg.tolerance) - grokked


def synthesis_point(curves: dict[str, Any]) -> dict[str, Any]:
    """This section's point of the closing figure (§5): compression ratio and share of performance kept.

    The ratio is ``p / (2k + 1)`` for both networks (the same projection); the share kept is the compressed
    network's final training accuracy over the uncompressed one's, averaged over seeds: the grokked network and,
    as the null, the memorising one.
    """
    cfg = curves["config"]
    full = np.asarray(curves["train_acc"])[:, :, -1]
    grokked, memorised = kept(curves)
    return {"section": "1 grokking: Fourier frequencies", "ratio": cfg.ratio(), "kept": float(np.mean(grokked / full[:, 0])),
            "null_ratio": cfg.ratio(), "null_kept": float(np.mean(memorised / full[:, 1]))}


def check_ratio(answer: Any, p: int, k: int) -> None:
    """Exercise check (§1): how many times fewer numbers describe one residue's embedding with ``k`` frequencies."""
    selfcheck.answered("ratio", answer)
    p = validate.prime("p", p, low=3)
    k = validate.integer("k", k, low=1, high=(p - 1) // 2)
    selfcheck.number("ratio", answer, p / (2 * k + 1), rtol=1e-6,
                     hint="a function on Z_p has p coordinates; the constant and the cosine and sine of k "
                          "frequencies are 2k + 1 of them.")


def saved_kept(k: int) -> np.ndarray:
    """Test accuracy of Chapter 3's saved grokked transformers (``p = 113``) cut to their ``k`` strongest
    frequencies, one value per seed (§1's exercise; :func:`dltheory.grokking.fourier_circuit.compressed_accuracy`)."""
    from dltheory.grokking.fourier_circuit import compressed_accuracy

    k = validate.integer("k", k, low=1, high=56)
    result, _ = training.load_result()
    mask = data.train_mask(result.config)
    return np.array([compressed_accuracy(result.config, result.final(s, 0), mask, k)["test_acc"]
                     for s in range(len(result.seeds))])


def check_one_frequency_hypothesis(answer: Any) -> bool:
    """Exercise check (§1): does the saved grokked transformer, cut to its one strongest frequency, keep at least
    95% test accuracy on every seed? The right answer is measured here, not typed in."""
    kept_one = saved_kept(1)
    return selfcheck.boolean(
        "one_frequency_keeps", answer, bool(np.all(kept_one >= 0.95)),
        why=f"cut to one frequency the saved transformers keep {np.round(kept_one, 3).tolist()} of their test pairs. "
            "Ideal logits need only one frequency, but the trained network spreads its circuit over several and "
            "relies on their sum for its margin; one of them alone is far from the ideal logits.",
    )
