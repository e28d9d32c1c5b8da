"""A pyqtgraph axis that keeps its title clear of its tick labels at any font size.

pyqtgraph reserves only 0.8 x the title's bounding height beside the tick
labels ("the bounding rect is usually an overestimate"). That holds for
small fonts; at presenter sizes (16-28 pt) the overestimate is a fixed few
pixels while the shortfall grows with the font, so the title runs into the
tick labels. This axis reserves the whole title height plus a gap that grows
with the tick font.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF


class ReadableAxis(pg.AxisItem):
    """Drop-in for pg.AxisItem (pass it through `axisItems=`)."""

    def _title_room(self) -> float:
        """Extra room, on top of pyqtgraph's 0.8 x title height, so the title never touches the ticks."""
        if self.label is None or not self.label.isVisible():
            return 0.0
        font = self.style.get("tickFont") or QFont()
        gap = 0.35 * QFontMetricsF(font).height()  # about a third of a line between ticks and title
        return 0.2 * self.label.boundingRect().height() + gap

    def updateAutoSIPrefix(self) -> None:  # noqa: N802 - pyqtgraph API
        """Off means off: pyqtgraph 0.14 picks a prefix even with auto SI prefixes disabled, so that
        `enableAutoSIPrefix(False)` on a titled axis spanning -0.5..0.5 labelled its ticks -500..500."""
        if self.autoSIPrefix:
            super().updateAutoSIPrefix()
            return
        self.autoSIPrefixScale, self.labelUnitPrefix = 1.0, ""
        self._updateLabel()

    def _updateWidth(self) -> None:  # noqa: N802 - pyqtgraph API
        super()._updateWidth()
        if self.fixedWidth is None and self.isVisible():
            width = self.maximumWidth() + self._title_room()
            self.setMaximumWidth(width)
            self.setMinimumWidth(width)

    def _updateHeight(self) -> None:  # noqa: N802 - pyqtgraph API
        super()._updateHeight()
        if self.fixedHeight is None and self.isVisible():
            height = self.maximumHeight() + self._title_room()
            self.setMaximumHeight(height)
            self.setMinimumHeight(height)


def readable_axes(*names: str) -> dict[str, ReadableAxis]:
    """`axisItems` for pg.PlotWidget / PlotItem: {"left": ReadableAxis("left"), ...}."""
    return {name: ReadableAxis(name) for name in (names or ("left", "bottom"))}


def style_axes(plot: pg.PlotItem, font_scale: float, dark: bool, left: str = "", bottom: str = "") -> None:
    """Readable left and bottom axes at the app's font scale and theme: tick font, lines and text in the
    theme's foreground, and the axis titles."""
    fg = "#e8e8e8" if dark else "#202020"
    font = QFont()
    font.setPointSizeF(11 * font_scale)
    css = {"font-size": f"{int(round(12 * font_scale))}pt", "color": fg}
    for name, title in (("left", left), ("bottom", bottom)):
        axis = plot.getAxis(name)
        axis.setTickFont(font)
        axis.setPen(pg.mkPen(fg))
        axis.setTextPen(pg.mkPen(fg))
        if title:
            plot.setLabel(name, title, **css)
