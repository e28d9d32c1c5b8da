"""Where word2vec's corpora come from: the Gutenberg books shipped with the app, or the user's file or folder."""
from __future__ import annotations

from pathlib import Path

from explorer.core.word2vec.corpus import Corpus, open_corpus
from explorer.core.safe_paths import expand_user
from explorer.models.paths import resources_dir

GUTENBERG = "gutenberg"


def gutenberg_path() -> Path:
    return resources_dir() / "corpus" / "gutenberg.txt.xz"


def gutenberg() -> Corpus:
    """The 18 public-domain books of NLTK's Gutenberg selection (2.1 million words)."""
    return open_corpus(gutenberg_path(), "18 Gutenberg books")


def corpus_from(choice: str) -> Corpus:
    """'gutenberg' or a path to a text file or folder; raises CorpusError."""
    return gutenberg() if choice.strip().lower() == GUTENBERG else open_corpus(expand_user(choice))
