import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dltheory import nets


def test_mlp_shapes_and_init_scale():
    params = nets.mlp_init(jax.random.key(0), [100, 400, 3], scale=2.0)
    assert [p["w"].shape for p in params] == [(100, 400), (400, 3)]
    assert np.std(params[0]["w"]) == pytest.approx(2.0 / 10.0, rel=0.05)
    out = nets.mlp_apply(params, jnp.ones((5, 100)), activation="tanh")
    assert out.shape == (5, 3)
    assert nets.count_params(params) == 100 * 400 + 400 + 400 * 3 + 3


def test_mlp_is_differentiable_and_vmappable():
    params = nets.mlp_init(jax.random.key(1), [2, 4, 1], bias=False)
    assert "b" not in params[0]
    g = jax.grad(lambda p: jnp.sum(nets.mlp_apply(p, jnp.ones((3, 2))) ** 2))(params)
    assert jax.tree_util.tree_structure(g) == jax.tree_util.tree_structure(params)
    batched = jax.vmap(lambda k: nets.mlp_init(k, [2, 4, 1]))(jax.random.split(jax.random.key(0), 5))
    assert batched[0]["w"].shape == (5, 2, 4)


def test_activations():
    x = jnp.array([-1.0, 2.0])
    assert np.allclose(nets.activation("quadratic")(x), [1.0, 4.0])
    assert np.allclose(nets.activation("relu")(x), [0.0, 2.0])
    assert nets.activation(jnp.sin) is jnp.sin
    with pytest.raises(ValueError, match="activation must be one of"):
        nets.activation("swishy")


def test_random_features():
    params = nets.random_features_init(jax.random.key(0), 5, 2000, kind="cos", scale=1.0)
    x = jax.random.normal(jax.random.key(1), (4, 5))
    phi = nets.random_features(params, x, kind="cos")
    assert phi.shape == (4, 2000)
    # random Fourier features approximate the Gaussian kernel exp(-|x-y|²/2)
    gram = phi @ phi.T
    d2 = jnp.sum((x[:, None] - x[None]) ** 2, -1)
    assert np.max(np.abs(gram - jnp.exp(-d2 / 2))) < 0.1
    relu = nets.random_features(nets.random_features_init(jax.random.key(0), 5, 10), x)
    assert relu.shape == (4, 10) and np.all(relu >= 0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: nets.mlp_init(jax.random.key(0), [3]), "sizes"),
        (lambda: nets.mlp_init(jax.random.key(0), [3, 0]), r"sizes\[1\]"),
        (lambda: nets.mlp_init(jax.random.key(0), 3), "sizes"),
        (lambda: nets.mlp_init(jax.random.key(0), [3, 2], scale=-1.0), "scale"),
        (lambda: nets.mlp_apply(nets.mlp_init(jax.random.key(0), [3, 2]), jnp.ones((1, 4))), "input features"),
        (lambda: nets.mlp_apply([], jnp.ones((1, 4))), "at least one layer"),
        (lambda: nets.random_features_init(jax.random.key(0), 0, 10), "d_in"),
        (lambda: nets.random_features_init(jax.random.key(0), 3, 10, kind="sine"), "kind"),
        (lambda: nets.random_features_init(jax.random.key(0), 3, 10, scale=0.0), "scale"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
