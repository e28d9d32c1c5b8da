"""Presenter mode and the high-contrast themes: readable from the back row of a classroom.

Presenter mode goes full screen, hides the sidebar, menus, toolbar and the
device label, grows every font (each pane rescales its plots through
`Pane.apply_view_settings`), switches to a high-contrast theme and shows the
current lecture scene's caption in a bar at the bottom. Leaving it puts
everything back exactly as it was.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QByteArray, QEvent, QObject, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QStyleFactory

from explorer.ui.settings import read_float, read_str

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

PRESENTER_SCALES = (1.3, 1.5, 1.75, 2.0, 2.25, 2.5)
# 1.5 x 11 pt = 16.5 pt (22 px): readable from the back of a room, and the dense plots still fit 1920x1080
DEFAULT_PRESENTER_SCALE = 1.5
THEME_TITLES = {"normal": "Normal", "light": "High contrast, light", "dark": "High contrast, dark"}

# (window, text, base, alternate base, button, highlight, highlighted text, link, mid, placeholder)
_COLOURS = {
    "light": ("#ffffff", "#000000", "#ffffff", "#eeeeee", "#f2f2f2", "#0033cc", "#ffffff", "#0033cc", "#555555",
              "#444444"),
    "dark": ("#000000", "#ffffff", "#101010", "#1e1e1e", "#1a1a1a", "#ffd400", "#000000", "#7cc7ff", "#aaaaaa",
             "#bbbbbb"),
}

_STYLE = """
QWidget {{ color: {fg}; }}
QPushButton, QToolButton {{ border: 2px solid {fg}; border-radius: 6px; padding: 5px 12px;
    background: {button}; color: {fg}; }}
QPushButton:hover, QToolButton:hover {{ background: {alt}; }}
QPushButton:checked, QPushButton:pressed, QToolButton:checked {{ background: {hl}; color: {hltext}; }}
QPushButton:disabled, QToolButton:disabled {{ border-color: {mid}; color: {mid}; }}
QLineEdit, QPlainTextEdit, QTextEdit, QTextBrowser, QComboBox, QSpinBox, QDoubleSpinBox, QListView, QListWidget,
QTableView, QTableWidget, QTreeView {{ border: 2px solid {fg}; background: {base}; color: {fg};
    selection-background-color: {hl}; selection-color: {hltext}; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QComboBox:focus, QSpinBox:focus {{ border: 3px solid {hl}; }}
QComboBox {{ padding: 3px 8px; }}
QHeaderView::section {{ background: {button}; color: {fg}; border: 1px solid {fg}; padding: 4px; font-weight: bold; }}
QTabBar::tab {{ border: 2px solid {fg}; padding: 6px 14px; background: {button}; color: {fg}; }}
QTabBar::tab:selected {{ background: {hl}; color: {hltext}; }}
QSlider::groove:horizontal {{ height: 8px; background: {mid}; border-radius: 4px; }}
QSlider::handle:horizontal {{ width: 24px; margin: -9px 0; border-radius: 12px; background: {hl};
    border: 2px solid {fg}; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 20px; height: 20px; border: 2px solid {fg};
    background: {base}; }}
QRadioButton::indicator {{ border-radius: 12px; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {hl}; border: 4px double {fg}; }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {mid}; }}
QScrollBar:vertical {{ width: 18px; }} QScrollBar:horizontal {{ height: 18px; }}
QToolTip {{ background: {base}; color: {fg}; border: 2px solid {fg}; }}
"""

# on the bar itself, so the normal theme needs no application-wide style sheet
_CAPTION_STYLE = "QFrame#caption_bar { background: palette(highlight); } " \
                 "QLabel { color: palette(highlighted-text); background: transparent; }"

_original: dict[str, object] = {}
_current = {"theme": "normal"}
_propagation = {"on": False}


def theme_sheet(theme: str) -> str:
    """The style sheet of a theme ("" for the normal one).

    It is set on each part of the window (a pane's scroll area, the caption bar, ...), never on the
    application: an application-wide sheet is re-polished over every widget of every pane at once
    (1,600 widgets with all panes open: 2-3 s on a 2-core machine, the F5 freeze). A pane that is
    not on screen gets it when it is next shown (MainWindow.ensure_styled).
    """
    if theme not in _COLOURS:
        return ""
    window, fg, base, alt, button, hl, hltext, link, mid, placeholder = _COLOURS[theme]
    return _STYLE.format(fg=fg, base=base, alt=alt, button=button, hl=hl, hltext=hltext, mid=mid)


def enable_sheet_font_propagation() -> None:
    """Let a new application font reach widgets that have a style sheet (their own or a parent's).

    By default Qt gives such a widget its font once, when it is polished, and ignores later
    QApplication.setFont calls: text under a themed pane (or a label with its own colour sheet)
    would keep its old size. Done at the first font or theme change, not at start-up (it builds
    the Qt namespace's enums, which the first paint must not wait for).
    """
    if not _propagation["on"]:
        _propagation["on"] = True
        QApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_UseStyleSheetPropagationInWidgetStyles)


def apply_theme(theme: str) -> None:
    """Switch the application's palette (and style) to "normal", "light" or "dark".

    The palette reaches every widget cheaply; the theme's style sheet (borders, indicators) is
    applied per part of the window: see `theme_sheet`.
    """
    app = QApplication.instance()
    if app is None or theme == _current["theme"]:
        return
    _current["theme"] = theme
    if not _original:
        _original["palette"] = QPalette(app.palette())
        _original["style"] = app.style().name()
    if theme not in _COLOURS:
        _set_style(app, str(_original["style"]))
        app.setPalette(_original["palette"])
        return
    enable_sheet_font_propagation()
    window, fg, base, alt, button, hl, hltext, link, mid, placeholder = _COLOURS[theme]
    # Fusion honours the palette on every platform (the native Windows/macOS styles partly ignore it)
    if "fusion" in [k.lower() for k in QStyleFactory.keys()]:
        _set_style(app, "Fusion")
    palette = QPalette()
    roles = {QPalette.ColorRole.Window: window, QPalette.ColorRole.WindowText: fg, QPalette.ColorRole.Base: base,
             QPalette.ColorRole.AlternateBase: alt, QPalette.ColorRole.Text: fg, QPalette.ColorRole.Button: button,
             QPalette.ColorRole.ButtonText: fg, QPalette.ColorRole.BrightText: hl,
             QPalette.ColorRole.Highlight: hl, QPalette.ColorRole.HighlightedText: hltext,
             QPalette.ColorRole.Link: link, QPalette.ColorRole.LinkVisited: link,
             QPalette.ColorRole.ToolTipBase: base, QPalette.ColorRole.ToolTipText: fg,
             QPalette.ColorRole.PlaceholderText: placeholder, QPalette.ColorRole.Mid: mid,
             QPalette.ColorRole.Dark: mid, QPalette.ColorRole.Light: alt}
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(mid))
    app.setPalette(palette)


def _set_style(app: QApplication, name: str) -> None:
    # setStyle re-polishes every widget even when the style is the same one (Fusion on Linux already)
    if app.style().name().lower() != name.lower():
        app.setStyle(name)


class CaptionBar(QFrame):
    """The strip at the bottom of the screen in presenter mode: scene number, title and caption."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("caption_bar")
        self.setAutoFillBackground(True)
        self.setStyleSheet(_CAPTION_STYLE)
        self.text = QLabel()
        self.text.setObjectName("caption_text")
        self.text.setWordWrap(True)
        self.hint = QLabel("PgDn next · PgUp back · Esc leave")
        self.hint.setObjectName("caption_hint")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(18, 8, 18, 8)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.hint)  # right of the stretching caption, centred vertically
        self.hide()

    def show_text(self, html_text: str) -> None:
        self.text.setText(html_text)


class PresenterMode(QObject):
    toggled = Signal(bool)

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self._saved: dict[str, object] = {}
        settings = window.settings
        self.font_scale = read_float(settings, "presenter/font_scale", DEFAULT_PRESENTER_SCALE)
        self.theme = read_str(settings, "presenter/theme", "light")
        if self.theme not in ("light", "dark"):
            self.theme = "light"

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale
        self.window.settings.setValue("presenter/font_scale", scale)
        if self.active:
            self.window.set_font_scale(scale, persist=False)

    def set_theme(self, theme: str) -> None:
        self.theme = theme
        self.window.settings.setValue("presenter/theme", theme)
        if self.active:
            self.window.set_theme(theme, persist=False)

    def toggle(self) -> None:
        self.exit() if self.active else self.enter()

    def enter(self, full_screen: bool = True) -> None:
        """Full screen (or, for tests and screenshots, just the window as it is sized)."""
        if self.active:
            return
        w = self.window
        self._saved = {"font_scale": w.font_scale, "theme": w.theme, "geometry": QByteArray(w.saveGeometry()),
                       "state": w.windowState(), "sidebar": w.sidebar.isVisibleTo(w),
                       "menubar": w.menuBar().isVisibleTo(w), "toolbar": w.lecture_toolbar.isVisibleTo(w),
                       "tips": w.tips_banner.isVisibleTo(w), "device": w.status.device.isVisibleTo(w.status)}
        self.active = True
        for widget in (w.sidebar, w.menuBar(), w.lecture_toolbar, w.tips_banner, w.status.device):
            widget.hide()
        # shown first: a hidden widget takes a new font only when it is shown, the caption must have it now
        w.caption_bar.show()
        w.update_caption()
        w.set_view(self.theme, self.font_scale, persist=False)
        # the status bar only while something loads or runs: every pixel row counts on a projector
        self._saved["statusbar"] = w.status.isVisibleTo(w)
        w.status.setVisible(not w.engine.is_idle())
        w.engine.busy_changed.connect(self._on_busy)
        if full_screen:
            w.showFullScreen()
        QApplication.instance().installEventFilter(self)
        self.toggled.emit(True)

    def exit(self) -> None:
        if not self.active:
            return
        w = self.window
        QApplication.instance().removeEventFilter(self)
        w.engine.busy_changed.disconnect(self._on_busy)
        self.active = False
        saved = self._saved
        w.caption_bar.hide()
        w.set_view(str(saved["theme"]), float(saved["font_scale"]), persist=False)
        w.sidebar.setVisible(bool(saved["sidebar"]))
        w.menuBar().setVisible(bool(saved["menubar"]))
        w.lecture_toolbar.setVisible(bool(saved["toolbar"]))
        w.tips_banner.setVisible(bool(saved["tips"]))
        w.status.device.setVisible(bool(saved["device"]))
        w.status.setVisible(bool(saved["statusbar"]))
        if w.isFullScreen() and not saved["state"] & QtCore.Qt.WindowState.WindowFullScreen:
            w.showNormal()
        w.setWindowState(saved["state"])
        w.restoreGeometry(saved["geometry"])
        self.toggled.emit(False)

    def _on_busy(self, busy: bool, title: str = "") -> None:
        self.window.status.setVisible(busy)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        # A presentation clicker sends Page Down / Page Up: step scenes even while a
        # text box has the focus (it would otherwise scroll the text).
        # isinstance first: this sees every event of the application, and event.type() builds an enum each call
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress and not event.modifiers():
            if event.key() == QtCore.Qt.Key.Key_PageDown:
                self.window.next_scene()
                return True
            if event.key() == QtCore.Qt.Key.Key_PageUp:
                self.window.previous_scene()
                return True
        return False
