"""PyTorch eager references for the grokking benchmark (Chapter 3, Nanda et al. 2023).

Two implementations of the one-layer transformer of :func:`dltheory.nets.transformer_init`, written
for the benchmark only (PyTorch is a benchmark dependency, never a dependency of the book):

* :class:`FullTransformer` runs the model as the paper's reference code does: every position goes
  through attention (causal), the MLP and the unembedding, and the loss reads the last position's logits.
* :class:`LastPositionTransformer` does the reduced work of :func:`dltheory.nets.transformer_apply`,
  written the same way: the query, attention output, MLP and unembedding of the last position only,
  and the keys and values looked up in tables of the vocabulary's keys and values.

Both hold the parameters under the same names and shapes as ours, so one set of weights can be
copied from JAX into either (:func:`from_jax`) and the losses, gradients and AdamW updates compared
(``tests/test_benchmarks.py``). Training is full batch with ``torch.optim.AdamW``, float32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

NAMES = ("embed", "pos", "W_Q", "W_K", "W_V", "W_O", "W_in", "b_in", "W_out", "b_out", "unembed")


class _Transformer(nn.Module):
    def __init__(self, params: dict[str, Any]):
        super().__init__()
        missing = set(NAMES) - set(params)
        if missing:
            raise ValueError(f"params lacks {sorted(missing)}")
        self.p = nn.ParameterDict({k: nn.Parameter(torch.tensor(np.asarray(params[k]), dtype=torch.float32)) for k in NAMES})

    def residual(self, tokens: torch.Tensor) -> torch.Tensor:
        n = tokens.shape[1]
        return self.p["embed"][tokens] + self.p["pos"][:n]


class FullTransformer(_Transformer):
    """Every position through attention, MLP and unembedding; logits of shape ``(batch, n, d_out)``."""

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        p = self.p
        x = self.residual(tokens)
        n = x.shape[1]
        q = torch.einsum("bnd,hde->bhne", x, p["W_Q"])
        k = torch.einsum("bnd,hde->bhne", x, p["W_K"])
        v = torch.einsum("bnd,hde->bhne", x, p["W_V"])
        scores = torch.einsum("bhqe,bhke->bhqk", q, k) / math.sqrt(q.shape[-1])
        causal = torch.tril(torch.ones(n, n, dtype=torch.bool))
        pattern = torch.softmax(scores.masked_fill(~causal, float("-inf")), dim=-1)
        heads = torch.einsum("bhqk,bhke->bhqe", pattern, v)
        x = x + torch.einsum("bhqe,hed->bqd", heads, p["W_O"])
        hidden = torch.relu(x @ p["W_in"] + p["b_in"])
        x = x + hidden @ p["W_out"] + p["b_out"]
        return x @ p["unembed"]

    def last_logits(self, tokens: torch.Tensor) -> torch.Tensor:
        return self(tokens)[:, -1]


def _head_columns(w: torch.Tensor) -> torch.Tensor:
    """``(heads, d_model, d_head)`` as one ``(d_model, heads · d_head)`` matrix."""
    heads, d_model, d_head = w.shape
    return w.permute(1, 0, 2).reshape(d_model, heads * d_head)


class LastPositionTransformer(_Transformer):
    """The reduced work of ``dltheory.nets.transformer_apply``: logits of the last position, ``(batch, d_out)``.

    The same three reductions: query, attention output, MLP and unembedding of the last position only;
    keys and values looked up in a table of the vocabulary's when it has fewer rows than the batch has
    tokens; heads concatenated so that every product is a 2-D matrix product.
    """

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        p = self.p
        batch, n = tokens.shape
        heads, d_model, d_head = p["W_Q"].shape
        embed, pos = p["embed"], p["pos"][:n]
        w_k, w_v = _head_columns(p["W_K"]), _head_columns(p["W_V"])
        if embed.shape[0] < batch * n:
            key_table, value_table = embed @ w_k, embed @ w_v
            pos_keys, pos_values = pos @ w_k, pos @ w_v
            keys = [key_table[tokens[:, i]] + pos_keys[i] for i in range(n)]
            values = [value_table[tokens[:, i]] + pos_values[i] for i in range(n)]
        else:
            stream = [embed[tokens[:, i]] + pos[i] for i in range(n)]
            keys, values = [x @ w_k for x in stream], [x @ w_v for x in stream]
        last = embed[tokens[:, -1]] + pos[-1]
        query = (last @ _head_columns(p["W_Q"])).reshape(batch, heads, d_head)
        scores = torch.stack([(query * k.reshape(batch, heads, d_head)).sum(-1) for k in keys], dim=-1)
        pattern = torch.softmax(scores / math.sqrt(d_head), dim=-1)
        mixed = sum(pattern[..., i, None] * v.reshape(batch, heads, d_head) for i, v in enumerate(values))
        last = last + mixed.reshape(batch, heads * d_head) @ p["W_O"].reshape(heads * d_head, d_model)
        hidden = torch.relu(last @ p["W_in"] + p["b_in"])
        last = last + hidden @ p["W_out"] + p["b_out"]
        return last @ p["unembed"]

    def last_logits(self, tokens: torch.Tensor) -> torch.Tensor:
        return self(tokens)


IMPLEMENTATIONS = {"full": FullTransformer, "last": LastPositionTransformer}


def from_jax(kind: str, params: dict[str, Any]) -> _Transformer:
    """A torch model of ``kind`` (``"full"`` or ``"last"``) holding a copy of the JAX ``params``."""
    if kind not in IMPLEMENTATIONS:
        raise ValueError(f"kind must be one of {sorted(IMPLEMENTATIONS)}, got {kind!r}")
    return IMPLEMENTATIONS[kind](params)


def loss_fn(model: _Transformer, tokens: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the last position's logits (Nanda et al. 2023)."""
    return nn.functional.cross_entropy(model.last_logits(tokens), labels)


def trainer(model: _Transformer, tokens: Any, labels: Any, *, lr: float, weight_decay: float,
            betas: tuple[float, float]) -> Any:
    """A function ``run(steps)`` that takes ``steps`` full-batch AdamW steps and returns the last loss."""
    tokens = torch.as_tensor(np.asarray(tokens), dtype=torch.long)
    labels = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, betas=betas)

    def run(steps: int) -> float:
        value = torch.zeros(())
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            value = loss_fn(model, tokens, labels)
            value.backward()
            opt.step()
        return float(value.detach())

    return run


def grads(model: _Transformer, tokens: Any, labels: Any) -> tuple[float, dict[str, np.ndarray]]:
    """The loss and its gradient with respect to every parameter, as numpy arrays (for the tests)."""
    model.zero_grad(set_to_none=True)
    value = loss_fn(model, torch.as_tensor(np.asarray(tokens), dtype=torch.long),
                    torch.as_tensor(np.asarray(labels), dtype=torch.long))
    value.backward()
    return float(value.detach()), {k: model.p[k].grad.detach().numpy().copy() for k in NAMES}


def params_numpy(model: _Transformer) -> dict[str, np.ndarray]:
    """The model's current parameters as numpy arrays."""
    return {k: model.p[k].detach().numpy().copy() for k in NAMES}
