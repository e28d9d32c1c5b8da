"""Save the window's panes to a session file and bring them back, all or nothing."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from explorer import __version__
from explorer.core.atomic_write import write_text_atomically
from explorer.core.session_schema import Session, SessionError, load_session_file, session_text

if TYPE_CHECKING:
    from explorer.ui.main_window import MainWindow

SESSION_FILTER = "LLM Explorer sessions (*.json);;All files (*)"


def pane_templates(window: "MainWindow") -> dict[str, dict]:
    """Each built pane's current state as plain JSON values (panes never opened still hold their defaults)."""
    return {pane.pane_id: _json_safe(pane.state(), pane.pane_id) for pane in window.built_panes()}


class _Templates(Mapping):
    """pane id -> current state, for every pane of this version; a pane is built only when a file names it."""

    def __init__(self, window: "MainWindow") -> None:
        self._window = window

    def __getitem__(self, pane_id: str) -> dict:
        return _json_safe(self._window.panes[pane_id].state(), pane_id)

    def __iter__(self) -> Iterator[str]:
        return iter(self._window.pane_ids())

    def __len__(self) -> int:
        return len(self._window.pane_ids())

    def __contains__(self, pane_id: object) -> bool:
        return pane_id in self._window.pane_ids()


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


def open_session(window: "MainWindow", path: str | os.PathLike) -> Session:
    """Validate the whole file first, then apply it; on any failure the window is left as it was."""
    session = load_session_file(path, _Templates(window))
    apply_session(window, session)
    if session.notes:  # e.g. a pane an older version saved: say what was left out
        window.show_message("Session opened", " ".join(session.notes))
    return session


def apply_session(window: "MainWindow", session: Session) -> None:
    before = capture_session(window)
    try:
        _apply(window, session)
    except Exception as exc:  # noqa: BLE001 - a pane rejected its state: roll everything back
        try:
            _apply(window, before)
        finally:
            raise SessionError(f"The session could not be applied ({exc}); nothing was changed.") from exc


def _apply(window: "MainWindow", session: Session) -> None:
    for pane_id, state in session.panes.items():
        window.panes[pane_id].restore_state(state)
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
