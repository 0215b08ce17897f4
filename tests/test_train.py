"""The training loop: shapes, determinism, vmapped hyper-parameters, validation."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from dltheory import nets, train

X = jax.random.normal(jax.random.key(0), (64, 3))
Y = X @ jnp.array([1.0, -2.0, 0.5])


def init(key, hp):
    return nets.mlp_init(key, [3, 8, 1])


def loss(params, batch, hp):
    x, y = batch
    return jnp.mean((nets.mlp_apply(params, x)[:, 0] - y) ** 2)


def evaluate(params, hp):
    return {"mse": loss(params, (X, Y), hp), "norm": jnp.sqrt(sum(jnp.sum(w**2) for w in jax.tree_util.tree_leaves(params)))}


def run(**kw):
    args = dict(init=init, loss=loss, optimizer=optax.adam(1e-2), steps=60, eval_every=20, seeds=[0, 1], data=(X, Y), evaluate=evaluate, progress=False)
    args.update(kw)
    return train.train(**args)


def test_shapes_and_learning():
    h = run()
    assert list(h.steps) == [0, 20, 40, 60]
    assert h["mse"].shape == (2, 1, 4) and h["train_loss"].shape == (2, 1, 4)
    assert np.all(h.final("mse") < h["mse"][:, :, 0])  # it learns
    assert jax.tree_util.tree_leaves(h.params)[0].shape[:2] == (2, 1)
    assert h.wall_time > 0


def test_same_seed_same_bits_and_different_seeds_differ():
    a, b = run(), run()
    assert np.array_equal(a["mse"], b["mse"])
    assert not np.allclose(a["mse"][0, 0, 1:], a["mse"][1, 0, 1:])


def test_vmapped_hparams_match_separate_runs():
    grid = train.grid(lr=[1e-3, 1e-2])
    h = run(optimizer=lambda hp: optax.sgd(hp["lr"]), hparams=grid)
    assert h["mse"].shape == (2, 2, 4)
    for i, lr in enumerate([1e-3, 1e-2]):
        single = run(optimizer=optax.sgd(lr))
        np.testing.assert_allclose(h["mse"][:, i], single["mse"][:, 0], rtol=1e-5, atol=1e-7)


def test_a_single_run_matches_the_same_run_among_several():
    # One run is not vmapped (train._over_runs); it must give what the same seed gives inside a sweep,
    # minibatches drawn from its key included.
    def draw(key, data):
        idx = jax.random.choice(key, data[0].shape[0], (16,), replace=False)
        return data[0][idx], data[1][idx]

    together = run(seeds=[3, 4], batch=draw)
    alone = run(seeds=[4], batch=draw)
    assert alone["mse"].shape == (1, 1, 4) and jax.tree_util.tree_leaves(alone.params)[0].shape[:2] == (1, 1)
    np.testing.assert_allclose(alone["mse"][0], together["mse"][1], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(alone["train_loss"][0], together["train_loss"][1], rtol=1e-5, atol=1e-7)
    assert not np.allclose(alone["mse"][0, 0, 1:], together["mse"][0, 0, 1:])


def test_minibatches_come_from_the_step_key():
    def draw(key, data):
        idx = jax.random.choice(key, data[0].shape[0], (16,), replace=False)
        return data[0][idx], data[1][idx]

    a, b = run(batch=draw), run(batch=draw)
    assert np.array_equal(a["train_loss"], b["train_loss"])
    assert not np.array_equal(a["train_loss"], run()["train_loss"])


def test_grid_is_a_cartesian_product():
    g = train.grid(a=[0, 1], b=[10, 20, 30])
    assert list(g["a"]) == [0, 0, 0, 1, 1, 1] and list(g["b"]) == [10, 20, 30] * 2
    with pytest.raises(ValueError, match="at least one axis"):
        train.grid()
    with pytest.raises(ValueError, match="finite"):
        train.grid(a=[np.nan])


def test_first_step():
    h = run()
    first = h.first_step("mse", float(np.max(h.final("mse"))) + 1e-9, above=False)
    assert first.shape == (2, 1) and np.all(np.isfinite(first))
    assert np.all(h.first_step("mse", -1.0, above=False) == np.inf)
    with pytest.raises(ValueError, match="no metric"):
        h.first_step("accuracy", 0.5)


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(steps=50), "multiple of eval_every"),
        (dict(steps=0), "steps"),
        (dict(eval_every=0), "eval_every"),
        (dict(seeds=[]), "seeds"),
        (dict(seeds=3), "seeds"),
        (dict(seeds=[1, 1]), "distinct"),
        (dict(seeds=[-1]), "seeds"),
        (dict(optimizer="adam"), "optimizer"),
        (dict(data=None), "data"),
        (dict(hparams={"a": [1, 2], "b": [1]}), "same length"),
        (dict(hparams={"a": [[1, 2]]}), "ndim"),
        (dict(init=3), "init"),
        (dict(evaluate=lambda p, hp: {"train_loss": 0.0}), "must not return 'train_loss'"),
    ],
)
def test_bad_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        run(**kw)
