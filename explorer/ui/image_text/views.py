"""What every tab of the Images & text pane shares: the image buttons, line editors, and the tab base classes.

A tab is a view (the widgets) with its own state and its own engine jobs; the
pane (pane.py) only arranges the tabs and passes on what concerns them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal, SignalInstance
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from explorer.ui.widgets.boxes import side_by_side

if TYPE_CHECKING:
    from explorer.ui.image_text.images import ImageSet
    from explorer.ui.image_text.model_row import ModelRow

DEBOUNCE_MS = 350


def note_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def lines_of(editor: QPlainTextEdit) -> list[str]:
    return [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]


class ImageSourceBar(QWidget):
    """Buttons that choose the images: generated shapes, sample photos, your own files."""

    source_requested = Signal(str)  # "shapes", "photos", "files", "clear"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Images:"))
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in (("shapes", "Sample shapes", "Coloured shapes, drawn like the mini-CLIP's training data"),
                               ("photos", "Sample photos", "Public-domain photos bundled with scikit-image and "
                                                           "scikit-learn"),
                               ("files", "Add images…", "Choose image files or a folder (or drop them on this pane)"),
                               ("clear", "Clear", "Remove all images")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, k=key: self.source_requested.emit(k))
            layout.addWidget(button)
            self.buttons[key] = button
        self.count = QLabel("")
        layout.addWidget(self.count)
        layout.addStretch(1)
        hint = QLabel("or drop files / a folder here")
        hint.setStyleSheet("color: #666;")
        layout.addWidget(hint)


def lines_editor(placeholder: str) -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setPlaceholderText(placeholder)
    return editor


def set_lines(editor: QPlainTextEdit, lines: list[str]) -> None:
    """Replace the lines without emitting textChanged (the caller refreshes once)."""
    with QSignalBlocker(editor):
        editor.setPlainText("\n".join(lines))


@dataclass
class TabContext:
    """What the pane hands every tab: the engine, the job-owner prefix, the chosen model and the images."""

    engine: object
    pane_id: str
    models: "ModelRow"
    images: "ImageSet"


class ImageTextTab(QWidget):
    """Base of every tab: recomputed when shown after its inputs changed (`dirty`), jobs owned per tab."""

    key = ""
    refresh_requested = Signal(str)  # this tab's key: its inputs changed, recompute it if it is visible

    def __init__(self, context: TabContext) -> None:
        super().__init__()
        self.context = context
        self.engine = context.engine
        self.models = context.models
        self.images = context.images
        self.owner = f"{context.pane_id}.{self.key}"
        self.dirty = True
        self.message = note_label()

    def refresh(self) -> None:
        """Compute what the tab shows if its inputs changed since it last did."""
        if self.dirty:
            self.dirty = False
            self.compute()

    def compute(self) -> None:
        pass

    def request_refresh(self) -> None:
        self.dirty = True
        self.refresh_requested.emit(self.key)

    def clear_result(self, text: str) -> None:
        """Say `text` where the result would be (the model cannot run, or the job failed)."""

    def show_unavailable(self, info: dict) -> None:
        """The model cannot run yet: say why in the view, and offer training or the download in the model row."""
        self.models.update_note(info)
        self.clear_result(info["message"])
        self.message.setText(info["message"])
        self.dirty = True

    def show_failure(self, message: str) -> None:
        text = f"Could not finish: {message}"
        self.clear_result(text)
        self.message.setText(text)
        self.dirty = True

    def model_arguments(self) -> dict:
        return {"model_id": self.models.model_id, "allow_download": self.models.download_allowed()}

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        pass


class LinesView(ImageTextTab):
    """Base of the tabs that read lines typed beside a result about the images: similarity, zero-shot, joint map.

    All three lay out the same way (the image buttons, an explanation, the lines and their options left of
    the result, a message under it), recompute once typing pauses, and compute with the model over the images.
    """

    DEFAULTS_KEY = ""  # which of the sample sets' default texts these lines are (pane.DEFAULTS)

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        self.sources = ImageSourceBar()
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)

    def _lay_out(self, intro: str, left: QWidget, result: QWidget, left_width: int,
                 stretch: tuple[int | None, int | None]) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addWidget(note_label(intro))
        layout.addWidget(side_by_side(left, result, [left_width, 1100], stretch), 1)
        layout.addWidget(self.message)

    def _debounce(self, *edits: SignalInstance) -> None:
        """Recompute once none of `edits` has fired for DEBOUNCE_MS."""
        self._timer.timeout.connect(self.request_refresh)
        for edit in edits:
            edit.connect(self._timer.start)

    def lines(self) -> list[str]:
        """The typed lines (captions, classes or keywords)."""
        raise NotImplementedError

    def set_default_lines(self, lines: list[str]) -> None:
        raise NotImplementedError

    def run_on_images(self, operation: str, arguments: dict, title: str, paint) -> None:
        """Run a host operation over the current images with the chosen model, then paint(result, rows).

        Not painted when the model is unavailable (said in the view) or when images went away while it ran
        (the view is recomputed instead).
        """
        rows = list(self.images.entries)

        def done(result: dict) -> None:
            if "unavailable" in result:
                self.show_unavailable(result["unavailable"])
                return
            self.models.worked()
            current = {e.uid for e in self.images.entries}
            if any(e.uid not in current for e in rows):
                self.request_refresh()
                return
            paint(result, rows)

        self.engine.run(operation, {**self.model_arguments(), "sources": [e.source for e in rows], **arguments},
                        owner=self.owner, title=title, on_result=done, on_error=self.show_failure)

    def notes(self, result: dict, notes: list[str]) -> list[str]:
        """The lines every view adds under its own: unknown words, the photo warning, the last load's report."""
        return [n for n in (result.get("note"), self.photo_warning(), self.images.note) if n] + notes

    def photo_warning(self) -> str:
        if self.models.model_id == "mini-clip" and self.images.kind != "shapes":
            return ("mini-CLIP only ever saw coloured shapes: on photos its scores mean little. "
                    "Pick CLIP for photos (needs download) or use the sample shapes.")
        return ""

    def empty_hint(self, what: str) -> str:
        return f"Add images and {what}." if self.images.entries else "Add images: the buttons above, or drop files here."
