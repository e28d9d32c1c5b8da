"""Bag-of-words counts and the cosine they imply (scikit-learn's CountVectorizer)."""
import numpy as np
import pytest

from explorer.core.bag_of_words import bag_of_words


def test_counts_every_word_of_every_sentence():
    bow = bag_of_words(["The bank of the river.", "I paid the bank."])
    col = {w: i for i, w in enumerate(bow.vocabulary)}
    assert bow.vocabulary == sorted(bow.vocabulary)
    assert bow.counts[0, col["the"]] == 2 and bow.counts[1, col["the"]] == 1
    assert bow.counts[1, col["i"]] == 1  # one-letter words count too
    assert bow.counts.shape == (2, len(bow.vocabulary))


def test_word_order_is_lost():
    bow = bag_of_words(["dog bites man", "man bites dog"])
    assert bow.cosine()[0, 1] == pytest.approx(1.0)


def test_the_two_senses_of_bank_look_alike_through_shared_words():
    bow = bag_of_words(["I sat on the bank of the river", "I put my money in the bank",
                        "Cats purr loudly"])
    cos = bow.cosine()
    assert cos[0, 1] > 0.3
    assert cos[0, 2] == 0.0
    assert set(bow.shared_words(0, 1)) == {"bank", "i", "the"}
    assert np.allclose(np.diag(cos), 1.0)


def test_stop_words_can_be_dropped():
    bow = bag_of_words(["The bank of the river", "the bank gave a loan"], stop_words=True)
    assert "the" not in bow.vocabulary and "bank" in bow.vocabulary


def test_bad_input_gets_clear_messages():
    with pytest.raises(ValueError, match="at least one sentence"):
        bag_of_words([])
    with pytest.raises(ValueError, match="at least one sentence"):
        bag_of_words(["   ", ""])
    with pytest.raises(ValueError, match="punctuation"):
        bag_of_words(["?!", "..."])


def test_emoji_and_mixed_scripts_are_counted_without_crashing():
    bow = bag_of_words(["Привет мир 🙂", "hello мир"])
    assert "мир" in bow.vocabulary
    assert bow.cosine()[0, 1] > 0
