"""The grouped-query attention tab: which query heads share a key/value head, and what that saves."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QSizePolicy, QSpinBox,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from explorer.core.attention import thumbnail_size
from explorer.core.model_anatomy import Dimensions, gqa_groups, human_bytes, kv_cache_sizes
from explorer.ui.attention.common import FullTable, caption, quiet_set
from explorer.ui.attention.grid import HeadGrid, group_colour
from explorer.ui.attention.maps import HostMaps


class SharingDiagram(QWidget):
    """Query heads (top row) joined to the key/value head they read (bottom row), for MHA, GQA and MQA."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dims: Dimensions | None = None
        self.font_scale = 1.0
        self.dark = False
        self.setMinimumHeight(230)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_dimensions(self, dims: Dimensions) -> None:
        self.dims = dims
        self.update()

    def panels(self) -> list[tuple[str, int]]:
        d = self.dims
        return [("Multi-head (MHA)", d.num_heads), (f"Grouped-query (GQA): this model", d.num_kv_heads),
                ("Multi-query (MQA)", 1)]

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self.dims is None:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fg = QColor("#e8e8e8") if self.dark else QColor("#202020")
        font = QFont(self.font())
        font.setPixelSize(int(14 * self.font_scale))
        p.setFont(font)
        heads = self.dims.num_heads
        panels = self.panels()
        width = self.width() / len(panels)
        h = self.height()
        for index, (title, kv) in enumerate(panels):
            if heads % kv:
                continue
            x0 = index * width + 10
            w = width - 20
            p.setPen(fg)
            bold = QFont(font)
            bold.setBold(True)
            p.setFont(bold)
            p.drawText(QRectF(x0, 0, w, 24 * self.font_scale), Qt.AlignmentFlag.AlignCenter, title)
            p.setFont(font)
            top, bottom = 40 * self.font_scale, h - 60 * self.font_scale
            box = min(w / heads * 0.8, 36 * self.font_scale)
            groups = gqa_groups(heads, kv)
            q_pos = [x0 + (i + 0.5) * w / heads for i in range(heads)]
            kv_pos = [x0 + (g + 0.5) * w / kv for g in range(kv)]
            for g, members in enumerate(groups):
                colour = group_colour(g) if kv > 1 else QColor("#4363d8")
                if kv == heads:
                    colour = group_colour(g % 12)
                for qh in members:
                    p.setPen(QPen(colour, 2 * self.font_scale))
                    p.drawLine(QPointF(q_pos[qh], top + box), QPointF(kv_pos[g], bottom))
            for qh in range(heads):
                g = qh // (heads // kv)
                colour = group_colour(g) if kv > 1 else QColor("#4363d8")
                p.setPen(QPen(fg, 1))
                p.setBrush(colour.lighter(150))
                p.drawRect(QRectF(q_pos[qh] - box / 2, top, box, box))
                p.setPen(fg)
                p.drawText(QRectF(q_pos[qh] - box / 2, top, box, box), Qt.AlignmentFlag.AlignCenter, f"Q{qh}")
            kbox = box * 1.3
            for g in range(kv):
                colour = group_colour(g) if kv > 1 else QColor("#4363d8")
                p.setPen(QPen(fg, 1))
                p.setBrush(colour)
                p.drawRect(QRectF(kv_pos[g] - kbox / 2, bottom, kbox, box))
                p.setPen(QColor("white"))
                p.drawText(QRectF(kv_pos[g] - kbox / 2, bottom, kbox, box), Qt.AlignmentFlag.AlignCenter, f"KV{g}")
            per_token = 2 * self.dims.num_layers * kv * self.dims.head_dim * 2
            p.setPen(fg)
            p.drawText(QRectF(x0, bottom + box + 4, w, 24 * self.font_scale), Qt.AlignmentFlag.AlignCenter,
                       f"{kv} key/value head{'s' if kv > 1 else ''}: {human_bytes(per_token)} cache per token")
        p.end()


class GQAView(QWidget):
    head_chosen = Signal(int, int)

    def __init__(self, maps: HostMaps | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.maps = maps  # the main run's maps in the model host: this layer's thumbnails at this view's size
        self.dims: Dimensions | None = None
        self.num_tokens = 0
        self.layer = 0
        self.intro = caption()
        self.diagram = SharingDiagram()
        self.table = FullTable(0, 5)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
        self.layer_spin = QSpinBox(minimum=0)
        self.layer_spin.valueChanged.connect(lambda v: self.head_chosen.emit(v, 0))
        self.grid = HeadGrid()
        self.grid.head_clicked.connect(self.head_chosen)
        self.grid_caption = caption()
        row = QHBoxLayout()
        row.addWidget(QLabel("Layer"))
        row.addWidget(self.layer_spin)
        row.addWidget(self.grid_caption, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.intro)
        layout.addWidget(self.diagram, 3)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(self.grid, 2)

    def set_model(self, dims: Dimensions, title: str, num_tokens: int, thumbs, layer: int) -> None:
        self.dims = dims
        self.num_tokens = num_tokens
        self.diagram.set_dimensions(dims)
        shared = dims.num_kv_heads != dims.num_heads
        self.intro.setText(
            f"<b>{title}</b>: {dims.num_layers} layers, {dims.num_heads} query heads of size {dims.head_dim}, "
            f"<b>{dims.num_kv_heads} key/value head{'s' if dims.num_kv_heads > 1 else ''}</b>. "
            + (f"Each group of {dims.group_size} query heads (same colour) reads the same keys and values, so "
               "the cache that keeps keys and values of past tokens is "
               f"{dims.num_heads // dims.num_kv_heads}× smaller than with one per head."
               if shared else "Every query head has its own keys and values (classic multi-head attention)."))
        self._fill_table()
        quiet_set(self.layer_spin, min(layer, dims.num_layers - 1), dims.num_layers - 1)
        self.thumbs = thumbs
        self.set_layer(layer)

    def set_layer(self, layer: int) -> None:
        if self.dims is None:
            return
        self.layer = min(layer, self.dims.num_layers - 1)
        quiet_set(self.layer_spin, self.layer)
        thumbs = self.thumbs[self.layer:self.layer + 1]  # the model view's (small) until this size's come
        if self.maps is not None:
            ratio = self.grid.devicePixelRatioF()
            size = thumbnail_size((int(self.grid.width() * ratio), int(self.grid.height() * ratio)), 1,
                                  self.dims.num_heads, largest=160)
            sharper = self.maps.thumbs(self.layer, size, lambda: self.set_layer(self.layer))
            thumbs = thumbs if sharper is None else sharper
        self.grid.set_thumbnails(thumbs, self.dims.num_kv_heads)
        self.grid.left_axis.set_labels([str(self.layer)])
        self.grid_caption.setText(f"Layer {self.layer}'s heads for this text; the coloured bar above a head "
                                  "names the key/value head it shares. Same keys, different queries, so the "
                                  "maps still differ. Colours: dark purple = 0, yellow = each map's largest "
                                  "attention weight.")

    def _fill_table(self) -> None:
        dims = self.dims
        rows = [r for r in kv_cache_sizes(dims, bytes_per_value=2)
                if not (r.name == "GQA" and r.kv_heads in (1, dims.num_heads))]
        lengths = [max(1, self.num_tokens), 4096]
        if dims.context and dims.context > 4096:
            lengths.append(dims.context)
        headers = ["attention", "key/value heads", "cache per token (fp16)"] + \
                  [f"{n:,} tokens" + (" (this text)" if i == 0 else " (context)" if i == 2 else "")
                   for i, n in enumerate(lengths)]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(rows))
        for r, size in enumerate(rows):
            label = {"MHA": "multi-head", "GQA": "grouped-query", "MQA": "multi-query"}[size.name]
            if size.kv_heads == dims.num_kv_heads:
                label += " (this model)"
            cells = [f"{size.name}: {label}", str(size.kv_heads), human_bytes(size.bytes_per_token)] + \
                [human_bytes(size.for_tokens(n)) for n in lengths]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if size.kv_heads == dims.num_kv_heads:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(r, c, item)

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self.diagram.font_scale = font_scale
        self.diagram.dark = dark
        self.diagram.update()
        self.grid.apply_view_settings(font_scale, dark)

    def data(self) -> dict:
        if self.dims is None:
            return {}
        return {"kv_cache": [{"attention": s.name, "kv_heads": s.kv_heads, "bytes_per_token_fp16": s.bytes_per_token}
                             for s in kv_cache_sizes(self.dims)]}
