"""Dispatches a catalogue entry to the loader for its kind."""
from __future__ import annotations

import importlib

from explorer.core.progress import Progress
from explorer.models.catalogue import CatalogueEntry
from explorer.models.loaded import LoadedModel

# kind -> "module:function"; each function is load(entry, device, progress) -> LoadedModel
LOADERS: dict[str, str] = {
    "encoder": "explorer.models.text_models:load_text_model",
    "causal-lm": "explorer.models.text_models:load_text_model",
    "tokenizer": "explorer.models.tokenizer_loader:load_tokenizer_entry",
    "word-vectors": "explorer.models.word_vectors:load_word_vectors",
    "image-text": "explorer.models.image_text:load_image_text",
    "captioner": "explorer.models.image_text:load_captioner",
}


def load(entry: CatalogueEntry, device, progress: Progress | None = None) -> LoadedModel:
    module_name, func_name = LOADERS[entry.kind].split(":")
    loader = getattr(importlib.import_module(module_name), func_name)
    return loader(entry, device, progress)
