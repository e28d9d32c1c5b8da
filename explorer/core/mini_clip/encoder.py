"""`MiniClipEncoder`: a trained mini-CLIP behind the app's `ImageTextEncoder` interface."""
from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from explorer.core.mini_clip.config import ModelConfig
from explorer.core.mini_clip.model import pixels_to_tensor
from explorer.core.mini_clip.text import encode_texts, unknown_words
from explorer.core.module_wrapper import WrapsTorchModule
from explorer.core.multimodal import normalise, zero_shot_probabilities
from explorer.core.progress import Progress, ensure
from explorer.core.threads import cpu_threads, torch_threads

MODEL_NAME = "mini-CLIP (a small model trained on this computer)"
SHIPPED_NAME = "mini-CLIP (a small model trained on generated shapes, shipped with the app)"


class MiniClipEncoder(WrapsTorchModule):
    """The trained mini-CLIP behind the `ImageTextEncoder` interface."""

    loss_kind = "softmax"
    logit_bias = 0.0

    def __init__(self, model, config: ModelConfig, info: dict | None = None, device=None,
                 origin: str = "user", held_out_pairs: Sequence[str] = ()) -> None:
        """origin: "user" (trained on this computer) or "shipped" (the copy that comes with the app).
        held_out_pairs: the colour-shape pairs training never showed ("purple star", ...)."""
        super().__init__(model, device)
        self.config = config
        self.info = dict(info or {})
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


