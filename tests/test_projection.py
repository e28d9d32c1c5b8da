"""Projections (PCA, t-SNE, UMAP), clusters and neighbours on all points, with live t-SNE progress."""
import numpy as np
import pytest

from explorer.core import projection
from explorer.core.progress import Cancelled
from tests.helpers import RecordingProgress


def blobs(n_per=60, dims=10, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(dims)[:3] * 12
    x = np.concatenate([c + rng.normal(size=(n_per, dims)) for c in centres]).astype(np.float32)
    return x, np.repeat(np.arange(3), n_per)


def test_pca_finds_the_main_direction_and_keeps_every_point():
    rng = np.random.default_rng(1)
    t = rng.normal(size=120_000).astype(np.float32)
    direction = np.array([3, 4, 0, 0, 0], np.float32) / 5
    x = np.outer(t, direction) * 10 + rng.normal(scale=0.1, size=(120_000, 5)).astype(np.float32)
    proj = projection.pca(x, 2)
    assert proj.coords.shape == (120_000, 2)  # no sampling
    assert proj.explained[0] > 0.99
    assert abs(np.corrcoef(proj.coords[:, 0], t)[0, 1]) > 0.999
    assert "PCA 1" in proj.axis_titles()[0] and "%" in proj.axis_titles()[0]


def test_pca_is_deterministic_and_works_with_fewer_points_than_dimensions():
    x, _ = blobs(3, 384)
    first, second = projection.pca(x, 3).coords, projection.pca(x.copy(), 3).coords
    assert np.array_equal(first, second)
    assert projection.pca(np.array([[0, 1], [1, 0], [2, 2]], np.float32), 3).coords.shape == (3, 3)


def test_bad_points_get_clear_messages():
    with pytest.raises(ValueError, match="no points"):
        projection.pca(np.zeros((0, 5)))
    with pytest.raises(ValueError, match="one item"):
        projection.pca(np.ones((1, 5)))
    bad = np.ones((4, 3))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="row 3"):
        projection.pca(bad)
    with pytest.raises(ValueError, match="at least 4"):
        projection.tsne(np.random.rand(3, 5))
    with pytest.raises(ValueError, match="unknown projection"):
        projection.project(np.random.rand(5, 5), "mds")


def test_tsne_moves_points_live_and_separates_clusters():
    x, truth = blobs()
    progress = RecordingProgress()
    proj = projection.tsne(x, 2, perplexity=20, n_iter=150, early_exaggeration_iter=100, n_jobs=1,
                           partial_every=25, progress=progress)
    assert proj.coords.shape == (180, 2)
    assert len(progress.partials) == (100 + 150) // 25
    steps = [p["iteration"] for p in progress.partials]
    assert steps == sorted(steps) and progress.partials[-1]["total"] == 250
    assert progress.partials[0]["coords"].shape == (180, 2)
    assert not np.allclose(progress.partials[0]["coords"], progress.partials[-1]["coords"])
    # each point's nearest neighbour on the map is in its own cluster
    d = ((proj.coords[:, None] - proj.coords[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (truth[d.argmin(1)] == truth).mean() > 0.98


def test_tsne_lowers_the_perplexity_for_small_sets_and_makes_3d_maps():
    x, _ = blobs(4)
    proj = projection.tsne(x, 3, perplexity=30, n_iter=20, early_exaggeration_iter=10, n_jobs=1)
    assert proj.coords.shape == (12, 3)
    assert proj.params["perplexity"] == pytest.approx(11 / 3)


def test_tsne_stops_when_cancelled():
    x, _ = blobs()
    progress = RecordingProgress(cancel_after=2)
    with pytest.raises(Cancelled):
        projection.tsne(x, 2, n_iter=500, n_jobs=1, partial_every=10, progress=progress)
    assert len(progress.partials) == 2


def test_umap_runs_when_installed_and_says_how_to_get_it_otherwise():
    x, _ = blobs(10)
    if projection.umap_available():
        assert projection.project(x, "umap", 2).coords.shape == (30, 2)
    else:
        with pytest.raises(ValueError, match="umap-learn"):
            projection.project(x, "umap", 2)


def test_kmeans_recovers_the_clusters_numbered_by_size():
    x, truth = blobs()
    x = np.concatenate([x, x[:30] + 0.01])  # cluster of truth 0 grows to 90 points
    truth = np.concatenate([truth, truth[:30]])
    labels = projection.kmeans(x, 3, metric="euclidean")
    assert np.bincount(labels).tolist() == [90, 60, 60]
    for c in range(3):
        assert len(set(labels[truth == c])) == 1
    with pytest.raises(ValueError, match="at least 5 points"):
        projection.kmeans(x[:4], 5)


def test_neighbours_in_the_original_space_cosine_and_euclidean():
    x = np.array([[1, 0], [2, 0.1], [0, 1], [10, 0]], np.float32)
    index = projection.NeighbourIndex(x)
    cos = index.query(0, k=2, metric="cosine")
    assert [i for i, _ in cos] == [3, 1] and cos[0][1] == pytest.approx(1.0)
    euc = index.query(0, k=3, metric="euclidean")
    assert [i for i, _ in euc] == [1, 2, 3]
    assert euc[0][1] == pytest.approx(np.linalg.norm(x[0] - x[1]), abs=1e-5)
    assert len(index.query(0, k=50)) == 3  # never the point itself
