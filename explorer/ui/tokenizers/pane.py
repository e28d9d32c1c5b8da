"""Tokenizer lab: one text, many tokenizers side by side, re-cut as you type.

No tokenizer lives in this process: loading, tokenizing (every row in one
request, the rows on parallel threads), training, the vocabulary and the
embedding row of a clicked token are operations of the model host
(explorer/host/ops/tokenizers.py), and rows come back as plain
`TokenizedText`. Typing and a pasted megabyte never freeze the window. This
module lays the sections out and joins them: the text box (text_box.py), the
rows (rows_panel.py), the counts (count_chart.py), the clicked token
(token_details.py) and training (training.py).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (QApplication, QBoxLayout, QCheckBox, QFileDialog, QFrame, QHBoxLayout, QInputDialog,
                               QLabel, QMenu, QPushButton, QScrollArea, QSplitter, QToolButton, QVBoxLayout, QWidget)

from explorer.core.tokenization import TokenizedText
from explorer.models import catalogue
from explorer.ui.pane import ExportTarget, Pane
from explorer.ui.tokenizers.chips import ChipColours
from explorer.ui.tokenizers.count_chart import TokenCountChart
from explorer.ui.tokenizers.presets import LECTURE_TEXT, PRESET_TITLES, PRESETS
from explorer.ui.tokenizers.rows import TokenizerRow
from explorer.ui.tokenizers.rows_panel import RowsPanel, count_table, default_tokenizers, token_table
from explorer.ui.tokenizers.text_box import TextBox
from explorer.ui.tokenizers.token_details import TokenDetails
from explorer.ui.tokenizers.training import TrainingBox, settings_for, trainable


def _font_height(font) -> float:
    from PySide6.QtGui import QFontMetricsF

    return QFontMetricsF(font).height()


class TokenizerLabPane(Pane):
    pane_id = "tokenizers"
    title = "Tokenizers"

    # every row now shows the tokens of the current text (tests and benchmarks wait on it)
    tokens_shown = Signal()

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self._vocabulary_dialog = None
        self._build()
        for key in default_tokenizers():
            self.add_tokenizer(key)
        self.editor.setPlainText(LECTURE_TEXT)

    # --- construction ---
    def _build(self) -> None:
        self.header = QLabel()
        self.header.setWordWrap(True)
        self._build_top_row()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b00020")
        self.message.hide()

        self.text_box = TextBox()
        self.editor = self.text_box.editor  # the pane's input: sessions, scenes and tests type here
        self.rows_panel = RowsPanel(self.engine, self.pane_id, self.text_box.cursor_index)
        self.left_split = QSplitter(Qt.Orientation.Vertical)
        self.left_split.addWidget(self.text_box)
        self.left_split.addWidget(self.rows_panel)
        self.left_split.setStretchFactor(0, 0)
        self.left_split.setStretchFactor(1, 1)
        self.left_split.setChildrenCollapsible(False)

        # right column: counts, the clicked token, training
        self.chart = TokenCountChart()
        self.details = TokenDetails(self.engine, self.pane_id)
        self.training = TrainingBox(self.engine, self.pane_id, self.editor.toPlainText)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(4, 0, 0, 0)
        right_layout.addWidget(self.chart)
        right_layout.addWidget(self.details)
        right_layout.addWidget(self.training)
        right_layout.addStretch(1)
        self.right_panel = QScrollArea()
        self.right_panel.setWidgetResizable(True)
        self.right_panel.setWidget(right)
        self.right_panel.setFrameShape(QFrame.Shape.NoFrame)
        self.right_panel.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.split.addWidget(self.left_split)
        self.split.addWidget(self.right_panel)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        self.split.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addLayout(self._top_row)
        layout.addWidget(self.message)
        layout.addWidget(self.split, 1)
        self._connect_sections()
        self._apply_fonts()

    def _build_top_row(self) -> None:
        """The examples and the view options share a line; on a narrow window or at presenter sizes the
        options move to a second line instead of pushing the pane past the window's right edge."""
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
        self._hub_states: dict[str, str] = {}  # "kind/id" -> state, from the host (models.states)
        self.add_menu = QMenu(self)
        self.add_menu.aboutToShow.connect(self._fill_add_menu)
        self.add_button.setMenu(self.add_menu)
        options.addWidget(self.add_button)
        options.addStretch(1)
        self._top_row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self._top_row.addWidget(self._examples, 1)
        self._top_row.addWidget(self._options)

    def _connect_sections(self) -> None:
        rows = self.rows_panel
        self.text_box.settled.connect(self.retokenize)
        self.text_box.cursor_moved.connect(rows.follow_cursor)
        rows.tokens_shown.connect(self.tokens_shown)
        rows.counts_changed.connect(lambda: self.chart.set_counts(rows.counts()))
        rows.span_hovered.connect(self.text_box.highlight)
        rows.token_clicked.connect(self._on_click)
        rows.message.connect(self._say)
        rows.retrain_requested.connect(self._retrain)
        rows.vocabulary_requested.connect(self.show_vocabulary)
        self.training.trained.connect(rows.add_trained)

    def _apply_fonts(self) -> None:
        base = QApplication.font()
        self.header.setText(f"<span style='font-size:{base.pointSizeF() * 1.45:.0f}pt'><b>{self.title}</b></span>"
                            " &nbsp; A model reads tokens, not letters. <b>Hover</b> a token: its characters light up "
                            "in every row. <b>Click</b> it: its id and embedding.")
        line = self.text_box.apply_font(base)
        self.left_split.setSizes([int(line * 6.5 + 12), 10_000])
        self._right_width = int(_font_height(base) * 22)
        width = self._right_width_now()
        self.right_panel.setFixedWidth(width)
        self.split.setSizes([10_000, width])
        self.rows_panel.apply_font(base)
        self.chart.set_chart_font(base)
        self.details.apply_font(base)
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
            "tokenizers": [key for key in self.row_keys() if key not in self.rows_panel.trained],
            "show_ids": self.show_ids.isChecked(),
            "break_lines": self.break_lines.isChecked(),
            "trained": self.rows_panel.trained_specs() + self.training.pending,
            "train_form": self.training.form_state(),
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
        self.training.restore_form(state.get("train_form"))
        keys = state.get("tokenizers")
        if isinstance(keys, list) and all(isinstance(k, str) for k in keys):
            for key in self.row_keys():
                self.remove_tokenizer(key)
            for key in keys[:MAX_TOKENIZER_ROWS]:
                self.add_tokenizer(key, wait_for_download=True)
        trained = state.get("trained")
        if isinstance(trained, list):
            # a session restores inputs: a tokenizer trained in this window with the same settings comes back
            # at once; the others are listed, trained only when the user asks
            specs = [dict(spec) for spec in trained if trainable(spec)][:MAX_TRAINED_TOKENIZERS]
            self.training.set_pending(self.rows_panel.restore_trained(specs))
        text = state.get("text")
        if isinstance(text, str):
            self.editor.setPlainText(text)
            self.retokenize()

    def export_targets(self) -> list[ExportTarget]:
        return [ExportTarget("Token counts (bar chart)", self.chart, lambda: count_table(self.rows_panel.shown())),
                ExportTarget("Tokens of every row", self.rows_panel.rows_box,
                             lambda: token_table(self.rows_panel.shown()))]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.text_box.set_dark(dark)
        self.rows_panel.set_colours(ChipColours(dark))
        self.chart.set_dark(dark)
        self.details.set_dark(dark)
        self._apply_fonts()

    def activated(self) -> None:
        if self.rows_panel.started:
            return
        self.rows_panel.start()
        self.retokenize()
        self._check_hub_states()

    def _check_hub_states(self) -> None:
        """Which Hub tokenizers are cached, for the Add menu: the Hub cache walk runs in the model host."""
        def keep(states: dict[str, str]) -> None:
            self._hub_states = states
            if self.add_menu.isVisible():
                self._fill_add_menu()

        self.engine.run("models.states", {"kind": "tokenizer"}, owner=f"{self.pane_id}.hub-states", title="Checking cached tokenizers",
                        on_result=keep, on_error=lambda message: None)  # unknown states: no "(needs download)"

    def is_busy(self) -> bool:
        return super().is_busy() or self.text_box.debounce.isActive()

    # --- rows ---
    def row_keys(self) -> list[str]:
        return self.rows_panel.row_keys()

    def row(self, key: str) -> TokenizerRow:
        return self.rows_panel.row(key)

    def result(self, key: str) -> TokenizedText | None:
        return self.rows_panel.result(key)

    def add_tokenizer(self, spec: str, wait_for_download: bool = False) -> str | None:
        """Add a row for a catalogue id, a Hub id or a local folder; returns its key (None if refused)."""
        return self.rows_panel.add_tokenizer(spec, wait_for_download)

    def remove_tokenizer(self, key: str) -> None:
        self.rows_panel.remove_tokenizer(key)

    def retokenize(self) -> None:
        """Tokenize the editor's text with every loaded row, in the model host."""
        self.rows_panel.retokenize(self.text_box.take_text())

    def highlighted_text_range(self) -> tuple[int, int] | None:
        """The editor's highlighted span, as Python indices (tests and lecture scenes read it)."""
        return self.text_box.highlighted_range()

    def _view_options_changed(self) -> None:
        self.rows_panel.set_view_options(self.show_ids.isChecked(), self.break_lines.isChecked())

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _fill_add_menu(self) -> None:
        menu = self.add_menu
        menu.clear()
        shown = set(self.row_keys())
        for offline in (True, False):
            menu.addSection("Offline" if offline else "Hugging Face Hub (downloads once)")
            for entry in catalogue.entries("tokenizer"):
                if entry.offline != offline:
                    continue
                label = entry.title
                if not offline and self._hub_states.get(f"tokenizer/{entry.id}") == "needs download":
                    label += "  (needs download)"
                action = menu.addAction(label)
                action.setCheckable(True)
                action.setChecked(entry.id in shown)
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

    def _retrain(self, key: str) -> None:
        """Train a row's tokenizer again (the host restarted and lost it), from the settings it was made with."""
        spec = self.rows_panel.trained.get(key)
        if spec is None or key not in self.row_keys():
            return
        settings = settings_for(spec)
        self.row(key).set_loading(f"Training {settings.title} again…")
        self.training.submit(key, spec, settings, on_result=lambda info: self.rows_panel.loaded(key, info),
                             on_error=lambda msg: self.rows_panel.row_failed(key, f"Training failed: {msg}"))

    # --- a clicked token ---
    def _on_click(self, key: str, index: int) -> None:
        tk = self.rows_panel.select(key, index)
        if tk is None:
            return
        row = self.row(key)
        self.details.show_token(tk, index, row.title, row.encoding, self.rows_panel.entry(key))
        if tk.ends[index] > tk.starts[index]:
            self.text_box.move_cursor_to(int(tk.starts[index]))

    # --- vocabulary ---
    def show_vocabulary(self, key: str) -> None:
        """Ask the host for the vocabulary (and merges); the dialog opens when they arrive."""
        if not self.rows_panel.is_loaded(key):
            return
        entry = None if key in self.rows_panel.trained else self.rows_panel.entry(key)
        self.engine.run("tokenizers.vocabulary", {"key": key, "entry": entry}, owner=f"{self.pane_id}.vocabulary",
                        title=f"Reading the vocabulary of {self.row(key).title}",
                        on_result=self._open_vocabulary,
                        on_error=lambda msg, k=key: self._vocabulary_failed(k, msg))

    def _vocabulary_failed(self, key: str, message: str) -> None:
        if key in self.rows_panel.trained and "lost" in message:
            self.rows_panel.mark_lost({key: message})
        else:
            self._say(f"Could not read the vocabulary: {message}")

    def _open_vocabulary(self, vocabulary: dict) -> None:
        from explorer.ui.tokenizers.vocabulary import VocabularyDialog

        dialog = VocabularyDialog(vocabulary, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self._vocabulary_dialog = dialog
