"""The Joint map tab: images and typed keywords in one 2-D projection of the shared space."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox

from explorer.ui.image_text.views import LinesView, TabContext, lines_editor, lines_of, note_label, set_lines
from explorer.ui.widgets.boxes import column_of


class JointMapTab(LinesView):
    key = "joint-map"
    DEFAULTS_KEY = "keywords"

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        from explorer.ui.widgets.scatter import ScatterView

        self.keywords = lines_editor("Keywords, one per line")
        self.method = QComboBox()
        self.method.addItem("PCA", "pca")
        self.method.addItem("t-SNE", "tsne")
        self.centre = QCheckBox("Centre each modality")
        self.centre.setChecked(True)
        self.centre.setToolTip("Images and texts sit in two separate cones of the shared space (the 'modality gap'). "
                               "Subtracting each cloud's mean lines them up so matching pairs land near each other.")
        self.scatter = ScatterView(show_controls=False, empty_text="Add images and keywords")
        left = column_of(note_label("<b>Keywords</b> (one per line)"), (self.keywords, 1),
                         note_label("<b>Projection</b>"), self.method, self.centre)
        self._lay_out("Images and keywords in one 2-D map of the shared space: keywords land near the images they "
                      "describe (the lecture's “clustering”).", left, self.scatter, 280, (None, 4))
        self._debounce(self.keywords.textChanged, self.method.currentIndexChanged, self.centre.toggled)

    def keyword_lines(self) -> list[str]:
        return lines_of(self.keywords)

    lines = keyword_lines

    def set_keywords(self, lines: list[str]) -> None:
        set_lines(self.keywords, lines)

    set_default_lines = set_keywords

    def state(self) -> dict:
        return {"keywords": self.keywords.toPlainText(), "method": self.method.currentData(),
                "centre": self.centre.isChecked()}

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("keywords"), str):
            set_lines(self.keywords, [state["keywords"]])
        if isinstance(state.get("centre"), bool):
            self.centre.setChecked(state["centre"])
        index = self.method.findData(state.get("method"))
        if index >= 0:
            self.method.setCurrentIndex(index)

    def clear_result(self, text: str) -> None:
        self.scatter.clear(text)

    def show_failure(self, message: str) -> None:
        self.message.setText(f"Could not finish: {message}")  # the last map stays: it still shows those points
        self.dirty = True

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.scatter.apply_view_settings(font_scale, dark)

    def compute(self) -> None:
        keywords = self.keyword_lines()
        if not self.images.entries or not keywords:
            self.engine.cancel(self.owner)
            self.scatter.clear("Add images and keywords.")
            return
        if len(self.images.entries) + len(keywords) < 4:
            self.scatter.clear("Add a few more images or keywords: a map needs at least 4 points.")
            return
        from explorer.core.multimodal import clean_lines

        keywords, notes = clean_lines("\n".join(keywords), limit=200, max_chars=80)
        arguments = {"keywords": keywords, "method": self.method.currentData(), "centre": self.centre.isChecked()}
        self.run_on_images("image_text.joint_map", arguments, "Projecting images and keywords",
                           lambda result, rows: self._show(result, rows, keywords, notes))

    def _show(self, result: dict, rows: list, keywords: list[str], notes: list[str]) -> None:
        labels = [e.name for e in rows] + keywords
        groups = ["images"] * len(rows) + ["keywords"] * len(keywords)
        images = [e.pixmap for e in rows] + [None] * len(keywords)
        self.scatter.set_points(result["coords"], labels, groups, images=images, axis_titles=result["titles"])
        self.scatter.set_highlight(list(range(len(rows), len(rows) + len(keywords))))
        pairs = ", ".join(f"{e.name} → {keywords[j]}" for e, j in zip(rows[:6], result["nearest"][:6]))
        lines = [f"Nearest keyword (cosine in the full space): {pairs}" + (" …" if len(rows) > 6 else "")]
        self.message.setText("<br>".join(lines + self.notes(result, notes)))
