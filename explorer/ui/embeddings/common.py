"""Small pieces shared by the Embeddings tabs: coloured number tables, word/cosine results, messages, the tab base
class."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QWidget

from explorer.ui.pane import ExportTarget

if TYPE_CHECKING:  # numpy loads with the first matrix: the first tab shown (bag of words) opens without it
    import numpy as np

ERROR_STYLE = "color: #c62828; font-weight: bold;"


class MessageLabel(QLabel):
    """One line under the inputs: what is happening, or what went wrong (in red)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.is_error = False

    def info(self, text: str) -> None:
        self.is_error = False
        self.setStyleSheet("")
        self.setText(text)

    def error(self, text: str) -> None:
        self.is_error = True
        self.setStyleSheet(ERROR_STYLE)
        self.setText(text)


class MatrixTable(QTableWidget):
    """A small matrix as a table of numbers, each cell shaded by its value (counts, cosines)."""

    def __init__(self) -> None:
        super().__init__()
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.values: np.ndarray | None = None
        self.font_factor = 1.2
        self.row_labels: list[str] = []
        self.col_labels: list[str] = []

    def rescale(self) -> None:
        """Numbers a little larger than the surrounding text: they are what the class reads."""
        from PySide6.QtWidgets import QApplication

        font = QApplication.font()
        font.setPointSizeF(font.pointSizeF() * self.font_factor)
        self.setFont(font)
        self.resizeRowsToContents()

    def show_matrix(self, values: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
                    fmt: str = "{:.2f}", levels: tuple[float, float] | None = None, stretch: bool = True,
                    hide_zeros: bool = False, compact: bool = False) -> None:
        """`compact` writes 0.85 as .85 so that many columns still fit."""
        import numpy as np

        values = np.asarray(values)
        self.values = values
        self.row_labels, self.col_labels = list(row_labels), list(col_labels)
        self.clear()
        rows, cols = values.shape
        self.setRowCount(rows)
        self.setColumnCount(cols)
        self.setHorizontalHeaderLabels(self.col_labels)
        self.setVerticalHeaderLabels(self.row_labels)
        lo, hi = levels if levels is not None else (min(0.0, float(values.min(initial=0))), float(values.max(initial=1)))
        span = (hi - lo) or 1.0
        for i in range(rows):
            for j in range(cols):
                value = float(values[i, j])
                text = "" if hide_zeros and value == 0 else fmt.format(value)
                if compact and text:
                    text = compact_number(text)
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                strength = max(0.0, min(1.0, (value - lo) / span))
                item.setBackground(QColor(int(255 - 150 * strength), int(255 - 110 * strength), 255))
                item.setForeground(QColor("black"))
                self.setItem(i, j, item)
        self.rescale()
        header = self.horizontalHeader()
        mode = QHeaderView.ResizeMode.Stretch if stretch else QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(mode)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def clear_matrix(self) -> None:
        """No matrix: an empty table (and nothing to export) instead of numbers that no longer apply."""
        self.values = None
        self.row_labels, self.col_labels = [], []
        self.clear()
        self.setRowCount(0)
        self.setColumnCount(0)

    def cell_text(self, row: int, col: int) -> str:
        item = self.item(row, col)
        return item.text() if item else ""

    def export_data(self) -> dict:
        if self.values is None:
            return {}
        return {"matrix": self.values, "__rows__": self.row_labels, "__columns__": self.col_labels}


class ResultsTable(QTableWidget):
    """Rank, word, cosine: the answer of a neighbour or analogy query."""

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["word", "cosine"])
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.rows: list[tuple[str, float]] = []

    def show_results(self, results) -> None:
        self.rows = [(r.word, float(r.score)) for r in results]
        self.setRowCount(len(self.rows))
        for i, (word, score) in enumerate(self.rows):
            self.setItem(i, 0, QTableWidgetItem(word))
            item = QTableWidgetItem(f"{score:.3f}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.setItem(i, 1, item)

    def words(self) -> list[str]:
        return [w for w, _ in self.rows]

    def export_data(self) -> dict:
        return {"results": [[w, s] for w, s in self.rows], "__columns__": ["word", "cosine"]}


def heading(text: str) -> QLabel:
    """A caption above a control: wraps instead of widening the window."""
    label = QLabel(text)
    label.setWordWrap(True)
    return label


def compact_number(text: str) -> str:
    """0.85 -> .85, -0.05 -> -.05, 1.00 -> 1: two-digit cosines in narrow columns."""
    if text in ("-0.00", "0.00", "-.00"):
        return ".00"
    if text.startswith("0."):
        return text[1:]
    if text.startswith("-0."):
        return "-" + text[2:]
    return text[:-3] if text.endswith(".00") else text


def split_words(text: str) -> list[str]:
    """Words typed in a box, separated by spaces, commas or new lines."""
    return [w for w in re.split(r"[\s,;]+", text) if w]


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class EmbeddingTab(QWidget):
    """Base of every tab: the engine, an owner prefix for jobs (model-host operations), and the pane hooks."""

    key = ""
    title = ""

    def __init__(self, engine, pane_id: str) -> None:
        super().__init__()
        self.engine = engine
        self.owner = f"{pane_id}.{self.key}"
        self.result = None  # what the tab's last job returned, for the tabs that keep it (tests wait on it)
        self._activated = False

    def activate(self) -> None:
        """Shown for the first time (or again): start lazy work."""
        if not self._activated:
            self._activated = True
            self.first_activation()

    def first_activation(self) -> None:
        pass

    def state(self) -> dict:
        return {}

    def restore_state(self, state: dict) -> None:
        pass

    def export_targets(self) -> list[ExportTarget]:
        return []

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        pass

    def run_op(self, operation: str, arguments: dict, name: str = "", title: str = "", **callbacks) -> int:
        """Run the model-host operation `operation(**arguments)` as this tab's job (`name`: a sub-job)."""
        owner = f"{self.owner}.{name}" if name else self.owner
        return self.engine.run(operation, arguments, owner=owner, title=title or self.title, **callbacks)


def str_of(state: dict, key: str, default: str = "") -> str:
    value = state.get(key, default)
    return value if isinstance(value, str) else default


def int_of(state: dict, key: str, default: int) -> int:
    value = state.get(key, default)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def float_of(state: dict, key: str, default: float) -> float:
    value = state.get(key, default)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def bool_of(state: dict, key: str, default: bool) -> bool:
    value = state.get(key, default)
    return value if isinstance(value, bool) else default
