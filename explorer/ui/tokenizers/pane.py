"""Tokenizer lab: one text, many tokenizers side by side, re-cut as you type.

No tokenizer lives in this process: loading, tokenizing (every row in one
request, the rows on parallel threads), training, the vocabulary and the
embedding row of a clicked token are operations of the model host
(explorer/host/ops/tokenizers.py), and rows come back as plain
`TokenizedText`. Typing and a pasted megabyte never freeze the window. Rows show one page of
PAGE_CHARS characters at a time (the page under the text cursor); counts are
always for the whole text.
"""
from __future__ import annotations

import html
import itertools
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor, QTextOption
from PySide6.QtWidgets import (QApplication, QBoxLayout, QButtonGroup, QCheckBox, QComboBox, QFileDialog, QFormLayout, QFrame,
                               QGroupBox, QHBoxLayout, QInputDialog, QLabel, QMenu, QPlainTextEdit, QPushButton,
                               QRadioButton, QScrollArea, QSizePolicy, QSpinBox, QSplitter, QTextEdit, QToolButton,
                               QVBoxLayout, QWidget)

from explorer.core.tokenization import FLAG_SPECIAL, TokenizedText, visible_whitespace
from explorer.core.tokenizer_training import (ALGORITHM_TITLES, ALGORITHMS, MAX_VOCAB, MIN_VOCAB, TrainingSettings)
from explorer.models import catalogue
from explorer.models.catalogue import CatalogueEntry
from explorer.ui.pane import ExportTarget, Pane
from explorer.ui.widgets.token_chips import ChipColours
from explorer.ui.widgets.token_count_chart import TokenCountChart
from explorer.ui.widgets.token_embedding_strip import TokenEmbeddingStrip
from explorer.ui.widgets.token_rows import TokenizerRow

LECTURE_TEXT = ("\nEnglish and CAPITALIZATION\n🎵 鸟\nshow_tokens False None elif == >= else: two tabs:\"    \" "
                "Three tabs: \"       \"\n12.0*50=600\n")
PRESETS: dict[str, str] = {
    "lecture": LECTURE_TEXT,
    "code": ("def count_tokens(text: str, limit: int = 4096) -> int:\n"
             "    \"\"\"Return how many tokens `text` costs.\"\"\"\n"
             "    if not text:\n"
             "\treturn 0  # a tab-indented line\n"
             "    tokens = [t for t in text.split() if t != \"\"]\n"
             "    return min(len(tokens), limit)  # TODO: use a real tokenizer!\n"),
    "numbers": ("12.0*50=600\n"
                "3.14159265358979323846264338327950288419716939937510\n"
                "1234567890 + 9876543210 = 11111111100\n"
                "2024-11-26 09:45:00, $1,299.99, 0.000001, 1e-9, 0x7FFF\n"
                "1 22 333 4444 55555 666666 7777777\n"),
    "scripts": ("English: Hello, world!\n"
                "Deutsch: Grüß Gott, schöne Straße\n"
                "Русский: Привет, мир\n"
                "Ελληνικά: Γειά σου κόσμε\n"
                "العربية: مرحبا بالعالم\n"
                "עברית: שלום עולם\n"
                "中文: 你好，世界\n"
                "日本語: こんにちは世界\n"
                "한국어: 안녕하세요 세계\n"
                "Emoji: 👩‍💻 🇺🇦 👍🏽\n"),
    "bards": "Have the bards who preceded me left any theme unsung?",
}
PRESET_TITLES = {"lecture": "Lecture text", "code": "Code", "numbers": "Long numbers", "scripts": "Other scripts",
                 "bards": "The bards"}

# every text goes to the model host in one request for all rows; see benchmarks/bench_tokenizer.py
PROGRESSIVE_CHARS = 100_000  # above this, each row is shown as soon as it is ready
PAGE_CHARS = 4_000      # characters per page of chips: layout work per keystroke stays small
DEBOUNCE_MS = 40
DEBOUNCE_LONG_MS = 300
TRAIN_HINT = "Learns a vocabulary from the text in seconds; it appears as a new row."


def _font_height(font: QFont) -> float:
    from PySide6.QtGui import QFontMetricsF

    return QFontMetricsF(font).height()


def _trainable(spec: object) -> bool:
    """A session's trained-tokenizer entry that names an algorithm, a size and a text or a file."""
    return (isinstance(spec, dict) and spec.get("algorithm") in ALGORITHMS
            and isinstance(spec.get("vocab_size"), int) and not isinstance(spec.get("vocab_size"), bool)
            and (isinstance(spec.get("file"), str) or isinstance(spec.get("training_text"), str)))


def default_tokenizers() -> list[str]:
    return [e.id for e in catalogue.entries("tokenizer") if e.offline]


class TokenizerLabPane(Pane):
    pane_id = "tokenizers"
    title = "Tokenizers"
    order = 20
    summary = "One text, many tokenizers side by side: what is a token, and why counts differ"

    # every row now shows the tokens of the current text (tests and benchmarks wait on it)
    tokens_shown = Signal()

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self._rows: dict[str, TokenizerRow] = {}
        self._entries: dict[str, CatalogueEntry] = {}
        # title, encoding and vocab_size of each tokenizer the host has loaded (kept when the row is removed)
        self._tokenizers: dict[str, dict] = {}
        self._results: dict[str, TokenizedText] = {}
        self._trained: dict[str, dict] = {}               # key -> settings + where its training text came from
        self._pending_trained: list[dict] = []            # from a session: trained again only when asked
        self._held: set[str] = set()                      # session rows that need a download: wait for a press
        self._loading: set[str] = set()
        self._row_jobs: set[str] = set()
        self._train_counter = itertools.count(1)
        self._text = ""
        self._u16: np.ndarray | None = None
        self._units: np.ndarray | None = None
        self._page = 0
        self._started = False
        self._selected: tuple[str, int] | None = None
        self._colours = ChipColours(False)
        self._dark = False
        self.last_paint_ms = 0.0
        self._vocabulary_dialog = None
        self._build()
        for key in default_tokenizers():
            self.add_tokenizer(key)
        self.editor.setPlainText(LECTURE_TEXT)

    # --- construction ---
    def _build(self) -> None:
        self.header = QLabel()
        self.header.setWordWrap(True)

        # the examples and the view options share a line; on a narrow window or at presenter sizes the
        # options move to a second line instead of pushing the pane past the window's right edge
        self._examples = QWidget()
        presets = QHBoxLayout(self._examples)
        presets.setContentsMargins(0, 0, 0, 0)
        presets.addWidget(QLabel("Examples:"))
        self.preset_buttons: dict[str, QPushButton] = {}
        for name in PRESETS:
            button = QPushButton(PRESET_TITLES[name])
            button.clicked.connect(lambda _=False, n=name: self.apply_preset(n))
            presets.addWidget(button)
            self.preset_buttons[name] = button
        presets.addStretch(1)
        self.show_ids = QCheckBox("Show token ids")
        self.show_ids.toggled.connect(self._view_options_changed)
        self.break_lines = QCheckBox("New line at ↵")
        self.break_lines.setToolTip("Start a new line of chips after each newline of the text")
        self.break_lines.toggled.connect(self._view_options_changed)
        self._options = QWidget()
        options = QHBoxLayout(self._options)
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.show_ids)
        options.addWidget(self.break_lines)
        self.add_button = QToolButton()
        self.add_button.setText("Add tokenizer ▾")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QMenu(self)
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.add_button.setMenu(self.add_menu)
        options.addWidget(self.add_button)
        options.addStretch(1)
        self._top_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._top_row.addWidget(self._examples, 1)
        self._top_row.addWidget(self._options)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        self.message.hide()

        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("Type or paste any text…")
        option = self.editor.document().defaultTextOption()
        option.setFlags(option.flags() | QTextOption.Flag.ShowTabsAndSpaces)
        self.editor.document().setDefaultTextOption(option)
        self.editor.textChanged.connect(self._text_changed)
        self.editor.cursorPositionChanged.connect(self._cursor_moved)

        self.page_label = QLabel()
        self.prev_page = QPushButton("◀ Previous page")
        self.next_page = QPushButton("Next page ▶")
        self.prev_page.clicked.connect(lambda: self.set_page(self._page - 1))
        self.next_page.clicked.connect(lambda: self.set_page(self._page + 1))
        self.page_bar = QWidget()
        page_layout = QHBoxLayout(self.page_bar)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.prev_page)
        page_layout.addWidget(self.page_label, 1)
        page_layout.addWidget(self.next_page)
        self.page_bar.hide()
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

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.editor)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.setSpacing(2)
        bottom_layout.addWidget(self.page_bar)
        bottom_layout.addWidget(self.hover_label)
        bottom_layout.addWidget(self.rows_scroll, 1)
        self.left_split = QSplitter(Qt.Orientation.Vertical)
        self.left_split.addWidget(top)
        self.left_split.addWidget(bottom)
        self.left_split.setStretchFactor(0, 0)
        self.left_split.setStretchFactor(1, 1)
        self.left_split.setChildrenCollapsible(False)

        # right column: counts, the clicked token, training
        self.chart = TokenCountChart()
        self.token_details = QLabel("Click a token in any row.")
        self.token_details.setWordWrap(True)
        self.token_details.setTextFormat(Qt.TextFormat.RichText)
        self.token_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strip = TokenEmbeddingStrip()
        token_box = QGroupBox("Clicked token")
        token_layout = QVBoxLayout(token_box)
        token_layout.addWidget(self.token_details)
        token_layout.addWidget(self.strip)

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
        train_box = QGroupBox("Train your own tokenizer")
        form = QFormLayout(train_box)
        form.addRow("Algorithm", self.train_algorithm)
        form.addRow("Vocabulary", self.train_vocab)
        form.addRow("Train on", source)
        form.addRow(self.train_button)
        form.addRow(self.train_status)
        form.addRow(self.retrain_button)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(self.chart)
        right_layout.addWidget(token_box)
        right_layout.addWidget(train_box)
        right_layout.addStretch(1)
        right_scroll = QScrollArea()
        right_scroll.setWidgetResizable(True)
        right_scroll.setWidget(right)
        right_scroll.setFrameShape(QFrame.Shape.NoFrame)
        right_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.right_panel = right_scroll

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.left_split)
        self.split.addWidget(right_scroll)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        self.split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(self._top_row)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)

        self._debounce = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self.retokenize)
        self._apply_fonts()

    def _apply_fonts(self) -> None:
        base = QApplication.font()
        self.header.setText(f"<span style='font-size:{base.pointSizeF() * 1.45:.0f}pt'><b>{self.title}</b></span>"
                            " &nbsp; A model reads tokens, not letters. <b>Hover</b> a token: its characters light up "
                            "in every row. <b>Click</b> it: its id and embedding.")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSizeF(base.pointSizeF() * 1.2)
        self.editor.setFont(mono)
        self.editor.setTabStopDistance(self.editor.fontMetrics().horizontalAdvance(" ") * 4)
        line = self.editor.fontMetrics().lineSpacing()
        self.editor.setMinimumHeight(int(line * 3 + 12))
        self.left_split.setSizes([int(line * 6.5 + 12), 10_000])
        self._right_width = int(_font_height(base) * 22)
        width = self._right_width_now()
        self.right_panel.setFixedWidth(width)
        self.split.setSizes([10_000, width])
        for row in self._rows.values():
            row.apply_font(base)
        self.chart.set_chart_font(base)
        self.strip.set_strip_font(base)
        self._fit_top_row()

    def _fit_top_row(self) -> None:
        """Examples and options on one line when they fit the window, else the options on a line below."""
        # the pane sits in a scroll area: its parent (the viewport) is as wide as the window lets it be
        holder = self.parentWidget()
        available = holder.width() if holder is not None else self.width()
        margins = self.layout().contentsMargins() if self.layout() is not None else None
        needed = (self._examples.sizeHint().width() + self._options.sizeHint().width()
                  + self._top_row.spacing() + (margins.left() + margins.right() if margins else 0))
        direction = (QBoxLayout.Direction.LeftToRight if needed <= available
                     else QBoxLayout.Direction.TopToBottom)
        if self._top_row.direction() != direction:
            self._top_row.setDirection(direction)

    def _right_width_now(self) -> int:
        """The side column: 22 lines of text wide, but never more than a third of the pane, unless its
        content (presenter sizes) needs more to show whole, its scroll bar included: then up to 45%."""
        limit = self.width() // 3 if self.width() > 600 else self._right_width
        content = self.right_panel.widget()
        need = content.minimumSizeHint().width() + self.right_panel.verticalScrollBar().sizeHint().width() + 4
        if self.width() > 600:
            limit = max(limit, min(need, int(self.width() * 0.45)))
        return max(260, min(max(self._right_width, need), limit))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit_top_row()
        width = self._right_width_now()
        if self.right_panel.width() != width:
            self.right_panel.setFixedWidth(width)

    # --- Pane API ---
    def presets(self) -> list[str]:
        return list(PRESETS)

    def apply_preset(self, name: str) -> None:
        if name not in PRESETS:
            super().apply_preset(name)
        self.editor.setPlainText(PRESETS[name])
        self.editor.moveCursor(QTextCursor.MoveOperation.Start)
        self.retokenize()

    def state(self) -> dict:
        return {
            "text": self.editor.toPlainText(),
            "tokenizers": [key for key in self._rows if key not in self._trained],
            "show_ids": self.show_ids.isChecked(),
            "break_lines": self.break_lines.isChecked(),
            "trained": [dict(spec) for key, spec in self._trained.items() if key in self._rows]
                       + [dict(spec) for spec in self._pending_trained],
            "train_form": {"algorithm": self.train_algorithm.currentData(), "vocab_size": self.train_vocab.value()},
        }

    def restore_state(self, state: dict) -> None:
        # the session's limits (imported here: the session module is not needed before the first paint)
        from explorer.core.session_schema import MAX_TOKENIZER_ROWS, MAX_TRAINED_TOKENIZERS

        if not isinstance(state, dict):
            return
        if isinstance(state.get("show_ids"), bool):
            self.show_ids.setChecked(state["show_ids"])
        if isinstance(state.get("break_lines"), bool):
            self.break_lines.setChecked(state["break_lines"])
        form = state.get("train_form")
        if isinstance(form, dict):
            index = self.train_algorithm.findData(form.get("algorithm"))
            if index >= 0:
                self.train_algorithm.setCurrentIndex(index)
            if isinstance(form.get("vocab_size"), int):
                self.train_vocab.setValue(form["vocab_size"])
        keys = state.get("tokenizers")
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            for key in list(self._rows):
                self.remove_tokenizer(key)
            for key in keys[:MAX_TOKENIZER_ROWS]:
                self.add_tokenizer(key, wait_for_download=True)
        trained = state.get("trained")
        if isinstance(trained, list):
            # a session restores inputs: a tokenizer trained in this window with the same settings comes back
            # at once; the others are listed, trained only when the user asks
            pending = []
            for spec in [dict(spec) for spec in trained if _trainable(spec)][:MAX_TRAINED_TOKENIZERS]:
                key = next((k for k, done in self._trained.items()
                            if done == spec and k in self._tokenizers and k not in self._rows), None)
                if key is None:
                    pending.append(spec)
                else:
                    info = self._tokenizers[key]
                    self._insert_row(key, info["title"], info["encoding"])
                    self._tokenizer_ready(key, info)
            self._set_pending_trained(pending)
        text = state.get("text")
        if isinstance(text, str):
            self.editor.setPlainText(text)
            self.retokenize()

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("Token counts (bar chart)", self.chart, self._count_data),
                ExportTarget("Tokens of every row", self.rows_box, self._tokens_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._dark = dark
        self._colours = ChipColours(dark)
        for row in self._rows.values():
            row.set_colours(self._colours)
        self.chart.set_dark(dark)
        self.strip.set_dark(dark)
        self._apply_fonts()

    def activated(self) -> None:
        if self._started:
            return
        self._started = True
        for key in self._rows:
            if key not in self._tokenizers and key not in self._trained and key not in self._held:
                self._load(key)
        self.retokenize()

    def is_busy(self) -> bool:
        return super().is_busy() or self._debounce.isActive()

    # --- data for export ---
    def _count_data(self) -> dict:
        rows = []
        for key, row in self._rows.items():
            tk = self._results.get(key)
            if tk is not None:
                rows.append([row.title, row.encoding, len(tk), round(tk.chars_per_token, 4), row.vocab_size])
        return {"token_counts": rows,
                "__columns__": ["tokenizer", "encoding", "tokens", "characters per token", "vocabulary size"]}

    def _tokens_data(self) -> dict:
        rows = []
        for key, row in self._rows.items():
            tk = self._results.get(key)
            if tk is None:
                continue
            ids, starts, ends = tk.ids.tolist(), tk.starts.tolist(), tk.ends.tolist()
            special = ((tk.flags & FLAG_SPECIAL) != 0).tolist()
            for i in range(len(tk)):
                rows.append([row.title, i, ids[i], tk.token_text(i), starts[i], ends[i], special[i]])
        return {"tokens": rows, "__columns__": ["tokenizer", "position", "id", "text", "start", "end", "special"]}

    # --- rows ---
    def row_keys(self) -> list[str]:
        return list(self._rows)

    def row(self, key: str) -> TokenizerRow:
        return self._rows[key]

    def result(self, key: str) -> TokenizedText | None:
        return self._results.get(key)

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
            self._say(str(exc.args[0] if exc.args else exc))
            return None
        key = entry.id
        if key in self._rows:
            self._say(f"{entry.title} is already shown.")
            return key
        self._say("")
        self._entries[key] = entry
        subtitle = entry.encoding or (f"Hugging Face Hub: {entry.hub_id}" if entry.hub_id else entry.source)
        self._insert_row(key, entry.title, subtitle)
        if key in self._tokenizers:
            self._tokenizer_ready(key, self._tokenizers[key])
        elif wait_for_download and not entry.offline:
            self._held.add(key)
            self._rows[key].set_waiting(f"{entry.title} comes from the Hugging Face Hub: press Download to "
                                        "fetch it.", "Download")
        elif self._started:
            self._load(key)
        elif not entry.offline:
            self._rows[key].set_loading("waiting to load")
        return key

    def _insert_row(self, key: str, title: str, subtitle: str) -> TokenizerRow:
        row = TokenizerRow(key, title, subtitle)
        row.set_colours(self._colours)
        row.apply_font(QApplication.font())
        row.chips.set_show_ids(self.show_ids.isChecked())
        row.chips.set_break_lines(self.break_lines.isChecked())
        row.hovered.connect(self._on_hover)
        row.clicked.connect(self._on_click)
        row.remove_requested.connect(self.remove_tokenizer)
        row.vocabulary_requested.connect(self.show_vocabulary)
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
        self.engine.cancel(f"{self.pane_id}.load:{key}")
        self.engine.cancel(f"{self.pane_id}.row:{key}")
        self._loading.discard(key)
        row.hide()
        self.rows_layout.removeWidget(row)
        row.deleteLater()
        if self._selected and self._selected[0] == key:
            self._selected = None
        self._clear_hover()
        self._update_chart()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _fill_add_menu(self) -> None:
        menu = self.add_menu
        menu.clear()
        for offline in (True, False):
            menu.addSection("Offline" if offline else "Hugging Face Hub (downloads once)")
            for entry in catalogue.entries("tokenizer"):
                if entry.offline != offline:
                    continue
                label = entry.title
                if not offline and not catalogue.is_available(entry):
                    label += "  (needs download)"
                action = menu.addAction(label)
                action.setCheckable(True)
                action.setChecked(entry.id in self._rows)
                action.toggled.connect(lambda on, k=entry.id: self.add_tokenizer(k) if on else self.remove_tokenizer(k))
        menu.addSeparator()
        menu.addAction("Any Hub tokenizer by id…", self._ask_hub_id)
        menu.addAction("A folder with tokenizer files…", self._ask_folder)

    def _ask_hub_id(self) -> None:
        text, ok = QInputDialog.getText(self, "Add a Hub tokenizer", "Hugging Face repo id (for example "
                                        "google-bert/bert-base-multilingual-cased):")
        if ok and text.strip():
            self.add_tokenizer(text.strip())

    def _ask_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "A folder with tokenizer.json, tokenizer.model or vocab.txt")
        if folder:
            self.add_tokenizer(folder)

    # --- loading ---
    def _retry(self, key: str) -> None:
        if key in self._trained:
            self._retrain(key)
        else:
            self._load(key)

    def _load(self, key: str) -> None:
        self._held.discard(key)  # a press on the row's button: the download is the user's choice
        entry = self._entries.get(key)
        row = self._rows.get(key)
        if entry is None or row is None:
            return
        self._loading.add(key)
        row.set_loading("Downloading…" if entry.hub_id else "Loading…")
        self.engine.run("tokenizers.load", {"entry": entry}, owner=f"{self.pane_id}.load:{key}",
                        title=f"Loading the {entry.title} tokenizer",
                        on_result=lambda info, k=key: self._loaded(k, info),
                        on_error=lambda msg, k=key: self._load_failed(k, msg),
                        on_progress=lambda f, msg, k=key: self._load_progress(k, f, msg))

    def _load_progress(self, key: str, fraction, message: str) -> None:
        row = self._rows.get(key)
        if row is not None and message:
            pct = f" {fraction * 100:.0f}%" if isinstance(fraction, float) else ""
            row.set_loading(message + pct)

    def _loaded(self, key: str, info: dict) -> None:
        self._loading.discard(key)
        self._tokenizers[key] = info
        if key in self._rows:
            self._tokenizer_ready(key, info)

    def _load_failed(self, key: str, message: str) -> None:
        self._loading.discard(key)
        row = self._rows.get(key)
        if row is not None:
            row.set_failed(message)
        self._update_chart()

    def _tokenizer_ready(self, key: str, info: dict) -> None:
        row = self._rows[key]
        row.set_ready(row.title if key in self._trained else info["title"], info["encoding"], info["vocab_size"])
        text = self._text
        owner = f"{self.pane_id}.row:{key}"
        self._row_jobs.add(owner)
        self.engine.run("tokenizers.tokenize", {"rows": self._host_rows([key]), "text": text}, owner=owner,
                        title=f"Tokenizing {len(text):,} characters with {info['title']}",
                        on_result=self._rows_result,
                        on_error=lambda msg, k=key: self._row_failed(k, msg))

    def _host_rows(self, keys: list[str]) -> dict:
        """What the host needs to find each row's tokenizer: its catalogue entry, or None (trained there)."""
        return {key: None if key in self._trained else self._entries[key] for key in keys}

    def _row_failed(self, key: str, message: str) -> None:
        row = self._rows.get(key)
        if row is not None:
            row.set_failed(message)
        self._results.pop(key, None)
        self._update_chart()

    # --- tokenizing ---
    def _text_changed(self) -> None:
        long_text = self.editor.document().characterCount() > PROGRESSIVE_CHARS
        self._debounce.setInterval(DEBOUNCE_LONG_MS if long_text else DEBOUNCE_MS)
        self._debounce.start()

    def retokenize(self) -> None:
        """Tokenize the editor's text with every loaded row: here if short, on the worker if long."""
        self._debounce.stop()
        text = self.editor.toPlainText()
        self._text = text
        self._u16 = self._units = None
        self._clear_hover()
        self._page = min(self._page, self._page_count() - 1)
        for owner in self._row_jobs:
            self.engine.cancel(owner)
        self._row_jobs.clear()
        keys = [key for key in self._rows if key in self._tokenizers and self._rows[key].state == "ready"]
        long_text = len(text) > PROGRESSIVE_CHARS
        if long_text:
            for key in keys:
                self._rows[key].set_updating(True)
            self.hover_label.setText(f"Tokenizing {len(text):,} characters in the model process…")
        self._update_page_bar()
        if not keys:
            self.engine.cancel(f"{self.pane_id}.text")
            self._paint_all()
            return
        # one request for every row; a long text shows each row as soon as it is done, a short one all at once
        self.engine.run("tokenizers.tokenize", {"rows": self._host_rows(keys), "text": text, "progressive": long_text},
                        owner=f"{self.pane_id}.text", title=f"Tokenizing {len(text):,} characters",
                        on_partial=lambda pair: self._row_result(pair[0], TokenizedText.from_bytes(pair[1])),
                        on_result=self._text_result,
                        on_error=lambda msg: self._say(f"Could not tokenize: {msg}"))

    def _text_result(self, answer: dict) -> None:
        if self.hover_label.text().startswith("Tokenizing"):
            self.hover_label.setText(" ")
        fresh = {k: tk for k, tk in answer["results"].items() if tk.text is self._text or tk.text == self._text}
        self._results.update(fresh)
        for key in fresh:
            if key in self._rows:
                self._rows[key].set_updating(False)
        self._mark_lost(answer["lost"])
        self._paint_all()

    def _rows_result(self, answer: dict) -> None:
        """The answer to one row's request (a row that just became ready)."""
        self._mark_lost(answer["lost"])
        for key, tk in answer["results"].items():
            self._row_result(key, tk)

    def _mark_lost(self, lost: dict) -> None:
        """Trained tokenizers the host no longer has (it restarted): the row says so and offers a retrain."""
        for key, message in lost.items():
            self._tokenizers.pop(key, None)
            self._row_failed(key, message)

    def _row_result(self, key: str, tk: TokenizedText) -> None:
        if tk.text is not self._text and tk.text != self._text:
            return
        self._results[key] = tk
        if key in self._rows:
            self._rows[key].set_updating(False)
            self._paint_row(key)
        self._update_chart()
        if all(self._results.get(k) is not None and self._results[k].text == tk.text
               for k, row in self._rows.items() if row.state == "ready"):
            self.tokens_shown.emit()

    # --- painting ---
    def _page_count(self) -> int:
        return max(1, -(-len(self._text) // PAGE_CHARS))

    def page_window(self) -> tuple[int, int]:
        n = len(self._text)
        if n <= PAGE_CHARS:
            return 0, n
        start = self._page * PAGE_CHARS
        return start, min(n, start + PAGE_CHARS)

    def set_page(self, page: int) -> None:
        page = max(0, min(self._page_count() - 1, page))
        if page != self._page:
            self._page = page
            self._clear_hover()
            self._paint_all()

    def _cursor_moved(self) -> None:
        position = self._cursor_index()
        if len(self._text) > PAGE_CHARS:
            self.set_page(min(position, len(self._text)) // PAGE_CHARS)
        self._follow_cursor(position)

    def _cursor_index(self) -> int:
        return self._py_index(self.editor.textCursor().position())

    def _follow_cursor(self, position: int | None = None) -> None:
        """Scroll every row so the token under the text cursor is in view (typing shows its own tokens)."""
        if position is None:
            position = self._cursor_index()
        for key, row in self._rows.items():
            tk = row.tokenization
            if tk is not None and len(tk):
                index = min(int(np.searchsorted(tk.ends, position, side="left")), len(tk) - 1)
                row.chips.scroll_to(index)

    def _paint_row(self, key: str) -> None:
        tk = self._results.get(key)
        if tk is not None and tk.text == self._text:
            self._rows[key].set_tokenization(tk, self.page_window())

    def _paint_all(self) -> None:
        for key in self._rows:
            self._paint_row(key)
        self._follow_cursor()
        self._update_chart()
        self._update_page_bar()
        self.tokens_shown.emit()

    def _update_page_bar(self) -> None:
        n = len(self._text)
        if n <= PAGE_CHARS:
            self.page_bar.hide()
            return
        start, end = self.page_window()
        self.page_label.setText(f"Chips show characters {start + 1:,}–{end:,} of {n:,} (page {self._page + 1} of "
                                f"{self._page_count()}); counts are for the whole text.")
        self.prev_page.setEnabled(self._page > 0)
        self.next_page.setEnabled(self._page < self._page_count() - 1)
        self.page_bar.show()

    def _update_chart(self) -> None:
        bars = []
        for key, row in self._rows.items():
            tk = self._results.get(key)
            if tk is not None and row.state == "ready":
                bars.append((row.title, len(tk)))
        self.chart.set_counts(bars)

    def _view_options_changed(self) -> None:
        for row in self._rows.values():
            row.chips.set_show_ids(self.show_ids.isChecked())
            row.chips.set_break_lines(self.break_lines.isChecked())

    # --- hover and click ---
    def _astral_before(self) -> np.ndarray:
        """For each Python index, how many characters before it need two UTF-16 units (emoji and such)."""
        if self._u16 is None:
            codes = np.frombuffer(self._text.encode("utf-32-le"), dtype=np.uint32)
            self._u16 = np.concatenate(([0], np.cumsum(codes > 0xFFFF)))
        return self._u16

    def _utf16(self, index: int) -> int:
        """Python string index -> the editor's position (UTF-16 code units: emoji count twice)."""
        before = self._astral_before()
        index = max(0, min(index, before.shape[0] - 1))
        return index + int(before[index])

    def _py_index(self, position: int) -> int:
        """The editor's position (UTF-16) -> Python string index."""
        before = self._astral_before()
        if before[-1] == 0:  # no emoji or other astral characters: the two counts agree
            return max(0, min(position, len(self._text)))
        if self._units is None or self._units.shape[0] != before.shape[0]:
            self._units = np.arange(before.shape[0]) + before
        return max(0, int(np.searchsorted(self._units, position, side="right")) - 1)

    def _on_hover(self, key: str, index: int) -> None:
        tk = self._results.get(key)
        if index < 0 or tk is None or index >= len(tk):
            self._clear_hover()
            return
        start, end = int(tk.starts[index]), int(tk.ends[index])
        for other_key, row in self._rows.items():
            if other_key == key:
                row.chips.set_highlight([index], primary=index, scroll=False)
                continue
            other = self._results.get(other_key)
            if other is not None and row.tokenization is other:
                row.chips.set_highlight(other.overlapping(start, end))
        self._highlight_text(start, end)
        covered = repr(tk.text[start:end]) if end > start else "no character (added by the tokenizer)"
        title = self._rows[key].title
        self.hover_label.setText(f"<b>{html.escape(title)}</b> token {index + 1:,}: "
                                 f"“{html.escape(visible_whitespace(tk.token_text(index)))}” id {int(tk.ids[index]):,}"
                                 f" — characters {start:,}–{end:,}: {html.escape(covered[:80])}")

    def _highlight_text(self, start: int, end: int) -> None:
        if end <= start:
            self.editor.setExtraSelections([])
            return
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(self._utf16(start))
        cursor.setPosition(self._utf16(end), QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor
        fmt = QTextCharFormat()
        fmt.setBackground(QColor("#ffd400" if not self._dark else "#b38600"))
        fmt.setForeground(QColor("#000000" if not self._dark else "#ffffff"))
        selection.format = fmt
        self.editor.setExtraSelections([selection])

    def highlighted_text_range(self) -> tuple[int, int] | None:
        """The editor's highlighted span, as Python indices (tests and lecture scenes read it)."""
        selections = self.editor.extraSelections()
        if not selections:
            return None
        cursor = selections[0].cursor
        text = self.editor.toPlainText()
        prefix = text.encode("utf-16-le")
        to_py = lambda pos: len(prefix[:pos * 2].decode("utf-16-le", errors="ignore"))  # noqa: E731
        return to_py(cursor.selectionStart()), to_py(cursor.selectionEnd())

    def _clear_hover(self) -> None:
        for row in self._rows.values():
            if row.chips.highlighted():
                row.chips.set_highlight([], scroll=False)
        if self.editor.extraSelections():
            self.editor.setExtraSelections([])
        if self.hover_label.text().strip() and not self.hover_label.text().startswith("Tokenizing"):
            self.hover_label.setText(" ")

    def _on_click(self, key: str, index: int) -> None:
        from explorer.models.tokenizer_loader import has_token_embeddings

        tk = self._results.get(key)
        if tk is None or index >= len(tk):
            return
        for other_key, row in self._rows.items():
            row.chips.set_selected(index if other_key == key else -1)
        self._selected = (key, index)
        token_id = int(tk.ids[index])
        row = self._rows[key]
        start, end = int(tk.starts[index]), int(tk.ends[index])
        raw = tk.token_bytes(index)
        lines = [f"<span style='font-size:130%'><b>“{html.escape(visible_whitespace(tk.token_text(index)))}”</b>"
                 f" &nbsp;id <b>{token_id:,}</b></span>",
                 f"{html.escape(row.title)} ({html.escape(row.encoding)}), token {index + 1:,} of {len(tk):,}",
                 (f"characters {start:,}–{end:,}" if end > start else "added by the tokenizer: covers no character")]
        if raw:
            lines.append("UTF-8 bytes: " + " ".join(f"{b:02X}" for b in raw[:16]) + (" …" if len(raw) > 16 else ""))
        self.token_details.setText("<br>".join(lines))
        if end > start:
            cursor = self.editor.textCursor()
            cursor.setPosition(self._utf16(start))
            self.editor.setTextCursor(cursor)
            self.editor.ensureCursorVisible()
        if key in self._entries and self._entries[key].offline and has_token_embeddings(key):
            self.strip.set_message(f"Reading row {token_id:,} of the embedding matrix…")
            text = tk.token_text(index)

            self.engine.run("tokenizers.embedding_row", {"tokenizer_id": key, "token_id": token_id},
                            owner=f"{self.pane_id}.embedding", title="Reading a token embedding",
                            on_result=lambda r, t=text: self._show_embedding(r, t),
                            on_error=lambda msg: self.strip.set_message(f"Could not read the embedding: {msg}"))
        else:
            self.engine.cancel(f"{self.pane_id}.embedding")
            self.strip.set_message("Token embeddings are shown for BERT (uncased), whose model MiniLM is offline, "
                                   "and for SmolLM2. This tokenizer's model is not on this computer.")

    def _show_embedding(self, row, text: str) -> None:
        rows, dim = row.matrix_shape
        self.strip.set_row(row.values, f"Row {row.token_id:,} of the token-embedding matrix ({rows:,} × {dim}) "
                                       f"of {row.model_title}: the {dim} numbers the model starts from for "
                                       f"“{visible_whitespace(text)}”, {TokenEmbeddingStrip.columns} a line.")

    def show_vocabulary(self, key: str) -> None:
        """Ask the host for the vocabulary (and merges); the dialog opens when they arrive."""
        if key not in self._tokenizers or key not in self._rows:
            return
        entry = None if key in self._trained else self._entries[key]
        self.engine.run("tokenizers.vocabulary", {"key": key, "entry": entry}, owner=f"{self.pane_id}.vocabulary",
                        title=f"Reading the vocabulary of {self._rows[key].title}",
                        on_result=self._open_vocabulary,
                        on_error=lambda msg, k=key: self._vocabulary_failed(k, msg))

    def _vocabulary_failed(self, key: str, message: str) -> None:
        if key in self._trained and "lost" in message:
            self._mark_lost({key: message})
        else:
            self._say(f"Could not read the vocabulary: {message}")

    def _open_vocabulary(self, vocabulary: dict) -> None:
        from explorer.ui.widgets.token_vocabulary import VocabularyDialog

        dialog = VocabularyDialog(vocabulary, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self._vocabulary_dialog = dialog

    # --- training ---
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

    def train(self) -> None:
        """Train on the worker with the form's settings; the result becomes a new row."""
        algorithm = self.train_algorithm.currentData()
        vocab_size = self.train_vocab.value()
        if self.train_on_file.isChecked():
            if not self.train_file:
                self.train_status.setText("Choose a file to train on first.")
                return
            spec = {"algorithm": algorithm, "vocab_size": vocab_size, "file": self.train_file}
        else:
            text = self.editor.toPlainText()
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
        source = Path(file).name if file else f"the text box ({len(text):,} characters)"
        settings = TrainingSettings(algorithm, vocab_size, source)
        key = f"trained:{algorithm}:{vocab_size}:{next(self._train_counter)}"
        self.train_status.setText(f"Training {settings.title} on {source}…")
        self.train_button.setEnabled(False)
        self._submit_training(key, spec, settings, on_result=lambda info: self._trained_ready(key, spec, info),
                              on_error=self._training_failed)

    def _submit_training(self, key: str, spec: dict, settings: TrainingSettings, on_result, on_error) -> None:
        arguments = {"key": key, "algorithm": settings.algorithm, "vocab_size": settings.vocab_size,
                     "source": settings.source, "text": spec.get("training_text") if not spec.get("file") else None,
                     "file": spec.get("file") or None}
        self.engine.run("tokenizers.train", arguments, owner=f"{self.pane_id}.train:{key}",
                        title=f"Training {settings.title}", on_result=on_result, on_error=on_error)

    def _set_pending_trained(self, specs: list[dict]) -> None:
        """List a session's trained tokenizers with their sources; the button trains them when pressed."""
        self._pending_trained = specs
        self.retrain_button.setVisible(bool(specs))
        if not specs:
            if self.train_status.text().startswith("This session had"):
                self.train_status.setText(TRAIN_HINT)
            return
        count = len(specs)
        self.retrain_button.setText(f"Train {'it' if count == 1 else f'these {count}'} again")
        listed = "; ".join(f"{ALGORITHM_TITLES.get(spec['algorithm'], spec['algorithm'])} "
                           f"{int(spec['vocab_size']):,} on "
                           + (spec["file"] if isinstance(spec.get("file"), str)
                              else f"the text box ({len(spec.get('training_text') or ''):,} characters)")
                           for spec in specs)
        self.train_status.setText(f"This session had {count} tokenizer{'s' if count != 1 else ''} trained here: "
                                  f"{listed}. They are not trained until you press the button below.")

    def train_pending(self) -> None:
        """The user pressed "Train again": train the session's tokenizers, each a job of its own."""
        specs, self._pending_trained = self._pending_trained, []
        self.retrain_button.hide()
        for spec in specs:
            self._train_from_spec(spec)

    def _retrain(self, key: str) -> None:
        """Train a row's tokenizer again (the host restarted and lost it), from the settings it was made with."""
        spec = self._trained.get(key)
        row = self._rows.get(key)
        if spec is None or row is None:
            return
        file = spec.get("file")
        source = Path(file).name if file else f"the text box ({len(spec.get('training_text', '')):,} characters)"
        settings = TrainingSettings(spec["algorithm"], spec["vocab_size"], source)
        row.set_loading(f"Training {settings.title} again…")
        self._submit_training(key, spec, settings, on_result=lambda info: self._loaded(key, info),
                              on_error=lambda msg: self._row_failed(key, f"Training failed: {msg}"))

    def _trained_ready(self, key: str, spec: dict, info: dict) -> None:
        self.train_button.setEnabled(True)
        self._trained[key] = dict(spec)
        self._tokenizers[key] = info
        self._insert_row(key, info["title"], info["encoding"])
        self._tokenizer_ready(key, info)
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
        self.rows_scroll.ensureWidgetVisible(self._rows[key])

    def _training_failed(self, message: str) -> None:
        self.train_button.setEnabled(True)
        self.train_status.setText(f"Training failed: {message}")
