"""`llm-explorer similarity --model ID --image PATH ... --text TEXT ... [--json]`: the image x text cosine matrix.

One row per image, one column per text. `mini-clip` uses the user's own
training if there is one (`llm-explorer train-mini-clip`), else the copy
shipped with the app; only when neither can be used is it trained first
(a few minutes, progress on stderr).

Images that cannot be read are skipped and named on stderr (with --json, in
the JSON's "skipped" list instead: a --json call writes nothing on stderr
unless --progress asks). When none can be read, the one-line refusal says why.
"""
from __future__ import annotations

import sys


def register(subparsers) -> None:
    parser = subparsers.add_parser("similarity", help="cosine similarity of images and texts with an image-text "
                                   "model (mini-clip, clip, siglip or a Hub id)")
    parser.add_argument("--model", default="mini-clip", help="mini-clip (default, offline), clip, siglip, or a Hub id")
    parser.add_argument("--image", action="append", default=[], metavar="PATH", help="an image file (repeatable)")
    parser.add_argument("--text", action="append", default=[], metavar="TEXT", help="a caption (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON: images, texts, matrix (rows = images)")
    parser.add_argument("--cpu", action="store_true", help="run on the CPU even if there is a GPU")
    parser.add_argument("--progress", action="store_true", help="with --json, still report skipped images and "
                        "training progress on stderr")
    parser.set_defaults(handler=run)


def run(args) -> int:
    from explorer.cli import CliError
    from explorer.commands._paths import check_input_file
    from explorer.commands._text_input import check_text

    if not args.image:
        raise CliError("give at least one --image PATH")
    texts = [check_text(t, "--text", allow_empty=True).strip() for t in args.text]
    texts = [t for t in texts if t]
    if not texts:
        raise CliError("give at least one non-empty --text")
    from explorer.commands.train_mini_clip import StderrProgress, check_cache_writable
    from explorer.core import image_io
    from explorer.core.multimodal import similarity_matrix
    from explorer.models import catalogue, device as devices, loader
    from explorer.models.image_text import (MiniClipDamaged, NotTrainedYet, mini_clip_dir,
                                            train_and_save_mini_clip)

    check_text(args.model, "--model")
    entry = catalogue.find(args.model, "image-text")
    if entry.kind != "image-text":
        raise CliError(f"'{args.model}' is a {entry.kind} model, not an image-text model")
    talk = not args.json or args.progress
    images, names, skipped = [], [], []  # skipped: (path, why), said on stderr or in the JSON
    for path in args.image:
        try:
            loaded = image_io.load_image(check_input_file(path, "--image"))
        except (CliError, image_io.ImageLoadError) as exc:
            skipped.append((path, str(exc).removeprefix("skipped: ")))
            continue
        if loaded.note and talk:
            print(f"llm-explorer: {path}: {loaded.note}", file=sys.stderr)
        images.append(loaded.image)
        names.append(path)
    if not images:  # one line: why the first could not be read, and how many others failed
        path, why = skipped[0]
        more = f" (and {len(skipped) - 1} more)" if len(skipped) > 1 else ""
        raise CliError(f"none of the images could be read: {path}: {why}{more}")
    if talk:
        for path, why in skipped:
            print(f"llm-explorer: skipped {path}: {why}", file=sys.stderr)
    progress = StderrProgress(quiet=not talk)
    device = devices.resolve("cpu" if args.cpu else "auto")
    # loading checks every mini-CLIP copy once (checksum, header): no separate status check before it
    try:
        loaded = loader.load(entry, device, progress)
    except NotTrainedYet as exc:  # mini-CLIP only: no copy, or every copy damaged
        check_cache_writable()
        if talk:
            if isinstance(exc, MiniClipDamaged):  # say which copies were damaged and why
                print(f"llm-explorer: {exc}", file=sys.stderr)
            print("No usable mini-CLIP (the copy shipped with the app is missing or damaged): training one now "
                  "(once, about 2-3 minutes)", file=sys.stderr)
        train_and_save_mini_clip(progress=progress)
        if talk:
            print(f"saved in {mini_clip_dir()}", file=sys.stderr)
        loaded = loader.load(entry, device, progress)
    problems = list((loaded.extras or {}).get("problems", []))  # a damaged copy was skipped: say so
    if talk:
        for problem in problems:
            print(f"llm-explorer: {problem}", file=sys.stderr)
    from explorer.cli import print_json

    encoder = loaded.model
    matrix = similarity_matrix(encoder.embed_images(images), encoder.embed_texts(texts))
    if args.json:
        data = {"images": names, "texts": texts, "matrix": [[round(float(v), 6) for v in row] for row in matrix],
                "model": entry.id}
        if skipped:
            data["skipped"] = [{"image": path, "problem": why} for path, why in skipped]
        if problems:
            data["problems"] = problems
        print_json(data)
        return 0
    width = max(len(t) for t in texts)
    print(f"{encoder.name}: cosine similarity (rows: images, columns: texts)")
    for j, text in enumerate(texts):
        print(f"  T{j + 1} = {text:{width}}")
    print(" " * 32 + "".join(f"{'T' + str(j + 1):>8}" for j in range(len(texts))))
    for name, row in zip(names, matrix):
        label = name if len(name) <= 30 else "…" + name[-29:]
        print(f"{label:32}" + "".join(f"{v:8.3f}" for v in row))
    return 0
