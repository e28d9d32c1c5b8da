"""Nearest neighbours of a word in GloVe 6B 50-d (or word2vec trained here), listed and drawn on a small map."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QFormLayout, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, ResultsTable, heading, int_of, str_of
from explorer.ui.embeddings.trained import VectorsChoice
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.boxes import side_by_side
from explorer.ui.widgets.scatter import ScatterView


class NeighboursTab(EmbeddingTab):
    key = "neighbours"
    title = "Neighbours"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.word = QLineEdit("frog")
        self.word.setPlaceholderText("a word, e.g. frog")
        self.k = QSpinBox()
        self.k.setRange(1, 200)
        self.k.setValue(15)
        self.find_button = QPushButton("Find neighbours")
        self.vectors = VectorsChoice()
        self.message = MessageLabel()
        self.table = ResultsTable()
        self.scatter = ScatterView(show_controls=False, empty_text="Type a word and press Enter")
        self.query = ""

        form = QFormLayout()
        form.addRow("Vectors", self.vectors)
        form.addRow("Word", self.word)
        form.addRow("How many", self.k)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(heading("<b>Nearest words</b> by cosine of their vectors"))
        left_layout.addLayout(form)
        left_layout.addWidget(self.find_button)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(heading("Double-click a word to look it up."))
        layout = QVBoxLayout(self)
        layout.addWidget(side_by_side(left, self.scatter), 1)
        layout.addWidget(self.message)

        self.word.returnPressed.connect(self.run)
        self.find_button.clicked.connect(self.run)
        self.vectors.activated.connect(lambda _i: self.run())
        self.table.cellDoubleClicked.connect(self._follow)
        self.scatter.point_clicked.connect(self._clicked_point)

    def first_activation(self) -> None:
        self.run()

    def set_word(self, word: str) -> None:
        self.word.setText(word)
        self.run()

    def _follow(self, row: int, _col: int) -> None:
        if 0 <= row < len(self.table.rows):
            self.set_word(self.table.rows[row][0])

    def _clicked_point(self, index: int) -> None:
        labels = self.scatter.labels()
        if 0 < index < len(labels):
            self.set_word(labels[index])

    def run(self) -> None:
        word, k = self.word.text().strip(), self.k.value()
        if not word:
            self.message.error("Type a word.")
            return
        self.message.info(f"Looking up '{word}'…")

        self.run_op("embeddings.neighbours", {"word": word, "k": k, "source": self.vectors.choice()},
                    title=f"Neighbours of '{word}'",
                    on_result=self._show, on_error=self._error)

    def _error(self, message: str) -> None:
        self.message.error(message)

    def _show(self, result: dict) -> None:
        self.query = result["query"]
        self.table.show_results(result["results"])
        labels = [result["query"]] + [r.word for r in result["results"]]
        groups = np.array([0] + [1] * len(result["results"]))
        sizes = [1.8] + [1.0] * len(result["results"])
        self.scatter.set_points(result["coords"], labels, groups, group_names=["query", "neighbours"], sizes=sizes,
                                axis_titles=["PCA 1 of these words", "PCA 2"])
        best = result["results"][0]
        self.message.info(f"Closest to '{result['query']}': '{best.word}' (cosine {best.score:.2f}). "
                          "The map shows these words only, by PCA of their vectors.")

    def state(self) -> dict:
        return {"word": self.word.text(), "k": self.k.value()}

    def restore_state(self, state: dict) -> None:
        self.word.setText(str_of(state, "word", self.word.text()))
        self.k.setValue(int_of(state, "k", self.k.value()))

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("Neighbours map", self.scatter, self.scatter.export_data),
                ExportTarget("Neighbours table", self.table, self.table.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.scatter.apply_view_settings(font_scale, dark)
