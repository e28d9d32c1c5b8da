"""The Embeddings pane's jobs run in the model host: the GUI process never loads torch and friends."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

# a GUI process of its own (other tests in this pytest process import torch directly): every tab of
# the pane (word2vec training included) runs a job through its own model host, then says which of the three modules it has loaded
DRIVER = r"""
import os, sys
from pathlib import Path
import numpy as np
from PySide6.QtWidgets import QApplication
app = QApplication([])
from explorer.engine import Engine
from explorer.ui.embeddings.pane import EmbeddingsPane

engine = Engine()
pane = EmbeddingsPane(engine)
pane.resize(1200, 800)
pane.show()

def settle():
    import time
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
        if not pane.is_busy():
            break
    else:
        raise SystemExit("jobs did not finish")

folder = Path(sys.argv[1])
rows = np.random.default_rng(0).normal(size=(30, 6))
(folder / "v.tsv").write_text("\n".join("\t".join(f"{v:.4f}" for v in row) for row in rows) + "\n")
for preset in ("bag-of-words", "neighbours", "analogy", "bank", "sentences"):
    pane.apply_preset(preset)
    settle()
pane.show_tab(pane.axes)
pane.axes.run()
settle()
pane.tokens.set_model("minilm")
settle()
pane.projector.show_source("vectors", vectors=str(folder / "v.tsv"))
settle()
pane.projector.panel.show_neighbours(0)
pane.projector.panel.set_colour_by("kmeans", clusters=3)
settle()
# word2vec, trained briefly on a small text, then queried from the Neighbours tab (the vectors stay in the host)
words = [a + b for a in "bcdfghkl" for b in "aeiou"]  # words are runs of letters
text = " ".join(np.random.default_rng(1).choice(words, 20_000))
(folder / "small.txt").write_text(text + "\n")
pane.apply_preset("word2vec")
w2v = pane.word2vec
w2v.set_corpus("file", str(folder / "small.txt"))
for key, value in (("dim", 10), ("epochs", 1), ("min_count", 1)):
    w2v.spins[key].setValue(value)
w2v.watched.setText("ba be")
w2v.train()
settle()
assert w2v.result is not None and w2v.snapshot["final"], w2v.message.text()
pane.show_tab(pane.neighbours)
pane.neighbours.vectors.set_choice("word2vec")
pane.neighbours.set_word("ca")
settle()
assert pane.neighbours.query == "ca" and pane.neighbours.table.rowCount() > 0, pane.neighbours.message.text()
errors = [t.message.text() for t in (pane.bow, pane.neighbours, pane.analogy, pane.axes, pane.contextual,
                                      pane.sentences, pane.tokens.panel, pane.projector.panel, pane.word2vec)
          if t.message.is_error]
assert not errors, errors
assert pane.projector.panel.neighbour_list.count() == 10, "no neighbours listed"
assert pane.tokens.panel.scatter.n_points == 30_522 and pane.projector.panel.scatter.n_points == 30
assert pane.contextual.result is not None and pane.sentences.result is not None
print("torch" in sys.modules, "transformers" in sys.modules, "tokenizers" in sys.modules, flush=True)
engine.shutdown(30_000)
"""


def test_every_tab_computes_in_the_model_host_not_in_the_gui_process(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", DRIVER, str(tmp_path)], capture_output=True, text=True,
                            timeout=600, cwd=Path(__file__).resolve().parents[2], env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[-3:] == ["False", "False", "False"]
