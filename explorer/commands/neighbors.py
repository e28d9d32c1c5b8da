"""`llm-explorer neighbors --vectors glove-50d --word W --k K [--json]`: nearest words by cosine."""
from __future__ import annotations

from explorer.commands._vectors_arg import add_vectors_arguments, load_vectors, print_results


def register(subparsers) -> None:
    parser = subparsers.add_parser("neighbors", help="nearest words to a word (cosine on unit vectors)")
    parser.add_argument("--word", required=True, help="the word to look up")
    add_vectors_arguments(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import CliError
    from explorer.commands._text_input import check_text
    from explorer.core.word_vectors import WordNotFound, neighbours

    word = check_text(args.word, "--word")
    vectors = load_vectors(args)
    try:
        results = neighbours(vectors, word, args.k)
    except (WordNotFound, ValueError) as exc:
        raise CliError(str(exc)) from exc
    print_results(args, results)
    return 0
