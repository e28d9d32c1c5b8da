"""What training sees: generated shapes of the seen pairs and in unnamed colours, the fixed display batch, augmentation."""
from __future__ import annotations

import numpy as np

from explorer.core import shapes_dataset as shapes
from explorer.core.mini_clip.config import TrainConfig


def training_data(config: TrainConfig) -> shapes.ShapeSet:
    """Everything training sees: the seen pairs only, plus shapes in unnamed colours (shape-only captions)."""
    n_unnamed = int(round(config.n_train * config.unnamed_fraction))
    named = shapes.generate(config.n_train - n_unnamed, seed=config.seed, plain_fraction=config.plain_fraction,
                            size=config.model.image_size, labels=shapes.seen_labels(config.held_out))
    if not n_unnamed:
        return named
    extra = shapes.generate_unnamed_colours(n_unnamed, seed=config.seed + 1_000_003, size=config.model.image_size,
                                            plain_fraction=config.plain_fraction)
    return shapes.ShapeSet(*(np.concatenate([getattr(named, f), getattr(extra, f)])
                             for f in ("images", "shape_ids", "colour_ids")),
                           named.captions + extra.captions,
                           np.concatenate([named.named_shapes, extra.named_shapes]),
                           np.concatenate([named.named_colours, extra.named_colours]))


def display_batch(seed: int = 99, count: int = 8, size: int = 32) -> shapes.ShapeSet:
    """Images of `count` different classes with their plain captions: the live matrix shown while training."""
    rng = np.random.default_rng(seed)
    labels = rng.choice(len(shapes.SHAPES) * len(shapes.COLOUR_NAMES), size=count, replace=False)
    images = np.empty((count, size, size, 3), dtype=np.uint8)
    captions = []
    for i, label in enumerate(labels):
        colour, shape = shapes.COLOUR_NAMES[label // len(shapes.SHAPES)], shapes.SHAPES[label % len(shapes.SHAPES)]
        images[i], _ = shapes.render(shape, colour, rng, plain=i % 2 == 0, size=size)
        captions.append(f"{shapes.article(colour)} {colour} {shape}")
    return shapes.ShapeSet(images, labels % len(shapes.SHAPES), labels // len(shapes.SHAPES), captions)



def augment(images, generator):
    """Random horizontal flips and small brightness changes: cheap, and colours stay recognisable."""
    import torch

    n = images.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    images = torch.where(flip.view(n, 1, 1, 1).to(images.device), images.flip(3), images)
    gain = (1 + 0.1 * (torch.rand(n, 1, 1, 1, generator=generator) - 0.5)).to(images.device)
    return images * gain

