"""The GUI process and the model host after the whole lecture: what each imported, how much memory each holds."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def run() -> list[dict]:
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.run([sys.executable, "-m", "benchmarks.lecture_walk"], capture_output=True, text=True,
                          cwd=root, timeout=3600)
    line = next((l for l in proc.stdout.splitlines() if l.startswith("LECTURE-WALK ")), None)
    if line is None:
        return [{"benchmark": "processes", "metric": "lecture walk", "value": "failed", "unit": "",
                 "budget": "", "ok": False, "stderr": proc.stderr[-2000:]}]
    report = json.loads(line.split(" ", 1)[1])
    heavy = report["gui_heavy_modules"]
    return [
        {"benchmark": "processes", "metric": "GUI process imports torch/transformers/tokenizers after the lecture",
         "value": ", ".join(heavy) or "none", "unit": "", "budget": "none", "ok": not heavy},
        {"benchmark": "processes", "metric": "torch mapped in GUI / host", "unit": "",
         "value": f"{report['gui_maps_torch']} / {report['host_maps_torch']}", "budget": "False / True",
         "ok": report["gui_maps_torch"] is False and report["host_maps_torch"] is True},
        {"benchmark": "processes", "metric": "GUI process RSS after the lecture's scenes",
         "value": report["gui_rss_mb"], "unit": "MB", "budget": "", "ok": None},
        {"benchmark": "processes", "metric": "model host RSS after the lecture's scenes",
         "value": report["host_rss_mb"], "unit": "MB", "budget": "", "ok": None},
        {"benchmark": "processes", "metric": "scenes that failed or errored",
         "value": len(report["failures"]) + len(report["job_errors"]), "unit": "", "budget": 0,
         "ok": not report["failures"] and not report["job_errors"], "detail": report["failures"] + report["job_errors"]},
    ]
