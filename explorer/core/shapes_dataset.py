"""A synthetic image-caption set for training a CLIP from scratch: coloured shapes.

Every image holds one shape (circle, square, triangle, star) in one colour
(red, green, blue, yellow, purple, orange) on a varied background (plain,
gradient, noise, or another colour), at a random size, position and
rotation. Its caption says what a person would say: "a red circle",
"a photo of a small blue star", "a triangle that is green".

`style="plain"` draws the held-out kind a teacher would draw on a board: one
upright, centred shape on a plain light background.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star")
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 35, 35),
    "green": (40, 165, 60),
    "blue": (35, 80, 225),
    "yellow": (240, 215, 35),
    "purple": (135, 55, 175),
    "orange": (245, 135, 25),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)
# backgrounds that are no shape colour: light, dark and in between
NEUTRALS: tuple[tuple[int, int, int], ...] = (
    (250, 250, 250), (205, 205, 205), (128, 128, 128), (60, 60, 60), (15, 15, 15), (235, 225, 200), (40, 45, 70),
)
PLAIN_BACKGROUNDS: tuple[tuple[int, int, int], ...] = ((255, 255, 255), (245, 245, 240), (230, 230, 230))
STYLES = ("varied", "plain")

# caption templates: {a} is "a" or "an" for the word that follows it
TEMPLATES: tuple[str, ...] = (
    "{a} {c} {s}", "{c} {s}", "{a} {s} that is {c}", "a photo of {a} {c} {s}", "a drawing of {a} {c} {s}",
    "a picture of {a} {c} {s}", "an image of {a} {c} {s}", "the {c} {s}", "{a} {c} {s} shape", "a {c} coloured {s}",
)
# captions of shapes drawn in a colour with no name: they name only the shape ("a triangle")
SHAPE_ONLY_TEMPLATES: tuple[str, ...] = ("{a} {s}", "a photo of {a} {s}", "the {s}", "a drawing of {a} {s}")
SIZE_WORDS = {"small": (0.20, 0.28), "big": (0.38, 0.46)}
# every word a caption or a prompt is likely to use: the mini-CLIP's vocabulary
EXTRA_WORDS: tuple[str, ...] = ("a", "an", "the", "of", "photo", "drawing", "picture", "image", "that", "is",
                                "shape", "coloured", "colored", "small", "big", "large", "on", "background",
                                "this", "with", "and", "it")


# Colour x shape pairs the shipped mini-CLIP never sees in training, neither drawn nor named in a caption.
# Each shape is held out once and with a different colour, so every colour and every shape still appears
# in other pairs: recognising these is compositional generalisation, zero-shot in the true sense.
HELD_OUT_PAIRS: tuple[str, ...] = ("purple star", "orange circle", "green triangle", "blue square")


# how far (RGB distance) an unnamed colour stays from every named colour as it can be drawn (any brightness
# in FILL_GAIN) and from every neutral background: a different colour, not a disguised named one
UNNAMED_MIN_DISTANCE = 55.0
FILL_GAIN = (0.85, 1.08)  # how much a varied image dims or brightens a shape's named colour


def class_names() -> list[str]:
    """The 24 classes, colour then shape: "red circle", "red square", ..."""
    return [f"{c} {s}" for c in COLOUR_NAMES for s in SHAPES]


def pair_labels(pairs: Sequence[str]) -> list[int]:
    """Class indices of "colour shape" names such as "purple star"; an unknown pair raises ValueError."""
    names = class_names()
    labels = []
    for pair in pairs:
        name = " ".join(str(pair).lower().split())
        if name not in names:
            raise ValueError(f"unknown colour-shape pair '{pair}'; pairs look like 'purple star' "
                             f"(colours: {', '.join(COLOUR_NAMES)}; shapes: {', '.join(SHAPES)})")
        labels.append(names.index(name))
    return labels


def seen_labels(held_out: Sequence[str]) -> list[int]:
    """Class indices of every pair not in `held_out`: what training draws."""
    hidden = set(pair_labels(held_out))
    return [label for label in range(len(SHAPES) * len(COLOUR_NAMES)) if label not in hidden]


def vocabulary() -> list[str]:
    return sorted(set(EXTRA_WORDS) | set(COLOUR_NAMES) | set(SHAPES))


def article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def caption(colour: str, shape: str, rng: np.random.Generator, size_word: str | None = None) -> str:
    template = TEMPLATES[int(rng.integers(len(TEMPLATES)))]
    if size_word is not None and "{a} {c}" in template:
        template = template.replace("{a} {c}", "{a} " + size_word + " {c}")
        first = size_word
    else:
        first = colour if "{a} {c}" in template else shape
    return template.format(a=article(first), c=colour, s=shape)


@dataclass
class ShapeSet:
    images: np.ndarray  # (n, size, size, 3) uint8
    shape_ids: np.ndarray  # (n,) index into SHAPES
    colour_ids: np.ndarray  # (n,) index into COLOUR_NAMES
    captions: list[str]
    # the shape / colour each caption names, -1 where it names none (None: every caption names both)
    named_shapes: np.ndarray | None = None
    named_colours: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.named_shapes is None:
            self.named_shapes = np.asarray(self.shape_ids, dtype=np.int64).copy()
        if self.named_colours is None:
            self.named_colours = np.asarray(self.colour_ids, dtype=np.int64).copy()

    @property
    def labels(self) -> np.ndarray:
        """Class index (see `class_names`) of each image."""
        return self.colour_ids * len(SHAPES) + self.shape_ids

    def __len__(self) -> int:
        return len(self.captions)


def generate(n: int, seed: int = 0, style: str = "varied", size: int = 32,
             plain_fraction: float = 0.2, balanced: bool = True, labels: Sequence[int] | None = None) -> ShapeSet:
    """`n` images with captions. `balanced`: every class equally often (shuffled).

    `labels`: draw only these classes (see `class_names`; `seen_labels` and `pair_labels` give them);
    None draws all 24. Training passes the seen pairs, so a held-out pair is never drawn nor captioned.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, not '{style}'")
    rng = np.random.default_rng(seed)
    n_classes = len(SHAPES) * len(COLOUR_NAMES)
    pool = np.arange(n_classes) if labels is None else np.asarray(sorted(set(int(x) for x in labels)), dtype=np.int64)
    if not len(pool) or pool.min() < 0 or pool.max() >= n_classes:
        raise ValueError(f"labels must be class indices 0-{n_classes - 1}, at least one")
    picks = (np.arange(n) % len(pool)) if balanced else rng.integers(len(pool), size=n)
    labels = rng.permutation(pool[picks])
    colour_ids = labels // len(SHAPES)
    shape_ids = labels % len(SHAPES)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    captions: list[str] = []
    for i in range(n):
        colour, shape = COLOUR_NAMES[colour_ids[i]], SHAPES[shape_ids[i]]
        plain = style == "plain" or rng.random() < plain_fraction
        images[i], size_word = render(shape, colour, rng, plain=plain, size=size)
        captions.append(caption(colour, shape, rng, size_word if rng.random() < 0.5 else None))
    return ShapeSet(images, shape_ids.astype(np.int64), colour_ids.astype(np.int64), captions)


def distance_to_named(rgb) -> float:
    """RGB distance from `rgb` to the nearest named colour at any brightness it is drawn with, or neutral."""
    point = np.asarray(rgb, dtype=np.float64)
    bases = np.asarray(list(COLOURS.values()), dtype=np.float64)
    gains = np.clip(bases @ point / (bases * bases).sum(axis=1), *FILL_GAIN)  # nearest on each brightness segment
    nearest = np.clip(bases * gains[:, None], 0, 255)
    neutrals = np.asarray(NEUTRALS, dtype=np.float64)
    return float(min(np.linalg.norm(nearest - point, axis=1).min(), np.linalg.norm(neutrals - point, axis=1).min()))


def unnamed_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    """A random colour with no name in the vocabulary: far from the six named colours and the neutrals."""
    while True:
        rgb = rng.integers(0, 256, 3)
        if distance_to_named(rgb) > UNNAMED_MIN_DISTANCE:
            return int(rgb[0]), int(rgb[1]), int(rgb[2])


def generate_unnamed_colours(n: int, seed: int, size: int = 32, plain_fraction: float = 0.2) -> ShapeSet:
    """`n` shapes in colours that have no name (see `unnamed_colour`), captioned by their shape only.

    Training mixes these in so that "triangle" is learnt as a shape whatever its colour, not as one
    shape per named colour. colour_ids and named_colours are -1; none of these is a named pair.
    """
    rng = np.random.default_rng(seed)
    shape_ids = rng.permutation(np.arange(n) % len(SHAPES)).astype(np.int64)
    images = np.empty((n, size, size, 3), dtype=np.uint8)
    captions = []
    for i in range(n):
        shape = SHAPES[shape_ids[i]]
        plain = rng.random() < plain_fraction
        images[i], _ = render(shape, None, rng, plain=plain, size=size, rgb=unnamed_colour(rng))
        template = SHAPE_ONLY_TEMPLATES[int(rng.integers(len(SHAPE_ONLY_TEMPLATES)))]
        captions.append(template.format(a=article(shape), s=shape))
    none = np.full(n, -1, dtype=np.int64)
    return ShapeSet(images, shape_ids, none, captions, shape_ids.copy(), none.copy())


def render(shape: str, colour: str | None, rng: np.random.Generator, plain: bool = False,
           size: int = 32, rgb: tuple[int, int, int] | None = None) -> tuple[np.ndarray, str | None]:
    """One (size, size, 3) uint8 image, and "small"/"big" when the shape is clearly one of them.

    `rgb`: fill with this colour instead of the named `colour` (None: the background may be any named colour).
    """
    if plain:
        background = _solid(PLAIN_BACKGROUNDS[int(rng.integers(len(PLAIN_BACKGROUNDS)))], size)
        radius_frac, angle = 0.33, 0.0
        cx = cy = size / 2
    else:
        background = _background(colour, rng, size)
        radius_frac = float(rng.uniform(0.20, 0.46))
        angle = float(rng.uniform(0, 2 * math.pi))
        r = radius_frac * size
        cx, cy = (float(rng.uniform(r * 0.8, size - r * 0.8)) for _ in range(2))
    alpha = shape_mask(shape, cx, cy, radius_frac * size, angle, size)
    fill = np.asarray(COLOURS[colour] if rgb is None else rgb, dtype=np.float32)
    if not plain:
        fill = np.clip(fill * rng.uniform(*FILL_GAIN) + rng.normal(0, 8, 3), 0, 255)
    image = background * (1 - alpha[..., None]) + fill * alpha[..., None]
    size_word = next((w for w, (lo, hi) in SIZE_WORDS.items() if lo <= radius_frac <= hi), None)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), size_word


def shape_mask(shape: str, cx: float, cy: float, radius: float, angle: float, size: int) -> np.ndarray:
    """Anti-aliased coverage in [0, 1]: drawn at 4x and averaged down."""
    from PIL import Image, ImageDraw

    k = 4
    canvas = Image.new("L", (size * k, size * k), 0)
    draw = ImageDraw.Draw(canvas)
    if shape == "circle":
        r = radius * 0.92 * k  # a circle of the same "radius" looks bigger than the others
        draw.ellipse((cx * k - r, cy * k - r, cx * k + r, cy * k + r), fill=255)
    else:
        draw.polygon(_polygon(shape, cx * k, cy * k, radius * k, angle), fill=255)
    small = canvas.resize((size, size), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def _polygon(shape: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    if shape == "square":
        corners = [angle + math.pi / 4 + i * math.pi / 2 for i in range(4)]
        return [(cx + r * 0.95 * math.cos(a), cy + r * 0.95 * math.sin(a)) for a in corners]
    if shape == "triangle":
        corners = [angle - math.pi / 2 + i * 2 * math.pi / 3 for i in range(3)]
        # the centroid sits low in an upright triangle: shift so it looks centred
        return [(cx + r * math.cos(a), cy + r * 0.15 + r * math.sin(a)) for a in corners]
    if shape == "star":
        points = []
        for i in range(10):
            a = angle - math.pi / 2 + i * math.pi / 5
            rr = r if i % 2 == 0 else r * 0.42
            points.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        return points
    raise ValueError(f"unknown shape '{shape}'; shapes: {', '.join(SHAPES)}")


def _solid(rgb, size: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(rgb, dtype=np.float32), (size, size, 3)).copy()


def _background_colour(shape_colour: str, rng: np.random.Generator) -> np.ndarray:
    """A neutral, or another shape colour (never the shape's own), a little jittered."""
    others = [c for c in COLOUR_NAMES if c != shape_colour]
    if rng.random() < 0.55:
        base = np.asarray(NEUTRALS[int(rng.integers(len(NEUTRALS)))], dtype=np.float32)
    else:
        base = np.asarray(COLOURS[others[int(rng.integers(len(others)))]], dtype=np.float32)
        # tinted light or dark so the shape's edge stays visible
        base = base * 0.45 + (255 * 0.55 if rng.random() < 0.5 else 0.0)
    return np.clip(base + rng.normal(0, 10, 3), 0, 255)


def _background(shape_colour: str, rng: np.random.Generator, size: int) -> np.ndarray:
    kind = rng.random()
    first = _background_colour(shape_colour, rng)
    if kind < 0.4:
        return _solid(first, size)
    if kind < 0.7:
        second = _background_colour(shape_colour, rng)
        theta = rng.uniform(0, 2 * math.pi)
        ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / max(size - 1, 1)
        t = (xs * math.cos(theta) + ys * math.sin(theta))
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        return first * (1 - t[..., None]) + second * t[..., None]
    noise = rng.normal(0, rng.uniform(12, 40), (size, size, 3)).astype(np.float32)
    return np.clip(first + noise, 0, 255)


def to_pil(image: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(image), "RGB")
