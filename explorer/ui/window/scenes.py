"""The main window's lecture scenes: the outline in the toolbar, stepping through it, saving a new scene."""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore, QtWidgets

from explorer.models.paths import resources_dir
from explorer.ui.settings import read_str

if TYPE_CHECKING:
    from explorer.ui.scenes import Scene, SceneDeck


class LectureScenes:
    """MainWindow's part that follows a scene file: `deck`, `scene_index`, the scene combo and the caption bar."""

    @property
    def deck(self) -> SceneDeck:
        """The lecture outline (the chosen scene file, else the bundled lecture)."""
        if self._deck is None:
            self._load_initial_scenes()
        return self._deck

    def _load_initial_scenes(self) -> None:
        from explorer.core.session_schema import SessionError
        from explorer.ui.scenes import SceneDeck, default_scenes_path, load_scenes

        chosen = read_str(self.settings, "scenes/file", "")
        for candidate in ([Path(chosen)] if chosen else []) + [default_scenes_path()]:
            try:
                self.set_deck(load_scenes(candidate))
                return
            except SessionError as exc:
                self.notify(f"Lecture scenes not loaded: {exc}")
        self.set_deck(SceneDeck("Lecture", []))

    def set_deck(self, deck: SceneDeck) -> None:
        from explorer.ui.scenes import scene_problem

        self._deck = deck
        self.scene_index = -1
        self.scene_combo.clear()
        self.scene_combo.addItem(f"{deck.title} ({len(deck.scenes)} scenes)")
        for number, scene in enumerate(deck.scenes, 1):
            self.scene_combo.addItem(f"{number}. {scene.title}")
            problem = scene_problem(scene, self.panes, check_preset=False)  # builds no pane
            if problem:
                self.scene_combo.setItemData(number, problem, QtCore.Qt.ItemDataRole.ToolTipRole)
        self.update_caption()

    def open_scene_file(self, path: str | os.PathLike | None = None) -> bool:
        if path is None:
            start = str(self.deck.path.parent) if self.deck.path else str(Path.home())
            path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open a scene file", start, "Scene files (*.json)")
            if not path:
                return False
        from explorer.core.session_schema import SessionError
        from explorer.ui.scenes import load_scenes

        try:
            deck = load_scenes(path)
        except SessionError as exc:
            self.show_message("Cannot open these scenes", str(exc), warning=True)
            return False
        self.set_deck(deck)
        self.settings.setValue("scenes/file", str(Path(path).resolve()))
        self.notify(f"{len(deck.scenes)} scenes loaded from {path}")
        return True

    def current_scene(self) -> Scene | None:
        return self.deck.scenes[self.scene_index] if 0 <= self.scene_index < len(self.deck.scenes) else None

    def next_scene(self) -> str | None:
        if self.scene_index + 1 >= len(self.deck.scenes):
            self.notify("That was the last scene.")
            return None
        return self.go_to_scene(self.scene_index + 1)

    def previous_scene(self) -> str | None:
        if self.scene_index <= 0:
            self.notify("This is the first scene.")
            return None
        return self.go_to_scene(self.scene_index - 1)

    def go_to_scene(self, index: int) -> str | None:
        """Open scene `index` (pane, preset, state, settings); returns the problem shown, or None."""
        from explorer.ui.scenes import scene_problem

        if not 0 <= index < len(self.deck.scenes):
            return None
        self.scene_index = index
        scene = self.deck.scenes[index]
        self.scene_combo.setCurrentIndex(index + 1)
        problem = scene_problem(scene, self.panes)
        if problem is None:
            try:
                pane = self.show_pane(scene.pane)
                if scene.preset:
                    pane.apply_preset(scene.preset)
                if scene.state is not None:
                    pane.restore_state(scene.state)
                if "theme" in scene.settings:
                    self.set_theme(scene.settings["theme"], persist=False)
                if "font_scale" in scene.settings:
                    self.set_font_scale(float(scene.settings["font_scale"]), persist=False)
            except Exception as exc:  # noqa: BLE001 - a broken scene must not end the lecture
                problem = f"Scene '{scene.title}' could not be opened: {exc}"
        self.scene_problem = problem
        if problem:
            self.notify(problem)
        self.update_caption()
        self.scene_changed.emit(index)
        return problem

    def update_caption(self) -> None:
        scene = self.current_scene()
        if scene is None:
            text = f"<b>{html.escape(self.deck.title, quote=False)}</b> — press Page Down for the first scene"
        else:
            text = (f"<b>{self.scene_index + 1} / {len(self.deck.scenes)} · {html.escape(scene.title, quote=False)}</b>"
                    + (f" — {html.escape(scene.caption, quote=False)}" if scene.caption else ""))
            if self.scene_problem:
                text += f"<br><b>⚠ {html.escape(self.scene_problem, quote=False)}</b>"
        self.caption_bar.show_text(text)

    def save_current_as_scene(self, title: str | None = None, caption: str | None = None) -> Path | None:
        """Insert what is shown now as a scene after the current one, and save the scene file."""
        pane = self.current_pane()
        if pane is None:
            return None
        if title is None:
            title, ok = QtWidgets.QInputDialog.getText(self, "Save as a new scene", "Scene title:", text=pane.title)
            if not ok or not title.strip():
                return None
            caption, ok = QtWidgets.QInputDialog.getText(self, "Save as a new scene", "One-line caption for the class:")
            if not ok:
                return None
        from explorer.core.session_schema import SessionError
        from explorer.ui.scenes import Scene, SceneDeck, save_scenes, user_scenes_path

        try:
            from explorer.ui.session import pane_templates

            state = pane_templates(self)[pane.pane_id]
        except SessionError as exc:
            self.show_message("Cannot save the scene", str(exc), warning=True)
            return None
        scene = Scene(title=title.strip()[:120], pane=pane.pane_id, caption=" ".join((caption or "").split()),
                      state=state)
        position = self.scene_index + 1 if self.scene_index >= 0 else len(self.deck.scenes)
        scenes = list(self.deck.scenes)
        scenes.insert(position, scene)
        target = self.deck.path
        if target is None or _is_inside(target, resources_dir()) or not os.access(target.parent, os.W_OK):
            target = user_scenes_path()  # never write into the installed app
        deck = SceneDeck(self.deck.title, scenes)
        try:
            written = save_scenes(deck, target)
        except OSError as exc:
            self.show_message("Cannot save the scene", f"{target} could not be written: {exc}", warning=True)
            return None
        self.set_deck(deck)
        self.settings.setValue("scenes/file", str(written))
        self.scene_index = position
        self.scene_combo.setCurrentIndex(position + 1)
        self.update_caption()
        self.notify(f"Scene '{scene.title}' saved as scene {position + 1} in {written}")
        return written


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False
