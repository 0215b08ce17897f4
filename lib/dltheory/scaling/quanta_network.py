"""§6 *Quanta in a network* (``chapters/01-scaling-laws/06-quanta-network``).

MLPs on the multitask sparse parity task of Michaud et al. (2023), whose subtasks are quanta with
Zipfian frequencies: the task (:func:`sparse_parity_tasks`, :func:`subtask_frequencies`,
:func:`sparse_parity_batch`) and the experiment (:func:`sparse_parity_experiment`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, train, validate
from dltheory.scaling import common

__all__ = [
    "sparse_parity_tasks",
    "subtask_frequencies",
    "sparse_parity_batch",
    "split_patterns",
    "finite_k_step_exponent",
    "SparseParityConfig",
    "SparseParityResult",
    "sparse_parity_experiment",
]


def sparse_parity_tasks(n_tasks: int, n: int, k: int, *, seed: int = 0) -> np.ndarray:
    """The subtasks of multitask sparse parity (§6, ``06-quanta-network``; Michaud et al. 2023).

    Returns an ``(n_tasks, n)`` 0/1 mask whose row ``i`` marks the ``k`` task bits whose parity is the
    label of subtask ``i``. The subsets are distinct and drawn once from ``seed``, so every training run
    of an experiment learns the same subtasks.
    """
    n_tasks = validate.integer("n_tasks", n_tasks, low=1)
    n = validate.integer("n", n, low=1)
    k = validate.integer("k", k, low=1, high=n)
    if math.comb(n, k) < n_tasks:
        raise ValueError(f"n_tasks must be at most C(n, k) = {math.comb(n, k)} distinct subsets, got {n_tasks}")
    seed = validate.integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    subsets: list[tuple[int, ...]] = []
    while len(subsets) < n_tasks:
        s = tuple(sorted(rng.choice(n, size=k, replace=False).tolist()))
        if s not in subsets:
            subsets.append(s)
    mask = np.zeros((n_tasks, n), dtype=np.float32)
    for i, s in enumerate(subsets):
        mask[i, list(s)] = 1.0
    return mask


def subtask_frequencies(zipf_exponent: float, n_tasks: int) -> np.ndarray:
    """``p_i ∝ i^-zipf_exponent``, ``i = 1..n_tasks``, normalised over the ``n_tasks`` subtasks (§6).

    ``zipf_exponent = α + 1`` in the notation of Michaud et al. (2023); ``0`` gives uniform frequencies.
    """
    z = validate.real("zipf_exponent", zipf_exponent, low=0.0)
    n_tasks = validate.integer("n_tasks", n_tasks, low=1)
    p = np.arange(1, n_tasks + 1, dtype=float) ** -z
    return p / p.sum()


def sparse_parity_batch(key: jax.Array, masks: Any, p: Any, size: int,
                        patterns: Any | None = None) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Draw ``size`` samples of multitask sparse parity (§6; Michaud et al. 2023).

    Each sample picks subtask ``i`` with probability ``p_i``; its input is the one-hot code of ``i``
    (``n_tasks`` control bits) followed by ``n`` uniform random task bits, and its label is the parity of
    the task bits that ``masks[i]`` marks. ``patterns`` (an ``(P, n)`` 0/1 array), if given, restricts the
    task bits to its rows, drawn uniformly: the training patterns of :func:`split_patterns`. Returns
    ``(x, y, task)``: inputs ``(size, n_tasks + n)`` in {0, 1}, labels ``(size,)`` in {0, 1} and subtask
    indices ``(size,)``. Pure and jit-compatible.
    """
    masks = jnp.asarray(masks, jnp.float32)
    n = masks.shape[1]
    cdf = jnp.cumsum(jnp.asarray(p, jnp.float32))
    # random 32-bit words, few per sample: the first picks the subtask (inverse CDF), the others supply
    # the task bits, 32 to a word (much cheaper on a CPU than one random draw per bit)
    words = jax.random.bits(key, (1 + -(-n // 32), size), jnp.uint32)
    u = (words[0] >> 8).astype(jnp.float32) * (cdf[-1] / 2.0**24)
    task = jnp.minimum(jnp.searchsorted(cdf, u, side="right"), masks.shape[0] - 1)
    if patterns is None:
        j = jnp.arange(n, dtype=jnp.uint32)
        bits = ((words[1 + j // 32].T >> (j % 32)) & 1).astype(jnp.float32)
    else:
        patterns = jnp.asarray(patterns, jnp.float32)
        bits = patterns[words[1] % jnp.uint32(patterns.shape[0])]
    y = (jnp.sum(bits * masks[task], axis=1) % 2).astype(jnp.int32)
    x = jnp.concatenate([jax.nn.one_hot(task, masks.shape[0], dtype=jnp.float32), bits], axis=1)
    return x, y, task


def split_patterns(n: int, holdout: float, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """All ``2^n`` task-bit patterns, split at random into training and held-out rows (§6).

    Returns ``(train, test)``, ``(P_train, n)`` and ``(P_test, n)`` 0/1 arrays with ``P_test = round(holdout·2^n)``.
    With few task bits every pattern would otherwise appear in training, so a test set drawn from all
    patterns would measure memorisation; the held-out rows never do. Needs ``n ≤ 20``.
    """
    n = validate.integer("n", n, low=1, high=20)
    holdout = validate.real("holdout", holdout, low=0.0, high=1.0, low_open=True, high_open=True)
    codes = np.random.default_rng(seed).permutation(2**n)
    bits = ((codes[:, None] >> np.arange(n)) & 1).astype(np.float32)
    n_test = max(1, round(holdout * 2**n))
    if n_test >= 2**n:
        raise ValueError(f"holdout leaves no training pattern for n = {n}, got {holdout}")
    return bits[n_test:], bits[:n_test]


def finite_k_step_exponent(p: Any, *, learned_fraction: float = 0.5, points: int = 2000) -> float:
    """The step exponent that the quantization model itself predicts for ``K = len(p)`` subtasks (§6).

    Subtask ``i`` is learned at step ``S_i ∝ 1/p_i`` (Michaud et al. 2023) and the loss is the mass of the
    subtasks not yet learned, one bit each. Fitted like :meth:`SparseParityResult.step_exponent`: a
    straight line in log-log axes through ``points`` evenly spaced steps from the first subtask's
    learning step until a ``learned_fraction`` of the subtasks are learned. A prediction for this window, not
    ``α/(α+1)``, and the window sets most of the gap: at ``learned_fraction = 0.5``, ``α + 1 = 1.4`` it is
    0.614, 0.574, 0.565, 0.557 for ``K`` = 32, 500, 5,000, 50,000 (evenly spaced steps weight the window's
    end, where the cut-off steepens the curve). It nears ``α/(α+1)`` only as ``learned_fraction → 0`` at
    large ``K`` (within 0.02 at 0.001, ``K = 10^5``). Scale-free, so ``S_1`` is set to 1.
    """
    p = validate.array("p", p, ndim=1, positive=True, min_size=4)
    if np.any(np.diff(p) > 0):
        raise ValueError("p must be sorted by decreasing frequency")
    learned_fraction = validate.real("learned_fraction", learned_fraction, low=0.0, high=1.0, low_open=True)
    points = validate.integer("points", points, low=3)
    p = p / p.sum()
    s_learn = p[0] / p
    stop = s_learn[max(2, int(learned_fraction * p.size)) - 1]
    steps = np.linspace(1.0, stop, points)
    loss = np.array([p[s_learn > s].sum() for s in steps])
    return float(common.fit_exponent(steps, loss))


@dataclasses.dataclass(frozen=True)
class SparseParityConfig(runtime.ModeConfig):
    """§6: one-hidden-layer ReLU MLPs on multitask sparse parity (Michaud et al. 2023, Sec. 3).

    ``n_tasks`` subtasks with frequencies ``p_i ∝ i^-zipf`` (``zipf = α + 1``; ``0`` = uniform), each the
    parity of its own ``k`` of the ``n`` task bits. Networks of every width in ``widths`` train at once
    (masked hidden units, as in §5) with Adam at learning rate ``lr`` on fresh batches of ``batch``
    samples for ``steps`` steps (the single-epoch regime, so steps and samples seen are proportional).
    Every ``eval_every`` steps the cross-entropy of each subtask is measured on ``n_test`` fixed samples
    of it; the mean test loss weights the subtasks by their frequencies. With ``n ≤ 20`` task bits a
    fraction ``holdout`` of the ``2^n`` task-bit patterns is never trained on (:func:`split_patterns`), and
    the loss is measured twice: on patterns seen in training and on the held-out ones
    (:meth:`SparseParityResult.on_heldout`). With more bits, fresh random patterns are new with
    overwhelming probability and the two test sets coincide. The paper's configuration
    (``full``): 500 subtasks, n = 100, k = 3, zipf = 1.4, 30 log-spaced widths from 9 to 500 (as the paper's
    code computes them), batch 20,000, 2×10^5 steps, Adam at learning rate 10^-3.
    """

    n_tasks: int = validate.field(32, validate.integer, low=2)
    n: int = validate.field(8, validate.integer, low=2)
    k: int = validate.field(3, validate.integer, low=1)
    zipf: float = validate.field(1.4, validate.real, low=0.0)
    widths: tuple[int, ...] = validate.field((8, 16, 32, 64, 128), validate.increasing_integers)
    batch: int = validate.field(256, validate.integer, low=1)
    steps: int = validate.field(6000, validate.integer, low=1)
    eval_every: int = validate.field(50, validate.integer, low=1)
    lr: float = validate.field(1e-2, validate.real, low=0.0, low_open=True)
    n_test: int = validate.field(128, validate.integer, low=8)
    holdout: float = validate.field(0.25, validate.real, low=0.0, high=0.9, low_open=True)
    learned_bits: float = validate.field(0.1, validate.real, low=0.0, high=1.0, low_open=True)
    task_seed: int = validate.field(0, validate.integer, low=0)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        validate.integer("k", self.k, low=1, high=self.n)
        if math.comb(self.n, self.k) < self.n_tasks:
            raise ValueError(f"n_tasks must be at most C(n, k) = {math.comb(self.n, self.k)}, got {self.n_tasks}")
        validate.schedule(self.steps, self.eval_every)

    @property
    def alpha(self) -> float:
        """The quanta exponent ``α = zipf − 1`` of ``p_i ∝ i^-(α+1)``."""
        return self.zipf - 1.0

    @property
    def params(self) -> np.ndarray:
        """Parameters of each width: ``(n_tasks + n + 1)·w`` in the hidden layer and ``2w + 2`` in the output."""
        return (self.n_tasks + self.n + 3) * np.asarray(self.widths, dtype=float) + 2

    @classmethod
    def fast(cls) -> SparseParityConfig:
        return cls()

    @classmethod
    def full(cls) -> SparseParityConfig:
        # within the GPU budget (issue 22): every third of the paper's 30 widths, a tenth of its steps, a tenth of
        # its batch (paper_scale() says what fraction of the paper this is)
        widths = tuple(sorted({int(w) for w in np.power(2, np.linspace(np.log2(10), np.log2(500), 10))}))
        return cls(n_tasks=500, n=100, k=3, zipf=1.4, widths=widths, batch=2000, steps=20_000,
                   eval_every=1000, lr=1e-3, n_test=1000, n_seeds=3)

    def cost(self) -> runtime.Cost:
        """Every width and seed trained in one program, each width as a network of the largest width with
        masked hidden units (``(n_tasks + n + 3)·max(widths)`` parameters each), on fresh batches; the test
        loss of every subtask (``n_test`` samples each) at every evaluation."""
        params = (self.n_tasks + self.n + 3) * float(self.widths[-1]) + 2
        runs = len(self.widths) * self.n_seeds
        evals = 2.0 * params * self.n_test * self.n_tasks * (self.steps // self.eval_every) * runs
        train = runtime.Cost.training(params=params, batch=self.batch, steps=self.steps, runs=runs,
                                      activations=float(self.widths[-1] + self.n_tasks + self.n))
        return train + runtime.Cost(flops=evals)

    def paper_scale(self) -> str:
        """Against the paper's 30 widths, 2·10⁵ steps, batch 20,000."""
        paper_widths = sorted({int(w) for w in np.power(2, np.linspace(np.log2(10), np.log2(500), 30))})
        paper = sum(603.0 * w + 2 for w in paper_widths) * 20_000 * 200_000
        ours = float(self.params.sum()) * self.batch * self.steps
        return (f"{len(self.widths)} of the paper's 30 widths ({self.widths[0]}–{self.widths[-1]}), "
                f"{self.steps:,} of its 200,000 steps, batch {self.batch:,} of 20,000, {self.n_tasks} subtasks on "
                f"n = {self.n} bits (the paper's 500 and 100), {self.n_seeds} seeds: 1/{paper / ours:,.0f} of its "
                "training FLOPs, to fit the GPU budget; whether the exponents hold this far from the paper's "
                "length is what the run shows")


@dataclasses.dataclass(frozen=True)
class SparseParityResult:
    config: SparseParityConfig
    seeds: tuple[int, ...]
    N: np.ndarray  # (n_widths,) parameters
    steps: np.ndarray  # (n_evals,) step of each evaluation, starting at 0
    p: np.ndarray  # (n_tasks,) subtask frequencies
    subtask_loss: np.ndarray  # (n_seeds, n_widths, n_evals, n_tasks) cross-entropy in bits, patterns seen in training
    wall_time: float
    heldout_loss: np.ndarray | None = None  # the same on held-out task-bit patterns (None once swapped in)

    def on_heldout(self) -> SparseParityResult:
        """The same runs measured on the held-out task-bit patterns: every metric then reads held-out loss."""
        if self.heldout_loss is None:
            raise ValueError("this result has no held-out losses (it is already the held-out view)")
        return dataclasses.replace(self, subtask_loss=self.heldout_loss, heldout_loss=None)

    @property
    def loss(self) -> np.ndarray:
        """Mean test loss in bits, subtasks weighted by frequency: ``(n_seeds, n_widths, n_evals)``."""
        return self.subtask_loss @ self.p

    @property
    def emergence(self) -> np.ndarray:
        """Step at which each subtask's loss first falls below ``learned_bits`` (``inf`` if never).

        Shape ``(n_seeds, n_widths, n_tasks)``.
        """
        hit = self.subtask_loss < self.config.learned_bits
        first = np.argmax(hit, axis=2)
        out = self.steps[first].astype(float)
        out[~hit.any(axis=2)] = np.inf
        return out

    @property
    def param_exponent(self) -> np.ndarray:
        """``α_N`` per seed: minus the log-log slope of the final mean loss against parameters, over all widths.

        The fit of Michaud et al. (a straight line through every width's final loss), done with
        :func:`dltheory.scaling.common.fit_exponent`. Needs at least three widths.
        """
        if self.N.size < 3:
            raise ValueError(f"param_exponent needs at least 3 widths, the config has {self.N.size}")
        return common.fit_exponent(self.N, self.loss[:, :, -1])

    def step_window(self, width: int = -1) -> np.ndarray:
        """Per seed, the evaluation steps in which the power law in steps is fitted: a boolean ``(n_seeds, n_evals)``.

        From the emergence of the first subtask until half of the subtasks are learned (or the run ends):
        before it nothing is learned yet, after it the finite number of subtasks cuts the tail off.
        """
        em = np.sort(self.emergence[:, width], axis=-1)
        start, stop = em[:, 0], em[:, self.config.n_tasks // 2 - 1]
        return (self.steps[None, :] >= start[:, None]) & (self.steps[None, :] <= stop[:, None])

    def step_exponent(self, width: int = -1) -> np.ndarray:
        """``α_S`` per seed: minus the log-log slope of mean loss against steps within :meth:`step_window`.

        ``nan`` for a seed whose window holds fewer than three evaluations.
        """
        window = self.step_window(width)
        out = np.full(len(self.seeds), np.nan)
        for s in range(len(self.seeds)):
            if window[s].sum() >= 3:
                out[s] = common.fit_exponent(self.steps[window[s]], self.loss[s, width, window[s]])
        return out

    def order_correlation(self, width: int = -1, *, learned_only: bool = False,
                          shuffle: int | None = None) -> np.ndarray:
        """Spearman correlation, per seed, between a subtask's frequency rank and the step at which it emerges.

        ``1`` means subtasks are learned exactly in order of decreasing frequency. Subtasks never learned
        share the last rank, and that tie alone makes the correlation high when many are unlearned;
        ``learned_only=True`` correlates over the subtasks learned by the end of the run only (``nan``
        for a seed with fewer than three). ``shuffle`` (a seed) permutes the learning steps at random
        among the learned subtasks first, keeping the unlearned ones tied: the null of the ordering
        claims (:meth:`emergence` in a random order). ``nan`` for a seed on which every counted subtask
        emerges at the same step (or none does).
        """
        from scipy.stats import spearmanr

        if shuffle is not None:
            shuffle = validate.integer("shuffle", shuffle, low=0)
        emergence = self.emergence[:, width]
        rank = np.arange(emergence.shape[-1])  # subtasks are numbered by decreasing frequency
        out = np.full(len(self.seeds), np.nan)
        for s, em in enumerate(emergence):
            em = em.copy()
            learned = np.isfinite(em)
            if shuffle is not None:
                rng = np.random.default_rng([shuffle, s])
                em[learned] = rng.permutation(em[learned])
            keep = learned if learned_only else np.ones_like(learned)
            if keep.sum() >= 3 and not np.all(em[keep] == em[keep][0]):
                out[s] = spearmanr(rank[keep], em[keep]).statistic
        return out

    def drop_decades(self, width: int = -1, *, high: float = 0.9, low: float = 0.1) -> np.ndarray:
        """Per seed, ``log10(S_low / S_high)``: how many decades of steps the mean loss takes to fall from
        ``high`` to ``low`` times its initial value (``inf`` if it never gets to ``low``).

        Small for an abrupt drop (one step of a staircase), large for a smooth power law.
        """
        high = validate.real("high", high, low=0.0, high=1.0, low_open=True, high_open=True)
        low = validate.real("low", low, low=0.0, high=high, low_open=True, high_open=True)
        loss = self.loss[:, width]
        out = np.empty(len(self.seeds))
        for s in range(len(self.seeds)):
            s_hi = self.steps[np.argmax(loss[s] <= high * loss[s, 0])]
            below = loss[s] <= low * loss[s, 0]
            out[s] = math.log10(self.steps[np.argmax(below)] / max(s_hi, 1)) if below.any() else np.inf
        return out


def sparse_parity_experiment(
    cfg: SparseParityConfig, seeds: Sequence[int], *, progress: bool | None = None
) -> SparseParityResult:
    """§6 (``06-quanta-network``): train MLPs of every width and seed on multitask sparse parity.

    The neural-network test of the quantization model of Michaud et al. (2023): one compiled program
    (:func:`dltheory.train.train`, vmapped over seeds × widths, narrower networks masked inside the
    widest as in :func:`dltheory.scaling.mini_chinchilla.isoflop_experiment`) records the test cross-entropy
    of every subtask, in bits, every ``eval_every`` steps. Inputs are 0/1 bits as in the paper; initialisation
    is PyTorch's default for linear layers (uniform in ±1/√fan_in), the optimiser Adam, as in the paper's code.
    """
    if not isinstance(cfg, SparseParityConfig):
        raise ValueError(f"cfg must be a SparseParityConfig, got {type(cfg).__name__}")
    seeds = validate.seeds(seeds)
    masks = jnp.asarray(sparse_parity_tasks(cfg.n_tasks, cfg.n, cfg.k, seed=cfg.task_seed))
    p = subtask_frequencies(cfg.zipf, cfg.n_tasks)
    d_in, wmax = cfg.n_tasks + cfg.n, max(cfg.widths)
    # a fixed test set: n_test samples of every subtask, the same for every run
    eye = np.repeat(np.arange(cfg.n_tasks), cfg.n_test)
    k_test = jax.random.key(10_002 + cfg.task_seed)
    if cfg.n <= 20:  # two test sets: task-bit patterns seen in training, and held-out ones never seen
        train_patterns, test_patterns = (jnp.asarray(a) for a in split_patterns(cfg.n, cfg.holdout, seed=cfg.task_seed))
        k_seen, k_held = jax.random.split(k_test)
        bits = train_patterns[jax.random.randint(k_seen, (eye.size,), 0, train_patterns.shape[0])]
        bits_held = test_patterns[jax.random.randint(k_held, (eye.size,), 0, test_patterns.shape[0])]
    else:  # fresh random patterns are new with overwhelming probability
        bits = jax.random.bernoulli(k_test, 0.5, (eye.size, cfg.n)).astype(jnp.float32)
        bits_held, train_patterns = bits, None

    def test_set(b: jax.Array) -> tuple[jax.Array, jax.Array]:
        y = (jnp.sum(b * masks[eye], axis=1) % 2).astype(jnp.int32)
        x = jnp.concatenate([jax.nn.one_hot(eye, cfg.n_tasks, dtype=jnp.float32), b], axis=1)
        return x.reshape(cfg.n_tasks, cfg.n_test, d_in), y.reshape(cfg.n_tasks, cfg.n_test)

    sets = {"subtask": test_set(bits), "heldout": test_set(bits_held)}
    p_dev = jnp.asarray(p, jnp.float32)

    def mask(hp: Mapping[str, jax.Array]) -> jax.Array:
        return (jnp.arange(wmax) < hp["width"]).astype(jnp.float32)

    def init(key: jax.Array, hp: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        k1, k2, k3, k4 = jax.random.split(key, 4)
        b1, b2 = 1.0 / math.sqrt(d_in), 1.0 / jnp.sqrt(hp["width"])
        m = mask(hp)
        return {
            "w1": jax.random.uniform(k1, (d_in, wmax), minval=-b1, maxval=b1) * m,
            "b1": jax.random.uniform(k2, (wmax,), minval=-b1, maxval=b1) * m,
            "w2": jax.random.uniform(k3, (wmax, 2), minval=-b2, maxval=b2) * m[:, None],
            "b2": jax.random.uniform(k4, (2,), minval=-b2, maxval=b2),
        }

    def logits(prm: dict[str, jax.Array], x: jax.Array, hp: Mapping[str, jax.Array]) -> jax.Array:
        h = jax.nn.relu(x @ prm["w1"] + prm["b1"]) * mask(hp)
        return h @ prm["w2"] + prm["b2"]

    def loss(prm: dict[str, jax.Array], batch: tuple[jax.Array, jax.Array], hp: Mapping[str, jax.Array]) -> jax.Array:
        x, y = batch
        return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits(prm, x, hp), y))

    def draw(key: jax.Array, _: Any) -> tuple[jax.Array, jax.Array]:
        x, y, _task = sparse_parity_batch(key, masks, p_dev, cfg.batch, train_patterns)
        return x, y

    def evaluate(prm: dict[str, jax.Array], hp: Mapping[str, jax.Array]) -> dict[str, jax.Array]:
        # one subtask at a time (lax.map), so that memory stays bounded at the paper's 500 subtasks
        def one(xy: tuple[jax.Array, jax.Array]) -> jax.Array:
            return optax.softmax_cross_entropy_with_integer_labels(logits(prm, xy[0], hp), xy[1]).mean()

        return {name: jax.lax.map(one, xy) / math.log(2.0) for name, xy in sets.items()}

    hist = train.train(
        init, loss, optax.adam(cfg.lr), steps=cfg.steps, eval_every=cfg.eval_every, seeds=seeds,
        batch=draw, data=jnp.zeros(()), evaluate=evaluate, hparams={"width": list(cfg.widths)},
        progress=progress, desc="sparse parity", checkpoint=("scaling.quanta_network.sparse_parity_experiment", cfg),
    )
    return SparseParityResult(
        config=cfg, seeds=seeds, N=cfg.params, steps=hist.steps, p=p,
        subtask_loss=np.asarray(hist["subtask"], dtype=float), wall_time=hist.wall_time,
        heldout_loss=np.asarray(hist["heldout"], dtype=float),
    )
