"""The forward pass and the next token: the pipeline with real shapes, sampling controls, the logit lens."""
from __future__ import annotations

import html
import re

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QDoubleSpinBox, QGridLayout, QHBoxLayout,
                               QHeaderView, QLabel, QPushButton, QRadioButton, QSizePolicy, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.core.attention import Analysis
from explorer.core.generation import SamplingSettings, sampling_distribution, softmax
from explorer.core.model_anatomy import Stage
from explorer.ui.attention.common import caption, style_plot
from explorer.ui.widgets.heatmap import TokenAxis
from explorer.ui.widgets.plot_axis import ReadableAxis

SHOWN_CANDIDATES = 12


_BYTE_PIECES = re.compile(r"(<[0-9A-F]{2}(?: [0-9A-F]{2})*>)")


def quoted(token: str) -> str:
    """A token with its spaces visible: ' Paris' -> '␣Paris' (byte pieces such as <F0 9F> stay as they are)."""
    parts = _BYTE_PIECES.split(token)
    return "".join(part if i % 2 else part.replace(" ", "␣").replace("\n", "⏎") for i, part in enumerate(parts))


class PipelineDiagram(QWidget):
    """Boxes and arrows: tokenizer -> embeddings -> N blocks -> ... each with the tensor shape it hands on."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stages: list[Stage] = []
        self.font_scale = 1.0
        self.dark = False
        self.setMinimumHeight(175)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_stages(self, stages: list[Stage]) -> None:
        self.stages = list(stages)
        self.setToolTip("\n".join(f"{s.name}: {s.detail} -> {s.shape}"
                                  + (f" ({s.params:,} weights)" if s.params else "") for s in stages))
        self.update()

    def sizeHint(self):  # noqa: N802 - Qt API
        hint = super().sizeHint()
        hint.setHeight(int(175 * self.font_scale))
        return hint

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        if not self.stages:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fg = QColor("#e8e8e8") if self.dark else QColor("#202020")
        fill = QColor("#2f3a4a") if self.dark else QColor("#e8f0fe")
        block_fill = QColor("#4a3a2f") if self.dark else QColor("#fff1d6")
        font = QFont(self.font())
        font.setPixelSize(int(14 * self.font_scale))
        small = QFont(font)
        small.setPixelSize(int(12.5 * self.font_scale))
        bold = QFont(font)
        bold.setBold(True)
        n = len(self.stages)
        gap = 26 * self.font_scale
        width = (self.width() - gap * (n - 1) - 8) / n
        box_h = self.height() * 0.64
        top = 4
        name_h = QFontMetricsF(bold).height() + 8
        for i, stage in enumerate(self.stages):
            x = 4 + i * (width + gap)
            rect = QRectF(x, top, width, box_h)
            p.setPen(QPen(fg, 1.2))
            p.setBrush(block_fill if "block" in stage.name else fill)
            p.drawRoundedRect(rect, 8, 8)
            p.setFont(bold)
            p.drawText(QRectF(x + 4, top + 2, width - 8, name_h), Qt.AlignmentFlag.AlignCenter, stage.name)
            p.setFont(small)
            p.drawText(QRectF(x + 6, top + name_h, width - 12, box_h - name_h - 2),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       stage.detail)
            p.setFont(font)
            p.drawText(QRectF(x - gap / 2, top + box_h + 4, width + gap, self.height() - box_h - 8),
                       Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                       stage.shape + (f"\n{stage.params / 1e6:,.1f} M weights" if stage.params else ""))
            if i < n - 1:
                y = top + box_h / 2
                x1, x2 = x + width + 3, x + width + gap - 3
                p.setPen(QPen(fg, 2))
                p.drawLine(QPointF(x1, y), QPointF(x2, y))
                head = QPainterPath()
                head.moveTo(x2, y)
                head.lineTo(x2 - 8, y - 5)
                head.lineTo(x2 - 8, y + 5)
                head.closeSubpath()
                p.fillPath(head, fg)
        p.end()


class ForwardView(QWidget):
    generate_requested = Signal(object)  # SamplingSettings
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.analysis: Analysis | None = None
        self.rows: list[tuple[int, str, float, float]] = []  # id, piece, sampling prob, raw prob
        self._font_scale, self._dark = 1.0, False

        self.diagram = PipelineDiagram()
        self.diagram_caption = caption()
        self.context_note = caption()
        self.context_note.setVisible(False)
        self.temperature = QDoubleSpinBox(minimum=0.05, maximum=5.0, singleStep=0.1, value=1.0, decimals=2)
        self.top_k = QSpinBox(minimum=0, maximum=1000, value=0)
        self.top_k.setSpecialValueText("off")
        self.top_p = QDoubleSpinBox(minimum=0.01, maximum=1.0, singleStep=0.05, value=1.0, decimals=2)
        self.greedy = QRadioButton("Greedy (most likely)")
        self.sample = QRadioButton("Sample")
        self.greedy.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.greedy)
        group.addButton(self.sample)
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.seed.setToolTip("the random seed for sampling (same seed, same choice)")
        self.generate_button = QPushButton("Generate one token")
        self.undo_button = QPushButton("Undo")
        self.generate_button.clicked.connect(lambda: self.generate_requested.emit(self.settings()))
        self.undo_button.clicked.connect(self.undo_requested)
        for widget in (self.temperature, self.top_p):
            widget.valueChanged.connect(self.refresh_bars)
        self.top_k.valueChanged.connect(self.refresh_bars)

        controls = QGridLayout()
        controls.addWidget(QLabel("Temperature"), 0, 0)
        controls.addWidget(self.temperature, 0, 1)
        controls.addWidget(QLabel("Top-k"), 0, 2)
        controls.addWidget(self.top_k, 0, 3)
        controls.addWidget(QLabel("Top-p"), 0, 4)
        controls.addWidget(self.top_p, 0, 5)
        controls.addWidget(self.greedy, 1, 0, 1, 2)
        controls.addWidget(self.sample, 1, 2)
        controls.addWidget(QLabel("seed"), 1, 3)
        controls.addWidget(self.seed, 1, 4)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.undo_button)
        buttons.addStretch(1)

        self.bar_axis = TokenAxis("left")
        self.bars = pg.PlotWidget(axisItems={"left": self.bar_axis, "bottom": ReadableAxis("bottom")})
        self.bars.setBackground(None)
        self.bars.getPlotItem().hideButtons()
        self.bars.getPlotItem().setMenuEnabled(False)
        self.bars.getViewBox().invertY(True)
        self.bars.getViewBox().setMouseEnabled(x=False, y=False)
        self.bars_title = caption()
        self.generated = caption()

        self.lens = QTableWidget(0, 4)
        self.lens.setHorizontalHeaderLabels(["after layer", "top token", "its probability", "p(final choice)"])
        self.lens.verticalHeader().setVisible(False)
        self.lens.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.lens.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.lens_caption = caption("<b>Logit lens</b>: the final norm and the LM head applied after every "
                                    "layer: what the model would say if it stopped there.")

        left = QVBoxLayout()
        left.addWidget(self.bars_title)
        left.addWidget(self.bars, 1)
        left.addLayout(controls)
        left.addLayout(buttons)
        left.addWidget(self.generated)
        right = QVBoxLayout()
        right.addWidget(self.lens_caption)
        right.addWidget(self.lens, 1)
        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.diagram_caption)
        layout.addWidget(self.context_note)
        layout.addWidget(self.diagram)
        layout.addLayout(body, 1)
        self.encoder_note = caption()
        layout.addWidget(self.encoder_note)
        self.encoder_note.setVisible(False)

    # --- settings ---
    def settings(self) -> SamplingSettings:
        return SamplingSettings(self.temperature.value(), self.top_k.value(), self.top_p.value(),
                                self.greedy.isChecked(), self.seed.value())

    def set_settings(self, s: SamplingSettings) -> None:
        self.temperature.setValue(s.temperature)
        self.top_k.setValue(s.top_k)
        self.top_p.setValue(s.top_p)
        (self.greedy if s.greedy else self.sample).setChecked(True)
        self.seed.setValue(int(s.seed or 0))

    # --- data in ---
    def set_analysis(self, analysis: Analysis, stages: list[Stage], history: list[str],
                     pending: bytes = b"") -> None:
        """`history`: the pieces generated so far; `pending`: bytes of a character not yet complete."""
        from explorer.core.generation import byte_text

        self.analysis = analysis
        r = analysis.result
        self.diagram.set_stages(stages)
        self.diagram_caption.setText(f"<b>The forward pass of {analysis.title}</b> for these {r.num_tokens} "
                                     "tokens (hover for the details)")
        self.context_note.setVisible(bool(r.truncated_from))
        if r.truncated_from:
            total, n = r.truncated_from, r.num_tokens
            start = html.escape("".join(r.tokens[:4]).strip())
            self.context_note.setText(
                f"<span style='color:#b54708'><b>The text has {total:,} tokens: the prediction and the logit lens "
                f"see only its last {n:,}</b> (tokens {total - n + 1:,} to {total:,}, from “{start}…” on), "
                "the most "
                "this model is analysed on; the other views show the same window.</span>")
        causal = r.causal and r.next_logits is not None
        for widget in (self.bars, self.generate_button, self.undo_button, self.lens, self.temperature, self.top_k,
                       self.top_p, self.greedy, self.sample, self.seed):
            widget.setEnabled(causal)
        self.encoder_note.setVisible(not causal)
        if not causal:
            self.encoder_note.setText(f"<b>{analysis.title} is an encoder</b>: it has no LM head and does not "
                                      "predict a next token; its forward pass ends with one vector per token. "
                                      "Choose SmolLM2 to see next-token prediction.")
            self.bars.clear()
            self.lens.setRowCount(0)
            self.bars_title.setText("")
            self.generated.setText("")
            return
        self.undo_button.setEnabled(bool(history))
        text = ("Generated so far: " + " ".join(f"“{html.escape(quoted(t))}”" for t in history)) if history else ""
        if pending:
            text += (f" — <b>{html.escape(byte_text(pending))}</b>: the first bytes of a character split over "
                     "tokens; it "
                     "appears in the text when its last byte is generated")
        self.generated.setText(text)
        self.refresh_bars()
        self._fill_lens()

    def refresh_bars(self) -> None:
        a = self.analysis
        if a is None or a.result.next_logits is None:
            return
        logits = a.result.next_logits
        s = self.settings()
        sampled = sampling_distribution(logits, s.temperature, s.top_k, s.top_p)
        raw = softmax(logits)
        order = np.argsort(-raw, kind="stable")[:SHOWN_CANDIDATES]
        self.rows = [(int(i), a.pieces.get(int(i), f"#{int(i)}"), float(sampled[i]), float(raw[i])) for i in order]
        self.bars.clear()
        y = np.arange(len(self.rows))
        kept = np.array([r[2] > 0 for r in self.rows])
        values = np.array([r[2] for r in self.rows]) * 100  # percent
        raw_values = np.array([r[3] for r in self.rows]) * 100
        self.bars.addItem(pg.BarGraphItem(x0=np.zeros(len(y)), y=y + 0.5, height=0.7, width=raw_values,
                                          brush=pg.mkBrush(0, 0, 0, 0), pen=pg.mkPen((140, 140, 140), width=1.5,
                                                                                       style=Qt.PenStyle.DashLine)))
        brushes = [pg.mkBrush("#4363d8") if k else pg.mkBrush("#c8c8c8") for k in kept]
        self.bars.addItem(pg.BarGraphItem(x0=np.zeros(len(y)), y=y + 0.5, height=0.7, width=values, brushes=brushes))
        fg = QColor("#e8e8e8") if self._dark else QColor("#202020")
        top = max(float(values.max(initial=0)), float(raw_values.max(initial=0)), 1e-6)
        for i, (_, _, p, rp) in enumerate(self.rows):
            text = pg.TextItem(f"{p:.1%}" if p > 0 else "cut", color=fg, anchor=(0, 0.5))
            font = QFont()
            font.setPixelSize(int(13 * self._font_scale))
            text.setFont(font)
            text.setPos(100 * max(p, rp) + top * 0.01, i + 0.5)
            self.bars.addItem(text)
        self.bar_axis.set_labels([quoted(r[1]) for r in self.rows])
        self.bars.setXRange(0, top * 1.18, padding=0)
        self.bars.setYRange(0, len(self.rows), padding=0)
        text = self.analysis.result.tokens
        last = html.escape(quoted(text[-1])) if text else ""
        filters = []
        if s.temperature != 1.0:
            filters.append(f"temperature {s.temperature:g}")
        if s.top_k:
            filters.append(f"top-k {s.top_k}")
        if s.top_p < 1.0:
            filters.append(f"top-p {s.top_p:g}")
        self.bars_title.setText(
            f"<b>Next token after “…{last}”</b>: blue = probability the sampler uses"
            + (f" ({', '.join(filters)})" if filters else " (temperature 1, no filter)")
            + "; dashed = the model's own probability; grey = cut by top-k / top-p")
        style_plot(self.bars.getPlotItem(), self._font_scale, self._dark, "", "probability (%)")
        self.bar_axis.set_font_px(14 * self._font_scale)

    def _fill_lens(self) -> None:
        rows = self.analysis.lens or []
        self.lens.setRowCount(len(rows))
        final = rows[-1].id if rows else None
        for r, row in enumerate(rows):
            name = "embeddings" if row.layer == 0 else str(row.layer)
            cells = [name, quoted(row.token), f"{row.prob:.1%}", f"{row.target_prob:.1%}"]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if row.id == final:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.lens.setItem(r, c, item)
        if rows:
            self.lens.scrollToBottom()

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._font_scale, self._dark = font_scale, dark
        self.diagram.font_scale, self.diagram.dark = font_scale, dark
        self.diagram.setMinimumHeight(int(175 * font_scale))
        self.diagram.updateGeometry()
        self.diagram.update()
        self.bar_axis.set_font_px(14 * font_scale)
        self.refresh_bars()

    def data(self) -> dict:
        out: dict = {}
        if self.rows:
            out["next_token"] = [{"token": t, "id": i, "sampling_prob": p, "model_prob": rp}
                                 for i, t, p, rp in self.rows]
        if self.analysis is not None and self.analysis.lens:
            out["logit_lens"] = [{"layer": r.layer, "token": r.token, "prob": r.prob, "p_final": r.target_prob}
                                 for r in self.analysis.lens]
        return out
