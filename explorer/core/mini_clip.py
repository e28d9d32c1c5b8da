"""A CLIP small enough to train from scratch on a laptop CPU in a couple of minutes.

Two encoders map images and captions into one 64-d space:
- images: a small CNN on 32x32 pixels (3 conv blocks, global pooling, a linear layer);
- text: a bag of words (the mean of the word vectors, then a linear layer), so "purple" and "star"
  compose into a caption it never read. (Copies saved with the older text encoder, one tiny
  transformer layer over the words, still load.)
They learn from the synthetic shapes (see `shapes_dataset`) with CLIP's
symmetric contrastive (InfoNCE) loss and a learnable temperature.

Zero-shot means unseen: training never shows four colour-shape pairs
(`shapes.HELD_OUT_PAIRS`, recorded with the weights as `held_out_pairs`),
neither drawn nor named. `pair_accuracy` gives the two figures the app
states: new images of the pairs it trained on, and true zero-shot on the
never-seen pairs, each image classified among all 24 prompts. Shapes in
colours that have no name, captioned by shape only, are mixed into training
so that a shape is learnt apart from the colours it came in.

The trained model is saved as safetensors plus a JSON config holding its
vocabulary and the weights' sha256, and wrapped in `MiniClipEncoder`, the
app's `ImageTextEncoder`. A copy trained with the default recipe ships with
the app (resources/models/mini-clip, made by tools/train_shipped_mini_clip.py);
a copy the user trains goes to the user cache and takes over.
It knows coloured shapes and nothing else: it is not a real CLIP.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from explorer.core.module_wrapper import WrapsTorchModule
from explorer.core import shapes_dataset as shapes
from explorer.core.multimodal import normalise, similarity_matrix, zero_shot_probabilities
from explorer.core.progress import Progress, ensure

FORMAT = "llm-explorer mini-clip"
PAD, UNK, BOS = "<pad>", "<unk>", "<bos>"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
MODEL_NAME = "mini-CLIP (a small model trained on this computer)"
SHIPPED_NAME = "mini-CLIP (a small model trained on generated shapes, shipped with the app)"
SHA256_KEY = "weights_sha256"
# the colour-shape pairs training never showed, e.g. ["purple star", ...]: the true zero-shot test set
HELD_OUT_KEY = "held_out_pairs"
# the safetensors header of a few dozen tensors is a few kB; anything near this is not ours
MAX_HEADER_BYTES = 1_000_000
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


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


# --- text ---
def words(text: str) -> list[str]:
    """Lower-cased words (letters only): punctuation, digits and emoji are dropped."""
    return _WORD.findall(text.lower())


def encode_texts(texts: Sequence[str], vocab: Sequence[str], max_words: int) -> np.ndarray:
    """(n, max_words + 1) int64 ids: BOS, the words (unknown ones as UNK), then PAD."""
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.full((len(texts), max_words + 1), index[PAD], dtype=np.int64)
    for row, text in enumerate(texts):
        tokens = [index[BOS]] + [index.get(w, index[UNK]) for w in words(text)][:max_words]
        ids[row, :len(tokens)] = tokens
    return ids


def unknown_words(texts: Sequence[str], vocab: Sequence[str]) -> list[str]:
    """Words the mini-CLIP has never seen (it reads them all as one 'unknown' token)."""
    known = set(vocab)
    seen: list[str] = []
    for text in texts:
        for w in words(text):
            if w not in known and w not in seen:
                seen.append(w)
    return seen


# --- the network (torch imported lazily: the module stays importable without it) ---
def build_model(config: ModelConfig):
    import torch
    from torch import nn

    class ImageEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            c_in = 3
            for i, c_out in enumerate(config.channels):
                layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
                if i == 0 and config.double_first:  # a second conv at full resolution: sharper corners, costlier
                    layers += [nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                               nn.ReLU(inplace=True)]
                layers.append(nn.MaxPool2d(2))
                c_in = c_out
            self.features = nn.Sequential(*layers)
            # mean and max over positions: colour is spread out, a corner is local
            self.project = nn.Linear(2 * c_in, config.embed_dim)

        def forward(self, x):
            h = self.features(x)
            pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
            return self.project(pooled)

    class BagOfWords(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(len(config.vocab), config.text_dim, padding_idx=0)
            self.project = nn.Linear(config.text_dim, config.embed_dim)

        def forward(self, ids):
            keep = (ids != 0).unsqueeze(-1).float()
            pooled = (self.embed(ids) * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
            return self.project(pooled)

    class TextEncoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            d = config.text_dim
            self.embed = nn.Embedding(len(config.vocab), d, padding_idx=0)
            self.position = nn.Parameter(torch.zeros(config.max_words + 1, d))
            layer = nn.TransformerEncoderLayer(d, config.text_heads, dim_feedforward=2 * d, dropout=0.0,
                                               batch_first=True, norm_first=True)
            self.layers = nn.TransformerEncoder(layer, config.text_layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(d)
            self.project = nn.Linear(d, config.embed_dim)

        def forward(self, ids):
            pad = ids == 0
            h = self.embed(ids) + self.position[: ids.shape[1]]
            h = self.layers(h, src_key_padding_mask=pad)
            keep = (~pad).unsqueeze(-1).float()
            pooled = (self.norm(h) * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)
            return self.project(pooled)

    class MiniClip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.image_encoder = ImageEncoder()
            if config.text_encoder not in ("bag", "transformer"):
                raise ValueError(f"unknown text encoder '{config.text_encoder}'")
            self.text_encoder = BagOfWords() if config.text_encoder == "bag" else TextEncoder()
            # CLIP's start: temperature 0.07, i.e. logits = cosine * 14.3
            self.log_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

        def encode_images(self, pixels):
            return nn.functional.normalize(self.image_encoder(pixels), dim=-1)

        def encode_texts(self, ids):
            return nn.functional.normalize(self.text_encoder(ids), dim=-1)

        def scale(self):
            return self.log_scale.clamp(max=math.log(100.0)).exp()

    return MiniClip()


def pixels_to_tensor(images: np.ndarray):
    """(n, h, w, 3) uint8 -> (n, 3, h, w) float in about [-1, 1]."""
    import torch

    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def contrastive_loss(image_vectors, text_vectors, scale, labels=None, match=None):
    """CLIP's symmetric InfoNCE: cross-entropy image->text and text->image, averaged.

    Our captions repeat ("a red circle" describes many images in a batch), so
    when `labels` is given every pair of the same class counts as a match:
    the target is spread evenly over those columns instead of sitting only on
    the diagonal. `match` (images x captions, true where a caption fits an
    image, see `caption_fits`) does the same for captions such as "a triangle"
    that fit several classes. With neither it is exactly CLIP's diagonal target.
    """
    import torch

    logits = scale * image_vectors @ text_vectors.T
    if match is not None:
        target = match.float()
    elif labels is not None:
        target = (labels[:, None] == labels[None, :]).float()
    else:
        target = torch.eye(len(logits), device=logits.device)
    to_text = target / target.sum(dim=1, keepdim=True)
    to_image = target.T / target.T.sum(dim=1, keepdim=True)
    loss_i = -(to_text * logits.log_softmax(dim=1)).sum(dim=1).mean()
    loss_t = -(to_image * logits.T.log_softmax(dim=1)).sum(dim=1).mean()
    return (loss_i + loss_t) / 2


def caption_fits(attributes):
    """(n, n) bool: caption j fits image i. attributes: (n, 4) rows of (colour, shape, named colour, named
    shape) per image and its caption; a caption fits when what it names (-1: names nothing) is what is drawn."""
    colour, shape = attributes[:, 0:1], attributes[:, 1:2]
    named_colour, named_shape = attributes[:, 2][None, :], attributes[:, 3][None, :]
    return ((named_colour < 0) | (named_colour == colour)) & ((named_shape < 0) | (named_shape == shape))


# --- training ---
@dataclass
class TrainResult:
    encoder: "MiniClipEncoder"
    losses: list[float]
    seconds: float
    steps_done: int
    cancelled: bool = False
    accuracy: PairAccuracy | None = None  # both figures on fresh images (None: not evaluated)


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


def train(config: TrainConfig | None = None, progress: Progress | None = None, device=None,
          evaluate: bool = True) -> TrainResult:
    """Train from scratch. Reports progress, hands partial results (loss, batch matrix) to the UI, stops on cancel.

    partial(dict) carries: step, steps, loss, scale, losses (all so far), matrix (display images x captions),
    seen_accuracy and never_seen_accuracy (live, on a small fixed set of fresh images each; the latter None
    when nothing is held out) and, on the first call, display_images, display_captions and held_out.
    Cancel keeps what was learnt so far (steps_done says how much).
    """
    import torch

    progress = ensure(progress)
    config = config or TrainConfig.default()
    device = torch.device(device) if device is not None else torch.device("cpu")
    threads = (config.threads or cpu_threads()) if device.type == "cpu" else torch.get_num_threads()
    with torch_threads(threads):
        torch.manual_seed(config.seed)
        progress.report(0.0, f"Drawing {config.n_train:,} shapes with captions")
        data = training_data(config)
        progress.check()
        pixels = pixels_to_tensor(data.images).to(device)
        ids = torch.from_numpy(encode_texts(data.captions, config.model.vocab, config.model.max_words)).to(device)
        attributes = torch.from_numpy(np.stack([data.colour_ids, data.shape_ids, data.named_colours,
                                                data.named_shapes], axis=1)).to(device)
        show = display_batch(size=config.model.image_size)
        show_pixels = pixels_to_tensor(show.images).to(device)
        show_ids = torch.from_numpy(encode_texts(show.captions, config.model.vocab, config.model.max_words)).to(device)
        probe = _LiveProbe(config, device)

        model = build_model(config.model).to(device)
        optimiser = AdamW(list(model.parameters()), weight_decay=0.01)
        warmup = max(1, config.steps // 20)

        def lr_at(step: int) -> float:
            if step < warmup:
                return config.lr * (step + 1) / warmup
            return config.lr * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, config.steps - warmup)))

        generator = torch.Generator(device="cpu").manual_seed(config.seed)
        losses: list[float] = []
        start = time.perf_counter()
        cancelled = False
        step = 0
        first = True
        for step in range(config.steps):
            try:
                progress.check()
            except Exception:
                cancelled = True
                break
            model.train()
            batch = torch.randint(0, len(data), (config.batch_size,), generator=generator).to(device)
            images = _augment(pixels[batch], generator)
            loss = contrastive_loss(model.encode_images(images), model.encode_texts(ids[batch]), model.scale(),
                                    match=caption_fits(attributes[batch]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step(lr_at(step))
            losses.append(float(loss.detach()))
            if step % config.eval_every == 0 or step == config.steps - 1:
                model.eval()
                with torch.no_grad():
                    matrix = (model.encode_images(show_pixels) @ model.encode_texts(show_ids).T).cpu().numpy()
                    seen_accuracy, never_seen_accuracy = probe.accuracy(model)
                payload = {"step": step + 1, "steps": config.steps, "loss": losses[-1], "losses": list(losses),
                           "scale": float(model.scale().detach()), "matrix": matrix,
                           "seen_accuracy": seen_accuracy, "never_seen_accuracy": never_seen_accuracy,
                           "seconds": time.perf_counter() - start}
                if first:
                    payload["display_images"] = show.images
                    payload["display_captions"] = show.captions
                    payload["held_out"] = list(config.held_out)
                    first = False
                progress.partial(payload)
            progress.report((step + 1) / config.steps,
                            f"Training mini-CLIP: step {step + 1} of {config.steps}, loss {losses[-1]:.3f}")
        steps_done = step + (0 if cancelled else 1)
        seconds = time.perf_counter() - start
        model.eval()
        with torch.no_grad():
            final_matrix = (model.encode_images(show_pixels) @ model.encode_texts(show_ids).T).cpu().numpy()
        # kept with the saved model so the app can show the last run's curve and matrix after a restart
        stride = max(1, len(losses) // 1000)
        encoder = MiniClipEncoder(model.cpu(), config.model, info={
            "steps": steps_done, "seconds": round(seconds, 1), "final_loss": losses[-1] if losses else None,
            "trained_at": time.strftime("%Y-%m-%d %H:%M:%S"), "seed": config.seed, "batch_size": config.batch_size,
            "n_train": config.n_train, "losses": [round(x, 4) for x in losses[::stride]],
            "display_matrix": np.round(final_matrix, 4).tolist()}, held_out_pairs=config.held_out)
        result = TrainResult(encoder, losses, seconds, steps_done, cancelled)
        if evaluate and not cancelled:
            progress.report(None, "Testing on new images: of seen pairs, and of the never-seen pairs")
            result.accuracy = pair_accuracy(encoder, seed=10_000 + config.seed)
            encoder.info.update(accuracy_seen_pairs=round(result.accuracy.seen, 4),
                                accuracy_never_seen_pairs=_round(result.accuracy.never_seen),
                                accuracy_images=result.accuracy.images)
        return result


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(x, digits)


class _LiveProbe:
    """A few fresh images of seen and of never-seen pairs, classified among all 24 prompts while training runs.

    Small (80 each) so that measuring every `eval_every` steps costs a few per cent of the training time.
    """

    def __init__(self, config: TrainConfig, device, n: int = 80) -> None:
        import torch
        from explorer.core.multimodal import prompts

        held_out = tuple(config.held_out)
        size = config.model.image_size
        self.sets = [shapes.generate(n, seed=30_000 + config.seed, size=size, labels=shapes.seen_labels(held_out))]
        if held_out:
            self.sets.append(shapes.generate(n, seed=40_000 + config.seed, size=size,
                                             labels=shapes.pair_labels(held_out)))
        self.pixels = [pixels_to_tensor(d.images).to(device) for d in self.sets]
        self.labels = [torch.from_numpy(d.labels).to(device) for d in self.sets]
        self.prompt_ids = torch.from_numpy(encode_texts(prompts(shapes.class_names(), PROMPT_TEMPLATE),
                                                        config.model.vocab, config.model.max_words)).to(device)

    def accuracy(self, model) -> tuple[float, float | None]:
        """(seen, never-seen) accuracy now; call in eval mode under no_grad."""
        texts = model.encode_texts(self.prompt_ids)
        scores = [float(((model.encode_images(x) @ texts.T).argmax(dim=1) == y).float().mean())
                  for x, y in zip(self.pixels, self.labels)]
        return scores[0], (scores[1] if len(scores) > 1 else None)


class AdamW:
    """Adam with decoupled weight decay, written out (torch.optim's first use imports the compiler: ~7 s)."""

    def __init__(self, params: list, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        import torch

        self.params = [p for p in params if p.requires_grad]
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self, lr: float) -> None:
        import torch

        self.t += 1
        b1, b2 = self.betas
        correction1, correction2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                if p.grad is None:
                    continue
                # no decay on biases, norms and the temperature (1-d parameters), as usual
                if self.weight_decay and p.ndim > 1:
                    p.mul_(1 - lr * self.weight_decay)
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                denom = (v / correction2).sqrt_().add_(self.eps)
                p.addcdiv_(m, denom, value=-lr / correction1)


def cpu_threads() -> int:
    """Threads for training: every core, minus those other programs keep busy.

    OpenMP threads that wait for a busy core stall each other at every layer,
    so on a loaded machine fewer threads train faster than more.
    """
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return cores
    return max(1, min(cores, int(cores - busy + 0.5)))


class torch_threads:
    """Run a block with `n` torch CPU threads, then restore the previous count.

    The model is tiny: its text encoder takes well under a millisecond on one
    thread, but with two OpenMP threads on a busy machine each call can wait
    a hundred milliseconds for the second thread to be scheduled.
    """

    def __init__(self, n: int) -> None:
        self.n = max(1, int(n))
        self.before = 0

    def __enter__(self) -> None:
        import torch

        self.before = torch.get_num_threads()
        if self.before != self.n:
            torch.set_num_threads(self.n)

    def __exit__(self, *exc) -> None:
        import torch

        if torch.get_num_threads() != self.before:
            torch.set_num_threads(self.before)


def _augment(images, generator):
    """Random horizontal flips and small brightness changes: cheap, and colours stay recognisable."""
    import torch

    n = images.shape[0]
    flip = torch.rand(n, generator=generator) < 0.5
    images = torch.where(flip.view(n, 1, 1, 1).to(images.device), images.flip(3), images)
    gain = (1 + 0.1 * (torch.rand(n, 1, 1, 1, generator=generator) - 0.5)).to(images.device)
    return images * gain


# --- evaluation ---
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


# --- the app-facing wrapper ---
class MiniClipEncoder(WrapsTorchModule):
    """The trained mini-CLIP behind the `ImageTextEncoder` interface."""

    loss_kind = "softmax"
    logit_bias = 0.0

    def __init__(self, model, config: ModelConfig, info: dict | None = None, device=None,
                 origin: str = "user", held_out_pairs: Sequence[str] = ()) -> None:
        """origin: "user" (trained on this computer) or "shipped" (the copy that comes with the app).
        held_out_pairs: the colour-shape pairs training never showed ("purple star", ...)."""
        import torch

        self.model = model.eval()
        self.config = config
        self.info = dict(info or {})
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.model.to(self.device)
        self.origin = origin
        self.held_out_pairs = tuple(held_out_pairs)
        self.is_trained_here = origin == "user"
        self.name = MODEL_NAME if self.is_trained_here else SHIPPED_NAME
        self.cache_key = "mini-clip-" + _weights_digest(model)

    @property
    def logit_scale(self) -> float:
        return float(self.model.scale().detach())

    @property
    def vocab(self) -> list[str]:
        return list(self.config.vocab)

    def preprocess(self, images: Sequence) -> np.ndarray:
        """PIL images (any size or mode) -> (n, s, s, 3) uint8: centre square crop, area-averaged down."""
        from PIL import Image, ImageOps

        size = self.config.image_size
        out = np.empty((len(images), size, size, 3), dtype=np.uint8)
        for i, image in enumerate(images):
            rgb = image if image.mode == "RGB" else image.convert("RGB")
            out[i] = np.asarray(ImageOps.fit(rgb, (size, size), method=Image.Resampling.BOX))
        return out

    def embed_pixels(self, pixels: np.ndarray, batch_size: int = 256) -> np.ndarray:
        import torch

        chunks = []
        threads = cpu_threads() if self.device.type == "cpu" and len(pixels) > 16 else 1
        with torch.inference_mode(), torch_threads(threads):
            for start in range(0, len(pixels), batch_size):
                x = pixels_to_tensor(pixels[start:start + batch_size]).to(self.device)
                chunks.append(self.model.encode_images(x).float().cpu().numpy())
        if not chunks:
            return np.zeros((0, self.config.embed_dim), dtype=np.float32)
        return normalise(np.concatenate(chunks))

    def embed_images(self, images: Sequence, progress: Progress | None = None, batch_size: int = 256) -> np.ndarray:
        progress = ensure(progress)
        chunks = []
        for start in range(0, len(images), batch_size):
            progress.check()
            chunks.append(self.embed_pixels(self.preprocess(images[start:start + batch_size])))
        if not chunks:
            return np.zeros((0, self.config.embed_dim), dtype=np.float32)
        return np.concatenate(chunks)

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        if not len(texts):
            return np.zeros((0, self.config.embed_dim), dtype=np.float32)
        ids = torch.from_numpy(encode_texts(list(texts), self.config.vocab, self.config.max_words)).to(self.device)
        with torch.inference_mode(), torch_threads(1 if len(texts) < 256 else cpu_threads()):
            return normalise(self.model.encode_texts(ids).float().cpu().numpy())

    def unknown_words(self, texts: Sequence[str]) -> list[str]:
        return unknown_words(texts, self.config.vocab)

    def probabilities(self, cosines: np.ndarray) -> np.ndarray:
        return zero_shot_probabilities(cosines, self.logit_scale)


def _weights_digest(model) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


# --- save / load ---
class DamagedModel(ValueError):
    """Saved mini-CLIP files that are unreadable, truncated, altered or do not fit their config."""


def save(encoder: MiniClipEncoder, folder: Path, extra: dict | None = None) -> Path:
    """Write config.json (with the weights' sha256), then model.safetensors (last, atomically: its presence
    means "trained"). `extra` adds top-level keys to config.json (the shipped copy records how it was made)."""
    from safetensors.torch import save as to_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in encoder.model.state_dict().items()}
    blob = to_bytes(state, metadata={"format": FORMAT})
    config = {"format": FORMAT, "version": 1, "model": encoder.config.to_json(),
              HELD_OUT_KEY: list(encoder.held_out_pairs), "training": encoder.info,
              SHA256_KEY: hashlib.sha256(blob).hexdigest(), **(extra or {})}
    tmp_config = folder / (CONFIG_FILE + ".tmp")
    tmp_config.write_text(json.dumps(config, indent=1), encoding="utf-8")
    os.replace(tmp_config, folder / CONFIG_FILE)
    tmp_weights = folder / (WEIGHTS_FILE + ".tmp")
    tmp_weights.write_bytes(blob)
    os.replace(tmp_weights, folder / WEIGHTS_FILE)
    return folder / WEIGHTS_FILE


def read_checked(folder: Path) -> tuple[dict, bytes]:
    """The parsed config.json and the weights' bytes, checked without torch.

    Raises FileNotFoundError when a file is missing and DamagedModel when the
    config is not ours, the weights do not match the sha256 recorded with them
    (copies saved before checksums were recorded skip that check), or the
    safetensors header is not a well-formed header whose tensors fit the file.
    """
    folder = Path(folder)
    weights, config_path = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    if not weights.is_file() or not config_path.is_file():
        raise FileNotFoundError(f"no trained mini-CLIP in {folder}: train it first (llm-explorer train-mini-clip)")
    try:
        data = json.loads(config_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DamagedModel(f"{config_path} is not readable JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("model"), dict):
        raise DamagedModel(f"{config_path} is not a mini-CLIP config")
    held_out_pairs(data)
    blob = weights.read_bytes()
    expected = data.get(SHA256_KEY)
    if expected is not None and hashlib.sha256(blob).hexdigest() != expected:
        raise DamagedModel(f"{weights} does not match the checksum saved with it (changed or damaged file)")
    _check_safetensors_header(blob, weights)
    return data, blob


def _check_safetensors_header(blob: bytes, where: Path) -> None:
    """8-byte little-endian header length, a JSON header, every tensor's bytes inside the file."""
    if len(blob) < 8:
        raise DamagedModel(f"{where} is truncated ({len(blob)} bytes)")
    size = int.from_bytes(blob[:8], "little")
    if size <= 0 or size > MAX_HEADER_BYTES or 8 + size > len(blob):
        raise DamagedModel(f"{where} is not a safetensors file (bad header length)")
    try:
        header = json.loads(blob[8:8 + size].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DamagedModel(f"{where} has an unreadable safetensors header") from exc
    if not isinstance(header, dict):
        raise DamagedModel(f"{where} has an unreadable safetensors header")
    body = len(blob) - 8 - size
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        offsets = spec.get("data_offsets") if isinstance(spec, dict) else None
        if (not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets)
                or not 0 <= offsets[0] <= offsets[1] <= body):
            raise DamagedModel(f"{where} is truncated or damaged (tensor '{name}' lies outside the file)")


def load(folder: Path, device=None, origin: str = "user") -> MiniClipEncoder:
    """Load a saved mini-CLIP (safetensors; nothing is unpickled). Damaged files raise DamagedModel."""
    from safetensors import SafetensorError
    from safetensors.torch import load as from_bytes

    data, blob = read_checked(Path(folder))
    where = Path(folder) / WEIGHTS_FILE
    try:
        state = from_bytes(blob)
    except (SafetensorError, ValueError) as exc:
        raise DamagedModel(f"{where} could not be read ({exc})") from exc
    try:
        config = ModelConfig.from_json(data["model"])
        model = build_model(config)
        model.load_state_dict(state)  # strict: every tensor present, every shape as the config says
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise DamagedModel(f"{where} does not fit its config.json ({str(exc).splitlines()[0][:200]})") from exc
    info = data.get("training")
    return MiniClipEncoder(model, config, info=info if isinstance(info, dict) else {}, device=device, origin=origin,
                           held_out_pairs=held_out_pairs(data))


def held_out_pairs(data: dict) -> list[str]:
    """The held-out pairs recorded in a parsed config.json ([] for copies saved before pairs were held out)."""
    pairs = data.get(HELD_OUT_KEY) or []
    if not isinstance(pairs, list) or not all(isinstance(p, str) for p in pairs):
        raise DamagedModel(f"{HELD_OUT_KEY} in config.json is not a list of pairs")
    try:
        labels = shapes.pair_labels(pairs)
    except ValueError as exc:
        raise DamagedModel(f"config.json: {exc}") from exc
    return [shapes.class_names()[label] for label in labels]
