"""The forward pass drawn with a model's real shapes, GQA groups and key/value-cache sizes."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Stage:
    name: str
    detail: str  # what happens, in one line
    shape: str  # the tensor that leaves this stage, e.g. "[7 x 576]"
    params: int = 0  # weights in this stage (all blocks together for the block stage)


@dataclass
class Dimensions:
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    hidden: int
    intermediate: int
    vocab: int
    context: int
    causal: bool
    norm: str  # "RMSNorm" or "LayerNorm"
    positions: str  # "RoPE" or "learned positions"

    @property
    def group_size(self) -> int:
        return self.num_heads // self.num_kv_heads


def dimensions(config, causal: bool) -> Dimensions:
    heads = config.num_attention_heads
    kv = int(getattr(config, "num_key_value_heads", None) or heads)
    hidden = int(getattr(config, "hidden_size", None) or config.n_embd)
    head_dim = int(getattr(config, "head_dim", None) or hidden // heads)
    intermediate = int(getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None) or 4 * hidden)
    context = int(getattr(config, "max_position_embeddings", None) or getattr(config, "n_positions", 0) or 0)
    rope = bool(getattr(config, "rope_parameters", None) or getattr(config, "rope_theta", None))
    norm = "RMSNorm" if hasattr(config, "rms_norm_eps") else "LayerNorm"
    return Dimensions(config.num_hidden_layers, heads, kv, head_dim, hidden, intermediate,
                      int(config.vocab_size), context, causal, norm, "RoPE" if rope else "learned positions")


def gqa_groups(num_heads: int, num_kv_heads: int) -> list[list[int]]:
    """For each key/value head, the query heads that share it (consecutive, as repeat_kv lays them out)."""
    if num_kv_heads <= 0 or num_heads % num_kv_heads:
        raise ValueError(f"{num_heads} query heads cannot share {num_kv_heads} key/value heads evenly")
    size = num_heads // num_kv_heads
    return [list(range(g * size, (g + 1) * size)) for g in range(num_kv_heads)]


@dataclass
class CacheSize:
    name: str  # "MHA", "GQA", "MQA"
    kv_heads: int
    bytes_per_token: int

    def for_tokens(self, tokens: int) -> int:
        return self.bytes_per_token * tokens


def kv_cache_sizes(dims: Dimensions, bytes_per_value: int = 2) -> list[CacheSize]:
    """Key/value-cache bytes per token: 2 (K and V) x layers x kv heads x head size x bytes.

    MHA: one kv head per query head; GQA: the model's own count; MQA: one shared kv head.
    fp16/bf16 (2 bytes) is what servers keep.
    """
    rows = []
    for name, kv in (("MHA", dims.num_heads), ("GQA", dims.num_kv_heads), ("MQA", 1)):
        rows.append(CacheSize(name, kv, 2 * dims.num_layers * kv * dims.head_dim * bytes_per_value))
    return rows


def _count(module) -> int:
    return int(sum(p.numel() for p in module.parameters())) if module is not None else 0


def forward_stages(config, causal: bool, num_tokens: int, model=None) -> list[Stage]:
    """Tokenizer -> embeddings -> N blocks -> (final norm -> LM head -> softmax), with real shapes."""
    d = dimensions(config, causal)
    t = max(1, num_tokens)
    params_embed = d.vocab * d.hidden
    params_block = 0
    if model is not None:
        from explorer.core.attention import decoder_layers

        try:
            params_block = sum(_count(block) for block in decoder_layers(model))
        except ValueError:
            params_block = 0
    heads = (f"{d.num_heads} Q / {d.num_kv_heads} KV heads" if d.num_kv_heads != d.num_heads
             else f"{d.num_heads} heads") + (", RoPE" if d.positions == "RoPE" else "")
    tied = bool(getattr(config, "tie_word_embeddings", False))
    stages = [
        Stage("Tokenizer", "text → token ids", f"[{t}]"),
        Stage("Embeddings", f"one row of the {d.vocab:,} × {d.hidden} table per token"
              + ("" if d.positions == "RoPE" else ", + learned positions"), f"[{t} × {d.hidden}]", params_embed),
        Stage(f"{d.num_layers} blocks",
              f"each: {d.norm} → attention ({heads}) → MLP {d.hidden}→{d.intermediate}→{d.hidden}",
              f"[{t} × {d.hidden}]", params_block),
    ]
    if causal:
        stages += [
            Stage("Final norm", f"{d.norm}: rescale each vector", f"[{t} × {d.hidden}]"),
            Stage("LM head", f"{d.hidden} → {d.vocab:,} scores" + (" (tied to the embeddings)" if tied else ""),
                  f"[{t} × {d.vocab:,}] logits", 0 if tied else params_embed),
            Stage("Softmax", "last position's scores → probabilities", f"[{d.vocab:,}]"),
        ]
    else:
        stages.append(Stage("Contextual vectors", "one vector per token (pooled: a sentence embedding)",
                            f"[{t} × {d.hidden}]"))
    return stages


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1024 or unit == "TB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"
