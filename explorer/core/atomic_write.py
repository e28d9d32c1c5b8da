"""Write a file through a temporary sibling and a rename: readers never see half a file."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp_path)`, then rename over `path` with ordinary permissions; raises OSError.

    `write` returning False counts as a failure (Qt's save() functions report that way).
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, name = tempfile.mkstemp(prefix=f".{path.stem[:40]}-", suffix=path.suffix, dir=folder)
    os.close(fd)
    tmp = Path(name)
    try:
        if write(tmp) is False:
            raise OSError(f"could not write {path.name}")
        # mkstemp makes the file private (0600); a saved session or export is an ordinary file
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
