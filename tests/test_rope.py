"""RoPE from the model, not the formula: the model's own inv_freq (rope scaling included) and scale.

`tiny_llama3` has random weights (a LlamaConfig with tiny sizes and Llama 3 rope scaling): the
claims are about the frequencies and scales the model uses, not about what it predicts.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.core import qkv, rope

LLAMA3_SCALING = {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                  "high_freq_factor": 4.0, "original_max_position_embeddings": 32}


def tiny_llama3(attention_scale: float | None = None):
    """A random-weight Llama (head_dim 16: 8 pairs) whose config scales RoPE the Llama 3 way."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(vocab_size=49152, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         rope_parameters=dict(LLAMA3_SCALING), attn_implementation="eager")
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    if attention_scale is not None:  # a scale other than 1/sqrt(d): the view must take the module's
        for layer in model.model.layers:
            layer.self_attn.scaling = attention_scale
    return model


def test_a_llama3_scaled_model_turns_at_its_own_frequencies_not_the_formulas():
    model = tiny_llama3()
    found = rope.model_rope(model)
    buffer = model.model.rotary_emb.inv_freq.double().numpy()
    assert found.rope_type == "llama3" and found.attention_scaling == 1.0
    assert np.array_equal(found.inv_freq, buffer)
    formula = rope.inverse_frequencies(rope.rope_config(model.config))
    assert formula.shape == buffer.shape == (8,)
    # the fastest pair keeps its speed; the slow ones (wavelength > 32 tokens) turn 8 times slower
    assert found.inv_freq[0] == pytest.approx(formula[0])
    assert np.allclose(found.inv_freq[2:], formula[2:] / 8, rtol=1e-6)
    assert rope.scaled_pairs(rope.rope_config(model.config), found.inv_freq) == 7


def test_the_capture_carries_the_models_rope_and_scale_and_they_reproduce_its_weights():
    model = tiny_llama3(attention_scale=0.2)
    ids = list(range(100, 140))
    cap = qkv.capture_layer(model, ids, 1, causal=True)
    assert cap.scaling == 0.2 and np.array_equal(cap.rope.inv_freq, model.model.rotary_emb.inv_freq.double().numpy())
    # rotating with those frequencies gives the model's own rotated keys (and so its attention weights)
    positions = np.arange(len(ids))
    rotated = rope.rotate(cap.k[0], positions, cap.rope.inv_freq)
    assert np.allclose(rotated, cap.k_rot[0], atol=1e-4)
    formula = rope.rotate(cap.k[0], positions, rope.inverse_frequencies(rope.rope_config(model.config)))
    assert not np.allclose(formula, cap.k_rot[0], atol=1e-2)
    scores = cap.scores(0)
    weights = np.exp(scores - np.nanmax(scores, axis=1, keepdims=True))
    weights = np.where(np.isnan(weights), 0.0, weights)
    assert np.allclose(weights / weights.sum(axis=1, keepdims=True), cap.model_weights[0], atol=1e-5)


def test_the_real_smollm2_has_no_rope_scaling_its_frequencies_follow_the_formula(smollm2):
    found = rope.model_rope(smollm2.model)
    rc = rope.rope_config(smollm2.model.config)
    assert found.rope_type == "default" and rc.theta == 100000.0 and found.inv_freq.size == 32
    assert np.allclose(found.inv_freq, rope.inverse_frequencies(rc), rtol=1e-6)
    assert rope.scaled_pairs(rc, found.inv_freq) == 0
    cap = qkv.capture_layer(smollm2.model, smollm2.tokenizer("Sarah fed the cat")["input_ids"], 5, causal=True)
    assert cap.scaling == pytest.approx(64 ** -0.5)
