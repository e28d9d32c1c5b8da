"""One word in several sentences through a transformer: its vector at every layer, per occurrence.

A static embedding (GloVe, word2vec) gives "bank" one vector whatever the
sentence. A transformer's hidden states mix in the context, layer after
layer, so "bank" by a river and "bank" with a loan drift apart. We find the
word's token(s) in each sentence through the tokenizer's character offsets
and average its sub-tokens' hidden states at each layer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.vectors import cosine_matrix

MAX_SENTENCES = 40
MAX_TOKENS = 512


@dataclass
class Occurrence:
    sentence: int  # index into the sentences
    start: int  # character offsets of the word in its sentence
    end: int
    tokens: list[str]  # the sub-tokens whose hidden states were averaged

    def context(self, sentences: list[str], width: int = 14) -> str:
        """A short snippet around the word, for labels."""
        text = sentences[self.sentence]
        left = text[max(0, self.start - width):self.start]
        right = text[self.end:self.end + width]
        left = ("…" + left.split(" ", 1)[-1]) if self.start > width and " " in left else left
        right = (right.rsplit(" ", 1)[0] + "…") if len(text) - self.end > width and " " in right else right
        return f"{left}[{text[self.start:self.end]}]{right}".strip()


@dataclass
class ContextualEmbeddings:
    word: str
    model_title: str
    causal: bool  # a left-to-right model: a word's vector sees only the words before it
    sentences: list[str]
    occurrences: list[Occurrence]
    vectors: np.ndarray  # [n_layers + 1, n_occurrences, d]; layer 0 is the embedding layer's output
    missing: list[int]  # sentences in which the word was not found
    coords: np.ndarray | None = None  # [n_layers + 1, n_occurrences, 2]: PCA of each layer's vectors

    @property
    def n_layers(self) -> int:
        return int(self.vectors.shape[0] - 1)

    def cosine(self, layer: int) -> np.ndarray:
        """Cosine between the occurrences' vectors at `layer`."""
        return cosine_matrix(self.vectors[layer])

    def pair_curves(self) -> dict[tuple[int, int], np.ndarray]:
        """For every pair of occurrences, their cosine at each layer (0..n_layers)."""
        all_layers = np.stack([self.cosine(layer) for layer in range(self.vectors.shape[0])])
        n = len(self.occurrences)
        return {(i, j): all_layers[:, i, j] for i in range(n) for j in range(i + 1, n)}

    def labels(self) -> list[str]:
        return [f"{k + 1}. {occ.context(self.sentences)}" for k, occ in enumerate(self.occurrences)]


def find_word(word: str, sentence: str) -> list[tuple[int, int]]:
    """Character spans of `word` as a whole word (case-insensitive) in `sentence`."""
    pattern = r"(?<!\w)" + re.escape(word) + r"(?!\w)"
    return [(m.start(), m.end()) for m in re.finditer(pattern, sentence, flags=re.IGNORECASE)]


def contextual_embeddings(model, tokenizer, word: str, sentences: list[str], device=None,
                          causal: bool = False, model_title: str = "",
                          progress: Progress | None = None) -> ContextualEmbeddings:
    """Hidden states of every occurrence of `word` in `sentences`, at every layer."""
    import torch

    progress = ensure(progress)
    word = (word or "").strip()
    sentences = [s.strip() for s in sentences if s and s.strip()]
    if not word:
        raise ValueError("type the word to follow, for example: bank")
    if not sentences:
        raise ValueError("type at least one sentence that contains the word")
    if len(sentences) > MAX_SENTENCES:
        raise ValueError(f"{len(sentences)} sentences: use at most {MAX_SENTENCES}")
    occurrences: list[Occurrence] = []
    per_layer: list[np.ndarray] = []
    missing: list[int] = []
    for s_index, sentence in enumerate(sentences):
        progress.check()
        spans = find_word(word, sentence)
        if not spans:
            missing.append(s_index)
            continue
        enc = tokenizer(sentence, return_offsets_mapping=True, return_tensors="pt",
                        truncation=True, max_length=MAX_TOKENS)
        offsets = enc.pop("offset_mapping")[0].tolist()
        ids = enc["input_ids"][0].tolist()
        if device is not None:
            enc = {k: v.to(device) for k, v in enc.items()}
        with torch.inference_mode():
            out = model(**enc, output_hidden_states=True)
        hidden = torch.stack(out.hidden_states)[:, 0].float().cpu().numpy()  # [L+1, T, d]
        for start, end in spans:
            rows = [t for t, (a, b) in enumerate(offsets) if b > a and a < end and b > start]
            if not rows:  # cut off by truncation
                continue
            occurrences.append(Occurrence(s_index, start, end, tokenizer.convert_ids_to_tokens([ids[t] for t in rows])))
            per_layer.append(hidden[:, rows].mean(axis=1))
        if not any(o.sentence == s_index for o in occurrences):
            missing.append(s_index)
        progress.report((s_index + 1) / len(sentences), f"Reading '{word}' in sentence {s_index + 1}")
    if not occurrences:
        raise ValueError(f"'{word}' does not appear as a whole word in any sentence")
    vectors = np.stack(per_layer, axis=1).astype(np.float32)  # [L+1, n, d]
    result = ContextualEmbeddings(word, model_title, causal, sentences, occurrences, vectors, missing)
    result.coords = _layer_coords(vectors)
    return result


def _layer_coords(vectors: np.ndarray) -> np.ndarray:
    """2-D PCA of the occurrences at each layer (all zeros when there is only one occurrence)."""
    from explorer.core.projection import pca_coords

    layers, n, _ = vectors.shape
    coords = np.zeros((layers, n, 2), np.float32)
    if n < 2:
        return coords
    for layer in range(layers):
        coords[layer] = pca_coords(vectors[layer], 2)
    return coords
