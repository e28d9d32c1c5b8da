"""Custom word axes (e.g. man → woman across, poor → rich up): words placed by their projections on both."""
from __future__ import annotations

import re

from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSpinBox,
                               QVBoxLayout, QWidget)

from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, heading, int_of, split_words, str_of
from explorer.ui.embeddings.trained import VectorsChoice
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.boxes import side_by_side
from explorer.ui.widgets.scatter import ScatterView


AXES_WORDS = ("king queen prince princess man woman boy girl doctor nurse engineer teacher "
              "billionaire beggar banker maid butler rich poor millionaire farmer ceo secretary")


class AxesTab(EmbeddingTab):
    key = "axes"
    title = "Word axes"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.x_from, self.x_to = QLineEdit("man"), QLineEdit("woman")
        self.y_from, self.y_to = QLineEdit("poor"), QLineEdit("rich")
        self.words = QPlainTextEdit(AXES_WORDS)
        self.background = QSpinBox()
        self.background.setRange(0, 400_000)
        self.background.setSingleStep(5_000)
        self.background.setValue(0)
        self.background.setSpecialValueText("none")
        self.go = QPushButton("Place the words")
        self.vectors = VectorsChoice()
        self.message = MessageLabel()
        self.scatter = ScatterView(empty_text="Choose two axes and some words")

        form = QFormLayout()
        form.addRow("Vectors", self.vectors)
        x_row, y_row = QHBoxLayout(), QHBoxLayout()
        for row, a, b in ((x_row, self.x_from, self.x_to), (y_row, self.y_from, self.y_to)):
            row.addWidget(a)
            row.addWidget(QLabel("→"))
            row.addWidget(b)
        form.addRow("x axis", x_row)
        form.addRow("y axis", y_row)
        form.addRow("also the most\nfrequent words", self.background)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(heading("<b>A custom projection</b>: each axis runs from one word to another"))
        left_layout.addLayout(form)
        left_layout.addWidget(heading("Words to place (spaces, commas or lines)"))
        left_layout.addWidget(self.words, 1)
        left_layout.addWidget(self.go)
        layout = QVBoxLayout(self)
        layout.addWidget(side_by_side(left, self.scatter, (420, 1000)), 1)
        layout.addWidget(self.message)
        self.go.clicked.connect(self.run)
        for edit in (self.x_from, self.x_to, self.y_from, self.y_to):
            edit.returnPressed.connect(self.run)

    def first_activation(self) -> None:
        self.run()

    def run(self) -> None:
        x_axis = (self.x_from.text().strip(), self.x_to.text().strip())
        y_axis = (self.y_from.text().strip(), self.y_to.text().strip())
        words = split_words(self.words.toPlainText())
        extra = self.background.value()
        if not words and not extra:
            self.message.error("Type some words to place on the axes.")
            return
        self.message.info("Projecting…")

        self.run_op("embeddings.axes", {"x_axis": x_axis, "y_axis": y_axis, "words": words, "extra": extra,
                                           "source": self.vectors.choice()},
                    title="Word axes", on_result=self._show, on_error=self.message.error)

    def _show(self, proj) -> None:
        n_typed = proj.n_typed
        background = len(proj.words) > n_typed
        (a, b), (c, d) = proj.x_axis, proj.y_axis
        # with background words, the search (below) marks and labels the typed ones
        self.scatter.set_points(proj.coords, proj.words, axis_titles=[f"{a}  ←→  {b}", f"{c}  ←→  {d}"])
        if background and n_typed:
            # label only the typed words among the thousands of background ones
            self.scatter.set_search("^(" + "|".join(re.escape(w) for w in proj.words[:n_typed]) + ")$")
        elif self.scatter.search.text():
            self.scatter.set_search("")
        notes = []
        if proj.missing:
            notes.append("Not in the vocabulary: " + ", ".join(f"'{w}'" for w in proj.missing) + ".")
        notes.append(f"Right means closer to '{b}' than to '{a}'; up means closer to '{d}' than to '{c}'. "
                     f"The two directions have cosine {proj.axes_cosine:+.2f} (0 = independent).")
        (self.message.error if proj.missing else self.message.info)(" ".join(notes))

    def state(self) -> dict:
        return {"x": [self.x_from.text(), self.x_to.text()], "y": [self.y_from.text(), self.y_to.text()],
                "words": self.words.toPlainText(), "background": self.background.value()}

    def restore_state(self, state: dict) -> None:
        for key, edits in (("x", (self.x_from, self.x_to)), ("y", (self.y_from, self.y_to))):
            pair = state.get(key)
            if isinstance(pair, list) and len(pair) == 2 and all(isinstance(w, str) for w in pair):
                edits[0].setText(pair[0])
                edits[1].setText(pair[1])
        self.words.setPlainText(str_of(state, "words", self.words.toPlainText()))
        self.background.setValue(int_of(state, "background", self.background.value()))

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("Word axes", self.scatter, self.scatter.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.scatter.apply_view_settings(font_scale, dark)
