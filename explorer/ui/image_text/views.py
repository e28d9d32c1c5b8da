"""The six views of the Images & text pane, as widgets only: they show results and emit what the user asked.

The pane (explorer/ui/panes/image_text.py) owns the model, the images and the
engine jobs; these classes hold no model and run nothing.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSignalBlocker, QSize, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea,
                               QSizePolicy, QSpinBox, QVBoxLayout, QWidget)

from explorer.core.shapes_dataset import HELD_OUT_PAIRS
from explorer.ui.widgets.boxes import column_of, row_of, side_by_side
from explorer.ui.image_text.bars import ZeroShotBars
from explorer.ui.image_text.matrix import ImageTextMatrix
from explorer.ui.image_text.qformer import TASKS, CrossAttentionImage, QFormerDiagram
from explorer.ui.widgets.plot_axis import readable_axes

DEBOUNCE_MS = 350


def note_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def lines_of(editor: QPlainTextEdit) -> list[str]:
    return [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]


class ImageSourceBar(QWidget):
    """Buttons that choose the images: generated shapes, sample photos, your own files."""

    source_requested = Signal(str)  # "shapes", "photos", "files", "clear"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Images:"))
        self.buttons: dict[str, QPushButton] = {}
        for key, text, tip in (("shapes", "Sample shapes", "Coloured shapes, drawn like the mini-CLIP's training data"),
                               ("photos", "Sample photos", "Public-domain photos bundled with scikit-image and "
                                                           "scikit-learn"),
                               ("files", "Add images…", "Choose image files or a folder (or drop them on this pane)"),
                               ("clear", "Clear", "Remove all images")):
            button = QPushButton(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, k=key: self.source_requested.emit(k))
            layout.addWidget(button)
            self.buttons[key] = button
        self.count = QLabel("")
        layout.addWidget(self.count)
        layout.addStretch(1)
        hint = QLabel("or drop files / a folder here")
        hint.setStyleSheet("color: #666;")
        layout.addWidget(hint)


class LinesView(QWidget):
    """Base of the views that read lines typed beside a result about the images: similarity, zero-shot, joint map.

    All three lay out the same way (the image buttons, an explanation, the lines and their options left of
    the result, a message under it) and emit their change signal once typing pauses.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = ImageSourceBar()
        self.message = note_label()
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)

    def _lay_out(self, intro: str, left: QWidget, result: QWidget, left_width: int,
                 stretch: tuple[int | None, int | None]) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addWidget(note_label(intro))
        layout.addWidget(side_by_side(left, result, [left_width, 1100], stretch), 1)
        layout.addWidget(self.message)

    def _debounce(self, changed: SignalInstance, *edits: SignalInstance) -> None:
        """Emit `changed` once none of `edits` has fired for DEBOUNCE_MS."""
        self._timer.timeout.connect(changed)
        for edit in edits:
            edit.connect(self._timer.start)


def lines_editor(placeholder: str) -> QPlainTextEdit:
    editor = QPlainTextEdit()
    editor.setPlaceholderText(placeholder)
    return editor


def set_lines(editor: QPlainTextEdit, lines: list[str]) -> None:
    """Replace the lines without emitting textChanged (the caller refreshes once)."""
    with QSignalBlocker(editor):
        editor.setPlainText("\n".join(lines))


# --- 1. similarity matrix -------------------------------------------------------------------------
class SimilarityView(LinesView):
    captions_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.captions = lines_editor("One caption per line")
        self.captions.setMinimumWidth(260)
        self.matrix = ImageTextMatrix(placeholder="Add images and captions to compare them.")
        left = column_of(note_label("<b>Captions</b> (one per line): edit them and the matrix updates."),
                         (self.captions, 1))
        self._lay_out("Each cell is the cosine similarity of an image's vector and a caption's vector in the model's "
                      "shared space: <b>one row per image</b>, the best caption for each image outlined.",
                      left, self.matrix, 300, (1, 4))
        self._debounce(self.captions_changed, self.captions.textChanged)

    def caption_lines(self) -> list[str]:
        return lines_of(self.captions)

    def set_captions(self, lines: list[str]) -> None:
        set_lines(self.captions, lines)


# --- 2. zero-shot ---------------------------------------------------------------------------------
class ZeroShotView(LinesView):
    settings_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self._debounce(self.settings_changed, self.classes.textChanged, self.template.textChanged)

    def class_lines(self) -> list[str]:
        return lines_of(self.classes)

    def set_classes(self, lines: list[str], template: str | None = None) -> None:
        set_lines(self.classes, lines)
        if template is not None:
            with QSignalBlocker(self.template):
                self.template.setText(template)


# --- 3. search ------------------------------------------------------------------------------------
class SearchView(QWidget):
    index_requested = Signal(str)  # "shapes", "photos", "folder"
    query_changed = Signal(str)
    similar_requested = Signal(int)  # index in the searched collection
    image_query_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        sources_row = QHBoxLayout()
        sources_row.addWidget(QLabel("Search in:"))
        self.source_buttons: dict[str, QPushButton] = {}
        for key, text in (("shapes", "Generated shapes (240)"), ("photos", "Sample photos"),
                          ("folder", "A folder…")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, k=key: self.index_requested.emit(k))
            sources_row.addWidget(button)
            self.source_buttons[key] = button
        self.index_status = QLabel("")
        # a long folder path wraps or is cut, never widens the pane past the window
        self.index_status.setWordWrap(True)
        self.index_status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        sources_row.addWidget(self.index_status, 1)
        # a folder named by a session is indexed only when the user presses this
        self.index_folder_button = QPushButton("Index this folder")
        self.index_folder_button.hide()
        sources_row.addWidget(self.index_folder_button)
        self.query = QLineEdit()
        self.query.setPlaceholderText("Describe what you look for, e.g. a yellow star")
        self.query.setClearButtonEnabled(True)
        self.image_button = QPushButton("Search with an image file…")
        self.image_button.clicked.connect(self.image_query_requested)
        query_row = row_of("Find:", (self.query, 1), self.image_button)
        self.results = QListWidget()
        self.results.setViewMode(QListWidget.ViewMode.IconMode)
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.setMovement(QListWidget.Movement.Static)
        self.results.setWordWrap(True)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.itemClicked.connect(self._clicked)
        self.set_icon_size(1.0)
        self.caption = note_label()
        self.message = note_label()
        layout = QVBoxLayout(self)
        layout.addLayout(sources_row)
        layout.addLayout(query_row)
        layout.addWidget(self.caption)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.message)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(lambda: self.query_changed.emit(self.query.text()))
        self.query.textChanged.connect(self._timer.start)
        self.query.returnPressed.connect(lambda: self.query_changed.emit(self.query.text()))

    def set_icon_size(self, font_scale: float) -> None:
        side = int(150 * font_scale)
        self.results.setIconSize(QSize(side, side))
        self.results.setGridSize(QSize(side + 30, side + int(64 * font_scale)))

    def show_results(self, items: list[tuple[int, QPixmap, str]]) -> None:
        """(index in collection, thumbnail, text) best first."""
        self.results.clear()
        for index, pixmap, text in items:
            item = QListWidgetItem(QIcon(pixmap), text)
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setToolTip(text.replace("\n", " · ") + "\nClick: find images like this one")
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.results.addItem(item)

    def _clicked(self, item: QListWidgetItem) -> None:
        index = item.data(Qt.ItemDataRole.UserRole)
        if index is not None and int(index) >= 0:
            self.similar_requested.emit(int(index))


# --- 4. joint map ---------------------------------------------------------------------------------
class JointMapView(LinesView):
    settings_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self._debounce(self.settings_changed, self.keywords.textChanged, self.method.currentIndexChanged,
                       self.centre.toggled)

    def keyword_lines(self) -> list[str]:
        return lines_of(self.keywords)

    def set_keywords(self, lines: list[str]) -> None:
        set_lines(self.keywords, lines)


# --- 5. captions and the Q-Former -----------------------------------------------------------------
class CaptionView(QWidget):
    caption_requested = Signal()
    qformer_requested = Signal(int)  # image row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = ImageSourceBar()
        self.captioner = QComboBox()
        self.captioner.addItem("BLIP (base) — any computer", "blip")
        self.captioner.addItem("BLIP-2 (OPT-2.7B) — needs a large GPU", "blip2")
        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText("optional start, e.g. a picture of")
        self.run_button = QPushButton("Caption the images")
        self.run_button.clicked.connect(self.caption_requested)
        self.status = note_label()
        top = row_of("Captioner:", self.captioner, "Prompt:", (self.prompt, 1), self.run_button)
        # the images and their captions: one horizontal strip under the diagram
        self.captions = QListWidget()
        self.captions.setViewMode(QListWidget.ViewMode.IconMode)
        self.captions.setFlow(QListWidget.Flow.LeftToRight)
        self.captions.setWrapping(False)
        self.captions.setMovement(QListWidget.Movement.Static)
        self.captions.setWordWrap(True)
        self.set_strip_size(1.0)
        self.diagram = QFormerDiagram()
        self.task_text = note_label()
        self.diagram.task_changed.connect(self._show_task)

        # the real query outputs (BLIP-2 only)
        self.query_panel = QWidget()
        q_layout = QHBoxLayout(self.query_panel)
        q_layout.setContentsMargins(0, 0, 0, 0)
        from explorer.ui.widgets.heatmap import HeatmapView

        self.query_heatmap = HeatmapView(value_label="cosine between query outputs")
        self.cross = CrossAttentionImage()
        side = QVBoxLayout()
        self.query_pick = QSpinBox()
        self.query_pick.setPrefix("query ")
        self.query_pick.setRange(1, 32)
        self.query_words = note_label()
        side.addWidget(self.query_pick)
        side.addWidget(self.cross, 1)
        side.addWidget(self.query_words)
        q_layout.addWidget(self.query_heatmap, 2)
        q_layout.addLayout(side, 1)
        self.query_panel.setVisible(False)

        bottom = side_by_side(self.captions, self.query_panel, stretch=(1, 1))
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.diagram, 1)
        layout.addWidget(bottom)
        self._show_task(self.diagram.task)
        self.captions.currentRowChanged.connect(self._row_changed)

    def set_strip_size(self, font_scale: float) -> None:
        side = int(60 * font_scale)
        self.captions.setIconSize(QSize(side, side))
        self.captions.setGridSize(QSize(int(side * 3.6), side + int(48 * font_scale)))
        self.captions.setFixedHeight(side + int(70 * font_scale))

    def _row_changed(self, row: int) -> None:
        if row >= 0:
            self.qformer_requested.emit(row)

    def _show_task(self, task: str) -> None:
        info = TASKS[task]
        self.task_text.setText(f"<b>{info['title']}</b> — mask: {info['mask']}. In each mask a filled cell means "
                               "the row's token may attend to the column's token (Q = learned queries, T = text "
                               "tokens). Click a panel to select its task.")

    def show_images(self, rows: list[tuple[QPixmap, str]]) -> None:
        self.captions.clear()
        for pixmap, text in rows:
            self.captions.addItem(QListWidgetItem(QIcon(pixmap), text))


# --- 6. train mini-CLIP ---------------------------------------------------------------------------
class TrainView(QWidget):
    train_requested = Signal(int)  # steps
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = QSpinBox()
        self.steps.setRange(20, 5000)
        self.steps.setSingleStep(50)
        self.steps.setValue(300)
        self.steps.setSuffix(" steps")
        self.train_button = QPushButton("Train mini-CLIP (about 2-3 minutes)")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.train_button.clicked.connect(lambda: self.train_requested.emit(self.steps.value()))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.status = note_label()
        controls = row_of("Length:", self.steps, self.train_button, self.cancel_button, (self.status, 1))
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


def grid_text(rank: int, name: str, score: float) -> str:
    short = name if len(name) <= 26 else name[:25] + "…"
    return f"{rank}. {short}\ncosine {score:.3f}"

