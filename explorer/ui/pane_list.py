"""The window's panes, in lecture order: to add a pane, write its `Pane` subclass and add one line here.

The sidebar lists panes from this table without importing them (their modules
import numpy and pyqtgraph); a pane's module is imported when it is first shown.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from explorer.ui.pane import Pane


@dataclass(frozen=True)
class PaneSpec:
    """One sidebar entry: the pane's id and title (as its class has them), its tooltip, where its class is."""

    pane_id: str
    title: str
    summary: str
    module: str
    class_name: str

    def load(self) -> type[Pane]:
        """Import the pane's module and return its class."""
        return getattr(importlib.import_module(self.module), self.class_name)


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("embeddings", "Embeddings",
             "From bag-of-words to word vectors to contextual embeddings, and a projector for any vectors",
             "explorer.ui.embeddings.pane", "EmbeddingsPane"),
    PaneSpec("tokenizers", "Tokenizers",
             "One text, many tokenizers side by side: what is a token, and why counts differ",
             "explorer.ui.tokenizers.pane", "TokenizerLabPane"),
    PaneSpec("attention", "Attention",
             "Attention heads, Q/K/V arithmetic, local attention, GQA, RoPE and the next token, on real models",
             "explorer.ui.attention.pane", "AttentionPane"),
    PaneSpec("image-text", "Images & text",
             "CLIP: images and text in one space — similarity, zero-shot, search, joint map, BLIP-2's Q-Former, "
             "and a mini-CLIP trained live here",
             "explorer.ui.image_text.pane", "ImageTextPane"),
)


def pane_ids() -> list[str]:
    return [spec.pane_id for spec in PANES]
