"""The one unit-row helper every topic uses (word vectors, projections, image-text, bag of words, contextual)."""
from __future__ import annotations

import numpy as np

from explorer.core.vectors import cosine_matrix, unit_rows


def test_rows_get_unit_length_and_an_all_zero_row_stays_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]])
    unit = unit_rows(x)
    assert unit.dtype == np.float32 and not np.isnan(unit).any()
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]], atol=1e-7)
    # one vector is one row; integer counts are divided in float64 when asked to keep the precision
    np.testing.assert_allclose(unit_rows(np.array([0.0, 2.0])), [[0.0, 1.0]])
    assert unit_rows(np.array([[1, 1]]), dtype=None).dtype == np.float64


def test_the_cosine_matrix_of_documents_with_a_word_in_common_and_one_with_none():
    counts = np.array([[1, 1, 0], [0, 2, 0], [0, 0, 0]])  # "a b", "b b", and a document with no counted word
    cos = cosine_matrix(counts)
    assert cos.dtype == np.float32
    np.testing.assert_allclose(cos, [[1.0, 1 / np.sqrt(2), 0.0], [1 / np.sqrt(2), 1.0, 0.0], [0.0, 0.0, 0.0]],
                               atol=1e-6)
