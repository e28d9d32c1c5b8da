"""Run something once, right when a widget has painted for the first time."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class _FirstPaint(QObject):
    def __init__(self, widget: QWidget, then: Callable[[], object]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._then = then
        widget.installEventFilter(self)

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Paint:
            self._widget.removeEventFilter(self)
            self._then()
        return False


def on_first_paint(widget: QWidget, then: Callable[[], object]) -> QObject:
    """Call `then()` inside the widget's first paint event (keep it short: defer real work with a timer).

    The returned filter is parented to `widget`, so it lives as long as the widget.
    """
    return _FirstPaint(widget, then)
