"""Bag-of-words: documents as word counts (scikit-learn's CountVectorizer) and the cosine they imply."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.core.vectors import cosine_matrix

# keep one-letter words ("I", "a"): the lecture's examples count every word
TOKEN_PATTERN = r"(?u)\b\w+\b"
MAX_DOCUMENTS = 200


@dataclass
class BagOfWords:
    documents: list[str]
    vocabulary: list[str]  # column order (alphabetical, as CountVectorizer sorts it)
    counts: np.ndarray  # [n_documents, n_words] int

    def cosine(self) -> np.ndarray:
        """Cosine between documents' count vectors; a document with no counted word has 0 with all."""
        return cosine_matrix(self.counts)

    def shared_words(self, i: int, j: int) -> list[str]:
        """Words that documents i and j both contain (what makes their cosine non-zero)."""
        both = (self.counts[i] > 0) & (self.counts[j] > 0)
        return [w for w, keep in zip(self.vocabulary, both) if keep]


def bag_of_words(documents: list[str], lowercase: bool = True, stop_words: bool = False) -> BagOfWords:
    """Count each word of each document; `stop_words` drops scikit-learn's English stop words."""
    docs = [d.strip() for d in documents if d and d.strip()]
    if not docs:
        raise ValueError("type at least one sentence")
    if len(docs) > MAX_DOCUMENTS:
        raise ValueError(f"{len(docs)} sentences: the table shows at most {MAX_DOCUMENTS}")
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(lowercase=lowercase, token_pattern=TOKEN_PATTERN,
                                 stop_words="english" if stop_words else None)
    try:
        matrix = vectorizer.fit_transform(docs)
    except ValueError as exc:  # "empty vocabulary" when every word was a stop word or punctuation
        raise ValueError("no words to count: the sentences hold only punctuation"
                         + (" or stop words" if stop_words else "")) from exc
    return BagOfWords(docs, list(vectorizer.get_feature_names_out()), matrix.toarray().astype(np.int32))
