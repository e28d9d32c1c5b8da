"""The installed Qt binding keeps Python's reference counts straight.

PySide6 6.12.0 on Python 3.11 dropped a reference to None on every void call
(QWidget.update, QPainter.save, ...): after a few thousand repaints the
process aborted with "none_dealloc". pyproject.toml excludes that release.
"""
import sys

from PySide6.QtWidgets import QWidget


def test_void_qt_calls_do_not_leak_references_to_none(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)
    before = sys.getrefcount(None)
    for _ in range(2000):
        widget.update()
    assert abs(sys.getrefcount(None) - before) < 50
