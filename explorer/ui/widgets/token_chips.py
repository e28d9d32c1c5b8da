"""A row of token chips, painted: only the visible lines are drawn, so a megabyte never freezes it.

The view shows the tokens of one `Tokenization` that overlap a window of
characters (a page). Layout is vectorised: chip widths come from a per-id
width table (a token's look depends on its id, except for tokens holding part
of a character), and line breaks are found with a cumulative sum and a
binary search per line.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QSizePolicy, QToolTip

from explorer.core.tokenization import (FLAG_PARTIAL, FLAG_PREFIX, FLAG_SPECIAL, FLAG_UNKNOWN, Tokenization,
                                        describe_char, visible_whitespace)

CHIP_FONT_FACTOR = 1.2  # chips are larger than the UI text: they are what the class reads


class ChipColours:
    """Alternating fills readable on a projector, plus the marks for special, unknown and highlighted tokens."""

    def __init__(self, dark: bool = False) -> None:
        if dark:
            fills = ["#1f4e79", "#6b3d12", "#1e5b3a", "#5a2a6e", "#6e2a3a"]
            self.text = QColor("#f4f4f4")
            self.border = QColor("#a0a0a0")
            self.special_fill, self.special_text = QColor("#d0d0d0"), QColor("#111111")
            self.highlight_fill = QColor("#b38600")
            self.background = QColor("#202124")
            self.message = QColor("#dddddd")
        else:
            fills = ["#cfe3ff", "#ffe0b8", "#c9f0d2", "#ecd4ff", "#ffd1dc"]
            self.text = QColor("#111111")
            self.border = QColor("#8a8a8a")
            self.special_fill, self.special_text = QColor("#3c4650"), QColor("#ffffff")
            self.highlight_fill = QColor("#ffd400")
            self.background = QColor("#ffffff")
            self.message = QColor("#444444")
        self.fills = [QColor(c) for c in fills]
        self.unknown_fill, self.unknown_text = QColor("#c62828"), QColor("#ffffff")
        self.highlight_border = QColor("#e65100")
        self.selected_border = QColor("#0d47a1" if not dark else "#64b5f6")


class TokenChipsView(QAbstractScrollArea):
    hovered = Signal(int)  # absolute token index, -1 when the mouse leaves the chips
    clicked = Signal(int)

    MARGIN = 4
    GAP = 4
    PAD_X = 5
    PAD_Y = 3

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.viewport().setMouseTracking(True)
        self.setMouseTracking(True)
        self.max_lines = 4
        self._wanted_h = 40
        self._total_h = 40
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.colours = ChipColours(False)
        self._tk: Tokenization | None = None
        self._window = (0, 0)
        self._i0 = self._i1 = 0
        self._show_ids = False
        self._break_lines = False
        self._message = ""
        self._widths_cache: dict[tuple[int, str], np.ndarray] = {}
        self._display_cache: dict[int, str] = {}
        self._x = np.zeros(0)
        self._w = np.zeros(0)
        self._line_starts = np.zeros(1, dtype=np.int64)
        self._layout_width = -1
        self._highlight: set[int] = set()
        self._primary = -1
        self._selected = -1
        self._hover = -1
        self.set_chip_font(QApplication.font())

    # --- configuration ---
    def set_chip_font(self, base: QFont) -> None:
        font = QFont(base)
        font.setPointSizeF(max(9.0, base.pointSizeF() * CHIP_FONT_FACTOR))
        self._font = font
        self._bold = QFont(font)
        self._bold.setBold(True)
        self._fm = QFontMetricsF(font)
        self._fm_bold = QFontMetricsF(self._bold)
        self.chip_h = self._fm.height() + 2 * self.PAD_Y
        self.line_h = self.chip_h + self.GAP
        self._widths_cache.clear()
        self._relayout()

    def set_colours(self, colours: ChipColours) -> None:
        self.colours = colours
        self.viewport().update()

    def set_show_ids(self, show: bool) -> None:
        if show != self._show_ids:
            self._show_ids = show
            self._display_cache.clear()
            self._relayout()

    def set_break_lines(self, on: bool) -> None:
        if on != self._break_lines:
            self._break_lines = on
            self._relayout()

    def set_message(self, text: str) -> None:
        """A line shown instead of chips (loading, needs download, errors)."""
        self._message = text
        self._tk = None
        self._i0 = self._i1 = 0
        self._relayout()

    # --- content ---
    @property
    def tokenization(self) -> Tokenization | None:
        return self._tk

    def set_tokenization(self, tk: Tokenization | None, window: tuple[int, int]) -> None:
        if tk is not self._tk:
            self._display_cache.clear()
            self._highlight.clear()
            self._primary = self._selected = self._hover = -1
        self._tk = tk
        self._message = ""
        self._window = window
        self._relayout()

    def page_range(self) -> tuple[int, int]:
        return self._i0, self._i1

    def display_text(self, i: int) -> str:
        """What chip `i` (an absolute token index) shows."""
        cached = self._display_cache.get(i)
        if cached is not None:
            return cached
        tk = self._tk
        assert tk is not None
        if self._show_ids:
            shown = str(int(tk.ids[i]))
        elif tk.flags[i] & FLAG_SPECIAL:
            shown = tk.token_text(i)
        else:
            shown = visible_whitespace(tk.token_text(i)) or "∅"
        self._display_cache[i] = shown
        return shown

    def _widths(self, i0: int, i1: int) -> np.ndarray:
        tk = self._tk
        assert tk is not None
        ids = tk.ids[i0:i1]
        mode = "ids" if self._show_ids else "text"
        key = (id(tk.tokenizer), mode)
        table = self._widths_cache.get(key)
        top = int(ids.max()) + 1 if ids.size else 0
        if table is None or table.shape[0] < top:
            size = max(top, tk.tokenizer.vocab_size)
            grown = np.full(size, np.nan, dtype=np.float64)
            if table is not None:
                grown[:table.shape[0]] = table
            table = grown
            self._widths_cache[key] = table
        widths = table[ids]
        flags = tk.flags[i0:i1]
        by_char = (flags & FLAG_PARTIAL) != 0 if mode == "text" else np.zeros(ids.shape[0], dtype=bool)
        for j in np.flatnonzero(np.isnan(widths) | by_char).tolist():
            i = i0 + j
            fm = self._fm_bold if flags[j] & FLAG_SPECIAL else self._fm
            w = max(fm.horizontalAdvance(self.display_text(i)), self._fm.averageCharWidth()) + 2 * self.PAD_X
            widths[j] = w
            if not by_char[j]:
                table[int(ids[j])] = w
        return widths

    # --- layout ---
    def _relayout(self) -> None:
        width = max(50, self.viewport().width() - 2 * self.MARGIN)
        self._layout_width = width
        tk = self._tk
        if tk is None:
            self._i0 = self._i1 = 0
            self._x = self._w = np.zeros(0)
            self._line_starts = np.zeros(1, dtype=np.int64)
            self._finish_layout(1)
            return
        i0, i1 = tk.index_range(*self._window)
        self._i0, self._i1 = i0, i1
        n = i1 - i0
        w = self._widths(i0, i1)
        step = w + self.GAP
        cum = np.zeros(n + 1)
        np.cumsum(step, out=cum[1:])
        forced = self._forced_breaks(i0, i1) if self._break_lines else np.zeros(0, dtype=np.int64)
        starts: list[int] = []
        a = 0
        limit_extra = width + self.GAP
        while a < n:
            b = int(np.searchsorted(cum, cum[a] + limit_extra, side="right")) - 1
            b = min(max(b, a + 1), n)
            if forced.size:
                k = int(np.searchsorted(forced, a, side="left"))
                if k < forced.size and forced[k] < b:
                    b = int(forced[k]) + 1
            starts.append(a)
            a = b
        line_starts = np.asarray(starts + [n], dtype=np.int64)
        counts = np.diff(line_starts)
        line_of = np.repeat(np.arange(counts.size), counts)
        self._x = cum[:-1] - cum[line_starts[:-1]][line_of] if n else np.zeros(0)
        self._w = w
        self._line_starts = line_starts
        self._finish_layout(max(1, counts.size))

    def _forced_breaks(self, i0: int, i1: int) -> np.ndarray:
        """Page-relative indices of tokens after which the text has a newline before the next token."""
        tk = self._tk
        assert tk is not None
        starts, ends = tk.starts[i0:i1], tk.ends[i0:i1]
        if starts.size == 0:
            return np.zeros(0, dtype=np.int64)
        lo = int(starts[0])
        hi = int(max(ends[-1], tk.starts[i1] if i1 < len(tk) else ends[-1]))
        chunk = tk.text[lo:hi]
        newline = np.frombuffer(chunk.encode("utf-32-le"), dtype=np.uint32) == 10
        count = np.zeros(newline.size + 1, dtype=np.int64)
        np.cumsum(newline, out=count[1:])
        nxt = np.empty_like(starts)
        nxt[:-1] = starts[1:]
        nxt[-1] = tk.starts[i1] if i1 < len(tk) else ends[-1]
        begin = np.where(ends > starts, ends - 1, ends) - lo
        stop = np.maximum(nxt - lo, begin)
        return np.flatnonzero(count[stop] - count[begin] > 0)

    def _finish_layout(self, n_lines: int) -> None:
        self.n_lines = n_lines
        shown = min(n_lines, self.max_lines)
        height = int(shown * self.line_h + 2 * self.MARGIN - self.GAP + 1)
        self._total_h = int(n_lines * self.line_h + 2 * self.MARGIN - self.GAP)
        if height != self._wanted_h:
            # a size hint, not setFixedHeight: resizing ourselves inside a resize event would leave
            # QAbstractScrollArea's viewport at its old size
            self._wanted_h = height
            self.updateGeometry()
        self._update_scroll_range()
        self.viewport().update()

    def _update_scroll_range(self) -> None:
        bar = self.verticalScrollBar()
        visible = self.viewport().height()
        bar.setRange(0, max(0, self._total_h - visible))
        bar.setPageStep(max(1, visible))
        bar.setSingleStep(int(self.line_h))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(400, self._wanted_h)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(50, self._wanted_h)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if max(50, self.viewport().width() - 2 * self.MARGIN) != self._layout_width:
            self._relayout()
        else:
            self._update_scroll_range()

    # --- highlight ---
    def set_highlight(self, indices, primary: int = -1, scroll: bool = True) -> None:
        self._highlight = {int(i) for i in indices}
        self._primary = primary
        if scroll and self._highlight:
            self.scroll_to(min(self._highlight))
        self.viewport().update()

    def highlighted(self) -> list[int]:
        return sorted(self._highlight)

    def set_selected(self, index: int) -> None:
        self._selected = index
        self.viewport().update()

    def scroll_to(self, index: int) -> None:
        if not self._i0 <= index < self._i1:
            return
        line = int(np.searchsorted(self._line_starts, index - self._i0, side="right")) - 1
        top = line * self.line_h
        bar = self.verticalScrollBar()
        if top < bar.value() or top + self.line_h > bar.value() + self.viewport().height():
            bar.setValue(int(top))

    # --- geometry ---
    def chip_rect(self, index: int) -> QRectF | None:
        """Where chip `index` (absolute) is drawn, in viewport coordinates; None when not on this page."""
        if not self._i0 <= index < self._i1:
            return None
        j = index - self._i0
        line = int(np.searchsorted(self._line_starts, j, side="right")) - 1
        y = self.MARGIN + line * self.line_h - self.verticalScrollBar().value()
        return QRectF(self.MARGIN + float(self._x[j]), y, float(self._w[j]), self.chip_h)

    def index_at(self, pos: QPointF) -> int:
        n = self._i1 - self._i0
        if n == 0:
            return -1
        y = pos.y() + self.verticalScrollBar().value() - self.MARGIN
        line = int(y // self.line_h)
        if line < 0 or line >= self._line_starts.size - 1 or y - line * self.line_h > self.chip_h:
            return -1
        a, b = int(self._line_starts[line]), int(self._line_starts[line + 1])
        x = pos.x() - self.MARGIN
        j = a + int(np.searchsorted(self._x[a:b], x, side="right")) - 1
        if j < a or x > self._x[j] + self._w[j]:
            return -1
        return self._i0 + j

    # --- painting ---
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.viewport().rect(), self.colours.background)
        colours = self.colours
        if self._tk is None or self._i1 == self._i0:
            painter.setPen(colours.message)
            painter.setFont(self._font)
            text = self._message or ("no tokens on this page" if self._tk is not None else "")
            painter.drawText(self.viewport().rect().adjusted(self.MARGIN + 4, 0, 0, 0),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
            return
        tk = self._tk
        top = self.verticalScrollBar().value()
        first = max(0, int((top - self.MARGIN) // self.line_h))
        last = min(self._line_starts.size - 2, int((top + self.viewport().height()) // self.line_h) + 1)
        radius = 5.0
        for line in range(first, last + 1):
            a, b = int(self._line_starts[line]), int(self._line_starts[line + 1])
            y = self.MARGIN + line * self.line_h - top
            for j in range(a, b):
                i = self._i0 + j
                rect = QRectF(self.MARGIN + float(self._x[j]), y, float(self._w[j]), self.chip_h)
                flags = int(tk.flags[i])
                if flags & FLAG_UNKNOWN:
                    fill, ink = colours.unknown_fill, colours.unknown_text
                elif flags & FLAG_SPECIAL:
                    fill, ink = colours.special_fill, colours.special_text
                else:
                    fill, ink = colours.fills[i % len(colours.fills)], colours.text
                lit = i in self._highlight
                if lit and not flags & (FLAG_SPECIAL | FLAG_UNKNOWN):
                    fill = colours.highlight_fill
                if i == self._selected:
                    pen = QPen(colours.selected_border, 3)
                elif lit:
                    pen = QPen(colours.highlight_border, 3 if i == self._primary or self._primary < 0 else 2.5)
                else:
                    pen = QPen(colours.border, 1)
                if flags & (FLAG_PARTIAL | FLAG_PREFIX):
                    pen.setStyle(Qt.PenStyle.DashLine)  # a piece of a character, or a space not in the text
                painter.setPen(pen)
                painter.setBrush(fill)
                painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
                painter.setPen(ink)
                painter.setFont(self._bold if flags & FLAG_SPECIAL else self._font)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.display_text(i))

    # --- mouse ---
    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        index = self.index_at(event.position())
        if index != self._hover:
            self._hover = index
            self.hovered.emit(index)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._hover != -1:
            self._hover = -1
            self.hovered.emit(-1)
        super().leaveEvent(event)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        index = self.index_at(event.position())
        if index >= 0 and event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(index)
        super().mousePressEvent(event)

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt API
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.ToolTip:
            index = self.index_at(QPointF(event.pos()))
            if index >= 0:
                QToolTip.showText(event.globalPos(), token_tooltip(self._tk, index), self.viewport())
            else:
                QToolTip.hideText()
            return True
        return super().viewportEvent(event)


def token_tooltip(tk: Tokenization | None, i: int) -> str:
    """Id, characters, bytes, and what is special about a token, as rich text."""
    import html

    if tk is None:
        return ""
    start, end = int(tk.starts[i]), int(tk.ends[i])
    flags = int(tk.flags[i])
    lines = [f"<b>{html.escape(visible_whitespace(tk.token_text(i)) or '∅')}</b> &nbsp; id {int(tk.ids[i]):,}"]
    if start == end:
        lines.append("covers no character of the text")
    else:
        lines.append(f"characters {start:,}–{end:,}: {html.escape(repr(tk.text[start:end])[:80])}")
    raw = tk.tokenizer.token_bytes(int(tk.ids[i])) if hasattr(tk.tokenizer, "token_bytes") else None
    if raw:
        lines.append("bytes " + " ".join(f"{b:02X}" for b in raw[:24]) + (" …" if len(raw) > 24 else ""))
    if flags & FLAG_PARTIAL:
        chars = tk.text[start:end]
        lines.append("holds only some of the bytes of " + ", ".join(
            f"{html.escape(c)} ({describe_char(c)}, {len(c.encode('utf-8'))} bytes)" for c in chars[-2:]))
    if flags & FLAG_SPECIAL:
        lines.append("special token added by the tokenizer" if start == end else "special token")
    if flags & FLAG_UNKNOWN:
        lines.append("unknown: this tokenizer has no piece for these characters")
    if flags & FLAG_PREFIX:
        lines.append("the space SentencePiece puts in front of the text")
    return "<br>".join(lines)
