"""GUI responsiveness: the longest gap a 10 ms GUI-thread timer sees while the worker
loads SmolLM2 and runs 512 tokens."""
from __future__ import annotations

import os


def run() -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from benchmarks.probes import longest_gui_gap, smollm2_512_token_job
    from explorer.engine import Engine

    app = QApplication.instance() or QApplication([])
    engine = Engine()
    try:
        gap, ticks = longest_gui_gap(app, engine, smollm2_512_token_job)
    finally:
        engine.shutdown(10_000)
    return [
        {"benchmark": "responsiveness", "metric": "longest GUI timer gap (load SmolLM2 + 512 tokens)",
         "value": gap * 1000, "unit": "ms", "budget": "<= 50", "ok": gap <= 0.050},
        {"benchmark": "responsiveness", "metric": "10 ms timer ticks during the job", "value": ticks,
         "unit": "ticks", "budget": None, "ok": None},
    ]
