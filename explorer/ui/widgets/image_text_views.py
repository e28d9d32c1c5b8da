"""The six views of the Images & text pane, as widgets only: they show results and emit what the user asked.

The pane (explorer/ui/panes/image_text.py) owns the model, the images and the
engine jobs; these classes hold no model and run nothing.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFrame, QHBoxLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QPlainTextEdit, QPushButton, QScrollArea,
                               QSpinBox, QSplitter, QVBoxLayout, QWidget)

from explorer.ui.widgets.image_text_bars import ZeroShotBars
from explorer.ui.widgets.image_text_matrix import ImageTextMatrix
from explorer.ui.widgets.image_text_qformer import TASKS, CrossAttentionImage, QFormerDiagram
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


# --- 1. similarity matrix -------------------------------------------------------------------------
class SimilarityView(QWidget):
    captions_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = ImageSourceBar()
        self.captions = QPlainTextEdit()
        self.captions.setPlaceholderText("One caption per line")
        self.captions.setMinimumWidth(260)
        self.matrix = ImageTextMatrix(placeholder="Add images and captions to compare them.")
        self.message = note_label()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(note_label("<b>Captions</b> (one per line): edit them and the matrix updates."))
        left_layout.addWidget(self.captions, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.matrix)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([300, 1100])
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addWidget(note_label("Each cell is the cosine similarity of an image's vector and a caption's vector "
                                    "in the model's shared space: <b>one row per image</b>, the best caption for "
                                    "each image outlined."))
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.captions_changed)
        self.captions.textChanged.connect(self._timer.start)

    def caption_lines(self) -> list[str]:
        return lines_of(self.captions)

    def set_captions(self, lines: list[str]) -> None:
        self.captions.blockSignals(True)
        self.captions.setPlainText("\n".join(lines))
        self.captions.blockSignals(False)


# --- 2. zero-shot ---------------------------------------------------------------------------------
class ZeroShotView(QWidget):
    settings_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sources = ImageSourceBar()
        self.classes = QPlainTextEdit()
        self.classes.setPlaceholderText("One class name per line")
        self.template = QLineEdit("a photo of a {}")
        self.template.setToolTip("{} is replaced by each class name")
        self.prompts = note_label()
        self.bars = ZeroShotBars()
        self.bars.clear("Add images and class names.")
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.bars)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.message = note_label()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(note_label("<b>Classes</b> (one per line)"))
        left_layout.addWidget(self.classes, 1)
        left_layout.addWidget(note_label("<b>Prompt template</b>"))
        left_layout.addWidget(self.template)
        left_layout.addWidget(self.prompts)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(scroll)
        split.setStretchFactor(1, 4)
        split.setSizes([300, 1100])
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addWidget(note_label("Zero-shot classification: each class name goes into the template, the model "
                                    "embeds those sentences, and the image's cosines to them (times the model's "
                                    "learned scale) go through a softmax. No training on these classes."))
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.settings_changed)
        self.classes.textChanged.connect(self._timer.start)
        self.template.textChanged.connect(self._timer.start)

    def class_lines(self) -> list[str]:
        return lines_of(self.classes)

    def set_classes(self, lines: list[str], template: str | None = None) -> None:
        for widget in (self.classes, self.template):
            widget.blockSignals(True)
        self.classes.setPlainText("\n".join(lines))
        if template is not None:
            self.template.setText(template)
        for widget in (self.classes, self.template):
            widget.blockSignals(False)


# --- 3. search ------------------------------------------------------------------------------------
class SearchView(QWidget):
    index_requested = Signal(str)  # "shapes", "photos", "folder"
    query_changed = Signal(str)
    similar_requested = Signal(int)  # index in the searched collection
    image_query_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout()
        row.addWidget(QLabel("Search in:"))
        self.source_buttons: dict[str, QPushButton] = {}
        for key, text in (("shapes", "Generated shapes (240)"), ("photos", "Sample photos"),
                          ("folder", "A folder…")):
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, k=key: self.index_requested.emit(k))
            row.addWidget(button)
            self.source_buttons[key] = button
        self.index_status = QLabel("")
        row.addWidget(self.index_status, 1)
        query_row = QHBoxLayout()
        query_row.addWidget(QLabel("Find:"))
        self.query = QLineEdit()
        self.query.setPlaceholderText("Describe what you look for, e.g. a yellow star")
        self.query.setClearButtonEnabled(True)
        query_row.addWidget(self.query, 1)
        self.image_button = QPushButton("Search with an image file…")
        self.image_button.clicked.connect(self.image_query_requested)
        query_row.addWidget(self.image_button)
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
        layout.addLayout(row)
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
class JointMapView(QWidget):
    settings_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from explorer.ui.widgets.scatter import ScatterView

        self.sources = ImageSourceBar()
        self.keywords = QPlainTextEdit()
        self.keywords.setPlaceholderText("Keywords, one per line")
        self.method = QComboBox()
        self.method.addItem("PCA", "pca")
        self.method.addItem("t-SNE", "tsne")
        self.centre = QCheckBox("Centre each modality")
        self.centre.setChecked(True)
        self.centre.setToolTip("Images and texts sit in two separate cones of the shared space (the 'modality gap'). "
                               "Subtracting each cloud's mean lines them up so matching pairs land near each other.")
        self.scatter = ScatterView(show_controls=False, empty_text="Add images and keywords")
        self.message = note_label()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(note_label("<b>Keywords</b> (one per line)"))
        left_layout.addWidget(self.keywords, 1)
        left_layout.addWidget(note_label("<b>Projection</b>"))
        left_layout.addWidget(self.method)
        left_layout.addWidget(self.centre)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.scatter)
        split.setStretchFactor(1, 4)
        split.setSizes([280, 1100])
        layout = QVBoxLayout(self)
        layout.addWidget(self.sources)
        layout.addWidget(note_label("Images and keywords in one 2-D map of the shared space: keywords land near the "
                                    "images they describe (the lecture's “clustering”)."))
        layout.addWidget(split, 1)
        layout.addWidget(self.message)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.settings_changed)
        self.keywords.textChanged.connect(self._timer.start)
        self.method.currentIndexChanged.connect(self._timer.start)
        self.centre.toggled.connect(self._timer.start)

    def keyword_lines(self) -> list[str]:
        return lines_of(self.keywords)

    def set_keywords(self, lines: list[str]) -> None:
        self.keywords.blockSignals(True)
        self.keywords.setPlainText("\n".join(lines))
        self.keywords.blockSignals(False)


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
        top = QHBoxLayout()
        top.addWidget(QLabel("Captioner:"))
        top.addWidget(self.captioner)
        top.addWidget(QLabel("Prompt:"))
        top.addWidget(self.prompt, 1)
        top.addWidget(self.run_button)
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

        bottom = QSplitter(Qt.Orientation.Horizontal)
        bottom.addWidget(self.captions)
        bottom.addWidget(self.query_panel)
        bottom.setStretchFactor(0, 1)
        bottom.setStretchFactor(1, 1)
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
        row = QHBoxLayout()
        row.addWidget(QLabel("Length:"))
        row.addWidget(self.steps)
        row.addWidget(self.train_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.status, 1)

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
            "CLIP from scratch, on this computer: a small CNN reads 32×32 pictures, a tiny transformer reads the "
            "captions, and both learn to put a picture and its caption in the same direction. Each step takes a "
            "batch of 128 pictures with their captions and applies the <b>symmetric contrastive (InfoNCE) loss</b>: "
            "in the batch's image×caption similarity matrix, each image should pick its own caption and each caption "
            "its own image (a cross-entropy over rows and over columns, with a learned temperature). The data are "
            "generated shapes (4 shapes × 6 colours on varied backgrounds), so this model knows shapes, not photos. "
            "The loss levels off above zero: a batch holds several pictures of the same kind (“a red circle”), so "
            "each picture has several right captions and the best it can do is share its bet among them.")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(note_label("<b>Loss</b> (lower is better)"))
        left_layout.addWidget(self.loss_plot, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(note_label("<b>Similarity in a fixed batch</b> (images × their captions)"))
        right_layout.addWidget(self.matrix, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([620, 780])
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(row)
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

