"""The mini-CLIP's words: captions split into lower-case words and turned into fixed-length id rows."""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

PAD, UNK, BOS = "<pad>", "<unk>", "<bos>"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased words (letters only): punctuation, digits and emoji are dropped."""
    return _WORD.findall(text.lower())


def encode_texts(texts: Sequence[str], vocab: Sequence[str], max_words: int) -> np.ndarray:
    """(n, max_words + 1) int64 ids: BOS, the words (unknown ones as UNK), then PAD."""
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.full((len(texts), max_words + 1), index[PAD], dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = [index[BOS]] + [index.get(w, index[UNK]) for w in words(text)][:max_words]
        ids[row, :len(tokens)] = tokens
    return ids


def unknown_words(texts: Sequence[str], vocab: Sequence[str]) -> list[str]:
    """Words the mini-CLIP has never seen (it reads them all as one 'unknown' token)."""
    known = set(vocab)
    seen: list[str] = []
    for text in texts:
        for w in words(text):
            if w not in known and w not in seen:
                seen.append(w)
    return seen

