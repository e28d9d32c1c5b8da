"""The model row of the Images & text pane: which image-text model every tab uses, and what is known of it.

Offline, the default is the mini-CLIP: the copy shipped with the app, or the
user's own training once they retrain it (labelled as such); CLIP and SigLIP
come from the Hub and show "needs download" when they cannot be had, never an
error dialog. What is on this computer is asked of the model host.
"""
from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget


MODELS = (("mini-clip", "mini-CLIP — a small model trained on generated shapes (offline)"),
          ("clip", "CLIP ViT-B/32 (OpenAI, Hub)"),
          ("siglip", "SigLIP base (Google, Hub)"))
TRAIN_ACTION = "Train mini-CLIP (about 2-3 minutes)"


class ModelRow(QWidget):
    model_changed = Signal(str)  # the model id every tab now uses
    checked = Signal()  # what is on this computer is known (again)
    train_requested = Signal()  # the button offered for a missing mini-CLIP
    download_requested = Signal()  # the button offered for a Hub model: the user allows the download

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.owner = f"{pane_id}.models"
        self.model_id = "mini-clip"
        self.available: dict[str, bool] = {}
        self.online: bool | None = None
        self.mini_info: dict | None = None
        self.mini_origin: str | None = None  # "user" (trained here) or "shipped" (comes with the app)
        self.mini_problems: list[str] = []  # damaged copies that were skipped
        self.mini_held_out: list[str] = []  # the colour-shape pairs its training never showed
        self._download_ok: set[str] = set()
        self._user_chose = False

        self.box = QComboBox()
        self.box.setMinimumWidth(420)
        self.box.setToolTip("mini-CLIP works offline; CLIP and SigLIP come from the Hugging Face Hub")
        for model_id, text in MODELS:
            self.box.addItem(text, model_id)
        self.box.activated.connect(self._picked)
        self.hub_id = QLineEdit()
        self.hub_id.setPlaceholderText("or a Hub id + Enter")
        self.hub_id.setToolTip("Any CLIP-style model on the Hugging Face Hub, e.g. openai/clip-vit-large-patch14")
        self.hub_id.setMaximumWidth(260)
        self.hub_id.returnPressed.connect(self._typed)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.action = QPushButton()
        self.action.setStyleSheet("QPushButton { font-weight: bold; padding: 6px 14px; }")
        self.action.setVisible(False)
        self.action.clicked.connect(self._action_clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("<b>Model:</b>"))
        row.addWidget(self.box)
        row.addWidget(self.hub_id)
        row.addWidget(self.note, 1)
        row.addWidget(self.action)
        self.update_note()

    def sample_kind(self) -> str:
        """The sample images that suit the model: shapes for the mini-CLIP, photos for a real CLIP."""
        return "shapes" if self.model_id == "mini-clip" else "photos"

    def download_allowed(self) -> bool:
        return self.model_id in self._download_ok

    # --- what is on this computer ---
    def check(self) -> None:
        self.engine.run("image_text.models", owner=self.owner, title="Checking image-text models",
                        on_result=self._checked)

    def _checked(self, result: dict) -> None:
        self.available = result["available"]
        self.mini_info = result["mini_info"]
        self.mini_origin = result["mini_origin"]
        self.mini_problems = list(result["mini_problems"])
        self.mini_held_out = list(result["mini_held_out"])
        self.online = result["online"]
        self.show_models()

    def show_models(self) -> None:
        """Label the model choices and the note from what is known about the models."""
        for i in range(self.box.count()):
            model_id = self.box.itemData(i)
            base = dict(MODELS).get(model_id, model_id)
            if model_id == "mini-clip" and not self.available.get("mini-clip"):
                base += " — train it first"
            elif model_id != "mini-clip" and not self.available.get(model_id, False):
                base += " — needs download"
            self.box.setItemText(i, base)
        # a CLIP already on disk is the better default; never override the user's choice
        if not self._user_chose and self.available.get("clip") and self.model_id == "mini-clip":
            self.set_model("clip", user=False)
        self.update_note()
        self.checked.emit()

    def trained(self, result: dict) -> None:
        """A training finished and was saved: the mini-CLIP is the user's now."""
        self.available["mini-clip"] = True
        self.mini_info = result["info"]
        self.mini_origin, self.mini_problems = "user", []
        self.mini_held_out = list(result["held_out"])
        self.show_models()

    def worked(self) -> None:
        """A job ran with the chosen model: a Hub model that was downloaded now counts as available."""
        if self.available and not self.available.get(self.model_id):
            self.available[self.model_id] = True
            self.show_models()
        else:
            self.update_note()

    # --- choosing ---
    def _picked(self, index: int) -> None:
        model_id = self.box.itemData(index)
        if model_id:
            self.set_model(model_id, user=True)

    def _typed(self) -> None:
        from explorer.models.catalogue import looks_like_hub_id

        text = self.hub_id.text().strip()
        if text in dict(MODELS) or looks_like_hub_id(text):
            self.set_model(text, user=True)
            self.hub_id.clear()
        else:
            self.note.setText(f"“{text}” is not a Hub id: it looks like owner/name, for example "
                              "openai/clip-vit-large-patch14.")

    def set_model(self, model_id: str, user: bool, announce: bool = True) -> None:
        if user:
            self._user_chose = True
        if self.box.findData(model_id) < 0:
            self.box.addItem(f"{model_id} (Hub)", model_id)
        self.box.setCurrentIndex(self.box.findData(model_id))
        if model_id == self.model_id:
            return
        self.model_id = model_id
        self.update_note()
        if announce:
            self.model_changed.emit(model_id)

    def _action_clicked(self) -> None:
        if self.model_id == "mini-clip":
            self.train_requested.emit()
        else:
            self._download_ok.add(self.model_id)
            self.download_requested.emit()

    # --- the note ---
    def update_note(self, unavailable: dict | None = None) -> None:
        """Say what the chosen model is; with `unavailable` (a job's answer), why it cannot run and what to do."""
        action = ""
        if self.model_id == "mini-clip":
            note, action = self._mini_clip_note()
        else:
            from explorer.models.catalogue import find

            try:
                entry = find(self.model_id, "image-text")
                note = f"{entry.title}: {entry.description} ({entry.hub_id}, {entry.licence})."
            except Exception as exc:  # noqa: BLE001 - an odd id: say so
                note = str(exc)
            if unavailable is not None or (self.available and not self.available.get(self.model_id, False)):
                note = f"<b>Needs download.</b> {note}"
                action = "Download" if self.online is not False else ""
                if self.online is False:
                    note += " No network here: use mini-CLIP offline."
        if unavailable is not None and unavailable["reason"] == "train":
            action = TRAIN_ACTION
        self.note.setText(note)
        self.action.setText(action)
        self.action.setVisible(bool(action))

    def _mini_clip_note(self) -> tuple[str, str]:
        action = ""
        if self.available and not self.available.get("mini-clip"):
            note = "<b>No usable mini-CLIP.</b> A small CLIP trained from generated shapes: train it here."
            action = TRAIN_ACTION
        else:
            if self.mini_origin == "shipped":
                note = ("Shipped with the app, trained on generated shapes: knows 4 shapes × 6 colours, not "
                        "photos. Retrain it in the “Train mini-CLIP” tab to watch it learn.")
            else:
                note = "Trained on this computer from generated shapes: knows 4 shapes × 6 colours, not photos."
            info = self.mini_info or {}
            lines = accuracy_lines(info, self.mini_held_out, digits=0)
            if lines:
                note += " Accuracy, " + "; ".join(lines) + "."
                self.note.setToolTip(
                    f"Not a real CLIP: {info.get('steps', '?')} training steps in {info.get('seconds', '?')} s "
                    f"on {info.get('trained_at', '?')}. Each figure is on fresh images, each one classified "
                    f"among {label_set()}.")
        if self.mini_problems:
            note += "<br><b>Note:</b> " + html.escape(" ".join(self.mini_problems))
        return note, action


def accuracy_lines(info: dict, held_out: list[str], digits: int = 1, bold: bool = False) -> list[str]:
    """Both figures of a training record, with their labels; [] when it has none."""
    from explorer.core.mini_clip import accuracy_figures, describe_accuracy

    seen, never_seen = accuracy_figures(info)
    if seen is None:
        return []
    lines = [html.escape(line) for line in describe_accuracy(seen, never_seen, held_out, digits)]
    if bold:
        lines = [f"{label}: <b>{value}</b>" for label, value in (line.rsplit(": ", 1) for line in lines)]
    return lines


def label_set() -> str:
    """What each accuracy figure classifies among."""
    from explorer.core.mini_clip import LABEL_SET

    return html.escape(LABEL_SET)
