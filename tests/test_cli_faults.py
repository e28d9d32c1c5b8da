"""The CLI faults of issue 12 (items 1-4), one test class per item, with the real offline models where it matters.

Random and hostile arguments for every command are in tests/test_cli_properties.py.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.cli_harness import listing, run_cli, tripwires


def _root() -> str:
    import explorer

    return os.path.dirname(os.path.dirname(os.path.abspath(explorer.__file__)))


def run_process(argv: list[str | bytes], stdin: bytes = b"", cwd=None) -> subprocess.CompletedProcess:
    """`python -m explorer ARGV` as a user runs it (real stdin, stderr as bytes)."""
    from explorer.cli import QUIET_ENVIRONMENT

    # the child quiets the libraries itself: nothing inherited from this process does it for it
    env = {name: value for name, value in os.environ.items() if name not in QUIET_ENVIRONMENT}
    env["PYTHONPATH"] = _root() + os.pathsep + os.environ.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "explorer", *argv], input=stdin, capture_output=True, cwd=cwd,
                          env=env, timeout=600)


@pytest.fixture
def red_png(tmp_path):
    from PIL import Image

    path = tmp_path / "red.png"
    Image.new("RGB", (32, 32), (200, 30, 30)).save(path)
    return str(path)


class TestItem1ScreenshotBounds:
    """`screenshot --size 99999x99999` segfaulted; --font-scale nan/0/1000 were accepted."""

    @pytest.mark.parametrize("size", ["99999x99999", "40000x40000", "8193x1000", "1000x8193", "99x1000", "0x0",
                                      "1600", "-5x5", "1e3x100", "1600x1000x3", "", "x"])
    def test_a_size_outside_100_to_8192_is_refused_before_the_window(self, size, tmp_path):
        argv = ["screenshot", "--pane", "tokenizers", "--out", str(tmp_path / "s.png"), f"--size={size}"]
        with tripwires() as called:
            message = run_cli(argv).refused(argv)
        assert "--size" in message and not called and list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize("size", ["8192x8192", "7680x4320", "100x100", "1600x1000"])
    def test_sizes_up_to_8k_are_accepted(self, size, tmp_path):
        with tripwires() as called:
            ran = run_cli(["screenshot", "--pane", "tokenizers", "--out", str(tmp_path / "s.png"), "--size", size])
        assert ran.loaded and called == ["explorer.ui.application.make_application"]

    @pytest.mark.parametrize("scale", ["nan", "inf", "0", "1000", "0.79", "2.51", "1e308", "-0"])
    def test_a_font_scale_outside_the_apps_range_is_refused(self, scale, tmp_path):
        argv = ["screenshot", "--pane", "tokenizers", "--out", str(tmp_path / "s.png"), f"--font-scale={scale}"]
        with tripwires() as called:
            message = run_cli(argv).refused(argv)
        assert message.startswith("llm-explorer: --font-scale must be between 0.8 and 2.5") and not called

    def test_the_font_scale_range_is_the_apps_own(self):
        from explorer.commands.screenshot import FONT_SCALE_RANGE
        from explorer.ui.window.view import FONT_SCALES
        from explorer.ui.presenter import PRESENTER_SCALES

        scales = FONT_SCALES + PRESENTER_SCALES
        assert FONT_SCALE_RANGE == (min(scales), max(scales))

    def test_help_states_the_bounds(self):
        ran = run_cli(["screenshot", "--help"])
        assert ran.code == 0
        text = " ".join(ran.out.split())
        assert "100 to 8192 pixels a side" in text and "0.8 to 2.5" in text

    def test_the_99999_case_as_a_process_is_one_line_not_a_crash(self, tmp_path):
        result = run_process(["screenshot", "--pane", "tokenizers", "--out", "s.png", "--size", "99999x99999"],
                             cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.decode() == ("llm-explorer: --size 99999x99999: each side must be 100 to 8192 "
                                          "pixels\n")
        assert list(tmp_path.iterdir()) == []

    def test_a_real_screenshot_writes_the_png_and_nothing_on_stderr(self, tmp_path):
        """Item 4 too: no "propagateSizeHints()" lines from the offscreen platform."""
        from PIL import Image

        result = run_process(["screenshot", "--pane", "tokenizers", "--out", "s.png", "--size", "1200x800",
                              "--font-scale", "1.3"], cwd=tmp_path)
        assert result.returncode == 0, result.stderr.decode()
        assert result.stderr == b"" and result.stdout.decode().strip() == "s.png"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["s.png"]  # no temporary file left beside it
        with Image.open(tmp_path / "s.png") as image:
            assert image.size == (1200, 800)


def _commands_with(option: str) -> list[str]:
    from tests.test_cli_properties import COMMANDS

    return sorted(name for name, parser in COMMANDS.items()
                  if any(option in action.option_strings for action in parser._actions))


def _parses(action, value: str) -> bool:
    try:
        (action.type or str)(value)
        return True
    except Exception:  # noqa: BLE001 - argparse's type functions raise several kinds
        return False


def _argv_with_required(command: str, tmp_path, red_png: str) -> list[str]:
    """`command` with its required options filled with valid values (for commands added later too)."""
    from tests.test_cli_properties import COMMANDS

    fill = {"--tokenizer": "gpt2", "--pane": "tokenizers", "--model": "minilm", "--word": "cat",
            "--positive": "king", "--text": "The cat sat.",
            "--out": str(tmp_path / ("s.png" if command == "screenshot" else "a.npz"))}
    argv = [command]
    for action in COMMANDS[command]._actions:
        if action.required:
            option = max(action.option_strings, key=len)
            argv += [option, fill.get(option) or next(v for v in ("1", "x") if _parses(action, v))]
    if command == "similarity":
        argv += ["--image", red_png]
    return argv


def _without_text(argv: list[str]) -> list[str]:
    if "--text" in argv:
        i = argv.index("--text")
        return argv[:i] + argv[i + 2:]
    return argv


class TestItem2OneTextInput:
    """Invalid UTF-8 exited 1 with a TypeError after loading the model; now every command says where, before."""

    @pytest.mark.parametrize("command", _commands_with("--text"))
    def test_every_text_command_refuses_bytes_that_are_not_utf8_before_loading(self, command, tmp_path, red_png):
        argv = _without_text(_argv_with_required(command, tmp_path, red_png))
        with tripwires() as called:
            message = run_cli([*argv, "--text", "abc\udcff"]).refused(argv)
        assert message == "llm-explorer: --text is not UTF-8 text (invalid start byte at byte 3)" and not called

    @pytest.mark.parametrize("command", [c for c in _commands_with("--text") if c != "similarity"])
    def test_every_text_command_refuses_standard_input_that_is_not_utf8(self, command, tmp_path, red_png):
        argv = _without_text(_argv_with_required(command, tmp_path, red_png))
        with tripwires() as called:
            message = run_cli([*argv, "--text", "-"], stdin="The café is".encode("latin-1")).refused(argv)
        assert message == "llm-explorer: standard input is not UTF-8 text (invalid continuation byte at byte 7)"
        assert not called

    def test_a_file_standard_input_and_an_argument_get_the_same_message(self, tmp_path):
        data = "The café is".encode("latin-1")
        (tmp_path / "in.txt").write_bytes(data)
        with tripwires():
            from_file = run_cli(["tokenize", "-t", "gpt2", "--file", str(tmp_path / "in.txt")]).err
            from_stdin = run_cli(["tokenize", "-t", "gpt2", "--text", "-"], stdin=data).err
            from_argv = run_cli(["tokenize", "-t", "gpt2", "--text", os.fsdecode(data)]).err
        reason = "is not UTF-8 text (invalid continuation byte at byte 7)\n"
        assert from_file == f"llm-explorer: {tmp_path / 'in.txt'} {reason}"
        assert from_stdin == f"llm-explorer: standard input {reason}"
        assert from_argv == f"llm-explorer: --text {reason}"

    def test_the_shells_bytes_as_a_process(self, tmp_path):
        result = run_process([b"next-token", b"--text", b"abc\xff", b"--json"], cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr == b"llm-explorer: --text is not UTF-8 text (invalid start byte at byte 3)\n"

    @pytest.mark.parametrize("text", ["", " ", "\n\t\r\n", "\u3000"])
    def test_empty_text_is_refused_everywhere(self, text, tmp_path, red_png):
        for command in _commands_with("--text"):
            argv = _without_text(_argv_with_required(command, tmp_path, red_png))
            with tripwires() as called:
                message = run_cli([*argv, f"--text={text}"]).refused(argv)
            assert "empty" in message and not called, command

    def test_more_than_10_mb_is_refused_before_loading(self):
        from explorer.commands._text_input import MAX_TEXT_BYTES

        with tripwires() as called:
            message = run_cli(["attention", "--model", "minilm", "--text", "-", "--out", "a.npz"],
                              stdin=b"a" * (MAX_TEXT_BYTES + 1)).refused([])
        assert message == "llm-explorer: standard input is larger than 10 MB, the most a command reads"
        assert not called

    def test_nul_is_text_like_any_other(self, capsys):
        from explorer.cli import main

        assert main(["tokenize", "-t", "gpt2", "--text", "a\x00b", "--json"]) == 0
        tokens = json.loads(capsys.readouterr().out)["results"][0]["tokens"]
        assert [t["text"] for t in tokens] == ["a", "\x00", "b"]

    def test_read_text_stays_importable_from_attention_for_other_commands(self):
        from explorer.commands import _text_input, attention

        assert attention.read_text is _text_input.read_text


ATTENTION_TEXT = "Sarah fed the cat because it was hungry."


class TestItem3OutputsFirstAndSmall:
    """`attention --out /proc/x.npz` loaded the model first; a long text wrote 703 MB without a word."""

    @pytest.mark.parametrize("command, suffix", [("attention", ".npz"), ("screenshot", ".png")])
    def test_an_output_that_cannot_be_written_is_refused_before_loading(self, command, suffix, tmp_path, red_png):
        (tmp_path / f"folder{suffix}").mkdir()
        os.mkfifo(tmp_path / f"fifo{suffix}")
        os.symlink("/dev/null", tmp_path / f"null{suffix}")
        bad = [f"/proc/x{suffix}", f"/dev/x{suffix}", f"/sys/x{suffix}", str(tmp_path / f"folder{suffix}"),
               str(tmp_path / f"fifo{suffix}"), str(tmp_path / f"null{suffix}"), str(tmp_path / f"no/x{suffix}"),
               str(tmp_path / "x.txt"), str(tmp_path / ("x" * 300 + suffix)), str(tmp_path)]
        before = listing(tmp_path)
        for out in bad:
            argv = _argv_with_required(command, tmp_path, red_png)
            argv[argv.index("--out") + 1] = out
            with tripwires() as called:
                message = run_cli(argv).refused(argv)
            assert "--out" in message and not called, out
        assert listing(tmp_path) == before

    @pytest.mark.parametrize("argv", [["train-mini-clip", "--steps", "5"], ["list"],
                                      ["tokenize", "-t", "smollm2", "--text", "hi"],
                                      ["attention", "--model", "smollm2", "--text", "hi", "--out", "a.npz"]])
    def test_a_cache_folder_that_cannot_be_written_is_refused_before_anything_runs(self, argv, tmp_path,
                                                                                     monkeypatch):
        (tmp_path / "a-file").write_text("x")
        for cache in ["/proc/llm-explorer-cache", "/sys/kernel", str(tmp_path / "a-file" / "below")]:
            monkeypatch.setenv("LLM_EXPLORER_CACHE", cache)
            with tripwires() as called:
                message = run_cli(argv).refused(argv)
            assert message == (f"llm-explorer: LLM_EXPLORER_CACHE={cache} cannot be used as the cache folder; set "
                               "it to a folder that can be written (or unset it)") and not called
        monkeypatch.setenv("LLM_EXPLORER_CACHE", str(tmp_path / "new" / "cache"))  # made when first needed: fine
        with tripwires():
            ran = run_cli(argv)
        assert ran.loaded or ran.code == 0

    def test_layers_and_heads_syntax_is_checked_before_loading(self, tmp_path):
        for option, value in [("--layers", "a"), ("--layers", "3-1"), ("--heads", "-1"), ("--heads", "0,,1"),
                              ("--layers", "99999"), ("--heads", "")]:
            argv = ["attention", "--model", "minilm", "--text", "hi", "--out", str(tmp_path / "a.npz"),
                    f"{option}={value}"]
            with tripwires() as called:
                message = run_cli(argv).refused(argv)
            assert message.startswith(f"llm-explorer: {option}") and not called

    def test_chosen_layers_and_heads_are_exactly_the_full_extraction_sliced(self, tmp_path, capsys):
        from explorer.cli import main

        full, part, half = tmp_path / "full.npz", tmp_path / "part.npz", tmp_path / "half.npz"
        base = ["attention", "--model", "minilm", "--text", ATTENTION_TEXT, "--device", "cpu"]
        assert main([*base, "--out", str(full)]) == 0
        capsys.readouterr()
        assert main([*base, "--out", str(part), "--layers", "0,5", "--heads", "0-3,11"]) == 0
        captured = capsys.readouterr()
        summary = json.loads(captured.out)
        assert summary["layers"] == [0, 5] and summary["heads"] == [0, 1, 2, 3, 11] and summary["dtype"] == "float32"
        t = summary["num_tokens"]
        expected = f"{2 * 5 * t * t * 4 / 1000:,.1f} KB"
        assert captured.err == (f"llm-explorer: writing 2 layers x 5 heads x {t:,} x {t:,} tokens (float32): "
                                f"{expected} before compression\n")
        with np.load(full, allow_pickle=False) as f, np.load(part, allow_pickle=False) as p:
            assert f["attentions"].shape == (6, 12, t, t)
            assert p["attentions"].shape == (2, 5, t, t) and p["attentions"].dtype == np.float32
            assert p["layers"].tolist() == [0, 5] and p["heads"].tolist() == [0, 1, 2, 3, 11]
            assert f["layers"].tolist() == list(range(6)) and f["heads"].tolist() == list(range(12))
            assert np.array_equal(p["attentions"], f["attentions"][[0, 5]][:, [0, 1, 2, 3, 11]])
            assert p["tokens"].tolist() == f["tokens"].tolist()
            reference = f["attentions"]
        assert main([*base, "--out", str(half), "--heads", "7", "--float16", "--json"]) == 0
        captured = capsys.readouterr()
        assert captured.err == ""  # --json: the size line only with --progress
        assert main([*base, "--out", str(half), "--heads", "7", "--float16", "--json", "--progress"]) == 0
        assert capsys.readouterr().err == (f"llm-explorer: writing 6 layers x 1 heads x {t:,} x {t:,} tokens "
                                           f"(float16): {6 * t * t * 2 / 1000:,.1f} KB before compression\n")
        with np.load(half, allow_pickle=False) as h:
            assert h["attentions"].dtype == np.float16 and h["attentions"].shape == (6, 1, t, t)
            assert np.allclose(h["attentions"].astype(np.float32), reference[:, [7]], atol=1e-3)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["full.npz", "half.npz", "part.npz"]

    def test_indices_past_the_model_are_one_line(self, tmp_path, capsys):
        from explorer.cli import main

        assert main(["attention", "--model", "minilm", "--text", "hi", "--out", str(tmp_path / "a.npz"),
                     "--layers", "6", "--device", "cpu"]) == 2
        assert capsys.readouterr().err == "llm-explorer: --layers: the model has 6 layers (0-5), so 6 is not one\n"
        assert list(tmp_path.iterdir()) == []

    def test_a_failed_write_leaves_no_file(self, tmp_path, capsys, monkeypatch):
        from explorer.cli import main

        def disk_full(path, **arrays):
            with open(path, "wb") as fh:
                fh.write(b"PK half a file")
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(np, "savez_compressed", disk_full)
        assert main(["attention", "--model", "minilm", "--text", "hi", "--out", str(tmp_path / "a.npz"),
                     "--device", "cpu", "--json"]) == 2
        assert capsys.readouterr().err == f"llm-explorer: cannot write {tmp_path / 'a.npz'}: No space left on device\n"
        assert list(tmp_path.iterdir()) == []


class TestItem4QuietStderr:
    """Loading bars, tokenizer warnings and Qt messages filled stderr; similarity failures took two lines."""

    def test_json_calls_on_real_models_write_nothing_on_stderr(self, tmp_path):
        """A long text (MiniLM warns past 512 tokens) and a model load (transformers draws a bar) in a fresh process."""
        long_text = " ".join(["The cat sat on the mat and looked at the dog."] * 80)
        result = run_process(["attention", "--model", "minilm", "--text", long_text, "--out", "a.npz", "--json",
                              "--device", "cpu", "--layers", "0", "--heads", "0"], cwd=tmp_path)
        assert result.returncode == 0, result.stderr.decode()
        assert result.stderr == b""
        summary = json.loads(result.stdout)
        assert summary["truncated_from"] > 512 and summary["num_tokens"] == 512

    def test_without_json_stderr_holds_only_our_own_lines(self, tmp_path):
        long_text = " ".join(["The cat sat on the mat and looked at the dog."] * 80)
        result = run_process(["attention", "--model", "minilm", "--text", "-", "--out", "a.npz", "--device", "cpu",
                              "--layers", "0", "--heads", "0"], stdin=long_text.encode(), cwd=tmp_path)
        assert result.returncode == 0, result.stderr.decode()
        lines = result.stderr.decode().splitlines()
        assert len(lines) == 2 and all(line.startswith("llm-explorer: ") for line in lines), lines
        assert "the file holds 512 of them" in lines[0] and "writing 1 layers x 1 heads x 512 x 512" in lines[1]

    def test_plain_tqdm_bars_are_silenced_too(self):
        """transformers' first-run GGUF conversion (SmolLM2) draws a plain tqdm bar, not one of its own."""
        from explorer.cli import QUIET_ENVIRONMENT

        child = ("import sys\n"
                 "import explorer.commands.list_models as command\n"
                 "def run(args):\n"
                 "    from tqdm.auto import tqdm\n"
                 "    sum(tqdm(range(1000), desc='Converting and de-quantizing GGUF tensors...'))\n"
                 "    return 0\n"
                 "command.run = run\n"
                 "from explorer.cli import main\n"
                 "sys.exit(main(['list', '--json']))\n")
        env = {name: value for name, value in os.environ.items() if name not in QUIET_ENVIRONMENT}
        env["PYTHONPATH"] = _root()
        result = subprocess.run([sys.executable, "-c", child], capture_output=True, env=env, timeout=120)
        assert result.returncode == 0 and result.stderr == b""

    def test_a_damaged_tokenizer_folder_is_one_line(self, tmp_path):
        (tmp_path / "tokenizer.json").write_text("garbage")
        for spec in [str(tmp_path), str(tmp_path / "tokenizer.json")]:
            argv = ["tokenize", "-t", spec, "--text", "hi", "--json"]
            message = run_cli(argv).refused(argv)
            assert "is not a tokenizer this app can read" in message

    def test_a_similarity_failure_is_one_line(self, tmp_path):
        (tmp_path / "broken.png").write_text("not a picture")
        argv = ["similarity", "--image", str(tmp_path / "broken.png"), "--image", str(tmp_path / "missing.png"),
                "--text", "a cat"]
        with tripwires() as called:
            message = run_cli(argv).refused(argv)
        assert message == (f"llm-explorer: none of the images could be read: {tmp_path / 'broken.png'}: not an "
                           "image (or a format this app cannot read) (and 1 more)")
        assert not called

    def test_an_unexpected_error_is_one_line_too(self, monkeypatch):
        import explorer.commands.list_models as list_models

        def boom(args):
            raise RuntimeError("first line\nsecond line\r\nthird")

        monkeypatch.setattr(list_models, "run", boom)
        ran = run_cli(["list"])
        assert ran.code == 1 and ran.err == "llm-explorer: RuntimeError: first line second line third\n"

    def test_a_huge_argument_quoted_back_is_cut(self, tmp_path):
        argv = ["screenshot", "--pane", "p" * 100_000, "--out", str(tmp_path / "s.png")]
        with tripwires():
            message = run_cli(argv).refused(argv)
        assert message.startswith("llm-explorer: no pane 'ppp") and message.endswith("…")
        assert len(message) == len("llm-explorer: ") + 1000 + 1

    def test_no_command_is_one_line(self):
        ran = run_cli([])
        assert ran.code == 2 and len(ran.err.splitlines()) == 1 and ran.out == ""
