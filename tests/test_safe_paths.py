"""The one path check every entry point uses: system files, pipes, sockets and devices are refused unopened."""
from __future__ import annotations

import builtins
import io
import os
import socket

import pytest

from explorer.core.safe_paths import UnsafePathError, check_path, in_special_root, printable


@pytest.fixture
def never_opened(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"check_path opened {args[0]!r}")

    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(os, "open", refuse)


@pytest.mark.parametrize("path", ["/proc/self/environ", "/proc", "/dev/zero", "/dev/stdin", "/dev/null", "/sys",
                                  "/sys/kernel"])
def test_system_trees_are_refused(path, never_opened):
    assert in_special_root(path)
    with pytest.raises(UnsafePathError, match="system file"):
        check_path(path, "any")


def test_a_link_into_proc_is_refused_like_its_target(tmp_path, never_opened):
    link = tmp_path / "notes.txt"
    link.symlink_to("/proc/self/environ")
    with pytest.raises(UnsafePathError, match="system file"):
        check_path(link)


def test_pipes_and_sockets_are_refused(tmp_path, never_opened):
    fifo = tmp_path / "corpus.txt"
    os.mkfifo(fifo)
    with pytest.raises(UnsafePathError, match="named pipe"):
        check_path(fifo)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "s.png"))
    try:
        with pytest.raises(UnsafePathError, match="socket"):
            check_path(tmp_path / "s.png", "any")
    finally:
        sock.close()


def test_kinds_missing_files_and_bad_names(tmp_path, never_opened):
    folder = tmp_path / "d"
    folder.mkdir()
    assert check_path(folder, "folder") == folder and check_path(folder, "any") == folder
    with pytest.raises(UnsafePathError, match="is a folder; a text file is needed"):
        check_path(folder, "file", "text file")
    with pytest.raises(UnsafePathError, match="does not exist"):
        check_path(tmp_path / "gone.txt")
    with pytest.raises(UnsafePathError, match="NUL"):
        check_path("/etc/passwd\x00.png")
    with pytest.raises(UnsafePathError, match="empty"):
        check_path("  ")
    with pytest.raises(UnsafePathError, match="an image"):
        check_path("/dev/zero", "file", "image")


def test_a_plain_file_passes(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("x")
    assert check_path(path) == path and check_path(str(path), "any") == path
    with pytest.raises(UnsafePathError, match="not a folder"):
        check_path(path, "folder")


def test_names_in_messages_stay_on_one_line():
    assert printable("a\nb\tc") == "a\\nb\\tc"
    assert len(printable("x" * 500)) == 120
    with pytest.raises(UnsafePathError) as info:
        check_path("/no/such\nfile")
    assert "\n" not in str(info.value)
