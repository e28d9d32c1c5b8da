"""The Q/K/V tab: one query token's attention in one head, every number from the model's weights.

The layer's capture stays in the model host; this view receives one head's numbers (`HeadCapture`).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from explorer.core.model_anatomy import gqa_groups
from explorer.core.qkv import HeadCapture, StepThrough
from explorer.ui.attention.common import TokenPicker, caption, head_spins, quiet_set
from explorer.ui.widgets.boxes import column_of, row_of, side_by_side
from explorer.ui.widgets.heatmap import HeatmapView, display_label

COLUMNS = ["#", "key token", "q·k", "× 1/√d", "+ mask", "softmax", "model's weight", "‖weight·v‖"]


def _num(value: float, digits: int = 3) -> str:
    if value == -np.inf:
        return "−∞"
    return f"{value:.{digits}f}"


class QKVView(QWidget):
    head_chosen = Signal(int, int)
    query_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.capture: HeadCapture | None = None
        self.tokens: list[str] = []
        self.step: StepThrough | None = None
        self.layer = self.head = self.query = 0

        self.layer_spin, self.head_spin = head_spins(self.head_chosen)
        self.query_pick = TokenPicker()
        self.query_pick.picked.connect(self.query_chosen)
        controls = row_of("Layer", self.layer_spin, "Head", self.head_spin, "Query token", self.query_pick,
                          end_stretch=True)
        self.status = caption("Choose a layer, a head and a query token.")

        self.x_map = HeatmapView("value", "", "dimension of the layer input", show_hover=True, rotate_columns=False)
        self.vec_map = HeatmapView("value", "", "dimension within the head", show_hover=True, rotate_columns=False)
        self.k_map = HeatmapView("value", "key of token", "dimension", rotate_columns=False)
        self.v_map = HeatmapView("value", "value of token", "dimension", rotate_columns=False)
        self._set_heights(1.0)
        self.x_caption = caption()
        self.vec_caption = caption()
        self.kv_caption = caption()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        # sized once after filling: ResizeToContents would re-measure every column on every new cell
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setResizeContentsPrecision(64)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.result_label = caption()

        left = column_of(self.x_caption, (self.x_map, 3), self.vec_caption, (self.vec_map, 4), self.kv_caption,
                         (row_of(self.k_map, self.v_map), 5), margins=(0, 0, 6, 0))
        right = column_of(caption("<b>Scores → weights</b>: one row per token the query could look at. "
                                  "Masked tokens get −∞, so softmax gives them 0."),
                          (self.table, 1), self.result_label, margins=(6, 0, 0, 0))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(side_by_side(left, right, [700, 640]), 1)

    def set_limits(self, tokens: list[str], num_layers: int, num_heads: int) -> None:
        if list(tokens) != self.tokens:
            self.capture = None  # it belonged to another text
        self.tokens = list(tokens)
        self.query = min(self.query, len(tokens) - 1)
        quiet_set(self.layer_spin, min(self.layer, num_layers - 1), num_layers - 1)
        quiet_set(self.head_spin, min(self.head, num_heads - 1), num_heads - 1)
        self.query_pick.set_tokens(tokens, self.query)

    def show_step(self, layer: int, head: int, query: int, capture: HeadCapture | None) -> None:
        """Show one step-through; without this head's capture, say it is coming."""
        self.layer, self.head, self.query = layer, head, query
        quiet_set(self.layer_spin, layer)
        quiet_set(self.head_spin, head)
        self.query_pick.set_current(query)
        self.capture = capture
        if capture is not None and (capture.layer, capture.head, capture.step.query) == (layer, head, query) \
                and capture.num_tokens == len(self.tokens):
            self.refresh()
        else:
            self.status.setText(f"Running the model up to layer {layer} to capture its queries, keys and "
                                "values…")

    def set_message(self, text: str) -> None:
        self.status.setText(text)

    def refresh(self) -> None:
        cap = self.capture
        if cap is None or not self.tokens or cap.num_tokens != len(self.tokens):
            return
        st = cap.step
        query, head = st.query, st.head
        self.step = st
        d = st.head_dim
        tokens = self.tokens
        q_name = display_label(tokens[query])
        groups = gqa_groups(cap.num_heads, cap.num_kv_heads)
        sharing = groups[st.kv_head]
        gqa = "" if cap.num_kv_heads == cap.num_heads else (
            f" Grouped-query attention: query heads {sharing[0]}–{sharing[-1]} share key/value head {st.kv_head}.")
        self.status.setText(f"<b>Layer {cap.layer}, head {head}</b>, query “{q_name}” (token {query}). "
                            f"Head size d = {d}, so scores are multiplied by {st.scale:.4f}"
                            f"{' (= 1/√' + str(d) + ')' if abs(st.scale - d ** -0.5) < 1e-9 else ''}.{gqa}")
        # 1. the layer input
        self.x_caption.setText(f"<b>1. x</b> = what enters layer {cap.layer}'s attention for “{q_name}” "
                               f"(after the layer's input norm): {st.x.size} numbers")
        lim = float(np.abs(st.x).max()) or 1.0
        self.x_map.set_matrix(st.x[None, :], ["x"], [str(i) for i in range(st.x.size)], levels=(-lim, lim),
                              colormap="CET-D1")
        # 2. q, (q rotated), output vs model output
        rows = [st.q]
        names = ["q = x·W_Q"]
        if st.q_rot is not None:
            rows.append(st.q_rot)
            names.append("q after RoPE")
        rows += [st.output, st.model_output]
        names += ["Σ weight·v", "model's output"]
        vec = np.stack(rows)
        lim = float(np.abs(vec).max()) or 1.0
        self.vec_map.set_matrix(vec, names, [str(i) for i in range(d)], levels=(-lim, lim), colormap="CET-D1")
        bias = " + b_Q" if cap.has_bias else ""
        self.vec_caption.setText(f"<b>2. q = x·W_Q{bias}</b> with this head's {d} × {st.x.size} slice of W_Q"
                                 + (", then rotated by RoPE for position " + str(query) if st.q_rot is not None
                                    else "")
                                 + f"; <b>5.</b> the weighted sum of values next to the model's own output")
        # 3. keys and values of every token (rows), RoPE-rotated keys where used
        keys = st.keys_rot if st.keys_rot is not None else st.keys
        hidden = np.repeat(~st.visible[:, None], d, axis=1)
        lim_k = float(np.abs(keys).max()) or 1.0
        lim_v = float(np.abs(st.values).max()) or 1.0
        labels = [display_label(t) for t in tokens]
        self.k_map.set_matrix(keys, labels, [str(i) for i in range(d)], mask=hidden if hidden.any() else None,
                              levels=(-lim_k, lim_k), colormap="CET-D1")
        self.v_map.set_matrix(st.values, labels, [str(i) for i in range(d)],
                              mask=hidden if hidden.any() else None, levels=(-lim_v, lim_v), colormap="CET-D1")
        self.kv_caption.setText(f"<b>3. Keys</b> k = x·W_K{' (after RoPE)' if st.keys_rot is not None else ''} "
                                f"and <b>values</b> v = x·W_V of every token (key/value head {st.kv_head}); "
                                "grey rows are hidden from the query by the mask")
        # 4. the table
        self._fill_table(st)
        diff = st.output_difference
        ok = diff < 1e-4
        colour = "#1a7f37" if ok else "#b42318"
        self.result_label.setText(
            f"<b>4.</b> softmax(q·k × {st.scale:.4f} + mask) gives the weights; "
            f"<b>5.</b> Σ weight × v is the head's output. "
            f"Largest difference from the model's own output: "
            f"<b style='color:{colour}'>{diff:.2e}</b> {'✓ same numbers' if ok else '✗ differs'}")

    def _fill_table(self, st: StepThrough) -> None:
        tokens = self.tokens
        order = np.arange(len(tokens))
        self.table.setUpdatesEnabled(False)
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(order))
        best = int(np.argmax(st.weights))
        contrib = np.linalg.norm(st.weights[:, None] * st.values, axis=1)
        for row, j in enumerate(order):
            visible = bool(st.visible[j])
            cells = [str(j), display_label(tokens[j]), _num(float(st.dot[j])), _num(float(st.scaled[j])),
                     _num(float(st.masked[j])), _num(float(st.weights[j]), 4), _num(float(st.model_weights[j]), 4),
                     _num(float(contrib[j]))]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter if col != 1 else
                                      Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                if not visible:
                    item.setForeground(QBrush(QColor("#8a8a8a")))
                if j == best:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(QBrush(QColor(255, 214, 102, 140)))
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.setUpdatesEnabled(True)

    def _set_heights(self, font_scale: float) -> None:
        """Strips and maps keep room for their labels and colour bars at any font size."""
        scale = max(1.0, font_scale)
        self.x_map.setMinimumHeight(int(125 * scale))
        self.vec_map.setMinimumHeight(int(190 * scale))
        self.k_map.setMinimumHeight(int(210 * scale))
        self.v_map.setMinimumHeight(int(210 * scale))

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        for view in (self.x_map, self.vec_map, self.k_map, self.v_map):
            view.apply_view_settings(font_scale, dark)
        self._set_heights(font_scale)

    def data(self) -> dict:
        st = self.step
        if st is None:
            return {}
        return {"steps": [{"token_index": int(j), "token": self.tokens[j], "q_dot_k": float(st.dot[j]),
                           "scaled": float(st.scaled[j]), "masked": float(st.masked[j]),
                           "softmax": float(st.weights[j]), "model_weight": float(st.model_weights[j])}
                          for j in range(len(self.tokens))],
                "output": st.output, "model_output": st.model_output}
