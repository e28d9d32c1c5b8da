"""The session file format and its validation (no Qt).

A session is one JSON object:

    {"format": "llm-explorer-session", "version": 1, "app_version": "0.1.0",
     "current_pane": "attention", "font_scale": 1.0, "theme": "normal",
     "panes": {"attention": {...pane.state()...}, "tokenizers": {"text": "...", ...}}}

Loading validates the whole file before anything is applied: a file that is
too big, not UTF-8, not JSON, nested too deeply, of the wrong shape, names a
pane this version does not have, gives a value of the wrong type, or points at
a file that is not a plain, readable file is refused with one clear sentence.
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

from explorer.core.safe_paths import UnsafePathError, check_path, printable

SESSION_FORMAT = "llm-explorer-session"
SESSION_VERSION = 1
# A session holds what people type: even a 1 MB paste in every pane fits easily.
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 24
MAX_NODES = 500_000
MAX_STRING_CHARS = 4_000_000
FONT_SCALE_RANGE = (0.5, 4.0)
THEMES = ("normal", "light", "dark")
# every whole number in a pane's settings: what Qt's spin boxes, sliders and combo indexes hold
INT_RANGE = (-(2**31), 2**31 - 1)
# every fractional number: far beyond any setting (perplexity, distances, learning rates), still finite
FLOAT_LIMIT = 1e12
# any list in a pane's settings
MAX_LIST_ITEMS = 10_000
# lists whose items each cost work or open something when restored: tighter, named limits
MAX_TOKENIZER_ROWS = 24
MAX_TRAINED_TOKENIZERS = 8
MAX_SESSION_IMAGE_FILES = 200
LIST_LIMITS = {("tokenizers", "tokenizers"): MAX_TOKENIZER_ROWS, ("tokenizers", "trained"): MAX_TRAINED_TOKENIZERS,
               ("image-text", "files"): MAX_SESSION_IMAGE_FILES}
# a pane's state value (or list of values) under a key ending like this names a file / a folder on disk
PATH_KEY_SUFFIXES = ("path", "paths", "file", "files", "filename", "filenames")
FOLDER_KEY_SUFFIXES = ("folder", "dir", "directory")
# settings that name files although their keys do not say so: (pane, key path) -> "file" / "folder" / "any"
PATH_FIELDS = {("embeddings", "projector", "text"): "file", ("embeddings", "projector", "vectors"): "file",
               ("embeddings", "projector", "metadata"): "file",
               # a tokenizer row is a catalogue id, a Hub id, or (a full path) a local folder or file
               ("tokenizers", "tokenizers"): "any"}
MAX_REFERENCED_FILE_BYTES = 200 * 1024 * 1024


class SessionError(ValueError):
    """A session file that cannot be used; str() is the message shown to the user."""


@dataclass(frozen=True)
class SessionPath:
    """A file or folder named in a pane's settings: where (pane, key path) and what."""

    pane: str
    keys: tuple[str, ...]
    path: str
    kind: str  # "file", "folder" or "any"

    @property
    def field(self) -> str:
        return printable(f"{self.pane} / {' / '.join(self.keys)}", 160)


@dataclass(frozen=True)
class Session:
    panes: dict[str, dict] = field(default_factory=dict)
    current_pane: str | None = None
    font_scale: float = 1.0
    theme: str = "normal"
    version: int = SESSION_VERSION
    app_version: str = ""
    # every file and folder the panes' settings name, for the user to confirm before anything reads them
    paths: tuple[SessionPath, ...] = ()

    def to_json(self) -> dict:
        return {"format": SESSION_FORMAT, "version": self.version, "app_version": self.app_version,
                "current_pane": self.current_pane, "font_scale": self.font_scale, "theme": self.theme,
                "panes": self.panes}


# --- reading JSON safely (also used for scene files) ---
def read_json_file(path: str | os.PathLike, what: str = "file", max_bytes: int = MAX_FILE_BYTES) -> Any:
    """Parse a JSON file after checking it is a plain file of sane size, UTF-8 and not nested too deeply."""
    path = Path(path)
    try:
        check_path(path, "any", what)
        info = path.stat()
    except UnsafePathError as exc:
        raise SessionError(str(exc)) from None
    except OSError as exc:
        raise SessionError(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from None
    if not stat.S_ISREG(info.st_mode):
        raise SessionError(f"{path} is not a {what}: it is a folder or a device.")
    if info.st_size > max_bytes:
        raise SessionError(f"The {what} {path.name} is {info.st_size:,} bytes ({_mib(info.st_size)}); "
                           f"a {what} is at most {_mib(max_bytes)} ({max_bytes:,} bytes), so this is not one.")
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise SessionError(f"The {what} {path} cannot be read: {exc.strerror or exc}.") from None
    if len(raw) > max_bytes:
        raise SessionError(f"The {what} {path.name} is larger than {_mib(max_bytes)}.")
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
    """Refuse structures deeper than MAX_DEPTH, with more than MAX_NODES values or huge strings.

    The refusal names where (the keys leading to the value) and the limit.
    """
    stack: list[tuple[Any, int, tuple[str, ...]]] = [(data, 1, ())]
    nodes = 0
    while stack:
        value, depth, keys = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise SessionError(f"This {what} holds more than {MAX_NODES:,} values (0 to {MAX_NODES:,} allowed); "
                               f"that is not a real {what}.")
        if depth > MAX_DEPTH:
            raise SessionError(f"This {what} is nested more than {MAX_DEPTH} levels deep{_at(keys)} "
                               f"(1 to {MAX_DEPTH} allowed); that is not a real {what}.")
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise SessionError(f"This {what} holds a text of {len(value):,} characters{_at(keys)}; "
                               f"a text may hold 0 to {MAX_STRING_CHARS:,}.")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, (*keys, str(k))) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, keys) for v in value)


def _at(keys: tuple[str, ...]) -> str:
    """" in 'panes / tokenizers / text'" for a message, or nothing at the top level."""
    if not keys:
        return ""
    shown = keys if len(keys) <= 6 else (*keys[:3], "…", *keys[-2:])
    return f" in '{printable(' / '.join(shown), 160)}'"


# --- the session itself ---
def read_session_file(path: str | os.PathLike) -> dict:
    """Parse a session file and check its header (format, version, panes): enough to know which panes'
    settings it holds. `validate_session` checks the rest against those panes' current states."""
    data = read_json_file(path, "session file")
    check_header(data)
    return data


def check_header(data: Any) -> None:
    """A JSON object of our format, a version this app reads, and "panes" an object."""
    if not isinstance(data, dict):
        raise SessionError("This is not an LLM Explorer session: the file does not hold a JSON object.")
    if data.get("format") != SESSION_FORMAT:
        raise SessionError("This is not an LLM Explorer session (its \"format\" field is missing or different).")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionError(f"The session has no valid version number: 'version' must be a whole number "
                           f"from 1 to {SESSION_VERSION}.")
    if version > SESSION_VERSION:
        shown = f"{version}" if version < 10**6 else "a number far beyond any release"
        raise SessionError(f"The session was saved by a newer LLM Explorer (format {shown}); "
                           f"this version reads 'version' 1 to {SESSION_VERSION}. Please update the app.")
    panes = data.get("panes")
    if not isinstance(panes, dict):
        raise SessionError("The session's \"panes\" must be an object mapping pane names to their settings.")


def validate_session(data: Any, templates: Mapping[str, dict]) -> Session:
    """The whole session checked; `templates` maps each pane id to its current state() (the types expected)."""
    check_header(data)
    panes = data["panes"]
    version = data["version"]
    unknown = [name for name in panes if name not in templates]
    if unknown:
        listed = ", ".join(repr(str(n)[:40]) for n in unknown[:5])
        raise SessionError(f"The session names pane(s) this version does not have: {listed}. "
                           f"Known panes: {', '.join(templates)}.")
    clean: dict[str, dict] = {}
    paths: list[SessionPath] = []
    for name, state in panes.items():
        if not isinstance(state, dict):
            raise SessionError(f"The settings of pane '{name}' must be an object, not {_type_name(state)}.")
        check_values(state, name)
        check_state_types(state, templates[name], f"pane '{name}'")
        paths.extend(check_paths(state, f"pane '{name}'", name))
        clean[name] = state
    current = data.get("current_pane")
    if current is not None and (not isinstance(current, str) or current not in templates):
        raise SessionError(f"The session's current pane ('current_pane') {printable(str(current), 40)!r} does not "
                           f"exist in this version; it may be one of: {', '.join(templates)}.")
    font_scale = data.get("font_scale", 1.0)
    if not _is_number(font_scale) or not FONT_SCALE_RANGE[0] <= float(font_scale) <= FONT_SCALE_RANGE[1]:
        raise SessionError(f"The session's text size ('font_scale') must be a number from {FONT_SCALE_RANGE[0]} "
                           f"to {FONT_SCALE_RANGE[1]}.")
    theme = data.get("theme", "normal")
    if not isinstance(theme, str) or theme not in THEMES:
        raise SessionError(f"The session's theme ('theme') must be one of {', '.join(THEMES)}.")
    app_version = data.get("app_version", "")
    return Session(panes=clean, current_pane=current, font_scale=float(font_scale), theme=theme,
                   version=version, app_version=app_version[:40] if isinstance(app_version, str) else "",
                   paths=tuple(paths))


def check_values(state: dict, pane: str) -> None:
    """Every number within INT_RANGE / FLOAT_LIMIT, every list within its limit; refusals name the field.

    Widgets take whole numbers as C ints: 10**30 would fail deep inside Qt with an empty message.
    """
    stack: list[tuple[tuple[str, ...], Any]] = [((), state)]
    while stack:
        keys, value = stack.pop()
        field = f"pane '{pane}': '{printable(' / '.join(keys), 160)}'"
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, int):
            if not INT_RANGE[0] <= value <= INT_RANGE[1]:
                raise SessionError(f"{field} is {_short_number(value)}; whole numbers in a session go from "
                                   f"{INT_RANGE[0]:,} to {INT_RANGE[1]:,}.")
        elif isinstance(value, float):
            if not math.isfinite(value) or abs(value) > FLOAT_LIMIT:
                raise SessionError(f"{field} is {value:.3g}; numbers in a session go from "
                                   f"{-FLOAT_LIMIT:,.0f} to {FLOAT_LIMIT:,.0f}.")
        elif isinstance(value, list):
            limit = LIST_LIMITS.get((pane, *keys), MAX_LIST_ITEMS)
            if len(value) > limit:
                raise SessionError(f"{field} holds {len(value):,} items; a session may hold 0 to {limit:,} there.")
            stack.extend((keys, item) for item in value)
        elif isinstance(value, dict):
            stack.extend(((*keys, str(k)), v) for k, v in value.items())


def _short_number(value: int) -> str:
    text = str(value)
    return f"{value:,}" if len(text) <= 16 else f"a number with {len(text.lstrip('-')):,} digits"


def _mib(size: int) -> str:
    """Bytes as the binary megabytes the limits are set in (16 MiB, not "17 MB")."""
    mib = size / (1024 * 1024)
    return f"{mib:.0f} MiB" if mib == int(mib) else f"{mib:.1f} MiB"


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


def check_paths(state: Any, where: str, pane: str = "") -> list[SessionPath]:
    """File names in a state must be full paths to plain files of sane size (folders: folders); returns them.

    A hostile session could otherwise make a pane read /dev/zero, /proc/self/environ, a FIFO or a
    huge file. Nothing is opened here (stat only): the window shows the returned paths for the user
    to confirm before any pane reads them.
    """
    found: list[SessionPath] = []
    stack: list[tuple[tuple[str, ...], Any]] = [((), state)]
    while stack:
        keys, value = stack.pop()
        if isinstance(value, dict):
            stack.extend(((*keys, str(k)), v) for k, v in value.items())
            continue
        if isinstance(value, list):
            stack.extend((keys, v) for v in value)
            continue
        kind = path_kind(pane, keys, value)
        if kind is None:
            continue
        key = printable(keys[-1] if keys else "", 60)
        shown = printable(value)
        if "\x00" in value:
            raise SessionError(f"{where}: the file name in '{key}' is not valid.")
        path = Path(value)
        if not path.is_absolute():
            raise SessionError(f"{where}: the file name in '{key}' must be a full path, not {value[:80]!r}.")
        try:
            checked = check_path(path, kind, "folder" if kind == "folder" else "file")
            info = checked.stat()
        except UnsafePathError as exc:
            if not os.path.lexists(path):
                raise SessionError(f"{where}: the file {shown} in '{key}' no longer exists.") from None
            raise SessionError(f"{where}, '{key}': {exc}") from None
        except OSError:
            raise SessionError(f"{where}: the file {shown} in '{key}' cannot be read.") from None
        if stat.S_ISREG(info.st_mode) and info.st_size > MAX_REFERENCED_FILE_BYTES:
            raise SessionError(f"{where}: {shown} in '{key}' is {_mib(info.st_size)}; files a session "
                               f"names may be 0 to {_mib(MAX_REFERENCED_FILE_BYTES)}.")
        if not os.access(path, os.R_OK):
            raise SessionError(f"{where}: {shown} in '{key}' cannot be read (permissions).")
        found.append(SessionPath(pane, keys, value, kind))
    return found


def path_kind(pane: str, keys: tuple[str, ...], value: Any) -> str | None:
    """"file", "folder" or "any" when this value names something on disk, else None."""
    if not isinstance(value, str) or not value or not keys:
        return None
    known = PATH_FIELDS.get((pane, *keys))
    if known == "any":  # a list mixing names and paths: only full paths (or ~) are paths
        return "any" if value.startswith(("/", "~", "\\")) or (len(value) > 2 and value[1] == ":") else None
    if known:
        return known
    key = keys[-1].lower()
    if key.endswith(FOLDER_KEY_SUFFIXES):
        return "folder"
    if key.endswith(PATH_KEY_SUFFIXES):
        return "file"
    return None


def without_paths(session: Session) -> Session:
    """The same session with every file and folder name removed (text fields emptied, list items dropped):
    what is applied when the user declines to let the session's files be read."""
    from dataclasses import replace

    def strip(pane: str, keys: tuple[str, ...], value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(pane, (*keys, str(k)), v) for k, v in value.items()}
        if isinstance(value, list):
            return [strip(pane, keys, v) for v in value if path_kind(pane, keys, v) is None]
        return "" if path_kind(pane, keys, value) is not None else value

    return replace(session, panes={name: strip(name, (), state) for name, state in session.panes.items()},
                   paths=())


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
