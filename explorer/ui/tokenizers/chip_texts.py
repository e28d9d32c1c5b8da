"""What each token chip says and how wide it is, cached per loaded tokenizer across edits and pages.

A token's look depends only on its id (unless it holds part of a character),
so widths are kept in a per-id table: typing measures only tokens never seen.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QFontMetricsF

from explorer.core.tokenization import FLAG_PARTIAL, FLAG_SPECIAL, TokenizedText, visible_whitespace


class ChipTexts:
    """The texts and widths of one chips view's chips, measured with its font."""

    def __init__(self, pad_x: float) -> None:
        self.pad_x = pad_x
        self.show_ids = False
        # keyed by the loaded tokenizer's `source` name (unique in the host, across restarts)
        self._widths_cache: dict[tuple[str, str], np.ndarray] = {}
        self._char_widths: dict[str, float] = {}
        self._display_cache: dict[int, str] = {}
        # a token's text depends only on its id (unless it holds part of a character): kept across edits
        self._display_by_id: dict[tuple[str, bool], dict[int, str]] = {}

    def set_metrics(self, fm: QFontMetricsF, fm_bold: QFontMetricsF) -> None:
        """The chips' font changed: every width is measured again."""
        self._fm, self._fm_bold = fm, fm_bold
        self._widths_cache.clear()
        self._char_widths.clear()

    def set_show_ids(self, show: bool) -> None:
        self.show_ids = show
        self._display_cache.clear()

    def new_tokens(self) -> None:
        """Another tokenization is shown: per-index texts no longer apply (per-id ones still do)."""
        self._display_cache.clear()

    def display_text(self, tk: TokenizedText, i: int) -> str:
        """What chip `i` (an absolute token index) of `tk` shows."""
        cached = self._display_cache.get(i)
        if cached is not None:
            return cached
        flags = int(tk.flags[i])
        by_id = not flags & FLAG_PARTIAL  # otherwise it shows the character its bytes belong to
        if by_id:
            table = self._display_by_id.setdefault((tk.source, self.show_ids), {})
            shown = table.get(int(tk.ids[i]))
            if shown is not None:
                self._display_cache[i] = shown
                return shown
        if self.show_ids:
            shown = str(int(tk.ids[i]))
        elif flags & FLAG_SPECIAL:
            shown = tk.token_text(i)
        else:
            shown = visible_whitespace(tk.token_text(i)) or "∅"
        if by_id:
            table[int(tk.ids[i])] = shown
        self._display_cache[i] = shown
        return shown

    def widths(self, tk: TokenizedText, i0: int, i1: int) -> np.ndarray:
        """The width of chips i0..i1 of `tk`, in whole pixels."""
        ids = tk.ids[i0:i1]
        mode = "ids" if self.show_ids else "text"
        key = (tk.source, mode)
        table = self._widths_cache.get(key)
        top = int(ids.max()) + 1 if ids.size else 0
        if table is None or table.shape[0] < top:
            size = max(top, tk.vocab_size)
            grown = np.full(size, np.nan, dtype=np.float64)
            if table is not None:
                grown[:table.shape[0]] = table
            table = grown
            self._widths_cache[key] = table
        widths = table[ids]
        flags = tk.flags[i0:i1]
        missing = np.isnan(widths)
        if mode == "text":
            # a token holding part of a character looks like that character: measure by characters
            by_char = (flags & FLAG_PARTIAL) != 0
            if by_char.any():
                cache = self._char_widths
                text = tk.text
                starts, ends = tk.starts, tk.ends
                for j in np.flatnonzero(by_char).tolist():
                    chars = text[starts[i0 + j]:ends[i0 + j]]
                    w = cache.get(chars)
                    if w is None:
                        w = self._measure(self.display_text(tk, i0 + j), bold=False)
                        cache[chars] = w
                    widths[j] = w
                missing &= ~by_char
        for j in np.flatnonzero(missing).tolist():
            w = self._measure(self.display_text(tk, i0 + j), bold=bool(flags[j] & FLAG_SPECIAL))
            widths[j] = w
            table[int(ids[j])] = w
        return widths

    def _measure(self, shown: str, bold: bool) -> float:
        fm = self._fm_bold if bold else self._fm
        # whole pixels, so a cached chip pixmap has exactly the chip's size
        return float(np.ceil(max(fm.horizontalAdvance(shown), self._fm.averageCharWidth()) + 2 * self.pad_x))
