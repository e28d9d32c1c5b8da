"""`llm-explorer similarity` and `llm-explorer train-mini-clip`, run as a user would (in-process).

The mini-CLIP here is trained at a SMALL size into a temporary cache, to keep the test fast.
"""
from __future__ import annotations

import json

import pytest

from explorer.cli import main
from explorer.core import mini_clip, shapes_dataset as shapes


def small_default(steps=None):
    return mini_clip.TrainConfig.small(steps or 150)


@pytest.fixture
def images(tmp_path):
    """A plainly drawn red circle and blue square, saved as PNG files."""
    rng = __import__("numpy").random.default_rng(0)
    paths = []
    for colour, shape in [("red", "circle"), ("blue", "square")]:
        pixels, _ = shapes.render(shape, colour, rng, plain=True, size=96)
        path = tmp_path / f"{colour}-{shape}.png"
        shapes.to_pil(pixels).save(path)
        paths.append(str(path))
    return paths


def test_similarity_json_has_one_row_per_image(trained_cache, images, monkeypatch, capsys):
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(trained_cache))
    texts = ["a red circle", "a blue square", "a yellow star"]
    argv = ["similarity", "--model", "mini-clip", "--json", "--cpu"]
    for path in images:
        argv += ["--image", path]
    for text in texts:
        argv += ["--text", text]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["images"] == images and data["texts"] == texts
    assert len(data["matrix"]) == 2 and all(len(row) == 3 for row in data["matrix"])
    assert all(-1.0 <= v <= 1.0 for row in data["matrix"] for v in row)
    red_row, blue_row = data["matrix"]
    assert red_row[0] > red_row[1] and blue_row[1] > blue_row[0]


def test_a_bad_image_is_reported_and_the_rest_still_compared(trained_cache, images, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(trained_cache))
    broken = tmp_path / "broken.png"
    broken.write_text("not a picture")
    argv = ["similarity", "--cpu", "--image", str(broken), "--image", images[0], "--text", "a red circle"]
    assert main(argv) == 0  # plain output: the skipped image is named on stderr, in one line (then progress)
    lines = capsys.readouterr().err.splitlines()
    assert [line for line in lines if "broken.png" in line] == [
        f"llm-explorer: skipped {broken}: not an image (or a format this app cannot read)"]
    assert main([*argv, "--json"]) == 0  # --json: nothing on stderr, the skipped image is in the JSON
    captured = capsys.readouterr()
    assert captured.err == ""
    data = json.loads(captured.out)
    assert data["images"] == [images[0]]
    assert data["skipped"][0]["image"] == str(broken) and "not an image" in data["skipped"][0]["problem"]


@pytest.mark.parametrize("argv, message", [
    (["similarity", "--text", "a cat"], "--image"),
    (["similarity", "--image", "x.png"], "--text"),
    (["similarity", "--image", "missing.png", "--text", "a cat"], "none of the images"),
])
def test_missing_inputs_give_one_clear_line_and_exit_code_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_offline_hub_model_says_it_needs_a_download(images, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from explorer.models import hub

    monkeypatch.setattr(hub, "cached_snapshot", lambda repo, kind: None)
    assert main(["similarity", "--model", "clip", "--image", images[0], "--text", "a cat"]) == 2
    assert "needs a download" in capsys.readouterr().err


def test_without_a_usable_mini_clip_it_is_trained_first_then_used(images, tmp_path, monkeypatch, capsys):
    """A broken install (the shipped copy is missing): train, save, use. A fresh install uses the shipped copy."""
    from explorer.models import paths

    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(tmp_path / "fresh-cache"))
    monkeypatch.setattr(paths, "shipped_mini_clip_dir", lambda: tmp_path / "not-installed")
    monkeypatch.setattr(mini_clip.TrainConfig, "default", classmethod(lambda cls, steps=None: small_default(40)))
    assert main(["similarity", "--json", "--progress", "--cpu", "--image", images[0], "--text", "a red circle"]) == 0
    captured = capsys.readouterr()
    assert "No usable mini-CLIP" in captured.err and "Training mini-CLIP" in captured.err
    assert (tmp_path / "fresh-cache" / "mini-clip" / "model.safetensors").is_file()
    assert len(json.loads(captured.out)["matrix"]) == 1


def test_train_mini_clip_saves_the_model_and_prints_a_summary(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(tmp_path))
    monkeypatch.setattr(mini_clip.TrainConfig, "default", classmethod(lambda cls, steps=None: small_default(steps)))
    assert main(["train-mini-clip", "--steps", "30", "--json", "--progress"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["steps"] == 30 and summary["saved"] == str(tmp_path / "mini-clip")
    assert 0.0 <= summary["accuracy_seen_pairs"] <= 1.0 and 0.0 <= summary["accuracy_never_seen_pairs"] <= 1.0
    assert summary["held_out_pairs"] == list(shapes.HELD_OUT_PAIRS)
    assert "step 30 of 30" in captured.err  # progress goes to stderr, not into the JSON
    assert (tmp_path / "mini-clip" / "model.safetensors").is_file()
    assert main(["train-mini-clip", "--steps", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["train-mini-clip", "--steps", "5", "--json"]) == 0
    assert capsys.readouterr().err == ""  # --json alone: no progress on stderr
