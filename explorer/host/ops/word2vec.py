"""Operations of the word2vec tab: the vectors it trained, kept in the host for the word tabs and the projector."""
from __future__ import annotations

from explorer.host.operations import operation

TRAINED = "word2vec.trained"  # ctx.state key: the last finished training's WordVectors
LABEL = "word2vec (trained here)"


def trained_vectors(ctx):
    wv = ctx.state.get(TRAINED)
    if wv is None:
        raise ValueError("No word2vec vectors yet: train them in the word2vec tab first.")
    return wv


@operation("word2vec.keep")
def keep(ctx, *, words: list[str], vectors) -> int:
    """Keep trained vectors (rows follow `words`) for `source="word2vec"`; returns how many words."""
    from explorer.core.word_vectors import WordVectors

    ctx.state[TRAINED] = WordVectors(LABEL, list(words), vectors)
    return len(words)
