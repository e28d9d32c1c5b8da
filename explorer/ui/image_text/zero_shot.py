"""The Zero-shot tab: each image's probability for class names the user types, through a prompt template."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import QFrame, QLineEdit, QScrollArea

from explorer.ui.image_text.bars import ZeroShotBars
from explorer.ui.image_text.views import LinesView, TabContext, lines_editor, lines_of, note_label, set_lines
from explorer.ui.widgets.boxes import column_of


class ZeroShotTab(LinesView):
    key = "zero-shot"
    DEFAULTS_KEY = "classes"

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        self.classes = lines_editor("One class name per line")
        self.template = QLineEdit("a photo of a {}")
        self.template.setToolTip("{} is replaced by each class name")
        self.prompts = note_label()
        self.bars = ZeroShotBars()
        self.bars.clear("Add images and class names.")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.bars)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        left = column_of(note_label("<b>Classes</b> (one per line)"), (self.classes, 1),
                         note_label("<b>Prompt template</b>"), self.template, self.prompts)
        self._lay_out("Zero-shot classification: each class name goes into the template, the model embeds those "
                      "sentences, and the image's cosines to them (times the model's learned scale) go through a "
                      "softmax. No training on these classes.", left, scroll, 300, (None, 4))
        self._debounce(self.classes.textChanged, self.template.textChanged)

    def class_lines(self) -> list[str]:
        return lines_of(self.classes)

    lines = class_lines

    def set_classes(self, lines: list[str], template: str | None = None) -> None:
        set_lines(self.classes, lines)
        if template is not None:
            with QSignalBlocker(self.template):
                self.template.setText(template)

    set_default_lines = set_classes

    def state(self) -> dict:
        return {"classes": self.classes.toPlainText(), "template": self.template.text()}

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("classes"), str):
            set_lines(self.classes, [state["classes"]])
        if isinstance(state.get("template"), str):
            with QSignalBlocker(self.template):
                self.template.setText(state["template"])

    def clear_result(self, text: str) -> None:
        self.bars.clear(text)

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.bars.apply_view_settings(font_scale, dark)

    def compute(self) -> None:
        classes = self.class_lines()
        template = self.template.text()
        if not self.images.entries or not classes:
            self.engine.cancel(self.owner)
            self.bars.clear(self.empty_hint("at least one class name"))
            return
        from explorer.core.multimodal import clean_lines, prompts

        classes, notes = clean_lines("\n".join(classes), limit=100, max_chars=120)
        shown = prompts(classes[:3], template)
        self.prompts.setText("Prompts: " + ", ".join(f"“{p}”" for p in shown) + (" …" if len(classes) > 3 else ""))
        if "{}" not in template:
            notes.append("The template has no {}: each class name is added at its end.")
        self.run_on_images("image_text.zero_shot", {"classes": classes, "template": template},
                           "Zero-shot classification", lambda result, rows: self._show(result, rows, notes))

    def _show(self, result: dict, rows: list, notes: list[str]) -> None:
        zs = result["result"]
        self.bars.set_data([e.name for e in rows], [e.pixmap for e in rows], zs.class_names, zs.probabilities, zs.kind)
        how = (f"softmax over the {len(zs.class_names)} classes of {result['scale']:.1f} × cosine"
               if zs.kind == "softmax" else "a separate sigmoid per class (SigLIP): the bars need not add up to 100%")
        self.message.setText("<br>".join([f"Probabilities: {how}."] + self.notes(result, notes)))
