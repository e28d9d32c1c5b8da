"""Sentence embeddings (MiniLM): a shaded cosine table of a few sentences, their most and least similar pair, and their map."""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QTextDocumentFragment
from PySide6.QtWidgets import QHeaderView, QLabel, QPlainTextEdit, QTableWidget, QVBoxLayout

from explorer.core.point_set import short_label
from explorer.ui.embeddings.common import EmbeddingTab, MatrixTable, MessageLabel, heading, lines_of, str_of
from explorer.ui.embeddings.projection_panel import ProjectionPanel
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
