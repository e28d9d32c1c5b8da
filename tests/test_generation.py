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


def test_one_step_appends_an_id_and_its_piece(smollm2, france):
    step = generation.next_step(smollm2.tokenizer, france.next_logits, SamplingSettings())
    assert step.piece == " Paris" and step.id == int(np.argmax(france.next_logits))
    assert step.prob == pytest.approx(float(generation.softmax(france.next_logits).max()))
    assert step.sampling_prob == 1.0


def greedy_reference(model, ids: list[int], n: int) -> list[int]:
    import torch

    with torch.inference_mode():
        return model.generate(torch.tensor([ids]), do_sample=False, max_new_tokens=n)[0, len(ids):].tolist()


@pytest.mark.parametrize("prompt", ["Party time 🎉🥳", "def add(a, b):\n    return", "12 + 30 = 42, 7 * 6 =",
                                    "東京は日本の"])
def test_greedy_generation_equals_transformers_generate(smollm2, prompt):
    ids = smollm2.tokenizer(prompt)["input_ids"]
    found = generation.generate(smollm2.model, smollm2.tokenizer, ids, 8, SamplingSettings())
    assert found.prompt_ids == ids
    assert found.new_ids == greedy_reference(smollm2.model, ids, 8)
    assert [s.id for s in found.steps] == found.new_ids
    assert found.text == smollm2.tokenizer.decode(found.new_ids)
    assert all(0 < s.prob <= 1 for s in found.steps)


def test_a_prompt_longer_than_the_window_continues_its_end(smollm2):
    tok = smollm2.tokenizer
    text = "Lorem ipsum dolor sit amet. " * 400 + "The capital of France is"
    total = len(tok(text)["input_ids"])
    found = generation.generate_text(smollm2.model, tok, text, 3, SamplingSettings())
    limit = attention.max_tokens(smollm2.model.config)
    assert total > limit and found.truncated and found.total_prompt_tokens == total
    assert found.prompt_ids == tok(text)["input_ids"][-limit:]
    assert found.new_ids == greedy_reference(smollm2.model, found.prompt_ids, 3)
    # what follows the FIRST window would be more Latin, not this
    first_window = generation.ids_logits(smollm2.model, tok(text)["input_ids"][:limit])
    assert int(np.argmax(first_window)) != found.new_ids[0]
    # the cheap next-token path sees the same end of the text
    prediction = generation.next_token(smollm2.model, tok, text)
    assert prediction.truncated and prediction.context_tokens == limit and prediction.total_tokens == total
    assert int(np.argmax(prediction.logits)) == found.new_ids[0]


def test_generation_stops_at_end_of_sequence_like_transformers(smollm2):
    tok, model = smollm2.tokenizer, smollm2.model
    ids = tok("The capital of France is")["input_ids"]
    paris = tok(" Paris")["input_ids"][0]
    saved = model.generation_config.eos_token_id
    model.generation_config.eos_token_id = [saved, paris]  # pretend " Paris" ends a text
    try:
        found = generation.generate(model, tok, ids, 6, SamplingSettings())
        assert found.new_ids == [paris] == greedy_reference(model, ids, 6)
        assert found.stopped_at_eos
    finally:
        model.generation_config.eos_token_id = saved


def test_sampling_is_reproducible_with_a_seed(smollm2):
    tok, model = smollm2.tokenizer, smollm2.model
    ids = tok("Once upon a time")["input_ids"]
    hot = SamplingSettings(temperature=1.5, greedy=False, seed=3)
    first = generation.generate(model, tok, ids, 5, hot)
    assert generation.generate(model, tok, ids, 5, hot).new_ids == first.new_ids
    others = {tuple(generation.generate(model, tok, ids, 5, SamplingSettings(temperature=1.5, greedy=False,
                                                                               seed=s)).new_ids) for s in (4, 5)}
    assert others != {tuple(first.new_ids)}
    # top-k 1 leaves one token to draw: the greedy one
    narrow = generation.generate(model, tok, ids, 5, SamplingSettings(temperature=1.5, top_k=1, greedy=False, seed=9))
    assert narrow.new_ids == generation.generate(model, tok, ids, 5, SamplingSettings()).new_ids
    with pytest.raises(ValueError, match="between 1 and"):
        generation.generate(model, tok, ids, 0, SamplingSettings())


def test_an_emoji_split_over_tokens_shows_byte_pieces_until_it_completes(smollm2):
    tok = smollm2.tokenizer
    ids = tok("🥳")["input_ids"]
    assert len(ids) > 1  # byte-level BPE: one character, several tokens
    stream = generation.TextStream(tok)
    shown = []
    for token_id in ids:
        stream.push(token_id)
        shown.append(stream.shown())
    assert shown[-1] == "🥳" and stream.pending == b""
    assert shown[0].startswith("<F0") and "\ufffd" not in "".join(shown)
    pieces = [generation.next_step(tok, np.eye(len(tok))[i] * 50, SamplingSettings()).piece for i in ids]
    assert "".join(pieces).replace("><", " ").startswith("<F0 9F")
    assert generation.byte_text("a😀b".encode()[:3]) == "a<F0 9F>"
    assert generation.byte_text(b"\x98\x80 H") == "<98 80> H"
    assert generation.byte_text("plain".encode()) == "plain"


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
