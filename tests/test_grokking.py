"""Tests of dltheory.grokking (Chapter 3) and of the one-layer transformer in dltheory.nets."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from dltheory import grokking as g
from dltheory import nets, selfcheck

# --------------------------------------------------------------------------- the transformer


def _tiny_transformer(seed: int = 0) -> dict:
    return nets.transformer_init(jax.random.key(seed), vocab=12, n_ctx=3, d_model=16, n_heads=4, d_mlp=32, d_out=11)


def test_reduced_transformer_equals_all_positions_model_on_last_position():
    params = _tiny_transformer()
    tokens = jax.random.randint(jax.random.key(1), (64, 3), 0, 12)
    reduced = nets.transformer_apply(params, tokens)
    full = nets.transformer_apply_all(params, tokens)
    assert reduced.shape == (64, 11) and full.shape == (64, 3, 11)
    np.testing.assert_allclose(reduced, full[:, -1], rtol=1e-5, atol=1e-5)
    # ... and the earlier positions really differ (the test would pass vacuously for a constant model).
    assert not np.allclose(full[:, 0], full[:, -1], atol=1e-3)


def test_transformer_last_position_is_causal_in_nothing_but_sees_every_token():
    params = _tiny_transformer()
    tokens = jnp.array([[1, 2, 11], [3, 2, 11]])
    out = nets.transformer_apply(params, tokens)
    assert not np.allclose(out[0], out[1])  # changing the first token changes the last position's logits
    # the all-positions model is causal: position 0 does not see position 1
    full = nets.transformer_apply_all(params, jnp.array([[1, 2, 11], [1, 5, 11]]))
    np.testing.assert_allclose(full[0, 0], full[1, 0], rtol=1e-6)


def test_transformer_shapes_and_param_count():
    params = nets.transformer_init(jax.random.key(0), vocab=114, n_ctx=3, d_model=128, n_heads=4, d_mlp=512, d_out=113)
    # Nanda et al.'s model: embeddings, position, 4 attention matrices, MLP with biases, unembedding.
    expected = 114 * 128 + 3 * 128 + 4 * 128 * 128 + 128 * 512 + 512 + 512 * 128 + 128 + 128 * 113
    assert nets.count_params(params) == expected


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(vocab=0), "vocab"),
        (dict(n_ctx=0), "n_ctx"),
        (dict(d_model=10, n_heads=4), "d_model"),
        (dict(d_mlp=-1), "d_mlp"),
        (dict(d_out=0), "d_out"),
    ],
)
def test_transformer_init_bad_input(kwargs, name):
    base = dict(vocab=12, n_ctx=3, d_model=16, n_heads=4, d_mlp=32)
    with pytest.raises(ValueError, match=name):
        nets.transformer_init(jax.random.key(0), **(base | kwargs))


def test_transformer_apply_bad_tokens():
    params = _tiny_transformer()
    with pytest.raises(ValueError, match="tokens"):
        nets.transformer_apply(params, jnp.zeros((4, 5), jnp.int32))
    with pytest.raises(ValueError, match="tokens"):
        nets.transformer_apply(params, jnp.zeros((4,), jnp.int32))
    with pytest.raises(ValueError, match="tokens"):
        nets.transformer_apply_all(params, jnp.zeros((4, 3), jnp.float32))
