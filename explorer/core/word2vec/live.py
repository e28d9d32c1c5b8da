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

NEIGHBOURS = 8


def unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def nearest(vectors: np.ndarray, words: list[str], row: int, k: int = NEIGHBOURS) -> list[tuple[str, float]]:
    u = unit(vectors)
    scores = u @ u[row]
    scores[row] = -np.inf
    top = np.argpartition(-scores, k)[:k] if len(scores) > k else np.arange(len(scores))
    top = top[np.argsort(-scores[top])]
    return [(words[i], float(scores[i])) for i in top if np.isfinite(scores[i])]


def aligned(previous: np.ndarray | None, coords: np.ndarray) -> np.ndarray:
    """`coords` rotated / reflected (orthogonal Procrustes) to lie as close as possible to `previous`."""
    if previous is None or previous.shape != coords.shape:
        return coords
    u, _, vt = np.linalg.svd(coords.T @ previous)
    return coords @ (u @ vt)


def word_map(vectors: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    x = unit(vectors.astype(np.float64))
    x = x - x.mean(0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    coords = x @ vt[:2].T
    return aligned(previous, coords)


def snapshot(trainer, step_pair: tuple | None = None, final: bool = False) -> dict:
    from explorer.core.word2vec.train import lay_out_step

    vocab = trainer.vocab
    W = trainer.W.numpy()
    neighbours: dict[str, list[tuple[str, float]]] = {}
    missing: list[str] = []
    for word in trainer.watched:
        row = vocab.index.get(word.lower())
        if row is None:
            missing.append(word)
        else:
            neighbours[word] = nearest(W, vocab.words, row)
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
