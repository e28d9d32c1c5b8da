"""Maintainer script: train the mini-CLIP that ships with the app, into resources/models/mini-clip/.

    .venv/bin/python tools/train_shipped_mini_clip.py            # train, evaluate, write
    .venv/bin/python tools/train_shipped_mini_clip.py --check    # only re-check the files already there

It uses exactly the app's recipe (`mini_clip.TrainConfig.default()`: 300 steps,
batch 128, 8,000 generated shapes, seed 0, the pairs in shapes.HELD_OUT_PAIRS
never shown) so the shipped model is the one a user gets from "Train mini-CLIP". To make reruns give the same weights on the
same machine and torch version, the seed is fixed and so is the number of CPU
threads (the app picks its thread count from the load, which changes the order
of floating-point sums).

Output (safetensors + JSON, nothing pickled):
- model.safetensors: the weights, fp32 (about 0.3 MB, so halving it with fp16 is
  not worth any change in accuracy; the fp16 accuracy is measured and recorded);
- config.json: the model config with its vocabulary, the training record (loss
  curve, accuracy), the sha256 of model.safetensors, and a "shipped" block with
  the held-out metrics and how it was made.

Accuracy is measured on freshly generated shapes whose seeds the training never
used, as two figures: "new images of seen pairs" (the 20 pairs it trained on)
and "true zero-shot on never-seen pairs" (the held-out pairs, recorded in
config.json as `held_out_pairs`). Each image is scored against all 24
"a photo of a <colour> <shape>" prompts (chance 4.2%), never only the held-out
ones. 2,400 varied images per figure, and 1,200 drawn plainly.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OUT_DIR = ROOT / "resources" / "models" / "mini-clip"
# name: (images per figure, seed, style); pair_accuracy draws the never-seen pairs with seed + 1
EVALUATION = {"varied": (2400, 50_000, "varied"), "plain": (1200, 60_000, "plain")}
MIN_ACCURACY = 0.9  # for both figures: the goal of issue 11 for never-seen pairs
MAX_BYTES = 3 * 1024 * 1024


def held_out_accuracy(encoder) -> dict[str, float]:
    """{"seen_varied", "never_seen_varied", "seen_plain", "never_seen_plain"} accuracies on fresh images."""
    from explorer.core import mini_clip

    metrics = {}
    for name, (n, seed, style) in EVALUATION.items():
        result = mini_clip.pair_accuracy(encoder, n_seen=n, n_never_seen=n, seed=seed, style=style)
        metrics[f"seen_{name}"] = result.seen
        if result.never_seen is not None:
            metrics[f"never_seen_{name}"] = result.never_seen
    return metrics


def fp16_copy(encoder):
    """The same model with every weight rounded to fp16 and back: what fp16 storage would give."""
    import copy

    from explorer.core import mini_clip

    model = copy.deepcopy(encoder.model)
    for tensor in model.state_dict().values():
        if tensor.is_floating_point():
            tensor.copy_(tensor.half().float())
    return mini_clip.MiniClipEncoder(model, encoder.config, info={}, origin="shipped",
                                     held_out_pairs=encoder.held_out_pairs)


def train(out: Path, threads: int) -> dict:
    import torch

    from explorer.commands.train_mini_clip import StderrProgress
    from explorer.core import mini_clip
    from explorer.core.threads import torch_threads

    config = mini_clip.TrainConfig.default()
    config.threads = threads
    result = mini_clip.train(config, StderrProgress(), device="cpu")
    encoder = result.encoder
    print(f"trained: {result.steps_done} steps in {result.seconds:.0f} s, final loss {result.losses[-1]:.4f}",
          file=sys.stderr)
    with torch_threads(threads):
        metrics = held_out_accuracy(encoder)
        metrics_fp16 = held_out_accuracy(fp16_copy(encoder))
    print(f"accuracy on fresh images: {metrics} (fp16 weights: {metrics_fp16})", file=sys.stderr)
    if min(metrics.values()) < MIN_ACCURACY:
        raise SystemExit(f"accuracy {metrics} is below {MIN_ACCURACY:.0%}: not writing it")
    # shown by the app as this model's accuracy (the larger sets replace train()'s quick check)
    n_varied = EVALUATION["varied"][0]
    encoder.info.update(accuracy_seen_pairs=round(metrics["seen_varied"], 4),
                        accuracy_never_seen_pairs=round(metrics["never_seen_varied"], 4),
                        accuracy_images={"seen": n_varied, "never_seen": n_varied},
                        trained_at=time.strftime("%Y-%m-%d"), threads=threads)
    shipped = {
        "made_by": "tools/train_shipped_mini_clip.py",
        "recipe": "mini_clip.TrainConfig.default()",
        "seed": config.seed, "steps": config.steps, "threads": threads,
        "torch": torch.__version__, "python": platform.python_version(),
        "storage": "fp32",
        "held_out_pairs": list(encoder.held_out_pairs),
        "label_set": "all 24 colour-shape prompts",
        "evaluation": {f"{which}_{name}": {"pairs": which.replace("_", "-"), "images": n,
                                           "seed": seed if which == "seen" else seed + 1, "style": style,
                                           "accuracy": round(metrics[f"{which}_{name}"], 4),
                                           "accuracy_fp16_weights": round(metrics_fp16[f"{which}_{name}"], 4)}
                       for name, (n, seed, style) in EVALUATION.items() for which in ("seen", "never_seen")},
        "prompt_template": mini_clip.PROMPT_TEMPLATE,
    }
    mini_clip.save(encoder, out, extra={"shipped": shipped})
    return check(out)


def check(out: Path) -> dict:
    """Load the files the way the app does (checksum, header, strict load) and re-measure accuracy."""
    from explorer.core import mini_clip

    data, blob = mini_clip.read_checked(out)
    encoder = mini_clip.load(out, origin="shipped")
    metrics = held_out_accuracy(encoder)
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    summary = {"folder": str(out), "bytes": size, "weights_bytes": len(blob),
               "sha256": hashlib.sha256(blob).hexdigest(), "recorded_sha256": data.get(mini_clip.SHA256_KEY),
               "held_out_pairs": list(encoder.held_out_pairs),
               "accuracy": {k: round(v, 4) for k, v in metrics.items()},
               "parameters": sum(p.numel() for p in encoder.model.parameters())}
    recorded = (data.get("shipped") or {}).get("evaluation", {})
    problems = []
    if not encoder.held_out_pairs:
        problems.append("no held_out_pairs recorded: the never-seen figure cannot be measured")
    if summary["sha256"] != summary["recorded_sha256"]:
        problems.append("sha256 differs from the one recorded")
    if size > MAX_BYTES:
        problems.append(f"{size:,} bytes is over the {MAX_BYTES:,} budget")
    for name, value in metrics.items():
        if value < MIN_ACCURACY:
            problems.append(f"{name} accuracy {value:.1%} < {MIN_ACCURACY:.0%}")
        if name in recorded and abs(recorded[name]["accuracy"] - round(value, 4)) > 1e-9:
            problems.append(f"{name} accuracy {value:.4f} differs from the recorded {recorded[name]['accuracy']}")
    summary["problems"] = problems
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help=f"output folder (default {OUT_DIR})")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads, fixed for reproducibility (default 2)")
    parser.add_argument("--check", action="store_true", help="only check the files already in --out")
    args = parser.parse_args(argv)
    summary = check(args.out) if args.check else train(args.out, args.threads)
    print(json.dumps(summary, indent=1))
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
