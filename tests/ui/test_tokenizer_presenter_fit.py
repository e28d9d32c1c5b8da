"""Presenter mode on a 1600 x 1000 screen: the tokenizer lab fits across, its right column is not cut."""
from __future__ import annotations

import os

import pytest

from explorer.ui.presenter import DEFAULT_PRESENTER_SCALE, PRESENTER_SCALES
from tests.conftest import wait_for_jobs

SCREEN = (1600, 1000)


@pytest.mark.parametrize("scale", [DEFAULT_PRESENTER_SCALE, 2.0, max(PRESENTER_SCALES)])
def test_the_tokenizer_pane_fits_a_1600_wide_screen_in_presenter_mode(main_window, qtbot, scale):
    assert scale in PRESENTER_SCALES or scale == DEFAULT_PRESENTER_SCALE
    window = main_window
    window.resize(*SCREEN)
    window.presenter.set_font_scale(scale)
    window.presenter.enter(full_screen=False)
    window.resize(*SCREEN)
    try:
        pane = window.show_pane("tokenizers")
        wait_for_jobs(qtbot, window.engine)
        qtbot.wait(200)
        holder = window._holders["tokenizers"]
        if os.environ.get("LLM_EXPLORER_SHOTS"):
            window.grab().save(os.path.join(os.environ["LLM_EXPLORER_SHOTS"], f"tokenizers-presenter-{scale}.png"))
        viewport = holder.viewport().width()
        assert pane.width() <= viewport, f"the pane is {pane.width()} px wide in a {viewport} px window"
        right = pane.right_panel.mapTo(holder.viewport(), pane.right_panel.rect().topRight()).x()
        assert right <= viewport, f"the right column ends at {right} px, past the {viewport} px window"
        column = pane.right_panel
        assert column.widget().width() <= column.viewport().width(), "the right column's content is cut"
    finally:
        window.engine.cancel(None)
        wait_for_jobs(qtbot, window.engine)
        window.presenter.exit()
