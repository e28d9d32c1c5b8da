"""`llm-explorer SUBCOMMAND ...`: headless commands that print JSON or write files.

Subcommands live in explorer/commands/, one module each with
`register(subparsers)`; they are found by themselves. No Qt here (only the
`screenshot` command imports it, when it runs).
"""
from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys


class CliError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        print(f"llm-explorer: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    import explorer.commands as package

    parser = _Parser(prog="llm-explorer", description="See inside language models. "
                     "With no arguments, opens the window.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(subparsers)
    return parser


def print_json(data: object) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # commands print what a user needs (e.g. a skipped damaged model copy) themselves; without a
    # handler Python's last-resort one would print the library's warning a second time
    import logging

    logging.getLogger("explorer").addHandler(logging.NullHandler())
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except CliError as exc:
        print(f"llm-explorer: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user
        from explorer.models.catalogue import UnknownModel
        from explorer.models.hub import HubUnavailable

        if isinstance(exc, (UnknownModel, HubUnavailable, FileNotFoundError, ValueError)):
            message = exc.args[0] if isinstance(exc, UnknownModel) and exc.args else str(exc)
            print(f"llm-explorer: {message}", file=sys.stderr)
            return 2
        print(f"llm-explorer: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
