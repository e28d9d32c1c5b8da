"""Projections of high-dimensional points to 2-D or 3-D (PCA, t-SNE, UMAP), clusters and neighbours.

Nothing here samples: every point given is projected. (TensorFlow's
Embedding Projector samples t-SNE to 10k and PCA to 50k points; on this
machine PCA of 400k GloVe words takes about a second.)
"""
from __future__ import annotations

import contextlib
import importlib.util
from dataclasses import dataclass, field

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.vectors import unit_rows

METHODS = ("pca", "tsne", "umap")
METHOD_TITLES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
METRICS = ("cosine", "euclidean")
# openTSNE's phases: early exaggeration (clusters form), then the normal phase (they settle)
EARLY_EXAGGERATION_ITER = 250
PARTIAL_EVERY = 10
EXACT_NEIGHBOURS_UP_TO = 20_000


@dataclass
class Projection:
    coords: np.ndarray  # [n, dims] float32
    method: str
    dims: int
    params: dict = field(default_factory=dict)
    # PCA: the share of the variance each axis explains
    explained: list[float] | None = None

    def axis_titles(self) -> list[str]:
        name = METHOD_TITLES.get(self.method, self.method)
        if self.explained is not None:
            return [f"{name} {i + 1} ({share:.1%} of variance)" for i, share in enumerate(self.explained)]
        return [f"{name} {i + 1}" for i in range(self.dims)]


def check_points(x: np.ndarray, minimum: int = 2, what: str = "a projection") -> np.ndarray:
    """A finite float32 matrix with at least `minimum` rows, or a ValueError a user can read."""
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a table of vectors (rows x dimensions), got an array of shape {x.shape}")
    n = x.shape[0]
    if n == 0:
        raise ValueError("there are no points to project")
    if n < minimum:
        item = "one item" if n == 1 else f"{n} items"
        raise ValueError(f"{item}: {what} needs at least {minimum}")
    if x.shape[1] == 0:
        raise ValueError("the vectors have no dimensions")
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not np.isfinite(x).all():
        row = int(np.argwhere(~np.isfinite(x))[0][0])
        raise ValueError(f"row {row + 1} holds NaN or infinity: every value must be a finite number")
    return x


def one_blas_thread():
    """Run matrix products on one BLAS thread.

    OpenBLAS's threads spin-wait: on a busy two-core laptop a 400k x 50
    covariance takes seconds with two threads and 0.1 s with one. These
    products are small enough that one thread is never the bottleneck.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn brings threadpoolctl
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def pca_coords(x: np.ndarray, dims: int = 2) -> np.ndarray:
    """The first `dims` principal-component coordinates (see `pca`)."""
    return pca(x, dims).coords


def pca(x: np.ndarray, dims: int = 2, progress: Progress | None = None) -> Projection:
    """Principal components, computed exactly on all points.

    With more points than dimensions (400k x 50) the d x d covariance is
    small: its eigenvectors take milliseconds. With fewer points than
    dimensions (ten sentences x 384) a thin SVD of the points is cheaper.
    Signs are fixed so that the same data always gives the same picture.
    """
    progress = ensure(progress)
    x = check_points(x, 2, "a projection")
    n, d = x.shape
    progress.report(None, f"PCA of {n:,} points")
    mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
    centred = x - mean
    progress.check()
    with one_blas_thread():
        if n >= d:
            cov = (centred.T @ centred).astype(np.float64) / max(1, n - 1)
            values, vectors = np.linalg.eigh(cov)
            order = np.argsort(values)[::-1]
            values, vectors = values[order], vectors[:, order]
        else:
            _, singular, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
            values, vectors = singular ** 2 / max(1, n - 1), vt.T
    values = np.clip(values, 0, None)
    k = min(dims, vectors.shape[1])
    components = vectors[:, :k]
    # deterministic signs: the entry of largest magnitude of each component is positive
    signs = np.sign(components[np.argmax(np.abs(components), axis=0), range(k)])
    components = components * np.where(signs == 0, 1, signs)
    progress.check()
    with one_blas_thread():
        coords = (centred @ components.astype(np.float32)).astype(np.float32)
    if k < dims:  # fewer dimensions than asked (2-d data in 3-D): the rest is flat
        coords = np.hstack([coords, np.zeros((n, dims - k), np.float32)])
    total = float(values.sum())
    explained = [float(v / total) if total > 0 else 0.0 for v in values[:dims]]
    explained += [0.0] * (dims - len(explained))
    progress.report(1.0, "PCA done")
    return Projection(coords, "pca", dims, {}, explained)


def effective_perplexity(perplexity: float, n: int) -> float:
    """t-SNE needs about 3 x perplexity neighbours per point: lower the perplexity for small sets."""
    return float(max(1.0, min(perplexity, (n - 1) / 3.0)))


def tsne(x: np.ndarray, dims: int = 2, perplexity: float = 30.0, learning_rate: float | str = "auto",
         n_iter: int = 500, metric: str = "euclidean", seed: int = 0, n_jobs: int = 2,
         early_exaggeration_iter: int = EARLY_EXAGGERATION_ITER, partial_every: int = PARTIAL_EVERY,
         progress: Progress | None = None) -> Projection:
    """openTSNE on every point; the positions are handed to `progress.partial` as it optimises.

    Each partial value is {"coords": [n, dims], "iteration": i, "total": N}.
    Cancel (progress.check) is honoured between the neighbour search, the
    affinities and every `partial_every` iterations.
    """
    progress = ensure(progress)
    x = check_points(x, 4, "t-SNE")
    if dims not in (2, 3):
        raise ValueError("t-SNE makes 2-D or 3-D maps")
    if metric not in METRICS:
        raise ValueError(f"unknown metric '{metric}'; use one of {', '.join(METRICS)}")
    if n_iter < 1:
        raise ValueError("t-SNE needs at least one iteration")
    if learning_rate != "auto":
        learning_rate = float(learning_rate)
        if not learning_rate > 0:
            raise ValueError("the learning rate must be positive (or auto)")
    from openTSNE import TSNEEmbedding, affinity, initialization

    n = x.shape[0]
    perp = effective_perplexity(perplexity, n)
    progress.report(0.0, f"t-SNE: finding each point's {int(3 * perp)} nearest neighbours")
    progress.check()
    data = unit_rows(x) if metric == "cosine" else x
    # on unit vectors Euclidean distance ranks neighbours as cosine does, and every kNN backend supports it
    # exact neighbours are quicker than an Annoy index up to ~20k points (2.7 s against 11 s for 10k)
    method = "exact" if n <= EXACT_NEIGHBOURS_UP_TO else "annoy"
    affinities = affinity.PerplexityBasedNN(data, perplexity=perp, method=method, metric="euclidean",
                                            n_jobs=n_jobs, random_state=seed, verbose=False)
    progress.check()
    init = pca(data, dims).coords.astype(np.float64)
    if np.ptp(init[:, 0]) == 0:
        init = np.random.default_rng(seed).normal(size=init.shape)
    init = initialization.rescale(init, target_std=1e-4)
    # FFT interpolation pays off from ~10k points (openTSNE's own rule) and only in 2-D; Barnes-Hut otherwise
    gradient = "fft" if dims == 2 and n >= 10_000 else "bh"
    embedding = TSNEEmbedding(init, affinities, negative_gradient_method=gradient, n_jobs=n_jobs,
                              random_state=seed, verbose=False)
    early = min(early_exaggeration_iter, n_iter)
    total = early + n_iter
    done = {"offset": 0}

    def callback(iteration: int, error: float, positions: np.ndarray) -> bool:
        progress.check()
        step = done["offset"] + iteration
        progress.partial({"coords": np.array(positions, dtype=np.float32), "iteration": step, "total": total})
        progress.report(step / total, f"t-SNE iteration {step} of {total}")
        return False

    common = dict(callbacks=[callback], callbacks_every_iters=max(1, partial_every), inplace=True,
                  learning_rate=learning_rate, propagate_exception=True)
    embedding = embedding.optimize(n_iter=early, exaggeration=12, momentum=0.5, **common)
    done["offset"] = early
    embedding = embedding.optimize(n_iter=n_iter, exaggeration=1, momentum=0.8, **common)
    progress.report(1.0, "t-SNE done")
    params = {"perplexity": perp, "learning_rate": learning_rate, "iterations": total, "metric": metric}
    return Projection(np.asarray(embedding, dtype=np.float32), "tsne", dims, params)


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


def umap(x: np.ndarray, dims: int = 2, n_neighbors: int = 15, min_dist: float = 0.1,
         metric: str = "cosine", seed: int = 0, progress: Progress | None = None) -> Projection:
    """UMAP (umap-learn, when installed) on every point. It offers no callback: progress is indeterminate."""
    progress = ensure(progress)
    x = check_points(x, 4, "UMAP")
    if not umap_available():
        raise ValueError("UMAP is not installed: pip install umap-learn (PCA and t-SNE work without it)")
    import warnings

    with warnings.catch_warnings():
        # umap-learn announces at import that its TensorFlow variant is unavailable: noise for us
        warnings.simplefilter("ignore")
        import umap as umap_module

    n_neighbors = int(max(2, min(n_neighbors, x.shape[0] - 1)))
    progress.report(None, f"UMAP of {x.shape[0]:,} points (cannot show intermediate steps)")
    progress.check()
    # a fixed seed makes UMAP single-threaded anyway; saying n_jobs=1 avoids its warning about it
    reducer = umap_module.UMAP(n_components=dims, n_neighbors=n_neighbors, min_dist=float(min_dist),
                               metric=metric, random_state=seed, n_jobs=1)
    coords = reducer.fit_transform(x)
    progress.check()
    return Projection(np.asarray(coords, dtype=np.float32), "umap", dims,
                      {"n_neighbors": n_neighbors, "min_dist": min_dist, "metric": metric})


def project(x: np.ndarray, method: str = "pca", dims: int = 2, progress: Progress | None = None,
            **params) -> Projection:
    """Dispatch to pca / tsne / umap by name."""
    if dims not in (2, 3):
        raise ValueError("choose 2-D or 3-D")
    if method == "pca":
        return pca(x, dims, progress)
    if method == "tsne":
        return tsne(x, dims, progress=progress, **params)
    if method == "umap":
        return umap(x, dims, progress=progress, **params)
    raise ValueError(f"unknown projection '{method}'; use one of {', '.join(METHODS)}")


def kmeans(x: np.ndarray, k: int, metric: str = "cosine", seed: int = 0,
           progress: Progress | None = None) -> np.ndarray:
    """Cluster labels 0..k-1 in the original space (on unit vectors for cosine), numbered by size."""
    progress = ensure(progress)
    x = check_points(x, 2, "clustering")
    n = x.shape[0]
    if k < 2:
        raise ValueError("choose at least 2 clusters")
    if k > n:
        raise ValueError(f"{k} clusters need at least {k} points; there are {n}")
    data = unit_rows(x) if metric == "cosine" else x
    progress.report(None, f"k-means: {k} clusters of {n:,} points")
    progress.check()
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if n > 20_000:  # full k-means on 400k points takes minutes on two cores; mini-batch takes seconds
        model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
    else:
        model = KMeans(n_clusters=k, random_state=seed, n_init=4)
    labels = model.fit_predict(data)
    progress.check()
    # cluster 1 is the biggest: stable colours whatever order k-means found them in
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    rank = np.empty(k, np.int64)
    rank[order] = np.arange(k)
    return rank[labels].astype(np.int32)


class NeighbourIndex:
    """Nearest neighbours of a point among all points, in the original space (brute force, exact).

    One query over 400k x 50 vectors is a matrix-vector product of a few
    milliseconds, fast enough to answer a click at once.
    """

    def __init__(self, x: np.ndarray, unit: np.ndarray | None = None) -> None:
        self.x = check_points(x, 1, "a neighbour search")
        # unit rows already at hand (WordVectors keeps them) save a copy of the matrix
        self._unit: np.ndarray | None = unit if unit is not None and unit.shape == self.x.shape else None
        self._sq_norms: np.ndarray | None = None

    def prepare(self) -> "NeighbourIndex":
        """Precompute what queries need (do it off the GUI thread for big sets)."""
        _ = self.unit, self.sq_norms
        return self

    @property
    def unit(self) -> np.ndarray:
        if self._unit is None:
            self._unit = unit_rows(self.x)
        return self._unit

    @property
    def sq_norms(self) -> np.ndarray:
        if self._sq_norms is None:
            self._sq_norms = np.einsum("ij,ij->i", self.x, self.x)
        return self._sq_norms

    def query(self, index: int, k: int = 10, metric: str = "cosine") -> list[tuple[int, float]]:
        """The k nearest other points as (index, score): cosine similarity (high first) or distance (low first)."""
        return self.query_vector(self.x[index], k, metric, exclude=index)

    def query_vector(self, vector: np.ndarray, k: int = 10, metric: str = "cosine",
                     exclude: int | None = None) -> list[tuple[int, float]]:
        n = self.x.shape[0]
        k = min(k, n - (1 if exclude is not None else 0))
        if k <= 0:
            return []
        with one_blas_thread():
            scores, key = self._scores(np.asarray(vector, dtype=np.float32), metric)
        if exclude is not None:
            key[exclude] = np.inf
        top = np.argpartition(key, k - 1)[:k]
        top = top[np.argsort(key[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]

    def _scores(self, vector: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(scores to show, keys to sort ascending)."""
        if metric == "cosine":
            norm = float(np.linalg.norm(vector))
            scores = self.unit @ (vector / norm if norm else vector)
            key = -scores
        elif metric == "euclidean":
            sq = self.sq_norms - 2.0 * (self.x @ vector) + float(vector @ vector)
            scores = np.sqrt(np.clip(sq, 0, None))
            key = scores.copy()
        else:
            raise ValueError(f"unknown metric '{metric}'; use one of {', '.join(METRICS)}")
        return scores, key
