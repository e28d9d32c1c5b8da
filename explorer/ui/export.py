"""Export what a pane shows: the plot as PNG (2x) or SVG, the data behind it as CSV or NPY, or the clipboard."""
from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from PySide6.QtCore import QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

from explorer import APP_NAME
from explorer.core.atomic_write import write_atomically
from explorer.ui.pane import ExportTarget

PNG_SCALE = 2.0
FORMATS = {"png": "PNG image, 2x resolution (*.png)", "svg": "SVG drawing (*.svg)",
           "csv": "CSV table (*.csv)", "npy": "NumPy array (*.npy)"}
ROWS_KEY, COLUMNS_KEY = "__rows__", "__columns__"


class ExportError(Exception):
    """Something the user can fix (no data, a file that cannot be written); str() is the message."""


# --- pictures ---
def render_image(widget: QWidget, scale: float = PNG_SCALE) -> QImage:
    """The widget painted at `scale` x its size (text and lines re-rendered, not upscaled pixels)."""
    size = widget.size()
    if size.isEmpty():
        raise ExportError("The plot is not visible yet, so there is nothing to export.")
    image = QImage(QSize(math.ceil(size.width() * scale), math.ceil(size.height() * scale)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(scale)
    image.fill(widget.palette().window().color())
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        widget.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    return image


def export_png(widget: QWidget, path: str | os.PathLike, scale: float = PNG_SCALE) -> Path:
    path = Path(path)
    image = render_image(widget, scale)
    _write_atomically(path, lambda tmp: image.save(str(tmp), "PNG"))
    return path


def export_svg(widget: QWidget, path: str | os.PathLike, title: str = "") -> Path:
    """Vector drawing of the widget: text stays text, lines stay lines."""
    path = Path(path)
    size = widget.size()
    if size.isEmpty():
        raise ExportError("The plot is not visible yet, so there is nothing to export.")

    def write(tmp: Path) -> bool:
        generator = QSvgGenerator()
        generator.setFileName(str(tmp))
        generator.setSize(size)
        generator.setViewBox(QRect(0, 0, size.width(), size.height()))
        generator.setTitle(title or APP_NAME)
        generator.setDescription(f"Exported from {APP_NAME}")
        painter = QPainter()
        if not painter.begin(generator):
            return False
        try:
            widget.render(painter, QPoint(0, 0))
        finally:
            ended = painter.end()
        return ended

    _write_atomically(path, write)
    return path


def copy_to_clipboard(widget: QWidget) -> QImage:
    image = render_image(widget, PNG_SCALE)
    QGuiApplication.clipboard().setImage(image)
    return image


# --- data ---
def table_items(target: ExportTarget) -> tuple[dict[str, Any], list[str] | None, list[str] | None]:
    """The named arrays / tables behind a plot, and optional row and column labels."""
    if target.data is None:
        raise ExportError(f"'{target.name}' is a picture only: it has no data to export.")
    data = target.data()
    if not isinstance(data, dict):
        raise ExportError(f"'{target.name}' returned no data.")
    rows = _labels(data.get(ROWS_KEY))
    columns = _labels(data.get(COLUMNS_KEY))
    items = {str(k): v for k, v in data.items() if k not in (ROWS_KEY, COLUMNS_KEY) and v is not None}
    if not items:
        raise ExportError(f"'{target.name}' has no data yet: wait until the plot is drawn.")
    return items, rows, columns


def export_data(target: ExportTarget, path: str | os.PathLike, fmt: str) -> list[Path]:
    """Write CSV or NPY. One array -> `path`; several -> `path` with `-name` before the suffix."""
    if fmt not in ("csv", "npy"):
        raise ExportError(f"Data can be exported as CSV or NPY, not {fmt}.")
    path = Path(path)
    items, rows, columns = table_items(target)
    written: list[Path] = []
    for name, value in items.items():
        out = path if len(items) == 1 else path.with_name(f"{path.stem}-{_safe_name(name)}{path.suffix}")
        if fmt == "csv":
            text = to_csv(value, rows, columns)
            _write_atomically(out, lambda tmp, t=text: tmp.write_text(t, encoding="utf-8") >= 0)
        else:
            array = to_array(value, name)
            _write_atomically(out, lambda tmp, a=array: _save_npy(tmp, a))
        written.append(out)
    return written


def to_array(value: Any, name: str = "data") -> np.ndarray:
    """A plain (non-object) array: NPY files are read back without pickle."""
    import numpy as np

    try:
        array = np.asarray(value)
    except ValueError:  # ragged rows
        array = np.empty(0, dtype=object)
    if array.dtype == object:
        raise ExportError(f"'{name}' is a table of mixed rows: export it as CSV instead of NPY.")
    return array


def to_csv(value: Any, rows: Sequence[str] | None = None, columns: Sequence[str] | None = None) -> str:
    """1-D -> one column, 2-D -> a grid (with labels when their lengths match), N-D -> one row per cell."""
    import numpy as np

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    table = _as_rows(value)
    if table is not None:
        header, body = table
        if columns and header is None and body and len(columns) == len(body[0]):
            header = list(columns)
        if rows and len(rows) == len(body):
            if header is not None:
                header = ["", *header]
            body = [[label, *row] for label, row in zip(rows, body)]
        if header is not None:
            writer.writerow(header)
        writer.writerows(body)
        return buffer.getvalue()
    array = np.asarray(value)
    if array.ndim == 0:
        writer.writerow(["value"])
        writer.writerow([_cell(array.item())])
    elif array.ndim == 1:
        writer.writerow(["", "value"] if rows and len(rows) == len(array) else ["value"])
        for i, item in enumerate(array.tolist()):
            writer.writerow([rows[i], _cell(item)] if rows and len(rows) == len(array) else [_cell(item)])
    elif array.ndim == 2:
        header = list(columns) if columns and len(columns) == array.shape[1] else \
            [f"column {j}" for j in range(array.shape[1])]
        with_rows = bool(rows) and len(rows) == array.shape[0]
        writer.writerow(["", *header] if with_rows else header)
        for i, row in enumerate(array.tolist()):
            cells = [_cell(c) for c in row]
            writer.writerow([rows[i], *cells] if with_rows else cells)
    else:
        # e.g. attention weights [layer, head, query, key]: one line per cell with its indices
        writer.writerow([f"axis {k}" for k in range(array.ndim)] + ["value"])
        for index in np.ndindex(array.shape):
            writer.writerow([*index, _cell(array[index].item())])
    return buffer.getvalue()


def _as_rows(value: Any) -> tuple[list | None, list[list]] | None:
    """A list of rows (lists / tuples / dicts) that is not a plain numeric grid; None otherwise."""
    if not isinstance(value, (list, tuple)) or not value:
        return None
    first = value[0]
    if isinstance(first, dict):
        header = list(first)
        return header, [[_cell(row.get(k)) if isinstance(row, dict) else "" for k in header] for row in value]
    if isinstance(first, (list, tuple)):
        flat = [c for row in value for c in (row if isinstance(row, (list, tuple)) else [row])]
        if all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in flat):
            return None  # numeric grid: numpy path, with "column j" headers
        return None, [[_cell(c) for c in (row if isinstance(row, (list, tuple)) else [row])] for row in value]
    if all(isinstance(c, str) for c in value):
        return ["value"], [[c] for c in value]
    return None


def _cell(value: Any) -> Any:
    import numpy as np

    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, (np.floating,)):
        return repr(float(value))
    return value


def _labels(value: Any) -> list[str] | None:
    if value is None:
        return None
    try:
        return [str(v) for v in list(value)]
    except TypeError:
        return None


def _safe_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in name).strip("-")
    return cleaned or "data"


def _save_npy(tmp: Path, array: np.ndarray) -> bool:
    import numpy as np

    with open(tmp, "wb") as fh:
        np.save(fh, array, allow_pickle=False)
    return True


def _write_atomically(path: Path, write) -> None:  # noqa: ANN001 - write(tmp_path) -> bool
    """Never a half-written export: through a temporary file in the same folder, then a rename."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"The folder {folder} does not exist.")
    try:
        write_atomically(path, write)
    except OSError as exc:
        raise ExportError(f"Could not write {path}: {exc.strerror or exc}.") from None


def default_file_name(pane_id: str, target_name: str, fmt: str) -> str:
    return f"{_safe_name(pane_id)}-{_safe_name(target_name.lower())}.{fmt}"

