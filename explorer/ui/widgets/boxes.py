"""Layout shorthands the panes' views share: a column of widgets, a row of labelled controls, two panes side by side.

Every view used to spell these out line by line (a QWidget, its QVBoxLayout, zero margins, one
addWidget per child...); one function each keeps the views about what they show.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QHBoxLayout, QLabel, QLayout, QSplitter, QVBoxLayout, QWidget

# A child of a column or row: a widget or a layout, or (widget or layout, stretch factor).
Item = Union[QWidget, QLayout, tuple[Union[QWidget, QLayout], int]]


def _add(layout: QBoxLayout, item: Item) -> None:
    child, stretch = item if isinstance(item, tuple) else (item, 0)
    if isinstance(child, QLayout):
        layout.addLayout(child, stretch)
    else:
        layout.addWidget(child, stretch)


def column_of(*items: Item, margins: tuple[int, int, int, int] = (0, 0, 0, 0)) -> QWidget:
    """A widget holding `items` top to bottom, with no margin of its own (the splitter or tab around it has one)."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.setContentsMargins(*margins)
    for item in items:
        _add(layout, item)
    return widget


def row_of(*items: Item | str | int, end_stretch: bool = False) -> QHBoxLayout:
    """Controls left to right: a str becomes a QLabel, an int a fixed gap of that many pixels.

    `end_stretch` adds a stretch at the end, so the controls keep their size and stay on the left.
    """
    layout = QHBoxLayout()
    for item in items:
        if isinstance(item, str):
            layout.addWidget(QLabel(item))
        elif isinstance(item, int):
            layout.addSpacing(item)
        else:
            _add(layout, item)
    if end_stretch:
        layout.addStretch(1)
    return layout


def side_by_side(left: QWidget, right: QWidget, sizes: Sequence[int] | None = None,
                 stretch: Sequence[int | None] = ()) -> QSplitter:
    """`left` and `right` in a horizontal splitter the user can drag.

    `sizes` are the starting widths; `stretch` the splitter's stretch factor of each side (None: Qt's default),
    which decides who takes the room when the window grows.
    """
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(right)
    for index, factor in enumerate(stretch):
        if factor is not None:
            splitter.setStretchFactor(index, factor)
    if sizes is not None:
        splitter.setSizes(list(sizes))
    return splitter
