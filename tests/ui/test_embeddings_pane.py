"""The Embeddings pane driven as a user would: real GloVe, MiniLM and the engine's worker thread."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from explorer.models import paths
from tests.helpers import show_pane
from tests.test_sentence_embeddings import reference_cosines

SLOW_MS = 180_000


@pytest.fixture
def pane(engine, qtbot):
    from explorer.ui.embeddings.pane import EmbeddingsPane

    yield show_pane(qtbot, EmbeddingsPane(engine))
    engine.cancel()


def click_tab(qtbot, pane, tab) -> None:
    index = pane.tabs_list.index(tab)
    bar = pane.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert pane.current_tab() is tab


def retype(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def type_lines(qtbot, editor, lines: list[str]) -> None:
    """Replace the text of a multi-line editor, typing each line and pressing Return between them."""
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    for k, line in enumerate(lines):
        if k:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.keyClicks(editor, line)


def idle(qtbot, pane, timeout: int = SLOW_MS) -> None:
    qtbot.waitUntil(lambda: not pane.is_busy(), timeout=timeout)


def test_the_presets_the_lecture_scenes_use_exist(engine, qtbot):
    from explorer.ui.embeddings.pane import EmbeddingsPane

    pane = EmbeddingsPane(engine)
    qtbot.addWidget(pane)
    assert pane.presets() == ["bag-of-words", "word2vec", "analogy", "neighbours", "bank", "sentences", "paraphrases",
                              "token-cloud", "projector"]
    from explorer.ui.pane_list import pane_ids

    assert pane.pane_id == "embeddings" and pane_ids()[0] == "embeddings"  # first in lecture order (was order 10)


def test_bag_of_words_counts_the_typed_sentences(pane, qtbot):
    tab = pane.bow
    editor = tab.editor
    editor.clear()
    qtbot.keyClicks(editor, "the bank of the river")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "river bank")
    qtbot.waitUntil(lambda: tab.counts.columnCount() == 4 and tab.counts.rowCount() == 2, timeout=SLOW_MS)
    columns = tab.counts.col_labels
    assert tab.counts.cell_text(0, columns.index("the")) == "2"
    assert tab.counts.cell_text(1, columns.index("the")) == ""  # zero shown empty
    assert tab.cosine.cell_text(0, 1) != ""
    editor.clear()
    qtbot.waitUntil(lambda: tab.message.is_error, timeout=5000)
    assert "at least one sentence" in tab.message.text()


def test_an_analogy_and_a_neighbour_query_end_to_end(pane, qtbot):
    click_tab(qtbot, pane, pane.analogy)
    tab = pane.analogy
    retype(qtbot, tab.base, "paris")
    retype(qtbot, tab.minus, "france")
    retype(qtbot, tab.plus, "italy")
    qtbot.mouseClick(tab.go, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.table.words()[:1] == ["rome"], timeout=SLOW_MS)
    assert "rome" in tab.answer.text()
    labels = tab.scatter.labels()
    assert labels[:3] == ["france", "italy", "paris"] and labels[-1] == "paris − france + italy"
    assert len(tab.scatter.overlays.arrows) == 4  # the parallelogram: two steps, each drawn twice

    click_tab(qtbot, pane, pane.neighbours)
    idle(qtbot, pane)  # the tab's first query (its default word) finishes first
    nb = pane.neighbours
    retype(qtbot, nb.word, "Paris")
    qtbot.keyClick(nb.word, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: nb.query == "paris", timeout=SLOW_MS)
    assert "france" in nb.table.words() and "paris" not in nb.table.words()
    assert nb.scatter.labels()[0] == "paris" and nb.scatter.n_points == nb.k.value() + 1

    retype(qtbot, nb.word, "qwzxvqq")
    qtbot.keyClick(nb.word, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: nb.message.is_error, timeout=SLOW_MS)
    assert "'qwzxvqq' is not in the vocabulary" in nb.message.text()
    assert nb.query == "paris"  # the last good answer stays on screen


def write_vectors(tmp_path):
    """Three tight groups of 40 points in 8-D, with a two-column metadata file."""
    rng = np.random.default_rng(0)
    centres = np.eye(8)[:3] * 10
    vectors = np.concatenate([c + rng.normal(scale=0.5, size=(40, 8)) for c in centres])
    kinds = ["cat"] * 40 + ["dog"] * 40 + ["car"] * 40
    (tmp_path / "vectors.tsv").write_text("\n".join("\t".join(f"{v:.5f}" for v in row) for row in vectors) + "\n")
    names = [f"{k}{i}" for i, k in enumerate(kinds)]
    (tmp_path / "metadata.tsv").write_text("name\tkind\n" + "\n".join(f"{n}\t{k}" for n, k in zip(names, kinds)))
    return vectors, names, kinds


def test_a_projection_of_your_own_vectors_end_to_end(pane, qtbot, tmp_path):
    vectors, names, kinds = write_vectors(tmp_path)
    click_tab(qtbot, pane, pane.projector)
    tab, panel = pane.projector, pane.projector.panel
    tab.source.setCurrentIndex(tab.source.findData("vectors"))
    qtbot.keyClicks(tab.vectors_path, str(tmp_path / "vectors.tsv"))
    qtbot.keyClicks(tab.metadata_path, str(tmp_path / "metadata.tsv"))
    with qtbot.waitSignal(panel.projected, timeout=SLOW_MS):
        qtbot.mouseClick(tab.load_button, Qt.MouseButton.LeftButton)
    assert panel.scatter.n_points == 120 and panel.scatter.labels() == names  # every row, no sampling
    assert "PCA 1" in panel.scatter.plot.getAxis("bottom").labelText

    panel.colour_by.setCurrentIndex(panel.colour_by.findData("column:kind"))
    assert panel.scatter._group_names == ["car", "cat", "dog"]
    assert panel.scatter.legend.isVisible()

    # click the first point: its neighbours in the original 8-D space are its own kind
    x, y = panel.scatter.coords()[0]
    with qtbot.waitSignal(panel.neighbours_found, timeout=SLOW_MS):  # asked of the model host
        panel.scatter.click_at(pg_point(x, y))
    shown = panel.neighbours_shown()
    assert len(shown) == panel.k.value() and all(name.startswith("cat") for name in shown)

    panel.scatter.set_search("^dog4[0-9]$", only_matches=True)
    assert "10 of 120 match" in panel.scatter.match_label.text()
    assert panel.scatter.drawn_count() == 10

    # t-SNE: positions arrive while it runs, then the final map
    partials = []
    panel.partial_shown.connect(partials.append)
    panel.method.setCurrentIndex(panel.method.findData("tsne"))
    panel.iterations.setValue(100)
    with qtbot.waitSignal(panel.projected, timeout=SLOW_MS):
        qtbot.mouseClick(panel.project_button, Qt.MouseButton.LeftButton)
    # 100 iterations of early exaggeration (capped at the iterations asked for), then 100 more
    assert len(partials) >= 10 and partials == sorted(partials) and partials[-1] == 200
    coords = panel.scatter.coords()
    assert coords.shape == (120, 2)
    d = ((coords[:, None] - coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (np.array(kinds)[d.argmin(1)] == np.array(kinds)).mean() > 0.95


def pg_point(x, y):
    from PySide6.QtCore import QPointF

    return QPointF(float(x), float(y))


def test_t_sne_can_be_cancelled_and_bad_files_get_clear_messages(pane, qtbot, tmp_path):
    write_vectors(tmp_path)
    click_tab(qtbot, pane, pane.projector)
    tab, panel = pane.projector, pane.projector.panel
    tab.source.setCurrentIndex(tab.source.findData("vectors"))
    tab.vectors_path.setText(str(tmp_path / "vectors.tsv"))
    with qtbot.waitSignal(panel.projected, timeout=SLOW_MS):
        qtbot.mouseClick(tab.load_button, Qt.MouseButton.LeftButton)
    panel.method.setCurrentIndex(panel.method.findData("tsne"))
    panel.iterations.setValue(5000)
    qtbot.mouseClick(panel.project_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "t-SNE iteration" in panel.message.text(), timeout=SLOW_MS)
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    idle(qtbot, pane, 30_000)
    assert "Cancelled" in panel.message.text() and panel.project_button.isEnabled()
    assert panel.scatter.n_points == 120  # the last positions stay

    (tmp_path / "ragged.tsv").write_text("1\t2\t3\n4\t5\n")
    tab.vectors_path.setText(str(tmp_path / "ragged.tsv"))
    qtbot.mouseClick(tab.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.message.is_error, timeout=SLOW_MS)
    assert "line 2: 2 numbers where line 1 has 3" in tab.message.text()

    tab.vectors_path.setText(str(tmp_path / "vectors.tsv"))
    (tmp_path / "short.tsv").write_text("a\nb\n")
    tab.metadata_path.setText(str(tmp_path / "short.tsv"))
    qtbot.mouseClick(tab.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "2 rows but there are 120 vectors" in tab.message.text(), timeout=SLOW_MS)

    tab.metadata_path.setText("")
    (tmp_path / "one.tsv").write_text("1\t2\n")
    tab.vectors_path.setText(str(tmp_path / "one.tsv"))
    qtbot.mouseClick(tab.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "one item" in tab.message.text(), timeout=SLOW_MS)


def test_the_contextual_bank_separates_river_from_money_at_the_last_layer(pane, qtbot):
    pane.apply_preset("bank")
    tab = pane.contextual
    qtbot.waitUntil(lambda: tab.result is not None, timeout=SLOW_MS)
    last = tab.matrix.values
    assert tab.layer.value() == 6 and last.shape == (4, 4)
    assert last[0, 1] > last[0, 2] and last[0, 1] > last[1, 2]  # river-river above river-money
    assert "one vector" in tab.static_label.text()
    tab.layer.setValue(0)
    assert tab.layer_label.text() == "layer 0 of 6"
    assert tab.matrix.values[0, 2] > last[0, 2]  # the input layer barely sees the context


def test_sentences_are_clustered_by_topic(pane, qtbot):
    pane.apply_preset("sentences")
    panel = pane.sentences.panel
    qtbot.waitUntil(lambda: panel.scatter._group_names == ["cluster 1", "cluster 2", "cluster 3"]
                    and panel.scatter.n_points == 12, timeout=SLOW_MS)
    idle(qtbot, pane)
    codes = panel.scatter._codes
    # the four animal, finance and weather sentences each share a cluster
    for start in (0, 4, 8):
        assert len(set(codes[start:start + 4])) == 1
    assert len(set(codes)) == 3
    assert pane.sentences.table.rowCount() == 12


def test_typed_sentences_show_their_minilm_cosines_in_the_table(pane, qtbot):
    from sentence_transformers import SentenceTransformer

    # (was the retired Sentence similarity pane's first test)
    click_tab(qtbot, pane, pane.sentences)
    idle(qtbot, pane)  # the tab's first run (its example sentences) finishes first
    tab = pane.sentences
    sentences = ["A cat sat on the mat.", "Interest rates rose again.", "A kitten rested on the rug."]
    type_lines(qtbot, tab.editor, sentences)
    qtbot.waitUntil(lambda: tab.result is not None and len(tab.result.texts) == 3, timeout=SLOW_MS)
    idle(qtbot, pane)
    shown = np.array([[float(tab.table.item(i, j).text()) for j in range(3)] for i in range(3)])
    # the numbers are sentence-transformers' own: its pipeline on the same MiniLM files gives the same cosines
    expected = reference_cosines(SentenceTransformer(str(paths.minilm_dir()), device="cpu"), sentences)
    assert np.allclose(tab.table.values, expected, atol=1e-5)
    assert np.allclose(shown, expected, atol=0.005 + 1e-6)  # shown to 2 decimals
    assert np.allclose(np.diag(shown), 1.0, atol=0.01)
    # the two sentences about cats (1 and 3) are the most similar pair, and the summary says so
    assert shown[0, 2] > shown[0, 1] and shown[0, 2] > shown[1, 2]
    assert tab.summary_text().startswith(f"Most similar: 1 and 3 (cosine {shown[0, 2]:.2f})")
    assert "Least similar: 1 and 2" in tab.summary_text() or "Least similar: 2 and 3" in tab.summary_text()
    assert tab.table.item(0, 2).font().bold() and not tab.table.item(0, 1).font().bold()
    # rows name their sentence; the tooltip has all of it and the word pieces MiniLM read
    header = tab.table.verticalHeader()
    assert [tab.table.verticalHeaderItem(i).text() for i in range(3)] == \
        [f"{i + 1}. {s}" for i, s in enumerate(sentences)]
    tip = tab.table.verticalHeaderItem(2).toolTip()
    assert "A kitten rested on the rug." in tip and "[CLS] a kitten rested on the rug . [SEP]" in tip
    assert header.isVisible() and header.width() > tab.table.fontMetrics().horizontalAdvance("1. A cat")
    assert tab.table.horizontalHeaderItem(0).text() == "1"
    assert "3 sentences" in tab.message.text() and "384-d" in tab.message.text()
    assert tab.panel.scatter.n_points == 3
    assert tab.table.export_data()["__rows__"][0] == "1. A cat sat on the mat."

    # clearing the text takes the old table, summary and map away: nothing on screen for text that is gone
    type_lines(qtbot, tab.editor, ["   "])
    qtbot.waitUntil(lambda: tab.message.is_error and "Type some sentences" in tab.message.text(), timeout=5_000)
    assert tab.table.rowCount() == 0 and tab.table.columnCount() == 0 and tab.table.export_data() == {}
    assert tab.summary_text() == "" and tab.result is None
    assert tab.panel.scatter.n_points == 0 and tab.panel.scatter.empty.isVisible()
    assert "two or more sentences" in tab.panel.scatter.empty.toPlainText()

    type_lines(qtbot, tab.editor, ["A cat sat on the mat.", "Interest rates rose again."])
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2 and tab.panel.scatter.n_points == 2, timeout=SLOW_MS)
    assert tab.summary_text().startswith("Most similar: 1 and 2") and "Least similar" not in tab.summary_text()
    # cut to one sentence: the two-sentence table and map go too, and stay gone once the worker is idle
    type_lines(qtbot, tab.editor, ["Only one sentence."])
    qtbot.waitUntil(lambda: "at least two sentences" in tab.message.text(), timeout=5_000)
    idle(qtbot, pane)
    assert tab.table.rowCount() == 0 and tab.panel.scatter.n_points == 0 and tab.summary_text() == ""


def test_the_paraphrases_preset_pairs_paraphrases_not_shared_words(pane, qtbot):
    pane.apply_preset("paraphrases")
    tab = pane.sentences
    assert pane.current_tab() is tab
    qtbot.waitUntil(lambda: tab.result is not None and tab.panel.scatter.n_points == 6, timeout=SLOW_MS)
    idle(qtbot, pane)
    # the two ways of saying Sarah fed her cat; a cat sentence and a stock-market one are the furthest apart
    assert tab.summary_text().startswith("Most similar: 1 and 2 (cosine 0.")
    assert "Least similar: 1 and 4" in tab.summary_text()
    values = tab.table.values
    assert values[3, 4] > values[3, 5] > values[0, 3]  # paraphrase > related > unrelated, for the stock market
    assert tab.table.verticalHeaderItem(3).text() == "4. Stock markets fell sharply today."


def test_the_empty_bank_map_shows_its_whole_hint(pane, qtbot):
    # shown but not yet computed: the hint sits inside the plot, not half below its bottom edge
    tab = pane.contextual
    pane.show_tab(tab)  # shown without computing: the state before its first result
    qtbot.waitUntil(lambda: tab.scatter.view_box.height() > 100, timeout=5_000)
    hint = tab.scatter.empty
    assert hint.isVisible() and "sentences that use it" in hint.toPlainText()
    view = tab.scatter.view_box
    # (the text item moves to its place when the view paints)
    qtbot.waitUntil(lambda: view.sceneBoundingRect().contains(hint.sceneBoundingRect()), timeout=5_000)
    centre, middle = hint.sceneBoundingRect().center(), view.sceneBoundingRect().center()
    assert abs(centre.y() - middle.y()) < 5 and abs(centre.x() - middle.x()) < 5


def test_a_token_cloud_shows_every_token_and_finds_them(pane, qtbot):
    click_tab(qtbot, pane, pane.tokens)
    tab = pane.tokens
    tab.set_model("minilm")
    qtbot.waitUntil(lambda: tab.panel.scatter.n_points == 30_522, timeout=SLOW_MS)
    idle(qtbot, pane)
    tab.panel.scatter.set_search("^##ing$")
    assert tab.panel.scatter.match_label.text().startswith("1 of 30,522")
    assert tab.panel.scatter.labelled_indices() == [tab.panel.labels().index("##ing")]


def test_the_state_round_trips_through_a_new_pane(engine, qtbot, tmp_path):
    from explorer.ui.embeddings.pane import EmbeddingsPane

    first = EmbeddingsPane(engine)
    qtbot.addWidget(first)
    first.analogy.base.setText("berlin")
    first.neighbours.word.setText("frog")
    first.projector.source.setCurrentIndex(first.projector.source.findData("vectors"))
    first.projector.vectors_path.setText(str(tmp_path / "v.tsv"))
    first.projector.panel.scatter.set_label_size(20)
    first.projector.panel.method.setCurrentIndex(first.projector.panel.method.findData("tsne"))
    first.show_tab(first.axes)
    state = first.state()
    import json

    state = json.loads(json.dumps(state))  # JSON-safe
    second = EmbeddingsPane(engine)
    qtbot.addWidget(second)
    second.restore_state(state)
    assert second.current_tab() is second.axes
    assert second.analogy.base.text() == "berlin"
    assert second.projector.vectors_path.text() == str(tmp_path / "v.tsv")
    assert second.projector.panel.scatter.label_size_pt() == 20
    assert second.projector.panel.method.currentData() == "tsne"
    second.restore_state({"analogy": {"base": 5}, "tab": "nope"})  # wrong types are ignored
    assert second.analogy.base.text() == "berlin"


def test_the_pane_is_built_and_scaled_in_presenter_font_sizes(main_window, qtbot):
    # a widget attribute named like a Qt virtual (QWidget.metric) once crashed Qt right here
    main_window.set_font_scale(1.75)
    pane = main_window.show_pane("embeddings")
    qtbot.waitUntil(pane.isVisible, timeout=10_000)
    assert pane.analogy.scatter._font_scale == 1.75
    assert pane.projector.panel.scatter.plot.getAxis("bottom").style["tickFont"].pointSizeF() == 11 * 1.75
    main_window.set_font_scale(1.0)
    assert pane.contextual.scatter._font_scale == 1.0
