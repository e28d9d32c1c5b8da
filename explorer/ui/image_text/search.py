"""The Search tab: a collection of images (generated shapes, sample photos, a folder) searched by text or image.

The collection's embeddings and index stay in the model host; this tab holds
its summary (file paths, messages) and shows the best hits as thumbnails.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, QSize, Qt, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QSizePolicy, QVBoxLayout)

from explorer.host.ops.image_text import SEARCH_SHAPES, THUMBNAIL_SIDE
from explorer.ui.image_text.common import thumbnail_pixmap
from explorer.ui.image_text.images import with_qimages
from explorer.ui.image_text.views import DEBOUNCE_MS, ImageTextTab, TabContext, note_label
from explorer.ui.widgets.boxes import row_of

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)"


class SearchTab(ImageTextTab):
    key = "search"

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        self.source = "shapes"  # what is searched: "shapes", "photos" or "folder"
        self.folder = ""
        self.folder_held = False  # the folder came from a session and waits for "Index this folder"
        self.index = None  # core.image_index.IndexSummary of the collection kept in the model host
        self.hits: list[tuple[str, float]] = []  # (file name, cosine) of the results shown, for export
        sources_row = QHBoxLayout()
        sources_row.addWidget(QLabel("Search in:"))
        self.source_buttons: dict[str, QPushButton] = {}
        for key, text in (("shapes", f"Generated shapes ({SEARCH_SHAPES})"), ("photos", "Sample photos"),
                          ("folder", "A folder…")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, k=key: self.index_requested(k))
            sources_row.addWidget(button)
            self.source_buttons[key] = button
        self.index_status = QLabel("")
        # a long folder path wraps or is cut, never widens the pane past the window
        self.index_status.setWordWrap(True)
        self.index_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        sources_row.addWidget(self.index_status, 1)
        # a folder named by a session is indexed only when the user presses this
        self.index_folder_button = QPushButton("Index this folder")
        self.index_folder_button.hide()
        sources_row.addWidget(self.index_folder_button)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Describe what you look for, e.g. a yellow star")
        self.query.setClearButtonEnabled(True)
        self.image_button = QPushButton("Search with an image file…")
        self.image_button.clicked.connect(self._search_with_file)
        query_row = row_of("Find:", (self.query, 1), self.image_button)
        self.results = QListWidget()
        self.results.setViewMode(QListWidget.ViewMode.IconMode)
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.setMovement(QListWidget.Movement.Static)
        self.results.setWordWrap(True)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.itemClicked.connect(self._clicked)
        self.set_icon_size(1.0)
        self.caption = note_label()
        layout = QVBoxLayout(self)
        layout.addLayout(sources_row)
        layout.addLayout(query_row)
        layout.addWidget(self.caption)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.message)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.run_search)
        self.query.textChanged.connect(self._timer.start)
        self.query.returnPressed.connect(self.run_search)
        self.index_folder_button.clicked.connect(lambda: self.index_folder(self.folder))

    def set_icon_size(self, font_scale: float) -> None:
        side = int(150 * font_scale)
        self.results.setIconSize(QSize(side, side))
        self.results.setGridSize(QSize(side + 30, side + int(64 * font_scale)))

    def show_results(self, items: list[tuple[int, QPixmap, str]]) -> None:
        """(index in collection, thumbnail, text) best first."""
        self.results.clear()
        for index, pixmap, text in items:
            item = QListWidgetItem(QIcon(pixmap), text)
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(text.replace("\n", " · ") + "\nClick: find images like this one")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.results.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None and int(index) >= 0:
            self.search_similar(int(index))

    # --- what the pane asks ---
    def state(self) -> dict:
        return {"query": self.query.text(), "search_source": self.source, "search_folder": self.folder}

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("query"), str):
            with QSignalBlocker(self.query):
                self.query.setText(state["query"])
        source, folder = state.get("search_source"), state.get("search_folder")
        if source == "folder" and isinstance(folder, str) and folder:
            self.hold_folder(folder)  # indexed when the user presses "Index this folder"
        elif source in ("shapes", "photos"):
            self.source = source
            self.index = None
        if self.index is None:
            self.dirty = False  # a session never builds a search index by itself: the user presses a source
            if not self.folder_held:
                self.index_status.setText("Choose what to search in.")

    def set_query(self, text: str) -> None:
        with QSignalBlocker(self.query):
            self.query.setText(text)

    def forget_index(self) -> None:
        """The model changed (or was retrained): the collection is embedded again when the tab is shown."""
        self.index = None
        self.dirty = True

    def export_data(self) -> dict:
        if not self.hits:
            return {}
        import numpy as np

        return {"cosine": np.array([score for _, score in self.hits], dtype=np.float32),
                "__rows__": [name for name, _ in self.hits]}

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.set_icon_size(font_scale)

    def clear_result(self, text: str) -> None:
        self.results.clear()
        self.index_status.setText("")

    def show_failure(self, message: str) -> None:
        self.message.setText(f"Could not finish: {message}")
        self.dirty = True

    # --- the collection ---
    def compute(self) -> None:
        if self.index is None and self.source == "folder" and self.folder:
            if not self.folder_held:  # the user's own folder (e.g. after a model change): index it again
                self.index_folder(self.folder)
        elif self.index is None:
            self.index_requested(self.source if self.source != "folder" else self.models.sample_kind())
        else:
            self.run_search()

    def index_requested(self, key: str) -> None:
        if key == "folder":
            folder = QFileDialog.getExistingDirectory(self, "Search in a folder of images")
            if folder:
                self.index_folder(folder)
            return
        self.index_folder_button.hide()
        self.folder_held = False
        self.source = key
        self._build_index(key, None)

    def index_folder(self, folder: str) -> None:
        from explorer.core.safe_paths import UnsafePathError, check_path

        self.index_folder_button.hide()
        self.folder_held = False
        try:
            check_path(folder, "folder", "folder")
        except UnsafePathError as exc:
            self.index_status.setText(str(exc))
            return
        self.source, self.folder = "folder", folder
        self._build_index("folder", folder)

    def hold_folder(self, folder: str) -> None:
        """A session's folder: shown with a button; nothing walks it until the user presses it."""
        self.source, self.folder, self.index = "folder", folder, None
        self.folder_held = True
        self.results.clear()
        self.index_status.setText(f"This session searched in “{Path(folder).name or folder}”: press "
                                  "“Index this folder” to embed its images.")
        self.index_status.setToolTip(folder)
        self.index_folder_button.show()

    def _build_index(self, key: str, folder: str | None) -> None:
        self.index = None
        self.results.clear()
        self.index_status.setText("Preparing…")

        def done(result) -> None:
            if isinstance(result, dict):
                self.show_unavailable(result["unavailable"])
                return
            self.models.worked()
            self.index = result
            where = {"shapes": f"{SEARCH_SHAPES} generated shapes", "photos": "the sample photos"}.get(
                key, folder or "the folder")
            fresh = result.computed
            how = ("all from the cache" if fresh == 0 else "all newly embedded" if fresh == len(result)
                   else f"{fresh:,} newly embedded, the rest from the cache")
            self.index_status.setText(f"{len(result):,} images from {where} ({how})")
            problems = result.messages
            self.message.setText("<br>".join(f"{n}: {w}" if n else w for n, w in problems[:6])
                                 + (f"<br>… and {len(problems) - 6} more" if len(problems) > 6 else ""))
            self.run_search()

        self.engine.run("image_text.index", {**self.model_arguments(), "source": key, "folder": folder},
                        owner=f"{self.owner}-index", title="Embedding images for search", on_result=done,
                        on_error=self.show_failure)

    # --- searching ---
    def run_search(self) -> None:
        if self.index is None:
            return
        query = self.query.text().strip()
        if not query:
            self.caption.setText("Type what you look for, or click an image to find similar ones.")
            return
        self._search({"query": query}, "Searching", f"Images closest to “{query}”")

    def search_similar(self, position: int) -> None:
        if self.index is None or not 0 <= position < len(self.index):
            return
        self._search({"position": position}, "Finding similar images",
                     f"Images most like {self.index.paths[position].name}")

    def _search_with_file(self) -> None:
        if self.index is None:
            self.caption.setText("Choose what to search in first.")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Search with an image", "", IMAGE_FILTER)
        if path:
            self.search_with_image(path)

    def search_with_image(self, path: str) -> None:
        self._search({"image_path": path}, "Searching with an image", f"Images most like {Path(path).name}")

    def _search(self, query: dict, title: str, caption: str) -> None:
        """Rank the kept collection in the host (by text, image file or one of its images) and show the hits."""
        arguments = {**self.model_arguments(), "generation": self.index.generation, **query}

        def job(ctx):
            result = ctx.call("image_text.search", **arguments)
            return result if "unavailable" in result else {**result, "rows": with_qimages(result["rows"])}

        self.engine.submit(job, owner=self.owner, title=title, on_result=lambda r: self._show(r, caption),
                           on_error=self.show_failure)

    def _show(self, result: dict, caption: str) -> None:
        if "unavailable" in result:
            self.show_unavailable(result["unavailable"])
            return
        rows = result["rows"]
        self.hits = [(row["name"], row["score"]) for row in rows]
        self.show_results([(row["position"], thumbnail_pixmap(row["qimage"], THUMBNAIL_SIDE),
                            grid_text(rank + 1, row["name"], row["score"])) for rank, row in enumerate(rows)])
        extra = (" The model sees only the pixels; the file names are there for you to check it."
                 if self.source == "shapes" else "")
        self.caption.setText(f"<b>{html.escape(caption)}</b> — best first; click one to find images like it." + extra)
        if result.get("note"):
            self.message.setText(result["note"])


def grid_text(rank: int, name: str, score: float) -> str:
    short = name if len(name) <= 26 else name[:25] + "…"
    return f"{rank}. {short}\ncosine {score:.3f}"
