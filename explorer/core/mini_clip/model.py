"""The mini-CLIP network (a small CNN and a bag-of-words text encoder into one space) and CLIP's loss.

torch is imported inside the functions: the package stays importable without it.
"""
from __future__ import annotations

import math

import numpy as np

from explorer.core.mini_clip.config import ModelConfig


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


def contrastive_loss(image_vectors, text_vectors, scale, match=None):
    """CLIP's symmetric InfoNCE: cross-entropy image->text and text->image, averaged.

    Our captions repeat ("a red circle" describes many images in a batch, "a triangle" fits several
    classes), so `match` (images x captions, true where a caption fits an image, see `caption_fits`)
    counts every fitting caption as a match: the target is spread evenly over those columns instead of
    sitting only on the diagonal. Without it the target is exactly CLIP's diagonal.
    """
    import torch

    logits = scale * image_vectors @ text_vectors.T
    target = match.float() if match is not None else torch.eye(len(logits), device=logits.device)
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

