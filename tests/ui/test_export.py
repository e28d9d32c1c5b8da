"""Export: plots as PNG at 2x and SVG, the numbers behind them as CSV / NPY, and the clipboard."""
from __future__ import annotations

import csv
import io
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from explorer.ui import export
from explorer.ui.pane import ExportTarget
from tests.conftest import wait_for_jobs


@pytest.fixture
def plot(qtbot):
    """A small widget standing in for a plot: a title and a painted line of text."""
    widget = QWidget()
    layout = QVBoxLayout(widget)
    layout.addWidget(QLabel("Attention of 'it'"))
    layout.addWidget(QLabel("Sarah fed the cat"))
    widget.resize(400, 200)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_png_is_rendered_at_twice_the_widgets_size(plot, tmp_path):
    path = export.export_png(plot, tmp_path / "plot.png")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask, "an ordinary file others may open, not a private temp"
    image = QImage(str(path))
    assert (image.width(), image.height()) == (800, 400)
    # re-rendered, not blank: dark text pixels on the light background
    grey = np.array([[QImage.pixelColor(image, x, y).lightness() for x in range(0, 800, 4)] for y in range(0, 400, 4)])
    assert grey.min() < 80 and grey.max() > 200


def test_svg_keeps_text_as_text(plot, tmp_path):
    path = export.export_svg(plot, tmp_path / "plot.svg", "Attention")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text(encoding="utf-8")
    assert "Sarah fed the cat" in text and "<title>Attention</title>" in text


def test_copy_to_clipboard_puts_the_2x_image_there(plot):
    export.copy_to_clipboard(plot)
    image = QGuiApplication.clipboard().image()
    assert (image.width(), image.height()) == (800, 400)


def test_a_matrix_with_labels_becomes_a_labelled_csv_and_an_npy(plot, tmp_path):
    weights = np.array([[1.0, 0.0], [0.25, 0.75]], dtype=np.float32)
    target = ExportTarget("Attention", plot, lambda: {"weights": weights, "__rows__": ["Sarah", "it"],
                                                      "__columns__": ["Sarah", "it"]})
    [csv_path] = export.export_data(target, tmp_path / "attention.csv", "csv")
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert rows[0] == ["", "Sarah", "it"]
    assert rows[2][0] == "it" and float(rows[2][2]) == pytest.approx(0.75)
    [npy_path] = export.export_data(target, tmp_path / "attention.npy", "npy")
    assert np.array_equal(np.load(npy_path, allow_pickle=False), weights)


def test_several_arrays_go_to_one_file_each(plot, tmp_path):
    target = ExportTarget("Scatter", plot, lambda: {"points": np.zeros((3, 2)), "word ids": np.arange(3)})
    written = export.export_data(target, tmp_path / "scatter.npy", "npy")
    assert sorted(p.name for p in written) == ["scatter-points.npy", "scatter-word-ids.npy"]


def test_a_four_dimensional_array_becomes_one_csv_line_per_cell(plot, tmp_path):
    weights = np.arange(2 * 3 * 2 * 2, dtype=float).reshape(2, 3, 2, 2)  # layer, head, query, key
    target = ExportTarget("All heads", plot, lambda: {"attention": weights})
    [path] = export.export_data(target, tmp_path / "heads.csv", "csv")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == ["axis 0", "axis 1", "axis 2", "axis 3", "value"]
    assert len(rows) == 1 + weights.size
    assert rows[-1] == ["1", "2", "1", "1", repr(float(weights[1, 2, 1, 1]))]


def test_a_table_of_mixed_rows_exports_as_csv_but_not_npy(plot, tmp_path):
    rows = [{"token": "Sarah", "id": 1, "probability": 0.5}, {"token": "it", "id": 2, "probability": 0.25}]
    target = ExportTarget("Tokens", plot, lambda: {"tokens": rows})
    [path] = export.export_data(target, tmp_path / "tokens.csv", "csv")
    assert path.read_text(encoding="utf-8").splitlines()[:2] == ["token,id,probability", "Sarah,1,0.5"]
    ragged = ExportTarget("Ragged", plot, lambda: {"rows": [[1, 2], ["a"]]})
    with pytest.raises(export.ExportError, match="CSV instead"):
        export.export_data(ragged, tmp_path / "ragged.npy", "npy")


def test_a_picture_only_target_or_an_empty_one_explains_itself(plot, tmp_path):
    with pytest.raises(export.ExportError, match="picture only"):
        export.export_data(ExportTarget("Image", plot), tmp_path / "x.csv", "csv")
    with pytest.raises(export.ExportError, match="no data yet"):
        export.export_data(ExportTarget("Empty", plot, lambda: {"weights": None}), tmp_path / "x.csv", "csv")
    with pytest.raises(export.ExportError, match="does not exist"):
        export.export_png(plot, tmp_path / "missing-folder" / "x.png")
    assert not list(tmp_path.iterdir()), "a failed export leaves no file behind"


def test_a_pane_with_nothing_to_export_says_so(main_window, monkeypatch, tmp_path):
    pane = main_window.show_pane("tokenizers")
    monkeypatch.setattr(type(pane), "export_targets", lambda self: [])
    assert main_window.export_current("png", tmp_path / "x.png") == []
    assert "nothing" in main_window.last_message.lower() or "no plot" in main_window.last_message
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow  # each pane computes its first example with its real model
def test_every_panes_plots_export_from_the_file_menu(main_window, qtbot, tmp_path):
    """Each pane, after its first example: every export target as PNG (2x), SVG and, with data, CSV and NPY."""
    exported = []
    for pane_id in main_window.pane_ids():
        pane = main_window.show_pane(pane_id)
        if pane.presets():
            pane.apply_preset(pane.presets()[0])
        wait_for_jobs(qtbot, main_window.engine, timeout=600_000)
        qtbot.waitUntil(lambda p=pane: not p.is_busy(), timeout=600_000)
        for target in pane.export_targets():
            if not target.widget.isVisible():
                continue
            base = tmp_path / f"{pane_id}-{export._safe_name(target.name)}"
            [png] = main_window.export_current("png", base.with_suffix(".png"), target.name)
            image = QImage(str(png))
            assert image.width() == 2 * target.widget.width(), f"{pane_id}/{target.name}: not 2x"
            [svg] = main_window.export_current("svg", base.with_suffix(".svg"), target.name)
            assert ET.parse(svg).getroot().tag.endswith("svg")
            if target.data is not None:
                for fmt in ("csv", "npy"):
                    written = main_window.export_current(fmt, base.with_suffix(f".{fmt}"), target.name)
                    if not written:
                        assert fmt == "npy" and "CSV instead" in main_window.last_message, main_window.last_message
                    for path in written:
                        assert path.stat().st_size > 0
            exported.append(f"{pane_id}/{target.name}")
    # every pane has a plot or table to export once its first example is shown
    assert {name.split("/")[0] for name in exported} == set(main_window.pane_ids()), exported
