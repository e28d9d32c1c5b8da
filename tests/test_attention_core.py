"""Attention extraction, head statistics, local masks, RoPE and the model anatomy, on the real offline models."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core import attention, head_ranking, local_attention, model_anatomy, rope
from explorer.core.local_attention import MaskSettings

SARAH = "Sarah fed the cat because it"


def plain_eager_attentions(loaded, text: str) -> np.ndarray:
    """What a plain transformers forward pass with output_attentions returns, stacked [L, H, T, T]."""
    enc = loaded.tokenizer(text, return_tensors="pt")
    with torch.no_grad():
        out = loaded.model(**enc, output_attentions=True)
    return torch.stack([a[0] for a in out.attentions]).numpy()


@pytest.mark.parametrize("which", ["smollm2", "minilm"])
def test_attention_equals_a_plain_eager_forward_pass(request, which):
    loaded = request.getfixturevalue(which)
    text = "Sarah fed the cat because it was hungry."
    result = attention.extract_attention(loaded.model, loaded.tokenizer, text, causal=loaded.extras["causal"])
    reference = plain_eager_attentions(loaded, text)
    assert result.attentions.dtype == np.float32
    assert result.attentions.shape == reference.shape
    assert np.abs(result.attentions - reference).max() < 1e-5
    assert result.token_ids == loaded.tokenizer(text)["input_ids"]


@pytest.mark.parametrize("which", ["smollm2", "minilm"])
def test_every_row_sums_to_one(request, which):
    loaded = request.getfixturevalue(which)
    result = attention.extract_attention(loaded.model, loaded.tokenizer, SARAH, causal=loaded.extras["causal"])
    assert np.allclose(result.attentions.sum(-1), 1.0, atol=1e-5)
    assert (result.attentions >= 0).all()


def test_the_decoder_never_attends_to_later_tokens_and_the_encoder_does(smollm2, minilm):
    dec = attention.extract_attention(smollm2.model, smollm2.tokenizer, SARAH, causal=True)
    enc = attention.extract_attention(minilm.model, minilm.tokenizer, SARAH, causal=False)
    assert dec.attentions.shape == (30, 9, 6, 6) and dec.num_kv_heads == 3
    upper = np.triu(np.ones((6, 6), dtype=bool), 1)
    assert dec.attentions[..., upper].max() == 0.0
    assert enc.attentions.shape[:2] == (6, 12)
    t = enc.num_tokens
    assert enc.attentions[..., np.triu(np.ones((t, t), dtype=bool), 1)].max() > 0.1
    assert dec.tokens == ["Sarah", " fed", " the", " cat", " because", " it"]
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"


def test_head_statistics_match_their_definitions(smollm2):
    r = attention.extract_attention(smollm2.model, smollm2.tokenizer, SARAH, causal=True)
    a = r.attentions.astype(np.float64)
    t = r.num_tokens
    previous = np.mean([a[:, :, i, i - 1] for i in range(1, t)], axis=0)
    first = a[:, :, 1:, 0].mean(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(a > 0, a * np.log2(a), 0).sum(-1).mean(-1)
    assert np.allclose(r.stats.previous, previous, atol=1e-5)
    assert np.allclose(r.stats.first, first, atol=1e-5)
    assert np.allclose(r.stats.entropy, entropy, atol=1e-4)
    ranked = head_ranking.rank_heads(r.between(5, 3))
    assert ranked[0][2] == pytest.approx(float(r.attentions[:, :, 5, 3].max()))
    layer, head, _ = ranked[0]
    # "it" attends to "cat" strongly in the best head: the lecture's example is visible in the real model
    assert r.attentions[layer, head, 5, 3] > 0.4


def test_thumbnails_keep_thin_diagonals():
    t = 200
    eye = np.broadcast_to(np.eye(t, dtype=np.float32), (2, 3, t, t))
    small = attention.thumbnails(eye, size=48)
    assert small.shape == (2, 3, 48, 48)
    assert np.allclose(np.diagonal(small, axis1=2, axis2=3), 1.0)
    assert attention.thumbnails(eye[:, :, :10, :10], size=48).shape[-1] == 10


def test_empty_and_huge_texts(smollm2, minilm):
    with pytest.raises(ValueError, match="Type some text"):
        attention.extract_attention(smollm2.model, smollm2.tokenizer, "   \n", causal=True)
    long_text = "word " * 2000
    r = attention.extract_attention(minilm.model, minilm.tokenizer, long_text, causal=False)
    assert r.num_tokens == 512 and r.truncated_from == 2002
    # the LAST 510 words, framed by [CLS] and [SEP] as the model expects
    full = minilm.tokenizer(long_text)["input_ids"]
    assert r.token_ids == full[:1] + full[-511:] and r.tokens[0] == "[CLS]" and r.tokens[-1] == "[SEP]"
    assert attention.last_window([1, 2, 3, 4, 5, 9], 4, (1, 1)) == [1, 4, 5, 9]
    assert attention.last_window([7, 8, 9], 2) == [8, 9] and attention.last_window([7, 8], 5) == [7, 8]


def test_emoji_and_mixed_scripts_keep_readable_labels(smollm2):
    r = attention.extract_attention(smollm2.model, smollm2.tokenizer, "Hi 😀 Привет 日本", causal=True)
    assert r.num_tokens == len(smollm2.tokenizer("Hi 😀 Привет 日本")["input_ids"])
    assert all(label for label in r.tokens)
    assert np.allclose(r.attentions.sum(-1), 1.0, atol=1e-5)


# --- local / sparse attention ---
def test_mask_patterns():
    sliding = local_attention.build_mask(6, MaskSettings("sliding", window=2), causal=True)
    assert sliding.sum(1).tolist() == [1, 2, 2, 2, 2, 2]
    assert not sliding[5, 3] and sliding[5, 4] and sliding[5, 5]
    both_ways = local_attention.build_mask(5, MaskSettings("sliding", window=2), causal=False)
    assert both_ways[2].tolist() == [False, True, True, True, False]
    strided = local_attention.build_mask(10, MaskSettings("strided", window=2, stride=4), causal=True)
    assert np.flatnonzero(strided[9]).tolist() == [1, 5, 8, 9]
    full = local_attention.build_mask(4, MaskSettings("full"), causal=True)
    assert np.array_equal(full, np.tril(np.ones((4, 4), dtype=bool)))
    assert local_attention.density(full, causal=True) == 1.0
    with pytest.raises(ValueError):
        local_attention.build_mask(4, MaskSettings("diagonal"), causal=True)


@pytest.mark.parametrize("which", ["smollm2", "minilm"])
def test_a_window_as_long_as_the_text_changes_nothing_and_a_small_one_changes_the_maps(request, which):
    loaded = request.getfixturevalue(which)
    causal = loaded.extras["causal"]
    full = attention.extract_attention(loaded.model, loaded.tokenizer, SARAH + " was hungry", causal=causal)
    ids, t = full.token_ids, full.num_tokens
    wide = local_attention.run_with_mask(loaded.model, loaded.tokenizer, ids, MaskSettings("sliding", window=t),
                                         causal=causal)
    assert np.abs(wide.attentions - full.attentions).max() < 1e-6
    if causal:
        assert np.abs(wide.next_logits - full.next_logits).max() < 1e-4
    narrow = local_attention.run_with_mask(loaded.model, loaded.tokenizer, ids, MaskSettings("sliding", window=2),
                                           causal=causal)
    allowed = local_attention.build_mask(t, MaskSettings("sliding", window=2), causal)
    assert narrow.attentions[..., ~allowed].max() == 0.0
    assert np.allclose(narrow.attentions.sum(-1), 1.0, atol=1e-5)
    assert np.abs(narrow.attentions - full.attentions).max() > 0.1
    assert np.array_equal(narrow.visible(), allowed & full.visible())


# --- RoPE ---
def test_rope_settings_come_from_the_config_and_match_the_model(smollm2, minilm):
    rc = rope.rope_config(smollm2.model.config)
    assert (rc.theta, rc.head_dim, rc.num_pairs) == (100000.0, 64, 32)
    inv = rope.inverse_frequencies(rc)
    assert np.allclose(inv, rope.model_inverse_frequencies(smollm2.model), rtol=1e-6)
    assert rope.wavelengths(inv)[0] == pytest.approx(2 * np.pi)
    assert rope.rope_config(minilm.model.config) is None


def test_rope_scores_depend_only_on_distance():
    rng = np.random.default_rng(0)
    inv = rope.inverse_frequencies(rope.RopeConfig(10000.0, 16, 16))
    q, k = rng.normal(size=16), rng.normal(size=16)
    curve = rope.score_vs_distance(q, k, inv, 20)
    for start in (0, 3, 50):
        moved = [rope.rotate(q, start + n, inv) @ rope.rotate(k, start, inv) for n in range(21)]
        assert np.allclose(curve, moved)
    assert curve[0] == pytest.approx(q @ k)
    turned = rope.rotate(q, 7, inv)
    assert np.linalg.norm(turned) == pytest.approx(np.linalg.norm(q))  # a rotation keeps the length
    path = rope.pair_trajectory((1.0, 0.0), 0, inv, np.arange(3))
    assert np.allclose(path[1], [np.cos(inv[0]), np.sin(inv[0])])


# --- anatomy ---
def test_gqa_groups_and_cache_sizes_at_smollm2s_dimensions(smollm2):
    dims = model_anatomy.dimensions(smollm2.model.config, causal=True)
    assert (dims.num_layers, dims.num_heads, dims.num_kv_heads, dims.head_dim) == (30, 9, 3, 64)
    assert model_anatomy.gqa_groups(9, 3) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    sizes = {s.name: s.bytes_per_token for s in model_anatomy.kv_cache_sizes(dims)}
    # 2 (K and V) x 30 layers x heads x 64 x 2 bytes (fp16)
    assert sizes == {"MHA": 69120, "GQA": 23040, "MQA": 7680}
    stages = model_anatomy.forward_stages(smollm2.model.config, True, 6, smollm2.model)
    assert [s.shape for s in stages] == ["[6]", "[6 × 576]", "[6 × 576]", "[6 × 576]", "[6 × 49,152] logits",
                                         "[49,152]"]
    assert stages[2].params == sum(p.numel() for p in smollm2.model.model.layers.parameters())
    with pytest.raises(ValueError):
        model_anatomy.gqa_groups(9, 2)


def test_an_encoder_has_no_lm_head_stage(minilm):
    stages = model_anatomy.forward_stages(minilm.model.config, False, 4)
    assert [s.name for s in stages][-1] == "Contextual vectors"
    assert model_anatomy.dimensions(minilm.model.config, False).num_kv_heads == 12


# --- attention sinks ---
def test_ranking_it_to_sarah_names_the_sink_and_can_leave_it_out(smollm2):
    r = attention.extract_attention(smollm2.model, smollm2.tokenizer, SARAH, causal=True)
    assert r.tokens[0] == "Sarah"  # the key of "it -> Sarah" is the first token
    a = r.attentions
    raw = head_ranking.rank_by(r, "between", query=5, target=0)
    assert raw.rows[0][2] > 0.99 and raw.sink_dominated and "attention sink" in raw.note
    sinks = head_ranking.sink_heads(r)
    assert np.array_equal(sinks, a[:, :, 1:, 0].mean(-1) >= attention.SINK_SHARE) and sinks.sum() > 100
    assert sum(sinks[l, h] for l, h, _ in raw.rows[:10]) > 5

    kept = head_ranking.rank_by(r, "between", query=5, target=0, skip_first=True)
    assert not kept.sink_dominated and "MORE" in kept.note and kept.value == "weight above habit"
    layer, head, value = kept.rows[0]
    habit = np.mean([a[layer, head, i, 0] for i in (1, 2, 3, 4)])  # what the other tokens give "Sarah"
    assert value == pytest.approx(a[layer, head, 5, 0] - habit, abs=1e-6) and value > 0.3
    # the heads at 1.000 were habit: they give "Sarah" as much from every token
    scores = {(l, h): v for l, h, v in kept.rows}
    assert all(abs(scores[(l, h)]) < 0.1 for l, h, _ in raw.rows[:3])

    # a key that is not the first token is not affected
    cat = head_ranking.rank_by(r, "between", query=5, target=3, skip_first=True)
    assert cat.rows == head_ranking.rank_heads(r.between(5, 3)) and not cat.note
    # a masked pair ranks nothing
    assert head_ranking.rank_by(r, "between", query=2, target=4).rows == []


def test_previous_and_entropy_without_the_first_token_match_their_definitions(smollm2):
    r = attention.extract_attention(smollm2.model, smollm2.tokenizer, SARAH, causal=True)
    a = r.attentions.astype(np.float64)
    previous_rest = np.mean([a[:, :, i, i - 1] for i in range(2, 6)], axis=0)
    assert np.allclose(r.stats.previous_rest, previous_rest, atol=1e-6)
    rest = a[:, :, 1:, 1:] / a[:, :, 1:, 1:].sum(-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy_rest = -np.where(rest > 0, rest * np.log2(rest), 0).sum(-1).mean(-1)
    assert np.allclose(r.stats.entropy_rest, entropy_rest, atol=1e-4)
    ranked = head_ranking.rank_by(r, "entropy", skip_first=True)
    assert ranked.rows[0][2] == pytest.approx(float(entropy_rest.min()), abs=1e-4) and "left out" in ranked.note
    plain = head_ranking.rank_by(r, "entropy")
    assert plain.rows[0][2] == pytest.approx(float(r.stats.entropy.min()), abs=1e-5)
    # the most "focused" heads are mostly focused on the first token, and the note says so
    assert plain.sink_dominated and "first token" in plain.note
    assert head_ranking.rank_by(r, "first").sink_dominated
