"""A folder with entries the scan cannot read: the rest is used, and the pane says how many were left out."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import show_pane

SLOW_MS = 120_000



@pytest.fixture
def engine(local_engine):
    """The pane's host operations run in this process: the tests point them at their own cache and fake Hub."""
    return local_engine


@pytest.fixture
def awkward_folder(tmp_path, monkeypatch):
    """Two images, a FIFO named like an image, and a sub-folder whose file raises PermissionError (tests run
    as root, where chmod 000 stops nothing)."""
    folder = tmp_path / "photos"
    (folder / "locked").mkdir(parents=True)
    for name, colour in (("red.png", (220, 30, 30)), ("blue.png", (30, 30, 220))):
        Image.new("RGB", (40, 40), colour).save(folder / name)
    Image.new("RGB", (40, 40), (0, 0, 0)).save(folder / "locked" / "secret.png")
    os.mkfifo(folder / "pipe.png")
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self.name == "secret.png":
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    return folder


@pytest.fixture
def pane(trained_cache, engine, qtbot, monkeypatch):
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(trained_cache))
    from explorer.ui.image_text.pane import ImageTextPane

    yield show_pane(qtbot, ImageTextPane(engine))
    engine.cancel()


def test_adding_a_folder_with_unreadable_entries_loads_the_rest_and_says_so(pane, qtbot, awkward_folder):
    qtbot.waitUntil(lambda: pane.engine.is_idle(), timeout=SLOW_MS)
    pane.add_files([str(awkward_folder)])
    qtbot.waitUntil(lambda: "could not be read" in pane.similarity.message.text(), timeout=SLOW_MS)
    assert sorted(Path(f).name for f in pane.files) == ["blue.png", "red.png"]
    assert "2 entries could not be read" in pane.similarity.message.text()


def test_searching_a_folder_with_unreadable_entries_indexes_the_rest_and_says_so(pane, qtbot, awkward_folder):
    from explorer.ui.image_text.pane import TABS

    qtbot.waitUntil(lambda: pane.engine.is_idle(), timeout=SLOW_MS)
    pane.tabs.setCurrentIndex([k for k, _ in TABS].index("search"))
    pane.index_folder(str(awkward_folder))
    qtbot.waitUntil(lambda: "could not be read" in pane.search.message.text(), timeout=SLOW_MS)
    assert pane.index is not None and len(pane.index) == 2
    assert "2 entries could not be read" in pane.search.message.text()
