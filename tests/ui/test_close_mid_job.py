"""Closing the window while a model runs ends the process promptly and cleanly."""
import subprocess
import sys
import time

DRIVER = r"""
import sys, time
from PySide6.QtCore import QTimer
from explorer.ui import application
from explorer.ui.main_window import MainWindow
from benchmarks.probes import smollm2_512_token_job

def long_job(ctx):
    print("job-running", flush=True)
    ctx.partial("running")
    for _ in range(50):  # far longer than the test waits
        smollm2_512_token_job(ctx)
    return None

original_show = MainWindow.show
def show_and_close_mid_job(self):
    original_show(self)
    def close():
        print("closing", time.time(), flush=True)
        self.close()
    def start():
        # once the job runs, give it 1.5 s to be deep inside loading or running SmolLM2
        self.engine.submit(long_job, owner="test.long", title="Long job",
                           on_partial=lambda _: QTimer.singleShot(1500, close))
    QTimer.singleShot(100, start)
MainWindow.show = show_and_close_mid_job
sys.exit(application.run_gui(["llm-explorer"]))
"""


def test_closing_the_window_mid_job_exits_within_two_seconds(tmp_path):
    env = {**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen",
           "LLM_EXPLORER_SETTINGS": str(tmp_path / "s.ini")}
    with subprocess.Popen([sys.executable, "-c", DRIVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=env) as proc:
        closed_at = None
        job_was_running = False
        for line in proc.stdout:
            job_was_running |= line.startswith("job-running")
            if line.startswith("closing"):
                closed_at = float(line.split()[1])
                break
        try:
            proc.wait(timeout=10)
        finally:
            proc.kill()
        exited_after = time.time() - (closed_at or 0)
        stderr = proc.stderr.read()
    assert closed_at is not None, stderr[-2000:]
    assert job_was_running, "the window closed before the model job started"
    assert exited_after < 2.0, f"process took {exited_after:.2f} s to exit after the window closed"
    assert proc.returncode == 0, stderr[-2000:]
    assert "QThread: Destroyed while thread" not in stderr
