"""The main window: a sidebar of panes, menus, the lecture toolbar, the status bar, persisted preferences.

Each concern lives in a part of its own under explorer/ui/window/ (panes, menus, view settings, sessions
and export, lecture scenes); this module lays the window out and runs its start-up and shutdown.
"""
from __future__ import annotations

import sys
import threading

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QHBoxLayout, QMainWindow, QVBoxLayout, QWidget

from explorer import APP_NAME
from explorer.engine import Engine
from explorer.models.paths import resources_dir
from explorer.ui.about import TipsBanner
from explorer.ui.presenter import CaptionBar, PresenterMode
from explorer.ui.settings import open_settings
from explorer.ui.status import EngineStatusBar
from explorer.ui.window.files import SessionsAndExport
from explorer.ui.window.menus import MenusAndActions
from explorer.ui.window.panes import PaneSwitching
from explorer.ui.window.scenes import LectureScenes
from explorer.ui.window.view import ViewSettings

# Sessions, scenes, export and the About box are imported when first used: with
# their json/dataclass/metadata imports they would add ~30% to the time before
# the window first paints.

# What the plot panes import, imported on a background thread once the window has painted and built its
# first pane: opening the first plot pane then does not stall the GUI thread for them (0.4-1.1 s cold).
# Neither creates a QObject or widget at import (pyqtgraph builds only QPainterPath/QTransform values).
PLOT_MODULES = ("numpy", "pyqtgraph")
PRELOAD_DELAY_MS = 300


class MainWindow(PaneSwitching, MenusAndActions, ViewSettings, SessionsAndExport, LectureScenes, QMainWindow):
    pane_changed = Signal(str)
    font_scale_changed = Signal(float)
    scene_changed = Signal(int)

    def __init__(self, engine: Engine | None = None, host=None) -> None:  # noqa: ANN001
        super().__init__()
        self.setWindowTitle(APP_NAME)
        icon = resources_dir() / "icons" / "llm-explorer.png"
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))
        self.settings = open_settings()
        # the worker waits until the window has painted (see Engine.warm_up)
        # (started by _after_first_paint; after 3 s by itself if the window never paints)
        # host: a running model host to use (tests share one); by default the engine starts its own
        self.engine = engine or Engine(parent=self, hold_until_warm_up_s=3.0, host=host)
        self._base_point_size = QApplication.font().pointSizeF()
        self.font_scale = 1.0
        self.theme = "normal"
        self.dark_theme = False
        # the last message shown in a dialog or the status bar (what a user read; tests check it)
        self.last_message = ""
        self._init_panes()

        self.tips_banner = TipsBanner()
        self.tips_banner.dismissed.connect(lambda: self.settings.setValue("tips/seen", True))
        self.tips_banner.more_requested.connect(self.show_tips)
        self.caption_bar = CaptionBar()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.tips_banner)
        right_layout.addWidget(self.stack, 1)
        right_layout.addWidget(self.caption_bar)

        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(right, 1)
        self.setCentralWidget(central)
        self.status = EngineStatusBar(self.engine)
        self.setStatusBar(self.status)

        self.presenter = PresenterMode(self)
        self._deck = None  # read on first use or right after the first paint
        self.scene_index = -1
        self.scene_problem: str | None = None
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        # the parts of the window outside the panes, with the style sheet each has of its own
        self._chrome = [(w, w.styleSheet()) for w in (self.sidebar, self.menuBar(), self.lecture_toolbar,
                                                     self.tips_banner, self.status, self.caption_bar,
                                                     self._loading)]
        self.presenter.toggled.connect(self.presenter_action.setChecked)
        self.presenter.toggled.connect(self.leave_presenter_action.setEnabled)
        self._restore_preferences()
        self._maybe_show_first_run_tips()

    def _after_first_paint(self) -> None:
        row, self._pending_row = self._pending_row, None
        if row is not None and self.isVisible() and self.sidebar.currentRow() == row:
            self._show_row(row)
        if self._deck is None:
            self._load_initial_scenes()
        self.engine.warm_up()
        QTimer.singleShot(PRELOAD_DELAY_MS, preload_plot_modules)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        self.presenter.exit()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        self.engine.shutdown()
        super().closeEvent(event)


def preload_plot_modules() -> threading.Thread | None:
    """Import PLOT_MODULES on a daemon thread unless they are imported already; returns the thread."""
    missing = [name for name in PLOT_MODULES if name not in sys.modules]
    if not missing:
        return None
    thread = threading.Thread(target=_import_quietly, args=(missing,), name="preload-plot-modules", daemon=True)
    thread.start()
    return thread


def _import_quietly(names: list[str]) -> None:
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the pane that needs it imports it again and says what is wrong
            return
