"""One row of a token-embedding matrix as a heat strip, with a labelled colour scale."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QLinearGradient, QPainter
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget

NEGATIVE = (33, 102, 172)   # blue
MIDDLE = (247, 247, 247)    # white
POSITIVE = (178, 24, 43)    # red


def diverging(values: np.ndarray, limit: float) -> np.ndarray:
    """RGB (n, 3) uint8: blue for negative, white for 0, red for positive, saturating at ±limit."""
    t = np.clip(values / (limit or 1.0), -1.0, 1.0)[:, None]
    low, mid, high = (np.asarray(c, dtype=np.float64) for c in (NEGATIVE, MIDDLE, POSITIVE))
    rgb = np.where(t < 0, mid + (low - mid) * -t, mid + (high - mid) * t)
    return rgb.round().astype(np.uint8)


class TokenEmbeddingStrip(QWidget):
    """Cells wrap onto several lines (`columns` per line) so 384 or 576 numbers stay visible."""

    columns = 48

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values: np.ndarray | None = None
        self.caption = ""
        self.message = "Click a token of BERT (uncased) or SmolLM2 to see its row of the model's token-embedding matrix."
        self._dark = False
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # the caption wraps: a narrower strip is a taller one
        self.setSizePolicy(policy)
        self.set_strip_font(QApplication.font())

    def set_strip_font(self, base: QFont) -> None:
        self._font = QFont(base)
        self._fm = QFontMetricsF(self._font)
        self._update_height()
        self.update()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    def set_row(self, values: np.ndarray, caption: str) -> None:
        self.values = np.asarray(values, dtype=np.float32)
        self.caption = caption
        self._update_height()
        self.update()

    def set_message(self, text: str) -> None:
        self.values = None
        self.message = text
        self._update_height()
        self.update()

    def limit(self) -> float:
        """The colour scale's end: a high percentile of |values|, so one outlier does not wash out the rest."""
        if self.values is None or self.values.size == 0:
            return 1.0
        return float(np.percentile(np.abs(self.values), 98)) or float(np.abs(self.values).max()) or 1.0

    def _lines(self) -> int:
        if self.values is None:
            return 0
        return int(np.ceil(self.values.size / self.columns))

    def _cell_h(self) -> float:
        return max(6.0, self._fm.height() * 0.55)

    def _update_height(self) -> None:
        self.updateGeometry()

    def _text_height(self, width: float) -> float:
        text = self.caption if self.values is not None else self.message
        rect = self._fm.boundingRect(QRectF(0, 0, max(10.0, width), 1e6), int(Qt.TextFlag.TextWordWrap), text)
        return rect.height() + 4

    def heightForWidth(self, width: int) -> int:  # noqa: N802 - Qt API
        text_h = self._text_height(width - 8)
        if self.values is None:
            return int(text_h + 8)
        return int(text_h + 4 + self._lines() * self._cell_h() + self._fm.height() * 2.2 + 8)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        width = max(200, self.width())
        return QSize(width, self.heightForWidth(width))

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        ink = QColor("#eeeeee" if self._dark else "#111111")
        painter.fillRect(self.rect(), QColor("#202124" if self._dark else "#ffffff"))
        painter.setFont(self._font)
        painter.setPen(ink)
        width = self.width() - 8
        if self.values is None:
            painter.drawText(QRectF(4, 4, width, self.height() - 8),
                             Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop, self.message)
            return
        text_h = self._text_height(width)
        painter.drawText(QRectF(4, 2, width, text_h), Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignTop,
                         self.caption)
        limit = self.limit()
        rgb = diverging(self.values, limit)
        cell_w = width / self.columns
        cell_h = self._cell_h()
        top = text_h + 4
        for k in range(self.values.size):
            r, c = divmod(k, self.columns)
            painter.fillRect(QRectF(4 + c * cell_w, top + r * cell_h, cell_w + 0.5, cell_h + 0.5),
                             QColor(int(rgb[k, 0]), int(rgb[k, 1]), int(rgb[k, 2])))
        # colour scale with labelled ends
        y = top + self._lines() * cell_h + 6
        bar_h = self._fm.height() * 0.6
        gradient = QLinearGradient(4, 0, 4 + width, 0)
        gradient.setColorAt(0.0, QColor(*NEGATIVE))
        gradient.setColorAt(0.5, QColor(*MIDDLE))
        gradient.setColorAt(1.0, QColor(*POSITIVE))
        painter.fillRect(QRectF(4, y, width, bar_h), gradient)
        painter.setPen(QColor("#888888"))
        painter.drawRect(QRectF(4, y, width, bar_h))
        painter.setPen(ink)
        label_y = y + bar_h + 1
        label_h = self._fm.height() * 1.2
        painter.drawText(QRectF(4, label_y, width, label_h), Qt.AlignmentFlag.AlignLeft, f"≤ −{limit:.3f}")
        painter.drawText(QRectF(4, label_y, width, label_h), Qt.AlignmentFlag.AlignHCenter, "0")
        painter.drawText(QRectF(4, label_y, width, label_h), Qt.AlignmentFlag.AlignRight, f"≥ +{limit:.3f}")
