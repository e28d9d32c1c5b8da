"""Run a short function off the GUI thread (reading a file, walking a folder) and get its result back on it.

For work that needs no model: it does not wait behind the engine's jobs. The
function must not touch widgets; its result or exception is delivered on the
GUI thread, and not at all if `parent` was deleted meanwhile.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot


class _Delivery(QObject):
    """Lives on the GUI thread: a signal emitted from the worker thread reaches `_deliver` there (queued)."""

    finished = Signal(bool, object)  # ok, result or exception

    def __init__(self, parent: QObject, on_result: Callable[[Any], None],
                 on_error: Callable[[BaseException], None]) -> None:
        super().__init__(parent)
        self._on_result = on_result
        self._on_error = on_error
        self.finished.connect(self._deliver)

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: object) -> None:
        self.deleteLater()
        if ok:
            self._on_result(value)
        else:
            self._on_error(value)


def run_in_background(fn: Callable[[], Any], on_result: Callable[[Any], None],
                      on_error: Callable[[BaseException], None], parent: QObject, name: str = "background") -> None:
    """Call `fn()` on a new daemon thread; then `on_result(value)` or `on_error(exception)` on the GUI thread."""
    delivery = _Delivery(parent, on_result, on_error)

    def work() -> None:
        try:
            outcome = (True, fn())
        except Exception as exc:  # noqa: BLE001 - handed to on_error on the GUI thread
            outcome = (False, exc)
        try:
            delivery.finished.emit(*outcome)
        except RuntimeError:  # the parent (a closed window) is gone: nobody is waiting
            pass

    threading.Thread(target=work, name=name, daemon=True).start()
