"""The Images & text pane driven as a user would, with a mini-CLIP trained (small, for speed) into a temp cache."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from explorer.core import mini_clip, shapes_dataset as shapes
from tests.helpers import show_pane

SLOW_MS = 120_000



@pytest.fixture
def engine(local_engine):
    """The pane's host operations run in this process: the tests point them at their own cache and fake Hub."""
    return local_engine


@pytest.fixture
def pane(trained_cache, engine, qtbot, monkeypatch):
    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(trained_cache))
    from explorer.ui.image_text.pane import ImageTextPane

    yield show_pane(qtbot, ImageTextPane(engine))
    engine.cancel()


def saved_encoder(cache):
    return mini_clip.load(cache / "mini-clip")


def type_line(qtbot, editor, text: str) -> None:
    """Type at the end of a text box; newlines as Return key presses."""
    editor.moveCursor(QTextCursor.MoveOperation.End)
    for k, part in enumerate(text.split("\n")):
        if k:
            qtbot.keyClick(editor, Qt.Key.Key_Return)
        if part:
            qtbot.keyClicks(editor, part)


def click_tab(qtbot, pane, key: str) -> None:
    from explorer.ui.image_text.pane import TABS

    index = [k for k, _ in TABS].index(key)
    bar = pane.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert pane.current_tab() == key


def test_the_similarity_matrix_shows_one_row_per_image_and_follows_the_captions(pane, qtbot, trained_cache):
    matrix = pane.similarity.matrix
    qtbot.waitUntil(lambda: matrix.values.shape == (6, 6), timeout=SLOW_MS)
    assert matrix.row_labels == [e.name for e in pane.images]
    assert matrix.col_labels == pane.similarity.caption_lines()
    assert all(p is not None for p in matrix.row_pixmaps)
    # what is painted is exactly the model's cosine, image rows x caption columns
    encoder = saved_encoder(trained_cache)
    expected = encoder.embed_images([shapes.to_pil(e.pixels) for e in pane.images]) @ encoder.embed_texts(matrix.col_labels).T
    np.testing.assert_allclose(matrix.values, expected, atol=1e-5)

    # typing a new caption adds a column; a word the model never saw is pointed out
    type_line(qtbot, pane.similarity.captions, "\na dog on a sofa")
    qtbot.waitUntil(lambda: matrix.values.shape == (6, 7), timeout=SLOW_MS)
    assert matrix.col_labels[-1] == "a dog on a sofa"
    assert "“dog”" in pane.similarity.message.text() and "“sofa”" in pane.similarity.message.text()

    # removing every caption clears the matrix with a hint instead of an error
    pane.similarity.captions.setPlainText("  \n ")
    qtbot.waitUntil(lambda: matrix.values.size == 0, timeout=10_000)
    assert "caption" in matrix.placeholder


def test_zero_shot_shows_a_probability_per_class_for_every_image(pane, qtbot, trained_cache):
    click_tab(qtbot, pane, "zero-shot")
    bars = pane.zero_shot.bars
    classes = pane.zero_shot.class_lines()
    qtbot.waitUntil(lambda: bars.probabilities.shape == (6, len(classes)), timeout=SLOW_MS)
    np.testing.assert_allclose(bars.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert bars.names == [e.name for e in pane.images] and bars.classes == classes
    # the plainly drawn sample shapes are recognised: their own class is the most likely
    plain = [i for i, e in enumerate(pane.images) if e.name in ("red circle", "blue square", "purple star")]
    hits = sum(bars.classes[int(bars.probabilities[i].argmax())] == pane.images[i].name for i in plain)
    assert hits >= 2, [bars.classes[int(bars.probabilities[i].argmax())] for i in plain]

    # a new template changes the prompts and the numbers
    before = bars.probabilities.copy()
    pane.zero_shot.template.clear()
    qtbot.keyClicks(pane.zero_shot.template, "a drawing of a {}")
    qtbot.waitUntil(lambda: "a drawing of a red circle" in pane.zero_shot.prompts.text(), timeout=10_000)
    qtbot.waitUntil(lambda: bars.probabilities.shape == before.shape and
                    not np.allclose(bars.probabilities, before), timeout=SLOW_MS)
    assert "softmax" in pane.zero_shot.message.text()


def test_a_dropped_messy_folder_adds_the_good_images_and_explains_the_rest(pane, qtbot, tmp_path):
    qtbot.waitUntil(lambda: pane.similarity.matrix.values.shape[0] == 6, timeout=SLOW_MS)
    pixels, _ = shapes.render("star", "yellow", np.random.default_rng(1), plain=True, size=64)
    shapes.to_pil(pixels).save(tmp_path / "star.png")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (tmp_path / "readme.txt").write_text("hello")
    pane.handle_drop([str(tmp_path)])
    qtbot.waitUntil(lambda: pane.similarity.matrix.values.shape[0] == 1, timeout=SLOW_MS)
    assert pane.similarity.matrix.row_labels == ["star.png"]
    qtbot.waitUntil(lambda: "1 image loaded, 2 skipped" in pane.similarity.message.text(), timeout=10_000)
    message = pane.similarity.message.text()
    assert "broken.jpg: skipped" in message and "not images" in message


def test_an_offline_hub_model_says_needs_download_without_an_error_dialog(pane, qtbot, monkeypatch):
    from explorer.models import hub

    monkeypatch.setattr(hub, "cached_snapshot", lambda repo, kind: None)
    qtbot.waitUntil(lambda: bool(pane.model_row.available), timeout=SLOW_MS)
    pane.model_row.box.setCurrentIndex(pane.model_row.box.findData("clip"))
    pane.model_row.box.activated.emit(pane.model_row.box.currentIndex())
    qtbot.waitUntil(lambda: "needs a download" in pane.similarity.matrix.placeholder, timeout=SLOW_MS)
    assert "Needs download" in pane.model_row.note.text()
    assert pane.similarity.matrix.values.size == 0


def test_text_search_ranks_generated_shapes_and_clicking_finds_similar_ones(pane, qtbot):
    click_tab(qtbot, pane, "search")
    results = pane.search.results
    qtbot.waitUntil(lambda: results.count() == 24, timeout=SLOW_MS)
    scores = [float(results.item(i).text().split("cosine ")[1]) for i in range(results.count())]
    assert scores == sorted(scores, reverse=True)
    assert "a yellow star" in pane.search.caption.text()
    first = results.item(0)
    qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=results.visualItemRect(first).center())
    qtbot.waitUntil(lambda: "most like" in pane.search.caption.text(), timeout=SLOW_MS)
    assert results.count() == 24


def test_searching_with_an_image_file_finds_that_image_first(pane, qtbot, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    click_tab(qtbot, pane, "search")
    results = pane.search.results
    qtbot.waitUntil(lambda: results.count() == 24, timeout=SLOW_MS)
    query = pane.index.paths[7]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(query), ""))
    qtbot.mouseClick(pane.search.image_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: f"most like {query.name}" in pane.search.caption.text(), timeout=SLOW_MS)
    assert results.count() == 24
    # the file is in the searched collection: it is its own nearest neighbour
    assert results.item(0).text().startswith(f"1. {query.name}\n")
    assert float(results.item(0).text().split("cosine ")[1]) == pytest.approx(1.0, abs=1e-3)


def test_presets_and_state_round_trip(pane, qtbot, engine):
    assert pane.presets() == ["similarity", "zero-shot", "search", "joint-map", "qformer", "train"]
    pane.apply_preset("qformer")
    assert pane.current_tab() == "qformer"
    pane.apply_preset("joint-map")
    qtbot.waitUntil(lambda: pane.joint_map.scatter.n_points == 6 + len(pane.joint_map.keyword_lines()),
                    timeout=SLOW_MS)
    type_line(qtbot, pane.similarity.captions, "\na big orange star")
    state = pane.state()
    from explorer.ui.image_text.pane import ImageTextPane

    other = ImageTextPane(engine)
    qtbot.addWidget(other)
    other.restore_state(state)
    assert other.similarity.caption_lines()[-1] == "a big orange star"
    assert other.current_tab() == "joint-map"
    names = [t.name for t in pane.export_targets()]
    assert names[0] == "Joint map" and "Similarity matrix" in names


def test_untrained_mini_clip_offers_training_and_training_makes_it_usable(engine, qtbot, tmp_path, monkeypatch):
    """A broken install (the shipped copy is missing) offers training (test_image_text_shipped.py: a fresh one)."""
    from explorer.models import paths

    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(tmp_path))
    monkeypatch.setattr(paths, "shipped_mini_clip_dir", lambda: tmp_path / "not-installed")
    monkeypatch.setattr(mini_clip.TrainConfig, "default",
                        classmethod(lambda cls, steps=None: mini_clip.TrainConfig.small(steps=40)))
    from explorer.ui.image_text.pane import ImageTextPane

    pane = ImageTextPane(engine)
    qtbot.addWidget(pane)
    pane.resize(1400, 900)
    pane.show()
    pane.activated()
    qtbot.waitUntil(lambda: pane.model_row.action.isVisible(), timeout=SLOW_MS)
    assert "Train mini-CLIP" in pane.model_row.action.text()
    qtbot.waitUntil(lambda: "Train mini-CLIP" in pane.similarity.matrix.placeholder, timeout=SLOW_MS)
    qtbot.mouseClick(pane.model_row.action, Qt.MouseButton.LeftButton)
    assert pane.current_tab() == "train" and not pane.train.train_button.isEnabled()
    # live accuracy while it trains: both figures, with their labels
    qtbot.waitUntil(lambda: "true zero-shot on never-seen pairs" in pane.train.live.text(), timeout=SLOW_MS)
    assert "new images of seen pairs" in pane.train.live.text()
    qtbot.waitUntil(lambda: "Saved" in pane.train.result.text(), timeout=SLOW_MS)
    assert len(pane.train.losses) == 40
    assert pane.train.matrix.values.shape == (8, 8)
    # the result states both figures, names the never-seen pairs and the label set they were classified among
    result = pane.train.result.text()
    info = mini_clip.load(tmp_path / "mini-clip").info
    assert f"new images of seen pairs: <b>{info['accuracy_seen_pairs']:.1%}</b>" in result
    assert (f"true zero-shot on never-seen pairs ({', '.join(shapes.HELD_OUT_PAIRS)}): "
            f"<b>{info['accuracy_never_seen_pairs']:.1%}</b>") in result
    assert "all 24 colour-shape prompts" in result
    # a never-seen pair in the fixed batch is marked as such
    assert [c for c in pane.train.matrix.col_labels if "never seen" in c] == ["a blue square (never seen)"]
    note = pane.model_row.note.text()
    assert "new images of seen pairs" in note and "true zero-shot on never-seen pairs" in note
    assert (tmp_path / "mini-clip" / "model.safetensors").is_file()
    assert not pane.model_row.action.isVisible()
    click_tab(qtbot, pane, "similarity")
    qtbot.waitUntil(lambda: pane.similarity.matrix.values.shape == (6, 6), timeout=SLOW_MS)


def test_sample_photos_bring_their_captions_and_an_honest_warning(pane, qtbot):
    matrix = pane.similarity.matrix
    qtbot.waitUntil(lambda: matrix.values.shape == (6, 6), timeout=SLOW_MS)
    qtbot.mouseClick(pane.similarity.sources.buttons["photos"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: matrix.values.shape[0] == 8, timeout=SLOW_MS)
    assert matrix.row_labels[:2] == ["cat", "astronaut"]
    assert "a photo of a cat" in matrix.col_labels
    assert "only ever saw coloured shapes" in pane.similarity.message.text()


def test_the_matrix_exports_as_csv_and_npy_with_one_row_per_image(pane, qtbot, tmp_path):
    import csv

    from explorer.ui.export import export_data

    matrix = pane.similarity.matrix
    qtbot.waitUntil(lambda: matrix.values.shape == (6, 6), timeout=SLOW_MS)
    target = pane.export_targets()[0]
    assert target.name == "Similarity matrix" and target.widget is matrix
    [csv_path] = export_data(target, tmp_path / "matrix.csv", "csv")
    rows = list(csv.reader(csv_path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["", *matrix.col_labels]
    assert [r[0] for r in rows[1:]] == matrix.row_labels
    assert float(rows[1][1]) == pytest.approx(float(matrix.values[0, 0]), abs=1e-5)
    [npy_path] = export_data(target, tmp_path / "matrix.npy", "npy")
    np.testing.assert_allclose(np.load(npy_path, allow_pickle=False), matrix.values)


@pytest.fixture(scope="module")
def clip_snapshot(tmp_path_factory):
    """What the fake Hub "downloads": a tiny CLIP with RANDOM weights, saved as safetensors with its processor.

    Module-scoped so it is built before any engine thread starts importing.
    """
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor

    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    words = ["a", "photo", "of", "red", "blue", "circle", "square", "star", "green", "the", "yellow"]
    vocab = {"<pad>": 0, "<unk>": 1, "<eos>": 2, **{w: i + 3 for i, w in enumerate(words)}}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(single="$A <eos>", special_tokens=[("<eos>", 2)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>",
                                        eos_token="<eos>")
    image_processor = CLIPImageProcessorPil(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2)
    config = CLIPConfig(text_config=dict(vocab_size=14, max_position_embeddings=16, eos_token_id=2, pad_token_id=0,
                                         **small), vision_config=dict(image_size=32, patch_size=8, **small),
                        projection_dim=16)
    folder = tmp_path_factory.mktemp("snapshot")
    CLIPModel(config).save_pretrained(folder, safe_serialization=True)
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def test_online_a_hub_model_downloads_on_request_then_fills_the_matrix(clip_snapshot, pane, qtbot, monkeypatch):
    """The Hub is faked: its "download" is a tiny CLIP with RANDOM weights (see clip_snapshot)."""
    from explorer.models import hub

    folder = clip_snapshot
    fetched: list[str] = []

    def fake_download(repo_id, kind, progress=None):
        progress.report(0.5, f"Downloading {repo_id}")
        fetched.append(repo_id)
        return folder

    monkeypatch.setattr(hub, "is_cached", lambda repo, kind: bool(fetched))
    monkeypatch.setattr(hub, "network_available", lambda timeout=1.5: True)
    monkeypatch.setattr(hub, "download", fake_download)
    pane.model_row.check()
    qtbot.waitUntil(lambda: pane.model_row.online is True, timeout=SLOW_MS)
    pane.model_row.box.setCurrentIndex(pane.model_row.box.findData("clip"))
    pane.model_row.box.activated.emit(pane.model_row.box.currentIndex())
    qtbot.waitUntil(lambda: pane.model_row.action.isVisible() and pane.model_row.action.text() == "Download",
                    timeout=SLOW_MS)
    assert not fetched  # nothing is fetched before the user asks
    qtbot.mouseClick(pane.model_row.action, Qt.MouseButton.LeftButton)
    # the matrix may already be 6x6 from the previous model: wait for the download and the jobs after it
    qtbot.waitUntil(lambda: bool(fetched) and pane.engine.is_idle(), timeout=SLOW_MS)
    qtbot.waitUntil(lambda: pane.similarity.matrix.values.shape == (6, 6), timeout=SLOW_MS)
    assert fetched == ["openai/clip-vit-base-patch32"]
    assert "Needs download" not in pane.model_row.note.text() and not pane.model_row.action.isVisible()
