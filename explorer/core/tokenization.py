"""What every tokenizer returns: token ids and the characters each token covers, and how a token reads.

`Tokenization` (in the model host, with its tokenizer) and `TokenizedText`
(plain data: what the GUI holds) share one reader. Arrays are parallel, one
entry per token: ids, start / end character indices (Python `str` indices
into the text) and FLAG_* bits. The tokenizers themselves are wrapped in
explorer/core/tokenizer_wrappers.py, behind explorer/core/tokenizer_base.py.

Span rules (the CLI and the UI rely on them):
- spans are in text order (starts and ends never decrease);
- a token that holds only some bytes of a character (byte-level BPE, byte
  fallback) reports the span of the whole character(s) its bytes touch, and
  its text is that character, never mojibake;
- special tokens the tokenizer adds by itself ([CLS], <s>, </s>) have
  start == end, placed where they sit in the sequence.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the GUI reads TokenizedText without the wrappers
    from explorer.core.tokenizer_base import TextTokenizer

FLAG_SPECIAL = 1   # added by the tokenizer or a reserved control token
FLAG_UNKNOWN = 2   # the tokenizer's unknown token ([UNK], <unk>)
FLAG_PARTIAL = 4   # holds only some of the bytes of a character
FLAG_PREFIX = 8    # SentencePiece's dummy-prefix space: covers no character of the text
FLAG_SLICED = 16   # its text is its characters of the text (not a vocabulary piece): TokenizedText only


@dataclass(frozen=True)
class Token:
    id: int
    text: str
    start: int
    end: int
    special: bool
    unknown: bool = False
    partial: bool = False

    def to_json(self) -> dict:
        return {"id": self.id, "text": self.text, "start": self.start, "end": self.end, "special": self.special}


class _TokenSpans:
    """Reading a tokenization: shared by `Tokenization` (with its tokenizer) and `TokenizedText` (plain data).

    Subclasses hold `text`, `ids`, `starts`, `ends`, `flags` and implement
    `token_text(i)`, `tokenizer_id`, `encoding` and `vocab_size`.
    """

    text: str
    ids: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    flags: np.ndarray

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def token_text(self, i: int) -> str:  # pragma: no cover - both subclasses implement it
        raise NotImplementedError

    def texts(self, start: int, stop: int) -> list[str]:
        return [self.token_text(i) for i in range(start, stop)]

    def token(self, i: int) -> Token:
        flags = int(self.flags[i])
        return Token(int(self.ids[i]), self.token_text(i), int(self.starts[i]), int(self.ends[i]),
                     bool(flags & FLAG_SPECIAL), bool(flags & FLAG_UNKNOWN), bool(flags & FLAG_PARTIAL))

    def tokens(self) -> list[Token]:
        return [self.token(i) for i in range(len(self))]

    @property
    def chars_per_token(self) -> float:
        n = len(self)
        return len(self.text) / n if n else 0.0

    def overlapping(self, start: int, end: int) -> np.ndarray:
        """Indices of the tokens whose span overlaps characters [start, end)."""
        if end <= start:
            return np.empty(0, dtype=np.int64)
        # spans are sorted: tokens with end > start begin at lo, tokens with start < end stop before hi
        lo = int(np.searchsorted(self.ends, start, side="right"))
        hi = int(np.searchsorted(self.starts, end, side="left"))
        idx = np.arange(lo, max(lo, hi), dtype=np.int64)
        return idx[self.ends[idx] > self.starts[idx]]

    def index_range(self, char_start: int, char_end: int) -> tuple[int, int]:
        """The run of tokens [i0, i1) that overlaps characters [char_start, char_end), zero-width ones included."""
        i0 = int(np.searchsorted(self.ends, char_start, side="left" if char_start == 0 else "right"))
        i1 = int(np.searchsorted(self.starts, char_end, side="left" if char_end < len(self.text) else "right"))
        return i0, max(i0, i1)

    def to_json(self) -> dict:
        return {"tokenizer": self.tokenizer_id, "encoding": self.encoding,  # type: ignore[attr-defined]
                "vocab_size": self.vocab_size, "tokens": [t.to_json() for t in self.tokens()]}  # type: ignore


@dataclass
class Tokenization(_TokenSpans):
    """A text cut into tokens by one tokenizer; arrays are parallel, one entry per token."""

    tokenizer: "TextTokenizer"
    text: str
    ids: np.ndarray      # int64
    starts: np.ndarray   # int64, character index into `text`
    ends: np.ndarray     # int64, exclusive
    flags: np.ndarray    # uint8, FLAG_* bits
    _texts: dict[int, str] = field(default_factory=dict, repr=False)

    @property
    def tokenizer_id(self) -> str:
        return self.tokenizer.id

    @property
    def encoding(self) -> str:
        return self.tokenizer.encoding

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    def token_text(self, i: int) -> str:
        """The token as readable text: its characters, or its vocabulary piece (##ization, [CLS])."""
        cached = self._texts.get(i)
        if cached is None:
            cached = self.tokenizer.token_text(self, i)
            self._texts[i] = cached
        return cached

    def token_bytes(self, i: int) -> bytes | None:
        """The UTF-8 bytes token `i` stands for (byte-exact tokenizers), else None."""
        return self.tokenizer.token_bytes(int(self.ids[i]))

    def to_plain(self, source: str = "") -> "TokenizedText":
        """The same tokens as plain data (no tokenizer object): what the model host sends the GUI.

        A token's text is either its characters (FLAG_SLICED: cut from the text where it is read) or
        its vocabulary piece, sent once per distinct id; so are the bytes of byte-exact tokenizers.
        """
        from explorer.core.tokenizer_base import TextTokenizer  # runs in the model host only

        tokenizer = self.tokenizer
        sliced = tokenizer.sliced(self)
        flags = self.flags | np.where(sliced, FLAG_SLICED, 0).astype(np.uint8)
        by_id = np.flatnonzero(~sliced)
        pieces: dict[int, str] = {}
        if by_id.size:
            ids_by_id = self.ids[by_id]
            unique, first = np.unique(ids_by_id, return_index=True)
            for token_id, i in zip(unique.tolist(), by_id[first].tolist()):
                pieces[token_id] = tokenizer.token_text(self, i)
        raw: dict[int, bytes] = {}
        if type(tokenizer).token_bytes is not TextTokenizer.token_bytes:
            for token_id in np.unique(self.ids).tolist():
                data = tokenizer.token_bytes(token_id)
                if data:
                    raw[token_id] = data
        return TokenizedText(self.text, self.ids, self.starts, self.ends, flags, pieces, raw,
                             tokenizer.id, tokenizer.title, tokenizer.encoding, tokenizer.vocab_size,
                             source or tokenizer.id)


@dataclass
class TokenizedText(_TokenSpans):
    """A tokenization as plain data: what the GUI holds (it never sees a tokenizer object).

    `pieces` maps the id of every token whose text is a vocabulary piece
    (not its characters) to that text; `raw` the id of every token to its
    UTF-8 bytes where the tokenizer is byte-exact. `source` names the loaded
    tokenizer that made it (views cache per-id layout work under it).
    """

    text: str
    ids: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    flags: np.ndarray
    pieces: dict[int, str]
    raw: dict[int, bytes]
    tokenizer_id: str
    title: str
    encoding: str
    vocab_size: int
    source: str

    def token_text(self, i: int) -> str:
        if self.flags[i] & FLAG_SLICED:
            return self.text[int(self.starts[i]):int(self.ends[i])]
        return self.pieces.get(int(self.ids[i]), "")

    def token_bytes(self, i: int) -> bytes | None:
        return self.raw.get(int(self.ids[i]))


# --- how a token reads ------------------------------------------------------------------------

def readable_bytes(data: bytes) -> str:
    """A vocabulary entry as text; bytes that are not whole characters as <F0 9F>."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "<" + " ".join(f"{b:02X}" for b in data) + ">"


_VISIBLE = str.maketrans({" ": "·", "\t": "→", "\n": "↵", "\r": "␍", "\u00a0": "⍽", "\u3000": "□",
                          "\u200d": "⁀", "\u200c": "‿", "\ufeff": "⌀"})


def visible_whitespace(text: str) -> str:
    """Spaces, tabs and newlines as ·, →, ↵ (and zero-width joiners as ⁀) so a chip is never blank."""
    shown = text.translate(_VISIBLE)
    if shown and unicodedata.combining(shown[0]):
        shown = "◌" + shown  # a lone combining mark needs a base to be seen
    return shown


def describe_char(ch: str) -> str:
    """U+1F3B5 MUSICAL NOTE."""
    try:
        name = unicodedata.name(ch)
    except ValueError:
        name = "?"
    return f"U+{ord(ch):04X} {name}"


