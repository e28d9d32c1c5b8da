"""A row of token chips, painted: only the visible lines are drawn, so a megabyte never freezes it.

The view shows the tokens of one `TokenizedText` that overlap a window of
characters (a page). Layout is vectorised: chip widths come from a per-id
width table (a token's look depends on its id, except for tokens holding part
of a character; chip_texts.py), and line breaks are found with a cumulative sum and a
binary search per line.
"""
from __future__ import annotations

from bisect import bisect_right
from functools import partial

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPaintEngine, QPen, QPixmap
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QSizePolicy, QToolTip

from explorer.core.tokenization import (FLAG_PARTIAL, FLAG_PREFIX, FLAG_SPECIAL, FLAG_UNKNOWN, TokenizedText,
                                        describe_char, visible_whitespace)
from explorer.ui.tokenizers.chip_texts import ChipTexts

CHIP_FONT_FACTOR = 1.2  # chips are larger than the UI text: they are what the class reads


class _ChipPixmaps:
    """A bounded cache of rendered chips, shared by every row; when full it starts over (cheap, and rare)."""

    def __init__(self, limit: int = 4000) -> None:
        self.limit = limit
        self._items: dict[tuple, QPixmap] = {}
        self.get = self._items.get

    def put(self, key: tuple, pixmap: QPixmap) -> None:
        if len(self._items) >= self.limit:
            self._items.clear()
        self._items[key] = pixmap


_CHIPS = _ChipPixmaps()


class ChipColours:
    """Alternating fills readable on a projector, plus the marks for special, unknown and highlighted tokens."""

    def __init__(self, dark: bool = False) -> None:
        self.dark = dark
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
        # paintEvent fills every pixel: Qt need not paint what lies beneath first
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.viewport().setAutoFillBackground(False)
        self.setMouseTracking(True)
        self.max_lines = 4
        self._wanted_h = 40
        self._total_h = 40
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.colours = ChipColours(False)
        self._tk: TokenizedText | None = None
        self._window = (0, 0)
        self._i0 = self._i1 = 0
        self._break_lines = False
        self._message = ""
        self.texts = ChipTexts(self.PAD_X)
        self._x = np.zeros(0)
        self._w = np.zeros(0)
        self._line_starts = np.zeros(1, dtype=np.int64)
        self._layout_width = -1
        self._highlight: set[int] = set()
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
        self.chip_h = float(np.ceil(self._fm.height() + 2 * self.PAD_Y))
        self.line_h = self.chip_h + self.GAP
        self.texts.set_metrics(self._fm, self._fm_bold)
        self._font_key = (font.family(), font.pointSizeF())
        self._relayout()

    def set_colours(self, colours: ChipColours) -> None:
        self.colours = colours
        self.viewport().update()

    def set_show_ids(self, show: bool) -> None:
        if show != self.texts.show_ids:
            self.texts.set_show_ids(show)
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
    def tokenization(self) -> TokenizedText | None:
        return self._tk

    def set_tokenization(self, tk: TokenizedText | None, window: tuple[int, int]) -> None:
        if tk is not self._tk:
            self.texts.new_tokens()
            self._highlight.clear()
            self._selected = self._hover = -1
        self._tk = tk
        self._message = ""
        self._window = window
        self._relayout()

    def page_range(self) -> tuple[int, int]:
        return self._i0, self._i1

    def display_text(self, i: int) -> str:
        """What chip `i` (an absolute token index) shows."""
        assert self._tk is not None
        return self.texts.display_text(self._tk, i)

    # --- layout ---
    def _relayout(self) -> None:
        width = max(50, self.viewport().width() - 2 * self.MARGIN)
        self._layout_width = width
        tk = self._tk
        if tk is None:
            self._i0 = self._i1 = 0
            self._x = self._w = np.zeros(0)
            self._x_list, self._w_list, self._flags_list, self._colour_list = [], [], [], []
            self._line_starts = np.zeros(1, dtype=np.int64)
            lines = 1
            if self._message:
                # a message (loading, needs download) wraps onto as many lines as it takes
                box = self._fm.boundingRect(QRectF(0, 0, width - 8, 1e6), int(Qt.TextFlag.TextWordWrap), self._message)
                lines = max(1, int(np.ceil(box.height() / self.line_h)))
            self._finish_layout(lines)
            return
        i0, i1 = tk.index_range(*self._window)
        self._i0, self._i1 = i0, i1
        n = i1 - i0
        w = self.texts.widths(tk, i0, i1)
        step = w + self.GAP
        cum = np.zeros(n + 1)
        np.cumsum(step, out=cum[1:])
        forced = forced_breaks(tk, i0, i1) if self._break_lines else np.zeros(0, dtype=np.int64)
        # greedy line breaking, one binary search per line (plain lists: numpy's per-call cost dominates here)
        cum_list = cum.tolist()
        forced_list = forced.tolist()
        starts: list[int] = []
        a = 0
        f = 0
        limit_extra = width + self.GAP
        while a < n:
            b = bisect_right(cum_list, cum_list[a] + limit_extra) - 1
            b = min(max(b, a + 1), n)
            while f < len(forced_list) and forced_list[f] < a:
                f += 1
            if f < len(forced_list) and forced_list[f] < b:
                b = forced_list[f] + 1
            starts.append(a)
            a = b
        line_starts = np.asarray(starts + [n], dtype=np.int64)
        counts = np.diff(line_starts)
        line_of = np.repeat(np.arange(counts.size), counts)
        self._x = cum[:-1] - cum[line_starts[:-1]][line_of] if n else np.zeros(0)
        self._w = w
        self._line_starts = line_starts
        # plain lists for the paint loop: indexing numpy scalars one by one costs more than the drawing
        self._x_list = self._x.astype(np.int64).tolist()
        self._w_list = w.astype(np.int64).tolist()
        self._flags_list = tk.flags[i0:i1].tolist()
        self._colour_list = self._colours_for(tk.ids[i0:i1]).tolist()
        self._finish_layout(max(1, counts.size))

    def _colours_for(self, ids: np.ndarray) -> np.ndarray:
        """A fill per chip from its token id: the same token always looks the same, an edit recolours
        nothing else (no flicker while typing); a neighbour with the same fill gets the next one."""
        n = len(self.colours.fills)
        colour = ids % n
        same = np.zeros(colour.shape[0], dtype=bool)
        same[1:] = colour[1:] == colour[:-1]
        colour[same] = (colour[same] + 1) % n
        return colour

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
    def set_highlight(self, indices, scroll: bool = True) -> None:
        self._highlight = {int(i) for i in indices}
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
        painter.fillRect(self.viewport().rect(), self.colours.background)
        colours = self.colours
        if self._tk is None or self._i1 == self._i0:
            painter.setPen(colours.message)
            painter.setFont(self._font)
            text = self._message or ("no tokens on this page" if self._tk is not None else "")
            painter.drawText(QRectF(self.viewport().rect().adjusted(self.MARGIN + 4, self.MARGIN, -4, 0)),
                             Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap, text)
            return
        # on screen, chips are cached pixmaps (drawing one is ~10x cheaper than shaping its text again);
        # into an SVG or a printer they are drawn as vectors
        raster = painter.paintEngine() is not None and painter.paintEngine().type() == QPaintEngine.Type.Raster
        if not raster:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dpr = self.viewport().devicePixelRatioF()
        base = (int(self.chip_h), dpr, self._font_key, colours.dark)
        top = self.verticalScrollBar().value()
        first = max(0, int((top - self.MARGIN) // self.line_h))
        last = min(self._line_starts.size - 2, int((top + self.viewport().height() - self.MARGIN) // self.line_h))
        xs, ws, flags_page, fills = self._x_list, self._w_list, self._flags_list, self._colour_list
        highlight, selected, i0 = self._highlight, self._selected, self._i0
        margin, line_h, chip_h = self.MARGIN, self.line_h, self.chip_h
        cache = _CHIPS
        display = partial(self.texts.display_text, self._tk)
        for line in range(first, last + 1):
            a, b = int(self._line_starts[line]), int(self._line_starts[line + 1])
            y = int(margin + line * line_h - top)
            for j in range(a, b):
                i = i0 + j
                flags = flags_page[j]
                if flags & FLAG_UNKNOWN:
                    style = 1
                elif flags & FLAG_SPECIAL:
                    style = 2
                else:
                    style = 8 + fills[j]
                ring = 2 if i == selected else 1 if i in highlight else 0
                dashed = bool(flags & (FLAG_PARTIAL | FLAG_PREFIX))  # a piece of a character, or a space not in the text
                text = display(i)
                w = ws[j]
                if raster:
                    key = (text, w, style, ring, dashed, base)
                    pixmap = cache.get(key)
                    if pixmap is None:
                        pixmap = self._render_chip(key, text, w, style, ring, dashed, dpr)
                    painter.drawPixmap(margin + xs[j], y, pixmap)
                else:
                    self._draw_chip(painter, QRectF(margin + xs[j], y, w, chip_h), text, style, ring, dashed)

    def _render_chip(self, key: tuple, text: str, w: int, style: int, ring: int, dashed: bool,
                     dpr: float) -> QPixmap:
        pixmap = QPixmap(max(1, int(w * dpr)), max(1, int(self.chip_h * dpr)))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self._draw_chip(painter, QRectF(0, 0, int(w), int(self.chip_h)), text, style, ring, dashed)
        painter.end()
        _CHIPS.put(key, pixmap)
        return pixmap

    def _draw_chip(self, painter: QPainter, rect: QRectF, text: str, style: int, ring: int, dashed: bool) -> None:
        colours = self.colours
        if style == 1:
            fill, ink = colours.unknown_fill, colours.unknown_text
        elif style == 2:
            fill, ink = colours.special_fill, colours.special_text
        else:
            fill, ink = colours.fills[style - 8], colours.text
            if ring == 1:
                fill = colours.highlight_fill
        if ring == 2:
            pen = QPen(colours.selected_border, 3)
        elif ring == 1:
            pen = QPen(colours.highlight_border, 3)
        else:
            pen = QPen(colours.border, 1)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        inset = pen.widthF() / 2
        painter.setPen(pen)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.adjusted(inset, inset, -inset, -inset), 5.0, 5.0)
        painter.setPen(ink)
        painter.setFont(self._bold if style == 2 else self._font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

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


def token_tooltip(tk: TokenizedText | None, i: int) -> str:
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
    raw = tk.token_bytes(i)
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


def forced_breaks(tk: TokenizedText, i0: int, i1: int) -> np.ndarray:
    """Page-relative indices of tokens after which the text has a newline before the next token."""
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
