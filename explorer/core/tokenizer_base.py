"""The interface every tokenizer wrapper implements, and the span arithmetic the wrappers share.

For byte-exact tokenizers (the token bytes concatenate to the UTF-8 text) the
spans come from cumulative byte lengths, which is exact and fast; otherwise
(normalizing tokenizers such as BERT's) from the library's own offsets.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from explorer.core.tokenization import Tokenization

def clean_text(text: str) -> str:
    """Replace lone surrogates (not encodable as UTF-8) by U+FFFD; keeps every index in place."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)


def byte_spans(text_bytes: bytes, lengths: np.ndarray, prefix: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Character spans of tokens whose bytes, laid end to end, are `prefix` extra bytes + the text.

    Returns (starts, ends, partial): a token that begins or ends inside a
    character spans the whole character(s) it touches.
    """
    n = len(text_bytes)
    arr = np.frombuffer(text_bytes, dtype=np.uint8)
    is_start = np.empty(n + 1, dtype=bool)
    is_start[:n] = (arr & 0xC0) != 0x80
    is_start[n] = True
    char_of = np.empty(n + 1, dtype=np.int64)
    np.cumsum(is_start[:n], out=char_of[:n])
    char_of[:n] -= 1
    char_of[n] = char_of[n - 1] + 1 if n else 0
    byte_end = np.cumsum(lengths, dtype=np.int64) - prefix
    byte_start = byte_end - lengths
    sb = np.clip(byte_start, 0, n)
    eb = np.clip(byte_end, 0, n)
    starts = char_of[sb]
    has_bytes = eb > sb
    ends = np.where(has_bytes, char_of[np.maximum(eb - 1, 0)] + 1, starts)
    partial = has_bytes & (~is_start[sb] | ~is_start[eb])
    return starts, ends, partial


def place_added_tokens(starts: np.ndarray, ends: np.ndarray, added: np.ndarray) -> None:
    """Give tokens the tokenizer added (no characters) start == end == the end of what precedes them."""
    if not added.any():
        return
    running = np.maximum.accumulate(np.where(added, 0, ends))
    prev = np.concatenate(([0], running[:-1]))
    starts[added] = prev[added]
    ends[added] = prev[added]


def make_monotonic(starts: np.ndarray, ends: np.ndarray) -> None:
    """Guard the sorted-spans invariant against odd library offsets."""
    np.maximum.accumulate(starts, out=starts)
    np.maximum(ends, starts, out=ends)
    np.maximum.accumulate(ends, out=ends)


class TextTokenizer(ABC):
    """A tokenizer with its identity: what the UI shows and the CLI prints."""

    id: str
    title: str
    encoding: str
    algorithm: str = ""

    @property
    @abstractmethod
    def vocab_size(self) -> int: ...

    @abstractmethod
    def tokenize(self, text: str) -> Tokenization: ...

    @abstractmethod
    def bare_encode(self, text: str) -> list[int]:
        """The library's own call and nothing else (benchmarks compare against it)."""

    @abstractmethod
    def token_text(self, tokenization: Tokenization, i: int) -> str: ...

    @abstractmethod
    def piece(self, token_id: int) -> str:
        """The vocabulary entry for an id, as readable text."""

    @abstractmethod
    def sliced(self, tokenization: Tokenization) -> np.ndarray:
        """Per token: True where `token_text` is the token's characters of the text (bool array)."""

    def merges(self) -> list[str] | None:
        """BPE merge rules in the order they were learned, where the library keeps them."""
        return None

    def token_bytes(self, token_id: int) -> bytes | None:
        """The UTF-8 bytes a token stands for, for byte-exact tokenizers; None otherwise."""
        return None

    def nbytes(self) -> int:
        return 0


def slice_text(tk: Tokenization, i: int) -> str:
    """Token `i`'s characters of the text."""
    return tk.text[int(tk.starts[i]):int(tk.ends[i])]


def _byte_level_alphabet() -> dict[str, int]:
    """GPT-2's reversible map from the 256 byte values to printable characters (used by byte-level
    tokenizer.json files), inverted: printable character -> byte."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {chr(c): b for b, c in zip(printable, chars)}


BYTE_DECODER = _byte_level_alphabet()
