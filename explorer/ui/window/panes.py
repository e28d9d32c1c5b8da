"""The window's panes: built on first use, each in a scroll area of the stack, restyled when shown."""
from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6 import QtWidgets
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QStackedWidget, QWidget

from explorer.ui.first_paint import on_first_paint
from explorer.ui.pane import Pane
from explorer.ui.pane_list import PANES, PaneSpec
from explorer.ui.presenter import theme_sheet

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow


class _LazyPanes(Mapping):
    """pane id -> Pane, building each pane the first time it is asked for."""

    def __init__(self, window: MainWindow) -> None:
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


class PaneSwitching:
    """MainWindow's part that owns the sidebar, the stack of panes, `pane_specs` and `panes`."""

    def _init_panes(self) -> None:
        """The sidebar lists every pane of pane_list.PANES; none is built yet."""
        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setFixedWidth(210)
        self.stack = QStackedWidget()
        self._loading = QLabel("Loading…")
        self._loading.setStyleSheet("qproperty-alignment: AlignCenter;")
        self.stack.addWidget(self._loading)
        # Panes are built on first use: their modules import pyqtgraph, which
        # would otherwise double the time to the first painted window.
        self.pane_specs: dict[str, PaneSpec] = {spec.pane_id: spec for spec in PANES}
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
        self.stack.currentChanged.connect(self._stack_changed)

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

