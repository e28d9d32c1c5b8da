"""Operations of the word2vec tab: train (live snapshots as partial results), pause and resume, save.

The training and its vectors stay in the host: the running (or paused)
`Trainer` in `ctx.state[RUN]`, the last finished training's vectors in
`ctx.state[TRAINED]`, where the word tabs and the projector query them
(`source="word2vec"`). The GUI gets snapshots to draw and a summary.
Pause is a cancel that keeps the trainer: `word2vec.resume` goes on from
the minibatch where it stopped, so the host is free for other jobs meanwhile.
"""
from __future__ import annotations

from explorer.host.operations import operation

TRAINED = "word2vec.trained"  # ctx.state key: the last finished training's WordVectors
RESULT = "word2vec.result"  # ctx.state key: its TrainResult (for saving)
RUN = "word2vec.run"  # ctx.state key: the Trainer of the training in progress or paused
LABEL = "word2vec (trained here)"


def trained_vectors(ctx):
    wv = ctx.state.get(TRAINED)
    if wv is None:
        raise ValueError("No word2vec vectors in the model process: train them in the word2vec tab "
                         "(the model process may have restarted).")
    return wv


@operation("word2vec.train")
def train(ctx, *, corpus: str, settings: dict, watched: list[str]) -> dict:
    """Train on `corpus` ("gutenberg" or a path) with `settings` (fields of word2vec.train.Settings)."""
    ctx.state.pop(RUN, None)  # a paused training is replaced
    ctx.state[RUN] = _trainer(corpus, settings, watched)
    return _run(ctx, ctx.state[RUN])


@operation("word2vec.resume")
def resume(ctx, *, corpus: str, settings: dict, watched: list[str]) -> dict:
    """Go on with the paused training (the same arguments as `word2vec.train`). With none here (paused
    before it started, or the model process restarted meanwhile) it starts that training afresh."""
    trainer = ctx.state.get(RUN)
    if trainer is None:
        trainer = ctx.state[RUN] = _trainer(corpus, settings, watched)
    return _run(ctx, trainer)


def _trainer(corpus: str, settings: dict, watched: list[str]):
    from explorer.models.corpora import corpus_from
    from explorer.core.word2vec.train import Settings, Trainer

    return Trainer(corpus_from(corpus), Settings(**settings), watched=watched, snapshots=True)


def _run(ctx, trainer) -> dict:
    from explorer.core.word_vectors import WordVectors

    result = trainer.run(ctx)  # a pause or Cancel raises Cancelled here; the trainer keeps its place
    ctx.state[TRAINED] = WordVectors(LABEL, result.words, result.vectors)
    ctx.state[RESULT] = result
    return {**result.summary(), "label": LABEL}


@operation("word2vec.discard")
def discard(ctx) -> bool:
    """Forget a cancelled (or paused) training; the last finished vectors stay. True if one was dropped."""
    return ctx.state.pop(RUN, None) is not None


@operation("word2vec.save")
def save(ctx, *, out_dir: str) -> str:
    """Write the last finished training into `out_dir` (vectors.txt, training.json); returns the vectors file."""
    from explorer.core.word2vec.files import save_vectors

    result = ctx.state.get(RESULT)
    if result is None:
        raise ValueError("Nothing to save: no finished training in the model process (it may have restarted).")
    return str(save_vectors(result, out_dir))
