"""Sentence embeddings with a sentence-transformers encoder (MiniLM): mean pooling, unit length."""
from __future__ import annotations

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
    for start in range(0, len(texts), batch_size):
        progress.check()
        batch = texts[start:start + batch_size]
        enc = tokenizer(batch, padding=True, truncation=True, max_length=512, return_tensors="pt")
        if device is not None:
            enc = {k: v.to(device) for k, v in enc.items()}
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        vectors.append(pooled.float().cpu().numpy())
        for ids, m in zip(enc["input_ids"].cpu().tolist(), enc["attention_mask"].cpu().tolist()):
            tokens.append(tokenizer.convert_ids_to_tokens([i for i, keep in zip(ids, m) if keep]))
        progress.report(min(1.0, (start + len(batch)) / len(texts)), "Embedding sentences")
    return SentenceEmbeddings(list(texts), tokens, np.concatenate(vectors).astype(np.float32))
