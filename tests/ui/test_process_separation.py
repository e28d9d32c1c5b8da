"""The whole lecture through the real window: models only ever load in the model host.

A fresh process (other tests in this one import torch themselves) walks every scene of the lecture
with `benchmarks/lecture_walk.py`, so every pane has run its jobs, and reports which heavy modules
the GUI process imported and which process has torch's library mapped (what a look at the process
tree sees).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_after_every_scene_of_the_lecture_torch_lives_in_the_host_only():
    result = subprocess.run([sys.executable, "-m", "benchmarks.lecture_walk"], capture_output=True, text=True,
                            timeout=1200, cwd=ROOT, env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(line for line in result.stdout.splitlines() if line.startswith("LECTURE-WALK "))
    report = json.loads(line[len("LECTURE-WALK "):])
    assert report["scenes"] >= 11 and report["failures"] == [] and report["job_errors"] == []
    assert report["gui_heavy_modules"] == []
    assert report["gui_maps_torch"] is False and report["host_maps_torch"] is True
