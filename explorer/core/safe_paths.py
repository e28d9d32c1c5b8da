"""One check for every file or folder name the app accepts (no Qt).

A name typed, dropped, passed on the command line or read from a session file
could point at /proc/self/environ, /dev/zero, a FIFO that blocks the reader
forever or a socket. `check_path` refuses those with one plain sentence before
anything opens them; everything that takes a path from outside calls it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

# system trees whose "files" are the kernel talking: reading them leaks secrets or never ends
SPECIAL_ROOTS = ("/proc", "/dev", "/sys")

_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFSOCK: "a socket", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device"}


class UnsafePathError(ValueError):
    """A path the app will not read; str() is the sentence shown to the user."""


def printable(text: str, limit: int = 120) -> str:
    """A name as one line for a message: control characters escaped, long ones cut with "..."."""
    escaped = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return escaped if len(escaped) <= limit else escaped[: limit - 3] + "..."


def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


def in_special_root(path: str | os.PathLike) -> bool:
    """True for /proc, /dev, /sys and anything under them (after following links)."""
    try:
        real = os.path.realpath(os.fspath(path))
    except (OSError, ValueError):
        return False
    return any(real == root or real.startswith(root + os.sep) for root in SPECIAL_ROOTS)


def special_kind(mode: int) -> str | None:
    """'a named pipe (FIFO)', 'a socket', 'a device' for such a st_mode; None for files, folders, links."""
    return _KINDS.get(stat.S_IFMT(mode))


def check_path(path: str | os.PathLike, kind: str = "file", what: str = "file") -> Path:
    """The path, if it names an existing plain file (kind="file"), folder ("folder") or either ("any").

    Raises UnsafePathError naming the path and why: missing, special (a device, FIFO, socket,
    or under /proc, /dev, /sys), or a folder where a file was wanted (and the reverse).
    Only stat() is called: nothing is opened.
    """
    if kind not in ("file", "folder", "any"):
        raise ValueError(f"kind must be file, folder or any, not {kind!r}")
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str) or not text.strip():
        raise UnsafePathError(f"The {what} name is empty.")
    if "\x00" in text:
        raise UnsafePathError(f"The {what} name {text[:80]!r} holds a NUL character, which no file name can.")
    shown = printable(text)
    candidate = Path(text).expanduser()
    if in_special_root(candidate):
        raise UnsafePathError(f"{shown} is a system file (under /proc, /dev or /sys), not {_a(what)} "
                              "the app reads.")
    try:
        info = candidate.stat()
    except FileNotFoundError:
        raise UnsafePathError(f"The {what} {shown} does not exist.") from None
    except OSError as exc:
        raise UnsafePathError(f"The {what} {shown} cannot be read: {exc.strerror or exc}.") from None
    special = special_kind(info.st_mode)
    if special:
        raise UnsafePathError(f"{shown} is {special}, not {_a(what)}: the app reads only plain files and folders.")
    if kind == "file" and stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(f"{shown} is a folder; {_a(what)} is needed here.")
    if kind == "folder" and not stat.S_ISDIR(info.st_mode):
        raise UnsafePathError(f"{shown} is not a folder.")
    return candidate


def expand_user(text: str | os.PathLike) -> Path:
    """`~/x` expanded; a "~name" of no such user (or no home at all) is taken as written, never an error."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)
