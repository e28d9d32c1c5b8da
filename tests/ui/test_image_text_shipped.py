"""A fresh install (empty user cache): the lecture's CLIP zero-shot scene works at once with the shipped mini-CLIP.

Real shipped weights (resources/models/mini-clip); nothing is trained here.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.ui.scenes import default_scenes_path, load_scenes

SLOW_MS = 120_000



@pytest.fixture
def engine(local_engine):
    """The pane's host operations run in this process: the tests point them at their own cache and fake Hub."""
    return local_engine


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(cache))
    return cache


def zero_shot_scene():
    """The lecture's CLIP zero-shot scene, as the scene file defines it (scene 10 today)."""
    deck = load_scenes(default_scenes_path())
    [scene] = [s for s in deck.scenes if s.pane == "image-text" and s.preset == "zero-shot"]
    return scene


def test_the_zero_shot_scene_shows_a_result_on_a_fresh_install(fresh_cache, engine, qtbot):
    from explorer.ui.image_text.pane import ImageTextPane

    scene = zero_shot_scene()
    pane = ImageTextPane(engine)
    qtbot.addWidget(pane)
    pane.resize(1500, 950)
    pane.show()
    # what the main window does when the scene opens (MainWindow.go_to_scene)
    pane.activated()
    pane.apply_preset(scene.preset)
    if scene.state is not None:
        pane.restore_state(scene.state)
    assert pane.current_tab() == "zero-shot" and pane.model_id == "mini-clip"

    bars = pane.zero_shot.bars
    classes = pane.zero_shot.class_lines()
    qtbot.waitUntil(lambda: len(pane.images) > 0 and bars.probabilities.shape == (len(pane.images), len(classes)),
                    timeout=SLOW_MS)
    assert "train" not in bars.placeholder.lower()
    np.testing.assert_allclose(bars.probabilities.sum(axis=1), 1.0, atol=1e-5)
    # the sample shapes are recognised: each one's own class is the most likely
    predicted = [bars.classes[int(row.argmax())] for row in bars.probabilities]
    names = [e.name for e in pane.images]
    assert sum(p == n for p, n in zip(predicted, names)) >= len(names) - 1, list(zip(names, predicted))

    # honest label, no "train first" button, and training is still offered in its tab
    qtbot.waitUntil(lambda: "Shipped with the app" in pane.model_row.note.text(), timeout=SLOW_MS)
    assert "not trained" not in pane.model_row.note.text().lower()
    assert not pane.model_row.action.isVisible()
    assert "train" not in pane.model_row.box.currentText().lower().split("—")[0]
    assert pane.train.train_button.isEnabled()
    assert "shipped with the app was trained" in pane.train.result.text()
    # both figures, as recorded with the shipped weights, with their exact labels
    import json

    from explorer.core import shapes_dataset as shapes
    from explorer.models import paths

    info = json.loads((paths.shipped_mini_clip_dir() / "config.json").read_text(encoding="utf-8"))["training"]
    pairs = ", ".join(shapes.HELD_OUT_PAIRS)
    result = pane.train.result.text()
    assert f"new images of seen pairs: {info['accuracy_seen_pairs']:.1%}" in result
    assert f"true zero-shot on never-seen pairs ({pairs}): {info['accuracy_never_seen_pairs']:.1%}" in result
    note = pane.model_row.note.text()
    assert f"new images of seen pairs: {info['accuracy_seen_pairs']:.0%}" in note
    assert f"true zero-shot on never-seen pairs ({pairs}): {info['accuracy_never_seen_pairs']:.0%}" in note
    assert not (fresh_cache / "mini-clip").exists()
    engine.cancel()


def test_the_model_manager_shows_mini_clip_installed_as_shipped(fresh_cache, qtbot):
    from explorer.engine import Engine
    from explorer.ui.model_manager import CHECKING, STATE_COLUMN, ModelManagerDialog

    # the states come from the model host: one started with the fresh cache (the shared host keeps its own)
    engine = Engine()
    try:
        dialog = ModelManagerDialog(engine)
        qtbot.addWidget(dialog)
        row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 0).text() == "mini-clip")
        qtbot.waitUntil(lambda: dialog.table.item(row, STATE_COLUMN).text() != CHECKING, timeout=120_000)
        assert dialog.table.item(row, STATE_COLUMN).text() == "installed (shipped)"
        # offline: nothing to download
        dialog.table.selectRow(row)
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        assert "comes with the app" in dialog.message.text()
        dialog.close()
    finally:
        assert engine.shutdown(60_000)
