"""The one way in for text in every CLI command: --text, --text - (standard input), --file, words, captions.

Every command reads its text through here *before* it loads a model, so bad
text is refused the same way everywhere, in one line, with exit code 2:

- bytes that are not UTF-8 (a file, standard input, or an argument the shell
  passed as bytes Python could not decode, which arrives as surrogate escapes):
  "standard input is not UTF-8 text (invalid start byte at byte 6)";
- empty or only whitespace: "the text is empty";
- more than MAX_TEXT_BYTES (10 MB) of UTF-8: "... is larger than 10 MB".

NUL and other control characters are text like any other: every tokenizer
here handles them (BERT drops them, the byte-level BPEs keep them).
"""
from __future__ import annotations

import sys

# 10 MB: ten long novels. Tokenizing that takes seconds; much more only fills the terminal.
MAX_TEXT_BYTES = 10_000_000


def _error(message: str):
    from explorer.cli import CliError

    return CliError(message)


def decode(data: bytes, source: str) -> str:
    """`data` as text, or the refusal naming `source` and the first bad byte."""
    if len(data) > MAX_TEXT_BYTES:
        raise _error(f"{source} is larger than {MAX_TEXT_BYTES // 1_000_000} MB, the most a command reads")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _error(f"{source} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def check_text(text: str, source: str = "--text", allow_empty: bool = False) -> str:
    """`text` if it is valid Unicode within the size limit (and not blank, unless `allow_empty`)."""
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        # an argument with bytes that were not UTF-8 comes through as surrogate escapes: find the byte
        try:
            decode(text.encode("utf-8", "surrogateescape"), source)
        except UnicodeEncodeError:
            pass
        # a lone surrogate that is no escape of a byte (only from Python callers)
        index = next(i for i, c in enumerate(text) if 0xD800 <= ord(c) <= 0xDFFF)
        raise _error(f"{source} is not UTF-8 text (lone surrogate U+{ord(text[index]):04X} "
                     f"at character {index})") from None
    if size > MAX_TEXT_BYTES:
        raise _error(f"{source} is larger than {MAX_TEXT_BYTES // 1_000_000} MB, the most a command reads")
    if not allow_empty and not text.strip():
        raise _error("the text is empty" if source in ("--text", "standard input") else f"{source} is empty")
    return text


def read_stdin(source: str = "standard input") -> str:
    """Standard input as UTF-8 bytes (never through the locale's decoder), at most MAX_TEXT_BYTES."""
    stream = getattr(sys.stdin, "buffer", None)
    try:
        if stream is None:  # closed (None), or a text stream swapped in: its characters, checked the same way
            text = sys.stdin.read(MAX_TEXT_BYTES + 1) if sys.stdin is not None else ""
            return check_text(text, source)
        data = stream.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise _error(f"cannot read {source}: {exc.strerror or exc}") from None
    return check_text(decode(data or b"", source), source)


def read_text(value: str, source: str = "--text") -> str:
    """The text of a --text argument; '-' reads standard input. Refuses bad text in one line."""
    if value == "-":
        return read_stdin()
    return check_text(value, source)


def read_file(path_text: str, source: str = "--file") -> str:
    """A UTF-8 text file's exact content (CRLF kept: spans index the file as it is)."""
    from explorer.commands._paths import check_input_file

    path = check_input_file(path_text, source)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise _error(f"cannot read {path}: {exc.strerror or exc}") from None
    return check_text(decode(data, str(path)), str(path))


def check_words(words: list[str], source: str) -> list[str]:
    """Each word valid text, not blank."""
    return [check_text(word, source) for word in words]

