"""The three tokenizer libraries behind one interface: tiktoken, Hugging Face `tokenizers`, SentencePiece.

Each wrapper turns its library's output into a `Tokenization` that follows the
span rules of explorer/core/tokenization.py, and reads its vocabulary as text.
The libraries are handed in already loaded (explorer/models/tokenizer_loader.py).
"""
from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

from explorer.core.tokenization import (FLAG_PARTIAL, FLAG_PREFIX, FLAG_SPECIAL, FLAG_UNKNOWN, Tokenization,
                                        readable_bytes)
from explorer.core.tokenizer_base import (BYTE_DECODER, TextTokenizer, byte_spans, clean_text, make_monotonic,
                                          place_added_tokens, slice_text)

_BYTE_PIECE = re.compile(r"^<0x([0-9A-Fa-f]{2})>$")


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
        return slice_text(tk, i)

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
            return slice_text(tk, i)
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
            return slice_text(tk, i)
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

