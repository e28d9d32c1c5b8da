"""`llm-explorer tokenize --tokenizer ID [--tokenizer ID ...] (--text TEXT | --file PATH) [--json]`.

JSON: {"text": ..., "results": [{"tokenizer", "encoding", "vocab_size",
"tokens": [{"id", "text", "start", "end", "special"}]}]}; start / end are
Python string indices into "text".
"""
from __future__ import annotations
from explorer.core.safe_paths import expand_user


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tokenize", help="split a text into tokens with one or more tokenizers",
        description="ID is a catalogue tokenizer (`llm-explorer list --kind tokenizer`), a Hugging Face Hub id "
                    "(org/name), or a folder holding tokenizer files.")
    parser.add_argument("--tokenizer", "-t", action="append", required=True, metavar="ID",
                        help="a tokenizer; repeat for several")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the text to tokenize; '-' reads it from standard input (UTF-8, at most 10 MB)")
    source.add_argument("--file", metavar="PATH", help="a UTF-8 text file to tokenize (at most 10 MB)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def read_text(args) -> str:
    """The text to tokenize, from --text ('-': standard input) or --file, checked (explorer.commands._text_input)."""
    from explorer.commands._text_input import read_file, read_text as read_text_value

    if args.text is not None:
        return read_text_value(args.text)
    return read_file(args.file)


def check_tokenizer_path(spec: str) -> None:
    """A tokenizer given as a folder or file must not be in /proc, /sys or /dev."""
    import os
    from pathlib import Path

    from explorer.cli import CliError
    from explorer.commands._paths import special_root

    try:
        path = expand_user(spec)
        if not path.exists():
            return
        root = special_root(Path(os.path.realpath(path)))
    except (OSError, ValueError):
        raise CliError(f"--tokenizer: '{spec}' is neither a tokenizer name nor a usable path") from None
    if root:
        raise CliError(f"--tokenizer: {spec} is in {root}, a system folder, not a tokenizer folder")


def run(args) -> int:
    from explorer.cli import CliError, print_json
    from explorer.commands._text_input import check_words
    from explorer.models.catalogue import UnknownModel
    from explorer.models.hub import HubUnavailable
    from explorer.models.tokenizer_loader import load_tokenizer, resolve_tokenizer

    text = read_text(args)
    entries = []  # every name checked before any tokenizer loads
    for spec in check_words(args.tokenizer, "--tokenizer"):
        check_tokenizer_path(spec)
        try:
            entries.append(resolve_tokenizer(spec))
        except (UnknownModel, ValueError) as exc:
            raise CliError(exc.args[0] if exc.args else str(exc)) from exc
    tokenizers = []
    for entry in entries:
        try:
            tokenizers.append(load_tokenizer(entry))
        except (UnknownModel, HubUnavailable, ValueError) as exc:
            raise CliError(exc.args[0] if exc.args else str(exc)) from exc
        except OSError as exc:  # a file of the tokenizer (or its cache) is missing or unreadable
            raise CliError(f"{entry.title}: {exc.strerror or exc}"
                           + (f": {exc.filename}" if getattr(exc, "filename", None) else "")) from exc
        except Exception as exc:  # noqa: BLE001 - a user's own tokenizer file fails in the library's own ways
            if not entry.source.startswith("local:"):
                raise
            raise CliError(f"{entry.title} is not a tokenizer this app can read ({exc})") from exc
    results = [tokenizer.tokenize(text) for tokenizer in tokenizers]
    if args.json:
        print_json({"text": text, "results": [r.to_json() for r in results]})
        return 0
    from explorer.core.tokenization import visible_whitespace

    for r in results:
        print(f"{r.tokenizer.title} [{r.encoding}, vocabulary {r.vocab_size:,}]: {len(r):,} tokens, "
              f"{r.chars_per_token:.2f} characters per token")
        print(" | ".join(visible_whitespace(r.token_text(i)) for i in range(len(r))))
    return 0
