"""An image x text matrix: thumbnails down the side, caption text across the top, a number in every cell.

One row per image, one column per text (the same orientation as the CLI's
JSON). The best caption for each image is outlined; a labelled colour bar
says what the colours mean. Hover a cell for its exact value.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from explorer.ui.image_text.common import Theme, ramp_colour, scaled_font, text_colour_on


class ImageTextMatrix(QWidget):
    def __init__(self, parent: QWidget | None = None, value_label: str = "cosine similarity",
                 placeholder: str = "") -> None:
        super().__init__(parent)
        self.values = np.zeros((0, 0), dtype=np.float32)
        self.row_labels: list[str] = []
        self.col_labels: list[str] = []
        self.row_pixmaps: list[QPixmap | None] = []
        self.levels: tuple[float, float] | None = None
        self.value_label = value_label
        self.mark = "row-max"  # or "diagonal" or None
        self.placeholder = placeholder
        self.pixelated = False  # tiny training images: keep their pixels square
        self.show_row_names = True  # off when the thumbnails say it all (the training batch)
        self.theme = Theme()
        self.font_scale = 1.0
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(360, 240)
        self._layout: dict | None = None

    # --- data ---
    def set_data(self, values: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
                 row_pixmaps: Sequence[QPixmap | None] | None = None, levels: tuple[float, float] | None = None,
                 mark: str | None = "row-max") -> None:
        self.values = np.asarray(values, dtype=np.float32).reshape(len(row_labels), len(col_labels))
        self.row_labels = [str(x) for x in row_labels]
        self.col_labels = [str(x) for x in col_labels]
        self.row_pixmaps = list(row_pixmaps) if row_pixmaps is not None else [None] * len(self.row_labels)
        self.levels = levels
        self.mark = mark
        self.updateGeometry()
        self.update()

    def clear(self, placeholder: str | None = None) -> None:
        if placeholder is not None:
            self.placeholder = placeholder
        self.set_data(np.zeros((0, 0)), [], [])

    def current_levels(self) -> tuple[float, float]:
        if self.levels is not None:
            return self.levels
        if self.values.size == 0:
            return (0.0, 1.0)
        lo, hi = float(np.nanmin(self.values)), float(np.nanmax(self.values))
        if hi - lo < 0.05:
            mid = (hi + lo) / 2
            lo, hi = mid - 0.025, mid + 0.025
        return (lo, hi)

    def data(self) -> dict:
        if self.values.size == 0:
            return {}
        return {"cosine": self.values.copy(), "__rows__": list(self.row_labels), "__columns__": list(self.col_labels)}

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.font_scale = font_scale
        self.theme = Theme(dark)
        self.updateGeometry()
        self.update()

    # --- geometry ---
    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        base = self.font()
        return (scaled_font(base, self.font_scale, 12.0), scaled_font(base, self.font_scale, 12.0, bold=True),
                scaled_font(base, self.font_scale, 11.0))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        n, m = self.values.shape
        s = self.font_scale
        return QSize(int(260 * s + m * 130 * s + 120 * s), int(110 * s + n * 84 * s))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        n, m = self.values.shape
        s = self.font_scale
        return QSize(int(200 * s + m * 60 * s + 90 * s), int(90 * s + max(1, n) * 40 * s))

    def _compute_layout(self) -> dict:
        label_font, cell_font, small_font = self._fonts()
        fm = QFontMetricsF(label_font)
        n, m = self.values.shape
        s = self.font_scale
        width, height = float(self.width()), float(self.height())
        small = QFontMetricsF(small_font)
        bar_w = 30 * s + small.horizontalAdvance("-0.00") + 10 * s + small.height() + 8 * s
        has_thumbs = any(p is not None for p in self.row_pixmaps)
        name_w = min(170 * s, max((fm.horizontalAdvance(t) for t in self.row_labels), default=0) + 8 * s)
        if not self.show_row_names and has_thumbs:
            name_w = 0.0
        header_h = min(5, max(1, self._max_header_lines(fm, m, width, bar_w, name_w, has_thumbs, s))) * fm.height() + 12 * s
        avail_h = height - header_h - 8 * s
        cell_h = max(28 * s, min(120 * s, avail_h / max(1, n)))
        thumb = min(cell_h - 6 * s, 100 * s) if has_thumbs else 0.0
        left = 6 * s + (thumb + 8 * s if has_thumbs else 0) + name_w
        cell_w = max(40 * s, min(190 * s, (width - left - bar_w - 10 * s) / max(1, m)))
        return {"left": left, "top": header_h, "cell_w": cell_w, "cell_h": cell_h, "thumb": thumb,
                "name_w": name_w, "bar_w": bar_w}

    def _max_header_lines(self, fm: QFontMetricsF, m: int, width: float, bar_w: float, name_w: float,
                          has_thumbs: bool, s: float) -> int:
        if m == 0:
            return 1
        guess_w = max(40 * s, min(190 * s, (width - name_w - (100 * s if has_thumbs else 0) - bar_w) / m))
        lines = 1
        for text in self.col_labels:
            rect = fm.boundingRect(QRectF(0, 0, guess_w - 8 * s, 1000), int(Qt.TextFlag.TextWordWrap), text)
            lines = max(lines, int(round(rect.height() / fm.height())))
        return lines

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        lay = self._layout
        if lay is None or self.values.size == 0:
            return None
        col = int((pos.x() - lay["left"]) // lay["cell_w"])
        row = int((pos.y() - lay["top"]) // lay["cell_h"])
        n, m = self.values.shape
        if pos.x() < lay["left"] or pos.y() < lay["top"] or not (0 <= row < n and 0 <= col < m):
            return None
        return row, col

    # --- painting ---
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.fillRect(self.rect(), self.theme.background)
        label_font, cell_font, small_font = self._fonts()
        if self.values.size == 0:
            painter.setFont(label_font)
            painter.setPen(self.theme.muted)
            painter.drawText(QRectF(self.rect()).adjusted(20, 20, -20, -20),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.placeholder)
            self._layout = None
            return
        lay = self._layout = self._compute_layout()
        n, m = self.values.shape
        s = self.font_scale
        lo, hi = self.current_levels()
        left, top, cw, ch = lay["left"], lay["top"], lay["cell_w"], lay["cell_h"]

        # column headers: wrapped caption text, bottom-aligned above each column
        painter.setFont(label_font)
        painter.setPen(self.theme.text)
        for j, text in enumerate(self.col_labels):
            rect = QRectF(left + j * cw + 4 * s, 4 * s, cw - 8 * s, top - 10 * s)
            painter.drawText(rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom
                                       | Qt.TextFlag.TextWordWrap), text)

        # rows: thumbnail and name
        fm = QFontMetricsF(label_font)
        for i, text in enumerate(self.row_labels):
            y = top + i * ch
            x = 6 * s
            pixmap = self.row_pixmaps[i] if i < len(self.row_pixmaps) else None
            if pixmap is not None and lay["thumb"] > 0:
                t = lay["thumb"]
                mode = (Qt.TransformationMode.FastTransformation if self.pixelated
                        else Qt.TransformationMode.SmoothTransformation)
                scaled = pixmap.scaled(int(t), int(t), Qt.AspectRatioMode.KeepAspectRatio, mode)
                painter.drawPixmap(QPointF(x + (t - scaled.width()) / 2, y + (ch - scaled.height()) / 2), scaled)
                x += t + 8 * s
            if lay["name_w"] > 0:
                painter.setPen(self.theme.text)
                elided = fm.elidedText(text, Qt.TextElideMode.ElideRight, lay["name_w"] - 4 * s)
                painter.drawText(QRectF(x, y, lay["name_w"], ch), int(Qt.AlignmentFlag.AlignVCenter
                                                                      | Qt.AlignmentFlag.AlignLeft), elided)

        # cells: the number's font shrinks (down to 7 pt) rather than spill out of a narrow cell
        wide = QFontMetricsF(cell_font).horizontalAdvance("-0.00")
        if wide > cw - 8 * s:
            cell_font.setPointSizeF(max(7.0, cell_font.pointSizeF() * (cw - 8 * s) / wide))
        painter.setFont(cell_font)
        best = self.values.argmax(axis=1) if self.mark == "row-max" and m > 1 else None
        for i in range(n):
            for j in range(m):
                value = float(self.values[i, j])
                rect = QRectF(left + j * cw + 1, top + i * ch + 1, cw - 2, ch - 2)
                colour = ramp_colour((value - lo) / (hi - lo))
                painter.fillRect(rect, colour)
                painter.setPen(text_colour_on(colour))
                painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), f"{value:.2f}")
        outline = QPen(self.theme.accent, max(2.5, 3.0 * s))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(outline)
        if best is not None:
            for i, j in enumerate(best):
                painter.drawRect(QRectF(left + j * cw + 2, top + i * ch + 2, cw - 4, ch - 4))
        elif self.mark == "diagonal":
            for i in range(min(n, m)):
                painter.drawRect(QRectF(left + i * cw + 2, top + i * ch + 2, cw - 4, ch - 4))

        # colour bar with its label and three ticks
        self._paint_colour_bar(painter, left + m * cw + 14 * s, top, min(n * ch, 260 * s), lo, hi, small_font)
        painter.end()

    def _paint_colour_bar(self, painter: QPainter, x: float, y: float, h: float, lo: float, hi: float,
                          font: QFont) -> None:
        s = self.font_scale
        w = 16 * s
        steps = 64
        for k in range(steps):
            t = 1 - (k + 0.5) / steps
            painter.fillRect(QRectF(x, y + k * h / steps, w, h / steps + 1), ramp_colour(t))
        painter.setPen(QPen(self.theme.grid, 1))
        painter.drawRect(QRectF(x, y, w, h))
        painter.setFont(font)
        painter.setPen(self.theme.text)
        fm = QFontMetricsF(font)
        for frac, value in ((0.0, hi), (0.5, (lo + hi) / 2), (1.0, lo)):
            ty = y + frac * h
            painter.drawLine(QPointF(x + w, ty), QPointF(x + w + 4 * s, ty))
            painter.drawText(QPointF(x + w + 6 * s, ty + fm.ascent() / 2 - 1), f"{value:.2f}")
        # the label reads upwards, right of the tick numbers
        painter.save()
        painter.translate(x + w + 10 * s + fm.horizontalAdvance("-0.00") + fm.height(), y + h / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-h / 2 - 60 * s, -fm.height(), h + 120 * s, fm.height()),
                         int(Qt.AlignmentFlag.AlignCenter), self.value_label)
        painter.restore()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt API
        cell = self.cell_at(event.position())
        if cell is None:
            QToolTip.hideText()
            return
        i, j = cell
        row = self.values[i]
        rank = int((row > row[j]).sum()) + 1
        QToolTip.showText(event.globalPosition().toPoint(),
                          f"{self.row_labels[i]}  ×  “{self.col_labels[j]}”\n{self.value_label}: {row[j]:.4f}"
                          f"\nrank {rank} of {len(row)} for this image", self)
