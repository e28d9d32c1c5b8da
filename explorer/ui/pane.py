"""The base class every topic pane derives from, and what a pane offers File > Export.

The window lists the panes from explorer/ui/pane_list.py.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtWidgets import QWidget

from explorer.engine import Engine


@dataclass
class ExportTarget:
    """Something a pane can export: a plot (PNG at 2x, SVG, clipboard) and the data behind it.

    `data()` returns {name: array-like}: 1-D/2-D numeric arrays are written as
    CSV and NPY; a list of rows (lists) is written as CSV.
    `row_labels` / `column_labels` (optional, inside the same dict under
    "__rows__" / "__columns__") label the CSV.
    """

    name: str
    widget: QWidget
    data: Callable[[], dict[str, Any]] | None = None


class Pane(QWidget):
    """One topic of the lecture. Subclasses set the class attributes and build their UI.

    Panes never run models themselves: they submit jobs to `self.engine` with
    owner names starting with `self.pane_id`, and paint what comes back.
    """

    # the same id and title as the pane's line in explorer/ui/pane_list.py (tests/ui/test_main_window.py checks)
    pane_id: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine

    # --- presets: one click each, also used by `llm-explorer screenshot --preset` ---
    def presets(self) -> list[str]:
        return []

    def apply_preset(self, name: str) -> None:
        raise KeyError(f"{self.title} has no preset '{name}'")

    # --- sessions: everything the user typed and chose, as JSON-safe values ---
    def state(self) -> dict:
        return {}

    def restore_state(self, state: dict) -> None:
        """Apply a state produced by `state()`; ignore keys it does not know."""

    # --- export and presentation ---
    def export_targets(self) -> list[ExportTarget]:
        """What File > Export offers for this pane, the currently shown plot first."""
        return []

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        """Presenter mode / font scale / theme changed: grow plot fonts, ticks and lines.

        Qt widgets follow the application font by themselves; plots (pyqtgraph
        axes, painted chips, heatmap labels) must be rescaled here.
        """

    # --- lifecycle ---
    def activated(self) -> None:
        """The pane became visible: start lazy work here, not in __init__."""

    def is_busy(self) -> bool:
        """True while this pane waits for engine jobs (screenshots wait for False)."""
        return any(owner.startswith(self.pane_id) for owner in self.engine.pending_owners())
