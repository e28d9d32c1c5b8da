"""Static word vectors (GloVe 6B 50-d): nearest neighbours, analogies drawn as vectors, custom word axes."""
from __future__ import annotations

import re

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QSpinBox, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout,
                               QWidget)

from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, heading, int_of, split_words, str_of
from explorer.ui.embeddings.trained import VectorsChoice
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.scatter import ScatterView

GLOVE = "glove-50d"


class ResultsTable(QTableWidget):
    """Rank, word, cosine: the answer of a neighbour or analogy query."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["word", "cosine"])
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.rows: list[tuple[str, float]] = []

    def show_results(self, results) -> None:
        self.rows = [(r.word, float(r.score)) for r in results]
        self.setRowCount(len(self.rows))
        for i, (word, score) in enumerate(self.rows):
            self.setItem(i, 0, QTableWidgetItem(word))
            item = QTableWidgetItem(f"{score:.3f}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(i, 1, item)

    def words(self) -> list[str]:
        return [w for w, _ in self.rows]

    def export_data(self) -> dict:
        return {"results": [[w, s] for w, s in self.rows], "__columns__": ["word", "cosine"]}


def _split(left: QWidget, right: QWidget, sizes=(380, 1000)) -> QSplitter:
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setSizes(list(sizes))
    return splitter


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
        layout.addWidget(_split(left, self.scatter), 1)
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


class AnalogyTab(EmbeddingTab):
    key = "analogy"
    title = "Analogy"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.base = QLineEdit("king")
        self.minus = QLineEdit("man")
        self.plus = QLineEdit("woman")
        self.k = QSpinBox()
        self.k.setRange(1, 50)
        self.k.setValue(10)
        self.go = QPushButton("Compute")
        self.vectors = VectorsChoice()
        self.message = MessageLabel()
        self.answer = QLabel()
        self.answer.setWordWrap(True)
        self.table = ResultsTable()
        self.scatter = ScatterView(show_controls=False, empty_text="king − man + woman = ?")
        self.scatter.set_label_size(13)
        self.scatter.set_legend_corner("bottom-left")  # the plane's lower left stays empty

        equation = QHBoxLayout()
        for widget in (self.base, QLabel("−"), self.minus, QLabel("+"), self.plus):
            equation.addWidget(widget)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(heading("<b>Word arithmetic</b> on unit vectors (3CosAdd)"))
        left_layout.addWidget(self.vectors)
        left_layout.addLayout(equation)
        row = QHBoxLayout()
        row.addWidget(QLabel("Results"))
        row.addWidget(self.k)
        row.addWidget(self.go, 1)
        left_layout.addLayout(row)
        left_layout.addWidget(self.answer)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(heading("The three words themselves are left out of the results."))
        layout = QVBoxLayout(self)
        layout.addWidget(_split(left, self.scatter, (420, 1000)), 1)
        layout.addWidget(self.message)
        for edit in (self.base, self.minus, self.plus):
            edit.returnPressed.connect(self.run)
        self.go.clicked.connect(self.run)

    def first_activation(self) -> None:
        self.run()

    def set_words(self, base: str, minus: str, plus: str) -> None:
        self.base.setText(base)
        self.minus.setText(minus)
        self.plus.setText(plus)
        self.run()

    def run(self) -> None:
        base, minus, plus = (e.text().strip() for e in (self.base, self.minus, self.plus))
        if not (base and minus and plus):
            self.message.error("Fill in all three words, for example king − man + woman.")
            return
        k = self.k.value()
        self.message.info(f"Computing {base} − {minus} + {plus}…")

        self.run_op("embeddings.analogy", {"base": base, "minus": minus, "plus": plus, "k": k,
                                              "source": self.vectors.choice()},
                    title="Word analogy", on_result=self._show, on_error=self.message.error)

    def _show(self, data: dict) -> None:
        result, plane = data["result"], data["plane"]
        self.table.show_results(result.results)
        best = result.results[0]
        base, plus = result.positive
        minus = result.negative[0]
        # the equation on a line of its own: beside it the cosine squeezed the answer at presenter sizes
        self.answer.setText(f"<span style='font-size: x-large'>{base} − {minus} + {plus} ≈ <b>{best.word}</b></span>"
                            f"<br>cosine {best.score:.2f} to the computed point")
        kinds = plane.kinds
        groups = np.array([{"query": 0, "result": 1, "target": 2}[k] for k in kinds])
        symbols = ["star" if k == "target" else "o" for k in kinds]
        sizes = [2.6 if k == "target" else 1.2 if k == "query" else 1.0 for k in kinds]
        self.scatter.clear_overlays()
        self.scatter.set_points(plane.coords, plane.labels, groups,
                                group_names=["your words", "nearest results", "the computed point"],
                                symbols=symbols, sizes=sizes, axis_titles=[f"direction {minus} → {plus}",
                                                                           f"direction {minus} → {base}"])
        c = plane.coords
        target = c[kinds.index("target")]
        self.scatter.add_arrow(c[0], c[1], "#d62728", f"{plus} − {minus}")
        self.scatter.add_arrow(c[2], target, "#d62728", dashed=True)
        self.scatter.add_arrow(c[0], c[2], "#1f77b4", f"{base} − {minus}")
        self.scatter.add_arrow(c[1], target, "#1f77b4", dashed=True)
        self.scatter.set_aspect_locked(True)
        self.scatter.reset_view()
        self.message.info("The plane of the three words (the second axis made perpendicular to the first): "
                          "the same step (red) that turns "
                          f"'{minus}' into '{plus}' takes '{base}' to the star, and the nearest word to the star "
                          f"is '{best.word}'.")

    def state(self) -> dict:
        return {"base": self.base.text(), "minus": self.minus.text(), "plus": self.plus.text(), "k": self.k.value()}

    def restore_state(self, state: dict) -> None:
        for key, edit in (("base", self.base), ("minus", self.minus), ("plus", self.plus)):
            edit.setText(str_of(state, key, edit.text()))
        self.k.setValue(int_of(state, "k", self.k.value()))

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("Analogy plot", self.scatter, self.scatter.export_data),
                ExportTarget("Analogy results", self.table, self.table.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.scatter.apply_view_settings(font_scale, dark)


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
        layout.addWidget(_split(left, self.scatter, (420, 1000)), 1)
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
