"""SmolLM2's converted safetensors copy: detected when damaged, rebuilt, never crashed on."""
import json
import shutil

import pytest

from explorer.models import smollm2


@pytest.fixture
def converted_copy(tmp_path):
    source = smollm2.ensure_converted()
    copy = tmp_path / "copy"
    shutil.copytree(source, copy)
    return copy


def test_the_converted_copy_is_valid(converted_copy):
    assert smollm2.is_valid(converted_copy)


def test_a_truncated_weights_file_is_detected(converted_copy):
    weights = converted_copy / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.truncate(weights.stat().st_size // 2)
    assert not smollm2.is_valid(converted_copy)


def test_flipped_bytes_are_detected_by_the_deep_check(converted_copy):
    weights = converted_copy / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.seek(weights.stat().st_size - 4096)
        fh.write(b"\x00" * 1024)
    assert smollm2.is_valid(converted_copy)  # sizes still match: only the hash can tell
    assert not smollm2.is_valid(converted_copy, deep=True)


def test_a_corrupt_cache_is_rebuilt(converted_copy, monkeypatch):
    (converted_copy / "config.json").write_text("{ not json")
    rebuilt = []
    monkeypatch.setattr(smollm2, "converted_dir", lambda: converted_copy)
    monkeypatch.setattr(smollm2, "convert", lambda gguf, target, progress=None: rebuilt.append(target))
    smollm2.ensure_converted()
    assert rebuilt == [converted_copy]


def test_a_copy_from_an_older_version_is_upgraded_in_place(converted_copy, monkeypatch):
    # format 1 had no added_tokens_decoder in tokenizer_config.json, which made
    # transformers parse the whole tokenizer.json again on every load
    config_path = converted_copy / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    del config["added_tokens_decoder"]
    config_path.write_text(json.dumps(config))
    manifest_path = converted_copy / smollm2.MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest.update(format=1)
    manifest["sizes"]["tokenizer_config.json"] = config_path.stat().st_size
    manifest_path.write_text(json.dumps(manifest))
    monkeypatch.setattr(smollm2, "converted_dir", lambda: converted_copy)
    monkeypatch.setattr(smollm2, "convert", lambda *a, **k: pytest.fail("an intact copy must not be reconverted"))

    assert smollm2.ensure_converted() == converted_copy
    upgraded = json.loads(config_path.read_text())["added_tokens_decoder"]
    assert upgraded["1"]["content"] == "<|im_start|>" and upgraded["1"]["special"] is True
    assert smollm2.is_valid(converted_copy, deep=True)


def test_a_damaged_tokenizer_of_the_right_size_is_caught_by_the_deep_check(converted_copy):
    tokenizer = converted_copy / "tokenizer.json"
    data = bytearray(tokenizer.read_bytes())
    data[:1] = b"#"
    tokenizer.write_bytes(bytes(data))
    assert not smollm2.is_valid(converted_copy, deep=True)
