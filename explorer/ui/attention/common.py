"""Small pieces the attention views share: token pickers, captions, plot styling."""
from __future__ import annotations

from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, Signal, SignalInstance
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QComboBox, QHeaderView, QLabel, QSizePolicy, QSpinBox, QTableWidget, QWidget

from explorer.ui.widgets.heatmap import display_label


def token_item(index: int, token: str) -> str:
    return f"{index}: {display_label(token)}"


class TokenPicker(QComboBox):
    """Choose one token of the current text by position (the same word can appear twice)."""

    picked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumContentsLength(10)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.currentIndexChanged.connect(self._changed)
        self._quiet = False

    def set_tokens(self, tokens: Sequence[str], current: int) -> None:
        self._quiet = True
        self.clear()
        self.addItems([token_item(i, t) for i, t in enumerate(tokens)])
        if tokens:
            self.setCurrentIndex(max(0, min(len(tokens) - 1, current)))
        self._quiet = False

    def set_current(self, index: int) -> None:
        if 0 <= index < self.count() and index != self.currentIndex():
            self._quiet = True
            self.setCurrentIndex(index)
            self._quiet = False

    def _changed(self, index: int) -> None:
        if not self._quiet and index >= 0:
            self.picked.emit(index)


def compact(combo: QComboBox, chars: int = 14) -> QComboBox:
    """Let a combo box with long entries shrink (it elides) instead of widening the whole window."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


def quiet_set(spin: QSpinBox, value: int, maximum: int | None = None) -> None:
    """Change a spin box without emitting valueChanged."""
    spin.blockSignals(True)
    if maximum is not None:
        spin.setMaximum(max(spin.minimum(), maximum))
    spin.setValue(value)
    spin.blockSignals(False)


def head_spins(chosen: SignalInstance) -> tuple[QSpinBox, QSpinBox]:
    """A layer and a head spin box; changing either emits `chosen(layer, head)`."""
    layer_spin, head_spin = QSpinBox(minimum=0), QSpinBox(minimum=0)
    layer_spin.valueChanged.connect(lambda v: chosen.emit(v, head_spin.value()))
    head_spin.valueChanged.connect(lambda v: chosen.emit(layer_spin.value(), v))
    return layer_spin, head_spin


def caption(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def style_plot(plot: pg.PlotItem, font_scale: float, dark: bool, left: str = "", bottom: str = "") -> None:
    """Readable axes for a pyqtgraph plot: tick font, label size, line width."""
    px = int(round(14 * font_scale))
    fg = QColor("#e8e8e8") if dark else QColor("#202020")
    font = QFont()
    font.setPixelSize(px)
    css = {"font-size": f"{px + 1}px", "color": fg.name()}
    for name, title in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setTickFont(font)
        axis.setPen(pg.mkPen(fg, width=max(1.0, font_scale)))
        axis.setTextPen(pg.mkPen(fg))
        axis.enableAutoSIPrefix(False)
        if title:
            axis.setLabel(title, **css)
    title_item = plot.titleLabel
    if title_item.text:
        plot.setTitle(title_item.text, size=f"{px + 1}px", color=fg.name())


class FullTable(QTableWidget):
    """A short table that is always shown whole: its minimum height is every row at the current font.

    In a layout beside stretching plots a plain table gets squeezed until its rows are cut in
    half, and at presenter sizes (taller rows) that happens long before the plots would mind.
    """

    def __init__(self, rows: int = 0, columns: int = 0, parent: QWidget | None = None) -> None:
        super().__init__(rows, columns, parent)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def full_height(self) -> int:
        header = self.horizontalHeader()
        head = header.sizeHint().height() if header.isVisible() else 0
        rows = sum(max(self.rowHeight(r), self.sizeHintForRow(r)) for r in range(self.rowCount()))
        return head + rows + 2 * self.frameWidth() + 2

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(super().sizeHint().width(), self.full_height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(super().minimumSizeHint().width(), self.full_height())
