"""Saving trained vectors: DIR/vectors.txt (word2vec text format, read by `neighbors`, `analogy`, the app's
projector and gensim's `KeyedVectors.load_word2vec_format`) and DIR/training.json (settings and figures)."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from explorer.core.atomic_write import write_atomically, write_text_atomically

VECTORS_NAME = "vectors.txt"
INFO_NAME = "training.json"


class OutputError(ValueError):
    """An output folder that cannot be written; the message says why."""


def check_output_dir(path: str | Path) -> Path:
    """Create `path` if needed and prove it is writable, before any training starts."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file: --out needs a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write to {path}: {exc.strerror or exc}") from None
    return path


def word2vec_text(words: list[str], vectors: np.ndarray) -> str:
    lines = [f"{len(words)} {vectors.shape[1]}"]
    lines += [word + " " + " ".join(f"{x:.6f}" for x in row) for word, row in zip(words, vectors.tolist())]
    return "\n".join(lines) + "\n"


def save_vectors(result, out_dir: str | Path) -> Path:
    """Write a `TrainResult` into `out_dir`; returns the vectors file."""
    out = check_output_dir(out_dir)
    target = out / VECTORS_NAME
    text = word2vec_text(result.words, result.vectors)
    write_atomically(target, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    info = {**result.summary(), "losses": [[int(w), round(float(l), 5)] for w, l in result.losses],
            "format": "word2vec text: a 'count dim' line, then 'word v1 ... vdim' per line, most frequent first"}
    write_text_atomically(out / INFO_NAME, json.dumps(info, indent=1) + "\n")
    return target


def vectors_in_dir(path: Path) -> Path | None:
    """The vectors file of a folder written by `save_vectors` (or any folder holding one vectors file)."""
    for name in (VECTORS_NAME, "vectors.tsv", "vectors.vec", "vectors.npy"):
        if (path / name).is_file():
            return path / name
    return None
