"""Sentence similarity: type sentences, see MiniLM's tokens and the cosine between them.

The first end-to-end path through the engine: text -> worker -> MiniLM -> result.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from explorer.ui.pane import Pane

PRESETS = {
    "bank": ["I sat on the bank of the river.", "The river bank was muddy after the rain.",
             "I deposited money at the bank.", "The bank approved my loan."],
    "cats": ["Sarah fed the cat because it was hungry.", "The kitten drank some milk.",
             "Stock markets fell sharply today."],
}


class SentenceSimilarityPane(Pane):
    pane_id = "similarity"
    title = "Sentence similarity"
    order = 60
    summary = "MiniLM sentence embeddings: which sentences mean the same thing?"

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("One sentence per line")
        self.editor.setPlainText("\n".join(PRESETS["bank"]))
        self.editor.setMaximumHeight(160)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.table = QTableWidget()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.tokens = QLabel()
        self.tokens.setWordWrap(True)
        self.tokens.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        presets = QHBoxLayout()
        presets.addWidget(QLabel("Examples:"))
        for name in PRESETS:
            button = QPushButton(name.capitalize())
            button.clicked.connect(lambda _=False, n=name: self.apply_preset(n))
            presets.addWidget(button)
        presets.addStretch(1)

        layout = QVBoxLayout(self)
        header = QLabel(f"<h2>{self.title}</h2><p>Each line is embedded by MiniLM (mean of its token vectors, "
                        "unit length). Cells show the cosine similarity: 1 = same direction, 0 = unrelated.</p>")
        header.setWordWrap(True)
        layout.addWidget(header)
        layout.addLayout(presets)
        layout.addWidget(self.editor)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel("<b>Tokens MiniLM sees</b>"))
        layout.addWidget(self.tokens)

        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.recompute)
        self.editor.textChanged.connect(self._debounce.start)
        self.result = None
        self._started = False

    def presets(self) -> list[str]:
        return list(PRESETS)

    def apply_preset(self, name: str) -> None:
        if name not in PRESETS:
            super().apply_preset(name)
        self.editor.setPlainText("\n".join(PRESETS[name]))
        self.recompute()

    def state(self) -> dict:
        return {"text": self.editor.toPlainText()}

    def restore_state(self, state: dict) -> None:
        text = state.get("text")
        if isinstance(text, str):
            self.editor.setPlainText(text)

    def activated(self) -> None:
        if not self._started:
            self._started = True
            self.recompute()

    def sentences(self) -> list[str]:
        return [line.strip() for line in self.editor.toPlainText().splitlines() if line.strip()]

    def recompute(self) -> None:
        self._debounce.stop()
        sentences = self.sentences()
        if not sentences:
            self.engine.cancel(self.pane_id)
            self.message.setText("Type at least one sentence.")
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        self.message.setText("Embedding…")

        def job(ctx):
            from explorer.core.sentence_embeddings import embed_sentences

            loaded = ctx.models.get("minilm", "encoder", ctx)
            return embed_sentences(loaded.model, loaded.tokenizer, sentences, loaded.device, progress=ctx)

        self.engine.submit(job, owner=self.pane_id, title="Embedding sentences with MiniLM",
                           on_result=self._show, on_error=self._error)

    def _error(self, message: str) -> None:
        self.message.setText(f"Could not embed: {message}")

    def _show(self, result) -> None:
        self.result = result
        n = len(result.texts)
        cos = result.cosine()
        labels = [t if len(t) <= 40 else t[:39] + "…" for t in result.texts]
        self.table.clear()
        self.table.setRowCount(n)
        self.table.setColumnCount(n)
        self.table.setHorizontalHeaderLabels([f"{i + 1}" for i in range(n)])
        self.table.setVerticalHeaderLabels([f"{i + 1}. {label}" for i, label in enumerate(labels)])
        for i in range(n):
            for j in range(n):
                value = float(cos[i, j])
                item = QTableWidgetItem(f"{value:.2f}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                shade = int(255 - 140 * max(0.0, value))
                item.setBackground(QColor(shade, shade, 255))
                item.setForeground(QColor("black"))
                self.table.setItem(i, j, item)
        self.tokens.setText("<br>".join(f"{i + 1}. " + html.escape(" ".join(toks)) for i, toks in enumerate(result.tokens)))
        if n == 1:
            self.message.setText("Add a second sentence to compare.")
        else:
            best = max(((i, j) for i in range(n) for j in range(n) if i < j), key=lambda p: cos[p])
            self.message.setText(f"Most similar: {best[0] + 1} and {best[1] + 1} (cosine {cos[best]:.2f}).")
