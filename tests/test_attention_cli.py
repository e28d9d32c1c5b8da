"""`llm-explorer attention` and `llm-explorer next-token` on the real offline models."""
from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.cli import main


def test_attention_cli_writes_tokens_and_float32_attentions(tmp_path, capsys):
    out = tmp_path / "att.npz"
    assert main(["attention", "--model", "minilm", "--text", "The cat sat.", "--out", str(out), "--device",
                 "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"model": "minilm", "num_layers": 6, "num_heads": 12, "num_kv_heads": 12, "num_tokens": 6}
    data = np.load(out, allow_pickle=False)
    assert data["tokens"].tolist() == ["[CLS]", "the", "cat", "sat", ".", "[SEP]"]
    att = data["attentions"]
    assert att.dtype == np.float32 and att.shape == (6, 12, 6, 6)
    assert np.allclose(att.sum(-1), 1.0, atol=1e-5)

    import torch

    from explorer.models.store import ModelStore

    loaded = ModelStore(preference="cpu").get("minilm", "encoder")
    enc = loaded.tokenizer("The cat sat.", return_tensors="pt")
    with torch.no_grad():
        ref = torch.stack([a[0] for a in loaded.model(**enc, output_attentions=True).attentions]).numpy()
    assert np.abs(att - ref).max() < 1e-5


def test_attention_cli_for_the_decoder_reports_grouped_heads(tmp_path, capsys):
    out = tmp_path / "dec.npz"
    assert main(["attention", "--model", "smollm2", "--text", "Sarah fed the cat because it", "--out", str(out),
                 "--device", "cpu"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == {"model": "smollm2", "num_layers": 30, "num_heads": 9, "num_kv_heads": 3, "num_tokens": 6}
    att = np.load(out, allow_pickle=False)["attentions"]
    assert att.shape == (30, 9, 6, 6) and np.triu(att[0, 0], 1).max() == 0.0


def test_next_token_cli_json(capsys):
    assert main(["next-token", "--model", "smollm2", "--text", "The capital of France is", "--top-k", "4",
                 "--json", "--device", "cpu"]) == 0
    data = json.loads(capsys.readouterr().out)
    candidates = data["candidates"]
    assert len(candidates) == 4 and set(candidates[0]) == {"token", "id", "prob"}
    assert candidates[0]["token"] == " Paris" and candidates[0]["prob"] > 0.6
    probs = [c["prob"] for c in candidates]
    assert probs == sorted(probs, reverse=True)


@pytest.mark.parametrize("argv, message", [
    (["next-token", "--model", "minilm", "--text", "x", "--json"], "encoder"),
    (["next-token", "--model", "smollm2", "--text", "   ", "--json"], "empty"),
    (["next-token", "--model", "smollm2", "--text", "x", "--top-k", "0"], "--top-k"),
    (["attention", "--model", "minilm", "--text", "x", "--out", "x.txt"], ".npz"),
    (["attention", "--model", "no-such-model", "--text", "x", "--out", "x.npz"], "unknown model"),
    (["attention", "--model", "glove-50d", "--text", "x", "--out", "x.npz"], "not a text encoder"),
])
def test_cli_errors_are_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1


def test_next_token_json_says_how_much_of_the_text_it_saw(capsys):
    assert main(["next-token", "--model", "smollm2", "--text", "The capital of France is", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["context_tokens"] == 5 and data["truncated"] is False


def test_generate_cli_json(capsys):
    assert main(["generate", "--model", "smollm2", "--text", "The capital of France is", "--max-new-tokens", "3",
                 "--json", "--device", "cpu"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prompt_ids"] == [504, 3575, 282, 4649, 314]
    assert len(data["new_ids"]) == 3 and [s["id"] for s in data["steps"]] == data["new_ids"]
    assert data["steps"][0]["piece"] == " Paris" and data["text"].startswith(" Paris")
    assert set(data["steps"][0]) == {"id", "piece", "prob"} and 0.5 < data["steps"][0]["prob"] < 1
    assert data["context_tokens"] == 5 and data["truncated"] is False


def test_a_megabyte_of_text_uses_its_end(monkeypatch, capsys):
    import io

    text = ("All work and no play makes Jack a dull boy. " * 23_000)[:1_000_000 - 26] + " The capital of France is"
    assert len(text) == 999_999
    for argv in (["next-token", "--model", "smollm2", "--text", "-", "--top-k", "3", "--json"],
                 ["generate", "--model", "smollm2", "--text", "-", "--max-new-tokens", "2", "--json"]):
        monkeypatch.setattr("sys.stdin", io.StringIO(text))
        assert main(argv) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["truncated"] is True and data["context_tokens"] == 1178
    # the prompt the model saw is the end of the text
    from explorer.models.store import ModelStore

    tokenizer = ModelStore(preference="cpu").get("smollm2", "causal-lm").tokenizer
    assert tokenizer.decode(data["prompt_ids"]).endswith(text[-300:])


@pytest.mark.parametrize("argv, message", [
    (["--max-new-tokens", "0"], "--max-new-tokens: must be between 1 and 4096"),
    (["--max-new-tokens", "-3"], "--max-new-tokens: must be between 1 and 4096"),
    (["--max-new-tokens", "1000000"], "--max-new-tokens: must be between 1 and 4096"),
    (["--max-new-tokens", "ten"], "whole number"),
    (["--max-new-tokens", "2", "--temperature", "-1"], "--temperature"),
    (["--max-new-tokens", "2", "--top-p", "0"], "--top-p"),
    (["--max-new-tokens", "2", "--top-p", "1.5"], "--top-p"),
    (["--max-new-tokens", "2", "--top-k", "-1"], "--top-k"),
    (["--max-new-tokens", "2", "--text", "  \n"], "empty"),
    (["--max-new-tokens", "2", "--model", "no-such-model"], "unknown model"),
    (["--max-new-tokens", "2", "--model", "minilm"], "encoder"),
])
def test_generate_rejects_bad_input_before_loading_a_model(argv, message, capsys, monkeypatch):
    def no_loading(*_a, **_k):
        raise AssertionError("a model was loaded")

    monkeypatch.setattr("explorer.models.loader.load", no_loading)
    base = {"--model": "smollm2", "--text": "Hello"}
    for i in range(0, len(argv), 2):
        base[argv[i]] = argv[i + 1]
    try:
        code = main(["generate", "--json", *[x for kv in base.items() for x in kv]])
    except SystemExit as exc:  # argparse's own check (the console script exits the same way)
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err and len(err.splitlines()) == 1
