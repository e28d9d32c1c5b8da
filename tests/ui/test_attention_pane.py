"""The attention pane driven as a user would: choose a head, step through Q/K/V, apply a local mask,
generate a token. Real models (SmolLM2, MiniLM) run on the engine's worker thread."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from explorer.ui.attention.pane import AttentionPane
from explorer.ui.attention.tabs import TABS

TIMEOUT = 180_000


@pytest.fixture
def pane(qtbot, engine):
    widget = AttentionPane(engine)
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    yield widget
    engine.cancel()


def wait_idle(qtbot, pane):
    qtbot.waitUntil(lambda: not pane.is_busy() and pane.engine.is_idle(), timeout=TIMEOUT)


def click_view(qtbot, plot_widget, vb, x: float, y: float) -> None:
    """Click the plot at view coordinates (x, y)."""
    scene = vb.mapViewToScene(QPointF(x, y))
    pos = plot_widget.mapFromScene(scene)
    QTest.mouseMove(plot_widget.viewport(), QPoint(pos.x(), pos.y()))
    QTest.mouseClick(plot_widget.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(pos.x(), pos.y()))


def host_call(qtbot, pane, operation: str, **arguments):
    """What the model host answers (the maps stay there): the numbers the views must show."""
    got = []
    pane.engine.run(operation, arguments, owner="test.reference", on_result=got.append, on_error=got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=TIMEOUT)
    assert not isinstance(got[0], str), got[0]
    return got[0]


def host_map(qtbot, pane, layer: int, head: int, run: str = "main") -> np.ndarray:
    return host_call(qtbot, pane, "attention.map", run=run, ids=pane.analysis.result.token_ids, layer=layer,
                     head=head)


def show_tab(pane, key: str) -> None:
    pane.tabs.setCurrentIndex([k for k, _ in TABS].index(key))


def test_sarah_preset_finds_the_head_where_it_attends_to_cat_and_a_click_chooses_another(qtbot, pane):
    pane.apply_preset("sarah")
    wait_idle(qtbot, pane)
    r = pane.analysis.result
    assert r.tokens == ["Sarah", " fed", " the", " cat", " because", " it"]
    assert (pane.query_index(), pane.key_index()) == (5, 3)
    between = host_call(qtbot, pane, "attention.pair", ids=r.token_ids, query=5, key=3)[0]
    best = between.max()
    assert between[pane.layer, pane.head] == best > 0.4
    view = pane.heads_view
    assert np.array_equal(view.heatmap.values, host_map(qtbot, pane, pane.layer, pane.head))
    assert "“it” → “cat”" in view.map_title.text()
    # the ranking table lists that head first
    assert (view.table.item(0, 0).text(), view.table.item(0, 1).text()) == (str(pane.layer), str(pane.head))
    # the decoder's future is greyed out
    assert view.heatmap.mask is not None and view.heatmap.mask[0, 1] and not view.heatmap.mask[1, 0]

    # a user clicks the thumbnail of layer 2, head 7 in the model view
    click_view(qtbot, view.grid.plot_widget, view.grid.vb, 7.5, 2.5)
    qtbot.waitUntil(lambda: (pane.layer, pane.head) == (2, 7), timeout=5000)
    expected = host_map(qtbot, pane, 2, 7)
    qtbot.waitUntil(lambda: np.array_equal(view.heatmap.values, expected), timeout=TIMEOUT)
    assert view.layer_spin.value() == 2 and view.head_spin.value() == 7
    # hovering a cell shows its exact weight
    heat = view.heatmap
    scene = heat.vb.mapViewToScene(QPointF(3.5, 5.5))
    pos = heat.plot_widget.mapFromScene(scene)
    QTest.mouseMove(heat.plot_widget.viewport(), QPoint(pos.x(), pos.y()))
    qtbot.waitUntil(lambda: "cat" in heat.hover_label.text(), timeout=5000)
    assert f"{expected[5, 3]:.4f}" in heat.hover_label.text()
    # rank heads by previous-token attention instead (by default without the first token)
    assert view.skip_first.isChecked()
    view.set_ranking_key("previous")
    top_layer, top_head = int(view.table.item(0, 0).text()), int(view.table.item(0, 1).text())
    assert r.stats.previous_rest[top_layer, top_head] == r.stats.previous_rest.max()
    view.skip_first.setChecked(False)
    top_layer, top_head = int(view.table.item(0, 0).text()), int(view.table.item(0, 1).text())
    assert r.stats.previous[top_layer, top_head] == r.stats.previous.max()
    # entropy is computed on the worker when asked for: the most focused head comes first
    view.set_ranking_key("entropy")
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=TIMEOUT)
    top_layer, top_head = int(view.table.item(0, 0).text()), int(view.table.item(0, 1).text())
    assert r.stats.entropy[top_layer, top_head] == r.stats.entropy.min()
    assert view.rank_note.isVisible() and "first token" in view.rank_note.text()  # focused on the sink
    view.skip_first.setChecked(True)
    top_layer, top_head = int(view.table.item(0, 0).text()), int(view.table.item(0, 1).text())
    assert r.stats.entropy_rest[top_layer, top_head] == r.stats.entropy_rest.min()


def test_step_through_qkv_matches_the_model_and_follows_the_chosen_query(qtbot, pane):
    pane.apply_preset("qkv")
    wait_idle(qtbot, pane)
    assert pane.current_tab() == "qkv"
    view = pane.qkv_view
    qtbot.waitUntil(lambda: view.step is not None, timeout=TIMEOUT)
    st = view.step
    assert (st.layer, st.head, st.query) == (pane.layer, pane.head, 5)
    assert st.output_difference < 1e-4
    assert "same numbers" in view.result_label.text()
    # the table row for "cat" shows the softmax weight, equal to the model's own weight
    row = [view.table.item(i, 1).text() for i in range(view.table.rowCount())].index("cat")
    assert float(view.table.item(row, 5).text()) == pytest.approx(float(view.table.item(row, 6).text()), abs=1e-4)
    assert view.table.item(5, 4).text() != "−∞" and "q = x·W_Q" in view.vec_map.raw_row_labels
    # the user picks the query token "cat": "because" and "it" become masked
    view.query_pick.setCurrentIndex(3)
    qtbot.waitUntil(lambda: view.step.query == 3, timeout=5000)
    assert view.table.item(5, 4).text() == "−∞" and view.step.output_difference < 1e-4
    # and another layer: the worker captures it, the numbers still match
    view.layer_spin.setValue(20)
    qtbot.waitUntil(lambda: view.step.layer == 20, timeout=TIMEOUT)
    assert view.step.output_difference < 1e-4


def test_a_local_mask_reruns_the_model_in_every_layer(qtbot, pane):
    pane.set_text("Sarah fed the cat because it was hungry")
    pane.recompute()
    wait_idle(qtbot, pane)
    show_tab(pane, "local")
    view = pane.local_view
    full = pane.analysis.result
    view.pattern.setCurrentIndex(view.pattern.findData("sliding"))
    view.window.setValue(2)
    assert view.mask_map.values[5].tolist() == [0, 0, 0, 0, 1, 1, 0, 0]
    qtbot.mouseClick(view.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.masked is not None, timeout=TIMEOUT)
    wait_idle(qtbot, pane)
    masked = view.masked
    assert np.array_equal(view.masked_map.values, host_map(qtbot, pane, pane.layer, pane.head, run="local"))
    assert view.masked_map.values[5, :4].max() == 0.0
    assert view.masked_change > 0.1
    assert not np.array_equal(view.masked_map.values, view.full_map.values)
    assert "Next token with the mask" in view.next_label.text()
    # a window as long as the text changes nothing
    view.window.setValue(full.num_tokens)
    qtbot.mouseClick(view.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.masked is not masked, timeout=TIMEOUT)
    wait_idle(qtbot, pane)
    assert view.masked_change < 1e-6
    assert "largest change in any head 0.000" in view.masked_title.text()


def test_the_local_tab_never_draws_another_texts_map_over_its_own(qtbot, pane):
    """Found by the soak: a new text's maps drawn with the tokens the hidden local tab still held."""
    pane.set_text("Sarah fed the cat because it was hungry")
    pane.recompute()
    wait_idle(qtbot, pane)
    show_tab(pane, "local")
    wait_idle(qtbot, pane)
    shown = pane.local_view.full_map.values.copy()
    show_tab(pane, "heads")
    pane.set_text("The cat sat")
    pane.recompute()
    wait_idle(qtbot, pane)
    pane.local_view.set_selection(pane.layer, (pane.head + 1) % pane.analysis.result.num_heads)  # while hidden
    wait_idle(qtbot, pane)
    assert pane.local_view.full_map.values.shape == shown.shape  # still its own text's map, not the new text's
    show_tab(pane, "local")  # shown again: the new text
    wait_idle(qtbot, pane)
    assert pane.local_view.full_map.values.shape == (pane.analysis.result.num_tokens,) * 2


def test_generate_one_token_appends_it_and_updates_every_view(qtbot, pane):
    pane.apply_preset("next-token")
    wait_idle(qtbot, pane)
    view = pane.forward_view
    assert view.rows[0][1] == " Paris"
    assert view.bar_axis.labels[0] == "␣Paris"
    assert pane.analysis.lens[-1].token == " Paris"
    ids = list(pane.analysis.result.token_ids)
    paris = int(np.argmax(pane.analysis.result.next_logits))
    qtbot.mouseClick(view.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.text() == "The capital of France is Paris" and not pane.is_busy(), timeout=TIMEOUT)
    wait_idle(qtbot, pane)
    r = pane.analysis.result
    assert r.num_tokens == 6 and r.tokens[-1] == " Paris"
    assert r.token_ids == ids + [paris]  # the chosen id is appended to the ids, not re-tokenized text
    assert "“␣Paris”" in view.generated.text()
    assert view.rows[0][1] != " Paris"  # the next prediction, after "Paris"
    for tab in ("heads", "local", "gqa"):  # every view shows the longer text once it is shown
        show_tab(pane, tab)
    wait_idle(qtbot, pane)
    assert pane.heads_view.heatmap.values.shape == (6, 6)
    assert pane.local_view.full_map.values.shape == (6, 6)
    assert pane.gqa_view.num_tokens == 6
    show_tab(pane, "forward")
    # temperature and top-k change the sampling distribution shown
    view.top_k.setValue(2)
    assert sum(1 for _, _, p, _ in view.rows if p > 0) == 2
    qtbot.mouseClick(view.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.text() == "The capital of France is" and not pane.is_busy(), timeout=TIMEOUT)
    wait_idle(qtbot, pane)
    assert pane.analysis.result.num_tokens == 5 and pane.analysis.result.token_ids == ids


def test_the_encoder_state_export_and_presenter_fonts(qtbot, pane, tmp_path):
    pane.set_model_id("minilm")
    pane.set_text("The bank of the river.")
    pane.recompute()
    wait_idle(qtbot, pane)
    r = pane.analysis.result
    assert not r.causal and r.tokens[0] == "[CLS]"
    assert pane.heads_view.heatmap.mask is None  # bidirectional: nothing greyed
    show_tab(pane, "forward")
    assert pane.forward_view.encoder_note.isVisible() and not pane.forward_view.generate_button.isEnabled()
    show_tab(pane, "rope")
    assert "does not use RoPE" in pane.rope_view.intro.text()
    show_tab(pane, "compare")
    qtbot.waitUntil(lambda: len(pane.compare_view.results) == 2, timeout=TIMEOUT)
    wait_idle(qtbot, pane)  # and the maps it shows, from the model host
    assert pane.compare_view.maps["decoder"].mask is not None and pane.compare_view.maps["encoder"].mask is None

    state = pane.state()
    assert state["model"] == "minilm" and state["tab"] == "compare"
    other = AttentionPane(pane.engine)
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.model_id() == "minilm" and other.text() == "The bank of the river." \
        and other.current_tab() == "compare"

    targets = pane.export_targets()
    assert targets[0].name == "Encoder vs decoder"
    heads = next(t for t in targets if t.name == "Attention map")
    data = heads.data()
    assert data["attention"].shape == (r.num_tokens, r.num_tokens) and data["__rows__"] == r.tokens
    from explorer.ui import export

    written = export.export_data(heads, tmp_path / "map.csv", "csv")
    assert written[0].read_text().splitlines()[0].split(",")[1] == "[CLS]"

    before = pane.heads_view.heatmap.left_axis._metrics().height()
    pane.apply_view_settings(2.0, False)
    assert pane.heads_view.heatmap.left_axis._metrics().height() > 1.6 * before


def test_empty_text_gives_a_clear_message(qtbot, pane):
    pane.set_text("   ")
    pane.recompute()
    assert pane.message.isVisible() and "Type some text" in pane.message.text()


def test_leaving_the_first_token_out_of_the_it_to_sarah_ranking(qtbot, pane):
    pane.set_text("Sarah fed the cat because it")
    pane.recompute()
    wait_idle(qtbot, pane)
    view = pane.heads_view
    view.set_ranking_key("between")
    view.query_pick.setCurrentIndex(5)  # "it"
    view.key_pick.setCurrentIndex(0)  # "Sarah", the first token
    qtbot.waitUntil(lambda: (pane.query_index(), pane.key_index()) == (5, 0), timeout=5000)
    wait_idle(qtbot, pane)  # the pair's weights in every head come from the model host

    def table_top():
        return [(int(view.table.item(i, 0).text()), int(view.table.item(i, 1).text()),
                 float(view.table.item(i, 2).text())) for i in range(5)]

    view.skip_first.setChecked(False)
    raw = table_top()
    assert raw[0][2] >= 0.999  # heads at 1.000 ...
    assert view.rank_note.isVisible() and "attention sink" in view.rank_note.text()
    assert view.table.horizontalHeaderItem(2).text() == "weight"
    # ... that give "Sarah" nearly everything from every token: the caption names the sink
    pane.select_head(raw[0][0], raw[0][1])
    wait_idle(qtbot, pane)
    assert "Attention sink" in view.map_title.text() and "mostly that habit" in view.map_title.text()

    view.skip_first.setChecked(True)  # the user ticks the box: the ranking and its note change
    kept = table_top()
    assert kept != raw and view.table.horizontalHeaderItem(2).text() == "weight above habit"
    assert "MORE" in view.rank_note.text()
    layer, head, value = kept[0]
    chosen = host_map(qtbot, pane, layer, head)
    habit = chosen[1:5, 0].mean()
    assert value == pytest.approx(chosen[5, 0] - habit, abs=1e-3) and value > 0.3
    assert {(l, h) for l, h, _ in raw[:3]}.isdisjoint({(l, h) for l, h, _ in kept[:5]})
    # the orange outlines in the model view follow the ranking
    marked = {(round(m.rect().y()), round(m.rect().x())) for m in view.grid.marks}
    assert (layer, head) in marked and (raw[0][0], raw[0][1]) not in marked
    assert pane.state()["skip_first"] is True


def test_a_long_text_says_which_tokens_the_views_use(qtbot, pane):
    pane.set_model_id("minilm")
    pane.set_text("word " * 700 + "the end")
    pane.recompute()
    wait_idle(qtbot, pane)
    r = pane.analysis.result
    assert r.truncated_from == 704 and r.num_tokens == 512
    assert r.tokens[-3:] == ["the", "end", "[SEP]"] and r.tokens[0] == "[CLS]"  # the END of the text
    assert "its last 512" in pane.info.text()
    show_tab(pane, "forward")
    note = pane.forward_view.context_note
    assert note.isVisible() and "last 512" in note.text() and "tokens 193 to 704" in note.text()
