"""What the word2vec tab draws while training: plain data (numbers, lists, arrays), no closures.

A snapshot holds the loss curve so far, the nearest neighbours of the
watched words, a 2-D map of the most frequent words (PCA of their current
unit vectors, turned and flipped to match the previous frame, so the map
moves smoothly instead of jumping), and one real pair laid out as the
lecture draws it (see `train.lay_out_step`): the first pair of the latest minibatch, with the vectors
it was trained from and the gradients it added.
"""
from __future__ import annotations

from dataclasses import asdict

import numpy as np

from explorer.core.vectors import unit_rows

NEIGHBOURS = 8


def nearest(unit_vectors: np.ndarray, words: list[str], rows: list[int], k: int = NEIGHBOURS
            ) -> list[list[tuple[str, float]]]:
    """The k nearest words (cosine) of each row, from unit vectors, in one matrix product."""
    scores = unit_vectors[rows] @ unit_vectors.T  # [len(rows), V]
    out = []
    for i, row in enumerate(rows):
        line = scores[i]
        line[row] = -np.inf
        top = np.argpartition(-line, k)[:k] if len(line) > k else np.arange(len(line))
        top = top[np.argsort(-line[top])]
        out.append([(words[j], float(line[j])) for j in top if np.isfinite(line[j])])
    return out


def aligned(previous: np.ndarray | None, coords: np.ndarray) -> np.ndarray:
    """`coords` rotated / reflected (orthogonal Procrustes) to lie as close as possible to `previous`."""
    if previous is None or previous.shape != coords.shape:
        return coords
    u, _, vt = np.linalg.svd(coords.T @ previous)
    return coords @ (u @ vt)


def word_map(vectors: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    x = unit_rows(vectors, dtype=np.float64)
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    coords = x @ vt[:2].T
    return aligned(previous, coords)


def snapshot(trainer, step_pair: tuple | None = None, final: bool = False) -> dict:
    # one BLAS thread: OpenBLAS's spinning threads made this 300 x 100 SVD take a second on a busy machine
    from explorer.core.projection import one_blas_thread

    with one_blas_thread():
        return _snapshot(trainer, step_pair, final)


def _snapshot(trainer, step_pair: tuple | None, final: bool) -> dict:
    from explorer.core.word2vec.train import lay_out_step

    vocab = trainer.vocab
    W = trainer.W.numpy()
    missing = [w for w in trainer.watched if w.lower() not in vocab.index]
    found = [w for w in trainer.watched if w.lower() in vocab.index]
    lists = nearest(unit_rows(W, dtype=None), vocab.words, [vocab.index[w.lower()] for w in found]) if found else []
    neighbours = dict(zip(found, lists))
    n = min(trainer.map_words, len(vocab))
    coords = word_map(W[:n], trainer._previous_map)
    trainer._previous_map = coords
    step = None
    if step_pair is not None:
        centre, context, negatives, lr, centre_vector, target_vectors = step_pair
        layout = lay_out_step(vocab.words[centre], vocab.words[context], [vocab.words[int(j)] for j in negatives],
                              centre_vector, target_vectors, lr, skipped=[int(j) == context for j in negatives])
        step = asdict(layout)
    return {"words_done": int(trainer.words_done), "total_words": int(trainer.total_words),
            "epoch": int(trainer.epoch), "losses": list(trainer.losses), "neighbours": neighbours,
            "missing": missing, "map_words": list(vocab.words[:n]), "map": coords, "step": step,
            "final": final}
