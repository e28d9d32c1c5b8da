"""Contextual embeddings of one word in several sentences, with the real MiniLM and SmolLM2."""
import numpy as np
import pytest

from explorer.core.contextual import contextual_embeddings, find_word
from explorer.models import catalogue
from explorer.models.text_models import load_text_model

RIVER_1 = "We sat on the grassy bank of the river and watched the water."
RIVER_2 = "The fisherman walked along the river bank at dawn."
MONEY = "I deposited my salary at the bank this morning."


@pytest.fixture(scope="module")
def minilm():
    return load_text_model(catalogue.find("minilm", "encoder"), "cpu")


@pytest.fixture(scope="module")
def bank(minilm):
    return contextual_embeddings(minilm.model, minilm.tokenizer, "bank", [RIVER_1, RIVER_2, MONEY],
                                 minilm.device, model_title="MiniLM")


def test_at_the_last_layer_the_river_banks_are_closer_to_each_other_than_to_the_money_bank(bank):
    cos = bank.cosine(bank.n_layers)
    assert bank.n_layers == 6
    assert cos[0, 1] > cos[0, 2]
    assert cos[0, 1] > cos[1, 2]


def test_every_layer_gives_one_vector_per_occurrence(bank):
    assert bank.vectors.shape == (7, 3, 384)
    assert [o.tokens for o in bank.occurrences] == [["bank"]] * 3
    assert bank.coords.shape == (7, 3, 2)
    curves = bank.pair_curves()
    assert set(curves) == {(0, 1), (0, 2), (1, 2)}
    # layer 0 barely knows the context: the occurrences start out almost identical
    assert curves[(0, 2)][0] > curves[(0, 2)][-1]
    assert curves[(0, 2)][0] > 0.9


def test_sub_tokens_of_a_word_are_averaged(minilm):
    result = contextual_embeddings(minilm.model, minilm.tokenizer, "embeddings",
                                   ["Word embeddings capture meaning.", "Embeddings are vectors."], minilm.device)
    assert len(result.occurrences[0].tokens) > 1
    assert "".join(t.lstrip("#") for t in result.occurrences[0].tokens) == "embeddings"


def test_sentences_without_the_word_are_listed_and_a_missing_word_is_an_error(minilm):
    result = contextual_embeddings(minilm.model, minilm.tokenizer, "bank", [RIVER_1, "No word here.", MONEY])
    assert result.missing == [1] and len(result.occurrences) == 2
    with pytest.raises(ValueError, match="does not appear"):
        contextual_embeddings(minilm.model, minilm.tokenizer, "bank", ["Nothing to see.", "Banking is fun."])
    with pytest.raises(ValueError, match="type the word"):
        contextual_embeddings(minilm.model, minilm.tokenizer, " ", [RIVER_1])
    with pytest.raises(ValueError, match="at least one sentence"):
        contextual_embeddings(minilm.model, minilm.tokenizer, "bank", [])


def test_find_word_matches_whole_words_only():
    assert find_word("bank", "Bank banks embankment bank.") == [(0, 4), (22, 26)]


def test_smollm2_finds_the_word_through_byte_level_offsets():
    smollm2 = load_text_model(catalogue.find("smollm2", "causal-lm"), "cpu")
    result = contextual_embeddings(smollm2.model, smollm2.tokenizer, "bank", [RIVER_2, MONEY],
                                   smollm2.device, causal=True)
    assert result.vectors.shape == (31, 2, 576)
    assert [o.tokens for o in result.occurrences] == [["Ġbank"], ["Ġbank"]]
    assert np.isfinite(result.cosine(30)).all()
