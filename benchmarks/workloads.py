"""The workloads of the benchmark report. Each returns a :class:`~benchmarks.harness.Row` or a list of them."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any
from unittest import mock

import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks.harness import CompileTimer, Row, measure, relative_spread
from dltheory import nets, train
from dltheory.grokking import data as gd
from dltheory.grokking import models as gm
from dltheory.grokking import training as gt


@dataclasses.dataclass(frozen=True)
class Size:
    """How big each workload is: ``tiny`` for the tests, ``standard`` for the report."""

    name: str
    repeats: int
    matmul_n: int
    sweep_k: int
    sweep_steps: int
    sweep_width: int
    # grokking transformer (Nanda et al. 2023): prime, widths, our chunk of steps, torch steps per repetition
    grok_p: int = 113
    grok_d_model: int = 128
    grok_heads: int = 4
    grok_d_mlp: int = 512
    grok_chunk: int = 50
    grok_chunks: int = 2
    grok_torch_steps: int = 10
    # SGNS on the Lee corpus: our Adam steps, gensim epochs, seeds
    sgns_steps: int = 2000
    sgns_epochs: int = 20
    sgns_seeds: int = 3
    # chapter 2 sweeps (the book's fast configurations; ridge_n only in tiny): samples, seeds, random-features grid
    ridge_n: int = 200
    ridge_reps: int = 100
    ridge_seeds: int = 1
    rf_grid: int = 49
    rf_seeds: int = 1
    # the book's own sweep (§ 3.1): steps of the fast grokking configuration (None: the page's), seeds
    grok_sweep_steps: int | None = None
    grok_sweep_seeds: int = 3

    @classmethod
    def tiny(cls) -> Size:
        return cls("tiny", repeats=1, matmul_n=128, sweep_k=2, sweep_steps=20, sweep_width=16,
                   grok_p=11, grok_d_model=16, grok_heads=2, grok_d_mlp=32, grok_chunk=5, grok_chunks=1,
                   grok_torch_steps=2, sgns_steps=20, sgns_epochs=1, sgns_seeds=1,
                   ridge_n=20, ridge_reps=3, ridge_seeds=1, rf_grid=4, rf_seeds=1, grok_sweep_steps=20,
                   grok_sweep_seeds=2)

    @classmethod
    def standard(cls) -> Size:
        return cls("standard", repeats=5, matmul_n=2048, sweep_k=8, sweep_steps=2000, sweep_width=256)


def matmul_peak(size: Size) -> float:
    """Float32 matrix-multiply throughput of this machine, in FLOP/s: the best repetition of square
    products of sides ``matmul_n``, ``matmul_n / 2`` and ``matmul_n / 4`` (the largest is not always the
    fastest: on a 2-core CPU, 512 and 1024 beat 2048)."""
    f = jax.jit(lambda x, y: x @ y)
    best = 0.0
    for n in (size.matmul_n // 4, size.matmul_n // 2, size.matmul_n):
        a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
        b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
        m = measure(lambda: f(a, b), repeats=max(size.repeats, 3))
        best = max(best, 2 * n**3 / min(m.times))
    return best


def sweep_vmap_vs_loop(size: Size) -> Row:
    """K seeds of an MLP regression in one vmapped program, against K separate runs of the same loop."""
    x = jax.random.normal(jax.random.key(0), (512, 32))
    y = jnp.sin(x @ jax.random.normal(jax.random.key(1), (32,)))
    width = size.sweep_width

    def init(key, hp):
        return nets.mlp_init(key, [32, width, width, 1])

    def loss(params, batch, hp):
        return jnp.mean((nets.mlp_apply(params, batch[0])[:, 0] - batch[1]) ** 2)

    def run(seeds):
        return train.train(init, loss, optax.adam(1e-3), steps=size.sweep_steps, eval_every=size.sweep_steps,
                           seeds=seeds, data=(x, y), progress=False)["train_loss"]

    seeds = list(range(size.sweep_k))
    together = measure(lambda: run(seeds), repeats=size.repeats)
    separate = measure(lambda: [run([s]) for s in seeds], repeats=size.repeats)
    params = nets.count_params(init(jax.random.key(0), {}))
    flops = 6 * params * x.shape[0] * size.sweep_steps * size.sweep_k  # forward + backward ≈ 6 · params · examples
    return Row(
        workload=f"sweep: {size.sweep_k} seeds vmapped vs {size.sweep_k} separate runs (MLP 32-{width}-{width}-1, {size.sweep_steps} full-batch steps)",
        unit="runs/s",
        ours=size.sweep_k / together.median,
        reference=size.sweep_k / separate.median,
        reference_name="separate runs",
        ours_spread=relative_spread(together),
        reference_spread=relative_spread(separate),
        target="cost ≤ 0.5·K× one run",
        useful_flops_per_s=flops / together.median,
        note=f"vmapped cost = {together.median / (separate.median / size.sweep_k):.2f}× one run",
    )




def sweep_book(size: Size) -> Row:
    """The sweep of § 3.1 as the page runs it: seeds × two weight decays in one
    :func:`dltheory.grokking.training.run`, against one call per seed and weight decay. Both sides include
    what a reader waits for (each call traces and compiles, or reads the program back from the persistent
    cache)."""
    cfg = gm.GrokConfig.fast()
    if size.grok_sweep_steps is not None:
        cfg = dataclasses.replace(cfg, steps=size.grok_sweep_steps, eval_every=size.grok_sweep_steps // 2)
    seeds = list(range(size.grok_sweep_seeds))
    decays = [cfg.weight_decay, 0.0]
    k = len(seeds) * len(decays)
    repeats = max(1, min(size.repeats, 3))
    results: dict[str, Any] = {}

    def together() -> Any:
        results["together"] = gt.run(cfg, seeds, hparams={"weight_decay": decays}, desc="sweep")
        return results["together"].final_params

    def separate() -> Any:
        results["separate"] = {(s, wd): gt.run(cfg, [s], hparams={"weight_decay": [wd]}, desc="one run")
                               for s in seeds for wd in decays}
        return [r.final_params for r in results["separate"].values()]

    with mock.patch.dict(os.environ, {"DLTHEORY_PROGRESS": "0"}):
        joint, alone = measure(together, repeats=repeats), measure(separate, repeats=repeats)
    final = results["together"].test_acc[:, :, -1]
    gap = max(abs(float(final[i, j]) - float(results["separate"][(s, wd)].test_acc[0, 0, -1]))
              for i, s in enumerate(seeds) for j, wd in enumerate(decays))
    return Row(
        workload=(f"the book's sweep (§ 3.1, fast mode: MLP on p = {cfg.p}, {cfg.steps} full-batch AdamW steps): "
                  f"{len(seeds)} seeds × weight decay {decays} in one grokking.training.run vs {k} separate calls"),
        unit="runs/s",
        ours=k / joint.median,
        reference=k / alone.median,
        reference_name="one grokking.training.run call per seed and weight decay",
        ours_spread=relative_spread(joint),
        reference_spread=relative_spread(alone),
        target="cost ≤ 0.5·K× one run",
        note=(f"vmapped cost = {joint.median / (alone.median / k):.2f}× one run (K = {k}); final test accuracy of "
              f"the two sides differs by at most {gap:.3f} (vmapped and single-run programs round differently)"),
        details={"k": k, "max_final_test_acc_gap": gap},
    )


# --------------------------------------------------------------------------- 1. grokking transformer


def threads() -> int:
    """The CPU cores this process may use: XLA uses them all; the references are given as many."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def torch_available() -> tuple[bool, str]:
    """Whether PyTorch can be imported, and why not."""
    try:
        import torch  # noqa: F401
    except ImportError as err:
        return False, f"PyTorch is not installed ({err}); `make bench` installs benchmarks/requirements.txt"
    return True, ""


def grok_config(size: Size) -> gm.GrokConfig:
    """The configuration of Nanda et al. (2023) at the benchmark's size: 30% of the pairs, full batch, AdamW."""
    return gm.GrokConfig(p=size.grok_p, model="transformer", d_model=size.grok_d_model, n_heads=size.grok_heads,
                               d_hidden=size.grok_d_mlp, train_frac=0.3, lr=1e-3, weight_decay=1.0, beta1=0.9,
                               beta2=0.98, warmup=0, batch_size=None, steps=size.grok_chunk, eval_every=size.grok_chunk)


def grok_data(cfg: gm.GrokConfig, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The training pairs as tokens ``(a, b, =)`` of shape ``(n_train, 3)`` and their labels ``(a + b) mod p``."""
    table = gd.modular_addition(cfg.p)
    idx = np.random.default_rng(seed).permutation(cfg.n_pairs)[: cfg.n_train]
    tokens = np.stack([table["a"][idx], table["b"][idx], np.full(idx.size, cfg.p, np.int32)], axis=1)
    return tokens.astype(np.int32), table["c"][idx].astype(np.int32)


def grok_loss(params, data, hp=None):  # noqa: ANN001, ANN201 - the signature of train.train's loss
    """Mean cross-entropy of the last position's logits (ours: :func:`dltheory.nets.transformer_apply`)."""
    tokens, labels = data
    return optax.softmax_cross_entropy_with_integer_labels(nets.transformer_apply(params, tokens), labels).mean()


def grok_optimizer(cfg: gm.GrokConfig) -> optax.GradientTransformation:
    return optax.adamw(cfg.lr, b1=cfg.beta1, b2=cfg.beta2, weight_decay=cfg.weight_decay)


def grok_flops(cfg: gm.GrokConfig, *, reduced: bool) -> float:
    """Matrix-multiply FLOPs of one full-batch training step (forward + backward ≈ 3 × forward).

    ``reduced``: the work of :func:`dltheory.nets.transformer_apply`, which is what counts as *useful*:
    the keys and values of the vocabulary (``p + 1`` tokens) and of the 3 positions, once per step;
    per example, the query, the attention output, the MLP and the unembedding of the last position.
    Otherwise: the paper's code, which projects every position and runs all of them through the model.
    """
    n, d, m, p = 3, cfg.d_model, cfg.d_hidden, cfg.p
    per_position = 2 * d * d + 2 * d * d + 2 * (2 * n * d) + 2 * d * m * 2 + 2 * d * p  # query, W_O, attention, MLP, unembedding
    kv_per_token = 2 * (2 * d * d)  # key and value projections of one token
    if reduced:
        once = kv_per_token * (p + 1 + n)  # the tables of the vocabulary and of the positions
        return 3.0 * (once + cfg.n_train * per_position)
    return 3.0 * cfg.n_train * n * (kv_per_token + per_position)


def grok_train_ours(cfg: gm.GrokConfig, data: tuple[np.ndarray, np.ndarray], steps: int) -> train.History:
    """``steps`` full-batch AdamW steps of our transformer through :func:`dltheory.train.train` (one seed)."""
    return train.train(lambda key, hp: gm.init_model(key, cfg), grok_loss, grok_optimizer(cfg), steps=steps,
                       eval_every=cfg.eval_every, seeds=[0], data=(jnp.asarray(data[0]), jnp.asarray(data[1])),
                       progress=False)


def run_minus_compile(fn: Any, repeats: int) -> tuple[list[float], list[float]]:
    """Wall seconds of ``fn()`` without JAX's compilation, and the compilation seconds, per repetition.

    Every call of ``train.train`` compiles its program again (see ``book/performance.md``); JAX's own
    monitoring events time the tracing, lowering and compiling, which are subtracted.
    """
    run_s, compile_s = [], []
    for _ in range(repeats):
        with CompileTimer() as ct:
            t0 = time.perf_counter()
            jax.block_until_ready(fn())
            wall = time.perf_counter() - t0
        run_s.append(max(wall - ct.seconds, 1e-9))
        compile_s.append(ct.seconds)
    return run_s, compile_s


def grokking_transformer(size: Size) -> list[Row]:
    """Full-batch AdamW steps per second: ours against two PyTorch eager references (full and reduced work)."""
    from dltheory.runtime import Timing

    cfg = grok_config(size)
    data = grok_data(cfg)
    steps = cfg.eval_every * size.grok_chunks
    run_s, compile_s = run_minus_compile(lambda: grok_train_ours(cfg, data, steps).params, min(size.repeats, 3))
    ours = Timing(tuple(t / steps for t in run_s))
    useful = grok_flops(cfg, reduced=True)
    title = (f"grokking transformer, Nanda et al. config (p = {cfg.p}, d_model {cfg.d_model}, {cfg.n_heads} heads, "
             f"d_mlp {cfg.d_hidden}, {cfg.n_train} training pairs full batch, AdamW, float32)")
    ok, why = torch_available()
    compile_note = f"ours: compilation {np.median(compile_s):.1f} s per train.train call, not in steps/s"
    if not ok:
        return [Row(workload=title, unit="steps/s", ours=1 / ours.median, reference=None,
                    reference_name=f"PyTorch skipped: {why}", ours_spread=relative_spread(ours), reference_spread=None,
                    target="≥ 10× (a), ≥ 2× (b), ≥ 50% of peak", useful_flops_per_s=useful / ours.median,
                    note=compile_note)]
    import torch

    from benchmarks import grokking_torch

    params = jax.device_get(jax.jit(gm.init_model, static_argnums=1)(jax.random.key(0), cfg))
    rows = []
    for kind, label, target in (("full", "(a) PyTorch eager, every position (the paper's code)", "≥ 10×"),
                                ("last", "(b) PyTorch eager, last position only (our reduced work)", "≥ 2×")):
        # PyTorch's threads can wait for each other on a busy machine (measured: 2 threads 40× slower than one
        # on a tiny model, 2 busy cores): the reference gets the better of one thread and all cores.
        per_threads = {}
        for n_threads in sorted({1, threads()}):
            torch.set_num_threads(n_threads)
            model = grokking_torch.from_jax(kind, params)
            run = grokking_torch.trainer(model, data[0], data[1], lr=cfg.lr, weight_decay=cfg.weight_decay,
                                         betas=(cfg.beta1, cfg.beta2))
            ref = measure(lambda: run(size.grok_torch_steps), repeats=max(1, min(size.repeats, 3)))
            per_threads[n_threads] = Timing(tuple(t / size.grok_torch_steps for t in ref.times))
        best = min(per_threads, key=lambda k: per_threads[k].median)
        ref_step = per_threads[best]
        rows.append(Row(
            workload=f"{title} vs {label}",
            unit="steps/s",
            ours=1 / ours.median,
            reference=1 / ref_step.median,
            reference_name=f"{label}, torch {torch.__version__}, {best} thread{'s' if best > 1 else ''}",
            ours_spread=relative_spread(ours),
            reference_spread=relative_spread(ref_step),
            target=f"{target}; ≥ 50% of peak",
            useful_flops_per_s=useful / ours.median,
            note=(compile_note + f"; reference's useful FLOPs at {useful / ref_step.median / 1e9:.2f} GFLOP/s"
                  + (f" (it computes {grok_flops(cfg, reduced=False) / useful:.2f}× the useful FLOPs)" if kind == "full" else "")
                  + "; reference: the faster of " + ", ".join(f"{k} thread(s) {1 / v.median:.3g} steps/s"
                                                            for k, v in per_threads.items())),
            details={"reference_steps_per_s_by_threads": {str(k): 1 / v.median for k, v in per_threads.items()},
                     "compile_s": float(np.median(compile_s)), "ours_threads": threads()},
        ))
    return rows


# --------------------------------------------------------------------------- 3. SGNS word2vec against gensim


def sgns_config(size: Size):  # noqa: ANN201
    """The settings of § 4.7 (chapters/04-embedding-geometry/07-real-text.md), with the benchmark's step count."""
    from dltheory.embeddings import sgns

    return sgns.SGNSConfig(dim=50, negatives=5, noise_power=0.75, window=5, batch=4096, steps=size.sgns_steps, lr=0.01)


def sgns_step_bound(cfg: Any, vocab_size: int, n_seeds: int, repeats: int) -> dict[str, float]:
    """What bounds one SGNS step (§ 4.7): the step of ``sgns.train_sgns`` on fixed indices (the loss, its gradient
    and Adam on both padded tables, vmapped over ``n_seeds``), timed alone; the bytes XLA's cost analysis says it
    accesses; and this machine's streaming memory bandwidth, timed in the same run on a jitted ``2 x`` over 64 MiB.
    Returns ``step_s``, ``bytes`` and ``bandwidth`` (bytes/s) and ``bound_s = bytes / bandwidth``."""
    from dltheory.embeddings import sgns

    d, B, k, V = -(-cfg.dim // 8) * 8, cfg.batch, cfg.negatives, vocab_size
    keys = jax.random.split(jax.random.key(0), 4)
    params = {n: 0.01 * jax.random.normal(kk, (n_seeds, V, d)) for n, kk in zip("wc", keys[:2])}
    idx = (jax.random.randint(keys[2], (n_seeds, B), 0, V), jax.random.randint(keys[3], (n_seeds, B), 0, V),
           jax.random.randint(keys[3], (n_seeds, B, k), 0, V))
    opt = optax.adam(cfg.lr)
    state = jax.vmap(opt.init)(params)

    def one(p, s, batch):  # noqa: ANN001, ANN202
        g = jax.grad(sgns._sgns_loss)(p, batch)
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s

    step = jax.jit(jax.vmap(one))
    cost = step.lower(params, state, idx).compile().cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    step_t = measure(lambda: step(params, state, idx), repeats=max(repeats, 5))
    x = jnp.ones(1 << 24, jnp.float32)  # 64 MiB read, 64 MiB written
    double = jax.jit(lambda x: 2 * x)
    copy_t = measure(lambda: double(x), repeats=max(repeats, 5))
    bandwidth = 2 * x.nbytes / min(copy_t.times)
    moved = float(cost.get("bytes accessed", float("nan")))
    return {"step_s": float(np.median(step_t.times)), "bytes": moved, "bandwidth": bandwidth,
            "bound_s": moved / bandwidth}


def sgns_vs_gensim(size: Size) -> Row:
    """(Centre, context) pairs per second and accuracy of our SGNS (all seeds in one vmapped program) against
    gensim's Word2Vec on the same pairs (fixed window, ``shrink_windows=False``), and the step's memory bound."""
    from gensim.models import Word2Vec

    from dltheory.embeddings import real_text, sgns

    vocab, tokens, sentences = real_text.real_corpus(min_count=5)
    cfg = sgns_config(size)
    seeds = list(range(60, 60 + size.sgns_seeds))
    n_threads = threads()
    repeats = min(size.repeats, 3)
    # Pairs, the unit of work of both: ours draws `batch` pairs a step; gensim with the same fixed window trains
    # every pair within the window of each sentence (real_text.window_pairs), as on the page of § 4.7.
    our_pairs = len(seeds) * cfg.steps * cfg.batch
    their_pairs = len(seeds) * size.sgns_epochs * real_text.window_pairs(sentences, cfg.window)
    hists = []
    ours_t, compile_s = run_minus_compile(
        lambda: hists.append(sgns.train_sgns(tokens, len(vocab), cfg, seeds, progress=False)) or hists[-1].params,
        repeats)
    ours_acc = [real_text.evaluate_real(hists[-1].params["w"][i, 0], vocab) for i in range(len(seeds))]

    def gensim_runs(workers: int, evaluate: bool) -> tuple[list[float], list[dict[str, float]]]:
        times, models = [], []
        for _ in range(repeats):
            t0, models = time.perf_counter(), []
            for s in seeds:
                models.append(Word2Vec(sentences, sg=1, negative=cfg.negatives, window=cfg.window, vector_size=cfg.dim,
                                       min_count=1, sample=0, ns_exponent=cfg.noise_power, epochs=size.sgns_epochs,
                                       workers=workers, seed=s, shrink_windows=False))
            times.append(time.perf_counter() - t0)
        acc = [real_text.evaluate_real(m.wv.vectors, m.wv.index_to_key) for m in models] if evaluate else []
        return times, acc

    theirs_t, theirs_acc = gensim_runs(n_threads, True)
    one_t, _ = gensim_runs(1, False) if n_threads > 1 else (theirs_t, theirs_acc)
    bound = sgns_step_bound(cfg, len(vocab), len(seeds), repeats)
    from dltheory.runtime import Timing

    ours, theirs, one = Timing(tuple(ours_t)), Timing(tuple(theirs_t)), Timing(tuple(one_t))

    def med(results: list[dict[str, float]], key: str) -> float:
        return float(np.median([r[key] for r in results]))

    acc = {name: {k: med(res, k) for k in ("wordsim353", "analogy_accuracy")}
           for name, res in (("ours", ours_acc), ("gensim", theirs_acc))}
    import gensim

    return Row(
        workload=(f"SGNS word2vec on the Lee corpus ({tokens.size:,} words, vocabulary {len(vocab):,}; dim {cfg.dim}, window "
                  f"{cfg.window} fixed on both sides, {cfg.negatives} negatives, α = {cfg.noise_power}, no subsampling; "
                  f"{len(seeds)} seeds): {cfg.steps} Adam steps of {cfg.batch} pairs vs {size.sgns_epochs} epochs"),
        unit="pairs/s",
        ours=our_pairs / ours.median,
        reference=their_pairs / theirs.median,
        reference_name=f"gensim {gensim.__version__} Word2Vec (shrink_windows=False), {n_threads} worker threads",
        ours_spread=relative_spread(ours),
        reference_spread=relative_spread(theirs),
        target="≥ 1× in pairs/s at equal accuracy",
        note=(f"WordSim-353 ρ ours {acc['ours']['wordsim353']:.3f} vs gensim {acc['gensim']['wordsim353']:.3f}; "
              f"analogy accuracy ours {acc['ours']['analogy_accuracy']:.3f} vs gensim {acc['gensim']['analogy_accuracy']:.3f} "
              f"(medians over seeds); ours: XLA on {n_threads} cores, all seeds in one vmapped program, compilation "
              f"({np.median(compile_s):.1f} s) not counted, with it {our_pairs / (ours.median + np.median(compile_s)):,.0f} "
              f"pairs/s; gensim with 1 worker: {their_pairs / one.median:,.0f} pairs/s. Bound: one step of "
              f"{len(seeds)} seeds alone {1e3 * bound['step_s']:.1f} ms; XLA's cost analysis counts "
              f"{bound['bytes'] / 1e6:.0f} MB accessed a step, {1e3 * bound['bound_s']:.1f} ms at this run's streaming "
              f"bandwidth of {bound['bandwidth'] / 1e9:.1f} GB/s"),
        details={"accuracy": acc, "threads": n_threads, "compile_s": float(np.median(compile_s)),
                 "gensim_1_worker_pairs_per_s": their_pairs / one.median, "step_bound": bound},
    )


# --------------------------------------------------------------------------- 4. chapter 2 sweeps against plain loops


def _ridge_loop(seed: int, n: int, p: int, lams: list[float], *, sigma: float, r: float, reps: int) -> np.ndarray:
    """The obvious loop: the same draws as ``overfitting.ridgeless.simulate_ridge``, one fit per sample and penalty
    (``numpy.linalg.pinv`` for λ = 0, scikit-learn's ``Ridge`` with ``alpha = nλ`` otherwise)."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((reps, n, p))
    beta = rng.standard_normal((reps, p))
    beta *= r / np.linalg.norm(beta, axis=1, keepdims=True)
    y = (x @ beta[..., None])[..., 0] + sigma * rng.standard_normal((reps, n))
    out = np.empty((reps, len(lams)))
    for i in range(reps):
        for j, lam in enumerate(lams):
            if lam == 0:
                beta_hat = np.linalg.pinv(x[i]) @ y[i]
            else:
                beta_hat = Ridge(alpha=n * lam, fit_intercept=False).fit(x[i], y[i]).coef_
            out[i, j] = np.sum((beta_hat - beta[i]) ** 2)
    return out


def _compare(name: str, ours: np.ndarray, ref: np.ndarray, rtol: float) -> float:
    """The largest relative difference; raises if our sweep and the loop disagree (the results must be equal)."""
    diff = float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-12)))
    if not np.isfinite(diff) or diff > rtol:
        raise AssertionError(f"{name}: our sweep and the reference loop differ by {diff:.2e} (relative) > {rtol:g}")
    return diff


def ridge_sweeps(size: Size) -> list[Row]:
    """Chapter 2's ridgeless, sample-wise and random-features sweeps against one fit per setting."""
    from threadpoolctl import threadpool_limits

    from dltheory.overfitting import common, optimal_ridge, random_features, ridgeless
    from dltheory.runtime import Timing

    tiny = size.name == "tiny"
    rcfg = (ridgeless.RidgelessConfig(n=size.ridge_n, gammas=(0.5, 2.0), reps=size.ridge_reps, n_seeds=size.ridge_seeds)
            if tiny
            else dataclasses.replace(ridgeless.RidgelessConfig.fast(), reps=size.ridge_reps, n_seeds=size.ridge_seeds))
    scfg = (optimal_ridge.SamplewiseConfig(p=10, ns=(5, 20), reps=size.ridge_reps, n_seeds=size.ridge_seeds) if tiny
            else dataclasses.replace(optimal_ridge.SamplewiseConfig.fast(), n_seeds=size.ridge_seeds))
    grid = tuple(sorted({int(round(10 * 2 ** (k / 6))) for k in range(size.rf_grid)}))
    fcfg = dataclasses.replace(random_features.RFConfig.fast(), n_features=grid, n_seeds=size.rf_seeds)
    if tiny:
        fcfg = dataclasses.replace(fcfg, ns=(50,), noises=(0.2,))
    rseeds, sseeds, fseeds = (list(range(c.n_seeds)) for c in (rcfg, scfg, fcfg))

    def ridgeless_ref() -> np.ndarray:
        ps = [max(1, round(g * rcfg.n)) for g in rcfg.gammas]
        return np.array([[_ridge_loop(s * 1000 + i, rcfg.n, p, [0.0], sigma=rcfg.sigma, r=rcfg.r, reps=rcfg.reps).mean()
                          for i, p in enumerate(ps)] for s in rseeds])

    def samplewise_ref() -> np.ndarray:
        lam = optimal_ridge.optimal_ridge(scfg.p / np.array(scfg.ns, dtype=float), sigma=scfg.sigma, r=scfg.r)
        return np.array([[_ridge_loop(s * 1000 + i, n, scfg.p, [0.0, float(lam[i])], sigma=scfg.sigma, r=scfg.r,
                                      reps=scfg.reps).mean(0) for i, n in enumerate(scfg.ns)] for s in sseeds])

    def rf_ref() -> np.ndarray:
        from sklearn.linear_model import LinearRegression

        x, y = common.load_digits()
        grid_a = np.array(fcfg.n_features)
        mse = np.zeros((len(fseeds), len(fcfg.ns), len(fcfg.noises), grid_a.size))
        for a, seed in enumerate(fseeds):
            rng = np.random.default_rng(seed)
            order = rng.permutation(len(x))
            test = order[1000:]
            w = rng.standard_normal((x.shape[1], grid_a.max())) / np.sqrt(x.shape[1])
            y_test = np.eye(10)[y[test]]
            for b, n in enumerate(fcfg.ns):
                train_idx = order[:n]
                for c, noise in enumerate(fcfg.noises):
                    targets = np.eye(10)[random_features.noisy_labels(rng, y[train_idx], noise)]
                    for i, width in enumerate(grid_a):
                        feats = lambda z: np.maximum(z @ w[:, :width], 0.0) / np.sqrt(width)  # noqa: E731
                        model = LinearRegression(fit_intercept=False).fit(feats(x[train_idx]), targets)
                        mse[a, b, c, i] = np.mean(np.sum((model.predict(feats(x[test])) - y_test) ** 2, axis=1))
        return mse

    cases = [
        (f"ridgeless risk across γ = p/n (n = {rcfg.n}, {len(rcfg.gammas)} values of γ, {rcfg.reps} samples, "
         f"{len(rseeds)} seeds): overfitting.ridgeless.ridgeless_experiment",
         lambda: ridgeless.ridgeless_experiment(rcfg, rseeds).risk, ridgeless_ref, "one numpy.linalg.pinv per sample",
         1e-6),
        (f"ridgeless + tuned ridge across n (p = {scfg.p}, {len(scfg.ns)} values of n, {scfg.reps} samples, "
         f"{len(sseeds)} seeds): overfitting.optimal_ridge.samplewise_experiment",
         lambda: np.stack([(r := optimal_ridge.samplewise_experiment(scfg, sseeds)).ridgeless, r.tuned], -1),
         samplewise_ref,
         "one pinv / scikit-learn Ridge fit per sample and penalty", 1e-6),
        (f"random-features double descent on digits ({len(grid)} widths up to {max(grid)}, n ∈ {fcfg.ns}, "
         f"noise ∈ {fcfg.noises}, {len(fseeds)} seeds): overfitting.random_features.rf_experiment",
         lambda: random_features.rf_experiment(fcfg, fseeds).test_mse, rf_ref,
         "one scikit-learn LinearRegression (min-norm) per width",
         1e-5),
    ]
    rows = []
    repeats = min(size.repeats, 3)

    def timed(fn: Any) -> tuple[Any, float]:
        t0 = time.perf_counter()
        out = fn()
        return out, time.perf_counter() - t0

    for title, ours_fn, ref_fn, ref_name, rtol in cases:
        with threadpool_limits(limits=1, user_api="blas"):  # ours runs on one BLAS thread; so does the loop
            (ours_out, t_ours), (ref_out, t_ref) = timed(ours_fn), timed(ref_fn)  # the checked run is timed too
            diff = _compare(title, np.asarray(ours_out), np.asarray(ref_out), rtol)
            more = [(timed(ours_fn)[1], timed(ref_fn)[1]) for _ in range(repeats - 1)]
        ours = Timing((t_ours, *(a for a, _ in more)))
        ref = Timing((t_ref, *(b for _, b in more)))
        rows.append(Row(workload=title, unit="sweeps/s", ours=1 / ours.median, reference=1 / ref.median,
                        reference_name=ref_name, ours_spread=relative_spread(ours), reference_spread=relative_spread(ref),
                        target="equal results, faster",
                        note=f"results equal to {diff:.1e} (relative); 1 BLAS thread for both",
                        details={"max_relative_difference": diff}))
    return rows


WORKLOADS = [sweep_vmap_vs_loop, sweep_book, grokking_transformer, sgns_vs_gensim, ridge_sweeps]
