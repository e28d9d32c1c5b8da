"""A CLIP small enough to train from scratch on a laptop CPU in a couple of minutes.

Two encoders map images and captions into one 64-d space:
- images: a small CNN on 32x32 pixels (3 conv blocks, global pooling, a linear layer);
- text: word embeddings + positions, one tiny transformer layer, a mean over the words.
They learn from the synthetic shapes (see `shapes_dataset`) with CLIP's
symmetric contrastive (InfoNCE) loss and a learnable temperature.

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
    max_words: int = 12
    vocab: list[str] = field(default_factory=lambda: [PAD, UNK, BOS, *shapes.vocabulary()])

    def to_json(self) -> dict:
        data = asdict(self)
        data["channels"] = list(self.channels)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ModelConfig":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
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
    eval_every: int = 10
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
        return cls(steps=steps, batch_size=64, n_train=2000, lr=4e-3,
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
            self.text_encoder = TextEncoder()
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


def contrastive_loss(image_vectors, text_vectors, scale, labels=None):
    """CLIP's symmetric InfoNCE: cross-entropy image->text and text->image, averaged.

    Our captions repeat ("a red circle" describes many images in a batch), so
    when `labels` is given every pair of the same class counts as a match:
    the target is spread evenly over those columns instead of sitting only on
    the diagonal. Without labels it is exactly CLIP's diagonal target.
    """
    import torch

    logits = scale * image_vectors @ text_vectors.T
    if labels is None:
        target = torch.eye(len(logits), device=logits.device)
    else:
        target = (labels[:, None] == labels[None, :]).float()
    target = target / target.sum(dim=1, keepdim=True)
    loss_i = -(target * logits.log_softmax(dim=1)).sum(dim=1).mean()
    loss_t = -(target.T * logits.T.log_softmax(dim=1)).sum(dim=1).mean()
    return (loss_i + loss_t) / 2


# --- training ---
@dataclass
class TrainResult:
    encoder: "MiniClipEncoder"
    losses: list[float]
    seconds: float
    steps_done: int
    cancelled: bool = False
    accuracy: float | None = None
    plain_accuracy: float | None = None


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

    partial(dict) carries: step, steps, loss, scale, losses (all so far), matrix (display images x captions)
    and, on the first call, display_images and display_captions.
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
        data = shapes.generate(config.n_train, seed=config.seed, plain_fraction=config.plain_fraction,
                               size=config.model.image_size)
        progress.check()
        pixels = pixels_to_tensor(data.images).to(device)
        ids = torch.from_numpy(encode_texts(data.captions, config.model.vocab, config.model.max_words)).to(device)
        labels = torch.from_numpy(data.labels).to(device)
        show = display_batch(size=config.model.image_size)
        show_pixels = pixels_to_tensor(show.images).to(device)
        show_ids = torch.from_numpy(encode_texts(show.captions, config.model.vocab, config.model.max_words)).to(device)

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
                                    labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step(lr_at(step))
            losses.append(float(loss.detach()))
            if step % config.eval_every == 0 or step == config.steps - 1:
                model.eval()
                with torch.no_grad():
                    matrix = (model.encode_images(show_pixels) @ model.encode_texts(show_ids).T).cpu().numpy()
                payload = {"step": step + 1, "steps": config.steps, "loss": losses[-1], "losses": list(losses),
                           "scale": float(model.scale().detach()), "matrix": matrix,
                           "seconds": time.perf_counter() - start}
                if first:
                    payload["display_images"] = show.images
                    payload["display_captions"] = show.captions
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
            "display_matrix": np.round(final_matrix, 4).tolist()})
        result = TrainResult(encoder, losses, seconds, steps_done, cancelled)
        if evaluate and not cancelled:
            progress.report(None, "Testing on held-out shapes")
            result.accuracy = zero_shot_accuracy(encoder, shapes.generate(480, seed=10_000 + config.seed))
            result.plain_accuracy = zero_shot_accuracy(encoder, shapes.generate(240, seed=20_000 + config.seed,
                                                                                style="plain"))
            encoder.info.update(accuracy=result.accuracy, plain_accuracy=result.plain_accuracy)
        return result


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
def zero_shot_accuracy(encoder: "MiniClipEncoder", data: shapes.ShapeSet, template: str = "a photo of a {}") -> float:
    """Fraction of images whose best prompt among the 24 "a photo of a <colour> <shape>" is their own class."""
    from explorer.core.multimodal import prompts

    text_vectors = encoder.embed_texts(prompts(shapes.class_names(), template))
    image_vectors = encoder.embed_pixels(data.images)
    predicted = similarity_matrix(image_vectors, text_vectors).argmax(axis=1)
    return float((predicted == data.labels).mean())


# --- the app-facing wrapper ---
class MiniClipEncoder(WrapsTorchModule):
    """The trained mini-CLIP behind the `ImageTextEncoder` interface."""

    loss_kind = "softmax"
    logit_bias = 0.0

    def __init__(self, model, config: ModelConfig, info: dict | None = None, device=None,
                 origin: str = "user") -> None:
        """origin: "user" (trained on this computer) or "shipped" (the copy that comes with the app)."""
        import torch

        self.model = model.eval()
        self.config = config
        self.info = dict(info or {})
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.model.to(self.device)
        self.origin = origin
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
    config = {"format": FORMAT, "version": 1, "model": encoder.config.to_json(), "training": encoder.info,
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
    return MiniClipEncoder(model, config, info=info if isinstance(info, dict) else {}, device=device, origin=origin)
