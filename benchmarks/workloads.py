"""The workloads of the benchmark report. Each returns a :class:`~benchmarks.harness.Row`."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks.harness import Row, measure, relative_spread
from dltheory import nets, train


@dataclasses.dataclass(frozen=True)
class Size:
    """How big each workload is: ``tiny`` for the tests, ``standard`` for the report."""

    name: str
    repeats: int
    matmul_n: int
    sweep_k: int
    sweep_steps: int
    sweep_width: int

    @classmethod
    def tiny(cls) -> Size:
        return cls("tiny", repeats=1, matmul_n=128, sweep_k=2, sweep_steps=20, sweep_width=16)

    @classmethod
    def standard(cls) -> Size:
        return cls("standard", repeats=5, matmul_n=2048, sweep_k=8, sweep_steps=2000, sweep_width=256)


def matmul_peak(size: Size) -> float:
    """Float32 matrix-multiply throughput of this machine, in FLOP/s (the best of the repetitions)."""
    n = size.matmul_n
    a = jax.random.normal(jax.random.key(0), (n, n), jnp.float32)
    b = jax.random.normal(jax.random.key(1), (n, n), jnp.float32)
    f = jax.jit(lambda x, y: x @ y)
    m = measure(lambda: f(a, b), repeats=max(size.repeats, 3))
    return 2 * n**3 / min(m.times)


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


WORKLOADS = [sweep_vmap_vs_loop]
