"""Sentence embeddings with a sentence-transformers encoder (MiniLM): mean pooling, unit length."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from explorer.core.progress import Progress, ensure


@dataclass
class SentenceEmbeddings:
    texts: list[str]
    tokens: list[list[str]]  # each text's tokens as the model sees them (with [CLS]/[SEP])
    vectors: np.ndarray  # [n, d] float32, unit length

    def cosine(self) -> np.ndarray:
        return (self.vectors @ self.vectors.T).astype(np.float32)


def embed_sentences(model, tokenizer, texts: list[str], device=None, batch_size: int = 32,
                    progress: Progress | None = None) -> SentenceEmbeddings:
    """all-MiniLM-L6-v2's recipe: mean of the last hidden states over real tokens, then L2-normalise."""
    import torch

    progress = ensure(progress)
    if not texts:
        raise ValueError("no sentences to embed")
    vectors: list[np.ndarray] = []
    tokens: list[list[str]] = []
    for enc in tokenized_batches(tokenizer, texts, batch_size, 512, device, progress, "Embedding sentences"):
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        pooled = torch.nn.functional.normalize(masked_mean(hidden, enc["attention_mask"]), dim=-1)
        vectors.append(pooled.float().cpu().numpy())
        for ids, m in zip(enc["input_ids"].cpu().tolist(), enc["attention_mask"].cpu().tolist()):
            tokens.append(tokenizer.convert_ids_to_tokens([i for i, keep in zip(ids, m) if keep]))
    return SentenceEmbeddings(list(texts), tokens, np.concatenate(vectors).astype(np.float32))


def tokenized_batches(tokenizer, texts: list[str], batch_size: int, max_length: int, device,
                      progress: Progress, message: str) -> Iterator[dict]:
    """The texts in batches, tokenized (padded, truncated) and moved to `device`.

    Checks for cancel before each batch; reports progress with `message` once the caller is done with it.
    """
    for start in range(0, len(texts), batch_size):
        progress.check()
        batch = texts[start:start + batch_size]
        enc = tokenizer(batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        if device is not None:
            enc = {k: v.to(device) for k, v in enc.items()}
        yield enc
        progress.report(min(1.0, (start + len(batch)) / len(texts)), message)


def masked_mean(hidden, attention_mask):
    """Each row's hidden states [batch, tokens, d] averaged over its real tokens (padding left out)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    # the count is a whole number: the clamp only keeps a row with no tokens at 0 instead of 0/0
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
