"""A projection view for point clouds from ten points to 400,000: colours, legend, labels, search, 3-D.

    view = ScatterView()
    view.set_points(coords, labels, groups=cluster_ids, group_names=["cluster 1", ...],
                    axis_titles=["PCA 1", "PCA 2"])
    view.point_clicked.connect(show_neighbours)      # index into the points, -1 for empty space
    view.update_coords(new_coords)                   # same points, new places (live t-SNE)
    view.set_highlight([3, 17, 42])                  # ringed and labelled (e.g. neighbours)
    view.add_arrow((0, 0), (1, 1), "#d62728", "man → woman")
    view.set_points(coords, labels, images=[qimage, None, ...])   # thumbnails at points

Up to SMALL_LIMIT points are drawn as antialiased circles (pyqtgraph's
ScatterPlotItem). Above that a raster item draws every point into one
image per frame with numpy: a 400k-point repaint costs a few tens of
milliseconds, so panning stays smooth and nothing is sampled.

3-D coordinates are shown without OpenGL: the widget rotates the points and
draws their 2-D projection; drag with the left mouse button to turn them.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPixmap, QStaticText, QTransform
from PySide6.QtWidgets import (QCheckBox, QGraphicsItem, QGraphicsPixmapItem, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from explorer.ui.widgets.plot_axis import readable_axes

SMALL_LIMIT = 5_000  # above this, the raster item draws the points
LABEL_LIMIT = 300  # at most this many text labels at once
LEGEND_LIMIT = 16  # groups beyond this share one grey "other" colour
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
           "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79"]
OTHER_COLOUR = "#b0b0b0"
SINGLE_COLOUR = "#1f77b4"
MATCH_COLOUR = "#e6194b"
DIM_LIGHT = QColor(200, 200, 200, 110)
DIM_DARK = QColor(90, 90, 90, 130)


def group_codes(groups: Sequence | np.ndarray | None, n: int,
                names: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Any group values (ints, strings) -> codes 0..G-1 (most frequent first) and their names.

    When there are more than LEGEND_LIMIT groups, the rarer ones share the last code, named "other".
    """
    if groups is None:
        return np.zeros(n, np.int32), []
    values = np.asarray(groups)
    if len(values) != n:
        raise ValueError(f"{len(values)} group values for {n} points")
    uniques, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if names is not None and np.issubdtype(values.dtype, np.integer):
        titles = [names[int(u)] if 0 <= int(u) < len(names) else str(u) for u in uniques]
    else:
        titles = [str(u) for u in uniques]
    if np.issubdtype(values.dtype, np.integer):
        order = np.arange(len(uniques))  # numbered groups keep their order (cluster 1, 2, ...)
    else:
        order = np.argsort(-counts, kind="stable")  # label columns: the most frequent values first
    rank = np.empty(len(uniques), np.int32)
    rank[order] = np.arange(len(uniques))
    codes = rank[inverse]
    ordered = [titles[i] for i in order]
    if len(ordered) > LEGEND_LIMIT:
        keep = LEGEND_LIMIT - 1
        codes = np.minimum(codes, keep)
        ordered = ordered[:keep] + [f"other ({len(ordered) - keep:,} groups)"]
    return codes.astype(np.int32), ordered


def rasterize(x: np.ndarray, y: np.ndarray, codes: np.ndarray, sx: float, ox: float, sy: float, oy: float,
              width: int, height: int, radius: int, buffers: tuple[np.ndarray, np.ndarray] | None = None
              ) -> np.ndarray:
    """Points at pixel (x * sx + ox, y * sy + oy) -> an [height, width] uint8 image of colour codes (0 = empty).

    Later points win where they overlap; each dot grows by `radius` pixels (the higher code winning).
    Points outside land on a one-pixel frame that is cut away, which saves a mask over all points.
    `buffers` (two float32 arrays of n) are reused between frames and hold the pixel positions after.
    """
    n = x.size
    image = np.zeros((height + 2) * (width + 2), np.uint8)
    if width <= 0 or height <= 0 or n == 0:
        return image.reshape(height + 2, width + 2)[1:-1, 1:-1]
    fx, fy = buffers if buffers is not None and buffers[0].size == n else (np.empty(n, np.float32),
                                                                          np.empty(n, np.float32))
    np.multiply(x, sx, out=fx)
    np.add(fx, ox + 1, out=fx)
    np.clip(fx, 0, width + 1, out=fx)
    np.multiply(y, sy, out=fy)
    np.add(fy, oy + 1, out=fy)
    np.clip(fy, 0, height + 1, out=fy)
    index = fy.astype(np.int32)
    index *= width + 2
    index += fx.astype(np.int32)
    image[index] = codes
    image = image.reshape(height + 2, width + 2)
    image[0] = image[-1] = 0
    image[:, 0] = image[:, -1] = 0
    for _ in range(max(0, radius)):
        grown = image.copy()
        np.maximum(grown[:, 1:], image[:, :-1], out=grown[:, 1:])
        np.maximum(grown[:, :-1], image[:, 1:], out=grown[:, :-1])
        image = grown.copy()
        np.maximum(image[1:], grown[:-1], out=image[1:])
        np.maximum(image[:-1], grown[1:], out=image[:-1])
    return image[1:-1, 1:-1]


class RasterScatter(pg.GraphicsObject):
    """Every point drawn into one indexed image at screen resolution, per repaint."""

    def __init__(self) -> None:
        super().__init__()
        self._x = np.zeros(0, np.float32)
        self._y = np.zeros(0, np.float32)
        self._codes = np.zeros(0, np.uint8)
        self._table: list[int] = [0]
        self._radius = 1
        self._bounds = QRectF()
        self._frame_size = (0, 0)
        self._buffer = None
        self._buffers = (np.empty(0, np.float32), np.empty(0, np.float32))

    def set_data(self, xy: np.ndarray, codes: np.ndarray, colours: Sequence[QColor], radius: int) -> None:
        """`codes` 1..255 index `colours` (1-based); a higher code is drawn on top."""
        order = np.argsort(codes, kind="stable")  # higher codes last, so they win where points overlap
        self._x = np.ascontiguousarray(xy[order, 0], dtype=np.float32)
        self._y = np.ascontiguousarray(xy[order, 1], dtype=np.float32)
        self._codes = np.ascontiguousarray(codes[order], dtype=np.uint8)
        self._table = [0] + [c.rgba() for c in colours]
        self._table += [0] * (256 - len(self._table))
        self._radius = radius
        self.prepareGeometryChange()
        if self._x.size:
            x0, x1 = float(self._x.min()), float(self._x.max())
            y0, y1 = float(self._y.min()), float(self._y.max())
            self._bounds = QRectF(x0, y0, max(x1 - x0, 1e-9), max(y1 - y0, 1e-9))
        else:
            self._bounds = QRectF()
        self.update()

    @property
    def drawn(self) -> int:
        """Points that landed inside the view at the last repaint (benchmarks check nothing was skipped)."""
        width, height = self._frame_size
        fx, fy = self._buffers
        if not width or fx.size != self._x.size:
            return 0
        return int(np.count_nonzero((fx >= 1) & (fx < width + 1) & (fy >= 1) & (fy < height + 1)))

    def dataBounds(self, ax, frac=1.0, orthoRange=None):  # noqa: N802 - pyqtgraph API
        if not self._x.size:
            return None, None
        values = self._x if ax == 0 else self._y
        return float(values.min()), float(values.max())

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._bounds

    def paint(self, p: QPainter, *args) -> None:
        vb = self.getViewBox()
        if vb is None or not self._x.size:
            return
        tr = p.transform()
        device_rect = tr.mapRect(self.mapRectFromView(vb.viewRect()))
        ratio = p.device().devicePixelRatioF() if p.device() is not None else 1.0
        width = int(math.ceil(device_rect.width() * ratio))
        height = int(math.ceil(device_rect.height() * ratio))
        if width <= 0 or height <= 0 or width * height > 64_000_000:
            return
        # item -> device is scale + translate for a 2-D view box (no rotation)
        sx, sy = tr.m11() * ratio, tr.m22() * ratio
        ox = (tr.m31() - device_rect.left()) * ratio
        oy = (tr.m32() - device_rect.top()) * ratio
        if self._buffers[0].size != self._x.size:
            self._buffers = (np.empty(self._x.size, np.float32), np.empty(self._x.size, np.float32))
        image = rasterize(self._x, self._y, self._codes, sx, ox, sy, oy, width, height, self._radius,
                          self._buffers)
        self._frame_size = (width, height)
        image = np.ascontiguousarray(image)
        self._buffer = image
        qimage = QImage(image.data, width, height, width, QImage.Format.Format_Indexed8)
        qimage.setColorTable(self._table)
        qimage.setDevicePixelRatio(ratio)
        p.save()
        p.resetTransform()
        p.drawImage(device_rect.topLeft(), qimage)
        p.restore()


class LabelLayer(pg.GraphicsObject):
    """Many text labels painted by one item, each on a translucent plate so it reads over dense points.

    One item painting cached QStaticText is far cheaper per frame than one
    pyqtgraph TextItem per label (300 TextItems cost ~0.25 s a repaint).
    It lives in the view box's pixel space, so labels keep their size at any zoom.
    """

    def __init__(self, view_box: pg.ViewBox) -> None:
        super().__init__()
        self._vb = view_box
        self.setParentItem(view_box)
        self.setZValue(30)
        self._xy = np.zeros((0, 2), np.float32)
        self._texts: list[str] = []
        self._colours: list[QColor] = []
        self._font = QFont()
        self._plate = QColor(255, 255, 255, 185)
        self._cache: dict[str, QStaticText] = {}
        view_box.sigTransformChanged.connect(self._view_changed)
        view_box.sigResized.connect(self._resized)

    def _view_changed(self, *args) -> None:
        self.update()

    def _resized(self, *args) -> None:
        self.prepareGeometryChange()
        self.update()

    def set_labels(self, xy: np.ndarray, texts: list[str], colours: list[QColor], font: QFont,
                   plate: QColor) -> None:
        if font != self._font:
            self._cache.clear()
        self._xy, self._texts, self._colours, self._font, self._plate = xy, texts, colours, font, plate
        self.update()

    def texts(self) -> list[str]:
        return list(self._texts)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt API
        return self._vb.boundingRect()

    def paint(self, p: QPainter, *args) -> None:
        if not self._texts:
            return
        tr = self._vb.childTransform()
        metrics = QFontMetricsF(self._font)
        height = metrics.height()
        gap = 0.45 * height
        p.setFont(self._font)
        p.setPen(Qt.PenStyle.NoPen)
        for (x, y), text, colour in zip(self._xy, self._texts, self._colours):
            static = self._cache.get(text)
            if static is None:
                static = QStaticText(text)
                static.setTextFormat(Qt.TextFormat.PlainText)
                static.prepare(QTransform(), self._font)
                self._cache[text] = static
            at = tr.map(QPointF(float(x), float(y)))
            width = static.size().width()
            left, top = at.x() + gap, at.y() - height / 2
            p.fillRect(QRectF(left - 2, top, width + 4, height), self._plate)
            p.setPen(colour)
            p.drawStaticText(QPointF(left, top), static)


class _RotatingViewBox(pg.ViewBox):
    """A view box that reports left-drags (for 3-D rotation) and clicks to its owner."""

    def __init__(self, owner: "ScatterView") -> None:
        super().__init__()
        self._owner = owner
        self.rotating = False

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 - pyqtgraph API
        if self.rotating and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            delta = ev.screenPos() - ev.lastScreenPos()
            self._owner.rotate_by(delta.x(), delta.y())
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev):  # noqa: N802 - pyqtgraph API
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self._owner.click_at(self.mapSceneToView(ev.scenePos()))
            return
        super().mouseClickEvent(ev)


def rotation(yaw: float, pitch: float) -> np.ndarray:
    """A 3x3 rotation: `yaw` about the vertical axis, then `pitch` about the horizontal one (radians)."""
    cy, sy, cp, sp = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch)
    about_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    about_x = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    return about_x @ about_y


class ScatterView(QWidget):
    """Points with colour groups and a legend, labels, regex search / filter, click to select, 2-D or 3-D."""

    point_clicked = Signal(int)  # index of the clicked point, -1 for empty space
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None, show_controls: bool = True,
                 empty_text: str = "Nothing to show yet") -> None:
        super().__init__(parent)
        self._font_scale = 1.0
        self._dark = False
        self._coords = np.zeros((0, 2), np.float32)  # as given (2 or 3 columns)
        self._xy = np.zeros((0, 2), np.float32)  # as drawn
        self._depth: np.ndarray | None = None  # 3-D: distance towards the viewer, per point
        self._labels: list[str] = []
        self._codes = np.zeros(0, np.int32)
        self._group_names: list[str] = []
        self._symbols: np.ndarray | None = None
        self._sizes: np.ndarray | None = None
        self._images: list = []
        self._match: np.ndarray | None = None  # bool per point, None without a search
        self._highlight: list[int] = []
        self._selected = -1
        self._yaw, self._pitch = 0.6, 0.35
        self._centre = np.zeros(3, np.float32)
        self._scale3 = 1.0
        self._label_pt = 11
        self._point_px = 10
        self._axis_titles: list[str] = []
        self._overlays: list = []
        self._aspect_locked: bool | None = False
        self._legend_wanted = True
        self._arrows: list[tuple] = []
        self._image_items: list[QGraphicsPixmapItem] = []
        self._gizmo: list = []

        self.view_box = _RotatingViewBox(self)
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box, axisItems=readable_axes())
        self.plot_widget.setBackground("w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.small = pg.ScatterPlotItem(pxMode=True)
        self.raster = RasterScatter()
        self.marks = pg.ScatterPlotItem(pxMode=True)  # selected / highlighted points, on top
        self.marks.setZValue(20)
        self.small.setZValue(8)  # points above arrows and lines
        self.raster.setZValue(8)
        for item in (self.small, self.raster, self.marks):
            self.plot.addItem(item)
        self.label_layer = LabelLayer(self.view_box)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="11pt", frame=True)
        self.legend.setParentItem(self.view_box)
        self.legend.anchor((1, 0), (1, 0), offset=(-10, 10))
        self.legend.setVisible(False)
        self.empty = pg.TextItem(empty_text, anchor=(0.5, 0.5), color="#777777")
        self.plot.addItem(self.empty, ignoreBounds=True)
        # zoomed or panned away from every point: say so over the empty plot and offer the way back
        self.away = QLabel("No points in this part of the map. <a href='reset'>Reset view</a> shows them all.",
                           self.plot_widget)
        self.away.setTextFormat(Qt.TextFormat.RichText)
        self.away.linkActivated.connect(lambda _link: self.reset_view())
        self.away.hide()

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search labels (regular expression)")
        self.search.setClearButtonEnabled(True)
        self.filter_box = QCheckBox("Only matches")
        self.match_label = QLabel("")
        self.label_size = QSpinBox()
        self.label_size.setRange(6, 48)
        self.label_size.setValue(self._label_pt)
        self.label_size.setSuffix(" pt labels")
        self.point_size = QSpinBox()
        self.point_size.setRange(1, 40)
        self.point_size.setValue(self._point_px)
        self.point_size.setSuffix(" px points")
        self.reset_button = QPushButton("Reset view")
        self.hint = QLabel("")
        self.hint.setStyleSheet("color: #666;")
        # the hint and the match count may be cut short, never widen the window
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.match_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.addWidget(self.search, 3)
        controls.addWidget(self.filter_box)
        controls.addWidget(self.match_label, 2)
        self.controls = QWidget()
        self.controls.setLayout(controls)
        self.controls.setVisible(show_controls)
        self.search.setMinimumWidth(160)
        footer = QHBoxLayout()
        footer.setContentsMargins(0, 0, 0, 0)
        footer.addWidget(self.hint, 1)
        footer.addWidget(self.label_size)
        footer.addWidget(self.point_size)
        footer.addWidget(self.reset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.controls)
        layout.addWidget(self.plot_widget, 1)
        layout.addLayout(footer)

        self._search_timer = QTimer(self, singleShot=True, interval=250)
        self._search_timer.timeout.connect(self._apply_search)
        self.search.textChanged.connect(self._search_timer.start)
        self.filter_box.toggled.connect(self._redraw)
        self.label_size.valueChanged.connect(self.set_label_size)
        self.point_size.valueChanged.connect(self.set_point_size)
        self.reset_button.clicked.connect(self.reset_view)
        self.view_box.sigRangeChanged.connect(self._update_arrows)
        self._away_timer = QTimer(self, singleShot=True, interval=100)  # not on every frame of a drag
        self._away_timer.timeout.connect(self._check_away)
        self.view_box.sigRangeChanged.connect(self._away_timer.start)
        self.view_box.sigResized.connect(self._away_timer.start)
        # the view moves only when asked (reset_view): new colours or labels must not re-fit it
        self.view_box.disableAutoRange()
        # a fitted view stays fitted while the layout settles (axes widen, panels resize), until the
        # user pans or zooms
        self._fitted = False
        self.view_box.sigResized.connect(self._refit)
        self.view_box.sigRangeChangedManually.connect(self._user_moved)
        self.apply_view_settings(1.0, False)

    # --- data ---
    @property
    def n_points(self) -> int:
        return int(self._coords.shape[0])

    @property
    def is_3d(self) -> bool:
        return self._coords.shape[1] == 3

    def coords(self) -> np.ndarray:
        return self._coords

    def labels(self) -> list[str]:
        return list(self._labels)

    def set_points(self, coords: np.ndarray, labels: Sequence[str] | None = None,
                   groups: Sequence | np.ndarray | None = None, *, group_names: Sequence[str] | None = None,
                   images: Sequence | None = None, symbols: Sequence[str] | None = None,
                   sizes: Sequence[float] | None = None, axis_titles: Sequence[str] | None = None,
                   keep_view: bool = False) -> None:
        """Show new points: coords [n, 2] or [n, 3]; labels, groups (ints or strings) and images per point.

        `symbols` (pyqtgraph names: "o", "s", "t", "star", ...) and `sizes` (a factor on the point
        size) apply per point up to SMALL_LIMIT points; bigger sets are drawn as dots.
        """
        coords = np.asarray(coords, dtype=np.float32)
        if coords.ndim != 2 or coords.shape[1] not in (2, 3):
            raise ValueError(f"coordinates must be [n, 2] or [n, 3], not {coords.shape}")
        n = coords.shape[0]
        self._labels = [str(s) for s in labels] if labels is not None else [str(i + 1) for i in range(n)]
        if len(self._labels) != n:
            raise ValueError(f"{len(self._labels)} labels for {n} points")
        self._codes, self._group_names = group_codes(groups, n, group_names)
        self._symbols = np.asarray(symbols, dtype=object) if symbols is not None else None
        self._sizes = np.asarray(sizes, dtype=float) if sizes is not None else None
        self._images = list(images) if images is not None else []
        self._axis_titles = list(axis_titles or [])
        self._highlight = []
        self._selected = -1
        self._set_coords(coords)
        self._apply_search(redraw=False)
        self._rebuild_images()
        self._redraw()
        self._update_legend()
        self._update_axes()
        if not keep_view:
            self.reset_view()

    def update_coords(self, coords: np.ndarray, keep_view: bool = False) -> None:
        """The same points at new positions (t-SNE iterations): labels, colours and search stay."""
        coords = np.asarray(coords, dtype=np.float32)
        if coords.shape[0] != self.n_points:
            self.set_points(coords, keep_view=keep_view)
            return
        self._set_coords(coords)
        self._redraw()
        if not keep_view:
            self.reset_view()

    def set_groups(self, groups: Sequence | np.ndarray | None, group_names: Sequence[str] | None = None) -> None:
        self._codes, self._group_names = group_codes(groups, self.n_points, group_names)
        self._redraw()
        self._update_legend()

    def clear(self, message: str | None = None) -> None:
        self.set_points(np.zeros((0, 2), np.float32))
        self.clear_overlays()
        if message is not None:
            self.empty.setText(message)

    def set_empty_text(self, text: str) -> None:
        self.empty.setText(text)

    def _set_coords(self, coords: np.ndarray) -> None:
        self._coords = coords
        if coords.shape[1] == 3 and coords.shape[0]:
            self._centre = coords.mean(axis=0)
            spread = float(np.abs(coords - self._centre).max())
            self._scale3 = 1.0 / spread if spread > 0 else 1.0
        self._project()

    def _project(self) -> None:
        if self._coords.shape[1] == 3:
            rotated = ((self._coords - self._centre) * self._scale3) @ rotation(self._yaw, self._pitch).T
            self._xy = np.ascontiguousarray(rotated[:, :2], dtype=np.float32)
            self._depth = rotated[:, 2]
        else:
            self._xy = self._coords
            self._depth = None
        self.view_box.rotating = self._coords.shape[1] == 3

    # --- 3-D ---
    def rotate_by(self, dx_px: float, dy_px: float) -> None:
        if not self.is_3d:
            return
        self._yaw += dx_px * 0.01
        self._pitch = max(-1.5, min(1.5, self._pitch + dy_px * 0.01))
        self._project()
        self._redraw()

    def set_rotation(self, yaw: float, pitch: float) -> None:
        self._yaw, self._pitch = yaw, pitch
        self._project()
        self._redraw()

    def rotation_angles(self) -> tuple[float, float]:
        return self._yaw, self._pitch

    # --- selection and search ---
    def click_at(self, pos: QPointF) -> None:
        index = self.nearest_point(pos.x(), pos.y())
        self.select(index)
        self.point_clicked.emit(index)

    def nearest_point(self, x: float, y: float, max_px: float = 14.0) -> int:
        """The visible point nearest to view position (x, y) within `max_px` screen pixels, or -1."""
        if not self.n_points:
            return -1
        px_w, px_h = self.view_box.viewPixelSize()
        px_w, px_h = px_w or 1.0, px_h or 1.0
        d2 = ((self._xy[:, 0] - x) / px_w) ** 2 + ((self._xy[:, 1] - y) / px_h) ** 2
        visible = self._visible_mask()
        if visible is not None:
            d2 = np.where(visible, d2, np.inf)
        best = int(np.argmin(d2))
        return best if d2[best] <= max_px ** 2 else -1

    def select(self, index: int) -> None:
        self._selected = index if 0 <= index < self.n_points else -1
        self._redraw_marks()
        self._update_labels()

    def selected(self) -> int:
        return self._selected

    def set_highlight(self, indices: Sequence[int]) -> None:
        """Ring and label these points (for example a selection's neighbours)."""
        self._highlight = [int(i) for i in indices if 0 <= int(i) < self.n_points]
        self._redraw_marks()
        self._update_labels()

    def set_search(self, pattern: str, only_matches: bool | None = None) -> None:
        if only_matches is not None:
            self.filter_box.setChecked(only_matches)
        self.search.setText(pattern)
        self._apply_search()

    def matches(self) -> np.ndarray | None:
        return self._match

    def _apply_search(self, redraw: bool = True) -> None:
        self._search_timer.stop()
        pattern = self.search.text().strip()
        self._match = None
        self.search.setStyleSheet("")
        if pattern:
            try:
                regex = re.compile(pattern, re.IGNORECASE)
            except re.error as exc:
                self.search.setStyleSheet("color: #c62828;")
                self.match_label.setText(f"Invalid pattern: {exc.msg}")
                if redraw:
                    self._redraw()
                return
            self._match = np.fromiter((regex.search(s) is not None for s in self._labels), bool, len(self._labels))
            count = int(self._match.sum())
            self.match_label.setText(f"{count:,} of {self.n_points:,} match")
        else:
            self.match_label.setText(f"{self.n_points:,} points" if self.n_points else "")
        self.search_changed.emit(pattern)
        if redraw:
            self._redraw()

    def _visible_mask(self) -> np.ndarray | None:
        if self._match is not None and self.filter_box.isChecked():
            return self._match
        return None

    # --- appearance ---
    def set_label_size(self, points: int) -> None:
        self._label_pt = int(points)
        if self.label_size.value() != points:
            self.label_size.setValue(points)
        self._update_labels()
        self._style_arrow_labels()

    def set_point_size(self, pixels: int) -> None:
        self._point_px = int(pixels)
        if self.point_size.value() != pixels:
            self.point_size.setValue(pixels)
        self._redraw()

    def label_size_pt(self) -> int:
        return self._label_pt

    def point_size_px(self) -> int:
        return self._point_px

    def _refit(self, *args) -> None:
        if self._fitted:
            self.reset_view()

    def _user_moved(self, *args) -> None:
        self._fitted = False

    def reset_view(self) -> None:
        """Fit all points, with room on the right for the labels of the right-most ones."""
        self._fitted = True
        if not self.n_points:
            self.view_box.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
            return
        if self.is_3d:
            # the cloud is scaled into the unit ball: a fixed frame keeps it still while it turns
            self.view_box.setRange(xRange=(-1.15, 1.15), yRange=(-1.15, 1.15), padding=0)
            self._update_arrows()
            return
        self.view_box.autoRange(padding=0.08)
        labelled = self.labelled_indices()
        width_px = float(self.view_box.width())
        if labelled and width_px > 100:
            font = QFont()
            font.setPointSizeF(self._label_pt * self._font_scale)
            metrics = QFontMetricsF(font)
            (x0, x1), _ = self.view_box.viewRange()
            span = (x1 - x0) or 1.0
            right = max((float(self._xy[i, 0]) - x0) / span * width_px + 0.45 * metrics.height()
                        + metrics.horizontalAdvance(self._labels[i]) + 8 for i in labelled)
            need = min(right - width_px, 0.6 * width_px)
            if need > 0:
                self.view_box.setXRange(x0, x1 + need * span / (width_px - need), padding=0)
        self._update_arrows()

    def is_away(self) -> bool:
        """True when there are points but none lies inside the shown range."""
        if not self.n_points:
            return False
        (x0, x1), (y0, y1) = self.view_box.viewRange()
        x, y = self._xy[:, 0], self._xy[:, 1]
        return not bool(np.any((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)))

    def _check_away(self) -> None:
        away = self.is_away()
        if away:
            self.away.adjustSize()
            area = self.plot_widget.size()
            self.away.move(max(0, (area.width() - self.away.width()) // 2),
                           max(0, (area.height() - self.away.height()) // 2))
            self.away.raise_()
        self.away.setVisible(away)

    def set_legend_visible(self, visible: bool) -> None:
        """Hide the legend where the labels already say what each colour is."""
        self._legend_wanted = visible
        self._update_legend()

    def set_legend_corner(self, corner: str) -> None:
        """Where the legend sits inside the plot: "top-right", "top-left", "bottom-right" or "bottom-left"."""
        x = 0 if corner.endswith("left") else 1
        y = 0 if corner.startswith("top") else 1
        self.legend.anchor((x, y), (x, y), offset=(10 if x == 0 else -10, 10 if y == 0 else -10))

    def set_aspect_locked(self, locked: bool) -> None:
        """Equal scales on both axes (distances and angles true to the data)."""
        self._aspect_locked = locked
        self.view_box.setAspectLocked(locked or self.is_3d)

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._font_scale = font_scale
        self._dark = dark
        fg = QColor("#e8e8e8") if dark else QColor("#202020")
        self.plot_widget.setBackground("#1e1e1e" if dark else "w")
        font = QFont()
        font.setPointSizeF(11 * font_scale)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.enableAutoSIPrefix(False)
            # labelled major ticks only: minor tick levels cost a third of a 400k-point frame
            axis.setStyle(maxTickLevel=0)
            axis.setTickFont(font)
            axis.setPen(pg.mkPen(fg, width=max(1.0, font_scale)))
            axis.setTextPen(pg.mkPen(fg))
        self.legend.setLabelTextSize(f"{int(round(11 * font_scale))}pt")
        self.legend.setLabelTextColor(fg)
        self.legend.setBrush(pg.mkBrush(30, 30, 30, 200) if dark else pg.mkBrush(255, 255, 255, 220))
        self.empty.setColor("#aaaaaa" if dark else "#777777")
        self.away.setStyleSheet(
            "QLabel { padding: 8px; border-radius: 4px; "
            + ("background: rgba(40, 40, 40, 235); color: #e8e8e8; border: 1px solid #666; }" if dark else
               "background: rgba(255, 255, 255, 235); color: #202020; border: 1px solid #bbb; }"))
        empty_font = QFont()
        empty_font.setPointSizeF(14 * font_scale)
        self.empty.setFont(empty_font)
        self._update_axes()
        self._update_legend()
        self._style_arrow_labels()
        self._redraw()

    # --- overlays (arrows, extra items) ---
    def add_arrow(self, start: Sequence[float], end: Sequence[float], colour: str = "#d62728",
                  text: str | None = None, dashed: bool = False, width: float = 3.0) -> None:
        """A vector from `start` to `end` in the view's coordinates, with an arrow head and a label."""
        pen = pg.mkPen(colour, width=width * self._font_scale,
                       style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        line = pg.PlotDataItem([start[0], end[0]], [start[1], end[1]], pen=pen)
        head = pg.ArrowItem(pos=(end[0], end[1]), headLen=16 * self._font_scale, tailLen=0,
                            brush=pg.mkBrush(colour), pen=pg.mkPen(colour))
        line.setZValue(5)
        head.setZValue(6)
        self.plot.addItem(line)
        self.plot.addItem(head)
        self._overlays += [line, head]
        label = None
        if text:
            label = pg.TextItem(text, color=colour, anchor=(0.5, 1.15))
            label.setPos((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
            label.setZValue(7)
            self.plot.addItem(label)
            self._overlays.append(label)
        self._arrows.append((np.asarray(start, float), np.asarray(end, float), head, label))
        self._style_arrow_labels()
        self._update_arrows()

    def _style_arrow_labels(self) -> None:
        """Arrow labels at the current font scale, on a plate of the current theme (so a line that
        crosses a label cannot turn its "−" into a "+")."""
        font = QFont()
        font.setPointSizeF(self._label_pt * self._font_scale)
        font.setBold(True)
        plate = pg.mkBrush(QColor(30, 30, 30, 210) if self._dark else QColor(255, 255, 255, 210))
        for *_, label in self._arrows:
            if label is not None:
                label.setFont(font)
                label.fill = plate
                label.update()

    def add_item(self, item, ignore_bounds: bool = False) -> None:
        """Any pyqtgraph item on top of the points; removed by `clear_overlays`."""
        self.plot.addItem(item, ignoreBounds=ignore_bounds)
        self._overlays.append(item)

    def clear_overlays(self) -> None:
        for item in self._overlays:
            self.plot.removeItem(item)
        self._overlays = []
        self._arrows = []

    def _update_arrows(self, *args) -> None:
        for start, end, head, label in self._arrows:
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

    # --- drawing ---
    def _colours(self) -> list[QColor]:
        names = self._group_names
        if not names:
            return [QColor(SINGLE_COLOUR)]
        colours = [QColor(PALETTE[i % len(PALETTE)]) for i in range(len(names))]
        if names[-1].startswith("other ("):
            colours[-1] = QColor(OTHER_COLOUR)
        return colours

    def _redraw(self) -> None:
        n = self.n_points
        self.empty.setVisible(n == 0)
        visible = self._visible_mask()
        colours = self._colours()
        dim = DIM_DARK if self._dark else DIM_LIGHT
        searching = self._match is not None
        if n > SMALL_LIMIT:
            self.small.setData([], [])
            self.small.setVisible(False)
            self.raster.setVisible(True)
            # codes: 1 = dimmed (search misses), 2.. = groups, last = search matches on top
            codes = (self._codes + 2).astype(np.int32)
            table = [dim] + colours + [QColor(MATCH_COLOUR)]
            if searching:
                codes = np.where(self._match, len(colours) + 2, 1) if len(colours) == 1 else \
                    np.where(self._match, codes, 1)
            keep = visible if visible is not None else slice(None)
            radius = max(0, (self._point_px - 1) // 4)  # 3 x 3 pixels at 5-8 px
            self.raster.set_data(self._xy[keep], codes[keep].astype(np.uint8), table, radius)
        else:
            self.raster.set_data(np.zeros((0, 2), np.float32), np.zeros(0, np.uint8), [], 0)
            self.raster.setVisible(False)
            self.small.setVisible(True)
            if n:
                self._draw_small(colours, dim, visible)
            else:
                self.small.setData([], [])
        self._redraw_marks()
        self._update_labels()
        self._update_gizmo()

    def _draw_small(self, colours: list[QColor], dim: QColor, visible: np.ndarray | None) -> None:
        brushes = [pg.mkBrush(c) for c in colours]
        dim_brush = pg.mkBrush(dim)
        match = self._match
        brush = np.array([brushes[c] if match is None or match[i] else dim_brush
                          for i, c in enumerate(self._codes)], dtype=object)
        size = np.full(self.n_points, float(self._point_px) * self._font_scale)
        if self._sizes is not None and len(self._sizes) == self.n_points:
            size = size * self._sizes
        if self._depth is not None and self.n_points > 1:
            # nearer points are bigger: a depth cue for the rotating 3-D view
            span = float(np.ptp(self._depth)) or 1.0
            size = size * (0.6 + 0.8 * (self._depth - self._depth.min()) / span)
        outline = pg.mkPen("#1e1e1e" if self._dark else "w", width=1) if self.n_points <= 2000 else None
        index = np.arange(self.n_points)
        if visible is not None:
            index = index[visible]
        if self._depth is not None:
            index = index[np.argsort(self._depth[index])]  # far points first, near ones on top
        symbols = self._symbols[index] if self._symbols is not None else "o"
        self.small.setData(x=self._xy[index, 0], y=self._xy[index, 1], brush=brush[index], size=size[index],
                           pen=outline, symbol=symbols, data=index)

    def _redraw_marks(self) -> None:
        """Rings for the selection and its highlights; in big clouds also a visible dot per search match."""
        rings = ([self._selected] if self._selected >= 0 else []) + \
            [i for i in self._highlight if i != self._selected]
        dots: list[int] = []
        if self.n_points > SMALL_LIMIT and self._match is not None and int(self._match.sum()) <= LABEL_LIMIT:
            # a one-pixel dot among 400k would vanish: draw matches as proper markers
            ringed = set(rings)
            dots = [int(i) for i in np.flatnonzero(self._match) if i not in ringed]
        if not rings and not dots:
            self.marks.setData([], [])
            return
        ring = QColor("#ffffff") if self._dark else QColor("#111111")
        edge = pg.mkPen("#1e1e1e" if self._dark else "#ffffff", width=1.5)
        match_brush = pg.mkBrush(MATCH_COLOUR)
        scale = self._font_scale
        base = max(self._point_px, 6)
        spots = [{"pos": (float(self._xy[i, 0]), float(self._xy[i, 1])), "size": (base + 2) * scale,
                  "pen": edge, "brush": match_brush} for i in dots]
        for i in rings:
            selected = i == self._selected
            spots.append({"pos": (float(self._xy[i, 0]), float(self._xy[i, 1])),
                          "size": (base + (10 if selected else 6)) * scale,
                          "pen": pg.mkPen(MATCH_COLOUR if selected else ring, width=2.5 * scale), "brush": None})
        self.marks.setData(spots=spots, symbol="o")

    def labelled_indices(self) -> list[int]:
        """Which points carry a text label now."""
        n = self.n_points
        if not n:
            return []
        visible = self._visible_mask()
        chosen: list[int] = []
        if n <= LABEL_LIMIT and not self._images:
            chosen = list(np.flatnonzero(visible)) if visible is not None else list(range(n))
        elif self._match is not None and int(self._match.sum()) <= LABEL_LIMIT:
            chosen = list(np.flatnonzero(self._match))
        # the selection last, so that its label is painted on top
        extra = [i for i in self._highlight if i != self._selected]
        if self._selected >= 0:
            extra.append(self._selected)
        skip = set(extra)
        chosen = [i for i in chosen if i not in skip][:LABEL_LIMIT] + extra
        return [int(i) for i in chosen]

    def _update_labels(self) -> None:
        wanted = self.labelled_indices()
        font = QFont()
        font.setPointSizeF(self._label_pt * self._font_scale)
        fg = QColor("#f0f0f0") if self._dark else QColor("#111111")
        plate = QColor(30, 30, 30, 185) if self._dark else QColor(255, 255, 255, 185)
        colours = [QColor(MATCH_COLOUR) if i == self._selected else fg for i in wanted]
        xy = self._xy[wanted] if wanted else np.zeros((0, 2), np.float32)
        self.label_layer.set_labels(xy, [self._labels[i] for i in wanted], colours, font, plate)

    def _rebuild_images(self) -> None:
        for item in self._image_items:
            self.plot.removeItem(item)
        self._image_items = []
        for i, image in enumerate(self._images[:2000]):
            if image is None:
                continue
            pixmap = _to_pixmap(image, int(64 * self._font_scale))
            item = QGraphicsPixmapItem(pixmap)
            item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
            item.setOffset(-pixmap.width() / 2, -pixmap.height() / 2)
            item.setZValue(10)
            item.setData(0, i)
            self.plot.addItem(item, ignoreBounds=True)
            self._image_items.append(item)
        self._place_images()

    def _place_images(self) -> None:
        for item in self._image_items:
            i = item.data(0)
            if i < self.n_points:
                item.setPos(float(self._xy[i, 0]), float(self._xy[i, 1]))

    def _update_axes(self) -> None:
        fg = "#e8e8e8" if self._dark else "#202020"
        css = {"font-size": f"{int(round(12 * self._font_scale))}pt", "color": fg}
        show_axes = not self.is_3d
        for name, index in (("bottom", 0), ("left", 1)):
            title = self._axis_titles[index] if index < len(self._axis_titles) else ""
            self.plot.setLabel(name, title, **css)  # (this shows the axis again)
            self.plot.showAxis(name, show_axes)
        if self.is_3d:
            # a rotating cloud needs equal scales on screen
            self.view_box.setAspectLocked(True)
        elif self._aspect_locked is not None:
            self.view_box.setAspectLocked(self._aspect_locked)
        self.hint.setText("3-D: drag to turn · scroll to zoom · click a point"
                          if self.is_3d else "Scroll to zoom · drag to pan · click a point")

    def _update_legend(self) -> None:
        self.legend.clear()
        names = self._group_names
        self.legend.setVisible(len(names) > 1 and self._legend_wanted)
        if len(names) <= 1 or not self._legend_wanted:
            return
        size = 12 * self._font_scale
        for name, colour in zip(names, self._colours()):
            sample = pg.ScatterPlotItem(symbol="o", size=size, brush=pg.mkBrush(colour), pen=None)
            self.legend.addItem(sample, name)

    def _update_gizmo(self) -> None:
        """Three labelled axis lines that turn with the 3-D view."""
        for item in self._gizmo:
            self.plot.removeItem(item)
        self._gizmo = []
        self._place_images()
        if not self.is_3d or not self.n_points:
            return
        rot = rotation(self._yaw, self._pitch)
        colours = ["#d62728", "#2ca02c", "#1f77b4"]
        font = QFont()
        font.setPointSizeF(11 * self._font_scale)
        for axis in range(3):
            tip = rot[:2, axis] * 1.05
            line = pg.PlotDataItem([0, tip[0]], [0, tip[1]], pen=pg.mkPen(colours[axis], width=2 * self._font_scale))
            title = self._axis_titles[axis] if axis < len(self._axis_titles) else f"axis {axis + 1}"
            text = pg.TextItem(title, color=colours[axis], anchor=(0.5, 0.5))
            text.setFont(font)
            text.setPos(float(tip[0]), float(tip[1]))
            for item in (line, text):
                item.setZValue(2)
                self.plot.addItem(item, ignoreBounds=True)
                self._gizmo.append(item)

    # --- export ---
    def export_data(self) -> dict:
        """The shown projection as a table: one row per point (x, y[, z]) labelled."""
        if not self.n_points:
            return {}
        columns = ["x", "y", "z"][: self._coords.shape[1]]
        data = {"projection": self._coords, "__rows__": list(self._labels), "__columns__": columns}
        if self._group_names:
            data["groups"] = [[label, self._group_names[c]] for label, c in zip(self._labels, self._codes)]
        return data

    def drawn_count(self) -> int:
        """Points handed to the drawing items (all points unless filtered by a search)."""
        visible = self._visible_mask()
        return int(visible.sum()) if visible is not None else self.n_points


def _to_pixmap(image, size: int) -> QPixmap:
    if isinstance(image, QPixmap):
        pixmap = image
    elif isinstance(image, QImage):
        pixmap = QPixmap.fromImage(image)
    else:
        array = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        if array.ndim == 2:
            array = np.ascontiguousarray(np.stack([array] * 3, axis=-1))
        h, w = array.shape[:2]
        fmt = QImage.Format.Format_RGBA8888 if array.shape[2] == 4 else QImage.Format.Format_RGB888
        qimage = QImage(array.data, w, h, array.strides[0], fmt).copy()
        pixmap = QPixmap.fromImage(qimage)
    return pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
