"""Images and text in one space: similarity matrices, zero-shot classification, search.

Everything here works on unit vectors. Orientation is fixed: a matrix has
ONE ROW PER IMAGE and one column per text.

Every image-text model the app can load (CLIP, SigLIP, the mini-CLIP trained
here) is wrapped in an object with the `ImageTextEncoder` interface, so the
views and the CLI never care which one it is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

# rows scaled to unit length, float32 (the image-text code's name for the shared helper)
from explorer.core.vectors import unit_rows as normalise

DEFAULT_TEMPLATE = "a photo of a {}"


@runtime_checkable
class ImageTextEncoder(Protocol):
    """What every image-text model offers the app."""

    name: str
    # True only for the mini-CLIP trained on this computer: the UI says so
    is_trained_here: bool
    # exp(learned temperature): turns cosines into logits
    logit_scale: float
    # SigLIP adds a learned bias and uses a sigmoid per pair ("sigmoid"); CLIP uses a softmax ("softmax")
    logit_bias: float
    loss_kind: str
    # identifies the exact weights, so cached image embeddings are never reused across models
    cache_key: str

    def embed_images(self, images: Sequence, progress=None) -> np.ndarray:
        """PIL images -> (n, d) float32 unit vectors."""

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Texts -> (n, d) float32 unit vectors."""


def similarity_matrix(image_vectors: np.ndarray, text_vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity, shape (n_images, n_texts): row i is image i."""
    images = normalise(image_vectors)
    texts = normalise(text_vectors)
    if images.shape[1] != texts.shape[1]:
        raise ValueError(f"image vectors have {images.shape[1]} dimensions but text vectors {texts.shape[1]}")
    return images @ texts.T


def fill_template(template: str, class_name: str) -> str:
    """"a photo of a {}" + "cat" -> "a photo of a cat". A template without {} gets the class appended."""
    template = template.strip() or "{}"
    if "{}" not in template:
        template = template + " {}"
    return template.replace("{}", class_name.strip())


def prompts(class_names: Sequence[str], template: str = DEFAULT_TEMPLATE) -> list[str]:
    return [fill_template(template, name) for name in class_names]


def clean_lines(text: str, limit: int = 64, max_chars: int = 300) -> tuple[list[str], list[str]]:
    """Non-empty lines (each cut to `max_chars`), at most `limit`; plus messages about what was dropped."""
    lines = [line.strip() for line in text.replace(",\n", "\n").splitlines()]
    lines = [line for line in lines if line]
    notes: list[str] = []
    if any(len(line) > max_chars for line in lines):
        notes.append(f"lines longer than {max_chars} characters were cut")
        lines = [line[:max_chars] for line in lines]
    if len(lines) > limit:
        notes.append(f"only the first {limit} of {len(lines)} lines are used")
        lines = lines[:limit]
    return lines, notes


@dataclass
class ZeroShotResult:
    class_names: list[str]
    prompts: list[str]
    # (n_images, n_classes): probabilities (softmax rows sum to 1; sigmoid entries are independent)
    probabilities: np.ndarray
    # (n_images, n_classes) cosine similarity of each image to each prompt
    cosines: np.ndarray
    kind: str = "softmax"

    def best(self) -> list[tuple[str, float]]:
        """For each image: its most likely class and that probability."""
        idx = self.probabilities.argmax(axis=1)
        return [(self.class_names[j], float(self.probabilities[i, j])) for i, j in enumerate(idx)]


def zero_shot_probabilities(cosines: np.ndarray, logit_scale: float, kind: str = "softmax",
                            logit_bias: float = 0.0) -> np.ndarray:
    """Softmax over classes of logit_scale * cosine (CLIP), or an independent sigmoid per class (SigLIP)."""
    logits = np.asarray(cosines, dtype=np.float64) * float(logit_scale) + float(logit_bias)
    if kind == "sigmoid":
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
    logits = logits - logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return (weights / weights.sum(axis=1, keepdims=True)).astype(np.float32)


def zero_shot(image_vectors: np.ndarray, encoder: ImageTextEncoder, class_names: Sequence[str],
              template: str = DEFAULT_TEMPLATE) -> ZeroShotResult:
    """Classify images into classes the model was never trained on as such: compare with "a photo of a {class}"."""
    names = [n.strip() for n in class_names if n.strip()]
    if not names:
        raise ValueError("give at least one class name")
    texts = prompts(names, template)
    cosines = similarity_matrix(image_vectors, encoder.embed_texts(texts))
    probs = zero_shot_probabilities(cosines, encoder.logit_scale, encoder.loss_kind, encoder.logit_bias)
    return ZeroShotResult(names, texts, probs, cosines, encoder.loss_kind)


@dataclass
class Ranking:
    indices: np.ndarray  # best first
    scores: np.ndarray  # cosine of each, same order

    def __len__(self) -> int:
        return len(self.indices)


def rank(query_vector: np.ndarray, vectors: np.ndarray, k: int = 20, exclude: int | None = None) -> Ranking:
    """The `k` rows of `vectors` most similar to `query_vector` (cosine), best first."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if len(vectors) == 0:
        return Ranking(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    query = normalise(query_vector)[0]
    scores = vectors @ query
    if exclude is not None and 0 <= exclude < len(scores):
        scores = scores.copy()
        scores[exclude] = -np.inf
    k = max(0, min(k, len(scores) - (1 if exclude is not None else 0)))
    if k == 0:
        return Ranking(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    # argpartition first: a full sort of a big index is wasted work
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return Ranking(top.astype(np.int64), scores[top].astype(np.float32))


def search_text(query: str, encoder: ImageTextEncoder, image_vectors: np.ndarray, k: int = 20) -> Ranking:
    """Text -> the most similar images."""
    if not query.strip():
        raise ValueError("type something to search for")
    return rank(encoder.embed_texts([query.strip()])[0], image_vectors, k)


def search_image(index: int, image_vectors: np.ndarray, k: int = 20) -> Ranking:
    """Image `index` -> the most similar other images."""
    return rank(image_vectors[index], image_vectors, k, exclude=index)


@dataclass
class SimilarityResult:
    image_names: list[str]
    texts: list[str]
    matrix: np.ndarray  # (n_images, n_texts) cosine
    model_name: str = ""
    messages: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"images": list(self.image_names), "texts": list(self.texts),
                "matrix": [[round(float(v), 6) for v in row] for row in self.matrix]}


def compare(encoder: ImageTextEncoder, images: Sequence, image_names: Sequence[str],
            texts: Sequence[str], progress=None) -> SimilarityResult:
    """The image x text cosine matrix for PIL images and captions."""
    if not len(images):
        raise ValueError("add at least one image")
    texts = [t for t in texts if t.strip()]
    if not texts:
        raise ValueError("add at least one caption")
    image_vectors = encoder.embed_images(list(images), progress=progress)
    matrix = similarity_matrix(image_vectors, encoder.embed_texts(texts))
    return SimilarityResult(list(image_names), list(texts), matrix, encoder.name)
