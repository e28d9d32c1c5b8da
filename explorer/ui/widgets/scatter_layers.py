"""What the scatter view draws from its state: points (dots or a raster), selection rings, text labels,
thumbnails, the legend and the 3-D axis gizmo (`PointLayers`), and arrows with labels (`ArrowOverlays`)."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

from explorer.ui.widgets.scatter_items import LabelLayer, RasterScatter, group_colours, rotation, to_pixmap

if TYPE_CHECKING:
    from explorer.ui.widgets.scatter import ScatterView

SMALL_LIMIT = 5_000  # above this, the raster item draws the points
LABEL_LIMIT = 300  # at most this many text labels at once
MATCH_COLOUR = "#e6194b"
DIM_LIGHT = QColor(200, 200, 200, 110)
DIM_DARK = QColor(90, 90, 90, 130)


class PointLayers:
    """The pyqtgraph items that show a ScatterView's points; `draw()` repaints them from the view's state.

    Up to SMALL_LIMIT points are antialiased circles (pyqtgraph's ScatterPlotItem); above that the raster
    item draws every point into one image per frame.
    """

    def __init__(self, view: ScatterView) -> None:
        self.view = view
        self.small = pg.ScatterPlotItem(pxMode=True)
        self.raster = RasterScatter()
        self.marks = pg.ScatterPlotItem(pxMode=True)  # selected / highlighted points, on top
        self.marks.setZValue(20)
        self.small.setZValue(8)  # points above arrows and lines
        self.raster.setZValue(8)
        for item in (self.small, self.raster, self.marks):
            view.plot.addItem(item)
        self.labels = LabelLayer(view.view_box)
        self._image_items: list[QGraphicsPixmapItem] = []
        self._gizmo: list = []

    def colours(self) -> list[QColor]:
        return group_colours(self.view._group_names)

    def draw(self) -> None:
        v = self.view
        n = v.n_points
        v.empty.setVisible(n == 0)
        visible = v._visible_mask()
        colours = self.colours()
        dim = DIM_DARK if v._dark else DIM_LIGHT
        searching = v._match is not None
        if n > SMALL_LIMIT:
            self.small.setData([], [])
            self.small.setVisible(False)
            self.raster.setVisible(True)
            # codes: 1 = dimmed (search misses), 2.. = groups, last = search matches on top
            codes = (v._codes + 2).astype(np.int32)
            table = [dim] + colours + [QColor(MATCH_COLOUR)]
            if searching:
                codes = np.where(v._match, len(colours) + 2, 1) if len(colours) == 1 else \
                    np.where(v._match, codes, 1)
            keep = visible if visible is not None else slice(None)
            radius = max(0, (v._point_px - 1) // 4)  # 3 x 3 pixels at 5-8 px
            self.raster.set_data(v._xy[keep], codes[keep].astype(np.uint8), table, radius)
        else:
            self.raster.set_data(np.zeros((0, 2), np.float32), np.zeros(0, np.uint8), [], 0)
            self.raster.setVisible(False)
            self.small.setVisible(True)
            if n:
                self._draw_small(colours, dim, visible)
            else:
                self.small.setData([], [])
        self.draw_marks()
        self.draw_labels()
        self.draw_gizmo()

    def _draw_small(self, colours: list[QColor], dim: QColor, visible: np.ndarray | None) -> None:
        v = self.view
        n = v.n_points
        brushes = [pg.mkBrush(c) for c in colours]
        dim_brush = pg.mkBrush(dim)
        match = v._match
        brush = np.array([brushes[c] if match is None or match[i] else dim_brush
                          for i, c in enumerate(v._codes)], dtype=object)
        size = np.full(n, float(v._point_px) * v._font_scale)
        if v._sizes is not None and len(v._sizes) == n:
            size = size * v._sizes
        if v._depth is not None and n > 1:
            # nearer points are bigger: a depth cue for the rotating 3-D view
            span = float(np.ptp(v._depth)) or 1.0
            size = size * (0.6 + 0.8 * (v._depth - v._depth.min()) / span)
        outline = pg.mkPen("#1e1e1e" if v._dark else "w", width=1) if n <= 2000 else None
        index = np.arange(n)
        if visible is not None:
            index = index[visible]
        if v._depth is not None:
            index = index[np.argsort(v._depth[index])]  # far points first, near ones on top
        symbols = v._symbols[index] if v._symbols is not None else "o"
        self.small.setData(x=v._xy[index, 0], y=v._xy[index, 1], brush=brush[index], size=size[index],
                           pen=outline, symbol=symbols, data=index)

    def draw_marks(self) -> None:
        """Rings for the selection and its highlights; in big clouds also a visible dot per search match."""
        v = self.view
        rings = ([v._selected] if v._selected >= 0 else []) + [i for i in v._highlight if i != v._selected]
        dots: list[int] = []
        if v.n_points > SMALL_LIMIT and v._match is not None and int(v._match.sum()) <= LABEL_LIMIT:
            # a one-pixel dot among 400k would vanish: draw matches as proper markers
            ringed = set(rings)
            dots = [int(i) for i in np.flatnonzero(v._match) if i not in ringed]
        if not rings and not dots:
            self.marks.setData([], [])
            return
        ring = QColor("#ffffff") if v._dark else QColor("#111111")
        edge = pg.mkPen("#1e1e1e" if v._dark else "#ffffff", width=1.5)
        match_brush = pg.mkBrush(MATCH_COLOUR)
        scale = v._font_scale
        base = max(v._point_px, 6)
        spots = [{"pos": (float(v._xy[i, 0]), float(v._xy[i, 1])), "size": (base + 2) * scale,
                  "pen": edge, "brush": match_brush} for i in dots]
        for i in rings:
            selected = i == v._selected
            spots.append({"pos": (float(v._xy[i, 0]), float(v._xy[i, 1])),
                          "size": (base + (10 if selected else 6)) * scale,
                          "pen": pg.mkPen(MATCH_COLOUR if selected else ring, width=2.5 * scale), "brush": None})
        self.marks.setData(spots=spots, symbol="o")

    def labelled_indices(self) -> list[int]:
        """Which points carry a text label now: all of a small set, search matches, the selection and its
        highlights (painted last, on top)."""
        v = self.view
        n = v.n_points
        if not n:
            return []
        visible = v._visible_mask()
        chosen: list[int] = []
        if n <= LABEL_LIMIT and not v._images:
            chosen = list(np.flatnonzero(visible)) if visible is not None else list(range(n))
        elif v._match is not None and int(v._match.sum()) <= LABEL_LIMIT:
            chosen = list(np.flatnonzero(v._match))
        # the selection last, so that its label is painted on top
        extra = [i for i in v._highlight if i != v._selected]
        if v._selected >= 0:
            extra.append(v._selected)
        skip = set(extra)
        chosen = [i for i in chosen if i not in skip][:LABEL_LIMIT] + extra
        return [int(i) for i in chosen]

    def draw_labels(self) -> None:
        v = self.view
        wanted = self.labelled_indices()
        font = QFont()
        font.setPointSizeF(v._label_pt * v._font_scale)
        fg = QColor("#f0f0f0") if v._dark else QColor("#111111")
        plate = QColor(30, 30, 30, 185) if v._dark else QColor(255, 255, 255, 185)
        colours = [QColor(MATCH_COLOUR) if i == v._selected else fg for i in wanted]
        xy = v._xy[wanted] if wanted else np.zeros((0, 2), np.float32)
        self.labels.set_labels(xy, [v._labels[i] for i in wanted], colours, font, plate)

    def rebuild_images(self) -> None:
        v = self.view
        for item in self._image_items:
            v.plot.removeItem(item)
        self._image_items = []
        for i, image in enumerate(v._images[:2000]):
            if image is None:
                continue
            pixmap = to_pixmap(image, int(64 * v._font_scale))
            item = QGraphicsPixmapItem(pixmap)
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            item.setOffset(-pixmap.width() / 2, -pixmap.height() / 2)
            item.setZValue(10)
            item.setData(0, i)
            v.plot.addItem(item, ignoreBounds=True)
            self._image_items.append(item)
        self.place_images()

    def place_images(self) -> None:
        v = self.view
        for item in self._image_items:
            i = item.data(0)
            if i < v.n_points:
                item.setPos(float(v._xy[i, 0]), float(v._xy[i, 1]))

    def draw_legend(self) -> None:
        v = self.view
        v.legend.clear()
        names = v._group_names
        v.legend.setVisible(len(names) > 1 and v._legend_wanted)
        if len(names) <= 1 or not v._legend_wanted:
            return
        size = 12 * v._font_scale
        for name, colour in zip(names, self.colours()):
            sample = pg.ScatterPlotItem(symbol="o", size=size, brush=pg.mkBrush(colour), pen=None)
            v.legend.addItem(sample, name)

    def draw_axes(self) -> None:
        """Axis titles (hidden in 3-D, where the gizmo names the axes), equal scales in 3-D, the hint."""
        v = self.view
        fg = "#e8e8e8" if v._dark else "#202020"
        css = {"font-size": f"{int(round(12 * v._font_scale))}pt", "color": fg}
        for name, index in (("bottom", 0), ("left", 1)):
            title = v._axis_titles[index] if index < len(v._axis_titles) else ""
            v.plot.setLabel(name, title, **css)  # (this shows the axis again)
            v.plot.showAxis(name, not v.is_3d)
        if v.is_3d:
            # a rotating cloud needs equal scales on screen
            v.view_box.setAspectLocked(True)
        elif v._aspect_locked is not None:
            v.view_box.setAspectLocked(v._aspect_locked)
        v.hint.setText("3-D: drag to turn · scroll to zoom · click a point"
                       if v.is_3d else "Scroll to zoom · drag to pan · click a point")

    def make_room_for_labels(self) -> None:
        """Widen the fitted 2-D range on the right so that the right-most points' labels fit inside."""
        v = self.view
        labelled = self.labelled_indices()
        width_px = float(v.view_box.width())
        if not labelled or width_px <= 100:
            return
        font = QFont()
        font.setPointSizeF(v._label_pt * v._font_scale)
        metrics = QFontMetricsF(font)
        (x0, x1), _ = v.view_box.viewRange()
        span = (x1 - x0) or 1.0
        right = max((float(v._xy[i, 0]) - x0) / span * width_px + 0.45 * metrics.height()
                    + metrics.horizontalAdvance(v._labels[i]) + 8 for i in labelled)
        need = min(right - width_px, 0.6 * width_px)
        if need > 0:
            v.view_box.setXRange(x0, x1 + need * span / (width_px - need), padding=0)

    def draw_gizmo(self) -> None:
        """Three labelled axis lines that turn with the 3-D view."""
        v = self.view
        for item in self._gizmo:
            v.plot.removeItem(item)
        self._gizmo = []
        self.place_images()
        if not v.is_3d or not v.n_points:
            return
        rot = rotation(v._yaw, v._pitch)
        colours = ["#d62728", "#2ca02c", "#1f77b4"]
        font = QFont()
        font.setPointSizeF(11 * v._font_scale)
        for axis in range(3):
            tip = rot[:2, axis] * 1.05
            line = pg.PlotDataItem([0, tip[0]], [0, tip[1]], pen=pg.mkPen(colours[axis], width=2 * v._font_scale))
            title = v._axis_titles[axis] if axis < len(v._axis_titles) else f"axis {axis + 1}"
            text = pg.TextItem(title, color=colours[axis], anchor=(0.5, 0.5))
            text.setFont(font)
            text.setPos(float(tip[0]), float(tip[1]))
            for item in (line, text):
                item.setZValue(2)
                v.plot.addItem(item, ignoreBounds=True)
                self._gizmo.append(item)


class ArrowOverlays:
    """Arrows (a line, a head and a label) drawn over the points in view coordinates; cleared together."""

    def __init__(self, plot: pg.PlotItem, view_box: pg.ViewBox) -> None:
        self.plot, self.view_box = plot, view_box
        self.items: list = []
        self.arrows: list[tuple] = []  # (start, end, head, label or None)
        self._font_scale, self._label_pt, self._dark = 1.0, 11, False

    def add(self, start: Sequence[float], end: Sequence[float], colour: str, text: str | None, dashed: bool,
            width: float) -> None:
        scale = self._font_scale
        pen = pg.mkPen(colour, width=width * scale, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        line = pg.PlotDataItem([start[0], end[0]], [start[1], end[1]], pen=pen)
        head = pg.ArrowItem(pos=(end[0], end[1]), headLen=16 * scale, tailLen=0,
                            brush=pg.mkBrush(colour), pen=pg.mkPen(colour))
        line.setZValue(5)
        head.setZValue(6)
        self.plot.addItem(line)
        self.plot.addItem(head)
        self.items += [line, head]
        label = None
        if text:
            label = pg.TextItem(text, color=colour, anchor=(0.5, 1.15))
            label.setPos((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            label.setZValue(7)
            self.plot.addItem(label)
            self.items.append(label)
        self.arrows.append((np.asarray(start, float), np.asarray(end, float), head, label))
        self.style(self._font_scale, self._label_pt, self._dark)
        self.follow_view()

    def style(self, font_scale: float, label_pt: int, dark: bool) -> None:
        """Arrow labels at the current font scale, on a plate of the current theme (so a line that
        crosses a label cannot turn its "−" into a "+")."""
        self._font_scale, self._label_pt, self._dark = font_scale, label_pt, dark
        font = QFont()
        font.setPointSizeF(label_pt * font_scale)
        font.setBold(True)
        plate = pg.mkBrush(QColor(30, 30, 30, 210) if dark else QColor(255, 255, 255, 210))
        for *_, label in self.arrows:
            if label is not None:
                label.setFont(font)
                label.fill = plate
                label.update()

    def clear(self) -> None:
        for item in self.items:
            self.plot.removeItem(item)
        self.items = []
        self.arrows = []

    def follow_view(self, *args) -> None:
        """Turn the heads along their lines as drawn on screen, and keep labels beside their arrows."""
        for start, end, head, label in self.arrows:
            a = self.view_box.mapViewToDevice(QPointF(*start))
            b = self.view_box.mapViewToDevice(QPointF(*end))
            if a is None or b is None:
                continue
            # ArrowItem's angle 0 points left; screen y grows downwards
            angle = math.degrees(math.atan2(b.y() - a.y(), b.x() - a.x()))
            head.setStyle(angle=180 + angle)
            if label is not None:
                # beside the arrow, never on it: above a flat arrow, left of a steep one
                steep = abs(b.y() - a.y()) > abs(b.x() - a.x())
                label.setAnchor((1.12, 0.5) if steep else (0.5, 1.15))
