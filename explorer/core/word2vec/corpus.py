"""The text word2vec learns from: files read as a stream of lower-case words, and their vocabulary.

Tokenisation rule: the text is lower-cased and every run of letters is a word
(`[^\\W\\d_]+`: letters of any script; digits, punctuation, apostrophes and
hyphens separate words, so "don't" is "don" + "t"). On the Gutenberg books
this gives 2,136,080 words, 15,490 of them distinct and seen at least 5 times.

Nothing is loaded whole: files are read in 1 MB pieces (a 500 MB file costs
a few MB of memory), first to count the words, then once per epoch to train.
Each file is a document; the stream is cut into sentences of at most
10,000 words (gensim's limit), so a window never spans two files.
"""
from __future__ import annotations

import codecs
import gzip
import lzma
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from explorer.core.progress import Progress, ensure

WORD = re.compile(r"[^\W\d_]+")
MAX_SENTENCE = 10_000  # words per sentence, as gensim's MAX_WORDS_IN_BATCH
CHUNK_CHARS = 1 << 20
SNIFF_BYTES = 1 << 16
TEXT_SUFFIXES = (".txt", ".text", ".md", ".txt.gz", ".txt.xz")
# more distinct words than this during counting: drop the rarest (gensim's max_vocab_size idea), so a
# huge corpus cannot fill the memory with typos
MAX_COUNTED_WORDS = 5_000_000
KEEP_CHARS = 100_000_000  # text kept in memory between the counting pass and training (about 17M words)


class CorpusError(ValueError):
    """A corpus that cannot be trained on; the message says what is wrong and where."""


def tokenise(text: str) -> list[str]:
    """Lower-cased runs of letters."""
    return WORD.findall(text.lower())


def count_words(text: str) -> int:
    return sum(1 for _ in WORD.finditer(text))


def _decompressed(path: Path, raw):
    """`raw` (an open binary file) read through xz or gzip when the name says so."""
    name = path.name.lower()
    if name.endswith(".xz"):
        return lzma.LZMAFile(raw)
    if name.endswith(".gz"):
        return gzip.GzipFile(fileobj=raw)
    return raw


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    # control characters other than tab / new line / form feed / carriage return: not text
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return control > 0.05 * max(1, len(sample))


def _encoding(sample: bytes) -> str:
    try:
        sample.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the end of the sample is still UTF-8
        if exc.start >= len(sample) - 3:
            return "utf-8-sig"
        return "latin-1"


@dataclass
class Corpus:
    """Text files read in order; `name` is what the user sees."""

    name: str
    files: list[Path]
    encodings: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)

    def pieces(self, progress: Progress | None = None, start: float = 0.0, span: float = 1.0,
               message: str = "") -> Iterator[tuple[int, str]]:
        """(file index, about 1 MB of text cut at a space), reporting the share of bytes read."""
        progress = ensure(progress)
        total = max(1, self.total_bytes)
        done = 0
        for i, (path, encoding) in enumerate(zip(self.files, self.encodings)):
            with open(path, "rb") as raw:
                stream = _decompressed(path, raw)
                try:
                    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
                    carry = ""
                    while True:
                        block = stream.read(CHUNK_CHARS)
                        text = carry + decoder.decode(block, final=not block)
                        if not block:
                            if text:
                                yield i, text
                            break
                        cut = max(text.rfind(" "), text.rfind("\n"))
                        if cut < 0 and len(text) < 4 * CHUNK_CHARS:
                            carry = text
                            continue
                        cut = len(text) if cut < 0 else cut
                        carry = text[cut:]
                        yield i, text[:cut]
                        progress.check()
                        position = raw.tell()
                        progress.report(start + span * min(1.0, (done + position) / total), message)
                finally:
                    if stream is not raw:
                        stream.close()
            done += path.stat().st_size

    def sentences(self, progress: Progress | None = None) -> Iterator[list[str]]:
        """Lists of at most 10,000 words; a new file starts a new sentence (what gensim is given)."""
        current: list[str] = []
        current_file = 0
        for i, text in self.pieces(progress):
            if i != current_file and current:
                yield current
                current = []
            current_file = i
            current.extend(tokenise(text))
            while len(current) >= MAX_SENTENCE:
                yield current[:MAX_SENTENCE]
                current = current[MAX_SENTENCE:]
        if current:
            yield current


def _text_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(TEXT_SUFFIXES)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def open_corpus(path: str | Path, name: str | None = None) -> Corpus:
    """A text file (.txt, also .gz / .xz) or a folder of them; raises `CorpusError` for missing, empty or
    binary files."""
    path = Path(path)
    if not path.exists():
        raise CorpusError(f"{path} does not exist")
    if path.is_dir():
        files = _text_files(path)
        if not files:
            raise CorpusError(f"{path} holds no text files ({', '.join(TEXT_SUFFIXES)})")
    else:
        files = [path]
    encodings = []
    for file in files:
        try:
            with open(file, "rb") as raw:
                sample = _decompressed(file, raw).read(SNIFF_BYTES)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise CorpusError(f"{file.name} cannot be read: {exc}") from exc
        if not sample and len(files) == 1:
            raise CorpusError(f"{file.name} is empty: there is no text to learn from")
        if _looks_binary(sample):
            raise CorpusError(f"{file.name} looks like a binary file, not text: give a plain text file")
        encodings.append(_encoding(sample))
    return Corpus(name or path.name, files, encodings)


@dataclass
class Vocabulary:
    """Words seen at least `min_count` times, most frequent first, and the corpus size."""

    words: list[str]
    counts: np.ndarray  # int64, one per word
    corpus_words: int  # every word of the corpus, rare ones included
    index: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.index:
            self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)


def build_vocabulary(corpus: Corpus, min_count: int = 5, window: int = 5,
                     progress: Progress | None = None, span: float = 1.0,
                     keep_text: list | None = None) -> Vocabulary:
    """Count every word in one pass; raises `CorpusError` when there is too little text to train on.

    `keep_text`, a list, receives the (file, text) pieces while they stay under KEEP_CHARS in all (then
    it is emptied): training on a small corpus need not read and decompress it again."""
    from collections import Counter

    counts: Counter[str] = Counter()
    total = 0
    prune_below = 1
    kept_chars = 0
    for i, text in corpus.pieces(progress, 0.0, span, "Counting words…"):
        if keep_text is not None and kept_chars >= 0:
            kept_chars += len(text)
            if kept_chars > KEEP_CHARS:
                keep_text.clear()
                kept_chars = -1
            else:
                keep_text.append((i, text))
        words = tokenise(text)
        total += len(words)
        counts.update(words)
        if len(counts) > MAX_COUNTED_WORDS:
            prune_below += 1
            for word in [w for w, c in counts.items() if c < prune_below]:
                del counts[word]
    if total == 0:
        raise CorpusError(f"{corpus.name} holds no words (letters): there is nothing to learn from")
    if total <= window:
        raise CorpusError(f"{corpus.name} has {total} word{'s' * (total != 1)}, not more than the window "
                          f"({window}): give a longer text")
    kept = [(w, c) for w, c in counts.items() if c >= min_count]
    kept.sort(key=lambda wc: -wc[1])  # stable: ties keep the order of first appearance
    if len(kept) < 2:
        raise CorpusError(f"{corpus.name}: {len(kept)} distinct word{'s' * (len(kept) != 1)} appear at least "
                          f"{min_count} times (min count): give a longer text or lower the min count")
    return Vocabulary([w for w, _ in kept], np.array([c for _, c in kept], dtype=np.int64), total)
