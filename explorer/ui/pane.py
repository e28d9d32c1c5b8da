"""The base class every topic pane derives from, and how the window finds panes."""
from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from PySide6.QtWidgets import QWidget

from explorer.engine import Engine


@dataclass
class ExportTarget:
    """Something a pane can export: a plot (PNG at 2x, SVG, clipboard) and the data behind it.

    `data()` returns {name: array-like}: 1-D/2-D numeric arrays are written as
    CSV and NPY; a list of rows (lists) is written as CSV.
    `row_labels` / `column_labels` (optional, inside the same dict under
    "__rows__" / "__columns__") label the CSV.
    """

    name: str
    widget: QWidget
    data: Callable[[], dict[str, Any]] | None = None


class Pane(QWidget):
    """One topic of the lecture. Subclasses set the class attributes and build their UI.

    Panes never run models themselves: they submit jobs to `self.engine` with
    owner names starting with `self.pane_id`, and paint what comes back.
    """

    pane_id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    order: ClassVar[int] = 100
    # one line shown under the pane's title in the sidebar's tooltip
    summary: ClassVar[str] = ""

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine

    # --- presets: one click each, also used by `llm-explorer screenshot --preset` ---
    def presets(self) -> list[str]:
        return []

    def apply_preset(self, name: str) -> None:
        raise KeyError(f"{self.title} has no preset '{name}'")

    # --- sessions: everything the user typed and chose, as JSON-safe values ---
    def state(self) -> dict:
        return {}

    def restore_state(self, state: dict) -> None:
        """Apply a state produced by `state()`; ignore keys it does not know."""

    # --- export and presentation ---
    def export_targets(self) -> list[ExportTarget]:
        """What File > Export offers for this pane, the currently shown plot first."""
        return []

    def apply_view_settings(self, font_scale: float, dark: bool) -> None:
        """Presenter mode / font scale / theme changed: grow plot fonts, ticks and lines.

        Qt widgets follow the application font by themselves; plots (pyqtgraph
        axes, painted chips, heatmap labels) must be rescaled here.
        """

    # --- lifecycle ---
    def activated(self) -> None:
        """The pane became visible: start lazy work here, not in __init__."""

    def is_busy(self) -> bool:
        """True while this pane waits for engine jobs (screenshots wait for False)."""
        return any(owner.startswith(self.pane_id) for owner in self.engine.pending_owners())


@dataclass(frozen=True)
class PaneSpec:
    """What the sidebar needs to list a pane without importing its module (pyqtgraph is slow to import)."""

    pane_id: str
    title: str
    order: int
    summary: str
    module: str
    class_name: str

    def load(self) -> type[Pane]:
        return getattr(importlib.import_module(self.module), self.class_name)


_SPEC_FIELDS = {"pane_id": str, "title": str, "order": int, "summary": str}


def _class_headers(source: str) -> str:
    """Only the top-level class lines and their attributes up to the first method (may not parse).

    Parsing whole pane modules (thousands of lines) costs ~0.1 s at start-up;
    the class attributes the sidebar needs sit at the top of each class.
    """
    kept: list[str] = []
    in_header = False
    for line in source.splitlines():
        if line.startswith("class "):
            in_header = True
            kept += [line, "    pass"]  # keeps a class whose first line is a method valid
        elif in_header:
            stripped = line.strip()
            if line and not line[0].isspace() or stripped.startswith(("def ", "@", "async def ")):
                in_header = False
            else:
                kept.append(line)
    return "\n".join(kept)


def _specs_from_source(module_name: str, source: str) -> list[PaneSpec] | None:
    """Read pane classes' literal attributes with `ast`; None if they are not all literals."""
    try:
        tree = ast.parse(_class_headers(source))
    except SyntaxError:  # a header we cut oddly: fall back to the whole module
        tree = ast.parse(source)
    specs = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        values: dict[str, object] = {}
        for stmt in node.body:
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
                stmt.target if isinstance(stmt, ast.AnnAssign) else None
            if isinstance(target, ast.Name) and target.id in _SPEC_FIELDS and stmt.value is not None:
                try:
                    values[target.id] = ast.literal_eval(stmt.value)
                except ValueError:
                    return None
        if values.get("pane_id"):
            if not isinstance(values.get("title"), str):
                return None
            specs.append(PaneSpec(str(values["pane_id"]), str(values["title"]), int(values.get("order", 100)),
                                  str(values.get("summary", "")), module_name, node.name))
    return specs


def _pane_modules() -> list[str]:
    """explorer.ui.panes.* and each topic package's `pane` module (explorer.ui.<topic>.pane)."""
    import importlib.util

    import explorer.ui as ui
    import explorer.ui.panes as package

    names = [f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]
    for info in pkgutil.iter_modules(ui.__path__):
        if info.ispkg and info.name != "panes" and importlib.util.find_spec(f"{ui.__name__}.{info.name}.pane"):
            names.append(f"{ui.__name__}.{info.name}.pane")
    return names


def discover_pane_specs() -> list[PaneSpec]:
    """Every pane (see `_pane_modules`), in lecture order, importing none of them where source is readable."""
    import importlib.util

    specs: list[PaneSpec] = []
    for module_name in _pane_modules():
        spec = importlib.util.find_spec(module_name)
        source = None
        if spec is not None and spec.origin and spec.origin.endswith(".py"):
            try:
                with open(spec.origin, encoding="utf-8") as fh:
                    source = fh.read()
            except OSError:
                source = None
        found = _specs_from_source(module_name, source) if source is not None else None
        if found is None:  # frozen bundle or computed attributes: import to find out
            module = importlib.import_module(module_name)
            found = [PaneSpec(cls.pane_id, cls.title, cls.order, cls.summary, module_name, cls.__name__)
                     for cls in vars(module).values()
                     if isinstance(cls, type) and issubclass(cls, Pane) and cls is not Pane and cls.pane_id
                     and cls.__module__ == module_name]
        specs.extend(found)
    return sorted(specs, key=lambda s: (s.order, s.pane_id))


def discover_panes() -> list[type[Pane]]:
    """Every Pane subclass in explorer.ui.panes, in lecture order."""
    import explorer.ui.panes as package

    found: list[type[Pane]] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Pane) and value is not Pane and value.pane_id \
                    and value.__module__ == module.__name__:
                found.append(value)
    return sorted(found, key=lambda cls: (cls.order, cls.pane_id))
