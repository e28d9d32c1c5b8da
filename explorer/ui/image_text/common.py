"""Small helpers shared by the Images & text widgets: image conversion, colours, fonts."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QFont, QImage, QPixmap

# light -> dark blue: black text on the light end, white text on the dark end
_COSINE_STOPS = np.array([
    [0.00, 247, 251, 255],
    [0.25, 198, 219, 239],
    [0.50, 107, 174, 214],
    [0.75, 33, 113, 181],
    [1.00, 8, 48, 107],
], dtype=np.float64)


def ramp_colour(t: float) -> QColor:
    """t in [0, 1] -> a colour on the white-to-navy ramp used by every matrix and bar here."""
    t = float(np.clip(t, 0.0, 1.0)) if np.isfinite(t) else 0.0
    stops = _COSINE_STOPS
    i = int(np.searchsorted(stops[:, 0], t, side="right")) - 1
    i = max(0, min(len(stops) - 2, i))
    a, b = stops[i], stops[i + 1]
    f = (t - a[0]) / (b[0] - a[0])
    rgb = a[1:] + f * (b[1:] - a[1:])
    return QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]))


def text_colour_on(background: QColor) -> QColor:
    luminance = 0.299 * background.red() + 0.587 * background.green() + 0.114 * background.blue()
    return QColor("#000000") if luminance > 140 else QColor("#ffffff")


def pil_to_qimage(image) -> QImage:
    """A PIL image (any mode) -> a QImage that owns its pixels (safe to build on the worker thread)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    return array_to_qimage(np.asarray(rgb))


def array_to_qimage(pixels: np.ndarray) -> QImage:
    pixels = np.ascontiguousarray(pixels[..., :3], dtype=np.uint8)
    h, w = pixels.shape[:2]
    return QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def thumbnail_pixmap(image, side: int = 128) -> QPixmap:
    """A PIL image or a QImage -> a pixmap that fits side x side (GUI thread only)."""
    qimage = image if isinstance(image, QImage) else pil_to_qimage(image)
    pixmap = QPixmap.fromImage(qimage)
    if max(pixmap.width(), pixmap.height()) > side:
        from PySide6.QtCore import Qt

        pixmap = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
    return pixmap


def scaled_font(base: QFont, font_scale: float, point_size: float = 12.0, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPointSizeF(point_size * font_scale)
    font.setBold(bold)
    return font


class Theme:
    """Colours for painted widgets, light or dark."""

    def __init__(self, dark: bool = False) -> None:
        self.dark = dark
        self.background = QColor("#1e1e1e") if dark else QColor("#ffffff")
        self.text = QColor("#eeeeee") if dark else QColor("#1a1a1a")
        self.muted = QColor("#aaaaaa") if dark else QColor("#555555")
        self.grid = QColor("#444444") if dark else QColor("#d0d0d0")
        self.accent = QColor("#ff9f0a") if dark else QColor("#d9480f")
        self.bar = QColor("#4c9be8") if dark else QColor("#2171b5")
        self.bar_best = QColor("#ff9f0a") if dark else QColor("#e8590c")
        self.panel = QColor("#2a2a2a") if dark else QColor("#f4f6f8")
