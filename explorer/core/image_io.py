"""Loading images the user drops in, safely: bad files become messages, huge ones are shrunk.

A dropped folder can hold anything: text files, a truncated JPEG, a 20,000 x
20,000 scan. Each file either loads (as an RGB PIL image no bigger than the
app needs) or is skipped, and either way the user reads one line about it.
"""
from __future__ import annotations

import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm"})
# the largest side kept in memory: more than any model here looks at (CLIP: 224, mini-CLIP: 32)
WORKING_SIDE = 512
# images with more pixels than this are never decoded at full size (a 100-megapixel PNG needs 300 MB)
MAX_DECODE_PIXELS = 64_000_000
# a dropped folder is scanned up to this many files
MAX_FILES = 20_000
# ... and up to this many entries of any kind (a drop of "/" or a home folder must end)
MAX_SCANNED_ENTRIES = 300_000


@dataclass
class LoadedImage:
    path: Path
    image: object  # PIL.Image.Image, RGB, at most WORKING_SIDE on its longer side
    original_size: tuple[int, int]
    note: str = ""  # e.g. "downscaled from 30000 x 20000"

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class LoadReport:
    images: list[LoadedImage] = field(default_factory=list)
    # (file, why it was skipped or changed), one line each for the user
    messages: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0  # files not loaded (not images, damaged, too large, missing)

    def summary(self) -> str:
        parts = [f"{len(self.images)} image{'s' if len(self.images) != 1 else ''} loaded"]
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return ", ".join(parts)


class ImageLoadError(ValueError):
    """A file that cannot be used as an image; the message says why in plain words."""


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_EXTENSIONS


def load_image(path: str | Path, max_side: int = WORKING_SIDE, max_pixels: int | None = None) -> LoadedImage:
    """One file -> an RGB image at most `max_side` on its longer side. Raises `ImageLoadError`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from explorer.core.safe_paths import UnsafePathError, check_path

    path = Path(path)
    limit = max_pixels if max_pixels is not None else MAX_DECODE_PIXELS
    try:
        if not path.exists():
            raise ImageLoadError("skipped: the file does not exist")
        check_path(path, "any", "image")  # a FIFO, a device or /proc is never opened
        if path.is_dir():
            raise ImageLoadError("skipped: a folder, not an image")
        empty = path.stat().st_size == 0
    except UnsafePathError as exc:
        raise ImageLoadError(f"skipped: {exc}") from None
    except OSError as exc:
        raise ImageLoadError(f"skipped: cannot read it ({exc.strerror or exc})") from None
    if empty:
        raise ImageLoadError("skipped: the file is empty")
    note = ""
    try:
        # Pillow warns (and past twice its limit refuses) on "decompression bombs"; we check sizes ourselves
        # before decoding, so its warning would only repeat what we say (and tests run warnings as errors)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as opened:
                width, height = opened.size
                if width <= 0 or height <= 0:
                    raise ImageLoadError("skipped: the image has no pixels")
                if width * height > limit:
                    if opened.format == "JPEG":
                        # JPEG can decode at 1/2, 1/4 or 1/8 size directly: the full image never exists in memory
                        opened.draft("RGB", (max_side, max_side))
                        note = f"downscaled from {width:,} x {height:,} pixels (too large to open at full size)"
                    else:
                        raise ImageLoadError(f"skipped: too large ({width:,} x {height:,} pixels, "
                                             f"more than {limit // 1_000_000} megapixels)")
                elif max(width, height) > 4 * max_side:
                    # big but safe: say it only for really big pictures, a phone photo is normal
                    if width * height > 24_000_000:
                        note = f"downscaled from {width:,} x {height:,} pixels"
                    if opened.format == "JPEG":
                        opened.draft("RGB", (max_side, max_side))
                if getattr(opened, "n_frames", 1) > 1:
                    opened.seek(0)  # animated GIF / multi-page TIFF: the first frame
                opened.load()
                image = ImageOps.exif_transpose(opened)
                image = _to_rgb(image)
    except ImageLoadError:
        raise
    except UnidentifiedImageError:
        raise ImageLoadError("skipped: not an image (or a format this app cannot read)") from None
    except Image.DecompressionBombError:
        raise ImageLoadError("skipped: too large to open safely") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # truncated or corrupt data shows up as OSError ("image file is truncated"), SyntaxError (broken PNG
        # chunks) or ValueError, depending on the format
        raise ImageLoadError(f"skipped: the file is damaged ({_short(exc)})") from None
    except MemoryError:
        raise ImageLoadError("skipped: not enough memory to open it") from None
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return LoadedImage(path, image, (width, height), note)


def _to_rgb(image):
    """Every mode (grey, palette, 16-bit, CMYK, with transparency) -> RGB; transparent parts become white."""
    from PIL import Image

    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        import numpy as np

        values = np.asarray(image, dtype=np.float32)
        top = float(values.max()) or 1.0
        return Image.fromarray((values / top * 255).astype(np.uint8), "L").convert("RGB")
    if image.mode == "F":
        import numpy as np

        values = np.asarray(image, dtype=np.float32)
        lo, hi = float(values.min()), float(values.max())
        scaled = (values - lo) / ((hi - lo) or 1.0) * 255
        return Image.fromarray(scaled.astype(np.uint8), "L").convert("RGB")
    return image.convert("RGB") if image.mode != "RGB" else image.copy()


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text if len(text) < 80 else text[:77] + "..."


def scan(paths: Iterable[str | Path], recursive: bool = True,
         limit: int = MAX_FILES) -> tuple[list[Path], list[tuple[str, str]], int]:
    """Dropped files and folders -> image-looking files (sorted within each folder), messages, how many skipped.

    Files whose names do not look like images are counted in one message rather than listed one by one;
    so are entries the scan cannot read (no permission, a FIFO, a socket, a device): one of them never
    stops the scan of the rest.
    """
    from explorer.core.safe_paths import UnsafePathError, check_path

    found: list[Path] = []
    messages: list[tuple[str, str]] = []
    ignored = missing = 0
    unreadable = [0]  # entries inside folders that could not be read, counted by _walk
    for raw in paths:
        path = Path(raw)
        if not os.path.lexists(path):
            messages.append((str(path), "skipped: no such file or folder"))
            missing += 1
            continue
        try:
            path = check_path(path, "any", "file or folder")
        except UnsafePathError as exc:
            messages.append((str(raw), f"skipped: {exc}"))
            missing += 1
            continue
        if path.is_dir():
            seen = 0
            for child in _walk(path, recursive, unreadable):
                seen += 1
                if is_image_name(child):
                    found.append(child)
                else:
                    ignored += 1
                if len(found) >= limit:
                    break
                if seen >= MAX_SCANNED_ENTRIES:
                    messages.append((str(path), f"stopped after looking at {MAX_SCANNED_ENTRIES:,} files: "
                                                "choose a smaller folder to search all of it"))
                    break
        else:
            # a file dropped by hand is always tried: its content decides, not its name
            found.append(path)
        if len(found) >= limit:
            messages.append((str(path), f"only the first {limit:,} images are used"))
            found = found[:limit]
            break
    if unreadable[0]:
        # first, so that the line is seen even when many per-file messages follow
        messages.insert(0, ("", unreadable_message(unreadable[0])))
    if ignored:
        messages.append(("", f"skipped {ignored} file{'s' if ignored != 1 else ''} that "
                             f"{'are' if ignored != 1 else 'is'} not images (by name)"))
    # the same file dropped twice counts once
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return unique, messages, ignored + missing + unreadable[0]


def unreadable_message(count: int) -> str:
    """The line a scan result shows for entries it passed over."""
    return (f"{count:,} entr{'ies' if count != 1 else 'y'} could not be read (no permission, or not a plain "
            "file or folder) and " + ("were" if count != 1 else "was") + " left out")


def _walk(folder: Path, recursive: bool, unreadable: list[int] | None = None):
    """Files under `folder`, sorted per folder, hidden ones skipped; symbolic links to folders are not
    followed (a link cycle would never end); /proc, /dev and /sys are never entered. Entries that cannot
    be read (a folder without permission, a FIFO, a socket, a device, a file whose stat fails) are
    passed over and counted in unreadable[0]."""
    from explorer.core.safe_paths import in_special_root, special_kind

    counter = unreadable if unreadable is not None else [0]

    def count_error(_exc: OSError) -> None:
        counter[0] += 1

    for root, dirs, files in os.walk(folder, followlinks=False, onerror=count_error):
        if recursive:
            kept = []
            for d in sorted(dirs):
                if d.startswith("."):
                    continue
                if in_special_root(Path(root) / d):
                    counter[0] += 1
                    continue
                kept.append(d)
            dirs[:] = kept
        else:
            dirs[:] = []
        for name in sorted(files):
            if name.startswith("."):
                continue
            child = Path(root) / name
            try:
                info = child.stat()
            except OSError:  # permission, a link to nowhere, a file gone since the listing
                counter[0] += 1
                continue
            if special_kind(info.st_mode):
                counter[0] += 1
                continue
            if stat.S_ISREG(info.st_mode):
                yield child


def load_images(paths: Sequence[str | Path], progress=None, max_side: int = WORKING_SIDE,
                recursive: bool = True) -> LoadReport:
    """Scan files/folders and load every image; problems become messages, never exceptions."""
    from explorer.core.progress import ensure

    progress = ensure(progress)
    files, messages, skipped = scan(paths, recursive=recursive)
    report = LoadReport(messages=list(messages), skipped=skipped)
    for i, path in enumerate(files):
        progress.check()
        progress.report(i / max(1, len(files)), f"Opening images: {i + 1} of {len(files)}")
        try:
            loaded = load_image(path, max_side=max_side)
        except ImageLoadError as exc:
            report.messages.append((path.name, str(exc)))
            report.skipped += 1
            continue
        if loaded.note:
            report.messages.append((path.name, loaded.note))
        report.images.append(loaded)
    if files:
        progress.report(1.0, report.summary())
    return report


def thumbnail(image, side: int = 128):
    """A copy no bigger than side x side, for grids and matrix rows."""
    from PIL import Image

    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    return copy


def sample_photo_files() -> list[tuple[str, Path, str]]:
    """Bundled CC0 / public-domain photos: (short name, file, a fitting caption).

    From scikit-image's bundled data and scikit-learn's two sample images; only files present in the
    installed wheels (nothing is downloaded).
    """
    samples = [
        ("astronaut", "skimage", "astronaut.png", "an astronaut in a space suit"),
        ("cat", "skimage", "chelsea.png", "a photo of a cat"),
        ("coffee", "skimage", "coffee.png", "a cup of coffee"),
        ("cameraman", "skimage", "camera.png", "a man with a camera"),
        ("rocket", "skimage", "rocket.jpg", "a rocket launch"),
        ("galaxies", "skimage", "hubble_deep_field.jpg", "galaxies in deep space"),
        ("moon", "skimage", "moon.png", "the surface of the moon"),
        ("coins", "skimage", "coins.png", "old coins"),
        ("horse", "skimage", "horse.png", "the silhouette of a horse"),
        ("temple", "sklearn", "china.jpg", "a temple in China"),
        ("flower", "sklearn", "flower.jpg", "a flower"),
    ]
    folders = {"skimage": _package_data("skimage", "data"), "sklearn": _package_data("sklearn", "datasets", "images")}
    out = []
    for name, package, filename, text in samples:
        folder = folders.get(package)
        if folder is not None and (folder / filename).is_file():
            out.append((name, folder / filename, text))
    return out


def _package_data(package: str, *parts: str) -> Path | None:
    """A data folder inside an installed package, found without importing the package."""
    import importlib.util
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and (Path(bundle) / package).is_dir():
        return Path(bundle, package, *parts)
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0], *parts)
