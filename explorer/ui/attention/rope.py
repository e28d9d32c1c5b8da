"""The RoPE tab: each 2-D pair turning with position, the score against distance, real scores before/after."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QGridLayout, QSpinBox, QVBoxLayout, QWidget

from explorer.core import rope
from explorer.core.qkv import HeadCapture
from explorer.ui.attention.common import TokenPicker, caption, head_spins, quiet_set, style_plot
from explorer.ui.widgets.boxes import row_of
from explorer.ui.widgets.heatmap import HeatmapView, display_label
from explorer.ui.widgets.plot_axis import readable_axes

TRAJECTORY_POSITIONS = 16
MAX_DISTANCE = 512


class RopeView(QWidget):
    head_chosen = Signal(int, int)
    query_chosen = Signal(int)
    key_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config: rope.RopeConfig | None = None
        self.title = ""
        self.model_rope: rope.ModelRope | None = None
        self.inv_freq: np.ndarray | None = None  # the model's own, from its rotary embedding module
        self.scale: float | None = None
        self.capture: HeadCapture | None = None
        self.tokens: list[str] = []
        self.layer = self.head = self.query = self.key = 0
        self._font_scale, self._dark = 1.0, False

        self.layer_spin, self.head_spin = head_spins(self.head_chosen)
        # pair 4 turns about a quarter radian per token: a readable arc over 16 positions
        self.pair_spin = QSpinBox(minimum=0, maximum=4096, value=4)
        self.query_pick = TokenPicker()
        self.key_pick = TokenPicker()
        self.query_pick.picked.connect(self.query_chosen)
        self.key_pick.picked.connect(self.key_chosen)
        self.pair_spin.valueChanged.connect(self.refresh_plots)
        controls = row_of("Layer", self.layer_spin, "Head", self.head_spin, "Pair", self.pair_spin,
                          "Query", self.query_pick, "Key", self.key_pick, end_stretch=True)
        self.intro = caption()

        self.turn_plot = pg.PlotWidget(axisItems=readable_axes())
        self.turn_plot.setAspectLocked(True)
        self.turn_plot.setTitle("One 2-D pair of q, turned to positions 0, 1, 2…")
        self.wave_plot = pg.PlotWidget(axisItems=readable_axes())
        self.wave_plot.setLogMode(y=True)
        self.wave_plot.setTitle("Tokens per full turn, for every pair")
        self.score_plot = pg.PlotWidget(axisItems=readable_axes())
        self.score_plot.setTitle("q·k × scale when q sits n tokens after k")
        for plot in (self.turn_plot, self.wave_plot, self.score_plot):
            plot.setBackground(None)
            plot.getPlotItem().hideButtons()
            plot.getPlotItem().setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.25)
        self.pre_map = HeatmapView("score", "query token", "key token")
        self.post_map = HeatmapView("score", "query token", "key token")
        self.diff_map = HeatmapView("change", "query token", "key token")
        self.diff_title = caption("<b>After − before</b>: what the positions changed")
        self.pre_title = caption("<b>Scores q·k × scale with the unrotated q and k</b>")
        self.post_title = caption("<b>Scores after RoPE</b> (what the model really uses)")
        self.turn_caption = caption()
        plots = QGridLayout()
        plots.addWidget(self.turn_plot, 0, 0)
        plots.addWidget(self.wave_plot, 0, 1)
        plots.addWidget(self.score_plot, 0, 2)
        plots.addWidget(self.turn_caption, 1, 0, 1, 3)
        maps = QGridLayout()
        maps.addWidget(self.pre_title, 0, 0)
        maps.addWidget(self.post_title, 0, 1)
        maps.addWidget(self.diff_title, 0, 2)
        maps.addWidget(self.pre_map, 1, 0)
        maps.addWidget(self.post_map, 1, 1)
        maps.addWidget(self.diff_map, 1, 2)
        maps.setRowStretch(1, 1)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(plots, 5)
        body.addLayout(maps, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.intro)
        layout.addWidget(self.body, 1)

    def set_model(self, config, tokens: list[str], num_layers: int, num_heads: int, title: str) -> None:
        """A new analysis; the frequencies and the scale come with the first capture of the model's layers."""
        self.config = rope.rope_config(config)
        self.title = title
        self.model_rope = None  # the model's own rotary embedding, from a layer capture
        self.scale = None  # the attention module's own scaling of q·k
        self.inv_freq = None
        if list(tokens) != self.tokens:
            self.capture = None  # it belonged to another text
        self.tokens = list(tokens)
        self.query = min(self.query, len(tokens) - 1)
        self.key = min(self.key, len(tokens) - 1)
        quiet_set(self.layer_spin, min(self.layer, num_layers - 1), num_layers - 1)
        quiet_set(self.head_spin, min(self.head, num_heads - 1), num_heads - 1)
        self.query_pick.set_tokens(tokens, self.query)
        self.key_pick.set_tokens(tokens, self.key)
        self.body.setVisible(False)
        if self.config is None:
            self.intro.setText(f"<b>{title}</b> does not use RoPE: it adds a learned position vector to each "
                               "token's embedding before the first layer. Choose SmolLM2 to see rotary positions.")
            return
        self.intro.setText(f"<b>{title}</b>: reading the model's own rotary embedding…")

    def _take_model_rope(self, capture: HeadCapture) -> None:
        """Frequencies from the model's rotary module (its inv_freq, rope scaling included) and its own scale."""
        if capture.rope is None or self.config is None:
            return
        first = self.model_rope is None
        self.model_rope = capture.rope
        self.inv_freq = capture.rope.inv_freq
        # the module's q·k scale; yarn-style RoPE also multiplies cos and sin, so both q and k grow by it
        self.scale = capture.scaling * capture.rope.attention_scaling ** 2
        if not first:
            return
        c = self.config
        pairs = self.inv_freq.size
        quiet_set(self.pair_spin, min(self.pair_spin.value(), pairs - 1), pairs - 1)
        scaled = rope.scaled_pairs(c, self.inv_freq)
        how = (f"This model scales RoPE (rope type “{self.model_rope.rope_type}”): {scaled} of its {pairs} pairs "
               "turn at another speed than this formula gives; the plots use the model's own frequencies."
               if scaled else "The plots use the model's own frequencies (no rope scaling: they follow this formula).")
        self.intro.setText(
            f"<b>{self.title}</b>: RoPE turns each query and key before the dot product. A head vector of "
            f"{c.head_dim} numbers is {pairs} pairs; pair i turns by position × θ<sub>i</sub> with "
            f"θ<sub>i</sub> = {c.theta:,.0f}<sup>−2i/{c.rotary_dim}</sup> (rope_theta = {c.theta:,.0f}). {how} "
            "Because q and k both turn, their score depends only on how far apart they are. Scores use this "
            f"attention's own scale, q·k × {self.scale:.4g}.")
        self.score_plot.setTitle(f"q·k × {self.scale:.4g} when q sits n tokens after k")
        self.body.setVisible(True)

    def show_rope(self, layer: int, head: int, query: int, key: int, capture: HeadCapture | None) -> None:
        """Draw everything once for this selection (the real vectors once the head's capture is here)."""
        self.layer, self.head, self.query, self.key = layer, head, query, key
        quiet_set(self.layer_spin, layer)
        quiet_set(self.head_spin, head)
        self.query_pick.set_current(query)
        self.key_pick.set_current(key)
        self.capture = capture if capture is not None and (capture.layer, capture.head) == (layer, head) else None
        if self.capture is not None:
            self._take_model_rope(self.capture)
        self.refresh_plots()
        self.refresh_maps()

    # --- the three plots ---
    def _real_vectors(self) -> tuple[np.ndarray, np.ndarray] | None:
        cap = self.capture
        if cap is None or not cap.has_rope or cap.num_tokens != len(self.tokens):
            return None
        q = cap.q[min(self.query, cap.num_tokens - 1)]
        k = cap.k[min(self.key, cap.num_tokens - 1)]
        return q.astype(np.float64), k.astype(np.float64)

    def refresh_plots(self) -> None:
        if self.config is None or self.inv_freq is None:
            return
        c, inv = self.config, self.inv_freq
        num_pairs = inv.size
        pair = min(self.pair_spin.value(), num_pairs - 1)
        real = self._real_vectors()
        fg = QColor("#e8e8e8") if self._dark else QColor("#202020")
        # 1. the pair turning
        self.turn_plot.clear()
        start = (real[0][pair], real[0][pair + num_pairs]) if real is not None else (1.0, 0.0)
        positions = np.arange(TRAJECTORY_POSITIONS)
        path = rope.pair_trajectory(start, pair, inv, positions)
        radius = float(np.hypot(*start)) or 1.0
        circle = np.linspace(0, 2 * np.pi, 200)
        self.turn_plot.plot(radius * np.cos(circle), radius * np.sin(circle), pen=pg.mkPen((150, 150, 150), width=1))
        self.turn_plot.plot(path[:, 0], path[:, 1], pen=pg.mkPen("#4363d8", width=1.5 * self._font_scale),
                            symbol="o", symbolSize=10 * self._font_scale, symbolBrush="#4363d8", symbolPen=None)
        self.turn_plot.plot(path[:1, 0], path[:1, 1], pen=None, symbol="o", symbolSize=15 * self._font_scale,
                            symbolBrush="#e6194b", symbolPen=None)
        font = QFont()
        font.setPixelSize(int(13 * self._font_scale))
        last_angle = None
        for n in positions:
            angle = float(n * inv[pair])
            if last_angle is not None and abs(angle - last_angle) < 0.3 and n != positions[-1]:
                continue  # slow pairs: points sit close together, label only some
            last_angle = angle
            label = pg.TextItem(str(n), color=fg, anchor=(0.5, 0.5))
            label.setFont(font)
            label.setPos(path[n, 0] * 1.18, path[n, 1] * 1.18)
            self.turn_plot.addItem(label)
        wavelength = float(rope.wavelengths(inv)[pair])
        source = (f"head {self.head}'s real q for “{display_label(self.tokens[self.query])}”"
                  if real is not None and self.query < len(self.tokens) else "the vector (1, 0)")
        self.turn_caption.setText(
            f"<b>Left</b>: pair {pair} (dimensions {pair} and {pair + num_pairs}) of {source}, turned as if it "
            f"stood at positions 0–{TRAJECTORY_POSITIONS - 1}: θ = {inv[pair]:.4g} rad per token, one full turn "
            f"every {wavelength:,.1f} tokens. <b>Middle</b>: fast pairs (left) tell neighbours apart, slow "
            f"pairs (right) barely turn over the whole context. <b>Right</b>: the score of one fixed q and k "
            "as they move apart: <span style='color:#e6194b'><b>red</b></span> = "
            + (f"this head's real q (“{display_label(self.tokens[self.query])}”) and k "
               f"(“{display_label(self.tokens[self.key])}”), the dot marks their real distance"
               if real is not None else "waiting for the real q and k")
            + ", <span style='color:#3cb44b'><b>green</b></span> = q = k = all ones (RoPE's slow decay with "
            "distance).")
        # 2. wavelengths
        self.wave_plot.clear()
        waves = rope.wavelengths(inv)
        self.wave_plot.plot(np.arange(num_pairs), waves, pen=pg.mkPen("#4363d8", width=2 * self._font_scale),
                            symbol="o", symbolSize=6 * self._font_scale, symbolBrush="#4363d8")
        self.wave_plot.plot([pair], [waves[pair]], pen=None, symbol="o", symbolSize=14 * self._font_scale,
                            symbolBrush="#e6194b")
        # 3. score against distance
        self.score_plot.clear()
        scale = self.scale
        distances = np.arange(MAX_DISTANCE + 1)
        if real is not None:
            q, k = real
            scores = rope.score_vs_distance(q, k, inv, MAX_DISTANCE, scale)
            self.score_plot.plot(distances, scores, pen=pg.mkPen("#e6194b", width=2 * self._font_scale))
            gap = self.query - self.key
            if 0 <= gap <= MAX_DISTANCE:
                self.score_plot.plot([gap], [scores[gap]], pen=None, symbol="o", symbolSize=13 * self._font_scale,
                                     symbolBrush="#e6194b")
        ones = np.ones(c.head_dim)
        flat = rope.score_vs_distance(ones, ones, inv, MAX_DISTANCE, scale)
        self.score_plot.plot(distances, flat / flat[0] * (abs(scores[0]) if real is not None and scores[0] else 1.0),
                             pen=pg.mkPen("#3cb44b", width=2 * self._font_scale))
        self._style()

    def refresh_maps(self) -> None:
        cap = self.capture
        if cap is None or not cap.has_rope or cap.num_tokens != len(self.tokens):
            return
        head = cap.head
        pre = cap.scores_plain
        post = cap.scores_rotated
        finite = np.concatenate([pre[np.isfinite(pre)], post[np.isfinite(post)]])
        lim = float(np.abs(finite).max()) if finite.size else 1.0
        hidden = ~cap.visible
        tokens = self.tokens[:pre.shape[0]]
        for view, values in ((self.pre_map, pre), (self.post_map, post)):
            view.set_matrix(values, tokens, tokens, mask=hidden if hidden.any() else None, levels=(-lim, lim),
                            colormap="CET-D1", keep_view=True)
        diff = post - pre
        finite_diff = diff[np.isfinite(diff)]
        dlim = float(np.abs(finite_diff).max()) if finite_diff.size else 1.0
        self.diff_map.set_matrix(diff, tokens, tokens, mask=hidden if hidden.any() else None,
                                 levels=(-(dlim or 1.0), dlim or 1.0), colormap="CET-D1", keep_view=True)
        self.pre_title.setText(f"<b>Layer {cap.layer}, head {head}: q·k × {cap.scaling:.4g}, q and k not rotated</b> "
                               "(no position information)")
        self.post_title.setText("<b>After RoPE</b> (what the model uses; red = high, blue = low)")
        self.diff_title.setText(f"<b>After − before</b>: what the positions changed (up to ±{dlim:.2f})")

    def _style(self) -> None:
        style_plot(self.turn_plot.getPlotItem(), self._font_scale, self._dark, "dimension i + d/2", "dimension i")
        style_plot(self.wave_plot.getPlotItem(), self._font_scale, self._dark, "tokens per turn (log)", "pair i")
        style_plot(self.score_plot.getPlotItem(), self._font_scale, self._dark, "score", "distance n (tokens)")

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._font_scale, self._dark = font_scale, dark
        for view in (self.pre_map, self.post_map, self.diff_map):
            view.apply_view_settings(font_scale, dark)
        self.refresh_plots()
        self._style()

    def data(self) -> dict:
        if self.inv_freq is None:
            return {}
        out = {"inverse_frequency": self.inv_freq, "tokens_per_turn": rope.wavelengths(self.inv_freq),
               "scale": np.array([self.scale])}
        real = self._real_vectors()
        if real is not None:
            out["score_vs_distance"] = rope.score_vs_distance(real[0], real[1], self.inv_freq, MAX_DISTANCE,
                                                              self.scale)
        return out
