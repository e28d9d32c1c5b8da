"""A labelled set of vectors (`VectorSet`: the array with its labels and metadata) and what the GUI
knows of one kept in the model host (`PointSet`: the same description with a handle instead of the array).

The vectors themselves (GloVe's 400k x 50, a token-embedding matrix, a user's
file) stay in the host, where projections, clusterings and neighbour queries
run; the GUI gets the PointSet and the coordinates it draws.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def short_label(text: str, limit: int = 40) -> str:
    """A label for a point or a row: white space collapsed, cut to `limit` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@dataclass
class VectorSet:
    """Vectors plus what to call and colour them by."""

    name: str
    vectors: np.ndarray  # [n, d] float32
    labels: list[str]  # one per row, shown next to points and in searches
    columns: dict[str, list[str]] = field(default_factory=dict)  # metadata columns, each n long
    warnings: list[str] = field(default_factory=list)  # said to the user beside the map

    def __len__(self) -> int:
        return int(self.vectors.shape[0])


class PointSet:
    """A VectorSet without its array: labels and metadata of vectors kept in the host under `slot`.

    A plain class, not a dataclass: the host's result packing walks dataclasses and lists item by
    item looking for arrays, and 400k labels would cost it a second each way; this one is pickled whole.
    """

    def __init__(self, name: str, labels: list[str], columns: dict[str, list[str]] | None = None,
                 warnings: list[str] | None = None, slot: str = "", generation: int = 0, size: int = 0,
                 dims: int = 0) -> None:
        self.name = name
        self.labels = labels
        self.columns = columns or {}
        self.warnings = warnings or []
        self.slot = slot
        self.generation = generation
        self.size = size
        self.dims = dims

    @classmethod
    def of(cls, data: VectorSet, slot: str, generation: int) -> PointSet:
        """The description of `data`, kept in the host under `slot` (generation `generation`)."""
        return cls(data.name, list(data.labels), dict(data.columns), list(data.warnings), slot, generation,
                   int(data.vectors.shape[0]), int(data.vectors.shape[1]))

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"PointSet({self.name!r}, {self.size} x {self.dims}, slot {self.slot!r} #{self.generation})"

    def handle(self) -> dict:
        """The arguments that name these vectors in a host operation."""
        return {"slot": self.slot, "generation": self.generation}
