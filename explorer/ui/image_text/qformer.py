"""BLIP-2's Q-Former, drawn: a frozen image encoder, learned queries, a frozen LLM, and three training tasks.

The three tasks differ only in who may attend to whom inside the Q-Former's
shared self-attention; each panel draws that mask (queries Q and text tokens
T; a filled cell means the row's token may look at the column's token).
Click a panel to select its task.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from explorer.ui.image_text.common import Theme, ramp_colour, scaled_font

N_Q, N_T = 4, 4  # tokens drawn in the mask sketches (the real model has 32 queries)

TASKS: dict[str, dict] = {
    "contrastive": {
        "title": "Image-text contrastive (ITC)",
        "mask": "uni-modal: queries and text cannot see each other",
        "text": "Align image and text: the query outputs and the text's [CLS] vector are pulled together for "
                "matching pairs and pushed apart for the others, as in CLIP. Queries and text must not peek at "
                "each other, or the task would be trivial.",
    },
    "matching": {
        "title": "Image-text matching (ITM)",
        "mask": "bi-directional: every token sees every token",
        "text": "A yes/no classifier: does this text describe this image? Queries and text attend to each "
                "other freely, so the query outputs can compare fine details; a linear head on them gives "
                "the match score. Hard negatives (near-misses) make it learn the details.",
    },
    "generation": {
        "title": "Image-grounded text generation (ITG)",
        "mask": "multimodal causal: text sees the queries and earlier words",
        "text": "Write the caption word by word. Text has no direct path to the image: everything it needs "
                "must pass through the queries, which therefore learn to extract what the text needs. Each "
                "word sees all queries and the words before it; the queries never see the text.",
    },
}


def task_mask(task: str) -> np.ndarray:
    """(N_Q + N_T) square boolean mask: row token may attend to column token."""
    n = N_Q + N_T
    mask = np.zeros((n, n), dtype=bool)
    q, t = slice(0, N_Q), slice(N_Q, n)
    mask[q, q] = True
    if task == "contrastive":
        mask[t, t] = True
    elif task == "matching":
        mask[:, :] = True
    elif task == "generation":
        mask[t, q] = True
        mask[t, t] = np.tril(np.ones((N_T, N_T), dtype=bool))
    else:
        raise KeyError(task)
    return mask


class QFormerDiagram(QWidget):
    task_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task = "contrastive"
        self.image: QPixmap | None = None
        self.n_queries = 32
        self.live = False  # True once a real BLIP-2 produced query outputs
        self.theme = Theme()
        self.font_scale = 1.0
        self._panels: dict[str, QRectF] = {}
        self.painted_points: list[float] = []  # point sizes of the text painted last time
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(700, 330)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        return QSize(int(1100 * self.font_scale), int(600 * self.font_scale))

    def set_task(self, task: str) -> None:
        if task not in TASKS:
            raise KeyError(f"unknown task '{task}'; tasks: {', '.join(TASKS)}")
        if task != self.task:
            self.task = task
            self.update()
            self.task_changed.emit(task)

    def set_image(self, pixmap: QPixmap | None) -> None:
        self.image = pixmap
        self.update()

    def set_live(self, live: bool, n_queries: int = 32) -> None:
        self.live, self.n_queries = live, n_queries
        self.update()

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.font_scale = font_scale
        self.theme = Theme(dark)
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt API
        for task, rect in self._panels.items():
            if rect.contains(event.position()):
                self.set_task(task)
                return

    # --- painting ---
    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.theme.background)
        # boxes and lines grow with the font scale as far as the widget has room for them; the text
        # always asks for the full scale (like every other label in presenter mode) and shrinks only
        # where a box is too small for it (see _text)
        s = max(0.6, min(self.font_scale, self.width() / 1000, self.height() / 560))
        f = max(0.6, self.font_scale)
        self.painted_points = []
        W, H = float(self.width()), float(self.height())
        font = scaled_font(self.font(), f, 11.5)
        bold = scaled_font(self.font(), f, 12.0, bold=True)
        fm = QFontMetricsF(font)
        top_h = H * 0.50

        # --- the architecture, left to right ---
        frozen = QColor("#9ecae1") if not self.theme.dark else QColor("#2b5f80")
        trainable = QColor("#fdd0a2") if not self.theme.dark else QColor("#8a5a2b")
        llm_c = QColor("#c7e9c0") if not self.theme.dark else QColor("#3f6f3a")
        margin = 10 * s
        img_w = min(110 * s, top_h * 0.5)
        img_rect = QRectF(margin, top_h * 0.28, img_w, img_w)
        if self.image is not None:
            scaled = self.image.scaled(int(img_w), int(img_w), Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            p.drawPixmap(QPointF(img_rect.x() + (img_w - scaled.width()) / 2,
                                 img_rect.y() + (img_w - scaled.height()) / 2), scaled)
        else:
            p.setPen(QPen(self.theme.grid, 1.5 * s, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(img_rect)
            p.setPen(self.theme.muted)
            self._text(p, img_rect, int(Qt.AlignmentFlag.AlignCenter), "image", font)
        x = img_rect.right() + 22 * s
        enc = QRectF(x, top_h * 0.18, 120 * s, top_h * 0.66)
        self._box(p, enc, frozen, "Image encoder\n(ViT, frozen ❄)", bold)
        self._arrow(p, QPointF(img_rect.right() + 4 * s, img_rect.center().y()), QPointF(enc.left() - 4 * s,
                                                                                          img_rect.center().y()), s)
        # the gaps carry the words between the boxes ("patch features", "query outputs")
        gap = max(70 * s, fm.horizontalAdvance("outputs") + 12 * s)
        llm_w = max(110 * s, W * 0.13)
        qf_w = max(200.0, W - margin - enc.right() - 2 * gap - llm_w)
        qf = QRectF(enc.right() + gap, 6 * s, qf_w, top_h - 12 * s)
        llm = QRectF(qf.right() + gap, top_h * 0.18, max(60.0, W - qf.right() - gap - margin), top_h * 0.66)
        p.setPen(self.theme.muted)
        self._text(p, QRectF(enc.right() + 2 * s, enc.top(), gap - 4 * s, fm.height() * 2.2),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
                   "patch features", font)

        # the Q-Former: two transformers sharing their self-attention layers
        p.setPen(QPen(self.theme.text, 1.5 * s))
        p.setBrush(QColor(trainable.red(), trainable.green(), trainable.blue(), 70))
        p.drawRoundedRect(qf, 10 * s, 10 * s)
        p.setPen(self.theme.text)
        bold_h = QFontMetricsF(bold).height()
        self._text(p, QRectF(qf.x(), qf.y() + 4 * s, qf.width(), bold_h * 1.2), int(Qt.AlignmentFlag.AlignCenter),
                   "Q-Former (trained)", bold)
        col_w = (qf.width() - 30 * s) / 2
        top = qf.y() + bold_h * 1.3 + 6 * s
        row_h = (qf.bottom() - top - 8 * s) / 4
        left_x, right_x = qf.x() + 10 * s, qf.x() + 20 * s + col_w

        def cell(column: int, row: int, span: int = 1) -> QRectF:
            x = left_x if column == 0 else right_x
            width = col_w if span == 1 else right_x + col_w - left_x
            return QRectF(x, top + row * row_h + 3 * s, width, row_h - 6 * s)

        self._box(p, cell(0, 0), trainable, "Feed forward", font)
        self._box(p, cell(1, 0), trainable, "Feed forward", font)
        self._box(p, cell(0, 1), trainable, "Cross-attention to the image", font)
        self._box(p, cell(0, 2, span=2), trainable, "Self-attention (the same weights for queries and text)", font)
        self._box(p, cell(0, 3), trainable, f"{self.n_queries} learned queries", font)
        self._box(p, cell(1, 3), trainable, "Text tokens", font)
        p.setPen(self.theme.muted)
        self._text(p, cell(1, 1), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                   "(text never sees the image directly)", font)
        # image features feed the cross-attention; the encoder's arrow ends there
        cross_y = cell(0, 1).center().y()
        self._arrow(p, QPointF(enc.right() + 4 * s, cross_y), QPointF(left_x - 2 * s, cross_y), s)

        # query outputs -> projection -> frozen LLM
        self._box(p, llm, llm_c, "LLM\n(frozen ❄)\nwrites the text", bold)
        out_y = cell(0, 0).center().y()
        self._arrow(p, QPointF(qf.right() + 4 * s, out_y), QPointF(llm.left() - 4 * s, out_y), s)
        p.setPen(self.theme.muted)
        self._text(p, QRectF(qf.right() + 2 * s, out_y + 4 * s, gap - 4 * s, qf.bottom() - out_y - 4 * s),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap),
                   f"{self.n_queries} query outputs = soft tokens", font)

        # --- the three tasks ---
        self._panels = {}
        panel_top = top_h + 10 * s
        panel_w = (W - 4 * margin) / 3
        for k, task in enumerate(TASKS):
            rect = QRectF(margin + k * (panel_w + margin), panel_top, panel_w, H - panel_top - margin)
            self._panels[task] = rect
            self._task_panel(p, rect, task, s, f, font, bold)
        p.end()

    def _text(self, p: QPainter, rect: QRectF, flags: int, text: str, font: QFont, least: float = 0.7) -> None:
        """Draw `text` in `rect` at `font`, a little smaller (down to `least` of it) where it would not fit.

        Records the point size used in `painted_points` (tests check the text follows the font scale).
        """
        fitted = QFont(font)
        wanted = font.pointSizeF()
        size = wanted
        while True:
            fitted.setPointSizeF(size)
            p.setFont(fitted)
            needed = p.boundingRect(rect, flags, text)
            if (needed.height() <= rect.height() + 0.5 and needed.width() <= rect.width() + 0.5) \
                    or size <= wanted * least:
                break
            size = max(wanted * least, size * 0.93)
        p.drawText(rect, flags, text)
        self.painted_points.append(size)

    def _task_panel(self, p: QPainter, rect: QRectF, task: str, s: float, f: float, font, bold) -> None:
        info = TASKS[task]
        selected = task == self.task
        p.setPen(QPen(self.theme.accent if selected else self.theme.grid, (3.0 if selected else 1.2) * s))
        p.setBrush(self.theme.panel)
        p.drawRoundedRect(rect, 8 * s, 8 * s)
        fm = QFontMetricsF(font)
        p.setPen(self.theme.text)
        bold_fm = QFontMetricsF(bold)
        lines = 1 if bold_fm.horizontalAdvance(info["title"]) <= rect.width() - 16 * s else 2
        title_rect = QRectF(rect.x() + 8 * s, rect.y() + 6 * s, rect.width() - 16 * s, bold_fm.height() * lines + 2)
        self._text(p, title_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                                      | Qt.TextFlag.TextWordWrap), info["title"], bold)
        # the mask grid; its Q1..T4 labels one step smaller than the text, never below the scaled base
        n = N_Q + N_T
        small_font = scaled_font(self.font(), f, 10.5)
        small = QFontMetricsF(small_font)
        label_w = small.horizontalAdvance("T4") + 6 * s
        avail_h = rect.height() - fm.height() * 3.4 - 16 * s
        cell = max(6.0, min((rect.width() * 0.36 - label_w) / n, avail_h / (n + 1)))
        gx, gy = rect.x() + 10 * s + label_w, title_rect.bottom() + small.height() + 8 * s
        mask = task_mask(task)
        names = [f"Q{i + 1}" for i in range(N_Q)] + [f"T{i + 1}" for i in range(N_T)]
        p.setFont(small_font)
        self.painted_points.append(small_font.pointSizeF())
        show_top = cell >= small.horizontalAdvance("Q4") + 2
        for i in range(n):
            p.setPen(self.theme.text)
            p.drawText(QRectF(gx - label_w, gy + i * cell, label_w - 3 * s, cell),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), names[i])
            p.drawText(QRectF(gx + i * cell, gy - small.height() - 2 * s, cell, small.height()),
                       int(Qt.AlignmentFlag.AlignCenter), names[i] if show_top else "")
            for j in range(n):
                r = QRectF(gx + j * cell, gy + i * cell, cell - 1, cell - 1)
                colour = (QColor("#e8590c") if i < N_Q and j < N_Q else QColor("#2171b5")) if mask[i, j] else \
                    self.theme.background
                p.fillRect(r, colour)
        p.setPen(QPen(self.theme.text, 1.5 * s))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(QRectF(gx, gy, n * cell, n * cell))
        p.drawLine(QPointF(gx + N_Q * cell, gy), QPointF(gx + N_Q * cell, gy + n * cell))
        p.drawLine(QPointF(gx, gy + N_Q * cell), QPointF(gx + n * cell, gy + N_Q * cell))
        # the explanation beside the grid
        tx = gx + n * cell + 10 * s
        text_rect = QRectF(tx, gy - small.height(), rect.right() - tx - 8 * s, n * cell + small.height() + 2 * s)
        p.setPen(self.theme.text)
        self._text(p, text_rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                                     | Qt.TextFlag.TextWordWrap), info["text"], scaled_font(self.font(), f, 11.0))
        p.setPen(self.theme.muted)
        self._text(p, QRectF(rect.x() + 8 * s, gy + n * cell + 4 * s, rect.width() - 16 * s,
                             rect.bottom() - gy - n * cell - 6 * s),
                   int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap),
                   info["mask"] + ". Filled: row may attend to column.", font)

    def _box(self, p: QPainter, rect: QRectF, colour: QColor, text: str, font) -> None:
        p.setPen(QPen(self.theme.text, 1.2 * self.font_scale))
        p.setBrush(colour)
        p.drawRoundedRect(rect, 6 * self.font_scale, 6 * self.font_scale)
        p.setPen(QColor("#111111") if not self.theme.dark else QColor("#f0f0f0"))
        self._text(p, rect.adjusted(4, 2, -4, -2), int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                   text, font)

    def _arrow(self, p: QPainter, a: QPointF, b: QPointF, s: float, draw_head: bool = True) -> None:
        p.setPen(QPen(self.theme.text, 2.0 * s))
        p.drawLine(a, b)
        if not draw_head:
            return
        direction = np.array([b.x() - a.x(), b.y() - a.y()], dtype=float)
        length = float(np.hypot(*direction)) or 1.0
        d = direction / length
        normal = np.array([-d[1], d[0]])
        size = 8 * s
        tip = np.array([b.x(), b.y()])
        left = tip - d * size + normal * size * 0.5
        right = tip - d * size - normal * size * 0.5
        path = QPainterPath()
        path.addPolygon(QPolygonF([QPointF(*tip), QPointF(*left), QPointF(*right)]))
        p.fillPath(path, self.theme.text)


class CrossAttentionImage(QWidget):
    """One query's cross-attention over the image patches, drawn over the image."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QPixmap | None = None
        self.weights: np.ndarray | None = None
        self.caption = ""
        self.theme = Theme()
        self.font_scale = 1.0
        self.setMinimumSize(220, 240)

    def set_data(self, image: QPixmap | None, weights: np.ndarray | None, caption: str) -> None:
        self.image, self.weights, self.caption = image, weights, caption
        self.update()

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.font_scale, self.theme = font_scale, Theme(dark)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), self.theme.background)
        font = scaled_font(self.font(), self.font_scale, 11.0)
        fm = QFontMetricsF(font)
        side = min(self.width(), self.height() - fm.height() * 2.4) - 4
        area = QRectF((self.width() - side) / 2, 2, side, side)
        if self.image is not None:
            scaled = self.image.scaled(int(side), int(side), Qt.AspectRatioMode.IgnoreAspectRatio,
                                       Qt.TransformationMode.SmoothTransformation)
            p.drawPixmap(area.topLeft(), scaled)
        if self.weights is not None and self.weights.size:
            w = self.weights / max(float(self.weights.max()), 1e-9)
            gh, gw = w.shape
            for i in range(gh):
                for j in range(gw):
                    c = ramp_colour(float(w[i, j]))
                    c.setAlpha(int(40 + 170 * float(w[i, j])))
                    p.fillRect(QRectF(area.x() + j * side / gw, area.y() + i * side / gh, side / gw + 0.5,
                                      side / gh + 0.5), c)
        p.setFont(font)
        p.setPen(self.theme.text)
        p.drawText(QRectF(0, area.bottom() + 4, self.width(), fm.height() * 2.2),
                   int(Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap), self.caption)
        p.end()
