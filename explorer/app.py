"""Entry points: no arguments opens the window, a subcommand runs the CLI."""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args:
        from explorer.cli import main as cli_main

        sys.exit(cli_main(args))
    gui_main()


def gui_main() -> None:
    """Windowless entry point (Windows' pythonw / the installer's shortcut)."""
    from explorer.ui.application import run_gui

    sys.exit(run_gui())
