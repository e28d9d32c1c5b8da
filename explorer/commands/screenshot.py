"""`llm-explorer screenshot --pane NAME --out FILE.png [--preset NAME] [--size WxH]`."""
from __future__ import annotations

import os
import re
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser("screenshot", help="render a pane offscreen and save a PNG")
    parser.add_argument("--pane", required=True, help="pane id, e.g. tokenizers, attention")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--preset", help="one of the pane's presets")
    parser.add_argument("--size", default="1600x1000", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the pane's jobs")
    parser.add_argument("--font-scale", type=float, default=1.0, help="text size factor (presenter: 1.5-2)")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import CliError

    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", args.size)
    if not match:
        raise CliError(f"--size must look like 1600x1000, not '{args.size}'")
    if not args.out.lower().endswith(".png"):
        raise CliError("--out must be a .png file")
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not os.environ.get("LLM_EXPLORER_SETTINGS"):
        # default preferences, and nothing this run changes (font scale...) leaks into the user's
        import tempfile

        os.environ["LLM_EXPLORER_SETTINGS"] = os.path.join(tempfile.mkdtemp(prefix="llm-explorer-shot-"), "s.ini")
    from explorer.ui.application import make_application

    app = make_application(["llm-explorer"])
    from explorer.ui.main_window import MainWindow

    window = MainWindow()
    try:
        if args.pane not in window.panes:
            raise CliError(f"no pane '{args.pane}'; panes: {', '.join(window.panes)}")
        window.resize(int(match[1]), int(match[2]))
        if args.font_scale != 1.0:
            window.set_font_scale(args.font_scale)
        window.show()
        pane = window.show_pane(args.pane)
        if args.preset:
            if args.preset not in pane.presets():
                raise CliError(f"pane '{args.pane}' has no preset '{args.preset}'; presets: {', '.join(pane.presets())}")
            pane.apply_preset(args.preset)
        wait_until_idle(app, window, args.timeout)
        image = window.grab()
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        if not image.save(args.out):
            raise CliError(f"could not write {args.out}")
    finally:
        window.close()
        window.engine.shutdown()
    print(args.out)
    return 0


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
