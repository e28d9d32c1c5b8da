"""MiniLM sentence embeddings match sentence-transformers' own pipeline on the same files.

The reference is `sentence_transformers.SentenceTransformer` opened on the model folder the app
uses: its modules.json says Transformer -> mean Pooling -> Normalize, which the app reimplements.
"""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core.sentence_embeddings import embed_sentences
from explorer.models import paths

SENTENCES = ["A cat sat on the mat.", "Interest rates rose again.", "A kitten rested on the rug.",
             "x", "Ünïcödé, emoji 🦜 and CJK 我爱自然语言处理 in one sentence that is rather longer than the others, "
             "so that the batch needs padding."]


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(paths.minilm_dir()), device="cpu")


def reference_cosines(reference, sentences: list[str]) -> np.ndarray:
    vectors = reference.encode(sentences, convert_to_numpy=True, normalize_embeddings=True, batch_size=2)
    return vectors @ vectors.T


def test_the_apps_sentence_vectors_equal_sentence_transformers(minilm, reference):
    # batch size 2 here and 32 in the app: padding must not change a sentence's vector
    ours = embed_sentences(minilm.model, minilm.tokenizer, SENTENCES, minilm.device)
    theirs = reference.encode(SENTENCES, convert_to_numpy=True, batch_size=2)
    assert ours.vectors.shape == theirs.shape == (5, 384)
    assert np.allclose(ours.vectors, theirs, atol=2e-6)
    assert np.allclose(ours.cosine(), reference_cosines(reference, SENTENCES), atol=2e-6)
