"""Epilogue, section 3 ``03-data-compression``: a model trained online on a text is a compressor of that text.

The *prequential* (online) code of Blier and Ollivier (2018): the sequence is cut into consecutive batches;
each batch is coded with the network as it stands (``-log2 p`` bits per symbol, which an arithmetic coder
achieves to within two bits for the whole message), then the network takes one Adam step on that batch.
A decoder that runs the same code learns the same weights, so the weights are never sent. Delétang et al.
(2024) make the same equivalence between prediction and compression their starting point.

Four sequences are coded by the same networks, all in one compiled program (vmapped over sequences, seeds
and widths):

``text``      the first ``n_symbols`` bytes of the Python documentation shipped with CPython
              (``pydoc_data.topics``, English prose with code examples; no download);
``shuffled``  the same bytes in a random order: the same letter frequencies, no other structure;
``markov``    letters from an order-``k`` Markov source with Dirichlet transition rows, whose entropy rate
              :func:`markov_entropy` computes exactly;
``iid``       letters drawn independently from that source's stationary letter frequencies (entropy ``H1``).

The networks are character-level MLPs on the last ``context`` symbols (an embedding, one ReLU layer whose
width is masked to each run's width, a softmax over the sequence's alphabet). Code lengths are summed in
float64 and include 256 bits for the alphabet (which bytes occur), so that they are full codes.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from dltheory import runtime, selfcheck, sweep, validate
from dltheory.information import compression_measured

__all__ = ["SEQUENCES", "DataCodeConfig", "documentation_text", "markov_source", "markov_entropy",
           "sample_markov", "sequences", "prequential_codes", "context_model_bits", "run", "structure_share", "synthesis_point",
           "check_entropy_rate", "check_context_hypothesis", "draw_context_code"]

SEQUENCES = ("text", "shuffled", "markov", "iid")
ALPHABET_BITS = 256.0   # one bit per byte value: which bytes the sequence uses


@dataclasses.dataclass(frozen=True)
class DataCodeConfig(runtime.ModeConfig):
    """Section 3: the sequences, the networks and their online training."""

    n_symbols: int = validate.field(32768, validate.integer, low=1024)
    context: int = validate.field(8, validate.integer, low=1, high=64)
    embed: int = validate.field(8, validate.integer, low=1, high=256)
    widths: tuple[int, ...] = validate.field((8, 32, 128), validate.integers, low=1, high=4096, increasing=True)
    batch: int = validate.field(32, validate.integer, low=1)
    lr: float = validate.field(2e-3, validate.real, low=0.0, low_open=True, high=1.0)
    alphabet: int = validate.field(16, validate.integer, low=2, high=64)
    order: int = validate.field(2, validate.integer, low=1, high=4)
    concentration: float = validate.field(0.2, validate.real, low=0.0, low_open=True)
    orders: tuple[int, ...] = validate.field((0, 1, 2, 3), validate.integers, low=0, high=6, increasing=True)
    segments: int = validate.field(16, validate.integer, low=4)
    n_seeds: int = validate.field(3, validate.integer, low=1)

    def check(self) -> None:
        if self.n_symbols % self.batch:
            raise ValueError(f"n_symbols ({self.n_symbols}) must be a multiple of batch ({self.batch})")
        if (self.n_symbols // self.batch) % self.segments:
            raise ValueError(f"the {self.n_symbols // self.batch} online steps must split into {self.segments} "
                             "equal segments")
        if self.context < self.order:
            raise ValueError(f"context ({self.context}) must be at least the Markov order ({self.order})")
        if self.alphabet ** self.order > 4096:
            raise ValueError(f"alphabet**order must be at most 4096 states, got {self.alphabet ** self.order}")

    @classmethod
    def fast(cls) -> DataCodeConfig:
        return cls()

    @classmethod
    def full(cls) -> DataCodeConfig:
        return cls(n_symbols=262144, context=16, embed=16, widths=(16, 64, 256, 1024), batch=64, n_seeds=5)

    def cost(self) -> runtime.Cost:
        """One online pass (``n_symbols / batch`` Adam steps of ``batch`` symbols) per sequence, seed and width,
        each run at the largest width (the others are masked), all in one program; the compressors on the host."""
        out = 256.0
        params = 257.0 * self.embed + self.context * self.embed * max(self.widths) + max(self.widths) * (out + 1)
        runs = len(SEQUENCES) * self.n_seeds * len(self.widths)
        train = runtime.Cost.training(params=params, batch=self.batch, steps=self.n_symbols // self.batch,
                                      runs=runs, activations=float(max(self.widths) + out))
        return train + runtime.Cost(host_flops=200.0 * self.n_symbols * len(SEQUENCES) * self.n_seeds)

    def paper_scale(self) -> str:
        """Against Delétang et al.'s transformers on enwik8/enwik9 and Chinchilla."""
        return (f"{self.n_symbols:,} bytes per sequence against Delétang et al.'s 1 GB of enwik9, and MLPs of "
                f"{self.widths[0]}–{self.widths[-1]} hidden units on {self.context} characters of context against "
                f"transformers of 200K parameters to 70B; {self.n_seeds} seeds")


def documentation_text(n_bytes: int) -> bytes:
    """The first ``n_bytes`` of CPython's documentation topics (``pydoc_data.topics``), in sorted topic order.

    The text ships with every CPython (no download) but changes a little between Python versions."""
    from pydoc_data.topics import topics

    n_bytes = validate.integer("n_bytes", n_bytes, low=1)
    text = "\n\n".join(topics[k] for k in sorted(topics)).encode("utf-8")
    if n_bytes > len(text):
        raise ValueError(f"n_bytes must be at most {len(text):,}, the length of the documentation text")
    return text[:n_bytes]


def markov_source(seed: int, alphabet: int, order: int, concentration: float) -> np.ndarray:
    """Transition probabilities of an order-``order`` Markov source: ``(alphabet,)*order + (alphabet,)``, each row
    drawn from a symmetric Dirichlet(``concentration``) (smaller: more predictable)."""
    seed = validate.seed("seed", seed)
    alphabet = validate.integer("alphabet", alphabet, low=2, high=64)
    order = validate.integer("order", order, low=1, high=4)
    concentration = validate.real("concentration", concentration, low=0.0, low_open=True)
    rng = np.random.default_rng([seed, 1])
    rows = rng.dirichlet(np.full(alphabet, concentration), size=alphabet ** order)
    rows = np.maximum(rows, 1e-12)
    return (rows / rows.sum(1, keepdims=True)).reshape((alphabet,) * (order + 1))


def _stationary(P: np.ndarray, iterations: int = 5000) -> np.ndarray:
    """The stationary distribution of the states (last ``order`` letters) of the source ``P``, by power iteration."""
    A, k = P.shape[0], P.ndim - 1
    trans = P.reshape(A, A ** (k - 1), A)           # (first letter, the rest, next letter)
    pi = np.full(A ** k, 1.0 / A ** k)
    for _ in range(iterations):
        new = np.einsum("ar,ary->ry", pi.reshape(A, A ** (k - 1)), trans).reshape(-1)
        if np.abs(new - pi).sum() < 1e-14:
            return new
        pi = new
    return pi


def markov_entropy(P: Any) -> dict[str, float]:
    """Exact entropy rate ``H = Σ_s π(s) H(P(·|s))`` and letter entropy ``H1 = H(Σ_s π(s) P(·|s))`` in bits."""
    P = validate.array("P", P, nonnegative=True)
    if P.ndim < 2 or len(set(P.shape)) != 1 or not np.allclose(P.sum(-1), 1.0):
        raise ValueError("P must be a (A,)*(order+1) array whose last axis sums to 1")
    A = P.shape[0]
    rows = P.reshape(-1, A)
    pi = _stationary(P)
    h_rows = -np.sum(rows * np.log2(rows), axis=1)
    letters = pi @ rows
    return {"rate": float(pi @ h_rows), "letters": float(-np.sum(letters * np.log2(letters))),
            "uniform": math.log2(A)}


def sample_markov(seed: int, P: Any, n: int) -> np.ndarray:
    """``n`` letters (0..A-1) of the source ``P``, started from its stationary distribution."""
    P = validate.array("P", P, nonnegative=True)
    n = validate.integer("n", n, low=1)
    rng = np.random.default_rng([validate.seed("seed", seed), 2])
    A, k = P.shape[0], P.ndim - 1
    cdf = np.cumsum(P.reshape(-1, A), axis=1)
    state = int(rng.choice(A ** k, p=_stationary(P)))
    out = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for t in range(n):
        y = min(int(np.searchsorted(cdf[state], u[t] * cdf[state, -1])), A - 1)
        out[t] = y
        state = (state * A + y) % A ** k
    return out


def sequences(cfg: DataCodeConfig, seed: int) -> dict[str, bytes]:
    """The four sequences of one seed, as bytes (Markov letters are ``a``, ``b``, ...)."""
    text = documentation_text(cfg.n_symbols)
    rng = np.random.default_rng([validate.seed("seed", seed), 3])
    shuffled = bytes(rng.permutation(np.frombuffer(text, dtype=np.uint8)).tolist())
    P = markov_source(seed, cfg.alphabet, cfg.order, cfg.concentration)
    markov = sample_markov(seed, P, cfg.n_symbols)
    letters = _stationary(P) @ P.reshape(-1, cfg.alphabet)
    iid = rng.choice(cfg.alphabet, size=cfg.n_symbols, p=letters / letters.sum())
    as_bytes = lambda x: bytes((x + ord("a")).astype(np.uint8).tolist())  # noqa: E731
    return {"text": text, "shuffled": shuffled, "markov": as_bytes(markov), "iid": as_bytes(iid)}


def _encode(data: bytes, context: int, n_out: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Symbols as indices into the sequence's sorted alphabet, and the ``context`` symbols before each
    (index ``n_out`` before the start)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    alphabet, idx = np.unique(raw, return_inverse=True)
    padded = np.concatenate([np.full(context, n_out), idx])
    ctx = np.stack([padded[i:i + len(idx)] for i in range(context)], axis=1)
    return idx.astype(np.int32), ctx.astype(np.int32), len(alphabet)


def prequential_codes(cfg: DataCodeConfig, data: list[bytes], seeds: list[int]) -> dict[str, np.ndarray]:
    """Online code of each sequence in ``data[i]`` (coded with seed ``seeds[i]``) at every width in ``cfg.widths``.

    Returns ``bits`` (n_data, n_widths, n_steps): the bits of each batch, coded before the step that trains
    on it; ``untrained`` (n_data,): the whole sequence coded by the initial network of the largest width
    (the same code with no learning); ``alphabet`` (n_data,): the size of each sequence's alphabet."""
    if len(data) != len(seeds) or not data:
        raise ValueError("data and seeds must be non-empty and of equal length")
    n_out, c, B = 256, cfg.context, cfg.batch
    enc = [_encode(d, c, n_out) for d in data]
    if any(len(y) != cfg.n_symbols for y, _, _ in enc):
        raise ValueError(f"every sequence must hold n_symbols = {cfg.n_symbols} bytes")
    ys = jnp.asarray(np.stack([e[0] for e in enc]))
    xs = jnp.asarray(np.stack([e[1] for e in enc]))
    sizes = np.array([e[2] for e in enc])
    valid = jnp.asarray(np.arange(n_out)[None, :] < sizes[:, None])
    widths = jnp.asarray(cfg.widths)
    H = max(cfg.widths)
    opt = optax.adam(cfg.lr)

    def init(key: jax.Array, width: jax.Array) -> dict[str, jax.Array]:
        k1, k2, k3 = jax.random.split(key, 3)
        fan_in = c * cfg.embed
        return {"E": jax.random.normal(k1, (n_out + 1, cfg.embed)),
                "W1": jax.random.normal(k2, (fan_in, H)) * jnp.sqrt(2.0 / fan_in), "b1": jnp.zeros(H),
                "W2": jax.random.normal(k3, (H, n_out)) / jnp.sqrt(width), "b2": jnp.zeros(n_out)}

    def bits(params: dict[str, jax.Array], x: jax.Array, y: jax.Array, mask: jax.Array,
             ok: jax.Array) -> jax.Array:
        h = jax.nn.relu(params["E"][x].reshape(x.shape[0], -1) @ params["W1"] + params["b1"]) * mask
        logits = jnp.where(ok, h @ params["W2"] + params["b2"], -jnp.inf)
        logp = jax.nn.log_softmax(logits)
        return -jnp.take_along_axis(logp, y[:, None], axis=1)[:, 0] / jnp.log(2.0)

    def one_run(key: jax.Array, width: jax.Array, x: jax.Array, y: jax.Array, ok: jax.Array) -> jax.Array:
        mask = (jnp.arange(H) < width).astype(jnp.float32)
        params = init(key, width)
        xb, yb = x.reshape(-1, B, c), y.reshape(-1, B)

        def step(carry: Any, batch: tuple[jax.Array, jax.Array]) -> tuple[Any, jax.Array]:
            p, s = carry
            code, grads = jax.value_and_grad(lambda q: bits(q, batch[0], batch[1], mask, ok).sum())(p)
            updates, s = opt.update(jax.tree.map(lambda g: g / B, grads), s, p)
            return (optax.apply_updates(p, updates), s), code

        _, codes = jax.lax.scan(step, (params, opt.init(params)), (xb, yb))
        return codes

    def untrained(key: jax.Array, x: jax.Array, y: jax.Array, ok: jax.Array) -> jax.Array:
        return bits(init(key, jnp.asarray(H, jnp.float32)), x, y, jnp.ones(H), ok).sum()

    keys = jax.vmap(jax.random.key)(jnp.asarray(seeds, dtype=jnp.uint32))
    over_widths = jax.vmap(one_run, in_axes=(None, 0, None, None, None))
    codes = jax.jit(jax.vmap(over_widths, in_axes=(0, None, 0, 0, 0)))(keys, widths, xs, ys, valid)
    base = jax.jit(jax.vmap(untrained))(keys, xs, ys, valid)
    return {"bits": np.asarray(codes, dtype=np.float64), "untrained": np.asarray(base, dtype=np.float64),
            "alphabet": sizes}


def _previous(keys: np.ndarray) -> np.ndarray:
    """For each position ``t``, how many earlier positions hold the same key."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_keys)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    out = np.empty(len(keys), dtype=np.int64)
    out[order] = np.arange(len(keys)) - group_start
    return out


def context_model_bits(data: bytes, order: int) -> np.ndarray:
    """Bits of each symbol under the online Krichevsky–Trofimov code with contexts of ``order`` symbols:
    ``p(y | s) = (n(s, y) + 1/2) / (n(s) + K/2)`` from the counts of the earlier symbols (``K`` the alphabet).

    The Bayes mixture over all order-``order`` Markov sources: its regret is ``(d/2) log2 n + O(1)`` bits with
    ``d = K^order (K - 1)`` free parameters (Krichevsky and Trofimov 1981; Rissanen 1984)."""
    if not isinstance(data, (bytes, bytearray)) or len(data) < 1:
        raise ValueError("data must be non-empty bytes")
    order = validate.integer("order", order, low=0, high=6)
    _, idx = np.unique(np.frombuffer(bytes(data), dtype=np.uint8), return_inverse=True)
    K = int(idx.max()) + 1
    ctx = np.zeros(len(idx), dtype=np.int64)
    for lag in range(1, order + 1):          # earlier symbols, K (= "before the start") for the first ones
        ctx = ctx * (K + 1) + np.r_[np.full(lag, K), idx[:-lag]][:len(idx)]
    n_s = _previous(ctx)
    n_sy = _previous(ctx * K + idx)
    return -np.log2((n_sy + 0.5) / (n_s + K / 2.0))


def _experiment(spec: dict[str, Any]) -> dict[str, np.ndarray]:
    cfg, seeds = spec["cfg"], list(spec["seeds"])
    data, run_seeds, entropy, comp, kt = [], [], [], [], []
    for seed in seeds:
        seqs = sequences(cfg, seed)
        P = markov_source(seed, cfg.alphabet, cfg.order, cfg.concentration)
        h = markov_entropy(P)
        entropy.append([h["rate"], h["letters"]])
        for name in SEQUENCES:
            data.append(seqs[name])
            run_seeds.append(seed)
            c = compression_measured.compressed_bits(seqs[name])
            comp.append([c["gzip"], c["bz2"], c["lzma"]])
            kt.append([context_model_bits(seqs[name], k).reshape(cfg.segments, -1).sum(1) for k in cfg.orders])
    out = prequential_codes(cfg, data, run_seeds)
    S, N = len(seeds), len(SEQUENCES)
    text = np.frombuffer(data[0], dtype=np.uint8)
    _, counts = np.unique(text, return_counts=True)
    freq = counts / counts.sum()
    return {"seeds": np.array(seeds), "bits": out["bits"].reshape(S, N, len(cfg.widths), -1),
            "untrained": out["untrained"].reshape(S, N), "alphabet": out["alphabet"].reshape(S, N),
            "compressors": np.array(comp).reshape(S, N, 3), "entropy": np.array(entropy),
            "kt": np.array(kt).reshape(S, N, len(cfg.orders), -1),
            "text_letters": np.array(float(-(freq * np.log2(freq)).sum()))}


def run(cfg: DataCodeConfig) -> dict[str, Any]:
    """Section 3's experiment, cached by :func:`dltheory.sweep.run`. Arrays have axes (seed, sequence, width, ...)
    in the order of :data:`SEQUENCES`; rates are in bits per symbol (one symbol is one byte).

    ``rate``          (seed, sequence, width): whole online code, alphabet included, per symbol
    ``segment_rate``  (seed, sequence, width, segment): the code of each of ``cfg.segments`` equal pieces
    ``compressors``   (seed, sequence, 3): gzip, bz2, lzma, bits per symbol
    ``untrained``     (seed, sequence): the untrained network's code per symbol
    ``kt_rate``, ``kt_segment_rate``  the same as ``rate`` and ``segment_rate`` for the context models of
                      :func:`context_model_bits`, one per order in ``cfg.orders`` instead of per width
    ``entropy``       (seed, 2): the Markov source's entropy rate and letter entropy, bits per symbol
    """
    if not isinstance(cfg, DataCodeConfig):
        raise ValueError(f"cfg must be a DataCodeConfig, got {type(cfg).__name__}")
    # the seeds are part of the key: the same config under another DLTHEORY_SEED is another run
    res = dict(sweep.run(_experiment, [{"cfg": cfg, "seeds": runtime.seeds(cfg.n_seeds)}], desc="online codes")[0])
    n = cfg.n_symbols
    bits = res.pop("bits")
    res["rate"] = (bits.sum(-1) + ALPHABET_BITS) / n
    res["segment_rate"] = bits.reshape(*bits.shape[:-1], cfg.segments, -1).sum(-1) / (n / cfg.segments)
    res["compressors"] = res["compressors"] / n
    res["untrained"] = (res["untrained"] + ALPHABET_BITS) / n
    kt = res.pop("kt")
    res["kt_rate"] = (kt.sum(-1) + ALPHABET_BITS) / n
    res["kt_segment_rate"] = kt / (n / cfg.segments)
    res["symbols_seen"] = (np.arange(cfg.segments) + 0.5) * n / cfg.segments
    res["cfg"] = cfg
    return res


def structure_share(rate: Any, entropy_rate: Any, letter_entropy: Any) -> np.ndarray:
    """``(H1 − R) / (H1 − H)``: the share of what the source's structure allows below its letter entropy ``H1``
    that a code of ``R`` bits per symbol saves (1: it reaches the entropy rate ``H``; 0: letter frequencies only)."""
    R = validate.array("rate", rate, ndim=(0, 1, 2), nonnegative=True)
    H = validate.array("entropy_rate", entropy_rate, ndim=(0, 1), nonnegative=True)
    H1 = validate.array("letter_entropy", letter_entropy, ndim=(0, 1), nonnegative=True)
    if H.shape != H1.shape or (R.ndim and H.ndim and R.shape[0] != H.shape[0]):
        raise ValueError(f"rate {R.shape}, entropy_rate {H.shape} and letter_entropy {H1.shape} must match per seed")
    if np.any(H1 - H <= 0):
        raise ValueError("letter_entropy must exceed entropy_rate (a source with structure beyond its letters)")
    return (H1 - R) / (H1 - H)


def synthesis_point(res: dict[str, Any] | None = None) -> dict[str, Any]:
    """The section's point of the synthesis figure, from :func:`run`'s result (by default the cached run of the
    configuration of ``DLTHEORY_MODE``): compression ratio (8 bits per byte over the online code of the largest
    network, median over seeds) of the documentation text and of its null, the same bytes shuffled. The code is
    lossless, so the share kept is 1 for both."""
    res = run(DataCodeConfig.from_env()) if res is None else res
    i, j = SEQUENCES.index("text"), SEQUENCES.index("shuffled")
    return {"section": "data", "ratio": float(8.0 / np.median(res["rate"][:, i, -1])), "kept": 1.0,
            "null_ratio": float(8.0 / np.median(res["rate"][:, j, -1])), "null_kept": 1.0}


def draw_context_code(ax: Any, order: int, concentration: float, *, alphabet: int = 16, n: int = 16384,
                      seed: int = 0) -> None:
    """The explorer of section 3: on ``ax``, the online code of the context model of ``order`` on ``n`` letters of an
    order-2 Markov source with Dirichlet(``concentration``) rows, per eighth of the sequence, against the source's
    entropy rate and letter entropy and the best of gzip, bz2 and lzma."""
    P = markov_source(seed, alphabet, 2, concentration)
    letters = sample_markov(seed, P, n)
    data = bytes((letters + ord("a")).astype(np.uint8).tolist())
    h = markov_entropy(P)
    seen = (np.arange(8) + 0.5) * n / 8
    ax.plot(seen, context_model_bits(data, int(order)).reshape(8, -1).mean(1), "o-", label=f"context model, order {order}")
    ax.axhline(h["rate"], color="#222222", ls="--", lw=1, label="entropy rate H")
    ax.axhline(h["letters"], color="#222222", ls=":", lw=1, label="letter entropy H1")
    ax.axhline(min(compression_measured.compressed_bits(data).values()) / n, color="0.5", ls="-.", lw=1,
               label="best of gzip/bz2/lzma")
    ax.set(xscale="log", ylim=(0.0, math.log2(alphabet) + 1.5), xlabel="letters seen", ylabel="bits per letter")
    ax.legend(fontsize=6)


def check_entropy_rate(entropy_rate: Any) -> None:
    """Exercise check (section 3): ``entropy_rate(P)``, in bits per letter, of the order-1 Markov source with
    transition matrix ``P`` (rows sum to 1), against :func:`markov_entropy` on three sources."""
    selfcheck.answered("entropy_rate", entropy_rate)
    cases = [(markov_source(s, a, 1, c).reshape(a, a),) for s, a, c in ((0, 3, 1.0), (1, 5, 0.3), (2, 8, 3.0))]
    selfcheck.function("entropy_rate", entropy_rate, lambda P: markov_entropy(P)["rate"], cases, rtol=1e-6,
                       hint="weight the entropy of each row of P by the stationary probability of its state, "
                            "the left eigenvector of P for eigenvalue 1 (not the uniform distribution).")


def check_context_hypothesis(answer: Any, n_bytes: int = 32768) -> None:
    """Exercise check (section 3): is the hypothesis "on the first ``n_bytes`` of the documentation, the online
    context model of order 3 codes the text in fewer bits than that of order 2" true? The check computes both."""
    selfcheck.answered("answer", answer)
    text = documentation_text(n_bytes)
    two, three = (float(context_model_bits(text, k).sum()) for k in (2, 3))
    selfcheck.boolean("answer", answer, three < two,
                      why=f"order 2 spends {two / n_bytes:.3f} bits per byte and order 3 {three / n_bytes:.3f}: "
                          "a longer context has K times more counts to learn, and at this length most of the "
                          "order-3 contexts seen have been seen too few times to predict better than order 2.")
