"""The tokenizer lab's text box: the text every row cuts, the characters of the hovered token lit up in it.

Token spans are Python string indices; the editor counts UTF-16 units. The
mapping (explorer/core/utf16.py) is the one of the text the rows last showed.
"""
from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor, QTextOption
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from explorer.core.utf16 import Utf16Positions

# every text goes to the model host in one request for all rows; see benchmarks/bench_tokenizer.py
PROGRESSIVE_CHARS = 100_000  # above this, each row is shown as soon as it is ready
DEBOUNCE_MS = 40
DEBOUNCE_LONG_MS = 300


class TextBox(QWidget):
    """The editor; says when typing has paused (`settled`) and where the cursor is, as a Python index."""

    settled = Signal()           # the text changed and typing paused: time to tokenize it again
    cursor_moved = Signal(int)   # the cursor's Python index in the text the rows show

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Type or paste any text…")
        option = self.editor.document().defaultTextOption()
        option.setFlags(option.flags() | QTextOption.Flag.ShowTabsAndSpaces)
        self.editor.document().setDefaultTextOption(option)
        self.editor.textChanged.connect(self._text_changed)
        self.editor.cursorPositionChanged.connect(lambda: self.cursor_moved.emit(self.cursor_index()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        self.debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self.debounce.timeout.connect(self.settled)
        self._positions = Utf16Positions("")
        self._dark = False

    def _text_changed(self) -> None:
        long_text = self.editor.document().characterCount() > PROGRESSIVE_CHARS
        self.debounce.setInterval(DEBOUNCE_LONG_MS if long_text else DEBOUNCE_MS)
        self.debounce.start()

    def take_text(self) -> str:
        """The editor's text, from now on the one positions are mapped for (the rows are about to show it)."""
        self.debounce.stop()
        text = self.editor.toPlainText()
        self._positions = Utf16Positions(text)
        return text

    def cursor_index(self) -> int:
        return self._positions.to_index(self.editor.textCursor().position())

    def move_cursor_to(self, index: int) -> None:
        cursor = self.editor.textCursor()
        cursor.setPosition(self._positions.to_utf16(index))
        self.editor.setTextCursor(cursor)
        self.editor.ensureCursorVisible()

    # --- the hovered token's characters ---
    def highlight(self, start: int, end: int) -> None:
        if end <= start:
            self.clear_highlight()
            return
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(self._positions.to_utf16(start))
        cursor.setPosition(self._positions.to_utf16(end), QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setBackground(QColor("#ffd400" if not self._dark else "#b38600"))
        fmt.setForeground(QColor("#000000" if not self._dark else "#ffffff"))
        selection.format = fmt
        self.editor.setExtraSelections([selection])

    def clear_highlight(self) -> None:
        if self.editor.extraSelections():
            self.editor.setExtraSelections([])

    def highlighted_range(self) -> tuple[int, int] | None:
        """The highlighted span as Python indices into the editor's text."""
        selections = self.editor.extraSelections()
        if not selections:
            return None
        cursor = selections[0].cursor
        positions = Utf16Positions(self.editor.toPlainText())
        return positions.to_index(cursor.selectionStart()), positions.to_index(cursor.selectionEnd())

    # --- view settings ---
    def set_dark(self, dark: bool) -> None:
        self._dark = dark

    def apply_font(self, base: QFont) -> float:
        """A monospaced font a little larger than the UI's; returns its line spacing."""
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(base.pointSizeF() * 1.2)
        self.editor.setFont(mono)
        self.editor.setTabStopDistance(self.editor.fontMetrics().horizontalAdvance(" ") * 4)
        line = self.editor.fontMetrics().lineSpacing()
        self.editor.setMinimumHeight(int(line * 3 + 12))
        return line
