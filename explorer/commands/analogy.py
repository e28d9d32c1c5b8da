"""`llm-explorer analogy --vectors glove-50d --positive A B --negative C --k K [--json]`: 3CosAdd."""
from __future__ import annotations

from explorer.commands._vectors_arg import add_vectors_arguments, load_vectors, print_results


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "analogy", help="word arithmetic: --positive king woman --negative man -> queen (3CosAdd)")
    parser.add_argument("--positive", nargs="+", required=True, metavar="WORD", help="words to add")
    parser.add_argument("--negative", nargs="*", default=[], metavar="WORD", help="words to subtract")
    add_vectors_arguments(parser)
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import CliError
    from explorer.commands._text_input import check_words
    from explorer.core.word_vectors import WordNotFound, analogy

    positive, negative = check_words(args.positive, "--positive"), check_words(args.negative, "--negative")
    vectors = load_vectors(args)
    try:
        result = analogy(vectors, positive, negative, args.k)
    except (WordNotFound, ValueError) as exc:
        raise CliError(str(exc)) from exc
    print_results(args, result.results)
    return 0
