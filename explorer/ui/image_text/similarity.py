"""The Similarity tab: the image x caption cosine matrix, one row per image, for captions the user types."""
from __future__ import annotations

import numpy as np

from explorer.ui.image_text.matrix import ImageTextMatrix
from explorer.ui.image_text.views import LinesView, TabContext, lines_editor, lines_of, note_label, set_lines
from explorer.ui.widgets.boxes import column_of


class SimilarityTab(LinesView):
    key = "similarity"
    DEFAULTS_KEY = "captions"

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        self.captions = lines_editor("One caption per line")  # the texts compared with each image
        self.captions.setMinimumWidth(260)
        self.matrix = ImageTextMatrix(placeholder="Add images and captions to compare them.")
        left = column_of(note_label("<b>Captions</b> (one per line): edit them and the matrix updates."),
                         (self.captions, 1))
        self._lay_out("Each cell is the cosine similarity of an image's vector and a caption's vector in the model's "
                      "shared space: <b>one row per image</b>, the best caption for each image outlined.",
                      left, self.matrix, 300, (1, 4))
        self._debounce(self.captions.textChanged)

    def caption_lines(self) -> list[str]:
        return lines_of(self.captions)

    lines = caption_lines

    def set_captions(self, lines: list[str]) -> None:
        set_lines(self.captions, lines)

    set_default_lines = set_captions

    def state(self) -> dict:
        return {"captions": self.captions.toPlainText()}

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("captions"), str):
            set_lines(self.captions, [state["captions"]])

    def clear_result(self, text: str) -> None:
        self.matrix.clear(text)

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.matrix.apply_view_settings(font_scale, dark)

    def compute(self) -> None:
        captions = self.caption_lines()
        if not self.images.entries or not captions:
            self.engine.cancel(self.owner)
            self.matrix.clear(self.empty_hint("at least one caption"))
            return
        from explorer.core.multimodal import clean_lines

        captions, notes = clean_lines("\n".join(captions), limit=24)
        self.message.setText("Embedding…")
        self.run_on_images("image_text.similarity", {"captions": captions}, "Image-text similarity",
                           lambda result, rows: self._show(result, rows, captions, notes))

    def _show(self, result: dict, rows: list, captions: list[str], notes: list[str]) -> None:
        matrix = result["matrix"]
        self.matrix.set_data(matrix, [e.name for e in rows], captions, [e.pixmap for e in rows])
        best = matrix.argmax(axis=1)
        lines = [f"Model: {result['model']}. Highest cosine for each image is outlined."]
        if matrix.shape[0] == matrix.shape[1] and (best == np.arange(len(best))).all():
            lines[0] += " Every image picks its own caption: the diagonal lights up."
        lines += self.notes(result, notes)
        self.message.setText("<br>".join(lines))
