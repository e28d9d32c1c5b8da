"""Zero-shot accuracy as the app states it: new images of seen pairs, and the never-seen pairs, among all 24 prompts."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from explorer.core import shapes_dataset as shapes
from explorer.core.multimodal import similarity_matrix

if TYPE_CHECKING:
    from explorer.core.mini_clip.encoder import MiniClipEncoder

PROMPT_TEMPLATE = "a photo of a {}"
SEEN_LABEL = "new images of seen pairs"
UNSEEN_LABEL = "true zero-shot on never-seen pairs"
LABEL_SET = "all 24 colour-shape prompts (“a photo of a <colour> <shape>”, chance 4.2%)"


def zero_shot_accuracy(encoder: "MiniClipEncoder", data: shapes.ShapeSet, template: str = PROMPT_TEMPLATE) -> float:
    """Fraction of images whose best prompt among the 24 "a photo of a <colour> <shape>" is their own class.

    Always all 24, never-seen pairs included: an image of a held-out pair must beat every pair it was trained on.
    """
    from explorer.core.multimodal import prompts

    text_vectors = encoder.embed_texts(prompts(shapes.class_names(), template))
    image_vectors = encoder.embed_pixels(data.images)
    predicted = similarity_matrix(image_vectors, text_vectors).argmax(axis=1)
    return float((predicted == data.labels).mean())


@dataclass
class PairAccuracy:
    """Zero-shot accuracy on fresh images, split by whether training ever showed the pair."""

    seen: float  # new images of the pairs it trained on
    never_seen: float | None  # images of the held-out pairs (None: nothing was held out)
    held_out: tuple[str, ...]
    images: dict[str, int]  # how many images each figure is measured on


def pair_accuracy(encoder: "MiniClipEncoder", n_seen: int = 480, n_never_seen: int = 480, seed: int = 10_000,
                  style: str = "varied", size: int = 32, held_out: Sequence[str] | None = None) -> PairAccuracy:
    """Both figures on freshly drawn images (`seed` and `seed + 1`), each classified among all 24 prompts.

    held_out: the pairs the model never saw (default: the ones recorded with it, `encoder.held_out_pairs`).
    `size` > 32 goes through the app's PIL path (crop, area-average down), as images a user adds do.
    """
    held_out = tuple(encoder.held_out_pairs if held_out is None else held_out)

    def accuracy(n: int, draw_seed: int, labels: list[int]) -> float:
        data = shapes.generate(n, seed=draw_seed, style=style, size=size, labels=labels)
        if size != encoder.config.image_size:
            data.images = encoder.preprocess([shapes.to_pil(im) for im in data.images])
        return zero_shot_accuracy(encoder, data)

    seen = accuracy(n_seen, seed, shapes.seen_labels(held_out))
    never_seen = accuracy(n_never_seen, seed + 1, shapes.pair_labels(held_out)) if held_out else None
    return PairAccuracy(seen, never_seen, held_out, {"seen": n_seen, "never_seen": n_never_seen if held_out else 0})


def accuracy_figures(info: dict | None) -> tuple[float | None, float | None]:
    """(seen pairs, never-seen pairs) from a saved training record.

    Copies saved before pairs were held out recorded one "accuracy", measured on classes they trained on:
    that is the seen-pairs figure, and they have no never-seen one.
    """
    info = info or {}
    seen = info.get("accuracy_seen_pairs", info.get("accuracy"))
    never_seen = info.get("accuracy_never_seen_pairs")
    return (float(seen) if isinstance(seen, (int, float)) else None,
            float(never_seen) if isinstance(never_seen, (int, float)) else None)


def describe_accuracy(seen: float | None, never_seen: float | None, held_out: Sequence[str],
                      digits: int = 1) -> list[str]:
    """The two figures as the app states them, one line each, with their exact labels."""
    def pct(x: float | None) -> str:
        return "not measured" if x is None else f"{x:.{digits}%}"

    if held_out:
        unseen = f"{UNSEEN_LABEL} ({', '.join(held_out)}): {pct(never_seen)}"
    else:
        unseen = f"{UNSEEN_LABEL}: none (this copy trained on all 24 pairs)"
    return [f"{SEEN_LABEL}: {pct(seen)}", unseen]


