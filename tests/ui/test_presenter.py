"""Presenter mode and the lecture scenes: Page Down walks the whole lecture, readable from the back row."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QApplication, QComboBox, QLabel, QLineEdit,
                               QPlainTextEdit, QTextEdit, QWidget)

from explorer.ui.scenes import default_scenes_path, load_scenes, scene_problem
from tests.conftest import wait_for_jobs

PROJECTOR = (1920, 1080)
BASE_PT = 11.0


def _effective_pt(widget: QWidget) -> float:
    font = widget.font()
    return font.pointSizeF() if font.pointSizeF() > 0 else font.pixelSize() * 72 / 96


def _text_widgets(root: QWidget) -> list[QWidget]:
    kinds = (QLabel, QAbstractButton, QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractSpinBox)
    return [w for w in root.findChildren(QWidget) if isinstance(w, kinds) and w.isVisible()
            and not (isinstance(w, QLabel) and not w.text().strip())]


def _image_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 4]
    # copy while `image` still owns the memory
    return rows.reshape(image.height(), image.width(), 4).copy()


def _assert_not_blank(image: QImage, what: str) -> None:
    pixels = _image_array(image)[:, :, :3]
    colours = np.unique(pixels.reshape(-1, 3)[:: 7], axis=0)
    assert len(colours) > 30 and pixels.std() > 20, f"{what}: the screenshot looks blank"


def _shots_dir(tmp_path: Path) -> Path:
    # LLM_EXPLORER_SHOTS=/some/folder keeps the PNGs for looking at them by hand
    folder = Path(os.environ.get("LLM_EXPLORER_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def presenter_window(main_window, qtbot):
    main_window.resize(*PROJECTOR)
    main_window.presenter.enter(full_screen=False)  # the offscreen screen is smaller than a projector
    main_window.resize(*PROJECTOR)
    yield main_window
    main_window.engine.cancel(None)
    wait_for_jobs(qtbot, main_window.engine, timeout=300_000)
    main_window.presenter.exit()


def test_the_lecture_file_lists_the_lecture_in_order():
    deck = load_scenes(default_scenes_path())
    titles = " | ".join(scene.title.lower() for scene in deck.scenes)
    for earlier, later in (("bag of words", "word vectors"), ("word vectors", "bank"), ("bank", "sarah"),
                           ("sarah", "tokenizer"), ("tokenizer", "next token"), ("next token", "local"),
                           ("local", "grouped-query"), ("grouped-query", "rope"), ("rope", "clip"),
                           ("clip", "q-former")):
        assert titles.index(earlier) < titles.index(later), f"'{earlier}' should come before '{later}'"
    assert all(scene.caption for scene in deck.scenes), "every scene has a caption for the class"


def test_every_lecture_scene_resolves_to_a_pane_and_preset(main_window):
    deck = load_scenes(default_scenes_path())
    missing = sorted({scene.pane for scene in deck.scenes if scene.pane not in main_window.pane_ids()})
    assert not missing, f"scenes name panes the window does not have: {missing}"
    for scene in deck.scenes:
        assert scene_problem(scene, main_window.panes) is None, scene_problem(scene, main_window.panes)


@pytest.mark.slow  # every scene runs its real model (MiniLM, GloVe, SmolLM2, mini-CLIP)
def test_page_down_steps_through_every_scene_with_a_screenshot_each(presenter_window, qtbot, tmp_path):
    window = presenter_window
    shots = _shots_dir(tmp_path)
    deck = window.deck
    assert len(deck.scenes) >= 11
    presenter_pt = BASE_PT * window.presenter.font_scale
    for number, scene in enumerate(deck.scenes, 1):
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        assert window.scene_index == number - 1
        caption = window.caption_bar.text.text()
        assert f"{number} / {len(deck.scenes)}" in caption and scene.caption.split()[0] in caption
        if scene.pane not in window.pane_ids():
            # a scene for a pane this version lacks: a clear message, the lecture goes on
            assert window.scene_problem and scene.pane in window.scene_problem
            assert "⚠" in caption
            continue
        assert window.scene_problem is None, window.scene_problem
        pane = window.current_pane()
        assert pane.pane_id == scene.pane
        wait_for_jobs(qtbot, window.engine, timeout=600_000)
        qtbot.waitUntil(lambda p=pane: not p.is_busy(), timeout=600_000)
        qtbot.wait(100)  # let the layout take the room of the status bar, hidden once idle
        image = window.grab().toImage()
        assert (image.width(), image.height()) == PROJECTOR
        _assert_not_blank(image, scene.title)
        assert image.save(str(shots / f"scene-{number:02d}-{scene.pane}-{scene.preset or 'state'}.png"))
        small = [f"{type(w).__name__} '{getattr(w, 'text', lambda: '')()[:30]}' {_effective_pt(w):.1f} pt"
                 for w in _text_widgets(pane) if _effective_pt(w) < presenter_pt * 0.75]
        assert not small, f"scene '{scene.title}': text too small for a projector: {small[:5]}"
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    assert window.scene_index == len(deck.scenes) - 1 and "last scene" in window.last_message
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    assert window.scene_index == len(deck.scenes) - 2


def test_presenter_mode_hides_clutter_grows_text_and_comes_back(main_window, qtbot):
    window = main_window
    normal_pt = QApplication.font().pointSizeF()
    assert window.sidebar.isVisible() and window.menuBar().isVisible()
    qtbot.keyClick(window, Qt.Key.Key_F5)
    try:
        assert window.presenter.active and window.isFullScreen()
        assert not window.sidebar.isVisible() and not window.menuBar().isVisible()
        assert not window.lecture_toolbar.isVisible() and window.caption_bar.isVisible()
        qtbot.waitUntil(window.engine.is_idle, timeout=120_000)
        qtbot.waitUntil(lambda: not window.status.isVisible(), timeout=10_000)  # only while busy
        assert QApplication.font().pointSizeF() == pytest.approx(normal_pt * window.presenter.font_scale)
        label = window.caption_bar.text
        QApplication.sendPostedEvents()  # Qt hands a new application font to widgets by posted events
        assert label.font().pointSizeF() == pytest.approx(QApplication.font().pointSizeF())
        # high contrast: black on white
        palette = QApplication.palette()
        assert palette.color(QPalette.ColorRole.Window).lightness() == 255
        assert palette.color(QPalette.ColorRole.WindowText).lightness() == 0
    finally:
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.presenter.active and not window.isFullScreen()
    assert window.sidebar.isVisible() and window.menuBar().isVisible() and window.lecture_toolbar.isVisible()
    assert window.status.isVisible()
    assert QApplication.font().pointSizeF() == pytest.approx(normal_pt)
    assert window.font_scale == 1.0 and window.theme == "normal"


def test_the_dark_presenter_theme_reaches_every_pane(main_window, qtbot, monkeypatch):
    window = main_window
    pane = window.show_pane(window.pane_ids()[0])
    seen = []
    monkeypatch.setattr(type(pane), "apply_view_settings", lambda self, scale, dark: seen.append((scale, dark)))
    window.presenter.set_theme("dark")
    window.presenter.enter(full_screen=False)
    try:
        assert seen and seen[-1] == (pytest.approx(window.presenter.font_scale), True)
        assert QApplication.palette().color(QPalette.ColorRole.Window).lightness() == 0
        assert QApplication.palette().color(QPalette.ColorRole.WindowText).lightness() == 255
    finally:
        window.presenter.exit()
        window.presenter.set_theme("light")
    assert seen[-1] == (1.0, False)


def test_a_clicker_page_down_works_while_a_text_box_has_the_focus(main_window, qtbot):
    window = main_window
    pane = window.show_pane("tokenizers")
    window.presenter.enter(full_screen=False)
    try:
        pane.editor.setFocus()
        qtbot.keyClick(pane.editor, Qt.Key.Key_PageDown)
        assert window.scene_index == 0
        qtbot.keyClick(pane.editor, Qt.Key.Key_PageDown)
        assert window.scene_index == 1
    finally:
        window.engine.cancel(None)
        wait_for_jobs(qtbot, window.engine, timeout=300_000)
        window.presenter.exit()


def test_a_scene_for_a_missing_pane_or_preset_explains_itself(main_window, qtbot, tmp_path):
    path = tmp_path / "scenes.json"
    path.write_text('{"format": "llm-explorer-scenes", "version": 1, "title": "T", "scenes": ['
                    '{"title": "Ghost", "pane": "no-such-pane", "caption": "c"},'
                    '{"title": "Bad preset", "pane": "tokenizers", "preset": "no-such-preset"},'
                    '{"title": "Fine", "pane": "tokenizers", "preset": "bards", "caption": "ok"}]}',
                    encoding="utf-8")
    assert main_window.open_scene_file(path)
    try:
        assert "no-such-pane" in main_window.next_scene()
        problem = main_window.next_scene()
        assert "no-such-preset" in problem and "bards" in problem
        assert main_window.next_scene() is None
        assert main_window.current_pane().pane_id == "tokenizers"
        assert "bards" in main_window.current_pane().state()["text"]
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


def test_saving_the_current_state_as_a_scene_adds_it_after_the_current_one(main_window, qtbot, settings_file):
    window = main_window
    window.go_to_scene(0)
    pane = window.show_pane("tokenizers")
    pane.editor.setPlainText("My own example.\nAnother line.")
    written = window.save_current_as_scene("My example", "What I want the class to see")
    try:
        assert written is not None and written.parent.parent == settings_file.parent  # not in resources/
        deck = load_scenes(written)
        assert deck.scenes[1].title == "My example"
        assert deck.scenes[1].state["text"] == "My own example.\nAnother line."
        assert len(deck.scenes) == len(load_scenes(default_scenes_path()).scenes) + 1
        pane.editor.setPlainText("changed")
        window.go_to_scene(0)
        qtbot.keyClick(window, Qt.Key.Key_PageDown)
        assert pane.editor.toPlainText() == "My own example.\nAnother line."
        assert "What I want the class to see" in window.caption_bar.text.text()
        assert window.settings.value("scenes/file") == str(written)
    finally:
        window.engine.cancel(None)
        wait_for_jobs(qtbot, window.engine)
