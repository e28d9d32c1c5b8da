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

NOT_BEFORE_FIRST_PAINT = ["torch", "transformers", "numpy", "pyqtgraph", "importlib.metadata",
                          "explorer.models.store", "explorer.ui.export", "explorer.ui.session",
                          "explorer.ui.scenes", "explorer.core.session_schema", "explorer.ui.panes.attention",
                          "explorer.ui.panes.embeddings"]


def test_the_window_is_built_without_models_plots_dialogs_or_the_qt_namespace(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LLM_EXPLORER_SETTINGS": str(tmp_path / "s.ini")}
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(NOT_BEFORE_FIRST_PAINT)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["loaded"] == []
    assert report["qt_namespace_built"] is False
