"""Row-vector maths shared by every topic: rows scaled to unit length, and the cosine between rows."""
from __future__ import annotations

import numpy as np


def unit_rows(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Each row divided by its length; an all-zero row stays zero instead of becoming NaN.

    A 1-d vector is taken as one row. The division is done in the input's precision (float64 for integer
    counts) and the result has `dtype` (None: that precision).
    """
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[None, :]
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    unit = x / np.where(norms > 0, norms, 1.0)
    return unit if dtype is None else unit.astype(dtype, copy=False)


def cosine_matrix(rows: np.ndarray) -> np.ndarray:
    """float32 [n, n] cosine between every pair of rows (computed in float64); a zero row has 0 with all."""
    unit = unit_rows(np.asarray(rows, dtype=np.float64), dtype=None)
    return (unit @ unit.T).astype(np.float32)
