"""The local / sparse attention tab: a mask pattern, and the model rerun with it in every layer.

Both runs' maps stay in the model host; the view asks for the chosen head of each (`HostMaps`).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.core.attention import AttentionResult
from explorer.core.local_attention import PATTERN_TITLES, MaskSettings, build_mask, density
from explorer.ui.attention.common import caption, compact, head_spins, quiet_set
from explorer.ui.attention.maps import HostMaps
from explorer.ui.widgets.boxes import row_of
from explorer.ui.widgets.heatmap import HeatmapView, display_label


class LocalView(QWidget):
    rerun_requested = Signal(object)  # MaskSettings
    head_chosen = Signal(int, int)

    def __init__(self, full_maps: HostMaps, masked_maps: HostMaps, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.full_maps, self.masked_maps = full_maps, masked_maps  # in the model host
        self.full: AttentionResult | None = None
        self.masked: AttentionResult | None = None
        self.masked_change: float | None = None  # the largest change in any weight of any head
        self.masked_next: list | None = None
        self.full_next: list | None = None
        self.masked_settings = MaskSettings()
        self.layer = self.head = 0
        self.pattern = compact(QComboBox(), 12)
        for key, text in PATTERN_TITLES.items():
            self.pattern.addItem(text, key)
        self.window = QSpinBox(minimum=1, maximum=4096, value=4)
        self.stride = QSpinBox(minimum=1, maximum=4096, value=4)
        self.apply_button = QPushButton("Rerun with this mask")
        self.apply_button.setToolTip("Run the model again with this mask applied in every layer")
        self.apply_button.clicked.connect(lambda: self.rerun_requested.emit(self.settings()))
        for widget in (self.pattern,):
            widget.currentIndexChanged.connect(self.refresh_mask)
        self.window.valueChanged.connect(self.refresh_mask)
        self.stride.valueChanged.connect(self.refresh_mask)
        self.layer_spin, self.head_spin = head_spins(self.head_chosen)
        controls = row_of("Pattern", self.pattern, "window w", self.window, "stride s", self.stride, self.apply_button,
                          20, "Layer", self.layer_spin, "Head", self.head_spin, end_stretch=True)
        self.explain = caption()
        self.mask_map = HeatmapView("1 = may attend", "token being processed", "tokens it can attend to")
        self.full_map = HeatmapView("attention weight", "query token", "key token")
        self.masked_map = HeatmapView("attention weight", "query token", "key token")
        self.mask_title = caption("<b>The mask</b>")
        self.full_title = caption("<b>Full attention</b> (the model as trained)")
        self.masked_title = caption("<b>With the mask in every layer</b>: press Rerun")
        self.next_label = caption()
        grid = QGridLayout()
        for col, (title, view) in enumerate(((self.mask_title, self.mask_map), (self.full_title, self.full_map),
                                             (self.masked_title, self.masked_map))):
            grid.addWidget(title, 0, col)
            grid.addWidget(view, 1, col)
            grid.setColumnStretch(col, 1)
        grid.setRowStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.explain)
        layout.addLayout(grid, 1)
        layout.addWidget(self.next_label)

    # --- settings ---
    def settings(self) -> MaskSettings:
        return MaskSettings(self.pattern.currentData(), self.window.value(), self.stride.value())

    def set_settings(self, settings: MaskSettings) -> None:
        for widget in (self.pattern, self.window, self.stride):
            widget.blockSignals(True)
        self.pattern.setCurrentIndex(max(0, self.pattern.findData(settings.pattern)))
        self.window.setValue(settings.window)
        self.stride.setValue(settings.stride)
        for widget in (self.pattern, self.window, self.stride):
            widget.blockSignals(False)
        self.refresh_mask()

    # --- data in ---
    def set_full(self, result: AttentionResult, next_tokens: list | None) -> None:
        if self.full is not None and self.full.token_ids != result.token_ids:
            self.masked = None
            self.masked_next = None
            self.masked_title.setText("<b>With the mask in every layer</b>: press Rerun")
            self.masked_map.set_matrix(np.zeros((1, 1)), [""], [""])
        self.full = result
        self.full_next = next_tokens
        quiet_set(self.layer_spin, min(self.layer, result.num_layers - 1), result.num_layers - 1)
        quiet_set(self.head_spin, min(self.head, result.num_heads - 1), result.num_heads - 1)
        self.refresh_mask()
        self.refresh_maps()

    def set_masked(self, result: AttentionResult, next_tokens: list | None, settings: MaskSettings,
                   change: float | None = None) -> None:
        self.masked_maps.bind(result)
        self.masked = result
        self.masked_change = change
        self.masked_next = next_tokens
        self.masked_settings = settings
        self.refresh_maps()

    def set_selection(self, layer: int, head: int) -> None:
        self.layer, self.head = layer, head
        quiet_set(self.layer_spin, layer)
        quiet_set(self.head_spin, head)
        self.refresh_maps()

    def refresh_mask(self) -> None:
        if self.full is None:
            return
        r = self.full
        settings = self.settings()
        allowed = build_mask(r.num_tokens, settings, r.causal)
        self.mask_map.set_matrix(allowed.astype(np.float32), r.tokens, r.tokens, mask=~allowed, levels=(0, 1),
                                 colormap="CET-L4")
        keep = density(allowed, r.causal)
        self.mask_title.setText(f"<b>The mask</b>: {settings.describe()}: each token computes "
                                f"{keep:.0%} of the scores full attention computes")
        self.explain.setText(
            "<b>Sliding window</b>: each token attends to the w tokens up to and including itself"
            + ("" if r.causal else " on each side") + ". <b>Strided</b>: the window plus every s-th token further away. "
            "Rerunning applies the mask in <i>every</i> layer of the real model (the model was not trained "
            "this way, so its predictions may suffer).")

    def refresh_maps(self) -> None:
        if self.full is None:
            return
        r = self.full
        layer = min(self.layer, r.num_layers - 1)
        head = min(self.head, r.num_heads - 1)
        hidden = ~r.visible()
        # the main run's maps follow the pane's newest analysis, which this tab gets only when shown (set_full)
        full = self.full_maps.matrix("head", layer, head, self.refresh_maps, of=r)
        if full is not None:
            self.full_map.set_matrix(full, r.tokens, r.tokens, mask=hidden if hidden.any() else None,
                                     levels=(0, 1), keep_view=True)
            self.full_title.setText(f"<b>Full attention</b>, layer {layer}, head {head}")
        m = self.masked
        masked = self.masked_maps.matrix("head", layer, head, self.refresh_maps, of=m) \
            if m is not None and m.token_ids == r.token_ids else None
        if masked is not None:
            hidden_m = ~m.visible()
            self.masked_map.set_matrix(masked, m.tokens, m.tokens, mask=hidden_m if hidden_m.any() else None,
                                       levels=(0, 1), keep_view=True)
            change = "" if self.masked_change is None else f": largest change in any head {self.masked_change:.3f}"
            self.masked_title.setText(f"<b>With the mask in every layer</b> ({self.masked_settings.describe()})"
                                      f"{change}")
        self.next_label.setText(self._next_text())

    def _next_text(self) -> str:
        if self.full is None or not self.full.causal:
            return "MiniLM is an encoder: it does not predict a next token; compare the maps."
        if not self.full_next:
            return ""
        full = ", ".join(f"“{display_label(c.token)}” {c.raw_prob:.0%}" for c in self.full_next[:5])
        text = f"<b>Next token, full attention</b>: {full}"
        if self.masked_next and self.masked is not None and self.masked.token_ids == self.full.token_ids:
            masked = ", ".join(f"“{display_label(c.token)}” {c.raw_prob:.0%}" for c in self.masked_next[:5])
            text += f"<br><b>Next token with the mask</b>: {masked}"
        return text

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        for view in (self.mask_map, self.full_map, self.masked_map):
            view.apply_view_settings(font_scale, dark)

    def data(self) -> dict:
        if self.full is None:
            return {}
        allowed = build_mask(self.full.num_tokens, self.settings(), self.full.causal)
        out = {"mask": allowed.astype(np.uint8), "__rows__": self.full.tokens, "__columns__": self.full.tokens}
        masked = self.masked_maps.cached("head", min(self.layer, self.full.num_layers - 1),
                                         min(self.head, self.full.num_heads - 1))
        if self.masked is not None and self.masked.token_ids == self.full.token_ids and masked is not None:
            out["masked_attention"] = masked
        return out
