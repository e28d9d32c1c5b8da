"""Preferences that persist between runs (QSettings)."""
from __future__ import annotations

import os

from PySide6.QtCore import QSettings

ORG = "LLM Explorer"
APP = "llm-explorer"


def open_settings() -> QSettings:
    """The app's settings; LLM_EXPLORER_SETTINGS points tests (or a portable install) at an ini file."""
    path = os.environ.get("LLM_EXPLORER_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORG, APP)


def read_float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_str(settings: QSettings, key: str, default: str) -> str:
    value = settings.value(key, default)
    return value if isinstance(value, str) else default
