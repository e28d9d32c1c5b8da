"""The tokenizer lab's rows: one per tokenizer, loaded and re-cut in the model host, painted a page at a time.

Rows show one page of a long text (pages.py); counts are always for the whole
text. A row's tokenizer is a catalogue entry
(loaded by the host) or one trained here (kept by the host under the row's key).
"""
from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from explorer.core.tokenization import FLAG_SPECIAL, TokenizedText, visible_whitespace
from explorer.models import catalogue
from explorer.models.catalogue import CatalogueEntry
from explorer.ui.tokenizers.chips import ChipColours
from explorer.ui.tokenizers.pages import PageBar
from explorer.ui.tokenizers.rows import TokenizerRow
from explorer.ui.tokenizers.text_box import PROGRESSIVE_CHARS

def default_tokenizers() -> list[str]:
    return [e.id for e in catalogue.entries("tokenizer") if e.offline]


class RowsPanel(QWidget):
    """The page bar, the hovered token's line and the rows; owns every row's tokenizer and result."""

    tokens_shown = Signal()          # every row now shows the tokens of the current text
    counts_changed = Signal()        # a row's count appeared, changed or went away
    span_hovered = Signal(int, int)  # the hovered token's characters (start == end: none, or hover left)
    token_clicked = Signal(str, int)  # row key, token index
    message = Signal(str)            # a one-line note for the pane ("" clears it)
    retrain_requested = Signal(str)  # a trained row's tokenizer is gone from the host: train it again
    vocabulary_requested = Signal(str)

    def __init__(self, engine, owner: str, cursor_index: Callable[[], int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._owner = owner  # the pane's id: the prefix of every job this panel runs
        self._cursor_index = cursor_index  # the text cursor, as a Python index: rows scroll to its token
        self._rows: dict[str, TokenizerRow] = {}
        self._entries: dict[str, CatalogueEntry] = {}
        # title, encoding and vocab_size of each tokenizer the host has loaded (kept when the row is removed)
        self._tokenizers: dict[str, dict] = {}
        self._results: dict[str, TokenizedText] = {}
        self.trained: dict[str, dict] = {}                # key -> settings + where its training text came from
        self._held: set[str] = set()                      # session rows that need a download: wait for a press
        self._row_jobs: set[str] = set()
        self._text = ""
        self.started = False
        self._colours = ChipColours(False)
        self._show_ids = self._break_lines = False

        self.page_bar = PageBar()
        self.page_bar.changed.connect(self._page_changed)
        self.hover_label = QLabel(" ")
        self.hover_label.setTextFormat(Qt.TextFormat.RichText)

        self.rows_box = QWidget()
        self.rows_layout = QVBoxLayout(self.rows_box)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(4)
        self.rows_layout.addStretch(1)
        self.rows_scroll = QScrollArea()
        self.rows_scroll.setWidgetResizable(True)
        self.rows_scroll.setWidget(self.rows_box)
        self.rows_scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.page_bar)
        layout.addWidget(self.hover_label)
        layout.addWidget(self.rows_scroll, 1)

    # --- reading ---
    def row_keys(self) -> list[str]:
        return list(self._rows)

    def row(self, key: str) -> TokenizerRow:
        return self._rows[key]

    def result(self, key: str) -> TokenizedText | None:
        return self._results.get(key)

    def entry(self, key: str) -> CatalogueEntry | None:
        return self._entries.get(key)

    def is_loaded(self, key: str) -> bool:
        """The host has the row's tokenizer (as far as this side knows) and the row is shown."""
        return key in self._tokenizers and key in self._rows

    def shown(self) -> list[tuple[TokenizerRow, TokenizedText]]:
        """Every row that has a result for the text, with it (what export writes)."""
        return [(row, self._results[key]) for key, row in self._rows.items() if self._results.get(key) is not None]

    def counts(self) -> list[tuple[str, int]]:
        """(row title, tokens in the whole text) of every row showing tokens."""
        return [(row.title, len(self._results[key])) for key, row in self._rows.items()
                if self._results.get(key) is not None and row.state == "ready"]

    def host_rows(self, keys: list[str]) -> dict:
        """What the host needs to find each row's tokenizer: its catalogue entry, or None (trained there)."""
        return {key: None if key in self.trained else self._entries[key] for key in keys}

    # --- adding and removing rows ---
    def add_tokenizer(self, spec: str, wait_for_download: bool = False) -> str | None:
        """Add a row for a catalogue id, a Hub id or a local folder; returns its key (None if refused).

        wait_for_download (a session restoring its rows): a Hub tokenizer waits for the row's Download button.
        """
        from explorer.models.tokenizer_loader import resolve_tokenizer

        try:
            if wait_for_download and not Path(spec).expanduser().is_absolute():
                # from a session: a relative name is a catalogue or Hub id, never a folder here that the
                # user was not shown (full paths were listed for them to confirm)
                entry = catalogue.find(spec.strip(), "tokenizer")
            else:
                entry = resolve_tokenizer(spec)
        except (LookupError, ValueError, OSError) as exc:
            self.message.emit(str(exc.args[0] if exc.args else exc))
            return None
        key = entry.id
        if key in self._rows:
            self.message.emit(f"{entry.title} is already shown.")
            return key
        self.message.emit("")
        self._entries[key] = entry
        subtitle = entry.encoding or (f"Hugging Face Hub: {entry.hub_id}" if entry.hub_id else entry.source)
        self._insert_row(key, entry.title, subtitle)
        if key in self._tokenizers:
            self._tokenizer_ready(key, self._tokenizers[key])
        elif wait_for_download and not entry.offline:
            self._held.add(key)
            self._rows[key].set_waiting(f"{entry.title} comes from the Hugging Face Hub: press Download to "
                                        "fetch it.", "Download")
        elif self.started:
            self._load(key)
        elif not entry.offline:
            self._rows[key].set_loading("waiting to load")
        return key

    def add_trained(self, key: str, spec: dict, info: dict) -> None:
        """A tokenizer trained in the host under `key` becomes a row."""
        self.trained[key] = dict(spec)
        self._tokenizers[key] = info
        self._insert_row(key, info["title"], info["encoding"])
        self._tokenizer_ready(key, info)
        self.rows_scroll.ensureWidgetVisible(self._rows[key])

    def restore_trained(self, specs: list[dict]) -> list[dict]:
        """A session's trained tokenizers: one trained in this window with the same settings comes back at
        once; returns the others, which are trained only when the user asks."""
        pending = []
        for spec in specs:
            key = next((k for k, done in self.trained.items()
                        if done == spec and k in self._tokenizers and k not in self._rows), None)
            if key is None:
                pending.append(spec)
            else:
                info = self._tokenizers[key]
                self._insert_row(key, info["title"], info["encoding"])
                self._tokenizer_ready(key, info)
        return pending

    def trained_specs(self) -> list[dict]:
        """The settings of every trained tokenizer that has a row."""
        return [dict(spec) for key, spec in self.trained.items() if key in self._rows]

    def _insert_row(self, key: str, title: str, subtitle: str) -> TokenizerRow:
        row = TokenizerRow(key, title, subtitle)
        row.set_colours(self._colours)
        row.apply_font(QApplication.font())
        row.chips.set_show_ids(self._show_ids)
        row.chips.set_break_lines(self._break_lines)
        row.hovered.connect(self._on_hover)
        row.clicked.connect(self.token_clicked)
        row.remove_requested.connect(self.remove_tokenizer)
        row.vocabulary_requested.connect(self.vocabulary_requested)
        row.retry_requested.connect(self._retry)
        self.rows_layout.insertWidget(self.rows_layout.count() - 1, row)
        self._rows[key] = row
        return row

    def remove_tokenizer(self, key: str) -> None:
        self._held.discard(key)
        row = self._rows.pop(key, None)
        if row is None:
            return
        self._results.pop(key, None)
        self.engine.cancel(f"{self._owner}.load:{key}")
        self.engine.cancel(f"{self._owner}.row:{key}")
        row.hide()
        self.rows_layout.removeWidget(row)
        row.deleteLater()
        self.clear_hover()
        self.counts_changed.emit()

    # --- loading ---
    def start(self) -> None:
        """The pane is shown for the first time: load every row's tokenizer that is not waiting for a press."""
        self.started = True
        for key in self._rows:
            if key not in self._tokenizers and key not in self.trained and key not in self._held:
                self._load(key)

    def _retry(self, key: str) -> None:
        if key in self.trained:
            self.retrain_requested.emit(key)
        else:
            self._load(key)

    def _load(self, key: str) -> None:
        self._held.discard(key)  # a press on the row's button: the download is the user's choice
        entry = self._entries.get(key)
        row = self._rows.get(key)
        if entry is None or row is None:
            return
        row.set_loading("Downloading…" if entry.hub_id else "Loading…")
        self.engine.run("tokenizers.load", {"entry": entry}, owner=f"{self._owner}.load:{key}",
                        title=f"Loading the {entry.title} tokenizer",
                        on_result=lambda info, k=key: self.loaded(k, info),
                        on_error=lambda msg, k=key: self._load_failed(k, msg),
                        on_progress=lambda f, msg, k=key: self._load_progress(k, f, msg))

    def _load_progress(self, key: str, fraction, message: str) -> None:
        row = self._rows.get(key)
        if row is not None and message:
            pct = f" {fraction * 100:.0f}%" if isinstance(fraction, float) else ""
            row.set_loading(message + pct)

    def loaded(self, key: str, info: dict) -> None:
        """The host has the row's tokenizer (loaded, or trained again): tokenize the text with it."""
        self._tokenizers[key] = info
        if key in self._rows:
            self._tokenizer_ready(key, info)

    def _load_failed(self, key: str, message: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            row.set_failed(message)
        self.counts_changed.emit()

    def _tokenizer_ready(self, key: str, info: dict) -> None:
        row = self._rows[key]
        row.set_ready(row.title if key in self.trained else info["title"], info["encoding"], info["vocab_size"])
        text = self._text
        owner = f"{self._owner}.row:{key}"
        self._row_jobs.add(owner)
        self.engine.run("tokenizers.tokenize", {"rows": self.host_rows([key]), "text": text}, owner=owner,
                        title=f"Tokenizing {len(text):,} characters with {info['title']}",
                        on_result=self._rows_result,
                        on_error=lambda msg, k=key: self.row_failed(k, msg))

    def row_failed(self, key: str, message: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            row.set_failed(message)
        self._results.pop(key, None)
        self.counts_changed.emit()

    def mark_lost(self, lost: dict) -> None:
        """Trained tokenizers the host no longer has (it restarted): the row says so and offers a retrain."""
        for key, message in lost.items():
            self._tokenizers.pop(key, None)
            self.row_failed(key, message)

    # --- tokenizing ---
    def retokenize(self, text: str) -> None:
        """Tokenize `text` with every loaded row, all rows in one request to the host."""
        self._text = text
        self.clear_hover()
        self.page_bar.set_text_length(len(text))
        for owner in self._row_jobs:
            self.engine.cancel(owner)
        self._row_jobs.clear()
        keys = [key for key in self._rows if key in self._tokenizers and self._rows[key].state == "ready"]
        long_text = len(text) > PROGRESSIVE_CHARS
        if long_text:
            for key in keys:
                self._rows[key].set_updating(True)
            self.hover_label.setText(f"Tokenizing {len(text):,} characters in the model process…")
        self.page_bar.refresh()
        if not keys:
            self.engine.cancel(f"{self._owner}.text")
            self.paint_all()
            return
        # one request for every row; a long text shows each row as soon as it is done, a short one all at once
        self.engine.run("tokenizers.tokenize", {"rows": self.host_rows(keys), "text": text, "progressive": long_text},
                        owner=f"{self._owner}.text", title=f"Tokenizing {len(text):,} characters",
                        on_partial=lambda pair: self._row_result(*pair),
                        on_result=self.text_result,
                        on_error=lambda msg: self.message.emit(f"Could not tokenize: {msg}"))

    def text_result(self, answer: dict) -> None:
        """The host's answer for every row: {"results": {key: TokenizedText}, "lost": {key: message}}."""
        if self.hover_label.text().startswith("Tokenizing"):
            self.hover_label.setText(" ")
        fresh = {k: tk for k, tk in answer["results"].items() if tk.text is self._text or tk.text == self._text}
        self._results.update(fresh)
        for key in fresh:
            if key in self._rows:
                self._rows[key].set_updating(False)
        self.mark_lost(answer["lost"])
        self.paint_all()

    def _rows_result(self, answer: dict) -> None:
        """The answer to one row's request (a row that just became ready)."""
        self.mark_lost(answer["lost"])
        for key, tk in answer["results"].items():
            self._row_result(key, tk)

    def _row_result(self, key: str, tk: TokenizedText) -> None:
        if tk.text is not self._text and tk.text != self._text:
            return
        self._results[key] = tk
        if key in self._rows:
            self._rows[key].set_updating(False)
            self._paint_row(key)
        self.counts_changed.emit()
        if all(self._results.get(k) is not None and self._results[k].text == tk.text
               for k, row in self._rows.items() if row.state == "ready"):
            self.tokens_shown.emit()

    # --- pages and painting ---
    def _page_changed(self) -> None:
        self.clear_hover()
        self.paint_all()

    def follow_cursor(self, position: int) -> None:
        """The text cursor is at Python index `position`: show its page, and its token in every row."""
        self.page_bar.show_page_of(position)
        self._scroll_to(position)

    def _scroll_to(self, position: int | None = None) -> None:
        """Scroll every row so the token under the text cursor is in view (typing shows its own tokens)."""
        if position is None:
            position = self._cursor_index()
        for row in self._rows.values():
            tk = row.tokenization
            if tk is not None and len(tk):
                index = min(int(np.searchsorted(tk.ends, position, side="left")), len(tk) - 1)
                row.chips.scroll_to(index)

    def _paint_row(self, key: str) -> None:
        tk = self._results.get(key)
        if tk is not None and tk.text == self._text:
            self._rows[key].set_tokenization(tk, self.page_bar.window())

    def paint_all(self) -> None:
        for key in self._rows:
            self._paint_row(key)
        self._scroll_to()
        self.counts_changed.emit()
        self.page_bar.refresh()
        self.tokens_shown.emit()

    # --- hover and click ---
    def _on_hover(self, key: str, index: int) -> None:
        tk = self._results.get(key)
        if index < 0 or tk is None or index >= len(tk):
            self.clear_hover()
            return
        start, end = int(tk.starts[index]), int(tk.ends[index])
        for other_key, row in self._rows.items():
            if other_key == key:
                row.chips.set_highlight([index], scroll=False)
                continue
            other = self._results.get(other_key)
            if other is not None and row.tokenization is other:
                row.chips.set_highlight(other.overlapping(start, end))
        self.span_hovered.emit(start, end)
        covered = repr(tk.text[start:end]) if end > start else "no character (added by the tokenizer)"
        title = self._rows[key].title
        self.hover_label.setText(f"<b>{html.escape(title)}</b> token {index + 1:,}: "
                                 f"“{html.escape(visible_whitespace(tk.token_text(index)))}” id {int(tk.ids[index]):,}"
                                 f" — characters {start:,}–{end:,}: {html.escape(covered[:80])}")

    def clear_hover(self) -> None:
        for row in self._rows.values():
            if row.chips.highlighted():
                row.chips.set_highlight([], scroll=False)
        self.span_hovered.emit(0, 0)
        if self.hover_label.text().strip() and not self.hover_label.text().startswith("Tokenizing"):
            self.hover_label.setText(" ")

    def select(self, key: str, index: int) -> TokenizedText | None:
        """Mark token `index` of row `key` as the clicked one (in that row only); its tokens, or None."""
        tk = self._results.get(key)
        if tk is None or index >= len(tk):
            return None
        for other_key, row in self._rows.items():
            row.chips.set_selected(index if other_key == key else -1)
        return tk

    # --- view settings ---
    def set_view_options(self, show_ids: bool, break_lines: bool) -> None:
        self._show_ids, self._break_lines = show_ids, break_lines
        for row in self._rows.values():
            row.chips.set_show_ids(show_ids)
            row.chips.set_break_lines(break_lines)

    def set_colours(self, colours: ChipColours) -> None:
        self._colours = colours
        for row in self._rows.values():
            row.set_colours(colours)

    def apply_font(self, base: QFont) -> None:
        for row in self._rows.values():
            row.apply_font(base)


def count_table(shown: list[tuple[TokenizerRow, TokenizedText]]) -> dict:
    """One line per row for export: its counts for the whole text."""
    rows = [[row.title, row.encoding, len(tk), round(tk.chars_per_token, 4), row.vocab_size] for row, tk in shown]
    return {"token_counts": rows,
            "__columns__": ["tokenizer", "encoding", "tokens", "characters per token", "vocabulary size"]}


def token_table(shown: list[tuple[TokenizerRow, TokenizedText]]) -> dict:
    """One line per token of every row for export."""
    rows = []
    for row, tk in shown:
        ids, starts, ends = tk.ids.tolist(), tk.starts.tolist(), tk.ends.tolist()
        special = ((tk.flags & FLAG_SPECIAL) != 0).tolist()
        for i in range(len(tk)):
            rows.append([row.title, i, ids[i], tk.token_text(i), starts[i], ends[i], special[i]])
    return {"tokens": rows, "__columns__": ["tokenizer", "position", "id", "text", "start", "end", "special"]}
