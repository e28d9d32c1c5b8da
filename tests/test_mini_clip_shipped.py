"""The pre-trained mini-CLIP shipped in resources/models/mini-clip: a fresh install has a working zero-shot model.

These tests use the REAL shipped weights (made by tools/train_shipped_mini_clip.py). Every test gets its own
empty user cache (LLM_EXPLORER_CACHE -> tmp_path), as on a computer that never trained anything.
"""
from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from explorer.core import mini_clip, shapes_dataset as shapes
from explorer.core.multimodal import zero_shot
from explorer.models import catalogue, image_text, paths

CPU = torch.device("cpu")
ENTRY = catalogue.find("mini-clip", "image-text")


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(cache))
    return cache


@pytest.fixture(scope="module")
def shipped():
    """The shipped model, loaded the way the app loads it on a fresh install."""
    return mini_clip.load(paths.shipped_mini_clip_dir(), origin="shipped")


def user_copy(cache, shipped, held_out_pairs=("red circle",)):
    """A user's 'retrained' copy: the shipped weights with the image projection negated (so it is told apart)."""
    model = mini_clip.build_model(shipped.config)
    model.load_state_dict(shipped.model.state_dict())
    with torch.no_grad():
        model.image_encoder.project.weight.neg_()
    encoder = mini_clip.MiniClipEncoder(model, shipped.config, info={"steps": 7, "accuracy": 0.5},
                                        held_out_pairs=held_out_pairs)
    mini_clip.save(encoder, cache / "mini-clip")
    return encoder


def test_the_shipped_files_are_small_safetensors_with_a_matching_checksum():
    folder = paths.shipped_mini_clip_dir()
    weights = folder / mini_clip.WEIGHTS_FILE
    config = json.loads((folder / mini_clip.CONFIG_FILE).read_text(encoding="utf-8"))
    blob = weights.read_bytes()
    assert hashlib.sha256(blob).hexdigest() == config[mini_clip.SHA256_KEY]
    assert sum(f.stat().st_size for f in folder.iterdir()) <= 3 * 1024 * 1024
    header = json.loads(blob[8:8 + int.from_bytes(blob[:8], "little")])
    assert header["__metadata__"]["format"] == mini_clip.FORMAT
    assert {spec["dtype"] for name, spec in header.items() if name != "__metadata__"} <= {"F32", "I64"}
    # the vocabulary and the recipe travel with the weights
    assert {"red", "circle", "photo"} <= set(config["model"]["vocab"])
    assert config["shipped"]["recipe"] == "mini_clip.TrainConfig.default()"
    # trained without the held-out pairs, recorded machine-readably, with both figures
    assert config["held_out_pairs"] == list(shapes.HELD_OUT_PAIRS) == config["shipped"]["held_out_pairs"]
    assert config["training"]["accuracy_seen_pairs"] >= 0.9
    assert config["training"]["accuracy_never_seen_pairs"] >= 0.9
    assert config["model"]["text_encoder"] == "bag"


def test_a_fresh_install_loads_the_shipped_copy_and_it_classifies_held_out_shapes(fresh_cache):
    assert catalogue.is_available(ENTRY)
    loaded = image_text.load_image_text(ENTRY, CPU)
    assert loaded.extras["origin"] == "shipped" and loaded.extras["problems"] == []
    assert loaded.extras["folder"] == str(paths.shipped_mini_clip_dir())
    encoder = loaded.model
    assert not encoder.is_trained_here and "shipped" in encoder.name
    assert not (fresh_cache / "mini-clip").exists()  # nothing was trained or written

    # images it never saw (seeds unused by training and by the tool's own check), through the app's PIL path,
    # each classified among all 24 prompts: new images of the seen pairs, and of the pairs it never saw at all
    assert encoder.held_out_pairs == shapes.HELD_OUT_PAIRS
    never_seen = shapes.pair_labels(encoder.held_out_pairs)
    seen = shapes.seen_labels(encoder.held_out_pairs)
    for labels in (seen, never_seen):
        for data in (shapes.generate(480, seed=777_001, size=96, labels=labels),
                     shapes.generate(240, seed=777_002, style="plain", size=96, labels=labels)):
            vectors = encoder.embed_images([shapes.to_pil(im) for im in data.images])
            result = zero_shot(vectors, encoder, shapes.class_names(), "a photo of a {}")
            accuracy = float((result.probabilities.argmax(axis=1) == data.labels).mean())
            assert accuracy >= 0.9, (labels, accuracy)


def test_the_never_seen_accuracy_is_one_call_away():
    """What a check from outside does: the recorded pairs, drawn fresh, classified among all 24 prompts."""
    encoder = mini_clip.load(paths.shipped_mini_clip_dir(), origin="shipped")
    accuracy = mini_clip.pair_accuracy(encoder, n_seen=240, n_never_seen=240, seed=123_456)
    assert accuracy.held_out == shapes.HELD_OUT_PAIRS
    assert accuracy.seen >= 0.9 and accuracy.never_seen >= 0.9, accuracy


def test_the_users_own_training_takes_precedence(fresh_cache, shipped):
    mine = user_copy(fresh_cache, shipped)
    loaded = image_text.load_image_text(ENTRY, CPU)
    assert loaded.extras["origin"] == "user" and loaded.model.is_trained_here
    assert loaded.model.cache_key == mine.cache_key != shipped.cache_key
    status = image_text.mini_clip_status()
    assert status.origin == "user" and status.info["steps"] == 7 and not status.problems
    images = shapes.generate(4, seed=5).images
    np.testing.assert_allclose(loaded.model.embed_pixels(images), mine.embed_pixels(images), atol=1e-6)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "one byte changed", "header only, no checksum"])
def test_a_damaged_user_copy_falls_back_to_the_shipped_one_with_a_message(fresh_cache, shipped, damage, caplog):
    user_copy(fresh_cache, shipped)
    weights = fresh_cache / "mini-clip" / mini_clip.WEIGHTS_FILE
    blob = bytearray(weights.read_bytes())
    if damage == "garbage":
        weights.write_bytes(b"\x80\x04 this is a pickle, not safetensors" * 10)
    elif damage == "truncated":
        weights.write_bytes(bytes(blob[: len(blob) // 2]))
    elif damage == "one byte changed":
        blob[-100] ^= 0xFF
        weights.write_bytes(bytes(blob))
    else:  # a copy saved before checksums were recorded: the safetensors header check still catches it
        config_path = fresh_cache / "mini-clip" / mini_clip.CONFIG_FILE
        config = json.loads(config_path.read_text(encoding="utf-8"))
        del config[mini_clip.SHA256_KEY]
        config_path.write_text(json.dumps(config), encoding="utf-8")
        weights.write_bytes(bytes(blob[:-1000]))

    with caplog.at_level(logging.WARNING, logger="explorer.models.image_text"):
        loaded = image_text.load_image_text(ENTRY, CPU)
    assert loaded.extras["origin"] == "shipped" and loaded.model.cache_key == shipped.cache_key
    [problem] = loaded.extras["problems"]
    assert "Your trained mini-CLIP could not be used" in problem and "Train it again" in problem
    assert problem in caplog.text
    status = image_text.mini_clip_status()  # what the pane shows, checked without torch
    assert status.origin == "shipped" and status.problems == [problem]


def test_a_damaged_shipped_copy_gives_a_clear_error_and_an_offer_to_train(fresh_cache, tmp_path, monkeypatch):
    broken = tmp_path / "shipped"
    shutil.copytree(paths.shipped_mini_clip_dir(), broken)
    (broken / mini_clip.WEIGHTS_FILE).write_bytes(b"\x00" * 64)
    monkeypatch.setattr(paths, "shipped_mini_clip_dir", lambda: broken)
    with pytest.raises(image_text.MiniClipDamaged, match="shipped with the app could not be used.*Reinstall"):
        image_text.load_image_text(ENTRY, CPU)
    status = image_text.mini_clip_status()
    assert status.copy is None and "shipped with the app" in status.problems[0]


def test_without_any_copy_it_says_how_to_train_it(fresh_cache, tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "shipped_mini_clip_dir", lambda: tmp_path / "not-installed")
    assert not catalogue.is_available(ENTRY)
    with pytest.raises(image_text.NotTrainedYet, match="train-mini-clip"):
        image_text.load_image_text(ENTRY, CPU)


def test_list_json_shows_mini_clip_available_on_a_fresh_cache(tmp_path):
    env = {**__import__("os").environ, "LLM_EXPLORER_CACHE": str(tmp_path / "fresh")}
    result = subprocess.run([sys.executable, "-m", "explorer", "list", "--kind", "image-text", "--json"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    [row] = [r for r in json.loads(result.stdout) if r["id"] == "mini-clip"]
    assert row["available"] and row["offline"]
    assert row["held_out_pairs"] == list(shapes.HELD_OUT_PAIRS)
    text = subprocess.run([sys.executable, "-m", "explorer", "list", "--kind", "image-text"],
                          capture_output=True, text=True, timeout=300, env=env).stdout
    assert "available (shipped)" in text and "not trained" not in text


def test_list_json_shows_the_held_out_pairs_of_a_users_retrained_copy(fresh_cache, shipped, capsys):
    from explorer.cli import main

    user_copy(fresh_cache, shipped, held_out_pairs=("yellow square", "red star"))
    assert main(["list", "--kind", "image-text", "--json"]) == 0
    [row] = [r for r in json.loads(capsys.readouterr().out) if r["id"] == "mini-clip"]
    assert row["held_out_pairs"] == ["yellow square", "red star"]
    assert image_text.mini_clip_status().held_out_pairs == ["yellow square", "red star"]


def test_the_similarity_cli_uses_the_shipped_weights_without_training(fresh_cache, tmp_path, capsys):
    from explorer.cli import main

    files = []
    for colour, shape in (("red", "circle"), ("blue", "square")):
        pixels, _ = shapes.render(shape, colour, np.random.default_rng(1), plain=True, size=96)
        files.append(str(tmp_path / f"{colour}-{shape}.png"))
        shapes.to_pil(pixels).save(files[-1])
    argv = ["similarity", "--json", "--cpu", "--text", "a red circle", "--text", "a blue square"]
    assert main(argv + [a for f in files for a in ("--image", f)]) == 0
    captured = capsys.readouterr()
    assert "Training" not in captured.err and "No usable" not in captured.err
    matrix = np.array(json.loads(captured.out)["matrix"])
    assert matrix.shape == (2, 2) and (matrix.argmax(axis=1) == [0, 1]).all()
    assert not (fresh_cache / "mini-clip").exists()


def test_the_installer_bundles_the_shipped_model():
    """packaging/llm-explorer.spec copies resources/ whole, and none of its size filters drops the model."""
    import ast
    from pathlib import Path

    spec = (Path(__file__).resolve().parent.parent / "packaging" / "llm-explorer.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "resources"), "resources")' in spec
    drop = next(node.value for node in ast.parse(spec).body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_DROP")
    patterns = ast.literal_eval(drop)
    root = paths.shipped_mini_clip_dir().parent.parent.parent  # the folder holding resources/
    for file in paths.shipped_mini_clip_dir().iterdir():
        bundled = "_internal/" + file.relative_to(root).as_posix()
        assert not any(p in bundled for p in patterns), bundled
