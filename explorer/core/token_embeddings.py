"""A model's token-embedding matrix (its input vocabulary as vectors), read straight from safetensors.

Reading one tensor with `safe_open` takes a fraction of a second and a few
tens of MB, where building the whole model would take seconds and hundreds.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.tokenizer_base import BYTE_DECODER

# byte-level BPE marks a leading space with "Ġ" and a newline with "Ċ"; show them as visible symbols
_BYTE_LEVEL_MARKS = {"Ġ": "␣", "Ċ": "↵", "ĉ": "⇥"}


@dataclass
class TokenEmbeddings:
    title: str
    tokens: list[str]  # display strings, one per row (a leading space shown as ␣)
    raw_tokens: list[str]  # the vocabulary's own strings
    vectors: np.ndarray  # [vocab, d] float32

    def __len__(self) -> int:
        return len(self.tokens)


def display_token(token: str, byte_level: bool) -> str:
    """A readable form of a vocabulary entry: ␣ for a leading space, ↵ for a newline."""
    if not byte_level:
        return token
    try:
        raw = bytes(BYTE_DECODER[ch] for ch in token)
        text = raw.decode("utf-8")
        return text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥")
    except (KeyError, UnicodeDecodeError):
        # a piece of a multi-byte character: keep the byte symbols, mark spaces
        return "".join(_BYTE_LEVEL_MARKS.get(ch, ch) for ch in token)


def load_token_embeddings(weights: Path, tokenizer_json: Path, tensor: str, title: str,
                          progress: Progress | None = None) -> TokenEmbeddings:
    """The rows of `tensor` in `weights` (safetensors) with the token string of each row."""
    progress = ensure(progress)
    from safetensors import safe_open
    from tokenizers import Tokenizer

    progress.report(None, f"Reading {title}")
    with safe_open(str(weights), framework="numpy") as fh:
        if tensor not in fh.keys():
            raise ValueError(f"{weights.name} has no tensor '{tensor}'")
        bfloat16 = fh.get_slice(tensor).get_dtype() == "BF16"
        if not bfloat16:
            matrix = np.asarray(fh.get_tensor(tensor), dtype=np.float32)
    if bfloat16:  # numpy has no bfloat16 (the Hub's SmolLM2 stores it): torch widens it to float32 exactly
        with safe_open(str(weights), framework="pt") as fh:
            matrix = fh.get_tensor(tensor).float().numpy()
    progress.check()
    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    raw = [""] * matrix.shape[0]
    for token, i in vocab.items():
        if 0 <= i < len(raw):
            raw[i] = token
    raw = [t if t else f"<unused {i}>" for i, t in enumerate(raw)]
    byte_level = sum(t.startswith("Ġ") for t in raw) > len(raw) // 20
    tokens = [display_token(t, byte_level) for t in raw]
    progress.check()
    return TokenEmbeddings(title, tokens, raw, np.ascontiguousarray(matrix))
