"""Whether the word2vec tab has trained vectors (they live in the model host), offered beside GloVe in other tabs."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox

GLOVE = "glove-50d"  # the model host's name for GloVe (explorer/host/ops/embeddings.py)
TRAINED = "word2vec"
TRAINED_LABEL = "word2vec (trained here)"


class TrainedVectors(QObject):
    """What the GUI knows of the last finished training (its summary, or None); `changed` tells the choosers.

    The vectors themselves stay in the model host (explorer/host/ops/word2vec.py), where the word tabs and
    the projector query them as source "word2vec".
    """

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.summary: dict | None = None

    def set(self, summary: dict | None) -> None:
        self.summary = summary
        self.changed.emit()

    @property
    def available(self) -> bool:
        return self.summary is not None


_STORE: TrainedVectors | None = None


def store() -> TrainedVectors:
    global _STORE
    if _STORE is None:
        _STORE = TrainedVectors()
    return _STORE


class VectorsChoice(QComboBox):
    """GloVe, and "word2vec (trained here)" once the word2vec tab has finished a training."""

    def __init__(self) -> None:
        super().__init__()
        self.addItem("GloVe 6B 50-d", GLOVE)
        store().changed.connect(self._refresh)
        self._refresh()

    def _refresh(self) -> None:
        has = store().available
        index = self.findData(TRAINED)
        if has and index < 0:
            self.addItem(TRAINED_LABEL, TRAINED)
        elif not has and index >= 0:
            self.removeItem(index)

    def choice(self) -> str:
        return self.currentData() or GLOVE

    def set_choice(self, value: str) -> None:
        index = self.findData(value)
        if index >= 0:
            self.setCurrentIndex(index)
