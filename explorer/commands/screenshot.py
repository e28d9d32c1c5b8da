"""`llm-explorer screenshot --pane NAME --out FILE.png [--preset NAME] [--size WxH] [--font-scale F]`.

Every argument is checked before the window is built: the size is at most
8192 pixels a side (an 8K picture; 99999x99999 would need 40 GB), the font
scale within the app's own range, the output a .png in a folder that can be
written. Qt's warnings (the offscreen platform's "propagateSizeHints()" and
the like) are not shown: stdout gets the file's path, stderr stays empty unless
something fails, in one line.
"""
from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

MIN_SIDE, MAX_SIDE = 100, 8192
# the range of View > Text size and presenter mode (explorer.ui.window.view.FONT_SCALES,
# explorer.ui.presenter.PRESENTER_SCALES): tests/test_cli_faults.py checks they agree
FONT_SCALE_RANGE = (0.8, 2.5)
MAX_TIMEOUT_S = 86_400.0


def register(subparsers) -> None:
    parser = subparsers.add_parser("screenshot", help="render a pane offscreen and save a PNG")
    parser.add_argument("--pane", required=True, help="pane id, e.g. tokenizers, attention")
    parser.add_argument("--out", required=True, help="PNG file to write (in a folder that exists)")
    parser.add_argument("--preset", help="one of the pane's presets")
    parser.add_argument("--size", default="1600x1000",
                        help=f"window size, WIDTHxHEIGHT, {MIN_SIDE} to {MAX_SIDE} pixels a side (default 1600x1000)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds to wait for the pane's jobs (default 600, at most a day)")
    parser.add_argument("--font-scale", type=float, default=1.0,
                        help=f"text size factor, {FONT_SCALE_RANGE[0]} to {FONT_SCALE_RANGE[1]} "
                             "(default 1; presenter mode uses 1.5-2)")
    parser.set_defaults(handler=run)


def parse_size(value: str) -> tuple[int, int]:
    """'1600x1000' -> (1600, 1000); refuses other shapes and sides outside MIN_SIDE..MAX_SIDE."""
    from explorer.cli import CliError

    match = re.fullmatch(r"([0-9]{1,6})[xX]([0-9]{1,6})", value.strip())
    if not match:
        raise CliError(f"--size must look like 1600x1000, not '{value}'")
    width, height = int(match[1]), int(match[2])
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise CliError(f"--size {width}x{height}: each side must be {MIN_SIDE} to {MAX_SIDE} pixels")
    return width, height


def check_font_scale(value: float) -> float:
    from explorer.cli import CliError

    low, high = FONT_SCALE_RANGE
    if not (math.isfinite(value) and low <= value <= high):
        raise CliError(f"--font-scale must be between {low} and {high}, not {value}")
    return value


def check_pane(pane: str, preset: str | None) -> None:
    """The pane id exists (from the pane list: no pane is built, no model loaded)."""
    from explorer.cli import CliError
    from explorer.commands._text_input import check_text

    check_text(pane, "--pane")
    if preset is not None:
        check_text(preset, "--preset")
    from explorer.ui.pane_list import pane_ids

    panes = pane_ids()
    if pane not in panes:
        raise CliError(f"no pane '{pane}'; panes: {', '.join(panes)}")


@contextmanager
def qt_messages_dropped() -> Iterator[None]:
    """Qt's own messages are not for a screenshot's user: drop them (stderr holds only our one line on failure).

    Offscreen, every shown window makes Qt warn "This plugin does not support
    propagateSizeHints()"; a font or style notice is as useless here. The previous
    handler comes back afterwards (in-process callers such as tests keep theirs).
    """
    from PySide6.QtCore import qInstallMessageHandler

    previous = qInstallMessageHandler(_ignore_qt_message)
    try:
        yield
    finally:
        qInstallMessageHandler(previous)


@contextmanager
def throwaway_settings() -> Iterator[None]:
    """Default preferences, and nothing this run changes leaks into the user's (unless LLM_EXPLORER_SETTINGS is set)."""
    if os.environ.get("LLM_EXPLORER_SETTINGS"):
        yield
        return
    import shutil
    import tempfile

    folder = tempfile.mkdtemp(prefix="llm-explorer-shot-")
    os.environ["LLM_EXPLORER_SETTINGS"] = os.path.join(folder, "s.ini")
    try:
        yield
    finally:
        os.environ.pop("LLM_EXPLORER_SETTINGS", None)
        shutil.rmtree(folder, ignore_errors=True)


def _ignore_qt_message(mode, context, message) -> None:  # noqa: ARG001 - Qt's handler signature
    return None


def run(args) -> int:
    from explorer.cli import CliError
    from explorer.commands._paths import check_output_file

    width, height = parse_size(args.size)
    font_scale = check_font_scale(args.font_scale)
    if not (math.isfinite(args.timeout) and 0 < args.timeout <= MAX_TIMEOUT_S):
        raise CliError(f"--timeout must be more than 0 and at most {MAX_TIMEOUT_S:.0f} seconds")
    out = check_output_file(args.out, ".png")
    check_pane(args.pane, args.preset)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with qt_messages_dropped(), throwaway_settings():
        render(args, width, height, font_scale, out)
    print(args.out)
    return 0


def render(args, width: int, height: int, font_scale: float, out) -> None:
    from explorer.cli import CliError
    from explorer.commands._paths import write_output
    from explorer.ui.application import make_application

    app = make_application(["llm-explorer"])
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    try:
        pane = window.panes[args.pane]  # built, not shown: nothing runs before the preset is known
        if args.preset is not None and args.preset not in pane.presets():
            raise CliError(f"pane '{args.pane}' has no preset '{args.preset}'; presets: "
                           f"{', '.join(pane.presets()) or 'none'}")
        window.resize(width, height)
        if font_scale != 1.0:
            window.set_font_scale(font_scale, persist=False)
        window.show()
        window.show_pane(args.pane)
        if args.preset is not None:
            pane.apply_preset(args.preset)
        wait_until_idle(app, window, args.timeout)
        image = window.grab()
        write_output(out, lambda tmp: image.save(str(tmp), "PNG"))
    finally:
        window.close()
        window.engine.shutdown()


def wait_until_idle(app, window, timeout: float) -> None:
    """Process events until no job runs and nothing changed for a moment."""
    deadline = time.monotonic() + timeout
    quiet_since = None
    while time.monotonic() < deadline:
        app.processEvents()
        idle = window.engine.is_idle() and not any(p.is_busy() for p in window.built_panes())
        if idle:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > 0.6:
                break
        else:
            quiet_since = None
        time.sleep(0.02)
    app.processEvents()
