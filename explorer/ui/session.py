"""Save the window's panes to a session file and bring them back, all or nothing.

A session file is data, not a program: opening one restores what was typed and
chosen, and nothing else. Files and folders it names are first left out and
listed for the user, who decides whether the panes may read them; training,
indexing and downloads start only when the user presses their buttons.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from explorer import __version__
from explorer.core.atomic_write import write_text_atomically
from explorer.core.session_schema import (Session, SessionError, read_session_file, session_text,
                                          validate_session, without_paths)
from explorer.ui.background import run_in_background

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

SESSION_FILTER = "LLM Explorer sessions (*.json);;All files (*)"
# how many of a session's files the confirmation lists by name
LISTED_PATHS = 12


def pane_templates(window: "MainWindow") -> dict[str, dict]:
    """Each built pane's current state as plain JSON values (panes never opened still hold their defaults)."""
    return {pane.pane_id: _json_safe(pane.state(), pane.pane_id) for pane in window.built_panes()}


class _Templates(Mapping):
    """Every pane id of this version, with the current state of the panes a session file names.

    The states are taken on the GUI thread (a pane the file names is built if it was not yet), so that the
    file can be checked against them on another thread.
    """

    def __init__(self, window: "MainWindow", data: dict) -> None:
        self._ids = window.pane_ids()
        self._states = {pane_id: _json_safe(window.panes[pane_id].state(), pane_id)
                        for pane_id in self._ids if pane_id in data["panes"]}

    def __getitem__(self, pane_id: str) -> dict:
        return self._states[pane_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, pane_id: object) -> bool:
        return pane_id in self._ids


def capture_session(window: "MainWindow") -> Session:
    current = window.current_pane()
    return Session(panes=pane_templates(window), current_pane=current.pane_id if current else None,
                   font_scale=round(window.font_scale, 3), theme=window.theme, app_version=__version__)


def save_session(window: "MainWindow", path: str | os.PathLike) -> Path:
    """Write the session atomically: a crash mid-write never leaves half a file behind."""
    path = Path(path)
    if path.suffix.lower() != ".json":
        path = path.with_name(path.name + ".json")
    text = session_text(capture_session(window))
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(path, text)


def open_session(window: "MainWindow", path: str | os.PathLike, on_opened: Callable[[Session], None],
                 on_refused: Callable[[str], None]) -> None:
    """Read and check the whole file off the GUI thread, then apply it here; on any failure the window is left
    as it was and `on_refused(message)` says why.

    Files and folders the session names are not read yet: the session is applied without them and
    the user is asked (a non-blocking box) whether the panes may read them.
    """

    def refused(exc: BaseException) -> None:
        on_refused(str(exc) if isinstance(exc, SessionError) else f"The session could not be read: {exc}")

    def parsed(data: dict) -> None:
        try:
            templates = _Templates(window, data)
        except SessionError as exc:
            refused(exc)
            return
        run_in_background(lambda: validate_session(data, templates), checked, refused, window, "session-check")

    def checked(session: Session) -> None:
        try:
            apply_session(window, without_paths(session) if session.paths else session)
        except SessionError as exc:
            refused(exc)
            return
        if session.paths:
            ask_to_use_paths(window, session)
        on_opened(session)

    run_in_background(lambda: read_session_file(path), parsed, refused, window, "session-read")


def paths_question(session: Session) -> str:
    """The confirmation's text: each file the session names, where it goes, and what happens next."""
    count = len(session.paths)
    lines = [f"This session names {count} file{'s' if count != 1 else ''} or folder{'s' if count != 1 else ''} "
             "on this computer. They have not been read. Use them?", ""]
    for item in session.paths[:LISTED_PATHS]:
        lines.append(f"• {item.path}  ({item.field})")
    if count > LISTED_PATHS:
        lines.append(f"… and {count - LISTED_PATHS} more")
    lines += ["", "Training, indexing and downloads still start only when you press their buttons."]
    return "\n".join(lines)


def ask_to_use_paths(window: "MainWindow", session: Session):
    """A window-modal, non-blocking box: "Use these files" applies the full session, "Leave them out" keeps
    it without them. Returns the box (window.session_paths_box, for tests)."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Question, "Files named in the session", paths_question(session),
                      QMessageBox.StandardButton.NoButton, window)
    use = box.addButton("Use these files", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Leave them out", QMessageBox.ButtonRole.RejectRole)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(button) -> None:
        window.session_paths_box = None
        if button is not use:
            window.notify("The session's files were left out.")
            return
        try:
            apply_session(window, session)
        except SessionError as exc:
            window.show_message("Cannot use the session's files", str(exc), warning=True)
            return
        window.notify(f"The session's {len(session.paths)} file(s) are in place.")

    box.buttonClicked.connect(answered)
    window.session_paths_box = box
    box.open()
    return box


def apply_session(window: "MainWindow", session: Session) -> None:
    before = capture_session(window)
    try:
        _apply(window, session)
    except Exception as exc:  # noqa: BLE001 - a pane rejected its state: roll everything back
        try:
            _apply(window, before)
        finally:
            raise SessionError(f"The session could not be applied ({_reason(exc)}); nothing was changed.") from exc


class _PaneRefused(Exception):
    def __init__(self, pane_id: str, exc: BaseException) -> None:
        super().__init__(f"pane '{pane_id}' refused its settings: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    """Never an empty reason: an OverflowError from Qt has no text, its class name still says something."""
    return str(exc).strip() or exc.__class__.__name__


def _apply(window: "MainWindow", session: Session) -> None:
    for pane_id, state in session.panes.items():
        try:
            window.panes[pane_id].restore_state(state)
        except Exception as exc:  # noqa: BLE001 - named, then rolled back by apply_session
            raise _PaneRefused(pane_id, exc) from exc
    window.set_theme(session.theme)
    window.set_font_scale(session.font_scale)
    if session.current_pane:
        window.show_pane(session.current_pane)


def _json_safe(state: object, pane_id: str) -> dict:
    try:
        value = json.loads(json.dumps(state, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise SessionError(f"Pane '{pane_id}' returned settings that cannot be saved: {exc}") from exc
    if not isinstance(value, dict):
        raise SessionError(f"Pane '{pane_id}' returned settings that are not an object.")
    return value
