"""The drawing pieces of the scatter view: colour codes, a numpy rasterizer for big clouds, the raster and
label items, and the view box that turns 3-D clouds (explorer/ui/widgets/scatter.py puts them together)."""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPixmap, QStaticText, QTransform

if TYPE_CHECKING:
    from explorer.ui.widgets.scatter import ScatterView

LEGEND_LIMIT = 16  # groups beyond this share one grey "other" colour
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
           "#f7b6d2", "#9edae5", "#dbdb8d", "#393b79"]
OTHER_COLOUR = "#b0b0b0"
SINGLE_COLOUR = "#1f77b4"


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


def match_labels(pattern: str, labels: Sequence[str]) -> np.ndarray:
    """Which labels the regular expression finds (case-insensitive), a bool per label; raises re.error."""
    regex = re.compile(pattern, re.IGNORECASE)
    return np.fromiter((regex.search(s) is not None for s in labels), bool, len(labels))


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


class RotatingViewBox(pg.ViewBox):
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


def group_colours(names: Sequence[str]) -> list[QColor]:
    """One colour per group name (the palette in order; the shared "other (...)" group in grey)."""
    if not names:
        return [QColor(SINGLE_COLOUR)]
    colours = [QColor(PALETTE[i % len(PALETTE)]) for i in range(len(names))]
    if names[-1].startswith("other ("):
        colours[-1] = QColor(OTHER_COLOUR)
    return colours


def to_pixmap(image, size: int) -> QPixmap:
    """A thumbnail `size` pixels square at most, from a QPixmap, a QImage or an RGB(A) / grey array."""
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
