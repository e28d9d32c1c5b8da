"""The main window's actions, menus, lecture toolbar, message boxes and small dialogs (About, Tips, models)."""
from __future__ import annotations

from typing import TYPE_CHECKING

# `Qt` (the namespace) and the dialogs are reached through their modules only after the
# first paint: PySide builds a class's enum types when the class is first imported, and
# the Qt namespace alone has ~100 (a third of the time to the first painted window)
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QToolBar

from explorer import APP_NAME
from explorer.ui.presenter import PRESENTER_SCALES, THEME_TITLES

if TYPE_CHECKING:
    from explorer.ui.about import TextDialog


class MenusAndActions:
    """MainWindow's part that builds its actions, menu bar and toolbar, and shows messages and dialogs."""

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
