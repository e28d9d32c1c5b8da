"""Next-token distribution, sampling filters, one generated token and the logit lens, on SmolLM2."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core import attention, generation
from explorer.core.generation import SamplingSettings


@pytest.fixture(scope="module")
def smollm2():
    from explorer.models.store import ModelStore

    return ModelStore(preference="cpu").get("smollm2", "causal-lm")


@pytest.fixture(scope="module")
def france(smollm2):
    return attention.extract_attention(smollm2.model, smollm2.tokenizer, "The capital of France is", causal=True,
                                       hidden=True)


def test_the_capital_of_france_is_paris(smollm2, france):
    top = generation.candidates(smollm2.tokenizer, france.next_logits, k=5)
    assert top[0].token == " Paris"
    assert 0.6 < top[0].raw_prob < 0.95
    assert [c.raw_prob for c in top] == sorted((c.raw_prob for c in top), reverse=True)
    cheap = generation.next_token_logits(smollm2.model, smollm2.tokenizer, "The capital of France is")
    assert np.abs(cheap - france.next_logits).max() < 1e-4


def test_temperature_top_k_and_top_p():
    logits = np.log(np.array([0.5, 0.25, 0.15, 0.1]))
    assert np.allclose(generation.sampling_distribution(logits), [0.5, 0.25, 0.15, 0.1])
    k2 = generation.sampling_distribution(logits, top_k=2)
    assert np.allclose(k2, [2 / 3, 1 / 3, 0, 0])
    p = generation.sampling_distribution(logits, top_p=0.7)  # 0.5 + 0.25 reaches 0.7
    assert np.allclose(p, [2 / 3, 1 / 3, 0, 0])
    assert np.allclose(generation.sampling_distribution(logits, top_p=0.5), [1, 0, 0, 0])
    cold = generation.sampling_distribution(logits, temperature=0.1)
    hot = generation.sampling_distribution(logits, temperature=5.0)
    assert cold[0] > 0.99 and hot.max() < 0.3
    for dist in (k2, p, cold, hot):
        assert dist.sum() == pytest.approx(1.0)


def test_greedy_and_seeded_sampling():
    logits = np.log(np.array([0.1, 0.6, 0.3]))
    assert generation.choose(logits, SamplingSettings(greedy=True)) == 1
    sampled = SamplingSettings(greedy=False, seed=7, top_k=2)
    draws = [generation.choose(logits, sampled, np.random.default_rng(i)) for i in range(200)]
    assert set(draws) == {1, 2}  # top-k 2 never draws token 0
    assert generation.choose(logits, sampled) == generation.choose(logits, sampled)  # same seed, same token
    assert SamplingSettings.from_json(sampled.to_json()) == sampled


def test_generate_one_token_appends_its_text(smollm2, france):
    text, chosen = generation.append_token(smollm2.tokenizer, "The capital of France is", france.next_logits,
                                           SamplingSettings())
    assert text == "The capital of France is Paris" and chosen.token == " Paris"
    again, token = generation.generate_one(smollm2.model, smollm2.tokenizer, text, SamplingSettings())
    assert again.startswith(text) and len(again) > len(text) and token.prob > 0


def test_logit_lens_ends_with_the_models_own_prediction(smollm2, france):
    rows = generation.logit_lens(smollm2.model, smollm2.tokenizer, france.hidden_last)
    assert len(rows) == 31 and rows[0].layer == 0 and rows[-1].layer == 30
    final = generation.softmax(france.next_logits)
    assert rows[-1].token == " Paris"
    assert rows[-1].prob == pytest.approx(float(final.max()), abs=1e-4)
    assert rows[-1].target_prob == rows[-1].prob
    # early layers do not know the answer yet
    assert rows[1].target_prob < 0.05


def test_analyse_bundles_everything_the_pane_needs(smollm2):
    analysis = attention.analyse(smollm2, "The capital of France is")
    assert analysis.result.num_tokens == 5
    assert analysis.thumbs.shape == (30, 9, 5, 5)
    assert analysis.lens[-1].token == " Paris"
    assert analysis.pieces[int(np.argmax(analysis.result.next_logits))] == " Paris"
