"""The projector: GloVe's 400k words, word2vec trained here, your vector files (+ metadata) or a text file embedded by a model."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QFileDialog, QGridLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout

from explorer.models.catalogue import find
from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, str_of
from explorer.ui.embeddings.projection_panel import ProjectionPanel
from explorer.ui.embeddings.trained import TRAINED, TRAINED_LABEL, store as trained_store
from explorer.ui.pane import ExportTarget


SOURCES = {"glove": "GloVe 6B: all 400,000 words", "text": "A text file: one item per line, embedded by a model",
           "vectors": "Vector files: TSV / CSV / NPY (+ metadata TSV)"}
TEXT_MODELS = {"minilm": "MiniLM sentence embeddings (384-d)",
               "smollm2": f"{find('smollm2', 'model').short_title}: mean hidden state (576-d)",
               "smollm2-hub": f"{find('smollm2-hub', 'model').short_title}: mean hidden state (576-d)",
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
