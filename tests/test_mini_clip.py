"""The mini-CLIP learns to match shapes with their captions, and survives a save/load round trip.

Trained here at a SMALL size so the test stays fast; the full-size claim
(>= 90% zero-shot accuracy in <= 3 minutes) is measured by benchmarks/bench_clip.py.
"""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core import mini_clip, shapes_dataset as shapes
from explorer.core.multimodal import similarity_matrix, zero_shot
from tests.helpers import RecordingProgress

N_CLASSES = len(shapes.class_names())


@pytest.fixture(scope="module")
def trained():
    progress = RecordingProgress()
    result = mini_clip.train(mini_clip.TrainConfig.small(steps=150), progress)
    return result, progress


def test_the_dataset_has_every_shape_and_colour_with_matching_captions():
    data = shapes.generate(96, seed=3)
    assert set(data.labels.tolist()) == set(range(N_CLASSES))
    for caption, s, c in zip(data.captions, data.shape_ids, data.colour_ids):
        assert shapes.SHAPES[s] in caption and shapes.COLOUR_NAMES[c] in caption
    assert data.images.shape == (96, 32, 32, 3) and data.images.dtype == np.uint8
    plain = shapes.generate(24, seed=4, style="plain")
    # a plain image: the corners show one light background colour
    corners = plain.images[:, [0, 0, -1, -1], [0, -1, 0, -1]].astype(int)
    assert (corners.min(axis=(1, 2)) >= 225).all()


def test_training_makes_zero_shot_accuracy_far_above_chance(trained):
    result, _ = trained
    chance = 1 / N_CLASSES
    assert result.accuracy > 8 * chance, result.accuracy  # > 33% where guessing gives 4%
    assert result.plain_accuracy > 0.6, result.plain_accuracy
    assert result.losses[-1] < result.losses[0] - 1.0


def test_training_reports_progress_loss_and_a_batch_matrix_that_turns_diagonal(trained):
    result, progress = trained
    fractions = [f for f, _ in progress.reports if f is not None]
    assert fractions[-1] == pytest.approx(1.0) and fractions == sorted(fractions)
    first, last = progress.partials[0], progress.partials[-1]
    assert "display_images" in first and len(first["display_captions"]) == first["matrix"].shape[0]
    assert last["step"] == 150 and len(last["losses"]) == 150

    def diagonal_margin(matrix):
        off = matrix[~np.eye(len(matrix), dtype=bool)].reshape(len(matrix), -1)
        return float((np.diag(matrix) - off.max(axis=1)).mean())

    assert diagonal_margin(last["matrix"]) > diagonal_margin(first["matrix"]) + 0.1


def test_save_and_load_give_identical_embeddings(trained, tmp_path):
    encoder = trained[0].encoder
    mini_clip.save(encoder, tmp_path)
    assert (tmp_path / "model.safetensors").is_file() and (tmp_path / "config.json").is_file()
    loaded = mini_clip.load(tmp_path)
    images = shapes.generate(12, seed=5).images
    np.testing.assert_allclose(loaded.embed_pixels(images), encoder.embed_pixels(images), atol=1e-6)
    texts = ["a red circle", "a photo of a blue star"]
    np.testing.assert_allclose(loaded.embed_texts(texts), encoder.embed_texts(texts), atol=1e-6)
    assert loaded.cache_key == encoder.cache_key
    assert loaded.is_trained_here and "trained on this computer" in loaded.name


def test_loading_a_missing_model_says_to_train_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="train"):
        mini_clip.load(tmp_path / "nothing")


def test_embeddings_are_unit_vectors_and_any_text_is_accepted(trained):
    encoder = trained[0].encoder
    texts = ["", "🙂🙂", "a RED Circle!!", "x" * 100_000, "ein roter Kreis"]
    vectors = encoder.embed_texts(texts)
    assert vectors.shape == (5, encoder.config.embed_dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.unknown_words(["ein roter Kreis", "a red circle"]) == ["ein", "roter", "kreis"]


def test_zero_shot_on_pil_images_picks_the_drawn_class(trained):
    encoder = trained[0].encoder
    data = shapes.generate(48, seed=6, style="plain", size=96)
    images = [shapes.to_pil(im) for im in data.images]
    result = zero_shot(encoder.embed_images(images), encoder, shapes.class_names(), "a photo of a {}")
    assert result.probabilities.shape == (48, N_CLASSES)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    predicted = result.probabilities.argmax(axis=1)
    assert (predicted == data.labels).mean() > 0.6
    # one row per image: the image's own caption scores highest in its row most of the time
    matrix = similarity_matrix(encoder.embed_images(images[:6]), encoder.embed_texts(data.captions[:6]))
    assert matrix.shape == (6, 6) and (matrix.argmax(axis=1) == np.arange(6)).mean() >= 0.5


def test_cancel_stops_training_early_and_keeps_what_was_learnt():
    progress = RecordingProgress(cancel_after=2)
    result = mini_clip.train(mini_clip.TrainConfig.small(steps=400), progress, evaluate=False)
    assert result.cancelled and result.steps_done < 400
    assert result.encoder.embed_texts(["a red circle"]).shape == (1, 32)
