"""The code paths for Hub image-text models (CLIP, SigLIP, BLIP-2's Q-Former), checked offline.

No CLIP weights can be installed offline, so these tests build TINY models from
a config. THEIR WEIGHTS ARE RANDOM: the tests check shapes, unit length, the
orientation of the matrix (one row per image), ranking and probabilities
against the model's own forward pass, never what the model "understands".
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core import multimodal
from explorer.models import image_text
from explorer.models.catalogue import find

WORDS = ["a", "photo", "of", "cat", "dog", "red", "circle", "car", "tree", "the", "blue"]


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<unk>": 1, "<eos>": 2, **{w: i + 3 for i, w in enumerate(WORDS)}}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A <eos>", special_tokens=[("<eos>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", eos_token="<eos>")


def tiny_image_processor():
    from transformers.models.clip import image_processing_pil_clip

    return image_processing_pil_clip.CLIPImageProcessorPil(size={"shortest_edge": 32},
                                                          crop_size={"height": 32, "width": 32})


def images(n: int = 3):
    rng = np.random.default_rng(0)
    from PIL import Image

    sizes = [(40, 30), (32, 64), (100, 100), (50, 50)]
    return [Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)) for w, h in sizes[:n]]


TEXTS = ["a photo of a cat", "a red circle", "the blue car", "a tree"]


@pytest.fixture(scope="module")
def tiny_clip():
    """A CLIPModel with RANDOM weights (2 layers, 32-d), wrapped like a downloaded CLIP."""
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    config = CLIPConfig(text_config=dict(vocab_size=len(WORDS) + 3, max_position_embeddings=16, eos_token_id=2,
                                         pad_token_id=0, **small),
                        vision_config=dict(image_size=32, patch_size=8, **small), projection_dim=16)
    model = CLIPModel(config).eval()
    return image_text.HFImageTextEncoder(model, tiny_image_processor(), tiny_tokenizer(),
                                         name="tiny random CLIP", cache_key="tiny-random-clip")


def reference_logits(encoder, imgs, texts):
    """logits_per_image from CLIPModel.forward itself: the orientation we must match."""
    pixels = encoder.image_processor(images=imgs, return_tensors="pt")["pixel_values"]
    tokens = encoder.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = encoder.model(input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"],
                            pixel_values=pixels)
    return out.logits_per_image.numpy()


def test_embeddings_have_the_projection_size_and_unit_length(tiny_clip):
    image_vectors = tiny_clip.embed_images(images(3))
    text_vectors = tiny_clip.embed_texts(TEXTS)
    assert image_vectors.shape == (3, 16) and text_vectors.shape == (4, 16)
    np.testing.assert_allclose(np.linalg.norm(image_vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(text_vectors, axis=1), 1.0, atol=1e-5)
    assert tiny_clip.embed_texts([]).shape == (0, 16)


def test_the_matrix_has_one_row_per_image_and_matches_clips_own_logits(tiny_clip):
    imgs = images(3)
    result = multimodal.compare(tiny_clip, imgs, ["a", "b", "c"], TEXTS)
    assert result.matrix.shape == (3, 4)
    expected = reference_logits(tiny_clip, imgs, TEXTS) / tiny_clip.logit_scale
    np.testing.assert_allclose(result.matrix, expected, atol=1e-4)
    data = result.to_json()
    assert len(data["matrix"]) == 3 and len(data["matrix"][0]) == 4 and data["texts"] == TEXTS


def test_zero_shot_probabilities_are_clips_softmax_over_classes(tiny_clip):
    imgs = images(2)
    result = multimodal.zero_shot(tiny_clip.embed_images(imgs), tiny_clip, ["cat", "dog", "car"], "a photo of a {}")
    assert result.prompts == ["a photo of a cat", "a photo of a dog", "a photo of a car"]
    logits = reference_logits(tiny_clip, imgs, result.prompts)
    expected = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-4)


def test_search_ranks_images_by_cosine_and_image_search_skips_the_query(tiny_clip):
    vectors = tiny_clip.embed_images(images(4))
    ranking = multimodal.search_text("a red circle", tiny_clip, vectors, k=4)
    cosines = vectors @ tiny_clip.embed_texts(["a red circle"])[0]
    assert list(ranking.indices) == list(np.argsort(-cosines))
    np.testing.assert_allclose(ranking.scores, np.sort(cosines)[::-1], atol=1e-6)
    similar = multimodal.search_image(2, vectors, k=10)
    assert 2 not in similar.indices and len(similar) == 3
    with pytest.raises(ValueError):
        multimodal.search_text("   ", tiny_clip, vectors)


def test_siglip_scores_each_pair_with_its_own_sigmoid():
    """A SiglipModel with RANDOM weights: probabilities must equal sigmoid(logits_per_image)."""
    from transformers import SiglipConfig, SiglipModel

    torch.manual_seed(1)
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2)
    config = SiglipConfig(text_config=dict(vocab_size=len(WORDS) + 3, max_position_embeddings=8, **small),
                          vision_config=dict(image_size=32, patch_size=8, **small))
    model = SiglipModel(config).eval()
    encoder = image_text.HFImageTextEncoder(model, tiny_image_processor(), tiny_tokenizer(), name="tiny random SigLIP",
                                            cache_key="tiny-siglip")
    assert encoder.loss_kind == "sigmoid"
    imgs = images(2)
    result = multimodal.zero_shot(encoder.embed_images(imgs), encoder, ["cat", "dog"], "a photo of a {}")
    pixels = encoder.image_processor(images=imgs, return_tensors="pt")["pixel_values"]
    tokens = encoder.tokenizer(result.prompts, padding="max_length", max_length=8, return_tensors="pt")
    with torch.no_grad():
        logits = model(input_ids=tokens["input_ids"], pixel_values=pixels).logits_per_image
    np.testing.assert_allclose(result.probabilities, torch.sigmoid(logits).numpy(), atol=1e-4)


def test_a_saved_clip_folder_loads_through_the_app_loader(tiny_clip, tmp_path):
    from transformers import CLIPProcessor

    tiny_clip.model.save_pretrained(tmp_path, safe_serialization=True)
    CLIPProcessor(image_processor=tiny_clip.image_processor, tokenizer=tiny_clip.tokenizer).save_pretrained(tmp_path)
    assert not list(tmp_path.glob("*.bin"))
    loaded = image_text.load_hf_image_text(tmp_path, torch.device("cpu"), name="tiny", key="k")
    np.testing.assert_allclose(loaded.embed_texts(TEXTS), tiny_clip.embed_texts(TEXTS), atol=1e-5)
    np.testing.assert_allclose(loaded.embed_images(images(2)), tiny_clip.embed_images(images(2)), atol=1e-5)


def test_a_text_only_model_is_refused_as_image_text(tmp_path):
    from transformers import BertConfig, BertModel

    BertModel(BertConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                         vocab_size=50)).save_pretrained(tmp_path, safe_serialization=True)
    with pytest.raises(ValueError, match="not an image-text model"):
        image_text.load_hf_image_text(tmp_path, torch.device("cpu"), name="bert", key="k")


def test_offline_hub_models_raise_hub_unavailable_not_a_crash(monkeypatch):
    from explorer.models.hub import HubUnavailable

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(image_text.hub, "cached_snapshot", lambda repo, kind: None)
    with pytest.raises(HubUnavailable, match="download"):
        image_text.load_image_text(find("clip", "image-text"), torch.device("cpu"))
    with pytest.raises(HubUnavailable):
        image_text.load_captioner(find("blip", "captioner"), torch.device("cpu"))


def test_blip2_on_a_cpu_gives_a_clear_message():
    with pytest.raises(image_text.NeedsGpu, match="GPU"):
        image_text.load_captioner(find("blip2", "captioner"), torch.device("cpu"))


def test_untrained_mini_clip_says_how_to_train_it(tmp_path, monkeypatch):
    """Only when the shipped copy is missing too (a broken install): see test_mini_clip_shipped.py for the rest."""
    from explorer.models import paths

    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(tmp_path))
    monkeypatch.setattr(paths, "shipped_mini_clip_dir", lambda: tmp_path / "not-installed")
    with pytest.raises(image_text.NotTrainedYet, match="train"):
        image_text.load_image_text(find("mini-clip", "image-text"), torch.device("cpu"))


def test_qformer_outputs_of_a_tiny_random_blip2():
    """A Blip2ForConditionalGeneration with RANDOM weights: the query outputs have the right shapes."""
    from transformers import Blip2Config, Blip2ForConditionalGeneration

    torch.manual_seed(2)
    config = Blip2Config(
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        qformer_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                            encoder_hidden_size=32, vocab_size=50, cross_attention_frequency=1),
        text_config=dict(model_type="opt", hidden_size=32, ffn_dim=64, num_hidden_layers=1, num_attention_heads=2,
                         vocab_size=len(WORDS) + 3, word_embed_proj_dim=32),
        num_query_tokens=6)
    model = Blip2ForConditionalGeneration(config).eval()
    pixels = tiny_image_processor()(images=images(1), return_tensors="pt")["pixel_values"]
    out = image_text.qformer_outputs(model, pixels, tiny_tokenizer(), n_words=2)
    assert out.query_outputs.shape == (6, 32)
    assert out.query_similarity.shape == (6, 6)
    np.testing.assert_allclose(np.diag(out.query_similarity), 1.0, atol=1e-5)
    assert out.cross_attention is not None and out.cross_attention.shape == (6, 4, 4)
    # each query's weights over the 16 patches (the class token's share left out) are a part of a distribution
    sums = out.cross_attention.reshape(6, -1).sum(axis=1)
    assert (out.cross_attention >= 0).all() and (sums <= 1 + 1e-5).all() and (sums > 0.5).all()
    assert len(out.nearest_words) == 6 and all(len(w) == 2 for w in out.nearest_words)
