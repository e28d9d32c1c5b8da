"""Shared by `neighbors` and `analogy`: turn --vectors (a catalogue id or a file) into WordVectors."""
from __future__ import annotations

from pathlib import Path

from explorer.core.word_vectors import WordVectors
from explorer.core.safe_paths import expand_user


def add_vectors_arguments(parser) -> None:
    parser.add_argument("--vectors", default="glove-50d",
                        help="word vectors: a catalogue id (glove-50d), a folder from train-word2vec, or a file (TSV/CSV/word2vec text with "
                             "the word first on each line, or .npy with --metadata)")
    parser.add_argument("--metadata", help="labels for a vectors file without words (one per line, TSV)")
    parser.add_argument("--k", type=int, default=10, help="how many results (default 10)")
    parser.add_argument("--json", action="store_true", help='print {"results": [{"word", "score"}]}')


def load_vectors(args) -> WordVectors:
    """The vectors --vectors names; call it after checking the words (it reads up to 400,000 vectors)."""
    from explorer.cli import CliError
    from explorer.commands._paths import check_input_file
    from explorer.commands._text_input import check_text

    if args.k < 1:
        raise CliError("--k must be at least 1")
    check_text(args.vectors, "--vectors")
    path = expand_user(args.vectors)
    if _is_dir(path):  # a folder written by train-word2vec: its vectors file
        from explorer.core.word2vec.files import vectors_in_dir

        found = vectors_in_dir(path)
        if found is None:
            raise CliError(f"--vectors: {path} is a folder without a vectors file (vectors.txt, .tsv, .vec or .npy)")
        args.vectors = str(found)
        path = found
    # a path (a catalogue id never holds a slash), or a file name here with an extension
    if "/" in args.vectors or "\\" in args.vectors or (path.suffix and _exists(path)):
        from explorer.core.vector_files import VectorFileError, load_vector_files

        path = check_input_file(args.vectors, "--vectors")
        metadata = check_input_file(args.metadata, "--metadata") if args.metadata is not None else None
        try:
            data = load_vector_files(path, metadata)
        except VectorFileError as exc:
            raise CliError(str(exc)) from exc
        name = path.parent.name if path.name.startswith("vectors.") else path.name
        return WordVectors(name, data.labels, data.vectors)
    from explorer.models import catalogue
    from explorer.models.word_vectors import load_word_vectors

    known = ", ".join(e.id for e in catalogue.entries("word-vectors"))
    try:
        entry = catalogue.find(args.vectors, "word-vectors")
    except catalogue.UnknownModel:
        raise CliError(f"no word vectors called '{args.vectors}'; use one of: {known}, or a vectors file") from None
    if entry.hub_id:
        raise CliError(f"'{args.vectors}' is not a set of word vectors; use one of: {known}, or a vectors file")
    # the loader directly, not the model store: it would import torch to pick a device
    return load_word_vectors(entry).model


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    """Whether `path` names something; a name the system refuses (too long...) counts: it was meant as a file."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return True


def print_results(args, results) -> None:
    from explorer.cli import print_json

    if args.json:
        print_json({"results": [r.to_json() for r in results]})
        return
    width = max((len(r.word) for r in results), default=4)
    for rank, r in enumerate(results, 1):
        print(f"{rank:3}. {r.word:<{width}}  {r.score:.4f}")
