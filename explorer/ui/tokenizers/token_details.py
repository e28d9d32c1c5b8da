"""The tokenizer lab's "Clicked token" box: the token's id, span and bytes, and its row of the embedding matrix.

The embedding row is read in the model host ("tokenizers.embedding_row") for
tokenizers whose model is on this computer.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from explorer.core.tokenization import TokenizedText, visible_whitespace
from explorer.models.catalogue import CatalogueEntry
from explorer.ui.tokenizers.embedding_strip import TokenEmbeddingStrip


class TokenDetails(QGroupBox):
    """What the class sees of one clicked token: id, characters, bytes, and the numbers the model starts from."""

    def __init__(self, engine, owner: str, parent: QWidget | None = None) -> None:
        super().__init__("Clicked token", parent)
        self.engine = engine
        self._job = f"{owner}.embedding"  # one embedding row at a time: a new click supersedes the last
        self.token_details = QLabel("Click a token in any row.")
        self.token_details.setWordWrap(True)
        self.token_details.setTextFormat(Qt.TextFormat.RichText)
        self.token_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strip = TokenEmbeddingStrip()
        layout = QVBoxLayout(self)
        layout.addWidget(self.token_details)
        layout.addWidget(self.strip)

    def show_token(self, tk: TokenizedText, index: int, title: str, encoding: str,
                   entry: CatalogueEntry | None) -> None:
        """Token `index` of `tk`, from the row `title` (`encoding`); entry: its catalogue entry (None: trained)."""
        from explorer.models.tokenizer_loader import has_token_embeddings

        token_id = int(tk.ids[index])
        start, end = int(tk.starts[index]), int(tk.ends[index])
        raw = tk.token_bytes(index)
        lines = [f"<span style='font-size:130%'><b>“{html.escape(visible_whitespace(tk.token_text(index)))}”</b>"
                 f" &nbsp;id <b>{token_id:,}</b></span>",
                 f"{html.escape(title)} ({html.escape(encoding)}), token {index + 1:,} of {len(tk):,}",
                 (f"characters {start:,}–{end:,}" if end > start else "added by the tokenizer: covers no character")]
        if raw:
            lines.append("UTF-8 bytes: " + " ".join(f"{b:02X}" for b in raw[:16]) + (" …" if len(raw) > 16 else ""))
        self.token_details.setText("<br>".join(lines))
        if entry is not None and entry.offline and has_token_embeddings(entry.id):
            self.strip.set_message(f"Reading row {token_id:,} of the embedding matrix…")
            text = tk.token_text(index)
            self.engine.run("tokenizers.embedding_row", {"tokenizer_id": entry.id, "token_id": token_id},
                            owner=self._job, title="Reading a token embedding",
                            on_result=lambda r, t=text: self._show_embedding(r, t),
                            on_error=lambda msg: self.strip.set_message(f"Could not read the embedding: {msg}"))
        else:
            self.engine.cancel(self._job)
            self.strip.set_message("Token embeddings are shown for BERT (uncased), whose model MiniLM is offline, "
                                   "and for SmolLM2. This tokenizer's model is not on this computer.")

    def _show_embedding(self, row, text: str) -> None:
        rows, dim = row.matrix_shape
        self.strip.set_row(row.values, f"Row {row.token_id:,} of the token-embedding matrix ({rows:,} × {dim}) "
                                       f"of {row.model_title}: the {dim} numbers the model starts from for "
                                       f"“{visible_whitespace(text)}”, {TokenEmbeddingStrip.columns} a line.")

    def set_dark(self, dark: bool) -> None:
        self.strip.set_dark(dark)

    def apply_font(self, base: QFont) -> None:
        self.strip.set_strip_font(base)
