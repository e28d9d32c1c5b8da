"""One shape for every tokenizer library: token ids and the characters each token covers.

`TextTokenizer.tokenize(text)` returns a `Tokenization`: numpy arrays of ids,
start / end character indices (Python `str` indices into the text) and flags.
Three wrappers share it: tiktoken encodings, Hugging Face `tokenizers`
tokenizers and SentencePiece models.

Span rules (the CLI and the UI rely on them):
- spans are in text order (starts and ends never decrease);
- a token that holds only some bytes of a character (byte-level BPE, byte
  fallback) reports the span of the whole character(s) its bytes touch, and
  its text is that character, never mojibake;
- special tokens the tokenizer adds by itself ([CLS], <s>, </s>) have
  start == end, placed where they sit in the sequence.

For byte-exact tokenizers (the token bytes concatenate to the UTF-8 text) the
spans come from cumulative byte lengths, which is exact and fast; otherwise
(normalizing tokenizers such as BERT's) from the library's own offsets.
"""
from __future__ import annotations

import json
import re
import unicodedata
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

FLAG_SPECIAL = 1   # added by the tokenizer or a reserved control token
FLAG_UNKNOWN = 2   # the tokenizer's unknown token ([UNK], <unk>)
FLAG_PARTIAL = 4   # holds only some of the bytes of a character
FLAG_PREFIX = 8    # SentencePiece's dummy-prefix space: covers no character of the text
FLAG_SLICED = 16   # its text is its characters of the text (not a vocabulary piece): TokenizedText only

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


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

    def is_special(self, i: int) -> bool:
        return bool(self.flags[i] & FLAG_SPECIAL)

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
    def n_text_tokens(self) -> int:
        """Tokens that stand for some of the text (special tokens left out)."""
        return int(np.count_nonzero((self.flags & FLAG_SPECIAL) == 0))

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

    _ARRAYS = (("ids", np.int64), ("starts", np.int64), ("ends", np.int64), ("flags", np.uint8))

    def to_bytes(self) -> tuple:
        """(self without its arrays, the arrays' bytes): travels through the model host's pipe as is.

        For partial results: the host client frees every shared-memory segment of a call when it takes
        one value, so arrays of several partial values of one call must not go through shared memory.
        """
        import dataclasses

        bare = dataclasses.replace(self, **{name: None for name, _ in self._ARRAYS})
        return bare, tuple(np.ascontiguousarray(getattr(self, name), dtype=dtype).tobytes()
                           for name, dtype in self._ARRAYS)

    @classmethod
    def from_bytes(cls, packed: tuple) -> "TokenizedText":
        import dataclasses

        bare, data = packed
        return dataclasses.replace(bare, **{name: np.frombuffer(raw, dtype=dtype)
                                            for (name, dtype), raw in zip(cls._ARRAYS, data)})


# --- helpers shared by the wrappers ---------------------------------------------------------------

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


# --- the interface -----------------------------------------------------------------------------

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


def _slice_text(tk: Tokenization, i: int) -> str:
    return tk.text[int(tk.starts[i]):int(tk.ends[i])]


class TiktokenTokenizer(TextTokenizer):
    """An OpenAI tiktoken encoding (byte-level BPE), encoded with `encode_ordinary` semantics."""

    algorithm = "byte-level BPE"

    def __init__(self, encoding, tokenizer_id: str, title: str, encoding_name: str = "") -> None:
        self.enc = encoding
        self.id = tokenizer_id
        self.title = title
        self.encoding = encoding_name or encoding.name
        n = encoding.n_vocab
        self._bytes: list[bytes] = [b""] * n
        self._special_ids = {encoding.encode_single_token(name) for name in encoding.special_tokens_set}
        for rank in range(n):
            if rank in self._special_ids:
                continue
            try:
                self._bytes[rank] = encoding.decode_single_token_bytes(rank)
            except KeyError:  # o200k_base leaves a few ranks unused
                pass
        for name in encoding.special_tokens_set:
            self._bytes[encoding.encode_single_token(name)] = name.encode("utf-8")
        self._lengths = np.fromiter((len(b) for b in self._bytes), dtype=np.int64, count=n)

    @property
    def vocab_size(self) -> int:
        return int(self.enc.n_vocab)

    def bare_encode(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def tokenize(self, text: str) -> Tokenization:
        text = clean_text(text)
        ids = np.asarray(self.enc.encode_ordinary(text), dtype=np.int64)
        starts, ends, partial = byte_spans(text.encode("utf-8"), self._lengths[ids])
        flags = np.where(partial, FLAG_PARTIAL, 0).astype(np.uint8)
        return Tokenization(self, text, ids, starts, ends, flags)

    def token_text(self, tk: Tokenization, i: int) -> str:
        return _slice_text(tk, i)

    def sliced(self, tk: Tokenization) -> np.ndarray:
        return np.ones(len(tk), dtype=bool)

    def piece(self, token_id: int) -> str:
        if 0 <= token_id < len(self._bytes):
            return readable_bytes(self._bytes[token_id])
        return ""

    def token_bytes(self, token_id: int) -> bytes | None:
        return self._bytes[token_id] if 0 <= token_id < len(self._bytes) else None

    def nbytes(self) -> int:
        return int(sum(len(b) + 40 for b in self._bytes) * 3)


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


def _component_types(spec: Any) -> list[str]:
    """All "type" names in a tokenizer.json component (Sequence members included)."""
    if not isinstance(spec, dict):
        return []
    found = [spec.get("type", "")]
    for key in ("pretokenizers", "normalizers", "decoders", "processors"):
        for item in spec.get(key, []) or []:
            found += _component_types(item)
    return found


RELEASE_GIL_CHARS = 2_000  # below this, encode (GIL held) is cheaper than encode_batch
_CHUNK = 32_768


def _offsets_array(offsets: list, n: int) -> np.ndarray:
    """[(start, end), ...] -> int64 (n, 2), converted in slices so other threads get the GIL between them."""
    out = np.empty((n, 2), dtype=np.int64)
    for k in range(0, n, _CHUNK):
        out[k:k + _CHUNK] = offsets[k:k + _CHUNK]
    return out


class HFTokenizer(TextTokenizer):
    """A Hugging Face `tokenizers` tokenizer (tokenizer.json), with padding and truncation off."""

    def __init__(self, tokenizer, tokenizer_id: str, title: str, encoding_name: str = "") -> None:
        tokenizer.no_padding()
        tokenizer.no_truncation()
        self.tok = tokenizer
        self.id = tokenizer_id
        self.title = title
        spec = json.loads(tokenizer.to_str())
        self._spec = spec
        model = spec.get("model", {})
        self.model_type = model.get("type", "")
        kinds = set(_component_types(spec.get("pre_tokenizer")) + _component_types(spec.get("decoder")))
        self.byte_level = "ByteLevel" in kinds
        self.metaspace = "Metaspace" in kinds or model.get("type") == "Unigram"
        self.wordpiece = self.model_type == "WordPiece"
        self.algorithm = {"WordPiece": "WordPiece", "Unigram": "Unigram", "WordLevel": "word-level"}.get(
            self.model_type, "byte-level BPE" if self.byte_level else "BPE")
        self.encoding = encoding_name or self.algorithm
        unk = model.get("unk_token")
        unk_id = tokenizer.token_to_id(unk) if isinstance(unk, str) else None
        if unk_id is None and isinstance(model.get("unk_id"), int):
            unk_id = model["unk_id"]
        self.unk_id = -1 if unk_id is None else int(unk_id)
        self._n = tokenizer.get_vocab_size(with_added_tokens=True)
        vocab = tokenizer.get_vocab(with_added_tokens=True)
        size = max(self._n, max(vocab.values(), default=-1) + 1)
        self._pieces: list[str] = [""] * size
        for piece, idx in vocab.items():
            self._pieces[idx] = piece
        self._added = {idx: tok.content for idx, tok in tokenizer.get_added_tokens_decoder().items()}
        self._special_ids = {idx for idx, tok in tokenizer.get_added_tokens_decoder().items() if tok.special}
        self._is_byte_piece = np.fromiter((bool(_BYTE_PIECE.match(p)) for p in self._pieces), dtype=bool,
                                          count=len(self._pieces))
        self._byte_table: list[bytes] | None = None
        self._byte_lengths: np.ndarray | None = None
        if self.byte_level:
            self._build_byte_table()

    def _build_byte_table(self) -> None:
        table: list[bytes] = []
        for idx, piece in enumerate(self._pieces):
            if idx in self._added:
                table.append(self._added[idx].encode("utf-8"))
                continue
            try:
                table.append(bytes(BYTE_DECODER[c] for c in piece))
            except KeyError:
                table.append(piece.encode("utf-8"))
        self._byte_table = table
        self._byte_lengths = np.fromiter((len(b) for b in table), dtype=np.int64, count=len(table))

    @property
    def vocab_size(self) -> int:
        return int(self._n)

    def bare_encode(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def tokenize(self, text: str) -> Tokenization:
        text = clean_text(text)
        enc = self._encode(text, offsets=not self.byte_level)
        ids = np.asarray(enc.ids, dtype=np.int64)
        n = ids.shape[0]
        mask = np.asarray(enc.special_tokens_mask, dtype=bool) if n else np.zeros(0, dtype=bool)
        flags = np.zeros(n, dtype=np.uint8)
        flags[mask] |= FLAG_SPECIAL
        if self.unk_id >= 0:
            flags[ids == self.unk_id] |= FLAG_UNKNOWN
        offsets = None
        if mask.any() or not self.byte_level:  # byte-level spans need them only to place special tokens
            offsets = self._offsets(text, enc, n)
            # special tokens the post-processor added cover nothing; those typed in the text do
            added = mask & (offsets[:, 0] == offsets[:, 1])
        else:
            added = mask
        spans = self._byte_exact_spans(text, ids, added) if self.byte_level else None
        if spans is not None:
            starts, ends, partial = spans
        else:
            if offsets is None:
                offsets = self._offsets(text, enc, n)
            starts = offsets[:, 0].copy()
            ends = offsets[:, 1].copy()
            place_added_tokens(starts, ends, added)
            make_monotonic(starts, ends)
            partial = self._shared_span_pieces(ids, starts, ends, mask)
            if self.metaspace and n > 1 and self._pieces[int(ids[0])] == "▁" and \
                    starts[0] == starts[1] and ends[0] == ends[1]:
                ends[0] = starts[0]  # the "▁" Metaspace puts in front of the text covers none of it
                flags[0] |= FLAG_PREFIX
        flags[partial] |= FLAG_PARTIAL
        return Tokenization(self, text, ids, starts, ends, flags)

    def _encode(self, text: str, offsets: bool):
        """The library's encoding of `text` with its default special tokens.

        encode_batch releases the GIL while Rust works (encode does not), so a long text on the worker
        never freezes the GUI thread; the _fast variant skips offsets, which byte-level spans do not need.
        """
        if len(text) <= RELEASE_GIL_CHARS:
            return self.tok.encode(text)
        if offsets:
            return self.tok.encode_batch([text])[0]
        return self.tok.encode_batch_fast([text])[0]

    def _offsets(self, text: str, enc, n: int) -> np.ndarray:
        """`enc`'s character offsets as int64 (n, 2); only a long byte-level text was encoded without them."""
        if self.byte_level and len(text) > RELEASE_GIL_CHARS:
            enc = self._encode(text, offsets=True)
        return _offsets_array(enc.offsets, n)

    def _byte_exact_spans(self, text: str, ids: np.ndarray, added: np.ndarray):
        assert self._byte_lengths is not None and self._byte_table is not None
        if ids.size and int(ids.max()) >= self._byte_lengths.shape[0]:
            return None
        lengths = self._byte_lengths[ids].copy()
        lengths[added] = 0
        text_bytes = text.encode("utf-8")
        if int(lengths.sum()) != len(text_bytes):
            return None
        table = self._byte_table
        keep = ids[~added].tolist()
        if b"".join(map(table.__getitem__, keep)) != text_bytes:
            return None  # a normalizer changed the text: fall back to the library's offsets
        return byte_spans(text_bytes, lengths)

    def _shared_span_pieces(self, ids, starts, ends, special) -> np.ndarray:
        """Byte-fallback pieces (<0xF0>) of one character: several tokens with the same non-empty span."""
        n = ids.shape[0]
        if n < 2 or not self._is_byte_piece.any():
            return np.zeros(n, dtype=bool)
        same_prev = np.zeros(n, dtype=bool)
        same_prev[1:] = (starts[1:] == starts[:-1]) & (ends[1:] == ends[:-1])
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = same_prev[1:]
        valid = ids < self._is_byte_piece.shape[0]
        byte_piece = np.zeros(n, dtype=bool)
        byte_piece[valid] = self._is_byte_piece[ids[valid]]
        return (same_prev | same_next) & (ends > starts) & ~special & byte_piece

    def token_text(self, tk: Tokenization, i: int) -> str:
        token_id = int(tk.ids[i])
        flags = int(tk.flags[i])
        piece = self._pieces[token_id] if 0 <= token_id < len(self._pieces) else ""
        if flags & FLAG_SPECIAL or token_id in self._added:
            return self._added.get(token_id, piece)
        if self.byte_level or flags & FLAG_PARTIAL or _BYTE_PIECE.match(piece):
            return _slice_text(tk, i)
        if self.metaspace:
            return piece.replace("▁", " ")
        return piece

    def sliced(self, tk: Tokenization) -> np.ndarray:
        """Vectorised `token_text`'s choice: characters unless special or added; byte-level, partial or
        <0x..> pieces always are characters."""
        ids, flags = tk.ids, tk.flags
        valid = (ids >= 0) & (ids < len(self._pieces))
        safe = np.where(valid, ids, 0)
        added = np.zeros(ids.shape[0], dtype=bool)
        if self._added:
            added = np.isin(ids, np.fromiter(self._added, dtype=np.int64, count=len(self._added)))
        chars = (flags & FLAG_PARTIAL) != 0
        chars |= valid & self._is_byte_piece[safe]
        if self.byte_level:
            chars[:] = True
        return chars & ~((flags & FLAG_SPECIAL) != 0) & ~added

    def piece(self, token_id: int) -> str:
        if not 0 <= token_id < len(self._pieces):
            return ""
        piece = self._pieces[token_id]
        if self.byte_level and self._byte_table is not None and token_id not in self._added:
            return readable_bytes(self._byte_table[token_id])
        if self.metaspace:
            return piece.replace("▁", " ")
        return piece

    def token_bytes(self, token_id: int) -> bytes | None:
        if self._byte_table is not None and 0 <= token_id < len(self._byte_table):
            return self._byte_table[token_id]
        return None

    def merges(self) -> list[str] | None:
        merges = self._spec.get("model", {}).get("merges")
        if not merges:
            return None
        out = []
        for merge in merges:
            left, right = merge if isinstance(merge, list) else merge.split(" ", 1)
            if self.byte_level:
                left, right = (readable_bytes(bytes(BYTE_DECODER.get(c, 63) for c in s)) for s in (left, right))
            out.append(f"{left} + {right}")
        return out

    def nbytes(self) -> int:
        return len(self._pieces) * 200


class SentencePieceTokenizer(TextTokenizer):
    """A SentencePiece model (.model file); `add_bos` puts <s> first, as the model expects."""

    def __init__(self, processor, tokenizer_id: str, title: str, encoding_name: str = "",
                 add_bos: bool = True, add_eos: bool = False) -> None:
        self.sp = processor
        self.id = tokenizer_id
        self.title = title
        self.add_bos = add_bos and processor.bos_id() >= 0
        self.add_eos = add_eos and processor.eos_id() >= 0
        n = processor.get_piece_size()
        self._n = n
        self._pieces = [processor.id_to_piece(i) for i in range(n)]
        table: list[bytes] = []
        self._control = np.zeros(n, dtype=bool)
        for i, piece in enumerate(self._pieces):
            if processor.is_control(i) or processor.is_unknown(i):
                self._control[i] = processor.is_control(i)
                table.append(b"")
            elif processor.is_byte(i):
                table.append(bytes([int(piece[3:5], 16)]))
            else:
                table.append(piece.replace("▁", " ").encode("utf-8"))
        self._table = table
        self._lengths = np.fromiter((len(b) for b in table), dtype=np.int64, count=n)
        first = processor.encode("a")
        self.dummy_prefix = bool(first) and self._pieces[first[0]].startswith("▁")
        self.algorithm = "SentencePiece"
        self.encoding = encoding_name or "SentencePiece"

    @property
    def vocab_size(self) -> int:
        return int(self._n)

    def bare_encode(self, text: str) -> list[int]:
        return self.sp.encode(text, add_bos=self.add_bos, add_eos=self.add_eos)

    def tokenize(self, text: str) -> Tokenization:
        text = clean_text(text)
        ids = np.asarray(self.sp.encode(text), dtype=np.int64)
        text_bytes = text.encode("utf-8")
        prefix = 1 if self.dummy_prefix and text else 0
        lengths = self._lengths[ids]
        exact = int(lengths.sum()) == len(text_bytes) + prefix and \
            b"".join(map(self._table.__getitem__, ids.tolist())) == (b" " if prefix else b"") + text_bytes
        if exact:
            starts, ends, partial = byte_spans(text_bytes, lengths, prefix)
        else:
            starts, ends, partial = self._library_spans(text, ids)
        flags = np.where(partial, FLAG_PARTIAL, 0).astype(np.uint8)
        flags[self._control[ids]] |= FLAG_SPECIAL
        flags[ids == self.sp.unk_id()] |= FLAG_UNKNOWN
        if prefix and ids.size and ends[0] == starts[0] == 0 and lengths[0] == 1:
            flags[0] |= FLAG_PREFIX
        head = [self.sp.bos_id()] if self.add_bos else []
        tail = [self.sp.eos_id()] if self.add_eos else []
        if head or tail:
            end_pos = int(ends[-1]) if ids.size else 0
            ids = np.concatenate([np.asarray(head, dtype=np.int64), ids, np.asarray(tail, dtype=np.int64)])
            starts = np.concatenate([[0] * len(head), starts, [end_pos] * len(tail)]).astype(np.int64)
            ends = np.concatenate([[0] * len(head), ends, [end_pos] * len(tail)]).astype(np.int64)
            flags = np.concatenate([[FLAG_SPECIAL] * len(head), flags, [FLAG_SPECIAL] * len(tail)]).astype(np.uint8)
        return Tokenization(self, text, ids, starts, ends, flags)

    def _library_spans(self, text: str, ids: np.ndarray):
        """SentencePiece's own offsets (normalizing models), byte pieces widened to their character."""
        mapping = self.sp.encode_as_offset_mapping(text)
        offsets = np.asarray(mapping["offsets"], dtype=np.int64).reshape(-1, 2)
        starts, ends = offsets[:, 0].copy(), offsets[:, 1].copy()
        byte_piece = np.asarray([self.sp.is_byte(int(i)) for i in ids], dtype=bool)
        partial = np.zeros(ids.shape[0], dtype=bool)
        # the library gives all but the last byte piece of a character an empty span
        i = ids.shape[0] - 1
        while i >= 0:
            if byte_piece[i] and ends[i] > starts[i]:
                j = i - 1
                while j >= 0 and byte_piece[j] and ends[j] == starts[j]:
                    starts[j], ends[j] = starts[i], ends[i]
                    j -= 1
                partial[j + 1:i + 1] = i > j + 1
                i = j
            else:
                i -= 1
        make_monotonic(starts, ends)
        return starts, ends, partial

    def token_text(self, tk: Tokenization, i: int) -> str:
        token_id = int(tk.ids[i])
        flags = int(tk.flags[i])
        if flags & FLAG_SPECIAL or self.sp.is_unknown(token_id):
            return self._pieces[token_id]
        if self.sp.is_byte(token_id):
            return _slice_text(tk, i)
        return self._pieces[token_id].replace("▁", " ")

    def sliced(self, tk: Tokenization) -> np.ndarray:
        if not hasattr(self, "_is_byte"):
            self._is_byte = np.fromiter((self.sp.is_byte(i) for i in range(self._n)), dtype=bool, count=self._n)
        ids = tk.ids
        valid = (ids >= 0) & (ids < self._n)
        safe = np.where(valid, ids, 0)
        special = (tk.flags & FLAG_SPECIAL) != 0
        unknown = ids == self.sp.unk_id()
        return valid & self._is_byte[safe] & ~special & ~unknown

    def piece(self, token_id: int) -> str:
        if not 0 <= token_id < self._n:
            return ""
        if self.sp.is_byte(token_id) or self.sp.is_control(token_id) or self.sp.is_unknown(token_id):
            return self._pieces[token_id]
        return self._pieces[token_id].replace("▁", " ")

    def token_bytes(self, token_id: int) -> bytes | None:
        return self._table[token_id] if 0 <= token_id < self._n else None

    def nbytes(self) -> int:
        return self._n * 120


class _Helpers:
    """A few daemon threads that run tokenizers beside the caller's thread.

    tiktoken, SentencePiece and `tokenizers`' encode_batch release the GIL,
    so two rows really tokenize at once on two cores. Daemon threads: they
    never keep the app (or a test) alive, and they hold no state between jobs.
    """

    def __init__(self) -> None:
        import queue
        import threading

        self._queue: "queue.Queue" = queue.Queue()
        self._lock = threading.Lock()
        self._threads: list = []

    def ensure(self, count: int) -> None:
        import threading

        with self._lock:
            while len(self._threads) < count:
                thread = threading.Thread(target=self._serve, name="tokenizer-helper", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _serve(self) -> None:
        while True:
            task = self._queue.get()
            task()

    def submit(self, task) -> None:
        self._queue.put(task)


_HELPERS = _Helpers()


def default_threads() -> int:
    import os

    return max(1, min(4, (os.cpu_count() or 1)))


def tokenize_all(tokenizers: list[TextTokenizer], text: str, progress=None, on_each=None,
                 threads: int | None = None) -> list[Tokenization]:
    """Tokenize one text with several tokenizers, in parallel threads, results in the given order.

    `on_each(k, tokenization)` is called (in the calling thread) as each one
    finishes; cancellation is checked between tokenizers.
    """
    import queue

    threads = default_threads() if threads is None else threads
    n = len(tokenizers)
    results: list[Tokenization | None] = [None] * n
    if threads <= 1 or n <= 1:
        for k, tokenizer in enumerate(tokenizers):
            if progress is not None:
                progress.check()
                progress.report(k / max(1, n), f"Tokenizing {len(text):,} characters with {tokenizer.title}")
            results[k] = tokenizer.tokenize(text)
            if on_each is not None:
                on_each(k, results[k])
        return results  # type: ignore[return-value]
    import threading

    done: "queue.Queue" = queue.Queue()
    pending = list(range(n))
    lock = threading.Lock()
    stop = threading.Event()

    def drain() -> None:
        """Each helper takes the next tokenizer until none is left (or the job stopped)."""
        while not stop.is_set():
            with lock:
                if not pending:
                    return
                k = pending.pop(0)
            try:
                done.put((k, tokenizers[k].tokenize(text), None))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                done.put((k, None, exc))

    helpers = min(threads, n)
    _HELPERS.ensure(helpers)
    for _ in range(helpers):
        _HELPERS.submit(drain)
    error: BaseException | None = None
    for finished in range(1, n + 1):
        k, result, exc = done.get()
        if exc is not None:
            error = exc
        else:
            results[k] = result
            if on_each is not None:
                on_each(k, result)
        if progress is not None:
            progress.report(finished / n, f"Tokenized {len(text):,} characters with {finished} of {n} tokenizers")
            try:
                progress.check()
            except BaseException as exc:  # noqa: BLE001 - stop handing out work, then re-raise
                error = exc
        if error is not None:
            stop.set()
            with lock:
                dropped = len(pending)
                pending.clear()
            # wait for the tokenizers already running (a library call cannot be interrupted)
            for _ in range(n - finished - dropped):
                done.get()
            raise error
    return results  # type: ignore[return-value]
