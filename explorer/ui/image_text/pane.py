"""Images & text: CLIP's shared space — similarity, zero-shot, search, a joint map, BLIP-2's Q-Former, and a
mini-CLIP that can be trained live on this computer.

This module arranges the model row, the images and the six tabs (one module
each in this package) and passes on what concerns them all: a new model, new
images, presets, sessions, export and view settings. Every model job is an
operation of the model host (explorer/host/ops/image_text.py).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QLabel, QTabWidget, QVBoxLayout, QWidget

from explorer.ui.image_text.captioning import CaptioningTab
from explorer.ui.image_text.images import ImageSet
from explorer.ui.image_text.joint_map import JointMapTab
from explorer.ui.image_text.model_row import ModelRow
from explorer.ui.image_text.search import SearchTab
from explorer.ui.image_text.similarity import SimilarityTab
from explorer.ui.image_text.training import TrainTab
from explorer.ui.image_text.views import TabContext
from explorer.ui.image_text.zero_shot import ZeroShotTab
from explorer.ui.pane import ExportTarget, Pane

TABS = (("similarity", "Similarity"), ("zero-shot", "Zero-shot"), ("search", "Search"), ("joint-map", "Joint map"),
        ("qformer", "Captions && Q-Former"), ("train", "Train mini-CLIP"))
KEYS = [key for key, _ in TABS]
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
    order = 50
    summary = ("CLIP: images and text in one space — similarity, zero-shot, search, joint map, BLIP-2's Q-Former, "
               "and a mini-CLIP trained live here")

    def __init__(self, engine, parent: QWidget | None = None) -> None:
        super().__init__(engine, parent)
        self._started = False
        self.model_row = ModelRow(engine, self.pane_id)
        self.image_set = ImageSet(engine, self.pane_id)
        context = TabContext(engine, self.pane_id, self.model_row, self.image_set)
        self.similarity = SimilarityTab(context)
        self.zero_shot = ZeroShotTab(context)
        self.search = SearchTab(context)
        self.joint_map = JointMapTab(context)
        self.captioning = CaptioningTab(context)
        self.train = TrainTab(context)
        self.views = dict(zip(KEYS, (self.similarity, self.zero_shot, self.search, self.joint_map, self.captioning,
                                     self.train)))
        self.tabs = QTabWidget()
        for key, label in TABS:
            self.tabs.addTab(self.views[key], label)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<h2>{self.title}</h2>"))
        layout.addWidget(self.model_row)
        layout.addWidget(self.tabs, 1)
        self.setAcceptDrops(True)

        self.tabs.currentChanged.connect(lambda _index: self._refresh_current())
        for view in self.views.values():
            view.refresh_requested.connect(self._refresh_if_current)
        for view in (self.similarity, self.zero_shot, self.joint_map, self.captioning):
            view.sources.source_requested.connect(self._source_requested)
        self.model_row.model_changed.connect(lambda _id: self._model_changed())
        self.model_row.checked.connect(self._models_checked)
        self.model_row.train_requested.connect(self._train_requested)
        self.model_row.download_requested.connect(lambda: self._refresh_if_current(self.current_tab()))
        self.image_set.changed.connect(self._images_changed)
        self.image_set.note_changed.connect(self._show_load_note)
        self.train.trained.connect(self._trained)

        self.similarity.set_captions(DEFAULTS["shapes"]["captions"])
        self.zero_shot.set_classes(DEFAULTS["shapes"]["classes"])
        self.joint_map.set_keywords(DEFAULTS["shapes"]["keywords"])
        self.search.set_query(DEFAULTS["shapes"]["query"])

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

    def _refresh_if_current(self, key: str) -> None:
        self.views[key].dirty = True
        if self.current_tab() == key:
            self._refresh_current()

    def _refresh_current(self) -> None:
        if self._started:
            self.views[self.current_tab()].refresh()

    def _mark_dirty(self, keys=KEYS) -> None:
        for key in keys:
            self.views[key].dirty = True

    def _model_changed(self) -> None:
        self.search.forget_index()
        self._mark_dirty()
        self._refresh_current()

    def _models_checked(self) -> None:
        self.captioning.show_status()
        if self.model_row.mini_info:
            self.train.show_saved(self.model_row.mini_info, self.model_row.mini_held_out, self.model_row.mini_origin)

    def _train_requested(self) -> None:
        self.tabs.setCurrentWidget(self.train)
        self.train.start_training(self.train.steps.value())

    def _trained(self, result: dict) -> None:
        self.model_row.trained(result)
        self.search.forget_index()  # embedded with the old weights
        self._mark_dirty([key for key in KEYS if key != "train"])

    # --- images ---
    def add_files(self, paths: list[str]) -> None:
        self.image_set.add_files(paths)

    def _images_changed(self) -> None:
        count = self.image_set.count_text()
        for view in (self.similarity, self.zero_shot, self.joint_map, self.captioning):
            view.sources.count.setText(count)
        self.captioning.show_images()
        self._mark_dirty(("similarity", "zero-shot", "joint-map", "qformer"))
        self._refresh_current()

    def _show_load_note(self, text: str) -> None:
        for view in (self.similarity, self.zero_shot, self.joint_map, self.captioning):
            view.message.setText(text)

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
        for view in (self.similarity, self.zero_shot, self.joint_map):
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
        state = {"tab": self.current_tab(), "model": self.model_row.model_id, "image_source": self.image_set.kind,
                 "files": list(self.image_set.files)}
        for view in (self.similarity, self.zero_shot, self.joint_map, self.search, self.train, self.captioning):
            state.update(view.state())
        return state

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("model"), str) and state["model"]:
            before = self.model_row.model_id
            self.model_row.set_model(state["model"], user=True, announce=False)
            if self.model_row.model_id != before:
                self.search.forget_index()
        self._mark_dirty()
        for view in (self.similarity, self.zero_shot, self.joint_map, self.captioning, self.train, self.search):
            view.restore_state(state)
        source = state.get("image_source")
        files = [f for f in state.get("files", []) if isinstance(f, str)]
        if source == "files" and files:
            self.image_set.entries, self.image_set.files = [], []
            self.add_files(files)
        elif source in ("shapes", "photos"):
            self.image_set.load_samples(source)
        if state.get("tab") in self.views:
            self.tabs.setCurrentIndex(KEYS.index(state["tab"]))
        self._started = True
        self._refresh_current()

    # --- export and presentation ---
    def export_targets(self) -> list[ExportTarget]:
        targets = {
            "similarity": ExportTarget("Similarity matrix", self.similarity.matrix, self.similarity.matrix.data),
            "zero-shot": ExportTarget("Zero-shot probabilities", self.zero_shot.bars, self.zero_shot.bars.data),
            "search": ExportTarget("Search results", self.search.results, self.search.export_data),
            "joint-map": ExportTarget("Joint map", self.joint_map.scatter, self.joint_map.scatter.export_data),
            "qformer": ExportTarget("Q-Former diagram", self.captioning.diagram, None),
        }
        loss, batch = self.train.export_targets()
        targets["train"] = loss
        current = self.current_tab()
        return [targets[current]] + [t for k, t in targets.items() if k != current] + [batch]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        for view in self.views.values():
            view.apply_view_settings(font_scale, dark)
