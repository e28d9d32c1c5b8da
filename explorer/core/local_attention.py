"""Local and sparse attention patterns, and rerunning a model with one applied in every layer.

A pattern is a bool matrix allowed[query, key]. For a decoder it is combined
with the causal mask; every token always sees itself. Rerunning passes it as a
4-D additive mask (0 = may attend, dtype minimum = may not), which replaces
the model's own mask in every layer's eager attention.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.attention import AttentionResult, extract_attention_ids
from explorer.core.progress import Progress

PATTERNS = ("full", "sliding", "strided")
PATTERN_TITLES = {"full": "Full attention", "sliding": "Sliding window", "strided": "Strided (window + every s-th)"}


@dataclass(frozen=True)
class MaskSettings:
    pattern: str = "full"
    window: int = 4  # tokens a query sees around itself (itself included)
    stride: int = 4  # strided: also every stride-th token further away

    def to_json(self) -> dict:
        return {"pattern": self.pattern, "window": self.window, "stride": self.stride}

    @classmethod
    def from_json(cls, data: dict) -> "MaskSettings":
        base = cls()
        pattern = data.get("pattern", base.pattern)
        return cls(pattern if pattern in PATTERNS else base.pattern, max(1, int(data.get("window", base.window))),
                   max(1, int(data.get("stride", base.stride))))

    def describe(self) -> str:
        if self.pattern == "sliding":
            return f"sliding window, w = {self.window}"
        if self.pattern == "strided":
            return f"strided, w = {self.window}, s = {self.stride}"
        return "full attention"


def build_mask(num_tokens: int, settings: MaskSettings, causal: bool) -> np.ndarray:
    """allowed[query, key] for the pattern (the causal triangle included for decoders)."""
    if settings.pattern not in PATTERNS:
        raise ValueError(f"unknown pattern '{settings.pattern}': choose {', '.join(PATTERNS)}")
    i = np.arange(num_tokens)
    distance = i[:, None] - i[None, :]  # query - key: > 0 for earlier keys
    gap = np.abs(distance)
    if settings.pattern == "full":
        allowed = np.ones((num_tokens, num_tokens), dtype=bool)
    elif settings.pattern == "sliding":
        allowed = gap < max(1, settings.window)
    else:
        allowed = (gap < max(1, settings.window)) | (gap % max(1, settings.stride) == 0)
    if causal:
        allowed &= distance >= 0
    np.fill_diagonal(allowed, True)
    return allowed


def density(allowed: np.ndarray, causal: bool) -> float:
    """Share of the query-key pairs the full (causal) attention would compute that this mask keeps."""
    t = allowed.shape[0]
    total = t * (t + 1) / 2 if causal else t * t
    return float(allowed.sum() / total)


def run_with_mask(model, tokenizer, ids: list[int], settings: MaskSettings, *, causal: bool, model_id: str = "",
                  hidden: bool = False, progress: Progress | None = None, on_device: bool = False) -> AttentionResult:
    """The model's attention (and next-token logits) with the pattern applied in every layer.

    on_device: the maps stay a torch tensor where the model ran (the model host keeps them).
    """
    allowed = build_mask(len(ids), settings, causal)
    return extract_attention_ids(model, tokenizer, ids, model_id=model_id, causal=causal, allowed=allowed,
                                 hidden=hidden, progress=progress, on_device=on_device)
