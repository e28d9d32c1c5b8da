"""The session file format and its validation (no Qt).

A session is one JSON object:

    {"format": "llm-explorer-session", "version": 1, "app_version": "0.1.0",
     "current_pane": "attention", "font_scale": 1.0, "theme": "normal",
     "panes": {"attention": {...pane.state()...}, "tokenizers": {"text": "...", ...}}}

Loading validates the whole file before anything is applied: a file that is
too big, not UTF-8, not JSON, nested too deeply, of the wrong shape, names a
pane this version does not have, gives a value of the wrong type, or points at
a file that is not a plain, readable file is refused with one clear sentence.
A pane that an earlier version had and this one retired (RETIRED_PANES) is
skipped with a note instead, so that older sessions still open.
"""
from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SESSION_FORMAT = "llm-explorer-session"
SESSION_VERSION = 1
# A session holds what people type: even a 1 MB paste in every pane fits easily.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 500_000
MAX_STRING_CHARS = 4_000_000
FONT_SCALE_RANGE = (0.5, 4.0)
THEMES = ("normal", "light", "dark")
# a pane's state value (or list of values) under a key ending like this names a file / a folder on disk
PATH_KEY_SUFFIXES = ("path", "paths", "file", "files", "filename", "filenames")
FOLDER_KEY_SUFFIXES = ("folder", "dir", "directory")
MAX_REFERENCED_FILE_BYTES = 200 * 1024 * 1024
# panes earlier versions saved that this version no longer has -> the note shown when a session names one
RETIRED_PANES = {
    "similarity": "This session has settings for the \"Sentence similarity\" pane, which this version no "
                  "longer has; they were left out. The Embeddings pane's Sentences tab shows MiniLM sentence "
                  "cosines.",
}


class SessionError(ValueError):
    """A session file that cannot be used; str() is the message shown to the user."""


@dataclass(frozen=True)
class Session:
    panes: dict[str, dict] = field(default_factory=dict)
    current_pane: str | None = None
    font_scale: float = 1.0
    theme: str = "normal"
    version: int = SESSION_VERSION
    app_version: str = ""
    # what was left out while reading (a retired pane, ...): shown to the user, never written back
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"format": SESSION_FORMAT, "version": self.version, "app_version": self.app_version,
                "current_pane": self.current_pane, "font_scale": self.font_scale, "theme": self.theme,
                "panes": self.panes}


# --- reading JSON safely (also used for scene files) ---
def read_json_file(path: str | os.PathLike, what: str = "file", max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse a JSON file after checking it is a plain file of sane size, UTF-8 and not nested too deeply."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SessionError(f"The {what} {path} does not exist.") from None
    except OSError as exc:
        raise SessionError(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise SessionError(f"{path} is not a {what}: it is a folder or a device.")
    if info.st_size > max_bytes:
        raise SessionError(f"The {what} {path.name} is {info.st_size / 1e6:.1f} MB; "
                           f"a {what} is at most {max_bytes / 1e6:.0f} MB, so this is not one.")
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SessionError(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from None
    if len(raw) > max_bytes:
        raise SessionError(f"The {what} {path.name} is larger than {max_bytes / 1e6:.0f} MB.")
    return parse_json_text(raw, what)


def parse_json_text(raw: bytes | str, what: str = "file") -> Any:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SessionError(f"This {what} is not a text file (it is not UTF-8).") from None
    if not raw.strip():
        raise SessionError(f"This {what} is empty.")

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        data = json.loads(raw, parse_constant=no_constants)
    except RecursionError:
        raise SessionError(f"This {what} is nested too deeply to be a real {what}.") from None
    except (json.JSONDecodeError, ValueError) as exc:
        if not isinstance(exc, json.JSONDecodeError):
            raise SessionError(f"This {what} is not valid JSON: {exc}.") from None
        reason = exc.msg
        truncated = exc.pos >= len(raw.rstrip())
        if reason.startswith("Unterminated string"):
            reason, truncated = "a text value is never closed", True
        hint = " It looks cut off." if truncated else ""
        raise SessionError(f"This {what} is not valid JSON (line {exc.lineno}, column {exc.colno}): "
                           f"{reason}.{hint}") from None
    check_size_and_depth(data, what)
    return data


def check_size_and_depth(data: Any, what: str = "file") -> None:
    """Refuse structures deeper than MAX_DEPTH, with more than MAX_NODES values or huge strings."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SessionError(f"This {what} holds more than {MAX_NODES:,} values; that is not a real {what}.")
        if depth > MAX_DEPTH:
            raise SessionError(f"This {what} is nested more than {MAX_DEPTH} levels deep; that is not a real {what}.")
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise SessionError(f"This {what} holds a text of {len(value):,} characters; "
                               f"the limit is {MAX_STRING_CHARS:,}.")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


# --- the session itself ---
def load_session_file(path: str | os.PathLike, templates: Mapping[str, dict]) -> Session:
    """Read and fully validate a session file; `templates` maps each pane id to its current state()."""
    data = read_json_file(path, "session file")
    return validate_session(data, templates)


def validate_session(data: Any, templates: Mapping[str, dict]) -> Session:
    if not isinstance(data, dict):
        raise SessionError("This is not an LLM Explorer session: the file does not hold a JSON object.")
    if data.get("format") != SESSION_FORMAT:
        raise SessionError("This is not an LLM Explorer session (its \"format\" field is missing or different).")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError("The session has no valid version number.")
    if version > SESSION_VERSION:
        raise SessionError(f"The session was saved by a newer LLM Explorer (format {version}); "
                           f"this version reads format {SESSION_VERSION}. Please update the app.")
    panes = data.get("panes")
    if not isinstance(panes, dict):
        raise SessionError("The session's \"panes\" must be an object mapping pane names to their settings.")
    notes = tuple(RETIRED_PANES[name] for name in panes if name not in templates and name in RETIRED_PANES)
    unknown = [name for name in panes if name not in templates and name not in RETIRED_PANES]
    if unknown:
        listed = ", ".join(repr(str(n)[:40]) for n in unknown[:5])
        raise SessionError(f"The session names pane(s) this version does not have: {listed}. "
                           f"Known panes: {', '.join(templates)}.")
    clean: dict[str, dict] = {}
    for name, state in panes.items():
        if name not in templates:
            continue  # a retired pane: its settings have nowhere to go
        if not isinstance(state, dict):
            raise SessionError(f"The settings of pane '{name}' must be an object, not {_type_name(state)}.")
        check_state_types(state, templates[name], f"pane '{name}'")
        check_paths(state, f"pane '{name}'")
        clean[name] = state
    current = data.get("current_pane")
    if isinstance(current, str) and current not in templates and current in RETIRED_PANES:
        current = None  # keep whatever pane is showing
    if current is not None and (not isinstance(current, str) or current not in templates):
        raise SessionError(f"The session's current pane {str(current)[:40]!r} does not exist in this version.")
    font_scale = data.get("font_scale", 1.0)
    if not _is_number(font_scale) or not FONT_SCALE_RANGE[0] <= float(font_scale) <= FONT_SCALE_RANGE[1]:
        raise SessionError(f"The session's text size must be a number from {FONT_SCALE_RANGE[0]} "
                           f"to {FONT_SCALE_RANGE[1]}.")
    theme = data.get("theme", "normal")
    if theme not in THEMES:
        raise SessionError(f"The session's theme must be one of {', '.join(THEMES)}.")
    app_version = data.get("app_version", "")
    return Session(panes=clean, current_pane=current, font_scale=float(font_scale), theme=theme,
                   version=version, app_version=app_version if isinstance(app_version, str) else "", notes=notes)


def check_state_types(state: dict, template: Any, where: str) -> None:
    """Each value whose key the pane knows must have the JSON type the pane itself produces.

    Keys the pane does not know are left for its restore_state to ignore (an
    older or newer app may have saved them); `None` in the template accepts anything.
    """
    if not isinstance(template, dict):
        return
    for key, value in state.items():
        if not isinstance(key, str):
            raise SessionError(f"{where}: setting names must be text.")
        if key not in template or template[key] is None:
            continue
        expected = template[key]
        if not _same_kind(value, expected):
            raise SessionError(f"{where}: '{key}' should be {_type_name(expected)}, "
                               f"but the file has {_type_name(value)}.")
        if isinstance(expected, dict):
            check_state_types(value, expected, f"{where} / {key}")
        elif isinstance(expected, list) and expected:
            kinds = {_kind(item) for item in expected}
            if len(kinds) == 1 and any(_kind(item) not in kinds for item in value):
                raise SessionError(f"{where}: '{key}' should be a list of {_type_name(expected[0])} values.")


def check_paths(state: Any, where: str) -> None:
    """File names in a state must be absolute paths to plain, readable files of sane size (folders: folders).

    A hostile session could otherwise make a pane read /dev/zero, a FIFO, a
    folder or a huge file the moment it is opened.
    """
    stack: list[tuple[str, Any]] = [("", state)]
    while stack:
        key, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((str(k), v) for k, v in value.items())
            continue
        if isinstance(value, list):
            stack.extend((key, v) for v in value)
            continue
        is_file = key.lower().endswith(PATH_KEY_SUFFIXES)
        is_folder = key.lower().endswith(FOLDER_KEY_SUFFIXES)
        if not (isinstance(value, str) and value and (is_file or is_folder)):
            continue
        if "\x00" in value:
            raise SessionError(f"{where}: the file name in '{key}' is not valid.")
        path = Path(value)
        if not path.is_absolute():
            raise SessionError(f"{where}: the file name in '{key}' must be a full path, not {value[:80]!r}.")
        try:
            info = path.stat()
        except OSError:
            raise SessionError(f"{where}: the file {value[:120]} no longer exists or cannot be read.") from None
        if is_folder:
            if not stat.S_ISDIR(info.st_mode):
                raise SessionError(f"{where}: {value[:120]} is not a folder.")
            continue
        if not stat.S_ISREG(info.st_mode):
            raise SessionError(f"{where}: {value[:120]} is not a plain file (a folder or a device).")
        if info.st_size > MAX_REFERENCED_FILE_BYTES:
            raise SessionError(f"{where}: {value[:120]} is larger than "
                               f"{MAX_REFERENCED_FILE_BYTES // (1024 * 1024)} MB.")
        if not os.access(path, os.R_OK):
            raise SessionError(f"{where}: {value[:120]} cannot be read (permissions).")


def session_text(session: Session) -> str:
    """The JSON text written to disk (checked to round-trip: JSON-safe values only)."""
    text = json.dumps(session.to_json(), ensure_ascii=False, indent=1, allow_nan=False)
    check_size_and_depth(json.loads(text), "session")
    return text


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def _same_kind(value: Any, expected: Any) -> bool:
    return _kind(value) == _kind(expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _type_name(value: Any) -> str:
    return {"null": "nothing (null)", "bool": "true/false", "number": "a number", "str": "text",
            "list": "a list", "dict": "an object"}.get(_kind(value), type(value).__name__)
