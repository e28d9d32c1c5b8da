"""Embeddings: the lecture's path from bag-of-words to contextual vectors, and a projector for any vectors.

Tabs: bag-of-words counts; word2vec trained live; GloVe (or the trained) neighbours, analogies and word axes; the
contextual "bank" through MiniLM / SmolLM2 layers; MiniLM sentence maps; a
model's token-embedding cloud; and a projector for GloVe's 400k words or
your own files. Every model run, vector load, word2vec training, projection and
neighbour query is an operation of the model host (explorer/host/ops/embeddings.py,
word2vec.py); this module only arranges the tabs, each built when it is first shown.
"""
from __future__ import annotations

import importlib

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from explorer.ui.pane import ExportTarget, Pane

# key, tab title, module, class: a tab (and its module: pyqtgraph, numpy) is built when first shown or asked for,
# so that opening the pane stalls the window for one tab, not eight
TABS = (("bow", "Bag of words", "explorer.ui.embeddings.bow_tab", "BagOfWordsTab"),
        ("word2vec", "word2vec", "explorer.ui.embeddings.word2vec_tab", "Word2VecTab"),
        ("neighbours", "Neighbours", "explorer.ui.embeddings.neighbours_tab", "NeighboursTab"),
        ("analogy", "Analogy", "explorer.ui.embeddings.analogy_tab", "AnalogyTab"),
        ("axes", "Word axes", "explorer.ui.embeddings.axes_tab", "AxesTab"),
        ("bank", "Contextual “bank”", "explorer.ui.embeddings.contextual_tab", "ContextualTab"),
        ("sentences", "Sentences", "explorer.ui.embeddings.sentences_tab", "SentencesTab"),
        ("tokens", "Token cloud", "explorer.ui.embeddings.token_cloud_tab", "TokenCloudTab"),
        ("projector", "Projector", "explorer.ui.embeddings.projector_tab", "ProjectorTab"))
KEYS = tuple(key for key, *_ in TABS)
PRESETS = ("bag-of-words", "word2vec", "analogy", "neighbours", "bank", "sentences", "paraphrases", "token-cloud",
           "projector")
# capitals, weekdays and number words: three neighbourhoods far apart in the 400k-word cloud
PROJECTOR_SEARCH = "^(paris|rome|berlin|madrid|monday|tuesday|friday|sunday|two|three|seven)$"
# SmolLM2 splits numbers into single digits: its ten digit tokens sit together
TOKEN_SEARCH = r"^[0-9]$"


class EmbeddingsPane(Pane):
    pane_id = "embeddings"
    title = "Embeddings"

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self._built: dict[str, QWidget] = {}
        self._pending: dict[str, dict] = {}  # restored state of tabs not built yet
        self._view: tuple[float, bool] | None = None  # the last view settings, for tabs built later
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._pages: list[QWidget] = []
        for _key, title, _module, _cls in TABS:
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(0, 0, 0, 0)
            self._pages.append(page)
            self.tabs.addTab(page, title)
        header = QLabel(f"<h2>{self.title}</h2>")
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.tabs, 1)
        self._active = False
        self.tabs.currentChanged.connect(self._tab_changed)

    # --- tabs, built when first needed ---
    def tab(self, key: str):
        """The tab `key`, built (and given its restored state and view settings) on first use."""
        tab = self._built.get(key)
        if tab is None:
            index = KEYS.index(key)
            _key, _title, module, cls = TABS[index]
            tab = getattr(importlib.import_module(module), cls)(self.engine, self.pane_id)
            self._built[key] = tab
            if key == "word2vec":  # its note on "static" vectors links to the Contextual "bank" tab
                tab.link_to_bank.connect(lambda: self.apply_preset("bank"))
            if self._view is not None:
                tab.apply_view_settings(*self._view)
            if key in self._pending:
                tab.restore_state(self._pending.pop(key))
            self._pages[index].layout().addWidget(tab)
        return tab

    bow = property(lambda self: self.tab("bow"))
    word2vec = property(lambda self: self.tab("word2vec"))
    neighbours = property(lambda self: self.tab("neighbours"))
    analogy = property(lambda self: self.tab("analogy"))
    axes = property(lambda self: self.tab("axes"))
    contextual = property(lambda self: self.tab("bank"))
    sentences = property(lambda self: self.tab("sentences"))
    tokens = property(lambda self: self.tab("tokens"))
    projector = property(lambda self: self.tab("projector"))

    @property
    def tabs_list(self) -> list:
        """Every tab, in order (builds those not built yet)."""
        return [self.tab(key) for key in KEYS]

    # --- lifecycle ---
    def showEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.current_tab()  # the visible tab is built before it paints
        super().showEvent(event)

    def activated(self) -> None:
        self._active = True
        self.current_tab().activate()

    def _tab_changed(self, index: int) -> None:
        tab = self.tab(KEYS[index])
        if self._active:
            tab.activate()

    def current_tab(self):
        return self.tab(KEYS[self.tabs.currentIndex()])

    def show_tab(self, tab) -> None:
        # mark it activated first: the preset starts its own job, the first activation must not start another
        tab._activated = True
        self.tabs.setCurrentIndex(KEYS.index(tab.key))

    # --- presets ---
    def presets(self) -> list[str]:
        return list(PRESETS)

    def apply_preset(self, name: str) -> None:
        if name not in PRESETS:
            super().apply_preset(name)
        self._active = True
        from explorer.ui.embeddings.bow_tab import EXAMPLE as BOW_EXAMPLE
        from explorer.ui.embeddings.contextual_tab import BANK
        from explorer.ui.embeddings.sentences_tab import PARAPHRASES, SENTENCES

        if name == "bag-of-words":
            self.show_tab(self.bow)
            self.bow.set_sentences(BOW_EXAMPLE)
        elif name == "word2vec":
            self.show_tab(self.word2vec)
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
        tabs = {**self._pending, **{key: tab.state() for key, tab in self._built.items()}}
        return {"tab": KEYS[self.tabs.currentIndex()], **tabs}

    def restore_state(self, state: dict) -> None:
        for key in KEYS:
            if isinstance(state.get(key), dict):
                if key in self._built:
                    self._built[key].restore_state(state[key])
                else:
                    self._pending[key] = state[key]
        for tab in self._built.values():
            tab._activated = False  # restored inputs are computed when their tab is shown
        if state.get("tab") in KEYS:
            self.tabs.setCurrentIndex(KEYS.index(state["tab"]))
        if self._active:
            self.current_tab().activate()

    # --- export and presentation ---
    def export_targets(self) -> list[ExportTarget]:
        return self.current_tab().export_targets()

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._view = (font_scale, dark)
        for tab in self._built.values():
            tab.apply_view_settings(font_scale, dark)
