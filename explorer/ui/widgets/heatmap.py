"""A labelled matrix heatmap: one opaque image, token labels on both axes, colour bar, mask, hover.

Painting is one image however large the matrix (512 x 512 draws in
milliseconds); axis labels thin out when they would overlap and come back
as you zoom in. Mouse wheel zooms, dragging pans, a double-click resets.

    view = HeatmapView(value_label="attention weight")
    view.set_matrix(values, row_labels, col_labels, mask=hidden, levels=(0, 1), colormap="viridis")
"""
from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPen, QStaticText, QTransform
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

MAX_LABEL_CHARS = 14


def display_label(token: str) -> str:
    """A token as an axis label: visible whitespace, short."""
    text = token.replace("\n", "⏎").replace("\t", "⇥").replace("\r", "")
    stripped = text.strip(" ")
    if not stripped:
        text = "␣" * min(len(text), 3) if text else "∅"
    else:
        text = stripped
    return text if len(text) <= MAX_LABEL_CHARS else text[:MAX_LABEL_CHARS - 1] + "…"


class TokenAxis(pg.AxisItem):
    """An axis with one text label per matrix row/column, thinned so labels never overlap.

    It paints itself directly with cached QStaticText (pyqtgraph's generic tick layout
    measures every string on every frame, too slow for smooth panning). The bottom axis
    draws its labels rotated (reading upwards) so many fit side by side.
    """

    def __init__(self, orientation: str, rotate: bool = False) -> None:
        super().__init__(orientation)
        self.labels: list[str] = []
        self.label_colours: list[QColor] | None = None  # optional colour per label (e.g. GQA groups)
        self.rotate = rotate and orientation in ("bottom", "top")
        self._static: dict[str, tuple[QStaticText, float]] = {}
        self._raw_labels: list[str] | None = None  # the text last given to set_labels
        self._drawn: list[tuple[int, float, float]] = []  # (index, start, end) painted last time
        self._fm: QFontMetricsF | None = None  # metrics of the tick font, measured once per font
        self._fm_key: str | None = None
        self.setStyle(tickLength=4, autoExpandTextSpace=False, tickTextOffset=4)
        self.enableAutoSIPrefix(False)

    def set_labels(self, labels: Sequence[str]) -> None:
        labels = [str(t) for t in labels]
        if labels == self._raw_labels:
            return  # the same text again: keep the measured sizes
        self._raw_labels = labels
        self.labels = [display_label(t) for t in labels]
        self._fit_size()
        self.update()

    def set_font_px(self, px: float) -> None:
        font = QFont()
        font.setPixelSize(max(8, int(round(px))))
        self.setTickFont(font)
        self._static.clear()
        self._fit_size()
        self.update()

    def _font(self) -> QFont:
        return self.style.get("tickFont") or QFont()

    def _metrics(self) -> QFontMetricsF:
        # one QFontMetricsF per font: building one per label cost ~0.2 s of GUI thread for 512 labels
        font = self._font()
        key = font.key()
        if self._fm is None or self._fm_key != key:
            self._fm, self._fm_key = QFontMetricsF(font), key
        return self._fm

    def _label_space(self) -> float:
        """Room the axis title needs beside the tick labels."""
        if not self.label.isVisible():
            return 0.0
        return self.label.boundingRect().height() * 0.9

    def _fit_size(self) -> None:
        fm = self._metrics()
        widest = max((self._text(s)[1] for s in self.labels), default=fm.horizontalAdvance("0"))
        widest = min(widest, fm.horizontalAdvance("M" * MAX_LABEL_CHARS))
        extra = self._label_space()
        if self.orientation in ("left", "right"):
            self.setWidth(int(widest + 14 + extra))
        elif self.rotate:
            self.setHeight(int(widest + 14 + extra))
        else:
            self.setHeight(int(fm.height() + 12 + extra))

    def setLabel(self, text=None, units=None, unitPrefix=None, **args):  # noqa: N802 - pyqtgraph API
        super().setLabel(text, units, unitPrefix, **args)
        if hasattr(self, "labels"):
            self._fit_size()

    def _text(self, label: str) -> tuple[QStaticText, float]:
        cached = self._static.get(label)
        if cached is None:
            static = QStaticText(label)
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), self._font())
            cached = (static, self._metrics().horizontalAdvance(label))
            self._static[label] = cached
        return cached

    def visible_indices(self, length_px: float, first: float, last: float) -> list[int]:
        """Indices whose labels fit without overlapping, for the visible range [first, last]."""
        n = len(self.labels)
        lo, hi = max(0, int(math.floor(min(first, last)))), min(n, int(math.ceil(max(first, last))))
        if n == 0 or length_px <= 0 or hi <= lo:
            return []
        px_per_item = length_px / max(1e-9, abs(last - first))
        fm = self._metrics()
        if self.orientation in ("left", "right") or self.rotate:
            needed = fm.height() * 1.05
        else:
            needed = max((self._text(self.labels[i])[1] for i in range(lo, hi)), default=10) + 10
        step = max(1, int(math.ceil(needed / max(px_per_item, 1e-9))))
        start = int(math.ceil(lo / step) * step)
        return list(range(start, hi, step))

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 - pyqtgraph API (used by exporters)
        return [(1.0, [i + 0.5 for i in self.visible_indices(size, minVal, maxVal)])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph API
        return [self.labels[int(v)] if 0 <= int(v) < len(self.labels) else "" for v in values]

    def paint(self, p, opt, widget):  # noqa: D401 - Qt API
        view = self.linkedView()
        bounds = self.mapRectFromParent(self.geometry())
        vertical = self.orientation in ("left", "right")
        p.setRenderHint(p.RenderHint.Antialiasing, False)
        p.setPen(self.pen())
        if self.orientation == "left":
            p.drawLine(QPointF(bounds.right() - 1, bounds.top()), QPointF(bounds.right() - 1, bounds.bottom()))
        elif self.orientation == "bottom":
            p.drawLine(QPointF(bounds.left(), bounds.top() + 1), QPointF(bounds.right(), bounds.top() + 1))
        elif self.orientation == "top":
            p.drawLine(QPointF(bounds.left(), bounds.bottom() - 1), QPointF(bounds.right(), bounds.bottom() - 1))
        if view is None or not self.labels:
            return
        a = self.mapFromScene(view.mapViewToScene(QPointF(0, 0)))
        b = self.mapFromScene(view.mapViewToScene(QPointF(1, 1)))
        origin, per = (a.y(), b.y() - a.y()) if vertical else (a.x(), b.x() - a.x())
        if abs(per) < 1e-12:
            return
        lo_px, hi_px = (bounds.top(), bounds.bottom()) if vertical else (bounds.left(), bounds.right())
        first, last = (lo_px - origin) / per, (hi_px - origin) / per
        shown = self.visible_indices(hi_px - lo_px, first, last)
        tick = max(0, self.style["tickLength"])
        gap = tick + self.style["tickTextOffset"][0 if vertical else 1]
        fm = self._metrics()
        h = fm.height()
        p.setClipRect(bounds)
        p.setFont(self._font())
        for i in shown:
            pos = origin + (i + 0.5) * per
            if vertical:
                p.setPen(self.pen())
                p.drawLine(QPointF(bounds.right() - tick, pos), QPointF(bounds.right(), pos))
            elif self.orientation == "top":
                p.setPen(self.pen())
                p.drawLine(QPointF(pos, bounds.bottom() - tick), QPointF(pos, bounds.bottom()))
            else:
                p.setPen(self.pen())
                p.drawLine(QPointF(pos, bounds.top()), QPointF(pos, bounds.top() + tick))
        p.setPen(self.textPen())
        colours = self.label_colours if self.label_colours and len(self.label_colours) == len(self.labels) else None
        self._drawn = []
        for i, lo, hi in self.label_extents(shown, origin, per, (lo_px, hi_px)):
            static, width = self._text(self.labels[i])
            if colours is not None:
                p.setPen(colours[i])
            self._drawn.append((i, lo, hi))
            if vertical:
                p.drawStaticText(QPointF(bounds.right() - gap - width, lo), static)
            elif self.rotate:
                p.save()
                p.translate(lo + h / 2, bounds.top() + gap)
                p.rotate(-90)
                p.drawStaticText(QPointF(-width, -h / 2), static)
                p.restore()
            elif self.orientation == "top":
                p.drawStaticText(QPointF(lo, bounds.bottom() - gap - h), static)
            else:
                p.drawStaticText(QPointF(lo, bounds.top() + gap), static)

    def drawn_labels(self) -> list[tuple[str, float, float]]:
        """(label, start, end) along the axis, in the axis's own coordinates, as painted last time."""
        return [(self.labels[i], lo, hi) for i, lo, hi in self._drawn if i < len(self.labels)]

    def label_extents(self, shown: Sequence[int], origin: float, per: float,
                      span: tuple[float, float]) -> list[tuple[int, float, float]]:
        """(index, start, end) along the axis of each label to draw, every one inside `span`.

        A label centred on the first or last row of a matrix with rows thinner than the
        text would stick out of the axis and be cut in half (at presenter sizes the top
        token lost its upper half): such a label is pushed inside, and one that would then
        touch its neighbour is left out.
        """
        fm = self._metrics()
        vertical = self.orientation in ("left", "right") or self.rotate
        lo_px, hi_px = min(span), max(span)
        out: list[tuple[int, float, float]] = []
        last_end = -math.inf
        for i in sorted(shown, key=lambda k: origin + (k + 0.5) * per):
            centre = origin + (i + 0.5) * per
            size = fm.height() if vertical else self._text(self.labels[i])[1]
            start = min(max(centre - size / 2, lo_px), hi_px - size)
            if start < last_end + 1:
                continue
            out.append((i, start, start + size))
            last_end = start + size
        return out


@functools.lru_cache(maxsize=16)
def named_colormap(name: str) -> pg.ColorMap:
    """A pyqtgraph colour map by name ("viridis", "CET-D1" diverging...), loaded once."""
    return pg.colormap.get(name)


@functools.lru_cache(maxsize=16)
def lookup_table(name: str) -> np.ndarray:
    """[256, 3] uint8 colours of a named colour map."""
    return named_colormap(name).getLookupTable(nPts=256, alpha=False)


def to_rgb32(values: np.ndarray, levels: tuple[float, float], lut: np.ndarray,
             mask: np.ndarray | None = None, mask_rgb: tuple[int, int, int] = (205, 205, 210)) -> np.ndarray:
    """uint32 [rows, cols] 0xFFRRGGBB: `values` through the colour table, masked cells in grey."""
    lo, hi = levels
    scale = (len(lut) - 1) / (hi - lo) if hi > lo else 0.0
    finite = np.isfinite(values)
    index = np.clip((np.where(finite, values, lo) - lo) * scale, 0, len(lut) - 1).astype(np.intp)
    packed = (0xFF000000 | (lut[:, 0].astype(np.uint32) << 16) | (lut[:, 1].astype(np.uint32) << 8)
              | lut[:, 2].astype(np.uint32))
    out = packed[index]
    if mask is not None:
        grey = np.uint32(0xFF000000 | (mask_rgb[0] << 16) | (mask_rgb[1] << 8) | mask_rgb[2])
        out[np.asarray(mask, dtype=bool)] = grey
    return np.ascontiguousarray(out, dtype=np.uint32)


class MatrixImage(pg.GraphicsObject):
    """One opaque RGB32 image covering [0, cols] x [0, rows]: the cheapest thing Qt can scale and draw."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer: np.ndarray | None = None
        self._qimage: QImage | None = None

        self._rect = QRectF()

    def set_pixels(self, rgb32: np.ndarray, rect: QRectF | None = None) -> None:
        """Show the pixels; by default pixel (r, c) covers [c, c + 1] x [r, r + 1] in view coordinates."""
        self.prepareGeometryChange()
        self._buffer = np.ascontiguousarray(rgb32, dtype=np.uint32)
        rows, cols = self._buffer.shape
        self._qimage = QImage(self._buffer.data, cols, rows, cols * 4, QImage.Format.Format_RGB32)
        self._rect = QRectF(rect) if rect is not None else QRectF(0, 0, cols, rows)
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return QRectF(self._rect)

    def paint(self, p, *args) -> None:
        if self._qimage is not None:
            p.drawImage(self._rect, self._qimage)


class HeatmapView(QWidget):
    """A matrix with labelled axes, a labelled colour bar, an optional greyed mask and hover read-out."""

    hovered = Signal(int, int)  # row, column under the mouse (-1, -1 when outside)
    clicked = Signal(int, int)

    def __init__(self, value_label: str = "value", row_title: str = "", col_title: str = "",
                 parent: QWidget | None = None, show_hover: bool = True, rotate_columns: bool = True) -> None:
        super().__init__(parent)
        self.value_label = value_label
        self.values: np.ndarray | None = None
        self.mask: np.ndarray | None = None
        self.raw_row_labels: list[str] = []
        self.raw_col_labels: list[str] = []
        self.levels: tuple[float, float] = (0.0, 1.0)
        self.hover_format: Callable[[int, int, float], str] | None = None
        self._font_scale = 1.0
        self._dark = False

        self.left_axis = TokenAxis("left")
        self.bottom_axis = TokenAxis("bottom", rotate=rotate_columns)
        self.plot_widget = pg.PlotWidget(axisItems={"left": self.left_axis, "bottom": self.bottom_axis})
        self.plot_widget.setBackground(None)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.vb = self.plot.getViewBox()
        self.vb.invertY(True)
        self.vb.setDefaultPadding(0.0)
        self.plot.setContentsMargins(2, 12, 2, 2)
        self.image = MatrixImage()
        self.plot.addItem(self.image)
        self.highlight = pg.QtWidgets.QGraphicsRectItem()
        self.highlight.setZValue(10)
        self.highlight.setVisible(False)
        self.plot.addItem(self.highlight)
        self._cmap_name = "viridis"
        self._lut = lookup_table("viridis")
        self.colorbar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=named_colormap("viridis"), interactive=False,
                                        width=18, colorMapMenu=False)
        self.colorbar.axis.enableAutoSIPrefix(False)
        # the bar shows the scale; the image is coloured here (see to_rgb32), so no link to an ImageItem
        self.plot.layout.addItem(self.colorbar, 2, 5)
        self.plot.layout.setColumnFixedWidth(4, 8)
        self.set_axis_titles(row_title, col_title)

        self.hover_label = QLabel(" ")
        self.hover_label.setTextFormat(Qt.TextFormat.PlainText)
        self.hover_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.hover_label.setVisible(show_hover)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.hover_label)

        self.plot_widget.scene().sigMouseMoved.connect(self._mouse_moved)
        self.plot_widget.scene().sigMouseClicked.connect(self._mouse_clicked)
        self.apply_view_settings(1.0, False)

    # --- content ---
    def set_matrix(self, values: np.ndarray, row_labels: Sequence[str] | None = None,
                   col_labels: Sequence[str] | None = None, mask: np.ndarray | None = None,
                   levels: tuple[float, float] | None = None, colormap: str = "viridis",
                   keep_view: bool = False) -> None:
        """Show `values` [rows, cols]; `mask` (bool, True = hidden) is painted grey over the cells."""
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 2:
            raise ValueError("a heatmap needs a 2-D matrix")
        rows, cols = values.shape
        same_shape = self.values is not None and self.values.shape == values.shape
        self.values = values
        self.raw_row_labels = [str(s) for s in row_labels] if row_labels is not None else [str(i) for i in range(rows)]
        self.raw_col_labels = [str(s) for s in col_labels] if col_labels is not None else [str(i) for i in range(cols)]
        self.left_axis.set_labels(self.raw_row_labels)
        self.bottom_axis.set_labels(self.raw_col_labels)
        finite = values[np.isfinite(values)]
        if mask is not None:
            visible_values = values[~np.asarray(mask, dtype=bool) & np.isfinite(values)]
            finite = visible_values if visible_values.size else finite
        if levels is None:
            hi = float(finite.max()) if finite.size else 1.0
            lo = min(0.0, float(finite.min())) if finite.size else 0.0
            levels = (lo, hi if hi > lo else lo + 1.0)
        self.levels = (float(levels[0]), float(levels[1]))
        if colormap != self._cmap_name:
            self._cmap_name = colormap
            self._lut = lookup_table(colormap)
            self.colorbar.setColorMap(named_colormap(colormap))
        self.colorbar.setLevels(self.levels)
        self.mask = None if mask is None else np.asarray(mask, dtype=bool)
        self._repaint_pixels()
        self.vb.setLimits(xMin=0, xMax=cols, yMin=0, yMax=rows, minXRange=min(1, cols), minYRange=min(1, rows))
        if not (keep_view and same_shape):
            self.reset_view()

    def _repaint_pixels(self) -> None:
        if self.values is None:
            return
        grey = (70, 70, 78) if self._dark else (205, 205, 210)
        self.image.set_pixels(to_rgb32(self.values, self.levels, self._lut, self.mask, grey))

    def set_axis_titles(self, row_title: str, col_title: str) -> None:
        self.plot.setLabel("left", row_title)
        self.plot.setLabel("bottom", col_title)
        self._titles = (row_title, col_title)

    def set_highlight(self, row: int | None, col: int | None = None, rows: int = 1, cols: int = 1) -> None:
        """Outline a cell (or a block of cells); None hides the outline."""
        if row is None or self.values is None:
            self.highlight.setVisible(False)
            return
        c = 0 if col is None else col
        width = self.values.shape[1] if col is None else cols
        self.highlight.setRect(QRectF(c, row, width, rows))
        self.highlight.setVisible(True)

    def reset_view(self) -> None:
        if self.values is None:
            return
        rows, cols = self.values.shape
        self.vb.setRange(xRange=(0, cols), yRange=(0, rows), padding=0)

    def set_view_window(self, rows: tuple[float, float], cols: tuple[float, float]) -> None:
        """Zoom to a part of the matrix (used by presets and the benchmark)."""
        self.vb.setRange(xRange=cols, yRange=rows, padding=0)

    # --- mouse ---
    def cell_at(self, scene_pos) -> tuple[int, int]:
        if self.values is None or not self.vb.sceneBoundingRect().contains(scene_pos):
            return -1, -1
        point = self.vb.mapSceneToView(scene_pos)
        r, c = int(math.floor(point.y())), int(math.floor(point.x()))
        rows, cols = self.values.shape
        if 0 <= r < rows and 0 <= c < cols:
            return r, c
        return -1, -1

    def describe_cell(self, r: int, c: int) -> str:
        value = float(self.values[r, c])
        if self.hover_format is not None:
            return self.hover_format(r, c, value)
        hidden = self.mask is not None and self.mask[r, c]
        text = "masked" if hidden or not math.isfinite(value) else f"{value:.4f}"
        row = self.raw_row_labels[r] if r < len(self.raw_row_labels) else str(r)
        col = self.raw_col_labels[c] if c < len(self.raw_col_labels) else str(c)
        return f"row {r} “{row}” → column {c} “{col}”: {self.value_label} {text}"

    def _mouse_moved(self, pos) -> None:
        r, c = self.cell_at(pos)
        if r < 0:
            self.hover_label.setText(" ")
        else:
            self.hover_label.setText(self.describe_cell(r, c))
        self.hovered.emit(r, c)

    def _mouse_clicked(self, event) -> None:
        r, c = self.cell_at(event.scenePos())
        if event.double():
            self.reset_view()
            return
        if r >= 0:
            self.clicked.emit(r, c)

    # --- presentation ---
    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._font_scale = font_scale
        self._dark = dark
        px = 14.0 * font_scale
        fg = QColor("#e8e8e8") if dark else QColor("#202020")
        for axis in (self.left_axis, self.bottom_axis, self.colorbar.axis):
            axis.setPen(pg.mkPen(fg, width=max(1.0, font_scale)))
            axis.setTextPen(pg.mkPen(fg))
        self.left_axis.set_font_px(px)
        self.bottom_axis.set_font_px(px)
        bar_font = QFont()
        bar_font.setPixelSize(int(round(px)))
        self.colorbar.axis.setTickFont(bar_font)
        # room for tick labels like "-0.25" plus the rotated title, at any font size
        metrics = QFontMetricsF(bar_font)
        self.colorbar.axis.setWidth(int(metrics.horizontalAdvance("−0.00") + metrics.height() + 12))
        label_css = {"font-size": f"{int(round(px + 1))}px", "color": fg.name()}
        self.colorbar.axis.setLabel(self.value_label, **label_css)
        row_title, col_title = self._titles
        self.plot.setLabel("left", row_title, **label_css)
        self.plot.setLabel("bottom", col_title, **label_css)
        self.highlight.setPen(QPen(QColor("#ff3b30"), max(2.0, 2.5 * font_scale)))
        self.highlight.pen().setCosmetic(True)
        pen = QPen(QColor("#ff3b30"), max(2.0, 2.5 * font_scale))
        pen.setCosmetic(True)
        self.highlight.setPen(pen)
        self._repaint_pixels()

    # --- export ---
    def data(self) -> dict:
        if self.values is None:
            return {}
        return {"matrix": self.values, "__rows__": self.raw_row_labels, "__columns__": self.raw_col_labels}
