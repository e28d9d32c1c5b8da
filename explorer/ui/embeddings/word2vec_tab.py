"""word2vec trained live: the loss, watched words' neighbours, a moving map and one real step laid out.

Training runs in the model host (explorer/host/ops/word2vec.py), which keeps the trainer and the finished
vectors; this tab draws the snapshots it streams, and pauses, resumes, cancels and saves by asking the host.
"""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFileDialog, QFormLayout, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QPushButton, QScrollArea, QSpinBox, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, heading, int_of, split_words, str_of
from explorer.ui.embeddings.trained import TRAINED_LABEL, store
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.scatter import ScatterView

WATCHED = "king elizabeth whale sea god monday"
CORPORA = {"gutenberg": "18 Gutenberg books (2.1M words)", "file": "A text file", "folder": "A folder of .txt files"}
SETTINGS = (("dim", "Dimensions", 1, 1000, 100), ("window", "Window", 1, 50, 5),
            ("negative", "Negatives", 1, 50, 5), ("min_count", "Min count", 1, 1_000_000, 5),
            ("epochs", "Epochs", 1, 1000, 3), ("seed", "Seed", 0, 2_147_483_647, 1))


def step_html(step: dict) -> str:
    """One pair as the lecture draws it: centre · each target, sigmoid, label, gradient, loss."""
    rows = []
    names = [step["context"]] + step["negatives"]
    for j, word in enumerate(names):
        kind = "true context" if j == 0 else f"negative {j}"
        colour = "#2e7d32" if j == 0 else "#c62828"
        rows.append(f"<tr><td style='color:{colour}'><b>{html.escape(word)}</b> ({kind})</td>"
                    f"<td align=right>{step['dots'][j]:+.3f}</td><td align=right>{step['sigmoids'][j]:.3f}</td>"
                    f"<td align=right>{int(step['labels'][j])}</td><td align=right>{step['gradients'][j]:+.5f}</td></tr>")
    norm = float(np.linalg.norm(step["centre_update"]))
    # the numbers on the left, the formulas beside them: the pane is wider than it is tall
    return (f"<p>Centre word <b>{html.escape(step['centre'])}</b>: its vector v in W is compared with the "
            f"context vectors u in C of the true neighbour and {len(step['negatives'])} random words.</p>"
            "<table cellspacing=0 cellpadding=0><tr><td valign=top>"
            "<table cellspacing=0 cellpadding=4 border=1>"
            "<tr><th>target word</th><th>v·u</th><th>σ(v·u)</th><th>label</th><th>g = lr·(label − σ)</th></tr>"
            + "".join(rows) + "</table></td><td valign=top style='padding-left: 16px'>"
            f"loss = −log σ(v·u<sub>true</sub>) − Σ log(1 − σ(v·u<sub>neg</sub>))<br>= <b>{step['loss']:.3f}</b>"
            f"<br><br>learning rate lr = {step['lr']:.5f}<br><br>"
            f"Update: v += Σ g·u (a step of length {norm:.5f});<br>each u += g·v.<br><br>"
            "The true neighbour is pulled closer,<br>the negatives are pushed away.</td></tr></table>")


class Word2VecTab(EmbeddingTab):
    key = "word2vec"
    title = "word2vec"
    link_to_bank = Signal()

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.corpus = QComboBox()
        for key, title in CORPORA.items():
            self.corpus.addItem(title, key)
        self.path = QLineEdit()
        self.path.setPlaceholderText("path of a .txt file or a folder")
        self.browse = QPushButton("Browse…")
        self.spins: dict[str, QSpinBox] = {}
        for key, _label, low, high, value in SETTINGS:
            spin = QSpinBox()
            spin.setRange(low, high)
            spin.setValue(value)
            self.spins[key] = spin
        self.watched = QLineEdit(WATCHED)
        self.train_button = QPushButton("Train")
        self.pause_button = QPushButton("Pause")
        self.cancel_button = QPushButton("Cancel")
        self.save_button = QPushButton("Save vectors…")
        self.save_button.setToolTip("Write the trained vectors into a folder (vectors.txt, training.json): the "
                                    "Projector and llm-explorer neighbors --vectors read it")
        for button in (self.pause_button, self.cancel_button, self.save_button):
            button.setEnabled(False)
        self.message = MessageLabel("Press Train: word2vec learns from the books, and you watch meaning appear.")
        self.note = QLabel("These vectors are <b>static</b>: one vector per word, whatever the sentence. "
                           "“bank” gets a single vector for river bank and money bank — see the "
                           "<a href='bank'>Contextual “bank” tab</a> for vectors that depend on context.")
        self.note.setWordWrap(True)
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.note.linkActivated.connect(lambda _href: self.link_to_bank.emit())

        import pyqtgraph as pg

        from explorer.ui.widgets.plot_axis import readable_axes

        self.loss_plot = pg.PlotWidget(axisItems=readable_axes())
        self.loss_plot.setBackground("w")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.25)
        self.loss_plot.getAxis("bottom").enableAutoSIPrefix(False)  # not "(millions) (x0.001)"
        self.loss_plot.getPlotItem().setMenuEnabled(False)
        self._style_loss_plot(1.0, False)
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#2171b5", width=3))
        self.neighbours = QTableWidget(0, 2)
        self.neighbours.setHorizontalHeaderLabels(["word", "nearest words now"])
        self.neighbours.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.neighbours.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.neighbours.horizontalHeader().setStretchLastSection(True)
        self.neighbours.verticalHeader().setVisible(False)
        self.map = ScatterView(show_controls=False, empty_text="The 300 most frequent words appear here")
        self.step = QLabel("One training step appears here, with its real numbers.")
        self.step.setWordWrap(True)
        self.step.setTextFormat(Qt.TextFormat.RichText)

        form = QFormLayout()
        corpus_row = QHBoxLayout()
        corpus_row.addWidget(self.corpus, 1)
        form.addRow("Corpus", corpus_row)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(self.browse)
        form.addRow("", path_row)
        grid = QGridLayout()
        for i, (key, label, *_rest) in enumerate(SETTINGS):
            grid.addWidget(QLabel(label), i // 2, (i % 2) * 2)
            grid.addWidget(self.spins[key], i // 2, (i % 2) * 2 + 1)
        form.addRow(grid)
        form.addRow("Watch", self.watched)
        buttons = QHBoxLayout()
        for b in (self.train_button, self.pause_button, self.cancel_button, self.save_button):
            buttons.addWidget(b)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(heading("<b>Skip-gram with negative sampling</b>: learn vectors by predicting "
                                      "whether two words appear near each other"))
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.neighbours, 1)
        left_layout.addWidget(self.note)
        right_top = QSplitter(Qt.Orientation.Horizontal)
        right_top.addWidget(self.map)
        right_top.addWidget(self.loss_plot)
        right_top.setSizes([700, 400])
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(right_top)
        step_area = QScrollArea()  # at presenter sizes the table and its two lines of text outgrow the pane
        step_area.setWidgetResizable(True)
        step_area.setFrameShape(QScrollArea.Shape.NoFrame)
        step_area.setWidget(self.step)
        right.addWidget(step_area)
        right.setSizes([560, 340])
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([480, 1000])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)

        self.corpus.currentIndexChanged.connect(self._corpus_changed)
        self.browse.clicked.connect(self._browse)
        self.train_button.clicked.connect(self.train)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self._choose_save_folder)
        self._paused = False
        self._arguments: dict = {}
        self.snapshot: dict | None = None
        self.saved_path: str | None = None
        self._corpus_changed()

    # --- inputs ---
    def _corpus_changed(self, *args) -> None:
        own = self.corpus.currentData() != "gutenberg"
        self.path.setVisible(own)
        self.browse.setVisible(own)

    def _browse(self) -> None:
        if self.corpus.currentData() == "folder":
            path = QFileDialog.getExistingDirectory(self, "Folder of text files")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Text file", "", "Text (*.txt *.md);;All files (*)")
        if path:
            self.path.setText(path)

    def settings(self) -> dict:
        """The training settings (fields of explorer.core.word2vec.train.Settings; checked in the host)."""
        values = {key: spin.value() for key, spin in self.spins.items()}
        return {**values, "shuffle": True}  # every book early: sensible neighbours within seconds

    def set_corpus(self, kind: str, path: str = "") -> None:
        self.corpus.setCurrentIndex(max(0, self.corpus.findData(kind)))
        self.path.setText(path)

    # --- training (in the model host) ---
    def train(self) -> None:
        kind, path = self.corpus.currentData(), self.path.text().strip()
        if kind != "gutenberg" and not path:
            self.message.error("Choose a text file or folder to train on, or pick the Gutenberg books.")
            return
        arguments = {"corpus": "gutenberg" if kind == "gutenberg" else path, "settings": self.settings(),
                     "watched": split_words(self.watched.text())}
        self.snapshot = None
        self.loss_curve.setData([], [])
        self._paused = False
        self._set_running(True)
        self.message.info("Counting the words of the corpus…")
        self._arguments = arguments  # Resume sends them again: the host starts afresh if it lost the training
        self._run_training("word2vec.train", arguments)

    def _run_training(self, operation: str, arguments: dict) -> None:
        self.run_op(operation, arguments, title="Training word2vec", on_result=self._finished, on_error=self._failed,
                    on_progress=self._progress, on_partial=self.show_snapshot)

    def toggle_pause(self) -> None:
        """Pause stops the host's job and keeps the trainer there (the host is free meanwhile); Resume goes on."""
        if self._paused:
            self._paused = False
            self.pause_button.setText("Pause")
            self.message.info("Training again…")
            self._run_training("word2vec.resume", self._arguments)
        else:
            self._paused = True
            self.engine.cancel(self.owner)
            self.pause_button.setText("Resume")
            self.message.info("Paused: the vectors stay as they are until you press Resume.")

    def cancel(self) -> None:
        self._paused = False
        self.engine.cancel(self.owner)
        self.run_op("word2vec.discard", {}, "discard", title="Forgetting the cancelled training")
        self._set_running(False)
        self.message.info("Cancelled. Earlier trained vectors (if any) are still offered in the other tabs.")

    def _set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.save_button.setEnabled(not running and store().available)
        self.pause_button.setText("Pause")

    def _progress(self, fraction, message: str) -> None:
        pct = f"{fraction * 100:.0f}% · " if fraction is not None else ""
        self.message.info(pct + message)

    def _failed(self, message: str) -> None:
        self._set_running(False)
        self.message.error(message)

    def _finished(self, summary: dict) -> None:
        # the vectors stay in the model host, where the word tabs and the projector query them
        self.result = summary
        store().set(summary)
        self._set_running(False)
        self.message.info(f"Done: {summary['vocabulary']:,} words, {summary['train_seconds']:.0f} s "
                          f"({summary['words_per_second'] / 1000:.0f}k words/s). “{TRAINED_LABEL}” is now a "
                          "choice in the Neighbours, Analogy, Word axes and Projector tabs.")

    # --- saving ---
    def _choose_save_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the word2vec vectors")
        if folder:
            self.save_to(folder)

    def save_to(self, folder: str) -> None:
        """Write the last finished training into `folder` (the host writes it: it holds the vectors)."""
        self.message.info("Saving the vectors…")
        self.run_op("word2vec.save", {"out_dir": folder}, "save", title="Saving the word2vec vectors",
                    on_result=self._saved, on_error=self.message.error)

    def _saved(self, path: str) -> None:
        self.saved_path = path
        self.message.info(f"Saved to {path}. The Projector opens it as a vectors file; on the command line, "
                          "llm-explorer neighbors --vectors FOLDER reads the folder.")

    # --- drawing ---
    def show_snapshot(self, snap: dict) -> None:
        self.snapshot = snap
        losses = snap["losses"]
        if losses:
            xs = np.array([w for w, _ in losses], dtype=float) / 1e6
            self.loss_curve.setData(xs, np.array([l for _, l in losses]))
        table = self.neighbours
        rows = list(snap["neighbours"].items())
        table.setRowCount(len(rows) + len(snap["missing"]))
        for i, (word, near) in enumerate(rows):
            table.setItem(i, 0, QTableWidgetItem(word))
            table.setItem(i, 1, QTableWidgetItem(", ".join(w for w, _ in near[:6])))
        for j, word in enumerate(snap["missing"]):
            table.setItem(len(rows) + j, 0, QTableWidgetItem(word))
            table.setItem(len(rows) + j, 1, QTableWidgetItem("(not in this corpus' vocabulary)"))
        table.resizeRowsToContents()
        watched = [w.lower() for w in snap["neighbours"]]
        groups = np.array([1 if w in watched else 0 for w in snap["map_words"]])
        self.map.set_points(snap["map"], snap["map_words"], groups, group_names=["frequent words", "watched"],
                            axis_titles=["PCA 1 of the current vectors", "PCA 2"], keep_view=False)
        if snap["step"] is not None:
            self.step.setText(step_html(snap["step"]))

    def neighbour_rows(self) -> dict[str, str]:
        return {self.neighbours.item(i, 0).text(): self.neighbours.item(i, 1).text()
                for i in range(self.neighbours.rowCount()) if self.neighbours.item(i, 1)}

    # --- pane hooks ---
    def state(self) -> dict:
        return {"corpus": self.corpus.currentData(), "path": self.path.text(), "watched": self.watched.text(),
                **{key: spin.value() for key, spin in self.spins.items()}}

    def restore_state(self, state: dict) -> None:
        self.set_corpus(str_of(state, "corpus", "gutenberg"), str_of(state, "path", ""))
        self.watched.setText(str_of(state, "watched", WATCHED))
        for key, spin in self.spins.items():
            spin.setValue(int_of(state, key, spin.value()))

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("word2vec map", self.map, self.map.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.map.apply_view_settings(font_scale, dark)
        self._style_loss_plot(font_scale, dark)

    def _style_loss_plot(self, font_scale: float, dark: bool) -> None:
        from explorer.ui.widgets.plot_axis import style_axes

        self.loss_plot.setBackground("#1e1e1e" if dark else "w")
        style_axes(self.loss_plot.getPlotItem(), font_scale, dark, left="loss per pair",
                   bottom="words read (millions)")

