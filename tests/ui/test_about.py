"""Help: the About box names versions and the licences of what is bundled; first-run tips show once."""
from __future__ import annotations

import platform
from importlib import metadata

from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QGuiApplication

from explorer.models.catalogue import entries
from tests.helpers import app_window


def test_about_lists_versions_and_the_licence_of_every_bundled_model(main_window, qtbot):
    dialog = main_window.show_about()
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    text = dialog.browser.toPlainText()
    assert f"Python{platform.python_version()}" in text.replace("\t", "").replace(" ", "").replace("\n", "")
    for version in (qVersion(), metadata.version("torch"), metadata.version("transformers")):
        assert version in text
    offline = [e for e in entries() if e.offline]
    assert offline
    for entry in offline:
        assert entry.title in text and entry.licence in text, entry.id
    assert "Hub" in text  # where the other licences are found
    dialog.close()


def test_first_run_tips_show_once_and_got_it_hides_them_for_good(qtbot, settings_file, monkeypatch):
    # offscreen windows (tests, screenshots) skip the tips; pretend to be a desktop
    monkeypatch.setattr(QGuiApplication, "platformName", staticmethod(lambda: "xcb"))
    with app_window(qtbot) as first:
        assert first.tips_banner.isVisible()
        assert "F5" in first.tips_banner.label.text() and "Page Down" in first.tips_banner.label.text()
        qtbot.mouseClick(first.tips_banner.got_it, Qt.MouseButton.LeftButton)
        assert not first.tips_banner.isVisible()
    with app_window(qtbot) as second:
        assert not second.tips_banner.isVisible()
        dialog = second.show_tips()
        assert "Presenter mode" in dialog.browser.toPlainText() or "presenter mode" in dialog.browser.toPlainText()
        dialog.close()
