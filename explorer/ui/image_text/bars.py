"""Zero-shot results: one card per image, its thumbnail and its most likely classes as labelled bars."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetricsF, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from explorer.ui.image_text.common import Theme, scaled_font


class ZeroShotBars(QWidget):
    """Cards laid out in a grid that fills the width; the widget grows tall enough for all of them."""

    def __init__(self, parent: QWidget | None = None, top_k: int = 5) -> None:
        super().__init__(parent)
        self.top_k = top_k
        self.names: list[str] = []
        self.pixmaps: list[QPixmap | None] = []
        self.classes: list[str] = []
        self.probabilities = np.zeros((0, 0), dtype=np.float32)
        self.kind = "softmax"
        self.placeholder = ""
        self.theme = Theme()
        self.font_scale = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_data(self, names: Sequence[str], pixmaps: Sequence[QPixmap | None], classes: Sequence[str],
                 probabilities: np.ndarray, kind: str = "softmax") -> None:
        self.names = list(names)
        self.pixmaps = list(pixmaps)
        self.classes = list(classes)
        self.probabilities = np.asarray(probabilities, dtype=np.float32).reshape(len(self.names), len(self.classes))
        self.kind = kind
        self._fit_height()
        self.update()

    def clear(self, placeholder: str = "") -> None:
        self.placeholder = placeholder
        self.set_data([], [], [], np.zeros((0, 0)))

    def data(self) -> dict:
        if self.probabilities.size == 0:
            return {}
        return {"probability": self.probabilities.copy(), "__rows__": list(self.names),
                "__columns__": list(self.classes)}

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.font_scale = font_scale
        self.theme = Theme(dark)
        self._fit_height()
        self.update()

    # --- layout ---
    def _card_size(self) -> tuple[float, float]:
        s = self.font_scale
        fm = QFontMetricsF(scaled_font(self.font(), s, 12.0))
        rows = min(self.top_k, len(self.classes)) or 1
        return 470 * s, max(140 * s, 10 * s + fm.height() * 1.15 + rows * fm.height() * 1.45 + 8 * s)

    def _columns(self) -> int:
        card_w, _ = self._card_size()
        return max(1, int(max(1, self.width()) // card_w))

    def _fit_height(self) -> None:
        _, card_h = self._card_size()
        rows = -(-len(self.names) // self._columns()) if self.names else 0
        self.setMinimumHeight(int(max(120 * self.font_scale, rows * (card_h + 10 * self.font_scale) + 10)))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_height()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(int(960 * self.font_scale), self.minimumHeight())

    # --- painting ---
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.theme.background)
        s = self.font_scale
        font = scaled_font(self.font(), s, 12.0)
        bold = scaled_font(self.font(), s, 12.0, bold=True)
        fm = QFontMetricsF(font)
        if not self.names:
            painter.setFont(font)
            painter.setPen(self.theme.muted)
            painter.drawText(QRectF(self.rect()).adjusted(20, 20, -20, -20),
                             int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.placeholder)
            return
        card_w, card_h = self._card_size()
        columns = self._columns()
        card_w = (self.width() - 10 * s) / columns - 10 * s
        k = min(self.top_k, len(self.classes))
        for index, name in enumerate(self.names):
            r, c = divmod(index, columns)
            x0, y0 = 10 * s + c * (card_w + 10 * s), 10 * s + r * (card_h + 10 * s)
            card = QRectF(x0, y0, card_w, card_h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.theme.panel)
            painter.drawRoundedRect(card, 8 * s, 8 * s)
            thumb = min(card_h - 20 * s, 120 * s)
            pixmap = self.pixmaps[index] if index < len(self.pixmaps) else None
            if pixmap is not None:
                scaled = pixmap.scaled(int(thumb), int(thumb), Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
                painter.drawPixmap(QPointF(x0 + 10 * s + (thumb - scaled.width()) / 2,
                                           y0 + (card_h - scaled.height()) / 2), scaled)
            bx = x0 + thumb + 22 * s
            bw = card_w - (bx - x0) - 10 * s
            painter.setFont(bold)
            painter.setPen(self.theme.text)
            painter.drawText(QRectF(bx, y0 + 6 * s, bw, fm.height() * 1.15),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                             fm.elidedText(name, Qt.TextElideMode.ElideRight, bw))
            probs = self.probabilities[index]
            order = np.argsort(-probs, kind="stable")[:k]
            label_w = min(bw * 0.45, max(fm.horizontalAdvance(self.classes[j]) for j in order) + 8 * s)
            pct_w = fm.horizontalAdvance("100.0%") + 6 * s
            row_h = fm.height() * 1.45
            painter.setFont(font)
            for rank, j in enumerate(order):
                y = y0 + 10 * s + fm.height() * 1.15 + rank * row_h
                painter.setPen(self.theme.text)
                painter.drawText(QRectF(bx, y, label_w, row_h), int(Qt.AlignmentFlag.AlignVCenter),
                                 fm.elidedText(self.classes[j], Qt.TextElideMode.ElideRight, label_w - 6 * s))
                track = QRectF(bx + label_w, y + row_h * 0.2, max(10.0, bw - label_w - pct_w), row_h * 0.6)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(self.theme.grid)
                painter.drawRect(track)
                painter.setBrush(self.theme.bar_best if rank == 0 else self.theme.bar)
                painter.drawRect(QRectF(track.x(), track.y(), track.width() * float(np.clip(probs[j], 0, 1)),
                                        track.height()))
                painter.setPen(self.theme.text)
                painter.drawText(QRectF(track.right() + 4 * s, y, pct_w, row_h),
                                 int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight),
                                 f"{probs[j] * 100:.1f}%")
        painter.end()
