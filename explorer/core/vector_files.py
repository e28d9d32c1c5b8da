"""Your own vectors: TSV / CSV / NPY files and an optional metadata TSV (the Embedding Projector's format).

- vectors.tsv: one vector per line, values separated by tabs, no header.
  A CSV (commas) works the same. A first column that is not a number
  (word2vec / GloVe text files: `word 0.1 0.2 ...`) becomes the label.
- vectors.npy: a 2-D numeric array (never unpickled).
- metadata.tsv: one line per vector. With one column there is no header;
  with two or more the first line names the columns (as in the projector).

Every problem is reported as a `VectorFileError` whose message says what is
wrong and where (empty file, one item, ragged or non-numeric rows, NaN,
metadata rows that do not match).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from explorer.core.point_set import VectorSet

MAX_FILE_BYTES = 2 * 1024**3


class VectorFileError(ValueError):
    """A vectors or metadata file that cannot be used; the message says why and where."""


def _check_file(path: Path) -> None:
    """Missing, a folder, or special (a FIFO, a device, /proc ...): refused before anything opens it."""
    from explorer.core.safe_paths import UnsafePathError, check_path

    try:
        if not path.exists():
            raise VectorFileError(f"{path} does not exist")
        if path.is_dir():
            raise VectorFileError(f"{path} is a folder, not a file")
        check_path(path, "file")
    except UnsafePathError as exc:
        raise VectorFileError(str(exc)) from None
    except OSError as exc:
        raise VectorFileError(f"{path} cannot be read: {exc.strerror or exc}") from None


def _read_text(path: Path, empty: str = "no vectors") -> str:
    _check_file(path)
    size = path.stat().st_size
    if size == 0:
        raise VectorFileError(f"{path.name} is empty: {empty}")
    if size > MAX_FILE_BYTES:
        raise VectorFileError(f"{path.name} is {size / 1024**3:.1f} GB: use a .npy file for data this big")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise VectorFileError(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc


def _delimiter(path: Path, first_line: str) -> str | None:
    if path.suffix.lower() == ".csv":
        return ","
    if "\t" in first_line:
        return "\t"
    if "," in first_line:
        return ","
    return None  # whitespace (word2vec / GloVe text)


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def parse_vectors_text(text: str, name: str = "vectors", delimiter: str | None = "\t"
                       ) -> tuple[np.ndarray, list[str] | None]:
    """Rows of numbers -> (matrix, labels or None). Labels come from a non-numeric first column."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise VectorFileError(f"{name} is empty: no vectors")
    rows = [[cell.strip() for cell in (line.split(delimiter) if delimiter else line.split())] for line in lines]
    # word2vec text files start with a "count dimension" header line
    if delimiter is None and len(rows) > 1 and len(rows[0]) == 2 and all(c.isdigit() for c in rows[0]) \
            and len(rows[1]) == int(rows[0][1]) + 1:
        rows = rows[1:]
    labelled = not _is_number(rows[0][0]) and len(rows[0]) > 1
    labels: list[str] | None = [] if labelled else None
    width = len(rows[0]) - (1 if labelled else 0)
    if width == 0:
        raise VectorFileError(f"{name}, line 1: no numbers")
    values = np.empty((len(rows), width), dtype=np.float32)
    for i, cells in enumerate(rows):
        if labelled:
            labels.append(cells[0])  # type: ignore[union-attr]
            cells = cells[1:]
        if len(cells) != width:
            raise VectorFileError(f"{name}, line {i + 1}: {len(cells)} numbers where line 1 has {width} "
                                  "(every row needs the same number of values)")
        try:
            values[i] = [float(c) for c in cells]
        except ValueError:
            bad = next(c for c in cells if not _is_number(c))
            raise VectorFileError(f"{name}, line {i + 1}: '{bad[:30]}' is not a number") from None
    return values, labels


def read_vectors(path: str | Path) -> tuple[np.ndarray, list[str] | None]:
    """A vectors file (.tsv, .csv, .txt, .vec or .npy) -> (float32 matrix, labels from the file or None)."""
    path = Path(path)
    if path.suffix.lower() == ".npy":
        _check_file(path)
        try:
            array = np.load(path, allow_pickle=False)
        except ValueError as exc:
            raise VectorFileError(f"{path.name} holds Python objects, not numbers: it cannot be read safely") from exc
        except OSError as exc:
            raise VectorFileError(f"{path.name} is not a valid .npy file ({exc})") from exc
        if array.ndim != 2:
            raise VectorFileError(f"{path.name} holds an array of shape {array.shape}: "
                                  "it must be 2-D (one row per item)")
        if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise VectorFileError(f"{path.name} holds {array.dtype} values: it must hold real numbers")
        return np.ascontiguousarray(array, dtype=np.float32), None
    text = _read_text(path)
    first = next((line for line in text.splitlines() if line.strip()), "")
    return parse_vectors_text(text, path.name, _delimiter(path, first))


def parse_metadata_text(text: str, n_rows: int, name: str = "metadata") -> dict[str, list[str]]:
    """Metadata TSV -> {column: values}; one column = no header, several = a header line first."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():  # a trailing newline is not a row
        lines.pop()
    if not lines:
        raise VectorFileError(f"{name} is empty")
    rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter="\t", quoting=csv.QUOTE_NONE))
    width = len(rows[0])
    if width == 1:
        header, body = ["label"], rows
    else:
        header, body = [h.strip() or f"column {i + 1}" for i, h in enumerate(rows[0])], rows[1:]
    if len(body) != n_rows:
        extra = " after its header line" if width > 1 else ""
        raise VectorFileError(f"{name} has {len(body):,} rows{extra} but there are {n_rows:,} vectors: "
                              "it needs exactly one line per vector")
    columns: dict[str, list[str]] = {h: [] for h in header}
    for i, row in enumerate(body):
        if len(row) > width:
            raise VectorFileError(f"{name}, line {i + 1 + (width > 1)}: {len(row)} columns where the header has {width}")
        row = row + [""] * (width - len(row))
        for h, value in zip(header, row):
            columns[h].append(value)
    return columns


def duplicate_rows(vectors: np.ndarray) -> list[tuple[int, int]]:
    """Pairs (first row, later row) of identical vectors, 0-based."""
    _, first, inverse = np.unique(vectors, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    return [(int(first[inverse[i]]), i) for i in range(len(inverse)) if first[inverse[i]] != i]


def validate(vectors: np.ndarray, name: str = "vectors") -> list[str]:
    """Raise `VectorFileError` for unusable vectors; return warnings for usable but suspicious ones."""
    n = vectors.shape[0]
    if n == 0:
        raise VectorFileError(f"{name} is empty: no vectors")
    if n == 1:
        raise VectorFileError(f"{name} holds one item: a map needs at least two")
    if vectors.shape[1] == 0:
        raise VectorFileError(f"{name}: the rows hold no values")
    bad = ~np.isfinite(vectors)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(vectors[row, col]) else "infinite"
        raise VectorFileError(f"{name}, row {row + 1}, column {col + 1} is {what} "
                              f"({int(bad.any(axis=1).sum())} rows have NaN or infinite values)")
    warnings: list[str] = []
    duplicates = duplicate_rows(vectors)
    if duplicates:
        first, later = duplicates[0]
        warnings.append(f"{len(duplicates):,} duplicate rows (row {later + 1} repeats row {first + 1}): "
                        "they sit on the same point")
    zero = int((np.abs(vectors).sum(axis=1) == 0).sum())
    if zero:
        warnings.append(f"{zero:,} all-zero rows: they have no direction, so cosine treats them as unrelated to all")
    return warnings


def load_vector_files(vectors_path: str | Path, metadata_path: str | Path | None = None) -> VectorSet:
    """Read and check a vectors file and its optional metadata."""
    vectors_path = Path(vectors_path)
    if vectors_path.is_dir():  # a folder written by `train-word2vec` (vectors.txt inside)
        from explorer.core.word2vec.files import vectors_in_dir

        found = vectors_in_dir(vectors_path)
        if found is None:
            raise VectorFileError(f"{vectors_path} is a folder without a vectors file (vectors.txt, .tsv, .npy)")
        vectors_path = found
    vectors, file_labels = read_vectors(vectors_path)
    warnings = validate(vectors, vectors_path.name)
    columns: dict[str, list[str]] = {}
    if file_labels is not None:
        columns["label"] = file_labels
    if metadata_path:
        metadata_path = Path(metadata_path)
        meta = parse_metadata_text(_read_text(metadata_path, "no metadata rows"), len(vectors),
                                   metadata_path.name)
        columns.update(meta)
    label_column = next(iter(columns), None)
    labels = columns[label_column] if label_column else [str(i + 1) for i in range(len(vectors))]
    return VectorSet(vectors_path.stem, vectors, list(labels), columns, warnings)


def vectors_from_lines(lines: list[str], what: str = "the text") -> list[str]:
    """The non-empty lines of a text to embed (one item per line), checked."""
    items = [line.strip() for line in lines if line.strip()]
    if not items:
        raise VectorFileError(f"{what} is empty: write one item per line")
    if len(items) == 1:
        raise VectorFileError(f"{what} holds one item: a map needs at least two lines")
    return items


def read_text_items(path: str | Path) -> list[str]:
    """A text file with one item per line (sentences, words) to embed with a model."""
    path = Path(path)
    return vectors_from_lines(_read_text(path, "write one item per line").splitlines(), path.name)
