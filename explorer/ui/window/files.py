"""The main window's File menu work: saving and opening sessions, exporting a pane's plot or data."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtWidgets

from explorer.ui.pane import ExportTarget
from explorer.ui.settings import read_str


class SessionsAndExport:
    """MainWindow's part that saves and opens sessions and exports what a pane shows."""

    def save_session(self, path: str | os.PathLike | None = None) -> Path | None:
        from explorer.core.session_schema import SessionError
        from explorer.ui.session import SESSION_FILTER, save_session

        if path is None:
            start = read_str(self.settings, "session/last_dir", str(Path.home()))
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save session", str(Path(start) / "session.json"),
                                                  SESSION_FILTER)
            if not path:
                return None
        try:
            written = save_session(self, path)
        except (OSError, SessionError) as exc:
            self.show_message("Cannot save the session", f"The session could not be saved: {exc}", warning=True)
            return None
        self.settings.setValue("session/last_dir", str(written.parent))
        self.notify(f"Session saved to {written}")
        return written

    def open_session(self, path: str | os.PathLike | None = None,
                     on_done: Callable[[bool], None] | None = None) -> None:
        """Open a session file: read and checked off the GUI thread, then applied here; a bad one is refused
        with a message and nothing changes. `on_done(opened)` is called when that is decided."""
        from explorer.ui.session import SESSION_FILTER, open_session

        if path is None:
            start = read_str(self.settings, "session/last_dir", str(Path.home()))
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open session", start, SESSION_FILTER)
            if not path:
                return

        def opened(_session) -> None:  # noqa: ANN001
            self.settings.setValue("session/last_dir", str(Path(path).resolve().parent))
            self.notify(f"Session opened from {path}.")
            if on_done is not None:
                on_done(True)

        def refused(message: str) -> None:
            self.show_message("Cannot open this session", message, warning=True)
            if on_done is not None:
                on_done(False)

        open_session(self, path, opened, refused)

    # --- export ---
    def export_current(self, fmt: str, path: str | os.PathLike | None = None,
                       target_name: str | None = None) -> list[Path]:
        """Export the current pane's plot ("png", "svg", "clipboard") or data ("csv", "npy")."""
        from explorer.ui import export as exporting

        pane = self.current_pane()
        targets = pane.export_targets() if pane else []
        if fmt in ("csv", "npy"):
            targets = [t for t in targets if t.data is not None]
        if not targets:
            what = "data" if fmt in ("csv", "npy") else "plot"
            self.show_message("Nothing to export", f"This pane has no {what} to export yet.", warning=True)
            return []
        target = self._pick_target(targets, target_name)
        if target is None:
            return []
        try:
            if fmt == "clipboard":
                exporting.copy_to_clipboard(target.widget)
                self.notify(f"Copied '{target.name}' to the clipboard")
                return []
            if path is None:
                start = Path(read_str(self.settings, "export/last_dir", str(Path.home())))
                name = exporting.default_file_name(pane.pane_id, target.name, fmt)
                path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {target.name}", str(start / name),
                                                      exporting.FORMATS[fmt])
                if not path:
                    return []
            path = Path(path)
            if path.suffix.lower() != f".{fmt}":
                path = path.with_name(path.name + f".{fmt}")
            if fmt == "png":
                written = [exporting.export_png(target.widget, path)]
            elif fmt == "svg":
                written = [exporting.export_svg(target.widget, path, f"{pane.title}: {target.name}")]
            else:
                written = exporting.export_data(target, path, fmt)
        except exporting.ExportError as exc:
            self.show_message("Cannot export", str(exc), warning=True)
            return []
        self.settings.setValue("export/last_dir", str(written[0].parent))
        self.notify("Exported " + ", ".join(p.name for p in written))
        return written

    def _pick_target(self, targets: list[ExportTarget], name: str | None) -> ExportTarget | None:
        if name is not None:
            for target in targets:
                if target.name == name:
                    return target
            self.show_message("Nothing to export", f"This pane has no plot called '{name}'.", warning=True)
            return None
        if len(targets) == 1:
            return targets[0]
        names = [t.name for t in targets]
        chosen, ok = QtWidgets.QInputDialog.getItem(self, "Export", "Which plot?", names, 0, False)
        return targets[names.index(chosen)] if ok else None
