"""What a loader returns: the model object plus what the core needs to use it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from explorer.models.catalogue import CatalogueEntry


@dataclass
class LoadedModel:
    entry: CatalogueEntry
    model: Any
    tokenizer: Any = None
    device: Any = None  # torch.device for torch models, None otherwise
    nbytes: int = 0
    # e.g. an image processor for image-text models
    extras: dict | None = None


def torch_nbytes(module) -> int:
    params = sum(p.numel() * p.element_size() for p in module.parameters())
    buffers = sum(b.numel() * b.element_size() for b in module.buffers())
    return int(params + buffers)
