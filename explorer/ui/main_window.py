"""The main window: a sidebar of panes, menus, the status bar, persisted preferences."""
from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QKeySequence
from PySide6.QtWidgets import (QApplication, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QMessageBox, QStackedWidget, QWidget)

from explorer import APP_NAME, __version__
from explorer.engine import Engine
from explorer.ui.pane import Pane, PaneSpec, discover_pane_specs
from explorer.ui.settings import open_settings, read_float, read_str
from explorer.ui.status import EngineStatusBar

FONT_SCALES = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5)


class _LazyPanes(Mapping):
    """pane id -> Pane, building each pane the first time it is asked for."""

    def __init__(self, window: "MainWindow") -> None:
        self._window = window
        self.built: dict[str, Pane] = {}

    def __getitem__(self, pane_id: str) -> Pane:
        if pane_id not in self.built:
            if pane_id not in self._window.pane_specs:
                raise KeyError(pane_id)
            self.built[pane_id] = self._window._build_pane(pane_id)
        return self.built[pane_id]

    def __iter__(self):
        return iter(self._window.pane_specs)

    def __len__(self) -> int:
        return len(self._window.pane_specs)

    def __contains__(self, pane_id: object) -> bool:
        return pane_id in self._window.pane_specs


class MainWindow(QMainWindow):
    pane_changed = Signal(str)
    font_scale_changed = Signal(float)

    def __init__(self, engine: Engine | None = None) -> None:
        super().__init__()
        self.setWindowTitle(APP_NAME)
        self.settings = open_settings()
        # the worker waits until the window has painted (see Engine.warm_up)
        self.engine = engine or Engine(parent=self, hold_until_warm_up_s=3.0)
        QTimer.singleShot(150, self.engine.warm_up)
        self._base_point_size = QApplication.font().pointSizeF()
        self.font_scale = 1.0
        self.dark_theme = False

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(210)
        self.stack = QStackedWidget()
        self._loading = QLabel("Loading…")
        self._loading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self._loading)
        # Panes are built on first use: their modules import pyqtgraph, which
        # would otherwise double the time to the first painted window.
        self.pane_specs: dict[str, PaneSpec] = {s.pane_id: s for s in discover_pane_specs()}
        self.panes = _LazyPanes(self)
        for spec in self.pane_specs.values():
            item = QListWidgetItem(spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.pane_id)
            item.setToolTip(spec.summary)
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._show_row)
        self._painted = False

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.status = EngineStatusBar(self.engine)
        self.setStatusBar(self.status)
        self._build_menus()
        self._restore_preferences()

    # --- panes ---
    def pane_ids(self) -> list[str]:
        return list(self.pane_specs)

    def built_panes(self) -> list[Pane]:
        """Panes constructed so far (others are built when first shown)."""
        return list(self.panes.built.values())

    def current_pane(self) -> Pane | None:
        widget = self.stack.currentWidget()
        return widget if isinstance(widget, Pane) else None

    def show_pane(self, pane_id: str) -> Pane:
        if pane_id not in self.pane_specs:
            raise KeyError(f"no pane '{pane_id}'; panes: {', '.join(self.pane_specs)}")
        pane = self.panes[pane_id]
        row = list(self.pane_specs).index(pane_id)
        if self.sidebar.currentRow() != row:
            self.sidebar.setCurrentRow(row)
        else:
            self._show_row(row)
        return pane

    def _build_pane(self, pane_id: str) -> Pane:
        pane = self.pane_specs[pane_id].load()(self.engine)
        self.stack.addWidget(pane)
        if self.font_scale != 1.0 or self.dark_theme:
            pane.apply_view_settings(self.font_scale, self.dark_theme)
        return pane

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        pane_id = list(self.pane_specs)[row]
        self.settings.setValue("window/last_pane", pane_id)
        if pane_id not in self.panes.built and not self._painted:
            # first paint first: build the pane right after it
            self.stack.setCurrentWidget(self._loading)
            self._loading.setText(f"Loading {self.pane_specs[pane_id].title}…")
            QTimer.singleShot(0, lambda r=row: self.sidebar.currentRow() == r and self._show_row(r))
            self._painted = True
            return
        pane = self.panes[pane_id]
        self.stack.setCurrentWidget(pane)
        pane.activated()
        self.pane_changed.emit(pane_id)

    # --- menus ---
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        view_menu = self.menuBar().addMenu("&View")
        bigger = QAction("&Larger text", self, shortcut=QKeySequence.StandardKey.ZoomIn)
        bigger.triggered.connect(lambda: self.step_font_scale(+1))
        smaller = QAction("&Smaller text", self, shortcut=QKeySequence.StandardKey.ZoomOut)
        smaller.triggered.connect(lambda: self.step_font_scale(-1))
        reset = QAction("&Normal text size", self, shortcut=QKeySequence("Ctrl+0"))
        reset.triggered.connect(lambda: self.set_font_scale(1.0))
        for action in (bigger, smaller, reset):
            view_menu.addAction(action)
        self.view_menu = view_menu

        device_menu = self.menuBar().addMenu("&Device")
        group = QActionGroup(self)
        self.device_auto = QAction("Use the &GPU when there is one", self, checkable=True)
        self.device_cpu = QAction("Force &CPU", self, checkable=True)
        for action, pref in ((self.device_auto, "auto"), (self.device_cpu, "cpu")):
            group.addAction(action)
            device_menu.addAction(action)
            action.triggered.connect(lambda checked, p=pref: checked and self.set_device_preference(p))

        models_menu = self.menuBar().addMenu("&Models")
        manager = QAction("&Model manager…", self)
        manager.triggered.connect(self.open_model_manager)
        models_menu.addAction(manager)

        self.help_menu = self.menuBar().addMenu("&Help")
        about = QAction(f"&About {APP_NAME}", self)
        about.triggered.connect(self.show_about)
        self.help_menu.addAction(about)

    def open_model_manager(self) -> None:
        from explorer.ui.model_manager import ModelManagerDialog

        ModelManagerDialog(self.engine, self).exec()

    def show_about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME} {__version__}</h3><p>See inside language models: tokens, embeddings, "
                          "attention, the next token, and images and text in one space. Works offline.</p>")

    # --- preferences ---
    def set_device_preference(self, preference: str) -> None:
        self.settings.setValue("engine/device", preference)
        (self.device_cpu if preference == "cpu" else self.device_auto).setChecked(True)
        self.engine.set_device_preference(preference)

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = max(0.5, min(4.0, scale))
        font = QFont(QApplication.font())
        font.setPointSizeF(self._base_point_size * self.font_scale)
        QApplication.setFont(font)
        self.settings.setValue("view/font_scale", self.font_scale)
        for pane in self.built_panes():
            pane.apply_view_settings(self.font_scale, self.dark_theme)
        self.font_scale_changed.emit(self.font_scale)

    def step_font_scale(self, direction: int) -> None:
        nearest = min(range(len(FONT_SCALES)), key=lambda i: abs(FONT_SCALES[i] - self.font_scale))
        index = max(0, min(len(FONT_SCALES) - 1, nearest + direction))
        self.set_font_scale(FONT_SCALES[index])

    def _restore_preferences(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        scale = read_float(self.settings, "view/font_scale", 1.0)
        if abs(scale - 1.0) > 1e-6:
            self.set_font_scale(scale)
        preference = read_str(self.settings, "engine/device", "auto")
        (self.device_cpu if preference == "cpu" else self.device_auto).setChecked(True)
        if preference == "cpu":
            self.engine.set_device_preference("cpu")
        last = read_str(self.settings, "window/last_pane", "")
        ids = list(self.pane_specs)
        if ids:
            self.sidebar.setCurrentRow(ids.index(last) if last in ids else 0)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        self.engine.shutdown()
        super().closeEvent(event)
