"""What the GUI knows of a set of vectors held in the model host: labels, columns, size, and a handle.

The vectors themselves (GloVe's 400k x 50, a token-embedding matrix, a user's
file) stay in the host, where projections, clusterings and neighbour queries
run; the GUI gets this small description and the coordinates it draws.
"""
from __future__ import annotations


class PointSet:
    """Labels and metadata of vectors kept in the host under `slot` (generation `generation`).

    A plain class, not a dataclass: the host's result packing walks dataclasses and lists item by
    item looking for arrays, and 400k labels would cost it a second each way; this one is pickled whole.
    """

    def __init__(self, name: str, labels: list[str], columns: dict[str, list[str]] | None = None,
                 notes: list[str] | None = None, slot: str = "", generation: int = 0, size: int = 0,
                 dims: int = 0) -> None:
        self.name = name
        self.labels = labels
        self.columns = columns or {}
        self.notes = notes or []
        self.slot = slot
        self.generation = generation
        self.size = size
        self.dims = dims

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"PointSet({self.name!r}, {self.size} x {self.dims}, slot {self.slot!r} #{self.generation})"

    def handle(self) -> dict:
        """The arguments that name these vectors in a host operation."""
        return {"slot": self.slot, "generation": self.generation}
