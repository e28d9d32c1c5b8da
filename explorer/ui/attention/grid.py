"""The model view: every layer x head attention map as a small thumbnail, in ONE image.

SmolLM2 has 30 x 9 = 270 heads: drawing them as 270 widgets would be slow,
so the (already downsampled) thumbnails are packed into one RGB32 image;
cell (layer, head) covers [head, head + 1] x [layer, layer + 1] in view
coordinates. Each thumbnail is scaled to its own maximum so weak heads stay
visible.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QLabel, QSizePolicy, QVBoxLayout, QWidget

from explorer.ui.widgets.heatmap import MatrixImage, TokenAxis, lookup_table

# colours for key/value groups (GQA): distinct, readable on white and on dark backgrounds
GROUP_COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324",
                 "#469990", "#800000", "#808000", "#000075")


def group_colour(group: int) -> QColor:
    return QColor(GROUP_COLOURS[group % len(GROUP_COLOURS)])


def compose(thumbs: np.ndarray, lut: np.ndarray, gap: int = 1, background: int = 0xFFFFFFFF,
            dim: np.ndarray | None = None) -> np.ndarray:
    """Pack [L, H, s, s] thumbnails into one uint32 image with `gap` pixels between cells.

    `dim` ([L, H] bool) fades heads that a filter hides.
    """
    layers, heads, s, _ = thumbs.shape
    peak = thumbs.reshape(layers, heads, -1).max(axis=2)
    norm = thumbs / np.where(peak > 0, peak, 1.0)[:, :, None, None]
    index = np.clip(norm * (len(lut) - 1), 0, len(lut) - 1).astype(np.intp)
    packed = (0xFF000000 | (lut[:, 0].astype(np.uint32) << 16) | (lut[:, 1].astype(np.uint32) << 8)
              | lut[:, 2].astype(np.uint32))
    cells = packed[index]  # [L, H, s, s]
    if dim is not None and dim.any():
        faded = cells[dim]
        r, g, b = (faded >> 16) & 0xFF, (faded >> 8) & 0xFF, faded & 0xFF
        mix = lambda c: (c.astype(np.uint32) + 3 * 235) // 4  # noqa: E731 - blend towards light grey
        cells[dim] = 0xFF000000 | (mix(r) << 16) | (mix(g) << 8) | mix(b)
    size = s + gap
    canvas = np.full((layers * size, heads * size), background, dtype=np.uint32)
    view = canvas.reshape(layers, size, heads, size)
    view[:, :s, :, :s] = cells.transpose(0, 2, 1, 3)
    return canvas


class HeadGrid(QWidget):
    """Layer x head thumbnails; click one to choose it."""

    head_clicked = Signal(int, int)  # layer, head

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.thumbs: np.ndarray | None = None
        self.num_kv_heads = 0
        self.describe: Callable[[int, int], str] | None = None
        self._dim: np.ndarray | None = None
        self._lut = lookup_table("viridis")
        self._dark = False
        self.left_axis = TokenAxis("left")
        self.top_axis = TokenAxis("top")
        self.plot_widget = pg.PlotWidget(axisItems={"left": self.left_axis, "top": self.top_axis})
        self.plot_widget.setBackground(None)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.showAxis("top")
        self.plot.hideAxis("bottom")
        self.plot.setLabel("left", "layer")
        self.plot.setLabel("top", "head")
        self.vb = self.plot.getViewBox()
        self.vb.invertY(True)
        self.vb.setDefaultPadding(0.0)
        self.image = MatrixImage()
        self.plot.addItem(self.image)
        self.marks: list[QGraphicsRectItem] = []
        self.selection = QGraphicsRectItem()
        self.selection.setZValue(20)
        self.selection.setVisible(False)
        self.plot.addItem(self.selection)
        self.group_bars: list[QGraphicsRectItem] = []
        self.hover_label = QLabel(" ")
        self.hover_label.setWordWrap(True)
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.hover_label)
        self.plot_widget.scene().sigMouseMoved.connect(self._moved)
        self.plot_widget.scene().sigMouseClicked.connect(self._clicked)
        self.apply_view_settings(1.0, False)

    @property
    def shape(self) -> tuple[int, int]:
        return (0, 0) if self.thumbs is None else self.thumbs.shape[:2]

    def set_thumbnails(self, thumbs: np.ndarray, num_kv_heads: int) -> None:
        self.thumbs = np.asarray(thumbs, dtype=np.float32)
        self.num_kv_heads = num_kv_heads
        layers, heads = self.shape
        self.left_axis.set_labels([str(i) for i in range(layers)])
        self.top_axis.set_labels([str(i) for i in range(heads)])
        self._paint()
        self.vb.setLimits(xMin=0, xMax=heads, yMin=0, yMax=layers + 0.0)
        self.vb.setRange(xRange=(0, heads), yRange=(0, layers), padding=0)
        self._draw_groups()

    def _paint(self) -> None:
        if self.thumbs is None:
            return
        layers, heads = self.shape
        s = self.thumbs.shape[-1]
        gap = max(1, int(math.ceil(s / 16)))
        background = 0xFF2B2B30 if self._dark else 0xFFFFFFFF
        canvas = compose(self.thumbs, self._lut, gap=gap, background=background, dim=self._dim)
        self.image.set_pixels(canvas, QRectF(0, 0, heads, layers))

    def _draw_groups(self) -> None:
        """A coloured bar above each head: heads with one colour share their keys and values (GQA)."""
        for bar in self.group_bars:
            self.plot.removeItem(bar)
        self.group_bars = []
        layers, heads = self.shape
        self.top_axis.label_colours = None
        if not self.num_kv_heads or self.num_kv_heads >= heads:
            self.vb.setLimits(yMin=0)
            return
        size = heads // self.num_kv_heads
        self.top_axis.label_colours = [group_colour(h // size) for h in range(heads)]
        self.top_axis.update()
        # in row units: a thin strip over a 30-layer grid, still a strip (not a block) over one layer
        bar_h = min(0.6, 0.2 * max(1, layers))
        top = -1.25 * bar_h
        for h in range(heads):
            bar = QGraphicsRectItem(QRectF(h, top, 0.94, bar_h))
            colour = group_colour(h // size)
            bar.setBrush(colour)
            bar.setPen(QPen(Qt.PenStyle.NoPen))
            self.plot.addItem(bar)
            self.group_bars.append(bar)
        self.vb.setLimits(yMin=top - 0.05)
        self.vb.setRange(xRange=(0, heads), yRange=(top - 0.05, layers), padding=0)

    def set_selected(self, layer: int | None, head: int | None) -> None:
        if layer is None or head is None or self.thumbs is None:
            self.selection.setVisible(False)
            return
        self.selection.setRect(QRectF(head - 0.04, layer - 0.04, 1.0, 1.0))
        self.selection.setVisible(True)

    def set_marked(self, heads: list[tuple[int, int]], dim_others: bool = False) -> None:
        """Outline these (layer, head) pairs; optionally fade all the others."""
        for mark in self.marks:
            self.plot.removeItem(mark)
        self.marks = []
        pen = QPen(QColor("#ff9f0a"), 2.5)
        pen.setCosmetic(True)
        for layer, head in heads:
            mark = QGraphicsRectItem(QRectF(head, layer, 0.94, 0.94))
            mark.setPen(pen)
            mark.setZValue(15)
            self.plot.addItem(mark)
            self.marks.append(mark)
        dim = None
        if dim_others and self.thumbs is not None and heads:
            dim = np.ones(self.shape, dtype=bool)
            for layer, head in heads:
                dim[layer, head] = False
        if (dim is None) != (self._dim is None) or (dim is not None and not np.array_equal(dim, self._dim)):
            self._dim = dim
            self._paint()

    def cell_at(self, scene_pos) -> tuple[int, int]:
        if self.thumbs is None or not self.vb.sceneBoundingRect().contains(scene_pos):
            return -1, -1
        point = self.vb.mapSceneToView(scene_pos)
        layer, head = int(math.floor(point.y())), int(math.floor(point.x()))
        layers, heads = self.shape
        if 0 <= layer < layers and 0 <= head < heads:
            return layer, head
        return -1, -1

    def _moved(self, pos) -> None:
        layer, head = self.cell_at(pos)
        if layer < 0:
            self.hover_label.setText(" ")
            return
        text = f"layer {layer}, head {head}"
        if self.describe is not None:
            text = self.describe(layer, head)
        self.hover_label.setText(text)

    def _clicked(self, event) -> None:
        layer, head = self.cell_at(event.scenePos())
        if event.double():
            layers, heads = self.shape
            top = self.group_bars[0].rect().top() - 0.05 if self.group_bars else 0
            self.vb.setRange(xRange=(0, heads), yRange=(top, layers), padding=0)
            return
        if layer >= 0:
            self.head_clicked.emit(layer, head)

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._dark = dark
        px = 14.0 * font_scale
        fg = QColor("#e8e8e8") if dark else QColor("#202020")
        for axis in (self.left_axis, self.top_axis):
            axis.setPen(pg.mkPen(fg, width=max(1.0, font_scale)))
            axis.setTextPen(pg.mkPen(fg))
            axis.set_font_px(px)
        css = {"font-size": f"{int(round(px + 1))}px", "color": fg.name()}
        self.plot.setLabel("left", "layer", **css)
        self.plot.setLabel("top", "head", **css)
        pen = QPen(QColor("#ff3b30"), max(3.0, 3.0 * font_scale))
        pen.setCosmetic(True)
        self.selection.setPen(pen)
        self._paint()

    def data(self) -> dict:
        return {} if self.thumbs is None else {"thumbnails": self.thumbs}
