"""The tokenizer lab's page bar: which PAGE_CHARS characters of a long text the chips show.

Laying out chips for a megabyte on every keystroke would freeze the window, so
rows show one page at a time (the page under the text cursor); counts are
always for the whole text. The bar hides while the text fits one page.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

PAGE_CHARS = 4_000      # characters per page of chips: layout work per keystroke stays small


class PageBar(QWidget):
    """◀ page i of n ▶; owns the page number and the text length it is counted for."""

    changed = Signal()  # another page is shown (a button, or the text cursor moved to it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.page = 0
        self._n_chars = 0
        self.page_label = QLabel()
        self.prev_page = QPushButton("◀ Previous page")
        self.next_page = QPushButton("Next page ▶")
        self.prev_page.clicked.connect(lambda: self.set_page(self.page - 1))
        self.next_page.clicked.connect(lambda: self.set_page(self.page + 1))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.prev_page)
        layout.addWidget(self.page_label, 1)
        layout.addWidget(self.next_page)
        self.hide()

    def page_count(self) -> int:
        return max(1, -(-self._n_chars // PAGE_CHARS))

    def window(self) -> tuple[int, int]:
        """The characters [start, end) of the page shown."""
        n = self._n_chars
        if n <= PAGE_CHARS:
            return 0, n
        start = self.page * PAGE_CHARS
        return start, min(n, start + PAGE_CHARS)

    def set_text_length(self, n_chars: int) -> None:
        """A new text: the page shown stays where it was, unless the text got shorter than that."""
        self._n_chars = n_chars
        self.page = min(self.page, self.page_count() - 1)

    def set_page(self, page: int) -> None:
        page = max(0, min(self.page_count() - 1, page))
        if page != self.page:
            self.page = page
            self.changed.emit()

    def show_page_of(self, index: int) -> None:
        """Show the page that holds character `index` (the text cursor)."""
        if self._n_chars > PAGE_CHARS:
            self.set_page(min(index, self._n_chars) // PAGE_CHARS)

    def refresh(self) -> None:
        n = self._n_chars
        if n <= PAGE_CHARS:
            self.hide()
            return
        start, end = self.window()
        self.page_label.setText(f"Chips show characters {start + 1:,}–{end:,} of {n:,} (page {self.page + 1} of "
                                f"{self.page_count()}); counts are for the whole text.")
        self.prev_page.setEnabled(self.page > 0)
        self.next_page.setEnabled(self.page < self.page_count() - 1)
        self.show()
