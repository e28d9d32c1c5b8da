"""The catalogue says what the weights are: the offline SmolLM2 is a 4-bit copy, the Hub one the original.

The original SmolLM2 cannot be downloaded here (no network): its tests check the catalogue, the
offline message, and that loading goes through the ordinary Hub safetensors path, with a Hub
snapshot faked by a tiny random-weight Llama saved as bfloat16 safetensors (random weights: the
test is about the loading path, not about predictions).
"""
from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from explorer.models import catalogue, hub, smollm2
from explorer.models.catalogue import find, picker_label, quantization_bits

HUB_REPO = "HuggingFaceTB/SmolLM2-135M-Instruct"


def test_the_offline_smollm2_is_named_as_a_4bit_copy_and_the_hub_one_as_the_original():
    offline = find("smollm2", "model")
    assert offline.quantization == "Q4_1" and offline.offline
    assert offline.title == "SmolLM2-135M-Instruct (4-bit Q4_1, dequantized)"
    assert offline.short_title == "SmolLM2-135M (4-bit)"
    assert picker_label("smollm2") == "SmolLM2-135M (4-bit) · decoder"
    assert "4-bit" in offline.quantization_note and "Q4_1" in offline.quantization_note

    original = find("smollm2-hub", "model")
    assert original.quantization is None and not original.offline and original.hub_id == HUB_REPO
    assert "4-bit" not in original.title and "original" in original.title
    # the Hub repo id a user types finds the same entry
    assert find(HUB_REPO, "model") == original
    assert picker_label("minilm") == "MiniLM-L6 · encoder"
    assert catalogue.short_title_of("smollm2") == "SmolLM2-135M (4-bit)"
    assert catalogue.short_title_of("not a model") == "not a model"


def test_quantization_bits_reads_gguf_type_names():
    assert [quantization_bits(q) for q in ("Q4_1", "Q4_0", "Q8_0", "Q5_K", "IQ4_XS")] == [4, 4, 8, 5, 4]
    with pytest.raises(ValueError):
        quantization_bits("fp16ish")


def _fake_hub_snapshot(folder):
    """A Hub-like snapshot: a tiny random Llama in bfloat16 safetensors plus SmolLM2's tokenizer files."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=49152, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                         tie_word_embeddings=True, architectures=["LlamaForCausalLM"])
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(str(folder), safe_serialization=True)
    converted = smollm2.ensure_converted()
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(converted / name, folder / name)
    return model


def test_the_hub_smollm2_loads_through_the_hub_safetensors_loader_in_fp32(tmp_path, monkeypatch):
    snapshot = tmp_path / "snapshot"
    original = _fake_hub_snapshot(snapshot)
    asked = []

    def fake_download(repo_id, kind, progress=None):
        asked.append((repo_id, kind))
        return snapshot

    monkeypatch.setattr(hub, "download", fake_download)
    from explorer.models.loader import load

    loaded = load(find("smollm2-hub", "model"), torch.device("cpu"))
    assert asked == [(HUB_REPO, "causal-lm")]
    assert type(loaded.model).__name__ == "LlamaForCausalLM" and loaded.extras["causal"]
    # bfloat16 on disk, float32 in memory (numpy has no bfloat16); widening is exact
    weight = loaded.model.model.embed_tokens.weight
    assert weight.dtype == torch.float32
    assert torch.equal(weight, original.model.embed_tokens.weight.float())
    assert loaded.model.config._attn_implementation == "eager"
    assert loaded.tokenizer("The capital")["input_ids"] == [504, 3575]

    # the token cloud reads the same bfloat16 matrix from the snapshot, widened to float32
    from explorer.core.token_embeddings import load_token_embeddings
    from explorer.models.word_vectors import token_embedding_files

    emb = load_token_embeddings(*token_embedding_files("smollm2-hub"))
    assert emb.title == "SmolLM2-135M (original, Hub) input embeddings"
    assert emb.vectors.dtype == np.float32 and emb.vectors.shape == (49152, 16)
    assert np.array_equal(emb.vectors, weight.detach().numpy())
    assert emb.tokens[504] == "The"


def test_the_offline_token_cloud_is_titled_as_the_4bit_copy():
    from explorer.models.word_vectors import token_embedding_files

    weights, _tokenizer, tensor, title = token_embedding_files("smollm2")
    assert title == "SmolLM2-135M (4-bit) input embeddings" and tensor == "model.embed_tokens.weight"
    assert weights.parent == smollm2.converted_dir()


def test_the_hub_smollm2_offline_is_a_needs_download_entry_and_a_one_line_cli_error(tmp_path):
    env_cache = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    code = ("import json; from explorer.models import catalogue; "
            "print(json.dumps(catalogue.find('smollm2-hub', 'model').to_json()))")
    import json
    import os

    env = {**os.environ, **env_cache}
    row = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                    timeout=120, check=True).stdout)
    assert row["available"] is False and row["offline"] is False and row["quantization"] is None
    for command in (["next-token", "--model", "smollm2-hub", "--text", "Hi", "--json"],
                    ["attention", "--model", HUB_REPO, "--text", "Hi", "--out", str(tmp_path / "a.npz")]):
        result = subprocess.run([sys.executable, "-m", "explorer", *command], capture_output=True, text=True,
                                env=env, timeout=300)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"llm-explorer: '{HUB_REPO}' needs a download from the Hugging Face Hub, and there is no network"]


def test_every_causal_lm_and_encoder_says_whether_it_is_quantized():
    rows = [e.to_json() for e in catalogue.entries()]
    for row in rows:
        if row["kind"] in ("causal-lm", "encoder"):
            assert "quantization" in row, row["id"]
            assert row["quantization"] == ("Q4_1" if row["id"] == "smollm2" else None), row["id"]
        else:
            assert "quantization" not in row, row["id"]
