"""Python string indices <-> UTF-16 positions (Qt's text positions, where an emoji counts twice).

Python indexes a `str` by code point; Qt's text widgets count UTF-16 code
units, so every character above U+FFFF (emoji, some CJK) shifts the two
counts apart by one. The tokenizer lab maps token spans to the editor and the
editor's cursor back to the text through this one table.
"""
from __future__ import annotations

import numpy as np


class Utf16Positions:
    """The UTF-16 position of every index of one text, built on first use (a megabyte costs a few ms)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._positions: np.ndarray | None = None

    def _table(self) -> np.ndarray:
        """positions[i]: UTF-16 position of Python index i, for i in 0..len(text) inclusive."""
        if self._positions is None:
            codes = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
            astral_before = np.concatenate(([0], np.cumsum(codes > 0xFFFF)))
            self._positions = np.arange(astral_before.shape[0]) + astral_before
        return self._positions

    def to_utf16(self, index: int) -> int:
        """Python index -> UTF-16 position (clamped to the text)."""
        table = self._table()
        return int(table[max(0, min(index, table.shape[0] - 1))])

    def to_index(self, position: int) -> int:
        """UTF-16 position -> Python index; a position inside a surrogate pair gives its character's index."""
        table = self._table()
        if table[-1] == len(self.text):  # no astral characters: the two counts agree
            return max(0, min(position, len(self.text)))
        return max(0, int(np.searchsorted(table, position, side="right")) - 1)
