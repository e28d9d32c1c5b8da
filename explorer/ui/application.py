"""Creates the QApplication and the main window."""
from __future__ import annotations

import os
import sys
import time

from explorer import APP_NAME, DESKTOP_NAME

_T0 = time.perf_counter()
BASE_POINT_SIZE = 11.0


def make_application(argv: list[str] | None = None):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    # matches StartupWMClass in packaging/llm-explorer.desktop
    app.setDesktopFileName(DESKTOP_NAME)
    font = app.font()
    if font.pointSizeF() < BASE_POINT_SIZE:
        # Qt's default (~9 pt) is too small to read on a projector
        font.setPointSizeF(BASE_POINT_SIZE)
        app.setFont(font)
    return app


def run_gui(argv: list[str] | None = None) -> int:
    app = make_application(argv)
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    if os.environ.get("LLM_EXPLORER_STARTUP_PROBE"):
        _install_startup_probe(window)
    window.show()
    code = app.exec()
    # The worker normally stops within its timeout. If a model call could not be
    # interrupted, leave now rather than hang: settings are already saved and
    # caches are written atomically, so nothing is lost.
    if window.engine.running:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _install_startup_probe(window) -> None:
    """For `make bench`: print seconds from process start to the first painted frame, then quit."""
    from PySide6.QtCore import QTimer

    from explorer.ui.first_paint import on_first_paint

    start = float(os.environ.get("LLM_EXPLORER_STARTUP_PROBE_T0", "0")) or None

    def report() -> None:
        now = time.time()
        print(f"first-paint {now - start if start else time.perf_counter() - _T0:.4f}", flush=True)
        QTimer.singleShot(0, window.close)

    on_first_paint(window, report)


if __name__ == "__main__":
    sys.exit(run_gui())
