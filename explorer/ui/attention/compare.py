"""Encoder vs decoder: the same sentence through MiniLM (bidirectional) and SmolLM2 (causal).

Both runs' maps stay in the model host ("compare.encoder", "compare.decoder"); the view asks for what it shows.
"""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QGridLayout, QSpinBox, QVBoxLayout, QWidget

from explorer.core.attention import AttentionResult
from explorer.ui.attention.common import caption, compact
from explorer.ui.attention.maps import HostMaps
from explorer.ui.widgets.boxes import row_of
from explorer.ui.widgets.heatmap import HeatmapView

SHOW = {"all": "mean of all heads and layers", "layer": "mean of one layer's heads", "head": "one head"}


class CompareView(QWidget):
    def __init__(self, host_maps: dict[str, HostMaps], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.host_maps = host_maps  # "encoder", "decoder": their maps in the model host
        self.results: dict[str, AttentionResult] = {}
        self.titles: dict[str, str] = {}
        self.show_box = compact(QComboBox(), 14)
        for key, text in SHOW.items():
            self.show_box.addItem(text, key)
        self.layer_spin = QSpinBox(minimum=0, maximum=99, value=0)
        self.head_spin = QSpinBox(minimum=0, maximum=99, value=0)
        for widget in (self.layer_spin, self.head_spin):
            widget.valueChanged.connect(self.refresh)
        self.show_box.currentIndexChanged.connect(self.refresh)
        controls = row_of("Show", self.show_box, "Layer", self.layer_spin, "Head", self.head_spin, end_stretch=True)
        self.intro = caption(
            "<b>Encoder vs decoder.</b> An encoder (MiniLM, BERT-style) lets every token look at every other "
            "token, both ways. A decoder (SmolLM2, GPT-style) lets a token look only at itself and the tokens "
            "before it (grey), which is what lets it generate text one token at a time.")
        self.maps = {"encoder": HeatmapView("attention weight", "query token", "key token"),
                     "decoder": HeatmapView("attention weight", "query token", "key token")}
        self.map_titles = {"encoder": caption("<b>Encoder</b>"), "decoder": caption("<b>Decoder</b>")}
        grid = QGridLayout()
        for col, side in enumerate(("encoder", "decoder")):
            grid.addWidget(self.map_titles[side], 0, col)
            grid.addWidget(self.maps[side], 1, col)
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addLayout(controls)
        layout.addLayout(grid, 1)

    def set_results(self, results: dict[str, AttentionResult], titles: dict[str, str]) -> None:
        self.results = dict(results)
        self.titles = dict(titles)
        for side, result in self.results.items():
            self.host_maps[side].bind(result)
        self.refresh()

    def settings(self) -> dict:
        return {"show": self.show_box.currentData(), "layer": self.layer_spin.value(), "head": self.head_spin.value()}

    def set_settings(self, data: dict) -> None:
        index = self.show_box.findData(data.get("show"))
        if index >= 0:
            self.show_box.setCurrentIndex(index)
        self.layer_spin.setValue(int(data.get("layer", 0)))
        self.head_spin.setValue(int(data.get("head", 0)))

    def _selection(self, r: AttentionResult) -> tuple[str, int, int, str]:
        """(mode, layer, head, what it shows in words) for result `r`."""
        mode = self.show_box.currentData()
        layer = min(self.layer_spin.value(), r.num_layers - 1)
        head = min(self.head_spin.value(), r.num_heads - 1)
        what = {"all": f"mean of all {r.num_layers * r.num_heads} heads",
                "layer": f"layer {layer}, mean of {r.num_heads} heads", "head": f"layer {layer}, head {head}"}[mode]
        return mode, layer, head, what

    def refresh(self) -> None:
        for side, view in self.maps.items():
            r = self.results.get(side)
            if r is None:
                continue
            mode, layer, head, what = self._selection(r)
            matrix = self.host_maps[side].matrix(mode, layer, head, self.refresh)
            if matrix is None:
                continue  # asked for: drawn when it comes
            hidden = ~r.visible()
            view.set_matrix(matrix, r.tokens, r.tokens, mask=hidden if hidden.any() else None, keep_view=True)
            how = "causal: each token sees only the past" if r.causal else "bidirectional: each token sees all"
            self.map_titles[side].setText(f"<b>{self.titles.get(side, side)}</b> — {how}; {what}; "
                                          f"{r.num_tokens} tokens")

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        for view in self.maps.values():
            view.apply_view_settings(font_scale, dark)

    def data(self) -> dict:
        out = {}
        for side, r in self.results.items():
            matrix = self.host_maps[side].cached(*self._selection(r)[:3])
            if matrix is not None:
                out[side] = matrix
        return out
