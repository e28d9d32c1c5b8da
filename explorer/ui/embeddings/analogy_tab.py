"""Analogies (king − man + woman): the answer ranked by cosine, and the parallelogram drawn as vectors."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget

from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, ResultsTable, heading, int_of, str_of
from explorer.ui.embeddings.trained import VectorsChoice
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.boxes import side_by_side
from explorer.ui.widgets.scatter import ScatterView


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
        layout.addWidget(side_by_side(left, self.scatter, (420, 1000)), 1)
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
