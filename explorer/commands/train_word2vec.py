"""`llm-explorer train-word2vec [--corpus gutenberg|PATH] [--dim 100] ... --out DIR`: skip-gram with negative
sampling, trained here; progress on stderr, vectors in DIR/vectors.txt for `neighbors --vectors DIR`."""
from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("train-word2vec", help="train word2vec (skip-gram, negative sampling) on the "
                                   "Gutenberg books or your text, and save the vectors")
    parser.add_argument("--corpus", default="gutenberg",
                        help="'gutenberg' (18 public-domain books, 2.1M words; the default) or a text file or "
                             "folder of .txt files")
    parser.add_argument("--dim", type=int, default=100, help="vector size (default 100)")
    parser.add_argument("--window", type=int, default=5, help="context words on each side, at most (default 5)")
    parser.add_argument("--negative", type=int, default=5, help="negative samples per pair (default 5)")
    parser.add_argument("--min-count", type=int, default=5, help="ignore words seen fewer times (default 5)")
    parser.add_argument("--epochs", type=int, default=3, help="passes over the corpus (default 3)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same vectors)")
    parser.add_argument("--out", required=True, help="folder for vectors.txt and training.json")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (and no progress on stderr)")
    parser.add_argument("--progress", action="store_true", help="with --json, still show progress on stderr")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import CliError, print_json
    from explorer.commands.train_mini_clip import StderrProgress
    from explorer.core.word2vec.corpus import CorpusError
    from explorer.core.word2vec.files import OutputError, check_output_dir, save_vectors
    from explorer.models.corpora import corpus_from
    from explorer.core.word2vec.train import Settings, Trainer

    settings = Settings(dim=args.dim, window=args.window, negative=args.negative, min_count=args.min_count,
                        epochs=args.epochs, seed=args.seed)
    problems = settings.problems()
    if problems:
        raise CliError("--" + problems[0].replace(" ", "-", 1) if problems[0].startswith("min count")
                       else "--" + problems[0])
    try:
        out = check_output_dir(args.out)
        corpus = corpus_from(args.corpus)
        progress = StderrProgress(quiet=args.json and not args.progress)
        # the counting pass raises CorpusError (too few words...) before any training step
        result = Trainer(corpus, settings, progress).run()
    except (CorpusError, OutputError) as exc:
        raise CliError(str(exc)) from None
    progress.report(1.0, "done")
    path = save_vectors(result, out)
    summary = {**result.summary(), "saved": str(path)}
    if args.json:
        print_json(summary)
    else:
        print(f"{len(result.words):,} word vectors saved in {path}")
        print(f"{result.corpus_words:,} words x {settings.epochs} epochs in {result.seconds:.1f} s "
              f"({result.words_per_second / 1000:.0f}k words/s), final loss {summary['final_loss']}")
    return 0
