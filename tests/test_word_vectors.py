"""Static word vectors with the real GloVe 6B 50-d: neighbours, analogies, word axes."""
import numpy as np
import pytest

from explorer.core import word_vectors as wvec
from explorer.models import catalogue
from explorer.models.word_vectors import load_word_vectors


@pytest.fixture(scope="module")
def glove():
    loaded = load_word_vectors(catalogue.find("glove-50d", "word-vectors"))
    return loaded.model


def test_the_loader_gives_all_400k_words_with_unit_copies(glove):
    assert len(glove) == 400_000 and glove.dim == 50
    assert glove.vectors.dtype == np.float32
    assert glove.words[:3] == ["the", ",", "."]
    norms = np.linalg.norm(glove.unit[:1000], axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)
    assert glove.index["king"] == glove.words.index("king")


def test_king_minus_man_plus_woman_is_queen(glove):
    result = wvec.analogy(glove, ["king", "woman"], ["man"], k=5)
    assert result.results[0].word == "queen"
    assert result.results[0].score == pytest.approx(0.852, abs=0.01)
    assert {"king", "woman", "man"}.isdisjoint(r.word for r in result.results)


def test_paris_minus_france_plus_italy_is_rome(glove):
    result = wvec.analogy(glove, ["paris", "italy"], ["france"], k=3)
    assert result.results[0].word == "rome"


def test_scores_are_cosines_on_unit_vectors_best_first(glove):
    results = wvec.neighbours(glove, "frog", k=8)
    assert len(results) == 8 and "frog" not in [r.word for r in results]
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)
    a, b = glove.vectors[glove.index["frog"]], glove.vectors[glove.index[results[0].word]]
    assert results[0].score == pytest.approx(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)), abs=1e-5)
    assert "toad" in [r.word for r in results]


def test_lookups_ignore_case_because_glove_is_lower_case(glove):
    assert wvec.neighbours(glove, "Paris", 3)[0].word == wvec.neighbours(glove, "paris", 3)[0].word


def test_a_word_not_in_the_vocabulary_is_named_in_the_message(glove):
    with pytest.raises(wvec.WordNotFound) as info:
        wvec.analogy(glove, ["king", "qwzxv"], ["blorptangle"])
    message = str(info.value)
    assert "'qwzxv'" in message and "'blorptangle'" in message and "400,000" in message


def test_empty_queries_get_clear_messages(glove):
    with pytest.raises(ValueError, match="type a word"):
        wvec.neighbours(glove, "  ")
    with pytest.raises(ValueError, match="positive word"):
        wvec.analogy(glove, [], ["man"])
    with pytest.raises(ValueError, match="cancel out"):
        wvec.analogy(glove, ["king"], ["king"])


def test_word_axes_place_words_by_gender_and_wealth(glove):
    proj = wvec.axis_projection(glove, ("man", "woman"), ("poor", "rich"),
                                ["king", "queen", "billionaire", "beggar", "xqzzyv"])
    x = dict(zip(proj.words, proj.coords[:, 0]))
    y = dict(zip(proj.words, proj.coords[:, 1]))
    assert x["queen"] > x["king"]
    assert y["billionaire"] > y["beggar"]
    assert proj.missing == ["xqzzyv"]
    with pytest.raises(ValueError, match="two words"):
        wvec.axis_projection(glove, ("man", ""), ("poor", "rich"), ["king"])


def test_word_axes_can_add_the_most_frequent_words_as_background(glove):
    proj = wvec.axis_projection(glove, ("man", "woman"), ("poor", "rich"), ["queen"], extra_rows=range(1000))
    assert len(proj.words) == 1000 + 1 - 0  # "queen" is not among the 1,000 most frequent words
    assert proj.words[0] == "queen"


def test_the_analogy_plane_draws_the_parallelogram(glove):
    plane = wvec.analogy_plane(glove, "king", "man", "woman", ["queen"])
    coords = dict(zip(plane.labels, plane.coords))
    assert np.allclose(coords["man"], 0, atol=1e-6)
    assert coords["woman"][1] == pytest.approx(0, abs=1e-6)  # man -> woman is the x axis
    target = plane.coords[plane.kinds.index("target")]
    assert np.allclose(target, coords["king"] + coords["woman"], atol=1e-5)
    # queen lies closer to the target than king or woman do
    dist = {w: np.linalg.norm(coords[w] - target) for w in ("queen", "king", "woman")}
    assert dist["queen"] < min(dist["king"], dist["woman"])


def test_a_sentence_vector_averages_its_known_words(glove):
    vec, found = wvec.mean_word_vector(glove, "The cat sat qwzxvq")
    assert found == 3
    assert np.allclose(vec, glove.unit[[glove.index["the"], glove.index["cat"], glove.index["sat"]]].mean(0))
    assert wvec.mean_word_vector(glove, "qwzxvq")[1] == 0


def test_word_vectors_from_any_matrix_check_their_shape():
    with pytest.raises(ValueError):
        wvec.WordVectors("bad", ["a", "b"], np.zeros((3, 2)))
    small = wvec.WordVectors("toy", ["a", "b", "c"], np.array([[1, 0], [0.9, 0.1], [-1, 0]]))
    assert [r.word for r in wvec.neighbours(small, "a", 2)] == ["b", "c"]
