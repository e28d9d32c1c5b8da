"""The Embeddings pane's host operations, called directly as the host calls them (no Qt, no host process)."""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core.progress import NullProgress
from explorer.host.ops import embeddings as ops


class FakeContext(NullProgress):
    """What an operation sees in the host, minus the model store (a vectors file needs none)."""

    def __init__(self) -> None:
        self.state: dict = {}


def write_clusters(tmp_path):
    rng = np.random.default_rng(1)
    centres = rng.normal(scale=6, size=(3, 5))
    rows = np.concatenate([c + rng.normal(scale=0.3, size=(10, 5)) for c in centres])
    (tmp_path / "v.tsv").write_text("\n".join("\t".join(f"{v:.4f}" for v in row) for row in rows) + "\n")
    return rows


def test_a_vectors_file_stays_in_the_host_and_the_gui_gets_labels_and_a_handle(tmp_path):
    rows = write_clusters(tmp_path)
    ctx = FakeContext()
    points = ops.load_source(ctx, slot="projector", source="vectors", vectors_path=str(tmp_path / "v.tsv"))
    assert (len(points), points.dims, points.name) == (30, 5, "v.tsv")
    assert not hasattr(points, "vectors")  # the vectors themselves never leave the host
    projection = ops.project(ctx, **points.handle(), method="pca", dims=2)
    assert projection.coords.shape == (30, 2)
    found = ops.nearest(ctx, **points.handle(), index=0, k=5)
    assert [j for j, _ in found] and all(j < 10 for j, _ in found)  # its own cluster
    distances = ((rows[1:] - rows[0]) ** 2).sum(1)
    assert found[0][0] == 1 + int(distances.argmin())
    labels = ops.kmeans(ctx, **points.handle(), k=3)
    assert len(set(labels[:10])) == len(set(labels[10:20])) == len(set(labels[20:])) == 1


def test_a_stale_handle_asks_to_load_again(tmp_path):
    write_clusters(tmp_path)
    ctx = FakeContext()
    first = ops.load_source(ctx, slot="projector", source="vectors", vectors_path=str(tmp_path / "v.tsv"))
    second = ops.load_source(ctx, slot="projector", source="vectors", vectors_path=str(tmp_path / "v.tsv"))
    assert second.generation == first.generation + 1
    with pytest.raises(LookupError, match="load them again"):
        ops.project(ctx, **first.handle())
    with pytest.raises(LookupError, match="load them again"):
        ops.nearest(FakeContext(), **second.handle(), index=0)  # a restarted host has none
