"""The main window: a sidebar of panes, menus, the lecture toolbar, the status bar, persisted preferences."""
from __future__ import annotations

import html
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

# `Qt` (the namespace) and the dialogs are reached through their modules only after the
# first paint: PySide builds a class's enum types when the class is first imported, and
# the Qt namespace alone has ~100 (a third of the time to the first painted window)
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QByteArray, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import (QApplication, QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMainWindow,
                               QStackedWidget, QToolBar, QVBoxLayout, QWidget)

from explorer import APP_NAME
from explorer.engine import Engine
from explorer.models.paths import resources_dir
from explorer.ui.about import TipsBanner
from explorer.ui.first_paint import on_first_paint
from explorer.ui.pane import ExportTarget, Pane, PaneSpec, discover_pane_specs
from explorer.ui.presenter import (PRESENTER_SCALES, THEME_TITLES, CaptionBar, PresenterMode, apply_theme,
                                   enable_sheet_font_propagation, theme_sheet)
from explorer.ui.settings import open_settings, read_float, read_str
from explorer.ui.status import EngineStatusBar

if TYPE_CHECKING:
    from explorer.ui.about import TextDialog
    from explorer.ui.scenes import Scene, SceneDeck

# Sessions, scenes, export and the About box are imported when first used: with
# their json/dataclass/metadata imports they would add ~30% to the time before
# the window first paints.

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
    scene_changed = Signal(int)

    def __init__(self, engine: Engine | None = None, host=None) -> None:
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

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(210)
        self.stack = QStackedWidget()
        self._loading = QLabel("Loading…")
        self._loading.setStyleSheet("qproperty-alignment: AlignCenter;")
        self.stack.addWidget(self._loading)
        # Panes are built on first use: their modules import pyqtgraph, which
        # would otherwise double the time to the first painted window.
        self.pane_specs: dict[str, PaneSpec] = {s.pane_id: s for s in discover_pane_specs()}
        self.panes = _LazyPanes(self)
        self._holders: dict[str, QWidget] = {}  # pane id -> the scroll area around it
        # pane id -> the (font scale, dark) its plots were last restyled for: a pane that is not on
        # screen is restyled when it is next shown (ensure_styled), so F5 only waits for the visible one
        self._pane_view: dict[str, tuple[float, bool]] = {}
        for spec in self.pane_specs.values():
            item = QListWidgetItem(spec.title)
            item.setToolTip(spec.summary)
            self.sidebar.addItem(item)
        self.sidebar.currentRowChanged.connect(self._show_row)
        self._painted = False
        self._pending_row: int | None = None

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
        self._deck: SceneDeck | None = None  # read on first use or right after the first paint
        self.scene_index = -1
        self.scene_problem: str | None = None
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        # the parts of the window outside the panes, with the style sheet each has of its own
        self._chrome = [(w, w.styleSheet()) for w in (self.sidebar, self.menuBar(), self.lecture_toolbar,
                                                     self.tips_banner, self.status, self.caption_bar,
                                                     self._loading)]
        self.stack.currentChanged.connect(self._stack_changed)
        self.presenter.toggled.connect(self.presenter_action.setChecked)
        self.presenter.toggled.connect(self.leave_presenter_action.setEnabled)
        self._restore_preferences()
        self._maybe_show_first_run_tips()

    # --- panes ---
    def pane_ids(self) -> list[str]:
        return list(self.pane_specs)

    def built_panes(self) -> list[Pane]:
        """Panes constructed so far (others are built when first shown)."""
        return list(self.panes.built.values())

    def current_pane(self) -> Pane | None:
        holder = self.stack.currentWidget()
        widget = holder.widget() if isinstance(holder, QtWidgets.QScrollArea) else holder
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
        # A pane wider or taller than the window (a 1280 x 720 projector, presenter
        # text at 2x) scrolls instead of forcing the window past the screen's edges.
        holder = QtWidgets.QScrollArea()
        holder.setWidgetResizable(True)
        holder.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        holder.setWidget(pane)
        self._holders[pane_id] = holder
        self._pane_view[pane_id] = (1.0, False)  # as built; restyled when shown if the view differs
        self.stack.addWidget(holder)
        return pane

    def ensure_styled(self, pane_id: str) -> None:
        """Give a built pane the current theme sheet and font scale, if it does not have them yet."""
        holder, pane = self._holders.get(pane_id), self.panes.built.get(pane_id)
        if holder is None or pane is None:
            return
        sheet = theme_sheet(self.theme)
        if holder.styleSheet() != sheet:
            holder.setStyleSheet(sheet)
        view = (self.font_scale, self.dark_theme)
        if self._pane_view.get(pane_id) != view:
            self._pane_view[pane_id] = view
            self._apply_view_settings_to(pane)

    def _stack_changed(self, _index: int) -> None:
        # _show_row restyles before showing; this catches any other way a pane comes on screen
        pane = self.current_pane()
        if pane is not None:
            self.ensure_styled(pane.pane_id)

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        pane_id = list(self.pane_specs)[row]
        self.settings.setValue("window/last_pane", pane_id)
        if pane_id not in self.panes.built and not self._painted:
            # first paint first: the pane is built once the window has painted (on_first_paint).
            # A zero timer is not enough: it can fire before the first paint, and building a
            # plot-heavy pane (pyqtgraph, torch) then delays the window by seconds.
            self.stack.setCurrentWidget(self._loading)
            self._loading.setText(f"Loading {self.pane_specs[pane_id].title}…")
            self._pending_row = row
            self._painted = True
            on_first_paint(self, lambda: QTimer.singleShot(0, self._after_first_paint))
            return
        pane = self.panes[pane_id]
        self.ensure_styled(pane_id)  # before it is on screen: no frame in the old style
        self.stack.setCurrentWidget(self._holders[pane_id])
        pane.activated()
        self.pane_changed.emit(pane_id)

    def _after_first_paint(self) -> None:
        row, self._pending_row = self._pending_row, None
        if row is not None and self.isVisible() and self.sidebar.currentRow() == row:
            self._show_row(row)
        if self._deck is None:
            self._load_initial_scenes()
        self.engine.warm_up()

    # --- actions, menus, toolbar ---
    def _action(self, text: str, slot, shortcut=None, tip: str = "", checkable: bool = False) -> QAction:  # noqa: ANN001
        action = QAction(text, self, checkable=checkable)
        if shortcut is not None:
            # setShortcuts: setShortcut's overloads build all Qt-namespace enums (~50 ms before the first paint)
            action.setShortcuts([QKeySequence(shortcut)])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        # also on the window itself, so the shortcut works while the menu bar is hidden (presenter mode)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.presenter_action = self._action("&Presenter mode", lambda _=False: self.presenter.toggle(), "F5",
                                             "Full screen, big text, high contrast (F5; Esc leaves)", True)
        self.leave_presenter_action = self._action("Leave presenter mode", lambda: self.presenter.exit(), "Esc")
        self.leave_presenter_action.setEnabled(False)
        self.next_scene_action = self._action("&Next scene", lambda: self.next_scene(), "PgDown",
                                              "Next lecture scene (Page Down)")
        self.previous_scene_action = self._action("&Previous scene", lambda: self.previous_scene(), "PgUp",
                                                  "Previous lecture scene (Page Up)")
        self.save_scene_action = self._action("Save current state as a new &scene…",
                                              lambda: self.save_current_as_scene(), None,
                                              "Add what you see now to the lecture outline")
        self.open_session_action = self._action("&Open session…", lambda: self.open_session(),
                                                QKeySequence.StandardKey.Open)
        self.save_session_action = self._action("&Save session…", lambda: self.save_session(),
                                                QKeySequence.StandardKey.Save)
        self.copy_action = self._action("&Copy plot to clipboard", lambda: self.export_current("clipboard"),
                                        "Ctrl+Shift+C")
        self.export_actions = {
            "png": self._action("Plot as &PNG (2x resolution)…", lambda: self.export_current("png")),
            "svg": self._action("Plot as &SVG…", lambda: self.export_current("svg")),
            "csv": self._action("Data as &CSV…", lambda: self.export_current("csv")),
            "npy": self._action("Data as &NPY…", lambda: self.export_current("npy")),
        }

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_session_action)
        file_menu.addAction(self.save_session_action)
        file_menu.addSeparator()
        export_menu = file_menu.addMenu("&Export")
        for action in self.export_actions.values():
            export_menu.addAction(action)
        export_menu.addSeparator()
        export_menu.addAction(self.copy_action)
        self.export_menu = export_menu
        file_menu.addSeparator()
        open_scenes = QAction("Open a &scene file…", self)
        open_scenes.triggered.connect(lambda: self.open_scene_file())
        file_menu.addAction(open_scenes)
        file_menu.addAction(self.save_scene_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self)
        quit_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Quit)])
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.file_menu = file_menu

        view_menu = self.menuBar().addMenu("&View")
        bigger = self._action("&Larger text", lambda: self.step_font_scale(+1), QKeySequence.StandardKey.ZoomIn)
        smaller = self._action("&Smaller text", lambda: self.step_font_scale(-1), QKeySequence.StandardKey.ZoomOut)
        reset = self._action("&Normal text size", lambda: self.set_font_scale(1.0), "Ctrl+0")
        # Ctrl+= too: the + key unshifted, as in browsers (Linux's standard zoom-in is Ctrl++ only)
        zoom_in = QKeySequence.keyBindings(QKeySequence.StandardKey.ZoomIn)
        if not any(key.toString() == "Ctrl+=" for key in zoom_in):
            bigger.setShortcuts([*zoom_in, QKeySequence("Ctrl+=")])
        for action in (bigger, smaller, reset):
            view_menu.addAction(action)
        view_menu.addSeparator()
        theme_menu = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for theme, title in THEME_TITLES.items():
            action = QAction(title, self, checkable=True)
            action.triggered.connect(lambda checked, t=theme: checked and self.set_theme(t))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[theme] = action
        view_menu.addSeparator()
        view_menu.addAction(self.presenter_action)
        presenter_size = view_menu.addMenu("Presenter text si&ze")
        size_group = QActionGroup(self)
        for scale in PRESENTER_SCALES:
            action = QAction(f"{scale:g}x", self, checkable=True)
            action.setChecked(abs(scale - self.presenter.font_scale) < 1e-6)
            action.triggered.connect(lambda checked, s=scale: checked and self.presenter.set_font_scale(s))
            size_group.addAction(action)
            presenter_size.addAction(action)
        presenter_theme = view_menu.addMenu("Presenter t&heme")
        theme_group = QActionGroup(self)
        for theme in ("light", "dark"):
            action = QAction(THEME_TITLES[theme], self, checkable=True)
            action.setChecked(theme == self.presenter.theme)
            action.triggered.connect(lambda checked, t=theme: checked and self.presenter.set_theme(t))
            theme_group.addAction(action)
            presenter_theme.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.next_scene_action)
        view_menu.addAction(self.previous_scene_action)
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
        tips = QAction("&Tips", self)
        tips.triggered.connect(self.show_tips)
        self.help_menu.addAction(tips)
        about = QAction(f"&About {APP_NAME}", self)
        about.triggered.connect(self.show_about)
        self.help_menu.addAction(about)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Lecture")
        bar.setObjectName("lecture_toolbar")
        bar.setMovable(False)
        # actions without icons: their text is shown (the default style, no enum needed)
        bar.addAction(self.presenter_action)
        bar.addSeparator()
        self.previous_scene_action.setIconText("◀ Previous")
        self.next_scene_action.setIconText("Next ▶")
        bar.addAction(self.previous_scene_action)
        self.scene_combo = QComboBox()
        self.scene_combo.setObjectName("scene_combo")
        self.scene_combo.setMinimumContentsLength(28)
        self.scene_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.scene_combo.setToolTip("Lecture scenes: each opens a pane with its example")
        self.scene_combo.activated.connect(lambda index: self.go_to_scene(index - 1) if index > 0 else None)
        bar.addWidget(self.scene_combo)
        bar.addAction(self.next_scene_action)
        self.save_scene_action.setIconText("Save as scene")
        bar.addAction(self.save_scene_action)
        self.addToolBar(bar)  # at the top
        self.lecture_toolbar = bar

    # --- dialogs and messages ---
    def show_message(self, title: str, text: str, warning: bool = False) -> QtWidgets.QMessageBox:
        """A non-blocking message box (never freezes the window or a test)."""
        self.last_message = text
        box_class = QtWidgets.QMessageBox
        box = box_class(box_class.Icon.Warning if warning else box_class.Icon.Information, title, text,
                        box_class.StandardButton.Ok, self)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def notify(self, text: str) -> None:
        self.last_message = text
        self.status.showMessage(text, 15000)

    def open_model_manager(self) -> None:
        from explorer.ui.model_manager import ModelManagerDialog

        ModelManagerDialog(self.engine, self).exec()

    def show_about(self) -> TextDialog:
        from explorer.ui.about import TextDialog, about_html

        dialog = TextDialog(f"About {APP_NAME}", about_html(), self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_tips(self) -> TextDialog:
        from explorer.ui.about import TextDialog, tips_html

        dialog = TextDialog("Tips", tips_html(), self)
        dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _maybe_show_first_run_tips(self) -> None:
        # offscreen means a screenshot or a test: nobody would read (or dismiss) the banner
        if QtGui.QGuiApplication.platformName() == "offscreen":
            return
        if self.settings.value("tips/seen", False) in (True, "true"):
            return
        self.tips_banner.show()

    # --- preferences ---
    def set_device_preference(self, preference: str) -> None:
        self.settings.setValue("engine/device", preference)
        (self.device_cpu if preference == "cpu" else self.device_auto).setChecked(True)
        self.engine.set_device_preference(preference)

    def set_font_scale(self, scale: float, persist: bool = True) -> None:
        self.set_view(self.theme, scale, persist=False)
        if persist:
            self.settings.setValue("view/font_scale", self.font_scale)

    def step_font_scale(self, direction: int) -> None:
        nearest = min(range(len(FONT_SCALES)), key=lambda i: abs(FONT_SCALES[i] - self.font_scale))
        index = max(0, min(len(FONT_SCALES) - 1, nearest + direction))
        self.set_font_scale(FONT_SCALES[index], persist=not self.presenter.active)

    def set_theme(self, theme: str, persist: bool = True) -> None:
        self.set_view(theme, self.font_scale, persist=False)
        if persist:
            self.settings.setValue("view/theme", theme)

    def set_view(self, theme: str, font_scale: float, persist: bool = True) -> None:
        """Theme and text size together (presenter mode changes both): one restyle of what is on screen."""
        if theme not in THEME_TITLES:
            raise ValueError(f"unknown theme '{theme}'")
        font_scale = max(0.5, min(4.0, font_scale))
        scale_changed = font_scale != self.font_scale
        self.theme = theme
        self.dark_theme = theme == "dark"
        apply_theme(theme)
        self.theme_actions[theme].setChecked(True)
        if scale_changed:
            self.font_scale = font_scale
            enable_sheet_font_propagation()
            font = QtGui.QFont(QApplication.font())
            font.setPointSizeF(self._base_point_size * font_scale)
            QApplication.setFont(font)  # reaches hidden panes' widgets too: cheap, no re-polish
        if persist:
            self.settings.setValue("view/theme", theme)
            self.settings.setValue("view/font_scale", self.font_scale)
        self._restyle_visible()
        if scale_changed:
            self.font_scale_changed.emit(self.font_scale)

    def _restyle_visible(self) -> None:
        """The theme sheet on the window's own parts and the pane on screen; other panes when shown."""
        sheet = theme_sheet(self.theme)
        for widget, own in self._chrome:
            wanted = sheet + own
            if widget.styleSheet() != wanted:
                widget.setStyleSheet(wanted)
        pane = self.current_pane()
        if pane is not None:
            self.ensure_styled(pane.pane_id)

    def event(self, event: QtCore.QEvent) -> bool:  # noqa: D102 - Qt API
        # a dialog of the window's own (message, About, model manager) gets the theme when first shown;
        # a pane's dialogs inherit it from the pane's scroll area
        if getattr(self, "theme", "normal") != "normal" and event.type() == QtCore.QEvent.Type.ChildPolished:
            child = event.child()
            if isinstance(child, QWidget) and child.isWindow() and not child.styleSheet():
                child.setStyleSheet(theme_sheet(self.theme))
        return super().event(event)

    def _apply_view_settings_to(self, pane: Pane) -> None:
        try:
            pane.apply_view_settings(self.font_scale, self.dark_theme)
        except Exception as exc:  # noqa: BLE001 - one pane's bug must not stop the lecture
            self.notify(f"{pane.title} could not resize its plots: {exc}")
        # Table rows keep the height of the font they were created with: give them room for the new one.
        row_height = int(QtGui.QFontMetrics(QApplication.font()).height() * 1.5)
        for table in pane.findChildren(QtWidgets.QTableView):
            table.verticalHeader().setDefaultSectionSize(row_height)
            table.resizeRowsToContents()

    def _default_size(self) -> tuple[int, int]:
        """1400 x 900, or less where the screen is smaller (a 1366 x 768 laptop)."""
        screen = self.screen() or QApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        if available is None or available.isEmpty():
            return 1400, 900
        return min(1400, available.width() * 92 // 100), min(900, available.height() * 92 // 100)

    def _restore_preferences(self) -> None:
        geometry = self.settings.value("window/geometry")
        restored = isinstance(geometry, QByteArray) and not geometry.isEmpty() and self.restoreGeometry(geometry)
        width, height = self._default_size()
        # a geometry saved on another screen (or a headless run) can come back as a
        # sliver; a window that small hides half of every pane
        if not restored or self.width() < width * 2 // 3 or self.height() < height * 2 // 3:
            self.resize(width, height)
        theme = read_str(self.settings, "view/theme", "normal")
        self.set_theme(theme if theme in THEME_TITLES else "normal", persist=False)
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

    # --- sessions ---
    def save_session(self, path: str | os.PathLike | None = None) -> Path | None:
        from explorer.core.session_schema import SessionError
        from explorer.ui.session import SESSION_FILTER, save_session

        if path is None:
            start = read_str(self.settings, "session/last_dir", str(Path.home()))
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save session", str(Path(start) / "session.json"),
                                                  SESSION_FILTER)
            if not path:
                return None
        try:
            written = save_session(self, path)
        except (OSError, SessionError) as exc:
            self.show_message("Cannot save the session", f"The session could not be saved: {exc}", warning=True)
            return None
        self.settings.setValue("session/last_dir", str(written.parent))
        self.notify(f"Session saved to {written}")
        return written

    def open_session(self, path: str | os.PathLike | None = None) -> bool:
        """Open a session file; a bad one is refused with a message and nothing changes."""
        from explorer.core.session_schema import SessionError
        from explorer.ui.session import SESSION_FILTER, open_session

        if path is None:
            start = read_str(self.settings, "session/last_dir", str(Path.home()))
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open session", start, SESSION_FILTER)
            if not path:
                return False
        try:
            session = open_session(self, path)
        except SessionError as exc:
            self.show_message("Cannot open this session", str(exc), warning=True)
            return False
        self.settings.setValue("session/last_dir", str(Path(path).resolve().parent))
        # what was left out (a retired pane) stays readable in the status bar after the box closes
        self.notify(" ".join((f"Session opened from {path}.", *session.notes)))
        return True

    # --- export ---
    def export_current(self, fmt: str, path: str | os.PathLike | None = None,
                       target_name: str | None = None) -> list[Path]:
        """Export the current pane's plot ("png", "svg", "clipboard") or data ("csv", "npy")."""
        from explorer.ui import export as exporting

        pane = self.current_pane()
        targets = pane.export_targets() if pane else []
        if fmt in ("csv", "npy"):
            targets = [t for t in targets if t.data is not None]
        if not targets:
            what = "data" if fmt in ("csv", "npy") else "plot"
            self.show_message("Nothing to export", f"This pane has no {what} to export yet.", warning=True)
            return []
        target = self._pick_target(targets, target_name)
        if target is None:
            return []
        try:
            if fmt == "clipboard":
                exporting.copy_to_clipboard(target.widget)
                self.notify(f"Copied '{target.name}' to the clipboard")
                return []
            if path is None:
                start = Path(read_str(self.settings, "export/last_dir", str(Path.home())))
                name = exporting.default_file_name(pane.pane_id, target.name, fmt)
                path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {target.name}", str(start / name),
                                                      exporting.FORMATS[fmt])
                if not path:
                    return []
            path = Path(path)
            if path.suffix.lower() != f".{fmt}":
                path = path.with_name(path.name + f".{fmt}")
            if fmt == "png":
                written = [exporting.export_png(target.widget, path)]
            elif fmt == "svg":
                written = [exporting.export_svg(target.widget, path, f"{pane.title}: {target.name}")]
            else:
                written = exporting.export_data(target, path, fmt)
        except exporting.ExportError as exc:
            self.show_message("Cannot export", str(exc), warning=True)
            return []
        self.settings.setValue("export/last_dir", str(written[0].parent))
        self.notify("Exported " + ", ".join(p.name for p in written))
        return written

    def _pick_target(self, targets: list[ExportTarget], name: str | None) -> ExportTarget | None:
        if name is not None:
            for target in targets:
                if target.name == name:
                    return target
            self.show_message("Nothing to export", f"This pane has no plot called '{name}'.", warning=True)
            return None
        if len(targets) == 1:
            return targets[0]
        names = [t.name for t in targets]
        chosen, ok = QtWidgets.QInputDialog.getItem(self, "Export", "Which plot?", names, 0, False)
        return targets[names.index(chosen)] if ok else None

    # --- lecture scenes ---
    @property
    def deck(self) -> SceneDeck:
        """The lecture outline (the chosen scene file, else the bundled lecture)."""
        if self._deck is None:
            self._load_initial_scenes()
        return self._deck

    def _load_initial_scenes(self) -> None:
        from explorer.core.session_schema import SessionError
        from explorer.ui.scenes import SceneDeck, default_scenes_path, load_scenes

        chosen = read_str(self.settings, "scenes/file", "")
        for candidate in ([Path(chosen)] if chosen else []) + [default_scenes_path()]:
            try:
                self.set_deck(load_scenes(candidate))
                return
            except SessionError as exc:
                self.notify(f"Lecture scenes not loaded: {exc}")
        self.set_deck(SceneDeck("Lecture", []))

    def set_deck(self, deck: SceneDeck) -> None:
        from explorer.ui.scenes import scene_problem

        self._deck = deck
        self.scene_index = -1
        self.scene_combo.clear()
        self.scene_combo.addItem(f"{deck.title} ({len(deck.scenes)} scenes)")
        for number, scene in enumerate(deck.scenes, 1):
            self.scene_combo.addItem(f"{number}. {scene.title}")
            problem = scene_problem(scene, self.panes, check_preset=False)  # builds no pane
            if problem:
                self.scene_combo.setItemData(number, problem, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.update_caption()

    def open_scene_file(self, path: str | os.PathLike | None = None) -> bool:
        if path is None:
            start = str(self.deck.path.parent) if self.deck.path else str(Path.home())
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a scene file", start, "Scene files (*.json)")
            if not path:
                return False
        from explorer.core.session_schema import SessionError
        from explorer.ui.scenes import load_scenes

        try:
            deck = load_scenes(path)
        except SessionError as exc:
            self.show_message("Cannot open these scenes", str(exc), warning=True)
            return False
        self.set_deck(deck)
        self.settings.setValue("scenes/file", str(Path(path).resolve()))
        self.notify(f"{len(deck.scenes)} scenes loaded from {path}")
        return True

    def current_scene(self) -> Scene | None:
        return self.deck.scenes[self.scene_index] if 0 <= self.scene_index < len(self.deck.scenes) else None

    def next_scene(self) -> str | None:
        if self.scene_index + 1 >= len(self.deck.scenes):
            self.notify("That was the last scene.")
            return None
        return self.go_to_scene(self.scene_index + 1)

    def previous_scene(self) -> str | None:
        if self.scene_index <= 0:
            self.notify("This is the first scene.")
            return None
        return self.go_to_scene(self.scene_index - 1)

    def go_to_scene(self, index: int) -> str | None:
        """Open scene `index` (pane, preset, state, settings); returns the problem shown, or None."""
        from explorer.ui.scenes import scene_problem

        if not 0 <= index < len(self.deck.scenes):
            return None
        self.scene_index = index
        scene = self.deck.scenes[index]
        self.scene_combo.setCurrentIndex(index + 1)
        problem = scene_problem(scene, self.panes)
        if problem is None:
            try:
                pane = self.show_pane(scene.pane)
                if scene.preset:
                    pane.apply_preset(scene.preset)
                if scene.state is not None:
                    pane.restore_state(scene.state)
                if "theme" in scene.settings:
                    self.set_theme(scene.settings["theme"], persist=False)
                if "font_scale" in scene.settings:
                    self.set_font_scale(float(scene.settings["font_scale"]), persist=False)
            except Exception as exc:  # noqa: BLE001 - a broken scene must not end the lecture
                problem = f"Scene '{scene.title}' could not be opened: {exc}"
        self.scene_problem = problem
        if problem:
            self.notify(problem)
        self.update_caption()
        self.scene_changed.emit(index)
        return problem

    def update_caption(self) -> None:
        scene = self.current_scene()
        if scene is None:
            text = f"<b>{html.escape(self.deck.title, quote=False)}</b> — press Page Down for the first scene"
        else:
            text = (f"<b>{self.scene_index + 1} / {len(self.deck.scenes)} · {html.escape(scene.title, quote=False)}</b>"
                    + (f" — {html.escape(scene.caption, quote=False)}" if scene.caption else ""))
            if self.scene_problem:
                text += f"<br><b>⚠ {html.escape(self.scene_problem, quote=False)}</b>"
        self.caption_bar.show_text(text)

    def save_current_as_scene(self, title: str | None = None, caption: str | None = None) -> Path | None:
        """Insert what is shown now as a scene after the current one, and save the scene file."""
        pane = self.current_pane()
        if pane is None:
            return None
        if title is None:
            title, ok = QtWidgets.QInputDialog.getText(self, "Save as a new scene", "Scene title:", text=pane.title)
            if not ok or not title.strip():
                return None
            caption, ok = QtWidgets.QInputDialog.getText(self, "Save as a new scene", "One-line caption for the class:")
            if not ok:
                return None
        from explorer.core.session_schema import SessionError
        from explorer.ui.scenes import Scene, SceneDeck, save_scenes, user_scenes_path

        try:
            from explorer.ui.session import pane_templates

            state = pane_templates(self)[pane.pane_id]
        except SessionError as exc:
            self.show_message("Cannot save the scene", str(exc), warning=True)
            return None
        scene = Scene(title=title.strip()[:120], pane=pane.pane_id, caption=" ".join((caption or "").split()),
                      state=state)
        position = self.scene_index + 1 if self.scene_index >= 0 else len(self.deck.scenes)
        scenes = list(self.deck.scenes)
        scenes.insert(position, scene)
        target = self.deck.path
        if target is None or _is_inside(target, resources_dir()) or not os.access(target.parent, os.W_OK):
            target = user_scenes_path()  # never write into the installed app
        deck = SceneDeck(self.deck.title, scenes)
        try:
            written = save_scenes(deck, target)
        except OSError as exc:
            self.show_message("Cannot save the scene", f"{target} could not be written: {exc}", warning=True)
            return None
        self.set_deck(deck)
        self.settings.setValue("scenes/file", str(written))
        self.scene_index = position
        self.scene_combo.setCurrentIndex(position + 1)
        self.update_caption()
        self.notify(f"Scene '{scene.title}' saved as scene {position + 1} in {written}")
        return written

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.presenter.exit()
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.sync()
        self.engine.shutdown()
        super().closeEvent(event)


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
