"""Skip-gram with negative sampling (Mikolov et al. 2013), trained in torch on minibatches of word pairs.

The recipe is gensim's (and the original C tool's):
- frequent words are dropped at random before the windows are drawn: a word
  of count c is kept with probability (sqrt(c / t) + 1) * t / c, t = sample x
  (words in the vocabulary), at most 1;
- each centre word draws its own window size uniformly from 1 to `window`;
- for every (centre, context) pair, `negative` words are drawn from the
  unigram distribution raised to 0.75 (a negative equal to the true context
  word is skipped);
- two matrices: W (the word vectors, what is saved) starts at
  uniform(-0.5, 0.5) / dim, C (context vectors) at zero;
- the learning rate falls linearly from 0.025 to 0.0001 over all epochs.

What differs, for speed without a C extension: pairs are processed in
minibatches of `batch_pairs` (in text order); every pair of a minibatch
sees the vectors as they were at its start, and the updates are added
row by row with `index_add_` (sparse: only the rows of the minibatch's
words are read and written, no autograd, no dense optimiser).

For one pair (centre w, context c, negatives n1..nk), with v = W[w] and
u_j = C[t_j] for the targets t = (c, n1, .., nk) and labels y = (1, 0, .., 0):
    f_j = v . u_j,   s_j = sigmoid(f_j),   loss = -log s_0 - sum_j>0 log(1 - s_j)
    g_j = lr * (y_j - s_j)
    W[w]   += sum_j g_j u_j        C[t_j] += g_j v
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from explorer.core.progress import Progress, ensure
from explorer.core.word2vec.corpus import MAX_SENTENCE, Corpus, Vocabulary, build_vocabulary, tokenise

BLOCK_WORDS = 50_000  # words of text turned into pairs at once
CACHE_WORDS = 30_000_000  # corpora up to this size keep their word ids in memory after the first epoch
SNAPSHOT_EVERY_S = 0.7
LOSS_EVERY = 4  # minibatches between two loss samples (the loss costs a fifth of a step)
VOCAB_SHARE = 0.05  # of the progress bar, for the counting pass


@dataclass
class Settings:
    dim: int = 100
    window: int = 5
    negative: int = 5
    min_count: int = 5
    epochs: int = 3
    seed: int = 1
    sample: float = 1e-3
    alpha: float = 0.025
    min_alpha: float = 0.0001
    batch_pairs: int = 1024  # 1024 x 6 targets x 100 floats stay in the CPU cache: faster than 2048 or 4096
    threads: int | None = None  # torch CPU threads; None: the cores other programs leave free
    # visit the sentences in a new random order each epoch (when the corpus fits in memory): the live tab
    # does, so every book shows early; gensim and the CLI read in order
    shuffle: bool = False

    def problems(self) -> list[str]:
        """What is wrong with these settings, one sentence each (empty when they are usable)."""
        out = []
        for name, low, high in (("dim", 1, 1000), ("window", 1, 50), ("negative", 1, 50),
                                ("min_count", 1, 1_000_000), ("epochs", 1, 1000), ("batch_pairs", 1, 1 << 20)):
            value = getattr(self, name)
            if not isinstance(value, int) or not low <= value <= high:
                out.append(f"{name.replace('_', ' ')} must be a whole number from {low} to {high} (got {value})")
        if not 0 <= self.sample < 1:
            out.append(f"sample must be from 0 to 1 (got {self.sample})")
        if not 0 < self.alpha <= 1 or not 0 <= self.min_alpha <= self.alpha:
            out.append("the learning rate must fall from a start in (0, 1] to an end from 0 to the start")
        return out


@dataclass
class StepLayout:
    """One real training pair, before its update: every number the lecture's diagram shows."""

    centre: str
    context: str
    negatives: list[str]
    centre_vector: np.ndarray  # W[centre], [dim]
    target_vectors: np.ndarray  # C[context], C[negatives...], [1 + k, dim]
    dots: np.ndarray  # [1 + k]
    sigmoids: np.ndarray
    labels: np.ndarray  # 1 for the context word, 0 for the negatives
    lr: float
    gradients: np.ndarray  # g_j = lr * (label - sigmoid) (0 for a skipped negative)
    loss: float
    centre_update: np.ndarray  # what this pair adds to W[centre]: sum_j g_j u_j


def lay_out_step(centre: str, context: str, negatives: Sequence[str], centre_vector: np.ndarray,
                 target_vectors: np.ndarray, lr: float, skipped: Sequence[bool] | None = None) -> StepLayout:
    """The numbers of one pair, computed in float64 from its vectors (what the tab shows)."""
    v = np.asarray(centre_vector, dtype=np.float64)
    u = np.asarray(target_vectors, dtype=np.float64)
    labels = np.zeros(len(u))
    labels[0] = 1.0
    dots = u @ v
    sig = 1.0 / (1.0 + np.exp(-dots))
    live = np.ones(len(u), dtype=bool) if skipped is None else ~np.r_[False, np.asarray(skipped, dtype=bool)]
    grads = np.where(live, lr * (labels - sig), 0.0)
    eps = 1e-12
    loss = float(-np.log(sig[0] + eps) - np.sum(np.log(1.0 - sig[1:] + eps)[live[1:]]))
    return StepLayout(centre, context, list(negatives), v, u, dots, sig, labels, float(lr), grads, loss,
                      grads @ u)


@dataclass
class TrainResult:
    words: list[str]
    counts: np.ndarray
    vectors: np.ndarray  # [V, dim] float32: W, the word vectors
    settings: Settings
    corpus: str
    corpus_words: int
    seconds: float  # training passes only (not the counting pass)
    vocab_seconds: float
    losses: list[tuple[int, float]] = field(default_factory=list)  # (words done, mean pair loss)

    @property
    def words_per_second(self) -> float:
        return self.corpus_words * self.settings.epochs / max(self.seconds, 1e-9)

    def summary(self) -> dict:
        return {"corpus": self.corpus, "corpus_words": self.corpus_words, "vocabulary": len(self.words),
                "settings": asdict(self.settings), "train_seconds": round(self.seconds, 2),
                "count_seconds": round(self.vocab_seconds, 2), "words_per_second": round(self.words_per_second),
                "final_loss": round(self.losses[-1][1], 4) if self.losses else None}


def keep_probabilities(counts: np.ndarray, sample: float) -> np.ndarray:
    """Chance that each word survives subsampling (gensim's formula; 1 when sample is 0)."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(counts)
    threshold = sample * counts.sum()
    return np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)


TABLE_SIZE = 10_000_000


def negative_table(counts: np.ndarray, power: float = 0.75, size: int = TABLE_SIZE) -> np.ndarray:
    """The C tool's unigram table: word i fills a share count_i^0.75 / sum of its `size` slots, so a
    uniformly drawn slot is a draw from unigram^0.75 (a lookup: faster than a search per draw)."""
    weights = np.asarray(counts, dtype=np.float64) ** power
    bounds = np.round(np.cumsum(weights) / weights.sum() * size).astype(np.int64)
    return np.repeat(np.arange(len(weights), dtype=np.int64), np.diff(np.r_[0, bounds]))


def draw_negatives(rng: np.random.Generator, table: np.ndarray, shape) -> np.ndarray:
    return table[rng.integers(0, len(table), shape)]


def window_pairs(ids: np.ndarray, sentence: np.ndarray, window: int, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(centres, contexts) in text order: each centre draws a window from 1 to `window` words per side;
    pairs never cross a sentence boundary."""
    n = len(ids)
    reduced = window - rng.integers(0, window, n)  # gensim: b = random in [0, window), window - b
    offsets = np.r_[np.arange(-window, 0), np.arange(1, window + 1)]
    positions = np.arange(n)[:, None] + offsets[None, :]
    inside = (positions >= 0) & (positions < n)
    clipped = np.clip(positions, 0, n - 1)
    valid = inside & (np.abs(offsets)[None, :] <= reduced[:, None]) & (sentence[clipped] == sentence[:, None])
    rows, cols = np.nonzero(valid)
    return ids[rows], ids[clipped[rows, cols]]


@dataclass
class _Block:
    """The pairs of one block of text, and how far training has gone through them."""

    centres: np.ndarray
    contexts: np.ndarray
    raw_words: int  # corpus words the block covers (before subsampling)
    start_words: int  # words done when the block began
    first: int = 0  # the next pair to train


class Trainer:
    """State of one training run; `run()` does the passes (see the module docstring)."""

    def __init__(self, corpus: Corpus, settings: Settings, progress: Progress | None = None,
                 watched: Sequence[str] = (), snapshots: bool = False, map_words: int = 300,
                 vocab: Vocabulary | None = None) -> None:
        problems = settings.problems()
        if problems:
            raise ValueError(problems[0])
        self.corpus, self.settings = corpus, settings
        self.progress = ensure(progress)
        self.watched = list(watched)
        self.snapshots = snapshots
        self.map_words = map_words
        self.vocab = vocab
        self.losses: list[tuple[int, float]] = []
        self._steps = 0
        self._loss_sum, self._loss_n = 0.0, 0
        self._cache: list[tuple[np.ndarray, int]] | None = []
        self._texts: list[tuple[int, str]] | None = []  # the corpus text kept from the counting pass
        self._previous_map: np.ndarray | None = None
        self._last_snapshot = 0.0
        self._passes: Iterator[tuple[np.ndarray, np.ndarray, int]] | None = None  # the blocks still to train
        self._block: _Block | None = None  # the block being trained (its pairs), when a run stopped inside it
        self._vocab_seconds = 0.0
        self._seconds = 0.0  # time spent in the training passes so far (not counting, not paused)

    # --- the passes ---
    def run(self, progress: Progress | None = None) -> TrainResult:
        """Train to the end and return the vectors. Resumable: when `progress.check()` raises (a pause or a
        Cancel), the trainer stops between two minibatches, and `run()` again goes on from there (with
        `progress`, a new reporter) exactly as if it had not stopped."""
        import torch

        from explorer.core.threads import cpu_threads, torch_threads

        if progress is not None:
            self.progress = ensure(progress)
        if self._passes is None:
            self._prepare()  # stopped while counting: counting starts again
            self._passes = self._epoch_blocks()
        s = self.settings
        self._segment_start = time.perf_counter()
        self._last_snapshot = self._segment_start
        try:
            with torch.no_grad(), torch_threads(s.threads or cpu_threads()):
                while True:
                    if self._block is None:
                        block = next(self._passes, None)
                        if block is None:
                            break
                        self._block = self._pairs_of(*block)
                    self._train_block(self._block)
                    self._block = None
        finally:
            self._seconds += time.perf_counter() - self._segment_start
        self._cache = self._texts = None  # every pass is done: the corpus need not stay in memory
        self._flush_loss()
        if self.snapshots:
            self.progress.partial(self.snapshot(final=True))
        return TrainResult(list(self.vocab.words), self.vocab.counts, self.W.numpy().copy(), s, self.corpus.name,
                           self.vocab.corpus_words, self._seconds, self._vocab_seconds, list(self.losses))

    def _prepare(self) -> None:
        """The counting pass (unless a vocabulary was given), then the two matrices and the sampling tables."""
        import torch

        s = self.settings
        start = time.perf_counter()
        if self.vocab is None:
            self._texts = []
            self.vocab = build_vocabulary(self.corpus, s.min_count, s.window, self.progress, VOCAB_SHARE,
                                          keep_text=self._texts)
        if not self._texts:  # vocabulary given, or the text was too long to keep
            self._texts = None
        self._vocab_seconds = time.perf_counter() - start
        self.rng = np.random.default_rng(s.seed)
        generator = torch.Generator().manual_seed(s.seed)
        V = len(self.vocab)
        self.W = (torch.rand(V, s.dim, generator=generator) - 0.5) / s.dim
        self.C = torch.zeros(V, s.dim)
        self.keep = keep_probabilities(self.vocab.counts, s.sample)
        self.table = negative_table(self.vocab.counts)
        self.total_words = self.vocab.corpus_words * s.epochs
        self.words_done = 0
        self.epoch = 0
        self._loss_sum, self._loss_n = 0.0, 0

    def _epoch_blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        for epoch in range(self.settings.epochs):
            self.epoch = epoch
            yield from self._blocks()

    def _id_stream(self) -> Iterator[tuple[np.ndarray, int]]:
        """(word ids of one sentence, its length in corpus words), rare words already dropped; sentences are
        cut as `Corpus.sentences()` cuts them (10,000 corpus words, a new file starts a new one)."""
        get = self.vocab.index.get
        parts: list[np.ndarray] = []
        raw = 0
        current_file = 0
        for i, text in (self._texts if self._texts is not None else self.corpus.pieces(None)):
            if i != current_file and raw:
                ids = np.concatenate(parts)
                yield ids[ids >= 0], raw
                parts, raw = [], 0
            current_file = i
            ids = np.array([get(w, -1) for w in tokenise(text)], dtype=np.int64)
            position = 0
            while position < len(ids):
                take = min(MAX_SENTENCE - raw, len(ids) - position)
                parts.append(ids[position:position + take])
                raw += take
                position += take
                if raw == MAX_SENTENCE:
                    joined = np.concatenate(parts)
                    yield joined[joined >= 0], raw
                    parts, raw = [], 0
        if raw:
            ids = np.concatenate(parts)
            yield ids[ids >= 0], raw

    def _sentences(self) -> Iterator[tuple[np.ndarray, int]]:
        """The sentences of one epoch: in order, or with `shuffle` (and a corpus that fits in memory: its
        text kept by the counting pass, or its word ids by the first epoch) in a new random order each
        epoch, so every book is seen early and the live view shows sensible neighbours within seconds."""
        if self.settings.shuffle and self._texts is not None and self.epoch == 0:
            self._cache = list(self._id_stream())
            self._texts = None
        if self._cache is not None and (self.epoch > 0 or self._texts is None and self._cache):
            order = (self.rng.permutation(len(self._cache)) if self.settings.shuffle
                     else range(len(self._cache)))
            for i in order:
                yield self._cache[i]
            return
        kept = 0
        for ids, raw in self._id_stream():
            if self._cache is not None:
                kept += len(ids)
                if kept > CACHE_WORDS:
                    self._cache = None
                else:
                    self._cache.append((ids, raw))
            yield ids, raw

    def _blocks(self) -> Iterator[tuple[np.ndarray, np.ndarray, int]]:
        """About BLOCK_WORDS corpus words at a time: (ids, sentence number of each, corpus words)."""
        parts: list[np.ndarray] = []
        raw = 0
        for ids, sentence_raw in self._sentences():
            parts.append(ids)
            raw += sentence_raw
            if raw >= BLOCK_WORDS:
                yield self._join(parts) + (raw,)
                parts, raw = [], 0
        if raw:
            yield self._join(parts) + (raw,)

    @staticmethod
    def _join(parts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        sentence = np.repeat(np.arange(len(parts)), [len(p) for p in parts])
        return np.concatenate(parts) if parts else np.zeros(0, np.int64), sentence

    def _pairs_of(self, ids: np.ndarray, sentence: np.ndarray, raw_words: int) -> "_Block":
        """Subsample a block of text and draw its (centre, context) pairs."""
        keep = self.rng.random(len(ids)) < self.keep[ids]
        ids, sentence = ids[keep], sentence[keep]
        centres, contexts = window_pairs(ids, sentence, self.settings.window, self.rng)
        return _Block(centres, contexts, raw_words, self.words_done)

    def _train_block(self, block: "_Block") -> None:
        """Train a block's pairs from `block.first` on, a minibatch at a time, checking for a stop before each."""
        import torch

        s = self.settings
        centres, contexts = block.centres, block.contexts
        n_pairs = len(centres)
        lr = s.alpha
        while block.first < n_pairs:
            self.progress.check()
            first = block.first
            last = min(n_pairs, first + s.batch_pairs)
            done = block.start_words + block.raw_words * first / max(1, n_pairs)
            lr = max(s.min_alpha, s.alpha - (s.alpha - s.min_alpha) * done / self.total_words)
            negatives = draw_negatives(self.rng, self.table, (last - first, s.negative))
            due = self.snapshots and time.perf_counter() - self._last_snapshot > SNAPSHOT_EVERY_S
            if due:  # the first pair of this minibatch, with its vectors before the update
                c, o, negs = int(centres[first]), int(contexts[first]), negatives[0].copy()
                pair = (c, o, negs, lr, self.W[c].numpy().copy(), self.C[[o, *negs.tolist()]].numpy().copy())
            self.step(torch.from_numpy(centres[first:last]), torch.from_numpy(contexts[first:last]),
                      torch.from_numpy(negatives), lr)
            block.first = last
            self.words_done = block.start_words + int(block.raw_words * last / n_pairs)
            if due:
                self._flush_loss()
                self.progress.partial(self.snapshot(step_pair=pair))
                self._last_snapshot = time.perf_counter()
        self.words_done = block.start_words + block.raw_words
        if self._loss_n >= 50_000 or not self.snapshots:
            self._flush_loss()
        fraction = VOCAB_SHARE + (1 - VOCAB_SHARE) * self.words_done / self.total_words
        elapsed = self._seconds + time.perf_counter() - self._segment_start
        self.progress.report(min(1.0, fraction), f"Epoch {self.epoch + 1} of {s.epochs}: "
                             f"{self.words_done / max(elapsed, 1e-9) / 1000:.0f}k words/s, lr {lr:.4f}")

    def step(self, centres, contexts, negatives, lr: float) -> None:
        """One minibatch of pairs: centres [B], contexts [B], negatives [B, k] (torch int64)."""
        import torch

        k1 = negatives.shape[1] + 1
        targets = torch.cat([contexts[:, None], negatives], dim=1).reshape(-1)  # [B * (1 + k)]
        # index_select, not W[centres]: advanced indexing is several times slower on the CPU
        v = torch.index_select(self.W, 0, centres)  # [B, d]
        u = torch.index_select(self.C, 0, targets).view(-1, k1, v.shape[1])  # [B, 1 + k, d]
        dots = (u * v[:, None, :]).sum(2)  # [B, 1 + k]; faster than bmm for these thin products
        # g = lr * (label - sigmoid): label 1 for the context, 0 for a negative (0 for a negative that is the
        # context word: gensim skips it)
        g = torch.sigmoid(dots).neg_()
        g[:, 0] += 1.0
        skipped = negatives == contexts[:, None]
        g[:, 1:].masked_fill_(skipped, 0.0)
        g *= lr
        if self._steps % LOSS_EVERY == 0:  # the curve needs a sample, not every step
            signed = torch.cat([dots[:, :1], -dots[:, 1:]], dim=1)
            logs = torch.nn.functional.logsigmoid(signed)
            logs[:, 1:].masked_fill_(skipped, 0.0)
            self._loss_sum -= float(logs.sum())
            self._loss_n += int(centres.shape[0])
        self._steps += 1
        self.W.index_add_(0, centres, torch.bmm(g[:, None, :], u).squeeze(1))
        self.C.index_add_(0, targets, (g[:, :, None] * v[:, None, :]).reshape(-1, v.shape[1]))

    def _flush_loss(self) -> None:
        if self._loss_n:
            self.losses.append((int(self.words_done), self._loss_sum / self._loss_n))
            self._loss_sum, self._loss_n = 0.0, 0

    # --- what the tab shows while it trains ---
    def snapshot(self, step_pair: tuple | None = None, final: bool = False) -> dict:
        from explorer.core.word2vec.live import snapshot

        return snapshot(self, step_pair, final)


def train(corpus: Corpus, settings: Settings, progress: Progress | None = None) -> TrainResult:
    """Count the words, then train skip-gram with negative sampling; `progress` reports and cancels."""
    return Trainer(corpus, settings, progress).run()

