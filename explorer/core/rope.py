"""Rotary position embeddings (RoPE): how each 2-D pair of a query or key turns as position grows.

Layout as in Llama / transformers: a head vector of size d holds d/2 pairs
(x_i, x_{i + d/2}); pair i turns by position * theta_i radians, with
theta_i = rope_theta ** (-2i / d). Fast pairs (small i) spin every few
tokens, slow pairs barely move over thousands of tokens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class RopeConfig:
    theta: float  # rope_theta (the base)
    head_dim: int
    rotary_dim: int  # dimensions that rotate (== head_dim unless partial rotary)

    @property
    def num_pairs(self) -> int:
        return self.rotary_dim // 2


def rope_config(config) -> RopeConfig | None:
    """RoPE settings from a transformers config, or None when the model uses no RoPE."""
    params = getattr(config, "rope_parameters", None) or {}
    theta = params.get("rope_theta") if isinstance(params, dict) else None
    theta = theta or getattr(config, "rope_theta", None)
    if not theta:
        return None
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads)
    factor = float((params.get("partial_rotary_factor") if isinstance(params, dict) else None)
                   or getattr(config, "partial_rotary_factor", 1.0) or 1.0)
    rotary = int(head_dim * factor) // 2 * 2
    return RopeConfig(float(theta), head_dim, rotary)


def inverse_frequencies(rc: RopeConfig) -> np.ndarray:
    """theta_i for every pair i, in radians per position: theta ** (-2i / rotary_dim)."""
    return 1.0 / (rc.theta ** (np.arange(0, rc.rotary_dim, 2, dtype=np.float64) / rc.rotary_dim))


@dataclass
class ModelRope:
    """A model's own rotary embedding: what it really turns q and k by, scaling included."""
    inv_freq: np.ndarray  # radians per position for every pair, from the module's `inv_freq` buffer
    rope_type: str  # "default", "llama3", "linear", "yarn", ...
    # multiplies cos and sin (yarn / longrope); 1.0 for the plain and Llama 3 kinds
    attention_scaling: float = 1.0


def model_rope(model) -> ModelRope | None:
    """The rotary embedding module's frequencies, or None when the model has no RoPE.

    transformers computes `inv_freq` with the config's rope scaling applied (Llama 3's
    slower low frequencies, linear or dynamic factors...), so it is what the model uses,
    where `inverse_frequencies` is only the textbook formula.
    """
    for _, module in model.named_modules():
        inv = getattr(module, "inv_freq", None)
        if inv is not None and hasattr(inv, "detach"):
            return ModelRope(inv.detach().double().cpu().numpy(), str(getattr(module, "rope_type", "default")),
                             float(getattr(module, "attention_scaling", 1.0) or 1.0))
    return None


def model_inverse_frequencies(model) -> np.ndarray | None:
    """The model's own inv_freq buffer (includes any RoPE scaling), when it has one."""
    found = model_rope(model)
    return None if found is None else found.inv_freq


def scaled_pairs(rc: RopeConfig, inv_freq: np.ndarray) -> int:
    """How many pairs turn at another speed than the textbook formula gives (rope scaling)."""
    formula = inverse_frequencies(rc)
    if formula.shape != inv_freq.shape:
        return int(inv_freq.size)
    return int((~np.isclose(inv_freq, formula, rtol=1e-5, atol=0.0)).sum())


def wavelengths(inv_freq: np.ndarray) -> np.ndarray:
    """Tokens for one full turn of each pair: 2 pi / theta_i."""
    return 2 * np.pi / inv_freq


def rotate(vectors: np.ndarray, positions: np.ndarray | int, inv_freq: np.ndarray) -> np.ndarray:
    """Rotate [..., P, d] (or [d] at one position) as the model would at `positions`."""
    x = np.asarray(vectors, dtype=np.float64)
    pos = np.atleast_1d(np.asarray(positions, dtype=np.float64))
    half = inv_freq.size
    ang = np.outer(pos, inv_freq)  # [P, half]
    cos, sin = np.cos(ang), np.sin(ang)
    single = x.ndim == 1
    if single:
        x = np.broadcast_to(x, (pos.size, x.size))
    a, b, rest = x[..., :half], x[..., half:2 * half], x[..., 2 * half:]
    out = np.concatenate([a * cos - b * sin, b * cos + a * sin, rest], axis=-1)
    return out[0] if single and pos.size == 1 else out


def pair_trajectory(vector_pair: tuple[float, float], pair: int, inv_freq: np.ndarray,
                    positions: np.ndarray) -> np.ndarray:
    """[P, 2] where one 2-D pair ends up at each position."""
    ang = np.asarray(positions, dtype=np.float64) * inv_freq[pair]
    a, b = vector_pair
    return np.stack([a * np.cos(ang) - b * np.sin(ang), b * np.cos(ang) + a * np.sin(ang)], axis=1)


def score_vs_distance(q: np.ndarray, k: np.ndarray, inv_freq: np.ndarray, max_distance: int,
                      scale: float = 1.0) -> np.ndarray:
    """q.k after rotating q to position m + n and k to position m, for n = 0..max_distance.

    RoPE makes this independent of m: only the distance n matters.
    """
    n = np.arange(max_distance + 1)
    rq = rotate(q, n, inv_freq)
    rk = rotate(k, 0, inv_freq)
    return (rq @ rk) * scale
