"""Wherever the offline SmolLM2 is named, it reads as a 4-bit copy; the original Hub weights are a choice too.

Driven as a user would: pick from the model boxes, run, read the info line, click a token.
"""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from tests.helpers import show_pane

TIMEOUT = 180_000
NEEDS_DOWNLOAD = "'HuggingFaceTB/SmolLM2-135M-Instruct' needs a download from the Hugging Face Hub"


def items(box) -> dict[str, str]:
    return {box.itemData(i): box.itemText(i) for i in range(box.count())}


def choose(qtbot, box, model_id: str) -> None:
    """Pick an entry the way a user does: open the list and click it (keyboard: arrows + Return)."""
    box.setFocus()
    target = box.findData(model_id)
    assert target >= 0, model_id
    while box.currentIndex() != target:
        qtbot.keyClick(box, Qt.Key.Key_Down if box.currentIndex() < target else Qt.Key.Key_Up)
    box.activated.emit(target)  # offscreen combo boxes emit `activated` only from their popup


@pytest.fixture
def attention(qtbot, engine):
    from explorer.ui.attention.pane import AttentionPane

    pane = show_pane(qtbot, AttentionPane(engine), (1400, 900))
    yield pane
    engine.cancel()


def test_the_attention_picker_and_info_line_name_the_4bit_copy_and_offer_the_original(qtbot, attention):
    labels = items(attention.model_box)
    assert labels == {"smollm2": "SmolLM2-135M (4-bit) · decoder",
                      "smollm2-hub": "SmolLM2-135M (original, Hub) · decoder",
                      "minilm": "MiniLM-L6 · encoder"}
    # the closed box is wide enough for the whole label ("4-bit" is not cut off)
    box = attention.model_box
    assert box.width() >= box.fontMetrics().horizontalAdvance(labels["smollm2-hub"])
    attention.set_text("The capital of France is")
    attention.recompute()
    qtbot.waitUntil(lambda: attention.analysis is not None and attention.analysis.result.tokens[-1] == " is"
                    and not attention.is_busy(), timeout=TIMEOUT)
    assert attention.info.text().startswith("<b>SmolLM2-135M-Instruct (4-bit Q4_1, dequantized)</b>: 5 tokens")
    # the original weights: offline, a clear one-line message instead of a model
    choose(qtbot, attention.model_box, "smollm2-hub")
    assert attention.model_id() == "smollm2-hub"
    qtbot.waitUntil(lambda: attention.message.isVisible() and NEEDS_DOWNLOAD in attention.message.text(),
                    timeout=TIMEOUT)


@pytest.fixture
def embeddings(qtbot, engine):
    from explorer.ui.embeddings.pane import EmbeddingsPane

    pane = show_pane(qtbot, EmbeddingsPane(engine))
    yield pane
    engine.cancel()


def test_the_embedding_pickers_name_the_4bit_copy_and_offer_the_original(qtbot, embeddings):
    contextual = items(embeddings.contextual.model)
    assert contextual["smollm2"] == "SmolLM2-135M (4-bit) · decoder, reads left to right"
    assert contextual["smollm2-hub"] == "SmolLM2-135M (original, Hub) · decoder, reads left to right"
    tokens = items(embeddings.tokens.model)
    assert tokens["smollm2"] == "SmolLM2-135M (4-bit): 49,152 tokens × 576"
    assert tokens["smollm2-hub"] == "SmolLM2-135M (original, Hub): 49,152 tokens × 576"
    assert "4-bit" in items(embeddings.projector.text_model)["smollm2"]

    # the token cloud of the offline copy is titled as such
    embeddings.show_tab(embeddings.tokens)
    embeddings.tokens.set_model("smollm2")
    qtbot.waitUntil(lambda: embeddings.tokens.panel.scatter.n_points == 49_152, timeout=TIMEOUT)
    assert embeddings.tokens.message.text().startswith("SmolLM2-135M (4-bit) input embeddings: 49,152 tokens")
    # the original's cloud needs the Hub: offline, it says so
    embeddings.tokens.set_model("smollm2-hub")
    qtbot.waitUntil(lambda: NEEDS_DOWNLOAD in embeddings.tokens.message.text(), timeout=TIMEOUT)

    # the contextual "bank" through the original weights: the same message
    embeddings.show_tab(embeddings.contextual)
    qtbot.waitUntil(lambda: not embeddings.is_busy(), timeout=TIMEOUT)
    embeddings.contextual.model.setCurrentIndex(embeddings.contextual.model.findData("smollm2-hub"))
    qtbot.waitUntil(lambda: NEEDS_DOWNLOAD in embeddings.contextual.message.text(), timeout=TIMEOUT)


def test_the_model_manager_names_the_4bit_copy_and_lists_the_original_for_download(qtbot, engine):
    from explorer.ui.model_manager import CHECKING, COLUMNS, STATE_COLUMN, ModelManagerDialog

    dialog = ModelManagerDialog(engine)
    qtbot.addWidget(dialog)
    rows = {(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text()): r
            for r in range(dialog.table.rowCount())}
    offline, original = rows[("smollm2", "causal-lm")], rows[("smollm2-hub", "causal-lm")]
    assert dialog.table.item(offline, 2).text() == "SmolLM2-135M-Instruct (4-bit Q4_1, dequantized)"
    assert "dequantized to fp32" in dialog.table.item(offline, 2).toolTip()
    qtbot.waitUntil(lambda: dialog.table.item(original, STATE_COLUMN).text() != CHECKING, timeout=60_000)
    assert dialog.table.item(original, STATE_COLUMN).text() == "needs download"
    assert dialog.table.item(original, COLUMNS.index("Source")).text() == "Hub: HuggingFaceTB/SmolLM2-135M-Instruct"
    dialog.table.selectRow(original)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "no network" in dialog.message.text(), timeout=30_000)
    qtbot.waitUntil(dialog.download_button.isEnabled, timeout=5_000)


def test_the_about_box_says_the_offline_smollm2_is_4bit(main_window, qtbot):
    dialog = main_window.show_about()
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    text = dialog.browser.toPlainText()
    assert "SmolLM2-135M-Instruct (4-bit Q4_1, dequantized)" in text
    assert "is a 4-bit copy: its weights come from a Q4_1 GGUF file, dequantized to fp32" in text
    dialog.close()


def test_the_tokenizer_labs_embedding_row_names_the_4bit_copy(qtbot):
    from benchmarks.probes import tokenizer_lab
    from explorer.models import catalogue
    from tests.helpers import shared_host

    offline = [e.id for e in catalogue.entries("tokenizer") if e.offline]
    engine, pane = tokenizer_lab((1400, 900), shared_host())
    qtbot.addWidget(pane)
    try:
        qtbot.waitUntil(lambda: all(pane.row(k).state == "ready" for k in offline), timeout=60_000)
        qtbot.waitUntil(lambda: pane.row("smollm2").chips.tokenization is not None, timeout=60_000)
        chips = pane.row("smollm2").chips
        rect = chips.chip_rect(0)
        qtbot.mouseClick(chips.viewport(), Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
        qtbot.waitUntil(lambda: pane.details.strip.values is not None, timeout=TIMEOUT)
        assert "of the token-embedding matrix (49,152 × 576) of SmolLM2-135M-Instruct (4-bit Q4_1, dequantized)" \
            in pane.details.strip.caption
    finally:
        pane.close()
        assert engine.shutdown(5000)
