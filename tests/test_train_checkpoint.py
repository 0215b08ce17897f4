"""train(..., checkpoint=...): a training killed mid-way resumes from its last chunk, with bit-identical results."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

# One small training, importable by the child processes below.
SCRIPT = textwrap.dedent("""
    import os, sys
    import jax, jax.numpy as jnp, numpy as np, optax
    from dltheory import train

    def run(lr=0.05, ident="test-checkpoint"):
        x = jax.random.normal(jax.random.key(0), (64, 3))
        y = x @ jnp.array([1.0, -2.0, 0.5])
        def init(key, hp):
            return {"w": jax.random.normal(key, (3,)) * hp["scale"]}
        def loss(params, batch, hp):
            xb, yb = batch
            return jnp.mean((xb @ params["w"] - yb) ** 2)
        def batch(key, data):
            idx = jax.random.randint(key, (16,), 0, 64)
            return data[0][idx], data[1][idx]
        return train.train(init, loss, optax.adam(lr), steps=60, eval_every=10, seeds=[0, 1], data=(x, y),
                           batch=batch, hparams={"scale": [0.5, 2.0]}, progress=False,
                           checkpoint={"name": ident, "lr": lr})

    if __name__ == "__main__":
        kill_after = int(sys.argv[1])
        if kill_after:
            original, saves = train._Checkpoint.save, []
            def save_then_die(self, state, records):
                original(self, state, records)
                saves.append(1)
                if len(saves) == kill_after:
                    os._exit(9)  # killed right after a checkpoint was written
            train._Checkpoint.save = save_then_die
        h = run()
        np.savez(sys.argv[2], w=h.params["w"], loss=h["train_loss"])
""")


@pytest.fixture
def env(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    return {**os.environ, "DLTHEORY_CACHE": str(tmp_path / "cache"), "DLTHEORY_CHECKPOINTS": "1",
            "DLTHEORY_CHECKPOINT_SECONDS": "0", "JAX_PLATFORMS": "cpu", "PYTHONPATH": str(tmp_path)}, script


def _job(env, script, kill_after, out):
    return subprocess.run([sys.executable, str(script), str(kill_after), str(out)], env=env, capture_output=True, text=True)


def _reference(env, script, tmp_path):
    plain = {**env, "DLTHEORY_CHECKPOINTS": "0"}
    assert _job(plain, script, 0, tmp_path / "ref.npz").returncode == 0
    return np.load(tmp_path / "ref.npz")


def test_killed_training_resumes_from_its_last_chunk_bit_identically(env, tmp_path):
    env, script = env
    ref = _reference(env, script, tmp_path)
    killed = _job(env, script, 3, tmp_path / "never.npz")
    assert killed.returncode == 9 and not (tmp_path / "never.npz").exists()
    resumed = _job(env, script, 0, tmp_path / "out.npz")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from step 30 of 60" in resumed.stderr
    out = np.load(tmp_path / "out.npz")
    np.testing.assert_array_equal(out["w"], ref["w"])
    np.testing.assert_array_equal(out["loss"], ref["loss"])
    # a finished training is read back, not recomputed
    again = _job(env, script, 0, tmp_path / "again.npz")
    assert "resuming from step 60 of 60" in again.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "again.npz")["w"], ref["w"])


def test_corrupt_checkpoint_is_rejected_and_recomputed(env, tmp_path):
    env, script = env
    ref = _reference(env, script, tmp_path)
    assert _job(env, script, 2, tmp_path / "never.npz").returncode == 9
    (path,) = (tmp_path / "cache").glob("train-*.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    out = _job(env, script, 0, tmp_path / "out.npz")
    assert out.returncode == 0 and "checkpoint rejected" in out.stderr and "resuming" not in out.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "out.npz")["w"], ref["w"])


def test_checkpoint_keys_separate_trainings_and_stay_off_in_fast_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("DLTHEORY_CACHE", str(tmp_path))
    monkeypatch.setenv("DLTHEORY_CHECKPOINTS", "1")
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "job_mod.py").write_text(SCRIPT)
    import job_mod

    a, b = job_mod.run(lr=0.05), job_mod.run(lr=0.01)
    assert len(list(tmp_path.glob("train-*.npz"))) == 2  # one file per training: no collision
    assert not np.array_equal(a.params["w"], b.params["w"])
    np.testing.assert_array_equal(job_mod.run(lr=0.05).params["w"], a.params["w"])  # read back

    from dltheory import train

    monkeypatch.delenv("DLTHEORY_CHECKPOINTS")
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    assert not train.checkpoints_enabled()
    monkeypatch.setenv("DLTHEORY_MODE", "full")
    assert train.checkpoints_enabled()
    monkeypatch.setenv("DLTHEORY_MODE", "fast")
    with pytest.raises(ValueError, match="checkpoint"):
        monkeypatch.setenv("DLTHEORY_CHECKPOINTS", "1")
        job_mod.run(ident=object())
