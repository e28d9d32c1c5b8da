"""`llm-explorer SUBCOMMAND ...`: headless commands that print JSON or write files.

Subcommands live in explorer/commands/, one module each with
`register(subparsers)`; they are found by themselves. No Qt here (only the
`screenshot` command imports it, when it runs).

What every command keeps to (tests/test_cli_faults.py, tests/test_cli_properties.py):
bad input exits 2 with exactly one line on stderr, before any model loads
(text comes in through explorer.commands._text_input, paths are checked by
explorer.commands._paths); a successful --json call writes nothing on stderr
(progress only with --progress); never a traceback; nothing written but the
output file. Library progress bars and warnings are silenced here, in one place.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys


class CliError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        say(f"{message} (see --help)")
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


# TQDM_DISABLE: plain tqdm bars too (transformers' first-run GGUF conversion of SmolLM2 draws one);
# the app's own download progress passes disable=False explicitly and still reports
QUIET_ENVIRONMENT = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TRANSFORMERS_VERBOSITY": "error",
                     "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1", "TOKENIZERS_PARALLELISM": "false",
                     "TQDM_DISABLE": "1"}


def quiet_libraries() -> dict[str, str | None]:
    """Keep stderr for our own lines: no library progress bars, advice or warnings in the CLI.

    transformers draws a "Loading weights" bar on every model load and warns about long texts
    ("Token indices sequence length ..."); huggingface_hub draws download bars. The variables
    cover libraries imported later, the calls those already imported (in-process callers).
    Returns the variables' previous values, for `main` to put back when the command ends.
    """
    import logging

    previous = {name: os.environ.get(name) for name in QUIET_ENVIRONMENT}
    os.environ.update(QUIET_ENVIRONMENT)
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()
    if "transformers" in sys.modules:
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
    # commands print what a user needs (e.g. a skipped damaged model copy) themselves; without a
    # handler Python's last-resort one would print any library's warning a second time
    root = logging.getLogger()
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        root.addHandler(logging.NullHandler())
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 prints escaped, never crashes
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass
    return previous


def _restore_environment(previous: dict[str, str | None]) -> None:
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


MAX_MESSAGE_CHARS = 1000


def say(message: object) -> None:
    """One line on stderr, whatever the message holds."""
    line = " ".join(str(message).splitlines()).strip() or "failed"
    if len(line) > MAX_MESSAGE_CHARS:  # a 100 KB argument quoted back is no help to anyone
        line = line[:MAX_MESSAGE_CHARS] + "…"
    try:
        print(f"llm-explorer: {line}", file=sys.stderr, flush=True)
    except UnicodeEncodeError:
        print("llm-explorer: " + line.encode("ascii", "backslashreplace").decode("ascii"), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand: 0 on success, 2 with one line on stderr for anything the user can fix."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        say("give a command, e.g. `llm-explorer list` (see --help)")
        return 2
    previous = quiet_libraries()
    import warnings

    try:
        from explorer.commands._paths import check_cache_setting

        check_cache_setting()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # library deprecation notes are not the user's business
            return int(args.handler(args) or 0)
    except CliError as exc:
        say(exc)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `llm-explorer ... | head`: the reader left, nothing more to say
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python flushes stdout at exit
        except OSError:
            pass
        return 1
    except MemoryError:
        say("out of memory (try a shorter text or a smaller size)")
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback for the user
        from explorer.models.catalogue import UnknownModel
        from explorer.models.hub import HubUnavailable

        if isinstance(exc, (UnknownModel, HubUnavailable, FileNotFoundError, ValueError)):
            say(exc.args[0] if isinstance(exc, UnknownModel) and exc.args else exc)
            return 2
        say(f"{exc.__class__.__name__}: {exc}")
        return 1
    finally:
        _restore_environment(previous)
