"""The first end-to-end path: type sentences, MiniLM embeds them on the worker, the table shows cosines."""
import numpy as np


def test_typing_sentences_shows_their_cosine_from_minilm(main_window, qtbot):
    pane = main_window.show_pane("similarity")
    pane.editor.setPlainText("A cat sat on the mat.\nA kitten rested on the rug.\nInterest rates rose again.")
    qtbot.waitUntil(lambda: pane.result is not None and len(pane.result.texts) == 3, timeout=120_000)
    shown = np.array([[float(pane.table.item(i, j).text()) for j in range(3)] for i in range(3)])
    assert np.allclose(np.diag(shown), 1.0, atol=0.01)
    # the two sentences about cats are the most similar pair
    assert shown[0, 1] > shown[0, 2] and shown[0, 1] > shown[1, 2]
    assert "1 and 2" in pane.message.text()
    assert "[CLS]" in pane.tokens.text()


def test_empty_text_gets_a_message_not_a_crash(main_window, qtbot):
    pane = main_window.show_pane("similarity")
    pane.editor.setPlainText("   \n  ")
    qtbot.waitUntil(lambda: "at least one sentence" in pane.message.text(), timeout=5_000)
    assert pane.table.rowCount() == 0
