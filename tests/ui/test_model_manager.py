"""The model manager lists the catalogue and is honest about the network."""
import os
import subprocess
import sys
from pathlib import Path

from explorer.models import catalogue
from explorer.ui.model_manager import CHECKING, STATE_COLUMN, ModelManagerDialog
from tests.helpers import GUI_PROCESS_PRELUDE


def _row_of(dialog, model_id, kind):
    for row in range(dialog.table.rowCount()):
        if dialog.table.item(row, 0).text() == model_id and dialog.table.item(row, 1).text() == kind:
            return row
    raise AssertionError(f"{kind} {model_id} not listed")


def _states_shown(qtbot, dialog) -> None:
    """The states come from the model process: wait until the table shows them."""
    qtbot.waitUntil(lambda: all(dialog.table.item(row, STATE_COLUMN).text() != CHECKING
                                for row in range(dialog.table.rowCount())), timeout=60_000)


def test_lists_every_entry_with_its_state(qtbot, engine):
    dialog = ModelManagerDialog(engine)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(catalogue.entries())
    _states_shown(qtbot, dialog)
    assert dialog.table.item(_row_of(dialog, "minilm", "encoder"), STATE_COLUMN).text() == "installed"
    assert dialog.table.item(_row_of(dialog, "clip", "image-text"), STATE_COLUMN).text() == "needs download"


def test_downloading_without_network_says_so(qtbot, engine):
    dialog = ModelManagerDialog(engine)
    qtbot.addWidget(dialog)
    dialog.table.selectRow(_row_of(dialog, "clip", "image-text"))
    dialog.download_button.click()
    qtbot.waitUntil(lambda: "no network" in dialog.message.text(), timeout=30_000)
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled(), timeout=5_000)
    assert "openai/clip-vit-base-patch32" in dialog.message.text()


def test_offline_entries_need_no_download(qtbot, engine):
    dialog = ModelManagerDialog(engine)
    qtbot.addWidget(dialog)
    dialog.table.selectRow(_row_of(dialog, "glove-50d", "word-vectors"))
    dialog.download_button.click()
    assert "comes with the app" in dialog.message.text()


DRIVER = GUI_PROCESS_PRELUDE + """
from explorer.engine import Engine
from explorer.ui.model_manager import CHECKING, STATE_COLUMN, ModelManagerDialog

engine = Engine()
dialog = ModelManagerDialog(engine)
dialog.show()
states = lambda: [dialog.table.item(row, STATE_COLUMN).text() for row in range(dialog.table.rowCount())]
wait(lambda: CHECKING not in states(), 120)
clip = next(row for row in range(dialog.table.rowCount()) if dialog.table.item(row, 0).text() == "clip")
dialog.table.selectRow(clip)
dialog.download_button.click()
wait(lambda: "no network" in dialog.message.text() and engine.is_idle(), 120)
print("needs download" in states(), *(name in sys.modules for name in
      ("torch", "transformers", "tokenizers", "huggingface_hub")), flush=True)
engine.shutdown(10_000)
"""


def test_the_hub_cache_walk_and_the_download_run_in_the_model_process(tmp_path):
    env = dict(os.environ, LLM_EXPLORER_CACHE=str(tmp_path), HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", DRIVER], capture_output=True, text=True, timeout=300,
                            cwd=Path(__file__).resolve().parent.parent.parent, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["True", "False", "False", "False", "False"], result.stdout
