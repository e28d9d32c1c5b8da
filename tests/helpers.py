"""Small helpers shared by several test modules (fixtures built on them live in conftest.py)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def cached_small_model(steps: int = 150) -> Path:
    """A user-cache folder holding a small trained mini-CLIP, trained once and kept in the temp folder.

    Keyed by the model's and the data's source code and the step count, so any change retrains it.
    (The training itself is tested in test_mini_clip.py; here we only need a trained model.)
    """
    import hashlib
    import inspect
    import os
    import shutil
    import tempfile

    from explorer.core import mini_clip, shapes_dataset

    key = hashlib.sha256((inspect.getsource(mini_clip) + inspect.getsource(shapes_dataset) + str(steps))
                         .encode()).hexdigest()[:16]
    root = Path(tempfile.gettempdir()) / "llm-explorer-tests" / f"mini-clip-{key}"
    if not (root / "mini-clip" / "model.safetensors").is_file():
        result = mini_clip.train(mini_clip.TrainConfig.small(steps=steps), evaluate=False)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=root.parent))
        mini_clip.save(result.encoder, staging / "mini-clip")
        try:
            os.replace(staging, root)
        except OSError:  # another test process got there first
            shutil.rmtree(staging, ignore_errors=True)
    return root


def show_pane(qtbot, widget, size: tuple[int, int] = (1500, 950)):
    """Show a pane as the main window would (a sized, visible widget, then activated) and return it."""
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    widget.activated()
    return widget


class RecordingProgress:
    """A Progress that keeps every report and partial result, and can cancel after a number of partials."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.reports: list[tuple[float | None, str]] = []
        self.partials: list = []
        self.cancel_after = cancel_after

    def report(self, fraction, message=""):
        self.reports.append((fraction, message))

    def check(self):
        from explorer.core.progress import Cancelled

        if self.cancel_after is not None and len(self.partials) >= self.cancel_after:
            raise Cancelled()

    def partial(self, value):
        self.partials.append(value)


_SHARED_HOST = None


def shared_host():
    """One model host for the whole test session: models load once, not once per test's window.

    It also serves the misbehaving test operations of tests/host_ops.py. Shut down at the session's end.
    """
    global _SHARED_HOST
    from explorer.host.client import HostClient

    if _SHARED_HOST is None:
        _SHARED_HOST = HostClient(extra_operations=("tests.host_ops",))
    return _SHARED_HOST


def shutdown_shared_host() -> None:
    if _SHARED_HOST is not None:
        _SHARED_HOST.shutdown()


@contextmanager
def app_window(qtbot, show: bool = True) -> Iterator:
    """A MainWindow as the app opens it; on leaving, closed and its engine shut down (as quitting does).

    Two in a row are a restart: the second reads what the first saved in the settings.
    """
    from explorer.ui.main_window import MainWindow

    window = MainWindow(host=shared_host())
    qtbot.addWidget(window)
    if show:
        window.show()
    try:
        yield window
    finally:
        window.close()
        assert window.engine.shutdown(60_000)


def open_session(qtbot, window, path, timeout: int = 30_000) -> bool:
    """File > Open session, waiting as a user does: True once the session is applied, False if it was refused."""
    outcome: list[bool] = []
    window.open_session(path, on_done=outcome.append)
    qtbot.waitUntil(lambda: bool(outcome), timeout=timeout)
    return outcome[0]


def load_session_file(path, templates: dict):
    """A session file read and checked in one call (the window does the two steps on a background thread)."""
    from explorer.core.session_schema import read_session_file, validate_session

    return validate_session(read_session_file(path), templates)


# The start of a script run in a fresh process (`python -c`) to check what the GUI process imports: other
# tests in this process import torch themselves. It defines `app` (offscreen) and `wait(condition, seconds)`.
GUI_PROCESS_PRELUDE = """
import os, sys, time
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication
app = QApplication([])

def wait(condition, seconds=300):
    end = time.monotonic() + seconds
    while not condition():
        app.processEvents()
        if time.monotonic() > end:
            raise SystemExit("timed out")
        time.sleep(0.01)
"""
