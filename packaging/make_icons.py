"""Render packaging/icons/llm-explorer.svg into the PNG / ICO / ICNS files the installers use.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

Qt renders the SVG (QtSvg), Pillow writes the multi-size .ico and .icns. The
generated files are small and committed, so a build needs neither step.
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "packaging" / "icons" / "llm-explorer.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)


def render(size: int):
    from PIL import Image
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {SOURCE}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data))).convert("RGBA")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - Qt needs it
    images = {size: render(size) for size in SIZES}
    out = SOURCE.parent
    images[256].save(out / "llm-explorer.png")
    images[256].save(out / "llm-explorer.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    images[1024].save(out / "llm-explorer.icns")
    # the window icon the app itself shows (title bar, task bar)
    runtime = ROOT / "resources" / "icons"
    runtime.mkdir(parents=True, exist_ok=True)
    images[256].save(runtime / "llm-explorer.png")
    images[64].save(runtime / "llm-explorer-64.png")
    for path in sorted(list(out.glob("llm-explorer.*")) + list(runtime.glob("*.png"))):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
