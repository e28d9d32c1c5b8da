"""Images & text: CLIP's shared space — similarity, zero-shot, search, a joint map, BLIP-2's Q-Former, and a
mini-CLIP that can be trained live on this computer.

The pane owns the chosen model, the current images and every engine job;
the views (explorer.ui.image_text.views.py) only show and ask.
Offline, the default model is the mini-CLIP: the copy shipped with the app,
or the user's own training once they retrain it (labelled as such); CLIP and
SigLIP come from the Hub and show "needs download" when they cannot be had,
never an error dialog.
"""
from __future__ import annotations

import html
import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QPushButton, QTabWidget,
                               QVBoxLayout, QWidget)

from explorer.ui.pane import ExportTarget, Pane
from explorer.ui.image_text.common import thumbnail_pixmap
from explorer.ui.image_text.views import (CaptionView, JointMapView, SearchView, SimilarityView, TrainView,
                                                  ZeroShotView, grid_text)

TABS = (("similarity", "Similarity"), ("zero-shot", "Zero-shot"), ("search", "Search"), ("joint-map", "Joint map"),
        ("qformer", "Captions && Q-Former"), ("train", "Train mini-CLIP"))
MODELS = (("mini-clip", "mini-CLIP — a small model trained on generated shapes (offline)"),
          ("clip", "CLIP ViT-B/32 (OpenAI, Hub)"),
          ("siglip", "SigLIP base (Google, Hub)"))
SHAPE_SAMPLES = [("red", "circle", True), ("blue", "square", True), ("yellow", "star", False),
                 ("green", "triangle", False), ("purple", "star", True), ("orange", "circle", False)]
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
PHOTO_SAMPLE_NAMES = ("cat", "astronaut", "coffee", "rocket", "flower", "moon", "coins", "galaxies")
SEARCH_SHAPES = 240
TOP_K = 24


@dataclass
class ImageEntry:
    uid: int
    name: str
    image: object  # PIL image, RGB, at most 512 px
    pixmap: QPixmap
    path: str | None = None


@dataclass
class Unavailable:
    """The chosen model cannot run yet: "train" (mini-CLIP) or "download" (a Hub model)."""

    model_id: str
    reason: str
    message: str


def _encoder(ctx, model_id: str, allow_download: bool, kind: str = "image-text"):
    """The loaded model's wrapper, or Unavailable (never raises for the expected cases)."""
    from explorer.models import catalogue, hub

    entry = catalogue.find(model_id, kind)
    if entry.id == "mini-clip":
        from explorer.models.image_text import NotTrainedYet

        if not catalogue.is_available(entry):
            return Unavailable(model_id, "train", "mini-CLIP is missing from this installation: click “Train "
                                                  "mini-CLIP” above (about 2-3 minutes, offline) and it works in "
                                                  "every view.")
        try:
            return ctx.models.get_entry(entry, ctx).model
        except NotTrainedYet as exc:  # every copy on disk is damaged: say which, offer training
            return Unavailable(model_id, "train", f"{exc} Click “Train mini-CLIP” above to make a new one.")
    if not catalogue.is_available(entry):
        if not allow_download:
            size = f" ({entry.size_mb:,.0f} MB)" if entry.size_mb else ""
            online = hub.network_available()
            where = "Click Download to fetch it." if online else "There is no network here, so it cannot be fetched now."
            return Unavailable(model_id, "download", f"{entry.title} needs a download from the Hugging Face Hub"
                                                     f"{size}. {where}")
    return ctx.models.get_entry(entry, ctx).model


def _embed_images(ctx, encoder, items: list[tuple[int, object]], known: dict) -> tuple[str, dict, np.ndarray]:
    """Vectors for (uid, image) items, reusing those already computed for this model."""
    have = known.get(encoder.cache_key, {})
    missing = [(uid, image) for uid, image in items if uid not in have]
    new: dict[int, np.ndarray] = {}
    if missing:
        vectors = encoder.embed_images([image for _, image in missing], progress=ctx)
        new = {uid: vectors[i] for i, (uid, _) in enumerate(missing)}
    if not items:
        return encoder.cache_key, new, np.zeros((0, 1), dtype=np.float32)
    stacked = np.stack([have[uid] if uid in have else new[uid] for uid, _ in items])
    return encoder.cache_key, new, stacked


def _unknown_words_note(encoder, texts: list[str]) -> str:
    finder = getattr(encoder, "unknown_words", None)
    if finder is None:
        return ""
    unknown = finder(texts)
    if not unknown:
        return ""
    shown = ", ".join(f"“{w}”" for w in unknown[:8]) + (" …" if len(unknown) > 8 else "")
    return (f"mini-CLIP never saw {shown} while training: it reads every such word as one “unknown” token. "
            "It knows the 6 colours, the 4 shapes and a few words like “photo”, “small”, “big”.")


class ImageTextPane(Pane):
    pane_id = "image-text"
    title = "Images & text"
    order = 50
    summary = ("CLIP: images and text in one space — similarity, zero-shot, search, joint map, BLIP-2's Q-Former, "
               "and a mini-CLIP trained live here")

    def __init__(self, engine, parent: QWidget | None = None) -> None:
        super().__init__(engine, parent)
        self.model_id = "mini-clip"
        self.images: list[ImageEntry] = []
        self.image_source = "shapes"
        self.files: list[str] = []
        self.index = None  # core.image_index.ImageIndex of the searched collection
        self.search_source = "shapes"
        self.search_folder = ""
        self._folder_held = False  # search_folder came from a session and waits for "Index this folder"
        self.available: dict[str, bool] = {}
        self.mini_info: dict | None = None
        self.mini_origin: str | None = None  # "user" (trained here) or "shipped" (comes with the app)
        self.mini_problems: list[str] = []  # damaged copies that were skipped
        self.mini_held_out: list[str] = []  # the colour-shape pairs its training never showed
        self._live_held_out: list[str] = []  # the same, for the training that is running
        self.online: bool | None = None
        self.captions_by_uid: dict[int, str] = {}
        self.qformer = None
        self._uids = itertools.count(1)
        self._vectors: dict[str, dict[int, np.ndarray]] = {}
        self._download_ok: set[str] = set()
        self._dirty: set[str] = {key for key, _ in TABS}
        self._started = False
        self._user_chose_model = False
        self._font_scale, self._dark = 1.0, False
        self._training = False
        self._search_rows: list[tuple[str, float]] = []
        self._load_note = ""  # what happened to the last dropped files, shown under every view

        # --- model row ---
        self.model_box = QComboBox()
        self.model_box.setMinimumWidth(420)
        self.model_box.setToolTip("mini-CLIP works offline; CLIP and SigLIP come from the Hugging Face Hub")
        for model_id, text in MODELS:
            self.model_box.addItem(text, model_id)
        self.model_box.activated.connect(self._model_picked)
        self.hub_id = QLineEdit()
        self.hub_id.setPlaceholderText("or a Hub id + Enter")
        self.hub_id.setToolTip("Any CLIP-style model on the Hugging Face Hub, e.g. openai/clip-vit-large-patch14")
        self.hub_id.setMaximumWidth(260)
        self.hub_id.returnPressed.connect(self._model_typed)
        self.model_note = QLabel()
        self.model_note.setWordWrap(True)
        self.model_action = QPushButton()
        self.model_action.setStyleSheet("QPushButton { font-weight: bold; padding: 6px 14px; }")
        self.model_action.setVisible(False)
        self.model_action.clicked.connect(self._model_action_clicked)
        model_row = QHBoxLayout()
        model_row.addWidget(QLabel("<b>Model:</b>"))
        model_row.addWidget(self.model_box)
        model_row.addWidget(self.hub_id)
        model_row.addWidget(self.model_note, 1)
        model_row.addWidget(self.model_action)

        # --- views ---
        self.similarity = SimilarityView()
        self.zero_shot = ZeroShotView()
        self.search = SearchView()
        self.joint_map = JointMapView()
        self.captions = CaptionView()
        self.train = TrainView()
        self.views = {"similarity": self.similarity, "zero-shot": self.zero_shot, "search": self.search,
                      "joint-map": self.joint_map, "qformer": self.captions, "train": self.train}
        self.tabs = QTabWidget()
        for key, label in TABS:
            self.tabs.addTab(self.views[key], label)
        self.tabs.currentChanged.connect(self._tab_changed)

        header = QLabel(f"<h2>{self.title}</h2>")
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addLayout(model_row)
        layout.addWidget(self.tabs, 1)
        self.setAcceptDrops(True)

        # --- wiring ---
        for view in (self.similarity, self.zero_shot, self.joint_map, self.captions):
            view.sources.source_requested.connect(self._source_requested)
        self.similarity.captions_changed.connect(lambda: self._refresh("similarity"))
        self.zero_shot.settings_changed.connect(lambda: self._refresh("zero-shot"))
        self.joint_map.settings_changed.connect(lambda: self._refresh("joint-map"))
        self.search.index_requested.connect(self._index_requested)
        self.search.index_folder_button.clicked.connect(lambda: self.index_folder(self.search_folder))
        self.search.query_changed.connect(lambda _text: self._run_search())
        self.search.similar_requested.connect(self._search_similar)
        self.search.image_query_requested.connect(self._search_with_file)
        self.captions.caption_requested.connect(self._run_captions)
        self.captions.qformer_requested.connect(self._run_qformer)
        self.captions.query_pick.valueChanged.connect(lambda _v: self._show_query())
        self.captions.captioner.currentIndexChanged.connect(lambda _i: self._show_captioner_status())
        self.train.train_requested.connect(self.start_training)
        self.train.cancel_requested.connect(lambda: self.engine.cancel(f"{self.pane_id}.train"))

        self.similarity.set_captions(DEFAULTS["shapes"]["captions"])
        self.zero_shot.set_classes(DEFAULTS["shapes"]["classes"])
        self.joint_map.set_keywords(DEFAULTS["shapes"]["keywords"])
        self.search.query.blockSignals(True)
        self.search.query.setText(DEFAULTS["shapes"]["query"])
        self.search.query.blockSignals(False)
        self._update_model_note()

    # ------------------------------------------------------------------------------------------------
    # lifecycle, presets, state
    def activated(self) -> None:
        if self._started:
            return
        self._started = True
        self._check_models()
        if not self.images:
            self.load_samples(self._sample_kind())
        self._refresh_current()

    def presets(self) -> list[str]:
        return ["similarity", "zero-shot", "search", "joint-map", "qformer", "train"]

    def apply_preset(self, name: str) -> None:
        if name not in self.presets():
            super().apply_preset(name)
        self._started = True
        if not self.available:
            self._check_models()
        kind = self._sample_kind()
        defaults = DEFAULTS[kind]
        if name in ("similarity", "zero-shot", "joint-map", "qformer"):
            if self.image_source != kind or not self.images:
                self.load_samples(kind)
        if name == "similarity":
            self.similarity.set_captions(defaults["captions"])
        elif name == "zero-shot":
            self.zero_shot.set_classes(defaults["classes"], "a photo of a {}")
        elif name == "joint-map":
            self.joint_map.set_keywords(defaults["keywords"])
        elif name == "search":
            self.search.query.blockSignals(True)
            self.search.query.setText(defaults["query"])
            self.search.query.blockSignals(False)
            self._index_requested(kind)
        elif name == "qformer":
            self.captions.diagram.set_task("contrastive")
        self._dirty.update(key for key, _ in TABS)
        self.tabs.setCurrentIndex([key for key, _ in TABS].index(name))
        self._refresh_current()

    def state(self) -> dict:
        return {
            "tab": self.current_tab(), "model": self.model_id, "image_source": self.image_source,
            "files": list(self.files), "captions": self.similarity.captions.toPlainText(),
            "classes": self.zero_shot.classes.toPlainText(), "template": self.zero_shot.template.text(),
            "keywords": self.joint_map.keywords.toPlainText(), "method": self.joint_map.method.currentData(),
            "centre": self.joint_map.centre.isChecked(), "query": self.search.query.text(),
            "search_source": self.search_source, "search_folder": self.search_folder,
            "steps": self.train.steps.value(), "captioner": self.captions.captioner.currentData(),
            "prompt": self.captions.prompt.text(), "task": self.captions.diagram.task,
        }

    def restore_state(self, state: dict) -> None:
        def text(key: str) -> str | None:
            value = state.get(key)
            return value if isinstance(value, str) else None

        if text("model"):
            self._set_model(state["model"], user=True, refresh=False)
        for key, editor in (("captions", self.similarity.captions), ("classes", self.zero_shot.classes),
                            ("keywords", self.joint_map.keywords)):
            if text(key) is not None:
                editor.blockSignals(True)
                editor.setPlainText(state[key])
                editor.blockSignals(False)
        for key, line in (("template", self.zero_shot.template), ("query", self.search.query),
                          ("prompt", self.captions.prompt)):
            if text(key) is not None:
                line.blockSignals(True)
                line.setText(state[key])
                line.blockSignals(False)
        if isinstance(state.get("centre"), bool):
            self.joint_map.centre.setChecked(state["centre"])
        for box, key in ((self.joint_map.method, "method"), (self.captions.captioner, "captioner")):
            index = box.findData(state.get(key))
            if index >= 0:
                box.setCurrentIndex(index)
        if isinstance(state.get("steps"), int):
            self.train.steps.setValue(state["steps"])
        if text("task") in ("contrastive", "matching", "generation"):
            self.captions.diagram.set_task(state["task"])
        source = text("image_source")
        files = [f for f in state.get("files", []) if isinstance(f, str)]
        if source == "files" and files:
            self.images, self.files = [], []
            self.add_files(files)
        elif source in ("shapes", "photos"):
            self.load_samples(source)
        if text("search_source") == "folder" and text("search_folder"):
            self.hold_folder(state["search_folder"])  # indexed when the user presses "Index this folder"
        elif text("search_source") in ("shapes", "photos"):
            self.search_source = state["search_source"]
            self.index = None
        tab = text("tab")
        if tab in self.views:
            self.tabs.setCurrentIndex([key for key, _ in TABS].index(tab))
        self._dirty.update(key for key, _ in TABS)
        if self.index is None:
            # a session never builds a search index by itself: the user presses a source (or "Index this folder")
            self._dirty.discard("search")
            if not self._folder_held:
                self.search.index_status.setText("Choose what to search in.")
        self._started = True
        self._refresh_current()

    def export_targets(self) -> list[ExportTarget]:
        targets = {
            "similarity": ExportTarget("Similarity matrix", self.similarity.matrix, self.similarity.matrix.data),
            "zero-shot": ExportTarget("Zero-shot probabilities", self.zero_shot.bars, self.zero_shot.bars.data),
            "search": ExportTarget("Search results", self.search.results, self._search_data),
            "joint-map": ExportTarget("Joint map", self.joint_map.scatter, self.joint_map.scatter.export_data),
            "qformer": ExportTarget("Q-Former diagram", self.captions.diagram, None),
            "train": ExportTarget("Training loss", self.train.loss_plot,
                                  lambda: {"loss": np.asarray(self.train.losses, dtype=np.float32)}
                                  if self.train.losses else {}),
        }
        current = self.current_tab()
        ordered = [targets[current]] + [t for k, t in targets.items() if k != current]
        ordered.append(ExportTarget("Training batch matrix", self.train.matrix, self.train.matrix.data))
        return ordered

    def _search_data(self) -> dict:
        if not self._search_rows:
            return {}
        return {"cosine": np.array([score for _, score in self._search_rows], dtype=np.float32),
                "__rows__": [name for name, _ in self._search_rows]}

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._font_scale, self._dark = font_scale, dark
        self.similarity.matrix.apply_view_settings(font_scale, dark)
        self.zero_shot.bars.apply_view_settings(font_scale, dark)
        self.search.set_icon_size(font_scale)
        self.joint_map.scatter.apply_view_settings(font_scale, dark)
        self.captions.diagram.apply_view_settings(font_scale, dark)
        self.captions.cross.apply_view_settings(font_scale, dark)
        self.captions.query_heatmap.apply_view_settings(font_scale, dark)
        self.captions.set_strip_size(font_scale)
        self.train.apply_view_settings(font_scale, dark)

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()][0]

    # ------------------------------------------------------------------------------------------------
    # models
    def _sample_kind(self) -> str:
        return "shapes" if self.model_id == "mini-clip" else "photos"

    def _check_models(self) -> None:
        def job(ctx):
            from explorer.models import catalogue, hub

            from explorer.models.image_text import mini_clip_status

            available = {e.id: catalogue.is_available(e) for e in catalogue.entries("image-text")
                         + catalogue.entries("captioner")}
            # which copy of the mini-CLIP is used (the user's training, else the shipped one), checked
            status = mini_clip_status()
            available["mini-clip"] = status.copy is not None
            return {"available": available, "mini_info": status.info, "mini_origin": status.origin,
                    "mini_problems": status.problems, "mini_held_out": status.held_out_pairs,
                    "online": hub.network_available()}

        self.engine.submit(job, owner=f"{self.pane_id}.models", title="Checking image-text models",
                           on_result=self._models_checked)

    def _models_checked(self, result: dict) -> None:
        self.available = result["available"]
        self.mini_info = result["mini_info"]
        self.mini_origin = result["mini_origin"]
        self.mini_problems = list(result["mini_problems"])
        self.mini_held_out = list(result["mini_held_out"])
        self.online = result["online"]
        self._show_models()

    def _show_models(self) -> None:
        """Label the model choices, notes and training record from what is known about the models."""
        for i in range(self.model_box.count()):
            model_id = self.model_box.itemData(i)
            base = dict(MODELS).get(model_id, model_id)
            if model_id == "mini-clip" and not self.available.get("mini-clip"):
                base += " — train it first"
            elif model_id != "mini-clip" and not self.available.get(model_id, False):
                base += " — needs download"
            self.model_box.setItemText(i, base)
        # a CLIP already on disk is the better default; never override the user's choice
        if not self._user_chose_model and self.available.get("clip") and self.model_id == "mini-clip":
            self._set_model("clip", user=False)
        self._update_model_note()
        self._show_captioner_status()
        if self.mini_info and not self._training and not self.train.losses:
            self._show_saved_training(self.mini_info)

    def _model_picked(self, index: int) -> None:
        model_id = self.model_box.itemData(index)
        if model_id:
            self._set_model(model_id, user=True)

    def _model_typed(self) -> None:
        text = self.hub_id.text().strip()
        from explorer.models.catalogue import looks_like_hub_id

        if text in dict(MODELS) or looks_like_hub_id(text):
            self._set_model(text, user=True)
            self.hub_id.clear()
        else:
            self.model_note.setText(f"“{text}” is not a Hub id: it looks like owner/name, for example "
                                    "openai/clip-vit-large-patch14.")

    def _set_model(self, model_id: str, user: bool, refresh: bool = True) -> None:
        if user:
            self._user_chose_model = True
        if self.model_box.findData(model_id) < 0:
            self.model_box.addItem(f"{model_id} (Hub)", model_id)
        self.model_box.setCurrentIndex(self.model_box.findData(model_id))
        if model_id == self.model_id:
            return
        self.model_id = model_id
        self.index = None
        self._update_model_note()
        self._dirty.update(key for key, _ in TABS)
        if refresh and self._started:
            self._refresh_current()

    def _update_model_note(self, unavailable: Unavailable | None = None) -> None:
        action = ""
        if self.model_id == "mini-clip":
            if self.available and not self.available.get("mini-clip"):
                note = "<b>No usable mini-CLIP.</b> A small CLIP trained from generated shapes: train it here."
                action = "Train mini-CLIP (about 2-3 minutes)"
            else:
                if self.mini_origin == "shipped":
                    note = ("Shipped with the app, trained on generated shapes: knows 4 shapes × 6 colours, not "
                            "photos. Retrain it in the “Train mini-CLIP” tab to watch it learn.")
                else:
                    note = "Trained on this computer from generated shapes: knows 4 shapes × 6 colours, not photos."
                info = self.mini_info or {}
                lines = self._accuracy_lines(info, digits=0)
                if lines:
                    note += " Accuracy, " + "; ".join(lines) + "."
                    self.model_note.setToolTip(
                        f"Not a real CLIP: {info.get('steps', '?')} training steps in {info.get('seconds', '?')} s "
                        f"on {info.get('trained_at', '?')}. Each figure is on fresh images, each one classified "
                        f"among {self._label_set()}.")
            if self.mini_problems:
                note += "<br><b>Note:</b> " + html.escape(" ".join(self.mini_problems))
        else:
            from explorer.models.catalogue import find

            try:
                entry = find(self.model_id, "image-text")
                note = f"{entry.title}: {entry.description} ({entry.hub_id}, {entry.licence})."
            except Exception as exc:  # noqa: BLE001 - an odd id: say so
                note = str(exc)
            if unavailable is not None or (self.available and not self.available.get(self.model_id, False)):
                note = f"<b>Needs download.</b> {note}"
                action = "Download" if self.online is not False else ""
                if self.online is False:
                    note += " No network here: use mini-CLIP offline."
        if unavailable is not None and unavailable.reason == "train":
            action = "Train mini-CLIP (about 2-3 minutes)"
        self.model_note.setText(note)
        self.model_action.setText(action)
        self.model_action.setVisible(bool(action))

    def _model_worked(self) -> None:
        """A job ran with the chosen model: a Hub model that was downloaded now counts as available."""
        if self.available and not self.available.get(self.model_id):
            self.available[self.model_id] = True
            self._show_models()
        else:
            self._update_model_note()

    def _model_action_clicked(self) -> None:
        if self.model_id == "mini-clip":
            self.tabs.setCurrentWidget(self.train)
            self.start_training(self.train.steps.value())
        else:
            self._download_ok.add(self.model_id)
            self._dirty.add(self.current_tab())
            self._refresh_current()

    def _unavailable(self, view_key: str, result: Unavailable) -> None:
        """Show why nothing is computed: a placeholder in the view and the action in the model row."""
        self._update_model_note(result)
        text = result.message
        if view_key == "similarity":
            self.similarity.matrix.clear(text)
        elif view_key == "zero-shot":
            self.zero_shot.bars.clear(text)
        elif view_key == "joint-map":
            self.joint_map.scatter.clear(text)
        elif view_key == "search":
            self.search.results.clear()
            self.search.index_status.setText("")
        view = self.views.get(view_key)
        if hasattr(view, "message"):
            view.message.setText(text)
        self._dirty.add(view_key)

    def _job_error(self, view_key: str):
        def show(message: str) -> None:
            view = self.views.get(view_key)
            text = f"Could not finish: {message}"
            if view_key == "similarity":
                self.similarity.matrix.clear(text)
            elif view_key == "zero-shot":
                self.zero_shot.bars.clear(text)
            if hasattr(view, "message"):
                view.message.setText(text)
            self._dirty.add(view_key)
        return show

    # ------------------------------------------------------------------------------------------------
    # images
    def load_samples(self, kind: str) -> None:
        """Replace the images with the bundled sample shapes or photos (made on the worker)."""

        def job(ctx):
            from explorer.core import image_io, shapes_dataset as shapes
            from explorer.ui.image_text.common import pil_to_qimage

            out = []
            if kind == "shapes":
                rng = np.random.default_rng(2024)
                for colour, shape, plain in SHAPE_SAMPLES:
                    pixels, _ = shapes.render(shape, colour, rng, plain=plain, size=160)
                    image = shapes.to_pil(pixels)
                    out.append((f"{colour} {shape}", image, pil_to_qimage(image), None))
            else:
                by_name = {name: path for name, path, _ in image_io.sample_photo_files()}
                for name in PHOTO_SAMPLE_NAMES:
                    if name in by_name:
                        loaded = image_io.load_image(by_name[name])
                        out.append((name, loaded.image, pil_to_qimage(loaded.image), str(by_name[name])))
            return out

        self.image_source = kind
        self.files = []
        self.engine.submit(job, owner=f"{self.pane_id}.images", title="Preparing sample images",
                           on_result=lambda rows: self._set_images(rows, replace=True))

    def add_files(self, paths: list[str]) -> None:
        """Load dropped or chosen files/folders on the worker; add what loads, report the rest."""

        def job(ctx):
            from explorer.core import image_io
            from explorer.ui.image_text.common import pil_to_qimage

            report = image_io.load_images(paths, progress=ctx)
            rows = [(im.name, im.image, pil_to_qimage(image_io.thumbnail(im.image, 256)), str(im.path))
                    for im in report.images[:200]]
            messages = list(report.messages)
            if len(report.images) > 200:
                messages.append(("", f"only the first 200 of {len(report.images)} images are shown here; "
                                     "the Search tab takes whole folders"))
            return rows, report.summary(), messages

        def done(result) -> None:
            rows, summary, messages = result
            if self.image_source != "files":
                self.images = []
            self.image_source = "files"
            self.files.extend(r[3] for r in rows)
            lines = [summary] + [f"{name}: {why}" if name else why for name, why in messages[:8]]
            if len(messages) > 8:
                lines.append(f"… and {len(messages) - 8} more")
            self._show_load_messages("<br>".join(html.escape(line) for line in lines))
            self._set_images(rows, replace=False)

        self.engine.submit(job, owner=f"{self.pane_id}.images", title="Opening images", on_result=done,
                           on_error=lambda m: self._show_load_messages(f"Could not open the images: {m}"))

    def _show_load_messages(self, text: str) -> None:
        self._load_note = text
        for view in (self.similarity, self.zero_shot, self.joint_map):
            view.message.setText(text)
        self.captions.status.setText(text)

    def _set_images(self, rows: list, replace: bool) -> None:
        if replace:
            self.images = []
            self._load_note = ""
        for name, image, qimage, path in rows:
            self.images.append(ImageEntry(next(self._uids), name, image, thumbnail_pixmap(qimage, 256), path))
        count = f"{len(self.images)} image{'s' if len(self.images) != 1 else ''}"
        for view in (self.similarity, self.zero_shot, self.joint_map, self.captions):
            view.sources.count.setText(count)
        self.captions.show_images([(e.pixmap, self._caption_text(e)) for e in self.images])
        if self.images:
            self.captions.diagram.set_image(self.images[0].pixmap)
        self._dirty.update(("similarity", "zero-shot", "joint-map", "qformer"))
        self._refresh_current()

    def _swap_default_texts(self, kind: str) -> None:
        """Switching sample sets: texts still at the other set's defaults follow; edited texts stay."""
        other = DEFAULTS["photos" if kind == "shapes" else "shapes"]
        mine = DEFAULTS[kind]
        if self.similarity.caption_lines() == other["captions"]:
            self.similarity.set_captions(mine["captions"])
        if self.zero_shot.class_lines() == other["classes"]:
            self.zero_shot.set_classes(mine["classes"])
        if self.joint_map.keyword_lines() == other["keywords"]:
            self.joint_map.set_keywords(mine["keywords"])

    def _caption_text(self, entry: ImageEntry) -> str:
        caption = self.captions_by_uid.get(entry.uid)
        return f"{entry.name}\n{caption}" if caption else entry.name

    def _source_requested(self, key: str) -> None:
        if key in ("shapes", "photos"):
            self._swap_default_texts(key)
            self.load_samples(key)
        elif key == "clear":
            self.images, self.files = [], []
            self.image_source = "files"
            self._set_images([], replace=True)
        elif key == "files":
            paths, _ = QFileDialog.getOpenFileNames(self, "Add images", "",
                                                    "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff);;"
                                                    "All files (*)")
            if paths:
                self.add_files(paths)

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

    # ------------------------------------------------------------------------------------------------
    # recomputing the visible view
    def _tab_changed(self, _index: int) -> None:
        self._refresh_current()

    def _refresh(self, key: str) -> None:
        self._dirty.add(key)
        if self.current_tab() == key:
            self._refresh_current()

    def _refresh_current(self) -> None:
        if not self._started:
            return
        key = self.current_tab()
        if key not in self._dirty:
            return
        self._dirty.discard(key)
        if key == "similarity":
            self._run_similarity()
        elif key == "zero-shot":
            self._run_zero_shot()
        elif key == "search":
            if self.index is None and self.search_source == "folder" and self.search_folder:
                if not self._folder_held:  # the user's own folder (e.g. after a model change): index it again
                    self.index_folder(self.search_folder)
            elif self.index is None:
                self._index_requested(self.search_source if self.search_source != "folder" else self._sample_kind())
            else:
                self._run_search()
        elif key == "joint-map":
            self._run_joint_map()
        elif key == "qformer":
            self._show_captioner_status()

    def _image_items(self) -> list[tuple[int, object]]:
        return [(e.uid, e.image) for e in self.images]

    def _known(self) -> dict:
        return {k: dict(v) for k, v in self._vectors.items()}

    def _remember(self, key: str, new: dict) -> None:
        self._vectors.setdefault(key, {}).update(new)

    def _photo_warning(self) -> str:
        if self.model_id == "mini-clip" and self.image_source != "shapes":
            return ("mini-CLIP only ever saw coloured shapes: on photos its scores mean little. "
                    "Pick CLIP for photos (needs download) or use the sample shapes.")
        return ""

    def _submit_image_job(self, view_key: str, title: str, compute, paint) -> None:
        """Run a view's job over the current images with the chosen model, then paint its answer.

        On the worker: load the model (or return Unavailable), embed the images not embedded yet, and
        compute(ctx, encoder, image_vectors) -> dict of the view's own results. On the GUI thread:
        paint(result, rows) with the images the result belongs to, unless the model was unavailable
        (said in the view) or images went away while it ran (the view is recomputed instead).
        """
        items, known, model_id = self._image_items(), self._known(), self.model_id
        allow = model_id in self._download_ok

        def job(ctx):
            encoder = _encoder(ctx, model_id, allow)
            if isinstance(encoder, Unavailable):
                return encoder
            key, new, image_vectors = _embed_images(ctx, encoder, items, known)
            return {"key": key, "new": new, "uids": [u for u, _ in items],
                    **compute(ctx, encoder, image_vectors)}

        def done(result) -> None:
            if isinstance(result, Unavailable):
                self._unavailable(view_key, result)
                return
            self._model_worked()
            self._remember(result["key"], result["new"])
            by_uid = {e.uid: e for e in self.images}
            rows = [by_uid[u] for u in result["uids"] if u in by_uid]
            if len(rows) != len(result["uids"]):
                self._refresh(view_key)
                return
            paint(result, rows)

        self.engine.submit(job, owner=f"{self.pane_id}.{view_key}", title=title, on_result=done,
                           on_error=self._job_error(view_key))

    def _notes(self, result: dict, notes: list[str]) -> list[str]:
        """The lines every view adds under its own: unknown words, the photo warning, the last load's report."""
        return [n for n in (result["note"], self._photo_warning(), self._load_note) if n] + notes

    # --- similarity ---
    def _run_similarity(self) -> None:
        captions = self.similarity.caption_lines()
        if not self.images or not captions:
            self.engine.cancel(f"{self.pane_id}.similarity")
            self.similarity.matrix.clear("Add images and at least one caption." if self.images
                                         else "Add images: the buttons above, or drop files here.")
            return
        from explorer.core.multimodal import clean_lines

        captions, notes = clean_lines("\n".join(captions), limit=24)
        self.similarity.message.setText("Embedding…")

        def compute(ctx, encoder, image_vectors):
            from explorer.core.multimodal import similarity_matrix

            matrix = similarity_matrix(image_vectors, encoder.embed_texts(captions))
            return {"matrix": matrix, "captions": captions, "note": _unknown_words_note(encoder, captions),
                    "name": encoder.name}

        self._submit_image_job("similarity", "Image-text similarity", compute,
                               lambda result, rows: self._show_similarity(result, rows, notes))

    def _show_similarity(self, result: dict, rows: list[ImageEntry], notes: list[str]) -> None:
        self.similarity.matrix.set_data(result["matrix"], [e.name for e in rows], result["captions"],
                                        [e.pixmap for e in rows])
        matrix = result["matrix"]
        best = matrix.argmax(axis=1)
        lines = [f"Model: {result['name']}. Highest cosine for each image is outlined."]
        if matrix.shape[0] == matrix.shape[1] and (best == np.arange(len(best))).all():
            lines[0] += " Every image picks its own caption: the diagonal lights up."
        lines += self._notes(result, notes)
        self.similarity.message.setText("<br>".join(lines))

    # --- zero-shot ---
    def _run_zero_shot(self) -> None:
        classes = self.zero_shot.class_lines()
        template = self.zero_shot.template.text()
        if not self.images or not classes:
            self.engine.cancel(f"{self.pane_id}.zero-shot")
            self.zero_shot.bars.clear("Add images and at least one class name." if self.images
                                      else "Add images: the buttons above, or drop files here.")
            return
        from explorer.core.multimodal import clean_lines, prompts

        classes, notes = clean_lines("\n".join(classes), limit=100, max_chars=120)
        shown = prompts(classes[:3], template)
        self.zero_shot.prompts.setText("Prompts: " + ", ".join(f"“{p}”" for p in shown)
                                       + (" …" if len(classes) > 3 else ""))
        if "{}" not in template:
            notes.append("The template has no {}: each class name is added at its end.")

        def compute(ctx, encoder, image_vectors):
            from explorer.core.multimodal import zero_shot

            result = zero_shot(image_vectors, encoder, classes, template)
            return {"result": result, "note": _unknown_words_note(encoder, result.prompts),
                    "scale": encoder.logit_scale}

        self._submit_image_job("zero-shot", "Zero-shot classification", compute,
                               lambda result, rows: self._show_zero_shot(result, rows, notes))

    def _show_zero_shot(self, result: dict, rows: list[ImageEntry], notes: list[str]) -> None:
        zs = result["result"]
        self.zero_shot.bars.set_data([e.name for e in rows], [e.pixmap for e in rows], zs.class_names,
                                     zs.probabilities, zs.kind)
        how = (f"softmax over the {len(zs.class_names)} classes of {result['scale']:.1f} × cosine"
               if zs.kind == "softmax" else "a separate sigmoid per class (SigLIP): the bars need not add up to 100%")
        lines = [f"Probabilities: {how}."]
        lines += self._notes(result, notes)
        self.zero_shot.message.setText("<br>".join(lines))

    # --- search ---
    def _index_requested(self, key: str) -> None:
        if key == "folder":
            folder = QFileDialog.getExistingDirectory(self, "Search in a folder of images")
            if folder:
                self.index_folder(folder)
            return
        self.search.index_folder_button.hide()
        self._folder_held = False
        self.search_source = key
        self._build_index(key, None)

    def index_folder(self, folder: str) -> None:
        from explorer.core.safe_paths import UnsafePathError, check_path

        self.search.index_folder_button.hide()
        self._folder_held = False
        try:
            check_path(folder, "folder", "folder")
        except UnsafePathError as exc:
            self.search.index_status.setText(str(exc))
            return
        self.search_source = "folder"
        self.search_folder = folder
        self._build_index("folder", folder)

    def hold_folder(self, folder: str) -> None:
        """A session's folder: shown with a button; nothing walks it until the user presses it."""
        self.search_source, self.search_folder, self.index = "folder", folder, None
        self._folder_held = True
        self.search.results.clear()
        self.search.index_status.setText(f"This session searched in “{Path(folder).name or folder}”: press "
                                         "“Index this folder” to embed its images.")
        self.search.index_status.setToolTip(folder)
        self.search.index_folder_button.show()

    def _build_index(self, key: str, folder: str | None) -> None:
        model_id = self.model_id
        allow = model_id in self._download_ok
        self.index = None
        self.search.results.clear()
        self.search.index_status.setText("Preparing…")

        def job(ctx):
            from explorer.core import image_io
            from explorer.core.image_index import build_index

            encoder = _encoder(ctx, model_id, allow)
            if isinstance(encoder, Unavailable):
                return encoder
            if key == "shapes":
                sources = [str(_sample_shapes_folder(ctx))]
            elif key == "photos":
                sources = [str(path) for _, path, _ in image_io.sample_photo_files()]
            else:
                sources = [folder]
            index = build_index(sources, encoder, progress=ctx)
            return {"index": index, "encoder": encoder}

        def done(result) -> None:
            if isinstance(result, Unavailable):
                self._unavailable("search", result)
                return
            self._model_worked()
            self.index = result["index"]
            where = {"shapes": f"{SEARCH_SHAPES} generated shapes", "photos": "the sample photos"}.get(
                key, folder or "the folder")
            fresh = self.index.computed
            how = ("all from the cache" if fresh == 0 else "all newly embedded" if fresh == len(self.index)
                   else f"{fresh:,} newly embedded, the rest from the cache")
            self.search.index_status.setText(f"{len(self.index):,} images from {where} ({how})")
            problems = self.index.messages
            self.search.message.setText(
                "<br>".join(f"{n}: {w}" if n else w for n, w in problems[:6])
                + (f"<br>… and {len(problems) - 6} more" if len(problems) > 6 else ""))
            self._run_search()

        self.engine.submit(job, owner=f"{self.pane_id}.search-index", title="Embedding images for search",
                           on_result=done, on_error=self._job_error("search"))

    def _run_search(self) -> None:
        if self.index is None:
            return
        query = self.search.query.text().strip()
        if not query:
            self.search.caption.setText("Type what you look for, or click an image to find similar ones.")
            return
        index = self.index

        def rank(encoder):
            return index.search_text(encoder, query, TOP_K), _unknown_words_note(encoder, [query])

        self._submit_search("Searching", f"Images closest to “{query}”", rank)

    def _submit_search(self, title: str, caption: str, rank) -> None:
        """Search the current index on the worker with the chosen model and show the hits under caption.

        rank(encoder) -> (ranking, note) runs on the worker once the model is loaded."""
        index, model_id = self.index, self.model_id
        allow = model_id in self._download_ok

        def job(ctx):
            encoder = _encoder(ctx, model_id, allow)
            if isinstance(encoder, Unavailable):
                return encoder
            ranking, note = rank(encoder)
            return {"rows": _result_thumbnails(index, ranking), "note": note}

        self.engine.submit(job, owner=f"{self.pane_id}.search", title=title,
                           on_result=lambda r: self._show_search(r, caption), on_error=self._job_error("search"))

    def _search_similar(self, position: int) -> None:
        if self.index is None or not 0 <= position < len(self.index):
            return
        index = self.index
        name = index.paths[position].name

        def job(ctx):
            return {"rows": _result_thumbnails(index, index.search_image(position, TOP_K)), "note": ""}

        self.engine.submit(job, owner=f"{self.pane_id}.search", title="Finding similar images",
                           on_result=lambda r: self._show_search(r, f"Images most like {name}"))

    def _search_with_file(self) -> None:
        if self.index is None:
            self.search.caption.setText("Choose what to search in first.")
            return
        path, _ = QFileDialog.getOpenFileName(self, "Search with an image", "",
                                              "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp *.tif *.tiff)")
        if path:
            self.search_with_image(path)

    def search_with_image(self, path: str) -> None:
        index = self.index

        def rank(encoder):
            from explorer.core import image_io

            loaded = image_io.load_image(path)
            vector = encoder.embed_images([loaded.image])[0]
            return index.search_vector(vector, TOP_K), loaded.note

        self._submit_search("Searching with an image", f"Images most like {Path(path).name}", rank)

    def _show_search(self, result, caption: str) -> None:
        if isinstance(result, Unavailable):
            self._unavailable("search", result)
            return
        rows = result["rows"]
        self._search_rows = [(name, score) for _, name, score, _ in rows]
        self.search.show_results([(pos, thumbnail_pixmap(qimage, 256), grid_text(rank + 1, name, score))
                                  for rank, (pos, name, score, qimage) in enumerate(rows)])
        extra = (" The model sees only the pixels; the file names are there for you to check it."
                 if self.search_source == "shapes" else "")
        self.search.caption.setText(f"<b>{html.escape(caption)}</b> — best first; click one to find images like it."
                                    + extra)
        notes = [n for n in (result.get("note"),) if n]
        if notes:
            self.search.message.setText("<br>".join(notes))

    # --- joint map ---
    def _run_joint_map(self) -> None:
        keywords = self.joint_map.keyword_lines()
        if not self.images or not keywords:
            self.engine.cancel(f"{self.pane_id}.joint-map")
            self.joint_map.scatter.clear("Add images and keywords.")
            return
        if len(self.images) + len(keywords) < 4:
            self.joint_map.scatter.clear("Add a few more images or keywords: a map needs at least 4 points.")
            return
        from explorer.core.multimodal import clean_lines

        keywords, notes = clean_lines("\n".join(keywords), limit=200, max_chars=80)
        method = self.joint_map.method.currentData()
        centre = self.joint_map.centre.isChecked()

        def compute(ctx, encoder, image_vectors):
            from explorer.core import projection
            from explorer.core.multimodal import normalise

            text_vectors = encoder.embed_texts(keywords)
            if centre:
                # the modality gap: each cloud has its own mean direction; remove it so pairs line up
                image_vectors = normalise(image_vectors - image_vectors.mean(axis=0))
                text_vectors = normalise(text_vectors - text_vectors.mean(axis=0))
            points = np.concatenate([image_vectors, text_vectors]).astype(np.float32)
            params = {"perplexity": max(2.0, min(30.0, (len(points) - 1) / 3))} if method == "tsne" else {}
            proj = projection.project(points, method, 2, progress=ctx, **params)
            cos = image_vectors @ text_vectors.T
            return {"coords": proj.coords, "titles": proj.axis_titles(), "keywords": keywords,
                    "nearest": cos.argmax(axis=1), "note": _unknown_words_note(encoder, keywords)}

        self._submit_image_job("joint-map", "Projecting images and keywords", compute,
                               lambda result, rows: self._show_joint_map(result, rows, notes))

    def _show_joint_map(self, result: dict, rows: list[ImageEntry], notes: list[str]) -> None:
        keywords = result["keywords"]
        labels = [e.name for e in rows] + keywords
        groups = ["images"] * len(rows) + ["keywords"] * len(keywords)
        images = [e.pixmap for e in rows] + [None] * len(keywords)
        self.joint_map.scatter.set_points(result["coords"], labels, groups, images=images,
                                          axis_titles=result["titles"])
        self.joint_map.scatter.set_highlight(list(range(len(rows), len(rows) + len(keywords))))
        pairs = ", ".join(f"{e.name} → {keywords[j]}" for e, j in zip(rows[:6], result["nearest"][:6]))
        lines = [f"Nearest keyword (cosine in the full space): {pairs}" + (" …" if len(rows) > 6 else "")]
        lines += self._notes(result, notes)
        self.joint_map.message.setText("<br>".join(lines))

    # --- captions and the Q-Former ---
    def _captioner_id(self) -> str:
        return self.captions.captioner.currentData()

    def _show_captioner_status(self) -> None:
        cid = self._captioner_id()
        from explorer.models.catalogue import find

        entry = find(cid, "captioner")
        if self.available.get(cid):
            text = f"{entry.title} is on this computer."
        elif self.online:
            text = f"<b>{entry.title}: needs a download</b> ({entry.size_mb:,.0f} MB), fetched when you click Caption."
        else:
            text = (f"<b>{entry.title}: needs a download</b> ({entry.size_mb:,.0f} MB) and there is no network here; "
                    "the diagram still explains BLIP-2.")
        if cid == "blip2":
            text += " Runs only on a GPU with at least 10 GB of memory."
        self.captions.status.setText(text)
        usable = bool(self.available.get(cid) or self.online)
        self.captions.run_button.setEnabled(usable)
        # with no captioner to be had the strip would only repeat the images: give the diagram the room
        self.captions.captions.setVisible(usable or bool(self.captions_by_uid))

    def _run_captions(self) -> None:
        if not self.images:
            self.captions.status.setText("Add images first.")
            return
        cid = self._captioner_id()
        prompt = self.captions.prompt.text()
        items = self._image_items()

        def job(ctx):
            captioner = ctx.models.get(cid, "captioner", ctx).model
            texts = captioner.caption([image for _, image in items], prompt=prompt, progress=ctx)
            query = captioner.qformer_outputs(items[0][1]) if captioner.is_blip2 else None
            return {"uids": [u for u, _ in items], "captions": texts, "name": captioner.name, "qformer": query}

        def done(result) -> None:
            self.captions_by_uid.update(dict(zip(result["uids"], result["captions"])))
            self.available[cid] = True
            self.captions.show_images([(e.pixmap, self._caption_text(e)) for e in self.images])
            self.captions.status.setText(f"Captions by {result['name']}.")
            if result["qformer"] is not None:
                self._show_qformer(result["qformer"], 0)

        self.captions.status.setText("Captioning…")
        self.engine.submit(job, owner=f"{self.pane_id}.caption", title="Captioning images", on_result=done,
                           on_error=lambda m: self.captions.status.setText(f"<b>No captions:</b> {m}"))

    def _run_qformer(self, row: int) -> None:
        if self._captioner_id() != "blip2" or not self.available.get("blip2") or not 0 <= row < len(self.images):
            if 0 <= row < len(self.images):
                self.captions.diagram.set_image(self.images[row].pixmap)
            return
        image = self.images[row].image

        def job(ctx):
            return ctx.models.get("blip2", "captioner", ctx).model.qformer_outputs(image)

        self.engine.submit(job, owner=f"{self.pane_id}.qformer", title="Running the Q-Former",
                           on_result=lambda out: self._show_qformer(out, row),
                           on_error=lambda m: self.captions.status.setText(f"<b>Q-Former:</b> {m}"))

    def _show_qformer(self, outputs, row: int) -> None:
        self.qformer = (outputs, row)
        n = outputs.query_outputs.shape[0]
        self.captions.diagram.set_live(True, n)
        if 0 <= row < len(self.images):
            self.captions.diagram.set_image(self.images[row].pixmap)
        labels = [f"q{i + 1}" for i in range(n)]
        self.captions.query_heatmap.set_matrix(outputs.query_similarity, labels, labels, levels=(-1, 1))
        self.captions.query_pick.setRange(1, n)
        self.captions.query_panel.setVisible(True)
        self._show_query()

    def _show_query(self) -> None:
        if self.qformer is None:
            return
        outputs, row = self.qformer
        q = self.captions.query_pick.value() - 1
        pixmap = self.images[row].pixmap if 0 <= row < len(self.images) else None
        weights = outputs.cross_attention[q] if outputs.cross_attention is not None else None
        self.captions.cross.set_data(pixmap, weights, f"where query {q + 1} looks (last cross-attention layer)")
        words = outputs.nearest_words[q] if q < len(outputs.nearest_words) else []
        self.captions.query_words.setText(
            f"Query {q + 1} → {outputs.llm_dim}-d soft token for the LLM; nearest LLM words: "
            + (", ".join(f"“{w}”" for w in words) if words else "—"))

    # --- training ---
    def start_training(self, steps: int) -> None:
        if self._training:
            return
        self._training = True
        self.train.set_running(True)
        self.train.set_losses([])
        self.train.result.setText("")
        self.train.live.setText("")
        self._live_held_out = []
        self.train.status.setText("Starting…")
        self.tabs.setCurrentWidget(self.train)
        self._display = None

        def job(ctx):
            from explorer.core import mini_clip
            from explorer.models import catalogue
            from explorer.models.image_text import mini_clip_loaded, train_and_save_mini_clip

            result = train_and_save_mini_clip(mini_clip.TrainConfig.default(steps), ctx, device=ctx.device)
            if not result.cancelled:
                ctx.models.put(("model", "mini-clip"),
                               mini_clip_loaded(result.encoder, catalogue.find("mini-clip", "image-text")))
            return {"cancelled": result.cancelled, "steps": result.steps_done, "seconds": result.seconds,
                    "held_out": list(result.encoder.held_out_pairs), "info": dict(result.encoder.info)}

        self.engine.submit(job, owner=f"{self.pane_id}.train", title="Training mini-CLIP", on_result=self._trained,
                           on_error=self._training_failed, on_partial=self._training_partial,
                           on_progress=lambda f, m: self.train.status.setText(m))
        # Cancel in the status bar also stops it; make sure the buttons follow
        self.engine.job_finished.connect(self._maybe_training_ended)

    def _maybe_training_ended(self, _job_id: int, owner: str) -> None:
        if owner == f"{self.pane_id}.train":
            try:
                self.engine.job_finished.disconnect(self._maybe_training_ended)
            except (RuntimeError, TypeError):
                pass
            if self._training:  # finished without a result: cancelled before it could report
                self._training = False
                self.train.set_running(False)
                self.train.status.setText("Cancelled.")

    def _training_partial(self, value: dict) -> None:
        if "held_out" in value:
            self._live_held_out = list(value["held_out"])
        if "display_images" in value:
            self._display = ([thumbnail_pixmap(_array_qimage(im), 96) for im in value["display_images"]],
                             _mark_never_seen(value["display_captions"], self._live_held_out))
        self.train.set_losses(value["losses"])
        if getattr(self, "_display", None):
            pixmaps, captions = self._display
            self.train.matrix.set_data(value["matrix"], captions, captions, pixmaps, levels=(-1.0, 1.0),
                                       mark="diagonal")
        self.train.status.setText(f"Step {value['step']} of {value['steps']} · loss {value['loss']:.3f} · "
                                  f"temperature 1/{value['scale']:.1f} · {value['seconds']:.0f} s")
        from explorer.core.mini_clip import SEEN_LABEL, UNSEEN_LABEL

        live = f"{SEEN_LABEL}: <b>{value['seen_accuracy']:.0%}</b>"
        if value.get("never_seen_accuracy") is not None:
            pairs = html.escape(", ".join(self._live_held_out))
            live += f" · {UNSEEN_LABEL} ({pairs}): <b>{value['never_seen_accuracy']:.0%}</b>"
        self.train.live.setText(f"At step {value['step']}, on 80 fresh images each, classified among all 24 "
                                f"colour-shape prompts: {live}")

    def _trained(self, result: dict) -> None:
        self._training = False
        self.train.set_running(False)
        if result["cancelled"]:
            self.train.status.setText(f"Cancelled after {result['steps']} steps: nothing was saved.")
            return
        self.available["mini-clip"] = True
        self.mini_info = result["info"]
        self.mini_origin, self.mini_problems = "user", []
        self.mini_held_out = list(result["held_out"])
        self.index = None  # embedded with the old weights
        lines = self._accuracy_lines(result["info"], bold=True)
        self.train.result.setText(
            f"<b>Saved.</b> {result['steps']} steps in {result['seconds']:.0f} s. Accuracy on fresh images, each "
            f"classified among {self._label_set()}:<br>" + "<br>".join(lines)
            + "<br>mini-CLIP now works in every view.")
        self._show_models()
        self._dirty.update(key for key, _ in TABS if key != "train")

    def _training_failed(self, message: str) -> None:
        self._training = False
        self.train.set_running(False)
        self.train.status.setText(f"<b>Training stopped:</b> {message}")

    def _show_saved_training(self, info: dict) -> None:
        """After a restart: the last run's loss curve and final batch matrix, from its saved config."""
        losses = info.get("losses") or []
        matrix = info.get("display_matrix")
        if losses:
            self.train.set_losses([float(x) for x in losses])
        if matrix:
            from explorer.core.mini_clip import display_batch

            show = display_batch()
            pixmaps = [thumbnail_pixmap(_array_qimage(im), 96) for im in show.images]
            captions = _mark_never_seen(show.captions, self.mini_held_out)
            self.train.matrix.set_data(np.asarray(matrix, dtype=np.float32), captions, captions, pixmaps,
                                       levels=(-1.0, 1.0), mark="diagonal")
        lines = self._accuracy_lines(info)
        if lines:
            what = ("The mini-CLIP shipped with the app was trained with this recipe before release"
                    if self.mini_origin == "shipped" else "Last training on this computer")
            self.train.result.setText(
                f"{what}: {info.get('steps')} steps in {info.get('seconds')} s on {info.get('trained_at', '?')}. "
                f"Accuracy on fresh images, each classified among {self._label_set()}:<br>" + "<br>".join(lines)
                + "<br>Train again to watch it learn.")

    def _accuracy_lines(self, info: dict, digits: int = 1, bold: bool = False) -> list[str]:
        """Both figures, with their labels, from a training record; [] when it has none."""
        from explorer.core.mini_clip import accuracy_figures, describe_accuracy

        seen, never_seen = accuracy_figures(info)
        if seen is None:
            return []
        lines = [html.escape(line) for line in describe_accuracy(seen, never_seen, self.mini_held_out, digits)]
        if bold:
            lines = [f"{label}: <b>{value}</b>" for label, value in (line.rsplit(": ", 1) for line in lines)]
        return lines

    @staticmethod
    def _label_set() -> str:
        from explorer.core.mini_clip import LABEL_SET

        return html.escape(LABEL_SET)


# --- helpers that run on the worker ---------------------------------------------------------------
def _sample_shapes_folder(progress) -> Path:
    """240 generated shapes as PNG files in the user cache (written once): a collection to search."""
    from explorer.core import shapes_dataset as shapes
    from explorer.models.image_text import mini_clip_dir

    folder = mini_clip_dir().parent / "sample-shapes"
    if folder.is_dir() and len(list(folder.glob("*-[0-9][0-9][0-9].png"))) >= SEARCH_SHAPES:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    data = shapes.generate(SEARCH_SHAPES, seed=4242, size=96, plain_fraction=0.3)
    for i, (pixels, label) in enumerate(zip(data.images, data.labels)):
        progress.check()
        name = shapes.class_names()[label].replace(" ", "-")
        shapes.to_pil(pixels).save(folder / f"{name}-{i + 1:03d}.png")
    return folder


def _result_thumbnails(index, ranking) -> list[tuple[int, str, float, object]]:
    """(position, file name, cosine, QImage thumbnail) for each hit, best first."""
    from explorer.core import image_io
    from explorer.ui.image_text.common import pil_to_qimage

    rows = []
    for position, score in zip(ranking.indices, ranking.scores):
        path = index.paths[int(position)]
        try:
            image = image_io.load_image(path, max_side=256).image
        except image_io.ImageLoadError:
            continue
        rows.append((int(position), path.name, float(score), pil_to_qimage(image)))
    return rows


def _mark_never_seen(captions: list[str], held_out: list[str]) -> list[str]:
    """Captions of pairs that training never showed, marked as such (the fixed batch may hold one)."""
    from explorer.core.mini_clip import words

    pairs = {tuple(words(p)) for p in held_out}
    return [f"{c} (never seen)" if any(tuple(words(c))[-2:] == p for p in pairs) else c for c in captions]


def _array_qimage(pixels: np.ndarray):
    from explorer.ui.image_text.common import array_to_qimage

    return array_to_qimage(pixels)

