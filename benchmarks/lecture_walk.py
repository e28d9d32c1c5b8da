"""Walk the real window through every lecture scene, then say what each process holds.

Run as a script (`python -m benchmarks.lecture_walk`): offscreen window, its own model host, Page Down
through resources/scenes/lecture.json waiting for each scene's jobs. Prints one JSON line: which heavy
modules the GUI process imported, the RSS of the GUI process and of the host, the host's pid, and any
scene that failed. Used by benchmarks/bench_processes.py and tests/ui/test_process_separation.py.
"""
from __future__ import annotations

import json
import os
import sys
import time

HEAVY = ("torch", "transformers", "tokenizers", "tiktoken", "sentencepiece")


def rss_mb(pid: int | str = "self") -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def maps_torch(pid: int | str) -> bool:
    """Whether the process has torch's shared library mapped (what a look at the process tree sees)."""
    try:
        with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as fh:
            return any("libtorch" in line for line in fh)
    except OSError:
        return False


def walk(scene_timeout_s: float = 240.0) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from explorer.ui.application import make_application
    from explorer.ui.main_window import MainWindow

    app = QApplication.instance() or make_application(["llm-explorer"])
    window = MainWindow()
    window.resize(1600, 1000)
    window.show()
    window.engine.warm_up()
    failures, timings = [], []
    errors: list[str] = []
    window.engine.job_failed.connect(lambda owner, message: errors.append(f"{owner}: {message}"))
    for index in range(len(window.deck.scenes)):
        started = time.monotonic()
        problem = window.go_to_scene(index)
        if problem:
            failures.append(problem)
        deadline = time.monotonic() + scene_timeout_s
        settled = 0
        while time.monotonic() < deadline:  # idle for a little while: follow-up jobs have been submitted too
            app.processEvents()
            settled = settled + 1 if window.engine.is_idle() else 0
            if settled >= 25:
                break
            time.sleep(0.02)
        else:
            failures.append(f"scene {index + 1} still busy after {scene_timeout_s:.0f} s")
        timings.append(round(time.monotonic() - started, 2))
    host = window.engine._worker.host  # noqa: SLF001 - a diagnostic look at the child process
    host_pid = host.pid if host is not None else None
    report = {
        "scenes": len(window.deck.scenes), "scene_seconds": timings, "failures": failures, "job_errors": errors,
        "gui_heavy_modules": sorted(name for name in HEAVY if name in sys.modules),
        "gui_maps_torch": maps_torch("self"), "host_pid": host_pid,
        "host_maps_torch": maps_torch(host_pid) if host_pid else None,
        "gui_rss_mb": rss_mb(), "host_rss_mb": rss_mb(host_pid) if host_pid else None,
    }
    window.close()
    window.engine.shutdown(3000)
    return report


if __name__ == "__main__":
    print("LECTURE-WALK " + json.dumps(walk()), flush=True)
