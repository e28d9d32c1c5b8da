"""Entry points: no arguments opens the window, a subcommand runs the CLI."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    # first thing: in a frozen bundle the model host process starts as this executable again
    import multiprocessing

    multiprocessing.freeze_support()
    args = sys.argv[1:] if argv is None else argv
    if args:
        from explorer.cli import main as cli_main

        sys.exit(cli_main(args))
    gui_main()


def gui_main() -> None:
    """Windowless entry point (Windows' pythonw / the installer's shortcut)."""
    import multiprocessing

    multiprocessing.freeze_support()  # idempotent; gui_main is also an entry point of its own
    from explorer.ui.application import run_gui

    sys.exit(run_gui())
