"""The Captions & Q-Former tab: BLIP / BLIP-2 write captions for the images, and BLIP-2's Q-Former explained.

Not the Similarity tab's captions (texts the user types to compare with the
images): here the captions are generated, one per image, by a captioner.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, QSize
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from explorer.ui.image_text.qformer import TASKS, CrossAttentionImage, QFormerDiagram
from explorer.ui.image_text.views import ImageSourceBar, ImageTextTab, TabContext, note_label
from explorer.ui.widgets.boxes import row_of, side_by_side


class CaptioningTab(ImageTextTab):
    key = "qformer"

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        self.generated: dict[int, str] = {}  # image uid -> the caption the captioner wrote for it
        self.shown_qformer = None  # (QFormerOutputs, image row) on display
        self.sources = ImageSourceBar()
        self.captioner = QComboBox()
        self.captioner.addItem("BLIP (base) — any computer", "blip")
        self.captioner.addItem("BLIP-2 (OPT-2.7B) — needs a large GPU", "blip2")
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("optional start, e.g. a picture of")
        self.run_button = QPushButton("Caption the images")
        self.run_button.clicked.connect(self.run_captioner)
        top = row_of("Captioner:", self.captioner, "Prompt:", (self.prompt, 1), self.run_button)
        # the images and the captions the captioner wrote for them: one horizontal strip under the diagram
        self.strip = QListWidget()
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setWrapping(False)
        self.strip.setMovement(QListWidget.Movement.Static)
        self.strip.setWordWrap(True)
        self.set_strip_size(1.0)
        self.diagram = QFormerDiagram()
        self.task_text = note_label()
        self.diagram.task_changed.connect(self._show_task)

        # the real query outputs (BLIP-2 only)
        self.query_panel = QWidget()
        q_layout = QHBoxLayout(self.query_panel)
        q_layout.setContentsMargins(0, 0, 0, 0)
        from explorer.ui.widgets.heatmap import HeatmapView

        self.query_heatmap = HeatmapView(value_label="cosine between query outputs")
        self.cross = CrossAttentionImage()
        side = QVBoxLayout()
        self.query_pick = QSpinBox()
        self.query_pick.setPrefix("query ")
        self.query_pick.setRange(1, 32)
        self.query_words = note_label()
        side.addWidget(self.query_pick)
        side.addWidget(self.cross, 1)
        side.addWidget(self.query_words)
        q_layout.addWidget(self.query_heatmap, 2)
        q_layout.addLayout(side, 1)
        self.query_panel.setVisible(False)

        bottom = side_by_side(self.strip, self.query_panel, stretch=(1, 1))
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.diagram, 1)
        layout.addWidget(bottom)
        self._show_task(self.diagram.task)
        self.strip.currentRowChanged.connect(self.run_qformer)
        self.query_pick.valueChanged.connect(lambda _v: self._show_query())
        self.captioner.currentIndexChanged.connect(lambda _i: self.show_status())

    def set_strip_size(self, font_scale: float) -> None:
        side = int(60 * font_scale)
        self.strip.setIconSize(QSize(side, side))
        self.strip.setGridSize(QSize(int(side * 3.6), side + int(48 * font_scale)))
        self.strip.setFixedHeight(side + int(70 * font_scale))

    def _show_task(self, task: str) -> None:
        info = TASKS[task]
        self.task_text.setText(f"<b>{info['title']}</b> — mask: {info['mask']}. In each mask a filled cell means "
                               "the row's token may attend to the column's token (Q = learned queries, T = text "
                               "tokens). Click a panel to select its task.")

    def show_images(self) -> None:
        """The current images in the strip, each with the caption written for it (if any)."""
        self.strip.clear()
        for entry in self.images.entries:
            caption = self.generated.get(entry.uid)
            self.strip.addItem(QListWidgetItem(QIcon(entry.pixmap), f"{entry.name}\n{caption}" if caption
                                               else entry.name))
        if self.images.entries:
            self.diagram.set_image(self.images.entries[0].pixmap)

    # --- what the pane asks ---
    def compute(self) -> None:
        self.show_status()

    def state(self) -> dict:
        return {"captioner": self.captioner.currentData(), "prompt": self.prompt.text(), "task": self.diagram.task}

    def restore_state(self, state: dict) -> None:
        index = self.captioner.findData(state.get("captioner"))
        if index >= 0:
            self.captioner.setCurrentIndex(index)
        if isinstance(state.get("prompt"), str):
            with QSignalBlocker(self.prompt):
                self.prompt.setText(state["prompt"])
        if state.get("task") in TASKS:
            self.diagram.set_task(state["task"])

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.diagram.apply_view_settings(font_scale, dark)
        self.cross.apply_view_settings(font_scale, dark)
        self.query_heatmap.apply_view_settings(font_scale, dark)
        self.set_strip_size(font_scale)

    # --- the captioner ---
    def captioner_id(self) -> str:
        return self.captioner.currentData()

    def show_status(self) -> None:
        """Whether the chosen captioner is here, can be downloaded, or neither (then the diagram gets the room)."""
        from explorer.models.catalogue import find

        cid = self.captioner_id()
        entry = find(cid, "captioner")
        available, online = self.models.available.get(cid), self.models.online
        if available:
            text = f"{entry.title} is on this computer."
        elif online:
            text = f"<b>{entry.title}: needs a download</b> ({entry.size_mb:,.0f} MB), fetched when you click Caption."
        else:
            text = (f"<b>{entry.title}: needs a download</b> ({entry.size_mb:,.0f} MB) and there is no network here; "
                    "the diagram still explains BLIP-2.")
        if cid == "blip2":
            text += " Runs only on a GPU with at least 10 GB of memory."
        self.message.setText(text)
        usable = bool(available or online)
        self.run_button.setEnabled(usable)
        # with no captioner to be had the strip would only repeat the images: give the diagram the room
        self.strip.setVisible(usable or bool(self.generated))

    def run_captioner(self) -> None:
        rows = list(self.images.entries)
        if not rows:
            self.message.setText("Add images first.")
            return
        cid = self.captioner_id()

        def done(result: dict) -> None:
            self.generated.update({e.uid: text for e, text in zip(rows, result["captions"])})
            self.models.available[cid] = True
            self.show_images()
            self.message.setText(f"Captions by {result['name']}.")
            if result["qformer"] is not None:
                self._show_qformer(result["qformer"], 0)

        self.message.setText("Captioning…")
        self.engine.run("image_text.caption", {"captioner": cid, "sources": [e.source for e in rows],
                                               "prompt": self.prompt.text()},
                        owner=f"{self.context.pane_id}.caption", title="Captioning images", on_result=done,
                        on_error=lambda m: self.message.setText(f"<b>No captions:</b> {m}"))

    # --- the Q-Former (BLIP-2) ---
    def run_qformer(self, row: int) -> None:
        entries = self.images.entries
        if not 0 <= row < len(entries):
            return
        if self.captioner_id() != "blip2" or not self.models.available.get("blip2"):
            self.diagram.set_image(entries[row].pixmap)
            return
        self.engine.run("image_text.qformer", {"source": entries[row].source}, owner=self.owner,
                        title="Running the Q-Former", on_result=lambda out: self._show_qformer(out, row),
                        on_error=lambda m: self.message.setText(f"<b>Q-Former:</b> {m}"))

    def _show_qformer(self, outputs, row: int) -> None:
        self.shown_qformer = (outputs, row)
        n = outputs.query_outputs.shape[0]
        self.diagram.set_live(True, n)
        if 0 <= row < len(self.images.entries):
            self.diagram.set_image(self.images.entries[row].pixmap)
        labels = [f"q{i + 1}" for i in range(n)]
        self.query_heatmap.set_matrix(outputs.query_similarity, labels, labels, levels=(-1, 1))
        self.query_pick.setRange(1, n)
        self.query_panel.setVisible(True)
        self._show_query()

    def _show_query(self) -> None:
        if self.shown_qformer is None:
            return
        outputs, row = self.shown_qformer
        q = self.query_pick.value() - 1
        entries = self.images.entries
        pixmap = entries[row].pixmap if 0 <= row < len(entries) else None
        weights = outputs.cross_attention[q] if outputs.cross_attention is not None else None
        self.cross.set_data(pixmap, weights, f"where query {q + 1} looks (last cross-attention layer)")
        words = outputs.nearest_words[q] if q < len(outputs.nearest_words) else []
        self.query_words.setText(f"Query {q + 1} → {outputs.llm_dim}-d soft token for the LLM; nearest LLM words: "
                                 + (", ".join(f"“{w}”" for w in words) if words else "—"))
