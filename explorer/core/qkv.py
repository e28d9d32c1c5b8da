"""Q/K/V step-through: one head's attention recomputed by hand from the model's real weights.

We run the model up to the chosen layer, capture what enters its attention
(after the layer's input norm) and what its heads output (before the output
projection), then redo the arithmetic for one query token: q = x W_Q (+ b),
k and v of the tokens it may see, RoPE where the model uses it, q.k, the
division by sqrt(d), the mask, the softmax and the weighted sum of values.
The recomputed head output is compared with the model's own.

Supported layouts: Llama-style (q_proj / k_proj / v_proj / o_proj, RoPE,
grouped-query attention; also Mistral, Qwen, Gemma...), BERT-style
(query / key / value) and GPT-2 (fused c_attn).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from explorer.core.attention import additive_mask, num_kv_heads
from explorer.core.causal import is_causal
from explorer.core.progress import Progress, ensure
from explorer.core.rope import ModelRope, model_rope


class _Stop(Exception):
    """Raised inside the chosen layer once everything is captured: later layers are not needed."""


def attention_modules(model) -> list:
    """Every self-attention module, in layer order."""
    found = []
    for _, module in model.named_modules():
        if all(hasattr(module, n) for n in ("q_proj", "k_proj", "v_proj")) \
                or all(hasattr(module, n) for n in ("query", "key", "value")) \
                or (hasattr(module, "c_attn") and not getattr(module, "is_cross_attention", False)):
            found.append(module)
    if len(found) != model.config.num_hidden_layers:
        raise ValueError(f"Q/K/V step-through does not know the layout of {model.__class__.__name__}")
    return found


def kv_head_for(head: int, num_heads: int, num_kv: int) -> int:
    """Grouped-query attention: query heads are split into num_kv consecutive groups."""
    return head // (num_heads // num_kv)


@dataclass
class LayerCapture:
    """What one attention layer saw and produced, for one text (numpy, float32)."""

    layer: int
    x: np.ndarray  # [T, D] the layer's attention input (after its input norm)
    w_q: np.ndarray  # [H*d, D]
    b_q: np.ndarray | None
    w_k: np.ndarray  # [KV*d, D]
    b_k: np.ndarray | None
    w_v: np.ndarray
    b_v: np.ndarray | None
    q: np.ndarray  # [H, T, d] before RoPE (recomputed from x and the weights)
    k: np.ndarray  # [KV, T, d] before RoPE
    v: np.ndarray  # [KV, T, d]
    q_rot: np.ndarray | None  # after RoPE (None: the model has no RoPE)
    k_rot: np.ndarray | None
    cos: np.ndarray | None  # [T, rot] the model's own rotary tables
    sin: np.ndarray | None
    scaling: float
    visible: np.ndarray  # bool [T, T]
    model_weights: np.ndarray  # [H, T, T] the model's probabilities in this layer
    model_head_out: np.ndarray  # [H, T, d] the model's per-head outputs (before the output projection)
    # the model's own rotary embedding (inv_freq with its scaling), None without RoPE
    rope: ModelRope | None = None

    @property
    def num_heads(self) -> int:
        return int(self.q.shape[0])

    @property
    def num_kv_heads(self) -> int:
        return int(self.k.shape[0])

    @property
    def head_dim(self) -> int:
        return int(self.q.shape[2])

    @property
    def has_rope(self) -> bool:
        return self.q_rot is not None

    def kv_head(self, head: int) -> int:
        return kv_head_for(head, self.num_heads, self.num_kv_heads)

    def queries(self, head: int, rotated: bool = True) -> np.ndarray:
        return self.q_rot[head] if rotated and self.has_rope else self.q[head]

    def keys(self, head: int, rotated: bool = True) -> np.ndarray:
        kv = self.kv_head(head)
        return self.k_rot[kv] if rotated and self.has_rope else self.k[kv]

    def scores(self, head: int, rotated: bool = True) -> np.ndarray:
        """[T, T] scaled scores q.k * scaling, NaN where the mask hides the key."""
        s = (self.queries(head, rotated) @ self.keys(head, rotated).T) * self.scaling
        return np.where(self.visible, s, np.nan).astype(np.float32)


def _rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate [..., T, d] by the model's tables [T, rot] (Llama's half-split pairs (i, i + rot/2)).

    When rot < d (partial rotary), only the first `rot` dimensions turn.
    """
    rot = cos.shape[-1]
    turned = x[..., :rot] * cos + _rotate_half(x[..., :rot]) * sin
    return np.concatenate([turned, x[..., rot:]], axis=-1) if rot < x.shape[-1] else turned


def _linear(module):
    """(weight [out, in], bias) of an nn.Linear, or of a GPT-2 Conv1D (stored [in, out])."""
    w = module.weight.detach().float().cpu().numpy()
    if module.__class__.__name__ == "Conv1D":
        w = w.T
    b = module.bias.detach().float().cpu().numpy() if getattr(module, "bias", None) is not None else None
    return np.ascontiguousarray(w), b


def _projections(module, num_heads: int, num_kv: int, head_dim: int):
    if hasattr(module, "q_proj"):
        return _linear(module.q_proj), _linear(module.k_proj), _linear(module.v_proj)
    if hasattr(module, "query"):
        return _linear(module.query), _linear(module.key), _linear(module.value)
    w, b = _linear(module.c_attn)
    size = num_heads * head_dim
    parts = [(w[i * size:(i + 1) * size], None if b is None else b[i * size:(i + 1) * size]) for i in range(3)]
    return parts[0], parts[1], parts[2]


def _output_projection(module):
    for name in ("o_proj", "c_proj", "out_proj", "dense"):
        child = getattr(module, name, None)
        if child is not None and hasattr(child, "weight"):
            return child
    return None  # BERT's self-attention returns the per-head outputs itself


def _head_dim(module, config) -> int:
    for name in ("head_dim", "attention_head_size"):
        value = getattr(module, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)


def _norm_per_head(norm, x):
    """Apply a q_norm / k_norm (Qwen3, OLMo2) the way the model does: per head or on the whole projection."""
    import torch

    size = norm.weight.shape[0] if getattr(norm, "weight", None) is not None else x.shape[-1]
    p = next(norm.parameters())
    with torch.inference_mode():
        t = torch.from_numpy(x).to(p.device, p.dtype)
        if size == x.shape[-1]:
            return norm(t).float().cpu().numpy()
        heads, tokens, d = x.shape
        flat = t.transpose(0, 1).reshape(tokens, heads * d)
        return norm(flat).reshape(tokens, heads, d).transpose(0, 1).float().cpu().numpy()


def capture_layer(model, ids: list[int], layer: int, *, causal: bool | None = None,
                  allowed: np.ndarray | None = None, progress: Progress | None = None) -> LayerCapture:
    """Run the model on `ids` up to `layer` and capture that layer's attention inputs and outputs."""
    import torch

    from explorer.core.attention import decoder_layers

    progress = ensure(progress)
    causal = is_causal(model) if causal is None else causal
    config = model.config
    modules = attention_modules(model)
    if not 0 <= layer < len(modules):
        raise ValueError(f"layer {layer} does not exist (the model has {len(modules)})")
    module = modules[layer]
    num_heads = config.num_attention_heads
    num_kv = num_kv_heads(config)
    head_dim = _head_dim(module, config)
    t = len(ids)
    got: dict = {}

    def pre(_module, args, kwargs):
        hidden = args[0] if args else kwargs["hidden_states"]
        got["x"] = hidden[0].detach().float().cpu().numpy()
        pos = kwargs.get("position_embeddings")
        if pos is not None:
            got["cos"], got["sin"] = (p[0].detach().float().cpu().numpy() for p in pos)

    def post(_module, args, output):
        if isinstance(output, tuple) and len(output) > 1 and output[1] is not None:
            got["weights"] = output[1][0].detach().float().cpu().numpy()
        if out_proj is None:
            got["heads"] = output[0][0].detach().float().cpu().numpy()
        raise _Stop()

    def proj_pre(_module, args):
        got["heads"] = args[0][0].detach().float().cpu().numpy()

    out_proj = _output_projection(module)
    handles = [module.register_forward_pre_hook(pre, with_kwargs=True), module.register_forward_hook(post)]
    if out_proj is not None:
        handles.append(out_proj.register_forward_pre_hook(proj_pre))
    for block in decoder_layers(model):
        handles.append(block.register_forward_pre_hook(lambda m, a: progress.check()))
    device = next(model.parameters()).device
    dtype = next(model.parameters()).dtype
    input_ids = torch.tensor([ids], device=device)
    mask = additive_mask(allowed, causal, dtype, device) if allowed is not None else torch.ones_like(input_ids)
    kwargs = {"input_ids": input_ids, "attention_mask": mask, "output_attentions": True}
    if causal:
        kwargs["use_cache"] = False
    try:
        with torch.inference_mode():
            model(**kwargs)
    except _Stop:
        pass
    finally:
        for handle in handles:
            handle.remove()
    progress.check()
    if "x" not in got or "heads" not in got or "weights" not in got:
        raise ValueError("could not capture this layer's attention (unsupported model layout)")

    (w_q, b_q), (w_k, b_k), (w_v, b_v) = _projections(module, num_heads, num_kv, head_dim)
    x = got["x"]

    def split(w, b, heads):
        y = x @ w.T + (b if b is not None else 0.0)
        return np.ascontiguousarray(y.reshape(t, heads, head_dim).transpose(1, 0, 2)).astype(np.float32)

    q, k, v = split(w_q, b_q, num_heads), split(w_k, b_k, num_kv), split(w_v, b_v, num_kv)
    if getattr(module, "q_norm", None) is not None:
        q = _norm_per_head(module.q_norm, q)
    if getattr(module, "k_norm", None) is not None:
        k = _norm_per_head(module.k_norm, k)
    q_rot = k_rot = None
    cos, sin = got.get("cos"), got.get("sin")
    if cos is not None:
        q_rot = apply_rope(q, cos, sin).astype(np.float32)
        k_rot = apply_rope(k, cos, sin).astype(np.float32)
    visible = np.tril(np.ones((t, t), dtype=bool)) if causal else np.ones((t, t), dtype=bool)
    if allowed is not None:
        visible &= np.asarray(allowed, dtype=bool)
        np.fill_diagonal(visible, True)
    scaling = float(getattr(module, "scaling", None) or 1.0 / math.sqrt(head_dim))
    heads_out = got["heads"].reshape(t, num_heads, head_dim).transpose(1, 0, 2)
    return LayerCapture(layer, x, w_q, b_q, w_k, b_k, w_v, b_v, q, k, v, q_rot, k_rot, cos, sin, scaling,
                        visible, got["weights"], np.ascontiguousarray(heads_out),
                        model_rope(model) if cos is not None else None)


@dataclass
class StepThrough:
    """Every intermediate number of one query token's attention in one head."""

    layer: int
    head: int
    kv_head: int
    query: int
    x: np.ndarray  # [D] input to the layer's attention for the query token
    w_q: np.ndarray  # [d, D] this head's rows of W_Q
    q: np.ndarray  # [d] before RoPE
    q_rot: np.ndarray | None  # [d] after RoPE
    keys: np.ndarray  # [T, d] every token's key in this head's kv group, before RoPE
    keys_rot: np.ndarray | None
    values: np.ndarray  # [T, d]
    visible: np.ndarray  # bool [T]: keys the query may see
    dot: np.ndarray  # [T] q.k (after RoPE where used)
    dot_unrotated: np.ndarray  # [T] q.k with no rotation
    scale: float  # 1 / sqrt(d) (or the model's own scaling)
    scaled: np.ndarray  # [T] dot * scale
    masked: np.ndarray  # [T] scaled, -inf where hidden
    weights: np.ndarray  # [T] softmax of masked
    model_weights: np.ndarray  # [T] the model's own probabilities for this row
    output: np.ndarray  # [d] sum_j weights_j v_j
    model_output: np.ndarray  # [d] the model's own output for this head

    @property
    def head_dim(self) -> int:
        return int(self.q.shape[0])

    @property
    def output_difference(self) -> float:
        return float(np.max(np.abs(self.output - self.model_output)))

    @property
    def weight_difference(self) -> float:
        return float(np.max(np.abs(self.weights - self.model_weights)))


def step_through(capture: LayerCapture, head: int, query: int) -> StepThrough:
    """Recompute head `head`'s output for token `query` step by step (float64 arithmetic)."""
    if not 0 <= head < capture.num_heads:
        raise ValueError(f"head {head} does not exist (the layer has {capture.num_heads})")
    t = capture.x.shape[0]
    if not 0 <= query < t:
        raise ValueError(f"token {query} does not exist (the text has {t})")
    kv = capture.kv_head(head)
    d = capture.head_dim
    w_q = capture.w_q[head * d:(head + 1) * d]
    q = capture.q[head, query].astype(np.float64)
    keys = capture.k[kv].astype(np.float64)
    q_used = capture.q_rot[head, query].astype(np.float64) if capture.has_rope else q
    keys_used = capture.k_rot[kv].astype(np.float64) if capture.has_rope else keys
    values = capture.v[kv].astype(np.float64)
    visible = capture.visible[query]
    dot = keys_used @ q_used
    scaled = dot * capture.scaling
    masked = np.where(visible, scaled, -np.inf)
    e = np.exp(masked - masked[visible].max())
    weights = e / e.sum()
    output = weights @ values
    return StepThrough(
        layer=capture.layer, head=head, kv_head=kv, query=query, x=capture.x[query], w_q=w_q,
        q=capture.q[head, query], q_rot=capture.q_rot[head, query] if capture.has_rope else None,
        keys=capture.k[kv], keys_rot=capture.k_rot[kv] if capture.has_rope else None, values=capture.v[kv],
        visible=visible, dot=dot.astype(np.float32), dot_unrotated=(keys @ q).astype(np.float32),
        scale=capture.scaling, scaled=scaled.astype(np.float32), masked=masked.astype(np.float32),
        weights=weights.astype(np.float32), model_weights=capture.model_weights[head, query],
        output=output.astype(np.float32), model_output=capture.model_head_out[head, query])


@dataclass
class HeadCapture:
    """One head of a layer capture, for one query token: what the Q/K/V and RoPE tabs draw.

    The model host keeps the whole layer's capture; the GUI receives this (a few [T, d] and [T, T]
    arrays) for the head it shows.
    """

    layer: int
    head: int
    kv_head: int
    num_heads: int  # of the layer (the capture holds one)
    num_kv_heads: int
    has_bias: bool  # the query projection has a bias (b_Q)
    step: StepThrough  # every number of this head's attention for the query token
    q: np.ndarray  # [T, d] every token's query in this head, before RoPE
    k: np.ndarray  # [T, d] every token's key in this head's key/value group, before RoPE
    scores_plain: np.ndarray  # [T, T] q.k * scaling without RoPE, NaN where masked
    scores_rotated: np.ndarray | None  # the same after RoPE (None: the model has no RoPE)
    visible: np.ndarray  # bool [T, T]
    scaling: float
    rope: ModelRope | None

    @property
    def num_tokens(self) -> int:
        return int(self.q.shape[0])

    @property
    def has_rope(self) -> bool:
        return self.scores_rotated is not None


def head_capture(capture: LayerCapture, head: int, query: int) -> HeadCapture:
    """What the GUI draws of one head of `capture` for the query token `query`."""
    step = step_through(capture, head, query)
    return HeadCapture(
        layer=capture.layer, head=head, kv_head=capture.kv_head(head), num_heads=capture.num_heads,
        num_kv_heads=capture.num_kv_heads, has_bias=capture.b_q is not None, step=step, q=capture.q[head],
        k=capture.k[capture.kv_head(head)], scores_plain=capture.scores(head, rotated=False),
        scores_rotated=capture.scores(head, rotated=True) if capture.has_rope else None, visible=capture.visible,
        scaling=capture.scaling, rope=capture.rope)
