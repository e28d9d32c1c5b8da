"""The Q/K/V step-through recomputes a head's output from the real weights and matches the model's own."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core import attention, local_attention, qkv
from explorer.core.local_attention import MaskSettings

SARAH = "Sarah fed the cat because it"


def ids_of(loaded, text):
    return loaded.tokenizer(text)["input_ids"]


@pytest.mark.parametrize("layer", [0, 9, 29])
def test_smollm2_step_through_matches_the_models_head_output(smollm2, layer):
    ids = ids_of(smollm2, SARAH)
    cap = qkv.capture_layer(smollm2.model, ids, layer)
    assert cap.has_rope and (cap.num_heads, cap.num_kv_heads, cap.head_dim) == (9, 3, 64)
    full = attention.extract_attention(smollm2.model, smollm2.tokenizer, SARAH, causal=True)
    assert np.abs(cap.model_weights - full.attentions[layer]).max() < 1e-6
    for head in range(9):
        for query in (0, 3, len(ids) - 1):
            st = qkv.step_through(cap, head, query)
            assert st.output_difference < 1e-4
            assert st.weight_difference < 1e-5
            assert st.weights[query + 1:].sum() == 0.0  # the mask hides later tokens
            assert np.isneginf(st.masked[query + 1:]).all()
            assert st.scaled == pytest.approx(st.dot * 0.125, rel=1e-5)


def test_step_through_shows_each_intermediate_number(smollm2):
    ids = ids_of(smollm2, SARAH)
    cap = qkv.capture_layer(smollm2.model, ids, 9)
    st = qkv.step_through(cap, 4, 5)
    attn = smollm2.model.model.layers[9].self_attn
    w_q = attn.q_proj.weight.detach().numpy()[4 * 64:5 * 64]
    assert np.allclose(st.w_q, w_q)
    assert np.allclose(st.q, st.x @ w_q.T, atol=1e-5)
    # the layer input is the first block's input after its RMSNorm
    assert st.x.shape == (576,)
    # RoPE: the query at position 5 is the unrotated one turned by the model's own tables
    assert not np.allclose(st.q, st.q_rot)
    assert np.linalg.norm(st.q) == pytest.approx(np.linalg.norm(st.q_rot), rel=1e-5)
    assert np.allclose(st.keys_rot[0], st.keys[0])  # position 0 does not turn
    assert st.dot[3] == pytest.approx(float(st.q_rot @ st.keys_rot[3]), rel=1e-5)
    assert st.dot_unrotated[3] == pytest.approx(float(st.q @ st.keys[3]), rel=1e-5)
    assert np.allclose(st.output, st.weights @ st.values, atol=1e-5)


def test_grouped_query_heads_share_keys_and_values(smollm2):
    cap = qkv.capture_layer(smollm2.model, ids_of(smollm2, SARAH), 5)
    assert [qkv.kv_head_for(h, 9, 3) for h in range(9)] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.array_equal(cap.keys(3), cap.keys(5)) and not np.array_equal(cap.keys(2), cap.keys(3))
    assert qkv.step_through(cap, 7, 5).kv_head == 2
    # RoPE changes the scores: the model's real (rotated) scores differ from unrotated ones
    pre, post = cap.scores(0, rotated=False), cap.scores(0, rotated=True)
    assert np.isnan(post[0, 1]) and not np.isnan(post[1, 0])
    assert np.nanmax(np.abs(post - pre)) > 0.01


@pytest.mark.parametrize("layer", [0, 5])
def test_minilm_step_through_matches_with_biases_and_no_mask(minilm, layer):
    ids = ids_of(minilm, SARAH)
    cap = qkv.capture_layer(minilm.model, ids, layer)
    assert not cap.has_rope and cap.b_q is not None and cap.visible.all()
    for head in range(12):
        st = qkv.step_through(cap, head, 6)
        assert st.output_difference < 1e-4
        assert st.weights[-1] > 0  # an encoder sees later tokens too


def test_step_through_with_a_local_mask_matches_the_masked_model(smollm2):
    ids = ids_of(smollm2, SARAH + " was hungry")
    allowed = local_attention.build_mask(len(ids), MaskSettings("sliding", window=3), causal=True)
    cap = qkv.capture_layer(smollm2.model, ids, 4, allowed=allowed)
    st = qkv.step_through(cap, 1, len(ids) - 1)
    assert st.output_difference < 1e-4
    assert np.flatnonzero(st.weights).tolist() == [len(ids) - 3, len(ids) - 2, len(ids) - 1]


def test_bad_layer_head_or_token(smollm2):
    ids = ids_of(smollm2, SARAH)
    with pytest.raises(ValueError, match="layer 30"):
        qkv.capture_layer(smollm2.model, ids, 30)
    cap = qkv.capture_layer(smollm2.model, ids, 0)
    with pytest.raises(ValueError, match="head 9"):
        qkv.step_through(cap, 9, 0)
    with pytest.raises(ValueError, match="token 6"):
        qkv.step_through(cap, 0, 6)


def _random_model(config_cls, model_cls, **kwargs):
    """A tiny model with RANDOM weights: it tests the arithmetic on other layouts, not any real model."""
    torch.manual_seed(0)
    config = config_cls(**kwargs)
    config._attn_implementation = "eager"
    model = model_cls(config).eval()
    model.config._attn_implementation = "eager"
    return model


def test_gpt2_layout_with_fused_qkv_random_weights():
    from transformers import GPT2Config, GPT2LMHeadModel

    model = _random_model(GPT2Config, GPT2LMHeadModel, n_layer=2, n_head=4, n_embd=32, vocab_size=100,
                          n_positions=64, attn_implementation="eager")
    ids = [5, 17, 42, 8, 99]
    cap = qkv.capture_layer(model, ids, 1, causal=True)
    for head in range(4):
        assert qkv.step_through(cap, head, 4).output_difference < 1e-4
    assert cap.num_kv_heads == 4 and not cap.has_rope


def test_qwen3_layout_with_query_key_norms_random_weights():
    import transformers  # 4.57 or later (pyproject): Qwen3 is there
    model = _random_model(transformers.Qwen3Config, transformers.Qwen3ForCausalLM, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, hidden_size=64, head_dim=16,
                          intermediate_size=64, vocab_size=100, attn_implementation="eager")
    ids = [3, 9, 27, 81, 4, 12]
    cap = qkv.capture_layer(model, ids, 1, causal=True)
    assert cap.num_kv_heads == 2 and cap.has_rope
    for head in range(4):
        assert qkv.step_through(cap, head, 5).output_difference < 1e-4
