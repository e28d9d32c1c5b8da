"""Sessions: everything typed and chosen comes back in a new window; a bad file changes nothing."""
from __future__ import annotations

import json

import pytest

from explorer.ui.main_window import MainWindow
from explorer.ui.session import pane_templates
from tests.conftest import wait_for_jobs
from tests.helpers import open_session

TYPED = "The cat sleeps.\nDie Katze schläft 🐈"


def _make_every_pane_differ_from_its_defaults(window, qtbot) -> dict[str, dict]:
    """What a user does: open each pane, pick an example, type in the tokenizer lab."""
    for pane_id in window.pane_ids():
        pane = window.show_pane(pane_id)
        presets = pane.presets()
        if presets:
            pane.apply_preset(presets[-1])
    tokenizers = window.show_pane("tokenizers")
    tokenizers.editor.clear()
    qtbot.keyClicks(tokenizers.editor, "The cat sleeps.")
    tokenizers.editor.insertPlainText("\nDie Katze schläft 🐈")  # pasted: QTest types ASCII only
    window.set_font_scale(1.3)
    window.show_pane(window.pane_ids()[0])
    # the computations these choices start are irrelevant here: stop them
    window.engine.cancel(None)
    return pane_templates(window)


def _close(window) -> None:
    window.engine.cancel(None)
    window.close()
    assert window.engine.shutdown(60_000)


def test_a_saved_session_restores_every_panes_inputs_in_a_new_window(qtbot, settings_file, tmp_path):
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    try:
        expected = _make_every_pane_differ_from_its_defaults(first, qtbot)
        assert expected["tokenizers"]["text"] == TYPED
        saved = first.save_session(tmp_path / "lesson")
        assert saved == tmp_path / "lesson.json" and saved.is_file()
        assert json.loads(saved.read_text(encoding="utf-8"))["current_pane"] == first.pane_ids()[0]
    finally:
        first.set_font_scale(1.0)  # the next window starts from normal text
        wait_for_jobs(qtbot, first.engine)
        _close(first)

    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    try:
        assert second.font_scale == 1.0
        assert open_session(qtbot, second, saved), second.last_message
        restored = pane_templates(second)
        assert set(expected) <= set(restored), "every pane in the file was rebuilt"
        for pane_id, state in expected.items():
            assert restored[pane_id] == state, f"pane '{pane_id}' did not get its inputs back"
        assert second.panes["tokenizers"].editor.toPlainText() == TYPED
        assert second.font_scale == pytest.approx(1.3)
        assert second.current_pane().pane_id == first.pane_ids()[0]
        second.engine.cancel(None)
        wait_for_jobs(qtbot, second.engine)
    finally:
        second.set_font_scale(1.0)
        _close(second)


def _snapshot(window) -> tuple:
    current = window.current_pane()
    return pane_templates(window), current.pane_id if current else None, window.font_scale, window.theme


HOSTILE = {
    "not-json.json": b"<html>this is not a session</html>",
    "truncated.json": b'{"format": "llm-explorer-session", "version": 1, "panes": {"tokenizers": {"text": "cut',
    "binary.json": bytes(range(256)) * 4,
    "deep.json": b'{"format": "llm-explorer-session", "version": 1, "panes": {}, "x": ' + b"[" * 50_000
                 + b"]" * 50_000 + b"}",
    "unknown-pane.json": json.dumps({"format": "llm-explorer-session", "version": 1,
                                     "panes": {"tokenizers": {"text": "evil"}, "rm -rf": {}}}).encode(),
    "wrong-type.json": json.dumps({"format": "llm-explorer-session", "version": 1,
                                   "panes": {"tokenizers": {"text": ["a", "list"]}}}).encode(),
    "device-path.json": json.dumps({"format": "llm-explorer-session", "version": 1,
                                    "panes": {"tokenizers": {"text": "x", "image_path": "/dev/zero"}}}).encode(),
    "newer.json": json.dumps({"format": "llm-explorer-session", "version": 7, "panes": {}}).encode(),
}


def test_corrupt_and_hostile_sessions_are_refused_with_a_message_and_change_nothing(main_window, qtbot, tmp_path):
    pane = main_window.show_pane("tokenizers")
    pane.editor.setPlainText("What the teacher typed")
    main_window.set_font_scale(1.15)
    before = _snapshot(main_window)
    try:
        for name, content in HOSTILE.items():
            path = tmp_path / name
            path.write_bytes(content)
            main_window.last_message = ""
            assert open_session(qtbot, main_window, path) is False, name
            assert main_window.last_message, f"{name}: no message"
            assert "Traceback" not in main_window.last_message
            assert _snapshot(main_window) == before, f"{name} changed the window"
        huge = tmp_path / "huge.json"
        with open(huge, "wb") as fh:
            fh.truncate(64 * 1024 * 1024)
        assert open_session(qtbot, main_window, huge) is False
        assert "at most 16 MiB" in main_window.last_message
        assert open_session(qtbot, main_window, tmp_path) is False
        assert "folder" in main_window.last_message
        assert _snapshot(main_window) == before
        assert pane.editor.toPlainText() == "What the teacher typed"
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)
        main_window.set_font_scale(1.0)


def test_a_pane_that_fails_half_way_is_rolled_back(main_window, qtbot, tmp_path, monkeypatch):
    pane = main_window.show_pane("tokenizers")
    pane.editor.setPlainText("Kept")
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": "llm-explorer-session", "version": 1, "font_scale": 2.0,
                                "panes": {"tokenizers": {"text": "Half applied"}}}), encoding="utf-8")
    original = type(pane).restore_state
    calls = []

    def applies_then_fails(self, state):
        calls.append(state)
        original(self, state)
        if len(calls) == 1:
            raise RuntimeError("the pane rejected it")

    monkeypatch.setattr(type(pane), "restore_state", applies_then_fails)
    try:
        assert open_session(qtbot, main_window, path) is False
        assert "nothing was changed" in main_window.last_message
        assert pane.editor.toPlainText() == "Kept"
        assert main_window.font_scale == 1.0
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)


def test_the_file_is_read_and_checked_off_the_gui_thread(main_window, qtbot, tmp_path, monkeypatch):
    import threading

    import explorer.ui.session as session_module

    threads = []

    def recorded(fn):
        def call(*args):
            threads.append(threading.current_thread())
            return fn(*args)
        return call

    monkeypatch.setattr(session_module, "read_session_file", recorded(session_module.read_session_file))
    monkeypatch.setattr(session_module, "validate_session", recorded(session_module.validate_session))
    pane = main_window.show_pane("tokenizers")
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"format": "llm-explorer-session", "version": 1,
                                "panes": {"tokenizers": {"text": "Read on another thread"}}}), encoding="utf-8")
    try:
        assert open_session(qtbot, main_window, path), main_window.last_message
        assert pane.editor.toPlainText() == "Read on another thread"
        assert len(threads) == 2 and threading.main_thread() not in threads
    finally:
        main_window.engine.cancel(None)
        wait_for_jobs(qtbot, main_window.engine)
