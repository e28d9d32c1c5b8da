"""A projection view for point clouds from ten points to 400,000: colours, legend, labels, search, 3-D.

    view = ScatterView()
    view.set_points(coords, labels, groups=cluster_ids, group_names=["cluster 1", ...],
                    axis_titles=["PCA 1", "PCA 2"])
    view.point_clicked.connect(show_neighbours)      # index into the points, -1 for empty space
    view.update_coords(new_coords)                   # same points, new places (live t-SNE)
    view.set_highlight([3, 17, 42])                  # ringed and labelled (e.g. neighbours)
    view.add_arrow((0, 0), (1, 1), "#d62728", "man → woman")
    view.set_points(coords, labels, images=[qimage, None, ...])   # thumbnails at points

This module holds the widget: its state (points, groups, search, selection,
3-D rotation), its controls and the view range. What it draws lives in
scatter_layers.py (points, marks, labels, legend, arrows) and
scatter_items.py (a numpy rasterizer for big clouds, the label item).
Up to SMALL_LIMIT points are drawn as antialiased circles; above that the
raster item draws every point into one image per frame: a 400k-point
repaint costs a few tens of milliseconds, and nothing is sampled.

3-D coordinates are shown without OpenGL: the widget rotates the points and
draws their 2-D projection; drag with the left mouse button to turn them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (QCheckBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QSpinBox,
                               QVBoxLayout, QWidget)

from explorer.ui.widgets.plot_axis import readable_axes
from explorer.ui.widgets.scatter_items import RotatingViewBox, group_codes, match_labels, rotation
from explorer.ui.widgets.scatter_layers import ArrowOverlays, PointLayers


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
        self._aspect_locked: bool | None = False
        self._legend_wanted = True

        self.view_box = RotatingViewBox(self)
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box, axisItems=readable_axes())
        self.plot_widget.setBackground("w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.layers = PointLayers(self)
        self.overlays = ArrowOverlays(self.plot, self.view_box)
        self.legend = pg.LegendItem(offset=(-10, 10), labelTextSize="11pt", frame=True)
        self.legend.setParentItem(self.view_box)
        self.legend.setZValue(40)  # above the point labels (LabelLayer, 30), which would cover its entries
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

        self.controls = _search_row(self)  # search, filter_box, match_label
        self.controls.setVisible(show_controls)
        footer = _footer(self)  # hint, label_size, point_size, reset_button
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
        self.view_box.sigRangeChanged.connect(self.overlays.follow_view)
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
        self.layers.rebuild_images()
        self._redraw()
        self.layers.draw_legend()
        self.layers.draw_axes()
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
        self.layers.draw_legend()

    def clear(self, message: str | None = None) -> None:
        self.set_points(np.zeros((0, 2), np.float32))
        self.clear_overlays()
        if message is not None:
            self.empty.setText(message)

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
        self.layers.draw_marks()
        self.layers.draw_labels()

    def selected(self) -> int:
        return self._selected

    def set_highlight(self, indices: Sequence[int]) -> None:
        """Ring and label these points (for example a selection's neighbours)."""
        self._highlight = [int(i) for i in indices if 0 <= int(i) < self.n_points]
        self.layers.draw_marks()
        self.layers.draw_labels()

    def set_search(self, pattern: str, only_matches: bool | None = None) -> None:
        if only_matches is not None:
            self.filter_box.setChecked(only_matches)
        self.search.setText(pattern)
        self._apply_search()

    def _apply_search(self, redraw: bool = True) -> None:
        self._search_timer.stop()
        pattern = self.search.text().strip()
        self._match = None
        self.search.setStyleSheet("")
        if pattern:
            try:
                self._match = match_labels(pattern, self._labels)
            except re.error as exc:
                self.search.setStyleSheet("color: #c62828;")
                self.match_label.setText(f"Invalid pattern: {exc.msg}")
                if redraw:
                    self._redraw()
                return
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
        self.layers.draw_labels()
        self.overlays.style(self._font_scale, self._label_pt, self._dark)

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
            self.overlays.follow_view()
            return
        self.view_box.autoRange(padding=0.08)
        self.layers.make_room_for_labels()
        self.overlays.follow_view()

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
        self.layers.draw_legend()

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
        self.layers.draw_axes()
        self.layers.draw_legend()
        self.overlays.style(self._font_scale, self._label_pt, self._dark)
        self._redraw()

    # --- overlays ---
    def add_arrow(self, start: Sequence[float], end: Sequence[float], colour: str = "#d62728",
                  text: str | None = None, dashed: bool = False, width: float = 3.0) -> None:
        """A vector from `start` to `end` in the view's coordinates, with an arrow head and a label."""
        self.overlays.add(start, end, colour, text, dashed, width)

    def clear_overlays(self) -> None:
        self.overlays.clear()

    # --- drawing (explorer/ui/widgets/scatter_layers.py) ---
    def _redraw(self) -> None:
        self.layers.draw()

    def labelled_indices(self) -> list[int]:
        """Which points carry a text label now."""
        return self.layers.labelled_indices()

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


def _search_row(view: ScatterView) -> QWidget:
    """The row above the plot: a regular-expression search over the labels, "Only matches", the count."""
    view.search = QLineEdit()
    view.search.setPlaceholderText("Search labels (regular expression)")
    view.search.setClearButtonEnabled(True)
    view.search.setMinimumWidth(160)
    view.filter_box = QCheckBox("Only matches")
    view.match_label = QLabel("")
    # the match count may be cut short, never widen the window
    view.match_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(view.search, 3)
    layout.addWidget(view.filter_box)
    layout.addWidget(view.match_label, 2)
    return row


def _footer(view: ScatterView) -> QHBoxLayout:
    """The row below the plot: how to move around, label and point sizes, Reset view."""
    view.label_size = QSpinBox()
    view.label_size.setRange(6, 48)
    view.label_size.setValue(view._label_pt)
    view.label_size.setSuffix(" pt labels")
    view.point_size = QSpinBox()
    view.point_size.setRange(1, 40)
    view.point_size.setValue(view._point_px)
    view.point_size.setSuffix(" px points")
    view.reset_button = QPushButton("Reset view")
    view.hint = QLabel("")
    view.hint.setStyleSheet("color: #666;")
    view.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # cut short, never wider
    footer = QHBoxLayout()
    footer.setContentsMargins(0, 0, 0, 0)
    footer.addWidget(view.hint, 1)
    for widget in (view.label_size, view.point_size, view.reset_button):
        footer.addWidget(widget)
    return footer
