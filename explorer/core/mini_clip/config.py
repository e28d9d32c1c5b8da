"""What a mini-CLIP is (`ModelConfig`, saved with its weights) and how it is trained (`TrainConfig`)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from explorer.core import shapes_dataset as shapes
from explorer.core.mini_clip.text import BOS, PAD, UNK


@dataclass
class ModelConfig:
    image_size: int = 32
    channels: tuple[int, ...] = (16, 32, 64)
    double_first: bool = False
    embed_dim: int = 64
    text_dim: int = 64
    text_heads: int = 4
    text_layers: int = 1
    # "bag": the mean of the word vectors, projected (order-free: "purple" + "star" compose, so a pair never
    # seen together still gets its own caption vector); "transformer": one attention layer over the words
    text_encoder: str = "bag"
    max_words: int = 12
    vocab: list[str] = field(default_factory=lambda: [PAD, UNK, BOS, *shapes.vocabulary()])

    def to_json(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known.setdefault("text_encoder", "transformer")  # copies saved before the choice existed
        if "channels" in known:
            known["channels"] = tuple(int(c) for c in known["channels"])
        return cls(**known)


@dataclass
class TrainConfig:
    """How long and on what to train. `default()` meets the budget (<= 3 min on 2 cores); `small()` is for tests."""

    steps: int = 300
    batch_size: int = 128
    n_train: int = 8_000
    lr: float = 3e-3
    seed: int = 0
    plain_fraction: float = 0.2
    # shapes in colours with no name, captioned by shape only (see shapes.generate_unnamed_colours)
    # (without them a never-seen "green triangle" reads as a green square: green was never a triangle)
    unnamed_fraction: float = 0.7
    eval_every: int = 10
    # colour-shape pairs never drawn nor captioned in training: the true zero-shot test
    held_out: tuple[str, ...] = shapes.HELD_OUT_PAIRS
    # None: as many as the CPU has free (see `cpu_threads`)
    threads: int | None = None
    model: ModelConfig = field(default_factory=ModelConfig)

    @classmethod
    def default(cls, steps: int | None = None) -> "TrainConfig":
        config = cls()
        if steps is not None:
            config.steps = steps
        return config

    @classmethod
    def small(cls, steps: int = 120) -> "TrainConfig":
        # fewer unnamed-colour shapes: at this size the named pairs need the images
        return cls(steps=steps, batch_size=64, n_train=2000, lr=4e-3, unnamed_fraction=0.4,
                   model=ModelConfig(channels=(8, 16, 32), embed_dim=32, text_dim=32, text_heads=2))

