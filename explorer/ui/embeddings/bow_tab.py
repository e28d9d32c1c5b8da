"""Bag-of-words: sentences -> a document x word count table, and the cosine those counts imply."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QLabel, QPlainTextEdit, QVBoxLayout

from explorer.core.point_set import short_label
from explorer.ui.embeddings.common import (EmbeddingTab, MatrixTable, MessageLabel, bool_of, heading, lines_of,
                                           str_of)
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.boxes import column_of, row_of, side_by_side

EXAMPLE = ["dog bites man", "man bites dog", "I sat on the bank of the river",
           "I deposited money at the bank"]


class BagOfWordsTab(EmbeddingTab):
    key = "bow"
    title = "Bag of words"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.editor = QPlainTextEdit("\n".join(EXAMPLE))
        self.editor.setPlaceholderText("One sentence per line")
        self.lowercase = QCheckBox("Lower-case")
        self.lowercase.setChecked(True)
        self.stop_words = QCheckBox("Drop stop words (the, of, at…)")
        self.message = MessageLabel()
        self.counts = MatrixTable()
        self.cosine = MatrixTable()
        self.explain = QLabel()
        self.explain.setWordWrap(True)

        left = column_of(heading("<b>Sentences</b> (one per line)"), (self.editor, 1),
                         row_of(self.lowercase, self.stop_words, end_stretch=True),
                         heading("<b>Cosine between sentences</b> (from their counts only)"), (self.cosine, 1),
                         self.explain)
        right = column_of(heading("<b>Word counts</b>: one row per sentence, one column per word "
                                  "(the order of the words is lost)"), (self.counts, 1))
        splitter = side_by_side(left, right, [520, 900])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        self._debounce = QTimer(self, singleShot=True, interval=300)
        self._debounce.timeout.connect(self.recompute)
        self.editor.textChanged.connect(self._debounce.start)
        self.lowercase.toggled.connect(self._debounce.start)
        self.stop_words.toggled.connect(self._debounce.start)

    def first_activation(self) -> None:
        self.recompute()

    def set_sentences(self, sentences: list[str]) -> None:
        self.editor.setPlainText("\n".join(sentences))
        self.recompute()

    def recompute(self) -> None:
        self._debounce.stop()
        sentences = lines_of(self.editor.toPlainText())
        lowercase, stop_words = self.lowercase.isChecked(), self.stop_words.isChecked()
        if not sentences:
            self.engine.cancel(self.owner)
            self.message.error("Type at least one sentence.")
            self.result = None
            self.counts.setRowCount(0)
            self.cosine.setRowCount(0)
            self.explain.setText("")
            return
        self.message.info("Counting words…")

        self.run_op("embeddings.bag_of_words",
                    {"sentences": sentences, "lowercase": lowercase, "stop_words": stop_words},
                    title="Counting words", on_result=self._show, on_error=self._error)

    def _error(self, message: str) -> None:
        self.message.error(f"Cannot count: {message}")

    def _show(self, bow) -> None:
        self.result = bow
        n = len(bow.documents)
        rows = [f"{i + 1}. {short_label(d, 28)}" for i, d in enumerate(bow.documents)]
        self.counts.show_matrix(bow.counts, rows, bow.vocabulary, fmt="{:.0f}", stretch=False, hide_zeros=True)
        cos = bow.cosine()
        self.cosine.show_matrix(cos, [str(i + 1) for i in range(n)], [str(i + 1) for i in range(n)],
                                levels=(0.0, 1.0))
        self.message.info(f"{n} sentences, {len(bow.vocabulary)} different words. Empty cells are 0.")
        self.explain.setText(self._explanation(bow, cos))

    @staticmethod
    def _explanation(bow, cos) -> str:
        n = len(bow.documents)
        if n < 2:
            return "Add a second sentence to compare."
        lines = []
        for i in range(n):
            for j in range(i + 1, n):
                if cos[i, j] > 0.999 and bow.documents[i] != bow.documents[j]:
                    lines.append(f"<b>{i + 1}</b> and <b>{j + 1}</b> get the <b>same vector</b> "
                                 f"(cosine {cos[i, j]:.2f}): same words, different order.")
        pairs = sorted(((cos[i, j], i, j) for i in range(n) for j in range(i + 1, n) if cos[i, j] < 0.999),
                       reverse=True)
        for value, i, j in pairs[:2]:
            if value <= 0:
                break
            shared = ", ".join(f"'{w}'" for w in bow.shared_words(i, j)[:6])
            lines.append(f"<b>{i + 1}</b> and <b>{j + 1}</b>: cosine {value:.2f} only because both contain {shared}"
                         " — the counts know nothing about meaning.")
        return "<br>".join(lines) or "No two sentences share a word: every cosine is 0."

    def state(self) -> dict:
        return {"text": self.editor.toPlainText(), "lowercase": self.lowercase.isChecked(),
                "stop_words": self.stop_words.isChecked()}

    def restore_state(self, state: dict) -> None:
        self.editor.setPlainText(str_of(state, "text", self.editor.toPlainText()))
        self.lowercase.setChecked(bool_of(state, "lowercase", True))
        self.stop_words.setChecked(bool_of(state, "stop_words", False))

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("Word counts", self.counts, self.counts.export_data),
                ExportTarget("Cosine between sentences", self.cosine, self.cosine.export_data)]
