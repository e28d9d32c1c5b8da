"""One tokenizer's row in the tokenizer lab: its name and numbers on the left, its token chips on the right."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout,
                               QWidget)

from explorer.core.tokenization import TokenizedText
from explorer.ui.tokenizers.chips import ChipColours, TokenChipsView

INFO_WIDTH_EM = 14  # the info column, in multiples of the font's height


class TokenizerRow(QFrame):
    """States: loading (message), failed (message + Retry), ready (chips)."""

    hovered = Signal(str, int)   # row key, token index (-1: left)
    clicked = Signal(str, int)
    remove_requested = Signal(str)
    vocabulary_requested = Signal(str)
    retry_requested = Signal(str)

    def __init__(self, key: str, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.title = title
        self.encoding = subtitle
        self.vocab_size = 0
        self.state = "loading"
        self._grey, self._red = "#555555", "#b00020"
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("tokenizerRow")

        self.name_label = QLabel()
        self.name_label.setTextFormat(Qt.TextFormat.RichText)
        self.name_label.setWordWrap(True)
        self.encoding_label = QLabel()
        self.encoding_label.setWordWrap(True)
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.RichText)
        self.vocab_button = QToolButton()
        self.vocab_button.setText("Vocab")
        self.vocab_button.setToolTip("Browse this tokenizer's vocabulary (and its merge rules, for BPE)")
        self.vocab_button.clicked.connect(lambda: self.vocabulary_requested.emit(self.key))
        self.vocab_button.setEnabled(False)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Try loading again (downloads need a network)")
        self.retry_button.clicked.connect(lambda: self.retry_requested.emit(self.key))
        self.retry_button.hide()
        self.remove_button = QToolButton()
        self.remove_button.setText("✕")
        self.remove_button.setToolTip(f"Remove the {title} row")
        self.remove_button.clicked.connect(lambda: self.remove_requested.emit(self.key))

        self.chips = TokenChipsView()
        self.chips.hovered.connect(lambda i: self.hovered.emit(self.key, i))
        self.chips.clicked.connect(lambda i: self.clicked.emit(self.key, i))

        title_line = QHBoxLayout()
        title_line.setContentsMargins(0, 0, 0, 0)
        title_line.setSpacing(2)
        title_line.addWidget(self.name_label, 1)
        title_line.addWidget(self.vocab_button, 0, Qt.AlignmentFlag.AlignTop)
        title_line.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        self.info = QWidget()
        info_layout = QVBoxLayout(self.info)
        info_layout.setContentsMargins(2, 0, 2, 0)
        info_layout.setSpacing(0)
        info_layout.addLayout(title_line)
        info_layout.addWidget(self.encoding_label)
        info_layout.addWidget(self.count_label)
        info_layout.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignLeft)
        info_layout.addStretch(1)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.setSpacing(8)
        layout.addWidget(self.info, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.chips, 1, Qt.AlignmentFlag.AlignTop)
        self.apply_font(QApplication.font())
        self._update_labels(None)
        self.set_loading("Loading…")

    # --- appearance ---
    def apply_font(self, font: QFont) -> None:
        self.setFont(font)
        self.info.setFixedWidth(int(_font_height(font) * INFO_WIDTH_EM))
        self.chips.set_chip_font(font)

    def set_colours(self, colours: ChipColours) -> None:
        self.chips.set_colours(colours)
        dark = colours.background.lightness() < 128
        self._grey, self._red = ("#b8b8b8", "#ff8a80") if dark else ("#555555", "#b00020")
        self._update_labels(self.tokenization, failed=self.state == "failed")

    # --- states ---
    def set_loading(self, message: str) -> None:
        self.state = "loading"
        self.retry_button.hide()
        self.chips.set_message(message)
        self._update_labels(None)

    def set_failed(self, message: str, button: str = "Retry") -> None:
        self.state = "failed"
        self.retry_button.setText(button)
        self.retry_button.show()
        self.chips.set_message(message)
        self.chips.setToolTip(message)
        self._update_labels(None, failed=True)

    def set_waiting(self, message: str, button: str) -> None:
        """Not loaded on purpose (a session's Hub tokenizer): the button (e.g. "Download") loads it."""
        self.set_failed(message, button)
        self.state = "waiting"
        self._update_labels(None)

    def set_ready(self, title: str, encoding: str, vocab_size: int) -> None:
        self.title, self.encoding, self.vocab_size = title, encoding, vocab_size
        self.state = "ready"
        self.retry_button.hide()
        self.vocab_button.setEnabled(True)
        self.chips.setToolTip("")
        self.chips.set_message("Tokenizing…")
        self._update_labels(None)

    def set_tokenization(self, tk: TokenizedText, window: tuple[int, int]) -> None:
        self.chips.set_tokenization(tk, window)
        self._update_labels(tk)

    def set_updating(self, updating: bool) -> None:
        self.count_label.setEnabled(not updating)

    @property
    def tokenization(self) -> TokenizedText | None:
        return self.chips.tokenization

    def _update_labels(self, tk: TokenizedText | None, failed: bool = False) -> None:
        title = html.escape(self.title)
        encoding = html.escape(self.encoding)
        _set_text(self.name_label, f"<span style='font-size:115%'><b>{title}</b></span>")
        _set_text(self.encoding_label, f"<span style='color:{self._grey}'>{encoding}</span>")
        if tk is None:
            _set_text(self.count_label, f"<span style='color:{self._red}'>not available</span>" if failed else "")
            return
        vocab = f"vocabulary {self.vocab_size:,}" if self.vocab_size else ""
        _set_text(self.count_label, f"<span style='font-size:120%'><b>{len(tk):,}</b> tokens</span> · "
                                    f"{tk.chars_per_token:.2f} chars/token<br>{vocab}")


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:  # a label that changes re-runs the row's layout
        label.setText(text)


def _font_height(font: QFont) -> float:
    from PySide6.QtGui import QFontMetricsF

    return QFontMetricsF(font).height()
