"""Operations of the tokenizer lab: load, tokenize, train, browse a vocabulary, read a token's embedding row.

Tokenizer objects live here, in the model host: catalogue tokenizers in the
model store (reloaded lazily after a restart), trained ones in
`ctx.state[TRAINED]` under the key the GUI gave them (lost when the host
restarts: the GUI is told so and offers to retrain). What goes back is plain
data: `TokenizedText` (ids, spans, flags, pieces, bytes) and small dicts.
"""
from __future__ import annotations

import itertools
import os
from explorer.host.operations import operation

TRAINED = "tokenizers.trained"   # ctx.state key: GUI key -> trained TextTokenizer
MAX_TRAINING_FILE_BYTES = 50_000_000
_SOURCES = itertools.count(1)


class TokenizerLost(LookupError):
    """A trained tokenizer the host no longer has (it restarted since the training)."""


LOST_MESSAGE = "the model process restarted and lost this trained tokenizer: press Retry to retrain it"


def _info(tokenizer) -> dict:
    return {"title": tokenizer.title, "encoding": tokenizer.encoding, "vocab_size": int(tokenizer.vocab_size)}


def _tokenizer(ctx, key: str, entry):
    """The loaded tokenizer for a row: a catalogue entry's (from the store), or a trained one (from state)."""
    if entry is None:
        tokenizer = ctx.state.get(TRAINED, {}).get(key)
        if tokenizer is None:
            raise TokenizerLost(LOST_MESSAGE)
        return tokenizer
    return ctx.models.get_entry(entry, ctx).model


def _source(tokenizer) -> str:
    """A name for this loaded tokenizer object, unique across host restarts (views cache per-id work under it)."""
    source = getattr(tokenizer, "_host_source", None)
    if source is None:
        source = f"{os.getpid()}:{next(_SOURCES)}:{tokenizer.id}"
        tokenizer._host_source = source
    return source


@operation("tokenizers.load")
def load(ctx, *, entry) -> dict:
    """Load a catalogue / Hub / folder tokenizer (a CatalogueEntry); its title, encoding and vocabulary size."""
    return _info(ctx.models.get_entry(entry, ctx).model)


@operation("tokenizers.tokenize")
def tokenize(ctx, *, rows: dict, text: str, progressive: bool = False) -> dict:
    """Tokenize `text` with every row's tokenizer at once (rows: key -> CatalogueEntry, or None if trained).

    Returns {"results": {key: TokenizedText}, "lost": {key: message}}. Rows tokenize on parallel helper
    threads; `progressive` instead sends each row as a partial result (key, TokenizedText) as soon as
    it is done, and "results" is empty.
    """
    from explorer.core.parallel_tokenize import tokenize_all

    keys: list[str] = []
    tokenizers = []
    lost: dict[str, str] = {}
    for key, entry in rows.items():
        try:
            tokenizers.append(_tokenizer(ctx, key, entry))
            keys.append(key)
        except TokenizerLost as exc:
            lost[key] = str(exc)
    sources = [_source(t) for t in tokenizers]
    if progressive:
        # each row goes as soon as it is done, from its helper thread (big arrays in their own segments)
        tokenize_all(tokenizers, text, progress=ctx,
                     on_each=lambda k, tk: ctx.partial((keys[k], tk.to_plain(sources[k]))))
        return {"results": {}, "lost": lost}
    results = tokenize_all(tokenizers, text, progress=ctx)
    plain = {key: tk.to_plain(source) for key, tk, source in zip(keys, results, sources)}
    return {"results": plain, "lost": lost}


@operation("tokenizers.train")
def train(ctx, *, key: str, algorithm: str, vocab_size: int, source: str, text: str | None = None,
          file: str | None = None) -> dict:
    """Train a tokenizer on `text` or the file at `file`; kept in the host under `key`."""
    from explorer.core.tokenizer_training import TrainingSettings, train_tokenizer

    from explorer.core.safe_paths import check_path

    corpus = text
    if file is not None:
        path = check_path(file, "file", "text file")  # never /proc, a FIFO or a device
        if path.stat().st_size > MAX_TRAINING_FILE_BYTES:
            raise ValueError(f"{path.name} is larger than {MAX_TRAINING_FILE_BYTES // 1_000_000} MB")
        corpus = path.read_bytes().decode("utf-8", errors="replace")
    if corpus is None:
        raise ValueError("give a text or a file to train on")
    settings = TrainingSettings(algorithm, int(vocab_size), source)
    tokenizer = train_tokenizer(corpus, settings, key, ctx)
    ctx.state.setdefault(TRAINED, {})[key] = tokenizer
    return _info(tokenizer)


@operation("tokenizers.forget")
def forget(ctx, *, key: str) -> bool:
    """Drop a trained tokenizer from the host, as a restart of the host does; True if the host had it.

    (The pane keeps trained tokenizers for the window's life, so a session can bring a removed row back;
    tests use this to see what a row does when the host lost its tokenizer.)
    """
    return ctx.state.get(TRAINED, {}).pop(key, None) is not None


@operation("tokenizers.vocabulary")
def vocabulary(ctx, *, key: str, entry=None) -> dict:
    """Every vocabulary entry as readable text (index = id) and, for BPE, the merge rules in learned order."""
    tokenizer = _tokenizer(ctx, key, entry)
    pieces = [tokenizer.piece(i) for i in range(tokenizer.vocab_size)]
    return {**_info(tokenizer), "pieces": pieces, "merges": tokenizer.merges()}


@operation("tokenizers.embedding_row")
def embedding_row(ctx, *, tokenizer_id: str, token_id: int):
    """Row `token_id` of the token-embedding matrix of the offline model that uses this tokenizer."""
    from explorer.models.tokenizer_loader import token_embedding_row

    return token_embedding_row(tokenizer_id, int(token_id), ctx)
