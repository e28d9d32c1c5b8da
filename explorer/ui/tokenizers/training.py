"""The tokenizer lab's "Train your own tokenizer" box: the form, the training job, a session's pending ones.

Training runs in the model host ("tokenizers.train"), which keeps the trained
tokenizer under the row's key; the pane turns the result into a new row.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QRadioButton, QSpinBox, QVBoxLayout, QWidget)

from explorer.core.tokenizer_training import ALGORITHM_TITLES, ALGORITHMS, MAX_VOCAB, MIN_VOCAB, TrainingSettings

TRAIN_HINT = "Learns a vocabulary from the text in seconds; it appears as a new row."


def trainable(spec: object) -> bool:
    """A session's trained-tokenizer entry that names an algorithm, a size and a text or a file."""
    return (isinstance(spec, dict) and spec.get("algorithm") in ALGORITHMS
            and isinstance(spec.get("vocab_size"), int) and not isinstance(spec.get("vocab_size"), bool)
            and (isinstance(spec.get("file"), str) or isinstance(spec.get("training_text"), str)))


def settings_for(spec: dict) -> TrainingSettings:
    """The settings a training spec stands for, its source named as the user sees it."""
    file = spec.get("file")
    source = Path(file).name if file else f"the text box ({len(spec.get('training_text') or ''):,} characters)"
    return TrainingSettings(spec["algorithm"], spec["vocab_size"], source)


class TrainingBox(QGroupBox):
    """Algorithm, vocabulary size, text or file; emits `trained` with the host's description of the result."""

    trained = Signal(str, dict, dict)  # row key, training spec, {"title", "encoding", "vocab_size"}

    def __init__(self, engine, owner: str, text: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__("Train your own tokenizer", parent)
        self.engine = engine
        self._owner = owner  # the pane's id: the prefix of every job this box runs
        self._text = text    # the editor's text, read when Train is pressed
        self._pending: list[dict] = []  # from a session: trained again only when asked
        self._counter = itertools.count(1)
        self.train_algorithm = QComboBox()
        for algorithm in ALGORITHMS:
            self.train_algorithm.addItem(ALGORITHM_TITLES[algorithm], algorithm)
        self.train_vocab = QSpinBox()
        self.train_vocab.setRange(MIN_VOCAB, MAX_VOCAB)
        self.train_vocab.setSingleStep(100)
        self.train_vocab.setValue(1000)
        self.train_vocab.setGroupSeparatorShown(True)
        self.train_on_text = QRadioButton("the text above")
        self.train_on_text.setChecked(True)
        self.train_on_file = QRadioButton("a file")
        self._source_group = QButtonGroup(self)
        self._source_group.addButton(self.train_on_text)
        self._source_group.addButton(self.train_on_file)
        self.train_file_button = QPushButton("Choose file…")
        self.train_file_button.clicked.connect(self._choose_training_file)
        self.train_file: str | None = None
        self.train_button = QPushButton("Train tokenizer")
        self.train_button.clicked.connect(self.train)
        self.train_status = QLabel(TRAIN_HINT)
        self.train_status.setWordWrap(True)
        # a session's trained tokenizers are listed, not trained on opening: this button trains them
        self.retrain_button = QPushButton("Train them again")
        self.retrain_button.clicked.connect(self.train_pending)
        self.retrain_button.hide()
        source = QVBoxLayout()
        source.addWidget(self.train_on_text)
        file_line = QHBoxLayout()
        file_line.addWidget(self.train_on_file)
        file_line.addWidget(self.train_file_button, 1)
        source.addLayout(file_line)
        form = QFormLayout(self)
        form.addRow("Algorithm", self.train_algorithm)
        form.addRow("Vocabulary", self.train_vocab)
        form.addRow("Train on", source)
        form.addRow(self.train_button)
        form.addRow(self.train_status)
        form.addRow(self.retrain_button)

    # --- the form ---
    def form_state(self) -> dict:
        return {"algorithm": self.train_algorithm.currentData(), "vocab_size": self.train_vocab.value()}

    def restore_form(self, form: object) -> None:
        if not isinstance(form, dict):
            return
        index = self.train_algorithm.findData(form.get("algorithm"))
        if index >= 0:
            self.train_algorithm.setCurrentIndex(index)
        if isinstance(form.get("vocab_size"), int):
            self.train_vocab.setValue(form["vocab_size"])

    def _choose_training_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "A text file to train on", "", "Text files (*.txt *.md *.py *.csv"
                                              " *.json);;All files (*)")
        if path:
            self.set_training_file(path)

    def set_training_file(self, path: str) -> None:
        from explorer.core.safe_paths import UnsafePathError, check_path

        try:
            check_path(path, "file", "text file")
        except UnsafePathError as exc:
            self.train_status.setText(str(exc))
            return
        self.train_file = path
        self.train_on_file.setChecked(True)
        self.train_file_button.setText(Path(path).name[:28])
        self.train_file_button.setToolTip(path)

    # --- training ---
    def train(self) -> None:
        """Train in the host with the form's settings; the result becomes a new row."""
        algorithm = self.train_algorithm.currentData()
        vocab_size = self.train_vocab.value()
        if self.train_on_file.isChecked():
            if not self.train_file:
                self.train_status.setText("Choose a file to train on first.")
                return
            spec = {"algorithm": algorithm, "vocab_size": vocab_size, "file": self.train_file}
        else:
            text = self._text()
            if not text.strip():
                self.train_status.setText("Type or paste some text to train on first.")
                return
            spec = {"algorithm": algorithm, "vocab_size": vocab_size, "training_text": text}
        self._train_from_spec(spec)

    def _train_from_spec(self, spec: dict) -> None:
        algorithm, vocab_size = spec.get("algorithm"), spec.get("vocab_size")
        if algorithm not in ALGORITHMS or not isinstance(vocab_size, int):
            return
        file = spec.get("file") if isinstance(spec.get("file"), str) else None
        text = spec.get("training_text") if isinstance(spec.get("training_text"), str) else None
        if file is None and text is None:
            return
        settings = settings_for(spec)
        key = f"trained:{algorithm}:{vocab_size}:{next(self._counter)}"
        self.train_status.setText(f"Training {settings.title} on {settings.source}…")
        self.train_button.setEnabled(False)
        self.submit(key, spec, settings, on_result=lambda info: self._trained_ready(key, spec, info),
                    on_error=self._training_failed)

    def submit(self, key: str, spec: dict, settings: TrainingSettings, on_result, on_error) -> None:
        """Train `spec` in the host, kept there under `key` (a new row, or a row whose tokenizer was lost)."""
        arguments = {"key": key, "algorithm": settings.algorithm, "vocab_size": settings.vocab_size,
                     "source": settings.source, "text": spec.get("training_text") if not spec.get("file") else None,
                     "file": spec.get("file") or None}
        self.engine.run("tokenizers.train", arguments, owner=f"{self._owner}.train:{key}",
                        title=f"Training {settings.title}", on_result=on_result, on_error=on_error)

    def _trained_ready(self, key: str, spec: dict, info: dict) -> None:
        self.train_button.setEnabled(True)
        self.trained.emit(key, spec, info)
        asked = int(spec.get("vocab_size", 0))
        got = info["vocab_size"]
        if got > asked:
            why = " (larger than asked: every character of the text needs a token of its own)"
        elif got < asked:
            why = " (fewer than asked: the text has nothing more worth merging)"
        else:
            why = ""
        self.train_status.setText(f"Trained {info['title']}: {got:,} tokens in its vocabulary{why}. "
                                  "Press Vocab on its row to browse them.")

    def _training_failed(self, message: str) -> None:
        self.train_button.setEnabled(True)
        self.train_status.setText(f"Training failed: {message}")

    # --- a session's trained tokenizers ---
    @property
    def pending(self) -> list[dict]:
        return [dict(spec) for spec in self._pending]

    def set_pending(self, specs: list[dict]) -> None:
        """List a session's trained tokenizers with their sources; the button trains them when pressed."""
        self._pending = specs
        self.retrain_button.setVisible(bool(specs))
        if not specs:
            if self.train_status.text().startswith("This session had"):
                self.train_status.setText(TRAIN_HINT)
            return
        count = len(specs)
        self.retrain_button.setText(f"Train {'it' if count == 1 else f'these {count}'} again")
        listed = "; ".join(f"{ALGORITHM_TITLES.get(spec['algorithm'], spec['algorithm'])} "
                           f"{int(spec['vocab_size']):,} on "
                           + (spec["file"] if isinstance(spec.get("file"), str) else settings_for(spec).source)
                           for spec in specs)
        self.train_status.setText(f"This session had {count} tokenizer{'s' if count != 1 else ''} trained here: "
                                  f"{listed}. They are not trained until you press the button below.")

    def train_pending(self) -> None:
        """The user pressed "Train again": train the session's tokenizers, each a job of its own."""
        specs, self._pending = self._pending, []
        self.retrain_button.hide()
        for spec in specs:
            self._train_from_spec(spec)
