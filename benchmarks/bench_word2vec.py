"""word2vec trained here vs gensim on the 18 Gutenberg books: words per second, and how alike the vectors are.

Settings of issue 15: skip-gram, dim 100, window 5, 5 negatives, min count 5,
3 epochs, sample 1e-3, both fed the same sentences (explorer's tokenisation).
Agreement: Spearman correlation of the cosines of 4,000 random pairs of the
2,000 most frequent words, and the mean share of common top-10 neighbours
over those 2,000 words. gensim is a bench/test dependency only.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

FREQUENT = 2000
PAIRS = 4000


def agreement(a: np.ndarray, b: np.ndarray, seed: int = 0) -> tuple[float, float]:
    """(Spearman of pair cosines, mean top-10 overlap) over the first FREQUENT rows of two aligned matrices."""
    from scipy.stats import spearmanr

    from explorer.core.vectors import unit_rows

    ua, ub = (unit_rows(m[:FREQUENT].astype(np.float64), dtype=None) for m in (a, b))
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(ua), PAIRS), rng.integers(0, len(ua), PAIRS)
    keep = i != j
    rho = spearmanr((ua[i] * ua[j]).sum(1)[keep], (ub[i] * ub[j]).sum(1)[keep]).statistic
    overlaps = []
    for ux, uy in ((ua, ub),):
        sa, sb = ux @ ux.T, uy @ uy.T
        np.fill_diagonal(sa, -2)
        np.fill_diagonal(sb, -2)
        ta, tb = np.argsort(-sa, 1)[:, :10], np.argsort(-sb, 1)[:, :10]
        overlaps = [len(set(x) & set(y)) / 10 for x, y in zip(ta, tb)]
    return float(rho), float(np.mean(overlaps))


def run(epochs: int = 3) -> list[dict]:
    from explorer.core.word2vec.corpus import build_vocabulary
    from explorer.models.corpora import gutenberg
    from explorer.core.word2vec.train import Settings, Trainer

    corpus = gutenberg()
    settings = Settings(epochs=epochs)
    vocab = build_vocabulary(corpus, settings.min_count, settings.window)
    ours = Trainer(corpus, settings, vocab=vocab).run()
    rows = [{"benchmark": "word2vec", "metric": "ours words/s", "value": ours.words_per_second, "unit": "words/s",
             "budget": None, "ok": None},
            {"benchmark": "word2vec", "metric": "ours train time", "value": ours.seconds, "unit": "s",
             "budget": None, "ok": None}]
    try:
        from gensim.models import Word2Vec
    except ImportError:
        return rows + [{"benchmark": "word2vec", "metric": "gensim missing", "value": float("nan"), "unit": "",
                        "budget": None, "ok": None}]
    sentences = list(corpus.sentences())
    model = Word2Vec(vector_size=100, window=5, negative=5, min_count=5, sg=1, workers=2, seed=1, epochs=epochs,
                     sample=1e-3)
    model.build_vocab(sentences)
    start = time.perf_counter()
    model.train(sentences, total_examples=model.corpus_count, epochs=epochs)
    g_seconds = time.perf_counter() - start
    g_wps = sum(len(s) for s in sentences) * epochs / g_seconds
    order = [model.wv.key_to_index[w] for w in ours.words]  # gensim's rows in our vocabulary's order
    rho, overlap = agreement(ours.vectors, model.wv.vectors[order])
    ratio = ours.words_per_second / g_wps
    return rows + [
        {"benchmark": "word2vec", "metric": "gensim words/s (2 workers)", "value": g_wps, "unit": "words/s",
         "budget": None, "ok": None},
        {"benchmark": "word2vec", "metric": "speed ours / gensim", "value": ratio, "unit": "x", "budget": ">= 0.5",
         "ok": ratio >= 0.5},
        {"benchmark": "word2vec", "metric": "Spearman of 4000 pair cosines", "value": rho, "unit": "",
         "budget": ">= 0.9", "ok": rho >= 0.9},
        {"benchmark": "word2vec", "metric": "shared top-10 neighbours", "value": overlap, "unit": "",
         "budget": ">= 0.5", "ok": overlap >= 0.5}]


if __name__ == "__main__":
    result = run(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    print(json.dumps(result, indent=1))
