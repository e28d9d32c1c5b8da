"""A projector for any set of vectors: PCA / t-SNE / UMAP in 2-D or 3-D, colours, search and neighbours.

The panel owns no data loading and no vectors: a tab hands it a `PointSet`
(labels and a handle on vectors kept in the model host), and the panel asks
the host for projections, clusterings and neighbours (explorer/host/ops/embeddings.py).
t-SNE positions stream in while it optimises; Cancel stops it at the next step. Every point is
projected and drawn: nothing is sampled.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QProgressBar, QPushButton, QSpinBox, QSplitter, QVBoxLayout,
                               QWidget)

from explorer.core.point_set import PointSet
from explorer.ui.embeddings.common import MessageLabel, bool_of, float_of, int_of, str_of
from explorer.ui.pane import ExportTarget
from explorer.ui.widgets.scatter import ScatterView

BIG_SET = 50_000  # above this: small points, and a warning before t-SNE / UMAP


class ProjectionPanel(QWidget):
    projected = Signal()  # a final projection is on screen
    partial_shown = Signal(int)  # t-SNE positions of this iteration are on screen
    clustered = Signal()
    neighbours_found = Signal()  # the selected point's neighbours are listed

    def __init__(self, engine, owner: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.owner = owner
        self.data: PointSet | None = None
        self.projection = None
        self._fresh = True
        self._groups: np.ndarray | list | None = None
        self._group_names: list[str] | None = None
        self._pending_selection: str | None = None
        self._wanted_label_by = ""  # a label column restored from a session, chosen when the data arrives
        self._run_token: object | None = None

        _method_inputs(self)  # method, dims, perplexity, learning_rate, iterations, umap_neighbours, min_dist
        self.project_button = QPushButton("Project")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.colour_by = QComboBox()
        self.clusters = QSpinBox()
        self.clusters.setRange(2, 50)
        self.clusters.setValue(5)
        self.label_by = QComboBox()
        self.scatter = ScatterView(empty_text="No points yet")
        side = _neighbour_side(self)  # metric_box, k, neighbour_title, neighbour_list
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.message = MessageLabel()

        self._tsne_widgets = [QLabel("perplexity"), self.perplexity, QLabel("learning rate"), self.learning_rate,
                              QLabel("iterations"), self.iterations]
        self._umap_widgets = [QLabel("neighbours"), self.umap_neighbours, QLabel("min. distance"), self.min_dist]
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        row1 = QHBoxLayout()
        for widget in (QLabel("Method"), self.method, self.dims):
            row1.addWidget(widget)
        row1.addStretch(1)
        row1.addWidget(self.project_button)
        row1.addWidget(self.cancel_button)
        params = QHBoxLayout()
        for widget in [*self._tsne_widgets, *self._umap_widgets]:
            params.addWidget(widget)
        params.addStretch(1)
        row2 = QHBoxLayout()
        for widget in (QLabel("Colour by"), self.colour_by, QLabel("clusters"), self.clusters,
                       QLabel("Labels"), self.label_by):
            row2.addWidget(widget)
        row2.addStretch(1)
        grid.addLayout(row1, 0, 0)
        grid.addLayout(params, 1, 0)
        grid.addLayout(row2, 2, 0)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.scatter)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 1)
        splitter.setSizes([1000, 250])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid)
        layout.addWidget(splitter, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.progress)
        layout.addLayout(bottom)

        self._fill_colour_choices()
        self.method.currentIndexChanged.connect(self._method_changed)
        self.project_button.clicked.connect(self.run_projection)
        self.cancel_button.clicked.connect(self.cancel)
        self.colour_by.currentIndexChanged.connect(self.recolour)
        self.clusters.editingFinished.connect(self._clusters_changed)
        self.label_by.currentIndexChanged.connect(self._relabel)
        self.metric_box.currentIndexChanged.connect(self._requery)
        self.k.valueChanged.connect(self._requery)
        self.scatter.point_clicked.connect(self.show_neighbours)
        self.neighbour_list.itemClicked.connect(self._neighbour_clicked)
        self._method_changed()

    # --- data ---
    def set_data(self, data: PointSet, run: bool = True) -> None:
        self.data = data
        self.projection = None
        self._fresh = True
        self._groups, self._group_names = None, None
        self.neighbour_list.clear()
        self.neighbour_title.setText("<b>Nearest neighbours</b><br>click a point")
        self._fill_colour_choices()
        if len(data) > BIG_SET and self.scatter.point_size_px() > 4:
            self.scatter.set_point_size(3)
        notes = " ".join(data.warnings)
        self.message.info(f"{data.name}: {len(data):,} points of {data.dims} dimensions. {notes}")
        if run:
            self.run_projection()

    def _fill_colour_choices(self) -> None:
        current = self.colour_by.currentData()
        label_current = self.label_by.currentData()
        self.colour_by.blockSignals(True)
        self.label_by.blockSignals(True)
        self.colour_by.clear()
        self.colour_by.addItem("one colour", "none")
        self.colour_by.addItem("k-means clusters", "kmeans")
        self.label_by.clear()
        self.label_by.addItem("default", "")
        if self.data is not None:
            for name in self.data.columns:
                self.colour_by.addItem(f"column: {name}", f"column:{name}")
                self.label_by.addItem(name, name)
        index = self.colour_by.findData(current)
        self.colour_by.setCurrentIndex(max(0, index))
        wanted = self._wanted_label_by or label_current
        self.label_by.setCurrentIndex(max(0, self.label_by.findData(wanted)))
        if self.data is not None and self._wanted_label_by in self.data.columns:
            self._wanted_label_by = ""
        self.colour_by.blockSignals(False)
        self.label_by.blockSignals(False)
        self.label_by.setEnabled(self.label_by.count() > 2)

    def labels(self) -> list[str]:
        if self.data is None:
            return []
        column = self.label_by.currentData()
        if column and column in self.data.columns:
            return list(self.data.columns[column])
        return self.data.labels

    # --- projection ---
    def _method_changed(self, *args) -> None:
        method = self.method.currentData()
        for widget in self._tsne_widgets:
            widget.setVisible(method == "tsne")
        for widget in self._umap_widgets:
            widget.setVisible(method == "umap")

    def set_method(self, method: str, dims: int = 2) -> None:
        self.method.setCurrentIndex(max(0, self.method.findData(method)))
        self.dims.setCurrentIndex(max(0, self.dims.findData(dims)))

    def params(self) -> dict:
        method = self.method.currentData()
        if method == "tsne":
            lr = self.learning_rate.value()
            return {"perplexity": self.perplexity.value(), "learning_rate": "auto" if lr == 0 else float(lr),
                    "n_iter": self.iterations.value(), "metric": self.metric_box.currentData()}
        if method == "umap":
            return {"n_neighbors": self.umap_neighbours.value(), "min_dist": self.min_dist.value(),
                    "metric": self.metric_box.currentData()}
        return {}

    def run_projection(self) -> None:
        if self.data is None:
            self.message.error("Load some data first.")
            return
        method, dims, params = self.method.currentData(), int(self.dims.currentData()), self.params()
        handle = self.data.handle()
        n = len(self.data)
        name = self.method.currentText()
        if method in ("tsne", "umap") and n < 4:
            self.message.error(f"{name} needs at least 4 points; there are {n}. PCA works with 2.")
            return
        warning = ""
        if method in ("tsne", "umap") and n > BIG_SET:
            warning = (f" {n:,} points: this takes many minutes on a laptop (every point is used). "
                       "The map moves while it works; Cancel stops it.")
        self.message.info(f"{name} of {n:,} points…{warning}")
        self.progress.setVisible(True)
        self.progress.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.project_button.setEnabled(False)

        # t-SNE positions already on their way when Cancel is pressed must not be painted: each run has
        # a token, and callbacks of a run whose token is gone do nothing
        token = self._run_token = object()

        def current(callback):
            return lambda *args: callback(*args) if self._run_token is token else None

        self.engine.run("embeddings.project", {**handle, "method": method, "dims": dims, "params": params},
                        owner=f"{self.owner}.project", title=f"{name} projection",
                        on_result=current(self._projected), on_error=current(self._failed),
                        on_progress=current(self._progress), on_partial=current(self._partial))

    def clear(self, empty_text: str) -> None:
        """No data any more: stop its projection and clustering (so neither paints later) and empty the map."""
        self._run_token = None
        self.engine.cancel(f"{self.owner}.project")
        self.engine.cancel(f"{self.owner}.cluster")
        self._idle()
        self.data, self.projection = None, None
        self.neighbour_list.clear()
        self.neighbour_title.setText("<b>Nearest neighbours</b><br>click a point")
        self.scatter.clear(empty_text)
        self.message.info("")

    def cancel(self) -> None:
        self._run_token = None
        self.engine.cancel(f"{self.owner}.project")
        self._idle()
        self.message.info("Cancelled. The map shows the last positions.")

    def _idle(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setEnabled(False)
        self.project_button.setEnabled(True)

    def _progress(self, fraction, message: str) -> None:
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(fraction * 1000))
        if message:
            self.progress.setFormat(message)
            self.progress.setTextVisible(True)

    def _partial(self, value) -> None:
        if isinstance(value, dict) and "coords" in value:
            dims = value["coords"].shape[1]
            titles = [f"t-SNE {i + 1}" for i in range(dims)]
            self._show_coords(value["coords"], titles)
            self.message.info(f"t-SNE iteration {value['iteration']} of {value['total']}: the points move as "
                              "the map improves.")
            self.partial_shown.emit(int(value["iteration"]))

    def _projected(self, projection) -> None:
        self.projection = projection
        self._show_coords(projection.coords, projection.axis_titles())
        self._idle()
        extra = ""
        if projection.explained is not None:
            extra = f" These axes keep {sum(projection.explained):.0%} of the variance."
        self.message.info(f"{len(projection.coords):,} points shown (all of them).{extra}"
                          " Click a point for its nearest neighbours in the original space.")
        if self._pending_selection:
            self.select_label(self._pending_selection)
            self._pending_selection = None
        self.projected.emit()

    def _failed(self, message: str) -> None:
        self._idle()
        self.message.error(message)

    def _show_coords(self, coords: np.ndarray, titles: list[str]) -> None:
        if self._fresh or coords.shape != self.scatter.coords().shape:
            self._fresh = False
            self.scatter.set_points(coords, self.labels(), self._groups, group_names=self._group_names,
                                    axis_titles=titles)
            if self.colour_by.currentData() != "none" and self._groups is None:
                self.recolour()
        else:
            self.scatter.update_coords(coords)

    # --- colours, labels ---
    def _clusters_changed(self) -> None:
        if self.colour_by.currentData() == "kmeans":
            self.recolour()

    def set_colour_by(self, choice: str, clusters: int | None = None) -> None:
        if clusters is not None:
            self.clusters.setValue(clusters)
        index = self.colour_by.findData(choice)
        if index >= 0:
            if index == self.colour_by.currentIndex():
                self.recolour()
            else:
                self.colour_by.setCurrentIndex(index)

    def recolour(self, *args) -> None:
        choice = self.colour_by.currentData() or "none"
        if self.data is None:
            return
        if choice == "none":
            self._groups, self._group_names = None, None
            self.scatter.set_groups(None)
        elif choice.startswith("column:"):
            self._groups = self.data.columns.get(choice[len("column:"):])
            self._group_names = None
            self.scatter.set_groups(self._groups)
        else:
            k, metric = self.clusters.value(), self.metric_box.currentData()
            if k > len(self.data):
                self.message.error(f"{k} clusters need at least {k} points; there are {len(self.data)}.")
                return

            self.engine.run("embeddings.kmeans", {**self.data.handle(), "k": k, "metric": metric},
                            owner=f"{self.owner}.cluster", title="k-means clustering",
                            on_result=self._clustered, on_error=self.message.error)

    def _clustered(self, labels: np.ndarray) -> None:
        if self.data is None or len(labels) != len(self.data):
            return  # clusters of the points shown before new data came (found by the soak: 6 groups, 12 points)
        self._groups = labels
        self._group_names = [f"cluster {i + 1}" for i in range(int(labels.max()) + 1)]
        if self.scatter.n_points == len(labels):
            self.scatter.set_groups(labels, self._group_names)
        self.clustered.emit()

    def _relabel(self, *args) -> None:
        if self.scatter.n_points and self.data is not None:
            self.scatter.set_points(self.scatter.coords(), self.labels(), self._groups,
                                    group_names=self._group_names, keep_view=True,
                                    axis_titles=self.projection.axis_titles() if self.projection else None)

    # --- neighbours ---
    def show_neighbours(self, index: int) -> None:
        """Select point `index` and list its nearest neighbours (a host query: off the GUI thread)."""
        self.neighbour_list.clear()
        if self.data is None or index < 0 or index >= len(self.data):
            self.neighbour_title.setText("<b>Nearest neighbours</b><br>click a point")
            self.scatter.set_highlight([])
            return
        metric, data = self.metric_box.currentData(), self.data
        labels = self.labels()
        what = "cosine" if metric == "cosine" else "distance"
        self.neighbour_title.setText(f"<b>Nearest to “{labels[index]}”</b><br>in the original "
                                     f"{data.dims}-d space ({what})")
        self.scatter.select(index)

        def found(pairs: list) -> None:
            if self.data is not data:  # other data came in meanwhile
                return
            self.neighbour_list.clear()
            for j, score in pairs:
                item = QListWidgetItem(f"{labels[j]}   {score:.3f}")
                item.setData(Qt.ItemDataRole.UserRole, j)
                self.neighbour_list.addItem(item)
            self.scatter.set_highlight([j for j, _ in pairs])
            self.neighbours_found.emit()

        self.engine.run("embeddings.nearest", {**data.handle(), "index": index, "k": self.k.value(),
                                               "metric": metric},
                        owner=f"{self.owner}.nearest", title="Nearest neighbours", on_result=found,
                        on_error=self.message.error)

    def neighbours_shown(self) -> list[str]:
        return [self.neighbour_list.item(i).text().rsplit("   ", 1)[0] for i in range(self.neighbour_list.count())]

    def _requery(self, *args) -> None:
        if self.scatter.selected() >= 0:
            self.show_neighbours(self.scatter.selected())

    def _neighbour_clicked(self, item: QListWidgetItem) -> None:
        self.show_neighbours(int(item.data(Qt.ItemDataRole.UserRole)))

    def select_after_projection(self, label: str) -> None:
        """Select `label` (listing its neighbours) once the next projection is on screen."""
        self._pending_selection = label

    def select_label(self, label: str) -> bool:
        """Select the first point whose label is `label` and list its neighbours."""
        labels = self.labels()
        if label in labels:
            self.show_neighbours(labels.index(label))
            return True
        return False

    # --- pane hooks ---
    def state(self) -> dict:
        selected = self.scatter.selected()
        labels = self.labels()
        return {"method": self.method.currentData(), "dims": int(self.dims.currentData()),
                "perplexity": self.perplexity.value(), "learning_rate": self.learning_rate.value(),
                "iterations": self.iterations.value(), "umap_neighbours": self.umap_neighbours.value(),
                "min_dist": self.min_dist.value(), "colour_by": self.colour_by.currentData(),
                "clusters": self.clusters.value(), "label_by": self.label_by.currentData() or "",
                "metric": self.metric_box.currentData(), "k": self.k.value(), "search": self.scatter.search.text(),
                "only_matches": self.scatter.filter_box.isChecked(), "label_size": self.scatter.label_size_pt(),
                "point_size": self.scatter.point_size_px(),
                "selected": labels[selected] if 0 <= selected < len(labels) else ""}

    def restore_state(self, state: dict) -> None:
        self.method.setCurrentIndex(max(0, self.method.findData(str_of(state, "method", "pca"))))
        self.dims.setCurrentIndex(max(0, self.dims.findData(int_of(state, "dims", 2))))
        self.perplexity.setValue(float_of(state, "perplexity", self.perplexity.value()))
        self.learning_rate.setValue(int_of(state, "learning_rate", self.learning_rate.value()))
        self.iterations.setValue(int_of(state, "iterations", self.iterations.value()))
        self.umap_neighbours.setValue(int_of(state, "umap_neighbours", self.umap_neighbours.value()))
        self.min_dist.setValue(float_of(state, "min_dist", self.min_dist.value()))
        self.clusters.setValue(int_of(state, "clusters", self.clusters.value()))
        self.metric_box.setCurrentIndex(max(0, self.metric_box.findData(str_of(state, "metric", "cosine"))))
        self.k.setValue(int_of(state, "k", self.k.value()))
        self.colour_by.blockSignals(True)
        index = self.colour_by.findData(str_of(state, "colour_by", "none"))
        if index < 0 and str_of(state, "colour_by", "").startswith("column:"):
            # the column arrives with the data: keep the wish until then
            self.colour_by.addItem(str_of(state, "colour_by", "")[7:], str_of(state, "colour_by", ""))
            index = self.colour_by.count() - 1
        self.colour_by.setCurrentIndex(max(0, index))
        self.colour_by.blockSignals(False)
        self.scatter.set_label_size(int_of(state, "label_size", self.scatter.label_size_pt()))
        self.scatter.set_point_size(int_of(state, "point_size", self.scatter.point_size_px()))
        self.scatter.set_search(str_of(state, "search", ""), bool_of(state, "only_matches", False))
        self._pending_selection = str_of(state, "selected", "") or None
        self._wanted_label_by = str_of(state, "label_by", "")
        if self.label_by.findData(self._wanted_label_by) > 0:
            self.label_by.setCurrentIndex(self.label_by.findData(self._wanted_label_by))

    def export_targets(self, name: str = "Projection") -> list[ExportTarget]:
        return [ExportTarget(name, self.scatter, self.scatter.export_data)]

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.scatter.apply_view_settings(font_scale, dark)


def _method_inputs(panel: ProjectionPanel) -> None:
    """The projection method, its dimensions, and the settings of t-SNE and UMAP, as the panel's attributes."""
    from explorer.core.projection import umap_available

    panel.method = QComboBox()
    panel.method.addItem("PCA", "pca")
    panel.method.addItem("t-SNE", "tsne")
    panel.method.addItem("UMAP", "umap")
    if not umap_available():
        item = panel.method.model().item(2)
        item.setEnabled(False)
        item.setToolTip("pip install umap-learn")
        panel.method.setItemText(2, "UMAP (not installed)")
    panel.dims = QComboBox()
    panel.dims.addItem("2-D", 2)
    panel.dims.addItem("3-D", 3)
    panel.perplexity = _spin(QDoubleSpinBox(), 2, 200, 30)
    panel.learning_rate = _spin(QSpinBox(), 0, 100_000, 0, step=50)
    panel.learning_rate.setSpecialValueText("auto")
    panel.iterations = _spin(QSpinBox(), 10, 10_000, 500, step=50)
    panel.umap_neighbours = _spin(QSpinBox(), 2, 200, 15)
    panel.min_dist = _spin(QDoubleSpinBox(), 0.0, 1.0, 0.1, step=0.05)


def _spin(spin, low, high, value, step=None):
    spin.setRange(low, high)
    if step is not None:
        spin.setSingleStep(step)
    spin.setValue(value)
    return spin


def _neighbour_side(panel: ProjectionPanel) -> QWidget:
    """The side list of the selected point's nearest neighbours, with its metric and count."""
    # not "panel.metric": that name would hide QWidget.metric(), which Qt calls (and crashes on)
    panel.metric_box = QComboBox()
    panel.metric_box.addItem("cosine", "cosine")
    panel.metric_box.addItem("Euclidean", "euclidean")
    panel.metric_box.setToolTip("measure neighbours by cosine similarity or Euclidean distance")
    panel.k = _spin(QSpinBox(), 1, 100, 10)
    panel.k.setToolTip("how many neighbours")
    panel.neighbour_title = QLabel("<b>Nearest neighbours</b><br>click a point")
    panel.neighbour_title.setWordWrap(True)
    panel.neighbour_list = QListWidget()
    side = QWidget()
    layout = QVBoxLayout(side)
    layout.setContentsMargins(0, 0, 0, 0)
    by = QHBoxLayout()
    by.addWidget(panel.metric_box, 1)
    by.addWidget(panel.k)
    layout.addWidget(panel.neighbour_title)
    layout.addLayout(by)
    layout.addWidget(panel.neighbour_list, 1)
    return side
