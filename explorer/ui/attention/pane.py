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
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QScrollArea,
                               QTabWidget, QVBoxLayout)

from explorer.models.catalogue import picker_label, short_title_of
from explorer.ui.attention.maps import HostRuns
from explorer.ui.pane import ExportTarget, Pane

SARAH = "Sarah fed the cat because it"
LONG_TEXT = ("Once upon a time, in a small village by the sea, there lived an old fisherman who went out "
             "every morning before sunrise. One day he caught a fish that could speak, and it said")
# the picker's models; their labels come from the catalogue (which says that the offline SmolLM2 is 4-bit)
MODELS = ("smollm2", "smollm2-hub", "minilm")
TABS = (("heads", "Heads"), ("qkv", "Q·K·V step-through"), ("local", "Local / sparse"),
        ("gqa", "Grouped-query"), ("rope", "RoPE"), ("compare", "Encoder vs decoder"),
        ("forward", "Forward pass && next token"))
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
MAX_CAPTURES = 4
# each view's module and class: a view is built when its tab is first shown (seven plot-heavy views
# built at once stalled the first opening of the pane for over a second)
VIEW_CLASSES = {"heads": ("heads", "HeadsView"), "qkv": ("qkv", "QKVView"),
                "local": ("local", "LocalView"), "gqa": ("gqa", "GQAView"),
                "rope": ("rope", "RopeView"), "compare": ("compare", "CompareView"),
                "forward": ("forward", "ForwardView")}


class FitScrollArea(QScrollArea):
    """Shows its widget at the viewport's size, never below the widget's minimum height (then it scrolls).

    QScrollArea's own resizing asks word-wrapped labels for their preferred height, which scrolls
    even when everything would fit.
    """

    def __init__(self, widget=None) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(False)
        if widget is not None:
            self.setWidget(widget)

    def fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        inner_w = self.width() - 2 * self.frameWidth()
        inner_h = self.height() - 2 * self.frameWidth()
        height = max(inner_h, widget.minimumHeight(), widget.minimumSizeHint().height())
        width = inner_w - (self.verticalScrollBar().sizeHint().width() if height > inner_h else 0)
        widget.resize(width, height)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.fit()


def find_token(tokens: list[str], word: str) -> int:
    """Index of the last token that reads `word` (ignoring spaces and case), or -1."""
    for i in range(len(tokens) - 1, -1, -1):
        if tokens[i].strip().lower().lstrip("ġ▁") == word.lower():
            return i
    return -1


class AttentionPane(Pane):
    pane_id = "attention"
    title = "Attention"
    order = 30
    summary = "Attention heads, Q/K/V arithmetic, local attention, GQA, RoPE and the next token, on real models"

    def __init__(self, engine, parent=None) -> None:
        super().__init__(engine, parent)
        self.analysis = None
        self.host = HostRuns(engine, self.show_error)  # the runs' maps, in the model host
        self.layer = self.head = 0
        self.query = -1  # -1: the last token
        self.key = 0
        # one entry per generated token: the text, ids and decoder state before it, and its piece
        self.history: list[dict] = []
        # the plain state (text, pending bytes, flag) of the generation.TextStream of the tokens generated
        # since the text was typed; the stream itself lives in the host with the tokenizer
        self._stream: tuple[str, bytes, int] | None = None
        self.captures: dict[tuple, object] = {}
        self.compare_key: tuple | None = None
        self._pending: dict = {}
        self._started = False
        self._entropy_for = None  # the analysis whose head entropy is being computed
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

        # --- views: built when first shown (see VIEW_CLASSES) ---
        self.views: dict[str, object] = {}
        self._scrollers: dict[str, FitScrollArea] = {}
        self._view_settings: tuple[float, bool] | None = None  # the presenter's font scale and theme
        self._unbuilt: dict[str, object] = {}  # restored settings of views not built yet
        self._restored: dict[str, object] = {}  # their JSON, for state() while they are not built
        self.tabs = QTabWidget()
        self.tabs.setUsesScrollButtons(True)
        for key, text in TABS:
            # large presenter fonts make a view taller than the window: it scrolls instead of squashing
            self._scrollers[key] = FitScrollArea()
            self.tabs.addTab(self._scrollers[key], text)
        self._view("heads")  # the first tab
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
    def _view(self, key: str):
        view = self.views.get(key)
        if view is not None:
            return view
        import importlib

        module, name = VIEW_CLASSES[key]
        cls = getattr(importlib.import_module(f"explorer.ui.attention.{module}"), name)
        # the views that draw maps ask the host for them
        view = cls(self.host["main"]) if key == "heads" else cls(self.host["main"], self.host["local"]) \
            if key == "local" else cls({side: self.host[f"compare.{side}"] for side in ("encoder", "decoder")}) \
            if key == "compare" else cls()
        self.views[key] = view
        if key in ("heads", "qkv", "local", "gqa", "rope"):
            view.head_chosen.connect(self.select_head)
        if key == "heads":
            view.tokens_chosen.connect(self.select_tokens)
            view.entropy_needed.connect(self.request_entropy)
        elif key in ("qkv", "rope"):
            view.query_chosen.connect(lambda q: self.select_tokens(q, self.key))
            if key == "rope":
                view.key_chosen.connect(lambda k: self.select_tokens(self.query_index(), k))
        elif key == "local":
            view.rerun_requested.connect(self.rerun_local)
        elif key == "forward":
            view.generate_requested.connect(self.generate)
            view.undo_requested.connect(self.undo)
        if self._view_settings is not None:
            view.apply_view_settings(*self._view_settings)
        restore = self._unbuilt.pop(key, None)
        if restore is not None:
            restore(view)
        self._scrollers[key].setWidget(view)
        self._set_view_heights()
        return view

    def _when_built(self, key: str, apply) -> None:
        """Apply a restored setting to a view now, or when it is built."""
        if key in self.views:
            apply(self.views[key])
        else:
            previous = self._unbuilt.get(key)
            self._unbuilt[key] = apply if previous is None else (lambda v, a=previous, b=apply: (a(v), b(v)))

    heads_view = property(lambda self: self._view("heads"))
    qkv_view = property(lambda self: self._view("qkv"))
    local_view = property(lambda self: self._view("local"))
    gqa_view = property(lambda self: self._view("gqa"))
    rope_view = property(lambda self: self._view("rope"))
    compare_view = property(lambda self: self._view("compare"))
    forward_view = property(lambda self: self._view("forward"))

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
        return TABS[self.tabs.currentIndex()][0]

    def set_tab(self, key: str) -> None:
        for i, (k, _) in enumerate(TABS):
            if k == key:
                self._view(k)
                self.tabs.setCurrentIndex(i)

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
        # the text is tokenized afresh: a new start for generation (no character waiting for its bytes)
        self._stream = None
        self.history.clear()
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
                        title=f"Attention: {model_id}", on_result=self._on_analysis, on_error=self.show_error)

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

    def _on_analysis(self, analysis) -> None:
        previous = self.analysis
        self.analysis = analysis
        self.host["main"].bind(analysis.result)
        self.message.setVisible(False)
        self.tabs.setVisible(True)
        r = analysis.result
        n = r.num_tokens
        if previous is None or previous.result.model_id != r.model_id:
            self.captures.clear()
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
        info = (f"<b>{analysis.title}</b>: {n} tokens, {r.num_layers} layers × {r.num_heads} heads"
                + (f" ({r.num_kv_heads} key/value heads)" if r.num_kv_heads != r.num_heads else "")
                + (", causal (decoder)" if r.causal else ", bidirectional (encoder)"))
        if r.truncated_from:
            info += (f". <b>The text has {r.truncated_from:,} tokens; every view uses its last {n:,}</b> "
                     f"(tokens {r.truncated_from - n + 1:,} to {r.truncated_from:,}: the model's context or the "
                     "memory for all attention maps), so the next token is the one after the end of the text")
        self.info.setText(info)
        self._paint_all()
        if pending.get("best_head"):
            self._choose_best_head()
        if pending.get("rerun"):
            self.rerun_local(self.local_view.settings())
        self._ensure_tab_data()

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
        self._refresh_current()

    def _refresh_current(self) -> None:
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
        capture = self.captures.get(self._capture_key())
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
            self.forward_view.set_analysis(a, stages, [h["piece"] for h in self.history],
                                           self._stream[1] if self._stream is not None else b"")

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
        self._refresh_current()
        self._ensure_tab_data()

    def _tab_changed(self, _index: int) -> None:
        self._view(self.current_tab())
        self._refresh_current()
        self._ensure_tab_data()

    def _ensure_tab_data(self) -> None:
        tab = self.current_tab()
        if self.analysis is None:
            return
        if tab in ("qkv", "rope"):
            self.request_capture()
        elif tab == "compare":
            self.request_compare()

    # ------------------------------------------------------------------ head entropy (on demand)
    def request_entropy(self) -> None:
        a = self.analysis
        if a is None or (a.result.stats.entropy is not None and a.result.stats.entropy_rest is not None) \
                or self._entropy_for is a:
            return
        self._entropy_for = a
        result = a.result

        def done(values) -> None:
            self._entropy_for = None
            result.stats.entropy, result.stats.entropy_rest = values
            if self.analysis is a:
                self.heads_view.refresh_ranking()

        def failed(message: str) -> None:
            self._entropy_for = None
            self.show_error(message)

        self.engine.run("attention.entropy", {"ids": list(result.token_ids)}, owner="attention.stats", title="Head entropy", on_result=done,
                        on_error=failed)

    # ------------------------------------------------------------------ Q/K/V capture
    def _capture_key(self) -> tuple | None:
        if self.analysis is None:
            return None
        r = self.analysis.result
        return r.model_id, tuple(r.token_ids), self.layer, self.head, self.query_index()

    def request_capture(self) -> None:
        key = self._capture_key()
        if key is None:
            return
        if key in self.captures:
            return
        model_id, ids, layer, head, query = key

        def done(capture) -> None:
            self.captures[key] = capture
            while len(self.captures) > MAX_CAPTURES:
                self.captures.pop(next(iter(self.captures)))
            if key == self._capture_key():
                self._refresh_current()

        self.engine.run("attention.head", {"model_id": model_id, "ids": list(ids), "layer": layer, "head": head,
                                           "query": query, "causal": self.analysis.result.causal},
                        owner="attention.capture", title=f"Q/K/V of layer {layer}, head {head}", on_result=done,
                        on_error=lambda m: self.qkv_view.set_message(f"Could not capture this layer: {m}"))

    # ------------------------------------------------------------------ local attention
    def rerun_local(self, settings) -> None:
        if self.analysis is None:
            self._pending["rerun"] = True
            return
        r = self.analysis.result
        self.local_view.masked_title.setText(f"<b>With the mask in every layer</b>: rerunning "
                                             f"({settings.describe()})…")

        def done(value) -> None:
            result, nxt, change = value
            self.local_view.set_masked(result, nxt, settings, change)

        self.engine.run("attention.local", {"model_id": r.model_id, "ids": list(r.token_ids), "causal": r.causal,
                                            "settings": settings}, owner="attention.local",
                        title="Attention with a local mask", on_result=done,
                        on_error=lambda m: self.local_view.masked_title.setText(f"Could not rerun: {m}"))

    # ------------------------------------------------------------------ encoder vs decoder
    def request_compare(self) -> None:
        text = self.text()
        key = (text,)
        if key == self.compare_key or not text.strip():
            return
        self.compare_key = key

        def failed(message: str) -> None:
            self.compare_key = None
            self.show_error(f"Could not compare: {message}")

        self.engine.run("attention.compare", {"text": text}, owner="attention.compare", title="Encoder vs decoder",
                        on_result=lambda v: self.compare_view.set_results(*v), on_error=failed)

    # ------------------------------------------------------------------ generation
    def generate(self, settings) -> None:
        """One more token: its id is appended to the analysed ids (never re-tokenized) and the model reruns.

        The editor gets the characters the new token completes; a character split over tokens
        (an emoji in byte-level BPE) is shown as byte pieces under the plot until it is whole.
        """
        a = self.analysis
        if a is None or a.result.next_logits is None:
            self.show_error("Generation needs a decoder (SmolLM2): choose it above.")
            return
        text = self.text()
        model_id = a.result.model_id
        ids = list(a.result.token_ids)
        total = a.result.truncated_from or len(ids)
        logits = a.result.next_logits
        stream = self._stream
        rng_seed = None if settings.greedy else (settings.seed or 0) + len(self.history)


        def done(value) -> None:
            step, completed, after, analysis = value
            self.history.append({"text": text, "ids": ids, "truncated_from": a.result.truncated_from,
                                 "stream": stream, "piece": step.piece})
            self._stream = after
            self.set_text(text + completed)
            self._on_analysis(analysis)

        self.info.setText("Generating one token…")
        self.engine.run("attention.generate", {"model_id": model_id, "ids": ids, "total": total, "logits": logits,
                                               "settings": settings, "seed": rng_seed, "stream": stream,
                                               "grid_pixels": self.grid_pixels()},
                        owner="attention.main", title="Generating one token", on_result=done, on_error=self.show_error)

    def undo(self) -> None:
        """Back to the ids before the last generated token (rerun on those ids, not on re-tokenized text)."""
        if not self.history:
            return
        entry = self.history.pop()
        self._stream = entry["stream"]
        self.set_text(entry["text"])
        model_id = self.analysis.result.model_id if self.analysis is not None else self.model_id()

        self.engine.run("attention.run", {"model_id": model_id, "ids": entry["ids"],
                                          "truncated_from": entry["truncated_from"],
                                          "grid_pixels": self.grid_pixels()},
                        owner="attention.main", title="Undo the last token", on_result=self._on_analysis,
                        on_error=self.show_error)

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
            if key in self.views:
                state[name] = read(self.views[key])
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
            self._when_built("local", lambda v: v.set_settings(mask))
        if isinstance(state.get("sampling"), dict):
            sampling = SamplingSettings.from_json(state["sampling"])
            self._restored["sampling"] = state["sampling"]
            self._when_built("forward", lambda v: v.set_settings(sampling))
        if isinstance(state.get("compare"), dict):
            compare = state["compare"]
            self._restored["compare"] = compare
            self._when_built("compare", lambda v: v.set_settings(compare))
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
        current = self.current_tab()
        self._view(current)
        makers = {
            "heads": lambda v: [ExportTarget("Attention map", v.heatmap, v.data),
                                ExportTarget("All heads (model view)", v.grid, v.grid.data)],
            "qkv": lambda v: [ExportTarget("Q/K/V step-through", v, v.data)],
            "local": lambda v: [ExportTarget("Local attention", v, v.data)],
            "gqa": lambda v: [ExportTarget("Grouped-query attention", v, v.data)],
            "rope": lambda v: [ExportTarget("RoPE", v, v.data)],
            "compare": lambda v: [ExportTarget("Encoder vs decoder", v, v.data)],
            "forward": lambda v: [ExportTarget("Next token", v, v.data)],
        }
        # views never shown have nothing to export (and are not built for it)
        targets = {key: makers[key](self.views[key]) for key, _ in TABS if key in self.views}
        ordered = targets.pop(current)
        for rest in targets.values():
            ordered += rest
        return ordered

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._view_settings = (font_scale, dark)
        for view in self.views.values():
            view.apply_view_settings(font_scale, dark)
        self.editor.setMaximumHeight(int(self.fontMetrics().height() * 2.6))
        self._set_view_heights()

    def _set_view_heights(self) -> None:
        """The height under which a view's plots get too flat to read.

        It does not grow with the presenter's font scale: on a 1920x1080 projector a scaled
        minimum (900-960 px) pushed the bottom of the heads, RoPE and next-token views out of
        sight, and nobody scrolls in front of a class. The plots get a little flatter instead;
        the layout's own minimum (every label at the scaled font) still applies in FitScrollArea.
        """
        for key, view in self.views.items():
            base = {"heads": 600, "qkv": 640, "forward": 620, "rope": 640}.get(key, 560)
            view.setMinimumHeight(base)
            scroller = view.parentWidget().parentWidget() if view.parentWidget() else None
            if isinstance(scroller, FitScrollArea):
                scroller.fit()
