"""The tokenizer lab as a user drives it: type, hover, click, train, page through a long paste.

Every row goes through the real load -> model host -> GUI path; the host is the
test session's shared one, so tokenizers load once. The offline tokenizers are
also loaded here, in the test process, to compare with what the pane shows.
"""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from benchmarks.probes import tokenizer_lab
from explorer.models import catalogue
from explorer.models.tokenizer_loader import load_tokenizer_entry, token_embedding_row
from tests.helpers import shared_host

OFFLINE = [e.id for e in catalogue.entries("tokenizer") if e.offline]


@pytest.fixture(scope="module")
def loaded_tokenizers():
    return {tid: load_tokenizer_entry(catalogue.find(tid, "tokenizer")) for tid in OFFLINE}


@pytest.fixture
def pane(qtbot, loaded_tokenizers):
    engine, widget = tokenizer_lab((1400, 900), shared_host())
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: all(widget.row(k).state == "ready" for k in OFFLINE), timeout=60_000)
    wait_shown(qtbot, widget)
    yield widget
    widget.close()
    assert engine.shutdown(5000)


def wait_shown(qtbot, pane, text=None):
    """Tokenizing goes through the model host: wait until every ready row shows the editor's text."""
    text = pane.editor.toPlainText() if text is None else text
    qtbot.waitUntil(lambda: all(pane.result(k) is not None and pane.result(k).text == text
                                and pane.row(k).chips.tokenization is pane.result(k)
                                for k in pane.row_keys() if pane.row(k).state == "ready"), timeout=30_000)


def shown_tokens(pane, key):
    row = pane.row(key)
    i0, i1 = row.chips.page_range()
    return [row.chips.display_text(i) for i in range(i0, i1)]


def hover(chips, index):
    """Move the mouse over chip `index`, as the user would."""
    rect = chips.chip_rect(index)
    assert rect is not None, "the chip is on screen"
    event = QMouseEvent(QEvent.Type.MouseMove, rect.center(), chips.viewport().mapToGlobal(rect.center()),
                        Qt.MouseButton.NoButton, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(chips.viewport(), event)


def click(qtbot, chips, index):
    rect = chips.chip_rect(index)
    assert rect is not None
    qtbot.mouseClick(chips.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())


def test_typing_retokenizes_every_row_with_the_real_tokenizers(pane, qtbot, loaded_tokenizers):
    pane.editor.clear()
    qtbot.keyClicks(pane.editor, "Tokenizers split text: 12345 ")
    pane.editor.insertPlainText("naïve 🎵")  # QTest types ASCII only; non-ASCII arrives like a paste or an IME
    text = "Tokenizers split text: 12345 naïve 🎵"
    qtbot.waitUntil(lambda: all(pane.result(k) is not None and pane.result(k).text == text for k in OFFLINE),
                    timeout=10_000)
    for key in OFFLINE:
        expected = loaded_tokenizers[key].model.tokenize(text)
        assert pane.result(key).ids.tolist() == expected.ids.tolist()
        assert pane.row(key).chips.tokenization is pane.result(key)
        assert str(len(expected)) in pane.row(key).count_label.text()
    assert dict(pane.chart.counts()) == {pane.row(k).title: len(pane.result(k)) for k in OFFLINE}
    # GPT-2 cuts the emoji into three byte pieces: all three chips show the emoji, none shows mojibake
    assert shown_tokens(pane, "gpt2")[-3:] == ["🎵", "🎵", "🎵"] or shown_tokens(pane, "gpt2")[-3:] == ["·🎵", "🎵", "🎵"]
    assert shown_tokens(pane, "bert-base-uncased")[0] == "[CLS]"


def test_hovering_a_token_lights_up_its_characters_and_overlapping_tokens_in_other_rows(pane, qtbot):
    pane.apply_preset("lecture")
    wait_shown(qtbot, pane)
    gpt2 = pane.row("gpt2").chips
    ital = shown_tokens(pane, "gpt2").index("ITAL")  # GPT-2: ·CAP | ITAL | IZ | ATION
    hover(gpt2, ital)
    text = pane.editor.toPlainText()
    start = text.index("CAPITALIZATION") + 3
    assert pane.highlighted_text_range() == (start, start + 4)
    bert = pane.row("bert-base-uncased").chips
    assert [bert.display_text(i) for i in bert.highlighted()] == ["capital"]
    gpt4 = pane.row("gpt-4").chips
    assert [gpt4.display_text(i) for i in gpt4.highlighted()] == ["·CAPITAL"]
    assert gpt2.highlighted() == [ital]
    assert "ITAL" in pane.rows_panel.hover_label.text()
    # an emoji byte piece lights up the emoji in the text and the [UNK] BERT gave it
    music = shown_tokens(pane, "gpt2").index("🎵")
    hover(gpt2, music)
    at = text.index("🎵")
    assert pane.highlighted_text_range() == (at, at + 1)
    assert [bert.display_text(i) for i in bert.highlighted()] == ["[UNK]"]
    # leaving the chips clears every highlight
    QApplication.sendEvent(gpt2, QEvent(QEvent.Type.Leave))
    assert bert.highlighted() == [] and pane.highlighted_text_range() is None


def test_clicking_a_bert_token_shows_its_id_and_minilm_embedding_row(pane, qtbot):
    pane.apply_preset("lecture")
    wait_shown(qtbot, pane)
    bert = pane.row("bert-base-uncased").chips
    english = shown_tokens(pane, "bert-base-uncased").index("english")
    click(qtbot, bert, english)
    assert "2,394" in pane.details.token_details.text()
    qtbot.waitUntil(lambda: pane.details.strip.values is not None, timeout=30_000)
    assert np.allclose(pane.details.strip.values, token_embedding_row("bert-base-uncased", 2394).values)
    assert "30,522 × 384" in pane.details.strip.caption
    # GPT-4's model is not offline: a clear note instead of a strip
    click(qtbot, pane.row("gpt-4").chips, 1)
    assert pane.details.strip.values is None and "not on this computer" in pane.details.strip.message


def test_training_a_tokenizer_from_the_ui_adds_a_row(pane, qtbot):
    pane.apply_preset("scripts")
    pane.training.train_algorithm.setCurrentIndex(pane.training.train_algorithm.findData("wordpiece"))
    pane.training.train_vocab.setValue(120)
    before = pane.row_keys()
    qtbot.mouseClick(pane.training.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(pane.row_keys()) == len(before) + 1, timeout=30_000)
    key = pane.row_keys()[-1]
    row = pane.row(key)
    qtbot.waitUntil(lambda: pane.result(key) is not None, timeout=10_000)
    assert row.state == "ready" and row.title == "My WordPiece (120)"
    tokens = shown_tokens(pane, key)
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert any(t.startswith("##") for t in tokens)
    assert row.title in dict(pane.chart.counts())
    # its vocabulary can be browsed
    qtbot.mouseClick(row.vocab_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane._vocabulary_dialog is not None, timeout=30_000)  # from the host
    dialog = pane._vocabulary_dialog
    # (WordPiece keeps every character and its ## form, so a tiny vocabulary ends up larger than asked)
    assert dialog.model.rowCount() == row.vocab_size > 100
    assert "larger than" in pane.training.train_status.text()
    dialog.search.setText("##")
    assert 0 < dialog.model.rowCount() < row.vocab_size
    dialog.close()
    # the trained tokenizer is part of the pane's state, so a session brings it back
    assert pane.state()["trained"][0]["algorithm"] == "wordpiece"


def test_a_session_brings_trained_tokenizers_back(pane, qtbot):
    spec = {"algorithm": "unigram", "vocab_size": 60, "training_text": "hello there " * 50}
    pane.restore_state({"text": "Hello there", "tokenizers": ["gpt2"], "trained": [spec]})
    # a session restores inputs: the trained tokenizer is listed and trained only when the user asks
    assert not any(o.startswith("tokenizers.train") for o in pane.engine.pending_owners())
    assert pane.training.retrain_button.isVisibleTo(pane)
    assert "1 tokenizer trained here" in pane.training.train_status.text()
    assert pane.state()["trained"] == [spec]  # saving again before retraining keeps it
    qtbot.mouseClick(pane.training.retrain_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(k.startswith("trained:unigram") for k in pane.row_keys()), timeout=30_000)
    key = [k for k in pane.row_keys() if k.startswith("trained:unigram")][0]
    qtbot.waitUntil(lambda: pane.result(key) is not None and pane.result(key).text == "Hello there", timeout=10_000)
    assert shown_tokens(pane, key)[-1] == "</s>"  # Unigram here ends like T5
    assert pane.state()["trained"] == [{"algorithm": "unigram", "vocab_size": 60,
                                        "training_text": "hello there " * 50}]
    # the same settings again in this window (a rolled-back or reopened session): back at once, not retrained
    pane.restore_state(pane.state())
    assert key in pane.row_keys() and not pane.training.retrain_button.isVisibleTo(pane)
    assert not any(o.startswith("tokenizers.train") for o in pane.engine.pending_owners())



def test_a_trained_tokenizer_the_model_process_lost_says_retrain_and_retrains(pane, qtbot):
    pane.editor.setPlainText("hello there " * 50)
    pane.training.train_algorithm.setCurrentIndex(pane.training.train_algorithm.findData("bpe"))
    pane.training.train_vocab.setValue(80)
    qtbot.mouseClick(pane.training.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(k.startswith("trained:bpe") for k in pane.row_keys()), timeout=30_000)
    key = [k for k in pane.row_keys() if k.startswith("trained:bpe")][0]
    wait_shown(qtbot, pane)
    # what a restart of the model process does to a trained tokenizer: the host no longer has it
    forgotten = []
    pane.engine.run("tokenizers.forget", {"key": key}, owner="test.forget", on_result=forgotten.append)
    qtbot.waitUntil(lambda: forgotten == [True], timeout=10_000)
    qtbot.keyClicks(pane.editor, "!")
    row = pane.row(key)
    qtbot.waitUntil(lambda: row.state == "failed", timeout=10_000)
    assert "retrain" in row.chips._message and not row.retry_button.isHidden()
    qtbot.mouseClick(row.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.state == "ready", timeout=30_000)
    wait_shown(qtbot, pane)
    assert pane.result(key).text == pane.editor.toPlainText() and "!" in pane.result(key).text

def test_bpe_training_lists_its_merges(pane, qtbot):
    pane.apply_preset("code")
    pane.training.train_algorithm.setCurrentIndex(pane.training.train_algorithm.findData("bpe"))
    pane.training.train_vocab.setValue(300)
    pane.training.train()
    qtbot.waitUntil(lambda: any(k.startswith("trained:bpe") for k in pane.row_keys()), timeout=30_000)
    key = [k for k in pane.row_keys() if k.startswith("trained:bpe")][0]
    pane.show_vocabulary(key)
    qtbot.waitUntil(lambda: pane._vocabulary_dialog is not None, timeout=30_000)  # from the host
    dialog = pane._vocabulary_dialog
    assert dialog.tabs.count() == 2 and dialog.merges.count() > 0
    dialog.close()


def test_a_long_paste_is_tokenized_on_the_worker_paged_and_counted_exactly(pane, qtbot, loaded_tokenizers):
    from explorer.ui.tokenizers.presets import PRESETS
    from explorer.ui.tokenizers.pages import PAGE_CHARS

    text = ("".join(PRESETS.values()) * 200)[:70_000]
    pane.editor.setPlainText(text)
    qtbot.waitUntil(lambda: all(pane.result(k) is not None and pane.result(k).text == text for k in OFFLINE),
                    timeout=120_000)
    assert pane.rows_panel.page_bar.isVisible() and "of 70,000" in pane.rows_panel.page_bar.page_label.text()
    for key in ("gpt-4", "mistral"):
        assert len(pane.result(key)) == len(loaded_tokenizers[key].model.tokenize(text))
        i0, i1 = pane.row(key).chips.page_range()
        tk = pane.result(key)
        assert i0 == 0 and 0 < i1 < len(tk) and tk.starts[i1 - 1] < PAGE_CHARS
    qtbot.mouseClick(pane.rows_panel.page_bar.next_page, Qt.MouseButton.LeftButton)
    i0, i1 = pane.row("gpt-4").chips.page_range()
    tk = pane.result("gpt-4")
    assert tk.ends[i0] > PAGE_CHARS - 1 and tk.starts[i1 - 1] < 2 * PAGE_CHARS
    assert f"page 2 of {-(-70_000 // PAGE_CHARS)}" in pane.rows_panel.page_bar.page_label.text()


def test_a_hub_tokenizer_offline_says_it_needs_a_download(pane, qtbot):
    key = pane.add_tokenizer("flan-t5")
    row = pane.row(key)
    qtbot.waitUntil(lambda: row.state == "failed", timeout=30_000)
    assert "needs download" in row.chips._message
    assert not row.retry_button.isHidden()
    assert pane.add_tokenizer("no-such-tokenizer") is None
    assert "unknown tokenizer" in pane.message.text()


def test_show_ids_swaps_text_for_ids(pane, qtbot):
    pane.apply_preset("bards")
    wait_shown(qtbot, pane)
    pane.show_ids.setChecked(True)
    tk = pane.result("gpt-4")
    assert shown_tokens(pane, "gpt-4") == [str(i) for i in tk.ids.tolist()]
    pane.show_ids.setChecked(False)
    assert shown_tokens(pane, "gpt-4")[0] == "Have"


def test_presets_and_state_round_trip(pane, qtbot):
    assert pane.presets() == ["lecture", "code", "numbers", "scripts", "bards"]
    pane.apply_preset("lecture")
    assert pane.editor.toPlainText() == ("\nEnglish and CAPITALIZATION\n🎵 鸟\nshow_tokens False None elif == >= else: "
                                         "two tabs:\"    \" Three tabs: \"       \"\n12.0*50=600\n")
    pane.remove_tokenizer("mistral")
    pane.show_ids.setChecked(True)
    state = pane.state()
    assert state["tokenizers"] == [k for k in OFFLINE if k != "mistral"] and state["show_ids"] is True
    pane.restore_state({"text": "Restored text", "tokenizers": ["gpt2", "mistral"], "show_ids": False,
                        "unknown key": 1})
    qtbot.waitUntil(lambda: pane.result("mistral") is not None and pane.result("mistral").text == "Restored text",
                    timeout=10_000)
    assert pane.row_keys() == ["gpt2", "mistral"] and not pane.show_ids.isChecked()
    pane.restore_state({"text": 5, "tokenizers": "not a list"})  # bad values are ignored, not a crash
    assert pane.editor.toPlainText() == "Restored text"


def test_export_gives_the_chart_and_every_rows_tokens(pane, qtbot):
    pane.apply_preset("bards")
    wait_shown(qtbot, pane)
    chart, tokens = pane.export_targets()
    counts = chart.data()
    assert chart.widget is pane.chart
    assert [r[0] for r in counts["token_counts"]] == [pane.row(k).title for k in OFFLINE]
    gpt4 = [r for r in counts["token_counts"] if r[0] == "GPT-4"][0]
    assert gpt4[1] == "cl100k_base" and gpt4[2] == len(pane.result("gpt-4"))
    rows = tokens.data()["tokens"]
    assert len(rows) == sum(len(pane.result(k)) for k in OFFLINE)
    assert rows[0][:4] == ["BERT (uncased)", 0, 101, "[CLS]"]


def test_presenter_settings_grow_chips_and_chart_text(pane):
    chips = pane.row("gpt2").chips
    chart_height, chip_height = pane.chart.height(), chips.chip_h
    font = QApplication.font()
    bigger = type(font)(font)
    bigger.setPointSizeF(font.pointSizeF() * 2)
    QApplication.setFont(bigger)
    try:
        pane.apply_view_settings(2.0, True)
        assert chips.chip_h > chip_height * 1.6
        assert pane.chart.height() > chart_height * 1.5
        assert chips.colours.background.lightness() < 100
    finally:
        QApplication.setFont(font)
        pane.apply_view_settings(1.0, False)


GUI_DRIVER = r"""
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.core.tokenization import TokenizedText  # the plain result imports no tokenizer library
from benchmarks.probes import tokenizer_lab
from explorer.models import catalogue

HEAVY = ("torch", "transformers", "tokenizers", "tiktoken", "sentencepiece")
print("after imports:", [m for m in HEAVY if m in sys.modules], flush=True)
keys = [e.id for e in catalogue.entries("tokenizer") if e.offline]

def wait(condition, what, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.005)

engine, pane = tokenizer_lab((1200, 900))
wait(lambda: all(pane.row(k).state == "ready" for k in keys), "rows")
text = "Tokenizers in their own process. " * 400
pane.editor.setPlainText(text)
pane.retokenize()
wait(lambda: all(pane.result(k) is not None and pane.result(k).text == text for k in keys), "tokens")
assert all(isinstance(pane.result(k), TokenizedText) for k in keys)
pane._on_click("bert-base-uncased", 1)
wait(lambda: pane.details.strip.values is not None, "embedding row")
pane.show_vocabulary("gpt2")
wait(lambda: pane._vocabulary_dialog is not None, "vocabulary")
pane.training.train_vocab.setValue(100)
pane.training.train()
wait(lambda: any(k.startswith("trained:") for k in pane.row_keys()), "training", 300)
print("after jobs:", [m for m in HEAVY if m in sys.modules], flush=True)
pane.close()
engine.shutdown(10_000)
"""


def test_the_gui_process_never_imports_a_tokenizer_library():
    """Loading, tokenizing, clicking, browsing and training all happen in the model host (checked in a fresh
    process: this test process imports the libraries itself)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    # the user cache as is: it holds the converted SmolLM2 copy whose tokenizer a row loads
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", GUI_DRIVER], capture_output=True, text=True, timeout=600,
                            cwd=Path(__file__).resolve().parents[2], env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["after imports: []", "after jobs: []"], result.stdout


def test_the_add_menu_says_which_hub_tokenizers_need_a_download(qtbot, pane):
    """The menu's Hub states come from the model host (its walk of the Hub cache), not the GUI thread."""
    qtbot.waitUntil(lambda: bool(pane._hub_states), timeout=30_000)
    pane.add_menu.aboutToShow.emit()
    labels = {action.text() for action in pane.add_menu.actions()}
    hub = [e for e in catalogue.entries("tokenizer") if not e.offline]
    assert hub
    for entry in hub:
        expected = entry.title if catalogue.is_available(entry) else f"{entry.title}  (needs download)"
        assert expected in labels
