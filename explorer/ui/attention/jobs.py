"""The attention pane's jobs besides the main run: head entropy, one head's Q/K/V, the masked rerun,
encoder vs decoder, and generating (or undoing) one token. Each is one model-host operation.

`TabJobs` keeps what these jobs leave for the tabs (Q/K/V captures, the generated tokens) and asks
the pane to repaint when they come; the pane keeps the text, the analysis and the selection.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.ui.attention.pane import AttentionPane

MAX_CAPTURES = 4  # one head's Q/K/V for the latest selections (a 512-token capture is about 2 MB)


class TabJobs:
    def __init__(self, pane: "AttentionPane") -> None:
        self.pane = pane
        self.engine = pane.engine
        self.captures: dict[tuple, object] = {}  # (model, ids, layer, head, query) -> HeadCapture
        self.compare_key: tuple | None = None
        self._entropy_for = None  # the analysis whose head entropy is being computed
        # one entry per generated token: the text, ids and decoder state before it, and its piece
        self.history: list[dict] = []
        # the plain state (text, pending bytes, flag) of the generation.TextStream of the tokens generated
        # since the text was typed; the stream itself lives in the host with the tokenizer
        self.stream: tuple[str, bytes, int] | None = None

    def restart(self) -> None:
        """The text is tokenized afresh: a new start for generation (no character waiting for its bytes)."""
        self.stream = None
        self.history.clear()

    # ------------------------------------------------------------------ head entropy (on demand)
    def request_entropy(self) -> None:
        a = self.pane.analysis
        if a is None or (a.result.stats.entropy is not None and a.result.stats.entropy_rest is not None) \
                or self._entropy_for is a:
            return
        self._entropy_for = a
        result = a.result

        def done(values) -> None:
            self._entropy_for = None
            result.stats.entropy, result.stats.entropy_rest = values
            if self.pane.analysis is a:
                self.pane.heads_view.refresh_ranking()

        def failed(message: str) -> None:
            self._entropy_for = None
            self.pane.show_error(message)

        self.engine.run("attention.entropy", {"ids": list(result.token_ids)}, owner="attention.stats",
                        title="Head entropy", on_result=done, on_error=failed)

    # ------------------------------------------------------------------ one head's Q/K/V
    def capture_key(self) -> tuple | None:
        pane = self.pane
        if pane.analysis is None:
            return None
        r = pane.analysis.result
        return r.model_id, tuple(r.token_ids), pane.layer, pane.head, pane.query_index()

    def capture(self):
        """The HeadCapture of the current selection, if it is here."""
        return self.captures.get(self.capture_key())

    def request_capture(self) -> None:
        key = self.capture_key()
        if key is None or key in self.captures:
            return
        model_id, ids, layer, head, query = key

        def done(capture) -> None:
            self.captures[key] = capture
            while len(self.captures) > MAX_CAPTURES:
                self.captures.pop(next(iter(self.captures)))
            if key == self.capture_key():
                self.pane.refresh_current()

        self.engine.run("attention.head", {"model_id": model_id, "ids": list(ids), "layer": layer, "head": head,
                                           "query": query, "causal": self.pane.analysis.result.causal},
                        owner="attention.capture", title=f"Q/K/V of layer {layer}, head {head}", on_result=done,
                        on_error=lambda m: self.pane.qkv_view.set_message(f"Could not capture this layer: {m}"))

    # ------------------------------------------------------------------ local attention
    def rerun_local(self, settings) -> None:
        pane = self.pane
        if pane.analysis is None:
            pane.want_rerun()
            return
        r = pane.analysis.result
        view = pane.local_view
        view.masked_title.setText(f"<b>With the mask in every layer</b>: rerunning ({settings.describe()})…")

        def done(value) -> None:
            result, nxt, change = value
            view.set_masked(result, nxt, settings, change)

        self.engine.run("attention.local", {"model_id": r.model_id, "ids": list(r.token_ids), "causal": r.causal,
                                            "settings": settings}, owner="attention.local",
                        title="Attention with a local mask", on_result=done,
                        on_error=lambda m: view.masked_title.setText(f"Could not rerun: {m}"))

    # ------------------------------------------------------------------ encoder vs decoder
    def request_compare(self) -> None:
        text = self.pane.text()
        key = (text,)
        if key == self.compare_key or not text.strip():
            return
        self.compare_key = key

        def failed(message: str) -> None:
            self.compare_key = None
            self.pane.show_error(f"Could not compare: {message}")

        self.engine.run("attention.compare", {"text": text}, owner="attention.compare", title="Encoder vs decoder",
                        on_result=lambda v: self.pane.compare_view.set_results(*v), on_error=failed)

    # ------------------------------------------------------------------ generation
    def generate(self, settings) -> None:
        """One more token: its id is appended to the analysed ids (never re-tokenized) and the model reruns.

        The editor gets the characters the new token completes; a character split over tokens
        (an emoji in byte-level BPE) is shown as byte pieces under the plot until it is whole.
        """
        pane = self.pane
        a = pane.analysis
        if a is None or a.result.next_logits is None:
            pane.show_error("Generation needs a decoder (SmolLM2): choose it above.")
            return
        text = pane.text()
        ids = list(a.result.token_ids)
        stream = self.stream
        rng_seed = None if settings.greedy else (settings.seed or 0) + len(self.history)

        def done(value) -> None:
            step, completed, after, analysis = value
            self.history.append({"text": text, "ids": ids, "truncated_from": a.result.truncated_from,
                                 "stream": stream, "piece": step.piece})
            self.stream = after
            pane.set_text(text + completed)
            pane.on_analysis(analysis)

        pane.info.setText("Generating one token…")
        self.engine.run("attention.generate", {"model_id": a.result.model_id, "ids": ids,
                                               "total": a.result.truncated_from or len(ids),
                                               "logits": a.result.next_logits, "settings": settings,
                                               "seed": rng_seed, "stream": stream, "grid_pixels": pane.grid_pixels()},
                        owner="attention.main", title="Generating one token", on_result=done,
                        on_error=pane.show_error)

    def undo(self) -> None:
        """Back to the ids before the last generated token (rerun on those ids, not on re-tokenized text)."""
        if not self.history:
            return
        pane = self.pane
        entry = self.history.pop()
        self.stream = entry["stream"]
        pane.set_text(entry["text"])
        model_id = pane.analysis.result.model_id if pane.analysis is not None else pane.model_id()
        self.engine.run("attention.run", {"model_id": model_id, "ids": entry["ids"],
                                          "truncated_from": entry["truncated_from"],
                                          "grid_pixels": pane.grid_pixels()},
                        owner="attention.main", title="Undo the last token", on_result=pane.on_analysis,
                        on_error=pane.show_error)
