"""The word2vec tab driven as a user would: Train on a small text, watch neighbours, use the vectors elsewhere."""
from __future__ import annotations

import lzma

import pytest
from PySide6.QtCore import Qt

from tests.helpers import show_pane


@pytest.fixture
def pane(engine, qtbot):
    from explorer.ui.embeddings.trained import store
    from explorer.ui.embeddings.pane import EmbeddingsPane

    store().set(None)
    yield show_pane(qtbot, EmbeddingsPane(engine))
    engine.cancel()
    store().set(None)


@pytest.fixture
def small_text(tmp_path):
    from explorer.models.corpora import gutenberg_path

    with lzma.open(gutenberg_path(), "rt", encoding="utf-8") as f:
        text = f.read(200_000)  # the start of Emma: about 36,000 words
    path = tmp_path / "emma.txt"
    path.write_text(text, encoding="utf-8")
    return path


def retype(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def test_training_shows_watched_neighbours_and_offers_the_vectors_to_the_neighbours_tab(pane, qtbot, small_text):
    from explorer.ui.embeddings.trained import TRAINED, TRAINED_LABEL

    pane.apply_preset("word2vec")
    tab = pane.word2vec
    assert pane.current_tab() is tab
    assert pane.neighbours.vectors.findData(TRAINED) < 0  # nothing trained yet
    assert pane.neighbours.vectors.choice() == "glove-50d"  # the model host's name for GloVe
    tab.corpus.setCurrentIndex(tab.corpus.findData("file"))
    retype(qtbot, tab.path, str(small_text))
    for key, value in (("dim", 30), ("epochs", 2), ("min_count", 3)):
        tab.spins[key].setValue(value)
    retype(qtbot, tab.watched, "emma harriet zebra")
    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    assert not tab.train_button.isEnabled() and tab.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: tab.result is not None, timeout=120_000)
    rows = tab.neighbour_rows()
    assert set(rows) == {"emma", "harriet", "zebra"}
    assert len(rows["emma"].split(", ")) == 6 and "not in" in rows["zebra"]
    assert tab.snapshot["final"] and len(tab.snapshot["map_words"]) == 300
    assert tab.train_button.isEnabled() and not tab.cancel_button.isEnabled()
    assert "trained here" in tab.message.text()

    # the vectors are now a choice in the Neighbours tab, and answer from the trained vocabulary
    choice = pane.neighbours.vectors
    assert choice.itemText(choice.findData(TRAINED)) == TRAINED_LABEL
    pane.show_tab(pane.neighbours)
    choice.set_choice(TRAINED)
    pane.neighbours.set_word("harriet")
    qtbot.waitUntil(lambda: pane.neighbours.table.rowCount() > 0 and pane.neighbours.query == "harriet",
                    timeout=60_000)
    assert pane.projector.source.findData(TRAINED) >= 0
    assert pane.analogy.vectors.findData(TRAINED) >= 0 and pane.axes.vectors.findData(TRAINED) >= 0


def test_a_binary_file_gives_a_message_and_keeps_the_settings(pane, qtbot, tmp_path):
    bad = tmp_path / "photo.txt"
    bad.write_bytes(bytes(range(256)) * 20)
    tab = pane.word2vec
    pane.apply_preset("word2vec")
    tab.corpus.setCurrentIndex(tab.corpus.findData("file"))
    retype(qtbot, tab.path, str(bad))
    tab.spins["dim"].setValue(42)
    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.message.is_error, timeout=60_000)
    assert "binary" in tab.message.text()
    assert tab.spins["dim"].value() == 42 and tab.path.text() == str(bad) and tab.train_button.isEnabled()


def test_the_static_note_links_to_the_contextual_bank_tab(pane, qtbot):
    pane.apply_preset("word2vec")
    pane.word2vec.note.linkActivated.emit("bank")
    assert pane.current_tab() is pane.contextual


def _start(qtbot, tab, path, epochs: int) -> None:
    tab.corpus.setCurrentIndex(tab.corpus.findData("file"))
    retype(qtbot, tab.path, str(path))
    for key, value in (("dim", 20), ("epochs", epochs), ("min_count", 3)):
        tab.spins[key].setValue(value)
    retype(qtbot, tab.watched, "emma")
    qtbot.mouseClick(tab.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.snapshot is not None, timeout=60_000)  # training, in the model host


def test_pause_leaves_the_model_process_free_resume_finishes_and_save_writes_a_folder(pane, qtbot, small_text,
                                                                                      tmp_path):
    tab = pane.word2vec
    pane.apply_preset("word2vec")
    assert not tab.save_button.isEnabled()  # nothing trained yet
    _start(qtbot, tab, small_text, epochs=60)
    qtbot.mouseClick(tab.pause_button, Qt.MouseButton.LeftButton)
    assert tab.pause_button.text() == "Resume" and "Paused" in tab.message.text()
    words_then = tab.snapshot["words_done"]
    # paused, the model process answers other tabs (the training waits there, not in a busy job)
    pane.show_tab(pane.neighbours)
    pane.neighbours.set_word("frog")
    qtbot.waitUntil(lambda: pane.neighbours.query == "frog", timeout=60_000)
    assert tab.result is None and tab.snapshot["words_done"] == words_then
    pane.show_tab(tab)
    qtbot.mouseClick(tab.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.result is not None, timeout=180_000)
    assert tab.snapshot["final"] and tab.snapshot["words_done"] == tab.snapshot["total_words"] > words_then
    assert tab.save_button.isEnabled()

    tab.save_to(str(tmp_path / "mine"))
    qtbot.waitUntil(lambda: tab.saved_path is not None or tab.message.is_error, timeout=60_000)
    lines = (tmp_path / "mine" / "vectors.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"{tab.result['vocabulary']} 20" and len(lines) == tab.result["vocabulary"] + 1
    assert (tmp_path / "mine" / "training.json").is_file()


def test_cancel_stops_the_training_and_train_starts_again(pane, qtbot, small_text):
    tab = pane.word2vec
    pane.apply_preset("word2vec")
    _start(qtbot, tab, small_text, epochs=200)
    qtbot.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    assert tab.train_button.isEnabled() and not tab.pause_button.isEnabled()
    assert "Cancelled" in tab.message.text()
    qtbot.waitUntil(lambda: not pane.is_busy(), timeout=10_000)  # the host stopped it (and forgot it)
    assert tab.result is None and not tab.message.is_error
    tab.snapshot = None
    _start(qtbot, tab, small_text, epochs=1)
    qtbot.waitUntil(lambda: tab.result is not None, timeout=120_000)
