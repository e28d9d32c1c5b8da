"""Saving trained vectors: DIR/vectors.txt (word2vec text format, read by `neighbors`, `analogy`, the app's
projector and gensim's `KeyedVectors.load_word2vec_format`) and DIR/training.json (settings and figures)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from explorer.core.atomic_write import write_atomically, write_text_atomically
from explorer.core.safe_paths import expand_user

VECTORS_NAME = "vectors.txt"
INFO_NAME = "training.json"


class OutputError(ValueError):
    """An output folder that cannot be written; the message says why."""


def check_output_dir(path: str | Path) -> Path:
    """Prove `path` can be a folder we write in, before any training starts; creates nothing."""
    from explorer.core.safe_paths import in_special_root

    path = expand_user(path)
    if in_special_root(path):
        raise OutputError(f"cannot write to {path}: a system folder (under /proc, /dev or /sys); choose another --out")
    try:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path} is a file: --out needs a folder")
        existing = path
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        usable = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    except OSError as exc:  # a name too long, a loop of links...
        raise OutputError(f"--out cannot be used: {exc.strerror or exc}") from None
    if not usable:
        raise OutputError(f"cannot write to {path}: {existing} is not a folder this user can write in")
    return path


def word2vec_text(words: list[str], vectors: np.ndarray) -> str:
    lines = [f"{len(words)} {vectors.shape[1]}"]
    lines += [word + " " + " ".join(f"{x:.6f}" for x in row) for word, row in zip(words, vectors.tolist())]
    return "\n".join(lines) + "\n"


def save_vectors(result, out_dir: str | Path) -> Path:
    """Write a `TrainResult` into `out_dir`; returns the vectors file."""
    out = check_output_dir(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write to {out}: {exc.strerror or exc}") from None
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
