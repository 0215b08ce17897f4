"""The few models the book needs, as pure functions over parameter pytrees.

Introduced in *How to read this book* (``book/how-to-read``); used in every chapter.

* ``mlp_init`` / ``mlp_apply``: a fully connected network. Weights are drawn as
  ``N(0, scale² / fan_in)`` (LeCun scaling; ``scale = √2`` is He's choice for ReLU).
* ``random_features_init`` / ``random_features``: a fixed random first layer
  ``φ(x) = σ(W x + b) / √N`` with N features, the model of Rahimi and Recht (2007) and of the
  random-features analyses of double descent (Mei and Montanari 2022) and scaling (Maloney et al. 2022).
* ``transformer_init`` / ``transformer_apply``: the one-layer, attention-plus-MLP transformer of
  Nanda et al. (2023) used for grokking (Chapter 3), computing only what the last position's output
  needs; ``transformer_apply_all`` is the same model at every position, kept as the reference.
* ``count_params``: the number of scalars in a parameter pytree.

Parameters are plain dicts and lists of ``jax.Array``, so they vmap, jit and differentiate freely.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from dltheory import validate

__all__ = [
    "ACTIVATIONS",
    "activation",
    "mlp_init",
    "mlp_apply",
    "random_features_init",
    "random_features",
    "count_params",
    "transformer_init",
    "transformer_apply",
    "transformer_apply_all",
]


def _quadratic(x: jax.Array) -> jax.Array:
    return x * x


ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "gelu": jax.nn.gelu,
    "sigmoid": jax.nn.sigmoid,
    "quadratic": _quadratic,
    "identity": lambda x: x,
    "cos": jnp.cos,
}


def activation(name: str | Callable[[jax.Array], jax.Array]) -> Callable[[jax.Array], jax.Array]:
    """The activation function called ``name`` (one of :data:`ACTIVATIONS`), or ``name`` if callable."""
    if callable(name):
        return name
    return ACTIVATIONS[validate.choice("activation", name, tuple(ACTIVATIONS))]


def mlp_init(
    key: jax.Array,
    sizes: Sequence[int],
    *,
    scale: float = 1.0,
    bias: bool = True,
    dtype: Any = jnp.float32,
) -> list[dict[str, jax.Array]]:
    """Parameters of an MLP with layer widths ``sizes = (d_in, h_1, ..., d_out)``.

    Layer ``l`` holds ``w`` of shape ``(sizes[l], sizes[l+1])`` drawn from
    ``N(0, scale² / sizes[l])`` and, with ``bias``, ``b`` of zeros.
    """
    if isinstance(sizes, (int, str)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes!r}")
    sizes = [validate.integer(f"sizes[{i}]", s, low=1) for i, s in enumerate(sizes)]
    scale = validate.real("scale", scale, low=0.0)
    keys = jax.random.split(key, len(sizes) - 1)
    layers = []
    for k, fan_in, fan_out in zip(keys, sizes[:-1], sizes[1:]):
        layer = {"w": scale / math.sqrt(fan_in) * jax.random.normal(k, (fan_in, fan_out), dtype)}
        if bias:
            layer["b"] = jnp.zeros((fan_out,), dtype)
        layers.append(layer)
    return layers


def mlp_apply(
    params: Sequence[dict[str, jax.Array]],
    x: jax.Array,
    *,
    activation: str | Callable[[jax.Array], jax.Array] = "relu",
) -> jax.Array:
    """Apply the MLP to inputs ``x`` of shape ``(..., d_in)``; no activation after the last layer."""
    act = globals()["activation"](activation)
    if len(params) == 0:
        raise ValueError("params must hold at least one layer")
    d_in = params[0]["w"].shape[0]
    if x.shape[-1] != d_in:
        raise ValueError(f"x has {x.shape[-1]} input features but the network expects {d_in}")
    h = x
    for i, layer in enumerate(params):
        h = h @ layer["w"]
        if "b" in layer:
            h = h + layer["b"]
        if i < len(params) - 1:
            h = act(h)
    return h


def random_features_init(
    key: jax.Array,
    d_in: int,
    n_features: int,
    *,
    kind: str = "relu",
    scale: float = 1.0,
) -> dict[str, jax.Array]:
    """The fixed random first layer of a random-features model.

    ``kind="relu"`` (or any activation name): ``W ~ N(0, scale²/d_in)``, no bias.
    ``kind="cos"``: random Fourier features of the Gaussian kernel of bandwidth ``1/scale``
    (Rahimi and Recht 2007): ``W ~ N(0, scale²)``, ``b ~ U[0, 2π)``.
    """
    d_in = validate.integer("d_in", d_in, low=1)
    n_features = validate.integer("n_features", n_features, low=1)
    kind = validate.choice("kind", kind, tuple(ACTIVATIONS))
    scale = validate.real("scale", scale, low=0.0, low_open=True)
    kw, kb = jax.random.split(key)
    if kind == "cos":
        w = scale * jax.random.normal(kw, (d_in, n_features))
        b = jax.random.uniform(kb, (n_features,), minval=0.0, maxval=2 * jnp.pi)
    else:
        w = scale / math.sqrt(d_in) * jax.random.normal(kw, (d_in, n_features))
        b = jnp.zeros((n_features,))
    return {"w": w, "b": b}


def random_features(params: dict[str, jax.Array], x: jax.Array, *, kind: str = "relu") -> jax.Array:
    """Features ``φ(x) = σ(x W + b) / √N`` (``√2·cos(x W + b)/√N`` for ``kind="cos"``), shape ``(..., N)``.

    ``kind`` must match the one given to :func:`random_features_init`.
    """
    kind = validate.choice("kind", kind, tuple(ACTIVATIONS))
    w, b = params["w"], params["b"]
    if x.shape[-1] != w.shape[0]:
        raise ValueError(f"x has {x.shape[-1]} input features but the features expect {w.shape[0]}")
    n = w.shape[1]
    z = x @ w + b
    if kind == "cos":
        return jnp.sqrt(2.0 / n) * jnp.cos(z)
    return activation(kind)(z) / jnp.sqrt(n)


def count_params(params: Any) -> int:
    """The number of scalar parameters in a pytree."""
    return int(sum(np.size(leaf) for leaf in jax.tree_util.tree_leaves(params)))


# --------------------------------------------------------------------------- one-layer transformer


def transformer_init(
    key: jax.Array,
    *,
    vocab: int,
    n_ctx: int,
    d_model: int,
    n_heads: int,
    d_mlp: int,
    d_out: int | None = None,
) -> dict[str, jax.Array]:
    """Parameters of a one-layer transformer (one attention layer, one ReLU MLP, no LayerNorm).

    Chapter 3 (``chapters/03-grokking``); the architecture of Nanda et al. (2023), "Progress
    measures for grokking via mechanistic interpretability": learned token and position embeddings,
    ``n_heads`` heads of width ``d_model // n_heads``, untied embedding and unembedding, no biases in
    attention. Every matrix is drawn from ``N(0, 1/fan_in)`` (the unembedding from
    ``N(0, 1/d_out)``, as in their code); MLP biases start at zero. ``d_out`` defaults to ``vocab``.
    """
    vocab = validate.integer("vocab", vocab, low=1)
    n_ctx = validate.integer("n_ctx", n_ctx, low=1)
    d_model = validate.integer("d_model", d_model, low=1)
    n_heads = validate.integer("n_heads", n_heads, low=1)
    d_mlp = validate.integer("d_mlp", d_mlp, low=1)
    d_out = vocab if d_out is None else validate.integer("d_out", d_out, low=1)
    if d_model % n_heads:
        raise ValueError(f"d_model ({d_model}) must be a multiple of n_heads ({n_heads})")
    d_head = d_model // n_heads
    k = jax.random.split(key, 8)

    def normal(k: jax.Array, shape: tuple[int, ...], fan_in: int) -> jax.Array:
        return jax.random.normal(k, shape) / math.sqrt(fan_in)

    return {
        "embed": normal(k[0], (vocab, d_model), d_model),
        "pos": normal(k[1], (n_ctx, d_model), d_model),
        "W_Q": normal(k[2], (n_heads, d_model, d_head), d_model),
        "W_K": normal(k[3], (n_heads, d_model, d_head), d_model),
        "W_V": normal(k[4], (n_heads, d_model, d_head), d_model),
        "W_O": normal(k[5], (n_heads, d_head, d_model), d_model),
        "W_in": normal(k[6], (d_model, d_mlp), d_model),
        "b_in": jnp.zeros((d_mlp,)),
        "W_out": normal(k[7], (d_mlp, d_model), d_mlp),
        "b_out": jnp.zeros((d_model,)),
        "unembed": normal(jax.random.fold_in(key, 8), (d_model, d_out), d_out),
    }


def _check_tokens(params: dict[str, jax.Array], tokens: jax.Array) -> jax.Array:
    tokens = jnp.asarray(tokens)
    if tokens.ndim != 2 or not jnp.issubdtype(tokens.dtype, jnp.integer):
        raise ValueError(f"tokens must be a 2-D integer array (batch, positions), got {tokens.dtype}{tokens.shape}")
    n_ctx = params["pos"].shape[0]
    if tokens.shape[1] > n_ctx:
        raise ValueError(f"tokens has {tokens.shape[1]} positions but the model has n_ctx = {n_ctx}")
    return tokens


def _head_columns(w: jax.Array) -> jax.Array:
    """A per-head projection ``(heads, d_model, d_head)`` as one matrix ``(d_model, heads · d_head)``."""
    heads, d_model, d_head = w.shape
    return w.transpose(1, 0, 2).reshape(d_model, heads * d_head)


def transformer_apply(params: dict[str, jax.Array], tokens: jax.Array) -> jax.Array:
    """Logits at the last position of each sequence, shape ``(batch, d_out)``.

    Chapter 3 (``chapters/03-grokking``), Nanda et al. (2023). The result equals the last position of
    :func:`transformer_apply_all` (to float rounding); the work is reduced in three ways, measured in
    ``benchmarks/`` and explained on the book's Performance page:

    * In a one-layer model the logits at the last position depend on the other positions only through
      their keys and values: their queries, attention outputs and MLPs never reach the last position's
      logits, so only the last position gets a query, an attention output and an MLP.
    * Without LayerNorm, the key of a token at position ``i`` is ``(embed[t] + pos[i]) W_K =
      (embed W_K)[t] + pos[i] W_K``: when the vocabulary has fewer rows than the batch has tokens, the
      keys and values of the whole vocabulary are computed once and looked up.
    * The heads are concatenated into one ``(d_model, heads · d_head)`` matrix per projection and the
      (few) positions are unrolled, so every product is a plain 2-D matrix product.
    """
    tokens = _check_tokens(params, tokens)
    batch, n = tokens.shape
    heads, d_model, d_head = params["W_Q"].shape
    embed, pos = params["embed"], params["pos"][:n]
    w_k, w_v = _head_columns(params["W_K"]), _head_columns(params["W_V"])
    if embed.shape[0] < batch * n:  # project the vocabulary once, then look the keys and values up
        key_table, value_table = embed @ w_k, embed @ w_v
        pos_keys, pos_values = pos @ w_k, pos @ w_v
        keys = [key_table[tokens[:, i]] + pos_keys[i] for i in range(n)]
        values = [value_table[tokens[:, i]] + pos_values[i] for i in range(n)]
    else:  # project each position's residual stream
        stream = [embed[tokens[:, i]] + pos[i] for i in range(n)]
        keys, values = [x @ w_k for x in stream], [x @ w_v for x in stream]
    last = embed[tokens[:, -1]] + pos[-1]  # the last position's residual stream, (batch, d_model)
    query = (last @ _head_columns(params["W_Q"])).reshape(batch, heads, d_head)
    scores = jnp.stack([jnp.sum(query * k.reshape(batch, heads, d_head), axis=-1) for k in keys], axis=-1)
    pattern = jax.nn.softmax(scores / math.sqrt(d_head), axis=-1)  # (batch, heads, n): the last position attends to all
    mixed = sum(pattern[..., i, None] * v.reshape(batch, heads, d_head) for i, v in enumerate(values))
    last = last + mixed.reshape(batch, heads * d_head) @ params["W_O"].reshape(heads * d_head, d_model)
    hidden = jax.nn.relu(last @ params["W_in"] + params["b_in"])
    last = last + hidden @ params["W_out"] + params["b_out"]  # MLP output
    return last @ params["unembed"]


def transformer_apply_all(params: dict[str, jax.Array], tokens: jax.Array) -> jax.Array:
    """Logits at every position, shape ``(batch, positions, d_out)``, with causal attention.

    The plain version of :func:`transformer_apply` (Chapter 3): every position gets its query,
    attention output and MLP. Only the last position's logits are used in the book; this function is
    the reference the reduced model is tested against.
    """
    tokens = _check_tokens(params, tokens)
    n = tokens.shape[1]
    x = params["embed"][tokens] + params["pos"][:n]
    q = jnp.einsum("bnd,hde->bhne", x, params["W_Q"])
    k = jnp.einsum("bnd,hde->bhne", x, params["W_K"])
    v = jnp.einsum("bnd,hde->bhne", x, params["W_V"])
    scores = jnp.einsum("bhqe,bhke->bhqk", q, k) / math.sqrt(q.shape[-1])
    causal = jnp.tril(jnp.ones((n, n), bool))
    pattern = jax.nn.softmax(jnp.where(causal, scores, -jnp.inf), axis=-1)
    heads = jnp.einsum("bhqk,bhke->bhqe", pattern, v)
    x = x + jnp.einsum("bhqe,hed->bqd", heads, params["W_O"])
    hidden = jax.nn.relu(x @ params["W_in"] + params["b_in"])
    x = x + hidden @ params["W_out"] + params["b_out"]
    return x @ params["unembed"]
