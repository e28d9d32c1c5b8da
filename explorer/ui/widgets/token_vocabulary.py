"""Browse a tokenizer's vocabulary (id -> piece) and, for BPE, its merge rules in learned order."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (QDialog, QHeaderView, QLabel, QLineEdit, QListWidget, QTableView, QTabWidget,
                               QVBoxLayout, QWidget)

from explorer.core.tokenization import TextTokenizer, visible_whitespace

MAX_MERGES_SHOWN = 20_000


class VocabularyModel(QAbstractTableModel):
    """Rows are token ids (all of them, or those whose piece contains a filter string); pieces are read lazily."""

    def __init__(self, tokenizer: TextTokenizer) -> None:
        super().__init__()
        self.tokenizer = tokenizer
        self._rows: list[int] | None = None  # None: every id

    def set_filter(self, text: str) -> None:
        self.beginResetModel()
        if text:
            self._rows = [i for i in range(self.tokenizer.vocab_size) if text in self.tokenizer.piece(i)]
        else:
            self._rows = None
        self.endResetModel()

    def token_id(self, row: int) -> int:
        return row if self._rows is None else self._rows[row]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        if parent.isValid():
            return 0
        return self.tokenizer.vocab_size if self._rows is None else len(self._rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 - Qt API
        return 0 if parent.isValid() else 2

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        token_id = self.token_id(index.row())
        if index.column() == 0:
            return f"{token_id:,}"
        return visible_whitespace(self.tokenizer.piece(token_id)) or "∅"

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return ("Token id", "Token")[section]
        return None


class VocabularyDialog(QDialog):
    def __init__(self, tokenizer: TextTokenizer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Vocabulary of {tokenizer.title}")
        self.resize(640, 720)
        self.model = VocabularyModel(tokenizer)
        about = QLabel(f"<b>{tokenizer.title}</b> — {tokenizer.encoding}: {tokenizer.vocab_size:,} tokens. "
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
        merges = tokenizer.merges()
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
