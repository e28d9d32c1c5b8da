"""Start-up: process start to the first painted window, against a bare PySide6 window in the same run;
then the GUI thread's stall when a plot pane is opened for the first time after start-up."""
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

# The app as a user starts it on the Tokenizers pane, reads for IDLE_S seconds, then opens a plot pane.
# PRELOAD False: the window does not import numpy/pyqtgraph in the background after its first paint.
FIRST_PLOT_PANE = r"""
import time
from explorer.ui.application import make_application
app = make_application([])
import explorer.ui.main_window as main_window
if not PRELOAD:
    main_window.PLOT_MODULES = ()
window = main_window.MainWindow()
window.show()


def longest_gap(seconds, since=None):
    # the longest the GUI thread could not serve events in the next `seconds` (since: a gap already open)
    gap, last, end = 0.0, since, time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        now = time.perf_counter()
        if last is not None:
            gap = max(gap, now - last)
        last = now
        time.sleep(0.002)
    return gap


while window.current_pane() is None:  # the first paint, then the Tokenizers pane is built
    app.processEvents()
reading = longest_gap(IDLE_S)
clicked = time.perf_counter()
window.show_pane(PANE)
opening = longest_gap(2.0, since=clicked)  # building the pane and its first tab, painting, submitting its job
print(f"first-open {opening:.4f} {reading:.4f}", flush=True)
window.engine.cancel()
window.close()
"""
IDLE_S = 3.0


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
        *_first_plot_pane_rows(settings),
    ]


def _first_plot_pane_rows(settings: str) -> list[dict]:
    """Opening each plot pane after start-up, with and without the window's background pre-import."""
    env = {"LLM_EXPLORER_SETTINGS": settings}
    rows = []
    for pane in ("embeddings", "attention", "image-text"):
        runs: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
        for _ in range(RUNS):  # interleaved so machine noise hits both alike
            for preload in (False, True):
                code = f"PRELOAD = {preload}\nPANE = {pane!r}\nIDLE_S = {IDLE_S}\n" + FIRST_PLOT_PANE
                runs[preload].append(_first_open(code, env))
        for preload in (False, True):
            what = "numpy + pyqtgraph imported in the background after the first paint" if preload else \
                "no background import"
            stall = statistics.median(r[0] for r in runs[preload])
            rows.append({"benchmark": "startup", "metric": f"{pane}: opened {IDLE_S:g} s after start-up, longest "
                         f"GUI-thread stall ({what}; median of {RUNS})", "value": stall, "unit": "s",
                         "budget": "<= 0.3", "ok": stall <= 0.3})
            gap = statistics.median(r[1] for r in runs[preload])
            rows.append({"benchmark": "startup", "metric": f"longest GUI-thread stall in the {IDLE_S:g} s before "
                         f"({what}; median of {RUNS})", "value": gap, "unit": "s", "budget": None, "ok": None})
    return rows


def _first_open(code: str, extra_env: dict[str, str]) -> tuple[float, float]:
    with open(extra_env["LLM_EXPLORER_SETTINGS"], "w", encoding="utf-8") as fh:  # each run starts on Tokenizers
        fh.write("[window]\nlast_pane=tokenizers\n")
    env = {**os.environ, **extra_env, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300,
                         cwd=root)
    for line in out.stdout.splitlines():
        if line.startswith("first-open "):
            stall, gap = line.split()[1:]
            return float(stall), float(gap)
    raise RuntimeError(f"no first-open line: {out.stdout[-500:]} {out.stderr[-1500:]}")
