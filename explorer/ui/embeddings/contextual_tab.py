"""Contextual embeddings: one word in several sentences, layer by layer, against GloVe's single vector."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSlider, QSplitter,
                               QVBoxLayout)

from explorer.models.catalogue import find, picker_label
from explorer.core.point_set import short_label
from explorer.ui.embeddings.common import (EmbeddingTab, MatrixTable, MessageLabel, heading, int_of, lines_of,
                                           str_of)
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.boxes import column_of, row_of, side_by_side
from explorer.ui.widgets.plot_axis import readable_axes, style_axes
from explorer.ui.widgets.scatter import ScatterView
from explorer.ui.widgets.scatter_items import PALETTE

BANK = ["We sat on the grassy bank of the river and watched the water.",
        "The fisherman walked along the river bank at dawn.",
        "I deposited my salary at the bank this morning.",
        "The bank approved my loan and charged interest."]
# model id -> how its attention reads (the picker label's name comes from the catalogue)
MODELS = {"minilm": ", reads both ways", "smollm2": ", reads left to right", "smollm2-hub": ", reads left to right"}


class ContextualTab(EmbeddingTab):
    key = "bank"
    title = "Contextual “bank”"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self._pending_layer = -1  # a layer restored from a session, applied when the result arrives
        self.static_text = ""
        self._font_scale, self._dark = 1.0, False
        self.word = QLineEdit("bank")
        self.model = QComboBox()
        for model_id, reads in MODELS.items():
            self.model.addItem(picker_label(model_id, reads), model_id)
        self.sentences = QPlainTextEdit("\n".join(BANK))
        self.go = QPushButton("Compute")
        self.layer = QSlider(Qt.Orientation.Horizontal)
        self.layer.setRange(0, 6)
        self.layer.setValue(6)
        self.layer.setEnabled(False)
        self.layer_label = QLabel("layer –")
        self.message = MessageLabel()
        self.static_label = QLabel()
        self.static_label.setWordWrap(True)
        self.matrix = MatrixTable()
        self.scatter = ScatterView(show_controls=False, empty_text="Type a word and sentences that use it")
        self.scatter.set_legend_visible(False)  # each point's label names its sentence
        # an empty view centred on 0: its hint sits in the middle, not half below pyqtgraph's default 0..1 frame
        self.scatter.reset_view()
        self.curves = pg.PlotWidget(axisItems=readable_axes())
        self.curves.setBackground("w")
        self.curves.getPlotItem().setMenuEnabled(False)
        self.curves.getPlotItem().hideButtons()
        # the legend is a wrapping line of text under the plot: inside it would cover the curves
        self.curve_legend = QLabel()
        self.curve_legend.setWordWrap(True)
        self.curves_box = column_of(heading("<b>Cosine between two occurrences, layer by layer</b>"), (self.curves, 1),
                                    self.curve_legend)

        left = column_of(row_of("Word", (self.word, 1), self.go), row_of("Model", (self.model, 1)),
                         heading("<b>Sentences</b> using the word (one per line)"), (self.sentences, 1),
                         row_of(self.layer_label, (self.layer, 1)),
                         heading("<b>Cosine between the occurrences</b> at this layer"), (self.matrix, 2),
                         self.static_label)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.scatter)
        right.addWidget(self.curves_box)
        right.setSizes([450, 450])
        splitter = side_by_side(left, right, [560, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        self.go.clicked.connect(self.run)
        self.word.returnPressed.connect(self.run)
        self.model.currentIndexChanged.connect(self.run)
        self.layer.valueChanged.connect(self._show_layer)
        self.apply_view_settings(1.0, False)

    def first_activation(self) -> None:
        self.run()

    def model_id(self) -> str:
        return str(self.model.currentData())

    def configure(self, word: str, sentences: list[str], model_id: str = "minilm") -> None:
        self.word.setText(word)
        self.sentences.setPlainText("\n".join(sentences))
        index = self.model.findData(model_id)
        self.model.blockSignals(True)
        self.model.setCurrentIndex(max(0, index))
        self.model.blockSignals(False)
        self.run()

    def run(self) -> None:
        word = self.word.text().strip()
        sentences = lines_of(self.sentences.toPlainText())
        if not word:
            self.message.error("Type the word to follow, for example: bank")
            return
        if not sentences:
            self.message.error("Type a few sentences that use the word, one per line.")
            return
        model_id = self.model_id()
        entry = find(model_id, "model")
        self.message.info(f"Running {entry.short_title} on {len(sentences)} sentences…")

        self.run_op("embeddings.contextual", {"model_id": model_id, "word": word, "sentences": sentences},
                    title="Contextual embeddings", on_result=self._show, on_error=self.message.error)

    def _show(self, payload) -> None:
        result, static = payload
        self.result = result
        layer = self._pending_layer if 0 <= self._pending_layer <= result.n_layers else result.n_layers
        self._pending_layer = -1
        self.layer.blockSignals(True)
        self.layer.setRange(0, result.n_layers)
        self.layer.setValue(layer)
        self.layer.blockSignals(False)
        self.layer.setEnabled(True)
        if static is None:
            self.static_text = f"GloVe has no vector for '{result.word}'."
        else:
            self.static_text = (f"<b>GloVe (static)</b> gives '{result.word}' <b>one vector</b> in every sentence: "
                                f"cosine 1.00 between all occurrences. Its nearest GloVe words: "
                                f"{', '.join(static)}.")
        self.static_label.setText(self.static_text)
        notes = []
        if result.missing:
            notes.append("Not found as a whole word in sentence " + ", ".join(str(i + 1) for i in result.missing) + ".")
        if result.causal:
            notes.append(f"{result.model_title} reads left to right: each '{result.word}' only sees the words "
                         "before it.")
        notes.append("Move the slider: layer 0 is the input embedding, the last layer the output.")
        (self.message.error if result.missing else self.message.info)(" ".join(notes))
        self._draw_curves()
        self._show_layer(layer)

    def _show_layer(self, layer: int) -> None:
        result = self.result
        if result is None:
            return
        layer = max(0, min(layer, result.n_layers))
        self.layer_label.setText(f"layer {layer} of {result.n_layers}")
        n = len(result.occurrences)
        names = [str(k + 1) for k in range(n)]
        cosine = result.cosine(layer)
        # shade from the smallest cosine shown: the differences are what matters
        self.matrix.show_matrix(cosine, names, names, levels=(min(0.5, float(cosine.min())), 1.0))
        self.scatter.set_points(result.coords[layer], result.labels(), list(range(n)),
                                group_names=[f"{k + 1}. {short_label(result.sentences[o.sentence], 30)}"
                                             for k, o in enumerate(result.occurrences)],
                                axis_titles=[f"PCA 1 at layer {layer}", "PCA 2"])
        if self._layer_line is not None:
            self._layer_line.setValue(layer)

    _layer_line = None

    def _draw_curves(self) -> None:
        result = self.result
        plot = self.curves.getPlotItem()
        plot.clear()
        width = 2.5 * self._font_scale
        glove_colour = "#bbbbbb" if self._dark else "#555555"
        plot.addItem(pg.PlotDataItem([0, result.n_layers], [1.0, 1.0],
                                     pen=pg.mkPen(glove_colour, width=width, style=Qt.PenStyle.DashLine)))
        entries = [f"<span style='color:{glove_colour}'>╍╍</span>&nbsp;GloVe:&nbsp;always&nbsp;1.00"]
        curves = result.pair_curves()
        for k, ((i, j), values) in enumerate(curves.items()):
            if k >= len(PALETTE):
                break
            colour = PALETTE[k]
            plot.addItem(pg.PlotDataItem(list(range(len(values))), values, symbol="o",
                                         symbolSize=6 * self._font_scale, pen=pg.mkPen(colour, width=width),
                                         symbolBrush=colour, symbolPen=None))
            entries.append(f"<span style='color:{colour}'>━━</span>&nbsp;{i + 1}&nbsp;vs&nbsp;{j + 1}")
        self.curve_legend.setText(" &nbsp; ".join(entries))
        self._layer_line = pg.InfiniteLine(pos=self.layer.value(), angle=90,
                                           pen=pg.mkPen(QColor(214, 39, 40, 120), width=3 * width))
        plot.addItem(self._layer_line)
        lowest = min((float(v.min()) for v in curves.values()), default=1.0)
        # from 0.5 (or lower when needed): the gaps between the curves are the point
        plot.setYRange(min(0.5, lowest - 0.05), 1.03)
        self._style_curves()

    def _style_curves(self) -> None:
        style_axes(self.curves.getPlotItem(), self._font_scale, self._dark, left="cosine", bottom="layer")

    def state(self) -> dict:
        return {"word": self.word.text(), "model": self.model_id(), "sentences": self.sentences.toPlainText(),
                "layer": self.layer.value()}

    def restore_state(self, state: dict) -> None:
        self.word.setText(str_of(state, "word", self.word.text()))
        self.sentences.setPlainText(str_of(state, "sentences", self.sentences.toPlainText()))
        index = self.model.findData(str_of(state, "model", self.model_id()))
        if index >= 0:
            self.model.blockSignals(True)
            self.model.setCurrentIndex(index)
            self.model.blockSignals(False)
        self._pending_layer = int_of(state, "layer", -1)

    def export_targets(self) -> list[ExportTarget]:
        def curves() -> dict:
            if self.result is None:
                return {}
            pairs = self.result.pair_curves()
            return {"cosine_by_layer": [[f"{i + 1} vs {j + 1}", *map(float, v)] for (i, j), v in pairs.items()],
                    "__columns__": ["pair"] + [f"layer {k}" for k in range(self.result.n_layers + 1)]}

        return [ExportTarget("Cosine across layers", self.curves_box, curves),
                ExportTarget("Occurrences map", self.scatter, self.scatter.export_data),
                ExportTarget("Cosine matrix", self.matrix, self.matrix.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._font_scale, self._dark = font_scale, dark
        self.scatter.apply_view_settings(font_scale, dark)
        self.curves.setBackground("#1e1e1e" if dark else "w")
        if self.result is not None:
            self._draw_curves()
        else:
            self._style_curves()
