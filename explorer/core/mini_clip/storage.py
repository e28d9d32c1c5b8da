"""Saving and loading a mini-CLIP: safetensors weights plus a JSON config with their sha256, checked on load."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from explorer.core import shapes_dataset as shapes
from explorer.core.mini_clip.config import ModelConfig
from explorer.core.mini_clip.encoder import MiniClipEncoder
from explorer.core.mini_clip.model import build_model

FORMAT = "llm-explorer mini-clip"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
SHA256_KEY = "weights_sha256"
# the colour-shape pairs training never showed, e.g. ["purple star", ...]: the true zero-shot test set
HELD_OUT_KEY = "held_out_pairs"
# the safetensors header of a few dozen tensors is a few kB; anything near this is not ours
MAX_HEADER_BYTES = 1_000_000


class DamagedModel(ValueError):
    """Saved mini-CLIP files that are unreadable, truncated, altered or do not fit their config."""


def save(encoder: MiniClipEncoder, folder: Path, extra: dict | None = None) -> Path:
    """Write config.json (with the weights' sha256), then model.safetensors (last, atomically: its presence
    means "trained"). `extra` adds top-level keys to config.json (the shipped copy records how it was made)."""
    from safetensors.torch import save as to_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in encoder.model.state_dict().items()}
    blob = to_bytes(state, metadata={"format": FORMAT})
    config = {"format": FORMAT, "version": 1, "model": encoder.config.to_json(),
              HELD_OUT_KEY: list(encoder.held_out_pairs), "training": encoder.info,
              SHA256_KEY: hashlib.sha256(blob).hexdigest(), **(extra or {})}
    tmp_config = folder / (CONFIG_FILE + ".tmp")
    tmp_config.write_text(json.dumps(config, indent=1), encoding="utf-8")
    os.replace(tmp_config, folder / CONFIG_FILE)
    tmp_weights = folder / (WEIGHTS_FILE + ".tmp")
    tmp_weights.write_bytes(blob)
    os.replace(tmp_weights, folder / WEIGHTS_FILE)
    return folder / WEIGHTS_FILE


def read_checked(folder: Path) -> tuple[dict, bytes]:
    """The parsed config.json and the weights' bytes, checked without torch.

    Raises FileNotFoundError when a file is missing and DamagedModel when the
    config is not ours, the weights do not match the sha256 recorded with them
    (copies saved before checksums were recorded skip that check), or the
    safetensors header is not a well-formed header whose tensors fit the file.
    """
    folder = Path(folder)
    weights, config_path = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    if not weights.is_file() or not config_path.is_file():
        raise FileNotFoundError(f"no trained mini-CLIP in {folder}: train it first (llm-explorer train-mini-clip)")
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DamagedModel(f"{config_path} is not readable JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("model"), dict):
        raise DamagedModel(f"{config_path} is not a mini-CLIP config")
    held_out_pairs(data)
    blob = weights.read_bytes()
    expected = data.get(SHA256_KEY)
    if expected is not None and hashlib.sha256(blob).hexdigest() != expected:
        raise DamagedModel(f"{weights} does not match the checksum saved with it (changed or damaged file)")
    _check_safetensors_header(blob, weights)
    return data, blob


def _check_safetensors_header(blob: bytes, where: Path) -> None:
    """8-byte little-endian header length, a JSON header, every tensor's bytes inside the file."""
    if len(blob) < 8:
        raise DamagedModel(f"{where} is truncated ({len(blob)} bytes)")
    size = int.from_bytes(blob[:8], "little")
    if size <= 0 or size > MAX_HEADER_BYTES or 8 + size > len(blob):
        raise DamagedModel(f"{where} is not a safetensors file (bad header length)")
    try:
        header = json.loads(blob[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DamagedModel(f"{where} has an unreadable safetensors header") from exc
    if not isinstance(header, dict):
        raise DamagedModel(f"{where} has an unreadable safetensors header")
    body = len(blob) - 8 - size
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        offsets = spec.get("data_offsets") if isinstance(spec, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= body):
            raise DamagedModel(f"{where} is truncated or damaged (tensor '{name}' lies outside the file)")


def load(folder: Path, device=None, origin: str = "user") -> MiniClipEncoder:
    """Load a saved mini-CLIP (safetensors; nothing is unpickled). Damaged files raise DamagedModel."""
    from safetensors import SafetensorError
    from safetensors.torch import load as from_bytes

    data, blob = read_checked(Path(folder))
    where = Path(folder) / WEIGHTS_FILE
    try:
        state = from_bytes(blob)
    except (SafetensorError, ValueError) as exc:
        raise DamagedModel(f"{where} could not be read ({exc})") from exc
    try:
        config = ModelConfig.from_json(data["model"])
        model = build_model(config)
        model.load_state_dict(state)  # strict: every tensor present, every shape as the config says
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise DamagedModel(f"{where} does not fit its config.json ({str(exc).splitlines()[0][:200]})") from exc
    info = data.get("training")
    return MiniClipEncoder(model, config, info=info if isinstance(info, dict) else {}, device=device, origin=origin,
                           held_out_pairs=held_out_pairs(data))


def held_out_pairs(data: dict) -> list[str]:
    """The held-out pairs recorded in a parsed config.json ([] for copies saved before pairs were held out)."""
    pairs = data.get(HELD_OUT_KEY) or []
    if not isinstance(pairs, list) or not all(isinstance(p, str) for p in pairs):
        raise DamagedModel(f"{HELD_OUT_KEY} in config.json is not a list of pairs")
    try:
        labels = shapes.pair_labels(pairs)
    except ValueError as exc:
        raise DamagedModel(f"config.json: {exc}") from exc
    return [shapes.class_names()[label] for label in labels]
