"""Images & text: CLIP's shared space — similarity, zero-shot, search, a joint map, BLIP-2's Q-Former, and a
mini-CLIP that can be trained live on this computer.

This module arranges the model row, the images and the six tabs (one module
each in this package) and passes on what concerns them all: a new model, new
images, presets, sessions, export and view settings. Every model job is an
operation of the model host (explorer/host/ops/image_text.py).
"""
from __future__ import annotations

import importlib
from pathlib import Path

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QFileDialog, QLabel, QTabWidget, QVBoxLayout, QWidget

from explorer.ui.image_text.images import ImageSet
from explorer.ui.image_text.model_row import ModelRow
from explorer.ui.image_text.views import TabContext
from explorer.ui.pane import ExportTarget, Pane

TABS = (("similarity", "Similarity"), ("zero-shot", "Zero-shot"), ("search", "Search"), ("joint-map", "Joint map"),
        ("qformer", "Captions && Q-Former"), ("train", "Train mini-CLIP"))
KEYS = [key for key, _ in TABS]
# key -> module in this package, class: a tab (and its module: pyqtgraph for some) is built when first shown or used
TAB_CLASSES = {"similarity": ("similarity", "SimilarityTab"), "zero-shot": ("zero_shot", "ZeroShotTab"),
               "search": ("search", "SearchTab"), "joint-map": ("joint_map", "JointMapTab"),
               "qformer": ("captioning", "CaptioningTab"), "train": ("training", "TrainTab")}
WITH_IMAGES = ("similarity", "zero-shot", "joint-map", "qformer")  # the tabs that show the current images
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
DEFAULTS = {
    "shapes": {
        "captions": ["a red circle", "a blue square", "a yellow star", "a green triangle", "a purple star",
                     "an orange circle"],
        "classes": ["red circle", "blue square", "yellow star", "green triangle", "purple star", "orange circle",
                    "blue circle", "red star"],
        "keywords": ["red", "blue", "yellow", "green", "circle", "star", "square", "triangle"],
        "query": "a yellow star",
    },
    "photos": {
        "captions": ["a photo of a cat", "an astronaut", "a cup of coffee", "a rocket launch", "a flower",
                     "the surface of the moon", "old coins", "galaxies in deep space"],
        "classes": ["cat", "astronaut", "cup of coffee", "rocket", "flower", "moon", "coins", "galaxy", "horse",
                    "temple"],
        "keywords": ["animal", "space", "drink", "plant", "money", "building", "person"],
        "query": "something in space",
    },
}


class ImageTextPane(Pane):
    pane_id = "image-text"
    title = "Images & text"

    def __init__(self, engine, parent: QWidget | None = None) -> None:
        super().__init__(engine, parent)
        self._started = False
        self.model_row = ModelRow(engine, self.pane_id)
        self.image_set = ImageSet(engine, self.pane_id)
        self._context = TabContext(engine, self.pane_id, self.model_row, self.image_set)
        self._built: dict[str, QWidget] = {}
        self._pending: dict = {}  # restored state the tabs not built yet take when they are
        self._view: tuple[float, bool] | None = None  # the last view settings, for tabs built later
        self._texts = "shapes"  # whose default texts (captions, classes, keywords, query) a new tab starts with
        self.tabs = QTabWidget()
        self._placeholders = [QWidget() for _ in TABS]
        for placeholder, (_key, title) in zip(self._placeholders, TABS):
            self.tabs.addTab(placeholder, title)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<h2>{self.title}</h2>"))
        layout.addWidget(self.model_row)
        layout.addWidget(self.tabs, 1)
        self.setAcceptDrops(True)

        self.tabs.currentChanged.connect(lambda _index: self._refresh_current())
        self.model_row.model_changed.connect(lambda _id: self._model_changed())
        self.model_row.checked.connect(self._models_checked)
        self.model_row.train_requested.connect(self._train_requested)
        self.model_row.download_requested.connect(lambda: self._refresh_if_current(self.current_tab()))
        self.image_set.changed.connect(self._images_changed)
        self.image_set.note_changed.connect(self._show_load_note)

    # --- tabs, built when first needed ---
    def tab(self, key: str):
        """The tab `key`, built (with the current texts, restored state and view settings) on first use."""
        tab = self._built.get(key)
        if tab is not None:
            return tab
        index = KEYS.index(key)
        module, cls = TAB_CLASSES[key]
        tab = getattr(importlib.import_module(f"explorer.ui.image_text.{module}"), cls)(self._context)
        self._built[key] = tab
        tab.refresh_requested.connect(self._refresh_if_current)
        defaults = DEFAULTS[self._texts]
        if key in WITH_IMAGES:
            tab.sources.source_requested.connect(self._source_requested)
            tab.sources.count.setText(self.image_set.count_text())
            tab.message.setText(self.image_set.note)
        if key in ("similarity", "zero-shot", "joint-map"):
            tab.set_default_lines(defaults[tab.DEFAULTS_KEY])
        elif key == "search":
            tab.set_query(defaults["query"])
        elif key == "qformer":
            tab.show_images()
        elif key == "train":
            tab.trained.connect(self._trained)
            self._models_checked()
        if self._pending:  # a session was restored before this tab was built
            tab.restore_state(self._pending)
        if self._view is not None:
            tab.apply_view_settings(*self._view)
        # the tab itself becomes the page (tabs.setCurrentWidget(pane.search) works), in its placeholder's place
        current = self.tabs.currentIndex()
        with QSignalBlocker(self.tabs):
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, tab, TABS[index][1])
            self.tabs.setCurrentIndex(current)
        self._placeholders[index].deleteLater()
        return tab

    similarity = property(lambda self: self.tab("similarity"))
    zero_shot = property(lambda self: self.tab("zero-shot"))
    search = property(lambda self: self.tab("search"))
    joint_map = property(lambda self: self.tab("joint-map"))
    captioning = property(lambda self: self.tab("qformer"))
    train = property(lambda self: self.tab("train"))

    # what the lecture and the tests read: the model, the images, the searched collection
    model_id = property(lambda self: self.model_row.model_id)
    images = property(lambda self: self.image_set.entries)
    files = property(lambda self: self.image_set.files)
    index = property(lambda self: self.search.index)
    search_folder = property(lambda self: self.search.folder)

    # --- lifecycle ---
    def activated(self) -> None:
        if self._started:
            return
        self._started = True
        self.model_row.check()
        if not self.image_set.entries:
            self.image_set.load_samples(self.model_row.sample_kind())
        self._refresh_current()

    def current_tab(self) -> str:
        return KEYS[self.tabs.currentIndex()]

    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.tab(self.current_tab())  # the visible tab is built before it paints
        super().showEvent(event)

    def _refresh_if_current(self, key: str) -> None:
        if key in self._built:
            self._built[key].dirty = True
        if self.current_tab() == key:
            self._refresh_current()

    def _refresh_current(self) -> None:
        if self._started:
            self.tab(self.current_tab()).refresh()

    def _mark_dirty(self, keys=KEYS) -> None:
        """Recompute these tabs when next shown (a tab not built yet computes when it is)."""
        for key in keys:
            if key in self._built:
                self._built[key].dirty = True

    def _model_changed(self) -> None:
        if "search" in self._built:
            self.search.forget_index()
        self._mark_dirty()
        self._refresh_current()

    def _models_checked(self) -> None:
        if "qformer" in self._built:
            self.captioning.show_status()
        info = self.model_row.mini_info
        if info and "train" in self._built:
            self.train.show_saved(info, self.model_row.mini_held_out, self.model_row.mini_origin)

    def _train_requested(self) -> None:
        self.tabs.setCurrentWidget(self.train)
        self.train.start_training(self.train.steps.value())

    def _trained(self, result: dict) -> None:
        self.model_row.trained(result)
        if "search" in self._built:
            self.search.forget_index()  # embedded with the old weights
        self._mark_dirty([key for key in KEYS if key != "train"])

    # --- images ---
    def add_files(self, paths: list[str]) -> None:
        self.image_set.add_files(paths)

    def _images_changed(self) -> None:
        count = self.image_set.count_text()
        for key in WITH_IMAGES:
            if key in self._built:
                self._built[key].sources.count.setText(count)
        if "qformer" in self._built:
            self.captioning.show_images()
        self._mark_dirty(WITH_IMAGES)
        self._refresh_current()

    def _show_load_note(self, text: str) -> None:
        for key in WITH_IMAGES:
            if key in self._built:
                self._built[key].message.setText(text)

    def _source_requested(self, key: str) -> None:
        if key in ("shapes", "photos"):
            self._swap_default_texts(key)
            self.image_set.load_samples(key)
        elif key == "clear":
            self.image_set.clear()
        elif key == "files":
            paths, _ = QFileDialog.getOpenFileNames(self, "Add images", "", IMAGE_FILTER)
            if paths:
                self.add_files(paths)

    def _swap_default_texts(self, kind: str) -> None:
        """Switching sample sets: texts still at the other set's defaults follow; edited texts stay."""
        other, mine = DEFAULTS["photos" if kind == "shapes" else "shapes"], DEFAULTS[kind]
        self._texts = kind
        for view in (self._built[key] for key in ("similarity", "zero-shot", "joint-map") if key in self._built):
            if view.lines() == other[view.DEFAULTS_KEY]:
                view.set_default_lines(mine[view.DEFAULTS_KEY])

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        self.handle_drop(paths)

    def handle_drop(self, paths: list[str]) -> None:
        """Files or folders dropped on the pane: the Search tab indexes a folder, every other tab adds images."""
        if self.current_tab() == "search" and len(paths) == 1 and Path(paths[0]).is_dir():
            self.index_folder(paths[0])
        else:
            self.add_files(paths)

    def index_folder(self, folder: str) -> None:
        self.search.index_folder(folder)

    # --- presets ---
    def presets(self) -> list[str]:
        return list(KEYS)

    def apply_preset(self, name: str) -> None:
        if name not in KEYS:
            super().apply_preset(name)
        self._started = True
        if not self.model_row.available:
            self.model_row.check()
        kind = self.model_row.sample_kind()
        defaults = DEFAULTS[kind]
        if name in ("similarity", "zero-shot", "joint-map", "qformer"):
            if self.image_set.kind != kind or not self.image_set.entries:
                self.image_set.load_samples(kind)
        if name == "similarity":
            self.similarity.set_captions(defaults["captions"])
        elif name == "zero-shot":
            self.zero_shot.set_classes(defaults["classes"], "a photo of a {}")
        elif name == "joint-map":
            self.joint_map.set_keywords(defaults["keywords"])
        elif name == "search":
            self.search.set_query(defaults["query"])
            self.search.index_requested(kind)
        elif name == "qformer":
            self.captioning.diagram.set_task("contrastive")
        self._mark_dirty()
        self.tabs.setCurrentIndex(KEYS.index(name))
        self._refresh_current()

    # --- sessions ---
    def state(self) -> dict:
        state = {**self._pending, "tab": self.current_tab(), "model": self.model_row.model_id,
                 "image_source": self.image_set.kind, "files": list(self.image_set.files)}
        for view in self._built.values():
            state.update(view.state())
        return state

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("model"), str) and state["model"]:
            before = self.model_row.model_id
            self.model_row.set_model(state["model"], user=True, announce=False)
            if self.model_row.model_id != before and "search" in self._built:
                self.search.forget_index()
        self._mark_dirty()
        self._pending = dict(state)  # for the tabs built later
        for view in self._built.values():
            view.restore_state(state)
        source = state.get("image_source")
        files = [f for f in state.get("files", []) if isinstance(f, str)]
        if source == "files" and files:
            self.image_set.entries, self.image_set.files = [], []
            self.add_files(files)
        elif source in ("shapes", "photos"):
            self.image_set.load_samples(source)
        if state.get("tab") in KEYS:
            self.tabs.setCurrentIndex(KEYS.index(state["tab"]))
        self._started = True
        self._refresh_current()

    # --- export and presentation ---
    def export_targets(self) -> list[ExportTarget]:
        """The current tab's figures first, then those of the other tabs built so far."""
        made = {
            "similarity": lambda t: [ExportTarget("Similarity matrix", t.matrix, t.matrix.data)],
            "zero-shot": lambda t: [ExportTarget("Zero-shot probabilities", t.bars, t.bars.data)],
            "search": lambda t: [ExportTarget("Search results", t.results, t.export_data)],
            "joint-map": lambda t: [ExportTarget("Joint map", t.scatter, t.scatter.export_data)],
            "qformer": lambda t: [ExportTarget("Q-Former diagram", t.diagram, None)],
            "train": lambda t: t.export_targets(),
        }
        current = self.current_tab()
        keys = [current] + [key for key in KEYS if key != current and key in self._built]
        return [target for key in keys for target in made[key](self.tab(key))]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._view = (font_scale, dark)
        for view in self._built.values():
            view.apply_view_settings(font_scale, dark)
