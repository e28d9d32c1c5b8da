"""Readable from the back row at presenter scale 1.5: titles clear of ticks, no cut labels, text that grows.

Each test builds the widget a lecture scene shows, applies the presenter's view settings (font scale 1.5)
and checks the geometry a viewer relies on: these are the defects seen on 1920x1080 screenshots.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from explorer.core.model_anatomy import Dimensions
from explorer.ui.attention.gqa import GQAView
from explorer.ui.attention.heads import SCALES, HeadsView
from explorer.ui.widgets.heatmap import HeatmapView
from explorer.ui.image_text.qformer import QFormerDiagram
from explorer.ui.widgets.scatter import ScatterView

SCALE = 1.5
BASE_PT = 11.0


@pytest.fixture
def presenter_font():
    """The application font of presenter mode (11 pt x 1.5), as the main window sets it."""
    app = QApplication.instance()
    before = QFont(app.font())
    font = QFont(before)
    font.setPointSizeF(BASE_PT * SCALE)
    app.setFont(font)
    yield font
    app.setFont(before)


def _settle(qtbot, widget) -> None:
    # two paints: pyqtgraph measures tick labels while painting and resizes the axis after
    for _ in range(3):
        widget.grab()
        qtbot.wait(20)


def _analogy_scatter(qtbot, dark: bool = False) -> ScatterView:
    view = ScatterView(show_controls=False)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.apply_view_settings(SCALE, dark)
    coords = np.array([[0.0, 0.0], [0.47, 0.0], [0.0, 0.97], [0.47, 0.97], [0.37, 0.74]])
    view.set_points(coords, ["man", "woman", "king", "king − man + woman", "queen"], np.array([0, 0, 0, 2, 1]),
                    group_names=["your words", "nearest results", "the computed point"],
                    axis_titles=["direction man → woman", "direction man → king"])
    view.add_arrow(coords[0], coords[2], "#1f77b4", "king − man")
    view.add_arrow(coords[0], coords[1], "#d62728", "woman − man")
    view.set_aspect_locked(True)
    view.show()
    view.reset_view()
    _settle(qtbot, view)
    return view


@pytest.mark.parametrize("dark", [False, True])
def test_analogy_axis_titles_do_not_touch_the_tick_labels(qtbot, dark):
    view = _analogy_scatter(qtbot, dark)
    left, bottom = view.plot.getAxis("left"), view.plot.getAxis("bottom")
    assert left.textWidth > 20 and bottom.textHeight > 15, "tick labels were measured at presenter size"
    # left: the rotated title's box ends before the right-aligned tick labels begin
    title = left.label.mapRectToItem(left, left.label.boundingRect())
    ticks_start = left.width() - max(0, left.style["tickLength"]) - left.style["tickTextOffset"][0] - left.textWidth
    assert title.right() <= ticks_start, f"left title box ends at {title.right():.0f}, ticks start {ticks_start:.0f}"
    # bottom: the title's box starts below the tick labels
    title = bottom.label.mapRectToItem(bottom, bottom.label.boundingRect())
    ticks_end = max(0, bottom.style["tickLength"]) + bottom.style["tickTextOffset"][1] + bottom.textHeight
    assert title.top() >= ticks_end, f"bottom title box starts at {title.top():.0f}, ticks end {ticks_end:.0f}"


def test_an_arrow_label_sits_beside_its_arrow_not_on_it(qtbot):
    """On the line, "king − man" read "king + man" (the vertical arrow crossed out the minus)."""
    view = _analogy_scatter(qtbot)
    labels = {item.toPlainText(): item for item in view.overlays.items if hasattr(item, "toPlainText")}
    vertical = labels["king − man"]
    line_x = view.view_box.mapViewToScene(QPointF(0.0, 0.5)).x()
    box = vertical.mapRectToScene(vertical.boundingRect())
    assert box.right() < line_x, f"label spans x {box.left():.0f}..{box.right():.0f}, the arrow is at {line_x:.0f}"
    flat = labels["woman − man"]
    line_y = view.view_box.mapViewToScene(QPointF(0.2, 0.0)).y()
    box = flat.mapRectToScene(flat.boundingRect())
    assert box.bottom() < line_y, "a flat arrow's label sits above the arrow"
    assert vertical.textItem.font().pointSizeF() == pytest.approx(11 * SCALE), "arrow labels grow with the scale"
    assert vertical.fill.color().lightness() > 200, "a light plate in the light theme"
    view.apply_view_settings(SCALE, True)
    assert vertical.fill.color().lightness() < 60, "switching to the dark theme darkens the plate too"


def test_heatmap_first_token_label_is_not_cut_at_the_top(qtbot):
    """39 tokens at 1.5x: the rows are thinner than the text; the first token ("Once") lost its top half."""
    tokens = [f"tok{i}" for i in range(39)]
    tokens[0] = "Once"
    view = HeatmapView("attention weight", "query token", "key token")
    qtbot.addWidget(view)
    view.resize(600, 560)
    view.apply_view_settings(SCALE, False)
    view.set_matrix(np.tril(np.ones((39, 39), np.float32)), tokens, tokens, levels=(0, 1))
    view.show()
    _settle(qtbot, view)
    for axis in (view.left_axis, view.bottom_axis):
        bounds = axis.mapRectFromParent(axis.geometry())
        lo, hi = (bounds.top(), bounds.bottom()) if axis.orientation == "left" else (bounds.left(), bounds.right())
        drawn = axis.drawn_labels()
        assert drawn and drawn[0][0] == "Once", f"{axis.orientation}: the first token keeps its label"
        row_px = (hi - lo) / 39
        assert axis._metrics().height() > row_px, "the case under test: rows thinner than the text"
        for text, start, end in drawn:
            assert lo - 0.5 <= start and end <= hi + 0.5, f"{axis.orientation} label '{text}' is cut"
        assert all(b[1] >= a[2] for a, b in zip(drawn, drawn[1:])), "labels never overlap"


def test_qformer_diagram_text_grows_with_the_font_scale(qtbot):
    diagram = QFormerDiagram()
    qtbot.addWidget(diagram)
    diagram.resize(1880, 760)  # its size in the Captions & Q-Former tab on a 1920x1080 projector
    sizes = {}
    for scale in (1.0, SCALE):
        diagram.apply_view_settings(scale, False)
        diagram.grab()
        sizes[scale] = sorted(diagram.painted_points)
    assert len(sizes[SCALE]) >= 15, "every box, caption and task panel text is painted"
    assert np.median(sizes[SCALE]) >= 1.4 * np.median(sizes[1.0])
    # nothing painted smaller than the presenter's base text (11 pt x 1.5) shrunk to fit by at most 30 %
    assert min(sizes[SCALE]) >= 0.7 * BASE_PT * SCALE, f"smallest text {min(sizes[SCALE]):.1f} pt"


def test_gqa_cache_table_shows_every_row_whole(qtbot, presenter_font):
    view = GQAView()
    qtbot.addWidget(view)
    dims = Dimensions(num_layers=30, num_heads=9, num_kv_heads=3, head_dim=64, hidden=576, intermediate=1536,
                      vocab=49152, context=8192, causal=True, norm="RMSNorm", positions="RoPE")
    thumbs = np.random.default_rng(0).random((30, 9, 6, 6)).astype(np.float32)
    view.set_model(dims, "SmolLM2-135M-Instruct", 6, thumbs, 12)
    view.apply_view_settings(SCALE, False)
    view.resize(1900, 560)  # the view's minimum height: the stretching diagram and grid squeezed the table
    view.show()
    _settle(qtbot, view)
    table = view.table
    assert table.rowCount() == 3
    header = table.horizontalHeader().height()
    for row in range(table.rowCount()):
        bottom = header + table.rowViewportPosition(row) + table.rowHeight(row)
        assert bottom <= table.viewport().height() + header, f"row {row} is cut off"
        assert table.rowHeight(row) >= table.fontMetrics().height(), f"row {row} is shorter than its text"


def test_heads_colour_scale_combo_shows_its_whole_text(qtbot, presenter_font):
    view = HeadsView()
    qtbot.addWidget(view)
    view.apply_view_settings(SCALE, False)
    view.resize(1900, 860)
    view.show()
    _settle(qtbot, view)
    combo = view.scale_box
    text = SCALES["max"]
    assert combo.currentText() == text
    assert combo.fontMetrics().horizontalAdvance(text) + 30 <= combo.width(), "the colour-scale choice is elided"


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_checkboxes_stand_out_in_the_presenter_themes(qtbot, theme):
    # the platform's default indicator nearly vanished on the dark theme's black
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QCheckBox

    from explorer.ui.presenter import apply_theme, theme_sheet

    apply_theme(theme)
    try:
        box = QCheckBox("Fade all but the top")
        box.setStyleSheet(theme_sheet(theme))  # as the window styles each pane's scroll area
        qtbot.addWidget(box)
        box.show()
        from PySide6.QtWidgets import QStyle, QStyleOptionButton

        option = QStyleOptionButton()
        box.initStyleOption(option)
        indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        image = box.grab().toImage()
        background = QColor(image.pixel(image.width() - 1, 0))
        contrast = max(abs(QColor(image.pixel(x, y)).lightness() - background.lightness())
                       for x in range(indicator.left(), indicator.right() + 1)
                       for y in range(indicator.top(), indicator.bottom() + 1))
        assert contrast >= 150, f"an unchecked box differs from the background by only {contrast} levels"
    finally:
        apply_theme("normal")
