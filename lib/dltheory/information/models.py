"""Chapter 5, shared: the small fully connected ReLU network of §5.1 (the InfoNCE critic), §5.4 and §5.5.

Parameters are a list of ``{"w", "b"}`` layers with He-scaled Gaussian weights and zero biases; the last
layer is linear. Pure functions of an explicit PRNG key.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

__all__ = ["mlp_init", "mlp"]


def mlp_init(key: jax.Array, sizes: list[int]) -> list[dict[str, jax.Array]]:
    """Layers ``sizes[0] → sizes[1] → ... → sizes[-1]``: weights ``N(0, 2/fan_in)``, biases 0."""
    keys = jax.random.split(key, len(sizes) - 1)
    return [{"w": jax.random.normal(k, (a, b)) * jnp.sqrt(2.0 / a), "b": jnp.zeros(b)}
            for k, a, b in zip(keys, sizes[:-1], sizes[1:])]


def mlp(params: list[dict[str, jax.Array]], x: jax.Array) -> jax.Array:
    """ReLU hidden layers, linear output (logits or embeddings)."""
    for layer in params[:-1]:
        x = jax.nn.relu(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]
