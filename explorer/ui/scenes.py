"""Lecture scenes: an outline that follows the lecture, one pane + preset per step.

A scene file is plain JSON a teacher can edit (resources/scenes/lecture.json):

    {"format": "llm-explorer-scenes", "version": 1, "title": "...",
     "scenes": [{"title": "Bag of words", "pane": "embeddings", "preset": "bag-of-words",
                 "caption": "One line shown in presenter mode.",
                 "state": {...optional pane state...},
                 "settings": {"font_scale": 1.75, "theme": "dark"}}]}

Only "title" and "pane" are required. A scene is applied in this order: show
the pane, apply the preset, restore the state, then the view settings.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from explorer.core.atomic_write import write_text_atomically
from explorer.core.session_schema import (FONT_SCALE_RANGE, THEMES, SessionError, check_paths, check_values,
                                          read_json_file)
from explorer.models.paths import resources_dir

if TYPE_CHECKING:
    from explorer.ui.pane import Pane

SCENES_FORMAT = "llm-explorer-scenes"
SCENES_VERSION = 1
MAX_SCENES = 500
MAX_TITLE = 120
MAX_CAPTION = 400
SCENE_KEYS = {"title", "pane", "preset", "caption", "state", "settings"}


class SceneError(SessionError):
    """A scene file that cannot be used; str() is the message for the teacher."""


@dataclass
class Scene:
    title: str
    pane: str
    preset: str | None = None
    caption: str = ""
    state: dict | None = None
    settings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        data: dict[str, Any] = {"title": self.title, "pane": self.pane}
        if self.preset:
            data["preset"] = self.preset
        data["caption"] = self.caption
        if self.state is not None:
            data["state"] = self.state
        if self.settings:
            data["settings"] = self.settings
        return data


@dataclass
class SceneDeck:
    title: str
    scenes: list[Scene]
    path: Path | None = None

    def to_json(self) -> dict:
        return {"format": SCENES_FORMAT, "version": SCENES_VERSION, "title": self.title,
                "scenes": [scene.to_json() for scene in self.scenes]}


def default_scenes_path() -> Path:
    return resources_dir() / "scenes" / "lecture.json"


def user_scenes_path() -> Path:
    """Where "Save current state as a new scene" writes when the open deck is the read-only bundled one."""
    settings_file = os.environ.get("LLM_EXPLORER_SETTINGS")
    if settings_file:  # tests and portable installs keep everything beside their settings file
        return Path(settings_file).resolve().parent / "scenes" / "my-lecture.json"
    from PySide6.QtCore import QStandardPaths

    root = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(root) / "scenes" / "my-lecture.json"


def load_scenes(path: str | os.PathLike) -> SceneDeck:
    try:
        data = read_json_file(path, "scene file", max_bytes=8 * 1024 * 1024)
    except SceneError:
        raise
    except SessionError as exc:
        raise SceneError(str(exc)) from None
    deck = parse_scenes(data)
    deck.path = Path(path)
    return deck


def parse_scenes(data: Any) -> SceneDeck:
    if not isinstance(data, dict) or data.get("format") != SCENES_FORMAT:
        raise SceneError(f"This is not a scene file: it needs \"format\": \"{SCENES_FORMAT}\".")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= SCENES_VERSION:
        raise SceneError(f"The scene file's version must be 1 to {SCENES_VERSION}.")
    scenes = data.get("scenes")
    if not isinstance(scenes, list) or not scenes:
        raise SceneError("The scene file needs a non-empty list \"scenes\".")
    if len(scenes) > MAX_SCENES:
        raise SceneError(f"The scene file has {len(scenes)} scenes; at most {MAX_SCENES} are allowed.")
    title = data.get("title", "Lecture")
    if not isinstance(title, str):
        raise SceneError("The scene file's \"title\" must be text.")
    return SceneDeck(title=title[:MAX_TITLE], scenes=[_parse_scene(s, i + 1) for i, s in enumerate(scenes)])


def _parse_scene(raw: Any, number: int) -> Scene:
    where = f"Scene {number}"
    if not isinstance(raw, dict):
        raise SceneError(f"{where} must be an object with at least \"title\" and \"pane\".")
    unknown = set(raw) - SCENE_KEYS
    if unknown:
        raise SceneError(f"{where} has unknown field(s) {', '.join(sorted(map(str, unknown)))}; "
                         f"allowed: {', '.join(sorted(SCENE_KEYS))}.")
    for key in ("title", "pane"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise SceneError(f"{where} needs a \"{key}\" (text).")
    where = f"Scene {number} ('{raw['title'][:40]}')"
    preset = raw.get("preset")
    if preset is not None and not isinstance(preset, str):
        raise SceneError(f"{where}: \"preset\" must be text.")
    caption = raw.get("caption", "")
    if not isinstance(caption, str):
        raise SceneError(f"{where}: \"caption\" must be text.")
    state = raw.get("state")
    if state is not None:
        if not isinstance(state, dict):
            raise SceneError(f"{where}: \"state\" must be an object.")
        try:
            # the same limits as a session: numbers a widget can hold, bounded lists, no system files
            check_values(state, raw["pane"].strip())
            check_paths(state, where, raw["pane"].strip())
        except SessionError as exc:
            raise SceneError(str(exc)) from None
    settings = raw.get("settings", {})
    if not isinstance(settings, dict) or set(settings) - {"font_scale", "theme"}:
        raise SceneError(f"{where}: \"settings\" may hold only \"font_scale\" and \"theme\".")
    scale = settings.get("font_scale")
    if scale is not None and (not isinstance(scale, (int, float)) or isinstance(scale, bool)
                              or not FONT_SCALE_RANGE[0] <= scale <= FONT_SCALE_RANGE[1]):
        raise SceneError(f"{where}: \"font_scale\" must be a number from {FONT_SCALE_RANGE[0]} "
                         f"to {FONT_SCALE_RANGE[1]}.")
    if settings.get("theme") is not None and settings["theme"] not in THEMES:
        raise SceneError(f"{where}: \"theme\" must be one of {', '.join(THEMES)}.")
    return Scene(title=raw["title"].strip()[:MAX_TITLE], pane=raw["pane"].strip(),
                 preset=preset.strip() if preset and preset.strip() else None,
                 caption=" ".join(caption.split())[:MAX_CAPTION], state=state, settings=dict(settings))


def save_scenes(deck: SceneDeck, path: str | os.PathLike) -> Path:
    """Write the deck atomically, readable (indented) so a teacher can keep editing it by hand."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(deck.to_json(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    write_text_atomically(path, text)
    deck.path = path
    return path


def scene_problem(scene: Scene, panes: Mapping[str, "Pane"], check_preset: bool = True) -> str | None:
    """Why this scene cannot be shown in this version of the app, or None.

    `panes` may build a pane on access; with check_preset=False only the pane's existence is checked.
    """
    if scene.pane not in panes:
        return (f"Scene '{scene.title}' needs the pane '{scene.pane}', which this version does not have "
                f"(panes: {', '.join(panes)}).")
    if not check_preset:
        return None
    pane = panes[scene.pane]
    if scene.preset and scene.preset not in pane.presets():
        return (f"Scene '{scene.title}': the pane '{pane.title}' has no preset '{scene.preset}' "
                f"(presets: {', '.join(pane.presets()) or 'none'}).")
    return None
