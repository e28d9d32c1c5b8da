"""What the window loads before its first paint: the start-up budget in `make bench` depends on it.

Everything listed here is needed only later (a model job, a pane, a dialog), and
each one costs 10-50 ms before the window could appear. Qt's `Qt` namespace alone
builds ~100 enum classes when first touched, a third of a bare window's start-up.
"""
import json
import os
import subprocess
import sys

PROBE = r"""
import json, sys
from explorer.ui.application import make_application
app = make_application([])
from explorer.ui.main_window import MainWindow
window = MainWindow()
import PySide6.QtCore as core
loaded = sorted(name for name in json.loads(sys.argv[1]) if name in sys.modules)
print(json.dumps({"loaded": loaded, "qt_namespace_built": "Qt" in core.__dict__}))
window.engine.shutdown(5000)
"""

NOT_BEFORE_FIRST_PAINT = ["torch", "transformers", "numpy", "pyqtgraph", "importlib.metadata", "explorer.host.client",
                          "explorer.models.store", "explorer.ui.export", "explorer.ui.session",
                          "explorer.ui.scenes", "explorer.core.session_schema", "explorer.ui.attention.pane",
                          "explorer.ui.embeddings.pane"]


def test_the_window_is_built_without_models_plots_dialogs_or_the_qt_namespace(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LLM_EXPLORER_SETTINGS": str(tmp_path / "s.ini")}
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(NOT_BEFORE_FIRST_PAINT)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert report["qt_namespace_built"] is False


PRELOAD_PROBE = r"""
import gc, json
from PySide6.QtCore import QObject, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QWidget
messages = []
qInstallMessageHandler(lambda mode, context, text: messages.append(text))
app = QApplication([])
window = QWidget()
window.show()
app.processEvents()
from explorer.ui.main_window import PLOT_MODULES, preload_plot_modules
preload_plot_modules().join(120)
import sys
other_thread = [type(o).__name__ for o in gc.get_objects() if isinstance(o, QObject) and o.thread() is not app.thread()]
print(json.dumps({"imported": [name for name in PLOT_MODULES if name in sys.modules], "other_thread": other_thread,
                  "widgets": len(QApplication.allWidgets()), "messages": messages}))
"""


def test_the_plot_modules_import_off_the_gui_thread_without_making_qt_objects(tmp_path):
    # the window imports numpy and pyqtgraph on a background thread after its first paint: safe only while
    # importing them creates no QObject (it would live on that thread) and no widget
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LLM_EXPLORER_SETTINGS": str(tmp_path / "s.ini")}
    out = subprocess.run([sys.executable, "-c", PRELOAD_PROBE], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report == {"imported": ["numpy", "pyqtgraph"], "other_thread": [], "widgets": 1, "messages": []}


AFTER_PAINT_PROBE = r"""
import sys, time
from explorer.ui.application import make_application
app = make_application([])
from explorer.ui.main_window import MainWindow
window = MainWindow()
window.show()
end = time.monotonic() + 60
while "pyqtgraph" not in sys.modules and time.monotonic() < end:
    app.processEvents()
    time.sleep(0.01)
print(window.current_pane().pane_id, "pyqtgraph" in sys.modules, flush=True)
window.close()
"""


def test_after_the_first_paint_the_window_imports_the_plot_modules_by_itself(tmp_path):
    settings = tmp_path / "s.ini"
    settings.write_text("[window]\nlast_pane=tokenizers\n", encoding="utf-8")  # a pane without plots
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LLM_EXPLORER_SETTINGS": str(settings)}
    out = subprocess.run([sys.executable, "-c", AFTER_PAINT_PROBE], env=env, capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["tokenizers", "True"]
