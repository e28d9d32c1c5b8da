"""The attention pane's seven tabs: each view is built when its tab is first needed, inside a scroll area.

Seven plot-heavy views built at once stalled the first opening of the pane for over a second; a
view that is not built yet keeps the settings a session restored for it until it is.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget

from explorer.ui.attention.maps import HostRuns
from explorer.ui.pane import ExportTarget

TABS = (("heads", "Heads"), ("qkv", "Q·K·V step-through"), ("local", "Local / sparse"),
        ("gqa", "Grouped-query"), ("rope", "RoPE"), ("compare", "Encoder vs decoder"),
        ("forward", "Forward pass && next token"))
# each view's module (in this package) and class
VIEW_CLASSES = {"heads": ("heads", "HeadsView"), "qkv": ("qkv", "QKVView"),
                "local": ("local", "LocalView"), "gqa": ("gqa", "GQAView"),
                "rope": ("rope", "RopeView"), "compare": ("compare", "CompareView"),
                "forward": ("forward", "ForwardView")}
# the height under which a view's plots get too flat to read (see ViewTabs.set_heights)
MIN_HEIGHTS = {"heads": 600, "qkv": 640, "forward": 620, "rope": 640}


class FitScrollArea(QScrollArea):
    """Shows its widget at the viewport's size, never below the widget's minimum height (then it scrolls).

    QScrollArea's own resizing asks word-wrapped labels for their preferred height, which scrolls
    even when everything would fit.
    """

    def __init__(self, widget=None) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidgetResizable(False)
        if widget is not None:
            self.setWidget(widget)

    def fit(self) -> None:
        widget = self.widget()
        if widget is None:
            return
        inner_w = self.width() - 2 * self.frameWidth()
        inner_h = self.height() - 2 * self.frameWidth()
        height = max(inner_h, widget.minimumHeight(), widget.minimumSizeHint().height())
        width = inner_w - (self.verticalScrollBar().sizeHint().width() if height > inner_h else 0)
        widget.resize(width, height)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self.fit()


class ViewTabs(QTabWidget):
    """The tabs; `view(key)` builds a view on first use and hands it to `on_built` to connect its signals."""

    def __init__(self, host: HostRuns, on_built: Callable[[str, QWidget], None]) -> None:
        super().__init__()
        self.host = host  # the views that draw maps ask the model host for them
        self.on_built = on_built
        self.views: dict[str, QWidget] = {}
        self._scrollers: dict[str, FitScrollArea] = {}
        self._view_settings: tuple[float, bool] | None = None  # the presenter's font scale and theme
        self._unbuilt: dict[str, Callable[[QWidget], None]] = {}  # restored settings of views not built yet
        self.setUsesScrollButtons(True)
        for key, text in TABS:
            # large presenter fonts make a view taller than the window: it scrolls instead of squashing
            self._scrollers[key] = FitScrollArea()
            self.addTab(self._scrollers[key], text)

    def _make(self, key: str) -> QWidget:
        module, name = VIEW_CLASSES[key]
        cls = getattr(importlib.import_module(f"explorer.ui.attention.{module}"), name)
        if key in ("heads", "gqa"):
            return cls(self.host["main"])
        if key == "local":
            return cls(self.host["main"], self.host["local"])
        if key == "compare":
            return cls({side: self.host[f"compare.{side}"] for side in ("encoder", "decoder")})
        return cls()

    def view(self, key: str) -> QWidget:
        view = self.views.get(key)
        if view is not None:
            return view
        view = self._make(key)
        self.views[key] = view
        self.on_built(key, view)
        if self._view_settings is not None:
            view.apply_view_settings(*self._view_settings)
        restore = self._unbuilt.pop(key, None)
        if restore is not None:
            restore(view)
        self._scrollers[key].setWidget(view)
        self.set_heights()
        return view

    def when_built(self, key: str, apply: Callable[[QWidget], None]) -> None:
        """Apply a restored setting to a view now, or when it is built."""
        if key in self.views:
            apply(self.views[key])
        else:
            previous = self._unbuilt.get(key)
            self._unbuilt[key] = apply if previous is None else (lambda v, a=previous, b=apply: (a(v), b(v)))

    def current_key(self) -> str:
        return TABS[self.currentIndex()][0]

    def show_key(self, key: str) -> None:
        for i, (k, _) in enumerate(TABS):
            if k == key:
                self.view(k)
                self.setCurrentIndex(i)

    def export_targets(self) -> list[ExportTarget]:
        """What the built views can export, the current tab's first (views never shown have nothing)."""
        current = self.current_key()
        self.view(current)
        makers = {
            "heads": lambda v: [ExportTarget("Attention map", v.heatmap, v.data),
                                ExportTarget("All heads (model view)", v.grid, v.grid.data)],
            "qkv": lambda v: [ExportTarget("Q/K/V step-through", v, v.data)],
            "local": lambda v: [ExportTarget("Local attention", v, v.data)],
            "gqa": lambda v: [ExportTarget("Grouped-query attention", v, v.data)],
            "rope": lambda v: [ExportTarget("RoPE", v, v.data)],
            "compare": lambda v: [ExportTarget("Encoder vs decoder", v, v.data)],
            "forward": lambda v: [ExportTarget("Next token", v, v.data)],
        }
        targets = {key: makers[key](self.views[key]) for key, _ in TABS if key in self.views}
        ordered = targets.pop(current)
        for rest in targets.values():
            ordered += rest
        return ordered

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        self._view_settings = (font_scale, dark)
        for view in self.views.values():
            view.apply_view_settings(font_scale, dark)
        self.set_heights()

    def set_heights(self) -> None:
        """The height under which a view's plots get too flat to read.

        It does not grow with the presenter's font scale: on a 1920x1080 projector a scaled
        minimum (900-960 px) pushed the bottom of the heads, RoPE and next-token views out of
        sight, and nobody scrolls in front of a class. The plots get a little flatter instead;
        the layout's own minimum (every label at the scaled font) still applies in FitScrollArea.
        """
        for key, view in self.views.items():
            view.setMinimumHeight(MIN_HEIGHTS.get(key, 560))
            self._scrollers[key].fit()
