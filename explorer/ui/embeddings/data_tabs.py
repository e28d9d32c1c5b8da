"""Tabs that project whole sets of vectors: sentences (MiniLM), token embeddings, and your own data."""
from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QTextDocumentFragment
from PySide6.QtWidgets import (QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QPlainTextEdit, QPushButton, QTableWidget, QVBoxLayout)

from explorer.core.point_set import short_label
from explorer.models.catalogue import find_model
from explorer.ui.embeddings.common import EmbeddingTab, MatrixTable, MessageLabel, heading, lines_of, str_of
from explorer.ui.embeddings.projection_panel import ProjectionPanel
from explorer.ui.embeddings.trained import TRAINED, TRAINED_LABEL
from explorer.ui.embeddings.trained import store as trained_store
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.boxes import column_of, side_by_side

SENTENCES = ["The cat sat on the mat.", "Dogs love to chase balls in the park.", "A kitten drank some milk.",
             "The puppy barked at the mailman.", "The stock market fell sharply today.",
             "The central bank raised interest rates.", "Investors sold their shares.",
             "The company reported record profits.", "Heavy rain is expected tomorrow.",
             "It was sunny and warm all weekend.", "A storm brought strong winds and snow.",
             "The forecast says it will be cloudy."]
MAX_TABLE = 60  # the similarity table shows up to this many sentences; the map shows all
# a paraphrase pair per topic, each with a related sentence, on two unrelated topics: MiniLM gives the
# paraphrases .89 and .69, the related sentences .3-.5, across the topics under .2
PARAPHRASES = ["Sarah fed the cat because it was hungry.", "The hungry cat was given food by Sarah.",
               "The kitten drank some milk.", "Stock markets fell sharply today.",
               "Share prices dropped steeply this afternoon.", "The central bank raised interest rates."]
MAX_PIECES = 80  # word pieces listed in a row's tooltip


def extreme_pairs(cosine: np.ndarray) -> tuple[tuple[int, int, float], tuple[int, int, float]] | None:
    """The most and the least similar pair (i < j) of a cosine matrix, None under two sentences."""
    n = cosine.shape[0]
    if n < 2:
        return None
    rows, cols = np.triu_indices(n, k=1)
    values = cosine[rows, cols]
    best, worst = int(values.argmax()), int(values.argmin())
    return ((int(rows[best]), int(cols[best]), float(values[best])),
            (int(rows[worst]), int(cols[worst]), float(values[worst])))


def pieces_text(tokens: list[str]) -> str:
    shown = " ".join(tokens[:MAX_PIECES])
    more = f" … ({len(tokens)} in all)" if len(tokens) > MAX_PIECES else ""
    return html.escape(shown + more)


def wide_tip(rich_text: str, width_px: int) -> str:
    return f"<table width='{width_px}'><tr><td>{rich_text}</td></tr></table>"


def header_stretches(table: QTableWidget) -> bool:
    header = table.horizontalHeader()
    return header.count() > 0 and header.sectionResizeMode(0) == QHeaderView.ResizeMode.Stretch


class SentencesTab(EmbeddingTab):
    key = "sentences"
    title = "Sentences"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.editor = QPlainTextEdit("\n".join(SENTENCES))
        self.editor.setPlaceholderText("One sentence per line")
        self.message = MessageLabel()
        self.table = MatrixTable()
        # rows name their sentence: Qt cuts the name short ("…") to the width _fit_row_names allows
        self.table.verticalHeader().setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.installEventFilter(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.panel = ProjectionPanel(engine, self.owner)
        self.panel.set_colour_by("kmeans", clusters=3)
        self.panel.scatter.clear("The sentence map appears here")

        left = column_of(heading("<b>Sentences</b> (one per line), embedded by MiniLM"), (self.editor, 2),
                         heading("<b>Cosine similarity</b> between the sentence vectors (hover a row for its "
                                 "sentence and word pieces)"), (self.table, 3), self.summary, self.message)
        layout = QVBoxLayout(self)
        layout.addWidget(side_by_side(left, self.panel, [660, 900]))
        self._debounce = QTimer(self, singleShot=True, interval=500)
        self._debounce.timeout.connect(self.run)
        self.editor.textChanged.connect(self._debounce.start)

    def first_activation(self) -> None:
        self.run()

    def set_sentences(self, sentences: list[str]) -> None:
        self.editor.blockSignals(True)
        self.editor.setPlainText("\n".join(sentences))
        self.editor.blockSignals(False)
        self.run()

    def run(self) -> None:
        self._debounce.stop()
        sentences = lines_of(self.editor.toPlainText())
        if len(sentences) < 2:
            self.engine.cancel(f"{self.owner}.embed")
            self._clear("Type at least two sentences, one per line." if sentences else
                        "Type some sentences, one per line.")
            return
        self.message.info(f"Embedding {len(sentences)} sentences with MiniLM…")

        self.run_op("embeddings.sentences", {"sentences": sentences, "slot": self.panel.owner}, "embed",
                    title="Embedding sentences", on_result=self._show, on_error=self._clear)

    def _clear(self, message: str) -> None:
        """The text gives no result: no table, summary or map of sentences that are no longer there."""
        self.result = None
        self.table.clear_matrix()
        self.summary.clear()
        self.message.error(message)
        self.panel.clear("Type two or more sentences")

    def _show(self, payload) -> None:
        emb, points = payload
        self.result = emb
        n = min(len(emb.texts), MAX_TABLE)
        vectors = emb.vectors[:n]
        cosine = vectors @ vectors.T  # only the sentences shown: the full matrix of a long paste is huge
        rows = [f"{i + 1}. {emb.texts[i]}" for i in range(n)]
        names = [str(i + 1) for i in range(n)]
        self.table.font_factor = 1.0 if n > 8 else 1.2
        # many columns: each as wide as its numbers, scrolling sideways rather than cutting them
        self.table.show_matrix(cosine, rows, names, levels=(0.0, 1.0), compact=n > 6, stretch=n <= 8)
        # tooltips about 60 characters wide: Qt would otherwise wrap them into a narrow column
        width = QFontMetrics(self.font()).averageCharWidth() * 60
        for i in range(n):
            tip = f"<b>{i + 1}.</b> {html.escape(emb.texts[i])}<br><i>MiniLM word pieces:</i> " \
                  f"{pieces_text(emb.tokens[i])}"
            self.table.verticalHeaderItem(i).setToolTip(wide_tip(tip, width))
            for j in range(n):
                self.table.item(i, j).setToolTip(wide_tip(
                    f"cosine {cosine[i, j]:.3f} between<br><b>{i + 1}.</b> {html.escape(emb.texts[i])}<br>"
                    f"<b>{j + 1}.</b> {html.escape(emb.texts[j])}", width))
        self._fit_row_names()
        self._summarise(cosine, emb.texts, len(emb.texts) > n)
        more = f" (the table shows the first {MAX_TABLE})" if len(emb.texts) > MAX_TABLE else ""
        self.message.info(f"{len(emb.texts)} sentences → {emb.vectors.shape[1]}-d unit vectors{more}.")
        self.panel.set_data(points)

    def _summarise(self, cosine: np.ndarray, texts: list[str], partial: bool) -> None:
        pairs = extreme_pairs(cosine)
        if pairs is None:
            self.summary.clear()
            return
        (i, j, best), (k, m, worst) = pairs
        # the most similar pair in bold in the table too: the class finds it at a glance
        for r, c in ((i, j), (j, i)):
            item = self.table.item(r, c)
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        among = f" among the first {cosine.shape[0]}" if partial else ""

        def pair(a: int, b: int, value: float) -> str:
            return (f"{a + 1} and {b + 1} (cosine {value:.2f}): "
                    f"“{html.escape(short_label(texts[a], 32))}” · “{html.escape(short_label(texts[b], 32))}”")

        lines = [f"<b>Most similar{among}:</b> {pair(i, j, best)}"]
        if cosine.shape[0] > 2:
            lines.append(f"<b>Least similar:</b> {pair(k, m, worst)}")
        self.summary.setText("<br>".join(lines))

    def summary_text(self) -> str:
        """The summary as plain text (what the class reads under the table)."""
        return QTextDocumentFragment.fromHtml(self.summary.text()).toPlainText() if self.summary.text() else ""

    def _fit_row_names(self) -> None:
        """Give the sentence names the room the numbers leave, but never less than a few words."""
        table = self.table
        header = table.verticalHeader()
        if table.values is None:
            return
        metrics = QFontMetrics(table.font())
        n = table.columnCount()
        widest = max((metrics.horizontalAdvance(table.cell_text(i, j)) for i in range(n) for j in range(n)),
                     default=0)
        if header_stretches(table):
            cells = n * (widest + 14)  # a stretched column needs its widest number and a little padding
        else:
            cells = table.horizontalHeader().length()  # columns as wide as their numbers: known
        room = table.width() - 2 * table.frameWidth() - table.verticalScrollBar().sizeHint().width() - cells
        floor = metrics.horizontalAdvance("12. The cat sa…")
        limit = max(floor, min(int(0.6 * table.width()), room))
        header.setMaximumWidth(limit)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.table and event.type() == QEvent.Type.Resize:
            self._fit_row_names()
        return super().eventFilter(watched, event)

    def state(self) -> dict:
        return {"text": self.editor.toPlainText(), "projection": self.panel.state()}

    def restore_state(self, state: dict) -> None:
        self.editor.blockSignals(True)
        self.editor.setPlainText(str_of(state, "text", self.editor.toPlainText()))
        self.editor.blockSignals(False)
        if isinstance(state.get("projection"), dict):
            self.panel.restore_state(state["projection"])

    def export_targets(self) -> list[ExportTarget]:
        return self.panel.export_targets("Sentence map") + \
            [ExportTarget("Sentence similarity", self.table, self.table.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.panel.apply_view_settings(font_scale, dark)
        if self.table.values is not None:
            self.table.rescale()  # the table's own font follows the new application font
            self._fit_row_names()


# model id -> the size of its token-embedding matrix (the picker's name comes from the catalogue)
TOKEN_CLOUD_MODELS = {"smollm2": "49,152 tokens × 576", "smollm2-hub": "49,152 tokens × 576",
                      "minilm": "30,522 word pieces × 384"}


class TokenCloudTab(EmbeddingTab):
    key = "tokens"
    title = "Token cloud"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.model = QComboBox()
        for model_id, rows in TOKEN_CLOUD_MODELS.items():
            self.model.addItem(f"{find_model(model_id).short_title}: {rows}", model_id)
        self.load_button = QPushButton("Load")
        self.message = MessageLabel()
        self.panel = ProjectionPanel(engine, self.owner)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>A model's input vocabulary as points</b>: one row of its token-embedding "
                             "matrix per token"), 1)
        top.addWidget(self.model)
        top.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)
        layout.addWidget(heading("␣ marks a token that starts with a space; ## a word piece that continues a word. "
                                "Try searching ^[0-9]$ (SmolLM2 cuts numbers into digits) or ing$."))
        self.load_button.clicked.connect(self.load)
        self.model.currentIndexChanged.connect(self.load)

    def first_activation(self) -> None:
        self.load()

    def set_model(self, model_id: str) -> None:
        index = self.model.findData(model_id)
        if index >= 0 and index != self.model.currentIndex():
            self.model.blockSignals(True)
            self.model.setCurrentIndex(index)
            self.model.blockSignals(False)
        self.load()

    def load(self, *args) -> None:
        model_id = self.model.currentData()
        self.message.info("Reading the token-embedding matrix…")

        self.run_op("embeddings.token_cloud", {"model_id": model_id, "slot": self.panel.owner}, "load",
                    title="Loading token embeddings", on_result=self._loaded, on_error=self.message.error)

    def _loaded(self, points) -> None:
        self.message.info(f"{points.name}: {len(points):,} tokens, read straight from the weights file.")
        self.panel.set_data(points)

    def state(self) -> dict:
        return {"model": self.model.currentData(), "projection": self.panel.state()}

    def restore_state(self, state: dict) -> None:
        index = self.model.findData(str_of(state, "model", "smollm2"))
        if index >= 0:
            self.model.blockSignals(True)
            self.model.setCurrentIndex(index)
            self.model.blockSignals(False)
        if isinstance(state.get("projection"), dict):
            self.panel.restore_state(state["projection"])

    def export_targets(self) -> list[ExportTarget]:
        return self.panel.export_targets("Token cloud")

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.panel.apply_view_settings(font_scale, dark)


SOURCES = {"glove": "GloVe 6B: all 400,000 words", "text": "A text file: one item per line, embedded by a model",
           "vectors": "Vector files: TSV / CSV / NPY (+ metadata TSV)"}
TEXT_MODELS = {"minilm": "MiniLM sentence embeddings (384-d)",
               "smollm2": f"{find_model('smollm2').short_title}: mean hidden state (576-d)",
               "smollm2-hub": f"{find_model('smollm2-hub').short_title}: mean hidden state (576-d)",
               "glove": "GloVe: mean of the word vectors (50-d)"}


class ProjectorTab(EmbeddingTab):
    key = "projector"
    title = "Projector"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.source = QComboBox()
        for key, title in SOURCES.items():
            self.source.addItem(title, key)
        self.text_path = QLineEdit()
        self.text_path.setPlaceholderText("a .txt file, one sentence or word per line")
        self.text_model = QComboBox()
        for key, title in TEXT_MODELS.items():
            self.text_model.addItem(title, key)
        self.vectors_path = QLineEdit()
        self.vectors_path.setPlaceholderText("vectors.tsv (tab-separated numbers, one row per item), .csv or .npy")
        self.metadata_path = QLineEdit()
        self.metadata_path.setPlaceholderText("optional metadata.tsv: one label per line, or a header and columns")
        self.load_button = QPushButton("Load")
        self.message = MessageLabel()
        self.panel = ProjectionPanel(engine, self.owner)
        self.loaded_from: dict = {}

        grid = QGridLayout()
        grid.addWidget(QLabel("Data"), 0, 0)
        grid.addWidget(self.source, 0, 1, 1, 2)
        grid.addWidget(self.load_button, 0, 3)
        self._text_row = [QLabel("Text file"), self.text_path, self._browse(self.text_path, "Text (*.txt *.tsv *.csv)"),
                          self.text_model]
        self._vector_rows = [QLabel("Vectors"), self.vectors_path,
                             self._browse(self.vectors_path, "Vectors (*.tsv *.csv *.txt *.vec *.npy)"),
                             QLabel("Metadata"), self.metadata_path,
                             self._browse(self.metadata_path, "Metadata (*.tsv *.txt)")]
        for col, widget in enumerate(self._text_row):
            grid.addWidget(widget, 1, col)
        for i, widget in enumerate(self._vector_rows):
            grid.addWidget(widget, 2 + i // 3, i % 3)
        grid.setColumnStretch(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)
        self.source.currentIndexChanged.connect(self._source_changed)
        trained_store().changed.connect(self._trained_changed)
        self._trained_changed()
        self.load_button.clicked.connect(self.load)
        for edit in (self.text_path, self.vectors_path, self.metadata_path):
            edit.returnPressed.connect(self.load)
        self._source_changed()

    def _browse(self, target: QLineEdit, filters: str) -> QPushButton:
        button = QPushButton("Browse…")

        def pick() -> None:
            path, _ = QFileDialog.getOpenFileName(self, "Open", str(Path(target.text()).parent)
                                                  if target.text() else "", filters + ";;All files (*)")
            if path:
                target.setText(path)

        button.clicked.connect(pick)
        return button

    def _trained_changed(self) -> None:
        """Offer "word2vec (trained here)" once the word2vec tab has finished a training."""
        index = self.source.findData(TRAINED)
        if trained_store().available and index < 0:
            self.source.insertItem(1, TRAINED_LABEL, TRAINED)
        elif not trained_store().available and index >= 0:
            self.source.removeItem(index)

    def _source_changed(self, *args) -> None:
        source = self.source.currentData()
        for widget in self._text_row:
            widget.setVisible(source == "text")
        for widget in self._vector_rows:
            widget.setVisible(source == "vectors")

    def first_activation(self) -> None:
        if self.source.currentData() == "glove":
            self.load()

    def show_source(self, source: str, **paths: str) -> None:
        self.source.setCurrentIndex(max(0, self.source.findData(source)))
        for key, edit in (("text", self.text_path), ("vectors", self.vectors_path), ("metadata", self.metadata_path)):
            if key in paths:
                edit.setText(paths[key])
        if "model" in paths:
            self.text_model.setCurrentIndex(max(0, self.text_model.findData(paths["model"])))
        self.load()

    def load(self, *args) -> None:
        source = self.source.currentData()
        text_path, model = self.text_path.text().strip(), self.text_model.currentData()
        vectors_path, metadata_path = self.vectors_path.text().strip(), self.metadata_path.text().strip()
        if source == "text" and not text_path:
            self.message.error("Choose a text file (one item per line).")
            return
        if source == "vectors" and not vectors_path:
            self.message.error("Choose a vectors file (TSV, CSV or NPY).")
            return
        self.message.info("Loading…")
        self.loaded_from = {"source": source, "text": text_path, "model": model, "vectors": vectors_path,
                            "metadata": metadata_path}

        arguments = {"slot": self.panel.owner, "source": source, "text_path": text_path, "model": model,
                     "vectors_path": vectors_path, "metadata_path": metadata_path,
                     "model_title": TEXT_MODELS[model].rsplit(" (", 1)[0]}
        self.run_op("embeddings.load_source", arguments, "load", title="Loading data for the projector",
                    on_result=self._loaded, on_error=self._failed)

    def _failed(self, message: str) -> None:
        self.message.error(message)

    def _loaded(self, points) -> None:
        notes = " ".join(points.warnings)
        self.message.info(f"Loaded {points.name}: {len(points):,} items. {notes}")
        self.panel.set_data(points)

    def state(self) -> dict:
        return {"source": self.source.currentData(), "text": self.text_path.text(),
                "model": self.text_model.currentData(), "vectors": self.vectors_path.text(),
                "metadata": self.metadata_path.text(), "projection": self.panel.state()}

    def restore_state(self, state: dict) -> None:
        self.source.setCurrentIndex(max(0, self.source.findData(str_of(state, "source", "glove"))))
        self.text_path.setText(str_of(state, "text", ""))
        self.text_model.setCurrentIndex(max(0, self.text_model.findData(str_of(state, "model", "minilm"))))
        self.vectors_path.setText(str_of(state, "vectors", ""))
        self.metadata_path.setText(str_of(state, "metadata", ""))
        if isinstance(state.get("projection"), dict):
            self.panel.restore_state(state["projection"])

    def export_targets(self) -> list[ExportTarget]:
        return self.panel.export_targets("Projection")

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.panel.apply_view_settings(font_scale, dark)
