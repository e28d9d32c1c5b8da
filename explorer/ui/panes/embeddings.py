"""Embeddings: the lecture's path from bag-of-words to contextual vectors, and a projector for any vectors.

Tabs: bag-of-words counts; GloVe neighbours, analogies and word axes; the
contextual "bank" through MiniLM / SmolLM2 layers; MiniLM sentence maps; a
model's token-embedding cloud; and a projector for GloVe's 400k words or
your own files. Every model run, projection and file load goes through the
engine; this module only arranges widgets.
"""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout

from explorer.ui.embeddings.bow_tab import EXAMPLE as BOW_EXAMPLE
from explorer.ui.embeddings.bow_tab import BagOfWordsTab
from explorer.ui.embeddings.contextual_tab import BANK, ContextualTab
from explorer.ui.embeddings.data_tabs import PARAPHRASES, SENTENCES, ProjectorTab, SentencesTab, TokenCloudTab
from explorer.ui.embeddings.word_tabs import AnalogyTab, AxesTab, NeighboursTab
from explorer.ui.pane import ExportTarget, Pane

PRESETS = ("bag-of-words", "analogy", "neighbours", "bank", "sentences", "paraphrases", "token-cloud",
           "projector")
# capitals, weekdays and number words: three neighbourhoods far apart in the 400k-word cloud
PROJECTOR_SEARCH = "^(paris|rome|berlin|madrid|monday|tuesday|friday|sunday|two|three|seven)$"
# SmolLM2 splits numbers into single digits: its ten digit tokens sit together
TOKEN_SEARCH = r"^[0-9]$"


class EmbeddingsPane(Pane):
    pane_id = "embeddings"
    title = "Embeddings"
    order = 10
    summary = "From bag-of-words to word vectors to contextual embeddings, and a projector for any vectors"

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self.bow = BagOfWordsTab(engine, self.pane_id)
        self.neighbours = NeighboursTab(engine, self.pane_id)
        self.analogy = AnalogyTab(engine, self.pane_id)
        self.axes = AxesTab(engine, self.pane_id)
        self.contextual = ContextualTab(engine, self.pane_id)
        self.sentences = SentencesTab(engine, self.pane_id)
        self.tokens = TokenCloudTab(engine, self.pane_id)
        self.projector = ProjectorTab(engine, self.pane_id)
        self.tabs_list = [self.bow, self.neighbours, self.analogy, self.axes, self.contextual, self.sentences,
                          self.tokens, self.projector]
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for tab in self.tabs_list:
            self.tabs.addTab(tab, tab.title)
        header = QLabel(f"<h2>{self.title}</h2>")
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.tabs, 1)
        self._active = False
        self.tabs.currentChanged.connect(self._tab_changed)

    # --- lifecycle ---
    def activated(self) -> None:
        self._active = True
        self.current_tab().activate()

    def _tab_changed(self, index: int) -> None:
        if self._active:
            self.tabs_list[index].activate()

    def current_tab(self):
        return self.tabs_list[self.tabs.currentIndex()]

    def show_tab(self, tab) -> None:
        # mark it activated first: the preset starts its own job, the first activation must not start another
        tab._activated = True
        self.tabs.setCurrentWidget(tab)

    # --- presets ---
    def presets(self) -> list[str]:
        return list(PRESETS)

    def apply_preset(self, name: str) -> None:
        if name not in PRESETS:
            super().apply_preset(name)
        self._active = True
        if name == "bag-of-words":
            self.show_tab(self.bow)
            self.bow.set_sentences(BOW_EXAMPLE)
        elif name == "analogy":
            self.show_tab(self.analogy)
            self.analogy.set_words("king", "man", "woman")
        elif name == "neighbours":
            self.show_tab(self.neighbours)
            self.neighbours.set_word("frog")
        elif name == "bank":
            self.show_tab(self.contextual)
            self.contextual.configure("bank", BANK, "minilm")
        elif name == "sentences":
            self.show_tab(self.sentences)
            self.sentences.panel.set_method("pca", 2)
            self.sentences.panel.set_colour_by("kmeans", clusters=3)
            self.sentences.set_sentences(SENTENCES)
        elif name == "paraphrases":
            # sentence-level meaning: paraphrases, related sentences and unrelated ones
            self.show_tab(self.sentences)
            self.sentences.panel.set_method("pca", 2)
            self.sentences.panel.set_colour_by("none")  # five points: the labels say it all, no legend
            self.sentences.set_sentences(PARAPHRASES)
        elif name == "token-cloud":
            self.show_tab(self.tokens)
            self.tokens.panel.set_method("pca", 2)
            self.tokens.panel.scatter.set_search(TOKEN_SEARCH)
            self.tokens.panel.select_after_projection("␣king")
            self.tokens.set_model("smollm2")
        elif name == "projector":
            self.show_tab(self.projector)
            self.projector.panel.set_method("pca", 2)
            self.projector.panel.scatter.set_search(PROJECTOR_SEARCH)
            self.projector.panel.select_after_projection("frog")
            self.projector.show_source("glove")

    # --- sessions ---
    def state(self) -> dict:
        return {"tab": self.current_tab().key, **{tab.key: tab.state() for tab in self.tabs_list}}

    def restore_state(self, state: dict) -> None:
        for tab in self.tabs_list:
            if isinstance(state.get(tab.key), dict):
                tab.restore_state(state[tab.key])
        for tab in self.tabs_list:
            tab._activated = False  # restored inputs are computed when their tab is shown
        wanted = state.get("tab")
        for tab in self.tabs_list:
            if tab.key == wanted:
                self.tabs.setCurrentWidget(tab)
        if self._active:
            self.current_tab().activate()

    # --- export and presentation ---
    def export_targets(self) -> list[ExportTarget]:
        return self.current_tab().export_targets()

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        for tab in self.tabs_list:
            tab.apply_view_settings(font_scale, dark)
