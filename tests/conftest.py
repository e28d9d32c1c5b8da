"""Shared fixtures: offline, headless, isolated settings, and no leaked threads."""
from __future__ import annotations

import os
import tempfile
import threading

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
_SETTINGS_DIR = tempfile.mkdtemp(prefix="llm-explorer-test-settings-")
os.environ["LLM_EXPLORER_SETTINGS"] = os.path.join(_SETTINGS_DIR, "settings.ini")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves a worker thread running."""
    before = {t.ident for t in threading.enumerate()}
    yield
    from explorer.engine.engine import Engine  # noqa: F401 - ensures module state is importable

    leaked = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
              and not t.daemon and t.name != "MainThread"]
    assert not leaked, f"test left threads running: {[t.name for t in leaked]}"
    _assert_no_running_qthreads()


def _assert_no_running_qthreads() -> None:
    import sys

    if "PySide6.QtCore" not in sys.modules:
        return
    from explorer.engine import engine as engine_module

    running = [w for w in engine_module.live_workers() if w.isRunning()]
    assert not running, f"test left {len(running)} engine worker thread(s) running"


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("LLM_EXPLORER_SETTINGS", str(path))
    return path


def pytest_sessionfinish(session, exitstatus):
    from tests.helpers import shutdown_shared_host

    shutdown_shared_host()


@pytest.fixture
def engine(qtbot):
    """A real engine with its worker thread, on the session's shared model host; shut down after the test."""
    from explorer.engine import Engine
    from tests.helpers import shared_host

    eng = Engine(host=shared_host())
    yield eng
    assert eng.shutdown(60_000), "engine did not stop"


@pytest.fixture
def main_window(qtbot, settings_file):
    from tests.helpers import app_window

    with app_window(qtbot) as window:
        yield window


def wait_for_jobs(qtbot, engine, timeout: int = 120_000) -> None:
    qtbot.waitUntil(engine.is_idle, timeout=timeout)


@pytest.fixture(scope="module")
def trained_cache(tmp_path_factory):
    """A temporary user cache holding a small mini-CLIP trained here (150 steps at the test size)."""
    import shutil

    from tests.helpers import cached_small_model

    root = tmp_path_factory.mktemp("cache")
    shutil.copytree(cached_small_model() / "mini-clip", root / "mini-clip")
    return root


# the real offline models, loaded once per test module through the app's own ModelStore
@pytest.fixture(scope="module")
def model_store():
    from explorer.models.store import ModelStore

    return ModelStore(preference="cpu")


@pytest.fixture(scope="module")
def smollm2(model_store):
    return model_store.get("smollm2", "causal-lm")


@pytest.fixture(scope="module")
def minilm(model_store):
    return model_store.get("minilm", "encoder")


@pytest.fixture(autouse=True)
def _application_font_restored():
    """Each test starts from the application font the previous one found: a window that zoomed or entered
    presenter mode sets the process-wide font, which a real app (one window per process) never reuses."""
    import sys

    app = None
    if "PySide6.QtWidgets" in sys.modules:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance()
    font = app.font() if app is not None else None
    yield
    if font is not None:
        from PySide6.QtWidgets import QApplication

        if QApplication.instance() is app and app.font() != font:
            app.setFont(font)


@pytest.fixture
def local_engine(qtbot):
    """A real engine that runs host operations in this process: monkeypatched paths and Hub functions reach them."""
    from explorer.engine import Engine
    from explorer.models.store import ModelStore

    eng = Engine(store_factory=ModelStore)
    yield eng
    assert eng.shutdown(60_000), "engine did not stop"
