"""A model's token-embedding matrix as a cloud of points (read from its weights file in the model host)."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from explorer.models.catalogue import find
from explorer.ui.embeddings.common import EmbeddingTab, MessageLabel, heading, str_of
from explorer.ui.embeddings.projection_panel import ProjectionPanel
from explorer.ui.pane import ExportTarget


# model id -> the size of its token-embedding matrix (the picker's name comes from the catalogue)
TOKEN_CLOUD_MODELS = {"smollm2": "49,152 tokens × 576", "smollm2-hub": "49,152 tokens × 576",
                      "minilm": "30,522 word pieces × 384"}


class TokenCloudTab(EmbeddingTab):
    key = "tokens"
    title = "Token cloud"

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__(engine, pane_id)
        self.model = QComboBox()
        for model_id, rows in TOKEN_CLOUD_MODELS.items():
            self.model.addItem(f"{find(model_id, 'model').short_title}: {rows}", model_id)
        self.load_button = QPushButton("Load")
        self.message = MessageLabel()
        self.panel = ProjectionPanel(engine, self.owner)
        top = QHBoxLayout()
        top.addWidget(QLabel("<b>A model's input vocabulary as points</b>: one row of its token-embedding "
                             "matrix per token"), 1)
        top.addWidget(self.model)
        top.addWidget(self.load_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.panel, 1)
        layout.addWidget(heading("␣ marks a token that starts with a space; ## a word piece that continues a word. "
                                "Try searching ^[0-9]$ (SmolLM2 cuts numbers into digits) or ing$."))
        self.load_button.clicked.connect(self.load)
        self.model.currentIndexChanged.connect(self.load)

    def first_activation(self) -> None:
        self.load()

    def set_model(self, model_id: str) -> None:
        index = self.model.findData(model_id)
        if index >= 0 and index != self.model.currentIndex():
            self.model.blockSignals(True)
            self.model.setCurrentIndex(index)
            self.model.blockSignals(False)
        self.load()

    def load(self, *args) -> None:
        model_id = self.model.currentData()
        self.message.info("Reading the token-embedding matrix…")

        self.run_op("embeddings.token_cloud", {"model_id": model_id, "slot": self.panel.owner}, "load",
                    title="Loading token embeddings", on_result=self._loaded, on_error=self.message.error)

    def _loaded(self, points) -> None:
        self.message.info(f"{points.name}: {len(points):,} tokens, read straight from the weights file.")
        self.panel.set_data(points)

    def state(self) -> dict:
        return {"model": self.model.currentData(), "projection": self.panel.state()}

    def restore_state(self, state: dict) -> None:
        index = self.model.findData(str_of(state, "model", "smollm2"))
        if index >= 0:
            self.model.blockSignals(True)
            self.model.setCurrentIndex(index)
            self.model.blockSignals(False)
        if isinstance(state.get("projection"), dict):
            self.panel.restore_state(state["projection"])

    def export_targets(self) -> list[ExportTarget]:
        return self.panel.export_targets("Token cloud")

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.panel.apply_view_settings(font_scale, dark)
