"""`llm-explorer tokenize`: the JSON shape the issue promises, exact ids and spans, clear errors."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from explorer.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["tokenize", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_has_the_promised_shape_for_several_tokenizers(capsys, tmp_path):
    text = "Hi 🎵 CAPITALIZATION"
    code, out, _ = run_cli(capsys, "--tokenizer", "gpt2", "--tokenizer", "bert-base-uncased", "-t", "mistral",
                           "--text", text, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["text"] == text
    assert [r["tokenizer"] for r in data["results"]] == ["gpt2", "bert-base-uncased", "mistral"]
    gpt2, bert, mistral = data["results"]
    assert set(gpt2) == {"tokenizer", "encoding", "vocab_size", "tokens"}
    assert (gpt2["encoding"], gpt2["vocab_size"]) == ("r50k_base", 50257)
    for token in gpt2["tokens"]:
        assert set(token) == {"id", "text", "start", "end", "special"}
    # GPT-2: the emoji is three byte tokens; each reports the emoji's span and shows the emoji
    music = [t for t in gpt2["tokens"] if t["start"] <= 3 < t["end"]]
    assert len(music) == 3 and all(text[t["start"]:t["end"]].endswith("🎵") for t in music)
    assert all(t["text"].endswith("🎵") for t in music)
    # ids are exactly tiktoken's, with the rank file read by tiktoken's own loader
    import tiktoken

    reference = tiktoken.Encoding("r50k", pat_str=_pat("r50k_base"), mergeable_ranks=_ranks("r50k_base", tmp_path),
                                  special_tokens={})
    assert [t["id"] for t in gpt2["tokens"]] == reference.encode_ordinary(text)
    # BERT: [CLS] and [SEP] are special and cover nothing
    assert bert["tokens"][0] == {"id": 101, "text": "[CLS]", "start": 0, "end": 0, "special": True}
    assert bert["tokens"][-1]["special"] and bert["tokens"][-1]["start"] == bert["tokens"][-1]["end"] == len(text)
    assert mistral["tokens"][0]["text"] == "<s>" and mistral["tokens"][0]["special"]


def _pat(name):
    from explorer.models import paths

    return json.loads((paths.tiktoken_dir() / "encodings.json").read_text())[name]["pat_str"]


def _ranks(name, folder):
    import gzip

    from tiktoken.load import load_tiktoken_bpe

    from explorer.models import paths

    plain = folder / f"{name}.tiktoken"
    plain.write_bytes(gzip.decompress((paths.tiktoken_dir() / f"{name}.tiktoken.gz").read_bytes()))
    return load_tiktoken_bpe(str(plain))


def test_a_file_keeps_crlf_and_spans_index_its_exact_text(capsys, tmp_path):
    path = tmp_path / "in.txt"
    path.write_bytes("line one\r\nline two\r\n\tend".encode("utf-8"))
    code, out, _ = run_cli(capsys, "-t", "gpt-4", "--file", str(path), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["text"] == "line one\r\nline two\r\n\tend"
    tokens = data["results"][0]["tokens"]
    assert "".join(t["text"] for t in tokens) == data["text"]
    assert all(data["text"][t["start"]:t["end"]] == t["text"] for t in tokens)


def test_plain_output_is_readable(capsys):
    code, out, _ = run_cli(capsys, "-t", "gpt-4", "--text", "Have the bards who preceded me left any theme unsung?")
    assert code == 0
    assert "GPT-4 [cl100k_base, vocabulary 100,277]: 13 tokens" in out
    assert "Have | ·the | ·b | ards" in out


@pytest.mark.parametrize("args, message", [
    (["-t", "no-such-tokenizer", "--text", "x"], "unknown tokenizer"),
    (["-t", "flan-t5", "--text", "x"], "needs download"),
    (["-t", "gpt2", "--file", "/no/such/file.txt"], "no file"),
])
def test_errors_are_one_clear_line_and_exit_code_2(capsys, args, message):
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_text_and_file_are_mutually_exclusive_and_one_is_needed():
    for extra in ([], ["--text", "a", "--file", "b"]):
        result = subprocess.run([sys.executable, "-m", "explorer", "tokenize", "-t", "gpt2", *extra],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "llm-explorer:" in result.stderr


def test_a_non_utf8_file_gets_a_clear_message(capsys, tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("café".encode("latin-1"))
    code, _, err = run_cli(capsys, "-t", "gpt2", "--file", str(path))
    assert code == 2 and "not UTF-8" in err
