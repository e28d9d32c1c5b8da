"""Start-up: process start to the first painted window, against a bare PySide6 window in the same run."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

BARE_WINDOW = r"""
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
t0 = float(os.environ["T0"])
app = QApplication(sys.argv)
w = QMainWindow(); w.resize(1400, 900)
class F(QObject):
    done = False
    def eventFilter(self, o, e):
        if e.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            print(f"first-paint {time.time() - t0:.4f}", flush=True)
            QTimer.singleShot(0, w.close)
        return False
f = F(); w.installEventFilter(f); w.show(); app.exec()
"""
RUNS = 5


def _measure(cmd: list[str], extra_env: dict[str, str]) -> float:
    env = {**os.environ, **extra_env, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    env["T0"] = env["LLM_EXPLORER_STARTUP_PROBE_T0"] = repr(time.time())
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    for line in out.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1])
    raise RuntimeError(f"no first-paint line: {out.stdout[-500:]} {out.stderr[-1500:]}")


def run() -> list[dict]:
    import tempfile

    # an installed app starts from bytecode: compile ours once, as pip does for
    # PySide6 (PYTHONDONTWRITEBYTECODE would otherwise recompile every run)
    import compileall

    compileall.compile_dir(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "explorer"),
                           quiet=1)
    settings = os.path.join(tempfile.mkdtemp(), "settings.ini")
    app_env = {"LLM_EXPLORER_STARTUP_PROBE": "1", "LLM_EXPLORER_SETTINGS": settings}
    app_times, bare_times = [], []
    for _ in range(RUNS):  # interleaved so machine noise hits both alike
        bare_times.append(_measure([sys.executable, "-c", BARE_WINDOW], {}))
        app_times.append(_measure([sys.executable, "-m", "explorer.ui.application"], app_env))
    app_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
    ratio = app_s / bare_s
    return [
        {"benchmark": "startup", "metric": "app: process start -> first paint (median of 5)", "value": app_s,
         "unit": "s", "budget": "<= 1.0", "ok": app_s <= 1.0},
        {"benchmark": "startup", "metric": "bare PySide6 window (median of 5)", "value": bare_s, "unit": "s",
         "budget": None, "ok": None},
        {"benchmark": "startup", "metric": "app / bare window", "value": ratio, "unit": "x", "budget": "<= 1.5",
         "ok": ratio <= 1.5},
    ]
