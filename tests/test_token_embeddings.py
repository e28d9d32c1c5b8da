"""Token-embedding matrices read straight from the real models' safetensors files."""
import numpy as np

from explorer.core.token_embeddings import display_token, load_token_embeddings
from explorer.models.word_vectors import token_embedding_files


def test_minilm_has_30522_wordpiece_vectors_of_384_dimensions():
    emb = load_token_embeddings(*token_embedding_files("minilm"))
    assert emb.vectors.shape == (30_522, 384) and len(emb.tokens) == 30_522
    assert emb.tokens[emb.raw_tokens.index("[CLS]")] == "[CLS]"
    assert "##ing" in emb.tokens


def test_smollm2_has_49152_vectors_with_readable_tokens():
    emb = load_token_embeddings(*token_embedding_files("smollm2"))
    assert emb.vectors.shape == (49_152, 576) and emb.vectors.dtype == np.float32
    assert "␣the" in emb.tokens  # "Ġthe": a word with its leading space
    i, j = emb.tokens.index("␣king"), emb.tokens.index("␣queen")
    k = emb.tokens.index("␣the")
    unit = emb.vectors / np.linalg.norm(emb.vectors, axis=1, keepdims=True)
    assert unit[i] @ unit[j] > unit[i] @ unit[k]


def test_display_of_byte_level_tokens():
    assert display_token("Ġbank", True) == "␣bank"
    assert display_token("ĊĊ", True) == "↵↵"
    assert display_token("Ã©", True) == "é"
    assert display_token("##ing", False) == "##ing"
