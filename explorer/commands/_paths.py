"""File paths given to CLI commands: checked before anything expensive, written so readers never see half a file.

Inputs must be ordinary files (not a folder, FIFO, socket or device, and
nothing under /proc, /sys or /dev: reading those can block forever, never end,
or leak the environment). Outputs must name an ordinary file, with the right
extension, in a folder that exists and can be written; the file is written
through a temporary sibling and a rename (explorer.core.atomic_write), so a
failure leaves no half-written file and nothing is written anywhere else.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from explorer.core.safe_paths import SPECIAL_ROOTS  # the one list of system trees the app never reads
from explorer.core.safe_paths import expand_user

MAX_NAME_BYTES = 255  # the longest file name ext4, APFS and NTFS accept


def _error(message: str):
    from explorer.cli import CliError

    return CliError(message)


def special_root(path: Path) -> str | None:
    """The system folder `path` (already resolved) lies in, or None."""
    if os.name == "nt":
        return None
    text = str(path)
    return next((root for root in SPECIAL_ROOTS if text == root or text.startswith(root + "/")), None)


def _resolve(text: str, source: str) -> tuple[Path, Path]:
    """(the path as given, expanded; the real path with every link followed)."""
    if not text or "\x00" in text:
        raise _error(f"{source} needs a file path")
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        raise _error(f"{source} is not a valid file path (it holds a lone surrogate)") from None
    path = expand_user(text)
    if any(len(os.fsencode(part)) > MAX_NAME_BYTES for part in path.parts):
        raise _error(f"{source}: a name in the path is longer than {MAX_NAME_BYTES} bytes")
    try:
        return path, Path(os.path.realpath(path))
    except (OSError, ValueError) as exc:
        raise _error(f"{source}: {path} cannot be used ({getattr(exc, 'strerror', None) or exc})") from None


def _stat(path: Path, shown: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise _error(f"cannot use {shown}: {exc.strerror or exc}") from None


def check_input_file(text: str, source: str = "--file") -> Path:
    """The path of an ordinary, existing file to read; refuses anything else in one line."""
    path, real = _resolve(text, source)
    root = special_root(real)
    if root:
        raise _error(f"{source}: {path} is in {root}, a system folder, not an ordinary file")
    info = _stat(real, path)
    if info is None:
        raise _error(f"no file at {path}")
    if stat.S_ISDIR(info.st_mode):
        raise _error(f"{source}: {path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise _error(f"{source}: {path} is not an ordinary file (a device, FIFO or socket)")
    return path


def check_output_file(text: str, suffix: str, source: str = "--out") -> Path:
    """The path of a `suffix` file that can be written; refuses, in one line, what could not be."""
    if not text.lower().endswith(suffix) or len(text) <= len(suffix):
        raise _error(f"{source} must be a {suffix} file")
    path, real = _resolve(text, source)
    root = special_root(real)
    if root:
        raise _error(f"{source}: {path} is in {root}, a system folder; choose another folder")
    info = _stat(real, path)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise _error(f"{source}: {path} is a folder; give a file name")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise _error(f"{source}: {path} is not an ordinary file (a device, FIFO or socket)")
    folder = real.parent
    folder_info = _stat(folder, path.parent)
    if folder_info is None or not stat.S_ISDIR(folder_info.st_mode):
        raise _error(f"{source}: there is no folder {path.parent}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _error(f"{source}: cannot write in {path.parent} (permission denied)")
    return path


def write_output(path: Path, write: Callable[[Path], object]) -> None:
    """`write(tmp)` then rename over `path`; an OSError becomes the one-line refusal."""
    from explorer.core.atomic_write import write_atomically

    try:
        write_atomically(path, write)
    except OSError as exc:
        raise _error(f"cannot write {path}: {exc.strerror or exc}") from None


def check_cache_setting() -> None:
    """LLM_EXPLORER_CACHE, when set, must name a folder that can be made and written, outside /proc, /sys, /dev.

    Checked before a command runs (nothing is created here): otherwise the first model that
    wants its cache (SmolLM2's converted weights, mini-CLIP's copies) fails midway.
    """
    value = os.environ.get("LLM_EXPLORER_CACHE")
    if not value:
        return
    try:
        real = Path(os.path.realpath(expand_user(value)))
    except (OSError, ValueError):
        real = None
    root = special_root(real) if real is not None else None
    existing = real
    while existing is not None and not existing.exists() and existing != existing.parent:
        existing = existing.parent
    usable = (real is not None and not root and existing is not None and existing.is_dir()
              and os.access(existing, os.W_OK | os.X_OK))
    if not usable:
        raise _error(f"LLM_EXPLORER_CACHE={value} cannot be used as the cache folder; set it to a folder that can be "
                     "written (or unset it)")
