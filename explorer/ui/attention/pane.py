"""Attention and the forward pass, on real models.

One text, one model (MiniLM encoder, SmolLM2 decoder, or a Hub model), and
seven views of the same forward pass: every head, the Q/K/V arithmetic of one
head, local / sparse masks, grouped-query attention, RoPE, encoder vs decoder,
and the next token. Every model load and computation is an operation of the
model host (explorer/host/ops/attention.py), where the attention maps stay; the
views ask it for what they draw (explorer/ui/attention/maps.py).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout

from explorer.models.catalogue import picker_label, short_title_of
from explorer.ui.attention.jobs import TabJobs
from explorer.ui.attention.maps import HostRuns
from explorer.ui.attention.tabs import ViewTabs
from explorer.ui.pane import ExportTarget, Pane

SARAH = "Sarah fed the cat because it"
LONG_TEXT = ("Once upon a time, in a small village by the sea, there lived an old fisherman who went out "
             "every morning before sunrise. One day he caught a fish that could speak, and it said")
# the picker's models; their labels come from the catalogue (which says that the offline SmolLM2 is 4-bit)
MODELS = ("smollm2", "smollm2-hub", "minilm")
# lecture steps: pane "attention" with these presets (see also the report in the issue)
PRESETS = {
    "sarah": {"model": "smollm2", "text": SARAH, "tab": "heads", "query": "it", "key": "cat", "rank": "between",
              "best_head": True},
    "qkv": {"model": "smollm2", "text": SARAH, "tab": "qkv", "query": "it", "key": "cat", "rank": "between",
            "best_head": True},
    "next-token": {"model": "smollm2", "text": "The capital of France is", "tab": "forward"},
    "local": {"model": "smollm2", "text": LONG_TEXT, "tab": "local", "layer": 3, "head": 0,
              "mask": {"pattern": "sliding", "window": 8, "stride": 8}, "rerun": True},
    "gqa": {"model": "smollm2", "text": SARAH, "tab": "gqa", "layer": 12},
    "rope": {"model": "smollm2", "text": SARAH, "tab": "rope", "query": "it", "key": "cat", "layer": 5, "head": 3},
    "encoder-vs-decoder": {"model": "smollm2", "text": "Sarah fed the cat because it was hungry", "tab": "compare"},
}
def find_token(tokens: list[str], word: str) -> int:
    """Index of the last token that reads `word` (ignoring spaces and case), or -1."""
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i].strip().lower().lstrip("ġ▁") == word.lower():
            return i
    return -1


def describe_run(analysis) -> str:
    """The line above the tabs: the model, its shape, and which tokens the views use."""
    r = analysis.result
    n = r.num_tokens
    info = (f"<b>{analysis.title}</b>: {n} tokens, {r.num_layers} layers × {r.num_heads} heads"
            + (f" ({r.num_kv_heads} key/value heads)" if r.num_kv_heads != r.num_heads else "")
            + (", causal (decoder)" if r.causal else ", bidirectional (encoder)"))
    if r.truncated_from:
        info += (f". <b>The text has {r.truncated_from:,} tokens; every view uses its last {n:,}</b> "
                 f"(tokens {r.truncated_from - n + 1:,} to {r.truncated_from:,}: the model's context or the "
                 "memory for all attention maps), so the next token is the one after the end of the text")
    return info


class AttentionPane(Pane):
    pane_id = "attention"
    title = "Attention"

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self.analysis = None
        self.host = HostRuns(engine, self.show_error)  # the runs' maps, in the model host
        self.jobs = TabJobs(self)  # the tabs' own jobs (entropy, Q/K/V, masked rerun, comparison, generation)
        self.layer = self.head = 0
        self.query = -1  # -1: the last token
        self.key = 0
        self._pending: dict = {}
        self._started = False
        self._restored: dict[str, object] = {}  # restored settings of views not built yet, for state()
        self._painted: dict[str, object] = {}  # tab -> the analysis it shows (tabs repaint when shown)
        self._held = False  # a session named a Hub model: nothing runs (downloads) until the user presses Run

        # --- input row ---
        self.model_box = QComboBox()
        self.model_box.setEditable(True)
        self.model_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for model_id in MODELS:
            self.model_box.addItem(picker_label(model_id), model_id)
        self.model_box.setToolTip("Choose a model, or type a Hugging Face id (online) such as openai-community/gpt2")
        self.model_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        # wide enough for every catalogue label ("4-bit" must not be cut off)
        self.model_box.setMinimumContentsLength(max(len(self.model_box.itemText(i)) for i in range(len(MODELS))))
        self.model_box.activated.connect(lambda _i: self.recompute())
        self.model_box.lineEdit().returnPressed.connect(self.recompute)
        self.editor = QPlainTextEdit()
        self.editor.setPlainText(SARAH)
        self.editor.setPlaceholderText("Type a text: every view shows how the model reads it")
        self.editor.setMaximumHeight(int(self.fontMetrics().height() * 2.6))
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.recompute)
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b42318; font-weight: bold;")
        self.message.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model"))
        top.addWidget(self.model_box)
        top.addWidget(self.editor, 1)
        top.addWidget(self.run_button)

        # --- views: each built when its tab is first needed ---
        self.tabs = ViewTabs(self.host, self._connect_view)
        self.tabs.view("heads")  # the first tab
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        header = QLabel(f"<h2>{self.title}</h2>")
        layout.addWidget(header)
        layout.addLayout(top)
        layout.addWidget(self.info)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

        self._debounce = QTimer(self, singleShot=True, interval=450)
        self._debounce.timeout.connect(self.recompute)
        self.editor.textChanged.connect(self._debounce.start)

    # ------------------------------------------------------------------ views, built on first use
    def _connect_view(self, key: str, view) -> None:
        """A view was just built: its choices change the pane's selection or start its tab's jobs."""
        if key in ("heads", "qkv", "local", "gqa", "rope"):
            view.head_chosen.connect(self.select_head)
        if key == "heads":
            view.tokens_chosen.connect(self.select_tokens)
            view.entropy_needed.connect(self.jobs.request_entropy)
        elif key in ("qkv", "rope"):
            view.query_chosen.connect(lambda q: self.select_tokens(q, self.key))
            if key == "rope":
                view.key_chosen.connect(lambda k: self.select_tokens(self.query_index(), k))
        elif key == "local":
            view.rerun_requested.connect(self.jobs.rerun_local)
        elif key == "forward":
            view.generate_requested.connect(self.jobs.generate)
            view.undo_requested.connect(self.jobs.undo)

    def _view(self, key: str):
        return self.tabs.view(key)

    heads_view = property(lambda self: self._view("heads"))
    qkv_view = property(lambda self: self._view("qkv"))
    local_view = property(lambda self: self._view("local"))
    gqa_view = property(lambda self: self._view("gqa"))
    rope_view = property(lambda self: self._view("rope"))
    compare_view = property(lambda self: self._view("compare"))
    forward_view = property(lambda self: self._view("forward"))
    views = property(lambda self: self.tabs.views)  # the views built so far
    history = property(lambda self: self.jobs.history)  # the tokens generated since the text was typed

    # ------------------------------------------------------------------ basics
    def model_id(self) -> str:
        text = self.model_box.currentText().strip()
        index = self.model_box.findText(text)
        if index >= 0 and self.model_box.itemData(index):
            return self.model_box.itemData(index)
        return text

    def set_model_id(self, model_id: str) -> None:
        index = self.model_box.findData(model_id)
        if index >= 0:
            self.model_box.setCurrentIndex(index)
        else:
            self.model_box.setEditText(model_id)

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_text(self, text: str) -> None:
        self.editor.blockSignals(True)
        self.editor.setPlainText(text)
        self.editor.blockSignals(False)

    def current_tab(self) -> str:
        return self.tabs.current_key()

    def set_tab(self, key: str) -> None:
        self.tabs.show_key(key)

    def query_index(self) -> int:
        if self.analysis is None:
            return max(0, self.query)
        n = self.analysis.result.num_tokens
        return n - 1 if self.query < 0 or self.query >= n else self.query

    def key_index(self) -> int:
        if self.analysis is None:
            return max(0, self.key)
        return max(0, min(self.key, self.analysis.result.num_tokens - 1))

    def is_busy(self) -> bool:
        return super().is_busy() or self._debounce.isActive()

    def activated(self) -> None:
        if not self._started:
            self._started = True
            if self.analysis is None and not self._held:
                self.recompute()

    # ------------------------------------------------------------------ the main job
    def recompute(self) -> None:
        self._debounce.stop()
        self._started = True
        self.jobs.restart()
        self._held = False
        text = self.text()
        model_id = self.model_id()
        if not text.strip():
            self._clear_result("Type some text first.")
            return
        if not model_id:
            self._clear_result("Choose a model.")
            return
        self.info.setText(f"Running {short_title_of(model_id)} on the text…")

        self.engine.run("attention.run", {"model_id": model_id, "text": text, "grid_pixels": self.grid_pixels()},
                        owner="attention.main",
                        title=f"Attention: {model_id}", on_result=self.on_analysis, on_error=self.show_error)

    def grid_pixels(self) -> tuple[int, int]:
        """The device pixels of the head grid: the host pools the thumbnails to no more than that."""
        grid = self.heads_view.grid
        ratio = grid.devicePixelRatioF()
        return int(max(grid.width(), 400) * ratio), int(max(grid.height(), 300) * ratio)

    def show_error(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(True)
        self.info.setText("")

    def _clear_result(self, message: str) -> None:
        """Nothing to show (no model, no text): the previous model's maps go too, only the message stays."""
        self.engine.cancel("attention.main")
        self.analysis = None
        self._painted.clear()
        self.tabs.setVisible(False)
        self.show_error(message)

    def on_analysis(self, analysis) -> None:
        """A run's result (without its maps, which stay in the host): every tab is out of date."""
        previous = self.analysis
        self.analysis = analysis
        self.host["main"].bind(analysis.result)
        self.message.setVisible(False)
        self.tabs.setVisible(True)
        r = analysis.result
        n = r.num_tokens
        if previous is None or previous.result.model_id != r.model_id:
            self.jobs.captures.clear()
        self.layer = min(self.layer, r.num_layers - 1)
        self.head = min(self.head, r.num_heads - 1)
        pending, self._pending = self._pending, {}
        if "query" in pending:
            found = find_token(r.tokens, pending["query"])
            self.query = found if found >= 0 else -1
        if "key" in pending:
            found = find_token(r.tokens, pending["key"])
            self.key = found if found >= 0 else 0
        if self.query >= n:
            self.query = -1
        self.key = min(self.key, n - 1)
        if "layer" in pending:
            self.layer = min(int(pending["layer"]), r.num_layers - 1)
        if "head" in pending:
            self.head = min(int(pending["head"]), r.num_heads - 1)
        self.info.setText(describe_run(analysis))
        self._paint_all()
        if pending.get("best_head"):
            self._choose_best_head()
        if pending.get("rerun"):
            self.jobs.rerun_local(self.local_view.settings())
        self._ensure_tab_data()

    def want_rerun(self) -> None:
        """Rerun with the local mask as soon as the text's run is here."""
        self._pending["rerun"] = True

    def _choose_best_head(self) -> None:
        """The head where the query attends most to the key (the pair's weights come from the host)."""
        r = self.analysis.result
        q, k = self.query_index(), self.key_index()

        def choose() -> None:
            if self.analysis is not None and self.analysis.result is r:
                best = np.unravel_index(int(np.argmax(r.between(q, k))), (r.num_layers, r.num_heads))
                self.select_head(int(best[0]), int(best[1]))

        if self.host["main"].pair(q, k, choose):
            choose()

    def _paint_all(self) -> None:
        """New data: every tab is out of date; only the visible one is painted now (512 tokens stay fast)."""
        self._painted.clear()
        self.refresh_current()

    def refresh_current(self) -> None:
        """Paint the tab on screen with the current analysis and selection."""
        from explorer.core import model_anatomy
        from explorer.core.generation import Candidate, softmax

        a = self.analysis
        if a is None:
            return
        tab = self.current_tab()
        fresh = self._painted.get(tab) is not a
        self._painted[tab] = a
        r = a.result
        q, k = self.query_index(), self.key_index()
        capture = self.jobs.capture()
        if tab == "heads":
            if fresh:
                self.heads_view.set_analysis(a, self.layer, self.head, q, k)
            else:
                self.heads_view.set_selection(self.layer, self.head, q, k)
        elif tab == "qkv":
            if fresh:
                self.qkv_view.set_limits(r.tokens, r.num_layers, r.num_heads)
            self.qkv_view.show_step(self.layer, self.head, q, capture)
        elif tab == "local":
            if fresh:
                next_tokens = None
                if r.next_logits is not None:
                    p = softmax(r.next_logits)
                    top = np.argsort(-p)[:5]
                    next_tokens = [Candidate(a.pieces.get(int(i), f"#{int(i)}"), int(i), float(p[i]), float(p[i]),
                                             True) for i in top]
                self.local_view.set_full(r, next_tokens)
            self.local_view.set_selection(self.layer, self.head)
        elif tab == "gqa":
            if fresh:
                dims = model_anatomy.dimensions(a.config, r.causal)
                self.gqa_view.set_model(dims, a.title, r.num_tokens, a.thumbs, self.layer)
            else:
                self.gqa_view.set_layer(self.layer)
        elif tab == "rope":
            if fresh:
                # the frequencies and scale come from the model's own modules, with the layer's capture
                self.rope_view.set_model(a.config, r.tokens, r.num_layers, r.num_heads, a.title)
            self.rope_view.show_rope(self.layer, self.head, q, k, capture)
        elif tab == "forward" and fresh:
            stages = model_anatomy.forward_stages(a.config, r.causal, r.num_tokens)
            stream = self.jobs.stream
            self.forward_view.set_analysis(a, stages, [h["piece"] for h in self.history],
                                           stream[1] if stream is not None else b"")

    # ------------------------------------------------------------------ selection
    def select_head(self, layer: int, head: int) -> None:
        if self.analysis is None:
            self.layer, self.head = layer, head
            return
        r = self.analysis.result
        self.layer = max(0, min(layer, r.num_layers - 1))
        self.head = max(0, min(head, r.num_heads - 1))
        self._sync_selection()

    def select_tokens(self, query: int, key: int) -> None:
        self.query, self.key = query, key
        if self.analysis is not None:
            n = self.analysis.result.num_tokens
            self.query = max(0, min(query, n - 1))
            self.key = max(0, min(key, n - 1))
            self._sync_selection()

    def _sync_selection(self) -> None:
        self.refresh_current()
        self._ensure_tab_data()

    def _tab_changed(self, _index: int) -> None:
        self._view(self.current_tab())
        self.refresh_current()
        self._ensure_tab_data()

    def _ensure_tab_data(self) -> None:
        tab = self.current_tab()
        if self.analysis is None:
            return
        if tab in ("qkv", "rope"):
            self.jobs.request_capture()
        elif tab == "compare":
            self.jobs.request_compare()

    # ------------------------------------------------------------------ presets and state
    def presets(self) -> list[str]:
        return list(PRESETS)

    def apply_preset(self, name: str) -> None:
        if name not in PRESETS:
            super().apply_preset(name)
        preset = PRESETS[name]
        self._started = True
        self.history.clear()
        self.set_model_id(preset["model"])
        self.set_text(preset["text"])
        if "mask" in preset:
            from explorer.core.local_attention import MaskSettings

            self.local_view.set_settings(MaskSettings.from_json(preset["mask"]))
        if "rank" in preset:
            self.heads_view.set_ranking_key(preset["rank"])
        self._pending = {k: preset[k] for k in ("query", "key", "best_head", "layer", "head", "rerun") if k in preset}
        self.tabs.blockSignals(True)
        self.set_tab(preset["tab"])
        self.tabs.blockSignals(False)
        self.recompute()

    def state(self) -> dict:
        state = {"model": self.model_id(), "text": self.text(), "tab": self.current_tab(), "layer": self.layer,
                 "head": self.head, "query": self.query, "key": self.key, "rank": self.heads_view.ranking_key(),
                 "show": self.heads_view.mode(), "skip_first": self.heads_view.skip_first.isChecked()}
        # views not built yet keep what was restored into them (building them here would cost seconds)
        for name, key, read in (("mask", "local", lambda v: v.settings().to_json()),
                                ("sampling", "forward", lambda v: v.settings().to_json()),
                                ("compare", "compare", lambda v: v.settings())):
            if key in self.tabs.views:
                state[name] = read(self.tabs.views[key])
            elif name in self._restored:
                state[name] = self._restored[name]
        return state

    def restore_state(self, state: dict) -> None:
        from explorer.core.generation import SamplingSettings
        from explorer.core.local_attention import MaskSettings

        if isinstance(state.get("model"), str) and state["model"]:
            self.set_model_id(state["model"])
        if isinstance(state.get("text"), str):
            self.set_text(state["text"])
        for name in ("layer", "head", "query", "key"):
            if isinstance(state.get(name), int):
                setattr(self, name, state[name])
        if isinstance(state.get("rank"), str):
            self.heads_view.set_ranking_key(state["rank"])
        if isinstance(state.get("skip_first"), bool):
            self.heads_view.skip_first.setChecked(state["skip_first"])
        if isinstance(state.get("show"), str):
            self.heads_view.set_mode(state["show"])
        if isinstance(state.get("mask"), dict):
            mask = MaskSettings.from_json(state["mask"])
            self._restored["mask"] = state["mask"]
            self.tabs.when_built("local", lambda v: v.set_settings(mask))
        if isinstance(state.get("sampling"), dict):
            sampling = SamplingSettings.from_json(state["sampling"])
            self._restored["sampling"] = state["sampling"]
            self.tabs.when_built("forward", lambda v: v.set_settings(sampling))
        if isinstance(state.get("compare"), dict):
            compare = state["compare"]
            self._restored["compare"] = compare
            self.tabs.when_built("compare", lambda v: v.set_settings(compare))
        if isinstance(state.get("tab"), str):
            self.tabs.blockSignals(True)
            self.set_tab(state["tab"])
            self.tabs.blockSignals(False)
        self._pending = {k: state[k] for k in ("layer", "head") if isinstance(state.get(k), int)}
        self._held = self.model_box.findData(self.model_id()) < 0 and bool(self.model_id())
        if self._held:
            # a Hub model named by the session: opening a session never downloads, the user presses Run
            self.show_error(f"This session used {self.model_id()[:80]}, which comes from the Hugging Face Hub: "
                            "press Run to download it and show its attention.")
        elif self._started:
            self.recompute()

    # ------------------------------------------------------------------ export and presentation
    def export_targets(self) -> list[ExportTarget]:
        return self.tabs.export_targets()

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.tabs.apply_view_settings(font_scale, dark)
        self.editor.setMaximumHeight(int(self.fontMetrics().height() * 2.6))
