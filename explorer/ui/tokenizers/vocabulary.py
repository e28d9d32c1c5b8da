"""Browse a tokenizer's vocabulary (id -> piece) and, for BPE, its merge rules in learned order.

The dialog shows plain data the model host sent (the "tokenizers.vocabulary" operation): every piece
as readable text, index = id, and the merge rules or None.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (QDialog, QHeaderView, QLabel, QLineEdit, QListWidget, QTableView, QTabWidget,
                               QVBoxLayout, QWidget)

from explorer.core.tokenization import visible_whitespace

MAX_MERGES_SHOWN = 20_000


class VocabularyModel(QAbstractTableModel):
    """Rows are token ids (all of them, or those whose piece contains a filter string)."""

    def __init__(self, pieces: list[str]) -> None:
        super().__init__()
        self.pieces = pieces
        self._rows: list[int] | None = None  # None: every id

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        if text:
            self._rows = [i for i, piece in enumerate(self.pieces) if text in piece]
        else:
            self._rows = None
        self.endResetModel()

    def token_id(self, row: int) -> int:
        return row if self._rows is None else self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        if parent.isValid():
            return 0
        return len(self.pieces) if self._rows is None else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else 2

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        token_id = self.token_id(index.row())
        if index.column() == 0:
            return f"{token_id:,}"
        return visible_whitespace(self.pieces[token_id]) or "∅"

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Token id", "Token")[section]
        return None


class VocabularyDialog(QDialog):
    def __init__(self, vocabulary: dict, parent: QWidget | None = None) -> None:
        """vocabulary: title, encoding, vocab_size, pieces (index = id), merges (or None)."""
        super().__init__(parent)
        title, encoding, size = vocabulary["title"], vocabulary["encoding"], vocabulary["vocab_size"]
        self.setWindowTitle(f"Vocabulary of {title}")
        self.resize(640, 720)
        self.model = VocabularyModel(vocabulary["pieces"])
        about = QLabel(f"<b>{title}</b> — {encoding}: {size:,} tokens. "
                       "Each token has an id; a language model has one row of its token-embedding matrix per id. "
                       "· is a space, → a tab, ↵ a newline.")
        about.setWordWrap(True)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find tokens containing…")
        self.search.textChanged.connect(self.model.set_filter)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        vocab_page = QWidget()
        vocab_layout = QVBoxLayout(vocab_page)
        vocab_layout.addWidget(self.search)
        vocab_layout.addWidget(self.table)
        self.tabs = QTabWidget()
        self.tabs.addTab(vocab_page, "Vocabulary")
        merges = vocabulary.get("merges")
        self.merges = QListWidget()
        if merges:
            shown = merges[:MAX_MERGES_SHOWN]
            self.merges.addItems([f"{k + 1:,}. {visible_whitespace(m)}" for k, m in enumerate(shown)])
            note = QLabel(f"{len(merges):,} merge rules, in the order training learned them: each glues the two most "
                          "frequent neighbouring pieces into one new token." +
                          (f" The first {MAX_MERGES_SHOWN:,} are listed." if len(merges) > MAX_MERGES_SHOWN else ""))
            note.setWordWrap(True)
            merges_page = QWidget()
            merges_layout = QVBoxLayout(merges_page)
            merges_layout.addWidget(note)
            merges_layout.addWidget(self.merges)
            self.tabs.addTab(merges_page, "Merges")
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.tabs)
