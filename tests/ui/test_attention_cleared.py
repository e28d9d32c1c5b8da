"""The attention pane with nothing to run: the previous model's maps go, only the message stays."""
from __future__ import annotations

from PySide6.QtCore import Qt

from explorer.ui.attention.pane import AttentionPane

TIMEOUT = 180_000


def test_clearing_the_model_box_clears_the_previous_heatmap(qtbot, engine):
    pane = AttentionPane(engine)
    qtbot.addWidget(pane)
    pane.resize(1200, 800)
    pane.show()
    try:
        pane.set_model_id("minilm")
        pane.set_text("The cat sat on the mat.")
        pane.recompute()
        qtbot.waitUntil(lambda: pane.analysis is not None and not pane.is_busy() and engine.is_idle(),
                        timeout=TIMEOUT)
        assert pane.tabs.isVisible() and pane.heads_view.isVisible()
        # the user empties the model box and presses Enter
        pane.model_box.lineEdit().clear()
        qtbot.keyClick(pane.model_box.lineEdit(), Qt.Key.Key_Return)
        assert pane.message.isVisible() and pane.message.text() == "Choose a model."
        assert not pane.tabs.isVisible(), "the previous model's heatmap is still shown under the message"
        assert pane.analysis is None
        # choosing a model again brings the maps back
        pane.set_model_id("minilm")
        pane.recompute()
        qtbot.waitUntil(lambda: pane.analysis is not None, timeout=TIMEOUT)
        assert pane.tabs.isVisible() and not pane.message.isVisible()
    finally:
        engine.cancel()
