"""Operations of the Embeddings pane: word vectors, sentence and contextual embeddings, the projector.

Loaded vectors stay in the host: GloVe in the model store, and every point set
the projector shows (GloVe's 400k words, a token-embedding matrix, a user's
vector file, embedded sentences) in `ctx.state`, one per slot (a tab's
panel). The GUI gets labels and a handle (`PointSet`), and asks for what it
draws: projected coordinates, cluster labels, a point's nearest neighbours.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from explorer.core.point_set import PointSet, VectorSet, short_label
from explorer.host.operations import operation

GLOVE = "glove-50d"
SETS = "embeddings.sets"  # ctx.state key: slot -> {"generation", "vectors", "index"}


def word_vectors(ctx, source: str = GLOVE):
    """The word vectors a word tab queries (GloVe from the model store, loaded once; or word2vec trained here)."""
    if source == "word2vec":
        from explorer.host.ops.word2vec import trained_vectors

        return trained_vectors(ctx)
    if source != GLOVE:
        raise ValueError(f"unknown word vectors {source!r}")
    return ctx.models.get(GLOVE, "word-vectors", ctx).model


# --- point sets kept in the host ---
def keep_points(ctx, slot: str, data: VectorSet, unit=None) -> PointSet:
    """Check `data`'s vectors, prepare their neighbour index, keep them under `slot`; the GUI gets the rest."""
    from explorer.core.projection import NeighbourIndex, check_points

    vectors = check_points(data.vectors, 2, "a map")
    if len(data.labels) != len(vectors):
        raise ValueError(f"{len(data.labels)} labels for {len(vectors)} vectors")
    sets = ctx.state.setdefault(SETS, {})
    before = sets.get(slot, {})
    generation = before.get("generation", 0) + 1
    # the same array again (GloVe loaded into the projector twice): its prepared index still holds
    index = before["index"] if before.get("vectors") is vectors else NeighbourIndex(vectors, unit).prepare()
    sets[slot] = {"generation": generation, "vectors": vectors, "index": index}
    data.vectors = vectors
    return PointSet.of(data, slot, generation)


def kept(ctx, slot: str, generation: int) -> dict:
    entry = ctx.state.get(SETS, {}).get(slot)
    if entry is None or entry["generation"] != generation:
        raise LookupError("These vectors are no longer loaded in the model process: load them again.")
    return entry


@operation("embeddings.project")
def project(ctx, *, slot: str, generation: int, method: str = "pca", dims: int = 2,
            params: dict | None = None):
    """PCA / t-SNE / UMAP of a kept point set; t-SNE positions stream as partial results."""
    from explorer.core.projection import project as run

    return run(kept(ctx, slot, generation)["vectors"], method, dims, progress=ctx, **(params or {}))


@operation("embeddings.kmeans")
def kmeans(ctx, *, slot: str, generation: int, k: int, metric: str = "cosine"):
    from explorer.core.projection import kmeans as run

    return run(kept(ctx, slot, generation)["vectors"], k, metric=metric, progress=ctx)


@operation("embeddings.nearest")
def nearest(ctx, *, slot: str, generation: int, index: int, k: int = 10,
            metric: str = "cosine") -> list[tuple[int, float]]:
    """A point's nearest neighbours in the original space: [(row, score)]."""
    return kept(ctx, slot, generation)["index"].query(index, k, metric)


# --- word tabs ---
@operation("embeddings.bag_of_words")
def bag_of_words(ctx, *, sentences: list[str], lowercase: bool = True, stop_words: bool = False):
    from explorer.core.bag_of_words import bag_of_words as count

    return count(sentences, lowercase=lowercase, stop_words=stop_words)


@operation("embeddings.neighbours")
def neighbours(ctx, *, word: str, k: int = 10, source: str = GLOVE) -> dict:
    """The k nearest words and a PCA of the query with them (for the small map)."""
    from explorer.core.projection import pca
    from explorer.core.word_vectors import neighbours as nearest_words

    wv = word_vectors(ctx, source)
    results = nearest_words(wv, word, k)
    rows = wv.lookup(word) + [r.index for r in results]
    coords = pca(wv.unit[rows], 2).coords
    return {"query": wv.words[rows[0]], "results": results, "coords": coords}


@operation("embeddings.analogy")
def analogy(ctx, *, base: str, minus: str, plus: str, k: int = 10, source: str = GLOVE) -> dict:
    from explorer.core.word_vectors import analogy as solve
    from explorer.core.word_vectors import analogy_plane

    wv = word_vectors(ctx, source)
    result = solve(wv, [base, plus], [minus], k)
    plane = analogy_plane(wv, base, minus, plus, [r.word for r in result.results[:3]])
    return {"result": result, "plane": plane}


@operation("embeddings.axes")
def axes(ctx, *, x_axis: tuple[str, str], y_axis: tuple[str, str], words: list[str], extra: int = 0,
         source: str = GLOVE):
    from explorer.core.word_vectors import axis_projection

    return axis_projection(word_vectors(ctx, source), tuple(x_axis), tuple(y_axis), words,
                           extra_rows=range(extra))


# --- models ---
@operation("embeddings.contextual")
def contextual(ctx, *, model_id: str, word: str, sentences: list[str]):
    """The word's vector at every layer of the model in each sentence, and its static GloVe neighbours."""
    from explorer.core.contextual import contextual_embeddings
    from explorer.core.word_vectors import neighbours as nearest_words
    from explorer.models.catalogue import find

    entry = find(model_id, "model")
    loaded = ctx.models.get_entry(entry, ctx)
    result = contextual_embeddings(loaded.model, loaded.tokenizer, word, sentences, loaded.device,
                                   causal=entry.kind == "causal-lm", model_title=entry.short_title,
                                   progress=ctx)
    try:
        static = [r.word for r in nearest_words(word_vectors(ctx), word, 8)]
    except (KeyError, ValueError, FileNotFoundError):
        static = None
    return result, static


def embed(ctx, sentences: list[str]):
    from explorer.core.sentence_embeddings import embed_sentences

    loaded = ctx.models.get("minilm", "encoder", ctx)
    return embed_sentences(loaded.model, loaded.tokenizer, sentences, loaded.device, progress=ctx)


@operation("embeddings.sentences")
def sentences(ctx, *, sentences: list[str], slot: str):
    """MiniLM sentence embeddings (a few, with their cosine table) and the point set of their map."""
    emb = embed(ctx, sentences)
    # short map labels: the labels of points close together overlap less
    labels = [f"{i + 1}. {short_label(s, 24)}" for i, s in enumerate(sentences)]
    return emb, keep_points(ctx, slot, VectorSet("MiniLM sentence embeddings", emb.vectors, labels,
                                                 {"sentence": list(sentences)}))


@operation("embeddings.token_cloud")
def token_cloud(ctx, *, model_id: str, slot: str) -> PointSet:
    """A model's token-embedding matrix, read straight from its weights file."""
    from explorer.core.token_embeddings import load_token_embeddings
    from explorer.models.word_vectors import token_embedding_files

    emb = load_token_embeddings(*token_embedding_files(model_id, ctx), progress=ctx)
    return keep_points(ctx, slot, VectorSet(emb.title, emb.vectors, emb.tokens, {"token": emb.tokens}))


@operation("embeddings.load_source")
def load_source(ctx, *, slot: str, source: str, text_path: str = "", model: str = "minilm",
                vectors_path: str = "", metadata_path: str = "", model_title: str = "") -> PointSet:
    """The projector's data: GloVe's words, a vectors file (+ metadata), or a text file embedded by a model."""
    if source == "glove":
        wv = word_vectors(ctx)
        return keep_points(ctx, slot, VectorSet("GloVe 6B 50-d", wv.vectors, wv.words), unit=wv.unit)
    if source == "word2vec":
        wv = word_vectors(ctx, source)
        return keep_points(ctx, slot, VectorSet(wv.name, wv.vectors, wv.words), unit=wv.unit)
    if source == "vectors":
        from explorer.core.vector_files import load_vector_files

        data = load_vector_files(vectors_path, metadata_path or None)
        data.name = Path(vectors_path).name
        return keep_points(ctx, slot, data)
    from explorer.core.vector_files import read_text_items

    items = read_text_items(text_path)
    name = f"{Path(text_path).name} ({model_title or model})"  # the GUI names the model; the id otherwise
    notes: list[str] = []
    if model == "minilm":
        vectors: Any = embed(ctx, items).vectors
    elif model in ("smollm2", "smollm2-hub"):
        from explorer.core.text_vectors import mean_hidden_state

        loaded = ctx.models.get(model, "causal-lm", ctx)
        vectors = mean_hidden_state(loaded.model, loaded.tokenizer, items, loaded.device, progress=ctx)
    else:
        from explorer.core.text_vectors import glove_text_vectors

        vectors, unknown = glove_text_vectors(word_vectors(ctx), items, ctx)
        if unknown:
            notes.append(f"{len(unknown):,} lines have no GloVe word (e.g. line {unknown[0] + 1}): they sit at 0.")
    return keep_points(ctx, slot, VectorSet(name, vectors, [short_label(s, 60) for s in items], {"text": items}, notes))
