"""The images the Images & text views work on: loaded in the model host, shown here as thumbnails.

The host keeps each image (named by its source: a file path, or "shapes:<i>"
for a generated sample) and embeds it; this side keeps its name and a
thumbnail to paint, converted to a QImage on the engine's worker thread.
"""
from __future__ import annotations

import html
import itertools
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QPixmap

from explorer.host.ops.image_text import THUMBNAIL_SIDE  # the host sends thumbnails this size at most
from explorer.ui.image_text.common import array_to_qimage, thumbnail_pixmap


@dataclass
class ImageEntry:
    uid: int  # this load of the image (a view's result is painted only on the images it was computed for)
    name: str
    source: str  # what the model host knows it by
    pixels: object  # (h, w, 3) uint8 thumbnail, at most THUMBNAIL_SIDE
    pixmap: QPixmap
    path: str | None = None


def with_qimages(rows: list[dict]) -> list[dict]:
    """On the worker: each row's thumbnail pixels also as a QImage (a pixmap is made from it on the GUI thread)."""
    return [{**row, "qimage": array_to_qimage(row["pixels"])} for row in rows]


class ImageSet(QObject):
    """The current images: the sample shapes, the sample photos, or the user's files."""

    changed = Signal()
    note_changed = Signal(str)  # what happened to the last files opened ("" when nothing to say)

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.owner = f"{pane_id}.images"
        self.entries: list[ImageEntry] = []
        self.kind = "shapes"  # "shapes", "photos" or "files"
        self.files: list[str] = []
        self.note = ""
        self._uids = itertools.count(1)

    def load_samples(self, kind: str) -> None:
        """Replace the images with the bundled sample shapes or photos."""
        self.kind = kind
        self.files = []
        self.engine.submit(lambda ctx: with_qimages(ctx.call("image_text.samples", kind=kind)), owner=self.owner,
                           title="Preparing sample images", on_result=lambda rows: self._set(rows, replace=True))

    def add_files(self, paths: list[str]) -> None:
        """Open dropped or chosen files/folders in the host; add what loads, report the rest."""
        replace = self.kind != "files"

        def job(ctx):
            result = ctx.call("image_text.open", paths=list(paths), replace=replace)
            return {**result, "rows": with_qimages(result["rows"])}

        def done(result: dict) -> None:
            if self.kind != "files":
                self.entries = []
            self.kind = "files"
            self.files.extend(row["path"] for row in result["rows"])
            messages = result["messages"]
            lines = [result["summary"]] + [f"{name}: {why}" if name else why for name, why in messages[:8]]
            if len(messages) > 8:
                lines.append(f"… and {len(messages) - 8} more")
            self._set_note("<br>".join(html.escape(line) for line in lines))
            self._set(result["rows"], replace=False)

        self.engine.submit(job, owner=self.owner, title="Opening images", on_result=done,
                           on_error=lambda m: self._set_note(f"Could not open the images: {m}"))

    def clear(self) -> None:
        self.entries, self.files = [], []
        self.kind = "files"
        self._set([], replace=True)

    def _set_note(self, text: str) -> None:
        self.note = text
        self.note_changed.emit(text)

    def _set(self, rows: list[dict], replace: bool) -> None:
        if replace:
            self.entries = []
            self.note = ""
        for row in rows:
            self.entries.append(ImageEntry(next(self._uids), row["name"], row["source"], row["pixels"],
                                           thumbnail_pixmap(row["qimage"], THUMBNAIL_SIDE), row["path"]))
        self.changed.emit()

    def count_text(self) -> str:
        return f"{len(self.entries)} image{'s' if len(self.entries) != 1 else ''}"
