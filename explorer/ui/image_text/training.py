"""The Train mini-CLIP tab: CLIP's contrastive training from scratch, live (loss, batch matrix, accuracy), with Cancel.

Training runs in the model host; its partial results draw the loss curve, the
fixed batch's similarity matrix and the live "seen pairs / never-seen pairs"
accuracy here. The saved record of the last training is shown when nothing runs.
"""
from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QSpinBox, QVBoxLayout

from explorer.core.shapes_dataset import HELD_OUT_PAIRS
from explorer.ui.image_text.common import array_to_qimage, thumbnail_pixmap
from explorer.ui.image_text.matrix import ImageTextMatrix
from explorer.ui.image_text.model_row import accuracy_lines, label_set
from explorer.ui.image_text.views import ImageTextTab, TabContext, note_label
from explorer.ui.widgets.boxes import column_of, row_of, side_by_side
from explorer.ui.widgets.plot_axis import readable_axes


class TrainTab(ImageTextTab):
    key = "train"
    trained = Signal(dict)  # a training finished and was saved: {"steps", "seconds", "held_out", "info"}

    def __init__(self, context: TabContext) -> None:
        super().__init__(context)
        self.running = False
        self._live_held_out: list[str] = []  # the colour-shape pairs the running training never shows
        self._display = None  # (pixmaps, captions) of the fixed batch the live matrix shows
        self.steps = QSpinBox()
        self.steps.setRange(20, 5000)
        self.steps.setSingleStep(50)
        self.steps.setValue(300)
        self.steps.setSuffix(" steps")
        self.train_button = QPushButton("Train mini-CLIP (about 2-3 minutes)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.train_button.clicked.connect(lambda: self.start_training(self.steps.value()))
        self.cancel_button.clicked.connect(lambda: self.engine.cancel(self.owner))
        controls = row_of("Length:", self.steps, self.train_button, self.cancel_button, (self.message, 1))
        # live accuracy while it trains, on fresh images of seen pairs and of the never-seen pairs
        self.live = note_label()

        self.loss_plot = pg.PlotWidget(axisItems=readable_axes())
        self.loss_plot.setBackground("w")
        self.loss_plot.showGrid(x=True, y=True, alpha=0.25)
        self.loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#2171b5", width=2))
        self.loss_smooth = self.loss_plot.plot([], [], pen=pg.mkPen("#e8590c", width=3))
        self.loss_plot.getPlotItem().setMenuEnabled(False)
        self.loss_plot.setMinimumHeight(220)
        legend = self.loss_plot.getPlotItem().addLegend(offset=(-10, 10))
        legend.addItem(self.loss_curve, "loss per batch")
        legend.addItem(self.loss_smooth, "average of the last 20")
        self.legend = legend
        self.matrix = ImageTextMatrix(placeholder="The batch similarity matrix appears here while it trains: "
                                                  "it should turn diagonal.")
        self.matrix.pixelated = True
        self.matrix.show_row_names = False
        self.result = note_label()
        explain = note_label(
            "CLIP from scratch, on this computer: a small CNN reads 32×32 pictures, a bag of word vectors reads the "
            "captions, and both learn to put a picture and its caption in the same direction. Each step takes a "
            "batch of 128 pictures with their captions and applies the <b>symmetric contrastive (InfoNCE) loss</b>: "
            "in the batch's image×caption similarity matrix, each image should pick its own caption and each caption "
            "its own image (a cross-entropy over rows and over columns, with a learned temperature). The data are "
            "generated shapes (4 shapes × 6 colours on varied backgrounds), so this model knows shapes, not photos. "
            f"{len(HELD_OUT_PAIRS)} colour-shape pairs are <b>never shown</b> ({', '.join(HELD_OUT_PAIRS)}), only "
            "their colours and shapes in other pairs: naming them afterwards is true zero-shot. Shapes "
            "in unnamed colours, captioned by shape alone, teach it that a triangle is a triangle in any colour. "
            "The loss levels off above zero: a batch holds several pictures of the same kind (“a red circle”), so "
            "each picture has several right captions and the best it can do is share its bet among them.")
        split = side_by_side(column_of(note_label("<b>Loss</b> (lower is better)"), (self.loss_plot, 1)),
                             column_of(note_label("<b>Similarity in a fixed batch</b> (images × their captions)"),
                                       (self.matrix, 1)),
                             [620, 780])
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(controls)
        layout.addWidget(self.live)
        layout.addWidget(split, 1)
        layout.addWidget(self.result)
        self.losses: list[float] = []
        self.apply_view_settings(1.0, False)

    def set_running(self, running: bool) -> None:
        self.train_button.setEnabled(not running)
        self.steps.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def set_losses(self, losses: list[float]) -> None:
        self.losses = list(losses)
        x = np.arange(1, len(losses) + 1)
        self.loss_curve.setData(x, np.asarray(losses, dtype=float))
        if len(losses) >= 2:
            window = min(20, len(losses))
            kernel = np.ones(window) / window
            smooth = np.convolve(np.asarray(losses, dtype=float), kernel, mode="valid")
            self.loss_smooth.setData(np.arange(window, len(losses) + 1), smooth)
        else:
            self.loss_smooth.setData([], [])

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        fg = "#e8e8e8" if dark else "#202020"
        self.loss_plot.setBackground("#1e1e1e" if dark else "w")
        font = self.font()
        font.setPointSizeF(11 * font_scale)
        css = {"font-size": f"{int(round(12 * font_scale))}pt", "color": fg}
        item = self.loss_plot.getPlotItem()
        for name, title in (("bottom", "training step"), ("left", "contrastive loss")):
            axis = item.getAxis(name)
            axis.setTickFont(font)
            axis.setPen(pg.mkPen(fg))
            axis.setTextPen(pg.mkPen(fg))
            item.setLabel(name, title, **css)
        self.loss_curve.setPen(pg.mkPen("#4c9be8" if dark else "#2171b5", width=max(1.5, 1.5 * font_scale)))
        self.loss_smooth.setPen(pg.mkPen("#ff9f0a" if dark else "#e8590c", width=max(2.5, 3 * font_scale)))
        size = f"{int(round(12 * font_scale))}pt"
        self.legend.setLabelTextSize(size)
        self.legend.setLabelTextColor(fg)
        for _sample, label in self.legend.items:
            label.setText(label.text, size=size, color=fg)
        self.matrix.apply_view_settings(font_scale, dark)

    # --- what the pane asks ---
    def state(self) -> dict:
        return {"steps": self.steps.value()}

    def restore_state(self, state: dict) -> None:
        if isinstance(state.get("steps"), int):
            self.steps.setValue(state["steps"])

    def export_targets(self) -> list:
        from explorer.ui.pane import ExportTarget

        return [ExportTarget("Training loss", self.loss_plot,
                             lambda: {"loss": np.asarray(self.losses, dtype=np.float32)} if self.losses else {}),
                ExportTarget("Training batch matrix", self.matrix, self.matrix.data)]

    # --- training ---
    def start_training(self, steps: int) -> None:
        if self.running:
            return
        self.running = True
        self.set_running(True)
        self.set_losses([])
        self.result.setText("")
        self.live.setText("")
        self._live_held_out = []
        self._display = None
        self.message.setText("Starting…")
        self.engine.run("image_text.train", {"steps": steps}, owner=self.owner, title="Training mini-CLIP",
                        on_result=self._trained, on_error=self._failed, on_partial=self._partial,
                        on_progress=lambda f, m: self.message.setText(m))
        # Cancel in the status bar also stops it; make sure the buttons follow
        self.engine.job_finished.connect(self._maybe_ended)

    def _maybe_ended(self, _job_id: int, owner: str) -> None:
        if owner == self.owner:
            try:
                self.engine.job_finished.disconnect(self._maybe_ended)
            except (RuntimeError, TypeError):
                pass
            if self.running:  # finished without a result: cancelled before it could report
                self.running = False
                self.set_running(False)
                self.message.setText("Cancelled.")

    def _partial(self, value: dict) -> None:
        from explorer.core.mini_clip import SEEN_LABEL, UNSEEN_LABEL

        if "held_out" in value:
            self._live_held_out = list(value["held_out"])
        if "display_images" in value:
            self._display = ([thumbnail_pixmap(array_to_qimage(im), 96) for im in value["display_images"]],
                             mark_never_seen(value["display_captions"], self._live_held_out))
        self.set_losses(value["losses"])
        if self._display:
            pixmaps, captions = self._display
            self.matrix.set_data(value["matrix"], captions, captions, pixmaps, levels=(-1.0, 1.0), mark="diagonal")
        self.message.setText(f"Step {value['step']} of {value['steps']} · loss {value['loss']:.3f} · "
                             f"temperature 1/{value['scale']:.1f} · {value['seconds']:.0f} s")
        live = f"{SEEN_LABEL}: <b>{value['seen_accuracy']:.0%}</b>"
        if value.get("never_seen_accuracy") is not None:
            pairs = html.escape(", ".join(self._live_held_out))
            live += f" · {UNSEEN_LABEL} ({pairs}): <b>{value['never_seen_accuracy']:.0%}</b>"
        self.live.setText(f"At step {value['step']}, on 80 fresh images each, classified among all 24 "
                          f"colour-shape prompts: {live}")

    def _trained(self, result: dict) -> None:
        self.running = False
        self.set_running(False)
        if result["cancelled"]:
            self.message.setText(f"Cancelled after {result['steps']} steps: nothing was saved.")
            return
        self.message.setText("Finished and saved.")
        lines = accuracy_lines(result["info"], result["held_out"], bold=True)
        self.result.setText(
            f"<b>Saved.</b> {result['steps']} steps in {result['seconds']:.0f} s. Accuracy on fresh images, each "
            f"classified among {label_set()}:<br>" + "<br>".join(lines) + "<br>mini-CLIP now works in every view.")
        self.trained.emit(result)

    def _failed(self, message: str) -> None:
        self.running = False
        self.set_running(False)
        self.message.setText(f"<b>Training stopped:</b> {message}")

    def show_saved(self, info: dict, held_out: list[str], origin: str | None) -> None:
        """After a restart: the last run's loss curve and final batch matrix, from its saved record."""
        if self.running or self.losses:
            return
        losses = info.get("losses") or []
        matrix = info.get("display_matrix")
        if losses:
            self.set_losses([float(x) for x in losses])
        if matrix:
            from explorer.core.mini_clip import display_batch

            show = display_batch()
            pixmaps = [thumbnail_pixmap(array_to_qimage(im), 96) for im in show.images]
            captions = mark_never_seen(show.captions, held_out)
            self.matrix.set_data(np.asarray(matrix, dtype=np.float32), captions, captions, pixmaps,
                                 levels=(-1.0, 1.0), mark="diagonal")
        lines = accuracy_lines(info, held_out)
        if lines:
            what = ("The mini-CLIP shipped with the app was trained with this recipe before release"
                    if origin == "shipped" else "Last training on this computer")
            self.result.setText(
                f"{what}: {info.get('steps')} steps in {info.get('seconds')} s on {info.get('trained_at', '?')}. "
                f"Accuracy on fresh images, each classified among {label_set()}:<br>" + "<br>".join(lines)
                + "<br>Train again to watch it learn.")


def mark_never_seen(captions: list[str], held_out: list[str]) -> list[str]:
    """Captions of pairs that training never showed, marked as such (the fixed batch may hold one)."""
    from explorer.core.mini_clip import words

    pairs = {tuple(words(p)) for p in held_out}
    return [f"{c} (never seen)" if any(tuple(words(c))[-2:] == p for p in pairs) else c for c in captions]
