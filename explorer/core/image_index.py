"""A searchable folder of images: embeddings computed once, cached on disk by file content.

The cache lives in one folder per model (its `cache_key`): `vectors.npy`
(float32, read with allow_pickle=False) and `index.json` (the sha256 of each
row's file, plus a path -> (size, mtime, sha256) memo so unchanged files are
not re-read). A renamed or copied file keeps its embedding; an edited one
gets a new one.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from explorer.core import image_io
from explorer.core.checksum import file_sha256
from explorer.core.multimodal import ImageTextEncoder, Ranking, normalise, rank
from explorer.core.progress import Progress, ensure

FORMAT = "llm-explorer image embeddings"
VECTORS_FILE = "vectors.npy"
INDEX_FILE = "index.json"


@dataclass
class ImageIndex:
    paths: list[Path]
    vectors: np.ndarray  # (n, d) unit rows, row i is paths[i]
    model_name: str
    messages: list[tuple[str, str]] = field(default_factory=list)
    computed: int = 0  # how many embeddings were computed now (the rest came from the cache)

    def __len__(self) -> int:
        return len(self.paths)

    def search_text(self, encoder: ImageTextEncoder, query: str, k: int = 24) -> Ranking:
        if not query.strip():
            raise ValueError("type something to search for")
        return rank(encoder.embed_texts([query.strip()])[0], self.vectors, k)

    def search_image(self, index: int, k: int = 24) -> Ranking:
        return rank(self.vectors[index], self.vectors, k, exclude=index)

    def search_vector(self, vector: np.ndarray, k: int = 24) -> Ranking:
        return rank(vector, self.vectors, k)

    def summary(self, generation: int) -> "IndexSummary":
        return IndexSummary(list(self.paths), self.model_name, list(self.messages), self.computed, generation)


@dataclass
class IndexSummary:
    """What the GUI knows of an index kept in the model host: its files, messages, and which build it was."""

    paths: list[Path]
    model_name: str
    messages: list[tuple[str, str]]
    computed: int
    generation: int  # names this build: a search asks for it, and fails clearly if the host lost it

    def __len__(self) -> int:
        return len(self.paths)


class EmbeddingCache:
    """Embeddings of one model, keyed by the sha256 of the image file's bytes."""

    def __init__(self, folder: Path, dim: int | None = None) -> None:
        self.folder = Path(folder)
        self.hashes: list[str] = []
        self.vectors = np.zeros((0, dim or 0), dtype=np.float32)
        self.stat_memo: dict[str, list] = {}
        self._row: dict[str, int] = {}
        self._load()

    def _load(self) -> None:
        vectors_path, index_path = self.folder / VECTORS_FILE, self.folder / INDEX_FILE
        if not vectors_path.is_file() or not index_path.is_file():
            return
        try:
            meta = json.loads(index_path.read_text(encoding="utf-8"))
            vectors = np.load(vectors_path, allow_pickle=False)
        except (OSError, ValueError):
            return  # a damaged cache is simply rebuilt
        hashes = meta.get("hashes", [])
        if meta.get("format") != FORMAT or vectors.ndim != 2 or len(hashes) != len(vectors):
            return
        self.hashes = [str(h) for h in hashes]
        self.vectors = vectors.astype(np.float32, copy=False)
        self.stat_memo = {str(k): v for k, v in meta.get("files", {}).items() if isinstance(v, list) and len(v) == 3}
        self._row = {h: i for i, h in enumerate(self.hashes)}

    def get(self, digest: str) -> np.ndarray | None:
        row = self._row.get(digest)
        return None if row is None else self.vectors[row]

    def add(self, digests: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if self.vectors.shape[1] != vectors.shape[1] and len(self.hashes) == 0:
            self.vectors = np.zeros((0, vectors.shape[1]), dtype=np.float32)
        fresh = [i for i, d in enumerate(digests) if d not in self._row]
        for i in fresh:
            self._row[digests[i]] = len(self.hashes)
            self.hashes.append(digests[i])
        if fresh:
            self.vectors = np.concatenate([self.vectors, vectors[fresh]])

    def digest(self, path: Path) -> str:
        """The file's sha256, from the memo when its size and modification time did not change."""
        stat = path.stat()
        key = str(path)
        memo = self.stat_memo.get(key)
        if memo is not None and memo[0] == stat.st_size and memo[1] == stat.st_mtime_ns:
            return str(memo[2])
        digest = file_sha256(path)
        self.stat_memo[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def save(self, model_name: str) -> None:
        """Write atomically: vectors first, then the index that vouches for them."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp_vectors = self.folder / (VECTORS_FILE + ".tmp.npy")
        np.save(tmp_vectors, self.vectors.astype(np.float32), allow_pickle=False)
        os.replace(tmp_vectors, self.folder / VECTORS_FILE)
        meta = {"format": FORMAT, "model": model_name, "dim": int(self.vectors.shape[1]),
                "hashes": self.hashes, "files": self.stat_memo}
        tmp_index = self.folder / (INDEX_FILE + ".tmp")
        tmp_index.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp_index, self.folder / INDEX_FILE)


def cache_folder(encoder: ImageTextEncoder, root: Path) -> Path:
    """The model's embedding cache under `root` (the caller's cache folder: core knows no app paths)."""
    key = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in encoder.cache_key)
    return Path(root) / "image-embeddings" / key


def build_index(sources: Sequence[str | Path], encoder: ImageTextEncoder, progress: Progress | None = None, *,
                cache_root: Path, batch_size: int = 32) -> ImageIndex:
    """Embed every image under `sources` (files or folders), reusing cached embeddings kept under `cache_root`.

    Files that cannot be read are skipped with a message; the cache is saved
    every few seconds and at the end, so a cancelled run keeps what it finished.
    """
    progress = ensure(progress)
    files, messages, _ = image_io.scan(sources)
    cache = EmbeddingCache(cache_folder(encoder, cache_root))
    digests: dict[Path, str] = {}
    for i, path in enumerate(files):
        if i % 25 == 0:
            progress.check()
            progress.report(0.1 * i / max(1, len(files)), f"Checking files: {i + 1} of {len(files)}")
        try:
            digests[path] = cache.digest(path)
        except OSError as exc:
            messages.append((path.name, f"skipped: cannot read it ({exc.strerror or exc})"))
    todo = [p for p in digests if cache.get(digests[p]) is None]
    computed = 0
    last_save = time.monotonic()
    try:
        for start in range(0, len(todo), batch_size):
            progress.check()
            progress.report(0.1 + 0.9 * start / max(1, len(todo)),
                            f"Embedding images: {start:,} of {len(todo):,} (once; then cached)")
            batch_paths, batch_images = [], []
            for path in todo[start:start + batch_size]:
                try:
                    loaded = image_io.load_image(path)
                except image_io.ImageLoadError as exc:
                    messages.append((path.name, str(exc)))
                    continue
                if loaded.note:
                    messages.append((path.name, loaded.note))
                batch_paths.append(path)
                batch_images.append(loaded.image)
            if batch_images:
                vectors = encoder.embed_images(batch_images)
                cache.add([digests[p] for p in batch_paths], vectors)
                computed += len(batch_images)
                if time.monotonic() - last_save > 10:
                    cache.save(encoder.name)
                    last_save = time.monotonic()
    finally:
        if computed:
            cache.save(encoder.name)
    usable = [p for p in files if p in digests and cache.get(digests[p]) is not None]
    dim = cache.vectors.shape[1] if cache.vectors.size else 0
    vectors = np.stack([cache.get(digests[p]) for p in usable]) if usable else np.zeros((0, dim), dtype=np.float32)
    progress.report(1.0, f"{len(usable):,} images ready to search ({computed:,} newly embedded)")
    return ImageIndex(usable, normalise(vectors) if len(usable) else vectors, encoder.name, messages, computed)
