"""`llm-explorer train-mini-clip [--steps N] [--json]`: train the small CLIP offline and save it.

Progress goes to stderr (with --json, only if --progress asks); the summary
(where it was saved, how accurate it is) to stdout. Accuracy comes as two figures on fresh images,
each classified among all 24 colour-shape prompts: new images of the pairs it trained on, and true
zero-shot on the pairs training never showed (`held_out_pairs`).
"""
from __future__ import annotations

import sys
import time


def register(subparsers) -> None:
    parser = subparsers.add_parser("train-mini-clip", help="train the small image-text model on generated shapes "
                                   "(offline, about 2-3 minutes on a CPU) and save it")
    parser.add_argument("--steps", type=int, default=None, help="training steps (default: the full size, 300)")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON (and no progress on stderr)")
    parser.add_argument("--progress", action="store_true", help="with --json, still show progress on stderr")
    parser.set_defaults(handler=run)


class StderrProgress:
    """Progress for the CLI: one updating line on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream=None, interval: float = 2.0, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet  # --json without --progress: nothing on stderr
        self.interval = interval
        self._last = 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def report(self, fraction: float | None, message: str = "") -> None:
        if self.quiet:
            return
        now = time.monotonic()
        done = fraction is not None and fraction >= 1.0
        if not done and now - self._last < (0.2 if self._tty else self.interval):
            return
        self._last = now
        pct = f"{fraction * 100:5.1f}% " if fraction is not None else ""
        if self._tty:
            self.stream.write(f"\r\033[K{pct}{message}")
            if done:
                self.stream.write("\n")
        else:
            self.stream.write(f"{pct}{message}\n")
        self.stream.flush()

    def check(self) -> None:
        pass

    def partial(self, value: object) -> None:
        pass


def check_cache_writable() -> None:
    """Refuse before training (minutes) when the folder the model is saved in cannot be written."""
    import os
    from pathlib import Path

    from explorer.cli import CliError
    from explorer.commands._paths import special_root
    from explorer.models import paths

    try:
        folder = paths.cache_dir()
    except OSError as exc:
        raise CliError(f"cannot create the cache folder ({exc.strerror or exc}); set LLM_EXPLORER_CACHE to a "
                       "folder that can be written") from None
    root = special_root(Path(os.path.realpath(folder)))
    if root or not os.access(folder, os.W_OK | os.X_OK):
        raise CliError(f"cannot write in the cache folder {folder}; set LLM_EXPLORER_CACHE to a folder that can be "
                       "written")


def run(args) -> int:
    from explorer.cli import CliError, print_json

    if args.steps is not None and not 1 <= args.steps <= 100_000:
        raise CliError("--steps must be between 1 and 100000")
    if not 0 <= args.seed < 2**32:
        raise CliError("--seed must be between 0 and 4294967295")
    check_cache_writable()
    from explorer.core import mini_clip
    from explorer.models.image_text import mini_clip_dir, train_and_save_mini_clip

    config = mini_clip.TrainConfig.default(args.steps)
    config.seed = args.seed
    result = train_and_save_mini_clip(config, StderrProgress(quiet=args.json and not args.progress))
    accuracy = result.accuracy
    summary = {"saved": str(mini_clip_dir()), "steps": result.steps_done, "seconds": round(result.seconds, 1),
               "final_loss": round(result.losses[-1], 4) if result.losses else None,
               "held_out_pairs": list(config.held_out),
               "accuracy_seen_pairs": accuracy.seen if accuracy else None,
               "accuracy_never_seen_pairs": accuracy.never_seen if accuracy else None,
               "accuracy_images": accuracy.images if accuracy else None,
               "label_set": "all 24 colour-shape prompts, 'a photo of a <colour> <shape>'"}
    if args.json:
        print_json(summary)
    else:
        print(f"mini-CLIP saved in {summary['saved']}")
        print(f"{result.steps_done} steps in {result.seconds:.0f} s, final loss {summary['final_loss']}")
        if accuracy is not None:
            for line in mini_clip.describe_accuracy(accuracy.seen, accuracy.never_seen, accuracy.held_out):
                print(line)
            print(f"each image classified among {mini_clip.LABEL_SET}")
    return 0
