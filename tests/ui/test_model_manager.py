"""The model manager lists the catalogue and is honest about the network."""
from explorer.models import catalogue
from explorer.ui.model_manager import ModelManagerDialog


def _row_of(dialog, model_id, kind):
    for row in range(dialog.table.rowCount()):
        if dialog.table.item(row, 0).text() == model_id and dialog.table.item(row, 1).text() == kind:
            return row
    raise AssertionError(f"{kind} {model_id} not listed")


def test_lists_every_entry_with_its_state(qtbot, engine):
    dialog = ModelManagerDialog(engine)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(catalogue.entries())
    assert dialog.table.item(_row_of(dialog, "minilm", "encoder"), 6).text() == "installed"
    assert dialog.table.item(_row_of(dialog, "clip", "image-text"), 6).text() == "needs download"


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
