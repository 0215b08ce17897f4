"""Sweeps shard their run axis over all devices: 4 forced CPU devices give the single-device results.

Equal to float32 rounding, not bit for bit: with another per-device batch of runs XLA may sum in
another order (seen: one unit in the last place). Bit-identity *within* one device count is tested
in test_train.py.
"""

import json
import os

import numpy as np
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json, jax, jax.numpy as jnp, optax
    from dltheory import nets, train
    X = jax.random.normal(jax.random.key(1), (32, 4)); Y = X @ jnp.arange(4.0)
    h = train.train(lambda k, hp: nets.mlp_init(k, [4, 8, 1]),
                    lambda p, b, hp: jnp.mean((nets.mlp_apply(p, b[0])[:, 0] - b[1]) ** 2),
                    lambda hp: optax.sgd(hp["lr"]), steps=40, eval_every=20, seeds=[0, 1, 2],
                    data=(X, Y), hparams=train.grid(lr=[0.01, 0.02]), progress=False)
    print(json.dumps({"devices": jax.device_count(), "loss": h["train_loss"].tolist()}))
    """
)


def run(n_devices):
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={n_devices}", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_four_devices_give_identical_results():
    one, four = run(1), run(4)
    assert one["devices"] == 1 and four["devices"] == 4
    np.testing.assert_allclose(four["loss"], one["loss"], rtol=1e-5, atol=0)  # 6 runs, padded to 8, sharded
