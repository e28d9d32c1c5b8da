"""A horizontal bar chart of token counts, one bar per tokenizer, painted so it scales with the font."""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import QApplication, QSizePolicy, QWidget


class TokenCountChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._bars: list[tuple[str, int]] = []
        self._caption = "Token count for this text"
        self._dark = False
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent fills every pixel
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.set_chart_font(QApplication.font())

    def set_chart_font(self, base: QFont) -> None:
        self._font = QFont(base)
        self._bold = QFont(base)
        self._bold.setBold(True)
        self._title_font = QFont(self._bold)
        self._fm = QFontMetricsF(self._font)
        self._update_height()

    def set_dark(self, dark: bool) -> None:
        self._dark = dark
        self.update()

    def set_counts(self, bars: list[tuple[str, int]]) -> None:
        """(label, token count) per row, in row order."""
        if list(bars) == self._bars:
            return
        self._bars = list(bars)
        self._update_height()
        self.update()

    def counts(self) -> list[tuple[str, int]]:
        return list(self._bars)

    def _bar_height(self) -> float:
        return self._fm.height() * 1.35

    def _update_height(self) -> None:
        rows = max(1, len(self._bars))
        height = int(self._fm.height() * 1.8 + rows * self._bar_height() + 8)
        if height != self.height() or self.minimumHeight() != height:
            self.setFixedHeight(height)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(int(self._fm.averageCharWidth() * 40), self.height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        ink = QColor("#eeeeee" if self._dark else "#111111")
        painter.fillRect(self.rect(), QColor("#202124" if self._dark else "#ffffff"))
        painter.setPen(ink)
        painter.setFont(self._title_font)
        title_h = self._fm.height() * 1.5
        painter.drawText(QRectF(4, 0, self.width() - 8, title_h), Qt.AlignmentFlag.AlignVCenter, self._caption)
        if not self._bars:
            painter.setFont(self._font)
            painter.drawText(QRectF(4, title_h, self.width() - 8, self._bar_height()),
                             Qt.AlignmentFlag.AlignVCenter, "No tokenizer has counted yet")
            return
        label_w = min(self.width() * 0.42, max(self._fm.horizontalAdvance(label) for label, _ in self._bars) + 12)
        value_w = max(self._fm.horizontalAdvance(f"{count:,}") for _, count in self._bars) + 10
        bar_area = max(10.0, self.width() - label_w - value_w - 8)
        top = max(count for _, count in self._bars) or 1
        bar_h = self._bar_height()
        fill = QColor("#4f8fd6" if not self._dark else "#6aa9ef")
        lowest = min(count for _, count in self._bars)
        best = QColor("#2e9e5b" if not self._dark else "#52c27f")
        for k, (label, count) in enumerate(self._bars):
            y = title_h + k * bar_h
            painter.setFont(self._font)
            painter.setPen(ink)
            painter.drawText(QRectF(4, y, label_w - 8, bar_h), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                             self._fm.elidedText(label, Qt.TextElideMode.ElideRight, label_w - 8))
            length = bar_area * count / top
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(best if count == lowest and len(self._bars) > 1 else fill)
            painter.drawRoundedRect(QRectF(label_w, y + bar_h * 0.15, max(2.0, length), bar_h * 0.7), 3, 3)
            painter.setPen(ink)
            painter.setFont(self._bold)
            painter.drawText(QRectF(label_w + length + 6, y, value_w, bar_h), Qt.AlignmentFlag.AlignVCenter,
                             f"{count:,}")
