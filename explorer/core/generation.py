"""The next token: its distribution under temperature / top-k / top-p, one generated token, the logit lens."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.progress import Progress, ensure


@dataclass
class Candidate:
    token: str  # the decoded piece, e.g. " Paris"
    id: int
    prob: float  # probability after temperature / top-k / top-p (0 when filtered out)
    raw_prob: float  # probability at temperature 1 with no filtering
    kept: bool  # survived top-k and top-p


@dataclass
class SamplingSettings:
    temperature: float = 1.0
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    greedy: bool = True
    seed: int | None = None

    def to_json(self) -> dict:
        return {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p,
                "greedy": self.greedy, "seed": self.seed}

    @classmethod
    def from_json(cls, data: dict) -> "SamplingSettings":
        base = cls()
        return cls(temperature=float(data.get("temperature", base.temperature)),
                   top_k=int(data.get("top_k", base.top_k)), top_p=float(data.get("top_p", base.top_p)),
                   greedy=bool(data.get("greedy", base.greedy)), seed=data.get("seed"))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    if temperature <= 0:
        raise ValueError("temperature must be above 0")
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max()
    p = np.exp(z)
    return p / p.sum()


def sampling_distribution(logits: np.ndarray, temperature: float = 1.0, top_k: int = 0,
                          top_p: float = 1.0) -> np.ndarray:
    """Probabilities a sampler would draw from: softmax(logits / T), then top-k, then top-p, renormalised."""
    p = softmax(logits, max(temperature, 1e-4))
    keep = np.ones_like(p, dtype=bool)
    order = np.argsort(-p, kind="stable")
    if top_k and top_k > 0 and top_k < p.size:
        keep[order[top_k:]] = False
    if 0 < top_p < 1:
        sorted_p = np.where(keep[order], p[order], 0.0)
        cumulative = np.cumsum(sorted_p) / sorted_p.sum()
        # keep the smallest prefix whose mass reaches top_p (always at least the top token)
        cut = int(np.searchsorted(cumulative, top_p) + 1)
        keep[order[cut:]] = False
    q = np.where(keep, p, 0.0)
    return q / q.sum()


def candidates(tokenizer, logits: np.ndarray, settings: SamplingSettings | None = None,
               k: int = 10) -> list[Candidate]:
    """The k most likely next tokens (at temperature 1), with their sampling probabilities."""
    settings = settings or SamplingSettings()
    raw = softmax(logits, 1.0)
    sampled = sampling_distribution(logits, settings.temperature, settings.top_k, settings.top_p)
    top = np.argsort(-raw, kind="stable")[:k]
    return [Candidate(piece(tokenizer, int(i)), int(i), float(sampled[i]), float(raw[i]), bool(sampled[i] > 0))
            for i in top]


def choose(logits: np.ndarray, settings: SamplingSettings, rng: np.random.Generator | None = None) -> int:
    """Greedy: the most likely token. Sampled: a draw from the filtered distribution."""
    if settings.greedy:
        return int(np.argmax(logits))
    p = sampling_distribution(logits, settings.temperature, settings.top_k, settings.top_p)
    rng = rng or np.random.default_rng(settings.seed)
    return int(rng.choice(p.size, p=p))


def piece(tokenizer, token_id: int) -> str:
    """The decoded text of one token, or its raw form when it is part of a character."""
    text = tokenizer.decode([token_id])
    if not text or "\ufffd" in text:
        return tokenizer.convert_ids_to_tokens(token_id)
    return text


def next_token_logits(model, tokenizer, text: str, progress: Progress | None = None) -> np.ndarray:
    """Logits [vocab] for the token after `text` (no attention kept: the cheap path)."""
    import torch

    from explorer.core.attention import decoder_layers, encode

    progress = ensure(progress)
    ids, _ = encode(tokenizer, text, model.config)
    device = next(model.parameters()).device
    handles = [block.register_forward_pre_hook(lambda m, a: progress.check()) for block in decoder_layers(model)]
    try:
        with torch.inference_mode():
            out = model(input_ids=torch.tensor([ids], device=device), use_cache=False)
    finally:
        for handle in handles:
            handle.remove()
    return out.logits[0, -1].float().cpu().numpy()


@dataclass
class LensRow:
    layer: int  # 0 = embeddings, i = after block i
    token: str
    id: int
    prob: float
    target_prob: float  # probability of the model's final top token at this depth


def final_norm_and_head(model):
    """(final norm, LM head) of a causal LM, for reading the residual stream as a prediction."""
    head = model.get_output_embeddings()
    base = getattr(model, "base_model", model)
    norm = None
    for name in ("norm", "ln_f", "final_layer_norm", "final_layernorm"):
        norm = getattr(base, name, None)
        if norm is not None:
            break
    if head is None:
        raise ValueError("this model has no language-model head")
    return norm, head


def logit_lens(model, tokenizer, hidden_last: np.ndarray) -> list[LensRow]:
    """Top token after every layer: final norm + LM head applied to the residual stream.

    The last row is exactly the model's own prediction.
    """
    import torch

    norm, head = final_norm_and_head(model)
    param = next(head.parameters())
    with torch.inference_mode():
        h = torch.from_numpy(np.ascontiguousarray(hidden_last)).to(param.device, param.dtype)
        if norm is not None:
            h = norm(h)
        probs = torch.softmax(head(h).float(), dim=-1).cpu().numpy()
    target = int(np.argmax(probs[-1]))
    rows = []
    for layer, p in enumerate(probs):
        top = int(np.argmax(p))
        rows.append(LensRow(layer, piece(tokenizer, top), top, float(p[top]), float(p[target])))
    return rows


def append_token(tokenizer, text: str, logits: np.ndarray, settings: SamplingSettings,
                 rng: np.random.Generator | None = None) -> tuple[str, Candidate]:
    """Choose the next token from `logits` (greedy or sampled) and append its text to `text`."""
    token_id = choose(logits, settings, rng)
    raw = softmax(logits)
    sampled = sampling_distribution(logits, settings.temperature, settings.top_k, settings.top_p)
    chosen = Candidate(piece(tokenizer, token_id), token_id, float(sampled[token_id]), float(raw[token_id]), True)
    return text + tokenizer.decode([token_id]), chosen


def generate_one(model, tokenizer, text: str, settings: SamplingSettings,
                 progress: Progress | None = None) -> tuple[str, Candidate]:
    """`text` with one more token appended (greedy or sampled), and that token."""
    return append_token(tokenizer, text, next_token_logits(model, tokenizer, text, progress), settings)
