"""Shared plumbing for objects that wrap one torch module (image-text encoders, captioners)."""
from __future__ import annotations


class WrapsTorchModule:
    """Holds one torch module in eval mode on one device; forwards device moves and parameter walks to it."""

    model: object
    device: object

    def __init__(self, model, device=None) -> None:
        """`model` in eval mode, moved to `device` (None: the CPU)."""
        self.model = model.eval()
        self.to("cpu" if device is None else device)

    def to(self, device):
        import torch

        self.device = torch.device(device)
        self.model.to(self.device)
        return self

    def parameters(self):
        return self.model.parameters()

    def buffers(self):
        return self.model.buffers()
