"""The Images & text pane's host operations, called directly as the host calls them (no Qt, no host process).

What the GUI relies on when the model host restarted between two jobs: the images it names are drawn or
loaded again and give the same answer; a search index that is gone says so in one line.
"""
from __future__ import annotations

import numpy as np
import pytest

from explorer.core.progress import NullProgress
from explorer.host.ops import image_text as ops


class FakeContext(NullProgress):
    """What an operation sees in the host: the app's model store and the lasting state."""

    def __init__(self, store) -> None:
        self.models = store
        self.device = store.device
        self.state: dict = {}


@pytest.fixture
def ctx(trained_cache, monkeypatch):
    from explorer.models.store import ModelStore

    monkeypatch.setenv("LLM_EXPLORER_CACHE", str(trained_cache))
    return FakeContext(ModelStore(preference="cpu"))


def test_the_images_a_view_names_come_back_after_the_host_lost_them(ctx):
    rows = ops.samples(ctx, kind="shapes")
    assert [r["name"] for r in rows] == [f"{c} {s}" for c, s, _ in ops.SHAPE_SAMPLES]
    assert all(r["pixels"].dtype == np.uint8 and r["pixels"].shape[2] == 3 for r in rows)
    sources = [r["source"] for r in rows]
    first = ops.similarity(ctx, model_id="mini-clip", sources=sources, captions=["a red circle", "a blue square"])
    assert first["matrix"].shape == (6, 2) and first["matrix"][0].argmax() == 0
    ctx.state.clear()  # what a restarted host has
    again = ops.similarity(ctx, model_id="mini-clip", sources=sources, captions=["a red circle", "a blue square"])
    np.testing.assert_allclose(again["matrix"], first["matrix"], atol=1e-6)


def test_a_search_index_the_host_no_longer_has_is_refused_in_one_line(ctx):
    summary = ops.index(ctx, model_id="mini-clip", source="photos")
    assert len(summary) > 0 and not hasattr(summary, "vectors")  # the embeddings stay in the host
    hits = ops.search(ctx, generation=summary.generation, model_id="mini-clip", position=0)
    assert len(hits["rows"]) == min(ops.TOP_K, len(summary) - 1)
    assert all(row["position"] != 0 for row in hits["rows"])
    with pytest.raises(LookupError, match="choose what to search in again"):
        ops.search(ctx, generation=summary.generation + 1, model_id="mini-clip", query="a cat")
