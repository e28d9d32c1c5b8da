"""Dropping a messy folder: bad files are skipped with a message, huge ones shrunk, the rest load."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from explorer.core import image_io


def write_image(path, size=(64, 48), colour=(200, 30, 30), mode="RGB", fmt=None):
    Image.new(mode, size, colour).save(path, format=fmt)
    return path


@pytest.fixture
def messy_folder(tmp_path, monkeypatch):
    """Two good images, a truncated JPEG, a text file named .png, a notes file, an empty file and a huge image.

    "Huge" is relative: the decode limit is lowered for the test so the file stays small on disk.
    """
    monkeypatch.setattr(image_io, "MAX_DECODE_PIXELS", 1_000_000)
    write_image(tmp_path / "good.png")
    write_image(tmp_path / "nested.jpg", size=(300, 200), colour=(10, 120, 240))
    full = tmp_path / "full.jpg"
    write_image(full, size=(400, 300), colour=(30, 200, 30))
    (tmp_path / "broken.jpg").write_bytes(full.read_bytes()[:300])
    (tmp_path / "fake.png").write_text("this is not an image, just text with a .png name")
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty.gif").write_bytes(b"")
    write_image(tmp_path / "huge.png", size=(1600, 1000), colour=(90, 90, 90))
    write_image(tmp_path / "huge.jpg", size=(1600, 1000), colour=(90, 90, 200))
    return tmp_path


def test_a_messy_folder_loads_what_it_can_and_explains_the_rest(messy_folder):
    report = image_io.load_images([messy_folder])
    names = sorted(im.name for im in report.images)
    assert names == ["full.jpg", "good.png", "huge.jpg", "nested.jpg"]
    why = dict(report.messages)
    assert "damaged" in why["broken.jpg"]
    assert "not an image" in why["fake.png"]
    assert "empty" in why["empty.gif"]
    assert "too large" in why["huge.png"] and "1,600 x 1,000" in why["huge.png"]
    assert "downscaled" in why["huge.jpg"]
    assert any("not images" in text for name, text in report.messages if name == "")  # notes.txt, by its name
    assert report.summary() == "4 images loaded, 5 skipped"


def test_loaded_images_are_rgb_and_no_larger_than_the_working_size(messy_folder):
    report = image_io.load_images([messy_folder], max_side=128)
    for loaded in report.images:
        assert loaded.image.mode == "RGB" and max(loaded.image.size) <= 128
    huge = next(im for im in report.images if im.name == "huge.jpg")
    assert huge.original_size == (1600, 1000)


def test_every_colour_mode_becomes_rgb(tmp_path):
    write_image(tmp_path / "grey.png", mode="L", colour=128)
    Image.new("RGBA", (20, 20), (255, 0, 0, 0)).save(tmp_path / "clear.png")
    Image.new("P", (20, 20), 3).save(tmp_path / "palette.gif")
    Image.fromarray(np.full((20, 20), 40000, dtype=np.uint16)).save(tmp_path / "deep.png")
    Image.new("CMYK", (20, 20), (0, 255, 255, 0)).save(tmp_path / "print.jpg")
    report = image_io.load_images([tmp_path])
    assert len(report.images) == 5 and not report.messages
    by_name = {im.name: im.image for im in report.images}
    assert all(im.mode == "RGB" for im in by_name.values())
    assert by_name["clear.png"].getpixel((5, 5)) == (255, 255, 255)  # transparent parts show as white


def test_a_dropped_file_with_a_wrong_name_is_judged_by_its_content(tmp_path):
    real = tmp_path / "photo.data"
    write_image(real, fmt="PNG")
    report = image_io.load_images([real, tmp_path / "missing.png"])
    assert [im.name for im in report.images] == ["photo.data"]
    assert "no such file" in dict(report.messages)[str(tmp_path / "missing.png")]


def test_the_same_file_dropped_twice_loads_once(tmp_path):
    path = write_image(tmp_path / "a.png")
    report = image_io.load_images([path, path, tmp_path])
    assert len(report.images) == 1


def test_the_bundled_sample_photos_are_there_and_load():
    samples = image_io.sample_photo_files()
    names = [name for name, _, _ in samples]
    assert {"astronaut", "cat", "coffee", "rocket", "flower"} <= set(names)
    loaded = image_io.load_image(samples[0][1])
    assert loaded.image.mode == "RGB"


class ColourEncoder:
    """A stand-in image-text model whose "embedding" is an image's mean colour (words name colours)."""

    name = "mean colour"
    is_trained_here = False
    logit_scale, logit_bias, loss_kind = 10.0, 0.0, "softmax"
    cache_key = "mean-colour-v1"
    WORDS = {"red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1)}

    def __init__(self) -> None:
        self.images_embedded = 0

    def embed_images(self, images, progress=None):
        self.images_embedded += len(images)
        vectors = np.array([np.asarray(im, dtype=np.float32).mean(axis=(0, 1)) + 1e-3 for im in images])
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def embed_texts(self, texts):
        return np.array([self.WORDS.get(t.split()[-1], (1, 1, 1)) for t in texts], dtype=np.float32)


def test_a_folder_is_embedded_once_then_served_from_the_cache(tmp_path):
    from explorer.core.image_index import build_index

    photos = tmp_path / "photos"
    photos.mkdir()
    for name, colour in [("r.png", (250, 10, 10)), ("g.png", (10, 250, 10)), ("b.png", (10, 10, 250)),
                         ("pink.png", (250, 120, 120))]:
        write_image(photos / name, colour=colour)
    (photos / "bad.jpg").write_bytes(b"\xff\xd8\xff garbage")
    cache = tmp_path / "cache"
    encoder = ColourEncoder()
    index = build_index([photos], encoder, cache_root=cache)
    assert len(index) == 4 and index.computed == 4 and encoder.images_embedded == 4
    assert any(name == "bad.jpg" for name, _ in index.messages)
    ranking = index.search_text(encoder, "something red", k=2)
    assert [index.paths[i].name for i in ranking.indices] == ["r.png", "pink.png"]
    similar = index.search_image(index.paths.index(next(p for p in index.paths if p.name == "r.png")), k=1)
    assert index.paths[similar.indices[0]].name == "pink.png"

    # the second time nothing is embedded; a renamed file keeps its embedding (the key is its content)
    (photos / "g.png").rename(photos / "green-renamed.png")
    again = build_index([photos], ColourEncoder(), cache_root=cache)
    assert again.computed == 0 and len(again) == 4
    # an edited file is embedded again
    write_image(photos / "b.png", colour=(0, 0, 120), size=(10, 10))
    edited = build_index([photos], ColourEncoder(), cache_root=cache)
    assert edited.computed == 1
    files = sorted(p.name for p in (cache / "image-embeddings" / "mean-colour-v1").iterdir())
    assert files == ["index.json", "vectors.npy"]
    np.load(cache / "image-embeddings" / "mean-colour-v1" / "vectors.npy", allow_pickle=False)


def test_a_damaged_cache_is_rebuilt_not_trusted(tmp_path):
    from explorer.core.image_index import build_index

    write_image(tmp_path / "a.png")
    cache = tmp_path / "cache"
    build_index([tmp_path / "a.png"], ColourEncoder(), cache_root=cache)
    (cache / "image-embeddings" / "mean-colour-v1" / "vectors.npy").write_bytes(b"not numpy")
    index = build_index([tmp_path / "a.png"], ColourEncoder(), cache_root=cache)
    assert index.computed == 1 and len(index) == 1


def test_a_folder_with_a_link_cycle_and_hidden_files_still_loads(tmp_path):
    (tmp_path / "sub").mkdir()
    write_image(tmp_path / "sub" / "a.png")
    write_image(tmp_path / ".hidden.png")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    report = image_io.load_images([tmp_path])
    assert [im.name for im in report.images] == ["a.png"]


def test_one_unreadable_entry_is_skipped_and_counted_not_the_end_of_the_scan(tmp_path, monkeypatch):
    """Tests run as root, where chmod 000 stops nothing: the PermissionError is raised by hand."""
    import os
    import socket
    from pathlib import Path

    write_image(tmp_path / "a.png")
    locked = tmp_path / "locked"
    locked.mkdir()
    write_image(locked / "secret.png")
    write_image(tmp_path / "z.png")
    os.mkfifo(tmp_path / "pipe.png")  # a FIFO named like an image: opening it would block forever
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.png"))
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self.name == "secret.png":
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    try:
        report = image_io.load_images([tmp_path])
    finally:
        sock.close()
    assert sorted(im.name for im in report.images) == ["a.png", "z.png"]
    assert report.messages[0] == ("", image_io.unreadable_message(3))
    assert "3 entries could not be read" in report.messages[0][1]


def test_an_unlistable_folder_is_counted_too(tmp_path, monkeypatch):
    import os

    write_image(tmp_path / "a.png")
    (tmp_path / "sub").mkdir()
    real_walk = os.walk

    def walk(top, *args, onerror=None, **kwargs):
        for root, dirs, files in real_walk(top, *args, onerror=onerror, **kwargs):
            if root.endswith("sub"):
                onerror(PermissionError(13, "Permission denied", root))
                continue
            yield root, dirs, files

    monkeypatch.setattr(image_io.os, "walk", walk)
    files, messages, skipped = image_io.scan([tmp_path])
    assert [f.name for f in files] == ["a.png"]
    assert messages[0][1].startswith("1 entry could not be read") and skipped == 1


@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero", "/sys"])
def test_system_files_dropped_by_hand_are_refused_unopened(target):
    report = image_io.load_images([target])
    assert report.images == [] and report.skipped == 1
    assert "system file" in report.messages[0][1]
    with pytest.raises(image_io.ImageLoadError, match="system file"):
        image_io.load_image(target)


def test_a_walk_from_the_root_never_enters_proc_dev_or_sys(monkeypatch):
    seen: list[str] = []
    real_walk = image_io.os.walk

    def walk(top, *args, **kwargs):
        for root, dirs, files in real_walk(top, *args, **kwargs):
            seen.append(root)
            dirs[:] = [d for d in dirs if d in ("proc", "dev", "sys")] if root == "/" else dirs
            yield root, dirs, []

    monkeypatch.setattr(image_io.os, "walk", walk)
    list(image_io._walk(image_io.Path("/"), True))
    assert seen == ["/"]


def test_a_huge_folder_scan_stops_with_a_message(tmp_path, monkeypatch):
    monkeypatch.setattr(image_io, "MAX_SCANNED_ENTRIES", 5)
    for i in range(8):
        (tmp_path / f"note{i}.txt").write_text("x")
    write_image(tmp_path / "z.png")
    files, messages, _ = image_io.scan([tmp_path])
    assert files == [] and any("stopped after looking at 5 files" in text for _, text in messages)
