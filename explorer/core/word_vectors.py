"""Static word vectors (GloVe, word2vec-style files): neighbours, analogies, projections on word axes.

Every score is a cosine similarity on unit-normalised vectors. Analogies use
3CosAdd (Mikolov et al. 2013, as in gensim's `most_similar`): the unit
vectors of the positive words minus those of the negative words, normalised,
compared with every word; the query words themselves are left out.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from explorer.core.vectors import unit_rows


class WordNotFound(KeyError):
    """A word that is not in the vocabulary; str() is a sentence a user can read."""

    def __init__(self, words: Sequence[str], vocabulary: str, size: int) -> None:
        self.words = list(words)
        quoted = ", ".join(f"'{w}'" for w in self.words)
        noun = "is" if len(self.words) == 1 else "are"
        super().__init__(f"{quoted} {noun} not in the vocabulary of {vocabulary} ({size:,} words)")

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0])


@dataclass
class Scored:
    word: str
    score: float
    index: int

    def to_json(self) -> dict:
        return {"word": self.word, "score": round(float(self.score), 6)}


@dataclass
class WordVectors:
    """A vocabulary and its vectors: rows of `vectors` follow `words`."""

    name: str
    words: list[str]
    vectors: np.ndarray  # [n, d] float32
    unit: np.ndarray = field(repr=False, default=None)  # [n, d] float32, each row of length 1 (or 0)
    index: dict[str, int] = field(repr=False, default=None)
    # GloVe 6B only has lower-case words: look a word up lower-cased when it is not found as typed
    lowercase: bool = False

    def __post_init__(self) -> None:
        self.vectors = np.ascontiguousarray(self.vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"{len(self.words)} words but vectors of shape {self.vectors.shape}")
        if self.unit is None:
            self.unit = unit_rows(self.vectors)
        if self.index is None:
            # the first occurrence wins when a file repeats a word
            self.index = {}
            for i, word in enumerate(self.words):
                self.index.setdefault(word, i)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.words)

    @property
    def nbytes(self) -> int:
        return int(self.vectors.nbytes + self.unit.nbytes)

    def find(self, word: str) -> int | None:
        """Row of `word` (lower-cased for a lower-case vocabulary), or None."""
        word = word.strip()
        i = self.index.get(word)
        if i is None and self.lowercase:
            i = self.index.get(word.lower())
        return i

    def lookup(self, words: str | Iterable[str]) -> list[int]:
        """Rows of the words; raises `WordNotFound` naming every missing word."""
        if isinstance(words, str):
            words = [words]
        words = list(words)
        rows = [self.find(w) for w in words]
        missing = [w for w, r in zip(words, rows) if r is None]
        if missing:
            raise WordNotFound(missing, self.name, len(self))
        return [int(r) for r in rows]  # type: ignore[arg-type]

    def vector(self, word: str, unit: bool = True) -> np.ndarray:
        row = self.lookup(word)[0]
        return (self.unit if unit else self.vectors)[row]


def _clean_words(words: Iterable[str]) -> list[str]:
    return [w.strip() for w in words if w and w.strip()]


def nearest_to_vector(wv: WordVectors, target: np.ndarray, k: int = 10,
                      exclude: Iterable[int] = ()) -> list[Scored]:
    """The k words whose unit vectors have the highest cosine with `target`, best first."""
    if k < 1:
        raise ValueError("k must be at least 1")
    norm = float(np.linalg.norm(target))
    if norm == 0 or not np.isfinite(norm):
        raise ValueError("the query vector is zero: the words cancel out")
    from explorer.core.projection import one_blas_thread

    with one_blas_thread():
        scores = wv.unit @ (np.asarray(target, dtype=np.float32) / norm)
    excluded = np.fromiter(set(exclude), dtype=np.int64)
    if excluded.size:
        scores[excluded] = -np.inf
    k = min(k, len(wv) - excluded.size)
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [Scored(wv.words[i], float(scores[i]), int(i)) for i in top]


def neighbours(wv: WordVectors, word: str, k: int = 10) -> list[Scored]:
    """The k nearest words to `word` by cosine, the word itself left out."""
    if not word or not word.strip():
        raise ValueError("type a word")
    row = wv.lookup(word.strip())[0]
    return nearest_to_vector(wv, wv.unit[row], k, exclude=[row])


@dataclass
class Analogy:
    positive: list[str]
    negative: list[str]
    target: np.ndarray  # unit vector of sum(positive) - sum(negative)
    results: list[Scored]


def analogy(wv: WordVectors, positive: Sequence[str], negative: Sequence[str] = (), k: int = 10) -> Analogy:
    """3CosAdd: words nearest to sum(unit positive) - sum(unit negative), query words excluded."""
    positive, negative = _clean_words(positive), _clean_words(negative)
    if not positive:
        raise ValueError("an analogy needs at least one positive word (king - man + woman: king and woman)")
    pos_rows = wv.lookup(positive + negative)
    neg_rows = pos_rows[len(positive):]
    pos_rows = pos_rows[:len(positive)]
    target = wv.unit[pos_rows].sum(axis=0) - (wv.unit[neg_rows].sum(axis=0) if neg_rows else 0.0)
    norm = float(np.linalg.norm(target))
    if norm == 0:
        raise ValueError("the words cancel out exactly: the query vector is zero")
    target = (target / norm).astype(np.float32)
    results = nearest_to_vector(wv, target, k, exclude=pos_rows + neg_rows)
    return Analogy(positive, negative, target, results)


@dataclass
class AxisProjection:
    """Words placed on two word axes: x along a->b, y along c->d (the projector's custom projection)."""

    words: list[str]
    rows: list[int]
    coords: np.ndarray  # [n, 2]
    x_axis: tuple[str, str]
    y_axis: tuple[str, str]
    missing: list[str]
    # cosine between the two axis directions: near 0 means the axes are independent
    axes_cosine: float
    # the first n_typed rows are the words asked for; the rest came from `extra_rows`
    n_typed: int = 0


def axis_projection(wv: WordVectors, x_axis: tuple[str, str], y_axis: tuple[str, str],
                    words: Sequence[str], extra_rows: Sequence[int] = ()) -> AxisProjection:
    """Coordinates of `words` (and of `extra_rows`, e.g. the most frequent words) on two word axes.

    Each coordinate is the dot product of a word's unit vector with the unit
    direction from the axis's first word to its second: positive means closer
    to the second word. Words not in the vocabulary are listed in `missing`.
    """
    a, b = (w.strip() for w in x_axis)
    c, d = (w.strip() for w in y_axis)
    if not all((a, b, c, d)):
        raise ValueError("each axis needs two words, for example man -> woman and poor -> rich")
    ia, ib, ic, id_ = wv.lookup([a, b, c, d])
    dx = wv.unit[ib] - wv.unit[ia]
    dy = wv.unit[id_] - wv.unit[ic]
    if not np.linalg.norm(dx) or not np.linalg.norm(dy):
        raise ValueError("an axis needs two different words")
    dx, dy = dx / np.linalg.norm(dx), dy / np.linalg.norm(dy)
    found: list[str] = []
    rows: list[int] = []
    missing: list[str] = []
    seen: set[int] = set()
    for word in _clean_words(words):
        row = wv.find(word)
        if row is None:
            missing.append(word)
        elif row not in seen:
            seen.add(row)
            found.append(wv.words[row])
            rows.append(row)
    n_typed = len(rows)
    for row in extra_rows:
        if int(row) not in seen:
            seen.add(int(row))
            found.append(wv.words[int(row)])
            rows.append(int(row))
    unit = wv.unit[np.asarray(rows, dtype=np.int64)] if rows else np.zeros((0, wv.dim), np.float32)
    coords = np.stack([unit @ dx, unit @ dy], axis=1).astype(np.float32)
    return AxisProjection(found, rows, coords, (a, b), (c, d), missing, float(dx @ dy), n_typed)


@dataclass
class AnalogyPlane:
    """The analogy drawn in the plane of its own words: x along man->woman, y along man->king."""

    labels: list[str]
    coords: np.ndarray  # [n, 2]; the last row is the 3CosAdd target point
    kinds: list[str]  # "query", "result" or "target" per row


def analogy_plane(wv: WordVectors, base: str, minus: str, plus: str, results: Sequence[str]) -> AnalogyPlane:
    """For `base - minus + plus` (king - man + woman): a 2-D frame where the parallelogram shows.

    Origin at `minus`; x is the unit direction minus->plus; y is minus->base
    made orthogonal to x. The target point (base - minus + plus) is exactly
    base + (plus - minus) in this frame, so a good analogy puts the best
    result near it.
    """
    i_base, i_minus, i_plus = wv.lookup([base, minus, plus])
    u = wv.unit
    ex = u[i_plus] - u[i_minus]
    if not np.linalg.norm(ex):
        raise ValueError(f"'{minus}' and '{plus}' are the same word")
    ex = ex / np.linalg.norm(ex)
    ey = u[i_base] - u[i_minus]
    ey = ey - (ey @ ex) * ex
    ey = ey / (np.linalg.norm(ey) or 1.0)
    labels = [wv.words[i_minus], wv.words[i_plus], wv.words[i_base]]
    vectors = [u[i_minus], u[i_plus], u[i_base]]
    kinds = ["query", "query", "query"]
    for word in results:
        row = wv.find(word)
        if row is not None and row not in (i_base, i_minus, i_plus):
            labels.append(wv.words[row])
            vectors.append(u[row])
            kinds.append("result")
    labels.append(f"{wv.words[i_base]} − {wv.words[i_minus]} + {wv.words[i_plus]}")
    vectors.append(u[i_base] - u[i_minus] + u[i_plus])
    kinds.append("target")
    rel = np.stack(vectors) - u[i_minus]
    coords = np.stack([rel @ ex, rel @ ey], axis=1).astype(np.float32)
    return AnalogyPlane(labels, coords, kinds)


def mean_word_vector(wv: WordVectors, text: str) -> tuple[np.ndarray, int]:
    """The mean of the unit vectors of the words of `text` found in the vocabulary, and how many were found."""
    import re

    rows = [wv.find(w) for w in re.findall(r"\w+(?:'\w+)?|[^\w\s]", text)]
    rows = [r for r in rows if r is not None]
    if not rows:
        return np.zeros(wv.dim, np.float32), 0
    return wv.unit[rows].mean(axis=0).astype(np.float32), len(rows)
