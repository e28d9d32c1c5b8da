"""GUI responsiveness: the longest gap a 10 ms GUI-thread timer sees while the model host
loads SmolLM2 and runs 512 tokens, and the attention pane paints its head grid and one head map."""
from __future__ import annotations

import os


def run() -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from benchmarks.probes import attention_pane_512_tokens
    from explorer.engine import Engine

    app = QApplication.instance() or QApplication([])
    engine = Engine()  # its own model host: SmolLM2 loads during the measurement
    try:
        gap, ticks = attention_pane_512_tokens(app, engine)
    finally:
        engine.shutdown(10_000)
    return [
        {"benchmark": "responsiveness", "metric": "longest GUI timer gap (host loads SmolLM2, 512 tokens, grid + head map painted)",
         "value": gap * 1000, "unit": "ms", "budget": "<= 50", "ok": gap <= 0.050},
        {"benchmark": "responsiveness", "metric": "10 ms timer ticks during the job", "value": ticks,
         "unit": "ticks", "budget": None, "ok": None},
    ]
