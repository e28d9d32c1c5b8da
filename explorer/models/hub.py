"""Hugging Face Hub access: is it cached, is the network there, download with progress.

Only safetensors weights and plain config / tokenizer files are fetched:
nothing that would need unpickling.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

from explorer.core.progress import Cancelled, Progress, ensure

# what a snapshot may contain: weights as safetensors only, never *.bin / *.pt
SAFE_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken", "*.jinja", "merges.txt", "vocab.*"]
TOKENIZER_PATTERNS = ["tokenizer*.json", "tokenizer.model", "*.tiktoken", "vocab.*", "merges.txt",
                      "special_tokens_map.json", "config.json", "spiece.model"]


class HubUnavailable(RuntimeError):
    """The Hub cannot be reached and the files are not cached."""


def offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False")


def network_available(timeout: float = 1.5) -> bool:
    """A cheap reachability probe for the Hub (DNS + TCP connect)."""
    if offline_mode():
        return False
    try:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True
    except OSError:
        return False


def patterns_for(kind: str) -> list[str]:
    return TOKENIZER_PATTERNS if kind == "tokenizer" else SAFE_PATTERNS


def cached_snapshot(repo_id: str, kind: str) -> Path | None:
    """The local snapshot folder if everything needed is cached, else None."""
    try:
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(repo_id, allow_patterns=patterns_for(kind), local_files_only=True))
    except Exception:  # noqa: BLE001 - any failure means "not cached"
        return None
    names = {p.name for p in folder.rglob("*")}
    if kind == "tokenizer":
        ok = bool(names & {"tokenizer.json", "tokenizer.model", "spiece.model", "vocab.txt", "vocab.json"})
    else:
        ok = "config.json" in names and any(n.endswith(".safetensors") for n in names)
    return folder if ok else None


def is_cached(repo_id: str, kind: str) -> bool:
    return cached_snapshot(repo_id, kind) is not None


def download(repo_id: str, kind: str, progress: Progress | None = None) -> Path:
    """Download (or reuse) a snapshot with a byte progress bar; cancellable between chunks."""
    progress = ensure(progress)
    cached = cached_snapshot(repo_id, kind)
    if cached is not None:
        return cached
    if not network_available():
        raise HubUnavailable(f"'{repo_id}' needs a download from the Hugging Face Hub, and there is no network")
    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.utils import HfHubHTTPError

    try:
        info = HfApi().model_info(repo_id, files_metadata=True)
    except HfHubHTTPError as exc:
        raise HubUnavailable(f"the Hub refused '{repo_id}': {exc}") from exc
    import fnmatch

    files = [s for s in (info.siblings or []) if any(fnmatch.fnmatch(s.rfilename, p) for p in patterns_for(kind))]
    if kind != "tokenizer" and not any(s.rfilename.endswith(".safetensors") for s in files):
        raise HubUnavailable(f"'{repo_id}' has no safetensors weights; LLM Explorer never loads pickled weights")
    total = sum(s.size or 0 for s in files) or None
    tqdm_class = _progress_tqdm(progress, total, repo_id)
    try:
        folder = snapshot_download(repo_id, allow_patterns=patterns_for(kind), tqdm_class=tqdm_class)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - network errors come in many types
        raise HubUnavailable(f"downloading '{repo_id}' failed: {exc}") from exc
    return Path(folder)


def _progress_tqdm(progress: Progress, total_bytes: int | None, label: str):
    """A tqdm subclass that forwards byte counts to `progress` and honours cancel."""
    from tqdm.auto import tqdm

    state = {"done": 0}

    class ProgressTqdm(tqdm):  # type: ignore[misc]
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = False
            kwargs.pop("name", None)
            super().__init__(*args, **kwargs, file=open(os.devnull, "w"))

        def update(self, n=1):  # noqa: ANN001
            progress.check()
            if self.unit == "B":
                state["done"] += n or 0
                frac = min(1.0, state["done"] / total_bytes) if total_bytes else None
                progress.report(frac, f"Downloading {label}: {state['done'] / 1e6:.1f} MB"
                                + (f" of {total_bytes / 1e6:.1f} MB" if total_bytes else ""))
            return super().update(n)

    return ProgressTqdm
