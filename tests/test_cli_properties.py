"""Property tests: random and hostile values for every argument of every `llm-explorer` command.

The contract (issue 12): bad input exits 2 with exactly one line on stderr and
is refused before any model loads; a successful --json call writes nothing on
stderr; never a traceback, and nothing written anywhere. Every loader is a
tripwire here (tests/cli_harness.py), so no real model loads and the suite
stays fast; the real-model checks are in tests/test_cli_faults.py.

Commands are found from the parser itself, so a command added later (say
`generate`) is fuzzed too without touching this file.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from explorer.cli import build_parser
from tests.cli_harness import listing, run_cli, tripwires

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


COMMANDS = subcommands()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """Ordinary and special inputs, an output folder, and a working folder: everything a command may be given."""
    from PIL import Image

    root = tmp_path_factory.mktemp("sandbox")
    (root / "good.txt").write_text("The cat sat on the mat.", encoding="utf-8")
    (root / "latin1.txt").write_bytes("café au lait".encode("latin-1"))
    (root / "blank.txt").write_text(" \n\t ", encoding="utf-8")
    (root / "vectors.tsv").write_text("cat\t0.1\t0.2\ndog\t0.2\t0.1\n", encoding="utf-8")
    Image.new("RGB", (32, 32), (200, 30, 30)).save(root / "red.png")
    (root / "folder.png").mkdir()
    (root / "folder.npz").mkdir()
    os.mkfifo(root / "fifo.txt")
    os.mkfifo(root / "fifo.npz")
    os.mkfifo(root / "fifo.png")
    os.symlink("/dev/zero", root / "zero.txt")
    os.symlink("/proc/self/environ", root / "environ.npz")
    (root / "out").mkdir()
    (root / "cwd").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root / "cwd")
        yield root


def special_paths(root) -> list[str]:
    """Paths no command may read or write: special files, folders, missing folders, names too long."""
    return [str(root / name) for name in ("folder.png", "folder.npz", "fifo.txt",
                                          "fifo.npz", "fifo.png", "zero.txt", "environ.npz", "out",
                                          "nowhere/x.npz", "nowhere/x.png")] + [
        "/proc/self/environ", "/proc/x.npz", "/dev/zero", "/dev/null", "/dev/x.png", "/sys/kernel", "/",
        "/nonexistent-folder/x.npz", "/nonexistent-folder/x.png", "x" * 300 + ".npz", "x" * 300 + ".png",
        "~", "-", "", " ", "\x00", "\ud800.npz", "\ud800.png"]


NUMBERS = ["nan", "NaN", "inf", "-inf", "0", "-0", "-1", "1e400", "-1e400", "99999999999999999999999",
           "1e-320", "0x10", "1_000", "99999x99999", "40000x40000", "0x0", "-5x5", "1600x1000", "8193x100",
           "7680x4320", "1.5", "2.5", "2.51", "0.79", "1000", "4294967296", "0-3", "3-1", "0,5", "0,,5", "a-b",
           "00000000000000000001", "٣", "²", "0-99999"]

TEXT_CHARS = st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),
                       st.sampled_from(["\x00", "\n", "\r", "\u2028", " ", "\t", "\ufeff"]))
TEXTS = st.one_of(st.text(TEXT_CHARS, max_size=40), st.sampled_from(["", " ", "\n\t", "x" * 100_000, "-"]))


def bad_text_files(root) -> list[str]:
    return [str(root / "latin1.txt"), str(root / "blank.txt")]


def values(root) -> st.SearchStrategy[str]:
    valid = ["minilm", "smollm2", "gpt2", "gpt-4o", "glove-50d", "mini-clip", "tokenizers", "attention",
             "The cat sat.", "cat", str(root / "good.txt"), str(root / "red.png"), str(root / "vectors.tsv"),
             str(root / "out" / "a.npz"), str(root / "out" / "s.png"), "cpu", "auto", "sarah",
             "a\udcffb.npz"]  # a file name that is not UTF-8: legal on Linux
    return st.one_of(st.sampled_from(valid), st.sampled_from(special_paths(root) + bad_text_files(root)),
                     st.sampled_from(NUMBERS),
                     TEXTS)


def option_argv(action: argparse.Action, value_strategy, draw) -> list[str]:
    option = max(action.option_strings, key=len)
    if action.nargs == 0:  # a flag
        return [option]
    if action.nargs in ("+", "*"):
        return [option, *draw(st.lists(value_strategy, min_size=1, max_size=3))]
    if action.choices and draw(st.booleans()):
        return [option, draw(st.sampled_from(sorted(map(str, action.choices))))]
    return [option, draw(value_strategy)]


def check_run(argv: list[str], stdin: bytes, root) -> None:
    before = listing(root)
    ran = run_cli(argv, stdin)
    ran.check_contract(argv)
    assert listing(root) == before, f"{argv!r} wrote {listing(root) ^ before}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_random_and_hostile_arguments_keep_the_contract(command, sandbox, data):
    """Any mix of options with random, special and huge values: exit 0 or 2 in one line, or reach the model."""
    parser = COMMANDS[command]
    options = [a for a in parser._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]
    required = [a for a in options if a.required]
    optional = [a for a in options if not a.required]
    chosen = required + data.draw(st.lists(st.sampled_from(optional), unique_by=id, max_size=len(optional))
                                  if optional else st.just([]))
    argv = [command]
    strategy = values(sandbox)
    for action in data.draw(st.permutations(chosen)):
        argv += option_argv(action, strategy, data.draw)
    stdin = data.draw(st.one_of(st.binary(max_size=40), st.sampled_from([b"", b" \n", b"abc\xff", b"\x00"])))
    with tripwires():
        check_run(argv, stdin, sandbox)


# --- hostile values that must be refused, one argument at a time, from a valid call ---------------------

def _base(root) -> dict[str, list[str]]:
    out = root / "out"
    return {
        "tokenize": ["tokenize", "-t", "gpt2", "--text", "The cat sat.", "--json"],
        "attention": ["attention", "--model", "minilm", "--text", "The cat sat.", "--out", str(out / "a.npz")],
        "next-token": ["next-token", "--model", "smollm2", "--text", "The cat sat.", "--json"],
        "neighbors": ["neighbors", "--word", "cat", "--json"],
        "analogy": ["analogy", "--positive", "king", "--negative", "man", "--json"],
        "similarity": ["similarity", "--image", str(root / "red.png"), "--text", "a red circle", "--json"],
        "screenshot": ["screenshot", "--pane", "tokenizers", "--out", str(out / "s.png")],
        "train-mini-clip": ["train-mini-clip", "--steps", "10", "--json"],
    }


def _replace(argv: list[str], option: str, value: str) -> list[str]:
    """`argv` with `option` given `value` (as --option=value: a value may start with '-')."""
    if option in argv:
        i = argv.index(option)
        argv = argv[:i] + argv[i + 2:]
    return [*argv, f"{option}={value}"]


BAD_TEXT = st.one_of(
    st.text(TEXT_CHARS, max_size=20).map(lambda s: s + "\udcff" + s),  # bytes that were not UTF-8
    st.text(st.sampled_from(" \t\n\r\x0b\x0c\u3000\u2028"), max_size=10),  # empty or whitespace only
)
BAD_STDIN = st.one_of(
    st.binary(min_size=1, max_size=40).filter(lambda b: not _is_utf8(b)),
    st.text(st.sampled_from(" \t\n\r"), max_size=10).map(str.encode),
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


TEXT_OPTIONS = [("tokenize", "--text"), ("attention", "--text"), ("next-token", "--text"), ("neighbors", "--word"),
                ("analogy", "--positive"), ("analogy", "--negative"), ("similarity", "--text")]


@pytest.mark.parametrize("command, option", TEXT_OPTIONS)
@FUZZ
@given(bad=BAD_TEXT)
def test_bad_text_is_refused_in_one_line_before_any_model_loads(command, option, bad, sandbox):
    argv = _replace(_base(sandbox)[command], option, bad)
    with tripwires() as called:
        ran = run_cli(argv)
    message = ran.refused(argv)
    assert not called
    assert "not UTF-8 text" in message or "empty" in message


@pytest.mark.parametrize("command", ["tokenize", "attention", "next-token"])
@FUZZ
@given(stdin=BAD_STDIN)
def test_bad_standard_input_is_refused_in_one_line_before_any_model_loads(command, stdin, sandbox):
    argv = _replace(_base(sandbox)[command], "--text", "-")
    with tripwires():
        message = run_cli(argv, stdin).refused(argv)
    try:
        stdin.decode("utf-8")
    except UnicodeDecodeError as exc:
        assert message == f"llm-explorer: standard input is not UTF-8 text ({exc.reason} at byte {exc.start})"
    else:
        assert message == "llm-explorer: the text is empty"


PATH_OPTIONS = [("tokenize", "--file"), ("attention", "--out"), ("screenshot", "--out"), ("similarity", "--image"),
                ("neighbors", "--vectors"), ("analogy", "--vectors")]


@pytest.mark.parametrize("command, option", PATH_OPTIONS)
@FUZZ
@given(data=st.data())
def test_special_and_missing_paths_are_refused_before_any_model_loads(command, option, data, sandbox):
    bad = data.draw(st.sampled_from(special_paths(sandbox) + (bad_text_files(sandbox) if option == "--file" else [])))
    if option == "--vectors" and not os.path.splitext(bad)[1] and "/" not in bad:
        bad += ".tsv"  # a bare name is a catalogue id, not a path
    argv = _replace(_base(sandbox)[command], option, bad)
    if command == "tokenize":
        argv.remove("--text")
        argv.remove("The cat sat.")
    before = listing(sandbox)
    with tripwires() as called:
        ran = run_cli(argv)
    ran.refused(argv)
    assert not called and listing(sandbox) == before


# (command, option, which values are invalid): the spec each option's --help states
NUMBER_OPTIONS = [("screenshot", "--size", lambda v: not _valid_size(v)),
                  ("screenshot", "--font-scale", lambda v: not _number_in(float, v, 0.8, 2.5)),
                  ("screenshot", "--timeout", lambda v: not _number_in(float, v, 0.0, 86400, open_low=True)),
                  ("train-mini-clip", "--steps", lambda v: not _number_in(int, v, 1, 100_000)),
                  ("train-mini-clip", "--seed", lambda v: not _number_in(int, v, 0, 2**32 - 1)),
                  ("neighbors", "--k", lambda v: not _number_in(int, v, 1, float("inf"))),
                  ("attention", "--layers", lambda v: not _valid_indices(v)),
                  ("attention", "--heads", lambda v: not _valid_indices(v))]


def _number_in(kind, value: str, low: float, high: float, open_low: bool = False) -> bool:
    """`value` parses as `kind` (as argparse would) within [low, high]; a leading '-' is an option to argparse."""
    import math

    try:
        number = kind(value)
    except ValueError:
        return False
    if value.startswith("-") and number != 0 and not value.lstrip("-").replace(".", "", 1).isdigit():
        return False  # argparse reads '-1e5' as an option, not a number
    return math.isfinite(number) and (low < number if open_low else low <= number) and number <= high


def _valid_size(value: str) -> bool:
    import re

    match = re.fullmatch(r"([0-9]{1,6})[xX]([0-9]{1,6})", value.strip())
    return bool(match) and all(100 <= int(side) <= 8192 for side in match.groups())


def _valid_indices(value: str) -> bool:
    """Comma-separated indices and low-high ranges, counted from 0, at most 4 digits each."""
    import re

    parts = [re.fullmatch(r"([0-9]{1,4})(?:-([0-9]{1,4}))?", p.strip()) for p in value.split(",")]
    return all(parts) and all(int(m[1]) <= int(m[2] or m[1]) for m in parts) and not value.startswith("-")


@pytest.mark.parametrize("command, option, invalid", NUMBER_OPTIONS, ids=[f"{c} {o}" for c, o, _ in NUMBER_OPTIONS])
@FUZZ
@given(value=st.one_of(st.sampled_from(NUMBERS), st.floats().map(repr), st.integers().map(str)))
def test_numbers_out_of_range_are_refused_and_in_range_accepted(command, option, invalid, value, sandbox):
    argv = _replace(_base(sandbox)[command], option, value)
    with tripwires():
        ran = run_cli(argv)
    ran.check_contract(argv)
    if invalid(value):
        ran.refused(argv)
    else:  # a valid number reaches the model (the layers' upper bound is checked against the loaded model)
        assert ran.loaded, (argv, ran.err)


# --- a few as real processes: the shell's bytes, real stdin, a patched loader in the child ----------------

CHILD = """
import sys
import explorer.models.loader as loader
import explorer.models.tokenizer_loader as tokenizer_loader
def tripped(*a, **k):
    sys.stderr.write("MODEL LOADED\\n")
    raise SystemExit(99)
loader.load = tokenizer_loader.load_tokenizer = tripped
from explorer.app import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("argv, stdin, message", [
    ([b"next-token", b"--text", b"-"], b"abc\xff", "standard input is not UTF-8 text (invalid start byte at byte 3)"),
    ([b"attention", b"--model", b"minilm", b"--text", b"-", b"--out", b"a.npz"], b"The \xe2\x82 cat",
     "standard input is not UTF-8 text (invalid continuation byte at byte 4)"),
    ([b"attention", b"--model", b"minilm", b"--text", b"abc\xff", b"--out", b"a.npz"], b"",
     "--text is not UTF-8 text (invalid start byte at byte 3)"),
    ([b"attention", b"--model", b"minilm", b"--text", b"hi", b"--out", b"/proc/x.npz"], b"", "/proc"),
    ([b"screenshot", b"--pane", b"tokenizers", b"--out", b"s.png", b"--size", b"99999x99999"], b"", "8192"),
    ([b"screenshot", b"--pane", b"tokenizers", b"--out", b"s.png", b"--font-scale", b"nan"], b"", "--font-scale"),
    # the pane is built (not shown) to read its presets: still no model
    ([b"screenshot", b"--pane", b"attention", b"--out", b"s.png", b"--preset", b"nope"], b"", "no preset 'nope'"),
])
def test_as_a_process_bad_input_is_one_line_and_no_model_loads(argv, stdin, message, tmp_path):
    import explorer

    root = os.path.dirname(os.path.dirname(os.path.abspath(explorer.__file__)))
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, "-c", CHILD, *argv], input=stdin, capture_output=True, cwd=tmp_path,
                            timeout=180, env=env)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, err
    assert len(err.splitlines()) == 1 and message in err and "MODEL LOADED" not in err
    assert list(tmp_path.iterdir()) == []
