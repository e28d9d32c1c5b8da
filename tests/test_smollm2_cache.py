"""SmolLM2's converted safetensors copy: detected when damaged, rebuilt, never crashed on."""
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
