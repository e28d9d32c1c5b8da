"""The attention pane's jobs run in the model host: the GUI process never imports torch & co.

A separate process (other tests in this one import torch themselves) builds the pane with a real
engine and host, runs the text, the entropy ranking, a Q/K/V capture and one generated token, and
prints which of the heavy modules it has loaded.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import GUI_PROCESS_PRELUDE

DRIVER = GUI_PROCESS_PRELUDE + """
from explorer.engine import Engine
from explorer.ui.attention.pane import AttentionPane

engine = Engine()
pane = AttentionPane(engine)
pane.resize(1200, 800)
pane.show()
idle = lambda: not pane.is_busy() and engine.is_idle()
pane.apply_preset("qkv")  # the main run, then the Q/K/V capture of the chosen layer
wait(lambda: idle() and pane.qkv_view.step is not None)
pane.set_tab("heads")
pane.heads_view.set_ranking_key("entropy")  # the entropy of every head, computed in the host
wait(lambda: idle() and pane.analysis.result.stats.entropy is not None)
pane.set_tab("forward")
pane.forward_view.generate_requested.emit(pane.forward_view.settings())
wait(lambda: idle() and len(pane.history) == 1)
print(pane.analysis.result.num_tokens, *(name in sys.modules for name in ("torch", "transformers", "tokenizers")))
engine.shutdown(10_000)
"""


def test_the_attention_pane_runs_its_models_in_the_host_only():
    result = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=600,
                            cwd=Path(__file__).resolve().parents[2], env=dict(os.environ))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-4:] == ["7", "False", "False", "False"]  # 6 tokens + 1 generated
