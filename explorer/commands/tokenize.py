"""`llm-explorer tokenize --tokenizer ID [--tokenizer ID ...] (--text TEXT | --file PATH) [--json]`.

JSON: {"text": ..., "results": [{"tokenizer", "encoding", "vocab_size",
"tokens": [{"id", "text", "start", "end", "special"}]}]}; start / end are
Python string indices into "text".
"""
from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "tokenize", help="split a text into tokens with one or more tokenizers",
        description="ID is a catalogue tokenizer (`llm-explorer list --kind tokenizer`), a Hugging Face Hub id "
                    "(org/name), or a folder holding tokenizer files.")
    parser.add_argument("--tokenizer", "-t", action="append", required=True, metavar="ID",
                        help="a tokenizer; repeat for several")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", help="the text to tokenize")
    source.add_argument("--file", metavar="PATH", help="a UTF-8 text file to tokenize")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def read_text(args) -> str:
    from explorer.cli import CliError

    if args.text is not None:
        return args.text
    path = Path(args.file).expanduser()
    if not path.is_file():
        raise CliError(f"no file at {path}")
    try:
        # newline="" keeps CRLF as it is: spans index the exact file content
        with path.open(encoding="utf-8", newline="") as fh:
            return fh.read()
    except UnicodeDecodeError as exc:
        raise CliError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


def run(args) -> int:
    from explorer.cli import CliError, print_json
    from explorer.core.tokenization import clean_text
    from explorer.models.catalogue import UnknownModel
    from explorer.models.hub import HubUnavailable
    from explorer.models.tokenizer_loader import load_tokenizer, resolve_tokenizer

    text = clean_text(read_text(args))
    tokenizers = []
    for spec in args.tokenizer:
        try:
            tokenizers.append(load_tokenizer(resolve_tokenizer(spec)))
        except (UnknownModel, HubUnavailable, FileNotFoundError, ValueError) as exc:
            raise CliError(exc.args[0] if exc.args else str(exc)) from exc
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
