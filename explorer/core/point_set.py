"""What the GUI knows of a set of vectors held in the model host: labels, columns, size, and a handle.

The vectors themselves (GloVe's 400k x 50, a token-embedding matrix, a user's
file) stay in the host, where projections, clusterings and neighbour queries
run; the GUI gets this small description and the coordinates it draws.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PointSet:
    """Labels and metadata of vectors kept in the host under `slot` (generation `generation`)."""

    name: str
    labels: list[str]
    columns: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    slot: str = ""
    generation: int = 0
    size: int = 0
    dims: int = 0

    def __len__(self) -> int:
        return self.size

    def handle(self) -> dict:
        """The arguments that name these vectors in a host operation."""
        return {"slot": self.slot, "generation": self.generation}
