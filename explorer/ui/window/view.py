"""The main window's view preferences: theme, text size, device, and what is restored at start-up."""
from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QApplication, QWidget

from explorer.ui.pane import Pane
from explorer.ui.presenter import THEME_TITLES, apply_theme, enable_sheet_font_propagation, theme_sheet
from explorer.ui.settings import read_float, read_str

FONT_SCALES = (0.8, 0.9, 1.0, 1.15, 1.3, 1.5, 1.75, 2.0, 2.5)


class ViewSettings:
    """MainWindow's part that applies and remembers the theme, the text size and the compute device."""

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

