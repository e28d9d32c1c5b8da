"""The heads tab: the layer x head grid, a ranking of heads, and one head (or an average) large.

The maps stay in the model host: the large map and the token pair's weights (for the ranking) are
asked for through `HostMaps` and drawn when they come.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHeaderView, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.core.attention import SINK_SHARE, STAT_TITLES, Analysis
from explorer.core.head_ranking import Ranking, first_token_excess, rank_by
from explorer.ui.attention.common import TokenPicker, caption, compact, head_spins, quiet_set, token_item
from explorer.ui.widgets.boxes import column_of, row_of, side_by_side
from explorer.ui.attention.grid import HeadGrid
from explorer.ui.attention.maps import HostMaps
from explorer.ui.widgets.heatmap import HeatmapView, display_label

RANKINGS = {
    "between": "attention from the query token to the key token",
    "entropy": STAT_TITLES["entropy"],
    "previous": STAT_TITLES["previous"],
    "first": STAT_TITLES["first"],
}
SHOW = {"head": "one head", "layer": "mean of this layer's heads", "all": "mean of all layers and heads"}
SCALES = {"max": "colours: 0 to the largest shown", "one": "colours: 0 to 1"}


class HeadsView(QWidget):
    """Emits head_chosen / tokens_chosen; the pane keeps the shared selection."""

    head_chosen = Signal(int, int)
    tokens_chosen = Signal(int, int)  # query, key
    entropy_needed = Signal()  # ranking by entropy: the pane computes it on the worker

    def __init__(self, maps: HostMaps | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps = maps  # the main run's maps, in the model host
        self.analysis: Analysis | None = None
        self.layer = self.head = 0
        self.query = self.key = 0

        # --- left: model view + ranking ---
        self.grid = HeadGrid()
        self.grid.describe = self._describe_head
        self.grid.head_clicked.connect(self.head_chosen)
        self.rank_by = compact(QComboBox(), 18)
        for key, text in RANKINGS.items():
            self.rank_by.addItem(text, key)
        self.query_pick = TokenPicker()
        self.key_pick = TokenPicker()
        self.query_pick.picked.connect(lambda q: self.tokens_chosen.emit(q, self.key))
        self.key_pick.picked.connect(lambda k: self.tokens_chosen.emit(self.query, k))
        self.skip_first = QCheckBox("Leave out the first token (attention sink)")
        self.skip_first.setChecked(True)
        self.skip_first.setToolTip("Many heads park most of every token's weight on the first token. Ticked, "
                                   "rankings leave that out: attention TO the first token counts only above the "
                                   "head's habit, and previous-token and entropy rankings ignore the first token.")
        self.rank_note = caption()
        self.rank_note.setVisible(False)
        self.only_top = QCheckBox("Fade all but the top")
        self.top_n = QSpinBox(minimum=1, maximum=50, value=5)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["layer", "head", "value"])
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.cellClicked.connect(self._table_clicked)
        self.table.setMinimumHeight(120)
        self.table.setMaximumHeight(260)
        self.rank_by.currentIndexChanged.connect(self.refresh_ranking)
        self.only_top.toggled.connect(self.refresh_ranking)
        self.skip_first.toggled.connect(self._skip_first_toggled)
        self.top_n.valueChanged.connect(self.refresh_ranking)

        left = column_of(caption("<b>Every head</b> (rows = layers, columns = heads; click one). "
                                 "Each thumbnail is scaled to its own maximum."),
                         (self.grid, 5),
                         row_of("Rank heads by", (self.rank_by, 1)),
                         row_of("Query:", (self.query_pick, 1), "→ key:", (self.key_pick, 1)),
                         row_of(self.skip_first, end_stretch=True),
                         row_of(self.only_top, self.top_n, "heads", end_stretch=True),
                         self.rank_note,
                         (self.table, 2), margins=(0, 0, 6, 0))

        # --- right: one head large ---
        self.layer_spin, self.head_spin = head_spins(self.head_chosen)
        self.show_box = compact(QComboBox(), 12)
        for key, text in SHOW.items():
            self.show_box.addItem(text, key)
        self.scale_box = compact(QComboBox(), 12)
        for key, text in SCALES.items():
            self.scale_box.addItem(text, key)
        self.show_box.currentIndexChanged.connect(self.refresh_map)
        self.scale_box.currentIndexChanged.connect(self.refresh_map)
        # the combos take the free width of the row (with a stretch beside them they elided their text)
        controls = row_of("Layer", self.layer_spin, "Head", self.head_spin, (self.show_box, 1), (self.scale_box, 1))
        self.map_title = caption()
        self.heatmap = HeatmapView("attention weight", "query token (row)", "key token (column)")
        self.heatmap.clicked.connect(lambda r, c: self.tokens_chosen.emit(r, c))
        self.heatmap.hover_format = self._describe_cell
        right = column_of(controls, self.map_title, (self.heatmap, 1), margins=(6, 0, 0, 0))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(side_by_side(left, right, [520, 820], stretch=(2, 3)))

    # --- data in ---
    def set_analysis(self, analysis: Analysis, layer: int, head: int, query: int, key: int) -> None:
        self.analysis = analysis
        r = analysis.result
        self.grid.set_thumbnails(analysis.thumbs, r.num_kv_heads)
        quiet_set(self.layer_spin, layer, r.num_layers - 1)
        quiet_set(self.head_spin, head, r.num_heads - 1)
        self.query_pick.set_tokens(r.tokens, query)
        self.key_pick.set_tokens(r.tokens, key)
        self.layer, self.head, self.query, self.key = layer, head, query, key
        self.grid.set_selected(layer, head)
        self.refresh_ranking()
        self.refresh_map()

    def set_selection(self, layer: int, head: int, query: int, key: int) -> None:
        changed_tokens = (query, key) != (self.query, self.key)
        self.layer, self.head, self.query, self.key = layer, head, query, key
        if self.analysis is None:
            return
        quiet_set(self.layer_spin, layer)
        quiet_set(self.head_spin, head)
        self.query_pick.set_current(query)
        self.key_pick.set_current(key)
        self.grid.set_selected(layer, head)
        if changed_tokens:
            self.refresh_ranking()
        self.refresh_map()

    # --- ranking ---
    def ranking_key(self) -> str:
        return self.rank_by.currentData()

    def set_ranking_key(self, key: str) -> None:
        index = self.rank_by.findData(key)
        if index >= 0:
            self.rank_by.setCurrentIndex(index)

    def ranking(self) -> Ranking:
        if self.analysis is None:
            return Ranking([], "value")
        if self.ranking_key() == "between" and not self.maps.pair(self.query, self.key, self.refresh_ranking):
            return Ranking([], "weight", "")  # the pair's weights are on their way from the model process
        return rank_by(self.analysis.result, self.ranking_key(), self.query, self.key, self.skip_first.isChecked(),
                       top=max(10, self.top_n.value()))

    def ranked(self) -> list[tuple[int, int, float]]:
        return self.ranking().rows

    def _skip_first_toggled(self) -> None:
        self.refresh_ranking()
        self.refresh_map()

    def refresh_ranking(self) -> None:
        ranking = self.ranking()
        ranked = ranking.rows
        if self.analysis is not None and not ranked and self.ranking_key() == "entropy":
            self.entropy_needed.emit()
        top = ranked[:max(10, self.top_n.value())]
        self.table.setHorizontalHeaderLabels(["layer", "head", ranking.value])
        self.table.setRowCount(len(top))
        for row, (layer, head, value) in enumerate(top):
            for col, text in enumerate((str(layer), str(head), f"{value:.3f}")):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, col, item)
        self.rank_note.setText(html.escape(ranking.note))
        self.rank_note.setVisible(bool(ranking.note))
        self.rank_note.setStyleSheet("color: #b54708;" if ranking.sink_dominated else "")
        n = self.top_n.value()
        self.grid.set_marked([(l, h) for l, h, _ in ranked[:n]], dim_others=self.only_top.isChecked())

    def _table_clicked(self, row: int, _col: int) -> None:
        ranked = self.ranked()
        if 0 <= row < len(ranked):
            layer, head, _ = ranked[row]
            self.head_chosen.emit(layer, head)

    # --- the large map ---
    def mode(self) -> str:
        return self.show_box.currentData()

    def set_mode(self, mode: str) -> None:
        index = self.show_box.findData(mode)
        if index >= 0:
            self.show_box.setCurrentIndex(index)

    def shown_matrix(self) -> np.ndarray | None:
        """The map on show, if the model process has sent it."""
        if self.analysis is None:
            return None
        return self.maps.cached(self.mode(), self.layer, self.head)

    def refresh_map(self) -> None:
        if self.analysis is None:
            return
        r = self.analysis.result
        matrix = self.maps.matrix(self.mode(), self.layer, self.head, self.refresh_map)
        if matrix is None:
            return  # the current map stays until the chosen one comes (the latest choice wins)
        hidden = ~r.visible()
        levels = (0.0, 1.0) if self.scale_box.currentData() == "one" else None
        self.heatmap.set_matrix(matrix, r.tokens, r.tokens, mask=hidden if hidden.any() else None, levels=levels,
                                keep_view=True)
        if 0 <= self.query < r.num_tokens and 0 <= self.key < r.num_tokens:
            self.heatmap.set_highlight(self.query, self.key)
        mode = self.mode()
        what = {"head": f"Layer {self.layer}, head {self.head}",
                "layer": f"Layer {self.layer}: mean of its {r.num_heads} heads",
                "all": f"Mean of all {r.num_layers * r.num_heads} heads"}[mode]
        kind = "decoder: a token sees only itself and earlier tokens (grey = masked)" if r.causal else \
            "encoder: every token sees every token"
        q, k = self.query, self.key
        focus = ""
        if 0 <= q < r.num_tokens and 0 <= k < r.num_tokens:
            focus = (f" — “{display_label(r.tokens[q])}” → “{display_label(r.tokens[k])}”: "
                     f"<b>{float(matrix[q, k]):.3f}</b>")
        self.map_title.setText(f"<b>{what}</b> · {self.analysis.title}, {kind}{focus}{self._sink_remark(matrix)}")

    def _sink_remark(self, matrix: np.ndarray) -> str:
        """Names the attention sink when the first token takes most of the weight shown."""
        r = self.analysis.result
        if r.num_tokens < 2:
            return ""
        share = float(matrix[1:, 0].mean())  # what the tokens after the first give the first token
        if share < SINK_SHARE:
            return ""
        first = html.escape(display_label(r.tokens[0]))
        remark = (f"<br><span style='color:#b54708'>Attention sink: on average {share:.0%} of each token's weight "
                  f"goes to the first token “{first}”")
        if self.key == 0 and 0 < self.query < r.num_tokens:
            habit, excess = first_token_excess(matrix, self.query)
            if excess < 0.1:
                remark += ", so the weight on this pair is mostly that habit, not a link between the two tokens"
            else:
                name = html.escape(display_label(r.tokens[self.query]))
                remark += (f"; “{name}” gives it {excess:.2f} more than "
                           f"the other tokens do ({habit:.2f}): more than the habit")
        return remark + ".</span>"

    # --- hover texts ---
    def _describe_cell(self, r: int, c: int, value: float) -> str:
        res = self.analysis.result
        if not res.visible()[r, c]:
            return f"query {token_item(r, res.tokens[r])} cannot see key {token_item(c, res.tokens[c])} (masked)"
        return (f"query {token_item(r, res.tokens[r])} → key {token_item(c, res.tokens[c])}: "
                f"weight {value:.4f}")

    def _describe_head(self, layer: int, head: int) -> str:
        r = self.analysis.result
        s = r.stats
        text = f"layer {layer}, head {head}: "
        if s.entropy is not None:
            text += f"entropy {s.entropy[layer, head]:.2f} bits, "
        text += f"previous token {s.previous[layer, head]:.2f}, first token {s.first[layer, head]:.2f}"
        if s.first[layer, head] >= SINK_SHARE:
            text += " (an attention sink)"
        if 0 <= self.query < r.num_tokens and 0 <= self.key < r.num_tokens and r.has_pair(self.query, self.key):
            text += (f", “{display_label(r.tokens[self.query])}” → “{display_label(r.tokens[self.key])}” "
                     f"{r.between(self.query, self.key)[layer, head]:.2f}")
        return text

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.grid.apply_view_settings(font_scale, dark)
        self.heatmap.apply_view_settings(font_scale, dark)

    def data(self) -> dict:
        if self.analysis is None:
            return {}
        r = self.analysis.result
        matrix = self.shown_matrix()
        return {} if matrix is None else {"attention": matrix, "__rows__": r.tokens, "__columns__": r.tokens}
