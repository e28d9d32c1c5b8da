"""One vector per line of text, with a chosen model: MiniLM sentence embeddings, SmolLM2 mean hidden state, GloVe mean."""
from __future__ import annotations

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.sentence_embeddings import masked_mean, tokenized_batches
from explorer.core.word_vectors import WordVectors, mean_word_vector


def glove_text_vectors(wv: WordVectors, texts: list[str], progress: Progress | None = None
                       ) -> tuple[np.ndarray, list[int]]:
    """Mean of the unit word vectors of each text; also the indexes of texts with no known word."""
    progress = ensure(progress)
    out = np.zeros((len(texts), wv.dim), np.float32)
    unknown: list[int] = []
    for i, text in enumerate(texts):
        if i % 1000 == 0:
            progress.check()
            progress.report(i / len(texts), f"Averaging word vectors: line {i + 1:,} of {len(texts):,}")
        out[i], found = mean_word_vector(wv, text)
        if not found:
            unknown.append(i)
    return out, unknown


def mean_hidden_state(model, tokenizer, texts: list[str], device=None, batch_size: int = 16,
                      progress: Progress | None = None) -> np.ndarray:
    """Each text's last-layer hidden states averaged over its tokens (for a causal LM such as SmolLM2)."""
    import torch

    progress = ensure(progress)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    vectors = []
    for enc in tokenized_batches(tokenizer, texts, batch_size, 256, device, progress, "Embedding lines with SmolLM2"):
        with torch.inference_mode():
            out = model(**enc, output_hidden_states=True)
        vectors.append(masked_mean(out.hidden_states[-1], enc["attention_mask"]).float().cpu().numpy())
    return np.concatenate(vectors).astype(np.float32)
