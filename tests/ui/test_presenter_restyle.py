"""F5 restyles only what is on screen; every other pane takes the presenter's look when it is shown.

(Restyling all panes at once froze the window for seconds: benchmarks/bench_presenter.py times it.)
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from explorer.ui.presenter import theme_sheet


def _tick_pt(pane) -> float:
    """The point size of the Neighbours map's tick labels (a plot font Qt does not scale by itself)."""
    font = pane.neighbours.scatter.plot.getAxis("left").style["tickFont"]
    return font.pointSizeF() if font is not None else 11.0


def _text_pts(pane) -> set[float]:
    """Point sizes of the pane's plain labels and buttons (those that follow the application font)."""
    widgets = [w for kind in (QLabel, QPushButton) for w in pane.findChildren(kind)
               if not w.testAttribute(Qt.WidgetAttribute.WA_SetFont)]
    return {round(w.font().pointSizeF(), 2) for w in widgets}


@pytest.fixture
def two_panes(main_window, qtbot):
    """The embeddings pane built but hidden, the tokenizer lab on screen."""
    window = main_window
    embeddings = window.show_pane("embeddings")
    tokenizers = window.show_pane("tokenizers")
    window.activateWindow()  # keys reach the window's shortcuts (F5, Esc, Ctrl+=) only while it is active
    qtbot.waitUntil(lambda: window.current_pane() is tokenizers and QApplication.activeWindow() is window)
    yield window, embeddings, tokenizers
    window.presenter.exit()  # (closing the window stops its engine's jobs)


def test_f5_restyles_the_visible_pane_at_once_and_a_hidden_one_when_shown(two_panes, qtbot):
    window, embeddings, tokenizers = two_panes
    normal_pt = QApplication.font().pointSizeF()
    sheet = theme_sheet(window.presenter.theme)
    assert sheet and _tick_pt(embeddings) == pytest.approx(11.0)

    qtbot.keyClick(window, Qt.Key.Key_F5)
    QApplication.sendPostedEvents()  # Qt hands the new application font to widgets by posted events
    big_pt = normal_pt * window.presenter.font_scale
    # on screen: the theme and the larger text right away, in the first frame after F5
    assert window._holders["tokenizers"].styleSheet() == sheet
    assert _text_pts(tokenizers) == {round(big_pt, 2)}
    # off screen: not touched yet (this is what keeps F5 fast with every pane open)
    assert window._holders["embeddings"].styleSheet() == ""
    assert _tick_pt(embeddings) == pytest.approx(11.0)

    window.show_pane("embeddings")  # as Page Down to an embeddings scene does
    assert window._holders["embeddings"].styleSheet() == sheet
    assert _tick_pt(embeddings) == pytest.approx(11.0 * window.presenter.font_scale)
    QApplication.sendPostedEvents()
    assert _text_pts(embeddings) == {round(big_pt, 2)}

    qtbot.keyClick(window, Qt.Key.Key_Escape)
    QApplication.sendPostedEvents()
    assert not window.presenter.active
    # leaving restores the pane on screen at once ...
    assert window._holders["embeddings"].styleSheet() == ""
    assert _tick_pt(embeddings) == pytest.approx(11.0)
    assert _text_pts(embeddings) == {round(normal_pt, 2)}
    # ... and the tokenizer lab, shown again, is back to normal too
    window.show_pane("tokenizers")
    assert window._holders["tokenizers"].styleSheet() == ""
    QApplication.sendPostedEvents()
    assert _text_pts(tokenizers) == {round(normal_pt, 2)}
    assert window.font_scale == 1.0 and window.theme == "normal"


def test_zoom_reaches_labels_with_a_style_sheet_of_their_own(two_panes, qtbot):
    """A label with its own colour sheet (an error message) grows with Ctrl+= like every other label."""
    window, embeddings, tokenizers = two_panes
    coloured = [w for w in tokenizers.findChildren(QLabel) if w.styleSheet()]
    assert coloured, "the tokenizer lab has a label with a style sheet of its own"

    def follow_the_application_font() -> bool:
        QApplication.sendPostedEvents()
        pt = QApplication.font().pointSizeF()
        return all(w.font().pointSizeF() == pytest.approx(pt) for w in coloured)

    before = QApplication.font().pointSizeF()
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)  # Ctrl+=, as in browsers
    assert window.font_scale > 1.0 and QApplication.font().pointSizeF() > before
    assert follow_the_application_font()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    qtbot.keyClick(window, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert window.font_scale > window.presenter.font_scale
    assert follow_the_application_font()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert follow_the_application_font()


def test_a_message_box_opened_in_presenter_mode_has_the_high_contrast_style(main_window, qtbot):
    window = main_window
    window.presenter.enter(full_screen=False)
    try:
        box = window.show_message("Title", "Something to read from the back row")
        qtbot.waitUntil(box.isVisible)
        assert box.styleSheet() == theme_sheet(window.presenter.theme)
        box.close()
    finally:
        window.presenter.exit()
