"""Shared plumbing for objects that wrap one torch module (image-text encoders, captioners)."""
from __future__ import annotations


class WrapsTorchModule:
    """Forwards device moves and parameter walks to `self.model`; subclasses set `model` and `device`."""

    model: object
    device: object

    def to(self, device):
        import torch

        self.device = torch.device(device)
        self.model.to(self.device)
        return self

    def parameters(self):
        return self.model.parameters()

    def buffers(self):
        return self.model.buffers()
