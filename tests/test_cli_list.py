"""`llm-explorer list --json`: the catalogue, with honest offline availability."""
import json
import subprocess
import sys

OFFLINE_DEFAULTS = {
    ("tokenizer", "bert-base-uncased"), ("tokenizer", "gpt2"), ("tokenizer", "gpt-4"), ("tokenizer", "gpt-4o"),
    ("tokenizer", "smollm2"), ("tokenizer", "mistral"), ("encoder", "minilm"), ("causal-lm", "smollm2"),
    ("word-vectors", "glove-50d"),
}
HUB = {("tokenizer", "bert-base-cased"), ("tokenizer", "flan-t5"), ("tokenizer", "starcoder2"),
       ("tokenizer", "llama-3"), ("tokenizer", "qwen3"), ("tokenizer", "gemma-3"), ("causal-lm", "gpt2"),
       ("image-text", "clip"), ("captioner", "blip"), ("causal-lm", "smollm2-hub")}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, timeout=300)


def test_list_json_marks_offline_defaults_available_and_hub_entries_not():
    result = run_cli("list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    by_key = {(r["kind"], r["id"]): r for r in rows}
    for row in rows:
        assert {"id", "kind", "offline", "available", "source", "licence"} <= set(row)
        assert row["kind"] in {"tokenizer", "encoder", "causal-lm", "word-vectors", "image-text", "captioner"}
    for key in OFFLINE_DEFAULTS:
        assert by_key[key]["offline"] and by_key[key]["available"], key
    for key in HUB:
        assert not by_key[key]["offline"] and not by_key[key]["available"], key
    # what the weights are: the offline SmolLM2 is a 4-bit GGUF copy, every other text model full precision
    text_models = [r for r in rows if r["kind"] in ("causal-lm", "encoder")]
    assert {r["id"]: r["quantization"] for r in text_models} == {
        "minilm": None, "smollm2": "Q4_1", "smollm2-hub": None, "gpt2": None}
    assert "4-bit" in by_key[("causal-lm", "smollm2")]["title"]
    assert by_key[("causal-lm", "smollm2-hub")]["source"] == "hub:HuggingFaceTB/SmolLM2-135M-Instruct"


def test_bad_arguments_give_one_line_and_exit_code_2():
    result = run_cli("list", "--kind", "nonsense")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_screenshot_of_unknown_pane_is_a_clean_error(tmp_path):
    result = run_cli("screenshot", "--pane", "no-such-pane", "--out", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert "no pane 'no-such-pane'" in result.stderr
    assert "Traceback" not in result.stderr
