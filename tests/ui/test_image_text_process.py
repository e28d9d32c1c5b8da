"""The Images & text pane's jobs run in the model host: the GUI process never imports torch & co.

A separate process (other tests in this one import torch themselves) builds the pane with a real engine
and host on an empty user cache (so the shipped mini-CLIP answers), computes the zero-shot matrix and the
similarity matrix, searches the generated shapes by text and by one of them, trains a short mini-CLIP
(live figures, then saved), and prints which of the heavy modules it has loaded.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import GUI_PROCESS_PRELUDE

DRIVER = GUI_PROCESS_PRELUDE + """
from explorer.engine import Engine
from explorer.ui.image_text.pane import ImageTextPane

engine = Engine()
pane = ImageTextPane(engine)
pane.resize(1400, 900)
pane.show()
pane.activated()
pane.apply_preset("zero-shot")
bars = pane.zero_shot.bars
wait(lambda: len(pane.images) == 6 and bars.probabilities.shape == (6, len(pane.zero_shot.class_lines())))
pane.apply_preset("similarity")
wait(lambda: pane.similarity.matrix.values.shape == (6, 6))
pane.apply_preset("search")
wait(lambda: pane.search.results.count() == 24 and "a yellow star" in pane.search.caption.text())
pane.search.search_similar(3)
wait(lambda: "most like" in pane.search.caption.text() and pane.search.results.count() == 24)
pane.train.start_training(20)
wait(lambda: "never-seen pairs" in pane.train.live.text(), 600)
wait(lambda: "Saved" in pane.train.result.text(), 600)
print(len(pane.train.losses), *(name in sys.modules for name in ("torch", "transformers", "tokenizers")), flush=True)
engine.shutdown(10_000)
"""


def test_the_image_text_pane_runs_its_models_in_the_host_only(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1", LLM_EXPLORER_CACHE=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=900,
                            cwd=Path(__file__).resolve().parents[2], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-4:] == ["20", "False", "False", "False"]
    assert (tmp_path / "mini-clip" / "model.safetensors").is_file()  # the host saved the training
